"""The event log component: this round's events (or every round's), filterable by actor, each
decision row expanding to its "why" table. Rows come from `wargame.ui.event_data`; the table is
drawn in the browser by event_log.vue.

What the browser holds stays small: this round's rows carry their "why"; older rounds' rows
fetch theirs when opened, and "show all rounds" pages through at most `page` rows at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import solara

from wargame.ui.event_data import actors_of, event_rows, filter_rows, round_of


@solara.component_vue("event_log.vue", vuetify=False)
def EventLogView(  # noqa: N802 (Solara components are CamelCase)
    rows: list,
    actors: list,
    selected: list,
    round: int,
    show_all: bool,
    more: int,
    event_toggle_all: Callable[[bool], None] | None = None,
    event_filter: Callable[[list], None] | None = None,
    event_expand: Callable[[int], None] | None = None,
    event_show_more: Callable[[Any], None] | None = None,
):
    """The rendered log; `EventLog` holds its state."""


@solara.component
def EventLog(  # noqa: N802
    events: Sequence[Any],
    decision_history: Mapping[int, Mapping[str, Any]] | None,
    side: str,
    round: int,
    human_orders: Mapping[int, Mapping[str, str]] | None = None,
    actor_names: Mapping[str, str] | None = None,
    page: int = 150,
):
    """The game's events as `side` may read them; `round` is the latest round played."""
    show_all, set_show_all = solara.use_state(False)
    selected, set_selected = solara.use_state([])
    opened, set_opened = solara.use_state(frozenset())
    limit, set_limit = solara.use_state(page)
    # The engine's event list only grows, so its length says when it changed.
    count = len(events)

    def build():
        if not show_all:
            rows = event_rows(
                events, decision_history, side, round, human_orders, actor_names, why_ids=None
            )
            return rows, actors_of(rows), 0
        current = {i for i, e in enumerate(events) if round_of(e) == round}
        rows = event_rows(
            events,
            decision_history,
            side,
            None,
            human_orders,
            actor_names,
            why_ids=current | opened,
        )
        actors = actors_of(rows)
        rows = filter_rows(rows, selected)
        rows.sort(key=lambda r: -r["round"])  # newest round first, a round's events in order
        return rows[:limit], actors, max(0, len(rows) - limit)

    rows, actors, more = solara.use_memo(
        build,
        dependencies=[
            id(events),
            count,
            id(decision_history),
            round,
            side,
            show_all,
            tuple(selected),
            opened,
            limit,
        ],
    )
    if not show_all:
        rows = filter_rows(rows, selected)

    def toggle_all(value):
        set_show_all(bool(value))
        set_limit(page)

    EventLogView(
        rows=rows,
        actors=actors,
        selected=list(selected),
        round=round,
        show_all=show_all,
        more=min(more, page),
        event_toggle_all=toggle_all,
        event_filter=lambda ids: set_selected([str(i) for i in ids]),
        event_expand=lambda i: set_opened(opened | {int(i)}),
        event_show_more=lambda _=None: set_limit(limit + page),
    )
