"""Outside processes: the Lebanon front, the linkage variable Tehran writes into its ledger."""

from __future__ import annotations

import numpy as np

from wargame.config.schema import LebanonParams


def next_lebanon_intensity(
    intensity: float, params: LebanonParams, rng: np.random.Generator
) -> float:
    """Mean-reverting intensity in [0, 1] with occasional flare-ups.

    Always draws the same two numbers, whatever the parameters, so that changing Lebanon's
    level never shifts the random stream the rest of the model sees.
    """
    noise, flare_draw = rng.standard_normal(), rng.random()
    drift = params.reversion * (params.mean - intensity)
    flare = params.flare_size if flare_draw < params.flare_probability else 0.0
    return float(np.clip(intensity + drift + params.volatility * noise + flare, 0.0, 1.0))
