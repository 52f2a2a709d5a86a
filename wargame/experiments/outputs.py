"""Writing one run to disk: per-round metrics (CSV or Parquet), events (JSON lines), a summary.

Files are written into a temporary folder beside the target and moved into place only when all
of them are complete, so an interrupted write never leaves a half-written result behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # keep this module light: the CLI imports it before it needs pandas or Mesa
    from wargame.experiments.single_run import RunResult

FORMATS = ("csv", "parquet")


class OutputError(Exception):
    """The output folder cannot be used (a file in the way, no permission ...)."""


def check_output_folder(out_dir: str | Path) -> Path:
    """Fail before a long run, not after it, when the output folder cannot be used."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: exists and is not a folder")
    parent = next((p for p in (out_dir, *out_dir.parents) if p.exists()), Path("."))
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{out_dir}: cannot write there (no permission on {parent})")
    return out_dir


def write_run(result: RunResult, out_dir: str | Path, fmt: str = "parquet") -> list[Path]:
    if fmt not in FORMATS:
        raise OutputError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    out_dir = check_output_folder(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=out_dir))
    except OSError as error:
        raise OutputError(
            f"{out_dir}: cannot create the output folder ({error.strerror})"
        ) from None
    try:
        metrics_name = f"metrics.{fmt}"
        if fmt == "csv":
            result.metrics.to_csv(staging / metrics_name, index=False)
        else:
            result.metrics.to_parquet(staging / metrics_name, index=False, compression="zstd")
        with open(staging / "events.jsonl", "w", encoding="utf-8") as handle:
            for event in result.events:
                handle.write(json.dumps(event.to_dict(), sort_keys=True) + "\n")
        with open(staging / "summary.json", "w", encoding="utf-8") as handle:
            json.dump(result.summary, handle, indent=2, sort_keys=True, default=str)
            handle.write("\n")
        written = []
        for name in (metrics_name, "events.jsonl", "summary.json"):
            os.replace(staging / name, out_dir / name)
            written.append(out_dir / name)
        return written
    except OSError as error:
        raise OutputError(f"{out_dir}: cannot write results ({error})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
