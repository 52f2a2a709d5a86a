"""Engine benchmark: this checkout against a base commit, side by side in one run.

Run from the project root:

    .venv/bin/python benchmarks/bench_engine.py                # full run, 3-6 minutes
    .venv/bin/python benchmarks/bench_engine.py --quick        # smoke check, under a minute
    .venv/bin/python benchmarks/bench_engine.py --base COMMIT  # another base (default b4fa15e)

The base commit (b4fa15e: the commit before issue 8) is checked out with
`git worktree add --detach` into a temporary folder, removed at the end, also on an error,
Ctrl-C or SIGTERM. Each side runs in its own process (this script with `--serve`), with this
interpreter, PYTHONPATH set to its folder and its own configs/scenarios/gulf_2026.yaml.
Repetitions alternate (old then new, new then old, ...) so the machine's load touches both
alike; every figure is the median of its repetitions; "x faster" is old time / new time.
`--quick`: 120 rounds, 2 repeats, 3 + 5 rounds a scaling row, 20 continuations from round 30,
3 starts, no limits scenario.

1. Rounds per CPU-second (`time.process_time`): the default scenario, 365 rounds, seed 1, build
   excluded. The issue changes no behaviour, so both sides must play the same game: the agent
   count after every round is compared.
2. Vessel scaling: CPU ms a round as `shipping.arrivals_per_round` goes 100, 1,000, 10,000,
   timed after a warm-up. Live ships at the end and the fewest in the window: when the
   escalation stops shipping the count falls to 0 and the row no longer measures those ships,
   so it is flagged.
3. "Where is this heading?": `start_outlook(...).wait()`, 200 continuations of 60 rounds from
   round 365, on a new pool (cold), then again on the same pool (warm). Beside the wall time,
   the workers' CPU seconds: on a shared machine the steadier figure.
4. Cold start: `run.py --help`, `run.py validate` of the default scenario and of one grown to
   every list limit of the schema (2,000 nodes, 20,000 edges, ...), each in fresh processes;
   median wall and CPU ms, and whether Mesa or pandas were imported (`-X importtime`).

Nothing is asserted on a time; the last line, `RESULT {json}`, holds every figure.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine_load, print_table  # noqa: E402  (benchmarks/ is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "configs/scenarios/gulf_2026.yaml"  # relative to each side's folder
REPLY = "REPLY "
FULL = {
    "rounds": 365,
    "repeats": 9,
    "arrivals": (100, 1_000, 10_000),
    "warmup": 5,  # the 10,000 row stays steady for ~30 rounds with seed 1, then shipping stops
    "timed": 20,
    "scaling_repeats": 3,
    "outlook": {"from_round": 365, "runs": 200, "horizon": 60},
    "outlook_repeats": 2,
    "starts": 7,
    "limits_starts": 3,
}
QUICK = {
    "rounds": 120,
    "repeats": 2,
    "arrivals": (100, 1_000, 10_000),
    "warmup": 3,
    "timed": 5,
    "scaling_repeats": 1,
    "outlook": {"from_round": 30, "runs": 20, "horizon": 60},
    "outlook_repeats": 1,
    "starts": 3,
    "limits_starts": 0,  # 7 s a run: left out of the smoke check
}


# --- the child side: measurements against whichever `wargame` PYTHONPATH names -----------------


def scenario(arrivals: float | None = None):
    from wargame.config.loader import load_scenario
    from wargame.config.schema import Scenario

    base = load_scenario(SCENARIO)
    if arrivals is None:
        return base
    data = base.model_dump()
    data["shipping"]["arrivals_per_round"] = arrivals
    return Scenario.model_validate(data)


def task_hello() -> dict:
    import platform

    import mesa
    import numpy

    import wargame

    versions = (
        f"python {platform.python_version()}, mesa {mesa.__version__}, numpy {numpy.__version__}"
    )
    return {"wargame": wargame.__file__, "versions": versions}


def task_rounds(rounds: int, seed: int) -> dict:
    from wargame.engine.model import build_model

    model = build_model(scenario(), seed)
    gc.collect()  # not the garbage of the task before
    counts = []
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        model.step()
        counts.append(len(model.agents))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "rounds_per_cpu_s": rounds / cpu,
        "rounds_per_s": rounds / wall,
        "agents_at_end": counts[-1],
        "game": hashlib.sha256(json.dumps(counts).encode()).hexdigest()[:12],
    }


def task_vessels(arrivals: float, warmup: int, timed: int, seed: int) -> dict:
    from wargame.engine.model import build_model

    model = build_model(scenario(arrivals), seed)
    actors = len(model.agents)  # the state actors: no ship is in the area before round 1
    for _ in range(warmup):
        model.step()
    gc.collect()
    ships = []
    cpu = time.process_time()
    for _ in range(timed):
        model.step()
        ships.append(len(model.agents) - actors)
    cpu = time.process_time() - cpu
    return {"ms_per_round": 1e3 * cpu / timed, "live_end": ships[-1], "live_min": min(ships)}


def task_outlook(from_round: int, runs: int, horizon: int, request: int, cold: bool) -> dict:
    from wargame.experiments.continuation import shutdown_pool, start_outlook
    from wargame.experiments.game import new_game

    if cold:
        shutdown_pool()  # the next request starts a new pool: no worker, no replayed game
    record = new_game(scenario(), 1, "observer", SCENARIO)
    cpu = workers_cpu()
    wall = time.perf_counter()
    result = start_outlook(record, from_round, runs, horizon, request).wait()
    wall = time.perf_counter() - wall
    if result.failed:
        raise RuntimeError(f"{result.failed} continuations failed: {result.errors[:3]}")
    return {"wall_s": wall, "workers_cpu_s": workers_cpu() - cpu, "finished": result.finished}


def workers_cpu() -> float:
    """CPU seconds (user + system) of this process's live descendants: the pool's workers."""
    import psutil

    total = 0.0
    for process in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def task_limits_file(path: str) -> str:
    """Write the default scenario grown to every list limit of the schema: sea waypoints on a
    grid, random lanes between any two nodes, routes between random nodes, one inject a round
    (two in one round would set the same thing twice, which is refused)."""
    import numpy as np
    import yaml
    from annotated_types import MaxLen

    from wargame.config.schema import Scenario, ShippingParams

    def cap(model, field: str) -> int:
        return next(
            m.max_length for m in model.model_fields[field].metadata if isinstance(m, MaxLen)
        )

    rng = np.random.default_rng(1)
    data = yaml.safe_load(Path(SCENARIO).read_text(encoding="utf-8"))
    nodes, edges = data["nodes"], data["edges"]
    for i in range(cap(Scenario, "nodes") - len(nodes)):
        lat, lon = 24 + (i % 40) * 0.1, 50 + (i // 40) * 0.15
        nodes.append({"id": f"s{i}", "name": f"S{i}", "kind": "sea", "lat": lat, "lon": lon})
    ids = [node["id"] for node in nodes]

    def two_nodes() -> tuple[str, str]:
        a, b = rng.choice(len(ids), 2, replace=False)
        return ids[a], ids[b]

    seen = {frozenset((e["a"], e["b"])) for e in edges}
    while len(edges) < cap(Scenario, "edges"):
        a, b = two_nodes()
        if frozenset((a, b)) not in seen:
            seen.add(frozenset((a, b)))
            edges.append({"a": a, "b": b, "lane": ("tss", "corridor", "open")[rng.integers(3)]})
    routes = data["shipping"]["routes"] = []
    while len(routes) < cap(ShippingParams, "routes"):
        origin, destination = two_nodes()
        routes.append({"origin": origin, "destination": destination, "share": 1.0})
    injects = data["injects"] = []
    while len(injects) < cap(Scenario, "injects"):
        injects.append({"round": len(injects) + 1, "kind": "lebanon_intensity", "value": 0.5})
    text = yaml.safe_dump(data, default_flow_style=None, width=10**6, sort_keys=False)
    Path(path).write_text(text, encoding="utf-8")
    return f"{len(nodes):,} nodes, {len(edges):,} edges, ...: {len(text) / 1e6:.1f} MB"


TASKS = {
    "hello": task_hello,
    "rounds": task_rounds,
    "vessels": task_vessels,
    "outlook": task_outlook,
    "limits_file": task_limits_file,
}


def serve() -> int:
    """Answer one JSON task a line on stdin with one `REPLY {json}` line on stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it ends this process
    for line in sys.stdin:
        task = json.loads(line)
        print(REPLY + json.dumps(TASKS[task.pop("task")](**task)), flush=True)
    if "wargame.experiments.continuation" in sys.modules:  # end the outlook's pool, if any
        sys.modules["wargame.experiments.continuation"].shutdown_pool()
    return 0


# --- the parent: two sides, taking turns ---------------------------------------------------------


class Side:
    """One checkout ("old" or "new") and the child process that measures it."""

    def __init__(self, name: str, root: Path):
        self.name, self.root = name, root
        self.env = {**os.environ, "PYTHONPATH": str(root)}
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve"],
            cwd=root,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def check(self) -> str:
        """Refuse to measure code from elsewhere (the editable install must not win)."""
        hello = self.ask("hello")
        where = Path(hello["wargame"]).resolve()
        if not where.is_relative_to(self.root.resolve()):
            raise RuntimeError(
                f"the {self.name} side imported wargame from {where}, not {self.root}"
            )
        return hello["versions"]

    def ask(self, task: str, **args) -> dict:
        self.process.stdin.write(json.dumps({"task": task, **args}) + "\n")
        self.process.stdin.flush()
        for line in self.process.stdout:
            if line.startswith(REPLY):
                return json.loads(line[len(REPLY) :])
            sys.stderr.write(line)  # the engine logs to stderr; anything else is passed on
        raise RuntimeError(f"the {self.name} side stopped (exit {self.process.wait()}) in {task}")

    def run_py(self, *argv: str, python: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
        """`run.py ARGV` of this side in a new process; a failure raises."""
        command = [sys.executable, *python, "run.py", *argv]
        return subprocess.run(
            command, cwd=self.root, env=self.env, check=True, capture_output=True, text=True
        )

    def __enter__(self) -> Side:
        return self

    def __exit__(self, error_type, *_) -> None:
        """After a normal end the child ends its pool and exits; after an error, stop it now."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        if error_type is not None:
            self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def base_checkout(commit: str):
    """`commit` in a temporary git worktree, removed on the way out (also on Ctrl-C, SIGTERM)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-base-"))
    try:
        git("worktree", "add", "--detach", "--quiet", str(folder), commit).check_returncode()
        yield folder
    finally:
        git("worktree", "remove", "--force", str(folder))
        shutil.rmtree(folder, ignore_errors=True)
        git("worktree", "prune")


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)


def interleaved(sides: list[Side], repeats: int, measure) -> dict[str, list[dict]]:
    """`measure(side, repeat)` `repeats` times a side, taking turns: old-new, new-old, ..."""
    results: dict[str, list[dict]] = {side.name: [] for side in sides}
    for repeat in range(repeats):
        for side in sides if repeat % 2 == 0 else sides[::-1]:
            results[side.name].append(measure(side, repeat))
    return results


def medians(runs: dict[str, list[dict]], key: str) -> tuple[float, float]:
    old, new = (statistics.median(r[key] for r in runs[side]) for side in ("old", "new"))
    return old, new


def compared(what: str, old: float, new: float, rate: bool = False, note: str = "") -> dict:
    """A table row; "x faster" is new/old for a rate, old/new for a time."""
    return {
        "what": what,
        "old": old,
        "new": new,
        "x_faster": new / old if rate else old / new,
        "note": note,
    }


def show(title: str, rows: list[dict]) -> None:
    print_table(
        title,
        ["", "old", "new", "x faster", ""],
        [[r["what"], r["old"], r["new"], r["x_faster"], r["note"]] for r in rows],
    )


def fresh_process(side: Side, argv: list[str]) -> dict:
    """`run.py ARGV` in a new process of that side: wall and CPU ms (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    side.run_py(*argv)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"wall_ms": 1e3 * wall, "cpu_ms": 1e3 * cpu}


def heavy_imports(side: Side, argv: list[str]) -> str:
    """Which of mesa and pandas `run.py ARGV` imports (read from `-X importtime`)."""
    done = side.run_py(*argv, python=("-X", "importtime"))
    names = {ln.rsplit("|", 1)[-1].strip() for ln in done.stderr.splitlines() if "|" in ln}
    return " and ".join(sorted(names & {"mesa", "pandas"})) or "neither"


# --- the four sections ------------------------------------------------------------------------


def bench_rounds(sides: list[Side], cfg: dict) -> list[dict]:
    def measure(side: Side, _: int) -> dict:
        return side.ask("rounds", rounds=cfg["rounds"], seed=1)

    runs = interleaved(sides, cfg["repeats"], measure)
    same = len({r["game"] for side in runs.values() for r in side}) == 1
    rows = [
        compared(
            "rounds per CPU-second",
            *medians(runs, "rounds_per_cpu_s"),
            rate=True,
            note="the same game" if same else "NOT THE SAME GAME (agent counts differ)",
        ),
        compared("rounds per wall-second", *medians(runs, "rounds_per_s"), rate=True),
    ]
    show(f"[1] Default scenario, {cfg['rounds']} rounds, seed 1 (median of {cfg['repeats']})", rows)
    return rows


def bench_vessels(sides: list[Side], cfg: dict) -> list[dict]:
    rows = []
    for arrivals in cfg["arrivals"]:

        def measure(side: Side, _: int, arrivals=arrivals) -> dict:
            return side.ask(
                "vessels", arrivals=arrivals, warmup=cfg["warmup"], timed=cfg["timed"], seed=1
            )

        # A 20-round window at 100 ships is ~30 ms of CPU: repeat the small rows more.
        repeats = cfg["scaling_repeats"] * max(1, 1_000 // arrivals)
        runs = interleaved(sides, repeats, measure)
        ends = " / ".join(f"{runs[s][0]['live_end']:,}" for s in ("old", "new"))
        fewest = min(r["live_min"] for side in runs.values() for r in side)
        note = f"median of {repeats}; live ships at the end {ends}, fewest {fewest:,}"
        rows.append(
            compared(
                f"{arrivals:,} arrivals a round: CPU ms a round",
                *medians(runs, "ms_per_round"),
                note=note + ("  FELL TO 0: not steady" if fewest == 0 else ""),
            )
        )
    show(
        f"[2] Vessel scaling: {cfg['warmup']} warm-up rounds, then {cfg['timed']} timed",
        rows,
    )
    return rows


def bench_outlook(sides: list[Side], cfg: dict) -> list[dict]:
    spec = cfg["outlook"]

    def measure(side: Side, repeat: int) -> dict:
        cold = side.ask("outlook", **spec, request=2 * repeat + 1, cold=True)
        warm = side.ask("outlook", **spec, request=2 * repeat + 2, cold=False)
        return {
            f"{pool}_{k}": v for pool, r in (("cold", cold), ("warm", warm)) for k, v in r.items()
        }

    runs = interleaved(sides, cfg["outlook_repeats"], measure)
    rows = [
        compared(f"{pool} pool: {what}", *medians(runs, f"{pool}_{key}"))
        for pool in ("cold", "warm")
        for what, key in (("wall s", "wall_s"), ("workers' CPU s", "workers_cpu_s"))
    ]
    show(
        f"[3] Where is this heading? {spec['runs']} continuations x {spec['horizon']} rounds "
        f"from round {spec['from_round']} (median of {cfg['outlook_repeats']})",
        rows,
    )
    return rows


def bench_cold_start(sides: list[Side], cfg: dict, folder: Path) -> list[dict]:
    commands = [
        ("run.py --help", lambda s: ["--help"], cfg["starts"]),
        ("run.py validate, default", lambda s: ["validate", SCENARIO], cfg["starts"]),
    ]
    if cfg["limits_starts"]:
        size = [s.ask("limits_file", path=str(folder / f"{s.name}.yaml")) for s in sides][-1]
        path = lambda s: str(folder / f"{s.name}.yaml")  # noqa: E731
        commands.append(
            (
                f"run.py validate, limits ({size})",
                lambda s: ["validate", path(s)],
                cfg["limits_starts"],
            )
        )
    rows = []
    for label, argv, repeats in commands:
        runs = interleaved(sides, repeats, lambda s, _, argv=argv: fresh_process(s, argv(s)))
        rows.append(compared(f"{label}: wall ms", *medians(runs, "wall_ms")))
        rows.append(compared(f"{label}: CPU ms", *medians(runs, "cpu_ms")))
        if "limits" not in label:  # the same imports as the default scenario's, at 10 s a run
            imports = ", ".join(f"{s.name} {heavy_imports(s, argv(s))}" for s in sides)
            rows[-1]["note"] = f"imports of mesa, pandas: {imports}"
    show(
        f"[4] Cold start in fresh processes (median of {cfg['starts']}, "
        f"limits of {cfg['limits_starts']})",
        rows,
    )
    return rows


def raise_on_sigterm(signum, frame):
    raise KeyboardInterrupt  # so `finally` removes the worktree and ends the children


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and repeats (< 1 min)")
    parser.add_argument(
        "--base", default="b4fa15e", help="commit to compare with (default b4fa15e)"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve()
    found = git("rev-parse", "--verify", "--quiet", f"{args.base}^{{commit}}")
    if found.returncode:
        print(f"bench_engine.py: --base {args.base!r} is not a commit of {ROOT}", file=sys.stderr)
        return 2
    cfg = QUICK if args.quick else FULL
    signal.signal(signal.SIGTERM, raise_on_sigterm)
    started = time.perf_counter()
    result = {
        "mode": "quick" if args.quick else "full",
        "base": found.stdout.strip(),
        "load_before": machine_load(),
    }
    print(f"Engine benchmark ({result['mode']}): old = {args.base}, new = this checkout")
    print(f"load before: {result['load_before']}")
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as folder:
        old_root = stack.enter_context(base_checkout(args.base))
        sides = [
            stack.enter_context(Side(name, root))
            for name, root in (("old", old_root), ("new", ROOT))
        ]
        result["versions"] = {side.name: side.check() for side in sides}
        print(f"{result['versions']['new']}, {os.cpu_count()} CPUs")
        result["rounds"] = bench_rounds(sides, cfg)
        result["vessels"] = bench_vessels(sides, cfg)
        result["outlook"] = bench_outlook(sides, cfg)
        result["cold_start"] = bench_cold_start(sides, cfg, Path(folder))
    result["load_after"] = machine_load()
    result["elapsed_s"] = time.perf_counter() - started
    print(f"\nload after: {result['load_after']}")
    print(f"rounds per CPU-second, new/old: {result['rounds'][0]['x_faster']:.2f}")
    print(f"benchmark took {result['elapsed_s']:.0f} s")
    print("RESULT " + json.dumps(result, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(
            "bench_engine.py: interrupted; the base commit's worktree is removed", file=sys.stderr
        )
        sys.exit(130)
