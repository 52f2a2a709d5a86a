"""What a sweep says: truce survival, outcomes per setting with 95% intervals, sensitivity
indices and the parameter boxes in which the truce holds.

Pure functions of the runs table (and the experiment that made it), so each figure can be
checked against a small sweep worked out by hand:

- `kaplan_meier` — truce survival over rounds. Many runs end with the truce intact, so a run
  that held is *censored* at its last round, not counted as collapsing then.
- `group_table` — per combination of parameter values: runs, share of truces held (Wilson
  interval), median rounds to collapse (from the survival curve) and means with t intervals.
- `sensitivity` — Sobol (first-order and total) or Morris indices from SALib, on the mean of
  the replicates at each point.
- `discover_boxes` — PRIM scenario discovery (EMA Workbench, an optional extra).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from wargame.config.experiment import DesignKind, Experiment
from wargame.experiments.design import salib_problem, unit_sample

Z95 = 1.959963984540054
PARAM_PREFIX = "param:"
MEANS = (
    "highest_rung",
    "host_damage",
    "interceptor_spend_usd",
    "casualties",
    "economic_loss_usd",
    "cost_exchange",
    "force_majeure_days",
    "vessels_struck",
    "attacker_spend_usd",
)


def parameter_columns(runs: pd.DataFrame) -> list[str]:
    return [c for c in runs.columns if c.startswith(PARAM_PREFIX)]


def ok_runs(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[runs["status"] == "ok"] if "status" in runs.columns else runs


# --- survival ----------------------------------------------------------------------------


def durations(runs: pd.DataFrame, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """(time, event): the collapse round where the MOU collapsed, else `rounds`, censored."""
    collapsed = runs["mou_collapsed_round"]
    event = collapsed.notna().to_numpy()
    time = np.where(event, collapsed.fillna(0).to_numpy(dtype=float), float(rounds))
    return time, event


def kaplan_meier(time: np.ndarray, event: np.ndarray, rounds: int) -> pd.DataFrame:
    """S(t) for t = 0..rounds with Greenwood's 95% interval (log-log, kept within [0, 1])."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    survival, greenwood = 1.0, 0.0
    rows = [
        {"round": 0, "at_risk": len(time), "collapsed": 0, "survival": 1.0, "low": 1.0, "high": 1.0}
    ]
    for t in range(1, rounds + 1):
        at_risk = int((time >= t).sum())
        deaths = int(((time == t) & event).sum())
        if at_risk and deaths:
            survival *= 1.0 - deaths / at_risk
            if at_risk > deaths:
                greenwood += deaths / (at_risk * (at_risk - deaths))
        low, high = loglog_interval(survival, greenwood)
        rows.append(
            {
                "round": t,
                "at_risk": at_risk,
                "collapsed": deaths,
                "survival": survival,
                "low": low,
                "high": high,
            }
        )
    return pd.DataFrame(rows)


def loglog_interval(survival: float, greenwood: float) -> tuple[float, float]:
    if survival <= 0.0 or survival >= 1.0 or greenwood == 0.0:
        return survival, survival
    spread = Z95 * math.sqrt(greenwood) / abs(math.log(survival))
    return survival ** math.exp(spread), survival ** math.exp(-spread)


def median_survival(curve: pd.DataFrame) -> float | None:
    """First round at which survival falls to 0.5 or below; None if the truce mostly held."""
    below = curve[curve["survival"] <= 0.5]
    return None if below.empty else float(below["round"].iloc[0])


# --- per-setting table ---------------------------------------------------------------------


def wilson(successes: int, n: int) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return centre - half, centre + half


def mean_interval(values: pd.Series) -> tuple[float, float, float]:
    """Mean and its 95% t interval (the mean alone when fewer than two values)."""
    values = values.dropna().astype(float)
    n = len(values)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(values.mean())
    if n < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def group_table(runs: pd.DataFrame, rounds: int, by: list[str] | None = None) -> pd.DataFrame:
    runs = ok_runs(runs)
    by = by if by is not None else parameter_columns(runs)
    rows = []
    groups = runs.groupby(by, sort=True, dropna=False) if by else [((), runs)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        row = {
            column.removeprefix(PARAM_PREFIX): value for column, value in zip(by, key, strict=True)
        }
        row["runs"] = len(group)
        if "mou_collapsed_round" in group.columns:
            time, event = durations(group, rounds)
            held = int((~event).sum())
            low, high = wilson(held, len(group))
            row.update(
                truce_held=held / len(group),
                truce_held_low=low,
                truce_held_high=high,
                median_rounds_to_collapse=median_survival(kaplan_meier(time, event, rounds)),
            )
        for name in MEANS:
            if name in group.columns:
                mean, low, high = mean_interval(group[name])
                row.update({name: mean, f"{name}_low": low, f"{name}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


# --- sensitivity ---------------------------------------------------------------------------


def point_means(runs: pd.DataFrame, outcome: str, rounds: int) -> pd.Series:
    """Mean of the replicates at each point; a truce that held counts as collapsing after the end."""
    values = runs[outcome]
    if outcome == "mou_collapsed_round":
        values = values.fillna(rounds + 1)
    return values.astype(float).groupby(runs["point"]).mean().sort_index()


def sensitivity(runs: pd.DataFrame, experiment: Experiment, outcomes: list[str]) -> pd.DataFrame:
    """SALib indices per outcome and parameter (Sobol S1/ST, or Morris mu*/sigma)."""
    kind = experiment.design.kind
    if kind not in (DesignKind.SOBOL, DesignKind.MORRIS):
        return pd.DataFrame()
    from SALib.analyze import morris, sobol

    problem = salib_problem(experiment)
    unit_points = unit_sample(experiment)  # the design's points in the unit cube
    points = len(unit_points)
    rows = []
    for outcome in outcomes:
        means = point_means(runs, outcome, experiment.rounds).reindex(range(points))
        if means.isna().any():
            continue  # a point without a single good run: indices would be meaningless
        y = means.to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == DesignKind.SOBOL:
                result = sobol.analyze(
                    problem, y, calc_second_order=False, seed=experiment.design.seed
                )
                keys = ("S1", "S1_conf", "ST", "ST_conf")
            else:
                result = morris.analyze(
                    problem,
                    unit_points,
                    y,
                    num_levels=experiment.design.levels,
                    seed=experiment.design.seed,
                )
                keys = ("mu_star", "mu_star_conf", "sigma")
        for i, name in enumerate(problem["names"]):
            rows.append({"outcome": outcome, "parameter": name, **{k: result[k][i] for k in keys}})
    return pd.DataFrame(rows)


# --- scenario discovery --------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    limits: pd.DataFrame  # one row per restricted parameter: low/high, or the kept values
    coverage: float  # share of all held truces that fall in the box
    density: float  # share of runs in the box where the truce held
    mass: float  # share of all runs in the box


def discover_boxes(runs: pd.DataFrame) -> Box | None:
    """PRIM on the runs: the parameter region in which the truce holds. None when EMA Workbench
    is not installed, nothing varies, or no truce held."""
    runs = ok_runs(runs)
    columns = parameter_columns(runs)
    if not columns or "mou_collapsed_round" not in runs.columns:
        return None
    y = runs["mou_collapsed_round"].isna().to_numpy()
    if y.all() or not y.any():
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError:
        return None
    x = pd.DataFrame({c.removeprefix(PARAM_PREFIX): runs[c] for c in columns}).reset_index(
        drop=True
    )
    for name in x.columns:
        if not pd.api.types.is_numeric_dtype(x[name]) or pd.api.types.is_bool_dtype(x[name]):
            x[name] = pd.Categorical(x[name].astype(str))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x, y).find_box()
    if box is None:
        return None
    limits = box.box_lims[box._cur_box]
    restricted = []
    for name in x.columns:
        low, high = limits[name].iloc[0], limits[name].iloc[1]
        if isinstance(low, set):
            if low != set(x[name].cat.categories):
                restricted.append({"parameter": name, "limit": ", ".join(sorted(map(str, low)))})
        elif low > x[name].min() or high < x[name].max():
            restricted.append({"parameter": name, "limit": f"{low:.4g} .. {high:.4g}"})
    return Box(
        pd.DataFrame(restricted, columns=["parameter", "limit"]),
        float(box.coverage),
        float(box.density),
        float(box.mass),
    )
