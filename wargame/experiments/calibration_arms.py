"""The calibration's runs: each arm written as an ordinary experiment file (a Latin hypercube over
`PRIORS`, or the scenario's own values) and run by the sweep engine with its seeds, real worker
processes and Parquet results. An arm may run only some of its hypercube's points (the lever arms
run the accepted ones), each with the seeds it has in the whole design."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from wargame.config.loader import load_experiment, load_scenario
from wargame.config.overrides import get_path
from wargame.config.schema import Scenario
from wargame.experiments.calibration_spec import (
    ARMS,
    CALM_ACTIONS,
    CALM_ARM,
    DEFAULT_ARM,
    DEFAULT_RUNS,
    DEFAULT_RUNS_FACTOR,
    DEFAULT_SAMPLES,
    LEVERS,
    OUTCOMES,
    PRIORS,
    RED_SEA_ARM,
    RED_SEA_ATTACKS_A_DAY,
    RED_SEA_ROUNDS,
    SCRIPTED_ARMS,
    WAR_ARM,
    WAR_SCENARIO,
)
from wargame.experiments.errors import StoreError
from wargame.experiments.outputs import writable_folder_problem


class CalibrationError(Exception):
    """Runs of an arm failed: no report can be made from them."""


@dataclass(frozen=True)
class Settings:
    scenario: Path
    runs: int = DEFAULT_RUNS
    samples: int = DEFAULT_SAMPLES
    seed: int = 0
    out: Path = Path("results/calibration")
    workers: int = 0  # 0 = one per core

    @property
    def war_scenario(self) -> Path | None:
        """The war-before-the-MOU scenario beside the calibrated one, if there is one."""
        path = self.scenario.parent / WAR_SCENARIO
        return path if path.is_file() else None


def check_output(out: Path) -> None:
    """Refuse an output folder that can't be written before any run starts."""
    problem = writable_folder_problem(out, "--out", "writable folder")
    if problem:
        raise StoreError(problem)


def arm_levers(scenario: Scenario, arm: str) -> dict[str, str]:
    """The lever values of an arm: the scenario's own, with the arm's levers flipped."""
    levers = {
        path: str(get_path(scenario.model_dump(mode="json"), path)) for path, _ in LEVERS.values()
    }
    for name in ARMS.get(arm, ()):
        path, value = LEVERS[name]
        levers[path] = value
    return levers


def experiment_data(settings: Settings, scenario: Scenario, arm: str) -> dict[str, Any]:
    """The experiment file of one arm, as data."""
    levers = arm_levers(scenario, arm)
    common = {
        "base_scenario": str(settings.scenario.resolve()),
        "rounds": scenario.clock.rounds,
        "root_seed": settings.seed,
        "outcomes": list(OUTCOMES),
        "output": f"../sweeps/{arm}",
        "execution": {"workers": settings.workers},
    }
    if arm == WAR_ARM:
        war = load_scenario(settings.war_scenario)
        return {
            "name": f"calibrate-{arm}",
            "description": "the war before the MOU at its own values: pattern 5 (Bahrain)",
            **common,
            "base_scenario": str(settings.war_scenario.resolve()),
            "rounds": war.clock.rounds,
            "replicates": settings.runs * DEFAULT_RUNS_FACTOR,
            "design": {"kind": "grid"},
            "parameters": {path: [value] for path, value in arm_levers(war, arm).items()},
        }
    scripted = scripted_arm_of(arm)
    if scripted is not None:
        scenario_file = SCRIPTED_ARMS[scripted][1]
        common["base_scenario"] = str((settings.out / "experiments" / scenario_file).resolve())
    what = f", {SCRIPTED_ARMS[scripted][2]}" if scripted is not None else ""
    if arm == DEFAULT_ARM or arm in DEFAULT_SCRIPTED_ARMS:
        return {
            "name": f"calibrate-{arm}",
            "description": "the scenario's own values: the patterns at the default" + what,
            **common,
            "replicates": settings.runs * DEFAULT_RUNS_FACTOR,
            "design": {"kind": "grid"},
            "parameters": {path: [value] for path, value in levers.items()},
        }
    parameters: dict[str, Any] = {
        prior.path: {"type": "real", "low": prior.low, "high": prior.high} for prior in PRIORS
    }
    # One level per lever: the same hypercube dimensions in every arm, so the same points.
    parameters.update(
        {path: {"type": "categorical", "values": [value]} for path, value in levers.items()}
    )
    return {
        "name": f"calibrate-{arm}",
        "description": f"rejection ABC hypercube, arm {arm}" + what,
        **common,
        "replicates": settings.runs,
        "design": {"kind": "latin_hypercube", "samples": settings.samples, "seed": settings.seed},
        "parameters": parameters,
    }


# The scripted arms at the default values, and the scripted arm each belongs to.
DEFAULT_SCRIPTED_ARMS = {default: arm for arm, (default, _, _) in SCRIPTED_ARMS.items()}


def scripted_arm_of(arm: str) -> str | None:
    """The scripted arm (calm, Red Sea) an arm runs, at its hypercube or its default; None for
    the free arms."""
    if arm in SCRIPTED_ARMS:
        return arm
    return DEFAULT_SCRIPTED_ARMS.get(arm)


def calm_scenario(scenario: Scenario) -> dict[str, Any]:
    """The scenario with the war scripted away, as data: its own injects replaced by the IRGC
    complying and CENTCOM holding and negotiating in every round."""
    data = scenario.model_dump(mode="json")
    data["injects"] = [
        {"round": r, "kind": "action", "actor": actor, "action": action, "note": "calm arm"}
        for r in range(1, scenario.clock.rounds + 1)
        for actor, action in CALM_ACTIONS
    ]
    return data


def red_sea_scenario(scenario: Scenario) -> dict[str, Any]:
    """The calm scenario with attacks on shipping reported at the Red Sea's rate in
    `RED_SEA_ROUNDS` (none by the IRGC: the owners' reaction alone)."""
    data = calm_scenario(scenario)
    data["injects"] += [
        {
            "round": r,
            "kind": "shipping_attacks",
            "attacks": RED_SEA_ATTACKS_A_DAY,
            "note": "Red Sea arm: attacks on shipping reported",
        }
        for r in RED_SEA_ROUNDS
        if r <= scenario.clock.rounds
    ]
    return data


SCRIPTED_SCENARIOS = {CALM_ARM: calm_scenario, RED_SEA_ARM: red_sea_scenario}


def write_experiments(settings: Settings, scenario: Scenario) -> dict[str, Path]:
    folder = settings.out / "experiments"
    folder.mkdir(parents=True, exist_ok=True)
    for arm, (_, file_name, what) in SCRIPTED_ARMS.items():
        text = f"# Written by `run.py calibrate`: the calibrated scenario, {what}.\n"
        text += yaml.safe_dump(SCRIPTED_SCENARIOS[arm](scenario), sort_keys=False)
        (folder / file_name).write_text(text, encoding="utf-8")
    written = {}
    extra = (WAR_ARM,) if settings.war_scenario is not None else ()
    defaults = tuple(default for default, _, _ in SCRIPTED_ARMS.values())
    for arm in (DEFAULT_ARM, *defaults, *ARMS, *SCRIPTED_ARMS, *extra):
        path = folder / f"{arm}.yaml"
        text = "# Written by `run.py calibrate`; `run.py sweep` runs it alone too.\n"
        text += yaml.safe_dump(experiment_data(settings, scenario, arm), sort_keys=False)
        path.write_text(text, encoding="utf-8")
        written[arm] = path
    return written


def run_arms(
    settings: Settings,
    files: dict[str, Path],
    say: Callable[[str], None],
    progress=None,
    points: np.ndarray | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    """Run every arm through the sweep engine; returns each arm's runs table and seconds.
    `points`: run only these points of each arm's hypercube (None: all)."""
    from wargame.experiments.store import ResultStore
    from wargame.experiments.sweep import InProcessExecutor, local_pool, plan_sweep, run_sweep

    tables, seconds = {}, {}
    for arm, path in files.items():
        loaded = load_experiment(path)
        plan = plan_sweep(loaded, points=None if points is None else points.tolist())
        make_executor = (
            InProcessExecutor if plan.workers == 1 else (lambda w=plan.workers: local_pool(w))
        )
        say(f"  {arm}: {plan.total_runs:,} runs on {plan.workers} worker(s)")
        report = run_sweep(plan, make_executor, fresh=True, progress=progress)
        if progress is not None:
            say("")
        if report.interrupted:
            raise KeyboardInterrupt
        runs = ResultStore(loaded.output).read_runs()
        failed = runs[runs["status"] != "ok"]
        if len(failed):
            raise CalibrationError(
                f"arm {arm}: {len(failed)} of {len(runs)} runs failed, e.g. "
                f"{failed['error'].iloc[0]}"
            )
        tables[arm] = runs.sort_values(["point", "replicate"]).reset_index(drop=True)
        seconds[arm] = round(report.seconds, 1)
    return tables, seconds
