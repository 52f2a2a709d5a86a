"""The Gulf hosts: each host's own measure of the round carried out (phase 4), then its
tolerance of US basing and its restrictions updated from the harm it took (phase 5)."""

from __future__ import annotations

from wargame.config.ladder import ACTIONS
from wargame.config.schema import HostParams
from wargame.engine.adjudication import Setting
from wargame.engine.events import EventLog
from wargame.engine.rules.tolerance import basing_restricted, next_tolerance
from wargame.engine.state import World

HOURS_PER_DAY = 24.0  # force majeure is reported in days


def act(world: World, setting: Setting, params: HostParams, action: str, record: EventLog) -> None:
    """Carry out one host's measure: interceptors, basing restrictions, restraint, own channel."""
    state = world.hosts[params.id]
    behaviour = setting.scenario.behaviour.hosts
    if action == "request_interceptors":
        slot = world.magazines.request_slots[params.id]
        if slot is not None:
            node_id, index = slot
            world.magazines.add(node_id, index, params.interceptor_request_size)
    elif action == "restrict_basing":
        state.restricted_until = world.round + behaviour.restriction_rounds
    elif action == "press_restraint":
        world.grievances.restraint_pressure += behaviour.restraint_per_press
    elif action == "open_channel":
        state.open_channel_until = world.round + behaviour.own_channel_rounds
    if action != "stay_quiet":
        record.decision(params.id, action, "-", "done", f"{params.name} {ACTIONS[action].label}.")
    elif record.applied.get(params.id) == "stay_quiet":
        # An AI host that stays quiet is not news; a human's order to is, so it shows.
        record.decision(params.id, action, "-", "done", f"{params.name} stays quiet.")


def update(world: World, setting: Setting, hosts: dict[str, HostParams], record: EventLog) -> None:
    """Phase 5: each host's tolerance after the round's new harm and defence bill, the basing
    restrictions it brings, force majeure's cost, and the host's memory of harm fading."""
    scenario = setting.scenario
    memory = scenario.behaviour.memories.host_harm
    for host_id, state in world.hosts.items():
        params = hosts[host_id]
        in_force_majeure = state.force_majeure_until >= world.round
        # Only the round's new harm erodes: the memory of earlier harm was charged when it
        # happened (it still feeds the host's own forecast, agents.Host).
        new_damage, new_casualties = state.new_harm()
        state.tolerance = next_tolerance(
            state.tolerance,
            new_damage,
            new_casualties,
            int(in_force_majeure),
            params,
            scenario.behaviour.hosts.erosion,
            state.interceptor_spend_round,
        )
        state.interceptor_spend_round = 0.0
        was = state.restricted
        state.restricted = basing_restricted(
            state.tolerance, state.restricted_until >= world.round, params
        )
        if state.restricted and not was:
            record.event(
                host_id,
                "restrict_basing",
                "US forces",
                "basing restricted",
                f"{params.name} restricts offensive use of its bases (tolerance {state.tolerance:.2f}).",
            )
        if in_force_majeure:
            world.totals["force_majeure_days"] += scenario.clock.round_hours / HOURS_PER_DAY
            world.totals["economic_loss_usd"] += (
                scenario.adjudication.economic_loss_per_force_majeure_round
            )
        state.fade_harm(memory)
