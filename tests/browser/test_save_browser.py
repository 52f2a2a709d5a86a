"""Save, load and branch in the browser: a game saved through the "Save game" download loads
into another browser (dropped on the load zone) as the same game; tampered, truncated and
old-format files get a clear message and leave the game alone; a branch at round k shares
rounds 1..k with its parent and the charts draw the parent timeline."""

from __future__ import annotations

import json

import pytest
from play_helpers import (
    command_side,
    drop_file,
    give_order,
    ladder_last,
    last_row,
    model_at,
    page_sentences,
    pick_file,
    record,
    run_to,
    shown_round,
    status,
    step,
    type_into,
    wait_round,
)

from wargame.experiments.game import FORMAT, VERSION, Order, game_text, replay

# The fast tier (-m 'not slow') keeps only the page-load smoke test; CI runs these.
pytestmark = pytest.mark.slow

ORDER = Order(1, "centcom", "limited_strikes")


def save(page) -> str:
    """Click "Save game" and return the downloaded file's text."""
    with page.expect_download() as download:
        page.get_by_text("Save game").click()
    return download.value.path().read_text()


def chart_lasts(page) -> dict[str, str]:
    """Every chart series' last value, by chart and series."""
    return dict(
        page.locator(".chart[data-chart] path.series[data-series]").evaluate_all(
            """paths => paths.map(p => [
                p.closest('.chart').dataset.chart + '/' + p.dataset.series, p.dataset.last])"""
        )
    )


def what_it_shows(page) -> tuple:
    round_ = shown_round(page)
    return status(page), page_sentences(page, round_), chart_lasts(page)


def test_saved_game_loads_in_another_browser_as_the_same_game(new_page):
    page, _ = new_page("saved")
    command_side(page, "CENTCOM")
    give_order(page, ORDER.action)
    step(page, 3)
    text = save(page)
    document = json.loads(text)
    assert (document["format"], document["version"]) == (FORMAT, VERSION)
    assert document["saved_round"] == 4 and document["seed"] == 0
    assert document["side"] == "centcom"
    assert document["orders"] == [{"round": 1, "actor": "centcom", "action": ORDER.action}]
    assert len(document["checksum"]) >= 32

    other, _ = new_page("loaded")
    assert shown_round(other) == 0
    message = drop_file(other, "my-game.json", text)
    assert message == "Loaded my-game.json: replayed to round 4."
    wait_round(other, 4)
    assert what_it_shows(other) == what_it_shows(page)
    assert len(chart_lasts(other)) >= 10
    # And it is the game the record says: the order at round 1, then the AI.
    model = model_at(0, 4, (ORDER,))
    assert ladder_last(other) == str(last_row(model)["rung"])
    assert status(other)["date"] == last_row(model)["date"]
    row = other.locator(".event-row[data-actor='centcom'][data-round='4']")
    assert row.get_attribute("data-action") == last_row(model)["centcom_action"]


def test_bad_save_files_get_a_message_and_leave_the_game(game_page):
    page = game_page
    step(page, 2)
    before = what_it_shows(page)
    good = game_text(record(0, (ORDER,), side="centcom"), 3)
    bad = {
        # The order alone: the saved scenario's action tables hold the action names too.
        "order.json": (
            good.replace('"action": "limited_strikes"', '"action": "expanded_strikes"'),
            "checksum",
        ),
        "seed.json": (good.replace('"seed": 0,', '"seed": 5,'), "checksum"),
        "cut.json": (good[: len(good) // 2], "truncated"),
        "old.json": (good.replace(f'"version": {VERSION},', '"version": 0,'), "version 0"),
    }
    for name, (text, says) in bad.items():
        assert text != good, name
        message = drop_file(page, name, text)
        assert message.startswith(f"{name}: "), message
        assert says in message, message
        assert "Traceback" not in message
        assert what_it_shows(page) == before, name
    # The good file does load: the checks above could have failed.
    message = drop_file(page, "good.json", good)
    assert message == "Loaded good.json: replayed to round 3."
    wait_round(page, 3)
    assert what_it_shows(page) != before


def test_a_save_file_can_be_chosen_instead_of_dropped(game_page):
    page = game_page
    before = what_it_shows(page)
    too_big = b"{" + b" " * (8 * 1024 * 1024) + b"}"
    message = pick_file(page, "huge.json", too_big)
    assert message.startswith("huge.json: too large"), message
    assert what_it_shows(page) == before
    good = game_text(record(0, (ORDER,), side="centcom"), 3)
    message = pick_file(page, "chosen.json", good)
    assert message == "Loaded chosen.json: replayed to round 3."
    wait_round(page, 3)
    assert what_it_shows(page) != before


def test_branch_shares_its_first_rounds_with_the_parent(game_page):
    page = game_page
    command_side(page, "CENTCOM")
    give_order(page, "limited_strikes")  # round 1: kept by a branch at round 6
    run_to(page, 8)
    give_order(page, "expanded_strikes")  # round 9: only the parent's
    run_to(page, 12)
    parent = record(
        0, (Order(1, "centcom", "limited_strikes"), Order(9, "centcom", "expanded_strikes"))
    )
    parent_model = replay(parent, 12)
    assert ladder_last(page) == str(last_row(parent_model)["rung"])

    type_into(page, ".input-branch input", "6")
    page.locator(".btn-branch").click()
    wait_round(page, 6)
    assert "Branched at round 6" in page.locator(".file-message").inner_text()
    parent_at_7 = parent_model.decision_history[7]["centcom"]
    other = next(a for a in ("escort", "attribute_and_warn") if a != parent_at_7.chosen)
    give_order(page, other)  # round 7: the branch's own order
    run_to(page, 12)

    branch = record(0, (Order(1, "centcom", "limited_strikes"), Order(7, "centcom", other)))
    branch_model = replay(branch, 12)
    columns = branch_model.datacollector.model_vars
    parent_columns = parent_model.datacollector.model_vars
    # Rounds 1..6 are the same game in both, every metric; round 7 on they part.
    for name, values in columns.items():
        assert values[:6] == parent_columns[name][:6], name
    assert any(columns[name][6:] != parent_columns[name][6:] for name in columns)

    ladder = page.locator(".chart[data-chart='ladder']")
    parent_line = ladder.locator("path.series[data-series*='parent']")
    assert parent_line.count() == 1
    assert parent_line.get_attribute("data-last") == str(parent_columns["rung"][-1])
    assert parent_line.get_attribute("data-points") == "7"  # rounds 6..12: it leaves at 6
    assert ladder.locator(".marker[data-marker='6']").count() == 1
    assert ladder_last(page) == str(columns["rung"][-1])
    assert status(page)["date"] == columns["date"][-1]
    # The branch's file holds the order it kept and its own, not the parent's later one.
    orders = json.loads(save(page))["orders"]
    assert orders == [
        {"round": 1, "actor": "centcom", "action": "limited_strikes"},
        {"round": 7, "actor": "centcom", "action": other},
    ]
