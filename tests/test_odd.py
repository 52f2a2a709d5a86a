"""docs/ODD.md's parameter table names every scenario parameter, and nothing else.

The list of parameters is derived from the scenario schema (wargame/config/schema.py) by walking
its pydantic models, never copied: a field added to, renamed in or removed from the schema
changes the list, and the table must follow. Each parameter is a leaf field path, written the
way the ODD explains: `[*]` for any element of a list (`nodes[*].value`), `{id}` for any key of
a mapping (`weapons.{id}.pk.{id}`), `{action}` for the actions of a per-action table
(`behaviour.ledgers.us_per_irgc_action.{action}`; its keys are the menus of config/ladder.py).

Each row's Range cell must be the schema's bounds as `range_text` writes them (the failure
names the text expected). The ODD's citations are held too: every engine function or class it names (module.function,
module.Class.method) exists, every source file it names exists, and every docs/sources.md
anchor it cites is defined there.
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import pkgutil
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from wargame.config.ladder import ActionSpec
from wargame.config.schema import (
    EARLIEST_START_DATE,
    LATEST_START_DATE,
    ActionTable,
    Doctrine,
    Identifier,
    Probability,
    Real,
    Scenario,
    Strict,
    action_table,
    count,
)

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "docs" / "ODD.md"
SOURCES = ROOT / "docs" / "sources.md"
TABLE_HEADING = "## 8 Parameter table"
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|")
COLUMNS = ("Parameter", "Meaning", "Unit", "Range", "Used in")


@dataclass(frozen=True)
class Leaf:
    """One scenario parameter: its path, its type and the constraints on it (pydantic's
    metadata: bounds, pattern), and whether it may be left out."""

    path: str
    kind: object
    constraints: tuple
    optional: bool = False


def _unwrapped(annotation, constraints=(), optional=False):
    """(type, constraints, optional) inside Annotated[...] and Optional[...] (X | None)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        kind, *extra = typing.get_args(annotation)
        for item in extra:  # a Field(...) inside Annotated carries its bounds in its metadata
            constraints += tuple(getattr(item, "metadata", ())) + (item,)
        return _unwrapped(kind, constraints, optional)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(inner) != 1:
            # Neither the schema nor the ODD's notation has a field of several types: say so
            # rather than guess which path it would have.
            raise TypeError(f"cannot name the parameters of a field of type {annotation!r}")
        return _unwrapped(inner[0], constraints, True)
    return annotation, constraints, optional


def _leaves(annotation, path: str, constraints: tuple = ()):
    kind, constraints, optional = _unwrapped(annotation, constraints)
    origin = typing.get_origin(kind)
    if isinstance(kind, type) and issubclass(kind, ActionTable):
        # Every action's value has one type: the table is one parameter per action.
        first = next(iter(kind.model_fields.values()))
        value, value_constraints, _ = _unwrapped(first.annotation, tuple(first.metadata))
        yield Leaf(f"{path}.{{action}}", value, value_constraints)
    elif isinstance(kind, type) and issubclass(kind, BaseModel):
        yield from parameters(kind, prefix=f"{path}.")
    elif origin in (tuple, list):
        yield from _leaves(typing.get_args(kind)[0], f"{path}[*]")
    elif origin is dict:
        yield from _leaves(typing.get_args(kind)[1], f"{path}.{{id}}")
    else:
        yield Leaf(path, kind, constraints, optional)


def parameters(model: type[BaseModel] = Scenario, prefix: str = "") -> list[Leaf]:
    """Every leaf field of `model`, in schema order."""
    return [
        leaf
        for name, field in model.model_fields.items()
        for leaf in _leaves(field.annotation, f"{prefix}{name}", tuple(field.metadata))
    ]


def parameter_paths(model: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Every leaf field path of `model`, in schema order."""
    return [leaf.path for leaf in parameters(model, prefix)]


def range_text(leaf: Leaf) -> str:
    """The Range cell the table gives a parameter, from the schema: `[low, high]` with `(` or
    `)` for an open end, the values of an enumeration or literal, or what text it takes."""
    kind = leaf.kind
    bounds = {}
    for constraint in leaf.constraints:
        for name, bracket in (("ge", "["), ("gt", "("), ("le", "]"), ("lt", ")")):
            if getattr(constraint, name, None) is not None:
                bounds["low" if name[0] == "g" else "high"] = (bracket, getattr(constraint, name))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        text = " / ".join(member.value for member in kind)
    elif typing.get_origin(kind) is typing.Literal:
        text = " / ".join(str(value) for value in typing.get_args(kind))
    elif kind is bool:
        text = "true / false"
    elif kind is dt.date:
        text = f"{EARLIEST_START_DATE} to {LATEST_START_DATE}"
    elif kind is str:
        patterned = any(getattr(c, "pattern", None) for c in leaf.constraints)
        text = "identifier (a-z, 0-9, _)" if patterned else "text"
    elif "low" in bounds and "high" in bounds:
        (opening, low), (closing, high) = bounds["low"], bounds["high"]
        text = f"{opening}{low:g}, {high:g}{closing}"
    else:
        raise AssertionError(f"{leaf.path}: a number without both bounds ({kind!r})")
    return f"{text} or none" if leaf.optional else text


def table_rows(text: str) -> list[list[str]]:
    """The cells of each row of the ODD's parameter table (the section under TABLE_HEADING, up
    to the next section of the same level), rows that name a parameter only."""
    if TABLE_HEADING not in text:
        raise AssertionError(f"docs/ODD.md has no section {TABLE_HEADING!r}")
    section = text.split(TABLE_HEADING, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if ROW.match(line):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def table_paths(text: str) -> list[str]:
    return [row[0].strip("`") for row in table_rows(text)]


@pytest.fixture(scope="module")
def odd_text() -> str:
    return ODD.read_text(encoding="utf-8")


def test_every_schema_parameter_is_in_the_table(odd_text):
    documented = set(table_paths(odd_text))
    missing = [path for path in parameter_paths() if path not in documented]
    assert not missing, (
        f"{len(missing)} scenario parameter(s) missing from the parameter table of docs/ODD.md "
        f"(add a row for each, with meaning, unit, range and where it is used): "
        + ", ".join(missing)
    )


def test_every_table_row_names_a_schema_parameter(odd_text):
    known = set(parameter_paths())
    stale = [path for path in table_paths(odd_text) if path not in known]
    assert not stale, (
        f"{len(stale)} row(s) of the parameter table of docs/ODD.md name no scenario parameter "
        f"(renamed or removed from wargame/config/schema.py?): " + ", ".join(stale)
    )


def test_each_parameter_has_one_complete_row(odd_text):
    rows = table_rows(odd_text)
    paths = [row[0].strip("`") for row in rows]
    duplicates = sorted({path for path in paths if paths.count(path) > 1})
    assert not duplicates, f"parameters with more than one row: {', '.join(duplicates)}"
    incomplete = [
        path
        for path, row in zip(paths, rows, strict=True)
        if len(row) != len(COLUMNS) or not all(row)
    ]
    assert not incomplete, (
        f"rows without all of {', '.join(COLUMNS)} filled in: {', '.join(incomplete)}"
    )


def test_each_range_is_the_schemas(odd_text):
    expected = {leaf.path: range_text(leaf) for leaf in parameters()}
    wrong = [
        f"{path}: the table says {row[3]!r}, the schema {expected[path]!r}"
        for path, row in zip(table_paths(odd_text), table_rows(odd_text), strict=True)
        if path in expected and len(row) == len(COLUMNS) and row[3] != expected[path]
    ]
    assert not wrong, "Range cells that differ from the schema's bounds:\n" + "\n".join(wrong)


# --- the code and the sources the ODD cites exist ---------------------------------------------

ENGINE_PACKAGES = ("wargame.engine", "wargame.engine.adjudication", "wargame.engine.rules")


def _engine_modules() -> dict[str, list[str]]:
    """Module name (last part) -> the engine modules of that name, top level first."""
    found: dict[str, list[str]] = {}
    for package in ENGINE_PACKAGES:
        path = importlib.import_module(package).__path__
        for info in pkgutil.iter_modules(path):
            if not info.ispkg:
                found.setdefault(info.name, []).append(f"{package}.{info.name}")
    return found


# `rules/strikes.package_targets`, `adjudication/hosts.update`, `intel.Intel.targets`: a module of
# the engine (its folder written when it is in adjudication/ or rules/), a name in it, and
# optionally an attribute of that (a method of a class).
CODE_REFERENCE = re.compile(
    r"\b(?:(adjudication|rules)/)?([a-z_]+)\.([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?"
)


def _names_a_parameter(span: str, paths: list[str]) -> bool:
    """Whether `span` is a scenario parameter path or a section of one (`shipping.demand`):
    `shipping.premium.calm_rate` is a parameter, not the module rules/shipping."""
    return any(
        path == span or path.startswith((f"{span}.", f"{span}[", f"{span}{{")) for path in paths
    )


def code_references(text: str) -> list[tuple[str, str]]:
    """(where, reference) of each reference to engine code: every one in the table's "Used in"
    column; in the prose those with their folder written (`adjudication/...`, `rules/...`),
    which cannot be a field or a variable, and every code span that is one whole reference to
    an engine module (`intel.Intel.plan`) and not a scenario parameter path."""
    modules = _engine_modules()
    paths = parameter_paths()
    found = []
    for row in table_rows(text):
        for match in CODE_REFERENCE.finditer(row[-1]):
            if match.group(2) in modules or match.group(1):
                found.append((row[0], match.group(0)))
    for match in CODE_REFERENCE.finditer(text):
        if match.group(1):
            found.append(("text", match.group(0)))
    for span in re.findall(r"`([^`\n]+)`", text):
        match = CODE_REFERENCE.fullmatch(span)
        if match and match.group(2) in modules and not _names_a_parameter(span, paths):
            found.append(("text", span))
    return [(where, ref) for where, ref in found if not ref.endswith(".py")]  # files: below


def resolves(reference: str) -> bool:
    match = CODE_REFERENCE.fullmatch(reference)
    folder, module, name, attribute = match.groups()
    candidates = _engine_modules().get(module, [])
    if folder:
        candidates = [c for c in candidates if c.endswith(f".{folder}.{module}")]
    for candidate in candidates:
        found = getattr(importlib.import_module(candidate), name, None)
        if found is not None and (attribute is None or hasattr(found, attribute)):
            return True
    return False


def test_the_code_the_odd_cites_exists(odd_text):
    references = code_references(odd_text)
    assert len(references) > 100  # the table's "Used in" column is read
    broken = sorted({f"{where}: {ref}" for where, ref in references if not resolves(ref)})
    assert not broken, (
        "docs/ODD.md cites engine code that is not there (renamed or moved? a method is cited "
        "as module.Class.method, an instance attribute as module.Class (attribute)): "
        + "; ".join(broken)
    )


def test_the_files_the_odd_cites_exist(odd_text):
    # Written from the repository (`tests/...`), the package (`engine/state.py`) or the engine
    # (`rules/defence.py`), as the ODD's introduction says.
    files = set(re.findall(r"`([\w/]+\.py)`", odd_text))
    assert files
    bases = (ROOT, ROOT / "wargame", ROOT / "wargame" / "engine")
    missing = sorted(f for f in files if not any((base / f).is_file() for base in bases))
    assert not missing, f"files docs/ODD.md cites that do not exist: {missing}"


def test_the_sources_the_odd_cites_exist(odd_text):
    defined = set(re.findall(r'<a id="([^"]+)"></a>', SOURCES.read_text(encoding="utf-8")))
    cited = set(re.findall(r"sources\.md#([A-Za-z0-9_-]+)", odd_text))
    assert cited, "docs/ODD.md cites no row of docs/sources.md"
    assert not cited - defined, f"anchors missing from docs/sources.md: {sorted(cited - defined)}"


# --- the walk itself: the list the table is checked against must be every leaf -------------


class _Leaf(Strict):
    x: float
    tag: str | None = None


_Table = action_table("_Table", (ActionSpec("go", "toy", 0, 0, "goes"),), float, "A toy table.")


def test_the_walk_finds_every_kind_of_leaf():
    class Toy(Strict):
        plain: typing.Annotated[int, "meta"]
        optional_model: _Leaf | None = None
        items: tuple[_Leaf, ...] = ()
        by_id: dict[str, _Leaf] = {}
        scalars_by_id: dict[str, float] = {}
        table: _Table

    assert parameter_paths(Toy) == [
        "plain",
        "optional_model.x",
        "optional_model.tag",
        "items[*].x",
        "items[*].tag",
        "by_id.{id}.x",
        "by_id.{id}.tag",
        "scalars_by_id.{id}",
        "table.{action}",
    ]


def test_the_walk_reaches_the_nested_sections_of_the_scenario():
    # Some paths of each notation the ODD uses, read from the schema's own classes: every
    # top-level section, a list, a mapping and a per-action table.
    paths = parameter_paths()
    assert {path.split(".")[0].split("[")[0] for path in paths} == set(Scenario.model_fields)
    assert any(path.startswith("nodes[*].defences[*].") for path in paths)
    assert any(path.startswith("weapons.{id}.pk.{id}") for path in paths)
    assert any(path.endswith(".{action}") for path in paths)
    assert len(paths) == len(set(paths))


def test_the_range_is_read_from_the_bounds():
    class Ranged(Strict):
        share: Probability
        whole: count(10, low=1)
        positive: typing.Annotated[Real, Field(gt=0.0, le=5.0)]
        doctrine: Doctrine | None = None
        side: typing.Literal["a", "b"]
        name: Identifier

    assert [range_text(leaf) for leaf in parameters(Ranged)] == [
        "[0, 1]",
        "[1, 10]",
        "(0, 5]",
        "salvo / shoot_look_shoot or none",
        "a / b",
        "identifier (a-z, 0-9, _)",
    ]


def test_a_field_of_two_types_is_refused():
    class Ambiguous(Strict):
        either: _Leaf | int

    with pytest.raises(TypeError, match="cannot name"):
        parameter_paths(Ambiguous)
