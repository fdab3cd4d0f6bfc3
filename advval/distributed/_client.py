"""Which Dask client runs the work, and Dask versions of the user's inputs."""

from __future__ import annotations

from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client, default_client

from .._frames import as_frame

#: rows per partition when a pandas frame is handed to the cluster
ROWS_PER_PARTITION = 250_000


def resolve_client(client: Any, *, owner: str) -> Client:
    """``client`` when given, else the current default client; a clear error when none.

    LightGBM's distributed training runs on the workers of a ``distributed`` cluster,
    so a local threaded scheduler is not enough.
    """
    if client is not None:
        if not isinstance(client, Client):
            raise TypeError(
                f"The 'client' parameter of {owner} must be a distributed.Client or None. "
                f"Got {type(client).__name__} instead."
            )
        return client
    try:
        return default_client()
    except ValueError:
        raise RuntimeError(
            f"{owner} got Dask data but no Dask cluster is running: the models train on the "
            f"workers of a distributed cluster. Start one, e.g. `with "
            f"advval.distributed.connect(workers=2) as client:`, and pass client=client (or "
            f"fit inside that block)."
        ) from None


def as_dask(X: Any, *, name: str, client: Client) -> dd.DataFrame:
    """``X`` as a Dask DataFrame with checked column names (pandas input is split up)."""
    if isinstance(X, dd.DataFrame):
        as_frame(X._meta_nonempty, name=name)
        return X
    if type(X).__module__.split(".")[0] == "dask":
        raise TypeError(f"{name} must be a Dask DataFrame; got a {type(X).__name__}.")
    frame = pd.DataFrame(as_frame(X, name=name))
    workers = max(len(client.ncores()), 1)
    partitions = min(len(frame), max(workers, -(-len(frame) // ROWS_PER_PARTITION)))
    edges = np.linspace(0, len(frame), partitions + 1).astype(int)
    # scattered, not embedded in the task graph (which would be sent as one huge message)
    futures = client.scatter([frame.iloc[a:b] for a, b in zip(edges[:-1], edges[1:], strict=True)])
    return dd.from_delayed(futures, meta=frame.iloc[:0], verify_meta=False)


def shared(client: Client, value: Any) -> Any:
    """``value`` copied once to every worker, as an argument for ``map_partitions``.

    Fitted models would otherwise be embedded in the task graph of every computation.
    """
    [future] = client.scatter([value], broadcast=True, hash=False)
    return dask.delayed(future)
