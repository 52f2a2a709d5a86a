"""The structured event log: who did what to whom, what came of it, and why they chose it.

An event says it twice: as a `sentence` for people, and as `figures` for programs (the map's
arrows, anything that plots or counts what happened): the same numbers, so nothing has to read
them back out of the words.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

# What `Event.figures` holds, by the event (set in adjudication/):
# - an IRGC raid on a defended site (actor "irgc", phase 3: salvo_hosts, strike_energy,
#   strike_us_navy): target (node id), host (host id or None), launch_sites ({kind: [Iranian
#   site ids standing in range]}, Iran's secret), launched, intercepted, leaked, failed ({kind:
#   count} for every threat kind), damage, casualties, fire (force majeure declared);
# - a shot at a ship (strike_vessel, phase 1): vessel (its agent id), hit, weapon;
# - mines laid (mine_lanes, no phase): laid, density (both Iran's secret);
#   ships hitting mines (mine_lanes, phase 1): hits;
# - a CENTCOM strike package (limited_strikes, expanded_strikes, regime_campaign; phase 2):
#   weapon, weapons, hits, sites ([{site, weapons, hits, capacity_loss}] for every site struck;
#   capacity_loss is Iran's secret), surveillance (after the strike; Iran's secret).
# Events of other kinds have none ({}).


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
    # The outcome's numbers and ids as JSON-able values (listed above). Not part of `to_dict`, so
    # the events file of a run stays as it was; `to_record` carries them. They reveal exactly
    # what the sentence does, and `observation.event_for` hides the same secrets in both.
    figures: dict[str, Any] = field(default_factory=dict)

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

    def to_record(self) -> dict[str, Any]:
        """`to_dict()` with the event's `figures`: what the browser's map and log read."""
        # A copy: the record is the caller's to change, the event stays as logged.
        return {**self.to_dict(), "figures": copy.deepcopy(self.figures)}


class EventLog:
    """The run's events, booked as they happen, and the round each loop phase first happened.

    The model tells it the round being played (`start_round`), the actors' decisions of the
    round (`decisions`) and the human orders applied (`applied`), so an outcome is booked with
    the cost breakdown and probability of the action behind it (`decision`)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.phase_firsts: dict[int, int] = {}
        self.round = 0
        self.date = ""
        self.decisions: dict[str, Any] = {}  # actor -> decision.Decision, this round's
        self.applied: dict[str, str] = {}  # actor -> action: the human orders being resolved

    def start_round(self, round_: int, date: str) -> None:
        self.round, self.date = round_, date

    def event(
        self,
        actor,
        action,
        target,
        outcome,
        sentence,
        phase=None,
        breakdown=None,
        probability=None,
        by_human=False,
        figures=None,
    ) -> None:
        """Book one event of the current round."""
        if phase is not None and phase not in self.phase_firsts:
            self.phase_firsts[phase] = self.round
        self.events.append(
            Event(
                self.round,
                self.date,
                actor,
                action,
                str(target),
                str(outcome),
                sentence,
                phase,
                breakdown or {},
                probability,
                by_human,
                figures or {},
            )
        )

    def decision(
        self, actor, action, target, outcome, sentence, phase=None, decision_key=None, figures=None
    ) -> None:
        """Book the outcome of an actor's action, with why it was chosen (its decision's
        breakdown and probability of `action`) and whether a human ordered it."""
        key = decision_key or actor
        decision = self.decisions.get(key)
        known = decision is not None and action in decision.options
        breakdown = decision.breakdown(action) if known else {}
        probability = decision.probability(action) if known else None
        by_human = self.applied.get(key) == action
        self.event(
            actor,
            action,
            target,
            outcome,
            sentence,
            phase,
            breakdown,
            probability,
            by_human,
            figures,
        )

    def phase_sequence(self) -> list[int]:
        """The loop's phases in the order they first happened."""
        return [
            phase for phase, _ in sorted(self.phase_firsts.items(), key=lambda kv: (kv[1], kv[0]))
        ]
