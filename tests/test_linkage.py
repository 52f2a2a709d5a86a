"""Incompatible cost functions: Lebanon only matters to Tehran's compliance when the MOU is linked."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from wargame.config.overrides import apply_overrides
from wargame.config.schema import Scenario, with_lebanon, with_levers
from wargame.experiments.single_run import run_once

pytestmark = pytest.mark.slow  # 25 to 60 seeds of 60 rounds per setting

ROUNDS = 60
# Constant fronts (no noise, no flares): Lebanon is quiet or intense by construction, in every
# stream, so the tests compare what the linkage does with it, not what a seed happened to draw.
STILL = {"volatility": 0.0, "flare_probability": 0.0, "flare_size": 0.0}
QUIET = {"start": 0.05, "mean": 0.05, **STILL}
INTENSE = {"start": 0.95, "mean": 0.95, **STILL}
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
        assert set(quiet_run.metrics["lebanon"]) == {0.05}
        assert set(intense_run.metrics["lebanon"]) == {0.95}
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


def returns_to_in_force(scenario, seeds) -> int:
    """Times the MOU stepped back to IN_FORCE over the runs of `seeds` (90 rounds each)."""
    returns = 0
    for seed in seeds:
        mou = run_once(scenario, seed, 90).metrics["mou"].tolist()
        returns += sum(
            a != "IN_FORCE" and b == "IN_FORCE" for a, b in zip(mou[:-1], mou[1:], strict=True)
        )
    return returns


def test_in_force_is_reachable_insulated_and_linkage_makes_it_rare(scenario):
    """Issue 9: 3 returns to IN_FORCE against 160 recoveries from COLLAPSED was mostly an
    artefact: Washington's ledger, fed 0.2 for each round of routine enforcement of the
    mandates (~half the rounds), sat on the strain line linked or not. With that fixed (0.05)
    an insulated MOU recovers and the linked one stays hostage to Lebanon: the thesis.

    Held where the war on shipping is quiet. With the corridor's own costs at their calibrated
    defaults (shipping.inspection_rounds 1.3, sanctions_exposure 0.000947: the accepted medians,
    though no pattern pins them) owners run the TSS branch more, the IRGC strikes the defiant,
    and Washington's ledger keeps even an insulated MOU from IN_FORCE (0 returns in 30 runs,
    linked or insulated): a finding of issue 9, not this test's subject. Measured with the
    corridor free, 30 seeds: 50 returns insulated, 1 linked."""
    quiet = Scenario.model_validate(
        apply_overrides(
            scenario.model_dump(mode="json"),
            {"shipping.inspection_rounds": 0.0, "shipping.sanctions_exposure": 0.0},
        )
    )
    seeds = range(30)
    insulated = returns_to_in_force(with_levers(quiet, mou_linkage="insulated"), seeds)
    linked = returns_to_in_force(with_levers(quiet, mou_linkage="linked"), seeds)
    assert insulated >= 20, insulated
    assert linked * 3 < insulated, (linked, insulated)
