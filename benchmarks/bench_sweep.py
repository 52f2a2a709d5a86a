"""Sweep benchmark: how many runs a second a sweep does on 1 and 2 worker processes, and how
much memory it needs.

Run from the project root:

    .venv/bin/python benchmarks/bench_sweep.py           # full run, about 6 minutes on 2 cores
    .venv/bin/python benchmarks/bench_sweep.py --quick   # smoke check, under a minute

Every sweep is what a user types, `run.py sweep FILE --workers N --fresh --quiet`, in a new
process, on a copy of configs/sweeps/policy_levers.yaml (the three levers' 2 x 2 x 2 grid,
90 rounds a run, its outcomes and time series) with fewer replicates and the results in a
temporary folder:

1. Throughput: the same runs on 1 worker (no pool: runs in the sweep's process) and on 2.
   Runs a second from the command's start to its end (Python's start, the pool's and the
   writing of results included, as a user waits for them). On a shared machine other work
   takes cores too, so beside it: the CPU seconds a run (every process of the sweep) and the
   cores the sweep kept busy. On N idle cores, N workers do about N / (CPU s a run) runs a
   second.
2. Memory: the same sweep with 1-round runs (each run then is mostly its setup) at two sizes
   on 2 workers: does the sweep's process grow with the number of runs?

Memory and CPU are sampled every 0.05 s with psutil: the sweep's own process and the whole tree
(its forkserver and workers too; shared pages are counted in each, so that is an upper bound).
`--quick`: 16 runs of 90 rounds, 200 and 400 of 1 round. Nothing is asserted; the last line,
`RESULT {json}`, holds every figure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import yaml
from common import machine_load, print_table  # noqa: E402  (benchmarks/ is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = ROOT / "configs" / "sweeps" / "policy_levers.yaml"
POINTS = 8  # the levers' 2 x 2 x 2 grid
MB = 1024 * 1024
FULL = {"replicates": 25, "memory_runs": (1_000, 10_000)}
QUICK = {"replicates": 2, "memory_runs": (200, 400)}
COLUMNS = {  # a sweep's figure: its header
    "workers": "workers",
    "runs": "runs",
    "failed": "failed",
    "seconds": "seconds",
    "runs_per_s": "runs/s",
    "cpu_s_per_run": "CPU s a run",
    "cores_busy": "cores busy",
    "peak_mb": "sweep process",
    "tree_peak_mb": "with workers",
}


def experiment(folder: Path, name: str, replicates: int, rounds: int | None = None) -> Path:
    """The shipped sweep with `replicates` a point (and `rounds`), its output in `folder`."""
    data = yaml.safe_load(EXPERIMENT.read_text(encoding="utf-8"))
    data["base_scenario"] = str((EXPERIMENT.parent / data["base_scenario"]).resolve())
    data.update(replicates=replicates, output=str(folder / name), rounds=rounds or data["rounds"])
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def sweep(path: Path, workers: int) -> dict:
    """`run.py sweep` of `path` in a new process: wall time, stored runs, CPU and memory."""
    command = [sys.executable, "run.py", "sweep", str(path), "--workers", str(workers)]
    log = path.with_suffix(".log")
    own = tree = 0
    cpu: dict[int, float] = {}  # pid -> CPU seconds last seen, for the sweep and its workers
    started = time.perf_counter()
    with log.open("w") as out:
        process = psutil.Popen([*command, "--fresh", "--quiet"], cwd=ROOT, stdout=out, stderr=out)
        while process.poll() is None:
            with contextlib.suppress(psutil.Error):  # a process ended during the sample: skip it
                family = [process, *process.children(recursive=True)]
                sizes = [p.memory_info().rss for p in family]
                own, tree = max(own, sizes[0]), max(tree, sum(sizes))
                cpu.update({p.pid: sum(p.cpu_times()[:2]) for p in family})
            time.sleep(0.05)
    seconds = time.perf_counter() - started
    if process.returncode:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{log.read_text()}")
    status = pq.read_table(path.parent / path.stem / "runs", columns=["status"]).column("status")
    runs = len(status)
    return {
        "workers": workers,
        "runs": runs,
        "failed": runs - status.to_pylist().count("ok"),
        "seconds": seconds,
        "runs_per_s": runs / seconds,
        # On a shared machine the steady figures: runs/s on N idle cores ~ N / cpu_s_per_run.
        "cpu_s_per_run": sum(cpu.values()) / runs,
        "cores_busy": sum(cpu.values()) / seconds,
        "peak_mb": own / MB,
        "tree_peak_mb": tree / MB,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sweeps, a smoke check")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    result: dict = {"mode": "quick" if args.quick else "full", "load_before": machine_load()}
    print(f"Sweep benchmark ({result['mode']})\nload before: {result['load_before']}")
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        folder = Path(tmp)
        throughput = [
            sweep(experiment(folder, f"levers-{w}", cfg["replicates"]), workers=w) for w in (1, 2)
        ]
        memory = [
            sweep(experiment(folder, f"short-{n}", n // POINTS, rounds=1), workers=2)
            for n in cfg["memory_runs"]
        ]
    rows = [
        [rounds, *(r[key] for key in COLUMNS)]
        for rounds, group in (("90 a run", throughput), ("1 a run", memory))
        for r in group
    ]
    print_table(
        "run.py sweep of the policy_levers grid (8 points), end to end; memory peaks in MB",
        ["rounds", *COLUMNS.values()],
        rows,
    )
    one, two = throughput
    speedup = two["runs_per_s"] / one["runs_per_s"]
    print(
        f"\n2 workers / 1 worker, 90-round runs: {speedup:.2f} x the runs a second, on "
        f"{two['cores_busy']:.2f} / {one['cores_busy']:.2f} cores (the rest of the machine's "
        f"work took the others); on N idle cores: about N / {two['cpu_s_per_run']:.3f} runs a second"
    )
    result.update(throughput=throughput, memory=memory, load_after=machine_load())
    print(f"load after: {result['load_after']}")
    print("RESULT " + json.dumps(result, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
