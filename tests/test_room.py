"""A classroom room in play (issue 10), server side: a round resolves when every team has
submitted or the instructor forces it, a team orders only its own decisions, a code opens only
its own seat, injects fire at the next round's start, and a restarted server replays the room
to the very same game."""

from __future__ import annotations

import sqlite3

import pytest
from support import default_scenario

from wargame.config.schema import Scenario
from wargame.experiments.room import (
    ADHOC_INJECTS,
    Classroom,
    RoomError,
    refinery_targets,
    role_actors,
    room_roles,
)
from wargame.experiments.room_store import INSTRUCTOR, RoomStore, Seat

SEED = 7


@pytest.fixture
def classroom(tmp_path):
    store = RoomStore(tmp_path / "classroom.sqlite3")
    yield Classroom(store)
    store.close()


def opened(classroom, **kwargs):
    room_id, codes = classroom.create("4B", default_scenario(), "gulf_2026.yaml", SEED, **kwargs)
    return classroom.room(room_id), {role: classroom.join(code)[1] for role, code in codes.items()}


def ai_picks(room, role):
    """The AI's own choice for each of a team's decisions this round (a legal order)."""
    decisions = room.decisions()
    return {actor: decisions[actor].chosen for actor in role_actors(room.scenario, role)}


def other_action(room, actor):
    decision = room.decisions()[actor]
    return next(o for o in decision.options if o != decision.chosen)


def metrics(room):
    return room.model.datacollector.get_model_vars_dataframe()


def test_the_roles_and_what_each_team_orders():
    scenario = default_scenario()
    hosts = tuple(h.id for h in scenario.actors.hosts)
    assert room_roles(scenario) == ("centcom", "irgc", "hosts")
    assert room_roles(scenario, one_team_for_hosts=False) == ("centcom", "irgc", *hosts)
    assert role_actors(scenario, "irgc") == ("irgc", "irgc_channel")
    assert role_actors(scenario, "hosts") == hosts
    assert role_actors(scenario, "qatar") == ("qatar",)
    with pytest.raises(RoomError, match="no team role"):
        role_actors(scenario, "instructor")


def test_a_round_resolves_when_every_team_has_submitted(classroom):
    room, seats = opened(classroom)
    order = {"centcom": other_action(room, "centcom")}
    assert room.submit(seats["centcom"], order, "hold the line") is False
    assert room.submit(seats["irgc"], ai_picks(room, "irgc"), "") is False
    assert room.live_round == 1 and room.submitted() == ["centcom", "irgc"]
    assert room.submit(seats["hosts"], ai_picks(room, "hosts"), "<b>quiet</b>") is True
    assert room.live_round == 2 and room.submitted() == []
    played = room.rounds[0]
    assert played.orders["centcom"] == order["centcom"]
    assert played.rationales == {"centcom": "hold the line", "irgc": "", "hosts": "<b>quiet</b>"}
    assert played.ai_played == [] and played.submitted == ["centcom", "hosts", "irgc"]
    assert room.model.decision_history[1]["centcom"].chosen != order["centcom"]  # the AI's pick
    assert room.model.human_orders[1]["centcom"] == order["centcom"]  # ... and what was played
    stored = classroom.store.room(room.id).rounds
    assert stored == tuple(room.rounds)
    # ... in the same order too (dicts compare equal in any order): the console lists a round
    # the same before and after a restart.
    assert [(list(r.orders), list(r.rationales)) for r in stored] == [
        (list(r.orders), list(r.rationales)) for r in room.rounds
    ]


def test_the_instructor_forces_a_round_and_the_ai_plays_the_rest(classroom):
    room, seats = opened(classroom)
    room.submit(seats["irgc"], ai_picks(room, "irgc"), "probe")
    with pytest.raises(RoomError, match="only this room's instructor"):
        room.force(seats["irgc"])
    room.force(seats[INSTRUCTOR])
    assert room.rounds[0].ai_played == ["centcom", "hosts"]
    assert room.rounds[0].submitted == ["irgc"]


def test_a_team_orders_only_its_own_decisions_and_a_code_only_its_own_room(classroom):
    room, seats = opened(classroom)
    other, other_seats = opened(classroom)
    forged = [
        (seats["irgc"], {"centcom": room.decisions()["centcom"].chosen}, "cannot order 'centcom'"),
        (seats["hosts"], {"irgc_channel": "halt_channel"}, "cannot order 'irgc_channel'"),
        (seats["centcom"], {"centcom": "salvo_hosts"}, "no action 'salvo_hosts'"),
        (seats[INSTRUCTOR], {"centcom": "escort"}, "the instructor gives no orders"),
        (other_seats["centcom"], {"centcom": "escort"}, "another room"),
        (Seat(room.id, "saudi_arabia"), {"saudi_arabia": "stay_quiet"}, "no team"),
    ]
    for seat, orders, problem in forged:
        with pytest.raises(RoomError, match=problem):
            room.submit(seat, orders, "")
    with pytest.raises(RoomError, match="at most 2,000 characters"):
        room.submit(seats["centcom"], {}, "x" * 2_001)
    assert room.submitted() == [] and other.submitted() == []
    with pytest.raises(RoomError, match="no room has this code"):
        classroom.join("not-a-code")


# An ad hoc inject, its target (None: it takes none), and what its round-3 event says.
FIRED = [
    ("tanker_struck", None, "tanker is struck"),
    ("refinery_fire", "ras_laffan", "Fire at Ras Laffan LNG"),
]


@pytest.mark.parametrize(("key", "node", "sentence"), FIRED)
def test_a_restarted_server_resumes_the_room_as_the_same_game(
    classroom, tmp_path, key, node, sentence
):
    room, seats = opened(classroom)
    codes = classroom.store.codes(room.id)
    target = {} if node is None else {"node": node}
    for number in (1, 2):
        if number == 2:
            fired = room.fire(seats[INSTRUCTOR], key, **target)
            assert fired["round"] == 3 and fired["kind"] == ADHOC_INJECTS[key]["kind"]
        room.submit(seats["centcom"], {"centcom": other_action(room, "centcom")}, f"r{number}")
        room.force(seats[INSTRUCTOR])
    room.submit(seats["irgc"], ai_picks(room, "irgc"), "pending, not yet played")
    assert room.rounds[1].injects == [{"round": 3, **ADHOC_INJECTS[key], **target}]
    # The server dies; a new one opens the file as it was (a copy, so the old room can play
    # on beside it for the comparison: two servers never share one room's file).
    copy = sqlite3.connect(tmp_path / "restarted.sqlite3")
    sqlite3.connect(tmp_path / "classroom.sqlite3").backup(copy)
    copy.close()
    restarted = Classroom(RoomStore(tmp_path / "restarted.sqlite3"))
    again, seat = restarted.join(codes["centcom"])
    assert seat == seats["centcom"] and again is not room
    assert again.live_round == 3 and again.submitted() == []  # the unplayed round is lost
    # Both go on to round 4 the same way: the same game, the inject included.
    for live in (room, again):
        live.force(seats[INSTRUCTOR])
    assert metrics(again).equals(metrics(room))
    assert [e.sentence for e in again.model.events] == [e.sentence for e in room.model.events]
    assert any(sentence in e.sentence for e in room.model.events if e.round == 3)


def test_the_instructor_sets_a_refinery_fire_at_a_host_energy_site(classroom):
    room, seats = opened(classroom)
    sites = refinery_targets(room.scenario)
    assert sites == ("sitra_bapco", "ras_tanura", "abqaiq", "ras_laffan") + sites[4:]
    instructor = seats[INSTRUCTOR]
    for node, problem in (
        ("nsa_bahrain", "node 'nsa_bahrain' is not an energy site of a host state"),
        ("nowhere", "node 'nowhere' is not an energy site of a host state; choose one of sitra"),
        (["sitra_bapco"], "node \"\\['sitra_bapco'\\]\" is not an energy site"),
    ):
        with pytest.raises(RoomError, match=problem):
            room.fire(instructor, "refinery_fire", node=node)
    with pytest.raises(RoomError, match="tanker_struck: takes no node"):
        room.fire(instructor, "tanker_struck", node="ras_tanura")
    assert room.fired == []
    first = room.fire(instructor, "refinery_fire")  # no node named: the first site
    second = room.fire(instructor, "refinery_fire", node="abqaiq")
    assert (first["node"], second["node"]) == (sites[0], "abqaiq")
    assert [data["node"] for data in room.fired] == [sites[0], "abqaiq"]
    room.force(instructor)
    room.force(instructor)  # round 2: both fires burn at its start
    fires = [e.target for e in room.model.events if e.actor == "scenario" and e.round == 2]
    assert fires == [sites[0], "abqaiq"]
    last = 2 + room.scenario.adjudication.force_majeure_rounds - 1
    assert room.model.world.hosts["bahrain"].force_majeure_until >= last


def test_injects_pauses_and_the_end_of_the_exercise(classroom):
    room, seats = opened(classroom)
    with pytest.raises(RoomError, match="no inject 'refinery'"):
        room.fire(seats[INSTRUCTOR], "refinery")
    with pytest.raises(RoomError, match="only this room's instructor"):
        room.fire(seats["irgc"], "lebanon_flare")
    room.fire(seats[INSTRUCTOR], "lebanon_flare")
    with pytest.raises(RoomError, match="only one can take effect"):
        room.fire(seats[INSTRUCTOR], "lebanon_flare")
    room.set_paused(seats[INSTRUCTOR], True)
    with pytest.raises(RoomError, match="paused"):
        room.submit(seats["irgc"], ai_picks(room, "irgc"))
    room.set_paused(seats[INSTRUCTOR], False)
    rounds = room.scenario.clock.rounds
    while not room.finished:
        room.force(seats[INSTRUCTOR])
    assert len(room.rounds) == rounds and room.live_round is None and room.decisions() == {}
    with pytest.raises(RoomError, match="the exercise is over"):
        room.submit(seats["irgc"], {})


def test_a_round_that_cannot_be_saved_is_not_played_and_keeps_its_submissions(
    classroom, monkeypatch
):
    room, seats = opened(classroom)
    order = {"centcom": other_action(room, "centcom")}
    room.submit(seats["centcom"], order, "first")
    room.fire(seats[INSTRUCTOR], "swiss_talks")
    before = metrics(room)

    def disk_full(room_id, record):
        raise OSError("disk full")

    monkeypatch.setattr(classroom.store, "record_round", disk_full)
    with pytest.raises(RoomError, match="could not be saved .*disk full.*resolve it again"):
        room.force(seats[INSTRUCTOR])
    assert room.live_round == 1 and room.submitted() == ["centcom"]
    assert metrics(room).equals(before) and room.fired
    monkeypatch.undo()
    room.force(seats[INSTRUCTOR])
    assert (
        room.rounds[0].orders == order
        and room.rounds[0].injects == room.store.room(room.id).rounds[0].injects
    )


def test_a_team_sees_its_own_sides_and_what_the_instructor_reveals_to_it(classroom):
    room, seats = opened(classroom)
    hosts = role_actors(room.scenario, "hosts")
    view = room.team_view(seats["hosts"])
    assert set(view["observations"]) == set(hosts) and set(view["decisions"]) == set(hosts)
    irgc = room.team_view(seats["irgc"])
    assert set(irgc["observations"]) == {"irgc"}
    assert set(irgc["decisions"]) == {"irgc", "irgc_channel"}
    assert irgc["revealed"] == {} and irgc["round"] == 1
    with pytest.raises(RoomError, match="the instructor gives no orders"):
        room.team_view(seats[INSTRUCTOR])
    # The instructor shows the IRGC Washington's ledger for this round only.
    shown = room.reveal(seats[INSTRUCTOR], "irgc", "us_ledger")
    assert shown == {"us_ledger": round(room.model.world.diplomacy.ledgers.us, 3)}
    assert room.team_view(seats["irgc"])["revealed"] == {"us_ledger": shown}
    assert room.team_view(seats["centcom"])["revealed"] == {}
    for seat, role, item, problem in (
        (seats["irgc"], "irgc", "us_ledger", "only this room's instructor"),
        (seats[INSTRUCTOR], "irgc", "launch_codes", "nothing called 'launch_codes'"),
        (seats[INSTRUCTOR], "spectators", "doctrine", "no team 'spectators'"),
    ):
        with pytest.raises(RoomError, match=problem):
            room.reveal(seat, role, item)
    room.force(seats[INSTRUCTOR])
    assert room.team_view(seats["irgc"])["revealed"] == {}


def test_the_round_timer_resolves_the_round_when_it_runs_out(classroom, monkeypatch):
    from wargame.experiments import room as room_module

    now = [1_000.0]
    monkeypatch.setattr(room_module.time, "time", lambda: now[0])
    room, seats = opened(classroom)
    with pytest.raises(RoomError, match="from 10 to 3,600"):
        room.set_timer(seats[INSTRUCTOR], 5)
    room.set_timer(seats[INSTRUCTOR], 60)
    room.submit(seats["irgc"], ai_picks(room, "irgc"), "quick")
    now[0] += 59
    assert room.remaining() == 1 and room.tick() is False and room.live_round == 1
    room.set_paused(seats[INSTRUCTOR], True)  # the clock stops while paused
    now[0] += 600
    assert room.tick() is False and room.remaining() is None
    room.set_paused(seats[INSTRUCTOR], False)
    assert room.remaining() == 1
    now[0] += 1
    assert room.tick() is True and room.live_round == 2
    assert room.rounds[0].submitted == ["irgc"] and room.rounds[0].ai_played == ["centcom", "hosts"]
    assert room.remaining() == 60  # each new round gets the same time
    room.set_timer(seats[INSTRUCTOR], None)
    assert room.remaining() is None and room.tick() is False


def test_roles_left_empty_are_played_by_the_ai(classroom):
    room, seats = opened(classroom, teams=("irgc", "centcom"))
    assert room.roles == ("centcom", "irgc") and "hosts" not in seats
    version = room.version
    room.submit(seats["irgc"], ai_picks(room, "irgc"), "")
    assert room.version > version  # every page watching it sees the submission
    assert room.submit(seats["centcom"], ai_picks(room, "centcom"), "") is True
    assert room.rounds[0].ai_played == [] and room.live_round == 2
    for teams, problem in ((("irgc", "navy"), "got 'navy'"), ((), "choose one or more")):
        with pytest.raises(RoomError, match=problem):
            classroom.create("x", default_scenario(), None, 1, teams=teams)


def test_an_exercise_plays_the_scenario_for_the_rounds_chosen():
    from wargame.experiments.room import exercise_scenario

    scenario = default_scenario()
    assert exercise_scenario(scenario, 3).clock.rounds == 3
    for rounds in (0, scenario.clock.rounds + 1, True, 2.5):
        with pytest.raises(RoomError, match=f"from 1 to {scenario.clock.rounds}"):
            exercise_scenario(scenario, rounds)


def test_a_room_keeps_the_picture_of_the_state_each_round_left(tmp_path):
    """What the UI's map draws: the state after the last completed round, taken before the
    next round's first phases move ships and decisions on; the same after a restart."""

    def picture(model):
        return (model.round, model.round_begun, len(model.events), int(model.fleet.count()))

    store = RoomStore(tmp_path / "classroom.sqlite3")
    classroom = Classroom(store, picture=picture)
    room, seats = opened(classroom)
    # No ship is in the area before round 1; the begun round 1 has brought some in already.
    assert room.picture == (0, False, 0, 0) and room.model.fleet.count() > 0
    for number in (1, 2):
        room.force(seats[INSTRUCTOR])
        at_round, begun, events, _ = room.picture
        assert (at_round, begun) == (number, False)
        # Taken before the next round began: the live round's events are not in it.
        assert events == sum(1 for e in room.model.events if e.round <= number)
    restarted = Classroom(RoomStore(tmp_path / "classroom.sqlite3"), picture=picture)
    assert restarted.join(classroom.store.codes(room.id)["irgc"])[0].picture == room.picture
    store.close()


def test_a_scenario_without_a_host_energy_site_has_no_refinery_fire(classroom):
    data = default_scenario().model_dump(mode="json")
    for node in data["nodes"]:
        if node["kind"] == "energy":
            node["host"] = None
    scenario = Scenario.model_validate(data)
    room_id, codes = classroom.create("4C", scenario, None, SEED)
    room, seat = classroom.join(codes[INSTRUCTOR])
    assert refinery_targets(scenario) == ()
    with pytest.raises(RoomError, match="this scenario has no energy site of a host state"):
        room.fire(seat, "refinery_fire")
    assert room.fired == [] and room.model.injects_by_round == {}


def test_watchers_wake_the_moment_the_room_changes(classroom):
    """Every page's watcher waits on its room: a submission wakes them all at once (not at a
    next poll), and a quiet room lets them sleep out their timeout."""
    import threading
    import time

    room, seats = opened(classroom)
    version = room.version
    started = time.monotonic()
    assert room.wait_for_change(version, 0.2) == version  # nothing happened: a full timeout
    assert time.monotonic() - started >= 0.19
    woke = []

    def watch():
        seen = room.wait_for_change(version, 30.0)
        woke.append((seen, time.monotonic()))

    watchers = [threading.Thread(target=watch) for _ in range(10)]
    for watcher in watchers:
        watcher.start()
    time.sleep(0.3)  # every watcher is waiting (none has a change to see yet)
    assert woke == []
    submitted = time.monotonic()
    room.submit(seats["irgc"], ai_picks(room, "irgc"), "now")
    for watcher in watchers:
        watcher.join(timeout=10)
    assert len(woke) == 10 and {seen for seen, _ in woke} == {room.version}
    assert max(at for _, at in woke) - submitted < 2.0  # at once, not after 30 s
