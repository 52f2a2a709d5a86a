"""Classroom load (issue 10): thirty browser sessions on one server, as three rooms of 10 or one
room of 30. How long after a round's last submission does every page show the new round, and
how much of that is the server resolving the round?

Run from the project root:

    .venv/bin/python benchmarks/bench_classroom.py            # 5-9 minutes on 2 busy cores
    .venv/bin/python benchmarks/bench_classroom.py --quick    # one room of 10, one round: ~1.5 min
    .venv/bin/python benchmarks/bench_classroom.py --layout 3x10 --hosts-per-state

For each layout a `run.py play --data FOLDER` server is started in a child process, with its
rooms made beforehand in FOLDER's SQLite file (Classroom(RoomStore(...)).create, as the lobby
does; the server opens a room from the file on its first join). The default scenario, cut to
the rounds played, seed 1:

- three rooms of 10 sessions: each the instructor's console and 9 team pages, 3 on each of its
  3 codes (CENTCOM, the IRGC, the GCC hosts as one team);
- one room of 30 sessions: the console and 29 team pages spread over its 7 codes (CENTCOM, the
  IRGC and one team per host state: 4 or 5 pages share a code).

`--layout` runs one of them; `--hosts-per-state` gives the rooms of 10 a code per host state
too (9 pages over 7 codes), to see what the GCC-hosts team's page (five hosts' orders) costs.

Every session is its own browser context in one headless chromium (Debian's, the network off
this machine blocked, as in the browser tests). In each round one page per code clicks Submit;
once every page shows those submissions, the last code's page clicks Submit in every room at
once (the rooms of a layout resolve together). Each page stamps, with a MutationObserver on
`.room-status`, the `Date.now()` at which it first shows the next round ("round N+1 of M", or
"all M rounds played"); the clicking page stamps its click with the same clock (one machine).
It prints, per round: the median, 90th percentile and max over pages of click -> new round
shown (the max is "every page shows it"; target <= 1 s), the server's CPU from the click to
the last page showing it (sampled every 50 ms) and its cores while idle the second before;
per layout the page loads, the server's and chromium's CPU over the rounds; then the server's
resolve of the last submission timed directly in Python (LiveRoom.submit of the last team:
the engine's round, the SQLite write, the next round begun) for the same scenario and teams,
`--resolves` rounds, to split the compute from the fan-out to pages. Nothing is asserted; the
last line is `RESULT {json}`. Server logs go to a temporary folder whose name is printed.
"""

from __future__ import annotations

import argparse
import bisect
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from common import (  # noqa: E402  (benchmarks/ is on sys.path)
    browser_fixtures,
    children_cpu_seconds,
    chromium_browser,
    machine_load,
    print_table,
    quantile,
    start_server,
    stop_server,
)

from wargame.config.loader import load_scenario
from wargame.experiments.room import Classroom, exercise_scenario, role_actors
from wargame.experiments.room_store import INSTRUCTOR, RoomStore, Seat
from wargame.ui.session import DEFAULT_SCENARIO

fixtures = browser_fixtures()
SEED = 1
TARGET_S = 1.0
DB_NAME = "classroom.sqlite3"  # what `run.py play --data` opens in its folder (cli/play.py)
WAIT_MS = 120_000

# Installed in every page before the app loads: the first Date.now() at which the page shows
# each round, the submissions its status line lists, and a click on Submit stamped the same way.
HELPER_JS = r"""
(() => {
  if (window.__room) return;
  const seen = {};
  function statusText() {
    const el = document.querySelector(".room-status");
    return el ? el.textContent : "";
  }
  function shownRound() {
    const t = statusText();
    let m = /round (\d+) of/.exec(t);
    if (m) return +m[1];
    m = /all (\d+) rounds played/.exec(t);
    return m ? +m[1] + 1 : null;
  }
  function submittedCount() {
    const part = statusText().split("submitted: ")[1];
    if (part === undefined) return null;
    const names = part.split(" · ")[0].trim();
    return names === "nobody yet" ? 0 : names.split(", ").length;
  }
  const stamp = () => {
    const n = shownRound();
    if (n !== null && seen[n] === undefined) seen[n] = Date.now();
  };
  new MutationObserver(stamp).observe(document,
    { subtree: true, childList: true, characterData: true });
  function submit() {
    const el = document.querySelector(".btn-submit");
    if (!el || el.disabled) return null;
    const at = Date.now();
    el.click();
    return at;
  }
  window.__room = { seen, shownRound, submittedCount, submit };
})();
"""


@dataclass
class Room:
    """A room made for the benchmark, and its sessions once they are open: (role, page)."""

    id: str
    roles: tuple[str, ...]
    codes: dict[str, str]
    sessions: int
    pages: list[tuple[str, object]] = field(default_factory=list)

    def clicker(self, role: str):
        """The page that submits for a role: the first one opened on its code."""
        return next(page for r, page in self.pages if r == role)


def scenario(rounds: int):
    return exercise_scenario(load_scenario(DEFAULT_SCENARIO), rounds)


def make_rooms(db: Path, layout: list[tuple[bool, int]], rounds: int) -> list[Room]:
    """The layout's rooms in the store the server will open: (one team for the hosts,
    sessions) per room."""
    store = RoomStore(db)
    classroom = Classroom(store)
    rooms = []
    for number, (one_team, sessions) in enumerate(layout, start=1):
        room_id, codes = classroom.create(
            f"load {number}", scenario(rounds), DEFAULT_SCENARIO.name, SEED, one_team
        )
        roles = tuple(r for r in codes if r != INSTRUCTOR)
        rooms.append(Room(room_id, roles, codes, sessions))
    store.close()
    return rooms


def open_sessions(browser, url: str, rooms: list[Room], traffic) -> list[float]:
    """Every room's console, then its team pages round-robin over its codes, one at a time as
    people join; the seconds each took from goto() to its status line showing round 1."""
    loads = []
    for room in rooms:
        seats = [INSTRUCTOR] + [room.roles[i % len(room.roles)] for i in range(room.sessions - 1)]
        for role in seats:
            context = fixtures.open_context(browser, traffic)
            context.add_init_script(HELPER_JS)
            page = context.new_page()
            started = time.perf_counter()
            page.goto(f"{url}/classroom?code={room.codes[role]}")
            page.wait_for_function("() => window.__room.shownRound() === 1", timeout=WAIT_MS)
            loads.append(time.perf_counter() - started)
            room.pages.append((role, page))
    return loads


class CpuSampler:
    """The server's CPU seconds, sampled every 50 ms against time.time() (the clock the pages'
    Date.now() reads on this machine), so the CPU of a span the pages stamped can be read."""

    def __init__(self, server, every_s: float = 0.05):
        self.process = server.app_process()
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()
        if self.process is not None:
            threading.Thread(target=self._run, args=(every_s,), daemon=True).start()

    def _run(self, every_s: float) -> None:
        while not self.stop.wait(every_s):
            times = self.process.cpu_times()
            self.samples.append((time.time(), times.user + times.system))

    def between(self, start: float, end: float) -> float:
        """CPU seconds from `start` to `end` (seconds since the epoch), interpolated."""
        if len(self.samples) < 2:
            return float("nan")
        return self._at(end) - self._at(start)

    def _at(self, when: float) -> float:
        samples = list(self.samples)
        i = min(max(1, bisect.bisect(samples, (when, float("inf")))), len(samples) - 1)
        (t0, c0), (t1, c1) = samples[i - 1], samples[i]
        return c0 + (c1 - c0) * min(1.0, max(0.0, (when - t0) / (t1 - t0)))


def play_round(rooms: list[Room], number: int, cpu: CpuSampler, pause_s: float) -> dict:
    """One round in every room: all codes but the last submit; when every page shows that,
    the last code submits in every room at once; then each page's time to show the next
    round, counted from its own room's last click."""
    for room in rooms:
        for role in room.roles:
            room.clicker(role).get_by_text(f"Round {number}: your orders").wait_for(timeout=WAIT_MS)
        for role in room.roles[:-1]:
            if room.clicker(role).evaluate("() => window.__room.submit()") is None:
                raise RuntimeError(f"room {room.id}: {role} could not submit in round {number}")
    for room in rooms:
        for _, page in room.pages:
            page.wait_for_function(
                "n => window.__room.submittedCount() === n", arg=len(room.roles) - 1,
                timeout=WAIT_MS,
            )  # fmt: skip
    paused_at = time.time()
    time.sleep(pause_s)  # the fan-out of the earlier submissions settles
    idle_cores = cpu.between(paused_at, time.time()) / (time.time() - paused_at)
    clicks = {}
    for room in rooms:
        clicks[room.id] = room.clicker(room.roles[-1]).evaluate("() => window.__room.submit()")
        if clicks[room.id] is None:
            raise RuntimeError(f"room {room.id}: the last team could not submit in {number}")
    shown_ms, slowest, last_shown = [], (float("-inf"), ""), float("-inf")
    for room in rooms:
        for role, page in room.pages:
            at = page.wait_for_function(
                "n => window.__room.seen[n]", arg=number + 1, timeout=WAIT_MS
            ).json_value()
            shown_ms.append(at - clicks[room.id])
            slowest = max(slowest, (shown_ms[-1], role))
            last_shown = max(last_shown, at)
    time.sleep(0.2)  # a CPU sample after the last page's stamp
    span = (min(clicks.values()) / 1000, last_shown / 1000)
    return {
        "round": number,
        "pages": len(shown_ms),
        "median_ms": statistics.median(shown_ms),
        "p90_ms": quantile(shown_ms, 0.9),
        "max_ms": max(shown_ms),
        "slowest": slowest[1],
        "app_cpu_ms": 1000 * cpu.between(*span),
        "app_cores": cpu.between(*span) / (span[1] - span[0]),
        "app_idle_cores": idle_cores,
        "shown_ms": shown_ms,
    }


def cpu_seconds(app) -> float:
    return app.cpu_seconds()[0]


def run_layout(browser, name: str, layout, rounds: int, logs: Path, pause_s: float) -> dict:
    data = Path(tempfile.mkdtemp(prefix="bench-classroom-data-"))
    rooms = make_rooms(data / DB_NAME, layout, rounds)
    slug = name.replace(" ", "-")
    server = start_server(
        fixtures.free_port(), logs / f"server-{slug}.log", args=["--data", str(data)]
    )
    traffic = fixtures.Traffic()
    try:
        loads = open_sessions(browser, server.url, rooms, traffic)
        pages = [page for room in rooms for _, page in room.pages]
        visible = Counter(p.evaluate("document.visibilityState") for p in pages)
        app_before = cpu_seconds(server)
        chromium_before = children_cpu_seconds(name_part="chrom")
        cpu = CpuSampler(server)
        started = time.perf_counter()
        results = [play_round(rooms, n, cpu, pause_s) for n in range(1, rounds + 1)]
        wall = time.perf_counter() - started
        cpu.stop.set()
        app_cpu = cpu_seconds(server) - app_before
        chromium_cpu = children_cpu_seconds(name_part="chrom") - chromium_before
        for page in pages:
            page.context.close()
    finally:
        stop_server(server)
        shutil.rmtree(data, ignore_errors=True)
    return {
        "layout": name,
        "rooms": len(rooms),
        "sessions": sum(r.sessions for r in rooms),
        "codes": [len(r.roles) for r in rooms],
        "server_start_s": server.start_s,
        "load_median_s": statistics.median(loads),
        "load_max_s": max(loads),
        "rounds": results,
        "wall_s": wall,
        "app_cpu_s": app_cpu,
        "app_cores": app_cpu / wall,
        "chromium_cpu_s": chromium_cpu,
        "chromium_cores": chromium_cpu / wall,
        "visible": dict(visible),
        "blocked": len(traffic.blocked),
    }


# --- the resolve alone, in this process -------------------------------------------------------


def timed(parts: dict[str, list[float]], key: str, function):
    """`function`, adding the seconds of each call to parts[key]."""

    def call(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            parts[key].append(time.perf_counter() - started)

    return call


def resolve_times(one_team: bool, count: int) -> dict:
    """`count` rounds of a room with every team submitting the advisor's pick: the last
    team's LiveRoom.submit (which resolves) timed whole, and its parts: the engine's round
    (model.step), the SQLite write (store.record_round), the next round begun."""
    folder = Path(tempfile.mkdtemp(prefix="bench-classroom-resolve-"))
    store = RoomStore(folder / DB_NAME)
    try:
        classroom = Classroom(store)
        exercise = scenario(count)
        room_id, codes = classroom.create(
            "resolve", exercise, DEFAULT_SCENARIO.name, SEED, one_team
        )
        room = classroom.room(room_id)
        parts = {"step": [], "write": [], "begin": []}
        room.model.step = timed(parts, "step", room.model.step)
        room.model.begin_round = timed(parts, "begin", room.model.begin_round)
        store.record_round = timed(parts, "write", store.record_round)
        wall, cpu = [], []
        for _ in range(count):
            decisions = room.decisions()
            for position, role in enumerate(room.roles, start=1):
                orders = {
                    a: decisions[a].chosen for a in role_actors(exercise, role) if a in decisions
                }
                seat = Seat(room_id, role)
                if position < len(room.roles):
                    room.submit(seat, orders)
                    continue
                started, cpu_started = time.perf_counter(), time.process_time()
                if not room.submit(seat, orders):
                    raise RuntimeError("the last team's submission did not resolve the round")
                wall.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "codes": len(codes) - 1,
        "resolves": count,
        "median_ms": 1000 * statistics.median(wall),
        "max_ms": 1000 * max(wall),
        "cpu_median_ms": 1000 * statistics.median(cpu),
        **{f"{k}_median_ms": 1000 * statistics.median(v) for k, v in parts.items() if v},
    }


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one room of 10, one round")
    parser.add_argument("--rounds", type=int, help="rounds played in the browser (default 3)")
    parser.add_argument("--resolves", type=int, help="rounds resolved in Python (default 20)")
    parser.add_argument(
        "--pause", type=float, default=1.0, help="seconds between the other submissions "
        "showing on every page and the last click (default 1)",
    )  # fmt: skip
    parser.add_argument("--layout", choices=("3x10", "1x30", "both"), default="both")
    parser.add_argument(
        "--hosts-per-state", action="store_true",
        help="the rooms of 10 get a code per host state, not one for the GCC hosts",
    )  # fmt: skip
    args = parser.parse_args()
    quick = args.quick
    rounds = args.rounds or (1 if quick else 3)
    resolves = args.resolves or (5 if quick else 20)
    one_team = not args.hosts_per_state
    layouts = {"one room of 10": [(one_team, 10)]}
    if not quick:
        layouts = {
            name: layout
            for name, layout, key in (
                ("three rooms of 10", [(one_team, 10)] * 3, "3x10"),
                ("one room of 30", [(False, 30)], "1x30"),
            )
            if args.layout in (key, "both")
        }
    logs = Path(tempfile.mkdtemp(prefix="bench-classroom-"))
    load_start = machine_load()
    print(f"load before: {load_start}\nserver logs: {logs}", flush=True)
    results = []
    with chromium_browser() as browser:
        for name, layout in layouts.items():
            print(f"{name}: {rounds} round(s)", flush=True)
            results.append(run_layout(browser, name, layout, rounds, logs, args.pause))
    print(f"resolving {resolves} rounds in Python", flush=True)
    one_team_choices = (True,) if quick else (True, False)
    python = [resolve_times(one_team, resolves) for one_team in one_team_choices]
    load_end = machine_load()

    print_table(
        f"Last submission -> every page shows the new round, ms (target: max <= "
        f"{1000 * TARGET_S:.0f}); the server's CPU from the click to the last page showing it, "
        "and its cores then and while idle (the second before the click)",
        ["layout", "round", "pages", "median", "p90", "max", "slowest page's code",
         "server CPU ms", "cores", "idle cores", "target"],
        [[r["layout"], x["round"], x["pages"], x["median_ms"], x["p90_ms"], x["max_ms"],
          x["slowest"], x["app_cpu_ms"], x["app_cores"], x["app_idle_cores"],
          "met" if x["max_ms"] <= 1000 * TARGET_S else "NOT met"]
         for r in results for x in r["rounds"]],
    )  # fmt: skip
    print_table(
        "Per layout: page loads (goto -> round 1 shown), and the rounds' CPU (cores = CPU s / "
        "wall s over all its rounds: submissions, pauses and fan-outs)",
        ["layout", "sessions", "codes", "load median s", "load max s", "rounds wall s",
         "server CPU s", "server cores", "chromium CPU s", "chromium cores", "pages visible"],
        [[r["layout"], r["sessions"], "/".join(map(str, r["codes"])), r["load_median_s"],
          r["load_max_s"], r["wall_s"], r["app_cpu_s"], r["app_cores"], r["chromium_cpu_s"],
          r["chromium_cores"], str(r["visible"])] for r in results],
    )  # fmt: skip
    print_table(
        "The server's resolve alone, in Python: the last team's LiveRoom.submit (the engine's "
        "round + the SQLite write + the next round begun), ms",
        ["codes", "resolves", "median", "max", "CPU median", "step", "SQLite write", "begin"],
        [[p["codes"], p["resolves"], p["median_ms"], p["max_ms"], p["cpu_median_ms"],
          p["step_median_ms"], p["write_median_ms"], p["begin_median_ms"]] for p in python],
    )  # fmt: skip
    blocked = sum(r["blocked"] for r in results)
    if blocked:
        print(f"requests off this machine (blocked): {blocked}")
    print(f"load before: {load_start}")
    print(f"load after:  {load_end}")
    figures = {
        "quick": quick,
        "rounds": rounds,
        "layouts": results,
        "resolve": python,
        "load_before": load_start,
        "load_after": load_end,
    }
    print("RESULT " + json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
