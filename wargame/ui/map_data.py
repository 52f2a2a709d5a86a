"""Theatre map data: what the map shows, as JSON-able dicts, from the model and the fog of war.

Owns three pure functions (no Solara here; `components/theatre_map.py` draws their output):

- `basemap()`: the coastline, borders, country labels and graticule shipped in
  `wargame/ui/data/gulf_land.json` (Natural Earth via world-atlas 2.0.2), projected to the map's
  SVG coordinates. It never changes, so the browser receives it once.
- `snapshot(model)`: the true state of the map at the model's current round: every node with
  its state flags, defences and magazines, the sea lanes with the ships on them, and this
  round's strikes, salvos, interdictions and mines as arrows. Every number is read from the
  model's state or from the `figures` its events carry (never parsed out of their sentences,
  never recomputed).
- `for_side(snapshot, side)`: the snapshot as one side may see it. Hidden values are removed
  from the dict (not flagged), so they never reach the browser; what is hidden is decided by
  `wargame.engine.observation.can_see`, the one authority on fog of war.

Projection: equirectangular, x = lon * cos(mid-latitude), y = -lat, scaled so the frame is
`MAP_WIDTH` units wide. Nodes, lanes and coastline go through the same `Projection.xy`.
"""

from __future__ import annotations

import json
import math
import re
import weakref
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from wargame.config.schema import EdgeKind, NodeKind, Scenario, SiteRole, WeaponKind
from wargame.engine import metrics
from wargame.engine.geo import great_circle_km
from wargame.engine.intel import layer_slots
from wargame.engine.observation import can_see, magazine_owner
from wargame.engine.rules.shipping import COMPLY, OUTSIDE
from wargame.engine.theatre import LAUNCH_ROLES, Theatre

DATA_FILE = "gulf_land.json"
MAP_WIDTH = 1000.0
GRATICULE_STEP_DEG = 2
US = "us"
# An Iranian site is drawn damaged below this share of its capacity. Repair closes the gap
# asymptotically (a share a round), so a struck site never returns exactly to 1.
DAMAGED_BELOW = 0.95

# Where arrows start: salvos from the nearest site of a role that launches ballistic, cruise or
# drone weapons; interdictions and mines from the nearest naval base (the anti-ship sites
# nearest the Strait sit on it, and an arrow from them would be too short to see).
SALVO_ROLES = frozenset(
    role
    for kind in (WeaponKind.BALLISTIC, WeaponKind.CRUISE, WeaponKind.DRONE)
    for role in LAUNCH_ROLES[kind]
)
NAVAL_ROLES = frozenset({SiteRole.NAVAL_BASE})
CENTCOM_STRIKES = ("limited_strikes", "expanded_strikes", "regime_campaign")
ARROW_ACTOR = {"salvo": "irgc", "interdiction": "irgc", "mine": "irgc", "strike": "centcom"}

# Drawing. Symbols closer than MIN_SEPARATION (map units, ~10 px at 900 px wide) are drawn
# apart: the less important one (DRAW_PRIORITY) moves away, so each can be hovered and clicked;
# its true lon/lat stay in the data and the details box.
MIN_SEPARATION = 11.0
DRAW_PRIORITY = ("us_base", "afloat", "iran_site", "energy", "city", "port")
SYMBOL_HALF = 7.0
# Node labels: which kinds get one, most important first (the rest show their name on hover);
# a label is 11-unit text, ~5.9 units a character.
LABEL_PRIORITY = ("us_base", "afloat", "iran_site", "city", "energy")
LABEL_CHAR_WIDTH = 5.9
LABEL_HEIGHT = 11.0
# Where a label may sit around its symbol: (dx, dy of the text's baseline point, anchor).
LABEL_SPOTS = (
    (9, 4, "start"),
    (-9, 4, "end"),
    (0, -10, "middle"),
    (0, 18, "middle"),
    (7, -6, "start"),
    (-7, -6, "end"),
    (7, 14, "start"),
    (-7, 14, "end"),
)
SHIP_COUNT_HALF = 9.0  # half the size of a lane's ship-count pill, at its midpoint
# The Strait's name (12.5-unit italic, ~7 units a character) goes a little away from the
# crowded narrows, with a leader line: candidate spots relative to the chokepoint.
STRAIT_CHAR_WIDTH = 7.0
STRAIT_LABEL_SPOTS = (
    (60, 62, "middle"),
    (85, 40, "middle"),
    (20, 80, "middle"),
    (95, 75, "middle"),
    (-30, 85, "middle"),
    (40, -40, "middle"),
)
# What a long place name may drop for its label (the full name shows on hover).
NAME_DETAIL = re.compile(r"( \(| / |, ).*$")
NAME_SUFFIX = re.compile(
    r" (terminal and refinery|refinery and terminal|processing plant|refinery|terminal|LNG|"
    r"Air Base|naval base|missile base|drone base|coastal radar|coastal site|island radar|"
    r"naval air station|island)$"
)


# --- projection and basemap -------------------------------------------------------------------


@dataclass(frozen=True)
class Projection:
    """Equirectangular with a cos(mid-latitude) aspect over the frame (degrees)."""

    west: float
    east: float
    south: float
    north: float

    @property
    def aspect(self) -> float:
        return math.cos(math.radians((self.south + self.north) / 2))

    @property
    def scale(self) -> float:
        """Map units per degree of latitude."""
        return MAP_WIDTH / ((self.east - self.west) * self.aspect)

    @property
    def height(self) -> float:
        return (self.north - self.south) * self.scale

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            round((lon - self.west) * self.aspect * self.scale, 1),
            round((self.north - lat) * self.scale, 1),
        )

    def inside(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north


@cache
def coastline() -> dict:
    """The shipped coastline file as stored: [lon, lat] rings, border lines, label points."""
    text = resources.files("wargame.ui").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def projection() -> Projection:
    extent = coastline()["extent"]
    return Projection(extent["west"], extent["east"], extent["south"], extent["north"])


def _path(points: list[list[float]], closed: bool) -> str:
    proj = projection()
    coords = [proj.xy(lon, lat) for lon, lat in points]
    body = " ".join(f"{x:g},{y:g}" for x, y in coords)
    return f"M{body}{'Z' if closed else ''}"


def _xy(at: list[float]) -> dict[str, float]:
    x, y = projection().xy(*at)
    return {"x": x, "y": y}


@cache
def basemap() -> dict:
    """The static layers of the map in SVG units: computed once per process and shared by every
    browser session (it is read-only; nothing per game lives here)."""
    data = coastline()
    proj = projection()
    graticule = []
    for lon in range(math.ceil(proj.west), math.floor(proj.east) + 1):
        if lon % GRATICULE_STEP_DEG == 0:
            graticule.append({"axis": "lon", "value": lon, "at": proj.xy(lon, proj.north)[0]})
    for lat in range(math.ceil(proj.south), math.floor(proj.north) + 1):
        if lat % GRATICULE_STEP_DEG == 0:
            graticule.append({"axis": "lat", "value": lat, "at": proj.xy(proj.west, lat)[1]})
    return {
        "width": MAP_WIDTH,
        "height": round(proj.height, 1),
        "extent": data["extent"],
        "source": data["source"],
        "land": [_path(ring, closed=True) for ring in data["land"]],
        "borders": [_path(line, closed=False) for line in data["borders"]],
        "labels": [
            {"name": label["name"], "small": label.get("small", False), **_xy(label["at"])}
            for label in data["labels"]
        ],
        "graticule": graticule,
    }


# --- what never changes in a theatre ----------------------------------------------------------


@dataclass(frozen=True)
class TheatreLayout:
    """Per-theatre lookups the snapshot needs every round, built once per theatre."""

    nodes: tuple[dict, ...]  # static fields of each node, in scenario order
    lanes: tuple[dict, ...]  # static fields of each sea-lane edge
    lane_index: dict[tuple[str, str], int]  # (a, b) either way -> index into lanes
    segments: dict[tuple[int, bool], tuple[np.ndarray, np.ndarray]]  # (route, outside) -> (
    # cumulative km at each node of the path, lane index of each segment)
    origins: np.ndarray  # route -> node index of its origin (where waiting ships sit)
    salvo_origin: dict[str, str]  # target -> nearest site of a salvo launch role
    naval_origin: str | None  # nearest naval base to the Strait
    strike_origin: str | None  # where US strike arrows start (afloat command, else a base)
    strait: str | None  # the chokepoint the Strait's lanes meet at
    systems: dict[str, str]  # interceptor id -> its name, for the defences of every node


_LAYOUTS: weakref.WeakKeyDictionary[Theatre, TheatreLayout] = weakref.WeakKeyDictionary()


def layout(theatre: Theatre) -> TheatreLayout:
    """The layout of a theatre, cached while the theatre lives (theatres are shared by every
    model of one scenario, so a session's models share it too)."""
    found = _LAYOUTS.get(theatre)
    if found is None:
        found = _LAYOUTS[theatre] = _build_layout(theatre)
    return found


def _owner(node) -> str | None:
    if node.kind in (NodeKind.US_BASE, NodeKind.AFLOAT):
        return US
    return node.host


def _build_layout(theatre: Theatre) -> TheatreLayout:
    scenario: Scenario = theatre.scenario
    proj = projection()
    centre_lon, centre_lat = (proj.west + proj.east) / 2, (proj.south + proj.north) / 2
    nodes = []
    for node in scenario.nodes:
        on_map = proj.inside(node.lon, node.lat)
        x, y = proj.xy(
            min(max(node.lon, proj.west), proj.east), min(max(node.lat, proj.south), proj.north)
        )
        static: dict[str, Any] = {
            "id": node.id,
            "name": node.name,
            "short": short_name(node.name),
            "kind": node.kind.value,
            "host": node.host,
            "owner": _owner(node),
            "lon": node.lon,
            "lat": node.lat,
            "x": x,
            "y": y,
            "value": node.value,
        }
        if node.role is not None:
            static["role"] = node.role.value
        if node.c2:
            static["c2"] = True
        if node.defences:
            static["magazine_owner"] = magazine_owner(scenario, node.id)
        if not on_map:
            # Drawn as a pointer on the frame's edge, with its distance from the frame's centre.
            static["off_map"] = True
            static["km_away"] = int(
                round(float(great_circle_km(centre_lat, centre_lon, node.lat, node.lon)), -1)
            )
        nodes.append(static)

    separate(nodes)
    at = {n["id"]: [n["x"], n["y"]] for n in nodes}
    lanes, lane_index = [], {}
    for edge in scenario.edges:
        if edge.kind != EdgeKind.SEA_LANE:
            continue
        a, b = scenario.node(edge.a), scenario.node(edge.b)
        lane_index[(edge.a, edge.b)] = lane_index[(edge.b, edge.a)] = len(lanes)
        lanes.append(
            {
                "a": edge.a,
                "b": edge.b,
                "lane": edge.lane.value,
                "points": [at[a.id], at[b.id]],
            }
        )

    place_labels(nodes, lanes, basemap())

    segments = {}
    for route in theatre.routes:
        for outside, path in ((False, route.comply_path), (True, route.outside_path)):
            cumulative = theatre.path_cumulative_km[(route.index, outside)]
            index = np.array(
                [lane_index[(p, q)] for p, q in zip(path[:-1], path[1:], strict=True)],
                dtype=np.int64,
            )
            segments[(route.index, outside)] = (cumulative, index)
    origins = np.array([theatre.index[route.origin] for route in theatre.routes], dtype=np.int64)

    def nearest(roles, target: str) -> str | None:
        sites = [
            s
            for s, role in zip(theatre.iran_sites, theatre.site_roles, strict=True)
            if role in roles
        ]
        if not sites:
            return None
        distances = theatre.distance_km[[theatre.index[s] for s in sites], theatre.index[target]]
        return sites[int(np.argmin(distances))]

    # Arrows start at the nearest site of the launching role, whatever its capacity: the map
    # says where a raid comes from, not which sites still stand (hidden from CENTCOM), and the
    # origin is the same for every side.
    salvo_origin = {}
    for node in scenario.nodes:
        origin = nearest(SALVO_ROLES, node.id) if node.kind != NodeKind.IRAN_SITE else None
        if origin is not None:
            salvo_origin[node.id] = origin
    tss_nodes = {n for lane in lanes if lane["lane"] == "tss" for n in (lane["a"], lane["b"])}
    chokepoints = [
        n.id for n in scenario.nodes if n.kind == NodeKind.CHOKEPOINT and n.id in tss_nodes
    ]
    strait = chokepoints[0] if chokepoints else (sorted(tss_nodes)[0] if tss_nodes else None)
    naval_origin = nearest(NAVAL_ROLES, strait) if strait else None
    afloat = [n.id for n in scenario.nodes if n.kind == NodeKind.AFLOAT]
    bases = [n.id for n in scenario.nodes if n.kind == NodeKind.US_BASE]
    strike_origin = (afloat or bases or [None])[0]
    systems = {
        system: scenario.interceptors[system].name
        for system in sorted({d.system for node in scenario.nodes for d in node.defences})
    }
    return TheatreLayout(
        nodes=tuple(nodes),
        lanes=tuple(lanes),
        lane_index=lane_index,
        segments=segments,
        origins=origins,
        salvo_origin=salvo_origin,
        naval_origin=naval_origin,
        strike_origin=strike_origin,
        strait=strait,
        systems=systems,
    )


def separate(nodes: list[dict]) -> None:
    """Move symbols that would sit on each other apart (see MIN_SEPARATION): in order of
    DRAW_PRIORITY each keeps its place if it is free, else takes the nearest free spot on a
    ring around it; a node moved is marked `shifted`."""
    rank = {kind: i for i, kind in enumerate(DRAW_PRIORITY)}
    placed: list[tuple[float, float]] = []
    for node in sorted(
        (n for n in nodes if n["kind"] in rank and "off_map" not in n),
        key=lambda n: (rank[n["kind"]], -n["value"], n["id"]),
    ):
        x, y = node["x"], node["y"]
        # Away from the nearest symbol first, then turning either way.
        near = min(placed, key=lambda p: math.dist(p, (x, y)), default=(x, y - 1))
        away = math.degrees(math.atan2(y - near[1], x - near[0])) if near != (x, y) else 90.0
        turns = [0] + [sign * step for step in range(30, 181, 30) for sign in (1, -1)]
        spots = [(x, y)] + [
            (
                x + radius * math.cos(math.radians(away + turn)),
                y + radius * math.sin(math.radians(away + turn)),
            )
            for radius in (MIN_SEPARATION, 1.5 * MIN_SEPARATION, 2 * MIN_SEPARATION)
            for turn in turns
        ]
        for spot in spots:
            if all(math.dist(spot, other) >= MIN_SEPARATION for other in placed):
                break
        if spot != (x, y):
            node["x"], node["y"], node["shifted"] = round(spot[0], 1), round(spot[1], 1), True
        placed.append(spot)


def short_name(name: str) -> str:
    """A place's name for its label: "NSA Bahrain / Mina Salman (...)" -> "NSA Bahrain"."""
    short = NAME_SUFFIX.sub("", NAME_DETAIL.sub("", name))
    return short or name


def _box(x: float, y: float, label: list, text: str, char_width: float = LABEL_CHAR_WIDTH) -> tuple:
    dx, dy, anchor = label
    width = char_width * len(text)
    left = x + dx - {"start": 0.0, "middle": width / 2, "end": width}[anchor]
    return (left, y + dy - LABEL_HEIGHT + 2, left + width, y + dy + 2)


def _overlap(a: tuple, b: tuple) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _square(x: float, y: float, half: float) -> tuple:
    return (x - half, y - half, x + half, y + half)


def place_labels(nodes: list[dict], lanes: list[dict], base: dict) -> None:
    """Give the chokepoint (the Strait) and the important nodes a label spot (`label`: [dx, dy,
    text-anchor]) where it covers no symbol, label or country name and stays inside the frame;
    a node with no free spot gets none (its name shows on hover). Greedy: the Strait, then the
    most important kinds and values first. US labels may cover a lane's ship count."""
    drawn = [n for n in nodes if n["kind"] not in ("sea", "chokepoint") and "off_map" not in n]
    fixed = [_square(n["x"], n["y"], SYMBOL_HALF) for n in drawn]
    for label in base["labels"]:
        width = (6.5 if label["small"] else 12.0) * len(label["name"])
        fixed.append(
            (label["x"] - width / 2, label["y"] - 13, label["x"] + width / 2, label["y"] + 3)
        )
    pills = []
    for lane in lanes:
        (xa, ya), (xb, yb) = lane["points"]
        pills.append(_square((xa + xb) / 2, (ya + yb) / 2, SHIP_COUNT_HALF))
    placed: list[tuple] = []

    def free(box: tuple, own: tuple | None, over_pills: bool) -> bool:
        if box[0] < 2 or box[1] < 2 or box[2] > base["width"] - 2 or box[3] > base["height"] - 2:
            return False
        obstacles = fixed + placed + ([] if over_pills else pills)
        return all(_overlap(box, other) == 0 for other in obstacles if other != own)

    for node in nodes:
        if node["kind"] != "chokepoint" or "off_map" in node:
            continue
        for spot in STRAIT_LABEL_SPOTS:
            box = _box(node["x"], node["y"], spot, node["name"], STRAIT_CHAR_WIDTH)
            if free(box, None, over_pills=False):
                node["label"] = list(spot)
                placed.append(box)
                break
    rank = {kind: i for i, kind in enumerate(LABEL_PRIORITY)}
    for node in sorted(
        (n for n in drawn if n["kind"] in rank),
        key=lambda n: (rank[n["kind"]], -n["value"], n["id"]),
    ):
        own = _square(node["x"], node["y"], SYMBOL_HALF)
        for spot in LABEL_SPOTS:
            box = _box(node["x"], node["y"], spot, node["short"])
            if free(box, own, over_pills=node["kind"] in ("us_base", "afloat")):
                node["label"] = list(spot)
                placed.append(box)
                break


# --- the snapshot -----------------------------------------------------------------------------


def snapshot(model) -> dict:
    """The true state of the map at the model's current round (see the module docstring).

    Returns plain Python values only (no numpy), sharing nothing mutable with the model, so a
    list of snapshots can serve as the game's history. What never changes (lane geometry, the
    interceptors' names) is shared between the snapshots of one theatre: read-only.
    """
    theatre: Theatre = model.theatre
    scenario: Scenario = model.spec
    lay = layout(theatre)
    this_round = _round_events(model)
    hits = _raids(this_round)
    # The model's own per-host rows (metrics.host_rows), not a second copy of their rules.
    host_rows = metrics.host_rows(model)
    fm_hosts = {h for h, row in host_rows.items() if row["force_majeure"]}
    restricted = {h for h, row in host_rows.items() if row["restricted"]}
    site_position = {site: i for i, site in enumerate(theatre.iran_sites)}
    waiting_at, lane_ships = _ships(model, lay)

    nodes = []
    for static, spec in zip(lay.nodes, scenario.nodes, strict=True):
        node = dict(static)
        if spec.id in site_position:
            capacity = float(model.world.iran.capacity[site_position[spec.id]])
            node["capacity"] = round(capacity, 3)
            node["damaged"] = capacity < DAMAGED_BELOW
            node["offline"] = capacity < theatre.launch_floor
        if spec.host in model.world.hosts:
            if spec.kind == NodeKind.ENERGY:
                node["force_majeure"] = spec.host in fm_hosts
            if spec.kind == NodeKind.US_BASE:
                node["basing_restricted"] = spec.host in restricted
        if spec.defences:
            node["defences"] = _defences(model, scenario, spec)
        if spec.id in hits:
            node["hit"] = hits[spec.id]
        if waiting_at[theatre.index[spec.id]]:
            node["ships_waiting"] = int(waiting_at[theatre.index[spec.id]])
        nodes.append(node)

    lanes = [dict(lane, ships=int(n)) for lane, n in zip(lay.lanes, lane_ships, strict=True)]
    hosts = {
        host.id: {
            "name": host.name,
            "basing_restricted": model.world.hosts[host.id].restricted,
            "force_majeure": host.id in fm_hosts,
            "damage_total": round(model.world.hosts[host.id].damage_total, 2),
            "tolerance": round(model.world.hosts[host.id].tolerance, 3),
        }
        for host in scenario.actors.hosts
    }
    estimates = {}
    centcom_view = getattr(model, "views", {}).get("centcom")
    if centcom_view is not None and model.round > 0:
        estimates["centcom"] = {"iran_capacity": round(float(centcom_view.iran_capacity), 3)}
    return {
        "round": model.round,
        "date": model.date.isoformat(),
        "strait": lay.strait,
        "nodes": nodes,
        "lanes": lanes,
        "ships": {
            "in_area": int(model.fleet.count()),
            "on_lanes": int(lane_ships.sum()),
            "waiting": int(waiting_at.sum()),
        },
        "hosts": hosts,
        "systems": lay.systems,
        "arrows": _arrows(this_round, hits, lay),
        "estimates": estimates,
    }


def _round_events(model) -> list:
    """The events of the model's current round (the log's tail: events are appended in order)."""
    events = model.events
    start = len(events)
    while start > 0 and events[start - 1].round == model.round:
        start -= 1
    return events[start:] if model.round > 0 else []


def _raids(events: list) -> dict[str, dict]:
    """This round's IRGC raids by target: the figures the engine logged for each (a raid's
    event: adjudication.raids.book_raid), summed over kinds. Its launch sites are not drawn: the arrow
    starts at the layout's origin, the same for every side (which sites stand is Iran's)."""
    raids = {}
    for event in events:
        figures = event.figures
        if event.actor != "irgc" or "target" not in figures:
            continue
        raids[figures["target"]] = {
            "action": event.action,
            **{
                count: sum(figures[count].values())
                for count in ("launched", "intercepted", "leaked")
            },
            "casualties": figures["casualties"],
            "damage": round(figures["damage"], 1),  # as the event's sentence gives it
            "fire": figures["fire"],
        }
    return raids


def _defences(model, scenario: Scenario, spec) -> list[dict]:
    """Each defence layer at a site: interceptors left and the magazine's size now, read from
    the model's magazine arrays; `fielded` says whether the defence mix puts it in play."""
    window = model.world.magazines.slices[spec.id]
    left = model.world.magazines.left[window].tolist()
    cap = model.world.magazines.cap[window].tolist()
    fielded = set(layer_slots(scenario, spec.id))
    return [
        {
            "system": assignment.system,
            "batteries": assignment.batteries,
            "fielded": index in fielded,
            "left": int(left[index]),
            "cap": int(cap[index]),
        }
        for index, assignment in enumerate(spec.defences)
    ]


def _ships(model, lay: TheatreLayout) -> tuple[np.ndarray, np.ndarray]:
    """Ships in the area by where they are: those underway by the lane segment they are on (as
    `Vessel.position` places them), the rest (undecided, waiting) at their route's origin."""
    fleet = model.fleet
    live = np.flatnonzero(fleet.alive)
    waiting_at = np.zeros(len(lay.nodes), dtype=np.int64)
    lane_ships = np.zeros(len(lay.lanes), dtype=np.int64)
    if len(live) == 0:
        return waiting_at, lane_ships
    choice = fleet.choice[live]
    route = fleet.route[live]
    outside = choice == OUTSIDE
    moving = (choice == COMPLY) | outside
    np.add.at(waiting_at, lay.origins[route[~moving]], 1)
    keys = route[moving] * 2 + outside[moving]
    progress = fleet.progress[live][moving]
    for key in np.unique(keys):
        cumulative, lane_of = lay.segments[(int(key) // 2, bool(key % 2))]
        mine = keys == key
        segment = np.searchsorted(cumulative, progress[mine], side="right") - 1
        segment = np.clip(segment, 0, len(lane_of) - 1)
        np.add.at(lane_ships, lane_of[segment], 1)
    return waiting_at, lane_ships


def _arrows(events: list, raids: dict, lay: TheatreLayout) -> list[dict]:
    """This round's actions as arrows: IRGC salvos (one per target), interdictions of ships on
    the TSS branch, mines, and CENTCOM strike packages (one arrow per site struck)."""
    arrows: list[dict] = []
    for target, raid in raids.items():
        origin = lay.salvo_origin.get(target)
        label = (
            f"{raid['launched']} fired: {raid['intercepted']} intercepted, {raid['leaked']} leaked"
        )
        arrows.append(_arrow("salvo", raid["action"], origin, target, raid["launched"], label))
    fired = [e for e in events if e.action == "strike_vessel" and "hit" in e.figures]
    if fired:
        hits = sum(e.figures["hit"] for e in fired)
        label = (
            f"{len(fired)} anti-ship missile{'s' * (len(fired) > 1)} at ships on the TSS: "
            f"{hits} hit{'s' * (hits != 1)}"
        )
        origin = lay.naval_origin
        arrows.append(
            _arrow("interdiction", "strike_vessel", origin, lay.strait, len(fired), label)
        )
    for event in events:
        if event.actor == "irgc" and event.action == "enforce_mandates":
            label = "Routing mandates enforced: warnings to ships on the TSS"
            arrows.append(
                _arrow("interdiction", event.action, lay.naval_origin, lay.strait, None, label)
            )
        elif event.actor == "irgc" and event.action == "mine_lanes":
            if "hits" in event.figures:  # ships that ran onto mines (laid this round or before)
                struck = event.figures["hits"]
                label = f"{struck} ship{'s' * (struck > 1)} hit mines"
                arrows.append(_arrow("mine", "mine_strike", None, lay.strait, struck, label))
            elif "laid" in event.figures:
                label = "Mines laid in the lanes"
                origin = lay.naval_origin
                arrows.append(_arrow("mine", event.action, origin, lay.strait, None, label))
        elif event.actor == "centcom" and event.action in CENTCOM_STRIKES and event.figures:
            arrows.extend(_package_arrows(event, lay))
    return arrows


def _package_arrows(event, lay: TheatreLayout) -> list[dict]:
    """A CENTCOM package: one arrow per site struck (the event's figures list every one), the
    package's numbers on the first. A site's capacity lost stays off the map's arrows (Iran's
    secret; the site's own capacity shows to the sides that may see it)."""
    figures = event.figures
    sites = [struck["site"] for struck in figures["sites"]]
    weapons = figures["weapons"]
    label = f"US strikes: {len(sites)} sites, {weapons} weapons, {figures['hits']} hits"
    return [
        _arrow(
            "strike",
            event.action,
            lay.strike_origin,
            site,
            weapons if first else None,
            label if first else "",
        )
        for first, site in zip([True] + [False] * (len(sites) - 1), sites, strict=True)
    ]


def _arrow(kind: str, action: str, origin, target, count: int | None, label: str) -> dict:
    return {
        "kind": kind,
        "actor": ARROW_ACTOR[kind],
        "action": action,
        "from": origin,
        "to": target,
        "count": count,
        "label": label,
    }


# --- fog of war -------------------------------------------------------------------------------


def for_side(snap: dict, side: str | tuple[str, ...]) -> dict:
    """The snapshot as `side` may see it: a new dict (the stored snapshot is not changed) with
    every value the side may not see removed. `side` may be several sides played together (a
    classroom team playing every GCC host): a value is shown if one of them may see it.

    - "iran_sites": an Iranian site's capacity and the flags read from it (damaged, offline).
      CENTCOM gets its own estimate of their mean capacity (its reports, with error) instead.
    - "magazines" (owner: the host a site stands in, else "us"): interceptors left and
      magazine sizes at each defended site.
    - "tolerance" (owner: the host): each host's tolerance.
    """
    sides = (side,) if isinstance(side, str) else tuple(side)

    def sees(secret: str, owner: str | None = None) -> bool:
        return any(can_see(s, secret, owner) for s in sides)

    see_sites = sees("iran_sites")
    nodes = []
    for node in snap["nodes"]:
        shown = dict(node)
        shown.pop("magazine_owner", None)  # the filter's input, not something to draw
        if not see_sites and "capacity" in node:
            for key in ("capacity", "damaged", "offline"):
                shown.pop(key, None)
        if "defences" in node and not sees("magazines", node["magazine_owner"]):
            shown["defences"] = [
                {k: v for k, v in layer.items() if k not in ("left", "cap")}
                for layer in node["defences"]
            ]
        nodes.append(shown)
    hosts = {}
    for host_id, host in snap["hosts"].items():
        shown = dict(host)
        if not sees("tolerance", host_id):
            shown.pop("tolerance", None)
        hosts[host_id] = shown
    seen = dict(snap, nodes=nodes, hosts=hosts, side=",".join(sides))
    seen["estimates"] = {s: e for s, e in snap["estimates"].items() if s in sides}
    return seen
