"""'Where is this heading?': 200 AI-played continuations of the current game, run in the
experiments layer's worker processes, shown as a fan chart that fills in as runs finish."""

from __future__ import annotations

import time

import solara

from wargame.config.loader import ScenarioError
from wargame.experiments.continuation import start_outlook
from wargame.ui import chart_data
from wargame.ui.components.charts import ChartGrid, chart_texts
from wargame.ui.state import use_state, use_thread_while

RUNS = 200
HORIZON = 60
POLL_SECONDS = 0.25


@solara.component
def OutlookPanel():
    state = use_state()
    session = state.session
    request = solara.use_reactive(0)
    running = solara.use_reactive(False)

    def watch():
        # A page thread only waits and redraws; the runs happen in worker processes. A new
        # game (Reset, load, branch, new seed) voids the request: its results are not shown.
        if not running.value:
            return
        token = state.outlook_token = object()
        with session.lock:
            record, from_round = session.record(), session.round
        try:
            job = start_outlook(
                record, from_round, runs=RUNS, horizon=HORIZON, request=request.value
            )
        except (ValueError, ScenarioError) as error:
            state.message.value = f"Where is this heading? could not start: {error}"
            running.value = False
            return
        try:
            while state.outlook_token is token:
                result = job.poll()
                if state.outlook_token is not token:
                    break
                state.outlook.value = (from_round, result)
                if result.done:
                    break
                time.sleep(POLL_SECONDS)
        finally:
            job.cancel()
            running.value = False

    def stop_watching():
        state.outlook_token = object()  # the watcher sees its request is void

    use_thread_while(watch, running.value, [running.value, request.value], stop_watching)

    def start():
        state.outlook.value = None  # the last click's result must not pass for this one
        request.value = request.value + 1
        running.value = True

    if session.commanding() is not None:
        # The continuations play the true game on: their fan would show a commanded side what
        # it cannot see (e.g. the IRGC's chance of a salvo next round, read off the median).
        solara.Text(
            "Where is this heading? plays the true game forward, so it is for Observers: "
            "as a commanded side it would show you what your side cannot see.",
            classes=["outlook-panel", "outlook-hidden"],
            style={"color": "#667"},
        )
        return
    with solara.Column(classes=["outlook-panel"]):
        with solara.Row(style={"align-items": "center"}):
            solara.Button(
                "Where is this heading?",
                on_click=start,
                disabled=running.value,
                color="primary",
                classes=["btn-outlook"],
            )
            solara.Text(
                f"{RUNS} AI-played continuations of {HORIZON} rounds from the current round, "
                "new seeds, your side played by the AI."
            )
        shown = state.outlook.value
        if shown is None:
            return
        from_round, result = shown
        status = f"{result.finished} of {result.total} continuations from round {from_round}"
        if result.failed:
            status += f"; {result.failed} failed: {result.errors[0] if result.errors else ''}"
        solara.Text(status, classes=["outlook-status"])
        if from_round != session.round:
            solara.Text("(the game has moved on since: click again for the current round)")
        if result.finished:
            OutlookCharts(result, from_round)


@solara.component
def OutlookCharts(result, from_round: int):
    """The fans, built once per result (not again on every round the game moves on)."""
    state = use_state(subscribe=False)
    charts = solara.use_memo(
        lambda: chart_texts(fan_specs(state.session, result, from_round)), [result]
    )
    ChartGrid(charts)


def fan_specs(session, result, from_round: int) -> list[dict]:
    """The fan charts, with this game's history up to the round the outlook started from."""
    history = {name: values[:from_round] for name, values in session.columns().items()}
    return chart_data.fan_charts(result, history)
