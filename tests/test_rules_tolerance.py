"""The host-tolerance rule (rules/tolerance.py): the round's new harm, force majeure and the
defence bill erode tolerance; quiet rounds let it recover toward the start; basing is restricted
by a host's choice or when tolerance runs out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import default_scenario

from wargame.config.schema import HostBehaviour
from wargame.engine.rules.tolerance import basing_restricted, host_threat, next_tolerance

SCENARIO = default_scenario()
PARAMS = SCENARIO.actors.hosts[0]
RATES = SCENARIO.behaviour.hosts.erosion


def test_erosion_is_each_harm_times_its_rate_after_recovery():
    start = 0.8
    recovered = start + PARAMS.tolerance_recovery * (PARAMS.tolerance_start - start)
    after = next_tolerance(start, 3.0, 2.0, 1, PARAMS, RATES, 2e8)
    erosion = 3.0 * RATES.damage + 2.0 * RATES.casualties + RATES.force_majeure
    erosion += 2.0 * RATES.spending_per_100m_usd
    assert after == pytest.approx(recovered - erosion)


def test_a_quiet_round_recovers_a_share_of_the_gap_to_the_start():
    after = next_tolerance(0.4, 0.0, 0.0, 0, PARAMS, RATES)
    gap = PARAMS.tolerance_start - 0.4
    assert after == pytest.approx(0.4 + PARAMS.tolerance_recovery * gap)
    assert after > 0.4


@given(
    tolerance=st.floats(0.0, 1.0),
    damage=st.floats(0.0, 1e4),
    casualties=st.floats(0.0, 1e4),
    force_majeure=st.integers(0, 1),
    spend=st.floats(0.0, 1e12),
)
def test_tolerance_stays_in_0_1_and_more_harm_never_leaves_more(
    tolerance, damage, casualties, force_majeure, spend
):
    after = next_tolerance(tolerance, damage, casualties, force_majeure, PARAMS, RATES, spend)
    assert 0.0 <= after <= 1.0
    more = next_tolerance(tolerance, damage + 1.0, casualties, force_majeure, PARAMS, RATES, spend)
    assert more <= after


def test_a_quiet_run_after_harm_only_recovers():
    """Fed no new harm, tolerance climbs back every round and never passes the start."""
    tolerance = next_tolerance(PARAMS.tolerance_start, 6.0, 1.0, 0, PARAMS, RATES)
    assert tolerance < PARAMS.tolerance_start
    for _ in range(30):
        after = next_tolerance(tolerance, 0.0, 0.0, 0, PARAMS, RATES)
        assert tolerance < after <= PARAMS.tolerance_start
        tolerance = after


def test_basing_is_restricted_by_choice_or_below_the_threshold():
    low = PARAMS.restrict_below - 0.01
    high = PARAMS.restrict_below + 0.01
    assert basing_restricted(low, False, PARAMS)
    assert basing_restricted(high, True, PARAMS)
    assert not basing_restricted(high, False, PARAMS)


def test_the_threat_adds_both_memories_and_is_at_most_one():
    rates: HostBehaviour = SCENARIO.behaviour.hosts
    assert host_threat(0.5, 0.25, rates) == pytest.approx(
        min(1.0, 0.5 * rates.threat_per_us_strike + 0.25 * rates.threat_per_host_strike)
    )
    assert host_threat(100.0, 100.0, rates) == 1.0
