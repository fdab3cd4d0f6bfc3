"""Groups and time blocks for the domain cross-fitting, so the check itself does not leak.

Rows that belong together (one customer's records; consecutive records of a time series)
must not be split between the folds that train the domain classifier and the fold it
scores: otherwise the classifier recognises the group, not the distribution, and the AUC
is inflated. ``groups`` keeps each group in one fold; ``time_col`` cuts each side into
contiguous time blocks and keeps each block in one fold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._frames import ALIGN_NAMES

#: time blocks per fold and side: each fold gets about this many blocks of each side
BLOCKS_PER_FOLD = 5


def split_off_groups(
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    groups: Any,
    time_col: str | None,
    n_splits: int,
    names: tuple[str, str] = ALIGN_NAMES,
) -> tuple[pd.DataFrame, pd.DataFrame, NDArray[np.int_] | None]:
    """Remove the grouping columns from both frames and return one group id per row.

    Parameters
    ----------
    train, test : DataFrame
        Aligned frames (same columns).
    groups : str, array-like of length n_train + n_test, or None
        A column present in both frames, or one label per row (train rows first).
    time_col : str or None
        A datetime or numeric column: each side is cut into contiguous blocks.
    n_splits : int
    names : tuple of (str, str), default=("X_train", "X_test")
        What the errors call ``train`` and ``test`` (see
        :func:`~advval._frames.align_columns`).

    Returns
    -------
    train, test : DataFrame
        Without the ``groups`` / ``time_col`` columns (they are not features).
    group_ids : ndarray of int or None
        Group of every row (train then test); rows of one group share a fold.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1.0, 2, 3, 4], "user": ["u1", "u1", "u2", "u3"]})
    >>> b = pd.DataFrame({"x": [5.0, 6], "user": ["u3", "u4"]})
    >>> train, test, ids = split_off_groups(a, b, groups="user", time_col=None, n_splits=2)
    >>> list(train.columns), ids.tolist()
    (['x'], [0, 0, 1, 2, 2, 3])
    """
    n_total = len(train) + len(test)
    ids: NDArray[np.int_] | None = None
    if isinstance(groups, str):
        require_column(train, groups, "groups", names=names)
        labels = pd.concat([train[groups], test[groups]], ignore_index=True)
        ids = pd.factorize(labels, use_na_sentinel=False)[0].astype(np.int_)
        train, test = train.drop(columns=groups), test.drop(columns=groups)
    elif groups is not None:
        values = np.asarray(groups)
        if values.ndim != 1 or len(values) != n_total:
            raise ValueError(
                f"groups must be a column name or one label per row of {names[0]} then {names[1]} "
                f"({n_total} labels); got an array of shape {values.shape}."
            )
        ids = pd.factorize(pd.Series(values), use_na_sentinel=False)[0].astype(np.int_)
    if time_col is not None:
        require_column(train, time_col, "time_col", names=names)
        blocks = np.r_[
            _time_blocks(train[time_col], n_splits, names[0], time_col),
            _time_blocks(test[time_col], n_splits, names[1], time_col) + n_splits * BLOCKS_PER_FOLD,
        ]
        ids = (
            blocks
            if ids is None
            else pd.factorize(pd.Series(list(zip(ids, blocks, strict=True))))[0]
        )
        train, test = train.drop(columns=time_col), test.drop(columns=time_col)
    if train.shape[1] == 0:
        raise ValueError("No feature column is left after removing the groups / time_col columns.")
    return train, test, ids


def require_column(
    frame: pd.DataFrame, column: str, parameter: str, *, names: tuple[str, str] = ALIGN_NAMES
) -> None:
    """Raise ``ValueError`` unless the ``parameter`` column is in ``frame`` (any backend).

    ``frame`` needs only ``columns`` (a Dask frame's ``_meta`` works); ``names`` is what
    the message calls the two sides.
    """
    if column not in frame.columns:
        raise ValueError(
            f"The {parameter!r} column {column!r} is not in {names[0]} / {names[1]}; columns are "
            f"{list(frame.columns)[:10]!r}."
        )


def _time_blocks(values: pd.Series, n_splits: int, name: str, column: str) -> NDArray[np.int_]:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        order_key = values.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
        order_key[values.isna().to_numpy()] = np.nan
    elif pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    ):
        order_key = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        raise TypeError(
            f"The 'time_col' column {column!r} must be datetime or numeric; in {name} it is "
            f"{values.dtype}."
        )
    if np.isnan(order_key).any():
        raise ValueError(f"The 'time_col' column {column!r} has missing values in {name}.")
    n_blocks = n_splits * BLOCKS_PER_FOLD
    rank = np.argsort(np.argsort(order_key, kind="stable"), kind="stable")
    return (rank * n_blocks // len(order_key)).astype(np.int_)
