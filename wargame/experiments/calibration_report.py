"""The calibration's terminal table and its self-contained HTML report (plots inline as
base64 PNG, no network), both from a `calibration.Calibration` and nothing else."""

from __future__ import annotations

import base64
import html

from wargame.experiments.analysis import plural
from wargame.experiments.calibration import Calibration
from wargame.experiments.calibration_levers import LEVER_OUTCOMES
from wargame.experiments.calibration_spec import ARMS, PRIORS, num_text

ARM_LABELS = {
    "baseline": "baseline",
    "insulated_mou": "MOU insulated",
    "directed_energy": "directed energy + EW",
    "c2_afloat": "C2 afloat",
    "all_three": "all three",
}


DEFENCE_NOTE = (
    "Monte Carlo of the raid rule (rules/defence.resolve_raid, 4,000 raids a case) against its "
    "closed form (expected_raid), for a quarter and all of the IRGC's salvo. Where no layer's "
    "fire channels or magazine bind, the closed form is exact and the two agree within 3 "
    "standard errors. Where they bind in some raids, the closed form applies saturation to expected counts (mean-field, documented in ExpectedRaid): the "
    "gap is that approximation's, which the actors' forecasts carry; the sampled rule is what "
    "adjudicates."
)


def _range(entry: dict) -> str:
    if entry.get("value") is None:
        return "-"
    return f"{num_text(entry['value'])} [{num_text(entry['p5'])}, {num_text(entry['p95'])}]"


def pattern_table(result: Calibration) -> list[list[str]]:
    rows = [
        [
            "#",
            "pattern",
            "reference",
            "source",
            "window",
            "at default [90% of runs]",
            "ensemble [90% of runs]",
            "rejects",
            "verdict",
        ]
    ]
    for row in result.patterns:
        rejects = row.get("rejection_rate")
        rows.append(
            [
                str(row["number"]) if row["number"] else "in",
                row["title"],
                row["reference"],
                row["source"],
                row["window"],
                _range(row["default"]),
                _range(row["ensemble"]),
                "-" if rejects is None else f"{rejects:.0%}",
                row["verdict"],
            ]
        )
    return rows


def _table_text(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def ranges_table(result: Calibration) -> list[list[str]]:
    rows = [["parameter", "prior", "accepted", "accepted median", "scenario", "why"]]
    for r in result.ranges:
        accepted = (
            "-"
            if r["accepted_low"] is None
            else f"[{num_text(r['accepted_low'])}, {num_text(r['accepted_high'])}]"
        )
        rows.append(
            [
                r["path"],
                f"[{num_text(r['prior_low'])}, {num_text(r['prior_high'])}]",
                accepted,
                num_text(r["accepted_median"]),
                num_text(r["scenario"]) + ("" if inside(r) else " (outside)"),
                r["why"],
            ]
        )
    return rows


def inside(row: dict) -> bool:
    """Is the scenario's value inside the accepted range (nothing accepted: no range to be in)?"""
    if row["accepted_low"] is None:
        return True
    return row["accepted_low"] <= row["scenario"] <= row["accepted_high"]


def median_sentence(result: Calibration) -> str:
    """Where the scenario's values stand against the ensemble: its accepted medians (the
    posterior medians a scenario's values are taken from), or how many lie outside."""
    if not result.accepted:
        return (
            "No set was accepted: there are no accepted medians to take the scenario's values from."
        )
    same = all(
        num_text(r["accepted_median"], 4) == num_text(r["scenario"], 4) for r in result.ranges
    )
    if same:
        return "The scenario's values are the accepted medians (to 4 significant digits)."
    outside = [r["path"] for r in result.ranges if not inside(r)]
    if outside:
        return (
            f"{len(outside)} of the scenario's values lie outside the accepted ranges: "
            + ", ".join(outside)
            + "."
        )
    return "The scenario's values are not the accepted medians but lie inside every accepted range."


def constraint_table(result: Calibration) -> list[list[str]]:
    """Pattern x parameter: the shift of the parameter's median among the points that pass
    the pattern alone, in % of its prior range."""
    short = [p.path.rsplit(".", 2)[-2] + "." + p.path.rsplit(".", 1)[-1] for p in PRIORS]
    rows = [["pattern", "rejects", *short]]
    for key, shifts in result.constraints["shift"].items():
        rows.append(
            [
                key,
                f"{result.constraints['rejection'][key]:.0%} ({result.constraints['passing'][key]} pass)",
                *("-" if shifts[p.path] is None else f"{shifts[p.path]:+.0%}" for p in PRIORS),
            ]
        )
    return rows


def lever_table(result: Calibration) -> list[list[str]]:
    """Each arm's outcomes: the mean over parameter sets and the 5th-95th percentile of the
    sets' values (each set's value is its seeds' mean)."""
    rows = [["arm", *(f"{name} [90% of sets]" for name in LEVER_OUTCOMES)]]
    for arm in ARMS:
        entry = result.levers[arm]
        cells = [ARM_LABELS[arm]]
        for name in LEVER_OUTCOMES:
            e = entry[name]
            cells.append(
                f"{num_text(e['mean'])} [{num_text(e['p5_sets'])}, {num_text(e['p95_sets'])}]"
            )
        rows.append(cells)
    return rows


def difference_table(result: Calibration) -> list[list[str]]:
    """Each lever's paired difference from the baseline, set by set: the mean with its 90%
    bootstrap interval, the sets' 5th-95th percentile, and the shares better and worse."""
    rows = [["arm", "outcome", "mean change (90% CI)", "[90% of sets]", "better", "worse"]]
    for arm in ARMS:
        if arm == "baseline":
            continue
        for name in LEVER_OUTCOMES:
            e = result.levers[arm][name]
            better, worse = e.get("share_helped"), e.get("share_hurt")
            rows.append(
                [
                    ARM_LABELS[arm],
                    name,
                    f"{num_text(e['diff_mean'])} ({num_text(e['diff_ci_low'])} to {num_text(e['diff_ci_high'])})",
                    f"[{num_text(e['diff_p5'])}, {num_text(e['diff_p95'])}]",
                    "-" if better is None else f"{better:.0%}",
                    "-" if worse is None else f"{worse:.0%}",
                ]
            )
    return rows


def defence_table(result: Calibration) -> list[list[str]]:
    rows = [
        [
            "site",
            "mix",
            "layers",
            "threats",
            "leaked closed",
            "leaked MC (se)",
            "shots closed",
            "shots MC",
            "gap",
            "agree (3 se)",
        ]
    ]
    for c in result.defence:
        rows.append(
            [
                c["site"],
                c["mix"],
                c["layers"],
                str(c["threats"]),
                f"{c['closed_leaked']:.3f}",
                f"{c['mc_leaked']:.3f} ({c['mc_se']:.3f})",
                f"{c['closed_shots']:.2f}",
                f"{c['mc_shots']:.2f}",
                "-" if c["gap"] is None else f"{c['gap']:+.1%}",
                "yes" if c["within_3se"] else "NO",
            ]
        )
    return rows


def emergence_table(result: Calibration) -> list[list[str]]:
    rows = [["parameter", "low third", "middle third", "high third"]]
    for path, shares in result.emergence["by_third"].items():
        rows.append([path, *("-" if s is None else f"{s:.0%}" for s in shares)])
    return rows


def text_report(result: Calibration) -> str:
    s = result.settings
    parts = [
        f"Calibration of {s['scenario']}: {plural(result.points, 'parameter set')} x "
        f"{plural(s['runs'], 'seed')}, "
        f"{s['default_runs']} runs at the default, seed {s['seed']}, {s['rounds']} rounds",
        "",
        "Patterns (statistic [5th, 95th percentile of runs]; verdict at the default)",
        _table_text(pattern_table(result)),
        *(
            f"  {row['title']}: {row['context']}. {row['note']}"
            for row in result.patterns
            if row.get("context")
        ),
        "",
        f"Rejection ABC: {result.accepted} of {result.points} parameter sets accepted "
        "(every validation pattern within its window)",
        _table_text(ranges_table(result)),
        median_sentence(result),
        "",
        "Which patterns constrain which parameters (shift of the median among the sets that "
        "pass that pattern alone, % of the prior range)",
        _table_text(constraint_table(result)),
        "",
        f"Path forward over {result.ensemble}",
        _table_text(lever_table(result)),
        "Paired differences from the baseline (same parameter sets, same seeds)",
        _table_text(difference_table(result)),
        *(f"  {line}" for line in result.lever_sentences),
        "",
        f"Emergence: {result.emergence['overall']:.0%} of all hypercube runs in the article's "
        f"loop order; {result.emergence['points_with_loop_majority']:.0%} of parameter sets in "
        "it at least half the time. Share by third of each prior range:",
        _table_text(emergence_table(result)),
        "",
        "Defence check: Monte Carlo (resolve_raid) vs closed form (expected_raid)",
        _table_text(defence_table(result)),
        DEFENCE_NOTE,
    ]
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- HTML


def _html_table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:]
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _png(figure) -> str:
    from wargame.experiments.report import _figure_bytes

    return base64.b64encode(_figure_bytes(figure)).decode()


def figures(result: Calibration) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    images = {}
    # Patterns: the default's statistic and 90% range against the window, each on its own scale.
    shown = [r for r in result.patterns if r["role"] == "validation"]
    fig, axes = plt.subplots(1, len(shown), figsize=(2.1 * len(shown), 3.0))
    for ax, row in zip(axes, shown, strict=True):
        low, high = (float(x) for x in row["window"].strip("[]").replace(",", " ").split())
        ax.axhspan(low, high, color="#9c9", alpha=0.4, label="window")
        for x, (label, entry) in enumerate(
            (("default", row["default"]), ("ensemble", row["ensemble"]))
        ):
            if entry["value"] is None:
                continue
            lo = entry["p5"] if entry["p5"] is not None else entry["value"]
            hi = entry["p95"] if entry["p95"] is not None else entry["value"]
            ax.errorbar(
                [x],
                [entry["value"]],
                yerr=[[max(0.0, entry["value"] - lo)], [max(0.0, hi - entry["value"])]],
                fmt="o",
                color="#246" if label == "default" else "#a42",
                capsize=4,
            )
        ax.set_xticks([0, 1], ["default", "ensemble"], fontsize=7)
        ax.set_xlim(-0.6, 1.6)
        ax.set_title(f"({row['number']}) {row['title']}", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    images["Patterns: model (point, 90% of runs) against the window (green)"] = _png(fig)
    plt.close(fig)
    # Accepted ranges against the prior, each on [0, 1] of its prior range.
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(result.ranges) + 1))
    for i, r in enumerate(result.ranges):
        span = r["prior_high"] - r["prior_low"]
        ax.plot([0, 1], [i, i], color="#ccc", lw=6)
        if r["accepted_low"] is not None:
            a = (r["accepted_low"] - r["prior_low"]) / span
            b = (r["accepted_high"] - r["prior_low"]) / span
            ax.plot([a, b], [i, i], color="#a42", lw=6)
    ax.set_yticks(range(len(result.ranges)), [r["path"] for r in result.ranges], fontsize=7)
    ax.set_xlabel("share of the prior range (grey prior, red accepted)")
    fig.tight_layout()
    images["Accepted ranges against the prior"] = _png(fig)
    plt.close(fig)
    # Levers: each outcome's mean and 90% range over parameter sets, per arm.
    fig, axes = plt.subplots(1, len(LEVER_OUTCOMES), figsize=(11, 3.2))
    for ax, name in zip(axes, LEVER_OUTCOMES, strict=True):
        for x, arm in enumerate(ARMS):
            e = result.levers[arm][name]
            if e["mean"] is None:
                continue
            lo = e["p5_sets"] if e["p5_sets"] is not None else e["mean"]
            hi = e["p95_sets"] if e["p95_sets"] is not None else e["mean"]
            ax.errorbar(
                [x], [e["mean"]], yerr=[[e["mean"] - lo], [hi - e["mean"]]], fmt="o", capsize=4
            )
        ax.set_xticks(range(len(ARMS)), [ARM_LABELS[a] for a in ARMS], rotation=30, fontsize=7)
        ax.set_title(f"{name.replace('_', ' ')} ({LEVER_OUTCOMES[name][0]})", fontsize=8)
    fig.tight_layout()
    images["Path forward: mean and 90% range over parameter sets"] = _png(fig)
    plt.close(fig)
    # Emergence by third of each prior range.
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(PRIORS) + 1))
    for i, shares in enumerate(result.emergence["by_third"].values()):
        for j, share in enumerate(shares):
            if share is not None:
                ax.scatter([share], [i], color=("#9bd", "#48a", "#124")[j], s=30)
    ax.set_yticks(range(len(PRIORS)), [p.path for p in PRIORS], fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of runs in the loop order (light: low third, dark: high third)")
    fig.tight_layout()
    images["Emergence of the loop across the hypercube"] = _png(fig)
    plt.close(fig)
    return images


def html_report(result: Calibration) -> str:
    s = result.settings
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<title>Calibration — Gulf wargame</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:12px;margin:0.5em 0}"
        "td,th{border:1px solid #ccc;padding:3px 6px}th{background:#eee}img{max-width:100%}"
        "</style></head><body>",
        "<h1>Calibration: pattern-oriented, by rejection</h1>",
        f"<p>Scenario {html.escape(s['scenario'])}; {plural(result.points, 'parameter set')} (Latin "
        f"hypercube) x {plural(s['runs'], 'seed')} per arm, {s['default_runs']} runs at the default, "
        f"seed {s['seed']}, {s['rounds']} rounds a run. Sources: docs/sources.md anchors.</p>",
        "<h2>Patterns</h2>",
        "<p>Statistic over runs, with the 5th-95th percentile of its per-run values. The verdict "
        "is at the scenario's default values; a validation row's window is its tolerance. "
        "Rows marked input are values the scenario is given, not tests of the model.</p>",
        _html_table(pattern_table(result)),
        "<ul>",
        *(
            f"<li>({r['number']}) {html.escape(r['title'])}: {html.escape(r['statistic'])}"
            + (f". {html.escape(r['note'])}" if r["note"] else "")
            + (f". {html.escape(r['context'])}" if r.get("context") else "")
            + "</li>"
            for r in result.patterns
        ),
        "</ul>",
        "<h2>Rejection ABC</h2>",
        f"<p><strong>{result.accepted} of {result.points}</strong> parameter sets accepted "
        "(every validation pattern within its window).</p>",
        _html_table(ranges_table(result)),
        f"<p>{html.escape(median_sentence(result))}</p>",
        "<h3>Which patterns constrain which parameters</h3>",
        "<p>Share of parameter sets each pattern rejects, and the shift of each parameter's "
        "median among the sets that pass that pattern alone (% of its prior range).</p>",
        _html_table(constraint_table(result)),
        f"<h2>The article's path forward over {html.escape(result.ensemble)}</h2>",
        "<p>Each arm runs the same parameter sets with the same seeds; differences are "
        "paired, set by set.</p>",
        _html_table(lever_table(result)),
        "<h3>Paired differences from the baseline</h3>",
        _html_table(difference_table(result)),
        *(f"<p>{html.escape(line)}</p>" for line in result.lever_sentences),
        "<h2>Emergence of the loop</h2>",
        f"<p>{result.emergence['overall']:.0%} of all hypercube runs show the article's loop "
        f"order; {result.emergence['points_with_loop_majority']:.0%} of parameter sets show it "
        "in at least half their runs.</p>",
        _html_table(emergence_table(result)),
        "<h2>Defence check</h2>",
        f"<p>{html.escape(DEFENCE_NOTE)}</p>",
        _html_table(defence_table(result)),
    ]
    for title, encoded in figures(result).items():
        parts.append(
            f"<h3>{html.escape(title)}</h3><img alt='{html.escape(title)}' "
            f"src='data:image/png;base64,{encoded}'>"
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
