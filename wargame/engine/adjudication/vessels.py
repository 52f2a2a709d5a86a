"""Commercial ships: they arrive and choose a branch (phase 2), and move, strike mines, get hit
and leave (phase 4). Every ship's numbers are in the fleet's arrays (fleet.py), updated in one
vectorised pass per round.

A round's ~100-400 ships make numpy's cost per call, not per ship, the price of these phases:
the passes below are written to make few calls (lookup tables for the choice codes, route
tables built once per theatre), each giving exactly the numbers the plain masks gave.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from wargame.engine.adjudication import PHASE_INTERDICTION, Setting
from wargame.engine.events import EventLog
from wargame.engine.fleet import UNDECIDED, Fleet
from wargame.engine.rules import shipping
from wargame.engine.rules.grievance import transits_remembered
from wargame.engine.rules.shipping import CHOICES, COMPLY, OUTSIDE, TURN_BACK, WAIT
from wargame.engine.state import RoundTally, World
from wargame.engine.theatre import Theatre

# The codes a slot's `Fleet.choice` holds, as rows of the tables below: the choices, then
# UNDECIDED (-1: a negative index counts from the end) for a ship yet to choose or a free slot.
CODES = CHOICES + 1
# Theatres whose lanes are kept at once (a run reads one; a sweep runs one scenario at a time).
LANES_KEPT = 8


def _codes(*codes: int) -> np.ndarray:
    """A lookup table of `Fleet.choice` codes -> whether the code is one of `codes`."""
    table = np.zeros(CODES, dtype=bool)
    table[list(codes)] = True
    return table


CHOOSING = _codes(UNDECIDED, WAIT)  # a ship that has not set off chooses (again) this round
UNDER_WAY = _codes(COMPLY, OUTSIDE)  # in the corridor or on the TSS branch


@dataclass(frozen=True)
class Lanes:
    """The routes' numbers the vessel phases read for every slot at once, by its choice code
    (rows) and route id (columns). A code with no way has numbers that leave a slot as it is."""

    reach_from: np.ndarray  # [route]: where the TSS branch comes into anti-ship reach (km) ...
    reach_to: np.ndarray  # [code, route]: ... and leaves it; -inf off the branch or never in reach
    step_km: np.ndarray  # [code]: km made in a round, in the corridor or outside; else 0.0
    length_km: np.ndarray  # [code, route]: the length of the way taken; inf with no way


@functools.lru_cache(maxsize=LANES_KEPT)
def lanes(theatre: Theatre, speed_km: float, corridor_delay_rounds: float) -> Lanes:
    """The lanes of a theatre at a speed: made once, as the theatre never changes in a run."""
    exposed_to = theatre.route_exposed_to
    reach_to = np.full((CODES, len(theatre.routes)), -np.inf)
    reach_to[OUTSIDE] = np.where(exposed_to > 0, exposed_to, -np.inf)
    step_km = np.zeros(CODES)
    step_km[COMPLY] = speed_km / (1.0 + corridor_delay_rounds)
    step_km[OUTSIDE] = speed_km
    length_km = np.full((CODES, len(theatre.routes)), np.inf)
    length_km[COMPLY] = theatre.route_comply_km
    length_km[OUTSIDE] = theatre.route_outside_km
    tables = Lanes(theatre.route_exposed_from, reach_to, step_km, length_km)
    for table in (reach_to, step_km, length_km):
        table.flags.writeable = False
    return tables


def _lanes(setting: Setting) -> Lanes:
    params = setting.scenario.shipping
    # An inspection holds a ship in the corridor: it slows it as the corridor's own delay does.
    held = params.corridor_delay_rounds + params.inspection_rounds
    return lanes(setting.theatre, params.speed_km_per_round, held)


def strike_risk(world: World, setting: Setting) -> float:
    """What ships read into recent attacks on vessels that ran the TSS branch."""
    scenario = setting.scenario
    return shipping.perceived_strike_risk(
        world.grievances.mandates,
        world.grievances.shipping_attacks,
        world.escorting,
        scenario.behaviour.vessels,
        scenario.actors.centcom.escort_protection,
    )


def arrive_and_choose(
    world: World, setting: Setting, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """This round's ships arrive (agents of the fleet's model), and every ship not under way
    chooses its branch. Returns the slots of the ships on the TSS branch within anti-ship
    reach, and which of them the IRGC's surveillance detects."""
    params = setting.scenario.shipping
    costs = branch_costs(world, setting)
    arrivals = int(rng.poisson(params.arrivals_per_round * coming(world, setting, costs)))
    values = params.vessel_value_usd * np.exp(params.value_spread * rng.standard_normal(arrivals))
    # As `rng.choice(len(shares), size=arrivals, p=shares)` draws them (theatre.route_cdf).
    routes = setting.theatre.route_cdf.searchsorted(rng.random(arrivals), side="right")
    world.fleet.arrive(values, routes)
    world.tally.arrivals = arrivals
    choose(world, setting, rng, costs)
    exposed_slots = in_reach(world.fleet, setting)
    detection = (
        world.iran.surveillance() * setting.scenario.behaviour.operations.surveillance_detection
    )
    detected = rng.random(len(exposed_slots)) < detection
    world.tally.defiant_detected = int(np.count_nonzero(detected))
    return exposed_slots, detected


def branch_costs(world: World, setting: Setting) -> dict[str, list[float]]:
    """The cost terms of each choice at the Strait this round (the same for every ship)."""
    scenario = setting.scenario
    return shipping.choice_costs(
        strike_risk(world, setting),
        shipping.mine_risk(world.iran.mines, scenario.behaviour.operations.mine_hit_per_density),
        world.premium,
        scenario.shipping,
        scenario.behaviour.vessels,
    )


def coming(world: World, setting: Setting, costs: dict[str, list[float]]) -> float:
    """Underwriters' cover at this round's arrivals (in the world), and the share of the
    calm-time traffic whose owners send a ship this round."""
    params = setting.scenario.shipping
    market = world.market
    market.cover = shipping.war_cover(
        market.cover,
        world.premium,
        market.attacks,
        world.grievances.host_strikes,
        params.demand.cover,
    )
    share = shipping.coming_share(
        shipping.expected_cost(costs, params.weights, params.rationality),
        market.attacks,
        market.cover,
        world.escorting,
        params.demand,
    )
    world.tally.coming_share = share
    return share


def choose(
    world: World,
    setting: Setting,
    rng: np.random.Generator,
    costs: dict[str, list[float]] | None = None,
) -> None:
    """Every ship in the area that has not set off (just arrived, or waiting) chooses: comply,
    run the TSS branch, wait, or turn back (and leave). `costs`: this round's `branch_costs`
    if already made."""
    params = setting.scenario.shipping
    fleet = world.fleet
    choosing = (CHOOSING[fleet.choice] & fleet.alive).nonzero()[0]
    if len(choosing) == 0:
        return
    if costs is None:
        costs = branch_costs(world, setting)
    cumulative = shipping.choice_cumulative(costs, params.weights, params.rationality)
    may_wait = fleet.waited[choosing] < params.max_wait_rounds
    choices = shipping.choose_by_kind(cumulative, may_wait, rng)
    fleet.choice[choosing] = choices
    chosen = np.bincount(choices, minlength=CHOICES).tolist()
    if chosen[WAIT]:
        fleet.waited[choosing] += choices == WAIT
    world.tally.outside = chosen[OUTSIDE]
    world.tally.turned_back = chosen[TURN_BACK]
    if chosen[TURN_BACK]:
        fleet.depart(choosing[choices == TURN_BACK])


def in_reach(fleet: Fleet, setting: Setting) -> np.ndarray:
    """Slots of the ships running the TSS branch this round inside anti-ship reach: where they
    are and where the round takes them overlap the branch's stretch in reach. They can be seen
    and struck. (Every slot at once: one off the branch is never in reach.)"""
    tables = _lanes(setting)
    progress, route = fleet.progress, fleet.route
    end = progress + setting.scenario.shipping.speed_km_per_round
    exposed = (progress <= tables.reach_to[fleet.choice, route]) & (end >= tables.reach_from[route])
    return (exposed & fleet.alive).nonzero()[0]


def strike(
    fleet: Fleet,
    tally: RoundTally,
    slots: np.ndarray,
    setting: Setting,
    rng: np.random.Generator,
    by_mine: bool = False,
) -> None:
    """Ships hit by a missile or a mine: their loss, crew casualties, and they leave the theatre."""
    if len(slots) == 0:
        return
    scenario = setting.scenario
    params = scenario.shipping
    loss = float(fleet.value[slots].sum() * params.strike_loss_fraction)
    if by_mine:
        tally.mine_hits += len(slots)
    else:
        tally.vessels_struck += len(slots)
    tally.shipping_loss += loss
    share = scenario.behaviour.operations.crew_casualty_share
    tally.casualties += int(rng.binomial(params.crew * len(slots), share))
    fleet.depart(slots)


def move(world: World, setting: Setting, rng: np.random.Generator, record: EventLog) -> None:
    """Ships under way strike mines (each a grievance of Washington's) and move on; those at
    the end of their route leave the theatre. Then the market remembers the round's attacks
    on ships (the IRGC's, already carried out in this phase, and the mines')."""
    _move(world, setting, rng, record)
    tally = world.tally
    market = world.market
    market.attacks = shipping.attacks_remembered(
        market.attacks,
        tally.vessels_attacked + tally.mine_hits,
        setting.scenario.shipping.demand.attack_memory,
    )


def _move(world: World, setting: Setting, rng: np.random.Generator, record: EventLog) -> None:
    scenario = setting.scenario
    fleet = world.fleet
    grievances = world.grievances
    under_way = UNDER_WAY[fleet.choice] & fleet.alive
    moving = int(np.count_nonzero(under_way))
    keep = scenario.behaviour.memories.transits
    if moving == 0:
        grievances.transits = keep * grievances.transits
        return
    hits = shipping.mine_hits(
        moving, world.iran.mines, scenario.behaviour.operations.mine_hit_per_density, rng
    )
    if hits:
        struck = rng.choice(under_way.nonzero()[0], size=hits, replace=False)
        strike(fleet, world.tally, struck, setting, rng, by_mine=True)
        grievances.shipping_attacks += hits
        grievances.us_unanswered += scenario.behaviour.grievances.unanswered.per_mine_hit * hits
        record.event(
            "irgc",
            "mine_lanes",
            f"{hits} vessels",
            "mine strike",
            f"{hits} ship(s) strike mines in the lanes.",
            phase=PHASE_INTERDICTION,
            figures={"hits": int(hits)},
        )
    # Every slot at once: one not under way (now) makes 0.0 km, which leaves its number as it
    # was, and has no end of its way to reach.
    tables = _lanes(setting)
    choice = fleet.choice
    fleet.progress += tables.step_km[choice]
    done = ((fleet.progress >= tables.length_km[choice, fleet.route]) & fleet.alive).nonzero()[0]
    world.tally.transits = len(done)
    fleet.depart(done)
    grievances.transits = transits_remembered(grievances.transits, len(done), keep)
