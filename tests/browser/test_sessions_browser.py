"""Two browsers at once keep two games: each shows its own seed's game as the engine plays it,
and what one does (steps, a new seed) never moves the other. And importing the app creates no
game: every game belongs to a browser session."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from play_helpers import (
    ROOT,
    ladder_last,
    last_row,
    model_at,
    new_game,
    page_sentences,
    sentences,
    status,
    step,
    wait_round,
)

# The fast tier (-m 'not slow') keeps only the page-load smoke test; CI runs these.
pytestmark = pytest.mark.slow

SEED_A, SEED_B = 0, 7


def shows(page, seed: int, round_: int) -> None:
    """The page shows the game of `seed` at `round_`, as the in-test model plays it."""
    model = model_at(seed, round_)
    row = last_row(model)
    assert status(page)["round"] == str(round_)
    assert status(page)["date"] == row["date"]
    assert status(page)["rung"].startswith(f"rung {row['rung']}: {row['rung_name']} ")
    assert ladder_last(page) == str(row["rung"])
    assert page_sentences(page, round_) == sentences(model, round_)


def test_two_browsers_keep_separate_games(new_page):
    # The premise: the two seeds' games differ in what the pages are compared on.
    assert sentences(model_at(SEED_A, 1), 1) != sentences(model_at(SEED_B, 1), 1)
    page_a, _ = new_page("a")
    page_b, _ = new_page("b")
    new_game(page_b, SEED_B)
    assert status(page_a)["round"] == "0"

    # Both step at the same time.
    page_a.locator(".btn-step").click()
    page_b.locator(".btn-step").click()
    wait_round(page_a, 1)
    wait_round(page_b, 1)
    shows(page_a, SEED_A, 1)
    shows(page_b, SEED_B, 1)

    step(page_a, 2)
    shows(page_a, SEED_A, 3)
    shows(page_b, SEED_B, 1)  # B did not move
    step(page_b)  # and its game on the server did not either: its next round is seed B's 2nd
    shows(page_b, SEED_B, 2)
    shows(page_a, SEED_A, 3)

    # B starting a new game leaves A's game where it was.
    new_game(page_b, SEED_B + 100)
    step(page_a)
    shows(page_a, SEED_A, 4)
    step(page_b)
    shows(page_b, SEED_B + 100, 1)


IMPORT_CHECK = textwrap.dedent(
    """
    import gc, sys
    import solara
    import wargame.ui.app
    from wargame.engine.model import GulfModel
    from wargame.ui.session import GameSession

    def games():
        return sum(isinstance(o, (GulfModel, GameSession)) for o in gc.get_objects())

    # Module-level reactive values of the app's modules would be shared by every browser.
    shared = [
        f"{name}.{attr}"
        for name, module in list(sys.modules.items())
        if name.startswith("wargame.ui")
        for attr, value in vars(module).items()
        if isinstance(value, (solara.Reactive, GameSession, GulfModel))
    ]
    print(games(), shared)
    made = GameSession()  # the check sees a game when there is one
    print(games())
    """
)


def test_importing_the_app_creates_no_game():
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    at_import, after_one = done.stdout.strip().splitlines()
    assert at_import == "0 []"
    assert int(after_one) >= 2  # a GameSession and its model
