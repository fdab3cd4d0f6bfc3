"""Per-column facts and the dataset summary: counted on every row, no model.

What a user checks first when two tables differ, each with a small verdict of its own:

missing rate     the share of missing values on each side, and a test of the change (the
                 chi-squared test of the 2 x 2 table with Yates' continuity correction;
                 Fisher's exact test when an expected count is below 5), adjusted over
                 the columns like the per-column drift tests. Flagged when significant
                 and the shares differ by at least ``MISSING_FLOOR``.
unseen levels    levels of a categorical (or boolean) column that appear in test and
                 never in train, and the share of test rows holding them; ``gone`` levels
                 the reverse. Flagged above ``LEVEL_FLOOR`` and above what a random split
                 of the pooled rows gives (``LEVEL_Z`` standard deviations over its
                 expected count, hypergeometric), so a column of rare codes is not
                 flagged for the new codes any fresh sample brings.
constant         a value (missing counts as one) holding at least ``CONSTANT_SHARE`` of
                 one side's rows, and not of the other's.
out of range     numeric and datetime columns: the share of test rows whose value lies
                 outside the train ``[min, max]``. Flagged above ``RANGE_FLOOR`` and above
                 ``10 / (n + 1)`` (``n`` present train values), five times the share
                 ``2 / (n + 1)`` a test sample of the same continuous distribution falls
                 outside.

The dataset summary counts rows, columns by kind, the missing share and the duplicated
rows of each side, and the share of test rows that exactly match a train row. Rows are
compared through a 64-bit hash of their values (each column's values are first mapped to
keys shared by both sides: the numbers' values, the labels' codes; so ``1`` and ``1.0``
are one value and missing matches missing); nothing per row is kept. Rows that differ in
one column never share a hash (each column's step is a bijection of the hash so far);
other pairs of different rows share one with a chance of about ``n^2 / 2^64`` in all
(1e-8 at a million rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats
from scipy.special import erfc, gammaln

from .._frames import FrameEncoder, _epoch_seconds
from .._kinds import (
    BOOLEAN,
    CATEGORICAL,
    DATETIME,
    NUMERIC,
    as_utc,
    column_kind,
    duration_seconds,
    is_duration,
)
from .._levels import labels_and_codes
from .._stats import Correction, adjust_p_values

#: smallest change of the missing share (absolute) that is flagged
MISSING_FLOOR = 0.02
#: smallest share of rows in unseen (or gone) levels that is flagged
LEVEL_FLOOR = 0.01
#: standard deviations above the chance count of rows in one-sided levels to flag them
LEVEL_Z = 3.0
#: share of one side's rows a single value must hold for the column to be near-constant
CONSTANT_SHARE = 0.99
#: smallest share of test rows out of the train range that is flagged
RANGE_FLOOR = 0.01
#: the out-of-range floor is also at least this many times ``1 / (n_train + 1)``
RANGE_MULTIPLE = 10.0
#: expected count below which the missing-rate test is Fisher's exact test
MIN_EXPECTED = 5.0

FACT_COLUMNS = (
    "kind",
    "missing_train",
    "missing_test",
    "missing_p_value",
    "unseen_levels",
    "unseen_share",
    "gone_levels",
    "gone_share",
    "dominant_train",
    "dominant_test",
    "out_of_range_share",
    "out_of_range_low",
    "out_of_range_high",
    "flags",
)

_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_STEP = np.uint64(0x9E3779B97F4A7C15)


def column_facts(
    encoder: FrameEncoder,
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    correction: Correction = "holm",
    alpha: float = 0.05,
    excluded: Sequence[str] = (),
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-column facts and the dataset summary of two frames, on every row.

    Parameters
    ----------
    encoder : FrameEncoder
        Fitted on ``train`` and ``test`` (without the excluded columns): its kept columns
        are the checked ones, read as it reads them.
    train, test : DataFrame
        Both sides, every row, with the same columns (test in train's order).
    correction : {"holm", "fdr_bh", "bonferroni", "none"}, default="holm"
        Multiple-testing correction of the missing-rate tests (over the columns with a
        missing value on either side).
    alpha : float, default=0.05
        Level of the missing-rate tests.
    excluded : sequence of str, default=()
        Columns of ``train`` and ``test`` that the check leaves out (a group or time
        column); the share of test rows found in train is also given over the checked
        columns and these together.

    Returns
    -------
    facts : DataFrame
        Indexed by column (the encoder's order), with the columns of ``FACT_COLUMNS``
        (see :class:`advval.report.ColumnFacts`).
    summary : dict
        ``train`` and ``test`` (each ``rows``, ``columns_by_kind``, ``missing_share``,
        ``duplicate_rows_share``), ``test_rows_in_train``,
        ``test_rows_in_train_all_columns`` (``None`` without ``excluded``) and
        ``excluded_columns``.

    Examples
    --------
    >>> from advval._frames import FrameEncoder
    >>> train = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "a", "b", "b"]})
    >>> test = pd.DataFrame({"x": [2.0, 9.0, 3.0, 4.0], "c": ["a", "z", "b", "b"]})
    >>> encoder = FrameEncoder().fit(train, test)
    >>> facts, summary = column_facts(encoder, train, test)
    >>> float(facts.loc["x", "out_of_range_share"]), float(facts.loc["c", "unseen_share"])
    (0.25, 0.25)
    >>> summary["test_rows_in_train"]
    0.75
    """
    n_train, n_test = len(train), len(test)
    hashes = _start_hashes(n_train + n_test)
    rows = []
    for column in encoder.columns:
        kind = encoder.kinds[column]
        codes, values = _encoded_codes(encoder, train, test, column)
        _add_column(hashes, codes)
        rows.append(_one_column(kind, codes, values, n_train))
    for _ in encoder.dropped:  # missing on every row: one code, -1
        _add_column(hashes, np.full(n_train + n_test, -1, dtype=np.intp))
    _flag_missing(rows, correction=correction, alpha=alpha)
    facts = pd.DataFrame(
        rows, index=pd.Index(list(encoder.columns), dtype=object), columns=list(FACT_COLUMNS)
    ).astype({"unseen_levels": "Int64", "gone_levels": "Int64"})
    summary = _summary(encoder, facts, hashes, n_train, n_test)
    if excluded:
        summary["test_rows_in_train_all_columns"] = 0.0
        if summary["test_rows_in_train"] > 0:  # else no row matches on more columns either
            for column in excluded:
                _add_column(hashes, joint_codes(train[column], test[column])[0])
            summary["test_rows_in_train_all_columns"] = _share_in_train(hashes, n_train)
    summary["excluded_columns"] = [str(c) for c in excluded]
    return facts, summary


def matching_rows_share(train: pd.DataFrame, test: pd.DataFrame) -> float:
    """Share of test rows that exactly match a train row, over the columns both have.

    Columns are compared by value (numbers as numbers when both sides are numeric, else
    as labels: ``str`` of each value), missing matching missing.

    Examples
    --------
    >>> train = pd.DataFrame({"id": [1, 2, 3], "x": [0.5, 0.5, 1.0], "y": [0, 1, 0]})
    >>> test = pd.DataFrame({"id": [4, 5], "x": [0.5, 2.0]})
    >>> matching_rows_share(train, test), matching_rows_share(train[["x"]], test[["x"]])
    (0.0, 0.5)
    """
    common = [c for c in train.columns if c in set(test.columns)]
    hashes = _start_hashes(len(train) + len(test))
    for column in common:
        _add_column(hashes, joint_codes(train[column], test[column])[0])
    return _share_in_train(hashes, len(train))


def joint_codes(
    left: pd.Series, right: pd.Series
) -> tuple[NDArray[np.intp], NDArray[np.float64] | None]:
    """Keys of both sides' values on one scale (left rows first): equal values, equal keys.

    Numbers (and datetimes, as epoch seconds) when both sides hold them: the bits of their
    float values (one key for all missing values), also returned as floats; anything
    else: codes of the labels (``str`` of each value; -1 for missing).
    """
    kinds = {column_kind(left), column_kind(right)}
    if kinds == {NUMERIC} or kinds == {DATETIME}:
        values = np.concatenate([_ordered_values(left), _ordered_values(right)])
        return _float_keys(values), values
    return _label_codes(left, right), None


def _ordered_values(series: pd.Series) -> NDArray[np.float64]:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return np.asarray(_epoch_seconds(as_utc(series)).to_numpy(), dtype=np.float64)
    if is_duration(series.dtype):
        return duration_seconds(series)
    return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def _encoded_codes(
    encoder: FrameEncoder, train: pd.DataFrame, test: pd.DataFrame, column: str
) -> tuple[NDArray[np.intp], NDArray[np.float64] | None]:
    """Keys of a checked column as the encoder reads it, and its floats when ordered."""
    if encoder.kinds[column] in (NUMERIC, DATETIME):
        values = np.concatenate(
            [
                np.asarray(encoder.column_values(train, column), dtype=np.float64),
                np.asarray(encoder.column_values(test, column), dtype=np.float64),
            ]
        )
        return _float_keys(values), values
    return _label_codes(train[column], test[column]), None


def _float_keys(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Each value's bits as a key: 0.0 and -0.0 one key, every missing value one key."""
    keys = values + 0.0  # a copy, and -0.0 + 0.0 is 0.0
    keys[np.isnan(keys)] = np.nan  # one bit pattern for every missing value
    return keys.view(np.int64)


def _sorted_present(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """One side's present values, sorted (NaN sorts last and is cut off)."""
    ordered = np.sort(values)
    return ordered[: int(np.searchsorted(ordered, np.inf, side="right"))]


def _top_run(ordered: NDArray[np.float64]) -> int:
    """Rows of the most frequent value of sorted values (0 when there is none)."""
    if ordered.size == 0:
        return 0
    ends = np.flatnonzero(ordered[1:] != ordered[:-1])
    return int(np.diff(np.r_[-1, ends, ordered.size - 1]).max())


def _label_codes(left: pd.Series, right: pd.Series) -> NDArray[np.intp]:
    """Both sides' labels coded on one scale (left rows first; -1: missing)."""
    if left.dtype == right.dtype and not isinstance(left.dtype, pd.CategoricalDtype):
        # one column of both sides: factorised once (categoricals of other categories
        # would concatenate as Python objects)
        both = pd.concat([left, right], ignore_index=True)
        return np.asarray(labels_and_codes(both)[0], dtype=np.intp)
    codes_left, labels_left = labels_and_codes(left)
    codes_right, labels_right = labels_and_codes(right)
    position = pd.Index(labels_left.to_pandas()).get_indexer(pd.Index(labels_right.to_pandas()))
    new = position < 0
    position[new] = len(labels_left) + np.arange(int(new.sum()))
    return np.concatenate([codes_left, np.append(position, -1)[codes_right]]).astype(np.intp)


def _one_column(
    kind: str,
    codes: NDArray[np.intp] | NDArray[np.int64],
    values: NDArray[np.float64] | None,
    n_train: int,
) -> dict[str, Any]:
    n_test = codes.size - n_train
    unseen = gone = unseen_share = gone_share = None
    flags: list[str] = []
    if values is None:  # labels: rows per code on each side
        levels = int(codes.max()) + 1 if codes.size else 0
        count_left = np.bincount(codes[:n_train] + 1, minlength=levels + 1)
        count_right = np.bincount(codes[n_train:] + 1, minlength=levels + 1)
        missing = (int(count_left[0]), int(count_right[0]))
        top = (int(count_left.max()), int(count_right.max()))
    else:  # numbers: each side sorted once
        ordered = (_sorted_present(values[:n_train]), _sorted_present(values[n_train:]))
        missing = (n_train - ordered[0].size, n_test - ordered[1].size)
        top = (max(missing[0], _top_run(ordered[0])), max(missing[1], _top_run(ordered[1])))
    missing_train = missing[0] / max(n_train, 1)
    missing_test = missing[1] / max(n_test, 1)
    if kind in (CATEGORICAL, BOOLEAN) and values is None:
        present_left, present_right = count_left[1:], count_right[1:]
        only_test, only_train = (present_left == 0) & (present_right > 0), (
            (present_right == 0) & (present_left > 0)
        )
        unseen, gone = int(only_test.sum()), int(only_train.sum())
        unseen_share = float(present_right[only_test].sum() / max(n_test, 1))
        gone_share = float(present_left[only_train].sum() / max(n_train, 1))
        pooled = present_left + present_right
        if unseen_share >= LEVEL_FLOOR and _beyond_chance(
            present_right[only_test].sum(), pooled, n_test, n_train + n_test
        ):
            flags.append("unseen_levels")
        if gone_share >= LEVEL_FLOOR and _beyond_chance(
            present_left[only_train].sum(), pooled, n_train, n_train + n_test
        ):
            flags.append("gone_levels")
    dominant_train = top[0] / n_train if n_train else 0.0
    dominant_test = top[1] / n_test if n_test else 0.0
    if dominant_train >= CONSTANT_SHARE > dominant_test:
        flags.append("constant_train")
    if dominant_test >= CONSTANT_SHARE > dominant_train:
        flags.append("constant_test")
    low = high = out = None
    if values is not None and ordered[0].size and n_test:
        low, high = _out_of_range(ordered[0], ordered[1], n_test)
        out = low + high
        if out >= max(RANGE_FLOOR, RANGE_MULTIPLE / (ordered[0].size + 1)):
            flags.append("out_of_range")
    p_value = _missing_test(missing[0], n_train, missing[1], n_test)
    return {
        "kind": kind,
        "missing_train": float(missing_train),
        "missing_test": float(missing_test),
        "missing_p_value": p_value,
        "unseen_levels": unseen,
        "unseen_share": unseen_share,
        "gone_levels": gone,
        "gone_share": gone_share,
        "dominant_train": dominant_train,
        "dominant_test": dominant_test,
        "out_of_range_share": out,
        "out_of_range_low": low,
        "out_of_range_high": high,
        "flags": tuple(flags),
    }


def _beyond_chance(rows: int, pooled: NDArray[np.int64], n_side: int, n_total: int) -> bool:
    """More of one side's rows in levels the other side lacks than a random split gives.

    Under no shift the rows of both sides are one sample split at random: a level of
    ``c`` rows in all falls wholly on one side with the hypergeometric probability
    ``C(n_side, c) / C(n_total, c)``. Flagged: ``rows`` above the expected count by more
    than ``LEVEL_Z`` standard deviations (levels taken as independent).
    """
    counts = pooled[pooled > 0].astype(np.float64)
    counts = counts[counts <= n_side]
    log_p = (
        gammaln(n_side + 1.0)
        - gammaln(n_side - counts + 1.0)
        - gammaln(n_total + 1.0)
        + gammaln(n_total - counts + 1.0)
    )
    chance = np.exp(log_p)
    expected = float(np.sum(counts * chance))
    spread = float(np.sqrt(np.sum(counts**2 * chance * (1.0 - chance))))
    return float(rows) > expected + LEVEL_Z * spread


def _out_of_range(
    train: NDArray[np.float64], test: NDArray[np.float64], n_test: int
) -> tuple[float, float]:
    """Shares of the ``n_test`` test rows below the train minimum and above its maximum.

    ``train`` and ``test`` are each side's present values, sorted; train has one at least.
    """
    below = int(np.searchsorted(test, train[0], side="left"))
    above = test.size - int(np.searchsorted(test, train[-1], side="right"))
    return below / n_test, above / n_test


def _missing_test(missing_left: int, n_left: int, missing_right: int, n_right: int) -> float | None:
    """p-value of "same missing share" (None when no side has a missing value)."""
    if missing_left + missing_right == 0 or n_left == 0 or n_right == 0:
        return None
    table = np.array(
        [[missing_left, n_left - missing_left], [missing_right, n_right - missing_right]]
    )
    if table.sum(axis=0).min() == 0:  # every row missing on both sides
        return 1.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    if expected.min() < MIN_EXPECTED:
        return float(stats.fisher_exact(table)[1])
    # Pearson's chi-squared with Yates' correction (one degree of freedom), in closed form:
    # every cell of a 2 x 2 table is off its expected count by the same amount
    gap = max(abs(missing_left - float(expected[0, 0])) - 0.5, 0.0)
    statistic = gap * gap * float(np.sum(1.0 / expected))
    return float(erfc(np.sqrt(statistic / 2.0)))


def _flag_missing(rows: list[dict[str, Any]], *, correction: Correction, alpha: float) -> None:
    """Adjust the missing-rate p-values over the tested columns; flag the significant."""
    tested = [row for row in rows if row["missing_p_value"] is not None]
    raw = np.array([row["missing_p_value"] for row in tested], dtype=np.float64)
    for row, p_value in zip(tested, adjust_p_values(raw, correction), strict=True):
        row["missing_p_value"] = float(p_value)
        gap = abs(row["missing_test"] - row["missing_train"])
        if p_value < alpha and gap >= MISSING_FLOOR:
            row["flags"] = ("missing_rate", *row["flags"])


def _summary(
    encoder: FrameEncoder,
    facts: pd.DataFrame,
    hashes: NDArray[np.uint64],
    n_train: int,
    n_test: int,
) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    for column in encoder.columns:
        kinds[encoder.kinds[column]] = kinds.get(encoder.kinds[column], 0) + 1
    if encoder.dropped:
        kinds["empty"] = len(encoder.dropped)
    by_kind = {kind: kinds[kind] for kind in sorted(kinds)}
    n_columns = len(encoder.columns) + len(encoder.dropped)
    sides = {}
    for side, rows, part in (
        ("train", n_train, hashes[:n_train]),
        ("test", n_test, hashes[n_train:]),
    ):
        cells = float(facts[f"missing_{side}"].sum() * rows) + rows * len(encoder.dropped)
        sides[side] = {
            "rows": rows,
            "columns_by_kind": dict(by_kind),
            "missing_share": cells / (rows * n_columns) if rows and n_columns else 0.0,
            "duplicate_rows_share": (
                float(pd.Series(part).duplicated().mean()) if rows else 0.0
            ),
        }
    return {
        **sides,
        "test_rows_in_train": _share_in_train(hashes, n_train),
        "test_rows_in_train_all_columns": None,
    }


def _share_in_train(hashes: NDArray[np.uint64], n_train: int) -> float:
    test = hashes[n_train:]
    if test.size == 0:
        return 0.0
    return float(pd.Series(test).isin(pd.Series(hashes[:n_train]).unique()).mean())


def _start_hashes(n_rows: int) -> NDArray[np.uint64]:
    return np.zeros(n_rows, dtype=np.uint64)


def _add_column(hashes: NDArray[np.uint64], keys: NDArray[np.intp] | NDArray[np.int64]) -> None:
    """Fold one column's keys into the row hashes, in place: a multiply-xorshift step."""
    hashes *= _STEP
    hashes += np.asarray(keys, dtype=np.int64).view(np.uint64)  # -1 (missing): 2^64 - 1
    hashes ^= hashes >> np.uint64(29)
    hashes *= _MIX_1
