"""`run.py calibrate`: pattern-oriented calibration by rejection, and the path forward over it.

What it owns: the reference patterns (issue 9's six, each with its docs/sources.md anchor, a
window and whether it is validation or an input), the prior ranges of the uncertain behavioural
parameters (`PRIORS`), and the numbers the report shows. What it reuses: the sweep engine. Each
arm is an ordinary experiment file written into the output folder (a Latin hypercube over
`PRIORS`, one categorical level per lever), loaded by `load_experiment` and run by
`sweep.run_sweep` with its seeds from `SeedSequence`, its real worker processes and its Parquet
results; `run.py analyse` reads any of those folders too. Every arm shares the design seed and
the root seed, so the same parameter sets and the same run seeds meet every lever (common
random numbers): a lever's effect is a paired difference, point by point. The calm arm runs the
same points and seeds with the war scripted away (injects: the IRGC complies, CENTCOM holds and
negotiates, every round): peacetime traffic, which the free runs never show.

Rejection ABC (the simple kind): a parameter set is accepted when the statistic of its runs
(pooled rate, share or mean over its seeds) falls in every validation pattern's window.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from wargame.config.loader import load_experiment, load_scenario
from wargame.config.overrides import get_path
from wargame.config.schema import Scenario
from wargame.engine.intel import salvo_groups, site_layers
from wargame.engine.rules.defence import expected_raid, resolve_raid
from wargame.experiments.analysis import plural
from wargame.experiments.errors import StoreError
from wargame.experiments.outputs import link_problem
from wargame.experiments.patterns import WARM_UP_ROUNDS


class CalibrationError(Exception):
    """Runs of an arm failed: no report can be made from them."""


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
# figure; the demand's voyage_margin and cover.notice_rounds are left out (the first is set by
# the calm transit count, the second is sourced: S-war-cover-notice).
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
    "launched_ballistic",
    "intercepted_ballistic",
    "launched_drone",
    "intercepted_drone",
    "transits_calm_per_day",
    "transits_peak_per_day",
    "first_host_strike_casualties",
    "bahrain_intercepted_ballistic",
    "bahrain_intercepted_drone",
)

DEFAULT_RUNS = 6
DEFAULT_SAMPLES = 48
DEFAULT_RUNS_FACTOR = 4  # the default scenario gets this many times --runs seeds
DEFENCE_DRAWS = 4000  # Monte Carlo raids per defence-check case


# --------------------------------------------------------------------------- patterns


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
        return f"[{_num(self.low)}, {_num(self.high)}]"


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
        "Cost-exchange (interceptor USD per attacker USD)",
        "S-article-cost-exchange",
        "50 ($1M interceptor for a $20k drone)",
        20.0,
        200.0,
        statistic_text="interceptor spend / attacker spend, pooled over runs (all threat "
        "kinds: the engine books interceptor spend per raid, not per threat kind)",
        per_run=_column("cost_exchange"),
        statistic=_pooled("interceptor_spend_usd", "attacker_spend_usd"),
        note="window (assumption): $1M-$4M interceptors (S-pac3-mse) against $20k-$50k drones "
        "(S-shahed-136)",
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


# --------------------------------------------------------------------------- settings, arms


@dataclass(frozen=True)
class Settings:
    scenario: Path
    runs: int = DEFAULT_RUNS
    samples: int = DEFAULT_SAMPLES
    seed: int = 0
    out: Path = Path("results/calibration")
    workers: int = 0  # 0 = one per core

    @property
    def war_scenario(self) -> Path | None:
        """The war-before-the-MOU scenario beside the calibrated one, if there is one."""
        path = self.scenario.parent / WAR_SCENARIO
        return path if path.is_file() else None


def check_output(out: Path) -> None:
    """Refuse an output folder that can't be written before any run starts."""
    problem = link_problem(out)
    if problem:
        raise StoreError(f"--out: {problem}")
    if out.exists() and not out.is_dir():
        raise StoreError(f"--out: {out} exists and is not a folder; give a folder to write into")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".calibrate-write-check"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as error:
        raise StoreError(
            f"--out: cannot write to {out} ({error.strerror or error}); give a writable folder"
        ) from None


def arm_levers(scenario: Scenario, arm: str) -> dict[str, str]:
    """The lever values of an arm: the scenario's own, with the arm's levers flipped."""
    levers = {
        path: str(get_path(scenario.model_dump(mode="json"), path)) for path, _ in LEVERS.values()
    }
    for name in ARMS.get(arm, ()):
        path, value = LEVERS[name]
        levers[path] = value
    return levers


def experiment_data(settings: Settings, scenario: Scenario, arm: str) -> dict[str, Any]:
    """The experiment file of one arm, as data."""
    levers = arm_levers(scenario, arm)
    common = {
        "base_scenario": str(settings.scenario.resolve()),
        "rounds": scenario.clock.rounds,
        "root_seed": settings.seed,
        "outcomes": list(OUTCOMES),
        "output": f"../sweeps/{arm}",
        "execution": {"workers": settings.workers},
    }
    if arm == WAR_ARM:
        war = load_scenario(settings.war_scenario)
        return {
            "name": f"calibrate-{arm}",
            "description": "the war before the MOU at its own values: pattern 5 (Bahrain)",
            **common,
            "base_scenario": str(settings.war_scenario.resolve()),
            "rounds": war.clock.rounds,
            "replicates": settings.runs * DEFAULT_RUNS_FACTOR,
            "design": {"kind": "grid"},
            "parameters": {path: [value] for path, value in arm_levers(war, arm).items()},
        }
    if arm in (CALM_ARM, CALM_DEFAULT_ARM):
        common["base_scenario"] = str((settings.out / "experiments" / CALM_SCENARIO).resolve())
    if arm in (DEFAULT_ARM, CALM_DEFAULT_ARM):
        return {
            "name": f"calibrate-{arm}",
            "description": "the scenario's own values: the patterns at the default"
            + (", the war scripted away" if arm == CALM_DEFAULT_ARM else ""),
            **common,
            "replicates": settings.runs * DEFAULT_RUNS_FACTOR,
            "design": {"kind": "grid"},
            "parameters": {path: [value] for path, value in levers.items()},
        }
    parameters: dict[str, Any] = {
        prior.path: {"type": "real", "low": prior.low, "high": prior.high} for prior in PRIORS
    }
    # One level per lever: the same hypercube dimensions in every arm, so the same points.
    parameters.update(
        {path: {"type": "categorical", "values": [value]} for path, value in levers.items()}
    )
    return {
        "name": f"calibrate-{arm}",
        "description": f"rejection ABC hypercube, arm {arm}"
        + (", the war scripted away" if arm == CALM_ARM else ""),
        **common,
        "replicates": settings.runs,
        "design": {"kind": "latin_hypercube", "samples": settings.samples, "seed": settings.seed},
        "parameters": parameters,
    }


def calm_scenario(scenario: Scenario) -> dict[str, Any]:
    """The scenario with the war scripted away, as data: its own injects replaced by the IRGC
    complying and CENTCOM holding and negotiating in every round."""
    data = scenario.model_dump(mode="json")
    data["injects"] = [
        {"round": r, "kind": "action", "actor": actor, "action": action, "note": "calm arm"}
        for r in range(1, scenario.clock.rounds + 1)
        for actor, action in CALM_ACTIONS
    ]
    return data


def write_experiments(settings: Settings, scenario: Scenario) -> dict[str, Path]:
    folder = settings.out / "experiments"
    folder.mkdir(parents=True, exist_ok=True)
    calm = "# Written by `run.py calibrate`: the calibrated scenario, the war scripted away.\n"
    calm += yaml.safe_dump(calm_scenario(scenario), sort_keys=False)
    (folder / CALM_SCENARIO).write_text(calm, encoding="utf-8")
    written = {}
    extra = (WAR_ARM,) if settings.war_scenario is not None else ()
    for arm in (DEFAULT_ARM, CALM_DEFAULT_ARM, *ARMS, CALM_ARM, *extra):
        path = folder / f"{arm}.yaml"
        text = "# Written by `run.py calibrate`; `run.py sweep` runs it alone too.\n"
        text += yaml.safe_dump(experiment_data(settings, scenario, arm), sort_keys=False)
        path.write_text(text, encoding="utf-8")
        written[arm] = path
    return written


def run_arms(
    settings: Settings, files: dict[str, Path], say: Callable[[str], None], progress=None
) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    """Run every arm through the sweep engine; returns each arm's runs table and seconds."""
    from wargame.experiments.store import ResultStore
    from wargame.experiments.sweep import InProcessExecutor, local_pool, plan_sweep, run_sweep

    tables, seconds = {}, {}
    for arm, path in files.items():
        loaded = load_experiment(path)
        plan = plan_sweep(loaded)
        make_executor = (
            InProcessExecutor if plan.workers == 1 else (lambda w=plan.workers: local_pool(w))
        )
        say(f"  {arm}: {plan.total_runs:,} runs on {plan.workers} worker(s)")
        report = run_sweep(plan, make_executor, fresh=True, progress=progress)
        if progress is not None:
            say("")
        if report.interrupted:
            raise KeyboardInterrupt
        runs = ResultStore(loaded.output).read_runs()
        failed = runs[runs["status"] != "ok"]
        if len(failed):
            raise CalibrationError(
                f"arm {arm}: {len(failed)} of {len(runs)} runs failed, e.g. "
                f"{failed['error'].iloc[0]}"
            )
        tables[arm] = runs.sort_values(["point", "replicate"]).reset_index(drop=True)
        seconds[arm] = round(report.seconds, 1)
    return tables, seconds


# --------------------------------------------------------------------------- analysis


def _num(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def _quantiles(values: pd.Series) -> tuple[float | None, float | None]:
    values = values.dropna().astype(float)
    if not len(values):
        return None, None
    low, high = np.quantile(values.to_numpy(), [0.05, 0.95])
    return float(low), float(high)


def _clean(value):
    """JSON-able and rounded, so two runs' files compare equal to the digit."""
    if isinstance(value, float | np.floating):
        value = float(value)
        return round(value, 6) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def pattern_summary(pattern: Pattern, runs: pd.DataFrame | None) -> dict[str, Any]:
    """The statistic over `runs` and the 90% range of its per-run values."""
    if pattern.role not in ("validation", "war") or runs is None or runs.empty:
        return {"value": None, "p5": None, "p95": None, "runs_with_value": 0}
    per_run = pattern.per_run(runs)
    low, high = _quantiles(per_run)
    return {
        "value": pattern.statistic(runs),
        "p5": low,
        "p95": high,
        "runs_with_value": int(per_run.notna().sum()),
    }


def point_statistics(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per hypercube point: each validation pattern's statistic over its own arm's runs
    at that point (`tables`: arm -> runs), and pass/fail. A point with no run in a pattern's
    arm fails that pattern."""
    groups = {arm: dict(list(runs.groupby("point", sort=True))) for arm, runs in tables.items()}
    rows = []
    for point in sorted(groups["baseline"]):
        row: dict[str, Any] = {"point": int(point)}
        for pattern in VALIDATION:
            group = groups.get(pattern.arm, {}).get(point)
            value = pattern.statistic(group) if group is not None else None
            row[pattern.key] = value
            row[f"ok:{pattern.key}"] = pattern.holds(value)
        rows.append(row)
    table = pd.DataFrame(rows)
    table["accepted"] = table[[f"ok:{p.key}" for p in VALIDATION]].all(axis=1)
    return table


def design_of(runs: pd.DataFrame) -> pd.DataFrame:
    """The hypercube's points and their prior parameter values (from the runs table)."""
    columns = [f"param:{prior.path}" for prior in PRIORS]
    design = runs.groupby("point", sort=True)[columns].first()
    design.columns = [prior.path for prior in PRIORS]
    return design


def constraints(design: pd.DataFrame, stats: pd.DataFrame) -> dict[str, Any]:
    """Which patterns constrain which parameters: each pattern's rejection rate, and the shift
    of each parameter's median (as a share of its prior range) among the points that pass that
    pattern alone, against all points. A large shift means the pattern pins the parameter."""
    rejection = {p.key: float(1 - stats[f"ok:{p.key}"].mean()) for p in VALIDATION}
    passes = {p.key: int(stats[f"ok:{p.key}"].sum()) for p in VALIDATION}
    shifts: dict[str, dict[str, float | None]] = {}
    for pattern in VALIDATION:
        passing = design.loc[stats.set_index("point")[f"ok:{pattern.key}"].to_numpy()]
        shifts[pattern.key] = {
            prior.path: (
                float(
                    (passing[prior.path].median() - design[prior.path].median())
                    / (prior.high - prior.low)
                )
                if 0 < len(passing) < len(design)
                else None
            )
            for prior in PRIORS
        }
    return {"rejection": rejection, "passing": passes, "shift": shifts}


def accepted_ranges(design: pd.DataFrame, accepted: np.ndarray) -> list[dict[str, Any]]:
    rows = []
    for prior in PRIORS:
        values = design.loc[accepted, prior.path]
        rows.append(
            {
                "path": prior.path,
                "prior_low": prior.low,
                "prior_high": prior.high,
                "accepted_low": float(values.min()) if len(values) else None,
                "accepted_high": float(values.max()) if len(values) else None,
                "accepted_median": float(values.median()) if len(values) else None,
                "why": prior.why,
            }
        )
    return rows


# What each lever should do if the article is right: truce survival up, damage and cost down.
LEVER_OUTCOMES = {
    "truce_survival": ("share of runs with no MOU collapse", +1),
    "host_damage": ("value-weighted damage to host sites", -1),
    "cost_exchange": ("interceptor USD per attacker USD", -1),
}


def lever_point_values(runs: pd.DataFrame) -> pd.DataFrame:
    """Per point: truce survival, mean host damage, pooled cost-exchange (None without raids)."""
    grouped = runs.groupby("point", sort=True)
    attacker = grouped["attacker_spend_usd"].sum()
    return pd.DataFrame(
        {
            "truce_survival": grouped["truce_held"].mean().astype(float),
            "host_damage": grouped["host_damage"].mean().astype(float),
            "cost_exchange": (grouped["interceptor_spend_usd"].sum() / attacker).where(
                attacker > 0
            ),
        }
    )


BOOTSTRAP_RESAMPLES = 2000


def mean_interval(
    values: np.ndarray, rng: np.random.Generator
) -> tuple[float | None, float | None]:
    """90% percentile-bootstrap interval of the mean over parameter sets (each set's value is
    already its seeds' mean): how sure the ensemble's mean effect is, not how spread it is."""
    if len(values) < 2:
        return None, None
    draws = values[rng.integers(0, len(values), (BOOTSTRAP_RESAMPLES, len(values)))].mean(axis=1)
    low, high = np.quantile(draws, [0.05, 0.95])
    return float(low), float(high)


def lever_effects(
    tables: dict[str, pd.DataFrame], points: np.ndarray, seed: int = 0
) -> dict[str, Any]:
    """Each arm over the ensemble's points, and its paired difference from the baseline."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
    values = {arm: lever_point_values(tables[arm]).loc[points] for arm in ARMS}
    base = values["baseline"]
    arms: dict[str, Any] = {}
    for arm, table in values.items():
        runs = tables[arm][tables[arm]["point"].isin(points)]
        entry: dict[str, Any] = {}
        for name, (_, direction) in LEVER_OUTCOMES.items():
            column = table[name]
            low, high = _quantiles(column)
            entry[name] = {"mean": _mean(column), "p5_sets": low, "p95_sets": high}
            if name == "host_damage":
                entry[name]["p5_runs"], entry[name]["p95_runs"] = _quantiles(runs["host_damage"])
            if arm != "baseline":
                diff = (column - base[name]).dropna()
                dlow, dhigh = _quantiles(diff)
                sign = np.sign(diff.to_numpy()) * direction
                ci_low, ci_high = mean_interval(diff.to_numpy(dtype=float), rng)
                entry[name].update(
                    diff_mean=_mean(diff),
                    diff_ci_low=ci_low,
                    diff_ci_high=ci_high,
                    diff_p5=dlow,
                    diff_p95=dhigh,
                    share_helped=float((sign > 0).mean()) if len(diff) else None,
                    share_hurt=float((sign < 0).mean()) if len(diff) else None,
                    sets=int(len(diff)),
                )
        arms[arm] = entry
    return arms


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.mean()) if len(values) else None


def lever_sentences(effects: dict[str, Any]) -> list[str]:
    """Where the article's argument holds in the model and where not, one sentence per lever."""
    names = {
        "insulated_mou": "Insulating the MOU from Lebanon",
        "directed_energy": "Directed energy and EW",
        "c2_afloat": "Moving C2 afloat",
        "all_three": "All three together",
    }
    sentences = []
    for arm, label in names.items():
        parts = []
        for name in LEVER_OUTCOMES:
            effect = effects[arm][name]
            better, worse = effect.get("share_helped"), effect.get("share_hurt")
            if better is None or effect.get("sets", 0) == 0:
                parts.append(f"{name.replace('_', ' ')}: no parameter set to compare")
                continue
            parts.append(
                f"{name.replace('_', ' ')} {lever_verdict(better, worse)} (better in "
                f"{better:.0%}, worse in {worse:.0%} of {effect['sets']} parameter sets; "
                f"mean change {_num(effect['diff_mean'])}, 90% CI "
                f"{_num(effect['diff_ci_low'])} to {_num(effect['diff_ci_high'])})"
            )
        sentences.append(f"{label}: " + "; ".join(parts) + ".")
    return sentences


def lever_verdict(better: float, worse: float) -> str:
    """The article's claim for one outcome, from the shares of parameter sets (paired with the
    baseline) where the lever made it better and worse. Thresholds (assumption): a claim holds
    when it is better in most sets and worse in almost none."""
    if 1 - better - worse >= 0.7:
        return "makes little difference"
    if better >= 0.5 and worse <= 0.1:
        return "holds"
    if worse >= 0.5 and better <= 0.1:
        return "fails (the opposite happens)"
    return "is mixed" if better >= worse else "is mixed, leaning against"


def emergence(design: pd.DataFrame, runs: pd.DataFrame) -> dict[str, Any]:
    """The share of runs in the article's loop order over the whole hypercube, and by thirds of
    each parameter's prior range: where the loop stops emerging."""
    share = runs.groupby("point", sort=True)["loop_in_order"].mean().astype(float)
    regions: dict[str, list[float | None]] = {}
    for prior in PRIORS:
        edges = np.linspace(prior.low, prior.high, 4)
        third = np.clip(
            np.searchsorted(edges, design[prior.path].to_numpy(), side="right") - 1, 0, 2
        )
        regions[prior.path] = [
            float(share.to_numpy()[third == i].mean()) if (third == i).any() else None
            for i in range(3)
        ]
    return {
        "overall": float(runs["loop_in_order"].astype(float).mean()),
        "points_with_loop_majority": float((share >= 0.5).mean()),
        "by_third": regions,
    }


DEFENCE_SITES = ("nsa_bahrain", "ali_al_salem", "al_dhafra")
DEFENCE_SALVO_SHARES = (
    0.25,
    1.0,
)  # a quarter of the IRGC's salvo (channels to spare) and all of it


def defence_check(scenario: Scenario, seed: int) -> list[dict[str, Any]]:
    """Monte Carlo of `rules.defence.resolve_raid` against its closed form `expected_raid`, for
    a quarter and all of the IRGC's own salvo at each listed site under both defence mixes. Where no
    layer's fire channels or magazine bind, the closed form is exact and the two agree within 3
    standard errors; where they bind in some draws, the closed form applies saturation to
    expected counts (mean-field, `ExpectedRaid`), and the gap is that approximation's."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    salvo = scenario.actors.irgc.salvo_per_target
    cases = []
    for mix in ("point_defence", "directed_energy_ew"):
        variant = scenario.model_copy(
            update={"levers": scenario.levers.model_copy(update={"defence_mix": mix})}
        )
        sites = [s for s in DEFENCE_SITES if any(node.id == s for node in variant.nodes)]
        for share in DEFENCE_SALVO_SHARES:
            groups = salvo_groups(variant, salvo, missile_scale=share, drone_scale=share)
            for site in sites:
                cases.append(defence_case(site, mix, groups, site_layers(variant, site), rng))
    return cases


def defence_case(site: str, mix: str, groups, layers, rng: np.random.Generator) -> dict[str, Any]:
    closed = expected_raid(groups, layers)
    leaked = np.empty(DEFENCE_DRAWS)
    shots = np.empty(DEFENCE_DRAWS)
    for i in range(DEFENCE_DRAWS):
        outcome = resolve_raid(groups, layers, rng)
        leaked[i] = outcome.leaked.sum()
        shots[i] = outcome.shots.sum()
    threats = sum(g.count for g in groups)
    mc_leaked, cf_leaked = float(leaked.mean()), float(closed.leaked.sum())
    se = float(leaked.std(ddof=1) / math.sqrt(DEFENCE_DRAWS))
    return {
        "site": site,
        "mix": mix,
        "layers": "+".join(layer.system for layer in layers) or "none",
        "threats": int(threats),
        "closed_leaked": cf_leaked,
        "mc_leaked": mc_leaked,
        "mc_se": se,
        "closed_shots": float(closed.shots.sum()),
        "mc_shots": float(shots.mean()),
        "gap": (mc_leaked - cf_leaked) / cf_leaked if cf_leaked > 0 else None,
        "within_3se": bool(abs(mc_leaked - cf_leaked) <= 3 * se + 1e-9),
    }


# --------------------------------------------------------------------------- the whole


@dataclass
class Calibration:
    settings: dict[str, Any]
    priors: list[dict[str, Any]]
    patterns: list[dict[str, Any]]
    points: int
    accepted: int
    accepted_points: list[int]
    ensemble: str
    ranges: list[dict[str, Any]]
    constraints: dict[str, Any]
    levers: dict[str, Any]
    lever_sentences: list[str]
    defence: list[dict[str, Any]]
    emergence: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self, with_times: bool = True) -> str:
        data = {k: v for k, v in self.__dict__.items() if with_times or k != "seconds"}
        return json.dumps(_clean(data), indent=2, sort_keys=True)


def analyse(settings: Settings, scenario: Scenario, tables: dict[str, pd.DataFrame]) -> Calibration:
    baseline = tables["baseline"]
    design = design_of(baseline)
    stats = point_statistics(tables)
    accepted_mask = stats["accepted"].to_numpy()
    accepted_points = stats.loc[accepted_mask, "point"].astype(int).tolist()
    if accepted_points:
        ensemble_points = np.array(accepted_points)
        ensemble = f"the {len(accepted_points)} accepted parameter sets"
    else:
        ensemble_points = stats["point"].to_numpy()
        ensemble = (
            f"the whole prior ({len(ensemble_points)} parameter sets): none was accepted, so "
            "this is NOT a calibrated ensemble"
        )
    ensemble_runs = baseline[baseline["point"].isin(ensemble_points)]
    default_runs = tables[DEFAULT_ARM]
    rows = []
    war_runs = tables.get(WAR_ARM)
    for pattern in PATTERNS:
        if pattern.role == "war":
            at_default = pattern_summary(pattern, war_runs)
            over_ensemble = pattern_summary(pattern, None)
        elif pattern.arm == CALM_ARM:
            calm = tables[CALM_ARM]
            at_default = pattern_summary(pattern, tables[CALM_DEFAULT_ARM])
            over_ensemble = pattern_summary(pattern, calm[calm["point"].isin(ensemble_points)])
        else:
            at_default = pattern_summary(pattern, default_runs)
            over_ensemble = pattern_summary(pattern, ensemble_runs)
        row: dict[str, Any] = {
            "key": pattern.key,
            "number": pattern.number,
            "title": pattern.title,
            "source": pattern.source,
            "reference": pattern.reference,
            "window": pattern.window,
            "role": pattern.role,
            "statistic": pattern.statistic_text,
            "note": pattern.note,
            "default": at_default,
            "ensemble": over_ensemble,
        }
        if pattern.role == "validation":
            row["verdict"] = (
                "reproduced" if pattern.holds(at_default["value"]) else "not reproduced"
            ) + (" (partly input)" if pattern.partly_input else "")
            row["rejection_rate"] = float(1 - stats[f"ok:{pattern.key}"].mean())
            if pattern.partly_input:
                row["context"] = (
                    f"partly an input: {pattern.partly_input}, so it is kept in the acceptance "
                    "(it still constrains the owners' other demand parameters) but is not an "
                    "independent test"
                )
        elif pattern.role == "input":
            value = get_path(
                scenario.model_dump(mode="json"), "actors.centcom.limited_package_targets"
            )
            row["verdict"] = f"input: the scenario sets {value}"
        elif war_runs is None:
            row["verdict"] = "not available"
            row["context"] = (
                f"no {WAR_SCENARIO} beside {settings.scenario.name}: the war before the MOU "
                "was not run"
            )
        else:
            row["verdict"] = (
                "reproduced" if pattern.holds(at_default["value"]) else "not reproduced"
            )
            row["context"] = war_context(war_runs)
        rows.append(row)
    effects = lever_effects(tables, ensemble_points, settings.seed)
    return Calibration(
        settings={
            "scenario": str(settings.scenario),
            "runs": settings.runs,
            "samples": settings.samples,
            "seed": settings.seed,
            "default_runs": settings.runs * DEFAULT_RUNS_FACTOR,
            "rounds": scenario.clock.rounds,
        },
        priors=[prior.__dict__ for prior in PRIORS],
        patterns=rows,
        points=int(len(stats)),
        accepted=len(accepted_points),
        accepted_points=accepted_points,
        ensemble=ensemble,
        ranges=accepted_ranges(design, accepted_mask),
        constraints=constraints(design, stats),
        levers=effects,
        lever_sentences=lever_sentences(effects),
        defence=defence_check(scenario, settings.seed),
        emergence=emergence(design, baseline),
    )


def war_context(runs: pd.DataFrame) -> str:
    """Why the war scenario gives the Bahrain counts it does: how many of its runs reach a
    host-state strike at all, and when."""
    first = pd.to_numeric(runs["first_host_strike_round"], errors="coerce")
    struck = first.notna()
    when = (
        f", the first on day {_num(float(first[struck].median()))} (median)" if struck.any() else ""
    )
    return (
        f"{int(struck.sum())} of {len(runs)} war runs reach a host-state strike{when}. The model "
        "cannot start the war on day 1: the MOU's state is an output of the two ledgers that no "
        "actor's decision reads, so starting with no MOU in force changes nothing the actors "
        "weigh; the war still has to emerge from calm grievances (interdiction, then a US "
        "strike, then salvos at hosts) as after the MOU"
    )


def calibrate(
    settings: Settings, say: Callable[[str], None] = print, progress=None
) -> tuple[Calibration, list[Path]]:
    """Run every arm, analyse, and write calibration.json, calibration.txt and report.html."""
    from wargame.experiments.calibration_report import html_report, text_report

    started = time.perf_counter()
    check_output(settings.out)
    scenario = load_scenario(settings.scenario)
    files = write_experiments(settings, scenario)
    total = settings.runs * (
        settings.samples * (len(ARMS) + 1)
        + DEFAULT_RUNS_FACTOR * (3 if settings.war_scenario is not None else 2)
    )
    say(
        f"calibrate: {plural(settings.samples, 'parameter set')} x {plural(settings.runs, 'seed')} x "
        f"{len(ARMS)} arms and the calm arm + {settings.runs * DEFAULT_RUNS_FACTOR} runs at the "
        "default, calm and free"
        + (" and as many of the war" if settings.war_scenario is not None else "")
        + f" = {total:,} runs of "
        f"{scenario.clock.rounds} rounds"
    )
    tables, seconds = run_arms(settings, files, say, progress)
    result = analyse(settings, scenario, tables)
    seconds["total"] = round(time.perf_counter() - started, 1)
    result.seconds = seconds
    out = settings.out
    written = [out / "calibration.json", out / "calibration.txt", out / "report.html"]
    text = text_report(result)
    written[0].write_text(result.to_json() + "\n", encoding="utf-8")
    written[1].write_text(text, encoding="utf-8")
    written[2].write_text(html_report(result), encoding="utf-8")
    return result, written
