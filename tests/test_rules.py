"""Tests for the pure rule functions: diplomacy, host tolerance, the Lebanon process, shipping,
strikes, and the quantal-response decision rule. Each takes (inputs, rng) and needs no Model.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from support import draw_choices, logit_probabilities

from wargame.config.loader import load_scenario
from wargame.config.schema import (
    HostParams,
    HostWeights,
    LebanonParams,
    MouParams,
    PremiumModel,
    Salvo,
    Scenario,
    ShippingParams,
    VesselWeights,
)
from wargame.engine.decision import decide
from wargame.engine.rules.diplomacy import (
    Channel,
    Ledgers,
    MouState,
    next_mou_state,
    state_for_pressure,
    update_ledgers,
)
from wargame.engine.rules.outside import next_lebanon_intensity
from wargame.engine.rules.shipping import (
    COMPLY,
    OUTSIDE,
    TURN_BACK,
    WAIT,
    choice_costs,
    choice_utilities,
    escorted,
    interdict,
    mine_hits,
    premium_rate,
)
from wargame.engine.rules.strikes import (
    debris_effects,
    expected_capacity_kept,
    expected_casualties,
    leaker_casualties,
    strike_sites,
)
from wargame.engine.rules.tolerance import basing_restricted, next_tolerance
from wargame.engine.theatre import reachable_mix, salvo_size

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = REPO / "configs" / "scenarios" / "gulf_2026.yaml"

MOU = MouParams(
    start="in_force",
    strained_at=1.0,
    suspended_at=3.0,
    collapsed_at=6.0,
    ledger_decay=0.9,
    recovery_rounds=4,
)
HOST = HostParams(
    id="bahrain",
    name="Bahrain",
    rationality=3.0,
    weights=HostWeights(
        economic_damage=2.0, civilian_harm=3.0, defence_spending=0.5, hosting_value=1.5
    ),
    tolerance_start=1.0,
    restrict_below=0.5,
    tolerance_recovery=0.05,
    interceptor_request_size=8,
)
# What each side writes into its ledger, as the default scenario has it (behaviour.ledgers).
BEHAVIOUR = load_scenario(DEFAULT_SCENARIO).behaviour
LEDGERS = BEHAVIOUR.ledgers
ADJUDICATION = load_scenario(DEFAULT_SCENARIO).adjudication  # hits, debris and fires
EROSION = BEHAVIOUR.hosts.erosion  # how harm erodes a host's tolerance
LEBANON = LebanonParams(
    start=0.3,
    mean=0.35,
    reversion=0.1,
    volatility=0.08,
    flare_probability=0.0,
    flare_size=0.0,
    linkage_weight=0.3,
)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(DEFAULT_SCENARIO)


@pytest.fixture(scope="module")
def shipping_params(scenario: Scenario) -> ShippingParams:
    return scenario.shipping


# --- diplomacy -------------------------------------------------------------------------------


def test_ledgers_decay_when_nothing_happens():
    after = update_ledgers(
        Ledgers(us=2.0, iran=1.0), "comply", "keep_channel", "hold_and_negotiate", 0.0, MOU, LEDGERS
    )
    assert after.us == pytest.approx(1.8)
    assert after.iran == pytest.approx(0.9)


@pytest.mark.parametrize("irgc_action", ["strike_vessel", "mine_lanes"])
def test_us_ledger_counts_attacks_on_shipping_and_iran_ledger_does_not(irgc_action):
    quiet = update_ledgers(
        Ledgers(), "comply", "keep_channel", "hold_and_negotiate", 0.0, MOU, LEDGERS
    )
    attack = update_ledgers(
        Ledgers(), irgc_action, "keep_channel", "hold_and_negotiate", 0.0, MOU, LEDGERS
    )
    assert attack.us > quiet.us
    assert attack.iran == quiet.iran == 0.0


def test_iran_ledger_counts_us_strikes_and_the_lebanon_entry_and_us_ledger_does_not():
    strike = update_ledgers(
        Ledgers(), "comply", "keep_channel", "limited_strikes", 0.0, MOU, LEDGERS
    )
    assert strike.iran > 0.0 and strike.us == 0.0
    bigger = update_ledgers(
        Ledgers(), "comply", "keep_channel", "expanded_strikes", 0.0, MOU, LEDGERS
    )
    assert bigger.iran > strike.iran
    lebanon = update_ledgers(
        Ledgers(), "comply", "keep_channel", "hold_and_negotiate", 0.25, MOU, LEDGERS
    )
    assert lebanon.iran == pytest.approx(0.25) and lebanon.us == 0.0
    both = update_ledgers(
        Ledgers(iran=1.0), "comply", "keep_channel", "limited_strikes", 0.25, MOU, LEDGERS
    )
    assert both.iran == pytest.approx(0.9 + strike.iran + 0.25)


def test_pressure_is_the_worse_ledger():
    assert Ledgers(us=4.0, iran=1.0).pressure == 4.0
    assert Ledgers(us=0.5, iran=2.5).pressure == 2.5


@pytest.mark.parametrize(
    ("pressure", "state"),
    [
        (0.99, MouState.IN_FORCE),
        (1.0, MouState.STRAINED),
        (3.0, MouState.SUSPENDED),
        (5.99, MouState.SUSPENDED),
        (6.0, MouState.COLLAPSED),
    ],
)
def test_state_for_pressure_thresholds(pressure, state):
    assert state_for_pressure(pressure, MOU) == state


def test_mou_worsens_at_once_and_can_skip_states():
    state, calm = next_mou_state(MouState.IN_FORCE, 0, 3.5, Channel.OPEN, MOU)
    assert (state, calm) == (MouState.SUSPENDED, 0)
    state, calm = next_mou_state(MouState.STRAINED, 3, 7.0, Channel.HALTED, MOU)
    assert (state, calm) == (MouState.COLLAPSED, 0)


def test_mou_recovers_one_step_only_after_recovery_rounds_calm_rounds():
    state, calm = MouState.COLLAPSED, 0
    history = []
    for _ in range(2 * MOU.recovery_rounds):
        state, calm = next_mou_state(state, calm, 0.0, Channel.OPEN, MOU)
        history.append(state)
    n = MOU.recovery_rounds
    assert history[: n - 1] == [MouState.COLLAPSED] * (n - 1)
    assert history[n - 1] == MouState.SUSPENDED  # one step, not straight to IN_FORCE
    assert history[n : 2 * n - 1] == [MouState.SUSPENDED] * (n - 1)
    assert history[2 * n - 1] == MouState.STRAINED


def test_mou_never_recovers_while_the_channel_is_halted():
    state, calm = MouState.COLLAPSED, 0
    for _ in range(100):
        state, calm = next_mou_state(state, calm, 0.0, Channel.HALTED, MOU)
    assert state == MouState.COLLAPSED


def test_a_halted_or_pressured_round_restarts_the_calm_count():
    n = MOU.recovery_rounds
    for interruption in ((0.0, Channel.HALTED), (6.5, Channel.OPEN)):
        state, calm = MouState.COLLAPSED, 0
        for _ in range(n - 1):
            state, calm = next_mou_state(state, calm, 0.0, Channel.OPEN, MOU)
        state, calm = next_mou_state(state, calm, *interruption, MOU)
        assert state == MouState.COLLAPSED and calm == 0
        for _ in range(n - 1):
            state, calm = next_mou_state(state, calm, 0.0, Channel.OPEN, MOU)
        assert state == MouState.COLLAPSED
        state, calm = next_mou_state(state, calm, 0.0, Channel.OPEN, MOU)
        assert state == MouState.SUSPENDED


# --- host tolerance --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "harm",
    [
        {"damage": 2.0, "casualties": 0.0, "force_majeure_rounds": 0},
        {"damage": 0.0, "casualties": 5.0, "force_majeure_rounds": 0},
        {"damage": 0.0, "casualties": 0.0, "force_majeure_rounds": 1},
    ],
)
def test_tolerance_falls_with_each_kind_of_harm(harm):
    quiet = next_tolerance(0.8, 0.0, 0.0, 0, HOST, EROSION)
    harmed = next_tolerance(0.8, params=HOST, rates=EROSION, **harm)
    assert harmed < quiet
    assert harmed < 0.8


def test_tolerance_falls_more_with_more_damage():
    values = [next_tolerance(0.9, damage, 0.0, 0, HOST, EROSION) for damage in (0.0, 1.0, 3.0, 6.0)]
    assert values == sorted(values, reverse=True) and len(set(values)) == 4


def test_tolerance_recovers_toward_its_start_when_quiet():
    tolerance = 0.3
    after_one = next_tolerance(tolerance, 0.0, 0.0, 0, HOST, EROSION)
    assert 0.3 < after_one < 1.0
    for _ in range(300):
        tolerance = next_tolerance(tolerance, 0.0, 0.0, 0, HOST, EROSION)
        assert tolerance <= HOST.tolerance_start
    assert tolerance == pytest.approx(HOST.tolerance_start, abs=1e-3)
    lower_start = HOST.model_copy(update={"tolerance_start": 0.7})
    tolerance = 0.2
    for _ in range(300):
        tolerance = next_tolerance(tolerance, 0.0, 0.0, 0, lower_start, EROSION)
    assert tolerance == pytest.approx(0.7, abs=1e-3)


def test_tolerance_stays_within_zero_and_one():
    rng = np.random.default_rng(11)
    for _ in range(2000):
        tolerance = next_tolerance(
            float(rng.random()),
            float(rng.exponential(5.0)),
            float(rng.exponential(10.0)),
            int(rng.integers(0, 6)),
            HOST,
            EROSION,
        )
        assert 0.0 <= tolerance <= 1.0
    assert next_tolerance(0.1, 1e6, 1e6, 5, HOST, EROSION) == 0.0
    assert next_tolerance(1.0, 0.0, 0.0, 0, HOST, EROSION) == 1.0


def test_basing_is_restricted_below_the_threshold_or_by_choice():
    assert basing_restricted(0.49, False, HOST)
    assert not basing_restricted(0.5, False, HOST)
    assert not basing_restricted(0.9, False, HOST)
    assert basing_restricted(0.9, True, HOST)


# --- the Lebanon front -----------------------------------------------------------------------


def test_lebanon_intensity_stays_in_bounds_over_ten_thousand_steps():
    wild = LEBANON.model_copy(
        update={"volatility": 0.6, "flare_probability": 0.2, "flare_size": 0.9}
    )
    rng = np.random.default_rng(5)
    intensity = wild.start
    values = np.empty(10_000)
    for i in range(len(values)):
        intensity = next_lebanon_intensity(intensity, wild, rng)
        values[i] = intensity
    assert values.min() >= 0.0 and values.max() <= 1.0
    assert values.min() == 0.0 and values.max() == 1.0  # the bounds are hit, and clipped


def test_lebanon_intensity_reverts_toward_its_mean():
    calm = LEBANON.model_copy(update={"volatility": 0.0})
    rng = np.random.default_rng(0)
    high = next_lebanon_intensity(1.0, calm, rng)
    low = next_lebanon_intensity(0.0, calm, rng)
    assert high == pytest.approx(1.0 + calm.reversion * (calm.mean - 1.0))
    assert low == pytest.approx(calm.reversion * calm.mean)
    intensity = 1.0
    for _ in range(200):
        intensity = next_lebanon_intensity(intensity, calm, rng)
    assert intensity == pytest.approx(calm.mean, abs=1e-6)
    # With noise the long-run average still sits at the mean.
    intensity, total = 0.9, 0.0
    for _ in range(10_000):
        intensity = next_lebanon_intensity(intensity, LEBANON, rng)
        total += intensity
    assert total / 10_000 == pytest.approx(LEBANON.mean, abs=0.03)


def test_lebanon_step_draws_the_same_randomness_whatever_its_parameters():
    quiet = LEBANON.model_copy(update={"volatility": 0.0, "flare_probability": 0.0})
    flaring = LEBANON.model_copy(
        update={"volatility": 0.5, "flare_probability": 1.0, "flare_size": 0.4, "mean": 0.9}
    )
    states = []
    for params in (quiet, flaring):
        rng = np.random.default_rng(2024)
        next_lebanon_intensity(0.5, params, rng)
        states.append(rng.bit_generator.state)
    assert states[0] == states[1]
    # ... so the next draw anyone else makes is the same.
    rngs = [np.random.default_rng(2024) for _ in range(2)]
    next_lebanon_intensity(0.5, quiet, rngs[0])
    next_lebanon_intensity(0.5, flaring, rngs[1])
    assert rngs[0].random() == rngs[1].random()


# --- shipping --------------------------------------------------------------------------------

PREMIUM = PremiumModel(calm_rate=0.002, peak_rate=0.03, attack_sensitivity=0.002, memory=0.85)


def test_premium_is_calm_without_attacks_and_capped_at_peak():
    assert premium_rate(0.0, PREMIUM) == pytest.approx(0.002)
    assert premium_rate(1e6, PREMIUM) == pytest.approx(0.03)
    rates = [premium_rate(m, PREMIUM) for m in (0.0, 1.0, 5.0, 20.0, 100.0)]
    assert rates == sorted(rates)
    assert PREMIUM.calm_rate < premium_rate(3.0, PREMIUM) < PREMIUM.peak_rate


def total_cost(shipping_params, strike_prob, mine_risk=0.0, can_wait=True):
    """The total (weighted) cost of each choice for a ship that may (or, `can_wait` False, may
    no longer) wait."""
    costs = choice_costs(strike_prob, mine_risk, 0.002, shipping_params, BEHAVIOUR.vessels)
    return -choice_utilities(costs, shipping_params.weights)[int(can_wait)]


def test_outside_costs_more_than_comply_when_strikes_are_likely(shipping_params):
    cost = total_cost(shipping_params, 0.5)
    assert cost[OUTSIDE] > cost[COMPLY]


def test_outside_costs_less_than_comply_when_strikes_are_impossible(shipping_params):
    cost = total_cost(shipping_params, 0.0)
    assert cost[OUTSIDE] < cost[COMPLY]  # the corridor's detour is the only difference


def test_waiting_is_impossible_when_a_vessel_may_not_wait(shipping_params):
    cost = total_cost(shipping_params, 0.1, can_wait=False)
    assert math.isinf(cost[WAIT])
    assert np.isfinite(cost[[COMPLY, OUTSIDE, TURN_BACK]]).all()
    probabilities = logit_probabilities(-cost, shipping_params.rationality)
    assert probabilities[WAIT] == 0.0
    assert probabilities.sum() == pytest.approx(1.0)
    free = total_cost(shipping_params, 0.1, can_wait=True)
    assert np.isfinite(free).all()


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_vessel_that_may_not_wait_chooses_uniformly_among_the_rest_at_zero_rationality(
    shipping_params,
):
    cost = total_cost(shipping_params, 0.1, can_wait=False)
    probabilities = logit_probabilities(-cost, 0.0)
    assert np.isfinite(probabilities).all()
    assert probabilities[WAIT] == 0.0
    np.testing.assert_allclose(probabilities[[COMPLY, OUTSIDE, TURN_BACK]], 1.0 / 3.0)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_zero_delay_weight_keeps_waiting_impossible(shipping_params):
    weights = VesselWeights(expected_loss=1.0, premium=1.0, delay=0.0)
    costs = choice_costs(0.1, 0.0, 0.002, shipping_params, BEHAVIOUR.vessels)
    utilities = choice_utilities(costs, weights)
    probabilities = logit_probabilities(utilities, shipping_params.rationality)
    assert np.isfinite(probabilities).all()
    assert probabilities[0, WAIT] == 0.0


def test_interdict_never_exceeds_max_strikes_and_attacks_distinct_candidates():
    rng = np.random.default_rng(3)
    for _ in range(500):
        candidates = int(rng.integers(0, 30))
        max_strikes = int(rng.integers(1, 5))
        attacked, hits = interdict(candidates, 0.7, max_strikes, 0.5, rng)
        assert len(attacked) <= max_strikes
        assert len(set(attacked.tolist())) == len(attacked)
        assert all(0 <= i < candidates for i in attacked)
        assert len(hits) == len(attacked)


def test_interdict_attacks_only_vessels_it_found():
    rng = np.random.default_rng(4)
    attacked, hits = interdict(50, 0.0, 10, 1.0, rng)
    assert len(attacked) == 0 and len(hits) == 0
    attacked, hits = interdict(3, 1.0, 10, 1.0, rng)
    assert sorted(attacked.tolist()) == [0, 1, 2] and hits.all()
    # With no cap, the number attacked is the number found: candidates x detection on average.
    counts = [len(interdict(40, 0.25, 1000, 0.5, rng)[0]) for _ in range(2000)]
    assert np.mean(counts) == pytest.approx(10.0, abs=0.3)
    missed = [interdict(10, 1.0, 10, 0.0, rng)[1].sum() for _ in range(100)]
    assert sum(missed) == 0


def test_escorts_cut_a_strike_on_shipping_only_while_they_escort():
    # One rule for what owners read into the risk and for the IRGC's shots.
    assert escorted(0.4, True, 0.25) == pytest.approx(0.3)
    assert escorted(0.4, False, 0.25) == 0.4
    assert escorted(0.4, True, 1.0) == 0.0
    assert escorted(0.4, True, 0.0) == 0.4


HIT_PER_DENSITY = BEHAVIOUR.operations.mine_hit_per_density


def test_mine_hits_have_the_binomial_mean():
    rng = np.random.default_rng(8)
    transiting, density = 1000, 2.0
    draws = np.array([mine_hits(transiting, density, HIT_PER_DENSITY, rng) for _ in range(4000)])
    expected = transiting * density * HIT_PER_DENSITY
    assert draws.mean() == pytest.approx(expected, rel=0.03)
    assert (draws >= 0).all() and (draws <= transiting).all()
    assert mine_hits(500, 0.0, HIT_PER_DENSITY, rng) == 0
    assert (
        mine_hits(50, 1e9, HIT_PER_DENSITY, rng) == 50
    )  # a saturated minefield hits every transit


# --- strikes ---------------------------------------------------------------------------------


def test_strike_sites_lowers_only_targeted_capacities():
    capacity = np.array([1.0, 0.8, 1.0, 0.5, 1.0, 1.0])
    before = capacity.copy()
    targets = np.array([1, 3])
    hardening = np.zeros(6)
    new, hits = strike_sites(capacity, targets, 2, 1.0, hardening, 0.35, np.random.default_rng(1))
    np.testing.assert_array_equal(hits, [2, 2])
    np.testing.assert_allclose(new[targets], before[targets] * 0.65**2)
    untouched = np.setdiff1d(np.arange(6), targets)
    np.testing.assert_array_equal(new[untouched], before[untouched])
    np.testing.assert_array_equal(capacity, before)  # the input is not modified in place


def test_fully_hardened_sites_lose_nothing():
    capacity = np.ones(4)
    hardening = np.array([0.0, 1.0, 1.0, 0.0])
    rng = np.random.default_rng(2)
    new, hits = strike_sites(capacity, np.array([1, 2]), 4, 1.0, hardening, 0.5, rng)
    np.testing.assert_array_equal(hits, [0, 0])
    np.testing.assert_array_equal(new, capacity)


def test_the_forecasts_strike_formulas_are_the_means_of_the_sampled_rules():
    # The actors forecast packages and raids with these; they must be what adjudication does
    # on average, or an actor would plan on a different war from the one it gets.
    rng = np.random.default_rng(11)
    capacity, hardening = np.ones(1), np.array([0.3])
    kept = [
        strike_sites(capacity, np.array([0]), 3, 0.9, hardening, 0.4, rng)[0][0]
        for _ in range(20000)
    ]
    assert np.mean(kept) == pytest.approx(expected_capacity_kept(3, 0.9, 0.3, 0.4), abs=0.005)
    params = ADJUDICATION
    deaths = [leaker_casualties(7, 0.6, 0.1, params, rng) for _ in range(20000)]
    mean = expected_casualties(7, 0.6, 0.1, params)
    assert mean == pytest.approx(7 * params.casualties_per_leaker * (0.6 + 0.1))  # floor counts
    assert np.mean(deaths) == pytest.approx(mean, rel=0.05)


def test_no_exposure_and_no_proximity_means_no_debris_harm_and_no_fire():
    rng = np.random.default_rng(6)
    params = ADJUDICATION
    for _ in range(1000):
        assert debris_effects(60, 0.0, 0.0, params, rng) == (0, False)


def test_more_interceptions_start_more_fires():
    params = ADJUDICATION
    rng = np.random.default_rng(9)
    trials = 4000

    def fire_rate(interceptions: int) -> float:
        return np.mean(
            [debris_effects(interceptions, 0.0, 0.6, params, rng)[1] for _ in range(trials)]
        )

    few, many = fire_rate(2), fire_rate(30)
    assert many > few + 0.2
    p = params.fire_per_interception * 0.6
    assert many == pytest.approx(1 - (1 - p) ** 30, abs=0.03)
    assert few == pytest.approx(1 - (1 - p) ** 2, abs=0.02)


def test_debris_harm_grows_with_population_exposure():
    params = ADJUDICATION
    rng = np.random.default_rng(10)
    harm = [debris_effects(100, 1.0, 0.0, params, rng)[0] for _ in range(2000)]
    assert np.mean(harm) == pytest.approx(100 * params.debris_harm_per_interception, rel=0.1)


# --- decisions -------------------------------------------------------------------------------


def test_logit_probabilities_match_the_quantal_response_formula():
    utilities = np.array([1.0, -0.5, 2.0, 0.3])
    lam = 1.7
    expected = np.exp(lam * utilities) / np.exp(lam * utilities).sum()
    np.testing.assert_allclose(logit_probabilities(utilities, lam), expected, rtol=1e-12)
    rows = np.array([[0.0, 1.0], [3.0, -2.0]])
    got = logit_probabilities(rows, 2.0)
    for row, probabilities in zip(rows, got, strict=True):
        np.testing.assert_allclose(
            probabilities, np.exp(2.0 * row) / np.exp(2.0 * row).sum(), rtol=1e-12
        )


def test_logit_is_uniform_at_zero_rationality_and_stable_for_large_utilities():
    np.testing.assert_allclose(logit_probabilities(np.array([5.0, -3.0, 0.0]), 0.0), 1 / 3)
    probabilities = logit_probabilities(np.array([1000.0, 999.0]), 10.0)
    assert np.isfinite(probabilities).all()
    assert probabilities[0] == pytest.approx(1 / (1 + math.exp(-10.0)))


RAW_TERMS = {
    "hold": {"cost_a": 0.5, "cost_b": -0.2},
    "push": {"cost_a": 1.0, "cost_b": 0.4},
    "fold": {"cost_a": 0.0, "cost_b": 0.9},
}
WEIGHTS = {"cost_a": 2.0, "cost_b": 0.5}


def test_decide_keeps_the_weighted_breakdown_and_utility_is_minus_its_sum():
    decision = decide("tester", RAW_TERMS, WEIGHTS, 1.5, np.random.default_rng(0))
    assert decision.actor == "tester"
    assert decision.options == ("hold", "push", "fold")
    for option, utility in zip(decision.options, decision.utilities, strict=True):
        breakdown = decision.breakdown(option)
        assert breakdown == pytest.approx(
            {term: WEIGHTS[term] * value for term, value in RAW_TERMS[option].items()}
        )
        assert utility == pytest.approx(-sum(breakdown.values()))
    np.testing.assert_allclose(
        decision.probabilities,
        logit_probabilities(np.array(decision.utilities), 1.5),
        rtol=1e-12,
    )
    assert sum(decision.probabilities) == pytest.approx(1.0)
    assert decision.chosen in decision.options
    assert decision.breakdown() == decision.breakdown(decision.chosen)


def test_decide_choice_frequencies_match_the_probabilities():
    rng = np.random.default_rng(123)
    draws = 20_000
    counts = dict.fromkeys(RAW_TERMS, 0)
    decision = None
    for _ in range(draws):
        decision = decide("tester", RAW_TERMS, WEIGHTS, 1.5, rng)
        counts[decision.chosen] += 1
    for option in RAW_TERMS:
        assert counts[option] / draws == pytest.approx(decision.probability(option), abs=0.015)


def test_draw_choices_frequencies_match_the_probabilities():
    probabilities = np.array([0.1, 0.45, 0.05, 0.4])
    matrix = np.tile(probabilities, (20_000, 1))
    chosen = draw_choices(matrix, np.random.default_rng(77))
    frequencies = np.bincount(chosen, minlength=4) / len(chosen)
    np.testing.assert_allclose(frequencies, probabilities, atol=0.015)
    never = draw_choices(np.tile([0.5, 0.0, 0.5], (5000, 1)), np.random.default_rng(1))
    assert not (never == 1).any()


# --- reachable mix ---------------------------------------------------------------------------


def test_reachable_mix_keeps_only_the_kinds_that_reach_the_target():
    salvo = Salvo(ballistic=6, drone=18, cruise=2)
    reach = {
        "near": frozenset({"ballistic", "drone", "cruise"}),
        "drones_only": frozenset({"drone"}),
        "no_drones": frozenset({"ballistic", "cruise"}),
        "out_of_reach": frozenset(),
    }
    assert reachable_mix(salvo, "near", reach) == salvo
    assert reachable_mix(salvo, "drones_only", reach) == Salvo(ballistic=0, drone=18, cruise=0)
    assert reachable_mix(salvo, "no_drones", reach) == Salvo(ballistic=6, drone=0, cruise=2)
    # Nothing reaches it (or the table does not know it): nothing is fired, it is no target.
    for target in ("out_of_reach", "not_in_the_table"):
        assert reachable_mix(salvo, target, reach) == Salvo()
        assert salvo_size(reachable_mix(salvo, target, reach)) == 0
    assert salvo_size(reachable_mix(salvo, "drones_only", reach)) == 18
    # A kind the salvo does not carry stays at 0 even where it reaches; the input is untouched.
    assert reachable_mix(Salvo(drone=4), "near", reach) == Salvo(drone=4)
    assert reachable_mix(Salvo(ballistic=3), "drones_only", reach) == Salvo()
    assert salvo == Salvo(ballistic=6, drone=18, cruise=2)
