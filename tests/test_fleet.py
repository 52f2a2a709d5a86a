"""Tests for the vessel fleet (wargame.engine.fleet) and the metrics collector: every ship is a
Mesa agent exactly while it is in the area, and every reader of `model.agents` and
`model.agents_by_type[Vessel]` gets what Mesa's own sets give, though ships are kept in the
fleet's arrays; ships take the lowest free slots in order; whoever watches Mesa's per-agent calls
gets them; copies and pickles keep their own ships; the collector records what Mesa's would.
"""

from __future__ import annotations

import copy
import gc
import heapq
import logging
import pickle
from random import Random

import mesa
import mesa.model
import numpy as np
import pandas as pd
import pytest
from mesa.agentset import _HardKeyAgentSet
from mesa.datacollection import DataCollector
from mesa.experimental.mesa_signals import ModelSignals

from wargame.engine import metrics
from wargame.engine.collector import MetricsCollector
from wargame.engine.fleet import MESA_MODEL_LOG, UNDECIDED, Fleet, Vessel
from wargame.engine.model import build_model


def actors(model) -> int:
    return 2 + len(model.hosts)  # the IRGC, CENTCOM and each host: agents, not ships


def live_ids(model) -> list[tuple[int, int]]:
    """(slot, unique_id) of every ship in the area, by slot."""
    fleet = model.fleet
    return [(int(s), fleet.agents[s].unique_id) for s in np.flatnonzero(fleet.alive)]


def key(agent) -> tuple[str, int]:
    return type(agent).__name__, agent.unique_id


def _id(agent) -> int:
    return agent.unique_id


class MesaMirror:
    """The model's agents as Mesa itself keeps them: a plain `mesa.Model` in which each agent
    (a stand-in of the same class name for an actor, a `Vessel` for a ship, with the same
    unique_id) is registered and removed through Mesa, in the order the model's came and went."""

    def __init__(self, model):
        self.model = mesa.Model(rng=0)
        self.ships: dict[int, Vessel] = {}
        classes: dict[str, type] = {}
        for actor in sorted([model.irgc, model.centcom, *model.hosts.values()], key=_id):
            name = type(actor).__name__
            stand_in = classes.setdefault(name, type(name, (mesa.Agent,), {}))
            self._register(lambda stand_in=stand_in: stand_in(self.model), actor.unique_id)
        # The ships in the area now, as Mesa would have them had it followed from the start
        # (a mirror made mid-run of a fleet that then empties still knows the Vessel type).
        self.follow(model)

    def _register(self, make, unique_id: int) -> mesa.Agent:
        self.model.agent_id_counter = unique_id  # the id Mesa then gives it
        agent = make()
        assert agent.unique_id == unique_id
        return agent

    def follow(self, model) -> None:
        """Arrivals (in id order) and departures of the model's fleet since the last call."""
        fleet = model.fleet
        live = {int(fleet.ids[s]): int(s) for s in np.flatnonzero(fleet.alive)}
        for unique_id in [i for i in self.ships if i not in live]:
            self.ships.pop(unique_id).remove()
        for unique_id in sorted(i for i in live if i not in self.ships):
            slot = live[unique_id]
            self.ships[unique_id] = self._register(
                lambda slot=slot: Vessel(self.model, slot), unique_id
            )


def readings(agents) -> dict:
    """What a reader gets from an agent set, by (class name, unique_id), for comparison."""

    def keys(items) -> list:
        return [key(a) for a in items]

    def drawn(read):  # the same random stream for both sets
        kept, agents.random = agents.random, Random(17)
        try:
            return read()
        finally:
            agents.random = kept

    done: list = []
    agents.do(lambda a: done.append(key(a)))
    shuffled: list = []
    drawn(lambda: agents.shuffle_do(lambda a: shuffled.append(key(a))))
    chosen = agents.select(lambda a: a.unique_id % 3 == 0)
    groups = agents.groupby(lambda a: a.unique_id % 4)
    return {
        "len": len(agents),
        "iter": keys(agents),
        "to_list": keys(agents.to_list()),
        "copy": keys(agents.copy()),
        "get": agents.get("unique_id"),
        "agg": agents.agg("unique_id", [min, max, sum, len]) if len(agents) else None,
        "map": agents.map(key),
        "do": done,
        "shuffle_do": shuffled,
        "shuffle": drawn(lambda: keys(agents.shuffle())),
        "select": (type(chosen), keys(chosen)),
        "select_at_most": keys(agents.select(at_most=5)) + keys(agents.select(at_most=0.5)),
        "select_type": keys(agents.select(agent_type=Vessel)),
        "sort": keys(agents.sort("unique_id", ascending=True)),
        "groupby": (groups.count(), {k: keys(v) for k, v in groups}),
        "groupby_list": {k: keys(v) for k, v in agents.groupby(key, result_type="list")},
    }


def check_like_mesa(model, mirror: MesaMirror, read: list[Vessel]) -> None:
    """Every reader of the model's two sets gets what it gets from Mesa's; every ship's agent
    is in them, one object per ship; agents of ships that left are in neither."""
    where = f"round {model.round}"
    mirror.follow(model)
    for ours, mesas in (
        (model.agents, mirror.model.agents),
        (model.agents_by_type[Vessel], mirror.model.agents_by_type[Vessel]),
    ):
        assert readings(ours) == readings(mesas), where
        members = list(ours)
        assert all(a in ours for a in members), where
        assert all(a is b for a, b in zip(members, ours, strict=True)), f"{where}: new objects"
        assert all(isinstance(a, mesa.Agent) and a.model is model for a in members), where
        left = [a for a in read if a.unique_id not in mirror.ships]
        assert not any(a in ours for a in left), f"{where}: a ship that left is in the set"
    assert [t.__name__ for t in model.agent_types] == [
        t.__name__ for t in mirror.model.agent_types
    ], where
    for slot in np.flatnonzero(model.fleet.alive)[::7]:  # some ships' agents read by slot
        agent = model.fleet.agents[slot]
        assert agent.unique_id == int(model.fleet.ids[slot]) and agent.slot == slot
        read.append(agent)


@pytest.mark.parametrize("watched", [False, True], ids=["quiet", "watched"])
def test_every_reader_of_the_agent_sets_gets_what_mesas_sets_give(scenario, watched):
    """Against a model whose agents Mesa itself registers and removes: len, iteration, in,
    to_list, copy, get, agg, map, do, shuffle_do, shuffle, select, sort, groupby, for
    `model.agents` and `model.agents_by_type[Vessel]`, round after round (and with someone
    watching Mesa's calls, when every ship goes through them)."""
    model = build_model(scenario, 4)
    record: list = []
    undo = _watch_by_signal(model, record) if watched else (lambda: None)
    try:
        mirror = MesaMirror(model)
        assert readings(model.agents) == readings(mirror.model.agents)  # actors only
        read: list[Vessel] = []
        for _ in range(12):
            model.step()
            check_like_mesa(model, mirror, read)
    finally:
        undo()
    assert len(mirror.model.agents_by_type[Vessel]) > 100
    assert sum(a.unique_id not in mirror.ships for a in read) > 50, "too few read ships left"
    assert bool(record) == watched


def test_a_ships_agent_is_made_when_read_and_is_one_object_while_it_is_in_the_area():
    model = mesa.Model(rng=0)
    fleet = model.fleet = Fleet((), {}, model)  # where a Vessel reads its numbers

    def vessels() -> int:
        return sum(type(o) is Vessel for o in gc.get_objects())

    before = vessels()
    slots = fleet.arrive(np.ones(500), np.zeros(500, dtype=np.int64))
    assert vessels() == before, "an arrival made agent objects"
    assert len(model.agents) == len(model.agents_by_type[Vessel]) == 500
    assert [a.unique_id for a in model.agents] == list(range(1, 501))
    assert vessels() == before + 500
    first = list(model.agents_by_type[Vessel])
    assert vessels() == before + 500, "a second read made new objects"
    assert all(a is b for a, b in zip(first, model.agents, strict=True))
    assert fleet.agents[7] is first[7] and fleet.agents[-1] is first[-1]
    assert fleet.agents[2:4] == first[2:4] and len(fleet.agents) >= 500
    with pytest.raises(IndexError):
        fleet.agents[len(fleet.agents)]

    leaving = first[7]
    fleet.depart(slots[7:8])
    assert leaving not in model.agents and leaving not in model.agents_by_type[Vessel]
    assert leaving.slot is None and fleet.agents[7] is None
    with pytest.raises(LookupError, match=f"vessel {leaving.unique_id} has left the area"):
        leaving.value_usd  # noqa: B018 -- it would read the next ship's numbers
    fleet.arrive(np.array([9.0]), np.array([0]))
    newcomer = fleet.agents[7]
    assert newcomer is not leaving and newcomer.unique_id == 501 == model.agent_id_counter - 1
    assert newcomer.value_usd == 9.0 and newcomer in model.agents


def test_a_ship_is_a_mesa_agent_like_one_mesa_made():
    """What the fleet relies on and imitates of Mesa 3.5: its logger, the model's set being
    `_all_agents`, `register_agent` adding to it before giving the id and to the type's set
    after, the attributes `Agent.__init__` sets; and no Mesa dataset tracks vessels."""
    assert MESA_MODEL_LOG is mesa.model._mesa_logger
    model = mesa.Model(rng=0)
    assert model.agents is model._all_agents and type(model.agents) is _HardKeyAgentSet
    counter = model.agent_id_counter
    seen: list = []

    class Spy(_HardKeyAgentSet):
        def add(self, agent):
            seen.append((self is model._all_agents, agent.unique_id))
            super().add(agent)

    model._all_agents = Spy([], random=model.random)
    model.agents_by_type[Vessel] = Spy([], random=model.random)
    made = Vessel(model, 3)
    assert seen == [(True, None), (False, counter)]
    assert made.unique_id == counter and model.agent_id_counter == counter + 1
    made.remove()
    assert len(model.agents) == 0 and len(model.agents_by_type[Vessel]) == 0
    lazy = Vessel._made_for(model, 3, counter)
    assert vars(lazy) == vars(made) and isinstance(lazy, mesa.Agent)
    assert not Vessel._datasets


def test_ships_take_the_lowest_free_slots_in_order():
    """As a heap of free slots gives them (the fleet before pooling): slot order is the order
    of every per-ship random draw."""
    model = mesa.Model(rng=0)
    fleet = Fleet(routes=(), cumulative={}, model=model)
    free: list[int] = []
    size = 0
    rng = np.random.default_rng(11)
    for _ in range(300):
        count = int(rng.integers(0, 90))
        while len(free) < count:  # the reference grows one slot at a time: sizes do not matter
            heapq.heappush(free, size)
            size += 1
        expected = [heapq.heappop(free) for _ in range(count)]
        slots = fleet.arrive(np.ones(count), np.zeros(count, dtype=np.int64))
        assert slots.tolist() == expected
        live = np.flatnonzero(fleet.alive)
        leaving = rng.choice(live, size=int(rng.integers(0, len(live) + 1)), replace=False)
        fleet.depart(leaving)
        for slot in leaving.tolist():
            heapq.heappush(free, slot)
        assert len(model.agents) == fleet.count()


def test_a_fleet_serves_one_model():
    model = mesa.Model(rng=0)
    fleet = Fleet((), {}, model)
    with pytest.raises(ValueError, match="already has a fleet"):
        Fleet((), {}, model)
    fleet.arrive(np.ones(1), np.zeros(1, dtype=np.int64))
    assert [a.model for a in model.agents] == [model]  # its ships are its model's agents


def _odd(agent) -> bool:
    return agent.unique_id % 2 == 1


def test_the_model_sets_refuse_changes_in_place(scenario):
    """In-place reordering or filtering is what Mesa tells users not to do to these sets; here
    it is refused, not half done."""
    model = build_model(scenario, 1)
    for _ in range(3):
        model.step()
    for agents in (model.agents, model.agents_by_type[Vessel]):
        before = [key(a) for a in agents]
        for change in (
            lambda s: s.shuffle(inplace=True),
            lambda s: s.sort("unique_id", inplace=True),
            lambda s: s.select(_odd, inplace=True),
        ):
            with pytest.raises(TypeError, match="not reordered or filtered in place"):
                change(agents)
        assert [key(a) for a in agents] == before
        assert agents.select(inplace=True) is agents  # no change asked: Mesa returns the set


def _remove(ship) -> None:
    ship.remove()


def _deregister(ship) -> None:
    ship.model.deregister_agent(ship)


@pytest.mark.parametrize("watched", [False, True])
@pytest.mark.parametrize("take_out", [_remove, _deregister])
def test_a_ship_removed_through_mesa_leaves_the_area(scenario, take_out, watched):
    """A ship is simulated exactly while it is one of the model's agents: removing its agent
    through Mesa (`Agent.remove`, `deregister_agent`, `remove_all_agents`) takes it out of both
    sets and out of the fleet, as a departure does; its slot is free for the next arrival.
    The same when ships go through Mesa's per-agent calls (someone watches them)."""
    model = build_model(scenario, 1)
    for _ in range(3):
        model.step()
    record: list = []
    undo = _watch_by_signal(model, record) if watched else (lambda: None)
    fleet = model.fleet
    ship = list(model.agents_by_type[Vessel])[5]
    slot, count, ships = ship.slot, len(model.agents), fleet.count()
    take_out(ship)
    if watched:
        assert [m.additional_kwargs["args"][0] for m in record] == [ship]
    assert ship not in model.agents and ship not in model.agents_by_type[Vessel]
    assert len(model.agents) == count - 1 and len(model.agents_by_type[Vessel]) == ships - 1
    assert fleet.count() == ships - 1 and not fleet.enrolled[:, slot].any()
    assert ship.slot is None and fleet.agents[slot] is None
    assert fleet.choice[slot] == UNDECIDED
    ship.remove()  # as for any Mesa agent removed twice: nothing
    assert fleet.count() == ships - 1 and len(model.agents) == count - 1
    first_new = model.agent_id_counter
    model.step()
    assert fleet.ids[slot] >= first_new, "the free slot went to a ship of this round"
    model.remove_all_agents()
    assert len(model.agents) == len(model.agents_by_type[Vessel]) == fleet.count() == 0
    first_new = model.agent_id_counter
    model.step()  # only this round's ships are in the area, each an agent
    assert len(model.agents) == len(model.agents_by_type[Vessel]) == fleet.count() > 0
    assert all(a.unique_id >= first_new for a in model.agents)
    assert fleet.progress[fleet.alive].max() <= scenario.shipping.speed_km_per_round
    undo()


def _watch_by_signal(model, record):
    """Subscribe to the model's agent signals; returns what undoes it."""

    def handler(message):
        record.append(message)

    signals = (ModelSignals.AGENT_ADDED, ModelSignals.AGENT_REMOVED)
    model.observe("agents", signals, handler)
    model._keep_handler = handler  # the model holds it weakly
    return lambda: model.unobserve("agents", signals, handler)


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
@pytest.mark.parametrize("from_round", [0, 8])
def test_when_someone_watches_mesa_every_ship_goes_through_it(scenario, watch, from_round):
    """A subscriber to the model's agent signals or Mesa's debug log gets one message per ship
    arriving and leaving (also ships that came before the watch began), naming it, and the run
    (ids included) is the run without anyone watching."""
    quiet = build_model(scenario, 5)
    rounds = []
    for _ in range(25):
        quiet.step()
        rounds.append((live_ids(quiet), quiet.agent_id_counter))
    watched = build_model(scenario, 5)
    for _ in range(from_round):
        watched.step()
    record: list = []
    undo = watch(watched, record)  # after the quiet run: Mesa's log is one for every model
    try:
        arrivals, before = 0, {uid for _, uid in live_ids(watched)}
        for live, counter in rounds[from_round:]:
            watched.step()
            arrivals += watched.world.tally.arrivals
            assert (live_ids(watched), watched.agent_id_counter) == (live, counter)
    finally:
        undo()
    assert [e.to_record() for e in watched.events] == [e.to_record() for e in quiet.events]
    after = {uid for _, uid in live_ids(watched)}
    departures = arrivals + len(before) - len(after)
    assert departures > 500 and (from_round == 0 or len(before) > 100)
    if watch is _watch_by_signal:
        added, removed = (
            [m.additional_kwargs["args"][0] for m in record if m.signal_type == kind]
            for kind in (ModelSignals.AGENT_ADDED, ModelSignals.AGENT_REMOVED)
        )
        assert len(added) == arrivals and len(removed) == departures
        assert {a.unique_id for a in removed} >= before - after  # ships from before the watch
        assert all(isinstance(a, Vessel) and a.slot is None for a in removed)
    else:
        assert sum(m.startswith("registered Vessel") for m in record) == arrivals
        assert sum(m.startswith("deregistered agent") for m in record) == departures


def _pickled(model):
    return pickle.loads(pickle.dumps(model))


@pytest.mark.parametrize("duplicate", [copy.deepcopy, _pickled], ids=["deepcopy", "pickle"])
def test_a_copied_model_has_its_own_ship_agents(scenario, duplicate):
    """Continuations and sweeps copy and ship models: a copy's agent sets read the copy's
    fleet, its ships' agents are its own (one object each, the read ones carried over), and
    both runs go on alike."""
    model = build_model(scenario, 2)
    for _ in range(10):
        model.step()
    read = [model.fleet.agents[s] for s in np.flatnonzero(model.fleet.alive)[::5]]
    twin = duplicate(model)
    for agent in read:
        theirs = twin.fleet.agents[agent.slot]
        assert theirs is not agent and key(theirs) == key(agent) and theirs.model is twin
        assert theirs in twin.agents and theirs not in model.agents and agent not in twin.agents
    mirror = MesaMirror(model)
    twin_read: list[Vessel] = []
    for _ in range(10):
        model.step()
        twin.step()
        assert live_ids(twin) == live_ids(model)
        check_like_mesa(twin, mirror, twin_read)
        assert readings(twin.agents) == readings(model.agents)
        assert all(a.model is twin and a not in model.agents for a in twin.agents)
    assert twin.datacollector.model_vars == model.datacollector.model_vars
    twin.fleet.depart(np.flatnonzero(twin.fleet.alive))  # the copy's ships leave, not ours
    assert len(twin.agents) == actors(twin) and len(twin.agents_by_type[Vessel]) == 0
    assert len(model.agents) == actors(model) + model.fleet.count() > actors(model)


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
