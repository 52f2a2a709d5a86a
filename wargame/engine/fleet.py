"""Commercial vessels: one Mesa agent per ship in the area, its numbers held in shared arrays.

Every ship is a `Vessel` agent for as long as it is in the theatre, so Mesa's AgentSet, the UI
and the event log can name it. The numbers all ships share (value, route, choice, progress) sit
in numpy arrays that the fleet updates in one vectorised pass per round: a per-agent Python loop
over ~100-10,000 ships would dominate the round.

About a hundred ships arrive and leave each round. Registering an agent with Mesa for each and
removing it again cost about half of a round, so the ships' side of `model.agents` and
`model.agents_by_type[Vessel]` is the fleet's arrays (`FleetAgentSet`): an arrival is array
writes (its `unique_id` taken from Mesa's counter, a block per round, in slot order), and a ship's
`Vessel` object is made only when somebody reads it, then kept while the ship is in the area.
When something watches Mesa's per-agent calls (`mesa_is_watching`), ships go through them.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from random import Random
from typing import TYPE_CHECKING

import mesa
import numpy as np
from mesa.agentset import _HardKeyAgentSet
from mesa.experimental.mesa_signals import ModelSignals

from wargame.config.ladder import VESSEL_CHOICES

if TYPE_CHECKING:
    from wargame.engine.theatre import Route

UNDECIDED = -1
# The slot arrays double when full (amortised constant cost per arrival), from 64 slots.
SLOT_GROWTH, FIRST_SLOTS = 2, 64
# The two Mesa sets a ship is in, as rows of `Fleet.enrolled`: `model.agents` and
# `model.agents_by_type[Vessel]` (Mesa adds to and removes from each on its own).
IN_MODEL, IN_TYPE = 0, 1
MEMBERSHIP_ROWS = 2  # one row per set above

# Mesa 3.5's logger of `Model.register_agent` ("MESA." + its module), checked by a test.
MESA_MODEL_LOG = logging.getLogger("MESA.mesa.model")

_unique_id = operator.attrgetter("unique_id")


class Vessel(mesa.Agent):
    """A commercial ship in the theatre. Behaviour is vectorised in `Fleet`; this is its identity.

    Its numbers are read from the fleet's arrays by `slot`. When its ship leaves, the agent is
    out of the model and its `slot` is None: it no longer reads anything (a later ship in the
    slot is another agent). The other way round too: removing the agent from the model
    (`remove()`, `model.remove_all_agents()`) takes its ship out of the area."""

    def __init__(self, model: mesa.Model, slot: int):
        self.slot: int | None = slot  # before Mesa registers it: the fleet knows it by its slot
        super().__init__(model)

    @classmethod
    def _made_for(cls, model: mesa.Model, slot: int, unique_id: int) -> Vessel:
        """The agent of a ship the fleet already counts in the model's sets: what
        `Agent.__init__` sets, without registering it again."""
        vessel = cls.__new__(cls)
        vessel.slot, vessel.model, vessel.unique_id, vessel.pos = slot, model, unique_id, None
        return vessel

    @property
    def fleet(self) -> Fleet:
        return self.model.fleet

    def _at(self) -> int:
        if self.slot is None:
            raise LookupError(f"vessel {self.unique_id} has left the area")
        return self.slot

    @property
    def value_usd(self) -> float:
        return float(self.fleet.value[self._at()])

    @property
    def choice(self) -> str:
        code = int(self.fleet.choice[self._at()])
        return "undecided" if code == UNDECIDED else VESSEL_CHOICES[code]

    @property
    def route(self) -> Route:
        return self.fleet.routes[int(self.fleet.route[self._at()])]

    @property
    def progress_km(self) -> float:
        return float(self.fleet.progress[self._at()])

    def position(self) -> str:
        """The last node of its path it has passed (waiting ships sit at their origin)."""
        route = self.route
        path = route.outside_path if self.choice == "outside" else route.comply_path
        cumulative = self.fleet.path_cumulative_km(route, self.choice == "outside")
        passed = int(np.searchsorted(cumulative, self.progress_km, side="right")) - 1
        return path[max(0, min(passed, len(path) - 1))]


def mesa_is_watching(model: mesa.Model) -> bool:
    """Whether anything would notice Mesa's own calls per agent added or removed: a subscriber
    to the model's "agents" signals, Mesa's debug log switched on, or a Mesa dataset tracking
    vessels. Then the fleet registers and removes each ship through those calls."""
    return (
        model._has_subscribers("agents", ModelSignals.AGENT_ADDED)
        or model._has_subscribers("agents", ModelSignals.AGENT_REMOVED)
        or MESA_MODEL_LOG.isEnabledFor(logging.DEBUG)
        or bool(Vessel._datasets)
    )


class Fleet:
    """Arrays for every ship slot; a slot is reused once its ship has left.

    `ids` and `enrolled` say which ships are agents in which of the model's two sets; `_vessels`
    holds, by slot, the agent objects somebody has read (or Mesa registered), until their ship
    leaves. It is a dict, not a numpy object array: the garbage collector cannot see through an
    object array, so an agent -> model -> fleet -> array cycle would never be freed.
    """

    def __init__(
        self,
        routes: tuple[Route, ...],
        cumulative: dict[tuple[int, bool], np.ndarray],
        model: mesa.Model,
    ):
        self.routes = routes
        self._cumulative = cumulative
        self.model = model
        self.alive = np.zeros(0, dtype=bool)
        self.value = np.zeros(0)
        self.route = np.zeros(0, dtype=np.int64)
        self.choice = np.zeros(0, dtype=np.int64)
        self.progress = np.zeros(0)
        self.waited = np.zeros(0, dtype=np.int64)
        self.ids = np.zeros(0, dtype=np.int64)  # by slot: its ship's unique_id
        self.enrolled = np.zeros((MEMBERSHIP_ROWS, 0), dtype=bool)  # [IN_MODEL | IN_TYPE, slot]
        self._vessels: dict[int, Vessel] = {}
        self._making: int | None = None  # the slot whose agent Mesa is registering
        self.agents = SlotAgents(self)
        everyone = model.agents
        if isinstance(everyone, FleetAgentSet) and everyone.fleet is not None:
            raise ValueError("the model already has a fleet: its ships are its agents")
        model._all_agents = FleetAgentSet(everyone, everyone.random, fleet=self, row=IN_MODEL)

    def path_cumulative_km(self, route: Route, outside: bool) -> np.ndarray:
        return self._cumulative[(route.index, outside)]

    def _grow(self, extra: int) -> None:
        size = len(self.alive)
        grow = max(SLOT_GROWTH * size, size + extra, FIRST_SLOTS) - size
        self.alive = np.concatenate([self.alive, np.zeros(grow, dtype=bool)])
        self.value = np.concatenate([self.value, np.zeros(grow)])
        self.route = np.concatenate([self.route, np.zeros(grow, dtype=np.int64)])
        self.choice = np.concatenate([self.choice, np.full(grow, UNDECIDED, dtype=np.int64)])
        self.progress = np.concatenate([self.progress, np.zeros(grow)])
        self.waited = np.concatenate([self.waited, np.zeros(grow, dtype=np.int64)])
        self.ids = np.concatenate([self.ids, np.zeros(grow, dtype=np.int64)])
        self.enrolled = np.concatenate(
            [self.enrolled, np.zeros((MEMBERSHIP_ROWS, grow), dtype=bool)], axis=1
        )

    def arrive(self, values: np.ndarray, routes: np.ndarray) -> np.ndarray:
        """Give each arriving ship a slot and make it an agent of the fleet's model; returns
        the slots."""
        count = len(values)
        free = (~self.alive).nonzero()[0]  # np.flatnonzero, minus its wrappers (every round)
        if count > len(free):
            self._grow(count - len(free))
            free = (~self.alive).nonzero()[0]
        # The lowest free slots, in ascending order: slot order is the order of every per-ship
        # random draw, so runs are reproducible (and the arrays stay dense).
        slots = free[:count]
        self.alive[slots] = True
        self.value[slots] = values
        self.route[slots] = routes
        self.choice[slots] = UNDECIDED
        self.progress[slots] = 0.0
        self.waited[slots] = 0
        if count:
            self._enrol(slots)
        return slots

    def depart(self, slots: np.ndarray) -> None:
        """Ships that left the theatre (transited, turned back or disabled) stop being agents;
        an agent object read for one is detached (its `slot` None)."""
        order = slots.tolist()
        if not order:
            return
        if mesa_is_watching(self.model):
            for slot in order:
                if self.enrolled[:, slot].any():
                    self.agent(slot).remove()  # Mesa's deregister: its signal and debug line
        self._leave(slots, order)

    def _leave(self, slots: np.ndarray | list[int], order: list[int]) -> None:
        """The ships in `slots` (`order`: the same as a list) are out of the area and of both
        sets; their slots are free, and an agent object read for one is detached."""
        self._set_enrolled(slots, False)
        self.alive[slots] = False
        self.choice[slots] = UNDECIDED
        if self._vessels:
            for slot in order:
                vessel = self._vessels.pop(slot, None)
                if vessel is not None:
                    vessel.slot = None

    def _enrol(self, slots: np.ndarray) -> None:
        """Make the ships in `slots` (ascending) agents of the model, with ids in slot order:
        the ids Mesa's `Model.register_agent` would give them one by one, written as a block,
        with no signal or debug line, as nobody receives them (`mesa_is_watching`)."""
        model = self.model
        by_type = model.agents_by_type
        ours = by_type.get(Vessel)
        if ours is None or getattr(ours, "fleet", None) is not self:
            # Added at the first ship, where Mesa adds a type's set: `agent_types` keeps its order.
            by_type[Vessel] = FleetAgentSet(ours or (), model.random, fleet=self, row=IN_TYPE)
        if mesa_is_watching(model):
            for slot in slots.tolist():
                self._making = slot
                try:
                    vessel = Vessel(model, slot)  # Mesa registers it: FleetAgentSet.add
                finally:
                    self._making = None
                self.ids[slot] = vessel.unique_id
            return
        first = model.agent_id_counter
        model.agent_id_counter = first + len(slots)
        self.ids[slots] = np.arange(first, first + len(slots))
        self._set_enrolled(slots, True)

    def _set_enrolled(self, slots: np.ndarray, value: bool) -> None:
        for row in self.enrolled:  # a row at a time: half the cost of one 2-D fancy index
            row[slots] = value

    def agent(self, slot: int) -> Vessel | None:
        """The agent of the ship in `slot` (None for a free slot), made when first read."""
        slot = range(len(self.alive))[slot]  # an int (given a numpy one), from the end if < 0
        if not self.alive[slot]:
            return None
        vessel = self._vessels.get(slot)
        if vessel is None:
            vessel = Vessel._made_for(self.model, slot, int(self.ids[slot]))
            self._vessels[slot] = vessel
        return vessel

    def count(self) -> int:
        return int(np.count_nonzero(self.alive))

    # --- what the model's two agent sets read and write (FleetAgentSet) ----------------------

    def _holds(self, row: int, agent: object) -> bool:
        """Whether `agent` is the agent of a ship here that is in the set of `row`."""
        if not isinstance(agent, Vessel) or agent.slot is None:
            return False
        return self._vessels.get(agent.slot) is agent and bool(self.enrolled[row, agent.slot])

    def _claims(self, agent: object) -> bool:
        """Whether an agent Mesa adds is one of these ships': the one being registered, or one
        already read or registered (put back after a removal)."""
        if not isinstance(agent, Vessel) or agent.model is not self.model or agent.slot is None:
            return False
        return agent.slot == self._making or self._vessels.get(agent.slot) is agent

    def _enlist(self, row: int, vessel: Vessel) -> None:
        self._vessels[vessel.slot] = vessel
        self.enrolled[row, vessel.slot] = True
        if vessel.unique_id is not None:  # None while Mesa adds it to `model.agents`
            self.ids[vessel.slot] = vessel.unique_id

    def _unlist(self, row: int, vessel: Vessel) -> None:
        """A ship's agent taken out of a set by Mesa. Out of `model.agents` (`Agent.remove`,
        `Model.remove_all_agents`, `deregister_agent`), its ship leaves the area as if it had
        departed: a ship is simulated exactly while it is one of the model's agents."""
        if row == IN_MODEL:
            slot = vessel.slot
            self._leave([slot], [slot])
        else:
            self.enrolled[row, vessel.slot] = False

    def _count(self, row: int) -> int:
        return int(np.count_nonzero(self.enrolled[row]))

    def _members(self, row: int) -> list[Vessel]:
        """The ships' agents in one set, in the order Mesa would have added them (by id)."""
        slots = np.flatnonzero(self.enrolled[row])
        slots = slots[np.argsort(self.ids[slots], kind="stable")]
        return [self.agent(slot) for slot in slots.tolist()]


class SlotAgents(Sequence):
    """`fleet.agents`: by slot, the agent of the ship there or None, made when read."""

    def __init__(self, fleet: Fleet):
        self._fleet = fleet

    def __len__(self) -> int:
        return len(self._fleet.alive)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._fleet.agent(slot) for slot in range(len(self))[index]]
        return self._fleet.agent(index)


class FleetAgentSet(_HardKeyAgentSet):
    """Mesa's set of agents (`model.agents`, `model.agents_by_type[Vessel]`) whose ships are
    read from a fleet's arrays: its other agents in a dict, as Mesa keeps them, and the fleet's
    ships that are in it (`Fleet.enrolled`, one row per set). Every reader of Mesa's set works
    on it (iteration, `len`, `in`, select, agg, do, shuffle_do, groupby ...), in the order Mesa
    would give: agents by the order they were added, which is by `unique_id`.

    Built with no fleet (as Mesa's methods build sets of the same type) it is Mesa's set. The
    fleet's sets refuse the in-place changes Mesa tells users not to make to them (shuffle, sort
    or select with `inplace=True`): their order and members are the model's.
    """

    def __init__(
        self,
        agents: Iterable[mesa.Agent] = (),
        random: Random | None = None,
        *,
        fleet: Fleet | None = None,
        row: int = IN_MODEL,
    ):
        self.fleet: Fleet | None = None
        super().__init__(agents, random)
        self.fleet, self._row = fleet, row

    @property
    def _agents(self) -> Mapping[mesa.Agent, None]:
        """What Mesa's methods read: a dict of agent -> None in order."""
        return self._others if self.fleet is None else _Members(self)

    @_agents.setter
    def _agents(self, agents: dict[mesa.Agent, None]) -> None:
        if self.fleet is not None:
            raise TypeError(
                "the model's agent sets are not reordered or filtered in place: "
                "use inplace=False (or a copy) for a shuffled, sorted or selected set"
            )
        self._others = agents

    def __len__(self) -> int:
        if self.fleet is None:
            return len(self._others)
        return len(self._others) + self.fleet._count(self._row)

    def __contains__(self, agent: object) -> bool:
        return agent in self._others or (
            self.fleet is not None and self.fleet._holds(self._row, agent)
        )

    def __iter__(self) -> Iterator[mesa.Agent]:
        if self.fleet is None:
            return iter(self._others)
        ships = self.fleet._members(self._row)
        if not self._others:
            return iter(ships)
        return heapq.merge(self._others, ships, key=_unique_id)

    def add(self, agent: mesa.Agent) -> None:
        if self.fleet is not None and self.fleet._claims(agent):
            self.fleet._enlist(self._row, agent)
        else:
            self._others[agent] = None

    def remove(self, agent: mesa.Agent) -> None:
        if self.fleet is not None and self.fleet._holds(self._row, agent):
            self.fleet._unlist(self._row, agent)
        else:
            del self._others[agent]

    def discard(self, agent: mesa.Agent) -> None:
        with contextlib.suppress(KeyError):
            self.remove(agent)


class _Members(Mapping):
    """A fleet set's members as the dict Mesa's methods expect (agent -> None)."""

    def __init__(self, members: FleetAgentSet):
        self._set = members

    def __getitem__(self, agent: mesa.Agent) -> None:
        if agent not in self._set:
            raise KeyError(agent)

    def __contains__(self, agent: object) -> bool:
        return agent in self._set

    def __iter__(self) -> Iterator[mesa.Agent]:
        return iter(self._set)

    def __len__(self) -> int:
        return len(self._set)
