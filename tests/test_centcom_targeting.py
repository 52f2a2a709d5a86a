"""CENTCOM decides and aims from what it observes (issue 9): its packages follow the Iranian
capacity its intelligence reports, with that report's error; its interceptor-use term prices a
retaliation from the spend it has seen and the magazines it holds; the regime-altering campaign
has a gain of its own; and the ladder names what stands on each rung."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from support import default_scenario, world_in_round_one

from wargame.config.ladder import ACTIONS, RUNG_NAMES
from wargame.config.schema import Scenario
from wargame.engine.adjudication import centcom
from wargame.engine.intel import LIMITED_PACKAGE_ROLES
from wargame.engine.model import build_model
from wargame.engine.observation import observe

SCENARIO = default_scenario()


def view_of(world, scenario=SCENARIO, seed=0):
    return observe(world, scenario, 0, np.random.default_rng(seed))[1]


def struck(world, setting, record) -> list[int]:
    [event] = [e for e in record.events if e.action == "limited_strikes"]
    return [setting.theatre.iran_sites.index(s["site"]) for s in event.figures["sites"]]


def test_a_package_passes_over_sites_reported_destroyed_though_they_stand():
    world, setting, record = world_in_round_one(SCENARIO)
    roles = set(LIMITED_PACKAGE_ROLES)
    eligible = [i for i, role in enumerate(setting.theatre.site_roles) if role in roles]
    view = view_of(world)
    count = SCENARIO.actors.centcom.limited_package_targets
    spare = len(eligible) - count  # sites a package leaves out
    assert spare >= 1
    first = np.array(eligible)[np.argsort(-world.iran.value[eligible], kind="stable")][:spare]
    reported = view.site_capacity.copy()
    reported[first] = 0.0  # the most valuable reported gone; all stand in truth
    assert (world.iran.capacity[first] == 1.0).all()
    centcom.act(
        world,
        setting,
        "limited_strikes",
        dataclasses.replace(view, site_capacity=reported),
        np.random.default_rng(1),
        record,
    )
    targets = struck(world, setting, record)
    assert not set(first.tolist()) & set(targets)
    assert len(targets) == count


def test_the_report_of_each_site_carries_the_scenarios_error_and_its_mean_is_iran_capacity():
    world, _, _ = world_in_round_one(SCENARIO)
    world.iran.capacity[:] = np.linspace(0.2, 0.8, len(world.iran.capacity))
    view = view_of(world)
    assert not np.allclose(view.site_capacity, world.iran.capacity)
    assert ((view.site_capacity >= 0.0) & (view.site_capacity <= 1.0)).all()
    assert view.iran_capacity == pytest.approx(view.site_capacity.mean())
    data = SCENARIO.model_dump()
    data["actors"]["centcom"]["observation_noise"] = 0.0
    exact = view_of(world, Scenario.model_validate(data))
    assert np.array_equal(exact.site_capacity, world.iran.capacity)


def model_with(**levers) -> object:
    data = SCENARIO.model_dump()
    data["levers"].update(levers)
    return build_model(Scenario.model_validate(data), 0)


def test_the_interceptor_bill_follows_the_spend_seen_and_the_magazines_left():
    model = model_with()
    model.begin_round()
    view = model.views["centcom"]
    prior = model.centcom.interceptor_cost(view)
    assert prior == pytest.approx(model.intel.expected_interceptor_spend)
    per_weapon = prior * SCENARIO.behaviour.scales.spend_usd / model.centcom._threats_per_raid
    # A hundred weapons seen at twice the forecast cost each: the bill rises toward twice.
    dear = dataclasses.replace(view, interceptor_spend=200 * per_weapon, threats_launched=100)
    cheap = dataclasses.replace(view, interceptor_spend=0.0, threats_launched=100)
    assert model.centcom.interceptor_cost(cheap) < prior < model.centcom.interceptor_cost(dear)
    empty = dataclasses.replace(view, magazines_left=np.zeros_like(view.magazines_left))
    weight = SCENARIO.behaviour.centcom.scarcity_weight
    assert model.centcom.interceptor_cost(empty) == pytest.approx(prior * (1.0 + weight))
    # Striking costs more interceptors than holding, and more the dearer they are.
    costs = dict(zip(model.centcom.options, model.centcom.option_costs(dear), strict=True))
    term = model.centcom.terms.index("interceptor_use")
    assert costs["limited_strikes"][term] > costs["hold_and_negotiate"][term]


def test_directed_energy_makes_the_forecast_bill_cheaper():
    bills = []
    for mix in ("point_defence", "directed_energy_ew"):
        model = model_with(defence_mix=mix)
        model.begin_round()
        bills.append(model.centcom.interceptor_cost(model.views["centcom"]))
    assert bills[1] < bills[0]


def test_the_regime_campaign_leads_where_iranian_threat_outweighs_the_top_rung():
    """Its one gain over expanded strikes (the same package, the same answers) is the
    capacity it is expected to remove; with Washington weighing that heavily and the top rung
    little it becomes likelier than expanded strikes, at the default far less likely."""
    ratios = []
    for threat, top_rung in ((1.0, 3.0), (10.0, 0.5)):
        data = SCENARIO.model_dump()
        data["actors"]["centcom"]["weights"].update(iranian_threat=threat, top_rung_risk=top_rung)
        model = build_model(Scenario.model_validate(data), 0)
        model.begin_round()
        view = dataclasses.replace(model.views["centcom"], unanswered=3.0, shipping_attacks=2.0)
        decision = model.centcom.decide_action(view)
        ratios.append(
            decision.probability("regime_campaign") / decision.probability("expanded_strikes")
        )
    assert ratios[0] < 0.01 and ratios[1] > 1.0


def test_each_rung_is_named_for_the_actions_on_it():
    """Rung 6 holds the IRGC's strikes on Gulf energy and CENTCOM's expanded strikes: its name
    must say both (it said only "energy war")."""
    on_rung = {rung: {a.id for a in ACTIONS.values() if a.rung == rung} for rung in range(9)}
    assert {"strike_energy", "expanded_strikes"} <= on_rung[6]
    assert "energy" in RUNG_NAMES[6] and "expanded strikes" in RUNG_NAMES[6]
    assert on_rung[4] == {"limited_strikes"} and "limited strikes" in RUNG_NAMES[4]
    assert on_rung[5] == {"salvo_hosts"} and "host-state" in RUNG_NAMES[5]
