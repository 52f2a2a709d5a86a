"""The analysis figures, checked against small sweeps worked out by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from wargame.config.experiment import Experiment
from wargame.experiments import analysis
from wargame.experiments.design import design_table
from wargame.experiments.report import analyse, text_report, write_report
from wargame.experiments.store import ResultStore

ROUNDS = 10
LINKED = [2, 4, 4, None, 6]  # collapse rounds; None = the truce held all 10 rounds
INSULATED = [None, None, 8, None]


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
                    "param:levers.mou_linkage": setting,
                    "mou_collapsed_round": collapse,
                    "host_damage": float(replicate + 1) if setting == "linked" else 0.0,
                    "highest_rung": 5 if collapse else 3,
                    "status": "ok",
                    "error": None,
                }
            )
    rows.append(
        {
            **rows[0],
            "run_id": "broken",
            "replicate": 9,
            "status": "error",
            "error": "boom",
            "mou_collapsed_round": None,
            "host_damage": None,
        }
    )
    return pd.DataFrame(rows)


def test_kaplan_meier_matches_the_hand_computation():
    runs = hand_sweep()
    linked = analysis.ok_runs(runs[runs["param:levers.mou_linkage"] == "linked"])
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


def test_group_table_matches_the_hand_computation():
    table = analysis.group_table(hand_sweep(), ROUNDS).set_index("levers.mou_linkage")
    linked, insulated = table.loc["linked"], table.loc["insulated"]
    assert linked["runs"] == 5 and insulated["runs"] == 4  # the failed run is left out
    assert linked["truce_held"] == pytest.approx(1 / 5) and insulated[
        "truce_held"
    ] == pytest.approx(3 / 4)
    # Wilson 95% interval for 3 of 4: 0.301 .. 0.954 (a textbook value).
    assert insulated["truce_held_low"] == pytest.approx(0.3006, abs=1e-3)
    assert insulated["truce_held_high"] == pytest.approx(0.9544, abs=1e-3)
    assert linked["median_rounds_to_collapse"] == 4.0
    assert insulated["median_rounds_to_collapse"] is None or math.isnan(
        insulated["median_rounds_to_collapse"]
    )
    # Host damage 1..5: mean 3, sd sqrt(2.5), t(0.975, 4) = 2.7764.
    half = 2.776445105 * math.sqrt(2.5) / math.sqrt(5)
    assert linked["host_damage"] == pytest.approx(3.0)
    assert linked["host_damage_low"] == pytest.approx(3 - half) and linked[
        "host_damage_high"
    ] == pytest.approx(3 + half)
    assert linked["highest_rung"] == pytest.approx((4 * 5 + 3) / 5)


def sobol_experiment() -> Experiment:
    return Experiment.model_validate(
        {
            "name": "s",
            "base_scenario": "x.yaml",
            "rounds": 10,
            "replicates": 2,
            "root_seed": 1,
            "design": {"kind": "sobol", "samples": 256, "seed": 4},
            "parameters": {
                "levers.doctrine_split": {"type": "real", "low": 0, "high": 1},
                "lebanon.mean": {"type": "real", "low": 0, "high": 1},
            },
            "outcomes": ["host_damage"],
            "output": "out",
        }
    )


def test_sobol_indices_find_the_parameter_that_drives_the_outcome():
    experiment = sobol_experiment()
    table = design_table(experiment)
    rows = []
    for point in table.itertuples(index=False):
        for replicate in range(2):  # replicates differ by noise that averages out per point
            rows.append(
                {
                    "point": point.point,
                    "replicate": replicate,
                    "status": "ok",
                    "host_damage": 10 * point[1] + (0.01 if replicate else -0.01),
                }
            )
    indices = analysis.sensitivity(pd.DataFrame(rows), experiment, ["host_damage"]).set_index(
        "parameter"
    )
    assert indices.loc["levers.doctrine_split", "ST"] == pytest.approx(1.0, abs=0.1)
    assert indices.loc["levers.doctrine_split", "S1"] == pytest.approx(1.0, abs=0.1)
    assert abs(indices.loc["lebanon.mean", "ST"]) < 0.05


def test_prim_finds_the_setting_where_the_truce_holds():
    pytest.importorskip("ema_workbench")
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
    box = analysis.discover_boxes(pd.DataFrame(rows))
    assert box is not None and box.density > 0.9 and box.coverage > 0.8
    limits = dict(zip(box.limits["parameter"], box.limits["limit"], strict=True))
    assert limits["levers.mou_linkage"] == "insulated"
    high = float(limits["levers.doctrine_split"].split("..")[1])
    assert 0.4 < high < 0.6


def test_analyse_writes_tables_plots_and_one_self_contained_report(tmp_path):
    folder = tmp_path / "results"
    store = ResultStore(folder)
    experiment = {
        "name": "hand",
        "base_scenario": "x.yaml",
        "rounds": ROUNDS,
        "replicates": 5,
        "root_seed": 1,
        "parameters": {"levers.mou_linkage": ["linked", "insulated"]},
        "outcomes": ["mou_collapsed_round", "host_damage", "highest_rung"],
        "output": "results",
    }
    store.open(
        "f",
        {"experiment_text": yaml.safe_dump(experiment)},
        pd.DataFrame({"point": [0, 1]}),
        fresh=False,
    )
    records = [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in hand_sweep().to_dict("records")
    ]  # as a worker writes them: missing values are None, not NaN
    store.write_part(records, [])
    result = analyse(folder)
    text = text_report(result)
    assert "truce held" in text and "1 runs failed" in text.replace("(1 failed)", "")
    assert "linked" in text and "insulated" in text
    written = {p.name for p in write_report(result)}
    assert {"survival.png", "host_damage.png", "per_setting.csv", "report.html"} <= written
    report = (folder / "report" / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 2 and "<table" in report
    assert "src='http" not in report and 'src="http' not in report  # nothing fetched from outside
    per_setting = pd.read_csv(folder / "report" / "per_setting.csv")
    assert per_setting["runs"].tolist() == [4, 5]
    assert json.loads((folder / "manifest.json").read_text())["fingerprint"] == "f"
