"""Chart components: `Chart(spec)` draws one spec from `wargame.ui.chart_data` as SVG in the
browser (line_chart.vue); `ChartGrid(specs)` lays several out in a responsive grid.

Plain Solara rather than Mesa's SolaraViz plot components: those draw with matplotlib on the
server (0.2-1.2 s a frame) or Altair, whose Vega-Lite 6 does not load offline; and they plot
model columns directly, while the game needs fog of war and a branch's parent timeline.
"""

from __future__ import annotations

import json

import solara


@solara.component_vue("line_chart.vue", vuetify=False)
def ChartView(spec_json: str):  # noqa: N802 (Solara components are CamelCase)
    """One chart; the spec's shape is documented in `wargame.ui.chart_data`."""


@solara.component
def Chart(spec: dict):  # noqa: N802
    """One chart. The spec travels as one JSON string: as a dict, every render walked and
    diffed its thousands of numbers on the server (a third of a Step's time at round 365)."""
    text = solara.use_memo(lambda: json.dumps(spec, separators=(",", ":")), [spec])
    ChartView(spec_json=text)


@solara.component
def ChartGrid(specs: list[dict], min_width: int = 420):  # noqa: N802
    """Charts side by side, as many columns as fit at `min_width` pixels each."""
    with solara.Div(
        classes=["chart-grid"],
        style={
            "display": "grid",
            "grid-template-columns": f"repeat(auto-fill, minmax({min_width}px, 1fr))",
            "gap": "10px",
            "width": "100%",
        },
    ):
        for spec in specs:
            Chart(spec=spec).key(spec["id"])
