"""The Attack template method and the counted query oracle."""

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from advval.attacks import Attack, FeatureSpace, QueryBudgetError
from advval.attacks._oracle import QueryOracle, label_indices, model_kind
from advval.attacks._space import Box


class PushAttack(Attack):
    """Moves every feature by eps standard units along ``direction`` (a test double)."""

    norms = ("inf", "2", "0")

    def __init__(self, model, *, eps=0.5, norm="inf", targeted=False, feature_space=None,
                 bounds=None, max_queries=None, random_state=None, direction=1.0):
        self.model = model
        self.eps = eps
        self.norm = norm
        self.targeted = targeted
        self.feature_space = feature_space
        self.bounds = bounds
        self.max_queries = max_queries
        self.random_state = random_state
        self.direction = direction

    def _generate(self, z0, labels, domain, oracle, rng):
        oracle.scores(z0, np.arange(len(z0)))  # one counted query per sample
        return z0 + self.direction * 10.0 * np.asarray(domain.scale)


@pytest.fixture(scope="module")
def fitted():
    X, y = make_classification(n_samples=120, n_features=4, n_informative=3, n_redundant=0,
                               random_state=0)
    return X, y, LogisticRegression().fit(X, y)


def test_generate_sets_success_queries_and_norms(fitted):
    X, y, model = fitted
    attack = PushAttack(model, eps=0.5)
    out = attack.generate(X, y)
    assert out.shape == X.shape and out.dtype == X.dtype
    np.testing.assert_array_equal(attack.success_, model.predict(out) != y)
    # 1 label query (none: y given) + 1 in _generate + 1 verification
    np.testing.assert_array_equal(attack.queries_, np.full(len(X), 2))
    np.testing.assert_allclose(attack.norms_, 0.5)


def test_labels_default_to_the_models_predictions(fitted):
    X, _, model = fitted
    attack = PushAttack(model, eps=0.5)
    attack.generate(X)
    np.testing.assert_array_equal(attack.queries_, np.full(len(X), 3))


def test_targeted_success_means_reaching_the_target(fitted):
    X, y, model = fitted
    target = 1 - model.predict(X)
    attack = PushAttack(model, eps=3.0, targeted=True)
    out = attack.generate(X, target)
    np.testing.assert_array_equal(attack.success_, model.predict(out) == target)
    with pytest.raises(ValueError, match="PushAttack with targeted=True needs the target labels"):
        attack.generate(X)


def test_eps_zero_returns_the_input_and_input_is_not_modified(fitted):
    X, y, model = fitted
    before = X.copy()
    out = PushAttack(model, eps=0).generate(X, y)
    np.testing.assert_array_equal(out, X)
    np.testing.assert_array_equal(X, before)


def test_dataframe_in_dataframe_out(fitted):
    X, y, _ = fitted
    frame = pd.DataFrame(X, columns=list("abcd"), index=np.arange(500, 620))
    frame["n"] = np.arange(len(frame)) % 7
    frame["c"] = np.where(X[:, 0] > 0, "hi", "lo")
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1, n_jobs=1).fit(
        frame.assign(c=frame["c"].astype("category")), y
    )
    framed = frame.assign(c=frame["c"].astype("category"))
    space = FeatureSpace.from_frame(framed, immutable=["a"])
    before = framed.copy()
    out = PushAttack(model, eps=0.3, feature_space=space).generate(framed, y)
    pd.testing.assert_frame_equal(framed, before)
    assert list(out.dtypes) == list(framed.dtypes)
    assert out.index.equals(framed.index)
    assert (out["a"] == framed["a"]).all()
    assert set(out["c"]) <= {"hi", "lo"}


def test_clone_shares_the_model_and_copies_settings(fitted):
    _, _, model = fitted
    attack = PushAttack(model, eps=0.25, direction=-1.0)
    copy = clone(attack)
    assert copy.model is model
    assert copy.get_params()["eps"] == 0.25 and copy.direction == -1.0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"eps": -0.1}, r"The 'eps' parameter of PushAttack must be a float in the range \[0, inf"),
        ({"eps": None}, r"The 'eps' parameter of PushAttack must be a float in the range"),
        ({"norm": "l1"}, r"The 'norm' parameter of PushAttack must be one of 'inf', '2', '0'"),
        ({"norm": 0, "eps": 1.5}, r"counts changed features under norm='0'"),
        ({"max_queries": 0}, r"The 'max_queries' parameter of PushAttack must be an int"),
        ({"targeted": "yes"}, r"The 'targeted' parameter of PushAttack must be a bool"),
        ({"bounds": (0, 1), "feature_space": FeatureSpace()}, "either 'feature_space' or"),
    ],
)
def test_bad_parameters_are_named(fitted, params, message):
    X, y, model = fitted
    with pytest.raises(ValueError, match=message):
        PushAttack(model, **params).generate(X, y)


def test_bad_labels_and_data(fitted):
    X, y, model = fitted
    with pytest.raises(ValueError, match="y has 3 labels but X has 120 samples"):
        PushAttack(model).generate(X, y[:3])
    with pytest.raises(ValueError, match="y contains the label 7, which the model does not"):
        PushAttack(model).generate(X, np.full(len(X), 7))
    with pytest.raises(ValueError, match="PushAttack.generate got 0 samples"):
        PushAttack(model).generate(X[:0])


def test_score_based_attacks_refuse_label_only_models(fitted):
    X, y, _ = fitted
    svc = LinearSVC().fit(X, y)
    with pytest.raises(TypeError, match="PushAttack needs class scores, but LinearSVC has no"):
        PushAttack(svc).generate(X, y)


def test_oracle_counts_and_enforces_the_budget(fitted):
    X, _, model = fitted
    oracle = QueryOracle(model, Box().bind(X), X, n_samples=len(X), max_queries=3)
    rows = np.array([0, 0, 1])
    oracle.scores(X[rows], rows)
    assert oracle.queries[:3].tolist() == [2, 1, 0]
    np.testing.assert_array_equal(oracle.remaining(np.array([0, 1, 2])), [1, 2, 3])
    with pytest.raises(QueryBudgetError, match="Sample 0 would be queried 4 times, over"):
        oracle.scores(X[[0, 0]], np.array([0, 0]))
    assert oracle.queries[0] == 2  # a refused call counts nothing


def test_oracle_reads_boosters_binary_and_multiclass():
    X, y = make_classification(n_samples=150, n_features=5, n_informative=4, n_redundant=0,
                               n_classes=3, random_state=1)
    for labels, n_classes in ((y % 2, 2), (y, 3)):
        clf = lgb.LGBMClassifier(n_estimators=10, verbose=-1, n_jobs=1).fit(X, labels)
        oracle = QueryOracle(clf.booster_, Box().bind(X), X, n_samples=len(X))
        assert model_kind(clf.booster_) == "booster"
        assert oracle.n_classes == n_classes
        np.testing.assert_allclose(oracle.scores(X, np.arange(len(X))), clf.predict_proba(X))


def test_oracle_on_a_torch_single_logit_model():
    torch = pytest.importorskip("torch")
    module = torch.nn.Linear(3, 1).double()
    with torch.no_grad():
        module.weight.copy_(torch.tensor([[1.0, -2.0, 0.5]]))
        module.bias.zero_()
    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    attack = PushAttack(module, eps=0.0)
    out = attack.generate(torch.tensor(X))
    assert out.dtype == torch.float64
    oracle = QueryOracle(module, Box().bind(X), X, n_samples=2)
    proba = oracle.scores(X, np.arange(2))
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-np.array([1.0, -2.0]))))


def test_label_indices_and_model_kind_errors():
    assert label_indices(np.array([2, 0]), np.array([0, 2])).tolist() == [1, 0]
    with pytest.raises(ValueError, match="y must be 1-D"):
        label_indices(np.zeros((2, 2)), np.array([0, 1]))
    with pytest.raises(TypeError, match="Cannot attack a str"):
        model_kind("model")
    with pytest.raises(ValueError, match="LogisticRegression has no 'classes_': fit the model"):
        PushAttack(LogisticRegression()).generate(np.zeros((2, 2)))


def test_budget_must_cover_labels_and_check_without_y(fitted):
    X, y, model = fitted
    with pytest.raises(ValueError, match="max_queries must be at least 2. Got 1 instead"):
        PushAttack(model, max_queries=1).generate(X)
