"""connect: a client on a running scheduler or a local loopback cluster; no hang, clear errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

distributed = pytest.importorskip("distributed")

from advval.distributed._cluster import ClusterHandle, connect  # noqa: E402


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])


@pytest.fixture
def handshakes(monkeypatch) -> list[tuple[str, float, float]]:
    """What ``connect`` waits with: (where, the handshake's timeout, Dask's rpc timeout)."""
    import distributed.core

    from advval.distributed import _cluster

    calls: list[tuple[str, float, float]] = []
    real_handshake, real_rpc = _cluster._handshake, distributed.core.rpc

    def handshake(address: str, timeout: float):
        calls.append((address, timeout, float("nan")))
        return real_handshake(address, timeout)

    class Rpc(real_rpc):  # type: ignore[misc, valid-type]
        def __init__(self, address, *args, **kwargs):
            where, waited, _ = calls[-1]
            calls[-1] = (where, waited, kwargs.get("timeout"))
            super().__init__(address, *args, **kwargs)

    monkeypatch.setattr(_cluster, "_handshake", handshake)
    monkeypatch.setattr(distributed.core, "rpc", Rpc)
    return calls


def test_closed_port_fails_fast_naming_the_address(handshakes):
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(ConnectionError, match=rf"Cannot reach the Dask scheduler at '{address}' "
                       r"within 0\.5 s") as raised:
        connect(scheduler=address, timeout=0.5)
    # Dask retries a refused connection until the timeout given, and no longer: the
    # handshake and Dask's connection both got 0.5 s (not Dask's default of 30 s)
    assert isinstance(raised.value.__cause__, OSError)
    assert handshakes == [(address, 0.5, 0.5)]


def test_silent_listener_times_out_instead_of_hanging(silent_port, handshakes):
    address = f"tcp://127.0.0.1:{silent_port}"
    with pytest.raises(ConnectionError, match=rf"'{address}' within 0\.5 s") as raised:
        connect(scheduler=address, timeout=0.5)
    # the given timeout, not Dask's default, is what ended the wait on a listener that
    # never answers (a hang would never get here)
    assert isinstance(raised.value.__cause__, (TimeoutError, asyncio.TimeoutError))
    assert handshakes == [(address, 0.5, 0.5)]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"scheduler": "nonsense://127.0.0.1:1"}, ValueError,
         r"The 'scheduler' parameter of connect must be a Dask scheduler address such as "
         r"'tcp://127\.0\.0\.1:8786'\. Got 'nonsense://127\.0\.0\.1:1' instead"),
        ({"scheduler": 8786}, TypeError,
         r"The 'scheduler' parameter of connect must be a str .* Got int instead\."),
        ({"scheduler": "tcp://127.0.0.1:1", "workers": 2}, ValueError,
         r"The 'scheduler' and 'workers' parameters of connect exclude each other"),
        ({"workers": 0}, ValueError,
         r"The 'workers' parameter of connect must be an int in the range \[1, inf\) or None\. "
         r"Got 0 instead\."),
        ({"workers": 1.5}, ValueError, r"The 'workers' parameter of connect must be an int"),
        ({"timeout": 0}, ValueError,
         r"The 'timeout' parameter of connect must be a float in the range \(0, inf\)\. "
         r"Got 0 instead\."),
        ({"workers": 1, "threads_per_worker": 0}, ValueError,
         r"The 'threads_per_worker' parameter of connect must be an int in the range \[1, inf\)"),
    ],
)
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        connect(**kwargs)


def test_existing_scheduler_is_used_and_left_running(cluster):
    with connect(scheduler=cluster.scheduler_address, timeout=5) as client:
        assert client.submit(sum, [1, 2, 3]).result() == 6
        assert distributed.default_client() is client
    assert client.status == "closed"
    with distributed.Client(cluster, set_as_default=False) as again:
        assert again.submit(sum, [4, 5]).result() == 9


def test_a_worker_address_is_not_a_scheduler(cluster):
    worker = next(iter(cluster.scheduler_info["workers"]))
    with pytest.raises(ConnectionError, match=r"it is a Dask Worker, not a scheduler"):
        connect(scheduler=worker, timeout=5)


def test_local_cluster_on_loopback_is_closed_on_exit():
    handle = connect(workers=1, threads_per_worker=1, memory_limit="1GiB", timeout=30)
    assert isinstance(handle, ClusterHandle)
    assert handle.cluster is not None and "local cluster" in repr(handle)
    with handle as client:
        info = client.scheduler_info()
        assert handle.address.startswith("tcp://127.0.0.1:")
        assert len(info["workers"]) == 1
        assert all(w.startswith("tcp://127.0.0.1:") for w in info["workers"])
        assert client.submit(pow, 2, 10).result() == 1024
    assert client.status == "closed"
    assert handle.cluster.status.name == "closed"
    with pytest.raises(ConnectionError):
        connect(scheduler=handle.address, timeout=0.5)


def test_neither_option_starts_a_default_local_cluster():
    with connect(timeout=30) as client:
        workers = client.scheduler_info()["workers"]
        assert len(workers) >= 1
        assert all(w.startswith("tcp://127.0.0.1:") for w in workers)
    assert client.status == "closed"
