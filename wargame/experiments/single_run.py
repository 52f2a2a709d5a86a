"""One run: a plain, picklable function of (scenario, seed, rounds) that returns what came of it.

The per-round metrics table, the event log and a summary of outcomes (the numbers an analyst
compares across runs). The CLI prints it, sweep workers keep its outcomes, tests assert on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from wargame.config.ladder import RUNG_NAMES
from wargame.config.schema import Scenario
from wargame.engine.events import Event
from wargame.engine.metrics import cost_exchange_of_kind, interceptor_usd_per_engaged
from wargame.engine.model import GulfModel, build_model
from wargame.engine.rules.defence import THREAT_KINDS
from wargame.experiments.patterns import pattern_values

PHASE_NAMES = {1: "interdiction", 2: "CENTCOM strike", 3: "host-state strike"}


@dataclass(frozen=True)
class RunResult:
    seed: int
    rounds: int
    metrics: pd.DataFrame
    events: list[Event]
    summary: dict[str, Any]


def run_model(model: GulfModel, rounds: int) -> GulfModel:
    for _ in range(rounds):
        model.step()
    return model


def run_once(scenario: Scenario, seed: int, rounds: int | None = None) -> RunResult:
    rounds = scenario.clock.rounds if rounds is None else rounds
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    model = run_model(build_model(scenario, seed), rounds)
    metrics = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    return RunResult(seed, rounds, metrics, list(model.events), summarise(model))


def summarise(model: GulfModel) -> dict[str, Any]:
    """The run's outcomes, every one read from the model's own metrics and state."""
    totals = model.world.totals
    launched = {kind: int(totals[f"launched_{kind}"]) for kind in THREAT_KINDS}
    intercepted = {kind: int(totals[f"intercepted_{kind}"]) for kind in THREAT_KINDS}
    # Every threat launched is intercepted, leaks through, or fails in flight on its own.
    leaked = {kind: int(totals[f"leaked_{kind}"]) for kind in THREAT_KINDS}
    failed = {kind: int(totals[f"failed_{kind}"]) for kind in THREAT_KINDS}
    attacker = totals["attacker_spend_usd"]
    firsts = model.phase_firsts
    return {
        "seed": model.seed,
        "rounds": model.round,
        "mou_collapsed_round": model.world.diplomacy.collapsed_round,
        "mou_final": model.world.diplomacy.mou.name,
        "channel_final": model.world.diplomacy.channel.name,
        "highest_rung": model.world.highest_rung,
        "highest_rung_name": RUNG_NAMES[model.world.highest_rung],
        "phase_sequence": [PHASE_NAMES[p] for p in model.phase_sequence()],
        "first_interdiction_round": firsts.get(1),
        "first_centcom_strike_round": firsts.get(2),
        "first_host_strike_round": firsts.get(3),
        "launched": launched,
        "intercepted": intercepted,
        "leaked": leaked,
        "failed_in_flight": failed,
        "interception_rate": {
            kind: (intercepted[kind] / launched[kind] if launched[kind] else None)
            for kind in THREAT_KINDS
        },
        "leakers": int(totals["leakers"]),
        "interceptor_spend_usd": totals["interceptor_spend_usd"],
        "attacker_spend_usd": attacker,
        "cost_exchange": totals["interceptor_spend_usd"] / attacker if attacker else None,
        # The same spends split by threat kind, and its cost-exchange (None: none launched).
        "interceptor_spend_by_kind_usd": {
            kind: totals[f"interceptor_spend_{kind}_usd"] for kind in THREAT_KINDS
        },
        "attacker_spend_by_kind_usd": {
            kind: totals[f"attacker_spend_{kind}_usd"] for kind in THREAT_KINDS
        },
        "cost_exchange_by_kind": {
            kind: cost_exchange_of_kind(totals, kind) for kind in THREAT_KINDS
        },
        # Engagements: a threat two layers engage counts twice.
        "engaged": {kind: int(totals[f"engaged_{kind}"]) for kind in THREAT_KINDS},
        "interceptor_usd_per_engaged": {
            kind: interceptor_usd_per_engaged(totals, kind) for kind in THREAT_KINDS
        },
        "us_strike_spend_usd": totals["us_strike_spend_usd"],
        "host_damage": totals["host_damage"],
        "economic_loss_usd": totals["economic_loss_usd"],
        "host_tolerance": {h: round(s.tolerance, 6) for h, s in model.world.hosts.items()},
        "hosts_restricting": sorted(h for h, s in model.world.hosts.items() if s.restricted),
        "force_majeure_days": totals["force_majeure_days"],
        "casualties": int(totals["casualties"]),
        "vessels_struck": int(totals["vessels_struck"]),
        "transits": int(totals["transits"]),
        "shipping_loss_usd": totals["shipping_loss_usd"],
        **pattern_values(model),
    }


def outcome_values(summary: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    derived = {
        "truce_held": summary["mou_collapsed_round"] is None,
        "loop_in_order": loop_in_order(summary),
        **{
            f"{count}_{kind}": summary[count][kind]
            for count in ("launched", "intercepted", "engaged")
            for kind in THREAT_KINDS
        },
        **{
            name: summary[key][kind]
            for kind in THREAT_KINDS
            for name, key in (
                (f"interceptor_spend_{kind}_usd", "interceptor_spend_by_kind_usd"),
                (f"attacker_spend_{kind}_usd", "attacker_spend_by_kind_usd"),
                (f"cost_exchange_{kind}", "cost_exchange_by_kind"),
                (f"interceptor_usd_per_{kind}_engaged", "interceptor_usd_per_engaged"),
            )
        },
    }
    return {name: derived[name] if name in derived else summary[name] for name in names}


def loop_in_order(summary: dict[str, Any]) -> bool:
    """Did the first host-state strike follow a CENTCOM strike that followed an interdiction?"""
    one = summary["first_interdiction_round"]
    two = summary["first_centcom_strike_round"]
    three = summary["first_host_strike_round"]
    return None not in (one, two, three) and one < two < three
