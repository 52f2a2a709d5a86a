"""The structured event log: who did what to whom, what came of it, and why they chose it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Which phase of the seed's tri-lateral loop an action belongs to (for the phase sequence).
PHASE_OF_ACTION = {
    "interdiction": 1,
    "centcom_strike": 2,
    "host_strike": 3,
}


@dataclass(frozen=True)
class Event:
    round: int
    date: str
    actor: str
    action: str
    target: str
    outcome: str
    sentence: str
    phase: int | None = None  # 1 interdiction, 2 CENTCOM strike on Iran, 3 host-state strike
    breakdown: dict[str, float] = field(default_factory=dict)
    probability: float | None = None
    # The action was a human's order (browser play), not the AI's choice; the breakdown and
    # probability are still the AI's own forecast of that action, for the "why" panel.
    by_human: bool = False

    def to_dict(self) -> dict[str, Any]:
        record = {
            "round": self.round,
            "date": self.date,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "phase": self.phase,
            "probability": None if self.probability is None else round(self.probability, 6),
            "breakdown": {term: round(value, 6) for term, value in self.breakdown.items()},
            "sentence": self.sentence,
        }
        # Only when true, so an AI-only run writes the same events file as before.
        if self.by_human:
            record["by_human"] = True
        return record
