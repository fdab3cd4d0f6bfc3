"""Per-column checks: a univariate two-sample test and the leak-like column screen.

Numeric and datetime columns (date strings included) are compared by their KS distance
``D`` with a p-value from the Kolmogorov-Smirnov and Mann-Whitney tests together
(:func:`advval._stats.location_and_shape_test`), free text by the same on its length in
characters; categorical and boolean columns by the total-variation distance of the
frequencies of *every* level (missing counted as a category; the classifier's cap on
levels does not apply here) with a chi-squared test (rare levels pooled). Both distances
lie in [0, 1], a scale of their own with a floor of its own (``min_distance``), so a huge
sample does not turn a negligible difference into a flagged one.

A column is *leak-like* when on its own it separates train from test almost perfectly:
for ordered columns its single-column AUC (either direction) reaches ``threshold``, or its
runs separation does (the sides occupy separate ranges in any order: an ID numbered in
file order with the test rows in a band in the middle, test months between training ones,
which no single threshold separates; see :func:`runs_separation`);
for categorical ones the total-variation distance does (the two sides share almost no
category, as with an ID). A text column is judged by its lengths, so two samples of the
same source of free text, whose strings hardly ever repeat, are not called disjoint.

Categorical tests work on integer codes of the distinct labels of both sides (factorised
in C, Arrow strings never turned into Python objects row by row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from .._frames import BOOLEAN, CATEGORICAL, FrameEncoder
from .._levels import labels_and_codes
from .._stats import Correction, adjust_p_values, location_and_shape_test, rank_test


@dataclass(frozen=True)
class ColumnTests:
    """Univariate results, one entry per column, in column order."""

    statistic: NDArray[np.float64]
    p_value: NDArray[np.float64]
    p_value_adjusted: NDArray[np.float64]
    test: tuple[str, ...]
    separation: NDArray[np.float64]


#: rows per side the univariate tests use. With 200,000 a side the KS critical value at a
#: Holm-corrected level for 50 columns is about 0.006, below the default effect floor
#: (0.01) that a column's distance must also pass, so the cap costs no detection that the
#: verdict would report, and keeps the tests linear-time-cheap at millions of rows.
UNIVARIATE_MAX_ROWS = 200_000
#: rows per side the runs separation of an ordered column reads: at 20,000 a side, sides
#: in two separate ranges change 20,000 times less often than mixed ones, and two samples
#: of one distribution stay within about 0.01 of no separation
RUNS_MAX_ROWS = 20_000
#: fewest rows a level is expected to hold on each side to be tested on its own (rarer
#: levels are tested together, as one level: :func:`frequency_test`)
MIN_EXPECTED = 5.0


def compare_columns(
    encoder: FrameEncoder,
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    correction: Correction,
    leak_threshold: float,
    random_state: int = 0,
) -> ColumnTests:
    """Run the univariate test and the separation screen on every kept column.

    The single-column AUC is only computed where it could reach ``leak_threshold``:
    ``|AUC - 1/2| <= D`` (the KS statistic), so columns with ``D < leak_threshold - 1/2``
    cannot be leak-like and get ``1/2 + D`` as an upper bound instead (``D`` ignores missing
    values, so a large gap in the missing share also triggers the exact computation).
    """
    rng = np.random.default_rng(random_state)
    # the rows each side's tests use, drawn once; columns are read whole and then subset
    # (cheaper than copying the frames: strings are factorised where they lie)
    rows = (_at_most(len(train), rng), _at_most(len(test), rng))
    runs_rows = (
        _at_most(len(train), rng, RUNS_MAX_ROWS),
        _at_most(len(test), rng, RUNS_MAX_ROWS),
    )
    statistics, p_values, names, separation = [], [], [], []
    for column in encoder.columns:
        if encoder.kinds[column] in (CATEGORICAL, BOOLEAN):
            counts = level_table(train[column], test[column], rows=rows)
            statistic, p_value = frequency_test(counts)
            names.append("chi2")
            separation.append(_category_separation(counts))
        else:
            whole = (encoder.column_values(train, column), encoder.column_values(test, column))
            left, right = whole[0][rows[0]], whole[1][rows[1]]
            statistic, p_value = location_and_shape_test(left, right)
            names.append("ks")
            half_gap = 0.5 * abs(float(np.isnan(left).mean()) - float(np.isnan(right).mean()))
            if max(statistic, half_gap) >= leak_threshold - 0.5:
                ranked = _ordered_separation(left.astype(np.float64), right.astype(np.float64))
            else:
                ranked = 0.5 + max(statistic, half_gap)
            runs = runs_separation(
                whole[0][runs_rows[0]].astype(np.float64),
                whole[1][runs_rows[1]].astype(np.float64),
                rng,
            )
            separation.append(max(ranked, runs))
        statistics.append(statistic)
        p_values.append(p_value)
    raw = np.asarray(p_values, dtype=np.float64)
    return ColumnTests(
        statistic=np.asarray(statistics, dtype=np.float64),
        p_value=raw,
        p_value_adjusted=adjust_p_values(raw, correction),
        test=tuple(names),
        separation=np.asarray(separation, dtype=np.float64),
    )


def _at_most(
    n_rows: int, rng: np.random.Generator, limit: int = UNIVARIATE_MAX_ROWS
) -> slice | NDArray[np.intp]:
    """The rows (in order) of a side a check uses: every row, or ``limit`` drawn uniformly."""
    if n_rows <= limit:
        return slice(None)
    return np.sort(rng.choice(n_rows, size=limit, replace=False))


def runs_separation(
    left: NDArray[np.float64], right: NDArray[np.float64], rng: np.random.Generator
) -> float:
    """How rarely the sides alternate along the column's sorted present values, in [0, 1].

    Sort the values of both sides together (equal values in a random order, so ties across
    the sides count as mixing) and count the places where the side changes. Two samples of
    one distribution change side ``2 n1 n2 / (n1 + n2)`` times on average (the
    Wald-Wolfowitz runs count), sides that occupy separate ranges once per boundary. The
    separation is one minus their ratio: near 0 for mixed sides, near 1 for sides in
    separate ranges, in whatever order. Test rows numbered in a band in the middle of the
    training IDs have a single-column AUC near 0.9 and a separation near 1. Missing values
    are left out (see :func:`_blank_separation`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ids = np.arange(3_000.0)
    >>> band = (ids >= 1_000) & (ids < 2_000)
    >>> round(runs_separation(ids[~band], ids[band], rng), 3)
    0.999
    >>> runs_separation(rng.normal(size=3_000), rng.normal(size=1_000), rng) < 0.1
    True
    """
    left, right = left[~np.isnan(left)], right[~np.isnan(right)]
    if left.size == 0 or right.size == 0:
        return 0.0
    values = np.concatenate([left, right])
    sides = np.r_[np.zeros(left.size, dtype=bool), np.ones(right.size, dtype=bool)]
    order = np.lexsort((rng.random(values.size), values))
    changes = int(np.count_nonzero(sides[order][1:] != sides[order][:-1]))
    expected = 2.0 * left.size * right.size / values.size
    return float(max(0.0, 1.0 - changes / expected))


def _ordered_separation(left: NDArray[np.float64], right: NDArray[np.float64]) -> float:
    """How well the column alone tells the sides apart: the better of two readings.

    The single-column AUC of the present values (in the better direction): a timestamp
    with 5% of its cells blank still separates the sides perfectly wherever it is present
    (ranking the blanks lowest on both sides would cap its AUC at 0.95). And the blanks
    themselves: ``1/2`` plus half the gap between the sides' missing shares (a column
    left blank on one side only separates them by that alone).
    """
    blanks = _blank_separation(left, right)
    present_left, present_right = left[~np.isnan(left)], right[~np.isnan(right)]
    if present_left.size == 0 or present_right.size == 0:
        return blanks
    values = np.concatenate([present_left, present_right])
    labels = np.r_[np.zeros(present_left.size, dtype=bool), np.ones(present_right.size, dtype=bool)]
    auc = rank_test(labels, values).auc
    return float(max(auc, 1.0 - auc, blanks))


def level_table(
    left: pd.Series,
    right: pd.Series,
    *,
    rows: tuple[slice | NDArray[np.intp], slice | NDArray[np.intp]] = (slice(None), slice(None)),
) -> NDArray[np.int64]:
    """Rows per level on each side: shape (2, 1 + levels), column 0 the missing values.

    Levels are the labels of both sides (``str`` of each distinct value), all of them;
    ``rows`` selects the rows of each side that are counted.

    Examples
    --------
    >>> level_table(pd.Series(["a", "b", None]), pd.Series(["b", "c"])).tolist()
    [[1, 1, 1, 0], [0, 0, 1, 1]]
    """
    codes_left, labels_left = labels_and_codes(left)
    codes_right, labels_right = labels_and_codes(right)
    position = pd.Index(labels_left.to_pandas()).get_indexer(pd.Index(labels_right.to_pandas()))
    new = position < 0
    position[new] = len(labels_left) + np.arange(int(new.sum()))
    levels = len(labels_left) + int(new.sum())
    codes_right = np.append(position, -1)[codes_right]
    return np.vstack(
        [
            np.bincount(codes_left[rows[0]] + 1, minlength=levels + 1),
            np.bincount(codes_right[rows[1]] + 1, minlength=levels + 1),
        ]
    ).astype(np.int64)


def frequency_test(table: NDArray[np.int64]) -> tuple[float, float]:
    """Total-variation distance and chi-squared p-value of a (2, k) table of counts.

    The distance reads every level. The test pools the levels too rare to be tested one
    by one (an expected count below ``MIN_EXPECTED`` on either side, Cochran's rule) into
    one level: a 5,000-level column of a few thousand rows has mostly singletons, each of
    which adds one degree of freedom and almost no evidence, which left the chi-squared
    test nearly powerless (and its size far under alpha: 0.1% at 5% on two samples of one
    Zipf-distributed column); pooled, it tests the common levels and the rare ones' total
    share. Levels seen on neither side are left out.

    Examples
    --------
    >>> tv, p = frequency_test(np.array([[50, 50], [90, 10]]))
    >>> round(tv, 2), p < 1e-6
    (0.4, True)
    """
    table = table[:, table.sum(axis=0) > 0].astype(np.float64)
    totals = table.sum(axis=1)
    if totals[0] == 0 or totals[1] == 0:
        return 0.0, 1.0
    tv = 0.5 * float(np.abs(table[0] / totals[0] - table[1] / totals[1]).sum())
    expected = np.outer(totals / totals.sum(), table.sum(axis=0))
    rare = expected.min(axis=0) < MIN_EXPECTED
    if rare.any():
        table = np.column_stack([table[:, ~rare], table[:, rare].sum(axis=1)])
    if table.shape[1] < 2:
        return tv, 1.0
    _, p_value, _, _ = stats.chi2_contingency(table, correction=False)
    return tv, float(p_value)


def _category_separation(table: NDArray[np.int64]) -> float:
    """The total-variation distance of the present levels, or the blanks' separation."""
    totals = table.sum(axis=1)
    blanks = 0.5 + 0.5 * abs(float(table[0, 0] / totals[0] - table[1, 0] / totals[1]))
    present = table[:, 1:]
    if present[0].sum() == 0 or present[1].sum() == 0:
        return blanks
    return max(frequency_test(present)[0], blanks)


def _blank_separation(left: NDArray[np.generic], right: NDArray[np.generic]) -> float:
    gap = float(pd.isna(left).mean()) - float(pd.isna(right).mean())
    return 0.5 + 0.5 * abs(gap)


def leak_columns(
    columns: Sequence[str], separation: NDArray[np.float64], threshold: float
) -> list[str]:
    """Columns whose separation reaches ``threshold``, in column order."""
    return [c for c, s in zip(columns, separation, strict=True) if s >= threshold]
