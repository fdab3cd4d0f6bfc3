"""Model-free flags: near-duplicate column pairs and ID-like columns.

Near duplicates
    Two columns whose values determine each other almost exactly: numeric (also boolean
    and datetime) pairs with ``|Spearman| > NEAR_DUPLICATE_CORRELATION`` on the rows where
    both are present (so monotone transforms such as ``log(x)`` or ``-x`` count), and
    discrete pairs (categorical, boolean, or numeric with at most ``DISCRETE_LEVELS``
    values; at most one distinct value per two rows) whose values map one-to-one (a
    relabelling; missing counts as a value).
ID-like
    Columns unique per row, or nearly so (at least ``ID_UNIQUE_SHARE`` of the observed
    values distinct) and not continuous measurements: categorical and free-text columns,
    and numeric columns whose values are all integers. Also numeric or datetime columns that
    are monotone in row order (``|Spearman(row position, value)| >= ID_MONOTONE``), such
    as a row counter or the timestamp of a sorted log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._frames import BOOLEAN, CATEGORICAL, DATETIME, NUMERIC, TEXT, FrameEncoder

NEAR_DUPLICATE_CORRELATION = 0.99
DISCRETE_LEVELS = 50
ID_UNIQUE_SHARE = 0.99
ID_MONOTONE = 0.99
#: columns with fewer observed values are not judged ID-like
ID_MIN_ROWS = 20


def _numeric_values(encoder: FrameEncoder, frame: pd.DataFrame, column: str) -> NDArray[np.float64]:
    kind = encoder.kinds[column]
    if kind == BOOLEAN:
        return np.asarray(
            frame[column].map({True: 1.0, False: 0.0}).to_numpy(dtype=np.float64, na_value=np.nan)
        )
    return np.asarray(encoder.column_values(frame, column), dtype=np.float64)


def near_duplicates(encoder: FrameEncoder, frame: pd.DataFrame) -> list[tuple[str, str]]:
    """Pairs of near-duplicate columns, in column order.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "b": [3.0, 1, 2, 6, 4, 5],
    ...                       "c": np.exp([1.0, 2, 3, 4, 5, 6]), "d": list("xyzzyx"),
    ...                       "e": list("pqrrqp")})
    >>> near_duplicates(FrameEncoder().fit(frame, frame), frame)
    [('a', 'c'), ('d', 'e')]
    """
    columns = encoder.columns
    order = {c: i for i, c in enumerate(columns)}
    pairs: set[tuple[str, str]] = set()
    numeric = [c for c in columns if encoder.kinds[c] in (NUMERIC, BOOLEAN, DATETIME)]
    if len(numeric) >= 2:
        values = np.column_stack([_numeric_values(encoder, frame, c) for c in numeric])
        ranks = pd.DataFrame(values).rank().to_numpy()
        corr = _pairwise_complete_correlation(ranks)
        for a, b in zip(*np.nonzero(np.abs(corr) > NEAR_DUPLICATE_CORRELATION), strict=True):
            if a < b:
                pairs.add((numeric[a], numeric[b]))
    by_levels: dict[int, list[tuple[str, NDArray[np.intp]]]] = {}
    for column in columns:
        if encoder.kinds[column] == DATETIME:
            continue
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        levels = len(uniques)
        # a column unique per row maps one-to-one onto any other such column: not evidence
        too_many = levels > len(frame) // 2 or (
            encoder.kinds[column] == NUMERIC and levels > DISCRETE_LEVELS
        )
        if levels < 2 or too_many:
            continue
        by_levels.setdefault(levels, []).append((column, np.asarray(codes, dtype=np.intp)))
    for levels, members in by_levels.items():
        for i, (a, codes_a) in enumerate(members):
            for b, codes_b in members[i + 1 :]:
                if np.unique(codes_a * levels + codes_b).size == levels:
                    pairs.add((a, b))
    return sorted(
        ((a, b) if order[a] < order[b] else (b, a) for a, b in pairs),
        key=lambda p: (order[p[0]], order[p[1]]),
    )


def _pairwise_complete_correlation(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pearson correlation of every pair of columns over the rows where both are present."""
    present = (~np.isnan(values)).astype(np.float64)
    filled = np.nan_to_num(values)
    count = present.T @ present
    sum_xy = filled.T @ filled
    sum_x = filled.T @ present  # [a, b]: sum of column a over rows where b is present
    sum_xx = (filled**2).T @ present
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = count * sum_xy - sum_x * sum_x.T
        var_a = count * sum_xx - sum_x**2
        corr = cov / np.sqrt(var_a * var_a.T)
    corr[~np.isfinite(corr) | (count < 3)] = 0.0
    np.fill_diagonal(corr, 0.0)
    return np.asarray(corr, dtype=np.float64)


def id_like(encoder: FrameEncoder, frame: pd.DataFrame) -> list[str]:
    """ID-like columns, in column order.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"id": rng.permutation(50), "x": rng.normal(size=50),
    ...                       "t": np.sort(rng.normal(size=50)), "g": rng.integers(0, 3, 50)})
    >>> id_like(FrameEncoder().fit(frame, frame), frame)
    ['id', 't']
    """
    found = []
    for column in encoder.columns:
        kind = encoder.kinds[column]
        series = frame[column]
        observed = series.dropna()
        if len(observed) < ID_MIN_ROWS:
            continue
        distinct = observed.nunique() / len(observed)
        if kind in (CATEGORICAL, TEXT) and distinct >= ID_UNIQUE_SHARE:
            found.append(column)
            continue
        if kind not in (NUMERIC, DATETIME):
            continue
        values = _numeric_values(encoder, frame, column)
        finite = ~np.isnan(values)
        if (
            kind == NUMERIC
            and distinct >= ID_UNIQUE_SHARE
            and bool(np.all(values[finite] == np.round(values[finite])))
        ):
            found.append(column)
            continue
        if distinct > 0.5:
            position = np.flatnonzero(finite).astype(np.float64)
            ranks = pd.Series(values[finite]).rank().to_numpy()
            rho = np.corrcoef(position, ranks)[0, 1]
            if np.isfinite(rho) and abs(rho) >= ID_MONOTONE:
                found.append(column)
    return found


#: the plausible epoch values of a timestamp written as a number: seconds (2001-09-09 to
#: 2033-05-18) and milliseconds (the same dates)
EPOCH_SECONDS = (1e9, 2e9)
EPOCH_MILLISECONDS = (1e12, 2e12)
#: a timestamp column rises with the rows at least this much (Spearman's rho)
TIMESTAMP_ORDER = 0.9


def epoch_unit(values: NDArray[np.float64]) -> str | None:
    """``"seconds"`` or ``"milliseconds"`` when every finite value of ``values`` is a
    plausible epoch time in that unit (2001 to 2033), else None.

    Examples
    --------
    >>> epoch_unit(np.array([1.6e9, 1.61e9])), epoch_unit(np.array([1.6e12, np.nan]))
    ('seconds', 'milliseconds')
    >>> epoch_unit(np.array([1.6e9, 12.0])) is None
    True
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    for unit, (start, end) in (("seconds", EPOCH_SECONDS), ("milliseconds", EPOCH_MILLISECONDS)):
        if start <= low and high <= end:
            return unit
    return None


def timestamp_like(encoder: FrameEncoder, frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """Those of the ID-like ``columns`` that are timestamps written as numbers: every value
    a plausible epoch time in seconds or milliseconds (:func:`epoch_unit`) and rising with
    the rows (Spearman's rho with the row position at least ``TIMESTAMP_ORDER``), as in a
    log sorted by time. A unique number outside those ranges, or in them but in no order,
    stays an ID-like column only.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"created": 1.6e9 + np.sort(rng.integers(0, 10**6, 50)),
    ...                       "id": rng.permutation(50), "x": rng.normal(size=50)})
    >>> encoder = FrameEncoder().fit(frame, frame)
    >>> timestamp_like(encoder, frame, id_like(encoder, frame))
    ['created']
    """
    found = []
    for column in columns:
        if encoder.kinds.get(column) != NUMERIC:
            continue
        values = _numeric_values(encoder, frame, column)
        finite = np.isfinite(values)
        if epoch_unit(values) is None or int(finite.sum()) < ID_MIN_ROWS:
            continue
        position = np.flatnonzero(finite).astype(np.float64)
        ranks = pd.Series(values[finite]).rank().to_numpy()
        rho = np.corrcoef(position, ranks)[0, 1]
        if np.isfinite(rho) and rho >= TIMESTAMP_ORDER:
            found.append(column)
    return found
