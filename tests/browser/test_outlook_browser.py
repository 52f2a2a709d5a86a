""" "Where is this heading?" in the browser: one click gives 200 AI-played continuations, and the
fan chart's median ladder at the next round equals the median computed here directly, the way
a worker computes it (replay to round k, copy, reseed with the request's seeds, one round)."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from play_helpers import WAIT_MS, last_row, record, run_to, status

from wargame.config.ladder import RUNG_NAMES
from wargame.experiments.continuation import HORIZON, RUNS, continuation_seeds
from wargame.experiments.game import replay

# From round 5 of seed 0 the next round's median rung is 2 for the first request's seeds and 1
# for the second's: a page using other seeds (or another game) would show another fan.
FROM_ROUND = 5
FIRST_REQUEST = 1  # the panel counts its clicks from 1


def quantiles_next_round(seed: int, from_round: int, request: int, runs: int) -> list[float]:
    """The 5%, 25%, 50%, 75% and 95% quantiles of the rung at round from_round + 1 over the
    request's continuations (each: the game replayed, copied, reseeded, one round played)."""
    base = replay(record(seed), from_round)
    rungs = []
    for run_seed in continuation_seeds(seed, from_round, request, runs):
        model = copy.deepcopy(base)
        model.reseed(run_seed)
        model.step()
        rungs.append(last_row(model)["rung"])
    return [float(q) for q in np.quantile(rungs, [0.05, 0.25, 0.5, 0.75, 0.95])]


def number_text(value: float) -> str:
    """How the chart writes a number: whole numbers as they are, else 3 significant digits."""
    return str(int(value)) if value.is_integer() else f"{float(f'{value:.3g}'):g}"


def rung_text(value: float) -> str:
    """How the readout writes a rung: its tick label ("2 maritime coercion") when whole."""
    return f"{int(value)} {RUNG_NAMES[int(value)]}" if value.is_integer() else number_text(value)


def hover_round(page, chart: str, round_: int) -> dict[str, str]:
    """Point the mouse at `round_` on a chart (placed from the x axis' tick labels, as a user
    reads them) and return the hover readout's rows."""
    svg = page.locator(f".chart[data-chart='{chart}'] svg.chart-svg")
    ticks = svg.locator(".x-axis text.tick").evaluate_all(
        "ts => ts.map(t => [Number(t.textContent.trim()), Number(t.getAttribute('x'))])"
    )
    (r0, x0), (r1, x1) = ticks[0], ticks[-1]
    x = x0 + (round_ - r0) * (x1 - x0) / (r1 - r0)
    svg.hover(position={"x": x, "y": svg.bounding_box()["height"] / 2})
    readout = page.locator(f".chart[data-chart='{chart}'] .hover-readout[data-round='{round_}']")
    readout.wait_for()
    rows = readout.locator(".readout-row").all_inner_texts()
    return {name.strip(): value.strip() for name, value in (row.split(":", 1) for row in rows)}


@pytest.mark.slow
def test_where_is_this_heading_gives_200_runs_and_the_right_median(game_page):
    page = game_page
    run_to(page, FROM_ROUND)
    page.locator(".btn-outlook").click()
    done = re.compile(rf"^{RUNS} of {RUNS} continuations from round {FROM_ROUND}$")
    page.locator(".outlook-status").filter(has_text=done).wait_for(timeout=6 * WAIT_MS)
    assert "failed" not in page.locator(".outlook-status").inner_text()
    assert status(page)["round"] == str(FROM_ROUND)

    fan = page.locator(".chart[data-chart='fan_ladder']")
    median = fan.locator("path.series[data-series='median rung']")
    assert median.get_attribute("data-points") == str(HORIZON)
    assert page.locator(".chart[data-chart='fan_survival']").count() == 1
    assert page.locator(".chart[data-chart='fan_host_damage']").count() == 1

    q05, q25, q50, q75, q95 = quantiles_next_round(0, FROM_ROUND, FIRST_REQUEST, RUNS)
    other_request = quantiles_next_round(0, FROM_ROUND, FIRST_REQUEST + 1, RUNS)
    assert other_request[2] != q50  # the premise that makes the comparison tell
    readout = hover_round(page, "fan_ladder", FROM_ROUND + 1)
    assert readout == {
        "median rung": rung_text(q50),
        "50% of runs": f"{number_text(q25)} – {number_text(q75)}",
        "90% of runs": f"{number_text(q05)} – {number_text(q95)}",
    }
