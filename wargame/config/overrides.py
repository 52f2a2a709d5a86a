"""Dotted parameter paths into scenario data: read one value, or write one into a copy.

`levers.mou_linkage`, `actors.irgc.weights.regime_risk`, `actors.hosts[0].rationality` — the
addresses an experiment file varies. Writing copies only the containers along the path, so a
base scenario shared by thousands of runs is never changed.
"""

from __future__ import annotations

import re
from typing import Any

_STEP = re.compile(r"([a-z_][a-z0-9_]*)|\[([0-9]+)\]")


class PathError(KeyError):
    """A parameter path that does not lead to a field of the scenario."""


def steps(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in path.split("."):
        for match in _STEP.finditer(piece):
            name, index = match.groups()
            parts.append(name if name is not None else int(index))
    return parts


def get_path(data: Any, path: str) -> Any:
    node = data
    for step in steps(path):
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            raise PathError(f"{path!r} leads nowhere: no {step!r} there") from None
    return node


def set_path(data: Any, path: str, value: Any) -> Any:
    """A copy of `data` with the value at `path` replaced (the path must already exist)."""
    parts = steps(path)
    get_path(data, path)  # raises PathError when the path does not exist

    def rebuild(node: Any, rest: list[str | int]) -> Any:
        if not rest:
            return value
        head, tail = rest[0], rest[1:]
        copy = list(node) if isinstance(node, list) else dict(node)
        copy[head] = rebuild(node[head], tail)
        return copy

    return rebuild(data, parts)


def apply_overrides(data: dict, overrides: dict[str, Any]) -> dict:
    for path, value in overrides.items():
        data = set_path(data, path, value)
    return data
