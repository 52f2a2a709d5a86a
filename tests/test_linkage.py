"""Incompatible cost functions: Lebanon only matters to Tehran's compliance when the MOU is linked."""

from __future__ import annotations

import numpy as np
from scipy.stats import mannwhitneyu

from wargame.config.schema import with_lebanon, with_levers
from wargame.experiments.single_run import run_once

ROUNDS = 60
QUIET = {"start": 0.05, "mean": 0.05}
INTENSE = {"start": 0.95, "mean": 0.95}
COMPLIANT = ("comply", "posture")


def irgc_actions(scenario, seed):
    return run_once(scenario, seed, ROUNDS).metrics["irgc_action"].tolist()


def compliance_share(actions):
    return float(np.mean([action in COMPLIANT for action in actions]))


def test_insulated_mou_ignores_lebanon(scenario):
    insulated = with_levers(scenario, mou_linkage="insulated")
    quiet, intense = with_lebanon(insulated, **QUIET), with_lebanon(insulated, **INTENSE)
    for seed in range(25):
        quiet_run = run_once(quiet, seed, ROUNDS)
        intense_run = run_once(intense, seed, ROUNDS)
        # Lebanon itself differs between the two ...
        assert quiet_run.metrics["lebanon"].mean() < intense_run.metrics["lebanon"].mean() - 0.5
        # ... but Iran's every choice, and the MOU, are exactly the same.
        assert (
            quiet_run.metrics["irgc_action"].tolist() == intense_run.metrics["irgc_action"].tolist()
        )
        assert quiet_run.metrics["mou"].tolist() == intense_run.metrics["mou"].tolist()


def test_linked_mou_lets_lebanon_drive_iranian_compliance(scenario):
    linked = with_levers(scenario, mou_linkage="linked")
    quiet, intense = with_lebanon(linked, **QUIET), with_lebanon(linked, **INTENSE)
    seeds = range(60)
    quiet_share = [compliance_share(irgc_actions(quiet, seed)) for seed in seeds]
    intense_share = [compliance_share(irgc_actions(intense, seed)) for seed in seeds]
    assert np.mean(intense_share) < np.mean(quiet_share) - 0.05, (
        np.mean(quiet_share),
        np.mean(intense_share),
    )
    assert mannwhitneyu(quiet_share, intense_share, alternative="greater").pvalue < 0.001
