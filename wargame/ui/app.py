"""The Solara app: its routes. `run.py play` serves this module (`solara run wargame.ui.app`).

Importing it creates no game: each browser session makes its own in the page (see `state.py`).
Served by `run.py play`, it also starts the continuation workers at once, from a thread of no
browser session (a pool started from a page's thread would keep that page's game alive), so
"Where is this heading?" does not wait for them on its first click.
"""

from __future__ import annotations

import os
import threading

import solara

from wargame.experiments.continuation import warm_pool
from wargame.ui.pages import classroom, play
from wargame.ui.state import SCENARIO_ENV


@solara.component
def Layout(children=()):
    """No app bar or tabs: each page has its own title, and a team's page links nowhere else."""
    with solara.Column(style={"padding": "0"}):
        for child in children:
            solara.display(child)


routes = [
    # The root route's layout is every page's (solara.autorouting): no app bar or tabs.
    solara.Route(path="/", component=play.Page, label="Play", layout=Layout),
    solara.Route(path="classroom", component=classroom.Page, label="Classroom"),
]

if os.environ.get(SCENARIO_ENV):  # set by `run.py play` only: a plain import starts nothing
    threading.Thread(target=warm_pool, name="warm-pool", daemon=True).start()
