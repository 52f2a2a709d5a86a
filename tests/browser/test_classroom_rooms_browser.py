"""Classroom rooms in real browsers (issue 10), beyond one exercise played through: a server
killed mid-exercise and restarted on the same data folder resumes the room at its last
completed round, the same game, and the teams rejoin with their codes; two rooms on one server
share nothing (a round played in one never shows in the other, and a code opens only its own
room)."""

from __future__ import annotations

import os
import re
import signal

import pytest
from classroom_helpers import (
    WAIT_MS,
    Person,
    code_of,
    create_room,
    join,
    not_the_ai_pick,
    played_rounds,
    submit,
    wait_status,
)
from conftest import ARTIFACTS, start_server, stop_server
from play_helpers import screenshot, type_into

from wargame.ui.event_data import actor_label, option_label

pytestmark = pytest.mark.slow  # drives browsers beyond the one page-load smoke test

ROUNDS = 3


def crash(server) -> None:
    """Kill the server's whole process group at once, as a crash would: no shutdown runs."""
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=15)


def advisor_tables(page) -> list[str]:
    """The team's advisor tables as sent, full-precision numbers included."""
    return page.locator(".advisor-table").evaluate_all("tables => tables.map(t => t.innerHTML)")


def test_a_crashed_server_resumes_the_room_at_its_last_completed_round(browser, tmp_path):
    data = tmp_path / "rooms"
    server = start_server(["--data", str(data)], name="classroom-crash")
    instructor, irgc, centcom = people = [Person(browser) for _ in range(3)]
    try:
        codes = create_room(instructor.page, server.url, ROUNDS, seed=7)
        console_code = code_of(instructor.page)
        teams = ((irgc, "the IRGC"), (centcom, "CENTCOM"))
        actors = ((irgc, "irgc"), (centcom, "centcom"))
        for team, label in teams:
            join(team.page, server.url, codes[label], label)
        # Orders of their own, not the AI's: a restart that replayed the AI would show.
        mine = {team: not_the_ai_pick(team.page, actor) for team, actor in actors}
        submit(
            irgc.page, 1, "r1 irgc keep the strait open to our own tankers", {"irgc": mine[irgc]}
        )
        submit(centcom.page, 1, "r1 centcom escort and hold fire", {"centcom": mine[centcom]})
        for who in people:
            wait_status(who.page, "round 2 of 3", "submitted: nobody yet")
        instructor.page.locator(".played-round").wait_for(timeout=WAIT_MS)
        round_1 = played_rounds(instructor.page)
        assert len(round_1) == 1 and round_1[0].startswith("Round 1: ")
        assert "r1 irgc keep the strait" in round_1[0] and "r1 centcom escort" in round_1[0]
        # The orders read as sentences: "IRGC mines the shipping lanes, CENTCOM ...".
        assert all(
            f"{actor_label(actor)} {option_label(mine[team])}" in round_1[0]
            for team, actor in actors
        )
        irgc.page.get_by_text("Round 2: your orders").wait_for(timeout=WAIT_MS)
        advice = advisor_tables(irgc.page)
        submit(irgc.page, 2, "r2 irgc lost in the crash")
        for who in people:
            wait_status(who.page, "round 2 of 3", "submitted: the IRGC")

        crash(server)
        server = start_server(["--data", str(data)], name="classroom-restarted")
        for team, label in teams:
            join(team.page, server.url, codes[label], label)
            # The unsaved submission is gone, and the page says so.
            wait_status(team.page, "round 2 of 3", "submitted: nobody yet")
            team.page.get_by_text("Round 2: your orders").wait_for(timeout=WAIT_MS)
        assert advisor_tables(irgc.page) == advice  # the same game: its round 2 to the digit
        screenshot(irgc.page, ARTIFACTS / "classroom-restarted-team.png")
        instructor.page.goto(f"{server.url}/classroom?code={console_code}")
        wait_status(instructor.page, "round 2 of 3", "submitted: nobody yet")
        instructor.page.locator(".played-round").wait_for(timeout=WAIT_MS)
        assert played_rounds(instructor.page) == round_1

        for number in (2, 3):
            submit(irgc.page, number, f"r{number} irgc after the restart")
            submit(centcom.page, number, f"r{number} centcom after the restart")
            for who in people:
                wait_status(
                    who.page, f"round {number + 1} of" if number < ROUNDS else "all 3 rounds"
                )
        instructor.page.get_by_text("r3 centcom after the restart").wait_for(timeout=WAIT_MS)
        shown = played_rounds(instructor.page)
        assert len(shown) == 3 and shown[0] == round_1[0]
        with instructor.page.expect_download() as download:
            instructor.page.get_by_text("Export the after-action review").click()
        report = download.value.path().read_text(encoding="utf-8")
        assert "r1 irgc keep the strait open to our own tankers" in report
        assert "r1 centcom escort and hold fire" in report
        assert "r2 irgc after the restart" in report and "lost in the crash" not in report
        for who in people:
            assert not who.traffic.blocked, who.traffic.blocked
    finally:
        stop_server(server)
        for who in people:
            who.context.close()


@pytest.fixture(scope="module")
def rooms_server(tmp_path_factory):
    server = start_server(["--data", str(tmp_path_factory.mktemp("rooms-data"))], name="rooms")
    yield server
    stop_server(server)


ALPHA_SAYS = "alpha-only reasoning: mine the approaches at dawn"


def test_two_rooms_at_once_share_nothing(rooms_server, browser):
    url = rooms_server.url
    teacher_a, teacher_b, team_a, team_b = people = [Person(browser) for _ in range(4)]
    try:
        # Room Alpha: the default scenario, one team (the IRGC), so its submission resolves it.
        codes_a = create_room(
            teacher_a.page, url, ROUNDS, seed=4, ai=("centcom", "hosts"), name="Alpha"
        )
        codes_b = create_room(
            teacher_b.page, url, ROUNDS, seed=9, name="Bravo", scenario="gulf_2026_crisis.yaml"
        )
        assert set(codes_a) == {"the IRGC"} and set(codes_b) == {"CENTCOM", "the IRGC"}
        assert codes_a["the IRGC"] != codes_b["the IRGC"]
        join(team_a.page, url, codes_a["the IRGC"], "the IRGC")
        join(team_b.page, url, codes_b["the IRGC"], "the IRGC")
        wait_status(team_a.page, "Room Alpha", "round 1 of 3", "nobody yet")
        wait_status(team_b.page, "Room Bravo", "round 1 of 3", "nobody yet")

        submit(team_a.page, 1, ALPHA_SAYS)
        for who in (teacher_a, team_a):
            wait_status(who.page, "Room Alpha", "round 2 of 3", "nobody yet")
        teacher_a.page.get_by_text(ALPHA_SAYS, exact=False).wait_for(timeout=WAIT_MS)
        # Room Bravo's pages show a change of their own (its instructor pauses it) after
        # Alpha's round, and nothing of Alpha's: still round 1, nobody has submitted.
        teacher_b.page.locator(".btn-pause").click()
        for who in (teacher_b, team_b):
            shown = wait_status(who.page, "PAUSED")
            assert "Room Bravo · round 1 of 3 · submitted: nobody yet" in shown, shown
        assert played_rounds(teacher_b.page) == []
        assert ALPHA_SAYS not in teacher_b.page.inner_text("body")
        frames = team_b.traffic.received_text()
        assert "Room Bravo" in frames  # the check can see what the server sent
        assert "Room Alpha" not in frames and "mine the approaches" not in frames

        # A code opens only its own room: a truncated one opens nothing; Alpha's, typed into
        # the join form on Bravo's team's browser, opens Alpha at its round 2.
        team_b.page.goto(f"{url}/classroom?code={codes_a['the IRGC'][:-1]}")
        team_b.page.locator(".room-error").wait_for(timeout=WAIT_MS)
        assert re.search("no room has this code", team_b.page.inner_text("body"))
        assert not team_b.page.locator(".btn-submit").count()
        type_into(team_b.page, ".join-code input", codes_a["the IRGC"])
        team_b.page.locator(".btn-join").click()
        shown = wait_status(team_b.page, "Room Alpha")
        assert "round 2 of 3" in shown and "PAUSED" not in shown
        team_b.page.get_by_text("Round 2: your orders").wait_for(timeout=WAIT_MS)
        for who in people:
            assert not who.traffic.blocked, who.traffic.blocked
    finally:
        for who in people:
            who.context.close()
