"""Phase 6: the sides' ledgers take in the round, the MOU and the Swiss channel follow, and the
grievances and memories fade (rules/diplomacy.py, rules/grievance.py)."""

from __future__ import annotations

from wargame.config.schema import MouLinkage
from wargame.engine.adjudication import Setting
from wargame.engine.events import EventLog
from wargame.engine.rules import shipping
from wargame.engine.rules.diplomacy import (
    CHANNEL_DECISION,
    Channel,
    MouState,
    channel_after,
    next_mou_state,
    update_ledgers,
)
from wargame.engine.rules.grievance import after_irgc_action, faded
from wargame.engine.state import World


def update(world: World, setting: Setting, chosen: dict[str, str], record: EventLog) -> None:
    """Ledgers, MOU and channel after the round's `chosen` orders (the IRGC's channel move
    under "irgc_channel"); then every memory fades."""
    _ledgers_and_mou(world, setting, chosen, record)
    _channel(world, setting, chosen, record)
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
        chosen[CHANNEL_DECISION],
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


def _channel(world: World, setting: Setting, chosen: dict[str, str], record: EventLog) -> None:
    """The IRGC's channel move of the round (its decision, a human order or an inject's),
    booked like its other orders: what it adds to Washington's grievance and settles of
    Tehran's (rules/grievance.after_irgc_action) and of the defiance it remembers."""
    scenario = setting.scenario
    diplomacy = world.diplomacy
    grievances = world.grievances
    move = chosen[CHANNEL_DECISION]
    rules = scenario.behaviour.grievances
    sovereignty = grievances.sovereignty
    grievances.us_unanswered, grievances.sovereignty = after_irgc_action(grievances, move, 1, rules)
    grievances.defiance *= rules.defiance.left_after_irgc_action[move]
    new_channel = channel_after(diplomacy.channel, move)
    if new_channel != diplomacy.channel:
        halted = new_channel == Channel.HALTED
        verb = "halts" if halted else "reopens"
        if halted:
            why = f"sovereignty violations {sovereignty:.2f} unanswered"
        elif grievances.relief_offered:
            why = "sanctions relief is on the table"
        else:
            why = f"violations have faded to {sovereignty:.2f}"
        record.decision(
            "irgc",
            move,
            "Swiss channel",
            new_channel.name,
            f"The IRGC {verb} the diplomatic channel in Switzerland ({why}).",
            decision_key=CHANNEL_DECISION,
        )
    diplomacy.channel = new_channel
