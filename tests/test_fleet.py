"""Tests for the vessel fleet (wargame.engine.fleet) and the metrics collector: every ship is a
Mesa agent exactly while it is in the area, an agent enrolled again for a new ship carries
nothing of the old one, ships take the lowest free slots in order, the short cut past Mesa's
per-agent calls gives what those calls give, and the collector records what Mesa's would.
"""

from __future__ import annotations

import copy
import heapq
import logging
import pickle

import mesa
import mesa.model
import numpy as np
import pandas as pd
import pytest
from mesa.datacollection import DataCollector
from mesa.experimental.mesa_signals import ModelSignals

from wargame.config.ladder import VESSEL_CHOICES
from wargame.engine import metrics
from wargame.engine.collector import MetricsCollector
from wargame.engine.fleet import MESA_MODEL_LOG, Fleet, Vessel
from wargame.engine.model import build_model


def actors(model) -> int:
    return 2 + len(model.hosts)  # the IRGC, CENTCOM and each host: agents, not ships


def live_ids(model) -> list[tuple[int, int]]:
    """(slot, unique_id) of every ship in the area, by slot."""
    fleet = model.fleet
    return [(int(s), fleet.agents[s].unique_id) for s in np.flatnonzero(fleet.alive)]


def test_ships_are_agents_while_in_the_area_and_not_after(scenario):
    model = build_model(scenario, 3)
    fleet = model.fleet
    seen: dict[int, Vessel] = {}  # every agent object ever used for a ship, by id()
    ids_by_object: dict[int, set[int]] = {}
    gone: set[int] = set()
    before: set[int] = set()
    for _ in range(40):
        model.step()
        live = np.flatnonzero(fleet.alive)
        in_model = {a.unique_id for a in model.agents if isinstance(a, Vessel)}
        assert in_model == {fleet.agents[s].unique_id for s in live}, f"round {model.round}"
        assert len(model.agents) == fleet.count() + actors(model), f"round {model.round}"
        assert len(model.agents_by_type[Vessel]) == fleet.count()
        assert all(fleet.agents[slot] is None for slot in np.flatnonzero(~fleet.alive))
        gone |= before - in_model
        assert not gone & in_model, f"round {model.round}: a ship that left is back"
        before = in_model
        for slot in live:
            agent = fleet.agents[slot]
            seen[id(agent)] = agent
            ids_by_object.setdefault(id(agent), set()).add(agent.unique_id)
        for agent in seen.values():  # in the model if and only if it is a live ship's agent
            holds = bool(fleet.alive[agent.slot]) and fleet.agents[agent.slot] is agent
            assert (agent in model.agents) == holds, f"round {model.round}: {agent.unique_id}"
    assert len(gone) > 1000, "too few ships left to test their departure"
    assert max(len(ids) for ids in ids_by_object.values()) > 1, "no agent was enrolled again"


def test_an_agent_enrolled_again_reads_its_new_ship_only(scenario):
    model = build_model(scenario, 0)
    for _ in range(5):
        model.step()
    fleet = model.fleet
    old = fleet.agents[0]
    old_id, old_value, old_route = old.unique_id, old.value_usd, int(fleet.route[0])
    fleet.choice[0] = VESSEL_CHOICES.index("outside")
    fleet.progress[0], fleet.waited[0] = 123.0, 2
    fleet.depart(np.flatnonzero(fleet.alive))
    assert old not in model.agents and len(model.agents) == actors(model)

    next_id = model.agent_id_counter
    new_route = (old_route + 1) % len(fleet.routes)
    slots = fleet.arrive(model, np.array([2 * old_value + 1.0]), np.array([new_route]))
    assert slots.tolist() == [0]
    new = fleet.agents[0]
    assert new is old  # the same object, enrolled again: it must carry nothing of the old ship
    assert new.unique_id == next_id != old_id
    assert model.agent_id_counter == next_id + 1
    assert new.value_usd == 2 * old_value + 1.0
    assert new.route is fleet.routes[new_route]
    assert (new.choice, new.progress_km, int(fleet.waited[0])) == ("undecided", 0.0, 0)
    assert new.position() == fleet.routes[new_route].comply_path[0]
    assert new in model.agents and new in model.agents_by_type[Vessel]
    assert len(model.agents) == actors(model) + 1


def test_ships_take_the_lowest_free_slots_in_order():
    """As a heap of free slots gives them (the fleet before pooling): slot order is the order
    of every per-ship random draw."""
    model = mesa.Model(rng=0)
    fleet = Fleet(routes=(), cumulative={})
    free: list[int] = []
    size = 0
    rng = np.random.default_rng(11)
    for _ in range(300):
        count = int(rng.integers(0, 90))
        while len(free) < count:  # the reference grows one slot at a time: sizes do not matter
            heapq.heappush(free, size)
            size += 1
        expected = [heapq.heappop(free) for _ in range(count)]
        slots = fleet.arrive(model, np.ones(count), np.zeros(count, dtype=np.int64))
        assert slots.tolist() == expected
        live = np.flatnonzero(fleet.alive)
        leaving = rng.choice(live, size=int(rng.integers(0, len(live) + 1)), replace=False)
        fleet.depart(leaving)
        for slot in leaving.tolist():
            heapq.heappush(free, slot)
        assert len(model.agents) == fleet.count()


def _watch_by_signal(model, record):
    """Subscribe to the model's agent signals; returns what undoes it."""

    def handler(message):
        record.append(message)

    signals = (ModelSignals.AGENT_ADDED, ModelSignals.AGENT_REMOVED)
    model.observe("agents", signals, handler)
    return lambda: model.unobserve("agents", signals, handler)  # the model holds it weakly


def _watch_by_debug_log(model, record):
    """Switch Mesa's debug log on, keeping its messages; returns what undoes it."""

    class Keep(logging.Handler):
        def emit(self, log_record):
            record.append(log_record.getMessage())

    handler, logger = Keep(), logging.getLogger("MESA")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    def undo():
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)

    return undo


@pytest.mark.parametrize("watch", [_watch_by_signal, _watch_by_debug_log])
def test_when_someone_watches_mesa_every_ship_goes_through_it(scenario, watch):
    """A subscriber to the model's agent signals or Mesa's debug log gets one message per ship
    arriving and leaving, and the run (ids included) is the run without anyone watching."""
    quiet = build_model(scenario, 5)
    rounds = []
    for _ in range(25):
        quiet.step()
        rounds.append((live_ids(quiet), quiet.agent_id_counter))
    watched = build_model(scenario, 5)
    record: list = []
    undo = watch(watched, record)  # after the quiet run: Mesa's log is one for every model
    try:
        arrivals = 0
        for live, counter in rounds:
            watched.step()
            arrivals += watched.tally.arrivals
            assert (live_ids(watched), watched.agent_id_counter) == (live, counter)
    finally:
        undo()
    assert [e.to_record() for e in watched.events] == [e.to_record() for e in quiet.events]
    departures = arrivals - watched.fleet.count()
    assert departures > 500
    if watch is _watch_by_signal:
        kinds = [message.signal_type for message in record]
        assert kinds.count(ModelSignals.AGENT_ADDED) == arrivals
        assert kinds.count(ModelSignals.AGENT_REMOVED) == departures
    else:
        assert sum(m.startswith("registered Vessel") for m in record) == arrivals
        assert sum(m.startswith("deregistered agent") for m in record) == departures


def test_the_mesa_facts_the_fleet_relies_on():
    """What `Fleet._enrol` imitates of Mesa 3.5: its logger, the id an agent gets, the sets it
    joins; and no Mesa dataset tracks vessels. A Mesa that changes any of these fails here."""
    assert MESA_MODEL_LOG is mesa.model._mesa_logger
    model = mesa.Model(rng=0)
    counter = model.agent_id_counter
    agent = Vessel(model, 0)
    assert agent.unique_id == counter and model.agent_id_counter == counter + 1
    assert list(model.agents) == [agent] and list(model.agents_by_type[Vessel]) == [agent]
    agent.remove()
    assert len(model.agents) == 0 and len(model.agents_by_type[Vessel]) == 0
    assert not Vessel._datasets


def test_a_copied_model_has_its_own_ship_agents(scenario):
    model = build_model(scenario, 2)
    for _ in range(10):
        model.step()
    twin = copy.deepcopy(model)
    # The copy carries the live ships' agents, not the spare ones of free slots.
    carried = {id(agent) for agent in twin.fleet._pool if agent is not None}
    assert carried == {id(agent) for agent in twin.fleet.agents if agent is not None}
    for _ in range(10):
        model.step()
        twin.step()
        assert live_ids(twin) == live_ids(model)
        agents = [twin.fleet.agents[s] for s in np.flatnonzero(twin.fleet.alive)]
        assert all(a in twin.agents and a not in model.agents and a.model is twin for a in agents)
        assert len(twin.agents) == twin.fleet.count() + actors(twin)
    assert twin.datacollector.model_vars == model.datacollector.model_vars


# --- the metrics collector ---------------------------------------------------------------------


def test_the_collector_records_what_mesas_datacollector_records(scenario):
    model = build_model(scenario, 1)
    mesa_collector = DataCollector(model_reporters=metrics.MODEL_REPORTERS)
    for _ in range(40):
        model.step()
        mesa_collector.collect(model)
    ours = model.datacollector
    assert list(ours.model_vars) == list(mesa_collector.model_vars)
    assert ours.model_vars == mesa_collector.model_vars
    assert ours._collection_steps == mesa_collector._collection_steps  # Mesa's batch_run reads it
    pd.testing.assert_frame_equal(
        ours.get_model_vars_dataframe(), mesa_collector.get_model_vars_dataframe()
    )
    again = pickle.loads(pickle.dumps(ours))
    assert again.model_vars == ours.model_vars and again.model_reporters == ours.model_reporters


def test_the_collector_refuses_a_reporter_it_cannot_keep_uncopied(scenario):
    model = build_model(scenario, 1)
    collector = MetricsCollector({"rung": metrics.rung, "ids": lambda m: [m.round]})
    with pytest.raises(TypeError, match="'ids' returned a list"):
        collector.collect(model)
    with pytest.raises(TypeError, match="'rung' must be a function"):
        MetricsCollector({"rung": "rung"})
