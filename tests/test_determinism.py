"""Same scenario and seed: the same run, to the last metric and event. A different seed differs."""

from __future__ import annotations

import pandas as pd

from wargame.engine.model import build_model
from wargame.experiments.single_run import run_once

ROUNDS = 40


def play(scenario, seed):
    model = build_model(scenario, seed)
    for _ in range(ROUNDS):
        model.step()
    return model


def test_same_seed_gives_identical_metrics_events_and_decisions(scenario):
    first, second = play(scenario, 11), play(scenario, 11)
    pd.testing.assert_frame_equal(
        first.datacollector.get_model_vars_dataframe(),
        second.datacollector.get_model_vars_dataframe(),
    )
    assert [e.to_dict() for e in first.events] == [e.to_dict() for e in second.events]
    assert len(first.events) > ROUNDS  # every round logs decisions: the comparison is not empty
    assert first.fleet.count() == second.fleet.count()
    assert (first.world.iran.capacity == second.world.iran.capacity).all()
    assert (first.world.magazines.left == second.world.magazines.left).all()


def test_different_seeds_differ(scenario):
    runs = [run_once(scenario, seed, ROUNDS) for seed in (1, 2, 3)]
    tables = [run.metrics.drop(columns=["date", "round"]) for run in runs]
    assert not tables[0].equals(tables[1])
    assert not tables[1].equals(tables[2])
    sentences = [[e.sentence for e in run.events] for run in runs]
    assert sentences[0] != sentences[1] != sentences[2]


def test_seed_is_recorded_with_every_result(scenario):
    assert run_once(scenario, 5, 3).summary["seed"] == 5
    assert build_model(scenario, 5).seed == 5
