"""FrameEncoder: model column names that every estimator accepts, whatever the user's names."""

from __future__ import annotations

import re

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advval._frames import MAX_MODEL_NAME, FrameEncoder, as_frame, model_column_name

FLOAT_MAX = float(np.finfo(np.float64).max)

#: what a model column name may contain (LightGBM, XGBoost and scikit-learn accept it)
SAFE = re.compile(r"[A-Za-z0-9_]+")

#: names that broke LightGBM, or that LightGBM maps onto one another, or that look generated
HOSTILE = [
    "Unnamed: 0",
    'a"b',
    "a,b",
    "a[b]",
    "a{b}",
    "a:b",
    "a\nb",
    "a|b",
    "a\tb",
    "a b",
    "a_b",
    "a  b",
    "a_b__0",
    "a_b__1",
    "größe_価格_😀",
    "x" * 10_000,
    "",
    "  ",
    "x0",
    "f0",
    "column",
    "column__0",
    "__advval_key",
    "<script>alert(1)</script>",
    '{"a": [1, 2]}',
]


def _frame(names: list[str], n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({name: rng.normal(size=n) for name in names})


def test_plain_names_are_kept_as_they_are():
    frame = _frame(["age", "income_2024", "Zip", "x0", "f0", "a_b"])
    encoder = FrameEncoder().fit(frame, frame)
    assert encoder.encoded_columns == ["age", "income_2024", "Zip", "x0", "f0", "a_b"]
    assert encoder.source == encoder.columns == list(frame.columns)


def test_other_names_get_a_readable_stem_and_their_position():
    assert model_column_name("Unnamed: 0", "", 3) == "Unnamed_0__3"
    assert model_column_name("a\nb", "", 0) == "a_b__0"
    assert model_column_name("", "", 7) == "column__7"
    assert model_column_name("  ", "", 2) == "column__2"
    assert model_column_name("größe", "", 1) == "gr_e__1"
    assert model_column_name("x__12", "", 5) == "x_12__5"  # looks generated: not kept
    assert model_column_name("_private", "", 4) == "private__4"  # not a letter first
    assert model_column_name("t", "day_of_week", 9) == "t_day_of_week__9"
    long = model_column_name("y" * 10_000, "", 11)
    assert long == "y" * MAX_MODEL_NAME + "__11"
    assert model_column_name("y" * MAX_MODEL_NAME, "", 0) == "y" * MAX_MODEL_NAME
    assert model_column_name("y" * (MAX_MODEL_NAME + 1), "", 0) == "y" * MAX_MODEL_NAME + "__0"


def test_hostile_names_encode_to_unique_safe_names_mapped_back_to_the_user():
    frame = _frame(HOSTILE)
    encoder = FrameEncoder().fit(frame, frame)
    names = encoder.encoded_columns
    assert len(set(names)) == len(names) == len(HOSTILE)
    assert all(SAFE.fullmatch(n) and len(n) <= MAX_MODEL_NAME + 4 for n in names)
    assert encoder.source == encoder.columns == HOSTILE
    assert not any(n.startswith("__advval") for n in names)
    encoded = encoder.transform(frame)
    assert list(encoded.columns) == names
    for name, column in zip(names, HOSTILE, strict=True):
        np.testing.assert_array_equal(encoded[name].to_numpy(), frame[column].to_numpy())


def test_lightgbm_trains_on_the_encoded_names_and_keeps_them():
    frame = _frame(HOSTILE, n=200)
    encoder = FrameEncoder().fit(frame, frame)
    encoded = encoder.transform(frame)
    y = (frame["a|b"] > 0).astype(int)
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1).fit(encoded, y)
    assert model.booster_.feature_name() == encoder.encoded_columns
    assert model.predict_proba(encoder.transform(frame.iloc[:5])).shape == (5, 2)


def test_a_column_named_like_a_datetime_part_does_not_collide_with_it():
    n = 50
    rng = np.random.default_rng(1)
    stamps = pd.Series(pd.date_range("2019-06-01", periods=n, freq="37h"))
    frame = pd.DataFrame({"t": stamps, "t.year": rng.normal(size=n), "t_year": rng.normal(size=n)})
    encoder = FrameEncoder().fit(frame, frame)
    assert encoder.encoded_columns == [
        "t_epoch__0", "t_year__1", "t_month__2", "t_day__3", "t_day_of_week__4", "t_hour__5",
        "t_year__6", "t_year",
    ]  # fmt: skip
    assert encoder.parts == ["epoch", "year", "month", "day", "day_of_week", "hour", "", ""]
    assert encoder.source == ["t"] * 6 + ["t.year", "t_year"]
    encoded = encoder.transform(frame)
    np.testing.assert_array_equal(encoded["t_year__1"], stamps.dt.year.astype(float))
    np.testing.assert_array_equal(encoded["t_year__6"], frame["t.year"])
    np.testing.assert_array_equal(encoded["t_year"], frame["t_year"])


def test_new_rows_encode_to_the_same_columns():
    train = _frame(["a b", "a_b", "Unnamed: 0"])
    test = train.iloc[::-1].reset_index(drop=True) + 1.0
    encoder = FrameEncoder().fit(train, test)
    encoded = encoder.transform(test.iloc[:7])
    assert list(encoded.columns) == ["a_b__0", "a_b", "Unnamed_0__2"]
    np.testing.assert_array_equal(encoded["a_b__0"], test["a b"].iloc[:7])


def test_categorical_boolean_and_datetime_kinds_keep_their_encoding_under_hostile_names():
    frame = pd.DataFrame(
        {
            "a,b": ["x", "y", None, "x"],
            "a:b": [True, False, True, True],
            "": pd.to_datetime(["2020-01-01", "2021-01-01", None, "2022-01-01"]),
        }
    )
    encoder = FrameEncoder().fit(frame, frame)
    encoded = encoder.transform(frame)
    assert isinstance(encoded["a_b__0"].dtype, pd.CategoricalDtype)
    assert encoded["a_b__0"].isna().tolist() == [False, False, True, False]
    assert encoded["a_b__1"].tolist() == [1.0, 0.0, 1.0, 1.0]
    assert encoder.source[2:] == [""] * 5 and encoder.encoded_columns[2] == "column_epoch__2"


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=8, unique=True))
def test_any_unique_names_give_unique_safe_model_names(names):
    frame = pd.DataFrame({name: [0.0, 1.0] for name in names})
    encoder = FrameEncoder().fit(frame, frame)
    assert len(set(encoder.encoded_columns)) == len(names)
    assert all(SAFE.fullmatch(n) for n in encoder.encoded_columns)
    assert encoder.source == names
    plain = [
        n
        for n in names
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n) and not re.fullmatch(r".*__[0-9]+", n)
    ]
    assert [n for n in encoder.encoded_columns if n in plain] == plain


@pytest.mark.parametrize(
    ("value", "unit"),
    [(1e308, 2.0**1023), (-FLOAT_MAX, 2.0**1023), (1e-300, 2.0**-997), (5e-324, 2.0**-1074),
     (2.0**64, 1.0), (2.0**-64, 1.0), (123.0, 1.0)],
)  # fmt: skip
def test_values_near_the_float_limits_are_rescaled_by_a_power_of_two(value, unit):
    frame = pd.DataFrame({"x": [value, 0.0, -value / 3, np.nan]})
    encoder = FrameEncoder().fit(frame, frame)
    encoder.check_finite(frame, name="X")
    assert encoder.units == ({} if unit == 1.0 else {"x": unit})
    encoded = encoder.transform(frame)["x"].to_numpy()
    assert 1.0 <= abs(encoded[0]) < 2.0 or unit == 1.0
    np.testing.assert_array_equal(encoded * unit, frame["x"])  # exact: a power of two
    np.testing.assert_array_equal(encoder.column_values(frame, "x"), frame["x"])  # raw


def test_the_unit_comes_from_both_sides_and_new_rows_use_it():
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    test = pd.DataFrame({"x": [1e300, 2.0, np.inf]})
    encoder = FrameEncoder().fit(train, test)
    assert encoder.units == {"x": 2.0**996}
    np.testing.assert_array_equal(encoder.transform(train)["x"], train["x"] / 2.0**996)
    with pytest.raises(ValueError, match="Column 'x' of X_test contains infinite values"):
        encoder.check_finite(test, name="X_test")


@pytest.mark.parametrize(
    ("cells", "kind"), [([{"a": 1}, {"b": 2}], "dict"), ([[1, 2], [3]], "list")]
)
def test_nested_cells_are_refused_naming_the_column(cells, kind):
    frame = pd.DataFrame({"nested": cells * 10, "x": np.arange(20.0)})
    with pytest.raises(TypeError, match=rf"Column 'nested' of X_train holds {kind} values"):
        as_frame(frame, name="X_train")
