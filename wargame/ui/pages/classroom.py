"""The classroom page, `/classroom`: the lobby (create a room, or join one with a code), a
team's page (its brief, its own view of the round, the map and the last round's events as its
sides see them, its menus with the advisor, its orders and stated rationale) and the
instructor's console (codes, who has submitted, force, pause, timer, injects, reveals, the
teacher's notes, the whole map, the after-action review on the page and as an HTML file).

A code in the address (`/classroom?code=...`) opens its seat. Every action goes to the room
with that seat, and the room (experiments/room.py) checks it: the page never decides who may
do what. Each page's watcher thread waits on its room and wakes the moment the room changes,
so every browser shows a new round, a submission or an inject within a fraction of a second.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, quote

import solara

from wargame.config.loader import load_scenario
from wargame.config.schema import refinery_targets, team_brief
from wargame.engine.observation import OBSERVER
from wargame.engine.rules.diplomacy import CHANNEL_DECISION
from wargame.experiments.room import (
    ADHOC_INJECTS,
    HOSTS_TEAM,
    REVEALABLE,
    TARGETED_INJECTS,
    LiveRoom,
    RoomError,
    exercise_scenario,
    role_actors,
    room_roles,
)
from wargame.experiments.room_store import INSTRUCTOR, RoundRecord, Seat
from wargame.ui import map_data
from wargame.ui.classroom_state import classroom, map_text, review_page
from wargame.ui.components.command_panel import AdvisorTable, LabelledSelect
from wargame.ui.components.event_log import EventLog
from wargame.ui.components.theatre_map import TheatreMapView
from wargame.ui.event_data import actor_label, option_label
from wargame.ui.session import DEFAULT_SCENARIO

LIBRARY = DEFAULT_SCENARIO.parent
WATCH_SECONDS = 0.5  # the longest a page's watcher sleeps: the timer's resolution
CSS = """
.classroom { font-family: Roboto, Helvetica, Arial, sans-serif; max-width: 1200px; }
.advisor-table th, .advisor-table td { border-bottom: 1px solid #dde; padding: 2px 4px; }
.room-status { padding: 6px 10px; background: #f3f5f8; border-radius: 6px; }
.brief { white-space: pre-wrap; }
.room-orders { flex: 1 1 460px; min-width: 460px; overflow-x: auto; }
.room-orders-wide { width: 100%; overflow-x: auto; }
.order-block { flex: 1 1 100%; max-width: 100%; overflow-x: auto; }
.order-block-half { flex: 1 1 460px; max-width: 100%; overflow-x: auto; }
.room-theatre { flex: 1.3 1 520px; min-width: 520px; align-items: flex-start; }
.room-map { flex: 1.4 1 520px; min-width: 480px; }
.room-log { flex: 1 1 340px; min-width: 320px; }
.aar-frame { width: 100%; height: 900px; border: 1px solid #dde; border-radius: 6px; }
"""


def code_in(search: str | None) -> str:
    return parse_qs(search or "").get("code", [""])[0]


def use_room_version(room: LiveRoom) -> int:
    """Re-render when the room changes (a submission, a round, an inject), and run its timer.
    A thread per page waits on the room (LiveRoom.wait_for_change), so every page wakes the
    moment the room changes; it also wakes every WATCH_SECONDS to run the round timer
    (LiveRoom.tick) and to notice its page has closed."""
    seen = solara.use_reactive(room.version)

    def watch():
        stop = threading.Event()

        def loop():
            shown = seen.value
            while not stop.is_set():
                room.tick()
                version = room.wait_for_change(shown, WATCH_SECONDS)
                if version != shown and not stop.is_set():
                    shown = seen.value = version

        threading.Thread(target=loop, name=f"room-{room.id}", daemon=True).start()
        return stop.set

    solara.use_effect(watch, [room.id])
    return seen.value


@solara.component
def Page():
    router = solara.use_router()
    code = code_in(router.search)
    solara.Style(CSS)
    solara.Title("Classroom — Gulf Escalation Wargame")
    with solara.Column(classes=["classroom"], style={"padding": "8px 14px"}):
        solara.Text("Gulf Escalation Wargame — classroom", style={"font-size": "1.5em"})
        if not code:
            Lobby()
            return
        try:
            room, seat = classroom().join(code)
        except RoomError as error:
            solara.Error(str(error), classes=["room-error"])
            JoinForm()
            return
        if seat.role == INSTRUCTOR:
            Console(room, seat)
        else:
            TeamPage(room, seat)


def go_to(router, code: str) -> None:
    router.push(f"{router.root_path}/classroom?code={quote(code)}")


@solara.component
def JoinForm():
    router = solara.use_router()
    typed = solara.use_reactive("")
    with solara.Card("Join a room"):
        solara.InputText("Your team's code", value=typed, classes=["join-code"])
        solara.Button(
            "Join",
            on_click=lambda: go_to(router, typed.value.strip()),
            classes=["btn-join"],
        )


@solara.component
def Lobby():
    router = solara.use_router()
    files = sorted(p.name for p in LIBRARY.glob("*.yaml"))
    name = solara.use_reactive("Class exercise")
    chosen = solara.use_reactive(DEFAULT_SCENARIO.name)
    seed = solara.use_reactive(1)
    one_team = solara.use_reactive(True)
    rounds = solara.use_reactive(8)
    ai_plays = solara.use_reactive([])
    problem = solara.use_reactive(None)

    def create():
        try:
            scenario = exercise_scenario(load_scenario(LIBRARY / chosen.value), rounds.value)
            roles = room_roles(scenario, one_team.value)
            _, codes = classroom().create(
                name.value,
                scenario,
                chosen.value,
                int(seed.value),
                one_team.value,
                teams=[r for r in roles if ai_side(r) not in ai_plays.value],
            )
        except (RoomError, ValueError) as error:
            problem.value = str(error)
            return
        go_to(router, codes[INSTRUCTOR])

    with solara.Row(style={"align-items": "flex-start", "gap": "16px"}):
        with solara.Card("Create a room (instructor)"):
            solara.InputText("Room name", value=name, classes=["room-name"])
            solara.Select("Scenario", values=files, value=chosen, classes=["room-scenario"])
            solara.InputInt("Seed", value=seed, classes=["room-seed"])
            solara.InputInt("Rounds (days) to play", value=rounds, classes=["room-rounds"])
            solara.Checkbox(label="One team for all GCC hosts", value=one_team)
            solara.SelectMultiple(
                "Sides the AI plays (no team)",
                values=ai_plays.value,
                on_value=ai_plays.set,
                all_values=["centcom", "irgc", "hosts"],
                classes=["room-ai"],
            )
            solara.Button("Create the room", on_click=create, classes=["btn-create"])
            if problem.value:
                solara.Error(problem.value)
        JoinForm()


def ai_side(role: str) -> str:
    """The side a role belongs to: a host state's team is one of the hosts."""
    return role if role in ("centcom", "irgc") else "hosts"


def role_label(role: str, hosts: dict[str, str] | None = None) -> str:
    """A team as pages name it; a team of one host state by the state's name (`hosts`: host
    id -> name)."""
    fixed = {"centcom": "CENTCOM", "irgc": "the IRGC", "hosts": "the GCC hosts"}
    return fixed.get(role) or (hosts or {}).get(role, role)


def status_text(room: LiveRoom) -> str:
    """The room's round, who has submitted and whether it is paused; read under the room's
    lock with the rest of a page, so the status line never runs ahead of what the page below
    it shows. (The time left is added by RoomStatus, which counts it down.)"""
    live = room.live_round
    rounds = room.scenario.clock.rounds
    hosts = host_names(room)
    parts = [
        f"Room {room.name}",
        f"round {live} of {rounds}" if live else f"all {rounds} rounds played",
        "submitted: " + (", ".join(role_label(r, hosts) for r in room.submitted()) or "nobody yet"),
    ]
    if room.paused:
        held = room.left_when_paused
        parts.append("PAUSED" + ("" if held is None else f" with {clock(held)} left"))
    return " · ".join(parts)


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


@solara.component
def RoomStatus(text: str, room: LiveRoom):
    """The status line and the round timer's time left. While the timer runs this re-renders
    every second, so the time counts down on every page (the room's version moves only when
    something happens); nothing else on the page renders again for it."""
    second = solara.use_reactive(0)

    def count_down():
        stop = threading.Event()

        def loop():
            while not stop.wait(1.0):
                left = room.remaining()
                if left is not None:
                    second.value = int(left)

        threading.Thread(target=loop, name=f"timer-{room.id}", daemon=True).start()
        return stop.set

    solara.use_effect(count_down, [room.id])
    # Read on every render: Solara re-renders a component for a reactive value only if its
    # last render read it.
    second.value  # noqa: B018
    left = room.remaining()
    shown = text if left is None else f"{text} · time left: {clock(left)}"
    solara.Text(shown, classes=["room-status"], style={"display": "block"})


def node_names(room: LiveRoom) -> dict[str, str]:
    return {node.id: node.name for node in room.scenario.nodes}


def fired_note(room: LiveRoom, data: dict) -> str:
    """An inject the instructor fired this round, as the console lists it."""
    where = data.get("node")
    return data["note"] + (f" ({node_names(room)[where]})" if where else "")


def revealed_text(values: dict[str, float], room: LiveRoom) -> str:
    """A revealed secret as a team reads it: one figure, or each site's or host's by name."""
    names = node_names(room) | host_names(room)
    (first, value), *_ = values.items()
    if len(values) == 1 and first not in names:  # a figure of its own: a ledger, the split
        return f"{value:.2f}"
    return ", ".join(
        f"{names.get(key, key.replace('_', ' '))} {v:.2f}" for key, v in values.items()
    )


def host_names(room: LiveRoom) -> dict[str, str]:
    return {host.id: host.name for host in room.scenario.actors.hosts}


def team_sides(room: LiveRoom, role: str) -> tuple[str, ...]:
    """The sides whose fog of war a team looks through: the actors it plays."""
    return tuple(a for a in role_actors(room.scenario, role) if a != CHANNEL_DECISION)


def log_side(sides: tuple[str, ...]) -> str:
    """The side the event log reads as. The log reads as one side; a team playing several
    hosts reads it as none of them (HOSTS_TEAM owns no secret), so it is never shown more than
    any one of its hosts may see."""
    return sides[0] if len(sides) == 1 else HOSTS_TEAM


@dataclass(frozen=True)
class LastRound:
    """What the map and the event log show: the state the last completed round left."""

    picture: dict
    played: int
    events: list
    decision_history: dict
    human_orders: dict


def theatre_now(room: LiveRoom) -> LastRound:
    """The room's map and its events up to the last completed round; call under the room's
    lock (the live round's first phases have already logged events of their own)."""
    played = len(room.rounds)
    events = room.model.events
    end = len(events)
    while end > 0 and events[end - 1].round > played:
        end -= 1
    return LastRound(
        picture=room.picture,
        played=played,
        events=events[:end],
        decision_history=dict(room.model.decision_history),
        human_orders=dict(room.model.human_orders),
    )


@solara.component
def TheatrePanel(room: LiveRoom, theatre: LastRound, sides: tuple[str, ...]):
    """The map and the last round's events, through the sides' fog of war."""
    selected = solara.use_reactive(None)
    # The map and the log side by side where there is room (a team's page), else one above
    # the other (the console, beside its controls).
    with solara.Row(classes=["room-theatre"], style={"flex-wrap": "wrap", "gap": "12px"}):
        with solara.Column(classes=["room-map"]):
            TheatreMapView(
                state_json=map_text(room.id, theatre.played, theatre.picture, sides),
                basemap=map_data.basemap(),
                selected=selected.value,
                event_select=selected.set,
            )
        # Shown from round 0 (empty), so its widgets are made when the page loads, not by
        # every page at once when round 1 resolves.
        with solara.Column(classes=["room-log"]):
            EventLog(
                events=theatre.events,
                decision_history=theatre.decision_history,
                side=log_side(sides),
                round=theatre.played,
                human_orders=theatre.human_orders,
                actor_names=host_names(room),
            )


@solara.component
def TeamPage(room: LiveRoom, seat: Seat):
    use_room_version(room)
    with room.lock:  # one state for the whole page
        view = room.team_view(seat)
        finished = room.finished
        status = status_text(room)
        theatre = theatre_now(room)
    RoomStatus(status, room)
    solara.Text(f"You play {role_label(seat.role, host_names(room))}.", classes=["team-role"])
    brief = team_brief(room.scenario, seat.role)
    if brief:
        with solara.Details("Your brief", expand=view["round"] == 1):
            solara.Text(brief, classes=["brief"])
    if finished:
        solara.Info("The exercise is over: here is its after-action review.")
        AfterActionReview(room.id, theatre.played)
        return
    # The orders across the page (the advisor's tables are wide), the theatre below them.
    with solara.Column(classes=["room-orders-wide"]):
        Orders(room, seat, view)
    TheatrePanel(room, theatre, team_sides(room, seat.role))


@solara.component
def Orders(room: LiveRoom, seat: Seat, view: dict):
    """A team's orders for the live round. Its picks, rationale and message are kept per round
    (a new round starts from the AI's picks and an empty box) rather than by remounting the
    card: a remount makes every widget anew, and thirty pages doing that at once were most of
    the server's work at each new round."""
    decisions = view["decisions"]
    number = view["round"]
    picks_by_round = solara.use_reactive({})
    rationale_by_round = solara.use_reactive({})
    problem_in_round = solara.use_reactive((number, None))
    picks = {a: d.chosen for a, d in decisions.items()} | picks_by_round.value.get(number, {})
    rationale = rationale_by_round.value.get(number, "")
    problem = problem_in_round.value[1] if problem_in_round.value[0] == number else None
    done = seat.role in view["submitted"]
    names = host_names(room)

    def pick(actor: str, action: str) -> None:
        chosen = {**picks_by_round.value.get(number, {}), actor: action}
        picks_by_round.set({number: chosen})  # earlier rounds' picks are not needed again

    def write(text: str) -> None:
        rationale_by_round.set({number: text})

    def label(actor: str) -> str:
        if actor == CHANNEL_DECISION:
            return "the IRGC's channel to Washington"
        return actor_label(actor, names)

    def submit():
        # Read at the click, not from the render: the last keystroke may be newer.
        chosen = {a: d.chosen for a, d in decisions.items()} | picks_by_round.value.get(number, {})
        text = rationale_by_round.value.get(number, "")
        try:
            if room.live_round != number:
                raise RoomError(f"round {number} is over: give your orders for the new round")
            room.submit(seat, chosen, text)
        except RoomError as error:
            problem_in_round.set((number, str(error)))
            return
        problem_in_round.set((number, None))

    for actor, values in view["observations"].items():
        with solara.Details(f"What {label(actor)} sees this round"):
            solara.Text(observation_text(values), classes=["observation"])
    for name, values in view["revealed"].items():
        solara.Info(
            f"Revealed to you: {REVEALABLE[name]}: {revealed_text(values, room)}",
            classes=["revealed"],
        )
    with solara.Card(f"Round {number}: your orders"):
        # One block per decision; a team of several hosts gets them two to a row (their
        # tables are narrow), the IRGC's wide table and its channel's stay full width.
        block = "order-block-half" if len(decisions) > 2 else "order-block"
        with solara.Row(style={"flex-wrap": "wrap", "gap": "8px 24px"}):
            for actor, decision in decisions.items():
                with solara.Column(classes=[block], gap="0px"):
                    solara.Text(
                        f"{label(actor)}: the advisor's numbers", style={"font-weight": "600"}
                    )
                    AdvisorTable(decision, classes=["advisor-table", f"advisor-{actor}"])
                    LabelledSelect(
                        f"Order for {label(actor)}",
                        list(decision.options),
                        picks[actor],
                        lambda option, actor=actor: pick(actor, option),
                        f"select-{actor}",
                    )
        with solara.Column(classes=["rationale"]):  # InputTextArea takes no classes
            solara.InputTextArea(
                "Your stated rationale", value=rationale, on_value=write, continuous_update=True
            )
        solara.Button(
            "Resubmit orders" if done else "Submit orders",
            on_click=submit,
            classes=["btn-submit"],
        )
        if done:
            solara.Success("Submitted: the round resolves when every team has submitted.")
        if problem:
            solara.Error(problem, classes=["orders-error"])


def observation_text(values: dict) -> str:
    """A side's view as lines of name: value (numbers and short lists only)."""
    lines = []
    for key, value in values.items():
        if isinstance(value, int | float | str | bool):
            lines.append(f"{key.replace('_', ' ')}: {value}")
    return "\n".join(lines)


@solara.component
def Console(room: LiveRoom, seat: Seat):
    use_room_version(room)
    router = solara.use_router()
    problem = solara.use_reactive(None)
    timer = solara.use_reactive(120)
    reveal_to = solara.use_reactive(room.roles[0])
    reveal_what = solara.use_reactive(next(iter(REVEALABLE)))

    def act(action):
        def run():
            try:
                action()
            except RoomError as error:
                problem.value = str(error)
                return
            problem.value = None

        return run

    show_review = solara.use_reactive(False)
    hosts = host_names(room)
    sites = {
        node_names(room)[node]: node for node in refinery_targets(room.scenario)
    }  # shown by name
    fire_at = solara.use_reactive(next(iter(sites), None))
    with room.lock:  # one state for the whole page
        status = status_text(room)
        finished, paused, played_rounds = room.finished, room.paused, list(room.rounds)
        theatre = theatre_now(room)
        fired = [fired_note(room, data) for data in room.fired]
    RoomStatus(status, room)
    solara.Text(
        "Instructor's console: you see every side (the map and log below are the true state); "
        "teams see only their own."
    )
    TeacherNotes(room)
    with solara.Row(style={"align-items": "flex-start", "gap": "16px", "flex-wrap": "wrap"}):
        with solara.Column(classes=["room-orders"]):
            codes = classroom().store.codes(room.id)
            with solara.Card("Join codes (give each team its own)"):
                for role in room.roles:
                    link = f"{router.root_path}/classroom?code={quote(codes[role])}"
                    solara.Text(
                        f"{role_label(role, hosts)}: {codes[role]}   ({link})",
                        classes=["join-line"],
                        style={"display": "block"},
                    )
                ai = [r for r in room_roles(room.scenario) if r not in room.roles]
                if ai:
                    solara.Text("Played by the AI: " + ", ".join(role_label(r, hosts) for r in ai))
            if not finished:
                with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}):
                    solara.Button(
                        "Resolve the round now",
                        on_click=act(lambda: room.force(seat)),
                        classes=["btn-force"],
                    )
                    solara.Button(
                        "Resume" if paused else "Pause",
                        on_click=act(lambda: room.set_paused(seat, not paused)),
                        classes=["btn-pause"],
                    )
                    solara.InputInt("Timer (s)", value=timer, classes=["timer-seconds"])
                    solara.Button(
                        "Start timer",
                        on_click=act(lambda: room.set_timer(seat, timer.value)),
                        classes=["btn-timer"],
                    )
                with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}):
                    for key, data in ADHOC_INJECTS.items():
                        if key in TARGETED_INJECTS:
                            continue
                        solara.Button(
                            data["note"],
                            on_click=act(lambda key=key: room.fire(seat, key)),
                            classes=[f"btn-inject-{key}"],
                        )
                if sites:
                    with solara.Row(
                        style={"gap": "8px", "align-items": "center", "flex-wrap": "wrap"}
                    ):
                        solara.Select(
                            "Refinery fire at",
                            values=list(sites),
                            value=fire_at,
                            classes=["fire-site"],
                        )
                        solara.Button(
                            "A refinery fire no one claims",
                            on_click=act(
                                lambda: room.fire(seat, "refinery_fire", node=sites[fire_at.value])
                            ),
                            classes=["btn-inject-refinery_fire"],
                        )
                if fired:
                    solara.Text(
                        "Fired for the next round: " + "; ".join(fired),
                        classes=["fired-injects"],
                        style={"display": "block"},
                    )
                # What to reveal on a line of its own: its names are long.
                LabelledSelect(
                    "Reveal a secret",
                    list(REVEALABLE),
                    reveal_what.value,
                    reveal_what.set,
                    "reveal-what",
                    name=REVEALABLE.get,
                )
                with solara.Row(style={"gap": "8px", "align-items": "center"}):
                    LabelledSelect(
                        "to",
                        list(room.roles),
                        reveal_to.value,
                        reveal_to.set,
                        "reveal-to",
                        name=lambda role: role_label(role, hosts),
                    )
                    solara.Button(
                        "Reveal",
                        on_click=act(lambda: room.reveal(seat, reveal_to.value, reveal_what.value)),
                        classes=["btn-reveal"],
                    )
            if problem.value:
                solara.Error(problem.value, classes=["console-error"])
            with solara.Card("Rounds played"):
                for played in played_rounds:
                    solara.Text(
                        played_line(played, hosts),
                        classes=["played-round"],
                        style={"display": "block"},
                    )
        TheatrePanel(room, theatre, (OBSERVER,))
    if played_rounds:
        played = len(played_rounds)
        with solara.Row(style={"gap": "8px", "align-items": "center"}):
            solara.FileDownload(
                lambda: review_page(room.id, played).encode(),
                filename=f"after-action-review-{room.id}.html",
                label="Export the after-action review (HTML)",
            )
            if not finished:
                solara.Button(
                    "Hide the review" if show_review.value else "Review the rounds so far",
                    on_click=lambda: show_review.set(not show_review.value),
                    classes=["btn-review"],
                )
        if finished or show_review.value:
            AfterActionReview(room.id, played)


def order_line(orders: dict[str, str], hosts: dict[str, str]) -> str:
    """Orders as a sentence: "IRGC enforces its Strait routing mandates, Kuwait stays quiet"
    (the IRGC's channel decision reads as the IRGC's: its options name the channel)."""
    return ", ".join(
        f"{actor_label('irgc' if actor == CHANNEL_DECISION else actor, hosts)} "
        f"{option_label(option)}"
        for actor, option in orders.items()
    )


def played_line(played: RoundRecord, hosts: dict[str, str]) -> str:
    """A completed round on the console: the teams' orders, who the AI stood in for, and what
    the teams said (shown as text: Solara's Text escapes it)."""
    parts = [order_line(played.orders, hosts)]
    if played.ai_played:
        parts.append("the AI played " + ", ".join(role_label(r, hosts) for r in played.ai_played))
    said = "; ".join(f"{role_label(r, hosts)}: {t}" for r, t in played.rationales.items() if t)
    line = f"Round {played.number}: " + "; ".join(p for p in parts if p)
    return line + (f" — {said}" if said else "")


@solara.component
def TeacherNotes(room: LiveRoom):
    """The scenario's notes for the teacher: learning goals, discussion questions, timing."""
    lesson = room.scenario.classroom
    if lesson is None:
        return
    notes = lesson.teacher
    with (
        solara.Details("Teacher's notes: goals, questions, timing"),
        solara.Column(classes=["teacher-notes"]),
    ):
        solara.Text("Learning goals", style={"font-weight": "600"})
        for goal in notes.learning_goals:
            solara.Text("• " + goal, style={"display": "block"})
        solara.Text("Discussion questions", style={"font-weight": "600"})
        for question in notes.discussion_questions:
            solara.Text("• " + question, style={"display": "block"})
        solara.Text("Timing", style={"font-weight": "600"})
        solara.Text(notes.timing, classes=["brief"])


@solara.component
def AfterActionReview(room_id: str, played: int):
    """The after-action review of the rounds played, on the page: the exported HTML file in a
    frame with scripts off (it has none; every typed text in it is escaped). Made in a thread:
    it plays 100 AI games of the scenario, which takes seconds."""
    made = solara.use_thread(
        lambda: review_page(room_id, played),
        dependencies=[room_id, played],
        # Cancelling by tracing would slow those games many times over.
        intrusive_cancel=False,
    )
    if made.state == solara.ResultState.FINISHED:
        solara.HTML(
            tag="iframe",
            attributes={"srcdoc": made.value, "sandbox": "", "title": "After-action review"},
            classes=["aar-frame"],
        )
    elif made.state == solara.ResultState.ERROR:
        solara.Error(f"The review could not be made: {made.error}", classes=["aar-error"])
    else:
        solara.Info(
            "Preparing the after-action review: 100 AI-played games of this scenario to "
            "compare yours with (a few seconds)...",
            classes=["aar-preparing"],
        )
        solara.ProgressLinear(True)
