"""Chart specs for the browser: the model's own per-round metrics, selected and shaped for SVG.

Pure functions, no Solara: they take the DataCollector's rows (`model.datacollector.model_vars`,
a dict of column lists, or a list of per-round dicts) and return small JSON-able dicts that
`components/line_chart.vue` draws. Nothing here recomputes a metric the model reports: values are
selected, and at most converted in unit (a share to %, per round to per day).
Fog of war is applied here, through `wargame.engine.observation.visible_metrics`: a side gets
only the columns that function allows it.

A spec:
    {id, title, x_label, y_label, y_min?, y_max?, y_ticks?: [{value, label}],
     series: [{name, column, x0 | x, y, style: line|step|dashed|dotted|area|bar, color, last,
               shape?, parent?, compare?}],
     bands: [{name, x0 | x, lo, hi, color, opacity}],
     timeline: [{name, segments: [{from, to, state, color}]}], markers: [{x, label}], note, hidden?}
Rounds are consecutive, so a series stores its first round `x0` and its values `y` (round
x0 + i has value y[i]); a series with gaps stores `x` instead. `xs(series)` gives the rounds.
A parent timeline's series is `style` "dashed" with `shape` the style it copies (step, bar);
`compare: false` marks a series a branch does not repeat for its parent (per-host lines).
`last` is the series' last value exactly as the model reported it (tests compare it with the
model). `y` values are the model's values; floats go over the wire with 4 significant digits,
the precision a chart can show.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from wargame.config.ladder import RUNG_NAMES
from wargame.engine.observation import host_row_for, visible_metrics

PARENT = "parent timeline"
HIDDEN_NOTE = "hidden from your side"

THREATS = ("ballistic", "cruise", "drone", "anti_ship")
THREAT_LABELS = {
    "ballistic": "ballistic missiles",
    "cruise": "cruise missiles",
    "drone": "drones",
    "anti_ship": "anti-ship missiles",
}
# Colour-blind-safe (Okabe-Ito) hues, one per thing that recurs across charts.
COLORS = {
    "rung": "#b2182b",
    "highest": "#999999",
    "ballistic": "#d55e00",
    "cruise": "#e69f00",
    "drone": "#cc79a7",
    "anti_ship": "#0072b2",
    "rate": "#009e73",
    "magazine": "#0072b2",
    "exchange": "#d55e00",
    "transits": "#0072b2",
    "tolerance": "#009e73",
    "median": "#b2182b",
    "survival": "#009e73",
    "damage": "#d55e00",
}
HOST_COLORS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442")
STATE_COLORS = {
    "IN_FORCE": "#4daf4a",
    "STRAINED": "#fdd835",
    "SUSPENDED": "#fb8c00",
    "COLLAPSED": "#d32f2f",
    # The channel in its own hues, so the legend never shows one colour for two states.
    "OPEN": "#6baed6",
    "HALTED": "#54278f",
}


# The ladder's y axis: every rung, named.
LADDER_AXIS = {
    "y_min": 0,
    "y_max": len(RUNG_NAMES) - 1,
    "y_ticks": [{"value": i, "label": f"{i} {name}"} for i, name in enumerate(RUNG_NAMES)],
}


# --- rows -> columns ------------------------------------------------------------------------


def columns(rows: Mapping[str, Sequence] | Sequence[Mapping[str, Any]] | None) -> dict[str, list]:
    """The DataCollector's rows as columns: accepts `model_vars` (column -> list) or records."""
    if not rows:
        return {}
    if isinstance(rows, Mapping):
        return {name: list(values) for name, values in rows.items()}
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return {name: [row.get(name) for row in rows] for name in names}


def _wire(value: Any) -> Any:
    """A value as the chart draws it: ints exact, floats to 4 significant digits.

    A 150-pixel chart cannot show more (1 part in 10,000), the readout shows 3, and the
    JSON of a 365-round game halves. The exact last value travels in the series' `last`.
    """
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    value = float(value)
    if not math.isfinite(value):
        return None
    value = float(f"{value:.4g}")
    return int(value) if value.is_integer() else value  # "100" not "100.0": JS has one number


def _scaled(value: Any, scale: float) -> Any:
    """A value in the chart's unit; 12 significant digits drop float noise (100 * 0.998315
    is 99.83149999999999), far below the model's own 6-decimal rounding."""
    if value is None or scale == 1.0:
        return value
    return float(f"{value * scale:.12g}")


def _plain(value: Any) -> Any:
    """A model value as plain JSON (numpy scalars to Python), not rounded."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def _xs(rounds: Sequence[int]) -> dict:
    """The x values: `x0` alone when they are consecutive rounds (the usual case), else `x`."""
    rounds = [int(r) for r in rounds]
    if rounds and rounds == list(range(rounds[0], rounds[0] + len(rounds))):
        return {"x0": rounds[0]}
    return {"x": rounds}


def xs(item: Mapping[str, Any]) -> list[int]:
    """The x values of a series or band, whichever way they are stored."""
    if "x" in item:
        return list(item["x"])
    n = len(item["y"] if "y" in item else item["lo"])
    return list(range(item["x0"], item["x0"] + n))


def _visible(side: str, names: Iterable[str]) -> set[str]:
    return set(visible_metrics(side, list(names)))


def _series(cols, column, name, style, color, scale=1.0, rounds=None) -> dict | None:
    if column not in cols:
        return None
    values = cols[column]
    x = rounds if rounds is not None else cols.get("round") or list(range(1, len(values) + 1))
    y = [_wire(v * scale) if v is not None and scale != 1.0 else _wire(v) for v in values]
    last = values[-1] if values else None
    return {
        "name": name,
        "column": column,
        **_xs(x),
        "y": y,
        "style": style,
        "color": color,
        "last": _plain(_scaled(last, scale)),
    }


def _add(spec, cols, seen, column, name, style, color, scale=1.0) -> dict | None:
    """Append the model column `column` as a series, if the side may see it and it exists."""
    if column not in seen or column not in cols:
        return None
    series = _series(cols, column, name, style, color, scale)
    spec["series"].append(series)
    return series


def _spec(chart_id, title, y_label, note="", x_label="round", **extra) -> dict:
    spec = {
        "id": chart_id,
        "title": title,
        "x_label": x_label,
        "y_label": y_label,
        "series": [],
        "bands": [],
        "timeline": [],
        "markers": [],
        "note": note,
    }
    spec.update(extra)
    return spec


def _hidden(spec: dict) -> dict:
    spec.update(series=[], bands=[], timeline=[], hidden=True, note=HIDDEN_NOTE)
    return spec


# --- one chart each -------------------------------------------------------------------------


def _ladder(cols: dict, seen: set[str]) -> dict:
    spec = _spec(
        "ladder",
        "Escalation ladder",
        "rung",
        note="Rung of this round's most escalatory action (model column rung); dotted: highest so far.",
        **LADDER_AXIS,
    )
    for column, name, style, color in (
        ("rung", "rung", "step", COLORS["rung"]),
        ("highest_rung", "highest so far", "dotted", COLORS["highest"]),
    ):
        series = _add(spec, cols, seen, column, name, style, color)
        if series:
            # A branch compares rungs; two "highest so far" lines would only clutter.
            series["compare"] = column == "rung"
    return spec


def _interceptions(cols: dict, seen: set[str]) -> dict:
    spec = _spec(
        "interceptions",
        "Interceptions by threat type",
        "threats intercepted",
        note="Model columns intercepted_<type>, per round, stacked.",
        y_min=0,
    )
    for kind in THREATS:
        column = f"intercepted_{kind}"
        _add(spec, cols, seen, column, THREAT_LABELS[kind], "bar", COLORS[kind])
    return spec


def _interception_rate(cols: dict, seen: set[str]) -> dict:
    spec = _spec(
        "interception_rate",
        "Interception rate",
        "% intercepted",
        note="Model column interception_rate, shown as %: cumulative share of the threats "
        "engaged (intercepted or leaked; those that failed in flight are not counted) that "
        "were intercepted (0 before the first engagement).",
        y_min=0,
        y_max=100,
    )
    _add(spec, cols, seen, "interception_rate", "interception rate", "line", COLORS["rate"], 100)
    return spec


def _magazines(cols: dict, seen: set[str], host_rows, host_names) -> dict:
    spec = _spec(
        "magazines",
        "Interceptor magazines",
        "% of capacity left",
        y_min=0,
        y_max=100,
    )
    notes = []
    if _add(
        spec, cols, seen, "magazine_share", "all defended sites", "line", COLORS["magazine"], 100
    ):
        notes.append("Model column magazine_share, shown as %.")
    per_host = _host_series(host_rows, "magazine_share", host_names, 100.0)
    if per_host:
        spec["series"].extend(per_host)
        notes.append("Dotted: sites in each host state (metrics.host_rows magazine_share).")
    if not spec["series"] and _add(
        spec, cols, seen, "interceptors_left", "all defended sites", "line", COLORS["magazine"]
    ):
        spec.update(y_label="interceptors left", y_max=None)
        notes.append("Model column interceptors_left.")
    if not notes and not any(c in cols for c in ("magazine_share", "interceptors_left")):
        notes.append("The model reports no magazine columns in this run.")
    spec["note"] = " ".join(notes)
    return spec


def _cost_exchange(cols: dict, seen: set[str]) -> dict:
    spec = _spec(
        "cost_exchange",
        "Cost-exchange ratio",
        "defender $ per attacker $",
        note="Model column cost_exchange: cumulative interceptor spend / attacker spend "
        "(0 before anything is fired).",
        y_min=0,
    )
    _add(spec, cols, seen, "cost_exchange", "cost exchange", "line", COLORS["exchange"])
    return spec


def _transits(cols: dict, seen: set[str], round_hours: float) -> dict:
    per_day = 24.0 / round_hours
    unit = "" if per_day == 1.0 else f" (model column transits per round x {per_day:g})"
    spec = _spec(
        "transits",
        "Transits a day",
        "ships a day",
        note=f"Model column transits, ships that completed the passage{unit}.",
        y_min=0,
    )
    _add(spec, cols, seen, "transits", "transits a day", "line", COLORS["transits"], per_day)
    return spec


def _host_series(host_rows, key: str, host_names, scale: float = 1.0) -> list[dict]:
    """One dashed series per host from `metrics.host_rows` rows (already fogged), keyed `key`.

    A host keeps its colour on every chart: colours go by its place among all hosts present.
    """
    hosts = sorted({row["host"] for row in host_rows})
    by_host: dict[str, tuple[list, list]] = {}
    for row in host_rows:
        if row.get(key) is not None:
            xs_, ys_ = by_host.setdefault(row["host"], ([], []))
            xs_.append(row["round"])
            ys_.append(row[key])
    series = []
    for host, (xs_, ys_) in sorted(by_host.items()):
        values = [_scaled(v, scale) for v in ys_]
        series.append(
            {
                "name": (host_names or {}).get(host, host),
                "column": f"host_rows.{key}[{host}]",
                **_xs(xs_),
                "y": [_wire(v) for v in values],
                "style": "dotted",
                "color": HOST_COLORS[hosts.index(host) % len(HOST_COLORS)],
                "compare": False,
                "last": _plain(values[-1]),
            }
        )
    return series


def _tolerance(cols: dict, seen: set[str], host_rows, host_names) -> dict:
    spec = _spec(
        "host_tolerance",
        "Host tolerance",
        "tolerance (1 = willing)",
        note="Model column host_tolerance (mean over hosts).",
        y_min=0,
        y_max=1,
    )
    if not _add(spec, cols, seen, "host_tolerance", "mean of hosts", "line", COLORS["tolerance"]):
        spec["note"] = ""
    per_host = _host_series(host_rows, "tolerance", host_names)
    spec["series"].extend(per_host)
    if per_host:
        spec["note"] = (spec["note"] + " Dotted: each host (metrics.host_rows).").strip()
    return spec


def _segments(rounds: Sequence[int], states: Sequence[str]) -> list[dict]:
    """Consecutive rounds in one state as one segment [from, to] (inclusive rounds)."""
    segments: list[dict] = []
    for r, state in zip(rounds, states, strict=True):
        if segments and segments[-1]["state"] == state and segments[-1]["to"] == r - 1:
            segments[-1]["to"] = r
        else:
            segments.append(
                {"from": r, "to": r, "state": state, "color": STATE_COLORS.get(state, "#bbbbbb")}
            )
    return segments


def _diplomacy(cols: dict, seen: set[str]) -> dict:
    spec = _spec(
        "diplomacy",
        "MOU and diplomatic channel",
        "",
        note="Model columns mou and channel, state at the end of each round.",
    )
    rounds = cols.get("round") or []
    for column, name in (("mou", "MOU"), ("channel", "channel")):
        if column in seen and column in cols:
            spec["timeline"].append({"name": name, "segments": _segments(rounds, cols[column])})
    return spec


# --- all charts -----------------------------------------------------------------------------


def charts(
    rows,
    side: str,
    parent_rows=None,
    round_hours: float = 24.0,
    host_rows: Sequence[Mapping[str, Any]] | None = None,
    parent_host_rows: Sequence[Mapping[str, Any]] | None = None,
    branch_round: int | None = None,
    host_names: Mapping[str, str] | None = None,
) -> list[dict]:
    """Every chart of the game page, as `side` may see it.

    With `parent_rows` (a branch's parent game) each chart also carries the parent's series,
    dashed and labelled "parent timeline", and a marker at round k, where the branch left it
    (`branch_round`, or the last round on which both agree in every visible column). Rounds
    1..k are the same in both games, so the parent's lines start at k: the branch's own line
    draws the shared rounds once, and the dashed line leaves it where the games part.
    """
    cols = columns(rows)
    specs = _charts_of(cols, side, round_hours, host_rows, host_names)
    if parent_rows is None:
        return specs
    parent_cols = columns(parent_rows)
    parent_specs = _charts_of(parent_cols, side, round_hours, parent_host_rows, host_names)
    k = branch_round if branch_round is not None else shared_rounds(cols, parent_cols, side)
    for spec, parent in zip(specs, parent_specs, strict=True):
        if spec.get("hidden"):
            continue
        # Only the series marked for comparison: two games' worth of per-host lines or of
        # "highest so far" is unreadable, and twice the payload.
        shown = [s for s in parent["series"] if s.get("compare", True)]
        for series in shown:
            single = len(shown) == 1
            spec["series"].append(
                _from_round(series, k)
                | {
                    "name": PARENT if single else f"{series['name']} ({PARENT})",
                    "style": "dashed",
                    "shape": series["style"],  # drawn as its own kind (step, bar), dashed
                    "parent": True,
                }
            )
        for row in parent["timeline"]:
            spec["timeline"].append(row | {"name": f"{row['name']} ({PARENT})", "parent": True})
        spec["markers"].append({"x": k, "label": f"branch at round {k}"})
    return specs


def _from_round(series: dict, k: int) -> dict:
    """The series from round k on (all of it if it starts later)."""
    rounds = xs(series)
    keep = [i for i, r in enumerate(rounds) if r >= k]
    return series | _xs([rounds[i] for i in keep]) | {"y": [series["y"][i] for i in keep]}


def _charts_of(cols: dict, side: str, round_hours: float, host_rows, host_names) -> list[dict]:
    seen = _visible(side, cols)
    host_rows = [host_row_for(side, row) for row in host_rows or ()]
    built = [
        (_ladder(cols, seen), ("rung", "highest_rung")),
        (_interceptions(cols, seen), tuple(f"intercepted_{k}" for k in THREATS)),
        (_interception_rate(cols, seen), ("interception_rate", "total_intercepted_ballistic")),
        (_magazines(cols, seen, host_rows, host_names), ("magazine_share", "interceptors_left")),
        (_cost_exchange(cols, seen), ("cost_exchange",)),
        (_transits(cols, seen, round_hours), ("transits",)),
        (_tolerance(cols, seen, host_rows, host_names), ("host_tolerance",)),
        (_diplomacy(cols, seen), ("mou", "channel")),
    ]
    specs = []
    for spec, needed in built:
        present = [c for c in needed if c in cols]
        if present and not any(c in seen for c in present) and not spec["series"]:
            spec = _hidden(spec)
        specs.append(spec)
    return specs


def shared_rounds(cols: dict, parent_cols: dict, side: str = "observer") -> int:
    """How many leading rounds two runs agree on in every column the side sees."""
    names = sorted(_visible(side, set(cols) & set(parent_cols)) - {"date"})
    n = min(len(cols.get("round", ())), len(parent_cols.get("round", ())))
    for i in range(n):
        if any(cols[c][i] != parent_cols[c][i] for c in names):
            return i
    return n


# --- where is this heading? -----------------------------------------------------------------


def _field(result, name, default=None):
    if isinstance(result, Mapping):
        return result.get(name, default)
    return getattr(result, name, default)


def _runs_text(outlook_result) -> str:
    finished = _field(outlook_result, "finished")
    total = _field(outlook_result, "total")
    if finished is None:
        return "AI-played continuations"
    if total is not None and finished != total:
        return f"{finished} of {total} AI-played continuations so far"
    return f"{finished} AI-played continuations"


def _now_marker(spec: dict, outlook_result) -> None:
    start = _field(outlook_result, "from_round")
    if start is not None:
        spec["markers"].append({"x": int(start), "label": f"now (round {int(start)})"})


def fan_chart(outlook_result, history_rows) -> dict:
    """The ladder's fan: history solid, the continuations' median dashed, 50% and 90% bands.

    `outlook_result` is `wargame.experiments.continuation.OutlookResult` (or its `to_dict()`):
    `rounds`, `rung` {q05, q25, q50, q75, q95: per-round arrays}, `finished`, `total`,
    `from_round`. Quantiles not known yet (NaN) are gaps.
    """
    cols = columns(history_rows)
    rounds = list(_field(outlook_result, "rounds", ()) or ())
    spec = _spec(
        "fan_ladder",
        "Where is this heading? Ladder",
        "rung",
        **LADDER_AXIS,
    )
    if "rung" in cols:
        spec["series"].append(_series(cols, "rung", "this game", "step", COLORS["rung"]))
    spec["note"] = (
        f"{_runs_text(outlook_result)}: median rung dashed, shaded the middle 50% (q25-q75) "
        "and 90% (q05-q95) of runs."
    )
    _add_fan(spec, rounds, _quantiles(outlook_result, "rung"), COLORS["median"], "rung", "step")
    _now_marker(spec, outlook_result)
    return spec


def _quantiles(outlook_result, prefix: str) -> dict[str, list]:
    """The result's quantile arrays: `rung_q05`-style fields or a mapping under `prefix`."""
    nested = _field(outlook_result, prefix, None) or _field(outlook_result, f"{prefix}_quantiles")
    found = {}
    for q in ("q05", "q25", "q50", "q75", "q95"):
        values = None
        if isinstance(nested, Mapping):
            values = nested.get(q)
        if values is None:
            values = _field(outlook_result, f"{prefix}_{q}", None)
        if values is not None:
            found[q] = list(values)
    return found


def _add_fan(
    spec: dict, rounds: list, quantiles: dict, color: str, what: str, shape: str = "line"
) -> None:
    if not rounds or not quantiles:
        return
    if "q05" in quantiles and "q95" in quantiles:
        spec["bands"].append(
            {
                "name": "90% of runs",
                **_xs(rounds),
                "shape": shape,
                "lo": [_wire(v) for v in quantiles["q05"]],
                "hi": [_wire(v) for v in quantiles["q95"]],
                "color": color,
                "opacity": 0.15,
            }
        )
    if "q25" in quantiles and "q75" in quantiles:
        spec["bands"].append(
            {
                "name": "50% of runs",
                **_xs(rounds),
                "shape": shape,
                "lo": [_wire(v) for v in quantiles["q25"]],
                "hi": [_wire(v) for v in quantiles["q75"]],
                "color": color,
                "opacity": 0.3,
            }
        )
    if "q50" in quantiles:
        median = quantiles["q50"]
        spec["series"].append(
            {
                "name": f"median {what}",
                "column": f"{what}.q50",
                **_xs(rounds),
                "y": [_wire(v) for v in median],
                "style": "dashed",
                "shape": shape,
                "color": color,
                "last": _plain(median[-1]) if median else None,
            }
        )


def survival_chart(outlook_result) -> dict:
    """The truce's survival curve: the continuations' `survival` per round, as %."""
    rounds = list(_field(outlook_result, "rounds", ()) or ())
    survival = _field(outlook_result, "survival", None)
    label = _field(outlook_result, "survival_label", None) or "share of runs with the MOU standing"
    spec = _spec(
        "fan_survival",
        "Where is this heading? Truce survival",
        "% of runs",
        note=f"{_runs_text(outlook_result)}: {label}, per round.",
        y_min=0,
        y_max=100,
    )
    if rounds and survival is not None:
        values = [None if v is None else float(v) for v in survival]
        percent = [None if v is None or math.isnan(v) else 100.0 * v for v in values]
        spec["series"].append(
            {
                "name": "truce survival",
                "column": "survival",
                **_xs(rounds),
                "y": [_wire(v) for v in percent],
                "style": "step",
                "color": COLORS["survival"],
                "last": _plain(percent[-1]) if percent else None,
            }
        )
    _now_marker(spec, outlook_result)
    return spec


def host_damage_fan(outlook_result, history_rows=None) -> dict:
    """Cumulative host damage in the continuations: median dashed, 50% and 90% bands."""
    rounds = list(_field(outlook_result, "rounds", ()) or ())
    spec = _spec(
        "fan_host_damage",
        "Where is this heading? Host damage",
        "host damage (cumulative)",
        note=f"{_runs_text(outlook_result)}: cumulative host damage (total_host_damage), "
        "median dashed, shaded the middle 50% and 90% of runs.",
        y_min=0,
    )
    cols = columns(history_rows)
    if "total_host_damage" in cols:
        spec["series"].append(
            _series(cols, "total_host_damage", "this game", "line", COLORS["damage"])
        )
    _add_fan(spec, rounds, _quantiles(outlook_result, "host_damage"), COLORS["damage"], "damage")
    _now_marker(spec, outlook_result)
    return spec


def fan_charts(outlook_result, history_rows) -> list[dict]:
    """The three charts of "Where is this heading?"."""
    return [
        fan_chart(outlook_result, history_rows),
        survival_chart(outlook_result),
        host_damage_fan(outlook_result, history_rows),
    ]
