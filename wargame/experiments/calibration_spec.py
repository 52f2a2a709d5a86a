"""What `run.py calibrate` compares and varies (issue 9): the prior ranges of the uncertain
behavioural parameters (`PRIORS`), the lever arms of the article's path forward, the outcomes each
run keeps, and the reference patterns (each with its docs/sources.md anchor, its window, its
statistic and whether it is validation, an input or the war before the MOU)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wargame.experiments.patterns import PATTERN_OUTCOMES, WARM_UP_ROUNDS


@dataclass(frozen=True)
class Prior:
    """One uncertain behavioural parameter: its dotted scenario path, its prior range (inside
    the schema's range; every point is validated as a whole scenario before a run) and why."""

    path: str
    low: float
    high: float
    why: str


# The uncertain parameters: the actors' logit rationality and the cost-term weights that set
# the loop's order and pace (all "assumption" in the scenario, none has a public figure), and
# the three numbers the interception patterns read directly (a weapon's reliability and a
# Patriot's detection, whose documented values the UAE's figures bound). Ranges: about half to
# twice the scenario's value for weights, the plausible band for probabilities. The shipping
# owners' decision to come (shipping.demand.*) and the hosts' reading of harm (behaviour.hosts.*)
# are in too where their yaml comments call them a behavioural assumption with no public
# figure, as are the corridor's own costs (inspection delay, sanctions exposure); the demand's
# voyage_margin and cover.notice_rounds are left out (the first is set by the calm transit
# count, the second is sourced: S-war-cover-notice).
PRIORS: tuple[Prior, ...] = (
    Prior("actors.irgc.rationality", 1.0, 6.0, "logit lambda: from noisy to near-rational"),
    Prior("actors.irgc.weights.sovereignty", 1.0, 3.0, "the retaliation driver, x0.5-x1.5"),
    Prior("actors.irgc.weights.host_leverage", 0.5, 2.0, "coercive value of striking hosts"),
    Prior("actors.irgc.weights.regime_risk", 2.0, 6.0, "the escalation ceiling, x0.5-x1.5"),
    Prior("actors.centcom.rationality", 1.0, 6.0, "logit lambda: from noisy to near-rational"),
    Prior("actors.centcom.weights.unanswered_violations", 1.0, 3.0, "reciprocity, x0.5-x1.5"),
    Prior("actors.centcom.weights.interceptor_use", 0.0, 1.0, "the DE lever's sign (issue 9)"),
    Prior("weapons.fateh_313.reliability", 0.80, 0.99, "UAE: >= 0.94 (15 of 238 at sea)"),
    Prior("weapons.shahed_136.reliability", 0.80, 0.99, "cheap airframe; UAE: few duds"),
    Prior("interceptors.pac3_mse.detection", 0.85, 0.99, "track quality of a Patriot radar"),
    Prior("shipping.demand.rationality", 0.025, 0.095, "owners' spread in what keeps them away"),
    Prior(
        "shipping.demand.aversion_per_remembered_attack",
        0.0004,
        0.0016,
        "crews' and charterers' caution per attack, x0.5-x2 (Red Sea shape)",
    ),
    Prior("shipping.demand.attack_memory", 0.8, 0.95, "owners remember an attack ~3-14 days"),
    Prior("shipping.demand.cover.cancel_at_attacks", 2.5, 10.0, "a campaign, not an incident"),
    Prior("shipping.demand.cover.sail_uncovered", 0.02, 0.10, "owners sailing without cover"),
    Prior("shipping.inspection_rounds", 0.25, 2.0, "an IRGC boarding holds a ship hours to 2 days"),
    Prior("shipping.sanctions_exposure", 0.0001, 0.002, "no figure: x0.2-x4 of the 0.05% guess"),
    Prior("behaviour.hosts.depleted_harm", 5.0, 20.0, "harm feared with magazines spent, x0.5-x2"),
    Prior("behaviour.hosts.threat_per_us_strike", 0.3, 0.9, "US strikes as the hosts' warning"),
    Prior("behaviour.hosts.erosion.damage", 0.02, 0.08, "tolerance lost per damage unit, x0.5-x2"),
)


# The article's path forward, one lever at a time and all three (docs/sources.md#S-article-path-forward).
LEVERS = {
    "mou_linkage": ("levers.mou_linkage", "insulated"),
    "defence_mix": ("levers.defence_mix", "directed_energy_ew"),
    "c2_posture": ("levers.c2_posture", "distributed_afloat"),
}


ARMS: dict[str, tuple[str, ...]] = {
    "baseline": (),
    "insulated_mou": ("mou_linkage",),
    "directed_energy": ("defence_mix",),
    "c2_afloat": ("c2_posture",),
    "all_three": ("mou_linkage", "defence_mix", "c2_posture"),
}


# The arms that flip a lever: run over the accepted parameter sets only, after the screening.
LEVER_ARMS = tuple(arm for arm in ARMS if ARMS[arm])
DEFAULT_ARM = "default"  # the scenario's own values, many seeds: the "at the default" column


# The war before the MOU (pattern 5): its own scenario at its own values, as many seeds as the
# default arm. A sibling of the calibrated scenario's file; without one the row says so.
WAR_ARM = "war"


WAR_SCENARIO = "gulf_2026_war.yaml"


# Peacetime traffic (pattern 4, before the war): the hypercube's parameter sets and seeds, and
# the default's, on the scenario with the war scripted away: every round the IRGC complies and
# CENTCOM holds and negotiates (injects of kind "action"), so no ship is attacked and the
# transit count is the owners' demand in calm. Its scenario is written beside the experiments.
CALM_ARM = "calm"
CALM_DEFAULT_ARM = "default_calm"
CALM_SCENARIO = "calm_scenario.yaml"
CALM_ACTIONS = (("irgc", "comply"), ("centcom", "hold_and_negotiate"))
# The Red Sea's fall (pattern 4): the calm arm with attacks on shipping reported by someone
# outside the game (injects of kind shipping_attacks) at the Red Sea's early-2024 rate, about
# 0.4 a day (assumption: over a hundred attacks on ships in the Houthi campaign's first months),
# for three weeks after the lanes fill.
RED_SEA_ARM = "red_sea"
RED_SEA_DEFAULT_ARM = "default_red_sea"
RED_SEA_SCENARIO = "red_sea_scenario.yaml"
RED_SEA_ATTACKS_A_DAY = 0.4
RED_SEA_ROUNDS = range(11, 31)
# Each scripted arm: its arm at the default values and its scenario file's name.
SCRIPTED_ARMS = {
    CALM_ARM: (CALM_DEFAULT_ARM, CALM_SCENARIO, "the war scripted away"),
    RED_SEA_ARM: (
        RED_SEA_DEFAULT_ARM,
        RED_SEA_SCENARIO,
        "the war scripted away, attacks on shipping reported at the Red Sea's rate",
    ),
}


OUTCOMES = (
    "truce_held",
    "mou_collapsed_round",
    "loop_in_order",
    "first_interdiction_round",
    "first_centcom_strike_round",
    "first_host_strike_round",
    "host_damage",
    "casualties",
    "interceptor_spend_usd",
    "attacker_spend_usd",
    "cost_exchange",
    "interceptor_spend_drone_usd",
    "attacker_spend_drone_usd",
    "cost_exchange_drone",
    "interceptor_usd_per_drone_engaged",
    "launched_ballistic",
    "intercepted_ballistic",
    "launched_drone",
    "intercepted_drone",
    *PATTERN_OUTCOMES,  # the per-run pattern numbers (experiments/patterns.py)
)


# The default size: 400 sets x 4 seeds screens ~3,200 runs (a few minutes on 2 cores) and
# accepts a few per cent of the sets; the lever arms then run the accepted ones only.
DEFAULT_RUNS = 4
DEFAULT_SAMPLES = 400
DEFAULT_RUNS_FACTOR = 4  # the default scenario gets this many times --runs seeds


def _ratio(numerator: str, denominator: str) -> Callable[[pd.DataFrame], pd.Series]:
    def per_run(runs: pd.DataFrame) -> pd.Series:
        den = runs[denominator].astype(float)
        return runs[numerator].astype(float).where(den > 0) / den.where(den > 0)

    return per_run


def _pooled(numerator: str, denominator: str) -> Callable[[pd.DataFrame], float | None]:
    def statistic(runs: pd.DataFrame) -> float | None:
        den = float(runs[denominator].fillna(0).sum())
        return float(runs[numerator].fillna(0).sum()) / den if den > 0 else None

    return statistic


def _column(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda runs: runs[name].astype(float)


def _mean_of(name: str) -> Callable[[pd.DataFrame], float | None]:
    def statistic(runs: pd.DataFrame) -> float | None:
        values = runs[name].dropna().astype(float)
        return float(values.mean()) if len(values) else None

    return statistic


@dataclass(frozen=True)
class Pattern:
    """One reference pattern. `role`: validation (in the acceptance), input (a value the
    scenario is given, not a test of the model) or unavailable (the model cannot produce it
    yet; `note` says why). The window is the tolerance: the statistic must fall in it."""

    key: str
    number: int
    title: str
    source: str
    reference: str
    low: float | None = None
    high: float | None = None
    role: str = "validation"
    statistic_text: str = ""
    per_run: Callable[[pd.DataFrame], pd.Series] | None = None
    statistic: Callable[[pd.DataFrame], float | None] | None = None
    note: str = ""
    # The arm whose runs the statistic reads: the free runs of the hypercube ("baseline") or,
    # for peacetime traffic, the same parameter sets and seeds with the war scripted away.
    arm: str = "baseline"
    # Partly an input: a scenario value was set from this reference figure; the row stays in
    # the acceptance (it still constrains the other parameters) and its verdict says so.
    partly_input: str = ""

    def holds(self, value: float | None) -> bool:
        return value is not None and self.low <= value <= self.high

    @property
    def window(self) -> str:
        if self.role not in ("validation", "war"):
            return "-"
        return f"[{num_text(self.low)}, {num_text(self.high)}]"


BAHRAIN_NOTE = (
    "window (assumption): half to twice the count, since the article does not date the end of "
    "its count and the scenario's end (31 Mar 2026) is itself an assumption; judged at the war "
    "scenario's own values, not in the acceptance (the hypercube runs the post-MOU scenario)"
)


def bahrain_pattern(key: str, kind: str, label: str, count: int) -> Pattern:
    """Pattern 5, one threat kind: intercepted over Bahrain's sites in the war before the MOU
    (gulf_2026_war.yaml, 28 Feb - 31 Mar 2026, no MOU at round 1), mean over its runs."""
    column = f"bahrain_intercepted_{kind}"
    return Pattern(
        key,
        5,
        f"Bahrain: {label} intercepted in the war",
        "S-bahrain-intercepts",
        f"{count} {label} since late Feb 2026",
        count / 2,
        count * 2,
        role="war",
        statistic_text=f"{label} intercepted over Bahrain's sites in a run of "
        "gulf_2026_war.yaml (28 Feb - 31 Mar 2026, no MOU at round 1), mean over runs",
        per_run=_column(column),
        statistic=_mean_of(column),
        note=BAHRAIN_NOTE,
    )


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "loop_order",
        1,
        "Loop phase order",
        "S-article-loop",
        "interdiction -> CENTCOM strike -> host-state strike",
        0.5,
        1.0,
        statistic_text="share of runs in the article's order (model.phase_sequence())",
        per_run=_column("loop_in_order"),
        statistic=_mean_of("loop_in_order"),
        note="window (assumption): the article's order in at least half the runs",
    ),
    Pattern(
        "bm_interception",
        2,
        "BM intercepted / launched",
        "S-uae-intercepts",
        "0.93 (221 of 238, UAE to 8 Mar 2026)",
        0.90,
        0.96,
        statistic_text="ballistic missiles intercepted / launched, pooled over runs",
        per_run=_ratio("intercepted_ballistic", "launched_ballistic"),
        statistic=_pooled("intercepted_ballistic", "launched_ballistic"),
        note="window (assumption): +-3 points, about the binomial 90% band of 238 shots",
    ),
    Pattern(
        "uav_interception",
        2,
        "UAV intercepted / launched",
        "S-uae-intercepts",
        "0.94 (1,342 of 1,422, UAE to 8 Mar 2026)",
        0.91,
        0.97,
        statistic_text="drones intercepted / launched, pooled over runs",
        per_run=_ratio("intercepted_drone", "launched_drone"),
        statistic=_pooled("intercepted_drone", "launched_drone"),
        note="window (assumption): +-3 points",
    ),
    Pattern(
        "first_night_casualties",
        3,
        "Deaths, first host-strike night",
        "S-article-zero-casualties",
        "0 US casualties",
        0.0,
        1.0,
        statistic_text="deaths in the round of the first host-state strike, mean over runs "
        "that had one (the engine counts US and civilian deaths together: an upper bound)",
        per_run=_column("first_host_strike_casualties"),
        statistic=_mean_of("first_host_strike_casualties"),
        note="window (assumption): at most one death a first night on average",
    ),
    Pattern(
        "transits_calm",
        4,
        "Transits a day, before the war (calm arm)",
        "S-hormuz-transits",
        "~80-130 a day in peace",
        80.0,
        130.0,
        statistic_text=f"mean transits a day from round {WARM_UP_ROUNDS + 1} on (after the lanes "
        "fill), in the calm arm: the same parameter sets and seeds with the war scripted away "
        "(IRGC comply, CENTCOM hold_and_negotiate every round)",
        per_run=_column("transits_calm_per_day"),
        statistic=_mean_of("transits_calm_per_day"),
        note="the reference is peacetime traffic, before the 2026 war, not the days after the "
        "MOU: the free runs attack a ship on day 3-5, while the lanes still fill",
        arm=CALM_ARM,
        partly_input="shipping.demand.voyage_margin was set from this figure",
    ),
    Pattern(
        "transits_peak",
        4,
        "Transits a day, at the peak",
        "S-hormuz-transits",
        "< 10 a day",
        0.0,
        10.0,
        statistic_text="lowest 7-day mean of transits a day after the first attack on a ship, "
        "mean over runs with such an attack",
        per_run=_column("transits_peak_per_day"),
        statistic=_mean_of("transits_peak_per_day"),
    ),
    Pattern(
        "red_sea_fall",
        4,
        "Transits under attacks at the Red Sea's rate, share of calm",
        "S-red-sea-2024",
        "0.41 (Suez transits a month > 2,100 -> 852, < 5% of ships attacked)",
        0.0,
        0.6,
        statistic_text="mean transits over the last 7 days of attacks reported at ~0.4 a day for "
        f"three weeks (rounds {RED_SEA_ROUNDS.start}-{RED_SEA_ROUNDS.stop - 1}), over the calm "
        "mean before them, in the Red Sea arm: the calm arm's sets and seeds with the attacks "
        "reported by injects of kind shipping_attacks (no IRGC fire), mean over runs",
        per_run=_column("transits_fall_under_reported_attacks"),
        statistic=_mean_of("transits_fall_under_reported_attacks"),
        note="window (assumption): below 60% of calm, the Red Sea's fall (to ~41%) with room for "
        "a Strait where owners have no Cape route; the attack rate is an assumption",
        arm=RED_SEA_ARM,
    ),
    *(
        bahrain_pattern(key, kind, label, count)
        for key, kind, label, count in (
            ("bahrain_bm", "ballistic", "BM", 112),
            ("bahrain_uav", "drone", "UAV", 186),
        )
    ),
    Pattern(
        "cost_exchange",
        6,
        "Cost-exchange per drone (interceptor USD per drone USD)",
        "S-article-cost-exchange",
        "50 (a '$1M' Patriot for a $20k drone)",
        20.0,
        400.0,
        statistic_text="interceptor USD fired at drones / USD of drones launched at defended "
        "sites, pooled over runs (the engine books interceptor spend per threat kind)",
        per_run=_column("cost_exchange_drone"),
        statistic=_pooled("interceptor_spend_drone_usd", "attacker_spend_drone_usd"),
        note="window (assumption): from one $1M interceptor (the article) to two $4M PAC-3s "
        "(S-pac3-mse, S-al-udeid-2025: ~2 a threat) per drone, against $20k-$50k drones "
        "(S-shahed-136): 20 to 400. The window was 20-200 while the statistic pooled every "
        "threat kind; it omitted shots per threat",
        partly_input="interceptor unit costs and shots per threat are scenario inputs; the "
        "model adds only which layers meet the drones",
    ),
    Pattern(
        "strike_package",
        0,
        "CENTCOM's limited package: 10 targets",
        "S-article-centcom-strike",
        "10 targets",
        role="input",
        statistic_text="actors.centcom.limited_package_targets (a scenario input, not validation)",
    ),
)


VALIDATION = tuple(p for p in PATTERNS if p.role == "validation")


def num_text(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def quantiles90(values: pd.Series) -> tuple[float | None, float | None]:
    values = values.dropna().astype(float)
    if not len(values):
        return None, None
    low, high = np.quantile(values.to_numpy(), [0.05, 0.95])
    return float(low), float(high)


def mean_or_none(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.mean()) if len(values) else None
