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

import math
import socket
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client, Future, wait
from sklearn.base import ClassifierMixin, clone

from .._models import fit_classifier

#: rows of the per-model sample on which the number of boosting rounds is chosen
STOPPING_SAMPLE_ROWS = 100_000
#: most rows of one canonical training partition
ROWS_PER_TRAINING_PART = 2_000_000
#: minutes a machine waits for the others to join the training network
TRAINING_TIMEOUT_MINUTES = 10

#: Dask's shuffle for the layout: "p2p" streams large data with bounded memory
SHUFFLE_METHOD = "p2p"

KEY, Y, FOLD = "__advval_key", "__advval_y", "__advval_fold"
_BUCKET = "__advval_bucket"


def _canonical(part: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by key (then label: twins across sides keep one order)."""
    return part.sort_values([KEY, Y], kind="mergesort").reset_index(drop=True)


def _rows_of_folds(part: pd.DataFrame, folds: Sequence[int]) -> pd.DataFrame:
    return part[part[FOLD].isin(list(folds))].reset_index(drop=True)


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
        shuffled = client.compute(indexed.to_delayed())
        self.parts: list[tuple[Future, str]] = []
        for i, future in enumerate(shuffled):
            worker = self.workers[i % n_workers]
            pinned = client.submit(
                _canonical, future, workers=[worker], allow_other_workers=False, pure=False
            )
            self.parts.append((pinned, worker))
        wait([p for p, _ in self.parts])
        del shuffled

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


def _train_rank(
    parts: list[pd.DataFrame],
    template: ClassifierMixin,
    features: list[str],
    network: dict[str, Any],
    threads: int,
    rank: int,
) -> ClassifierMixin | None:
    """One machine of the distributed training: its rows, the shared network settings."""
    data = pd.concat(parts, ignore_index=True)
    model = clone(template).set_params(
        n_jobs=threads, tree_learner="data", pre_partition=True, **network
    )
    try:
        model.fit(data[features], data[Y].to_numpy(dtype=np.int_))
    finally:
        if getattr(model, "fitted_", False):
            model.booster_.free_network()
    if rank != 0:
        return None
    # the network settings describe this training, not the fitted model
    return model.set_params(
        tree_learner="serial",
        pre_partition=False,
        machines=None,
        local_listen_port=None,
        num_machines=None,
        time_out=None,
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
        by_worker[worker].append(
            client.submit(
                _rows_of_folds,
                part,
                tuple(folds),
                workers=[worker],
                allow_other_workers=False,
                pure=False,
            )
        )
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
            {
                "machines": machines,
                "local_listen_port": ports[worker],
                "num_machines": len(workers),
                "time_out": TRAINING_TIMEOUT_MINUTES,
            },
            threads[worker],
            rank,
            workers=[worker],
            allow_other_workers=False,
            pure=False,
        )
        for rank, worker in enumerate(workers)
    ]
    fitted = client.gather(tasks)[0]
    if fitted is None:  # pragma: no cover - rank 0 always returns its model
        raise RuntimeError("Distributed LightGBM training returned no model.")
    return fitted
