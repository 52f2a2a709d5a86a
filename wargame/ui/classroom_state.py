"""The classroom's shared state: one `Classroom` (its SQLite store and the rooms in play) for
every browser session of this server. It is the one object the UI shares between sessions on
purpose: a room is played from several browsers at once. Made on first use, from the file
`run.py play --data` names (CLASSROOM_DB_ENV)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from wargame.experiments.room import Classroom
from wargame.experiments.room_store import RoomStore

# Set by `run.py play` (wargame.cli.play.CLASSROOM_DB_ENV, which the UI may not import;
# tests/test_play_cli.py checks the two names agree).
CLASSROOM_DB_ENV = "GULF_WARGAME_CLASSROOM_DB"
DEFAULT_DB = Path("data") / "classroom.sqlite3"

_lock = threading.Lock()
_shared: list[Classroom] = []


def classroom() -> Classroom:
    with _lock:
        if not _shared:
            _shared.append(Classroom(RoomStore(os.environ.get(CLASSROOM_DB_ENV) or DEFAULT_DB)))
        return _shared[0]
