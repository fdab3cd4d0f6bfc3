"""The train and test distribution of each column, as bounded plot data for a report.

One :class:`~advval.results.Distribution` per column, chosen by the kind the fitted
encoder gave it: numbers a histogram of ``NUMERIC_BINS`` bins (datetimes on a time axis),
categories the shares of each side's top levels, free text a histogram of lengths. Each is
bounded in size whatever the number of rows or levels.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._dates import format_instant
from .._frames import (
    BOOLEAN,
    CATEGORICAL,
    DATETIME,
    NUMERIC,
    TEXT,
    FrameEncoder,
    as_frame,
    column_kind,
)
from .._kinds import duration_seconds, is_duration
from ..results import Distribution

NUMERIC_BINS = 30
#: most frequent levels of each side drawn in a categorical plot (train's, then test's)
TOP_LEVELS_PER_SIDE = 6
#: bucket labels of a categorical plot; a level spelled the same is shown quoted
MISSING_LABEL, OTHER_LABEL = "(missing)", "(other)"
_FLOAT_MAX = float(np.finfo(np.float64).max)


def histogram(
    name: str,
    train: NDArray[np.float64],
    test: NDArray[np.float64],
    edges: NDArray[np.float64],
    *,
    kind: str = "numeric",
    measure: str = "",
) -> Distribution:
    """Both sides' shares of rows per bin of ``edges`` (values outside go to the end bins).

    Bins are labelled ``"lo to hi"`` (3 significant digits), or as instants for
    ``kind="datetime"`` (``edges`` in seconds since 1970, UTC).
    """

    def shares(values: NDArray[np.float64]) -> tuple[float, ...]:
        counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
        return tuple(float(c) / max(values.size, 1) for c in counts)

    if kind == "datetime":
        span = float(edges[-1] - edges[0])
        labels = tuple(
            f"{format_instant(lo, span)} to {format_instant(hi, span)}"
            for lo, hi in zip(edges[:-1], edges[1:], strict=True)
        )
    else:
        labels = tuple(
            f"{lo:.3g} to {hi:.3g}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)
        )
    return Distribution(
        name=name,
        kind=kind,
        labels=labels,
        edges=tuple(float(e) for e in edges),
        train=shares(train),
        test=shares(test),
        measure=measure,
    )


def distributions(
    encoder: FrameEncoder, X_train: Any, X_test: Any, columns: list[str]
) -> tuple[Distribution, ...]:
    """The distribution of each of ``columns`` that both frames have, in that order.

    Parameters
    ----------
    encoder : FrameEncoder
        The fitted validator's encoder (``encoder_``): it says each column's kind and
        reads its values as the classifier saw them.
    X_train, X_test : DataFrame or array-like
        The frames (or samples of them); not modified.
    columns : list of str
        The columns wanted; those a frame lacks are left out.

    Returns
    -------
    tuple of Distribution
    """
    train = as_frame(X_train, name="X_train")
    test = as_frame(X_test, name="X_test")
    present = [c for c in columns if c in train.columns and c in test.columns]
    return tuple(_overlay(encoder, train, test, column) for column in present)


def _overlay(
    encoder: FrameEncoder, train: pd.DataFrame, test: pd.DataFrame, column: str
) -> Distribution:
    """One column's plot, chosen by the kind the encoder gave it.

    Numbers: a histogram; datetimes (date strings included, once parsed): a histogram on
    a time axis; categories: bars of each side's top levels with the shares of values the
    other side never has; free text: a histogram of lengths, with the same shares. A kind
    this module does not know is drawn by what its values are (numbers or labels).
    """
    kind = encoder.kinds.get(column)
    if kind == TEXT:
        return _text_shares(column, train[column], test[column])
    if kind not in (NUMERIC, DATETIME, CATEGORICAL, BOOLEAN):
        kind = column_kind(pd.concat([train[column], test[column]], ignore_index=True))
        if kind in (NUMERIC, DATETIME):  # the raw values, as their dtype says
            numbers = _raw_numbers(train[column]), _raw_numbers(test[column])
            return numeric_shares(column, *numbers, kind=kind)
        return _category_shares(column, train[column].to_numpy(), test[column].to_numpy())
    left = encoder.column_values(train, column)
    right = encoder.column_values(test, column)
    if kind in (CATEGORICAL, BOOLEAN):
        return _category_shares(column, left, right)
    return numeric_shares(
        column,
        np.asarray(left, dtype=np.float64),
        np.asarray(right, dtype=np.float64),
        kind="datetime" if kind == DATETIME else "numeric",
    )


def _raw_numbers(values: pd.Series) -> NDArray[np.float64]:
    """Numbers, timedeltas (seconds) or datetimes (seconds since 1970, UTC) as floats."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        values = pd.to_datetime(values, utc=True) - pd.Timestamp(0, tz="UTC")
    if is_duration(values.dtype):
        return duration_seconds(values)
    return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan))


def numeric_shares(
    name: str,
    left: NDArray[np.float64],
    right: NDArray[np.float64],
    *,
    kind: str = "numeric",
    measure: str = "",
) -> Distribution:
    """A histogram of ``NUMERIC_BINS`` equal bins over both sides' 0.5%-99.5% range.

    NaN values count on neither side; edges stay finite for data near the float limits.
    """
    pooled = np.concatenate([left, right])
    pooled = pooled[~np.isnan(pooled)]
    if pooled.size == 0:
        low, high = 0.0, 1.0
    else:
        # on quartered values: the differences the interpolation takes (up to 2 * float
        # max for data near +/-1e308) and its rounding stay finite, and for other data
        # quartering is exact, so the edges are the same bits as without it
        low, high = (4.0 * float(v) for v in np.quantile(pooled / 4.0, [0.005, 0.995]))
    if high <= low:
        pad = max(0.5, abs(low) * 1e-3)
        low, high = max(low - pad, -_FLOAT_MAX), min(high + pad, _FLOAT_MAX)
    edges = np.clip(4.0 * np.linspace(low / 4.0, high / 4.0, NUMERIC_BINS + 1), low, high)
    return histogram(
        name, left[~np.isnan(left)], right[~np.isnan(right)], edges, kind=kind, measure=measure
    )


@dataclass(frozen=True)
class _Levels:
    """Both sides' values as codes into one list of distinct labels, with counts."""

    labels: list[str]
    train: NDArray[np.int64]  # rows of train per label
    test: NDArray[np.int64]
    n_train: int
    n_test: int

    @classmethod
    def of(cls, left: Any, right: Any) -> _Levels:
        return cls.coded(left, right)[0]

    @classmethod
    def coded(cls, left: Any, right: Any) -> tuple[_Levels, NDArray[np.intp]]:
        """The levels, and each row's code into their labels (train rows first; -1: missing)."""
        n_train, n_test = len(left), len(right)
        pooled = pd.Series(np.concatenate([np.asarray(left, dtype=object),
                                           np.asarray(right, dtype=object)]), dtype=object)
        codes, uniques = pd.factorize(pooled, use_na_sentinel=True)
        size = len(uniques)
        train = np.bincount(codes[:n_train][codes[:n_train] >= 0], minlength=size)
        test = np.bincount(codes[n_train:][codes[n_train:] >= 0], minlength=size)
        labels = [str(u) for u in np.asarray(uniques, dtype=object)]
        levels = cls(labels, train.astype(np.int64), test.astype(np.int64), n_train, n_test)
        return levels, np.asarray(codes)

    def unseen(self) -> tuple[float, float]:
        """Of the train rows with a value, the share whose value test never has; and of test.

        Missing values count on neither side: 1.0 and 1.0 means the sides share no value.
        """
        only_train = float(self.train[self.test == 0].sum())
        only_test = float(self.test[self.train == 0].sum())
        return only_train / max(int(self.train.sum()), 1), only_test / max(int(self.test.sum()), 1)

    def n_levels(self) -> tuple[int, int]:
        return int(np.count_nonzero(self.train)), int(np.count_nonzero(self.test))


def _category_shares(name: str, left: Any, right: Any) -> Distribution:
    """Bars of train's and test's most frequent levels, then missing and every other level.

    Each side's own top levels are drawn (train's first, then test's that are not among
    them), so two sides with different levels show different bars even when each has
    thousands of levels; the shares of values unseen on the other side say how much of
    each side the other never has (1.0 and 1.0: disjoint).
    """
    levels = _Levels.of(left, right)
    order = sorted(range(len(levels.labels)), key=lambda i: levels.labels[i])  # ties: by name
    by_train = sorted((i for i in order if levels.train[i] > 0), key=lambda i: -levels.train[i])
    top = by_train[:TOP_LEVELS_PER_SIDE]
    chosen = set(top)
    by_test = sorted(
        (i for i in order if levels.test[i] > 0 and i not in chosen), key=lambda i: -levels.test[i]
    )
    top += by_test[:TOP_LEVELS_PER_SIDE]

    def shares(counts: NDArray[np.int64], n: int, present: int) -> list[float]:
        shown = [float(counts[i]) / max(n, 1) for i in top]
        missing = float(n - present) / max(n, 1)
        other = float(present - sum(int(counts[i]) for i in top)) / max(n, 1)
        return [*shown, missing, other]

    train = shares(levels.train, levels.n_train, int(levels.train.sum()))
    test = shares(levels.test, levels.n_test, int(levels.test.sum()))
    labels = [_level_label(levels.labels[i]) for i in top] + [MISSING_LABEL, OTHER_LABEL]
    keep = [j for j in range(len(labels)) if j < len(top) or train[j] > 0 or test[j] > 0]
    unseen_train, unseen_test = levels.unseen()
    return Distribution(
        name=name,
        kind="categorical",
        labels=tuple(labels[j] for j in keep),
        edges=(),
        train=tuple(train[j] for j in keep),
        test=tuple(test[j] for j in keep),
        unseen_train=unseen_train,
        unseen_test=unseen_test,
        n_levels=levels.n_levels(),
    )


def _level_label(label: str) -> str:
    """A level as its bar's label: quoted when it reads like a bucket label."""
    return repr(label) if label in (MISSING_LABEL, OTHER_LABEL) else label


def _text_shares(name: str, left: pd.Series, right: pd.Series) -> Distribution:
    """Free text: a histogram of lengths in characters, with the shares of unseen texts."""
    levels, codes = _Levels.coded(left, right)  # one factorization of both sides
    own = np.array([float(len(label)) for label in levels.labels] + [np.nan])
    lengths = own[codes]  # code -1 (missing): the last entry, NaN
    histogram = numeric_shares(
        name, lengths[: levels.n_train], lengths[levels.n_train :], measure="length (characters)"
    )
    unseen_train, unseen_test = levels.unseen()
    return dataclasses.replace(
        histogram,
        unseen_train=unseen_train,
        unseen_test=unseen_test,
        n_levels=levels.n_levels(),
    )
