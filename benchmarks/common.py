"""Helpers the benchmark scripts share: the machine's load line, aligned plain-text tables, and
for the browser benchmarks the app server (`run.py play` in a child process) and the browser
tests' own set-up (tests/browser/conftest.py: chromium's flags, the offline routing)."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

try:
    import psutil
except ImportError:  # the CPU figures are then nan
    psutil = None

ROOT = Path(__file__).resolve().parents[1]


def machine_load() -> str:
    """The `uptime` line (or the load averages when `uptime` is missing)."""
    try:
        out = subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
        if out:
            return out
    except (OSError, subprocess.SubprocessError):
        pass
    one, five, fifteen = os.getloadavg()
    return f"load average: {one:.2f}, {five:.2f}, {fifteen:.2f}"


def print_table(title: str, headers: list[str], rows: list[list]) -> None:
    """An aligned plain-text table: text left-aligned, numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    numeric = [all(isinstance(row[i], int | float) for row in rows) for i in range(len(headers))]

    def line(values):
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    print(f"\n{title}")
    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in cells:
        print(line(row))


def quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile (q in [0, 1]); nan for no values."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return float("nan")
    rank = max(1, min(len(values), int(-(-q * len(values) // 1))))
    return values[rank - 1]


def _cell(value) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == 0 or math.isnan(value):
            return f"{value:.3f}"
        magnitude = abs(value)
        if magnitude >= 100:
            return f"{value:,.0f}"
        if magnitude >= 10:
            return f"{value:.1f}"
        if magnitude >= 1:
            return f"{value:.2f}"
        return f"{value:.3f}"
    return str(value)


# --- the browser benchmarks -------------------------------------------------------------------


@functools.cache
def browser_fixtures():
    """tests/browser/conftest.py, so the server and the browser are set up exactly as in the
    browser tests (chromium's flags, the offline routing, the server's start and stop)."""
    folder = ROOT / "tests" / "browser"
    sys.path.insert(0, str(folder))  # the conftest imports its sibling play_helpers
    spec = importlib.util.spec_from_file_location("browser_fixtures", folder / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def chromium_browser():
    """Debian's chromium under Playwright, launched with the browser tests' flags; closed on
    leaving. Without chromium the script stops with how to install it."""
    path = shutil.which("chromium")
    if path is None:
        print("Debian's chromium is needed: bash scripts/setup.sh --test", file=sys.stderr)
        raise SystemExit(2)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, args=browser_fixtures().CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Server:
    """A `run.py play` child process (its own process group: Solara, the outlook's pool)."""

    url: str
    process: subprocess.Popen
    log: Path
    start_s: float

    def app_process(self):
        """The Solara process (`run.py play`'s child), or None without psutil."""
        if psutil is None:
            return None
        children = psutil.Process(self.process.pid).children()
        return children[0] if children else None

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU seconds so far of the app process and of its children (the outlook's pool)."""
        app = self.app_process()
        if app is None:
            return float("nan"), float("nan")
        own = app.cpu_times()
        return own.user + own.system, children_cpu_seconds(app)


def start_server(
    port: int, log: Path, env: dict[str, str] | None = None, args: list[str] | None = None
) -> Server:
    """`run.py play --port PORT [ARGS]` as the browser tests start it, and wait until it serves."""
    fixtures = browser_fixtures()
    started = time.perf_counter()
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py"), "play", "--port", str(port), *(args or [])],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its own process group, so stopping it ends its children
        )
    url = f"http://127.0.0.1:{port}"
    try:
        fixtures.wait_until_serving(url + "/", process, log)
    except BaseException:
        stop_server(Server(url, process, log, 0.0))
        raise
    return Server(url, process, log, time.perf_counter() - started)


def stop_server(server: Server) -> None:
    fixtures = browser_fixtures()
    fixtures.stop_server(fixtures.AppServer(server.url, server.process, server.log))


def children_cpu_seconds(parent=None, name_part: str = "") -> float:
    """CPU seconds so far of the live processes below `parent` (this one by default) whose
    name contains `name_part`; nan without psutil."""
    if psutil is None:
        return float("nan")
    total = 0.0
    for child in (parent or psutil.Process()).children(recursive=True):
        try:
            if name_part in child.name():
                times = child.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            pass
    return total
