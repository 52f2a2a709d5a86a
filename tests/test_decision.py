"""The actors' decisions as rows of numbers: every term weighed once per option, utilities that
are exactly minus the sum of the breakdown a reader sees, read-only per-option mappings built
when read, decisions that pickle and copy, and the IRGC's cached leverage equal to the rule it
caches (for whichever launch sites stand and hosts it courts)."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import numpy as np
import pytest

from wargame.engine.agents import Irgc
from wargame.engine.decision import Decision, choose, decide
from wargame.engine.intel import Intel
from wargame.engine.model import build_model

ROUNDS = 30


@pytest.fixture(scope="module")
def model(scenario):
    model = build_model(scenario, 3)
    for _ in range(ROUNDS):
        model.step()
    return model


def actors(model):
    return {"irgc": model.irgc, "centcom": model.centcom, **model.hosts}


def test_every_option_has_a_raw_cost_for_each_weighed_term(model):
    for actor_id, actor in actors(model).items():
        # Each term the scenario weighs is costed, in the scenario's order, and nothing else.
        assert actor.terms == tuple(actor.weights), actor_id
        costs = actor.option_costs(model.views[actor_id])
        assert len(costs) == len(actor.options), actor_id
        for option, row in zip(actor.options, costs, strict=True):
            assert len(row) == len(actor.terms), (actor_id, option)
            assert all(isinstance(value, float) for value in row), (actor_id, option)


def test_a_utility_is_exactly_minus_the_sum_of_its_breakdown(model):
    """The utilities the logit drew from are the weighted terms a reader sees (the why panel,
    the event log), summed in their order: bit for bit, not approximately."""
    checked = 0
    for decisions in model.decision_history.values():
        for decision in decisions.values():
            for option, utility in zip(decision.options, decision.utilities, strict=True):
                assert utility == -sum(decision.breakdown(option).values()), option
                checked += 1
    channel_options = 2  # the IRGC's channel decision: keep, or the move the state allows
    assert checked == ROUNDS * (
        sum(len(actor.options) for actor in actors(model).values()) + channel_options
    )


def test_raw_terms_are_read_only_mappings_of_each_options_row(model):
    decision = model.decisions["irgc"]
    raw = decision.raw_terms
    assert list(raw) == list(decision.options)
    for option, row in zip(decision.options, decision.costs, strict=True):
        assert dict(raw[option]) == dict(zip(decision.terms, row, strict=True))
        breakdown = decision.breakdown(option)
        assert breakdown == {t: decision.weights[t] * v for t, v in raw[option].items()}
    with pytest.raises(TypeError):
        raw["comply"] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        raw["comply"]["sovereignty"] = 0.0  # type: ignore[index]
    with pytest.raises(ValueError, match="not one of irgc's options"):
        decision.breakdown("hold_and_negotiate")


def test_choosing_from_mappings_or_from_rows_is_the_same_decision():
    terms = ("cost_a", "cost_b", "cost_c")
    options = ("hold", "push", "fold")
    costs = ((0.5, -0.2, 1e-17), (1.0, 0.4, 3.0), (0.0, 0.9, -0.1))
    weights = {"cost_a": 2.0, "cost_b": 0.3, "cost_c": 0.7}
    raw = {o: dict(zip(terms, row, strict=True)) for o, row in zip(options, costs, strict=True)}
    for seed in range(20):
        by_rows = choose("tester", options, terms, costs, weights, 1.5, np.random.default_rng(seed))
        by_maps = decide("tester", raw, weights, 1.5, np.random.default_rng(seed))
        assert by_maps == by_rows
    # An option that weighs other terms than the rest is refused, not scored on a short row.
    uneven = {**raw, "fold": {"cost_a": 0.0, "cost_b": 0.9}}
    with pytest.raises(ValueError, match="different terms"):
        decide("tester", uneven, weights, 1.5, np.random.default_rng(0))


def test_a_decision_is_built_with_every_field_and_stays_frozen():
    """Decision writes its fields itself (not the dataclass's generated __init__): each field
    is set, and none can change afterwards (model copies share past decisions)."""
    values = {field.name: f"value of {field.name}" for field in dataclasses.fields(Decision)}
    decision = Decision(**values)
    assert {name: getattr(decision, name) for name in values} == values
    for name in values:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(decision, name, "changed")
    assert dataclasses.replace(decision, chosen="other").chosen == "other"


def test_a_decision_survives_pickle_and_deepcopy(model):
    decision = model.decisions["centcom"]
    # Read as the why panel does first: a copy or a saved game follows the reading.
    read = (dict(decision.raw_terms), decision.weighted_terms, decision.breakdown())
    for copied in (pickle.loads(pickle.dumps(decision)), copy.deepcopy(decision)):
        assert copied == decision
        assert (dict(copied.raw_terms), copied.weighted_terms, copied.breakdown()) == read


def test_striking_a_vessel_makes_no_example_with_nobody_in_sight(model):
    """The IRGC's mandate credibility: a strike on a vessel answers defiance only if it sees a
    ship running the TSS branch; every other option answers it the same either way."""
    view = dataclasses.replace(model.views["irgc"], defiance=2.0)
    column = Irgc.terms.index("mandate_credibility")
    seen = model.irgc.option_costs(dataclasses.replace(view, defiant_detected=3))
    unseen = model.irgc.option_costs(dataclasses.replace(view, defiant_detected=0))
    punishes = model.spec.behaviour.irgc.punishes_defiance
    for option, row_seen, row_unseen in zip(model.irgc.options, seen, unseen, strict=True):
        assert row_seen[column] == 2.0 * (1.0 - punishes[option]), option
        expected = 2.0 if option == "strike_vessel" else 2.0 * (1.0 - punishes[option])
        assert row_unseen[column] == expected, option
    assert punishes["strike_vessel"] > 0.0  # else the two cases could not differ


def leverage_by_the_rule(intel, scenario, view) -> tuple[float, float]:
    """The IRGC's leverage worked out afresh, with no cache: a new Intel's plan of the round
    (its targets after discounting courted hosts and correcting by its results)."""
    plan = Intel(scenario, intel.theatre)._plan(view)
    return plan.salvo_leverage * view.strike_capacity, plan.energy_leverage * view.strike_capacity


def test_the_irgcs_cached_leverage_follows_its_sites_the_hosts_it_courts_and_its_results(model):
    intel, scenario = model.intel, model.spec
    view = dataclasses.replace(
        model.views["irgc"],
        capacity=np.ones(len(model.theatre.iran_sites)),
        host_open_channel=frozenset(),
        restricted_hosts=frozenset(),
        strike_capacity=0.8,
    )
    top = intel.plan(view).salvo[0]
    top_host = top.host
    no_launchers = np.zeros(len(model.theatre.iran_sites))
    # Every threat it fired at its first target seen stopped.
    stopped = view.intercepted_seen.copy()
    stopped[model.theatre.index[top.node]] += 50.0
    # ... or every one seen get through.
    through = view.leaked_seen.copy()
    through[model.theatre.index[top.node]] += 50.0
    variants = [
        view,
        dataclasses.replace(view, host_open_channel=frozenset({top_host})),
        dataclasses.replace(view, restricted_hosts=frozenset({top_host})),
        dataclasses.replace(view, strike_capacity=0.3),
        dataclasses.replace(view, capacity=no_launchers),
        dataclasses.replace(view, intercepted_seen=stopped),
        dataclasses.replace(view, leaked_seen=through),
        view,
    ]
    got = [intel.leverage(v) for v in variants]
    assert got == [leverage_by_the_rule(intel, scenario, v) for v in variants]
    # Each variant changes what the IRGC expects from the base view, so a cache that ignored
    # one would be seen (a courted host, by open channel or restricted basing, is worth less to
    # strike). Two variants may agree with each other: each can move the salvo to the same sites.
    assert all(salvo != got[0][0] for salvo, _ in got[1:7])
    assert got[1][0] < got[0][0] and got[2][0] < got[0][0]
    assert got[4] == (0.0, 0.0)
    assert top.node not in {aim.node for aim in intel.plan(variants[5]).salvo}
    assert got[6][0] > got[0][0]
