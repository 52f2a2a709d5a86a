"""Fog of war: what each side may see when it decides.

Each side sees its own state exactly and the others' actions as reported, with error. Actors
decide from these views only, never from the model; the UI's side panels show the same views.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def reported(value: float, noise: float, rng: np.random.Generator) -> float:
    """A report of a positive quantity with multiplicative log-normal error (median = truth)."""
    if value == 0.0 or noise == 0.0:
        return float(value)
    return float(value * np.exp(noise * rng.standard_normal()))


@dataclass(frozen=True)
class IrgcView:
    round: int
    capacity: np.ndarray  # its own sites, exact
    surveillance: float  # capacity to watch the Strait (radar and surveillance sites)
    strike_capacity: float  # anti-ship and drone launch capacity
    defiant_detected: int  # ships seen running the TSS branch this round
    defiance: float  # remembered defiance of the routing mandate
    sovereignty: float  # unanswered US strikes on Iranian soil
    lebanon: float  # intensity of Israeli operations in southern Lebanon
    linked: bool
    us_resolve: float  # perceived weight of the reciprocity wing in Washington, noisy
    relief_offered: bool
    channel_open: bool
    host_open_channel: frozenset[str]  # hosts that opened their own channel to Tehran
    restricted_hosts: frozenset[str]


@dataclass(frozen=True)
class CentcomView:
    round: int
    shipping_attacks: float  # attacks on shipping reported recently (decayed)
    unanswered: float  # reported violations since the last US strike (decayed)
    transit_shortfall: float  # share of normal traffic missing
    mines: float  # reported mine density
    iran_capacity: float  # estimated mean capacity of Iranian coastal sites, noisy
    host_strikes: float  # salvos on host states reported recently (decayed)
    channel_open: bool
    restraint_pressure: float  # hosts pressing for restraint this round
    usable_basing: float  # share of host bases open for offensive use


@dataclass(frozen=True)
class HostView:
    host: str
    round: int
    tolerance: float
    damage_recent: float  # its own damage, exact (decayed)
    casualties_recent: float
    force_majeure: int
    threat: float  # perceived chance of being struck soon
    restricted: bool
    magazine_share: float  # its own interceptors left, share of the start
