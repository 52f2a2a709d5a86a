"""Planning knowledge both sides compute once from the scenario: defended sites as defence layers,
the IRGC's salvo and its target list, and expected-value forecasts built from the same
adjudication rules (`expected_raid`; damage, casualties and package losses from `rules.strikes`),
which the actors' cost terms read every round.

Planners work from the order of battle at the start (magazines as fielded), not from live
magazine counts: that is part of their fog of war, and it keeps a decision cheap. The IRGC does
know which of its own launch sites still stand: its target lists (`Intel.targets`) forecast, for
each site, the part of the salvo that reaches it from those (`reachable_mix`), which is exactly
what the raid then fires.

The IRGC aims each round (`Intel.plan`): it forecasts every site it can reach with each mix it
may fire (the defences it sees there, under the defence mix in force), corrects each forecast's
leak rate by the results it saw there (its `RaidRecord`, with its reporting error), picks per
site the mix that does most harm for its launch cost, and picks the sites that put most
pressure on the hosts: each host's pressure saturates, so a salvo spread over host states
coerces more than one that piles on a single host (the article's signal to the GCC states).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wargame.config.schema import C2Posture, NodeKind, Salvo, Scenario, SiteRole, WeaponKind
from wargame.engine.rules import strikes
from wargame.engine.rules.defence import THREAT_KINDS, Layer, RaidGroup, expected_raid
from wargame.engine.theatre import (
    REACH_CACHE_LIMIT,
    Theatre,
    reachable_mix,
    salvo_size,
)

LIMITED_PACKAGE_ROLES = (SiteRole.COASTAL_RADAR, SiteRole.DRONE_STORAGE, SiteRole.SURVEILLANCE)
# Which CENTCOM options are strike packages: launched from host bases, they lose reach when
# hosts restrict basing, and they set back diplomacy while the channel is open.
STRIKE_OPTIONS = ("limited_strikes", "expanded_strikes", "regime_campaign")


@dataclass(frozen=True)
class TargetForecast:
    node: str
    host: str
    value: float  # after the C2 lever
    leaked: float
    intercepted: float
    damage: float  # value-weighted
    casualties: float
    interceptor_cost: float
    # Per threat kind (THREAT_KINDS order): what the IRGC's targeting corrects by its results.
    leaked_by_kind: tuple[float, ...] = ()
    intercepted_by_kind: tuple[float, ...] = ()
    attacker_cost: float = 0.0


@dataclass(frozen=True)
class Aim:
    """One raid the IRGC plans this round: the site, the mix it fires there (before reach
    drops the kinds that cannot reach it), and the harm it expects to do the host there, in
    behaviour.scales.damage units after its results corrected the forecast."""

    node: str
    host: str
    mix: Salvo
    harm: float


@dataclass(frozen=True)
class Plan:
    """The IRGC's targeting this round: its host-state raids in the order chosen, its energy
    target (None: none in reach), and the pressure each option puts on the hosts before its
    strike capacity scales it (`Intel.leverage`)."""

    salvo: tuple[Aim, ...]
    energy: Aim | None
    salvo_leverage: float
    energy_leverage: float


@dataclass(frozen=True, eq=False)
class SiteTable:
    """The sites the IRGC may raid with one menu of mixes, and its forecast of each mix at
    each (sites x mixes [x THREAT_KINDS]): worked out once per pattern of launch sites
    standing, read every round by `Intel.plan`."""

    sites: tuple[tuple[str, str], ...]  # (node, host), by node id
    mixes: tuple[Salvo, ...]  # as ordered; the part that reaches a site is what is fired
    rows: np.ndarray  # each site's index in theatre.node_ids (the RaidRecord's rows)
    scale: np.ndarray  # (1 - hardening) x value / behaviour.scales.damage
    fires: np.ndarray  # whether any of the mix reaches the site
    leaked: np.ndarray  # expected leakers per kind
    engaged: np.ndarray  # expected leakers + interceptions per kind
    rate: np.ndarray  # leaked / engaged (0 where nothing is engaged)
    cost: np.ndarray  # launch cost, behaviour.scales.spend_usd units


def effective_value(scenario: Scenario, node_id: str) -> float:
    """A site's value; C2 sites lose most of it when command moves afloat."""
    node = scenario.node(node_id)
    levers = scenario.levers
    if node.c2 and levers.c2_posture == C2Posture.DISTRIBUTED_AFLOAT:
        return node.value * levers.c2_relocated_value
    return node.value


def site_layers(
    scenario: Scenario, node_id: str, magazines: np.ndarray | None = None
) -> list[Layer]:
    """The defence layers fielded at a site under the current defence mix, outermost first."""
    node = scenario.node(node_id)
    layers = []
    for index, assignment in enumerate(node.defences):
        system = scenario.interceptors[assignment.system]
        if system.requires_mix is not None and system.requires_mix != scenario.levers.defence_mix:
            continue
        magazine = (
            assignment.magazine_per_battery * assignment.batteries
            if magazines is None
            else int(magazines[index])
        )
        layers.append(
            Layer(
                system=assignment.system,
                pk={
                    w_id: w.pk[assignment.system]
                    for w_id, w in scenario.weapons.items()
                    if assignment.system in w.pk
                },
                detection=system.detection,
                reliability=system.reliability,
                doctrine=system.doctrine.value,
                shots_per_threat=system.shots_per_threat,
                fire_channels=assignment.batteries * assignment.fire_channels_per_battery,
                magazine=magazine,
                unit_cost=system.unit_cost_usd,
            )
        )
    return layers


def layer_slots(scenario: Scenario, node_id: str) -> list[int]:
    """Indices into the node's `defences` of the layers `site_layers` returns, in order."""
    node = scenario.node(node_id)
    mix = scenario.levers.defence_mix
    return [
        index
        for index, assignment in enumerate(node.defences)
        if scenario.interceptors[assignment.system].requires_mix in (None, mix)
    ]


def request_slot(scenario: Scenario, theatre: Theatre, host_id: str) -> tuple[str, int] | None:
    """Where a host's requested interceptors go: the first always-fielded (not lever-dependent)
    system at its most valuable defended site. Forecast and delivery both use this."""
    sites = sorted(
        (
            n
            for n in theatre.host_targets
            if scenario.node(n).host == host_id and scenario.node(n).defences
        ),
        key=lambda n: (-scenario.node(n).value, n),
    )
    for node_id in sites:
        for index, assignment in enumerate(scenario.node(node_id).defences):
            if scenario.interceptors[assignment.system].requires_mix is None:
                return node_id, index
    return None


def salvo_groups(
    scenario: Scenario, salvo: Salvo, missile_scale: float = 1.0, drone_scale: float = 1.0
) -> list[RaidGroup]:
    """The IRGC's raid at one target: each weapon's count scaled by the launch capacity left for
    its kind (drones, or missiles), rounded; a group of none is left out. Planners forecast the
    salvo as fielded (scales 1)."""
    irgc = scenario.actors.irgc
    groups = []
    for kind, weapon_id in (
        ("ballistic", irgc.ballistic_weapon),
        ("drone", irgc.drone_weapon),
        ("cruise", irgc.cruise_weapon),
    ):
        if weapon_id is None:
            continue
        weapon = scenario.weapons[weapon_id]
        scale = drone_scale if weapon.kind == WeaponKind.DRONE else missile_scale
        count = int(round(getattr(salvo, kind) * scale))
        if count == 0:
            continue
        groups.append(
            RaidGroup(
                weapon=weapon_id,
                kind=weapon.kind.value,
                count=count,
                reliability=weapon.reliability,
                unit_cost=weapon.unit_cost_usd,
            )
        )
    return groups


def strike_package(
    scenario: Scenario, theatre: Theatre, action: str
) -> tuple[tuple[SiteRole, ...], int, float]:
    """A CENTCOM strike package (one of STRIKE_OPTIONS) as planned with every base usable: the
    roles of the sites it may hit, how many it hits, and the weapons at each."""
    centcom = scenario.actors.centcom
    if action == "limited_strikes":
        return LIMITED_PACKAGE_ROLES, centcom.limited_package_targets, centcom.weapons_per_target
    if action == "expanded_strikes":
        return tuple(SiteRole), centcom.expanded_package_targets, centcom.weapons_per_target
    return (
        tuple(SiteRole),
        len(theatre.iran_sites),
        scenario.behaviour.operations.campaign_weapons_factor * centcom.weapons_per_target,
    )


def weapon_damage(scenario: Scenario, groups: list[RaidGroup]) -> np.ndarray:
    """The damage one leaker of each group does (before hardening and value)."""
    return np.array([scenario.weapons[g.weapon].damage for g in groups])


def forecast_target(scenario: Scenario, node_id: str, salvo: Salvo) -> TargetForecast:
    """The expected raid of `salvo` on one site, by the adjudication's own strike rules."""
    node = scenario.node(node_id)
    groups = salvo_groups(scenario, salvo)
    outcome = expected_raid(groups, site_layers(scenario, node_id))
    leaked = float(outcome.leaked.sum())
    value = effective_value(scenario, node_id)
    damage = strikes.leaker_damage(outcome.leaked, weapon_damage(scenario, groups), node.hardening)
    return TargetForecast(
        node=node_id,
        host=node.host or "",
        value=value,
        leaked=leaked,
        intercepted=float(outcome.intercepted.sum()),
        damage=damage * value,
        casualties=strikes.expected_casualties(
            leaked,
            node.population_exposure,
            scenario.behaviour.operations.casualty_exposure_floor,
            scenario.adjudication,
        ),
        interceptor_cost=outcome.interceptor_cost,
        leaked_by_kind=tuple(float(v) for v in outcome.leaked_by_kind(groups).values()),
        intercepted_by_kind=tuple(float(v) for v in outcome.intercepted_by_kind(groups).values()),
        attacker_cost=outcome.attacker_cost,
    )


class Intel:
    """Forecast tables computed once per model from the scenario and theatre."""

    def __init__(self, scenario: Scenario, theatre: Theatre):
        self.scenario = scenario
        self.theatre = theatre
        irgc = scenario.actors.irgc
        # Forecasts are read in units of about one bad day (scenario behaviour.scales).
        scales = scenario.behaviour.scales
        self.base_sites = tuple(
            n for n in theatre.host_targets if scenario.node(n).kind == NodeKind.US_BASE
        )
        self.energy_sites = tuple(
            n for n in theatre.host_targets if scenario.node(n).kind == NodeKind.ENERGY
        )
        # Forecasts by (site, mix) and target lists by which launch sites stand: pure functions
        # of those keys, so every run sharing this Intel shares them.
        self._forecasts: dict[tuple[str, int, int, int], TargetForecast] = {}
        self._targets: dict[bytes, tuple[tuple[TargetForecast, ...], ...]] = {}
        # The IRGC's plans by what it sees (launch sites standing, hosts courted, its record of
        # results): asked every round, they change only with those (a record stays all zeros
        # until its first raid).
        self._plans: dict[tuple, Plan] = {}
        # Per standing-site pattern: each site the IRGC may raid, with the part of each mix it
        # may fire there that reaches it.
        self._aimable: dict[bytes, tuple] = {}
        # The damage one leaker of each threat kind does (THREAT_KINDS order), by the IRGC's
        # weapon of that kind.
        weapon_of_kind = {
            "ballistic": irgc.ballistic_weapon,
            "cruise": irgc.cruise_weapon,
            "drone": irgc.drone_weapon,
            "anti_ship": irgc.anti_ship_weapon,
        }
        self._kind_damage = np.array(
            [
                scenario.weapons[weapon_of_kind[kind]].damage if weapon_of_kind[kind] else 0.0
                for kind in THREAT_KINDS
            ]
        )
        # Planners on every side start from the order of battle: every launch site standing.
        # The IRGC aims where it expects the most value-weighted damage.
        self.base_targets, self.energy_targets = self.targets(np.ones(len(theatre.iran_sites)))
        top = self.base_targets[: irgc.salvo_targets]
        self.expected_us_damage = sum(f.damage for f in top) / scales.damage
        self.expected_us_casualties = sum(f.casualties for f in top) / scales.casualties
        self.expected_interceptor_spend = sum(f.interceptor_cost for f in top) / scales.spend_usd
        self.host_exposure = {}
        self.interceptor_request_cost = {}
        for host in scenario.actors.hosts:
            mine = [f for f in self.base_targets + self.energy_targets if f.host == host.id]
            share = 1.0 / max(1, len({f.host for f in self.base_targets}))
            self.host_exposure[host.id] = {
                "damage": share * sum(f.damage for f in mine) / scales.damage,
                "casualties": share * sum(f.casualties for f in mine) / scales.casualties,
            }
            slot = request_slot(scenario, theatre, host.id)
            unit_cost = 0.0
            if slot is not None:
                node_id, index = slot
                system = scenario.node(node_id).defences[index].system
                unit_cost = scenario.interceptors[system].unit_cost_usd
            self.interceptor_request_cost[host.id] = (
                host.interceptor_request_size * unit_cost / scales.spend_usd
            )
        self.iran_package_losses = tuple(
            self._package_loss(theatre, *strike_package(scenario, theatre, action))
            for action in ("limited_strikes", "expanded_strikes")
        )

    def forecast(self, node_id: str, salvo: Salvo) -> TargetForecast:
        key = (node_id, salvo.ballistic, salvo.drone, salvo.cruise)
        found = self._forecasts.get(key)
        if found is None:
            found = self._forecasts[key] = forecast_target(self.scenario, node_id, salvo)
        return found

    def targets(
        self, capacity: np.ndarray
    ) -> tuple[tuple[TargetForecast, ...], tuple[TargetForecast, ...]]:
        """The IRGC's US-base and energy targets with the launch sites standing at `capacity`,
        best first: each forecast for the part of its salvo that reaches the site
        (`reachable_mix`, the rule the raid is fired by); a site none of it reaches is no target."""
        return remembered(self._targets, self._standing(capacity), lambda: self._ranked(capacity))

    def _ranked(
        self, capacity: np.ndarray
    ) -> tuple[tuple[TargetForecast, ...], tuple[TargetForecast, ...]]:
        """`targets` worked out."""
        irgc = self.scenario.actors.irgc
        reach = self.theatre.salvo_reach(capacity)

        def ranked(sites: tuple[str, ...], salvo: Salvo) -> tuple[TargetForecast, ...]:
            mixes = ((node_id, reachable_mix(salvo, node_id, reach)) for node_id in sites)
            forecasts = (self.forecast(n, mix) for n, mix in mixes if salvo_size(mix))
            return tuple(sorted(forecasts, key=lambda f: (-f.damage, f.node)))

        return (
            ranked(self.base_sites, irgc.salvo_per_target),
            ranked(self.energy_sites, irgc.energy_salvo),
        )

    def _package_loss(self, theatre: Theatre, roles, targets: int, weapons_per_target) -> float:
        """Expected share of Iran's total site capacity one US package removes."""
        centcom = self.scenario.actors.centcom
        weapon = self.scenario.weapons[centcom.strike_weapon]
        eligible = [
            s
            for s, role in zip(theatre.iran_sites, theatre.site_roles, strict=True)
            if role in roles
        ]
        if not eligible:
            return 0.0
        hardening = np.mean([self.scenario.node(s).hardening for s in eligible])
        kept_per_target = strikes.expected_capacity_kept(
            weapons_per_target, weapon.reliability, hardening, centcom.damage_per_hit
        )
        struck = min(targets, len(eligible))
        factor = self.scenario.behaviour.irgc.package_loss_factor
        return struck * (1.0 - kept_per_target) / len(theatre.iran_sites) * factor

    def discounts(self, view) -> dict[str, float]:
        """How much less the IRGC wants to hit each host: one that opened its own channel to
        Tehran, or that restricts offensive use of its bases, is worth courting, not striking."""
        forecast = self.scenario.behaviour.irgc
        discount = dict.fromkeys(view.host_open_channel, forecast.open_channel_discount)
        for host in view.restricted_hosts:
            discount[host] = discount.get(host, 1.0) * forecast.restricted_basing_discount
        return discount

    def _standing(self, capacity: np.ndarray) -> bytes:
        """Which launch sites stand at `capacity`, as a key of the target and leverage caches."""
        return (capacity >= self.theatre.launch_floor).tobytes()

    def leverage(self, view) -> tuple[float, float]:
        """The pressure on the hosts a host-state salvo and an energy strike put this round
        (`plan`), scaled by the IRGC's strike capacity; an energy strike with no energy site in
        reach puts none."""
        plan = self.plan(view)
        strike_capacity = view.strike_capacity
        return plan.salvo_leverage * strike_capacity, plan.energy_leverage * strike_capacity

    def plan(self, view) -> Plan:
        """The IRGC's targets and mixes this round, from what it sees (`view`: its launch sites
        standing, the hosts it courts, its record of its raids' results)."""
        key = (
            self._standing(view.capacity),
            view.host_open_channel,
            view.restricted_hosts,
            view.leaked_seen.tobytes(),
            view.intercepted_seen.tobytes(),
        )
        return remembered(self._plans, key, lambda: self._plan(view))

    def _plan(self, view) -> Plan:
        """`plan` worked out: each site's best mix (most harm for the launch cost), then the
        host-state targets one by one, each the site that adds most pressure, each host's
        pressure saturating (so a second site in a host already struck adds less than a first
        in another); the energy target is the energy site of most pressure."""
        irgc = self.scenario.actors.irgc
        launch_cost_weight = self.scenario.behaviour.irgc.launch_cost_weight
        discount = self.discounts(view)
        bases, energy = self.aimable(view.capacity)
        harm = self._expected_harm(bases, view)
        utility = np.where(bases.fires, harm - launch_cost_weight * bases.cost, -np.inf)
        best = utility.argmax(axis=1)  # the first of equally good mixes
        candidates = [
            Aim(node_id, host, bases.mixes[best[i]], float(harm[i, best[i]]))
            for i, (node_id, host) in enumerate(bases.sites)
        ]
        felt: dict[str, float] = {}
        chosen: list[Aim] = []
        for _ in range(min(irgc.salvo_targets, len(candidates))):
            pick, pick_gain = None, -math.inf
            for aim in candidates:
                if aim in chosen:
                    continue
                before = felt.get(aim.host, 0.0)
                gain = discount.get(aim.host, 1.0) * (
                    saturating(before + aim.harm) - saturating(before)
                )
                if gain > pick_gain:
                    pick, pick_gain = aim, gain
            chosen.append(pick)
            felt[pick.host] = felt.get(pick.host, 0.0) + pick.harm
        salvo_leverage = sum(discount.get(h, 1.0) * saturating(x) for h, x in felt.items())
        energy_aim, energy_pressure = None, 0.0
        for (node_id, host), harm_there in zip(
            energy.sites, self._expected_harm(energy, view)[:, 0], strict=True
        ):
            pressure = discount.get(host, 1.0) * saturating(float(harm_there))
            if energy_aim is None or pressure > energy_pressure:
                energy_aim = Aim(node_id, host, energy.mixes[0], float(harm_there))
                energy_pressure = pressure
        return Plan(tuple(chosen), energy_aim, salvo_leverage, energy_pressure)

    def aimable(self, capacity: np.ndarray) -> tuple[SiteTable, SiteTable]:
        """The US bases and the energy sites the IRGC may raid from the launch sites standing
        at `capacity`, with its forecast of each mix it may fire at each (its salvo mixes; the
        energy salvo)."""
        return remembered(
            self._aimable, self._standing(capacity), lambda: self._aimable_worked_out(capacity)
        )

    def _aimable_worked_out(self, capacity: np.ndarray) -> tuple[SiteTable, SiteTable]:
        irgc = self.scenario.actors.irgc
        scales = self.scenario.behaviour.scales
        reach = self.theatre.salvo_reach(capacity)

        def table(sites: tuple[str, ...], mixes: tuple[Salvo, ...]) -> SiteTable:
            kept, rows, scale, fires, leaked, engaged, cost = [], [], [], [], [], [], []
            for node_id in sorted(sites):  # by id, so ties go to the first
                fired = [reachable_mix(mix, node_id, reach) for mix in mixes]
                if not any(salvo_size(part) for part in fired):
                    continue  # none of it reaches the site: no target
                node = self.scenario.node(node_id)
                kept.append((node_id, node.host or ""))
                rows.append(self.theatre.index[node_id])
                scale.append(
                    (1.0 - node.hardening) * effective_value(self.scenario, node_id) / scales.damage
                )
                forecasts = [self.forecast(node_id, part) for part in fired]
                fires.append([salvo_size(part) > 0 for part in fired])
                leaked.append([f.leaked_by_kind for f in forecasts])
                engaged.append([np.add(f.leaked_by_kind, f.intercepted_by_kind) for f in forecasts])
                cost.append([f.attacker_cost / scales.spend_usd for f in forecasts])
            by_mix = (len(kept), len(mixes))
            shape = (*by_mix, len(THREAT_KINDS))
            leaked_array = np.array(leaked, dtype=float).reshape(shape)
            engaged_array = np.array(engaged, dtype=float).reshape(shape)
            return SiteTable(
                sites=tuple(kept),
                mixes=mixes,
                rows=np.array(rows, dtype=np.intp),
                scale=np.array(scale, dtype=float),
                fires=np.array(fires, dtype=bool).reshape(by_mix),
                leaked=leaked_array,
                engaged=engaged_array,
                rate=np.divide(
                    leaked_array,
                    engaged_array,
                    out=np.zeros(shape),
                    where=engaged_array > 0,
                ),
                cost=np.array(cost, dtype=float).reshape(by_mix),
            )

        return (
            table(self.base_sites, (irgc.salvo_per_target, *irgc.salvo_mixes)),
            table(self.energy_sites, (irgc.energy_salvo,)),
        )

    def _expected_harm(self, table: SiteTable, view) -> np.ndarray:
        """The harm (behaviour.scales.damage units) the IRGC expects each mix to do at each
        site of `table` (sites x mixes). The forecast's leak rate of each threat kind is
        corrected by the results the IRGC saw there: a Beta-like mean of the forecast's rate,
        weighted as `results_prior_weight` threats, and the threats it saw get through and
        stopped."""
        seen_leaked = view.leaked_seen[table.rows][:, None, :]
        seen = seen_leaked + view.intercepted_seen[table.rows][:, None, :]
        leaked = table.leaked
        if seen.any():
            prior_weight = self.scenario.behaviour.irgc.results_prior_weight
            weight = prior_weight + seen
            corrected = np.divide(
                prior_weight * table.rate + seen_leaked,
                weight,
                out=table.rate.copy(),
                where=weight > 0,
            )
            leaked = table.engaged * corrected
        return (leaked @ self._kind_damage) * table.scale[:, None]


def remembered(cache: dict, key, work_out):
    """`cache[key]`, worked out by `work_out()` the first time; a cache grown to
    REACH_CACHE_LIMIT entries starts afresh (runs rarely need that many)."""
    found = cache.get(key)
    if found is None:
        if len(cache) >= REACH_CACHE_LIMIT:
            cache.clear()
        found = cache[key] = work_out()
    return found


def saturating(x: float) -> float:
    """0 at 0, about x for small x, never above 1."""
    return 1.0 - math.exp(-x)
