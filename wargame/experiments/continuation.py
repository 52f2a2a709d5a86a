""" "Where is this heading?": many AI-played continuations of a game from its current round.

One click asks for N runs (200 by default) of H rounds (60) from round k of a game: each is the
game replayed to round k, copied, given a new seed (`model.reseed`) and played on by the AI for
every side. They run in the sweep runner's warm worker processes (`sweep.local_pool`: forked
from a server that has already imported the engine, and gone within moments of this process's
death), never in the page's thread. A task is a batch of seeds; its worker replays the game to
round k once and keeps that model for the next batch of the same game and round, so a batch
costs only its copies and their rounds. Results come back as small per-round arrays (rung, MOU
state, host damage) and are merged as batches finish, so a fan chart can fill in while the
rest still run. The seeds come from `numpy.random.SeedSequence((game seed, round, request))`:
the same click on the same game gives the same answer, and the next click new seeds.

This module owns the pool the server shares between sessions (created at the first request,
behind a lock, never at import; `shutdown_pool` ends it) and the job a click starts.
"""

from __future__ import annotations

import copy
import math
import os
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, Future
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from mesa.datacollection import DataCollector

from wargame.config.schema import MAX_ROUNDS
from wargame.engine import metrics
from wargame.engine.model import GulfModel
from wargame.engine.rules.diplomacy import MouState
from wargame.experiments.design import SEED_MASK
from wargame.experiments.game import GameRecord, branch, check_round, replay, scenario_of
from wargame.experiments.sweep import local_pool

RUNS = 200
HORIZON = 60
MAX_RUNS = 10_000
MAX_HORIZON = 1_000
QUANTILES = {"q05": 0.05, "q25": 0.25, "q50": 0.5, "q75": 0.75, "q95": 0.95}
# Runs per task: big enough that shipping the game (its scenario, ~50 KB pickled) is nothing
# next to the runs, small enough that the chart fills in steadily and the tail is short.
BATCH_MIN, BATCH_MAX = 10, 25
COLLAPSED = int(MouState.COLLAPSED)
SHOWN_ERRORS = 20  # distinct error messages kept in a result


# --- the work a worker does ------------------------------------------------------------------------


@dataclass(frozen=True)
class OutlookTask:
    record: GameRecord  # the game with no orders after from_round
    from_round: int
    first_index: int  # index of the first seed in the job's list of runs
    seeds: tuple[int, ...]
    horizon: int


@dataclass
class OutlookBatch:
    first_index: int
    rung: np.ndarray  # (runs, horizon) ladder rung each round
    mou: np.ndarray  # (runs, horizon) MouState code each round
    host_damage: np.ndarray  # (runs, horizon) total host damage since the game began
    ok: np.ndarray  # (runs,) the run finished
    start_mou: int = -1  # the MOU state at from_round (-1: the game could not be replayed)
    errors: list[str] = field(default_factory=list)


_BASES: OrderedDict[tuple[str, int], GulfModel] = OrderedDict()
_BASES_LIMIT = 4  # games x rounds kept per worker: a click, its neighbours, a branch


def base_model(record: GameRecord, from_round: int) -> GulfModel:
    """The game replayed to `from_round`, without the history a continuation never reads,
    kept for the next batch of the same game and round."""
    key = (record.key, from_round)
    model = _BASES.get(key)
    if model is None:
        model = without_history(replay(record, from_round))
        _BASES[key] = model
        while len(_BASES) > _BASES_LIMIT:
            _BASES.popitem(last=False)
    else:
        _BASES.move_to_end(key)
    return model


# The model's own metrics a continuation reports (the rest are not collected: ~10% of a round).
KEPT_METRICS = ("rung", "mou", "total_host_damage")


def without_history(model: GulfModel) -> GulfModel:
    """The model with its past metrics, events and decisions emptied, collecting only
    KEPT_METRICS from now on: the engine never reads them (they are its output), and copying
    365 rounds of them was three quarters of the cost of each copy. The test suite checks that
    continuations of a full model give the same numbers."""
    model.datacollector = DataCollector(
        model_reporters={name: metrics.MODEL_REPORTERS[name] for name in KEPT_METRICS}
    )
    model.record.events = []
    model.decision_history = {}
    return model


def continue_game(base: GulfModel, seed: int, horizon: int) -> tuple[list, list, list]:
    """One continuation: (rung, MOU state code, host damage) for each of `horizon` rounds."""
    model = copy.deepcopy(base)
    model.reseed(seed)
    for _ in range(horizon):
        model.step()
    recorded = model.datacollector.model_vars  # the model's own metrics, one entry a round
    mou = [int(MouState[name]) for name in recorded["mou"][-horizon:]]
    return recorded["rung"][-horizon:], mou, recorded["total_host_damage"][-horizon:]


def run_outlook_task(task: OutlookTask) -> OutlookBatch:
    """A batch of continuations; a run that raises is reported in `errors`, not fatal."""
    runs, horizon = len(task.seeds), task.horizon
    batch = OutlookBatch(
        first_index=task.first_index,
        rung=np.zeros((runs, horizon), dtype=np.int8),
        mou=np.zeros((runs, horizon), dtype=np.int8),
        host_damage=np.zeros((runs, horizon), dtype=np.float64),
        ok=np.zeros(runs, dtype=bool),
    )
    try:
        base = base_model(task.record, task.from_round)
    except Exception as error:  # noqa: BLE001  (reported to the page, not raised in the pool)
        batch.errors.append(
            f"the game could not be replayed to round {task.from_round}: {error_text(error)}"
        )
        return batch
    batch.start_mou = int(base.world.diplomacy.mou)
    for i, seed in enumerate(task.seeds):
        try:
            batch.rung[i], batch.mou[i], batch.host_damage[i] = continue_game(base, seed, horizon)
            batch.ok[i] = True
        except Exception as error:  # noqa: BLE001  (one failed run is data)
            batch.errors.append(f"seed {seed}: {error_text(error)}")
    return batch


def error_text(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    where = f" ({frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


# --- seeds ------------------------------------------------------------------------------------------


def continuation_seeds(game_seed: int, from_round: int, request: int, runs: int) -> list[int]:
    """The seeds of one request's runs: children of SeedSequence((game seed, round, request)),
    so a request is reproducible and the next request, or round, draws new ones."""
    root = np.random.SeedSequence((game_seed, from_round, request))
    return [int(child.generate_state(1, np.uint64)[0]) & SEED_MASK for child in root.spawn(runs)]


# --- the shared pool --------------------------------------------------------------------------------

_POOL_LOCK = threading.Lock()
_pool: list[Executor] = []  # the one shared pool, once created


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def shared_pool(workers: int | None = None) -> Executor:
    """The server's pool of warm workers, created at first use (never at import)."""
    with _POOL_LOCK:
        if not _pool:
            _pool.append(local_pool(workers or default_workers()))
        return _pool[0]


def warm_pool(workers: int | None = None) -> None:
    """Start every worker now (a pool starts its processes at its first tasks), so the first
    click does not wait for them."""
    pool = shared_pool(workers)
    count = getattr(pool, "_max_workers", 1)
    wait_futures([pool.submit(int) for _ in range(count)])


def discard_pool(pool: Executor) -> None:
    """Forget a broken pool (a worker died), so the next request gets a new one."""
    with _POOL_LOCK:
        if _pool and _pool[0] is pool:
            _pool.clear()
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown_pool() -> None:
    """End the shared pool's workers (the server calls this when it stops)."""
    with _POOL_LOCK:
        pool = _pool.pop() if _pool else None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


# --- a request and its result -----------------------------------------------------------------------


@dataclass
class OutlookResult:
    """What the runs finished so far say, round by round after `from_round`.

    Quantiles are over the runs finished so far (the chart fills in as batches return).
    `survival` is described by `survival_label`: normally the share of runs whose MOU has not
    collapsed at any round since `from_round`; if it had already collapsed by then, the share
    of runs in which it has come back out of collapse (`already_collapsed`).
    """

    done: bool
    cancelled: bool
    total: int
    finished: int
    failed: int
    from_round: int
    horizon: int
    request: int
    rounds: list[int]
    rung: dict[str, np.ndarray]
    survival: np.ndarray
    survival_label: str
    already_collapsed: bool | None
    host_damage: dict[str, np.ndarray]
    errors: list[str]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able (numbers rounded, nothing known yet as None), for the page."""
        return {
            "done": self.done,
            "cancelled": self.cancelled,
            "total": self.total,
            "finished": self.finished,
            "failed": self.failed,
            "from_round": self.from_round,
            "horizon": self.horizon,
            "request": self.request,
            "rounds": list(self.rounds),
            "rung": {name: plain_list(v) for name, v in self.rung.items()},
            "survival": plain_list(self.survival),
            "survival_label": self.survival_label,
            "already_collapsed": self.already_collapsed,
            "host_damage": {name: plain_list(v) for name, v in self.host_damage.items()},
            "errors": list(self.errors),
            "seconds": round(self.seconds, 3),
        }


def plain_list(values: np.ndarray, digits: int = 4) -> list[float | None]:
    return [None if math.isnan(v) else round(float(v), digits) for v in values]


class OutlookJob:
    """One click's continuations, running. `poll()` says what is known now, `wait()` waits,
    `cancel()` drops what has not started (a batch already running finishes unseen)."""

    def __init__(
        self,
        record: GameRecord,
        from_round: int,
        runs: int,
        horizon: int,
        request: int,
        executor: Executor,
        on_update: Callable[[OutlookJob], None] | None = None,
    ):
        self.record = branch(record, from_round)
        self.from_round, self.runs, self.horizon, self.request = from_round, runs, horizon, request
        self.seeds = continuation_seeds(record.seed, from_round, request, runs)
        self.executor = executor
        self.on_update = on_update
        self.started = time.perf_counter()
        self.finished_at: float | None = None
        self._lock = threading.Lock()
        self._rung = np.zeros((runs, horizon), dtype=np.int8)
        self._mou = np.zeros((runs, horizon), dtype=np.int8)
        self._damage = np.zeros((runs, horizon), dtype=np.float64)
        self._ok = np.zeros(runs, dtype=bool)
        self._failed = 0
        self._errors: dict[str, None] = {}  # distinct messages, in order
        self._start_mou = -1
        self._lost = 0  # runs lost with a worker that died
        self._cancelled = False
        self._futures: dict[Future, tuple[int, int]] = {}
        self._pending = 0
        # Set once every batch is merged and reported (or the job is cancelled): waiting on
        # the futures alone would return before their results are merged.
        self._all_back = threading.Event()

    def submit(self) -> None:
        workers = getattr(self.executor, "_max_workers", 1)
        size = min(BATCH_MAX, max(BATCH_MIN, self.runs // (workers * 5)))
        tasks = [
            OutlookTask(
                self.record,
                self.from_round,
                start,
                tuple(self.seeds[start : start + size]),
                self.horizon,
            )
            for start in range(0, self.runs, size)
        ]
        with self._lock:
            self._pending = len(tasks)
        if not tasks:
            self._all_back.set()
        for task in tasks:
            try:
                future = self.executor.submit(run_outlook_task, task)
            except BrokenProcessPool as error:
                future = Future()
                future.set_exception(error)
            with self._lock:
                self._futures[future] = (task.first_index, len(task.seeds))
            future.add_done_callback(self._merge)

    def _merge(self, future: Future) -> None:
        with self._lock:
            first, count = self._futures[future]
            self._pending -= 1
            if future.cancelled() and not self._cancelled:
                self._failed += count  # the pool was shut down under this job
                self._note_error("the continuations were stopped: the server is shutting down")
            if self._cancelled or future.cancelled():
                self._finish_if_done()
                if self.finished_at is not None:
                    self._all_back.set()
                return
            error = future.exception()
            if error is not None:
                self._failed += count
                if isinstance(error, BrokenProcessPool):
                    self._lost += count
                else:
                    self._note_error(
                        f"runs {first + 1}-{first + count} failed: {error_text(error)}"
                    )
            else:
                batch: OutlookBatch = future.result()
                rows = slice(first, first + count)
                self._rung[rows], self._mou[rows] = batch.rung, batch.mou
                self._damage[rows], self._ok[rows] = batch.host_damage, batch.ok
                self._failed += int((~batch.ok).sum())
                if batch.start_mou >= 0:
                    self._start_mou = batch.start_mou
                for message in batch.errors:
                    self._note_error(message)
            self._finish_if_done()
        # A broken pool is not shut down here: this runs in the pool's own management thread
        # (shutting it down from there deadlocks it); the next request replaces it.
        try:
            if self.on_update is not None:
                self.on_update(self)
        finally:
            if self.finished_at is not None:
                self._all_back.set()

    def _note_error(self, message: str) -> None:
        # Distinct messages only: a game that cannot be replayed fails every batch alike.
        if len(self._errors) < SHOWN_ERRORS:
            self._errors[message] = None

    def _finish_if_done(self) -> None:
        if self._pending == 0 and self.finished_at is None:
            self.finished_at = time.perf_counter()

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            futures = list(self._futures)
        for future in futures:
            future.cancel()
        with self._lock:
            if self.finished_at is None:
                self.finished_at = time.perf_counter()
        self._all_back.set()

    def wait(self, timeout: float | None = None) -> OutlookResult:
        """Wait until every batch is back and merged (or `timeout` seconds), then `poll()`."""
        self._all_back.wait(timeout)
        return self.poll()

    def poll(self) -> OutlookResult:
        with self._lock:
            ok = self._ok.copy()
            rung = self._rung[ok].astype(float)
            mou = self._mou[ok]
            damage = self._damage[ok]
            done = self._cancelled or self._pending == 0
            ended = self.finished_at if done and self.finished_at else time.perf_counter()
            errors = list(self._errors)
            if self._lost:
                errors.insert(
                    0,
                    "a worker process stopped unexpectedly (killed, or out of memory): "
                    f"{self._lost} of {self.runs} runs were lost. Ask again to retry.",
                )
            failed, start_mou, cancelled = self._failed, self._start_mou, self._cancelled
        survival, label, collapsed = survival_curve(mou, start_mou, self.from_round)
        return OutlookResult(
            done=done,
            cancelled=cancelled,
            total=self.runs,
            finished=int(ok.sum()),
            failed=failed,
            from_round=self.from_round,
            horizon=self.horizon,
            request=self.request,
            rounds=list(range(self.from_round + 1, self.from_round + self.horizon + 1)),
            rung=quantiles(rung, self.horizon),
            survival=survival,
            survival_label=label,
            already_collapsed=collapsed,
            host_damage=quantiles(damage, self.horizon),
            errors=errors,
            seconds=ended - self.started,
        )


def quantiles(values: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    if len(values) == 0:
        return {name: np.full(horizon, np.nan) for name in QUANTILES}
    found = np.quantile(values, list(QUANTILES.values()), axis=0)
    return dict(zip(QUANTILES, found, strict=True))


def survival_curve(
    mou: np.ndarray, start_mou: int, from_round: int
) -> tuple[np.ndarray, str, bool | None]:
    """(share per round, what the share means, whether the MOU had collapsed at from_round)."""
    horizon = mou.shape[1]
    if start_mou < 0:  # nothing back yet
        return np.full(horizon, np.nan), "", None
    if start_mou == COLLAPSED:
        recovered = np.logical_or.accumulate(mou != COLLAPSED, axis=1)
        label = (
            f"The MOU had already collapsed by round {from_round}: share of runs in which it "
            "has come back out of collapse by each round"
        )
        return share(recovered, horizon), label, True
    collapsed = np.logical_or.accumulate(mou == COLLAPSED, axis=1)
    label = f"Share of runs in which the MOU has not collapsed since round {from_round}"
    return share(~collapsed, horizon), label, False


def share(flags: np.ndarray, horizon: int) -> np.ndarray:
    return flags.mean(axis=0) if len(flags) else np.full(horizon, np.nan)


def start_outlook(
    record: GameRecord,
    from_round: int,
    runs: int = RUNS,
    horizon: int = HORIZON,
    request: int = 0,
    executor: Executor | None = None,
    on_update: Callable[[OutlookJob], None] | None = None,
) -> OutlookJob:
    """Start `runs` AI-played continuations of `record` from `from_round`, `horizon` rounds
    each, on `executor` (the shared warm pool by default). `on_update(job)` is called from a
    pool thread as each batch comes back. Bad arguments raise ValueError at once; a bad
    scenario raises the loader's ScenarioError."""
    check_round(from_round, "from_round")
    for name, value, high in (("runs", runs, MAX_RUNS), ("horizon", horizon, MAX_HORIZON)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise ValueError(f"{name} must be a whole number from 1 to {high:,}, got {value!r}")
    if from_round + horizon > MAX_ROUNDS:
        raise ValueError(
            f"round {from_round} + {horizon} rounds passes the last round {MAX_ROUNDS:,}"
        )
    if isinstance(request, bool) or not isinstance(request, int) or request < 0:
        raise ValueError(f"request must be a whole number from 0, got {request!r}")
    scenario_of(record)  # a scenario that can't be built fails here, not in every worker
    shared = executor is None
    job = OutlookJob(
        record, from_round, runs, horizon, request, executor or shared_pool(), on_update
    )
    if shared and getattr(job.executor, "_broken", False):
        discard_pool(job.executor)  # a worker died since the last request: start afresh
        job.executor = shared_pool()
    job.submit()
    return job
