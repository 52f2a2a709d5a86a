"""Classroom rooms in SQLite (issue 10): the one module that stores them, so a server database
could replace it behind the same methods.

What it owns: a room (its scenario, seed and roles), one random join code per role and one for
the instructor, and every completed round (the orders played, each team's stated rationale,
the injects the instructor fired, who submitted and who the AI stood in for), each round
written in one transaction. A room is replayed from these, as any game is from its scenario,
seed and orders (experiments/game.py), so a server restart loses no completed round and a team
rejoins with the code it was given.

Codes come from `secrets` (128 random bits, URL-safe), never from the room's id; a code names
one role of one room. The standard library's sqlite3 only: no external service.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INSTRUCTOR = "instructor"
CODE_BYTES = 16  # 128 random bits: 22 URL-safe characters, not guessable
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rooms (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scenario_path TEXT,
    scenario_data TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    seed INTEGER NOT NULL,
    roles TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS codes (
    code TEXT PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES rooms(id),
    role TEXT NOT NULL,
    UNIQUE (room_id, role)
);
CREATE TABLE IF NOT EXISTS rounds (
    room_id TEXT NOT NULL REFERENCES rooms(id),
    number INTEGER NOT NULL,
    orders TEXT NOT NULL,
    rationales TEXT NOT NULL,
    injects TEXT NOT NULL,
    submitted TEXT NOT NULL,
    ai_played TEXT NOT NULL,
    resolved REAL NOT NULL,
    PRIMARY KEY (room_id, number)
);
"""


class RoomStoreError(Exception):
    """The store cannot do what was asked: the message says what and why."""


@dataclass(frozen=True)
class Seat:
    """Who a code lets in: one role of one room."""

    room_id: str
    role: str


@dataclass(frozen=True)
class RoundRecord:
    """A completed round as the room played it."""

    number: int
    orders: dict[str, str]  # decision key (actor, or "irgc_channel") -> action played by a team
    rationales: dict[str, str]  # role -> the team's stated rationale, as typed
    injects: list[dict[str, Any]]  # the instructor's ad hoc injects fired this round
    submitted: list[str]  # roles that submitted before the round resolved
    ai_played: list[str]  # roles the AI stood in for (empty seats, or forced by the instructor)
    resolved: float = 0.0  # when it resolved (seconds since the epoch)


@dataclass(frozen=True)
class RoomRecord:
    """A room: what it plays and every completed round, in order."""

    id: str
    name: str
    scenario_path: str | None
    scenario_data: dict[str, Any]
    fingerprint: str
    seed: int
    roles: tuple[str, ...]
    created: float
    rounds: tuple[RoundRecord, ...] = field(default_factory=tuple)

    @property
    def completed(self) -> int:
        return len(self.rounds)


class RoomStore:
    """Rooms in one SQLite file. Safe to share between the server's threads: one connection,
    one lock, and every write is one transaction."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")  # readers never wait for a writer
            self._db.execute("PRAGMA synchronous = FULL")  # a resolved round survives a crash
            self._db.executescript(SCHEMA)
            self._check_version()
        except (OSError, sqlite3.DatabaseError) as error:
            raise RoomStoreError(
                f"{self.path}: cannot open the classroom database ({error}); give a writable "
                "file, or move a damaged one aside"
            ) from None
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        if row is None:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('version', ?)", (str(SCHEMA_VERSION),)
            )
        elif row[0] != str(SCHEMA_VERSION):
            raise sqlite3.DatabaseError(
                f"it was written by another version of the classroom (schema {row[0]}, "
                f"this one reads {SCHEMA_VERSION})"
            )

    # --- rooms -----------------------------------------------------------------------------

    def create_room(
        self,
        name: str,
        scenario_path: str | None,
        scenario_data: Mapping[str, Any],
        fingerprint: str,
        seed: int,
        roles: Iterable[str],
    ) -> tuple[str, dict[str, str]]:
        """A new room and its codes: returns its id and a code per role, the instructor's
        included. Roles must be distinct and may not be the instructor's."""
        roles = tuple(roles)
        if not roles:
            raise RoomStoreError("a room needs at least one team role")
        if len(set(roles)) != len(roles) or INSTRUCTOR in roles:
            raise RoomStoreError(f"roles must be distinct team roles, got {', '.join(roles)}")
        room_id = secrets.token_hex(6)
        codes = {role: secrets.token_urlsafe(CODE_BYTES) for role in (*roles, INSTRUCTOR)}
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT INTO rooms (id, name, scenario_path, scenario_data, fingerprint, seed, "
                "roles, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    room_id,
                    name,
                    scenario_path,
                    json.dumps(scenario_data, sort_keys=True),
                    fingerprint,
                    seed,
                    json.dumps(list(roles)),
                    time.time(),
                ),
            )
            self._db.executemany(
                "INSERT INTO codes (code, room_id, role) VALUES (?, ?, ?)",
                [(code, room_id, role) for role, code in codes.items()],
            )
        return room_id, codes

    def seat(self, code: str) -> Seat | None:
        """The room and role a code lets in; None for a code no room gave out."""
        if not isinstance(code, str) or not code:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT room_id, role FROM codes WHERE code = ?", (code,)
            ).fetchone()
        return Seat(*row) if row else None

    def codes(self, room_id: str) -> dict[str, str]:
        """Every code of a room by role (for the instructor's console)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT role, code FROM codes WHERE room_id = ?", (room_id,)
            ).fetchall()
        return dict(rows)

    def room(self, room_id: str) -> RoomRecord:
        with self._lock:
            row = self._db.execute(
                "SELECT id, name, scenario_path, scenario_data, fingerprint, seed, roles, created "
                "FROM rooms WHERE id = ?",
                (room_id,),
            ).fetchone()
            if row is None:
                raise RoomStoreError(f"no room {room_id!r} in {self.path}")
            rounds = self._db.execute(
                "SELECT number, orders, rationales, injects, submitted, ai_played, resolved "
                "FROM rounds WHERE room_id = ? ORDER BY number",
                (room_id,),
            ).fetchall()
        return RoomRecord(
            id=row[0],
            name=row[1],
            scenario_path=row[2],
            scenario_data=json.loads(row[3]),
            fingerprint=row[4],
            seed=row[5],
            roles=tuple(json.loads(row[6])),
            created=row[7],
            rounds=tuple(
                RoundRecord(
                    number=r[0],
                    orders=json.loads(r[1]),
                    rationales=json.loads(r[2]),
                    injects=json.loads(r[3]),
                    submitted=json.loads(r[4]),
                    ai_played=json.loads(r[5]),
                    resolved=r[6],
                )
                for r in rounds
            ),
        )

    def room_ids(self) -> list[str]:
        """Every room, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT id FROM rooms ORDER BY created, id").fetchall()
        return [r[0] for r in rows]

    # --- rounds ----------------------------------------------------------------------------

    def record_round(self, room_id: str, record: RoundRecord) -> None:
        """Write a completed round in one transaction. Only the next round is accepted (a
        second resolve of the same round, or a gap, is refused), so two writers can never
        both record it; a failure writes nothing."""
        payload = (
            json.dumps(record.orders, sort_keys=True),
            json.dumps(record.rationales, sort_keys=True),
            json.dumps(record.injects, sort_keys=True),
            json.dumps(sorted(record.submitted)),
            json.dumps(sorted(record.ai_played)),
        )  # serialised before the transaction: data that can't be stored never half-writes
        with self._lock, self._transaction():
            exists = self._db.execute("SELECT 1 FROM rooms WHERE id = ?", (room_id,)).fetchone()
            if exists is None:
                raise RoomStoreError(f"no room {room_id!r} in {self.path}")
            (done,) = self._db.execute(
                "SELECT COUNT(*) FROM rounds WHERE room_id = ?", (room_id,)
            ).fetchone()
            if record.number != done + 1:
                raise RoomStoreError(
                    f"room {room_id}: round {record.number} cannot be recorded after round "
                    f"{done}; the next is {done + 1}"
                )
            self._db.execute(
                "INSERT INTO rounds (room_id, number, orders, rationales, injects, submitted, "
                "ai_played, resolved) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (room_id, record.number, *payload, record.resolved or time.time()),
            )

    def _transaction(self):
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error: all of a write or none of it."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, error, trace):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        return False
