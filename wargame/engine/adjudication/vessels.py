"""Commercial ships: they arrive and choose a branch (phase 2), and move, strike mines, get hit
and leave (phase 4). Every ship's numbers are in the fleet's arrays (fleet.py), updated in one
vectorised pass per round."""

from __future__ import annotations

import mesa
import numpy as np

from wargame.engine.adjudication import PHASE_INTERDICTION, Setting
from wargame.engine.decision import draw_choices, logit_probabilities
from wargame.engine.events import EventLog
from wargame.engine.fleet import UNDECIDED, Fleet
from wargame.engine.rules import shipping
from wargame.engine.rules.grievance import transits_remembered
from wargame.engine.rules.shipping import COMPLY, OUTSIDE, TURN_BACK, WAIT
from wargame.engine.state import RoundTally, World

WAIT_KINDS = np.array([False, True])  # a choosing ship may not / may still wait


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
    model: mesa.Model, world: World, setting: Setting, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """This round's ships arrive (agents of `model`), and every ship not under way chooses its
    branch. Returns the slots of the ships on the TSS branch within anti-ship reach, and which
    of them the IRGC's surveillance detects."""
    scenario = setting.scenario
    params = scenario.shipping
    fleet = world.fleet
    arrivals = int(rng.poisson(params.arrivals_per_round))
    values = params.vessel_value_usd * np.exp(params.value_spread * rng.standard_normal(arrivals))
    # As `rng.choice(len(shares), size=arrivals, p=shares)` draws them (theatre.route_cdf).
    routes = setting.theatre.route_cdf.searchsorted(rng.random(arrivals), side="right")
    fleet.arrive(model, values, routes)
    world.tally.arrivals = arrivals

    choosing = np.flatnonzero(fleet.alive & ((fleet.choice == UNDECIDED) | (fleet.choice == WAIT)))
    if len(choosing):
        # A ship scores its choices in basis points of its own value, so ships differ only
        # in whether they may still wait: score those two kinds (rows False, True) once and
        # give each ship its kind's probabilities (the same numbers, row by row).
        costs = shipping.vessel_costs(
            np.ones(len(WAIT_KINDS)),
            strike_risk(world, setting),
            shipping.mine_risk(
                world.iran.mines, scenario.behaviour.operations.mine_hit_per_density
            ),
            world.premium,
            WAIT_KINDS,
            params,
            scenario.behaviour.vessels,
        )
        utilities = shipping.vessel_utilities(costs, params.weights)
        by_kind = logit_probabilities(utilities, params.rationality)
        can_wait = fleet.waited[choosing] < params.max_wait_rounds
        choices = draw_choices(by_kind, rng, rows=can_wait.astype(np.intp))
        fleet.choice[choosing] = choices
        fleet.waited[choosing] += choices == WAIT
        world.tally.outside = int(np.count_nonzero(choices == OUTSIDE))
        fleet.depart(choosing[choices == TURN_BACK])

    # Ships running the TSS branch this round, inside anti-ship reach, can be seen and struck.
    outside = np.flatnonzero(fleet.alive & (fleet.choice == OUTSIDE))
    exposed = np.zeros(len(outside), dtype=bool)
    if len(outside):
        theatre = setting.theatre
        route_ids = fleet.route[outside]
        start = fleet.progress[outside]
        end = start + params.speed_km_per_round
        lo = theatre.route_exposed_from[route_ids]
        hi = theatre.route_exposed_to[route_ids]
        exposed = (hi > 0) & (start <= hi) & (end >= lo)
    exposed_slots = outside[exposed]
    detection = world.iran.surveillance() * scenario.behaviour.operations.surveillance_detection
    detected = rng.random(len(exposed_slots)) < detection
    world.tally.defiant_detected = int(detected.sum())
    return exposed_slots, detected


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


def moving_slots(fleet: Fleet) -> np.ndarray:
    """Slots of the ships under way: in the corridor or on the TSS branch."""
    choice = fleet.choice
    return np.flatnonzero(fleet.alive & ((choice == COMPLY) | (choice == OUTSIDE)))


def move(world: World, setting: Setting, rng: np.random.Generator, record: EventLog) -> None:
    """Ships under way strike mines (each a grievance of Washington's) and move on; those at
    the end of their route leave the theatre."""
    scenario = setting.scenario
    params = scenario.shipping
    fleet = world.fleet
    grievances = world.grievances
    moving = moving_slots(fleet)
    keep = scenario.behaviour.memories.transits
    if len(moving) == 0:
        grievances.transits = keep * grievances.transits
        return
    hits = shipping.mine_hits(
        len(moving), world.iran.mines, scenario.behaviour.operations.mine_hit_per_density, rng
    )
    if hits:
        struck = rng.choice(moving, size=hits, replace=False)
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
        moving = moving_slots(fleet)
    complying = fleet.choice[moving] == COMPLY
    speed = np.where(
        complying,
        params.speed_km_per_round / (1.0 + params.corridor_delay_rounds),
        params.speed_km_per_round,
    )
    fleet.progress[moving] += speed
    route_ids = fleet.route[moving]
    lengths = np.where(
        complying,
        setting.theatre.route_comply_km[route_ids],
        setting.theatre.route_outside_km[route_ids],
    )
    done = moving[fleet.progress[moving] >= lengths]
    world.tally.transits = len(done)
    fleet.depart(done)
    grievances.transits = transits_remembered(grievances.transits, len(done), keep)
