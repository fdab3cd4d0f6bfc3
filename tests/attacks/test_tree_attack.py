"""TreeAttack: strength on known truths, the common attack invariants, verification."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from advval.attacks import FeatureSpace, TreeAttack

# -- shared fixtures -----------------------------------------------------------------------





@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=60, random_state=0)
    space = FeatureSpace.from_frame(X_train)
    return X_train, y_train, X_test, space


@pytest.fixture(scope="module")
def cancer_lgbm(cancer):
    X_train, y_train, _, _ = cancer
    return lgb.LGBMClassifier(n_estimators=100, n_jobs=1, verbose=-1, random_state=0).fit(
        X_train, y_train
    )


@pytest.fixture(scope="module")
def cancer_forest(cancer):
    X_train, y_train, _, _ = cancer
    return RandomForestClassifier(n_estimators=50, random_state=0).fit(X_train, y_train)


def _stump(threshold: float = 1.5):
    X = np.array([[0.0, 0.0], [1.0, 5.0], [2.0, 3.0], [3.0, 1.0]])
    X[:, 0] = X[:, 0] * threshold / 1.5
    y = np.array([0, 0, 1, 1])
    return DecisionTreeClassifier(max_depth=1).fit(X, y), X


# -- strength -------------------------------------------------------------------------------


@pytest.mark.parametrize("norm", ["inf", "2", "0"])
def test_stump_minimal_perturbation_is_the_distance_to_the_threshold(norm):
    model, X = _stump()
    threshold = model.tree_.threshold[0]
    space = FeatureSpace(scale=[0.5, 1.0])
    attack = TreeAttack(model, norm=norm, feature_space=space)
    X_adv = attack.generate(X)
    assert attack.success_.all()
    np.testing.assert_array_equal(X_adv[:, 1], X[:, 1])  # the stump never reads it
    expected = np.abs(X[:, 0] - threshold) / 0.5 if norm != "0" else np.ones(4)
    np.testing.assert_allclose(attack.norms_, expected, rtol=1e-6)
    # just across: float32 rounding keeps the crossing on the right side of "<="
    below = X[:, 0] <= threshold
    assert np.all(np.float32(X_adv[below, 0]) > threshold)
    assert np.all(np.float32(X_adv[~below, 0]) <= threshold)
    np.testing.assert_array_equal(model.predict(X_adv), 1 - model.predict(X))


def test_stump_on_an_integer_feature_moves_to_the_next_whole_number():
    model, X = _stump(threshold=1.5)
    space = FeatureSpace(integer=[0])
    X_adv = TreeAttack(model, feature_space=space).generate(X)
    np.testing.assert_array_equal(X_adv[:, 0], [2.0, 2.0, 1.0, 1.0])


def test_stump_budget_decides_success_exactly():
    model, X = _stump()
    gap = np.abs(X[:, 0] - model.tree_.threshold[0])  # 1.5, 0.5, 0.5, 1.5
    attack = TreeAttack(model, eps=1.0, bounds=(-10, 10))
    X_adv = attack.generate(X)
    np.testing.assert_array_equal(attack.success_, gap < 1.0)
    np.testing.assert_array_equal(X_adv[gap > 1.0], X[gap > 1.0])
    assert np.all(attack.norms_ <= 1.0 + 1e-6)


@pytest.mark.parametrize("which", ["lgbm", "forest"])
def test_breast_cancer_every_point_flips_with_a_small_perturbation(
    which, cancer, cancer_lgbm, cancer_forest
):
    _, _, X_test, space = cancer
    model = cancer_lgbm if which == "lgbm" else cancer_forest
    attack = TreeAttack(model, feature_space=space, random_state=0)
    X_adv = attack.generate(X_test)
    assert attack.success_.all()
    assert np.all(model.predict(X_adv) != model.predict(X_test))  # the model's own word
    distance = space.bind(X_test).distance(X_adv, X_test, "inf")
    np.testing.assert_allclose(attack.norms_, distance)
    median = float(np.median(attack.norms_))
    print(f"{which}: median L-inf perturbation {median:.3f} std units")
    assert median < 0.8
    assert attack.queries_.max() <= 2  # the label query and one verification


def test_samples_the_search_cannot_flip_start_from_other_rows(cancer, cancer_forest):
    _, _, X_test, space = cancer
    short = TreeAttack(cancer_forest, feature_space=space, max_moves=1, random_state=0)
    X_adv = short.generate(X_test[:20])
    assert short.success_.all()  # one move flips few points: the rest start from a donor row
    assert np.all(cancer_forest.predict(X_adv) != cancer_forest.predict(X_test[:20]))
    unrefined = TreeAttack(cancer_forest, feature_space=space, max_moves=1, refine=False,
                           random_state=0)
    unrefined.generate(X_test[:20])
    assert unrefined.success_.all()
    assert np.all(short.norms_ <= unrefined.norms_ + 1e-12)
    assert np.mean(short.norms_) < np.mean(unrefined.norms_)


@pytest.mark.parametrize("norm", ["2", "0"])
def test_breast_cancer_other_norms(norm, cancer, cancer_lgbm):
    _, _, X_test, space = cancer
    attack = TreeAttack(cancer_lgbm, norm=norm, feature_space=space, random_state=0)
    X_adv = attack.generate(X_test[:20])
    assert attack.success_.all()
    assert np.all(cancer_lgbm.predict(X_adv) != cancer_lgbm.predict(X_test[:20]))
    if norm == "0":
        np.testing.assert_array_equal(attack.norms_, (X_adv != X_test[:20]).sum(1))
        assert np.median(attack.norms_) <= 3


def test_budget_is_respected_and_success_only_where_possible(cancer, cancer_forest):
    _, _, X_test, space = cancer
    free = TreeAttack(cancer_forest, feature_space=space, random_state=0)
    free.generate(X_test[:30])
    eps = float(np.median(free.norms_))
    bounded = TreeAttack(cancer_forest, eps=eps, feature_space=space, random_state=0)
    X_adv = bounded.generate(X_test[:30])
    distance = space.bind(X_test[:30]).distance(X_adv, X_test[:30], "inf")
    assert np.all(distance <= eps + 1e-6)
    flipped = cancer_forest.predict(X_adv) != cancer_forest.predict(X_test[:30])
    np.testing.assert_array_equal(bounded.success_, flipped)
    # every point the unbounded search flipped within eps is flipped again
    assert bounded.success_[free.norms_ <= eps].all()
    np.testing.assert_array_equal(X_adv[~bounded.success_], X_test[:30][~bounded.success_])


@pytest.mark.parametrize(
    "model",
    [
        GradientBoostingClassifier(n_estimators=20, random_state=0),
        HistGradientBoostingClassifier(max_iter=20, random_state=0),
    ],
    ids=lambda m: type(m).__name__,
)
def test_other_boosting_models_flip(model, cancer):
    X_train, y_train, X_test, space = cancer
    model.fit(X_train, y_train)
    attack = TreeAttack(model, feature_space=space)
    X_adv = attack.generate(X_test[:15])
    assert attack.success_.all()
    assert np.all(model.predict(X_adv) != model.predict(X_test[:15]))


def test_multiclass_targeted_reaches_the_target():
    X, y = load_iris(return_X_y=True)
    model = lgb.LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1, min_child_samples=5)
    model.fit(X, y)
    target = (model.predict(X[::10]) + 1) % 3
    attack = TreeAttack(model, targeted=True)
    X_adv = attack.generate(X[::10], target)
    assert attack.success_.mean() > 0.9
    np.testing.assert_array_equal(model.predict(X_adv)[attack.success_], target[attack.success_])


def test_booster_and_string_labels():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, names)
    attack = TreeAttack(forest)
    X_adv = attack.generate(X[::15], names[::15])
    assert attack.success_.all()
    assert np.all(forest.predict(X_adv) != names[::15])
    booster = lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1,
                         "num_threads": 1, "min_data_in_leaf": 5}, lgb.Dataset(X, y), 10)
    attack = TreeAttack(booster)
    X_adv = attack.generate(X[::15])
    assert attack.success_.all()
    assert np.all(booster.predict(X_adv).argmax(1) != booster.predict(X[::15]).argmax(1))


# -- constraints ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table():
    rng = np.random.RandomState(0)
    n = 400
    frame = pd.DataFrame(
        {
            "age": rng.randint(18, 80, n),
            "income": rng.gamma(2.0, 20_000, n),
            "debt": rng.gamma(2.0, 5_000, n),
            "city": rng.choice(["paris", "rome", "oslo"], n),
            "visits": rng.poisson(3, n).astype(np.int64),
            "score": rng.randn(n).astype(np.float32),
        },
        index=pd.RangeIndex(100, 100 + n),
    )
    logit = (
        (frame["income"] - 40_000) / 20_000 - (frame["debt"] - 10_000) / 5_000
        + 0.5 * (frame["city"] == "rome") + 0.3 * frame["visits"] - 0.02 * frame["age"]
        + frame["score"]
    )
    y = (logit + rng.logistic(size=n) * 0.3 > 0).astype(int)
    coded = frame.assign(city=frame["city"].map({"oslo": 0, "paris": 1, "rome": 2}))
    model = lgb.LGBMClassifier(n_estimators=40, n_jobs=1, verbose=-1, random_state=0)
    model.fit(coded, y)
    return coded, model


def test_constraints_and_dataframe_round_trip(table):
    frame, model = table
    X = frame.iloc[:40]
    before = X.copy()
    space = FeatureSpace.from_frame(
        frame, immutable=["age"], categorical=["city"], monotone={"debt": "increase"},
        categorical_distance=0.1,
    )
    attack = TreeAttack(model, feature_space=space, random_state=0)
    X_adv = attack.generate(X)
    pd.testing.assert_frame_equal(X, before)  # input untouched
    assert isinstance(X_adv, pd.DataFrame)
    assert list(X_adv.dtypes) == list(X.dtypes)
    pd.testing.assert_index_equal(X_adv.index, X.index)
    np.testing.assert_array_equal(X_adv["age"], X["age"])
    assert np.all(X_adv["debt"] >= X["debt"])
    assert set(X_adv["city"]) <= {0, 1, 2}
    assert np.all(X_adv["visits"] == np.round(X_adv["visits"]))
    lower, upper = frame.min(), frame.max()
    for column in ["income", "debt", "visits", "score"]:
        assert np.all((X_adv[column] >= np.minimum(lower[column], X[column]))
                      & (X_adv[column] <= np.maximum(upper[column], X[column])))
    assert attack.success_.mean() > 0.9
    flipped = model.predict(X_adv) != model.predict(X)
    np.testing.assert_array_equal(attack.success_, flipped)
    assert np.any(X_adv["city"] != X["city"])  # categories are moves too


def test_pandas_category_column_with_lightgbm():
    rng = np.random.RandomState(3)
    frame = pd.DataFrame({"x": rng.randn(300),
                          "city": pd.Categorical(rng.choice(["a", "b", "c"], 300))})
    y = ((frame["city"] == "b") ^ (frame["x"] > 1.0)).astype(int)
    model = lgb.LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1, min_child_samples=5)
    model.fit(frame, y)
    X = frame.iloc[:20]
    space = FeatureSpace.from_frame(frame, categorical_distance=0.5)
    attack = TreeAttack(model, feature_space=space)
    X_adv = attack.generate(X)
    assert X_adv["city"].dtype == X["city"].dtype
    assert attack.success_.all()
    assert np.all(model.predict(X_adv) != model.predict(X))
    # switching the city (cost 0.5) beats moving x by more than half a std
    assert np.all(attack.norms_ <= 0.5 + 1e-9)


def test_one_hot_group_stays_one_hot():
    rng = np.random.RandomState(4)
    n = 300
    colour = rng.randint(0, 3, n)
    X = np.column_stack([rng.randn(n), np.eye(3)[colour]])
    y = ((colour == 1) ^ (X[:, 0] > 1.2)).astype(int)
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    space = FeatureSpace(one_hot=[[1, 2, 3]], bounds=(-5, 5))
    attack = TreeAttack(model, feature_space=space, norm="0")
    X_adv = attack.generate(X[:30])
    assert attack.success_.all()
    np.testing.assert_array_equal(X_adv[:, 1:].sum(1), 1.0)
    assert set(np.unique(X_adv[:, 1:])) <= {0.0, 1.0}
    assert np.all(attack.norms_ == 1)


def test_missing_values_are_never_changed():
    rng = np.random.RandomState(5)
    X = rng.randn(300, 3)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    X[rng.rand(300, 3) < 0.2] = np.nan
    model = lgb.LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1).fit(X, y)
    attack = TreeAttack(model, bounds=(-4, 4))
    X_adv = attack.generate(X[:50])
    np.testing.assert_array_equal(np.isnan(X_adv), np.isnan(X[:50]))
    assert attack.success_.mean() > 0.8
    assert np.all(model.predict(X_adv)[attack.success_] != model.predict(X[:50])[attack.success_])


# -- the common invariants ------------------------------------------------------------------


def test_deterministic_clone_and_eps_zero(cancer, cancer_forest):
    _, _, X_test, space = cancer
    X = X_test[:10]
    first = TreeAttack(cancer_forest, feature_space=space, random_state=3).generate(X)
    again = clone(TreeAttack(cancer_forest, feature_space=space, random_state=3)).generate(X)
    np.testing.assert_array_equal(first, again)
    zero = TreeAttack(cancer_forest, eps=0, feature_space=space)
    np.testing.assert_array_equal(zero.generate(X), X)
    assert not zero.success_.any()


def test_max_queries_is_never_exceeded(cancer, cancer_lgbm):
    _, _, X_test, space = cancer
    attack = TreeAttack(cancer_lgbm, feature_space=space, max_queries=1)
    X_adv = attack.generate(X_test[:10], cancer_lgbm.predict(X_test[:10]))
    assert attack.queries_.max() <= 1
    assert attack.success_.all()
    assert np.all(cancer_lgbm.predict(X_adv) != cancer_lgbm.predict(X_test[:10]))


# -- verification ---------------------------------------------------------------------------


class _Shifted(TreeAttack):
    """A TreeAttack whose parsed thresholds are slightly off (as if a library rounded)."""

    shift = 0.0

    def _check_params(self):
        norm = super()._check_params()
        inner = ~self._ensemble.leaf
        self._ensemble.threshold[inner] -= self.shift * np.abs(self._ensemble.threshold[inner])
        self._ensemble.__post_init__()
        return norm


def test_disagreement_with_the_model_is_nudged_then_verified():
    model, X = _stump()
    attack = _Shifted(model, feature_space=FeatureSpace(scale=[0.5, 1.0]))
    attack.shift = 1e-7  # a few float32 steps: the crossing lands short of the threshold
    X_adv = attack.generate(X[:2])
    assert attack.success_.all()
    assert np.all(model.predict(X_adv) == 1)
    assert np.all(attack.queries_ > 2)  # the failed check and the nudged one


def test_claims_the_model_rejects_are_reported_as_failures():
    model, X = _stump()
    attack = _Shifted(model, feature_space=FeatureSpace(scale=[0.5, 1.0]))
    attack.shift = 0.2  # far off: nudging cannot reach the real threshold
    X_adv = attack.generate(X[:2])
    assert not attack.success_.any()
    np.testing.assert_array_equal(X_adv, X[:2])
    np.testing.assert_array_equal(attack.norms_, 0.0)


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"beam_width": 0}, "The 'beam_width' parameter of TreeAttack must be an int in the "
                            r"range \[1, inf\). Got 0 instead."),
        ({"max_moves": 1.5}, "The 'max_moves' parameter of TreeAttack must be an int"),
        ({"max_crossings": -1}, "The 'max_crossings' parameter of TreeAttack must be an int"),
        ({"refine": "yes"}, "The 'refine' parameter of TreeAttack must be a bool. Got 'yes'"),
        ({"norm": "1"}, "The 'norm' parameter of TreeAttack must be one of 'inf', '2', '0'"),
        ({"eps": -1.0}, "The 'eps' parameter of TreeAttack must be a float"),
    ],
)
def test_parameter_errors(params, message):
    model, X = _stump()
    with pytest.raises(ValueError, match=message):
        TreeAttack(model, **params).generate(X)


def test_data_errors():
    model, X = _stump()
    with pytest.raises(ValueError, match="X has 3 features but the model reads 2"):
        TreeAttack(model).generate(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="TreeAttack attacks tables"):
        TreeAttack(model).generate(np.zeros((2, 2, 2)))
