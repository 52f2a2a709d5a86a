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

# From round 5 of seed 0; the readout is compared at the first round where the first request's
# fan differs from the second's (first_telling_round), so the comparison tells whatever the model.
FROM_ROUND = 5
FIRST_REQUEST = 1  # the panel counts its clicks from 1


def continuations(seed: int, from_round: int, request: int, runs: int) -> list:
    """The request's continuations, the way a worker starts them: the game replayed to
    from_round, copied, reseeded with the request's seeds."""
    base = replay(record(seed), from_round)
    models = []
    for run_seed in continuation_seeds(seed, from_round, request, runs):
        model = copy.deepcopy(base)
        model.reseed(run_seed)
        models.append(model)
    return models


def first_telling_round(seed: int, from_round: int, runs: int) -> tuple[int, list[float]]:
    """The first round ahead where the first request's rung quantiles (5%, 25%, 50%, 75%, 95%
    over its continuations) differ from the second request's, and the first's quantiles there:
    a page that used the other request's seeds (or another game) would show other numbers at
    that round, so comparing the readout there tells."""
    first = continuations(seed, from_round, FIRST_REQUEST, runs)
    second = continuations(seed, from_round, FIRST_REQUEST + 1, runs)
    for ahead in range(1, HORIZON + 1):
        quantiles = []
        for models in (first, second):
            for model in models:
                model.step()
            rungs = [last_row(model)["rung"] for model in models]
            quantiles.append([float(q) for q in np.quantile(rungs, [0.05, 0.25, 0.5, 0.75, 0.95])])
        if quantiles[0] != quantiles[1]:
            return from_round + ahead, quantiles[0]
    raise AssertionError(f"the two requests' fans agree at every round of {HORIZON}")


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

    round_, (q05, q25, q50, q75, q95) = first_telling_round(0, FROM_ROUND, RUNS)
    readout = hover_round(page, "fan_ladder", round_)
    assert readout == {
        "median rung": rung_text(q50),
        "50% of runs": f"{number_text(q25)} – {number_text(q75)}",
        "90% of runs": f"{number_text(q05)} – {number_text(q95)}",
    }
