"""Commercial vessels: one Mesa agent per ship in the area, its numbers held in shared arrays.

Every ship is a live `Vessel` agent for as long as it is in the theatre, so Mesa's AgentSet,
the UI and the event log can name it. The numbers all ships share (value, route, choice, progress)
sit in numpy arrays that the fleet updates in one vectorised pass per round: a per-agent Python
loop over ~100-10,000 ships would dominate the round.

About a hundred ships arrive and leave each round. Building a Mesa agent for each and removing
it again cost about half of a round (Mesa 3.5 emits a signal and formats a debug string on
every register and deregister), so the agent of a ship that left is kept and enrolled again for
a new ship, with a new id, exactly as Mesa would have registered a new agent (`_enrol`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import mesa
import numpy as np
from mesa.experimental.mesa_signals import ModelSignals

from wargame.config.ladder import VESSEL_CHOICES

if TYPE_CHECKING:
    from wargame.engine.theatre import Route

UNDECIDED = -1
# The slot arrays double when full (amortised constant cost per arrival), from 64 slots.
SLOT_GROWTH, FIRST_SLOTS = 2, 64

# Mesa 3.5's logger of `Model.register_agent` ("MESA." + its module), checked by a test.
MESA_MODEL_LOG = logging.getLogger("MESA.mesa.model")


class Vessel(mesa.Agent):
    """A commercial ship in the theatre. Behaviour is vectorised in `Fleet`; this is its identity.

    An agent outlives its ship: once the ship leaves, the fleet keeps it out of the model and
    enrols it again, with a new `unique_id` and `slot`, for a later ship. Its numbers are always
    read from the fleet's arrays by slot, so they are the current ship's."""

    def __init__(self, model: mesa.Model, slot: int):
        super().__init__(model)
        self.slot = slot

    @property
    def fleet(self) -> Fleet:
        return self.model.fleet

    @property
    def value_usd(self) -> float:
        return float(self.fleet.value[self.slot])

    @property
    def choice(self) -> str:
        code = int(self.fleet.choice[self.slot])
        return "undecided" if code == UNDECIDED else VESSEL_CHOICES[code]

    @property
    def route(self) -> Route:
        return self.fleet.routes[int(self.fleet.route[self.slot])]

    @property
    def progress_km(self) -> float:
        return float(self.fleet.progress[self.slot])

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
    vessels. Then the fleet uses those calls (a new agent per ship), as before pooling."""
    return (
        model._has_subscribers("agents", ModelSignals.AGENT_ADDED)
        or model._has_subscribers("agents", ModelSignals.AGENT_REMOVED)
        or MESA_MODEL_LOG.isEnabledFor(logging.DEBUG)
        or bool(Vessel._datasets)
    )


class Fleet:
    """Arrays for every ship slot; a slot is reused once its ship has left.

    Each slot keeps one Vessel agent for every ship it holds (`_pool`): made through Mesa for
    the slot's first ship, enrolled again for each later one (`_enrol`).

    Agents sit in Python lists, not numpy object arrays: the garbage collector cannot see
    through an object array, so an agent -> model -> fleet -> array cycle would never be freed.
    """

    def __init__(self, routes: tuple[Route, ...], cumulative: dict[tuple[int, bool], np.ndarray]):
        self.routes = routes
        self._cumulative = cumulative
        self.alive = np.zeros(0, dtype=bool)
        self.value = np.zeros(0)
        self.route = np.zeros(0, dtype=np.int64)
        self.choice = np.zeros(0, dtype=np.int64)
        self.progress = np.zeros(0)
        self.waited = np.zeros(0, dtype=np.int64)
        self.agents: list[Vessel | None] = []  # by slot: the ship's agent, None for a free slot
        self._pool: list[Vessel | None] = []  # by slot: its agent, in the model or not (spare)

    def __getstate__(self) -> dict:
        # A copy or a pickle (continuations, sweeps) carries the live ships' agents only; a
        # free slot gets its agent again, through Mesa, when a ship next takes it.
        return {**self.__dict__, "_pool": list(self.agents)}

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
        self.agents.extend([None] * grow)
        self._pool.extend([None] * grow)

    def arrive(self, model: mesa.Model, values: np.ndarray, routes: np.ndarray) -> np.ndarray:
        """Give each arriving ship a slot and a Vessel agent; returns their slots."""
        count = len(values)
        free = np.flatnonzero(~self.alive)
        if count > len(free):
            self._grow(count - len(free))
            free = np.flatnonzero(~self.alive)
        # The lowest free slots, in ascending order: slot order is the order of every per-ship
        # random draw, so runs are reproducible (and the arrays stay dense).
        slots = free[:count]
        self.alive[slots] = True
        self.value[slots] = values
        self.route[slots] = routes
        self.choice[slots] = UNDECIDED
        self.progress[slots] = 0.0
        self.waited[slots] = 0
        self._enrol(model, slots.tolist())
        return slots

    def depart(self, slots: np.ndarray) -> None:
        """Ships that left the theatre (transited, turned back or disabled) stop being agents."""
        agents = self.agents
        order = slots.tolist()
        leaving = [agents[slot] for slot in order if agents[slot] is not None]
        for slot in order:
            agents[slot] = None
        self.alive[slots] = False
        self.choice[slots] = UNDECIDED
        if leaving:
            _discharge(leaving)

    def _enrol(self, model: mesa.Model, slots: list[int]) -> None:
        """Make the ships in `slots` (ascending) agents of the model, with ids in slot order.

        A slot's spare agent is enrolled again as Mesa 3.5's `Model.register_agent` registers an
        agent (the model's next `agent_id_counter` as its id, added to `model.agents` and to its
        type's set), minus the signal and debug line that nobody receives (`mesa_is_watching`).
        A slot with no spare agent, or every slot when someone is watching, gets a new agent
        made through Mesa.
        """
        agents, pool = self.agents, self._pool
        watching = mesa_is_watching(model)
        everyone = model.agents
        by_type = model.agents_by_type.get(Vessel)  # there if a spare agent exists: it was made
        for slot in slots:
            vessel = pool[slot]
            if vessel is None or watching:
                vessel = pool[slot] = Vessel(model, slot)
            else:
                vessel.unique_id = model.agent_id_counter
                model.agent_id_counter += 1
                everyone.add(vessel)
                by_type.add(vessel)
            agents[slot] = vessel

    def count(self) -> int:
        return int(np.count_nonzero(self.alive))


def _discharge(vessels: list[Vessel]) -> None:
    """Take departing agents out of their model as `Agent.remove` does, minus the signal and
    debug line that nobody receives (`mesa_is_watching`). A ship's agent is in the model for as
    long as the ship is in the area, so `remove` (a KeyError otherwise), not `discard`."""
    model = vessels[0].model
    if mesa_is_watching(model):
        for vessel in vessels:
            vessel.remove()
        return
    remove, remove_by_type = model.agents.remove, model.agents_by_type[Vessel].remove
    for vessel in vessels:
        remove(vessel)
        remove_by_type(vessel)
