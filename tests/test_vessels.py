"""The vessel phases (adjudication/vessels.py) and the ships' choice rule (rules/shipping.py),
written for few numpy calls, give exactly what the plain per-ship masks gave: the same choices,
ships' numbers, tallies and slots, from the same random draws. The reference below is the
plain version, kept as the specification; worlds are pushed into the states a default run
rarely reaches (ships at their wait limit, turning back, mines, routes never in reach)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from support import default_scenario, draw_choices, logit_probabilities

from wargame.engine.adjudication import Setting, vessels
from wargame.engine.fleet import UNDECIDED
from wargame.engine.model import build_model
from wargame.engine.rules import shipping
from wargame.engine.rules.grievance import transits_remembered
from wargame.engine.rules.shipping import CHOICES, COMPLY, OUTSIDE, TURN_BACK, WAIT

SCENARIO = default_scenario()
FLEET_ARRAYS = ("alive", "value", "route", "choice", "progress", "waited", "ids", "enrolled")


# --- the reference: every ship's costs as arrays and one mask per condition -----------------


def reference_arrive_and_choose(world, setting, rng):
    scenario = setting.scenario
    params = scenario.shipping
    fleet = world.fleet
    # The owners' decision to come (scalar rules, not what this file checks) reads the costs
    # at the Strait before anyone arrives.
    share = vessels.coming(world, setting, vessels.branch_costs(world, setting))
    arrivals = int(rng.poisson(params.arrivals_per_round * share))
    values = params.vessel_value_usd * np.exp(params.value_spread * rng.standard_normal(arrivals))
    routes = setting.theatre.route_cdf.searchsorted(rng.random(arrivals), side="right")
    fleet.arrive(values, routes)
    world.tally.arrivals = arrivals
    choosing = np.flatnonzero(fleet.alive & ((fleet.choice == UNDECIDED) | (fleet.choice == WAIT)))
    if len(choosing):
        kinds = np.array([False, True])
        costs = shipping.choice_costs(
            vessels.strike_risk(world, setting),
            shipping.mine_risk(
                world.iran.mines, scenario.behaviour.operations.mine_hit_per_density
            ),
            world.premium,
            params,
            scenario.behaviour.vessels,
        )
        arrays = {term: np.full((len(kinds), CHOICES), row) for term, row in costs.items()}
        weights = params.weights
        utilities = -(
            weights.expected_loss * arrays["expected_loss"]
            + weights.premium * arrays["premium"]
            + weights.delay * arrays["delay"]
        )
        feasible = np.ones((len(kinds), CHOICES), dtype=bool)
        feasible[:, WAIT] = kinds
        utilities[~feasible] = -np.inf
        by_kind = logit_probabilities(utilities, params.rationality)
        can_wait = fleet.waited[choosing] < params.max_wait_rounds
        choices = draw_choices(by_kind, rng, rows=can_wait.astype(np.intp))
        fleet.choice[choosing] = choices
        fleet.waited[choosing] += choices == WAIT
        world.tally.outside = int(np.count_nonzero(choices == OUTSIDE))
        world.tally.turned_back = int(np.count_nonzero(choices == TURN_BACK))
        fleet.depart(choosing[choices == TURN_BACK])
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


def reference_move(world, setting, rng, record):
    reference_move_ships(world, setting, rng, record)
    tally = world.tally
    world.market.attacks = (
        setting.scenario.shipping.demand.attack_memory * world.market.attacks
        + tally.vessels_attacked
        + tally.mine_hits
    )


def reference_move_ships(world, setting, rng, record):
    scenario = setting.scenario
    params = scenario.shipping
    fleet = world.fleet
    grievances = world.grievances

    def moving_slots():
        choice = fleet.choice
        return np.flatnonzero(fleet.alive & ((choice == COMPLY) | (choice == OUTSIDE)))

    moving = moving_slots()
    keep = scenario.behaviour.memories.transits
    if len(moving) == 0:
        grievances.transits = keep * grievances.transits
        return
    per_density = scenario.behaviour.operations.mine_hit_per_density
    hits = shipping.mine_hits(len(moving), world.iran.mines, per_density, rng)
    if hits:
        struck = rng.choice(moving, size=hits, replace=False)
        vessels.strike(fleet, world.tally, struck, setting, rng, by_mine=True)
        grievances.shipping_attacks += hits
        grievances.us_unanswered += scenario.behaviour.grievances.unanswered.per_mine_hit * hits
        moving = moving_slots()
    complying = fleet.choice[moving] == COMPLY
    speed = np.where(
        complying,
        params.speed_km_per_round / (1.0 + params.corridor_delay_rounds + params.inspection_rounds),
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


# --- pushing a world into rarer states --------------------------------------------------------


def as_is(model) -> None:
    pass


def stuck_waiting(model) -> None:
    """Warnings, attacks and mines scare owners into waiting (and a few, paying a high premium,
    into turning back); a third of the ships are waiting already, at their limit."""
    world = model.world
    world.grievances.mandates = 1.0
    world.grievances.shipping_attacks = 40.0
    world.iran.mines = 3.0
    world.premium = 0.01
    fleet = world.fleet
    waiting = np.flatnonzero(fleet.alive)[::3]
    fleet.choice[waiting] = WAIT
    fleet.waited[waiting] = model.spec.shipping.max_wait_rounds


def mined(model) -> None:
    model.world.iran.mines = 30.0


def never_in_reach(model) -> Setting:
    """Half the routes are never in anti-ship reach (exposed 0 to 0), and ships on them are at
    the start of their TSS branch: where the reach's bounds alone would count them in. Ships
    on the other routes are on their TSS branch where it comes into reach."""
    setting = model.setting
    theatre = copy.copy(setting.theatre)
    hidden = np.arange(len(theatre.routes)) % 2 == 0
    theatre.route_exposed_from = np.where(hidden, 0.0, theatre.route_exposed_from)
    theatre.route_exposed_to = np.where(hidden, 0.0, theatre.route_exposed_to)
    fleet = model.world.fleet
    on_hidden = np.flatnonzero(fleet.alive & hidden[fleet.route])
    fleet.choice[on_hidden] = OUTSIDE
    fleet.progress[on_hidden] = 0.0
    in_view = np.flatnonzero(fleet.alive & ~hidden[fleet.route])
    fleet.choice[in_view] = OUTSIDE
    fleet.progress[in_view] = theatre.route_exposed_from[fleet.route[in_view]]
    return Setting(setting.scenario, theatre, setting.intel)


def fleet_state(world) -> dict:
    fleet = world.fleet
    return {name: getattr(fleet, name).copy() for name in FLEET_ARRAYS}


@pytest.mark.parametrize("push", [as_is, stuck_waiting, mined, never_in_reach])
@pytest.mark.parametrize(("seed", "rounds"), [(1, 0), (2, 5), (3, 40)])
def test_the_vessel_phases_do_exactly_what_the_plain_masks_did(push, seed, rounds):
    model = build_model(SCENARIO, seed)
    for _ in range(rounds):
        model.step()
    setting = push(model) or model.setting
    ours, plain = model, copy.deepcopy(model)
    for _ in range(3):  # a few rounds of both phases, on the pushed state
        got = vessels.arrive_and_choose(ours.world, setting, ours.rng)
        want = reference_arrive_and_choose(plain.world, setting, plain.rng)
        for a, b in zip(got, want, strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        vessels.move(ours.world, setting, ours.rng, ours.record)
        reference_move(plain.world, setting, plain.rng, plain.record)
        assert ours.world.tally == plain.world.tally
        assert ours.world.grievances == plain.world.grievances
        assert ours.world.market == plain.world.market
        for name, array in fleet_state(ours.world).items():
            np.testing.assert_array_equal(array, getattr(plain.world.fleet, name), err_msg=name)
        assert ours.rng.bit_generator.state == plain.rng.bit_generator.state  # the same draws
        assert len(ours.agents) == len(plain.agents)


def test_the_pushed_states_reach_what_they_are_meant_to():
    """The cases above are not vacuous: ships at their wait limit choose, some turn back, mines
    strike, and ships that only the reach's bounds would count stay out of reach."""
    model = build_model(SCENARIO, 2)
    for _ in range(5):
        model.step()
    stuck = copy.deepcopy(model)
    stuck_waiting(stuck)
    fleet = stuck.world.fleet
    at_limit = fleet.alive & (fleet.waited >= SCENARIO.shipping.max_wait_rounds)
    before = fleet.count()
    vessels.arrive_and_choose(stuck.world, stuck.setting, stuck.rng)
    assert at_limit.any() and (fleet.choice[at_limit] != WAIT).all()
    turned_back = before + stuck.world.tally.arrivals - fleet.count()
    assert turned_back > 0
    assert (fleet.choice[fleet.alive] == WAIT).any()  # the others may still wait, and do
    mine = copy.deepcopy(model)
    mined(mine)
    vessels.move(mine.world, mine.setting, mine.rng, mine.record)
    assert mine.world.tally.mine_hits > 0
    hidden = copy.deepcopy(model)
    setting = never_in_reach(hidden)
    on_hidden = (
        hidden.world.fleet.alive & (setting.theatre.route_exposed_to == 0)[hidden.world.fleet.route]
    )
    exposed, _ = vessels.arrive_and_choose(hidden.world, setting, hidden.rng)
    assert on_hidden.any()
    assert not on_hidden[exposed].any()
    assert len(exposed) > 0  # the others, in reach, are


# --- the choice rule --------------------------------------------------------------------------


def test_choose_by_kind_draws_what_draw_choices_draws():
    rng = np.random.default_rng(5)
    for _ in range(300):
        probabilities = rng.random((2, CHOICES)) * (rng.random((2, CHOICES)) < 0.8)
        probabilities[:, COMPLY] += 0.01  # some option is possible
        probabilities[0, WAIT] = 0.0
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        may_wait = rng.random(int(rng.integers(0, 60))) < 0.7
        seed = int(rng.integers(2**32))
        want = draw_choices(probabilities, np.random.default_rng(seed), rows=may_wait.astype(int))
        cumulative = np.cumsum(probabilities, axis=1)
        got = shipping.choose_by_kind(cumulative, may_wait, np.random.default_rng(seed))
        np.testing.assert_array_equal(got, want)


def test_choose_by_kind_agrees_where_a_draw_equals_a_cumulative_probability():
    """A draw equal to a running total takes the option whose total it is, as `draw_choices`;
    one above every total (they sum to slightly under 1) takes the last option."""
    draws = np.random.default_rng(9).random(2)
    for draw in draws:
        for probabilities in (
            [[draw, 0.0, 0.0, 1.0 - draw], [draw / 2, draw / 2, 0.0, 1.0 - draw]],
            [[0.0, draw, 0.0, 0.0], [0.0, 0.0, draw / 2, draw / 4]],
        ):
            probabilities = np.array(probabilities)
            for kind in (False, True):
                may_wait = np.array([kind])
                want = draw_choices(
                    probabilities, np.random.default_rng(9), rows=may_wait.astype(int)
                )
                got = shipping.choose_by_kind(
                    np.cumsum(probabilities, axis=1), may_wait, np.random.default_rng(9)
                )
                assert got.tolist() == want.tolist()


def test_choice_utilities_are_the_products_and_sums_numpy_gave():
    rng = np.random.default_rng(6)
    params = SCENARIO.shipping
    for _ in range(200):
        strike, mine, premium = rng.random(3) * [0.5, 0.05, 0.03]
        weights = params.weights.model_copy(
            update=dict(zip(("expected_loss", "premium", "delay"), rng.random(3) * 3, strict=True))
        )
        costs = shipping.choice_costs(strike, mine, premium, params, SCENARIO.behaviour.vessels)
        got = shipping.choice_utilities(costs, weights)
        rows = {term: np.full((2, CHOICES), row) for term, row in costs.items()}
        want = -(
            weights.expected_loss * rows["expected_loss"]
            + weights.premium * rows["premium"]
            + weights.delay * rows["delay"]
        )
        want[0, WAIT] = -np.inf
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("rationality", [0.0, 1e-3, 0.4, 1.0, 7.5, 300.0])
def test_choice_cumulative_is_the_running_total_of_the_logit_probabilities(rationality):
    rng = np.random.default_rng(7)
    params = SCENARIO.shipping
    for _ in range(200):
        strike, mine, premium = rng.random(3) * [0.5, 0.05, 0.03]
        costs = shipping.choice_costs(strike, mine, premium, params, SCENARIO.behaviour.vessels)
        utilities = shipping.choice_utilities(costs, params.weights)
        want = np.cumsum(logit_probabilities(utilities, rationality), axis=1)
        got = shipping.choice_cumulative(costs, params.weights, rationality)
        assert got.tobytes() == want.tobytes()
