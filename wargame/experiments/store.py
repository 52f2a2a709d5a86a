"""A sweep's results folder: Parquet parts written atomically as runs finish, and a manifest.

    results/<name>/
      manifest.json        the experiment file, its fingerprint, package versions, git commit
      design.parquet       the design table (one row per point)
      runs/part-*.parquet  one row per finished run (zstd)
      timeseries/part-*.parquet   optional per-round rows

A part is written to a hidden temporary file and renamed into place, so a sweep killed at any
moment leaves only whole parts. Restarting reads the run ids already stored and runs the rest;
a folder that holds a different experiment is refused rather than mixed.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wargame.experiments.errors import StoreError

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
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


class ResultStore:
    def __init__(self, folder: Path):
        self.folder = folder
        self.runs_dir = folder / "runs"
        self.timeseries_dir = folder / "timeseries"

    # --- opening --------------------------------------------------------------------------

    def open(
        self, fingerprint: str, manifest: dict[str, Any], design: pd.DataFrame, fresh: bool
    ) -> set[str]:
        """Create or reopen the folder; returns the run ids already stored."""
        manifest_path = self.folder / "manifest.json"
        if manifest_path.exists():
            try:
                existing = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise StoreError(
                    f"{manifest_path}: unreadable manifest ({error}); move the folder away"
                ) from None
            if existing.get("fingerprint") != fingerprint and not fresh:
                raise StoreError(
                    f"{self.folder}: holds results of a different experiment (or a changed one); "
                    "choose another output folder, or pass --fresh to replace them"
                )
            if fresh:
                self._clear()
        elif self.folder.exists() and any(self.folder.iterdir()) and not fresh:
            raise StoreError(f"{self.folder}: exists, is not empty and is not a results folder")
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            self.timeseries_dir.mkdir(exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"{self.folder}: cannot create the results folder ({error.strerror})"
            ) from None
        if not manifest_path.exists() or fresh:
            write_atomically(
                self.folder / "design.parquet", lambda p: design.to_parquet(p, index=False)
            )
            manifest = {
                **manifest,
                "fingerprint": fingerprint,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
            write_atomically(
                manifest_path, lambda p: p.write_text(json.dumps(manifest, indent=2, default=str))
            )
        return self.stored_run_ids()

    def _clear(self) -> None:
        for folder in (self.runs_dir, self.timeseries_dir):
            for part in folder.glob("*.parquet"):
                part.unlink()

    def stored_run_ids(self) -> set[str]:
        ids: set[str] = set()
        for part in sorted(self.runs_dir.glob("part-*.parquet")):
            ids.update(pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist())
        return ids

    # --- writing --------------------------------------------------------------------------

    def write_part(self, rows: list[dict[str, Any]], timeseries: list[dict[str, Any]]) -> None:
        """Timeseries first: a runs row is the mark that a run is done, so it is written last."""
        stamp = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        if timeseries:
            table = pa.Table.from_pylist(timeseries)
            write_atomically(
                self.timeseries_dir / f"part-{stamp}.parquet",
                lambda p: pq.write_table(table, p, compression="zstd"),
            )
        if rows:
            table = pa.Table.from_pylist(rows)
            write_atomically(
                self.runs_dir / f"part-{stamp}.parquet",
                lambda p: pq.write_table(table, p, compression="zstd"),
            )

    # --- reading --------------------------------------------------------------------------

    def read_runs(self) -> pd.DataFrame:
        return read_parts(self.runs_dir)

    def read_timeseries(self) -> pd.DataFrame:
        return read_parts(self.timeseries_dir)


def read_parts(folder: Path) -> pd.DataFrame:
    parts = sorted(folder.glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame()
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    if "round" in frame.columns:
        frame = frame.drop_duplicates(subset=["run_id", "round"], keep="first")
        return frame.sort_values(["run_id", "round"], kind="stable").reset_index(drop=True)
    # A run redone after a crash between two writes keeps its first row only.
    frame = frame.drop_duplicates(subset=["run_id"], keep="first")
    return frame.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
