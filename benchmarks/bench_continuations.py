""" "Where is this heading?": how long 200 continuations of 60 rounds take on 2 workers.

Run from the project root:

    .venv/bin/python benchmarks/bench_continuations.py            # about 2-3 minutes on 2 cores
    .venv/bin/python benchmarks/bench_continuations.py --quick    # 50 runs, about 30 s

The game is the default scenario (configs/scenarios/gulf_2026.yaml), seed 1, the AI playing
every side; the continuations start from rounds 0, 30 and 365. For each start it times
`start_outlook(...).wait()` three ways:

- cold: a new pool (its two workers forked and the continuation module imported in them) and
  no replayed game in the workers. The first cold row also starts the forkserver, once per
  server process (it imports the engine);
- warm, first click: the pool's workers running already, but the game not yet replayed to this
  round in them (each worker replays it once);
- warm, again: a second request (new seeds) from the same round: the replay is kept.

Target: <= 10 s warm. Beside the wall time it prints the CPU time the two workers spent, per
worker: on a machine shared with other work, that is what the wall time would be on two idle
cores (the batches are balanced to within one batch of about a second). It also prints the time to the first batch (when the chart starts to
fill), and an in-process breakdown of one continuation (the copy, the rounds) so a figure over
target says where the time goes. Only figures are printed, then one line `RESULT {json}`;
nothing is asserted. All randomness is seeded (the game's seed and the request number).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

import psutil
from common import machine_load, print_table  # noqa: E402  (benchmarks/ is on sys.path)

from wargame.config.loader import load_scenario
from wargame.experiments import continuation
from wargame.experiments.continuation import (
    OutlookJob,
    shared_pool,
    shutdown_pool,
    start_outlook,
    warm_pool,
    without_history,
)
from wargame.experiments.game import new_game, replay

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "configs" / "scenarios" / "gulf_2026.yaml"
STARTS = (0, 30, 365)
WORKERS = 2
TARGET_S = 10.0


def workers_cpu() -> float:
    """CPU seconds the shared pool's live workers have used (user + system)."""
    total = 0.0
    for pid in getattr(shared_pool(WORKERS), "_processes", None) or {}:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


def timed_request(record, from_round: int, runs: int, horizon: int, request: int) -> dict:
    first: list[float] = []
    cpu_before = workers_cpu()
    started = time.perf_counter()

    def update(job: OutlookJob) -> None:
        if not first:
            first.append(time.perf_counter() - started)

    result = start_outlook(record, from_round, runs, horizon, request, on_update=update).wait()
    seconds = time.perf_counter() - started
    # A cold pool's workers start during the request: their CPU before it is counted as 0.
    cpu = workers_cpu() - cpu_before
    if result.failed:
        print(f"  {result.failed} runs failed: {result.errors[:3]}", file=sys.stderr)
    return {
        "seconds": round(seconds, 3),
        # What the wall time would be on 2 idle cores (the machine is shared): CPU / workers.
        "cpu_per_worker_s": round(cpu / WORKERS, 3),
        "first_batch_s": round(first[0], 3) if first else None,
        "finished": result.finished,
        "median_rung_next_round": result.rung["q50"][0],
    }


def breakdown(record, from_round: int, horizon: int, repeats: int) -> dict:
    """One continuation in this process: replay, copy and rounds, each timed alone."""
    started = time.perf_counter()
    base = without_history(replay(record, from_round))
    replay_s = time.perf_counter() - started
    copy_s, rounds_s = 0.0, 0.0
    for seed in range(repeats):
        started = time.perf_counter()
        model = copy.deepcopy(base)
        model.reseed(seed)
        copied = time.perf_counter()
        for _ in range(horizon):
            model.step()
        copy_s += copied - started
        rounds_s += time.perf_counter() - copied
    return {
        "replay_s": round(replay_s, 3),
        "copy_ms": round(1000 * copy_s / repeats, 2),
        "ms_per_round": round(1000 * rounds_s / repeats / horizon, 3),
        "run_ms": round(1000 * (copy_s + rounds_s) / repeats, 1),
    }


def profile_shares(record, from_round: int, horizon: int) -> list[tuple[str, float]]:
    """Cumulative cProfile share of a few continuations that the main parts take."""
    base = without_history(replay(record, from_round))
    profiler = cProfile.Profile()
    profiler.enable()
    for seed in range(5):
        continuation.continue_game(base, seed, horizon)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = sum(t for (_, _, t, _, _) in stats.values())
    parts = {
        "deepcopy (GulfModel.__deepcopy__)": ("model.py", "__deepcopy__"),
        "round: phases 1-3 (begin_round)": ("model.py", "begin_round"),
        "  vessels arrive and choose": ("model.py", "_vessels_arrive_and_choose"),
        "  decisions (_decide)": ("model.py", "_decide"),
        "round: adjudication": ("model.py", "_adjudicate"),
        "  vessels move (_move_vessels)": ("model.py", "_move_vessels"),
        "round: record (DataCollector)": ("model.py", "_record_round"),
        "Fleet.arrive (Vessel agents made)": ("fleet.py", "arrive"),
        "Fleet.depart (Vessel agents removed)": ("fleet.py", "depart"),
        "Mesa Agent.__init__ + remove": None,
    }
    shares = []
    for label, key in parts.items():
        if key is None:
            cum = sum(
                v[3]
                for (file, _, name), v in stats.items()
                if file.endswith("mesa/agent.py") and name in ("__init__", "remove")
            )
        else:
            cum = sum(
                v[3]
                for (file, _, name), v in stats.items()
                if file.endswith(key[0]) and name == key[1]
            )
        shares.append((label, round(100 * cum / total, 1) if total else 0.0))
    return shares


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 runs instead of 200")
    args = parser.parse_args()
    runs, horizon = (50, 60) if args.quick else (200, 60)
    print(f"load before: {machine_load()}")
    scenario = load_scenario(SCENARIO)
    record = new_game(scenario, 1, "observer", str(SCENARIO))

    rows, figures = [], {}
    request = 0
    for from_round in STARTS:
        shutdown_pool()  # a new pool: new workers, no replayed game in them
        shared_pool(WORKERS)
        cold = timed_request(record, from_round, runs, horizon, request := request + 1)
        shutdown_pool()
        warm_pool(WORKERS)  # workers running, the game not yet replayed in them
        first_click = timed_request(record, from_round, runs, horizon, request := request + 1)
        again = timed_request(record, from_round, runs, horizon, request := request + 1)
        figures[from_round] = {"cold": cold, "warm_first_click": first_click, "warm_again": again}
        for name, figure in (
            ("cold", cold),
            ("warm, first click", first_click),
            ("warm, again", again),
        ):
            rows.append(
                [
                    from_round,
                    name,
                    figure["seconds"],
                    figure["cpu_per_worker_s"],
                    figure["first_batch_s"],
                    figure["finished"],
                    "met" if figure["seconds"] <= TARGET_S else "NOT met",
                    "met" if figure["cpu_per_worker_s"] <= TARGET_S else "NOT met",
                    figure["median_rung_next_round"],
                ]
            )
    shutdown_pool()
    print_table(
        f"{runs} continuations x {horizon} rounds on {WORKERS} workers (target <= {TARGET_S:.0f} s warm)",
        [
            "from round",
            "pool",
            "wall s",
            "CPU s / worker",
            "1st batch s",
            "runs",
            "wall target",
            "CPU target",
            "median rung next",
        ],
        rows,
    )

    parts = {from_round: breakdown(record, from_round, horizon, 10) for from_round in STARTS}
    print_table(
        "One continuation in this process (mean of 10)",
        ["from round", "replay s", "copy ms", "ms/round", "run ms", "x runs / workers = s"],
        [
            [
                r,
                p["replay_s"],
                p["copy_ms"],
                p["ms_per_round"],
                p["run_ms"],
                round(p["run_ms"] * runs / WORKERS / 1000, 2),
            ]
            for r, p in parts.items()
        ],
    )
    shares = profile_shares(record, 365, horizon)
    print_table(
        "Where a continuation from round 365 goes (cProfile cumulative share)",
        ["part", "share %"],
        [list(row) for row in shares],
    )
    print(f"load after: {machine_load()}")
    print(
        "RESULT "
        + json.dumps(
            {
                "runs": runs,
                "horizon": horizon,
                "workers": WORKERS,
                "requests": figures,
                "in_process": parts,
                "profile_365": dict(shares),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
