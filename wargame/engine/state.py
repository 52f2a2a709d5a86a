"""The world's state: everything a run changes, in a few typed objects with one job each.

`World` owns it all: the clock, the outside processes, the round's tally and the run's totals,
and one object per concern:

- `Grievances` (rules/grievance.py, with the rules that grow and fade them): what each side
  holds against the other, and the fading memories of what happened (attacks on ships,
  strikes, mandates, transits) that actors and owners read;
- `Diplomacy`: the two ledgers, the MOU, the Swiss channel;
- `HostState`: one per Gulf host, its tolerance, restrictions and harm;
- `IranForces`: the Iranian sites' capacities and the mines in the lanes;
- `Magazines`: every interceptor magazine of every defended site;
- the fleet (`fleet.Fleet`): the ships in the area.

The model (model.py) makes one `World` and runs the round's phases on it; adjudication
(adjudication/) changes it and reports what changed; the rules (rules/) are pure functions of
the numbers read here. Nothing in this module books an event, and one method only draws
random numbers: `Magazines.resupply`, from the stream it is given (the model's, at the end of
phase 4), for the chance of a fractional delivery (rules/defence.resupplied).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from wargame.config.ladder import ACTIONS
from wargame.config.schema import NodeKind, Scenario
from wargame.engine.intel import request_slot
from wargame.engine.rules.defence import THREAT_KINDS, resupplied
from wargame.engine.rules.diplomacy import Channel, Ledgers, MouState
from wargame.engine.rules.grievance import Grievances
from wargame.engine.rules.shipping import Market
from wargame.engine.theatre import (
    DRONE_ROLES,
    MISSILE_ROLES,
    STRIKE_ROLES,
    SURVEILLANCE_ROLES,
    Theatre,
)

if TYPE_CHECKING:
    from wargame.engine.fleet import Fleet

# The run's running totals (World.totals). Most are the sum of a count of the round's tally,
# folded in once a round (RoundTally.add_to, phase 7). Two have no count in the tally and are
# added to as they happen: economic_loss_usd by each raid (adjudication/raids.py, phase 4) and
# by each host's round in force majeure (adjudication/hosts.py, phase 5), force_majeure_days by
# the latter. Those additions stay where they are: their order is part of a run's results.
TOTAL_KEYS = (
    "interceptor_spend_usd",
    "attacker_spend_usd",
    "us_strike_spend_usd",
    "shipping_strike_spend_usd",
    "host_damage",
    "economic_loss_usd",
    "casualties",
    "vessels_struck",
    "transits",
    "shipping_loss_usd",
    "leakers",
    "force_majeure_days",
    *(f"launched_{kind}" for kind in THREAT_KINDS),
    *(f"intercepted_{kind}" for kind in THREAT_KINDS),
    *(f"leaked_{kind}" for kind in THREAT_KINDS),
    *(f"failed_{kind}" for kind in THREAT_KINDS),
)

# The raids' spends and engagements per threat kind (RoundTally.add_to folds them in too), so a
# cost-exchange can be read per kind. They are in the run's totals but are not TOTAL_KEYS:
# metrics.MODEL_REPORTERS makes a `total_*` column of each of those, and the metrics table's
# columns are fixed (tests/golden). The run's summary reads them (experiments/single_run).
KIND_TOTAL_KEYS = (
    *(f"interceptor_spend_{kind}_usd" for kind in THREAT_KINDS),
    *(f"attacker_spend_{kind}_usd" for kind in THREAT_KINDS),
    *(f"engaged_{kind}" for kind in THREAT_KINDS),
)


def _per_kind() -> dict[str, int]:
    return dict.fromkeys(THREAT_KINDS, 0)


def _spend_per_kind() -> dict[str, float]:
    return dict.fromkeys(THREAT_KINDS, 0.0)


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
    turned_back: int = 0  # ships that chose to turn back this round
    coming_share: float = 1.0  # share of the calm-time traffic whose owners sent a ship
    defiant_detected: int = 0
    irgc_carried_out: int = 0  # times the IRGC's action was carried out (adjudication.irgc)
    vessels_attacked: int = 0
    vessels_struck: int = 0
    mine_hits: int = 0
    sites_struck: int = 0
    # launched = intercepted + leaked + failed (in flight), per kind
    launched: dict[str, int] = field(default_factory=_per_kind)
    intercepted: dict[str, int] = field(default_factory=_per_kind)
    leaked: dict[str, int] = field(default_factory=_per_kind)
    failed: dict[str, int] = field(default_factory=_per_kind)
    leakers: int = 0
    interceptor_spend: float = 0.0
    attacker_spend: float = 0.0  # weapons fired into defended sites (the cost-exchange's base)
    # The two spends split by the threat kind fired at and fired, and the engagements per kind
    # (a threat two layers engage counts twice).
    interceptor_spend_by_kind: dict[str, float] = field(default_factory=_spend_per_kind)
    attacker_spend_by_kind: dict[str, float] = field(default_factory=_spend_per_kind)
    engaged: dict[str, int] = field(default_factory=_per_kind)
    shipping_strike_spend: float = 0.0
    us_strike_spend: float = 0.0
    host_damage: float = 0.0
    casualties: int = 0
    shipping_loss: float = 0.0

    def add_to(self, totals: dict[str, float]) -> None:
        """Fold this round's counts into the run's totals (phase 7)."""
        totals["interceptor_spend_usd"] += self.interceptor_spend
        totals["attacker_spend_usd"] += self.attacker_spend
        totals["us_strike_spend_usd"] += self.us_strike_spend
        totals["shipping_strike_spend_usd"] += self.shipping_strike_spend
        totals["host_damage"] += self.host_damage
        totals["casualties"] += self.casualties
        totals["vessels_struck"] += self.vessels_struck + self.mine_hits
        totals["transits"] += self.transits
        totals["shipping_loss_usd"] += self.shipping_loss
        totals["leakers"] += self.leakers
        for kind in THREAT_KINDS:
            totals[f"launched_{kind}"] += self.launched[kind]
            totals[f"intercepted_{kind}"] += self.intercepted[kind]
            totals[f"leaked_{kind}"] += self.leaked[kind]
            totals[f"failed_{kind}"] += self.failed[kind]
            totals[f"interceptor_spend_{kind}_usd"] += self.interceptor_spend_by_kind[kind]
            totals[f"attacker_spend_{kind}_usd"] += self.attacker_spend_by_kind[kind]
            totals[f"engaged_{kind}"] += self.engaged[kind]


@dataclass
class Diplomacy:
    """The two sides' ledgers, the MOU they feed, and the Swiss channel."""

    ledgers: Ledgers = field(default_factory=Ledgers)
    mou: MouState = MouState.IN_FORCE
    calm_rounds: int = 0
    channel: Channel = Channel.OPEN
    collapsed_round: int | None = None  # the round the MOU collapsed, once it has


@dataclass
class HostState:
    """One Gulf host's changing state: its tolerance of US basing, its measures and its harm."""

    tolerance: float
    restricted: bool = False
    restricted_until: int = 0
    open_channel_until: int = 0
    force_majeure_until: int = 0
    damage_recent: float = 0.0  # its memory of harm (fades: behaviour.memories.host_harm)
    casualties_recent: float = 0.0
    damage_total: float = 0.0
    interceptor_spend_round: float = 0.0  # interceptors fired in its defence this round
    # The memory as the last update left it (faded): what the round's raids add on top of it
    # is the round's new harm, the only harm that erodes tolerance.
    damage_remembered: float = 0.0
    casualties_remembered: float = 0.0

    def new_harm(self) -> tuple[float, float]:
        """The damage and casualties booked on its soil since the last update (raids add to
        the memory; the memory carried over from earlier rounds is not new harm)."""
        return (
            max(0.0, self.damage_recent - self.damage_remembered),
            max(0.0, self.casualties_recent - self.casualties_remembered),
        )

    def fade_harm(self, memory: float) -> None:
        """The memory of harm fades by `memory` (the share kept a round)."""
        self.damage_recent *= memory
        self.casualties_recent *= memory
        self.damage_remembered = self.damage_recent
        self.casualties_remembered = self.casualties_recent


def mean(values: np.ndarray) -> float:
    """`float(values.mean())` by np.mean's own arithmetic (its sum, then one division), without
    its per-call overhead (a few per round)."""
    return float(np.add.reduce(values) / len(values))


class RaidRecord:
    """What the IRGC has seen of its own raids: at each node (theatre.node_ids order) and per
    threat kind (THREAT_KINDS order), the threats it saw get through and those it saw
    intercepted, as reported to it (log-normal error), the older the fainter. Its targeting
    reads it each round (Intel.plan): a site whose salvos are all stopped loses rank."""

    def __init__(self, theatre: Theatre, memory: float, noise: float):
        self.index = theatre.index
        self.leaked = np.zeros((len(theatre.node_ids), len(THREAT_KINDS)))
        self.intercepted = np.zeros_like(self.leaked)
        self.memory = memory
        self.noise = noise

    def fade(self) -> None:
        """A round passes: every remembered count keeps `memory` of itself."""
        self.leaked *= self.memory
        self.intercepted *= self.memory

    def observe(
        self,
        node_id: str,
        leaked: dict[str, int],
        intercepted: dict[str, int],
        rng: np.random.Generator,
    ) -> None:
        """A raid's results at `node_id` as the IRGC hears of them: each count times its own
        log-normal error (one draw per count, whatever the counts, so the stream never
        depends on them)."""
        kinds = len(THREAT_KINDS)
        leaked_error = np.exp(self.noise * rng.standard_normal(kinds))
        intercepted_error = np.exp(self.noise * rng.standard_normal(kinds))
        row = self.index[node_id]
        self.leaked[row] += leaked_error * np.array([leaked.get(k, 0) for k in THREAT_KINDS])
        self.intercepted[row] += intercepted_error * np.array(
            [intercepted.get(k, 0) for k in THREAT_KINDS]
        )


class IranForces:
    """The Iranian sites' capacities (0-1, by theatre.iran_sites order), the IRGC's mines and
    its record of its raids (`raids`).

    A site's capacity is what strikes leave of it; the IRGC's abilities (surveillance, strike,
    missile and drone launch) are the mean capacity of the sites of their roles."""

    def __init__(self, scenario: Scenario, theatre: Theatre):
        self.capacity = np.ones(len(theatre.iran_sites))
        self.raids = RaidRecord(
            theatre,
            scenario.behaviour.irgc.results_memory,
            scenario.actors.irgc.observation_noise,
        )
        self.hardening = np.array([scenario.node(s).hardening for s in theatre.iran_sites])
        self.value = np.array([scenario.node(s).value for s in theatre.iran_sites])
        self.mines = 0.0  # density in the lanes
        # The sites of each ability's roles (fixed: a site's roles never change).
        by_roles = theatre.sites_with_roles
        self._surveillance_sites = by_roles[SURVEILLANCE_ROLES]
        self._strike_sites = by_roles[STRIKE_ROLES]
        self._missile_sites = by_roles[MISSILE_ROLES]
        self._drone_sites = by_roles[DRONE_ROLES]

    def _role_capacity(self, sites: np.ndarray) -> float:
        return mean(self.capacity[sites]) if len(sites) else 0.0

    def surveillance(self) -> float:
        return self._role_capacity(self._surveillance_sites)

    def strike_capacity(self) -> float:
        return self._role_capacity(self._strike_sites)

    def missile_capacity(self) -> float:
        return self._role_capacity(self._missile_sites)

    def drone_capacity(self) -> float:
        return self._role_capacity(self._drone_sites)

    def mean_capacity(self) -> float:
        return mean(self.capacity)

    def repair(self, rate: float) -> None:
        """Each site gets back `rate` of what it lost (the end of phase 4)."""
        self.capacity += rate * (1.0 - self.capacity)


class Magazines:
    """Every interceptor magazine of every defended site, in one array.

    Each site holds a slice of it (`of(site)`, a view), so resupply is one vectorised update and
    each host's stock one matrix product."""

    def __init__(self, scenario: Scenario, theatre: Theatre):
        sizes, rates, self.slices = [], [], {}
        for node in scenario.nodes:
            if node.defences:
                start = len(sizes)
                for defence in node.defences:
                    sizes.append(defence.magazine_per_battery * defence.batteries)
                    rates.append(defence.resupply_per_round)
                self.slices[node.id] = slice(start, len(sizes))
        self.left = np.array(sizes, dtype=np.int64)
        self.cap = self.left.copy()
        resupply_rate = np.array(rates) * scenario.levers.interceptor_resupply
        # Whole interceptors arrive each round; a fractional rate comes as a chance of one more.
        self.resupply_whole = np.floor(resupply_rate)
        self.resupply_chance = resupply_rate - self.resupply_whole
        hosts = [host.id for host in scenario.actors.hosts]
        # Which magazines guard each host's own sites, as a (hosts x magazines) count matrix, so
        # every host's interceptors are summed in one product a round (integers: the sums are
        # exact in any order).
        self.host_ids = tuple(hosts)
        self.host_matrix = np.zeros((len(hosts), len(sizes)), np.int64)
        for row, host in enumerate(hosts):
            for n in theatre.host_targets:
                if scenario.node(n).host == host and n in self.slices:
                    self.host_matrix[row, self.slices[n]] += 1
        # Where each host's requested interceptors go (a site's slot), None if nowhere.
        self.request_slots = {host: request_slot(scenario, theatre, host) for host in hosts}
        # The same matrix weighted by each fielded system's unit cost (0 for a system the
        # defence mix does not field): a host's defences left by what they are worth, so the
        # never-spent uses of an unfielded laser or jammer (1,500 a site) and the cheap ones
        # of a fielded one do not hide its Patriots running out (HostView.magazine_share).
        self.fielded_value = np.array(
            [
                fielded_unit_cost(scenario, defence.system)
                for node in scenario.nodes
                for defence in node.defences
            ]
        )
        self.host_value_matrix = self.host_matrix * self.fielded_value

    def of(self, node_id: str) -> np.ndarray:
        """A defended site's magazines: a view, so writing it writes the stock."""
        return self.left[self.slices[node_id]]

    def host_magazines(self) -> dict[str, tuple[int, int]]:
        """Each host's interceptors left and its magazines' capacity, over its own sites."""
        left = (self.host_matrix @ self.left).tolist()
        cap = (self.host_matrix @ self.cap).tolist()
        return dict(zip(self.host_ids, zip(left, cap, strict=True), strict=True))

    def host_defence_shares(self) -> dict[str, float]:
        """Each host's fielded interceptors left over its own sites, as a share of their
        capacity weighted by unit cost (1 for a host with none)."""
        left = (self.host_value_matrix @ self.left).tolist()
        cap = (self.host_value_matrix @ self.cap).tolist()
        return {h: lf / c if c else 1.0 for h, lf, c in zip(self.host_ids, left, cap, strict=True)}

    def defence_share(self) -> float:
        """Every defended site's fielded interceptors left (US afloat included), as a share of
        their capacity weighted by unit cost, as `host_defence_shares` counts a host's (1 with
        none fielded)."""
        cap = float(self.fielded_value @ self.cap)
        return float(self.fielded_value @ self.left) / cap if cap else 1.0

    def resupply(self, rng: np.random.Generator) -> None:
        """A round's deliveries (rules/defence.resupplied: one draw from `rng` per magazine),
        written into the stock in place (so every site's view of it stays live)."""
        self.left[:] = resupplied(
            self.left, self.cap, self.resupply_whole, self.resupply_chance, rng
        )

    def add(self, node_id: str, index: int, count: int) -> None:
        """`count` more interceptors in one magazine of a site, and as much more room."""
        flat = self.slices[node_id].start + index
        self.left[flat] += count
        self.cap[flat] += count


def fielded_unit_cost(scenario: Scenario, system_id: str) -> float:
    """An interceptor's unit cost if the scenario's defence mix fields it, else 0."""
    system = scenario.interceptors[system_id]
    if system.requires_mix is not None and system.requires_mix != scenario.levers.defence_mix:
        return 0.0
    return system.unit_cost_usd


@dataclass
class World:
    """Everything a run changes: the clock, the outside processes, the actors' standing and
    the round's and run's counts (and `us_base_hosts`, a fixed lookup the round reads). Built
    by `new_world`; the model runs the phases on it."""

    fleet: Fleet
    iran: IranForces
    magazines: Magazines
    hosts: dict[str, HostState]
    grievances: Grievances
    diplomacy: Diplomacy
    start_date: dt.date
    round_hours: float
    date: dt.date  # the date the current round starts (the start date before round 1)
    lebanon: float  # the Lebanon front's intensity (outside process)
    premium: float  # the war-risk premium per transit, share of hull value
    # Which host each US base stands in (fixed), for what share of basing restrictions leave.
    us_base_hosts: tuple[str, ...]
    round: int = 0
    escort_until: int = 0  # CENTCOM escorts ships up to this round
    market: Market = field(default_factory=Market)  # war cover, owners' memory of attacks
    highest_rung: int = 0
    tally: RoundTally = field(default_factory=RoundTally)
    totals: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys((*TOTAL_KEYS, *KIND_TOTAL_KEYS), 0.0)
    )

    def book_orders(self, chosen: dict[str, str], host_ids: tuple[str, ...]) -> None:
        """The round's orders in its tally, and the rung they reach (the higher of the IRGC's
        and CENTCOM's)."""
        tally = self.tally
        tally.irgc_action = chosen["irgc"]
        tally.centcom_action = chosen["centcom"]
        tally.host_actions = {h: chosen[h] for h in host_ids}
        tally.rung = max(ACTIONS[chosen["irgc"]].rung, ACTIONS[chosen["centcom"]].rung)
        self.highest_rung = max(self.highest_rung, tally.rung)

    def next_round(self) -> None:
        """Advance the clock and start a new tally."""
        self.round += 1
        self.date = self.start_date + dt.timedelta(hours=self.round_hours * (self.round - 1))
        self.tally = RoundTally()

    @property
    def escorting(self) -> bool:
        return self.round <= self.escort_until


def new_world(scenario: Scenario, theatre: Theatre, fleet: Fleet) -> World:
    """The world at the start of a run."""
    return World(
        fleet=fleet,
        iran=IranForces(scenario, theatre),
        magazines=Magazines(scenario, theatre),
        hosts={h.id: HostState(tolerance=h.tolerance_start) for h in scenario.actors.hosts},
        grievances=Grievances(transits=float(scenario.shipping.arrivals_per_round)),
        diplomacy=Diplomacy(mou=MouState[scenario.mou.start.upper()]),
        start_date=scenario.clock.start_date,
        date=scenario.clock.start_date,
        round_hours=scenario.clock.round_hours,
        lebanon=scenario.lebanon.start,
        premium=scenario.shipping.premium.calm_rate,
        us_base_hosts=tuple(
            scenario.node(n).host
            for n in theatre.host_targets
            if scenario.node(n).kind == NodeKind.US_BASE
        ),
    )
