"""The classroom's SQLite store (issue 10): codes that are random and name one role of one
room, rounds written whole or not at all and only in order, a reopened file that holds every
completed round (a server restart), and rooms that share nothing."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from wargame.experiments.room_store import (
    INSTRUCTOR,
    RoomStore,
    RoomStoreError,
    RoundRecord,
    Seat,
)

ROLES = ("centcom", "irgc", "hosts")
SCENARIO = {"name": "test", "clock": {"rounds": 5}}


def new_room(store: RoomStore, roles=ROLES, seed: int = 3) -> tuple[str, dict[str, str]]:
    return store.create_room("Class 4B", "gulf_2026.yaml", SCENARIO, "f1ng3r", seed, roles)


def round_record(number: int, **changes) -> RoundRecord:
    fields = {
        "number": number,
        "orders": {"irgc": "posture", "irgc_channel": "keep_channel"},
        "rationales": {"irgc": f"round {number}: signal, <script>alert(1)</script>"},
        "injects": [{"kind": "shipping_attacks", "attacks": 1.0, "note": "a tanker struck"}],
        "submitted": ["irgc"],
        "ai_played": ["centcom", "hosts"],
        "resolved": 1_000.0 + number,
    }
    return RoundRecord(**(fields | changes))


@pytest.fixture
def store(tmp_path):
    opened = RoomStore(tmp_path / "data" / "classroom.sqlite3")
    yield opened
    opened.close()


def test_each_role_gets_its_own_long_random_code_that_names_its_seat(store):
    room_id, codes = new_room(store)
    assert set(codes) == {*ROLES, INSTRUCTOR}
    assert len(set(codes.values())) == len(codes)
    for role, code in codes.items():
        assert len(code) >= 22 and room_id not in code
        assert store.seat(code) == Seat(room_id, role)
    assert store.codes(room_id) == codes
    # A guessed, altered or empty code lets nobody in.
    some = codes["irgc"]
    for wrong in ("", some[:-1], some + "x", some.upper() if some.upper() != some else "x", None):
        assert store.seat(wrong) is None
    # Another room's codes share nothing with these.
    _, others = new_room(store)
    assert not set(others.values()) & set(codes.values())


def test_a_room_keeps_what_it_plays(store):
    room_id, _ = new_room(store, roles=("centcom", "bahrain", "kuwait"), seed=42)
    room = store.room(room_id)
    assert (room.name, room.scenario_path, room.scenario_data) == (
        "Class 4B",
        "gulf_2026.yaml",
        SCENARIO,
    )
    assert (room.fingerprint, room.seed, room.roles, room.completed) == (
        "f1ng3r",
        42,
        ("centcom", "bahrain", "kuwait"),
        0,
    )
    with pytest.raises(RoomStoreError, match="no room 'nope'"):
        store.room("nope")


@pytest.mark.parametrize(
    ("roles", "problem"),
    [((), "at least one team role"), (("irgc", "irgc"), "distinct"), (("instructor",), "distinct")],
)
def test_bad_roles_are_refused(store, roles, problem):
    with pytest.raises(RoomStoreError, match=problem):
        new_room(store, roles=roles)
    assert store.room_ids() == []


def test_rounds_are_recorded_in_order_and_survive_a_restart(tmp_path):
    path = tmp_path / "classroom.sqlite3"
    store = RoomStore(path)
    room_id, codes = new_room(store)
    store.record_round(room_id, round_record(1))
    store.record_round(room_id, round_record(2, rationales={}))
    for number in (2, 4, 0):  # a second write of a round, a gap, a round before the first
        with pytest.raises(RoomStoreError, match="the next is 3"):
            store.record_round(room_id, round_record(number))
    store.close()
    # The server restarts: a new store on the same file has both rounds and every code.
    again = RoomStore(path)
    room = again.room(room_id)
    assert room.rounds == (round_record(1), round_record(2, rationales={}))
    assert room.rounds[0].rationales["irgc"].endswith("<script>alert(1)</script>")  # as typed
    assert again.seat(codes["hosts"]) == Seat(room_id, "hosts")
    again.record_round(room_id, round_record(3))
    assert again.room(room_id).completed == 3
    again.close()


def test_a_round_that_cannot_be_stored_writes_nothing(store):
    room_id, _ = new_room(store)
    with pytest.raises(TypeError):
        store.record_round(room_id, round_record(1, injects=[{"when": object()}]))
    assert store.room(room_id).completed == 0
    with pytest.raises(RoomStoreError, match="no room"):
        store.record_round("nope", round_record(1))
    store.record_round(room_id, round_record(1))  # and the room goes on
    assert store.room(room_id).completed == 1


def test_two_rooms_share_nothing_even_written_at_once(store):
    rooms = [new_room(store)[0] for _ in range(2)]

    def play(room_id: str) -> None:
        for number in range(1, 21):
            store.record_round(room_id, round_record(number, orders={"centcom": room_id}))

    threads = [threading.Thread(target=play, args=(r,)) for r in rooms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for room_id in rooms:
        room = store.room(room_id)
        assert [r.number for r in room.rounds] == list(range(1, 21))
        assert {r.orders["centcom"] for r in room.rounds} == {room_id}
    assert store.room_ids() == rooms


def test_an_unreadable_file_gets_a_message_naming_it(tmp_path):
    damaged = tmp_path / "classroom.sqlite3"
    damaged.write_bytes(b"not a database" * 100)
    with pytest.raises(RoomStoreError, match="classroom.sqlite3: cannot open"):
        RoomStore(damaged)
    newer = tmp_path / "newer.sqlite3"
    db = sqlite3.connect(newer)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('version', '99')")
    db.commit()
    db.close()
    with pytest.raises(RoomStoreError, match="another version of the classroom"):
        RoomStore(newer)


def test_a_room_whose_codes_cannot_be_stored_is_not_created(store, monkeypatch):
    """The room and its codes are one transaction: when the codes fail (here two roles drawn
    the same code, which 128 random bits never do) the room is rolled back with them."""
    from wargame.experiments import room_store

    monkeypatch.setattr(room_store.secrets, "token_urlsafe", lambda n: "same-code")
    with pytest.raises(sqlite3.IntegrityError):
        new_room(store)
    assert store.room_ids() == []
