"""Tests for the shipped coastline (wargame/ui/data/gulf_land.json) and the script that cuts it
(scripts/cut_coastline.py): the file is small, names its source, covers every place a scenario
puts on the map, and real geography holds in it; the TopoJSON decoding is checked on a topology
small enough to work out by hand.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from wargame.config.loader import load_scenario

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "wargame" / "ui" / "data"
COASTLINE = DATA / "gulf_land.json"
# Nodes deliberately beyond the map's frame (drawn as a pointer on its edge): Bab el-Mandeb is
# 1,800 km away at the mouth of the Red Sea.
OFF_MAP = {"bab_el_mandeb"}
MARGIN_DEG = 0.5


def _cut_script():
    spec = importlib.util.spec_from_file_location(
        "cut_coastline", REPO / "scripts" / "cut_coastline.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def coast() -> dict:
    return json.loads(COASTLINE.read_text())


def contains(ring: list, lon: float, lat: float) -> bool:
    """Even-odd point in polygon (written here, not imported, so the test checks the data)."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def rings_at(coast: dict, lon: float, lat: float) -> list[int]:
    return [i for i, ring in enumerate(coast["land"]) if contains(ring, lon, lat)]


def area(ring: list) -> float:
    return 0.5 * abs(
        sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1], strict=True))
    )


def test_the_file_is_small_and_names_its_source_and_licence(coast):
    assert COASTLINE.stat().st_size < 150_000
    assert coast["package"] == "world-atlas@2.0.2"
    assert "Natural Earth" in coast["source"] and "public domain" in coast["source"]
    assert "ISC" in coast["source"]
    assert coast["made_by"] == "scripts/cut_coastline.py"
    source_note = (DATA / "SOURCE.md").read_text()
    for fact in ("Natural Earth", "public domain", "world-atlas", "2.0.2", "ISC"):
        assert fact in source_note


def test_every_scenario_node_lies_inside_the_extent_with_margin(coast):
    extent = coast["extent"]
    outside = set()
    for path in sorted((REPO / "configs" / "scenarios").glob("*.yaml")):
        for node in load_scenario(path).nodes:
            inside = (
                extent["west"] + MARGIN_DEG <= node.lon <= extent["east"] - MARGIN_DEG
                and extent["south"] + MARGIN_DEG <= node.lat <= extent["north"] - MARGIN_DEG
            )
            if not inside:
                outside.add(node.id)
    assert outside == OFF_MAP


def test_the_land_fills_the_whole_extent(coast):
    # The cut reaches past every edge of the frame (by its margin), so no edge shows a gap.
    extent = coast["extent"]
    lons = [p[0] for ring in coast["land"] for p in ring]
    lats = [p[1] for ring in coast["land"] for p in ring]
    assert min(lons) < extent["west"] and max(lons) > extent["east"]
    assert min(lats) < extent["south"] and max(lats) > extent["north"]
    labels = {label["name"] for label in coast["labels"]}
    assert labels == {"Iran", "Iraq", "Kuwait", "Saudi Arabia", "Bahrain", "Qatar", "UAE", "Oman"}
    assert len(coast["borders"]) >= 8  # Iran-Iraq, Iraq-Kuwait, Saudi-Qatar, UAE-Oman, ...


def test_real_geography_holds(coast):
    riyadh = rings_at(coast, 46.675, 24.713)
    assert len(riyadh) == 1, "Riyadh lies on the Arabian mainland"
    mainland = riyadh[0]
    # Bahrain is an island: land, but not the mainland's ring.
    bahrain = rings_at(coast, 50.55, 26.05)
    assert bahrain and mainland not in bahrain
    # The middle of the Gulf is sea.
    assert rings_at(coast, 51.0, 27.0) == []
    # The Musandam peninsula's tip is land, joined to Arabia.
    assert rings_at(coast, 56.35, 26.3) == [mainland]
    # Qeshm is an island of about 1,500 km² (0.135 square degrees at 26.7° N).
    qeshm = rings_at(coast, 55.903, 26.755)
    iran = rings_at(coast, 57.0, 28.0)
    assert len(qeshm) == 1 and qeshm != iran
    assert 0.08 < area(coast["land"][qeshm[0]]) < 0.25


def test_scenario_places_fall_on_the_right_side_of_the_coast(coast):
    scenario = load_scenario(REPO / "configs" / "scenarios" / "gulf_2026.yaml")
    mainland = rings_at(coast, 46.675, 24.713)[0]
    iran = rings_at(coast, 57.0, 28.0)[0]
    for node_id in (
        "tss_west",
        "tss_mid",
        "tss_east",
        "hormuz_west",
        "hormuz_east",
        "central_gulf",
    ):
        node = scenario.node(node_id)
        assert rings_at(coast, node.lon, node.lat) == [], f"{node_id} is a sea lane point"
    for node_id in ("kish", "abu_musa", "siri", "larak", "hengam", "qeshm"):
        node = scenario.node(node_id)
        found = rings_at(coast, node.lon, node.lat)
        assert len(found) == 1 and found[0] not in (mainland, iran), f"{node_id} is an island"
    for node_id in ("ali_al_salem", "al_udeid", "al_dhafra", "prince_sultan"):
        node = scenario.node(node_id)
        assert rings_at(coast, node.lon, node.lat) == [mainland], f"{node_id} is inland"
    for node_id in ("bushehr", "hajiabad", "minab"):
        node = scenario.node(node_id)
        assert rings_at(coast, node.lon, node.lat) == [iran], f"{node_id} is in Iran"


def test_topojson_arcs_decode_by_hand():
    cut = _cut_script()
    # Two arcs in quantized, delta-encoded form: x = 10 + 0.5 q, y = 20 + 0.25 q.
    topology = {
        "transform": {"scale": [0.5, 0.25], "translate": [10, 20]},
        "arcs": [[[0, 0], [4, 0], [0, 4]], [[4, 4], [-4, 0], [0, -4]]],
    }
    arcs = cut.decode_arcs(topology)
    assert arcs[0] == [(10.0, 20.0), (12.0, 20.0), (12.0, 21.0)]
    assert arcs[1] == [(12.0, 21.0), (10.0, 21.0), (10.0, 20.0)]
    # Arcs join end to start (the shared point once); ~i is arc i reversed.
    assert cut.ring_of(arcs, [0, 1]) == [(10, 20), (12, 20), (12, 21), (10, 21), (10, 20)]
    assert cut.ring_of(arcs, [~1, ~0]) == [(10, 20), (10, 21), (12, 21), (12, 20), (10, 20)]


def test_clipping_and_simplifying_keep_the_shape():
    cut = _cut_script()
    square = [(0, 0), (4, 0), (4, 4), (0, 4), (0, 0)]
    clipped = cut.clip_ring(square, {"west": 1, "east": 3, "south": -1, "north": 2})
    assert area([list(p) for p in clipped]) == pytest.approx(2 * 2)
    assert cut.clip_ring(square, {"west": 5, "east": 6, "south": 0, "north": 1}) == []
    # Points within the tolerance of a straight coast go; a real corner stays.
    line = [(0, 0), (1, 0.001), (2, 0), (2, 1)]
    assert cut.simplify(line, 0.01) == [(0, 0), (2, 0), (2, 1)]
