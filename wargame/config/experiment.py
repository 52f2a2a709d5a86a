"""The experiment-file schema: a sweep declared as data.

An experiment names a base scenario, the parameters it varies (dotted paths into the scenario,
e.g. `levers.mou_linkage` or `actors.irgc.weights.regime_risk`), the design that picks points
(a full grid, a Latin hypercube, Sobol or Morris), how many seeded replicates each point gets,
what to keep from each run, where the results go and how to execute it. Like scenarios, unknown
keys are errors; the loader also checks every path against the base scenario before any run.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from wargame.config.schema import Strict

PARAMETER_PATH = r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*|\[[0-9]+\])*$"


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


class RealRange(Range):
    type: Literal["real"]
    low: float
    high: float


class IntRange(Range):
    type: Literal["int"]
    low: int
    high: int


class Categorical(Strict):
    type: Literal["categorical"]
    values: tuple[str | int | float | bool, ...] = Field(min_length=1)


Levels = Annotated[tuple[str | int | float | bool, ...], Field(min_length=1)]
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
    samples: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        None,
        description="points for latin_hypercube; base N (a power of two) for sobol; "
        "trajectories for morris",
    )
    levels: Annotated[int, Field(ge=2, le=20)] = Field(4, description="grid levels for morris")
    seed: int = Field(0, ge=0, description="seed of the sampler itself (not of the runs)")

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
    every: Annotated[int, Field(ge=1)] = Field(description="keep every k-th round")
    metrics: tuple[str, ...] = Field(min_length=1, description="per-round metric columns to keep")


class Execution(Strict):
    workers: Annotated[int, Field(ge=0, le=512)] = Field(
        0, description="worker processes; 0 = one per CPU core, 1 = run in this process"
    )
    runs_per_task: Annotated[int, Field(ge=1, le=10_000)] | None = Field(
        None, description="runs batched into one task (default: chosen from the design size)"
    )
    max_in_flight: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        None, description="tasks submitted but not finished at once (default: 4 per worker)"
    )
    retries: Annotated[int, Field(ge=0, le=10)] = Field(
        2, description="times a task is resubmitted after its worker died"
    )
    rows_per_part: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
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
    rounds: Annotated[int, Field(ge=1, le=100_000)]
    replicates: Annotated[int, Field(ge=1, le=1_000_000)]
    root_seed: Annotated[int, Field(ge=0)]
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
