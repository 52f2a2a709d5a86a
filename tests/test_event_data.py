"""Event-log rows (wargame.ui.event_data): the sentences, and the "why" behind each decision.

The "why" numbers must be the engine's own decision breakdown, option by option and term by
term, exactly; a human's order is marked with what the AI would have picked; fog of war keeps
other actors' reasons off a commanding side's page.
"""

from __future__ import annotations

import json

import pytest
from support import default_scenario

from wargame.config.ladder import ACTIONS
from wargame.engine.model import build_model
from wargame.engine.rules.diplomacy import CHANNEL_DECISION, CHANNEL_MOVES
from wargame.ui.event_data import (
    SCRIPTED,
    YOUR_ORDER,
    actors_of,
    event_rows,
    filter_rows,
)

SEED = 1
ROUNDS = 20
ORDER_ROUND = 3


@pytest.fixture(scope="module")
def game():
    """Seed 1 for 20 rounds; in round 3 a human orders CENTCOM to do what its AI did not pick."""
    model = build_model(default_scenario(), SEED)
    while model.round < ROUNDS:
        decisions = model.begin_round()
        if model.round == ORDER_ROUND:
            ai = decisions["centcom"]
            order = next(o for o in ai.options if o != ai.chosen and o != "regime_campaign")
            model.command("centcom", order)
        model.step()
    return model


def test_why_numbers_are_the_decision_history_exactly(game):
    rows = event_rows(game.events, game.decision_history, "observer")
    explained = [row for row in rows if row["why"]]
    assert len(explained) >= 2 * ROUNDS  # IRGC and CENTCOM decide every round
    for row in explained:
        channel_move = row["actor"] == "irgc" and row["action"] in CHANNEL_MOVES
        key = CHANNEL_DECISION if channel_move else row["actor"]
        decision = game.decision_history[row["round"]][key]
        why = row["why"]
        assert [o["option"] for o in why["options"]] == list(decision.options)
        for i, option in enumerate(why["options"]):
            # Exact equality: the panel shows the engine's numbers, not a recomputation.
            assert option["probability"] == decision.probabilities[i]
            assert option["utility"] == decision.utilities[i]
            assert option["terms"] == dict(decision.weighted_terms[i])
        assert why["terms"] == list(decision.weighted_terms[0])
        done = [o["option"] for o in why["options"] if o["done"]]
        assert done == [row["action"]]
        assert [o["option"] for o in why["options"] if o["ai_choice"]] == [decision.chosen]
    json.dumps(rows)  # what the browser receives is plain JSON


def test_the_chosen_options_breakdown_matches_the_event_log(game):
    # The event log records the chosen option's breakdown (rounded to 6 places): the why
    # panel's "done" row is the same numbers.
    for index, row in enumerate(event_rows(game.events, game.decision_history, "observer")):
        if not row["why"]:
            continue
        event = game.events[row["id"]].to_dict()
        done = next(o for o in row["why"]["options"] if o["done"])
        assert {t: round(v, 6) for t, v in done["terms"].items()} == event["breakdown"], index
        assert round(done["probability"], 6) == event["probability"]


def test_rows_are_the_sentences_of_one_round_in_order(game):
    rows = event_rows(game.events, game.decision_history, "observer", round=5)
    expected = [e for e in game.events if e.round == 5]
    assert [r["sentence"] for r in rows] == [e.sentence for e in expected]
    assert {r["date"] for r in rows} == {expected[0].date}
    assert [r["actor_label"] for r in rows][:2] == ["IRGC", "CENTCOM"]
    every = event_rows(game.events, game.decision_history, "observer")
    assert len(every) == len(game.events)


def test_a_human_order_is_marked_with_the_ais_pick(game):
    rows = event_rows(
        game.events, game.decision_history, "centcom", round=ORDER_ROUND, human_orders=None
    )
    ordered = [r for r in rows if r["actor"] == "centcom" and r["has_why"]]
    assert ordered, rows
    ai = game.decision_history[ORDER_ROUND]["centcom"]
    human = game.human_orders[ORDER_ROUND]["centcom"]
    for row in ordered:
        assert row["action"] == human != ai.chosen
        assert row["order"] == YOUR_ORDER and row["ai_pick"] == ai.chosen
        assert row["ai_pick_label"] == ACTIONS[ai.chosen].label  # as the menus name it
        assert row["why"]["order"] == YOUR_ORDER
        flags = {o["option"]: (o["done"], o["ai_choice"]) for o in row["why"]["options"]}
        assert flags[human] == (True, False) and flags[ai.chosen] == (False, True)
    # The AI's own rounds carry no such mark.
    later = event_rows(game.events, game.decision_history, "centcom", round=ORDER_ROUND + 1)
    assert all(r["order"] is None and r["ai_pick"] is None for r in later)
    assert all(r["ai_pick_label"] is None for r in later)


def test_the_mark_also_comes_from_human_orders_alone(game):
    # Rows built from plain dicts without the event's by_human flag still find the order.
    events = [{k: v for k, v in e.to_dict().items() if k != "by_human"} for e in game.events]
    rows = event_rows(
        events, game.decision_history, "observer", ORDER_ROUND, human_orders=game.human_orders
    )
    assert [r["order"] for r in rows if r["actor"] == "centcom"] == [YOUR_ORDER]
    # Without either, an applied action that is not the AI's pick reads as a scripted inject.
    rows = event_rows(events, game.decision_history, "observer", ORDER_ROUND)
    assert [r["order"] for r in rows if r["actor"] == "centcom"] == [SCRIPTED]


def test_a_human_channel_move_is_marked_and_explained_by_the_channel_decision():
    """The IRGC's channel move is its own decision (key irgc_channel): its event gets that
    decision's why, and a human's halt is marked as an order with the AI's pick."""
    model = build_model(default_scenario(), 3)
    model.begin_round()
    model.command(CHANNEL_DECISION, "halt_channel")
    model.step()
    decision = model.decision_history[1][CHANNEL_DECISION]
    assert decision.chosen == "keep_channel"  # the premise: the AI would not have halted
    plain = [{k: v for k, v in e.to_dict().items() if k != "by_human"} for e in model.events]
    for events, orders in ((model.events, None), (plain, model.human_orders)):
        rows = event_rows(events, model.decision_history, "irgc", 1, human_orders=orders)
        [row] = [r for r in rows if r["action"] == "halt_channel"]
        assert row["actor"] == "irgc" and row["order"] == YOUR_ORDER
        assert row["ai_pick"] == "keep_channel"
        assert [o["option"] for o in row["why"]["options"]] == list(decision.options)
        assert [o["probability"] for o in row["why"]["options"]] == list(decision.probabilities)
    # Another side reads that the channel was halted, not the IRGC's reasons.
    [row] = [
        r
        for r in event_rows(model.events, model.decision_history, "centcom", 1)
        if r["action"] == "halt_channel"
    ]
    assert row["why"] is None and row["order"] is None


def test_fog_keeps_other_actors_reasons_off_a_sides_page(game):
    rows = event_rows(game.events, game.decision_history, "irgc")
    mine = [r for r in rows if r["actor"] == "irgc" and r["has_why"]]
    theirs = [r for r in rows if r["actor"] in ("centcom", "bahrain", "kuwait")]
    assert mine and theirs
    assert all(r["why"] for r in mine)
    assert all(not r["has_why"] and r["why"] is None for r in theirs)
    # Nor does the human-order mark or the AI's pick of another actor reach the IRGC.
    at_order = event_rows(game.events, game.decision_history, "irgc", round=ORDER_ROUND)
    centcom = [r for r in at_order if r["actor"] == "centcom"]
    assert centcom and all(r["order"] is None and r["ai_pick"] is None for r in centcom)
    text = json.dumps(rows)
    assert "shipping_disruption" not in text  # a CENTCOM cost term
    # The observer sees every actor's reasons.
    observer = event_rows(game.events, game.decision_history, "observer")
    assert any(r["why"] for r in observer if r["actor"] == "centcom")


def test_filter_by_actor(game):
    rows = event_rows(game.events, game.decision_history, "observer")
    actors = [a["id"] for a in actors_of(rows)]
    assert actors[:2] == ["irgc", "centcom"] and len(actors) > 3
    irgc = filter_rows(rows, ["irgc"])
    assert irgc and all(r["actor"] == "irgc" for r in irgc)
    assert len(irgc) == sum(e.actor == "irgc" for e in game.events)
    both = filter_rows(rows, ["irgc", "centcom"])
    assert len(both) == len(irgc) + sum(e.actor == "centcom" for e in game.events)
    assert filter_rows(rows, []) == rows


def test_why_panels_can_be_limited_to_the_rows_asked_for(game):
    rows = event_rows(game.events, game.decision_history, "observer", why_ids=set())
    assert all(r["why"] is None for r in rows)
    assert any(r["has_why"] for r in rows)
    first = next(r["id"] for r in rows if r["has_why"])
    rows = event_rows(game.events, game.decision_history, "observer", why_ids={first})
    assert [r["id"] for r in rows if r["why"]] == [first]
