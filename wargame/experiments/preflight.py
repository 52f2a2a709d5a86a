"""A sweep's preflight: every check made before its first run, so a bad experiment fails in
seconds rather than run by run.

Outcome and metric names, the results folder, the geography of the base scenario and of every
geography parameter, and each design point as a whole scenario. `sweep.plan_sweep` runs it
before it plans; `run.py validate` runs it alone, which is why this module loads the config
layer, the theatre and NumPy but never pandas, pyarrow or Mesa (tests/test_cli_cold.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from wargame.config.loader import (
    LoadedExperiment,
    ScenarioError,
    candidate_values,
    describe_validation_error,
)
from wargame.config.overrides import apply_overrides, get_path, set_path
from wargame.config.schema import Scenario
from wargame.engine.metrics import MODEL_REPORTERS
from wargame.engine.theatre import Theatre, TheatreError
from wargame.experiments.design import design_rows, plain
from wargame.experiments.outcomes import OUTCOMES
from wargame.experiments.outputs import link_problem, output_problem

# Every design point is validated as a whole scenario before the first run, up to this many
# points: measured 0.3 ms a point on an idle 2-core machine, 0.9 ms under load, so at most
# 3-9 s. Bigger designs check their first POINT_CHECK_LIMIT points (and say so). Joint
# geography (a theatre, ~5 ms) is built for at most THEATRE_CHECK_LIMIT distinct combinations.
POINT_CHECK_LIMIT = 10_000
THEATRE_CHECK_LIMIT = 500
# Scenario sections the theatre (routes over sea lanes, weapon reach) is built from. Only a
# parameter under one of them can make a theatre fail, so only those build one up front.
GEOGRAPHY = ("nodes", "edges", "weapons", "shipping.routes", "actors.irgc.anti_ship_weapon")
# The value types a results column can hold (the runner maps each to an Arrow type).
VALUE_TYPES = (bool, int, float, str)


@dataclass(frozen=True)
class Preflight:
    """What the checks found: each parameter's value type and the design's points."""

    types: dict[str, type]
    rows: list[tuple]  # one tuple of parameter values per point (`design.design_rows`)
    points_checked: int


def preflight(loaded: LoadedExperiment) -> Preflight:
    """Run every check, in the order a user would fix them; raise ScenarioError on the first
    that fails."""
    check_outcomes(loaded)
    check_output(loaded)
    check_theatres(loaded)
    types = parameter_types(loaded)
    rows = design_rows(loaded.experiment)
    return Preflight(types, rows, check_points(loaded, rows))


def check_outcomes(loaded: LoadedExperiment) -> None:
    """Outcome and metric names are the engine's; check them before any run starts."""
    experiment = loaded.experiment
    problems = [
        f"outcomes[{i}]: unknown outcome {name!r}; expected one of {sorted(OUTCOMES)}"
        for i, name in enumerate(experiment.outcomes)
        if name not in OUTCOMES
    ]
    if experiment.timeseries is not None:
        kept_metrics = sorted(set(MODEL_REPORTERS) - {"round"})
        problems += [
            f"timeseries.metrics[{i}]: "
            + (
                "'round' is always kept; list only the metrics to keep beside it"
                if name == "round"
                else f"unknown metric {name!r}; expected one of {kept_metrics}"
            )
            for i, name in enumerate(experiment.timeseries.metrics)
            if name not in MODEL_REPORTERS or name == "round"
        ]
    if problems:
        raise ScenarioError(str(loaded.path), problems)


def check_theatres(loaded: LoadedExperiment) -> None:
    """Geography only a built theatre can check (a route with no sea path), for the base
    scenario and every value of a geography parameter, so such a sweep fails now instead of
    run by run."""
    experiment = loaded.experiment
    try:
        Theatre(Scenario.model_validate(loaded.base_data))
    except TheatreError as error:
        raise ScenarioError(
            str(loaded.path), [f"base_scenario: cannot use {experiment.base_scenario!r}: {error}"]
        ) from None
    problems = []
    for parameter, spec in experiment.parameters.items():
        if not parameter.startswith(GEOGRAPHY):
            continue
        for value in candidate_values(spec):
            try:
                Theatre(Scenario.model_validate(set_path(loaded.base_data, parameter, value)))
            except TheatreError as error:
                problems.append(
                    f"parameters.{parameter}: value {value!r} is not valid in the scenario ({error})"
                )
                break
    if problems:
        raise ScenarioError(str(loaded.path), problems)


def check_output(loaded: LoadedExperiment) -> None:
    """The results folder must be creatable (or resumable) before anything runs. The symbolic
    link rule is checked on the path as written: the loader's resolved path has already followed
    a broken link to its missing target, which would then be created."""
    written = loaded.path.parent / loaded.experiment.output
    problem = link_problem(written) or output_problem(loaded.output)
    if problem:
        raise ScenarioError(
            str(loaded.path),
            [f"output: {loaded.experiment.output!r} (relative to this file): {problem}"],
        )


def parameter_types(loaded: LoadedExperiment) -> dict[str, type]:
    """Each parameter's value type: its scenario field's (the base value's type), or, where the
    base leaves the field empty, the type of the values the experiment gives. The loader has
    already given every value the type of its field (`loader.typed_spec`), so each column's
    values fit its type."""
    types = {}
    for name, spec in loaded.experiment.parameters.items():
        base = get_path(loaded.base_data, name)
        kind = type(base) if base is not None else type(candidate_values(spec)[0])
        if kind not in VALUE_TYPES:
            raise ScenarioError(
                str(loaded.path),
                [
                    f"parameters.{name}: the scenario field holds a {kind.__name__}; a sweep "
                    "varies single values (a number, a true/false or a text)"
                ],
            )
        types[name] = kind
    return types


def check_points(loaded: LoadedExperiment, rows: list[tuple]) -> int:
    """Validate each design point (a row of `design_rows`; its index is the point) as a whole
    scenario, so values that are fine alone but break a rule together (mou.strained_at above
    mou.suspended_at) are refused before any run. Returns how many points were checked."""
    names = list(loaded.experiment.parameters)
    geography = [n for n in names if n.startswith(GEOGRAPHY)]
    theatres: set[tuple] = set()
    checked = rows[:POINT_CHECK_LIMIT]
    for point, row in enumerate(checked):
        values = {name: plain(v) for name, v in zip(names, row, strict=True)}
        try:
            scenario = Scenario.model_validate(apply_overrides(loaded.base_data, values))
            key = tuple(values[n] for n in geography)
            if geography and key not in theatres and len(theatres) < THEATRE_CHECK_LIMIT:
                theatres.add(key)
                Theatre(scenario)
        except ValidationError as error:
            reason = "; ".join(describe_validation_error(error))
        except TheatreError as error:
            reason = str(error)
        else:
            continue
        raise ScenarioError(
            str(loaded.path),
            [
                f"parameters: design point {point} ({point_text(values)}) is not a valid "
                f"scenario: {reason}; expected values that are valid together"
            ],
        )
    return len(checked)


def point_text(values: dict) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in values.items())
