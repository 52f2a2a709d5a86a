"""Dotted parameter paths into scenario data: read one value, or write one into a copy.

`levers.mou_linkage`, `actors.irgc.weights.regime_risk`, `actors.hosts[0].rationality` — the
addresses an experiment file varies. Writing copies only the containers along the path, so a
base scenario shared by thousands of runs is never changed. `field_kind` reads, from a model's
annotations, what kind of value a path holds, so a sweep can check each value's type.
"""

from __future__ import annotations

import datetime as dt
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

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


def parent_path(path: str) -> tuple[str | int, ...]:
    """The steps to the section holding the field at `path`."""
    return tuple(steps(path)[:-1])


# --- what kind of value a field holds -------------------------------------------------------------


def field_kind(model: type[BaseModel], path: str) -> str | None:
    """The kind of value the field at `path` of `model` holds, read from its type annotation:
    'bool', 'int', 'float', 'text' (str, enums, literals), 'date', 'section' (a model, list or
    mapping), or None when the annotation does not say (a union of different kinds)."""
    node: Any = model
    for step in steps(path):
        node = _unwrap(node)
        origin = get_origin(node)
        if isinstance(node, type) and issubclass(node, BaseModel) and isinstance(step, str):
            field = node.model_fields.get(step)
            if field is None:
                return None
            node = field.annotation
        elif origin in (tuple, list) and isinstance(step, int):
            node = get_args(node)[0]
        elif origin is dict and isinstance(step, str):
            node = get_args(node)[1]
        else:
            return None
    return _kind(_unwrap(node))


def _unwrap(annotation: Any) -> Any:
    """The type inside Annotated[...] and Optional[...]."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            arms = [arm for arm in get_args(annotation) if arm is not type(None)]
            if len(arms) != 1:
                return annotation
            annotation = arms[0]
        else:
            return annotation


def _kind(annotation: Any) -> str | None:
    origin = get_origin(annotation)
    if origin is Literal:
        kinds = {_kind(type(value)) for value in get_args(annotation)}
        return kinds.pop() if len(kinds) == 1 else None
    if origin in (Union, types.UnionType):
        kinds = {_kind(_unwrap(arm)) for arm in get_args(annotation) if arm is not type(None)}
        # int | float holds any number: it is a float field for a sweep
        return kinds.pop() if len(kinds) == 1 else ("float" if kinds == {"int", "float"} else None)
    if origin in (tuple, list, dict):
        return "section"
    if not isinstance(annotation, type):
        return None
    # bool before int (a bool is an int), datetime is a date, enums of str are text
    for kind, base in (("bool", bool), ("int", int), ("float", float), ("text", str)):
        if issubclass(annotation, base):
            return kind
    if issubclass(annotation, dt.date):
        return "date"
    if issubclass(annotation, BaseModel):
        return "section"
    return None
