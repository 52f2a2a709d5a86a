"""The scenario's `behaviour:` section (issue 8): every number of the actors' reasoning and of
adjudication that the engine used to hold in code is scenario data. Each field is validated
(type and range) and reported by its dotted path, by the loader and by `run.py validate`; each
reaches the engine (changing it changes the run); each works as a sweep parameter.

Bad values are a table of (path, value, expected message) applied to the default scenario as
loaded, as in tests/test_bad_input.py; the fields themselves are walked from the data, so a new
field is covered without a new line here. tests/test_accepted_edges.py checks, generated from
the schema, that each accepted edge value of every numeric field (these included) runs.
"""

from __future__ import annotations

import copy
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from pydantic import BaseModel
from support import DELETE

from wargame.config.experiment import Experiment
from wargame.config.ladder import CENTCOM_ACTIONS, HOST_ACTIONS, IRGC_ACTIONS, MENUS
from wargame.config.loader import (
    ScenarioError,
    check_parameters,
    read_yaml,
    validate_data,
)
from wargame.config.overrides import apply_overrides, field_kind
from wargame.config.schema import ActionTable, Behaviour, Scenario
from wargame.engine.model import build_model
from wargame.engine.rules.diplomacy import CHANNEL_MOVES, Channel, channel_after
from wargame.experiments.single_run import run_once

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "configs" / "scenarios" / "gulf_2026.yaml"
RUN_PY = ROOT / "run.py"

FINITE = "Input should be a finite number"
AT_MOST = "Input should be less than or equal to"
AT_LEAST = "Input should be greater than or equal to"
UNKNOWN = "unknown field"
MISSING = "required field is missing"


def default_data() -> dict:
    return read_yaml(DEFAULT)


def set_path(data: dict, path: str, value: Any) -> dict:
    *parents, last = path.split(".")
    target = data
    for part in parents:
        target = target[part]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return data


def leaves(node: Any, path: str = "behaviour") -> list[tuple[str, Any]]:
    """(dotted path, value) of every value under `behaviour` in the scenario's data."""
    if isinstance(node, dict):
        return [item for key, value in node.items() for item in leaves(value, f"{path}.{key}")]
    return [(path, node)]


BEHAVIOUR_LEAVES = leaves(default_data()["behaviour"])


def test_the_walk_finds_every_section_and_table():
    paths = {path for path, _ in BEHAVIOUR_LEAVES}
    for section in Behaviour.model_fields:
        assert any(p.startswith(f"behaviour.{section}.") for p in paths), section
    for expected in (
        "behaviour.grievances.defiance.memory",
        "behaviour.grievances.sovereignty.left_after_irgc_action.salvo_hosts",
        "behaviour.ledgers.us_per_irgc_action.halt_channel",
        "behaviour.irgc.regime_risk.strike_us_navy",
        "behaviour.irgc.us_package.strike_energy",
        "behaviour.centcom.top_rung_risk.regime_campaign",
        "behaviour.hosts.erosion.spending_per_100m_usd",
        "behaviour.operations.campaign_weapons_factor",
    ):
        assert expected in paths, expected
    assert len(BEHAVIOUR_LEAVES) >= 150, len(BEHAVIOUR_LEAVES)


# --- the action tables follow the ladder ---------------------------------------------------


def action_tables(model: type = Behaviour, path: str = "behaviour"):
    """(path, table class) of every action table in the behaviour schema."""
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, ActionTable):
            yield f"{path}.{name}", annotation
        elif isinstance(annotation, type) and hasattr(annotation, "model_fields"):
            yield from action_tables(annotation, f"{path}.{name}")


MENU_IDS = {
    "the IRGC's orders (its channel moves included)": [s.id for s in MENUS["irgc"]],
    "the IRGC's options": [s.id for s in IRGC_ACTIONS],
    "CENTCOM's actions": [s.id for s in CENTCOM_ACTIONS],
    "the hosts' measures": [s.id for s in HOST_ACTIONS],
}


def test_every_action_table_lists_exactly_one_menu_of_the_ladder():
    tables = list(action_tables())
    assert len(tables) >= 20, tables
    for path, table in tables:
        keys = list(table.model_fields)
        assert keys in MENU_IDS.values(), f"{path}: {keys} is no menu of wargame/config/ladder.py"
        # Tables the engine books an order's effects by cover every order an inject can give;
        # forecast tables the options the cost function weighs.
        if "irgc_action" in path.rsplit(".", 1)[1] or path.startswith("behaviour.ledgers.us"):
            assert keys == MENU_IDS["the IRGC's orders (its channel moves included)"], path


ORDERS = [("irgc", spec.id) for spec in MENUS["irgc"]]
ORDERS += [("centcom", spec.id) for spec in MENUS["centcom"]]
ORDERS += [("kuwait", spec.id) for spec in MENUS["host"]]


@pytest.mark.parametrize(("actor", "action"), ORDERS)
def test_every_order_an_inject_can_give_runs(actor: str, action: str):
    """Each order is looked up in the tables of what it does; none may be missing from them."""
    data = default_data()
    data["injects"] = [
        {"round": r, "kind": "action", "actor": actor, "action": action} for r in (1, 2)
    ]
    model = build_model(validate_data(data, Scenario, "inject.yaml"), 3)
    begun = model.begin_round()
    model.step()
    done = {"irgc": model.world.tally.irgc_action, "centcom": model.world.tally.centcom_action}
    if action in CHANNEL_MOVES:  # a channel move is the IRGC's channel decision, not its action
        assert done["irgc"] == begun["irgc"].chosen
        assert model.world.diplomacy.channel == channel_after(Channel.OPEN, action)
    else:
        assert done.get(actor, model.world.tally.host_actions.get(actor)) == action
    model.step()
    model.step()


# --- bad values are reported by their dotted path ------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    path: str
    value: Any
    field: str
    expect: str


def case(path: str, value: Any, expect: str, field: str | None = None, id: str = "") -> Case:
    return Case(id or f"{path}={value!r}"[:90], path, value, field or path, expect)


CASES = [
    case("behaviour.grievances.defiance.memory", 1.5, AT_MOST),
    case("behaviour.grievances.defiance.memory", math.nan, FINITE),
    case("behaviour.grievances.defiance.memory", -math.inf, FINITE),
    case("behaviour.grievances.defiance.vessels_per_unit", 0.5, AT_LEAST),
    case("behaviour.memories.restraint_pressure", -0.1, AT_LEAST),
    case("behaviour.memories.transits", True, "are not numbers"),
    case("behaviour.vessels.warning_risk", "0.01", "without quotes"),
    case("behaviour.irgc.regime_risk.strike_us_navy", -1.0, AT_LEAST),
    case("behaviour.irgc.regime_risk.strike_us_navy", 1e308, AT_MOST),
    case("behaviour.irgc.regime_risk.strike_us_navy", math.inf, FINITE),
    case("behaviour.irgc.resolve_base", 11.0, AT_MOST),
    case("behaviour.irgc.us_package.salvo_hosts", "massive", "'limited' or 'expanded'"),
    case("behaviour.irgc.regime_risk.nuke_tehran", 1.0, UNKNOWN),
    case("behaviour.hosts.reduces_harm.invade", 0.1, UNKNOWN),
    case("behaviour.ledgers.us_per_irgc_action.salvo_hosts", DELETE, MISSING),
    case("behaviour.ledgers.iran_per_centcom_action.escort", 1_001.0, AT_MOST),
    case("behaviour.grievances.unanswered.per_irgc_action.halt_channel", DELETE, MISSING),
    case("behaviour.centcom.retaliation.regime_campaign", 1.01, AT_MOST),
    case("behaviour.hosts.erosion.damage", math.nan, FINITE),
    case("behaviour.hosts.restriction_rounds", 2.5, "valid integer"),
    case("behaviour.operations.navy_strike_missiles", 10**30, AT_MOST),
    case("behaviour.operations.campaign_weapons_factor", 0, AT_LEAST),
    case("behaviour.operations.escort_rounds", 1e30, AT_MOST),
    case("behaviour.scales.damage", 0.0, AT_LEAST),
    case("behaviour.scales.spend_usd", 1e308, AT_MOST),
    case("behaviour.operations", DELETE, MISSING),
    case("behaviour.forecasts", {"damage": 1.0}, UNKNOWN),
    case("behaviour", DELETE, MISSING),
]


def problems_of(bad: Case) -> list[str]:
    data = set_path(default_data(), bad.path, bad.value)
    with pytest.raises(ScenarioError) as caught:
        validate_data(data, Scenario, "bad.yaml")
    return caught.value.problems


@pytest.mark.parametrize("bad", CASES, ids=lambda bad: bad.id)
def test_a_bad_behaviour_value_gives_exactly_one_problem_naming_its_path(bad: Case):
    problems = problems_of(bad)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{bad.field}: "), problems
    assert bad.expect in problems[0], problems


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(RUN_PY), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=180,
        check=False,
    )


def assert_bad_input(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr


@pytest.mark.slow  # starts run.py validate once per bad value: the fast tier's time, CI runs it
def test_run_py_validate_names_the_file_and_the_dotted_path_of_each_bad_value(tmp_path: Path):
    files = {}
    for index, bad in enumerate(CASES):
        data = set_path(default_data(), bad.path, bad.value)
        files[bad.id] = write_yaml(tmp_path / f"bad_{index}.yaml", data)
    done = run_cli("validate", *map(str, files.values()))
    assert_bad_input(done)
    assert f"0 of {len(CASES)} files valid" in done.stdout, done.stdout
    for bad in CASES:
        lines = [ln for ln in done.stderr.splitlines() if ln.startswith(f"{files[bad.id]}: ")]
        assert len(lines) == 1, (bad.id, lines)
        assert lines[0].startswith(f"{files[bad.id]}: {bad.field}: "), lines
        assert bad.expect in lines[0], lines


# --- every field reaches the engine --------------------------------------------------------
# A field the schema accepts and the engine never reads would be a promise broken without a
# word. The engine reads the scenario through a recording stand-in here, so each value read is
# noted by its path; a scripted run that forces every order must read every field. (That each
# value read is used as the constant it replaced is the golden test's part.)


class Recorder:
    """Stands in for a scenario section: notes the dotted path of every value read."""

    def __init__(self, target: Any, path: str, seen: set[str]):
        self._target, self._path, self._seen = target, path, seen

    def _wrap(self, value: Any, path: str) -> Any:
        if isinstance(value, BaseModel):
            return Recorder(value, path, self._seen)
        self._seen.add(path)
        return value

    def __getattr__(self, name: str) -> Any:
        return self._wrap(getattr(self._target, name), f"{self._path}.{name}")

    def __getitem__(self, key: str) -> Any:
        return self._wrap(self._target[key], f"{self._path}.{key}")


class RecordingScenario:
    """A scenario whose `behaviour` section records every read; the rest is the scenario's."""

    def __init__(self, scenario: Scenario, seen: set[str]):
        self._scenario = scenario
        self.behaviour = Recorder(scenario.behaviour, "behaviour", seen)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._scenario, name)


# Every order forced within the first rounds, the channel moves included, so that each table
# entry meets the code that reads it.
SCRIPT = [
    {"round": 1, "kind": "action", "actor": "irgc", "action": "strike_vessel"},
    {"round": 1, "kind": "action", "actor": "centcom", "action": "limited_strikes"},
    {"round": 1, "kind": "action", "actor": "uae", "action": "request_interceptors"},
    {"round": 2, "kind": "action", "actor": "irgc", "action": "mine_lanes"},
    {"round": 2, "kind": "action", "actor": "centcom", "action": "escort"},
    {"round": 2, "kind": "action", "actor": "kuwait", "action": "restrict_basing"},
    {"round": 3, "kind": "action", "actor": "irgc", "action": "salvo_hosts"},
    {"round": 3, "kind": "action", "actor": "centcom", "action": "expanded_strikes"},
    {"round": 3, "kind": "action", "actor": "qatar", "action": "press_restraint"},
    {"round": 4, "kind": "action", "actor": "irgc", "action": "strike_energy"},
    {"round": 4, "kind": "action", "actor": "centcom", "action": "regime_campaign"},
    {"round": 4, "kind": "action", "actor": "bahrain", "action": "open_channel"},
    {"round": 5, "kind": "action", "actor": "irgc", "action": "strike_us_navy"},
    {"round": 5, "kind": "action", "actor": "centcom", "action": "attribute_and_warn"},
    {"round": 5, "kind": "channel", "channel": "halted"},
    {"round": 6, "kind": "action", "actor": "irgc", "action": "enforce_mandates"},
    {"round": 6, "kind": "action", "actor": "centcom", "action": "hold_and_negotiate"},
    {"round": 7, "kind": "action", "actor": "irgc", "action": "posture"},
    {"round": 8, "kind": "action", "actor": "irgc", "action": "comply"},
    {"round": 9, "kind": "action", "actor": "irgc", "action": "keep_channel"},
    {"round": 10, "kind": "action", "actor": "irgc", "action": "halt_channel"},
    {"round": 11, "kind": "action", "actor": "irgc", "action": "reopen_channel"},
    {"round": 12, "kind": "action", "actor": "irgc", "action": "mine_lanes"},
]
SCRIPT_ROUNDS = 30


def scripted_data() -> dict:
    """The default scenario with the script, in a theatre where every path is met: ships run
    the TSS branch (vessel strikes find targets), US warships at NSA Bahrain are in anti-ship
    reach, sovereignty never keeps the halted channel from reopening with relief, and ships
    keep coming when war cover goes (so the mines find ships)."""
    data = default_data()
    data["injects"] = copy.deepcopy(SCRIPT)
    data["shipping"]["corridor_delay_rounds"] = 5.0
    data["shipping"]["demand"]["cover"]["sail_uncovered"] = 1.0
    data["weapons"][data["actors"]["irgc"]["anti_ship_weapon"]]["range_km"] = 450.0
    data["behaviour"]["channel"]["weights"]["sovereignty"] = 0.0
    return data


def test_a_scripted_run_reads_every_behaviour_field():
    seen: set[str] = set()
    scenario = RecordingScenario(validate_data(scripted_data(), Scenario, "script.yaml"), seen)
    model = build_model(scenario, 0)
    for _ in range(SCRIPT_ROUNDS):
        model.step()
    never_read = sorted({path for path, _ in BEHAVIOUR_LEAVES} - seen)
    assert not never_read, f"behaviour fields the engine never read: {never_read}"
    assert seen <= {path for path, _ in BEHAVIOUR_LEAVES}, "the walk missed a field"


# --- every field is a sweep parameter ------------------------------------------------------


PACKAGES = ("limited", "expanded")


def another_value(path: str, value: Any) -> Any:
    """A different valid value for the field at `path` (a sweep's second level)."""
    if isinstance(value, str):
        return PACKAGES[1 - PACKAGES.index(value)]
    if isinstance(value, int) and field_kind(Scenario, path) == "int":
        return value + 1
    return value * 0.5 if value > 1 else (0.5 if value != 0.5 else 0.25)


def experiment(parameters: dict) -> Experiment:
    return Experiment.model_validate(
        {
            "name": "behaviour",
            "base_scenario": str(DEFAULT),
            "rounds": 5,
            "replicates": 1,
            "root_seed": 1,
            "parameters": parameters,
            "outcomes": ["highest_rung"],
            "output": "unused",
        }
    )


@pytest.fixture(scope="module")
def base_json() -> dict:
    return validate_data(default_data(), Scenario, str(DEFAULT)).model_dump(mode="json")


@pytest.mark.parametrize(("path", "value"), BEHAVIOUR_LEAVES, ids=[p for p, _ in BEHAVIOUR_LEAVES])
def test_every_behaviour_field_is_a_sweep_parameter(path: str, value: Any, base_json: dict):
    kind = field_kind(Scenario, path)
    assert kind == "text" if isinstance(value, str) else kind in ("int", "float"), (path, kind)
    assert kind != "int" or isinstance(value, int), path
    other = another_value(path, value)
    problems, parameters = check_parameters(experiment({path: [value, other]}), base_json)
    assert not problems, problems
    assert parameters[path] == (value, other)
    if kind in ("int", "float"):  # a value out of range is refused, naming the path
        problems, _ = check_parameters(experiment({path: [value, 1e308]}), base_json)
        assert len(problems) == 1 and problems[0].startswith(f"parameters.{path}: "), problems
        assert f"({path}: " in problems[0], problems


def test_run_py_validate_refuses_an_experiment_with_an_out_of_range_behaviour_value(tmp_path):
    base = {
        "name": "bad",
        "base_scenario": str(DEFAULT),
        "rounds": 5,
        "replicates": 1,
        "root_seed": 1,
        "outcomes": ["highest_rung"],
        "output": str(tmp_path / "out"),
    }
    too_high = write_yaml(
        tmp_path / "too_high.yaml",
        {**base, "parameters": {"behaviour.grievances.defiance.memory": [0.5, 1.5]}},
    )
    not_finite = write_yaml(
        tmp_path / "not_finite.yaml",
        {**base, "parameters": {"behaviour.operations.mine_hit_per_density": [0.1, math.nan]}},
    )
    done = run_cli("validate", str(too_high), str(not_finite))
    assert_bad_input(done)
    assert (
        f"{too_high}: parameters.behaviour.grievances.defiance.memory: value 1.5 is not valid"
        in done.stderr
    ), done.stderr
    assert f"{not_finite}: parameters.behaviour.operations.mine_hit_per_density" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow  # starts a sweep's worker processes: the fast tier's time, CI runs it
def test_a_sweep_over_a_behaviour_field_runs_and_changes_results(tmp_path: Path):
    """`run.py sweep` over the IRGC's memory of defiance: each run equals the same run made in
    process with the value set, and some run differs from the baseline at the same seed (a
    sweep gives every run its own seed, so differences between points alone prove nothing)."""
    path = "behaviour.grievances.defiance.memory"
    rounds, outcomes = 30, ["transits", "vessels_struck", "highest_rung", "host_damage"]
    exp = write_yaml(
        tmp_path / "defiance.yaml",
        {
            "name": "defiance_memory",
            "base_scenario": str(DEFAULT),
            "rounds": rounds,
            "replicates": 2,
            "root_seed": 5,
            "parameters": {path: [0.0, 1.0]},
            "outcomes": outcomes,
            "output": str(tmp_path / "out"),
        },
    )
    done = run_cli("sweep", str(exp), "--workers", "1", "--quiet", "--csv")
    assert done.returncode == 0, done.stderr
    runs = pd.read_csv(tmp_path / "out" / "runs.csv")
    assert len(runs) == 4 and (runs["status"] == "ok").all()
    base = default_data()
    baseline = validate_data(base, Scenario, "base.yaml")
    differs = 0
    for run in runs.to_dict("records"):
        point = apply_overrides(base, {path: run[f"param:{path}"]})
        scenario = validate_data(point, Scenario, "point.yaml")
        here = run_once(scenario, int(run["seed"]), rounds).summary
        for outcome in outcomes:
            assert run[outcome] == pytest.approx(here[outcome]), (run, outcome)
        there = run_once(baseline, int(run["seed"]), rounds).summary
        differs += any(here[o] != pytest.approx(there[o]) for o in outcomes)
    assert differs, "no run of the sweep differs from the baseline at its own seed"
