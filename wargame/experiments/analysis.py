"""What a sweep says: truce survival, outcomes per setting with 95% intervals, sensitivity
indices and the parameter boxes in which the truce holds.

Pure functions of the runs table (and the experiment that made it), so each figure can be
checked against a small sweep worked out by hand:

- `numeric_outcomes` — each outcome converted to numbers explicitly (booleans count 0/1); an
  outcome that cannot be is named, never silently dropped.
- `varying_parameters` — the parameters that take more than one value among the runs. Only
  these define settings; the others are stated once as held fixed (`fixed_parameters`).
- `kaplan_meier` — truce survival over rounds. Many runs end with the truce intact, so a run
  that held is *censored* at its last round, not counted as collapsing then.
- `group_table` — per setting: runs, share of truces held (Wilson interval), median rounds to
  collapse (from the survival curve) and means with percentile-bootstrap intervals, which stay
  within the range of the data (a t interval on 19 zeros and 6 large values goes below zero).
- `sensitivity` — Sobol (first-order and total) or Morris indices from SALib, on the mean of
  the replicates at each point; undefined when the outcome did not vary, not computed when a
  point has no value or the design is too small for an interval (a folder from before the
  minimum sizes), and an interval that could not be estimated is said to be so, not shown as 0.
- `discover_boxes` — PRIM scenario discovery (EMA Workbench, an optional extra).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wargame.config.experiment import (
    DesignKind,
    Experiment,
    odd_levels_problem,
    too_small_problem,
)
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
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20260  # fixed: the same runs give the same report
BOOTSTRAP_CELLS = 4_000_000  # resampled values drawn at once; bounds memory on large groups
INTERVAL_METHOD = (
    f"Means: 95% percentile bootstrap of the mean ({BOOTSTRAP_RESAMPLES:,} resamples, "
    f"seed {BOOTSTRAP_SEED}); each interval lies within the range of the runs it summarises, "
    "and with few runs per setting it tends to be too narrow. Share of truces held: "
    "Wilson score interval. Survival: Kaplan-Meier with Greenwood's log-log 95% band."
)
UNDEFINED = "undefined (outcome did not vary)"
# Sobol indices are shares of variance, so they lie in [0, 1]; estimates stray outside by
# sampling noise, and far outside (ST = 2) only when the sample is too small for the outcome.
SOBOL_NOISE_MARGIN = 0.1
OUT_OF_RANGE = (
    "estimates outside [0, 1] (e.g. {index} = {value:.2f}): too few samples for this outcome; "
    "read these as noise and raise design.samples"
)
NO_INTERVAL = "interval not estimable from these {what}: the index is shown without one"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def parameter_columns(runs: pd.DataFrame) -> list[str]:
    return [c for c in runs.columns if c.startswith(PARAM_PREFIX)]


def varying_parameters(runs: pd.DataFrame) -> list[str]:
    """Parameter columns with more than one value among these runs (a missing value counts)."""
    return [c for c in parameter_columns(runs) if runs[c].nunique(dropna=False) > 1]


def fixed_parameters(runs: pd.DataFrame) -> dict[str, object]:
    """Parameters that take one value in every run (a one-value grid, or a partial folder)."""
    if runs.empty:
        return {}
    varying = set(varying_parameters(runs))
    return {
        c.removeprefix(PARAM_PREFIX): runs[c].iloc[0]
        for c in parameter_columns(runs)
        if c not in varying
    }


def ok_runs(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[runs["status"] == "ok"] if "status" in runs.columns else runs


def numeric_outcomes(
    runs: pd.DataFrame, outcomes: list[str]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The runs with each outcome as float (True/False as 1/0, missing as NaN), and the outcomes
    that cannot be analysed with the reason. Conversion is by value, not by the column's dtype:
    a column stored as `object` (e.g. all-null in one Parquet part) is still numbers."""
    frame = runs.copy()
    problems: dict[str, str] = {}
    for name in outcomes:
        if name not in frame.columns:
            problems[name] = "not in the runs table"
            continue
        column = frame[name].map(lambda v: float(v) if isinstance(v, bool | np.bool_) else v)
        numbers = pd.to_numeric(column, errors="coerce").astype(float)
        bad = column.notna() & numbers.isna()
        if bad.any():
            example = column[bad].iloc[0]
            problems[name] = (
                f"{int(bad.sum())} of {len(column)} values are not numbers (e.g. {example!r})"
            )
            frame = frame.drop(columns=name)
        else:
            frame[name] = numbers
    return frame, problems


def format_value(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def setting_label(setting: dict[str, object], separator: str = ", ") -> str:
    """`levers.c2_posture=fixed_littoral, levers.mou_linkage=linked`: full names, as the
    experiment file and the table spell them (a last part alone, like `mean`, can be unclear)."""
    return separator.join(f"{k}={format_value(v)}" for k, v in setting.items())


def settings(runs: pd.DataFrame, by: list[str]) -> Iterator[tuple[dict[str, object], pd.DataFrame]]:
    """(parameter -> value, runs) per combination of `by`, in sorted order; every run once."""
    if not by:
        yield {}, runs
        return
    for key, group in runs.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        yield {c.removeprefix(PARAM_PREFIX): v for c, v in zip(by, key, strict=True)}, group


# --- survival ----------------------------------------------------------------------------


def durations(runs: pd.DataFrame, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """(time, event): the collapse round where the MOU collapsed, else `rounds`, censored."""
    collapsed = pd.to_numeric(runs["mou_collapsed_round"], errors="coerce")
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
    """First round at which survival falls to 0.5 or below; None if not reached by the end."""
    below = curve[curve["survival"] <= 0.5]
    return None if below.empty else float(below["round"].iloc[0])


def survival_curves(
    runs: pd.DataFrame, rounds: int, by: list[str]
) -> list[tuple[dict[str, object], int, pd.DataFrame]]:
    """(setting, runs, Kaplan-Meier curve) per setting, in the order of `group_table`."""
    curves = []
    for setting, group in settings(runs, by):
        time, event = durations(group, rounds)
        curves.append((setting, len(group), kaplan_meier(time, event, rounds)))
    return curves


# --- per-setting table ---------------------------------------------------------------------


def wilson(successes: int, n: int) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return centre - half, centre + half


def mean_interval(
    values, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float, float]:
    """Mean and its 95% percentile-bootstrap interval (seeded, so reports are reproducible).

    Every resampled mean lies between the smallest and largest value, so the interval does
    too: a non-negative outcome never gets a negative bound. One value has no interval (NaN
    bounds): [x, x] would read as certainty."""
    x = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    low_limit, high_limit = float(x.min()), float(x.max())
    # Clipped only against float rounding: the mean of [1.6, 1.6, 1.6] is 1.6000000000000003.
    mean = min(max(float(x.mean()), low_limit), high_limit)
    if n == 1:
        return mean, math.nan, math.nan
    if low_limit == high_limit:
        return mean, mean, mean
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    chunk = max(1, BOOTSTRAP_CELLS // n)
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        means[start:stop] = x[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    # Clipped for the same reason.
    return (
        mean,
        float(np.clip(low, low_limit, high_limit)),
        float(np.clip(high, low_limit, high_limit)),
    )


def group_table(runs: pd.DataFrame, rounds: int, by: list[str] | None = None) -> pd.DataFrame:
    """One row per setting of `by` (default: the parameters that vary among the good runs)."""
    runs = ok_runs(runs)
    by = by if by is not None else varying_parameters(runs)
    rows = []
    for setting, group in settings(runs, by):
        row = {**setting, "runs": len(group)}
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
    values = pd.to_numeric(runs[outcome], errors="coerce")
    if outcome == "mou_collapsed_round":
        values = values.fillna(rounds + 1)
    return values.astype(float).groupby(runs["point"]).mean().sort_index()


def sensitivity(runs: pd.DataFrame, experiment: Experiment, outcomes: list[str]) -> pd.DataFrame:
    """SALib indices per outcome and parameter (Sobol S1/ST with their 95% confidence, or Morris
    mu*/sigma). An outcome whose indices cannot be computed keeps its rows, with empty indices
    and a `note` saying why (it did not vary, some points have no value, the design is too
    small); so does an index whose interval could not be estimated."""
    kind = experiment.design.kind
    if kind not in (DesignKind.SOBOL, DesignKind.MORRIS):
        return pd.DataFrame()
    from SALib.analyze import morris, sobol

    problem = salib_problem(experiment)
    unit_points = unit_sample(experiment)  # the design's points in the unit cube
    points = len(unit_points)
    if kind == DesignKind.SOBOL:
        keys = ("S1", "S1_conf", "ST", "ST_conf")
    else:
        keys = ("mu_star", "mu_star_conf", "sigma")
    too_small = too_small_problem(experiment.design)
    rows = []
    for outcome in outcomes:
        means = point_means(runs, outcome, experiment.rounds).reindex(range(points))
        y = means.to_numpy()
        missing = int(np.isnan(y).sum())
        note, result = "", None
        if missing:
            note = f"not computed: no value at {missing:,} of {points:,} points"
        elif too_small:
            note = "not computed: " + too_small.removeprefix("design.samples: ").split(";")[0]
        elif np.ptp(y) == 0:
            note = UNDEFINED
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if kind == DesignKind.SOBOL:
                    result = sobol.analyze(
                        problem, y, calc_second_order=False, seed=experiment.design.seed
                    )
                else:
                    result = morris.analyze(
                        problem,
                        unit_points,
                        y,
                        num_levels=experiment.design.levels,
                        seed=experiment.design.seed,
                    )
        note = note or (out_of_range_note(result) if kind == DesignKind.SOBOL else "")
        for i, name in enumerate(problem["names"]):
            values = {k: float(result[k][i]) if result else math.nan for k in keys}
            row_note = note or interval_note(values, kind)  # may zero float noise in values
            rows.append({"outcome": outcome, "parameter": name, **values, "note": row_note})
    return pd.DataFrame(rows)


def out_of_range_note(result) -> str:
    """A note for an outcome whose Sobol estimates lie outside [0, 1] beyond sampling noise."""
    if result is None:
        return ""
    worst_index, worst_value = "", 0.5
    for index in ("S1", "ST"):
        for value in np.asarray(result[index], dtype=float):
            if abs(value - 0.5) > abs(worst_value - 0.5):
                worst_index, worst_value = index, float(value)
    if abs(worst_value - 0.5) <= 0.5 + SOBOL_NOISE_MARGIN:
        return ""
    return OUT_OF_RANGE.format(index=worst_index, value=worst_value)


def interval_note(values: dict[str, float], kind: DesignKind) -> str:
    """A note when an index has an estimate but SALib could not give it an interval."""
    what = "base samples" if kind == DesignKind.SOBOL else "trajectories"
    for conf in (k for k in values if k.endswith("_conf")):
        if math.isnan(values[conf]) and not math.isnan(values[conf.removesuffix("_conf")]):
            return NO_INTERVAL.format(what=what)
        if abs(values[conf]) <= 1e-9 * abs(values[conf.removesuffix("_conf")]):
            values[conf] = 0.0  # float noise (1e-14) of resamples that all agreed
    return ""


def design_notes(experiment: Experiment) -> list[str]:
    """What a design that validation now refuses (results made before the rule) means for the
    indices: the sensitivity rows say they are not computed or biased."""
    notes = []
    problem = odd_levels_problem(experiment.design)
    if problem:
        notes.append(
            f"this Morris design has {experiment.design.levels} levels, an odd number "
            "(refused for new sweeps): its sample is biased, so read the indices with care."
        )
    if too_small_problem(experiment.design):
        notes.append(
            f"no sensitivity indices: {too_small_problem(experiment.design)} (refused for new "
            "sweeps)."
        )
    return notes


# --- scenario discovery --------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    limits: pd.DataFrame  # one row per restricted parameter: low/high, or the kept values
    coverage: float  # share of all held truces that fall in the box
    density: float  # share of runs in the box where the truce held
    mass: float  # share of all runs in the box
    runs: int  # runs PRIM looked at
    held: int  # of which the truce held

    def explanation(self) -> str:
        """Coverage, density and mass in one plain sentence each, with the counts."""
        in_box = round(self.mass * self.runs)
        held_in_box = round(self.coverage * self.held)
        return (
            f"The box holds {self.coverage:.0%} of all runs where the truce held "
            f"({held_in_box:,} of {self.held:,}: coverage). "
            f"Within it the truce held in {self.density:.0%} of runs "
            f"({held_in_box:,} of {in_box:,}: density). "
            f"It contains {self.mass:.0%} of all runs ({in_box:,} of {self.runs:,}: mass)."
        )


def no_box_reason(runs: pd.DataFrame) -> str | None:
    """Why PRIM cannot look for a box in these runs, or None if it can."""
    runs = ok_runs(runs)
    if "mou_collapsed_round" not in runs.columns:
        return "the experiment did not keep `mou_collapsed_round`"
    if not varying_parameters(runs):
        return "no parameter varies among the runs"
    held = runs["mou_collapsed_round"].isna()
    if held.all():
        return "the truce held in every run"
    if not held.any():
        return "the truce held in no run"
    return None


def discover_boxes(runs: pd.DataFrame) -> Box | None:
    """PRIM on the runs: the region of the varying parameters in which the truce holds. None
    when `no_box_reason` gives one, EMA Workbench is not installed, or PRIM finds no box."""
    runs = ok_runs(runs)
    if no_box_reason(runs) is not None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError:
        return None
    columns = varying_parameters(runs)  # PRIM drops constant columns from its box limits
    y = runs["mou_collapsed_round"].isna().to_numpy()
    x = pd.DataFrame({c.removeprefix(PARAM_PREFIX): runs[c] for c in columns}).reset_index(
        drop=True
    )
    for name in x.columns:
        if not pd.api.types.is_numeric_dtype(x[name]) or pd.api.types.is_bool_dtype(x[name]):
            x[name] = pd.Categorical(x[name].astype(str))
        else:  # PRIM moves integer limits by fractions, which an int64 column refuses
            x[name] = x[name].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x, y).find_box()
    if box is None:
        return None
    limits = box.box_lims[box._cur_box]
    restricted = []
    for name in x.columns:
        if name not in limits.columns:
            continue  # PRIM left this parameter unrestricted
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
        len(y),
        int(y.sum()),
    )
