"""Shipping that reacts to the war (issue 9): the owners' decision to send a ship at all, war
cover cancelled on notice and reinstated, the corridor's own costs, and transits that fall
when attacks and the premium rise and recover when they fade.

The rules are checked alone (rules/shipping.py), then in the model with the war scripted
(injects, or the market's memories set between rounds), over several seeds: never one seed
that happens to show the effect."""

from __future__ import annotations

import math

import numpy as np
import pytest
from support import DEFAULT_SCENARIO, default_scenario

from wargame.config.loader import read_yaml, validate_data
from wargame.config.schema import Scenario
from wargame.engine.model import build_model
from wargame.engine.rules import shipping
from wargame.engine.rules.shipping import COMPLY, Cover

SCENARIO = default_scenario()
PARAMS = SCENARIO.shipping
DEMAND = PARAMS.demand
COVER = DEMAND.cover
READING = SCENARIO.behaviour.vessels
memories = SCENARIO.behaviour.memories
SEEDS = range(6)


# --- the rules ------------------------------------------------------------------------------


def cover_after(signals: list[tuple[float, float, float]], params=COVER) -> list[Cover]:
    """Cover at each round's arrivals, given each round's (premium, attacks, host salvos)."""
    cover, seen = Cover(), []
    for premium, attacks, salvos in signals:
        cover = shipping.war_cover(cover, premium, attacks, salvos, params)
        seen.append(cover)
    return seen


CALM = (PARAMS.premium.calm_rate, 0.0, 0.0)


@pytest.mark.parametrize(
    "trigger",
    [
        (COVER.cancel_at_premium, 0.0, 0.0),
        (PARAMS.premium.calm_rate, COVER.cancel_at_attacks, 0.0),
        (PARAMS.premium.calm_rate, 0.0, COVER.cancel_at_host_salvos),
    ],
    ids=["premium", "attacks", "host salvos"],
)
def test_cover_is_cancelled_on_notice_when_any_signal_reaches_its_level(trigger):
    notice = COVER.notice_rounds
    assert notice == 3  # docs/sources.md#S-war-cover-notice: 72 hours at a round a day
    seen = cover_after([CALM, trigger] + [CALM] * (notice + 1))
    assert not seen[0].withdrawn and seen[0].notice_left == 0
    # Notice given at the trigger; the ships of `notice` rounds still sail covered ...
    assert [c.withdrawn for c in seen[1 : 1 + notice]] == [False] * notice
    assert seen[1].notice_left == notice
    # ... then cover is gone, though the signals fell back at once: a notice runs its course.
    assert seen[1 + notice].withdrawn


def test_just_below_every_level_cover_holds():
    below = (
        math.nextafter(COVER.cancel_at_premium, 0),
        math.nextafter(COVER.cancel_at_attacks, 0),
        math.nextafter(COVER.cancel_at_host_salvos, 0),
    )
    assert not any(c.withdrawn or c.notice_left for c in cover_after([below] * 10))


def test_cover_comes_back_only_after_enough_calm_rounds_in_a_row():
    after = COVER.reinstate_after_rounds
    war = (COVER.cancel_at_premium, 0.0, 0.0)
    half = COVER.reinstate_below * COVER.cancel_at_premium
    lull = (math.nextafter(half, 0), 0.0, 0.0)  # just below the reinstating level
    still_high = (half, 0.0, 0.0)  # at it: not calm enough
    start = [war] * (COVER.notice_rounds + 1)
    seen = cover_after(start + [lull] * (after - 1) + [still_high] + [lull] * after)
    first_calm = len(start)
    # Withdrawn through the lull that was one round short, and again from zero after it.
    assert all(c.withdrawn for c in seen[first_calm - 1 : first_calm + after])
    assert seen[first_calm + after - 1].calm_rounds == 0
    assert all(c.withdrawn for c in seen[first_calm + after : first_calm + 2 * after - 1])
    assert not seen[first_calm + 2 * after - 1].withdrawn  # the full run of calm rounds


def test_no_notice_means_cover_goes_at_once():
    params = COVER.model_copy(update={"notice_rounds": 0})
    assert cover_after([(COVER.cancel_at_premium, 0.0, 0.0)], params)[0].withdrawn


def calm_costs(premium=PARAMS.premium.calm_rate, strike=0.01, mines=0.0):
    return shipping.choice_costs(strike, mines, premium, PARAMS, READING)


def expected(costs, weights=PARAMS.weights, rationality=PARAMS.rationality):
    return shipping.expected_cost(costs, weights, rationality)


def test_the_expected_cost_of_coming_is_the_cost_of_the_choice_a_ship_will_make():
    costs = calm_costs()
    utilities = shipping._utilities(costs, PARAMS.weights)
    cheapest = -max(utilities)
    # A sharp chooser pays its cheapest choice; a coin-tosser the mean of all four.
    assert expected(costs, rationality=1e3) == pytest.approx(cheapest)
    assert expected(costs, rationality=0.0) == pytest.approx(-np.mean(utilities))
    assert cheapest <= expected(costs) <= -np.mean(utilities)
    # Each premium point is paid whatever branch a ship picks (but turning back).
    assert expected(calm_costs(premium=0.008)) > expected(costs) + 40.0


IN_FORCE = Cover()


def share(cost_bp, attacks=0.0, cover=IN_FORCE, escorting=False, demand=DEMAND):
    return shipping.coming_share(cost_bp, attacks, cover, escorting, demand)


def test_fewer_owners_come_as_the_costs_and_the_attacks_they_remember_grow():
    costs = np.linspace(0.0, 400.0, 41)
    shares = [share(c) for c in costs]
    assert all(0.0 < s < 1.0 for s in shares)
    assert np.all(np.diff(shares) < 0)
    attacks = [share(30.0, a) for a in range(10)]
    assert np.all(np.diff(attacks) < 0)
    assert share(100.0, 0.0, demand=DEMAND.model_copy(update={"rationality": 0.0})) == 0.5
    # Far past the margin nobody comes, and the logit does not overflow.
    assert share(1e9) == 0.0 and share(-1e9) == 1.0


def test_without_war_cover_only_the_uncovered_come_and_escorts_bring_some_back():
    withdrawn = Cover(withdrawn=True)
    covered = share(40.0)
    assert share(40.0, cover=withdrawn) == pytest.approx(covered * COVER.sail_uncovered)
    restored = COVER.sail_uncovered + (1 - COVER.sail_uncovered) * COVER.escort_restores
    assert share(40.0, cover=withdrawn, escorting=True) == pytest.approx(covered * restored)
    assert share(40.0, escorting=True) == covered  # escorts act on cover, not on covered ships
    assert share(40.0, cover=Cover(notice_left=2)) == covered  # still covered under notice


def test_complying_costs_inspection_delay_and_sanctions_exposure():
    base = PARAMS.model_copy(update={"inspection_rounds": 0.0, "sanctions_exposure": 0.0})
    plain = shipping.choice_costs(0.01, 0.0, 0.002, base, READING)
    held = shipping.choice_costs(
        0.01, 0.0, 0.002, base.model_copy(update={"inspection_rounds": 2.0}), READING
    )
    exposed = shipping.choice_costs(
        0.01, 0.0, 0.002, base.model_copy(update={"sanctions_exposure": 0.01}), READING
    )
    delay_bp = base.delay_cost_per_round * shipping.BASIS_POINTS
    assert held["delay"][COMPLY] == pytest.approx(plain["delay"][COMPLY] + 2 * delay_bp)
    assert exposed["expected_loss"][COMPLY] == pytest.approx(plain["expected_loss"][COMPLY] + 100)
    for other in range(shipping.CHOICES):  # only complying carries them
        if other != COMPLY:
            assert held["delay"][other] == plain["delay"][other]
            assert exposed["expected_loss"][other] == plain["expected_loss"][other]


def test_the_scenario_reproduces_calm_a_red_sea_fall_and_the_peak():
    """The defaults against the reference figures, at the rule: ~80-130 transits a day in calm
    (docs/sources.md#S-hormuz-transits); a Red-Sea-shaped fall to ~40-60% with a ~0.5% premium
    and a few attacks remembered (S-red-sea-2024); < 10 a day with cover withdrawn and the
    premium near its March 2026 level (S-war-risk-2026, S-war-cover-notice)."""
    normal = PARAMS.arrivals_per_round
    calm = share(expected(calm_costs()))
    assert 80 <= normal * calm <= 130
    # ~0.4 attacks a day for weeks, as in the Red Sea early in 2024: what each memory holds.
    rate = 0.4
    market = rate / (1 - DEMAND.attack_memory)
    premium = min(
        PARAMS.premium.peak_rate,
        PARAMS.premium.calm_rate
        + PARAMS.premium.attack_sensitivity * rate / (1 - PARAMS.premium.memory),
    )
    strike = READING.risk_per_remembered_attack * rate / (1 - memories.shipping_attacks)
    assert market < COVER.cancel_at_attacks and premium < COVER.cancel_at_premium  # covered
    red_sea = share(expected(calm_costs(premium=premium, strike=strike)), attacks=market)
    assert 0.25 <= red_sea <= 0.55
    peak = share(expected(calm_costs(premium=0.01, strike=0.1)), 5.0, Cover(withdrawn=True))
    assert normal * peak < 10


# --- the model ------------------------------------------------------------------------------


def scripted(injects: list[dict]) -> Scenario:
    data = read_yaml(DEFAULT_SCENARIO)
    data["injects"] = injects
    return validate_data(data, Scenario, "shipping_war.yaml")


def quiet(rounds: range) -> list[dict]:
    """The IRGC complies and CENTCOM holds in `rounds`: no shooting but the script's."""
    return [
        {"round": r, "kind": "action", "actor": actor, "action": action}
        for r in rounds
        for actor, action in (("irgc", "comply"), ("centcom", "hold_and_negotiate"))
    ]


def run(scenario: Scenario, rounds: int, seed: int, before_round=None) -> dict[str, np.ndarray]:
    model = build_model(scenario, seed)
    seen = {"arrivals": [], "transits": [], "outside": [], "chose": []}
    for r in range(1, rounds + 1):
        if before_round is not None:
            before_round(model, r)
        model.step()
        tally = model.world.tally
        seen["arrivals"].append(tally.arrivals)
        seen["transits"].append(tally.transits)
        seen["outside"].append(tally.outside)
    return {k: np.array(v) for k, v in seen.items()}


def mean_over_seeds(key, scenario, rounds, window, before_round=None) -> float:
    return float(
        np.mean([run(scenario, rounds, s, before_round)[key][window].mean() for s in SEEDS])
    )


ROUNDS = 80
CALM_DAYS = slice(4, 10)  # rounds 5-10
ATTACKED = range(11, 31)  # the scripted campaign against shipping: three weeks
UNDER_ATTACK_DAYS = slice(25, 30)  # rounds 26-30
RECOVERED_DAYS = slice(60, 80)  # rounds 61-80


def campaign(attacks_a_round: float):
    """Between rounds, the attacks of a campaign on shipping as the world records them: the
    market's, the owners' and the underwriters' memories (the premium follows in phase 6)."""

    def attack(model, round_number):
        if round_number in ATTACKED:
            world = model.world
            world.market.attacks += attacks_a_round
            world.grievances.shipping_attacks += attacks_a_round
            world.grievances.premium_attacks += attacks_a_round

    return attack


QUIET = scripted(quiet(range(1, ROUNDS + 1)))


@pytest.mark.parametrize("attacks", [0.4, 1.0], ids=["the Red Sea's rate", "a campaign"])
def test_arrivals_fall_under_attack_and_recover_when_the_attacks_fade(attacks):
    calm = mean_over_seeds("arrivals", QUIET, ROUNDS, CALM_DAYS, campaign(attacks))
    hit = mean_over_seeds("arrivals", QUIET, ROUNDS, UNDER_ATTACK_DAYS, campaign(attacks))
    back = mean_over_seeds("arrivals", QUIET, ROUNDS, RECOVERED_DAYS, campaign(attacks))
    assert 80 <= calm <= 130  # docs/sources.md#S-hormuz-transits
    assert hit < 0.6 * calm  # the Red Sea's fall (S-red-sea-2024): to ~40%
    if attacks >= 1.0:
        assert hit < 10  # cover withdrawn: the 2026 peak
    assert back > 0.8 * calm


def test_a_scripted_campaign_of_reported_attacks_is_the_campaign_the_world_records():
    """An inject of kind shipping_attacks (attacks by someone outside the game: the Red Sea's
    Houthis, an instructor's 'tanker struck') reaches the owners, the underwriters and CENTCOM
    as the recorded campaign does, round for round; two in one round add up, and one beside a
    channel inject in the same round is no conflict."""
    reported = [
        {"round": r, "kind": "shipping_attacks", "attacks": 0.2} for r in ATTACKED for _ in "ab"
    ]
    channel = {"round": ATTACKED[0], "kind": "channel", "channel": "open"}
    injected = scripted(quiet(range(1, ROUNDS + 1)) + reported + [channel])
    for seed in SEEDS[:2]:
        by_inject = run(injected, 40, seed)
        by_state = run(QUIET, 40, seed, campaign(0.4))
        np.testing.assert_array_equal(by_inject["arrivals"], by_state["arrivals"])
        untouched = run(QUIET, 40, seed)
        assert by_inject["arrivals"][25:30].sum() < 0.8 * untouched["arrivals"][25:30].sum()


def test_transits_follow_arrivals_down_and_back():
    calm = mean_over_seeds("transits", QUIET, ROUNDS, slice(6, 12), campaign(1.0))
    hit = mean_over_seeds("transits", QUIET, ROUNDS, slice(26, 32), campaign(1.0))
    back = mean_over_seeds("transits", QUIET, ROUNDS, RECOVERED_DAYS, campaign(1.0))
    assert hit < 0.2 * calm and back > 0.8 * calm


def test_the_premium_alone_keeps_owners_away():
    """A premium of ~0.9% (below the level that cancels cover, no attack remembered by the
    owners) keeps a fifth of them away or more: the ships weigh what they pay."""
    remembered = 4.0

    def premium_only(model, round_number):
        if round_number in ATTACKED:
            model.world.grievances.premium_attacks = remembered  # faded in phase 6

    sensitivity = PARAMS.premium.attack_sensitivity
    faded = remembered * PARAMS.premium.memory
    assert 0.008 < PARAMS.premium.calm_rate + sensitivity * faded < COVER.cancel_at_premium
    calm = mean_over_seeds("arrivals", QUIET, ROUNDS, CALM_DAYS, premium_only)
    hit = mean_over_seeds("arrivals", QUIET, ROUNDS, UNDER_ATTACK_DAYS, premium_only)
    assert hit < 0.8 * calm


def test_under_attack_ships_keep_to_the_corridor():
    """The branch choice reads the war: with attacks remembered, running the TSS branch is
    worth its risk to few ships; once the mandates and attacks fade, most run it."""
    outside = []
    for seed in SEEDS:
        seen = run(QUIET, ROUNDS, seed, campaign(1.0))
        outside.append(
            (seen["outside"][UNDER_ATTACK_DAYS].sum(), seen["outside"][RECOVERED_DAYS].mean())
        )
    under_attack, recovered = np.array(outside).T
    assert under_attack.sum() <= 2 * len(SEEDS)
    assert recovered.mean() > 20


def test_a_salvo_at_a_host_state_cancels_cover_and_the_traffic_comes_back_after_it():
    """The war reaching the Gulf's shore: one IRGC salvo at host states (inject) in quiet
    rounds. Cover is cancelled on 72 hours' notice, traffic falls below 10 a day, and comes
    back once cover is written again."""
    salvo_round = 11
    script = [
        order
        for order in quiet(range(1, ROUNDS + 1))
        if not (order["round"] == salvo_round and order["actor"] == "irgc")
    ]
    script.append(
        {"round": salvo_round, "kind": "action", "actor": "irgc", "action": "salvo_hosts"}
    )
    scenario = scripted(script)
    notice_ends = salvo_round + 1 + COVER.notice_rounds  # notice given at the next arrivals
    arrivals = np.mean([run(scenario, ROUNDS, seed)["arrivals"] for seed in SEEDS], axis=0)
    before = arrivals[salvo_round - 6 : salvo_round].mean()
    under_notice = arrivals[salvo_round : notice_ends - 1].mean()
    without_cover = arrivals[notice_ends - 1 : notice_ends + 9].mean()
    back = arrivals[RECOVERED_DAYS].mean()
    assert before > 80
    assert under_notice > 0.7 * before  # still covered during the notice
    assert without_cover < 10
    assert back > 0.8 * before
