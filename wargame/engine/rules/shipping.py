"""Commercial shipping: war-risk premiums and cover, the owners' decision to come at all, the
vessel's choice of branch, interdiction and mines.

A vessel scores its four choices in basis points of its own value (expected loss, premium,
delay) and picks by the logit rule. In basis points every ship's costs are the same: ships
differ only in whether they may still wait, so the choices are scored once per kind of ship
and each ship draws from its kind's probabilities.

Before that, owners and charterers decide whether to send a ship at all (`coming_share`): the
voyage's margin against the expected cost of the branch it would choose and their aversion to
the attacks they remember, by a logit of its own; and while underwriters have withdrawn war
cover (`war_cover`, on notice), only those who sail uncovered come.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wargame.config.ladder import VESSEL_CHOICES
from wargame.config.schema import (
    PremiumModel,
    ShippingDemand,
    ShippingParams,
    VesselRisk,
    VesselWeights,
    WarCover,
)

# A vessel's choices, in the ladder's order: the columns of its costs and the codes the fleet
# keeps in `Fleet.choice` (the model imports them from here, and the map from the model).
COMPLY, OUTSIDE, WAIT, TURN_BACK = range(len(VESSEL_CHOICES))
CHOICES = len(VESSEL_CHOICES)
BASIS_POINTS = 1e4  # a vessel scores its choices in basis points of its own value


def premium_rate(attack_memory: float, params: PremiumModel) -> float:
    """War-risk premium per transit as a share of hull value: calm rate plus recent attacks."""
    return float(
        min(params.peak_rate, params.calm_rate + params.attack_sensitivity * attack_memory)
    )


def escorted(probability: float, escorting: bool, protection: float) -> float:
    """A strike's chance against a ship, cut by the escorts' `protection` while CENTCOM escorts:
    what owners read into the risk and what the IRGC's shots then get are cut alike."""
    return probability * (1.0 - protection) if escorting else probability


def choice_costs(
    outside_strike_prob: float,
    mine_risk: float,
    premium: float,
    params: ShippingParams,
    risk: VesselRisk,
) -> dict[str, list[float]]:
    """Raw cost terms of each choice (a list in choice order per term), in basis points of a
    ship's value, so the same for every ship. `risk` is how owners read the risks (scenario
    behaviour.vessels)."""
    loss = params.strike_loss_fraction * BASIS_POINTS
    delay_bp = params.delay_cost_per_round * BASIS_POINTS
    expected_loss = [0.0] * CHOICES
    expected_loss[COMPLY] = mine_risk * loss
    expected_loss[OUTSIDE] = (outside_strike_prob + mine_risk) * loss
    expected_loss[WAIT] = risk.wait_risk_factor * min(outside_strike_prob, mine_risk) * loss
    premium_bp = [premium * BASIS_POINTS] * CHOICES
    premium_bp[TURN_BACK] = 0.0
    # Accepting Iran's mandate exposes a ship to sanctions (an expected penalty, counted with
    # the expected loss) and to inspection (rounds held, counted with the delay).
    expected_loss[COMPLY] += params.sanctions_exposure * BASIS_POINTS
    delay = [0.0] * CHOICES
    delay[COMPLY] = (params.corridor_delay_rounds + params.inspection_rounds) * delay_bp
    delay[WAIT] = delay_bp
    delay[TURN_BACK] = params.voyage_value * BASIS_POINTS
    return {"expected_loss": expected_loss, "premium": premium_bp, "delay": delay}


def _utilities(costs: dict[str, list[float]], weights: VesselWeights) -> list[float]:
    """Minus the weighted costs of each choice, as Python floats: the same IEEE products and
    sums, in the same order, as numpy's on arrays of every ship's costs."""
    return [
        -(weights.expected_loss * loss + weights.premium * premium + weights.delay * delay)
        for loss, premium, delay in zip(
            costs["expected_loss"], costs["premium"], costs["delay"], strict=True
        )
    ]


def choice_utilities(costs: dict[str, list[float]], weights: VesselWeights) -> np.ndarray:
    """Minus the weighted costs of each choice, for the two kinds of choosing ship: row 0 (False)
    one that has waited its limit and must move or turn back (WAIT gets -inf: probability 0 at
    any lambda), row 1 (True) one that may still wait."""
    may_wait = _utilities(costs, weights)
    must_move = list(may_wait)
    must_move[WAIT] = -np.inf
    return np.array([must_move, may_wait])


def choice_cumulative(
    costs: dict[str, list[float]], weights: VesselWeights, rationality: float
) -> np.ndarray:
    """Each kind's running total of its choice probabilities (rows as `choice_utilities`'):
    `np.cumsum(logit_probabilities(choice_utilities(costs, weights), rationality), axis=1)` bit
    for bit (the textbook arrays, kept in tests/support.py as this rule's oracle), in four numpy
    calls instead of a dozen. The scaling by lambda and the shift by the row's largest are
    single IEEE operations, done here in Python floats; exp, the row sums and the division are
    numpy's, on the same array, as there."""
    may_wait = [rationality * utility for utility in _utilities(costs, weights)]
    must_move = list(may_wait)
    must_move[WAIT] = -np.inf  # impossible: exp gives it 0, whatever lambda
    rows = []
    for row in (must_move, may_wait):
        top = max(row)  # the stable softmax's shift
        rows.append([value - top for value in row])
    shares = np.exp(np.array(rows))
    probabilities = shares / np.add.reduce(shares, axis=1, keepdims=True)
    return np.add.accumulate(probabilities, axis=1)  # what np.cumsum calls, minus its wrappers


def choose_by_kind(
    cumulative: np.ndarray, may_wait: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Each choosing ship's choice: one `rng.random()` each, against the running total of its
    kind's choice probabilities (`choice_cumulative`; `may_wait` its kind).

    The choices the textbook `draw_choices(probabilities, rng, rows=may_wait)` (tests/support.py)
    draws (the number
    of cumulative probabilities a draw exceeds, at most the last choice), found by bisection:
    a row's running total only ever grows, so that count is where the draw sorts among its
    first three entries."""
    draws = rng.random(len(may_wait))
    last = cumulative.shape[1] - 1
    choices = cumulative[1, :last].searchsorted(draws)
    if not may_wait.all():  # (rare) ships at their wait limit draw from the other row
        must_move = ~may_wait
        choices[must_move] = cumulative[0, :last].searchsorted(draws[must_move])
    return choices


def interdict(
    candidates: int,
    detection: float,
    max_strikes: int,
    hit_probability: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Which of `candidates` exposed vessels are found and which of those are hit.

    Returns (indices attacked, boolean hits) into the candidate list.
    """
    found = np.flatnonzero(rng.random(candidates) < detection)
    attacked = rng.permutation(found)[:max_strikes] if len(found) else found
    hits = rng.random(len(attacked)) < hit_probability
    return np.sort(attacked), hits[np.argsort(attacked)]


def mine_risk(mine_density: float, hit_per_density: float) -> float:
    """A transit's chance of striking a mine (`hit_per_density`: the chance per unit of
    density, scenario behaviour.operations): what the hits below draw and what owners read,
    both at most certain."""
    return min(1.0, mine_density * hit_per_density)


def mine_hits(
    transiting: int, mine_density: float, hit_per_density: float, rng: np.random.Generator
) -> int:
    """How many of this round's transiting vessels strike a mine."""
    return int(rng.binomial(transiting, mine_risk(mine_density, hit_per_density)))


def perceived_strike_risk(
    mandates: float,
    remembered_attacks: float,
    escorting: bool,
    reading: VesselRisk,
    protection: float,
) -> float:
    """The chance of being struck that owners read into running the TSS branch: the routing
    mandates' warnings (their memory, at most 1) and the attacks on ships they remember, cut
    by escorts while CENTCOM escorts, at most `reading.max_strike_risk`."""
    risk = (
        reading.warning_risk * min(1.0, mandates)
        + reading.risk_per_remembered_attack * remembered_attacks
    )
    risk = escorted(risk, escorting, protection)
    return float(min(reading.max_strike_risk, risk))


# --- the owners' decision to come -----------------------------------------------------------


@dataclass(frozen=True)
class Cover:
    """War-risk cover for the Gulf as underwriters hold it: in force, cancelled on notice
    (`notice_left` rounds still covered), or withdrawn."""

    notice_left: int = 0  # rounds of cover left under a notice of cancellation (0: none given)
    withdrawn: bool = False
    calm_rounds: int = 0  # while withdrawn: rounds in a row with every signal below reinstatement


@dataclass
class Market:
    """What the shipping market carries from round to round (the world keeps one): the war
    cover, and the attacks on ships that owners and charterers remember when they decide
    whether to send a ship (voyages are fixed weeks ahead: a longer memory than the branch's
    reading of risk, behaviour.memories.shipping_attacks)."""

    cover: Cover = Cover()
    attacks: float = 0.0


def attacks_remembered(remembered: float, attacked: int, memory: float) -> float:
    """The market's memory of attacks on ships after a round in which `attacked` were attacked
    (missiles and mines)."""
    return memory * remembered + attacked


def war_cover(
    cover: Cover, premium: float, attacks: float, host_salvos: float, params: WarCover
) -> Cover:
    """Cover at this round's arrivals. Underwriters give notice of cancellation when the
    premium, the attacks on shipping or the salvos at host states remembered reach their
    levels; a notice runs its `notice_rounds` and then cover is withdrawn, until all three have
    stayed below `reinstate_below` of their levels for `reinstate_after_rounds` rounds in a row
    (one round at a time: no random draw)."""
    if cover.withdrawn:
        below = params.reinstate_below
        calm = (
            premium < below * params.cancel_at_premium
            and attacks < below * params.cancel_at_attacks
            and host_salvos < below * params.cancel_at_host_salvos
        )
        calm_rounds = cover.calm_rounds + 1 if calm else 0
        if calm_rounds >= params.reinstate_after_rounds:
            return Cover()
        return Cover(withdrawn=True, calm_rounds=calm_rounds)
    if cover.notice_left:
        left = cover.notice_left - 1
        return Cover(withdrawn=True) if left == 0 else Cover(notice_left=left)
    if (
        premium >= params.cancel_at_premium
        or attacks >= params.cancel_at_attacks
        or host_salvos >= params.cancel_at_host_salvos
    ):
        if params.notice_rounds == 0:
            return Cover(withdrawn=True)
        return Cover(notice_left=params.notice_rounds)
    return cover


def expected_cost(
    costs: dict[str, list[float]], weights: VesselWeights, rationality: float
) -> float:
    """What coming to the Strait is expected to cost a ship, in basis points of its value: its
    choices' weighted costs, each times the chance it picks it (a ship that may still wait)."""
    utilities = _utilities(costs, weights)
    if rationality == 0.0:
        return -math.fsum(utilities) / len(utilities)
    top = max(utilities)
    shares = [math.exp(rationality * (utility - top)) for utility in utilities]
    total = math.fsum(shares)
    return -math.fsum(s * u for s, u in zip(shares, utilities, strict=True)) / total


def coming_share(
    cost_bp: float,
    remembered_attacks: float,
    cover: Cover,
    escorting: bool,
    demand: ShippingDemand,
) -> float:
    """The share of the owners who would send a ship in calm that send one this round: a logit
    of coming (the voyage's margin less the expected cost of coming, `cost_bp`, and the aversion
    to the attacks remembered, all in basis points) against staying away (0); while cover is
    withdrawn only those who sail uncovered come (more while CENTCOM escorts)."""
    utility = (
        demand.voyage_margin * BASIS_POINTS
        - cost_bp
        - demand.aversion_per_remembered_attack * BASIS_POINTS * remembered_attacks
    )
    x = demand.rationality * utility
    share = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
    if cover.withdrawn:
        params = demand.cover
        uncovered = params.sail_uncovered
        if escorting:
            uncovered += (1.0 - uncovered) * params.escort_restores
        share *= uncovered
    return share
