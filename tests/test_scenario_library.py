"""The classroom's scenario library (issue 10): each scenario of it briefs every team and the
teacher, a broken `classroom:` section is refused naming its field, and the crisis start opens
as its file says it does.

The refusals are a table of changes applied to the default scenario as read from its YAML, as
in tests/test_bad_input.py: each must give exactly one problem line, naming its field.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from support import DELETE

from wargame.config.loader import ScenarioError, load_scenario, read_yaml, scenario_from
from wargame.config.schema import team_brief
from wargame.engine.model import build_model
from wargame.engine.rules.diplomacy import MouState

SCENARIOS = Path(__file__).resolve().parents[1] / "configs" / "scenarios"
BASELINE = SCENARIOS / "gulf_2026.yaml"
CRISIS = SCENARIOS / "gulf_2026_crisis.yaml"
LIBRARY = ("gulf_2026", "gulf_2026_path_forward", "gulf_2026_crisis")
TEAMS = ("centcom", "irgc", "hosts")
BRIEF_WORDS = (120, 250)  # long enough to say who, want, fear, can do, can see; short to read


def library(name: str):
    return load_scenario(SCENARIOS / f"{name}.yaml")


@pytest.mark.parametrize("name", LIBRARY)
def test_a_library_scenario_briefs_every_team_and_the_teacher(name):
    scenario = library(name)
    classroom = scenario.classroom
    assert classroom is not None, f"{name} has no classroom section"
    for team in TEAMS:
        words = len(team_brief(scenario, team).split())
        assert BRIEF_WORDS[0] <= words <= BRIEF_WORDS[1], f"{name}: {team} brief has {words} words"
    teacher = classroom.teacher
    assert 3 <= len(teacher.learning_goals) <= 5
    assert 4 <= len(teacher.discussion_questions) <= 6
    assert teacher.timing.strip()


@pytest.mark.parametrize("name", [name for name in LIBRARY if name != "gulf_2026"])
def test_a_library_variant_writes_its_own_briefs_not_the_baseline_s(name):
    # A variant extends the baseline and would inherit its briefs: they would tell the teams
    # the baseline's situation, not this scenario's.
    own, base = library(name), library("gulf_2026")
    for team in TEAMS:
        assert team_brief(own, team) != team_brief(base, team), f"{name}: {team}"
    assert own.classroom.teacher.learning_goals != base.classroom.teacher.learning_goals


def test_a_host_team_reads_its_own_brief_else_the_hosts_brief():
    data = copy.deepcopy(default_data())
    data["classroom"]["briefs"]["host_states"] = {"bahrain": "You are Bahrain."}
    scenario = scenario_from(BASELINE, data)
    assert team_brief(scenario, "bahrain") == "You are Bahrain."
    assert team_brief(scenario, "kuwait") == scenario.classroom.briefs.hosts
    with pytest.raises(ValueError, match="no team 'centcomm'"):
        team_brief(scenario, "centcomm")  # a typo is not the hosts' brief
    assert team_brief(library("gulf_2026_war"), "centcom") is None


def test_variants_the_briefs_would_misdescribe_leave_the_library():
    assert library("gulf_2026_insulated").classroom is None
    assert library("gulf_2026_war").classroom is None
    # The Lebanon flare is the baseline with injects the teams don't know of: its briefs hold.
    assert library("gulf_2026_lebanon_flare").classroom == library("gulf_2026").classroom


def test_extends_inherits_the_section_key_by_key(tmp_path):
    variant = tmp_path / "variant.yaml"
    variant.write_text(
        f"extends: {BASELINE}\nclassroom:\n  briefs:\n    centcom: You are CENTCOM, briefly.\n",
        encoding="utf-8",
    )
    own, base = load_scenario(variant).classroom, library("gulf_2026").classroom
    assert own.briefs.centcom == "You are CENTCOM, briefly."
    assert (own.briefs.irgc, own.briefs.hosts) == (base.briefs.irgc, base.briefs.hosts)
    assert own.teacher == base.teacher


def test_a_scenario_without_the_section_is_valid_and_plays_the_same():
    data = copy.deepcopy(default_data())
    del data["classroom"]
    plain, briefed = scenario_from(BASELINE, data), library("gulf_2026")
    assert plain.classroom is None
    runs = [build_model(scenario, seed=4) for scenario in (plain, briefed)]
    for model in runs:
        for _ in range(5):
            model.step()
    assert runs[0].datacollector.model_vars == runs[1].datacollector.model_vars


# --- refusals ------------------------------------------------------------------------------------

LONG = "y" * 10_001

REFUSALS = [
    # (id, path of the change, value, the field the one problem names, what it says)
    ("unknown_host", "briefs.host_states", {"atlantis": "x"}, "briefs.host_states.atlantis",
     "unknown host 'atlantis'; expected one of ['bahrain', 'kuwait', 'qatar', 'saudi_arabia', 'uae']"),
    ("host_id_not_an_id", "briefs.host_states", {"Bahrain": "x"}, "briefs.host_states.Bahrain.[key]",
     "should match pattern"),
    ("brief_too_long", "briefs.centcom", LONG, "briefs.centcom", "at most 10000 characters"),
    ("host_brief_too_long", "briefs.host_states", {"qatar": LONG}, "briefs.host_states.qatar",
     "at most 10000 characters"),
    ("hosts_brief_missing", "briefs.hosts", DELETE, "briefs.hosts", "required field is missing"),
    ("brief_blank", "briefs.irgc", " \n\u200b ", "briefs.irgc", "expected some visible text"),
    ("brief_control", "briefs.irgc", "ok\x1b[2J", "briefs.irgc", "found U+001B"),
    ("unknown_team", "briefs.cia", "x", "briefs.cia", "unknown field"),
    ("no_goals", "teacher.learning_goals", [], "teacher.learning_goals", "at least 1 item"),
    ("goal_too_long", "teacher.learning_goals", ["ok", LONG], "teacher.learning_goals[1]",
     "at most 10000 characters"),
    ("question_not_text", "teacher.discussion_questions", [7], "teacher.discussion_questions[0]",
     "valid string"),
    ("timing_missing", "teacher.timing", DELETE, "teacher.timing", "required field is missing"),
    ("classroom_not_a_mapping", "", "briefs", "", "valid dictionary"),
]  # fmt: skip


def default_data() -> dict[str, Any]:
    return read_yaml(BASELINE)


def changed(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(default_data())
    if not path:
        data["classroom"] = value
        return data
    *parents, last = path.split(".")
    section = data["classroom"]
    for key in parents:
        section = section[key]
    if value is DELETE:
        del section[last]
    else:
        section[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "field", "expect"),
    [case[1:] for case in REFUSALS],
    ids=[c[0] for c in REFUSALS],
)
def test_a_broken_classroom_section_is_refused_naming_its_field(path, value, field, expect):
    with pytest.raises(ScenarioError) as raised:
        scenario_from(BASELINE, changed(path, value))
    problems = raised.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"classroom.{field}".rstrip(".") + ": "), problems[0]
    assert expect in problems[0], problems[0]


# --- the crisis start ----------------------------------------------------------------------------


def test_the_crisis_is_the_baseline_but_for_its_scripted_opening():
    crisis = load_scenario(CRISIS).model_dump(mode="json")
    base = library("gulf_2026").model_dump(mode="json")
    assert crisis["mou"]["start"] == "strained"
    assert [(i["round"], i["kind"]) for i in crisis["injects"]] == [
        (1, "shipping_attacks"),
        (1, "lebanon_intensity"),
        (2, "lebanon_intensity"),
    ]
    for data in (crisis, base):
        del data["name"], data["description"], data["mou"]["start"]
        del data["injects"], data["classroom"]
    assert crisis == base


def test_the_crisis_opens_as_scripted_and_the_baseline_does_not():
    runs = {path.stem: build_model(load_scenario(path), seed=0) for path in (CRISIS, BASELINE)}
    assert runs["gulf_2026_crisis"].world.diplomacy.mou == MouState.STRAINED
    assert runs["gulf_2026"].world.diplomacy.mou == MouState.IN_FORCE
    lebanon = {name: [] for name in runs}
    for name, model in runs.items():
        for _ in range(2):
            model.step()
            lebanon[name].append(model.world.lebanon)
    assert lebanon["gulf_2026_crisis"] == [0.8, 0.8]
    assert all(value < 0.6 for value in lebanon["gulf_2026"]), lebanon
    scripted = {
        name: [
            (event.round, event.target)
            for event in model.events
            if event.actor == "scenario" and event.action == "inject"
        ]
        for name, model in runs.items()
    }
    assert scripted["gulf_2026"] == []
    assert scripted["gulf_2026_crisis"] == [
        (1, "shipping_attacks"),
        (1, "lebanon_intensity"),
        (2, "lebanon_intensity"),
    ]


def test_the_crisis_description_says_what_is_scripted():
    description = load_scenario(CRISIS).description
    for fact in ("strained", "round 1", "struck", "0.8", "round 2"):
        assert fact in description
