"""Game controls: Step, Play/Pause with a speed, Run to round N, Reset, the seed, the scenario
picker, the three policy levers and the key parameters.

Every typed value is checked before it is used: a bad one gets a message beside its field and
the game stays as it was. Parameters are part of the scenario, so applying them restarts the game
at round 0 with the same seed (a game is one scenario, one seed and the human orders).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from pathlib import Path

import solara

from wargame.config.loader import ScenarioError
from wargame.config.overrides import get_path
from wargame.config.schema import C2Posture, DefenceMix, MouLinkage
from wargame.config.text import printable
from wargame.ui.session import MAX_BROWSER_ROUNDS, MAX_SEED, GameInputError, scenario_choices
from wargame.ui.state import use_state, use_thread_while

MAX_SPEED = 20.0  # rounds a second while playing; faster than the page can usefully show
REDRAW_SECONDS = 0.3  # how often a Run to redraws the page while it plays


@dataclass(frozen=True)
class Lever:
    path: str
    label: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Parameter:
    path: str
    label: str
    hint: str


LEVERS = (
    Lever("levers.c2_posture", "C2 posture", tuple(c.value for c in C2Posture)),
    Lever("levers.mou_linkage", "MOU linkage to Lebanon", tuple(c.value for c in MouLinkage)),
    Lever("levers.defence_mix", "Air defence mix", tuple(c.value for c in DefenceMix)),
)
PARAMETERS = (
    Parameter("levers.doctrine_split", "Doctrine split (reciprocity wing)", "0 to 1"),
    Parameter("levers.interceptor_resupply", "Interceptor resupply multiplier", "0 to 100"),
    Parameter("actors.irgc.rationality", "IRGC rationality (logit lambda)", "0 to 1000"),
    Parameter("actors.centcom.rationality", "CENTCOM rationality (logit lambda)", "0 to 1000"),
    Parameter("shipping.arrivals_per_round", "Ships arriving a round", "0 to 10000"),
)
_WHOLE = re.compile(r"[0-9]{1,19}")


def parse_whole(text: str, name: str, low: int, high: int) -> int:
    """A whole number typed in the page (ASCII digits only), within [low, high]."""
    text = text.strip()
    if not _WHOLE.fullmatch(text):
        raise GameInputError(
            f"{name} must be a whole number {low}-{high:,}, got {printable(repr(text), 40)}"
        )
    value = int(text)
    if not low <= value <= high:
        raise GameInputError(f"{name} must be between {low} and {high:,}, got {value:,}")
    return value


def parse_number(text: str, name: str) -> float:
    """A finite decimal number typed in the page; the scenario schema checks its range."""
    cleaned = text.strip()
    try:
        if not re.fullmatch(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", cleaned):
            raise ValueError
        value = float(cleaned)
    except ValueError:
        raise GameInputError(f"{name} must be a number, got {printable(repr(text), 40)}") from None
    if not math.isfinite(value):
        raise GameInputError(f"{name} must be a finite number, got {printable(text, 40)}")
    return value


def field_message(problem: str, path: str) -> bool:
    """Does a schema problem refer to this dotted path?"""
    return path in problem or path.replace("levers.", "") in problem.split(":")[0]


@solara.component
def PlayControls():
    state = use_state()
    session = state.session
    run_to_text = solara.use_reactive("30")
    run_to_error = solara.use_reactive(None)
    running_to = state.run_target.value is not None

    def play_loop():
        # A worker thread while Play is on or a Run to is under way. Play shows every round at
        # the chosen speed; Run to plays flat out and redraws a few times a second, so a long
        # run neither freezes the page nor floods the browser. Pause/Stop end it.
        token = state.loop_token = object()
        shown_at = time.perf_counter()
        while True:
            started = time.perf_counter()
            with session.lock:
                target = state.run_target.value
                if state.loop_token is not token or not (state.playing.value or target is not None):
                    break
                if target is not None and session.round >= target:
                    state.run_target.value = None
                    break
                try:
                    session.step()
                except GameInputError as error:
                    state.message.value = str(error)
                    state.playing.value = False
                    state.run_target.value = None
                    break
            state.view_round.value = None
            if target is None:
                state.changed()
                pause = 1.0 / max(0.5, state.rounds_per_second.value)
                time.sleep(max(0.0, pause - (time.perf_counter() - started)))
            elif time.perf_counter() - shown_at > REDRAW_SECONDS:
                state.changed()
                shown_at = time.perf_counter()
        state.changed()  # show where the loop stopped (harmless after a Reset: it redraws)

    def stop_loop():
        state.loop_token = object()  # the running loop sees it is no longer its own

    use_thread_while(
        play_loop,
        state.playing.value or running_to,
        [state.playing.value, running_to],
        stop_loop,
    )

    def step():
        state.message.value = None
        try:
            session.step()
        except GameInputError as error:
            state.message.value = str(error)
        state.view_round.value = None
        state.changed()

    def run_to():
        try:
            target = parse_whole(run_to_text.value, "Run to", 0, MAX_BROWSER_ROUNDS)
        except GameInputError as error:
            run_to_error.value = str(error)
            return
        if target <= session.round:
            run_to_error.value = (
                f"the game is already at round {session.round}: use Replay round to look back, "
                "or Reset"
            )
            return
        run_to_error.value = None
        state.message.value = None
        state.playing.value = False
        state.run_target.value = target

    def reset():
        with session.lock:  # after the loop's current round, and before its next
            state.stop_loops()
            session.reset()
        state.view_round.value = None
        state.message.value = None
        state.changed()

    commanding = session.commanding() is not None
    with solara.Column(classes=["play-controls"], gap="6px"):
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            solara.Button(
                "Step",
                on_click=step,
                disabled=state.playing.value or running_to,
                classes=["btn-step"],
                color="primary",
            )
            solara.Button(
                "Pause" if state.playing.value else "Play",
                on_click=lambda: state.playing.set(not state.playing.value),
                disabled=running_to,
                classes=["btn-play"],
            )
            solara.Button("Reset", on_click=reset, classes=["btn-reset"])
        if commanding:
            solara.Text(
                "Step, Play and Run let the AI play your side too; give your orders above the map.",
                style={"color": "#667", "font-size": "0.85em"},
            )
        solara.SliderFloat(
            "Speed (rounds a second)",
            value=state.rounds_per_second,
            min=0.5,
            max=MAX_SPEED,
            step=0.5,
        )
        with solara.Row(gap="6px", style={"align-items": "center"}):
            solara.InputText("Run to round", value=run_to_text, classes=["input-run-to"])
            solara.Button(
                "Run", on_click=run_to, disabled=state.playing.value, classes=["btn-run-to"]
            )
        if run_to_error.value:
            solara.Text(
                run_to_error.value, classes=["field-error", "error-run-to"], style={"color": "#c00"}
            )


@solara.component
def GameSetup():
    """Seed, scenario, levers and parameters: applying any of them starts a new game. Not
    redrawn each round (it shows no round); the page re-keys it when the scenario changes."""
    state = use_state(subscribe=False)
    session = state.session
    seed_text = solara.use_reactive(str(session.seed))
    seed_error = solara.use_reactive(None)
    scenario_error = solara.use_reactive(None)
    picker_resets = solara.use_reactive(0)
    data = session.scenario.model_dump(mode="json")
    lever_values = {lever.path: solara.use_reactive(get_path(data, lever.path)) for lever in LEVERS}
    texts = {p.path: solara.use_reactive(str(get_path(data, p.path))) for p in PARAMETERS}
    errors = solara.use_reactive({})
    choices = scenario_choices()
    names = [p.name for p in choices]
    current = session.scenario_path.name if session.scenario_path else None

    def refresh_fields():
        fresh = session.scenario.model_dump(mode="json")
        for lever in LEVERS:
            lever_values[lever.path].value = get_path(fresh, lever.path)
        for parameter in PARAMETERS:
            texts[parameter.path].value = str(get_path(fresh, parameter.path))

    def apply_seed():
        try:
            seed = parse_whole(seed_text.value, "Seed", 0, MAX_SEED)
        except GameInputError as error:
            seed_error.value = str(error)
            return
        seed_error.value = None
        with session.lock:
            state.stop_loops()
            session.reset(seed)
        state.view_round.value = None
        state.changed()

    def pick(name: str):
        path = dict(zip(names, choices, strict=True)).get(name)
        if path is None:
            return
        try:
            with session.lock:
                state.stop_loops()
                session.pick_scenario(Path(path))
        except ScenarioError as error:
            scenario_error.value = printable(error, 600)
            picker_resets.value += 1  # the picker shows the scenario still in play again
            return
        scenario_error.value = None
        refresh_fields()
        state.view_round.value = None
        state.outlook.value = None
        state.changed()

    def apply_parameters():
        problems: dict[str, str] = {}
        changes = {lever.path: lever_values[lever.path].value for lever in LEVERS}
        for parameter in PARAMETERS:
            try:
                changes[parameter.path] = parse_number(texts[parameter.path].value, parameter.label)
            except GameInputError as error:
                problems[parameter.path] = str(error)
        if not problems:
            try:
                with session.lock:
                    state.stop_loops()
                    session.set_parameters(changes)
            except GameInputError as error:
                message = str(error)
                matched = [p.path for p in PARAMETERS if field_message(message, p.path)]
                for parameter in PARAMETERS:  # the page's label, not the scenario's field path
                    message = message.replace(f"{parameter.path}:", f"{parameter.label}:")
                for path in matched or ["_all"]:
                    problems[path] = message
        errors.value = problems
        if not problems:
            state.view_round.value = None
            state.outlook.value = None
            state.changed()

    with solara.Column(classes=["game-setup"], gap="4px"):
        solara.Select(
            "Scenario", values=names, value=current, on_value=pick, classes=["select-scenario"]
        ).key(f"scenario-picker-{picker_resets.value}")
        if scenario_error.value:
            solara.Text(scenario_error.value, classes=["field-error"], style={"color": "#c00"})
        with solara.Row(gap="6px", style={"align-items": "center"}):
            solara.InputText("Seed", value=seed_text, classes=["input-seed"])
            solara.Button("New game", on_click=apply_seed, classes=["btn-seed"])
        if seed_error.value:
            solara.Text(
                seed_error.value, classes=["field-error", "error-seed"], style={"color": "#c00"}
            )
        for lever in LEVERS:
            solara.Select(lever.label, values=list(lever.choices), value=lever_values[lever.path])
        for parameter in PARAMETERS:
            solara.InputText(
                f"{parameter.label} ({parameter.hint})",
                value=texts[parameter.path],
                classes=["input-param", "param-" + parameter.path.replace(".", "-")],
            )
            if parameter.path in errors.value:
                solara.Text(
                    errors.value[parameter.path],
                    classes=["field-error", "error-" + parameter.path.replace(".", "-")],
                    style={"color": "#c00", "font-size": "0.85em"},
                )
        if "_all" in errors.value:
            solara.Text(errors.value["_all"], classes=["field-error"], style={"color": "#c00"})
        solara.Button(
            "Apply (new game at round 0, same seed)",
            on_click=apply_parameters,
            classes=["btn-apply"],
        )
