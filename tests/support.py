"""Helpers the tests share: the repository root, the default scenario, a model's metrics after
some rounds, a world to adjudicate on, and many-seed summaries.

Imported by name (`from support import ...`); fixtures live in conftest.py. (A test module must
not import `conftest`: with tests/browser/conftest.py also on the path, `conftest` can resolve
to the wrong file depending on which tests are collected.)

Many-seed statistical tests run their seeds in two worker processes (the machine has two
cores); results are cached for the whole session so the loop and lever tests share runs. Such
tests carry the `slow` marker: `pytest -m "not slow"` is the fast tier, CI runs everything.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import mesa
import numpy as np

from wargame.config.loader import load_scenario
from wargame.config.schema import Scenario
from wargame.engine.adjudication import Setting
from wargame.engine.events import EventLog
from wargame.engine.fleet import Fleet
from wargame.engine.model import prepared
from wargame.engine.state import World, new_world
from wargame.experiments.single_run import run_once

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = REPO / "configs" / "scenarios" / "gulf_2026.yaml"
STAT_SEEDS = 200


@cache
def default_scenario() -> Scenario:
    return load_scenario(DEFAULT_SCENARIO)


def frames_to(model, rounds: int):
    """The model's metric frame once it has played `rounds` rounds (played on from where it
    is, a round begun included)."""
    for _ in range(rounds - model.round):
        model.step()
    return model.datacollector.get_model_vars_dataframe()


def world_in_round_one(scenario: Scenario) -> tuple[World, Setting, EventLog]:
    """Round 1 of a new world on its own, with no GulfModel (its ships are agents of a bare
    Mesa model), the run's Setting, and an event log open on that round: what adjudication
    tests give the functions of adjudication/."""
    theatre, intel = prepared(scenario)
    fleet = Fleet(theatre.routes, theatre.path_cumulative_km, mesa.Model(rng=0))
    world = new_world(scenario, theatre, fleet)
    world.next_round()
    record = EventLog()
    record.start_round(world.round, world.date.isoformat())
    return world, Setting(scenario, theatre, intel), record


def _summary(args: tuple[Scenario, int, int]) -> dict:
    scenario, seed, rounds = args
    return run_once(scenario, seed, rounds).summary


def many_summaries(
    scenario: Scenario, seeds: int = STAT_SEEDS, rounds: int | None = None
) -> list[dict]:
    """Summaries of `seeds` runs (seeds 0..n-1), computed in two processes, in seed order."""
    key = (scenario.model_dump_json(), seeds, rounds)
    if key not in _SUMMARY_CACHE:
        jobs = [(scenario, seed, rounds) for seed in range(seeds)]
        with ProcessPoolExecutor(
            max_workers=2, mp_context=multiprocessing.get_context("forkserver")
        ) as pool:
            _SUMMARY_CACHE[key] = list(pool.map(_summary, jobs, chunksize=10))
    return _SUMMARY_CACHE[key]


_SUMMARY_CACHE: dict[tuple, list[dict]] = {}


# --- the logit rule as textbook arrays: the oracle the engine's two fast paths are held to ---


def logit_probabilities(utilities: np.ndarray, rationality: float) -> np.ndarray:
    """Quantal-response probabilities; rows of a 2-D array are independent choosers."""
    utilities = np.asarray(utilities, dtype=float)
    # -inf marks an impossible option: it keeps probability 0 even at lambda = 0. It is scaled
    # as 0 and put back afterwards, because lambda * -inf is NaN at lambda = 0.
    # (The ufuncs' own reductions, not the array methods: the same sums, without the wrappers.)
    possible = utilities != -np.inf
    scaled = np.where(possible, rationality * np.where(possible, utilities, 0.0), -np.inf)
    scaled = scaled - np.maximum.reduce(scaled, axis=-1, keepdims=True)  # stable softmax
    weights = np.exp(scaled)
    return weights / np.add.reduce(weights, axis=-1, keepdims=True)


def draw_choices(
    probabilities: np.ndarray, rng: np.random.Generator, rows: np.ndarray | None = None
) -> np.ndarray:
    """One draw per row of a (choosers x options) probability matrix, vectorised.

    With `rows`, `probabilities` holds one row per kind of chooser and chooser i draws from row
    `rows[i]`: the same draws as from the matrix with each kind's row repeated."""
    cumulative = np.cumsum(probabilities, axis=1)
    if rows is not None:
        cumulative = cumulative[rows]
    draws = rng.random(cumulative.shape[0])[:, None]
    chosen = np.add.reduce(draws > cumulative, axis=1)
    return np.minimum(chosen, probabilities.shape[1] - 1)


class Deleted:
    """A change to a config that removes the key. Its repr is fixed, so a test id made from it
    is the same in every process (pytest-xdist's workers must collect the same ids)."""

    def __repr__(self) -> str:
        return "<deleted>"


DELETE = Deleted()
