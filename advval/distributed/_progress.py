"""Waiting on the cluster without hanging: workers stuck at their memory limit are an error.

A Dask worker whose memory passes its pause threshold (80% of ``memory_limit`` by
default) stops starting tasks until spilling to disk brings it back down. When what fills
it cannot be spilled (memory held by running libraries, a shuffle's buffers, data too
large to move), it stays paused: the computation neither progresses nor fails, and a
plain ``compute`` waits forever. Every wait of the Dask path goes through
:func:`wait_for`, which polls the workers and raises :class:`MemoryError` naming the
fix once some worker has been paused, with no task running anywhere, for
``PAUSE_PATIENCE_SECONDS`` in a row. A paused worker that is still running a task (a
long LightGBM training, say) is progressing and is left alone.
"""

from __future__ import annotations

import time
from typing import Any

from distributed import Client, Future, futures_of
from distributed.core import Status

#: seconds some worker must stay paused, with nothing running anywhere, before failing
PAUSE_PATIENCE_SECONDS = 60.0
#: seconds between two looks at the workers (and the longest nap between two checks)
POLL_SECONDS = 2.0
#: first nap between two checks of the futures; it doubles up to POLL_SECONDS
FIRST_NAP_SECONDS = 0.005


def _worker_state(dask_worker: Any) -> dict[str, Any]:
    """Pause flag, running tasks and memory of one worker (run by ``Client.run``)."""
    manager = getattr(dask_worker, "memory_manager", None)
    return {
        "paused": dask_worker.status == Status.paused,
        "running": len(dask_worker.state.executing),
        "limit": getattr(manager, "memory_limit", None),
        "pause_fraction": getattr(manager, "memory_pause_fraction", None),
    }


def _stall_message(states: dict[str, dict[str, Any]], step: str, patience: float) -> str:
    paused = [address for address, state in states.items() if state["paused"]]
    limits = sorted({state["limit"] for state in states.values() if state["limit"]})
    fractions = {state["pause_fraction"] for state in states.values()}
    fraction = fractions.pop() if len(fractions) == 1 else None
    limit_text = (
        f" (memory_limit {', '.join(f'{limit / 2**30:.2f} GiB' for limit in limits)}"
        + (f", paused above {fraction:.0%} of it" if fraction else "")
        + ")"
        if limits
        else ""
    )
    return (
        f"The Dask workers ran out of memory while {step}: {len(paused)} of {len(states)} "
        f"worker(s) have been paused at their memory limit{limit_text} for {patience:.0f} s "
        f"with no task running, and Dask could not free the memory by spilling. Give each "
        f"worker more memory (memory_limit), add workers, or train on a row sample "
        f"(max_rows=..., --max-rows in the CLI)."
    )


def wait_for(client: Client, futures: Any, *, step: str) -> None:
    """Wait until ``futures`` (futures or persisted collections) finish; fail on a stall.

    Parameters
    ----------
    client : Client
    futures : Future, collection of futures, or persisted Dask collection
    step : str
        What the cluster is doing, for the error message ("training the models").

    Raises
    ------
    MemoryError
        Some worker stayed paused at its memory limit, with no task running on any
        worker, for ``PAUSE_PATIENCE_SECONDS``. The futures are cancelled first.
    """
    pending: list[Future] = futures_of(futures)
    stalled_since: float | None = None
    nap, last_look = FIRST_NAP_SECONDS, time.monotonic()
    while True:
        # polled: distributed.wait needs a *default* client, and its timeout does not fire
        # while every worker is paused
        pending = [future for future in pending if not future.done()]
        if not pending:
            return
        time.sleep(nap)
        nap = min(2 * nap, POLL_SECONDS)
        now = time.monotonic()
        if now - last_look < POLL_SECONDS:
            continue
        last_look = now
        states = client.run(_worker_state)
        stalled = any(s["paused"] for s in states.values()) and not any(
            s["running"] for s in states.values()
        )
        if not stalled:
            stalled_since = None
            continue
        stalled_since = now if stalled_since is None else stalled_since
        if now - stalled_since >= PAUSE_PATIENCE_SECONDS:
            client.cancel(pending)
            raise MemoryError(_stall_message(states, step, PAUSE_PATIENCE_SECONDS))


def compute(client: Client, collections: list[Any], *, step: str) -> list[Any]:
    """``client.compute(collections)`` gathered, waiting through :func:`wait_for`."""
    futures = client.compute(collections)
    wait_for(client, futures, step=step)
    return list(client.gather(futures))


def persist(client: Client, collection: Any, *, step: str) -> Any:
    """``client.persist(collection)`` once it is held on the workers (see :func:`wait_for`)."""
    held = client.persist(collection)
    wait_for(client, held, step=step)
    return held
