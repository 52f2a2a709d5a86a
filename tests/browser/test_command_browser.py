"""Commanding CENTCOM in the browser: the advisor shows the AI's own numbers for CENTCOM's menu,
an order different from the AI's pick is played, marked as yours in the log, and changes the
game exactly as a replay with that order does; and fog of war holds on the wire: the true
Iranian site capacities and the IRGC's reasons reach neither the page nor any websocket frame
while you command CENTCOM, yet do reach an observer (so the check can fail). Commanding the
IRGC, its channel move is a second order: halting the channel halts it, and the save holds it."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest
from play_helpers import (
    command_side,
    give_order,
    ladder_last,
    last_row,
    model_at,
    page_sentences,
    scenario,
    sentences,
    shown_round,
    status,
    step,
    wait_round,
)

from wargame.engine import metrics
from wargame.engine.model import build_model
from wargame.engine.observation import host_row_for, side_observation, visible_metrics
from wargame.engine.rules.diplomacy import CHANNEL_DECISION
from wargame.experiments.game import Order
from wargame.ui.components.command_panel import two_decimals
from wargame.ui.event_data import option_label

# The fast tier (-m 'not slow') keeps only the page-load smoke test; CI runs these.
pytestmark = pytest.mark.slow

ORDER_ROUND_1 = "limited_strikes"
FOG_ROUNDS = 8
STRIKES = ("expanded_strikes", "limited_strikes")


def test_advisor_shows_centcoms_menu_with_the_ais_numbers(game_page):
    page = game_page
    command_side(page, "CENTCOM")
    decision = build_model(scenario(), 0).begin_round()["centcom"]
    rows = page.locator(".advisor-table tr.advisor-row")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.option)") == list(decision.options)
    for i, option in enumerate(decision.options):
        row = page.locator(f".advisor-table tr.advisor-row[data-option='{option}']")
        cells = row.locator("td").evaluate_all(
            "cells => cells.map(c => [c.dataset.term || null, c.dataset.value, c.innerText])"
        )
        # The option's weighted terms, then its total cost, then the AI's chance, as shown.
        *terms, (_, cost, cost_text), (_, chance, chance_text) = cells
        probability = decision.probabilities[i]
        assert float(chance) == probability
        assert chance_text == (
            "< 0.1 %" if 0 < probability < 0.0005 else f"{100 * probability:.1f} %"
        )
        assert float(cost) == -decision.utilities[i]
        assert cost_text == f"{-decision.utilities[i]:.2f}"
        weighted = decision.weighted_terms[i]
        assert {term: float(value) for term, value, _ in terms} == {
            term: weighted.get(term, 0.0) for term, _, _ in terms
        }
        assert set(weighted) <= {term for term, _, _ in terms}
        assert [text for _, _, text in terms] == [two_decimals(float(v)) for _, v, _ in terms]
        picked = "★ AI's pick" in row.locator("th").inner_text()
        assert picked == (option == decision.chosen), option
    assert sum(decision.probabilities) == pytest.approx(1.0)


def test_an_order_is_played_marked_and_changes_the_outcome(game_page):
    page = game_page
    ai_only = model_at(0, 5)
    ai_pick = ai_only.decision_history[1]["centcom"].chosen
    assert ai_pick != ORDER_ROUND_1  # the test's premise: the order differs from the AI's pick
    command_side(page, "CENTCOM")
    give_order(page, ORDER_ROUND_1)

    row = page.locator(".event-row[data-actor='centcom'][data-round='1']")
    assert row.get_attribute("data-action") == ORDER_ROUND_1
    assert row.get_attribute("data-order") == "your order"
    assert "your order" in row.inner_text()
    assert option_label(ai_pick) in row.locator(".ai-pick").inner_text()

    step(page, 4)  # the AI plays CENTCOM from here on
    ordered = model_at(0, 5, (Order(1, "centcom", ORDER_ROUND_1),))
    row5 = last_row(ordered)
    assert status(page)["rung"] == (
        f"rung {row5['rung']}: {row5['rung_name']} (severity {row5['severity']})"
    )
    assert status(page)["date"] == row5["date"]
    assert ladder_last(page) == str(row5["rung"])
    assert page_sentences(page, 5) == sentences(ordered, 5)
    # The same seed without the order is another game: the order mattered.
    played = [sentences(ordered, r) for r in range(1, 6)]
    assert played != [sentences(ai_only, r) for r in range(1, 6)]
    assert ordered.datacollector.model_vars["rung"] != ai_only.datacollector.model_vars["rung"]


def table_rows(page, table: str) -> list[tuple[str, float, bool]]:
    """(option, the AI's chance as sent, whether marked as the AI's pick) for each row."""
    rows = page.locator(f".{table} tr.advisor-row").evaluate_all(
        """rows => rows.map(r => [r.dataset.option,
            +r.querySelector('td:last-child').dataset.value,
            r.querySelector('th').innerText.includes("AI's pick")])"""
    )
    return [tuple(row) for row in rows]


def test_the_irgc_halts_the_channel_and_the_save_holds_the_order(game_page):
    page = game_page
    decisions = build_model(scenario(), 0).begin_round()
    channel = decisions[CHANNEL_DECISION]
    assert channel.chosen == "keep_channel"  # the premise: the AI would keep it open
    command_side(page, "IRGC")
    # The channel's own advisor table, beside the action's: its options this round, the AI's
    # chances and its pick, which is also the order given unless you change it.
    page.locator(".channel-table").wait_for()
    assert table_rows(page, "channel-table") == [
        (option, probability, option == channel.chosen)
        for option, probability in zip(channel.options, channel.probabilities, strict=True)
    ]
    assert [r[0] for r in table_rows(page, "advisor-table")] == list(decisions["irgc"].options)
    shown = page.locator(".select-channel .v-select__selections").inner_text()
    assert shown == "keeps the Swiss channel as it is"
    assert status(page)["channel"] == "open"

    give_order(page, decisions["irgc"].chosen, channel="halt_channel")
    assert status(page)["channel"] == "halted"
    row = page.locator(".event-row[data-actor='irgc'][data-action='halt_channel']")
    assert row.get_attribute("data-round") == "1"
    assert row.get_attribute("data-order") == "your order"
    # Round 2's channel menu: the channel is halted, so it may be reopened.
    page.locator(".channel-table tr.advisor-row[data-option='reopen_channel']").wait_for()
    assert [r[0] for r in table_rows(page, "channel-table")] == ["keep_channel", "reopen_channel"]

    with page.expect_download() as download:
        page.get_by_text("Save game").click()
    document = json.loads(download.value.path().read_text())
    assert document["side"] == "irgc" and document["saved_round"] == 1
    assert {"round": 1, "actor": CHANNEL_DECISION, "action": "halt_channel"} in document["orders"]
    orders = tuple(Order(o["round"], o["actor"], o["action"]) for o in document["orders"])
    assert model_at(0, 1, orders).datacollector.model_vars["channel"] == ["HALTED"]


# --- fog of war -----------------------------------------------------------------------------


NUMBER = re.compile(r"-?(?<![\d.])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?!\d|\.\d)")


def numbers_of(text: str) -> set[str]:
    """Every number written in `text`, whole (never a piece of a longer number, nor of a
    version like Solara's 1.58.2), as written and without its sign."""
    found = set(NUMBER.findall(text))
    return found | {n.lstrip("-") for n in found}


def full_forms(value: float) -> set[str]:
    """A number as it travels exactly: its repr (Python's JSON text for a float)."""
    return {repr(value), repr(abs(value))}


def short_forms(value: float, places: tuple[int, ...]) -> set[str]:
    """A number rounded as the page could send or print it: the rounded repr (what the map
    sends an observer) and fixed-point text (0.873)."""
    found = set()
    for n in places:
        found.add(repr(abs(round(value, n))))
        found.add(f"{abs(value):.{n}f}")
    return found


def telling(text: str) -> bool:
    """Fewer than 3 significant digits (0.5, 0.35, 1.0) would match other numbers by chance."""
    return len(text.replace("-", "").replace(".", "").strip("0")) >= 3


def numbers_in(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float | np.integer | np.floating):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        return [n for v in value for n in numbers_in(v)]
    return []


def centcoms_own_numbers(model) -> list[float]:
    """Numbers CENTCOM may see, by the engine's fog rules: its observation (reports with
    error, e.g. its estimate of the Iranian capacity), its own decision, the metric columns and
    host numbers `visible_metrics` / `host_row_for` allow it."""
    found = numbers_in(side_observation(model, "centcom"))
    decision = model.decision_history.get(model.round, {}).get("centcom")
    if decision is not None:
        found += numbers_in([decision.probabilities, decision.utilities])
        found += numbers_in([dict(t) for t in decision.weighted_terms])
    columns = model.datacollector.model_vars
    found += numbers_in([columns[c] for c in visible_metrics("centcom", columns)])
    found += numbers_in([host_row_for("centcom", r) for r in metrics.host_rows(model).values()])
    return found


def found_in(hidden: dict[str, set[str]], text: str) -> set[tuple[str, str]]:
    """(kind, number) for each hidden number written in `text`."""
    written = numbers_of(text)
    return {(kind, t) for kind, texts in hidden.items() for t in texts if t in written}


def test_fog_centcom_never_receives_the_hidden_iranian_state(new_page):
    page, traffic = new_page("centcom")
    # Frames before this are the observer's round 0 (nothing has happened: every site at 1.0).
    first_frame = len(traffic.frames)
    command_side(page, "CENTCOM")
    # The same game in the test, round by round: strikes on Iran every round.
    model = build_model(scenario(), 0)
    allowed: list[float] = []
    for _ in range(FOG_ROUNDS):
        menu = model.begin_round()["centcom"].options
        allowed += centcoms_own_numbers(model)
        action = next(a for a in STRIKES if a in menu)
        model.command("centcom", action)
        model.step()
        allowed += centcoms_own_numbers(model)
        give_order(page, action)
    model.begin_round()  # the page's advisor has begun the next round: so does the test
    allowed += centcoms_own_numbers(model)
    assert shown_round(page) == FOG_ROUNDS
    last = page.locator(f".event-row[data-actor='centcom'][data-round='{FOG_ROUNDS}']")
    assert last.get_attribute("data-action") == action

    capacities = [float(c) for c in model.world.iran.capacity if float(c) != 1.0]
    assert len(capacities) >= 3, "the strikes should have damaged several Iranian sites"
    reasons = []
    for round_ in range(1, FOG_ROUNDS + 2):
        decision = model.decision_history[round_]["irgc"]
        reasons += list(decision.probabilities) + list(decision.utilities)
        reasons += [v for terms in decision.weighted_terms for v in terms.values()]
    # A rounded hidden number equal to a rounded number CENTCOM may see (0.108 as a term of
    # the IRGC and as CENTCOM's own estimate) proves nothing either way: left out.
    # So does an exact number both have (0.07500000000000001 is, in this game, an IRGC term
    # and CENTCOM's own top-rung risk).
    seen_short = {t for v in allowed for t in short_forms(v, (2, 3))}
    seen_full = {t for v in allowed for t in full_forms(v)}
    hidden = {
        "capacity": {t for c in capacities for t in full_forms(c) if t not in seen_full}
        | {t for c in capacities for t in short_forms(c, (3,)) if t not in seen_short},
        "irgc reasons": {t for v in reasons for t in full_forms(v) if t not in seen_full}
        | {t for v in reasons for t in short_forms(v, (3,)) if t not in seen_short},
    }
    hidden = {kind: {t for t in texts if telling(t)} for kind, texts in hidden.items()}
    assert len(hidden["capacity"]) >= 10 and len(hidden["irgc reasons"]) >= 100

    frames = "\n".join(traffic.frames[first_frame:])
    page_text = page.locator("body").inner_text()
    assert len(traffic.frames) - first_frame > 50 and '"side": "centcom"' in frames
    assert found_in(hidden, page_text) == set()
    assert found_in(hidden, traffic.received_text()) == set()  # every frame, from the first
    # Nor the fields that would carry them, since CENTCOM took over: a site's capacity, the
    # IRGC's "why".
    assert '"capacity":' not in frames and '"iran_sites"' not in frames
    assert not re.search(r'"actor": "irgc"[^{}]*"has_why": true', frames)
    assert re.search(r'"actor": "irgc"[^{}]*"has_why": false', frames)

    # The same page as Observer receives them: the check above could have failed.
    seen_before = len(traffic.frames)
    command_side(page, "Observer (sees everything)")
    wait_round(page, FOG_ROUNDS)
    page.locator(".theatre-map[data-side='observer']").wait_for()
    observer_frames = "\n".join(traffic.frames[seen_before:])
    found = found_in(hidden, observer_frames)
    assert {kind for kind, _ in found} == {"capacity", "irgc reasons"}
    # The map's capacities (rounded to 3 places) and the IRGC's terms, exactly.
    written = numbers_of(observer_frames)
    assert any(repr(round(c, 3)) in written for c in capacities)
    assert any(repr(v) in written for v in reasons)


def test_a_commanded_side_gets_no_true_settings_and_no_outlook_and_can_switch(game_page):
    """The setup panel shows every side's true settings and the outlook plays the true game
    on: both are for Observers. Switching sides in the middle of a begun round keeps it."""
    page = game_page
    page.get_by_text("Scenario, seed, levers and parameters").click()
    doctrine = page.locator(".param-levers-doctrine_split input")
    assert doctrine.input_value() == "0.6"  # an Observer sees and may change it
    assert page.locator(".btn-outlook").count() == 1
    command_side(page, "CENTCOM")
    page.locator(".setup-hidden").wait_for(timeout=10_000)
    assert page.locator(".param-levers-doctrine_split").count() == 0
    assert page.locator(".btn-outlook").count() == 0 and page.locator(".outlook-hidden").count()
    # The advisor began round 1 as CENTCOM; switch to the IRGC and play that same round.
    command_side(page, "IRGC")
    assert status(page)["round"] == "0" and status(page)["date"] == "2026-04-01"
    rows = page.locator(".advisor-row")
    assert "salvo_hosts" in [rows.nth(i).get_attribute("data-option") for i in range(rows.count())]
    give_order(page, "posture")
    wait_round(page, 1)
    assert page.locator(".event-row[data-actor='irgc'][data-order='your order']").count() == 1
    command_side(page, "Observer (sees everything)")
    page.locator(".param-levers-doctrine_split input").wait_for(timeout=10_000)
    assert page.locator(".btn-outlook").count() == 1
