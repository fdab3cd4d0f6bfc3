"""Date and datetime strings: which format a column of strings is written in, strictly.

A string column is read as dates only when **every** distinct value parses with **one**
explicit format (``pandas.to_datetime(format=...)``, the fast C parser), never with the
lenient per-value guessing of ``dateutil``. Supported, with the same separator throughout
the date and an optional time and UTC offset:

==========================  ====================================================
year first                  ``2013-01-31``, ``2013/01/31``, ``2013.01.31``
month first (US)            ``01/31/2013``, ``1-31-13``, ``01.31.2013``
day first                   ``31.01.2013``, ``31/01/2013``, ``31-01-13``
                            (a 2-digit year only after ``/`` or ``-``: ``1.10.12``
                            is more often a version number than a date)
time (after ``T`` or `` ``)  ``05:30``, ``05:30:15``, ``05:30:15.250``, ``5:30 PM``,
                            ``5:30:15 pm``
UTC offset                  ``Z``, ``+01:00``, ``-0400`` (values are read in UTC)
time of day alone           ``05:30``, ``17:05:30``, ``5:30 PM`` (two digits of
                            minutes; read on 1900-01-01, so only the time varies)
==========================  ====================================================

How a column's format is found, from its distinct values:

1. a cheap vectorised gate: every value must have one of the shapes above (else the
   column is not dates, whatever else it holds);
2. each *skeleton* (the value with every digit replaced by ``9``: ``9999-99-99``) gives
   its candidate formats: one for year-first values, month-first and day-first for the
   others, and ``ISO8601`` as well for ``-``-separated year-first ones, which reads dates
   and datetimes mixed in one column;
3. the candidates common to every skeleton are tried on every distinct value; those under
   which every value parses are the column's *formats*.

The formats of a column are the intersection of the formats of any split of its values,
so partitions of a Dask frame can each report theirs and the intersection is exactly what
the whole column gives (:func:`merge_formats`).

When several formats read every value (day and month are both 12 or less everywhere), one
is chosen by a fixed rule, :func:`pick_format`: year first, then ``ISO8601``, then month
first (the US reading), then day first (day first before month first inside
:func:`reading_day_first`, the command line's ``--day-first``); :func:`is_ambiguous` says
when that happened so the caller can say so.

Dates written several ways in one column
----------------------------------------
When no one format reads every value, the values are grouped by their *style* (the
candidate formats of their skeleton: ``2016-01-05`` and ``2016-1-5`` share one,
``01/05/2016`` another) and each style keeps the formats that read all its values
(:func:`date_styles`; mergeable like the formats, :func:`merge_styles`). The column is read
as dates when every style has a format and the styles written month or day first with one
separator agree on which comes first (:func:`mixed_reading`): a file writes ``/`` dates one
way. Each value is then read with its style's format (a format of several ``|``-joined
formats, :func:`parse_dates`). Styles that disagree (``13/05/2016`` and ``05/13/2016`` in
one column) or a style no format reads leave the column as labels, and
:attr:`MixedReading.problem` says why. One rule for one column and for two sides: dates
written ``2016-01-05`` in one file and ``01/05/2016`` in the other are the same dates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

if TYPE_CHECKING:  # pandas is imported to parse, not by the reports that format dates
    import pandas as pd

ISO8601 = "ISO8601"

_DATE = (
    r"(?:[0-9]{4}(?:-[0-9]{1,2}-|/[0-9]{1,2}/|\.[0-9]{1,2}\.)[0-9]{1,2}"
    r"|[0-9]{1,2}(?:-[0-9]{1,2}-|/[0-9]{1,2}/)(?:[0-9]{4}|[0-9]{2})"
    r"|[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4})"
)
_TIME = (
    r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
    r"(?: ?[AaPp][Mm])?(?: ?(?:Z|[+-][0-9]{2}:?[0-9]{2}))?)?"
)
#: a time of day alone (``05:30``, ``17:05:30``, ``5:30 PM``): two digits of minutes
_CLOCK = r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?: ?[AaPp][Mm])?"
#: the shapes a date string may have (RE2 syntax, checked on Arrow arrays)
DATE_SHAPE = f"^(?:{_DATE}{_TIME}|{_CLOCK})$"

_SKELETON = re.compile(
    r"(?P<date>(?P<year>9{4})(?P<s>[-/.])9{1,2}(?P=s)9{1,2}"
    r"|9{1,2}(?P<t>[-/.])9{1,2}(?P=t)(?P<last>9{4}|9{2}))"
    r"(?:(?P<sep>[ T])9{1,2}:99(?P<seconds>:99(?P<fraction>\.9+)?)?(?P<ampm> ?[AaPp][Mm])?"
    r"(?P<zone> ?(?:Z|[+-]99:?99))?)?"
)
_CLOCK_SKELETON = re.compile(
    r"9{1,2}:99(?P<seconds>:99(?P<fraction>\.9+)?)?(?P<ampm> ?[AaPp][Mm])?"
)


def date_formats(labels: pa.Array) -> frozenset[str]:
    """The formats that read every one of ``labels`` (distinct present strings) as a date.

    Empty when some value is not a date string of a supported shape, or when no single
    format reads them all (formats mixed in one column, or impossible dates).

    Parameters
    ----------
    labels : pyarrow string array
        The distinct present values of a column (no nulls).

    Returns
    -------
    frozenset of str

    Examples
    --------
    >>> sorted(date_formats(pa.array(["01/02/2013", "12/31/2013"])))
    ['%m/%d/%Y']
    >>> sorted(date_formats(pa.array(["01.02.2013", "11.12.2013"])))
    ['%d.%m.%Y', '%m.%d.%Y']
    >>> sorted(date_formats(pa.array(["2013-01-02", "2013-01-02 05:00"])))
    ['ISO8601']
    >>> date_formats(pa.array(["2013-01-02", "N14228"]))
    frozenset()
    """
    if len(labels) == 0 or not bool(pc.all(pc.match_substring_regex(labels, DATE_SHAPE)).as_py()):
        return frozenset()
    skeletons = pc.unique(pc.replace_substring_regex(labels, "[0-9]", "9")).to_pylist()
    candidates: set[str] | None = None
    for skeleton in skeletons:
        readings = _readings(skeleton)
        candidates = set(readings) if candidates is None else candidates & readings
        if not candidates:
            return frozenset()
    values = labels.to_pandas()
    return frozenset(f for f in candidates or () if bool(_parse(values, f).notna().all()))


@cache
def _readings(skeleton: str) -> frozenset[str]:
    """Candidate formats of one skeleton (``9999-99-99 99:99``, ``99:99``)."""
    clock = _CLOCK_SKELETON.fullmatch(skeleton)
    if clock is not None:  # a time of day alone: read on 1900-01-01
        return frozenset({_clock_format(clock)})
    match = _SKELETON.fullmatch(skeleton)
    if match is None:  # pragma: no cover - the shape gate admits only matching skeletons
        return frozenset()
    time = ""
    if match["sep"]:
        time = match["sep"] + _clock_format(match)
        if match["zone"]:
            time += (" " if match["zone"].startswith(" ") else "") + "%z"
    if match["year"]:
        s = match["s"]
        formats = {f"%Y{s}%m{s}%d{time}"}
        if s == "-" and not match["ampm"] and match["sep"] in (None, " ", "T"):
            formats.add(ISO8601)
        return frozenset(formats)
    s = match["t"]
    year = "%Y" if len(match["last"]) == 4 else "%y"
    return frozenset({f"%m{s}%d{s}{year}{time}", f"%d{s}%m{s}{year}{time}"})


def _clock_format(match: re.Match[str]) -> str:
    """The format of a skeleton's time of day (hours, minutes, seconds, AM/PM)."""
    text = ("%I" if match["ampm"] else "%H") + ":%M"
    if match["seconds"]:
        text += ":%S" + (".%f" if match["fraction"] else "")
    if match["ampm"]:
        text += (" " if match["ampm"].startswith(" ") else "") + "%p"
    return text


def is_clock(fmt: str) -> bool:
    """Whether ``fmt`` reads a time of day alone (no date).

    Examples
    --------
    >>> is_clock("%H:%M"), is_clock("%I:%M %p"), is_clock("%Y-%m-%d %H:%M")
    (True, True, False)
    """
    return fmt.startswith(("%H", "%I"))


def merge_formats(
    first: frozenset[str] | None, second: frozenset[str] | None
) -> frozenset[str] | None:
    """The formats of two sets of values together; ``None`` stands for no value at all.

    Examples
    --------
    >>> merge_formats(None, frozenset({"%m/%d/%Y"})), merge_formats(frozenset(), None)
    (frozenset({'%m/%d/%Y'}), frozenset())
    """
    if first is None:
        return second
    if second is None:
        return first
    return first & second


#: whether ambiguous dates are read day first (``--day-first``); month first by default
_DAY_FIRST: ContextVar[bool] = ContextVar("advval_day_first", default=False)


@contextmanager
def reading_day_first(day_first: bool = True) -> Iterator[None]:
    """Read dates whose day and month are both 12 or less day first, inside the block.

    The command line's ``--day-first``: :func:`pick_format` then prefers a day-first format
    to a month-first one when both read every value (outside it, month first, the US
    reading). Nothing else changes: a column only one order reads is read that way.

    Examples
    --------
    >>> both = frozenset({"%d/%m/%Y", "%m/%d/%Y"})
    >>> with reading_day_first():
    ...     pick_format(both)
    '%d/%m/%Y'
    >>> pick_format(both)
    '%m/%d/%Y'
    """
    token = _DAY_FIRST.set(bool(day_first))
    try:
        yield
    finally:
        _DAY_FIRST.reset(token)


def day_first() -> bool:
    """Whether ambiguous dates are read day first here (:func:`reading_day_first`)."""
    return _DAY_FIRST.get()


def _rank(fmt: str) -> tuple[int, str]:
    if fmt == ISO8601:
        return 1, fmt
    if fmt.startswith("%Y"):
        return 0, fmt
    if is_clock(fmt):
        return 4, fmt
    month_first = fmt.startswith("%m")
    return (2 if month_first != _DAY_FIRST.get() else 3), fmt


def pick_format(formats: frozenset[str]) -> str:
    """The format a column is read with when several read every value.

    Year first, then ``ISO8601``, then month first (the US reading), then day first; day
    first before month first inside :func:`reading_day_first`.

    Examples
    --------
    >>> pick_format(frozenset({"%d/%m/%Y", "%m/%d/%Y"}))
    '%m/%d/%Y'
    >>> pick_format(frozenset({"ISO8601", "%Y-%m-%d"}))
    '%Y-%m-%d'
    """
    return min(formats, key=_rank)


def is_ambiguous(formats: frozenset[str]) -> bool:
    """Whether both a month-first and a day-first format read every value.

    Examples
    --------
    >>> is_ambiguous(frozenset({"%d.%m.%Y", "%m.%d.%Y"})), is_ambiguous(frozenset({"%d.%m.%Y"}))
    (True, False)
    """
    return {_rank(f)[0] for f in formats} >= {2, 3}


def parse_dates(labels: pa.Array, fmt: str) -> NDArray[np.datetime64]:
    """``labels`` read with ``fmt`` as naive UTC timestamps (``datetime64[us]``).

    Values with a UTC offset are converted to UTC; values without one are taken as they
    are. A value that does not parse becomes ``NaT``. ``fmt`` may join several formats
    with ``|`` (:attr:`MixedReading.format`, dates written several ways): each value is
    read with the first that reads it (they never read one value two ways).

    Examples
    --------
    >>> parse_dates(pa.array(["2013-01-31T23:30:00+01:00"]), "ISO8601")
    array(['2013-01-31T22:30:00.000000'], dtype='datetime64[us]')
    >>> parse_dates(pa.array(["2013-01-31", "02/01/2013"]), "%Y-%m-%d|%m/%d/%Y")
    array(['2013-01-31T00:00:00.000000', '2013-02-01T00:00:00.000000'],
          dtype='datetime64[us]')
    """
    values = labels.to_pandas()
    return np.asarray(_parse(values, fmt).to_numpy(dtype="datetime64[us]"))


#: joins the formats of a column written several ways (no format holds it)
FORMAT_JOIN = "|"


def _parse(values: pd.Series, fmt: str) -> pd.Series:
    import pandas as pd

    parsed: pd.Series | None = None
    for one in fmt.split(FORMAT_JOIN):
        read = pd.to_datetime(values, format=one, errors="coerce", utc=True).dt.tz_localize(None)
        parsed = read if parsed is None else parsed.fillna(read)
    assert parsed is not None  # str.split gives at least one part
    return parsed


#: a value's UTC offset (``+01:00``, ``-0400``), after a time of day
_OFFSET = (
    r"[0-9]:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?: ?[AaPp][Mm])?"
    r" ?(?P<offset>[+-][0-9]{2}:?[0-9]{2})$"
)
#: offsets that move no time
_ZERO_OFFSETS = frozenset({"+00:00", "+0000", "-00:00", "-0000"})
#: distinct offsets a column summary keeps at most
MAX_OFFSETS = 32


def utc_offsets(labels: pa.Array) -> frozenset[str]:
    """The non-zero UTC offsets written in ``labels`` (at most :data:`MAX_OFFSETS`).

    Examples
    --------
    >>> sorted(utc_offsets(pa.array(["2016-01-05T10:00+01:00", "2016-01-05 10:00 -0400",
    ...                              "2016-01-05T10:00Z", "01-05-2016"])))
    ['+01:00', '-0400']
    """
    found = pc.extract_regex(labels, _OFFSET).field("offset")
    offsets = pc.unique(pc.drop_null(found)).to_pylist()
    kept = sorted(str(o) for o in offsets if o and o not in _ZERO_OFFSETS)
    return frozenset(kept[:MAX_OFFSETS])


#: a style of dates: the candidate formats of its skeletons -> (the formats that read all
#: its values, its rows)
Styles = Mapping[frozenset[str], tuple[frozenset[str], int]]


def date_styles(
    labels: pa.Array, rows: NDArray[np.int_]
) -> dict[frozenset[str], tuple[frozenset[str], int]]:
    """The styles ``labels`` are written in: for each, the formats that read all its values
    and its rows (``rows``: rows of each label). Empty unless every label has a date shape.

    The formats that read every label are the intersection over the styles
    (:func:`date_formats`).

    Examples
    --------
    >>> styles = date_styles(pa.array(["2016-01-05", "01/15/2016", "1/5/2016"]), np.array([3, 1, 1]))
    >>> for key, (formats, n) in sorted(styles.items(), key=lambda kv: sorted(kv[0])):
    ...     print(sorted(key), sorted(formats), n)
    ['%Y-%m-%d', 'ISO8601'] ['%Y-%m-%d', 'ISO8601'] 3
    ['%d/%m/%Y', '%m/%d/%Y'] ['%m/%d/%Y'] 2
    """  # noqa: E501
    if len(labels) == 0 or not bool(pc.all(pc.match_substring_regex(labels, DATE_SHAPE)).as_py()):
        return {}
    skeletons = pc.replace_substring_regex(labels, "[0-9]", "9")
    distinct = pc.unique(skeletons)
    keys = [_readings(skeleton) for skeleton in distinct.to_pylist()]
    order = list(dict.fromkeys(keys))  # each distinct style once, in order of appearance
    style_of = np.array([order.index(k) for k in keys], dtype=np.intp)
    per_label = style_of[np.asarray(pc.index_in(skeletons, value_set=distinct))]
    values = labels.to_pandas()
    styles: dict[frozenset[str], tuple[frozenset[str], int]] = {}
    for number, key in enumerate(order):
        mine = per_label == number
        part = values[mine]
        read = frozenset(f for f in key if bool(_parse(part, f).notna().all()))
        styles[key] = (read, int(rows[mine].sum()))
    return styles


def merge_styles(
    first: Styles | None, second: Styles | None
) -> dict[frozenset[str], tuple[frozenset[str], int]] | None:
    """The styles of two sets of values together; ``None``: a part without them (not all
    date-shaped), which leaves none.

    Examples
    --------
    >>> key = frozenset({"%d/%m/%Y", "%m/%d/%Y"})
    >>> merge_styles({key: (key, 2)}, {key: (frozenset({"%d/%m/%Y"}), 1)})[key][0]
    frozenset({'%d/%m/%Y'})
    """  # noqa: E501
    if first is None or second is None:
        return None
    merged = dict(first)
    for key, (formats, rows) in second.items():
        if key in merged:
            mine, count = merged[key]
            merged[key] = (mine & formats, count + rows)
        else:
            merged[key] = (formats, rows)
    return merged


def _family(fmt: str) -> str:
    """What the formats whose order of day and month must agree share: the date's separator
    and year (``"/%Y"``), or the format itself for year-first and time-only formats."""
    if fmt == ISO8601 or fmt.startswith("%Y") or is_clock(fmt):
        return fmt
    return fmt[2] + fmt[6:8]


@dataclass(frozen=True)
class MixedReading:
    """How a column of dates written several ways is read (:func:`mixed_reading`).

    Attributes
    ----------
    formats : tuple of (str, int)
        Each format used and the rows it reads, most rows first (empty with ``problem``).
    ambiguous : bool
        Some values read both month first and day first; read as :func:`pick_format` says.
    problem : str
        Empty when the column is read; else why it is not, naming formats and example
        counts (for a message).
    """

    formats: tuple[tuple[str, int], ...] = ()
    ambiguous: bool = False
    problem: str = ""

    @property
    def format(self) -> str:
        """The formats joined for :func:`parse_dates`."""
        return FORMAT_JOIN.join(sorted((f for f, _ in self.formats), key=_rank))


def mixed_reading(styles: Styles) -> MixedReading:
    """How values written in several ``styles`` (:func:`date_styles`) are read as dates.

    Every style must have a format; styles written month or day first with one separator
    and year must share an order (both orders: :func:`pick_format`'s, ``ambiguous``); times
    of day alone are not mixed with dates.

    Examples
    --------
    >>> iso, us = frozenset({"%Y-%m-%d", "ISO8601"}), frozenset({"%m/%d/%Y", "%d/%m/%Y"})
    >>> mixed_reading({iso: (iso, 5), us: (frozenset({"%d/%m/%Y"}), 2)}).formats
    (('%Y-%m-%d', 5), ('%d/%m/%Y', 2))
    >>> time = frozenset({"%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M"})
    >>> mixed_reading({us: (frozenset({"%m/%d/%Y"}), 4), time: (frozenset({"%d/%m/%Y %H:%M"}), 1)}).problem
    "its dates are written month first ('%m/%d/%Y', 4 rows) and day first ('%d/%m/%Y %H:%M', 1 rows)"
    """  # noqa: E501
    unread = [(key, rows) for key, (formats, rows) in styles.items() if not formats]
    if unread:
        shown = ", ".join(
            f"{' or '.join(repr(f) for f in sorted(k, key=_rank))} ({n} rows)" for k, n in unread
        )
        return MixedReading(
            problem=f"no one format reads all its values written like {shown} (some read "
            "only month first and others only day first, or some are impossible dates such "
            "as '02/30/2013')"
        )
    clocks = [key for key in styles if is_clock(min(key))]
    if clocks and len(clocks) < len(styles):
        days = [key for key in styles if key not in clocks]
        return MixedReading(
            problem=f"it holds times of day alone ({_shown(styles, clocks)}) beside dates "
            f"({_shown(styles, days)})"
        )
    families: dict[str, list[frozenset[str]]] = {}
    for key, (formats, _) in styles.items():
        families.setdefault(_family(min(formats)), []).append(key)
    chosen: list[tuple[str, int]] = []
    ambiguous = False
    for keys in families.values():
        orders = [{f[:2] for f in styles[k][0]} for k in keys]
        common = set.intersection(*orders)
        if not common:
            month = [k for k, o in zip(keys, orders, strict=True) if o == {"%m"}]
            day = [k for k, o in zip(keys, orders, strict=True) if o == {"%d"}]
            return MixedReading(
                problem=f"its dates are written month first ({_shown(styles, month)}) and "
                f"day first ({_shown(styles, day)})"
            )
        for key in keys:
            formats = frozenset(f for f in styles[key][0] if f[:2] in common)
            ambiguous = ambiguous or is_ambiguous(formats)
            chosen.append((pick_format(formats), styles[key][1]))
    counts: dict[str, int] = {}
    for fmt, rows in chosen:
        counts[fmt] = counts.get(fmt, 0) + rows
    ordered = sorted(counts.items(), key=lambda item: (-item[1], _rank(item[0])))
    return MixedReading(formats=tuple(ordered), ambiguous=ambiguous)


def _shown(styles: Styles, keys: list[frozenset[str]]) -> str:
    return ", ".join(f"{pick_format(styles[k][0])!r}, {styles[k][1]} rows" for k in keys)


def describe_formats() -> str:
    """The supported shapes, for error messages.

    Examples
    --------
    >>> describe_formats()[:40]
    "'2013-01-31' (year first, '-', '/' or '."
    """
    return (
        "'2013-01-31' (year first, '-', '/' or '.'), '01/31/2013', '31-01-13' or "
        "'31.01.2013' (month or day first), optionally followed by a time ('T05:30', "
        "' 05:30:15.250', ' 5:30 PM') and a UTC offset ('Z', '+01:00'); or a time of "
        "day alone ('05:30', '17:05:30', '5:30 PM')"
    )


#: the day a time of day alone is read on (``pandas.to_datetime(format="%H:%M")``)
CLOCK_DAY = "1900-01-01"


def format_instant(seconds: Any, span: float = math.inf) -> str:
    """A time in seconds since 1970-01-01 UTC as a date (``span`` of 2 days or more) or minute.

    The label of a datetime histogram's bin edge (computed with the report's data) and of a
    chart's time axis. A value that is not a finite number is ``"n/a"``; an instant outside
    the years 0000-9999 is written as a number (3 significant digits).

    Parameters
    ----------
    seconds : float
        The instant.
    span : float, default=inf
        The range the instant is shown in (seconds): below 2 days the time of day is kept.

    Examples
    --------
    >>> format_instant(1357000000.0), format_instant(1357000000.0, span=3600.0)
    ('2013-01-01', '2013-01-01 00:26')
    >>> format_instant(float("nan")), format_instant(1e300)
    ('n/a', '1e+300')
    >>> format_instant(-2208969000.0, span=3600.0)  # a time of day alone, on 1900-01-01
    '05:30'
    """
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return "n/a"
    if not math.isfinite(value):
        return "n/a"
    try:
        stamp = np.datetime64(int(round(value)), "s")
    except (OverflowError, ValueError):
        return f"{value:.3g}"
    text = str(stamp)  # 2013-01-01T00:26:40
    if "T" not in text or abs(value) >= 2.5e11:  # outside years 0000-9999
        return f"{value:.3g}"
    day, time = text.split("T", 1)
    if day == CLOCK_DAY and span <= 86_400:  # a time of day alone ('05:30' strings)
        return time[:5]
    return day if span >= 2 * 86_400 else f"{day} {time[:5]}"
