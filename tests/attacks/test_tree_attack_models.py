"""TreeAttack reads every supported tree model exactly, and refuses the others clearly."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier

from advval.attacks import TreeAttack
from advval.attacks.trees._ensemble import read_ensemble

RTOL = 1e-9





def _data(n_classes: int, *, nan: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    X = rng.randn(300, 5)
    if n_classes == 2:
        y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    else:
        y = np.digitize(X[:, 0] + 0.5 * X[:, 3], [-0.5, 0.5])
    test = rng.randn(200, 5)
    test[:10] = 0.0  # exact zeros and values on thresholds are the delicate cases
    test[10:20] = X[:10]
    if nan:
        X[rng.rand(*X.shape) < 0.1] = np.nan
        test[rng.rand(*test.shape) < 0.1] = np.nan
    return X, y, test


def _close(actual: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL)


SKLEARN = [
    (DecisionTreeClassifier(random_state=0), True),
    (ExtraTreeClassifier(random_state=0), True),
    (RandomForestClassifier(n_estimators=8, random_state=0), True),
    (ExtraTreesClassifier(n_estimators=8, random_state=0), True),
    (GradientBoostingClassifier(n_estimators=8, random_state=0), False),
    (GradientBoostingClassifier(n_estimators=5, init="zero", random_state=0), False),
    (HistGradientBoostingClassifier(max_iter=8, random_state=0), True),
]


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    ("model", "nan"), SKLEARN, ids=[f"{type(m).__name__}-{i}" for i, (m, _) in enumerate(SKLEARN)]
)
def test_sklearn_margins_are_exact(model, nan, n_classes):
    X, y, test = _data(n_classes, nan=nan)
    model.fit(X, y)
    ensemble = read_ensemble(model)
    _close(ensemble.predict_proba(test), model.predict_proba(test))
    if hasattr(model, "decision_function"):
        raw = ensemble.raw(test)
        _close(raw[:, 0] if raw.shape[1] == 1 else raw, model.decision_function(test))
    predicted = ensemble.scores(ensemble.raw(test)).argmax(1)
    np.testing.assert_array_equal(model.classes_[predicted], model.predict(test))


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("kind", ["classifier", "booster"])
def test_lightgbm_margins_are_exact(kind, n_classes):
    X, y, test = _data(n_classes, nan=True)
    if kind == "classifier":
        model = lgb.LGBMClassifier(n_estimators=10, n_jobs=1, verbose=-1).fit(X, y)
        booster = model.booster_
    else:
        params = {"objective": "binary" if n_classes == 2 else "multiclass", "verbose": -1,
                  "num_threads": 1}
        if n_classes > 2:
            params["num_class"] = n_classes
        model = booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=10)
    ensemble = read_ensemble(model)
    raw = ensemble.raw(test)
    _close(raw[:, 0] if raw.shape[1] == 1 else raw, booster.predict(test, raw_score=True))
    proba = booster.predict(test)
    _close(ensemble.predict_proba(test)[:, 1] if n_classes == 2 else ensemble.predict_proba(test),
           proba)


@pytest.mark.parametrize(
    "params",
    [
        {"objective": "binary", "zero_as_missing": True},
        {"objective": "binary", "use_missing": False},
        {"objective": "cross_entropy"},
        {"objective": "multiclassova", "num_class": 3},
        {"objective": "binary", "boosting": "rf", "bagging_freq": 1, "bagging_fraction": 0.7},
    ],
)
def test_lightgbm_variants_are_exact(params):
    rng = np.random.RandomState(1)
    X = rng.randn(400, 4)
    X[rng.rand(400) < 0.3, 1] = 0.0
    X[:, 2] = rng.randint(0, 7, 400)  # categorical
    X[rng.rand(400) < 0.1, 0] = np.nan
    n_class = params.get("num_class", 2)
    y = (X[:, 0] > 0).astype(int) + (X[:, 2] % 3 == 0) if n_class == 3 else (
        (np.nan_to_num(X[:, 0]) + (X[:, 2] % 2) + X[:, 1] > 0.5).astype(int)
    )
    booster = lgb.train(
        {**params, "verbose": -1, "num_threads": 1, "min_data_per_group": 5, "cat_smooth": 1},
        lgb.Dataset(X, y, categorical_feature=[2]),
        num_boost_round=15,
    )
    test = rng.randn(300, 4)
    test[:, 2] = rng.randint(-2, 10, 300) + rng.rand(300) * 0.9  # negatives, unseen, fractions
    test[rng.rand(300) < 0.1, 2] = np.nan
    test[:20, 1] = 0.0
    test[20:30, 1] = 1e-36  # inside LightGBM's zero band
    test[rng.rand(300) < 0.1, 0] = np.nan
    ensemble = read_ensemble(booster)
    raw = ensemble.raw(test)
    if params.get("boosting") == "rf":  # LightGBM's raw score skips the averaging
        raw = raw * booster.current_iteration()
    _close(raw[:, 0] if raw.shape[1] == 1 else raw, booster.predict(test, raw_score=True))
    proba = booster.predict(test)
    expected = ensemble.predict_proba(test)
    _close(expected[:, 1] if proba.ndim == 1 else expected, proba)


def test_lightgbm_pandas_categorical_and_early_stopping():
    rng = np.random.RandomState(2)
    city = pd.Categorical(rng.choice(list("xyz"), 300))
    frame = pd.DataFrame({"a": rng.randn(300), "city": city})
    y = ((frame["a"] > 0) ^ (frame["city"] == "y") ^ (rng.rand(300) < 0.3)).astype(int)
    codes = frame.assign(city=frame["city"].cat.codes.astype(float)).to_numpy()
    model = lgb.LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1, min_child_samples=5)
    model.fit(frame, y)
    _close(read_ensemble(model).predict_proba(codes), model.predict_proba(frame))
    booster = lgb.train(
        {"objective": "binary", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5},
        lgb.Dataset(frame[:200], y[:200]), num_boost_round=50,
        valid_sets=[lgb.Dataset(frame[200:], y[200:])],
        callbacks=[lgb.early_stopping(3, verbose=False)],
    )
    ensemble = read_ensemble(booster)
    assert 0 < booster.best_iteration < 50
    assert ensemble.n_trees == booster.best_iteration
    _close(ensemble.predict_proba(codes)[:, 1], booster.predict(frame))


def test_identity_pipeline_is_read_through():
    X, y, test = _data(2, nan=False)
    pipe = Pipeline([("keep", "passthrough"), ("same", FunctionTransformer()),
                     ("forest", RandomForestClassifier(n_estimators=3, random_state=0))]).fit(X, y)
    _close(read_ensemble(pipe).predict_proba(test), pipe.predict_proba(test))


# -- models TreeAttack refuses -------------------------------------------------------------


def _fit(model):
    X, y = load_iris(return_X_y=True)
    return model.fit(X, y)


def test_pipeline_with_preprocessing_is_refused():
    pipe = _fit(Pipeline([("scale", StandardScaler()), ("tree", DecisionTreeClassifier())]))
    with pytest.raises(TypeError, match=r"needs the tree model on the raw features.*'scale'.*"
                       r"black-box attack"):
        TreeAttack(pipe).generate(load_iris().data[:3])


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (LogisticRegression(max_iter=500), "cannot read the trees of a LogisticRegression"),
        (lgb.LGBMRegressor(n_estimators=2, verbose=-1), "not a classifier"),
        (GradientBoostingClassifier(n_estimators=2, init=LogisticRegression(max_iter=500)),
         "init estimator LogisticRegression is not constant"),
    ],
    ids=["linear", "lgbm-regressor", "gb-custom-init"],
)
def test_unsupported_models_are_refused(model, message):
    with pytest.raises(TypeError, match=message):
        read_ensemble(_fit(model))


def test_hist_gradient_boosting_with_categories_is_refused():
    X, y = load_iris(return_X_y=True)
    X = np.column_stack([X, np.arange(len(X)) % 3])
    model = HistGradientBoostingClassifier(max_iter=3, categorical_features=[4]).fit(X, y)
    with pytest.raises(TypeError, match="categorical features are re-encoded"):
        read_ensemble(model)


def test_linear_trees_and_regression_boosters_are_refused():
    X, y = load_iris(return_X_y=True)
    linear = lgb.train({"objective": "multiclass", "num_class": 3, "linear_tree": True,
                        "verbose": -1, "num_threads": 1}, lgb.Dataset(X, y), 2)
    with pytest.raises(TypeError, match="linear trees"):
        read_ensemble(linear)
    regression = lgb.train({"objective": "regression", "verbose": -1, "num_threads": 1},
                           lgb.Dataset(X, y.astype(float)), 2)
    with pytest.raises(TypeError, match="objective 'regression' is not a classification"):
        read_ensemble(regression)


def test_unfitted_models_are_refused():
    with pytest.raises(ValueError, match="not fitted"):
        read_ensemble(lgb.LGBMClassifier())
    with pytest.raises(ValueError, match="not fitted"):
        read_ensemble(RandomForestClassifier())
