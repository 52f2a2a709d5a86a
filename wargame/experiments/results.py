"""A results folder read back for analysis, trusted only as far as it checks out.

A folder is the sweep's manifest (the experiment file's text, the planned run count, a
fingerprint of the experiment and its base scenario) beside Parquet parts of runs. Anything in
it may have been damaged, edited or copied in, so before any figure is computed:

- the manifest must be whole: JSON with every field the sweep writes, of the right type, and an
  experiment text that is a valid experiment whose size agrees with `planned_runs` and `points`;
- every stored run must be a run of that experiment: its id is recomputed from its point and
  replicate (`design.run_ids_at`) and its parameter values compared with the design's. Runs that
  are not (a part copied in from another sweep) are left out and named, so the rest can still
  be analysed; a folder with no run of the experiment at all is refused (its manifest was
  replaced or edited);
- the fingerprint is recomputed from the experiment and its base scenario as it is now. A
  mismatch means the base file or the manifest was edited since the sweep: the runs still
  check out by id, so the analysis goes on, with a warning first;
- how complete the folder is (a killed sweep) is counted against the plan, per design point.

Refusals are StoreErrors naming the file and the field; what the reader must know before
reading any number becomes a warning, shown first in the report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wargame.config.experiment import (
    STORED_RESULTS,
    Categorical,
    Experiment,
    design_points,
    planned_runs,
)
from wargame.config.loader import (
    MAX_FILE_BYTES,
    ScenarioError,
    check_parameters,
    describe_validation_error,
    load_base_scenario,
    parse_yaml,
    wrong_kind,
)
from wargame.config.text import printable
from wargame.experiments import analysis
from wargame.experiments.design import design_table, fingerprint, run_ids_at
from wargame.experiments.errors import StoreError
from wargame.experiments.store import ResultStore, package_versions

MAX_MANIFEST_BYTES = 16 * 2**20  # a manifest holds one experiment file and some versions
# Stored runs whose ids are recomputed (~12 us each): all of them up to this many, else an even
# sample of this many, and all of them as soon as one of the sample fails. Every run's point,
# replicate and parameter values are compared with the design in any case (vectorised).
ID_CHECK_LIMIT = 50_000
SHOWN_RANGES = 6  # point ranges listed in the completeness line before "..."


class Manifest(BaseModel):
    """manifest.json as the sweep writes it; strict, so a damaged field is named, not coerced.
    Keys a later version may add are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")
    experiment_file: str
    experiment_text: Annotated[str, Field(min_length=1, max_length=MAX_FILE_BYTES)]
    base_scenario: Annotated[str, Field(min_length=1)]
    planned_runs: Annotated[int, Field(ge=1)]
    points: Annotated[int, Field(ge=1)]
    packages: dict[str, str | None]
    git_commit: str | None
    fingerprint: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
    created: str


@dataclass
class Results:
    """A checked results folder: its experiment and the stored runs that belong to it."""

    folder: Path
    experiment: Experiment
    runs: pd.DataFrame  # stored runs of this experiment, failed ones included
    planned: int  # runs the sweep planned
    points: int  # points of the design
    warnings: list[str] = field(default_factory=list)  # to read before any figure
    notes: list[str] = field(default_factory=list)
    foreign_parts: list[str] = field(default_factory=list)  # runs parts holding foreign runs

    @property
    def complete(self) -> bool:
        return len(self.runs) >= self.planned

    @property
    def points_stored(self) -> int:
        """Design points with at least one stored run."""
        return int(self.runs["point"].nunique())


def load_results(folder: Path) -> Results:
    """The checked contents of a results folder with at least one successful run of its
    experiment; anything else is a StoreError saying what the folder is instead."""
    shown = printable(folder)
    if not folder.exists():
        raise StoreError(f"{shown}: no such folder")
    if not folder.is_dir():
        hint = (
            "; an experiment file is run with `run.py sweep`, then its output folder analysed"
            if folder.suffix in (".yaml", ".yml")
            else ""
        )
        raise StoreError(f"{shown}: not a folder; give the results folder a sweep wrote{hint}")
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise StoreError(f"{shown}: not a results folder (no manifest.json); run a sweep first")
    manifest = read_manifest(manifest_path)
    experiment = stored_experiment(manifest, manifest_path)
    experiment, base_data, base_problem = typed_experiment(experiment, manifest)
    runs = read_runs(folder)
    if base_data is None:  # the parameters' types from the stored columns instead
        experiment = typed_by_columns(experiment, runs)
    results = Results(folder, experiment, runs, manifest.planned_runs, manifest.points)
    keep_own_runs(results, manifest)
    check_rounds(results, manifest_path)
    if analysis.ok_runs(results.runs).empty:
        errors = results.runs["error"].dropna() if "error" in results.runs else pd.Series()
        first = f" (first error: {printable(errors.iloc[0])})" if len(errors) else ""
        count = len(results.runs)
        raise StoreError(
            f"{shown}: no successful runs to analyse: "
            f"{'the' if count == 1 else 'all'} {analysis.plural(count, 'run')} failed{first}"
        )
    check_fingerprint(results, manifest, base_data, base_problem)
    incomplete = completeness(results)
    if incomplete:
        results.warnings.insert(0, incomplete)
    return results


# --- the manifest ----------------------------------------------------------------------------


def read_manifest(path: Path) -> Manifest:
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise StoreError(f"{printable(path)}: too large for a manifest; not a results folder")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:  # ValueError: not JSON or not UTF-8
        reason = printable(getattr(error, "strerror", None) or error)
        raise StoreError(f"{printable(path)}: unreadable manifest ({reason})") from None
    if not isinstance(data, dict):
        raise StoreError(
            f"{printable(path)}: damaged manifest: expected a JSON object of fields, "
            f"got {type(data).__name__}"
        )
    try:
        return Manifest.model_validate(data)
    except ValidationError as error:
        raise StoreError(damaged(path, describe_validation_error(error))) from None


def damaged(path: Path, problems: list[str]) -> str:
    return "\n".join(f"{printable(path)}: damaged manifest: {p}" for p in problems)


def stored_experiment(manifest: Manifest, path: Path) -> Experiment:
    """The experiment of `experiment_text`: valid YAML, an experiment, and the size planned."""
    source = f"{path} (experiment_text)"
    try:
        data = parse_yaml(manifest.experiment_text, source)
    except ScenarioError as error:
        raise StoreError(damaged(path, [f"experiment_text: {p}" for p in error.problems])) from None
    hint = wrong_kind(Path(manifest.experiment_file), data, "experiment")
    if hint:
        raise StoreError(damaged(path, [f"experiment_text: {hint}"]))
    if not isinstance(data, dict):
        raise StoreError(damaged(path, ["experiment_text: expected a mapping of fields"]))
    try:
        # An experiment that already ran: rules about what may start (minimum sizes) are
        # notes in the analysis, not a reason to refuse results made before them.
        experiment = Experiment.model_validate(data, context=STORED_RESULTS)
    except ValidationError as error:
        problems = describe_validation_error(error)
        raise StoreError(damaged(path, [f"experiment_text: {p}" for p in problems])) from None
    points, runs = design_points(experiment), planned_runs(experiment)
    if (manifest.points, manifest.planned_runs) != (points, runs):
        raise StoreError(
            damaged(
                path,
                [
                    f"planned_runs: {manifest.planned_runs:,} runs of {manifest.points:,} "
                    f"points, but its experiment_text makes {points:,} points x "
                    f"{experiment.replicates:,} replicates = {runs:,} runs"
                ],
            )
        )
    return experiment


def typed_experiment(
    experiment: Experiment, manifest: Manifest
) -> tuple[Experiment, dict | None, str | None]:
    """(the experiment with each parameter's values in its field's type, as the sweep had
    them; the base scenario's data; None) when the base scenario can be read now, else
    (the experiment as written, None, why the base cannot be used)."""
    source = Path(manifest.experiment_file)
    try:
        base_data = load_base_scenario(
            source, experiment.base_scenario, Path(manifest.base_scenario)
        )
    except ScenarioError as error:
        return experiment, None, printable(error.problems[0] if error.problems else error)
    problems, parameters = check_parameters(experiment, base_data)
    if problems:
        return experiment, None, printable(problems[0])
    return experiment.model_copy(update={"parameters": parameters}), base_data, None


def typed_by_columns(experiment: Experiment, runs: pd.DataFrame) -> Experiment:
    """Without the base scenario, each listed value in the type of its stored column (the
    loader made a listed 1 in a number field 1.0, which changes the run's id)."""
    parameters = {}
    for name, spec in experiment.parameters.items():
        column = runs.get(analysis.PARAM_PREFIX + name)
        values = spec.values if isinstance(spec, Categorical) else spec
        if column is None or not isinstance(values, tuple):
            parameters[name] = spec
            continue
        if pd.api.types.is_float_dtype(column):
            values = tuple(float(v) if type(v) is int else v for v in values)
        elif pd.api.types.is_integer_dtype(column):
            values = tuple(int(v) if type(v) is float and v.is_integer() else v for v in values)
        parameters[name] = (
            Categorical(type="categorical", values=values)
            if isinstance(spec, Categorical)
            else values
        )
    return experiment.model_copy(update={"parameters": parameters})


# --- the runs ----------------------------------------------------------------------------


def read_runs(folder: Path) -> pd.DataFrame:
    try:
        runs = ResultStore(folder).read_runs()
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as error:
        raise StoreError(
            f"{printable(folder / 'runs')}: unreadable runs table ({printable(error)})"
            f"{odd_parts(folder / 'runs')}"
        ) from None
    if runs.empty:
        raise StoreError(
            f"{printable(folder)}: holds no finished runs yet; run the sweep (the same command "
            "resumes it)"
        )
    missing = [c for c in ("run_id", "point", "replicate") if c not in runs.columns]
    if missing:
        raise StoreError(
            f"{printable(folder / 'runs')}: not a runs table of a sweep (no "
            f"{', '.join(missing)} column)"
        )
    return runs


def odd_parts(runs: Path) -> str:
    """'; runs/part-x ... differ from the others' for parts whose columns are not those of
    most parts (a part from another sweep cannot be merged with these)."""
    schemas: dict[str, list[str]] = {}
    for part in sorted(runs.glob("part-*.parquet")):
        try:
            key = str(pq.read_schema(part))
        except (OSError, ValueError, pa.ArrowException):
            key = "unreadable"
        schemas.setdefault(key, []).append(printable(part.name))
    if len(schemas) < 2:
        return ""
    usual = max(schemas.values(), key=len)
    odd = [name for names in schemas.values() if names is not usual for name in names]
    shown = ", ".join(f"runs/{name}" for name in odd[:5]) + (", ..." if len(odd) > 5 else "")
    return (
        f"; {shown} {'has' if len(odd) == 1 else 'have'} other columns than the other parts "
        "(copied in from another sweep?): move them away and analyse again"
    )


def keep_own_runs(results: Results, manifest: Manifest) -> None:
    """Leave out (and name) the stored runs that are not runs of the experiment; refuse the
    folder when none is."""
    runs = results.runs
    own = own_runs(results.experiment, runs)
    foreign = int((~own).sum())
    if not foreign:
        return
    if not own.any():
        raise StoreError(no_run_of_experiment(results, manifest))
    parts = parts_holding(results.folder, set(runs.loc[~own, "run_id"]))
    results.foreign_parts = parts
    shown = ", ".join(f"runs/{name}" for name in parts[:5]) + (", ..." if len(parts) > 5 else "")
    results.warnings.append(
        f"{analysis.plural(foreign, 'stored run')} {'is not a run' if foreign == 1 else 'are not runs'}"
        " of this experiment (not in its design: copied in from another sweep?) and "
        f"{'is' if foreign == 1 else 'are'} left out; in {shown}. Remove "
        f"{'that file' if len(parts) == 1 else 'those files'} to silence this."
    )
    kept = runs[own]
    extra = [
        c
        for c in analysis.parameter_columns(kept)
        if c.removeprefix(analysis.PARAM_PREFIX) not in results.experiment.parameters
    ]
    results.runs = kept.drop(columns=extra).reset_index(drop=True)


def own_runs(experiment: Experiment, runs: pd.DataFrame) -> pd.Series:
    """True for each stored run that is a run of the experiment: its point and replicate in
    range, its parameter values the design's at that point, and its id the one recomputed."""
    table = design_table(experiment)
    point = pd.to_numeric(runs["point"], errors="coerce")
    replicate = pd.to_numeric(runs["replicate"], errors="coerce")
    own = (
        point.between(0, len(table) - 1)
        & replicate.between(0, experiment.replicates - 1)
        & (point % 1 == 0)
        & (replicate % 1 == 0)
    ).to_numpy(dtype=bool, copy=True)
    at = point.where(own, 0).to_numpy(dtype=np.int64)
    for name in experiment.parameters:
        column = analysis.PARAM_PREFIX + name
        if column not in runs.columns:
            return pd.Series(False, index=runs.index)
        stored = pd.Series(runs[column].astype(object).to_numpy())
        expected = pd.Series(table[name].to_numpy(dtype=object)[at])
        own = own & (stored == expected).fillna(False).to_numpy(dtype=bool)
    rows = np.flatnonzero(own)
    sample = rows if len(rows) <= ID_CHECK_LIMIT else rows[:: len(rows) // ID_CHECK_LIMIT]
    wrong = ids_wrong(experiment, table, runs, sample, point, replicate)
    if wrong.any() and len(sample) < len(rows):
        sample, wrong = rows, ids_wrong(experiment, table, runs, rows, point, replicate)
    own[sample[wrong]] = False
    return pd.Series(own, index=runs.index)


def ids_wrong(experiment, table, runs, rows, point, replicate) -> np.ndarray:
    # Python ints: the id hashes the replicate's JSON, and a numpy integer is not one.
    pairs = list(
        zip(
            point.to_numpy()[rows].astype(int).tolist(),
            replicate.to_numpy()[rows].astype(int).tolist(),
            strict=True,
        )
    )
    expected = np.array(run_ids_at(experiment, table, pairs), dtype=object)
    return runs["run_id"].to_numpy(dtype=object)[rows] != expected


def parts_holding(folder: Path, run_ids: set[str]) -> list[str]:
    """The runs parts that hold any of `run_ids`."""
    names = []
    for part in sorted((folder / "runs").glob("part-*.parquet")):
        ids = pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist()
        if run_ids.intersection(ids):
            names.append(printable(part.name))
    return names


def no_run_of_experiment(results: Results, manifest: Manifest) -> str:
    count = len(results.runs)
    now = package_versions()
    changed = sorted(
        name for name, version in manifest.packages.items() if name in now and now[name] != version
    )
    hint = (
        f"; or the design is sampled differently by the packages installed now ({', '.join(changed)} "
        "changed since the sweep)"
        if changed
        else ""
    )
    return (
        f"{printable(results.folder / 'manifest.json')}: none of the "
        f"{analysis.plural(count, 'stored run')} is a run of the experiment its experiment_text "
        f"describes ({printable(results.experiment.name)}): the manifest was replaced or edited, "
        f"or the runs were copied in from another sweep{hint}. Run the sweep again into a new "
        "folder"
    )


def check_rounds(results: Results, path: Path) -> None:
    """The runs lasted the experiment's rounds: none collapsed after its last round, and the
    time series (which always keeps the last round) ends on it. If not, the manifest's
    experiment is not the one that made these runs (same design, other rounds)."""
    rounds = results.experiment.rounds
    last = None
    if "mou_collapsed_round" in results.runs.columns:
        last = pd.to_numeric(results.runs["mou_collapsed_round"], errors="coerce").max()
        last = None if pd.isna(last) or last <= rounds else int(last)
    series_last = last_series_round(results)
    if last is None and series_last not in (None, rounds):
        last = series_last
    if last is not None:
        raise StoreError(
            damaged(
                path,
                [
                    f"experiment_text: rounds is {rounds}, but the stored runs lasted "
                    f"{'at least ' if last > rounds else ''}{last} rounds: the experiment text "
                    "is not the one that made these runs"
                ],
            )
        )


def last_series_round(results: Results) -> int | None:
    """The last round in the time series of this experiment's runs, from the Parquet
    statistics (no rows read); None when there is no time series or no statistics."""
    last = None
    for part in sorted((results.folder / "timeseries").glob("part-*.parquet")):
        if printable(part.name) in results.foreign_parts:
            continue  # written with a foreign runs part (they share their name)
        try:
            metadata = pq.ParquetFile(part).metadata
            column = metadata.schema.to_arrow_schema().get_field_index("round")
            if column < 0:
                return None
            for group in range(metadata.num_row_groups):
                stats = metadata.row_group(group).column(column).statistics
                if stats is None or not stats.has_min_max:
                    return None
                last = max(last or 0, int(stats.max))
        except (OSError, ValueError):  # an unreadable part: the runs table decides
            return None
    return last


def check_fingerprint(
    results: Results, manifest: Manifest, base_data: dict | None, base_problem: str | None
) -> None:
    base = printable(manifest.base_scenario)
    if base_data is None:
        results.notes.append(
            f"the base scenario {base} cannot be used now ({base_problem}), so the manifest's "
            "fingerprint was not checked: the runs were checked against the experiment's design "
            "(by their ids), its rounds and outcomes only as far as the runs show them."
        )
    elif fingerprint(results.experiment, base_data) != manifest.fingerprint:
        experiment = results.experiment
        results.warnings.append(
            f"the experiment and its base scenario {base} as they are now do not match the "
            "fingerprint the sweep recorded: the base scenario or the manifest was edited since "
            "the sweep. The runs are runs of this experiment's design (checked by their ids), "
            "but the scenario they ran may differ from the file as it is now; and if the "
            f"manifest was edited, its name ({printable(experiment.name)}), rounds "
            f"({experiment.rounds}) and outcomes used here may not be the sweep's."
        )


# --- completeness ------------------------------------------------------------------------


def completeness(results: Results) -> str | None:
    """How much of the plan is stored, per design point; None when all of it is."""
    stored, planned = len(results.runs), results.planned
    if stored >= planned:
        return None
    replicates = results.experiment.replicates
    per_point = results.runs.groupby("point").size()
    full = per_point[per_point >= replicates].index
    some = len(per_point) - len(full)
    line = (
        f"INCOMPLETE: {stored:,} of {planned:,} planned runs are stored; the other "
        f"{planned - stored:,} have not run (run the sweep again to finish it: the same command "
        f"resumes). Design points {'with every replicate ' if replicates > 1 else ''}stored: "
        f"{len(full):,} of {results.points:,}"
    )
    if len(full):
        line += f" ({point_ranges(full)})"
    if some:
        line += f"; {some:,} more with some"
    return line + ". Every figure below is computed from the stored runs only."


def point_ranges(points) -> str:
    """`points 0-7, 12, 15-20` (the first few ranges) for sorted point numbers."""
    ranges: list[list[int]] = []
    for p in sorted(int(p) for p in points):
        if ranges and p == ranges[-1][1] + 1:
            ranges[-1][1] = p
        else:
            ranges.append([p, p])
    shown = [f"{a}-{b}" if b > a else f"{a}" for a, b in ranges[:SHOWN_RANGES]]
    more = ", ..." if len(ranges) > SHOWN_RANGES else ""
    return f"point{'s' if len(points) > 1 else ''} {', '.join(shown)}{more}"
