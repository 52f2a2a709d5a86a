"""Browser play: how fast the page answers, measured in real headless chromium with the network
blocked, against the app served by `run.py play` in a child process (as the browser tests do).

Run from the project root:

    .venv/bin/python benchmarks/bench_browser.py                # about 8 minutes on 2 busy cores
    .venv/bin/python benchmarks/bench_browser.py --quick        # smoke run, about 3 minutes
    .venv/bin/python benchmarks/bench_browser.py --port 8871 --profile   # + a py-spy profile
    .venv/bin/python benchmarks/bench_browser.py --no-outlook --server-env REACTON_FAST=1

It prints, for the default scenario and seed 0 (the page's own game, the AI playing every side):

1. cold page load to interactive (status bar, map land, charts and the Step button on screen):
   the first load after the server starts, then the median of fresh browser contexts;
2. Step latency: click to the status bar, the map and every chart showing the new round, at
   round 1 and at round 365 (reached with "Run to"), 20 steps each; target <= 150 ms;
3. "Where is this heading?" (200 continuations of 60 rounds) at round 1 and at round 365, pool
   cold (first click after the server starts) and warm (second click), and the same requests
   made directly in Python (`start_outlook(...).wait()`) to split page overhead from compute;
4. Step latency with 10 sessions stepping at once, with the server's and the browser's CPU;
5. a reference round trip in the same server: a bad "Run to" value, whose message is the
   lightest thing the page can ask the server for. Step / reference (at round 0) says how much
   of a Step is the game rather than the machine.

Times are taken inside the page (`performance.now()`, a MutationObserver on the DOM), so they
do not include Playwright's own round trips. Two app servers are started (ports P and P+1):
"pool cold" at round 365 needs a server whose pool has never run. With `--profile`, py-spy
(on PATH or `--py-spy`) samples the server during extra Steps at the high round and the top
costs are printed. `--no-outlook` skips section 3 and `--server-env NAME=VALUE` sets a variable
for the servers, for quick A/B runs of a setting. Server logs (and the py-spy file) go to a
temporary folder whose name is printed. Nothing is asserted; the last line is `RESULT {json}`.
The game is seeded, so two runs do the same work and only the timings differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from common import (  # noqa: E402  (benchmarks/ is on sys.path)
    ROOT,
    Server,
    browser_fixtures,
    children_cpu_seconds,
    chromium_browser,
    machine_load,
    print_table,
    quantile,
    start_server,
    stop_server,
)

fixtures = browser_fixtures()
SCENARIO = ROOT / "configs" / "scenarios" / "gulf_2026.yaml"
GAME_SEED = 0  # the seed a new page starts with (GameSession's default)
STEP_TARGET_MS = 150.0
LOAD_TARGET_S = 3.0
OUTLOOK_TARGET_S = 10.0
OUTLOOK_RUNS, OUTLOOK_HORIZON = 200, 60  # what the page's button asks for (outlook_panel.py)

# Installed in every page before the app loads. It logs each websocket frame's arrival time and
# size, reads the round each part of the page shows from the components' own hooks, and times
# a click to a DOM state from inside the page.
HELPER_JS = r"""
(() => {
  if (window.__bench) return;
  const ws = { last: 0, log: null };
  const Native = window.WebSocket;
  class Logged extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => {
        const d = e.data;
        const size = typeof d === "string" ? d.length : (d.byteLength ?? d.size ?? 0);
        ws.last = performance.now();
        if (ws.log) ws.log.push([ws.last, size]);
      });
    }
  }
  window.WebSocket = Logged;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const shown = (el) => !!el && el.getBoundingClientRect().height > 0;
  function statusRound() {
    const el = document.querySelector(".status-round");
    const m = el && /(\d+)\s*$/.exec(el.textContent.trim());
    return m ? +m[1] : null;
  }
  function mapRound() {
    const el = document.querySelector(".theatre-map");
    return el && el.hasAttribute("data-round") ? +el.getAttribute("data-round") : null;
  }
  // The round every visible main chart reaches: the fewest of each chart's last round (its
  // longest series' point count, or its timeline's last segment end). Series start at round 1.
  function chartsRound() {
    const grid = document.querySelector(".chart-grid");
    if (!grid) return null;
    let low = Infinity;
    for (const c of grid.querySelectorAll('.chart[data-hidden="false"]')) {
      let high = 0;
      for (const p of c.querySelectorAll("[data-points]")) high = Math.max(high, +p.dataset.points);
      for (const r of c.querySelectorAll("rect.segment[data-to]"))
        high = Math.max(high, +r.dataset.to);
      low = Math.min(low, high);
    }
    return low === Infinity ? null : low;
  }
  function outlookText() {
    const el = document.querySelector(".outlook-status");
    return el ? el.textContent : "";
  }
  function interactive() {
    const land = document.querySelector(".map-land");
    const chart = document.querySelector(".chart-grid .chart svg");
    const step = document.querySelector(".btn-step");
    if (!(shown(document.querySelector(".status-round")) && land && shown(chart) && shown(step)))
      return false;
    return step.disabled ? false : performance.now();
  }
  // Click `selector` and resolve when every check has been true once (in key order): the time
  // of each, of the next animation frame after all, and the websocket frames that came in.
  function measure(selector, checks, timeoutMs, quietMs) {
    return new Promise((resolve) => {
      const t = {}, names = Object.keys(checks), log = [];
      let allAt = null, done = false, obs = null, timer = null;
      const t0 = performance.now();
      const finish = (timedOut) => {
        if (done) return;
        done = true;
        ws.log = null;
        obs.disconnect();
        clearTimeout(timer);
        t.timed_out = timedOut;
        t.shown = allAt;
        t.frames = log.length;
        t.bytes = log.reduce((s, f) => s + f[1], 0);
        const upto = log.filter((f) => allAt !== null && f[0] - t0 <= allAt);
        t.frames_to_shown = upto.length;
        t.bytes_to_shown = upto.reduce((s, f) => s + f[1], 0);
        t.first_frame = log.length ? log[0][0] - t0 : null;
        t.last_frame = log.length ? log[log.length - 1][0] - t0 : null;
        resolve(t);
      };
      const settle = () => {  // the rest of this render's frames: wait for a quiet socket
        const since = performance.now() - ws.last;
        if (since >= quietMs || performance.now() - t0 > timeoutMs) finish(false);
        else setTimeout(settle, quietMs - since + 1);
      };
      const check = () => {
        const now = performance.now() - t0;
        for (const n of names) if (t[n] === undefined && checks[n](t)) t[n] = now;
        if (allAt === null && names.every((n) => t[n] !== undefined)) {
          allAt = now;
          obs.disconnect();
          requestAnimationFrame(() => {
            t.painted = performance.now() - t0;
            settle();
          });
        }
      };
      obs = new MutationObserver(check);
      obs.observe(document.body,
        { subtree: true, childList: true, attributes: true, characterData: true });
      timer = setTimeout(() => finish(true), timeoutMs);
      ws.log = log;
      const el = document.querySelector(selector);
      if (!el || el.disabled) { t.error = "not clickable: " + selector; finish(true); return; }
      el.click();
    });
  }
  async function steps(count, pauseMs) {
    const out = [];
    for (let i = 0; i < count; i++) {
      const n = statusRound() + 1;
      const t = await measure(".btn-step", {
        status: () => statusRound() === n,
        map: () => mapRound() === n,
        charts: () => chartsRound() === n,
      }, 30000, 80);
      t.round = n;
      out.push(t);
      if (t.timed_out) break;
      await sleep(pauseMs);
    }
    return out;
  }
  function outlook(n, runs, timeoutMs) {
    const finished = runs + " of " + runs + " continuations from round " + n;
    // A second click finds the first result on the page: count only after it is replaced.
    return measure(".btn-outlook", {
      restarted: () => !outlookText().includes(finished),
      first_batch: (t) => t.restarted !== undefined && /^\s*[1-9]/.test(outlookText()),
      done: (t) => t.restarted !== undefined && outlookText().includes(finished),
    }, timeoutMs, 200);
  }
  function reference(word) {
    return measure(".btn-run-to", {
      message: () => {
        const el = document.querySelector(".error-run-to");
        return !!el && el.textContent.includes("'" + word + "'");
      },
    }, 30000, 80);
  }
  window.__bench = { statusRound, mapRound, chartsRound, outlookText, interactive, steps,
    outlook, reference, state: {} };
})();
"""


# --- the browser ------------------------------------------------------------------------------


def open_page(browser, traffic):
    """A fresh context (no cache, no cookies) whose requests off this machine are refused and
    noted in `traffic.blocked`, as in the browser tests; the helper script runs in its pages."""
    context = fixtures.open_context(browser, traffic)
    context.add_init_script(HELPER_JS)
    return context, context.new_page()


def load(page, url: str) -> dict:
    """goto() to interactive: wall time here, and the page's own clock from navigation start."""
    started = time.perf_counter()
    page.goto(url + "/")
    ready_ms = page.wait_for_function(
        "() => window.__bench && window.__bench.interactive()", timeout=90_000
    ).json_value()
    wall = time.perf_counter() - started
    timing = page.evaluate(
        """() => {
        const nav = performance.getEntriesByType("navigation")[0];
        const res = performance.getEntriesByType("resource");
        return { dom: nav ? nav.domContentLoadedEventEnd : null,
                 kb: (res.reduce((s, r) => s + (r.decodedBodySize || 0), 0)
                      + (nav ? nav.decodedBodySize : 0)) / 1024,
                 files: res.length + 1 };
    }"""
    )
    return {
        "wall_s": wall,
        "in_page_s": ready_ms / 1000,
        "dom_s": (timing["dom"] or 0) / 1000,
        "kb": timing["kb"],
        "files": timing["files"],
    }


def run_steps(page, count: int, pause_ms: int = 150) -> list[dict]:
    results = page.evaluate(f"() => window.__bench.steps({count}, {pause_ms})")
    for r in results:
        if r.get("timed_out"):
            print(f"  a Step timed out at round {r.get('round')}: {r}", file=sys.stderr)
    return results


@dataclass
class Steps:
    """A batch of Steps in one page, with what each cost the server and the browser."""

    label: str
    results: list[dict]
    app_cpu_ms: float  # the app process's CPU per Step
    chromium_cpu_ms: float  # every chromium process's CPU per Step
    page_ms: dict[str, float]  # the page's main thread per Step (Chrome's Performance metrics)


PAGE_METRICS = {
    "task": "TaskDuration",
    "script": "ScriptDuration",
    "layout": "LayoutDuration",
    "style": "RecalcStyleDuration",
}


def page_metrics(cdp) -> dict[str, float]:
    values = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {key: values.get(name, float("nan")) for key, name in PAGE_METRICS.items()}


def timed_steps(page, server: Server, count: int, label: str) -> Steps:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    before = page_metrics(cdp), server.cpu_seconds()[0], children_cpu_seconds(name_part="chrom")
    results = run_steps(page, count)
    after = page_metrics(cdp), server.cpu_seconds()[0], children_cpu_seconds(name_part="chrom")
    cdp.detach()
    n = max(1, len(results))
    return Steps(
        label,
        results,
        1000 * (after[1] - before[1]) / n,
        1000 * (after[2] - before[2]) / n,
        {key: 1000 * (after[0][key] - before[0][key]) / n for key in PAGE_METRICS},
    )


def run_to(page, target: int) -> float:
    page.fill(".input-run-to input", str(target))
    started = time.perf_counter()
    page.click(".btn-run-to")
    page.wait_for_function(
        f"() => window.__bench.statusRound() === {target} && window.__bench.mapRound() === "
        f"{target} && window.__bench.chartsRound() === {target}",
        timeout=600_000,
    )
    return time.perf_counter() - started


def outlook(page, server: Server, pool: str) -> dict:
    page.wait_for_function("() => !document.querySelector('.btn-outlook').disabled")
    shown = page.evaluate("() => window.__bench.statusRound()")
    cpu_before = server.cpu_seconds()
    result = page.evaluate(f"() => window.__bench.outlook({shown}, {OUTLOOK_RUNS}, 600000)")
    cpu_after = server.cpu_seconds()
    if result.get("timed_out"):
        print(f"  the outlook timed out: {result}", file=sys.stderr)
    result.update(
        round=shown,
        pool=pool,
        app_cpu_s=cpu_after[0] - cpu_before[0],
        pool_cpu_s=cpu_after[1] - cpu_before[1],
    )
    return result


def outlooks(page, server: Server, pools: tuple[str, ...]) -> list[dict]:
    """The page's button at the shown round, pool cold then warm, then the same requests made
    directly in Python (a new pool in this process, then its second request) while the server
    is idle, so both see much the same machine."""
    from wargame.config.loader import load_scenario
    from wargame.experiments.continuation import shutdown_pool, start_outlook
    from wargame.experiments.game import new_game

    rows = [outlook(page, server, pool) for pool in pools]
    record = new_game(load_scenario(SCENARIO), GAME_SEED, "observer", str(SCENARIO))
    shutdown_pool()
    for request, row in enumerate(rows, start=1):
        cpu = children_cpu_seconds(name_part="python")
        started = time.perf_counter()
        result = start_outlook(
            record, row["round"], OUTLOOK_RUNS, OUTLOOK_HORIZON, request=request
        ).wait()
        row["python_s"] = time.perf_counter() - started
        # Read before shutdown_pool() ends the workers (a dead process's CPU is not counted).
        row["python_pool_cpu_s"] = children_cpu_seconds(name_part="python") - cpu
        row["python_finished"] = result.finished
    shutdown_pool()
    return rows


def reference_trips(page, count: int) -> list[dict]:
    """The lightest round trip: a bad "Run to" value, answered by a message beside the field."""
    out = []
    for i in range(count):
        word = f"x{i}"
        page.fill(".input-run-to input", word)
        page.press(".input-run-to input", "Enter")  # the field sends its text on Enter or blur
        time.sleep(0.3)
        out.append(page.evaluate("w => window.__bench.reference(w)", word))
    return out


def concurrent_steps(browser, server: Server, sessions: int, count: int) -> dict:
    traffic = fixtures.Traffic()
    pages = []
    for _ in range(sessions):
        context, page = open_page(browser, traffic)
        load(page, server.url)
        pages.append((context, page))
    visible = [p.evaluate("document.visibilityState") for _, p in pages]
    app_before, browser_before = server.cpu_seconds()[0], children_cpu_seconds(name_part="chrom")
    started = time.perf_counter()
    for _, page in pages:  # each page runs its own loop; they all step at once
        page.evaluate(
            f"() => {{ window.__bench.steps({count}, 0)"
            ".then(r => { window.__bench.result = r }) }"
        )
    results = []
    for _, page in pages:
        page.wait_for_function("() => window.__bench.result !== undefined", timeout=600_000)
        results.append(page.evaluate("() => window.__bench.result"))
    wall = time.perf_counter() - started
    app_cpu = server.cpu_seconds()[0] - app_before
    browser_cpu = children_cpu_seconds(name_part="chrom") - browser_before
    for context, _ in pages:
        context.close()
    flat = [r for rs in results for r in rs]
    return {
        "sessions": sessions,
        "steps": len(flat),
        "timed_out": sum(bool(r.get("timed_out")) for r in flat),
        "visible": dict(Counter(visible)),
        "wall_s": wall,
        "app_cpu_s": app_cpu,
        "app_cores": app_cpu / wall,
        "browser_cpu_s": browser_cpu,
        "browser_cores": browser_cpu / wall,
        "results": flat,
        "blocked": len(traffic.blocked),
    }


# --- py-spy -----------------------------------------------------------------------------------

STEP_HANDLER = "controls.py:PlayControls.<locals>.step"


def profile_steps(page, server: Server, py_spy: str, count: int, out: Path) -> list[tuple]:
    """Sample the app process with py-spy while the page steps `count` times; the shares of a
    Step's time (samples under the Step handler) that the main parts take."""
    app = server.app_process()
    if app is None:
        return []
    spy = subprocess.Popen(
        [py_spy, "record", "--pid", str(app.pid), "--format", "raw", "--rate", "200",
         "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(1.5)  # py-spy attaches
    run_steps(page, count)
    time.sleep(0.5)
    spy.send_signal(2)  # SIGINT: py-spy writes its file and exits
    _, err = spy.communicate(timeout=60)
    if not out.exists():
        print(f"  py-spy wrote nothing: {err.decode(errors='replace')[-400:]}", file=sys.stderr)
        return []
    return step_shares(out.read_text())


def frame_key(frame: str) -> str:
    """'name (path/file.py:12)' -> 'file.py:name' (lines dropped, so a function is one key)."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return f"{path.rsplit('/', 1)[-1]}:{name}"


# Parts of a Step on the server: (label, "incl" for time inside the function, "self" for time
# in the function's own code, function key). They overlap: a group is not a partition. A
# component no longer in the page shows 0.
STEP_PARTS = (
    ("the game: GameSession.step (engine round + map snapshot)", "incl",
     "session.py:GameSession.step"),
    ("render: Charts (chart_data.charts and its rows)", "incl", "play.py:Charts"),
    ("render: MapAndLog (map_data.for_side, event rows)", "incl", "play.py:MapAndLog"),
    ("render: StatusBar", "incl", "status_bar.py:StatusBar"),
    ("render: GameSetup", "incl", "controls.py:GameSetup"),
    ("render: PlayControls", "incl", "controls.py:PlayControls"),
    ("render: CommandPanel", "incl", "command_panel.py:CommandPanel"),
    ("render: GameFilePanel", "incl", "game_file.py:GameFilePanel"),
    ("render: OutlookPanel", "incl", "outlook_panel.py:OutlookPanel"),
    ("GameSession.rows (metric rows as dicts), all callers", "incl", "session.py:GameSession.rows"),
    ("reacton: walking every prop (_visit_children_values)", "self",
     "core.py:_RenderContext._visit_children_values"),
    ("reacton: looking for elements in props (find_elements)", "self", "core.py:find_elements"),
    ("reacton: reconciling widgets (_reconsolidate)", "incl",
     "core.py:_RenderContext._reconsolidate"),
    ("ipywidgets: sending widget state (Widget.send_state)", "incl", "widget.py:Widget.send_state"),
    ("  of which JSON encoding (json_dumps)", "incl", "kernel.py:json_dumps"),
    ("  of which waking the event loop (call_soon_threadsafe)", "incl",
     "base_events.py:BaseEventLoop.call_soon_threadsafe"),
)  # fmt: skip


def step_shares(raw: str, top: int = 10) -> list[tuple]:
    """From py-spy's collapsed stacks: of the samples inside the Step handler, the share of
    each part in STEP_PARTS, then the functions with the most samples in their own code."""
    inclusive: Counter = Counter()
    leaf: Counter = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        keys = [frame_key(f) for f in stack.split(";") if " (" in f]
        if STEP_HANDLER not in keys:
            continue
        n = int(count)
        total += n
        below = keys[keys.index(STEP_HANDLER) :]
        for key in set(below):
            inclusive[key] += n
        leaf[below[-1]] += n
    if not total:
        return []
    rows = [("all samples under the Step handler", total, 100.0)]
    for label, kind, key in STEP_PARTS:
        n = (inclusive if kind == "incl" else leaf)[key]
        rows.append((label, n, 100 * n / total))
    for key, n in leaf.most_common(top):
        rows.append(("own code: " + key, n, 100 * n / total))
    return rows


# --- figures ----------------------------------------------------------------------------------


def ok(results: list[dict]) -> list[dict]:
    return [r for r in results if not r.get("timed_out")]


def median_of(results: list[dict], key: str, scale: float = 1.0) -> float:
    return quantile([None if r.get(key) is None else r[key] * scale for r in ok(results)], 0.5)


def summary(results: list[dict]) -> dict:
    keys = ("shown", "painted", "first_frame", "last_frame", "status", "map", "charts")
    return {
        "n": len(ok(results)),
        "timed_out": len(results) - len(ok(results)),
        **{f"{k}_median_ms": round(median_of(results, k), 1) for k in keys},
        "shown_p90_ms": round(quantile([r["shown"] for r in ok(results)], 0.9), 1),
        "kb_median": round(median_of(results, "bytes", 1 / 1024), 1),
        "frames_median": median_of(results, "frames"),
    }


def step_rows(batches: list[Steps]) -> tuple[list, list]:
    latency, cost = [], []
    for b in batches:
        shown = [r["shown"] for r in ok(b.results)]
        latency.append(
            [
                b.label,
                len(shown),
                quantile(shown, 0.5),
                quantile(shown, 0.9),
                max(shown, default=float("nan")),
                median_of(b.results, "painted"),
                median_of(b.results, "status"),
                median_of(b.results, "map"),
                median_of(b.results, "charts"),
                median_of(b.results, "first_frame"),
                median_of(b.results, "last_frame"),
                "met" if quantile(shown, 0.5) <= STEP_TARGET_MS else "NOT met",
            ]
        )
        cost.append(
            [
                b.label,
                b.app_cpu_ms,
                b.chromium_cpu_ms,
                b.page_ms.get("task", float("nan")),
                b.page_ms.get("script", float("nan")),
                b.page_ms.get("layout", float("nan")),
                b.page_ms.get("style", float("nan")),
                median_of(b.results, "frames"),
                median_of(b.results, "bytes", 1 / 1024),
                median_of(b.results, "bytes_to_shown", 1 / 1024),
            ]
        )
    return latency, cost


LOAD_KEYS = ("wall_s", "in_page_s", "dom_s", "kb", "files")


def load_row(label: str, figures: list[dict]) -> list:
    values = [statistics.median(f[k] for f in figures) for k in LOAD_KEYS]
    return [label, *values, "met" if values[0] <= LOAD_TARGET_S else "NOT met"]


def seconds(result: dict, key: str) -> float:
    """A time the page measured (ms), in seconds; nan when it never happened."""
    value = result.get(key)
    return float("nan") if value is None or result.get("timed_out") else value / 1000


def reference_row(label: str, results: list[dict]) -> list:
    shown = [r["shown"] for r in ok(results)]
    return [
        label,
        len(shown),
        quantile(shown, 0.5),
        quantile(shown, 0.9),
        median_of(results, "bytes", 1 / 1024),
    ]


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    parser.add_argument("--port", type=int, help="first server's port (the second gets port+1)")
    parser.add_argument("--profile", action="store_true", help="py-spy profile of Steps")
    parser.add_argument("--py-spy", default=shutil.which("py-spy"), help="py-spy executable")
    parser.add_argument("--no-outlook", action="store_true", help="skip the outlook (A/B runs)")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the app servers (repeatable), to compare settings",
    )
    args = parser.parse_args()
    quick = args.quick
    loads, steps, high, sessions = (2, 5, 60, 4) if quick else (5, 20, 365, 10)
    pools = () if args.no_outlook else ("cold",) if quick else ("cold", "warm")
    env = dict(os.environ)
    for setting in args.server_env:
        name, _, value = setting.partition("=")
        env[name] = value
    if args.port:
        ports = (args.port, args.port + 1)
    else:
        ports = (fixtures.free_port(), fixtures.free_port())
    logs = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    load_start = machine_load()
    print(f"load before: {load_start}\nserver logs: {logs}", flush=True)
    traffic = fixtures.Traffic()  # what the pages tried to fetch from off this machine
    blocked = traffic.blocked
    batches: list[Steps] = []
    outlook_rows: list[dict] = []
    profile: list[tuple] = []
    with chromium_browser() as browser:
        # Server A: loads, the reference trip, Steps from round 0, the outlook at round 1 (its
        # first click is the pool's first), then many sessions at once.
        server = start_server(ports[0], logs / "server-a.log", env)
        try:
            server_start_s = server.start_s
            context, page = open_page(browser, traffic)
            first_load = load(page, server.url)
            reference_low = reference_trips(page, steps)
            batches.append(timed_steps(page, server, steps, f"rounds 1-{steps}"))
            context.close()
            fresh_loads = []
            for _ in range(loads):
                context, page = open_page(browser, traffic)
                fresh_loads.append(load(page, server.url))
                context.close()
            if pools:
                context, page = open_page(browser, traffic)
                load(page, server.url)
                run_steps(page, 1)
                outlook_rows += outlooks(page, server, pools)
                context.close()
            crowd = concurrent_steps(browser, server, sessions, steps)
        finally:
            stop_server(server)

        # Server B: Run to the high round; Steps there; the outlook there (pool cold, warm) in
        # a second session, then Steps with its fan charts on the page.
        server = start_server(ports[1], logs / "server-b.log", env)
        try:
            context, page = open_page(browser, traffic)
            load(page, server.url)
            run_to_s = run_to(page, high)
            label = f"rounds {high + 1}-{high + steps}"
            batches.append(timed_steps(page, server, steps, label))
            reference_high = reference_trips(page, steps)
            if args.profile and args.py_spy:
                profile = profile_steps(page, server, args.py_spy, 40, logs / "steps.pyspy")
            elif args.profile:
                print("--profile: py-spy not found (pip install py-spy, or --py-spy PATH)")
            context.close()
            if pools and not quick:
                context, page = open_page(browser, traffic)
                load(page, server.url)
                run_to(page, high)
                outlook_rows += outlooks(page, server, pools)
                batches.append(timed_steps(page, server, steps, label + ", fan charts shown"))
                context.close()
        finally:
            stop_server(server)
    batches.append(Steps(f"{sessions} sessions at once, rounds 1-{steps}", crowd["results"],
                         1000 * crowd["app_cpu_s"] / max(1, crowd["steps"]),
                         1000 * crowd["browser_cpu_s"] / max(1, crowd["steps"]), {}))  # fmt: skip
    load_end = machine_load()

    print_table(
        f"Cold page load to interactive (target <= {LOAD_TARGET_S:.0f} s); "
        f"server start to serving {server_start_s:.1f} s",
        ["load", "goto->ready s", "in page s", "DOMContentLoaded s", "KB", "files", "target"],
        [load_row("first after server start", [first_load]),
         load_row(f"fresh context, median of {loads}", fresh_loads)],
    )  # fmt: skip
    latency, cost = step_rows(batches)
    print_table(
        f"Step: click to the status bar, the map and every chart showing the new round, ms "
        f"(target: median <= {STEP_TARGET_MS:.0f}); 'Run to {high}' took {run_to_s:.1f} s",
        ["Steps", "n", "median", "p90", "max", "painted", "status", "map", "charts",
         "1st frame", "last frame", "target"],
        latency,
    )  # fmt: skip
    print_table(
        "What a Step costs (CPU ms per Step; page main thread ms per Step; websocket frames in)",
        ["Steps", "app CPU", "chromium CPU", "page task", "script", "layout", "style",
         "frames", "KB in", "KB to shown"],
        cost,
    )  # fmt: skip
    print_table(
        f"{sessions} sessions stepping at once ({steps} Steps each, one browser)",
        ["wall s", "app CPU s", "app cores", "chromium CPU s", "chromium cores", "timed out",
         "pages visible"],
        [[crowd["wall_s"], crowd["app_cpu_s"], crowd["app_cores"], crowd["browser_cpu_s"],
          crowd["browser_cores"], crowd["timed_out"], str(crowd["visible"])]],
    )  # fmt: skip
    print_table(
        "Reference: the lightest round trip in the same server (a bad 'Run to' value -> its "
        "message), ms",
        ["when", "n", "median", "p90", "KB in"],
        [reference_row("at round 0", reference_low),
         reference_row(f"at round {high + steps}", reference_high)],
    )  # fmt: skip
    # At round 0 the page's props are small; later the same trip also pays for reacton walking
    # every prop of the page (see README), so round 0 is the machine's reference.
    reference_ms = quantile([r["shown"] for r in ok(reference_low)], 0.5)
    ratios = ", ".join(f"{b.label} {latency[i][2] / reference_ms:.1f}x" for i, b in
                       enumerate(batches))  # fmt: skip
    print(f"Step median / reference median at round 0: {ratios}")
    if outlook_rows:
        print_table(
            f"Where is this heading? {OUTLOOK_RUNS} continuations x {OUTLOOK_HORIZON} rounds, s "
            f"(target <= {OUTLOOK_TARGET_S:.0f} s on 2 cores). 'pool CPU / 2': the time on 2 idle "
            "cores if the runs were all the work",
            ["from round", "pool", "page", "1st batch", "app CPU", "pool CPU", "pool CPU / 2",
             "Python", "Python pool CPU", "page - Python", "target"],
            [[r["round"], r["pool"], seconds(r, "done"), seconds(r, "first_batch"), r["app_cpu_s"],
              r["pool_cpu_s"], r["pool_cpu_s"] / 2, r["python_s"], r["python_pool_cpu_s"],
              seconds(r, "done") - r["python_s"],
              "met" if seconds(r, "done") <= OUTLOOK_TARGET_S else "NOT met"]
             for r in outlook_rows],
        )  # fmt: skip
    if profile:
        print_table(
            f"py-spy: where the server's time goes in a Step at rounds {high + steps + 1}-"
            f"{high + steps + 40} (% of the samples under the Step handler)",
            ["function", "samples", "share %"],
            [list(r) for r in profile],
        )
    if blocked:
        print(f"requests off this machine (blocked): {len(blocked)}, e.g. {blocked[:3]}")
    print(f"load before: {load_start}")
    print(f"load after:  {load_end}")
    figures = {
        "quick": quick,
        "server_start_s": server_start_s,
        "load": {"first": first_load, "fresh": fresh_loads},
        "steps": {
            b.label: summary(b.results)
            | {"app_cpu_ms": b.app_cpu_ms, "chromium_cpu_ms": b.chromium_cpu_ms}
            | {"page_ms": b.page_ms}
            for b in batches
        },
        "run_to_s": run_to_s,
        "concurrent": {k: v for k, v in crowd.items() if k != "results"},
        "reference_ms": {"low": reference_row("", reference_low)[2:4],
                         "high": reference_row("", reference_high)[2:4]},
        "outlook": outlook_rows,
        "profile": profile,
        "blocked": len(blocked),
        "load_before": load_start,
        "load_after": load_end,
    }  # fmt: skip
    print("RESULT " + json.dumps(figures, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
