"""The command line starts light (issue 8): `--help`, argument errors and `validate` answer
without loading Mesa, pandas, pyarrow, SciPy, Dask or Solara, so a user waits a fraction of a
second, not the two or three that loading the engine and the sweep runner takes.

Imports are per process, so each command runs in a fresh interpreter, started as `python
run.py ...` would start it; on the way out it reports every top-level package it loaded. The
last test keeps the promise that whatever `validate` accepts runs: the design it checks without
pandas holds the very values a sweep runs.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from support import DEFAULT_SCENARIO, REPO

from wargame.config.loader import load_experiment
from wargame.experiments.design import design_rows, design_table, plain
from wargame.experiments.preflight import preflight
from wargame.experiments.sweep import plan_sweep

MARKER = "LOADED PACKAGES:"
# Run run.py as `python run.py ARGS` does (its folder first on the path), then name the
# top-level packages loaded, whether the command returned or exited.
WRAPPER = f"""
import runpy, sys
sys.path[0] = {str(REPO)!r}
sys.argv = ["run.py", *sys.argv[1:]]
try:
    runpy.run_path({str(REPO / "run.py")!r}, run_name="__main__")
finally:
    names = sorted({{name.split(".")[0] for name in sys.modules}})
    print({MARKER!r}, *names, file=sys.stderr)
"""
# The engine, the sweep runner and the faces' heavy dependencies: no cold command needs them.
HEAVY = frozenset(
    {"mesa", "pandas", "pyarrow", "scipy", "SALib", "solara", "dask", "distributed", "matplotlib"}
)
# Help needs none of the config layer or the theatre either (`--rounds` needs the schema).
CONFIG = frozenset({"pydantic", "yaml", "numpy", "networkx"})


def run_cold(*args: str) -> tuple[int, str, str, set[str]]:
    """(exit status, stdout, stderr without the report, packages loaded) of `run.py ARGS`."""
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    stderr, _, loaded = done.stderr.rpartition(MARKER)
    assert loaded, f"no report of the loaded packages; stderr: {done.stderr[-2000:]}"
    return done.returncode, done.stdout, stderr, set(loaded.split())


HELP = {
    (): ["usage: run.py", "play", "simulate", "sweep", "analyse", "validate"],
    ("play",): ["usage: run.py play", "--port", "--host", "--scenario"],
    ("simulate",): ["usage: run.py simulate", "--rounds", "--seed", "--format"],
    ("sweep",): ["usage: run.py sweep", "experiment", "--workers", "--dask"],
    ("analyse",): ["usage: run.py analyse", "results", "--report"],
    ("validate",): ["usage: run.py validate", "paths"],
}


@pytest.mark.parametrize("command", sorted(HELP), ids=lambda c: " ".join(c) or "run.py")
def test_help_loads_neither_the_engine_nor_the_config_layer(command):
    status, out, err, loaded = run_cold(*command, "--help")
    assert status == 0, err
    assert out.startswith("usage: run.py")
    for text in HELP[command]:
        assert text in out
    assert not loaded & (HEAVY | CONFIG), f"--help loaded {sorted(loaded & (HEAVY | CONFIG))}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "--rounds", "0"], "--rounds must be between 1 and"),
        (["simulate", "--seed", "x"], "--seed must be a whole number"),
        (["sweep"], "the following arguments are required: experiment"),
        (["no_such_command"], "invalid choice: 'no_such_command'"),
    ],
    ids=lambda a: " ".join(a) if isinstance(a, list) else "",
)
def test_argument_errors_answer_without_the_engine(args, message):
    status, out, err, loaded = run_cold(*args)
    assert status == 2
    assert message in err and "Traceback" not in err
    assert not loaded & HEAVY, f"{args} loaded {sorted(loaded & HEAVY)}"


def test_validate_checks_the_shipped_scenarios_without_mesa_or_pandas():
    status, out, err, loaded = run_cold("validate", str(DEFAULT_SCENARIO), "configs/scenarios")
    assert status == 0, err
    assert f"{DEFAULT_SCENARIO}: ok (" in out and " nodes, " in out
    assert "7 of 7 files valid" in out  # the default twice, then the folder's six
    assert "networkx" in loaded  # the theatre was built: routes over sea lanes are checked
    assert not loaded & HEAVY, f"validate loaded {sorted(loaded & HEAVY)}"


def write_yaml(path, data) -> str:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def test_validate_refuses_a_bad_scenario_without_mesa_or_pandas(tmp_path):
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    data["clock"]["rounds"] = 0
    data["mou"]["strained_at"] = "high"
    bad = write_yaml(tmp_path / "bad.yaml", data)
    status, out, err, loaded = run_cold("validate", bad, str(DEFAULT_SCENARIO))
    assert status == 2
    assert f"{bad}: clock.rounds: " in err and "greater than or equal to 1" in err
    assert f"{bad}: mou.strained_at: " in err and "Traceback" not in err
    assert "1 of 2 files valid" in out
    assert not loaded & HEAVY, f"validate loaded {sorted(loaded & HEAVY)}"


def experiment(folder, design: dict, parameters: dict, changes: dict | None = None) -> dict:
    """A small experiment on the default scenario; `changes` replace whole sections."""
    return {
        "name": design["kind"],
        "base_scenario": str(DEFAULT_SCENARIO),
        "rounds": 10,
        "replicates": 2,
        "root_seed": 5,
        "design": design,
        "parameters": parameters,
        "outcomes": ["truce_held", "highest_rung"],
        "timeseries": {"every": 5, "metrics": ["rung"]},
        "output": str(folder / f"results-{design['kind']}"),
        **(changes or {}),
    }


# A column of each value type a results table holds: float, text, int and bool.
RANGES = {
    "levers.doctrine_split": {"type": "real", "low": 0.1, "high": 0.9},
    "levers.mou_linkage": ["linked", "insulated"],
    "clock.round_hours": {"type": "int", "low": 12, "high": 24},
    "nodes[0].c2": [False, True],
}
GRID = {
    "levers.doctrine_split": [0.2, 0.9],
    "levers.mou_linkage": ["linked", "insulated"],
    "clock.round_hours": [12, 24],
    "nodes[0].c2": [False, True],
}
# Per design kind: (design, parameters, packages its sampler brings). SciPy samples the Latin
# hypercube; SALib samples Sobol and Morris designs and itself imports pandas (and so pyarrow).
DESIGNS = {
    "grid": ({"kind": "grid"}, GRID, set()),
    "latin_hypercube": ({"kind": "latin_hypercube", "samples": 12, "seed": 3}, RANGES, {"scipy"}),
    "sobol": (
        {"kind": "sobol", "samples": 8, "seed": 3},
        RANGES,
        {"scipy", "SALib", "pandas", "pyarrow"},
    ),
    "morris": (
        {"kind": "morris", "samples": 5, "levels": 4, "seed": 3},
        RANGES,
        {"scipy", "SALib", "pandas", "pyarrow"},
    ),
}


@pytest.mark.slow  # starts a fresh interpreter per design: the fast tier's time, CI runs it
@pytest.mark.parametrize("kind", sorted(DESIGNS))
def test_validate_checks_an_experiment_without_mesa(tmp_path, kind):
    design, parameters, sampler = DESIGNS[kind]
    path = write_yaml(tmp_path / f"{kind}.yaml", experiment(tmp_path, design, parameters))
    status, out, err, loaded = run_cold("validate", path)
    assert status == 0, err
    points = len(plan_sweep(load_experiment(path), workers=1).design)  # what a sweep plans
    assert f"{path}: ok (experiment {kind}: {points} points x 2 replicates = " in out
    assert not loaded & (HEAVY - sampler), f"validate loaded {sorted(loaded & (HEAVY - sampler))}"


def test_validate_checks_the_shipped_grid_sweep_without_pandas():
    status, out, err, loaded = run_cold("validate", "configs/sweeps/policy_levers.yaml")
    assert status == 0, err
    assert "ok (experiment policy_levers: 8 points x 200 replicates = 1,600 runs)" in out
    assert not loaded & HEAVY, f"validate loaded {sorted(loaded & HEAVY)}"


# What only the sweep's preflight (not the loader) catches, each by the field it names.
PREFLIGHT_PROBLEMS = {
    "outcome": ({"outcomes": ["truce_held", "no_such"]}, "outcomes[1]: unknown outcome 'no_such'"),
    "metric": (
        {"timeseries": {"every": 5, "metrics": ["rung", "no_such"]}},
        "timeseries.metrics[1]: unknown metric 'no_such'",
    ),
    "output": ({"output": "in_the_way"}, "output: 'in_the_way' (relative to this file): "),
    # Each end moved alone is a fine sea lane; moved together they make an edge from a node to
    # itself. The loader checks values one at a time, only the design's points show this.
    "point": (
        {
            "parameters": {
                "edges[7].a": ["central_gulf", "north_gulf"],
                "edges[7].b": ["bahrain_approach", "north_gulf"],
            }
        },
        "parameters: design point 3 (edges[7].a='north_gulf', edges[7].b='north_gulf') is not a "
        "valid scenario: edges[7]: an edge must join two different nodes",
    ),
}


@pytest.mark.parametrize("problem", sorted(PREFLIGHT_PROBLEMS))
def test_validate_refuses_what_a_sweep_would_refuse_without_mesa(tmp_path, problem):
    changes, message = PREFLIGHT_PROBLEMS[problem]
    (tmp_path / "in_the_way").write_text("a file where the results folder goes")
    data = experiment(tmp_path, {"kind": "grid"}, GRID, changes)
    path = write_yaml(tmp_path / "bad.yaml", data)
    status, out, err, loaded = run_cold("validate", path)
    assert status == 2, out
    assert f"{path}: {message}" in err and "Traceback" not in err
    assert "0 of 1 files valid" in out
    assert not loaded & HEAVY, f"validate loaded {sorted(loaded & HEAVY)}"


@pytest.mark.parametrize("kind", sorted(DESIGNS))
def test_validate_checks_the_very_values_a_sweep_runs(tmp_path, kind):
    """`validate` checks the design's rows; a sweep runs the values of the pandas table made
    from them. They must be the same values of the same types, or validate would accept what
    fails to run."""
    design, parameters, _ = DESIGNS[kind]
    loaded = load_experiment(
        write_yaml(tmp_path / "e.yaml", experiment(tmp_path, design, parameters))
    )
    rows = [tuple(plain(value) for value in row) for row in design_rows(loaded.experiment)]
    table = design_table(loaded.experiment)
    assert list(table["point"]) == list(range(len(rows)))
    run_values = [tuple(plain(v) for v in row[1:]) for row in table.itertuples(index=False)]
    assert run_values == rows
    types = [[type(v) for v in row] for row in rows]
    assert [[type(v) for v in row] for row in run_values] == types
    assert set(types[0]) == {float, str, int, bool}
    assert preflight(loaded).points_checked == len(rows) == len(plan_sweep(loaded, 1).design)
