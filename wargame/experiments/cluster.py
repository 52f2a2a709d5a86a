"""Dask as a sweep engine: a LocalCluster or an existing scheduler, behind the executor interface.

Dask distributed is an optional extra (`pip install ".[cluster]"`). The runner only ever sees
`Client.get_executor()`, a `concurrent.futures` executor; Dask itself reschedules the tasks of a
worker that dies. Workers that cannot import this package get it shipped as a zip; its
dependencies (Mesa, NumPy, ...) must already be installed there.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path

ENV_ADDRESS = "DASK_SCHEDULER_ADDRESS"


class ClusterError(Exception):
    """Dask is missing, or the cluster cannot be reached or used."""


def _wargame_version() -> str:
    import wargame

    return wargame.__version__


def ship_package(client) -> int:
    """Upload this package to every worker that cannot import it; returns how many needed it."""
    answers = client.run(_wargame_version, on_error="return")
    missing = [w for w, answer in answers.items() if isinstance(answer, BaseException)]
    if missing:
        package = Path(__file__).resolve().parents[1]
        with tempfile.TemporaryDirectory() as folder:
            archive = shutil.make_archive(
                os.path.join(folder, "wargame"), "zip", package.parent, package.name
            )
            client.upload_file(archive)
    return len(missing)


@contextmanager
def dask_engine(address: str, workers: int) -> Iterator[tuple[Callable[[], Executor], str]]:
    """Yield (make_executor, description) for `local` (a new LocalCluster) or an address."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError(
            '--dask needs Dask distributed: install the extra with  pip install ".[cluster]"'
        ) from None
    cluster = None
    try:
        if address == "local":
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,  # the engine is pure Python: processes, not threads
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
            description = f"a Dask LocalCluster of {workers} workers"
        else:
            try:
                client = Client(address, timeout="15s")
            except (OSError, TimeoutError) as error:
                raise ClusterError(
                    f"--dask {address}: cannot reach the scheduler ({error})"
                ) from None
            description = (
                f"the Dask cluster at {address} ({len(client.scheduler_info()['workers'])} workers)"
            )
        try:
            shipped = ship_package(client)
            if shipped:
                description += f"; package shipped to {shipped} workers"
            yield (lambda: client.get_executor(pure=False)), description
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def resolve_address(value: str | None) -> str:
    """`--dask` with no value means the scheduler named by DASK_SCHEDULER_ADDRESS."""
    if value:
        return value
    address = os.environ.get(ENV_ADDRESS)
    if not address:
        raise ClusterError(f"--dask needs `local`, an address, or {ENV_ADDRESS} set")
    return address
