"""The theatre: a NetworkX graph of bases, ports, sites and sea lanes built from a scenario.

Owns what is *derived* from geography, never typed in by hand: great-circle distances, which
weapon launched from which Iranian site reaches which target, shipping routes as shortest paths
over sea lanes (one through Iran's mandated corridor, one through the international scheme), and
the stretch of each route that lies within anti-ship range of the Iranian coast.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from wargame.config.schema import EdgeKind, Lane, NodeKind, Scenario, SiteRole, WeaponKind
from wargame.engine.geo import distance_matrix_km

# Which Iranian sites can launch which kind of weapon.
LAUNCH_ROLES = {
    WeaponKind.BALLISTIC: (SiteRole.MISSILE_BASE,),
    WeaponKind.CRUISE: (SiteRole.MISSILE_BASE, SiteRole.NAVAL_BASE),
    WeaponKind.DRONE: (SiteRole.DRONE_STORAGE,),
    WeaponKind.ANTI_SHIP: (SiteRole.NAVAL_BASE, SiteRole.COASTAL_RADAR, SiteRole.DRONE_STORAGE),
}
# A site below this capacity no longer launches (it is a ruin until repaired).
LAUNCH_CAPACITY_FLOOR = 0.1
HOST_TARGET_KINDS = (NodeKind.US_BASE, NodeKind.PORT, NodeKind.ENERGY, NodeKind.CITY)


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
        self.route_exposed_from = np.array([r.exposed_from_km for r in self.routes])
        self.route_exposed_to = np.array([r.exposed_to_km for r in self.routes])
        self.route_comply_km = np.array([r.comply_km for r in self.routes])
        self.route_outside_km = np.array([r.outside_km for r in self.routes])
        self.role_masks = {
            role: np.array([r == role for r in self.site_roles], dtype=bool) for role in SiteRole
        }

    # --- reach -----------------------------------------------------------------------------

    def launch_mask(self, kind: WeaponKind) -> np.ndarray:
        """Which Iranian sites (in `iran_sites` order) can launch this kind of weapon."""
        roles = LAUNCH_ROLES[kind]
        return np.array([role in roles for role in self.site_roles], dtype=bool)

    def in_reach(self, weapon_id: str, target: str, capacity: np.ndarray) -> bool:
        """Can a working launch site reach `target` with this weapon? (derived, never typed in)"""
        weapon = self.scenario.weapons[weapon_id]
        able = self.launch_mask(weapon.kind) & (capacity >= LAUNCH_CAPACITY_FLOOR)
        if not able.any():
            return False
        distances = self.distance_km[self.iran_site_index[able], self.index[target]]
        return bool((distances <= weapon.range_km).any())

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


def build_graph(scenario: Scenario) -> nx.Graph:
    """Nodes with every scenario attribute; edges weighted by great-circle length in km."""
    graph = nx.Graph(name=scenario.name)
    for node in scenario.nodes:
        graph.add_node(node.id, **node.model_dump(exclude={"id", "defences"}))
    for edge in scenario.edges:
        a, b = scenario.node(edge.a), scenario.node(edge.b)
        length = float(distance_matrix_km(np.array([a.lat, b.lat]), np.array([a.lon, b.lon]))[0, 1])
        graph.add_edge(edge.a, edge.b, kind=edge.kind.value, lane=edge.lane.value, km=length)
    return graph


def sea_graph(graph: nx.Graph, avoid: Lane) -> nx.Graph:
    """The sea-lane network without the lanes of one kind (a vessel's choice of branch)."""
    keep = [
        (a, b)
        for a, b, data in graph.edges(data=True)
        if data["kind"] == EdgeKind.SEA_LANE.value and data["lane"] != avoid.value
    ]
    return graph.edge_subgraph(keep)


def path_km(graph: nx.Graph, path: list[str]) -> np.ndarray:
    """Cumulative km at each node of a path."""
    steps = [graph.edges[a, b]["km"] for a, b in zip(path[:-1], path[1:], strict=True)]
    return np.concatenate([[0.0], np.cumsum(steps)])


def build_routes(scenario: Scenario, graph: nx.Graph, theatre: Theatre) -> tuple[Route, ...]:
    comply_graph = sea_graph(graph, avoid=Lane.TSS)
    outside_graph = sea_graph(graph, avoid=Lane.CORRIDOR)
    anti_ship = scenario.weapons[scenario.actors.irgc.anti_ship_weapon]
    routes = []
    for index, spec in enumerate(scenario.shipping.routes):
        paths = []
        for sub in (comply_graph, outside_graph):
            try:
                paths.append(nx.shortest_path(sub, spec.origin, spec.destination, weight="km"))
            except (nx.NetworkXNoPath, nx.NodeNotFound):
                raise TheatreError(
                    f"shipping.routes[{index}]: no sea-lane path from {spec.origin!r} to "
                    f"{spec.destination!r} (both a corridor and a TSS branch are needed)"
                ) from None
        comply_path, outside_path = paths
        outside_cum = path_km(graph, outside_path)
        # A vessel defies the mandate where it runs the TSS branch; there it can be struck if a
        # launch site reaches it.
        tss_nodes = {
            node
            for a, b, data in graph.edges(data=True)
            if data["lane"] == Lane.TSS.value
            for node in (a, b)
        }
        exposed = np.array(
            [
                node in tss_nodes
                and theatre.nearest_launch_km(scenario.actors.irgc.anti_ship_weapon, node)
                <= anti_ship.range_km
                for node in outside_path
            ]
        )
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
