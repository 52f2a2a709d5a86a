"""`run.py calibrate`: pattern-oriented calibration by rejection, and the path forward over it.

What it owns: the order of the work and the numbers the report shows. What the calibration
compares and varies (patterns, priors, arms, outcomes) is `calibration_spec`; writing and
running the arms is `calibration_arms`; the levers' paired effects are `calibration_levers`;
the text and HTML report is `calibration_report`.

Two stages. The screening runs the hypercube (a Latin hypercube over `PRIORS`) free, calm (the
war scripted away: peacetime traffic, which the free runs never show) and at the Red Sea's rate
(the calm arm with attacks on shipping reported), and the scenario's own values in each; the war
before the MOU runs at its own values. Rejection ABC (the simple kind) accepts a parameter set
when the statistic of its runs (pooled rate, share or mean over its seeds) falls in every
validation pattern's window. Then the lever arms run the accepted sets only, each with the seeds
it has in the hypercube, so every lever meets the baseline's parameter sets and seeds (common
random numbers): a lever's effect is a paired difference, set by set. Every arm is an ordinary
experiment file run by the sweep engine (real worker processes, Parquet results), which
`run.py sweep` and `run.py analyse` read too.
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

from wargame.config.loader import load_scenario
from wargame.config.overrides import get_path
from wargame.config.schema import Scenario
from wargame.engine.intel import salvo_groups, site_layers
from wargame.engine.rules.defence import expected_raid, resolve_raid
from wargame.experiments.analysis import plural
from wargame.experiments.calibration_arms import (
    Settings,
    check_output,
    run_arms,
    write_experiments,
)
from wargame.experiments.calibration_levers import lever_effects, lever_sentences
from wargame.experiments.calibration_spec import (
    DEFAULT_ARM,
    DEFAULT_RUNS_FACTOR,
    LEVER_ARMS,
    PATTERNS,
    PRIORS,
    SCRIPTED_ARMS,
    VALIDATION,
    WAR_ARM,
    WAR_SCENARIO,
    Pattern,
    num_text,
    quantiles90,
)

DEFENCE_DRAWS = 4000  # Monte Carlo raids per defence-check case


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
    low, high = quantiles90(per_run)
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


def accepted_ranges(
    design: pd.DataFrame, accepted: np.ndarray, scenario: Scenario
) -> list[dict[str, Any]]:
    """Per prior parameter: its prior, the accepted range and median (the posterior median,
    the point estimate a scenario's value is taken from) and the scenario's own value."""
    data = scenario.model_dump(mode="json")
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
                "scenario": float(get_path(data, prior.path)),
                "why": prior.why,
            }
        )
    return rows


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


def ensemble_of(stats: pd.DataFrame) -> tuple[np.ndarray, str]:
    """The points the path forward is read over, and how the report names them: the accepted
    parameter sets, or the whole prior (said plainly) when none was accepted."""
    accepted = stats.loc[stats["accepted"].to_numpy(), "point"].astype(int).to_numpy()
    if len(accepted):
        return accepted, f"the {len(accepted)} accepted parameter sets"
    points = stats["point"].astype(int).to_numpy()
    return points, (
        f"the whole prior ({len(points)} parameter sets): none was accepted, so this is NOT a "
        "calibrated ensemble"
    )


def analyse(settings: Settings, scenario: Scenario, tables: dict[str, pd.DataFrame]) -> Calibration:
    """The report's numbers from every arm's runs (`tables`: arm -> runs; the lever arms may
    hold only the ensemble's points)."""
    baseline = tables["baseline"]
    design = design_of(baseline)
    stats = point_statistics(tables)
    accepted_mask = stats["accepted"].to_numpy()
    accepted_points = stats.loc[accepted_mask, "point"].astype(int).tolist()
    ensemble_points, ensemble = ensemble_of(stats)
    ensemble_runs = baseline[baseline["point"].isin(ensemble_points)]
    default_runs = tables[DEFAULT_ARM]
    rows = []
    war_runs = tables.get(WAR_ARM)
    for pattern in PATTERNS:
        if pattern.role == "war":
            at_default = pattern_summary(pattern, war_runs)
            over_ensemble = pattern_summary(pattern, None)
        elif pattern.arm in SCRIPTED_ARMS:
            scripted = tables[pattern.arm]
            at_default = pattern_summary(pattern, tables[SCRIPTED_ARMS[pattern.arm][0]])
            over_ensemble = pattern_summary(
                pattern, scripted[scripted["point"].isin(ensemble_points)]
            )
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
                    "(it still constrains the parameters it depends on) but is not an "
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
        ranges=accepted_ranges(design, accepted_mask, scenario),
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
        f", the first on day {num_text(float(first[struck].median()))} (median)"
        if struck.any()
        else ""
    )
    return (
        f"{int(struck.sum())} of {len(runs)} war runs reach a host-state strike{when}. The model "
        "cannot produce this war, for two reasons. It cannot start it on day 1: the MOU's state "
        "is an output of the two ledgers that no actor's decision reads, so starting with no MOU "
        "in force changes nothing the actors weigh, and the war still has to emerge from calm "
        "grievances (interdiction, then a US strike, then salvos at hosts) as after the MOU. And "
        "it has no sustained campaign: the IRGC decides once a round and 'salvo_hosts' fires one "
        "salvo (actors.irgc.salvo_per_target) per chosen site, a tit-for-tat exchange, while "
        "112 BM intercepted over Bahrain alone in about a month means salvos on most days. "
        "Scripting the opening (CENTCOM's expanded strikes on day 1) does not change this: "
        "about 2 BM and 9 UAV intercepted over Bahrain (gulf_2026_war.yaml, 16 seeds)"
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
    screening = {arm: path for arm, path in files.items() if arm not in LEVER_ARMS}
    per_default = settings.runs * DEFAULT_RUNS_FACTOR
    say(
        f"calibrate: {plural(settings.samples, 'parameter set')} x {plural(settings.runs, 'seed')},"
        f" free, calm and at the Red Sea's rate, + {per_default} runs at the default in each"
        + (" and as many of the war" if settings.war_scenario is not None else "")
        + f" ({scenario.clock.rounds} rounds each); then the {len(LEVER_ARMS)} lever arms over the "
        "accepted sets"
    )
    tables, seconds = run_arms(settings, screening, say, progress)
    # The lever arms run the ensemble's points only, each with the seeds it has in the
    # hypercube, so every lever meets the baseline's parameter sets and seeds (paired).
    points, _ = ensemble_of(point_statistics(tables))
    levers, lever_seconds = run_arms(
        settings, {arm: files[arm] for arm in LEVER_ARMS}, say, progress, points=points
    )
    tables.update(levers)
    seconds.update(lever_seconds)
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
