"""A session-wide Dask LocalCluster on loopback: 2 worker processes, 1 thread each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="session")
def cluster() -> Iterator[distributed.LocalCluster]:
    """Two worker processes on 127.0.0.1 (no dashboard, no other address)."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # the scheduler's HTTP server binds 8787 unless told otherwise: a free loopback port
        # instead, so a cluster someone else runs on this machine cannot break the fixture
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    ) as local:
        yield local


@pytest.fixture(scope="session")
def client(cluster: distributed.LocalCluster) -> Iterator[distributed.Client]:
    """A client of the session cluster (not made the default: tests pass it explicitly)."""
    with distributed.Client(cluster, set_as_default=False) as connected:
        yield connected
