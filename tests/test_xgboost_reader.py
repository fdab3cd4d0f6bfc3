"""XGBoost models read by structure: every leaf and margin checked against XGBoost itself."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from advval.attacks import TreeAttack
from advval.attacks.trees._ensemble import read_ensemble
from advval.attacks.trees._xgboost import ModelError, parse_document

xgb = pytest.importorskip("xgboost")

#: XGBoost sums its margins in float32; these small models stay within 1e-6 of the exact sum
ATOL = 1e-6


def _data(n_classes: int, *, seed: int = 0, nan: bool = True) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    X = rng.randn(400, 5)
    if n_classes == 2:
        y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    else:
        y = np.digitize(X[:, 0] + 0.5 * X[:, 3], [-0.5, 0.5])
    if nan:
        X[rng.rand(*X.shape) < 0.08] = np.nan
    return X, y


def _boundary_rows(model_rows: np.ndarray, thresholds: list[np.ndarray], seed: int) -> np.ndarray:
    """Rows with one feature at, just below and just above every threshold (float32 and
    float64 neighbours), plus NaN in some cells: the cases a wrong split rule gets wrong."""
    rng = np.random.RandomState(seed)
    rows = []
    for j, cuts in enumerate(thresholds):
        for cut in cuts:
            c32 = np.float32(cut)
            for value in (
                np.nextafter(c32, np.float32(-np.inf)), c32, np.nextafter(c32, np.float32(np.inf)),
                float(c32) - 1e-12, float(c32) + 1e-12, float(cut),
            ):
                row = model_rows[rng.randint(len(model_rows))].copy()
                row[j] = value
                rows.append(row)
    out = np.array(rows)
    out[rng.rand(*out.shape) < 0.05] = np.nan
    return np.vstack([out, model_rows])


def _xgb_thresholds(booster) -> list[np.ndarray]:
    """The split conditions XGBoost stores, per feature (read from its own JSON)."""
    doc = json.loads(bytes(booster.save_raw("json")))
    n = int(doc["learner"]["learner_model_param"]["num_feature"])
    cuts: list[list[float]] = [[] for _ in range(n)]
    for tree in doc["learner"]["gradient_booster"].get("gbtree", doc["learner"][
            "gradient_booster"])["model"]["trees"]:
        for node, left in enumerate(tree["left_children"]):
            if left >= 0 and tree["split_type"][node] == 0:
                cuts[tree["split_indices"][node]].append(tree["split_conditions"][node])
    return [np.unique(c) for c in cuts]


def _check_exact(model, X: np.ndarray, dmatrix=None, *, seed: int = 0) -> np.ndarray:
    """Leaves identical to XGBoost's, margins within ATOL of predict(output_margin=True)."""
    booster = model.get_booster() if hasattr(model, "get_booster") else model
    rows = _boundary_rows(X, _xgb_thresholds(booster), seed)
    make = dmatrix or (lambda A: xgb.DMatrix(A))
    ens = read_ensemble(model)
    leaves = booster.predict(make(rows), pred_leaf=True).reshape(len(rows), -1).astype(np.int64)
    np.testing.assert_array_equal(ens.apply(rows) - ens.roots, leaves)
    expected = booster.predict(make(rows), output_margin=True).reshape(len(rows), -1)
    np.testing.assert_allclose(ens.raw(rows), expected, rtol=0, atol=ATOL)
    return rows


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("nan", [False, True])
def test_margins_and_leaves_match_xgboost_on_random_and_boundary_rows(n_classes, nan):
    X, y = _data(n_classes, nan=nan)
    model = xgb.XGBClassifier(n_estimators=12, max_depth=4, n_jobs=1, random_state=0).fit(X, y)
    rows = _check_exact(model, X)
    ens = read_ensemble(model)
    assert ens.n_classes == n_classes and ens.float32
    np.testing.assert_allclose(ens.predict_proba(rows), model.predict_proba(rows), atol=1e-6)
    # the base score is the model's intercept: binary models store a probability
    doc = json.loads(bytes(model.get_booster().save_raw("json")))
    base = doc["learner"]["learner_model_param"]["base_score"].strip("[]").split(",")
    if n_classes == 2:
        p = float(base[0])
        np.testing.assert_allclose(ens.base, [np.log(p / (1 - p))], rtol=1e-6)
    else:
        np.testing.assert_allclose(ens.base, [float(b) for b in base], rtol=1e-6)


@pytest.mark.parametrize(
    "params",
    [
        {"booster": "dart", "rate_drop": 0.3, "skip_drop": 0.0},  # trees weighted by weight_drop
        {"num_parallel_tree": 3, "subsample": 0.8, "colsample_bynode": 0.7},  # boosted forests
        {"tree_method": "exact", "gamma": 0.5},
        {"tree_method": "approx", "max_bin": 16},
        {"grow_policy": "lossguide", "max_leaves": 6, "max_depth": 0},
    ],
)
def test_booster_variants_match_xgboost(params):
    X, y = _data(3, seed=1)
    model = xgb.XGBClassifier(n_estimators=6, n_jobs=1, random_state=0, **params).fit(X, y)
    _check_exact(model, X, seed=1)
    if params.get("booster") == "dart":
        weights = json.loads(bytes(model.get_booster().save_raw("json")))["learner"][
            "gradient_booster"]["weight_drop"]
        assert len(weights) == read_ensemble(model).n_trees


def test_a_plain_booster_and_the_rf_classifier():
    X, y = _data(2, seed=2)
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 3, "nthread": 1, "base_score": 0.3},
        xgb.DMatrix(X, y), num_boost_round=8,
    )
    _check_exact(booster, X, seed=2)
    assert read_ensemble(booster).base[0] == pytest.approx(np.log(0.3 / 0.7), rel=1e-6)
    forest = xgb.XGBRFClassifier(n_estimators=5, max_depth=4, n_jobs=1, random_state=0).fit(X, y)
    _check_exact(forest, X, seed=2)


def test_categorical_splits_one_hot_and_partition_match_xgboost():
    rng = np.random.RandomState(3)
    n = 600
    a = rng.randint(0, 12, n).astype(float)  # partition splits (more than max_cat_to_onehot)
    c = rng.randint(0, 3, n).astype(float)  # one-hot splits
    x = rng.randn(n)
    y = ((np.isin(a, [1, 3, 5, 8]) ^ (x > 0)) | (c == 2)).astype(int)
    X = np.column_stack([a, x, c, rng.randn(n)])
    X[rng.rand(*X.shape) < 0.05] = np.nan
    types = ["c", "q", "c", "q"]

    def dmatrix(A, label=None):
        return xgb.DMatrix(A, label, feature_types=types, enable_categorical=True)

    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 4, "max_cat_to_onehot": 4, "nthread": 1,
         "tree_method": "hist"}, dmatrix(X, y), num_boost_round=15,
    )
    ens = read_ensemble(booster)
    assert ens.has_categorical and ens.categorical_features().tolist() == [True, False, True,
                                                                           False]
    rows = _check_exact(booster, X, dmatrix)
    # category codes at and around every edge XGBoost treats specially
    odd = []
    for value in (-1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.9, 3.0, 11.0, 12.0, 13.0, 1e9, np.nan):
        for j in (0, 2):
            row = rows[rng.randint(len(rows))].copy()
            row[j] = value
            odd.append(row)
    odd = np.array(odd)
    np.testing.assert_array_equal(
        ens.apply(odd) - ens.roots, booster.predict(dmatrix(odd), pred_leaf=True).astype(int)
    )
    np.testing.assert_allclose(
        ens.raw(odd)[:, 0], booster.predict(dmatrix(odd), output_margin=True), atol=ATOL
    )


def test_pandas_categories_and_early_stopping():
    rng = np.random.RandomState(4)
    frame = pd.DataFrame({
        "a": pd.Categorical(rng.choice(["x", "y", "z", "w"], 500)),
        "b": rng.randn(500),
    })
    y = ((frame["a"].isin(["x", "z"])) ^ (frame["b"] > 0.3)).astype(int).to_numpy()
    model = xgb.XGBClassifier(
        n_estimators=200, max_depth=3, learning_rate=0.5, enable_categorical=True, n_jobs=1,
        early_stopping_rounds=3, eval_metric="logloss",
    ).fit(frame[:300], y[:300], eval_set=[(frame[300:], y[300:])], verbose=False)
    assert model.best_iteration < 199
    ens = read_ensemble(model)
    per_iteration = 1
    assert ens.n_trees == (model.best_iteration + 1) * per_iteration
    codes = np.column_stack([frame["a"].cat.codes.to_numpy(float), frame["b"].to_numpy()])
    np.testing.assert_allclose(
        ens.predict_proba(codes)[:, 1], model.predict_proba(frame)[:, 1], atol=1e-6
    )


def test_unsupported_models_are_refused_clearly():
    X, y = _data(2, nan=False)
    regressor = xgb.XGBRegressor(n_estimators=2, n_jobs=1).fit(X, X[:, 0])
    with pytest.raises(TypeError, match="regressor or ranker is not a classifier"):
        read_ensemble(regressor)
    linear = xgb.XGBClassifier(booster="gblinear", n_estimators=2, n_jobs=1).fit(X, y)
    with pytest.raises(TypeError, match="gblinear model has no trees"):
        read_ensemble(linear)
    hinge = xgb.train({"objective": "binary:hinge", "nthread": 1}, xgb.DMatrix(X, y), 2)
    with pytest.raises(TypeError, match="'binary:hinge' is not a supported classification"):
        read_ensemble(hinge)
    zero_missing = xgb.XGBClassifier(n_estimators=2, missing=0.0, n_jobs=1).fit(X, y)
    with pytest.raises(TypeError, match="missing=0.0"):
        read_ensemble(zero_missing)
    with pytest.raises(ValueError, match="not fitted"):
        read_ensemble(xgb.XGBClassifier())
    with pytest.raises(TypeError, match="XGBoost"):  # the supported list names XGBoost
        TreeAttack(object()).generate(X[:2])


def test_inconsistent_documents_name_the_field():
    X, y = _data(2, nan=False)
    model = xgb.XGBClassifier(n_estimators=2, max_depth=2, n_jobs=1).fit(X, y)
    good = json.loads(bytes(model.get_booster().save_raw("json")))
    parse_document(good)

    def broken(edit):
        doc = json.loads(json.dumps(good))
        edit(doc["learner"]["gradient_booster"]["model"]["trees"][0], doc)
        return doc

    cases = [
        (lambda t, d: t["left_children"].__setitem__(0, 99), "child outside the tree"),
        (lambda t, d: t["left_children"].__setitem__(1, 0) or t["right_children"].__setitem__(
            1, 2), "reached twice|parents"),
        (lambda t, d: t["split_indices"].__setitem__(0, 7), "reads a feature outside"),
        (lambda t, d: t["split_conditions"].pop(), "entries for"),
        (lambda t, d: t["split_conditions"].__setitem__(0, "1.0"), "list of float numbers"),
        (lambda t, d: t["split_conditions"].__setitem__(0, 1e39), "too large"),
        (lambda t, d: t["split_type"].__setitem__(0, 1), "must list the categorical splits"),
        (lambda t, d: t["split_type"].__setitem__(3, 1), "marks a leaf as a categorical"),
        (lambda t, d: t.__setitem__("extra", 1), "fields advval does not know"),
        (lambda t, d: t.__setitem__("id", 1), "its place in the list"),  # XGBoost segfaulted
        (lambda t, d: d["learner"]["learner_model_param"].__setitem__("base_score", "x"),
         "base_score"),
        (lambda t, d: d["learner"]["gradient_booster"]["model"].__setitem__("tree_info", [0]),
         "tree_info"),
        (lambda t, d: d["learner"]["learner_model_param"].__setitem__("num_class", "3"),
         "does not match num_class"),
    ]
    for edit, message in cases:
        with pytest.raises(ModelError, match=message):
            parse_document(broken(edit))
