"""A file chooser for save files: a plain `<input type="file">`, so a game loads by keyboard or
click as well as by dropping it (Solara 1.58 has a drop zone but no file input). The browser
reads the file as text and sends it once; files over `max_bytes` are refused in the browser."""

from __future__ import annotations

from collections.abc import Callable

import solara


@solara.component_vue("file_picker.vue", vuetify=False)
def FilePicker(label: str, max_bytes: int, event_picked: Callable[[dict], None] | None = None):
    """`event_picked({name, size, text, problem})`: `text` is None when `problem` says why."""
