"""Tests for the theatre graph of the default scenario (wargame.engine.theatre, wargame.engine.geo).

Coordinates and orientation distances are copied from reference/facts.md, so a wrong place, a
swapped lat/lon or a broken distance formula shows up here, not in a sweep's results.
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from mesa.discrete_space import Network

from wargame.config.loader import load_scenario
from wargame.config.schema import NodeKind, Scenario, SiteRole
from wargame.engine.model import build_model
from wargame.engine.theatre import (
    Theatre,
    build_graph,
    path_km,
    shortest_path_km,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = REPO / "configs" / "scenarios" / "gulf_2026.yaml"

# facts.md "Places" rows for every place DESIGN §2 names: node id -> (lat, lon).
FACTS_PLACES = {
    "nsa_bahrain": (26.21, 50.61),
    "ali_al_salem": (29.347, 47.521),
    "camp_arifjan": (28.93, 48.10),
    "al_udeid": (25.118, 51.315),
    "al_dhafra": (24.249, 54.547),
    "prince_sultan": (24.063, 47.581),
    "bandar_abbas": (27.18, 56.27),
    "qeshm": (26.755, 55.903),
    "abu_musa": (25.876, 55.033),
    "greater_tunb": (26.259, 55.316),
    "lesser_tunb": (26.242, 55.148),
    "jask": (25.64, 57.77),
    "chabahar": (25.29, 60.64),
    "kharg": (29.24, 50.32),
    "ras_tanura": (26.64, 50.17),
    "sitra_bapco": (26.13, 50.62),
    "fujairah": (25.12, 56.34),
    "jebel_ali": (25.012, 55.062),
    "strait_of_hormuz": (26.56, 56.25),
}

# facts.md "Distances for orientation (great circle)", km.
FACTS_DISTANCES = [
    ("bandar_abbas", "fujairah", 229.0),
    ("bandar_abbas", "jebel_ali", 270.0),
    ("bandar_abbas", "al_dhafra", 369.0),
    ("bandar_abbas", "al_udeid", 545.0),
    ("bushehr", "camp_arifjan", 267.0),
    ("bushehr", "ali_al_salem", 326.0),
]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """An independent great-circle formula (plain math, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(DEFAULT_SCENARIO)


@pytest.fixture(scope="module")
def theatre(scenario: Scenario) -> Theatre:
    return Theatre(scenario)


def full_capacity(theatre: Theatre) -> np.ndarray:
    return np.ones(len(theatre.iran_sites))


def only_sites_working(theatre: Theatre, working: set[str]) -> np.ndarray:
    return np.array([1.0 if site in working else 0.0 for site in theatre.iran_sites])


def with_weapon_range(scenario: Scenario, weapon_id: str, range_km: float) -> Scenario:
    data = scenario.model_dump()
    data["weapons"][weapon_id]["range_km"] = range_km
    return Scenario.model_validate(data)


# --- places ----------------------------------------------------------------------------------


def test_default_scenario_has_at_least_thirty_real_places(scenario: Scenario):
    places = [node for node in scenario.nodes if node.kind != NodeKind.SEA]
    assert len(places) >= 30, f"only {len(places)} non-sea nodes"


@pytest.mark.parametrize("node_id", sorted(FACTS_PLACES))
def test_design_places_sit_at_facts_coordinates(scenario: Scenario, node_id: str):
    ids = {node.id for node in scenario.nodes}
    assert node_id in ids, f"DESIGN §2 names {node_id!r} but the default scenario lacks it"
    node = scenario.node(node_id)
    assert node.kind != NodeKind.SEA
    lat, lon = FACTS_PLACES[node_id]
    assert abs(node.lat - lat) <= 0.05, f"{node_id} lat {node.lat} vs facts.md {lat}"
    assert abs(node.lon - lon) <= 0.05, f"{node_id} lon {node.lon} vs facts.md {lon}"


@pytest.mark.parametrize(("a", "b", "km"), FACTS_DISTANCES)
def test_great_circle_distances_match_facts(theatre: Theatre, a: str, b: str, km: float):
    derived = theatre.distance_km[theatre.index[a], theatre.index[b]]
    assert derived == pytest.approx(km, rel=0.03)
    # The matrix is symmetric: a launch range reads the same either way round.
    assert theatre.distance_km[theatre.index[b], theatre.index[a]] == pytest.approx(derived)


def test_graph_edge_km_is_the_great_circle_length(scenario: Scenario, theatre: Theatre):
    assert theatre.graph.number_of_edges() == len(scenario.edges)
    for a, b, data in theatre.graph.edges(data=True):
        na, nb = scenario.node(a), scenario.node(b)
        expected = haversine_km(na.lat, na.lon, nb.lat, nb.lon)
        assert data["km"] == pytest.approx(expected, rel=1e-3), f"edge {a}-{b}"
        assert data["km"] > 0


# --- reach -----------------------------------------------------------------------------------


def test_500km_ballistic_from_bushehr_reaches_nsa_bahrain_not_prince_sultan(
    scenario: Scenario, theatre: Theatre
):
    weapon = scenario.actors.irgc.ballistic_weapon
    assert scenario.weapons[weapon].range_km == 500
    bushehr_only = only_sites_working(theatre, {"bushehr"})
    assert theatre.in_reach(weapon, "nsa_bahrain", bushehr_only)
    assert not theatre.in_reach(weapon, "prince_sultan", bushehr_only)
    assert not theatre.in_reach(weapon, "prince_sultan", full_capacity(theatre))
    # NSA Bahrain is ~570 km from Hajiabad: without Bushehr it is out of ballistic reach.
    without_bushehr = full_capacity(theatre)
    without_bushehr[theatre.iran_sites.index("bushehr")] = 0.0
    assert not theatre.in_reach(weapon, "nsa_bahrain", without_bushehr)


def test_nothing_in_ballistic_reach_when_every_missile_base_is_below_the_floor(
    scenario: Scenario, theatre: Theatre
):
    weapon = scenario.actors.irgc.ballistic_weapon
    capacity = full_capacity(theatre)
    missile_bases = [
        i for i, role in enumerate(theatre.site_roles) if role == SiteRole.MISSILE_BASE
    ]
    assert missile_bases
    capacity[missile_bases] = theatre.launch_floor * 0.99
    every_target = [node.id for node in scenario.nodes]
    assert not any(theatre.in_reach(weapon, target, capacity) for target in every_target)
    # Drones launch from drone storage, which is untouched: they still reach the hosts.
    assert theatre.in_reach(scenario.actors.irgc.drone_weapon, "nsa_bahrain", capacity)
    # At the floor itself a base still launches.
    capacity[missile_bases] = theatre.launch_floor
    assert theatre.in_reach(weapon, "nsa_bahrain", capacity)


def test_salvo_reach_table_is_in_reach_for_every_node_and_salvo_kind(
    scenario: Scenario, theatre: Theatre
):
    # The table the salvo is cut by (reachable_mix) is the rule of `in_reach`, at full
    # capacity, with every site down, at the floor and for random patterns of ruined sites.
    irgc = scenario.actors.irgc
    weapons = {"ballistic": irgc.ballistic_weapon, "drone": irgc.drone_weapon}
    weapons["cruise"] = irgc.cruise_weapon
    rng = np.random.default_rng(4)
    n = len(theatre.iran_sites)
    patterns = [np.ones(n), np.zeros(n), np.full(n, theatre.launch_floor)]
    patterns += [rng.choice([0.05, 0.5], size=n) for _ in range(6)]
    for capacity in patterns:
        table = theatre.salvo_reach(capacity)
        assert set(table) == set(theatre.node_ids)
        for node_id in theatre.node_ids:
            expected = {k for k, w in weapons.items() if theatre.in_reach(w, node_id, capacity)}
            assert table[node_id] == expected, node_id
    assert theatre.salvo_reach(np.ones(n))["prince_sultan"] == {"drone", "cruise"}


def test_changing_a_weapon_range_changes_reach(scenario: Scenario):
    weapon = scenario.actors.irgc.ballistic_weapon
    longer = Theatre(with_weapon_range(scenario, weapon, 700.0))  # Bushehr-PSAB ~635 km
    shorter = Theatre(with_weapon_range(scenario, weapon, 250.0))  # Bushehr-NSA Bahrain ~308 km
    cap = np.ones(len(longer.iran_sites))
    assert longer.in_reach(weapon, "prince_sultan", cap)
    assert not shorter.in_reach(weapon, "nsa_bahrain", cap)
    # The original scenario object is untouched by the copies.
    assert scenario.weapons[weapon].range_km == 500


# --- routes ----------------------------------------------------------------------------------


def lanes_along(theatre: Theatre, path: tuple[str, ...]) -> set[str]:
    return {theatre.graph.edges[a, b]["lane"] for a, b in zip(path[:-1], path[1:], strict=True)}


def test_every_route_has_a_corridor_and_a_tss_path(scenario: Scenario, theatre: Theatre):
    assert len(theatre.routes) == len(scenario.shipping.routes)
    for route in theatre.routes:
        comply = lanes_along(theatre, route.comply_path)
        outside = lanes_along(theatre, route.outside_path)
        assert "corridor" in comply and "tss" not in comply, route
        assert "tss" in outside and "corridor" not in outside, route
        for path in (route.comply_path, route.outside_path):
            assert path[0] == route.origin and path[-1] == route.destination
        assert route.comply_km > 0 and route.outside_km > 0


def test_exposed_stretch_is_ordered_and_on_the_outside_path(theatre: Theatre):
    for route in theatre.routes:
        assert 0.0 <= route.exposed_from_km <= route.exposed_to_km <= route.outside_km, route
    # Every default route crosses the Strait within anti-ship range of the Iranian coast.
    assert all(route.exposed_to_km > route.exposed_from_km for route in theatre.routes)


# --- routes on larger theatres: the same as NetworkX's shortest paths ------------------------


def networkx_routes(theatre: Theatre) -> list[tuple]:
    """Each route as `nx.shortest_path` over a filtered view of the graph gives it (what the
    theatre did before its own search), with the exposed stretch found node by node."""
    graph, scenario = theatre.graph, theatre.scenario
    weapon_id = scenario.actors.irgc.anti_ship_weapon
    reach_km = scenario.weapons[weapon_id].range_km
    tss_nodes = {n for a, b, lane in graph.edges(data="lane") if lane == "tss" for n in (a, b)}
    views = [
        graph.edge_subgraph(
            [
                (a, b)
                for a, b, d in graph.edges(data=True)
                if d["kind"] == "sea_lane" and d["lane"] != avoid
            ]
        )
        for avoid in ("tss", "corridor")
    ]
    routes = []
    for spec in scenario.shipping.routes:
        comply, outside = (
            nx.shortest_path(v, spec.origin, spec.destination, weight="km") for v in views
        )
        cum = path_km(graph, outside)
        exposed = [
            n in tss_nodes and theatre.nearest_launch_km(weapon_id, n) <= reach_km for n in outside
        ]
        along = cum[np.array(exposed)]
        stretch = (float(along.min()), float(along.max())) if len(along) else (0.0, 0.0)
        routes.append((tuple(comply), tuple(outside), float(path_km(graph, comply)[-1]), *stretch))
    return routes


def twin_theatre(
    scenario: Scenario, seed: int, sea_nodes: int, edges: int, routes: int
) -> Scenario:
    """The default scenario plus random sea lanes among extra sea nodes that come in twins: two
    nodes at the same place with the same lanes, so many routes have two equally short paths and
    only the order of the search decides which one it takes."""
    rng = np.random.default_rng(seed)
    data = scenario.model_dump(mode="json")
    places = [(24.5 + rng.uniform(0, 3), 51 + rng.uniform(0, 5)) for _ in range(sea_nodes)]
    for i, (lat, lon) in enumerate(places):
        for twin in "ab":
            data["nodes"].append(
                {"id": f"w{i}{twin}", "name": f"W{i}{twin}", "kind": "sea", "lat": lat, "lon": lon}
            )
    ids = [n.id for n in scenario.nodes if n.kind == NodeKind.SEA] + [
        f"w{i}" for i in range(sea_nodes)
    ]
    lanes = ["tss", "corridor", "open", "open"]  # mostly open, so both branches connect
    wired: set[frozenset] = set()
    while len(wired) < edges:
        a, b = rng.choice(len(ids), 2, replace=False)
        lane = lanes[int(rng.integers(len(lanes)))]
        if frozenset((a, b)) in wired:
            continue
        wired.add(frozenset((a, b)))
        pairs = [
            {"a": end_a, "b": end_b, "kind": "sea_lane", "lane": lane}
            for end_a in ([ids[a]] if a < len(ids) - sea_nodes else [f"{ids[a]}a", f"{ids[a]}b"])
            for end_b in ([ids[b]] if b < len(ids) - sea_nodes else [f"{ids[b]}a", f"{ids[b]}b"])
        ]
        # In shuffled order, so a node lists twin b before twin a about half the time.
        data["edges"] += [pairs[i] for i in rng.permutation(len(pairs))]
    # Routes from the default origins to twins both branches reach (the rest are cut off).
    graph = build_graph(Scenario.model_validate(data))
    reach = set(graph)
    for avoid in ("tss", "corridor"):
        keep = [
            (a, b)
            for a, b, d in graph.edges(data=True)
            if d["kind"] == "sea_lane" and d["lane"] != avoid
        ]
        reach &= nx.node_connected_component(graph.edge_subgraph(keep), "ras_tanura")
    origins = sorted({r.origin for r in scenario.shipping.routes} & reach)
    ends = sorted(n for n in reach if n.startswith("w"))
    data["shipping"]["routes"] += [
        {"origin": str(rng.choice(origins)), "destination": str(rng.choice(ends)), "share": 1.0}
        for _ in range(routes)
    ]
    return Scenario.model_validate(data)


@pytest.mark.parametrize("seed", [1, 2])
def test_routes_on_a_large_theatre_with_ties_are_networkx_shortest_paths(
    scenario: Scenario, seed: int
):
    big = twin_theatre(scenario, seed, sea_nodes=150, edges=900, routes=150)
    theatre = Theatre(big)
    got = [
        (r.comply_path, r.outside_path, r.comply_km, r.exposed_from_km, r.exposed_to_km)
        for r in theatre.routes
    ]
    assert got == networkx_routes(theatre)
    # The twins make ties: some route goes through a twin that is not the first one listed.
    assert any(
        node.endswith("b") and node.startswith("w")
        for r in theatre.routes
        for node in r.outside_path
    )


@pytest.mark.parametrize("seed", range(5))
def test_own_search_matches_networkx_bidirectional_dijkstra_on_tied_weights(seed: int):
    # Small integer lengths: equal sums everywhere, so only the search's order breaks ties.
    graph = nx.gnm_random_graph(60, 150, seed=seed)
    rng = np.random.default_rng(seed)
    for a, b in graph.edges:
        graph.edges[a, b]["km"] = float(rng.integers(1, 4))
    graph = nx.relabel_nodes(graph, {n: f"n{n}" for n in graph})
    lanes = {n: [(m, d["km"]) for m, d in nbrs.items()] for n, nbrs in graph.adj.items()}
    for a in list(graph)[:20]:
        for b in graph:
            try:
                expected = nx.shortest_path(graph, a, b, weight="km")
            except nx.NetworkXNoPath:
                expected = None
            assert shortest_path_km(lanes, a, b) == expected, (a, b)


# --- the Mesa space --------------------------------------------------------------------------


def test_mesa_network_space_has_one_cell_per_node_at_lon_lat(scenario: Scenario):
    model = build_model(scenario, 0)
    space = model.space
    assert isinstance(space, Network)
    cells = {cell.coordinate: cell for cell in space.all_cells}
    assert set(cells) == {node.id for node in scenario.nodes}
    assert len(space.all_cells) == len(scenario.nodes)
    for node in scenario.nodes:
        np.testing.assert_allclose(cells[node.id].position, [node.lon, node.lat])
    # Cells are joined where the scenario has an edge.
    bahrain = cells["nsa_bahrain"]
    neighbours = {cell.coordinate for cell in bahrain.neighborhood}
    assert "bahrain_approach" in neighbours and "manama" in neighbours
