"""TreeAttack in L2 and with an eps budget: minimality against exhaustive search, and the
budget never weaker than the minimal search."""

from __future__ import annotations

import itertools

import lightgbm as lgb
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from advval.attacks import FeatureSpace, TreeAttack


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=60, random_state=0)
    model = lgb.LGBMClassifier(n_estimators=60, n_jobs=1, verbose=-1, random_state=0)
    model.fit(X_train, y_train)
    return model, X_test[:25], FeatureSpace.from_frame(X_train)


def test_l2_is_never_worse_than_the_linf_search_measured_in_l2(cancer):
    model, X, space = cancer
    domain = space.bind(X)
    l2 = TreeAttack(model, norm="2", feature_space=space, random_state=0)
    X_l2 = l2.generate(X)
    box = TreeAttack(model, norm="inf", feature_space=space, random_state=0)
    X_box = box.generate(X)
    assert l2.success_.all() and box.success_.all()
    assert np.all(model.predict(X_l2) != model.predict(X))
    size_l2 = np.asarray(domain.distance(X_l2, X, "2"))
    size_box = np.asarray(domain.distance(X_box, X, "2"))
    np.testing.assert_allclose(l2.norms_, size_l2, rtol=1e-6)
    assert np.all(size_l2 <= size_box * (1 + 1e-9))
    # shedding the coordinates the L-inf point does not need makes it clearly smaller
    assert np.median(size_l2) < 0.95 * np.median(size_box)


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_budget_succeeds_wherever_the_minimal_search_is_within_eps(norm, cancer):
    model, X, space = cancer
    domain = space.bind(X)
    free = TreeAttack(model, norm=norm, feature_space=space, random_state=0)
    free.generate(X)
    for eps in np.quantile(free.norms_, [0.25, 0.5, 0.75]):
        bounded = TreeAttack(model, norm=norm, eps=float(eps), feature_space=space,
                             random_state=0)
        X_adv = bounded.generate(X)
        assert np.all(np.asarray(domain.distance(X_adv, X, norm)) <= eps * (1 + 1e-9) + 1e-12)
        flipped = model.predict(X_adv) != model.predict(X)
        np.testing.assert_array_equal(bounded.success_, flipped)
        assert bounded.success_[free.norms_ <= eps].all()
        np.testing.assert_array_equal(X_adv[~bounded.success_], X[~bounded.success_])


def test_budget_beyond_every_minimal_norm_flips_everything(cancer):
    model, X, space = cancer
    free = TreeAttack(model, norm="2", feature_space=space, random_state=0)
    free.generate(X)
    bounded = TreeAttack(model, norm="2", eps=float(free.norms_.max()) * 1.01,
                         feature_space=space, random_state=0)
    bounded.generate(X)
    assert bounded.success_.all()


def _tiny():
    rng = np.random.RandomState(3)
    X = rng.uniform(-2, 2, size=(400, 3))
    y = ((X[:, 0] * X[:, 1] > 0.2) ^ (X[:, 2] > 0.5)).astype(int)
    model = lgb.LGBMClassifier(n_estimators=12, num_leaves=6, min_child_samples=5,
                               n_jobs=1, verbose=-1, random_state=0).fit(X, y)
    return model, X


def _thresholds(model) -> list[list[float]]:
    """Every split threshold of every feature, read from LightGBM's own model dump."""
    found: list[set[float]] = [set() for _ in range(model.n_features_in_)]

    def walk(node):
        if "split_feature" in node:
            found[node["split_feature"]].add(float(node["threshold"]))
            walk(node["left_child"])
            walk(node["right_child"])

    for tree in model.booster_.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    return [sorted(t) for t in found]


def test_l2_matches_exhaustive_search_on_a_tiny_model():
    """The exact minimum L2 perturbation is at a corner of the cells: every feature at its
    original value or just across one of its thresholds; all such rows are tried."""
    model, X_all = _tiny()
    X = X_all[:30]
    space = FeatureSpace(scale=[1.0, 2.0, 0.5], bounds=(-3.0, 3.0))
    attack = TreeAttack(model, norm="2", feature_space=space, random_state=0)
    attack.generate(X)
    thresholds = _thresholds(model)
    scale = np.array([1.0, 2.0, 0.5])
    step = 1e-6
    exact = np.full(len(X), np.inf)
    own = model.predict(X)
    for i, x in enumerate(X):
        options = []
        for j in range(3):
            t = np.array(thresholds[j])
            values = np.concatenate([[x[j]], t[t < x[j]], t[t >= x[j]] + step])
            options.append(values[(values >= -3) & (values <= 3)])
        rows = np.array(list(itertools.product(*options)))
        flipped = model.predict(rows) != own[i]
        if flipped.any():
            exact[i] = np.sqrt((((rows[flipped] - x) / scale) ** 2).sum(1)).min()
    np.testing.assert_array_equal(attack.success_, np.isfinite(exact))
    ok = attack.success_
    # never below the true minimum (up to the threshold step), equal to it on most points
    assert np.all(attack.norms_[ok] >= exact[ok] - 1e-5)
    close = np.abs(attack.norms_[ok] - exact[ok]) <= 1e-5
    assert close.mean() >= 0.9


@pytest.mark.parametrize(("norm", "quantile"), [("inf", 0.5), ("2", 0.6)])
def test_robustness_report_counts_every_point_the_minimal_search_flips_within_eps(
    norm, quantile, cancer
):
    from advval.attacks import robustness_report

    model, X, space = cancer
    y = model.predict(X)  # every point starts correct: fooled means flipped
    free = TreeAttack(model, norm=norm, feature_space=space, random_state=0)
    free.generate(X)
    eps = float(np.quantile(free.norms_, quantile))
    report = robustness_report(
        model, X, y, [TreeAttack(None, norm=norm, eps=eps)], feature_space=space,
        random_state=0,
    )
    (result,) = report.attacks
    within = int((free.norms_ <= eps).sum())
    assert result.white_box is True and result.norm == norm
    assert result.n_fooled >= within > 0
    assert report.robust_accuracy <= 1 - within / len(X)
