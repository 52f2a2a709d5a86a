"""The theatre: a NetworkX graph of bases, ports, sites and sea lanes built from a scenario.

Owns what is *derived* from geography, never typed in by hand: great-circle distances, which
weapon launched from which Iranian site reaches which target, shipping routes as shortest paths
over sea lanes (one through Iran's mandated corridor, one through the international scheme), and
the stretch of each route that lies within anti-ship range of the Iranian coast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from heapq import heappop, heappush
from itertools import count

import networkx as nx
import numpy as np

from wargame.config.schema import (
    SALVO_WEAPON,
    EdgeKind,
    Lane,
    NodeKind,
    Salvo,
    Scenario,
    SiteRole,
    WeaponKind,
)
from wargame.engine.geo import distance_matrix_km, great_circle_km

# Which Iranian sites can launch which kind of weapon.
LAUNCH_ROLES = {
    WeaponKind.BALLISTIC: (SiteRole.MISSILE_BASE,),
    WeaponKind.CRUISE: (SiteRole.MISSILE_BASE, SiteRole.NAVAL_BASE),
    WeaponKind.DRONE: (SiteRole.DRONE_STORAGE,),
    WeaponKind.ANTI_SHIP: (SiteRole.NAVAL_BASE, SiteRole.COASTAL_RADAR, SiteRole.DRONE_STORAGE),
}
HOST_TARGET_KINDS = (NodeKind.US_BASE, NodeKind.PORT, NodeKind.ENERGY, NodeKind.CITY)


# Which kinds of the IRGC's salvo (`Salvo`'s fields) reach each node from the launch sites still
# standing: node -> kinds. Built by `Theatre.salvo_reach`, read by `reachable_mix`.
type ReachTable = Mapping[str, frozenset[str]]
# Most standing-site patterns one theatre remembers reach tables for (each is one dict per node).
REACH_CACHE_LIMIT = 256
# The roles of the sites behind each Iranian capacity the round reads (state.IranForces).
SURVEILLANCE_ROLES = (SiteRole.COASTAL_RADAR, SiteRole.SURVEILLANCE)
STRIKE_ROLES = (SiteRole.DRONE_STORAGE, SiteRole.NAVAL_BASE, SiteRole.COASTAL_RADAR)
MISSILE_ROLES = (SiteRole.MISSILE_BASE,)
DRONE_ROLES = (SiteRole.DRONE_STORAGE,)
CAPACITY_ROLES = (SURVEILLANCE_ROLES, STRIKE_ROLES, MISSILE_ROLES, DRONE_ROLES)

# A sea-lane network as adjacency lists: node -> [(neighbour, km), ...], in `graph`'s order.
type Adjacency = dict[str, list[tuple[str, float]]]


class TheatreError(ValueError):
    """A scenario that validates field by field but whose geography does not work as a theatre."""


@dataclass(frozen=True)
class Route:
    """One origin-destination pair and its two ways through the Strait."""

    index: int
    origin: str
    destination: str
    share: float
    comply_path: tuple[str, ...]
    outside_path: tuple[str, ...]
    comply_km: float
    outside_km: float
    exposed_from_km: float  # along the outside path: where the TSS branch (in reach) begins ...
    exposed_to_km: float  # ... and ends (both 0 when the route is never exposed)


class Theatre:
    """The graph and the geometry every rule and actor reads. Built once per model."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        # A site below this capacity no longer launches (scenario behaviour.operations).
        self.launch_floor = scenario.behaviour.operations.launch_capacity_floor
        self.graph = build_graph(scenario)
        self.node_ids: tuple[str, ...] = tuple(node.id for node in scenario.nodes)
        self.index = {node_id: i for i, node_id in enumerate(self.node_ids)}
        self.lats = np.array([node.lat for node in scenario.nodes])
        self.lons = np.array([node.lon for node in scenario.nodes])
        self.distance_km = distance_matrix_km(self.lats, self.lons)
        self.iran_sites = tuple(n.id for n in scenario.nodes if n.kind == NodeKind.IRAN_SITE)
        self.iran_site_index = np.array([self.index[s] for s in self.iran_sites])
        self.site_roles = tuple(scenario.node(s).role for s in self.iran_sites)
        host_ids = {host.id for host in scenario.actors.hosts}
        self.host_targets = tuple(
            n.id for n in scenario.nodes if n.host in host_ids and n.kind in HOST_TARGET_KINDS
        )
        self.routes = build_routes(scenario, self.graph, self)
        # Per-route numbers as arrays, indexed by a vessel's route id in vectorised updates.
        self.route_share = np.array([r.share for r in self.routes]) / sum(
            r.share for r in self.routes
        )
        # Its running total, ending at exactly 1: `Generator.choice(p=route_share)` draws a route
        # as `route_cdf.searchsorted(rng.random(n), side="right")` (the same draws), minus its
        # checks of `p` on every call.
        self.route_cdf = self.route_share.cumsum()
        self.route_cdf /= self.route_cdf[-1]
        self.route_exposed_from = np.array([r.exposed_from_km for r in self.routes])
        self.route_exposed_to = np.array([r.exposed_to_km for r in self.routes])
        self.route_comply_km = np.array([r.comply_km for r in self.routes])
        self.route_outside_km = np.array([r.outside_km for r in self.routes])
        # Km at each node of each route's paths, keyed (route index, outside?): read-only, shared
        # by every model built on this theatre.
        self.path_cumulative_km = {
            (route.index, outside): path_km(self.graph, list(path))
            for route in self.routes
            for outside, path in ((False, route.comply_path), (True, route.outside_path))
        }
        # The sites (indices into `iran_sites`) behind each capacity the model reads a round.
        self.sites_with_roles = {
            roles: np.array(
                [i for i, role in enumerate(self.site_roles) if role in roles], dtype=np.intp
            )
            for roles in CAPACITY_ROLES
        }
        # Reach tables by which launch sites stand (a pure function of that pattern, so runs
        # sharing this theatre share them).
        self._salvo_reach: dict[bytes, ReachTable] = {}

    # --- reach -----------------------------------------------------------------------------

    def launch_mask(self, kind: WeaponKind) -> np.ndarray:
        """Which Iranian sites (in `iran_sites` order) can launch this kind of weapon."""
        roles = LAUNCH_ROLES[kind]
        return np.array([role in roles for role in self.site_roles], dtype=bool)

    def in_reach(self, weapon_id: str, target: str, capacity: np.ndarray) -> bool:
        """Can a working launch site reach `target` with this weapon? (derived, never typed in)"""
        weapon = self.scenario.weapons[weapon_id]
        able = self.launch_mask(weapon.kind) & (capacity >= self.launch_floor)
        if not able.any():
            return False
        distances = self.distance_km[self.iran_site_index[able], self.index[target]]
        return bool((distances <= weapon.range_km).any())

    def salvo_reach(self, capacity: np.ndarray) -> ReachTable:
        """Which kinds of the IRGC's salvo reach each node from the sites standing at `capacity`:
        the rule of `in_reach`, for every node and kind at once. `reachable_mix` reads it."""
        standing = capacity >= self.launch_floor
        key = standing.tobytes()
        table = self._salvo_reach.get(key)
        if table is not None:
            return table
        irgc = self.scenario.actors.irgc
        reaches = {}
        for kind, slot in SALVO_WEAPON.items():
            weapon_id = getattr(irgc, slot)
            if weapon_id is None:
                continue
            weapon = self.scenario.weapons[weapon_id]
            able = self.launch_mask(weapon.kind) & standing
            distances = self.distance_km[self.iran_site_index[able]]
            reaches[kind] = (distances <= weapon.range_km).any(axis=0)
        table = {
            node_id: frozenset(kind for kind, reach in reaches.items() if reach[i])
            for i, node_id in enumerate(self.node_ids)
        }
        if len(self._salvo_reach) >= REACH_CACHE_LIMIT:
            self._salvo_reach.clear()
        self._salvo_reach[key] = table
        return table

    def nearest_launch_km(self, weapon_id: str, target: str) -> float:
        weapon = self.scenario.weapons[weapon_id]
        mask = self.launch_mask(weapon.kind)
        if not mask.any():
            return float("inf")
        return float(self.distance_km[self.iran_site_index[mask], self.index[target]].min())

    def layout(self) -> dict[str, tuple[float, float]]:
        """A fixed geographic layout (lon, lat) for the Mesa Network space and maps."""
        return {
            node_id: (float(lon), float(lat))
            for node_id, lon, lat in zip(self.node_ids, self.lons, self.lats, strict=True)
        }


def reachable_mix(salvo: Salvo, target: str, reach: ReachTable) -> Salvo:
    """The part of a salvo that can reach `target`: each kind whose weapon reaches it (from a
    launch site still standing, per the reach table) keeps its count, every other kind fires 0.

    The one rule for what the IRGC fires at a target: target selection (a target whose reachable
    mix is empty is no target), the forecasts the actors choose by, and the adjudication of the
    raid all take the salvo through this function, so what is forecast is what is fired.
    """
    kinds = reach.get(target, frozenset())
    return salvo.model_copy(update={kind: 0 for kind in SALVO_WEAPON if kind not in kinds})


def salvo_size(salvo: Salvo) -> int:
    """Weapons of every kind in a salvo (0: nothing to fire)."""
    return sum(getattr(salvo, kind) for kind in SALVO_WEAPON)


def build_graph(scenario: Scenario) -> nx.Graph:
    """Nodes with every scenario attribute; edges weighted by great-circle length in km."""
    graph = nx.Graph(name=scenario.name)
    for node in scenario.nodes:
        graph.add_node(node.id, **node.model_dump(exclude={"id", "defences"}))
    ends = [(scenario.node(edge.a), scenario.node(edge.b)) for edge in scenario.edges]
    # One vectorised call for every edge: the same formula element by element, without the
    # per-call overhead that dominated with 20,000 edges.
    lengths = great_circle_km(
        np.array([a.lat for a, _ in ends], dtype=float),
        np.array([a.lon for a, _ in ends], dtype=float),
        np.array([b.lat for _, b in ends], dtype=float),
        np.array([b.lon for _, b in ends], dtype=float),
    ).tolist()
    for edge, length in zip(scenario.edges, lengths, strict=True):
        graph.add_edge(edge.a, edge.b, kind=edge.kind.value, lane=edge.lane.value, km=length)
    return graph


def sea_lanes(scenario: Scenario, graph: nx.Graph, avoid: Lane) -> Adjacency:
    """The sea-lane network without the lanes of one kind (a vessel's choice of branch), as
    adjacency lists: node -> [(neighbour, km), ...].

    Built once for all routes, and not as a filtered view of `graph`: a view runs its filters on
    every neighbour a search looks at, which made the routes of a large theatre take tens of
    seconds. Edges go in in scenario order, as `build_graph` adds them, so each node lists its
    neighbours in the order `graph` does, and the search below breaks ties the same way.
    """
    sea = nx.Graph()
    for edge in scenario.edges:
        data = graph.edges[edge.a, edge.b]
        if data["kind"] == EdgeKind.SEA_LANE.value and data["lane"] != avoid.value:
            sea.add_edge(edge.a, edge.b, km=data["km"])
    return {
        node: [(other, data["km"]) for other, data in nbrs.items()]
        for node, nbrs in sea.adj.items()
    }


def exposed_nodes(scenario: Scenario, graph: nx.Graph, theatre: Theatre) -> frozenset[str]:
    """Nodes of the TSS branch within anti-ship reach of a launch site (with every site working).

    A vessel defies the mandate where it runs the TSS branch; there it can be struck if a launch
    site reaches it. The same for every route, so found once.
    """
    tss_nodes = {
        node for a, b, lane in graph.edges(data="lane") if lane == Lane.TSS.value for node in (a, b)
    }
    weapon_id = scenario.actors.irgc.anti_ship_weapon
    reach_km = scenario.weapons[weapon_id].range_km
    return frozenset(
        node for node in tss_nodes if theatre.nearest_launch_km(weapon_id, node) <= reach_km
    )


def path_km(graph: nx.Graph, path: list[str]) -> np.ndarray:
    """Cumulative km at each node of a path."""
    steps = [graph.edges[a, b]["km"] for a, b in zip(path[:-1], path[1:], strict=True)]
    return np.concatenate([[0.0], np.cumsum(steps)])


def build_routes(scenario: Scenario, graph: nx.Graph, theatre: Theatre) -> tuple[Route, ...]:
    """Each route's two shortest paths (mandated corridor, international TSS) and its exposure.

    Everything a route does not own (the two lane graphs, the exposed nodes, the paths of an
    origin-destination pair already seen) is computed once, so the cost grows with the number of
    routes times one search, not routes times edges.
    """
    branches = (
        sea_lanes(scenario, graph, avoid=Lane.TSS),
        sea_lanes(scenario, graph, avoid=Lane.CORRIDOR),
    )
    exposed_at = exposed_nodes(scenario, graph, theatre)
    paths_of: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    routes = []
    for index, spec in enumerate(scenario.shipping.routes):
        pair = (spec.origin, spec.destination)
        if pair not in paths_of:
            paths_of[pair] = shortest_paths(branches, index, *pair)
        comply_path, outside_path = paths_of[pair]
        outside_cum = path_km(graph, outside_path)
        exposed = np.array([node in exposed_at for node in outside_path])
        if exposed.any():
            exposed_from, exposed_to = (
                float(outside_cum[exposed].min()),
                float(outside_cum[exposed].max()),
            )
        else:
            exposed_from = exposed_to = 0.0
        routes.append(
            Route(
                index=index,
                origin=spec.origin,
                destination=spec.destination,
                share=spec.share,
                comply_path=tuple(comply_path),
                outside_path=tuple(outside_path),
                comply_km=float(path_km(graph, comply_path)[-1]),
                outside_km=float(outside_cum[-1]),
                exposed_from_km=exposed_from,
                exposed_to_km=exposed_to,
            )
        )
    return tuple(routes)


def shortest_paths(
    branches: tuple[Adjacency, ...], index: int, origin: str, destination: str
) -> tuple[list[str], ...]:
    """The shortest path from origin to destination over each branch's sea lanes."""
    paths = []
    for lanes in branches:
        path = shortest_path_km(lanes, origin, destination)
        if path is None:
            raise TheatreError(
                f"shipping.routes[{index}]: no sea-lane path from {origin!r} to "
                f"{destination!r} (both a corridor and a TSS branch are needed)"
            )
        paths.append(path)
    return tuple(paths)


def shortest_path_km(lanes: Adjacency, source: str, target: str) -> list[str] | None:
    """The shortest path by km from source to target (None if there is none).

    NetworkX 3's `bidirectional_dijkstra` (what `nx.shortest_path(..., weight=...)` runs), step
    for step: the same alternation of directions, the same heap order (distance, then order of
    insertion) and the same sums, so among equally short paths it returns the same one. It works
    on plain adjacency lists, because NetworkX's per-edge weight lookup was most of the time a
    large theatre took to build. tests/test_theatre.py checks both agree on graphs full of ties.
    """
    if source not in lanes or target not in lanes:
        return None
    if source == target:
        return [source]
    final: tuple[dict[str, float], dict[str, float]] = ({}, {})
    seen: tuple[dict[str, float], dict[str, float]] = ({source: 0.0}, {target: 0.0})
    preds: tuple[dict, dict] = ({source: None}, {target: None})
    fringe = ([(0.0, 0, source)], [(0.0, 1, target)])
    order = count(len(fringe))  # after the two ends' entries
    best, meet = None, None
    direction = 1
    while fringe[0] and fringe[1]:
        direction = 1 - direction  # forward first, then backward, in turn
        done, here, there, pred = (
            final[direction],
            seen[direction],
            seen[1 - direction],
            preds[direction],
        )
        dist, _, node = heappop(fringe[direction])
        if node in done:
            continue
        done[node] = dist
        if node in final[1 - direction]:  # settled from both ends: `meet` is on a shortest path
            return trace(preds, meet)
        for other, km in lanes[node]:
            length = dist + km
            if other in done:
                continue
            if other not in here or length < here[other]:
                here[other] = length
                heappush(fringe[direction], (length, next(order), other))
                pred[other] = node
                if other in there:
                    total = length + there[other]
                    if best is None or best > total:
                        best, meet = total, other
    return None


def trace(preds: tuple[dict, dict], meet: str) -> list[str]:
    """The path through `meet`: back to the source by forward predecessors, on to the target by
    backward ones."""
    path = []
    node = meet
    while node is not None:
        path.append(node)
        node = preds[0][node]
    path.reverse()
    node = preds[1][meet]
    while node is not None:
        path.append(node)
        node = preds[1][node]
    return path
