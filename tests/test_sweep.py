"""Sweeps: the same runs table whatever the engine, nothing lost when a process dies, and a
restarted sweep that runs only what is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from wargame.cli.main import main
from wargame.config.loader import ScenarioError, load_experiment
from wargame.engine.metrics import MODEL_REPORTERS
from wargame.experiments.design import design_rows, design_table, iter_runs, run_seeds
from wargame.experiments.errors import StoreError
from wargame.experiments.outcomes import OUTCOME_TYPES, OUTCOMES
from wargame.experiments.preflight import check_points
from wargame.experiments.store import ResultStore, read_parts, write_atomically, writer_lock
from wargame.experiments.sweep import (
    InProcessExecutor,
    duration_text,
    local_pool,
    plan_sweep,
    run_sweep,
)

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "configs" / "scenarios" / "gulf_2026.yaml"
VOLATILE = ["duration_s"]  # wall-clock time is the one column allowed to differ


def experiment_file(folder: Path, name="mini", **changes) -> Path:
    data = {
        "name": name,
        "base_scenario": str(BASE),
        "rounds": 15,
        "replicates": 3,
        "root_seed": 99,
        "parameters": {
            "levers.mou_linkage": ["linked", "insulated"],
            "levers.doctrine_split": [0.2, 0.9],
        },
        "outcomes": [
            "mou_collapsed_round",
            "truce_held",
            "highest_rung",
            "host_damage",
            "casualties",
        ],
        "timeseries": {"every": 5, "metrics": ["rung", "mou"]},
        "output": str(folder / f"results-{name}"),
    }
    for key, value in changes.items():
        if key == "execution":  # the one section tests tweak rather than replace
            data[key] = {**data.get(key, {}), **value}
        else:
            data[key] = value
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def sweep(path: Path, workers: int, **kwargs):
    plan = plan_sweep(load_experiment(path), workers)
    make = InProcessExecutor if workers == 1 else (lambda: local_pool(workers))
    return plan, run_sweep(plan, make, **kwargs)


def sweep_process(path: Path, workers: int) -> subprocess.Popen:
    """`run.py sweep` in a process group of its own, so a test can signal all of it."""
    return subprocess.Popen(
        [sys.executable, str(REPO / "run.py"), "sweep", str(path), "--workers", str(workers)]
        + ["--quiet"],
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stored(plan) -> pd.DataFrame:
    return ResultStore(plan.loaded.output).read_runs()


def test_serial_and_two_workers_give_identical_runs(tmp_path):
    serial_plan, serial = sweep(experiment_file(tmp_path, "serial"), workers=1)
    pooled_plan, pooled = sweep(
        experiment_file(tmp_path, "pooled", execution={"runs_per_task": 2}), workers=2
    )
    assert serial.ran == pooled.ran == 12 and serial.failed == pooled.failed == 0
    a, b = stored(serial_plan).drop(columns=VOLATILE), stored(pooled_plan).drop(columns=VOLATILE)
    pd.testing.assert_frame_equal(a, b)
    assert a["run_id"].is_unique and len(a) == 12
    assert set(zip(a["point"], a["replicate"], strict=True)) == {
        (p, r) for p in range(4) for r in range(3)
    }
    series_a = ResultStore(serial_plan.loaded.output).read_timeseries()
    series_b = ResultStore(pooled_plan.loaded.output).read_timeseries()
    pd.testing.assert_frame_equal(series_a, series_b)
    assert sorted(series_a["round"].unique()) == [5, 10, 15]


def test_seeds_come_from_seed_sequence_and_ids_do_not_depend_on_batching(tmp_path):
    loaded = load_experiment(experiment_file(tmp_path))
    table = design_table(loaded.experiment)
    runs = list(iter_runs(loaded.experiment, table))
    expected = [
        int(child.generate_state(1, np.uint64)[0]) & ((1 << 63) - 1)
        for child in np.random.SeedSequence(99).spawn(12)
    ]
    assert [r.seed for r in runs] == expected == run_seeds(99, 12).tolist()
    assert len({r.run_id for r in runs}) == 12
    again = list(iter_runs(loaded.experiment, design_table(loaded.experiment)))
    assert [r.run_id for r in again] == [r.run_id for r in runs]


def test_a_sweep_of_some_points_runs_them_with_their_seeds_in_the_whole_design(tmp_path):
    whole_plan, _ = sweep(experiment_file(tmp_path, "whole"), workers=1)
    some = load_experiment(experiment_file(tmp_path, "some"))
    some_plan = plan_sweep(some, 1, points=[3, 1])
    report = run_sweep(some_plan, InProcessExecutor)
    assert report.ran == some_plan.total_runs == 6
    whole = stored(whole_plan).set_index(["point", "replicate"]).drop(columns=VOLATILE)
    part = stored(some_plan).set_index(["point", "replicate"]).drop(columns=VOLATILE)
    assert sorted(set(part.index.get_level_values("point"))) == [1, 3]
    # Same seeds, same runs: a subset is the whole design's runs at those points.
    pd.testing.assert_frame_equal(part.sort_index(), whole.loc[part.index].sort_index())
    assert some_plan.fingerprint != whole_plan.fingerprint  # never resumed as the whole
    with pytest.raises(ValueError, match="points must lie in 0..3"):
        plan_sweep(some, 1, points=[4])


def fail_runs_at(monkeypatch, doctrine_split: float) -> None:
    """Runs of this doctrine_split raise part-way, in this process (the engine has no input
    that `validate` accepts and a run then fails on, so the failure is injected)."""
    from wargame.experiments import worker

    real = worker.run_model

    def run_model(model, rounds):
        if model.spec.levers.doctrine_split == doctrine_split:
            raise OverflowError("date value out of range")
        return real(model, rounds)

    monkeypatch.setattr(worker, "run_model", run_model)


def test_a_run_that_raises_is_a_row_with_its_error(tmp_path, monkeypatch):
    fail_runs_at(monkeypatch, 0.9)
    plan, report = sweep(experiment_file(tmp_path, replicates=2), workers=1)
    assert report.ran == 8 and report.failed == 4
    runs = stored(plan)
    failed = runs[runs["status"] == "error"]
    assert set(failed["param:levers.doctrine_split"]) == {0.9}
    assert failed["error"].str.contains("OverflowError").all()
    assert failed["error"].str.contains("test_sweep.py", regex=False).all()
    assert failed["host_damage"].isna().all()
    assert (runs.loc[runs["status"] == "ok", "error"].isna()).all()
    assert report.ran == len(runs)  # the sweep went on to the end


def test_on_error_stop_ends_the_sweep(tmp_path, monkeypatch):
    from wargame.experiments.errors import SweepStoppedError

    fail_runs_at(monkeypatch, 0.2)
    path = experiment_file(
        tmp_path, execution={"on_error": "stop", "runs_per_task": 1, "max_in_flight": 1}
    )
    with pytest.raises(SweepStoppedError, match="OverflowError"):
        sweep(path, workers=1)


def test_restart_runs_only_the_missing_runs(tmp_path):
    path = experiment_file(tmp_path, execution={"rows_per_part": 3, "runs_per_task": 1})
    plan, first = sweep(path, workers=1)
    parts = sorted((plan.loaded.output / "runs").glob("part-*.parquet"))
    assert first.ran == 12 and len(parts) >= 2
    lost = len(pd.read_parquet(parts[1]))
    parts[1].unlink()
    _, second = sweep(path, workers=1)
    assert second.already_done == 12 - lost and second.ran == lost
    assert len(stored(plan)) == 12


def test_a_changed_experiment_is_not_mixed_into_old_results(tmp_path):
    path = experiment_file(tmp_path)
    sweep(path, workers=1)
    changed = experiment_file(tmp_path, replicates=4)
    with pytest.raises(StoreError, match="different experiment"):
        sweep(changed, workers=1)
    plan, report = sweep(changed, workers=1, fresh=True)
    assert report.already_done == 0 and len(stored(plan)) == 16


def test_a_local_worker_killed_mid_sweep_loses_no_runs(tmp_path):
    path = experiment_file(tmp_path, rounds=30, replicates=6, execution={"runs_per_task": 1})
    plan = plan_sweep(load_experiment(path), 2)
    pools = []

    def make():
        pools.append(local_pool(2))
        return pools[-1]

    killed = []

    def kill_one_worker(report):
        if not killed and report.ran >= 2 and pools[-1]._processes:
            pid = next(iter(pools[-1]._processes))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    report = run_sweep(plan, make, progress=kill_one_worker)
    assert killed, "the test never killed a worker"
    assert report.pool_rebuilds >= 1
    runs = stored(plan)
    assert len(runs) == 24 and (runs["status"] == "ok").all()
    raw = pd.concat(
        [pd.read_parquet(p) for p in (plan.loaded.output / "runs").glob("part-*.parquet")]
    )
    assert raw["run_id"].is_unique


@pytest.mark.slow  # several seconds of process start-up; CI runs it
def test_sweep_killed_with_sigkill_and_restarted_ends_with_the_planned_runs(tmp_path):
    path = experiment_file(
        tmp_path, rounds=40, replicates=8, execution={"rows_per_part": 2, "runs_per_task": 1}
    )
    command = [
        sys.executable,
        str(REPO / "run.py"),
        "sweep",
        str(path),
        "--workers",
        "2",
        "--quiet",
    ]
    runs_dir = Path(load_experiment(path).output) / "runs"
    process = subprocess.Popen(
        command,
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(runs_dir.glob("part-*.parquet"))) < 3:
        assert process.poll() is None, "the sweep finished before it could be killed"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    interrupted = read_parts(runs_dir)
    assert 0 < len(interrupted) < 32, "kill the sweep mid-way"
    finished = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert f"{len(interrupted)} already stored" in finished.stdout.replace(",", "")
    raw = pd.concat([pd.read_parquet(p) for p in runs_dir.glob("part-*.parquet")])
    assert raw["run_id"].is_unique, "a run was stored twice"
    planned = {(p, r) for p in range(4) for r in range(8)}
    assert set(zip(raw["point"], raw["replicate"], strict=True)) == planned
    assert not list(runs_dir.glob(".*.tmp")), "a half-written part was left behind"


@pytest.mark.parametrize(
    ("kind", "samples", "points"),
    [("latin_hypercube", 10, 10), ("sobol", 8, 8 * (3 + 2)), ("morris", 5, 5 * (3 + 1))],
)
def test_sampled_designs_stay_in_range_and_repeat(tmp_path, kind, samples, points):
    path = experiment_file(
        tmp_path,
        design={"kind": kind, "samples": samples, "seed": 3},
        parameters={
            "levers.doctrine_split": {"type": "real", "low": 0.1, "high": 0.9},
            "actors.centcom.limited_package_targets": {"type": "int", "low": 5, "high": 12},
            "levers.defence_mix": {
                "type": "categorical",
                "values": ["point_defence", "directed_energy_ew"],
            },
        },
    )
    experiment = load_experiment(path).experiment
    table = design_table(experiment)
    assert len(table) == points
    assert table["levers.doctrine_split"].between(0.1, 0.9).all()
    targets = table["actors.centcom.limited_package_targets"]
    assert targets.between(5, 12).all() and (targets == targets.round()).all()
    assert set(table["levers.defence_mix"]) <= {"point_defence", "directed_energy_ew"}
    if kind != "morris":  # Morris trajectories may sit on few levels
        assert table["levers.defence_mix"].nunique() == 2
    pd.testing.assert_frame_equal(table, design_table(experiment))


# --- the results table's types, folder safety, failures and interruption -------------------


def test_every_outcome_has_a_type():
    assert set(OUTCOME_TYPES) == set(OUTCOMES)


def test_every_part_has_one_schema_whatever_its_rows_or_size(tmp_path):
    every = {"outcomes": sorted(OUTCOME_TYPES), "rounds": 16, "replicates": 4}
    metrics = sorted(m for m in MODEL_REPORTERS if m != "round")
    one = experiment_file(
        tmp_path,
        "one",
        **every,
        timeseries={"every": 4, "metrics": metrics},
        execution={"rows_per_part": 1, "runs_per_task": 1},
    )
    many = experiment_file(
        tmp_path,
        "many",
        **every,
        timeseries={"every": 4, "metrics": metrics},
        execution={"rows_per_part": 1000},
    )
    plan_one, _ = sweep(one, workers=1)
    plan_many, _ = sweep(many, workers=1)
    parts = sorted((plan_one.loaded.output / "runs").glob("part-*.parquet"))
    assert len(parts) == 16
    schemas = {pq.read_schema(p) for p in parts}
    assert len(schemas) == 1, "parts differ in schema"
    # Some part holds only nulls in a nullable outcome (a truce that held), typed all the same.
    nulls = [pq.read_table(p).column("mou_collapsed_round").null_count for p in parts]
    assert 1 in nulls and 0 in nulls
    assert schemas.pop().field("mou_collapsed_round").type == pa.int64()
    a, b = stored(plan_one).drop(columns=VOLATILE), stored(plan_many).drop(columns=VOLATILE)
    pd.testing.assert_frame_equal(a, b)
    objects = [c for c in a.columns if pd.api.types.is_object_dtype(a[c])]
    assert not objects, f"object columns: {objects}"
    arrow = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}
    schema = pq.read_schema(parts[0])
    for name, kind in OUTCOME_TYPES.items():
        assert schema.field(name).type == arrow[kind], name
    plain_one = pd.read_parquet(plan_one.loaded.output / "runs")
    plain_many = pd.read_parquet(plan_many.loaded.output / "runs")
    assert plain_one.dtypes.to_dict() == plain_many.dtypes.to_dict()
    series = {pq.read_schema(p) for p in (plan_one.loaded.output / "timeseries").glob("part-*")}
    assert len(series) == 1
    pd.testing.assert_frame_equal(
        ResultStore(plan_one.loaded.output).read_timeseries(),
        ResultStore(plan_many.loaded.output).read_timeseries(),
    )


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("/dev/null", "not a folder but a device"),
        ("afile.txt", "not a folder but a regular file"),
        ("/proc/wargame-results", "is not writable"),
        ("afile.txt/results", "is a file"),
        (".", "is not empty and is not a results folder"),
        ("dangling", "it is a broken symbolic link (to nowhere"),
        ("dangling/results", "dangling, above it, is a broken symbolic link"),
        ("loop", "it is a loop of symbolic links"),
        ("loop/child", "loop, above it, is a loop of symbolic links"),
        ("link_to_file/results", "is a file"),
    ],
)
def test_a_bad_output_path_is_refused_before_any_run(tmp_path, capsys, output, expected):
    (tmp_path / "afile.txt").write_text("keep me")
    (tmp_path / "dangling").symlink_to("nowhere")
    (tmp_path / "loop").symlink_to("loop_back")
    (tmp_path / "loop_back").symlink_to("loop")
    (tmp_path / "link_to_file").symlink_to("afile.txt")
    path = experiment_file(tmp_path, output=output)
    before = sorted(tmp_path.rglob("*"))
    for command in (["sweep", str(path), "--workers", "1"], ["validate", str(path)]):
        assert main(command) == 2
        error = capsys.readouterr().err
        assert f"{path}: output: {output!r} (relative to this file)" in error
        assert expected in error and "expected" in error
    assert sorted(tmp_path.rglob("*")) == before, "something was written"


def test_a_link_to_an_existing_folder_stands_for_that_folder(tmp_path, capsys):
    """The other half of the symbolic-link rule: a link to a folder is used as the folder, for
    a new results folder, a resumed one and a --fresh one, and stays a link."""
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("real")
    path = experiment_file(tmp_path, output="link", replicates=1)
    for args, ran in (([], 4), ([], 0), (["--fresh"], 4)):
        assert main(["sweep", str(path), "--workers", "1", "--quiet", *args]) == 0
        assert f"done: {ran} runs now" in capsys.readouterr().out
        assert (tmp_path / "link").is_symlink() and (tmp_path / "real" / "manifest.json").exists()
        assert len(pd.read_parquet(tmp_path / "real" / "runs")) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "mini.yaml", "real"]


def test_output_is_relative_to_the_experiment_file(tmp_path, monkeypatch):
    path = experiment_file(tmp_path, output="out/here", replicates=1)
    monkeypatch.chdir("/")
    assert main(["sweep", str(path), "--workers", "1", "--quiet"]) == 0
    assert (tmp_path / "out" / "here" / "manifest.json").exists()


def test_design_points_invalid_together_are_refused_with_their_values(tmp_path):
    loaded = load_experiment(
        experiment_file(
            tmp_path, parameters={"mou.strained_at": [1.0, 2.5], "mou.suspended_at": [3.0, 4.0]}
        )
    )
    rows = design_rows(loaded.experiment)
    assert check_points(loaded, rows) == 4
    assert rows[3] == (2.5, 4.0)
    rows[3] = (2.5, 2.0)  # suspended_at 2.0 is fine alone, not with strained_at 2.5
    with pytest.raises(ScenarioError) as caught:
        check_points(loaded, rows)
    message = str(caught.value)
    assert "design point 3 (mou.strained_at=2.5, mou.suspended_at=2.0)" in message
    assert "strained_at < suspended_at" in message


def test_a_sweep_where_every_run_failed_exits_non_zero(tmp_path, capsys, monkeypatch):
    path = experiment_file(tmp_path, parameters={"levers.doctrine_split": [0.9]}, replicates=2)
    fail_runs_at(monkeypatch, 0.9)
    assert main(["sweep", str(path), "--workers", "1", "--quiet"]) == 1
    error = capsys.readouterr().err
    assert "none of the 2 runs succeeded" in error and "OverflowError" in error
    assert "`error` column of" in error and "runs" in error
    assert main(["sweep", str(path), "--workers", "1", "--quiet"]) == 1  # nor on a rerun


def test_partial_failures_are_reported(tmp_path, capsys, monkeypatch):
    path = experiment_file(tmp_path, replicates=1)
    fail_runs_at(monkeypatch, 0.9)
    assert main(["sweep", str(path), "--workers", "1", "--quiet"]) == 0
    error = capsys.readouterr().err
    assert "warning: 2 of 4 runs failed" in error and "2 x OverflowError" in error


def test_fresh_replaces_the_folder_whole(tmp_path):
    path = experiment_file(tmp_path, replicates=1)
    plan, _ = sweep(path, workers=1)
    folder = plan.loaded.output
    (folder / "runs" / ".part-x.parquet.tmp").write_text("half")
    (folder / "report.html").write_text("old report")
    stale = tmp_path / f".{folder.name}.building-999999999-dead"
    stale.mkdir()
    _, report = sweep(experiment_file(tmp_path, replicates=2), workers=1, fresh=True)
    assert report.already_done == 0 and len(stored(plan)) == 8
    assert sorted(p.name for p in folder.iterdir()) == [
        "design.parquet",
        "manifest.json",
        "runs",
        "timeseries",
    ]
    assert not list(folder.rglob(".*")) and not stale.exists()


def test_an_existing_empty_folder_becomes_the_results_folder(tmp_path):
    (tmp_path / "results-mini").mkdir()
    plan, report = sweep(experiment_file(tmp_path, replicates=1), workers=1)
    assert report.ran == 4 and len(stored(plan)) == 4


def test_eta_shows_days():
    assert duration_text(3 * 86_400 + 4 * 3600 + 12 * 60) == "3 d 04:12:00"
    assert duration_text(59.6) == "00:01:00"
    assert duration_text(3.7e12 / 10) == "4,282,407 d 09:46:40"


@pytest.mark.slow
def test_ctrl_c_stops_a_two_worker_sweep_within_a_second(tmp_path):
    path = experiment_file(
        tmp_path, rounds=200, replicates=200, execution={"runs_per_task": 20, "rows_per_part": 1}
    )
    runs_dir = tmp_path / "results-mini" / "runs"
    process = sweep_process(path, workers=2)
    deadline = time.monotonic() + 120
    while len(list(runs_dir.glob("part-*"))) < 2:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    _, error = process.communicate(timeout=30)
    seconds = time.monotonic() - started
    assert process.returncode == 130, error
    stored_now = len(read_parts(runs_dir))
    assert f"interrupted: {stored_now} of 800 runs are stored" in error.replace(",", "")
    assert "run the same command again" in error and "Traceback" not in error
    print(f"Ctrl-C: stopped in {seconds:.2f} s")
    # Waiting for the 800 runs would take minutes; 10 s leaves room for a loaded machine.
    assert seconds < 10, f"took {seconds:.2f} s to stop"


# --- one writer per results folder ----------------------------------------------------------


@pytest.mark.parametrize("fresh", [[], ["--fresh"]])
def test_a_second_sweep_on_a_folder_being_written_stops_at_once(tmp_path, capsys, fresh):
    """While one sweep holds the folder, another (the same command, or --fresh) exits 2 naming
    it and touches nothing: no folder created, replaced or repaired, no runs written."""
    path = experiment_file(tmp_path, replicates=1)
    folder = tmp_path / "results-mini"
    with writer_lock(folder):  # as a sweep in another process holds it
        assert main(["sweep", str(path), "--workers", "1", "--quiet", *fresh]) == 2
        error = capsys.readouterr().err
        assert f"another sweep (pid {os.getpid()}) is writing this folder" in error
        assert not folder.exists()
    assert main(["sweep", str(path), "--workers", "1", "--quiet"]) == 0
    manifest = (folder / "manifest.json").read_bytes()
    (folder / "runs" / ".part-live.parquet.tmp").write_text("a part the holder is writing")
    with writer_lock(folder):
        assert main(["sweep", str(path), "--workers", "1", "--quiet", *fresh]) == 2
    assert (folder / "manifest.json").read_bytes() == manifest
    assert (folder / "runs" / ".part-live.parquet.tmp").exists(), "the holder's part was removed"
    assert not (tmp_path / ".results-mini.lock").exists(), "the lock file outlived its sweep"


def test_a_link_to_the_folder_shares_its_lock(tmp_path, capsys):
    (tmp_path / "link").symlink_to("results-mini", target_is_directory=True)
    path = experiment_file(tmp_path, output="link/", replicates=1)
    with writer_lock(tmp_path / "results-mini"):
        (tmp_path / "results-mini").mkdir()
        assert main(["sweep", str(path), "--workers", "1", "--quiet"]) == 2
    assert "another sweep" in capsys.readouterr().err


def test_concurrent_sweeps_store_each_run_once_and_a_killed_holder_frees_the_folder(
    tmp_path, capsys
):
    """Two real processes: the second is refused while the first writes; the first is then
    SIGKILLed, which frees the folder at once (no stale lock), and a rerun completes it with
    exactly the planned runs."""
    path = experiment_file(
        tmp_path, rounds=40, replicates=25, execution={"runs_per_task": 1, "rows_per_part": 1}
    )
    folder = tmp_path / "results-mini"
    first = sweep_process(path, workers=1)
    try:
        deadline = time.monotonic() + 120
        while len(list((folder / "runs").glob("part-*"))) < 2:
            assert first.poll() is None, first.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        for fresh in ([], ["--fresh"]):
            assert main(["sweep", str(path), "--workers", "1", "--quiet", *fresh]) == 2
            assert f"another sweep (pid {first.pid})" in capsys.readouterr().err
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    assert main(["sweep", str(path), "--workers", "1", "--quiet"]) == 0
    runs = pd.read_parquet(folder / "runs")
    assert runs["run_id"].is_unique and len(runs) == 100
    series = pd.read_parquet(folder / "timeseries")
    assert not series.duplicated(["run_id", "round"]).any()
    assert not list(tmp_path.glob(".results-mini*"))


# --- --csv and printed paths ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["runs.csv", "timeseries.csv"])
def test_a_folder_where_csv_goes_is_refused_before_any_run(tmp_path, capsys, name):
    path = experiment_file(tmp_path, replicates=1)
    folder = tmp_path / "results-mini"
    assert main(["sweep", str(path), "--workers", "1", "--quiet"]) == 0
    (folder / name).mkdir()
    capsys.readouterr()
    before = (folder / "manifest.json").read_bytes(), sorted(folder.rglob("*"))
    assert main(["sweep", str(path), "--workers", "1", "--quiet", "--fresh", "--csv"]) == 2
    printed = capsys.readouterr()
    assert f"{folder / name}: exists and is a folder; --csv writes a file there" in printed.err
    assert f".{name}." not in printed.err and "done:" not in printed.out  # no temporary name
    assert ((folder / "manifest.json").read_bytes(), sorted(folder.rglob("*"))) == before


def test_csv_export_writes_both_tables_and_a_failure_names_the_real_file(tmp_path, capsys):
    path = experiment_file(tmp_path, replicates=1)
    folder = tmp_path / "results-mini"
    assert main(["sweep", str(path), "--workers", "1", "--quiet", "--csv"]) == 0
    out = capsys.readouterr().out
    for name in ("runs.csv", "timeseries.csv"):
        assert f"wrote {folder / name}" in out and (folder / name).is_file()
    assert len(pd.read_csv(folder / "runs.csv")) == 4
    target = tmp_path / "in_the_way.csv"
    target.mkdir()
    with pytest.raises(OSError) as caught:
        write_atomically(target, lambda p: p.write_text("x"))
    assert caught.value.filename == str(target)
    assert list(tmp_path.glob(".in_the_way*")) == []


def test_printed_paths_escape_control_characters(tmp_path, capsys):
    """An `output:` or `--report` holding escape sequences or newlines reaches the terminal
    escaped, in the plan line, the done line and analyse's list of written files."""
    path = experiment_file(tmp_path, output="res\x1b[31mRED\nX", replicates=1, rounds=5)
    assert main(["sweep", str(path), "--workers", "1", "--quiet", "--csv"]) == 0
    printed = capsys.readouterr()
    assert "results in " + str(tmp_path / "res\\x1b[31mRED\\x0aX") in printed.out
    assert "wrote " + str(tmp_path / "res\\x1b[31mRED\\x0aX" / "runs.csv") in printed.out
    assert "\x1b" not in printed.out + printed.err
    report = tmp_path / "rep\x1b[2J\ry"
    assert main(["analyse", str(tmp_path / "res\x1b[31mRED\nX"), "--report", str(report)]) == 0
    printed = capsys.readouterr()
    wrote = next(line for line in printed.out.splitlines() if line.startswith("wrote "))
    assert str(tmp_path / "rep\\x1b[2J\\x0dy" / "report.html") in wrote, wrote
    for text in (printed.out, printed.err):
        assert "\x1b" not in text and "\r" not in text


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.symlink_to("nowhere"), "it is a broken symbolic link"),
        (lambda p: p.symlink_to(p.name), "it is a loop of symbolic links"),
    ],
)
def test_a_report_folder_that_is_a_bad_link_is_refused_before_computing(
    tmp_path, capsys, make, expected
):
    path = experiment_file(tmp_path, replicates=1, rounds=5)
    assert main(["sweep", str(path), "--workers", "1", "--quiet"]) == 0
    capsys.readouterr()
    folder = tmp_path / "results-mini"
    for report, args in ((folder / "report", []), (tmp_path / "rep", ["--report"])):
        make(report)
        command = ["analyse", str(folder), *args, *([str(report)] if args else [])]
        assert main(command) == 2
        printed = capsys.readouterr()
        assert f"{report}: {expected}" in printed.err and printed.out == ""
        assert not (tmp_path / "nowhere").exists()


# --- the --dask address ---------------------------------------------------------------------

ACCEPTED = "`local` (a new LocalCluster), tcp://HOST:PORT or tls://HOST:PORT"


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("nonsense://x", "not an address this accepts"),
        ("tcp://", "not an address this accepts"),
        ("tcp://:::", "not an address this accepts"),
        ("local:", "not an address this accepts"),
        ("inproc://x", "not an address this accepts"),
        ("ws://host:8786", "not an address this accepts"),
        ("127.0.0.1:8786", "not an address this accepts"),
        ("tcp://host", "not an address this accepts"),
        ("tcp://host:8786/x", "not an address this accepts"),
        ("tcp://[::1:8786", "not an address this accepts"),
        ("tcp://host:0", "port 0 is not between 1 and 65535"),
        ("tcp://localhost:99999", "port 99999 is not between 1 and 65535"),
        ("tcp://256.1.1.1:8786", "256.1.1.1 is not an IPv4 address"),
        ("tls://[1::2::3]:8786", "[1::2::3] is not an IPv6 address"),
    ],
)
def test_a_malformed_dask_address_exits_2_naming_the_accepted_forms(
    tmp_path, capsys, address, problem
):
    path = experiment_file(tmp_path)
    assert main(["sweep", str(path), "--dask", address, "--quiet"]) == 2
    printed = capsys.readouterr()
    assert printed.err.startswith(f"--dask {address!r}: {problem}; expected {ACCEPTED}")
    assert "$DASK_SCHEDULER_ADDRESS" in printed.err and "Traceback" not in printed.err
    assert not (tmp_path / "results-mini").exists()  # refused before anything was done


def test_dask_scheduler_address_from_the_environment_is_checked_too(tmp_path, capsys, monkeypatch):
    path = experiment_file(tmp_path)
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://")
    assert main(["sweep", str(path), "--dask", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--dask with DASK_SCHEDULER_ADDRESS='tcp://': not an address this accepts" in err
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS")
    assert main(["sweep", str(path), "--dask", "--quiet"]) == 2
    assert capsys.readouterr().err.startswith(f"--dask needs {ACCEPTED}")


@pytest.mark.parametrize(
    "address", ["local", "tcp://127.0.0.1:8786", "tls://sched-1.example.org:1", "tcp://[::1]:65535"]
)
def test_well_formed_dask_addresses_are_accepted(address):
    from wargame.experiments.cluster import resolve_address

    assert resolve_address(address) == address
