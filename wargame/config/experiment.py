"""The experiment-file schema: a sweep declared as data.

An experiment names a base scenario, the parameters it varies (dotted paths into the scenario,
e.g. `levers.mou_linkage` or `actors.irgc.weights.regime_risk`), the design that picks points
(a full grid, a Latin hypercube, Sobol or Morris), how many seeded replicates each point gets,
what to keep from each run, where the results go and how to execute it. Like scenarios, unknown
keys are errors; the loader also checks every path against the base scenario before any run.

`design_points` and `planned_runs` count a design without building it (the experiments layer
reuses them to print plans); an experiment too big to hold or to run is refused here, before
anything is built.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Discriminator, Field, PlainValidator, Tag, ValidationInfo, model_validator
from pydantic import Strict as StrictInput  # true is not 1 and "10" is text, as in scenarios

from wargame.config.schema import MAX_ROUNDS, Strict

# Indices without leading zeros, so one field has one spelling and can't be varied twice.
PARAMETER_PATH = r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*|\[(0|[1-9][0-9]*)\])*$"

# Levels of one listed parameter. Each distinct text value is checked against the scenario at
# load time (~0.5 ms each), and a numeric axis of more levels is a range in disguise.
MAX_LEVELS = 1_000
# Points of a design: the design table is built in memory (a grid via itertools.product, a
# sampled design as a float array), and a million points is already ~100 MB with a few columns.
MAX_DESIGN_POINTS = 1_000_000
# Cells of the design table (points x parameters): bounds its memory when there are many
# parameters (10 million float cells = 80 MB, several times that as Python objects).
MAX_DESIGN_CELLS = 10_000_000
# Runs of a sweep. A 90-round run costs ~0.1 CPU-s (benchmarks/README.md), so 10 million runs
# are ~10 CPU-days, and analysing their runs table (10 million rows) already takes gigabytes of
# memory: the table, not the compute, sets the limit. Beyond that, split the sweep.
MAX_RUNS = 10_000_000
# Smallest sampled designs whose sensitivity indices mean something. SALib's 95% intervals are a
# bootstrap (100 resamples) over the Morris trajectories or the Sobol base samples; n of them
# give C(2n-1, n) distinct resamples: 35 for 4, 126 for 5. Below 5 the interval mostly repeats
# itself (1 trajectory: a confidence of 0), so it looks precise and says nothing. Sobol takes
# powers of two: 8 is the first at or above 5 (and with N = 1 even S1 and ST are nonsense, e.g. 2).
MIN_MORRIS_TRAJECTORIES = 5
MIN_SOBOL_SAMPLES = 8
# Validation context for an experiment read back from a results folder: it already ran, so rules
# about what may be *started* (minimum sizes, even Morris levels) give notes in the analysis
# instead of refusing results made before the rules existed.
STORED_RESULTS = {"stored_results": True}


class DesignKind(StrEnum):
    GRID = "grid"
    LATIN_HYPERCUBE = "latin_hypercube"
    SOBOL = "sobol"
    MORRIS = "morris"


class Range(Strict):
    """Shared by the numeric ranges: a range must hold more than one value."""

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"empty range: low ({self.low}) must be below high ({self.high})")
        return self


# Range ends are strict: a quoted number or a boolean is an error, not silently coerced.
class RealRange(Range):
    type: Literal["real"]
    low: float = Field(strict=True, allow_inf_nan=False)
    high: float = Field(strict=True, allow_inf_nan=False)


class IntRange(Range):
    type: Literal["int"]
    low: int = Field(strict=True)
    high: int = Field(strict=True)


def _level(value: object) -> object:
    """One listed value, as YAML gave it: text, a finite number or a boolean. Checked by hand
    so a bad value gets one message, not one per arm of a union."""
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {value}")
        return value
    got = {type(None): "null", list: "a list", dict: "a mapping"}.get(type(value), "another type")
    raise ValueError(f"expected a number, text or true/false, got {got}")


Level = Annotated[str | int | float | bool, PlainValidator(_level)]
Levels = Annotated[tuple[Level, ...], Field(min_length=1, max_length=MAX_LEVELS)]


class Categorical(Strict):
    type: Literal["categorical"]
    values: Levels


ParameterSpec = Annotated[RealRange | IntRange | Categorical, Field(discriminator="type")]
# A list of values or a typed range, told apart by shape, so an error names only the form given.
ParameterValues = Annotated[
    Annotated[Levels, Tag("list")] | Annotated[ParameterSpec, Tag("range")],
    Discriminator(
        lambda value: (
            "range" if isinstance(value, dict | RealRange | IntRange | Categorical) else "list"
        )
    ),
]


class Design(Strict):
    kind: DesignKind = DesignKind.GRID
    samples: Annotated[int, StrictInput(), Field(ge=1, le=1_000_000)] | None = Field(
        None,
        description="points for latin_hypercube; base N (a power of two) for sobol; "
        "trajectories for morris",
    )
    levels: Annotated[int, StrictInput(), Field(ge=2, le=20)] = Field(
        4, description="grid levels for morris"
    )
    seed: Annotated[int, StrictInput()] = Field(
        0, ge=0, description="seed of the sampler itself (not of the runs)"
    )

    @model_validator(mode="after")
    def _samples_where_needed(self) -> Design:
        if self.kind != DesignKind.GRID and self.samples is None:
            raise ValueError(f"a {self.kind.value} design needs `samples`")
        if self.kind == DesignKind.GRID and self.samples is not None:
            raise ValueError(
                "a grid design takes no `samples` (its size is the product of the lists)"
            )
        if self.kind == DesignKind.SOBOL and self.samples & (self.samples - 1):
            raise ValueError(f"sobol needs `samples` to be a power of two, got {self.samples}")
        return self


class Timeseries(Strict):
    every: Annotated[int, StrictInput(), Field(ge=1)] = Field(description="keep every k-th round")
    metrics: tuple[str, ...] = Field(min_length=1, description="per-round metric columns to keep")


class Execution(Strict):
    workers: Annotated[int, StrictInput(), Field(ge=0, le=512)] = Field(
        0, description="worker processes; 0 = one per CPU core, 1 = run in this process"
    )
    runs_per_task: Annotated[int, StrictInput(), Field(ge=1, le=10_000)] | None = Field(
        None, description="runs batched into one task (default: chosen from the design size)"
    )
    max_in_flight: Annotated[int, StrictInput(), Field(ge=1, le=100_000)] | None = Field(
        None, description="tasks submitted but not finished at once (default: 4 per worker)"
    )
    retries: Annotated[int, StrictInput(), Field(ge=0, le=10)] = Field(
        2, description="times a task is resubmitted after its worker died"
    )
    rows_per_part: Annotated[int, StrictInput(), Field(ge=1, le=1_000_000)] = Field(
        2000,
        description="finished runs gathered into one Parquet part (parts also close every 10 s)",
    )
    on_error: Literal["record", "stop"] = Field(
        "record", description="a run that raises: keep its error as a row, or stop the sweep"
    )


class Experiment(Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    base_scenario: str = Field(min_length=1, description="scenario file, relative to this file")
    rounds: Annotated[int, StrictInput(), Field(ge=1, le=MAX_ROUNDS)]
    replicates: Annotated[int, StrictInput(), Field(ge=1, le=1_000_000)]
    root_seed: Annotated[int, StrictInput(), Field(ge=0)]
    design: Design = Design()
    parameters: dict[Annotated[str, Field(pattern=PARAMETER_PATH)], ParameterValues] = Field(
        min_length=1
    )
    outcomes: tuple[str, ...] = Field(min_length=1)
    timeseries: Timeseries | None = None
    output: str = Field(min_length=1, description="results folder, relative to this file")
    execution: Execution = Execution()

    @model_validator(mode="after")
    def _design_fits_parameters(self) -> Experiment:
        ranges = [path for path, spec in self.parameters.items() if not isinstance(spec, tuple)]
        if self.design.kind == DesignKind.GRID and ranges:
            # One line per parameter, each naming its field (the loader splits on newlines).
            raise ValueError(
                "\n".join(
                    f"parameters.{path}: a grid design needs a list of values, not a range "
                    "(use latin_hypercube, sobol or morris, or list the values)"
                    for path in ranges
                )
            )
        if len(set(self.outcomes)) != len(self.outcomes):
            raise ValueError("outcomes: each outcome may be listed once")
        return self

    @model_validator(mode="after")
    def _size_is_runnable(self) -> Experiment:
        problem = size_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _design_can_be_analysed(self, info: ValidationInfo) -> Experiment:
        if (info.context or {}).get("stored_results"):
            return self
        problems = [
            p for p in (too_small_problem(self.design), odd_levels_problem(self.design)) if p
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self


def design_points(experiment: Experiment) -> int:
    """Points of the experiment's design, counted without building it: a grid is the product of
    its list lengths; SALib's Sobol (first-order and total indices, `calc_second_order=False`)
    takes N x (D + 2) points and Morris N x (D + 1) (D parameters, N samples)."""
    design = experiment.design
    dimensions = len(experiment.parameters)
    if design.kind == DesignKind.GRID:
        return math.prod(len(spec) for spec in experiment.parameters.values())
    if design.kind == DesignKind.SOBOL:
        return design.samples * (dimensions + 2)
    if design.kind == DesignKind.MORRIS:
        return design.samples * (dimensions + 1)
    return design.samples


def planned_runs(experiment: Experiment) -> int:
    """Runs of the experiment: every design point times its replicates."""
    return design_points(experiment) * experiment.replicates


def size_problem(experiment: Experiment) -> str | None:
    """'field: message' when the design is too big to build or the sweep too big to run."""
    points = design_points(experiment)
    design = experiment.design
    if design.kind == DesignKind.GRID:
        field = "parameters"
        how = " x ".join(str(len(spec)) for spec in experiment.parameters.values())
        count = f"a grid of {how} = {points:,} points"
        hint = "use fewer levels, or a latin_hypercube design"
    else:
        field = "design.samples"
        count = f"a {design.kind.value} design of {points:,} points"
        hint = "use fewer samples or fewer parameters"
    cells = points * len(experiment.parameters)
    if points > MAX_DESIGN_POINTS or cells > MAX_DESIGN_CELLS:
        return (
            f"{field}: {count} ({cells:,} values) is more than a design table can hold "
            f"(at most {MAX_DESIGN_POINTS:,} points and {MAX_DESIGN_CELLS:,} values); "
            f"{hint}, or split the sweep into several experiments"
        )
    runs = points * experiment.replicates
    if runs > MAX_RUNS:
        return (
            f"replicates: {count} x {experiment.replicates:,} replicates = {runs:,} runs, "
            f"more than the {MAX_RUNS:,} one sweep may hold; use fewer replicates, {hint}, "
            "or split the sweep into several experiments"
        )
    return None


def too_small_problem(design: Design) -> str | None:
    """'design.samples: ...' when a Sobol or Morris design is too small for its indices'
    intervals to mean anything (see MIN_MORRIS_TRAJECTORIES)."""
    if design.kind == DesignKind.SOBOL and design.samples < MIN_SOBOL_SAMPLES:
        what, minimum = "base samples", MIN_SOBOL_SAMPLES
    elif design.kind == DesignKind.MORRIS and design.samples < MIN_MORRIS_TRAJECTORIES:
        what, minimum = "trajectories", MIN_MORRIS_TRAJECTORIES
    else:
        return None
    return (
        f"design.samples: a {design.kind.value} design of {design.samples} {what} is too small; "
        f"at least {minimum} are needed: the 95% interval of each index is a bootstrap over "
        f"the {what}, and fewer than {MIN_MORRIS_TRAJECTORIES} give too few distinct resamples "
        "for it to mean anything (with 1 it reads 0, which looks exact)"
        + (
            f"; Sobol needs a power of two, and {MIN_SOBOL_SAMPLES} is the first at or above "
            f"{MIN_MORRIS_TRAJECTORIES}"
            if design.kind == DesignKind.SOBOL
            else ""
        )
    )


def odd_levels_problem(design: Design) -> str | None:
    """'design.levels: ...' for a Morris design on an odd number of levels."""
    if design.kind != DesignKind.MORRIS or design.levels % 2 == 0:
        return None
    return (
        f"design.levels: Morris needs an even number of levels, got {design.levels}: its step "
        "is levels / (2 (levels - 1)) of the range, which visits the levels evenly only when "
        f"their number is even (with {design.levels} the sample is biased); use "
        f"{design.levels - 1} or {design.levels + 1}"
    )
