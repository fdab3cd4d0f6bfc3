"""SquareAttack: block selection for tables and images, LightGBM Boosters, budgets."""

import lightgbm
import numpy as np
import pytest
from sklearn.datasets import load_iris

from advval.attacks import FeatureSpace, SquareAttack
from advval.attacks.blackbox.square import select_block


def test_table_blocks_are_random_subsets_of_the_eligible_features():
    eligible = np.array([True, False, True, True, True, False, True, True, True, True])
    rng = np.random.RandomState(0)
    blocks = select_block((500, 10), 0.5, eligible, rng)
    assert (blocks.sum(1) == 4).all()  # round(0.5 * 8)
    assert not blocks[:, ~eligible].any()
    frequency = blocks[:, eligible].mean(0)
    assert np.allclose(frequency, 0.5, atol=0.08)  # every eligible feature gets picked
    assert (select_block((3, 10), 1e-4, eligible, rng).sum(1) == 1).all()


def test_image_blocks_are_square_windows_over_all_channels():
    rng = np.random.RandomState(0)
    blocks = select_block((50, 3, 10, 12), 0.09, np.ones((3, 10, 12), bool), rng)
    side = 3  # round(sqrt(0.09 * 120))
    for block in blocks:
        assert (block == block[:1]).all()  # the same window in every channel
        rows, cols = np.nonzero(block[0])
        assert len(rows) == side * side
        assert rows.max() - rows.min() == side - 1 and cols.max() - cols.min() == side - 1
    assert len({(int(np.argmax(b[0].any(1))), int(np.argmax(b[0].any(0)))) for b in blocks}) > 10


@pytest.fixture(scope="module")
def iris_booster():
    X, y = load_iris(return_X_y=True)
    params = {"objective": "multiclass", "num_class": 3, "num_threads": 1, "verbose": -1,
              "min_data_in_leaf": 5}
    return lightgbm.train(params, lightgbm.Dataset(X, y), num_boost_round=20), X


def test_targeted_attack_on_a_multiclass_booster(iris_booster):
    booster, X = iris_booster
    points = X[::15]
    goal = (booster.predict(points).argmax(1) + 1) % 3
    attack = SquareAttack(booster, eps=1.5, targeted=True, steps=150,
                          feature_space=FeatureSpace.from_frame(X), random_state=0)
    adv = attack.generate(points, goal)
    np.testing.assert_array_equal(attack.success_, booster.predict(adv).argmax(1) == goal)
    assert attack.success_.mean() >= 0.7


def test_budget_stops_every_sample_at_max_queries(iris_booster):
    booster, X = iris_booster
    attack = SquareAttack(booster, eps=0.05, steps=500, max_queries=40,
                          feature_space=FeatureSpace.from_frame(X), random_state=0)
    attack.generate(X[::15])
    assert attack.queries_.max() == 40  # the ones that never succeed use the whole budget
