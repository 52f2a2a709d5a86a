"""Violation ledgers, the MOU state machine and the diplomatic channel (DESIGN §6).

Each side keeps its own ledger and counts different things: Washington counts attacks on shipping
and on host states; Tehran counts strikes on its soil and, when the MOU is linked, the Lebanon
front. The MOU worsens at once when either ledger crosses a threshold and recovers one step at a
time, only while the channel is open and both ledgers stay low. The Swiss channel is the
IRGC's to halt or reopen, a decision it takes each round on its channel menu by the logit rule
(`channel_costs` gives the menu and its raw costs; agents.Irgc.decide_channel weighs them).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from wargame.config.schema import LedgerEntries, MouParams


class MouState(IntEnum):
    IN_FORCE = 0
    STRAINED = 1
    SUSPENDED = 2
    COLLAPSED = 3


class Channel(IntEnum):
    OPEN = 0
    HALTED = 1


@dataclass(frozen=True)
class Ledgers:
    us: float = 0.0
    iran: float = 0.0

    @property
    def pressure(self) -> float:
        return max(self.us, self.iran)


def update_ledgers(
    ledgers: Ledgers,
    irgc_action: str,
    channel_move: str,
    centcom_action: str,
    lebanon_entry: float,
    params: MouParams,
    entries: LedgerEntries,
) -> Ledgers:
    """Decay both ledgers, then write this round's violations as each side counts them
    (`entries`: scenario behaviour.ledgers); Washington books the IRGC's channel move too."""
    return Ledgers(
        us=ledgers.us * params.ledger_decay
        + entries.us_per_irgc_action[irgc_action]
        + entries.us_per_irgc_action[channel_move],
        iran=ledgers.iran * params.ledger_decay
        + entries.iran_per_centcom_action[centcom_action]
        + lebanon_entry,
    )


def state_for_pressure(pressure: float, params: MouParams) -> MouState:
    if pressure >= params.collapsed_at:
        return MouState.COLLAPSED
    if pressure >= params.suspended_at:
        return MouState.SUSPENDED
    if pressure >= params.strained_at:
        return MouState.STRAINED
    return MouState.IN_FORCE


def next_mou_state(
    state: MouState, calm_rounds: int, pressure: float, channel: Channel, params: MouParams
) -> tuple[MouState, int]:
    """Worsen at once; recover one step after `recovery_rounds` calm rounds with the channel open.

    Returns the new state and the count of consecutive calm rounds.
    """
    pressured = state_for_pressure(pressure, params)
    if pressured > state:
        return pressured, 0
    calm = pressured < state and channel == Channel.OPEN
    calm_rounds = calm_rounds + 1 if calm else 0
    if calm_rounds >= params.recovery_rounds:
        return MouState(state - 1), 0
    return state, calm_rounds


# The key of the IRGC's channel decision (keep, halt or reopen the Swiss channel) among each
# round's decisions and orders, beside the actors' own: a human IRGC player may order it with
# `GulfModel.command(CHANNEL_DECISION, move)`, and injects that set the channel force it.
CHANNEL_DECISION = "irgc_channel"

# The IRGC's channel decision (agents.Irgc.decide_channel): its cost terms, in the order of
# behaviour.channel.weights, and the moves that make sense in each state of the channel.
CHANNEL_TERMS = ("sovereignty", "relief_forgone", "isolation", "turnabout")
CHANNEL_MENU = {
    Channel.OPEN: ("keep_channel", "halt_channel"),
    Channel.HALTED: ("keep_channel", "reopen_channel"),
}


def channel_costs(
    channel: Channel, sovereignty: float, relief_offered: bool
) -> tuple[tuple[str, ...], tuple[tuple[float, ...], ...]]:
    """The IRGC's channel menu in this state of the channel and each move's raw cost of
    `CHANNEL_TERMS`: an open channel costs it face while US violations of its soil go
    unanswered (`sovereignty`); a halted one forgoes the sanctions relief on the table and
    isolates it (1 a round); a change of course (a halt, a reopening) costs 1 of turnabout,
    so a halted channel stays halted until the violations fade or relief is offered."""
    relief = 1.0 if relief_offered else 0.0
    open_row = (sovereignty, 0.0, 0.0)
    halted_row = (0.0, relief, 1.0)
    if channel == Channel.OPEN:
        return CHANNEL_MENU[channel], ((*open_row, 0.0), (*halted_row, 1.0))
    return CHANNEL_MENU[channel], ((*halted_row, 0.0), (*open_row, 1.0))


def channel_after(channel: Channel, move: str) -> Channel:
    """The channel after one of the IRGC's channel moves (an inject may force a move the
    menu of this state lacks: halting a halted channel keeps it halted)."""
    if move == "halt_channel":
        return Channel.HALTED
    if move == "reopen_channel":
        return Channel.OPEN
    if move == "keep_channel":
        return channel
    raise ValueError(f"{move!r} is not a channel move; expected one of {sorted(CHANNEL_MOVES)}")


CHANNEL_MOVES = frozenset(("keep_channel", "halt_channel", "reopen_channel"))
