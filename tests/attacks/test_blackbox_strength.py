"""Strength of the black-box attacks on known truths.

- A logistic regression on standardized data: the smallest perturbation that flips a
  point is analytic (|f(x)| / ||w||_2 for L2, |f(x)| / ||w||_1 for L-inf, and for L0 the
  single feature that can cross the boundary within the bounds). Attacks must find the
  close points and can never "succeed" on points farther than eps.
- Tree ensembles (LightGBM, RandomForest) on breast_cancer at a moderate eps.
- Targeted attacks on a three-class model.
"""

import numpy as np
import pytest
from lightgbm import LGBMClassifier
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from advval.attacks import FeatureSpace, GeneticAttack, HopSkipJump, NESAttack, SquareAttack

SCORE_BASED = {
    NESAttack: {"steps": 40, "n_samples": 10},
    SquareAttack: {"steps": 200},
    GeneticAttack: {"generations": 25, "population_size": 12},
}
TREES = {
    **SCORE_BASED,
    HopSkipJump: {"steps": 5, "init_evals": 20},
}
TREES[NESAttack] = {"steps": 20, "n_samples": 10}
TREES[SquareAttack] = {"steps": 80}


@pytest.fixture(scope="module")
def linear():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 5))
    y = (X @ np.array([2.0, -1.0, 0.5, 0.0, 1.0]) + 0.3 * rng.normal(size=400) > 0).astype(int)
    model = LogisticRegression(C=100.0).fit(X, y)
    points = X[:60]
    w, f = model.coef_[0], model.decision_function(points)
    distance = {"2": np.abs(f) / np.linalg.norm(w), "inf": np.abs(f) / np.abs(w).sum()}
    space = FeatureSpace(feature_names=list("abcde"), scale=1.0)
    return model, points, distance, space


@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("attack", list(SCORE_BASED))
def test_score_based_attacks_find_close_points_and_cannot_cheat(attack, norm, linear):
    model, points, distance, space = linear
    eps = 0.5
    instance = attack(
        model, eps=eps, norm=norm, feature_space=space, random_state=0, **SCORE_BASED[attack]
    )
    instance.generate(points)
    close, far = distance[norm] < 0.8 * eps, distance[norm] > eps
    assert close.sum() >= 10 and far.sum() >= 10
    assert instance.success_[close].all()
    assert not instance.success_[far].any()
    assert (instance.norms_ <= eps + 1e-9).all()


@pytest.mark.parametrize("norm", ["2", "inf"])
def test_hopskipjump_finds_the_analytic_minimal_perturbation(norm, linear):
    model, points, distance, space = linear
    attack = HopSkipJump(
        model, norm=norm, feature_space=space, random_state=0, steps=15, init_evals=50
    )
    attack.generate(points)
    assert attack.success_.all()
    ratio = attack.norms_ / distance[norm]
    assert (ratio >= 1 - 1e-6).all()  # nothing beats the analytic minimum
    assert ratio.max() <= 1.3 and np.median(ratio) <= 1.1


def test_hopskipjump_with_eps_cannot_cheat(linear):
    model, points, distance, space = linear
    attack = HopSkipJump(model, eps=0.5, norm="2", feature_space=space, random_state=0, steps=8)
    attack.generate(points)
    assert attack.success_[distance["2"] < 0.8 * 0.5].all()
    assert not attack.success_[distance["2"] > 0.5].any()


def test_genetic_l0_changes_one_feature_exactly_when_one_is_enough(linear):
    model, points, _, _ = linear
    space = FeatureSpace(feature_names=list("abcde"), scale=1.0, bounds=(-1.0, 1.0))
    w, f = model.coef_[0], model.decision_function(points)
    low, high = np.minimum(-1.0, points), np.maximum(1.0, points)  # bounds include x0
    # how far each feature may move toward the boundary, and how far it must
    room = np.where(np.sign(w) == -np.sign(f)[:, None], high - points, points - low)
    needed = np.abs(f)[:, None] / np.abs(w)
    easy = ((needed <= room - 0.05) & (needed <= 1.0)).any(1)
    impossible = (needed > room + 1e-9).all(1)
    attack = GeneticAttack(
        model, eps=1, norm="0", feature_space=space, random_state=0, generations=25,
        population_size=12,
    )
    adv = attack.generate(points)
    assert easy.sum() >= 20 and impossible.sum() >= 3
    assert attack.success_[easy].all()
    assert not attack.success_[impossible].any()
    assert ((adv != points).sum(1) <= 1).all()


@pytest.mark.parametrize("norm", ["2", "inf"])
def test_genetic_minimum_norm_search_approaches_the_analytic_distance(norm, linear):
    model, points, distance, space = linear
    attack = GeneticAttack(model, eps=None, norm=norm, feature_space=space, generations=50,
                           random_state=0)
    attack.generate(points)
    assert attack.success_.all()
    ratio = attack.norms_ / distance[norm]
    assert (ratio >= 1 - 1e-6).all()
    assert np.median(ratio) <= (1.1 if norm == "2" else 1.25)
    assert ratio.max() <= (1.4 if norm == "2" else 1.8)


def test_genetic_minimum_l0_finds_single_feature_changes(linear):
    model, points, _, space = linear
    attack = GeneticAttack(model, eps=None, norm="0", feature_space=space, generations=30,
                           random_state=0)
    adv = attack.generate(points)
    assert attack.success_.all()
    np.testing.assert_array_equal(attack.norms_, (adv != points).sum(1))
    assert np.median(attack.norms_) == 1 and attack.norms_.max() <= 3


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    models = {
        "lightgbm": LGBMClassifier(n_estimators=50, n_jobs=1, verbose=-1, random_state=0),
        "forest": RandomForestClassifier(n_estimators=30, max_depth=6, random_state=0),
    }
    fitted = {name: model.fit(X, y) for name, model in models.items()}
    return fitted, X[::29][:20], y[::29][:20], FeatureSpace.from_frame(X)


@pytest.mark.parametrize("name", ["lightgbm", "forest"])
@pytest.mark.parametrize("attack", list(TREES))
def test_attacks_fool_tree_ensembles_at_a_moderate_eps(attack, name, cancer):
    models, X, y, space = cancer
    model = models[name]
    correct = model.predict(X) == y
    instance = attack(model, eps=1.0, feature_space=space, random_state=0, **TREES[attack])
    adv = instance.generate(X, y)
    assert instance.success_[correct].mean() >= 0.6
    np.testing.assert_array_equal(instance.success_, model.predict(adv) != y)
    assert (instance.norms_ <= 1.0 + 1e-9).all()


@pytest.mark.parametrize("attack", list(TREES))
def test_targeted_attacks_reach_the_target_class(attack):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = LogisticRegression().fit(X, y)
    points = X[::10]
    goal = (model.predict(points) + 1) % 3
    params = {**TREES[attack], "eps": 2.5, "norm": "2"}
    instance = attack(model, targeted=True, feature_space=FeatureSpace.from_frame(X),
                      random_state=0, **params)
    adv = instance.generate(points, goal)
    np.testing.assert_array_equal(instance.success_, model.predict(adv) == goal)
    assert instance.success_.mean() >= 0.8
