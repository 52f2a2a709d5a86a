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
from wargame.ui.pages import play
from wargame.ui.state import SCENARIO_ENV

routes = [solara.Route(path="/", component=play.Page, label="Play")]

if os.environ.get(SCENARIO_ENV):  # set by `run.py play` only: a plain import starts nothing
    threading.Thread(target=warm_pool, name="warm-pool", daemon=True).start()
