"""`run.py play` (also `run.py` alone): serve the browser game with Solara.

The app runs in a child process started by module name (`wargame.ui.app`), so the command line
never imports the UI. Everything is checked before the server starts, so a bad scenario, port or
host gets one clear line instead of a server that dies on its first page. The front end comes
from the install (solara-assets): the page needs no internet.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from wargame.config.text import printable

APP_MODULE = "wargame.ui.app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# The app reads its starting scenario from here (a child process has no other channel).
SCENARIO_ENV = "GULF_WARGAME_SCENARIO"
# The classroom's SQLite file (wargame.ui.classroom_state.CLASSROOM_DB_ENV; a test checks both).
CLASSROOM_DB_ENV = "GULF_WARGAME_CLASSROOM_DB"
CLASSROOM_DB_NAME = "classroom.sqlite3"
LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


class PlayError(Exception):
    """An option of `play` that cannot be served on; the message says which and why."""


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str) -> None:
    if not host or not host.isprintable() or any(c.isspace() for c in host):
        raise PlayError(f"--host must be a host name or address, got {printable(repr(host))}")
    try:
        socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise PlayError(
            f"--host {printable(host)} is not an address of this machine ({error})"
        ) from None


def check_port_free(host: str, port: int) -> None:
    """Bind once ourselves, so a busy port is reported before the server starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As the server does: a port whose last server just stopped (connections still in
        # TIME_WAIT) is free to serve on; one with a live listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PlayError(
                    f"port {port} on {printable(host)} is already in use (another copy of the "
                    f"game?); stop it or choose another with --port"
                ) from None
            raise PlayError(
                f"cannot serve on {printable(host)}:{port}: {error.strerror or error}"
            ) from None


def checked_data_folder(data: str) -> Path:
    """The classroom's data folder, made if missing and proved writable before the server
    starts (a room must never fail to save its first round)."""
    from wargame.config.loader import check_path_argument
    from wargame.experiments.outputs import writable_folder_problem

    check_path_argument("--data", data)
    folder = Path(data).resolve()
    problem = writable_folder_problem(folder, "--data", "writable folder for the classroom's rooms")
    if problem:
        raise PlayError(printable(problem))
    return folder


def server_environment(scenario: Path, classroom_db: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env[SCENARIO_ENV] = str(scenario)
    if classroom_db is not None:
        env[CLASSROOM_DB_ENV] = str(classroom_db)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"  # no calls home from a classroom
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    # A closed tab's session (its whole game) is freed a minute later, not after Solara's
    # default of a day: with 30 students reloading, kept games would fill the server's memory.
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", "60s")
    return env


def play(args: argparse.Namespace) -> int:
    # Imported here: `run.py --help` imports this module and must not load YAML, pydantic or
    # NetworkX.
    from wargame.config.loader import check_path_argument, load_scenario
    from wargame.engine.theatre import Theatre

    check_path_argument("--scenario", args.scenario)
    scenario_path = Path(args.scenario).resolve()
    # A broken scenario is reported here, not in the browser: the file, then the geography
    # only a built theatre can check (TheatreError, reported by the command line).
    Theatre(load_scenario(scenario_path))
    check_host(args.host)
    classroom_db = checked_data_folder(getattr(args, "data", "data")) / CLASSROOM_DB_NAME
    check_port_free(args.host, args.port)
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Gulf wargame: open http://{shown_host}:{args.port} in a browser (Ctrl-C stops)")
    if not is_loopback(args.host):
        print(
            f"warning: serving on {printable(args.host)}, so anyone who can reach this machine "
            "on that address can open the game",
            file=sys.stderr,
        )
    sys.stdout.flush()
    command = [
        sys.executable, "-m", "solara", "run", APP_MODULE,
        "--host", args.host, "--port", str(args.port), "--no-open", "--production",
        # No call to PyPI at start (it would tell users to upgrade past the pinned assets).
        "--no-check-version",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=server_environment(scenario_path, classroom_db))
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        raise
