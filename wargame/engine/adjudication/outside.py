"""Phase 1: the processes outside the actors' control (the Lebanon front) and the scenario's
scripted injects of the round (Lebanon's intensity, the channel, an actor's forced action, and
attacks on merchant ships by someone outside the game)."""

from __future__ import annotations

import numpy as np

from wargame.config.schema import Inject
from wargame.engine.adjudication import Setting
from wargame.engine.events import EventLog
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
