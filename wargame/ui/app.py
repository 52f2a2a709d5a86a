"""The Solara app: its routes. `run.py play` serves this module (`solara run wargame.ui.app`).

Importing it creates no game: each browser session makes its own in the page (see `state.py`).
"""

from __future__ import annotations

import solara

from wargame.ui.pages import play

routes = [solara.Route(path="/", component=play.Page, label="Play")]
