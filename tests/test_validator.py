"""AdversarialValidator: behaviour, bad input, determinism, no mutation."""

import os
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from advval import AdversarialValidator
from advval.exceptions import DataWarning, LeakWarning


def _frames(n=300, shift=0.0, seed=0, columns=4):
    rng = np.random.default_rng(seed)
    names = [f"x{i}" for i in range(columns)]
    train = pd.DataFrame(rng.normal(size=(n, columns)), columns=names)
    test = pd.DataFrame(rng.normal(size=(n, columns)), columns=names)
    test["x0"] += shift
    return train, test


def _validator(**params):
    return AdversarialValidator(random_state=0, n_jobs=1, **params)


def test_detects_planted_shift_and_names_the_feature():
    train, test = _frames(shift=1.0)
    v = _validator().fit(train, test)
    assert v.drift_ and v.auc_ > 0.65 and v.p_value_ < 1e-6  # oracle AUC 0.76
    assert v.auc_ci_[0] < v.auc_ < v.auc_ci_[1]
    assert v.feature_report_.index[0] == "x0"
    assert bool(v.feature_report_.loc["x0", "drift"])
    assert not v.feature_report_.drop(index="x0")["drift"].any()
    assert v.feature_importances_.argmax() == 0
    assert v.oof_proba_.shape == (600,) and np.isfinite(v.oof_proba_).all()
    # test rows look more test-like than train rows, out of fold and on new rows
    assert v.oof_proba_[300:].mean() > v.oof_proba_[:300].mean()
    assert v.test_likeness(test).mean() > v.test_likeness(train).mean()


def test_identical_train_and_test_give_auc_near_half_without_crash():
    train, _ = _frames()
    v = _validator().fit(train, train.copy())
    assert abs(v.auc_ - 0.5) < 0.1
    assert not v.drift_


def test_user_frames_are_not_modified():
    train, test = _frames(shift=0.5)
    train["cat"] = pd.Series(list("abc") * 100)
    test["cat"] = pd.Series(list("abd") * 100, dtype="category")
    train["when"] = pd.date_range("2020-01-01", periods=300, freq="h")
    test["when"] = pd.date_range("2020-03-01", periods=300, freq="h")
    before_train, before_test = train.copy(deep=True), test.copy(deep=True)
    with pytest.warns(LeakWarning):
        _validator().fit(train, test)
    pd.testing.assert_frame_equal(train, before_train)
    pd.testing.assert_frame_equal(test, before_test)


def test_mixed_types_are_handled_without_preprocessing():
    rng = np.random.default_rng(0)
    n = 400

    def side(offset):
        return pd.DataFrame(
            {
                "num": rng.normal(offset, 1, n),
                "text": rng.choice(
                    ["red", "green", "blue"], n, p=[0.5, 0.3, 0.2] if offset else None
                ),
                "flag": rng.integers(0, 2, n).astype(bool),
                "nullable": pd.array(rng.choice([1, 2, None], n), dtype="Int64"),
                "when": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), "D"),
                "gaps": np.where(rng.uniform(size=n) < 0.3, np.nan, rng.normal(size=n)),
            }
        )

    v = _validator().fit(side(0.0), side(0.8))
    kinds = v.feature_report_["kind"].to_dict()
    assert kinds == {
        "num": "numeric",
        "text": "categorical",
        "flag": "boolean",
        "nullable": "numeric",
        "when": "datetime",
        "gaps": "numeric",
    } | {k: kinds[k] for k in kinds if k not in ("num", "text", "flag", "nullable", "when", "gaps")}
    assert v.drift_ and v.feature_report_.index[0] == "num"


def test_datetime_parts_are_summed_back_to_the_column():
    train, test = _frames(n=300)
    train["when"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(300), "D")
    test["when"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(300) + 300, "D")
    with pytest.warns(LeakWarning, match=re.escape("['when']")):
        v = _validator().fit(train, test)
    assert list(v.feature_names_in_) == ["x0", "x1", "x2", "x3", "when"]
    assert v.feature_report_.index[0] == "when"
    assert v.leak_features_ == ["when"]


def test_leak_column_is_named_in_warning_and_report():
    train, test = _frames(n=200)
    train["row_id"] = np.arange(200)
    test["row_id"] = np.arange(200, 400)
    with pytest.warns(LeakWarning, match=r"\['row_id'\] alone separate train from test"):
        v = _validator().fit(train, test)
    assert v.leak_features_ == ["row_id"]
    assert bool(v.feature_report_.loc["row_id", "leak"])


def test_columns_that_fill_separate_ranges_in_any_order_are_leak_like():
    """A band of test IDs in the middle of the training IDs, test months between training
    months: no single threshold separates them (single-column AUC about 0.6 and 0.5), but
    the sides never mix, and the screen names them."""
    rng = np.random.default_rng(0)
    ids = rng.permutation(np.arange(3_000))
    in_test = (ids >= 1_000) & (ids < 2_000)
    months = (rng.integers(4, 10, size=3_000), rng.choice([1, 2, 3, 10, 11, 12], size=3_000))
    month = np.where(in_test, *months)
    frame = pd.DataFrame({"x": rng.normal(size=3_000), "row_id": ids, "month": month})
    train, test = frame[~in_test], frame[in_test]
    from advval._stats import rank_test

    labels = np.r_[np.zeros(len(train), bool), np.ones(len(test), bool)]
    for column in ("row_id", "month"):
        auc = rank_test(labels, np.r_[train[column], test[column]].astype(float)).auc
        assert max(auc, 1 - auc) < 0.75
    with pytest.warns(LeakWarning, match=r"\['row_id', 'month'\] alone separate train"):
        v = _validator().fit(train, test)
    assert v.leak_features_ == ["row_id", "month"]


@pytest.mark.parametrize(("n_left", "n_right"), [(30, 30), (2_000, 40), (20_000, 20_000)])
def test_the_runs_separation_of_two_samples_of_one_distribution_is_near_zero(n_left, n_right):
    from advval.drift._univariate import runs_separation

    rng = np.random.default_rng(n_left)
    for draw in range(20):
        for sample in (rng.normal, lambda size: rng.integers(0, 3, size=size).astype(float)):
            separation = runs_separation(sample(size=n_left), sample(size=n_right), rng)
            assert separation < 0.5, (draw, separation)
    # separate ranges: once per boundary instead of 2 n1 n2 / (n1 + n2) times
    low, high = np.arange(n_left, dtype=float), np.arange(n_right, dtype=float) + n_left
    expected = 2.0 * n_left * n_right / (n_left + n_right)
    assert runs_separation(low, high, rng) == pytest.approx(1 - 1 / expected)
    # ties across the sides are mixing, whatever order the values came in
    assert runs_separation(np.zeros(n_left), np.zeros(n_right), rng) < 0.5


def test_same_seed_same_result_different_seed_different_folds():
    train, test = _frames(shift=0.3)
    a = _validator().fit(train, test)
    b = _validator().fit(train, test)
    c = AdversarialValidator(random_state=1, n_jobs=1).fit(train, test)
    np.testing.assert_array_equal(a.oof_proba_, b.oof_proba_)
    assert a.p_value_ == b.p_value_
    assert not np.array_equal(a.oof_proba_, c.oof_proba_)


def test_max_rows_subsamples_both_sides_in_proportion():
    train, test = _frames(n=600, shift=1.0)
    test = test.iloc[:300]
    v = _validator(max_rows=300).fit(train, test)
    assert v.n_rows_used_ == 300
    assert np.isnan(v.oof_proba_).sum() == 900 - 300
    assert np.isfinite(v.oof_proba_[:600]).sum() == 200
    assert v.drift_


def test_other_sklearn_estimators_work():
    train, test = _frames(shift=1.0)
    forest = _validator(estimator=RandomForestClassifier(n_estimators=30, random_state=0)).fit(
        train, test
    )
    assert forest.importance_method_ == "tree_shap" and forest.drift_
    assert forest.feature_report_.index[0] == "x0"
    linear = _validator(estimator=LogisticRegression()).fit(train, test)
    assert linear.importance_method_ == "permutation" and linear.drift_
    assert linear.feature_report_.index[0] == "x0"


def test_clone_and_params_round_trip():
    v = AdversarialValidator(n_splits=4, alpha=0.01, random_state=3)
    cloned = clone(v)
    assert cloned.get_params() == v.get_params()
    assert repr(cloned) == "AdversarialValidator(alpha=0.01, n_splits=4, random_state=3)"


def test_test_likeness_rejects_other_columns():
    train, test = _frames()
    v = _validator().fit(train, test)
    with pytest.raises(ValueError, match=r"missing in X: \['x3'\]"):
        v.test_likeness(train.drop(columns="x3"))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"n_splits": 2},
            "The 'n_splits' parameter of AdversarialValidator must be an int in the "
            "range [3, inf). Got 2 instead.",
        ),
        (
            {"alpha": 1.5},
            "The 'alpha' parameter of AdversarialValidator must be a float in the "
            "range (0, 1). Got 1.5 instead.",
        ),
        (
            {"correction": "sidak"},
            "The 'correction' parameter of AdversarialValidator must be one "
            "of 'holm', 'fdr_bh', 'bonferroni', 'none'. Got 'sidak' instead.",
        ),
        (
            {"max_rows": 3},
            "The 'max_rows' parameter of AdversarialValidator must be 'auto', None or an int "
            "in the range [10, inf). Got 3 instead.",
        ),
        (
            {"n_jobs": 0},
            "The 'n_jobs' parameter of AdversarialValidator must be None, -1 (every core) or "
            "a positive int. Got 0 instead.",
        ),
        (
            {"random_state": -3},
            "The 'random_state' parameter of AdversarialValidator must be None, an int in the "
            "range [0, 4294967295] or a numpy.random.RandomState. Got -3 instead.",
        ),
        (
            {"min_effect": -0.1},
            "The 'min_effect' parameter of AdversarialValidator must be a "
            "float in the range [0, 0.5). Got -0.1 instead.",
        ),
    ],
)
def test_bad_parameters(params, message):
    train, test = _frames(n=20)
    with pytest.raises(ValueError, match=re.escape(message)):
        AdversarialValidator(**params).fit(train, test)


def test_estimator_must_be_a_classifier():
    train, test = _frames(n=20)
    with pytest.raises(
        TypeError, match="The 'estimator' parameter of AdversarialValidator must be a classifier"
    ):
        AdversarialValidator(estimator="lightgbm").fit(train, test)


# --- bad input: each has its exact message ----------------------------------------------


def _fit(train, test):
    return AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)


def test_empty_frame():
    train, _ = _frames()
    with pytest.raises(ValueError, match=re.escape("X_test is empty (0 rows).")):
        _fit(train, train.iloc[:0])


def test_no_columns():
    train, _ = _frames()
    with pytest.raises(ValueError, match=re.escape("X_train has no columns.")):
        _fit(train[[]], train)


def test_no_common_columns():
    train, _ = _frames()
    other = train.rename(columns=lambda c: c.upper())
    with pytest.raises(ValueError, match="X_train and X_test have no column in common"):
        _fit(train, other)


def test_column_sets_differ_names_both_sides():
    train, test = _frames()
    message = (
        "X_test has 4 columns but X_train has 4: missing in X_test: ['x3']; "
        "missing in X_train: ['extra']"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        _fit(train, test.rename(columns={"x3": "extra"}))


def test_numeric_in_train_text_in_test():
    train, test = _frames()
    test = test.assign(x1=test["x1"].map(lambda v: f"{v:.2f}"))
    message = "Column 'x1' is numeric in X_train but text/categorical in X_test"
    with pytest.raises(TypeError, match=re.escape(message)):
        _fit(train, test)


def test_duplicate_column_names():
    train, test = _frames()
    doubled = pd.concat([train, train[["x1"]]], axis=1)
    with pytest.raises(TypeError, match=re.escape("X_train has duplicate column names: ['x1'].")):
        _fit(doubled, test)


def test_non_string_column_names():
    train, test = _frames()
    train.columns = [0, 1, 2, 3]
    with pytest.raises(
        TypeError,
        match=re.escape(
            "Column names must be strings; X_train has non-string column names [0, 1, 2, 3]."
        ),
    ):
        _fit(train, test)


def test_arrays_get_generated_names():
    train, test = _frames(shift=1.0)
    v = _fit(train.to_numpy(), test.to_numpy())
    assert list(v.feature_names_in_) == ["x0", "x1", "x2", "x3"] and v.drift_


def test_all_nan_column_is_dropped_with_a_warning():
    train, test = _frames()
    train, test = train.assign(empty=np.nan), test.assign(empty=np.nan)
    with pytest.warns(
        DataWarning,
        match=re.escape(
            "Dropped 1 column(s) whose values are all missing in both X_train and X_test: "
            "['empty']."
        ),
    ):
        v = _fit(train, test)
    assert v.dropped_features_ == ["empty"]
    assert "empty" not in v.feature_report_.index
    assert v.feature_importances_[list(v.feature_names_in_).index("empty")] == 0.0


def test_infinite_values():
    train, test = _frames()
    test.loc[5, "x2"] = np.inf
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Column 'x2' of X_test contains infinite values; replace them with NaN or "
            "finite numbers."
        ),
    ):
        _fit(train, test)


def test_one_row():
    train, test = _frames()
    with pytest.raises(
        ValueError,
        match=re.escape(
            "X_test has 1 sample(s) but adversarial validation with n_splits=5 needs at least 5 "
            "rows on each side."
        ),
    ):
        _fit(train, test.iloc[:1])


def test_series_is_rejected():
    train, test = _frames()
    with pytest.raises(
        TypeError, match="X_train must be a 2-D DataFrame or array; got a pandas Series"
    ):
        _fit(train["x0"], test)


def test_no_warnings_on_clean_data():
    train, test = _frames()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _fit(train, test)


def test_more_threads_than_cores_run_on_every_core():
    """n_jobs=2048 used to hang a fit of 80 rows (OpenMP threads waiting on each other)."""
    train, test = _frames(n=80)
    validator = AdversarialValidator(n_jobs=2048, random_state=0).fit(train, test)
    assert validator.estimators_[0].booster_.params["n_jobs"] <= (os.cpu_count() or 1)


def test_column_kinds_say_what_a_column_is():
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"zip": rng.integers(100, 110, 300), "x": rng.normal(size=300)})
    test = pd.DataFrame({"zip": rng.integers(100, 110, 300), "x": rng.normal(size=300)})
    validator = AdversarialValidator(column_kinds={"zip": "categorical"}, random_state=0)
    validator.fit(train, test)
    assert validator.feature_report_.loc["zip", "kind"] == "categorical"
    assert validator.encoder_.kinds == {"zip": "categorical", "x": "numeric"}
    with pytest.raises(ValueError, match=re.escape("names column(s) ['zap'] that the data do")):
        AdversarialValidator(column_kinds={"zap": "text"}).fit(train, test)
