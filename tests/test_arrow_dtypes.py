"""Frames as pandas 3 users read them: Arrow and nullable dtypes give the NumPy twin's numbers.

One real table (the bundled NYC flights) with a date, a UTC timestamp, a time span, a
boolean, a category, a string column and integers with gaps, in its NumPy dtypes and in
the dtypes ``read_parquet`` / ``read_csv(dtype_backend=...)`` / ``convert_dtypes`` give.
"""

from __future__ import annotations

import decimal
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression

from advval import AdversarialValidator, DriftFeatureDropper, SubstitutionImputer
from advval._frames import FrameEncoder
from advval._kinds import (
    NUMERIC,
    as_category,
    column_kind,
    duration_seconds,
    is_duration,
    numpy_equivalent,
)
from advval.attacks import FeatureSpace, SquareAttack, robustness_report
from advval.datasets import load_flights
from advval.report import build_drift_report, render_json, render_robustness_json


def _flights(rows: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both sides of the flights table with the column families of real exports."""
    sides = []
    for k, side in enumerate(load_flights()):
        frame = side.iloc[:rows].copy()
        month = 1 + (np.arange(rows) * 7 + k) % 12
        frame["flight_date"] = pd.to_datetime(
            {"year": 2013, "month": month, "day": frame["day"].clip(upper=28)}
        ).astype("datetime64[us]")
        hours = pd.to_timedelta(frame["sched_dep_hour"], unit="h")
        frame["dep_utc"] = (frame["flight_date"] + hours).dt.tz_localize("UTC")
        frame["air_span"] = pd.to_timedelta(frame["air_time"], unit="min").astype("timedelta64[us]")
        frame["delayed"] = frame["arr_delay"].fillna(0) > 15
        frame["fare"] = np.round(frame["distance"] * 0.13 + (frame["sched_dep_hour"] % 7) * 1.01, 2)
        frame["carrier_name"] = frame["carrier"].astype(str).astype(object)
        frame.index = pd.Index(np.arange(rows) * 3 + 1000 * k, name="row_id")
        sides.append(frame)
    return sides[0], sides[1]


def _parquet_like(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as ``pd.read_parquet(..., dtype_backend="pyarrow")`` gives a Polars/Spark file:
    dictionary categories, ``date32``, ``decimal128(12, 2)``, ``large_string``, ``duration``."""
    table = pa.Table.from_pandas(frame, preserve_index=True)
    casts = {
        "fare": pa.decimal128(12, 2),
        "flight_date": pa.date32(),
        "carrier_name": pa.large_string(),
    }
    for name, arrow_type in casts.items():
        if name not in table.column_names:
            continue
        column = table[name]
        if name == "fare":  # cents exactly, as a decimal writer stores them
            column = pa.array(
                [None if v is None else decimal.Decimal(f"{v:.2f}") for v in column.to_pylist()],
                arrow_type,
            )
        table = table.set_column(table.schema.get_field_index(name), name, column.cast(arrow_type))
    return table.to_pandas(types_mapper=pd.ArrowDtype)


FAMILIES = {
    "numpy_nullable": lambda f: f.convert_dtypes(dtype_backend="numpy_nullable"),
    "pyarrow": lambda f: f.convert_dtypes(dtype_backend="pyarrow"),
    "parquet_arrow": _parquet_like,
}


@pytest.fixture(scope="module")
def flights() -> tuple[pd.DataFrame, pd.DataFrame]:
    return _flights()


def test_the_families_hold_the_dtypes_under_test(flights):
    train = _parquet_like(flights[0])
    dtypes = train.dtypes.astype(str).to_dict()
    assert dtypes["air_span"] == "duration[us][pyarrow]"
    assert dtypes["fare"] == "decimal128(12, 2)[pyarrow]"
    assert dtypes["flight_date"] == "date32[day][pyarrow]"
    assert dtypes["carrier"].startswith("dictionary<")
    assert dtypes["carrier_name"] == "large_string[pyarrow]"
    assert str(FAMILIES["pyarrow"](flights[0]).dtypes["dep_delay"]) == "int64[pyarrow]"
    assert str(FAMILIES["numpy_nullable"](flights[0]).dtypes["dep_delay"]) == "Int64"


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_arrow_durations_are_numbers_in_seconds(unit):
    spans = pd.Series(pd.to_timedelta([0, 1500, None, 86_400_000], unit="ms"))
    arrow = spans.astype(pd.ArrowDtype(pa.duration(unit)))
    assert is_duration(arrow.dtype) and is_duration(spans.dtype)
    assert not is_duration(pd.ArrowDtype(pa.int64())) and not is_duration(np.dtype("float64"))
    assert column_kind(arrow) == NUMERIC
    expected = [0.0, 1.5, np.nan, 86_400.0] if unit != "s" else [0.0, 1.0, np.nan, 86_400.0]
    np.testing.assert_array_equal(duration_seconds(arrow), expected)


def test_an_arrow_duration_column_encodes_as_its_timedelta_twin(flights):
    train, test = flights
    arrow = [
        f.assign(air_span=f["air_span"].astype(pd.ArrowDtype(pa.duration("us")))) for f in flights
    ]
    plain = FrameEncoder().fit(train, test)
    typed = FrameEncoder().fit(*arrow)
    assert typed.kinds["air_span"] == NUMERIC == plain.kinds["air_span"]
    assert typed.encoded_columns == plain.encoded_columns
    pd.testing.assert_frame_equal(typed.transform(arrow[0]), plain.transform(train))
    np.testing.assert_array_equal(
        typed.column_values(arrow[1], "air_span"), plain.column_values(test, "air_span")
    )


def _verdict(train: pd.DataFrame, test: pd.DataFrame) -> tuple[float, float, str, list[float]]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning noise for a dtype family
        validator = AdversarialValidator(random_state=0, n_splits=3).fit(train, test)
        report = render_json(build_drift_report(validator, train, test))
    likeness = validator.test_likeness(test.iloc[:40]).tolist()
    return validator.auc_, validator.p_value_, report, likeness


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_validator_gives_the_numpy_twins_numbers_and_json(flights, family):
    train, test = flights
    typed = [FAMILIES[family](f) for f in flights]
    before = [(f.copy(deep=True), f.dtypes.copy()) for f in typed]
    assert _verdict(*typed) == _verdict(train, test)
    for frame, (copy, dtypes) in zip(typed, before, strict=True):
        pd.testing.assert_series_equal(frame.dtypes, dtypes)
        pd.testing.assert_frame_equal(frame, copy)


def _as_arrow(frame: pd.DataFrame) -> pd.DataFrame:
    return pa.Table.from_pandas(frame, preserve_index=True).to_pandas(types_mapper=pd.ArrowDtype)


def test_an_arrow_dictionary_is_read_as_the_category_it_was_written_from():
    # a category of date strings is the user's word that the column is categorical; the
    # dictionary a Parquet writer makes of it says the same (not dates, not free text)
    days = [f"2013-01-{d:02d}" for d in range(1, 10)]
    frame = pd.DataFrame(
        {"when": pd.Categorical([days[i % 9] if i % 7 else None for i in range(60)])}
    )
    arrow = _as_arrow(frame)
    assert str(arrow.dtypes["when"]).startswith("dictionary<")
    plain, typed = FrameEncoder().fit(frame, frame), FrameEncoder().fit(arrow, arrow)
    assert typed.kinds == plain.kinds == {"when": "categorical"}
    assert typed.categories == plain.categories
    pd.testing.assert_frame_equal(typed.transform(arrow), plain.transform(frame))


def test_as_category_keeps_unused_levels_and_missing_values():
    frame = pd.DataFrame(
        {"x": pd.Categorical(["b", None, "a", "b"], categories=["c", "b", "a"])},
        index=[7, 3, 5, 1],
    )
    arrow = _as_arrow(frame)["x"]
    category = as_category(arrow)
    assert category.index is arrow.index
    pd.testing.assert_series_equal(
        category.reset_index(drop=True), frame["x"].reset_index(drop=True)
    )
    column = frame["x"]
    assert as_category(column) is column


def test_the_attack_space_and_report_match_the_numpy_twin(flights):
    train = flights[0][["day", "dep_delay", "distance", "fare", "delayed", "carrier"]]
    labels = (flights[0]["arr_delay"].fillna(0) > 15).to_numpy(dtype=int)
    model = _DelayModel(train, labels)

    def report(frame: pd.DataFrame) -> tuple[object, ...]:
        space = FeatureSpace.from_frame(frame)
        attack = SquareAttack(None, eps=0.5, max_queries=40, random_state=0)
        found = robustness_report(
            model, frame.iloc[:30], labels[:30], feature_space=space, attacks=[attack]
        )
        return space.integer, space.categorical, space.bounds, render_robustness_json(found)

    expected = report(train)
    assert expected[1]["carrier"] == list(train["carrier"].cat.categories)  # unused ones too
    for family in sorted(FAMILIES):
        assert report(FAMILIES[family](train)) == expected, family


class _DelayModel:
    """A small scikit-learn model on the flights columns, fed NumPy dtypes whatever it gets."""

    def __init__(self, frame: pd.DataFrame, labels: np.ndarray) -> None:
        self.levels = list(frame["carrier"].cat.categories)
        self.model = LogisticRegression(max_iter=500).fit(self._matrix(frame), labels)
        self.classes_ = self.model.classes_

    def _matrix(self, frame: pd.DataFrame) -> np.ndarray:
        frame = pd.DataFrame(frame)
        numbers = frame.drop(columns="carrier").astype("float64").fillna(0.0).to_numpy()
        carrier = pd.Categorical(frame["carrier"].astype(str), categories=self.levels).codes
        return np.column_stack([numbers, carrier])

    def predict_proba(self, X: object) -> np.ndarray:
        return self.model.predict_proba(self._matrix(X))

    def predict(self, X: object) -> np.ndarray:
        return self.model.predict(self._matrix(X))


_IMPUTED = ["dep_delay", "distance", "carrier", "flight_date", "dep_utc", "air_span", "fare"]


def _with_gaps(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s imputed columns with 10 missing cells each (planted, seeded)."""
    frame = frame[_IMPUTED].copy()
    rng = np.random.default_rng(1)
    for column in _IMPUTED:
        rows = rng.choice(len(frame), 10, replace=False)
        frame.iloc[rows, frame.columns.get_loc(column)] = None
    return frame


def _imputed(frame: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return SubstitutionImputer(random_state=0, max_iter=1).fit_transform(frame)


@pytest.fixture(scope="module")
def imputed_twin(flights) -> tuple[pd.DataFrame, pd.DataFrame]:
    twin = _with_gaps(flights[0].iloc[:160])
    return twin, _imputed(twin)


@pytest.mark.parametrize("family", ["parquet_arrow", "pyarrow"])
def test_the_imputer_fills_arrow_columns_in_their_own_dtypes(imputed_twin, family):
    # Arrow timestamps, dates, durations and decimals with gaps: the imputer failed
    # (ArrowInvalid: casting timestamp[ns] to timestamp[us] would lose data) or read a
    # duration in its unit as nanoseconds
    twin, expected = imputed_twin
    typed = FAMILIES[family](twin)
    before = typed.copy(deep=True)
    result = _imputed(typed)
    pd.testing.assert_frame_equal(typed, before)  # the user's frame, dtypes included
    pd.testing.assert_index_equal(result.index, typed.index)
    pd.testing.assert_series_equal(result.dtypes, typed.dtypes)
    assert not result.isna().any().any()
    # the same numbers as the NumPy twin's, in the column's type
    back = result.astype(
        {
            c: _numpy_of(result[c])
            for c in result.columns
            if isinstance(result[c].dtype, pd.ArrowDtype)
        }
    )
    whole = [c for c in _IMPUTED if pd.api.types.is_integer_dtype(typed[c].dtype)]
    expected = expected.astype({c: "float64" for c in whole}).round({c: 0 for c in whole})
    for column in _IMPUTED:
        left, right = back[column], expected[column]
        arrow = getattr(typed[column].dtype, "pyarrow_dtype", None)
        if arrow is not None and pa.types.is_decimal(arrow):  # imputed: whole cents
            right = right.round(arrow.scale)
        if pd.api.types.is_numeric_dtype(right.dtype):
            np.testing.assert_array_equal(left.to_numpy(np.float64), right.to_numpy(np.float64))
        elif pd.api.types.is_datetime64_any_dtype(right.dtype):
            if str(typed[column].dtype).startswith("date32"):  # imputed: the nearest date
                right = right.dt.round("D")
            assert left.tolist() == right.tolist(), column
        else:
            assert left.astype(str).tolist() == right.astype(str).tolist(), column


def _numpy_of(values: pd.Series) -> object:
    arrow = values.dtype.pyarrow_dtype
    if pa.types.is_dictionary(arrow) or pa.types.is_string(arrow):
        return "category" if pa.types.is_dictionary(arrow) else object
    if pa.types.is_date(arrow):
        return "datetime64[us]"
    return numpy_equivalent(values.dtype)


def test_nullable_integers_with_gaps_stay_whole_numbers(imputed_twin):
    twin, expected = imputed_twin
    typed = twin.astype({"dep_delay": "Int64", "distance": "Int64"})
    result = _imputed(typed)
    assert (result.dtypes[["dep_delay", "distance"]] == "Int64").all()
    for column in ("dep_delay", "distance"):
        np.testing.assert_array_equal(
            result[column].to_numpy(np.float64), np.round(expected[column].to_numpy(np.float64))
        )
    assert isinstance(result["carrier"].dtype, pd.CategoricalDtype)
    assert list(result["carrier"].cat.categories) == list(twin["carrier"].cat.categories)


@pytest.mark.parametrize(
    "arrow_type",
    [pa.list_(pa.int64()), pa.struct([("a", pa.int64())]), pa.map_(pa.string(), pa.int64())],
)
def test_nested_arrow_columns_are_refused_by_name(arrow_type):
    cells = {"list": [1], "struct": {"a": 1}, "map": [("k", 1)]}
    cell = next(v for k, v in cells.items() if str(arrow_type).startswith(k))
    frame = pd.DataFrame({"x": np.arange(40.0)})
    frame["record"] = pd.Series([cell] * 40, dtype=pd.ArrowDtype(arrow_type))
    with pytest.raises(TypeError, match="Column 'record' of X_train holds .*Flatten or drop"):
        AdversarialValidator(random_state=0).fit(frame, frame)


def test_a_table_of_another_library_is_read_with_its_names_and_types(flights):
    # Polars, PyArrow and DuckDB tables come by the Arrow stream (a pyarrow Table stands
    # in for them here): numpy.asarray made their columns x0, x1, ... of objects
    train, test = (f.reset_index(drop=True) for f in flights)
    tables = [pa.Table.from_pandas(f, preserve_index=False) for f in (train, test)]
    frames = [t.to_pandas(types_mapper=pd.ArrowDtype) for t in tables]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        by_table = AdversarialValidator(random_state=0, n_splits=3).fit(*tables)
    by_frame = AdversarialValidator(random_state=0, n_splits=3).fit(*frames)
    assert (by_table.auc_, by_table.p_value_) == (by_frame.auc_, by_frame.p_value_)
    assert list(by_table.feature_names_in_) == list(train.columns)
    np.testing.assert_array_equal(by_table.feature_importances_, by_frame.feature_importances_)
    pd.testing.assert_frame_equal(by_table.feature_report_, by_frame.feature_report_)
    columns = ["day", "dep_delay", "distance", "fare", "carrier"]
    table_space = FeatureSpace.from_frame(tables[0].select(columns))
    frame_space = FeatureSpace.from_frame(frames[0][columns])
    assert table_space.feature_names == columns
    assert (table_space.integer, table_space.categorical, table_space.bounds) == (
        frame_space.integer, frame_space.categorical, frame_space.bounds)
    # an attack takes the table as its frame: same rows, success, and a frame back, with
    # the names the model was fitted with (no feature-name warnings)
    numeric = ["day", "dep_delay", "distance", "fare"]
    rows = frames[0][numeric].astype("float64").fillna(0.0)
    labels = (train["arr_delay"].fillna(0) > 15).to_numpy(dtype=int)
    model = LogisticRegression(max_iter=1000).fit(rows, labels)
    attack = SquareAttack(model, eps=0.5, max_queries=40, random_state=0)
    expected, expected_success = attack.generate(rows.iloc[:25], labels[:25]), attack.success_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = attack.generate(pa.Table.from_pandas(rows.iloc[:25]), labels[:25])
    assert isinstance(found, pd.DataFrame) and list(found.columns) == numeric
    np.testing.assert_array_equal(found.to_numpy(float), expected.to_numpy(float))
    np.testing.assert_array_equal(attack.success_, expected_success)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_drift_dropper_selects_arrow_columns_as_numpy_typed_ones(flights, family):
    # with scikit-learn's default (array) output it raised "Cannot cast str dtype to
    # float64" on Arrow strings; a frame with set_output(transform="pandas") was fine
    train, test = (f.iloc[:200] for f in flights)
    dropper = DriftFeatureDropper(X_test=test, random_state=0).fit(train)
    typed = FAMILIES[family](train)
    before = typed.copy(deep=True)
    expected, found = dropper.transform(train), dropper.transform(typed)
    pd.testing.assert_frame_equal(typed, before)
    assert found.shape == expected.shape and found.dtype == expected.dtype
    # (Parquet's date32 and decimal cells stay Python dates and Decimals in the objects)
    same = [
        (pd.isna(a) and pd.isna(b)) or a == b
        for a, b in zip(found.ravel(), expected.ravel(), strict=True)
    ]
    assert all(same) if family != "parquet_arrow" else sum(same) > 0.5 * len(same)
    kept = dropper.set_output(transform="pandas").transform(typed)
    pd.testing.assert_series_equal(kept.dtypes, typed.dtypes[kept.columns])
