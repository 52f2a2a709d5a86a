"""The seed's tri-lateral loop must emerge from the actors' cost functions, not from a script."""

from __future__ import annotations

import pytest
from support import many_summaries

from wargame.config.schema import Scenario
from wargame.experiments.single_run import loop_in_order


def test_baseline_has_no_scripted_injects(scenario):
    assert scenario.injects == ()


@pytest.mark.slow
def test_loop_emerges_over_200_seeds(scenario):
    summaries = many_summaries(scenario)
    with_host_strike = [s for s in summaries if s["first_host_strike_round"] is not None]
    in_order = [s for s in with_host_strike if loop_in_order(s)]
    # Host-state strikes happen in a majority of runs ...
    assert len(with_host_strike) > len(summaries) / 2, (
        f"{len(with_host_strike)} of {len(summaries)}"
    )
    # ... and the first one follows a CENTCOM strike that follows an interdiction, in most of them.
    assert len(in_order) > len(with_host_strike) / 2, f"{len(in_order)} of {len(with_host_strike)}"


@pytest.mark.slow
def test_loop_fades_when_tehran_stops_counting_sovereignty(scenario):
    """Ablation: without the sovereignty and host-leverage terms the retaliation phase withers.

    This is what makes phase 3 a consequence of the IRGC's cost function rather than a script.
    """
    data = scenario.model_dump()
    data["actors"]["irgc"]["weights"].update(sovereignty=0.0, host_leverage=0.0)
    ablated = Scenario.model_validate(data)
    baseline = many_summaries(scenario)
    without = many_summaries(ablated, seeds=100)
    host_rate = sum(s["first_host_strike_round"] is not None for s in baseline) / len(baseline)
    ablated_rate = sum(s["first_host_strike_round"] is not None for s in without) / len(without)
    assert ablated_rate < host_rate / 2, (ablated_rate, host_rate)
