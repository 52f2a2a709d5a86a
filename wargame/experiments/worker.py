"""The work a sweep ships to a worker: a task of runs, done in one process, returned as rows.

Plain, picklable functions of their arguments (no global state but a small cache of validated
scenarios), so a local process pool and a Dask cluster run exactly the same code. A run that
raises becomes a row with its error; only a dead worker loses a task, and the runner resubmits it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from wargame.config.overrides import apply_overrides
from wargame.config.schema import Scenario
from wargame.engine.model import build_model
from wargame.experiments.design import RunSpec
from wargame.experiments.single_run import outcome_values, run_model, summarise

_SCENARIO_CACHE: dict[tuple[int, str], Scenario] = {}
_CACHE_LIMIT = 256


@dataclass(frozen=True)
class Task:
    base_key: int  # identifies base_data, so workers validate each point once
    base_data: dict
    runs: tuple[RunSpec, ...]
    rounds: int
    outcomes: tuple[str, ...]
    timeseries_every: int | None = None
    timeseries_metrics: tuple[str, ...] = ()


@dataclass
class TaskResult:
    rows: list[dict[str, Any]]
    timeseries: list[dict[str, Any]] = field(default_factory=list)


def start_worker(lifeline=None) -> None:
    """A pool worker's initializer. Ctrl-C is for the runner, which stops the workers itself (a
    worker that caught it would hand a KeyboardInterrupt back as a task's result). SIGTERM keeps
    its default: the pool ends the workers of a broken pool with it, and waits for them.
    `lifeline` is the read end of a pipe whose write end only the runner holds: it reaches
    end-of-file when the runner dies, however it died (kill -9 included), and the worker then
    exits at once instead of waiting forever for tasks. The forkserver and the resource tracker
    exit when the last worker has gone (each worker holds their pipes), so nothing of a killed
    sweep lingers holding its stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if lifeline is not None:
        threading.Thread(target=exit_when_closed, args=(lifeline,), daemon=True).start()


def exit_when_closed(lifeline) -> None:
    """Block until the runner's end of the pipe closes, then end this process."""
    with contextlib.suppress(EOFError, OSError):
        while True:  # the runner never writes: only end-of-file (or an error) ends this
            lifeline.recv_bytes()
    os._exit(1)


def scenario_for(task: Task, parameters: dict[str, Any]) -> Scenario:
    key = (task.base_key, repr(sorted(parameters.items())))
    scenario = _SCENARIO_CACHE.get(key)
    if scenario is None:
        if len(_SCENARIO_CACHE) >= _CACHE_LIMIT:
            _SCENARIO_CACHE.clear()
        scenario = Scenario.model_validate(apply_overrides(task.base_data, parameters))
        _SCENARIO_CACHE[key] = scenario
    return scenario


def run_row(spec: RunSpec) -> dict[str, Any]:
    """The columns that identify a run in the runs table: id, point, replicate, seed, parameters."""
    return {
        "run_id": spec.run_id,
        "point": spec.point,
        "replicate": spec.replicate,
        "seed": spec.seed,
        **{f"param:{name}": value for name, value in spec.parameters.items()},
    }


def run_task(task: Task) -> TaskResult:
    result = TaskResult(rows=[])
    for spec in task.runs:
        started = time.perf_counter()
        row = run_row(spec)
        try:
            model = run_model(
                build_model(scenario_for(task, spec.parameters), spec.seed), task.rounds
            )
            row.update(outcome_values(summarise(model), task.outcomes))
            row.update(status="ok", error=None)
            if task.timeseries_every:
                frame = model.datacollector.get_model_vars_dataframe()
                kept = frame[
                    (frame["round"] % task.timeseries_every == 0) | (frame["round"] == task.rounds)
                ]
                for record in kept[["round", *task.timeseries_metrics]].to_dict("records"):
                    result.timeseries.append({"run_id": spec.run_id, **record})
        except Exception as error:  # a failed run is data, not the end of the sweep
            row.update(dict.fromkeys(task.outcomes))
            last = traceback.extract_tb(error.__traceback__)[-1]
            row.update(
                status="error",
                error=f"{type(error).__name__}: {error} ({last.filename.rsplit('/', 1)[-1]}:{last.lineno})",
            )
        row["duration_s"] = round(time.perf_counter() - started, 6)
        result.rows.append(row)
    return result
