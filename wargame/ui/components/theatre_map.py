"""The theatre map component: `TheatreMap(data, selected, on_select)` draws one side's map
snapshot (`wargame.ui.map_data.for_side`) as SVG in the browser (theatre_map.vue).

A plain Solara/Vue component rather than Mesa's network or space renderers: those draw with
matplotlib on the server (0.2-1.2 s a frame) and place nodes by a spring layout, while this map
needs real longitude and latitude, a coastline, arrows and fog of war. The coastline
(`map_data.basemap()`) is one object shared by every render, so the widget sends it to the
browser once; each round only the snapshot (~20 KB of JSON) travels.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import solara

from wargame.ui import map_data


@solara.component_vue("theatre_map.vue", vuetify=False)
def TheatreMapView(  # noqa: N802 (Solara components are CamelCase)
    state_json: str,
    basemap: dict,
    selected: str | None = None,
    event_select: Callable[[str | None], None] | None = None,
):
    """The Vue view. `state` is the side's snapshot, `basemap` the static layers; clicking a
    node calls `event_select(node_id)` (None when its details box is closed)."""


@solara.component
def TheatreMap(  # noqa: N802
    data: dict,
    selected: str | None = None,
    on_select: Callable[[str | None], None] | None = None,
):
    """The theatre map of one side's snapshot; hover shows a node's details, a click selects it
    (calls `on_select` with its id) and opens a details box."""

    def select(node_id: str | None) -> None:
        if on_select is not None:
            on_select(node_id)

    # The snapshot travels as one JSON string: as a dict, every render walked and diffed its
    # ~2,000 values on the server.
    text = solara.use_memo(lambda: json.dumps(data, separators=(",", ":")), [data])
    TheatreMapView(
        state_json=text, basemap=map_data.basemap(), selected=selected, event_select=select
    )
