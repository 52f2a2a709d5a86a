"""The browser face: a Solara app to play, watch and command the Gulf wargame.

`app.py` holds the routes; `pages/` one module per page; `components/` the pieces (map, charts,
event log, controls) with their Vue templates; `session.py` the per-browser-session game state.
Nothing imports this package: the CLI starts it as a separate server process by module name.
"""
