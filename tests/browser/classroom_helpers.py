"""Helpers for the classroom browser tests (issue 10): a browser context per person, the
lobby's create-a-room form, the console's join codes and rounds, a team's turn, and waiting
for what a page's room status says (Solara updates a page one message at a time, so a test
waits for the state it asserts)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from conftest import Traffic, open_context, watch_page
from play_helpers import choose

from wargame.ui.event_data import option_label

WAIT_MS = 30_000


class Person:
    """Someone at their own browser: a context of its own, its page and the frames the server
    sent it."""

    def __init__(self, browser):
        self.traffic = Traffic()
        self.context = open_context(browser, self.traffic)
        self.page = self.context.new_page()
        watch_page(self.page, self.traffic)


def status(page) -> str:
    return page.locator(".room-status").inner_text()


def wait_status(page, *texts: str) -> str:
    """Until the room status line holds every one of `texts` at once; returns it."""
    page.wait_for_function(
        "(ts) => { const s = document.querySelector('.room-status');"
        " return s && ts.every((t) => s.innerText.includes(t)); }",
        arg=list(texts),
        timeout=WAIT_MS,
    )
    return status(page)


def create_room(
    page,
    url: str,
    rounds: int,
    seed: int,
    ai: tuple[str, ...] = ("hosts",),
    name: str = "",
    scenario: str = "",
) -> dict[str, str]:
    """Create a room in the lobby as its instructor (the AI plays the sides in `ai`); returns
    the join code per team label shown on the console ("CENTCOM", "the IRGC", ...)."""
    page.goto(url + "/classroom")
    page.locator(".btn-create").wait_for(timeout=WAIT_MS)
    if name:
        page.locator(".room-name input").fill(name)
    if scenario:
        choose(page, "room-scenario", scenario)
    page.locator(".room-rounds input").fill(str(rounds))
    page.locator(".room-seed input").fill(str(seed))
    for side in ai:
        choose(page, "room-ai", side)
        page.keyboard.press("Escape")  # a multiple select's menu stays open over the field
    page.locator(".btn-create").click()
    page.locator(".join-line").first.wait_for(timeout=WAIT_MS)
    return {
        line.split(":")[0]: line.split(": ")[1].split()[0]
        for line in page.locator(".join-line").all_inner_texts()
    }


def code_of(page) -> str:
    """The code a page was opened with (the instructor's, after creating a room)."""
    return parse_qs(urlparse(page.url).query)["code"][0]


def join(page, url: str, code: str, label: str) -> None:
    """Open a team's page by its code link and check whose it is."""
    page.goto(f"{url}/classroom?code={code}")
    page.locator(".btn-submit").wait_for(timeout=WAIT_MS)
    assert f"You play {label}." in page.locator(".team-role").inner_text()


def submit(page, number: int, rationale: str, orders: dict[str, str] | None = None) -> None:
    """A team's orders for round `number` with its stated rationale: `orders` (decision ->
    option) where given, the advisor's picks for the rest."""
    # The round's own orders card (a new round remounts it): type into its box.
    page.get_by_text(f"Round {number}: your orders").wait_for(timeout=WAIT_MS)
    for actor, action in (orders or {}).items():
        choose(page, f"select-{actor}", option_label(action))  # the menu shows labels
    page.locator(".rationale textarea").fill(rationale)
    page.locator(".btn-submit").click()


def not_the_ai_pick(page, actor: str) -> str:
    """An option the advisor table offers `actor` other than the AI's own pick."""
    for row in page.locator(f".advisor-{actor} .advisor-row").all():
        if "AI's pick" not in row.inner_text():
            return row.get_attribute("data-option")
    raise AssertionError(f"{actor} has no option but the AI's pick")


def played_rounds(page) -> list[str]:
    """The console's list of rounds played, as shown."""
    return page.locator(".played-round").all_inner_texts()
