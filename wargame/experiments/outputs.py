"""Writing one run to disk: per-round metrics (CSV or Parquet), events (JSON lines), a summary.

The output folder holds one run and nothing else. `check_output_folder` proves, before the run,
that the folder can be written (by creating and removing a probe there) and that nothing is in
the way of the files the run writes, so a bad path fails in a second rather than after the run.
`folder_problem` is the check every output folder shares (simulate --out, a sweep's results,
analyse's report), with one rule for symbolic links; `output_problem` adds what a sweep's
results folder needs (here, not in `store`, so `run.py validate` checks it without pandas).
`write_run` writes every file into a hidden staging folder inside it and only then swaps them
in, with `summary.json` last: a folder with a `summary.json` always holds exactly one complete
run. A move that fails is undone, so a failed write leaves the folder as it was; a write cut
short (power loss, SIGKILL) can leave a folder without a summary, never a summary beside
another run's files; the next write clears what a cut-short one left.
"""

from __future__ import annotations

import contextlib
import errno
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
MANIFEST = "manifest.json"  # the file that marks a sweep's results folder (see store)


class OutputError(Exception):
    """The output folder cannot be used (a file in the way, no permission ...)."""


EXPECTED = (
    "expected a folder, or a path where one can be made (a link to an existing folder is fine)"
)


# Errors of a path lookup that mean "nothing is there": a missing entry, a file where a folder
# should be, a loop of links. Any other error (a name too long, no search permission) is raised.
ABSENT = frozenset((errno.ENOENT, errno.ENOTDIR, errno.ELOOP))


def nearest_existing(path: Path) -> Path:
    """`path` itself, or its nearest ancestor that is there: where a new folder would be made.
    A symbolic link counts as there even when broken, since no folder can be made in its place."""
    for candidate in (path, *path.parents):
        try:
            os.lstat(candidate)
        except OSError as error:
            if error.errno not in ABSENT:
                raise
            continue
        return candidate
    return Path(".")


def probe_folder(folder: Path) -> None:
    """Create and remove a hidden folder in `folder`, or raise OSError: permission bits,
    read-only mounts and /proc all answer a real attempt, where guessing from modes does not."""
    os.rmdir(tempfile.mkdtemp(prefix=".probe-", dir=folder))


def link_problem(folder: Path) -> str | None:
    """The one rule for symbolic links in an output path (simulate --out, a sweep's `output:`,
    analyse --report): a link to an existing folder stands for that folder; a broken link or a
    loop of links, at the path or above it, is refused, because no folder can be made in its
    place (and following a broken link would create its target somewhere the user did not
    name). Also refuses a path that cannot be looked up at all (a name too long)."""
    shown = printable(folder)
    try:
        os.stat(nearest_existing(folder))
    except OSError as error:
        link = Path(error.filename or folder)
        where = "it" if link == folder else f"{printable(link)}, above it,"
        if error.errno == errno.ELOOP:
            return f"{shown}: {where} is a loop of symbolic links; {EXPECTED}"
        if error.errno in ABSENT and link.is_symlink():
            target = printable(os.readlink(link))
            return (
                f"{shown}: {where} is a broken symbolic link (to {target}, which does not "
                f"exist); {EXPECTED}"
            )
        return f"{shown}: cannot use this folder ({error.strerror or error})"
    return None


def folder_problem(folder: Path) -> str | None:
    """Why no folder can be made or written at `folder` (None when one can), found before any
    work and without leaving anything behind: the check every output folder shares."""
    problem = link_problem(folder)
    if problem:
        return problem
    shown = printable(folder)
    nearest = nearest_existing(folder)
    if not nearest.is_dir():
        if nearest != folder:
            return f"{shown}: {printable(nearest)} is a file, not a folder; {EXPECTED}"
        kind = "a regular file" if nearest.is_file() else "a device, FIFO or other special file"
        return f"{shown}: exists and is not a folder but {kind}; {EXPECTED}"
    try:
        probe_folder(nearest)
    except OSError as error:
        return (
            f"{shown}: cannot write there ({printable(nearest)} is not writable: "
            f"{error.strerror or error}); expected a folder you can write to"
        )
    return None


def output_problem(folder: Path) -> str | None:
    """Why `folder` cannot hold results (None when it can), found without creating anything
    but a probe folder that is removed at once."""
    problem = folder_problem(folder)
    if problem:
        return problem
    try:
        foreign = folder.is_dir() and not (folder / MANIFEST).exists() and any(folder.iterdir())
    except OSError as error:
        return f"{printable(folder)}: cannot use this folder ({error.strerror or error})"
    if foreign:
        return (
            f"{printable(folder)} exists, is not empty and is not a results folder; expected a "
            "new or empty folder, or one an earlier sweep wrote"
        )
    return None


def check_output_folder(out_dir: str | Path) -> Path:
    """Fail before a long run, not after it, when the output folder cannot be used."""
    if not str(out_dir).strip():
        raise OutputError("--out: expected a folder path, got an empty one")
    out_dir = Path(out_dir)
    problem = folder_problem(out_dir)
    if problem:
        raise OutputError(problem)
    try:
        return _check_contents(out_dir)
    except OSError as error:  # a folder we may write but not list ...
        raise OutputError(
            f"{printable(out_dir)}: cannot use this folder ({error.strerror or error})"
        ) from None


def _check_contents(out_dir: Path) -> Path:
    shown = printable(out_dir)
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
        # A folder where the run writes a file cannot be replaced by it (nor removed: it is not
        # ours); a link of that name can, since a move replaces the link, never its target.
        in_the_way = sorted(
            name
            for name in RUN_FILES
            if (out_dir / name).is_dir() and not (out_dir / name).is_symlink()
        )
        if in_the_way:
            raise OutputError(
                f"{shown}: holds a folder named {printable(', '.join(in_the_way))}, where the run "
                "writes a file; expected files there, or nothing"
            )
    limit = os.pathconf(nearest_existing(out_dir), "PC_PATH_MAX")
    if len(os.fsencode(out_dir.resolve())) + len(STAGING_PREFIX) + 40 > limit:
        raise OutputError(f"{shown}: the path is too long for this file system")
    return out_dir


def write_run(result: RunResult, out_dir: str | Path, fmt: str = "parquet") -> list[Path]:
    """Write the run into `out_dir`; returns the files written. Raises OutputError, and then
    leaves the folder as it was (a folder this write created is removed again)."""
    if fmt not in FORMATS:
        raise OutputError(f"--format: expected one of {', '.join(FORMATS)}, got {printable(fmt)}")
    out_dir = check_output_folder(out_dir)  # again: the run took a while
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
            # Named by the folder the user gave, never by the hidden staging folder.
            raise OutputError(
                f"{printable(out_dir)}: cannot write results ({error.strerror or error}); "
                "nothing was written"
            ) from None
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
    """Swap the staged run in for the run the folder held. The old run's files move aside into
    the staging folder (`summary.json` first), the new run's files move in (`summary.json`
    last); if any move fails, every move made is undone in reverse order, so the folder holds
    the old run or the new one, never parts of both. A kill midway leaves a folder without a
    `summary.json`, which no reader takes for a run."""
    aside = staging / "previous"
    aside.mkdir()
    moves: list[tuple[Path, Path]] = []
    try:
        for name in (SUMMARY, *METRICS, EVENTS):
            if os.path.lexists(out_dir / name):
                move(out_dir / name, aside / name, moves)
        for name in (metrics_name, EVENTS, SUMMARY):
            move(staging / name, out_dir / name, moves)
    except OSError:
        for source, target in reversed(moves):
            with contextlib.suppress(OSError):  # undo as much as can be undone
                os.replace(target, source)
        raise
    return [out_dir / name for name in (metrics_name, EVENTS, SUMMARY)]


def move(source: Path, target: Path, moves: list[tuple[Path, Path]]) -> None:
    os.replace(source, target)
    moves.append((source, target))


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


def writable_folder_problem(folder: Path, flag: str, purpose: str) -> str | None:
    """Why `folder` (the value of `flag`) cannot be written, made if missing, or None: proved
    with a probe file before any work starts, so nothing fails half-way for want of a disk."""
    problem = link_problem(folder)
    if problem:
        return f"{flag}: {problem}"
    if folder.exists() and not folder.is_dir():
        return f"{flag}: {folder} exists and is not a folder; give a folder to write into"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-check"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as error:
        return f"{flag}: cannot write to {folder} ({error.strerror or error}); give a {purpose}"
    return None
