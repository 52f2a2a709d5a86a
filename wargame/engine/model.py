"""The Mesa model: wires the theatre, the actors and the vessels, and runs one round as DESIGN §3.

A round, in order: (1) outside processes move and scripted injects fire; (2) vessels arrive and
choose; (3) every actor decides from its own view, simultaneously; (4) adjudication of
interdictions, strike packages and salvos; (5) hosts update tolerance and basing; (6) ledgers,
the MOU and the channel update; (7) metrics and events are recorded. Nothing here schedules the
escalation loop: it comes out of the actors' cost functions.

Browser play splits a round in two: `begin_round()` runs phases 1-3 and returns every AI
decision; `command(actor, action)` gives a human order for that round; `step()` resolves phases
4-7 (beginning the round first if nobody did). A scripted inject beats a human order, which
beats the AI's choice. The AI still draws its decision for a commanded actor, so the random
stream, and so an AI-only run, is the same whether a round is begun separately or not.

`build_model(scenario, seed)` is the one way to build a model (CLI, sweeps, tests, UI).
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import weakref
from dataclasses import dataclass, field

import mesa
import numpy as np
from mesa.discrete_space import Network

from wargame.config.ladder import ACTIONS
from wargame.config.schema import MouLinkage, NodeKind, Scenario, SiteRole
from wargame.engine import effects, metrics
from wargame.engine.agents import Centcom, Host, Irgc
from wargame.engine.collector import MetricsCollector
from wargame.engine.decision import Decision, draw_choices, logit_probabilities
from wargame.engine.events import Event
from wargame.engine.fleet import UNDECIDED, Fleet
from wargame.engine.intel import (
    Intel,
    request_slot,
)
from wargame.engine.observation import CentcomView, HostView, IrgcView, reported
from wargame.engine.rules import shipping
from wargame.engine.rules.defence import THREAT_KINDS
from wargame.engine.rules.diplomacy import (
    Channel,
    Ledgers,
    MouState,
    next_channel,
    next_mou_state,
    update_ledgers,
)
from wargame.engine.rules.grievance import defiance_seen
from wargame.engine.rules.outside import next_lebanon_intensity
from wargame.engine.rules.shipping import COMPLY, OUTSIDE, TURN_BACK, WAIT
from wargame.engine.rules.tolerance import basing_restricted, next_tolerance
from wargame.engine.theatre import (
    DRONE_ROLES,
    MISSILE_ROLES,
    STRIKE_ROLES,
    SURVEILLANCE_ROLES,
    Theatre,
)

log = logging.getLogger(__name__)

WAIT_KINDS = np.array([False, True])  # a choosing ship may not / may still wait
HOURS_PER_DAY = 24.0  # force majeure is reported in days


@dataclass
class RoundTally:
    """What happened this round; the DataCollector reads it through `metrics`."""

    irgc_action: str = "comply"
    centcom_action: str = "hold_and_negotiate"
    host_actions: dict[str, str] = field(default_factory=dict)
    rung: int = 0
    arrivals: int = 0
    transits: int = 0
    outside: int = 0  # ships that chose the TSS branch this round
    defiant_detected: int = 0
    irgc_carried_out: int = 0  # times the IRGC's action was carried out (effects.irgc_acts)
    vessels_attacked: int = 0
    vessels_struck: int = 0
    mine_hits: int = 0
    sites_struck: int = 0
    launched: dict[str, int] = field(default_factory=lambda: dict.fromkeys(THREAT_KINDS, 0))
    intercepted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(THREAT_KINDS, 0))
    # launched = intercepted + leaked + failed (in flight), per kind
    leaked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(THREAT_KINDS, 0))
    failed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(THREAT_KINDS, 0))
    leakers: int = 0
    interceptor_spend: float = 0.0
    attacker_spend: float = 0.0  # weapons fired into defended sites (the cost-exchange's base)
    shipping_strike_spend: float = 0.0
    us_strike_spend: float = 0.0
    host_damage: float = 0.0
    casualties: int = 0
    shipping_loss: float = 0.0


@dataclass
class HostState:
    tolerance: float
    restricted: bool = False
    restricted_until: int = 0
    open_channel_until: int = 0
    force_majeure_until: int = 0
    damage_recent: float = 0.0
    casualties_recent: float = 0.0
    damage_total: float = 0.0
    interceptor_spend_round: float = 0.0  # interceptors fired in its defence this round


@dataclass
class BegunRound:
    """A round whose phases 1-3 ran: what phases 4-7 need, and the human orders given for it."""

    forced: dict[str, str]  # scripted injects' actions by actor (and "channel")
    exposed_slots: np.ndarray
    detected: np.ndarray
    decisions: dict[str, Decision]
    orders: dict[str, str] = field(default_factory=dict)


class GulfModel(mesa.Model):
    """One run of the Gulf escalation cycle."""

    def __init__(self, scenario: Scenario, seed: int):
        super().__init__(rng=seed)
        self.spec = scenario
        self.seed = seed
        self.theatre, self.intel = prepared(scenario)
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
        self._init_world()
        self.datacollector = MetricsCollector(metrics.MODEL_REPORTERS)

    # --- state ----------------------------------------------------------------------------

    def _init_world(self) -> None:
        scenario = self.spec
        theatre = self.theatre
        self.round = 0
        self.date = scenario.clock.start_date
        self.capacity = np.ones(len(theatre.iran_sites))
        self.site_hardening = np.array([scenario.node(s).hardening for s in theatre.iran_sites])
        self.site_value = np.array([scenario.node(s).value for s in theatre.iran_sites])
        # Every interceptor magazine of every defended site in one array; each site holds a
        # slice (a view), so resupply is one vectorised update.
        sizes, rates, self.magazine_slices = [], [], {}
        for node in scenario.nodes:
            if node.defences:
                start = len(sizes)
                for defence in node.defences:
                    sizes.append(defence.magazine_per_battery * defence.batteries)
                    rates.append(defence.resupply_per_round)
                self.magazine_slices[node.id] = slice(start, len(sizes))
        self.magazine = np.array(sizes, dtype=np.int64)
        self.magazine_cap = self.magazine.copy()
        resupply_rate = np.array(rates) * scenario.levers.interceptor_resupply
        # Whole interceptors arrive each round; a fractional rate comes as a chance of one more.
        self.resupply_whole = np.floor(resupply_rate)
        self.resupply_chance = resupply_rate - self.resupply_whole
        # Fixed lookups the round reads, computed once.
        self.host_magazine_slots = {
            host.id: np.array(
                [
                    i
                    for n in theatre.host_targets
                    if scenario.node(n).host == host.id and n in self.magazine_slices
                    for i in range(self.magazine_slices[n].start, self.magazine_slices[n].stop)
                ],
                dtype=np.int64,
            )
            for host in scenario.actors.hosts
        }
        # The same as a (hosts x magazines) count matrix, so every host's interceptors are summed
        # in one product a round (integers: the sums are exact in any order).
        self.host_magazine_matrix = np.zeros((len(self.host_magazine_slots), len(sizes)), np.int64)
        for row, slots in enumerate(self.host_magazine_slots.values()):
            np.add.at(self.host_magazine_matrix[row], slots, 1)
        self.us_base_hosts = [
            scenario.node(n).host
            for n in theatre.host_targets
            if scenario.node(n).kind == NodeKind.US_BASE
        ]
        self.request_slots = {
            host.id: request_slot(scenario, theatre, host.id) for host in scenario.actors.hosts
        }
        self.lebanon = scenario.lebanon.start
        self.ledgers = Ledgers()
        self.mou = MouState.IN_FORCE
        self.calm_rounds = 0
        self.channel = Channel.OPEN
        self.defiance = 0.0
        self.sovereignty = 0.0
        self.us_unanswered = 0.0
        self.shipping_attack_memory = 0.0
        self.premium_memory = 0.0
        self.host_strike_memory = 0.0
        self.us_strike_memory = 0.0
        self.mandate_memory = 1.0  # the routing mandates stand from the start of the MOU
        self.mines = 0.0
        self.escort_until = 0
        self.relief_offered = False
        self.restraint_pressure = 0.0
        self.transit_memory = float(scenario.shipping.arrivals_per_round)
        self.host_states = {
            h.id: HostState(tolerance=h.tolerance_start) for h in scenario.actors.hosts
        }
        self.premium = scenario.shipping.premium.calm_rate
        self.tally = RoundTally()
        self.totals: dict[str, float] = dict.fromkeys(metrics.TOTAL_KEYS, 0.0)
        self.highest_rung = 0
        self.collapsed_round: int | None = None
        self.phase_firsts: dict[int, int] = {}
        self.events: list[Event] = []
        self.decisions: dict[str, Decision] = {}
        self.views: dict[str, IrgcView | CentcomView | HostView] = {}  # the latest, by actor
        # Every round's decisions, all options with their probabilities and weighted terms
        # (the "why" panel and the advisor read past rounds from here).
        self.decision_history: dict[int, dict[str, Decision]] = {}
        # Human orders actually applied (an inject overrides one), by round: what a saved game
        # must hold to replay.
        self.human_orders: dict[int, dict[str, str]] = {}
        self.reseeds: list[tuple[int, int]] = []  # (after round, seed) of every reseed()
        self._begun: BegunRound | None = None
        self._applied: dict[str, str] = {}  # the orders of the round being resolved

    # --- the round ------------------------------------------------------------------------

    def begin_round(self) -> dict[str, Decision]:
        """Run phases 1-3 of the next round and return every actor's AI decision."""
        if self._begun is not None:
            raise RuntimeError(
                f"round {self.round} is already begun; call step() to resolve it first"
            )
        self.round += 1
        self.date = self.spec.clock.start_date + dt.timedelta(
            hours=self.spec.clock.round_hours * (self.round - 1)
        )
        self.tally = RoundTally()
        forced = self._outside_processes()
        exposed_slots, detected = self._vessels_arrive_and_choose()
        irgc_view, centcom_view, host_views = self._observe(int(detected.sum()))
        decisions = self._decide(irgc_view, centcom_view, host_views)
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
        return {a: x for a, x in self._begun.forced.items() if a != "channel"}

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
        chosen = {actor: decision.chosen for actor, decision in begun.decisions.items()}
        # Precedence: scripted inject > human > AI.
        self._applied = {a: x for a, x in begun.orders.items() if a not in begun.forced}
        chosen.update(self._applied)
        for actor, action in begun.forced.items():
            if actor != "channel":
                chosen[actor] = action
        if self._applied:
            self.human_orders[self.round] = dict(self._applied)
        self._adjudicate(chosen, begun.exposed_slots, begun.detected)
        self._update_hosts()
        self._update_diplomacy(chosen, begun.forced)
        self._record_round()
        self._applied = {}
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

    # 1. outside processes and injects
    def _outside_processes(self) -> dict[str, str]:
        self.lebanon = next_lebanon_intensity(self.lebanon, self.spec.lebanon, self.rng)
        forced: dict[str, str] = {}
        for inject in self.injects_by_round.get(self.round, ()):
            if inject.kind == "lebanon_intensity":
                self.lebanon = float(inject.value)
            elif inject.kind == "channel":
                forced["channel"] = inject.channel
            else:
                forced[inject.actor] = inject.action
            self.log(
                "scenario",
                "inject",
                inject.kind,
                "fired",
                f"Scripted inject: {inject.note or inject.kind}.",
            )
        return forced

    # 2. vessels
    def _vessels_arrive_and_choose(self) -> tuple[np.ndarray, np.ndarray]:
        params = self.spec.shipping
        rng = self.rng
        fleet = self.fleet
        arrivals = int(rng.poisson(params.arrivals_per_round))
        values = params.vessel_value_usd * np.exp(
            params.value_spread * rng.standard_normal(arrivals)
        )
        # As `rng.choice(len(shares), size=arrivals, p=shares)` draws them (theatre.route_cdf).
        routes = self.theatre.route_cdf.searchsorted(rng.random(arrivals), side="right")
        fleet.arrive(self, values, routes)
        self.tally.arrivals = arrivals

        choosing = np.flatnonzero(
            fleet.alive & ((fleet.choice == UNDECIDED) | (fleet.choice == WAIT))
        )
        if len(choosing):
            # A ship scores its choices in basis points of its own value, so ships differ only
            # in whether they may still wait: score those two kinds (rows False, True) once and
            # give each ship its kind's probabilities (the same numbers, row by row).
            costs = shipping.vessel_costs(
                np.ones(len(WAIT_KINDS)),
                self.outside_strike_probability(),
                shipping.mine_risk(self.mines, self.spec.behaviour.operations.mine_hit_per_density),
                self.premium,
                WAIT_KINDS,
                params,
                self.spec.behaviour.vessels,
            )
            utilities = shipping.vessel_utilities(costs, params.weights)
            by_kind = logit_probabilities(utilities, params.rationality)
            can_wait = fleet.waited[choosing] < params.max_wait_rounds
            choices = draw_choices(by_kind, rng, rows=can_wait.astype(np.intp))
            fleet.choice[choosing] = choices
            fleet.waited[choosing] += choices == WAIT
            self.tally.outside = int(np.count_nonzero(choices == OUTSIDE))
            fleet.depart(choosing[choices == TURN_BACK])

        # Ships running the TSS branch this round, inside anti-ship reach, can be seen and struck.
        outside = np.flatnonzero(fleet.alive & (fleet.choice == OUTSIDE))
        exposed = np.zeros(len(outside), dtype=bool)
        if len(outside):
            route_ids = fleet.route[outside]
            start = fleet.progress[outside]
            end = start + params.speed_km_per_round
            lo = self.theatre.route_exposed_from[route_ids]
            hi = self.theatre.route_exposed_to[route_ids]
            exposed = (hi > 0) & (start <= hi) & (end >= lo)
        exposed_slots = outside[exposed]
        detection = self.surveillance() * self.spec.behaviour.operations.surveillance_detection
        detected = rng.random(len(exposed_slots)) < detection
        self.tally.defiant_detected = int(detected.sum())
        return exposed_slots, detected

    def outside_strike_probability(self) -> float:
        """What ships read into recent attacks on vessels that ran the TSS branch."""
        reading = self.spec.behaviour.vessels
        risk = (
            reading.warning_risk * min(1.0, self.mandate_memory)
            + reading.risk_per_remembered_attack * self.shipping_attack_memory
        )
        risk = shipping.escorted(
            risk, self.round <= self.escort_until, self.spec.actors.centcom.escort_protection
        )
        return float(min(reading.max_strike_risk, risk))

    # capacities the Iranian sites stand for: the mean capacity of the sites of some roles
    def _role_capacity(self, roles: tuple[SiteRole, ...]) -> float:
        sites = self.theatre.sites_with_roles[roles]
        return _mean(self.capacity[sites]) if len(sites) else 0.0

    def _mean_capacity(self) -> float:
        return _mean(self.capacity)

    def surveillance(self) -> float:
        return self._role_capacity(SURVEILLANCE_ROLES)

    def strike_capacity(self) -> float:
        return self._role_capacity(STRIKE_ROLES)

    def missile_capacity(self) -> float:
        return self._role_capacity(MISSILE_ROLES)

    def drone_capacity(self) -> float:
        return self._role_capacity(DRONE_ROLES)

    # 3. observations
    def _observe(self, detected: int) -> tuple[IrgcView, CentcomView, dict[str, HostView]]:
        rng = self.rng
        irgc_noise = self.spec.actors.irgc.observation_noise
        centcom_noise = self.spec.actors.centcom.observation_noise
        restricted = frozenset(h for h, s in self.host_states.items() if s.restricted)
        open_channel = frozenset(
            h for h, s in self.host_states.items() if s.open_channel_until >= self.round
        )
        defiance_now = defiance_seen(
            self.defiance, detected, self.spec.behaviour.grievances.defiance
        )
        irgc_view = IrgcView(
            round=self.round,
            capacity=self.capacity.copy(),
            surveillance=self.surveillance(),
            strike_capacity=self.strike_capacity(),
            defiant_detected=detected,
            defiance=defiance_now,
            sovereignty=self.sovereignty,
            lebanon=self.lebanon,
            linked=self.spec.levers.mou_linkage == MouLinkage.LINKED,
            us_resolve=min(1.0, reported(self.spec.levers.doctrine_split, irgc_noise, rng)),
            relief_offered=self.relief_offered,
            channel_open=self.channel == Channel.OPEN,
            host_open_channel=open_channel,
            restricted_hosts=restricted,
        )
        hosts_of_bases = self.us_base_hosts
        usable = 1.0 - sum(host in restricted for host in hosts_of_bases) / max(
            1, len(hosts_of_bases)
        )
        normal = max(1.0, self.spec.shipping.arrivals_per_round)
        centcom_view = CentcomView(
            round=self.round,
            shipping_attacks=reported(self.shipping_attack_memory, centcom_noise, rng),
            unanswered=reported(self.us_unanswered, centcom_noise, rng),
            transit_shortfall=max(0.0, 1.0 - self.transit_memory / normal),
            mines=reported(self.mines, centcom_noise, rng),
            # Read by no cost term, but its draw is in the stream (see CentcomView; issue 9).
            iran_capacity=min(1.0, reported(self._mean_capacity(), centcom_noise, rng)),
            host_strikes=self.host_strike_memory,
            channel_open=self.channel == Channel.OPEN,
            restraint_pressure=self.restraint_pressure,
            usable_basing=usable,
        )
        hosts = self.spec.behaviour.hosts
        threat = min(
            1.0,
            hosts.threat_per_us_strike * self.us_strike_memory
            + hosts.threat_per_host_strike * self.host_strike_memory,
        )
        host_views = {}
        magazines = self.host_magazines()
        for host_id, state in self.host_states.items():
            left, cap = magazines[host_id]
            host_views[host_id] = HostView(
                host=host_id,
                round=self.round,
                tolerance=state.tolerance,
                damage_recent=state.damage_recent,
                casualties_recent=state.casualties_recent,
                force_majeure=max(0, state.force_majeure_until - self.round + 1),
                threat=threat,
                restricted=state.restricted,
                magazine_share=left / cap if cap else 1.0,
            )
        self.views = {"irgc": irgc_view, "centcom": centcom_view, **host_views}
        return irgc_view, centcom_view, host_views

    def host_magazines(self) -> dict[str, tuple[int, int]]:
        """Each host's interceptors left and its magazines' capacity, over its own sites."""
        left = (self.host_magazine_matrix @ self.magazine).tolist()
        cap = (self.host_magazine_matrix @ self.magazine_cap).tolist()
        return dict(zip(self.host_magazine_slots, zip(left, cap, strict=True), strict=True))

    def _decide(self, irgc_view, centcom_view, host_views) -> dict[str, Decision]:
        decisions: dict[str, Decision] = {
            "irgc": self.irgc.decide_action(irgc_view),
            "centcom": self.centcom.decide_action(centcom_view),
        }
        for host_id, host in self.hosts.items():
            decisions[host_id] = host.decide_action(host_views[host_id])
        self.decisions = decisions
        self.decision_history[self.round] = decisions
        return decisions

    # 4. adjudication
    def _adjudicate(
        self, chosen: dict[str, str], exposed_slots: np.ndarray, detected: np.ndarray
    ) -> None:
        self.tally.irgc_action = chosen["irgc"]
        self.tally.centcom_action = chosen["centcom"]
        self.tally.host_actions = {h: chosen[h] for h in self.hosts}
        rung = max(ACTIONS[chosen["irgc"]].rung, ACTIONS[chosen["centcom"]].rung)
        self.tally.rung = rung
        self.highest_rung = max(self.highest_rung, rung)
        capacity_before = self.capacity.copy()
        self.tally.irgc_carried_out = effects.irgc_acts(
            self, chosen["irgc"], exposed_slots, detected
        )
        effects.centcom_acts(self, chosen["centcom"], capacity_before)
        for host_id, host in self.hosts.items():
            effects.host_acts(self, host_id, chosen[host_id])
            if chosen[host_id] == "stay_quiet" and self._applied.get(host_id) == "stay_quiet":
                # An AI host that stays quiet is not news; a human's order to is, so it shows.
                self.log_decision(
                    host_id, "stay_quiet", "-", "done", f"{host.params.name} stays quiet."
                )
        self._move_vessels()
        self._resupply()
        repair = self.spec.actors.irgc.repair_per_round
        self.capacity += repair * (1.0 - self.capacity)

    def _move_vessels(self) -> None:
        params = self.spec.shipping
        fleet = self.fleet
        moving = self._moving_slots()
        keep = self.spec.behaviour.memories.transits
        if len(moving) == 0:
            self.transit_memory = keep * self.transit_memory
            return
        hits = shipping.mine_hits(
            len(moving), self.mines, self.spec.behaviour.operations.mine_hit_per_density, self.rng
        )
        if hits:
            struck = self.rng.choice(moving, size=hits, replace=False)
            effects.strike_vessels(self, struck, by_mine=True)
            self.shipping_attack_memory += hits
            self.us_unanswered += self.spec.behaviour.grievances.unanswered.per_mine_hit * hits
            self.log(
                "irgc",
                "mine_lanes",
                f"{hits} vessels",
                "mine strike",
                f"{hits} ship(s) strike mines in the lanes.",
                phase=effects.PHASE_INTERDICTION,
                figures={"hits": int(hits)},
            )
            moving = self._moving_slots()
        complying = fleet.choice[moving] == COMPLY
        speed = np.where(
            complying,
            params.speed_km_per_round / (1.0 + params.corridor_delay_rounds),
            params.speed_km_per_round,
        )
        fleet.progress[moving] += speed
        route_ids = fleet.route[moving]
        lengths = np.where(
            complying,
            self.theatre.route_comply_km[route_ids],
            self.theatre.route_outside_km[route_ids],
        )
        done = moving[fleet.progress[moving] >= lengths]
        self.tally.transits = len(done)
        fleet.depart(done)
        self.transit_memory = keep * self.transit_memory + (1 - keep) * len(done)

    def _moving_slots(self) -> np.ndarray:
        """Slots of the ships under way: in the corridor or on the TSS branch."""
        choice = self.fleet.choice
        return np.flatnonzero(self.fleet.alive & ((choice == COMPLY) | (choice == OUTSIDE)))

    def _resupply(self) -> None:
        extra = self.rng.random(len(self.resupply_chance)) < self.resupply_chance
        arriving = (self.resupply_whole + extra).astype(np.int64)
        np.minimum(self.magazine + arriving, self.magazine_cap, out=self.magazine)

    # 5. hosts
    def _update_hosts(self) -> None:
        for host_id, state in self.host_states.items():
            params = self.hosts[host_id].params
            in_force_majeure = state.force_majeure_until >= self.round
            state.tolerance = next_tolerance(
                state.tolerance,
                state.damage_recent,
                state.casualties_recent,
                int(in_force_majeure),
                params,
                self.spec.behaviour.hosts.erosion,
                state.interceptor_spend_round,
            )
            state.interceptor_spend_round = 0.0
            was = state.restricted
            state.restricted = basing_restricted(
                state.tolerance, state.restricted_until >= self.round, params
            )
            if state.restricted and not was:
                self.log(
                    host_id,
                    "restrict_basing",
                    "US forces",
                    "basing restricted",
                    f"{params.name} restricts offensive use of its bases (tolerance {state.tolerance:.2f}).",
                )
            if in_force_majeure:
                self.totals["force_majeure_days"] += self.spec.clock.round_hours / HOURS_PER_DAY
                self.totals["economic_loss_usd"] += (
                    self.spec.adjudication.economic_loss_per_force_majeure_round
                )
            state.damage_recent *= self.spec.behaviour.memories.host_harm
            state.casualties_recent *= self.spec.behaviour.memories.host_harm

    # 6. ledgers, MOU and channel
    def _update_diplomacy(self, chosen: dict[str, str], forced: dict[str, str]) -> None:
        levers = self.spec.levers
        lebanon_entry = (
            self.lebanon * self.spec.lebanon.linkage_weight
            if levers.mou_linkage == MouLinkage.LINKED
            else 0.0
        )
        self.ledgers = update_ledgers(
            self.ledgers,
            chosen["irgc"],
            chosen["centcom"],
            lebanon_entry,
            self.spec.mou,
            self.spec.behaviour.ledgers,
        )
        before = self.mou
        self.mou, self.calm_rounds = next_mou_state(
            self.mou, self.calm_rounds, self.ledgers.pressure, self.channel, self.spec.mou
        )
        if self.mou != before:
            self.log(
                "diplomacy",
                "mou",
                "MOU",
                self.mou.name,
                f"The MOU is now {self.mou.name.replace('_', ' ').lower()} "
                f"(US ledger {self.ledgers.us:.1f}, Iranian ledger {self.ledgers.iran:.1f}).",
            )
        if self.mou == MouState.COLLAPSED and self.collapsed_round is None:
            self.collapsed_round = self.round
        if "channel" in forced:
            new_channel = Channel.OPEN if forced["channel"] == "open" else Channel.HALTED
        else:
            new_channel = next_channel(
                self.channel,
                self.sovereignty,
                self.relief_offered,
                self.spec.mou,
                self.spec.behaviour.channel,
                self.rng,
            )
        if new_channel != self.channel:
            halted = new_channel == Channel.HALTED
            verb = "halts" if halted else "reopens"
            why = (
                f"sovereignty violations {self.sovereignty:.2f} at or past its threshold "
                f"{self.spec.mou.channel_halt_threshold:.2f}"
                if halted
                else "violations have faded"
            )
            self.log(
                "irgc",
                "halt_channel" if halted else "reopen_channel",
                "Swiss channel",
                new_channel.name,
                f"The IRGC {verb} the diplomatic channel in Switzerland ({why}).",
                breakdown={"sovereignty": round(self.sovereignty, 6)},
            )
        self.channel = new_channel
        # Memories fade; grievances the other side answered were already cut down above.
        grievances = self.spec.behaviour.grievances
        memories = self.spec.behaviour.memories
        self.defiance = defiance_seen(
            self.defiance, self.tally.defiant_detected, grievances.defiance
        )
        if self.tally.irgc_carried_out:
            self.defiance *= grievances.defiance.left_after_irgc_action[chosen["irgc"]]
        self.sovereignty *= grievances.sovereignty.memory
        self.us_unanswered *= grievances.unanswered.memory
        self.shipping_attack_memory *= memories.shipping_attacks
        self.premium_memory = self.spec.shipping.premium.memory * self.premium_memory + (
            self.tally.vessels_attacked + self.tally.mine_hits
        )
        self.premium = shipping.premium_rate(self.premium_memory, self.spec.shipping.premium)
        self.host_strike_memory *= memories.host_strikes
        self.us_strike_memory *= memories.us_strikes
        self.mandate_memory *= memories.mandates
        self.restraint_pressure *= memories.restraint_pressure
        self.mines *= self.spec.behaviour.operations.mine_density_left

    # 7. record
    def _record_round(self) -> None:
        tally = self.tally
        totals = self.totals
        totals["interceptor_spend_usd"] += tally.interceptor_spend
        totals["attacker_spend_usd"] += tally.attacker_spend
        totals["us_strike_spend_usd"] += tally.us_strike_spend
        totals["shipping_strike_spend_usd"] += tally.shipping_strike_spend
        totals["host_damage"] += tally.host_damage
        totals["casualties"] += tally.casualties
        totals["vessels_struck"] += tally.vessels_struck + tally.mine_hits
        totals["transits"] += tally.transits
        totals["shipping_loss_usd"] += tally.shipping_loss
        totals["leakers"] += tally.leakers
        for kind in THREAT_KINDS:
            totals[f"launched_{kind}"] += tally.launched[kind]
            totals[f"intercepted_{kind}"] += tally.intercepted[kind]
            totals[f"leaked_{kind}"] += tally.leaked[kind]
            totals[f"failed_{kind}"] += tally.failed[kind]
        self.datacollector.collect(self)

    # --- logging helpers ------------------------------------------------------------------

    def log(
        self,
        actor,
        action,
        target,
        outcome,
        sentence,
        phase=None,
        breakdown=None,
        probability=None,
        by_human=False,
        figures=None,
    ):
        if phase is not None and phase not in self.phase_firsts:
            self.phase_firsts[phase] = self.round
        self.events.append(
            Event(
                self.round,
                self.date.isoformat(),
                actor,
                action,
                str(target),
                str(outcome),
                sentence,
                phase,
                breakdown or {},
                probability,
                by_human,
                figures or {},
            )
        )

    def log_decision(
        self, actor, action, target, outcome, sentence, phase=None, decision_key=None, figures=None
    ):
        key = decision_key or actor
        decision = self.decisions.get(key)
        breakdown = decision.breakdown(action) if decision and action in decision.options else {}
        probability = (
            decision.probability(action) if decision and action in decision.options else None
        )
        by_human = self._applied.get(key) == action
        self.log(
            actor,
            action,
            target,
            outcome,
            sentence,
            phase,
            breakdown,
            probability,
            by_human,
            figures,
        )

    # --- summary helpers ------------------------------------------------------------------

    def phase_sequence(self) -> list[int]:
        """The loop's phases in the order they first happened."""
        return [
            phase for phase, _ in sorted(self.phase_firsts.items(), key=lambda kv: (kv[1], kv[0]))
        ]


def _mean(values: np.ndarray) -> float:
    """`float(values.mean())` by np.mean's own arithmetic (its sum, then one division), without
    its per-call overhead (a few per round)."""
    return float(np.add.reduce(values) / len(values))


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
