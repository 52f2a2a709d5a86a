"""Tests for the theatre map's data (wargame.ui.map_data) and its component's wiring.

One game of the default scenario is played for 60 rounds (seed 10). What the map must draw is
scripted, not left to one seed's luck (a model change moved it before): two human orders (energy
strikes, a regime campaign), action injects (mines, vessel strikes, a host's basing restriction)
and fires certain at energy sites (any leaker, any interception by one), so every flag and arrow
kind shows up whatever the actors would have chosen; after every round the
snapshot is compared with the model it came from: flags with the model's state, magazines with
its arrays, arrows with the round's events and tally, ships on the lanes with the fleet. Then
the fog of war: what each side's map leaves out.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from wargame.config.loader import load_scenario
from wargame.config.schema import Inject
from wargame.engine import metrics
from wargame.engine.model import build_model
from wargame.ui import map_data

REPO = Path(__file__).resolve().parents[1]
SEED = 10
ROUNDS = 60
# Human orders (round -> actor, action) so every kind of raid and package appears in the game.
# Energy strikes on five days in a row: a fire (force majeure) needs a leaker and then luck.
ORDERS = {
    **{day: ("irgc", "strike_energy") for day in range(40, 45)},
    50: ("centcom", "regime_campaign"),
}
# Scripted injects (round -> actor, action): they beat any choice, so the game has mines laid
# while ships are under way (hits), shots at ships, and a host restricting its bases.
INJECTS = {
    **{day: ("irgc", "mine_lanes") for day in (3, 4)},
    **{day: ("irgc", "strike_vessel") for day in (6, 7, 8)},
    20: ("bahrain", "restrict_basing"),
}
# Any leaker on an energy site, and any interception next to one, starts a fire: the energy
# strikes above then put a host in force majeure whatever the interceptions.
CERTAIN_FIRES = {"fire_per_energy_hit": 1.0, "fire_per_interception": 1.0}


def scripted_scenario():
    """The default scenario with the injects and certain fires above."""
    scenario = load_scenario(REPO / "configs" / "scenarios" / "gulf_2026.yaml")
    injects = [
        Inject(round=day, kind="action", actor=actor, action=action)
        for day, (actor, action) in INJECTS.items()
    ]
    adjudication = scenario.adjudication.model_copy(update=CERTAIN_FIRES)
    return scenario.model_copy(update={"injects": injects, "adjudication": adjudication})


def lane_counts_by_agent(model, snap) -> Counter:
    """Ships per lane, counted one Vessel agent at a time from `Vessel.position` (the engine's
    own answer to where a ship is), for comparison with the vectorised count."""
    counts = Counter()
    for agent in model.fleet.agents:
        if agent is None or agent.choice not in ("comply", "outside"):
            continue
        route = agent.route
        path = route.outside_path if agent.choice == "outside" else route.comply_path
        here = path.index(agent.position())
        counts[frozenset((path[here], path[here + 1]))] += 1
    return counts


@pytest.fixture(scope="module")
def game() -> list[dict]:
    """Each round's snapshot with the model's own numbers at that moment."""
    model = build_model(scripted_scenario(), SEED)
    records = []
    for _ in range(ROUNDS):
        order = ORDERS.get(model.round + 1)
        if order:
            model.begin_round()
            model.command(*order)
        model.step()
        snap = map_data.snapshot(model)
        records.append(
            {
                "snap": snap,
                "json": json.dumps(snap),
                "model_capacity": dict(
                    zip(model.theatre.iran_sites, model.world.iran.capacity.tolist(), strict=True)
                ),
                "magazine": model.world.magazines.left.copy(),
                "magazine_cap": model.world.magazines.cap.copy(),
                "slices": model.world.magazines.slices,
                "restricted": {h: s.restricted for h, s in model.world.hosts.items()},
                "force_majeure": {
                    h: row["force_majeure"] for h, row in metrics.host_rows(model).items()
                },
                "tally": copy.deepcopy(model.world.tally),
                "events": [e for e in model.events if e.round == model.round],
                "ships_alive": model.fleet.count(),
                "lanes_by_agent": lane_counts_by_agent(model, snap),
            }
        )
    records[-1]["model"] = model
    return records


def nodes_of(snap: dict) -> dict[str, dict]:
    return {node["id"]: node for node in snap["nodes"]}


def test_iranian_sites_carry_the_models_capacity_and_its_flags(game):
    floor = game[-1]["model"].theatre.launch_floor
    flagged = Counter()
    for record in game:
        nodes = nodes_of(record["snap"])
        for site, capacity in record["model_capacity"].items():
            node = nodes[site]
            assert node["capacity"] == round(capacity, 3)
            assert node["damaged"] == (capacity < map_data.DAMAGED_BELOW)
            assert node["offline"] == (capacity < floor)
            flagged["damaged"] += node["damaged"]
            flagged["offline"] += node["offline"]
    # The game saw US strikes: some site was damaged and one knocked offline.
    assert flagged["damaged"] and flagged["offline"]


def test_host_flags_follow_the_host_states(game):
    seen = Counter()
    for record in game:
        for node in record["snap"]["nodes"]:
            if node["kind"] == "us_base":
                assert node["basing_restricted"] == record["restricted"][node["host"]]
                seen["restricted"] += node["basing_restricted"]
            if node["kind"] == "energy" and node["host"] in record["force_majeure"]:
                assert node["force_majeure"] == record["force_majeure"][node["host"]]
                seen["force_majeure"] += node["force_majeure"]
        for host_id, host in record["snap"]["hosts"].items():
            assert host["basing_restricted"] == record["restricted"][host_id]
    assert seen["restricted"] and seen["force_majeure"]


def test_magazines_equal_the_models_arrays(game):
    for record in game:
        nodes = nodes_of(record["snap"])
        for node_id, window in record["slices"].items():
            layers = nodes[node_id]["defences"]
            assert [layer["left"] for layer in layers] == record["magazine"][window].tolist()
            assert [layer["cap"] for layer in layers] == record["magazine_cap"][window].tolist()
    # Under point defence the laser and the jammer are not in play.
    bahrain = nodes_of(game[0]["snap"])["nsa_bahrain"]["defences"]
    assert {layer["system"]: layer["fielded"] for layer in bahrain} == {
        "de_laser": False,
        "ew_jammer": False,
        "pac2_gemt": True,
        "pac3_mse": True,
    }


def test_salvo_arrows_match_the_rounds_raids(game):
    salvos = 0
    for record in game:
        snap, tally = record["snap"], record["tally"]
        arrows = [a for a in snap["arrows"] if a["kind"] == "salvo"]
        raided = {e.target for e in record["events"] if e.actor == "irgc" and e.phase == 3}
        assert {a["to"] for a in arrows} == raided
        # Every weapon the tally says was launched this round is on an arrow, and each target
        # shows what the engine logged for it.
        assert sum(a["count"] for a in arrows) == sum(tally.launched.values())
        hits = [nodes_of(snap)[a["to"]]["hit"] for a in arrows]
        assert sum(h["intercepted"] for h in hits) == sum(tally.intercepted.values())
        assert sum(h["leaked"] for h in hits) == sum(tally.leaked.values())
        for arrow in arrows:
            assert nodes_of(snap)[arrow["from"]]["kind"] == "iran_site"
        salvos += len(arrows)
    assert salvos >= 3
    actions = {a["action"] for r in game for a in r["snap"]["arrows"] if a["kind"] == "salvo"}
    # (An attack on the US Navy is booked as the same kind of raid; this game need not have one.)
    assert {"salvo_hosts", "strike_energy"} <= actions


def test_strike_interdiction_and_mine_arrows_match_the_round(game):
    kinds = Counter()
    for record in game:
        snap, tally = record["snap"], record["tally"]
        by_kind = {k: [a for a in snap["arrows"] if a["kind"] == k] for k in map_data.ARROW_ACTOR}
        strikes = by_kind["strike"]
        if tally.sites_struck:
            # One arrow per site struck, every one, the package's numbers on the first.
            assert len(strikes) == len({a["to"] for a in strikes}) == tally.sites_struck
            assert all(nodes_of(snap)[a["to"]]["kind"] == "iran_site" for a in strikes)
            assert strikes[0]["label"].startswith(f"US strikes: {tally.sites_struck} sites")
            kinds["big package"] += tally.sites_struck > 4  # more than a sentence names
        else:
            assert strikes == []
        fired = [a for a in by_kind["interdiction"] if a["action"] == "strike_vessel"]
        assert sum(a["count"] for a in fired) == tally.vessels_attacked
        mine_hits = [a for a in by_kind["mine"] if a["action"] == "mine_strike"]
        assert sum(a["count"] for a in mine_hits) == tally.mine_hits
        laid = [a for a in by_kind["mine"] if a["action"] == "mine_lanes"]
        assert bool(laid) == (tally.irgc_action == "mine_lanes")
        for kind, arrows in by_kind.items():
            kinds[kind] += len(arrows)
    assert all(kinds[kind] for kind in map_data.ARROW_ACTOR), kinds
    assert kinds["big package"], "the regime campaign strikes every site: more than four"


def test_arrows_carry_the_events_figures(game):
    """Each arrow says what its event's figures say, and the figures what the round's tally and
    sentence say: a map that drew from anything else, or figures that disagreed with the
    engine's own counts, would fail here."""
    checked = Counter()
    for record in game:
        snap, tally, events = record["snap"], record["tally"], record["events"]
        arrows = snap["arrows"]
        nodes = nodes_of(snap)
        raids = [e for e in events if e.actor == "irgc" and e.phase == 3]
        for kind in tally.launched:  # the figures are the tally, kind by kind
            for count in ("launched", "intercepted", "leaked", "failed"):
                booked = getattr(tally, count)[kind]
                assert sum(e.figures[count][kind] for e in raids) == booked, (count, kind)
        for event in raids:
            figures = event.figures
            launched = sum(figures["launched"].values())
            [arrow] = [a for a in arrows if a["kind"] == "salvo" and a["to"] == figures["target"]]
            assert (
                arrow["count"]
                == launched
                == sum(
                    figures[c][k] for c in ("intercepted", "leaked", "failed") for k in figures[c]
                )
            )
            hit = nodes[figures["target"]]["hit"]
            assert (hit["launched"], hit["intercepted"], hit["leaked"]) == (
                launched,
                sum(figures["intercepted"].values()),
                sum(figures["leaked"].values()),
            )
            assert hit["casualties"] == figures["casualties"]
            assert hit["damage"] == round(figures["damage"], 1)
            assert event.outcome == (
                f"{hit['intercepted']} intercepted, {hit['leaked']} leaked, "
                f"{hit['casualties']} casualties"
            )
            assert f"fires {launched} missiles and drones" in event.sentence
            assert f"damage {figures['damage']:.1f}," in event.sentence
            fired = {k for k, v in figures["launched"].items() if v}
            assert fired <= set(figures["launch_sites"]) and all(
                figures["launch_sites"][k] for k in fired
            ), "each kind fired comes from some site standing in range"
            checked["salvo"] += 1
        for event in events:
            if event.actor != "centcom" or not event.figures:
                continue
            sites = event.figures["sites"]
            strikes = [a for a in arrows if a["kind"] == "strike"]
            assert [a["to"] for a in strikes] == [s["site"] for s in sites]
            assert (
                strikes[0]["count"] == event.figures["weapons"] == sum(s["weapons"] for s in sites)
            )
            assert event.figures["hits"] == sum(s["hits"] for s in sites)
            assert event.outcome.startswith(f"{event.figures['hits']} hits")
            assert len(sites) == tally.sites_struck
            # A site with a hit lost capacity; one without kept it.
            assert all((s["capacity_loss"] > 0) == (s["hits"] > 0) for s in sites)
            checked["strike"] += 1
        shots = [e for e in events if e.action == "strike_vessel" and e.figures]
        assert len(shots) == tally.vessels_attacked
        assert sum(e.figures["hit"] for e in shots) == tally.vessels_struck
        for event in shots:
            assert event.target == f"vessel {event.figures['vessel']}"
            assert event.outcome == ("hit" if event.figures["hit"] else "missed")
        [fired] = [a for a in arrows if a["action"] == "strike_vessel"] or [None]
        assert (fired["count"] if fired else 0) == len(shots)
        checked["interdiction"] += len(shots)
        mined = [e for e in events if e.action == "mine_lanes" and "hits" in e.figures]
        assert sum(e.figures["hits"] for e in mined) == tally.mine_hits
        [struck] = [a for a in arrows if a["action"] == "mine_strike"] or [None]
        assert (struck["count"] if struck else 0) == tally.mine_hits
        checked["mine"] += len(mined)
    assert all(checked[k] for k in ("salvo", "strike", "interdiction", "mine")), checked


def test_arrows_are_this_rounds_only(game):
    # Every arrow is an action logged this round (a mine strike is logged as mine_lanes).
    for record in game:
        logged = {(e.actor, e.action) for e in record["events"]}
        for arrow in record["snap"]["arrows"]:
            action = "mine_lanes" if arrow["action"] == "mine_strike" else arrow["action"]
            assert (arrow["actor"], action) in logged
    # A raid is drawn in its round and gone in the next, quiet one.
    after_raid = [
        later
        for earlier, later in zip(game, game[1:], strict=False)
        if any(a["kind"] == "salvo" for a in earlier["snap"]["arrows"])
        and later["tally"].irgc_action not in ("salvo_hosts", "strike_energy", "strike_us_navy")
    ]
    assert after_raid
    for record in after_raid:
        assert not any(a["kind"] == "salvo" for a in record["snap"]["arrows"])
        assert not any("hit" in node for node in record["snap"]["nodes"])


def test_ships_on_lanes_sum_to_the_ships_in_the_area(game):
    for record in game:
        snap = record["snap"]
        lanes = sum(lane["ships"] for lane in snap["lanes"])
        waiting = sum(node.get("ships_waiting", 0) for node in snap["nodes"])
        assert lanes + waiting == record["ships_alive"] == snap["ships"]["in_area"]
        assert snap["ships"]["on_lanes"] == lanes and snap["ships"]["waiting"] == waiting
        # Each lane carries exactly the ships the engine places on it.
        shown = Counter(
            {frozenset((lane["a"], lane["b"])): lane["ships"] for lane in snap["lanes"]}
        )
        assert +shown == record["lanes_by_agent"]
    assert any(record["snap"]["ships"]["on_lanes"] > 50 for record in game)


def test_a_snapshot_is_json_small_and_shares_nothing_with_the_model(game):
    for record in game:
        # Stepping the model later did not change what was recorded at the time.
        assert json.dumps(record["snap"]) == record["json"]
        json.loads(json.dumps(record["snap"], allow_nan=False))
    for side in ("observer", "centcom", "irgc", "bahrain"):
        seen = map_data.for_side(game[-1]["snap"], side)
        assert len(json.dumps(seen)) < 30_000  # what travels to the browser each round


def test_nodes_are_drawn_inside_the_frame_at_their_place(game):
    base = map_data.basemap()
    proj = map_data.projection()
    assert base["width"] == map_data.MAP_WIDTH
    # cos(latitude) aspect: a degree of longitude is shorter than a degree of latitude.
    assert base["height"] / base["width"] == pytest.approx(
        (proj.north - proj.south) / ((proj.east - proj.west) * proj.aspect), rel=1e-3
    )
    assert len(base["land"]) == len(map_data.coastline()["land"])
    for node in game[0]["snap"]["nodes"]:
        assert 0 <= node["x"] <= base["width"] and 0 <= node["y"] <= base["height"]
        if "off_map" in node or node.get("shifted"):
            continue
        assert (node["x"], node["y"]) == proj.xy(node["lon"], node["lat"])
    drawn = [
        n for n in game[0]["snap"]["nodes"] if n["kind"] not in ("sea", "chokepoint", "off_map")
    ]
    for i, a in enumerate(drawn):
        for b in drawn[i + 1 :]:
            gap = np.hypot(a["x"] - b["x"], a["y"] - b["y"])
            if "off_map" not in a and "off_map" not in b:
                assert gap >= map_data.MIN_SEPARATION - 0.2, (a["id"], b["id"])
    far = nodes_of(game[0]["snap"])["bab_el_mandeb"]
    assert far["off_map"] and 1_700 < far["km_away"] < 1_900
    assert far["x"] == 0 and far["y"] == base["height"]  # on the frame's south-west corner


# --- fog of war -------------------------------------------------------------------------------


def test_centcom_sees_no_true_iranian_capacity(game):
    snap = game[-1]["snap"]
    stored = json.dumps(snap)
    seen = map_data.for_side(snap, "centcom")
    for node in seen["nodes"]:
        if node["kind"] == "iran_site":
            assert not {"capacity", "damaged", "offline"} & set(node)
    assert '"capacity"' not in json.dumps(seen)
    # Its own estimate instead (its reports, with error), and it runs the air defence.
    assert seen["estimates"]["centcom"]["iran_capacity"] > 0
    assert all("left" in layer for n in seen["nodes"] for layer in n.get("defences", []))
    assert "tolerance" not in json.dumps(seen["hosts"])
    assert json.dumps(snap) == stored, "for_side must not change the stored snapshot"


def test_irgc_sees_its_sites_but_no_magazines(game):
    seen = map_data.for_side(game[-1]["snap"], "irgc")
    sites = [n for n in seen["nodes"] if n["kind"] == "iran_site"]
    assert all("capacity" in n for n in sites)
    for node in seen["nodes"]:
        for layer in node.get("defences", []):
            assert "left" not in layer and "cap" not in layer
            assert "system" in layer  # which systems stand there is no secret
    assert seen["estimates"] == {}


def test_a_host_sees_its_own_magazines_and_tolerance_only(game):
    seen = map_data.for_side(game[-1]["snap"], "bahrain")
    for node in seen["nodes"]:
        for layer in node.get("defences", []):
            assert ("left" in layer) == (node["host"] == "bahrain"), node["id"]
    assert "tolerance" in seen["hosts"]["bahrain"]
    assert all("tolerance" not in h for hid, h in seen["hosts"].items() if hid != "bahrain")
    assert not any("capacity" in n for n in seen["nodes"])


def test_the_observer_sees_everything(game):
    snap = game[-1]["snap"]
    seen = map_data.for_side(snap, "observer")
    strip = {"magazine_owner"}
    assert [{k: v for k, v in n.items() if k not in strip} for n in snap["nodes"]] == seen["nodes"]
    assert seen["hosts"] == snap["hosts"]


# --- the component ----------------------------------------------------------------------------


def test_the_component_sends_the_snapshot_and_reports_a_click(game):
    import ipyvue
    import solara

    from wargame.ui.components.theatre_map import TheatreMap

    picked = []
    rounds = [map_data.for_side(record["snap"], "centcom") for record in game[:2]]
    shown = solara.reactive(0)

    @solara.component
    def Page():  # noqa: N802 (a Solara component)
        TheatreMap(rounds[shown.value], selected="qeshm", on_select=picked.append)

    _, rc = solara.render(Page(), handle_error=False)
    view = rc.find(ipyvue.VueTemplate).widget
    assert json.loads(view.state_json) == rounds[0] and view.selected == "qeshm"
    assert view.basemap == map_data.basemap()
    # The next round sends the new snapshot, and not the coastline again.
    resent = []
    view.observe(resent.append, names="basemap")
    shown.value = 1
    assert json.loads(view.state_json) == rounds[1] and resent == []
    # What the browser sends when a node is clicked.
    view._handle_event(None, {"event": "select", "data": "nsa_bahrain"}, [])
    assert picked == ["nsa_bahrain"]
    rc.close()


def test_nothing_is_in_force_majeure_before_the_first_round():
    snap = map_data.snapshot(
        build_model(load_scenario(REPO / "configs" / "scenarios" / "gulf_2026.yaml"), 0)
    )
    assert [n["id"] for n in snap["nodes"] if n.get("force_majeure")] == []
    assert not any(host["force_majeure"] for host in snap["hosts"].values())


def test_a_team_of_several_hosts_sees_what_each_of_them_sees(game):
    snap = game[-1]["snap"]
    team = ("bahrain", "qatar")
    seen = map_data.for_side(snap, team)
    for node in seen["nodes"]:
        for layer in node.get("defences", []):
            assert ("left" in layer) == (node["host"] in team), node["id"]
    assert {h for h, row in seen["hosts"].items() if "tolerance" in row} == set(team)
    assert not any("capacity" in n for n in seen["nodes"])
    assert seen["estimates"] == {}
    # One side as a tuple is that side.
    assert map_data.for_side(snap, ("bahrain",)) == map_data.for_side(snap, "bahrain")
