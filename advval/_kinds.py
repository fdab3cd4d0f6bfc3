"""Column kinds: what the encoder makes of a column, and what its dtype alone says.

numeric      int / float / timedelta columns
boolean      bool / nullable boolean columns
categorical  category, string and object columns
datetime     datetime64 columns, and string columns whose every value is a date
text         string columns of free text (see :mod:`advval._text`)

:func:`column_kind` reads the dtype only (strings are categorical there);
:class:`~advval._frames.FrameEncoder` reads string columns as dates or text from their
values, or as the user says.
"""

from __future__ import annotations

import pandas as pd

NUMERIC, BOOLEAN, CATEGORICAL, DATETIME, TEXT = (
    "numeric",
    "boolean",
    "categorical",
    "datetime",
    "text",
)
#: the kinds a user may ask a column to be read as (``column_kinds``)
OVERRIDE_KINDS = (CATEGORICAL, DATETIME, TEXT)


def column_kind(series: pd.Series) -> str:
    """The kind of one column from its dtype: numeric, boolean, categorical or datetime.

    Examples
    --------
    >>> column_kind(pd.Series([1.5, 2.0])), column_kind(pd.Series(["a", "b"]))
    ('numeric', 'categorical')
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return BOOLEAN
    if isinstance(dtype, pd.CategoricalDtype):
        return CATEGORICAL
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return DATETIME
    if pd.api.types.is_numeric_dtype(dtype):
        return NUMERIC
    if pd.api.types.is_timedelta64_dtype(dtype):
        return NUMERIC
    return CATEGORICAL


def as_utc(values: pd.Series) -> pd.Series:
    """Datetime values as naive UTC timestamps (aware ones converted, naive ones kept).

    Examples
    --------
    >>> as_utc(pd.Series(pd.to_datetime(["2020-01-01 01:00+01:00"]))).tolist()
    [Timestamp('2020-01-01 00:00:00')]
    """
    converted = pd.to_datetime(values)
    if converted.dt.tz is not None:
        converted = converted.dt.tz_convert("UTC").dt.tz_localize(None)
    return converted
