"""Adjudication works on the world's state alone (adjudication/): no GulfModel, only a World,
the run's Setting, a random stream and an EventLog. What an order does shows in the state it
was given, the round's tally and the events booked."""

from __future__ import annotations

import numpy as np
import pytest
from support import default_scenario, world_in_round_one

from wargame.config.schema import Inject
from wargame.engine.adjudication import PHASE_US_STRIKE, Setting, centcom, hosts, outside
from wargame.engine.events import EventLog
from wargame.engine.intel import LIMITED_PACKAGE_ROLES
from wargame.engine.observation import CentcomView
from wargame.engine.state import World

SCENARIO = default_scenario()


def start() -> tuple[World, Setting, EventLog]:
    return world_in_round_one(SCENARIO)


def centcom_view(usable_basing: float = 1.0, site_capacity=None) -> CentcomView:
    world, setting, _ = start()
    world_magazines = world.magazines
    if site_capacity is None:
        site_capacity = np.ones(len(setting.theatre.iran_sites))
    return CentcomView(
        round=1,
        shipping_attacks=0.0,
        unanswered=0.0,
        transit_shortfall=0.0,
        mines=0.0,
        site_capacity=site_capacity,
        iran_capacity=float(site_capacity.mean()),
        interceptor_spend=0.0,
        threats_launched=0,
        magazines_left=world_magazines.left.copy(),
        magazines_cap=world_magazines.cap.copy(),
        host_strikes=0.0,
        channel_open=True,
        restraint_pressure=0.0,
        usable_basing=usable_basing,
    )


def test_a_strike_package_hits_the_most_valuable_sites_of_its_roles_and_only_them():
    world, setting, record = start()
    before = world.iran.capacity.copy()
    centcom.act(world, setting, "limited_strikes", centcom_view(), np.random.default_rng(1), record)
    [event] = record.events
    sites = setting.theatre.iran_sites
    targets = [sites.index(site["site"]) for site in event.figures["sites"]]
    assert len(targets) == SCENARIO.actors.centcom.limited_package_targets
    assert world.tally.sites_struck == len(targets)
    untouched = np.setdiff1d(np.arange(len(before)), targets)
    assert (world.iran.capacity[untouched] == 1.0).all()
    assert (world.iran.capacity[targets] < 1.0).any()
    # From full capacity the planners rank by value alone: no eligible site left out is worth
    # more than one struck, and only sites of the package's roles are struck.
    roles = set(LIMITED_PACKAGE_ROLES)
    eligible = [i for i, role in enumerate(setting.theatre.site_roles) if role in roles]
    assert set(targets) <= set(eligible)
    passed_over = [i for i in eligible if i not in targets]
    assert world.iran.value[passed_over].max() <= world.iran.value[targets].min()
    assert world.grievances.us_strikes == 1.0
    assert world.tally.us_strike_spend > 0
    assert (event.actor, event.action, event.phase) == (
        "centcom",
        "limited_strikes",
        PHASE_US_STRIKE,
    )
    assert event.probability is None and event.by_human is False  # no decision was booked


def test_restricted_bases_shrink_the_package():
    world, setting, record = start()
    rng = np.random.default_rng(1)
    centcom.act(world, setting, "expanded_strikes", centcom_view(0.25), rng, record)
    assert SCENARIO.actors.centcom.expanded_package_targets == 20
    assert world.tally.sites_struck == 5  # a quarter of the package, from a quarter of the bases


def test_a_host_request_adds_interceptors_to_its_own_magazines():
    world, setting, record = start()
    host = SCENARIO.actors.hosts[0]
    assert world.magazines.request_slots[host.id] is not None
    left, cap = world.magazines.host_magazines()[host.id]
    hosts.act(world, setting, host, "request_interceptors", record)
    size = host.interceptor_request_size
    assert world.magazines.host_magazines()[host.id] == (left + size, cap + size)
    assert [e.action for e in record.events] == ["request_interceptors"]


def test_a_host_staying_quiet_is_news_only_when_a_human_ordered_it():
    world, setting, record = start()
    host = SCENARIO.actors.hosts[0]
    hosts.act(world, setting, host, "stay_quiet", record)
    assert record.events == []
    record.applied = {host.id: "stay_quiet"}
    hosts.act(world, setting, host, "stay_quiet", record)
    [event] = record.events
    assert event.by_human and event.actor == host.id


def test_injects_set_lebanon_and_force_orders():
    world, setting, record = start()
    injects = [
        Inject(round=1, kind="lebanon_intensity", value=0.9),
        Inject(round=1, kind="action", actor="irgc", action="mine_lanes"),
        Inject(round=1, kind="channel", channel="halted"),
    ]
    forced = outside.outside_processes(world, setting, injects, np.random.default_rng(0), record)
    assert world.lebanon == pytest.approx(0.9)
    assert forced == {"irgc": "mine_lanes", "channel": "halted"}
    assert [e.action for e in record.events] == ["inject"] * 3
