"""A sweep's results folder: Parquet parts of one explicit schema, written atomically, and a manifest.

    results/<name>/
      manifest.json        the experiment file, its fingerprint, package versions, git commit
      design.parquet       the design table (one row per point)
      runs/part-*.parquet  one row per finished run (zstd)
      timeseries/part-*.parquet   optional per-round rows

Every kill leaves a folder that a rerun resumes, and a folder that plain `pd.read_parquet` reads
correctly:

- The folder appears whole: it is built (manifest, design, subfolders) under a hidden name beside
  its final place and renamed into place. `--fresh` builds the new folder the same way and swaps.
- A part is written to a hidden `.tmp` file and renamed. Parquet readers skip hidden files.
- A runs part marks its runs done, so the timeseries part of the same stamp is completed hidden
  (`.ready`) before the runs part appears and made visible after it: a visible timeseries row
  always has its run. Opening the folder again finishes or removes what a kill interrupted.
- Every part has the schema the runner passes in, so types never depend on which rows (or how
  many) a part happened to hold.
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import platform
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wargame.config.text import printable
from wargame.experiments.errors import StoreError
from wargame.experiments.outputs import MANIFEST, output_problem

PACKAGES = (
    "mesa",
    "numpy",
    "networkx",
    "pandas",
    "pyarrow",
    "pydantic",
    "SALib",
    "distributed",
    "gulf-wargame",
)
DESIGN = "design.parquet"
READY = ".ready"  # a complete timeseries part waiting for its runs part
BUILDING = ".building-"  # a results folder under construction, beside its final place
DISCARDED = ".discarded-"  # a results folder replaced by --fresh, being deleted
LOCK = ".lock"  # beside the results folder, while a sweep writes it
# Test-only: seconds write_part sleeps between its timeseries and runs writes, so a kill test
# can land in that window on purpose.
SLOW_PART_ENV = "WARGAME_TEST_SLOW_PART_S"


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    versions["python"] = platform.python_version()
    return versions


def git_commit(folder: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def write_atomically(path: Path, write) -> None:
    """Write through a hidden temporary file renamed onto `path`. A failure is reported under
    `path`, the name the user knows, never the temporary one."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(path)) from None
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def writer_lock(folder: Path) -> Iterator[None]:
    """Hold the one lock that lets a sweep write `folder`, or raise StoreError at once naming the
    sweep that holds it. The lock is an exclusive `flock` on a hidden file beside the folder,
    not in it: it must exist before the folder does (a sweep creating it) and outlive `--fresh`
    swapping the folder, and nothing ends up inside the results, whose subfolders plain
    `pd.read_parquet` reads. The kernel drops the lock with the process, so a killed sweep
    never leaves a stale one; the file itself is removed on the way out."""
    real = Path(os.path.realpath(folder))  # one lock whichever link names the folder
    path = real.parent / f".{real.name}{LOCK}"
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        descriptor = locked_file(path, printable(folder))
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
    except OSError as error:
        raise StoreError(
            f"{printable(folder)}: cannot lock the results folder ({printable(path)}: "
            f"{error.strerror or error}); expected a folder whose parent you can write to"
        ) from None
    try:
        yield
    finally:
        path.unlink(missing_ok=True)  # before unlocking: see locked_file
        os.close(descriptor)


def locked_file(path: Path, shown: str) -> int:
    """An open descriptor of `path`, exclusively locked. A holder removes the file before it
    unlocks, so a lock won on a file no longer at `path` is worthless: try again."""
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
            os.close(descriptor)
            raise StoreError(
                f"{shown}: another sweep (pid {holder or 'unknown'}) is writing this folder; "
                "wait for it to finish or stop it, then run this command again"
            ) from None
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        opened = os.fstat(descriptor)
        if current and (current.st_dev, current.st_ino) == (opened.st_dev, opened.st_ino):
            return descriptor
        os.close(descriptor)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ResultStore:
    def __init__(
        self,
        folder: Path,
        runs_schema: pa.Schema | None = None,
        timeseries_schema: pa.Schema | None = None,
    ):
        self.folder = folder
        self.runs_dir = folder / "runs"
        self.timeseries_dir = folder / "timeseries"
        self.runs_schema = runs_schema
        self.timeseries_schema = timeseries_schema

    # --- opening --------------------------------------------------------------------------

    def open(
        self, fingerprint: str, manifest: dict[str, Any], design: pd.DataFrame, fresh: bool
    ) -> set[str]:
        """Create, replace (fresh) or reopen the folder; returns the run ids already stored."""
        self._remove_stale_siblings()
        manifest_path = self.folder / MANIFEST
        if manifest_path.exists():
            try:
                existing = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise StoreError(
                    f"{printable(manifest_path)}: unreadable manifest ({printable(error)}); "
                    "move the folder away"
                ) from None
            if fresh:
                self._create(fingerprint, manifest, design, replace=True)
                return set()
            if existing.get("fingerprint") != fingerprint:
                raise StoreError(
                    f"{printable(self.folder)}: holds results of a different experiment (or a changed one); "
                    "choose another output folder, or pass --fresh to replace them"
                )
            self._repair()
            return self.stored_run_ids()
        problem = output_problem(self.folder)
        if problem:
            raise StoreError(problem)
        self._create(fingerprint, manifest, design, replace=False)
        return set()

    def _create(
        self, fingerprint: str, manifest: dict[str, Any], design: pd.DataFrame, replace: bool
    ) -> None:
        """Build the whole folder under a hidden name beside it, then rename it into place
        (onto nothing or an empty folder), so a kill leaves either nothing or a results folder."""
        # Through any link to the folder: a rename onto a link would replace the link itself.
        final = Path(os.path.realpath(self.folder))
        parent = final.parent
        building = parent / f".{final.name}{BUILDING}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            parent.mkdir(parents=True, exist_ok=True)
            (building / "runs").mkdir(parents=True)
            (building / "timeseries").mkdir()
            design.to_parquet(building / DESIGN, index=False)
            manifest = {
                **manifest,
                "fingerprint": fingerprint,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
            (building / MANIFEST).write_text(
                json.dumps(manifest, indent=2, default=str), encoding="utf-8"
            )
            if replace:
                discarded = parent / f".{final.name}{DISCARDED}{uuid.uuid4().hex[:8]}"
                os.rename(final, discarded)
                os.rename(building, final)
                shutil.rmtree(discarded, ignore_errors=True)
            else:
                os.rename(building, final)
        except OSError as error:
            shutil.rmtree(building, ignore_errors=True)
            raise StoreError(
                f"{printable(self.folder)}: cannot create the results folder "
                f"({error.strerror or error})"
            ) from None

    def _remove_stale_siblings(self) -> None:
        """Folders a killed sweep was building or discarding beside this one."""
        final = Path(os.path.realpath(self.folder))
        if not final.parent.is_dir():
            return
        for path in final.parent.glob(f".{glob.escape(final.name)}.*-*"):
            tail = path.name.removeprefix(f".{final.name}")
            if tail.startswith(DISCARDED):
                shutil.rmtree(path, ignore_errors=True)
            elif tail.startswith(BUILDING):
                pid = tail.removeprefix(BUILDING).split("-")[0]
                if pid.isdigit() and not pid_alive(int(pid)):
                    shutil.rmtree(path, ignore_errors=True)

    def _repair(self) -> None:
        """Finish or undo what a kill interrupted: temporary files go; a complete timeseries part
        whose runs part exists is made visible; one without its runs part is removed."""
        self.runs_dir.mkdir(exist_ok=True)
        self.timeseries_dir.mkdir(exist_ok=True)
        for folder in (self.folder, self.runs_dir, self.timeseries_dir):
            for temporary in folder.glob(".*.tmp"):
                temporary.unlink(missing_ok=True)
        done = {p.name for p in self.runs_dir.glob("part-*.parquet")}
        for ready in self.timeseries_dir.glob(f".part-*.parquet{READY}"):
            name = ready.name.removeprefix(".").removesuffix(READY)
            if name in done:
                os.replace(ready, self.timeseries_dir / name)
            else:
                ready.unlink()
        # A visible timeseries part without its runs part (a runs part deleted by hand, or a
        # folder from before the ready step): its runs will run again, so its rows must go.
        for part in self.timeseries_dir.glob("part-*.parquet"):
            if part.name not in done:
                part.unlink()

    def stored_run_ids(self) -> set[str]:
        ids: set[str] = set()
        for part in sorted(self.runs_dir.glob("part-*.parquet")):
            ids.update(pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist())
        return ids

    # --- writing --------------------------------------------------------------------------

    def write_part(self, rows: list[dict[str, Any]], timeseries: list[dict[str, Any]]) -> None:
        """Timeseries completed hidden, then the runs part (the mark that its runs are done),
        then the timeseries made visible: no reader ever sees a timeseries row without its run."""
        if not rows:
            return
        name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        ready = None
        if timeseries:
            ready = self.timeseries_dir / f".{name}{READY}"
            write_atomically(ready, lambda p: self._write(timeseries, self.timeseries_schema, p))
            if os.environ.get(SLOW_PART_ENV):
                time.sleep(float(os.environ[SLOW_PART_ENV]))
        write_atomically(self.runs_dir / name, lambda p: self._write(rows, self.runs_schema, p))
        if ready is not None:
            os.replace(ready, self.timeseries_dir / name)

    @staticmethod
    def _write(rows: list[dict[str, Any]], schema: pa.Schema | None, path: Path) -> None:
        table = pa.Table.from_pylist(rows, schema=schema)
        pq.write_table(table, path, compression="zstd")

    # --- reading --------------------------------------------------------------------------

    def read_runs(self) -> pd.DataFrame:
        return read_parts(self.runs_dir)

    def read_timeseries(self) -> pd.DataFrame:
        return read_parts(self.timeseries_dir)

    def failures(self) -> tuple[int, int, list[tuple[str, int]]]:
        """(runs stored, runs failed, the commonest errors with their counts)."""
        parts = sorted(self.runs_dir.glob("part-*.parquet"))
        if not parts:
            return 0, 0, []
        table = pa.concat_tables(
            [pq.read_table(p, columns=["run_id", "status", "error"]) for p in parts]
        )
        frame = table.to_pandas().drop_duplicates(subset=["run_id"])
        failed = frame.loc[frame["status"] != "ok", "error"].fillna("unknown error")
        return len(frame), len(failed), list(failed.value_counts().head(3).items())


def read_parts(folder: Path) -> pd.DataFrame:
    """All parts as one frame, in a stable order. Read as one Arrow table so every column has
    one dtype whatever the parts held; booleans with gaps (a failed run) stay booleans."""
    parts = sorted(folder.glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame()
    # Folders from before the one-schema rule may differ part to part: promote those.
    table = pa.concat_tables([pq.read_table(p) for p in parts], promote_options="permissive")
    frame = table.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
    if "round" in frame.columns:
        frame = frame.drop_duplicates(subset=["run_id", "round"], keep="first")
        return frame.sort_values(["run_id", "round"], kind="stable").reset_index(drop=True)
    # A run stored twice (never expected) keeps its first row only.
    frame = frame.drop_duplicates(subset=["run_id"], keep="first")
    return frame.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
