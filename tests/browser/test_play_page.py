"""The play page in a real browser, offline: it loads and shows the map, status bar and charts;
Step, Run to and Reset move the game as the engine says; bad values typed into the page get a
message beside their field and leave the game alone; the event log's "why" panel shows the
decision's own numbers. Expected values come from an in-test model (`play_helpers`)."""

from __future__ import annotations

import os
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal

import pytest
from play_helpers import (
    ARTIFACTS,
    ROOT,
    ladder_last,
    last_row,
    model_at,
    open_setup,
    page_sentences,
    run_to,
    scenario,
    screenshot,
    sentences,
    shown_round,
    status,
    step,
    type_into,
    wait_round,
)

from wargame.config.ladder import RUNG_NAMES
from wargame.engine import metrics

CHARTS = {
    "ladder": "Escalation ladder",
    "interceptions": "Interceptions by threat type",
    "magazines": None,
    "cost_exchange": None,
    "transits": None,
    "host_tolerance": None,
    "diplomacy": None,
}


def rung_text(row: dict) -> str:
    """The status bar's ladder item for a metrics row."""
    return f"rung {row['rung']}: {row['rung_name']} (severity {row['severity']})"


def check_page_matches(page, seed: int, round_: int) -> None:
    """Status, ladder chart and this round's events equal the in-test model's at `round_`."""
    model = model_at(seed, round_)
    row = last_row(model)
    shown = status(page)
    assert shown["round"] == str(round_)
    assert shown["date"] == row["date"]
    assert shown["rung"] == rung_text(row)
    assert ladder_last(page) == str(row["rung"])
    assert page_sentences(page, round_) == sentences(model, round_)


def test_page_loads_offline_with_map_status_and_charts(game_page, traffic):
    page = game_page
    page.locator(".chart[data-chart='diplomacy']").wait_for()

    # Offline: nothing tried to leave the machine, every file came from the install (no 404:
    # the page uses no Markdown, whose KaTeX solara-assets lacks), and no console errors.
    assert traffic.blocked == []
    assert traffic.bad_responses == []
    assert traffic.console_errors == []

    # The map: the coastline, bases, Iranian sites, and the names a user reads.
    assert page.locator(".map-land").count() >= 5
    for node in ("nsa_bahrain", "al_udeid", "bandar_abbas", "ras_tanura"):
        assert page.locator(f".map-node[data-node='{node}']").count() == 1, node
    assert "NSA Bahrain" in page.locator(".theatre-map").inner_text()
    assert page.locator(".theatre-map[data-round='0'][data-side='observer']").count() == 1

    # The status bar: round 0, the scenario's start date, the first rung's name.
    start = build_start()
    assert status(page) == {
        "round": "0",
        "date": scenario().clock.start_date.isoformat(),
        "rung": f"rung 0: {RUNG_NAMES[0]} (severity {start['severity']})",
        "mou": "in force",
        "channel": "open",
    }
    assert "Doctrine split: 0.60 reciprocity" in page.locator(".status-bar").inner_text()

    # The charts, by id and title.
    shown = page.locator(".chart[data-chart]").evaluate_all(
        "charts => charts.map(c => c.getAttribute('data-chart'))"
    )
    assert set(CHARTS) <= set(shown)
    for chart_id, title in CHARTS.items():
        if title:
            assert (
                page.locator(f".chart[data-chart='{chart_id}'] .chart-title").inner_text() == title
            )
    assert "No rounds played yet." in page.locator(".event-log").inner_text()
    screenshot(page, ARTIFACTS / "page-round0.png")


def build_start() -> dict:
    """The status columns before round 1, from the model's own metric reporters."""
    model = model_at(0, 0)
    return {name: metrics.MODEL_REPORTERS[name](model) for name in ("date", "rung", "severity")}


@pytest.mark.slow
def test_step_run_to_and_reset(game_page):
    page = game_page
    for round_ in (1, 2, 3):
        step(page)
        check_page_matches(page, 0, round_)
    assert status(page)["date"] != scenario().clock.start_date.isoformat()
    first_round = model_at(0, 1)
    first_events = sentences(first_round, 1)

    run_to(page, 30)
    check_page_matches(page, 0, 30)
    shot = ARTIFACTS / "page-round30.png"
    screenshot(page, shot)
    if os.environ.get("UPDATE_README_SCREENSHOT") == "1":  # else the repository stays clean
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, ROOT / "docs" / "screenshot-play.png")

    page.locator(".btn-reset").click()
    wait_round(page, 0)
    assert status(page)["date"] == scenario().clock.start_date.isoformat()
    assert "No rounds played yet." in page.locator(".event-log").inner_text()
    assert page.locator(".chart[data-chart='ladder'] path.series[data-series='rung']").count() == 0
    step(page)
    assert page_sentences(page, 1) == first_events
    check_page_matches(page, 0, 1)


def beside(page, field: str, error: str) -> bool:
    """Is the message `error` the element right after the field `field` (or after the row
    holding it, with its button)?"""
    return page.locator(error).evaluate(
        "(e, field) => { const p = e.previousElementSibling;"
        " return !!p && (p.matches(field) || !!p.querySelector(field)); }",
        field,
    )


def wait_message(page, selector: str, previous: str) -> str:
    page.wait_for_function(
        "([selector, previous]) => { const e = document.querySelector(selector);"
        " return e && e.innerText.trim() && e.innerText !== previous; }",
        arg=[selector, previous],
    )
    return page.locator(selector).inner_text()


# (the field, its button, its message, [(a bad value, a word its message must say)]).
# Consecutive messages of one field differ, so each wait sees the new one.
BAD_VALUES = (
    (
        ".param-levers-doctrine_split",
        ".btn-apply",
        ".error-levers-doctrine_split",
        [
            ("abc", "must be a number"),
            ("7", "less than or equal to 1"),
            ("nan", "must be a number"),
            ("-1", "greater than or equal to 0"),
            ("inf", "must be a number"),
            ("1e400", "finite"),
            ("abc", "must be a number"),
            ("1" + "0" * 400, "finite"),
        ],
    ),
    (
        ".input-seed",
        ".btn-seed",
        ".error-seed",
        [("-3", "Seed must be"), ("1.5", "Seed must be"), ("x", "Seed must be")]
        + [("9999999999999999999", "Seed must be between")],
    ),
    (
        ".input-run-to",
        ".btn-run-to",
        ".error-run-to",
        [("abc", "Run to must be"), ("-1", "Run to must be"), ("2.5", "Run to must be")]
        + [("100000000", "Run to must be between")],
    ),
)


@pytest.mark.slow
def test_bad_values_get_a_message_and_leave_the_game(game_page):
    page = game_page
    step(page, 2)
    before = (status(page), page_sentences(page, 2), ladder_last(page))
    open_setup(page)
    for field, button, error, values in BAD_VALUES:
        message = ""
        for text, says in values:
            type_into(page, f"{field} input", text)
            page.locator(button).click()
            message = wait_message(page, error, message)
            assert says in message, (text, message)
            assert beside(page, field, error), (text, message)
            assert (status(page), page_sentences(page, 2), ladder_last(page)) == before, text
            if field == ".param-levers-doctrine_split":
                assert "octrine" in message  # names its field: "Doctrine split", "doctrine_split"
        if field == ".param-levers-doctrine_split":
            type_into(page, f"{field} input", "0.6")  # the good value back for the next field

    # A good value is taken (so the checks above could have seen a change): a new game.
    type_into(page, ".param-levers-doctrine_split input", "0.3")
    page.locator(".btn-apply").click()
    wait_round(page, 0)
    assert page.locator(".error-levers-doctrine_split").count() == 0
    assert "Doctrine split: 0.30 reciprocity" in page.locator(".status-bar").inner_text()


def js_fixed(value: float, places: int) -> str:
    """JavaScript's Number.prototype.toFixed for a non-negative number: the nearest decimal,
    a tie going up (Python's format rounds a tie to even)."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def shown_probability(p: float) -> str:
    if 0 < p < 0.0005:
        return "< 0.1 %"
    return js_fixed(100 * p, 1) + " %"


def shown_cost(v: float) -> str:
    text = js_fixed(abs(v), 3)
    if text == "0.000":
        return text
    return ("−" if v < 0 else "+") + text


@pytest.mark.slow
def test_why_panel_numbers_equal_the_decision(game_page):
    page = game_page
    step(page)
    history = model_at(0, 1).decision_history[1]
    for actor in ("irgc", "centcom"):
        decision = history[actor]
        row = page.locator(f".event-row[data-actor='{actor}'][data-round='1']").first
        row.locator(".event-head").click()
        panel = row.locator(".why-panel")
        panel.wait_for()
        options = panel.locator("tr.why-option")
        assert options.evaluate_all("rows => rows.map(r => r.dataset.option)") == list(
            decision.options
        )
        checked = 0
        for i, option in enumerate(decision.options):
            expected = {"probability": decision.probabilities[i], "utility": decision.utilities[i]}
            expected.update(decision.weighted_terms[i])
            cells = panel.locator(f"td.why-cell[data-option='{option}']")
            shown = cells.evaluate_all(
                "cells => cells.map(c => [c.dataset.term, c.dataset.value, c.innerText.trim()])"
            )
            assert {term for term, _, _ in shown} == set(expected), option
            for term, value, text in shown:
                # The browser's number: JavaScript prints the shortest text that reads back
                # as the same double, so float() gives the engine's value exactly.
                assert float(value) == expected[term], (actor, option, term)
                if term == "probability":
                    assert text == shown_probability(expected[term]), (option, text)
                else:
                    assert text == shown_cost(expected[term]), (option, term, text)
                checked += 1
        assert checked >= 3 * len(decision.options)
        done = panel.locator("tr.why-option[data-done='true']").get_attribute("data-option")
        assert done == decision.chosen


@pytest.mark.slow
def test_reset_during_run_to_and_play_leaves_round_zero(game_page):
    """Reset while a Run to (or Play) is stepping in its thread stops it before its next
    round: the page shows round 0 and stays there, and then plays the seed's game anew."""
    page = game_page
    for start in ("run", "play"):
        if start == "run":
            type_into(page, ".input-run-to input", "900")
            page.locator(".btn-run-to").click()
        else:
            page.locator(".btn-play").click()
        page.locator(".status-round").filter(
            has_text=re.compile(r":\s*[3-9]$|:\s*\d\d+$")
        ).wait_for(timeout=30_000)
        page.locator(".btn-reset").click()
        wait_round(page, 0)
        page.wait_for_timeout(1_500)  # a loop that outlived the Reset would have stepped by now
        assert shown_round(page) == 0, start
        assert page.locator(".btn-stop").count() == 0
        assert page.locator(".btn-play").inner_text().strip().lower() == "play"
    step(page, 1)
    check_page_matches(page, 0, 1)
