"""A game as data: a played game saves, loads and replays to the same metrics and events; a
branch shares its parent's rounds up to the branch point and no further; every kind of bad save
file is refused with one clear message naming the file."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from wargame.config.schema import MAX_ROUNDS
from wargame.engine.model import build_model
from wargame.engine.rules.diplomacy import CHANNEL_DECISION
from wargame.experiments import game
from wargame.experiments.game import (
    MAX_SAVE_BYTES,
    GameFileError,
    Order,
    ReplayError,
    branch,
    fingerprint,
    game_document,
    load_game,
    new_game,
    orders_of,
    parse_game,
    replay,
    save_game,
    scenario_note,
    with_order,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "configs" / "scenarios" / "gulf_2026.yaml"
SEED = 11
ROUNDS = 40
# CENTCOM's orders in a 40-round game: a strike early, then restraint, then an escort.
CENTCOM_ORDERS = (
    {3: "limited_strikes", 4: "limited_strikes", 9: "expanded_strikes"}
    | {r: "hold_and_negotiate" for r in range(15, 25)}
    | {33: "escort"}
)


def frame(model) -> pd.DataFrame:
    return model.datacollector.get_model_vars_dataframe().reset_index(drop=True)


def events(model) -> list[dict]:
    return [event.to_dict() for event in model.events]


def play(scenario, side: str, rounds: int, orders: dict[str, dict[int, str]]):
    """A game played as the browser plays it: each round begun, the orders given (by order key,
    then round), resolved; and its record."""
    model = build_model(scenario, SEED)
    for round_ in range(1, rounds + 1):
        model.begin_round()
        for key, by_round in orders.items():
            if round_ in by_round:
                model.command(key, by_round[round_])
        model.step()
    record = new_game(scenario, SEED, side, str(DEFAULT))
    return model, dataclasses.replace(record, orders=orders_of(model))


@pytest.fixture(scope="module")
def played(scenario):
    """CENTCOM commanded for 40 rounds."""
    return play(scenario, "centcom", ROUNDS, {"centcom": CENTCOM_ORDERS})


def test_a_saved_game_loads_and_replays_to_the_same_metrics_and_events(played, scenario, tmp_path):
    model, record = played
    assert len(record.orders) == len(CENTCOM_ORDERS)  # every order was applied and recorded
    path = save_game(record, ROUNDS, tmp_path / "game.json")
    loaded, saved_round = load_game(path)
    assert saved_round == ROUNDS and loaded == record
    replayed = replay(loaded, saved_round)
    pd.testing.assert_frame_equal(frame(replayed), frame(model))
    assert events(replayed) == events(model)
    # The orders matter: the same seed played by the AI alone is another game.
    ai_only = replay(dataclasses.replace(record, orders=()), ROUNDS)
    assert not frame(ai_only).equals(frame(model))


# The IRGC's orders in a 10-round game: its channel halted in round 2, kept halted, reopened in
# round 6 (every round ordered, so the AI never moves it in between), and a few actions.
IRGC_CHANNEL_ORDERS = (
    {1: "keep_channel", 2: "halt_channel"}
    | {r: "keep_channel" for r in (3, 4, 5)}
    | {6: "reopen_channel"}
)
IRGC_ACTION_ORDERS = {2: "posture", 4: "enforce_mandates"}
IRGC_ROUNDS = 8


@pytest.fixture(scope="module")
def played_irgc(scenario):
    """The IRGC commanded: its action and its channel move."""
    orders = {"irgc": IRGC_ACTION_ORDERS, CHANNEL_DECISION: IRGC_CHANNEL_ORDERS}
    return play(scenario, "irgc", IRGC_ROUNDS, orders)


def test_the_irgcs_channel_orders_save_load_and_replay_to_the_same_game(played_irgc, tmp_path):
    model, record = played_irgc
    assert {o.round: o.action for o in record.orders if o.actor == CHANNEL_DECISION} == (
        IRGC_CHANNEL_ORDERS
    )
    channel = model.datacollector.model_vars["channel"]
    assert channel[:6] == ["OPEN"] + ["HALTED"] * 4 + ["OPEN"]  # the orders moved it
    path = save_game(record, IRGC_ROUNDS, tmp_path / "irgc.json")
    saved = json.loads(path.read_text())["orders"]
    assert {"round": 2, "actor": CHANNEL_DECISION, "action": "halt_channel"} in saved
    loaded, saved_round = load_game(path)
    assert loaded == record and saved_round == IRGC_ROUNDS
    replayed = replay(loaded, IRGC_ROUNDS)
    pd.testing.assert_frame_equal(frame(replayed), frame(model))
    assert events(replayed) == events(model)
    # Without its channel orders the same game keeps the channel open: they are what halted it.
    actions_only = tuple(o for o in record.orders if o.actor != CHANNEL_DECISION)
    ai_channel = replay(dataclasses.replace(record, orders=actions_only), IRGC_ROUNDS)
    assert "HALTED" not in ai_channel.datacollector.model_vars["channel"][:6]
    # A branch keeps the channel orders up to its round, and replays them.
    pd.testing.assert_frame_equal(
        frame(replay(branch(loaded, 3), 3)), frame(model).iloc[:3].reset_index(drop=True)
    )
    assert [o.round for o in branch(loaded, 3).orders if o.actor == CHANNEL_DECISION] == [1, 2, 3]


def test_a_channel_move_the_round_does_not_offer_is_refused_at_replay_by_name(scenario):
    # Reopening is on the channel's menu, but not in round 1: the channel is open then.
    record = with_order(
        new_game(scenario, SEED, "irgc"), Order(1, CHANNEL_DECISION, "reopen_channel")
    )
    with pytest.raises(ReplayError) as caught:
        replay(record, 2)
    assert str(caught.value) == (
        "round 1: the order irgc_channel -> reopen_channel was refused: irgc_channel has no "
        "action 'reopen_channel' in round 1; its options are keep_channel, halt_channel"
    )


def test_channel_orders_are_checked_like_an_actors(scenario):
    record = new_game(scenario, SEED, "irgc")
    with pytest.raises(
        ValueError,
        match="irgc_channel has no action 'escort'; its menu is "
        "keep_channel, halt_channel, reopen_channel",
    ):
        with_order(record, Order(1, CHANNEL_DECISION, "escort"))
    with pytest.raises(ValueError, match="a channel move is ordered as irgc_channel"):
        with_order(record, Order(1, "irgc", "halt_channel"))
    both = with_order(
        with_order(record, Order(1, "irgc", "posture")), Order(1, CHANNEL_DECISION, "halt_channel")
    )
    again = with_order(both, Order(1, CHANNEL_DECISION, "keep_channel"))
    assert sorted((o.actor, o.action) for o in again.orders) == [
        ("irgc", "posture"),
        (CHANNEL_DECISION, "keep_channel"),
    ]


def test_text_and_bytes_load_like_the_file(played, tmp_path):
    _, record = played
    path = save_game(record, ROUNDS, tmp_path / "game.json")
    text = path.read_text()
    assert parse_game(text, "upload.json") == load_game(path)
    assert parse_game(text.encode(), "upload.json") == load_game(path)
    assert json.loads(text)["version"] == game.VERSION


def test_a_branch_shares_its_parents_rounds_up_to_k_and_no_further(played):
    _, parent = played
    k = 12
    child = with_order(branch(parent, k), Order(k + 1, "centcom", "regime_campaign"))
    assert all(o.round <= k for o in branch(parent, k).orders)
    one, two = frame(replay(parent, 30)), frame(replay(child, 30))
    pd.testing.assert_frame_equal(one.iloc[:k], two.iloc[:k])
    assert (one["centcom_action"][k], two["centcom_action"][k]) != ("regime_campaign",) * 2
    assert two["centcom_action"][k] == "regime_campaign"
    assert not one.iloc[k:].equals(two.iloc[k:])
    # The branch itself, replayed to k, is its parent at k.
    pd.testing.assert_frame_equal(frame(replay(branch(parent, k), k)), one.iloc[:k])


def test_with_order_replaces_an_order_for_the_same_actor_and_round(played):
    _, record = played
    changed = with_order(record, Order(3, "centcom", "escort"))
    assert [o for o in changed.orders if o.round == 3] == [Order(3, "centcom", "escort")]
    with pytest.raises(ValueError, match="no action 'nuke'"):
        with_order(record, Order(3, "centcom", "nuke"))
    with pytest.raises(ValueError, match="unknown actor 'nato'"):
        with_order(record, Order(3, "nato", "escort"))


def test_saving_refuses_a_game_that_would_not_load(played, tmp_path):
    _, record = played
    with pytest.raises(ValueError, match="branch it there first"):
        save_game(record, 10, tmp_path / "early.json")
    assert not (tmp_path / "early.json").exists()


def test_saving_is_atomic_and_leaves_no_temporary_file(played, tmp_path, monkeypatch):
    _, record = played
    path = tmp_path / "game.json"
    save_game(branch(record, 5), 5, path)
    before = path.read_bytes()

    def fail(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(game.os, "fsync", fail)
    with pytest.raises(GameFileError, match="No space left on device"):
        save_game(record, ROUNDS, path)
    assert path.read_bytes() == before  # the old save is whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["game.json"]
    with pytest.raises(GameFileError, match="cannot write here"):
        save_game(record, ROUNDS, tmp_path / "missing" / "game.json")


def test_a_changed_scenario_file_gives_a_note_and_the_saved_scenario_is_used(played, tmp_path):
    _, record = played
    scenario_file = tmp_path / "mine.yaml"
    shutil.copy(DEFAULT, scenario_file)
    mine = dataclasses.replace(record, scenario_path=str(scenario_file))
    path = save_game(mine, ROUNDS, tmp_path / "game.json")
    assert scenario_note(load_game(path)[0]) is None
    text = scenario_file.read_text()
    scenario_file.write_text(text.replace("doctrine_split: 0.6", "doctrine_split: 0.9", 1))
    assert scenario_file.read_text() != text
    loaded, _ = load_game(path)
    note = scenario_note(loaded)
    assert note is not None and "has changed since this game was saved" in note
    assert str(scenario_file) in note
    assert loaded.scenario_data == record.scenario_data


# --- bad files ------------------------------------------------------------------------------------


def sealed(document: dict) -> dict:
    """The document with its checksum made to match (as a careful forger, or another program,
    would), so the check after the checksum is what must refuse it."""
    document = {k: v for k, v in document.items() if k != "checksum"}
    document["checksum"] = fingerprint(document)
    return document


def edit(change, reseal=True):
    def make(document: dict) -> str:
        document = copy.deepcopy(document)
        change(document)
        return json.dumps(sealed(document) if reseal else document)

    return make


def setter(*path_and_value):
    *path, value = path_and_value

    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def deleter(key):
    return lambda document: document.pop(key)


def with_scenario_data(change):
    def apply(document):
        change(document["scenario"]["data"])
        document["scenario"]["fingerprint"] = fingerprint(document["scenario"]["data"])

    return apply


def add_order(round_, actor, action):
    return lambda document: document["orders"].append(
        {"round": round_, "actor": actor, "action": action}
    )


def add_orders(round_, actor, *actions):
    def change(document):
        for action in actions:
            add_order(round_, actor, action)(document)

    return change


def levers(name, value):
    return lambda data: data["levers"].__setitem__(name, value)


BAD_FILES = {
    "not JSON": (lambda d: "this is not a save file\n", "not valid JSON"),
    "empty": (lambda d: "", "the file is empty"),
    "truncated": (lambda d: json.dumps(d, indent=1)[:5000], "the file is truncated"),
    "NaN": (lambda d: json.dumps(d).replace('"seed": 11', '"seed": NaN'), "NaN"),
    "duplicated key": (lambda d: json.dumps(d)[:-1] + ', "seed": 12}', "appears twice"),
    "a list, not an object": (lambda d: "[1, 2, 3]", "not a saved game of this program"),
    "another program's file": (edit(setter("format", "chess-pgn")), "'chess-pgn'"),
    "no format": (edit(deleter("format")), "not a saved game of this program"),
    "newer version": (
        edit(setter("version", 2)),
        "version 2 of the save format; this program reads version 1",
    ),
    "older version": (edit(setter("version", 0)), "version 0 of"),
    "version as text": (edit(setter("version", "1")), "version '1' of"),
    "edited seed": (edit(setter("seed", 12), reseal=False), "edited or damaged"),
    "edited order": (
        edit(setter("orders", []), reseal=False),
        "checksum does not match",
    ),
    "no checksum": (edit(deleter("checksum"), reseal=False), "checksum: required field is missing"),
    "missing field": (edit(deleter("side")), "side: required field is missing"),
    "extra field": (edit(setter("cheat", True)), "cheat: unknown field"),
    "scenario field missing": (
        edit(lambda d: d["scenario"].pop("path")),
        "scenario.path: required",
    ),
    "scenario fingerprint": (
        edit(lambda d: d["scenario"]["data"]["levers"].__setitem__("doctrine_split", 0.9)),
        "scenario.fingerprint: does not match",
    ),
    "invalid scenario": (
        edit(with_scenario_data(levers("doctrine_split", 5.0))),
        "levers.doctrine_split",
    ),
    "empty scenario": (
        edit(with_scenario_data(lambda data: data.clear())),
        "required field is missing",
    ),
    "unknown actor": (edit(add_order(2, "nato", "escort")), "unknown actor 'nato'"),
    "channel move not a channel move": (
        edit(add_order(2, "irgc_channel", "escort")),
        "irgc_channel has no action 'escort'",
    ),
    "channel move as the IRGC's action": (
        edit(add_order(2, "irgc", "halt_channel")),
        "a channel move is ordered as irgc_channel",
    ),
    "two channel orders in a round": (
        edit(add_orders(2, "irgc_channel", "halt_channel", "keep_channel")),
        "a second order for irgc_channel in round 2",
    ),
    "action not on the menu": (edit(add_order(2, "centcom", "nuke")), "no action 'nuke'"),
    "host given an IRGC action": (
        edit(add_order(2, "bahrain", "salvo_hosts")),
        "bahrain has no action",
    ),
    "order after the saved round": (
        edit(add_order(ROUNDS + 1, "centcom", "escort")),
        f"round {ROUNDS + 1} is outside the game's rounds 1..{ROUNDS}",
    ),
    "order in round 0": (edit(add_order(0, "centcom", "escort")), "round 0 is outside"),
    "duplicated order": (
        edit(add_order(3, "centcom", "escort")),
        "a second order for centcom in round 3",
    ),
    "order round as text": (
        edit(add_order("3", "irgc", "posture")),
        "round: expected a whole number",
    ),
    "order missing its action": (
        edit(lambda d: d["orders"].append({"round": 2, "actor": "irgc"})),
        "action: required field is missing",
    ),
    "negative seed": (edit(setter("seed", -1)), "seed: the seed -1 is outside"),
    "seed too big": (edit(setter("seed", 2**63)), "is outside 0..9223372036854775807"),
    "seed as text": (edit(setter("seed", "11")), "seed must be a whole number"),
    "saved round negative": (edit(setter("saved_round", -1)), "saved_round must be a whole number"),
    "saved round too far": (
        edit(setter("saved_round", MAX_ROUNDS + 1)),
        f"from 0 to {MAX_ROUNDS:,}",
    ),
    "unknown side": (edit(setter("side", "nato")), "side: 'nato' is not a side of this game"),
}


@pytest.fixture(scope="module")
def good_document(played):
    _, record = played
    return game_document(record, ROUNDS)


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_save_file_is_refused_with_one_clear_message(case, good_document, tmp_path):
    make, expected = BAD_FILES[case]
    path = tmp_path / "bad.json"
    path.write_text(make(good_document))
    with pytest.raises(GameFileError) as caught:
        load_game(path)
    message = str(caught.value)
    assert expected in message
    assert message.startswith(f"{path}: ")
    assert "Traceback" not in message and len(message) < 3_000
    # The same refusal for the same text uploaded from a browser, naming the upload.
    with pytest.raises(GameFileError) as caught:
        parse_game(path.read_bytes(), "upload.json")
    assert str(caught.value).startswith("upload.json: ") and expected in str(caught.value)


def test_a_save_cut_anywhere_is_called_truncated(good_document):
    """Wherever a copy stops (inside a string, after "1.", after a nested "}"), the message
    says the file was cut short; the decoder's own position varies with the cut."""
    text = json.dumps(good_document, indent=1)
    ends = range(len(text) - 300, len(text) - 1)  # every cut near the end: the decoder's worst
    spread = range(1, len(text), max(1, len(text) // 400))
    for cut in sorted({*ends, *spread}):
        with pytest.raises(GameFileError) as caught:
            parse_game(text[:cut].encode(), "cut.json")
        assert "the file is truncated" in str(caught.value), (cut, text[cut - 20 : cut])


def test_the_good_file_the_table_edits_loads(good_document, tmp_path):
    """Each bad case above is one edit of this file; unedited (or resealed) it loads."""
    path = tmp_path / "good.json"
    path.write_text(edit(lambda d: None)(good_document))
    assert load_game(path)[1] == ROUNDS


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"format": "caf\u00e9"}'.encode("latin-1"))
    with pytest.raises(GameFileError, match="not UTF-8"):
        load_game(path)


def test_a_file_too_large_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as file:
        file.truncate(MAX_SAVE_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(GameFileError, match="read only up to 8 MiB"):
        load_game(path)
    with pytest.raises(GameFileError, match="upload.json: the file is 8.0 MiB"):
        parse_game(b" " * (MAX_SAVE_BYTES + 1), "upload.json")


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("folder", "is a folder"), ("fifo", "named pipe"), ("missing", "file not found")],
)
def test_only_a_regular_file_is_read(kind, expected, tmp_path):
    path = tmp_path / "thing.json"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)  # opening it would block: it must be refused before
    with pytest.raises(GameFileError, match=expected):
        load_game(path)
