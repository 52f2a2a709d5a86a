"""The grievances and memories the sides keep (rules/grievance.py): what each side's action
adds and settles, and how every memory fades at the end of a round, without a Model."""

from __future__ import annotations

import dataclasses

import pytest
from support import default_scenario

from wargame.config.ladder import CENTCOM_ACTIONS, IRGC_ACTIONS
from wargame.engine.rules.grievance import (
    Grievances,
    after_centcom_action,
    after_irgc_action,
    defiance_seen,
    faded,
    transits_remembered,
)

BEHAVIOUR = default_scenario().behaviour
PREMIUM = default_scenario().shipping.premium
# A different share for every memory, so a memory faded by another's share shows.
MEMORIES = BEHAVIOUR.memories.model_copy(
    update={
        "shipping_attacks": 0.11,
        "us_strikes": 0.22,
        "host_strikes": 0.33,
        "mandates": 0.44,
        "transits": 0.55,
        "host_harm": 0.66,
        "restraint_pressure": 0.77,
    }
)
BEFORE = Grievances(
    defiance=3.0,
    sovereignty=5.0,
    us_unanswered=7.0,
    shipping_attacks=11.0,
    premium_attacks=13.0,
    host_strikes=17.0,
    us_strikes=19.0,
    mandates=0.9,
    restraint_pressure=23.0,
    transits=29.0,
    relief_offered=True,
)


def fade(**news) -> Grievances:
    args = {
        "defiant_detected": 0,
        "irgc_action": "comply",
        "irgc_carried_out": 1,
        "ships_attacked": 0,
    }
    args.update(news)
    return faded(
        BEFORE,
        args["defiant_detected"],
        args["irgc_action"],
        args["irgc_carried_out"],
        args["ships_attacked"],
        BEHAVIOUR.grievances,
        MEMORIES,
        PREMIUM,
    )


def test_every_memory_fades_by_its_own_share():
    after = fade()
    assert after.shipping_attacks == pytest.approx(11.0 * 0.11)
    assert after.host_strikes == pytest.approx(17.0 * 0.33)
    assert after.us_strikes == pytest.approx(19.0 * 0.22)
    assert after.mandates == pytest.approx(0.9 * 0.44)
    assert after.restraint_pressure == pytest.approx(23.0 * 0.77)
    rules = BEHAVIOUR.grievances
    assert after.sovereignty == pytest.approx(5.0 * rules.sovereignty.memory)
    assert after.us_unanswered == pytest.approx(7.0 * rules.unanswered.memory)
    # Transits are averaged when ships move (transits_remembered), CENTCOM's relief is news of
    # the round: the fading leaves both alone.
    assert after.transits == 29.0 and after.relief_offered is True


def test_the_market_remembers_every_ship_attacked():
    quiet, attacked = fade(), fade(ships_attacked=3)
    assert quiet.premium_attacks == pytest.approx(PREMIUM.memory * 13.0)
    assert attacked.premium_attacks == pytest.approx(PREMIUM.memory * 13.0 + 3)


def test_defiance_takes_in_the_ships_seen_and_is_cut_by_the_irgcs_action_carried_out():
    rules = BEHAVIOUR.grievances.defiance
    seen = defiance_seen(3.0, 6, rules)
    assert seen == pytest.approx(rules.memory * 3.0 + 6 / rules.vessels_per_unit)
    action = "strike_vessel"
    share = rules.left_after_irgc_action[action]
    assert share < 1.0  # the default scenario: attacking a ship answers defiance
    carried = fade(defiant_detected=6, irgc_action=action, irgc_carried_out=2)
    assert carried.defiance == pytest.approx(seen * share)
    # An order that found nobody in reach settles nothing.
    missed = fade(defiant_detected=6, irgc_action=action, irgc_carried_out=0)
    assert missed.defiance == pytest.approx(seen)


@pytest.mark.parametrize("action", [spec.id for spec in IRGC_ACTIONS])
def test_an_irgc_action_adds_to_washingtons_grievance_per_time_carried_out(action):
    rules = BEHAVIOUR.grievances
    unanswered, sovereignty = after_irgc_action(BEFORE, action, 2, rules)
    assert unanswered == pytest.approx(7.0 + 2 * rules.unanswered.per_irgc_action[action])
    assert sovereignty == pytest.approx(5.0 * rules.sovereignty.left_after_irgc_action[action])
    # An order that found nothing to do settles nothing and adds nothing.
    assert after_irgc_action(BEFORE, action, 0, rules) == (7.0, 5.0)


@pytest.mark.parametrize("action", [spec.id for spec in CENTCOM_ACTIONS])
def test_a_centcom_action_adds_to_tehrans_grievance_and_settles_washingtons(action):
    rules = BEHAVIOUR.grievances
    sovereignty, unanswered, relief = after_centcom_action(BEFORE, action, rules)
    assert sovereignty == pytest.approx(5.0 + rules.sovereignty.per_centcom_action[action])
    left = rules.unanswered.left_after_centcom_action[action]
    assert unanswered == pytest.approx(7.0 * left)
    assert relief is (action == "hold_and_negotiate")


def test_strikes_answer_washingtons_grievance_and_holding_does_not():
    rules = BEHAVIOUR.grievances
    assert after_centcom_action(BEFORE, "limited_strikes", rules)[1] < 7.0
    assert after_centcom_action(BEFORE, "hold_and_negotiate", rules)[1] == 7.0


def test_the_rules_leave_the_grievances_they_read_alone():
    before = dataclasses.replace(BEFORE)
    after_irgc_action(BEFORE, "strike_vessel", 2, BEHAVIOUR.grievances)
    after_centcom_action(BEFORE, "limited_strikes", BEHAVIOUR.grievances)
    fade(defiant_detected=4, ships_attacked=2)
    assert before == BEFORE


def test_the_transit_average_moves_toward_the_round():
    assert transits_remembered(10.0, 20, 0.8) == pytest.approx(12.0)
    assert transits_remembered(10.0, 10, 0.8) == pytest.approx(10.0)
    assert transits_remembered(10.0, 0, 1.0) == 10.0  # kept entirely: never forgotten
