"""Interceptor resupply (rules/defence.resupplied), without a Model: whole interceptors every
round, a fractional rate as a chance of one more, never past a magazine's capacity, and always
one random draw per magazine so the stream never shifts with the stock."""

from __future__ import annotations

import numpy as np
import pytest

from wargame.engine.rules.defence import resupplied

CAP = np.array([100, 100, 100, 10], dtype=np.int64)
WHOLE = np.array([2.0, 0.0, 1.0, 5.0])
CHANCE = np.array([0.0, 0.25, 0.5, 0.0])


def test_whole_interceptors_arrive_every_round():
    left = np.array([50, 50, 50, 0], dtype=np.int64)
    after = resupplied(left, CAP, WHOLE, np.zeros(4), np.random.default_rng(0))
    assert after.tolist() == [52, 50, 51, 5]
    assert after.dtype == np.int64
    assert left.tolist() == [50, 50, 50, 0]  # pure: the stock passed in is untouched


def test_a_fractional_rate_arrives_as_often_as_its_chance():
    rng = np.random.default_rng(1)
    left = np.array([0, 0, 0, 0], dtype=np.int64)
    rounds = 20_000
    arrived = sum(resupplied(left, CAP, WHOLE, CHANCE, rng) for _ in range(rounds)) / rounds
    assert arrived[0] == 2.0 and arrived[3] == 5.0  # no fraction: no extra
    assert arrived[1] == pytest.approx(0.25, abs=0.015)
    assert arrived[2] == pytest.approx(1.5, abs=0.015)


def test_no_magazine_fills_past_its_capacity():
    full = np.array([99, 100, 100, 8], dtype=np.int64)
    after = resupplied(full, CAP, WHOLE, CHANCE, np.random.default_rng(2))
    assert after.tolist() == [100, 100, 100, 10]


def test_one_draw_per_magazine_whatever_the_stock():
    # Full or empty, the rule takes the same draws, so the rest of the run's stream stays put.
    for left in (np.zeros(4, dtype=np.int64), CAP.copy()):
        rng, twin = np.random.default_rng(3), np.random.default_rng(3)
        resupplied(left, CAP, WHOLE, CHANCE, rng)
        twin.random(4)
        assert rng.random() == twin.random()
