"""Engine benchmark: how fast the Gulf wargame runs, and how its cost grows with ships and places.

Run from the project root:

    .venv/bin/python benchmarks/bench_engine.py           # full run, about 1-2 minutes
    .venv/bin/python benchmarks/bench_engine.py --quick   # smoke check, about 10 seconds

Only figures are printed: a small table per section, then one line starting with ``RESULT `` that
holds every figure as JSON (for scripts and CI logs). Nothing here asserts on a time: timings
depend on the machine and on whatever else runs on it, so the machine's load (`uptime`) is
printed before and after. CPU time is `time.process_time` (this process only), wall time is
`time.perf_counter`.

Sections
--------
1. Default scenario (configs/scenarios/gulf_2026.yaml), 365 rounds, every ship a live Mesa
   ``Vessel`` agent. Three runs with different seeds; for each, wall-clock rounds per second and
   rounds per CPU-second, build time excluded and reported on its own, and the share of CPU time
   spent in Python's garbage collector. The best run is set beside the target (>= 4,000 rounds
   per CPU-second). Also: the mean number of live vessel agents per round, the vessel agents
   created in the run, and the share of a round spent creating and removing Vessel agents,
   measured two ways: by timing ``Fleet.arrive``/``Fleet.depart`` through a wrapper (they also do
   the numpy slot bookkeeping), and by cProfile (the Mesa part alone: ``Vessel.__init__`` +
   ``Agent.remove``). A micro-benchmark gives the bare cost of creating and removing one Vessel
   agent, and the phase table shows where the rest of a round goes (cProfile, which inflates
   call-heavy code, so read its shares as rough).
2. Vessel scaling. ``shipping.arrivals_per_round`` is set so the steady-state number of live
   ships is ~100, ~1,000 and ~10,000 (ships stay ~1.7 rounds; the rate is calibrated on a short
   pilot). After a warm-up the CPU time per round is measured (fastest of 3 identical runs).
   us/vessel is that time over the measured mean live count, us/arrival over the agents created
   per round (the cost follows arrivals, since each arrival is one agent made and later removed).
   The growth exponent log(t2/t1)/log(n2/n1) between consecutive sizes reads: 1 = linear, < 1 =
   better than linear (a fixed per-round cost is being amortised), > 1 = worse than linear.
   "No worse than linear" means exponent <= ~1.
3. Theatre scaling. Theatres of ~40, 67 (the default, for reference), 200 and 2,000 nodes. The
   smallest is a trimmed copy of the default (see `trim_theatre`); larger ones are the default's
   67 nodes plus seeded random cities, energy sites, a few US bases, Iranian sites and sea
   waypoints inside the Gulf box (see `grow_theatre`). Scenario construction + validation, build
   time (``build_model``) and CPU time per round are reported separately, each growth exponent
   against the node count.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import math
import os
import platform
import pstats
import sys
import time
from collections import Counter
from pathlib import Path

import mesa
import numpy as np
from common import machine_load, print_table  # noqa: E402  (benchmarks/ is on sys.path)

from wargame.config.loader import load_scenario
from wargame.config.schema import NodeKind, Scenario, SiteRole
from wargame.engine.fleet import Fleet, Vessel
from wargame.engine.model import GulfModel, build_model
from wargame.engine.theatre import Theatre

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = ROOT / "configs" / "scenarios" / "gulf_2026.yaml"
TARGET_ROUNDS_PER_CPU_SECOND = 4_000
GCC_HOSTS = ("bahrain", "kuwait", "qatar", "uae", "saudi_arabia")
GULF_BOX = {"lat": (23.0, 30.5), "lon": (47.0, 60.0)}

FULL = {
    "rounds": 365,
    "seeds": (1, 2, 3),
    "vessel_targets": (100, 1_000, 10_000),
    "node_targets": (40, 67, 200, 2_000),
    "warmup_rounds": 10,
    "timed_rounds": 50,
    "churn_agents": 50_000,
    "repeats": 3,
}
QUICK = {
    "rounds": 100,
    "seeds": (1, 2, 3),
    "vessel_targets": (100, 1_000),
    "node_targets": (40, 67, 200),
    "warmup_rounds": 5,
    "timed_rounds": 20,
    "churn_agents": 10_000,
    "repeats": 1,
}


# --- small helpers ----------------------------------------------------------------------------


def exponent(t1: float, t2: float, n1: float, n2: float) -> float:
    """Growth exponent of t against n between two sizes: log(t2/t1) / log(n2/n1)."""
    return math.log(t2 / t1) / math.log(n2 / n1)


def modified(scenario: Scenario, **sections) -> Scenario:
    """A validated copy of `scenario` with whole top-level sections replaced or merged.

    A dict value is merged into the section (e.g. ``shipping={"arrivals_per_round": 500}``);
    anything else replaces it (e.g. ``nodes=[...]``).
    """
    data = scenario.model_dump()
    for key, value in sections.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    return Scenario.model_validate(data)


class GcTimer:
    """CPU seconds spent in Python's cyclic garbage collector while active (via gc.callbacks)."""

    def __init__(self):
        self.seconds = 0.0
        self.collections = 0
        self._start = 0.0

    def _callback(self, phase, info):
        if phase == "start":
            self._start = time.process_time()
        else:
            self.seconds += time.process_time() - self._start
            self.collections += 1

    def __enter__(self):
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self._callback)


def run_rounds(
    model: GulfModel, rounds: int, gc_timer: GcTimer | None = None
) -> tuple[float, float]:
    """Step the model `rounds` times; returns (wall seconds, CPU seconds).

    With a `gc_timer`, the garbage collector's share of that time is recorded in it too.
    """
    step = model.step
    if gc_timer is not None:
        gc_timer.__enter__()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    try:
        for _ in range(rounds):
            step()
    finally:
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        if gc_timer is not None:
            gc_timer.__exit__()
    return wall, cpu


def live_counts(model: GulfModel) -> list[int]:
    """Live vessels at the end of each round so far (the DataCollector records it anyway)."""
    return list(model.datacollector.model_vars["vessels_in_area"])


def timed_build(scenario: Scenario, seed: int) -> tuple[GulfModel, float]:
    gc.collect()
    cpu0 = time.process_time()
    model = build_model(scenario, seed)
    return model, time.process_time() - cpu0


def _code_key(function) -> tuple[str, int, str]:
    code = function.__code__
    return code.co_filename, code.co_firstlineno, code.co_name


def profile_cumtime(stats: pstats.Stats, function) -> float:
    """Cumulative seconds cProfile booked for one function (0 when never called)."""
    entry = stats.stats.get(_code_key(function))  # type: ignore[attr-defined]
    return entry[3] if entry else 0.0


# --- section 1: the default scenario ----------------------------------------------------------


def fleet_time_share(scenario: Scenario, seed: int, rounds: int) -> dict:
    """Share of a run's CPU time spent inside Fleet.arrive / Fleet.depart, via timing wrappers."""
    spent = {"arrive": 0.0, "depart": 0.0}
    originals = {"arrive": Fleet.arrive, "depart": Fleet.depart}

    def wrap(name):
        original = originals[name]

        def wrapper(self, *args, **kwargs):
            start = time.process_time()
            try:
                return original(self, *args, **kwargs)
            finally:
                spent[name] += time.process_time() - start

        return wrapper

    model, _ = timed_build(scenario, seed)
    Fleet.arrive, Fleet.depart = wrap("arrive"), wrap("depart")
    try:
        _, cpu = run_rounds(model, rounds)
    finally:
        Fleet.arrive, Fleet.depart = originals["arrive"], originals["depart"]
    return {
        "cpu_s": cpu,
        "arrive_s": spent["arrive"],
        "depart_s": spent["depart"],
        "share": (spent["arrive"] + spent["depart"]) / cpu,
    }


PHASES = (
    ("1 outside processes", GulfModel._outside_processes),
    ("2 vessels arrive+choose", GulfModel._vessels_arrive_and_choose),
    ("3 observe", GulfModel._observe),
    ("3 decide", GulfModel._decide),
    ("4 adjudicate", GulfModel._adjudicate),
    ("   of which move vessels", GulfModel._move_vessels),
    ("5 update hosts", GulfModel._update_hosts),
    ("6 update diplomacy", GulfModel._update_diplomacy),
    ("7 record (DataCollector)", GulfModel._record_round),
    ("Fleet.arrive (all)", Fleet.arrive),
    ("Fleet.depart (all)", Fleet.depart),
    ("Vessel agent create", Vessel.__init__),
    ("Vessel agent remove", mesa.Agent.remove),
)


def profile_phases(scenario: Scenario, seed: int, rounds: int) -> dict:
    """cProfile one run; cumulative share of `GulfModel.step` per phase and for Vessel agents."""
    model, _ = timed_build(scenario, seed)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        model.step()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = profile_cumtime(stats, GulfModel.step)
    shares = {name: profile_cumtime(stats, fn) / total for name, fn in PHASES}
    return {"step_cumtime_s": total, "shares": shares}


def agent_churn_cost(count: int, batch: int = 100) -> dict:
    """Bare cost of creating and removing one Vessel agent (microseconds, CPU, best of 3).

    Agents are made and removed in batches of `batch` (about a round's arrivals in the default
    scenario), on a freshly built default model, so the figure is Mesa's own per-agent overhead
    (Agent.__init__ -> Model.register_agent, Agent.remove -> Model.deregister_agent).
    """
    model = build_model(load_scenario(DEFAULT_SCENARIO), 0)
    best_create = best_remove = float("inf")
    for _ in range(3):
        gc.collect()
        create = remove = 0.0
        for _ in range(count // batch):
            cpu0 = time.process_time()
            agents = [Vessel(model, 0) for _ in range(batch)]
            cpu1 = time.process_time()
            for agent in agents:
                agent.remove()
            create += cpu1 - cpu0
            remove += time.process_time() - cpu1
        made = count // batch * batch
        best_create = min(best_create, create / made * 1e6)
        best_remove = min(best_remove, remove / made * 1e6)
    return {
        "create_us": best_create,
        "remove_us": best_remove,
        "total_us": best_create + best_remove,
    }


def bench_default(scenario: Scenario, cfg: dict) -> dict:
    """Section 1: the default scenario with every ship a live Mesa agent, best of 3 seeds."""
    rounds = cfg["rounds"]
    runs = []
    for seed in cfg["seeds"]:
        model, build_s = timed_build(scenario, seed)
        first_id = model.agent_id_counter
        gc.collect()
        gc_timer = GcTimer()
        wall, cpu = run_rounds(model, rounds, gc_timer)
        live = live_counts(model)
        runs.append(
            {
                "seed": seed,
                "build_s": build_s,
                "wall_s": wall,
                "cpu_s": cpu,
                "gc_share": gc_timer.seconds / cpu,
                "rounds_per_s": rounds / wall,
                "rounds_per_cpu_s": rounds / cpu,
                "ms_per_round_cpu": cpu / rounds * 1e3,
                "mean_live_vessels": float(np.mean(live)),
                "max_live_vessels": int(np.max(live)),
                "agents_created": model.agent_id_counter - first_id,
                "agents_at_build": first_id - 1,  # the state actors
                "transits": int(model.totals["transits"]),
                "highest_rung": model.highest_rung,
            }
        )
    best = max(runs, key=lambda r: r["rounds_per_cpu_s"])
    best_wall = max(runs, key=lambda r: r["rounds_per_s"])
    fleet = fleet_time_share(scenario, best["seed"], rounds)
    phases = profile_phases(scenario, best["seed"], rounds)
    churn = agent_churn_cost(cfg["churn_agents"])
    arrivals_per_round = best["agents_created"] / rounds
    churn_ms_per_round = arrivals_per_round * churn["total_us"] / 1e3

    print_table(
        f"[1] Default scenario, {rounds} rounds, every ship a live Mesa agent (build excluded)",
        [
            "seed",
            "build s",
            "wall s",
            "CPU s",
            "rounds/s",
            "rounds/CPU-s",
            "ms/round CPU",
            "GC share",
            "mean live",
            "max live",
            "agents made",
            "top rung",
        ],
        [
            [
                r["seed"],
                r["build_s"],
                r["wall_s"],
                r["cpu_s"],
                r["rounds_per_s"],
                r["rounds_per_cpu_s"],
                r["ms_per_round_cpu"],
                f"{r['gc_share']:.1%}",
                r["mean_live_vessels"],
                r["max_live_vessels"],
                r["agents_created"],
                r["highest_rung"],
            ]
            for r in runs
        ],
    )
    ratio = best["rounds_per_cpu_s"] / TARGET_ROUNDS_PER_CPU_SECOND
    print_table(
        "[1] Best of 3 against the target",
        ["figure", "value", "target", "meets"],
        [
            [
                "rounds per CPU-second (best)",
                best["rounds_per_cpu_s"],
                f">= {TARGET_ROUNDS_PER_CPU_SECOND:,}",
                "yes" if ratio >= 1 else f"no ({ratio:.0%} of it)",
            ],
            ["rounds per wall-second (best)", best_wall["rounds_per_s"], "-", "-"],
            ["build time, s (best run)", best["build_s"], "-", "-"],
            ["mean live vessel agents / round", best["mean_live_vessels"], "-", "-"],
            ["vessel agents created in the run", best["agents_created"], "-", "-"],
            ["  (+ state actors created at build)", best["agents_at_build"], "-", "-"],
            ["vessel arrivals per round", arrivals_per_round, "-", "-"],
            ["Fleet.arrive+depart share (wrapper)", f"{fleet['share']:.1%}", "-", "-"],
            [
                "Vessel create+remove share (cProfile)",
                f"{phases['shares']['Vessel agent create'] + phases['shares']['Vessel agent remove']:.1%}",
                "-",
                "-",
            ],
            ["one Vessel create+remove, us CPU", churn["total_us"], "-", "-"],
            ["agent churn alone, ms/round", churn_ms_per_round, "-", "-"],
            ["ceiling from churn alone, rounds/CPU-s", 1e3 / churn_ms_per_round, "-", "-"],
        ],
    )
    print_table(
        "[1] Where a round goes (cProfile cumulative share of GulfModel.step; phases overlap "
        "the Fleet/Vessel rows)",
        ["part", "share"],
        [[name, f"{share:.1%}"] for name, share in phases["shares"].items()],
    )
    return {
        "rounds": rounds,
        "runs": runs,
        "best_seed": best["seed"],
        "best_rounds_per_cpu_s": best["rounds_per_cpu_s"],
        "best_rounds_per_s": best_wall["rounds_per_s"],
        "best_build_s": best["build_s"],
        "target_rounds_per_cpu_s": TARGET_ROUNDS_PER_CPU_SECOND,
        "meets_target": ratio >= 1,
        "mean_live_vessels": best["mean_live_vessels"],
        "agents_created": best["agents_created"],
        "fleet_wrapper": fleet,
        "vessel_agent_share_cprofile": phases["shares"]["Vessel agent create"]
        + phases["shares"]["Vessel agent remove"],
        "phase_shares_cprofile": phases["shares"],
        "agent_churn": churn,
        "churn_ms_per_round": churn_ms_per_round,
    }


# --- section 2: vessel scaling ----------------------------------------------------------------


def calibrated_scenario(base: Scenario, target_live: int, seed: int, warmup: int, stay: float):
    """A scenario whose arrivals rate gives ~`target_live` live ships; returns it and a warm model.

    Starts from arrivals = target / stay (stay = live ships per arrival, measured in section 1) and
    rescales once or twice from the live count seen over the second half of the warm-up.
    """
    arrivals = target_live / stay
    for _ in range(3):
        scenario = modified(base, shipping={"arrivals_per_round": round(arrivals, 1)})
        model = build_model(scenario, seed)
        run_rounds(model, warmup)
        seen = float(np.mean(live_counts(model)[warmup // 2 :]))
        if abs(seen / target_live - 1.0) <= 0.15 or seen == 0:
            break
        arrivals *= target_live / seen
    return scenario, model


def time_window(scenario: Scenario, seed: int, warmup: int, rounds: int, repeats: int):
    """Build, warm up `warmup` rounds, time `rounds` rounds; the fastest of `repeats` tries.

    Runs with one seed are identical, so repeating only filters out noise from other processes.
    Returns (model, wall s, CPU s, GC CPU s, agents created in the window) of the fastest try.
    """
    best = None
    for _ in range(repeats):
        model = build_model(scenario, seed)
        run_rounds(model, warmup)
        gc.collect()
        created0 = model.agent_id_counter
        gc_timer = GcTimer()
        wall, cpu = run_rounds(model, rounds, gc_timer)
        if best is None or cpu < best[2]:
            best = (model, wall, cpu, gc_timer.seconds, model.agent_id_counter - created0)
    return best


def time_vessel_size(base: Scenario, target: int, cfg: dict, stay: float, seed: int) -> dict:
    """Calibrate the arrivals rate for `target` live ships, then time a warm window of rounds."""
    scenario, _ = calibrated_scenario(base, target, seed, cfg["warmup_rounds"], stay)
    model, wall, cpu, gc_s, created = time_window(
        scenario, seed, cfg["warmup_rounds"], cfg["timed_rounds"], cfg["repeats"]
    )
    live = live_counts(model)[cfg["warmup_rounds"] :]
    rounds = cfg["timed_rounds"]
    made = created / rounds
    return {
        "target_live": target,
        "seed": seed,
        "arrivals_per_round": scenario.shipping.arrivals_per_round,
        "mean_live": float(np.mean(live)),
        "min_live": int(np.min(live)),
        "max_live": int(np.max(live)),
        "agents_created_per_round": made,
        "ms_per_round_cpu": cpu / rounds * 1e3,
        "ms_per_round_wall": wall / rounds * 1e3,
        "gc_ms_per_round": gc_s / rounds * 1e3,
        "us_per_vessel": cpu / rounds * 1e6 / float(np.mean(live)),
        "us_per_arrival": cpu / rounds * 1e6 / made if made else float("nan"),
    }


def bench_vessels(base: Scenario, cfg: dict, stay: float, seeds=(1, 2, 3)) -> dict:
    """Section 2: CPU time per round as the number of live vessel agents grows tenfold twice.

    The escalation is stochastic: in some runs a mined lane or a strike makes ships wait or turn
    back for a few rounds, and the live count in the timed window drops far below the target.
    Each size therefore tries up to three seeds and keeps the first run whose timed-window mean
    is within 20% of the target and whose lowest count stays above half of it (else the run
    with the closest mean); the seed used and the min-max live count are printed.
    """

    def steady(row):
        return abs(row["mean_live"] / row["target_live"] - 1.0) <= 0.2 and (
            row["min_live"] >= 0.5 * row["target_live"]
        )

    rows = []
    for target in cfg["vessel_targets"]:
        tries = []
        for seed in seeds:
            tries.append(time_vessel_size(base, target, cfg, stay, seed))
            if steady(tries[-1]):
                break
        good = [r for r in tries if steady(r)]
        rows.append(
            good[0] if good else min(tries, key=lambda r: abs(r["mean_live"] / target - 1.0))
        )
    for prev, row in zip(rows, rows[1:], strict=False):
        row["exponent"] = exponent(
            prev["ms_per_round_cpu"], row["ms_per_round_cpu"], prev["mean_live"], row["mean_live"]
        )
        row["marginal_us_per_vessel"] = (
            (row["ms_per_round_cpu"] - prev["ms_per_round_cpu"])
            * 1e3
            / (row["mean_live"] - prev["mean_live"])
        )
    print_table(
        f"[2] Vessel scaling ({cfg['warmup_rounds']} warm-up rounds, then {cfg['timed_rounds']} "
        f"timed, fastest of {cfg['repeats']}; us/vessel = CPU per round / mean live; exponent vs previous size)",
        [
            "target live",
            "seed",
            "arrivals/rd",
            "mean live",
            "min-max live",
            "made/rd",
            "ms/round CPU",
            "ms/round wall",
            "GC ms/round",
            "us/vessel",
            "us/arrival",
            "marginal us/vessel",
            "exponent",
        ],
        [
            [
                r["target_live"],
                r["seed"],
                r["arrivals_per_round"],
                r["mean_live"],
                f"{r['min_live']:,}-{r['max_live']:,}",
                r["agents_created_per_round"],
                r["ms_per_round_cpu"],
                r["ms_per_round_wall"],
                r["gc_ms_per_round"],
                r["us_per_vessel"],
                r["us_per_arrival"],
                r.get("marginal_us_per_vessel", "-"),
                r.get("exponent", "-"),
            ]
            for r in rows
        ],
    )
    worst = max((r["exponent"] for r in rows[1:]), default=float("nan"))
    verdict = "no worse than linear" if worst <= 1.05 else "WORSE than linear"
    print(f"    worst exponent {worst:.2f} -> {verdict} (<= ~1 is the aim)")
    return {"rows": rows, "worst_exponent": worst, "no_worse_than_linear": worst <= 1.05}


# --- section 3: theatre scaling ---------------------------------------------------------------


def trim_theatre(scenario: Scenario, target: int) -> Scenario:
    """A smaller copy of the scenario, as close to `target` nodes as the theatre allows.

    Kept: every US base and afloat node, the nodes on the shipping routes' paths, and Iranian sites
    chosen round-robin over roles (at least one per role). Dropped: everything else (cities,
    off-route energy sites and chokepoints, the rest of the Iranian sites) with their edges. When
    that is still too big, the smallest-share shipping routes that alone need some node are
    dropped too (a route to a port whose spur then goes).
    """
    theatre = Theatre(scenario)
    routes = list(theatre.routes)
    fixed = {n.id for n in scenario.nodes if n.kind in (NodeKind.US_BASE, NodeKind.AFLOAT)}
    roles = list(SiteRole)

    def route_nodes(kept_routes):
        return {node for r in kept_routes for node in (*r.comply_path, *r.outside_path)}

    for route in sorted(routes, key=lambda r: (r.share, r.index)):
        if len(fixed | route_nodes(routes)) + len(roles) <= target or len(routes) == 1:
            break
        others = [r for r in routes if r is not route]
        if (fixed | route_nodes(routes)) - (fixed | route_nodes(others)):
            routes = others
    keep = fixed | route_nodes(routes)
    by_role = {
        role: [n.id for n in scenario.nodes if n.kind == NodeKind.IRAN_SITE and n.role == role]
        for role in roles
    }
    sites: list[str] = []
    while len(keep) + len(sites) < target and any(by_role.values()):
        for role in roles:
            if by_role[role] and len(keep) + len(sites) < target:
                sites.append(by_role[role].pop(0))
    if not sites:  # the theatre needs at least one Iranian site
        sites.append(next(n.id for n in scenario.nodes if n.kind == NodeKind.IRAN_SITE))
    keep |= set(sites)
    kept_specs = {(r.origin, r.destination) for r in routes}
    data = scenario.model_dump()
    data["nodes"] = [n for n in data["nodes"] if n["id"] in keep]
    data["edges"] = [e for e in data["edges"] if e["a"] in keep and e["b"] in keep]
    data["shipping"]["routes"] = [
        r for r in data["shipping"]["routes"] if (r["origin"], r["destination"]) in kept_specs
    ]
    return Scenario.model_validate(data)


# Shares of each kind among the added nodes (US bases are few).
SYNTHETIC_MIX = (
    ("sea", 0.32),
    ("iran_site", 0.25),
    ("city", 0.20),
    ("energy", 0.20),
    ("us_base", 0.03),
)


def grow_theatre(scenario: Scenario, target: int, seed: int) -> Scenario:
    """The scenario plus seeded random nodes (and sea-lane edges) up to `target` nodes.

    Added nodes sit inside the Gulf box (lat 23-30.5, lon 47-60). Iranian sites (roles cycling)
    lie on the Iranian side (lat > 26.5 or lon > 56.5); cities, energy sites and US bases belong
    to one of the five GCC hosts. US bases and energy sites get a copy of a default site's
    defences (so every per-defended-site loop grows too), and so does every other city. Each sea
    waypoint is joined by one `lane: open` sea-lane edge to a random earlier sea node, so the sea
    graph grows as a tree of dead ends and the shipping routes (and per-ship dynamics) stay the
    same.
    """
    rng = np.random.default_rng(seed)
    data = scenario.model_dump()
    nodes = data["nodes"] = list(data["nodes"])
    edges = data["edges"] = list(data["edges"])
    templates = {n["kind"]: n["defences"] for n in reversed(nodes) if n["defences"]}
    sea_ids = [n["id"] for n in nodes if n["kind"] == "sea"]
    kinds, weights = zip(*SYNTHETIC_MIX, strict=True)
    extra = target - len(nodes)
    drawn = rng.choice(len(kinds), size=max(0, extra), p=np.array(weights) / sum(weights))
    roles = list(SiteRole)
    counts: Counter[str] = Counter()
    for k in drawn:
        kind = kinds[k]
        index = counts[kind]
        counts[kind] += 1
        node_id = f"syn_{kind}_{index:05d}"
        lat = float(rng.uniform(*GULF_BOX["lat"]))
        lon = float(rng.uniform(*GULF_BOX["lon"]))
        node = {"id": node_id, "name": f"Synthetic {kind} {index}", "kind": kind}
        if kind == "iran_site":
            while not (lat > 26.5 or lon > 56.5):
                lat = float(rng.uniform(*GULF_BOX["lat"]))
                lon = float(rng.uniform(*GULF_BOX["lon"]))
            node.update(
                host="iran",
                role=roles[index % len(roles)].value,
                value=float(rng.uniform(0.5, 2.0)),
                hardening=float(rng.uniform(0.0, 0.6)),
            )
        elif kind == "sea":
            node.update(value=0.0)
            edges.append(
                {
                    "a": node_id,
                    "b": sea_ids[int(rng.integers(len(sea_ids)))],
                    "kind": "sea_lane",
                    "lane": "open",
                }
            )
            sea_ids.append(node_id)
        else:
            node.update(
                host=GCC_HOSTS[int(rng.integers(len(GCC_HOSTS)))],
                value=float(rng.uniform(0.5, 3.0)),
                hardening=float(rng.uniform(0.0, 0.4)),
                population_exposure=float(rng.uniform(0.0, 0.8)),
                energy_proximity=float(rng.uniform(0.0, 0.8)),
            )
            if kind in ("us_base", "energy") or (kind == "city" and index % 2 == 0):
                node["defences"] = templates.get(kind, templates["us_base"])
        node["lat"], node["lon"] = lat, lon
        nodes.append(node)
    return Scenario.model_validate(data)


def theatre_scenario(base: Scenario, target: int, seed: int) -> tuple[Scenario, str]:
    if target < len(base.nodes):
        return trim_theatre(base, target), "trimmed default"
    if target == len(base.nodes):
        return base, "default"
    return grow_theatre(base, target, seed), f"default + {target - len(base.nodes)} synthetic"


def bench_theatre(base: Scenario, cfg: dict, seed: int = 1) -> dict:
    """Section 3: build time and CPU time per round as the theatre's node count grows."""
    rows = []
    for target in cfg["node_targets"]:
        gc.collect()
        cpu0 = time.process_time()
        scenario, how = theatre_scenario(base, target, seed)
        make_s = time.process_time() - cpu0
        builds = [timed_build(scenario, seed)[1] for _ in range(max(1, cfg["repeats"]))]
        model, wall, cpu, _, _ = time_window(
            scenario, seed, cfg["warmup_rounds"], cfg["timed_rounds"], cfg["repeats"]
        )
        kinds = Counter(n.kind.value for n in scenario.nodes)
        rows.append(
            {
                "target": target,
                "nodes": len(scenario.nodes),
                "how": how,
                "edges": len(scenario.edges),
                "iran_sites": kinds["iran_site"],
                "defended_sites": sum(bool(n.defences) for n in scenario.nodes),
                "routes": len(scenario.shipping.routes),
                "make_and_validate_s": make_s,
                "build_s": min(builds),
                "ms_per_round_cpu": cpu / cfg["timed_rounds"] * 1e3,
                "ms_per_round_wall": wall / cfg["timed_rounds"] * 1e3,
                "mean_live_vessels": float(np.mean(live_counts(model)[cfg["warmup_rounds"] :])),
            }
        )
    for prev, row in zip(rows, rows[1:], strict=False):
        row["round_exponent"] = exponent(
            prev["ms_per_round_cpu"], row["ms_per_round_cpu"], prev["nodes"], row["nodes"]
        )
        row["build_exponent"] = exponent(
            prev["build_s"], row["build_s"], prev["nodes"], row["nodes"]
        )
    print_table(
        f"[3] Theatre scaling ({cfg['warmup_rounds']} warm-up rounds, then {cfg['timed_rounds']} "
        "timed, fastest of "
        f"{cfg['repeats']}; build = build_model, CPU; exponents vs previous size)",
        [
            "nodes",
            "theatre",
            "edges",
            "iran sites",
            "defended",
            "routes",
            "make+validate s",
            "build s",
            "build exp",
            "ms/round CPU",
            "round exp",
            "mean live",
        ],
        [
            [
                r["nodes"],
                r["how"],
                r["edges"],
                r["iran_sites"],
                r["defended_sites"],
                r["routes"],
                r["make_and_validate_s"],
                r["build_s"],
                r.get("build_exponent", "-"),
                r["ms_per_round_cpu"],
                r.get("round_exponent", "-"),
                r["mean_live_vessels"],
            ]
            for r in rows
        ],
    )
    return {"seed": seed, "rows": rows}


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="reduced sizes, a smoke check (< 1 min)"
    )
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    mode = "quick" if args.quick else "full"

    load_before = machine_load()
    print(f"Gulf wargame engine benchmark ({mode})")
    print(
        f"python {platform.python_version()}, mesa {mesa.__version__}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    print(f"load before: {load_before}")
    started = time.perf_counter()

    base = load_scenario(DEFAULT_SCENARIO)
    default = bench_default(base, cfg)
    stay = default["mean_live_vessels"] / max(1e-9, default["agents_created"] / cfg["rounds"])
    vessels = bench_vessels(base, cfg, stay)
    theatre = bench_theatre(base, cfg)

    load_after = machine_load()
    elapsed = time.perf_counter() - started
    print(f"\nload after: {load_after}")
    print(f"benchmark took {elapsed:.1f} s wall")
    result = {
        "mode": mode,
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_after,
        "elapsed_s": elapsed,
        "default": default,
        "vessel_scaling": vessels,
        "theatre_scaling": theatre,
    }
    print("RESULT " + json.dumps(result, default=float, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
