"""Phase 1: the processes outside the actors' control (the Lebanon front) and the scenario's
scripted injects of the round."""

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
