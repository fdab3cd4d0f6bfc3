"""Per-column checks: a univariate two-sample test and the leak-like column screen.

Numeric and datetime columns get a Kolmogorov-Smirnov test; categorical and boolean
columns a chi-squared test on their frequencies (missing counted as a category). Both
report a distance in [0, 1] (KS ``D``; total-variation distance) next to the p-value, so a
huge sample does not turn a negligible difference into a flagged one.

A column is *leak-like* when on its own it separates train from test almost perfectly:
for ordered columns its single-column AUC (either direction) reaches ``threshold``, for
categorical ones the total-variation distance does (the two sides share almost no
category, as with an ID).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._frames import BOOLEAN, CATEGORICAL, FrameEncoder
from .._stats import Correction, adjust_p_values, category_test, ks_test, rank_test


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
    train, test = _at_most(train, rng), _at_most(test, rng)
    statistics, p_values, names, separation = [], [], [], []
    for column in encoder.columns:
        left = encoder.column_values(train, column)
        right = encoder.column_values(test, column)
        if encoder.kinds[column] in (CATEGORICAL, BOOLEAN):
            statistic, p_value = category_test(left, right)
            names.append("chi2")
            separation.append(_category_separation(left, right))
        else:
            statistic, p_value = ks_test(left, right)
            names.append("ks")
            half_gap = 0.5 * abs(float(np.isnan(left).mean()) - float(np.isnan(right).mean()))
            if max(statistic, half_gap) >= leak_threshold - 0.5:
                separation.append(
                    _ordered_separation(left.astype(np.float64), right.astype(np.float64))
                )
            else:
                separation.append(0.5 + max(statistic, half_gap))
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


def _at_most(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= UNIVARIATE_MAX_ROWS:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), size=UNIVARIATE_MAX_ROWS, replace=False))]


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


def _category_separation(left: NDArray[np.object_], right: NDArray[np.object_]) -> float:
    """The total-variation distance of the present categories, or the blanks' separation."""
    blanks = _blank_separation(left, right)
    present_left, present_right = left[pd.notna(left)], right[pd.notna(right)]
    if present_left.size == 0 or present_right.size == 0:
        return blanks
    return max(category_test(present_left, present_right)[0], blanks)


def _blank_separation(left: NDArray[np.generic], right: NDArray[np.generic]) -> float:
    gap = float(pd.isna(left).mean()) - float(pd.isna(right).mean())
    return 0.5 + 0.5 * abs(gap)


def leak_columns(
    columns: Sequence[str], separation: NDArray[np.float64], threshold: float
) -> list[str]:
    """Columns whose separation reaches ``threshold``, in column order."""
    return [c for c, s in zip(columns, separation, strict=True) if s >= threshold]
