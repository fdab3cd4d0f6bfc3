"""TreeAttack on XGBoost models: every success flips XGBoost's own prediction, and the
perturbations are checked against the exact minimum of a small model found by brute force."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from advval.attacks import FeatureSpace, TreeAttack, robustness_report

xgb = pytest.importorskip("xgboost")


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=40, random_state=0)
    model = xgb.XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1, random_state=0)
    return model.fit(X_train, y_train), X_test, FeatureSpace.from_frame(X_train)


@pytest.mark.parametrize("norm", ["inf", "2", "0"])
def test_breast_cancer_every_success_flips_xgboosts_own_prediction(cancer, norm):
    model, X_test, space = cancer
    attack = TreeAttack(model, norm=norm, feature_space=space, random_state=0)
    X_adv = attack.generate(X_test)
    assert attack.success_.all()
    assert np.all(model.predict(X_adv) != model.predict(X_test))  # XGBoost's own word
    np.testing.assert_allclose(
        attack.norms_, space.bind(X_test).distance(X_adv, X_test, norm), rtol=1e-9
    )
    if norm == "inf":
        assert np.median(attack.norms_) < 1.0  # standard units: small, as for LightGBM
        assert attack.queries_.max() <= 2  # the label query and one verification


def _cells(model, n_features: int):
    """Every cell of the grid the model's float32 thresholds cut, as per-feature
    ``[low, high]`` float32 ranges, and XGBoost's own prediction in each."""
    doc = json.loads(bytes(model.get_booster().save_raw("json")))
    cuts: list[set[np.float32]] = [set() for _ in range(n_features)]
    for tree in doc["learner"]["gradient_booster"]["model"]["trees"]:
        for node, left in enumerate(tree["left_children"]):
            if left >= 0:
                cuts[tree["split_indices"][node]].add(np.float32(tree["split_conditions"][node]))
    ranges = []
    for values in cuts:
        c = np.array(sorted(values), dtype=np.float32)
        below = [float(np.nextafter(v, np.float32(-np.inf))) for v in c]
        # x < t goes left: the cells are (-inf, t1), [t1, t2), ..., [tk, inf)
        ranges.append(list(zip([-np.inf, *map(float, c)], [*below, np.inf], strict=True)))
    cells = list(itertools.product(*ranges))
    points = np.array([[lo if np.isfinite(lo) else hi for lo, hi in cell] for cell in cells])
    return cells, model.predict(points)


def _exact_minimum(x: np.ndarray, label: int, cells, predictions, norm: str) -> float:
    """The smallest distance from ``x`` to a row XGBoost predicts differently."""
    best = np.inf
    for cell, predicted in zip(cells, predictions, strict=True):
        if predicted == label:
            continue
        gaps = np.array([max(lo - v, v - hi, 0.0) for v, (lo, hi) in zip(x, cell, strict=True)])
        size = {"inf": gaps.max(), "2": np.sqrt((gaps**2).sum()), "0": (gaps > 0).sum()}[norm]
        best = min(best, float(size))
    return best


@pytest.mark.parametrize(("norm", "exact_share"), [("inf", 0.9), ("2", 0.65), ("0", 1.0)])
def test_perturbations_against_the_exact_minimum_by_brute_force(norm, exact_share):
    """Every cell of the threshold grid of a 4-tree model, predicted by XGBoost itself: the
    exact minimal perturbation of each row. TreeAttack is never below it (a wrong split rule
    would find cheaper rows) and equals it on most rows (measured: L-inf 57 of 60, L2 43 of
    60, L0 60 of 60; its search is greedy)."""
    rng = np.random.RandomState(0)
    X = rng.randn(400, 3)
    y = (X[:, 0] + X[:, 1] - 0.5 * X[:, 2] > 0).astype(int)
    model = xgb.XGBClassifier(n_estimators=4, max_depth=2, n_jobs=1, random_state=0).fit(X, y)
    cells, predictions = _cells(model, 3)
    X_test = rng.randn(60, 3)
    labels = model.predict(X_test)
    exact = np.array([_exact_minimum(x, c, cells, predictions, norm)
                      for x, c in zip(X_test, labels, strict=True)])
    attack = TreeAttack(model, norm=norm, feature_space=FeatureSpace(scale=1.0), random_state=0)
    X_adv = attack.generate(X_test)
    assert attack.success_.all()
    assert np.all(model.predict(X_adv) != labels)
    ratio = attack.norms_ / exact
    assert ratio.min() >= 1 - 1e-9
    assert np.mean(ratio <= 1 + 1e-9) >= exact_share
    assert np.median(ratio) == pytest.approx(1.0, abs=1e-9)


def test_multiclass_targeted_and_categorical_features():
    rng = np.random.RandomState(1)
    n = 500
    X_all = np.column_stack([rng.randint(0, 6, n), rng.randn(n), rng.randn(n)]).astype(float)
    y = np.digitize(X_all[:, 1] + np.isin(X_all[:, 0], [1, 4]) * 1.5, [0.0, 1.0])
    types = ["c", "q", "q"]
    model = xgb.XGBClassifier(
        n_estimators=8, max_depth=3, n_jobs=1, enable_categorical=True, feature_types=types,
        max_cat_to_onehot=2, random_state=0,
    ).fit(X_all, y)
    X = X_all[:30]
    space = FeatureSpace(categorical={0: list(range(6))}, scale=1.0)
    target = np.full(len(X), 2)
    attack = TreeAttack(model, targeted=True, feature_space=space, random_state=0)
    X_adv = attack.generate(X, target)
    reached = model.predict(X_adv) == 2  # XGBoost's own prediction
    np.testing.assert_array_equal(reached, attack.success_)
    assert attack.success_.mean() > 0.9
    assert np.any(X_adv[:, 0] != X[:, 0])  # categories are moved, as whole categories
    assert set(np.unique(X_adv[:, 0])) <= set(range(6))


def test_robustness_report_on_an_xgboost_model(cancer):
    from advval.attacks import SquareAttack

    model, X_test, space = cancer
    labels = model.predict(X_test)
    report = robustness_report(
        model, X_test, labels,
        [TreeAttack(model, eps=0.3), SquareAttack(model, eps=0.3, max_queries=200)],
        feature_space=space, random_state=0,
    )
    found = report.to_dict()
    assert found["clean_accuracy"] == 1.0
    tree = TreeAttack(model, eps=0.3, feature_space=space, random_state=0)
    tree.generate(X_test, labels)
    # the worst case over the attacks is at least as low as TreeAttack's own
    assert report.robust_accuracy <= 1.0 - tree.success_.mean() + 1e-12


@pytest.mark.parametrize("objective", ["binary:logistic", "multi:softmax", "multi:softprob"])
def test_a_plain_booster_is_attacked_and_queried_through_its_margins(objective):
    rng = np.random.RandomState(2)
    X = rng.randn(300, 3)
    binary = objective.startswith("binary")
    y = (X[:, 0] + X[:, 1] > 0).astype(int) if binary else np.digitize(X[:, 0] + X[:, 1],
                                                                      [-0.5, 0.5])
    params = {"objective": objective, "nthread": 1, "max_depth": 3}
    if not binary:
        params["num_class"] = 3
    booster = xgb.train(params, xgb.DMatrix(X, y), num_boost_round=6)
    margins = booster.predict(xgb.DMatrix(X[:25]), output_margin=True)
    before = (margins > 0).astype(int) if binary else margins.argmax(1)
    attack = TreeAttack(booster, bounds=(-5, 5), random_state=0)
    X_adv = attack.generate(X[:25])
    assert attack.success_.all()
    after = booster.predict(xgb.DMatrix(X_adv), output_margin=True)
    after = (after > 0).astype(int) if binary else after.argmax(1)
    assert np.all(after != before)  # the Booster's own margins
    assert attack.queries_.max() <= 2


def test_pandas_text_categories_are_attacked_as_whole_categories():
    rng = np.random.RandomState(3)
    n = 400
    frame = pd.DataFrame({
        "city": pd.Categorical(rng.choice(["oslo", "rome", "lima", "pune"], n)),
        "x": rng.randn(n),
    })
    y = ((frame["city"].isin(["rome", "pune"])) ^ (frame["x"] > 0.5)).astype(int)
    model = xgb.XGBClassifier(n_estimators=10, max_depth=3, enable_categorical=True, n_jobs=1,
                              random_state=0).fit(frame, y)
    from advval.attacks.trees._ensemble import read_ensemble

    # the categories in XGBoost's code order, so category values map to the codes it reads
    assert read_ensemble(model).pandas_categorical == [["lima", "oslo", "pune", "rome"]]
    X = frame[:40]
    attack = TreeAttack(model, random_state=0)
    X_adv = attack.generate(X)
    assert attack.success_.all()
    assert np.all(model.predict(X_adv) != model.predict(X))  # XGBoost's own word
    moved = X_adv["city"].astype(str) != X["city"].astype(str)
    assert moved.any() and set(X_adv["city"].astype(str)) <= {"oslo", "rome", "lima", "pune"}
