"""The play page: map, status bar, controls, command and advisor, event log, charts, and
'Where is this heading?'. Everything shown goes through the side's fog of war."""

from __future__ import annotations

import solara

from wargame.ui import chart_data, map_data
from wargame.ui.components.charts import ChartGrid, chart_texts
from wargame.ui.components.command_panel import OrdersCard, SidePicker
from wargame.ui.components.controls import GameSetup, PlayControls
from wargame.ui.components.event_log import EventLog
from wargame.ui.components.game_file import GameFilePanel
from wargame.ui.components.outlook_panel import OutlookPanel
from wargame.ui.components.status_bar import StatusBar
from wargame.ui.components.theatre_map import TheatreMap
from wargame.ui.state import use_game_state, use_state

PAGE_CSS = """
.gulf-page { font-family: Roboto, Helvetica, Arial, sans-serif; }
.gulf-sidebar { width: 360px; min-width: 320px; }
.gulf-main { flex: 1; min-width: 600px; }
.status-bar { padding: 6px 10px; background: #f3f5f8; border-radius: 6px; }
.advisor-table th, .advisor-table td, .channel-table th, .channel-table td {
    border-bottom: 1px solid #dde; padding: 2px 4px; }
"""


@solara.component
def MapAndLog():
    state = use_state()
    session = state.session
    shown = state.shown_round()
    side = session.side
    TheatreMap(
        data=map_data.for_side(session.snapshots[shown], side),
        selected=state.selected_node.value,
        on_select=state.selected_node.set,
    )
    EventLog(
        events=session.model.events,
        decision_history=session.model.decision_history,
        side=side,
        round=shown,
        human_orders=session.model.human_orders,
        actor_names=session.actor_names(),
    )


@solara.component
def Charts():
    state = use_state()
    session = state.session
    parent = session.parent
    specs = chart_data.charts(
        session.columns(),
        session.side,
        parent_rows=None if parent is None else parent.columns,
        round_hours=session.scenario.clock.round_hours,
        host_rows=session.host_rows,
        parent_host_rows=None if parent is None else parent.host_rows,
        branch_round=None if parent is None else parent.at_round,
        host_names=session.actor_names(),
    )
    ChartGrid(chart_texts(specs))


@solara.component
def Page():
    state = use_game_state()
    # Read on every render, whatever branch follows: a reactive read only in one branch would
    # stop re-rendering the page once the other branch is taken.
    setup_serial = state.setup_serial.value
    solara.Style(PAGE_CSS)
    solara.Title("Gulf Escalation Wargame")
    with solara.Column(classes=["gulf-page"], style={"padding": "8px 14px"}):
        # Text, not Markdown: Markdown asks the browser for KaTeX, which the install lacks.
        solara.Text("Gulf Escalation Wargame", style={"font-size": "1.6em", "font-weight": "500"})
        StatusBar()
        Message()
        with solara.Row(style={"align-items": "flex-start", "gap": "16px"}):
            with solara.Column(classes=["gulf-sidebar"]):
                PlayControls()
                SidePicker()
                with solara.Details("Save, load, replay, branch", expand=True):
                    GameFilePanel()
                with solara.Details("Scenario, seed, levers and parameters"):
                    if state.session.commanding() is None:
                        GameSetup().key(f"setup-{setup_serial}")
                    else:
                        # The setup shows every side's true settings (the US doctrine split,
                        # the IRGC's rationality...): fog of war hides it from a commanded side.
                        solara.Text(
                            "Hidden while you command a side: it shows every side's true "
                            "settings. Switch to Observer to change the game.",
                            classes=["setup-hidden"],
                        )
            with solara.Column(classes=["gulf-main"]):
                OrdersCard()
                MapAndLog()
                Charts()
                OutlookPanel()


@solara.component
def Message():
    state = use_state()
    if state.message.value:
        solara.Warning(state.message.value, classes=["game-message"])
