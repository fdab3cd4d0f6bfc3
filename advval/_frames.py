"""Input checking shared by every estimator: align train and test, type columns, encode.

The user's frames are never modified: every function here returns new objects.

Column kinds
------------
numeric      int / float columns (float64; divided by a power of two when their magnitude
             is near the float limits, see :func:`magnitude_unit`)
boolean      bool / nullable boolean columns (encoded 0.0 / 1.0, NaN kept)
categorical  category, string and object columns (pandas ``category`` with the union of
             both sides' categories, so codes agree between train and test)
datetime     datetime64 columns, expanded into numeric parts (epoch seconds, year, month,
             day, day of week, hour) whose attributions are summed back to the column

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
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .exceptions import DataWarning

NUMERIC, BOOLEAN, CATEGORICAL, DATETIME = "numeric", "boolean", "categorical", "datetime"
_DATETIME_PARTS = ("epoch", "year", "month", "day", "day_of_week", "hour")

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
    largest = max([_largest_magnitude(np.asarray(a, dtype=np.float64)) for a in arrays] + [0.0])
    if largest == 0.0 or 2.0**-SAFE_EXPONENT <= largest <= 2.0**SAFE_EXPONENT:
        return 1.0
    return math.ldexp(1.0, math.frexp(largest)[1] - 1)


def _largest_magnitude(array: NDArray[np.float64]) -> float:
    """Largest finite ``|x|`` (0.0 when there is none); NaN and infinities ignored."""
    if array.size == 0:
        return 0.0
    # fmin / fmax skip NaN without a warning; an infinity (or all NaN) takes the slow path
    largest = max(-float(np.fmin.reduce(array, axis=None)), float(np.fmax.reduce(array, axis=None)))
    if math.isfinite(largest):
        return largest
    finite = array[np.isfinite(array)]
    return float(np.abs(finite).max()) if finite.size else 0.0


def model_column_name(column: str, part: str, position: int) -> str:
    """The model matrix's name for part ``part`` of user column ``column``.

    A *plain* name (an ASCII letter, then at most 63 ASCII letters, digits or ``_``, not
    ending in ``__<digits>``) of a column encoded as one model column is kept unchanged:
    that is nearly every real column, so ``validator.estimators_[k].feature_name_``,
    LightGBM's importances and tree dumps read in the user's terms. Any other name (and
    every datetime part) becomes a readable stem (runs of other characters replaced by
    ``_``, cut to ``MAX_MODEL_NAME`` characters, ``column`` when nothing is left), then
    the datetime part, then the suffix ``__<position>`` (the model column's position):
    ``"Unnamed: 0"`` -> ``"Unnamed_0__0"``, part ``year`` of ``t`` -> ``"t_year__3"``.

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
        ``""`` for a column encoded as one model column, else the datetime part.
    position : int
        The model column's position in the model matrix.

    Returns
    -------
    str
        ASCII letters, digits and ``_`` only, never empty; at most ``MAX_MODEL_NAME``
        characters, plus the datetime part and the suffix.

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


def as_frame(X: object, *, name: str) -> pd.DataFrame:
    """Return ``X`` as a DataFrame with unique string column names, checked.

    Arrays get the column names ``x0, x1, ...``. The result may share memory with
    ``X``; callers never write into it.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
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
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise TypeError(
                f"{name} must be a 2-D DataFrame or array; got an array with {array.ndim} "
                f"dimension(s)."
            )
        frame = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
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
    return frame


def align_columns(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """Return ``test`` with the columns of ``train``, in train's order.

    Raises
    ------
    ValueError
        When the column sets differ, naming what each side misses.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1], "y": [2]})
    >>> align_columns(a, pd.DataFrame({"y": [3], "x": [4]})).columns.tolist()
    ['x', 'y']
    """
    train_cols, test_cols = list(train.columns), list(test.columns)
    if set(train_cols) == set(test_cols):
        return test if train_cols == test_cols else test[train_cols]
    common = set(train_cols) & set(test_cols)
    if not common:
        raise ValueError(
            f"X_train and X_test have no column in common: X_train has "
            f"{_preview(train_cols)}, X_test has {_preview(test_cols)}."
        )
    missing_in_test = [c for c in train_cols if c not in common]
    missing_in_train = [c for c in test_cols if c not in common]
    parts = []
    if missing_in_test:
        parts.append(f"missing in X_test: {_preview(missing_in_test)}")
    if missing_in_train:
        parts.append(f"missing in X_train: {_preview(missing_in_train)}")
    raise ValueError(
        f"X_test has {len(test_cols)} columns but X_train has {len(train_cols)}: "
        + "; ".join(parts)
        + ". Drop or add columns so both sides have the same ones."
    )


def _preview(names: Sequence[str], limit: int = 10) -> str:
    shown = list(names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{shown!r}{more}"


def column_kind(series: pd.Series) -> str:
    """The kind of one column: numeric, boolean, categorical or datetime.

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


def _describe(kind: str) -> str:
    return {
        NUMERIC: "numeric",
        BOOLEAN: "boolean",
        CATEGORICAL: "text/categorical",
        DATETIME: "datetime",
    }[kind]


@dataclass
class FrameEncoder:
    """Turns checked frames into the model matrix the domain classifier sees.

    Fit it on the aligned train and test frames with :meth:`fit`; :meth:`transform`
    encodes those or new rows (for ``test_likeness``) identically.

    Attributes
    ----------
    columns : list of str
        The user's columns that are kept (entirely missing ones are dropped).
    kinds : dict
        Column -> kind.
    dropped : list of str
        Columns dropped because every value is missing on both sides.
    encoded_columns : list of str
        Columns of the model matrix: safe for LightGBM and any scikit-learn estimator and
        unique (see :func:`model_column_name`); the names fitted models know.
    source : list of str
        For each encoded column, the user's column it comes from.
    parts : list of str
        For each encoded column, the datetime part it holds (``""`` for other kinds).
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
    """

    columns: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    encoded_columns: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    units: dict[str, float] = field(default_factory=dict)

    def fit(self, train: pd.DataFrame, test: pd.DataFrame) -> FrameEncoder:
        """Learn kinds and categories from both sides; warn about dropped columns."""
        self.columns, self.kinds, self.dropped = [], {}, []
        self.categories, self.encoded_columns, self.source, self.parts = {}, [], [], []
        self.units = {}
        for column in train.columns:
            left, right = train[column], test[column]
            left_missing, right_missing = bool(left.isna().all()), bool(right.isna().all())
            if left_missing and right_missing:
                self.dropped.append(column)
                continue
            kind = self._pair_kind(column, left, right, left_missing, right_missing)
            self.columns.append(column)
            self.kinds[column] = kind
            if kind == CATEGORICAL:
                self.categories[column] = _union_categories(left, right)
            if kind == NUMERIC:
                unit = magnitude_unit(_float_array(left), _float_array(right))
                if unit != 1.0:
                    self.units[column] = unit
            for part in self._parts(kind, left, right):
                self.encoded_columns.append(
                    model_column_name(column, part, len(self.encoded_columns))
                )
                self.source.append(column)
                self.parts.append(part)
        if self.dropped:
            warnings.warn(
                f"Dropped {len(self.dropped)} column(s) whose values are all missing in "
                f"both X_train and X_test: {_preview(self.dropped)}.",
                DataWarning,
                stacklevel=3,
            )
        if not self.columns:
            raise ValueError("Every column is entirely missing; nothing left to compare.")
        return self

    @staticmethod
    def _pair_kind(
        column: str, left: pd.Series, right: pd.Series, left_missing: bool, right_missing: bool
    ) -> str:
        left_kind, right_kind = column_kind(left), column_kind(right)
        if left_missing:
            return right_kind
        if right_missing or left_kind == right_kind:
            return left_kind
        if {left_kind, right_kind} == {NUMERIC, BOOLEAN}:
            return NUMERIC
        raise TypeError(
            f"Column {column!r} is {_describe(left_kind)} in X_train but "
            f"{_describe(right_kind)} in X_test; convert one side so both have one type."
        )

    @staticmethod
    def _parts(kind: str, left: pd.Series, right: pd.Series) -> list[str]:
        if kind != DATETIME:
            return [""]
        hours = pd.concat([_as_utc(left), _as_utc(right)]).dt.hour
        return [p for p in _DATETIME_PARTS if p != "hour" or bool((hours.fillna(0) != 0).any())]

    def check_finite(self, frame: pd.DataFrame, *, name: str) -> None:
        """Raise when a numeric column of ``frame`` holds +/-inf."""
        for column in self.columns:
            if self.kinds[column] != NUMERIC:
                continue
            values = frame[column]
            if pd.api.types.is_float_dtype(values.dtype) and bool(
                np.isinf(values.to_numpy(dtype=np.float64, na_value=np.nan)).any()
            ):
                raise ValueError(
                    f"Column {column!r} of {name} contains infinite values; replace them "
                    f"with NaN or finite numbers."
                )

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Encode ``frame`` (already aligned to the fitted columns) into the model matrix."""
        frame = frame.reset_index(drop=True)
        encoded: dict[str, object] = {}
        stamps: dict[str, pd.Series] = {}
        for name, column, part in zip(self.encoded_columns, self.source, self.parts, strict=True):
            kind = self.kinds[column]
            values = frame[column]
            if kind == NUMERIC:
                numbers = _to_float(values)
                encoded[name] = numbers / self.units[column] if column in self.units else numbers
            elif kind == BOOLEAN:
                encoded[name] = (
                    values.astype("float64")
                    if not values.hasnans
                    else (values.map({True: 1.0, False: 0.0}).astype("float64"))
                )
            elif kind == CATEGORICAL:
                encoded[name] = _recode(values, self.categories[column])
            else:
                if column not in stamps:
                    stamps[column] = _as_utc(values)
                encoded[name] = _datetime_part(stamps[column], part)
        return pd.DataFrame(encoded, index=pd.RangeIndex(len(frame)), columns=self.encoded_columns)

    def column_values(
        self, frame: pd.DataFrame, column: str
    ) -> NDArray[np.float64] | NDArray[np.object_]:
        """One column as used by univariate tests: floats (numeric, datetime) or labels."""
        kind = self.kinds[column]
        values = frame[column]
        if kind == NUMERIC:
            return _to_float(values).to_numpy()
        if kind == DATETIME:
            return _epoch_seconds(_as_utc(values)).to_numpy()
        if kind == BOOLEAN:
            return values.astype("object").to_numpy()
        return _as_text(values).to_numpy(dtype=object)


def _to_float(values: pd.Series) -> pd.Series:
    if pd.api.types.is_timedelta64_dtype(values.dtype):
        return values.dt.total_seconds()
    return values.astype("float64")


def _float_array(values: pd.Series) -> NDArray[np.float64]:
    """A numeric column as a float64 array, missing as NaN (no copy of a float64 column)."""
    if values.dtype == np.float64:
        return np.asarray(values.to_numpy())
    return np.asarray(_to_float(values).to_numpy(dtype=np.float64, na_value=np.nan))


def _as_text(values: pd.Series) -> pd.Series:
    """Category labels as strings (missing stays missing) so mixed types compare.

    Vectorised: ``str`` is applied to the distinct values only, not to every row.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    labels = np.array([str(u) for u in np.asarray(uniques, dtype=object)] + [np.nan], dtype=object)
    return pd.Series(labels[codes], index=values.index)


def _recode(values: pd.Series, categories: list[str]) -> pd.Categorical[str]:
    """``values`` as a Categorical over ``categories`` (labels compared as strings).

    Works on the distinct values only: factorize once, map each distinct label to its
    position in ``categories`` (unknown labels become missing), then index.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    labels = pd.Index([str(u) for u in np.asarray(uniques, dtype=object)])
    position = pd.Index(categories).get_indexer(labels)
    new_codes = np.append(position, -1)[codes]
    return pd.Categorical.from_codes(new_codes, categories=pd.Index(categories))


def _union_categories(left: pd.Series, right: pd.Series) -> list[str]:
    labels = pd.concat([_as_text(left), _as_text(right)]).dropna().unique()
    return sorted(str(v) for v in labels)


def _as_utc(values: pd.Series) -> pd.Series:
    converted = pd.to_datetime(values)
    if converted.dt.tz is not None:
        converted = converted.dt.tz_convert("UTC").dt.tz_localize(None)
    return converted


def _datetime_part(stamps: pd.Series, part: str) -> pd.Series:
    if part == "epoch":
        return _epoch_seconds(stamps)
    return getattr(stamps.dt, part).astype("float64")


def _epoch_seconds(stamps: pd.Series) -> pd.Series:
    raw = stamps.to_numpy(dtype="datetime64[ns]")
    seconds = raw.astype("int64").astype(np.float64) / 1e9
    seconds[np.isnat(raw)] = np.nan
    return pd.Series(seconds, index=stamps.index)
