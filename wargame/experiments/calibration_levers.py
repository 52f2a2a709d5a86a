"""The article's path forward over the calibrated ensemble: each lever arm against the baseline,
paired point by point (the same parameter sets and seeds), with bootstrap intervals over the
parameter sets and a verdict per outcome."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from wargame.experiments.calibration_spec import ARMS, mean_or_none, num_text, quantiles90

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
            low, high = quantiles90(column)
            entry[name] = {"mean": mean_or_none(column), "p5_sets": low, "p95_sets": high}
            if name == "host_damage":
                entry[name]["p5_runs"], entry[name]["p95_runs"] = quantiles90(runs["host_damage"])
            if arm != "baseline":
                diff = (column - base[name]).dropna()
                dlow, dhigh = quantiles90(diff)
                sign = np.sign(diff.to_numpy()) * direction
                ci_low, ci_high = mean_interval(diff.to_numpy(dtype=float), rng)
                entry[name].update(
                    diff_mean=mean_or_none(diff),
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
                f"mean change {num_text(effect['diff_mean'])}, 90% CI "
                f"{num_text(effect['diff_ci_low'])} to {num_text(effect['diff_ci_high'])})"
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
