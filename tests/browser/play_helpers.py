"""Helpers for the browser tests: the in-test model the page is checked against, and the page
actions a user takes (step, run to, choose a side, give an order, type into a field).

The expected values come from the engine and the game record directly (`build_model`,
`replay`), never from the UI's own data functions, so a test fails when the page shows
something the model did not say.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from wargame.config.loader import load_scenario
from wargame.config.schema import Scenario
from wargame.engine.model import GulfModel
from wargame.experiments.game import GameRecord, Order, replay
from wargame.ui.event_data import option_label

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCENARIO = ROOT / "configs" / "scenarios" / "gulf_2026.yaml"
ARTIFACTS = ROOT / ".test-results"  # the same folder conftest.py screenshots into
WAIT_MS = 30_000


# --- the in-test model ------------------------------------------------------------------------


@cache
def scenario() -> Scenario:
    return load_scenario(DEFAULT_SCENARIO)


def record(seed: int = 0, orders: tuple[Order, ...] = (), side: str = "observer") -> GameRecord:
    return GameRecord(
        scenario().model_dump(mode="json"), str(DEFAULT_SCENARIO), seed, tuple(orders), side
    )


def model_at(seed: int, rounds: int, orders: tuple[Order, ...] = ()) -> GulfModel:
    """The game (default scenario, `seed`, `orders`) after `rounds` rounds."""
    return replay(record(seed, orders), rounds)


def last_row(model: GulfModel) -> dict[str, Any]:
    """The model's own metrics of its last round (the DataCollector's last record)."""
    return {name: values[-1] for name, values in model.datacollector.model_vars.items()}


def sentences(model: GulfModel, round_: int) -> list[str]:
    """Every event sentence of one round, in order (the observer reads them all)."""
    return [event.sentence for event in model.events if event.round == round_]


# --- reading the page -------------------------------------------------------------------------


def status(page) -> dict[str, str]:
    """The status bar's items, by css class: {'round': '3', 'date': ..., 'rung': ...}."""
    found = {}
    for key in ("round", "date", "rung", "mou", "channel"):
        text = page.locator(f".status-{key}").inner_text()
        found[key] = text.split(":", 1)[1].strip()
    return found


def page_sentences(page, round_: int) -> list[str]:
    """The event log's sentences for one round, as shown, in order."""
    rows = page.locator(f".event-row[data-round='{round_}'] .event-sentence")
    return [text.strip() for text in rows.all_inner_texts()]


def ladder_last(page) -> str:
    return page.locator(
        ".chart[data-chart='ladder'] path.series[data-series='rung']"
    ).get_attribute("data-last")


# The round every shown chart of the main grid has reached: its longest own series (a branch's
# parent timeline left out) or its timeline's last segment. Charts redraw one after another, so
# waiting for one chart alone let a test read the others mid-update on a loaded machine.
CHARTS_ROUND = """(round) => {
    const grid = document.querySelector('.chart-grid');
    if (!grid) return false;
    for (const c of grid.querySelectorAll('.chart[data-hidden="false"]')) {
        let high = 0;
        for (const p of c.querySelectorAll('[data-points]')) {
            if (!(p.dataset.series || '').includes('parent')) high = Math.max(high, +p.dataset.points);
        }
        for (const r of c.querySelectorAll('rect.segment[data-to]')) {
            const row = r.closest('[data-timeline]');
            if (!(row && row.dataset.timeline.includes('parent'))) high = Math.max(high, +r.dataset.to);
        }
        if (high !== round) return false;
    }
    return true;
}"""


def wait_round(page, round_: int) -> None:
    """Until the status bar, the map, the event log and every chart all show `round_`."""
    page.locator(".status-round").filter(has_text=re.compile(rf":\s*{round_}$")).wait_for(
        timeout=WAIT_MS
    )
    page.locator(f".theatre-map[data-round='{round_}']").wait_for(timeout=WAIT_MS)
    page.locator(f".event-log[data-round='{round_}']").wait_for(timeout=WAIT_MS)
    if round_:
        page.locator(
            f".chart[data-chart='ladder'] path.series[data-series='rung'][data-points='{round_}']"
        ).wait_for(state="attached", timeout=WAIT_MS)
        page.wait_for_function(CHARTS_ROUND, arg=round_, timeout=WAIT_MS)


def shown_round(page) -> int:
    return int(status(page)["round"])


# --- acting on the page -----------------------------------------------------------------------


def step(page, times: int = 1) -> None:
    for _ in range(times):
        now = shown_round(page)
        page.locator(".btn-step").click()
        wait_round(page, now + 1)


def type_into(page, selector: str, text: str) -> None:
    """Type into a Solara InputText (its value is sent on Enter)."""
    field = page.locator(selector)
    field.fill(text)
    field.press("Enter")


def run_to(page, round_: int) -> None:
    type_into(page, ".input-run-to input", str(round_))
    page.locator(".btn-run-to").click()
    wait_round(page, round_)


def open_setup(page) -> None:
    """Expand 'Scenario, seed, levers and parameters' (collapsed at first)."""
    if not page.locator(".input-seed input").count():
        page.get_by_text("Scenario, seed, levers and parameters").click()
        page.locator(".input-seed input").wait_for(timeout=WAIT_MS)


def new_game(page, seed: int) -> None:
    open_setup(page)
    type_into(page, ".input-seed input", str(seed))
    page.locator(".btn-seed").click()
    page.wait_for_function(
        "seed => document.querySelector('.input-seed input').value === seed", arg=str(seed)
    )
    wait_round(page, 0)


def choose(page, select_class: str, item: str) -> None:
    """Pick `item` (its exact text) in a Vuetify select with css class `select_class`."""
    page.locator(f".{select_class} .v-select__slot").click()
    menu = page.locator(".menuable__content__active")
    menu.locator(".v-list-item", has_text=re.compile(rf"^\s*{re.escape(item)}\s*$")).click()
    page.locator(f".{select_class} .v-select__selections").filter(has_text=item).wait_for(
        timeout=WAIT_MS
    )


def command_side(page, label: str) -> None:
    choose(page, "select-side", label)
    if label.startswith("Observer"):
        page.locator(".advisor-table").wait_for(state="detached", timeout=WAIT_MS)
    else:
        page.locator(".advisor-table").wait_for(timeout=WAIT_MS)


def give_order(page, action: str, channel: str | None = None) -> None:
    """Choose `action` in 'Your order' (and, as the IRGC, `channel` in 'Channel') and play
    the round."""
    now = shown_round(page)
    # The menus show each option by its label, as the advisor's rows do.
    choose(page, "select-order", option_label(action))
    if channel is not None:
        choose(page, "select-channel", option_label(channel))
    page.locator(".btn-order").click()
    wait_round(page, now + 1)
    page.locator(".advisor-table").wait_for(timeout=WAIT_MS)


# Chromium gives no file-system entry (`webkitGetAsEntry()`) for a DataTransfer made in a page,
# and solara.FileDrop 1.58 reads dropped files only through it. So the drop event carries a
# stand-in for the browser's DataTransfer whose one item yields a real File: everything after
# the drop (the widget reading the file in chunks, the upload, the app's on_file) is the real path.
DROP_SCRIPT = """(zone, [name, text]) => {
    const file = new File([text], name, {type: 'application/json'});
    const entry = {isFile: true, isDirectory: false, name, file: (ok) => ok(file)};
    const event = new Event('drop', {bubbles: true, cancelable: true});
    Object.defineProperty(event, 'dataTransfer', {
        value: {items: [{kind: 'file', webkitGetAsEntry: () => entry}], files: [file]},
    });
    zone.dispatchEvent(event);
}"""


def new_file_message(page, name: str, before: list[str]) -> str:
    """Wait until the file message names `name` and differs from `before`; return it."""
    page.wait_for_function(
        """([name, before]) => {
            const m = document.querySelector('.file-message');
            return m && m.innerText.includes(name) && m.innerText !== before;
        }""",
        arg=[name, before[0] if before else ""],
        timeout=WAIT_MS,
    )
    return page.locator(".file-message").inner_text()


def drop_file(page, name: str, text: str) -> str:
    """Drop a file with `text` on the 'Load a saved game' zone; returns the message shown."""
    before = page.locator(".file-message").all_inner_texts()
    page.locator(".solara-file-drop").evaluate(DROP_SCRIPT, [name, text])
    return new_file_message(page, name, before)


def pick_file(page, name: str, content: str | bytes) -> str:
    """Choose a file with the 'or choose it' file input; returns the message shown."""
    before = page.locator(".file-message").all_inner_texts()
    data = content.encode() if isinstance(content, str) else content
    page.locator(".file-picker-input").set_input_files(
        {"name": name, "mimeType": "application/json", "buffer": data}
    )
    return new_file_message(page, name, before)


def screenshot(page, path) -> None:
    """The whole page as a picture. Solara's layout scrolls an inner element, not the
    document, so `full_page` alone stops at the window: grow the window to the content first."""
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(document.documentElement.scrollHeight,"
        " ...[...document.querySelectorAll('div')].map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    try:
        page.wait_for_timeout(250)  # the charts measure their width and redraw
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
