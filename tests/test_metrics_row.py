"""Tests for `metrics.row` (every DataCollector column of a round in one pass) and the
MetricsCollector that appends it: the row is each reporter's value, of the same type, in every
round of every shipped scenario; the collector refuses a row that is not; copies and pickles of
a model go on collecting by the row."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from support import DEFAULT_SCENARIO, REPO, default_scenario

from wargame.config.loader import load_scenario
from wargame.engine import metrics
from wargame.engine.collector import MetricsCollector
from wargame.engine.model import build_model
from wargame.engine.state import fielded_unit_cost

SCENARIOS = sorted((REPO / "configs" / "scenarios").glob("*.yaml"))


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def _reporters(model) -> list:
    return [reporter(model) for reporter in metrics.MODEL_REPORTERS.values()]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_row_is_every_reporters_value_in_every_round(path):
    model = build_model(load_scenario(path), 3)
    names = list(metrics.MODEL_REPORTERS)
    rounded = set()  # columns whose value went through round() (not a whole number)
    for _ in range(150):
        model.step()
        expected, row = _reporters(model), metrics.row(model)
        assert len(row) == len(names)
        for name, value, wanted in zip(names, row, expected, strict=True):
            assert _same(value, wanted), (model.round, name, value, wanted)
            if isinstance(value, float) and not value.is_integer():
                rounded.add(name)
    # The run reached rounded fractions, including running totals, so a mis-rounded or
    # misplaced column would show.
    assert {"lebanon", "war_risk_premium"} <= rounded
    assert any(name.startswith("total_") for name in rounded)


def test_the_collectors_frame_is_the_reporters_frame():
    """The model's collector (by the row) and one calling each reporter give the same frame:
    names, order, values and dtypes."""
    model = build_model(default_scenario(), 5)
    by_reporters = MetricsCollector(metrics.MODEL_REPORTERS)
    for _ in range(120):
        model.step()
        by_reporters.collect(model)
    ours = model.datacollector
    assert ours.row is metrics.row
    assert list(ours.model_vars) == list(by_reporters.model_vars)
    for name, values in ours.model_vars.items():
        assert all(map(_same, values, by_reporters.model_vars[name])), name
    pd.testing.assert_frame_equal(
        ours.get_model_vars_dataframe(), by_reporters.get_model_vars_dataframe(), check_exact=True
    )


def _row_without_last(model):
    return metrics.row(model)[:-1]


def _row_swapped(model):
    row = metrics.row(model)
    row[2], row[3] = row[3], row[2]  # rung and rung_name
    return row


def _row_unrounded(model):
    row = metrics.row(model)
    row[list(metrics.MODEL_REPORTERS).index("lebanon")] = model.world.lebanon
    return row


def test_the_collector_refuses_a_row_that_is_not_the_reporters():
    model = build_model(default_scenario(), 1)
    model.world.lebanon = 0.1234567  # a value only its reporter rounds
    with pytest.raises(ValueError, match=r"gives \d+ values for \d+ reporters"):
        MetricsCollector(metrics.MODEL_REPORTERS, row=_row_without_last).collect(model)
    with pytest.raises(ValueError, match="for column 'rung'"):
        MetricsCollector(metrics.MODEL_REPORTERS, row=_row_swapped).collect(model)
    with pytest.raises(ValueError, match="0.1234567 for column 'lebanon'"):
        MetricsCollector(metrics.MODEL_REPORTERS, row=_row_unrounded).collect(model)
    fine = MetricsCollector(metrics.MODEL_REPORTERS, row=metrics.row)
    fine.collect(model)
    fine.collect(model)
    assert fine.model_vars["lebanon"] == [0.123457, 0.123457]


@pytest.mark.parametrize(
    "duplicate", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))], ids=["copy", "pickle"]
)
def test_a_copied_model_goes_on_collecting_by_the_row(duplicate):
    """Sweeps ship models to workers and continuations copy them: the copy's collector keeps
    the row (by reference) and its columns go on as the original's."""
    model = build_model(load_scenario(DEFAULT_SCENARIO), 4)
    for _ in range(30):
        model.step()
    twin = duplicate(model)
    assert twin.datacollector.row is metrics.row
    assert twin.datacollector.model_vars is not model.datacollector.model_vars
    for _ in range(40):
        model.step()
        twin.step()
    pd.testing.assert_frame_equal(
        twin.datacollector.get_model_vars_dataframe(),
        model.datacollector.get_model_vars_dataframe(),
        check_exact=True,
    )


def test_r6_is_round_to_6_decimals_value_sign_and_type():
    rng = np.random.default_rng(0)
    whole = [0.0, -0.0, 1.0, -7.0, 2.0**52, 2.0**53 + 2, 1e22, -1e300, float("inf")]
    fractions = list(rng.normal(0, 1e6, 2000)) + list(rng.random(2000)) + [0.5e-6, 2.5e-6]
    values = (
        whole + [float(v) for v in fractions] + [3, -4, np.float64(2.0), np.float64(0.123456789)]
    )
    for value in values:
        got, wanted = metrics._r6(value), round(value, 6)
        assert type(got) is type(wanted) and str(got) == str(wanted), value


def _fielded_slots(scenario, magazines, host: str) -> list[int]:
    """The magazine slots of a host's sites whose system the defence mix fields."""
    slots = []
    for node in scenario.nodes:
        if node.host != host or node.id not in magazines.slices:
            continue
        start = magazines.slices[node.id].start
        slots += [
            start + i
            for i, defence in enumerate(node.defences)
            if fielded_unit_cost(scenario, defence.system) > 0
        ]
    return slots


def test_a_hosts_magazine_share_counts_only_the_defences_it_fields():
    """The per-host line of the UI's magazine chart (metrics.host_rows): a host whose fielded
    interceptors are gone shows 0%, though the unfielded laser's and jammer's uses still sit in
    its magazines (counted, they held the line at ~98% whatever was spent)."""
    scenario = default_scenario()
    assert scenario.levers.defence_mix.value == "point_defence"
    model = build_model(scenario, 8)
    magazines = model.world.magazines
    slots = _fielded_slots(scenario, magazines, "bahrain")
    assert slots
    magazines.left[slots] = magazines.cap[slots] // 2
    half = metrics.host_rows(model)
    assert half["bahrain"]["magazine_share"] == pytest.approx(0.5, abs=0.02)
    magazines.left[slots] = 0
    rows = metrics.host_rows(model)
    assert rows["bahrain"]["magazine_share"] == 0.0
    assert rows["bahrain"]["interceptors_left"] > 0  # the unfielded uses, still counted
    assert all(r["magazine_share"] == 1.0 for h, r in rows.items() if h != "bahrain")
    # What the host itself reads of its defences (observation.HostView.magazine_share).
    assert rows["bahrain"]["magazine_share"] == magazines.host_defence_shares()["bahrain"]
