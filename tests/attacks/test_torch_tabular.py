"""TorchTabularClassifier: a scikit-learn MLP for tables, and a white-box attack target."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from advval.attacks import FeatureSpace

torch = pytest.importorskip("torch")

from advval.attacks.gradient import (  # noqa: E402
    FGSM,
    PGD,
    CarliniWagnerL2,
    DeepFool,
    TorchTabularClassifier,
)


def mixed_frame(n=160, seed=0):
    """Numeric, integer, text, category and boolean columns; the label depends on all."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "income": rng.normal(50_000, 15_000, n),
            "age": rng.integers(18, 80, n),
            "city": rng.choice(["paris", "lyon", "nice"], n),
            "plan": pd.Categorical(rng.choice(["basic", "pro"], n)),
            "member": rng.random(n) < 0.4,
        },
        index=np.arange(1000, 1000 + n),
    )
    score = (
        (frame["income"] - 50_000) / 15_000
        + 0.04 * (frame["age"] - 50)
        + frame["city"].map({"paris": 1.0, "lyon": -0.5, "nice": 0.0})
        + np.where(frame["plan"] == "pro", 0.8, -0.2)
        + 0.5 * frame["member"]
    )
    y = np.where(score > 0.2, "churn", "stay")
    return frame, y


@pytest.fixture(scope="module")
def fitted():
    X, y = mixed_frame()
    model = TorchTabularClassifier(hidden=(32,), epochs=60, lr=0.01, random_state=0)
    return model.fit(X, y), X, y


def test_fits_a_mixed_frame(fitted):
    model, X, y = fitted
    assert list(model.classes_) == ["churn", "stay"]
    assert model.n_features_in_ == 5
    assert list(model.feature_names_in_) == list(X.columns)
    assert model.feature_space_.categorical == {
        "city": ["lyon", "nice", "paris"],
        "plan": ["basic", "pro"],
        "member": [False, True],
    }
    assert model.feature_space_.integer == ["age"]
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert model.score(X, y) > 0.9
    assert len(model.loss_curve_) == 60 and model.loss_curve_[-1] < model.loss_curve_[0]


def test_module_reads_the_feature_space_encoding(fitted):
    model, X, _ = fitted
    module = model.module_
    assert not module.training
    assert all(p.dtype == torch.float64 and p.grad is None for p in module.parameters())
    codes = model.feature_space_.bind(X).encode(X)
    assert set(np.unique(codes[:, 2])) == {0.0, 1.0, 2.0}  # city as codes
    with torch.no_grad():
        logits = module(torch.tensor(codes))
    np.testing.assert_allclose(logits.softmax(1).numpy(), model.predict_proba(X), rtol=1e-12)
    # numeric columns are standardized inside: the first layer holds their statistics
    np.testing.assert_allclose(module.mean.numpy(), X[["income", "age"]].mean(), rtol=1e-12)


def test_deterministic_and_local_randomness():
    X, y = mixed_frame(60)
    state = torch.random.get_rng_state()
    params = {"hidden": (8,), "epochs": 5}
    first = TorchTabularClassifier(random_state=3, **params).fit(X, y).predict_proba(X)
    second = TorchTabularClassifier(random_state=3, **params).fit(X, y).predict_proba(X)
    other = TorchTabularClassifier(random_state=4, **params).fit(X, y).predict_proba(X)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global generator is untouched
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(first, other)


def test_arrays_pipeline_clone_and_grid_search():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 4)) * [1.0, 100.0, 0.01, 5.0]
    y = (X[:, 0] + X[:, 1] / 100 > 0).astype(int)
    pipe = make_pipeline(StandardScaler(), TorchTabularClassifier(hidden=(8,), epochs=40,
                                                                  lr=0.02, random_state=0))
    assert clone(pipe).fit(X, y).score(X, y) > 0.9
    search = GridSearchCV(
        pipe, {"torchtabularclassifier__hidden": [(4,), (8,)]}, cv=2
    ).fit(X, y)
    assert search.best_params_["torchtabularclassifier__hidden"] in [(4,), (8,)]
    model = TorchTabularClassifier(hidden=(8,), epochs=40, lr=0.02, random_state=0).fit(X, y)
    assert not hasattr(model, "feature_names_in_")
    assert model.feature_space_.feature_names == ["0", "1", "2", "3"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"hidden": (8, 0)}, r"The 'hidden' parameter of TorchTabularClassifier must be a tuple"),
        ({"hidden": 8}, r"The 'hidden' parameter of TorchTabularClassifier must be a tuple"),
        ({"epochs": 0}, r"The 'epochs' parameter of TorchTabularClassifier must be an int"),
        ({"batch_size": 2.5}, r"The 'batch_size' parameter of TorchTabularClassifier"),
        ({"lr": 0.0}, r"The 'lr' parameter of TorchTabularClassifier must be a float in the "
                      r"range \(0, inf\)"),
        ({"weight_decay": -1.0}, r"The 'weight_decay' parameter of TorchTabularClassifier"),
        ({"device": "nowhere"}, r"The 'device' parameter of TorchTabularClassifier must be a "
                                r"torch device"),
    ],
)
def test_parameter_errors(params, message):
    X, y = mixed_frame(20)
    with pytest.raises(ValueError, match=message):
        TorchTabularClassifier(**params).fit(X, y)


def test_data_errors():
    X, y = mixed_frame(20)
    model = TorchTabularClassifier(epochs=1)
    with pytest.raises(NotFittedError):
        model.predict(X)
    with pytest.raises(ValueError, match="needs at least 2 classes in y; got 1 class"):
        model.fit(X, np.full(len(X), "stay"))
    with pytest.raises(ValueError, match="requires y to be passed"):
        model.fit(X, None)
    with pytest.raises(ValueError, match="X has 20 samples but y has 19"):
        model.fit(X, y[:-1])
    missing = X.copy()
    missing.loc[missing.index[0], "income"] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN or infinity"):
        model.fit(missing, y)
    model.fit(X, y)
    unseen = X.copy()
    unseen.loc[unseen.index[0], "city"] = "lille"
    with pytest.raises(ValueError, match="Column 'city' has the value 'lille'"):
        model.predict(unseen)


# -- attacking it ----------------------------------------------------------------------


ATTACKS = [
    (FGSM, {"eps": 0.5}),
    (PGD, {"eps": 0.5, "steps": 10, "random_state": 0}),
    (CarliniWagnerL2, {"steps": 30, "binary_search_steps": 4, "lr": 0.1}),
    (DeepFool, {"steps": 20}),
]


@pytest.mark.parametrize(("klass", "params"), ATTACKS)
def test_attacks_differentiate_through_the_model(klass, params, fitted):
    model, X, y = fitted
    before = X.copy()
    attack = klass(model, **params)
    out = attack.generate(X, y)
    pd.testing.assert_frame_equal(X, before)
    assert list(out.dtypes) == list(X.dtypes) and out.index.equals(X.index)
    for column in ("city", "plan", "member"):  # label-coded: frozen for gradients
        pd.testing.assert_series_equal(out[column], X[column])
    assert (out["age"] == np.round(out["age"])).all()
    np.testing.assert_array_equal(attack.success_, model.predict(out) != y)
    assert attack.success_.mean() > 0.3
    moved = (out["income"] != X["income"]) | (out["age"] != X["age"])
    assert moved[attack.success_].all()
    domain = model.feature_space_.bind(X)
    sizes = domain.distance(domain.encode(out), domain.encode(X), attack._norm())
    np.testing.assert_allclose(attack.norms_, sizes, atol=1e-9)
    if attack.eps is not None:
        assert (sizes <= attack.eps + 1e-9).all()


def test_a_feature_space_from_the_training_data_is_accepted(fitted):
    model, X, y = fitted
    space = FeatureSpace.from_frame(X, immutable=["age"])
    out = PGD(model, eps=0.5, feature_space=space, random_state=0).generate(X, y)
    assert (out["age"] == X["age"]).all()
    bounded = PGD(model, eps=0.5, bounds=(0, 60_000), random_state=0).generate(X, y)
    assert (bounded["income"] <= np.maximum(60_000, X["income"])).all()


def test_a_feature_space_with_other_categories_is_refused(fitted):
    model, X, y = fitted
    space = FeatureSpace.from_frame(X.iloc[:5])  # sees fewer cities
    assert space.categorical["city"] != model.feature_space_.categorical["city"]
    with pytest.raises(ValueError, match="does not match the model's on column 'city'"):
        PGD(model, eps=0.5, feature_space=space).generate(X.iloc[:5])


def test_unfitted_model_cannot_be_attacked():
    X, _ = mixed_frame(10)
    with pytest.raises(NotFittedError):
        PGD(TorchTabularClassifier(), eps=0.5).generate(X)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_trains_predicts_and_is_attacked_on_the_gpu():
    X, y = mixed_frame(80)
    model = TorchTabularClassifier(hidden=(16,), epochs=20, device="cuda", random_state=0)
    model.fit(X, y)
    assert next(model.module_.parameters()).device.type == "cuda"
    out = PGD(model, eps=0.5, steps=5, random_state=0).generate(X, y)
    np.testing.assert_array_equal(PGD(model, eps=0.5, steps=5, random_state=0).generate(X, y),
                                  out)
    assert isinstance(out, pd.DataFrame)
    np.testing.assert_allclose(model.predict_proba(X).sum(1), 1.0)
