"""The world's state objects (state.py): a new world as the scenario starts it, the Iranian
abilities read from the sites' capacities, the magazines' shared stock, the round's tally
folded into the run's totals, and the clock."""

from __future__ import annotations

import datetime as dt

import mesa
import numpy as np
import pytest
from support import default_scenario

from wargame.engine.fleet import Fleet
from wargame.engine.model import prepared
from wargame.engine.rules.defence import THREAT_KINDS
from wargame.engine.state import KIND_TOTAL_KEYS, TOTAL_KEYS, World, new_world
from wargame.engine.theatre import SURVEILLANCE_ROLES

SCENARIO = default_scenario()


def world() -> World:
    theatre, _ = prepared(SCENARIO)
    fleet = Fleet(theatre.routes, theatre.path_cumulative_km, mesa.Model(rng=0))
    return new_world(SCENARIO, theatre, fleet)


def test_a_new_world_is_the_scenarios_start():
    w = world()
    assert (w.iran.capacity == 1.0).all() and w.iran.mines == 0.0
    assert (w.magazines.left == w.magazines.cap).all() and w.magazines.left.sum() > 0
    assert {h: s.tolerance for h, s in w.hosts.items()} == {
        h.id: h.tolerance_start for h in SCENARIO.actors.hosts
    }
    assert w.grievances.transits == SCENARIO.shipping.arrivals_per_round
    assert w.grievances.mandates == 1.0  # the routing mandates stand from the start
    assert w.premium == SCENARIO.shipping.premium.calm_rate
    assert w.lebanon == SCENARIO.lebanon.start
    assert (w.round, w.date) == (0, SCENARIO.clock.start_date)
    assert set(w.totals) == {*TOTAL_KEYS, *KIND_TOTAL_KEYS} and not any(w.totals.values())
    assert not set(TOTAL_KEYS) & set(KIND_TOTAL_KEYS)


def test_an_ability_is_the_mean_capacity_of_the_sites_of_its_roles():
    w = world()
    theatre, _ = prepared(SCENARIO)
    roles = [SCENARIO.node(s).role for s in theatre.iran_sites]
    watching = [i for i, role in enumerate(roles) if role in SURVEILLANCE_ROLES]
    assert 0 < len(watching) < len(roles)
    w.iran.capacity[watching[0]] = 0.0
    assert w.iran.surveillance() == pytest.approx(1.0 - 1.0 / len(watching))
    others = [i for i in range(len(roles)) if i not in watching]
    w.iran.capacity[others] = 0.5  # other sites do not watch the Strait
    assert w.iran.surveillance() == pytest.approx(1.0 - 1.0 / len(watching))
    assert w.iran.mean_capacity() == pytest.approx(w.iran.capacity.mean())


def test_repair_gives_back_a_share_of_what_was_lost():
    w = world()
    w.iran.capacity[:] = 0.2
    w.iran.repair(0.25)
    assert w.iran.capacity == pytest.approx(np.full(len(w.iran.capacity), 0.4))


def test_a_sites_magazines_are_a_view_of_the_one_stock():
    w = world()
    magazines = w.magazines
    # A site that is resupplied every round (some whole interceptors a round).
    site = next(s for s, part in magazines.slices.items() if magazines.resupply_whole[part].any())
    view = magazines.of(site)
    view[:] = 0
    assert magazines.left[magazines.slices[site]].sum() == 0
    stock = magazines.left
    magazines.resupply(np.random.default_rng(0))
    assert magazines.left is stock  # resupplied in place
    assert view.sum() > 0  # so the view taken before sees the new interceptors
    assert view.sum() == magazines.left[magazines.slices[site]].sum()


def test_a_host_counts_the_interceptors_of_its_own_sites_only():
    w = world()
    theatre, _ = prepared(SCENARIO)
    counted = w.magazines.host_magazines()
    for host in SCENARIO.actors.hosts:
        own = [
            n
            for n in theatre.host_targets
            if SCENARIO.node(n).host == host.id and n in w.magazines.slices
        ]
        expected = sum(int(w.magazines.of(n).sum()) for n in own)
        assert counted[host.id] == (expected, expected)
    host, slot = next((h, s) for h, s in w.magazines.request_slots.items() if s is not None)
    before = counted[host]
    w.magazines.add(*slot, 7)
    assert w.magazines.host_magazines()[host] == (before[0] + 7, before[1] + 7)


def test_the_rounds_counts_fold_into_the_totals():
    w = world()
    tally = w.tally
    tally.interceptor_spend, tally.attacker_spend = 3.0, 2.0
    tally.us_strike_spend, tally.shipping_strike_spend = 5.0, 7.0
    tally.host_damage, tally.casualties, tally.shipping_loss = 11.0, 13, 17.0
    tally.vessels_struck, tally.mine_hits, tally.transits, tally.leakers = 1, 2, 19, 23
    for n, kind in enumerate(THREAT_KINDS):
        tally.launched[kind], tally.intercepted[kind] = 100 + n, 200 + n
        tally.leaked[kind], tally.failed[kind] = 300 + n, 400 + n
        tally.interceptor_spend_by_kind[kind] = 500.0 + n
        tally.attacker_spend_by_kind[kind] = 600.0 + n
        tally.engaged[kind] = 700 + n
    tally.add_to(w.totals)
    tally.add_to(w.totals)  # a second round of the same adds as much again
    expected = {
        "interceptor_spend_usd": 6.0,
        "attacker_spend_usd": 4.0,
        "us_strike_spend_usd": 10.0,
        "shipping_strike_spend_usd": 14.0,
        "host_damage": 22.0,
        "casualties": 26,
        "vessels_struck": 6,  # missiles and mines alike
        "transits": 38,
        "shipping_loss_usd": 34.0,
        "leakers": 46,
        "economic_loss_usd": 0.0,  # booked as it happens, not from the tally
        "force_majeure_days": 0.0,
    }
    for n, kind in enumerate(THREAT_KINDS):
        expected[f"launched_{kind}"] = 2 * (100 + n)
        expected[f"intercepted_{kind}"] = 2 * (200 + n)
        expected[f"leaked_{kind}"] = 2 * (300 + n)
        expected[f"failed_{kind}"] = 2 * (400 + n)
        expected[f"interceptor_spend_{kind}_usd"] = 2 * (500.0 + n)
        expected[f"attacker_spend_{kind}_usd"] = 2 * (600.0 + n)
        expected[f"engaged_{kind}"] = 2 * (700 + n)
    assert w.totals == expected


def test_the_clock_and_the_rung():
    w = world()
    hours = SCENARIO.clock.round_hours
    w.next_round()
    w.tally.leakers = 5
    w.book_orders(
        {"irgc": "strike_energy", "centcom": "hold_and_negotiate", "kuwait": "stay_quiet"},
        ("kuwait",),
    )
    high = w.tally.rung
    assert high > 0 and w.highest_rung == high
    w.next_round()
    w.next_round()
    assert w.round == 3
    assert w.date == SCENARIO.clock.start_date + dt.timedelta(hours=2 * hours)
    assert w.tally.leakers == 0  # a new round, a new tally
    w.book_orders({"irgc": "comply", "centcom": "hold_and_negotiate"}, ())
    assert w.tally.rung == 0 and w.highest_rung == high
