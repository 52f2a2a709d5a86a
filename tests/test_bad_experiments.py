"""Bad experiment files never start a sweep: each is refused up front with a message naming the
file and the field, in process (`load_experiment` + `plan_sweep`) and through `run.py sweep`
(exit 2, no traceback, no results folder).

Every file in tests/fixtures/bad_experiments/ is a small experiment with one thing wrong. It
starts with header comments:

    # expect: <substring of the expected message>
    # field: <field path the message names; '-' for a whole-file problem, or
    #         'line L, column C' for a YAML syntax error>
    # change: <what is wrong, for humans>

They use `base_scenario: ../../../configs/scenarios/gulf_2026.yaml` unless the case is about the
base scenario, and `output: ../../../.test-results/<file stem>`, a folder a refused file must
never create. The shipped sweeps in configs/sweeps/ are the positive counterpart: they load and
plan to the documented sizes without running anything.

`run.py sweep` imports the sweep machinery (pandas, SciPy, Mesa) before it reads the file, so a
subprocess costs a few seconds; all of them are started on a pool of two threads before the first
test of this module and run while the in-process tests do.

Known bugs in wargame/ are marked `xfail(strict=True)` with the reason: once fixed, the case
XPASSes and fails, so remove its entry from the XFAIL tables below.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from wargame.config.loader import ScenarioError, load_experiment
from wargame.experiments.sweep import plan_sweep

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "bad_experiments"
FIXTURE_REL = FIXTURE_DIR.relative_to(ROOT)
RESULTS = ROOT / ".test-results"  # where the fixtures' `output:` points; must never appear
SWEEPS = ROOT / "configs" / "sweeps"
STANDARD_BASE = "base_scenario: ../../../configs/scenarios/gulf_2026.yaml"
CLI_TIMEOUT_S = 180
CLI_THREADS = 2

# pydantic's names for union members and dict keys: never part of a field path a user reads.
PYDANTIC_LOCATION_NOISE = ("union[", "function-after[", "[key]")

# The cases the brief asks for (by file stem); extra fixtures are welcome.
REQUIRED = {
    "unknown_parameter_path",
    "list_index_out_of_range",
    "doctrine_split_1_5",
    "mou_linkage_loose",
    "empty_real_range",
    "inverted_int_range",
    "empty_value_list",
    "design_kind_factorial",
    "sobol_samples_48",
    "lhs_without_samples",
    "grid_with_samples",
    "grid_with_range",
    "negative_replicates",
    "zero_rounds",
    "unknown_outcome",
    "duplicate_outcome",
    "unknown_timeseries_metric",
    "timeseries_every_0",
    "unknown_top_level_key",
    "execution_worker_typo",
    "on_error_ignore",
    "missing_base_scenario",
    "base_scenario_not_found",
    "base_scenario_invalid",
    "unparsable_yaml",
    "empty_file",
    "name_with_space",
    "name_with_slash",
    "negative_root_seed",
    "range_type_float",
}
# Cases about the base scenario itself (they point elsewhere, or nowhere).
OWN_BASE = {
    "missing_base_scenario",
    "base_scenario_not_found",
    "base_scenario_is_folder",
    "base_scenario_invalid",
    "base_scenario_unparsable",
    "base_scenario_theatre",
}

# --- known bugs in wargame/ (strict xfail; none open now: add entries here if one appears) ----

# Refused by neither load_experiment nor plan_sweep (and run by the CLI).
XFAIL_ACCEPTED: dict[str, str] = {}
# Refused, but the message does not name the field at all.
XFAIL_NO_FIELD: dict[str, str] = {**XFAIL_ACCEPTED}
# Refused and the field is named, but not as a clean 'field.path: message' line.
XFAIL_LINE_FORMAT: dict[str, str] = {**XFAIL_NO_FIELD}


# --- the fixtures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    path: Path
    expect: str
    field: str  # '-' when the problem is the whole file

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def rel(self) -> str:
        """The path as given to run.py (relative to the repo root, the subprocess cwd)."""
        return str(FIXTURE_REL / self.path.name)

    @property
    def output(self) -> Path:
        return RESULTS / self.stem


def read_header(path: Path) -> Fixture:
    header: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# "):
            break
        key, _, value = line[2:].partition(":")
        header[key.strip()] = value.strip()
    return Fixture(path, header.get("expect", ""), header.get("field", ""))


FIXTURES = [read_header(path) for path in sorted(FIXTURE_DIR.glob("*.yaml"))]


def params(xfails: dict[str, str]) -> list:
    return [
        pytest.param(
            fixture,
            id=fixture.stem,
            marks=[pytest.mark.xfail(strict=True, reason=xfails[fixture.stem])]
            if fixture.stem in xfails
            else [],
        )
        for fixture in FIXTURES
    ]


def test_fixture_set_covers_the_brief():
    stems = {fixture.stem for fixture in FIXTURES}
    assert len(FIXTURES) >= 18
    assert stems >= REQUIRED, f"missing fixtures: {sorted(REQUIRED - stems)}"
    assert set(XFAIL_LINE_FORMAT) <= stems, "an xfail entry names no fixture"
    assert sorted(p.name for p in FIXTURE_DIR.iterdir()) == sorted(f"{s}.yaml" for s in stems)
    for fixture in FIXTURES:
        text = fixture.path.read_text(encoding="utf-8")
        assert fixture.expect and fixture.field, f"{fixture.path.name}: header incomplete"
        assert len(text.splitlines()) <= 20, f"{fixture.path.name}: keep fixtures small"
        if "\noutput:" in text:
            assert f"\noutput: ../../../.test-results/{fixture.stem}\n" in text, fixture.stem
        if "\nbase_scenario:" in text and fixture.stem not in OWN_BASE:
            assert f"\n{STANDARD_BASE}\n" in text, fixture.stem


# --- in process -----------------------------------------------------------------------------------


def refusal(fixture: Fixture) -> ScenarioError:
    """The ScenarioError that loading and planning the fixture raise (fails if none)."""
    with pytest.raises(ScenarioError) as caught:
        plan_sweep(load_experiment(fixture.path), workers=1)
    assert not fixture.output.exists(), f"{fixture.output} created without a run"
    return caught.value


@pytest.mark.parametrize("fixture", params(XFAIL_NO_FIELD))
def test_load_and_plan_refuse_naming_file_and_field(fixture: Fixture):
    error = refusal(fixture)
    assert error.source == str(fixture.path)
    message = str(error)
    assert fixture.path.name in message
    assert all(line.startswith(f"{fixture.path}: ") for line in message.splitlines()), message
    named = [
        problem
        for problem in error.problems
        if fixture.expect in problem and (fixture.field == "-" or fixture.field in problem)
    ]
    assert named, f"no problem holds {fixture.expect!r} and {fixture.field!r}: {error.problems}"


@pytest.mark.parametrize("fixture", params(XFAIL_LINE_FORMAT))
def test_problem_lines_read_field_colon_message(fixture: Fixture):
    error = refusal(fixture)
    for problem in error.problems:
        assert not any(noise in problem for noise in PYDANTIC_LOCATION_NOISE), problem
    if fixture.field == "-":
        assert any(problem.startswith(fixture.expect) for problem in error.problems)
    else:
        lines = [p for p in error.problems if p.startswith(f"{fixture.field}: ")]
        assert lines, f"no problem starts with {fixture.field!r}: {error.problems}"
        assert any(fixture.expect in line for line in lines), lines


@pytest.mark.parametrize(
    ("name", "points", "replicates"),
    [("policy_levers", 8, 200), ("sensitivity", 64 * (9 + 2), 8)],
)
def test_shipped_experiments_load_and_plan_without_running(name, points, replicates):
    path = SWEEPS / f"{name}.yaml"
    loaded = load_experiment(path)
    output_existed = loaded.output.exists()
    plan = plan_sweep(loaded, workers=1)
    assert loaded.experiment.name == name
    assert len(plan.design) == points
    assert loaded.experiment.replicates == replicates
    assert plan.total_runs == points * replicates
    assert plan.total_runs == {"policy_levers": 1600, "sensitivity": 5632}[name]
    assert list(plan.design.columns) == ["point", *loaded.experiment.parameters]
    assert loaded.output == (ROOT / "results" / name).resolve()
    assert loaded.output.exists() == output_existed, "planning touched the results folder"


# --- through run.py -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str
    created_output: bool


def run_sweep_cli(fixture: Fixture) -> CliResult:
    done = subprocess.run(
        [sys.executable, "run.py", "sweep", fixture.rel, "--workers", "1", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    created = fixture.output.exists()
    # A known bug runs the sweep: take its folder away so it cannot mask another case.
    shutil.rmtree(fixture.output, ignore_errors=True)
    return CliResult(done.returncode, done.stdout, done.stderr, created)


class CliJobs:
    """Every fixture's `run.py sweep`, started together on a small pool, awaited one by one."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=CLI_THREADS)
        self.futures: dict[str, Future] = {}

    def start(self, fixtures: list[Fixture]) -> None:
        for fixture in fixtures:
            if fixture.stem not in self.futures:
                self.futures[fixture.stem] = self.pool.submit(run_sweep_cli, fixture)

    def __getitem__(self, fixture: Fixture) -> CliResult:
        self.start([fixture])
        return self.futures[fixture.stem].result()


@pytest.fixture(scope="module")
def cli():
    if RESULTS.exists() and not any(RESULTS.iterdir()):
        RESULTS.rmdir()
    assert not RESULTS.exists(), f"{RESULTS} left over from an earlier run: remove it"
    jobs = CliJobs()
    yield jobs
    jobs.pool.shutdown(wait=True, cancel_futures=True)
    if RESULTS.exists() and not any(RESULTS.iterdir()):
        RESULTS.rmdir()


@pytest.fixture(scope="module", autouse=True)
def _start_cli_jobs_early(request):
    """Start the subprocesses of the selected CLI tests before the first test of the module."""
    selected = [
        item.callspec.params["fixture"]
        for item in request.session.items
        if item.module is request.module
        and "cli" in item.fixturenames
        and hasattr(item, "callspec")
        and "fixture" in item.callspec.params
    ]
    if selected:
        request.getfixturevalue("cli").start(selected)


@pytest.mark.parametrize("fixture", params(XFAIL_NO_FIELD))
def test_cli_sweep_exits_2_naming_file_and_field_before_any_run(cli, fixture: Fixture):
    result = cli[fixture]
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert not result.created_output, f"{fixture.output} was created"
    assert result.stdout == "", "nothing is printed before the file is accepted"
    assert fixture.rel in result.stderr
    assert fixture.expect in result.stderr
    if fixture.field != "-":
        assert fixture.field in result.stderr
