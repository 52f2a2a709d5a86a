"""Scenario-size benchmark: is a scenario at the schema's limits still quick to check and to run?

Run from the project root:

    .venv/bin/python benchmarks/bench_limits.py             # about 1 minute on 2 cores
    .venv/bin/python benchmarks/bench_limits.py --repeat 1  # about 25 s

It builds, in memory, a scenario at the documented list limits of `Scenario` (nodes, edges,
shipping routes, injects), grown from the default scenario the way an adversarial tester did:
extra sea waypoints on a grid, random sea lanes (tss, corridor or open) between any two nodes,
routes between random nodes, and one Lebanon inject a round. It writes that YAML to a temporary
file (validation reads files), then times, beside the default scenario:

- validate:    what `run.py validate FILE` does in-process (read, parse, check, build the theatre);
- theatre:     `Theatre(scenario)` alone (graph, distances, routes);
- build_model: a model from a fresh scenario object, theatre included, as one `simulate` does;
- 5 rounds:    `model.step()` five times.

Each figure is the fastest of `--repeat` wall-clock timings. The machine is shared, so read the
ratios (limits / default) and the load line more than the seconds. Nothing is asserted; the last
line, `RESULT {json}`, holds every figure for scripts.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import yaml
from annotated_types import MaxLen
from common import machine_load, print_table  # noqa: E402  (benchmarks/ is on sys.path)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from wargame.cli.main import check_file  # noqa: E402
from wargame.config.loader import load_file  # noqa: E402
from wargame.config.schema import Scenario, ShippingParams  # noqa: E402
from wargame.engine.model import build_model  # noqa: E402
from wargame.engine.theatre import Theatre  # noqa: E402

DEFAULT_SCENARIO = REPO / "configs" / "scenarios" / "gulf_2026.yaml"
ROUNDS = 5


def max_length(model, field: str) -> int:
    """The schema's cap on a list field, read from the model so the benchmark follows it."""
    return next(m.max_length for m in model.model_fields[field].metadata if isinstance(m, MaxLen))


def limits_scenario(base: dict, seed: int = 1) -> dict:
    """The default scenario's data grown to every list limit (see the module docstring)."""
    rng = random.Random(seed)
    data = dict(base)
    nodes = list(base["nodes"])
    for i in range(max_length(Scenario, "nodes") - len(nodes)):
        lat, lon = 24 + (i % 40) * 0.1, 50 + (i // 40) * 0.15
        nodes.append({"id": f"s{i}", "name": f"S{i}", "kind": "sea", "lat": lat, "lon": lon})
    data["nodes"] = nodes
    ids = [node["id"] for node in nodes]
    edges = list(base["edges"])
    seen = {frozenset((e["a"], e["b"])) for e in edges}
    while len(edges) < max_length(Scenario, "edges"):
        a, b = rng.sample(ids, 2)
        if frozenset((a, b)) not in seen:
            seen.add(frozenset((a, b)))
            edges.append({"a": a, "b": b, "lane": rng.choice(["tss", "corridor", "open"])})
    data["edges"] = edges
    routes = []
    for _ in range(max_length(ShippingParams, "routes")):
        origin, destination = rng.sample(ids, 2)
        routes.append({"origin": origin, "destination": destination, "share": 1.0})
    data["shipping"] = {**base["shipping"], "routes": routes}
    # One a round: two in the same round would set the same thing twice, which is refused.
    data["injects"] = [
        {"round": r, "kind": "lebanon_intensity", "value": 0.5}
        for r in range(1, max_length(Scenario, "injects") + 1)
    ]
    return data


def fastest(repeat: int, work) -> float:
    """The fastest wall-clock time of `repeat` calls of work()."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def measure(path: Path, repeat: int) -> dict[str, float]:
    scenario = load_file(path)

    def cold_model():
        return build_model(load_file(path), 0)  # a new scenario object: no shared theatre

    def run_rounds():
        model = build_model(scenario, 0)
        start = time.perf_counter()
        for _ in range(ROUNDS):
            model.step()
        return time.perf_counter() - start

    return {
        "validate": fastest(repeat, lambda: check_file(path)),
        "load": fastest(repeat, lambda: load_file(path)),
        "theatre": fastest(repeat, lambda: Theatre(scenario)),
        "build_model": fastest(repeat, cold_model),
        f"{ROUNDS} rounds": min(run_rounds() for _ in range(repeat)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timings per figure (fastest kept)")
    args = parser.parse_args()
    print(f"load before: {machine_load()}")
    base = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    big = limits_scenario(base)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "limits.yaml"
        text = yaml.safe_dump(big, default_flow_style=None, width=10**6, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        sizes = {k: len(big[k]) for k in ("nodes", "edges", "injects")}
        sizes["routes"] = len(big["shipping"]["routes"])
        print(f"limits scenario: {sizes}, {len(text) / 1e6:.1f} MB of YAML")
        default = measure(DEFAULT_SCENARIO, args.repeat)
        limits = measure(path, args.repeat)
    rows = [[step, default[step], limits[step], limits[step] / default[step]] for step in default]
    print_table("Wall seconds (fastest of --repeat)", ["step", "default", "limits", "ratio"], rows)
    print(f"load after: {machine_load()}")
    print("RESULT " + json.dumps({"sizes": sizes, "default": default, "limits": limits}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
