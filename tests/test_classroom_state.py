"""The classroom's shared state in the app (wargame/ui/classroom_state.py): one Classroom per
server, whose rooms keep their map, and an after-action review made once per room and round
count, however many pages ask for it at once."""

from __future__ import annotations

import threading

import pytest
from support import default_scenario

from wargame.experiments.room import exercise_scenario
from wargame.ui import classroom_state


@pytest.fixture
def shared(tmp_path, monkeypatch):
    monkeypatch.setenv(classroom_state.CLASSROOM_DB_ENV, str(tmp_path / "rooms.sqlite3"))
    monkeypatch.setattr(classroom_state, "_shared", [])
    monkeypatch.setattr(classroom_state, "_reviews", {})
    made = []
    real = classroom_state.review

    def counted(record, *args, **kwargs):
        made.append(len(record.rounds))
        return real(record, ai_games=4)

    monkeypatch.setattr(classroom_state, "review", counted)
    yield classroom_state.classroom(), made
    classroom_state.classroom().store.close()


def test_the_review_is_made_once_for_every_page_and_only_of_rounds_played(shared):
    classroom, made = shared
    room_id, codes = classroom.create("R", exercise_scenario(default_scenario(), 3), None, 5)
    room, seat = classroom.join(codes["instructor"])
    assert room.picture["round"] == 0  # the map of the state before round 1
    room.force(seat)
    room.force(seat)
    assert room.picture["round"] == 2
    pages = []
    askers = [
        threading.Thread(target=lambda: pages.append(classroom_state.review_page(room_id, 2)))
        for _ in range(6)
    ]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join()
    assert made == [2] and len(pages) == 6 and all(page is pages[0] for page in pages)
    assert "2 rounds played" in pages[0]
    # The first round alone is another review; a round not yet played is refused.
    assert "1 round played" in classroom_state.review_page(room_id, 1) and made == [2, 1]
    with pytest.raises(ValueError, match="has played 2 rounds"):
        classroom_state.review_page(room_id, 3)


def test_a_teams_map_is_made_once_a_round_and_through_its_fog(shared):
    import json

    from wargame.ui import map_data

    classroom, _ = shared
    room_id, codes = classroom.create("M", exercise_scenario(default_scenario(), 3), None, 5)
    room, seat = classroom.join(codes["instructor"])
    room.force(seat)
    first = classroom_state.map_text(room_id, 1, room.picture, ("centcom",))
    assert classroom_state.map_text(room_id, 1, room.picture, ("centcom",)) is first
    assert json.loads(first) == json.loads(json.dumps(map_data.for_side(room.picture, "centcom")))
    assert '"capacity"' not in first  # CENTCOM does not see Iran's sites
    assert '"capacity"' in classroom_state.map_text(room_id, 1, room.picture, ("irgc",))
    room.force(seat)
    second = classroom_state.map_text(room_id, 2, room.picture, ("centcom",))
    assert json.loads(second)["round"] == 2 and json.loads(first)["round"] == 1


def test_the_console_reads_a_played_round_as_sentences_with_host_states_by_name():
    from wargame.experiments.room_store import RoundRecord
    from wargame.ui.pages.classroom import played_line, role_label

    hosts = {"kuwait": "Kuwait", "saudi_arabia": "Saudi Arabia"}
    played = RoundRecord(
        number=2,
        orders={"irgc": "mine_lanes", "irgc_channel": "halt_channel", "kuwait": "stay_quiet"},
        rationales={"irgc": "<b>pressure</b>", "kuwait": ""},
        injects=[],
        submitted=["irgc", "kuwait"],
        ai_played=["centcom", "saudi_arabia"],
    )
    assert played_line(played, hosts) == (
        "Round 2: IRGC mines the shipping lanes, IRGC halts the diplomatic channel, "
        "Kuwait stays quiet; the AI played CENTCOM, Saudi Arabia — the IRGC: <b>pressure</b>"
    )
    assert role_label("hosts", hosts) == "the GCC hosts" and role_label("oman", hosts) == "oman"


def test_a_revealed_secret_names_its_sites_and_hosts_even_when_there_is_one(shared):
    from wargame.ui.pages.classroom import revealed_text

    classroom, _ = shared
    _, codes = classroom.create("R", exercise_scenario(default_scenario(), 2), None, 5)
    room, _ = classroom.join(codes["instructor"])
    site = room.scenario.nodes[0]
    assert revealed_text({"us_ledger": 2.5}, room) == "2.50"
    assert revealed_text({site.id: 0.5}, room) == f"{site.name} 0.50"
    assert revealed_text({"kuwait": 0.25, "qatar": 1.0}, room) == "Kuwait 0.25, Qatar 1.00"
