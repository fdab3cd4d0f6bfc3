"""HopSkipJump: labels only, minimum norm or early stop at eps, starting points."""

import lightgbm
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from advval.attacks import FeatureSpace, HopSkipJump


@pytest.fixture(scope="module")
def linear():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    space = FeatureSpace(feature_names=list("abcd"), scale=1.0, bounds=(-4.0, 4.0))
    return LinearSVC().fit(X, y), X, space


def analytic(model, points):
    return np.abs(model.decision_function(points)) / np.linalg.norm(model.coef_)


def test_class_attributes():
    assert HopSkipJump.norms == ("inf", "2")
    assert HopSkipJump.minimum_norm and not HopSkipJump.needs_scores


def test_minimum_norm_is_reported_and_shrinks_with_more_steps(linear):
    model, X, space = linear
    points = X[:12]
    short = HopSkipJump(model, norm="2", feature_space=space, steps=1, random_state=0)
    long = HopSkipJump(model, norm="2", feature_space=space, steps=12, random_state=0)
    short.generate(points)
    adv = long.generate(points)
    assert short.success_.all() and long.success_.all()
    np.testing.assert_allclose(long.norms_, np.linalg.norm(adv - points, axis=1))
    assert (long.norms_ <= short.norms_ + 1e-9).all() and long.norms_.mean() < short.norms_.mean()
    assert long.norms_.max() / analytic(model, points).max() < 1.1
    assert (long.queries_ > short.queries_).all()


def test_eps_stops_early_once_within_eps(linear):
    model, X, space = linear
    points = X[:12]
    eps = 1.5 * analytic(model, points).max()  # every point is within reach
    free = HopSkipJump(model, norm="2", feature_space=space, steps=12, random_state=0)
    early = HopSkipJump(model, eps=eps, norm="2", feature_space=space, steps=12, random_state=0)
    free.generate(points)
    early.generate(points)
    assert early.success_.all() and (early.norms_ <= eps + 1e-9).all()
    assert early.queries_.sum() < free.queries_.sum() / 2


def test_a_lone_sample_starts_from_random_rows_of_the_domain(linear):
    model, X, space = linear
    attack = HopSkipJump(model, norm="inf", feature_space=space, steps=5, random_state=0)
    adv = attack.generate(X[:1])
    assert attack.success_.all() and (np.abs(adv) <= 4).all()
    # the random tries are counted: with one try allowed it can fail, but never overspends
    starved = HopSkipJump(model, feature_space=space, steps=5, init_trials=1, max_queries=3,
                          random_state=0)
    starved.generate(X[:1])
    assert starved.queries_.max() <= 3


def test_immutable_features_stay_and_other_rows_are_projected(linear):
    model, X, _ = linear
    space = FeatureSpace(feature_names=list("abcd"), scale=1.0, immutable=["a"])
    attack = HopSkipJump(model, norm="2", feature_space=space, steps=8, random_state=0)
    adv = attack.generate(X[:10])
    np.testing.assert_array_equal(adv[:, 0], X[:10, 0])
    assert attack.success_.all()
    # moving only b (weight 0.5) costs twice the distance along the full normal
    only_b = np.abs(model.decision_function(X[:10])) / np.abs(model.coef_[0, 1])
    assert (attack.norms_ >= only_b * 0.99).all() and (attack.norms_ <= only_b * 1.3).all()


def test_binary_booster_through_labels():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] > 0).astype(int)
    params = {"objective": "binary", "num_threads": 1, "verbose": -1}
    booster = lightgbm.train(params, lightgbm.Dataset(X, y), num_boost_round=20)
    points = X[np.abs(X[:, 0]) < 0.5][:10]
    attack = HopSkipJump(booster, norm="inf", feature_space=FeatureSpace.from_frame(X),
                         steps=5, init_evals=20, random_state=0)
    adv = attack.generate(points)
    flipped = (booster.predict(adv) > 0.5) != (booster.predict(points) > 0.5)
    np.testing.assert_array_equal(attack.success_, flipped)
    assert attack.success_.all()


def test_logistic_regression_targeted_multiclass():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2))
    y = np.digitize(X[:, 0], [-0.5, 0.5])
    model = LogisticRegression().fit(X, y)
    points = X[y == 0][:5]
    attack = HopSkipJump(model, norm="2", targeted=True, feature_space=FeatureSpace.from_frame(X),
                         steps=5, random_state=0)
    adv = attack.generate(points, np.full(5, 2))
    assert attack.success_.all() and (model.predict(adv) == 2).all()
