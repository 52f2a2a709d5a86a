"""Per-browser-session state, in one place: the game session and the page's reactive values.

Nothing here is created at import time. The play page calls `use_game_state()` once; it makes
a `GameState` for that browser session (Solara runs one render tree per session), and children
read it with `use_state()`. Module-level objects would be shared by every browser; the only
shared thing in the app is the continuation worker pool, which belongs to the experiments layer.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import solara

from wargame.ui.session import DEFAULT_SCENARIO, GameSession

# Set by `run.py play --scenario` (wargame.cli.play.SCENARIO_ENV, which the UI may not import;
# tests/test_play_cli.py checks the two names agree).
SCENARIO_ENV = "GULF_WARGAME_SCENARIO"


@dataclass
class GameState:
    session: GameSession
    version: solara.Reactive[int] = field(default_factory=lambda: solara.reactive(0))
    playing: solara.Reactive[bool] = field(default_factory=lambda: solara.reactive(False))
    rounds_per_second: solara.Reactive[float] = field(default_factory=lambda: solara.reactive(4.0))
    run_target: solara.Reactive[int | None] = field(default_factory=lambda: solara.reactive(None))
    view_round: solara.Reactive[int | None] = field(default_factory=lambda: solara.reactive(None))
    selected_node: solara.Reactive[str | None] = field(
        default_factory=lambda: solara.reactive(None)
    )
    message: solara.Reactive[str | None] = field(default_factory=lambda: solara.reactive(None))
    outlook: solara.Reactive[Any] = field(default_factory=lambda: solara.reactive(None))
    # Moves only when the game's scenario is replaced (picked, changed, loaded) or the side
    # commanded changes: the setup panel is keyed on it, so its fields show the scenario in
    # play (or are hidden from a commanded side) without re-rendering on every round.
    setup_serial: solara.Reactive[int] = field(default_factory=lambda: solara.reactive(0))
    setup_seen: Any = None

    # The Play / Run-to loop that may step this game: a loop steps only while this is its own
    # token, checked under the session's lock, so a Reset, a load or a second loop (Solara does
    # not stop a threaded task's old thread) ends it before it steps the wrong game.
    loop_token: Any = None
    # The 'Where is this heading?' request whose results may be shown; a new game voids it.
    outlook_token: Any = None

    def stop_loops(self) -> None:
        """Stop Play and Run to, and void a running outlook (before a new game replaces this
        one); callers hold or take the session lock around the replacement."""
        self.playing.value = False
        self.run_target.value = None
        self.loop_token = object()
        self.outlook_token = object()
        self.outlook.value = None

    def changed(self) -> None:
        """Tell every component reading the session that the game moved."""
        seen = (self.session.scenario, self.session.side)
        if (
            self.setup_seen is None
            or seen[0] is not self.setup_seen[0]
            or seen[1] != self.setup_seen[1]
        ):
            self.setup_seen = seen
            self.setup_serial.value += 1
        self.version.value += 1

    def shown_round(self) -> int:
        """The round the map, status and log show: the scrubber's, else the live one."""
        live = self.session.round
        chosen = self.view_round.value
        return live if chosen is None or chosen > live else chosen


GameContext = solara.create_context(None)


def starting_scenario() -> Path:
    return Path(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


def use_game_state() -> GameState:
    """Create this session's state (once per browser session) and provide it to children."""
    state = solara.use_memo(lambda: GameState(GameSession(starting_scenario())), [])
    state.setup_seen = state.setup_seen or (state.session.scenario, state.session.side)
    GameContext.provide(state)
    return state


def use_thread_while(run, active: bool, dependencies: list, stop) -> None:
    """Run `run()` in a daemon thread while `active`, restarted when `dependencies` change;
    `stop()` is called first (on a change, and when the page goes away) and must make `run`
    return soon. Used instead of `solara.lab.use_task`, which in Solara 1.58 keeps every
    mount's task (and the whole game its closure holds) alive until the server stops."""

    def start():
        if not active:
            return stop
        threading.Thread(target=run, name="game-loop", daemon=True).start()
        return stop

    solara.use_effect(start, dependencies)


def use_state(subscribe: bool = True) -> GameState:
    """This session's state; with `subscribe` the caller re-renders whenever the game moves."""
    state: GameState = solara.use_context(GameContext)
    if subscribe:
        state.version.value  # noqa: B018  (reading subscribes the caller to changes)
    return state
