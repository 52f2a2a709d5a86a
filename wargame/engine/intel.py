"""Planning knowledge both sides compute once from the scenario: defended sites as defence layers,
the IRGC's salvo and its target list, and expected-value forecasts built from the same
adjudication rules (`expected_raid`; damage, casualties and package losses from `rules.strikes`),
which the actors' cost terms read every round.

Planners work from the order of battle at the start (magazines as fielded), not from live
magazine counts: that is part of their fog of war, and it keeps a decision cheap. The IRGC does
know which of its own launch sites still stand: its target lists (`Intel.targets`) forecast, for
each site, the part of the salvo that reaches it from those (`reachable_mix`), which is exactly
what the raid then fires.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wargame.config.schema import C2Posture, NodeKind, Salvo, Scenario, SiteRole, WeaponKind
from wargame.engine.rules import strikes
from wargame.engine.rules.defence import Layer, RaidGroup, expected_raid
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
        # The IRGC's leverage before its strike capacity scales it, by which launch sites
        # stand and which hosts it courts: asked every round, it changes only with those.
        self._leverage: dict[tuple, tuple[float, float | None]] = {}
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
        key = self._standing(capacity)
        found = self._targets.get(key)
        if found is not None:
            return found
        irgc = self.scenario.actors.irgc
        reach = self.theatre.salvo_reach(capacity)

        def ranked(sites: tuple[str, ...], salvo: Salvo) -> tuple[TargetForecast, ...]:
            mixes = ((node_id, reachable_mix(salvo, node_id, reach)) for node_id in sites)
            forecasts = (self.forecast(n, mix) for n, mix in mixes if salvo_size(mix))
            return tuple(sorted(forecasts, key=lambda f: (-f.damage, f.node)))

        found = (
            ranked(self.base_sites, irgc.salvo_per_target),
            ranked(self.energy_sites, irgc.energy_salvo),
        )
        if len(self._targets) >= REACH_CACHE_LIMIT:
            self._targets.clear()
        self._targets[key] = found
        return found

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

    def salvo_targets(
        self, discount: dict[str, float], count: int, capacity: np.ndarray
    ) -> list[TargetForecast]:
        """Best targets in reach of the sites standing at `capacity`, after discounting hosts
        that opened their own channel or restrict basing."""
        base_targets, _ = self.targets(capacity)
        ranked = sorted(base_targets, key=lambda f: (-f.damage * discount.get(f.host, 1.0), f.node))
        return ranked[:count]

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
        """The pressure on the hosts a host-state salvo and an energy strike put, each
        saturating at 1 (past a point more damage buys Tehran little more leverage, while it
        still invites retaliation) and scaled by the IRGC's strike capacity; an energy strike
        with no energy site in reach puts none."""
        key = (self._standing(view.capacity), view.host_open_channel, view.restricted_hosts)
        found = self._leverage.get(key)
        if found is None:
            if len(self._leverage) >= REACH_CACHE_LIMIT:
                self._leverage.clear()
            found = self._leverage[key] = self._saturated_leverage(view)
        salvo, energy = found
        strike_capacity = view.strike_capacity
        return salvo * strike_capacity, 0.0 if energy is None else energy * strike_capacity

    def _saturated_leverage(self, view) -> tuple[float, float | None]:
        """`leverage` before the strike capacity scales it (None: no energy site in reach)."""
        discount = self.discounts(view)
        targets = self.salvo_targets(
            discount, self.scenario.actors.irgc.salvo_targets, view.capacity
        )
        scale = self.scenario.behaviour.scales.damage
        damage = sum(f.damage * discount.get(f.host, 1.0) for f in targets)
        _, energy_targets = self.targets(view.capacity)
        energy = saturating(energy_targets[0].damage / scale) if energy_targets else None
        return saturating(damage / scale), energy


def saturating(x: float) -> float:
    """0 at 0, about x for small x, never above 1."""
    return 1.0 - math.exp(-x)
