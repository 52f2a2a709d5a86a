"""Text the CLI prints: the round-by-round table and the end-of-run summary.

Every number comes from the run's own metrics and summary; nothing is recomputed here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

SHORT_KIND = {"ballistic": "BM", "cruise": "CM", "drone": "UAV", "anti_ship": "AShM"}
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


def money(usd: float | None) -> str:
    if usd is None:
        return "-"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(usd) >= size:
            return f"${usd / size:.1f}{unit}"
    return f"${usd:.0f}"


def round_table(metrics: pd.DataFrame) -> str:
    header = (
        f"{'rnd':>4} {'date':<10} {'rung':<36} {'MOU':<9} {'channel':<7} {'IRGC':<11} "
        f"{'CENTCOM':<9} {'trans':>5} {'BM':>3} {'CM':>3} {'UAV':>3} {'AShM':>4} "
        f"{'leak':>4} {'CX':>6}"
    )
    lines = [header, "-" * len(header)]
    for row in metrics.itertuples(index=False):
        rung = f"{row.rung} {row.rung_name}"
        lines.append(
            f"{row.round:>4} {row.date:<10} {rung:<36} {row.mou:<9} {row.channel:<7} "
            f"{SHORT_ACTION.get(row.irgc_action, row.irgc_action):<11} "
            f"{SHORT_ACTION.get(row.centcom_action, row.centcom_action):<9} {row.transits:>5} "
            f"{row.intercepted_ballistic:>3} {row.intercepted_cruise:>3} {row.intercepted_drone:>3} "
            f"{row.intercepted_anti_ship:>4} {row.leakers:>4} {row.cost_exchange:>6.1f}"
        )
    return "\n".join(lines)


def summary_text(summary: dict[str, Any], scenario_name: str) -> str:
    collapsed = summary["mou_collapsed_round"]
    mou = (
        f"collapsed in round {collapsed}"
        if collapsed
        else f"held ({summary['mou_final'].lower()} at the end)"
    )
    interceptions = ", ".join(
        f"{SHORT_KIND[kind]} {summary['intercepted'][kind]}/{summary['launched'][kind]}"
        + (f" ({rate:.0%})" if (rate := summary["interception_rate"][kind]) is not None else "")
        for kind in SHORT_KIND
    )
    tolerance = ", ".join(
        f"{host} {value:.2f}" for host, value in summary["host_tolerance"].items()
    )
    restricting = ", ".join(summary["hosts_restricting"]) or "none"
    sequence = " -> ".join(summary["phase_sequence"]) or "none"
    cx = summary["cost_exchange"]
    lines = [
        f"Summary: {scenario_name}, seed {summary['seed']}, {summary['rounds']} rounds",
        f"  MOU:                 {mou}",
        f"  highest rung:        {summary['highest_rung']} ({summary['highest_rung_name']})",
        f"  phase sequence:      {sequence}",
        f"  interceptions:       {interceptions}",
        f"  leakers:             {summary['leakers']}",
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
