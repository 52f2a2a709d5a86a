"""`run.py analyse`: read a results folder, compute the analysis, print it, write PNG plots and
one self-contained HTML report (images inlined) into `<results>/report/`."""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from wargame.config.experiment import DesignKind, Experiment
from wargame.config.loader import ScenarioError, safe_load, validate_data
from wargame.experiments import analysis
from wargame.experiments.errors import StoreError
from wargame.experiments.store import ResultStore, write_atomically

MAX_CURVES = 12  # survival curves drawn per plot; more groups are summarised as one curve


@dataclass
class Analysis:
    folder: Path
    experiment: Experiment
    runs: pd.DataFrame
    failed: int
    groups: pd.DataFrame
    curves: dict[str, pd.DataFrame]
    sensitivity: pd.DataFrame
    box: analysis.Box | None
    notes: list[str] = field(default_factory=list)


def load_results(folder: Path) -> tuple[Experiment, pd.DataFrame]:
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise StoreError(f"{folder}: not a results folder (no manifest.json); run a sweep first")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        experiment = validate_data(
            safe_load(manifest["experiment_text"]), Experiment, str(manifest_path)
        )
    except (OSError, ValueError, KeyError, ScenarioError) as error:
        raise StoreError(f"{manifest_path}: unreadable manifest ({error})") from None
    runs = ResultStore(folder).read_runs()
    if runs.empty:
        raise StoreError(f"{folder}: holds no finished runs yet")
    return experiment, runs


def analyse(folder: Path) -> Analysis:
    experiment, runs = load_results(folder)
    good = analysis.ok_runs(runs)
    notes = []
    failed = len(runs) - len(good)
    if failed:
        notes.append(
            f"{failed} runs failed and are left out (see the `error` column of the runs table)."
        )
    rounds = experiment.rounds
    columns = analysis.parameter_columns(good)
    has_collapse = "mou_collapsed_round" in good.columns
    curves: dict[str, pd.DataFrame] = {}
    if has_collapse:
        time, event = analysis.durations(good, rounds)
        curves["all runs"] = analysis.kaplan_meier(time, event, rounds)
        groups = good.groupby(columns, sort=True) if columns else []
        if columns and good.groupby(columns).ngroups <= MAX_CURVES:
            for key, group in groups:
                key = key if isinstance(key, tuple) else (key,)
                label = ", ".join(
                    f"{c.removeprefix(analysis.PARAM_PREFIX).split('.')[-1]}={v}"
                    for c, v in zip(columns, key, strict=True)
                )
                time, event = analysis.durations(group, rounds)
                curves[label] = analysis.kaplan_meier(time, event, rounds)
    else:
        notes.append("no survival analysis: the experiment did not keep `mou_collapsed_round`.")
    sampled = experiment.design.kind != DesignKind.GRID
    table = analysis.group_table(good, rounds, by=[] if sampled else None)
    numeric = [
        o
        for o in experiment.outcomes
        if o in good.columns
        and pd.api.types.is_numeric_dtype(good[o])
        or o == "mou_collapsed_round"
    ]
    indices = analysis.sensitivity(good, experiment, numeric) if sampled else pd.DataFrame()
    box = analysis.discover_boxes(good)
    if box is None and has_collapse:
        notes.append(
            "no PRIM box: nothing varies, every truce held or none did, or EMA Workbench "
            'is not installed (pip install ".[analysis]").'
        )
    return Analysis(folder, experiment, runs, failed, table, curves, indices, box, notes)


# --- text ----------------------------------------------------------------------------------


def fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def with_interval(table: pd.DataFrame, name: str) -> pd.Series:
    if name.endswith("_usd"):  # money reads best in millions
        return table.apply(
            lambda r: (
                f"${r[name] / 1e6:,.0f}M [{r[f'{name}_low'] / 1e6:,.0f}, {r[f'{name}_high'] / 1e6:,.0f}]"
            ),
            axis=1,
        )
    return table.apply(
        lambda r: f"{fmt(r[name])} [{fmt(r[f'{name}_low'])}, {fmt(r[f'{name}_high'])}]", axis=1
    )


def display_table(result: Analysis) -> pd.DataFrame:
    table = result.groups
    keep = [
        c
        for c in table.columns
        if not c.endswith(("_low", "_high"))
        and c not in analysis.MEANS
        and c not in ("truce_held",)
    ]
    shown = table[keep].copy()
    if "median_rounds_to_collapse" in shown.columns:
        shown["median_rounds_to_collapse"] = shown["median_rounds_to_collapse"].map(
            lambda v: "held" if v is None or pd.isna(v) else f"{v:.0f}"
        )
        shown = shown.rename(columns={"median_rounds_to_collapse": "median days to collapse"})
    if "truce_held" in table.columns:
        shown["truce held"] = with_interval(table, "truce_held")
    for name, label in (
        ("highest_rung", "highest rung"),
        ("host_damage", "host damage"),
        ("interceptor_spend_usd", "interceptor spend"),
    ):
        if name in table.columns:
            shown[label] = with_interval(table, name)
    return shown


def text_report(result: Analysis) -> str:
    experiment = result.experiment
    lines = [
        f"Analysis of {experiment.name}: {len(result.runs):,} runs ({result.failed} failed), "
        f"{experiment.rounds} rounds each, design {experiment.design.kind.value}",
        "",
    ]
    lines += [
        "Outcomes per setting (95% intervals):",
        display_table(result).to_string(index=False),
        "",
    ]
    if result.curves:
        overall = result.curves["all runs"]
        lines.append(
            "Truce survival (Kaplan-Meier, all runs): "
            + ", ".join(
                f"day {t}: {overall.loc[t, 'survival']:.2f}"
                for t in sorted({min(experiment.rounds, d) for d in (30, 60, 90)})
            )
        )
        lines.append("")
    if not result.sensitivity.empty:
        lines += [
            "Sensitivity indices (SALib, on replicate means per point):",
            result.sensitivity.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            "",
        ]
    if result.box is not None:
        box = result.box
        lines += [
            f"Where the truce holds (PRIM): coverage {box.coverage:.2f}, density {box.density:.2f}, "
            f"mass {box.mass:.2f}",
            box.limits.to_string(index=False)
            if not box.limits.empty
            else "  (no restriction: the truce holds about equally everywhere)",
            "",
        ]
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines).rstrip() + "\n"


# --- plots and HTML ------------------------------------------------------------------------


def _figure_bytes(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def plots(result: Analysis) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    images = {}
    if result.curves:
        figure, axes = plt.subplots(figsize=(8, 4.5))
        for label, curve in result.curves.items():
            if label == "all runs" and len(result.curves) > 1:
                continue
            axes.step(curve["round"], curve["survival"], where="post", label=label)
            axes.fill_between(curve["round"], curve["low"], curve["high"], step="post", alpha=0.12)
        axes.set(
            xlabel="round (day)",
            ylabel="share of truces still standing",
            ylim=(0, 1.02),
            title="Truce survival (Kaplan-Meier, 95% band)",
        )
        axes.legend(
            fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, frameon=False
        )
        images["survival.png"] = _figure_bytes(figure)
        plt.close(figure)
    table = result.groups
    if len(table) > 1 and "host_damage" in table.columns:
        labels = [
            ", ".join(str(v) for v in row)
            for row in table[
                [
                    c
                    for c in table.columns
                    if c
                    in {
                        k.removeprefix(analysis.PARAM_PREFIX)
                        for k in analysis.parameter_columns(result.runs)
                    }
                ]
            ].itertuples(index=False)
        ]
        figure, axes = plt.subplots(figsize=(8, 0.4 * len(table) + 1.5))
        error = [
            table["host_damage"] - table["host_damage_low"],
            table["host_damage_high"] - table["host_damage"],
        ]
        axes.barh(labels, table["host_damage"], xerr=error, color="#b55d3c")
        axes.set(
            xlabel="host damage (value-weighted units), mean and 95% interval",
            title="Host damage per setting",
        )
        axes.tick_params(axis="y", labelsize=7)
        images["host_damage.png"] = _figure_bytes(figure)
        plt.close(figure)
    if not result.sensitivity.empty:
        column = "ST" if "ST" in result.sensitivity.columns else "mu_star"
        pivot = result.sensitivity.pivot(index="parameter", columns="outcome", values=column)
        figure, axes = plt.subplots(
            figsize=(8, 0.35 * len(pivot) * max(1, len(pivot.columns)) / 2 + 2)
        )
        pivot.plot.barh(ax=axes)
        axes.set(xlabel=column, title=f"Sensitivity ({column})")
        axes.legend(fontsize=7)
        images["sensitivity.png"] = _figure_bytes(figure)
        plt.close(figure)
    return images


def html_report(result: Analysis, images: dict[str, bytes]) -> str:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(result.experiment.name)} — Gulf wargame sweep</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}"
        "th{background:#eee}img{max-width:100%}</style></head><body>",
        f"<h1>{html.escape(result.experiment.name)}</h1>",
        f"<p>{html.escape(result.experiment.description)}</p>",
        f"<p>{len(result.runs):,} runs, {result.failed} failed; {result.experiment.rounds} rounds each; "
        f"design {result.experiment.design.kind.value}.</p>",
        "<h2>Outcomes per setting (95% intervals)</h2>",
        display_table(result).to_html(index=False, escape=True),
    ]
    for name, data in images.items():
        encoded = base64.b64encode(data).decode()
        parts.append(
            f"<h2>{html.escape(name.removesuffix('.png').replace('_', ' ').title())}</h2>"
            f"<img alt='{name}' src='data:image/png;base64,{encoded}'>"
        )
    if not result.sensitivity.empty:
        parts += [
            "<h2>Sensitivity indices</h2>",
            result.sensitivity.to_html(index=False, float_format="%.3f"),
        ]
    if result.box is not None:
        parts += [
            f"<h2>Where the truce holds (PRIM)</h2><p>coverage {result.box.coverage:.2f}, density "
            f"{result.box.density:.2f}, mass {result.box.mass:.2f}</p>",
            result.box.limits.to_html(index=False),
        ]
    parts += [f"<p><em>{html.escape(n)}</em></p>" for n in result.notes]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(result: Analysis) -> list[Path]:
    folder = result.folder / "report"
    folder.mkdir(exist_ok=True)
    images = plots(result)
    written = []
    for name, data in images.items():
        write_atomically(folder / name, lambda p, data=data: p.write_bytes(data))
        written.append(folder / name)
    tables = {"per_setting.csv": result.groups, "sensitivity.csv": result.sensitivity}
    for name, table in tables.items():
        if not table.empty:
            write_atomically(folder / name, lambda p, table=table: table.to_csv(p, index=False))
            written.append(folder / name)
    write_atomically(
        folder / "report.html",
        lambda p: p.write_text(html_report(result, images), encoding="utf-8"),
    )
    written.append(folder / "report.html")
    return written
