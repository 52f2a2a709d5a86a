"""The classroom's shared state: one `Classroom` (its SQLite store and the rooms in play) for
every browser session of this server. It is the one object the UI shares between sessions on
purpose: a room is played from several browsers at once. Made on first use, from the file
`run.py play --data` names (CLASSROOM_DB_ENV).

It also keeps each room's after-action review once made (`review_page`): making one plays 100
AI games of the room's scenario (seconds of CPU), and every page of the room shows the same."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from pathlib import Path

from wargame.experiments.aar import review, review_html
from wargame.experiments.room import Classroom
from wargame.experiments.room_store import RoomStore
from wargame.ui import map_data

# Set by `run.py play` (wargame.cli.play.CLASSROOM_DB_ENV, which the UI may not import;
# tests/test_play_cli.py checks the two names agree).
CLASSROOM_DB_ENV = "GULF_WARGAME_CLASSROOM_DB"
DEFAULT_DB = Path("data") / "classroom.sqlite3"

_lock = threading.Lock()
_shared: list[Classroom] = []


def classroom() -> Classroom:
    with _lock:
        if not _shared:
            store = RoomStore(os.environ.get(CLASSROOM_DB_ENV) or DEFAULT_DB)
            # Each room keeps the map of the state its last round left (LiveRoom.picture).
            _shared.append(Classroom(store, picture=map_data.snapshot))
        return _shared[0]


_review_lock = threading.Lock()
_reviews: dict[str, tuple[int, str]] = {}  # room id -> (rounds reviewed, the page): the latest


def review_page(room_id: str, rounds_played: int) -> str:
    """The after-action review of a room's first `rounds_played` rounds as one self-contained
    HTML page (experiments/aar.py), made once and shared by every page that asks."""
    with _review_lock:  # one maker at a time: thirty pages asking at once make it once
        made = _reviews.get(room_id)
        if made is None or made[0] != rounds_played:
            record = classroom().store.room(room_id)
            if len(record.rounds) < rounds_played:
                raise ValueError(f"room {room_id} has played {len(record.rounds)} rounds")
            record = dataclasses.replace(record, rounds=record.rounds[:rounds_played])
            made = _reviews[room_id] = (rounds_played, review_html(review(record)))
        return made[1]


_map_lock = threading.Lock()
_maps: dict[tuple[str, tuple[str, ...]], tuple[int, str]] = {}  # (room, sides) -> the latest


def map_text(room_id: str, played: int, picture: dict, sides: tuple[str, ...]) -> str:
    """A room's map after `played` rounds as `sides` see it (map_data.for_side), as the JSON
    text the map component draws: made once per team and round and shared by every page of
    the team. A string, not the dict: Solara walks and compares a dict argument's ~2,000
    values on every render of every page."""
    key = (room_id, tuple(sides))
    with _map_lock:
        made = _maps.get(key)
        if made is None or made[0] != played:
            text = json.dumps(map_data.for_side(picture, sides), separators=(",", ":"))
            made = _maps[key] = (played, text)
        return made[1]
