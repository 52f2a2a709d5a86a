"""The per-run numbers the calibration compares with the reference patterns (issue 9).

Read from a finished run's own metrics and event log, never recomputed from the model's state
by another rule: Strait transits a day after the lanes fill and before the first attack on
shipping (the whole run after the warm-up in a run with no attack, such as the calibration's
calm arm) and at the war's peak, their fall under attacks on shipping that a scenario's injects
report (the calibration's Red Sea arm), the deaths in the first night of host-state strikes, and
the interceptions over Bahrain.
`single_run.summarise` adds these to a run's summary, so a sweep keeps them as outcomes
(experiments/outcomes.py) like any other.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Rounds a run needs before its transit count means anything: ships that arrive in round 1
# are still in the Strait, and the lanes fill over four days (measured with the war scripted
# away, gulf_2026, 6 seeds: ~10 transits in round 2, ~40 in round 3, ~75 in round 4, ~100 from
# round 5 on), so the calm-time mean starts at round 5. The calibration reads it on its calm
# arm (the war scripted away), where it is the steady state of the owners' demand in peace.
WARM_UP_ROUNDS = 4
# The war's peak is the lowest mean over this many days: the reference figure ("below 10 a
# day at the 2026 peak", docs/sources.md#S-hormuz-transits) is a weekly level, not one day.
PEAK_WINDOW_ROUNDS = 7
# The host-state strike phase (events.Event.phase == 3): the raids on host states.
HOST_STRIKE_PHASE = 3
INTERDICTION_PHASE = 1

# The fall of traffic under attacks reported by someone outside the game (injects of kind
# shipping_attacks): the mean over the last this many days of the reports, the level traffic
# settles at (the Red Sea's reference is a month's count, not the first days' pause).
SETTLED_WINDOW_ROUNDS = 7

PATTERN_OUTCOMES = (
    "transits_calm_per_day",
    "transits_peak_per_day",
    "transits_fall_under_reported_attacks",
    "first_host_strike_casualties",
    "bahrain_intercepted_ballistic",
    "bahrain_intercepted_drone",
)


def pattern_values(model) -> dict[str, Any]:
    """The run's pattern numbers; None where the run has no such moment (no attack on a ship,
    no host-state strike, or too few rounds around it)."""
    transits = np.asarray(model.datacollector.model_vars["transits"], dtype=np.float64)
    rounds = np.asarray(model.datacollector.model_vars["round"], dtype=np.int64)
    firsts = model.phase_firsts
    first_attack = firsts.get(INTERDICTION_PHASE)
    first_host = firsts.get(HOST_STRIKE_PHASE)
    return {
        "transits_calm_per_day": calm_transits(transits, rounds, first_attack),
        "transits_peak_per_day": peak_transits(transits, rounds, first_attack),
        "transits_fall_under_reported_attacks": reported_fall(
            transits, rounds, reported_attack_rounds(model.spec)
        ),
        "first_host_strike_casualties": first_night_casualties(model.events, first_host),
        **bahrain_interceptions(model.events),
    }


def calm_transits(transits: np.ndarray, rounds: np.ndarray, first_attack: int | None):
    """Mean transits a day after the warm-up and before the first attack on a ship (the whole
    run after the warm-up if none came); None when fewer than 3 such days."""
    end = first_attack if first_attack is not None else int(rounds.max(initial=0)) + 1
    calm = transits[(rounds > WARM_UP_ROUNDS) & (rounds < end)]
    return round(float(calm.mean()), 6) if calm.size >= 3 else None


def peak_transits(transits: np.ndarray, rounds: np.ndarray, first_attack: int | None):
    """The lowest 7-day mean of transits a day from the first attack on a ship on; None when
    no ship was attacked or fewer than 7 days followed."""
    if first_attack is None:
        return None
    war = transits[rounds >= first_attack]
    if war.size < PEAK_WINDOW_ROUNDS:
        return None
    window = np.ones(PEAK_WINDOW_ROUNDS) / PEAK_WINDOW_ROUNDS
    return round(float(np.convolve(war, window, mode="valid").min()), 6)


def first_night_casualties(events, first_host: int | None):
    """Deaths booked by the host-state raids of the round of the first host-state strike
    (the article's first overnight salvos); None when no host state was struck. The engine
    counts every death at the site (US personnel and civilians under debris) in one number."""
    if first_host is None:
        return None
    return int(
        sum(
            event.figures.get("casualties", 0)
            for event in events
            if event.phase == HOST_STRIKE_PHASE and event.round == first_host
        )
    )


def bahrain_interceptions(events) -> dict[str, int]:
    """Ballistic missiles and drones intercepted over Bahrain's sites in the whole run."""
    totals = {"ballistic": 0, "drone": 0}
    for event in events:
        figures = event.figures
        if event.phase == HOST_STRIKE_PHASE and figures.get("host") == "bahrain":
            intercepted = figures.get("intercepted", {})
            for kind in totals:
                totals[kind] += int(intercepted.get(kind, 0))
    return {f"bahrain_intercepted_{kind}": count for kind, count in totals.items()}


def reported_attack_rounds(scenario) -> list[int]:
    """The rounds of the scenario's injects that report attacks on shipping, in order."""
    return sorted({i.round for i in scenario.injects if i.kind == "shipping_attacks"})


def reported_fall(transits: np.ndarray, rounds: np.ndarray, attack_rounds: list[int]):
    """Transits under reported attacks, as a share of the calm before them: the mean over the
    last 7 days of the reports (the level traffic settles at, as a month's count is; the first
    days of reports also hold ships already under way, a pause that passes) over the mean after
    the warm-up and before the first report. None with no reported attacks, fewer than 3 calm
    days before them, or fewer than 7 days of reports."""
    if not attack_rounds:
        return None
    first, last = attack_rounds[0], attack_rounds[-1]
    calm = transits[(rounds > WARM_UP_ROUNDS) & (rounds < first)]
    settled = transits[(rounds > last - SETTLED_WINDOW_ROUNDS) & (rounds <= last)]
    if calm.size < 3 or last - first + 1 < SETTLED_WINDOW_ROUNDS or calm.mean() <= 0:
        return None
    if settled.size < SETTLED_WINDOW_ROUNDS:
        return None
    return round(float(settled.mean() / calm.mean()), 6)
