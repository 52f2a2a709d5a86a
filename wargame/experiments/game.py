"""A game as data: its scenario, its seed and every order a human gave; replay, branch, save, load.

A game is what DESIGN §8 says it is: a scenario, a seed and the list of human decisions. The
engine is deterministic in those, so `replay` rebuilds any round of a game exactly, `branch`
is a shorter list of orders, and a save file needs nothing else: versioned JSON (never pickle)
holding the scenario's data itself (so a save still loads after its scenario file changed),
written atomically and sealed with a checksum. Reading one trusts nothing in it: every way a
file can be wrong (not JSON, cut short, another program's file, another version, edited after
saving, an order no actor could give) is a `GameFileError` that names the file and says what is
wrong, never a traceback. This module owns the save format; the UI only calls it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wargame.config.ladder import IRGC_ACTIONS, MENUS
from wargame.config.loader import (
    FILE_TYPES,
    PATH_LIMIT,
    SCENARIO_SUFFIXES,
    ScenarioError,
    describe_validation_error,
    load_scenario,
    path_text_problem,
)
from wargame.config.schema import MAX_ROUNDS, Scenario
from wargame.config.text import printable
from wargame.engine.model import GulfModel, build_model, prepared
from wargame.engine.observation import sides
from wargame.engine.rules.diplomacy import CHANNEL_DECISION, CHANNEL_MENU
from wargame.engine.theatre import TheatreError
from wargame.experiments.design import SEED_MASK

FORMAT = "gulf-wargame-save"
VERSION = 1  # the save format this program writes and reads
MAX_SAVE_BYTES = 8 * 1024 * 1024  # a save is the scenario (~100 KB) plus its orders
SHOWN_PROBLEMS = 5  # scenario problems quoted in a message: the first few say what is wrong
DOCUMENT_KEYS = ("format", "version", "saved_round", "seed", "side", "scenario", "orders")
SCENARIO_KEYS = ("path", "fingerprint", "data")
ORDER_KEYS = ("round", "actor", "action")
_SCENARIO_CACHE: dict[str, Scenario] = {}
_SCENARIO_CACHE_LIMIT = 16


class GameFileError(Exception):
    """A save file that cannot be used, or one that cannot be written: one message naming the
    file and what is wrong. User text (file names, quoted values) is passed through `printable`."""

    def __init__(self, source: Any, problems: list[str]):
        self.source = printable(source, PATH_LIMIT)
        self.problems = [printable(problem, 2_000) for problem in problems]
        super().__init__("\n".join(f"{self.source}: {problem}" for problem in self.problems))


class ReplayError(ValueError):
    """An order the engine refused while replaying a game (the round and order named)."""


@dataclass(frozen=True)
class Order:
    round: int  # the round (1-based) the order was given for
    actor: str  # "irgc", "centcom", a host id, or "irgc_channel" (the IRGC's channel move)
    action: str  # an action on that actor's menu


@dataclass(frozen=True)
class GameRecord:
    """A game: replaying it with `replay` gives the same model every time.

    `scenario_data` is the validated scenario as JSON data (`Scenario.model_dump(mode="json")`):
    treat it as read-only, since the fingerprint of it is computed once.
    """

    scenario_data: dict
    scenario_path: str | None
    seed: int
    orders: tuple[Order, ...] = ()
    side: str = "observer"

    def __post_init__(self) -> None:
        if not isinstance(self.orders, tuple):
            object.__setattr__(self, "orders", tuple(self.orders))
        problem = seed_problem(self.seed)
        if problem:
            raise ValueError(problem)

    @cached_property
    def fingerprint(self) -> str:
        """The scenario's fingerprint: sha256 of its canonical JSON."""
        return fingerprint(self.scenario_data)

    @cached_property
    def key(self) -> str:
        """Identifies the whole game (scenario, seed, orders): equal keys replay equally."""
        orders = sorted([o.round, o.actor, o.action] for o in self.orders)
        return fingerprint({"scenario": self.fingerprint, "seed": self.seed, "orders": orders})


def new_game(
    scenario: Scenario, seed: int, side: str = "observer", scenario_path: str | None = None
) -> GameRecord:
    """A game of `scenario` with no orders yet."""
    # Not cached as this very object: every replay builds from the record's data, as a worker
    # process or a loaded save does, so all of them play the same scenario.
    return GameRecord(scenario.model_dump(mode="json"), scenario_path, seed, (), side)


def canonical_json(data: Any) -> str:
    """One text per value: sorted keys, no spaces, no NaN (JSON has none)."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def fingerprint(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def _remember(key: str, scenario: Scenario) -> None:
    if len(_SCENARIO_CACHE) >= _SCENARIO_CACHE_LIMIT:
        _SCENARIO_CACHE.clear()
    _SCENARIO_CACHE[key] = scenario


def scenario_of(record: GameRecord) -> Scenario:
    """The record's scenario, validated once per fingerprint. One object per scenario also lets
    every replay of it share the engine's theatre (`engine.model.prepared`)."""
    scenario = _SCENARIO_CACHE.get(record.fingerprint)
    if scenario is None:
        scenario, problems = checked_scenario(record.scenario_data)
        if scenario is None:
            raise ScenarioError(record.scenario_path or "(the game's scenario)", problems)
        _remember(record.fingerprint, scenario)
    return scenario


def checked_scenario(data: Any) -> tuple[Scenario | None, list[str]]:
    """(the scenario, []) when `data` is a scenario the engine can build, else (None, problems)."""
    if not isinstance(data, dict):
        return None, [f"expected a mapping of scenario fields, got {json_type(data)}"]
    try:
        scenario = Scenario.model_validate(data)
        prepared(scenario)  # its theatre: geography only a built one checks (kept for replays)
    except ValidationError as error:
        return None, describe_validation_error(error)
    except TheatreError as error:
        return None, [f"the theatre cannot be built: {error}"]
    return scenario, []


# --- the game's actors, sides and menus ------------------------------------------------------------


def host_ids(scenario: Scenario) -> tuple[str, ...]:
    return tuple(host.id for host in scenario.actors.hosts)


# The IRGC's channel moves, ordered under their own key (`CHANNEL_DECISION`) beside its action:
# every move of the channel's menus, in menu order. Which ones a round offers depends on the
# channel then (reopen only while halted), so `model.command` refuses the others at replay.
CHANNEL_ORDERS = tuple(dict.fromkeys(move for moves in CHANNEL_MENU.values() for move in moves))


def order_keys(scenario: Scenario) -> tuple[str, ...]:
    """Whom an order may go to: the actors, and the IRGC's channel decision."""
    return ("irgc", CHANNEL_DECISION, "centcom", *host_ids(scenario))


def menu(scenario: Scenario, actor: str) -> tuple[str, ...] | None:
    """The actions `actor` (an order key) may be ordered to take, or None for a key not in the
    game. The IRGC's channel moves are not on its action menu: they go to CHANNEL_DECISION."""
    if actor == CHANNEL_DECISION:
        return CHANNEL_ORDERS
    if actor == "irgc":
        return tuple(spec.id for spec in IRGC_ACTIONS)
    if actor == "centcom":
        kind = actor
    elif actor in host_ids(scenario):
        kind = "host"
    else:
        return None
    return tuple(spec.id for spec in MENUS[kind])


def order_problems(
    scenario: Scenario, orders: Iterable[Order], last_round: int, where: str = "orders"
) -> list[str]:
    """Why each order could not have been given in a game of `last_round` rounds (none if all
    could): an unknown actor, an action not on its menu, a round outside 1..last_round, or a
    second order for the same actor (or the IRGC's channel) in the same round."""
    problems = []
    seen: set[tuple[int, str]] = set()
    keys = order_keys(scenario)
    for index, order in enumerate(orders):
        at = f"{where}[{index}]"
        actions = menu(scenario, order.actor)
        if actions is None:
            problems.append(
                f"{at}: unknown actor {order.actor!r}; expected one of {', '.join(keys)}"
            )
        elif order.action not in actions:
            hint = (
                f" (a channel move is ordered as {CHANNEL_DECISION})"
                if order.actor == "irgc" and order.action in CHANNEL_ORDERS
                else ""
            )
            problems.append(
                f"{at}: {order.actor} has no action {order.action!r}; its menu is "
                f"{', '.join(actions)}{hint}"
            )
        if not 1 <= order.round <= last_round:
            problems.append(
                f"{at}: round {order.round} is outside the game's rounds 1..{last_round}"
                if last_round
                else f"{at}: round {order.round}, but the game was saved before round 1"
            )
        if (order.round, order.actor) in seen:
            problems.append(f"{at}: a second order for {order.actor} in round {order.round}")
        seen.add((order.round, order.actor))
    return problems


def seed_problem(seed: Any) -> str | None:
    if isinstance(seed, bool) or not isinstance(seed, int):
        return f"the seed must be a whole number, got {json_type(seed)}"
    if not 0 <= seed <= SEED_MASK:
        return f"the seed {seed} is outside 0..{SEED_MASK}"
    return None


# --- replay and branch -----------------------------------------------------------------------------


def orders_by_round(orders: Iterable[Order]) -> dict[int, list[Order]]:
    grouped: dict[int, list[Order]] = {}
    for order in orders:
        grouped.setdefault(order.round, []).append(order)
    return grouped


def replay(record: GameRecord, upto_round: int) -> GulfModel:
    """The game's model after `upto_round` rounds, every order applied in its round."""
    return advance(build_model(scenario_of(record), record.seed), record, upto_round)


def advance(model: GulfModel, record: GameRecord, upto_round: int) -> GulfModel:
    """Step `model` (a replay of `record` at an earlier round) on to `upto_round`."""
    check_round(upto_round, "upto_round")
    if upto_round < model.round:
        raise ValueError(f"the model is at round {model.round}, past round {upto_round}")
    by_round = orders_by_round(record.orders)
    while model.round < upto_round:
        orders = by_round.get(model.round + 1)
        if orders:
            model.begin_round()
            for order in orders:
                try:
                    model.command(order.actor, order.action)
                except ValueError as error:
                    raise ReplayError(
                        f"round {order.round}: the order {order.actor} -> {order.action} "
                        f"was refused: {error}"
                    ) from None
        # A round nobody commands is begun by step() itself: the same stream, less work.
        model.step()
    return model


def check_round(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ROUNDS:
        raise ValueError(f"{name} must be a whole number from 0 to {MAX_ROUNDS:,}, got {value!r}")


def branch(record: GameRecord, at_round: int) -> GameRecord:
    """The game as it stood after round `at_round`: the orders of later rounds dropped."""
    check_round(at_round, "at_round")
    return replace(record, orders=tuple(o for o in record.orders if o.round <= at_round))


def with_order(record: GameRecord, order: Order) -> GameRecord:
    """The record with `order` added; it replaces an earlier order for the same actor and
    round (the last order given stands, as in the engine)."""
    problems = order_problems(scenario_of(record), [order], MAX_ROUNDS, "order")
    if problems:
        raise ValueError("; ".join(problems))
    kept = tuple(o for o in record.orders if (o.round, o.actor) != (order.round, order.actor))
    return replace(record, orders=(*kept, order))


def orders_of(model: GulfModel) -> tuple[Order, ...]:
    """The human orders the model applied, in round order (an inject overrides an order, so
    only applied orders are what replays the model)."""
    return tuple(
        Order(round_, actor, action)
        for round_, orders in sorted(model.human_orders.items())
        for actor, action in orders.items()
    )


# --- save files ------------------------------------------------------------------------------------


def game_document(record: GameRecord, saved_round: int) -> dict:
    """The save file's content as JSON data, checksum included. Refuses (ValueError) a record
    that would not load again, so every file this writes is one `load_game` accepts."""
    check_round(saved_round, "saved_round")
    scenario = scenario_of(record)
    problems = order_problems(scenario, record.orders, saved_round)
    if record.side not in sides(scenario):
        problems.append(f"side: unknown side {record.side!r}")
    if problems:
        raise ValueError(
            "this game cannot be saved at round "
            f"{saved_round} (branch it there first if orders come later): " + "; ".join(problems)
        )
    document = {
        "format": FORMAT,
        "version": VERSION,
        "saved_round": saved_round,
        "seed": record.seed,
        "side": record.side,
        "scenario": {
            "path": record.scenario_path,
            "fingerprint": record.fingerprint,
            "data": record.scenario_data,
        },
        "orders": [{"round": o.round, "actor": o.actor, "action": o.action} for o in record.orders],
    }
    document["checksum"] = fingerprint(document)
    return document


def game_text(record: GameRecord, saved_round: int) -> str:
    """The save file as text (what a browser download holds)."""
    return json.dumps(game_document(record, saved_round), indent=1, ensure_ascii=False) + "\n"


def save_game(record: GameRecord, saved_round: int, path: str | Path) -> Path:
    """Write the save file atomically: a temporary file in the same folder, flushed to disk,
    then renamed over `path`, so a crash leaves the old file or the new one, never half."""
    path = Path(path)
    data = game_text(record, saved_round).encode()
    folder = path.parent
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise GameFileError(path, [f"cannot write here: {error.strerror or error}"]) from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise GameFileError(path, [f"cannot write: {error.strerror or error}"]) from None
    sync_folder(folder)
    return path


def sync_folder(folder: Path) -> None:
    """Flush the rename itself to disk (where the system allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_game(path: str | Path) -> tuple[GameRecord, int]:
    """(the game, the round it was saved at) from a save file, or a GameFileError."""
    source = str(path)
    return parse_game(read_save_bytes(source), source)


def read_save_bytes(source: str) -> bytes:
    """A regular file's bytes, at most MAX_SAVE_BYTES, read without ever blocking (a FIFO or a
    device is refused before it is opened, and again on the open descriptor)."""
    problem = path_text_problem(source)
    if problem:
        raise GameFileError(source, [f"the path {problem}"])
    try:
        save_file_kind(source, os.stat(source))
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except FileNotFoundError:
        raise GameFileError(source, ["file not found"]) from None
    except OSError as error:
        raise GameFileError(source, [f"cannot read: {error.strerror or error}"]) from None
    try:
        save_file_kind(source, os.fstat(fd))
        data = os.read(fd, MAX_SAVE_BYTES + 1)
        while len(data) <= MAX_SAVE_BYTES and (
            chunk := os.read(fd, MAX_SAVE_BYTES + 1 - len(data))
        ):
            data += chunk
    except OSError as error:
        raise GameFileError(source, [f"cannot read: {error.strerror or error}"]) from None
    finally:
        os.close(fd)
    return data


def save_file_kind(source: str, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        what = FILE_TYPES.get(stat.S_IFMT(info.st_mode), "is not a regular file")
        raise GameFileError(source, [f"{what}, expected a saved game (.json)"])
    if info.st_size > MAX_SAVE_BYTES:
        raise GameFileError(source, [too_large(info.st_size)])


def too_large(size: int | None) -> str:
    shown = f"{size / 2**20:,.1f} MiB" if size is not None else "more than that"
    return (
        f"the file is {shown}; a saved game is read only up to {MAX_SAVE_BYTES // 2**20} MiB "
        "(a save is a few hundred KB: is this the right file?)"
    )


def parse_game(text: str | bytes, source_name: str = "(uploaded file)") -> tuple[GameRecord, int]:
    """(the game, its saved round) from a save file's text or bytes (a browser upload)."""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass")
    if len(text) > MAX_SAVE_BYTES:
        raise GameFileError(source_name, [too_large(len(text))])
    try:
        # utf-8-sig: a file opened and saved again in an editor that adds a byte-order mark
        # (Windows Notepad) is the same save; the drop zone (bytes) and the file input (text
        # the browser decoded) then read it alike.
        decoded = text.decode("utf-8-sig").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise GameFileError(
            source_name,
            [f"not a saved game: byte {error.start} is not UTF-8 text (a save is JSON text)"],
        ) from None
    document = parse_json(decoded, source_name)
    return read_document(document, source_name)


class _DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _ends_early(text: str, error: json.JSONDecodeError) -> bool:
    """Whether the JSON text looks cut short rather than wrongly written.

    The decoder's error position alone misleads: a cut inside a string is reported at the
    string's opening quote, and a cut after "1." at the dot. A save is one object, so text that
    opens with "{" and does not end with its closing "}" was cut, wherever the error lands.
    """
    body = text.strip()
    if error.pos >= len(text.rstrip()):
        return True
    closers = {"{": "}", "[": "]"}
    return body[:1] in closers and not body.endswith(closers[body[0]])


def parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except _DuplicateKeyError as error:
        problem = f"the key {str(error)!r} appears twice in one object (edited by hand?)"
    except json.JSONDecodeError as error:
        if not text.strip():
            problem = "the file is empty"
        elif _ends_early(text, error):
            problem = (
                f"it ends early (line {error.lineno}, column {error.colno}): the file is "
                "truncated, perhaps by an interrupted copy or download"
            )
        else:
            problem = f"line {error.lineno}, column {error.colno}: {error.msg}"
        problem = f"not a saved game: not valid JSON ({problem})"
    except ValueError as error:
        problem = f"not a saved game: not valid JSON ({error})"
    except RecursionError:
        problem = "not a saved game: not valid JSON (nested too deeply)"
    raise GameFileError(source, [problem])


def json_type(value: Any) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list"}
    if value is None:
        return "null"
    return "an object" if isinstance(value, dict) else names.get(type(value), type(value).__name__)


def read_document(document: Any, source: str) -> tuple[GameRecord, int]:
    """Check a parsed save file, step by step, and build its game."""

    def fail(*problems: str) -> GameFileError:
        return GameFileError(source, list(problems))

    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        hint = f' (its "format" is {found!r})' if isinstance(found, str) else ""
        raise fail(
            f'not a saved game of this program: a save file is a JSON object with "format": '
            f'"{FORMAT}"{hint}'
        )
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        written = f"version {version!r}" if version is not None else "no version"
        raise fail(
            f"this save file has {written} of the save format; this program reads version "
            f"{VERSION} only"
        )
    problems = field_problems(document, DOCUMENT_KEYS + ("checksum",), "")
    if problems:
        raise fail(*problems)
    content = {key: value for key, value in document.items() if key != "checksum"}
    if document["checksum"] != fingerprint(content):
        raise fail(
            "the checksum does not match the content: the file was edited or damaged after "
            "it was saved, so it is not loaded"
        )
    saved_round = document["saved_round"]
    try:
        check_round(saved_round, "saved_round")
    except ValueError as error:
        raise fail(str(error)) from None
    problem = seed_problem(document["seed"])
    if problem:
        raise fail(f"seed: {problem}")
    scenario_part = document["scenario"]
    if not isinstance(scenario_part, dict):
        raise fail(f"scenario: expected an object, got {json_type(scenario_part)}")
    problems = field_problems(scenario_part, SCENARIO_KEYS, "scenario.")
    if problems:
        raise fail(*problems)
    path, data = scenario_part["path"], scenario_part["data"]
    if path is not None and not isinstance(path, str):
        raise fail(f"scenario.path: expected text or null, got {json_type(path)}")
    if scenario_part["fingerprint"] != fingerprint(data):
        raise fail("scenario.fingerprint: does not match the scenario's data")
    scenario, problems = checked_scenario(data)
    if scenario is None:
        shown = problems[:SHOWN_PROBLEMS]
        more = len(problems) - len(shown)
        raise fail(
            "the scenario saved in this file is not valid in this version of the program: "
            + "; ".join(shown)
            + (f"; and {more} more" if more > 0 else "")
        )
    orders, problems = parse_orders(document["orders"])
    if problems:
        raise fail(*problems)
    problems = order_problems(scenario, orders, saved_round)
    if problems:
        raise fail(*problems[:SHOWN_PROBLEMS])
    side = document["side"]
    if not isinstance(side, str) or side not in sides(scenario):
        raise fail(
            f"side: {side!r} is not a side of this game; expected one of "
            f"{', '.join(sides(scenario))}"
        )
    record = GameRecord(data, path, document["seed"], orders, side)
    _remember(record.fingerprint, scenario)
    return record, saved_round


def field_problems(part: dict, expected: tuple[str, ...], prefix: str) -> list[str]:
    missing = [key for key in expected if key not in part]
    extra = [key for key in part if key not in expected]
    problems = [f"{prefix}{key}: required field is missing" for key in missing]
    problems += [f"{prefix}{key}: unknown field (a save file has no such field)" for key in extra]
    return problems


def parse_orders(raw: Any) -> tuple[tuple[Order, ...], list[str]]:
    if not isinstance(raw, list):
        return (), [f"orders: expected a list, got {json_type(raw)}"]
    orders, problems = [], []
    for index, item in enumerate(raw):
        at = f"orders[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{at}: expected an object, got {json_type(item)}")
            continue
        found = field_problems(item, ORDER_KEYS, f"{at}.")
        if not found:
            if isinstance(item["round"], bool) or not isinstance(item["round"], int):
                found.append(f"{at}.round: expected a whole number, got {json_type(item['round'])}")
            found += [
                f"{at}.{key}: expected text, got {json_type(item[key])}"
                for key in ("actor", "action")
                if not isinstance(item[key], str)
            ]
        if found:
            problems.extend(found)
        else:
            orders.append(Order(item["round"], item["actor"], item["action"]))
        if len(problems) >= SHOWN_PROBLEMS:
            break
    return tuple(orders), problems


def scenario_note(record: GameRecord) -> str | None:
    """A note when the scenario file the game came from has changed since it was saved (the
    game still uses the scenario saved with it), or None. Never quotes the file's content."""
    path = record.scenario_path
    if not path or Path(path).suffix not in SCENARIO_SUFFIXES:
        return None
    shown = printable(path, PATH_LIMIT)
    try:
        if not Path(path).is_file():
            return None
        current = load_scenario(path).model_dump(mode="json")
    except (ScenarioError, OSError, ValueError):
        return (
            f"the scenario file {shown} can no longer be read as a scenario; this game uses "
            "the copy of the scenario saved with it"
        )
    if fingerprint(current) != record.fingerprint:
        return (
            f"the scenario file {shown} has changed since this game was saved; this game "
            "uses the scenario as it was when saved"
        )
    return None
