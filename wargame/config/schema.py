"""The scenario schema: every field a scenario file may hold, its type, range and meaning.

A scenario is data. These pydantic models reject unknown keys (``extra="forbid"``) so that a typo
never silently becomes a default, and the cross-reference checks at the bottom make sure every id a
scenario mentions (a node, a weapon, an interceptor, a host) exists. The engine reads these frozen
objects; it never sees YAML.

Every number that shapes behaviour is required: no parameter hides here as a default, so the
scenario file is the one place a modeller reads and questions it. The few defaults left describe
absence in the data (a node with no host, no defences, no exposure; an inject's unused fields;
zero missiles of a kind in a salvo).
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    create_model,
    field_validator,
    model_validator,
)
from pydantic import (
    Strict as StrictInput,
)

from wargame.config.ladder import (
    CENTCOM_ACTIONS,
    HOST_ACTIONS,
    IRGC_ACTIONS,
    IRGC_CHANNEL_ACTIONS,
    MENUS,
    ActionSpec,
)

# --- bounds -----------------------------------------------------------------------------------
# Every number has a finite range. The upper ends lie far past any sensible scenario; they are
# there so that whatever `validate` accepts the engine can run: Poisson means stay far below
# numpy's limit (~9e18), exp() never overflows, int64 magazines never wrap, and USD totals
# summed over the longest run stay finite. Non-finite floats (.inf, .nan) are refused by the
# Strict base below, in every field, dict values included.

MAX_ROUNDS = 100_000  # the longest run (clock.rounds, and any --rounds / experiment override)
MAX_ROUND_HOURS = 24 * 7  # a round is at most a week
# Dates are computed as start + (round - 1) * round_hours; the latest start leaves room for the
# longest run of the longest rounds (~1,918 years) before the calendar ends at 9999-12-31.
LATEST_START_DATE = dt.date(9999, 12, 31) - dt.timedelta(hours=MAX_ROUNDS * MAX_ROUND_HOURS)
EARLIEST_START_DATE = dt.date(1900, 1, 1)  # assumption: a scenario of modern weapons and shipping

# Numbers are strict: true/false (and YAML's yes/no/on/off) are not numbers, and quoted text is
# not a number either; an integer is accepted where a real number is expected.
Real = Annotated[float, StrictInput()]
Probability = Annotated[Real, Field(ge=0.0, le=1.0)]
# Logit lambda: P(i) ~ exp(lambda * U_i). At 1,000 an actor already picks the best option
# whenever it leads the next by 0.01 utility (a pure maximiser); more changes nothing.
Rationality = Annotated[Real, Field(ge=0.0, le=1_000.0)]
# Cost weights are relative; the scenario's lie in 0.5-4. At 1,000 one term outweighs another
# of weight 1 a thousandfold, which is as lopsided as a weight can usefully be.
Weight = Annotated[Real, Field(ge=0.0, le=1_000.0)]
# Price of one weapon or interceptor round: THAAD costs ~$12.5M; nothing fired costs $1B.
UnitCostUsd = Annotated[Real, Field(ge=0.0, le=1e9)]
# Sigma of a log-normal report, value * exp(sigma * N(0, 1)): at 3 a one-sigma report is
# already off twentyfold (reports carry no information past that) and exp() stays finite.
ObservationNoise = Annotated[Real, Field(ge=0.0, le=3.0)]
# Ledger pressure in severity units (a vessel strike writes 1.5, a regime campaign 8): a
# threshold of a million is never reached, so it stands for "never".
LedgerPressure = Annotated[Real, Field(ge=0.0, le=1e6)]
LedgerThreshold = Annotated[Real, Field(gt=0.0, le=1e6)]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


def count(high: int, low: int = 0, why: str = ""):
    """A whole number in [low, high]; `why` says where the upper bound comes from."""
    return Annotated[
        int,
        StrictInput(),  # true is not 1, and "10" is text
        Field(ge=low, le=high, description=why or None),
        BeforeValidator(_float_in_range(low, high)),  # after Field: the JSON schema keeps the range
    ]


def _float_in_range(low: int, high: int):
    """A float far outside [low, high] (1e30) is out of range; pydantic alone would call it
    an unparsable "input string"."""

    def check(value):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("Input should be a finite number")  # not "a valid integer"
        if isinstance(value, float):
            if value > high:
                raise ValueError(f"Input should be less than or equal to {high} (got {value:g})")
            if value < low:
                raise ValueError(f"Input should be greater than or equal to {low} (got {value:g})")
            if value.is_integer():  # 24.0 is the whole number 24 (strict mode would refuse it)
                return int(value)
        return value

    return check


# --- text -------------------------------------------------------------------------------------
# Names and notes reach terminals, reports and the UI. Control characters could rewrite a
# terminal line and bidirectional overrides reorder what a reader sees ("Trojan Source"), so
# they are refused; lengths are capped so a runaway value cannot bury a message.
NAME_MAX_CHARS = 200
TEXT_MAX_CHARS = 10_000
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _forbidden_character(text: str, allowed: str = "") -> str | None:
    for ch in text:
        if ch in allowed:
            continue
        if unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS:
            return f"U+{ord(ch):04X}"
    return None


# Letters Unicode classes as letters or symbols that nonetheless draw nothing.
BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(ch: str) -> bool:
    # Not a space or separator (Z*), not control or format such as zero-width space (C*), not a
    # combining mark (M*), which draws only on a character before it.
    return unicodedata.category(ch)[0] not in "ZCM" and ch not in BLANK_LOOKALIKES


def _check_name(text: str) -> str:
    bad = _forbidden_character(text)
    if bad:
        raise ValueError(f"a name may not hold control characters (found {bad})")
    if not any(_visible(ch) for ch in text):
        raise ValueError(
            "a name needs at least one visible character (spaces, zero-width and other "
            "invisible characters do not count)"
        )
    return text


def _check_text(text: str) -> str:
    bad = _forbidden_character(text, allowed="\n\t")
    if bad:
        raise ValueError(
            f"control characters other than newline and tab are not allowed (found {bad})"
        )
    return text


Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX_CHARS), AfterValidator(_check_name)]
Text = Annotated[str, Field(max_length=TEXT_MAX_CHARS), AfterValidator(_check_text)]


class Strict(BaseModel):
    """Base for every scenario section: unknown keys are errors, objects are immutable, and
    no float anywhere (dict values included) may be infinite or NaN."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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
    batteries: count(1_000, why="assumption: a site fields a handful; 1,000 allows aggregates")
    fire_channels_per_battery: count(
        1_000, low=1, why="assumption: a Patriot radar guides ~9 at once; 1,000 allows aggregates"
    )
    magazine_per_battery: count(
        1_000_000,
        why="interceptors ready per battery at start; a laser's or jammer's uses are counted "
        "as a magazine too (the scenario gives 1,000); a million keeps int64 sums far from wrap",
    )
    resupply_per_round: Annotated[Real, Field(ge=0.0, le=1e6)] = Field(
        description="interceptors added per round for the whole site, before the lever; at "
        "most a million (a full magazine of the largest battery a round)",
    )

    @model_validator(mode="after")
    def _resupply_has_room(self) -> DefenceAssignment:
        # Resupply refills up to the starting magazine (batteries x magazine_per_battery):
        # with none, the configured resupply would never add an interceptor.
        if self.resupply_per_round > 0 and self.batteries * self.magazine_per_battery == 0:
            raise ValueError(
                f"resupply_per_round is {self.resupply_per_round:g} but the site holds at most "
                f"batteries x magazine_per_battery = 0 interceptors (resupply only refills up "
                "to that), so none would ever arrive; set both above 0, or resupply to 0"
            )
        return self


class Node(Strict):
    id: Identifier
    name: Name
    kind: NodeKind
    lat: Annotated[Real, Field(ge=-90.0, le=90.0)]
    lon: Annotated[Real, Field(ge=-180.0, le=180.0)]
    host: Identifier | None = Field(None, description="state the site is in, e.g. bahrain, iran")
    role: SiteRole | None = Field(None, description="required for iran_site nodes")
    value: Annotated[Real, Field(ge=0.0, le=1_000.0)] = Field(
        1.0,
        description="relative worth of the site (damage scales by it); the scenario's run "
        "1-5, 1,000 leaves room for other scales",
    )
    hardening: Probability = 0.0
    population_exposure: Probability = Field(
        0.0, description="chance an interception over the site drops debris on people"
    )
    energy_proximity: Probability = Field(
        0.0, description="chance intercept debris lands near an energy asset (fire risk)"
    )
    c2: Annotated[bool, StrictInput()] = Field(
        False, description="hosts fixed US command-and-control functions"
    )
    # assumption: a real site fields a few systems; 50 is a generous cap.
    defences: tuple[DefenceAssignment, ...] = Field((), max_length=50)

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
    name: Name
    kind: WeaponKind
    # Half the Earth's circumference: no two places are farther apart.
    range_km: Annotated[Real, Field(gt=0.0, le=20_040.0)]
    # Escape velocity is ~40,000 km/h: nothing that flies to a target in the theatre is faster.
    speed_kmh: Annotated[Real, Field(gt=0.0, le=40_000.0)]
    unit_cost_usd: UnitCostUsd
    reliability: Probability = Field(description="chance it does not fail on its own")
    damage: Annotated[Real, Field(ge=0.0, le=100.0)] = Field(
        description="damage units one leaker does to an unhardened site; the scenario's "
        "heaviest warhead does 2.5, 100 is beyond any conventional weapon",
    )
    pk: dict[Identifier, Probability] = Field(
        default_factory=dict,
        max_length=200,
        description="single-shot kill probability by interceptor id",
    )


class Interceptor(Strict):
    name: Name
    unit_cost_usd: UnitCostUsd
    detection: Probability
    reliability: Probability
    doctrine: Doctrine
    shots_per_threat: count(8, low=1, why="interceptors fired at one threat")
    requires_mix: DefenceMix | None = Field(
        None, description="only fielded when `levers.defence_mix` has this value"
    )


# --- actors and their cost functions --------------------------------------------------------


class IrgcWeights(Strict):
    """What the IRGC counts as cost (positive weights; benefits enter as negative costs)."""

    site_damage: Weight
    sovereignty: Weight
    linkage: Weight
    host_leverage: Weight
    economic_friction: Weight
    regime_risk: Weight
    mandate_credibility: Weight


class CentcomWeights(Strict):
    shipping_disruption: Weight
    us_casualties: Weight
    asset_damage: Weight
    unanswered_violations: Weight
    top_rung_risk: Weight
    interceptor_use: Weight
    diplomatic_progress: Weight
    iranian_threat: Weight = Field(
        description="Iran's strike capacity as CENTCOM observes it, left standing by an action "
        "(behaviour.centcom.degrades_capacity)"
    )


class HostWeights(Strict):
    economic_damage: Weight
    civilian_harm: Weight
    defence_spending: Weight
    hosting_value: Weight


class VesselWeights(Strict):
    expected_loss: Weight
    premium: Weight
    delay: Weight


# The largest raid on record (Iran on Israel, April 2024) was ~330 drones and missiles; 10,000
# of one kind at one target is thirty times that.
SalvoCount = count(10_000, why="weapons of this kind fired at one target")


class Salvo(Strict):
    """The mix the IRGC fires at one host-state target."""

    ballistic: SalvoCount = 0
    drone: SalvoCount = 0
    cruise: SalvoCount = 0


class IrgcParams(Strict):
    rationality: Rationality = Field(description="logit lambda; 0 = uniform random")
    weights: IrgcWeights
    anti_ship_weapon: Identifier
    drone_weapon: Identifier
    ballistic_weapon: Identifier
    cruise_weapon: Identifier | None = None
    vessel_strikes_per_round: count(
        1_000, low=1, why="assumption: the seed saw one; 1,000 is more ships than are in reach"
    )
    salvo_per_target: Salvo
    salvo_mixes: tuple[Salvo, ...] = Field(
        max_length=20,
        description="other mixes the IRGC may fire at a host-state target instead of "
        "salvo_per_target: each round it picks, per target, the mix it expects to do most harm "
        "for its launch cost (behaviour.irgc.launch_cost_weight)",
    )
    salvo_targets: count(
        1_000, low=1, why="host-state targets of one salvo (more than any theatre holds)"
    )
    energy_salvo: Salvo
    repair_per_round: Probability = Field(description="capacity regained per round")
    observation_noise: ObservationNoise = Field(description="relative error of reports it gets")


class CentcomParams(Strict):
    rationality: Rationality
    weights: CentcomWeights
    strike_weapon: Identifier
    limited_package_targets: count(
        1_000, low=1, why="sites one package strikes (more than any theatre holds)"
    )
    expanded_package_targets: count(
        1_000, low=1, why="sites one package strikes (more than any theatre holds)"
    )
    weapons_per_target: count(
        100, low=1, why="assumption: the scenario uses 2; 100 would flatten any site"
    )
    damage_per_hit: Probability = Field(description="capacity one hit removes from a site")
    escort_protection: Probability = Field(
        description="share of vessel strikes an escort defeats when escorts are up"
    )
    observation_noise: ObservationNoise


class HostParams(Strict):
    id: Identifier
    name: Name
    rationality: Rationality
    weights: HostWeights
    tolerance_start: Probability
    restrict_below: Probability = Field(description="tolerance below which basing is restricted")
    tolerance_recovery: Probability
    interceptor_request_size: count(
        1_000,
        why="assumption: a request is a reload (the scenario asks for 8); 1,000 is more "
        "than a year of PAC-3 production",
    )


class Actors(Strict):
    irgc: IrgcParams
    centcom: CentcomParams
    hosts: tuple[HostParams, ...] = Field(min_length=1, max_length=100)  # states on Earth: ~200


# --- shipping -------------------------------------------------------------------------------


class ShippingRoute(Strict):
    origin: Identifier
    destination: Identifier
    share: Annotated[Real, Field(gt=0.0, le=1e6)] = Field(
        description="relative share of arrivals on this route (shares are normalised; the "
        "bound only keeps their sum finite)"
    )


class PremiumModel(Strict):
    calm_rate: Probability = Field(description="war-risk premium, share of hull value per transit")
    peak_rate: Probability
    attack_sensitivity: Annotated[Real, Field(ge=0.0, le=1.0)] = Field(
        description="rate added per attack seen recently (a share of hull value, so at most 1)"
    )
    memory: Probability = Field(description="per-round decay of attacks remembered")

    @model_validator(mode="after")
    def _ordered(self) -> PremiumModel:
        if self.peak_rate < self.calm_rate:
            raise ValueError("peak_rate must be at least calm_rate")
        return self


class WarCover(Strict):
    """When underwriters cancel war-risk cover for the Gulf (on notice) and reinstate it, and
    who sails without it (rules/shipping.war_cover, rules/shipping.coming_share)."""

    cancel_at_premium: Probability = Field(
        description="war-risk premium (share of hull value per transit) at which cover is "
        "cancelled on notice"
    )
    cancel_at_attacks: Annotated[Real, Field(ge=0.0, le=1e6)] = Field(
        description="attacks on shipping the market remembers (shipping.demand.attack_memory) "
        "at which cover is cancelled on notice"
    )
    cancel_at_host_salvos: Annotated[Real, Field(ge=0.0, le=1e6)] = Field(
        description="remembered IRGC salvos at host states and energy (behaviour.memories."
        "host_strikes) at which cover is cancelled on notice: the war reaching the Gulf's shore"
    )
    notice_rounds: count(MAX_ROUNDS, why="rounds between notice of cancellation and its effect")
    reinstate_below: Probability = Field(
        description="cover is reinstated once the premium, the attacks and the salvos "
        "remembered are all below this share of their cancelling levels ..."
    )
    reinstate_after_rounds: count(
        MAX_ROUNDS, why="... for this many rounds in a row (0 or 1: at the first such round)"
    )
    sail_uncovered: Probability = Field(
        description="share of the owners who would come that still come without war cover "
        "(self-insured, state-backed)"
    )
    escort_restores: Probability = Field(
        description="share of the traffic lost to cancelled cover that sails again while "
        "CENTCOM escorts ships"
    )


class ShippingDemand(Strict):
    """The owners' and charterers' decision to send a ship to the Strait at all: a logit between
    coming (the voyage's margin less the expected cost of the branch it will choose and the
    aversion to remembered attacks) and staying away (rules/shipping.coming_share)."""

    voyage_margin: Probability = Field(
        description="what a voyage through the Strait earns the median owner, share of vessel "
        "value, against which the expected costs of coming are weighed"
    )
    rationality: Rationality = Field(
        description="logit lambda per basis point of vessel value of the decision to come "
        "(how alike owners are: 0 = a coin toss, large = all decide alike)"
    )
    aversion_per_remembered_attack: Probability = Field(
        description="cost per remembered attack on shipping, share of vessel value, beyond the "
        "premium and the risk read into the branch: crews' refusal, charterers' caution"
    )
    attack_memory: Probability = Field(
        description="share of the attacks on ships that owners deciding whether to send a "
        "ship remember from one round to the next (the aversion's and cover's record)"
    )
    cover: WarCover


class ShippingParams(Strict):
    arrivals_per_round: Annotated[Real, Field(ge=0.0, le=10_000.0)] = Field(
        description="Poisson mean of vessels entering a round if every owner came "
        "(shipping.demand says how many do); the Strait sees ~100 a day, "
        "10,000 a round is a hundredfold (each ship is an agent in memory)"
    )
    demand: ShippingDemand
    vessel_value_usd: Annotated[Real, Field(gt=0.0, le=1e10)] = Field(
        description="median hull and cargo value; a laden VLCC is ~$0.2B, $10B is no merchant ship"
    )
    value_spread: Annotated[Real, Field(ge=0.0, le=3.0)] = Field(
        description="sigma of log value; at 3 the middle 95% of ships span a factor of 130,000",
    )
    speed_km_per_round: Annotated[Real, Field(ge=1.0, le=20_000.0)] = Field(
        description="distance a ship steams in a round: at least 1 km (slower ships pile up "
        "forever), at most a week at 65 knots"
    )
    rationality: Rationality
    weights: VesselWeights
    routes: tuple[ShippingRoute, ...] = Field(min_length=1, max_length=1_000)
    premium: PremiumModel
    delay_cost_per_round: Probability = Field(
        description="share of vessel value a round of delay costs (charter, demurrage)"
    )
    voyage_value: Probability = Field(description="share of value lost by turning back")
    corridor_delay_rounds: Annotated[Real, Field(ge=0.0, le=100.0)] = Field(
        description="extra time the mandated corridor costs (a corridor 100 rounds slower "
        "than the open lane is no route at all)",
    )
    inspection_rounds: Annotated[Real, Field(ge=0.0, le=100.0)] = Field(
        description="rounds an Iranian inspection holds a ship in the mandated corridor (a "
        "delay cost and slower progress, on top of corridor_delay_rounds)"
    )
    sanctions_exposure: Probability = Field(
        description="expected penalty, share of vessel value, of accepting Iran's mandate "
        "(sanctions on dealing with the IRGC), counted with the expected loss of complying"
    )
    max_wait_rounds: count(1_000, why="rounds a ship may wait before it must choose")
    strike_loss_fraction: Probability = Field(description="share of value lost when struck")
    crew: count(10_000, why="people aboard; the largest cruise ships carry ~9,000")


class Adjudication(Strict):
    """Consequences of hits and of interceptions: casualties, debris, fires, force majeure."""

    casualties_per_leaker: Annotated[Real, Field(ge=0.0, le=1_000.0)] = Field(
        description="expected deaths per leaker on a fully exposed site (1,000 is a packed "
        "stadium)",
    )
    debris_harm_per_interception: Annotated[Real, Field(ge=0.0, le=1_000.0)] = Field(
        description="expected civilian casualties per interception over a fully exposed site",
    )
    fire_per_interception: Probability = Field(
        description="chance one interception starts a fire at a site next to energy assets"
    )
    fire_per_energy_hit: Probability = Field(
        description="chance a leaker on an energy site starts a fire"
    )
    force_majeure_rounds: count(MAX_ROUNDS, why="rounds a fire keeps operators in force majeure")
    economic_loss_per_damage: Annotated[Real, Field(ge=0.0, le=1e11)] = Field(
        description="USD lost per damage unit at a site of value 1; $100B is about a year of "
        "Abqaiq's throughput",
    )
    economic_loss_per_force_majeure_round: Annotated[Real, Field(ge=0.0, le=1e11)] = Field(
        description="USD lost per round an energy operator is in force majeure (<= $100B)"
    )


# --- diplomacy and outside processes --------------------------------------------------------


class MouParams(Strict):
    start: Literal["in_force", "strained", "suspended", "collapsed"] = Field(
        description="the MOU's state at round 1 (collapsed: no MOU binds either side, as "
        "before it was signed; it may then recover toward in_force like any collapse)"
    )
    strained_at: LedgerThreshold = Field(description="ledger pressure at which the MOU is STRAINED")
    suspended_at: LedgerThreshold
    collapsed_at: LedgerThreshold
    ledger_decay: Probability = Field(description="share of a ledger kept from round to round")
    recovery_rounds: count(
        MAX_ROUNDS, low=1, why="calm rounds per step of recovery (past the longest run: never)"
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
    # Intensity lives on 0..1: a per-round sigma past 1 only piles the process on its bounds.
    volatility: Annotated[Real, Field(ge=0.0, le=1.0)]
    flare_probability: Probability
    flare_size: Probability
    linkage_weight: Annotated[Real, Field(ge=0.0, le=1_000.0)] = Field(
        description="ledger pressure per round at intensity 1 (a US package writes 3-8)"
    )


class Levers(Strict):
    """The seed's path forward, each a switch a sweep can flip."""

    c2_posture: C2Posture
    mou_linkage: MouLinkage
    defence_mix: DefenceMix
    doctrine_split: Probability = Field(
        description="weight of the reciprocity wing in US policy (0 = diplomacy only)"
    )
    interceptor_resupply: Annotated[Real, Field(ge=0.0, le=100.0)] = Field(
        description="multiplier on every resupply rate (at most a hundredfold)"
    )
    c2_relocated_value: Probability = Field(
        description="share of a C2 site's value left behind once C2 moves afloat"
    )


# --- behaviour: the numbers of the actors' reasoning and of adjudication ---------------------
# Until issue 8 these were constants in the engine's code. Each comes from the scenario file
# with its source or "assumption: why", a sweep can vary it by its dotted path
# (`behaviour.grievances.defiance.memory`), and the engine keeps no value of its own.


class ActionTable(Strict):
    """One value for every action of one actor's menu (wargame/config/ladder.py), keyed by
    action id. An action missing from the file is an error, as is one the menu does not have:
    no action silently takes a value the modeller never saw."""

    def __getitem__(self, action: str):
        return getattr(self, action)


def action_table(name: str, menu: tuple[ActionSpec, ...], value, doc: str) -> type[ActionTable]:
    """A table with one required field per action of `menu`, each of type `value`. `name` must
    be the module attribute the table is assigned to (pickling finds the class by it)."""
    fields = {spec.id: (value, Field(description=f"{spec.actor}: {spec.label}")) for spec in menu}
    return create_model(name, __base__=ActionTable, __doc__=doc, __module__=__name__, **fields)


# Grievance and ledger entries in severity units: a vessel strike writes 1-1.5, a regime
# campaign 3-8. At 1,000 for one act a single round passes every threshold a scenario can set
# short of "never" (mou.*_at), and sums over the longest run stay finite.
Severity = Annotated[Real, Field(ge=0.0, le=1_000.0)]

# What an action does is booked for every order an actor can be given, an inject's included: the
# IRGC's menu holds its channel moves too. Its forecasts weigh only the options of its cost
# function (IRGC_ACTIONS); CENTCOM's and the hosts' menus are their options.
IRGC_ORDERS = MENUS["irgc"]

IrgcShares = action_table(
    "IrgcShares", IRGC_ORDERS, Probability, "A share or chance (0..1) for each IRGC order."
)
CentcomShares = action_table(
    "CentcomShares",
    CENTCOM_ACTIONS,
    Probability,
    "A share or chance (0..1) for each CENTCOM action.",
)
IrgcSeverity = action_table(
    "IrgcSeverity", IRGC_ORDERS, Severity, "Severity units written for each IRGC order."
)
CentcomSeverity = action_table(
    "CentcomSeverity", CENTCOM_ACTIONS, Severity, "Severity units written for each CENTCOM action."
)

# Forecast tables: one value for each option an actor's cost function weighs.
IrgcOptionShares = action_table(
    "IrgcOptionShares", IRGC_ACTIONS, Probability, "A share or chance (0..1) for each IRGC option."
)
# Raw cost in the units of the cost terms (behaviour.scales: about 1 is a bad day). 100 bad
# days in one term drowns every other term at any of the scenario's weights.
CostUnits = Annotated[Real, Field(ge=0.0, le=100.0)]
IrgcOptionCosts = action_table(
    "IrgcOptionCosts", IRGC_ACTIONS, CostUnits, "Cost units of each IRGC option."
)
CentcomCosts = action_table(
    "CentcomCosts", CENTCOM_ACTIONS, CostUnits, "Cost units of each CENTCOM action."
)
HostShares = action_table(
    "HostShares", HOST_ACTIONS, Probability, "A share or chance (0..1) for each host measure."
)


class UsPackage(StrEnum):
    """The US strike packages the IRGC can expect in answer (actors.centcom.*_package_targets)."""

    LIMITED = "limited"
    EXPANDED = "expanded"


IrgcOptionPackages = action_table(
    "IrgcOptionPackages", IRGC_ACTIONS, UsPackage, "The US package expected for each IRGC option."
)


class SovereigntyGrievance(Strict):
    """The IRGC's count of US violations of Iranian soil not yet answered: a cost term of every
    option it weighs, and what moves it to halt the Swiss channel (behaviour.channel)."""

    memory: Probability = Field(description="share kept from one round to the next")
    per_centcom_action: CentcomSeverity = Field(description="added by each CENTCOM action")
    left_after_irgc_action: IrgcShares = Field(
        description="share left once the IRGC carries out each action (1 = it answers nothing)"
    )


class UnansweredGrievance(Strict):
    """Washington's count of violations since its last answer: a cost term of CENTCOM's."""

    memory: Probability = Field(description="share kept from one round to the next")
    per_irgc_action: IrgcSeverity = Field(
        description="added by each IRGC action carried out; strike_vessel's is per ship attacked"
    )
    per_mine_hit: Severity = Field(description="added by each ship that strikes a mine")
    left_after_centcom_action: CentcomShares = Field(
        description="share left after each CENTCOM action (1 = it answers nothing)"
    )


class DefianceGrievance(Strict):
    """The IRGC's memory of ships seen running the TSS branch against its routing mandates: the
    cost term of its mandates' lost credibility."""

    memory: Probability = Field(description="share kept from one round to the next")
    vessels_per_unit: Annotated[Real, Field(ge=1.0, le=1e6)] = Field(
        description="defiant ships seen that make one unit of defiance (at least one ship)"
    )
    left_after_irgc_action: IrgcShares = Field(
        description="share left once the IRGC carries out each action; strike_vessel counts "
        "as carried out when a ship was attacked"
    )


class Grievances(Strict):
    """What each side holds against the other: how it grows, what answers it, how it fades."""

    sovereignty: SovereigntyGrievance
    unanswered: UnansweredGrievance
    defiance: DefianceGrievance


class Memories(Strict):
    """Share of each remembered signal kept from one round to the next (1 = never forgotten)."""

    shipping_attacks: Probability = Field(
        description="attacks on shipping, as CENTCOM and ship owners remember them"
    )
    us_strikes: Probability = Field(description="US strikes on Iran, as the hosts remember them")
    host_strikes: Probability = Field(description="IRGC salvos at host states")
    mandates: Probability = Field(
        description="ship owners' memory of the last enforcement of Iran's routing mandates"
    )
    transits: Probability = Field(
        description="CENTCOM's running average of transits (the baseline of the shortfall)"
    )
    host_harm: Probability = Field(description="each host's own recent damage and casualties")
    restraint_pressure: Probability = Field(
        description="CENTCOM's memory of hosts pressing for restraint"
    )


class LedgerEntries(Strict):
    """What each side writes into its own violation ledger for the other side's actions; the
    MOU worsens as the worse ledger passes mou.strained_at, suspended_at and collapsed_at."""

    us_per_irgc_action: IrgcSeverity = Field(description="Washington's entry for each IRGC order")
    iran_per_centcom_action: CentcomSeverity = Field(
        description="Tehran's entry for each CENTCOM action (the Lebanon front adds its own)"
    )


class ChannelWeights(Strict):
    """What the IRGC weighs when it keeps, halts or reopens the Swiss channel
    (rules/diplomacy.channel_costs gives each move's raw cost of each term)."""

    sovereignty: Weight = Field(
        description="face lost talking while US violations of its soil go unanswered, per unit "
        "of the sovereignty grievance (one limited package is 1)"
    )
    relief_forgone: Weight = Field(
        description="the sanctions relief on the table that a halted channel forgoes"
    )
    isolation: Weight = Field(description="a round with the channel halted")
    turnabout: Weight = Field(
        description="a change of course: a halt or a reopening, each a public commitment"
    )


class ChannelBehaviour(Strict):
    """The Swiss channel: the IRGC keeps, halts or reopens it each round by the logit rule at
    its rationality (actors.irgc.rationality), from these weights."""

    weights: ChannelWeights


class IrgcForecast(Strict):
    """How the IRGC forecasts each option of its cost function (its terms: actors.irgc.weights).
    US resolve, as the IRGC reads it, is `resolve_base` plus the doctrine split it perceives."""

    resolve_base: Annotated[Real, Field(ge=0.0, le=10.0)] = Field(
        description="US resolve before the perceived doctrine split (0..1) is added; at 10 the "
        "doctrine no longer matters"
    )
    us_response: IrgcOptionShares = Field(
        description="chance Washington answers each option with strikes, at resolve 1"
    )
    us_package: IrgcOptionPackages = Field(
        description="the US package expected in answer to each option (its site damage)"
    )
    package_loss_factor: Annotated[Real, Field(ge=0.0, le=100.0)] = Field(
        description="multiplier on a package's expected share of Iranian site capacity lost"
    )
    regime_risk: IrgcOptionCosts = Field(description="risk to the regime, at resolve 1")
    answers_sovereignty: IrgcOptionShares = Field(
        description="share of the sovereignty grievance each option is expected to answer"
    )
    coerces: IrgcOptionShares = Field(
        description="how far each option keeps pressure on for the linked Lebanon front"
    )
    punishes_defiance: IrgcOptionShares = Field(
        description="how far each option restores its mandates' credibility (strike_vessel's "
        "only with a defiant ship in sight)"
    )
    economic_friction: IrgcOptionCosts = Field(
        description="friction each option inflicts on the other side (a benefit), at full "
        "strike capacity (enforce_mandates' does not depend on it)"
    )
    open_channel_discount: Probability = Field(
        description="weight of a salvo's damage at a host that opened its own channel to Tehran"
    )
    restricted_basing_discount: Probability = Field(
        description="weight of a salvo's damage at a host restricting US basing (times the above)"
    )
    results_memory: Probability = Field(
        description="share of its record of past raids (threats that got through or were "
        "intercepted at each site) the IRGC keeps per round"
    )
    results_prior_weight: Annotated[Real, Field(ge=0.0, le=10_000.0)] = Field(
        description="threats' worth of weight the IRGC gives its forecast of a site's leak rate "
        "(from the defences it sees there) against the results it observed there"
    )
    launch_cost_weight: Annotated[Real, Field(ge=0.0, le=1_000.0)] = Field(
        description="harm (in behaviour.scales units) the IRGC gives up per unit of launch cost "
        "(behaviour.scales.spend_usd) when it picks a salvo's mix"
    )


class CentcomForecast(Strict):
    """How CENTCOM forecasts each action (its terms: actors.centcom.weights)."""

    unanswered_base: Annotated[Real, Field(ge=0.0, le=10.0)] = Field(
        description="weight of unanswered violations before the doctrine split is added"
    )
    retaliation: CentcomShares = Field(
        description="chance Iran retaliates for each action (scales the expected US casualties, "
        "damage and interceptors fired)"
    )
    protects_shipping: CentcomShares = Field(
        description="share of shipping disruption each action stops (a strike's times the "
        "share of host bases open to it)"
    )
    answers_violations: CentcomShares = Field(
        description="share of unanswered violations each action answers (a strike's times the "
        "share of host bases open to it)"
    )
    top_rung_risk: CentcomCosts = Field(
        description="risk of a regime-altering war each action carries, before the hosts' "
        "pressure for restraint multiplies it"
    )
    degrades_capacity: CentcomShares = Field(
        description="share of Iran's standing strike capacity CENTCOM expects each action to "
        "remove for good (its iranian_threat term)"
    )
    spend_prior_threats: Annotated[Real, Field(ge=0.0, le=1e6)] = Field(
        description="Iranian weapons' worth of belief in the order-of-battle forecast of "
        "interceptor spend per weapon, before the spend it observes outweighs it (0: only "
        "what it saw)"
    )
    scarcity_weight: Annotated[Real, Field(ge=0.0, le=100.0)] = Field(
        description="how much dearer an interceptor is with the magazines empty than full "
        "(the interceptor_use term x (1 + this x share fired))"
    )


class ToleranceErosion(Strict):
    """Tolerance (0..1) a host loses per unit of each harm in a round; it recovers toward its
    start at actors.hosts[*].tolerance_recovery (rules/tolerance.py)."""

    damage: Probability = Field(description="per value-weighted damage unit on its soil (recent)")
    casualties: Probability = Field(description="per casualty on its soil (recent)")
    force_majeure: Probability = Field(
        description="per round its energy operators are in force majeure"
    )
    spending_per_100m_usd: Probability = Field(
        description="per $100M of interceptors fired in its defence in the round"
    )


class HostBehaviour(Strict):
    """How the host states forecast their measures (their terms: actors.hosts[*].weights), how
    their tolerance erodes, and how long their measures last."""

    reduces_harm: HostShares = Field(description="share of expected harm each measure averts")
    hosting_lost: HostShares = Field(
        description="share of the value of hosting US forces each measure gives up"
    )
    force_majeure_weight: CostUnits = Field(
        description="economic damage per round of force majeure still to run"
    )
    depleted_harm: Annotated[Real, Field(ge=0.0, le=100.0)] = Field(
        description="how much more harm a host expects from the threat with its interceptors "
        "gone than with them full, less one (its expected harm times 1 + this x the share "
        "spent); a reload averts its share of harm (reduces_harm) in proportion to the "
        "share spent. 100 is beyond every threat leaking"
    )
    threat_per_us_strike: Probability = Field(
        description="perceived chance of being struck soon per remembered US strike on Iran "
        "(the threat is at most 1)"
    )
    threat_per_host_strike: Probability = Field(
        description="the same per remembered IRGC salvo at a host state"
    )
    erosion: ToleranceErosion
    restraint_per_press: Annotated[Real, Field(ge=0.0, le=100.0)] = Field(
        description="restraint pressure one host adds by pressing Washington (multiplies "
        "CENTCOM's top-rung risk by 1 + the pressure)"
    )
    restriction_rounds: count(MAX_ROUNDS, why="rounds a chosen basing restriction lasts")
    own_channel_rounds: count(MAX_ROUNDS, why="rounds a host's own channel to Tehran stays open")


class VesselRisk(Strict):
    """How ship owners read the strike risk of running the TSS branch against Iran's mandates
    (rules/shipping.py; the premium is shipping.premium)."""

    warning_risk: Probability = Field(
        description="strike chance read into the mandates while they are enforced, before any "
        "attack (times the owners' memory of enforcement)"
    )
    risk_per_remembered_attack: Probability = Field(
        description="strike chance added per remembered attack on shipping"
    )
    max_strike_risk: Probability = Field(description="the most any owner reads into the record")
    wait_risk_factor: Probability = Field(
        description="share of the lower of the strike and mine risks a ship expects to face "
        "after waiting a round (threats come in waves)"
    )


class ForecastScales(Strict):
    """What one unit of each forecast cost term is: about one bad day, so that the actors'
    weights compare like with like and rationality (the logit lambda) reads on one scale."""

    damage: Annotated[Real, Field(ge=1e-3, le=1e6)] = Field(
        description="value-weighted damage units (a leaker on an unhardened site of value 1 "
        "does its weapon's damage)"
    )
    casualties: Annotated[Real, Field(ge=1e-3, le=1e6)] = Field(description="deaths")
    spend_usd: Annotated[Real, Field(ge=1e3, le=1e12)] = Field(description="US dollars")


class Operations(Strict):
    """How orders play out: the rules of thumb of adjudication that are not facts of the
    theatre (those are in nodes, weapons, interceptors and adjudication)."""

    surveillance_detection: Probability = Field(
        description="chance intact radar and surveillance sites spot a ship running the TSS "
        "branch in anti-ship reach (times the surveillance capacity left)"
    )
    launch_capacity_floor: Probability = Field(
        description="capacity below which an Iranian site launches nothing (a ruin until repaired)"
    )
    mines_per_mining: Annotated[Real, Field(ge=0.0, le=1_000.0)] = Field(
        description="mine density one mine_lanes order lays at full strike capacity (at 1,000 "
        "a single mining hits every ship at any mine_hit_per_density above 0.1%)"
    )
    mine_hit_per_density: Probability = Field(
        description="chance per transit, per unit of mine density, that a ship strikes a mine"
    )
    mine_density_left: Probability = Field(
        description="share of mine density left after a round of clearance"
    )
    escort_rounds: count(MAX_ROUNDS, why="rounds escorts stay up after an escort order")
    navy_strike_missiles: count(
        10_000, why="anti-ship missiles fired at US warships by one strike_us_navy order"
    )
    campaign_weapons_factor: count(
        100,
        low=1,
        why="weapons per target of a regime campaign, as a multiple of "
        "actors.centcom.weapons_per_target",
    )
    casualty_exposure_floor: Probability = Field(
        description="population exposure a leaker meets even at a site nobody lives near "
        "(added to the site's own)"
    )
    crew_casualty_share: Probability = Field(description="share of a struck ship's crew killed")


class Behaviour(Strict):
    """Every number of the actors' reasoning and of adjudication that is not a fact of the
    theatre, in sections a modeller recognises."""

    grievances: Grievances
    memories: Memories
    ledgers: LedgerEntries
    channel: ChannelBehaviour
    irgc: IrgcForecast
    centcom: CentcomForecast
    hosts: HostBehaviour
    scales: ForecastScales
    vessels: VesselRisk
    operations: Operations


def _not_a_number(value):
    # pydantic would read 20260401 as seconds since 1970 (a day in August 1970).
    if isinstance(value, int | float):
        raise ValueError(f"expected a date written YYYY-MM-DD, got the number {value!r}")
    return value


class Clock(Strict):
    start_date: Annotated[dt.date, BeforeValidator(_not_a_number)] = Field(
        description=f"the date of round 1, from {EARLIEST_START_DATE} to {LATEST_START_DATE} "
        f"(the latest start leaves room for {MAX_ROUNDS:,} rounds of {MAX_ROUND_HOURS} hours)",
        json_schema_extra={
            "formatMinimum": EARLIEST_START_DATE.isoformat(),
            "formatMaximum": LATEST_START_DATE.isoformat(),
        },
    )
    round_hours: count(MAX_ROUND_HOURS, low=1, why="hours in one round")
    rounds: count(MAX_ROUNDS, low=1, why="rounds in a run")

    @field_validator("start_date")
    @classmethod
    def _date_in_range(cls, start_date: dt.date) -> dt.date:
        # A validator (not `le=`) so the message can say why.
        if not EARLIEST_START_DATE <= start_date <= LATEST_START_DATE:
            raise ValueError(
                f"start_date must lie between {EARLIEST_START_DATE} and {LATEST_START_DATE}, "
                f"got {start_date}: dates are start + round x round_hours and must stay "
                f"before the year 9999 for up to {MAX_ROUNDS:,} rounds of {MAX_ROUND_HOURS} hours"
            )
        return start_date


class Inject(Strict):
    """A scripted event: set Lebanon's intensity, the channel, force one actor's action, report
    attacks on merchant ships that no actor of the game made, or start a fire at a host's
    energy site that no actor claims."""

    round: count(MAX_ROUNDS, low=1, why="the round it fires in")
    kind: Literal["lebanon_intensity", "channel", "action", "shipping_attacks", "refinery_fire"]
    value: Probability | None = Field(
        None, description="lebanon_intensity: the intensity to set, 0..1"
    )
    attacks: Annotated[Real, Field(gt=0.0, le=1_000.0)] | None = Field(
        None,
        description="shipping_attacks: attacks on merchant ships reported this round (a "
        "fraction is an average rate, e.g. 0.4 a day); owners, underwriters and CENTCOM "
        "remember them as they do the IRGC's",
    )
    channel: Literal["open", "halted"] | None = None
    actor: Identifier | None = None
    action: Identifier | None = None
    node: Identifier | None = Field(
        None, description="refinery_fire: the energy site of a host that burns (a node id)"
    )
    damage: Annotated[Real, Field(gt=0.0, le=100.0)] | None = Field(
        None,
        description="refinery_fire: damage units the fire does at a site of value 1 (scaled "
        "by the site's value, as a raid's are; one leaker of the scenario's heaviest warhead "
        "does 2.5, 100 is beyond any conventional weapon)",
    )
    note: Text = ""

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Inject:
        needed = {
            "lebanon_intensity": ("value",),
            "channel": ("channel",),
            "action": ("actor", "action"),
            "shipping_attacks": ("attacks",),
            "refinery_fire": ("node", "damage"),
        }[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"an inject of kind {self.kind!r} needs {', '.join(missing)}")
        # A value the kind does not read would be ignored without a word.
        unused = [
            name
            for name in ("value", "channel", "actor", "action", "attacks", "node", "damage")
            if name not in needed and getattr(self, name) is not None
        ]
        if unused:
            raise ValueError(
                f"an inject of kind {self.kind!r} does not use {', '.join(unused)} (it reads "
                f"only {', '.join(needed)}); remove it, or change the kind"
            )
        return self


# --- the classroom ----------------------------------------------------------------------------
# What a classroom exercise (issue 10) shows its teams and its teacher: words, not parameters.
# Nothing here reaches the engine; a scenario without the section plays the same.


def _not_blank(text: str) -> str:
    if not any(_visible(ch) for ch in text):
        raise ValueError("expected some visible text (an empty or blank entry shows nothing)")
    return text


Prose = Annotated[Text, AfterValidator(_not_blank)]


class ClassroomBriefs(Strict):
    """One brief per team of a room: who you are, what you want and fear, what you can do and
    what you can and cannot see."""

    centcom: Prose = Field(description="the CENTCOM team's brief")
    irgc: Prose = Field(description="the IRGC team's brief")
    hosts: Prose = Field(
        description="the GCC hosts' brief: the one team for all hosts, and any host team "
        "without a brief of its own in host_states"
    )
    host_states: dict[Identifier, Prose] = Field(
        default_factory=dict,
        max_length=200,
        description="a brief for the team of one host state, by host id (actors.hosts)",
    )


class TeacherNotes(Strict):
    learning_goals: tuple[Prose, ...] = Field(min_length=1, max_length=20)
    discussion_questions: tuple[Prose, ...] = Field(min_length=1, max_length=20)
    timing: Prose = Field(description="a plan of the session, e.g. for 60-90 minutes")


class Classroom(Strict):
    """The scenario as a classroom exercise: the teams' briefs and the teacher's notes."""

    briefs: ClassroomBriefs
    teacher: TeacherNotes


# --- the whole scenario ---------------------------------------------------------------------


class Scenario(Strict):
    name: Name
    description: Text = ""
    clock: Clock
    # List lengths are capped too: the theatre keeps an all-pairs distance matrix (2,000 nodes
    # = 32 MB) and routes are shortest paths over the edges.
    nodes: tuple[Node, ...] = Field(min_length=2, max_length=2_000)
    edges: tuple[Edge, ...] = Field((), max_length=20_000)
    weapons: dict[Identifier, Weapon] = Field(min_length=1, max_length=200)
    interceptors: dict[Identifier, Interceptor] = Field(min_length=1, max_length=200)
    actors: Actors
    shipping: ShippingParams
    mou: MouParams
    lebanon: LebanonParams
    adjudication: Adjudication
    levers: Levers
    behaviour: Behaviour
    injects: tuple[Inject, ...] = Field((), max_length=10_000)  # every round scans them
    classroom: Classroom | None = Field(
        None,
        description="briefs and teacher notes for a classroom exercise; none: no library entry",
    )

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
    yield from salvo_weapon_problems(irgc)
    if scenario.actors.centcom.strike_weapon not in scenario.weapons:
        yield f"actors.centcom.strike_weapon: unknown weapon {scenario.actors.centcom.strike_weapon!r}"
    host_ids = [host.id for host in scenario.actors.hosts]
    for index, host_id in enumerate(host_ids):
        if host_id in RESERVED_ACTOR_IDS:
            yield (
                f"actors.hosts[{index}].id: {host_id!r} is reserved ({RESERVED_ACTOR_IDS[host_id]}); "
                f"give the host state another id"
            )
        elif host_ids.index(host_id) != index:
            yield (
                f"actors.hosts[{index}].id: duplicate host {host_id!r} "
                f"(first at actors.hosts[{host_ids.index(host_id)}])"
            )
    if scenario.classroom is not None:
        for host_id in scenario.classroom.briefs.host_states:
            if host_id not in host_ids:
                yield (
                    f"classroom.briefs.host_states.{host_id}: unknown host {host_id!r}; "
                    f"expected one of {sorted(host_ids)}"
                )
    for index, route in enumerate(scenario.shipping.routes):
        for end in ("origin", "destination"):
            if getattr(route, end) not in node_ids:
                yield f"shipping.routes[{index}].{end}: unknown node {getattr(route, end)!r}"
        if route.origin == route.destination:
            yield f"shipping.routes[{index}].destination: a route must lead to another node"
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
        if inject.kind == "refinery_fire":
            problem = refinery_target_problem(scenario, inject.node)
            if problem:
                yield f"injects[{index}].node: {problem}"
    yield from inject_conflicts(scenario.injects)
    kinds = {node.kind for node in scenario.nodes}
    if NodeKind.IRAN_SITE not in kinds:
        yield "nodes: the theatre needs at least one iran_site"
    if NodeKind.US_BASE not in kinds:
        yield "nodes: the theatre needs at least one us_base"


# Ids the engine keys its actors by, besides the host states: each round's decisions, the
# actions injects force (where a channel inject's entry is keyed "channel") and the event
# log's actor column. A host state with one of these ids would silently replace that entry.
RESERVED_ACTOR_IDS = {
    "irgc": "the IRGC actor",
    "centcom": "the CENTCOM actor",
    "channel": "the key of a channel inject among the actions injects force",
    "irgc_channel": "the key of the IRGC's channel decision among each round's decisions",
    "scenario": "the actor of scripted injects in the event log",
    "diplomacy": "the actor of MOU changes in the event log",
}
# The IRGC's weapon slot that fires each kind of a salvo (`Salvo`'s fields).
SALVO_WEAPON = {"ballistic": "ballistic_weapon", "drone": "drone_weapon", "cruise": "cruise_weapon"}
assert set(SALVO_WEAPON) == set(Salvo.model_fields), "every salvo kind needs its weapon slot"


def salvo_weapon_problems(irgc: IrgcParams):
    """A salvo count whose weapon slot is empty would be dropped without a word when fired:
    each count above 0 needs its weapon. `energy_salvo` also rides along US Navy strikes."""
    salvos = [("salvo_per_target", irgc.salvo_per_target), ("energy_salvo", irgc.energy_salvo)]
    salvos += [(f"salvo_mixes[{i}]", mix) for i, mix in enumerate(irgc.salvo_mixes)]
    for salvo_field, salvo in salvos:
        for kind, slot in SALVO_WEAPON.items():
            count = getattr(salvo, kind)
            if count and getattr(irgc, slot) is None:
                yield (
                    f"actors.irgc.{slot}: needed because {salvo_field}.{kind} is {count}; name "
                    f"a weapon of kind {kind} or set {salvo_field}.{kind} to 0"
                )


def refinery_targets(scenario: Scenario) -> tuple[str, ...]:
    """The sites a refinery_fire inject may name: the energy nodes of the host states
    (actors.hosts), in file order. A fire elsewhere would harm no actor of the game."""
    host_ids = {host.id for host in scenario.actors.hosts}
    return tuple(
        node.id for node in scenario.nodes if node.kind == NodeKind.ENERGY and node.host in host_ids
    )


def refinery_target_problem(scenario: Scenario, node_id: str) -> str | None:
    """Why `node_id` cannot burn in a refinery_fire inject; None when it can."""
    sites = refinery_targets(scenario)
    if node_id in sites:
        return None
    node = scenario.nodes_by_id.get(node_id)
    if node is None:
        what = f"unknown node {node_id!r}"
    elif node.kind != NodeKind.ENERGY:
        what = f"{node_id!r} is a {node.kind.value} node, not an energy site"
    else:
        what = f"{node_id!r} is the energy site of no host state (actors.hosts)"
    return f"{what}; expected one of {list(sites)}"


# An IRGC action inject naming a channel move sets the channel, as a channel inject does.
IRGC_CHANNEL_MOVES = frozenset(spec.id for spec in IRGC_CHANNEL_ACTIONS)


def inject_target(inject: Inject) -> str | None:
    """What an inject sets: two injects of one round that set the same thing conflict. Reported
    attacks on shipping and fires set nothing (two in one round add up): None."""
    if inject.kind in ("shipping_attacks", "refinery_fire"):
        return None
    if inject.kind == "action" and not (
        inject.actor == "irgc" and inject.action in IRGC_CHANNEL_MOVES
    ):
        return f"the action of {inject.actor}"
    return "Lebanon's intensity" if inject.kind == "lebanon_intensity" else "the channel"


def inject_conflicts(injects: tuple[Inject, ...]):
    """Two injects in one round that set the same thing: only the last would take effect."""
    first: dict[tuple[int, str], int] = {}
    for index, inject in enumerate(injects):
        target = inject_target(inject)
        if target is None:
            continue
        key = (inject.round, target)
        if key in first:
            yield (
                f"injects[{index}]: sets {key[1]} in round {inject.round}, as injects[{first[key]}] "
                "already does; only one can take effect, so keep one of the two"
            )
        else:
            first[key] = index


def late_injects(scenario: Scenario, rounds: int) -> list[int]:
    """Indices of the injects that fall after the last round of a run of `rounds` rounds and
    so never fire in it (a run may be shorter or longer than `clock.rounds`)."""
    return [index for index, inject in enumerate(scenario.injects) if inject.round > rounds]


def late_injects_note(scenario: Scenario, rounds: int, run: str | None = "this run") -> str | None:
    """A one-line note when some injects fall after round `rounds`: the last round of `run`
    (they never fire in it), or with `run=None` the scenario's own `clock.rounds` (they fire
    only in a longer run). None when every inject fires."""
    late = late_injects(scenario, rounds)
    if not late:
        return None
    shown = ", ".join(f"injects[{i}] (round {scenario.injects[i].round})" for i in late[:5])
    shown += f" and {len(late) - 5} more" if len(late) > 5 else ""
    count = f"{len(late)} of {len(scenario.injects)} injects"
    if run is None:
        return (
            f"note: {count} fall after clock.rounds ({rounds}): {shown}; they fire only in a "
            "longer run (simulate --rounds, or an experiment's rounds)"
        )
    return (
        f"note: {count} fall after round {rounds}, the last of {run}, and never fire in it: {shown}"
    )


CLASSROOM_TEAMS = ("centcom", "irgc", "hosts")  # a room's roles besides one per host state


def team_brief(scenario: Scenario, role: str) -> str | None:
    """The brief a room's team reads: for centcom, irgc or hosts (the one team for all hosts)
    theirs; for a host state's own team its brief in host_states, else the hosts' brief. None
    when the scenario has no classroom section; an unknown role is a ValueError."""
    host_ids = [host.id for host in scenario.actors.hosts]
    if role not in CLASSROOM_TEAMS and role not in host_ids:
        raise ValueError(
            f"no team {role!r} in this scenario; expected one of {[*CLASSROOM_TEAMS, *host_ids]}"
        )
    if scenario.classroom is None:
        return None
    briefs = scenario.classroom.briefs
    if role in CLASSROOM_TEAMS:
        return getattr(briefs, role)
    return briefs.host_states.get(role, briefs.hosts)


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
