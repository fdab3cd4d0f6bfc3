"""Columns the two files are split along: time or a running row number, not drift.

Kaggle's IEEE-CIS fraud data split train from test in time: every test row's
``TransactionDT`` (seconds from a reference time) and ``TransactionID`` (numbered in
order) is above every train row's. Such a column tells the files apart perfectly by
construction, whatever else changed; the drift check flags it as leak-like, but its user
needs to hear *why* and what to do with it, apart from the columns that drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SplitColumn:
    """A column whose TRAIN and TEST values do not overlap: one side is wholly above.

    ``test_later``: every TEST value is above every TRAIN value (else below);
    ``train_edge`` / ``test_edge``: the TRAIN value and the TEST value nearest each
    other, as text (the gap between the sides).
    """

    name: str
    test_later: bool
    train_edge: str
    test_edge: str


def _text(value: object) -> str:
    """A value for a message: whole numbers with thousands separators, dates as dates."""
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return f"{int(number):,}" if number.is_integer() else f"{number:,.6g}"
    return str(value)


def split_columns(X_train: pd.DataFrame, X_test: pd.DataFrame) -> list[SplitColumn]:
    """The numeric and datetime columns along which TRAIN and TEST are split, in order.

    A column qualifies when every value of one side is above every value of the other
    (missing values aside) and it has three distinct values or more: a timestamp or
    running number of a split in time (a year, one side a single one, counts). A column
    of two levels (a flag set on one side only) does not.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"TransactionDT": [86400, 86506, 15811131], "C1": [1, 4, 2]})
    >>> test = pd.DataFrame({"TransactionDT": [18403224, 18403263], "C1": [2, 1]})
    >>> [(c.name, c.test_later, c.train_edge, c.test_edge) for c in split_columns(train, test)]
    [('TransactionDT', True, '15,811,131', '18,403,224')]
    """
    import pandas as pd

    found = []
    for column in X_train.columns:
        if column not in X_test.columns:
            continue
        sides = (X_train[column].dropna(), X_test[column].dropna())
        kinds_ok = all(
            (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))
            or pd.api.types.is_datetime64_any_dtype(s)
            for s in sides
        )
        if not kinds_ok or min(len(s) for s in sides) == 0:
            continue
        if sides[0].nunique() + sides[1].nunique() < 3:  # a flag: one level a side
            continue
        (train_low, train_high), (test_low, test_high) = ((s.min(), s.max()) for s in sides)
        try:
            if train_high < test_low:
                found.append(SplitColumn(str(column), True, _text(train_high), _text(test_low)))
            elif test_high < train_low:
                found.append(SplitColumn(str(column), False, _text(train_low), _text(test_high)))
        except TypeError:  # dates with and without a time zone: not comparable
            continue
    return found


def split_column_note(column: SplitColumn, *, identifier: bool, option: str) -> str:
    """What the drift command says about ``column``: why it separates the files, and the fix.

    ``identifier``: it also holds a different whole number in every row (a running row
    id); ``option``: the shell-quoted option that leaves it out (``--id X`` for an
    identifier, ``--ignore X`` otherwise).

    Examples
    --------
    >>> col = SplitColumn("TransactionDT", True, "15,811,131", "18,403,224")
    >>> print(split_column_note(col, identifier=False, option="--ignore TransactionDT"))
    ... # doctest: +NORMALIZE_WHITESPACE
    advval: column 'TransactionDT' splits the files: every TEST value is above every
    TRAIN value (TRAIN up to 15,811,131, TEST from 18,403,224), as a time or a running
    number does when the test rows come later. It tells the files apart by construction,
    not by drift: read the verdict without it, and do not train a model meant for later
    rows on it as it is. --ignore TransactionDT leaves it out
    """
    if column.test_later:
        where = (
            f"every TEST value is above every TRAIN value (TRAIN up to {column.train_edge}, "
            f"TEST from {column.test_edge})"
        )
        when = "later"
    else:
        where = (
            f"every TEST value is below every TRAIN value (TRAIN from {column.train_edge}, "
            f"TEST up to {column.test_edge})"
        )
        when = "earlier"
    what = (
        f"a running row id does when the test rows were numbered {when} than the train rows"
        if identifier
        else f"a time or a running number does when the test rows come {when}"
    )
    return (
        f"advval: column {column.name!r} splits the files: {where}, as {what}. It tells the "
        "files apart by construction, not by drift: read the verdict without it, and do "
        f"not train a model meant for {when} rows on it as it is. {option} leaves it out"
        + (" and keys the exported rows by it" if identifier else "")
    )
