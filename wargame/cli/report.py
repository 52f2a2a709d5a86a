"""Text the CLI prints: the round-by-round table and the end-of-run summary.

Every number comes from the run's own metrics and summary; nothing is recomputed here. The
threat counts are laid out so they visibly add up: every threat fired at a defended site is
intercepted, leaks through, or fails in flight on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from wargame.config.text import printable

SHORT_KIND = {"ballistic": "BM", "cruise": "CM", "drone": "UAV", "anti_ship": "AShM"}
KIND_NAMES = {kind: kind.replace("_", "-") for kind in SHORT_KIND}
SHORT_ACTION = {
    "comply": "comply",
    "posture": "posture",
    "enforce_mandates": "enforce",
    "strike_vessel": "hit ship",
    "mine_lanes": "mine",
    "salvo_hosts": "salvo hosts",
    "strike_energy": "hit energy",
    "strike_us_navy": "hit USN",
    "hold_and_negotiate": "negotiate",
    "escort": "escort",
    "attribute_and_warn": "warn",
    "limited_strikes": "limited",
    "expanded_strikes": "expanded",
    "regime_campaign": "regime",
}
IDENTITY = "launched = intercepted + leaked + failed in flight"


@dataclass(frozen=True)
class Column:
    title: str
    metric: str  # the metrics column it shows
    width: int
    group: str = ""  # label printed above a run of columns sharing it
    style: str = ""  # format spec after the width, e.g. ".1f"; text columns are left-aligned


COLUMNS = (
    Column("rnd", "round", 4),
    Column("date", "date", 10),
    Column("rung", "rung", 34),
    Column("MOU", "mou", 9),
    Column("channel", "channel", 7),
    Column("IRGC", "irgc_action", 11),
    Column("CENTCOM", "centcom_action", 9),
    Column("transits", "transits", 8, "ships"),
    Column("struck", "vessels_struck", 6, "ships"),
    Column("fired", "launched", 5),
    *(
        Column(f"i{short}", f"intercepted_{kind}", max(4, len(short) + 1), "interceptions")
        for kind, short in SHORT_KIND.items()
    ),
    Column("leaked", "leakers", 6),
    Column("failed", "failed_in_flight", 6),
    Column("CX", "cost_exchange", 6, style=".1f"),
)
TEXT_COLUMNS = {"date", "rung", "mou", "channel", "irgc_action", "centcom_action"}
LEGEND = (
    f"fired = {' + '.join(f'i{short}' for short in SHORT_KIND.values())} (interceptions by "
    f"type: {', '.join(KIND_NAMES.values())}) + leaked + failed (in flight);\n"
    "struck = ships hit by missiles or mines; CX = interceptor $ per attacker $ so far"
)


def money(usd: float | None) -> str:
    if usd is None:
        return "-"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(usd) >= size:
            return f"${usd / size:.1f}{unit}"
    return f"${usd:.0f}"


def group_line() -> str:
    """Labels over runs of columns that belong together ("ships", "interceptions" ...)."""
    cells, index = [], 0
    while index < len(COLUMNS):
        group, width, end = COLUMNS[index].group, 0, index
        while end < len(COLUMNS) and COLUMNS[end].group == group:
            width += COLUMNS[end].width + 1
            end += 1
        label = group if len(group) <= width - 1 else group[: width - 1]
        cells.append(f"{label:^{width - 1}}" + " " if group else " " * width)
        index = end
    return "".join(cells).rstrip()


def cell(column: Column, value: Any) -> str:
    if column.metric in TEXT_COLUMNS:
        return f"{value:<{column.width}}"
    return f"{value:>{column.width}{column.style}}"


def round_table(metrics: pd.DataFrame) -> str:
    header = " ".join(
        f"{c.title:<{c.width}}" if c.metric in TEXT_COLUMNS else f"{c.title:>{c.width}}"
        for c in COLUMNS
    )
    lines = [group_line(), header, "-" * len(header)]
    for row in metrics.to_dict("records"):
        shown = {
            **row,
            "rung": f"{row['rung']} {row['rung_name']}",
            "irgc_action": SHORT_ACTION.get(row["irgc_action"], row["irgc_action"]),
            "centcom_action": SHORT_ACTION.get(row["centcom_action"], row["centcom_action"]),
        }
        lines.append(" ".join(cell(c, shown[c.metric]) for c in COLUMNS).rstrip())
    lines.append(LEGEND)
    return "\n".join(lines)


def threat_lines(summary: dict[str, Any]) -> list[str]:
    """One line per threat kind: launched = intercepted + leaked + failed in flight."""
    lines = []
    for kind, name in KIND_NAMES.items():
        rate = summary["interception_rate"][kind]
        lines.append(
            f"    {name + ':':<11} {summary['launched'][kind]} launched = "
            f"{summary['intercepted'][kind]} intercepted + {summary['leaked'][kind]} leaked + "
            f"{summary['failed_in_flight'][kind]} failed in flight"
            + (f" ({rate:.0%} of launched intercepted)" if rate is not None else "")
        )
    return lines


def summary_text(summary: dict[str, Any], scenario_name: str) -> str:
    collapsed = summary["mou_collapsed_round"]
    mou = (
        f"collapsed in round {collapsed}"
        if collapsed
        else f"held ({summary['mou_final'].lower()} at the end)"
    )
    tolerance = ", ".join(
        f"{host} {value:.2f}" for host, value in summary["host_tolerance"].items()
    )
    restricting = ", ".join(summary["hosts_restricting"]) or "none"
    sequence = " -> ".join(summary["phase_sequence"]) or "none"
    cx = summary["cost_exchange"]
    lines = [
        f"Summary: {printable(scenario_name)}, seed {summary['seed']}, {summary['rounds']} rounds",
        f"  MOU:                 {mou}",
        f"  highest rung:        {summary['highest_rung']} ({summary['highest_rung_name']})",
        f"  phase sequence:      {sequence}",
        f"  threats at defended sites ({IDENTITY}):",
        *threat_lines(summary),
        f"  leakers:             {summary['leakers']} (all kinds)",
        f"  interceptor spend:   {money(summary['interceptor_spend_usd'])}",
        f"  attacker spend:      {money(summary['attacker_spend_usd'])}",
        f"  cost-exchange:       {'-' if cx is None else f'{cx:.1f} : 1 (defender : attacker)'}",
        f"  US strike spend:     {money(summary['us_strike_spend_usd'])}",
        f"  host damage:         {summary['host_damage']:.1f} (value-weighted units); "
        f"economic loss {money(summary['economic_loss_usd'])}",
        f"  host tolerance:      {tolerance}; restricting basing: {restricting}",
        f"  force majeure days:  {summary['force_majeure_days']:.0f}",
        f"  casualties:          {summary['casualties']}",
        f"  shipping:            {summary['transits']} transits, {summary['vessels_struck']} vessels struck, "
        f"loss {money(summary['shipping_loss_usd'])}",
    ]
    return "\n".join(lines)
