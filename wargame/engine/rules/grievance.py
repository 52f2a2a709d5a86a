"""Grievances the sides keep against each other (scenario `behaviour.grievances`): how they
grow from what each side sees, as pure functions of the old value and the round's news."""

from __future__ import annotations

from wargame.config.schema import DefianceGrievance


def defiance_seen(defiance: float, detected: int, params: DefianceGrievance) -> float:
    """The IRGC's defiance after a round: the old memory faded, plus the defiant ships it saw
    (`vessels_per_unit` of them make one unit)."""
    return params.memory * defiance + detected / params.vessels_per_unit
