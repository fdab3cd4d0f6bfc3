"""The common attack checks, run on every black-box attack.

A scikit-learn Pipeline (OneHotEncoder on string / categorical / boolean columns,
StandardScaler on the numeric ones, LogisticRegression) is attacked on the raw DataFrame
columns, with immutable, integer, monotone, label-coded and one-hot constraints. Every
output must be a valid row inside the eps-ball, and the attacks must be deterministic,
leave the input alone, work on a clone and respect ``max_queries``.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from advval.attacks import (
    Box,
    FeatureSpace,
    GeneticAttack,
    HopSkipJump,
    NESAttack,
    SquareAttack,
)

CATEGORICAL = ["city", "job", "member"]
TIERS = ["g0", "g1", "g2"]
NUMERIC = ["income", "age", "kids", "debt", *TIERS]

FAST = {
    NESAttack: {"steps": 5, "n_samples": 6},
    SquareAttack: {"steps": 20},
    HopSkipJump: {"steps": 2, "init_evals": 10, "init_trials": 10},
    GeneticAttack: {"population_size": 8, "generations": 5},
}
ATTACKS = list(FAST)


def mixed_frame(n=120, seed=0):
    """Loan applicants: numeric, integer, string, categorical, boolean and one-hot columns."""
    rng = np.random.default_rng(seed)
    tier = np.eye(3, dtype=np.int64)[rng.integers(0, 3, n)]
    columns = {
        "income": rng.normal(50.0, 10.0, n),
        "age": rng.integers(18, 80, n),
        "kids": rng.integers(0, 5, n),
        "debt": rng.gamma(2.0, 3.0, n),
        "city": pd.Categorical(rng.choice(["paris", "rome", "oslo"], n)),
        "member": rng.random(n) > 0.5,
        "job": rng.choice(["a", "b"], n),
    }
    columns.update({name: tier[:, k] for k, name in enumerate(TIERS)})
    return pd.DataFrame(columns, index=np.arange(100, 100 + n))


def score(frame):
    return (
        (frame["income"].to_numpy() - 50) / 10
        - (frame["debt"].to_numpy() - 6) / 4
        + (frame["city"] == "rome").to_numpy() * 1.0
        - (frame["job"] == "b").to_numpy() * 0.8
        + (frame["member"].to_numpy() - 0.5) * 0.6
        + frame["g1"].to_numpy() * 0.7
        - (frame["kids"].to_numpy() - 2) * 0.5
    )


def target(frame):
    return (score(frame) > 0).astype(int)


class FrameModel:
    """A fast stand-in for a fitted classifier that reads raw DataFrame columns."""

    classes_ = np.array([0, 1])

    def predict_proba(self, frame):
        assert isinstance(frame, pd.DataFrame)
        p = 1 / (1 + np.exp(-2 * score(frame)))
        return np.column_stack([1 - p, p])

    def predict(self, frame):
        return self.predict_proba(frame).argmax(1)


@pytest.fixture(scope="module")
def frame():
    return mixed_frame()


@pytest.fixture(scope="module")
def space(frame):
    return FeatureSpace.from_frame(
        frame, immutable=["age"], one_hot=[["g0", "g1", "g2"]], monotone={"debt": "increase"}
    )


def pipeline(final):
    encode = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("num", StandardScaler(), NUMERIC),
        ]
    )
    return make_pipeline(encode, final)


@pytest.fixture(scope="module")
def model():
    return FrameModel()


@pytest.fixture(scope="module")
def rows(frame):
    return frame.iloc[:16]


@pytest.fixture(scope="module")
def fitted_pipeline(frame):
    return pipeline(LogisticRegression(C=10.0)).fit(frame, target(frame))


def make(attack, model, space, **params):
    settings = {"eps": 0.6, "norm": "2", "feature_space": space, "random_state": 0}
    settings.update(FAST[attack])
    settings.update(params)
    return attack(model, **settings)


@pytest.mark.parametrize(
    ("attack", "params", "expected"),
    [
        (GeneticAttack, {"population_size": 1}, r"an int in the range \[2"),
        (GeneticAttack, {"generations": 0}, r"an int in the range \[1"),
        (GeneticAttack, {"mutation_rate": 0.0}, r"a float in the range \(0, 1\]"),
        (GeneticAttack, {"mutation_rate": 2}, r"a float in the range \(0, 1\]"),
        (GeneticAttack, {"mutation_scale": -1.0}, r"a float in the range \(0"),
        (GeneticAttack, {"distance_penalty": -0.5}, r"a float in the range \[0"),
        (GeneticAttack, {"n_elite": 20}, r"an int in the range \[0, 19\]. Got 20"),
        (HopSkipJump, {"steps": 0}, r"an int in the range \[1"),
        (HopSkipJump, {"init_evals": 1}, r"an int in the range \[2"),
        (HopSkipJump, {"max_evals": 1}, r"an int in the range \[2"),
        (HopSkipJump, {"init_trials": 0}, r"an int in the range \[1"),
        (HopSkipJump, {"gamma": 0}, r"a float in the range \(0, inf\)"),
        (HopSkipJump, {"norm": "0"}, r"one of 'inf', '2'. Got '0'"),
        (NESAttack, {"steps": 0}, r"an int in the range \[1, inf\)"),
        (NESAttack, {"n_samples": 1}, r"an int in the range \[2, inf\)"),
        (NESAttack, {"sigma": 0.0}, r"a float in the range \(0, inf\)"),
        (NESAttack, {"step_size": -1}, r"a float in the range \(0"),
        (NESAttack, {"eps": None}, r"a float in the range \[0, inf\). Got None"),
        (NESAttack, {"norm": "0"}, r"one of 'inf', '2'. Got '0'"),
        (SquareAttack, {"steps": 0}, r"an int in the range \[1"),
        (SquareAttack, {"p_init": 0.0}, r"a float in the range \(0, 1\]. Got 0.0"),
        (SquareAttack, {"p_init": 1.5}, r"a float in the range \(0, 1\]. Got 1.5"),
        (SquareAttack, {"norm": "0"}, r"one of 'inf', '2'. Got '0'"),
        (SquareAttack, {"eps": -0.1}, r"a float in the range \[0, inf\)"),
        (SquareAttack, {"max_queries": 0}, r"an int in the range \[1"),
    ],
)
def test_parameters_are_checked(attack, params, expected, model, space, rows):
    name = next(iter(params))
    message = rf"The '{name}' parameter of {attack.__name__} must be {expected}"
    with pytest.raises(ValueError, match=message):
        attack(model, feature_space=space, **params).generate(rows)


@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("attack", ATTACKS)
def test_output_is_valid_rows_in_the_eps_ball(attack, norm, model, space, rows):
    before = rows.copy()
    eps = 1.2
    instance = make(attack, model, space, eps=eps, norm=norm)
    adv = instance.generate(rows)
    pd.testing.assert_frame_equal(rows, before)  # input untouched
    assert isinstance(adv, pd.DataFrame)
    assert list(adv.columns) == list(rows.columns)
    pd.testing.assert_series_equal(adv.dtypes, rows.dtypes)
    pd.testing.assert_index_equal(adv.index, rows.index)
    domain = space.bind(rows)
    size = domain.distance(domain.encode(adv), domain.encode(rows), norm)
    assert (size <= eps + 1e-6).all()
    assert (adv["age"] == rows["age"]).all()  # immutable
    if norm == "inf":  # a whole step on the integer column fits in the budget
        assert (adv["kids"] != rows["kids"]).any()
    assert (adv["debt"] >= rows["debt"]).all()  # monotone
    for name, (low, high) in space.bounds.items():
        if name not in ("g0", "g1", "g2"):
            assert adv[name].between(low, high).all(), name
    assert (adv[["g0", "g1", "g2"]].sum(axis=1) == 1).all()
    assert set(adv["job"]) <= {"a", "b"} and set(adv["city"]) <= {"oslo", "paris", "rome"}
    np.testing.assert_array_equal(instance.success_, model.predict(adv) != model.predict(rows))
    assert instance.success_.any()
    assert instance.norms_.shape == instance.queries_.shape == (len(rows),)


@pytest.mark.parametrize("attack", ATTACKS)
def test_deterministic_and_clone(attack, model, space, rows):
    first = make(attack, model, space)
    cloned = clone(first)
    assert cloned.model is model and cloned is not first
    pd.testing.assert_frame_equal(first.generate(rows), cloned.generate(rows))
    np.testing.assert_array_equal(first.queries_, cloned.queries_)


@pytest.mark.parametrize("attack", ATTACKS)
def test_eps_zero_returns_the_input(attack, model, space, rows):
    instance = make(attack, model, space, eps=0)
    pd.testing.assert_frame_equal(instance.generate(rows), rows)
    assert not instance.success_.any()
    assert (instance.norms_ == 0).all()


@pytest.mark.parametrize("budget", [2, 3, 17])
@pytest.mark.parametrize("attack", ATTACKS)
def test_max_queries_is_a_hard_budget(attack, budget, model, space, rows):
    instance = make(attack, model, space, eps=1.5, max_queries=budget)
    adv = instance.generate(rows)
    assert instance.queries_.max() <= budget
    domain = space.bind(rows)
    assert (domain.distance(domain.encode(adv), domain.encode(rows), "2") <= 1.5 + 1e-6).all()


@pytest.mark.parametrize("attack", ATTACKS)
def test_already_misclassified_rows_are_not_attacked(attack, model, space, rows):
    wrong = 1 - model.predict(rows)
    instance = make(attack, model, space)
    adv = instance.generate(rows, wrong)
    pd.testing.assert_frame_equal(adv, rows)
    assert instance.success_.all()
    assert (instance.queries_ == 2).all()  # the first look and the final check


@pytest.mark.parametrize("attack", ATTACKS)
def test_sklearn_pipeline_on_raw_columns(attack, fitted_pipeline, space, rows):
    model = fitted_pipeline  # every query decodes rows and runs the whole pipeline
    rows = rows.iloc[:8]
    instance = make(attack, model, space, eps=1.5)
    adv = instance.generate(rows)
    pd.testing.assert_series_equal(adv.dtypes, rows.dtypes)
    assert set(adv["job"]) <= {"a", "b"} and (adv["age"] == rows["age"]).all()
    np.testing.assert_array_equal(instance.success_, model.predict(adv) != model.predict(rows))
    assert instance.success_.mean() >= 0.25


def test_predict_only_model_works_with_hopskipjump_only(frame, space, rows):
    model = pipeline(LinearSVC()).fit(frame, target(frame))
    rows = rows.iloc[:8]
    attack = make(HopSkipJump, model, space, eps=None, steps=2)
    adv = attack.generate(rows)
    assert attack.success_.mean() > 0.9
    np.testing.assert_array_equal(attack.success_, model.predict(adv) != model.predict(rows))
    for other in (NESAttack, SquareAttack, GeneticAttack):
        with pytest.raises(TypeError, match=f"{other.__name__} needs class scores, but Pipeline"):
            make(other, model, space).generate(rows)


def one_hot_data(n=200, seed=1):
    """Numeric array: two numeric columns, a label-coded column, a one-hot group of 3."""
    rng = np.random.RandomState(seed)
    numeric = rng.normal(size=(n, 2))
    code = rng.randint(0, 4, n)
    group = np.eye(3)[rng.randint(0, 3, n)]
    X = np.column_stack([numeric, code, group])
    y = (numeric[:, 0] - numeric[:, 1] + 0.6 * (code == 2) + 0.8 * group[:, 0] > 0.3).astype(int)
    space = FeatureSpace(
        feature_names=["a", "b", "code", "g0", "g1", "g2"],
        bounds={"a": (-3, 3), "b": (-3, 3)},
        categorical={"code": [0.0, 1.0, 2.0, 3.0]},
        one_hot=[["g0", "g1", "g2"]],
    )
    return X, y, space


@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("attack", ATTACKS)
def test_numpy_rows_with_label_codes_and_one_hot_groups(attack, norm):
    X, y, space = one_hot_data()
    model = LogisticRegression().fit(X, y)
    rows = X[:20]
    instance = make(attack, model, space, eps=1.5, norm=norm)
    adv = instance.generate(rows)
    assert adv.dtype == rows.dtype and adv.shape == rows.shape
    assert set(np.unique(adv[:, 2])) <= {0.0, 1.0, 2.0, 3.0}
    assert (adv[:, 3:].sum(1) == 1).all() and set(np.unique(adv[:, 3:])) <= {0.0, 1.0}
    assert (np.abs(adv[:, :2]) <= 3).all()
    domain = space.bind(rows)
    assert (domain.distance(adv, rows, norm) <= 1.5 + 1e-6).all()
    assert instance.success_.mean() > 0.3


def brightness_model(images):
    """A callable 'CNN': class 1 when the top-left quadrant is brighter than the rest."""
    x = np.asarray(images)
    top = x[:, :, :4, :4].mean((1, 2, 3))
    p = 1 / (1 + np.exp(-40 * (top - x.mean((1, 2, 3)))))
    return np.column_stack([1 - p, p])


IMAGE_SETTINGS = {
    NESAttack: {"steps": 30, "n_samples": 20},
    SquareAttack: {"steps": 300, "p_init": 0.1},
    HopSkipJump: {"steps": 10, "init_evals": 30},
    GeneticAttack: {"generations": 100, "population_size": 10},
}


@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("attack", ATTACKS)
def test_images_stay_in_the_pixel_box_and_the_eps_ball(attack, norm):
    rng = np.random.RandomState(0)
    images = rng.uniform(0.3, 0.7, size=(10, 3, 8, 8))
    images[:, :, :4, :4] += np.where(np.arange(10) < 5, 0.04, -0.04)[:, None, None, None]
    images[0, 0, 0, 0] = 1.0  # a pixel at the box's edge
    eps = 0.1 if norm == "inf" else 2.0
    before = images.copy()
    instance = attack(brightness_model, eps=eps, norm=norm, feature_space=Box(0.0, 1.0),
                      random_state=0, **IMAGE_SETTINGS[attack])
    adv = instance.generate(images)
    np.testing.assert_array_equal(images, before)
    assert adv.shape == images.shape and adv.min() >= 0 and adv.max() <= 1
    size = np.abs(adv - images).reshape(10, -1)
    assert (size.max(1) if norm == "inf" else np.sqrt((size**2).sum(1))).max() <= eps + 1e-9
    assert instance.success_.mean() >= 0.8
