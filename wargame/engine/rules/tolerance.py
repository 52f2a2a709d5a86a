"""Host-state tolerance for hosting US forces, and when it turns into basing restrictions."""

from __future__ import annotations

from wargame.config.schema import HostParams

# How much one round's harm erodes tolerance (per unit of each harm measure).
DAMAGE_EROSION = 0.04
CASUALTY_EROSION = 0.02
FORCE_MAJEURE_EROSION = 0.03
# Per $100M of interceptors fired in the host's defence: the seed's "sustainability crisis for
# host-nation defense budgets" when a $4M interceptor meets a $20k drone.
SPENDING_EROSION = 0.03


def next_tolerance(
    tolerance: float,
    damage: float,
    casualties: float,
    force_majeure_rounds: int,
    params: HostParams,
    interceptor_spend_usd: float = 0.0,
) -> float:
    """Harm and the defence bill erode tolerance; quiet rounds let it recover toward the start."""
    erosion = (
        DAMAGE_EROSION * damage
        + CASUALTY_EROSION * casualties
        + FORCE_MAJEURE_EROSION * force_majeure_rounds
        + SPENDING_EROSION * interceptor_spend_usd / 1e8
    )
    recovered = tolerance + params.tolerance_recovery * (params.tolerance_start - tolerance)
    return min(1.0, max(0.0, recovered - erosion))


def basing_restricted(tolerance: float, chose_restriction: bool, params: HostParams) -> bool:
    """A host restricts offensive use of its bases by choice, or when tolerance runs out."""
    return chose_restriction or tolerance < params.restrict_below
