"""Commercial shipping: war-risk premiums, the vessel's choice of branch, interdiction and mines.

A vessel scores its four choices in basis points of its own value (expected loss, premium,
delay) and picks by the logit rule. In basis points every ship's costs are the same: ships
differ only in whether they may still wait, so the choices are scored once per kind of ship
and each ship draws from its kind's probabilities.
"""

from __future__ import annotations

import numpy as np

from wargame.config.ladder import VESSEL_CHOICES
from wargame.config.schema import PremiumModel, ShippingParams, VesselRisk, VesselWeights

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
    delay = [0.0] * CHOICES
    delay[COMPLY] = params.corridor_delay_rounds * delay_bp
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
    density, scenario behaviour.operations), as owners read it. Not capped at 1 here: the
    owners' reading never was, the hits below are (issue 9 may align them)."""
    return mine_density * hit_per_density


def mine_hits(
    transiting: int, mine_density: float, hit_per_density: float, rng: np.random.Generator
) -> int:
    """How many of this round's transiting vessels strike a mine."""
    return int(rng.binomial(transiting, min(1.0, mine_risk(mine_density, hit_per_density))))


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
