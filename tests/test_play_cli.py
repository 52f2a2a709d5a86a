"""`run.py play` (and `run.py` alone) checks everything before it serves: a bad port, a busy
port, an unknown host or a broken scenario get one line and exit 2, and no server starts."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["play", "--port", "0"], "--port must be between 1 and 65535, got 0"),
        (["play", "--port", "70000"], "--port must be between 1 and 65535, got 70000"),
        (["play", "--port", "eighty"], "--port must be a whole number"),
        (["--port", "99999"], "--port must be between 1 and 65535"),  # options alone mean play
        (["play", "--host", ""], "--host must be a host name or address"),
        (["play", "--host", "no-such-host.invalid"], "is not an address of this machine"),
        (["play", "--scenario", "/no/such/file.yaml"], "/no/such/file.yaml"),
        (["play", "--scenario", "configs/sweeps/policy_levers.yaml"], "experiment"),
    ],
)
def test_bad_play_options_are_refused_before_serving(args, expected):
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert "open http" not in result.stdout  # no server was started


def test_busy_port_is_reported_not_crashed():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run("play", "--port", str(port))
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_play_with_its_defaults():
    result = run("play", "--help")
    assert result.returncode == 0
    for text in ("--port", "8765", "--host", "127.0.0.1", "gulf_2026.yaml"):
        assert text in result.stdout


def test_the_app_reads_the_scenario_from_where_play_puts_it():
    from wargame.cli import play
    from wargame.ui import state

    assert play.SCENARIO_ENV == state.SCENARIO_ENV


def test_the_classroom_reads_its_rooms_from_where_play_puts_them(tmp_path, capsys):
    from wargame.cli import play
    from wargame.cli.main import main
    from wargame.ui import classroom_state

    assert play.CLASSROOM_DB_ENV == classroom_state.CLASSROOM_DB_ENV
    assert play.checked_data_folder(str(tmp_path / "new" / "data")).is_dir()
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert main(["play", "--data", str(blocker / "data")]) == 2
    err = capsys.readouterr().err
    assert "--data: cannot write to" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [[], ["--port", "9123"], ["--host", "localhost"]])
def test_run_py_alone_or_with_options_only_plays(argv, monkeypatch):
    import wargame.cli.main as cli_main

    started = []
    monkeypatch.setattr(cli_main, "play", lambda args: started.append(args) or 0)
    assert cli_main.main(argv) == 0
    (args,) = started
    assert args.command == "play"
    assert (args.port, args.host) == (
        9123 if "--port" in argv else 8765,
        "localhost" if "--host" in argv else "127.0.0.1",
    )
    assert args.scenario.endswith("configs/scenarios/gulf_2026.yaml")
