"""A Dask client for the distributed fit: an existing scheduler, or a local cluster on loopback.

Reaching a scheduler is checked first with a bounded handshake, because a client pointed
at a port where something listens but never answers would otherwise wait forever.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._validation import check_number

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

__all__ = ["ClusterHandle", "connect"]

_OWNER = "connect"
#: the only interface a local cluster listens on
LOOPBACK = "127.0.0.1"


class ClusterHandle:
    """A :class:`distributed.Client`, and the local cluster it owns, closed together on exit.

    Use it as a context manager: ``with connect(workers=2) as client: ...``. The client is
    Dask's default while it is open, so ``.compute()`` and the training run on it.

    Parameters
    ----------
    client : distributed.Client
        The connected client.
    cluster : distributed.LocalCluster, optional
        A cluster started for this handle (closed with it); None for an existing scheduler,
        which is left running.

    Attributes
    ----------
    address : str
        The scheduler's address.
    """

    def __init__(self, client: Client, cluster: LocalCluster | None = None) -> None:
        self.client = client
        self.cluster = cluster
        scheduler = client.scheduler
        self.address = str(scheduler.address) if scheduler is not None else ""

    def __enter__(self) -> Client:
        return self.client

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the client, then the local cluster if this handle started one."""
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()

    def __repr__(self) -> str:
        kind = "local cluster" if self.cluster is not None else "scheduler"
        return f"ClusterHandle({kind} at {self.address!r})"


async def _handshake(address: str, timeout: float) -> Any:
    from distributed.core import rpc

    remote = rpc(address, timeout=timeout)
    try:
        return await asyncio.wait_for(remote.identity(), timeout)
    finally:
        await remote.close_rpc()


def _probe(address: str, timeout: float) -> None:
    """Ask the scheduler who it is, in a private event loop, for at most ``timeout`` seconds.

    Raises
    ------
    ConnectionError
        Naming the address when nothing answers in time or the connection is refused.
    ValueError
        For an address Dask cannot parse.
    """
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="advval-probe") as pool:
        future = pool.submit(asyncio.run, _handshake(address, timeout))
        try:
            identity = future.result(timeout=timeout + 1.0)
        except (OSError, asyncio.TimeoutError, concurrent.futures.TimeoutError) as exc:
            reason = str(exc).strip() or "no answer"
            raise ConnectionError(
                f"Cannot reach the Dask scheduler at {address!r} within {timeout:g} s "
                f"({reason}). Check the address (e.g. 'tcp://10.0.0.5:8786') and that the "
                "scheduler is running and reachable from here."
            ) from exc
        except ValueError as exc:
            raise ValueError(
                f"The 'scheduler' parameter of {_OWNER} must be a Dask scheduler address such "
                f"as 'tcp://127.0.0.1:8786'. Got {address!r} instead ({exc})."
            ) from exc
    if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
        found = identity.get("type") if isinstance(identity, dict) else type(identity).__name__
        raise ConnectionError(
            f"The address {address!r} answers, but it is a Dask {found}, not a scheduler; "
            "give the scheduler's address."
        )


def connect(
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    timeout: float = 10.0,
    threads_per_worker: int | None = None,
    memory_limit: str | float | None = "auto",
) -> ClusterHandle:
    """A Dask client on an existing scheduler, or on a new local cluster of worker processes.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``"tcp://10.0.0.5:8786"``). Nothing is started.
    workers : int, optional
        Start a :class:`distributed.LocalCluster` of this many worker processes listening
        on 127.0.0.1 only, dashboard off; it is closed with the handle. With neither
        ``scheduler`` nor ``workers``, Dask's default local cluster size is used.
    timeout : float, default 10.0
        Seconds to wait for the scheduler: an unreachable or silent address fails within
        about this time instead of hanging.
    threads_per_worker : int, optional
        Local cluster only: threads per worker process (default: the cores divided among
        the workers).
    memory_limit : str, float or None, default "auto"
        Local cluster only: memory per worker (``"4GiB"``; ``"auto"`` divides the
        machine's memory among the workers). Near it, workers spill what they can to
        disk and pause; a fit whose workers stay paused with nothing running fails with
        a ``MemoryError`` after a minute instead of waiting.

    Returns
    -------
    ClusterHandle
        A context manager whose ``__enter__`` gives the :class:`distributed.Client`.

    Raises
    ------
    ConnectionError
        The scheduler cannot be reached within ``timeout`` seconds (naming the address).
    ValueError
        Both ``scheduler`` and ``workers`` given, or a parameter out of range.

    See Also
    --------
    advval.distributed.read_frames : the lazy input frames.

    Examples
    --------
    >>> import socket
    >>> with socket.socket() as s:  # a free local port: nothing listens there
    ...     _ = s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    >>> connect(scheduler=f"tcp://127.0.0.1:{port}", timeout=0.5)
    Traceback (most recent call last):
    ...
    ConnectionError: Cannot reach the Dask scheduler at 'tcp://127.0.0.1:...' within 0.5 s ...
    """
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError(
            f"The 'scheduler' parameter of {_OWNER} must be a str such as "
            f"'tcp://127.0.0.1:8786' or None. Got {type(scheduler).__name__} instead."
        )
    check_number(workers, name="workers", owner=_OWNER, kind=int, low=1, allow_none=True)
    check_number(timeout, name="timeout", owner=_OWNER, low=0, closed="neither")
    check_number(
        threads_per_worker,
        name="threads_per_worker",
        owner=_OWNER,
        kind=int,
        low=1,
        allow_none=True,
    )
    if scheduler is not None and workers is not None:
        raise ValueError(
            f"The 'scheduler' and 'workers' parameters of {_OWNER} exclude each other: give "
            f"a scheduler address to use a running cluster, or workers to start a local one. "
            f"Got scheduler={scheduler!r} and workers={workers!r}."
        )
    from distributed import Client, LocalCluster

    timeout = float(timeout)
    if scheduler is not None:
        _probe(scheduler, timeout)
        return ClusterHandle(Client(scheduler, timeout=timeout))
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=threads_per_worker,
        processes=True,
        host=LOOPBACK,
        memory_limit=memory_limit,
        dashboard_address=None,
        silence_logs=logging.ERROR,  # Dask's progress warnings are not the user's business
        # the scheduler's HTTP endpoint (health checks) on a free loopback port, no dashboard
        scheduler_kwargs={"dashboard": False, "dashboard_address": f"{LOOPBACK}:0"},
    )
    try:
        client = Client(cluster, timeout=timeout)
    except BaseException:
        cluster.close()
        raise
    return ClusterHandle(client, cluster)
