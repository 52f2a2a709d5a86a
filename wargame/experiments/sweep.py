"""Running a sweep: plan it, then feed its tasks to a `concurrent.futures` executor.

One runner serves every engine: an in-process executor (workers = 1), a local process pool of
warm workers, or a Dask cluster's executor (`Client.get_executor()`); they differ only in the
executor handed in. The runner keeps a bounded number of tasks in flight (never the whole design
in memory), writes finished runs to the results folder as they come, rebuilds a local pool whose
worker died and resubmits what it lost, and skips the runs an earlier, interrupted sweep stored.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import time
import typing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import islice

import pandas as pd
import pyarrow as pa

from wargame.config.loader import LoadedExperiment
from wargame.engine.metrics import MODEL_REPORTERS
from wargame.experiments.design import RunSpec, iter_runs, table_of
from wargame.experiments.design import fingerprint as design_fingerprint
from wargame.experiments.errors import SweepStoppedError
from wargame.experiments.interrupts import interrupts_held
from wargame.experiments.outcomes import OUTCOME_TYPES
from wargame.experiments.preflight import preflight
from wargame.experiments.store import ResultStore, git_commit, package_versions, writer_lock
from wargame.experiments.worker import Task, TaskResult, run_row, run_task, start_worker

TASK_ROUNDS = 2000  # rounds of model time a task aims for when runs_per_task is not set
PART_SECONDS = 10.0  # a part closes after this long even if it holds fewer rows than asked
# One per `preflight.VALUE_TYPES`: the Arrow type of a results column holding that type.
ARROW_TYPES = {bool: pa.bool_(), int: pa.int64(), float: pa.float64(), str: pa.string()}


@dataclass
class SweepReport:
    planned: int
    already_done: int
    ran: int = 0
    failed: int = 0
    pool_rebuilds: int = 0
    seconds: float = 0.0
    lost_tasks: int = 0
    output: str = ""
    interrupted: bool = False

    @property
    def rate(self) -> float:
        return self.ran / self.seconds if self.seconds else 0.0


@dataclass
class Plan:
    loaded: LoadedExperiment
    design: pd.DataFrame
    fingerprint: str
    total_runs: int
    runs_per_task: int
    max_in_flight: int
    workers: int
    base_key: int = field(default=0)
    runs_schema: pa.Schema | None = None
    timeseries_schema: pa.Schema | None = None
    points_checked: int = 0


class InProcessExecutor(Executor):
    """Runs each task at once in this process: the serial engine behind the same interface."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001  (handed to the caller like any executor)
            future.set_exception(error)
        return future


def result_schemas(
    loaded: LoadedExperiment, types: dict[str, type]
) -> tuple[pa.Schema, pa.Schema | None]:
    """The one schema of every runs part and every timeseries part, from the experiment."""
    experiment = loaded.experiment
    runs = pa.schema(
        [
            ("run_id", pa.string()),
            ("point", pa.int64()),
            ("replicate", pa.int64()),
            ("seed", pa.int64()),
            *((f"param:{name}", ARROW_TYPES[kind]) for name, kind in types.items()),
            *((name, ARROW_TYPES[OUTCOME_TYPES[name]]) for name in experiment.outcomes),
            ("status", pa.string()),
            ("error", pa.string()),
            ("duration_s", pa.float64()),
        ]
    )
    if experiment.timeseries is None:
        return runs, None
    series = pa.schema(
        [
            ("run_id", pa.string()),
            ("round", pa.int64()),
            *((name, ARROW_TYPES[metric_type(name)]) for name in experiment.timeseries.metrics),
        ]
    )
    return runs, series


def metric_type(name: str) -> type:
    """A per-round metric's type, as its reporter declares it."""
    return typing.get_type_hints(MODEL_REPORTERS[name])["return"]


def plan_sweep(
    loaded: LoadedExperiment, workers: int | None = None, points: Sequence[int] | None = None
) -> Plan:
    """The sweep's plan. `points`: run only these points of the design (each with the seeds it
    has in the whole design); None runs them all."""
    checked = preflight(loaded)  # what `run.py validate` checks, so what it accepts plans
    experiment = loaded.experiment
    table = table_of(experiment, checked.rows)
    if points is not None:
        wanted = sorted(set(int(p) for p in points))
        if wanted and not 0 <= wanted[0] <= wanted[-1] < len(table):
            raise ValueError(f"points must lie in 0..{len(table) - 1}, got {wanted}")
        table = table.iloc[wanted].reset_index(drop=True)
    runs_schema, timeseries_schema = result_schemas(loaded, checked.types)
    total = len(table) * experiment.replicates
    execution = experiment.execution
    workers = workers if workers is not None else execution.workers
    workers = workers or os.cpu_count() or 1
    # Tasks of a few seconds each (~2,000 rounds): long enough to amortise shipping a task (the
    # base scenario travels with it), short enough for steady progress, a balanced tail and
    # little to redo after an interruption; and at least 8 tasks per worker.
    runs_per_task = execution.runs_per_task or max(
        1, min(50, TASK_ROUNDS // experiment.rounds, total // (workers * 8))
    )
    # In-process runs finish inside `submit`: one at a time, so each is stored as it ends.
    max_in_flight = execution.max_in_flight or (1 if workers == 1 else 4 * workers)
    fingerprint = design_fingerprint(experiment, loaded.base_data)
    if points is not None:  # a subset's folder is not the whole design's: never resumed as it
        subset = ",".join(str(p) for p in table["point"])
        fingerprint = hashlib.sha256(f"{fingerprint}:{subset}".encode()).hexdigest()[:16]
    return Plan(
        loaded,
        table,
        fingerprint,
        total,
        runs_per_task,
        max_in_flight,
        workers,
        base_key=int(fingerprint, 16),
        runs_schema=runs_schema,
        timeseries_schema=timeseries_schema,
        points_checked=checked.points_checked,
    )


_lifeline: list = []  # (read end, write end) of this process's pipe to its workers


def lifeline():
    """The read end of a pipe whose write end this process alone holds until it exits; every
    local worker watches it and exits when it closes (see `worker.start_worker`). A worker's
    parent is the forkserver, not the sweep, so it cannot watch its parent instead."""
    if not _lifeline:
        _lifeline.extend(multiprocessing.get_context("forkserver").Pipe(duplex=False))
    return _lifeline[0]


def local_pool(workers: int) -> ProcessPoolExecutor:
    """Warm workers: forked from a server that has already imported the engine. They exit
    within moments of this process's death, however it dies."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["wargame.experiments.worker"])
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=start_worker,
        initargs=(lifeline(),),
    )


def tasks_of(plan: Plan, runs: Iterator[RunSpec]) -> Iterator[Task]:
    experiment = plan.loaded.experiment
    timeseries = experiment.timeseries
    while batch := tuple(islice(runs, plan.runs_per_task)):
        yield Task(
            base_key=plan.base_key,
            base_data=plan.loaded.base_data,
            runs=batch,
            rounds=experiment.rounds,
            outcomes=experiment.outcomes,
            timeseries_every=timeseries.every if timeseries else None,
            timeseries_metrics=timeseries.metrics if timeseries else (),
        )


def run_sweep(
    plan: Plan,
    make_executor: Callable[[], Executor],
    fresh: bool = False,
    progress: Callable[[SweepReport], None] | None = None,
) -> SweepReport:
    """Run what the results folder lacks. The folder's writer lock is held from before it is
    opened (or created, or replaced by `fresh`) until the last part is stored: a second sweep
    on the same folder stops at once instead of writing the same runs again."""
    with writer_lock(plan.loaded.output):
        return run_locked(plan, make_executor, fresh, progress)


def run_locked(
    plan: Plan,
    make_executor: Callable[[], Executor],
    fresh: bool,
    progress: Callable[[SweepReport], None] | None,
) -> SweepReport:
    loaded = plan.loaded
    store = ResultStore(loaded.output, plan.runs_schema, plan.timeseries_schema)
    manifest = {
        "experiment_file": str(loaded.path),
        "experiment_text": loaded.text,
        "base_scenario": str(loaded.base_path),
        "planned_runs": plan.total_runs,
        "points": len(plan.design),
        "packages": package_versions(),
        "git_commit": git_commit(loaded.path.parent),
    }
    done = store.open(plan.fingerprint, manifest, plan.design, fresh)
    report = SweepReport(planned=plan.total_runs, already_done=len(done), output=str(loaded.output))
    pending_runs = (
        spec for spec in iter_runs(loaded.experiment, plan.design) if spec.run_id not in done
    )
    tasks = tasks_of(plan, pending_runs)
    on_error = loaded.experiment.execution.on_error
    retries = loaded.experiment.execution.retries
    rows_per_part = loaded.experiment.execution.rows_per_part
    started = time.perf_counter()
    buffer_rows: list[dict] = []
    buffer_series: list[dict] = []
    last_flush = time.perf_counter()

    def flush(force: bool = False) -> None:
        nonlocal buffer_rows, buffer_series, last_flush
        due = len(buffer_rows) >= rows_per_part or time.perf_counter() - last_flush >= PART_SECONDS
        if buffer_rows and (force or due):
            # Stored and forgotten together: an interrupt between the two would store the
            # rows twice (the final flush writes them again) or leave a part half-shown.
            with interrupts_held():
                store.write_part(buffer_rows, buffer_series)
                buffer_rows, buffer_series = [], []
                last_flush = time.perf_counter()

    executor = make_executor()
    in_flight: dict[Future, tuple[Task, int]] = {}
    resubmit: list[tuple[Task, int]] = []
    try:
        while True:
            while len(in_flight) < plan.max_in_flight:
                if resubmit:
                    task, attempt = resubmit.pop()
                else:
                    task = next(tasks, None)
                    attempt = 0
                    if task is None:
                        break
                in_flight[executor.submit(run_task, task)] = (task, attempt)
            if not in_flight:
                break
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                task, attempt = in_flight.pop(future)
                try:
                    result: TaskResult = future.result()
                except Exception as error:  # noqa: BLE001  (the engine failed, not a run)
                    # run_task turns every run's own error into a row, so an exception here
                    # means the worker died: a broken local pool, or Dask giving up on a task.
                    broken = broken or isinstance(error, BrokenProcessPool)
                    if attempt < retries:
                        resubmit.append((task, attempt + 1))
                    else:
                        report.lost_tasks += 1
                        record(worker_died(task, error), report, buffer_rows, buffer_series)
                    continue
                record(result, report, buffer_rows, buffer_series)
                if on_error == "stop" and any(r["status"] == "error" for r in result.rows):
                    flush(force=True)
                    bad = next(r for r in result.rows if r["status"] == "error")
                    raise SweepStoppedError(f"run {bad['run_id']} failed: {bad['error']}")
            if broken:
                # Every task still in the broken pool is lost with it: take them back.
                resubmit.extend(in_flight.values())
                in_flight.clear()
                stop_executor(executor)
                executor = make_executor()
                report.pool_rebuilds += 1
            flush()
            report.seconds = time.perf_counter() - started
            if progress:
                progress(report)
    except KeyboardInterrupt:
        # Stop the workers first (their runs are lost, and redone on resume), then store
        # what finished: Ctrl-C answers in well under a second.
        report.interrupted = True
        stop_executor(executor, kill=True)
    finally:
        flush(force=True)
        report.seconds = time.perf_counter() - started
        stop_executor(executor)
    return report


def stop_executor(executor: Executor, kill: bool = False) -> None:
    """Stop without waiting; cancel what has not started where the executor supports it.
    `kill` also ends a local pool's busy workers instead of letting their tasks finish."""
    if kill:
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.kill()
    try:
        executor.shutdown(wait=False, cancel_futures=True)
    except TypeError:  # Dask's ClientExecutor has no cancel_futures
        executor.shutdown(wait=False)


def record(result: TaskResult, report: SweepReport, rows: list, series: list) -> None:
    rows.extend(result.rows)
    series.extend(result.timeseries)
    report.ran += len(result.rows)
    report.failed += sum(r["status"] != "ok" for r in result.rows)


def worker_died(task: Task, error: BaseException) -> TaskResult:
    """A task that kept killing its worker: its runs are recorded as failed, not dropped."""
    message = f"worker died running this task, {type(error).__name__} (after retries)"
    rows = [
        {
            **run_row(spec),
            **dict.fromkeys(task.outcomes),
            "status": "error",
            "error": message,
            "duration_s": 0.0,
        }
        for spec in task.runs
    ]
    return TaskResult(rows=rows)


_last_progress = [0.0]


def print_progress(report: SweepReport, stream=sys.stderr) -> None:
    """One progress line, redrawn at most twice a second."""
    now = time.perf_counter()
    if now - _last_progress[0] < 0.5 and report.ran < report.planned - report.already_done:
        return
    _last_progress[0] = now
    total = report.planned - report.already_done
    left = max(0, total - report.ran)
    eta = left / report.rate if report.rate else float("inf")
    eta_text = "-" if eta == float("inf") else duration_text(eta)
    stream.write(
        f"\r  runs {report.ran:,}/{total:,} done, {report.failed:,} failed, "
        f"{report.rate:,.1f} runs/s, ETA {eta_text}   "
    )
    stream.flush()


def duration_text(seconds: float) -> str:
    """`04:12:00`, or `3 d 04:12:00` once it is days (never wrapping at 24 h)."""
    days, rest = divmod(round(seconds), 86_400)
    hours, rest = divmod(rest, 3600)
    clock = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{days:,} d {clock}" if days else clock
