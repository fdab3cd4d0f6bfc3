"""CatBoost models read by structure: margins against CatBoost's own RawFormulaVal on random
and boundary rows, one-hot categorical splits, refusals, and TreeAttack on the result."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

catboost = pytest.importorskip("catboost")

from advval.attacks import FeatureSpace, TreeAttack  # noqa: E402
from advval.attacks.trees._catboost import ensemble_from_json, read_catboost  # noqa: E402
from advval.attacks.trees._ensemble import read_ensemble  # noqa: E402
from advval.attacks.trees._search import model_rows  # noqa: E402
from advval.attacks.trees.attack import _category_tables  # noqa: E402


def _fit(X, y, **params):
    base = dict(iterations=20, depth=4, verbose=0, thread_count=1, random_seed=0,
                allow_writing_files=False)
    base.update(params)
    return catboost.CatBoostClassifier(**base).fit(X, y)


def _data(rng, n=400, multi=False):
    X = rng.normal(size=(n, 4))
    X[rng.rand(n) < 0.15, 1] = np.nan
    y = (X[:, 0] + np.nan_to_num(X[:, 1]) > 0).astype(int)
    if multi:
        y = y + (X[:, 2] > 0.5)
    return X, y


def _boundary_rows(ens, X, rng):
    """Rows at, just below and just above every border (in float32 and float64), then the
    same rows with a fifth of their values NaN."""
    rows = []
    for j, borders in enumerate(ens.numeric_thresholds()):
        for b in borders:
            f = np.float32(b)
            for v in (float(f), float(np.nextafter(f, np.float32(-np.inf))),
                      float(np.nextafter(f, np.float32(np.inf))), b - 1e-9, b + 1e-9):
                row = X[rng.randint(len(X))].copy()
                row[j] = v
                rows.append(row)
    R = np.array(rows)
    with_nan = R.copy()
    with_nan[rng.rand(*R.shape) < 0.2] = np.nan
    return np.vstack([R, with_nan])


def _raw(model, X):
    return np.asarray(model.predict(X, prediction_type="RawFormulaVal")).reshape(len(X), -1)


@pytest.mark.parametrize("nan_mode", ["Min", "Max", "Forbidden"])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"loss_function": "MultiClass"},
        {"loss_function": "MultiClassOneVsAll"},
        {"grow_policy": "Depthwise"},
        {"grow_policy": "Lossguide"},
        {"loss_function": "CrossEntropy", "boost_from_average": True},
    ],
    ids=["logloss", "multiclass", "ova", "depthwise", "lossguide", "crossentropy-bias"],
)
def test_margins_match_raw_formula_val(nan_mode, params):
    rng = np.random.RandomState(0)
    X, y = _data(rng, multi="Multi" in params.get("loss_function", ""))
    if params.get("loss_function") == "CrossEntropy":
        y = y.astype(float)
    if nan_mode == "Forbidden":  # trained without NaN; NaN at prediction compares as is
        X = np.nan_to_num(X)
    model = _fit(X, y, nan_mode=nan_mode, **params)
    ens = read_catboost(model)
    assert ens.n_trees == model.tree_count_
    test = np.vstack([X, 3 * rng.normal(size=(200, 4)), _boundary_rows(ens, X, rng)])
    assert np.isnan(test).any()
    np.testing.assert_allclose(ens.raw(test), _raw(model, test), rtol=0, atol=1e-9)
    np.testing.assert_allclose(ens.predict_proba(test), model.predict_proba(test), atol=1e-12)
    # the float32 borders are read exactly: a border and the float32 above it split apart
    assert ens.float32 and all(
        np.array_equal(np.float32(t).astype(np.float64), t) for t in ens.numeric_thresholds()
    )


def test_scale_and_bias_are_applied():
    rng = np.random.RandomState(1)
    X, y = _data(rng)
    model = _fit(X, y, iterations=5)
    model.set_scale_and_bias(0.5, [0.25])
    ens = read_ensemble(model)
    np.testing.assert_allclose(ens.base, [0.25])
    np.testing.assert_allclose(ens.raw(X), _raw(model, X), atol=1e-12)
    # known truth: the raw output of a row is 0.5 * (sum of its leaves) + 0.25
    model.set_scale_and_bias(1.0, [0.0])
    np.testing.assert_allclose(ens.raw(X), 0.5 * _raw(model, X) + 0.25, atol=1e-12)


def _categorical_frame(rng, n=600):
    frame = pd.DataFrame({
        "a": rng.normal(size=n),
        "c": rng.choice(["x", "y", "z", "w"], n),
        "b": rng.normal(size=n),
        "k": rng.choice([3, 7, 11], n),
    })
    y = ((frame.a + 0.8 * (frame.c == "y") - 0.8 * (frame.k == 7) + 0.3 * frame.b) > 0)
    return frame, y.astype(int).to_numpy()


@pytest.fixture(scope="module")
def one_hot_model():
    frame, y = _categorical_frame(np.random.RandomState(0))
    model = _fit(frame, y, iterations=30, depth=3, one_hot_max_size=4, cat_features=["c", "k"])
    return model, frame.astype({"k": "category"}), y


def test_one_hot_splits_are_exact(one_hot_model):
    model, frame, _ = one_hot_model
    ens = read_catboost(model)
    assert ens.has_categorical and ens.categorical_features().tolist() == [0, 1, 0, 1]
    # every combination of categories, with the numbers on and around the borders
    grid = []
    borders = ens.numeric_thresholds()
    for c, k in itertools.product(["x", "y", "z", "w"], [3, 7, 11]):
        for a, b in zip(borders[0], np.resize(borders[2], len(borders[0])), strict=True):
            for da in (0.0, 1e-6, -1e-6):
                grid.append({"a": a + da, "c": c, "b": b - da, "k": k})
    test = pd.DataFrame(grid).astype({"k": pd.CategoricalDtype([3, 7, 11])})
    space = FeatureSpace.from_frame(test)
    domain = space.bind(test)
    tables = _category_tables(ens, domain, test)
    # a value no split names reads NaN: every one-hot split is false for it
    assert np.isnan(tables[1]).sum() == 4 - len({c for c in tables[1] if c == c})
    Z = domain.encode(test)
    mine = ens.raw(model_rows(ens, tables, Z))
    np.testing.assert_allclose(mine, _raw(model, test), rtol=0, atol=1e-9)


def test_one_hot_needs_the_column_as_categories(one_hot_model):
    model, frame, _ = one_hot_model
    as_int = frame.astype({"k": "int64"})
    with pytest.raises(TypeError, match=r"splits on categorical feature\(s\) \['k'\]"):
        TreeAttack(model, random_state=0).generate(as_int.iloc[:5])


def test_tree_attack_flips_catboost_with_categories(one_hot_model):
    model, frame, _ = one_hot_model
    X = frame.iloc[:40]
    attack = TreeAttack(model, norm="inf", random_state=0)
    X_adv = attack.generate(X)
    assert attack.success_.all()
    np.testing.assert_array_equal(model.predict(X_adv) != model.predict(X), attack.success_)
    assert set(X_adv["c"]) <= {"x", "y", "z", "w"} and set(X_adv["k"]) <= {3, 7, 11}


def test_ctr_features_are_refused_by_name():
    rng = np.random.RandomState(0)
    n = 500
    frame = pd.DataFrame({
        "a": rng.normal(size=n),
        "city": rng.choice(list("abcdefghij"), n),
        "flag": rng.choice(["on", "off"], n),
    })
    y = (frame.city.isin(list("abcd")) ^ (frame.a > 1) ^ (frame.flag == "on")).astype(int)
    model = _fit(frame, y, iterations=10, depth=2, one_hot_max_size=2,
                 cat_features=["city", "flag"])
    with pytest.raises(TypeError, match=r"CTR target statistics.*one_hot_max_size") as info:
        read_ensemble(model)
    # only the CTR feature is named: the one-hot feature 'flag' is attacked exactly
    assert "city (column 1)" in str(info.value) and "flag" not in str(info.value)


def test_not_fitted_and_regressors_are_refused():
    with pytest.raises(ValueError, match="not fitted"):
        read_catboost(catboost.CatBoostClassifier())
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 2))
    reg = catboost.CatBoostRegressor(iterations=3, verbose=0, thread_count=1,
                                     allow_writing_files=False).fit(X, X[:, 0])
    with pytest.raises(TypeError, match="not a classification loss"):
        read_ensemble(reg)


def _brute_force_linf(model, x, borders):
    """The smallest L-inf move that flips ``model`` at ``x``: the prediction is constant on
    the float32 cells between borders, so the nearest point of each cell is one of
    ``x_j``, a border (the split false) or the float32 just above it (true)."""
    options = []
    for j, b in enumerate(borders):
        vals = [x[j]]
        for t in b:
            vals += [float(t), float(np.nextafter(np.float32(t), np.float32(np.inf)))]
        options.append(np.array(vals))
    grid = np.array(list(itertools.product(*options)))
    flips = model.predict(grid) != model.predict(x[None, :])[0]
    return np.abs(grid[flips] - x).max(1).min()


def test_tree_attack_is_minimal_on_a_tiny_model():
    rng = np.random.RandomState(3)
    X = rng.uniform(-2, 2, size=(300, 2))
    y = ((X[:, 0] + X[:, 1] > 0) ^ (X[:, 0] > 1)).astype(int)
    model = _fit(X, y, iterations=4, depth=2, border_count=8)
    ens = read_catboost(model)
    borders = ens.numeric_thresholds()
    points = X[:30]
    attack = TreeAttack(model, norm="inf", feature_space=FeatureSpace(scale=[1.0, 1.0]),
                        random_state=0)
    X_adv = attack.generate(points)
    assert attack.success_.all()
    np.testing.assert_array_equal(model.predict(X_adv) != model.predict(points), True)
    truth = np.array([_brute_force_linf(model, x, borders) for x in points])
    np.testing.assert_allclose(attack.norms_, truth, rtol=1e-6, atol=1e-6)


def _doc():
    rng = np.random.RandomState(0)
    X, y = _data(rng, n=200)
    model = _fit(X, y, iterations=2, depth=2)
    import json
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.json")
        model.save_model(path, format="json")
        with open(path) as handle:
            return json.load(handle)


@pytest.mark.parametrize(
    "break_it, message",
    [
        (lambda d: d["oblivious_trees"][0]["leaf_values"].pop(), "expected 4 values"),
        (lambda d: d["oblivious_trees"][0]["splits"].extend(
            [d["oblivious_trees"][0]["splits"][0]] * 20), "depth 22 is above"),
        (lambda d: d["oblivious_trees"][0]["splits"][0].update(float_feature_index=99),
         "float_feature_index: expected an index"),
        (lambda d: d["oblivious_trees"][0]["splits"][0].update(border=0.1), "not a float32 value"),
        (lambda d: d["oblivious_trees"][0]["leaf_values"].__setitem__(0, "x"), "expected a number"),
        (lambda d: d.pop("features_info"), "missing 'features_info'"),
        (lambda d: d["scale_and_bias"].__setitem__(1, [0, 0]), "expected 1 bias values"),
        (lambda d: d["oblivious_trees"][0]["splits"][0].update(split_type="Weird"),
         "split type 'Weird'"),
        (lambda d: d["oblivious_trees"][0]["splits"][0].update(
            split_index=d["oblivious_trees"][0]["splits"][0]["split_index"] + 1),
         "split_index: expected"),
        (lambda d: d["oblivious_trees"][0]["splits"][0].update(border=0.25),
         "border is not among the feature's borders"),
        (lambda d: d["features_info"]["float_features"][0]["borders"].reverse(),
         "borders must increase"),
    ],
)
def test_malformed_documents_are_clear_errors(break_it, message):
    doc = _doc()
    ensemble_from_json(doc)
    break_it(doc)
    with pytest.raises((ValueError, TypeError), match=message):
        ensemble_from_json(doc, source="'m.json'")


@pytest.mark.parametrize(
    "params", [{}, {"grow_policy": "Lossguide"}, {"loss_function": "MultiClassOneVsAll"}],
    ids=["symmetric", "lossguide", "ova"],
)
def test_tree_attack_reaches_targets_on_multiclass_models(params):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    model = _fit(X, y, iterations=30, depth=4, **params)
    points = X[::5]
    target = (model.predict(points).ravel() + 1) % 3
    attack = TreeAttack(model, targeted=True, random_state=0)
    X_adv = attack.generate(points, target)
    assert attack.success_.all()
    np.testing.assert_array_equal(model.predict(X_adv).ravel(), target)


def test_robustness_report_and_constraints_on_catboost():
    from sklearn.datasets import load_breast_cancer

    from advval.attacks import robustness_report

    X, y = load_breast_cancer(return_X_y=True)
    model = _fit(X[:400], y[:400], iterations=30, depth=4)
    points, labels = X[400:440], y[400:440]
    report = robustness_report(model, points, labels, [TreeAttack(None, eps=0.3)])
    minimal = TreeAttack(model, feature_space=FeatureSpace.from_frame(points), random_state=0)
    minimal.generate(points, labels)
    correct = model.predict(points) == labels
    # the budgeted report flips at least the correct points whose minimal move fits in eps
    # (with the report's default space: standard units of the attacked points)
    expected = np.mean(correct & ~(minimal.success_ & (minimal.norms_ <= 0.3)))
    assert report.robust_accuracy <= expected + 1e-9
    assert report.robust_accuracy < np.mean(correct)
    space = FeatureSpace(immutable=[0, 1, 2, 3])
    attack = TreeAttack(model, feature_space=space, random_state=0)
    X_adv = attack.generate(points)
    assert attack.success_.all()
    np.testing.assert_array_equal(X_adv[:, :4], points[:, :4])
