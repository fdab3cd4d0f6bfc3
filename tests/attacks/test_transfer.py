"""TransferAttack: a surrogate learned from the target's answers, attacked white-box."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from advval.attacks import FeatureSpace
from advval.exceptions import AdvvalWarning

torch = pytest.importorskip("torch")
from advval.attacks import PGD, TorchTabularClassifier, TransferAttack  # noqa: E402


@pytest.fixture(scope="module")
def task():
    X, y = make_classification(n_samples=300, n_features=5, n_informative=4, n_redundant=0,
                               class_sep=1.0, random_state=3)
    model = LogisticRegression().fit(X[:200], y[:200])
    X_test, y_test = X[200:240], y[200:240]
    keep = model.predict(X_test) == y_test
    space = FeatureSpace.from_frame(X[:200])
    return model, X_test[keep], y_test[keep], space


def fast(model, space, **params):
    settings = dict(eps=0.8, feature_space=space, random_state=0, n_synthetic=10,
                    surrogate=TorchTabularClassifier(hidden=(32,), epochs=60, lr=1e-2))
    settings.update(params)
    return TransferAttack(model, **settings)


def test_transfer_beats_random_noise_of_the_same_size(task):
    model, X, y, space = task
    attack = fast(model, space)
    adv = attack.generate(X, y)
    domain = space.bind(X)
    assert np.all(domain.distance(adv, X, "inf") <= 0.8 + 1e-9)
    np.testing.assert_array_equal(attack.success_, model.predict(adv) != y)
    assert attack.surrogate_agreement_ > 0.9
    rng = np.random.default_rng(0)
    scale = np.asarray(domain.scale)
    noise = domain.finalize(X + rng.choice([-0.8, 0.8], size=X.shape) * scale, X, 0.8, "inf")
    random_rate = np.mean(model.predict(noise) != y)
    assert attack.success_.mean() >= random_rate + 0.3, (attack.success_.mean(), random_rate)


def test_queries_stay_within_the_budget_and_runs_repeat(task):
    model, X, y, space = task
    attack = fast(model, space, max_queries=6)
    first = attack.generate(X, y)
    # 4 synthetic rows, the row itself and the final check
    assert attack.queries_.max() == 6
    second = clone(attack).generate(X, y)
    np.testing.assert_array_equal(first, second)


def test_works_on_a_forest_with_a_dataframe_and_a_custom_white_box_attack(task):
    _, X, y, space = task
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(frame, y)
    frame_space = FeatureSpace.from_frame(frame, immutable=["f0"])
    attack = fast(forest, frame_space, eps=1.5, attack=PGD(None, steps=20, restarts=2))
    adv = attack.generate(frame, forest.predict(frame))
    assert isinstance(adv, pd.DataFrame) and (adv["f0"] == frame["f0"]).all()
    assert attack.success_.any()


def test_one_answer_cannot_train_a_surrogate(task):
    _, X, y, space = task
    constant = LogisticRegression().fit(np.r_[X, X + 100], np.r_[np.zeros(len(X)), np.ones(len(X))])
    attack = fast(constant, space, n_synthetic=2)
    with pytest.warns(AdvvalWarning, match="the target gave one answer to all"):
        adv = attack.generate(X)
    np.testing.assert_array_equal(adv, X)
    assert not attack.success_.any()


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"n_synthetic": -1}, ValueError, "The 'n_synthetic' parameter of TransferAttack must"),
        ({"spread": 0.0}, ValueError, "The 'spread' parameter of TransferAttack must be"),
        ({"attack": "pgd"}, TypeError, "The 'attack' parameter of TransferAttack must be"),
    ],
)
def test_bad_parameters(task, params, error, message):
    model, X, y, space = task
    with pytest.raises(error, match=message):
        fast(model, space, **params).generate(X, y)


def test_black_box_refinement_starts_from_the_transferred_rows():
    from advval.attacks import SquareAttack

    X, y = make_classification(n_samples=300, n_features=5, n_informative=4, n_redundant=0,
                               class_sep=1.0, random_state=3)
    space = FeatureSpace.from_frame(X[:200])
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(X[:200], y[:200])
    X, y = X[200:240], y[200:240]
    plain = fast(forest, space, eps=0.6)
    plain.generate(X, y)
    refined = fast(forest, space, eps=0.6, refine=SquareAttack(None, steps=40), max_queries=60)
    adv = refined.generate(X, y)
    assert refined.success_.sum() > plain.success_.sum()
    assert refined.queries_.max() <= 60
    assert np.all(space.bind(X).distance(adv, X, "inf") <= 0.6 + 1e-9)
    np.testing.assert_array_equal(refined.success_, forest.predict(adv) != y)
    with pytest.raises(TypeError, match="The 'refine' parameter of TransferAttack must be a"):
        fast(forest, space, refine=PGD(None)).generate(X, y)
