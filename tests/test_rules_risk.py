"""The risks actors read from the world's memories, without a Model: the strike risk ship
owners read into the TSS branch (rules/shipping.py) and the threat every host reads
(rules/tolerance.py)."""

from __future__ import annotations

import pytest
from support import default_scenario

from wargame.engine.rules.shipping import mine_risk, perceived_strike_risk
from wargame.engine.rules.tolerance import host_threat

BEHAVIOUR = default_scenario().behaviour
READING = BEHAVIOUR.vessels.model_copy(
    update={"warning_risk": 0.05, "risk_per_remembered_attack": 0.03, "max_strike_risk": 0.6}
)
PROTECTION = 0.4


def risk(mandates=0.0, attacks=0.0, escorting=False, reading=READING):
    return perceived_strike_risk(mandates, attacks, escorting, reading, PROTECTION)


def test_owners_read_the_mandates_warnings_and_every_remembered_attack():
    assert risk() == 0.0
    assert risk(mandates=1.0) == pytest.approx(0.05)
    assert risk(mandates=0.5) == pytest.approx(0.025)  # a fading memory of enforcement
    assert risk(attacks=4.0) == pytest.approx(0.12)
    assert risk(mandates=1.0, attacks=4.0) == pytest.approx(0.17)


def test_the_warnings_weigh_at_most_once():
    # Enforcement again and again does not make the warnings louder than the warning itself.
    assert risk(mandates=3.0) == risk(mandates=1.0)


def test_escorts_cut_what_owners_read_by_their_protection():
    assert risk(mandates=1.0, attacks=4.0, escorting=True) == pytest.approx(0.17 * (1 - 0.4))


def test_no_owner_reads_more_than_the_cap():
    assert risk(attacks=1_000.0) == 0.6
    assert risk(attacks=1_000.0, escorting=True) == 0.6  # escorts cut it, the cap still binds
    assert risk(attacks=10.0, escorting=True) == pytest.approx(0.3 * 0.6)


def test_the_risk_is_a_float():
    assert type(risk(attacks=2.0)) is float


HOSTS = BEHAVIOUR.hosts.model_copy(
    update={"threat_per_us_strike": 0.25, "threat_per_host_strike": 0.1}
)


def test_hosts_read_recent_us_strikes_and_salvos_at_hosts_each_at_its_own_rate():
    assert host_threat(0.0, 0.0, HOSTS) == 0.0
    assert host_threat(2.0, 0.0, HOSTS) == pytest.approx(0.5)
    assert host_threat(0.0, 2.0, HOSTS) == pytest.approx(0.2)
    assert host_threat(1.0, 3.0, HOSTS) == pytest.approx(0.55)


def test_the_threat_is_at_most_certain():
    assert host_threat(10.0, 10.0, HOSTS) == 1.0


def test_owners_read_the_mine_risk_capped_as_the_hits_draw_it():
    """A dense field reads as certain death, not as a 'risk' past 1 that would make waiting
    or running the TSS branch look worse than sure loss (the hits were capped; the reading
    was not)."""
    assert mine_risk(1_000.0, 0.004) == 1.0
    assert mine_risk(0.5, 0.004) == pytest.approx(0.002)
    assert mine_risk(1.0, 1.0) == 1.0
