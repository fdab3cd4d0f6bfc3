"""advval.attacks.model_format (what a file holds) and model_family (which attacks apply)."""

import pickle

import lightgbm as lgb
import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

import advval.attacks as attacks
from advval.attacks import load_model, model_family, model_format


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def booster(data):
    X, y = data
    return lgb.train({"objective": "binary", "num_leaves": 4, "verbose": -1},
                     lgb.Dataset(X, y), num_boost_round=3)


def test_public_names():
    assert {"model_format", "model_family"} <= set(attacks.__all__)
    assert attacks.model_format is attacks._loading.model_format


@pytest.mark.parametrize("name", ["model.txt", "model", "model.lgbm"])
def test_a_lightgbm_text_model_is_read_by_content(booster, tmp_path, name):
    path = tmp_path / name
    booster.save_model(str(path))
    assert model_format(path) == "lightgbm"
    assert model_format(str(path)) == "lightgbm"
    # the probe agrees with the loader and reads no more than the head of the file
    assert model_family(load_model(path)) == "trees"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("m.pkl", "pickle"), ("m.PICKLE", "pickle"), ("m.joblib", "pickle"),
     ("n.pt", "torchscript"), ("n.pth", "torchscript"), ("n.pt2", "torch.export")],
)
def test_suffixes_decide_without_reading(tmp_path, name, kind):
    # the file does not exist: a pickle is never opened to be recognised
    assert model_format(tmp_path / name) == kind


def test_a_pickle_is_not_unpickled(tmp_path):
    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('unpickled')",))

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(Boom()))
    assert model_format(path) == "pickle"


def test_unknown_or_unreadable_files_name_the_file(tmp_path):
    path = tmp_path / "notes.bin"
    path.write_bytes(b"just some bytes, not a model")
    with pytest.raises(ValueError, match=r"'.*notes\.bin': unknown format; expected a LightGBM"):
        model_format(path)
    with pytest.raises(ValueError, match=r"cannot read the model file '.*missing\.bin'"):
        model_format(tmp_path / "missing.bin")


def test_model_family(data, booster):
    X, y = data
    assert model_family(booster) == "trees"
    assert model_family(DecisionTreeClassifier(max_depth=2).fit(X, y)) == "trees"
    assert model_family(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)) \
        == "trees"
    assert model_family(lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y)) == "trees"
    assert model_family(LogisticRegression().fit(X, y)) == "any"
    assert model_family(lambda rows: np.full((len(rows), 2), 0.5)) == "any"  # a callable
    with pytest.raises(TypeError, match="Cannot attack a object"):
        model_family(object())


def test_a_torch_module_is_the_torch_family():
    torch = pytest.importorskip("torch")
    assert model_family(torch.nn.Linear(3, 2)) == "torch"
