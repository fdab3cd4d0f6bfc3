"""The Dask fit of :class:`~advval.FeatureDependencyChecker`: its row budget, drawn on the cluster.

The checker's per-column models use a uniform sample of its row budget (``max_rows``,
:mod:`advval.dependency._budget`: 24,598 rows at the defaults): past it, more rows do not
make any column's score more precise. Its statistics on a billion rows are therefore those
of a uniform sample of a few tens of thousands. The Dask path draws that sample on the
cluster, without collecting the data: a row is kept when a seeded hash of its content
falls below ``rate`` (so the sample does not depend on the partitioning, and keeps the
rows' order), with ``rate`` a little above ``budget / n_rows`` (``SAFETY`` binomial
standard deviations more) so that the sample holds the budget's rows; only the kept rows
travel to the driver, and the single-machine fit runs on them, drawing its budget
uniformly from them: one implementation of the checker's statistics. With at most the
budget's rows every row is kept and the result equals the single-machine fit exactly;
``max_rows=None`` collects every row.

What this does *not* do: train the per-column models with LightGBM's distributed
training. Each model sees at most 10,000 rows by design, so a cluster-wide fit would not
change what is measured; the column kinds and the row-level flags that look at one
column's values (``id_like_features_``, ``near_duplicates_``) are judged on the sample.

This module only draws the sample (:func:`sample_rows`, a frozen
:class:`advval.dependency._fitted.RowSample`); the checker runs its fit on it and sets its
attributes: those of the single-machine checker (``n_rows_in_``: rows of the Dask frame;
``n_rows_used_``: rows the models used), plus ``n_rows_sampled_`` (rows brought to the
driver).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dask
import numpy as np
import pandas as pd
from distributed import Client

from ..dependency._fitted import RowSample
from ._client import as_dask, resolve_client
from ._folds import row_keys, uniforms
from ._progress import compute

#: binomial standard deviations the hash sample's expected size exceeds the budget by
SAFETY = 4.0
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


def sample_rows(
    X: Any,
    y: Any,
    *,
    client: Any,
    budget: Callable[[int], int | None],
    seed: int,
    name: str = "X",
) -> RowSample:
    """A hash-based sample of the Dask frame ``X`` (and ``y``), drawn on the cluster.

    ``budget(n_rows)`` is the checker's row budget for the frame's ``n_rows`` rows
    (``None``: every row); the sample holds it with a margin (:func:`sample_rate`).
    ``seed`` seeds the row hash. The checker runs its in-memory fit on the sample.
    ``name``: what the errors call ``X`` (the caller's argument, or the user's files).
    """
    resolved: Client = resolve_client(client, owner=_OWNER)
    with resolved.as_current():
        frame = as_dask(X, name=name, client=resolved)
        if _Y in frame.columns:
            raise ValueError(
                f"{name} has a column named {_Y!r}, a name advval reserves; rename it."
            )
        [counted] = compute(resolved, [frame.map_partitions(len)], step="counting the rows")
        lengths = [int(n) for n in counted]
        n_rows = sum(lengths)
        rate = sample_rate(budget(n_rows), n_rows)
        parts = frame.to_delayed()
        targets = _target_parts(y, lengths, len(parts))
        tasks = [
            dask.delayed(_take)(part, target, rate, seed)
            for part, target in zip(parts, targets, strict=True)
        ]
        pieces = compute(resolved, tasks, step="sampling the rows")
    sample = pd.concat(pieces, ignore_index=True)
    target = None
    if y is not None:
        target = sample.pop(_Y).to_numpy()
    return RowSample(frame=sample, target=target, n_rows=n_rows)


def sample_rate(budget: int | None, n_rows: int) -> float:
    """Share of the rows the hash sample keeps: enough that it holds ``budget`` rows.

    Examples
    --------
    >>> sample_rate(None, 10**9), sample_rate(500, 400)
    (1.0, 1.0)
    >>> round(sample_rate(24_598, 10**6), 4)
    0.0252
    """
    if budget is None:
        return 1.0
    wanted = budget + SAFETY * float(np.sqrt(budget))
    return min(1.0, wanted / n_rows)
