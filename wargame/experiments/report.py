"""`run.py analyse`: read a results folder, compute the analysis, print it, write PNG plots and
one self-contained HTML report (images inlined) into `<results>/report/` or a folder given.

The I/O side of the analysis: what counts as a results folder worth analysing, where the
report may be written (checked before anything is computed), and how each figure is shown so
that it cannot be misread. The numbers themselves come from `analysis`.
"""

from __future__ import annotations

import base64
import html
import importlib.util
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from wargame.config.experiment import DesignKind, Experiment
from wargame.config.text import printable
from wargame.experiments import analysis
from wargame.experiments.analysis import plural
from wargame.experiments.errors import StoreError
from wargame.experiments.outputs import probe_folder
from wargame.experiments.results import Results, load_results
from wargame.experiments.store import write_atomically

__all__ = ["Analysis", "analyse", "analyse_runs", "load_results", "text_report", "write_report"]
MAX_PANELS = 16  # survival panels drawn, one per setting; more settings get the overall curve
SETTING_COLOUR = "#1f5f99"
BAR_COLOUR = "#b55d3c"
REPORT_FILES = (
    "survival.png",
    "host_damage.png",
    "sensitivity.png",
    "per_setting.csv",
    "sensitivity.csv",
    "report.html",
)


@dataclass
class Analysis:
    folder: Path
    experiment: Experiment
    runs: pd.DataFrame  # every stored run, failed ones included
    analysed: int  # successful runs, the ones every figure is computed from
    groups: pd.DataFrame
    fixed: dict[str, object]  # parameters with one value in every analysed run
    overall: pd.DataFrame | None  # survival of all analysed runs
    curves: list[tuple[dict[str, object], int, pd.DataFrame]]  # one per setting (or none)
    sensitivity: pd.DataFrame
    box: analysis.Box | None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # shown first: read before any figure

    @property
    def failed(self) -> int:
        return len(self.runs) - self.analysed


# --- reading -------------------------------------------------------------------------------


def report_folder(results: Path, report: Path | None = None) -> Path:
    """The folder the report goes to (default `<results>/report`), created and checked
    writable now, so a read-only folder is refused before any computing."""
    target = report if report is not None else results / "report"
    hint = "" if report is not None else "; pass --report DIR to write the report elsewhere"
    if target.exists() and not target.is_dir():
        raise StoreError(f"{target}: exists and is not a folder; cannot write the report{hint}")
    try:
        target.mkdir(parents=True, exist_ok=True)
        probe_folder(target)
    except OSError as error:
        reason = error.strerror or str(error)
        raise StoreError(f"{target}: cannot write the report here ({reason}){hint}") from None
    return target


# --- computing -----------------------------------------------------------------------------


def analyse(folder: Path) -> Analysis:
    return analyse_runs(load_results(folder))


def analyse_runs(results: Results) -> Analysis:
    folder, experiment, runs = results.folder, results.experiment, results.runs
    rounds = experiment.rounds
    good, problems = analysis.numeric_outcomes(analysis.ok_runs(runs), experiment.outcomes)
    notes = [f"outcome `{name}` cannot be analysed: {why}." for name, why in problems.items()]
    notes += results.notes + analysis.design_notes(experiment)
    failed = len(runs) - len(good)
    if failed:
        notes.append(
            f"{plural(failed, 'run')} failed and {'is' if failed == 1 else 'are'} left out "
            "(see the `error` column of the runs table)."
        )
    sampled = experiment.design.kind != DesignKind.GRID
    varying = [] if sampled else analysis.varying_parameters(good)
    overall, curves = None, []
    if "mou_collapsed_round" in good.columns:
        time, event = analysis.durations(good, rounds)
        overall = analysis.kaplan_meier(time, event, rounds)
        settings = good.groupby(varying, dropna=False).ngroups if varying else 0
        if 1 < settings <= MAX_PANELS:
            curves = analysis.survival_curves(good, rounds, varying)
        elif settings > MAX_PANELS:
            notes.append(
                f"survival is drawn for all runs together: {settings} settings are too many "
                f"for one panel each (at most {MAX_PANELS}); see per_setting.csv."
            )
    else:
        notes.append("no survival analysis: the experiment did not keep `mou_collapsed_round`.")
    table = analysis.group_table(good, rounds, by=varying)
    usable = [o for o in experiment.outcomes if o in good.columns]
    indices = analysis.sensitivity(good, experiment, usable) if sampled else pd.DataFrame()
    notes += sensitivity_notes(results, indices)
    box = analysis.discover_boxes(good)
    if box is not None and not results.complete:
        notes.append("the PRIM box is found among the stored runs only (the sweep is incomplete).")
    if box is None:
        reason = analysis.no_box_reason(good)
        if reason is None and importlib.util.find_spec("ema_workbench") is None:
            reason = 'EMA Workbench is not installed (pip install ".[analysis]")'
        notes.append(f"no PRIM box: {reason or 'PRIM found no box'}.")
    return Analysis(
        folder,
        experiment,
        runs,
        len(good),
        table,
        analysis.fixed_parameters(good),
        overall,
        curves,
        indices,
        box,
        notes,
        list(results.warnings),
    )


def sensitivity_notes(results: Results, indices: pd.DataFrame) -> list[str]:
    """Why indices are missing or partial: an unfinished sweep, or points without a value."""
    if indices.empty:
        return []
    missing = indices["note"].str.startswith("not computed: no value")
    unrun = results.points - results.points_stored
    if unrun:
        indices.loc[missing, "note"] = (
            f"not computed: the sweep is incomplete ({unrun:,} of {results.points:,} points "
            "have not run)"
        )
        return [
            "no sensitivity indices: Sobol and Morris indices need every design point, and "
            f"{unrun:,} of {results.points:,} points have not run yet (the sweep is "
            "incomplete; run it again to finish)."
        ]
    notes = [
        f"no sensitivity indices for `{outcome}`: they need a value at every design point, and "
        "some points have none (every run there failed, or the outcome is undefined in those "
        "runs, e.g. a ratio with a zero denominator)."
        for outcome in indices.loc[missing, "outcome"].unique()
    ]
    computed = indices.drop(columns=["outcome", "parameter", "note"]).notna().any().any()
    if not results.complete and computed:
        notes.append(
            "the sensitivity indices are partial: every point has run, but some not all "
            f"{results.experiment.replicates} replicates, so their point means rest on fewer runs."
        )
    return notes


# --- text ----------------------------------------------------------------------------------


def fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def millions(value: float) -> str:
    """Money in millions with three significant figures at most (never a bare $0M)."""
    m = value / 1e6
    if m == 0:
        return "0"
    return f"{m:,.0f}" if abs(m) >= 100 else f"{m:,.1f}" if abs(m) >= 10 else f"{m:,.2f}"


def with_interval(table: pd.DataFrame, name: str) -> pd.Series:
    if name == "truce_held":
        show = "{:.0%}".format
    elif name.endswith("_usd"):  # money reads best in millions
        show = millions
    else:
        show = fmt

    def cell(row) -> str:
        value, low, high = row[name], row[f"{name}_low"], row[f"{name}_high"]
        if pd.isna(value):
            return "-"
        shown = f"${show(value)}M" if name.endswith("_usd") else show(value)
        if pd.isna(low):
            return f"{shown} (1 run: no interval)"
        return f"{shown} [{show(low)}, {show(high)}]"

    return table.apply(cell, axis=1) if len(table) else pd.Series(dtype=str)


def not_reached(rounds: int) -> str:
    return f"not reached (> {rounds} days)"


def display_table(result: Analysis) -> pd.DataFrame:
    table = result.groups
    keep = [
        c
        for c in table.columns
        if not c.endswith(("_low", "_high"))
        and c not in analysis.MEANS
        and c not in ("truce_held", "median_rounds_to_collapse")
    ]
    shown = table[keep].copy()
    if "truce_held" in table.columns:
        shown["truce held"] = with_interval(table, "truce_held")
    if "median_rounds_to_collapse" in table.columns:
        shown["median days to collapse"] = table["median_rounds_to_collapse"].map(
            lambda v: (
                not_reached(result.experiment.rounds) if v is None or pd.isna(v) else f"{v:.0f}"
            )
        )
    for name, label in (
        ("highest_rung", "highest rung"),
        ("host_damage", "host damage"),
        ("interceptor_spend_usd", "interceptor spend"),
    ):
        if name in table.columns:
            shown[label] = with_interval(table, name)
    return shown


def sensitivity_display(indices: pd.DataFrame) -> pd.DataFrame:
    """The indices with three decimals; rows that could not be computed show their note."""
    shown = indices.copy() if indices["note"].astype(bool).any() else indices.drop(columns="note")
    for column in shown.columns:
        if column not in ("outcome", "parameter", "note"):
            shown[column] = shown[column].map(lambda v: "-" if pd.isna(v) else f"{v:.3g}")
    return shown


def how_to_read(result: Analysis) -> list[str]:
    lines = [analysis.INTERVAL_METHOD]
    if "median_rounds_to_collapse" in result.groups.columns:
        lines.append(
            "Median days to collapse: the day by which half the truces of a setting had "
            f"collapsed (Kaplan-Meier). '{not_reached(result.experiment.rounds)}' means more "
            "than half still stood when the runs ended; it does not mean every truce held."
        )
    if not result.sensitivity.empty and "ST" in result.sensitivity.columns:
        lines.append(
            "Sobol indices: S1 is the share of the outcome's variance a parameter explains "
            "alone, ST alone and with others; _conf is the half-width of the 95% interval. "
            "Estimates whose interval includes 0 are not distinguishable from no effect."
        )
    elif not result.sensitivity.empty:
        lines.append(
            "Morris indices: mu_star is the mean absolute effect of moving a parameter one "
            "step (in the outcome's units), mu_star_conf the half-width of its 95% interval, "
            "sigma how much that effect depends on the other parameters."
        )
    return lines


def fixed_text(result: Analysis) -> str:
    return "Held fixed in every analysed run: " + analysis.setting_label(result.fixed)


def text_report(result: Analysis) -> str:
    experiment = result.experiment
    lines = [
        f"Analysis of {printable(experiment.name)}: {plural(len(result.runs), 'run')} "
        f"({result.failed} failed), {experiment.rounds} rounds each, design "
        f"{experiment.design.kind.value}",
        "",
    ]
    if result.warnings:
        lines += [f"WARNING: {w}" for w in result.warnings] + [""]
    if result.fixed:
        lines += [fixed_text(result), ""]
    lines += [
        "Outcomes per setting (95% intervals):",
        display_table(result).to_string(index=False),
        "",
    ]
    if result.overall is not None:
        overall = result.overall
        lines.append(
            "Truce survival (Kaplan-Meier, all analysed runs): "
            + ", ".join(
                f"day {t}: {overall.loc[t, 'survival']:.2f}"
                for t in sorted({min(experiment.rounds, d) for d in (30, 60, 90)})
            )
        )
        lines.append("")
    if not result.sensitivity.empty:
        lines += [
            "Sensitivity indices (SALib, on replicate means per point):",
            sensitivity_display(result.sensitivity).to_string(index=False),
            "",
        ]
    if result.box is not None:
        box = result.box
        lines += [
            "Where the truce holds (PRIM):",
            box.limits.to_string(index=False)
            if not box.limits.empty
            else "  (no restriction: the truce holds about equally everywhere)",
            box.explanation(),
            "",
        ]
    lines += [f"how to read: {line}" for line in how_to_read(result)]
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines).rstrip() + "\n"


# --- plots ---------------------------------------------------------------------------------


def _figure_bytes(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _survival_panel(axes, curve: pd.DataFrame, colour: str, label: str) -> None:
    axes.step(curve["round"], curve["survival"], where="post", color=colour, label=label)
    axes.fill_between(
        curve["round"], curve["low"], curve["high"], step="post", color=colour, alpha=0.18
    )


def survival_figure(result: Analysis, plt):
    """One panel per setting against all runs in grey; one panel when there are no settings."""
    overall = result.overall
    if not result.curves:
        figure, axes = plt.subplots(figsize=(7, 4))
        _survival_panel(axes, overall, SETTING_COLOUR, plural(result.analysed, "run"))
        axes.set(
            xlabel="round (day)",
            ylabel="share of truces still standing",
            ylim=(0, 1.02),
            title=f"Truce survival of {plural(result.analysed, 'run')} (Kaplan-Meier, 95% band)",
        )
        axes.legend(fontsize=8, loc="lower left")
        return figure
    count = len(result.curves)
    columns = min(3, count)
    rows = math.ceil(count / columns)
    figure, grid = plt.subplots(
        rows, columns, figsize=(4 * columns, 3.1 * rows), sharex=True, sharey=True, squeeze=False
    )
    for axes, (setting, runs, curve) in zip(grid.flat, result.curves, strict=False):
        _survival_panel(axes, overall, "#9a9a9a", "all runs")
        _survival_panel(axes, curve, SETTING_COLOUR, "this setting")
        axes.set_title(
            f"{analysis.setting_label(setting, separator=chr(10))}\n({plural(runs, 'run')})",
            fontsize=8,
        )
        axes.set_ylim(0, 1.02)
    for axes in grid.flat[count:]:
        axes.set_visible(False)
    for axes in grid[:, 0]:
        axes.set_ylabel("truces still standing")
    for column in range(columns):
        # The lowest drawn panel of each column carries the axis (an empty slot hides it).
        lowest = grid[(count - 1 - column) // columns, column]
        lowest.xaxis.set_tick_params(labelbottom=True)
        lowest.set_xlabel("round (day)")
    handles, labels = grid.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper right", fontsize=8, frameon=False)
    figure.suptitle(
        "Truce survival per setting (Kaplan-Meier, 95% band); grey: all runs", fontsize=11
    )
    leave_room_for_title(figure)
    return figure


def leave_room_for_title(figure) -> None:
    """tight_layout ignores the suptitle: keep half an inch above the panels for it."""
    figure.tight_layout(rect=(0, 0, 1, 1 - 0.5 / figure.get_figheight()))


def bars_figure(result: Analysis, plt, name: str, title: str, unit: str):
    """Mean and interval per setting, labelled `param=value, ...`, top to bottom as in the table."""
    table = result.groups
    parameters = [c for c in table.columns if analysis.PARAM_PREFIX + c in result.runs.columns]
    labels = [
        analysis.setting_label(dict(zip(parameters, row, strict=True)))
        for row in table[parameters].itertuples(index=False)
    ]
    positions = list(range(len(table)))
    figure, axes = plt.subplots(figsize=(8, 0.4 * len(table) + 1.6))
    error = [
        (table[name] - table[f"{name}_low"]).to_numpy(),
        (table[f"{name}_high"] - table[name]).to_numpy(),
    ]
    axes.barh(positions, table[name], xerr=error, color=BAR_COLOUR, capsize=3)
    axes.set_yticks(positions, labels, fontsize=7)
    axes.invert_yaxis()  # first row of the table at the top
    axes.set(xlabel=f"{unit}: mean and 95% bootstrap interval", title=title)
    return figure


def sensitivity_figure(result: Analysis, plt):
    """One panel per outcome: each parameter's index with its 95% confidence bar."""
    indices = result.sensitivity
    sobol = "ST" in indices.columns
    measures = [("S1", "S1_conf"), ("ST", "ST_conf")] if sobol else [("mu_star", "mu_star_conf")]
    outcomes = list(dict.fromkeys(indices["outcome"]))
    parameters = list(dict.fromkeys(indices["parameter"]))
    columns = min(2, len(outcomes))
    rows = math.ceil(len(outcomes) / columns)
    height = max(2.2, 0.32 * len(parameters) * len(measures) + 1.2)
    figure, grid = plt.subplots(rows, columns, figsize=(6 * columns, height * rows), squeeze=False)
    for axes, outcome in zip(grid.flat, outcomes, strict=False):
        part = indices[indices["outcome"] == outcome].set_index("parameter").reindex(parameters)
        axes.set_title(outcome, fontsize=9)
        note = part["note"].iloc[0]
        if part[[m for m, _ in measures]].isna().all().all():
            axes.text(
                0.5,
                0.5,
                note,
                ha="center",
                va="center",
                fontsize=8,
                wrap=True,
                transform=axes.transAxes,
            )
            axes.set_xticks([])
            axes.set_yticks([])
            continue
        if note:  # computed, but with a caveat the reader must see beside the bars
            axes.set_title(f"{outcome}\n{note}", fontsize=8, color="firebrick", wrap=True)
        width = 0.8 / len(measures)
        for k, (measure, conf) in enumerate(measures):
            positions = [i + (k - (len(measures) - 1) / 2) * width for i in range(len(parameters))]
            axes.barh(
                positions,
                part[measure],
                height=width,
                xerr=part[conf],
                capsize=2,
                label=measure,
                color=["#4c78a8", "#e45756"][k],
            )
        axes.axvline(0, color="black", linewidth=0.6)
        axes.set_yticks(range(len(parameters)), parameters, fontsize=7)
        axes.invert_yaxis()
        axes.tick_params(axis="x", labelsize=7)
        axes.legend(fontsize=7, loc="lower right")
    for axes in grid.flat[len(outcomes) :]:
        axes.set_visible(False)
    kind = "Sobol S1 and ST" if sobol else "Morris mu* (outcome units)"
    figure.suptitle(f"Sensitivity: {kind}, with 95% confidence bars", fontsize=11)
    leave_room_for_title(figure)
    return figure


def plots(result: Analysis) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figures = {}
    if result.overall is not None and result.analysed:
        figures["survival.png"] = survival_figure(result, plt)
    if len(result.groups) > 1 and "host_damage" in result.groups.columns:
        figures["host_damage.png"] = bars_figure(
            result,
            plt,
            "host_damage",
            "Host damage per setting",
            "host damage (value-weighted units)",
        )
    if not result.sensitivity.empty:
        figures["sensitivity.png"] = sensitivity_figure(result, plt)
    images = {}
    for name, figure in figures.items():
        images[name] = _figure_bytes(figure)
        plt.close(figure)
    return images


# --- HTML and files ------------------------------------------------------------------------


def html_report(result: Analysis, images: dict[str, bytes]) -> str:
    experiment = result.experiment
    name = html.escape(experiment.name)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{name} — Gulf wargame sweep</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}"
        "th{background:#eee}img{max-width:100%}</style></head><body>",
        f"<h1>{name}</h1>",
        f"<p>{html.escape(experiment.description)}</p>",
        f"<p>{plural(len(result.runs), 'run')}, {result.failed} failed; "
        f"{experiment.rounds} rounds each; design {experiment.design.kind.value}.</p>",
        *(
            f"<p style='border:2px solid #b00;padding:6px;background:#fee'><strong>Warning:"
            f"</strong> {html.escape(w)}</p>"
            for w in result.warnings
        ),
    ]
    if result.fixed:
        parts.append(f"<p>{html.escape(fixed_text(result))}</p>")
    parts += [
        "<h2>Outcomes per setting (95% intervals)</h2>",
        display_table(result).to_html(index=False, escape=True),
        "<h2>How to read this</h2>",
        *(f"<p>{html.escape(line)}</p>" for line in how_to_read(result)),
    ]
    for image, data in images.items():
        encoded = base64.b64encode(data).decode()
        parts.append(
            f"<h2>{html.escape(image.removesuffix('.png').replace('_', ' ').title())}</h2>"
            f"<img alt='{image}' src='data:image/png;base64,{encoded}'>"
        )
    if not result.sensitivity.empty:
        parts += [
            "<h2>Sensitivity indices</h2>",
            sensitivity_display(result.sensitivity).to_html(index=False, escape=True),
        ]
    if result.box is not None:
        parts += [
            "<h2>Where the truce holds (PRIM)</h2>",
            result.box.limits.to_html(index=False, escape=True),
            f"<p>{html.escape(result.box.explanation())}</p>",
        ]
    if result.notes:
        parts.append("<h2>Notes</h2>")
        parts += [f"<p><em>{html.escape(n)}</em></p>" for n in result.notes]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(result: Analysis, folder: Path | None = None) -> list[Path]:
    """Plots, tables and report.html into `folder` (default `<results>/report`)."""
    folder = report_folder(result.folder, folder)
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
    for name in set(REPORT_FILES) - {p.name for p in written}:
        (folder / name).unlink(missing_ok=True)  # a figure of an earlier analysis must not stay
    return written
