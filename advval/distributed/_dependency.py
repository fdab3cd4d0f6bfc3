"""The Dask fit of :class:`~advval.FeatureDependencyChecker`: its row budget, drawn on the cluster.

The single-machine checker never trains a target model on more than
``MAX_TRAIN_ROWS`` (10,000) rows nor scores it on more than ``MAX_SCORED_ROWS`` (20,000):
beyond that, more rows do not change its scores or tests (their standard errors are
already negligible; see ``advval.dependency._crossfit``). Its statistics on a billion rows
are therefore those of a uniform sample of a few tens of thousands. The Dask path draws
that sample on the cluster, without collecting the data: a row is kept when a seeded hash
of its content falls below ``SAMPLE_ROWS / n_rows`` (so the sample does not depend on the
partitioning, and keeps the rows' order), only the kept rows travel to the driver, and
the single-machine fit runs on them: one implementation of the checker's statistics. With
at most ``SAMPLE_ROWS`` rows every row is kept and the result equals the single-machine
fit exactly.

What this does *not* do: train the per-column models with LightGBM's distributed
training. Each model sees at most 10,000 rows by design, so a cluster-wide fit would not
change what is measured; the row-level flags that look at one column's values
(``id_like_features_``, ``near_duplicates_``) are judged on the sample too.

Fitted attributes are those of the single-machine checker, plus ``n_rows_in_`` (rows of
the Dask frame) and ``n_rows_sampled_`` (rows checked).
"""

from __future__ import annotations

from typing import Any

import dask
import numpy as np
import pandas as pd
from distributed import Client

from ._client import as_dask, resolve_client
from ._folds import row_keys, uniforms
from ._progress import compute

#: most rows the checker is run on (a hash-based sample above this)
SAMPLE_ROWS = 50_000
_OWNER = "FeatureDependencyChecker"
_Y = "__advval_target"
_SALT = 6


def _take(part: pd.DataFrame, target: Any, rate: float, seed: int) -> pd.DataFrame:
    """The partition's rows whose hash falls below ``rate`` (with the target, if any)."""
    if target is not None:
        values = np.asarray(target)
        if len(values) != len(part):
            raise ValueError(
                f"y has {len(values)} value(s) in a partition where X has {len(part)} rows; y "
                f"must be a Dask Series partitioned like X (e.g. a column of the same frame) "
                f"or an array with one value per row of X."
            )
    if rate >= 1.0:
        rows = np.arange(len(part))
    else:
        keys = row_keys(part.reset_index(drop=True), seed)
        rows = np.flatnonzero(uniforms(keys, _SALT) < rate)
    taken = part.iloc[rows].reset_index(drop=True)
    if target is not None:
        taken[_Y] = np.asarray(target, dtype=object if values.dtype == object else None)[rows]
    return taken


def _target_parts(y: Any, lengths: list[int], n_parts: int) -> list[Any]:
    if y is None:
        return [None] * n_parts
    if type(y).__module__.split(".")[0] in ("dask", "dask_expr"):
        parts = list(y.to_delayed())
        if len(parts) != n_parts:
            raise ValueError(
                f"y has {len(parts)} partition(s) but X has {n_parts}; y must be partitioned "
                f"like X (e.g. a column of the same Dask frame)."
            )
        return parts
    values = np.asarray(y)
    if values.ndim != 1 or len(values) != sum(lengths):
        raise ValueError(
            f"y must have one value per row of X ({sum(lengths)} rows); got an array of "
            f"shape {values.shape}."
        )
    edges = np.cumsum([0, *lengths])
    return [values[edges[i] : edges[i + 1]] for i in range(n_parts)]


def fit_checker(checker: Any, X: Any, y: Any) -> Any:
    """Fit ``checker`` on a hash-based sample of the Dask frame ``X`` drawn on the cluster."""
    client: Client = resolve_client(checker.client, owner=_OWNER)
    with client.as_current():
        frame = as_dask(X, name="X", client=client)
        if _Y in frame.columns:
            raise ValueError(f"X has a column named {_Y!r}, a name advval reserves; rename it.")
        [counted] = compute(client, [frame.map_partitions(len)], step="counting the rows")
        lengths = [int(n) for n in counted]
        n_rows = sum(lengths)
        rate = 1.0 if n_rows <= SAMPLE_ROWS else SAMPLE_ROWS / n_rows
        seed = checker.random_state if isinstance(checker.random_state, int) else 0
        parts = frame.to_delayed()
        targets = _target_parts(y, lengths, len(parts))
        tasks = [
            dask.delayed(_take)(part, target, rate, seed)
            for part, target in zip(parts, targets, strict=True)
        ]
        pieces = compute(client, tasks, step="sampling the rows")
    sample = pd.concat(pieces, ignore_index=True)
    target = None
    if y is not None:
        target = sample.pop(_Y).to_numpy()
    checker._fit_frame(sample, target)
    checker.n_rows_in_ = n_rows
    checker.n_rows_sampled_ = len(sample)
    return checker
