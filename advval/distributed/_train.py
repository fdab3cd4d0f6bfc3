"""Training the domain classifier with LightGBM's distributed training on a fixed layout.

LightGBM's data-parallel training depends on how the rows sit on the machines: machine
``r`` finds the bin boundaries of its share of the features from *its* rows, and bagging
samples each machine's local rows. ``lightgbm.dask`` assigns the ranks in the order the
scheduler reports where the data is (a set: it changes from call to call), so the same
data gave a different model on every fit. Here the rows are first moved into a canonical
layout: ``n_parts`` buckets by row key (a multiple of the worker count), each bucket sorted
by key; bucket ``i`` goes to the worker of rank ``i % n_workers`` (workers in address
order), and LightGBM's network is started with exactly that rank order (``machines``,
``local_listen_port``, ``num_machines``; the mechanism ``lightgbm.dask`` uses, its
orchestration done here). A model is then a function of the data and the seed only: the
same whatever the input partitioning, fit after fit. The layout costs one shuffle of the
encoded rows, which distributed training needs anyway to spread them over the workers.

Early stopping: in distributed training each machine would evaluate a validation set on
its own rows, so stopping cannot be decided consistently inside it. The number of rounds
of each model is chosen instead by the single-machine rule
(:func:`advval._models.fit_classifier`: warm-up, patience, inner validation split) on a
deterministic sample of that model's training rows (at most ``STOPPING_SAMPLE_ROWS``);
the distributed model is then trained for that many rounds on all of them. With more
rows than the sample, early stopping would allow more rounds, so this errs towards
simpler models: it can cost power, never the p-value's size (the forward-chained test is
valid for any model that did not see the fold it scores).
"""

from __future__ import annotations

import ctypes
import math
import os
import socket
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import dask.dataframe as dd
import lightgbm
import numpy as np
import pandas as pd
from distributed import Client, Future
from sklearn.base import ClassifierMixin, clone

from .._models import fit_classifier
from ._progress import wait_for

#: rows of the per-model sample on which the number of boosting rounds is chosen
STOPPING_SAMPLE_ROWS = 100_000
#: most rows of one canonical training partition
ROWS_PER_TRAINING_PART = 500_000
#: minutes a machine waits for the others to join the training network
TRAINING_TIMEOUT_MINUTES = 10

#: Dask's shuffle for the layout: "p2p" streams large data with bounded memory
SHUFFLE_METHOD = "p2p"

KEY, Y, FOLD = "__advval_key", "__advval_y", "__advval_fold"
_BUCKET = "__advval_bucket"


def _canonical(part: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by key (then label: twins across sides keep one order)."""
    return part.sort_values([KEY, Y], kind="mergesort").reset_index(drop=True)


def _same(part: pd.DataFrame) -> pd.DataFrame:
    return part


class Layout:
    """The encoded rows in canonical buckets, each pinned to one worker.

    Parameters
    ----------
    data : dask DataFrame
        Encoded features plus the key, label and fold columns (kept rows only).
    client : Client
    n_rows : int
        Rows of ``data`` (sets the number of buckets).
    """

    def __init__(self, data: dd.DataFrame, client: Client, *, n_rows: int) -> None:
        self.client = client
        self.workers = sorted(client.ncores())
        if not self.workers:
            raise RuntimeError("The Dask cluster has no worker; start at least one.")
        n_workers = len(self.workers)
        n_parts = n_workers * max(1, math.ceil(n_rows / (n_workers * ROWS_PER_TRAINING_PART)))
        self.meta = data._meta
        bucketed = data.assign(**{_BUCKET: (data[KEY] % np.uint64(n_parts)).astype("int64")})
        indexed = bucketed.set_index(
            _BUCKET, divisions=[*range(n_parts), n_parts - 1], shuffle_method=SHUFFLE_METHOD
        )
        # sorted as each bucket arrives, so no unsorted copy outlives its task
        buckets = client.compute(indexed.map_partitions(_canonical, meta=self.meta).to_delayed())
        wait_for(client, buckets, step="moving the rows into the training layout")
        self.parts: list[tuple[Future, str]] = []
        for i, bucket in enumerate(buckets):
            worker = self.workers[i % n_workers]
            # the same object when the bucket is already there, else one transfer
            pinned = client.submit(
                _same, bucket, workers=[worker], allow_other_workers=False, pure=False
            )
            self.parts.append((pinned, worker))
        wait_for(client, [p for p, _ in self.parts], step="placing the training layout")
        del buckets

    def release(self) -> None:
        self.parts = []


def rounds_on_sample(
    template: ClassifierMixin,
    sample: pd.DataFrame,
    features: list[str],
    folds: Sequence[int],
    *,
    random_state: int,
) -> int:
    """Boosting rounds the single-machine early-stopping rule picks on the sample."""
    rows = sample[sample[FOLD].isin(list(folds))]
    y = rows[Y].to_numpy(dtype=np.int_)
    local = fit_classifier(template, rows[features], y, random_state=random_state)
    best = int(getattr(local, "best_iteration_", 0) or 0)
    return best if best > 0 else int(local.n_estimators_)


def _free_port(dask_worker: Any) -> int:
    """A TCP port free right now on the interface this worker listens on (no other).

    Run with ``Client.run``, which passes the worker as ``dask_worker``.
    """
    host = urlparse(dask_worker.address).hostname or "127.0.0.1"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _silence_this_thread() -> None:
    """Set LightGBM's log level of the calling thread to fatal-only.

    LightGBM keeps its log level per thread and sets it when it reads parameters; the
    network is started before the booster's ``verbose=-1`` is read, so without this the
    worker prints "Trying to bind port ...", "Connected to rank ..." and retry warnings.
    Building a tiny dataset with ``verbose=-1`` on this thread sets the level first.
    """
    tiny = lightgbm.Dataset(np.zeros((2, 1)), label=np.array([0, 1]), params={"verbose": -1})
    tiny.construct()


@contextmanager
def _c_stdout_discarded() -> Iterator[None]:
    """Discard what C code writes to file descriptor 1 inside the block (flushed first).

    Where the C library cannot be loaded (not a POSIX system) nothing is discarded.
    """
    try:
        libc = ctypes.CDLL(None)
    except (OSError, TypeError):
        yield
        return
    if sys.stdout is not None:
        sys.stdout.flush()
    libc.fflush(None)
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
        yield
    finally:
        libc.fflush(None)
        os.dup2(saved, 1)
        os.close(saved)


@contextmanager
def _lightgbm_network(machines: str, port: int, minutes: int, n_machines: int) -> Iterator[None]:
    """LightGBM's network started on this thread (where it lives), quietly; freed after.

    The network's listening thread has no log level of its own and prints
    "[LightGBM] [Info] Listening..."; that line is written while the network starts, so
    the worker's standard output is discarded for that second only. (What ``Booster``
    does with a ``machines`` parameter, done here so it can be quiet.)
    """
    _silence_this_thread()
    basic = lightgbm.basic  # the calls Booster.set_network / free_network make
    with _c_stdout_discarded():
        basic._safe_call(
            basic._LIB.LGBM_NetworkInit(
                basic._c_str(machines),
                ctypes.c_int(port),
                ctypes.c_int(minutes),
                ctypes.c_int(n_machines),
            )
        )
    try:
        yield
    finally:
        basic._safe_call(basic._LIB.LGBM_NetworkFree())


def _fold_rows(
    parts: list[pd.DataFrame], features: list[str], folds: Sequence[int]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and labels of this machine's rows in ``folds``: one copy, canonical order."""
    masks = [part[FOLD].isin(list(folds)).to_numpy() for part in parts]
    labels = np.concatenate(
        [part[Y].to_numpy(dtype=np.int_)[mask] for part, mask in zip(parts, masks, strict=True)]
    )
    chosen = [part.loc[mask, features] for part, mask in zip(parts, masks, strict=True)]
    if len(chosen) == 1:
        return chosen[0].reset_index(drop=True), labels
    return pd.concat(chosen, ignore_index=True), labels


def _train_rank(
    parts: list[pd.DataFrame],
    template: ClassifierMixin,
    features: list[str],
    folds: tuple[int, ...],
    network: dict[str, Any],
    threads: int,
    rank: int,
) -> ClassifierMixin | None:
    """One machine of the distributed training: its rows, the shared network settings."""
    X, y = _fold_rows(parts, features, folds)
    model = clone(template).set_params(
        n_jobs=threads,
        tree_learner="data",
        pre_partition=True,
        num_machines=network["n_machines"],
    )
    with _lightgbm_network(**network):
        model.fit(X, y)
    del X
    if rank != 0:
        return None
    # the network settings describe this training, not the fitted model
    return model.set_params(
        tree_learner="serial",
        pre_partition=False,
        num_machines=None,
        n_jobs=None,
    )


def fit_distributed(
    layout: Layout,
    template: ClassifierMixin,
    features: list[str],
    folds: Sequence[int],
    *,
    rounds: int,
) -> ClassifierMixin:
    """Train a clone of ``template`` for ``rounds`` rounds on the rows of ``folds``.

    Every worker trains on its own buckets; rank ``r`` is the ``r``-th worker in address
    order. Returns the fitted model (an ordinary LightGBM classifier).
    """
    client = layout.client
    workers = layout.workers
    by_worker: dict[str, list[Future]] = {w: [] for w in workers}
    for part, worker in layout.parts:
        by_worker[worker].append(part)
    ports = client.run(_free_port, workers=workers)
    machines = ",".join(f"{urlparse(w).hostname}:{ports[w]}" for w in workers)
    threads = client.ncores(workers)
    model = clone(template).set_params(n_estimators=rounds)
    tasks = [
        client.submit(
            _train_rank,
            by_worker[worker],
            model,
            features,
            tuple(folds),
            {
                "machines": machines,
                "port": ports[worker],
                "minutes": TRAINING_TIMEOUT_MINUTES,
                "n_machines": len(workers),
            },
            threads[worker],
            rank,
            workers=[worker],
            allow_other_workers=False,
            pure=False,
        )
        for rank, worker in enumerate(workers)
    ]
    wait_for(client, tasks, step="training the domain classifier")
    fitted = client.gather(tasks)[0]
    if fitted is None:  # pragma: no cover - rank 0 always returns its model
        raise RuntimeError("Distributed LightGBM training returned no model.")
    return fitted
