"""The analysis figures, checked against small sweeps worked out by hand, and `run.py analyse`
on the folders a user can hand it: one run, all failed, a constant parameter or outcome, a
read-only folder, a folder that is not a results folder."""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from wargame.cli.main import main
from wargame.config.experiment import (
    STORED_RESULTS,
    Experiment,
    design_points,
    planned_runs,
)
from wargame.config.loader import load_experiment
from wargame.experiments import analysis
from wargame.experiments.design import design_table, fingerprint, iter_runs, run_ids_at, run_seed
from wargame.experiments.errors import StoreError
from wargame.experiments.report import (
    analyse,
    bars_figure,
    display_table,
    report_folder,
    sensitivity_figure,
    survival_figure,
    text_report,
    write_report,
)
from wargame.experiments.results import load_results
from wargame.experiments.store import ResultStore
from wargame.experiments.sweep import plan_sweep

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 10
LINKED = [2, 4, 4, None, 6]  # collapse rounds; None = the truce held all 10 rounds
INSULATED = [None, None, 8, None]
LINKAGE = "param:levers.mou_linkage"


def hand_sweep() -> pd.DataFrame:
    rows = []
    for setting, collapses in (("linked", LINKED), ("insulated", INSULATED)):
        for replicate, collapse in enumerate(collapses):
            rows.append(
                {
                    "run_id": f"{setting}-{replicate}",
                    "point": 0 if setting == "linked" else 1,
                    "replicate": replicate,
                    "seed": replicate,
                    LINKAGE: setting,
                    "mou_collapsed_round": collapse,
                    "host_damage": float(replicate + 1) if setting == "linked" else 0.0,
                    "highest_rung": 5 if collapse else 3,
                    "status": "ok",
                    "error": None,
                }
            )
    rows.append(  # the fifth insulated replicate, which failed
        {
            **rows[0],
            "run_id": "broken",
            "point": 1,
            LINKAGE: "insulated",
            "replicate": 4,
            "status": "error",
            "error": "boom",
            "mou_collapsed_round": None,
            "host_damage": None,
        }
    )
    return pd.DataFrame(rows)


def grid_experiment(parameters: dict | None = None, **changes) -> dict:
    return {
        "name": "hand",
        "base_scenario": "x.yaml",
        "rounds": ROUNDS,
        "replicates": 5,
        "root_seed": 1,
        "parameters": parameters or {"levers.mou_linkage": ["linked", "insulated"]},
        "outcomes": ["mou_collapsed_round", "host_damage", "highest_rung"],
        "output": "results",
        **changes,
    }


def manifest_of(experiment: dict, **changes) -> dict:
    """The manifest a sweep writes for `experiment` (its base scenario need not exist)."""
    valid = Experiment.model_validate(experiment, context=STORED_RESULTS)
    return {
        "experiment_file": "/nowhere/experiment.yaml",
        "experiment_text": yaml.safe_dump(experiment, sort_keys=False),
        "base_scenario": str(ROOT / "tests" / "no_such_base.yaml"),
        "planned_runs": planned_runs(valid),
        "points": design_points(valid),
        "packages": {},
        "git_commit": None,
        **changes,
    }


def with_run_ids(experiment: dict, runs: pd.DataFrame) -> pd.DataFrame:
    """Each run's id and seed as the sweep gives them from its point and replicate."""
    valid = Experiment.model_validate(experiment, context=STORED_RESULTS)
    pairs = list(zip(runs["point"].tolist(), runs["replicate"].tolist(), strict=True))
    return runs.assign(
        run_id=run_ids_at(valid, design_table(valid), pairs),
        seed=[run_seed(valid.root_seed, p * valid.replicates + r) for p, r in pairs],
    )


def as_records(runs: pd.DataFrame) -> list[dict]:
    """Rows as a worker writes them: missing values are None, not NaN."""
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in runs.to_dict("records")
    ]


def results_folder(folder: Path, experiment: dict, runs: pd.DataFrame, **manifest) -> Path:
    """A results folder as a sweep leaves it: manifest, design and one runs part, each run
    with the id the sweep would give it."""
    store = ResultStore(folder)
    store.open(
        "0123456789abcdef",
        manifest_of(experiment, **manifest),
        pd.DataFrame({"point": [0]}),
        fresh=False,
    )
    if not runs.empty:
        runs = with_run_ids(experiment, runs)
    records = as_records(runs)
    if records:
        store.write_part(records, [])
    return folder


# --- survival and the per-setting table ------------------------------------------------------


def test_kaplan_meier_matches_the_hand_computation():
    runs = hand_sweep()
    linked = analysis.ok_runs(runs[runs[LINKAGE] == "linked"])
    time, event = analysis.durations(linked, ROUNDS)
    assert time.tolist() == [2, 4, 4, 10, 6] and event.tolist() == [True, True, True, False, True]
    curve = analysis.kaplan_meier(time, event, ROUNDS).set_index("round")
    # S(2) = 4/5; S(4) = 0.8 * (1 - 2/4); S(6) = 0.4 * (1 - 1/2); the held run is censored at 10.
    assert curve.loc[1, "survival"] == 1.0
    assert curve.loc[2, "survival"] == pytest.approx(0.8)
    assert curve.loc[4, "survival"] == pytest.approx(0.4)
    assert curve.loc[6, "survival"] == pytest.approx(0.2)
    assert curve.loc[10, "survival"] == pytest.approx(0.2)
    assert curve.loc[4, "at_risk"] == 4 and curve.loc[6, "at_risk"] == 2
    # Greenwood at t = 4: 1/(5*4) + 2/(4*2) = 0.3; log-log interval around 0.4.
    spread = 1.959963984540054 * math.sqrt(0.3) / abs(math.log(0.4))
    assert curve.loc[4, "low"] == pytest.approx(0.4 ** math.exp(spread))
    assert curve.loc[4, "high"] == pytest.approx(0.4 ** math.exp(-spread))
    assert analysis.median_survival(curve.reset_index()) == 4.0


def exact_bootstrap_interval(values: list[float]) -> tuple[float, float]:
    """The 2.5% and 97.5% points of the exact bootstrap distribution of the mean: every one of
    the n^n equally likely resamples enumerated, no random numbers."""
    means = [sum(sample) / len(values) for sample in itertools.product(values, repeat=len(values))]
    return tuple(np.quantile(means, [0.025, 0.975]))


def test_group_table_matches_the_hand_computation():
    table = analysis.group_table(hand_sweep(), ROUNDS).set_index("levers.mou_linkage")
    linked, insulated = table.loc["linked"], table.loc["insulated"]
    assert linked["runs"] == 5 and insulated["runs"] == 4  # the failed run is left out
    assert linked["truce_held"] == pytest.approx(1 / 5)
    assert insulated["truce_held"] == pytest.approx(3 / 4)
    # Wilson 95% interval for 3 of 4: 0.301 .. 0.954 (a textbook value).
    assert insulated["truce_held_low"] == pytest.approx(0.3006, abs=1e-3)
    assert insulated["truce_held_high"] == pytest.approx(0.9544, abs=1e-3)
    assert linked["median_rounds_to_collapse"] == 4.0
    assert insulated["median_rounds_to_collapse"] is None or math.isnan(
        insulated["median_rounds_to_collapse"]
    )
    # Host damage 1..5: mean 3; the exact bootstrap interval of 3,125 resamples is 1.8 .. 4.2.
    # 2,000 random resamples land within half a step of the 0.2 grid of it (a t interval,
    # 1.61 .. 4.39, would not).
    low, high = exact_bootstrap_interval([1, 2, 3, 4, 5])
    assert (low, high) == pytest.approx((1.8, 4.2))
    assert linked["host_damage"] == pytest.approx(3.0)
    assert linked["host_damage_low"] == pytest.approx(low, abs=0.1)
    assert linked["host_damage_high"] == pytest.approx(high, abs=0.1)
    assert linked["highest_rung"] == pytest.approx((4 * 5 + 3) / 5)
    # Insulated host damage is 0 in every run: the interval is exactly [0, 0].
    assert (insulated["host_damage_low"], insulated["host_damage_high"]) == (0.0, 0.0)


def test_a_skewed_non_negative_outcome_gets_no_negative_bound():
    # The case the issue quotes: 19 of 25 runs at 0, six large values. A t interval went to -0.06.
    values = [0.0] * 19 + [1.0, 1.0, 1.0, 1.0, 1.5, 60.0]  # mean 2.62, as in the issue
    mean, low, high = analysis.mean_interval(values)
    t_half = 2.0639 * np.std(values, ddof=1) / 5
    assert mean - t_half < 0  # the old method's bound, for the record
    assert 0 <= low < mean < high <= max(values)
    # A resample of only zeros has probability (19/25)^25 = 0.1%, under 2.5%: the bootstrap's
    # lower bound is above 0 (a t interval cut at 0 would sit on it).
    assert low > 0
    assert analysis.mean_interval(values) == (mean, low, high)  # seeded: same runs, same report


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.just(0.0), st.floats(0, 1e9, allow_nan=False)), min_size=1, max_size=40)
)
def test_every_mean_interval_lies_within_the_data(values):
    mean, low, high = analysis.mean_interval(values)
    if len(values) == 1:  # one value has no interval: [x, x] would read as certainty
        assert mean == values[0] and math.isnan(low) and math.isnan(high)
        return
    assert min(values) <= low <= high <= max(values)
    tolerance = 1e-9 * max(values)  # the mean of equal floats can differ in the last bit
    assert low - tolerance <= mean <= high + tolerance


def test_every_interval_of_the_table_lies_within_its_settings_runs():
    rng = np.random.default_rng(3)
    rows = []
    for i in range(120):
        rows.append(
            {
                "point": i % 4,
                "status": "ok",
                "param:a": i % 2,
                "param:b": ["x", "y"][i // 2 % 2],
                "mou_collapsed_round": None,
                # mostly zero, occasionally large: the shape of host damage and spend
                "host_damage": float(rng.exponential(30)) if rng.random() < 0.2 else 0.0,
                "interceptor_spend_usd": float(rng.choice([0, 0, 0, 4e8])),
            }
        )
    runs = pd.DataFrame(rows)
    table = analysis.group_table(runs, ROUNDS)
    for _, row in table.iterrows():
        group = runs[(runs["param:a"] == row["a"]) & (runs["param:b"] == row["b"])]
        for name in ("host_damage", "interceptor_spend_usd"):
            assert group[name].min() <= row[f"{name}_low"] <= row[name]
            assert row[name] <= row[f"{name}_high"] <= group[name].max()


# --- constant parameters -----------------------------------------------------------------


def with_constant_parameter(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.assign(**{"param:levers.c2_posture": "fixed_littoral"})


def test_a_constant_parameter_defines_no_setting_and_is_stated_once():
    runs = with_constant_parameter(hand_sweep())
    assert analysis.varying_parameters(runs) == [LINKAGE]
    assert analysis.fixed_parameters(analysis.ok_runs(runs)) == {
        "levers.c2_posture": "fixed_littoral"
    }
    table = analysis.group_table(runs, ROUNDS)
    assert "levers.c2_posture" not in table.columns and len(table) == 2


def test_prim_ignores_a_parameter_that_does_not_vary():
    pytest.importorskip("ema_workbench")
    runs = with_constant_parameter(prim_runs())
    box = analysis.discover_boxes(runs)  # raised KeyError: 'levers.c2_posture'
    assert box is not None
    assert "levers.c2_posture" not in set(box.limits["parameter"])


def test_a_one_value_grid_is_analysed_and_reported(tmp_path):
    experiment = grid_experiment(
        {"levers.c2_posture": ["fixed_littoral"], "levers.mou_linkage": ["linked", "insulated"]}
    )
    folder = results_folder(tmp_path / "results", experiment, with_constant_parameter(hand_sweep()))
    result = analyse(folder)
    text = text_report(result)
    assert "Held fixed in every analysed run: levers.c2_posture=fixed_littoral" in text
    assert "levers.c2_posture" not in display_table(result).columns
    written = {p.name for p in write_report(result)}
    assert {"survival.png", "host_damage.png", "report.html"} <= written


def test_a_single_setting_folder_draws_one_survival_panel(tmp_path):
    runs = hand_sweep()
    runs = runs[runs[LINKAGE] == "linked"]  # a partial folder: one of the two values so far
    folder = results_folder(tmp_path / "results", grid_experiment(), runs)
    result = analyse(folder)
    assert result.fixed == {"levers.mou_linkage": "linked"} and not result.curves
    from matplotlib import pyplot as plt

    figure = survival_figure(result, plt)
    assert len([a for a in figure.axes if a.get_visible()]) == 1
    plt.close(figure)


# --- labels, order and the survival panels ----------------------------------------------


def three_lever_runs() -> pd.DataFrame:
    rows = []
    for i, (posture, linkage, mix) in enumerate(
        itertools.product(["fixed", "afloat"], ["linked", "insulated"], ["point", "laser"])
    ):
        for replicate in range(3):
            rows.append(
                {
                    "run_id": f"{i}-{replicate}",
                    "point": i,
                    "replicate": replicate,
                    "seed": replicate,
                    "param:levers.c2_posture": posture,
                    "param:levers.mou_linkage": linkage,
                    "param:levers.defence_mix": mix,
                    "mou_collapsed_round": None if (i + replicate) % 3 else 3 + i,
                    "host_damage": float(i * replicate),
                    "highest_rung": 3,
                    "status": "ok",
                    "error": None,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def three_levers(tmp_path):
    """The analysis of a 2 x 2 x 2 grid, three runs a setting."""
    experiment = grid_experiment(
        {
            "levers.c2_posture": ["fixed", "afloat"],
            "levers.mou_linkage": ["linked", "insulated"],
            "levers.defence_mix": ["point", "laser"],
        }
    )
    return analyse(results_folder(tmp_path / "results", experiment, three_lever_runs()))


def test_bars_name_their_parameters_in_the_table_order_top_to_bottom(three_levers):
    from matplotlib import pyplot as plt

    result = three_levers
    table = result.groups
    names = [c for c in table.columns if c.startswith("levers.")]  # the table's own order
    assert len(names) == 3
    expected = [
        ", ".join(f"{name}={value}" for name, value in zip(names, row, strict=True))
        for row in table[names].itertuples(index=False)
    ]
    figure = bars_figure(result, plt, "host_damage", "Host damage", "host damage")
    figure.canvas.draw()
    labels = figure.axes[0].get_yticklabels()
    top_to_bottom = [t.get_text() for t in sorted(labels, key=lambda t: -t.get_window_extent().y0)]
    assert top_to_bottom == expected
    plt.close(figure)


def test_survival_has_one_panel_per_setting_with_the_overall_curve_in_grey(three_levers):
    from matplotlib import pyplot as plt

    result = three_levers
    figure = survival_figure(result, plt)
    panels = [a for a in figure.axes if a.get_visible()]
    assert len(panels) == 8
    titles = [a.get_title() for a in panels]
    for (setting, runs, _), title in zip(result.curves, titles, strict=True):
        for name, value in setting.items():
            assert f"{name}={value}" in title
        assert f"({runs} runs)" in title
    for axes in panels:  # every panel: the grey overall curve and this setting's own
        assert [line.get_label() for line in axes.get_lines()] == ["all runs", "this setting"]
    plt.close(figure)


# --- median, PRIM words ------------------------------------------------------------------


def test_a_median_not_reached_is_not_called_held(tmp_path):
    result = analyse(results_folder(tmp_path / "results", grid_experiment(), hand_sweep()))
    column = display_table(result).set_index("levers.mou_linkage")["median days to collapse"]
    assert column["insulated"] == f"not reached (> {ROUNDS} days)"
    assert column["linked"] == "4"
    text = text_report(result)
    assert "held" not in column.to_string()
    assert "does not mean every truce held" in text


def prim_runs() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(400):
        linkage = ["linked", "insulated"][i % 2]
        split = float(rng.random())
        held = linkage == "insulated" and split < 0.5
        rows.append(
            {
                "point": i,
                "replicate": 0,
                "status": "ok",
                "param:levers.mou_linkage": linkage,
                "param:levers.doctrine_split": split,
                "mou_collapsed_round": None if held else 5,
            }
        )
    return pd.DataFrame(rows)


def test_prim_finds_the_setting_where_the_truce_holds():
    pytest.importorskip("ema_workbench")
    box = analysis.discover_boxes(prim_runs())
    assert box is not None and box.density > 0.9 and box.coverage > 0.8
    limits = dict(zip(box.limits["parameter"], box.limits["limit"], strict=True))
    assert limits["levers.mou_linkage"] == "insulated"
    high = float(limits["levers.doctrine_split"].split("..")[1])
    assert 0.4 < high < 0.6


def test_prim_handles_an_integer_parameter():
    pytest.importorskip("ema_workbench")
    rng = np.random.default_rng(0)
    magazine = rng.integers(0, 10, 200)  # an integer parameter beside a real one
    split = rng.random(200)
    held = (magazine >= 6) & (split < 0.5)
    runs = pd.DataFrame(
        {
            "status": "ok",
            "param:levers.doctrine_split": split,
            "param:forces.magazine": magazine,
            "mou_collapsed_round": np.where(held, np.nan, 5.0),
        }
    )
    box = analysis.discover_boxes(runs)  # raised TypeError: Invalid value '5.5' for int64
    assert box is not None and box.density > 0.9
    limits = box.limits.set_index("parameter")["limit"]
    assert 5 <= float(limits["forces.magazine"].split("..")[0]) <= 6


def test_the_prim_box_says_what_coverage_density_and_mass_mean_with_counts():
    pytest.importorskip("ema_workbench")
    runs = prim_runs()
    box = analysis.discover_boxes(runs)
    held = runs["mou_collapsed_round"].isna()
    in_box = runs["param:levers.mou_linkage"].eq("insulated") & runs[
        "param:levers.doctrine_split"
    ].le(
        float(
            box.limits.set_index("parameter").loc["levers.doctrine_split", "limit"].split("..")[1]
        )
    )
    sentence = box.explanation()
    assert (
        f"holds {(held & in_box).sum() / held.sum():.0%} of all runs where the truce held "
        f"({(held & in_box).sum()} of {held.sum()}: coverage)" in sentence
    )
    assert (
        f"truce held in {box.density:.0%} of runs ({(held & in_box).sum()} of {in_box.sum()}: density)"
        in sentence
    )
    assert f"contains {box.mass:.0%} of all runs ({in_box.sum()} of {len(runs)}: mass)" in sentence


# --- sensitivity -------------------------------------------------------------------------


def sobol_experiment(kind: str = "sobol") -> Experiment:
    design = {"kind": kind, "samples": 256 if kind == "sobol" else 20, "seed": 4}
    return Experiment.model_validate(
        {
            "name": "s",
            "base_scenario": "x.yaml",
            "rounds": 10,
            "replicates": 2,
            "root_seed": 1,
            "design": design,
            "parameters": {
                "levers.doctrine_split": {"type": "real", "low": 0, "high": 1},
                "lebanon.mean": {"type": "real", "low": 0, "high": 1},
            },
            "outcomes": ["host_damage", "casualties"],
            "output": "out",
        }
    )


def sampled_runs(experiment: Experiment) -> pd.DataFrame:
    """host_damage driven by doctrine_split alone; casualties 0 in every run."""
    rows = []
    for point in design_table(experiment).itertuples(index=False):
        for replicate in range(2):  # replicates differ by noise that averages out per point
            rows.append(
                {
                    "run_id": f"{point.point}-{replicate}",
                    "point": point.point,
                    "replicate": replicate,
                    "seed": replicate,
                    "param:levers.doctrine_split": point[1],
                    "param:lebanon.mean": point[2],
                    "status": "ok",
                    "host_damage": 10 * point[1] + (0.01 if replicate else -0.01),
                    "casualties": 0,
                }
            )
    return pd.DataFrame(rows)


def test_sobol_indices_find_the_parameter_that_drives_the_outcome():
    experiment = sobol_experiment()
    indices = analysis.sensitivity(sampled_runs(experiment), experiment, ["host_damage"]).set_index(
        "parameter"
    )
    assert indices.loc["levers.doctrine_split", "ST"] == pytest.approx(1.0, abs=0.1)
    assert indices.loc["levers.doctrine_split", "S1"] == pytest.approx(1.0, abs=0.1)
    assert abs(indices.loc["lebanon.mean", "ST"]) < 0.05
    assert (indices["note"] == "").all()  # estimates within [0, 1]: no caveat


def test_sobol_estimates_far_outside_0_1_are_flagged_as_noise():
    impossible = {"S1": np.array([0.15, -0.24]), "ST": np.array([2.05, 0.3])}
    note = analysis.out_of_range_note(impossible)
    assert "ST = 2.05" in note and "raise design.samples" in note
    negative = {"S1": np.array([-0.84, 0.1]), "ST": np.array([0.9, 0.3])}
    assert "S1 = -0.84" in analysis.out_of_range_note(negative)
    # Sampling noise just past the ends is normal for Sobol estimators: no caveat.
    noisy = {"S1": np.array([-0.08, 0.5]), "ST": np.array([1.07, 0.6])}
    assert analysis.out_of_range_note(noisy) == ""


@pytest.mark.parametrize("kind", ["sobol", "morris"])
def test_indices_of_a_constant_outcome_read_undefined_everywhere(tmp_path, kind):
    experiment = sobol_experiment(kind)
    indices = analysis.sensitivity(sampled_runs(experiment), experiment, ["casualties"])
    assert (indices["note"] == analysis.UNDEFINED).all()
    assert indices.drop(columns=["outcome", "parameter", "note"]).isna().all().all()  # not 0
    folder = results_folder(
        tmp_path / "results",
        json.loads(experiment.model_dump_json()),
        sampled_runs(experiment),
    )
    result = analyse(folder)
    text = text_report(result)
    casualty_lines = [line for line in text.splitlines() if line.lstrip().startswith("casualties")]
    assert len(casualty_lines) == 2 and all(analysis.UNDEFINED in line for line in casualty_lines)
    write_report(result)
    csv = pd.read_csv(folder / "report" / "sensitivity.csv")
    casualties = csv[csv["outcome"] == "casualties"]
    assert (casualties["note"] == analysis.UNDEFINED).all()
    assert analysis.UNDEFINED in (folder / "report" / "report.html").read_text()
    from matplotlib import pyplot as plt

    figure = sensitivity_figure(result, plt)
    panel = next(a for a in figure.axes if a.get_title() == "casualties")
    assert [t.get_text() for t in panel.texts] == [analysis.UNDEFINED]
    plt.close(figure)


@pytest.mark.parametrize(("kind", "measures"), [("sobol", ["S1", "ST"]), ("morris", ["mu_star"])])
def test_sensitivity_bars_carry_their_confidence(kind, measures, tmp_path):
    from matplotlib import pyplot as plt
    from matplotlib.container import BarContainer

    experiment = sobol_experiment(kind)
    folder = results_folder(
        tmp_path / "results", json.loads(experiment.model_dump_json()), sampled_runs(experiment)
    )
    result = analyse(folder)
    figure = sensitivity_figure(result, plt)
    panel = next(a for a in figure.axes if a.get_title() == "host_damage")
    bars = [c for c in panel.containers if isinstance(c, BarContainer)]
    assert [b.get_label() for b in bars] == measures
    indices = result.sensitivity[result.sensitivity["outcome"] == "host_damage"]
    for bar, measure in zip(bars, measures, strict=True):
        assert bar.errorbar is not None
        segments = bar.errorbar.lines[2][0].get_segments()
        half_widths = [abs(s[1][0] - s[0][0]) / 2 for s in segments]
        assert half_widths == pytest.approx(indices[f"{measure}_conf"].tolist())
    plt.close(figure)


# --- types of the runs table -----------------------------------------------------------


def test_object_typed_outcomes_are_converted_not_dropped():
    runs = hand_sweep()
    runs["host_damage"] = (
        runs["host_damage"].map(lambda v: None if pd.isna(v) else str(v)).astype(object)
    )
    runs["mou_collapsed_round"] = runs["mou_collapsed_round"].astype(object)
    runs["highest_rung"] = ["high"] + runs["highest_rung"].tolist()[1:]  # not numbers
    frame, problems = analysis.numeric_outcomes(
        runs, ["host_damage", "mou_collapsed_round", "highest_rung", "casualties"]
    )
    assert frame["host_damage"].dtype == float and frame["host_damage"].sum() == 15.0
    assert set(problems) == {"highest_rung", "casualties"}
    assert "not numbers" in problems["highest_rung"] and "'high'" in problems["highest_rung"]


def test_an_outcome_that_is_not_numbers_is_named_in_the_report(tmp_path):
    runs = hand_sweep()
    runs["highest_rung"] = runs["highest_rung"].map(lambda r: f"rung {r}")
    result = analyse(results_folder(tmp_path / "results", grid_experiment(), runs))
    text = text_report(result)
    assert "outcome `highest_rung` cannot be analysed" in text
    assert "host damage" in display_table(result).columns  # the others are still there


# --- the whole command -------------------------------------------------------------------


def test_analyse_writes_tables_plots_and_one_self_contained_report(tmp_path):
    folder = results_folder(tmp_path / "results", grid_experiment(), hand_sweep())
    result = analyse(folder)
    text = text_report(result)
    assert "truce held" in text and "1 run failed and is left out" in text
    assert "linked" in text and "insulated" in text
    assert "percentile bootstrap" in text
    written = {p.name for p in write_report(result)}
    assert {"survival.png", "host_damage.png", "per_setting.csv", "report.html"} <= written
    report = (folder / "report" / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 2 and "<table" in report
    assert "percentile bootstrap" in report
    assert "src='http" not in report and 'src="http' not in report  # nothing fetched from outside
    per_setting = pd.read_csv(folder / "report" / "per_setting.csv")
    assert per_setting["runs"].tolist() == [4, 5]
    assert json.loads((folder / "manifest.json").read_text())["fingerprint"] == "0123456789abcdef"


def test_one_run_is_analysed(tmp_path, capsys):
    runs = hand_sweep().iloc[[1]]
    folder = results_folder(tmp_path / "results", grid_experiment(), runs)
    assert main(["analyse", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "1 run (0 failed)" in out and "2 (1 run: no interval)" in out  # host damage 2
    assert (folder / "report" / "survival.png").stat().st_size > 0


def test_all_runs_failed_says_so_and_draws_nothing(tmp_path, capsys):
    runs = hand_sweep().assign(status="error", error="scenario exploded")
    folder = results_folder(tmp_path / "results", grid_experiment(), runs)
    assert main(["analyse", str(folder)]) != 0
    err = capsys.readouterr().err
    assert (
        "no successful runs" in err and "all 10 runs failed" in err and "scenario exploded" in err
    )
    assert not (folder / "report").exists()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda tmp: tmp / "missing", "no such folder"),
        (lambda tmp: (tmp / "file.txt").write_text("x") and tmp / "file.txt", "not a folder"),
        (lambda tmp: (tmp / "plain").mkdir() or tmp / "plain", "not a results folder"),
        (
            lambda tmp: (
                (tmp / "bad").mkdir()
                or (tmp / "bad" / "manifest.json").write_text("{")
                and tmp / "bad"
            ),
            "unreadable manifest",
        ),
        (
            lambda tmp: results_folder(tmp / "empty", grid_experiment(), pd.DataFrame()),
            "holds no finished runs yet",
        ),
    ],
    ids=["missing", "a file", "not results", "bad manifest", "empty runs"],
)
def test_folders_that_hold_nothing_to_analyse_exit_2_with_a_message(
    tmp_path, capsys, make, expected
):
    folder = make(tmp_path)
    assert main(["analyse", str(folder)]) == 2
    err = capsys.readouterr().err
    assert expected in err and str(folder) in err


def test_a_report_path_in_the_way_is_refused_before_computing(tmp_path):
    folder = results_folder(tmp_path / "results", grid_experiment(), hand_sweep())
    (folder / "report").write_text("not a folder")
    with pytest.raises(StoreError, match="--report DIR"):
        report_folder(folder)
    assert report_folder(folder, tmp_path / "elsewhere" / "r") == tmp_path / "elsewhere" / "r"


def read_only_command(folder: Path, *args: str) -> list[str]:
    """`run.py analyse` on `folder` made read-only: by permissions for an ordinary user; for root
    (whom permissions do not stop) by a read-only bind mount in a private mount namespace."""
    command = [sys.executable, "run.py", "analyse", str(folder), *args]
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return command
    if not shutil.which("unshare"):
        pytest.skip("running as root without unshare: cannot make a read-only folder")
    quoted = " ".join(f"'{c}'" for c in command)
    return [
        "unshare",
        "-m",
        "sh",
        "-c",
        f"mount --bind '{folder}' '{folder}' && mount -o remount,ro,bind '{folder}' '{folder}' "
        f"&& exec {quoted}",
    ]


@pytest.mark.slow  # starts run.py sweep and analyse: the fast tier's time, CI runs it
def test_a_read_only_results_folder_exits_2_and_offers_report_dir(tmp_path):
    folder = results_folder(tmp_path / "results", grid_experiment(), hand_sweep())
    try:
        done = subprocess.run(
            read_only_command(folder), cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        if "mount" in done.stderr and done.returncode != 2:
            pytest.skip(f"cannot mount read-only here: {done.stderr.strip()}")
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert f"{folder / 'report'}: cannot write the report here" in done.stderr
        assert "--report DIR" in done.stderr
        assert "Outcomes per setting" not in done.stdout  # refused before computing
        elsewhere = tmp_path / "report-elsewhere"
        done = subprocess.run(
            read_only_command(folder, "--report", str(elsewhere)),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert (elsewhere / "report.html").is_file() and not (folder / "report").exists()
    finally:
        folder.chmod(0o755)


# --- a results folder is checked against its manifest -------------------------------------


def good_manifest(tmp_path) -> tuple[Path, dict]:
    folder = results_folder(tmp_path / "results", grid_experiment(), hand_sweep())
    return folder, json.loads((folder / "manifest.json").read_text())


def text_cut_at(text: str, fraction: float) -> str:
    return text[: int(len(text) * fraction)]


MANIFEST_DAMAGE = {
    # every key missing, and every key of a wrong type
    **{
        f"missing_{key}": (lambda m, key=key: m.pop(key) and m)
        for key in manifest_of(grid_experiment())
    },
    **{
        f"{key}_is_{kind}": (lambda m, key=key, value=value: m.update({key: value}) or m)
        for key in (
            "experiment_text",
            "base_scenario",
            "planned_runs",
            "points",
            "packages",
            "fingerprint",
            "experiment_file",
        )
        for kind, value in (("list", [1]), ("null", None), ("bool", True), ("text", "12"))
        if kind != "text" or key not in ("base_scenario", "experiment_file")  # "12" is a name
    },
    "planned_runs_float": lambda m: m.update(planned_runs=10.0) or m,
    "planned_runs_wrong": lambda m: m.update(planned_runs=11) or m,
    "points_wrong": lambda m: m.update(points=3) or m,
    "fingerprint_not_hex": lambda m: m.update(fingerprint="zz" * 8) or m,
    "text_not_yaml": lambda m: m.update(experiment_text="name: [broken") or m,
    "text_a_list": lambda m: m.update(experiment_text="- 1\n- 2\n") or m,
    "text_a_scenario": lambda m: (
        m.update(experiment_text=(ROOT / "configs" / "scenarios" / "gulf_2026.yaml").read_text())
        or m
    ),
    "text_bad_field": lambda m: (
        m.update(experiment_text=m["experiment_text"].replace("rounds: 10", "rounds: -1")) or m
    ),
    "text_empty": lambda m: m.update(experiment_text="") or m,
    "text_huge": lambda m: m.update(experiment_text="x" * (5 * 2**20)) or m,
    "text_alias_bomb": lambda m: (
        m.update(
            experiment_text="a: &a [x,x,x,x,x,x,x,x,x]\n"
            + "".join(
                f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            )
        )
        or m
    ),
    "text_other_experiment": lambda m: (
        m.update(experiment_text=(ROOT / "configs" / "sweeps" / "policy_levers.yaml").read_text())
        or m
    ),
    "text_rounds_edited": lambda m: (
        m.update(experiment_text=m["experiment_text"].replace("rounds: 10", "rounds: 5")) or m
    ),
}


@pytest.mark.parametrize("damage", sorted(MANIFEST_DAMAGE), ids=str)
def test_every_damaged_manifest_exits_2_naming_the_manifest(tmp_path, capsys, damage):
    folder, manifest = good_manifest(tmp_path)
    (folder / "manifest.json").write_text(json.dumps(MANIFEST_DAMAGE[damage](manifest)))
    assert main(["analyse", str(folder)]) == 2  # an uncaught exception fails the test instead
    err = capsys.readouterr().err
    assert f"{folder / 'manifest.json'}:" in err and "Traceback" not in err
    assert not (folder / "report").exists()


@pytest.mark.parametrize("cut", [i / 23 for i in range(23)])
def test_a_manifest_truncated_anywhere_exits_2(tmp_path, capsys, cut):
    folder, manifest = good_manifest(tmp_path)
    text = json.dumps(manifest)
    (folder / "manifest.json").write_text(text_cut_at(text, cut))
    assert main(["analyse", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "manifest" in err and str(folder) in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [("[1, 2", "unreadable manifest"), ("[1, 2]", "expected a JSON object"), ("[" * 100_000, "")],
    ids=["not json", "a list", "nested deep"],
)
def test_a_manifest_that_is_not_an_object_exits_2(tmp_path, capsys, text, expected):
    folder, _ = good_manifest(tmp_path)
    (folder / "manifest.json").write_text(text)
    assert main(["analyse", str(folder)]) == 2
    assert expected in capsys.readouterr().err


def foreign_runs() -> pd.DataFrame:
    """Runs of the same grid under another root seed: not runs of this experiment."""
    other = grid_experiment(root_seed=2)
    return with_run_ids(other, hand_sweep().iloc[:3])


def test_runs_copied_in_from_another_sweep_are_left_out_and_named(tmp_path, capsys):
    folder = results_folder(tmp_path / "results", grid_experiment(), hand_sweep())
    (own,) = (folder / "runs").glob("part-*.parquet")
    schema = pq.read_schema(own)  # as a sweep writes every part: one schema
    ResultStore(folder, runs_schema=schema).write_part(as_records(foreign_runs()), [])
    (foreign,) = {p.name for p in (folder / "runs").glob("part-*.parquet")} - {own.name}
    assert main(["analyse", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Analysis of hand: 10 runs (1 failed)")  # not 13
    assert "3 stored runs are not runs of this experiment" in out and f"runs/{foreign}" in out
    assert "not runs of this experiment" in (folder / "report" / "report.html").read_text()
    assert pd.read_csv(folder / "report" / "per_setting.csv")["runs"].sum() == 9


def test_a_part_of_other_columns_is_named_when_the_parts_cannot_be_merged(tmp_path, capsys):
    folder = results_folder(tmp_path / "results", grid_experiment(), hand_sweep())
    odd = foreign_runs().assign(**{LINKAGE: 1.5})  # a number where this sweep has text
    ResultStore(folder).write_part(as_records(odd), [])
    (part,) = [
        p for p in (folder / "runs").glob("part-*.parquet") if "1.5" in str(pq.read_table(p))
    ]
    assert main(["analyse", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"runs/{part.name} has other columns than the other parts" in err


def test_a_folder_of_another_experiments_runs_is_refused(tmp_path, capsys):
    folder = results_folder(tmp_path / "results", grid_experiment(), hand_sweep())
    manifest = json.loads((folder / "manifest.json").read_text())
    other = grid_experiment({"levers.mou_linkage": ["insulated", "linked"]})  # points swapped
    manifest["experiment_text"] = yaml.safe_dump(other, sort_keys=False)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert main(["analyse", str(folder)]) == 2
    assert "none of the 10 stored runs is a run of the experiment" in capsys.readouterr().err


def test_run_ids_are_recomputed_as_the_sweep_makes_them():
    experiment = sobol_experiment("morris")
    table = design_table(experiment)
    runs = list(iter_runs(experiment, table))
    assert run_ids_at(experiment, table, [(r.point, r.replicate) for r in runs]) == [
        r.run_id for r in runs
    ]


def small_experiment_file(tmp_path) -> Path:
    data = {
        **grid_experiment({"levers.doctrine_split": [0, 1]}),  # ints in a number field
        "base_scenario": str(ROOT / "configs" / "scenarios" / "gulf_2026.yaml"),
        "replicates": 1,
        "rounds": 3,
        "output": str(tmp_path / "swept"),
        "execution": {"workers": 1},
    }
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_sweeps_folder_checks_out_and_an_edited_base_is_a_warning(tmp_path, capsys):
    path = small_experiment_file(tmp_path)
    plan = plan_sweep(load_experiment(path))
    assert fingerprint(plan.loaded.experiment, plan.loaded.base_data) == plan.fingerprint
    assert main(["sweep", str(path), "--quiet"]) == 0
    capsys.readouterr()
    checked = load_results(tmp_path / "swept")
    assert not checked.warnings and not checked.notes and len(checked.runs) == 2
    manifest_path = tmp_path / "swept" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    base = yaml.safe_load(Path(manifest["base_scenario"]).read_text())
    base["levers"]["doctrine_split"] = 0.3  # the base edited after the sweep
    edited = tmp_path / "edited_base.yaml"
    edited.write_text(yaml.safe_dump(base))
    manifest_path.write_text(json.dumps({**manifest, "base_scenario": str(edited)}))
    result = analyse(tmp_path / "swept")
    assert result.analysed == 2 and "do not match the fingerprint" in result.warnings[0]
    assert "WARNING: the experiment and its base scenario" in text_report(result)
    (tmp_path / "edited_base.yaml").unlink()  # the base gone: checked by run id only
    checked = load_results(tmp_path / "swept")
    assert not checked.warnings and "fingerprint was not checked" in checked.notes[0]
    assert len(checked.runs) == 2  # still checked by run id, with the types the runs table has


def test_an_incomplete_sweep_says_how_much_is_missing(tmp_path):
    runs = hand_sweep()
    runs = runs[(runs["point"] == 0) | (runs["replicate"] < 2)]  # killed: 7 of 10 stored
    folder = results_folder(tmp_path / "results", grid_experiment(), runs)
    result = analyse(folder)
    expected = (
        "INCOMPLETE: 7 of 10 planned runs are stored; the other 3 have not run (run the sweep "
        "again to finish it"
    )
    assert expected in text_report(result)
    assert "Design points with every replicate stored: 1 of 2 (point 0); 1 more with some" in (
        text_report(result)
    )
    write_report(result)
    assert expected in (folder / "report" / "report.html").read_text()
    complete = analyse(results_folder(tmp_path / "all", grid_experiment(), hand_sweep()))
    assert not complete.warnings and "INCOMPLETE" not in text_report(complete)


def test_sensitivity_of_an_incomplete_sweep_is_not_computed(tmp_path):
    experiment = sobol_experiment()
    runs = sampled_runs(experiment)
    runs = runs[runs["point"] < 600]
    folder = results_folder(tmp_path / "r", json.loads(experiment.model_dump_json()), runs)
    result = analyse(folder)
    assert result.sensitivity.drop(columns=["outcome", "parameter", "note"]).isna().all().all()
    assert result.sensitivity["note"].str.contains("the sweep is incomplete").all()
    assert any("424 of 1,024 points have not run yet" in n for n in result.notes)


@pytest.mark.parametrize(
    ("design", "expected"),
    [
        ({"kind": "sobol", "samples": 1}, "a sobol design of 1 base sample"),
        ({"kind": "morris", "samples": 1, "levels": 3}, "a morris design of 1 trajector"),
    ],
)
def test_a_stored_design_too_small_gets_no_indices_and_no_raw_warning(
    tmp_path, recwarn, design, expected
):
    experiment = sobol_experiment(design["kind"])
    experiment = Experiment.model_validate(
        {**json.loads(experiment.model_dump_json()), "design": design}, context=STORED_RESULTS
    )
    folder = results_folder(
        tmp_path / "r", json.loads(experiment.model_dump_json()), sampled_runs(experiment)
    )
    result = analyse(folder)
    write_report(result)
    assert not recwarn.list, [str(w.message) for w in recwarn.list]  # none from SALib
    indices = result.sensitivity
    assert indices.drop(columns=["outcome", "parameter", "note"]).isna().all().all()
    assert (indices["note"].str.startswith(f"not computed: {expected}")).all()
    text = text_report(result)
    assert "(refused for new sweeps)" in text
    if design.get("levels") == 3:
        assert "3 levels, an odd number" in text


@pytest.mark.parametrize(
    ("design", "field", "expected"),
    [
        ({"kind": "sobol", "samples": 4}, "design.samples", "at least 8 are needed"),
        ({"kind": "morris", "samples": 4}, "design.samples", "at least 5 are needed"),
        ({"kind": "morris", "samples": 5, "levels": 3}, "design.levels", "an even number"),
    ],
)
def test_designs_too_small_or_odd_are_refused_before_a_sweep(design, field, expected):
    data = {**json.loads(sobol_experiment().model_dump_json()), "design": design}
    with pytest.raises(ValidationError) as error:
        Experiment.model_validate(data)
    assert f"{field}: " in str(error.value) and expected in str(error.value)
    Experiment.model_validate(data, context=STORED_RESULTS)  # results already made: read
