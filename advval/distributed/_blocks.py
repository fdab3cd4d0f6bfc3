"""Time blocks for ``time_col`` on Dask data: contiguous blocks of each side, kept in one fold.

As on one machine (``advval.drift._grouping``), each side is cut into
``n_splits * BLOCKS_PER_FOLD`` contiguous time blocks and every block stays in one fold, so
neighbouring records cannot leak across folds. The cut points are the quantiles of a
hash-based sample of the time column (at most ``SAMPLE_ROWS`` values a side, collected to
the driver: one column), so they do not depend on the partitioning; each side's blocks
are shuffled into folds with exactly ``BLOCKS_PER_FOLD`` blocks per fold, seeded.
"""

from __future__ import annotations

import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client
from numpy.typing import NDArray

from ..drift._grouping import BLOCKS_PER_FOLD
from ._folds import row_keys, uniforms
from ._progress import compute

#: time values a side whose quantiles give the block edges
SAMPLE_ROWS = 100_000
_SALT = 7


def order_key(values: pd.Series, *, column: str, name: str) -> NDArray[np.float64]:
    """The time column as floats (datetimes in ns); NaN where missing.

    Examples
    --------
    >>> order_key(pd.Series(pd.to_datetime(["1970-01-01", None])), column="t", name="X")
    array([ 0., nan])
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = pd.to_datetime(values)
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        raw = stamps.to_numpy(dtype="datetime64[ns]")
        key = raw.astype(np.int64).astype(np.float64)
        key[np.isnat(raw)] = np.nan
        return key
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan))
    raise TypeError(
        f"The 'time_col' column {column!r} must be datetime or numeric; in {name} it is "
        f"{values.dtype}."
    )


def _sampled_keys(part: pd.DataFrame, column: str, rate: float, seed: int) -> pd.DataFrame:
    key = order_key(part[column], column=column, name="X")
    keep = uniforms(row_keys(part.reset_index(drop=True), seed), _SALT) < rate
    return pd.DataFrame({"key": key[keep]})


def block_edges(
    frame: dd.DataFrame,
    column: str,
    *,
    name: str,
    n_rows: int,
    n_splits: int,
    client: Client,
    seed: int,
) -> NDArray[np.float64]:
    """Inner cut points of the ``n_splits * BLOCKS_PER_FOLD`` time blocks of one side."""
    order_key(frame._meta[column], column=column, name=name)  # type check up front
    rate = min(1.0, SAMPLE_ROWS / max(n_rows, 1))
    meta = pd.DataFrame({"key": pd.Series(dtype=np.float64)})
    sampled = frame.map_partitions(_sampled_keys, column, rate, seed, meta=meta)
    sample, missing = compute(
        client, [sampled, frame[column].isna().sum()], step="cutting the time blocks"
    )
    keys = sample["key"].to_numpy(dtype=np.float64)
    if int(missing) > 0 or keys.size == 0:
        raise ValueError(f"The 'time_col' column {column!r} has missing values in {name}.")
    n_blocks = n_splits * BLOCKS_PER_FOLD
    return np.quantile(np.sort(keys), np.arange(1, n_blocks) / n_blocks)


def block_folds(n_splits: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Fold of each block: a seeded shuffle with ``BLOCKS_PER_FOLD`` blocks per fold.

    Examples
    --------
    >>> np.bincount(block_folds(3, np.random.default_rng(0))).tolist()
    [5, 5, 5]
    """
    folds = np.repeat(np.arange(n_splits, dtype=np.int64), BLOCKS_PER_FOLD)
    return folds[rng.permutation(folds.size)]


def blocks_of(values: pd.Series, edges: NDArray[np.float64], column: str) -> NDArray[np.int64]:
    """Block number of each value (0 .. len(edges))."""
    key = order_key(values, column=column, name="X")
    return np.searchsorted(edges, key, side="right").astype(np.int64)
