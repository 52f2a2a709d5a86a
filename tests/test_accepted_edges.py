"""Whatever `validate` accepts must run; whatever the engine can't use, `validate` refuses.

The cases are generated from the schema, not typed in: every numeric field of the default
scenario (found by walking its JSON schema alongside its data, nested sections, lists and dicts
included) is set to the lowest and highest value its bounds accept, and 0 where 0 is accepted.
Each accepted scenario is built and run for a few rounds with warnings as errors; the run must
stay finite and consistent. In the other direction every numeric field must refuse .inf, -.inf,
.nan, 1e308 (and a huge integer for integer fields) with one problem line naming that field.

The base the edges start from is the default scenario with every defence system fielded
(`defence_mix: directed_energy_ew`) and a script of injects that forces every IRGC, CENTCOM
and host action within the first rounds, so each edge value meets every adjudication path
(salvos, strikes on ships, energy and the navy, US packages, mines, escorts, requests, a
refinery fire no one claims...).

The fast tier takes one representative element of each list and dict; the exhaustive variant
(marked slow) walks every element and runs more rounds.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wargame.config.loader import ScenarioError, read_yaml, validate_data
from wargame.config.schema import MAX_ROUND_HOURS, MAX_ROUNDS, Inject, Scenario, inject_target
from wargame.engine.model import build_model
from wargame.engine.rules.defence import THREAT_KINDS

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "configs" / "scenarios" / "gulf_2026.yaml"
FAST_ROUNDS = 6
SLOW_ROUNDS = 20
SOURCE = "edge.yaml"

# Round 1 fires the lebanon inject first: injects[0] is the representative inject, so its
# numeric fields (round, value) are walked too.
SCRIPT = [
    {"round": 1, "kind": "lebanon_intensity", "value": 0.9, "note": "edge script"},
    {"round": 1, "kind": "action", "actor": "irgc", "action": "salvo_hosts"},
    {"round": 1, "kind": "action", "actor": "centcom", "action": "limited_strikes"},
    {"round": 1, "kind": "action", "actor": "bahrain", "action": "request_interceptors"},
    {"round": 2, "kind": "action", "actor": "irgc", "action": "strike_vessel"},
    {"round": 2, "kind": "action", "actor": "centcom", "action": "escort"},
    {"round": 2, "kind": "action", "actor": "kuwait", "action": "restrict_basing"},
    {"round": 2, "kind": "refinery_fire", "node": "sitra_bapco", "damage": 1.0},
    {"round": 3, "kind": "action", "actor": "irgc", "action": "strike_energy"},
    {"round": 3, "kind": "action", "actor": "centcom", "action": "expanded_strikes"},
    {"round": 3, "kind": "action", "actor": "qatar", "action": "press_restraint"},
    {"round": 4, "kind": "action", "actor": "irgc", "action": "mine_lanes"},
    {"round": 4, "kind": "action", "actor": "centcom", "action": "regime_campaign"},
    {"round": 4, "kind": "action", "actor": "uae", "action": "open_channel"},
    {"round": 5, "kind": "action", "actor": "irgc", "action": "strike_us_navy"},
    {"round": 5, "kind": "action", "actor": "centcom", "action": "attribute_and_warn"},
    {"round": 5, "kind": "channel", "channel": "halted"},
    {"round": 6, "kind": "action", "actor": "irgc", "action": "salvo_hosts"},
    {"round": 6, "kind": "channel", "channel": "open"},
]


@functools.cache
def _base_json() -> dict:
    data = read_yaml(DEFAULT)
    data["levers"]["defence_mix"] = "directed_energy_ew"
    data["injects"] = SCRIPT
    # Dumped with every default filled in, so fields the file leaves out are walked too.
    return Scenario.model_validate(data).model_dump(mode="json")


def base_data() -> dict:
    return copy.deepcopy(_base_json())


# --- walking the schema -------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """One numeric (or date) field of the scenario and the range its schema accepts."""

    path: tuple[str | int, ...]
    kind: str  # "integer", "number" or "date"
    low: Any
    low_exclusive: bool
    high: Any

    @property
    def field(self) -> str:
        """The path as error messages print it: actors.hosts[0].rationality."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text

    def accepted_edges(self) -> list:
        """Lowest and highest accepted values, and 0 where 0 lies inside the range."""
        if self.kind == "date":
            return [self.low, self.high]
        low = self.low
        if self.low_exclusive:
            low = self.low + 1 if self.kind == "integer" else math.nextafter(self.low, math.inf)
        edges = [low, self.high]
        inside_low = self.low < 0 if self.low_exclusive else self.low <= 0
        if inside_low and self.high >= 0 and 0 not in edges:
            edges.append(0)
        return edges


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _present_arm(schema: dict, node: dict, value: Any) -> dict:
    """For `X | None` (anyOf), the arm that describes a value that is there."""
    node = _resolve(schema, node)
    arms = node.get("anyOf")
    if arms is None:
        return node
    real = [_resolve(schema, arm) for arm in arms if arm.get("type") != "null"]
    assert len(real) == 1, f"a union the walker does not know: {node}"
    return real[0]


def walk(schema: dict, node: dict, data: Any, path: tuple, every: bool):
    """Yield a Leaf for every number, integer and bounded date in `data`, typed by `node`."""
    node = _present_arm(schema, node, data)
    kind = node.get("type")
    if kind in ("number", "integer"):
        assert "maximum" in node, f"{path}: a number without an upper bound"
        exclusive = "exclusiveMinimum" in node
        low = node["exclusiveMinimum"] if exclusive else node.get("minimum")
        assert low is not None, f"{path}: a number without a lower bound"
        yield Leaf(path, kind, low, exclusive, node["maximum"])
    elif kind == "string" and node.get("format") == "date":
        yield Leaf(
            path,
            "date",
            dt.date.fromisoformat(node["formatMinimum"]),
            False,
            dt.date.fromisoformat(node["formatMaximum"]),
        )
    elif kind == "array" and data:
        items = node["items"]
        for index in range(len(data)) if every else [0]:
            yield from walk(schema, items, data[index], (*path, index), every)
    elif kind == "object" and data:
        if "properties" in node:
            for key, sub in node["properties"].items():
                if data.get(key) is not None:
                    yield from walk(schema, sub, data[key], (*path, key), every)
        else:  # a dict keyed by id: every value has the same schema
            (sub,) = (node.get("patternProperties") or {"": node["additionalProperties"]}).values()
            for key in list(data) if every else list(data)[:1]:
                yield from walk(schema, sub, data[key], (*path, key), every)


def numeric_leaves(every: bool) -> list[Leaf]:
    schema = Scenario.model_json_schema()
    return list(walk(schema, schema, _base_json(), (), every))


def set_path(data: dict, path: tuple, value: Any) -> dict:
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


def get_path(data: dict, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


# --- cross-field rules --------------------------------------------------------------------
# Where a field takes part in a rule between fields, the others move so the scenario stays
# valid; the field under test keeps its edge value whenever the rule allows it.

MOU_ORDER = ("strained_at", "suspended_at", "collapsed_at")


def _keep_mou_order(data: dict, moved: str) -> None:
    mou = data["mou"]
    high = 1e6
    values = [float(mou[name]) for name in MOU_ORDER]
    i = MOU_ORDER.index(moved)
    for j in range(i + 1, 3):  # push the later thresholds up ...
        values[j] = max(values[j], math.nextafter(values[j - 1], math.inf))
    if values[2] > high:  # ... and, at the top of the range, the earlier ones down
        values[2] = high
        for j in (1, 0):
            values[j] = min(values[j], math.nextafter(values[j + 1], -math.inf))
    for j in range(i - 1, -1, -1):
        values[j] = min(values[j], math.nextafter(values[j + 1], -math.inf))
    if values[0] <= 0.0:  # at the bottom of the range, the later ones up
        values[0] = math.nextafter(0.0, math.inf)
        for j in (1, 2):
            values[j] = max(values[j], math.nextafter(values[j - 1], math.inf))
    mou.update(zip(MOU_ORDER, values, strict=True))


def _keep_resupply_room(defence: dict) -> None:
    # Resupply refills up to batteries x magazine_per_battery: with no room it is refused.
    if defence["batteries"] * defence["magazine_per_battery"] == 0:
        defence["resupply_per_round"] = 0.0


def _inject_key(inject: dict) -> tuple[int, str]:
    return inject["round"], inject_target(Inject.model_validate(inject))


def _drop_conflicting_injects(data: dict) -> None:
    """Drop the injects that set the same thing in the same round as an earlier one, which
    the schema refuses as conflicting (only one could take effect)."""
    taken, kept = set(), []
    for inject in data["injects"]:
        if _inject_key(inject) not in taken:
            taken.add(_inject_key(inject))
            kept.append(inject)
    data["injects"] = kept


def _move_conflicting_injects(data: dict, keep: int) -> None:
    """Move the injects that conflict with injects[keep] (the one under test) to the nearest
    free round, keeping every index in place."""
    injects = data["injects"]
    for index, inject in enumerate(injects):
        step = 1 if inject["round"] < MAX_ROUNDS else -1
        while index != keep and any(
            _inject_key(inject) == _inject_key(other) for other in injects[:index] + [injects[keep]]
        ):
            inject["round"] += step


def adjust_for_rules(data: dict, leaf: Leaf, value: Any) -> None:
    """Move the partners of `leaf` in cross-field rules so that `value` is valid."""
    if leaf.path[0] == "nodes" and leaf.path[2:3] == ("defences",):
        if leaf.path[-1] != "resupply_per_round":
            _keep_resupply_room(get_path(data, leaf.path[:-1]))
        elif value > 0:  # resupply under test: give it room
            defence = get_path(data, leaf.path[:-1])
            defence["batteries"] = max(defence["batteries"], 1)
            defence["magazine_per_battery"] = max(defence["magazine_per_battery"], 1)
    elif leaf.path[0] == "injects" and leaf.path[-1] == "round":
        _move_conflicting_injects(data, keep=leaf.path[1])
    elif leaf.path[:1] == ("mou",) and leaf.path[1] in MOU_ORDER:
        _keep_mou_order(data, leaf.path[1])
    elif leaf.path == ("shipping", "premium", "calm_rate"):
        premium = data["shipping"]["premium"]
        premium["peak_rate"] = max(premium["peak_rate"], value)  # peak_rate >= calm_rate
    elif leaf.path == ("shipping", "premium", "peak_rate"):
        premium = data["shipping"]["premium"]
        premium["calm_rate"] = min(premium["calm_rate"], value)


def edge_scenario(leaf: Leaf, value: Any) -> Scenario:
    data = set_path(base_data(), leaf.path, value.isoformat() if leaf.kind == "date" else value)
    adjust_for_rules(data, leaf, value)
    if leaf.path[0] == "mou" and leaf.path[1] in MOU_ORDER:
        # At the top of the range strained_at < suspended_at < collapsed_at <= 1e6 keeps
        # strained_at and suspended_at just below 1e6: the closest the rule allows.
        value = get_path(data, leaf.path)
    scenario = validate_data(data, Scenario, SOURCE)  # a ScenarioError here fails the test
    assert get_path(scenario.model_dump(mode="json"), leaf.path) == (
        value.isoformat() if leaf.kind == "date" else value
    )
    return scenario


# --- running ------------------------------------------------------------------------------


def run_checked(scenario: Scenario, rounds: int, seed: int = 0) -> None:
    """Run with every warning an error; the run must stay finite and add up."""
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        model = build_model(scenario, seed)
        for _ in range(rounds):
            model.step()
            assert (model.world.magazines.left >= 0).all(), model.world.magazines.left
            assert (model.world.magazines.left <= model.world.magazines.cap).all()
    frame = model.datacollector.get_model_vars_dataframe()
    numbers = frame.select_dtypes(include="number").to_numpy(dtype=float)
    assert np.isfinite(numbers).all(), frame.columns[~np.isfinite(numbers).all(axis=0)].tolist()
    totals = model.world.totals
    assert all(math.isfinite(value) for value in totals.values()), totals
    for kind in THREAT_KINDS:
        assert totals[f"launched_{kind}"] == (
            totals[f"intercepted_{kind}"] + totals[f"leaked_{kind}"] + totals[f"failed_{kind}"]
        ), kind
    assert all(value >= 0 for value in totals.values()), totals
    assert model.date <= dt.date(9999, 12, 31)


FAST_LEAVES = numeric_leaves(every=False)


def test_the_walk_finds_every_section():
    """The generator must reach every part of the scenario, or the tests below prove little."""
    fields = {leaf.field for leaf in FAST_LEAVES}
    for expected in (
        "clock.start_date",
        "clock.rounds",
        "nodes[0].lat",
        "nodes[0].defences[0].magazine_per_battery",
        "nodes[0].defences[0].resupply_per_round",
        "weapons.shahed_136.pk.pac3_mse",
        "interceptors.pac3_mse.shots_per_threat",
        "actors.irgc.rationality",
        "actors.irgc.salvo_per_target.drone",
        "actors.centcom.weights.top_rung_risk",
        "actors.hosts[0].interceptor_request_size",
        "shipping.routes[0].share",
        "shipping.premium.attack_sensitivity",
        "shipping.crew",
        "adjudication.economic_loss_per_damage",
        "mou.collapsed_at",
        "lebanon.volatility",
        "levers.interceptor_resupply",
        "injects[0].round",
        "injects[0].value",
    ):
        assert expected in fields, expected
    assert len(FAST_LEAVES) >= 100, len(FAST_LEAVES)


@pytest.mark.parametrize("leaf", FAST_LEAVES, ids=lambda leaf: leaf.field)
def test_every_accepted_edge_value_runs(leaf: Leaf):
    for value in leaf.accepted_edges():
        run_checked(edge_scenario(leaf, value), FAST_ROUNDS)


@pytest.mark.slow
@pytest.mark.parametrize("leaf", numeric_leaves(every=True), ids=lambda leaf: leaf.field)
def test_every_accepted_edge_value_runs_every_element(leaf: Leaf):
    for value in leaf.accepted_edges():
        run_checked(edge_scenario(leaf, value), SLOW_ROUNDS, seed=1)


def _all_at(end: str) -> Scenario:
    data = base_data()
    for leaf in numeric_leaves(every=True):
        value = leaf.accepted_edges()[0 if end == "low" else 1]
        set_path(data, leaf.path, value.isoformat() if leaf.kind == "date" else value)
    for name in MOU_ORDER:
        _keep_mou_order(data, name)
    premium = data["shipping"]["premium"]
    premium["peak_rate"] = max(premium["peak_rate"], premium["calm_rate"])
    for node in data["nodes"]:
        for defence in node.get("defences", []):
            _keep_resupply_room(defence)
    _drop_conflicting_injects(data)
    return validate_data(data, Scenario, SOURCE)


@pytest.mark.parametrize("end", ["low", "high"])
def test_every_field_at_its_edge_at_once_runs(end: str):
    run_checked(_all_at(end), FAST_ROUNDS)


def test_the_latest_start_date_leaves_room_for_the_longest_run():
    """The last round of the longest run of the longest rounds still has a date."""
    data = base_data()
    data["clock"].update(round_hours=MAX_ROUND_HOURS, rounds=MAX_ROUNDS)
    latest = [leaf for leaf in FAST_LEAVES if leaf.field == "clock.start_date"][0].high
    data["clock"]["start_date"] = latest.isoformat()
    model = build_model(validate_data(data, Scenario, SOURCE), 0)
    model.world.round = MAX_ROUNDS - 1  # jump to the eve of the last round
    model.step()
    assert model.date == latest + dt.timedelta(hours=MAX_ROUND_HOURS * (MAX_ROUNDS - 1))
    assert model.date.year <= 9999


# --- the other direction: what the engine can't use is refused -----------------------------


def refused_values(leaf: Leaf) -> list:
    if leaf.kind == "date":
        return [
            (leaf.high + dt.timedelta(days=1)).isoformat(),
            (leaf.low - dt.timedelta(days=1)).isoformat(),
            "9999-12-31",
        ]
    values = [math.inf, -math.inf, math.nan, 1e308, -1e308]
    if leaf.kind == "integer":
        values += [10**30, 1e30, leaf.high + 1]
    else:
        values.append(math.nextafter(leaf.high, math.inf))
    return values


@pytest.mark.parametrize("leaf", FAST_LEAVES, ids=lambda leaf: leaf.field)
def test_values_the_engine_cannot_use_are_refused_naming_the_field(leaf: Leaf):
    for value in refused_values(leaf):
        data = set_path(base_data(), leaf.path, value)
        with pytest.raises(ScenarioError) as caught:
            validate_data(data, Scenario, SOURCE)
        problems = caught.value.problems
        assert len(problems) == 1 and problems[0].startswith(f"{leaf.field}: "), (value, problems)
