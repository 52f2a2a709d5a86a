"""Save, load, replay and branch: a game file is versioned JSON holding the scenario, the seed and
every human order (no pickle); loading replays it exactly. The scrubber shows any past round;
a branch goes back to round k keeping the orders up to it, and the charts show both timelines.
"""

from __future__ import annotations

import solara

from wargame.config.text import printable
from wargame.experiments.game import GameFileError, game_text
from wargame.ui.components.controls import parse_whole
from wargame.ui.components.file_picker import FilePicker
from wargame.ui.session import GameInputError
from wargame.ui.state import use_state

MAX_UPLOAD_BYTES = 8 * 1024 * 1024


@solara.component
def GameFilePanel():
    state = use_state()
    session = state.session
    branch_text = solara.use_reactive("")
    message = solara.use_reactive(None)
    failed = solara.use_reactive(False)

    def say(text: str, bad: bool) -> None:
        message.value = text
        failed.value = bad

    def on_pick(info: dict):
        name = str(info.get("name") or "upload")
        if info.get("text") is None:
            problem = str(info.get("problem") or "could not be read")
            limit = f"a save file is at most {MAX_UPLOAD_BYTES // 2**20} MiB"
            say(f"{printable(name, 200)}: {printable(problem, 100)} ({limit})", True)
            return
        load(info["text"], name)

    def on_file(file_info: dict):
        data = file_info.get("data") or b""
        name = str(file_info.get("name", "upload"))
        if file_info.get("size", len(data)) > MAX_UPLOAD_BYTES:
            say(
                f"{printable(name, 200)}: a save file is at most {MAX_UPLOAD_BYTES // 2**20} MiB",
                True,
            )
            return
        load(data, name)

    def load(data: str | bytes, name: str):
        try:
            with session.lock:
                state.stop_loops()
                note = session.load_text(data, name)
        except GameFileError as error:
            say(str(error), True)
            return
        say(
            f"Loaded {printable(name, 200)}: replayed to round {session.round}."
            + (f" Note: {note}." if note else ""),
            False,
        )
        state.view_round.value = None
        state.outlook.value = None
        state.changed()

    def do_branch():
        try:
            at = parse_whole(branch_text.value, "Branch round", 0, session.round)
            with session.lock:
                state.stop_loops()
                session.branch(at)
        except GameInputError as error:
            say(str(error), True)
            return
        say(f"Branched at round {at}: the parent timeline is drawn dashed on the charts.", False)
        state.view_round.value = None
        state.outlook.value = None
        state.changed()

    def scrub(value: int):
        state.view_round.value = None if value >= session.round else value

    with solara.Column(classes=["game-file-panel"], gap="4px"):
        if session.round:
            with solara.Div(classes=["scrubber"]):
                solara.SliderInt(
                    "Replay round",
                    value=state.shown_round(),
                    min=0,
                    max=session.round,
                    on_value=scrub,
                )
        solara.FileDownload(
            lambda: game_text(session.record(), session.round),
            filename=f"gulf-game-seed{session.seed}-round{session.round}.json",
            label="Save game",
        )
        solara.FileDrop(
            label="Load a saved game: drop its .json file here",
            on_file=on_file,
            lazy=False,
        )
        FilePicker(label="or choose it", max_bytes=MAX_UPLOAD_BYTES, event_picked=on_pick)
        with solara.Row(gap="6px", style={"align-items": "center"}):
            solara.InputText("Branch from round", value=branch_text, classes=["input-branch"])
            solara.Button("Branch", on_click=do_branch, classes=["btn-branch"])
        if message.value:
            solara.Text(
                message.value,
                classes=["file-message", "field-error" if failed.value else "file-ok"],
                style={"color": "#c00" if failed.value else "#286"},
            )
