"""What :class:`~advval._frames.FrameEncoder` learns from a column, in bounded, mergeable form.

A :class:`ColumnSummary` holds everything the encoder decides from: the column's dtype
kind, its row and missing counts, the largest finite magnitude of a numeric column, whether
a datetime has a non-zero hour, and for string columns the counts of their most frequent
levels, their text statistics and the date formats that read every value. Summaries of two
parts of a column merge (:func:`merge`) into exactly the summary of the whole column while
no part has more than :data:`~advval._levels.MAX_COUNTED` distinct values (beyond that the
level counts are those of the levels frequent within the parts): the single-machine encoder
summarises each side at once, :mod:`advval.distributed` each partition, and both decide
with the same code. The size of a summary is bounded by ``MAX_COUNTED`` labels, whatever
the number of rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import reduce

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ._dates import (
    DATE_SHAPE,
    MAX_OFFSETS,
    date_styles,
    merge_formats,
    merge_styles,
    mixed_reading,
    parse_dates,
    pick_format,
    utc_offsets,
)
from ._kinds import (
    CATEGORICAL,
    DATETIME,
    NUMERIC,
    as_utc,
    column_kind,
    duration_seconds,
    is_dictionary,
    is_duration,
)
from ._levels import MAX_COUNTED, add_counts, labels_and_codes, level_counts
from ._text import text_features


@dataclass(frozen=True)
class ColumnSummary:
    """What the encoder learns from one column (or part of one), mergeable.

    Attributes
    ----------
    kind : str
        :func:`column_kind` of the values.
    strings : bool
        A string or object column (not a pandas categorical): its values may be read as
        dates or free text.
    rows, missing : int
    largest : float
        Numeric: the largest finite magnitude (0.0 when none).
    infinite : bool
        Numeric: some value is infinite.
    hour : bool
        Datetime, or strings read as dates: some value has a non-zero (UTC) hour.
    counts : Series or None
        Label -> rows, most frequent first (ties by label), at most ``MAX_COUNTED``; for
        string and object columns, and for others when the summary was asked for levels.
    complete : bool
        ``counts`` holds every distinct label.
    chars, words : float
        Strings: characters and words summed over the present values.
    dates : frozenset of str or None
        Strings: the date formats that read every present value (``None``: no present
        value, so no constraint).
    not_date : str or None
        Strings: the smallest present value that is not a supported date string.
    styles : dict or None
        Strings whose every present value has a date shape: the styles they are written in
        (:func:`~advval._dates.date_styles`: the formats reading each style, its rows), for
        a column written several ways (``None``: some value is not date-shaped).
    offsets : frozenset of str
        Strings read as dates: the non-zero UTC offsets written in them (``+01:00``).
    """

    kind: str
    strings: bool
    rows: int
    missing: int
    largest: float = 0.0
    infinite: bool = False
    hour: bool = False
    counts: pd.Series | None = None
    complete: bool = True
    chars: float = 0.0
    words: float = 0.0
    dates: frozenset[str] | None = None
    not_date: str | None = None
    styles: dict[frozenset[str], tuple[frozenset[str], int]] | None = None
    offsets: frozenset[str] = frozenset()

    @property
    def present(self) -> int:
        """Rows with a value."""
        return self.rows - self.missing

    @property
    def levels(self) -> int | None:
        """Distinct labels, ``None`` when more than ``MAX_COUNTED`` (so not all counted)."""
        if self.counts is None:
            return 0
        return len(self.counts) if self.complete else None


def summarize(series: pd.Series, *, levels: bool = False) -> ColumnSummary:
    """The summary of one column (or part of one).

    Parameters
    ----------
    series : Series
    levels : bool
        Count levels of a numeric, boolean or datetime column too (a column the user
        wants read as categorical).

    Examples
    --------
    >>> s = summarize(pd.Series(["2013-01-31", "2013-02-01", None]))
    >>> s.kind, s.rows, s.missing, sorted(s.dates), s.counts.to_dict()
    ('categorical', 3, 1, ['%Y-%m-%d', 'ISO8601'], {'2013-01-31': 1, '2013-02-01': 1})
    """
    kind = column_kind(series)
    rows, missing = len(series), int(series.isna().sum())
    declared = isinstance(series.dtype, pd.CategoricalDtype) or is_dictionary(series.dtype)
    strings = kind == CATEGORICAL and not declared
    summary = ColumnSummary(kind=kind, strings=strings, rows=rows, missing=missing)
    if missing == rows:
        return summary
    if kind == NUMERIC:
        values = _float_values(series)
        summary = replace(
            summary, largest=largest_magnitude(values), infinite=bool(np.isinf(values).any())
        )
    elif kind == DATETIME:
        summary = replace(summary, hour=bool((as_utc(series).dt.hour.fillna(0) != 0).any()))
    if kind != CATEGORICAL and not levels:
        return summary
    codes, labels = labels_and_codes(series)
    rows_per_label = np.bincount(codes[codes >= 0], minlength=len(labels))
    counts = level_counts(rows_per_label, labels)
    summary = replace(
        summary, counts=counts.iloc[:MAX_COUNTED], complete=len(counts) <= MAX_COUNTED
    )
    if kind != CATEGORICAL:
        return summary
    weights = rows_per_label.astype(np.float64)
    text = text_features(labels, ("length", "words"))
    styles, not_date = _date_evidence(labels, rows_per_label)
    formats = frozenset.intersection(*(f for f, _ in styles.values())) if styles else frozenset()
    hour, offsets = False, frozenset[str]()
    read = pick_format(formats) if formats else None
    if read is None and styles and not (mixed := mixed_reading(styles)).problem:
        read = mixed.format
    if read is not None:
        stamps = parse_dates(labels, read)
        hour = bool(np.any(stamps.astype("datetime64[h]").astype(np.int64) % 24 != 0))
        offsets = utc_offsets(labels)
    return replace(
        summary,
        chars=float(text["length"] @ weights),
        words=float(text["words"] @ weights),
        dates=formats,
        not_date=not_date,
        hour=hour,
        styles=styles or None,
        offsets=offsets,
    )


def _date_evidence(
    labels: pa.Array, rows: NDArray[np.int_]
) -> tuple[dict[frozenset[str], tuple[frozenset[str], int]], str | None]:
    """The styles of dates ``labels`` are written in (empty when some label is not
    date-shaped), and the smallest label that is not."""
    shaped = pc.match_substring_regex(labels, DATE_SHAPE)
    if bool(pc.all(shaped).as_py()):
        return date_styles(labels, rows), None
    odd = pc.filter(labels, pc.invert(shaped))
    return {}, str(pc.min_max(odd)["min"].as_py())


def merge(first: ColumnSummary, second: ColumnSummary) -> ColumnSummary:
    """The summary of two parts of one column together.

    Examples
    --------
    >>> whole = merge(summarize(pd.Series(["01/31/2013"])), summarize(pd.Series(["02/01/2013"])))
    >>> sorted(whole.dates), whole.rows
    (['%m/%d/%Y'], 2)
    """
    if first.present == 0:
        return replace(
            second, rows=first.rows + second.rows, missing=first.missing + second.missing
        )
    if second.present == 0:
        return replace(first, rows=first.rows + second.rows, missing=first.missing + second.missing)
    if first.counts is None or second.counts is None:
        counts, complete = None, True
    else:
        counts = add_counts(first.counts, second.counts)
        union = len(first.counts.index.union(second.counts.index))
        complete = first.complete and second.complete and union <= MAX_COUNTED
    examples = [e for e in (first.not_date, second.not_date) if e is not None]
    return ColumnSummary(
        kind=first.kind,
        strings=first.strings and second.strings,
        rows=first.rows + second.rows,
        missing=first.missing + second.missing,
        largest=max(first.largest, second.largest),
        infinite=first.infinite or second.infinite,
        hour=first.hour or second.hour,
        counts=counts,
        complete=complete,
        chars=first.chars + second.chars,
        words=first.words + second.words,
        dates=merge_formats(first.dates, second.dates) if first.strings else None,
        not_date=min(examples) if examples else None,
        styles=merge_styles(first.styles, second.styles) if first.strings else None,
        offsets=frozenset(sorted(first.offsets | second.offsets)[:MAX_OFFSETS]),
    )


class FrameSummary(Mapping[str, ColumnSummary]):
    """Summaries of the columns of one frame (or of its partitions merged), in column order.

    Examples
    --------
    >>> summary = FrameSummary.of(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", None]}))
    >>> list(summary), summary["b"].missing, summary.rows
    (['a', 'b'], 1, 2)
    """

    def __init__(self, columns: dict[str, ColumnSummary], rows: int) -> None:
        self._columns = dict(columns)
        self.rows = rows

    @classmethod
    def of(cls, frame: pd.DataFrame, *, levels: Iterable[str] = ()) -> FrameSummary:
        """Summarise every column of ``frame``; ``levels``: columns to count levels of."""
        wanted = set(levels)
        return cls({c: summarize(frame[c], levels=c in wanted) for c in frame.columns}, len(frame))

    @property
    def columns(self) -> list[str]:
        """The column names, in order."""
        return list(self._columns)

    def __getitem__(self, column: str) -> ColumnSummary:
        return self._columns[column]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


def merge_frames(summaries: Iterable[FrameSummary]) -> FrameSummary:
    """Merge the summaries of parts of one frame (same columns), in order.

    Examples
    --------
    >>> parts = [FrameSummary.of(pd.DataFrame({"a": [v]})) for v in ("x", "y")]
    >>> merged = merge_frames(parts)
    >>> merged.rows, merged["a"].counts.to_dict()
    (2, {'x': 1, 'y': 1})
    """

    def pair(first: FrameSummary, second: FrameSummary) -> FrameSummary:
        return FrameSummary(
            {c: merge(first[c], second[c]) for c in first.columns}, first.rows + second.rows
        )

    return reduce(pair, summaries)


def largest_magnitude(array: NDArray[np.float64]) -> float:
    """Largest finite ``|x|`` (0.0 when there is none); NaN and infinities ignored.

    Examples
    --------
    >>> largest_magnitude(np.array([1.0, -3.0, np.nan, np.inf]))
    3.0
    """
    if array.size == 0:
        return 0.0
    # fmin / fmax skip NaN without a warning; an infinity (or all NaN) takes the slow path
    largest = max(-float(np.fmin.reduce(array, axis=None)), float(np.fmax.reduce(array, axis=None)))
    if math.isfinite(largest):
        return largest
    finite = array[np.isfinite(array)]
    return float(np.abs(finite).max()) if finite.size else 0.0


def _float_values(values: pd.Series) -> NDArray[np.float64]:
    """A numeric column as float64, missing as NaN (no copy of a float64 column)."""
    if values.dtype == np.float64:
        return np.asarray(values.to_numpy())
    if is_duration(values.dtype):
        return duration_seconds(values)
    return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan))
