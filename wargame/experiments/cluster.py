"""Dask as a sweep engine: a LocalCluster or an existing scheduler, behind the executor interface.

Dask distributed is an optional extra (`pip install ".[cluster]"`). The runner only ever sees
`Client.get_executor()`, a `concurrent.futures` executor; Dask itself reschedules the tasks of a
worker that dies. Workers that cannot import this package get it shipped as a zip; its
dependencies (Mesa, NumPy, ...) must already be installed there.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path

ENV_ADDRESS = "DASK_SCHEDULER_ADDRESS"
ADDRESS_FORMS = (
    "`local` (a new LocalCluster), tcp://HOST:PORT or tls://HOST:PORT (an existing scheduler; "
    "an IPv6 host in brackets, tcp://[::1]:8786), or --dask with no value and "
    f"${ENV_ADDRESS} set to one of these addresses"
)
# scheme, then a host name or IPv4 address, or an IPv6 address in brackets, then the port
ADDRESS = re.compile(r"(tcp|tls)://(?:([A-Za-z0-9._-]+)|\[([0-9A-Fa-f:.]+)\]):([0-9]{1,5})")


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
            client = connect(Client, address)
            description = f"the Dask cluster at {address}"
        try:
            description = described(client, address, description)
            yield (lambda: client.get_executor(pure=False)), description
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def connect(client_class, address: str):
    """A client of the scheduler at `address`; whatever Dask raises becomes a ClusterError."""
    try:
        return client_class(address, timeout="15s")
    except Exception as error:  # noqa: BLE001  (Dask raises OSError, TimeoutError, TypeError...)
        raise ClusterError(f"--dask {address}: {connection_problem(error)}") from None


def described(client, address: str, description: str) -> str:
    """The engine's description, once the package is shipped to the workers that need it; a
    scheduler that breaks off now is a ClusterError too."""
    try:
        if address != "local":
            description += f" ({len(client.scheduler_info()['workers'])} workers)"
        shipped = ship_package(client)
    except Exception as error:  # noqa: BLE001  (as in `connect`)
        raise ClusterError(f"--dask {address}: {connection_problem(error)}") from None
    return description + (f"; package shipped to {shipped} workers" if shipped else "")


def connection_problem(error: Exception) -> str:
    text = str(error) or type(error).__name__
    if "ssl" in text.lower() or "tls" in text.lower():
        return (
            f"cannot connect over TLS ({text}); TLS needs certificates in Dask's configuration "
            "(distributed.comm.tls.*)"
        )
    if isinstance(error, (OSError, TimeoutError)):
        return f"cannot reach the scheduler ({text})"
    return f"cannot use the scheduler ({type(error).__name__}: {text})"


def resolve_address(value: str | None) -> str:
    """`--dask` with no value means the scheduler named by DASK_SCHEDULER_ADDRESS. The address
    is checked here, before anything runs: `local`, or tcp:// or tls:// with a host and a port."""
    if value:
        return check_address(value, f"--dask {value!r}")
    address = os.environ.get(ENV_ADDRESS)
    if not address:
        raise ClusterError(f"--dask needs {ADDRESS_FORMS}")
    return check_address(address, f"--dask with {ENV_ADDRESS}={address!r}")


def check_address(address: str, source: str) -> str:
    if address == "local":
        return address
    match = ADDRESS.fullmatch(address)
    problem = None if match else "not an address this accepts"
    if match:
        _, host, ipv6, port = match.groups()
        if not 1 <= int(port) <= 65535:
            problem = f"port {port} is not between 1 and 65535"
        elif ipv6 is not None and not is_ip(ipv6, ipaddress.IPv6Address):
            problem = f"[{ipv6}] is not an IPv6 address"
        elif host is not None and re.fullmatch(r"[0-9.]+", host) and not is_ip(host):
            problem = f"{host} is not an IPv4 address"
    if problem:
        raise ClusterError(f"{source}: {problem}; expected {ADDRESS_FORMS}")
    return address


def is_ip(text: str, kind=ipaddress.IPv4Address) -> bool:
    try:
        kind(text)
    except ValueError:
        return False
    return True
