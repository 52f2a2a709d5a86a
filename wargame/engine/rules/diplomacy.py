"""Violation ledgers, the MOU state machine and the diplomatic channel (DESIGN §6).

Each side keeps its own ledger and counts different things: Washington counts attacks on shipping
and on host states; Tehran counts strikes on its soil and, when the MOU is linked, the Lebanon
front. The MOU worsens at once when either ledger crosses a threshold and recovers one step at a
time, only while the channel is open and both ledgers stay low.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from wargame.config.schema import ChannelBehaviour, LedgerEntries, MouParams


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
    centcom_action: str,
    lebanon_entry: float,
    params: MouParams,
    entries: LedgerEntries,
) -> Ledgers:
    """Decay both ledgers, then write this round's violations as each side counts them
    (`entries`: scenario behaviour.ledgers)."""
    return Ledgers(
        us=ledgers.us * params.ledger_decay + entries.us_per_irgc_action[irgc_action],
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


def next_channel(
    channel: Channel,
    sovereignty: float,
    relief_offered: bool,
    params: MouParams,
    behaviour: ChannelBehaviour,
    rng: np.random.Generator,
) -> Channel:
    """The IRGC halts the Swiss channel once sovereignty violations pass its declared threshold;
    a halted channel reopens by chance once they fade, likelier with relief on the table
    (`behaviour.relief_reopening_factor` times).

    Always draws one number, so the random stream does not depend on the channel's state.
    """
    draw = rng.random()
    if sovereignty >= params.channel_halt_threshold:
        return Channel.HALTED
    if channel == Channel.HALTED:
        relief = behaviour.relief_reopening_factor if relief_offered else 1.0
        chance = params.channel_reopen_base * relief
        return Channel.OPEN if draw < chance else Channel.HALTED
    return channel
