"""GeneticAttack: parameter checks and integer constraints (strength: test_blackbox_strength)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from advval.attacks import FeatureSpace, GeneticAttack


@pytest.fixture(scope="module")
def linear():
    X = np.random.RandomState(1).uniform(-1, 1, size=(50, 2))
    return LogisticRegression().fit(X, X.sum(1) > 0), X


def test_l0_budget_is_a_whole_number_of_features(linear):
    model, X = linear
    message = "The 'eps' parameter of GeneticAttack counts changed features under norm='0'"
    with pytest.raises(ValueError, match=message):
        GeneticAttack(model, eps=1.5, norm="0").generate(X[:3])


def test_class_attributes():
    assert GeneticAttack.norms == ("inf", "2", "0")
    assert GeneticAttack.minimum_norm and GeneticAttack.needs_scores


def test_integer_columns_move_in_whole_steps():
    rng = np.random.RandomState(0)
    count = rng.randint(0, 11, 300).astype(float)
    noise = rng.normal(size=300)
    X = np.column_stack([count, noise])
    model = LogisticRegression(C=100.0).fit(X, (count >= 5).astype(int))
    space = FeatureSpace.from_frame(X, integer=[0], immutable=[1])
    points = X[(count == 4) | (count == 5)][:10]
    attack = GeneticAttack(model, eps=0.5, feature_space=space, generations=10, random_state=0)
    adv = attack.generate(points)
    assert attack.success_.all()
    np.testing.assert_array_equal(adv[:, 0], np.round(adv[:, 0]))
    assert (np.abs(adv[:, 0] - points[:, 0]) == 1).all()
    np.testing.assert_array_equal(adv[:, 1], points[:, 1])
