"""Browser play's engine contract: a round begun, commanded by a human, then resolved.

`begin_round()` runs phases 1-3 and returns the AI's decisions, `command()` gives a human order,
`step()` resolves the round. With no orders a game is the same run as plain `step()` calls; an
order changes what happens and shows in the log; a scripted inject beats a human order; a copy
of a model is independent and `reseed()` makes it a new, reproducible game.
"""

from __future__ import annotations

import copy
import json
import pickle
import random

import numpy as np
import pandas as pd
import pytest
from support import REPO

from wargame.config.ladder import POSTURING, VIOLENT
from wargame.config.loader import load_scenario
from wargame.config.schema import Scenario
from wargame.engine import metrics
from wargame.engine.model import build_model
from wargame.engine.rules.diplomacy import CHANNEL_MOVES

SCENARIOS = REPO / "configs" / "scenarios"
ROUNDS = 40


def frame(model) -> pd.DataFrame:
    return model.datacollector.get_model_vars_dataframe()


def events(model) -> list[dict]:
    return [e.to_dict() for e in model.events]


def with_injects(scenario: Scenario, *injects: dict) -> Scenario:
    data = scenario.model_dump(mode="json")
    data["injects"] = [*data["injects"], *injects]
    return Scenario.model_validate(data)


def stepped(scenario, seed, rounds):
    model = build_model(scenario, seed)
    for _ in range(rounds):
        model.step()
    return model


def assert_same_run(first, second) -> None:
    pd.testing.assert_frame_equal(frame(first), frame(second))
    assert events(first) == events(second)
    assert (first.world.iran.capacity == second.world.iran.capacity).all()
    assert (first.world.magazines.left == second.world.magazines.left).all()
    assert first.fleet.count() == second.fleet.count()


@pytest.fixture(scope="module")
def flare() -> Scenario:
    return load_scenario(SCENARIOS / "gulf_2026_lebanon_flare.yaml")


# --- with no orders, nothing changes ---------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 7, 42])
@pytest.mark.parametrize("name", ["gulf_2026", "gulf_2026_lebanon_flare", "forced"])
def test_an_ai_only_game_is_the_same_run_whether_rounds_are_begun_or_not(scenario, name, seed):
    if name == "gulf_2026":
        chosen = scenario
    elif name == "forced":  # an action inject and a channel inject take the forced path
        chosen = with_injects(
            scenario,
            {"round": 3, "kind": "action", "actor": "centcom", "action": "limited_strikes"},
            {"round": 5, "kind": "channel", "channel": "halted"},
        )
    else:
        chosen = load_scenario(SCENARIOS / f"{name}.yaml")
    plain = stepped(chosen, seed, ROUNDS)
    begun = build_model(chosen, seed)
    for _ in range(ROUNDS):
        decisions = begun.begin_round()
        assert set(decisions) == {"irgc", "irgc_channel", "centcom", *begun.hosts}
        begun.step()
    assert_same_run(plain, begun)
    assert len(plain.events) > ROUNDS  # every round logs decisions: the comparison is not empty
    assert "by_human" not in {key for e in events(begun) for key in e}
    assert begun.human_orders == {}
    # Mesa's counters count resolved rounds, not begun ones.
    assert (begun.steps, begun.time, begun.round) == (ROUNDS, float(ROUNDS), ROUNDS)


def test_ordering_the_ais_own_choice_changes_nothing_but_the_human_mark(scenario):
    plain = stepped(scenario, 5, 12)
    ordered = build_model(scenario, 5)
    for _ in range(12):
        ordered.command("centcom", ordered.begin_round()["centcom"].chosen)
        ordered.step()
    pd.testing.assert_frame_equal(frame(plain), frame(ordered))
    marked = [e for e in events(ordered) if e.pop("by_human", False)]
    assert events(plain) == [
        {k: v for k, v in e.items() if k != "by_human"} for e in events(ordered)
    ]
    assert len(marked) >= 12 and {e["actor"] for e in marked} == {"centcom"}


def test_begin_round_does_not_count_a_mesa_step_until_it_resolves(scenario):
    model = build_model(scenario, 1)
    model.begin_round()
    assert (model.round, model.steps, model.round_begun) == (1, 0, True)
    model.step()
    assert (model.round, model.steps, model.round_begun) == (1, 1, False)
    model.step()  # begins and resolves round 2 itself
    assert (model.round, model.steps, model.time) == (2, 2, 2.0)
    assert frame(model)["round"].tolist() == [1, 2]


# --- a human order ---------------------------------------------------------------------------


def test_a_centcom_order_changes_the_outcome_and_shows_in_that_rounds_log(scenario):
    ai = build_model(scenario, 3)
    human = build_model(scenario, 3)
    ai_choice = ai.begin_round()["centcom"].chosen
    decisions = human.begin_round()
    assert decisions["centcom"].chosen == ai_choice  # same seed, same AI decision
    order = "expanded_strikes" if ai_choice != "expanded_strikes" else "hold_and_negotiate"
    human.command("centcom", order)
    ai.step()
    human.step()

    assert human.human_orders == {1: {"centcom": order}}
    assert frame(human)["centcom_action"].tolist() == [order]
    assert frame(ai)["centcom_action"].tolist() == [ai_choice]
    # The strike package hits Iranian sites the AI's choice would have spared.
    assert human.world.totals["us_strike_spend_usd"] != ai.world.totals["us_strike_spend_usd"]
    assert not np.array_equal(human.world.iran.capacity, ai.world.iran.capacity)
    logged = [e for e in human.events if e.round == 1 and e.actor == "centcom"]
    assert [e.action for e in logged] == [order]
    assert logged[0].by_human and logged[0].to_dict()["by_human"] is True
    # The breakdown is still the AI's own forecast of the ordered option, for the "why" panel.
    assert logged[0].breakdown == decisions["centcom"].breakdown(order)
    assert logged[0].probability == decisions["centcom"].probability(order)
    # The AI's decision stays in the history as the AI made it.
    assert human.decision_history[1]["centcom"].chosen == ai_choice


def test_later_rounds_follow_the_order_and_the_last_order_for_an_actor_stands(scenario):
    model = build_model(scenario, 8)
    model.begin_round()
    model.command("irgc", "strike_energy")
    model.command("irgc", "salvo_hosts")
    model.step()
    assert model.human_orders == {1: {"irgc": "salvo_hosts"}}
    assert frame(model)["launched"].iloc[0] > 0
    salvos = [e for e in model.events if e.actor == "irgc" and e.round == 1]
    assert salvos and all(e.action == "salvo_hosts" and e.by_human for e in salvos)


def test_a_host_ordered_to_stay_quiet_says_so_in_the_log(scenario):
    host = scenario.actors.hosts[0]
    model = build_model(scenario, 2)
    model.begin_round()
    model.command(host.id, "stay_quiet")
    model.step()
    quiet = [e for e in model.events if e.actor == host.id]
    assert [(e.action, e.by_human) for e in quiet] == [("stay_quiet", True)]
    assert host.name in quiet[0].sentence


def test_an_order_off_the_menu_names_the_actor_and_the_menu(scenario):
    model = build_model(scenario, 0)
    menu = model.begin_round()["centcom"].options
    with pytest.raises(ValueError, match="centcom") as error:
        model.command("centcom", "salvo_hosts")
    assert "'salvo_hosts'" in str(error.value)
    assert all(option in str(error.value) for option in menu)
    with pytest.raises(ValueError, match="unknown actor 'oman'") as error:
        model.command("oman", "stay_quiet")
    assert all(actor in str(error.value) for actor in ("irgc", "centcom", *model.hosts))
    model.step()  # a refused order leaves the round as the AI played it
    assert model.human_orders == {}
    assert_same_run(model, stepped(scenario, 0, 1))


def test_an_order_needs_a_begun_round_and_a_round_begins_once(scenario):
    model = build_model(scenario, 0)
    with pytest.raises(RuntimeError, match="begin_round"):
        model.command("irgc", "comply")
    model.begin_round()
    with pytest.raises(RuntimeError, match="round 1 is already begun"):
        model.begin_round()
    model.step()
    with pytest.raises(RuntimeError, match="begin_round"):
        model.command("irgc", "comply")  # round 1 is over; orders do not carry to round 2


def test_a_scripted_inject_beats_a_human_order(scenario):
    forced = with_injects(
        scenario,
        {"round": 2, "kind": "action", "actor": "centcom", "action": "limited_strikes"},
    )
    model = build_model(forced, 4)
    for round_ in (1, 2):
        model.begin_round()
        if round_ == 2:
            assert model.injected_orders == {"centcom": "limited_strikes"}
        model.command("centcom", "escort")
        model.command("irgc", "posture")
        model.step()
    assert frame(model)["centcom_action"].tolist() == ["escort", "limited_strikes"]
    assert frame(model)["irgc_action"].tolist() == ["posture", "posture"]
    # Only orders actually applied are recorded: a replay must not re-apply the overridden one.
    assert model.human_orders == {
        1: {"centcom": "escort", "irgc": "posture"},
        2: {"irgc": "posture"},
    }
    strike = [e for e in model.events if e.round == 2 and e.actor == "centcom"]
    assert strike and not any(e.by_human for e in strike)


# --- history, copies and new seeds -----------------------------------------------------------


def test_decision_history_holds_every_rounds_decisions_for_every_actor(scenario):
    model = build_model(scenario, 6)
    for round_ in range(1, 21):
        model.begin_round()
        if round_ % 5 == 0:
            model.command("irgc", "mine_lanes")
        model.step()
    actors = {"irgc", "irgc_channel", "centcom", *model.hosts}
    assert sorted(model.decision_history) == list(range(1, 21))
    assert all(set(d) == actors for d in model.decision_history.values())
    for round_, decisions in model.decision_history.items():
        for decision in decisions.values():
            assert len(decision.options) == len(decision.probabilities) >= 2
            assert sum(decision.probabilities) == pytest.approx(1.0)
        played = frame(model)["irgc_action"].iloc[round_ - 1]
        ai = decisions["irgc"].chosen
        assert played == ("mine_lanes" if round_ % 5 == 0 else ai)
    # Each round's logged decision matches that round's history.
    for event in model.events:
        # The IRGC's channel moves are booked under its channel decision.
        key = "irgc_channel" if event.action in CHANNEL_MOVES else event.actor
        decision = model.decision_history[event.round].get(key)
        if decision is not None and event.probability is not None:
            assert event.probability == decision.probability(event.action)


def test_a_deep_copy_is_independent_and_faithful(scenario):
    model = stepped(scenario, 9, 10)
    before = (
        frame(model).copy(),
        events(model),
        model.world.iran.capacity.copy(),
        model.world.magazines.left.copy(),
    )
    clone = copy.deepcopy(model)
    clone.begin_round()
    clone.command("irgc", "strike_us_navy")
    clone.step()
    for _ in range(9):
        clone.step()
    pd.testing.assert_frame_equal(frame(model), before[0])
    assert events(model) == before[1]
    assert (model.world.iran.capacity == before[2]).all() and (
        model.world.magazines.left == before[3]
    ).all()
    assert (
        model.round == 10
        and model.human_orders == {}
        and sorted(model.decision_history) == [*range(1, 11)]
    )
    # The original goes on as if never copied, and an unordered copy continues it exactly.
    quiet = copy.deepcopy(model)
    for _ in range(10):
        model.step()
        quiet.step()
    assert_same_run(model, stepped(scenario, 9, 20))
    assert_same_run(quiet, model)
    assert frame(clone)["irgc_action"].iloc[10] == "strike_us_navy"


def test_a_copy_of_a_begun_round_resolves_it_with_its_orders(scenario):
    model = build_model(scenario, 12)
    model.begin_round()
    model.command("centcom", "regime_campaign")
    clone = copy.deepcopy(model)
    model.step()
    clone.step()
    assert_same_run(model, clone)
    assert clone.human_orders == {1: {"centcom": "regime_campaign"}}


def test_reseed_gives_reproducible_continuations_that_differ_by_seed(scenario):
    base = stepped(scenario, 1, 15)

    def continued(seed: int | None):
        clone = copy.deepcopy(base)
        if seed is not None:
            clone.reseed(seed)
        for _ in range(25):
            clone.step()
        return clone

    first, again, other, unseeded = continued(99), continued(99), continued(100), continued(None)
    assert_same_run(first, again)
    later = slice(15, None)
    assert not frame(first).iloc[later].equals(frame(other).iloc[later])
    assert not frame(first).iloc[later].equals(frame(unseeded).iloc[later])
    pd.testing.assert_frame_equal(frame(first).iloc[:15], frame(base))  # the past is kept
    assert first.reseeds == [(15, 99)] and base.reseeds == []
    # Both of Mesa's streams are replaced: numpy's and the standard library's.
    fresh = copy.deepcopy(base)
    fresh.reseed(2024)
    assert fresh.rng.random() == np.random.default_rng(2024).random()
    assert fresh.random.random() == random.Random(2024).random()
    assert fresh.space.random is fresh.random  # the space draws from the reseeded stream
    with pytest.raises(ValueError, match="non-negative integer"):
        fresh.reseed(-1)


# --- what the browser reads each round -------------------------------------------------------


def test_magazine_columns_count_the_interceptors_a_salvo_used(scenario):
    start = sum(
        d.magazine_per_battery * d.batteries for node in scenario.nodes for d in node.defences
    )
    model = build_model(scenario, 8)
    model.begin_round()
    model.command("irgc", "salvo_hosts")
    for host in model.hosts:  # no host asks for more interceptors this round
        model.command(host, "stay_quiet")
    model.step()
    row = frame(model).iloc[0]
    assert row["intercepted_ballistic"] + row["intercepted_cruise"] + row["intercepted_drone"] > 0
    assert row["interceptors_left"] < start
    # The share is by value over the fielded systems (Magazines.fielded_value): a count would
    # sit near 1 behind the never-spent uses of unfielded lasers and jammers.
    magazines = model.world.magazines
    by_value = (magazines.fielded_value @ magazines.left) / (
        magazines.fielded_value @ magazines.cap
    )
    assert row["magazine_share"] == pytest.approx(by_value, abs=1e-6)
    assert row["magazine_share"] < row["interceptors_left"] / start < 1.0
    rows = metrics.host_rows(model)
    assert sum(r["interceptors_left"] for r in rows.values()) <= row["interceptors_left"]
    assert min(r["magazine_share"] for r in rows.values()) < 1.0


def test_host_rows_give_each_hosts_tolerance_damage_and_basing(scenario):
    model = build_model(scenario, 8)
    model.begin_round()
    model.command("irgc", "salvo_hosts")
    model.command("kuwait", "restrict_basing")
    model.step()
    rows = metrics.host_rows(model)
    assert list(rows) == list(model.hosts)
    assert json.loads(json.dumps(rows)) == rows  # sent to the browser as it is
    for host, row in rows.items():
        state = model.world.hosts[host]
        assert (row["host"], row["round"]) == (host, 1)
        assert row["tolerance"] == round(state.tolerance, 6)
        assert row["damage_total"] == round(state.damage_total, 6)
    assert rows["kuwait"]["restricted"] is True
    assert sum(r["damage_total"] for r in rows.values()) == pytest.approx(
        frame(model)["total_host_damage"].iloc[0], abs=1e-5
    )


def test_severity_is_the_higher_of_the_two_actions_scores(scenario):
    model = build_model(scenario, 8)
    assert metrics.severity(model) == 0  # before round 1: status quo
    for irgc, centcom in (("strike_us_navy", "hold_and_negotiate"), ("comply", "escort")):
        model.begin_round()
        model.command("irgc", irgc)
        model.command("centcom", centcom)
        model.step()
    assert frame(model)["severity"].tolist() == [VIOLENT, POSTURING]
    assert frame(model)["doctrine_split"].tolist() == [scenario.levers.doctrine_split] * 2


def test_a_model_pickles_after_30_rounds_and_continues_the_same_game(scenario):
    model = stepped(scenario, 4, 30)
    clone = pickle.loads(pickle.dumps(model))  # as a worker process would receive it
    for _ in range(10):
        model.step()
        clone.step()
    assert_same_run(model, clone)


def test_advisor_terms_read_to_two_decimals_and_never_minus_zero():
    from wargame.ui.components.command_panel import two_decimals

    assert [two_decimals(v) for v in (-0.0001, -0.0, 0.0049, 1.234, -0.4)] == [
        "0.00",
        "0.00",
        "0.00",
        "1.23",
        "-0.40",
    ]
