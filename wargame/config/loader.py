"""Reading scenario files: YAML (safe_load only) to a validated `Scenario`, or a clear error.

Every failure becomes a `ScenarioError` whose lines name the file, the field path and what was
expected, so the CLI can print them and exit 2 instead of showing a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from wargame.config.experiment import Experiment
from wargame.config.overrides import PathError, get_path, set_path
from wargame.config.schema import Scenario

SCENARIO_SUFFIXES = (".yaml", ".yml")


class StrictSafeLoader(
    getattr(yaml, "CSafeLoader", yaml.SafeLoader)
):  # C parser when built: ~5x faster
    """PyYAML's safe loader (no arbitrary objects), stricter in two ways that protect users:

    - a key given twice in one mapping is an error, not "the last one wins";
    - dates stay text, so pydantic validates them and an impossible date such as 2026-02-30
      is reported against its field instead of crashing the YAML parser.
    """


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


class ScenarioError(Exception):
    """A scenario (or other config) file that cannot be used; `problems` are 'path: message' lines."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {problem}" for problem in problems))


def read_yaml(path: Path) -> Any:
    """Parse one YAML file with the strict safe loader; I/O and syntax errors become ScenarioError."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, ["file not found"]) from None
    except IsADirectoryError:
        raise ScenarioError(source, ["is a folder, expected a YAML file"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(source, [f"cannot read: {error}"]) from None
    try:
        data = safe_load(text)
    except yaml.YAMLError as error:
        where = ""
        mark = getattr(error, "problem_mark", None)
        if mark is not None:
            where = f"line {mark.line + 1}, column {mark.column + 1}: "
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ScenarioError(source, [f"{where}not valid YAML ({problem})"]) from None
    if data is None:
        raise ScenarioError(source, ["the file is empty; expected a mapping of fields"])
    return data


def validate_data[M: BaseModel](data: Any, model: type[M], source: str) -> M:
    """Validate parsed data against a pydantic model, or raise ScenarioError naming each field."""
    if not isinstance(data, dict):
        raise ScenarioError(
            source, [f"expected a mapping of fields at the top level, got {type(data).__name__}"]
        )
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(source, describe_validation_error(error)) from None


EXTENDS_KEY = "extends"


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate one scenario file (following `extends:` to its base file)."""
    path = Path(path)
    return validate_data(read_scenario_data(path), Scenario, str(path))


def read_scenario_data(path: Path, seen: tuple[Path, ...] = ()) -> Any:
    """Raw scenario data; a file with `extends: BASE.yaml` is BASE deep-merged with its own keys.

    Variants stay a few lines long and follow every change to the base. Mappings merge key by
    key; lists and values replace the base's.
    """
    data = read_yaml(path)
    if not isinstance(data, dict) or EXTENDS_KEY not in data:
        return data
    base_name = data.pop(EXTENDS_KEY)
    if not isinstance(base_name, str) or not base_name.strip():
        raise ScenarioError(
            str(path), [f"{EXTENDS_KEY}: expected the path of a base scenario file"]
        )
    base_path = (path.parent / base_name).resolve()
    if base_path in seen or base_path == path.resolve():
        raise ScenarioError(str(path), [f"{EXTENDS_KEY}: {base_name!r} extends itself in a loop"])
    if not base_path.is_file():
        raise ScenarioError(str(path), [f"{EXTENDS_KEY}: base scenario {base_name!r} not found"])
    base = read_scenario_data(base_path, (*seen, path.resolve()))
    if not isinstance(base, dict):
        raise ScenarioError(
            str(base_path), ["expected a mapping of scenario fields at the top level"]
        )
    return deep_merge(base, data)


def deep_merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def describe_validation_error(error: ValidationError) -> list[str]:
    """Turn pydantic's errors into 'field.path: what was expected (got ...)' lines."""
    lines = []
    for item in error.errors(include_url=False):
        path = format_location(item["loc"])
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        if item["type"] == "string_pattern_mismatch" and path.startswith("parameters."):
            message = (
                "not a parameter path (expected lower-case dotted names such as "
                "levers.mou_linkage or actors.hosts[0].rationality)"
            )
        elif item["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; unknown keys are not allowed)"
        elif item["type"] == "missing":
            message = "required field is missing"
        elif "input" in item and item["type"] not in ("value_error", "assertion_error"):
            message = f"{message} (got {short_repr(item['input'])})"
        # Cross-reference problems already carry their own paths: split them into lines.
        if not path and item["type"] == "value_error":
            lines.extend(part.strip() for part in message.split("\n"))
        else:
            lines.append(f"{path or '(top level)'}: {message}")
    return lines


# Names pydantic adds to a location for the arms of a union; they mean nothing to a user.
UNION_ARMS = {"list", "range", "real", "int", "categorical", "[key]"}


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
            path += f".{part}" if path else str(part)
    return path


def short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders (recursively) into the YAML files they hold, in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix in SCENARIO_SUFFIXES and p.is_file())
            )
        else:
            found.append(path)
    return found


# --- experiment files ---------------------------------------------------------------------


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

    Every problem is found before any run starts: a bad path, a value the scenario rejects, an
    unreadable base scenario.
    """
    path = Path(path)
    source = str(path)
    experiment = validate_data(read_yaml(path), Experiment, source)
    base_path = (path.parent / experiment.base_scenario).resolve()
    try:
        base = load_scenario(base_path)
    except ScenarioError as error:
        raise ScenarioError(
            source,
            [
                f"base_scenario: cannot use {experiment.base_scenario!r}: {p}"
                for p in error.problems
            ],
        ) from None
    base_data = base.model_dump(mode="json")
    problems = []
    for parameter, spec in experiment.parameters.items():
        field = f"parameters.{parameter}"
        try:
            get_path(base_data, parameter)
        except PathError:
            problems.append(
                f"{field}: unknown parameter: the base scenario has no field {parameter!r}"
            )
            continue
        for value in candidate_values(spec):
            try:
                Scenario.model_validate(set_path(base_data, parameter, value))
            except ValidationError as error:
                details = "; ".join(describe_validation_error(error))
                problems.append(
                    f"{field}: value {value!r} is not valid in the scenario ({details})"
                )
                break
    if problems:
        raise ScenarioError(source, problems)
    return LoadedExperiment(
        experiment=experiment,
        path=path,
        text=path.read_text(encoding="utf-8"),
        base_path=base_path,
        base_data=base_data,
        output=(path.parent / experiment.output).resolve(),
    )


def candidate_values(spec) -> list:
    """The values of a parameter worth checking up front: every level, or a range's two ends."""
    if isinstance(spec, tuple):
        return list(spec)
    if spec.type == "categorical":
        return list(spec.values)
    return [spec.low, spec.high]
