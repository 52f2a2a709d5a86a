"""A classroom room in play (issue 10): who sits where, what each team may order, the round's
submissions and its resolution, the instructor's injects, and the record that replays it.

What it owns: the rules of a room. `room_store.RoomStore` keeps rooms; the UI shows them and
passes on what people do, always with the seat their code gave them, so every check here is the
server's own. A room is a game like any other (experiments/game.py): its scenario, its seed and,
round by round, the orders its teams gave and the injects its instructor fired. Opening a room
replays its completed rounds, so a restarted server resumes at the last completed round and
teams rejoin with their codes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from wargame.config.schema import Inject, Scenario, refinery_targets
from wargame.config.text import printable
from wargame.engine.decision import Decision
from wargame.engine.model import GulfModel, build_model
from wargame.engine.observation import side_observation
from wargame.engine.rules.diplomacy import CHANNEL_DECISION
from wargame.experiments.game import fingerprint, host_ids
from wargame.experiments.room_store import (
    INSTRUCTOR,
    RoomRecord,
    RoomStore,
    RoundRecord,
    Seat,
)

HOSTS_TEAM = "hosts"  # one team plays every GCC host
MAX_RATIONALE_CHARS = 2_000

# The instructor's ad hoc injects. Each fires at the start of the next round. A refinery fire
# burns at a site the instructor picks when firing it (`LiveRoom.fire`'s node, one of
# `refinery_targets`): the room's scenario decides which sites there are, so the entry has none.
ADHOC_INJECTS: dict[str, dict[str, Any]] = {
    "tanker_struck": {
        "kind": "shipping_attacks",
        "attacks": 1.0,
        "note": "A tanker is struck in the Gulf of Oman; no one claims it",
    },
    "lebanon_flare": {
        "kind": "lebanon_intensity",
        "value": 0.9,
        "note": "Fighting flares in southern Lebanon",
    },
    "swiss_talks": {
        "kind": "channel",
        "channel": "open",
        "note": "Switzerland offers talks; the channel opens",
    },
    "refinery_fire": {
        "kind": "refinery_fire",
        "damage": 1.0,  # about half the hit of one heavy warhead, before the site's value
        "note": "A fire breaks out at a refinery; no one claims it",
    },
}
TARGETED_INJECTS = ("refinery_fire",)  # the ad hoc injects that take a node when fired


# What the instructor may reveal to one team for the live round: a secret the fog of war keeps
# from it (engine/observation.can_see), read from the model's true state.
REVEALABLE: dict[str, str] = {
    "iran_sites": "the true capacity of Iran's launch and radar sites",
    "doctrine": "the weight of the reciprocity wing in Washington (the US doctrine split)",
    "us_ledger": "Washington's count of Iran's violations of the MOU",
    "iran_ledger": "Tehran's count of US violations of the MOU",
    "host_tolerance": "each host's willingness to keep hosting US forces",
}


def revealed_value(model: GulfModel, item: str) -> dict[str, float]:
    """The true values of a revealable secret now."""
    world = model.world
    if item == "iran_sites":
        return {
            site: round(float(c), 3)
            for site, c in zip(model.theatre.iran_sites, world.iran.capacity, strict=True)
        }
    if item == "doctrine":
        return {"doctrine_split": model.spec.levers.doctrine_split}
    if item in ("us_ledger", "iran_ledger"):
        ledgers = world.diplomacy.ledgers
        return {item: round(float(ledgers.us if item == "us_ledger" else ledgers.iran), 3)}
    if item == "host_tolerance":
        return {host: round(float(state.tolerance), 3) for host, state in world.hosts.items()}
    raise RoomError(f"nothing called {printable(item)!r} to reveal")


class RoomError(Exception):
    """What someone asked of a room cannot be done: the message says what and why."""


def exercise_scenario(scenario: Scenario, rounds: int) -> Scenario:
    """The scenario cut to an exercise's length (1 to its own rounds), validated again."""
    if (
        isinstance(rounds, bool)
        or not isinstance(rounds, int)
        or not 1 <= rounds <= scenario.clock.rounds
    ):
        raise RoomError(f"rounds: a whole number from 1 to {scenario.clock.rounds}")
    data = scenario.model_dump(mode="json")
    data["clock"]["rounds"] = rounds
    return Scenario.model_validate(data)


def room_roles(scenario: Scenario, one_team_for_hosts: bool = True) -> tuple[str, ...]:
    """The team roles of a room: CENTCOM, the IRGC, and the hosts as one team or one each."""
    hosts = (HOSTS_TEAM,) if one_team_for_hosts else host_ids(scenario)
    return ("centcom", "irgc", *hosts)


def role_actors(scenario: Scenario, role: str) -> tuple[str, ...]:
    """The decisions a team's orders may set (the IRGC's include its channel move)."""
    if role == "centcom":
        return ("centcom",)
    if role == "irgc":
        return ("irgc", CHANNEL_DECISION)
    if role == HOSTS_TEAM:
        return host_ids(scenario)
    if role in host_ids(scenario):
        return (role,)
    raise RoomError(f"no team role {printable(role)!r}")


@dataclass(frozen=True)
class Submission:
    orders: dict[str, str]
    rationale: str


class LiveRoom:
    """One room being played: its model at the live round, with that round begun (every
    team's advisor reads its decisions), and the submissions and injects of the round.

    `picture` (optional) is called with the model after every completed round (and after the
    replay that opens the room), before the next round begins; what it returns is kept as
    `self.picture` until the next round. The UI passes its map snapshot here: the map must show
    the state a round left, which the next round's first phases move on at once, and this layer
    may not import the UI."""

    def __init__(
        self,
        store: RoomStore,
        room_id: str,
        picture: Callable[[GulfModel], Any] | None = None,
    ):
        self.lock = threading.RLock()
        self.version = 0  # moves on every change a page shows: pages wait for it to move
        self._changed = threading.Condition(self.lock)
        self._picture_of = picture
        self.picture: Any = None
        self._load(store, room_id)

    def _load(self, store: RoomStore, room_id: str) -> None:
        """The room as the store holds it: its completed rounds replayed, the next begun."""
        record = store.room(room_id)
        self.scenario, self.model = replayed(record)
        self.store = store
        self.id = room_id
        self.name = record.name
        self.roles = record.roles
        self.rounds: list[RoundRecord] = list(record.rounds)
        self.pending: dict[str, Submission] = {}
        self.fired: list[dict[str, Any]] = []  # this round's ad hoc injects (for the next)
        self.revealed: dict[str, list[str]] = {}  # role -> secrets shown to it this round
        self.deadline: float | None = None  # the round timer's end (seconds since the epoch)
        self.timer_seconds: float | None = None  # the timer each new round starts with
        self.left_when_paused: float | None = None  # the timer's time left, while paused
        self.paused = False
        self._bump()
        self._begin()

    # --- what pages read -------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return len(self.rounds) >= self.scenario.clock.rounds

    @property
    def live_round(self) -> int | None:
        """The round being decided; None once the room has played its last."""
        return None if self.finished else len(self.rounds) + 1

    def decisions(self) -> dict[str, Decision]:
        """The live round's AI decisions (the advisor's numbers for every team)."""
        if self.finished:
            return {}
        return dict(self.model.decision_history[self.model.round])

    def submitted(self) -> list[str]:
        return sorted(self.pending)

    def wait_for_change(self, seen: int, timeout: float) -> int:
        """Block until the room's version is no longer `seen` (a submission, a round, an inject,
        a pause...) or `timeout` seconds pass; returns the version. Every page's watcher waits
        here, so all of them wake the moment the room changes, not at their next poll."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != seen, timeout)
            return self.version

    # --- what people do --------------------------------------------------------------------

    def submit(self, seat: Seat, orders: Mapping[str, str], rationale: str = "") -> bool:
        """A team's orders for the live round and its stated rationale. Refused for a seat of
        another room, the instructor, an order for a decision the team does not hold, or an
        action the round does not offer. The round resolves when every team has submitted;
        returns True if this submission resolved it. A team may resubmit until then."""
        with self.lock:
            role = self._team_of(seat)
            self._check_live()
            if not isinstance(rationale, str) or len(rationale) > MAX_RATIONALE_CHARS:
                raise RoomError(f"rationale: text of at most {MAX_RATIONALE_CHARS:,} characters")
            allowed = role_actors(self.scenario, role)
            decisions = self.decisions()
            for actor, action in orders.items():
                if actor not in allowed:
                    raise RoomError(
                        f"the {role} team cannot order {printable(actor)!r}: its orders are for "
                        f"{', '.join(allowed)}"
                    )
                options = decisions[actor].options
                if action not in options:
                    raise RoomError(
                        f"{actor} has no action {printable(action)!r} this round; its options "
                        f"are {', '.join(options)}"
                    )
            self.pending[role] = Submission(dict(orders), rationale)
            self._bump()
            if set(self.pending) >= set(self.roles):
                self._resolve()
                return True
            return False

    def force(self, seat: Seat) -> None:
        """The instructor resolves the round now; the AI plays every team that has not
        submitted."""
        with self.lock:
            self._instructor(seat)
            self._check_live()
            self._resolve()

    def fire(self, seat: Seat, key: str, node: str | None = None) -> dict[str, Any]:
        """The instructor fires an ad hoc inject; it fires at the start of the next round. A
        refinery fire burns at `node`, one of `refinery_targets` (default: the first); another
        inject takes no node."""
        with self.lock:
            self._instructor(seat)
            self._check_live()
            if key not in ADHOC_INJECTS:
                raise RoomError(
                    f"no inject {printable(key)!r}; choose one of {', '.join(ADHOC_INJECTS)}"
                )
            data = {"round": self.model.round + 1, **ADHOC_INJECTS[key]}
            if key in TARGETED_INJECTS:
                data["node"] = self._fire_site(node)
            elif node is not None:
                raise RoomError(f"{key}: takes no node (only {', '.join(TARGETED_INJECTS)} do)")
            try:
                self.model.add_inject(Inject.model_validate(data))
            except ValueError as error:
                raise RoomError(f"{key}: {error}") from None
            self.fired.append(data)
            self._bump()
            return data

    def set_paused(self, seat: Seat, paused: bool) -> None:
        """Pause (no submission, force or timer runs out) or resume; a resumed timer gets
        back the time it had left."""
        with self.lock:
            self._instructor(seat)
            paused = bool(paused)
            if paused and not self.paused and self.deadline is not None:
                self.left_when_paused = max(0.0, self.deadline - time.time())
                self.deadline = None
            elif not paused and self.paused and self.left_when_paused is not None:
                self.deadline = time.time() + self.left_when_paused
                self.left_when_paused = None
            self.paused = paused
            self._bump()

    def set_timer(self, seat: Seat, seconds: float | None) -> None:
        """The round timer: this round ends `seconds` from now, and each new round gets as
        long; None stops it. When it runs out, `tick` resolves the round (the AI plays every
        team that has not submitted)."""
        with self.lock:
            self._instructor(seat)
            if seconds is not None and not (
                isinstance(seconds, int | float) and 10 <= seconds <= 3_600
            ):
                raise RoomError(f"timer: seconds from 10 to 3,600, got {printable(seconds)!r}")
            self.timer_seconds = None if seconds is None else float(seconds)
            self.deadline = None if seconds is None else time.time() + float(seconds)
            self._bump()

    def remaining(self) -> float | None:
        """Seconds left on the round timer; None with no timer running."""
        return None if self.deadline is None else max(0.0, self.deadline - time.time())

    def tick(self) -> bool:
        """Resolve the round if its timer ran out (pages and the server call it often);
        returns True if it did."""
        with self.lock:
            if self.finished or self.paused or self.deadline is None:
                return False
            if time.time() < self.deadline:
                return False
            self._resolve()
            return True

    def reveal(self, seat: Seat, role: str, item: str) -> dict[str, float]:
        """The instructor shows one team a secret for this round; returns what it shows."""
        with self.lock:
            self._instructor(seat)
            self._check_live()
            if role not in self.roles:
                raise RoomError(f"no team {printable(role)!r} in this room")
            values = revealed_value(self.model, item)
            shown = self.revealed.setdefault(role, [])
            if item not in shown:
                shown.append(item)
            self._bump()
            return values

    def team_view(self, seat: Seat) -> dict[str, Any]:
        """What a team's page may show of the live round: the observation of each side it
        plays (its fog of war), its own decisions' options, and what the instructor revealed
        to it. Never another side's view."""
        with self.lock:
            role = self._team_of(seat)
            actors = role_actors(self.scenario, role)
            played = [a for a in actors if a != CHANNEL_DECISION]
            decisions = self.decisions()
            return {
                "round": self.live_round,
                "observations": {a: side_observation(self.model, a) for a in played},
                "decisions": {a: decisions[a] for a in actors if a in decisions},
                "revealed": {
                    item: revealed_value(self.model, item) for item in self.revealed.get(role, [])
                },
                "submitted": self.submitted(),
                "remaining": self.remaining(),
            }

    # --- inside ----------------------------------------------------------------------------

    def _bump(self) -> None:
        """A change every page must show: move the version and wake the pages' watchers."""
        with self._changed:
            self.version += 1
            self._changed.notify_all()

    def _team_of(self, seat: Seat) -> str:
        if seat.room_id != self.id:
            raise RoomError("this code belongs to another room")
        if seat.role == INSTRUCTOR:
            raise RoomError("the instructor gives no orders; teams do")
        if seat.role not in self.roles:
            raise RoomError(f"no team {printable(seat.role)!r} in this room")
        return seat.role

    def _fire_site(self, node: str | None) -> str:
        """The site a refinery fire burns at: `node` if it is a host's energy site, else the
        first such site when none is named."""
        sites = refinery_targets(self.scenario)
        if not sites:
            raise RoomError("refinery_fire: this scenario has no energy site of a host state")
        if node is None:
            return sites[0]
        if node not in sites:
            raise RoomError(
                f"refinery_fire: node {printable(node)!r} is not an energy site of a host "
                f"state; choose one of {', '.join(sites)}"
            )
        return node

    def _instructor(self, seat: Seat) -> None:
        if seat.room_id != self.id or seat.role != INSTRUCTOR:
            raise RoomError("only this room's instructor can do that")

    def _check_live(self) -> None:
        if self.finished:
            raise RoomError("the exercise is over: every round has been played")
        if self.paused:
            raise RoomError("the instructor has paused the exercise")

    def _begin(self) -> None:
        if self._picture_of is not None:
            self.picture = self._picture_of(self.model)
        if not self.finished:
            self.model.begin_round()

    def _resolve(self) -> None:
        """Play the live round with the submitted orders, write it in one transaction, and
        begin the next. If the write fails, the room is reopened from the store: nothing is
        half-played."""
        number = len(self.rounds) + 1
        # Keyed in sorted order, as the store reads a round back: the console lists a round
        # the same before and after a restart.
        orders = dict(sorted((a, x) for s in self.pending.values() for a, x in s.orders.items()))
        record = RoundRecord(
            number=number,
            orders=orders,
            rationales={role: self.pending[role].rationale for role in sorted(self.pending)},
            injects=list(self.fired),
            submitted=sorted(self.pending),
            ai_played=sorted(set(self.roles) - set(self.pending)),
            resolved=time.time(),
        )
        for actor, action in orders.items():
            self.model.command(actor, action)
        self.model.step()
        try:
            self.store.record_round(self.id, record)
        except Exception as error:
            # Back to the last round the store holds, the submissions and injects kept.
            pending, fired = self.pending, self.fired
            self._load(self.store, self.id)
            self.pending = pending
            for data in fired:
                self.model.add_inject(Inject.model_validate(data))
            self.fired = fired
            raise RoomError(
                f"round {number} could not be saved ({printable(error, 300)}); it was not "
                "played and every submission is kept: resolve it again"
            ) from None
        self.rounds.append(record)
        self.pending = {}
        self.fired = []
        self.revealed = {}
        self.deadline = None if self.timer_seconds is None else time.time() + self.timer_seconds
        self._bump()
        self._begin()


def play_round(model: GulfModel, played: RoundRecord) -> None:
    """Replay a completed round of a room: its orders, then the injects fired during it."""
    if not model.round_begun:
        model.begin_round()
    for actor, action in played.orders.items():
        model.command(actor, action)
    model.step()
    for data in played.injects:
        model.add_inject(Inject.model_validate(data))


def replayed(record: RoomRecord) -> tuple[Scenario, GulfModel]:
    """A room's scenario and its model after its completed rounds (no round begun); a stored
    scenario that no longer matches its fingerprint or no longer loads is a RoomError."""
    if fingerprint(record.scenario_data) != record.fingerprint:
        raise RoomError(f"room {record.id}: its stored scenario does not match its fingerprint")
    try:
        scenario = Scenario.model_validate(record.scenario_data)
    except ValidationError as error:
        raise RoomError(f"room {record.id}: its scenario no longer loads ({error})") from None
    model = build_model(scenario, record.seed)
    for played in record.rounds:
        play_round(model, played)
    return scenario, model


class Classroom:
    """Every room of one store, opened once and shared by the server's sessions."""

    def __init__(self, store: RoomStore, picture: Callable[[GulfModel], Any] | None = None):
        self.store = store
        self._picture = picture  # passed to every LiveRoom (see there)
        self._rooms: dict[str, LiveRoom] = {}
        self._lock = threading.Lock()

    def create(
        self,
        name: str,
        scenario: Scenario,
        scenario_path: str | None,
        seed: int,
        one_team_for_hosts: bool = True,
        teams: Iterable[str] | None = None,
    ) -> tuple[str, dict[str, str]]:
        """A new room: its id and a join code per role, the instructor's included. `teams`:
        the roles people play (default every role); the AI plays the others."""
        roles = room_roles(scenario, one_team_for_hosts)
        chosen = roles if teams is None else tuple(teams)
        unknown = [r for r in chosen if r not in roles]
        if unknown or not chosen:
            raise RoomError(
                f"teams: choose one or more of {', '.join(roles)}"
                + (f"; got {', '.join(map(repr, unknown))}" if unknown else "")
            )
        data = scenario.model_dump(mode="json")
        return self.store.create_room(
            name,
            scenario_path,
            data,
            fingerprint(data),
            seed,
            tuple(r for r in roles if r in chosen),
        )

    def room(self, room_id: str) -> LiveRoom:
        with self._lock:
            if room_id not in self._rooms:
                self._rooms[room_id] = LiveRoom(self.store, room_id, self._picture)
            return self._rooms[room_id]

    def join(self, code: str) -> tuple[LiveRoom, Seat]:
        """The room and seat a code opens; a code no room gave out opens nothing."""
        seat = self.store.seat(code)
        if seat is None:
            raise RoomError("no room has this code; check it with your instructor")
        return self.room(seat.room_id), seat
