"""Host-state tolerance for hosting US forces, and when it turns into basing restrictions."""

from __future__ import annotations

from wargame.config.schema import HostBehaviour, HostParams, ToleranceErosion

USD_PER_100M = 1e8  # the unit of spending erosion (ToleranceErosion.spending_per_100m_usd)


def next_tolerance(
    tolerance: float,
    damage: float,
    casualties: float,
    force_majeure_rounds: int,
    params: HostParams,
    rates: ToleranceErosion,
    interceptor_spend_usd: float = 0.0,
) -> float:
    """The round's new harm (`damage`, `casualties`: booked this round, not the remembered
    harm of earlier rounds, which was charged when it happened), force majeure and the defence
    bill erode tolerance (`rates`: scenario behaviour.hosts.erosion); quiet rounds let it
    recover toward the start."""
    erosion = (
        rates.damage * damage
        + rates.casualties * casualties
        + rates.force_majeure * force_majeure_rounds
        + rates.spending_per_100m_usd * interceptor_spend_usd / USD_PER_100M
    )
    recovered = tolerance + params.tolerance_recovery * (params.tolerance_start - tolerance)
    return min(1.0, max(0.0, recovered - erosion))


def basing_restricted(tolerance: float, chose_restriction: bool, params: HostParams) -> bool:
    """A host restricts offensive use of its bases by choice, or when tolerance runs out."""
    return chose_restriction or tolerance < params.restrict_below


def host_threat(us_strikes: float, host_strikes: float, rates: HostBehaviour) -> float:
    """The threat every host reads (0-1): recent US strikes on Iran invite retaliation, recent
    IRGC salvos at hosts show it (their memories, scenario behaviour.memories)."""
    return min(
        1.0,
        rates.threat_per_us_strike * us_strikes + rates.threat_per_host_strike * host_strikes,
    )
