"""Text from users made safe to print: control characters escaped, length capped.

A file name, a scenario name or a value quoted in an error message comes from the user. Printed
raw, an escape sequence can rewrite the terminal and a 5 MB name can bury the message, so every
face passes such text through `printable` before showing it.
"""

from __future__ import annotations

import unicodedata

DEFAULT_LIMIT = 200  # characters of user text shown in one message


def printable(text: object, limit: int = DEFAULT_LIMIT) -> str:
    """`text` with control and other non-printing characters escaped (\\x1b, \\n, \\u202e ...)
    and cut to `limit` characters with a note of how much was left out."""
    text = str(text)
    cut = len(text) > limit
    shown = "".join(_escape(ch) for ch in (text[:limit] if cut else text))
    if cut:
        shown += f"... ({len(text) - limit:,} more characters)"
    return shown


def _escape(ch: str) -> str:
    # Categories C* are control, format (bidi overrides), surrogate, private and unassigned.
    if unicodedata.category(ch)[0] != "C":
        return ch
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
