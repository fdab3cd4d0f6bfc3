"""Column kinds: what the encoder makes of a column, and what its dtype alone says.

numeric      int / float / decimal / timedelta columns (NumPy ``timedelta64`` or Arrow
             ``duration``, read as seconds)
boolean      bool / nullable boolean columns
categorical  category, string and object columns
datetime     datetime64 columns, and string columns whose every value is a date
text         string columns of free text (see :mod:`advval._text`)

:func:`column_kind` reads the dtype only (strings are categorical there);
:class:`~advval._frames.FrameEncoder` reads string columns as dates or text from their
values, or as the user says.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray

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
    if is_duration(dtype):
        return NUMERIC
    return CATEGORICAL


def is_duration(dtype: Any) -> bool:
    """Whether ``dtype`` holds time spans: NumPy ``timedelta64`` or Arrow ``duration``.

    Examples
    --------
    >>> is_duration(pd.Series(pd.to_timedelta([1], unit="s")).dtype)
    True
    >>> is_duration(pd.ArrowDtype(pa.duration("ms"))), is_duration(pd.ArrowDtype(pa.int64()))
    (True, False)
    """
    if isinstance(dtype, pd.ArrowDtype):
        return bool(pa.types.is_duration(dtype.pyarrow_dtype))
    return bool(pd.api.types.is_timedelta64_dtype(dtype))


def duration_seconds(values: pd.Series) -> NDArray[np.float64]:
    """Time spans (NumPy or Arrow) as float64 seconds, NaN where missing.

    Examples
    --------
    >>> spans = pd.Series([pd.Timedelta(1500, "ms"), None], dtype=pd.ArrowDtype(pa.duration("ms")))
    >>> duration_seconds(spans).tolist()
    [1.5, nan]
    """
    return np.asarray(values.dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan))


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
