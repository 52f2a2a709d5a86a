"""The status bar: round and date, the ladder rung with its name and severity, the MOU, the
diplomatic channel and the US doctrine split, all read from the model's own metric rows."""

from __future__ import annotations

from typing import Any

import solara

from wargame.engine.observation import can_see, side_observation
from wargame.ui.state import use_state


def status_items(row: dict[str, Any] | None, start: dict[str, Any], side: str) -> list[tuple]:
    """(label, value, css class) for each item; `row` is the shown round's metrics (None at
    round 0, when nothing has been played), `start` the values before round 1."""
    source = row or start
    items = [
        ("Round", str(source["round"]), "status-round"),
        ("Date", str(source["date"]), "status-date"),
        (
            "Ladder",
            f"rung {source['rung']}: {source['rung_name']} (severity {source['severity']})",
            "status-rung",
        ),
        ("MOU", str(source["mou"]).replace("_", " ").lower(), "status-mou"),
        ("Channel", str(source["channel"]).lower(), "status-channel"),
    ]
    if can_see(side, "doctrine"):
        items.append(
            ("Doctrine split", f"{source['doctrine_split']:.2f} reciprocity", "status-doctrine")
        )
    return items


@solara.component
def StatusBar():
    state = use_state()
    session = state.session
    shown = state.shown_round()
    row = session.row(shown)
    start = session.start_status()
    side = session.side
    items = status_items(row, start, side)
    if side == "irgc" and shown == session.round:  # its reading now, not of a replayed round
        view = side_observation(session.model, "irgc")
        if view and "us_resolve" in view:
            items.append(
                ("US resolve (as you read it)", f"{view['us_resolve']:.2f}", "status-doctrine")
            )
    with solara.Row(
        classes=["status-bar"],
        style={"flex-wrap": "wrap", "gap": "18px", "align-items": "baseline"},
    ):
        for label, value, css in items:
            with solara.Div(classes=["status-item", css]):
                solara.Text(f"{label}: ", style={"color": "#667", "font-size": "0.85em"})
                solara.Text(value, style={"font-weight": "600"})
        if shown != session.round:
            solara.Text(
                f"(replaying round {shown} of {session.round})",
                classes=["status-replay"],
                style={"color": "#b35"},
            )
