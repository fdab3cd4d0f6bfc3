"""Column kinds: what the encoder makes of a column, and what its dtype alone says.

numeric      int / float / decimal / timedelta columns (NumPy ``timedelta64`` or Arrow
             ``duration``, read as seconds)
boolean      bool / nullable boolean columns
categorical  category (and Arrow ``dictionary``), string and object columns
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


def is_dictionary(dtype: Any) -> bool:
    """Whether ``dtype`` is Arrow ``dictionary`` (Parquet / Polars / Spark categoricals).

    Such a column is what a pandas ``category`` is: the writer's word that the column is
    categorical, with its levels (used or not) in the dictionary; :func:`as_category`
    reads it as one.

    Examples
    --------
    >>> is_dictionary(pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string())))
    True
    >>> is_dictionary(pd.CategoricalDtype(["a"])), is_dictionary(pd.ArrowDtype(pa.string()))
    (False, False)
    """
    return isinstance(dtype, pd.ArrowDtype) and bool(pa.types.is_dictionary(dtype.pyarrow_dtype))


def as_category(values: pd.Series) -> pd.Series:
    """An Arrow ``dictionary`` column as a pandas ``category`` (same index and name).

    The dictionary's values, in their order, become the categories (a level no row uses
    included, as a ``category``'s unused levels are); the chunks' dictionaries are
    unified first. Any other column is returned as it is. pandas' own
    ``astype("category")`` fails on such a column when it has missing values.

    Examples
    --------
    >>> arrow = pa.array(["b", None, "a"]).dictionary_encode()
    >>> levels = pd.Series(pd.arrays.ArrowExtensionArray(arrow))
    >>> category = as_category(levels)
    >>> category.cat.categories.tolist(), category.isna().tolist()
    (['b', 'a'], [False, True, False])
    """
    if not is_dictionary(values.dtype):
        return values
    arrow = pa.array(values.array)
    chunks = pa.chunked_array([arrow]) if isinstance(arrow, pa.Array) else arrow
    category = chunks.unify_dictionaries().to_pandas()
    return pd.Series(category.array, index=values.index, name=values.name)


def numpy_equivalent(dtype: Any) -> Any:
    """The NumPy (or pandas) dtype whose values an Arrow ``dtype`` holds; others unchanged.

    What code written for NumPy dtypes can build values in before they go back into an
    Arrow column (assigning them casts them exactly): ``timestamp[us, tz=UTC]`` ->
    ``datetime64[us, UTC]``, ``date32`` -> ``datetime64[s]`` (the date of each value is
    kept), ``duration[ms]`` -> ``timedelta64[ms]``, ``decimal128`` -> ``float64``, and
    ``ArrowDtype.numpy_dtype`` for the rest (``int64[pyarrow]`` -> ``int64``...). String,
    boolean and dictionary columns hold labels, not numbers, and stay as they are.

    Examples
    --------
    >>> numpy_equivalent(pd.ArrowDtype(pa.timestamp("us", tz="UTC")))
    datetime64[us, UTC]
    >>> numpy_equivalent(pd.ArrowDtype(pa.date32())), numpy_equivalent(np.dtype("int8"))
    (dtype('<M8[s]'), dtype('int8'))
    """
    if not isinstance(dtype, pd.ArrowDtype):
        return dtype
    arrow = dtype.pyarrow_dtype
    if pa.types.is_timestamp(arrow):
        if arrow.tz is not None:
            return pd.DatetimeTZDtype(unit=arrow.unit, tz=arrow.tz)
        return np.dtype(f"datetime64[{arrow.unit}]")
    if is_calendar_date(dtype):
        return np.dtype("datetime64[s]")
    if pa.types.is_duration(arrow):
        return np.dtype(f"timedelta64[{arrow.unit}]")
    if pa.types.is_decimal(arrow):
        return np.dtype("float64")
    if pa.types.is_integer(arrow) or pa.types.is_floating(arrow):
        return np.dtype(arrow.to_pandas_dtype())
    return dtype


def is_calendar_date(dtype: Any) -> bool:
    """Whether ``dtype`` holds dates without a time of day (Arrow ``date32`` / ``date64``).

    Examples
    --------
    >>> is_calendar_date(pd.ArrowDtype(pa.date32())), is_calendar_date(np.dtype("<M8[s]"))
    (True, False)
    """
    return isinstance(dtype, pd.ArrowDtype) and bool(pa.types.is_date(dtype.pyarrow_dtype))


def is_nested(dtype: Any) -> bool:
    """Whether ``dtype`` is an Arrow list, struct or map: cells that hold several values.

    Examples
    --------
    >>> is_nested(pd.ArrowDtype(pa.list_(pa.int64()))), is_nested(pd.ArrowDtype(pa.string()))
    (True, False)
    """
    return isinstance(dtype, pd.ArrowDtype) and bool(pa.types.is_nested(dtype.pyarrow_dtype))


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
