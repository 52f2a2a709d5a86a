"""Cut the Gulf coastline the theatre map draws from Natural Earth, once, into a small data file.

Owns `wargame/ui/data/gulf_land.json`: land polygons, country borders and country label points
for the theatre's extent, with the source, version and extent written into the file. The app
reads that file and never downloads anything; this script is run by a developer when the
extent or the source changes, not at setup:

    python scripts/cut_coastline.py                      # fetches world-atlas 2.0.2 with npm pack
    python scripts/cut_coastline.py --source DIR         # an unpacked world-atlas package folder

Source: Natural Earth 1:10m (public domain), as TopoJSON in the npm package `world-atlas`
2.0.2 (ISC licence): `land-10m.json` for the land and `countries-10m.json` for the borders. The
1:10m files, not 1:50m: at 1:50m Kish, Larak, Hengam, Abu Musa and Siri (all Iranian sites of
the scenario) are missing and Musandam is a smooth thumb; cut and simplified, 1:10m is still
well under 100 KB.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "world-atlas"
VERSION = "2.0.2"
NATURAL_EARTH = "4.1.0"  # the Natural Earth edition world-atlas 2.0.2 redistributes (its README)
SCALE = "10m"
# The map's frame (degrees). Every node of the shipped scenarios but Bab el-Mandeb (1,500 km
# away at the Red Sea's mouth; the map points at it from the frame's edge) lies inside it with
# at least 0.5 degrees to spare, afloat command in the Arabian Sea included.
EXTENT = {"west": 45.5, "east": 62.0, "south": 19.5, "north": 31.5}
# Polygons are cut a little beyond the frame, so the straight edges the cut adds lie outside
# what the map shows (the map clips to the frame).
CUT_MARGIN = 0.5
# Douglas-Peucker tolerance in degrees: ~500 m, a quarter of a pixel of a 900-pixel-wide map.
SIMPLIFY_DEG = 0.005
DECIMALS = 3
COUNTRIES = {  # Natural Earth name -> the name the map shows
    "Iran": "Iran",
    "Iraq": "Iraq",
    "Kuwait": "Kuwait",
    "Saudi Arabia": "Saudi Arabia",
    "Bahrain": "Bahrain",
    "Qatar": "Qatar",
    "United Arab Emirates": "UAE",
    "Oman": "Oman",
}
# Label points chosen by hand where the computed one would sit under the map's symbols:
# Bahrain's interior holds NSA Bahrain, Manama and Sitra, so its name goes just south, at sea;
# Qatar's middle holds Al Udeid and Doha, so its name goes to the south of the peninsula.
LABEL_AT = {"Bahrain": (50.55, 25.68), "Qatar": (51.15, 24.78)}
# Countries smaller than this (square degrees) get a small label.
SMALL_COUNTRY_DEG2 = 1.5
OUTPUT = Path(__file__).resolve().parent.parent / "wargame" / "ui" / "data" / "gulf_land.json"

type Point = tuple[float, float]
type Ring = list[Point]


# --- TopoJSON ---------------------------------------------------------------------------------


def decode_arcs(topology: dict) -> list[list[Point]]:
    """Each arc as absolute (lon, lat) points: quantized arcs store the first point and then
    deltas, in integer units of the transform's scale from its translate."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def arc_points(arcs: list[list[Point]], index: int) -> list[Point]:
    """Arc `index`, reversed when the index is negative (~index is the arc)."""
    return arcs[index] if index >= 0 else arcs[~index][::-1]


def ring_of(arcs: list[list[Point]], indices: list[int]) -> Ring:
    """A ring joined from arcs: each arc starts where the last ended, so that point is dropped."""
    ring: Ring = []
    for i, index in enumerate(indices):
        points = arc_points(arcs, index)
        ring.extend(points if i == 0 else points[1:])
    return ring


def polygons_of(geometry: dict) -> list[list[list[int]]]:
    """A Polygon's or MultiPolygon's polygons, each a list of rings of arc indices."""
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


# --- geometry ---------------------------------------------------------------------------------


def clip_ring(ring: Ring, box: dict) -> Ring:
    """Sutherland-Hodgman: the part of a closed ring inside an axis-aligned box. A concave ring
    may come back with zero-width bridges along the box's edge; the margin keeps them off-map."""
    edges = (
        (lambda p: p[0] >= box["west"], lambda a, b: _cross_x(a, b, box["west"])),
        (lambda p: p[0] <= box["east"], lambda a, b: _cross_x(a, b, box["east"])),
        (lambda p: p[1] >= box["south"], lambda a, b: _cross_y(a, b, box["south"])),
        (lambda p: p[1] <= box["north"], lambda a, b: _cross_y(a, b, box["north"])),
    )
    points = ring[:-1] if ring and ring[0] == ring[-1] else ring
    for inside, cross in edges:
        if not points:
            break
        clipped = []
        previous = points[-1]
        for point in points:
            if inside(point):
                if not inside(previous):
                    clipped.append(cross(previous, point))
                clipped.append(point)
            elif inside(previous):
                clipped.append(cross(previous, point))
            previous = point
        points = clipped
    return points


def _cross_x(a: Point, b: Point, x: float) -> Point:
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _cross_y(a: Point, b: Point, y: float) -> Point:
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def clip_line(line: list[Point], box: dict) -> list[list[Point]]:
    """The runs of a polyline whose points lie inside the box (a border is thin: dropping the
    last stretch to the box's edge does not show, since the box is larger than the frame)."""
    runs, run = [], []
    for point in line:
        if box["west"] <= point[0] <= box["east"] and box["south"] <= point[1] <= box["north"]:
            run.append(point)
        else:
            if len(run) >= 2:
                runs.append(run)
            run = []
    if len(run) >= 2:
        runs.append(run)
    return runs


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker, iterative (a long coast would overflow recursion)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        ax, ay = points[first]
        bx, by = points[last]
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy)
        worst, worst_at = -1.0, None
        for i in range(first + 1, last):
            px, py = points[i]
            if norm == 0:
                distance = math.hypot(px - ax, py - ay)
            else:
                distance = abs(dy * (px - ax) - dx * (py - ay)) / norm
            if distance > worst:
                worst, worst_at = distance, i
        if worst_at is not None and worst > tolerance:
            keep[worst_at] = True
            stack.append((first, worst_at))
            stack.append((worst_at, last))
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def simplify_ring(ring: Ring, tolerance: float) -> Ring:
    """Simplify a closed ring: split at its first point and the point farthest from it, so
    the two halves are open lines Douglas-Peucker can work on."""
    if len(ring) < 4:
        return ring
    far = max(range(len(ring)), key=lambda i: math.dist(ring[0], ring[i]))
    first = simplify(ring[: far + 1], tolerance)
    second = simplify(ring[far:] + [ring[0]], tolerance)
    return first[:-1] + second[:-1]


def rounded(points: list[Point]) -> list[list[float]]:
    """Points rounded to DECIMALS (~100 m), repeated points dropped."""
    out: list[list[float]] = []
    for lon, lat in points:
        point = [round(lon, DECIMALS), round(lat, DECIMALS)]
        if not out or out[-1] != point:
            out.append(point)
    return out


def area(ring: list) -> float:
    """Signed shoelace area in square degrees."""
    return 0.5 * sum(
        a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1], strict=True)
    )


def contains(ring: list, lon: float, lat: float) -> bool:
    """Even-odd point in polygon."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def label_point(ring: list, frame: dict) -> list[float]:
    """A point well inside the ring and the frame: of a grid over the ring's part in the frame,
    the point farthest from the ring's edges (a coarse pole of inaccessibility), so a label
    sits on land and not in the sea of a concave coast."""
    part = clip_ring([tuple(p) for p in ring], frame)
    xs, ys = [p[0] for p in part], [p[1] for p in part]
    best, best_at = -1.0, None
    steps = 60
    for i in range(1, steps):
        for j in range(1, steps):
            lon = min(xs) + (max(xs) - min(xs)) * i / steps
            lat = min(ys) + (max(ys) - min(ys)) * j / steps
            if not contains(part, lon, lat):
                continue
            edge = min(
                _segment_distance((lon, lat), a, b)
                for a, b in zip(part, part[1:] + part[:1], strict=True)
            )
            if edge > best:
                best, best_at = edge, (lon, lat)
    if best_at is None:  # a sliver: its first point is on it
        best_at = part[0]
    return [round(best_at[0], 2), round(best_at[1], 2)]


def _segment_distance(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = dx * dx + dy * dy
    t = (
        0.0
        if length == 0
        else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length))
    )
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


# --- the cut ----------------------------------------------------------------------------------


def cut(land_topology: dict, country_topology: dict) -> dict:
    """The data file's content: land rings, border lines and country labels in the extent."""
    box = {
        "west": EXTENT["west"] - CUT_MARGIN,
        "east": EXTENT["east"] + CUT_MARGIN,
        "south": EXTENT["south"] - CUT_MARGIN,
        "north": EXTENT["north"] + CUT_MARGIN,
    }
    arcs = decode_arcs(land_topology)
    land = []
    for geometry in land_topology["objects"]["land"]["geometries"]:
        for polygon in polygons_of(geometry):
            # Outer rings only: Natural Earth has no lakes or holes in this extent, and the map fills
            # each ring as land.
            ring = ring_of(arcs, polygon[0])
            part = rounded(simplify_ring(clip_ring(ring, box), SIMPLIFY_DEG))
            if len(part) >= 3 and abs(area(part)) > 0:
                land.append(part)

    arcs = decode_arcs(country_topology)
    users: dict[int, set[int]] = {}  # arc -> countries whose rings use it
    countries = country_topology["objects"]["countries"]["geometries"]
    for number, geometry in enumerate(countries):
        for polygon in polygons_of(geometry):
            for ring in polygon:
                for index in ring:
                    users.setdefault(index if index >= 0 else ~index, set()).add(number)
    borders = []
    for index, owners in sorted(users.items()):
        if len(owners) < 2:
            continue  # a coast, not a border between two countries
        for run in clip_line(arcs[index], box):
            line = rounded(simplify(run, SIMPLIFY_DEG))
            if len(line) >= 2:
                borders.append(line)

    labels = []
    for geometry in countries:
        name = geometry["properties"]["name"]
        if name not in COUNTRIES:
            continue
        rings = [ring_of(arcs, polygon[0]) for polygon in polygons_of(geometry)]
        parts = [clip_ring(ring, EXTENT) for ring in rings]
        largest = max(range(len(rings)), key=lambda i: abs(area(parts[i])) if parts[i] else 0)
        at = LABEL_AT.get(COUNTRIES[name]) or label_point(rings[largest], EXTENT)
        small = sum(abs(area(part)) for part in parts if part) < SMALL_COUNTRY_DEG2
        labels.append({"name": COUNTRIES[name], "at": list(at), "small": small})
    labels.sort(key=lambda label: label["name"])
    return {
        "source": (
            f"Natural Earth {NATURAL_EARTH} 1:{SCALE} land and Admin 0 countries (public domain), "
            f"as TopoJSON in the npm package {PACKAGE} {VERSION} (ISC licence): land-{SCALE}.json "
            f"for land, countries-{SCALE}.json for borders and label points"
        ),
        "package": f"{PACKAGE}@{VERSION}",
        "extent": EXTENT,
        "cut_margin_deg": CUT_MARGIN,
        "simplify_deg": SIMPLIFY_DEG,
        "made_by": "scripts/cut_coastline.py",
        "land": land,
        "borders": borders,
        "labels": labels,
    }


def fetch(folder: Path) -> Path:
    """Unpack world-atlas@VERSION from the npm registry into `folder`; returns the package."""
    subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"],
        cwd=folder,
        check=True,
        stdout=sys.stderr,
    )
    with tarfile.open(folder / f"{PACKAGE}-{VERSION}.tgz") as archive:
        archive.extractall(folder, filter="data")
    return folder / "package"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, help="an unpacked world-atlas package folder")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temp:
        source = args.source or fetch(Path(temp))
        version = json.loads((source / "package.json").read_text())["version"]
        if version != VERSION:
            print(f"cut_coastline: expected {PACKAGE} {VERSION}, found {version}", file=sys.stderr)
            return 1
        data = cut(
            json.loads((source / f"land-{SCALE}.json").read_text()),
            json.loads((source / f"countries-{SCALE}.json").read_text()),
        )
    text = json.dumps(data, separators=(",", ":"))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n")
    points = sum(len(r) for r in data["land"]) + sum(len(b) for b in data["borders"])
    print(
        f"wrote {args.output}: {len(data['land'])} land rings, {len(data['borders'])} border "
        f"lines, {points} points, {len(text) / 1024:.0f} KB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
