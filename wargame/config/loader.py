"""Reading scenario and experiment files: YAML (safe_load only) to validated models, or a clear error.

Every failure becomes a `ScenarioError` whose lines name the file, the field path and what was
expected, so the CLI can print them and exit 2 instead of showing a traceback. This module owns:

- reading a file safely: regular files only (a FIFO, a device, a socket or a folder is refused
  without blocking), at most `MAX_FILE_BYTES`, YAML aliases expanded at most `MAX_ALIAS_NODES`;
- `extends:` chains, with each problem blamed on the file that supplied the offending value;
- telling a scenario from an experiment file, so the wrong one gets a one-line hint;
- checking an experiment's parameters against its base scenario: each value has the type of the
  field it sets, and every value the runs will use is one the scenario accepts.
"""

from __future__ import annotations

import math
import os
import re
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from wargame.config.experiment import Categorical, Experiment, IntRange, RealRange
from wargame.config.overrides import (
    PathError,
    apply_overrides,
    field_kind,
    get_path,
    parent_path,
)
from wargame.config.schema import Scenario
from wargame.config.text import printable

SCENARIO_SUFFIXES = (".yaml", ".yml")

# The default scenario is ~75 KB and the largest sensible one a few times that; 4 MiB leaves
# room for a 50x larger theatre while a mistaken path (a log, a data dump) is refused at once.
MAX_FILE_BYTES = 4 * 1024 * 1024
# Nodes that YAML aliases may add to a document beyond those written out. The default scenario
# has ~3,100 nodes, so this allows ~30 copies of it; a "billion laughs" bomb needs millions.
MAX_ALIAS_NODES = 100_000
PATH_LIMIT = 200  # characters of a file name shown in a message
PROBLEM_LIMIT = 2_000  # characters of one problem line (field, message and quoted values)
# Problem lines printed for one file: a generated file can have thousands of the same mistake,
# and the first screenful says what to fix (`problems` keeps them all).
SHOWN_PROBLEMS = 50


class ScenarioError(Exception):
    """A scenario or experiment file that cannot be used.

    `problems` are 'field.path: message' lines and `files[i]` is the file problem i is about
    (the file named on the command line, or a base it reaches through `extends:` or
    `base_scenario:`). Everything the user wrote is passed through `printable` here, once, so no
    control character or megabyte-long name reaches the terminal.
    """

    def __init__(self, source: Any, problems: list[str], files: list[Any] | None = None):
        files = [source] * len(problems) if files is None else files
        self.raw_lines = [
            (str(file), str(problem)) for file, problem in zip(files, problems, strict=True)
        ]
        self.source = printable(source, PATH_LIMIT)
        self.files = [printable(file, PATH_LIMIT) for file, _ in self.raw_lines]
        self.problems = [printable(problem, PROBLEM_LIMIT) for _, problem in self.raw_lines]
        lines = [
            f"{file}: {problem}"
            for file, problem in zip(
                self.files[:SHOWN_PROBLEMS], self.problems[:SHOWN_PROBLEMS], strict=True
            )
        ]
        if len(self.problems) > SHOWN_PROBLEMS:
            hidden = len(self.problems) - SHOWN_PROBLEMS
            lines.append(f"{self.source}: ... and {hidden:,} more problems not shown")
        super().__init__("\n".join(lines))


class UnreadableFileError(ScenarioError):
    """The file itself cannot be read as YAML text (missing, not a regular file, too big):
    a file that refers to it blames its own `extends:` or `base_scenario:` field."""


# --- reading one file ----------------------------------------------------------------------------

FILE_TYPES = {
    stat.S_IFDIR: "is a folder",
    stat.S_IFIFO: "is a named pipe (FIFO)",
    stat.S_IFCHR: "is a character device",
    stat.S_IFBLK: "is a block device",
    stat.S_IFSOCK: "is a socket",
}


def read_text(path: Path) -> str:
    """The text of a regular file of at most MAX_FILE_BYTES, read without ever blocking.

    The path is checked with stat before it is opened (opening a device can have effects), then
    opened non-blocking and checked again on the descriptor, in case it changed in between.
    """
    source = str(path)
    try:
        file_kind_problem(source, os.stat(path))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except FileNotFoundError:
        if os.path.islink(path):
            target = printable(os.readlink(path), PATH_LIMIT)
            raise UnreadableFileError(
                source, [f"a broken symbolic link (to {target}, which does not exist)"]
            ) from None
        raise UnreadableFileError(source, ["file not found"]) from None
    except NotADirectoryError:
        raise UnreadableFileError(
            source, ["file not found (a part of the path is not a folder)"]
        ) from None
    except PermissionError:
        raise UnreadableFileError(source, ["cannot read: permission denied"]) from None
    except (OSError, ValueError) as error:  # ValueError: a NUL character in the path
        problem = path_text_problem(source)
        reason = (
            f"the path {problem}" if problem else getattr(error, "strerror", None) or str(error)
        )
        raise UnreadableFileError(source, [f"cannot read: {reason}"]) from None
    try:
        file_kind_problem(source, os.fstat(fd))
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise UnreadableFileError(source, [f"cannot read: {error.strerror or error}"]) from None
    finally:
        os.close(fd)
    if size > MAX_FILE_BYTES:
        raise UnreadableFileError(source, [too_big(None)])
    data = b"".join(chunks)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ScenarioError(
            source,
            [
                f"line {line}: not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8"
            ],
        ) from None


def file_kind_problem(source: str, info: os.stat_result) -> None:
    if stat.S_ISREG(info.st_mode):
        if info.st_size > MAX_FILE_BYTES:
            raise UnreadableFileError(source, [too_big(info.st_size)])
        return
    what = FILE_TYPES.get(stat.S_IFMT(info.st_mode), "is not a regular file")
    raise UnreadableFileError(source, [f"{what}, expected a YAML file"])


def too_big(size: int | None) -> str:
    """The refusal of a file too big; `size` is None when the system did not report it (a file
    under /proc, one still growing) and reading stopped at the cap."""
    cap = f"{MAX_FILE_BYTES / 2**20:.0f} MiB"
    shown = f"is {size / 2**20:,.1f} MiB" if size is not None else f"holds more than {cap}"
    return f"the file {shown}; at most {cap} is read (a scenario is tens of KB: is this the right file?)"


class StrictSafeLoader(
    getattr(yaml, "CSafeLoader", yaml.SafeLoader)
):  # C parser when built: ~5x faster
    """PyYAML's safe loader (no arbitrary objects), stricter in ways that protect users:

    - a key given twice in one mapping is an error, not "the last one wins";
    - dates stay text, so pydantic validates them and an impossible date such as 2026-02-30
      is reported against its field instead of crashing the YAML parser;
    - aliases may not expand the document by more than MAX_ALIAS_NODES nodes, and may not
      refer to themselves: checked on the composed node graph, before anything is built.
    """

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        check_alias_expansion(node)
        check_scalars(node)
        return self.construct_document(node)


def check_alias_expansion(root: yaml.Node) -> None:
    """Refuse a node graph whose expanded tree (aliases copied out) is too big or infinite.

    The expanded size of each node is computed once (memoised by identity), so nine levels of
    nine aliases cost 81 steps here instead of 9^9 nodes later. Iterative: no recursion limit.
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = node_children(node)
        if children_done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in children)
            continue
        if key in size:
            continue
        if key in on_path:
            raise alias_error(
                node, "an alias refers to a node that contains it (an endless structure)"
            )
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                raise alias_error(
                    child, "an alias refers to a node that contains it (an endless structure)"
                )
            if id(child) not in size:
                stack.append((child, False))
    added = size[id(root)] - len(size)
    if added > MAX_ALIAS_NODES:
        raise alias_error(
            root,
            f"aliases expand this document by {added:,} nodes; at most {MAX_ALIAS_NODES:,} "
            "are allowed (write the values out, or use `extends:` to share a base)",
        )


class MisreadYamlError(yaml.YAMLError):
    """Values YAML 1.1 reads differently from how they look: 'field: problem' lines."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
MERGE_TAG = "tag:yaml.org,2002:merge"
# The one way to write an integer that reads as it looks: decimal, no leading zero.
PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")
MAX_MISREAD_SHOWN = 20  # problems listed; a file full of them needs the first few fixed


def check_scalars(root: yaml.Node) -> None:
    """Refuse what YAML 1.1 reads as something else than it looks, naming each field:

    - integers in octal (a leading zero: 010 is 8), hexadecimal, binary or base 60 (1:30 is
      90), and base-60 floats: a number must be written in decimal;
    - mapping keys that are not text (yes: is the boolean true, 1: a number, ~: null): every
      key of a scenario or experiment is a field name or an id;
    - the merge key `<<:`, which would bypass the duplicate-key check.

    Checked on the composed node graph, each node once (aliases share nodes), before anything
    is built.
    """
    problems: list[str] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                if not isinstance(key, yaml.ScalarNode):
                    continue  # a list or mapping as a key: the constructor refuses it
                field = join_field(path, key.value)
                if key.tag != STR_TAG:
                    problems.append(f"{field}: {key_problem(key)} (line {key.start_mark.line + 1})")
                stack.append((value, field))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(
                (item, f"{path}[{i}]") for i, item in reversed(list(enumerate(node.value)))
            )
        elif isinstance(node, yaml.ScalarNode):
            problem = number_problem(node)
            if problem:
                problems.append(
                    f"{path or '(top level)'}: {problem} (line {node.start_mark.line + 1})"
                )
    if problems:
        more = len(problems) - MAX_MISREAD_SHOWN
        shown = problems[:MAX_MISREAD_SHOWN]
        raise MisreadYamlError(shown + ([f"... and {more} more like these"] if more > 0 else []))


def join_field(path: str, key: str) -> str:
    key = printable(key, KEY_LIMIT)
    return f"{path}.{key}" if path else key


def key_problem(key: yaml.ScalarNode) -> str:
    written = printable(key.value, KEY_LIMIT)
    if key.tag == MERGE_TAG:
        return (
            "the YAML merge key `<<:` is not supported (it would hide duplicate keys); write "
            "the fields out, or put the shared values in a base scenario and use `extends:`"
        )
    read_as = yaml_reading(key.value)
    return (
        f"YAML reads the key `{written}` as {read_as}, not as text; every key is a field "
        f"name or an id: quote it ('{written}') or rename it"
    )


def number_problem(node: yaml.ScalarNode) -> str | None:
    """Why a number written this way would be misread, or None when it reads as it looks."""
    text = node.value
    if node.tag == INT_TAG and not PLAIN_INT.fullmatch(text):
        value = yaml_value(text)
        digits = text.lstrip("+-")
        if ":" in text:
            form = "digits separated by colons as a base-60 number"
        elif digits[:2].lower() == "0x":
            form = "0x... as a hexadecimal number"
        elif digits[:2].lower() == "0b":
            form = "0b... as a binary number"
        else:
            form = "a whole number with a leading zero as an octal number"
        return (
            f"`{printable(text, KEY_LIMIT)}`: YAML reads {form} ({value} here); write the "
            "number in decimal without leading zeros, or quote it if it is text"
        )
    if node.tag == FLOAT_TAG and ":" in text:
        return (
            f"`{printable(text, KEY_LIMIT)}`: YAML reads digits separated by colons as a "
            f"base-60 number ({yaml_value(text)!r} here); write the number in decimal"
        )
    return None


def yaml_value(text: str) -> Any:
    """The value YAML 1.1 reads from one plain scalar (None if it can't be read alone)."""
    try:
        return yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506  (one plain scalar)
    except yaml.YAMLError:
        return None


def yaml_reading(text: str) -> str:
    """How YAML 1.1 reads a plain scalar, for a message: 'the boolean true', 'the number 8'."""
    value = yaml_value(text)
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "null (no value)"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    return "a special value"


def node_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def alias_error(node: yaml.Node, problem: str) -> yaml.YAMLError:
    return yaml.composer.ComposerError(None, None, problem, node.start_mark)


def _construct_mapping(loader: StrictSafeLoader, node: yaml.MappingNode) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (dict, list)):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                f"duplicate key {key!r} (first at line {seen[key] + 1})",
                node.start_mark,
                f"key {key!r} appears twice in the same mapping",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=True)


StrictSafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
StrictSafeLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def safe_load(text: str) -> Any:
    """`yaml.safe_load` with the `StrictSafeLoader` checks."""
    return yaml.load(text, Loader=StrictSafeLoader)  # noqa: S506  (a SafeLoader subclass)


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text; syntax errors and empty files become ScenarioError."""
    try:
        data = safe_load(text)
    except MisreadYamlError as error:
        raise ScenarioError(source, error.problems) from None
    except yaml.YAMLError as error:
        where = ""
        mark = getattr(error, "problem_mark", None)
        if mark is not None:
            where = f"line {mark.line + 1}, column {mark.column + 1}: "
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ScenarioError(source, [f"{where}not valid YAML ({problem})"]) from None
    except RecursionError:  # only without libyaml, which stops at 1,000 levels itself
        raise ScenarioError(source, ["not valid YAML (nested too deeply)"]) from None
    if data is None:
        raise ScenarioError(source, ["the file is empty; expected a mapping of fields"])
    return data


def read_yaml(path: Path) -> Any:
    """Read one YAML file safely and parse it with the strict safe loader."""
    path = Path(path)
    return parse_yaml(read_text(path), str(path))


# --- scenario or experiment? ---------------------------------------------------------------------

EXTENDS_KEY = "extends"
SCENARIO_KEYS = (set(Scenario.model_fields) | {EXTENDS_KEY}) - set(Experiment.model_fields)
EXPERIMENT_KEYS = set(Experiment.model_fields) - set(Scenario.model_fields)
KNOWN_KEYS = SCENARIO_KEYS | set(Experiment.model_fields)


def file_kind(data: Any) -> str | None:
    """'experiment', 'scenario' or None (neither shape), from the top-level keys of a file.

    `base_scenario` exists only in experiments; otherwise a file with scenario sections and
    no experiment fields is a scenario, and the other way round. Mixed files are neither: they
    are validated as what the user asked for, and their stray keys reported one by one.
    """
    if not isinstance(data, dict):
        return None
    keys = set(data)
    if "base_scenario" in keys:
        return "experiment"
    scenario, experiment = bool(keys & SCENARIO_KEYS), bool(keys & EXPERIMENT_KEYS)
    if scenario != experiment:
        return "scenario" if scenario else "experiment"
    return None


def wrong_kind(path: Path, data: Any, expected: str) -> str | None:
    """A one-line hint when a file is the other kind, else None."""
    kind = file_kind(data)
    if kind is None and isinstance(data, dict) and data and not set(data) & KNOWN_KEYS:
        expected_keys = ", ".join(
            sorted(SCENARIO_KEYS if expected == "scenario" else EXPERIMENT_KEYS)
        )
        return (
            f"none of the {len(data)} top-level keys is a field of a {expected} file "
            f"(expected {expected_keys}); is this the right file?"
        )
    if kind is None or kind == expected:
        return None
    if kind == "experiment":
        return (
            f"this is an experiment file, not a scenario file; run it with "
            f"`python run.py sweep {path}` (or check it with `python run.py validate {path}`)"
        )
    return (
        f"this is a scenario file, not an experiment file; play it with "
        f"`python run.py simulate --scenario {path}`, or sweep it from an experiment file "
        f"whose `base_scenario:` names it"
    )


# --- scenarios -----------------------------------------------------------------------------------


def validate_data[M: BaseModel](data: Any, model: type[M], source: str) -> M:
    """Validate parsed data against a pydantic model, or raise ScenarioError naming each field."""
    valid, problems = validated(data, model)
    if valid is None:
        raise ScenarioError(source, problems)
    return valid


def validated[M: BaseModel](data: Any, model: type[M]) -> tuple[M | None, list[str]]:
    """(the model, []) when `data` is a valid `model`, else (None, 'field: message' lines)."""
    if not isinstance(data, dict):
        return None, [f"expected a mapping of fields at the top level, got {type(data).__name__}"]
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        return None, describe_validation_error(error)


def validation_problems(data: Any, model: type[BaseModel]) -> list[str]:
    """'field: message' lines for everything wrong with `data` as a `model` (none if valid)."""
    return validated(data, model)[1]


@dataclass(frozen=True)
class Layer:
    """A scenario file's data with its `extends:` base (itself a Layer) merged in."""

    path: Path
    data: Any
    base: Layer | None = None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate one scenario file (following `extends:` to its base file)."""
    path = Path(path)
    return scenario_file(path, read_yaml(path))


def load_file(path: str | Path) -> Scenario | LoadedExperiment:
    """A scenario or an experiment file, whichever its keys say it is, read once."""
    path = Path(path)
    text = read_text(path)
    data = parse_yaml(text, str(path))
    if file_kind(data) == "experiment":
        return experiment_file(path, text, data)
    return scenario_file(path, data)


def scenario_file(path: Path, data: Any) -> Scenario:
    """The scenario of the file at `path`, already read; an experiment file gets a hint."""
    hint = wrong_kind(path, data, "scenario")
    if hint:
        raise ScenarioError(path, [hint])
    return scenario_from(path, data)


def scenario_from(path: Path, data: Any, reached_from: str = "") -> Scenario:
    """The scenario of a file already read: its bases merged in, validated, and each problem
    blamed on the file that supplied it, with a note of how that file was reached."""
    layer = scenario_layer(path, data)
    scenario, problems = validated(layer.data, Scenario)
    if scenario is not None:
        return scenario
    blamed = blamed_problems(layer, problems)
    lines = []
    for file, problem in blamed:
        notes = [f"reached by extends: from {path}"] if file != path else []
        notes += [reached_from] if reached_from else []
        lines.append(f"{problem} ({', '.join(notes)})" if notes else problem)
    raise ScenarioError(path, lines, [file for file, _ in blamed])


def scenario_layer(path: Path, data: Any, seen: tuple[Path, ...] = ()) -> Layer:
    """The data of the file at `path`; with `extends: BASE.yaml`, BASE deep-merged with it.

    Variants stay a few lines long and follow every change to the base. Mappings merge key by
    key; lists and values replace the base's.
    """
    if not isinstance(data, dict) or EXTENDS_KEY not in data:
        return Layer(path, data)
    data = dict(data)
    base_name = data.pop(EXTENDS_KEY)
    if not isinstance(base_name, str) or not base_name.strip():
        raise ScenarioError(path, [f"{EXTENDS_KEY}: expected the path of a base scenario file"])
    base_path = resolve_field(path, EXTENDS_KEY, base_name)
    seen = (*seen, path.resolve())
    if base_path in seen:
        raise ScenarioError(path, [f"{EXTENDS_KEY}: {base_name!r} extends itself in a loop"])
    base_data = read_referenced(path, EXTENDS_KEY, base_name, base_path)
    base = scenario_layer(base_path, base_data, seen)
    if not isinstance(base.data, dict):
        raise ScenarioError(base_path, ["expected a mapping of scenario fields at the top level"])
    return Layer(path, deep_merge(base.data, data), base)


def path_text_problem(name: str) -> str | None:
    """Why text can't be a file path at all, or None. Only NUL is impossible on every system
    (open() and stat() raise ValueError on it); other oddities get the system's own answer."""
    if "\0" in name:
        return "holds a NUL character (\\x00), which no file path can contain"
    return None


def resolve_field(path: Path, field: str, name: str) -> Path:
    """The absolute path `field` of the file `path` names, relative to that file's folder;
    a path that can't be one is `field`'s problem, not a traceback."""
    problem = path_text_problem(name)
    if problem is None:
        try:
            return (path.parent / name).resolve()
        except (OSError, RuntimeError, ValueError) as error:  # RuntimeError: a symlink loop
            problem = f"is not a usable path ({getattr(error, 'strerror', None) or error})"
    raise ScenarioError(path, [f"{field}: {name!r} {problem}"])


def check_path_argument(option: str, value: str) -> None:
    """Refuse a command-line path (`--scenario`, `--out` ...) that can't be a path, naming
    the option, before anything uses it."""
    problem = path_text_problem(value)
    if problem:
        raise ScenarioError(option, [f"{value!r} {problem}"])


def read_referenced(path: Path, field: str, name: str, target: Path) -> Any:
    """Read the scenario file `field` of `path` names; a file that can't be read, or is an
    experiment file, is `field`'s problem."""
    try:
        data = read_yaml(target)
    except UnreadableFileError as error:
        reason = "; ".join(error.problems)
        if reason == "file not found":
            reason = f"not found (looked for {target})"
        raise ScenarioError(path, [f"{field}: {name!r} {reason}"]) from None
    if file_kind(data) == "experiment":
        raise ScenarioError(
            path, [f"{field}: {name!r} is an experiment file; expected a scenario file"]
        )
    return data


def blamed_problems(layer: Layer, problems: list[str] | None = None) -> list[tuple[Path, str]]:
    """(file, problem) for each problem of a scenario, blamed on the file that supplied it.

    A problem the base has on its own, and that the merged scenario still has, is the base's
    (a typo or a bad value there); anything else is the child's, including a base problem the
    child changed. A value the child overrides correctly is no problem at all. Validating the
    base alone is cheap and only happens when the merged scenario has problems (`problems`,
    when the caller has them already).
    """
    if problems is None:
        problems = validation_problems(layer.data, Scenario)
    if not problems or layer.base is None:
        return [(layer.path, problem) for problem in problems]
    inherited = {problem: file for file, problem in blamed_problems(layer.base)}
    return [(inherited.get(problem, layer.path), problem) for problem in problems]


def deep_merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# Sections a file made by an earlier version lacks: where to get them.
MISSING_HINTS = {
    "behaviour": "; files made before this section existed lack it: a scenario can copy "
    "`behaviour:` from configs/scenarios/gulf_2026.yaml or extend a scenario that has it, and "
    "a saved game cannot be loaded (start a new game)",
}


def describe_validation_error(error: ValidationError) -> list[str]:
    """Turn pydantic's errors into 'field.path: what was expected (got ...)' lines."""
    lines = []
    items = error.errors(include_url=False)
    for item in items:
        if is_echo(item, items):
            continue
        path = format_location(item["loc"])
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        if item["type"] == "string_pattern_mismatch" and path.startswith("parameters."):
            message = (
                "not a parameter path (expected lower-case dotted names such as "
                "levers.mou_linkage or actors.hosts[0].rationality, indices without leading zeros)"
            )
        elif item["type"] == "tuple_type" and path.startswith("parameters."):
            message = (
                "expected a list of values (e.g. [0.2, 0.5]) or a range (e.g. {type: real, "
                f"low: 0.2, high: 0.5}}) (got {short_repr(item['input'])})"
            )
        elif item["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; unknown keys are not allowed)"
        elif item["type"] == "missing":
            message = "required field is missing" + MISSING_HINTS.get(path, "")
        elif "input" in item and item["type"] not in ("value_error", "assertion_error"):
            message = f"{message} (got {short_repr(item['input'])}){type_hint(item)}"
        # Cross-reference problems already carry their own paths: split them into lines.
        if not path and item["type"] == "value_error":
            lines.extend(part.strip() for part in message.split("\n"))
        else:
            lines.append(f"{path or '(top level)'}: {message}")
    return lines


FLOAT_MAX = sys.float_info.max  # the largest number a float field can hold
NUMBER_ERRORS = {"int_type", "float_type", "int_parsing", "float_parsing", "bool_type"}


def type_hint(item: dict) -> str:
    """Why a value of the wrong type was not converted: the schema is strict about types."""
    value = item["input"]
    if item["type"] not in NUMBER_ERRORS and item["type"] != "string_type":
        return ""
    if type(value) is int and abs(value) > FLOAT_MAX:  # YAML integers have no size limit
        return "; too large for a number (at most ~1.8e308 in size)"
    if isinstance(value, bool):
        return (
            "; true/false (and yes/no/on/off, which YAML reads as true/false) are not numbers"
            if item["type"] != "string_type"
            else "; YAML reads yes/no/on/off/true/false as a boolean: quote it for text"
        )
    if isinstance(value, str) and item["type"] in NUMBER_ERRORS:
        if looks_like_exponent(value):
            # YAML 1.1 reads 1e5 or 1.0e5 as text even unquoted: it wants 1.0e+5.
            return (
                f"; YAML reads {value} as text: write it with a dot and a signed exponent "
                "(e.g. 1.0e+5) or in full"
            )
        return text_number_hint(
            value, "; quoted text is not a number: write numbers without quotes"
        )
    return ""


def text_number_hint(text: str, quoted: str) -> str:
    """Why text given for a number is not one; `quoted` for text that reads as a finite number,
    which was likely quoted. YAML reads some unquoted words (nan, inf, 50%, 0o17) as text too."""
    try:
        number = float(text)
    except ValueError:
        return "; text is not a number: write the number in decimal digits (e.g. 0.5)"
    if not math.isfinite(number):
        return f"; YAML reads {text} as text, and a number must be finite anyway"
    return quoted


def is_echo(item: dict, items: list[dict]) -> bool:
    """A list 'too short after validation' only because one of its items failed: noise."""
    loc = tuple(item["loc"])
    return item["type"] == "too_short" and any(
        tuple(other["loc"])[: len(loc)] == loc and len(other["loc"]) > len(loc) for other in items
    )


# Names pydantic adds to a location for the arms of a union; they mean nothing to a user.
UNION_ARMS = {"list", "range", "real", "int", "categorical", "[key]"}
KEY_LIMIT = 60  # characters of one key shown in a field path (a typo is short; a paste is not)


def format_location(location: Iterable[Any]) -> str:
    location = list(location)
    if location[:1] == ["parameters"]:
        # parameters.<path> is one field: drop the union arms pydantic inserts after it.
        location = location[:2] + [p for p in location[2:] if p not in UNION_ARMS]
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            part = printable(part, KEY_LIMIT)
            path += f".{part}" if path else part
    return path


def short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders (recursively) into the YAML files they hold, in a stable order.

    Every entry of a folder named *.yaml or *.yml is listed, whatever it is (a broken symbolic
    link, a named pipe, a link loop, a folder reached through a link): reading it then says
    what is wrong, so nothing a user meant to check is skipped in silence. Real folders are
    descended into; one that can't be listed is a ScenarioError.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(folder_yaml_files(path)))
        else:
            found.append(path)
    return found


def folder_yaml_files(folder: Path) -> list[Path]:
    found: list[Path] = []

    def unlisted(error: OSError) -> None:
        reason = error.strerror or str(error)
        raise ScenarioError(
            error.filename, [f"cannot list this folder ({reason}), so its files can't be checked"]
        )

    for root, dirs, files in os.walk(folder, onerror=unlisted):
        dirs.sort()
        # A link to a folder is not followed (it may loop), but one named *.yaml is reported.
        names = files + [d for d in dirs if os.path.islink(os.path.join(root, d))]
        found.extend(Path(root, n) for n in names if Path(n).suffix in SCENARIO_SUFFIXES)
    return found


# --- experiment files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedExperiment:
    """An experiment file, checked against its base scenario, ready to plan."""

    experiment: Experiment
    path: Path
    text: str  # the file as written, kept in the results manifest
    base_path: Path
    base_data: dict  # the base scenario with every default filled in (JSON types)
    output: Path


def load_experiment(path: str | Path) -> LoadedExperiment:
    """Load an experiment file and check every parameter against its base scenario.

    Every problem is found before any design is built or any run starts: a design too big to
    run, a bad path, a value of the wrong type or one the scenario rejects, an unreadable or
    invalid base scenario (blamed on the base file, naming the field).
    """
    path = Path(path)
    text = read_text(path)
    return experiment_file(path, text, parse_yaml(text, str(path)))


def experiment_file(path: Path, text: str, data: Any) -> LoadedExperiment:
    """`load_experiment` of a file already read (`text`) and parsed (`data`)."""
    hint = wrong_kind(path, data, "experiment")
    if hint:
        raise ScenarioError(path, [hint])
    experiment = validate_data(data, Experiment, str(path))
    base_path = resolve_field(path, "base_scenario", experiment.base_scenario)
    output = resolve_field(path, "output", experiment.output)
    base_data = load_base_scenario(path, experiment.base_scenario, base_path)
    problems, parameters = check_parameters(experiment, base_data)
    if problems:
        raise ScenarioError(path, problems)
    return LoadedExperiment(
        experiment=experiment.model_copy(update={"parameters": parameters}),
        path=path,
        text=text,
        base_path=base_path,
        base_data=base_data,
        output=output,
    )


def load_base_scenario(path: Path, name: str, base_path: Path) -> dict:
    """The experiment's base scenario as JSON data. A file that can't be read is the
    experiment's `base_scenario:` problem; a problem inside it is blamed on the base file."""
    data = read_referenced(path, "base_scenario", name, base_path)
    return scenario_from(base_path, data, f"the base_scenario of {path}").model_dump(mode="json")


# --- experiment parameters -----------------------------------------------------------------------

KIND_NAMES = {
    "bool": "a true/false field",
    "int": "an integer field",
    "float": "a number field",
    "text": "a text field",
    "date": "a date field",
}


def check_parameters(experiment: Experiment, base_data: dict) -> tuple[list[str], dict]:
    """Problems with the experiment's parameters, and the parameters with every value in the
    type of its field (floats for number fields, so each results column has one type)."""
    problems: list[str] = []
    parameters: dict[str, Any] = {}
    numeric: dict[str, tuple[Any, Any]] = {}  # path -> (low, high), for the pair checks
    for path, spec in experiment.parameters.items():
        field = f"parameters.{path}"
        try:
            current = get_path(base_data, path)
        except PathError:
            problems.append(f"{field}: unknown parameter: the base scenario has no field {path!r}")
            continue
        if path in FIXED_BY_EXPERIMENT:
            problems.append(f"{field}: {FIXED_BY_EXPERIMENT[path]}")
            continue
        kind = field_kind(Scenario, path) or kind_of_value(current)
        if kind == "section" or isinstance(current, dict | list):
            problems.append(section_problem(field, path, current))
            continue
        problem, spec = typed_spec(spec, kind)
        if problem:
            problems.append(f"{field}: {problem}")
            continue
        parameters[path] = spec
        for value in candidate_values(spec):
            details = scenario_problems(base_data, {path: value})
            if details:
                problems.append(
                    f"{field}: value {short_repr(value)} is not valid in the scenario ({details})"
                )
                break
        else:
            if kind in ("int", "float"):
                numeric[path] = tuple(candidate_values(spec))
    if not problems:
        problems = pair_problems(base_data, numeric)
    return problems, parameters


# Scenario fields a sweep sets itself: varying them would change nothing and mislead.
FIXED_BY_EXPERIMENT = {
    "clock.rounds": "the experiment's own `rounds` sets how long every run lasts; "
    "to compare run lengths, keep the longer one and read a time series or the collapse round",
}


def looks_like_exponent(text: str) -> bool:
    """A number in exponent form that YAML 1.1 left as text, e.g. 1e5."""
    try:
        float(text)
    except ValueError:
        return False
    return "e" in text.lower()


def section_problem(field: str, path: str, current: Any) -> str:
    if isinstance(current, dict) and current:
        example = f"{path}.{next(iter(current))}"
        what = f"a section of {len(current)} fields"
    elif isinstance(current, list) and current:
        example = f"{path}[0]..."
        what = f"a list of {len(current)} items"
    else:
        example, what = f"a field inside {path}", "a whole section"
    return f"{field}: points at {what}, not at one value; vary one value, e.g. {example}"


def kind_of_value(value: Any) -> str | None:
    """A field's kind judged from its value in the base, when its annotation says nothing."""
    for kind, types in (("bool", bool), ("int", int), ("float", float), ("text", str)):
        if isinstance(value, types):
            return kind
    if isinstance(value, dict | list):
        return "section"
    return None


def typed_spec(spec: Any, kind: str | None) -> tuple[str | None, Any]:
    """(problem, spec with values in the field's type) for one parameter of a field of `kind`."""
    if isinstance(spec, RealRange):
        if kind == "float":
            return None, spec
        if kind == "int":
            low, high = math.ceil(spec.low), math.floor(spec.high)
            return (
                f"a real range over an integer field would run fractional values; "
                f"use {{type: int, low: {low}, high: {high}}}",
                spec,
            )
        return (
            f"a real range needs a number field, but this is {describe(kind)}; list the values",
            spec,
        )
    if isinstance(spec, IntRange):
        if kind in ("int", "float"):  # integers only: the results column stays integer
            return None, spec
        if kind == "date":
            return (
                "a date field can't be sampled from a range; list the dates "
                "(e.g. [2026-01-01, 2026-03-01])",
                spec,
            )
        return (
            f"an int range needs a number field, but this is {describe(kind)}; list the values",
            spec,
        )
    values = spec.values if isinstance(spec, Categorical) else spec
    typed = []
    for value in values:
        problem, value = typed_value(value, kind)
        if problem:
            return problem, spec
        typed.append(value)
    repeated = sorted({repr(v) for v in typed if typed.count(v) > 1})
    if repeated:
        return (
            f"value {repeated[0]} is listed more than once (each level is one design point)",
            spec,
        )
    if isinstance(spec, Categorical):
        return None, Categorical(type="categorical", values=tuple(typed))
    return None, tuple(typed)


def describe(kind: str | None) -> str:
    return KIND_NAMES.get(kind, "a field of another type")


def typed_value(value: Any, kind: str | None) -> tuple[str | None, Any]:
    """(problem, value in the field's type): the value the run will set, strictly checked so
    that no value is coerced by pydantic's lax mode and every column has a single type."""
    got = f"got {short_repr(value)} ({value_type(value)})"
    if kind == "bool":
        return (
            (None, value) if isinstance(value, bool) else (f"expected true or false, {got}", value)
        )
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            hint = (
                text_number_hint(value, "; write numbers without quotes")
                if isinstance(value, str)
                else ""
            )
            if isinstance(value, str) and looks_like_exponent(value):
                # YAML 1.1 reads 1e5 or 1.0e5 as text even unquoted: it wants 1.0e+5.
                hint = (
                    f"; YAML reads {value} as text: write it with a dot and a signed "
                    "exponent (e.g. 1.0e+5) or in full"
                )
            return f"expected a number ({describe(kind)}), {got}{hint}", value
        # An int is always finite (and math.isfinite would overflow on one past float's range).
        if isinstance(value, float) and not math.isfinite(value):
            return f"expected a finite number, {got}", value
        if kind == "float":
            if isinstance(value, int) and abs(value) > FLOAT_MAX:  # YAML ints have no size limit
                return (
                    f"expected a number a float can hold (at most ~1.8e308 in size), {got}",
                    value,
                )
            return None, float(value)
        if isinstance(value, float) and not value.is_integer():
            return f"expected a whole number ({describe(kind)}), {got}", value
        return None, int(value)
    if kind in ("text", "date"):
        if isinstance(value, str):
            return None, value
        return f"expected text ({describe(kind)}), {got}", value
    return None, value  # a field of no known kind: the scenario check below decides


def value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "text"
    return "a number" if isinstance(value, int | float) else type(value).__name__


def candidate_values(spec: Any) -> list:
    """The values of a parameter worth checking up front against the scenario: a range's two
    ends, a numeric list's smallest and largest value (the schema's bounds are intervals), and
    every distinct value of any other list."""
    if isinstance(spec, RealRange | IntRange):
        return [spec.low, spec.high]
    values = list(spec.values if isinstance(spec, Categorical) else spec)
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return sorted({min(values), max(values)})
    return list(dict.fromkeys(values))


def scenario_problems(base_data: dict, overrides: dict[str, Any]) -> str:
    """'; '-joined problems of the base scenario with `overrides` set (empty when valid)."""
    return "; ".join(validation_problems(apply_overrides(base_data, overrides), Scenario))


def pair_problems(base_data: dict, numeric: dict[str, tuple[Any, Any]]) -> list[str]:
    """Extreme values that are valid one at a time but not together, e.g. `mou.strained_at`
    high with `mou.suspended_at` low. The schema's cross-field checks compare fields of one
    section, so each pair of numeric parameters in one section is tried at its four corners."""
    problems = []
    paths = list(numeric)
    for i, first in enumerate(paths):
        for second in paths[i + 1 :]:
            if parent_path(first) != parent_path(second):
                continue
            for a in numeric[first]:
                for b in numeric[second]:
                    details = scenario_problems(base_data, {first: a, second: b})
                    if details:
                        problems.append(
                            f"parameters.{first}: {first}={short_repr(a)} with "
                            f"{second}={short_repr(b)} is not "
                            f"valid in the scenario ({details}); narrow one of the two"
                        )
                        break
                else:
                    continue
                break
    return problems
