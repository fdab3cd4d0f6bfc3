"""Tests for advval.datasets: the bundled flights data and the synthetic shift generators."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import advval.datasets
from advval.datasets import FLIGHTS_DESCRIPTION, ShiftDataset, load_flights, make_shift

NUMERIC = {
    "day": "int64",
    "sched_dep_hour": "int64",
    "dep_delay": "float64",
    "arr_delay": "float64",
    "air_time": "float64",
    "distance": "int64",
}
CATEGORICAL = ["carrier", "origin", "dest"]
KINDS = ["none", "mean", "variance", "correlation", "category", "leak"]
N = 20_000  # large enough that the ground truth is measured to about 0.01


def test_public_api():
    assert sorted(advval.datasets.__all__) == sorted(
        [
            "FLIGHTS_DESCRIPTION",
            "KAGGLE_SOURCES",
            "KaggleTable",
            "ShiftDataset",
            "load_flights",
            "make_kaggle_table",
            "make_shift",
        ]
    )


# --------------------------------------------------------------------------- flights


@pytest.fixture(scope="module")
def flights():
    return load_flights()


def test_flights_columns_and_dtypes(flights):
    for frame in flights:
        assert list(frame.columns) == [*NUMERIC, *CATEGORICAL]
        assert frame.shape == (3000, 9)
        assert isinstance(frame.index, pd.RangeIndex)
        for column, dtype in NUMERIC.items():
            assert frame[column].dtype == dtype, column
        for column in CATEGORICAL:
            assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
            assert frame[column].notna().all(), column


def test_flights_has_no_trivial_time_columns(flights):
    for frame in flights:
        assert not {"year", "month", "time_hour"} & set(frame.columns)


def test_flights_categories_are_shared(flights):
    X_train, X_test = flights
    for column in CATEGORICAL:
        assert X_train[column].dtype == X_test[column].dtype, column
        categories = X_train[column].cat.categories
        assert list(categories) == sorted(categories), column
        observed = set(X_train[column].astype(str)) | set(X_test[column].astype(str))
        assert set(categories) == observed, column
    assert list(X_train["origin"].cat.categories) == ["EWR", "JFK", "LGA"]


def test_flights_missing_values_are_cancelled_flights(flights):
    for frame in flights:
        for column in ["dep_delay", "arr_delay", "air_time"]:
            assert frame[column].isna().sum() > 0, column
        # a flight with no departure delay never took off, so it has no air time either
        assert frame.loc[frame["dep_delay"].isna(), "air_time"].isna().all()
        assert frame[["day", "sched_dep_hour", "distance"]].notna().all().all()


def test_flights_values_are_plausible(flights):
    for frame in flights:
        assert frame["day"].between(1, 31).all()
        assert frame["sched_dep_hour"].between(0, 23).all()
        assert (frame["distance"] > 0).all()
        assert (frame["air_time"].dropna() > 0).all()


def test_flights_split_has_a_real_shift(flights):
    X_train, X_test = flights
    air = stats.ks_2samp(X_train["air_time"].dropna(), X_test["air_time"].dropna())
    assert air.pvalue < 0.01
    assert X_train["air_time"].mean() > X_test["air_time"].mean()  # winter headwinds
    arrival = stats.ks_2samp(X_train["arr_delay"].dropna(), X_test["arr_delay"].dropna())
    assert arrival.pvalue < 0.01
    day = stats.ks_2samp(X_train["day"], X_test["day"])
    assert day.statistic < 0.05
    assert day.pvalue > 0.01


def test_flights_description():
    for word in ["nycflights13", "CC0", "January-March", "July-September", "3,000"]:
        assert word in FLIGHTS_DESCRIPTION


def test_flights_files_are_package_resources(monkeypatch, tmp_path):
    data = resources.files("advval.datasets").joinpath("data")
    for name in ["flights_train.csv", "flights_test.csv", "README.md"]:
        assert data.joinpath(name).is_file(), name
    header = data.joinpath("flights_train.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join([*NUMERIC, *CATEGORICAL])  # no index column
    monkeypatch.chdir(tmp_path)  # the loader must not depend on the working directory
    X_train, _ = load_flights()
    assert len(X_train) == 3000


def test_flights_returns_fresh_frames():
    X_train, _ = load_flights()
    X_train.loc[:, "day"] = 0
    again, _ = load_flights()
    assert again["day"].min() >= 1


def test_flights_as_arrays(flights):
    A_train, A_test = load_flights(as_frame=False)
    X_train, X_test = flights
    for array, frame in [(A_train, X_train), (A_test, X_test)]:
        assert isinstance(array, np.ndarray)
        assert array.dtype == np.float64
        assert array.shape == frame.shape
        np.testing.assert_array_equal(array[:, 2], frame["dep_delay"].to_numpy())
        dest = array[:, list(frame.columns).index("dest")]
        np.testing.assert_array_equal(dest, frame["dest"].cat.codes.to_numpy())


def test_make_flights_data_reproduces_bundled_files(tmp_path):
    script = Path(__file__).resolve().parents[1] / "tools" / "make_flights_data.py"
    spec = importlib.util.spec_from_file_location("make_flights_data", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    flights = module.load_source()
    data = resources.files("advval.datasets").joinpath("data")
    for name, months, seed in [
        ("flights_train.csv", module.TRAIN_MONTHS, module.SEED),
        ("flights_test.csv", module.TEST_MONTHS, module.SEED + 1),
    ]:
        module.write_csv(module.sample_months(flights, months=months, seed=seed), tmp_path / name)
        assert (tmp_path / name).read_bytes() == data.joinpath(name).read_bytes(), name


# --------------------------------------------------------------------------- synthetic


def _mean_gap(data: ShiftDataset) -> pd.Series:
    return data.X_test.mean(numeric_only=True) - data.X_train.mean(numeric_only=True)


def _ks_pvalues(data: ShiftDataset, columns: list[str]) -> dict[str, float]:
    return {c: stats.ks_2samp(data.X_train[c], data.X_test[c]).pvalue for c in columns}


@pytest.mark.parametrize("kind", KINDS)
def test_make_shift_shapes_and_dtypes(kind):
    data = make_shift(kind, n_train=300, n_test=200, n_features=4, random_state=0)
    assert isinstance(data, ShiftDataset)
    assert data.kind == kind
    assert data.X_train.shape[0] == 300
    assert data.X_test.shape[0] == 200
    assert list(data.X_train.columns) == list(data.X_test.columns)
    assert list(data.X_train.columns)[:4] == ["x0", "x1", "x2", "x3"]
    pd.testing.assert_series_equal(data.X_train.dtypes, data.X_test.dtypes)
    for frame in (data.X_train, data.X_test):
        assert isinstance(frame.index, pd.RangeIndex)
        assert frame.index[0] == 0
        assert frame.notna().all().all()
    assert set(data.shifted) <= set(data.X_train.columns)
    assert data.description


def test_make_shift_none_is_the_null_case():
    data = make_shift("none", n_train=N, n_test=N, random_state=1)
    assert data.shifted == ()
    assert (_mean_gap(data).abs() < 0.05).all()
    assert min(_ks_pvalues(data, list(data.X_train.columns)).values()) > 0.001


@pytest.mark.parametrize("delta", [0.5, -0.3])
def test_make_shift_mean(delta):
    data = make_shift("mean", n_train=N, n_test=N, n_shifted=3, delta=delta, random_state=2)
    assert data.shifted == ("x0", "x1", "x2")
    gap = _mean_gap(data)
    np.testing.assert_allclose(gap[["x0", "x1", "x2"]], delta, atol=0.05)
    assert (gap.drop(["x0", "x1", "x2"]).abs() < 0.05).all()
    ratio = data.X_test.std() / data.X_train.std()
    np.testing.assert_allclose(ratio, 1.0, atol=0.05)  # only the mean moves


def test_make_shift_variance():
    data = make_shift("variance", n_train=N, n_test=N, delta=0.5, random_state=3)
    assert data.shifted == ("x0", "x1")
    ratio = data.X_test.std() / data.X_train.std()
    np.testing.assert_allclose(ratio[["x0", "x1"]], 1.5, atol=0.05)
    np.testing.assert_allclose(ratio.drop(["x0", "x1"]), 1.0, atol=0.05)
    assert (_mean_gap(data).abs() < 0.05).all()  # the mean does not move


def test_make_shift_correlation_is_invisible_per_column():
    data = make_shift(
        "correlation", n_train=N, n_test=N, n_features=6, n_shifted=4, delta=0.6, random_state=4
    )
    assert data.shifted == ("x0", "x1", "x2", "x3")
    pvalues = _ks_pvalues(data, list(data.X_train.columns))
    assert min(pvalues.values()) > 0.001, pvalues
    np.testing.assert_allclose(data.X_test.std(), 1.0, atol=0.03)
    test_corr, train_corr = data.X_test.corr(), data.X_train.corr()
    for a, b in [("x0", "x1"), ("x2", "x3")]:
        assert abs(test_corr.loc[a, b] - 0.6) < 0.03
        assert abs(train_corr.loc[a, b]) < 0.03
    off_diagonal = ~np.eye(6, dtype=bool)
    off_diagonal[[0, 1, 2, 3], [1, 0, 3, 2]] = False  # the correlated pairs
    assert (np.abs(test_corr.to_numpy()[off_diagonal]) < 0.03).all()
    assert (np.abs(train_corr.to_numpy()[~np.eye(6, dtype=bool)]) < 0.03).all()


def test_make_shift_correlation_caps_rho():
    data = make_shift("correlation", n_train=10, n_test=N, delta=3.0, random_state=5)
    assert abs(data.X_test["x0"].corr(data.X_test["x1"]) - 0.95) < 0.01
    assert "rho=0.95" in data.description


def test_make_shift_category():
    data = make_shift("category", n_train=N, n_test=N, n_features=3, delta=0.5, random_state=6)
    assert data.shifted == ("cat",)
    for frame in (data.X_train, data.X_test):
        assert list(frame.columns) == ["x0", "x1", "x2", "cat"]
        assert list(frame["cat"].cat.categories) == ["a", "b", "c", "d", "e"]
    train = data.X_train["cat"].value_counts(normalize=True).sort_index()
    test = data.X_test["cat"].value_counts(normalize=True).sort_index()
    np.testing.assert_allclose(train, 0.2, atol=0.01)
    expected = np.exp(0.5 * np.arange(5))
    np.testing.assert_allclose(test, expected / expected.sum(), atol=0.01)
    table = pd.crosstab(
        np.r_[np.zeros(N), np.ones(N)],
        pd.concat([data.X_train["cat"], data.X_test["cat"]], ignore_index=True),
    )
    assert stats.chi2_contingency(table).pvalue < 1e-10
    assert (_mean_gap(data).abs() < 0.05).all()


def test_make_shift_leak():
    data = make_shift("leak", n_train=500, n_test=300, n_features=2, random_state=7)
    assert data.shifted == ("row_id",)
    assert data.X_train["row_id"].dtype == np.int64
    row_id = pd.concat([data.X_train["row_id"], data.X_test["row_id"]], ignore_index=True)
    np.testing.assert_array_equal(row_id, np.arange(800))
    assert row_id.is_monotonic_increasing
    assert data.X_train["row_id"].max() < data.X_test["row_id"].min()  # a perfect separator
    labels = np.r_[np.zeros(500), np.ones(300)]
    assert stats.mannwhitneyu(row_id[labels == 1], row_id[labels == 0]).statistic == 500 * 300


@pytest.mark.parametrize("kind", ["mean", "variance", "correlation", "category"])
def test_make_shift_zero_delta_shifts_nothing(kind):
    data = make_shift(kind, n_train=50, n_test=50, delta=0.0, random_state=0)
    assert data.shifted == ()
    assert "No shift" in data.description


def test_make_shift_zero_columns_shifted():
    assert make_shift("mean", n_shifted=0, n_train=20, n_test=20, random_state=0).shifted == ()


@pytest.mark.parametrize("kind", KINDS)
def test_make_shift_is_deterministic(kind):
    first = make_shift(kind, n_train=200, n_test=150, random_state=42)
    second = make_shift(kind, n_train=200, n_test=150, random_state=42)
    pd.testing.assert_frame_equal(first.X_train, second.X_train)
    pd.testing.assert_frame_equal(first.X_test, second.X_test)
    assert first.shifted == second.shifted
    assert first.description == second.description
    from_generator = make_shift(
        kind, n_train=200, n_test=150, random_state=np.random.default_rng(42)
    )
    pd.testing.assert_frame_equal(first.X_test, from_generator.X_test)


@pytest.mark.parametrize("kind", KINDS)
def test_make_shift_different_seeds_differ(kind):
    first = make_shift(kind, n_train=200, n_test=150, random_state=0)
    second = make_shift(kind, n_train=200, n_test=150, random_state=1)
    assert not first.X_train.equals(second.X_train)
    assert not first.X_test.equals(second.X_test)


def test_make_shift_generator_is_advanced():
    rng = np.random.default_rng(0)
    first = make_shift("none", n_train=50, n_test=50, random_state=rng)
    second = make_shift("none", n_train=50, n_test=50, random_state=rng)
    assert not first.X_train.equals(second.X_train)


def test_shift_dataset_is_frozen_and_has_a_short_repr():
    data = make_shift("leak", n_train=5, n_test=3, n_features=2, random_state=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.kind = "none"  # type: ignore[misc]
    assert repr(data) == (
        "ShiftDataset(kind='leak', shifted=('row_id',), "
        "X_train=DataFrame(5x3), X_test=DataFrame(3x3))"
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"kind": "foo"},
            "The 'kind' parameter of make_shift must be one of 'none', 'mean', 'variance', "
            "'correlation', 'category', 'leak'. Got 'foo' instead.",
        ),
        (
            {"n_shifted": 12},
            "The 'n_shifted' parameter of make_shift must be an int in the range "
            "[0, n_features]. Got 12 instead.",
        ),
        (
            {"n_shifted": -1},
            "The 'n_shifted' parameter of make_shift must be an int in the range "
            "[0, n_features]. Got -1 instead.",
        ),
        (
            {"kind": "correlation", "n_shifted": 3},
            "The 'n_shifted' parameter of make_shift must be an even int in the range "
            "[2, n_features] when kind='correlation'. Got 3 instead.",
        ),
        (
            {"kind": "correlation", "n_shifted": 0},
            "The 'n_shifted' parameter of make_shift must be an even int in the range "
            "[2, n_features] when kind='correlation'. Got 0 instead.",
        ),
        (
            {"n_train": 0},
            "The 'n_train' parameter of make_shift must be an int in the range [1, inf). "
            "Got 0 instead.",
        ),
        (
            {"n_test": 2.5},
            "The 'n_test' parameter of make_shift must be an int in the range [1, inf). "
            "Got 2.5 instead.",
        ),
        (
            {"n_features": True},
            "The 'n_features' parameter of make_shift must be an int in the range [1, inf). "
            "Got True instead.",
        ),
        (
            {"delta": float("nan")},
            "The 'delta' parameter of make_shift must be a finite real number. Got nan instead.",
        ),
        (
            {"delta": "big"},
            "The 'delta' parameter of make_shift must be a finite real number. Got 'big' instead.",
        ),
        (
            {"kind": "variance", "delta": -1},
            "The 'delta' parameter of make_shift must be a float in the range (-1, inf) "
            "when kind='variance'. Got -1 instead.",
        ),
        (
            {"kind": "correlation", "delta": -2.0},
            "The 'delta' parameter of make_shift must be a float in the range (-1, inf) "
            "when kind='correlation'. Got -2.0 instead.",
        ),
        (
            {"random_state": -1},
            "The 'random_state' parameter of make_shift must be an int in the range [0, inf), "
            "a numpy.random.Generator or None. Got -1 instead.",
        ),
        (
            {"random_state": "seed"},
            "The 'random_state' parameter of make_shift must be an int in the range [0, inf), "
            "a numpy.random.Generator or None. Got 'seed' instead.",
        ),
    ],
)
def test_make_shift_parameter_errors(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make_shift(**params)
