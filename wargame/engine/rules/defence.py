"""Air-and-missile-defence adjudication: one raid against one defended site.

This module owns the rule that turns a raid (groups of ballistic, cruise, drone and
anti-ship weapons) and a stack of defensive layers (THAAD, PAC-3, PAC-2, SM-2/SM-6,
directed energy / EW, ...) into intercepts, leakers, interceptors fired, magazines left
and the cost-exchange ratio, with the interceptors each layer fired at each group so the
spend splits by threat kind. It provides two views of the same flow:

* ``resolve_raid`` samples one outcome, with randomness taken only from the ``rng``
  argument;
* ``expected_raid`` computes closed-form expectations with no sampling, cheap enough
  for actors to forecast options with.

Both are pure functions of their arguments: no global state, inputs never mutated.

The engagement model:

* ``p_eff = Pd * r * p`` (detection x interceptor reliability x single-shot Pk).
* Salvo of n: ``P_kill = 1 - (1 - p_eff)**n``, n shots per engaged threat.
* Shoot-look-shoot with up to k shots: ``P_kill = 1 - (1 - p_eff)**k`` and
  ``E[shots] = (1 - (1 - p_eff)**k) / p_eff`` (k shots when ``p_eff == 0``).
* Saturation: a layer engages ``min(remaining, channels_left, magazine_left // n)`` of
  each group, in ``ENGAGEMENT_PRIORITY`` order; the rest pass untouched.
* Layers fire in sequence (outermost first); survivors of one pass to the next.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

THREAT_KINDS: tuple[str, ...] = ("ballistic", "cruise", "drone", "anti_ship")

# Fire channels are scarce under saturation; the fastest, most lethal threats get them
# first because they are the hardest for any later layer to catch.
ENGAGEMENT_PRIORITY: tuple[str, ...] = ("ballistic", "cruise", "anti_ship", "drone")

DOCTRINES: tuple[str, ...] = ("salvo", "shoot_look_shoot")

# Guards floor(magazine / n) in the expectation path against float round-off
# (e.g. 5.999999999 interceptors left must still buy 3 two-shot engagements).
_FLOOR_TOLERANCE = 1e-9


# --------------------------------------------------------------------------- validation


def _check_probability(value: float, name: str) -> None:
    # Written as a negated range so NaN is rejected too.
    if not (0.0 <= value <= 1.0):
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")


def _check_non_negative_int(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")


def _check_non_negative(value: float, name: str) -> None:
    if not (value >= 0.0) or math.isinf(value):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def _check_doctrine(doctrine: str) -> None:
    if doctrine not in DOCTRINES:
        raise ValueError(f"doctrine must be one of {DOCTRINES}, got {doctrine!r}")


def _check_shots_per_threat(shots_per_threat: int) -> None:
    if isinstance(shots_per_threat, bool) or not isinstance(shots_per_threat, int | np.integer):
        raise ValueError(f"shots_per_threat must be an integer, got {shots_per_threat!r}")
    if shots_per_threat < 1:
        raise ValueError(f"shots_per_threat must be >= 1, got {shots_per_threat!r}")


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class RaidGroup:
    """One weapon type in a raid at one defended site."""

    weapon: str
    kind: str
    count: int
    reliability: float
    unit_cost: float

    def __post_init__(self) -> None:
        if self.kind not in THREAT_KINDS:
            raise ValueError(f"kind must be one of {THREAT_KINDS}, got {self.kind!r}")
        _check_non_negative_int(self.count, "count")
        _check_probability(self.reliability, "reliability")
        _check_non_negative(self.unit_cost, "unit_cost")


@dataclass(frozen=True)
class Layer:
    """One defensive system at the defended site; layers are given outermost first."""

    system: str
    pk: Mapping[str, float]
    detection: float
    reliability: float
    doctrine: str
    shots_per_threat: int
    fire_channels: int
    magazine: int
    unit_cost: float

    def __post_init__(self) -> None:
        for weapon, p in self.pk.items():
            _check_probability(p, f"pk[{weapon!r}]")
        _check_probability(self.detection, "detection")
        _check_probability(self.reliability, "reliability")
        _check_doctrine(self.doctrine)
        _check_shots_per_threat(self.shots_per_threat)
        _check_non_negative_int(self.fire_channels, "fire_channels")
        _check_non_negative_int(self.magazine, "magazine")
        _check_non_negative(self.unit_cost, "unit_cost")
        # A private read-only copy keeps the frozen layer immune to later edits of the
        # caller's dict.
        object.__setattr__(self, "pk", MappingProxyType(dict(self.pk)))

    def single_shot_pk(self, weapon: str) -> float:
        """Single-shot Pk against ``weapon``; 0 for weapons this layer does not engage."""
        return float(self.pk.get(weapon, 0.0))

    def effective_pk(self, weapon: str) -> float:
        """Per-shot kill chance against ``weapon`` including detection and reliability."""
        return effective_pk(self.single_shot_pk(weapon), self.detection, self.reliability)


# --------------------------------------------------------------------------- outputs


def _sum_by_kind(values: np.ndarray, groups: Sequence[RaidGroup], zero: float = 0) -> dict:
    if len(groups) != len(values):
        raise ValueError(f"groups has {len(groups)} entries but the outcome has {len(values)}")
    totals = dict.fromkeys(THREAT_KINDS, zero)
    for value, group in zip(values, groups, strict=True):
        totals[group.kind] += value.item()
    return totals


def _frozen_array(values: np.ndarray) -> np.ndarray:
    # Outcomes are frozen dataclasses; read-only arrays stop silent in-place edits.
    values.setflags(write=False)
    return values


def _cost_exchange_ratio(interceptor_cost: float, attacker_cost: float) -> float:
    if attacker_cost == 0.0:
        return 0.0 if interceptor_cost == 0.0 else math.inf
    return interceptor_cost / attacker_cost


@dataclass(frozen=True, eq=False)
class RaidTotals:
    """What a raid did, per group (input order) and per layer (firing order).

    ``shots_by_group`` and ``engaged_by_layer`` are (layers x groups): the interceptors each
    layer fired at each group and the threats of each group it engaged (a threat two layers
    engage counts once for each). ``shots`` is the first summed over groups, and
    ``interceptor_cost_by_group`` the USD of interceptors fired at each group.

    ``eq=False`` because element-wise array comparison has no single truth value.
    """

    launched: np.ndarray
    failed: np.ndarray
    intercepted: np.ndarray
    leaked: np.ndarray
    shots: np.ndarray
    kills_by_layer: np.ndarray
    magazines: np.ndarray
    interceptor_cost: float
    attacker_cost: float
    shots_by_group: np.ndarray
    engaged_by_layer: np.ndarray
    interceptor_cost_by_group: np.ndarray

    @property
    def cost_exchange_ratio(self) -> float:
        """Interceptor spend per dollar of attacking weapons launched."""
        return _cost_exchange_ratio(self.interceptor_cost, self.attacker_cost)

    def intercepted_by_kind(self, groups: Sequence[RaidGroup]) -> dict:
        """Intercepts summed per threat kind (every kind present, 0 by default)."""
        return _sum_by_kind(self.intercepted, groups)

    def leaked_by_kind(self, groups: Sequence[RaidGroup]) -> dict:
        """Leakers summed per threat kind (every kind present, 0 by default)."""
        return _sum_by_kind(self.leaked, groups)

    def launched_by_kind(self, groups: Sequence[RaidGroup]) -> dict:
        """Launches summed per threat kind (every kind present, 0 by default)."""
        return _sum_by_kind(self.launched, groups)

    def failed_by_kind(self, groups: Sequence[RaidGroup]) -> dict:
        """Threats that failed in flight, summed per kind (every kind present, 0 by default)."""
        return _sum_by_kind(self.failed, groups)

    def engaged_by_kind(self, groups: Sequence[RaidGroup]) -> dict:
        """Engagements per threat kind, over every layer: a threat engaged by two layers counts
        twice (every kind present, 0 by default)."""
        return _sum_by_kind(self.engaged_by_layer.sum(axis=0), groups)

    def interceptor_cost_by_kind(self, groups: Sequence[RaidGroup]) -> dict:
        """USD of interceptors fired at each threat kind (every kind present, 0.0 by default);
        the kinds sum to ``interceptor_cost``."""
        return _sum_by_kind(self.interceptor_cost_by_group, groups, 0.0)

    def attacker_cost_by_kind(self, groups: Sequence[RaidGroup]) -> dict:
        """USD of attacking weapons launched, per threat kind (every kind present, 0.0 by
        default); the kinds sum to ``attacker_cost``."""
        if len(groups) != len(self.launched):
            raise ValueError(
                f"groups has {len(groups)} entries but the outcome has {len(self.launched)}"
            )
        costs = np.array([g.unit_cost for g in groups], dtype=np.float64)
        return _sum_by_kind(self.launched * costs, groups, 0.0)


@dataclass(frozen=True, eq=False)
class RaidOutcome(RaidTotals):
    """One sampled raid: whole numbers of threats and interceptors."""


@dataclass(frozen=True, eq=False)
class ExpectedRaid(RaidTotals):
    """Closed-form expectation of a raid: the same fields as ``RaidOutcome``, as floats.

    This is a mean-field forecast: saturation is applied to expected counts, so it is
    exact when no layer saturates or when the engaged numbers are deterministic, and
    an approximation of E[min(...)] otherwise.
    """


# --------------------------------------------------------------------------- closed forms


def effective_pk(p: float, detection: float, reliability: float) -> float:
    """Per-shot kill chance: the threat must be detected, the interceptor work, and hit."""
    _check_probability(p, "pk")
    _check_probability(detection, "detection")
    _check_probability(reliability, "reliability")
    return detection * reliability * p


def _one_minus_miss_power(p_eff: float, shots: int) -> float:
    """``1 - (1 - p_eff)**shots``, via expm1/log1p so tiny ``p_eff`` keeps its digits."""
    if p_eff == 0.0:
        return 0.0
    if p_eff == 1.0:
        return 1.0
    return -math.expm1(shots * math.log1p(-p_eff))


def kill_probability(p_eff: float, doctrine: str, shots_per_threat: int) -> float:
    """Chance one engaged threat is killed.

    Salvo of n and shoot-look-shoot with up to k shots give the same kill chance for
    n == k; shoot-look-shoot just spends fewer interceptors doing it.
    """
    _check_probability(p_eff, "p_eff")
    _check_doctrine(doctrine)
    _check_shots_per_threat(shots_per_threat)
    return _one_minus_miss_power(p_eff, shots_per_threat)


def expected_shots_per_engagement(p_eff: float, doctrine: str, shots_per_threat: int) -> float:
    """Expected interceptors fired at one engaged threat."""
    _check_probability(p_eff, "p_eff")
    _check_doctrine(doctrine)
    _check_shots_per_threat(shots_per_threat)
    if doctrine == "salvo" or p_eff == 0.0:
        # A salvo always fires all n; a blind shoot-look-shoot never sees a kill and
        # so fires all k.
        return float(shots_per_threat)
    # E[min(G, k)] for G ~ Geometric(p_eff) = sum_{j=0}^{k-1} (1 - p_eff)^j
    # = (1 - (1 - p_eff)^k) / p_eff, which can only lie in [1, k]; the clamp absorbs
    # round-off for tiny p_eff.
    shots = _one_minus_miss_power(p_eff, shots_per_threat) / p_eff
    return min(max(shots, 1.0), float(shots_per_threat))


# --------------------------------------------------------------------------- raid flow


def _priority_order(groups: Sequence[RaidGroup]) -> list[int]:
    """Group indices in engagement order; ties keep the caller's order (stable sort)."""
    rank = {kind: i for i, kind in enumerate(ENGAGEMENT_PRIORITY)}
    return sorted(range(len(groups)), key=lambda g: rank[groups[g].kind])


def _validate(groups: Sequence[RaidGroup], layers: Sequence[Layer]) -> None:
    for group in groups:
        if not isinstance(group, RaidGroup):
            raise ValueError(f"groups must contain RaidGroup objects, got {group!r}")
    for layer in layers:
        if not isinstance(layer, Layer):
            raise ValueError(f"layers must contain Layer objects, got {layer!r}")


def _sample_engagement(
    engaged: int, p_eff: float, layer: Layer, rng: np.random.Generator
) -> tuple[int, int]:
    """Kills and interceptors fired when ``layer`` engages ``engaged`` identical threats."""
    n = layer.shots_per_threat
    if engaged == 0:
        return 0, 0
    if layer.doctrine == "salvo":
        return int(rng.binomial(engaged, kill_probability(p_eff, "salvo", n))), engaged * n
    if p_eff == 0.0:
        # rng.geometric needs p > 0; a blind layer fires all k shots and kills nothing.
        return 0, engaged * n
    # Shot number of the first kill per threat; looking between shots stops the fire.
    first_kill = rng.geometric(p_eff, size=engaged)
    kills = int(np.count_nonzero(first_kill <= n))
    shots = int(np.minimum(first_kill, n).sum())
    return kills, shots


def _by_pair(
    n_layers: int, n_groups: int, dtype: type
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zeroed (layers x groups) kills, shots and engagements, for a raid to fill."""
    shape = (n_layers, n_groups)
    return np.zeros(shape, dtype), np.zeros(shape, dtype), np.zeros(shape, dtype)


def _totals(
    kind: type[RaidTotals],
    groups: Sequence[RaidGroup],
    layers: Sequence[Layer],
    launched: np.ndarray,
    failed: np.ndarray,
    leaked: np.ndarray,
    shots: np.ndarray,
    by_pair: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> RaidTotals:
    """A raid's outcome from its counts, sampled (integers) or expected (floats) alike: the
    intercepts, magazines left and costs follow from launches, shots and kills. ``by_pair``
    holds the kills, shots and engagements per (layer, group) (`_by_pair`); ``shots`` is the
    shots' sum over groups as the raid summed it, layer by layer in engagement order, so the
    expectation's float total keeps its bits. A magazine left is clamped at 0, which only
    float round-off in the expectation can reach (sampling reserves its shots)."""
    kills_by_layer, shots_by_group, engaged_by_layer = by_pair
    unit_costs = np.array([layer.unit_cost for layer in layers], dtype=np.float64)
    attacker_costs = np.array([g.unit_cost for g in groups], dtype=np.float64)
    fielded = np.array([layer.magazine for layer in layers], dtype=shots.dtype)
    return kind(
        launched=_frozen_array(launched),
        failed=_frozen_array(failed),
        intercepted=_frozen_array(kills_by_layer.sum(axis=0, dtype=kills_by_layer.dtype)),
        leaked=_frozen_array(leaked),
        shots=_frozen_array(shots),
        kills_by_layer=_frozen_array(kills_by_layer),
        magazines=_frozen_array(np.maximum(fielded - shots, 0)),
        interceptor_cost=float(np.dot(shots, unit_costs)),
        attacker_cost=float(np.dot(launched, attacker_costs)),
        shots_by_group=_frozen_array(shots_by_group),
        engaged_by_layer=_frozen_array(engaged_by_layer),
        interceptor_cost_by_group=_frozen_array(unit_costs @ shots_by_group),
    )


def resolve_raid(
    groups: Sequence[RaidGroup], layers: Sequence[Layer], rng: np.random.Generator
) -> RaidOutcome:
    """Sample one raid against one defended site.

    Attacker reliability is drawn first; each layer then engages the survivors in
    ``ENGAGEMENT_PRIORITY`` order, sharing its fire channels and magazine among groups.
    Whatever a layer does not kill passes to the next layer; what passes the last
    layer leaks to the target.
    """
    _validate(groups, layers)
    n_groups, n_layers = len(groups), len(layers)

    launched = np.array([g.count for g in groups], dtype=np.int64)
    reliability = np.array([g.reliability for g in groups], dtype=np.float64)
    arrived = rng.binomial(launched, reliability).astype(np.int64)
    failed = launched - arrived

    remaining = arrived.copy()
    by_pair = _by_pair(n_layers, n_groups, np.int64)
    kills_by_layer, shots_by_group, engaged_by_layer = by_pair
    shots = np.zeros(n_layers, dtype=np.int64)
    order = _priority_order(groups)

    for li, layer in enumerate(layers):
        channels_left = layer.fire_channels
        magazine_left = layer.magazine
        for gi in order:
            p = layer.single_shot_pk(groups[gi].weapon)
            if p <= 0.0:
                continue
            # Reserve the doctrine's full allotment per threat so shoot-look-shoot can
            # never run the magazine below zero.
            engaged = min(
                int(remaining[gi]), channels_left, magazine_left // layer.shots_per_threat
            )
            p_eff = layer.effective_pk(groups[gi].weapon)
            kills, fired = _sample_engagement(engaged, p_eff, layer, rng)
            channels_left -= engaged
            magazine_left -= fired
            remaining[gi] -= kills
            kills_by_layer[li, gi] = kills
            shots_by_group[li, gi] = fired
            engaged_by_layer[li, gi] = engaged
            shots[li] += fired

    return _totals(RaidOutcome, groups, layers, launched, failed, remaining, shots, by_pair)


def expected_raid(groups: Sequence[RaidGroup], layers: Sequence[Layer]) -> ExpectedRaid:
    """Closed-form expectation of ``resolve_raid`` (no sampling; cheap for forecasting).

    Follows the same flow with expected counts: per group and layer,
    ``engaged = min(remaining, channels_left, floor(magazine_left / n))``, expected
    kills ``engaged * P_kill`` and expected shots ``engaged * E[shots]``, so a single
    saturated layer gives ``E[leakers] = (N - engaged) + engaged * (1 - P_kill)``.
    """
    _validate(groups, layers)
    n_groups, n_layers = len(groups), len(layers)

    launched = np.array([g.count for g in groups], dtype=np.float64)
    reliability = np.array([g.reliability for g in groups], dtype=np.float64)
    remaining = launched * reliability
    failed = launched - remaining

    by_pair = _by_pair(n_layers, n_groups, np.float64)
    kills_by_layer, shots_by_group, engaged_by_layer = by_pair
    shots = np.zeros(n_layers, dtype=np.float64)
    order = _priority_order(groups)

    for li, layer in enumerate(layers):
        n = layer.shots_per_threat
        channels_left = float(layer.fire_channels)
        magazine_left = float(layer.magazine)
        for gi in order:
            if layer.single_shot_pk(groups[gi].weapon) <= 0.0:
                continue
            p_eff = layer.effective_pk(groups[gi].weapon)
            affordable = math.floor(magazine_left / n + _FLOOR_TOLERANCE)
            engaged = max(0.0, min(float(remaining[gi]), channels_left, float(affordable)))
            kills = engaged * kill_probability(p_eff, layer.doctrine, n)
            fired = engaged * expected_shots_per_engagement(p_eff, layer.doctrine, n)
            channels_left -= engaged
            # Clamp: float round-off must not report a negative expected magazine.
            magazine_left = max(0.0, magazine_left - fired)
            remaining[gi] -= kills
            kills_by_layer[li, gi] = kills
            shots_by_group[li, gi] = fired
            engaged_by_layer[li, gi] = engaged
            shots[li] += fired

    return _totals(ExpectedRaid, groups, layers, launched, failed, remaining, shots, by_pair)


def resupplied(
    left: np.ndarray,
    cap: np.ndarray,
    whole: np.ndarray,
    chance: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Magazines after a round's resupply: each gets its `whole` interceptors and one more with
    its fractional `chance` (one draw per magazine), never past its `cap`."""
    extra = rng.random(len(chance)) < chance
    arriving = (whole + extra).astype(np.int64)
    return np.minimum(left + arriving, cap)
