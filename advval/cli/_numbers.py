"""Numbers written as text in an input file: money, percentages, thousands separators, units.

Spreadsheet and Kaggle exports often write numbers for people: ``$1,234.50``, ``12.5%``,
``1,234``, ``72 kg``. Read as they are, such a column is a string column with a level per
row, so a shift of its values goes unseen and a model trained on the numbers cannot be
attacked on it. The commands therefore read a string column as numbers when **every**
present value is one number written one way:

- an optional sign, then an optional currency symbol (``$ € £ ¥``), the same in every
  value that has one;
- digits, with ``,`` between groups of three (a thousands separator) and ``.`` before the
  decimals;
- an optional ``%`` or unit (letters, after an optional space), the same in every value
  that has one;

and at least one value carries a symbol, a separator or a suffix (plain digits in a string
column are codes: a zip code keeps its leading zero). ``$1,234.50`` reads 1234.5, ``12%``
reads 12 (the number as written, not 0.12), ``72 kg`` reads 72. A value of another shape
(``unknown``, ``-``) leaves the column as it is. The user keeps a column as text by naming
it with ``--categorical`` or ``--text-col``.

:func:`number_markers` finds the near misses: columns of numbers but for a few marker
values (``?``, ``-``, ``unknown``), to name the ``--na-values`` that would read them as
numbers; :func:`sentinel` finds a number such as -999 standing for missing.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

_CURRENCY = "$€£¥"
#: a number as people write it: sign, currency, grouped digits, decimals, suffix
_DECORATED = re.compile(
    rf"(?P<sign>[-+]?)(?P<currency>[{_CURRENCY}]?)(?P<digits>[0-9]{{1,3}}(?:,[0-9]{{3}})+|[0-9]+)"
    r"(?P<decimals>\.[0-9]+)?(?P<suffix>%| ?[A-Za-z]{1,12})?"
)
_PLAIN = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
#: at most this many distinct non-numbers make a column "numbers with markers"
MAX_MARKERS = 8
#: the markers may cover at most this share of a column's present values
MAX_MARKER_SHARE = 0.2


@dataclass(frozen=True)
class Decoration:
    """How a column writes its numbers: what :func:`parse` strips.

    Attributes
    ----------
    currency : str
        The currency symbol, or ``""``.
    suffix : str
        The ``%`` or unit after the number (``"kg"``), or ``""``.
    grouped : bool
        Whether ``,`` separates thousands.
    example : str
        One value as written, for the note.
    """

    currency: str
    suffix: str
    grouped: bool
    example: str

    def describe(self) -> str:
        """What was read, in words: ``"money ($), thousands separators"``."""
        parts = [f"money ({self.currency})"] if self.currency else []
        if self.suffix == "%":
            parts.append("percentages (12% reads 12)")
        elif self.suffix:
            parts.append(f"a unit ({self.suffix!r})")
        if self.grouped:
            parts.append("',' thousands separators")
        return ", ".join(parts)


def _is_text(values: pd.Series) -> bool:
    """Whether ``values`` is a column of strings (pandas' string dtypes, or objects that
    are all strings)."""
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(
        values.dtype
    ):
        return True
    if not pd.api.types.is_object_dtype(values.dtype):
        return False
    return pd.api.types.infer_dtype(values, skipna=True) == "string"


def _head(values: pd.Series) -> pd.Series:
    """The first present values, stripped: a cheap look before the distinct values."""
    return values.head(_PROBE * 4).dropna().astype("str").str.strip()


def _labels(values: pd.Series) -> pd.Series:
    """The distinct present values of a string column, stripped."""
    return pd.Series(values.dropna().unique()).astype("str").str.strip()


#: distinct values looked at first: most columns of other things fail on these already
_PROBE = 1000


def decoration(values: pd.Series) -> Decoration | None:
    """How ``values`` write their numbers, or None when they are not all decorated numbers.

    Examples
    --------
    >>> decoration(pd.Series(["$1,234.50", "$7", None])).describe()
    "money ($), ',' thousands separators"
    >>> decoration(pd.Series(["72 kg", "80 kg"])).describe()
    "a unit ('kg')"
    >>> decoration(pd.Series(["12", "unknown"])) is None, decoration(pd.Series(["02134"])) is None
    (True, True)
    """
    if not _is_text(values) or values.isna().all():
        return None
    if not _head(values).str.fullmatch(_DECORATED.pattern).all():
        return None  # a cheap look first
    labels = _labels(values)
    if not labels.str.fullmatch(_DECORATED.pattern).all():
        return None
    # every value matches: its parts are read off with vectorised string operations
    currencies = {c for c in _CURRENCY if labels.str.contains(c, regex=False).any()}
    after = labels.str.replace(r"^[-+]?[^0-9]?[0-9,]+(?:\.[0-9]+)?", "", regex=True)
    suffixes = set(after.str.strip().unique()) - {""}
    if len(currencies) > 1 or len(suffixes) > 1:
        return None
    commas = labels.str.contains(",", regex=False)
    grouped = bool(commas.any())
    if not (currencies or suffixes or grouped):
        return None
    decorated = commas | after.ne("") | labels.str.contains(f"[{_CURRENCY}]", regex=True)
    example = str(labels[decorated].iloc[0])
    return Decoration(
        currency=next(iter(currencies), ""),
        suffix=next(iter(suffixes), ""),
        grouped=grouped,
        example=example,
    )


def parse(values: pd.Series, how: Decoration) -> pd.Series:
    """``values`` as float64 numbers, read as :func:`decoration` found them written.

    Examples
    --------
    >>> column = pd.Series(["$1,234.50", "-$7", None])
    >>> parse(column, decoration(column)).tolist()
    [1234.5, -7.0, nan]
    """
    text = values.astype("object").where(values.notna())
    present = text.dropna().astype(str).str.strip()
    if how.suffix:
        present = present.str.removesuffix(how.suffix).str.rstrip()
    if how.currency:
        present = present.str.replace(how.currency, "", regex=False)
    if how.grouped:
        present = present.str.replace(",", "", regex=False)
    numbers = pd.Series(np.nan, index=values.index, dtype="float64", name=values.name)
    numbers[present.index] = present.astype("float64")
    return numbers


def read_numbers(
    frames: Sequence[pd.DataFrame], keep: Collection[str] = ()
) -> tuple[list[pd.DataFrame], dict[str, Decoration]]:
    """``frames`` with their decorated-number string columns read as numbers (new frames).

    A column is read as numbers only when it is one in every frame that has it: decorated
    numbers written one way throughout, or numbers already (a side without a ``$`` that
    pandas read as numbers), so that train and test get one kind.

    Parameters
    ----------
    frames : sequence of DataFrame
        As read from the files (left unchanged): TRAIN and TEST, or one DATA file.
    keep : collection of str
        Columns to leave as text whatever they hold (named ``--categorical``...).

    Returns
    -------
    frames : list of DataFrame
    found : dict
        Column -> how it was written, for the columns read as numbers.

    Examples
    --------
    >>> train = pd.DataFrame({"price": ["$1,000", "$20.5"], "zip": ["02134", "10001"]})
    >>> test = pd.DataFrame({"price": [3, 4], "zip": ["02134", "10002"]})
    >>> (train, test), found = read_numbers([train, test])
    >>> train["price"].tolist(), test["price"].tolist(), train["zip"].tolist(), list(found)
    ([1000.0, 20.5], [3, 4], ['02134', '10001'], ['price'])
    """
    found: dict[str, Decoration] = {}
    if any(frame.columns.has_duplicates for frame in frames):
        return list(frames), found
    keep = set(keep)
    columns = dict.fromkeys(c for frame in frames for c in frame.columns if c not in keep)
    for column in columns:
        ways = [_written(frame[column]) for frame in frames if column in frame.columns]
        if any(way is None for way in ways):
            continue
        written = [way for way in ways if isinstance(way, Decoration)]
        if not written:
            continue
        currencies = {way.currency for way in written} - {""}
        suffixes = {way.suffix for way in written} - {""}
        if len(currencies) > 1 or len(suffixes) > 1:
            continue
        found[column] = Decoration(
            currency=next(iter(currencies), ""),
            suffix=next(iter(suffixes), ""),
            grouped=any(way.grouped for way in written),
            example=written[0].example,
        )
    if not found:
        return list(frames), found
    parsed = []
    for frame in frames:
        frame = frame.copy()
        for column, how in found.items():
            if column in frame.columns and not pd.api.types.is_numeric_dtype(frame[column]):
                frame[column] = parse(frame[column], how)
        parsed.append(frame)
    return parsed, found


def _written(values: pd.Series) -> Decoration | bool | None:
    """How one side writes a column: a decoration, True for numbers already (or nothing
    present), None for anything else."""
    if values.isna().all():
        return True
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return True
    return decoration(values)


def number_markers(values: pd.Series) -> list[str]:
    """The few values keeping a column of numbers from reading as numbers (most frequent
    first); empty when the column is not numbers but for at most :data:`MAX_MARKERS` values
    covering at most :data:`MAX_MARKER_SHARE` of its present values.

    Examples
    --------
    >>> number_markers(pd.Series([str(i / 2) for i in range(20)] + ["?", "?", "-"]))
    ['?', '-']
    >>> number_markers(pd.Series(["a", "b"])), number_markers(pd.Series(["1", "2"]))
    ([], [])
    """
    if not _is_text(values):
        return []
    head = _head(values)
    if head.nunique() > MAX_MARKERS and (~head.str.fullmatch(_PLAIN.pattern)).mean() > 0.5:
        return []  # mostly not numbers among the values seen first
    counts = values.dropna().astype(str).str.strip().value_counts(sort=True)
    numeric = counts.index.to_series().str.fullmatch(_PLAIN.pattern).to_numpy(dtype=bool)
    if numeric.all() or not numeric.any() or (~numeric).sum() > MAX_MARKERS:
        return []
    if counts[~numeric].sum() > MAX_MARKER_SHARE * counts.sum():
        return []
    return [str(label) for label in counts.index[~numeric]]


def plain_numbers(values: pd.Series) -> bool:
    """Whether every present value of a string column is a plain number (``12``, ``-3.5``).

    Examples
    --------
    >>> plain_numbers(pd.Series(["12", "-3.5", None])), plain_numbers(pd.Series(["12", "a"]))
    (True, False)
    """
    present = values.dropna()
    return (
        _is_text(values)
        and len(present) > 0
        and bool(present.astype("str").str.strip().str.fullmatch(_PLAIN.pattern).all())
    )


#: numbers that stand for "missing" in many exports, when they lie far outside the others
SENTINELS = (-999999.0, -99999.0, -9999.0, -999.0, -99.0, 999.0, 9999.0, 99999.0, 999999.0)
#: a sentinel is reported when at least this share of the present values hold it
MIN_SENTINEL_SHARE = 0.001


def sentinel(values: pd.Series) -> float | None:
    """A sentinel number of a numeric column (-999, 9999...): frequent, and the column's
    minimum (or maximum) by far; None when there is none.

    A negative sentinel must be the column's only negative number or lie below twice the
    others' minimum; a positive one above twice the others' largest magnitude: -999 beside
    values in [0, 600] is a marker, -999 beside values down to -800 is not.

    Besides the usual round numbers (:data:`SENTINELS`), a number of the other sign than
    every other value of the column, frequent (:data:`MIN_SENTINEL_SHARE`) and more than
    twice their largest magnitude, is one too: Home Credit's ``DAYS_EMPLOYED`` counts days
    back as negative numbers and writes 365243 (a thousand years) for "not employed".

    Examples
    --------
    >>> sentinel(pd.Series([3.0, 10, 25, -999, 40] * 10)), sentinel(pd.Series([-999.0, -800]))
    (-999.0, None)
    >>> sentinel(pd.Series([0.0, 543, 12, -999] * 10))
    -999.0
    >>> sentinel(pd.Series([-1200, -35, -8000, 365243] * 10))
    365243.0
    """
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values):
        return None
    numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    numbers = numbers[~np.isnan(numbers)]
    if numbers.size == 0:
        return None
    for mark in SENTINELS:
        at = numbers == mark
        share = at.mean()
        if share < MIN_SENTINEL_SHARE or share == 1.0:
            continue
        others = numbers[~at]
        if mark < 0 and (others.min() >= 0 or others.min() > mark / 2):
            return mark
        if mark > 0 and others.max() < mark / 2 and others.min() > -mark / 2:
            return mark
    return _lone_other_sign(numbers)


def _lone_other_sign(numbers: np.ndarray) -> float | None:
    """The one number of the other sign than all the others (non-zero, frequent, more
    than twice their largest magnitude); None when there is none."""
    for side in (numbers > 0, numbers < 0):
        if not side.any() or side.all():
            continue
        marks = np.unique(numbers[side])
        others = numbers[~side]
        if marks.size != 1 or (others != 0).sum() == 0:
            continue
        mark = float(marks[0])
        if side.mean() >= MIN_SENTINEL_SHARE and abs(mark) > 2 * np.abs(others).max():
            return mark
    return None
