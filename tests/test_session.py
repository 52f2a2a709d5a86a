"""The browser's game session, without a browser: the same seed plays the same game as the
engine, human orders are recorded and replay, bad values leave the game as it was, and a
branch shares its parent's rounds up to the branch point."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from wargame.config.loader import load_scenario
from wargame.engine.model import build_model
from wargame.engine.rules.diplomacy import CHANNEL_DECISION, Channel
from wargame.experiments.game import GameFileError, Order, game_text
from wargame.ui.chart_data import columns
from wargame.ui.session import DEFAULT_SCENARIO, GameInputError, GameSession


def engine_rows(seed: int, rounds: int) -> list[dict]:
    model = build_model(load_scenario(DEFAULT_SCENARIO), seed)
    for _ in range(rounds):
        model.step()
    frame = model.datacollector.model_vars
    return [{k: v[i] for k, v in frame.items()} for i in range(rounds)]


def test_a_session_plays_the_engines_game_for_its_seed():
    session = GameSession(DEFAULT_SCENARIO, seed=5)
    session.run_to(12)
    assert session.round == 12
    assert session.rows() == engine_rows(5, 12)
    assert len(session.snapshots) == 13  # round 0 and every round played
    session.reset()
    assert session.round == 0 and session.rows() == []
    session.run_to(12)
    assert session.rows() == engine_rows(5, 12)


def test_the_advisor_begins_a_round_without_counting_it_as_played():
    session = GameSession(DEFAULT_SCENARIO, seed=2)
    session.set_side("centcom")
    before = session.start_status()
    advice = session.next_decisions()
    assert session.round == 0  # begun, not played
    assert session.start_status() == before and before["round"] == 0
    assert "centcom" in advice and session.next_decisions() is advice
    session.step(advice["centcom"].chosen)
    assert session.round == 1


def test_switching_sides_after_the_advisor_began_a_round_keeps_the_round():
    session = GameSession(DEFAULT_SCENARIO, seed=2)
    session.set_side("centcom")
    centcom = session.next_decisions()["centcom"]
    for side in ("irgc", "observer", "bahrain"):  # no round played in between
        session.set_side(side)
        if side != "observer":
            assert session.next_decisions()[side].options  # its own menu, no error
    session.set_side("irgc")
    session.step(session.next_decisions()["irgc"].options[0])
    assert session.round == 1
    assert session.model.decision_history[1]["centcom"] is centcom  # the same round, not redrawn


def test_an_order_changes_the_game_and_is_recorded_for_replay():
    session = GameSession(DEFAULT_SCENARIO, seed=3)
    session.set_side("centcom")
    ai_pick = session.next_decisions()["centcom"].chosen
    order = "expanded_strikes" if ai_pick != "expanded_strikes" else "hold_and_negotiate"
    session.step(order)
    session.run_to(8)
    assert [(o.round, o.actor, o.action) for o in session.record().orders] == [
        (1, "centcom", order)
    ]
    assert session.rows()[0]["centcom_action"] == order
    assert session.rows() != engine_rows(3, 8)

    loaded = GameSession(DEFAULT_SCENARIO, seed=0)
    loaded.load_text(game_text(session.record(), session.round), "saved.json")
    assert loaded.round == 8 and loaded.seed == 3 and loaded.side == "centcom"
    assert loaded.rows() == session.rows()


def test_an_order_off_the_menu_is_refused_and_nothing_is_played():
    session = GameSession(DEFAULT_SCENARIO, seed=1)
    session.set_side("irgc")
    with pytest.raises(ValueError, match="menu|not one of|options"):
        session.step("expanded_strikes")  # CENTCOM's action, not the IRGC's
    assert session.round == 0 and session.record().orders == ()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"levers.doctrine_split": 7.0}, "doctrine_split"),
        ({"levers.doctrine_split": float("nan")}, "doctrine_split"),
        ({"actors.irgc.rationality": -1.0}, "rationality"),
        ({"levers.mou_linkage": "sometimes"}, "mou_linkage"),
        ({"levers.no_such_lever": 1.0}, "no_such_lever"),
    ],
)
def test_bad_parameters_leave_the_game_as_it_was(changes, expected):
    session = GameSession(DEFAULT_SCENARIO, seed=4)
    session.run_to(5)
    model = session.model
    with pytest.raises(GameInputError, match=expected):
        session.set_parameters(changes)
    assert session.model is model and session.round == 5


def test_good_parameters_start_a_new_game_with_the_same_seed():
    session = GameSession(DEFAULT_SCENARIO, seed=4)
    session.run_to(5)
    session.set_parameters({"levers.mou_linkage": "insulated", "levers.doctrine_split": 0.2})
    assert session.round == 0 and session.seed == 4
    assert session.scenario.levers.doctrine_split == 0.2


def test_a_branch_shares_its_parents_rounds_up_to_the_branch_point():
    session = GameSession(DEFAULT_SCENARIO, seed=9)
    session.set_side("centcom")
    for _ in range(10):
        session.step("attribute_and_warn")
    parent_rows = session.rows()
    session.branch(6)
    assert session.round == 6
    assert session.rows() == parent_rows[:6]
    assert session.parent is not None and session.parent.columns == columns(parent_rows)
    assert [o.round for o in session.record().orders] == [1, 2, 3, 4, 5, 6]
    session.step("expanded_strikes")
    assert session.rows()[:6] == parent_rows[:6]
    assert session.rows()[6]["centcom_action"] == "expanded_strikes"
    with pytest.raises(GameInputError, match="between 0 and 7"):
        session.branch(8)


def test_a_bad_save_leaves_the_game_as_it_was():
    session = GameSession(DEFAULT_SCENARIO, seed=7)
    session.run_to(4)
    text = game_text(session.record(), session.round)
    tampered = json.loads(text)
    tampered["seed"] = 8
    for bad in (text[: len(text) // 2], json.dumps(tampered), "not json"):
        with pytest.raises(GameFileError):
            session.load_text(bad, "bad.json")
        assert session.round == 4 and session.seed == 7


def test_a_browser_game_stops_at_its_round_limit(monkeypatch):
    monkeypatch.setattr("wargame.ui.session.MAX_BROWSER_ROUNDS", 3)
    session = GameSession(DEFAULT_SCENARIO, seed=1)
    session.run_to(3)
    with pytest.raises(GameInputError, match="stops at round 3"):
        session.step()
    assert session.round == 3
    longer = GameSession(DEFAULT_SCENARIO, seed=1)
    for _ in range(5):  # past the limit behind the session's back, to save at round 5
        longer.model.step()
    with pytest.raises(GameFileError, match="at most 3 rounds"):
        session.load_text(game_text(longer.record(), 5), "long.json")
    assert session.round == 3


def test_unknown_side_is_refused():
    session = GameSession(DEFAULT_SCENARIO)
    with pytest.raises(GameInputError, match="no side"):
        session.set_side("mossad")
    assert session.side == "observer"


def test_a_save_whose_order_the_engine_refuses_is_a_clear_message(monkeypatch):
    import wargame.ui.session as session_module

    session = GameSession(DEFAULT_SCENARIO, seed=7)
    session.run_to(2)
    source = GameSession(DEFAULT_SCENARIO, seed=7)
    source.set_side("irgc")
    source.step(source.next_decisions()["irgc"].chosen)
    text = game_text(source.record(), 1)

    def refused(model, record, upto):
        raise session_module.ReplayError("round 1: the order irgc -> x was refused: no")

    monkeypatch.setattr(session_module, "advance", refused)
    with pytest.raises(GameFileError, match="round 1: the order irgc -> x was refused"):
        session.load_text(text, "odd.json")
    assert session.round == 2 and session.seed == 7


def test_a_loaded_save_names_only_library_files():
    session = GameSession(DEFAULT_SCENARIO, seed=1)
    record = session.record()
    for path, kept in ((str(DEFAULT_SCENARIO), True), ("/etc/passwd.yaml", False), (None, False)):
        session.load_text(game_text(replace(record, scenario_path=path), 0), "x.json")
        assert (session.scenario_path is not None) == kept, path


def test_a_save_with_a_byte_order_mark_loads_as_bytes_and_as_text():
    session = GameSession(DEFAULT_SCENARIO, seed=6)
    session.run_to(3)
    text = game_text(session.record(), 3)
    for content in ("\ufeff" + text, b"\xef\xbb\xbf" + text.encode()):
        other = GameSession(DEFAULT_SCENARIO, seed=0)
        other.load_text(content, "notepad.json")
        assert other.rows() == session.rows()


def test_applied_parameters_leave_the_library_file_behind():
    session = GameSession(DEFAULT_SCENARIO, seed=6)
    assert session.record().scenario_path == str(DEFAULT_SCENARIO)
    session.set_parameters({"levers.doctrine_split": 0.3})
    assert session.record().scenario_path is None


# --- the IRGC's channel order ---------------------------------------------------------------------


def test_the_irgcs_channel_order_halts_the_channel_that_round_and_is_saved():
    session = GameSession(DEFAULT_SCENARIO, seed=3)
    session.set_side("irgc")
    advice = session.next_decisions()
    assert advice[CHANNEL_DECISION].chosen == "keep_channel"  # the premise: the AI keeps it
    assert advice[CHANNEL_DECISION].options == ("keep_channel", "halt_channel")
    session.step(channel="halt_channel")  # its action left to the AI
    assert session.round == 1
    assert session.model.world.diplomacy.channel == Channel.HALTED
    assert session.rows()[0]["channel"] == "HALTED"
    assert session.rows()[0]["irgc_action"] == advice["irgc"].chosen
    assert session.record().orders == (Order(1, CHANNEL_DECISION, "halt_channel"),)
    # The next round offers reopening instead; both orders at once are both applied.
    assert session.next_decisions()[CHANNEL_DECISION].options == ("keep_channel", "reopen_channel")
    session.step("posture", channel="reopen_channel")
    assert session.rows()[1]["channel"] == "OPEN" and session.rows()[1]["irgc_action"] == "posture"
    loaded = GameSession(DEFAULT_SCENARIO, seed=0)
    loaded.load_text(game_text(session.record(), session.round), "irgc.json")
    assert loaded.rows() == session.rows() and loaded.side == "irgc"


def test_a_channel_order_the_round_does_not_offer_plays_nothing_and_leaves_no_order():
    session = GameSession(DEFAULT_SCENARIO, seed=3)
    session.set_side("irgc")
    ai_action = session.next_decisions()["irgc"].chosen
    order = "posture" if ai_action != "posture" else "comply"
    with pytest.raises(
        GameInputError, match="irgc has no channel move 'reopen_channel' in round 1"
    ):
        session.step(order, channel="reopen_channel")  # the channel is open: nothing to reopen
    assert session.round == 0
    session.step()  # the AI plays: the refused round left no order of yours standing
    assert session.record().orders == ()
    assert session.rows()[0]["irgc_action"] == ai_action


def test_only_the_irgc_gives_a_channel_order():
    session = GameSession(DEFAULT_SCENARIO, seed=3)
    for side in ("observer", "centcom"):
        session.set_side(side)
        with pytest.raises(GameInputError, match="channel: only the IRGC decides"):
            session.step(channel="halt_channel")
        assert session.round == 0
