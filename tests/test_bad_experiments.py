"""Bad experiment files never start a sweep: each is refused up front with exactly one message
that names the file and the field, in process (`load_experiment` + `plan_sweep`) and through
`run.py validate` / `run.py sweep` (exit 2, no traceback, no results folder).

The cases are a TABLE of changes applied to a good experiment (the shipped
configs/sweeps/policy_levers.yaml, its base and output re-pointed), written to a temporary file:
a new required field or a changed default follows automatically, and each case asserts that the
one intended problem is reported and nothing else. Raw files in tests/fixtures/bad_experiments/
are kept only for what a table can't express: YAML syntax, an empty file, a duplicate key, a
document that is not a mapping. Each starts with header comments:

    # expect: <substring of the expected message>
    # field: <field path the message names; '-' for a whole-file problem, or
    #         'line L, column C' for a YAML syntax error>
"""

from __future__ import annotations

import contextlib
import copy
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from support import DELETE

from wargame.config.experiment import (
    MAX_DESIGN_POINTS,
    MAX_RUNS,
    Experiment,
    design_points,
    planned_runs,
)
from wargame.config.loader import ScenarioError, load_experiment, read_yaml
from wargame.config.schema import CentcomWeights, IrgcWeights
from wargame.experiments.design import design_table
from wargame.experiments.sweep import plan_sweep

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "bad_experiments"
SWEEPS = ROOT / "configs" / "sweeps"
DEFAULT = ROOT / "configs" / "scenarios" / "gulf_2026.yaml"
CLI_TIMEOUT_S = 120
MEMORY_CAP = 3 * 2**30  # bytes of address space a check may add (see memory_cap)

# Twelve numeric fields to vary at once, from the schema (so a renamed weight can't break it).
TWELVE_WEIGHTS = [
    *(f"actors.irgc.weights.{name}" for name in IrgcWeights.model_fields),
    *(f"actors.centcom.weights.{name}" for name in CentcomWeights.model_fields),
][:12]
LHS = {"kind": "latin_hypercube", "samples": 4}


def real(low: float, high: float) -> dict:
    return {"type": "real", "low": low, "high": high}


def integer(low: Any, high: Any) -> dict:
    return {"type": "int", "low": low, "high": high}


@dataclass(frozen=True)
class Case:
    """One thing wrong: `changes` maps a key path of the experiment data (() is the whole file)
    to a new value or DELETE; the one problem reported must start with `field` and hold
    `expect`, and be blamed on `blame` ('experiment' or a base file under the `bases` folder)."""

    id: str
    changes: dict[tuple, Any]
    field: str
    expect: str
    blame: str = "experiment"
    validate: bool = True  # also in the `run.py validate` batch (not for wrong-kind files)


def params(*parameters: tuple[str, Any]) -> dict[tuple, Any]:
    return {("parameters",): dict(parameters)}


CASES = [
    # --- the experiment's own fields
    Case("zero_rounds", {("rounds",): 0}, "rounds", "greater than or equal to 1"),
    Case("negative_replicates", {("replicates",): -1}, "replicates", "greater than or equal to 1"),
    Case("negative_root_seed", {("root_seed",): -5}, "root_seed", "greater than or equal to 0"),
    Case("rounds_true", {("rounds",): True}, "rounds", "are not numbers"),
    Case(
        "replicates_quoted", {("replicates",): "12"}, "replicates", "write numbers without quotes"
    ),
    Case("name_with_space", {("name",): "my sweep"}, "name", "should match pattern"),
    Case("name_with_slash", {("name",): "../escape"}, "name", "should match pattern"),
    Case("unknown_top_level_key", {("seeds",): 5}, "seeds", "unknown field"),
    Case("execution_worker_typo", {("execution", "worker"): 2}, "execution.worker", "unknown"),
    Case("on_error_ignore", {("execution", "on_error"): "ignore"}, "execution.on_error", "'stop'"),
    Case("missing_base_scenario", {("base_scenario",): DELETE}, "base_scenario", "required field"),
    Case("unknown_outcome", {("outcomes", 1): "truce_survived"}, "outcomes[1]", "'truce_survived'"),
    Case("duplicate_outcome", {("outcomes", 1): "mou_collapsed_round"}, "outcomes", "listed once"),
    Case(
        "unknown_timeseries_metric",
        {("timeseries", "metrics", 1): "escalation"},
        "timeseries.metrics[1]",
        "unknown metric 'escalation'",
    ),
    Case(
        "timeseries_round_listed",
        {("timeseries", "metrics", 1): "round"},
        "timeseries.metrics[1]",
        "'round' is always kept",
    ),
    Case(
        "timeseries_every_0",
        {("timeseries", "every"): 0},
        "timeseries.every",
        "greater than or equal to 1",
    ),
    # --- the design
    Case("design_kind_factorial", {("design", "kind"): "factorial"}, "design.kind", "'morris'"),
    Case(
        "sobol_samples_48",
        {("design",): {"kind": "sobol", "samples": 48}, **params(("lebanon.mean", real(0, 1)))},
        "design",
        "power of two",
    ),
    Case(
        "lhs_without_samples",
        {("design",): {"kind": "latin_hypercube"}, **params(("lebanon.mean", real(0, 1)))},
        "design",
        "needs `samples`",
    ),
    Case("grid_with_samples", {("design", "samples"): 10}, "design", "takes no `samples`"),
    # designs too small for an interval, or biased (F3: minimum sizes, even Morris levels)
    Case(
        "sobol_one_sample",
        {("design",): {"kind": "sobol", "samples": 1}, **params(("lebanon.mean", real(0, 1)))},
        "design.samples",
        "at least 8 are needed",
    ),
    Case(
        "sobol_four_samples",
        {("design",): {"kind": "sobol", "samples": 4}, **params(("lebanon.mean", real(0, 1)))},
        "design.samples",
        "too few distinct resamples",
    ),
    Case(
        "morris_one_trajectory",
        {("design",): {"kind": "morris", "samples": 1}, **params(("lebanon.mean", real(0, 1)))},
        "design.samples",
        "at least 5 are needed",
    ),
    Case(
        "morris_odd_levels",
        {
            ("design",): {"kind": "morris", "samples": 6, "levels": 3},
            **params(("lebanon.mean", real(0, 1))),
        },
        "design.levels",
        "an even number of levels, got 3",
    ),
    Case(
        "grid_with_range",
        params(("levers.doctrine_split", real(0, 1))),
        "parameters.levers.doctrine_split",
        "a grid design needs a list of values",
    ),
    Case("no_parameters", {("parameters",): {}}, "parameters", "at least 1 item"),
    # --- parameter paths
    Case(
        "unknown_parameter_path",
        params(("levers.c2_postur", ["fixed_littoral"])),
        "parameters.levers.c2_postur",
        "unknown parameter",
    ),
    Case(
        "list_index_out_of_range",
        params(("actors.hosts[9].rationality", [1.0, 2.0])),
        "parameters.actors.hosts[9].rationality",
        "unknown parameter",
    ),
    Case(
        "parameter_path_capitals",
        params(("Levers.c2_posture", ["fixed_littoral"])),
        "parameters.Levers.c2_posture",
        "not a parameter path",
    ),
    Case(
        "leading_zero_index",  # one field, one spelling: hosts[00] would duplicate hosts[0]
        params(("actors.hosts[00].rationality", [1.0, 2.0])),
        "parameters.actors.hosts[00].rationality",
        "indices without leading zeros",
    ),
    Case(
        "whole_section",
        params(("shipping.premium", [1, 2])),
        "parameters.shipping.premium",
        "points at a section of",
    ),
    Case("whole_list", params(("nodes", [1, 2])), "parameters.nodes", "points at a list of"),
    Case(
        "run_length_swept",
        params(("clock.rounds", [30, 60])),
        "parameters.clock.rounds",
        "experiment's own `rounds`",
    ),
    Case(
        "yaml_reads_1e5_as_text",
        params(("shipping.arrivals_per_round", ["1e5"])),
        "parameters.shipping.arrivals_per_round",
        "YAML reads 1e5 as text",
    ),
    # --- values the scenario refuses
    Case(
        "doctrine_split_1_5",
        params(("levers.doctrine_split", [0.5, 1.5])),
        "parameters.levers.doctrine_split",
        "value 1.5 is not valid in the scenario",
    ),
    Case(
        "mou_linkage_loose",
        params(("levers.mou_linkage", ["linked", "loose"])),
        "parameters.levers.mou_linkage",
        "value 'loose' is not valid in the scenario",
    ),
    Case(
        "range_end_out_of_bounds",
        {("design",): LHS, **params(("levers.doctrine_split", real(0.2, 1.2)))},
        "parameters.levers.doctrine_split",
        "is not valid in the scenario",
    ),
    Case(
        "values_invalid_together",  # each is fine alone; strained_at 2.5 > suspended_at 2.0 is not
        params(("mou.strained_at", [0.5, 2.5]), ("mou.suspended_at", [2.0, 5.0])),
        "parameters.mou.strained_at",
        "with mou.suspended_at=2.0 is not valid",
    ),
    Case(
        "parameter_breaks_theatre",
        params(("shipping.routes[0].destination", ["bab_el_mandeb"])),
        "parameters.shipping.routes[0].destination",
        "no sea-lane path",
    ),
    # --- ranges
    Case(
        "empty_real_range",
        {("design",): LHS, **params(("lebanon.mean", real(0.5, 0.5)))},
        "parameters.lebanon.mean",
        "empty range",
    ),
    Case(
        "inverted_int_range",
        {("design",): LHS, **params(("actors.centcom.limited_package_targets", integer(12, 8)))},
        "parameters.actors.centcom.limited_package_targets",
        "empty range",
    ),
    Case(
        "range_type_float",
        {("design",): LHS, **params(("lebanon.mean", {"type": "float", "low": 0, "high": 1}))},
        "parameters.lebanon.mean",
        "'real'",
    ),
    Case(
        "real_range_over_integer_field",
        {("design",): LHS, **params(("shipping.crew", real(1.5, 30)))},
        "parameters.shipping.crew",
        "use {type: int, low: 2, high: 30}",
    ),
    Case(
        "range_over_date",
        {("design",): LHS, **params(("clock.start_date", integer(0, 5)))},
        "parameters.clock.start_date",
        "a date field can't be sampled from a range",
    ),
    Case(
        "range_over_enum",
        {("design",): LHS, **params(("levers.mou_linkage", integer(0, 1)))},
        "parameters.levers.mou_linkage",
        "an int range needs a number field, but this is a text field",
    ),
    Case(
        "range_end_quoted",
        {("design",): LHS, **params(("lebanon.mean", real("0", 1)))},
        "parameters.lebanon.mean.low",
        "valid number",
    ),
    Case(
        "int_range_end_boolean",
        {("design",): LHS, **params(("shipping.crew", integer(True, 30)))},
        "parameters.shipping.crew.low",
        "valid integer",
    ),
    Case(
        "range_end_infinite",
        {("design",): LHS, **params(("lebanon.mean", real(0, float("inf"))))},
        "parameters.lebanon.mean.high",
        "finite number",
    ),
    # --- listed values of the wrong type (pydantic's lax mode would coerce them)
    Case(
        "mixed_types_in_list",
        params(("levers.doctrine_split", [0.5, "0.7", True])),
        "parameters.levers.doctrine_split",
        "got '0.7' (text); write numbers without quotes",
    ),
    Case(
        "boolean_in_number_list",
        params(("levers.doctrine_split", [0.5, True])),
        "parameters.levers.doctrine_split",
        "got True (a boolean)",
    ),
    Case(
        "fraction_in_integer_list",
        params(("shipping.crew", [10, 20.5])),
        "parameters.shipping.crew",
        "expected a whole number (an integer field), got 20.5",
    ),
    Case(
        "number_for_enum",
        params(("levers.mou_linkage", ["linked", 1])),
        "parameters.levers.mou_linkage",
        "expected text (a text field), got 1",
    ),
    Case(
        "text_for_boolean",
        params(("nodes[0].c2", [True, "yes"])),
        "parameters.nodes[0].c2",
        "expected true or false, got 'yes'",
    ),
    Case(
        "nan_in_list",
        params(("levers.doctrine_split", [0.5, float("nan")])),
        "parameters.levers.doctrine_split[1]",
        "expected a finite number",
    ),
    Case(
        "null_in_list",
        params(("levers.doctrine_split", [0.5, None])),
        "parameters.levers.doctrine_split[1]",
        "got null",
    ),
    Case(
        "one_value_not_a_list",
        params(("levers.doctrine_split", 0.5)),
        "parameters.levers.doctrine_split",
        "expected a list of values",
    ),
    Case(
        "empty_value_list",
        params(("levers.c2_posture", [])),
        "parameters.levers.c2_posture",
        "at least 1",
    ),
    Case(
        "value_listed_twice",
        params(("levers.doctrine_split", [0.5, 0.5])),
        "parameters.levers.doctrine_split",
        "listed more than once",
    ),
    Case(
        "same_value_written_two_ways",  # 1 and 1.0 are one float level
        params(("levers.doctrine_split", [1, 1.0])),
        "parameters.levers.doctrine_split",
        "listed more than once",
    ),
    Case(
        "too_many_levels",
        params(("shipping.crew", list(range(1001)))),
        "parameters.shipping.crew",
        "at most 1000 items",
    ),
    # --- designs too big to build or to run (counted, never built)
    Case(
        "grid_of_10_to_the_12",
        params(*((path, list(range(1, 11))) for path in TWELVE_WEIGHTS)),
        "parameters",
        "= 1,000,000,000,000 points",
    ),
    Case(
        "sobol_too_many_points",
        {("design",): {"kind": "sobol", "samples": 2**19}, **params(("lebanon.mean", real(0, 1)))},
        "design.samples",
        "a sobol design of 1,572,864 points",
    ),
    Case(
        "lhs_too_many_cells",
        {
            ("design",): {"kind": "latin_hypercube", "samples": 1_000_000},
            **params(*((path, real(0, 1)) for path in TWELVE_WEIGHTS[:11])),
        },
        "design.samples",
        "(11,000,000 values)",
    ),
    Case(
        "morris_too_many_runs",
        {
            ("design",): {"kind": "morris", "samples": 1000},
            ("replicates",): 10_000,
            **params(("lebanon.mean", real(0, 1))),
        },
        "replicates",
        "= 20,000,000 runs",
    ),
    Case(
        "grid_too_many_runs",
        {
            ("replicates",): 1_000_000,
            **params(*((path, [1.0, 2.0]) for path in TWELVE_WEIGHTS[:4])),
        },
        "replicates",
        "16 points x 1,000,000 replicates = 16,000,000 runs",
    ),
    # --- the base scenario (blamed on the file at fault, naming the field)
    Case(
        "base_scenario_not_found",
        {("base_scenario",): "nowhere.yaml"},
        "base_scenario",
        "not found",
    ),
    Case(
        "base_scenario_is_folder",
        {("base_scenario",): "{bases}/folder"},
        "base_scenario",
        "is a folder, expected a YAML file",
    ),
    Case(
        "base_scenario_is_an_experiment",
        {("base_scenario",): str(SWEEPS / "sensitivity.yaml")},
        "base_scenario",
        "is an experiment file; expected a scenario file",
    ),
    Case(
        "base_scenario_typo",
        {("base_scenario",): "{bases}/typo.yaml"},
        "actors.irgc.rationalty",
        "unknown field",
        blame="typo.yaml",
    ),
    Case(
        "base_scenario_typo_in_its_own_base",  # blamed on the file two extends: away
        {("base_scenario",): "{bases}/child_of_typo.yaml"},
        "actors.irgc.rationalty",
        "reached by extends: from",
        blame="typo.yaml",
    ),
    Case(
        "base_scenario_unparsable",
        {("base_scenario",): "{bases}/unparsable.yaml"},
        "line 2, column 6",
        "not valid YAML",
        blame="unparsable.yaml",
    ),
    Case(
        "base_scenario_theatre",
        {("base_scenario",): "{bases}/theatre.yaml"},
        "base_scenario",
        "no sea-lane path",
    ),
    # --- not an experiment at all
    Case(
        "scenario_given_as_experiment",
        {(): "DEFAULT"},
        "this is a scenario file, not an experiment file",
        "run.py simulate --scenario",
        validate=False,  # validate checks it as the scenario it is
    ),
    Case(
        "nothing_an_experiment_has",
        {(): {"colour": "blue", "size": 3}},
        "none of the 2 top-level keys",
        "is this the right file?",
    ),
]


# --- building the case files ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> Path:
    """Base scenarios with one thing wrong, each a few lines extending the default."""
    folder = tmp_path_factory.mktemp("bases")
    (folder / "folder").mkdir()
    write(folder / "typo.yaml", {"extends": str(DEFAULT), "actors": {"irgc": {"rationalty": 1}}})
    write(folder / "child_of_typo.yaml", {"extends": "typo.yaml", "name": "child"})
    (folder / "unparsable.yaml").write_text("name: [unclosed\nclock: 1\n", encoding="utf-8")
    route = {**read_yaml(DEFAULT)["shipping"]["routes"][0], "destination": "bab_el_mandeb"}
    write(folder / "theatre.yaml", {"extends": str(DEFAULT), "shipping": {"routes": [route]}})
    return folder


def write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def good_experiment(output: Path) -> dict:
    data = read_yaml(SWEEPS / "policy_levers.yaml")
    data["base_scenario"] = str(DEFAULT)
    data["output"] = str(output)
    return data


def apply(data: dict, changes: dict[tuple, Any], bases: Path) -> Any:
    data = copy.deepcopy(data)
    for path, value in changes.items():
        if value == "DEFAULT":
            value = read_yaml(DEFAULT)
        if isinstance(value, str):
            value = value.replace("{bases}", str(bases))
        if not path:
            data = value
            continue
        node = data
        for key in path[:-1]:
            node = node[key]
        if value is DELETE:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return data


def case_file(case: Case, folder: Path, bases: Path) -> Path:
    output = folder / f"{case.id}.results"
    return write(folder / f"{case.id}.yaml", apply(good_experiment(output), case.changes, bases))


@pytest.fixture(scope="module")
def case_files(tmp_path_factory, bases) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cases")
    return {case.id: case_file(case, folder, bases) for case in CASES}


def expected_file(case: Case, path: Path, bases: Path) -> str:
    return str(path) if case.blame == "experiment" else str(bases / case.blame)


# --- in process ----------------------------------------------------------------------------------


def test_the_good_experiment_loads_and_plans(tmp_path):
    path = write(tmp_path / "good.yaml", good_experiment(tmp_path / "out"))
    plan = plan_sweep(load_experiment(path), workers=1)
    assert plan.total_runs == 8 * 200
    assert not (tmp_path / "out").exists()


def test_case_ids_are_unique():
    assert len({case.id for case in CASES}) == len(CASES)


@contextlib.contextmanager
def memory_cap(extra: int = MEMORY_CAP):
    """Let this process grow by at most `extra` bytes of address space (a MemoryError beyond)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    in_use = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (in_use + extra, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_case_is_refused_with_exactly_its_problem(case: Case, case_files, bases):
    path = case_files[case.id]
    started = time.perf_counter()
    with memory_cap(), pytest.raises(ScenarioError) as caught:
        plan_sweep(load_experiment(path), workers=1)
    elapsed = time.perf_counter() - started
    error = caught.value
    assert len(error.problems) == 1, error.problems
    problem = error.problems[0]
    assert (
        problem.startswith(f"{case.field}: ")
        or (case.field.startswith("this is") or case.field.startswith("none of"))
        and problem.startswith(case.field)
    ), problem
    assert case.expect in problem, problem
    assert error.files == [expected_file(case, path, bases)], error.files
    assert str(error) == f"{error.files[0]}: {problem}"
    assert not (path.parent / f"{case.id}.results").exists()
    # Building a design of this size would take hours; 30 s leaves room for a loaded machine.
    assert elapsed < 30, f"{elapsed:.1f} s to refuse"


def test_sizes_are_counted_without_building_the_design():
    data = good_experiment(Path("/nonexistent"))
    experiment = Experiment.model_validate(data)
    assert design_points(experiment) == 8 and planned_runs(experiment) == 1600
    sampled = {**data, "parameters": {p: real(0, 1) for p in TWELVE_WEIGHTS[:5]}}
    for kind, points in [("latin_hypercube", 64), ("sobol", 64 * 7), ("morris", 64 * 6)]:
        experiment = Experiment.model_validate({**sampled, "design": {"kind": kind, "samples": 64}})
        assert design_points(experiment) == points == len(design_table(experiment))
        assert planned_runs(experiment) == points * 200
    assert MAX_DESIGN_POINTS * 10 >= MAX_RUNS >= MAX_DESIGN_POINTS


def test_accepted_edges_keep_one_type_per_column(tmp_path):
    """Values written in another but compatible form are normalised to the field's type: ints
    in a number field become floats, whole floats in an integer field become ints, dates stay
    text; an int range over a number field yields integers only."""
    data = good_experiment(tmp_path / "out")
    data["parameters"] = {
        "levers.doctrine_split": [0, 0.5, 1],
        "shipping.crew": [10, 20.0],
        "clock.start_date": ["2026-01-01", "2026-03-01"],
    }
    loaded = load_experiment(write(tmp_path / "edges.yaml", data))
    table = design_table(loaded.experiment)
    assert table["levers.doctrine_split"].dtype == "float64"
    assert table["shipping.crew"].dtype == "int64"
    assert set(map(type, table["clock.start_date"])) == {str}
    data["design"] = {"kind": "latin_hypercube", "samples": 8}
    data["parameters"] = {"levers.doctrine_split": integer(0, 1)}
    table = design_table(load_experiment(write(tmp_path / "int_range.yaml", data)).experiment)
    assert set(map(type, table["levers.doctrine_split"])) == {int}


def test_a_child_overriding_its_bases_bad_value_is_accepted(tmp_path):
    scenario = read_yaml(DEFAULT)
    scenario["levers"]["doctrine_split"] = 7  # bad in the base ...
    write(tmp_path / "base.yaml", scenario)
    write(tmp_path / "child.yaml", {"extends": "base.yaml", "levers": {"doctrine_split": 0.4}})
    data = good_experiment(tmp_path / "out")
    data["base_scenario"] = "child.yaml"  # ... fixed by the child the experiment uses
    loaded = load_experiment(write(tmp_path / "experiment.yaml", data))
    assert loaded.base_data["levers"]["doctrine_split"] == 0.4


def test_validate_answers_a_huge_grid_within_a_second(case_files):
    started = time.perf_counter()
    with pytest.raises(ScenarioError, match="1,000,000,000,000 points"):
        load_experiment(case_files["grid_of_10_to_the_12"])
    assert time.perf_counter() - started < 1.0


# --- raw files: YAML syntax and shape ------------------------------------------------------------


@dataclass(frozen=True)
class RawFixture:
    path: Path
    expect: str
    field: str = field(default="-")


def read_header(path: Path) -> RawFixture:
    header: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# "):
            break
        key, _, value = line[2:].partition(":")
        header[key.strip()] = value.strip()
    return RawFixture(path, header["expect"], header["field"])


RAW = [read_header(path) for path in sorted(FIXTURE_DIR.glob("*.yaml"))]


def test_raw_fixtures_are_only_what_a_table_cannot_express():
    assert {fixture.path.stem for fixture in RAW} == {
        "duplicate_key",
        "empty_file",
        "top_level_list",
        "unparsable_yaml",
    }


@pytest.mark.parametrize("fixture", RAW, ids=lambda fixture: fixture.path.stem)
def test_raw_fixture_is_refused_naming_the_line(fixture: RawFixture):
    with pytest.raises(ScenarioError) as caught:
        load_experiment(fixture.path)
    assert caught.value.problems == [caught.value.problems[0]]
    problem = caught.value.problems[0]
    assert fixture.expect in problem
    if fixture.field != "-":
        assert problem.startswith(f"{fixture.field}: ")
    assert caught.value.files == [str(fixture.path)]


def test_a_file_not_in_utf8_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"line 1: not UTF-8 text \(byte 0xe9\)"):
        load_experiment(path)


# --- through run.py ------------------------------------------------------------------------------


# run.py with a cap on its memory: if counting before building ever broke, a 10^12-point grid
# must fail this test with a MemoryError, not take the shared machine down.
LIMITED_RUN = f"""
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))
sys.argv = ["run.py", *sys.argv[1:]]
runpy.run_path("run.py", run_name="__main__")
"""


def run_py(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", LIMITED_RUN, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def test_cli_validate_refuses_every_case_naming_file_field_and_problem(case_files, bases):
    """One `run.py validate` over every case file: each is named with its field and problem."""
    files = [case_files[case.id] for case in CASES if case.validate]
    raw = [str(fixture.path) for fixture in RAW]
    done = run_py("validate", *map(str, files), *raw)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2
    assert f"0 of {len(files) + len(raw)} files valid" in done.stdout
    for case in CASES:
        if case.validate:
            where = expected_file(case, case_files[case.id], bases)
            assert f"{where}: {case.field}" in done.stderr, case.id
            assert case.expect in done.stderr, case.id


@pytest.mark.parametrize(
    "case_id",
    [
        "mixed_types_in_list",
        "scenario_given_as_experiment",
        "grid_of_10_to_the_12",
        "base_scenario_typo",
    ],
)
def test_cli_sweep_exits_2_before_any_run(case_id, case_files, bases):
    case = next(case for case in CASES if case.id == case_id)
    path = case_files[case_id]
    started = time.perf_counter()
    done = run_py("sweep", str(path), "--workers", "1", "--quiet")
    assert time.perf_counter() - started < 10  # imports included
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert f"{expected_file(case, path, bases)}: {case.field}" in done.stderr
    assert case.expect in done.stderr
    assert not (path.parent / f"{case_id}.results").exists()


def test_shipped_experiments_load_and_plan_without_running():
    for name, points, runs in [("policy_levers", 8, 1600), ("sensitivity", 64 * 11, 5632)]:
        loaded = load_experiment(SWEEPS / f"{name}.yaml")
        existed = loaded.output.exists()
        plan = plan_sweep(loaded, workers=1)
        assert len(plan.design) == points == design_points(loaded.experiment)
        assert plan.total_runs == runs == planned_runs(loaded.experiment)
        assert list(plan.design.columns) == ["point", *loaded.experiment.parameters]
        assert loaded.output.exists() == existed, "planning touched the results folder"


def test_an_accepted_sweep_with_edge_values_runs_and_stores_typed_columns(tmp_path):
    """Whatever validate accepts runs: dates, ints given for a number field."""
    data = good_experiment(tmp_path / "out")
    data.update(rounds=1, replicates=1, timeseries=None)
    data["parameters"] = {
        "levers.doctrine_split": [0, 1],
        "clock.start_date": ["2026-01-01", "2027-06-30"],
    }
    data = {key: value for key, value in data.items() if value is not None}
    path = write(tmp_path / "edges.yaml", data)
    assert run_py("validate", str(path)).returncode == 0
    done = run_py("sweep", str(path), "--workers", "1", "--quiet")
    assert done.returncode == 0, done.stderr
    runs = pd.read_parquet(tmp_path / "out" / "runs")
    assert len(runs) == 4 and set(runs["status"]) == {"ok"}
    assert runs["param:levers.doctrine_split"].dtype == "float64"
    assert sorted(set(runs["param:clock.start_date"])) == ["2026-01-01", "2027-06-30"]
