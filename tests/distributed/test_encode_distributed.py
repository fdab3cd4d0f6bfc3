"""The Dask encoder learns what the single-machine one learns, from bounded partition digests."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from advval._frames import FrameEncoder  # noqa: E402
from advval.distributed._encode import MERGE_FAN_IN, fit_encoder  # noqa: E402
from advval.exceptions import DataWarning  # noqa: E402

WORDS = np.array(
    [
        "crew",
        "gate",
        "late",
        "early",
        "seat",
        "window",
        "aisle",
        "bags",
        "checked",
        "weather",
        "Denver",
    ]
)


def _table(rng: np.random.Generator, n: int, first_day: str) -> pd.DataFrame:
    stamps = pd.Timestamp(first_day) + pd.to_timedelta(rng.integers(0, 10**7, n), "s")
    levels = np.array([f"N{i:04d}" for i in range(600)], dtype=object)
    weights = 1.0 / np.arange(1, 601)
    frame = pd.DataFrame(
        {
            # day first: only rows with a day above 12 tell, and they are in few partitions
            "date": stamps.strftime("%d/%m/%Y"),
            "time_hour": stamps.strftime("%Y-%m-%dT%H:00:00Z"),
            "notes": [
                " ".join(rng.choice(WORDS, 6)) + f" #{rng.integers(10**6)}" for _ in range(n)
            ],
            "tailnum": levels[rng.choice(600, n, p=weights / weights.sum())],
            "city": rng.choice(["Old Oak City", "New Elm City", "Port Bay City"], n),
            "x": rng.lognormal(size=n) * 2.0**80,  # rescaled by a power of two
            "zip": rng.integers(10000, 10050, n),
            "empty": np.full(n, np.nan),
        }
    )
    frame.loc[rng.random(n) < 0.05, ["notes", "tailnum", "x"]] = np.nan
    return frame


def test_dask_and_pandas_learn_the_same_kinds_formats_text_and_capped_levels(
    client, assert_same_encoder
):
    rng = np.random.default_rng(0)
    train = _table(rng, 3000, "2013-01-01").sort_values("date", kind="stable")
    test = _table(rng, 1200, "2013-07-01")
    kinds = {"zip": "categorical"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        single = FrameEncoder(column_kinds=kinds).fit(train, test)
        parts = 3 * MERGE_FAN_IN  # two levels of merges
        encoder, n_train, n_test = fit_encoder(
            dd.from_pandas(train, npartitions=parts, sort=False),
            dd.from_pandas(test, npartitions=2, sort=False),
            client,
            column_kinds=kinds,
        )
    assert (n_train, n_test) == (3000, 1200)
    assert single.kinds == {
        "date": "datetime", "time_hour": "datetime", "notes": "text", "tailnum": "categorical",
        "city": "categorical", "x": "numeric", "zip": "categorical",
    }  # fmt: skip
    assert single.formats == {"date": "%d/%m/%Y", "time_hour": "%Y-%m-%dT%H:%M:%S%z"}
    assert list(single.others) == ["tailnum"] and single.dropped == ["empty"]
    assert list(single.units) == ["x"]
    assert_same_encoder(encoder, single)
    pd.testing.assert_frame_equal(encoder.transform(test), single.transform(test))


def test_dask_column_kinds_are_checked_before_any_work(client):
    frame = pd.DataFrame({"when": ["2013-01-31", "soon"], "x": [1.0, np.inf]})
    data = dd.from_pandas(frame, npartitions=2, sort=False)
    with pytest.raises(ValueError, match=re.escape("names column(s) ['nope'] that the data")):
        fit_encoder(data, data, client, column_kinds={"nope": "text"})
    with pytest.raises(ValueError, match=re.escape("Column 'when' cannot be read as dates")):
        fit_encoder(data, data, client, column_kinds={"when": "datetime"})
    with pytest.raises(ValueError, match=re.escape("Column 'x' of X_train contains infinite")):
        fit_encoder(data, data, client)
