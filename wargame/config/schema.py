"""The scenario schema: every field a scenario file may hold, its type, range and meaning.

A scenario is data. These pydantic models reject unknown keys (``extra="forbid"``) so that a typo
never silently becomes a default, and the cross-reference checks at the bottom make sure every id a
scenario mentions (a node, a weapon, an interceptor, a host) exists. The engine reads these frozen
objects; it never sees YAML.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wargame.config.ladder import MENUS

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
Count = Annotated[int, Field(ge=0)]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class Strict(BaseModel):
    """Base for every scenario section: unknown keys are errors, objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- enumerations ---------------------------------------------------------------------------


class NodeKind(StrEnum):
    US_BASE = "us_base"
    PORT = "port"
    CHOKEPOINT = "chokepoint"
    IRAN_SITE = "iran_site"
    ENERGY = "energy"
    CITY = "city"
    SEA = "sea"
    AFLOAT = "afloat"


class SiteRole(StrEnum):
    """What an Iranian site stands for; US strikes lower the matching capacity."""

    COASTAL_RADAR = "coastal_radar"
    DRONE_STORAGE = "drone_storage"
    MISSILE_BASE = "missile_base"
    SURVEILLANCE = "surveillance"
    NAVAL_BASE = "naval_base"


class EdgeKind(StrEnum):
    SEA_LANE = "sea_lane"
    HOST_RELATION = "host_relation"


class Lane(StrEnum):
    """Which traffic a sea-lane edge carries: the international scheme, Iran's corridor, or both."""

    TSS = "tss"
    CORRIDOR = "corridor"
    OPEN = "open"


class WeaponKind(StrEnum):
    BALLISTIC = "ballistic"
    CRUISE = "cruise"
    DRONE = "drone"
    ANTI_SHIP = "anti_ship"


class Doctrine(StrEnum):
    SALVO = "salvo"
    SHOOT_LOOK_SHOOT = "shoot_look_shoot"


class C2Posture(StrEnum):
    FIXED_LITTORAL = "fixed_littoral"
    DISTRIBUTED_AFLOAT = "distributed_afloat"


class MouLinkage(StrEnum):
    LINKED = "linked"
    INSULATED = "insulated"


class DefenceMix(StrEnum):
    POINT_DEFENCE = "point_defence"
    DIRECTED_ENERGY_EW = "directed_energy_ew"


# --- theatre --------------------------------------------------------------------------------


class DefenceAssignment(Strict):
    """Batteries of one interceptor system defending one site."""

    system: Identifier = Field(description="interceptor id from `interceptors`")
    batteries: Count = 1
    fire_channels_per_battery: Annotated[int, Field(ge=1)] = 4
    magazine_per_battery: Count = Field(description="interceptors ready per battery at start")
    resupply_per_round: NonNegative = Field(
        0.0, description="interceptors added per round for the whole site, before the lever"
    )


class Node(Strict):
    id: Identifier
    name: str = Field(min_length=1)
    kind: NodeKind
    lat: Annotated[float, Field(ge=-90.0, le=90.0)]
    lon: Annotated[float, Field(ge=-180.0, le=180.0)]
    host: Identifier | None = Field(None, description="state the site is in, e.g. bahrain, iran")
    role: SiteRole | None = Field(None, description="required for iran_site nodes")
    value: NonNegative = Field(1.0, description="relative worth of the site (damage scales by it)")
    hardening: Probability = 0.0
    population_exposure: Probability = Field(
        0.0, description="chance an interception over the site drops debris on people"
    )
    energy_proximity: Probability = Field(
        0.0, description="chance intercept debris lands near an energy asset (fire risk)"
    )
    c2: bool = Field(False, description="hosts fixed US command-and-control functions")
    defences: tuple[DefenceAssignment, ...] = ()

    @model_validator(mode="after")
    def _role_matches_kind(self) -> Node:
        if self.kind == NodeKind.IRAN_SITE and self.role is None:
            raise ValueError("an iran_site node needs a `role`")
        if self.kind != NodeKind.IRAN_SITE and self.role is not None:
            raise ValueError("only iran_site nodes take a `role`")
        return self


class Edge(Strict):
    a: Identifier
    b: Identifier
    kind: EdgeKind = EdgeKind.SEA_LANE
    lane: Lane = Lane.OPEN


# --- weapons and defences -------------------------------------------------------------------


class Weapon(Strict):
    name: str = Field(min_length=1)
    kind: WeaponKind
    range_km: Positive
    speed_kmh: Positive
    unit_cost_usd: NonNegative
    reliability: Probability = Field(0.9, description="chance it does not fail on its own")
    damage: NonNegative = Field(
        1.0, description="damage units one leaker does to an unhardened site"
    )
    pk: dict[Identifier, Probability] = Field(
        default_factory=dict, description="single-shot kill probability by interceptor id"
    )


class Interceptor(Strict):
    name: str = Field(min_length=1)
    unit_cost_usd: NonNegative
    detection: Probability = 0.95
    reliability: Probability = 0.9
    doctrine: Doctrine
    shots_per_threat: Annotated[int, Field(ge=1, le=8)] = 2
    requires_mix: DefenceMix | None = Field(
        None, description="only fielded when `levers.defence_mix` has this value"
    )


# --- actors and their cost functions --------------------------------------------------------


class IrgcWeights(Strict):
    """What the IRGC counts as cost (positive weights; benefits enter as negative costs)."""

    site_damage: NonNegative
    sovereignty: NonNegative
    linkage: NonNegative
    host_leverage: NonNegative
    economic_friction: NonNegative
    regime_risk: NonNegative
    mandate_credibility: NonNegative


class CentcomWeights(Strict):
    shipping_disruption: NonNegative
    us_casualties: NonNegative
    asset_damage: NonNegative
    unanswered_violations: NonNegative
    top_rung_risk: NonNegative
    interceptor_use: NonNegative
    diplomatic_progress: NonNegative


class HostWeights(Strict):
    economic_damage: NonNegative
    civilian_harm: NonNegative
    defence_spending: NonNegative
    hosting_value: NonNegative


class VesselWeights(Strict):
    expected_loss: NonNegative
    premium: NonNegative
    delay: NonNegative


class Salvo(Strict):
    """The mix the IRGC fires at one host-state target."""

    ballistic: Count = 0
    drone: Count = 0
    cruise: Count = 0


class IrgcParams(Strict):
    rationality: NonNegative = Field(description="logit lambda; 0 = uniform random")
    weights: IrgcWeights
    anti_ship_weapon: Identifier
    drone_weapon: Identifier
    ballistic_weapon: Identifier
    cruise_weapon: Identifier | None = None
    vessel_strikes_per_round: Annotated[int, Field(ge=1)] = 1
    salvo_per_target: Salvo
    salvo_targets: Annotated[int, Field(ge=1)] = 2
    energy_salvo: Salvo
    repair_per_round: Probability = Field(0.03, description="capacity regained per round")
    observation_noise: NonNegative = Field(0.2, description="relative error of reports it gets")


class CentcomParams(Strict):
    rationality: NonNegative
    weights: CentcomWeights
    strike_weapon: Identifier
    limited_package_targets: Annotated[int, Field(ge=1)] = 10
    expanded_package_targets: Annotated[int, Field(ge=1)] = 20
    weapons_per_target: Annotated[int, Field(ge=1)] = 2
    damage_per_hit: Probability = Field(0.35, description="capacity one hit removes from a site")
    escort_protection: Probability = Field(
        0.5, description="share of vessel strikes an escort defeats when escorts are up"
    )
    observation_noise: NonNegative = 0.2


class HostParams(Strict):
    id: Identifier
    name: str = Field(min_length=1)
    rationality: NonNegative
    weights: HostWeights
    tolerance_start: Probability = 1.0
    restrict_below: Probability = Field(
        0.5, description="tolerance below which basing is restricted"
    )
    tolerance_recovery: Probability = 0.02
    interceptor_request_size: Count = 8


class Actors(Strict):
    irgc: IrgcParams
    centcom: CentcomParams
    hosts: tuple[HostParams, ...] = Field(min_length=1)


# --- shipping -------------------------------------------------------------------------------


class ShippingRoute(Strict):
    origin: Identifier
    destination: Identifier
    share: Positive = Field(description="relative share of arrivals on this route")


class PremiumModel(Strict):
    calm_rate: Probability = Field(description="war-risk premium, share of hull value per transit")
    peak_rate: Probability
    attack_sensitivity: NonNegative = Field(description="rate added per attack seen recently")
    memory: Probability = Field(0.8, description="per-round decay of attacks remembered")

    @model_validator(mode="after")
    def _ordered(self) -> PremiumModel:
        if self.peak_rate < self.calm_rate:
            raise ValueError("peak_rate must be at least calm_rate")
        return self


class ShippingParams(Strict):
    arrivals_per_round: NonNegative = Field(description="Poisson mean of vessels entering a round")
    vessel_value_usd: Positive = Field(description="median hull and cargo value")
    value_spread: NonNegative = Field(0.5, description="sigma of log value")
    speed_km_per_round: Positive
    rationality: NonNegative
    weights: VesselWeights
    routes: tuple[ShippingRoute, ...] = Field(min_length=1)
    premium: PremiumModel
    delay_cost_per_round: Probability = Field(
        0.001, description="share of vessel value a round of delay costs (charter, demurrage)"
    )
    voyage_value: Probability = Field(0.015, description="share of value lost by turning back")
    corridor_delay_rounds: NonNegative = Field(
        0.3, description="extra time the mandated corridor costs"
    )
    max_wait_rounds: Annotated[int, Field(ge=0)] = 3
    strike_loss_fraction: Probability = Field(0.3, description="share of value lost when struck")
    crew: Count = 20


class Adjudication(Strict):
    """Consequences of hits and of interceptions: casualties, debris, fires, force majeure."""

    casualties_per_leaker: NonNegative = Field(
        0.3, description="expected deaths per leaker on a fully exposed site"
    )
    debris_harm_per_interception: NonNegative = Field(
        0.02, description="expected civilian casualties per interception over a fully exposed site"
    )
    fire_per_interception: Probability = Field(
        0.04, description="chance one interception starts a fire at a site next to energy assets"
    )
    fire_per_energy_hit: Probability = Field(
        0.6, description="chance a leaker on an energy site starts a fire"
    )
    force_majeure_rounds: Annotated[int, Field(ge=0)] = 5
    economic_loss_per_damage: NonNegative = Field(
        50e6, description="USD lost per damage unit at a site of value 1"
    )
    economic_loss_per_force_majeure_round: NonNegative = Field(
        20e6, description="USD lost per round an energy operator is in force majeure"
    )


# --- diplomacy and outside processes --------------------------------------------------------


class MouParams(Strict):
    strained_at: Positive = Field(description="ledger pressure at which the MOU is STRAINED")
    suspended_at: Positive
    collapsed_at: Positive
    ledger_decay: Probability = Field(description="share of a ledger kept from round to round")
    recovery_rounds: Annotated[int, Field(ge=1)] = 5
    channel_reopen_base: Probability = Field(description="per-round reopening chance after a halt")
    channel_halt_threshold: NonNegative = Field(
        description="sovereignty pressure at which the IRGC halts the channel"
    )

    @model_validator(mode="after")
    def _ordered(self) -> MouParams:
        if not self.strained_at < self.suspended_at < self.collapsed_at:
            raise ValueError("need strained_at < suspended_at < collapsed_at")
        return self


class LebanonParams(Strict):
    """Intensity of Israeli operations in southern Lebanon, 0..1, a mean-reverting process."""

    start: Probability
    mean: Probability
    reversion: Probability
    volatility: NonNegative
    flare_probability: Probability = 0.0
    flare_size: Probability = 0.0
    linkage_weight: NonNegative = Field(description="ledger pressure per round at intensity 1")


class Levers(Strict):
    """The seed's path forward, each a switch a sweep can flip."""

    c2_posture: C2Posture = C2Posture.FIXED_LITTORAL
    mou_linkage: MouLinkage = MouLinkage.LINKED
    defence_mix: DefenceMix = DefenceMix.POINT_DEFENCE
    doctrine_split: Probability = Field(
        0.5, description="weight of the reciprocity wing in US policy (0 = diplomacy only)"
    )
    interceptor_resupply: NonNegative = Field(1.0, description="multiplier on every resupply rate")
    c2_relocated_value: Probability = Field(
        0.3, description="share of a C2 site's value left behind once C2 moves afloat"
    )


class Clock(Strict):
    start_date: dt.date
    round_hours: Annotated[int, Field(ge=1, le=24 * 7)] = 24
    rounds: Annotated[int, Field(ge=1, le=100_000)] = 90


class Inject(Strict):
    """A scripted event: set Lebanon's intensity, the channel, or force one actor's action."""

    round: Annotated[int, Field(ge=1)]
    kind: Literal["lebanon_intensity", "channel", "action"]
    value: float | None = None
    channel: Literal["open", "halted"] | None = None
    actor: Identifier | None = None
    action: Identifier | None = None
    note: str = ""

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Inject:
        needed = {
            "lebanon_intensity": ("value",),
            "channel": ("channel",),
            "action": ("actor", "action"),
        }[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"an inject of kind {self.kind!r} needs {', '.join(missing)}")
        if self.kind == "lebanon_intensity" and not 0.0 <= float(self.value) <= 1.0:
            raise ValueError("lebanon_intensity value must be between 0 and 1")
        return self


# --- the whole scenario ---------------------------------------------------------------------


class Scenario(Strict):
    name: str = Field(min_length=1)
    description: str = ""
    clock: Clock
    nodes: tuple[Node, ...] = Field(min_length=2)
    edges: tuple[Edge, ...] = ()
    weapons: dict[Identifier, Weapon] = Field(min_length=1)
    interceptors: dict[Identifier, Interceptor] = Field(min_length=1)
    actors: Actors
    shipping: ShippingParams
    mou: MouParams
    lebanon: LebanonParams
    adjudication: Adjudication = Adjudication()
    levers: Levers = Levers()
    injects: tuple[Inject, ...] = ()

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        problems = list(reference_problems(self))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @cached_property
    def nodes_by_id(self) -> dict[str, Node]:
        # A cached property lives in the instance dict: a plain lookup, unlike a pydantic
        # private attribute (routed through __getattr__), and the engine calls it in hot paths.
        return {node.id: node for node in self.nodes}

    def node(self, node_id: str) -> Node:
        return self.nodes_by_id[node_id]


def reference_problems(scenario: Scenario):
    """Yield 'path: problem' for every id that points at nothing, and for duplicate ids."""
    seen: dict[str, int] = {}
    for index, node in enumerate(scenario.nodes):
        if node.id in seen:
            yield f"nodes[{index}].id: duplicate node id {node.id!r} (first at nodes[{seen[node.id]}])"
        seen.setdefault(node.id, index)
        for d_index, defence in enumerate(node.defences):
            if defence.system not in scenario.interceptors:
                yield (
                    f"nodes[{index}].defences[{d_index}].system: unknown interceptor "
                    f"{defence.system!r}; expected one of {sorted(scenario.interceptors)}"
                )
    node_ids = set(seen)
    for index, edge in enumerate(scenario.edges):
        for end in ("a", "b"):
            if getattr(edge, end) not in node_ids:
                yield f"edges[{index}].{end}: unknown node {getattr(edge, end)!r}"
        if edge.a == edge.b:
            yield f"edges[{index}]: an edge must join two different nodes"
    for weapon_id, weapon in scenario.weapons.items():
        for system in weapon.pk:
            if system not in scenario.interceptors:
                yield f"weapons.{weapon_id}.pk.{system}: unknown interceptor {system!r}"
    irgc = scenario.actors.irgc
    for field, kind in (
        ("anti_ship_weapon", WeaponKind.ANTI_SHIP),
        ("drone_weapon", WeaponKind.DRONE),
        ("ballistic_weapon", WeaponKind.BALLISTIC),
        ("cruise_weapon", WeaponKind.CRUISE),
    ):
        weapon_id = getattr(irgc, field)
        if weapon_id is None:
            continue
        if weapon_id not in scenario.weapons:
            yield f"actors.irgc.{field}: unknown weapon {weapon_id!r}"
        elif scenario.weapons[weapon_id].kind != kind:
            yield f"actors.irgc.{field}: weapon {weapon_id!r} is not of kind {kind.value}"
    if irgc.salvo_per_target.cruise and irgc.cruise_weapon is None:
        yield "actors.irgc.cruise_weapon: needed because salvo_per_target.cruise > 0"
    if scenario.actors.centcom.strike_weapon not in scenario.weapons:
        yield f"actors.centcom.strike_weapon: unknown weapon {scenario.actors.centcom.strike_weapon!r}"
    host_ids = [host.id for host in scenario.actors.hosts]
    for index, host_id in enumerate(host_ids):
        if host_ids.index(host_id) != index:
            yield f"actors.hosts[{index}].id: duplicate host {host_id!r}"
    for index, route in enumerate(scenario.shipping.routes):
        for end in ("origin", "destination"):
            if getattr(route, end) not in node_ids:
                yield f"shipping.routes[{index}].{end}: unknown node {getattr(route, end)!r}"
    actor_ids = {"irgc", "centcom", *host_ids}
    for index, inject in enumerate(scenario.injects):
        if inject.kind == "action" and inject.actor not in actor_ids:
            yield (
                f"injects[{index}].actor: unknown actor {inject.actor!r}; "
                f"expected one of {sorted(actor_ids)}"
            )
        if inject.kind == "action" and inject.actor in actor_ids:
            menu = MENUS["host" if inject.actor in host_ids else inject.actor]
            allowed = [spec.id for spec in menu]
            if inject.action not in allowed:
                yield (
                    f"injects[{index}].action: {inject.action!r} is not an action of "
                    f"{inject.actor}; expected one of {allowed}"
                )
    kinds = {node.kind for node in scenario.nodes}
    if NodeKind.IRAN_SITE not in kinds:
        yield "nodes: the theatre needs at least one iran_site"
    if NodeKind.US_BASE not in kinds:
        yield "nodes: the theatre needs at least one us_base"


def with_levers(scenario: Scenario, **changes) -> Scenario:
    """A copy of the scenario with some policy levers changed, validated like a file would be."""
    data = scenario.model_dump()
    data["levers"] = {**data["levers"], **changes}
    return Scenario.model_validate(data)


def with_lebanon(scenario: Scenario, **changes) -> Scenario:
    """A copy of the scenario with the Lebanon process changed (validated)."""
    data = scenario.model_dump()
    data["lebanon"] = {**data["lebanon"], **changes}
    return Scenario.model_validate(data)
