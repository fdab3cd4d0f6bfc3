"""Waits on the cluster fail clearly when the workers are stuck at their memory limit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

distributed = pytest.importorskip("distributed")

from distributed.core import Status  # noqa: E402

from advval.distributed import _progress  # noqa: E402


def _pause_threshold(fraction: float | None):
    """Set a worker's pause threshold; its own memory monitor then pauses or resumes it."""

    def apply(dask_worker):
        previous = dask_worker.memory_manager.memory_pause_fraction
        dask_worker.memory_manager.memory_pause_fraction = fraction
        return previous

    return apply


def _wait_status(client, paused: bool, workers=None) -> None:
    def status(dask_worker):
        return dask_worker.status == Status.paused

    deadline = time.monotonic() + 30
    while not all(v == paused for v in client.run(status, workers=workers).values()):
        assert time.monotonic() < deadline, "the workers' memory monitor did not act"
        time.sleep(0.05)


@contextmanager
def _memory_pressure(client, workers=None) -> Iterator[None]:
    """Workers paused for real: their process memory is above a (tiny) pause threshold."""
    previous = client.run(_pause_threshold(1e-6), workers=workers)
    try:
        _wait_status(client, True, workers)
        yield
    finally:
        fraction = next(iter(previous.values()))
        client.run(_pause_threshold(fraction), workers=workers)
        _wait_status(client, False, workers)


@pytest.fixture
def quick_watch(monkeypatch) -> None:
    monkeypatch.setattr(_progress, "PAUSE_PATIENCE_SECONDS", 1.0)
    monkeypatch.setattr(_progress, "POLL_SECONDS", 0.2)


@pytest.fixture
def paused(client) -> Iterator[None]:
    """Every worker paused by its memory monitor, with nothing it could spill."""
    with _memory_pressure(client):
        yield


def test_paused_workers_with_nothing_running_raise_a_clear_error(client, quick_watch, paused):
    future = client.submit(sum, [1, 2], pure=False)
    # a stall is reported after the patience set (1 s here, not the 60 s default), not
    # waited on forever: the message names the patience the watch used
    expected = r"ran out of memory while adding.*memory_limit.* for 1 s with no task.*max_rows"
    with pytest.raises(MemoryError, match=expected):
        _progress.wait_for(client, [future], step="adding")
    assert future.cancelled()


def test_a_paused_worker_still_running_a_task_is_not_a_stall(client, quick_watch):
    worker = sorted(client.ncores())[0]
    # a builtin: the workers cannot import this test module to unpickle a function of it
    future = client.submit(time.sleep, 3.0, workers=[worker], pure=False)
    while not client.processing(workers=[worker])[worker]:
        time.sleep(0.05)
    time.sleep(0.3)  # started on the worker's thread
    with _memory_pressure(client, [worker]):
        _progress.wait_for(client, [future], step="sleeping")  # longer than the patience
    assert future.status == "finished"


def test_compute_and_persist_return_what_dask_would(client):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    frame = dd.from_pandas(pd.DataFrame({"a": range(100)}), npartitions=4)
    total, rows = _progress.compute(client, [frame["a"].sum(), frame], step="summing")
    assert total == 4950 and len(rows) == 100
    held = _progress.persist(client, frame, step="holding")
    assert all(f.status == "finished" for f in distributed.futures_of(held))
    assert _progress.compute(client, [], step="nothing") == []
