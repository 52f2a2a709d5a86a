"""The classroom in real browsers (issue 10): an instructor and two teams, each in its own
browser context, play a three-round exercise to the end; each team's page and websocket frames
never carry the other side's advisor numbers; typed rationales show as text on the console and
in the exported after-action review."""

from __future__ import annotations

import re

import pytest
from classroom_helpers import WAIT_MS, Person, create_room, join, status, submit, wait_status
from conftest import ARTIFACTS, start_server, stop_server
from play_helpers import screenshot

from wargame.config.loader import load_scenario
from wargame.engine.model import build_model
from wargame.experiments.room import exercise_scenario
from wargame.ui.session import DEFAULT_SCENARIO

pytestmark = pytest.mark.slow  # drives browsers beyond the one page-load smoke test

SEED = 4
ROUNDS = 3
SCRIPT = "<script>document.title='owned'</script> hold the line"


@pytest.fixture(scope="module")
def classroom_server(tmp_path_factory):
    server = start_server(
        ["--data", str(tmp_path_factory.mktemp("classroom-data"))], name="classroom"
    )
    yield server
    stop_server(server)


def test_an_instructor_and_two_teams_play_an_exercise_to_the_end(classroom_server, browser):
    instructor, irgc, centcom, hosts = (Person(browser) for _ in range(4))
    page = instructor.page
    codes = create_room(page, classroom_server.url, ROUNDS, SEED, ai=())
    assert set(codes) == {"CENTCOM", "the IRGC", "the GCC hosts"}
    assert all(len(code) >= 22 for code in codes.values())
    for team, label in ((irgc, "the IRGC"), (centcom, "CENTCOM"), (hosts, "the GCC hosts")):
        join(team.page, classroom_server.url, codes[label], label)
    # The same game the room plays, for the numbers only one side may see.
    model = build_model(_exercise(), SEED)
    for number in range(1, ROUNDS + 1):
        decisions = model.begin_round()
        for team, rationale in (
            (irgc, f"r{number} {SCRIPT}"),
            (centcom, f"r{number} probe"),
            (hosts, f"r{number} hosts"),
        ):
            submit(team.page, number, rationale)
        for who in (instructor, irgc, centcom, hosts):
            wait_status(who.page, f"round {number + 1} of" if number < ROUNDS else "all 3 rounds")
        for actor, decision in decisions.items():
            model.command(actor, decision.chosen)  # each team played the AI's pick
        model.step()
        # No team received another's advisor numbers (full-precision data-values).
        irgc_numbers = {repr(-u) for u in decisions["irgc"].utilities if abs(u) > 1e-3}
        centcom_numbers = {repr(-u) for u in decisions["centcom"].utilities if abs(u) > 1e-3}
        for team, others in ((irgc, centcom_numbers), (centcom, irgc_numbers)):
            assert not any(n in team.traffic.received_text() for n in others)
        for hidden in (irgc_numbers, centcom_numbers):
            assert not any(n in hosts.traffic.received_text() for n in hidden)
        assert any(n in irgc.traffic.received_text() for n in irgc_numbers)  # the check can see
        if number < ROUNDS:  # (at the end, the review takes the map's place)
            irgc.page.locator(f".theatre-map[data-round='{number}']").wait_for(timeout=WAIT_MS)
    # The map each team was sent carries what its side may see, and only that: the true
    # capacity of Iran's sites (the IRGC's own), the hosts' tolerance (each host's own) and
    # the interceptors left (CENTCOM's and each host's). The map travels as a JSON string.
    field = {
        "capacity": r'"capacity": [0-9.]+',
        "tolerance": r'"tolerance": [0-9.]+',
        "magazines": r'"left": [0-9]+, "cap": [0-9]+',
    }
    sent = {
        who: team.traffic.received_text()
        for who, team in (
            ("irgc", irgc),
            ("centcom", centcom),
            ("hosts", hosts),
            ("console", instructor),
        )
    }

    def who_got(name: str) -> set[str]:
        return {who for who, text in sent.items() if re.search(field[name], text)}

    assert who_got("capacity") == {"irgc", "console"}
    assert who_got("tolerance") == {"hosts", "console"}
    assert who_got("magazines") == {"centcom", "hosts", "console"}
    # A page's widgets update one message at a time: wait for what each shows at the end.
    irgc.page.get_by_text("The exercise is over").wait_for(timeout=WAIT_MS)
    # The console shows the rationales as text, and exports the review with them.
    page.get_by_text("r3 probe", exact=False).wait_for(timeout=WAIT_MS)
    console = page.inner_text("body")
    assert f"r1 {SCRIPT}" in console and "r3 probe" in console
    assert page.title() != "owned" and irgc.page.title() != "owned"
    with page.expect_download() as download:
        page.get_by_text("Export the after-action review").click()
    report = download.value.path().read_text(encoding="utf-8")
    assert "&lt;script&gt;document.title=&#x27;owned&#x27;&lt;/script&gt;" in report
    assert "<script" not in report.lower() and "r2 probe" in report
    # The review is on the console and on every team's page too, in a frame.
    for who in (instructor, irgc):
        frame = who.page.frame_locator(".aar-frame")
        frame.get_by_text("r2 probe").wait_for(timeout=WAIT_MS * 4)
        assert "r1 hosts" in frame.locator("body").inner_text()
    for who in (instructor, irgc, centcom, hosts):
        assert not who.traffic.blocked, who.traffic.blocked
    screenshot(page, ARTIFACTS / "classroom-console-end.png")
    for who in (instructor, irgc, centcom, hosts):
        who.context.close()


def _exercise():
    return exercise_scenario(load_scenario(DEFAULT_SCENARIO), ROUNDS)


def test_a_wrong_code_opens_nothing(classroom_server, browser):
    who = Person(browser)
    who.page.goto(f"{classroom_server.url}/classroom?code=not-a-real-code")
    who.page.locator(".room-error").wait_for(timeout=WAIT_MS)
    assert re.search("no room has this code", who.page.inner_text("body"))
    assert not who.page.locator(".btn-submit").count()
    who.context.close()


def test_the_round_timer_counts_down_on_a_teams_page(classroom_server, browser):
    instructor, team = Person(browser), Person(browser)
    page = instructor.page
    codes = create_room(page, classroom_server.url, ROUNDS, SEED, ai=())
    join(team.page, classroom_server.url, codes["CENTCOM"], "CENTCOM")
    page.locator(".timer-seconds input").fill("90")
    page.locator(".timer-seconds input").press("Enter")
    page.locator(".btn-timer").click()
    wait_status(team.page, "time left: 1:")
    first = left_on(team.page)
    # Nothing else happens in the room: the page counts down by itself.
    team.page.wait_for_function(
        "(t) => { const m = document.querySelector('.room-status').innerText"
        ".match(/time left: (\\d+):(\\d\\d)/); return m && 60 * +m[1] + +m[2] <= t; }",
        arg=first - 2,
        timeout=WAIT_MS,
    )
    assert 80 <= first <= 90 and "submitted: nobody yet" in status(team.page)
    for who in (instructor, team):
        who.context.close()


def left_on(page) -> int:
    minutes, seconds = re.search(r"time left: (\d+):(\d\d)", status(page)).groups()
    return 60 * int(minutes) + int(seconds)
