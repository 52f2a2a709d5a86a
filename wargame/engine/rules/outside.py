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
    level = intensity + drift + params.volatility * noise + flare
    # np.clip(level, 0, 1)'s own rule for one number, without its round trip through an array.
    level = 0.0 if level < 0.0 else level  # (-0.0 stays -0.0, as in np.clip)
    return float(1.0 if level > 1.0 else level)
