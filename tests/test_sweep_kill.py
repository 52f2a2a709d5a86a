"""A 2-worker `run.py sweep` killed with SIGKILL ten times, at seeded random moments, then run to
the end: exactly the planned runs, the serial runs table, no temporary files, and no timeseries row
without its run, read as a user would (plain `pd.read_parquet` of the folder).

What the kills exercise: the first lands while the results folder is being built or the moment it
appears; the others at a random moment (0-0.8 s) after that process stored its first part, while
parts are written one run at a time, with a test-only
pause (WARGAME_TEST_SLOW_PART_S) between a part's timeseries write and its runs write so that
some kills land in that window. The test records where each kill landed and asserts that the
window was hit at least once.

Then the sweep's own pid (not its group) killed: by SIGKILL, every process it started (resource
tracker, forkserver, workers) is gone within seconds and its stdout and stderr pipes end; by
SIGTERM, it stores what finished, says so, exits 143, and a rerun completes the serial table.
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from test_sweep import REPO, VOLATILE, experiment_file, stored, sweep

from wargame.experiments.store import SLOW_PART_ENV, read_parts

pytestmark = pytest.mark.slow

KILLS = 10
ROUNDS, REPLICATES = 40, 75  # 4 points x 75 = 300 runs: ten kills land mid-sweep with room to spare
# (each kill comes within a second of a new part, so a cycle stores a dozen runs at most)


def leftovers(folder: Path) -> list[str]:
    """Hidden files anywhere under the folder, and building/discarded folders beside it."""
    inside = [str(p) for p in folder.rglob(".*")]
    beside = [str(p) for p in folder.parent.glob(f".{folder.name}.*")]
    return inside + beside


def parts(folder: Path) -> int:
    return len(list((folder / "runs").glob("part-*"))) if folder.exists() else 0


def wait_for(process: subprocess.Popen, condition, landed: list) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, f"the sweep ended before it was killed ({landed})"
        assert time.monotonic() < deadline, "the sweep never got there"
        time.sleep(0.001)


def plain(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(folder / name) if list((folder / name).glob("part-*")) else None


def test_ten_sigkills_then_a_rerun_give_the_serial_results(tmp_path):
    serial_plan, _ = sweep(
        experiment_file(tmp_path, "serial", rounds=ROUNDS, replicates=REPLICATES), workers=1
    )
    path = experiment_file(
        tmp_path,
        "killed",
        rounds=ROUNDS,
        replicates=REPLICATES,
        execution={"runs_per_task": 1, "rows_per_part": 1},
    )
    folder = tmp_path / "results-killed"
    command = [sys.executable, str(REPO / "run.py"), "sweep", str(path), "--workers", "2"]
    environment = {**os.environ, SLOW_PART_ENV: "0.05"}
    rng = random.Random(20260601)
    landed = []
    for kill in range(KILLS):
        process = subprocess.Popen(
            [*command, "--quiet"],
            cwd=REPO,
            env=environment,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if kill == 0:  # while the folder is built, or the instant it appears
            wait_for(
                process,
                lambda: folder.exists() or list(tmp_path.glob(".results-*.build*")),
                landed,
            )
        else:  # once this process writes parts (start-up takes seconds on a busy machine)
            before = parts(folder)
            wait_for(process, lambda before=before: parts(folder) > before, landed)
            time.sleep(rng.uniform(0.0, 0.8))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        # Every kill leaves nothing, or a folder the rerun resumes (never a bare folder).
        assert not folder.exists() or (folder / "manifest.json").exists()
        hidden = leftovers(folder) if folder.exists() else []
        landed.append(
            "before the folder"
            if not folder.exists()
            else "mid part write"
            if any(".ready" in h or h.endswith(".tmp") for h in hidden)
            else "between parts"
        )
        runs, series = plain(folder, "runs"), plain(folder, "timeseries")
        if series is not None:  # a visible timeseries row always has its run
            assert set(series["run_id"]) <= set(runs["run_id"])
    assert "mid part write" in landed, landed

    finished = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr

    expected = stored(serial_plan).drop(columns=VOLATILE)
    runs = pd.read_parquet(folder / "runs")
    assert runs["run_id"].is_unique and len(runs) == len(expected) == 4 * REPLICATES
    got = runs.sort_values(["point", "replicate"]).reset_index(drop=True).drop(columns=VOLATILE)
    pd.testing.assert_frame_equal(got, stored_as_plain(serial_plan).drop(columns=VOLATILE))
    series = pd.read_parquet(folder / "timeseries")
    assert not series.duplicated(["run_id", "round"]).any(), "duplicate timeseries rows"
    assert set(series["run_id"]) == set(runs["run_id"]), "orphan or missing timeseries rows"
    serial_series = pd.read_parquet(serial_plan.loaded.output / "timeseries")
    key = ["run_id", "round"]
    pd.testing.assert_frame_equal(
        series.sort_values(key).reset_index(drop=True),
        serial_series.sort_values(key).reset_index(drop=True),
    )
    assert not leftovers(folder), leftovers(folder)
    print("kills landed:", landed)


def stored_as_plain(plan) -> pd.DataFrame:
    """The serial folder read the same plain way."""
    runs = pd.read_parquet(plan.loaded.output / "runs")
    return runs.sort_values(["point", "replicate"]).reset_index(drop=True)


# --- the sweep's own pid killed: nothing of its process tree is left -------------------------


def started_sweep(
    path: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """`run.py sweep` on 2 workers, once it has stored a part: the process and every process it
    started (resource tracker, forkserver, the two workers)."""
    process = subprocess.Popen(
        [sys.executable, str(REPO / "run.py"), "sweep", str(path), "--workers", "2", "--quiet"],
        cwd=REPO,
        env=env,
        start_new_session=True,  # only so the test can clean up; the signals go to one pid
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wait_for(process, lambda: parts(path.parent / f"results-{path.stem}") > 0, [])
    tree = psutil.Process(process.pid).children(recursive=True)
    names = " ".join(" ".join(p.cmdline()) for p in tree)
    assert len(tree) >= 4 and "forkserver" in names and "resource_tracker" in names, names
    return process, tree


def gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def seconds_until_gone(tree: list[psutil.Process], limit: float) -> float:
    started = time.monotonic()
    while not all(gone(p) for p in tree):
        left = [" ".join(p.cmdline()) for p in tree if not gone(p)]
        assert time.monotonic() - started < limit, f"still running: {left}"
        time.sleep(0.02)
    return time.monotonic() - started


def read_to_eof(stream, limit: float) -> bytes:
    """Everything left in a pipe, failing if its end never comes (some process still holds it)."""
    data, deadline = b"", time.monotonic() + limit
    while True:
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, "the pipe never reached its end: a process of the sweep still holds it"
        chunk = os.read(stream.fileno(), 65536)
        if not chunk:
            return data
        data += chunk


def test_kill_9_of_the_sweep_alone_leaves_no_process_and_ends_its_pipes(tmp_path):
    path = experiment_file(
        tmp_path, "orphans", rounds=40, replicates=30, execution={"rows_per_part": 1}
    )
    process, tree = started_sweep(path)
    try:
        os.kill(process.pid, signal.SIGKILL)  # its own pid, not its process group
        process.wait()
        seconds = seconds_until_gone(tree, limit=5.0)
        read_to_eof(process.stdout, limit=5.0)
        read_to_eof(process.stderr, limit=5.0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    print(f"kill -9: every process of the sweep gone {seconds:.2f} s later")


def test_sigterm_stores_finished_runs_stops_the_workers_and_exits_143(tmp_path):
    serial_plan, _ = sweep(experiment_file(tmp_path, "serial", rounds=40, replicates=30), 1)
    path = experiment_file(
        tmp_path, "termed", rounds=40, replicates=30, execution={"rows_per_part": 1}
    )
    folder = tmp_path / "results-termed"
    process, tree = started_sweep(path)
    try:
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)  # `kill PID`
        _, error = process.communicate(timeout=30)
        seconds = time.monotonic() - started
        seconds_until_gone(tree, limit=5.0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    error = error.decode()
    assert process.returncode == 143, error
    kept = len(read_parts(folder / "runs"))
    assert 0 < kept < 120
    assert f"interrupted: {kept} of 120 runs are stored" in error.replace(",", ""), error
    assert "stopped by SIGTERM (exit 143)" in error and "Traceback" not in error, error
    assert not leftovers(folder), leftovers(folder)
    print(f"SIGTERM: stopped in {seconds:.2f} s with {kept} runs stored")

    rerun = subprocess.run(
        [sys.executable, str(REPO / "run.py"), "sweep", str(path), "--workers", "2", "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"{120 - kept} runs now (0 failed), {kept} already stored" in rerun.stdout, rerun.stdout
    runs = pd.read_parquet(folder / "runs")
    assert runs["run_id"].is_unique and len(runs) == 120
    got = runs.sort_values(["point", "replicate"]).reset_index(drop=True).drop(columns=VOLATILE)
    pd.testing.assert_frame_equal(got, stored_as_plain(serial_plan).drop(columns=VOLATILE))


@pytest.mark.parametrize(("sent", "exit_code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stop_signal_inside_a_part_write_waits_for_the_part(tmp_path, sent, exit_code):
    """The signal lands while a part is half stored (its timeseries hidden as `.ready`, the
    test-only pause before its runs part): the part is finished, stored once, and the sweep
    then stops as usual, leaving no hidden file and no run twice."""
    path = experiment_file(
        tmp_path, "held", rounds=40, replicates=30, execution={"rows_per_part": 1}
    )
    folder = tmp_path / "results-held"
    environment = {**os.environ, SLOW_PART_ENV: "0.5"}
    process, tree = started_sweep(path, env=environment)
    try:
        wait_for(process, lambda: list((folder / "timeseries").glob(".*.ready")), [])
        process.send_signal(sent)
        _, error = process.communicate(timeout=30)
        seconds_until_gone(tree, limit=5.0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    error = error.decode()
    assert process.returncode == exit_code, error
    assert "Traceback" not in error, error
    assert not leftovers(folder), leftovers(folder)
    runs, series = read_parts(folder / "runs"), read_parts(folder / "timeseries")
    assert runs["run_id"].is_unique, "a run stored twice"
    assert set(series["run_id"]) == set(runs["run_id"]), "orphan or missing timeseries rows"
