"""`run.py calibrate`: the patterns read from a run, the rejection rule, the paired lever
comparison, the arms' shared design, bad flags, and the whole command's determinism."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from wargame.cli.main import main
from wargame.config.loader import load_experiment, load_scenario
from wargame.config.overrides import apply_overrides
from wargame.config.schema import Scenario
from wargame.experiments import calibration_spec as spec
from wargame.experiments.calibration import pattern_summary, point_statistics
from wargame.experiments.calibration_arms import Settings, write_experiments
from wargame.experiments.calibration_levers import lever_effects, lever_sentences
from wargame.experiments.calibration_spec import ARMS, PRIORS, VALIDATION
from wargame.experiments.design import design_table
from wargame.experiments.patterns import (
    calm_transits,
    first_night_casualties,
    peak_transits,
    reported_fall,
)
from wargame.experiments.store import ResultStore

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "configs" / "scenarios" / "gulf_2026.yaml"

# One run that reproduces every validation pattern (inside every window), as a runs row.
GOOD_RUN = {
    "loop_in_order": True,
    "intercepted_ballistic": 93,
    "launched_ballistic": 100,
    "intercepted_drone": 94,
    "launched_drone": 100,
    "first_host_strike_casualties": 0,
    "transits_calm_per_day": 100.0,
    "transits_peak_per_day": 5.0,
    "interceptor_spend_usd": 50e6,
    "attacker_spend_usd": 1e6,
    "cost_exchange": 50.0,
    "interceptor_spend_drone_usd": 8e6,
    "attacker_spend_drone_usd": 40e3,
    "cost_exchange_drone": 200.0,
    "transits_fall_under_reported_attacks": 0.45,
}


def runs_frame(points: dict[int, dict]) -> pd.DataFrame:
    """Three runs per point, each GOOD_RUN with the point's changes."""
    rows = [
        {"point": point, "replicate": r, **GOOD_RUN, **changes}
        for point, changes in points.items()
        for r in range(3)
    ]
    return pd.DataFrame(rows)


def arm_tables(points: dict[int, dict]) -> dict[str, pd.DataFrame]:
    """The free runs and the scripted arms' runs of the same points, all GOOD_RUN with the
    point's changes (the scripted arms have no attack on a ship by the IRGC, so no peak)."""
    calm = runs_frame(points).assign(transits_peak_per_day=None)
    return {"baseline": runs_frame(points), spec.CALM_ARM: calm, spec.RED_SEA_ARM: calm}


# --------------------------------------------------------------------------- per-run patterns


def test_peak_is_the_lowest_weekly_mean_after_the_first_attack():
    rounds = np.arange(1, 41)
    transits = np.full(40, 100.0)
    transits[19:26] = 4.0  # a week at 4 a day from round 20 on
    transits[5] = 0.0  # one empty day before the war counts for calm, not for the peak
    assert peak_transits(transits, rounds, first_attack=15) == pytest.approx(4.0)
    assert peak_transits(transits, rounds, first_attack=None) is None
    assert peak_transits(transits, rounds, first_attack=38) is None  # fewer than 7 days left
    # Calm: rounds 5..14 (after the lanes fill, before the attack), one of them empty.
    assert calm_transits(transits, rounds, first_attack=15) == pytest.approx(900 / 10)


def test_the_red_sea_fall_is_the_settled_level_under_reported_attacks_over_the_calm():
    rounds = np.arange(1, 41)
    transits = np.full(40, 100.0)
    transits[:4] = 10.0  # the lanes fill: not calm
    transits[10:14] = 0.0  # rounds 11-14: ships under way pause at the first reports
    transits[18:25] = 40.0  # rounds 19-25: the level traffic settles at under the reports
    assert reported_fall(transits, rounds, list(range(11, 26))) == pytest.approx(0.4)
    assert reported_fall(transits, rounds, []) is None
    assert reported_fall(transits, rounds, [6, 7, 8, 9, 10, 11, 12]) is None  # < 3 calm days
    assert reported_fall(transits, rounds, list(range(11, 16))) is None  # < 7 days of reports


def test_first_night_counts_only_the_first_host_strike_round():
    event = lambda rnd, phase, deaths: SimpleNamespace(  # noqa: E731
        round=rnd, phase=phase, figures={"casualties": deaths}
    )
    events = [event(4, 1, 9), event(7, 3, 2), event(7, 3, 1), event(9, 3, 5)]
    assert first_night_casualties(events, 7) == 3
    assert first_night_casualties(events, None) is None


# --------------------------------------------------------------------------- rejection


def test_a_point_is_accepted_only_when_every_validation_pattern_holds():
    broken = {
        "bm_interception": {"intercepted_ballistic": 81},
        "uav_interception": {"intercepted_drone": 79},
        "loop_order": {"loop_in_order": False},
        "first_night_casualties": {"first_host_strike_casualties": 4},
        "transits_calm": {"transits_calm_per_day": 40.0},
        "transits_peak": {"transits_peak_per_day": 95.0},
        "red_sea_fall": {"transits_fall_under_reported_attacks": 0.9},
        # All kinds pooled would pass (50): the pattern reads the drones' own ratio (500).
        "cost_exchange": {"interceptor_spend_drone_usd": 20e6},
    }
    assert set(broken) == {p.key for p in VALIDATION}
    points = {0: {}, **{i + 1: changes for i, changes in enumerate(broken.values())}}
    stats = point_statistics(arm_tables(points)).set_index("point")
    assert stats.loc[0, "accepted"]
    for i, key in enumerate(broken, start=1):
        assert not stats.loc[i, "accepted"], key
        assert not stats.loc[i, f"ok:{key}"], key
        # ... and only that pattern fails.
        others = [p.key for p in VALIDATION if p.key != key]
        assert stats.loc[i, [f"ok:{k}" for k in others]].all(), key


def test_a_pattern_with_no_run_to_measure_it_is_not_reproduced():
    # No ship attacked in any seed: there is no peak, so the war's pattern is not met.
    stats = point_statistics(arm_tables({0: {"transits_peak_per_day": None}}))
    assert not stats.loc[0, "ok:transits_peak"]
    assert not stats.loc[0, "accepted"]


def test_peacetime_transits_are_read_on_the_calm_arm_not_the_free_runs():
    # The free runs attack a ship while the lanes still fill (~65 a day); the calm arm, the
    # same points with the war scripted away, carries ~100 a day: the reference is peacetime.
    free = runs_frame({0: {"transits_calm_per_day": 65.0}, 1: {"transits_calm_per_day": 100.0}})
    calm = runs_frame({0: {"transits_calm_per_day": 100.0}, 1: {"transits_calm_per_day": 65.0}})
    red_sea = runs_frame({0: {}, 1: {}})
    arms = {"baseline": free, spec.CALM_ARM: calm, spec.RED_SEA_ARM: red_sea}
    stats = point_statistics(arms).set_index("point")
    assert stats.loc[0, "transits_calm"] == pytest.approx(100.0)
    assert stats.loc[0, "ok:transits_calm"] and stats.loc[0, "accepted"]
    assert not stats.loc[1, "ok:transits_calm"] and not stats.loc[1, "accepted"]
    # A point the calm arm did not run is not reproduced (never filled in from the free runs),
    # nor the Red Sea's fall without its arm.
    alone = point_statistics({"baseline": free}).set_index("point")
    assert not alone["ok:transits_calm"].any() and not alone["ok:red_sea_fall"].any()
    # The other patterns still read the free runs: no peak in the calm arm, yet point 0 passes.
    assert stats.loc[0, "ok:transits_peak"]


def test_lever_effects_are_paired_differences_point_by_point():
    def arm(survival_by_point):
        rows = [
            {
                "point": p,
                "truce_held": r < round(3 * s),
                "host_damage": 10.0 * (1 - s),
                "interceptor_spend_usd": 40.0,
                "attacker_spend_usd": 1.0,
            }
            for p, s in survival_by_point.items()
            for r in range(3)
        ]
        return pd.DataFrame(rows)

    base = {0: 0.0, 1: 1 / 3, 2: 2 / 3}
    tables = {name: arm(base) for name in ARMS}
    tables["insulated_mou"] = arm({0: 1 / 3, 1: 2 / 3, 2: 1.0})  # better at every point
    tables["c2_afloat"] = arm({0: 0.0, 1: 0.0, 2: 1 / 3})  # worse at two, equal at one
    effects = lever_effects(tables, np.array([0, 1, 2]))
    better = effects["insulated_mou"]["truce_survival"]
    assert better["diff_mean"] == pytest.approx(1 / 3)
    assert better["share_helped"] == 1.0
    # Every set gains exactly 1/3: the mean is sure, so its bootstrap interval is a point.
    assert better["diff_ci_low"] == pytest.approx(1 / 3) == better["diff_ci_high"]
    worse = effects["c2_afloat"]["truce_survival"]
    assert worse["share_helped"] == 0.0 and worse["share_hurt"] == pytest.approx(2 / 3)
    assert worse["diff_mean"] == pytest.approx(-2 / 9)
    sentences = lever_sentences(effects)
    assert any(s.startswith("Insulating") and "truce survival holds (" in s for s in sentences)
    assert any(s.startswith("Moving C2") and "truce survival fails" in s for s in sentences)
    assert any(
        s.startswith("Directed") and "survival makes little difference" in s for s in sentences
    )


# --------------------------------------------------------------------------- the arms


def test_priors_are_valid_scenario_values_at_both_ends():
    base = load_scenario(SCENARIO).model_dump(mode="json")
    for prior in PRIORS:
        for value in (prior.low, prior.high):
            Scenario.model_validate(apply_overrides(base, {prior.path: value}))


def test_every_arm_runs_the_same_parameter_sets_with_its_own_levers(tmp_path):
    settings = Settings(scenario=SCENARIO, runs=2, samples=5, seed=3, out=tmp_path)
    files = write_experiments(settings, load_scenario(SCENARIO))
    behaviour = [prior.path for prior in PRIORS]
    designs = {arm: design_table(load_experiment(files[arm]).experiment) for arm in ARMS}
    for arm, design in designs.items():
        pd.testing.assert_frame_equal(design[behaviour], designs["baseline"][behaviour])
        flipped = {spec.LEVERS[name][0] for name in ARMS[arm]}
        for path, value in spec.LEVERS.values():
            column = design[path]
            assert (column == value).all() == (path in flipped), (arm, path)
    default = load_experiment(files["default"]).experiment
    assert default.replicates == 2 * spec.DEFAULT_RUNS_FACTOR


def test_the_calm_arms_run_the_same_points_and_seeds_with_the_war_scripted_away(tmp_path):
    settings = Settings(scenario=SCENARIO, runs=2, samples=5, seed=3, out=tmp_path)
    scenario = load_scenario(SCENARIO)
    files = write_experiments(settings, scenario)
    behaviour = [prior.path for prior in PRIORS]
    calm = load_experiment(files[spec.CALM_ARM])
    base = load_experiment(files["baseline"])
    pd.testing.assert_frame_equal(
        design_table(calm.experiment)[behaviour], design_table(base.experiment)[behaviour]
    )
    assert calm.experiment.root_seed == base.experiment.root_seed
    assert calm.experiment.replicates == base.experiment.replicates
    default = load_experiment(files[spec.CALM_DEFAULT_ARM])
    assert default.experiment.replicates == 2 * spec.DEFAULT_RUNS_FACTOR
    for loaded in (calm, default):
        injects = {(i["round"], i["actor"], i["action"]) for i in loaded.base_data["injects"]}
        assert injects == {
            (r, actor, action)
            for r in range(1, scenario.clock.rounds + 1)
            for actor, action in spec.CALM_ACTIONS
        }
        # The rest of the scenario is the calibrated one's.
        without = {k: v for k, v in loaded.base_data.items() if k != "injects"}
        assert without == {
            k: v for k, v in scenario.model_dump(mode="json").items() if k != "injects"
        }
    # The Red Sea arm: the calm arm's points, seeds and script, and attacks on shipping
    # reported at 0.4 a day in rounds 11-30 (by nobody in the game).
    red_sea = load_experiment(files[spec.RED_SEA_ARM])
    pd.testing.assert_frame_equal(
        design_table(red_sea.experiment)[behaviour], design_table(base.experiment)[behaviour]
    )
    for loaded in (red_sea, load_experiment(files[spec.RED_SEA_DEFAULT_ARM])):
        injects = loaded.base_data["injects"]
        reported = [i for i in injects if i["kind"] == "shipping_attacks"]
        assert [(i["round"], i["attacks"]) for i in reported] == [(r, 0.4) for r in range(11, 31)]
        assert [i for i in injects if i["kind"] == "action"] == calm.base_data["injects"]
        without = {k: v for k, v in loaded.base_data.items() if k != "injects"}
        assert without == {
            k: v for k, v in scenario.model_dump(mode="json").items() if k != "injects"
        }


def test_the_war_arm_runs_the_war_before_the_mou_at_its_own_values(tmp_path):
    settings = Settings(scenario=SCENARIO, runs=2, samples=5, seed=3, out=tmp_path)
    files = write_experiments(settings, load_scenario(SCENARIO))
    war = load_experiment(files[spec.WAR_ARM])
    assert war.base_path.name == "gulf_2026_war.yaml"
    assert war.experiment.rounds == 32
    assert war.experiment.replicates == 2 * spec.DEFAULT_RUNS_FACTOR
    assert war.base_data["mou"]["start"] == "collapsed"
    assert war.base_data["clock"]["start_date"] == "2026-02-28"


def test_without_a_war_scenario_beside_it_the_bahrain_row_is_not_run(tmp_path):
    alone = tmp_path / "scenario" / "gulf_2026.yaml"
    alone.parent.mkdir()
    alone.write_text(SCENARIO.read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings(scenario=alone, runs=1, samples=2, out=tmp_path / "out")
    assert settings.war_scenario is None
    assert spec.WAR_ARM not in write_experiments(settings, load_scenario(alone))


def test_bahrain_s_counts_are_judged_on_the_war_runs_but_not_in_the_acceptance():
    bahrain = [p for p in spec.PATTERNS if p.number == 5]
    assert {p.key for p in bahrain} == {"bahrain_bm", "bahrain_uav"}
    assert not set(bahrain) & set(VALIDATION)
    runs = pd.DataFrame(
        {"bahrain_intercepted_ballistic": [100, 124], "bahrain_intercepted_drone": [5, 7]}
    )
    by_key = {p.key: pattern_summary(p, runs) for p in bahrain}
    assert by_key["bahrain_bm"]["value"] == pytest.approx(112)
    assert bahrain[0].holds(by_key["bahrain_bm"]["value"])  # 112 of 112
    assert not bahrain[1].holds(by_key["bahrain_uav"]["value"])  # 6 of 186
    assert pattern_summary(bahrain[0], None)["value"] is None


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--runs", "-3"], "--runs must be between 1 and"),
        (["--samples", "0"], "--samples must be between 1 and"),
        (["--workers", "0"], "--workers must be between 1 and"),
    ],
)
def test_bad_sizes_are_refused_with_a_message(flags, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["calibrate", *flags])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_an_unwritable_out_folder_is_refused_before_any_run(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert main(["calibrate", "--out", str(blocker / "report")]) == 2
    err = capsys.readouterr().err
    assert "--out: cannot write to" in err and "Traceback" not in err
    assert main(["calibrate", "--out", str(blocker)]) == 2
    assert "is not a folder" in capsys.readouterr().err


def calibrate_in(folder: Path, workers: int) -> tuple[str, str, dict]:
    command = [sys.executable, str(REPO / "run.py"), "calibrate", "--runs", "1", "--samples"]
    command += ["2", "--seed", "7", "--out", str(folder), "--workers", str(workers), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr
    data = json.loads((folder / "calibration.json").read_text())
    data.pop("seconds")
    return (folder / "calibration.txt").read_text(), (folder / "report.html").read_text(), data


@pytest.mark.slow
def test_calibrate_is_deterministic_for_a_seed_and_size_whatever_the_workers(tmp_path):
    one = calibrate_in(tmp_path / "one", workers=1)
    two = calibrate_in(tmp_path / "two", workers=2)
    assert one[0] == two[0]
    assert one[1] == two[1]
    assert one[2] == two[2]
    text, page, data = one
    for pattern in spec.PATTERNS:
        assert pattern.title in text and pattern.source in page
    assert "input: the scenario sets 10" in text
    # Pattern 5 is judged on the war before the MOU, whatever its verdict.
    assert "war runs reach a host-state strike" in text and "not available" not in text
    assert page.count("src='data:image/png;base64,") == 4 and "http" not in page.split("<body>")[1]
    assert data["points"] == 2 and set(data["levers"]) == set(ARMS)
    # The arms' results folders are ordinary sweeps, which `run.py analyse` can read.
    assert (tmp_path / "one" / "sweeps" / "baseline" / "manifest.json").exists()
    assert (tmp_path / "one" / "sweeps" / spec.WAR_ARM / "manifest.json").exists()
    assert (tmp_path / "one" / "sweeps" / spec.CALM_ARM / "manifest.json").exists()
    assert "shipping.demand.voyage_margin was set from this figure" in text
    # The lever arms run the ensemble's points only, each with the baseline's seeds (paired).
    sweeps = tmp_path / "one" / "sweeps"
    base = ResultStore(sweeps / "baseline").read_runs().set_index(["point", "replicate"])
    ensemble = set(data["accepted_points"]) or set(base.index.get_level_values("point"))
    for arm in spec.LEVER_ARMS:
        runs = ResultStore(sweeps / arm).read_runs().set_index(["point", "replicate"])
        assert set(runs.index.get_level_values("point")) == ensemble
        assert (runs["seed"] == base.loc[runs.index, "seed"]).all()


def test_the_report_says_whether_the_scenario_holds_the_accepted_medians():
    from wargame.experiments.calibration_report import median_sentence

    def row(path, median, scenario, low=0.1, high=0.9):
        return {
            "path": path,
            "accepted_low": low,
            "accepted_high": high,
            "accepted_median": median,
            "scenario": scenario,
        }

    taken = SimpleNamespace(accepted=5, ranges=[row("a.b", 0.5, 0.5), row("c", 0.3, 0.30001)])
    assert "are the accepted medians" in median_sentence(taken)
    moved = SimpleNamespace(accepted=5, ranges=[row("a.b", 0.5, 0.95), row("c", 0.3, 0.3)])
    assert "1 of the scenario's values lie outside the accepted ranges: a.b." in median_sentence(
        moved
    )
    inside = SimpleNamespace(accepted=5, ranges=[row("a.b", 0.5, 0.6)])
    assert "not the accepted medians but lie inside" in median_sentence(inside)
    assert "No set was accepted" in median_sentence(SimpleNamespace(accepted=0, ranges=[]))


def test_a_plain_calibrate_runs_the_documented_default_size(monkeypatch, tmp_path):
    """`run.py calibrate` with no size runs calibration_spec's default, and its help says it."""
    import argparse

    from wargame.cli import main as cli
    from wargame.experiments import calibration

    seen = {}

    def fake(settings, say, progress):
        seen["settings"] = settings
        raise KeyboardInterrupt  # stop before any run

    monkeypatch.setattr(calibration, "calibrate", fake)
    with pytest.raises(KeyboardInterrupt):
        cli.calibrate(cli.build_parser().parse_args(["calibrate", "--out", str(tmp_path)]))
    assert (seen["settings"].runs, seen["settings"].samples) == (
        spec.DEFAULT_RUNS,
        spec.DEFAULT_SAMPLES,
    )
    monkeypatch.setenv("COLUMNS", "400")  # one line per option: no wrap splits the text
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    text = sub.choices["calibrate"].format_help()
    assert f"default {spec.DEFAULT_SAMPLES})" in text and f"default {spec.DEFAULT_RUNS};" in text
