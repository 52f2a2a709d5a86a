"""Adjudication: what the round's chosen actions and the outside processes do to the world.

Each module is one party's doings, as functions of the world's state objects (state.py), the
run's fixed `Setting` (scenario, theatre, intel), the random stream and the event log
(events.EventLog). They change the state they are given, book the round's counts in its tally
and one event per outcome, and return only what a later phase needs (which ships are in reach,
which injects force an order). The probabilistic core of each outcome is a
pure rule in `rules/`. None of them knows the model.

- `outside`: the Lebanon front and the scripted injects (phase 1);
- `vessels`: ships arriving and choosing (phase 2), moving, mines and ship losses (phase 4);
- `irgc`, `raids`, `centcom`, `hosts`: the actors' orders (phase 4), the hosts' tolerance (5);
- `diplomacy`: ledgers, the MOU, the channel and the memories fading (phase 6).
"""

from __future__ import annotations

from dataclasses import dataclass

from wargame.config.schema import Scenario
from wargame.engine.intel import Intel
from wargame.engine.theatre import Theatre

# The phases of the seed's tri-lateral loop that outcome events are tagged with (the model's
# phase_sequence): maritime interdiction, US strikes on Iranian soil, IRGC retaliation on hosts.
PHASE_INTERDICTION, PHASE_US_STRIKE, PHASE_HOST_RETALIATION = 1, 2, 3


@dataclass(frozen=True)
class Setting:
    """What a run reads and never changes: the scenario, its theatre and the actors' intel."""

    scenario: Scenario
    theatre: Theatre
    intel: Intel
