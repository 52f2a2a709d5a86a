"""Phase 6: the sides' ledgers take in the round, the MOU and the Swiss channel follow, and the
grievances and memories fade (rules/diplomacy.py, rules/grievance.py)."""

from __future__ import annotations

import numpy as np

from wargame.config.schema import MouLinkage
from wargame.engine.adjudication import Setting
from wargame.engine.events import EventLog
from wargame.engine.rules import shipping
from wargame.engine.rules.diplomacy import (
    Channel,
    MouState,
    next_channel,
    next_mou_state,
    update_ledgers,
)
from wargame.engine.rules.grievance import faded
from wargame.engine.state import World


def update(
    world: World,
    setting: Setting,
    chosen: dict[str, str],
    forced: dict[str, str],
    rng: np.random.Generator,
    record: EventLog,
) -> None:
    """Ledgers, MOU and channel after the round's `chosen` actions (`forced`: the injects'
    orders, a forced channel among them); then every memory fades."""
    _ledgers_and_mou(world, setting, chosen, record)
    _channel(world, setting, forced, rng, record)
    scenario = setting.scenario
    behaviour = scenario.behaviour
    tally = world.tally
    # Memories fade; grievances the other side answered were already cut down in phase 4.
    world.grievances = faded(
        world.grievances,
        tally.defiant_detected,
        chosen["irgc"],
        tally.irgc_carried_out,
        tally.vessels_attacked + tally.mine_hits,
        behaviour.grievances,
        behaviour.memories,
        scenario.shipping.premium,
    )
    world.premium = shipping.premium_rate(
        world.grievances.premium_attacks, scenario.shipping.premium
    )
    world.iran.mines *= behaviour.operations.mine_density_left


def _ledgers_and_mou(
    world: World, setting: Setting, chosen: dict[str, str], record: EventLog
) -> None:
    scenario = setting.scenario
    diplomacy = world.diplomacy
    lebanon_entry = (
        world.lebanon * scenario.lebanon.linkage_weight
        if scenario.levers.mou_linkage == MouLinkage.LINKED
        else 0.0
    )
    diplomacy.ledgers = update_ledgers(
        diplomacy.ledgers,
        chosen["irgc"],
        chosen["centcom"],
        lebanon_entry,
        scenario.mou,
        scenario.behaviour.ledgers,
    )
    before = diplomacy.mou
    diplomacy.mou, diplomacy.calm_rounds = next_mou_state(
        diplomacy.mou,
        diplomacy.calm_rounds,
        diplomacy.ledgers.pressure,
        diplomacy.channel,
        scenario.mou,
    )
    if diplomacy.mou != before:
        record.event(
            "diplomacy",
            "mou",
            "MOU",
            diplomacy.mou.name,
            f"The MOU is now {diplomacy.mou.name.replace('_', ' ').lower()} "
            f"(US ledger {diplomacy.ledgers.us:.1f}, Iranian ledger {diplomacy.ledgers.iran:.1f}).",
        )
    if diplomacy.mou == MouState.COLLAPSED and diplomacy.collapsed_round is None:
        diplomacy.collapsed_round = world.round


def _channel(
    world: World,
    setting: Setting,
    forced: dict[str, str],
    rng: np.random.Generator,
    record: EventLog,
) -> None:
    scenario = setting.scenario
    diplomacy = world.diplomacy
    sovereignty = world.grievances.sovereignty
    if "channel" in forced:
        new_channel = Channel.OPEN if forced["channel"] == "open" else Channel.HALTED
    else:
        new_channel = next_channel(
            diplomacy.channel,
            sovereignty,
            world.grievances.relief_offered,
            scenario.mou,
            scenario.behaviour.channel,
            rng,
        )
    if new_channel != diplomacy.channel:
        halted = new_channel == Channel.HALTED
        verb = "halts" if halted else "reopens"
        why = (
            f"sovereignty violations {sovereignty:.2f} at or past its threshold "
            f"{scenario.mou.channel_halt_threshold:.2f}"
            if halted
            else "violations have faded"
        )
        record.event(
            "irgc",
            "halt_channel" if halted else "reopen_channel",
            "Swiss channel",
            new_channel.name,
            f"The IRGC {verb} the diplomatic channel in Switzerland ({why}).",
            breakdown={"sovereignty": round(sovereignty, 6)},
        )
    diplomacy.channel = new_channel
