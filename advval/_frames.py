"""Input checking shared by every estimator: align train and test, type columns, encode.

The user's frames are never modified: every function here returns new objects.

Column kinds
------------
numeric      int / float columns (float64; divided by a power of two when their magnitude
             is near the float limits, see :func:`magnitude_unit`)
boolean      bool / nullable boolean columns (encoded 0.0 / 1.0, NaN kept)
categorical  category, string and object columns (pandas ``category`` over the union of
             both sides' labels, so codes agree between train and test). A column of more
             than ``MAX_LEVELS`` (255) levels is *capped* for the classifier: its 254 most
             frequent levels, one ``"(other)"`` level and a second model column counting
             each value over both sides (:mod:`advval._levels` says why); the per-column
             test keeps every level
datetime     datetime64 columns, and string columns whose every value is a date of one
             format (:mod:`advval._dates`: ISO, ``MM/DD/YYYY``, ``DD.MM.YYYY``, ...),
             expanded into numeric parts (epoch seconds, year, month, day, day of week,
             hour when some value has one) whose attributions are summed back to the column
text         string columns of free text (:mod:`advval._text`: many distinct values of
             several words), encoded as length, words and the shares of digits,
             upper-case letters and punctuation, tested on their length

Dates and text are read from the values of ``str`` and ``object`` columns only: a pandas
``category`` column is taken as the user's word that the column is categorical.

The user may say what a column is with ``column_kinds`` (``{"zip": "categorical",
"notes": "text", "when": "datetime"}``); everything else is read from dtypes and values.
What the encoder learns from a column is a bounded, mergeable summary
(:mod:`advval._summary`), so the Dask backend learns the same encoder from partitions.

Model column names
-----------------
The model matrix has its own column names (:attr:`FrameEncoder.encoded_columns`), chosen
so that any estimator accepts them: LightGBM refuses names with JSON characters
(``" , : [ ] { }``), turns whitespace into ``_`` (so ``"a b"`` and ``"a_b"`` collide) and
cannot store an empty name or a newline; XGBoost refuses ``[ ] <``. See
:func:`model_column_name` for the rule and why it is unique by construction. Everything a
user reads (reports, importances, warnings, errors) uses the user's own column names;
``FrameEncoder.source`` maps each model column back to its user column.
"""

from __future__ import annotations

import math
import re
import shlex
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ._caller import user_stacklevel
from ._dates import (
    MixedReading,
    day_first,
    describe_formats,
    is_ambiguous,
    mixed_reading,
    parse_dates,
    pick_format,
)
from ._kinds import (
    BOOLEAN,
    CATEGORICAL,
    DATETIME,
    NUMERIC,
    OVERRIDE_KINDS,
    TEXT,
    as_utc,
    column_kind,
    duration_seconds,
    is_duration,
    is_nested,
)
from ._levels import MAX_LEVELS, classifier_levels, labels_and_codes
from ._summary import ColumnSummary, FrameSummary, largest_magnitude, merge
from ._text import TEXT_PARTS, is_free_text, text_features
from .exceptions import ReadingWarning

__all__ = [
    "BOOLEAN",
    "CATEGORICAL",
    "DATETIME",
    "MAX_MODEL_NAME",
    "NUMERIC",
    "TEXT",
    "FrameEncoder",
    "FrameSummary",
    "align_columns",
    "array_column_names",
    "as_frame",
    "column_kind",
    "magnitude_unit",
    "model_column_name",
]

_DATETIME_PARTS = ("epoch", "year", "month", "day", "day_of_week", "hour")
#: the model column counting the values of a capped categorical
COUNT_PART = "count"

#: longest model column name kept as it is, and longest readable stem of a generated one
MAX_MODEL_NAME = 64
_PLAIN_NAME = re.compile(rf"[A-Za-z][A-Za-z0-9_]{{0,{MAX_MODEL_NAME - 1}}}")
_GENERATED_NAME = re.compile(r".*__[0-9]+")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9]+")

#: numeric columns whose largest magnitude lies outside [2**-E, 2**E] are rescaled
SAFE_EXPONENT = 64


def magnitude_unit(*arrays: ArrayLike) -> float:
    """The power of two to divide the values of ``arrays`` by so that models can use them.

    Near the float limits numbers break the arithmetic done on them: LightGBM cannot put
    a bin boundary between ``1e308`` and ``1.7e308`` (their midpoint overflows) and treats
    every ``|x| < 1e-35`` as 0; means, squared errors and sums of ``1e308`` overflow; squares
    of ``1e-300`` underflow. Divided by this unit the largest magnitude lies in [1, 2).
    Dividing by a power of two is exact (only values over ~1e308 times smaller than the
    largest one underflow to 0) and keeps the order of the values, so it changes no tree's
    partition, no rank statistic, no R^2 and no AUC. ``1.0`` when the largest finite
    magnitude already lies in ``[2**-SAFE_EXPONENT, 2**SAFE_EXPONENT]`` (ordinary data is
    left exactly as it is), or when every value is 0, missing or infinite. Linear time,
    no copy of float64 input: one pass for the minimum and one for the maximum.

    Examples
    --------
    >>> magnitude_unit([1.0, -3e5, np.nan]), magnitude_unit([1e308, -1e308]) == 2.0**1023
    (1.0, True)
    >>> magnitude_unit([3e-300], [np.inf]) == 2.0**-995, magnitude_unit([2.0**64, 1.0])
    (True, 1.0)
    """
    largest = max([largest_magnitude(np.asarray(a, dtype=np.float64)) for a in arrays] + [0.0])
    return _unit(largest)


def _unit(largest: float) -> float:
    """The unit of values whose largest finite magnitude is ``largest``."""
    if largest == 0.0 or 2.0**-SAFE_EXPONENT <= largest <= 2.0**SAFE_EXPONENT:
        return 1.0
    return math.ldexp(1.0, math.frexp(largest)[1] - 1)


def model_column_name(column: str, part: str, position: int) -> str:
    """The model matrix's name for part ``part`` of user column ``column``.

    A *plain* name (an ASCII letter, then at most 63 ASCII letters, digits or ``_``, not
    ending in ``__<digits>``) of a column encoded as one model column is kept unchanged:
    that is nearly every real column, so ``validator.estimators_[k].feature_name_``,
    LightGBM's importances and tree dumps read in the user's terms (a capped categorical's
    levels keep it too, as part ``""``). Any other name, and every named part (a datetime
    part, a text feature, a capped categorical's ``count``), becomes a readable stem (runs
    of other characters replaced by ``_``, cut to ``MAX_MODEL_NAME`` characters,
    ``column`` when nothing is left), then the part, then the suffix ``__<position>`` (the
    model column's position): ``"Unnamed: 0"`` -> ``"Unnamed_0__0"``, part ``year`` of
    ``t`` -> ``"t_year__3"``.

    Unique by construction, whatever the user's names: kept names are distinct user
    names that never end in ``__<digits>``; every generated name does, and the digits
    after its last ``__`` are its own position. So ``"a b"`` next to ``"a_b"``, ``"t.year"``
    next to datetime ``t``, or a user column named like a generated one (``"x__0"``, which
    is not plain) cannot collide. Kept names start with a letter, so they never clash with
    the ``__advval_*`` helper columns of :mod:`advval.distributed`. Positional names
    (``f0, f1, ...``) would be as safe but would make every fitted model unreadable.

    Parameters
    ----------
    column : str
        The user's column name.
    part : str
        ``""`` for a column encoded as one model column (or a capped categorical's
        levels), else the part (``"year"``, ``"length"``, ``"count"``...).
    position : int
        The model column's position in the model matrix.

    Returns
    -------
    str
        ASCII letters, digits and ``_`` only, never empty; at most ``MAX_MODEL_NAME``
        characters, plus the part and the suffix.

    Examples
    --------
    >>> model_column_name("age", "", 0), model_column_name("Unnamed: 0", "", 1)
    ('age', 'Unnamed_0__1')
    >>> model_column_name("t", "year", 2), model_column_name("t.year", "", 3)
    ('t_year__2', 't_year__3')
    """
    if not part and _PLAIN_NAME.fullmatch(column) and not _GENERATED_NAME.fullmatch(column):
        return column
    stem = _UNSAFE_RUN.sub("_", column).strip("_")[:MAX_MODEL_NAME].rstrip("_") or "column"
    return f"{stem}_{part}__{position}" if part else f"{stem}__{position}"


def from_table_protocol(X: object) -> pd.DataFrame | None:
    """A table of another library as a pandas DataFrame with Arrow dtypes; else ``None``.

    Polars, PyArrow (``Table``, ``RecordBatch``), DuckDB and other libraries hand their
    tables over by the Arrow PyCapsule stream (``__arrow_c_stream__``), copying nothing
    where they can; the older dataframe interchange protocol (``__dataframe__``) is the
    fallback. Column names and types are kept (Arrow dtypes, read as pandas reads Parquet),
    where ``numpy.asarray`` would have dropped the names and made every column objects.

    Examples
    --------
    >>> import pyarrow as pa
    >>> frame = from_table_protocol(pa.table({"fare": [7.25, None], "town": ["a", "b"]}))
    >>> frame.columns.tolist(), str(frame["fare"].dtype)
    (['fare', 'town'], 'double[pyarrow]')
    >>> from_table_protocol([[1, 2]]) is None
    True
    """
    if isinstance(X, pd.DataFrame):
        return None
    if hasattr(X, "__arrow_c_stream__"):
        import pyarrow as pa

        return pa.table(X).to_pandas(types_mapper=pd.ArrowDtype)
    if hasattr(X, "__dataframe__"):
        return pd.api.interchange.from_dataframe(X)
    return None


def as_frame(X: object, *, name: str) -> pd.DataFrame:
    """Return ``X`` as a DataFrame with unique string column names, checked.

    Arrays get the column names ``x0, x1, ...``. The result may share memory with
    ``X``; callers never write into it.

    Parameters
    ----------
    X : DataFrame, array-like or table of shape (n_samples, n_features)
        A table of another library (Polars, PyArrow, DuckDB) is read by
        :func:`from_table_protocol`.
    name : str
        What to call ``X`` in error messages (``"X_train"``).

    Returns
    -------
    DataFrame

    Raises
    ------
    TypeError
        Non-string or duplicate column names, or not 2-D data.
    ValueError
        No rows or no columns.

    Examples
    --------
    >>> as_frame([[1, 2], [3, 4]], name="X").columns.tolist()
    ['x0', 'x1']
    """
    if isinstance(X, pd.Series):
        raise TypeError(
            f"{name} must be a 2-D DataFrame or array; got a pandas Series. Use "
            f"{name}.to_frame() for a single column."
        )
    table = from_table_protocol(X)
    if isinstance(X, pd.DataFrame):
        frame = X
    elif table is not None:  # a Polars / PyArrow / DuckDB table: its names and types kept
        frame = table
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise TypeError(
                f"{name} must be a 2-D DataFrame or array; got an array with {array.ndim} "
                f"dimension(s)."
            )
        frame = pd.DataFrame(array, columns=array_column_names(array.shape[1]))
    if isinstance(frame.columns, pd.MultiIndex):
        raise TypeError(f"{name} has MultiIndex columns; flatten them to strings first.")
    non_string = [c for c in frame.columns if not isinstance(c, str)]
    if non_string:
        raise TypeError(
            f"Column names must be strings; {name} has non-string column names "
            f"{non_string[:10]!r}. Rename them, e.g. {name}.columns = "
            f"{name}.columns.astype(str)."
        )
    duplicated = sorted(set(frame.columns[frame.columns.duplicated()]))
    if duplicated:
        raise TypeError(f"{name} has duplicate column names: {duplicated!r}.")
    if frame.shape[1] == 0:
        raise ValueError(f"{name} has no columns.")
    if frame.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 rows).")
    _check_cells(frame, name)
    return frame


def _check_cells(frame: pd.DataFrame, name: str) -> None:
    """Raise when an object column holds containers (dicts, lists, arrays) in its cells.

    A table's cells are numbers, strings, dates or booleans; a nested value (a JSON record
    read into a cell, a Parquet list column) has no order and no category.
    """
    for column in frame.columns:
        values = frame[column]
        if is_nested(values.dtype):  # Arrow list / struct / map columns (Parquet)
            raise TypeError(
                f"Column {column!r} of {name} holds {values.dtype} values; cells "
                f"must be numbers, strings, dates or booleans. Flatten or drop the column."
            )
        if values.dtype != object:
            continue
        try:
            pd.factorize(values)
        except TypeError:
            nested = next(v for v in values if not _hashable(v))
            raise TypeError(
                f"Column {column!r} of {name} holds {type(nested).__name__} values (e.g. "
                f"{_short(nested)}); cells must be numbers, strings, dates or booleans. Flatten "
                f"or drop the column."
            ) from None


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: what :func:`align_columns` calls its two frames unless told otherwise
ALIGN_NAMES = ("X_train", "X_test")


def align_columns(
    train: pd.DataFrame, test: pd.DataFrame, *, names: tuple[str, str] = ALIGN_NAMES
) -> pd.DataFrame:
    """Return ``test`` with the columns of ``train``, in train's order.

    Parameters
    ----------
    train, test : DataFrame
    names : tuple of (str, str), default=("X_train", "X_test")
        What the error message calls ``train`` and ``test``: the caller's argument names
        (``("the data seen in fit", "X")``) or the user's files
        (``("TRAIN file 'a.csv'", "TEST file 'b.csv'")``).

    Raises
    ------
    ValueError
        When the column sets differ, naming what each side misses.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1], "y": [2]})
    >>> align_columns(a, pd.DataFrame({"y": [3], "x": [4]})).columns.tolist()
    ['x', 'y']
    >>> align_columns(a, pd.DataFrame({"x": [4]}), names=("X", "X_test"))
    Traceback (most recent call last):
    ...
    ValueError: X_test has 1 columns but X has 2: missing in X_test: ['y']. Drop or add columns so both sides have the same ones.
    """  # noqa: E501
    train_name, test_name = names
    train_cols, test_cols = list(train.columns), list(test.columns)
    if set(train_cols) == set(test_cols):
        return test if train_cols == test_cols else test[train_cols]
    common = set(train_cols) & set(test_cols)
    if not common:
        raise ValueError(
            f"{train_name} and {test_name} have no column in common: {train_name} has "
            f"{_preview(train_cols)}, {test_name} has {_preview(test_cols)}."
        )
    missing_in_test = [c for c in train_cols if c not in common]
    missing_in_train = [c for c in test_cols if c not in common]
    parts = []
    if missing_in_test:
        parts.append(f"missing in {test_name}: {_preview(missing_in_test)}")
    if missing_in_train:
        parts.append(f"missing in {train_name}: {_preview(missing_in_train)}")
    raise ValueError(
        f"{test_name} has {len(test_cols)} columns but {train_name} has {len(train_cols)}: "
        + "; ".join(parts)
        + ". Drop or add columns so both sides have the same ones."
    )


def array_column_names(n_columns: int, *, prefix: str = "x") -> list[str]:
    """The column names an array's columns get: ``prefix`` and the column's position.

    One rule for the package, with two public spellings: the estimators of drift and
    dependency call an array's columns ``x0, x1, ...`` (scikit-learn's
    ``get_feature_names_out`` style, ``prefix="x"``); the attacks and their reports call
    them ``0, 1, ...`` (``prefix=""``), the names a ``FeatureSpace`` and a robustness
    report have always given them.

    Examples
    --------
    >>> array_column_names(3)
    ['x0', 'x1', 'x2']
    >>> array_column_names(2, prefix="")
    ['0', '1']
    """
    return [f"{prefix}{i}" for i in range(n_columns)]


def _preview(names: Sequence[str], limit: int = 10) -> str:
    shown = list(names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{shown!r}{more}"


def _not_numbers(left: ColumnSummary, right: ColumnSummary) -> str:
    """Where one side is numbers and the other strings: the strings that are not numbers.

    The middle of the kind-mismatch message, up to the advice to convert a side (``";"``
    when there is nothing to add).

    Mostly a few placeholders (``unknown``, ``?``, ``-``) in a column of numbers; saying
    which, and how to read them as missing, turns a type error into a one-option fix.
    """
    kinds = (left.kind, right.kind)
    if NUMERIC not in kinds or CATEGORICAL not in kinds:
        return ";"
    summary = left if left.kind == CATEGORICAL else right
    if summary.counts is None:
        return ";"
    labels = summary.counts.index.astype(str)
    numbers = pd.to_numeric(pd.Series(labels, dtype=object), errors="coerce").notna()
    words = summary.counts[~numbers.to_numpy()]
    if words.empty:
        return ";"
    shown = ", ".join(f"{label!r} ({int(rows):,} rows)" for label, rows in words.head(3).items())
    more = "" if len(words) <= 3 else f" and {len(words) - 3:,} more"
    if 2 * int(words.sum()) >= summary.rows - summary.missing:  # mostly words: a category
        return f", where these values are not numbers: {shown}{more};"
    first = str(words.index[0])
    return (
        f", where these values are not numbers: {shown}{more}. If they mark missing values, "
        f"read them as missing (pandas.read_csv(na_values=[{first!r}]); on the command line "
        f"--na-values {shlex.quote(first)}); otherwise"
    )


def _describe(kind: str) -> str:
    return {
        NUMERIC: "numeric",
        BOOLEAN: "boolean",
        CATEGORICAL: "text/categorical",
        DATETIME: "datetime",
        TEXT: "free text",
    }[kind]


def infinite_values_error(column: str, name: str) -> ValueError:
    """The error for a numeric column holding +/-inf."""
    return ValueError(
        f"Column {column!r} of {name} contains infinite values; replace them with NaN or "
        f"finite numbers."
    )


@dataclass
class FrameEncoder:
    """Turns checked frames into the model matrix the domain classifier sees.

    Fit it on the aligned train and test frames with :meth:`fit`; :meth:`transform`
    encodes those or new rows (for ``test_likeness``) identically.

    Parameters
    ----------
    column_kinds : dict or None
        Column -> ``"categorical"``, ``"datetime"`` or ``"text"``: what a column is,
        instead of what its dtype and values suggest. ``"categorical"`` applies to any
        column (numbers become labels: a zip code), ``"text"`` to string columns,
        ``"datetime"`` to string columns whose every value is a date of one supported
        format (and to datetime columns).

    Attributes
    ----------
    columns : list of str
        The user's columns that are kept (entirely missing ones are dropped).
    kinds : dict
        Column -> kind (numeric, boolean, categorical, datetime, text).
    dropped : list of str
        Columns dropped because every value is missing on both sides.
    categories : dict
        Categorical column -> the levels the classifier sees, sorted; a capped column's
        last level is its other level.
    counts : dict
        Capped categorical column -> rows of each of its most frequent levels (at most
        ``MAX_COUNTED``) over both sides: its count feature.
    others : dict
        Capped categorical column -> the label of its other level.
    formats : dict
        String column read as dates -> its format (``pandas.to_datetime``'s ``format``;
        several joined by ``|`` for a column written several ways, each value read with its
        own: :func:`advval._dates.parse_dates`).
    ambiguous_dates : list of str
        Date-string columns that read as dates both month first and day first, read month
        first (day first inside :func:`advval._dates.reading_day_first`).
    mixed_dates : dict
        Date-string columns written several ways (no one format reads every value) -> the
        formats and the rows each reads (:class:`advval._dates.MixedReading`).
    encoded_columns : list of str
        Columns of the model matrix: safe for LightGBM and any scikit-learn estimator and
        unique (see :func:`model_column_name`); the names fitted models know.
    source : list of str
        For each encoded column, the user's column it comes from.
    parts : list of str
        For each encoded column, the part of its column it holds: ``""`` for a column
        encoded as one model column (and a capped categorical's levels), the datetime part
        (``"year"``...), the text feature (``"length"``...), or ``"count"``.
    formats_apart : dict
        Column -> the date formats of each side, ``(train's, test's)``, for the string
        columns whose every value is a date on each side but the two cannot be read together
        (one side month first, the other day first): they are compared as categories, and
        differ for that alone. Sides written in formats that can be read together (one
        ``2016-01-05``, the other ``01/15/2016``) are read as dates (``mixed_dates``).
    units : dict
        Numeric column -> the power of two its model column is divided by, for the
        columns where it is not 1 (values near the float limits, see
        :func:`magnitude_unit`). :meth:`column_values` gives the values unscaled.

    Examples
    --------
    >>> frame = pd.DataFrame({"a b": [1.0, 2.0], "a_b": [3.0, 4.0]})
    >>> encoder = FrameEncoder().fit(frame, frame)
    >>> encoder.encoded_columns, encoder.source
    (['a_b__0', 'a_b'], ['a b', 'a_b'])
    >>> days = pd.DataFrame({"day": ["01/31/2013", "02/01/2013"]})
    >>> encoder = FrameEncoder().fit(days, days)
    >>> encoder.kinds, encoder.formats, encoder.parts
    ({'day': 'datetime'}, {'day': '%m/%d/%Y'}, ['epoch', 'year', 'month', 'day', 'day_of_week'])
    """

    column_kinds: dict[str, str] | None = None
    columns: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, pd.Series] = field(default_factory=dict)
    others: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    ambiguous_dates: list[str] = field(default_factory=list)
    encoded_columns: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    units: dict[str, float] = field(default_factory=dict)
    formats_apart: dict[str, tuple[str, str]] = field(default_factory=dict)
    mixed_dates: dict[str, MixedReading] = field(default_factory=dict)

    def fit(
        self,
        train: pd.DataFrame | FrameSummary,
        test: pd.DataFrame | FrameSummary,
        *,
        names: tuple[str, str] = ALIGN_NAMES,
    ) -> FrameEncoder:
        """Learn kinds, levels and formats from both sides; warn about what was guessed.

        Parameters
        ----------
        train, test : DataFrame or FrameSummary
            The aligned frames, or their summaries (what :mod:`advval.distributed` learns
            from the partitions of Dask frames).
        names : tuple of (str, str), default=("X_train", "X_test")
            What the errors and warnings call ``train`` and ``test`` (as in
            :func:`align_columns`): the caller's argument names or the user's files.

        Raises
        ------
        TypeError
            A column of one kind on one side and another on the other (numbers and
            words, say); the message names the column and both sides.

        Examples
        --------
        >>> numbers = pd.DataFrame({"d": [1.0, 2.0]})
        >>> days = pd.DataFrame({"d": ["2020-01-01", "2020-01-02"]})
        >>> FrameEncoder().fit(numbers, days, names=("X", "X_test"))
        Traceback (most recent call last):
        ...
        TypeError: Column 'd' is numeric in X but text/categorical in X_test, where these values are not numbers: ...
        """  # noqa: E501
        requested = self.requested_kinds(list(train.columns))
        levels = [c for c, kind in requested.items() if kind == CATEGORICAL]
        left = train if isinstance(train, FrameSummary) else FrameSummary.of(train, levels=levels)
        right = test if isinstance(test, FrameSummary) else FrameSummary.of(test, levels=levels)
        self.columns, self.kinds, self.dropped = [], {}, []
        self.categories, self.counts, self.others, self.formats = {}, {}, {}, {}
        self.ambiguous_dates, self.encoded_columns, self.source, self.parts = [], [], [], []
        self.units = {}
        text: list[str] = []
        self.formats_apart = apart = {}
        self.mixed_dates = {}
        unread: dict[str, str] = {}
        offsets: dict[str, list[str]] = {}
        for column in left.columns:
            first, second = left[column], right[column]
            if first.present == 0 and second.present == 0:
                self.dropped.append(column)
                continue
            both = merge(first, second)
            kind = self._pair_kind(column, first, second, names)
            if column in requested:
                kind = self._requested_kind(column, kind, requested[column], both)
            elif kind == CATEGORICAL and both.strings:
                # one frame given as both sides: its rows counted once (the formats are alike)
                mixed = _mixed(first if train is test else both)
                if both.dates:
                    kind = DATETIME
                elif mixed is not None and not mixed.problem:  # written several ways
                    kind = DATETIME
                    self.mixed_dates[column] = mixed
                elif first.dates and second.dates:  # dates on each side, not readable together
                    apart[column] = (pick_format(first.dates), pick_format(second.dates))
                elif mixed is not None:
                    unread[column] = mixed.problem
                elif is_free_text(
                    levels=both.levels,
                    present=both.present,
                    chars=both.chars,
                    words=both.words,
                    max_levels=MAX_LEVELS,
                ):
                    kind = TEXT
                    text.append(column)
            self._learn(column, kind, both)
            if column in self.formats and both.offsets:
                offsets[column] = sorted(both.offsets)
        self._warn(text, names)
        self._warn_dates(unread, offsets, () if train is test else names)
        if apart:
            formats = "; ".join(f"{c!r}: {a!r} vs {b!r}" for c, (a, b) in apart.items())
            warnings.warn(
                f"Column(s) {_preview(list(apart))} hold dates written one way in {names[0]} and "
                f"another in {names[1]} ({formats}): no one format reads both sides, nor one order "
                f"of day and month, so they are compared as categories, and differ for that "
                f"alone. Write both sides in one format first (pandas.to_datetime(..., "
                f"format=...)).",
                ReadingWarning,
                stacklevel=user_stacklevel(),
            )
        if not self.columns:
            raise ValueError("Every column is entirely missing; nothing left to compare.")
        return self

    def requested_kinds(self, columns: list[str]) -> dict[str, str]:
        """``column_kinds`` checked against ``columns`` and the kinds a user may ask for.

        Raises
        ------
        TypeError
            ``column_kinds`` is not a dict.
        ValueError
            An unknown kind, or a column not in ``columns``.
        """
        if self.column_kinds is None:
            return {}
        if not isinstance(self.column_kinds, Mapping):
            raise TypeError(
                f"The 'column_kinds' parameter must be a dict of column name -> kind. Got "
                f"{type(self.column_kinds).__name__} instead."
            )
        for column, kind in self.column_kinds.items():
            if kind not in OVERRIDE_KINDS:
                raise ValueError(
                    f"The 'column_kinds' parameter gives column {column!r} the kind {kind!r}; "
                    f"expected one of {list(OVERRIDE_KINDS)!r}."
                )
        unknown = [c for c in self.column_kinds if c not in set(columns)]
        if unknown:
            raise ValueError(
                f"The 'column_kinds' parameter names column(s) {_preview(unknown)} that the "
                f"data do not have; its columns are {_preview(columns)}."
            )
        return dict(self.column_kinds)

    @staticmethod
    def _pair_kind(
        column: str, left: ColumnSummary, right: ColumnSummary, names: tuple[str, str]
    ) -> str:
        if left.present == 0:
            return right.kind
        if right.present == 0 or left.kind == right.kind:
            return left.kind
        if {left.kind, right.kind} == {NUMERIC, BOOLEAN}:
            return NUMERIC
        raise TypeError(
            f"Column {column!r} is {_describe(left.kind)} in {names[0]} but "
            f"{_describe(right.kind)} in {names[1]}{_not_numbers(left, right)} convert one side "
            "so both have one type."
        )

    @staticmethod
    def _requested_kind(column: str, kind: str, requested: str, both: ColumnSummary) -> str:
        """The kind ``column_kinds`` asks for, or an error saying why it cannot apply."""
        if requested == CATEGORICAL:
            if both.counts is None:
                raise ValueError(
                    f"Column {column!r} is to be read as categorical but its summary has no "
                    f"level counts; summarise it with levels=[{column!r}]."
                )
            return CATEGORICAL
        if requested == DATETIME and kind == DATETIME:
            return DATETIME
        if kind != CATEGORICAL:
            allowed = "string or datetime" if requested == DATETIME else "string"
            raise TypeError(
                f"Column {column!r} is {_describe(kind)}; the 'column_kinds' parameter can "
                f"read only {allowed} columns as {requested!r}."
            )
        mixed = _mixed(both)
        if requested == TEXT or both.dates or (mixed is not None and not mixed.problem):
            return requested
        if both.not_date is not None:
            reason = f"{both.not_date!r} is not a date of a supported shape: {describe_formats()}"
        elif mixed is not None:
            reason = f"its values are dates written several ways, but {mixed.problem}"
        else:
            reason = (
                "no one format reads every value (formats mixed in one column, or impossible "
                "dates such as '02/30/2013')"
            )
        raise ValueError(
            f"Column {column!r} cannot be read as dates (the 'column_kinds' parameter says "
            f"'datetime'): {reason}."
        )

    def _learn(self, column: str, kind: str, both: ColumnSummary) -> None:
        """Record ``column`` of ``kind`` and its model columns."""
        self.columns.append(column)
        self.kinds[column] = kind
        parts = [""]
        if kind == NUMERIC:
            unit = _unit(both.largest)
            if unit != 1.0:
                self.units[column] = unit
        elif kind == CATEGORICAL:
            assert both.counts is not None  # every categorical summary counts levels
            self.categories[column], other = classifier_levels(both.counts, complete=both.complete)
            if other is not None:
                self.others[column] = other
                self.counts[column] = both.counts
                parts = ["", COUNT_PART]
        elif kind == DATETIME:
            if both.kind == CATEGORICAL and both.dates:  # strings whose every value is a date
                self.formats[column] = pick_format(both.dates)
                if is_ambiguous(both.dates):
                    self.ambiguous_dates.append(column)
            elif both.kind == CATEGORICAL:  # dates written several ways
                mixed = self.mixed_dates.setdefault(column, _mixed(both))  # type: ignore[arg-type]
                assert mixed is not None and not mixed.problem  # only readable ones get here
                self.formats[column] = mixed.format
                if mixed.ambiguous:
                    self.ambiguous_dates.append(column)
            parts = [p for p in _DATETIME_PARTS if p != "hour" or both.hour]
        elif kind == TEXT:
            parts = list(TEXT_PARTS)
        for part in parts:
            self.encoded_columns.append(model_column_name(column, part, len(self.encoded_columns)))
            self.source.append(column)
            self.parts.append(part)

    def _warn(self, text: list[str], names: tuple[str, str]) -> None:
        """The warnings of :meth:`fit`: dropped columns, free text, ambiguous dates."""
        if self.dropped:
            warnings.warn(
                f"Dropped {len(self.dropped)} column(s) whose values are all missing in "
                f"both {names[0]} and {names[1]}: {_preview(self.dropped)}.",
                ReadingWarning,
                stacklevel=user_stacklevel(),
            )
        if text:
            warnings.warn(
                f"Column(s) {_preview(text)} hold free text (many distinct values of several "
                f"words): the classifier sees their length, word count and shares of digits, "
                f"upper-case letters and punctuation, and the per-column test compares their "
                f"lengths. Name them in column_kinds as 'categorical' (CLI: --categorical) to "
                f"treat them as categories instead.",
                ReadingWarning,
                stacklevel=user_stacklevel(),
            )
        if self.ambiguous_dates:
            formats = {c: self.formats[c] for c in self.ambiguous_dates}
            if day_first():
                said = f"read day first as --day-first asks, {formats!r}"
            else:
                said = (
                    f"read month first, {formats!r}. If the day comes first, pass --day-first "
                    f"(Python: convert them with pandas.to_datetime(..., format=...) first)"
                )
            warnings.warn(
                f"Column(s) {_preview(self.ambiguous_dates)} read as dates both month first "
                f"and day first (no day above 12): {said}.",
                ReadingWarning,
                stacklevel=user_stacklevel(),
            )

    def _warn_dates(
        self, unread: dict[str, str], offsets: dict[str, list[str]], sides: Sequence[str]
    ) -> None:
        """The warnings of :meth:`fit` on date strings: written several ways (read, or
        not), with UTC offsets. ``sides``: the names of the two frames fitted, named where
        the rows are counted (none when one frame was given as both)."""
        where = f" in {sides[0]} and {sides[1]}" if sides else ""
        for column, mixed in self.mixed_dates.items():
            shown = ", ".join(f"{f!r} ({n} rows)" for f, n in mixed.formats)
            warnings.warn(
                f"Column {column!r} holds dates written {len(mixed.formats)} ways{where}: "
                f"{shown}; each value is read as a date with its own format.",
                ReadingWarning,
                stacklevel=user_stacklevel(),
            )
        for column, problem in unread.items():
            warnings.warn(
                f"Column {column!r} holds dates written several ways that cannot be read "
                f"together: {problem}; so it is compared as categories. Write its dates in one "
                f"format "
                f"(pandas.to_datetime(..., format=...) on each part, then one strftime), or "
                f"name it in column_kinds as 'categorical' (CLI: --categorical) to read it "
                f"as labels without this note.",
                ReadingWarning,
                stacklevel=user_stacklevel(),
            )
        if offsets:
            shown = "; ".join(
                f"{c!r}: {', '.join(repr(o) for o in found[:5])}"
                + (" ..." if len(found) > 5 else "")
                for c, found in offsets.items()
            )
            warnings.warn(
                f"Column(s) {_preview(list(offsets))} hold times with UTC offsets ({shown}): "
                f"they are read in UTC (each time moved by its offset), so their hours and "
                f"days are UTC ones.",
                ReadingWarning,
                stacklevel=user_stacklevel(),
            )

    def check_finite(self, frame: pd.DataFrame, *, name: str) -> None:
        """Raise when a numeric column of ``frame`` holds +/-inf."""
        for column in self.columns:
            if self.kinds[column] != NUMERIC:
                continue
            values = frame[column]
            if pd.api.types.is_float_dtype(values.dtype) and bool(
                np.isinf(values.to_numpy(dtype=np.float64, na_value=np.nan)).any()
            ):
                raise infinite_values_error(column, name)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Encode ``frame`` (already aligned to the fitted columns) into the model matrix."""
        frame = frame.reset_index(drop=True)
        names = dict(
            zip(zip(self.source, self.parts, strict=True), self.encoded_columns, strict=True)
        )
        encoded: dict[str, Any] = {}
        for column in self.columns:
            for part, values in self._encode(frame[column], column).items():
                encoded[names[column, part]] = values
        return pd.DataFrame(encoded, index=pd.RangeIndex(len(frame)), columns=self.encoded_columns)

    def _encode(self, values: pd.Series, column: str) -> dict[str, Any]:
        """The model columns of one user column, by part."""
        kind = self.kinds[column]
        if kind == NUMERIC:
            numbers = _to_float(values)
            return {"": numbers / self.units[column] if column in self.units else numbers}
        if kind == BOOLEAN:
            if not values.hasnans:
                return {"": values.astype("float64")}
            return {"": values.map({True: 1.0, False: 0.0}).astype("float64")}
        if kind == DATETIME:
            stamps = self._stamps(values, column)
            parts = [p for s, p in zip(self.source, self.parts, strict=True) if s == column]
            return {part: _datetime_part(stamps, part) for part in parts}
        codes, labels = labels_and_codes(values)
        if kind == TEXT:
            return {
                part: _per_row(feature, codes)
                for part, feature in text_features(labels, TEXT_PARTS).items()
            }
        categories = pd.Index(self.categories[column])
        position = categories.get_indexer(pd.Index(labels.to_pandas()))
        if column not in self.others:
            return {"": _categorical(position, codes, categories)}
        position[position < 0] = len(categories) - 1  # present but not kept: the other level
        counts = self.counts[column].reindex(labels.to_pandas(), fill_value=0)
        return {
            "": _categorical(position, codes, categories),
            COUNT_PART: _per_row(counts.to_numpy(dtype=np.float64), codes),
        }

    def _stamps(self, values: pd.Series, column: str) -> pd.Series:
        """A datetime column (or date strings, read with their format) as naive UTC."""
        return naive_utc(values, self.formats.get(column))

    def column_values(
        self, frame: pd.DataFrame, column: str
    ) -> NDArray[np.float64] | NDArray[np.object_]:
        """One column as used by univariate tests.

        Floats for numeric columns, epoch seconds for datetimes (date strings included),
        lengths in characters for text, labels (``str``, NaN when missing) for categorical
        columns, ``True`` / ``False`` / NaN for booleans.
        """
        kind = self.kinds[column]
        values = frame[column]
        if kind == NUMERIC:
            return _to_float(values).to_numpy()
        if kind == DATETIME:
            return _epoch_seconds(self._stamps(values, column)).to_numpy()
        if kind == BOOLEAN:
            return values.astype("object").to_numpy()
        codes, labels = labels_and_codes(values)
        if kind == TEXT:
            return _per_row(text_features(labels, ("length",))["length"], codes)
        strings = np.append(np.asarray(labels.to_pylist(), dtype=object), np.nan)
        return np.asarray(strings[codes], dtype=object)


def _mixed(both: ColumnSummary) -> MixedReading | None:
    """How a string column whose values are dates written several ways reads (``None``:
    some value is not a date string, one format reads them all, or they are written one
    way that no format reads, such as durations ``24:40``)."""
    if both.dates or not both.styles or both.not_date is not None or len(both.styles) < 2:
        return None
    return mixed_reading(both.styles)


def naive_utc(values: pd.Series, date_format: str | None = None) -> pd.Series:
    """Dates as naive UTC timestamps: a datetime column, or strings read with ``date_format``.

    How every reader of dates in the package reads a column's values (the encoder's
    model columns and univariate tests, the imputer's numbers): aware datetimes are
    converted to UTC, naive ones kept; strings are parsed once per distinct value with
    the format the encoder found (:attr:`FrameEncoder.formats`); missing values are NaT.

    Examples
    --------
    >>> naive_utc(pd.Series(["01/31/2013", None]), "%m/%d/%Y").tolist()
    [Timestamp('2013-01-31 00:00:00'), NaT]
    >>> naive_utc(pd.Series(pd.to_datetime(["2020-01-01 01:00+01:00"]))).tolist()
    [Timestamp('2020-01-01 00:00:00')]
    """
    if date_format is None:
        return as_utc(values)
    codes, labels = labels_and_codes(values)
    parsed = np.append(parse_dates(labels, date_format), np.datetime64("NaT", "us"))
    return pd.Series(parsed[codes], index=values.index)


def _per_row(per_label: NDArray[np.float64], codes: NDArray[np.intp]) -> NDArray[np.float64]:
    """Values of the distinct labels spread to the rows (NaN where missing, code -1)."""
    return np.append(per_label, np.nan)[codes]


def _categorical(
    position: NDArray[np.intp], codes: NDArray[np.intp], categories: pd.Index
) -> pd.Categorical:
    """Rows as a Categorical over ``categories``: label ``i`` -> ``position[i]`` (-1: missing)."""
    return pd.Categorical.from_codes(np.append(position, -1)[codes], categories=categories)


def _to_float(values: pd.Series) -> pd.Series:
    if is_duration(values.dtype):
        return pd.Series(duration_seconds(values), index=values.index)
    return values.astype("float64")


def _datetime_part(stamps: pd.Series, part: str) -> pd.Series:
    if part == "epoch":
        return _epoch_seconds(stamps)
    return getattr(stamps.dt, part).astype("float64")


def _epoch_seconds(stamps: pd.Series) -> pd.Series:
    raw = stamps.to_numpy(dtype="datetime64[us]")
    seconds = raw.astype("int64").astype(np.float64) / 1e6
    seconds[np.isnat(raw)] = np.nan
    return pd.Series(seconds, index=stamps.index)
