"""Chart specs (wargame.ui.chart_data): what the browser's charts draw is the model's own metrics.

Each test reads the model's DataCollector columns and checks a chart against them: the right
column, at the right round, not recomputed; a branch's parent timeline; fog of war; the size
of what the browser receives; the "Where is this heading?" fan from a continuation result.
"""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
from support import default_scenario

from wargame.config.ladder import RUNG_NAMES
from wargame.engine import metrics
from wargame.engine.model import build_model
from wargame.engine.observation import visible_metrics
from wargame.ui import chart_data
from wargame.ui.chart_data import (
    PARENT,
    charts,
    fan_chart,
    fan_charts,
    host_damage_fan,
    survival_chart,
    xs,
)

SEED = 1
ROUNDS = 40
# Salvos at the hosts in rounds 16 and 19 by inject, not by the seed's luck: every chart has data
# (interceptions, a collapsing MOU) whatever the actors' choices do to the random stream.
SALVOS = tuple(
    {"round": r, "kind": "action", "actor": "irgc", "action": "salvo_hosts"} for r in (16, 19)
)


def scripted_scenario():
    data = default_scenario().model_dump()
    data["injects"] = [*data["injects"], *SALVOS]
    return type(default_scenario()).model_validate(data)


def play(model, upto, host_rows):
    while model.round < upto:
        model.step()
        host_rows.extend(metrics.host_rows(model).values())


@pytest.fixture(scope="module")
def game():
    model = build_model(scripted_scenario(), SEED)
    host_rows: list[dict] = []
    play(model, ROUNDS, host_rows)
    return model, host_rows


def by_id(specs):
    return {spec["id"]: spec for spec in specs}


def series(spec, name):
    found = [s for s in spec["series"] if s["name"] == name]
    assert len(found) == 1, f"{spec['id']} has no single series {name!r}: {spec['series']}"
    return found[0]


def close(a, b):
    """Equal as drawn: 4 significant digits (see chart_data._wire)."""
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=6e-4, abs_tol=1e-9)


def test_every_series_is_its_model_column_round_by_round(game):
    model, host_rows = game
    cols = model.datacollector.model_vars
    specs = by_id(charts(cols, "observer", host_rows=host_rows))
    rounds = cols["round"]
    expected = {
        ("ladder", "rung"): "rung",
        ("ladder", "highest so far"): "highest_rung",
        ("interceptions", "ballistic missiles"): "intercepted_ballistic",
        ("interceptions", "cruise missiles"): "intercepted_cruise",
        ("interceptions", "drones"): "intercepted_drone",
        ("transits", "transits a day"): "transits",
        ("cost_exchange", "cost exchange"): "cost_exchange",
        ("host_tolerance", "mean of hosts"): "host_tolerance",
    }
    for (chart, name), column in expected.items():
        drawn = series(specs[chart], name)
        assert drawn["column"] == column
        assert xs(drawn) == rounds, f"{chart}/{name} is drawn at the wrong rounds"
        assert all(close(y, v) for y, v in zip(drawn["y"], cols[column], strict=True)), (
            f"{chart}/{name} differs from the model's {column}"
        )
        assert drawn["last"] == cols[column][-1]  # exact, for the page test's data-last
    # Magazines are shares shown as %: the model's column times 100, nothing else.
    share = series(specs["magazines"], "all defended sites")
    assert all(close(y, 100 * v) for y, v in zip(share["y"], cols["magazine_share"], strict=True))
    # The integer columns arrive exactly.
    assert series(specs["ladder"], "rung")["y"] == cols["rung"]
    assert series(specs["interceptions"], "drones")["y"] == cols["intercepted_drone"]


def test_a_shifted_series_would_be_caught(game):
    # The comparison above is strict enough to see a one-round shift of the ladder and of
    # the transits: the test data has rounds where each changes.
    model, _ = game
    cols = model.datacollector.model_vars
    for column in ("rung", "transits", "cost_exchange", "host_tolerance"):
        values = cols[column]
        shifted = [values[0], *values[:-1]]
        assert not all(close(a, b) for a, b in zip(shifted, values, strict=True)), column


def test_interceptions_happened_and_are_drawn_in_their_round(game):
    model, _ = game
    cols = model.datacollector.model_vars
    spec = by_id(charts(cols, "observer"))["interceptions"]
    drones = series(spec, "drones")
    busy = [r for r, v in zip(xs(drones), drones["y"], strict=True) if v]
    assert busy, "the scripted salvos should be intercepted"
    assert busy == [r for r, v in zip(cols["round"], cols["intercepted_drone"], strict=True) if v]


def test_interception_rate_is_the_models_column_as_percent(game):
    model, _ = game
    cols = model.datacollector.model_vars
    rate = series(by_id(charts(cols, "observer"))["interception_rate"], "interception rate")
    model_rate = cols["interception_rate"]
    assert rate["column"] == "interception_rate" and xs(rate) == cols["round"]
    assert all(close(y, 100 * v) for y, v in zip(rate["y"], model_rate, strict=True))
    assert rate["last"] == pytest.approx(100 * model_rate[-1], abs=1e-9)
    # The model's column is what the chart's note says: intercepted over intercepted plus
    # leaked, cumulative, every kind; 0 before the first engagement, a real rate after it.
    kinds = chart_data.THREATS
    engaged_rounds = []
    for i, r in enumerate(cols["round"]):
        hit = sum(cols[f"total_intercepted_{k}"][i] for k in kinds)
        leaked = sum(cols[f"total_leaked_{k}"][i] for k in kinds)
        if hit + leaked:
            engaged_rounds.append(r)
            assert model_rate[i] == pytest.approx(hit / (hit + leaked), abs=1e-6), f"round {r}"
        else:
            assert model_rate[i] == 0.0, f"round {r}"
    # The scripted salvos are mostly intercepted; since the defences were calibrated to the UAE's record (issue 9)
    # it may intercept every threat it engages in these rounds, a rate of exactly 1.
    assert engaged_rounds and 0.5 < model_rate[-1] <= 1.0


def test_the_chart_draws_no_rate_of_its_own(game):
    # Without the model's column the chart is empty: nothing is derived from the totals.
    model, _ = game
    cols = {k: v for k, v in model.datacollector.model_vars.items() if k != "interception_rate"}
    spec = by_id(charts(cols, "observer"))["interception_rate"]
    assert spec["series"] == []
    # Every side sees the rate: its parts (interceptions, leakers) are public.
    full = model.datacollector.model_vars
    for side in ("centcom", "irgc", "bahrain"):
        shown = by_id(charts(full, side))["interception_rate"]
        assert series(shown, "interception rate")["y"][-1] == pytest.approx(
            100 * full["interception_rate"][-1], rel=6e-4
        )


def test_transits_are_per_day_for_any_round_length(game):
    model, _ = game
    cols = model.datacollector.model_vars
    daily = series(by_id(charts(cols, "observer", round_hours=24))["transits"], "transits a day")
    half = series(by_id(charts(cols, "observer", round_hours=12))["transits"], "transits a day")
    assert daily["y"] == cols["transits"]
    assert half["y"] == [2 * v for v in cols["transits"]]


def test_ladder_ticks_name_every_rung(game):
    model, _ = game
    spec = by_id(charts(model.datacollector.model_vars, "observer"))["ladder"]
    assert [t["value"] for t in spec["y_ticks"]] == list(range(len(RUNG_NAMES)))
    assert all(name in t["label"] for t, name in zip(spec["y_ticks"], RUNG_NAMES, strict=True))
    assert series(spec, "rung")["style"] == "step"


def test_mou_and_channel_timeline_covers_every_round_in_its_state(game):
    model, _ = game
    cols = model.datacollector.model_vars
    lanes = {row["name"]: row for row in by_id(charts(cols, "observer"))["diplomacy"]["timeline"]}
    for name, column in (("MOU", "mou"), ("channel", "channel")):
        states = {}
        for seg in lanes[name]["segments"]:
            for r in range(seg["from"], seg["to"] + 1):
                states[r] = seg["state"]
        assert states == dict(zip(cols["round"], cols[column], strict=True)), name
    assert len(lanes["MOU"]["segments"]) > 1  # two salvos collapse the MOU: several states


def test_per_host_lines_come_from_host_rows(game):
    model, host_rows = game
    specs = by_id(charts(model.datacollector.model_vars, "observer", host_rows=host_rows))
    bahrain = [r for r in host_rows if r["host"] == "bahrain"]
    line = series(specs["host_tolerance"], "bahrain")
    assert xs(line) == [r["round"] for r in bahrain]
    assert all(close(y, r["tolerance"]) for y, r in zip(line["y"], bahrain, strict=True))
    assert line["last"] == bahrain[-1]["tolerance"]


def test_a_branch_shows_its_parent_dashed_from_the_round_they_part(game):
    parent, parent_hosts = game
    k = 12
    # The branch: the parent's game to round k, then a new seed (as a "what if" would be).
    model = build_model(default_scenario(), SEED)
    hosts: list[dict] = []
    play(model, k, hosts)
    branch = copy.deepcopy(model)
    branch.reseed(777)
    play(branch, ROUNDS, hosts)
    mine, theirs = branch.datacollector.model_vars, parent.datacollector.model_vars
    assert mine["rung"][:k] == theirs["rung"][:k]  # rounds 1..k shared
    assert chart_data.shared_rounds(mine, theirs) == k
    specs = by_id(charts(mine, "observer", parent_rows=theirs, host_rows=hosts))
    ladder = specs["ladder"]
    own = series(ladder, "rung")
    dashed = series(ladder, PARENT)
    assert dashed["style"] == "dashed" and dashed.get("parent")
    assert xs(own) == list(range(1, ROUNDS + 1))
    assert xs(dashed) == list(range(k, ROUNDS + 1))  # from the shared round k on
    assert dashed["y"] == theirs["rung"][k - 1 :]
    assert dashed["y"][0] == own["y"][k - 1]  # it leaves the branch's line at round k
    assert own["y"][k:] != dashed["y"][1:], "the branch should differ after round k"
    assert ladder["markers"] == [{"x": k, "label": f"branch at round {k}"}]
    transits = specs["transits"]
    assert series(transits, PARENT)["style"] == "dashed"  # one series: just "parent timeline"
    lanes = [row["name"] for row in specs["diplomacy"]["timeline"]]
    assert lanes == ["MOU", "channel", f"MOU ({PARENT})", f"channel ({PARENT})"]


def test_fog_hides_the_columns_a_side_may_not_see(game, monkeypatch):
    model, host_rows = game
    cols = model.datacollector.model_vars
    for side in ("centcom", "irgc", "bahrain"):
        allowed = set(visible_metrics(side, cols))
        for spec in charts(cols, side, host_rows=host_rows):
            for s in spec["series"]:
                if not s["column"].startswith(("host_rows", "total_intercepted_")):
                    assert s["column"] in allowed, f"{side} sees {s['column']}"
    irgc = by_id(charts(cols, "irgc", host_rows=host_rows))
    # The IRGC sees no magazine and no host's tolerance: those charts say so and hold nothing.
    for chart in ("magazines", "cost_exchange", "host_tolerance"):
        assert irgc[chart].get("hidden") and irgc[chart]["note"] == chart_data.HIDDEN_NOTE
        assert not irgc[chart]["series"]
    text = json.dumps(charts(cols, "irgc", host_rows=host_rows))
    assert "magazine_share" not in text and "host_rows.tolerance" not in text
    # A host sees its own tolerance and magazines, no other host's.
    bahrain = by_id(charts(cols, "bahrain", host_rows=host_rows))
    assert [s["name"] for s in bahrain["host_tolerance"]["series"]] == ["bahrain"]
    assert [s["name"] for s in bahrain["magazines"]["series"]] == ["bahrain"]
    # Whatever the fog layer hides is left out, column by column.
    monkeypatch.setattr(
        chart_data, "visible_metrics", lambda side, names: [n for n in names if n != "transits"]
    )
    hidden = by_id(charts(cols, "centcom"))
    assert hidden["transits"]["hidden"] and not hidden["transits"]["series"]
    assert not hidden["ladder"].get("hidden")


def test_payload_at_round_365_is_small():
    model = build_model(scripted_scenario(), SEED)
    host_rows: list[dict] = []
    play(model, 365, host_rows)
    cols = model.datacollector.model_vars
    size = len(json.dumps(charts(cols, "observer", host_rows=host_rows), separators=(",", ":")))
    assert size < 45_000, f"{size} bytes of chart JSON at round 365"
    # A branch at round 1 (the largest parent) still fits.
    other = build_model(default_scenario(), SEED + 1)
    other_hosts: list[dict] = []
    play(other, 365, other_hosts)
    both = charts(
        other.datacollector.model_vars,
        "observer",
        parent_rows=cols,
        host_rows=other_hosts,
        parent_host_rows=host_rows,
        branch_round=1,
    )
    assert len(json.dumps(both, separators=(",", ":"))) < 60_000


def test_records_and_columns_give_the_same_charts(game):
    model, _ = game
    cols = model.datacollector.model_vars
    records = model.datacollector.get_model_vars_dataframe().to_dict("records")
    assert charts(records, "observer") == charts(cols, "observer")


# --- "Where is this heading?" -----------------------------------------------------------------


def outlook(from_round=ROUNDS, horizon=5):
    """A continuation result as wargame.experiments.continuation.OutlookResult holds one."""
    from wargame.experiments.continuation import OutlookResult

    rounds = list(range(from_round + 1, from_round + horizon + 1))
    rung = {
        "q05": np.array([0, 0, 1, 1, np.nan]),
        "q25": np.array([1, 1, 1, 2, np.nan]),
        "q50": np.array([1, 2, 2, 3, np.nan]),
        "q75": np.array([2, 3, 4, 4, np.nan]),
        "q95": np.array([4, 5, 5, 6, np.nan]),
    }
    damage = {q: v * 10.5 for q, v in rung.items()}
    return OutlookResult(
        done=False,
        cancelled=False,
        total=200,
        finished=120,
        failed=0,
        from_round=from_round,
        horizon=horizon,
        request=1,
        rounds=rounds,
        rung=rung,
        survival=np.array([1.0, 0.9, 0.85, 0.8, np.nan]),
        survival_label="share of runs whose MOU has not collapsed since round 40",
        already_collapsed=False,
        host_damage=damage,
        errors=[],
        seconds=1.5,
    )


def test_fan_chart_draws_history_median_and_both_bands(game):
    model, _ = game
    cols = model.datacollector.model_vars
    result = outlook()
    spec = fan_chart(result, cols)
    history = series(spec, "this game")
    assert history["style"] == "step" and history["y"] == cols["rung"]
    median = series(spec, "median rung")
    assert median["style"] == "dashed"
    assert xs(median) == result.rounds and median["y"] == [1, 2, 2, 3, None]
    bands = {b["name"]: b for b in spec["bands"]}
    assert bands["90% of runs"]["lo"] == [0, 0, 1, 1, None]
    assert bands["90% of runs"]["hi"] == [4, 5, 5, 6, None]
    assert bands["50% of runs"]["lo"] == [1, 1, 1, 2, None]
    assert bands["50% of runs"]["hi"] == [2, 3, 4, 4, None]
    assert "120 of 200" in spec["note"]
    assert spec["markers"][0]["x"] == ROUNDS
    # The same from the result's JSON form.
    assert fan_chart(result.to_dict(), cols)["bands"] == spec["bands"]


def test_survival_and_host_damage_fans(game):
    model, _ = game
    result = outlook()
    survival = series(survival_chart(result), "truce survival")
    assert survival["y"] == [100, 90, 85, 80, None]
    spec = host_damage_fan(result, model.datacollector.model_vars)
    assert series(spec, "median damage")["y"] == [10.5, 21, 21, 31.5, None]
    assert (
        series(spec, "this game")["y"][-1]
        == model.datacollector.model_vars["total_host_damage"][-1]
    )
    json.dumps([survival, spec])  # JSON-able, NaN turned into gaps
    three = fan_charts(result, model.datacollector.model_vars)
    assert [c["id"] for c in three] == ["fan_ladder", "fan_survival", "fan_host_damage"]
