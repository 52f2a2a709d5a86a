"""The Mesa model: wires the world's state, the actors and the adjudication, and runs one round
as DESIGN §3.

A round, in order: (1) outside processes move and scripted injects fire; (2) vessels arrive and
choose; (3) every actor decides from its own view, simultaneously; (4) adjudication of
interdictions, strike packages and salvos; (5) hosts update tolerance and basing; (6) ledgers,
the MOU and the channel update; (7) metrics and events are recorded. Nothing here schedules the
escalation loop: it comes out of the actors' cost functions.

What the model owns is the wiring and the run's records. The world's state is `self.world`
(state.py); each phase is a function of it in adjudication/ (what orders do) or observation.py
(what each side sees), built on the pure rules of rules/; the actors (agents.py) decide; events
go to `self.record` (events.EventLog), decisions to `decision_history`, human orders to
`human_orders`, the metrics to the DataCollector.

Browser play splits a round in two: `begin_round()` runs phases 1-3 and returns every AI
decision; `command(actor, action)` gives a human order for that round; `step()` resolves phases
4-7 (beginning the round first if nobody did). A scripted inject beats a human order, which
beats the AI's choice. The AI still draws its decision for a commanded actor, so the random
stream, and so an AI-only run, is the same whether a round is begun separately or not.

`build_model(scenario, seed)` is the one way to build a model (CLI, sweeps, tests, UI).
"""

from __future__ import annotations

import copy
import weakref
from dataclasses import dataclass, field

import mesa
import numpy as np
from mesa.discrete_space import Network

from wargame.config.schema import Inject, Scenario, inject_conflicts, refinery_target_problem
from wargame.engine import metrics
from wargame.engine.adjudication import Setting, centcom, diplomacy, irgc, outside, vessels
from wargame.engine.adjudication import hosts as host_measures  # not self.hosts, the agents
from wargame.engine.agents import Centcom, Host, Irgc
from wargame.engine.collector import MetricsCollector
from wargame.engine.decision import Decision
from wargame.engine.events import Event, EventLog
from wargame.engine.fleet import Fleet
from wargame.engine.intel import Intel
from wargame.engine.observation import CentcomView, HostView, IrgcView, observe
from wargame.engine.rules.diplomacy import CHANNEL_DECISION, CHANNEL_MOVES
from wargame.engine.state import World, new_world
from wargame.engine.theatre import Theatre


def channel_forced(forced: dict[str, str]) -> dict[str, str]:
    """The injects' orders by decision key: a channel inject ("open"/"halted") and an IRGC
    action inject naming a channel move both force the IRGC's channel decision (not its
    main action)."""
    keyed = {}
    for key, action in forced.items():
        if key == "channel":
            keyed[CHANNEL_DECISION] = "halt_channel" if action == "halted" else "reopen_channel"
        elif key == "irgc" and action in CHANNEL_MOVES:
            keyed[CHANNEL_DECISION] = action
        else:
            keyed[key] = action
    return keyed


@dataclass
class BegunRound:
    """A round whose phases 1-3 ran: what phases 4-7 need, and the human orders given for it."""

    forced: dict[str, str]  # scripted injects' actions by decision key (actor, "irgc_channel")
    exposed_slots: np.ndarray
    detected: np.ndarray
    decisions: dict[str, Decision]
    orders: dict[str, str] = field(default_factory=dict)


class GulfModel(mesa.Model):
    """One run of the Gulf escalation cycle: the world's state (`world`), the actors who decide
    on it, and the round's seven phases."""

    def __init__(self, scenario: Scenario, seed: int):
        super().__init__(rng=seed)
        self.spec = scenario
        # `seed` is the seed of the random stream the model now draws from: the build seed
        # until a `reseed()` replaces it (`build_seed` keeps the first, `reseeds` every later).
        self.build_seed = seed
        self.seed = seed
        self.theatre, self.intel = prepared(scenario)
        self.setting = Setting(scenario, self.theatre, self.intel)
        self.space = Network(self.theatre.graph, random=self.random, layout=self.theatre.layout())
        self.fleet = Fleet(self.theatre.routes, self.theatre.path_cumulative_km, self)
        # Injects by round (in file order), so a round reads its own, not all 10,000 allowed.
        self.injects_by_round: dict[int, list] = {}
        for inject in scenario.injects:
            self.injects_by_round.setdefault(inject.round, []).append(inject)
        actors = scenario.actors
        self.irgc = Irgc(self, actors.irgc.rationality, actors.irgc.weights.model_dump())
        self.centcom = Centcom(
            self, actors.centcom.rationality, actors.centcom.weights.model_dump()
        )
        self.hosts = {params.id: Host(self, params) for params in actors.hosts}
        self.host_params = {params.id: params for params in actors.hosts}  # what adjudication reads
        self.world: World = new_world(scenario, self.theatre, self.fleet)
        self.record = EventLog()
        self.views: dict[str, IrgcView | CentcomView | HostView] = {}  # the latest, by actor
        # Every round's decisions, all options with their probabilities and weighted terms
        # (the "why" panel and the advisor read past rounds from here).
        self.decision_history: dict[int, dict[str, Decision]] = {}
        # Human orders actually applied (an inject overrides one), by round: what a saved game
        # must hold to replay.
        self.human_orders: dict[int, dict[str, str]] = {}
        self.reseeds: list[tuple[int, int]] = []  # (after round, seed) of every reseed()
        self._begun: BegunRound | None = None
        self.datacollector = MetricsCollector(metrics.MODEL_REPORTERS, row=metrics.row)

    # --- what readers see -----------------------------------------------------------------

    @property
    def round(self) -> int:
        """The round being played (or the last one played); 0 before the first."""
        return self.world.round

    @property
    def date(self):
        """The date the round starts (the scenario's start date before the first)."""
        return self.world.date

    @property
    def events(self) -> list[Event]:
        return self.record.events

    @property
    def decisions(self) -> dict[str, Decision]:
        """The latest round's decisions, by actor."""
        return self.record.decisions

    @property
    def phase_firsts(self) -> dict[int, int]:
        """The round each loop phase (adjudication.PHASE_*) first happened."""
        return self.record.phase_firsts

    def phase_sequence(self) -> list[int]:
        """The loop's phases in the order they first happened."""
        return self.record.phase_sequence()

    # --- the round ------------------------------------------------------------------------

    def add_inject(self, inject: Inject) -> None:
        """An inject fired during play (a classroom instructor's), for a round not yet begun:
        it fires at that round's start like the scenario's own. Refused (ValueError) for a
        round begun or played, when it sets what another inject of that round sets, or for a
        fire at a site that is no host's energy site (as the scenario's own are checked). A
        replay adds the same injects at the same points, so the game stays reproducible."""
        if inject.round <= self.round:
            raise ValueError(
                f"round {inject.round} has already begun; an inject now fires at the start of "
                f"round {self.round + 1} or later"
            )
        if inject.kind == "refinery_fire":
            problem = refinery_target_problem(self.spec, inject.node)
            if problem:
                raise ValueError(f"node: {problem}")
        conflicts = list(inject_conflicts((*self.injects_by_round.get(inject.round, []), inject)))
        if conflicts:
            raise ValueError(conflicts[0].split(": ", 1)[1])
        self.injects_by_round.setdefault(inject.round, []).append(inject)

    def begin_round(self) -> dict[str, Decision]:
        """Run phases 1-3 of the next round and return every actor's AI decision."""
        if self._begun is not None:
            raise RuntimeError(
                f"round {self.round} is already begun; call step() to resolve it first"
            )
        self._next_round()
        forced = channel_forced(self._outside_processes())  # 1
        exposed_slots, detected = self._ships_arrive_and_choose()  # 2
        decisions = self._decide(int(detected.sum()))  # 3
        self._begun = BegunRound(forced, exposed_slots, detected, decisions)
        return dict(decisions)

    @property
    def round_begun(self) -> bool:
        """Whether `begin_round()` ran and `step()` has not yet resolved that round."""
        return self._begun is not None

    @property
    def injected_orders(self) -> dict[str, str]:
        """Actions scripted injects force in the begun round; they beat any human order."""
        if self._begun is None:
            return {}
        return dict(self._begun.forced)

    def command(self, actor: str, action: str) -> None:
        """A human order for the begun round; the last order for an actor stands."""
        begun = self._begun
        if begun is None:
            raise RuntimeError("no round is begun: call begin_round() before command()")
        decision = begun.decisions.get(actor)
        if decision is None:
            raise ValueError(
                f"unknown actor {actor!r}: orders go to one of {', '.join(begun.decisions)}"
            )
        if action not in decision.options:
            raise ValueError(
                f"{actor} has no action {action!r} in round {self.round}; "
                f"its options are {', '.join(decision.options)}"
            )
        begun.orders[actor] = action

    def step(self) -> None:
        """Resolve a round (phases 4-7), beginning it first if nobody did.

        Mesa wraps this method (its `steps` and `time` count the resolved rounds), so a begun
        round is counted when it resolves, not when it begins."""
        if self._begun is None:
            self.begin_round()
        begun = self._begun
        chosen = self._orders(begun)
        self._adjudicate(chosen, begun)  # 4
        self._update_hosts()  # 5
        self._update_diplomacy(chosen)  # 6
        self._record_round()  # 7
        self.record.applied = {}
        self._begun = None

    def reseed(self, seed: int) -> None:
        """Replace the random streams so this model (often a copy) goes on as a new game that
        the same seed reproduces. A begun round keeps the decisions it already drew."""
        if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        seed = int(seed)
        # Mesa's own reset: a new Generator, also stored as the state `reset_rng()` returns to.
        # Agents and rules read `model.rng` at each draw, so they follow it.
        self.reset_rng(seed)
        # Seeded in place (not replaced): the space and agent sets hold this very object.
        # (Mesa's reset_randomizer does the same but warns of its deprecated keyword.)
        self.random.seed(seed)
        self._seed = seed
        self.seed = seed
        self.reseeds.append((self.round, seed))

    def __deepcopy__(self, memo: dict) -> GulfModel:
        # The scenario, theatre and intel are never changed by a run (the memo tables of the
        # last two only fill), so a copy shares them, as the runs of one sweep point do.
        # Past events and decisions are immutable records: a copy gets new lists and dicts
        # holding the same records. Everything else is copied deeply.
        for shared in (self.spec, self.theatre, self.intel, *self.events):
            memo[id(shared)] = shared
        for decisions in self.decision_history.values():
            for decision in decisions.values():
                memo[id(decision)] = decision
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        for name, value in self.__dict__.items():
            new.__dict__[name] = copy.deepcopy(value, memo)
        return new

    # --- the phases (each module of adjudication/ says what its phase does) ---------------

    def _next_round(self) -> None:
        """The clock moves on; events are booked in the new round."""
        self.world.next_round()
        self.record.start_round(self.world.round, self.world.date.isoformat())

    def _outside_processes(self) -> dict[str, str]:
        """Phase 1; returns the actions the round's injects force."""
        injects = self.injects_by_round.get(self.round, [])
        return outside.outside_processes(self.world, self.setting, injects, self.rng, self.record)

    def _ships_arrive_and_choose(self) -> tuple[np.ndarray, np.ndarray]:
        """Phase 2; returns the ships in anti-ship reach on the TSS branch, and which are seen."""
        return vessels.arrive_and_choose(self.world, self.setting, self.rng)

    def _decide(self, detected: int) -> dict[str, Decision]:
        """Phase 3: every actor decides from its own view, all at once."""
        irgc_view, centcom_view, host_views = observe(self.world, self.spec, detected, self.rng)
        self.views = {"irgc": irgc_view, "centcom": centcom_view, **host_views}
        decisions: dict[str, Decision] = {
            "irgc": self.irgc.decide_action(irgc_view),
            CHANNEL_DECISION: self.irgc.decide_channel(irgc_view),
            "centcom": self.centcom.decide_action(centcom_view),
        }
        for host_id, host in self.hosts.items():
            decisions[host_id] = host.decide_action(host_views[host_id])
        self.record.decisions = decisions
        self.decision_history[self.round] = decisions
        return decisions

    def _orders(self, begun: BegunRound) -> dict[str, str]:
        """The action each actor carries out: a scripted inject beats a human order, which
        beats the AI's choice."""
        chosen = {actor: decision.chosen for actor, decision in begun.decisions.items()}
        applied = {a: x for a, x in begun.orders.items() if a not in begun.forced}
        chosen.update(applied)
        chosen.update(begun.forced)
        if applied:
            self.human_orders[self.round] = dict(applied)
        self.record.applied = applied
        return chosen

    def _adjudicate(self, chosen: dict[str, str], begun: BegunRound) -> None:
        """Phase 4: the orders carried out (the IRGC's, CENTCOM's, each host's, in this order),
        each by its party's module, which also books it and the grievances it changes; then
        ships move, magazines are resupplied and Iranian sites repaired."""
        world, setting, rng, record = self.world, self.setting, self.rng, self.record
        world.book_orders(chosen, tuple(self.hosts))
        irgc.act(
            world,
            setting,
            chosen["irgc"],
            begun.exposed_slots,
            begun.detected,
            self.views["irgc"],
            rng,
            record,
        )
        centcom.act(world, setting, chosen["centcom"], self.views["centcom"], rng, record)
        for host_id, params in self.host_params.items():
            host_measures.act(world, setting, params, chosen[host_id], record)
        vessels.move(world, setting, rng, record)
        world.magazines.resupply(rng)
        world.iran.repair(self.spec.actors.irgc.repair_per_round)

    def _update_hosts(self) -> None:
        """Phase 5: tolerance and basing restrictions after the round's harm."""
        host_measures.update(self.world, self.setting, self.host_params, self.record)

    def _update_diplomacy(self, chosen: dict[str, str]) -> None:
        """Phase 6: ledgers, the MOU, the channel; grievances and memories fade."""
        diplomacy.update(self.world, self.setting, chosen, self.record)

    def _record_round(self) -> None:
        """Phase 7: the round's counts into the run's totals, and the DataCollector's row."""
        self.world.tally.add_to(self.world.totals)
        self.datacollector.collect(self)


# Theatre and Intel depend only on the scenario and are never changed by a run (their memo
# tables of reach and forecasts, keyed by which launch sites stand, only fill), so the many
# runs of one sweep point share them. Keyed by object identity (a scenario is unhashable),
# with a weak reference to tell a live scenario from a new one that reuses a dead one's id.
_PREPARED: dict[int, tuple[weakref.ref, Theatre, Intel]] = {}
_PREPARED_LIMIT = 64  # scenarios remembered at once (a sweep uses one per point at a time)


def prepared(scenario: Scenario) -> tuple[Theatre, Intel]:
    entry = _PREPARED.get(id(scenario))
    if entry is not None:
        alive, theatre, intel = entry
        if alive() is scenario:
            return theatre, intel
    theatre = Theatre(scenario)
    intel = Intel(scenario, theatre)
    if len(_PREPARED) >= _PREPARED_LIMIT:
        _PREPARED.clear()
    _PREPARED[id(scenario)] = (weakref.ref(scenario), theatre, intel)
    return theatre, intel


def build_model(scenario: Scenario, seed: int) -> GulfModel:
    """The one way to build a model: the CLI, sweeps, tests and UI all call this."""
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return GulfModel(scenario, int(seed))
