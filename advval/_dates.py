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
first (the US reading), then day first; :func:`is_ambiguous` says when that happened so the
caller can say so.
"""

from __future__ import annotations

import math
import re
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


def _rank(fmt: str) -> tuple[int, str]:
    if fmt == ISO8601:
        return 1, fmt
    if fmt.startswith("%Y"):
        return 0, fmt
    if is_clock(fmt):
        return 4, fmt
    return (2 if fmt.startswith("%m") else 3), fmt


def pick_format(formats: frozenset[str]) -> str:
    """The format a column is read with when several read every value.

    Year first, then ``ISO8601``, then month first (the US reading), then day first.

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
    are. A value that does not parse becomes ``NaT``.

    Examples
    --------
    >>> parse_dates(pa.array(["2013-01-31T23:30:00+01:00"]), "ISO8601")
    array(['2013-01-31T22:30:00.000000'], dtype='datetime64[us]')
    """
    values = labels.to_pandas()
    return np.asarray(_parse(values, fmt).to_numpy(dtype="datetime64[us]"))


def _parse(values: pd.Series, fmt: str) -> pd.Series:
    import pandas as pd

    parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
    return parsed.dt.tz_localize(None)


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
