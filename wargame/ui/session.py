"""One browser session's game: the scenario, the seed, the side commanded, the human orders, the
live model and what the page needs to show any past round.

A plain Python object with no Solara in it, so it is tested without a browser; `state.py` wraps
it for the page. A game is a scenario, a seed and the list of human orders (a `GameRecord`):
reset, replay, save, load and branch all go through that record, never through pickled models.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wargame.config.loader import ScenarioError, load_scenario, validation_problems
from wargame.config.overrides import PathError, apply_overrides
from wargame.config.schema import Scenario
from wargame.config.text import printable
from wargame.engine import metrics
from wargame.engine.decision import Decision
from wargame.engine.model import GulfModel, build_model
from wargame.engine.observation import sides
from wargame.engine.rules.diplomacy import CHANNEL_DECISION
from wargame.engine.theatre import TheatreError
from wargame.experiments.game import (
    GameFileError,
    GameRecord,
    ReplayError,
    advance,
    branch,
    orders_of,
    parse_game,
    scenario_note,
    scenario_of,
)
from wargame.ui import map_data

SCENARIO_FOLDER = Path(__file__).resolve().parents[2] / "configs" / "scenarios"
DEFAULT_SCENARIO = SCENARIO_FOLDER / "gulf_2026.yaml"
OBSERVER = "observer"
STATUS_COLUMNS = (
    "round",
    "date",
    "rung",
    "rung_name",
    "severity",
    "mou",
    "channel",
    "doctrine_split",
)
# A browser game keeps every round's map, metrics and events for the replay slider (~90 KB a
# round in memory, measured), so it stops at 1,000 rounds (~2.7 years of days, ~90 MB);
# `run.py simulate` plays up to MAX_ROUNDS.
MAX_BROWSER_ROUNDS = 1_000
MAX_SEED = 2**63 - 1  # numpy's SeedSequence takes any size; the save format keeps int64


class GameInputError(ValueError):
    """A value typed in the page that cannot be used; the message says which and why."""


def library_path(path: str | None) -> Path | None:
    """`path` if it names a file of the scenario library (configs/scenarios/), else None."""
    if not path:
        return None
    try:
        resolved = Path(path).resolve()
    except (OSError, ValueError):
        return None
    return resolved if resolved.parent == SCENARIO_FOLDER.resolve() else None


def scenario_choices(folder: Path = SCENARIO_FOLDER) -> list[Path]:
    """Every scenario file of the library, for the picker (sorted, regular files only)."""
    return sorted(p for p in [*folder.glob("*.yaml"), *folder.glob("*.yml")] if p.is_file())


@dataclass(frozen=True)
class ParentTimeline:
    """The game a branch came from: its metric columns, for side-by-side charts."""

    at_round: int
    columns: dict[str, list[Any]]
    host_rows: list[dict[str, Any]]


class GameSession:
    """The game one browser plays. Every change goes through the lock: the Play loop steps
    from a worker thread while the page reads."""

    def __init__(self, scenario_path: Path = DEFAULT_SCENARIO, seed: int = 0):
        self.lock = threading.RLock()
        self.scenario_path: Path | None = scenario_path
        self.scenario: Scenario = load_scenario(scenario_path)
        self.side = OBSERVER
        self.parent: ParentTimeline | None = None
        self.notes: list[str] = []
        self._start(self.scenario, seed)

    # --- the game -------------------------------------------------------------------------

    def _start(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.seed = seed
        self.model: GulfModel = build_model(scenario, seed)
        self._start_status = {
            name: metrics.MODEL_REPORTERS[name](self.model)
            for name in STATUS_COLUMNS
            if name in metrics.MODEL_REPORTERS
        }
        # The model's metric columns, one value per recorded round: kept here, like the maps,
        # so a page reading while the Play thread steps never sees a half-collected row.
        self.metric_columns: dict[str, list[Any]] = {}
        self.snapshots: list[dict[str, Any]] = [map_data.snapshot(self.model)]
        # Each round's per-host numbers (the model's `metrics.host_rows`), one flat list.
        self.host_rows: list[dict[str, Any]] = []
        self.advice: dict[str, Decision] | None = None

    def _recorded(self) -> None:
        """Keep what the page shows of the round just played."""
        for name, values in self.model.datacollector.model_vars.items():
            self.metric_columns.setdefault(name, []).append(values[-1])
        self.snapshots.append(map_data.snapshot(self.model))
        self.host_rows.extend(metrics.host_rows(self.model).values())

    @property
    def round(self) -> int:
        """The last round played and recorded. Counted from the recorded maps, not the model:
        the model's counter moves on as soon as the advisor begins the next round, and a page
        reading while the Play thread steps must never see a round whose map is not kept yet."""
        return len(self.snapshots) - 1

    def sides(self) -> tuple[str, ...]:
        return sides(self.scenario)

    def actor_names(self) -> dict[str, str]:
        """Display names of the hosts (the scenario's), by id."""
        return {host.id: host.name for host in self.scenario.actors.hosts}

    def record(self) -> GameRecord:
        return GameRecord(
            scenario_data=self.scenario.model_dump(mode="json"),
            scenario_path=None if self.scenario_path is None else str(self.scenario_path),
            seed=self.seed,
            orders=orders_of(self.model),  # applied orders only: what replays this game
            side=self.side,
        )

    def reset(self, seed: int | None = None) -> None:
        """Back to round 0 with the same scenario (and the given seed); orders are dropped."""
        with self.lock:
            self.parent = None
            self._start(self.scenario, self.seed if seed is None else seed)

    def pick_scenario(self, path: Path) -> None:
        with self.lock:
            scenario = load_scenario(path)  # ScenarioError carries the file and field
            try:
                model = build_model(scenario, self.seed)
            except TheatreError as error:  # geography only a built theatre can check
                raise ScenarioError(path, [printable(error, 600)]) from None
            del model
            self.scenario_path = path
            self.parent = None
            self._start(scenario, self.seed)

    def set_parameters(self, changes: dict[str, Any]) -> None:
        """Apply lever and parameter values (dotted paths) and restart at round 0 with the same
        seed: a game is one scenario, so a changed scenario is a new game. Raises
        GameInputError naming each field that is refused; the game is then left as it was."""
        data = self.scenario.model_dump(mode="json")
        try:
            changed = apply_overrides(data, changes)
        except PathError as error:
            raise GameInputError(str(error)) from None
        problems = validation_problems(changed, Scenario)
        if problems:
            raise GameInputError("; ".join(printable(p, 300) for p in problems[:5]))
        with self.lock:
            self.parent = None
            # No longer the library file's scenario: a save must not claim that file.
            self.scenario_path = None
            self._start(Scenario.model_validate(changed), self.seed)

    def set_side(self, side: str) -> None:
        if side not in self.sides():
            raise GameInputError(
                f"no side {printable(side)!s}; choose one of {', '.join(self.sides())}"
            )
        with self.lock:
            # The advice stays: a round the advisor began is begun for every side (a new
            # begin_round would be refused), and its decisions are every actor's.
            self.side = side

    # --- rounds ---------------------------------------------------------------------------

    def commanding(self) -> str | None:
        """The actor the human commands, or None when only watching."""
        return None if self.side == OBSERVER else self.side

    def next_decisions(self) -> dict[str, Decision]:
        """The AI's decisions for the coming round (begins it): the advisor's forecast."""
        with self.lock:
            if self.advice is None:
                if self.model.round_begun:  # begun elsewhere: its decisions are in the history
                    self.advice = dict(self.model.decision_history[self.model.round])
                else:
                    self.advice = self.model.begin_round()
            return self.advice

    def step(self, order: str | None = None, channel: str | None = None) -> None:
        """Play one round with the commanded side's orders: `order` its action, `channel` the
        IRGC's channel move (keep, halt or reopen the Swiss channel); None leaves either to the
        AI. Both are checked before either is given, so a refused order plays nothing."""
        with self.lock:
            if self.round >= MAX_BROWSER_ROUNDS:
                raise GameInputError(
                    f"a browser game stops at round {MAX_BROWSER_ROUNDS:,}; "
                    "`run.py simulate --rounds N` plays longer games"
                )
            actor = self.commanding()
            orders = {}
            if order is not None:
                if actor is None:
                    raise GameInputError("choose a side to command before giving an order")
                orders[actor] = order
            if channel is not None:
                if actor != "irgc":
                    raise GameInputError(
                        "channel: only the IRGC decides the Swiss channel; "
                        f"you command {actor or 'no side'}"
                    )
                orders[CHANNEL_DECISION] = channel
            if orders:
                decisions = self.next_decisions()
                for key, action in orders.items():
                    options = decisions[key].options
                    if action not in options:
                        what = "channel move" if key == CHANNEL_DECISION else "action"
                        raise GameInputError(
                            f"{actor} has no {what} '{printable(action)}' in round "
                            f"{self.model.round}; its options are {', '.join(options)}"
                        )
                for key, action in orders.items():
                    self.model.command(key, action)
            self.model.step()
            self.advice = None
            self._recorded()

    def run_to(self, target: int) -> None:
        """Play rounds up to `target`, the AI playing every side (your orders resume after)."""
        if not 0 <= target <= MAX_BROWSER_ROUNDS:
            raise GameInputError(
                f"round must be between 0 and {MAX_BROWSER_ROUNDS:,}, got {target}"
            )
        while self.round < target:
            self.step()

    def start_status(self) -> dict[str, Any]:
        """The status columns before round 1, read by the model's own metric reporters when
        the game was built (once the advisor begins round 1, the model reads as round 1)."""
        return self._start_status

    # --- history, save, load, branch -------------------------------------------------------

    def columns(self) -> dict[str, list[Any]]:
        """The model's own metric columns (the DataCollector's), one value per round played."""
        played = self.round
        return {name: values[:played] for name, values in self.metric_columns.items()}

    def row(self, round_: int) -> dict[str, Any] | None:
        """Round `round_`'s metric row (round 1 is the first), or None before round 1."""
        if not 1 <= round_ <= self.round:
            return None
        return {name: values[round_ - 1] for name, values in self.metric_columns.items()}

    def rows(self) -> list[dict[str, Any]]:
        """The model's own metric rows, one per round played (the DataCollector's records)."""
        return [self.row(r) for r in range(1, self.round + 1)]

    def branch(self, at_round: int) -> None:
        """Go back to round `at_round` keeping the orders given up to it; this game's rounds
        stay on the charts as the parent timeline."""
        if not 0 <= at_round <= self.round:
            raise GameInputError(f"branch round must be between 0 and {self.round}, got {at_round}")
        with self.lock:
            parent = ParentTimeline(at_round, self.columns(), list(self.host_rows))
            self._replay(branch(self.record(), at_round), at_round)
            self.parent = parent

    def _replay(self, record: GameRecord, upto: int) -> None:
        """Make this session the game `record` at round `upto`. The replay runs on a copy, so
        a failure (ReplayError) leaves the session as it was."""
        replayed = copy.copy(self)
        replayed._start(scenario_of(record), record.seed)
        # Round by round (rather than by `replay()`) to keep each round's map.
        for _ in range(upto):
            advance(replayed.model, record, replayed.model.round + 1)
            replayed._recorded()
        self.__dict__.update(replayed.__dict__)
        self.side = record.side

    def load_text(self, text: str | bytes, source: str) -> str | None:
        """Load a save file's content and replay it; returns a note if the scenario file it
        came from has changed since (the saved scenario is used). GameFileError (with its
        message) leaves the game as it was."""
        record, saved_round = parse_game(text, source)
        if saved_round > MAX_BROWSER_ROUNDS:
            raise GameFileError(
                source,
                [
                    f"this game was saved at round {saved_round:,}; a browser game holds at "
                    f"most {MAX_BROWSER_ROUNDS:,} rounds"
                ],
            )
        with self.lock:
            try:
                self._replay(record, saved_round)
            except ReplayError as error:  # an order the engine refused in its round
                raise GameFileError(source, [str(error)]) from None
            self.parent = None
            self.scenario_path = library_path(record.scenario_path)
        # The note reads the named file, so only for files of the scenario library: a save
        # from anyone in the room must not make the server open paths of its choosing.
        return None if self.scenario_path is None else scenario_note(record)
