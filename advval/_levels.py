"""Levels of categorical columns: distinct labels, their counts, and the classifier's cap.

Labels are the strings of the distinct values (``str`` of each, so ``1`` and ``"1"`` are
one level), computed on the distinct values only: a column of 300,000 Arrow strings is
factorised in C and never turned into 300,000 Python objects.

The cap. A categorical column with more than ``MAX_LEVELS`` levels is shown to the
domain classifier as its ``MAX_LEVELS - 1`` most frequent levels (counted over both sides,
ties broken by label) plus one ``"(other)"`` level, and a second, numeric column: how
often each value occurs over both sides (its *count*). The per-column test keeps every
level. Why 255 in all: it is the most categories scikit-learn's histogram gradient boosting
accepts for one feature (codes below ``max_bins`` = 255), so any estimator the validator
may be given can use the column; LightGBM would keep a category per level (3,291 of the
3,934 tail numbers of the flights table), most seen too rarely to tell train from test
(at ~93,000 rows in the classifier's sample, a level of the 4,000th rank has a handful of
rows, below LightGBM's ``min_data_per_group`` of 100), which costs time and lets noise
levels be chosen by the greedy category split. The count keeps what the rare levels say
as a whole (a new tail number is rare) in one ordered feature. Counts are kept for the
``MAX_COUNTED`` most frequent levels, so that what is learnt from data split into
partitions is bounded; rarer levels (and levels not seen in fit) count 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray

from ._kinds import as_category

#: categorical columns with more levels are capped for the classifier (see the module doc)
MAX_LEVELS = 255
#: levels whose counts a summary keeps (the count feature of rarer ones is 0)
MAX_COUNTED = 4096
OTHER = "(other)"


def labels_and_codes(values: pd.Series) -> tuple[NDArray[np.intp], pa.Array]:
    """Each row's position among the distinct present labels (-1: missing), and the labels.

    Returns
    -------
    codes : ndarray of intp, shape (n_rows,)
    labels : pyarrow large_string array
        Distinct, no nulls, in order of first appearance (categories' order for a pandas
        categorical); floats that are whole numbers read as integers (``10001.0`` ->
        ``"10001"``) when the column is numeric.

    Examples
    --------
    >>> codes, labels = labels_and_codes(pd.Series(["b", None, "a", "b"]))
    >>> codes.tolist(), labels.to_pylist()
    ([0, -1, 1, 0], ['b', 'a'])
    >>> codes, labels = labels_and_codes(pd.Series([1, "1", 2.5], dtype=object))
    >>> codes.tolist(), labels.to_pylist()
    ([0, 0, 1], ['1', '2.5'])
    """
    values = as_category(values)  # an Arrow dictionary's levels are its categories
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = np.asarray(values.cat.codes.to_numpy(), dtype=np.intp)
        uniques: Any = values.cat.categories
    else:
        raw_codes, uniques = pd.factorize(values, use_na_sentinel=True)
        codes = np.asarray(raw_codes, dtype=np.intp)
    unique_values = pd.Index(uniques)
    if pd.api.types.is_string_dtype(unique_values.dtype) and unique_values.dtype != object:
        return codes, pa.array(unique_values.array).cast(pa.large_string())
    if pd.api.types.is_float_dtype(unique_values.dtype):
        numbers = unique_values.to_numpy(dtype=np.float64)
        if np.all(numbers == np.round(numbers)) and np.all(np.abs(numbers) < 2.0**53):
            unique_values = pd.Index(numbers.astype(np.int64))
    strings = np.array([str(v) for v in unique_values], dtype=object)
    remap, distinct = pd.factorize(strings)
    if len(distinct) < len(strings):  # several values read as one label: one level
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        strings = np.asarray(distinct, dtype=object)
    return codes, pa.array(strings.tolist(), type=pa.large_string())


def level_counts(rows: NDArray[np.int64], labels: pa.Array) -> pd.Series:
    """Rows per label (``rows[i]`` of ``labels[i]``), most frequent first, ties by label,
    labels of no row left out.

    Examples
    --------
    >>> rows = np.array([1, 2, 0])
    >>> level_counts(rows, pa.array(["b", "a", "c"])).to_dict()
    {'a': 2, 'b': 1}
    """
    series = pd.Series(
        np.asarray(rows, dtype=np.int64), index=pd.Index(labels.to_pandas(), dtype="str")
    )
    return ordered(series[series > 0])


def ordered(counts: pd.Series, limit: int | None = None) -> pd.Series:
    """``counts`` most frequent first, ties by label, at most ``limit`` of them.

    Examples
    --------
    >>> ordered(pd.Series({"b": 2, "c": 5, "a": 2}), limit=2).to_dict()
    {'c': 5, 'a': 2}
    """
    by_label = counts.sort_index(kind="stable")
    result = by_label.sort_values(ascending=False, kind="stable")
    return result if limit is None else result.iloc[:limit]


def add_counts(first: pd.Series, second: pd.Series) -> pd.Series:
    """Counts of two samples together (most frequent first, at most ``MAX_COUNTED``).

    Examples
    --------
    >>> add_counts(pd.Series({"a": 1, "b": 2}), pd.Series({"a": 3})).to_dict()
    {'a': 4, 'b': 2}
    """
    if first.empty:
        return ordered(second, MAX_COUNTED)
    if second.empty:
        return ordered(first, MAX_COUNTED)
    total = first.add(second, fill_value=0).astype(np.int64)
    return ordered(total, MAX_COUNTED)


def classifier_levels(counts: pd.Series, *, complete: bool) -> tuple[list[str], str | None]:
    """The categories the classifier sees, and the "other" level (``None``: not capped).

    Every level sorted by label when there are at most ``MAX_LEVELS``; else the
    ``MAX_LEVELS - 1`` most frequent, sorted, then the other level (``"(other)"``, or
    with more brackets when a kept level is already called that).

    Examples
    --------
    >>> classifier_levels(pd.Series({"b": 3, "a": 1}), complete=True)
    (['a', 'b'], None)
    """
    if complete and len(counts) <= MAX_LEVELS:
        return sorted(str(label) for label in counts.index), None
    kept = sorted(str(label) for label in ordered(counts, MAX_LEVELS - 1).index)
    other = OTHER
    while other in kept:
        other = f"({other})"
    return [*kept, other], other
