"""DriftFeatureDropper: known truth, the path, target signal, pipelines, sklearn checks."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeRegressor

import advval
from advval import AdversarialValidator, DriftFeatureDropper
from advval.datasets import make_shift
from advval.exceptions import LeakWarning

FAST = AdversarialValidator(n_jobs=1)
PATH_COLUMNS = ["step", "dropped", "n_features", "auc", "auc_low", "auc_high", "p_value", "drift"]


@pytest.fixture(scope="module")
def shift():
    """x0 and x1 shifted by one standard deviation in X_test; x2..x7 identical."""
    return make_shift(
        "mean", n_train=800, n_test=800, n_features=8, n_shifted=2, delta=1.0, random_state=0
    )


@pytest.fixture(scope="module")
def small():
    """A quick pair for pipeline tests: x0 shifted by 1.5 standard deviations."""
    return make_shift(
        "mean", n_train=300, n_test=300, n_features=4, n_shifted=1, delta=1.5, random_state=1
    )


@pytest.fixture(scope="module")
def fitted(shift):
    return DriftFeatureDropper(X_test=shift.X_test, validator=FAST, random_state=0).fit(
        shift.X_train
    )


def dropper(X_test, **params):
    return DriftFeatureDropper(X_test=X_test, validator=FAST, random_state=0, **params)


# --------------------------------------------------------------------------- known truth


def test_drops_exactly_the_shifted_columns(fitted, shift):
    assert sorted(fitted.dropped_features_) == sorted(shift.shifted) == ["x0", "x1"]
    assert fitted.stop_reason_ == "no_drift"
    assert fitted.get_feature_names_out().tolist() == [f"x{j}" for j in range(2, 8)]
    np.testing.assert_array_equal(fitted.get_support(), [False, False] + [True] * 6)
    np.testing.assert_array_equal(fitted.get_support(indices=True), np.arange(2, 8))
    # validator_ is the check of every column; the path's last step is the drift-free one
    assert fitted.validator_.drift_
    assert fitted.validator_.feature_names_in_.tolist() == [f"x{j}" for j in range(8)]
    assert not fitted.path_["drift"].iloc[-1]


def test_path_records_each_step(fitted):
    path = fitted.path_
    assert path.columns.tolist() == PATH_COLUMNS
    assert path["step"].tolist() == [0, 1, 2]
    assert [c for step in path["dropped"] for c in step] == fitted.dropped_features_
    assert path["dropped"].tolist()[:2] == [(c,) for c in fitted.dropped_features_]
    assert path["dropped"].iloc[-1] == ()
    assert path["n_features"].tolist() == [8, 7, 6]
    assert path["drift"].tolist() == [True, True, False]
    assert (np.diff(path["auc"]) < 0).all()
    assert path["auc"].iloc[0] > 0.75
    assert abs(path["auc"].iloc[-1] - 0.5) < 0.05
    assert (path["auc_low"] < path["auc"]).all() and (path["auc"] < path["auc_high"]).all()
    assert path["p_value"].iloc[-1] > 0.05 > path["p_value"].iloc[0]


def test_keep_protects_a_column_and_the_path_shows_drift_remains(shift):
    model = dropper(shift.X_test, keep=["x0"]).fit(shift.X_train)
    assert model.dropped_features_ == ["x1"]
    assert "x0" in model.get_feature_names_out()
    assert bool(model.path_["drift"].iloc[-1])
    # the drift left is x0's: the healthy columns are not sacrificed for it
    assert model.stop_reason_ == "protected_drift"
    assert model.get_support().sum() == 7


def test_keep_accepts_a_single_name(shift):
    model = dropper(shift.X_test, keep="x1", max_drop=1).fit(shift.X_train)
    assert model.dropped_features_ == ["x0"]


def test_max_drop_stops_after_one(shift, fitted):
    model = dropper(shift.X_test, max_drop=1).fit(shift.X_train)
    assert model.dropped_features_ == fitted.dropped_features_[:1]
    assert model.stop_reason_ == "max_drop"
    assert len(model.path_) == 2 and bool(model.path_["drift"].iloc[-1])


def test_by_default_at_most_five_columns_go_and_none_means_until_no_drift():
    """Seven shifted columns: the default stops after five (bounded cost on a wide table,
    the command line's --max-drop default too); max_drop=None goes on to no drift."""
    from advval.cli._drift import drift

    data = make_shift(
        "mean", n_train=600, n_test=600, n_features=9, n_shifted=7, delta=1.0, random_state=2
    )
    capped = dropper(data.X_test).fit(data.X_train)
    assert len(capped.dropped_features_) == 5 and capped.stop_reason_ == "max_drop"
    assert {param.name: param.default for param in drift.params}["max_drop"] == 5
    unbounded = dropper(data.X_test, max_drop=None).fit(data.X_train)
    assert unbounded.stop_reason_ == "no_drift"
    assert set(unbounded.dropped_features_) >= {f"x{i}" for i in range(7)}


def test_max_drop_zero_only_measures(small):
    model = dropper(small.X_test, max_drop=0).fit(small.X_train)
    assert model.dropped_features_ == []
    assert model.get_support().all()
    assert len(model.path_) == 1 and bool(model.path_["drift"].iloc[0])


def test_target_auc_stops_early(shift, fitted):
    model = dropper(shift.X_test, target_auc=0.8).fit(shift.X_train)
    assert model.stop_reason_ == "target_auc"
    assert model.dropped_features_ == fitted.dropped_features_[:1]
    assert model.path_["auc"].iloc[-1] <= 0.8 < model.path_["auc"].iloc[0]


def test_stops_when_one_column_is_left():
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    test = pd.DataFrame({"a": rng.normal(2, 1, size=300), "b": rng.normal(2, 1, size=300)})
    model = dropper(test).fit(train)
    assert len(model.dropped_features_) == 1
    assert model.stop_reason_ == "exhausted"
    assert bool(model.path_["drift"].iloc[-1])


def test_deterministic_under_a_seed(shift, fitted):
    again = DriftFeatureDropper(X_test=shift.X_test, validator=FAST, random_state=0)
    pd.testing.assert_frame_equal(again.fit(shift.X_train).path_, fitted.path_)


def test_default_validator(small):
    model = DriftFeatureDropper(X_test=small.X_test, random_state=0).fit(small.X_train)
    assert model.dropped_features_ == ["x0"]
    assert model.validator_.random_state is not None


# ------------------------------------------------------------------------- target signal


def test_target_signal_regression(shift):
    rng = np.random.default_rng(1)
    y = 3 * shift.X_train["x0"] + 0.1 * rng.normal(size=len(shift.X_train))
    model = dropper(shift.X_test, max_drop=1).fit(shift.X_train, y)
    signal = model.target_signal_
    assert signal.index.tolist() == shift.X_train.columns.tolist()
    assert signal.sum() == pytest.approx(1.0)
    assert signal["x0"] > 0.8 and signal.idxmax() == "x0"
    assert model.path_.columns.tolist() == [*PATH_COLUMNS, "target_signal"]
    first = model.path_.iloc[0]
    assert first["target_signal"] == pytest.approx(signal[list(first["dropped"])].sum())
    assert np.isnan(model.path_["target_signal"].iloc[-1])


@pytest.mark.parametrize("n_classes", [2, 3])
def test_target_signal_class_labels(shift, n_classes):
    x0 = shift.X_train["x0"]
    labels = np.array(["low", "mid", "high"])[:n_classes]
    y = pd.Series(labels[np.digitize(x0, np.quantile(x0, np.linspace(0, 1, n_classes + 1)[1:-1]))])
    model = dropper(shift.X_test, max_drop=0).fit(shift.X_train, y)
    assert model.target_signal_.sum() == pytest.approx(1.0)
    assert model.target_signal_["x0"] > 0.7


@pytest.mark.parametrize("estimator", [LinearRegression(), DecisionTreeRegressor(max_depth=3)])
def test_signal_estimator_override(small, estimator):
    y = 2 * small.X_train["x1"].to_numpy()
    model = dropper(small.X_test, max_drop=0, signal_estimator=estimator).fit(small.X_train, y)
    assert model.target_signal_.idxmax() == "x1"
    assert model.target_signal_.sum() == pytest.approx(1.0)


def test_no_y_no_target_signal(fitted):
    assert fitted.target_signal_ is None
    assert "target_signal" not in fitted.path_


# ------------------------------------------------------------------- pipelines and frames


def test_pipeline_fit_predict_clone_cross_val_and_grid_search(small):
    y = (small.X_train["x0"] + small.X_train["x1"] > 0).astype(int)
    pipe = Pipeline([("drop", dropper(small.X_test)), ("model", LogisticRegression())])
    pipe.fit(small.X_train, y)
    assert pipe.named_steps["drop"].dropped_features_ == ["x0"]
    assert pipe.named_steps["model"].n_features_in_ == 3
    assert pipe.predict(small.X_test).shape == (len(small.X_test),)
    assert clone(pipe).get_params()["drop__X_test"] is not None

    # in CV, X is a subset of the training rows; X_test stays the whole test set
    scores = cross_val_score(pipe, small.X_train, y, cv=3)
    assert scores.shape == (3,) and (scores > 0.5).all()

    search = GridSearchCV(pipe, {"drop__max_drop": [0, 1]}, cv=3).fit(small.X_train, y)
    assert search.best_params_["drop__max_drop"] in (0, 1)
    # keeping the drifting x0 helps predict y (which uses x0): the search sees it
    assert search.cv_results_["mean_test_score"][0] > search.cv_results_["mean_test_score"][1]


def test_set_output_pandas_keeps_names_and_dtypes():
    rng = np.random.default_rng(0)
    n = 300

    def frame(shift):
        return pd.DataFrame(
            {
                "num": rng.normal(shift, 1, size=n),
                "city": pd.Categorical(rng.choice(["a", "b", "c"], size=n)),
                "flag": rng.random(n) < 0.5,
                "text": rng.choice(["u", "v"], size=n).astype(object),
            },
            index=pd.RangeIndex(100, 100 + n),
        )

    train, test = frame(0.0), frame(2.0)
    model = dropper(test).set_output(transform="pandas").fit(train)
    assert model.dropped_features_ == ["num"]
    out = model.transform(train)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == ["city", "flag", "text"]
    pd.testing.assert_index_equal(out.index, train.index)
    pd.testing.assert_series_equal(out.dtypes, train.dtypes.iloc[1:])
    default = clone(model).set_output(transform="default").fit(train).transform(train)
    assert isinstance(default, np.ndarray) and default.shape == (n, 3)


def test_nothing_the_user_passed_is_modified(small):
    X, X_test = small.X_train, small.X_test
    X_before, X_test_before = X.copy(), X_test.copy()
    y = pd.Series((X["x1"] > 0).astype(int))
    y_before = y.copy()
    keep = ["x3"]
    model = dropper(X_test, keep=keep).fit(X, y)
    model.transform(X)
    pd.testing.assert_frame_equal(X, X_before)
    pd.testing.assert_frame_equal(X_test, X_test_before)
    pd.testing.assert_series_equal(y, y_before)
    assert keep == ["x3"]
    assert model.get_params()["X_test"] is X_test and model.get_params()["keep"] is keep


def test_arrays_match_columns_by_position(small):
    X, X_test = small.X_train.to_numpy(), small.X_test.to_numpy()
    model = dropper(X_test).fit(X)
    assert model.dropped_features_ == ["x0"]
    assert model.get_feature_names_out().tolist() == ["x1", "x2", "x3"]
    assert model.transform(X).shape == (len(X), 3)
    # a frame fitted against an array X_test: X's names, X_test's order
    named = small.X_train.set_axis(["a", "b", "c", "d"], axis=1)
    assert dropper(X_test).fit(named).dropped_features_ == ["a"]


def test_object_arrays_of_numbers_are_numeric(small):
    X = small.X_train.to_numpy().astype(object)
    model = dropper(small.X_test.to_numpy(), max_drop=0).fit(X)
    assert set(model.validator_.feature_report_["kind"]) == {"numeric"}


def test_frames_match_columns_by_name(small):
    reordered = small.X_test[["x3", "x2", "x1", "x0"]]
    model = dropper(reordered).fit(small.X_train)
    assert model.dropped_features_ == ["x0"]


def test_leak_warning_once_and_leak_dropped_first():
    leak = make_shift("leak", n_train=300, n_test=300, n_features=3, random_state=0)
    with pytest.warns(LeakWarning, match=r"\['row_id'\]") as record:
        model = dropper(leak.X_test).fit(leak.X_train)
    assert len([w for w in record if issubclass(w.category, LeakWarning)]) == 1
    assert model.dropped_features_ == ["row_id"]
    assert model.stop_reason_ == "no_drift"


def test_repr_abbreviates_x_test(small):
    text = " ".join(repr(dropper(small.X_test, max_drop=1)).split())
    assert text == (
        "DriftFeatureDropper(X_test=<DataFrame of shape (300, 4)>, max_drop=1, random_state=0, "
        "validator=AdversarialValidator(n_jobs=1))"
    )
    assert repr(DriftFeatureDropper()) == "DriftFeatureDropper()"


def test_exported():
    assert advval.DriftFeatureDropper is DriftFeatureDropper
    assert "DriftFeatureDropper" in advval.__all__
    assert "DriftFeatureDropper" in advval.drift.__all__


# ----------------------------------------------------------------------------- errors


def test_x_test_required(small):
    with pytest.raises(ValueError, match=r"DriftFeatureDropper needs the test data: pass X_test"):
        DriftFeatureDropper().fit(small.X_train)


def test_x_test_with_other_columns(small):
    with pytest.raises(
        ValueError,
        match=re.escape("X_test has 3 columns but X has 4: missing in X_test: ['x3']."),
    ):
        dropper(small.X_test.drop(columns="x3")).fit(small.X_train)
    renamed = small.X_test.rename(columns={"x0": "z"})
    with pytest.raises(
        ValueError, match=re.escape("missing in X_test: ['x0']; missing in X: ['z']")
    ):
        dropper(renamed).fit(small.X_train)


def test_array_x_test_with_other_width(small):
    with pytest.raises(
        ValueError, match=r"X_test has 3 columns but X has 4\. When X or X_test is an array"
    ):
        dropper(small.X_test.to_numpy()[:, :3]).fit(small.X_train)


def test_transform_with_other_columns(small):
    model = dropper(small.X_test, max_drop=0).fit(small.X_train)
    renamed = small.X_train.rename(columns={"x2": "zz"})
    with pytest.raises(ValueError, match=r"Feature names unseen at fit time:\n- zz\n.*\n- x2"):
        model.transform(renamed)
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        model.transform(small.X_train[["x1", "x0", "x2", "x3"]])
    on_arrays = dropper(small.X_test.to_numpy(), max_drop=0).fit(small.X_train.to_numpy())
    with pytest.raises(
        ValueError, match=r"X has 3 features, but DriftFeatureDropper is expecting 4"
    ):
        on_arrays.transform(small.X_train.to_numpy()[:, :3])


def test_transform_before_fit(small):
    with pytest.raises(NotFittedError, match="DriftFeatureDropper"):
        dropper(small.X_test).transform(small.X_train)


def test_keep_unknown_column(small):
    with pytest.raises(
        ValueError,
        match=re.escape(
            "The 'keep' parameter of DriftFeatureDropper names column(s) that are not in X: "
            "['nope']. X has columns ['x0', 'x1', 'x2', 'x3']."
        ),
    ):
        dropper(small.X_test, keep=["x0", "nope"]).fit(small.X_train)


@pytest.mark.parametrize("value", [-1, 1.5, "2"])
def test_max_drop_invalid(small, value):
    with pytest.raises(
        ValueError,
        match=re.escape(
            "The 'max_drop' parameter of DriftFeatureDropper must be an int in the range "
            f"[0, inf) or None. Got {value!r} instead."
        ),
    ):
        dropper(small.X_test, max_drop=value).fit(small.X_train)


@pytest.mark.parametrize("value", [0.5, 0.3, 1.01])
def test_target_auc_invalid(small, value):
    with pytest.raises(
        ValueError,
        match=re.escape(
            "The 'target_auc' parameter of DriftFeatureDropper must be a float in the range "
            f"(0.5, 1] or None. Got {value!r} instead."
        ),
    ):
        dropper(small.X_test, target_auc=value).fit(small.X_train)


def test_validator_and_signal_estimator_types(small):
    with pytest.raises(
        TypeError,
        match="The 'validator' parameter of DriftFeatureDropper must be an AdversarialValidator "
        "or None. Got LogisticRegression instead.",
    ):
        DriftFeatureDropper(X_test=small.X_test, validator=LogisticRegression()).fit(small.X_train)
    with pytest.raises(
        TypeError, match="The 'signal_estimator' parameter of DriftFeatureDropper must be"
    ):
        dropper(small.X_test, signal_estimator="lgbm").fit(small.X_train, np.zeros(300))


def test_y_of_other_length(small):
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        dropper(small.X_test).fit(small.X_train, np.zeros(10))


def test_validator_data_errors_name_x(small):
    with pytest.raises(ValueError, match=r"^X has 3 sample\(s\) but adversarial validation"):
        dropper(small.X_test).fit(small.X_train.iloc[:3])
    text = small.X_test.assign(x1=small.X_test["x1"].astype(str))
    with pytest.raises(
        TypeError, match="Column 'x1' is numeric in X but text/categorical in X_test"
    ):
        dropper(text).fit(small.X_train)
