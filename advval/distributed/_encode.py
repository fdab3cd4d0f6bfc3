"""Learn the :class:`~advval._frames.FrameEncoder` of Dask frames without collecting them.

Each partition is reduced to a *digest*: per column the distinct values of categorical
and boolean columns, the finite value of largest magnitude (which sets the column's
:func:`~advval._frames.magnitude_unit`) and one infinite value, if any, of numeric
columns, one timestamp (and one with a non-zero UTC hour, if any) of datetime columns.
The digests of all partitions are merged and expanded into a small pandas frame with the
original dtypes that the single-machine :meth:`FrameEncoder.fit` sees exactly as it
would see the full data: same column kinds, categories, dropped columns, datetime parts,
and the same error for infinite values. One implementation of the encoding rules.
"""

from __future__ import annotations

from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client

from .._frames import BOOLEAN, CATEGORICAL, DATETIME, NUMERIC, FrameEncoder, column_kind
from ._progress import compute

Digest = tuple[dict[str, pd.Series], int]


def digest(frame: pd.DataFrame) -> Digest:
    """Representative values of each column of one partition, and its row count.

    Examples
    --------
    >>> values, n = digest(pd.DataFrame({"a": ["x", "y", "x"], "b": [1.0, np.inf, 2.0]}))
    >>> values["a"].tolist(), values["b"].tolist(), n
    (['x', 'y'], [2.0, inf], 3)
    """
    values = {column: _representatives(frame[column]) for column in frame.columns}
    return values, len(frame)


def _representatives(series: pd.Series) -> pd.Series:
    kind = column_kind(series)
    observed = series.dropna()
    if kind in (CATEGORICAL, BOOLEAN):
        return observed.drop_duplicates()
    if kind == NUMERIC and pd.api.types.is_float_dtype(observed.dtype):
        values = observed.to_numpy(dtype=np.float64)
        finite = np.flatnonzero(np.isfinite(values))
        largest = finite[np.argmax(np.abs(values[finite]))] if finite.size else finite
        picks = [np.atleast_1d(largest), np.flatnonzero(~np.isfinite(values))[:1]]
        return observed.iloc[np.concatenate(picks)]
    if kind == NUMERIC and pd.api.types.is_integer_dtype(observed.dtype) and len(observed):
        return observed.iloc[[int(np.argmax(np.abs(observed.to_numpy(dtype=np.float64))))]]
    if kind == DATETIME:
        stamps = pd.to_datetime(observed)
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert("UTC")
        hour = np.flatnonzero(stamps.dt.hour.to_numpy() != 0)[:1]
        return observed.iloc[np.unique(np.r_[0, hour])] if len(observed) else observed
    return observed.iloc[:1]


def merge_digests(digests: list[Digest], meta: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One frame with every column's representatives (cycled to one length), and the rows.

    Examples
    --------
    >>> meta = pd.DataFrame({"a": pd.Series(dtype=object), "b": pd.Series(dtype=float)})
    >>> parts = [digest(pd.DataFrame({"a": ["x"], "b": [np.nan]})),
    ...          digest(pd.DataFrame({"a": ["y", "z"], "b": [np.nan, np.nan]}))]
    >>> frame, n = merge_digests(parts, meta)
    >>> frame["a"].tolist(), bool(frame["b"].isna().all()), n
    (['x', 'y', 'z'], True, 3)
    """
    columns: dict[str, pd.Series] = {}
    for column in meta.columns:
        pieces = [values[column] for values, _ in digests if len(values[column])]
        if not pieces:
            columns[column] = meta[column].iloc[:0]
            continue
        merged = pd.concat(pieces, ignore_index=True)
        columns[column] = _representatives(merged).reset_index(drop=True)
    length = max([len(s) for s in columns.values()] + [1])
    frame = {}
    for column, values in columns.items():
        if len(values) == 0:
            frame[column] = pd.Series(index=pd.RangeIndex(length), dtype=meta[column].dtype)
        else:
            frame[column] = values.iloc[np.arange(length) % len(values)].reset_index(drop=True)
    return pd.DataFrame(frame), sum(n for _, n in digests)


def summarize(frame: dd.DataFrame, client: Client) -> tuple[pd.DataFrame, int]:
    """The merged digest of a Dask frame (one pass over its partitions) and its rows."""
    tasks = [dask.delayed(digest)(part) for part in frame.to_delayed()]
    digests: list[Any] = compute(client, tasks, step="reading the column types")
    return merge_digests(digests, frame._meta)


def fit_encoder(
    train: dd.DataFrame, test: dd.DataFrame, client: Client
) -> tuple[FrameEncoder, int, int]:
    """The encoder the single-machine path would learn from both frames, and their rows."""
    train_digest, n_train = summarize(train, client)
    test_digest, n_test = summarize(test, client)
    encoder = FrameEncoder().fit(train_digest, test_digest)
    encoder.check_finite(train_digest, name="X_train")
    encoder.check_finite(test_digest, name="X_test")
    return encoder, n_train, n_test
