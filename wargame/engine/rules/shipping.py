"""Commercial shipping: war-risk premiums, the vessel's choice of branch, interdiction and mines.

Vectorised over every vessel that chooses this round: a vessel scores its four choices in basis
points of its own value (expected loss, premium, delay) and picks by the logit rule.
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


def vessel_costs(
    values_usd: np.ndarray,
    outside_strike_prob: float,
    mine_risk: float,
    premium: float,
    can_wait: np.ndarray,
    params: ShippingParams,
    risk: VesselRisk,
) -> dict[str, np.ndarray]:
    """Raw cost terms (basis points of value) for each choice: arrays of shape (vessels, 4).
    `risk` is how owners read the risks (scenario behaviour.vessels)."""
    n = len(values_usd)
    loss = params.strike_loss_fraction * BASIS_POINTS
    delay_bp = params.delay_cost_per_round * BASIS_POINTS
    # Every ship's row is the same (costs are in basis points of its own value): each term's
    # row is built once in Python floats and repeated, not assembled column by column.
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
    feasible = np.ones((n, CHOICES), dtype=bool)
    feasible[:, WAIT] = can_wait  # a ship that has waited its limit must move or turn back
    return {
        "expected_loss": np.full((n, CHOICES), expected_loss),
        "premium": np.full((n, CHOICES), premium_bp),
        "delay": np.full((n, CHOICES), delay),
        "feasible": feasible,
    }


def vessel_utilities(costs: dict[str, np.ndarray], weights: VesselWeights) -> np.ndarray:
    """Minus the weighted costs; an infeasible choice gets -inf (probability 0 at any lambda)."""
    utilities = -(
        weights.expected_loss * costs["expected_loss"]
        + weights.premium * costs["premium"]
        + weights.delay * costs["delay"]
    )
    utilities[~costs["feasible"]] = -np.inf
    return utilities


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
