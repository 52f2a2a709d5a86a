"""Writing one run to disk: per-round metrics (CSV or Parquet), events (JSON lines), a summary.

The output folder holds one run and nothing else. `check_output_folder` proves, before the run,
that the folder can be written (by creating and removing a probe there), so a bad path fails in
a second rather than after the run. `write_run` writes every file into a hidden staging folder
inside it and only then moves them into place, with `summary.json` last: a folder with a
`summary.json` always holds exactly one complete run. A write cut short (power loss, SIGKILL)
can leave the previous run's files without their summary, never a summary beside another run's
files; the next write clears what a cut-short one left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from wargame.config.text import printable

if TYPE_CHECKING:  # keep this module light: the CLI imports it before it needs pandas or Mesa
    from wargame.experiments.single_run import RunResult

FORMATS = ("csv", "parquet")
SUMMARY = "summary.json"
EVENTS = "events.jsonl"
METRICS = tuple(f"metrics.{fmt}" for fmt in FORMATS)
RUN_FILES = frozenset((*METRICS, EVENTS, SUMMARY))
STAGING_PREFIX = ".writing-"


class OutputError(Exception):
    """The output folder cannot be used (a file in the way, no permission ...)."""


def nearest_existing(path: Path) -> Path:
    """`path` itself, or its nearest ancestor that exists: where a new folder would be made."""
    return next((p for p in (path, *path.parents) if p.exists()), Path("."))


def probe_folder(folder: Path) -> None:
    """Create and remove a hidden folder in `folder`, or raise OSError: permission bits,
    read-only mounts and /proc all answer a real attempt, where guessing from modes does not."""
    os.rmdir(tempfile.mkdtemp(prefix=".probe-", dir=folder))


def check_output_folder(out_dir: str | Path) -> Path:
    """Fail before a long run, not after it, when the output folder cannot be used."""
    if not str(out_dir).strip():
        raise OutputError("--out: expected a folder path, got an empty one")
    try:
        return _check_folder(Path(out_dir))
    except OSError as error:  # a name too long, a parent we may not search ...
        raise OutputError(
            f"{printable(out_dir)}: cannot use this folder ({error.strerror or error})"
        ) from None


def _check_folder(out_dir: Path) -> Path:
    shown = printable(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{shown}: exists and is not a folder; --out needs a folder")
    nearest = nearest_existing(out_dir)
    if not nearest.is_dir():
        raise OutputError(f"{shown}: {printable(nearest)} is a file, not a folder")
    if out_dir.is_dir():
        foreign = sorted(
            entry.name
            for entry in out_dir.iterdir()
            if entry.name not in RUN_FILES and not entry.name.startswith(STAGING_PREFIX)
        )
        if foreign:
            raise OutputError(
                f"{shown}: holds files that are not a run's ({printable(', '.join(foreign[:3]))}"
                f"{' ...' if len(foreign) > 3 else ''}); --out needs a new or empty folder, or "
                "one written by an earlier `simulate --out`"
            )
    try:
        probe_folder(nearest)
    except OSError as error:
        raise OutputError(
            f"{shown}: cannot write there (creating a folder in {printable(nearest)} failed: "
            f"{error.strerror or error})"
        ) from None
    if len(os.fsencode(out_dir.resolve())) + len(STAGING_PREFIX) + 40 > os.pathconf(
        nearest, "PC_PATH_MAX"
    ):
        raise OutputError(f"{shown}: the path is too long for this file system")
    return out_dir


def write_run(result: RunResult, out_dir: str | Path, fmt: str = "parquet") -> list[Path]:
    """Write the run into `out_dir`; returns the files written. Raises OutputError."""
    if fmt not in FORMATS:
        raise OutputError(f"--format: expected one of {', '.join(FORMATS)}, got {printable(fmt)}")
    out_dir = check_output_folder(out_dir)
    created = [p for p in (out_dir, *out_dir.parents) if not p.exists()]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for leftover in out_dir.glob(f"{STAGING_PREFIX}*"):  # from a write that was killed
            shutil.rmtree(leftover, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    except OSError as error:
        raise OutputError(
            f"{printable(out_dir)}: cannot create the output folder ({error.strerror or error})"
        ) from None
    try:
        metrics_name = f"metrics.{fmt}"
        stage_files(result, staging, metrics_name)
        with signals_held():
            return commit(staging, out_dir, metrics_name)
    except BaseException as error:  # also Ctrl-C while staging: leave no trace of this write
        shutil.rmtree(staging, ignore_errors=True)
        for folder in created:  # innermost first; only the ones this write made
            try:
                folder.rmdir()
            except OSError:
                break
        if isinstance(error, OSError):
            raise OutputError(f"{printable(out_dir)}: cannot write results ({error})") from None
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def stage_files(result: RunResult, staging: Path, metrics_name: str) -> None:
    # Through a Python file handle: Arrow cannot open a path holding undecodable bytes.
    with open(staging / metrics_name, "wb") as handle:
        if metrics_name.endswith(".csv"):
            result.metrics.to_csv(handle, index=False)
        else:
            result.metrics.to_parquet(handle, index=False, compression="zstd")
    with open(staging / EVENTS, "w", encoding="utf-8") as handle:
        for event in result.events:
            handle.write(json.dumps(event.to_dict(), sort_keys=True) + "\n")
    with open(staging / SUMMARY, "w", encoding="utf-8") as handle:
        json.dump(result.summary, handle, indent=2, sort_keys=True, default=str)
        handle.write("\n")


def commit(staging: Path, out_dir: Path, metrics_name: str) -> list[Path]:
    """Move the staged files into place; `summary.json` goes first out and last in."""
    (out_dir / SUMMARY).unlink(missing_ok=True)
    for stale in METRICS:  # the other format's metrics belong to an earlier run
        if stale != metrics_name:
            (out_dir / stale).unlink(missing_ok=True)
    written = []
    for name in (metrics_name, EVENTS, SUMMARY):
        os.replace(staging / name, out_dir / name)
        written.append(out_dir / name)
    return written


@contextmanager
def signals_held() -> Iterator[None]:
    """Ignore Ctrl-C and SIGTERM while the files move: the move takes a moment and, once begun,
    finishing it is the only state that is not half-written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, signal.SIG_IGN) for number in held}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
