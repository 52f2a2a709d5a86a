"""Dask as the sweep engine: the same runs table as serial, and a killed worker loses no runs."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pytest
from test_sweep import VOLATILE, experiment_file, stored, sweep

from wargame.cli.main import main
from wargame.config.loader import load_experiment
from wargame.experiments.sweep import plan_sweep, run_sweep

pytest.importorskip("distributed", reason="the Dask extra is not installed")
from wargame.experiments.cluster import dask_engine  # noqa: E402


def test_dask_local_cluster_gives_the_serial_runs_table(tmp_path):
    serial_plan, _ = sweep(experiment_file(tmp_path, "serial"), workers=1)
    plan = plan_sweep(load_experiment(experiment_file(tmp_path, "dask")), 2)
    with dask_engine("local", 2) as (make_executor, description):
        report = run_sweep(plan, make_executor)
    assert "LocalCluster of 2 workers" in description
    assert report.ran == 12 and report.failed == 0
    pd.testing.assert_frame_equal(
        stored(serial_plan).drop(columns=VOLATILE), stored(plan).drop(columns=VOLATILE)
    )


def _pid() -> int:
    return os.getpid()


@pytest.mark.slow  # several seconds of process start-up; CI runs it
def test_a_dask_worker_killed_mid_sweep_loses_no_runs(tmp_path):
    path = experiment_file(
        tmp_path, rounds=30, replicates=6, execution={"runs_per_task": 1, "max_in_flight": 4}
    )
    plan = plan_sweep(load_experiment(path), 2)
    killed = []
    with dask_engine("local", 2) as (make_executor, _):
        executor = make_executor()
        pids = executor._client.run(_pid)

        def kill_one_worker(report):
            if not killed and report.ran >= 2:
                pid = sorted(pids.values())[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        report = run_sweep(plan, lambda: executor, progress=kill_one_worker)
    assert killed, "the test never killed a worker"
    runs = stored(plan)
    assert len(runs) == 24 and (runs["status"] == "ok").all(), runs[["status", "error"]]
    assert report.ran == 24


@pytest.mark.slow  # several seconds of process start-up; CI runs it
def test_cli_sweep_on_an_existing_scheduler_by_address(tmp_path):
    """`run.py sweep FILE --dask tcp://...`: a scheduler and a worker started apart from it."""
    import socket
    import subprocess
    import sys
    import time

    from test_sweep import REPO

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    python = sys.executable
    scheduler = subprocess.Popen(
        [
            python,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            ":0",
            "--no-dashboard",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        time.sleep(1.0)
        worker = subprocess.Popen(
            [
                python,
                "-m",
                "distributed.cli.dask_worker",
                address,
                "--nworkers",
                "1",
                "--nthreads",
                "1",
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        path = experiment_file(tmp_path, "addressed", replicates=2)
        result = subprocess.run(
            [python, str(REPO / "run.py"), "sweep", str(path), "--dask", address, "--quiet"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "30s"},
        )
        assert result.returncode == 0, result.stderr
        assert f"the Dask cluster at {address}" in result.stdout
        assert "done: 8 runs now (0 failed)" in result.stdout
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


class OddDaskError(Exception):
    """Stands for any exception class Dask might raise for a well-formed address."""


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (TypeError("TLS expects a `ssl_context` argument"), "cannot connect over TLS"),
        (ValueError("unexpected reply"), "cannot use the scheduler (ValueError: unexpected"),
        (OddDaskError("odd"), "cannot use the scheduler (OddDaskError: odd)"),
        (OSError("Timed out trying to connect"), "cannot reach the scheduler (Timed out"),
    ],
)
@pytest.mark.parametrize("when", ["connecting", "asking for workers"])
def test_whatever_dask_raises_on_connecting_is_a_message_and_exit_2(
    tmp_path, capsys, monkeypatch, error, expected, when
):
    import distributed

    closed = []

    class Client:
        def __init__(self, address, timeout):
            if when == "connecting":
                raise error

        def scheduler_info(self):
            raise error

        def close(self):
            closed.append(True)

    monkeypatch.setattr(distributed, "Client", Client)
    path = experiment_file(tmp_path)
    assert main(["sweep", str(path), "--dask", "tcp://127.0.0.1:8786", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"--dask tcp://127.0.0.1:8786: {expected}") and "Traceback" not in err
    assert closed == ([] if when == "connecting" else [True])
