"""From an experiment to its design table and its runs.

The design table has one row per point (the parameter values to run). Samplers come from
`scipy.stats.qmc` (Latin hypercube) and SALib (Sobol, Morris), never hand-written: each draws in
the unit cube, and each parameter maps its unit column to its own values (reals scaled, integers
and categories by equal-width bins). Runs are (point, replicate) pairs; each gets its seed from
`numpy.random.SeedSequence(root_seed).spawn(...)` in a fixed order and an id hashed from the
point, the replicate and the seed, so results never depend on worker count, order or engine.
The same functions recompute the ids of any runs (`run_ids_at`) and the experiment's
`fingerprint`, so an analysis can check that a results folder holds the runs its manifest
describes.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from wargame.config.experiment import Categorical, DesignKind, Experiment, IntRange, RealRange

if TYPE_CHECKING:
    import pandas as pd

SEED_MASK = (1 << 63) - 1  # run seeds are non-negative 63-bit integers


@dataclass(frozen=True)
class RunSpec:
    run_id: str
    point: int
    replicate: int
    seed: int
    parameters: dict[str, Any]


def design_table(experiment: Experiment) -> pd.DataFrame:
    """One row per point: a `point` column, then one column per parameter (its path)."""
    return table_of(experiment, design_rows(experiment))


def design_rows(experiment: Experiment) -> list[tuple]:
    """The points' parameter values, one tuple per point in the order of `parameters`: the
    design without pandas, for checks that must answer before it is loaded."""
    names = list(experiment.parameters)
    if experiment.design.kind == DesignKind.GRID:
        return list(itertools.product(*experiment.parameters.values()))
    return [
        tuple(from_unit(experiment.parameters[name], u) for name, u in zip(names, row, strict=True))
        for row in unit_sample(experiment)
    ]


def table_of(experiment: Experiment, rows: list[tuple]) -> pd.DataFrame:
    """The design table of `rows` (from `design_rows`). The loader gives each parameter's values
    one type (bool, int, float or text), so every column keeps the rows' values as they are."""
    import pandas as pd  # here: `design_rows` serves `run.py validate`, which must not load it

    table = pd.DataFrame(rows, columns=list(experiment.parameters))
    table.insert(0, "point", np.arange(len(table), dtype=np.int64))
    return table


def salib_problem(experiment: Experiment) -> dict:
    """SALib's problem description: every parameter on [0, 1], mapped afterwards."""
    names = list(experiment.parameters)
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def unit_sample(experiment: Experiment) -> np.ndarray:
    design = experiment.design
    dimensions = len(experiment.parameters)
    if design.kind == DesignKind.LATIN_HYPERCUBE:
        from scipy.stats import qmc  # imported here: grids need neither SciPy nor SALib

        return qmc.LatinHypercube(d=dimensions, seed=np.random.default_rng(design.seed)).random(
            design.samples
        )
    from SALib.sample import morris, sobol

    problem = salib_problem(experiment)
    # SALib warns (raw, with its file path) about odd Morris levels and about Sobol sizes that
    # are not powers of two. Validation refuses both before a sweep; an older results folder
    # that has them gets a note in its analysis instead (`analysis.design_notes`).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if design.kind == DesignKind.SOBOL:
            # First-order and total indices only: N * (D + 2) points.
            return sobol.sample(problem, design.samples, calc_second_order=False, seed=design.seed)
        return morris.sample(problem, design.samples, num_levels=design.levels, seed=design.seed)


def from_unit(spec, u: float) -> Any:
    """Map a unit-interval draw to a parameter value."""
    u = min(max(float(u), 0.0), np.nextafter(1.0, 0.0))
    if isinstance(spec, RealRange):
        return spec.low + u * (spec.high - spec.low)
    if isinstance(spec, IntRange):
        return spec.low + int(u * (spec.high - spec.low + 1))
    values = spec.values if isinstance(spec, Categorical) else spec
    return values[int(u * len(values))]


def iter_run_seeds(root_seed: int, count: int, chunk: int = 4096) -> Iterator[int]:
    """The seeds of runs 0..count-1, spawned a chunk at a time: `spawn` numbers its children
    from where it left off, so the seeds equal one big `spawn(count)` without holding a
    million SeedSequence objects at once."""
    root = np.random.SeedSequence(root_seed)
    for start in range(0, count, chunk):
        for child in root.spawn(min(chunk, count - start)):
            yield int(child.generate_state(1, np.uint64)[0]) & SEED_MASK


def run_seed(root_seed: int, index: int) -> int:
    """The seed of run `index` alone: the child `spawn` would give it (its spawn key is the
    index), without spawning the runs before it."""
    child = np.random.SeedSequence(root_seed, spawn_key=(index,))
    return int(child.generate_state(1, np.uint64)[0]) & SEED_MASK


def run_seeds(root_seed: int, count: int) -> np.ndarray:
    return np.fromiter(iter_run_seeds(root_seed, count), dtype=np.int64, count=count)


def run_id(parameters: dict[str, Any], replicate: int, seed: int) -> str:
    canonical = json.dumps(
        {"p": parameters, "r": replicate, "s": seed}, sort_keys=True, default=str
    )
    return hashlib.blake2b(canonical.encode(), digest_size=8).hexdigest()


def iter_runs(experiment: Experiment, table: pd.DataFrame) -> Iterator[RunSpec]:
    """Every run of the experiment, point-major, built lazily (a design may hold millions).

    `table` may hold only some of the design's points (a sweep of a subset, such as the
    calibration's accepted parameter sets): each run keeps the seed it has in the whole design,
    `point * replicates + replicate`, so a subset meets the same seeds as the whole."""
    replicates = experiment.replicates
    names = [c for c in table.columns if c != "point"]
    points = table["point"].to_numpy()
    whole = bool(np.array_equal(points, np.arange(len(points))))
    seeds = iter_run_seeds(experiment.root_seed, len(table) * replicates) if whole else None
    for row in table.itertuples(index=False):
        point = int(row[0])
        parameters = {name: plain(value) for name, value in zip(names, row[1:], strict=True)}
        for replicate in range(replicates):
            seed = (
                next(seeds)
                if seeds is not None
                else run_seed(experiment.root_seed, point * replicates + replicate)
            )
            yield RunSpec(run_id(parameters, replicate, seed), point, replicate, seed, parameters)


def run_ids_at(
    experiment: Experiment, table: pd.DataFrame, runs: list[tuple[int, int]]
) -> list[str]:
    """The ids of the runs (point, replicate), exactly as `iter_runs` makes them, without
    making the runs before them."""
    # Column by column (`tolist` gives Python scalars of the column's type): a row of a mixed
    # frame would turn an integer column's 5 into 5.0, and so change the id.
    columns = {c: table[c].tolist() for c in table.columns if c != "point"}
    replicates = experiment.replicates
    return [
        run_id(
            {name: plain(values[point]) for name, values in columns.items()},
            int(replicate),
            run_seed(experiment.root_seed, int(point) * replicates + int(replicate)),
        )
        for point, replicate in runs
    ]


def fingerprint(experiment: Experiment, base_data: dict) -> str:
    """What makes a sweep's runs what they are: the experiment (its parameters typed by the
    loader; not where the results go or how they are run) and the base scenario's data."""
    identity = {
        "experiment": experiment.model_dump(mode="json", exclude={"execution", "output"}),
        "base": base_data,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def plain(value: Any) -> Any:
    """numpy scalars to Python ones, so parameters pickle and hash the same everywhere."""
    return value.item() if isinstance(value, np.generic) else value
