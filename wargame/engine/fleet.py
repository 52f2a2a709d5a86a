"""Commercial vessels: one Mesa agent per ship in the area, its numbers held in shared arrays.

Every ship is a live `Vessel` agent for as long as it is in the theatre, so Mesa's AgentSet,
the UI and the event log can name it. The numbers all ships share (value, route, choice, progress)
sit in numpy arrays that the fleet updates in one vectorised pass per round: a per-agent Python
loop over ~100-10,000 ships would dominate the round.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import mesa
import numpy as np

from wargame.config.ladder import VESSEL_CHOICES

if TYPE_CHECKING:
    from wargame.engine.theatre import Route

UNDECIDED = -1


class Vessel(mesa.Agent):
    """A commercial ship in the theatre. Behaviour is vectorised in `Fleet`; this is its identity."""

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


class Fleet:
    """Arrays for every ship slot; a slot is reused once its ship has left."""

    def __init__(self, routes: tuple[Route, ...], cumulative: dict[tuple[int, bool], np.ndarray]):
        self.routes = routes
        self._cumulative = cumulative
        self.alive = np.zeros(0, dtype=bool)
        self.value = np.zeros(0)
        self.route = np.zeros(0, dtype=np.int64)
        self.choice = np.zeros(0, dtype=np.int64)
        self.progress = np.zeros(0)
        self.waited = np.zeros(0, dtype=np.int64)
        self.agents: list[Vessel | None] = []
        self._free: list[int] = []

    def path_cumulative_km(self, route: Route, outside: bool) -> np.ndarray:
        return self._cumulative[(route.index, outside)]

    def _grow(self, extra: int) -> None:
        size = len(self.alive)
        new_size = max(2 * size, size + extra, 64)
        grow = new_size - size
        self.alive = np.concatenate([self.alive, np.zeros(grow, dtype=bool)])
        self.value = np.concatenate([self.value, np.zeros(grow)])
        self.route = np.concatenate([self.route, np.zeros(grow, dtype=np.int64)])
        self.choice = np.concatenate([self.choice, np.full(grow, UNDECIDED, dtype=np.int64)])
        self.progress = np.concatenate([self.progress, np.zeros(grow)])
        self.waited = np.concatenate([self.waited, np.zeros(grow, dtype=np.int64)])
        self.agents.extend([None] * grow)
        for slot in range(size, new_size):
            heapq.heappush(self._free, slot)

    def arrive(self, model: mesa.Model, values: np.ndarray, routes: np.ndarray) -> np.ndarray:
        """Create one Vessel agent per arriving ship; returns their slots."""
        count = len(values)
        if count > len(self._free):
            self._grow(count - len(self._free))
        # Lowest free slots first (a heap), so runs are reproducible and arrays stay dense.
        slots = np.array([heapq.heappop(self._free) for _ in range(count)], dtype=np.int64)
        self.alive[slots] = True
        self.value[slots] = values
        self.route[slots] = routes
        self.choice[slots] = UNDECIDED
        self.progress[slots] = 0.0
        self.waited[slots] = 0
        agents = self.agents
        for slot in slots.tolist():
            agents[slot] = Vessel(model, slot)
        return slots

    def depart(self, slots: np.ndarray) -> None:
        """Ships that left the theatre (transited, turned back or disabled) stop being agents."""
        agents = self.agents
        for slot in slots.tolist():
            agent = agents[slot]
            if agent is not None:
                agent.remove()
                agents[slot] = None
            heapq.heappush(self._free, slot)
        self.alive[slots] = False
        self.choice[slots] = UNDECIDED

    @property
    def live_slots(self) -> np.ndarray:
        return np.flatnonzero(self.alive)

    def count(self) -> int:
        return int(self.alive.sum())
