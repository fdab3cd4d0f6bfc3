"""Which test rows hold a level of a column that the training data never has.

A row with such a level has no counterpart in the training data: its density ratio
``p_test(x) / p_train(x)`` is infinite, and a calibrated domain model rightly scores it
near 1. The weighter's warning about test rows without support names these levels, so
the user learns *why* the rows are unsupported (and not only that they are).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._frames import BOOLEAN, CATEGORICAL, FrameEncoder

#: levels named per column in a message; the others are counted
_NAMED_LEVELS = 3


@dataclass(frozen=True)
class NewLevels:
    """The levels of one column found in test rows and never in the training rows.

    Attributes
    ----------
    column : str
        The user's column.
    levels : tuple of str
        The levels, the most frequent among the rows looked at first.
    rows : int
        Rows looked at that hold one of them.
    """

    column: str
    levels: tuple[str, ...]
    rows: int


def new_levels(
    encoder: FrameEncoder,
    train: pd.DataFrame,
    test: pd.DataFrame,
    rows: NDArray[np.intp],
    *,
    min_rows: int = 1,
) -> tuple[list[NewLevels], NDArray[np.bool_]]:
    """Levels of categorical (and boolean) columns in ``test.iloc[rows]`` never in ``train``.

    Only levels held by at least ``min_rows`` of those rows count (a level seen a few
    times may be missing from train by chance: a number read as text, a typo). Returns
    one :class:`NewLevels` per column that has any (most rows first), and a mask over
    ``rows``: the rows that hold at least one such level.

    Examples
    --------
    >>> train = pd.DataFrame({"v": ["a"] * 30, "x": range(30)})
    >>> test = pd.DataFrame({"v": ["a", "b", "b", "c"], "x": range(4)})
    >>> encoder = FrameEncoder().fit(train, test)
    >>> found, held = new_levels(encoder, train, test, np.arange(4))
    >>> found[0].column, found[0].levels, found[0].rows, held.tolist()
    ('v', ('b', 'c'), 3, [False, True, True, True])
    """
    held = np.zeros(len(rows), dtype=bool)
    found = []
    for column in encoder.columns:
        if encoder.kinds[column] not in (CATEGORICAL, BOOLEAN):
            continue
        seen = pd.Series(encoder.column_values(train, column)).dropna().unique()
        values = pd.Series(encoder.column_values(test.iloc[rows], column))
        new = values.notna().to_numpy() & ~values.isin(seen).to_numpy()
        counts = values[new].value_counts()
        counts = counts[counts >= min_rows]
        if counts.empty:
            continue
        new &= values.isin(counts.index).to_numpy()
        found.append(NewLevels(column, tuple(str(v) for v in counts.index), int(new.sum())))
        held |= new
    found.sort(key=lambda item: -item.rows)
    return found, held


def describe_new_levels(found: list[NewLevels]) -> str:
    """``"'v2' of column 'version' (11907 rows)"``, joined with ``"; "``.

    Examples
    --------
    >>> describe_new_levels([NewLevels("version", ("v2",), 11907)])
    "'v2' of column 'version' (11907 rows)"
    >>> describe_new_levels([NewLevels("c", ("a", "b", "c", "d"), 9)])
    "'a', 'b', 'c' and 1 more of column 'c' (9 rows)"
    """
    parts = []
    for item in found:
        named = ", ".join(repr(level) for level in item.levels[:_NAMED_LEVELS])
        rest = len(item.levels) - _NAMED_LEVELS
        if rest > 0:
            named += f" and {rest} more"
        parts.append(f"{named} of column {item.column!r} ({item.rows} rows)")
    return "; ".join(parts)
