"""The war before the MOU (gulf_2026_war.yaml) and the MOU's starting state (`mou.start`).

The Bahrain Defence Force counts interceptions "since hostilities broke out in late February
2026" (docs/sources.md#S-bahrain-intercepts), before the MOU; the calibration's pattern 5 runs
this scenario to compare with it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from wargame.config.loader import load_scenario
from wargame.config.schema import Scenario
from wargame.engine.model import build_model
from wargame.engine.rules.diplomacy import MouState

SCENARIOS = Path(__file__).resolve().parents[1] / "configs" / "scenarios"
WAR = SCENARIOS / "gulf_2026_war.yaml"
BASE = SCENARIOS / "gulf_2026.yaml"
SHIPPED = ("gulf_2026", "gulf_2026_insulated", "gulf_2026_lebanon_flare", "gulf_2026_path_forward")


def test_the_war_runs_from_28_february_to_the_day_before_the_baseline_starts():
    war, base = load_scenario(WAR), load_scenario(BASE)
    assert war.clock.start_date == dt.date(2026, 2, 28)
    last_day = war.clock.start_date + dt.timedelta(
        hours=war.clock.round_hours * (war.clock.rounds - 1)
    )
    assert last_day == base.clock.start_date - dt.timedelta(days=1)
    assert war.mou.start == "collapsed"


def test_the_war_is_the_baseline_but_for_its_clock_and_the_mou_at_round_one():
    war = load_scenario(WAR).model_dump(mode="json")
    base = load_scenario(BASE).model_dump(mode="json")
    for data in (war, base):
        del data["name"], data["description"], data["clock"]["start_date"]
        del data["clock"]["rounds"], data["mou"]["start"]
        del data["classroom"]  # words for a classroom: the war leaves the library (null)
    assert war == base


def test_the_world_starts_with_the_scenario_s_mou_state():
    assert build_model(load_scenario(WAR), seed=1).world.diplomacy.mou == MouState.COLLAPSED
    assert build_model(load_scenario(BASE), seed=1).world.diplomacy.mou == MouState.IN_FORCE
    data = load_scenario(BASE).model_dump(mode="json")
    data["mou"]["start"] = "strained"
    strained = Scenario.model_validate(data)
    assert build_model(strained, seed=1).world.diplomacy.mou == MouState.STRAINED


def test_a_war_run_books_its_mou_as_not_in_force_from_the_first_round():
    model = build_model(load_scenario(WAR), seed=2)
    model.step()
    assert model.world.diplomacy.mou == MouState.COLLAPSED  # recovery needs calm rounds
    assert model.world.diplomacy.collapsed_round == 1


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_states_the_mou_s_start_in_its_own_file(name):
    text = (SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8")
    mou = yaml.safe_load(text)["mou"]
    assert mou["start"] == "in_force"
    line = next(line for line in text.splitlines() if line.strip().startswith("start: in_force"))
    assert "#" in line  # with its reason


def test_the_mou_s_start_is_required_and_named():
    data = load_scenario(BASE).model_dump(mode="json")
    del data["mou"]["start"]
    with pytest.raises(ValidationError, match="mou.start"):
        Scenario.model_validate(data)
    data["mou"]["start"] = "signed"
    with pytest.raises(ValidationError):
        Scenario.model_validate(data)
