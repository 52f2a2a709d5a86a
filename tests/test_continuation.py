""" "Where is this heading?": continuations of a game, checked against a direct computation.

The direct computation is the definition: replay the game to round k, copy it, reseed the copy
with each run's seed and step it. The job must give exactly those numbers (its workers also
drop the model's history before copying; the direct computation keeps it). Pool tests share one
warm pool; the full 200 x 60 request and a killed worker are slow tests.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from wargame.engine.rules.diplomacy import MouState
from wargame.experiments import continuation
from wargame.experiments.continuation import (
    OutlookTask,
    continuation_seeds,
    run_outlook_task,
    shared_pool,
    shutdown_pool,
    start_outlook,
    survival_curve,
)
from wargame.experiments.game import Order, new_game, replay
from wargame.experiments.sweep import InProcessExecutor

SEED = 5
FROM_ROUND = 10


@pytest.fixture(scope="module")
def record(scenario):
    """A game in which CENTCOM was commanded twice before round 10."""
    game = new_game(scenario, SEED, "centcom")
    orders = (Order(4, "centcom", "limited_strikes"), Order(7, "centcom", "escort"))
    return dataclasses.replace(game, orders=orders)


def direct(record, from_round, seeds, horizon):
    """Per run and round: rung, MOU code, host damage, by the definition (history kept)."""
    base = replay(record, from_round)
    rung, mou, damage = [], [], []
    for seed in seeds:
        model = copy.deepcopy(base)
        model.reseed(seed)
        rows = []
        for _ in range(horizon):
            model.step()
            rows.append(
                (
                    model.world.tally.rung,
                    int(model.world.diplomacy.mou),
                    model.world.totals["host_damage"],
                )
            )
        rung.append([r[0] for r in rows])
        mou.append([r[1] for r in rows])
        damage.append([r[2] for r in rows])
    return np.array(rung), np.array(mou), np.array(damage)


@pytest.fixture
def pool():
    yield shared_pool(2)


@pytest.fixture(scope="module", autouse=True)
def no_pool_left():
    yield
    shutdown_pool()


def test_seeds_are_reproducible_and_new_for_each_request_and_round():
    seeds = continuation_seeds(SEED, FROM_ROUND, 0, 50)
    assert seeds == continuation_seeds(SEED, FROM_ROUND, 0, 50)
    assert len(set(seeds)) == 50 and all(0 <= s < 2**63 for s in seeds)
    assert seeds[:10] == continuation_seeds(SEED, FROM_ROUND, 0, 10)  # more runs, same first
    assert not set(seeds) & set(continuation_seeds(SEED, FROM_ROUND, 1, 50))
    assert not set(seeds) & set(continuation_seeds(SEED, FROM_ROUND + 1, 0, 50))
    assert not set(seeds) & set(continuation_seeds(SEED + 1, FROM_ROUND, 0, 50))


def test_each_run_is_exactly_the_direct_computation(record):
    seeds = tuple(continuation_seeds(SEED, FROM_ROUND, 0, 6))
    batch = run_outlook_task(OutlookTask(record, FROM_ROUND, 0, seeds, 8))
    assert batch.ok.all() and not batch.errors
    rung, mou, damage = direct(record, FROM_ROUND, seeds, 8)
    np.testing.assert_array_equal(batch.rung, rung)
    np.testing.assert_array_equal(batch.mou, mou)
    np.testing.assert_allclose(batch.host_damage, damage, rtol=0, atol=1e-6)  # metric rounds
    assert batch.start_mou == int(replay(record, FROM_ROUND).world.diplomacy.mou)
    # The runs differ from each other (new seeds), so the check above compares something.
    assert len({tuple(row) for row in damage.round(6)} | {tuple(r) for r in rung}) > 2


def test_the_median_at_the_next_round_is_the_direct_median(record):
    job = start_outlook(record, FROM_ROUND, runs=40, horizon=3, executor=InProcessExecutor())
    result = job.wait(30)
    assert result.done and result.finished == 40 and result.failed == 0
    rung, _, damage = direct(record, FROM_ROUND, job.seeds, 1)
    assert result.rounds == [FROM_ROUND + 1, FROM_ROUND + 2, FROM_ROUND + 3]
    assert result.rung["q50"][0] == np.median(rung[:, 0])
    assert result.rung["q05"][0] == np.quantile(rung[:, 0], 0.05)
    assert result.host_damage["q95"][0] == pytest.approx(np.quantile(damage[:, 0], 0.95))
    assert job.seeds == continuation_seeds(record.seed, FROM_ROUND, 0, 40)


def test_the_same_request_gives_the_same_result_and_another_new_seeds(record):
    def ask(request):
        return start_outlook(
            record, FROM_ROUND, runs=12, horizon=4, request=request, executor=InProcessExecutor()
        )

    one, again, other = ask(3), ask(3), ask(4)
    first, second = one.wait().to_dict(), again.wait().to_dict()
    first.pop("seconds"), second.pop("seconds")
    assert first == second
    assert one.seeds == again.seeds and not set(one.seeds) & set(other.seeds)


def test_a_failing_run_is_reported_and_the_others_are_kept(record, monkeypatch):
    seeds = continuation_seeds(SEED, FROM_ROUND, 0, 12)
    real = continuation.continue_game

    def sometimes(base, seed, horizon):
        if seed == seeds[5]:
            raise ZeroDivisionError("a rule divided by zero")
        return real(base, seed, horizon)

    monkeypatch.setattr(continuation, "continue_game", sometimes)
    result = start_outlook(record, FROM_ROUND, 12, 3, executor=InProcessExecutor()).wait()
    assert result.done and result.finished == 11 and result.failed == 1
    assert len(result.errors) == 1
    assert f"seed {seeds[5]}: ZeroDivisionError: a rule divided by zero" in result.errors[0]


def test_a_game_that_cannot_be_replayed_is_one_message(record):
    bad = dataclasses.replace(record, orders=(Order(2, "centcom", "irgc_only_action"),))
    result = start_outlook(bad, FROM_ROUND, 20, 2, executor=InProcessExecutor()).wait()
    assert result.done and result.finished == 0 and result.failed == 20
    (message,) = result.errors
    assert message.startswith(
        f"the game could not be replayed to round {FROM_ROUND}: ReplayError: round 2: the order "
        "centcom -> irgc_only_action was refused: centcom has no action 'irgc_only_action'"
    )
    # One message for the game (it fails every batch alike), not one per batch.


def test_survival_says_what_it_means():
    in_force, collapsed = int(MouState.IN_FORCE), int(MouState.COLLAPSED)
    mou = np.array([[0, 0, 3, 3], [0, 2, 2, 0], [3, 0, 0, 0], [0, 0, 0, 0]])
    share, label, already = survival_curve(mou, in_force, 30)
    np.testing.assert_array_equal(share, [0.75, 0.75, 0.5, 0.5])
    assert (
        not already and label == "Share of runs in which the MOU has not collapsed since round 30"
    )
    stuck = np.array([[3, 3, 2, 3], [3, 3, 3, 3]])
    share, label, already = survival_curve(stuck, collapsed, 30)
    np.testing.assert_array_equal(share, [0.0, 0.0, 0.5, 0.5])
    assert already and "had already collapsed by round 30" in label and "come back out" in label


def test_bad_requests_are_refused_at_once(record):
    for arguments, message in [
        ({"runs": 0}, "runs must be"),
        ({"horizon": 0}, "horizon must be"),
        ({"horizon": 10**6}, "horizon must be"),
        ({"request": -1}, "request must be"),
        ({"from_round": -1}, "from_round must be"),
    ]:
        call = {"from_round": FROM_ROUND} | arguments
        with pytest.raises(ValueError, match=message):
            start_outlook(record, executor=InProcessExecutor(), **call)


@pytest.mark.slow  # starts a fresh interpreter: the fast tier's time, CI runs it
def test_no_pool_is_made_at_import():
    code = (
        "import multiprocessing, wargame.experiments.continuation as c; "
        "assert not c._pool and not multiprocessing.active_children(); print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


@pytest.mark.slow  # starts a pool of worker processes: the fast tier's time, CI runs it
def test_200_short_continuations_come_back_batch_by_batch_from_the_pool(record, pool):
    seen = []

    def update(job):
        time.sleep(0.05)  # a slow listener: wait() must still return only after it
        seen.append(job.poll().finished)

    job = start_outlook(record, FROM_ROUND, runs=200, horizon=2, on_update=update)
    result = job.wait(120)
    assert result.done and result.finished == 200 and result.failed == 0, result.errors
    assert len(seen) == 10 and seen == sorted(seen) and seen[0] < 200  # filled in, in steps
    rung, _, _ = direct(record, FROM_ROUND, job.seeds, 1)
    assert result.rung["q50"][0] == np.median(rung[:, 0])


def test_cancel_stops_at_once(record, pool):
    job = start_outlook(record, FROM_ROUND, runs=2000, horizon=5)  # short batches
    time.sleep(0.5)
    job.cancel()
    started = time.perf_counter()
    result = job.wait(30)
    assert time.perf_counter() - started < 1
    assert result.done and result.cancelled and result.finished < 1000
    # What had not started is dropped: the next request does not queue behind ~1,900 runs.
    started = time.perf_counter()
    follow = start_outlook(record, FROM_ROUND, runs=10, horizon=1).wait(60)
    assert follow.done and follow.finished == 10
    assert time.perf_counter() - started < 5


@pytest.mark.slow
def test_200_continuations_of_60_rounds(record, pool):
    result = start_outlook(record, FROM_ROUND, runs=200, horizon=60).wait(300)
    assert result.done and result.finished == 200, result.errors
    assert result.rounds == list(range(FROM_ROUND + 1, FROM_ROUND + 61))
    bands = np.array([result.rung[q] for q in ("q05", "q25", "q50", "q75", "q95")])
    assert (np.diff(bands, axis=0) >= 0).all()  # the fan is ordered, round by round
    assert (np.diff(result.host_damage["q50"]) >= 0).all()  # a running total
    assert np.isfinite(result.survival).all()


@pytest.mark.slow
def test_a_killed_worker_is_an_error_message_not_a_hang(record, pool):
    job = start_outlook(record, FROM_ROUND, runs=200, horizon=60)
    time.sleep(1.0)
    os.kill(next(iter(job.executor._processes)), signal.SIGKILL)
    started = time.perf_counter()
    result = job.wait(60)
    assert time.perf_counter() - started < 10
    assert result.done and result.failed > 0
    assert any("worker process stopped unexpectedly" in e for e in result.errors)
    # The next request gets a new pool and works.
    follow = start_outlook(record, FROM_ROUND, runs=10, horizon=1).wait(60)
    assert follow.done and follow.finished == 10, follow.errors


@pytest.mark.slow
def test_a_job_running_when_the_pool_shuts_down_says_so(record, pool):
    job = start_outlook(record, FROM_ROUND, runs=2000, horizon=5)
    time.sleep(0.5)
    shutdown_pool()  # waits for the batches running, drops the rest
    result = job.wait(30)
    assert result.done and not result.cancelled and result.finished < 2000
    assert result.failed == 2000 - result.finished
    assert "the continuations were stopped: the server is shutting down" in result.errors
