"""Chart components: `ChartView` draws one spec from `wargame.ui.chart_data` as SVG in the
browser (line_chart.vue); `ChartGrid` lays several out in a responsive grid.

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


def chart_texts(specs: list[dict]) -> list[tuple[str, str]]:
    """Each spec as (its id, its JSON). Charts travel between components as text: as dicts,
    every render walked their thousands of numbers looking for elements and diffed them
    (a third of a Step's server time at round 365)."""
    return [(spec["id"], json.dumps(spec, separators=(",", ":"))) for spec in specs]


@solara.component
def ChartGrid(charts: list[tuple[str, str]], min_width: int = 420):  # noqa: N802
    """Charts (from `chart_texts`) side by side, as many columns as fit at `min_width` px."""
    with solara.Div(
        classes=["chart-grid"],
        style={
            "display": "grid",
            "grid-template-columns": f"repeat(auto-fill, minmax({min_width}px, 1fr))",
            "gap": "10px",
            "width": "100%",
        },
    ):
        for chart_id, text in charts:
            ChartView(spec_json=text).key(chart_id)
