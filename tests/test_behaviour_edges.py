"""Edges of the behaviour section found by an independent check (issue 8): inputs at or past
the ends of what the loader handles, which must give one problem naming the field, never a
traceback (exit 2 from `run.py validate` and `run.py sweep`).

A listed sweep value is any YAML integer, and YAML integers have no size limit: one past
float's range (~1.8e308) cannot become a float, so checking it must not convert it blindly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wargame.config.loader import ScenarioError, load_experiment, scenario_from

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "configs" / "scenarios" / "gulf_2026.yaml"
RUN_PY = ROOT / "run.py"
HUGE = int("9" * 400)  # a YAML integer no float can hold
SHOWN = "999999999"  # how the messages begin to show it (shortened, not 400 digits)


def experiment(tmp_path: Path, path: str, values: list) -> Path:
    file = tmp_path / "huge.yaml"
    data = {
        "name": "huge",
        "base_scenario": str(DEFAULT),
        "rounds": 2,
        "replicates": 1,
        "root_seed": 1,
        "parameters": {path: values},
        "outcomes": ["highest_rung"],
        "output": str(tmp_path / "out"),
    }
    file.write_text(yaml.safe_dump(data, sort_keys=False, width=10_000))
    return file


@pytest.mark.parametrize(
    "path",
    [
        "behaviour.memories.transits",  # a number (float) field
        "behaviour.operations.escort_rounds",  # a whole-number field
        "behaviour.scales.spend_usd",  # a number field with a large range
    ],
)
@pytest.mark.parametrize("sign", [1, -1])
def test_a_listed_sweep_value_too_big_for_a_float_is_one_problem_naming_its_field(
    tmp_path: Path, path: str, sign: int
):
    file = experiment(tmp_path, path, [1, sign * HUGE])
    with pytest.raises(ScenarioError) as caught:
        load_experiment(file)
    problems = caught.value.problems
    assert len(problems) == 1 and problems[0].startswith(f"parameters.{path}: "), problems
    assert SHOWN in problems[0] and "9" * 100 not in problems[0], problems[0]


@pytest.mark.parametrize("command", ["validate", "sweep"])
def test_run_py_refuses_a_sweep_value_too_big_for_a_float_without_a_traceback(
    tmp_path: Path, command: str
):
    path = "behaviour.grievances.defiance.memory"
    file = experiment(tmp_path, path, [0.5, HUGE])
    done = subprocess.run(
        [sys.executable, str(RUN_PY), command, str(file)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    assert f"{file}: parameters.{path}: " in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


# Unquoted YAML that reads as text: the hint must not tell the modeller to remove quotes they
# never wrote. (A quoted number, "0.5", keeps the "without quotes" hint: tests/test_behaviour.)
UNQUOTED_TEXT = [
    ("nan", "finite"),  # YAML 1.1 reads .nan as NaN, but nan as text
    ("inf", "finite"),
    ("50%", "decimal"),
    ("1/2", "decimal"),
    ("0o17", "decimal"),  # YAML 1.2 octal, text to YAML 1.1
]


@pytest.mark.parametrize(("written", "expected"), UNQUOTED_TEXT)
def test_unquoted_text_for_a_number_is_not_called_quoted(written: str, expected: str):
    text = f"extends: {DEFAULT}\nname: t\nbehaviour: {{memories: {{transits: {written}}}}}\n"
    assert yaml.safe_load(text)["behaviour"]["memories"]["transits"] == written  # text to YAML
    with pytest.raises(ScenarioError) as caught:
        scenario_from(Path("t.yaml"), yaml.safe_load(text))
    (problem,) = caught.value.problems
    assert problem.startswith("behaviour.memories.transits: "), problem
    assert "quote" not in problem and expected in problem, problem


@pytest.mark.parametrize(("written", "expected"), UNQUOTED_TEXT)
def test_unquoted_text_as_a_listed_sweep_value_is_not_called_quoted(
    tmp_path: Path, written: str, expected: str
):
    file = tmp_path / "text.yaml"
    file.write_text(
        f"name: text\nbase_scenario: {DEFAULT}\nrounds: 2\nreplicates: 1\nroot_seed: 1\n"
        f"parameters: {{behaviour.memories.transits: [0.5, {written}]}}\n"
        f"outcomes: [highest_rung]\noutput: {tmp_path / 'out'}\n"
    )
    with pytest.raises(ScenarioError) as caught:
        load_experiment(file)
    (problem,) = caught.value.problems
    assert problem.startswith("parameters.behaviour.memories.transits: "), problem
    assert "quote" not in problem and expected in problem, problem


# --- files made before the behaviour section existed ---------------------------------------


def without_behaviour() -> dict:
    data = yaml.safe_load(DEFAULT.read_text())
    del data["behaviour"]
    return data


def test_a_scenario_made_before_the_behaviour_section_says_where_to_get_it(tmp_path: Path):
    file = tmp_path / "old.yaml"
    file.write_text(yaml.safe_dump(without_behaviour(), sort_keys=False))
    done = subprocess.run(
        [sys.executable, str(RUN_PY), "validate", str(file)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"{file}: behaviour: required field is missing"), line
    assert "configs/scenarios/gulf_2026.yaml" in line, line


def test_a_game_saved_before_the_behaviour_section_says_why_it_cannot_load(tmp_path: Path):
    from wargame.config.loader import load_scenario
    from wargame.experiments import game

    record = game.new_game(load_scenario(DEFAULT), seed=3)
    document = game.game_document(record, 0)
    # As a save of the commit before issue 8 holds it: the scenario without the section,
    # sealed again (fingerprint and checksum) as that program sealed it.
    del document["scenario"]["data"]["behaviour"]
    document["scenario"]["fingerprint"] = game.fingerprint(document["scenario"]["data"])
    document["checksum"] = game.fingerprint({k: v for k, v in document.items() if k != "checksum"})
    with pytest.raises(game.GameFileError) as caught:
        game.parse_game(json.dumps(document), "old.json")
    message = str(caught.value)
    assert "behaviour: required field is missing" in message, message
    assert "before" in message and "configs/scenarios/gulf_2026.yaml" in message, message


def test_a_scenario_number_too_big_for_a_float_says_so():
    text = f"extends: {DEFAULT}\nname: t\nbehaviour: {{memories: {{transits: {HUGE}}}}}\n"
    with pytest.raises(ScenarioError) as caught:
        scenario_from(Path("t.yaml"), yaml.safe_load(text))
    (problem,) = caught.value.problems
    assert problem.startswith("behaviour.memories.transits: "), problem
    assert "1.8e308" in problem and "9" * 100 not in problem, problem
