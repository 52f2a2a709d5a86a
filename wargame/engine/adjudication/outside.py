"""Phase 1: the processes outside the actors' control (the Lebanon front) and the scenario's
scripted injects of the round (Lebanon's intensity, the channel, an actor's forced action,
attacks on merchant ships by someone outside the game, and a fire at a host's energy site that
no actor claims)."""

from __future__ import annotations

import numpy as np

from wargame.config.schema import Inject
from wargame.engine.adjudication import Setting, raids
from wargame.engine.events import EventLog
from wargame.engine.intel import effective_value
from wargame.engine.rules.outside import next_lebanon_intensity
from wargame.engine.state import World


def outside_processes(
    world: World,
    setting: Setting,
    injects: list[Inject],
    rng: np.random.Generator,
    record: EventLog,
) -> dict[str, str]:
    """Move the Lebanon front and fire the round's `injects`; returns the actions they force, by
    actor (and "channel")."""
    world.lebanon = next_lebanon_intensity(world.lebanon, setting.scenario.lebanon, rng)
    forced: dict[str, str] = {}
    for inject in injects:
        if inject.kind == "lebanon_intensity":
            world.lebanon = float(inject.value)
        elif inject.kind == "channel":
            forced["channel"] = inject.channel
        elif inject.kind == "shipping_attacks":
            # Reported like the IRGC's own: the owners' and the underwriters' memories and the
            # attacks CENTCOM reads (each fades at the end of the round as usual).
            attacks = float(inject.attacks)
            world.market.attacks += attacks
            world.grievances.shipping_attacks += attacks
            world.grievances.premium_attacks += attacks
        elif inject.kind == "refinery_fire":
            figures = refinery_fire(world, setting, inject)
            record.event(
                "scenario",
                "inject",
                inject.node,
                "fire, force majeure",
                f"Scripted inject: {inject.note or 'a refinery fire'}. Fire at "
                f"{setting.scenario.node(inject.node).name}, damage {figures['damage']:.1f}; "
                "operators declare force majeure.",
                figures=figures,
            )
            continue
        else:
            forced[inject.actor] = inject.action
        record.event(
            "scenario",
            "inject",
            inject.kind,
            "fired",
            f"Scripted inject: {inject.note or inject.kind}.",
        )
    return forced


def refinery_fire(world: World, setting: Setting, inject: Inject) -> dict:
    """Book a refinery_fire inject's harm as a raid's is booked (raids.book_harm): damage at
    the site's value, force majeure, the economic loss; no casualties. No actor claims it, so
    nothing is attributed to the IRGC: no grievance, ledger or threat the hosts or the
    underwriters read (they read IRGC salvos) moves. Returns the event's figures."""
    scenario = setting.scenario
    node = scenario.node(inject.node)
    damage = float(inject.damage) * effective_value(scenario, node.id)
    raids.book_harm(world, scenario.adjudication, node, damage, 0, fire=True)
    return {
        "target": node.id,
        "host": node.host,
        "damage": round(damage, 6),
        "casualties": 0,
        "fire": True,
    }
