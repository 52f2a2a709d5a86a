"""Sweep benchmark: runs per second of each sweep engine, and the memory of a large sweep.

Run from the project root:

    .venv/bin/python benchmarks/bench_sweep.py           # full run, about 21 minutes on 2 cores
    .venv/bin/python benchmarks/bench_sweep.py --quick   # smoke check, under 2 minutes

Only figures are printed: a table per section, then one line starting with ``RESULT `` that holds
every figure as JSON. Nothing here asserts on a time or a size. Every measurement runs in a fresh
child process (this script started again with ``--child``), so each peak RSS belongs to one
measurement alone and Mesa's ``batch_run`` (which forces the "spawn" start method for the whole
process) cannot change how the other engines start their workers.

Sections
--------
1. Throughput. One design for every engine: the default scenario (configs/scenarios/
   gulf_2026.yaml), a full grid over the three policy levers (c2_posture x mou_linkage x
   defence_mix, 2 x 2 x 2 = 8 points) x 125 replicates = 1,000 runs of 180 rounds, six summary
   outcomes per run, results written to a temporary folder. Engines: (a) serial, the in-process
   executor; (b) ``local_pool(2)``; (c) a 2-worker Dask LocalCluster (``dask_engine``);
   (d) ``mesa.batch_run`` with ``number_processes=2`` and ``data_collection_period=-1``, driving
   the same model through ``BatchRunAdapter``. Where the full 1,000 runs would not fit the time
   budget, an engine runs the same 8 points with fewer replicates (every lever setting equally
   represented), and the table says how many runs it timed. Setup (starting the pool or cluster
   and importing the engine in its workers) is timed apart from the sweep itself.
2. Memory of a large sweep. Sweeps of 1-round runs (2 local workers, 200 runs per task) of
   growing size, each in a fresh process. A background thread samples the RSS of the process that
   runs the sweep and of its worker processes every 0.25 s; the peak of that process also comes
   from ``getrusage``. The growth per 10,000 runs is the slope of a least-squares line.
3. The same sweep with the model runs stubbed out: an executor that answers every task at once
   with rows of the right shape, so the process running the sweep does all its own work
   (planning, seeds, run ids, batching, writing Parquet parts) at sizes real runs cannot reach
   in the time budget. This isolates the memory of the sweep's own bookkeeping.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import Executor, Future
from pathlib import Path

import mesa
import yaml
from common import machine_load, print_table  # noqa: E402  (benchmarks/ is on sys.path)
from mesa.datacollection import DataCollector

from wargame.config.loader import load_experiment, load_scenario
from wargame.config.schema import Scenario, with_levers
from wargame.engine.model import build_model
from wargame.experiments.design import run_seeds
from wargame.experiments.single_run import outcome_values, summarise
from wargame.experiments.sweep import (
    InProcessExecutor,
    local_pool,
    plan_sweep,
    run_sweep,
)
from wargame.experiments.worker import Task, TaskResult, run_row

try:
    import psutil
except ImportError:  # the benchmark still runs; it then reports only getrusage peaks
    psutil = None

ROOT = Path(__file__).resolve().parents[1]
BASE_SCENARIO = ROOT / "configs" / "scenarios" / "gulf_2026.yaml"
ROOT_SEED = 20261126
LEVERS = {
    "levers.c2_posture": ["fixed_littoral", "distributed_afloat"],
    "levers.mou_linkage": ["linked", "insulated"],
    "levers.defence_mix": ["point_defence", "directed_energy_ew"],
}
POINTS = 8  # 2 x 2 x 2
OUTCOMES = (
    "mou_collapsed_round",
    "truce_held",
    "highest_rung",
    "host_damage",
    "economic_loss_usd",
    "casualties",
)
WORKERS = 2
SAMPLE_SECONDS = 0.25
MB = 1024 * 1024

FULL = {
    "rounds": 180,
    "design_runs": 1_000,  # 8 points x 125 replicates
    # runs actually timed per engine (multiples of 8: the same 8 points, fewer replicates)
    "engine_runs": {"serial": 200, "local": 1_000, "dask": 480, "batch_run": 480},
    "memory_sizes": (5_000, 10_000, 20_000),
    "memory_runs_per_task": 200,
    "stub_sizes": (10_000, 100_000, 1_000_000),
}
QUICK = {
    "rounds": 30,
    "design_runs": 64,
    "engine_runs": {"serial": 64, "local": 64, "dask": 64, "batch_run": 64},
    "memory_sizes": (1_000, 2_000),
    "memory_runs_per_task": 200,
    "stub_sizes": (10_000, 50_000),
}
TARGET_LOCAL_OVER_SERIAL = 1.8
TARGET_LOCAL_OVER_BATCH_RUN = 3.0
TARGET_PEAK_MB = 500


# --- small helpers ----------------------------------------------------------------------------


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of ys against xs."""
    if len(xs) < 2:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else None


class Sampler(threading.Thread):
    """Samples RSS (and CPU time) of this process and of every descendant process."""

    def __init__(self, interval: float = SAMPLE_SECONDS):
        super().__init__(daemon=True)
        self.interval = interval
        self.stop_event = threading.Event()
        self.proc = psutil.Process() if psutil else None
        self.self_peak = 0
        self.children_peak = 0  # sum over descendants (shared pages counted in each)
        self.child_peak = 0  # the largest single descendant
        self.child_cpu: dict[int, float] = {}  # pid -> CPU seconds last seen
        self.trace: list[tuple[float, int]] = []  # (seconds, self RSS)
        self.started = time.perf_counter()

    def sample(self) -> None:
        if self.proc is None:
            return
        rss = self.proc.memory_info().rss
        self.self_peak = max(self.self_peak, rss)
        self.trace.append((time.perf_counter() - self.started, rss))
        total = 0
        for child in self.proc.children(recursive=True):
            try:
                child_rss = child.memory_info().rss
                times = child.cpu_times()
            except psutil.Error:
                continue
            total += child_rss
            self.child_peak = max(self.child_peak, child_rss)
            self.child_cpu[child.pid] = times.user + times.system
        self.children_peak = max(self.children_peak, total)

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            with contextlib.suppress(Exception):  # a process vanished mid-sample: skip it
                self.sample()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.sample()
        self.stop_event.set()
        self.join(timeout=5)

    def figures(self) -> dict:
        trace = self.trace
        quarters = {}
        if trace:
            end = trace[-1][0]
            for q in (0.25, 0.5, 0.75, 1.0):
                quarters[f"rss_at_{int(q * 100)}pct_mb"] = next(
                    (r / MB for t, r in trace if t >= q * end), trace[-1][1] / MB
                )
        return {
            "parent_peak_sampled_mb": self.self_peak / MB if self.proc else None,
            "children_total_peak_mb": self.children_peak / MB if self.proc else None,
            "child_peak_mb": self.child_peak / MB if self.proc else None,
            "children_cpu_s": sum(self.child_cpu.values()),
            **quarters,
        }


def ru_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def write_experiment(folder: Path, name: str, rounds: int, runs: int, **execution) -> Path:
    """An experiment file like the tests write: the three levers' grid, runs // 8 replicates."""
    data = {
        "name": name,
        "base_scenario": str(BASE_SCENARIO),
        "rounds": rounds,
        "replicates": max(1, runs // POINTS),
        "root_seed": ROOT_SEED,
        "parameters": LEVERS,
        "outcomes": list(OUTCOMES),
        "output": str(folder / f"results-{name}"),
    }
    if execution:
        data["execution"] = execution
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def middle_rate(trace: list[tuple[float, float]], total: int) -> float | None:
    """Runs per second between the first completion at >= 10% and the first at >= 90% of the
    runs: the rate without the pipeline filling at the start and the tail at the end."""
    low = next(((t, n) for t, n in trace if n >= 0.1 * total), None)
    high = next(((t, n) for t, n in trace if n >= 0.9 * total), None)
    if not low or not high or high[0] <= low[0]:
        return None
    return (high[1] - low[1]) / (high[0] - low[0])


def busy_share(folder: Path, seconds: float, workers: int) -> float | None:
    """Sum of the runs' own durations (the `duration_s` column) over workers x sweep time."""
    import pyarrow.parquet as pq

    total = sum(
        sum(pq.read_table(p, columns=["duration_s"]).column("duration_s").to_pylist())
        for p in (folder / "runs").glob("part-*.parquet")
    )
    return total / (workers * seconds) if seconds else None


def stored_rows(folder: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(p).num_rows for p in (folder / "runs").glob("part-*.parquet"))


# --- Mesa batch_run adapter -------------------------------------------------------------------

_BASE: Scenario | None = None
_SCENARIOS: dict[tuple, Scenario] = {}


def lever_scenario(c2_posture: str, mou_linkage: str, defence_mix: str) -> Scenario:
    """The base scenario with these levers (validated once per process, as the sweep worker does)."""
    global _BASE
    key = (c2_posture, mou_linkage, defence_mix)
    if key not in _SCENARIOS:
        if _BASE is None:
            _BASE = load_scenario(BASE_SCENARIO)
        _SCENARIOS[key] = with_levers(
            _BASE, c2_posture=c2_posture, mou_linkage=mou_linkage, defence_mix=defence_mix
        )
    return _SCENARIOS[key]


class BatchRunAdapter(mesa.Model):
    """Our GulfModel behind the constructor `mesa.batch_run` calls: levers, rounds and `rng`.

    Mesa 3.5's batch_run passes each seed as `seed=` if the model's signature has a `seed`
    parameter, else as `rng=`; `seed` on `mesa.Model` is deprecated (FutureWarning), so this takes
    `rng`. The outcomes are computed once, after the last round, and recorded by a model-level
    DataCollector, which is what batch_run reads with data_collection_period=-1.
    """

    def __init__(self, c2_posture, mou_linkage, defence_mix, rounds, rng=None):
        started = time.time()  # wall clock shared by all processes: the run's window
        super().__init__(rng=rng)
        seed = int(rng) if rng is not None else int(self.rng.integers(2**62))
        self.gulf = build_model(lever_scenario(c2_posture, mou_linkage, defence_mix), seed)
        self.rounds = rounds
        self.outcomes: dict = {"started": started}
        self.datacollector = DataCollector(
            model_reporters={name: _reporter(name) for name in (*OUTCOMES, "started", "ended")}
        )

    def step(self) -> None:
        self.gulf.step()
        if self.steps >= self.rounds:
            self.outcomes.update(outcome_values(summarise(self.gulf), OUTCOMES))
            self.outcomes["ended"] = time.time()
            self.datacollector.collect(self)
            self.running = False


def _reporter(name: str):
    return lambda model: model.outcomes[name]


# --- children: one measurement each -----------------------------------------------------------


def warm_pool(workers: int):
    """Start a local pool and make sure all its workers are up (forkserver preload included)."""
    pool = local_pool(workers)
    pids = set()
    for _ in range(50):
        futures = [pool.submit(os.getpid) for _ in range(4 * workers)]
        pids.update(f.result() for f in futures)
        if len(pids) >= workers:
            break
        time.sleep(0.05)
    return pool


def child_sweep(spec: dict) -> dict:
    """One sweep through run_sweep: engine serial, local or dask."""
    engine = spec["engine"]
    folder = Path(spec["folder"])
    execution = {"runs_per_task": spec["runs_per_task"]} if spec.get("runs_per_task") else {}
    path = write_experiment(
        folder, f"{engine}-{spec['runs']}", spec["rounds"], spec["runs"], **execution
    )
    loaded = load_experiment(path)
    workers = 1 if engine == "serial" else WORKERS
    plan = plan_sweep(loaded, workers)
    rss_before = psutil.Process().memory_info().rss / MB if psutil else None
    sampler = Sampler()
    sampler.start()
    cpu0 = time.process_time()
    setup_started = time.perf_counter()
    stack = None
    if engine == "serial":
        made = [InProcessExecutor()]
    elif engine == "local":
        made = [warm_pool(WORKERS)]
    elif engine == "dask":
        from wargame.experiments.cluster import dask_engine

        stack = contextlib.ExitStack()
        make_dask, description = stack.enter_context(dask_engine("local", WORKERS))
        first = make_dask()
        client = getattr(first, "_client", None)
        if client is not None:  # import the engine in every worker before the clock starts
            client.run(importlib.import_module, "wargame.experiments.worker")
        made = [first]
    else:
        raise ValueError(engine)
    setup_s = time.perf_counter() - setup_started

    def make_executor() -> Executor:
        if made:
            return made.pop()
        # Only reached if a worker died and the runner rebuilds its executor.
        if engine == "local":
            return local_pool(WORKERS)
        if engine == "dask":
            return make_dask()
        return InProcessExecutor()

    trace: list[tuple[float, int]] = []  # (seconds into the sweep, runs finished)

    def progress(report) -> None:
        if not trace or report.ran != trace[-1][1]:
            trace.append((report.seconds, report.ran))

    cpu_run0 = time.process_time()
    children_cpu0 = sum(sampler.child_cpu.values())
    report = run_sweep(plan, make_executor, fresh=True, progress=progress)
    cpu_run = time.process_time() - cpu_run0
    teardown_started = time.perf_counter()
    if stack is not None:
        stack.close()
    teardown_s = time.perf_counter() - teardown_started
    sampler.stop()
    children_cpu_run = max(0.0, sum(sampler.child_cpu.values()) - children_cpu0)
    out = {
        "engine": engine,
        "runs": report.ran,
        "failed": report.failed,
        "lost_tasks": report.lost_tasks,
        "pool_rebuilds": report.pool_rebuilds,
        "rounds": spec["rounds"],
        "runs_per_task": plan.runs_per_task,
        "max_in_flight": plan.max_in_flight,
        "setup_s": setup_s,
        "run_s": report.seconds,
        "first_result_s": trace[0][0] if trace else None,
        "runs_per_s_10_90": middle_rate(trace, report.ran),
        "utilisation": busy_share(loaded.output, report.seconds, workers),
        "teardown_s": teardown_s,
        "runs_per_s": report.rate,
        "cpu_s_per_run": (cpu_run + children_cpu_run) / report.ran if report.ran else None,
        "parent_cpu_s": time.process_time() - cpu0,
        "stored_rows": stored_rows(loaded.output),
        "parent_rss_before_mb": rss_before,
        "parent_peak_mb": ru_maxrss_mb(),
        **sampler.figures(),
    }
    return out


def child_batch_run(spec: dict) -> dict:
    """mesa.batch_run over the same 8 points; seeds passed as a list to `rng` (one per replicate)."""
    import pandas as pd
    from mesa.batchrunner import batch_run

    replicates = max(1, spec["runs"] // POINTS)
    seeds = [int(s) for s in run_seeds(ROOT_SEED, replicates)]
    parameters = {path.split(".")[-1]: values for path, values in LEVERS.items()}
    parameters["rounds"] = spec["rounds"]
    sampler = Sampler()
    sampler.start()
    cpu0 = time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        called = time.time()
        results = batch_run(
            BatchRunAdapter,
            parameters=parameters,
            number_processes=WORKERS,
            data_collection_period=-1,
            max_steps=spec["rounds"],
            display_progress=False,
            rng=seeds,
        )
        returned = time.time()
        frame = pd.DataFrame(results)
        frame.drop(columns=["started", "ended"]).to_parquet(
            Path(spec["folder"]) / "batch_run.parquet", index=False
        )
        written = time.time()
    cpu_run = time.process_time() - cpu0
    sampler.stop()
    runs = int(frame["RunId"].nunique())
    # Setup: from the call to the first run's start (starting the spawn pool, importing the
    # engine in each worker). Sweep: from the first run's start to the last result written.
    first_start = float(frame["started"].min())
    ends = sorted(frame["ended"] - first_start)
    busy = float((frame["ended"] - frame["started"]).sum())
    setup_s = first_start - called
    steady_s = written - first_start
    total_s = written - called
    return {
        "engine": "batch_run",
        "runs": runs,
        "rows": len(frame),
        "rounds_recorded": sorted({int(s) for s in frame["Step"]}),
        "missing_outcomes": int(frame[list(OUTCOMES)].isna().all(axis=1).sum()),
        "rounds": spec["rounds"],
        "setup_s": setup_s,
        "first_result_s": float(frame["ended"].min()) - first_start,
        "run_s": steady_s,
        "last_run_to_return_s": returned - float(frame["ended"].max()),
        "end_to_end_s": total_s,
        "runs_per_s": runs / steady_s,
        "runs_per_s_end_to_end": runs / total_s,
        "runs_per_s_10_90": middle_rate([(t, i + 1) for i, t in enumerate(ends)], runs),
        "utilisation": busy / (WORKERS * steady_s),
        # all processes' CPU over the whole call (pool start included), per run
        "cpu_s_per_run": (cpu_run + sum(sampler.child_cpu.values())) / runs if runs else None,
        "warnings": sorted({f"{w.category.__name__}: {str(w.message)[:120]}" for w in caught}),
        "parent_peak_mb": ru_maxrss_mb(),
        **sampler.figures(),
    }


def child_memory(spec: dict) -> dict:
    """A sweep of `runs` 1-round runs on 2 local workers; RSS sampled throughout."""
    folder = Path(spec["folder"])
    path = write_experiment(
        folder,
        f"memory-{spec['runs']}",
        1,
        spec["runs"],
        runs_per_task=spec["runs_per_task"],
    )
    plan = plan_sweep(load_experiment(path), WORKERS)
    rss_before = psutil.Process().memory_info().rss / MB if psutil else None
    peak_before = ru_maxrss_mb()
    sampler = Sampler()
    sampler.start()
    report = run_sweep(plan, lambda: local_pool(WORKERS), fresh=True)
    sampler.stop()
    return {
        "runs": report.ran,
        "failed": report.failed,
        "run_s": report.seconds,
        "runs_per_s": report.rate,
        "runs_per_task": plan.runs_per_task,
        "max_in_flight": plan.max_in_flight,
        "stored_rows": stored_rows(plan.loaded.output),
        "parent_rss_before_mb": rss_before,
        "parent_peak_before_sweep_mb": peak_before,
        "parent_peak_mb": ru_maxrss_mb(),
        **sampler.figures(),
    }


class StubExecutor(Executor):
    """Answers each task at once with rows shaped like run_task's, without running the model."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        task: Task = args[0]
        future: Future = Future()
        rows = []
        for spec in task.runs:
            rows.append(
                {
                    **run_row(spec),
                    "mou_collapsed_round": None if spec.replicate % 3 else 40 + spec.replicate % 50,
                    "truce_held": bool(spec.replicate % 3),
                    "highest_rung": spec.replicate % 7,
                    "host_damage": 1.5e6 + spec.replicate,
                    "economic_loss_usd": 2.5e9 + spec.replicate,
                    "casualties": spec.replicate % 40,
                    "status": "ok",
                    "error": None,
                    "duration_s": 0.5,
                }
            )
        future.set_result(TaskResult(rows=rows))
        return future


def child_stub(spec: dict) -> dict:
    folder = Path(spec["folder"])
    path = write_experiment(
        folder, f"stub-{spec['runs']}", 1, spec["runs"], runs_per_task=spec["runs_per_task"]
    )
    plan = plan_sweep(load_experiment(path), WORKERS)
    rss_before = psutil.Process().memory_info().rss / MB if psutil else None
    sampler = Sampler(interval=0.1)
    sampler.start()
    first = []
    report = run_sweep(
        plan, StubExecutor, fresh=True, progress=lambda r: first or first.append(r.seconds)
    )
    sampler.stop()
    return {
        "runs": report.ran,
        "run_s": report.seconds,
        "runs_per_s": report.rate,
        "first_task_s": first[0] if first else None,
        "stored_rows": stored_rows(plan.loaded.output),
        "parent_rss_before_mb": rss_before,
        "parent_peak_mb": ru_maxrss_mb(),
        **sampler.figures(),
    }


CHILDREN = {
    "sweep": child_sweep,
    "batch_run": child_batch_run,
    "memory": child_memory,
    "stub": child_stub,
}


def in_child(spec: dict) -> dict:
    """Run one measurement in a fresh interpreter; returns its figures (or its error)."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - started
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("CHILD ")), None)
    if proc.returncode or line is None:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        print(f"  !! child {spec} failed (exit {proc.returncode}):\n{tail}", file=sys.stderr)
        return {"error": tail, "process_wall_s": wall}
    result = json.loads(line[len("CHILD ") :])
    result["process_wall_s"] = wall
    return result


def note(text: str) -> None:
    print(f"  .. {text}", file=sys.stderr, flush=True)


# --- sections ---------------------------------------------------------------------------------


def bench_throughput(cfg: dict, folder: Path) -> dict:
    results = {}
    for engine in ("serial", "local", "dask", "batch_run"):
        runs = cfg["engine_runs"][engine]
        note(f"[1] {engine}: {runs} runs x {cfg['rounds']} rounds")
        spec = {"folder": str(folder), "runs": runs, "rounds": cfg["rounds"]}
        if engine == "batch_run":
            results[engine] = in_child({"kind": "batch_run", **spec})
        else:
            results[engine] = in_child({"kind": "sweep", "engine": engine, **spec})
        r = results[engine]
        if "error" not in r:
            note(f"    {r['runs']} runs in {r['run_s']:.1f} s: {r['runs_per_s']:.2f} runs/s")

    labels = {
        "serial": "(a) serial, in-process",
        "local": "(b) local_pool(2)",
        "dask": "(c) Dask LocalCluster, 2 workers",
        "batch_run": "(d) mesa.batch_run, 2 processes",
    }
    rows = []
    for engine, r in results.items():
        if "error" in r:
            rows.append([labels[engine], "failed", *[None] * 14])
            continue
        rows.append(
            [
                labels[engine],
                r["runs"],
                r["setup_s"],
                r.get("first_result_s"),
                r["run_s"],
                r["runs_per_s"],
                r.get("runs_per_s_10_90"),
                r.get("runs_per_s_end_to_end", r["runs"] / (r["setup_s"] + r["run_s"])),
                r.get("utilisation"),
                r["cpu_s_per_run"],
                r.get("runs_per_task"),
                r["parent_peak_mb"],
                r.get("children_total_peak_mb"),
                r.get("child_peak_mb"),
                cfg["design_runs"] / r["runs_per_s"],
                r.get("failed", r.get("missing_outcomes")),
            ]
        )
    print_table(
        f"[1] Throughput: 8-point lever grid, {cfg['rounds']} rounds a run, "
        f"{len(OUTCOMES)} outcomes (design = {cfg['design_runs']:,} runs)",
        [
            "engine",
            "runs timed",
            "setup s",
            "1st result s",
            "sweep s",
            "runs/s",
            "runs/s 10-90%",
            "runs/s incl setup",
            "busy share",
            "CPU s/run",
            "runs/task",
            "parent peak MB",
            "children peak MB",
            "1 child peak MB",
            f"est. s for {cfg['design_runs']:,}",
            "failed",
        ],
        rows,
    )

    def rate(engine, key="runs_per_s"):
        r = results.get(engine, {})
        return r.get(key) if "error" not in r else None

    local = rate("local")
    speedups = {
        "local_over_serial": ratio(local, rate("serial")),
        "local_over_batch_run": ratio(local, rate("batch_run")),
        "local_over_batch_run_end_to_end": ratio(
            rate("local", "runs_per_s"), rate("batch_run", "runs_per_s_end_to_end")
        ),
        "dask_over_serial": ratio(rate("dask"), rate("serial")),
        "local_over_dask": ratio(local, rate("dask")),
        "serial_cpu_over_local_cpu_per_run": ratio(
            results.get("serial", {}).get("cpu_s_per_run"),
            results.get("local", {}).get("cpu_s_per_run"),
        ),
    }
    print_table(
        "[1] Speed-ups (steady-state runs/s; setup excluded)",
        ["ratio", "value", "target"],
        [
            [
                "local_pool(2) / serial",
                speedups["local_over_serial"],
                f">= {TARGET_LOCAL_OVER_SERIAL}",
            ],
            [
                "local_pool(2) / batch_run",
                speedups["local_over_batch_run"],
                f">= {TARGET_LOCAL_OVER_BATCH_RUN}",
            ],
            [
                "local_pool(2) / batch_run incl. its pool start",
                speedups["local_over_batch_run_end_to_end"],
                "-",
            ],
            ["Dask(2) / serial", speedups["dask_over_serial"], "-"],
            ["local_pool(2) / Dask(2)", speedups["local_over_dask"], "-"],
            [
                "CPU s/run serial / CPU s/run local",
                speedups["serial_cpu_over_local_cpu_per_run"],
                "-",
            ],
        ],
    )
    batch = results.get("batch_run", {})
    if batch.get("warnings") is not None:
        print(
            "batch_run warnings caught: "
            + ("; ".join(batch["warnings"]) if batch["warnings"] else "none")
        )
    return {"engines": results, "speedups": speedups}


def bench_memory(cfg: dict, folder: Path) -> dict:
    sizes = []
    for runs in cfg["memory_sizes"]:
        note(f"[2] memory: {runs:,} runs x 1 round on local_pool(2)")
        r = in_child(
            {
                "kind": "memory",
                "folder": str(folder),
                "runs": runs,
                "runs_per_task": cfg["memory_runs_per_task"],
            }
        )
        r["planned"] = runs
        sizes.append(r)
        if "error" not in r:
            note(f"    peak {r['parent_peak_mb']:.0f} MB, {r['runs_per_s']:.1f} runs/s")
    ok = [r for r in sizes if "error" not in r]
    rows = [
        [
            r["runs"],
            r["run_s"],
            r["runs_per_s"],
            r["parent_rss_before_mb"],
            r.get("rss_at_25pct_mb"),
            r.get("rss_at_50pct_mb"),
            r.get("rss_at_75pct_mb"),
            r.get("rss_at_100pct_mb"),
            r["parent_peak_mb"],
            r.get("children_total_peak_mb"),
            r.get("child_peak_mb"),
            r["stored_rows"],
        ]
        for r in ok
    ]
    print_table(
        "[2] Memory of a sweep of 1-round runs (local_pool(2), "
        f"{cfg['memory_runs_per_task']} runs/task); RSS in MB",
        [
            "runs",
            "sweep s",
            "runs/s",
            "parent before",
            "at 25%",
            "at 50%",
            "at 75%",
            "at end",
            "parent peak",
            "children peak",
            "1 child peak",
            "rows stored",
        ],
        rows,
    )
    xs = [r["runs"] for r in ok]
    per_10k = {
        "parent_peak_mb_per_10k": _scaled(slope(xs, [r["parent_peak_mb"] for r in ok])),
        "children_peak_mb_per_10k": _scaled(
            slope(xs, [r.get("children_total_peak_mb") or 0 for r in ok])
        ),
        "child_peak_mb_per_10k": _scaled(slope(xs, [r.get("child_peak_mb") or 0 for r in ok])),
    }
    extrapolated = None
    if ok and per_10k["parent_peak_mb_per_10k"] is not None:
        last = ok[-1]
        extrapolated = last["parent_peak_mb"] + per_10k["parent_peak_mb_per_10k"] * (
            (100_000 - last["runs"]) / 10_000
        )
    print_table(
        "[2] Growth per 10,000 runs (least-squares slope over the sizes above)",
        ["figure", "MB per 10k runs"],
        [
            ["parent peak RSS", per_10k["parent_peak_mb_per_10k"]],
            ["children total peak RSS", per_10k["children_peak_mb_per_10k"]],
            ["largest single child RSS", per_10k["child_peak_mb_per_10k"]],
        ],
    )
    if extrapolated is not None:
        print(
            f"parent peak extrapolated to 100,000 runs: {extrapolated:.0f} MB "
            f"(target <= {TARGET_PEAK_MB} MB)"
        )
    return {"sizes": sizes, "growth": per_10k, "parent_peak_at_100k_extrapolated_mb": extrapolated}


def _scaled(value: float | None) -> float | None:
    return None if value is None else value * 10_000


def bench_stub(cfg: dict, folder: Path) -> dict:
    sizes = []
    for runs in cfg["stub_sizes"]:
        note(f"[3] stubbed runs: {runs:,}")
        r = in_child(
            {
                "kind": "stub",
                "folder": str(folder),
                "runs": runs,
                "runs_per_task": cfg["memory_runs_per_task"],
            }
        )
        r["planned"] = runs
        sizes.append(r)
    ok = [r for r in sizes if "error" not in r]
    print_table(
        "[3] The sweep's own work at scale, model runs stubbed (in-process); RSS in MB",
        [
            "runs",
            "sweep s",
            "runs/s",
            "before 1st task s",
            "parent before",
            "at 50%",
            "at end",
            "parent peak",
            "rows stored",
        ],
        [
            [
                r["runs"],
                r["run_s"],
                r["runs_per_s"],
                r["first_task_s"],
                r["parent_rss_before_mb"],
                r.get("rss_at_50pct_mb"),
                r.get("rss_at_100pct_mb"),
                r["parent_peak_mb"],
                r["stored_rows"],
            ]
            for r in ok
        ],
    )
    xs = [r["runs"] for r in ok]
    growth = _scaled(slope(xs, [r["parent_peak_mb"] for r in ok]))
    if growth is not None:
        print(f"parent peak growth per 10,000 runs (stubbed): {growth:.2f} MB")
    return {"sizes": sizes, "parent_peak_mb_per_10k": growth}


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a smoke check (< 2 min)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sections", default="1,2,3", help="which sections to run (default 1,2,3)")
    args = parser.parse_args(argv)

    if args.child:
        spec = json.loads(args.child)
        result = CHILDREN[spec.pop("kind")](spec)
        print("CHILD " + json.dumps(result, default=float))
        return 0

    cfg = QUICK if args.quick else FULL
    mode = "quick" if args.quick else "full"
    sections = {s.strip() for s in args.sections.split(",")}
    load_before = machine_load()
    print(f"Gulf wargame sweep benchmark ({mode})")
    print(
        f"python {platform.python_version()}, mesa {mesa.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}, psutil "
        f"{psutil.__version__ if psutil else 'missing (getrusage only)'}"
    )
    print(f"load before: {load_before}")
    started = time.perf_counter()
    result: dict = {"mode": mode, "config": {k: v for k, v in cfg.items()}}
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        folder = Path(tmp)
        if "1" in sections:
            result["throughput"] = bench_throughput(cfg, folder)
        if "2" in sections:
            result["memory"] = bench_memory(cfg, folder)
        if "3" in sections:
            result["stub"] = bench_stub(cfg, folder)
    load_after = machine_load()
    elapsed = time.perf_counter() - started
    print(f"\nload after: {load_after}")
    print(f"benchmark took {elapsed:.1f} s wall")
    result.update(
        python=platform.python_version(),
        mesa=mesa.__version__,
        cpus=os.cpu_count(),
        load_before=load_before,
        load_after=load_after,
        elapsed_s=elapsed,
    )
    print("RESULT " + json.dumps(result, default=float, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
