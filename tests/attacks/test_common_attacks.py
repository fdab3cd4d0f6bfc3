"""Common attack checks: every public attack obeys the same invariants (STYLE.md, imblearn).

Each attack in ``advval.attacks.__all__`` is run on a constrained table (bounds, immutable,
integer, monotone, a categorical column) against a model it can attack, through
:func:`advval.attacks.check_attack` (the checks ship in the package, like scikit-learn's
``check_estimator``; tests/attacks/test_check_attack.py shows each one catching a broken
attack). It must

- return the same kind of object (DataFrame: same columns, dtypes and index);
- stay inside the bounds and the eps-ball, leave immutable columns alone, keep integer and
  categorical columns valid and monotone columns moving the allowed way;
- be deterministic under ``random_state`` and work on a clone;
- not modify the input or the model (torch: mode, ``requires_grad`` and ``.grad``);
- return the input for ``eps=0`` and respect ``max_queries``;
- report ``success_`` that agrees with the model's own predictions.

A new public attack fails here until it is given a case below.
"""

import inspect

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import advval.attacks as attacks
from advval.attacks import Attack, FeatureSpace, check_attack
from advval.attacks._checks import CHECKS

torch = pytest.importorskip("torch")

EPS = {"inf": 0.6, "2": 1.2, "0": 2.0}
#: attacks, by family; the family picks the model the attack is run against
GRADIENT = ("FGSM", "PGD", "APGD", "AutoAttack", "CarliniWagnerL2", "DeepFool")
BLACK_BOX = ("NESAttack", "SquareAttack", "HopSkipJump", "GeneticAttack")
TREES = ("TreeAttack",)
#: small settings so the checks stay fast
FAST = {
    "PGD": {"steps": 10},
    "APGD": {"steps": 10},
    "AutoAttack": {"steps": 10, "square_steps": 30},
    "CarliniWagnerL2": {"steps": 30, "binary_search_steps": 3},
    "DeepFool": {"steps": 20},
    "NESAttack": {"steps": 10, "n_samples": 10},
    "SquareAttack": {"steps": 60},
    "HopSkipJump": {"steps": 5, "max_evals": 100, "init_evals": 20},
    "GeneticAttack": {"generations": 8, "population_size": 12},
}
#: attacks that are not run on the constrained table, with the reason
NOT_TABLE_ATTACKS = {
    "TransferAttack": "needs a surrogate trained on queries; checked in test_transfer.py",
}


def public_attacks():
    names = []
    for name in attacks.__all__:
        value = getattr(attacks, name)
        if inspect.isclass(value) and issubclass(value, Attack) and value is not Attack:
            names.append(name)
    return names


def table(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x1 = rng.normal(0, 1, n)
    x2 = rng.normal(0, 2, n)
    count = rng.integers(0, 6, n)
    age = rng.integers(20, 70, n)
    frame = pd.DataFrame(
        {"x1": x1, "x2": x2, "count": count, "age": age, "debt": rng.gamma(2, 1, n)},
        index=np.arange(1000, 1000 + n),
    )
    y = (x1 + 0.5 * x2 - 0.3 * count + 0.5 * rng.normal(size=n) > -0.7).astype(int)
    return frame, y


def with_category(frame):
    out = frame.copy()
    out["city"] = np.where(frame["x1"] > 0.3, "north", "south")
    return out


def space_for(frame):
    return FeatureSpace.from_frame(
        frame, immutable=["age"], monotone={"debt": "increase"}, bounds="data"
    )


class Case:
    """A model, data and space an attack family is run against."""

    def __init__(self, model, X, y, space, module=None):
        self.model, self.X, self.y, self.space, self.module = model, X, y, space, module


@pytest.fixture(scope="module")
def torch_case():
    frame, y = table()
    torch.manual_seed(0)  # model init in the fixture only; attacks use their own generators
    module = torch.nn.Sequential(
        torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2)
    ).double()
    X = torch.tensor(frame.to_numpy(dtype=float))
    mean, std = X.mean(0), X.std(0)
    target = torch.tensor(y)
    optimizer = torch.optim.Adam(module.parameters(), lr=0.05)
    for _ in range(150):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(module((X - mean) / std), target)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        first = module[0]
        first.bias.sub_((first.weight / std) @ mean)
        first.weight.div_(std)
    module.eval()
    for p in module.parameters():
        p.grad = None
    return Case(module, frame.astype(float), y, space_for(frame), module)


@pytest.fixture(scope="module")
def pipeline_case():
    frame, y = table()
    frame = with_category(frame)
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(), ["city"]), remainder=StandardScaler()
        ),
        LogisticRegression(C=10.0),
    ).fit(frame, y)
    return Case(model, frame, y, space_for(frame))


@pytest.fixture(scope="module")
def tree_case():
    frame, y = table()
    model = lgb.LGBMClassifier(n_estimators=30, num_leaves=4, verbose=-1, n_jobs=1,
                               min_child_samples=5).fit(frame, y)
    return Case(model, frame, y, space_for(frame))


def make(name, case, **params):
    klass = getattr(attacks, name)
    settings = {"feature_space": case.space, "random_state": 0, **FAST.get(name, {}), **params}
    return klass(case.model, **settings)


def norms_of(name):
    return getattr(attacks, name).norms


def test_every_public_attack_has_a_case():
    known = set(GRADIENT) | set(BLACK_BOX) | set(TREES) | set(NOT_TABLE_ATTACKS)
    assert set(public_attacks()) <= known, set(public_attacks()) - known


ATTACKS = list(GRADIENT + BLACK_BOX + TREES)


def case_for(name, torch_case, pipeline_case, tree_case):
    if name in GRADIENT:
        return torch_case
    return tree_case if name in TREES else pipeline_case


def _check_valid(attack, case, out, norm):
    X = case.X
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(X.columns)
    assert list(out.dtypes) == list(X.dtypes)
    assert out.index.equals(X.index)
    domain = case.space.bind(X)
    z, z0 = domain.encode(out), domain.encode(X)
    eps = attack.eps
    if eps is not None:
        sizes = domain.distance(z, z0, norm)
        assert np.all(sizes <= eps * (1 + 1e-5) + 1e-6), sizes.max()
        np.testing.assert_allclose(attack.norms_, sizes, rtol=1e-6, atol=1e-9)
    assert (out["age"] == X["age"]).all()
    assert (out["debt"] >= X["debt"] - 1e-12).all()
    assert (out["count"] == np.round(out["count"])).all()
    for column in ("x1", "x2", "count", "debt"):
        lower, upper = case.space.bounds[column]
        assert (out[column] >= min(lower, X[column].min()) - 1e-9).all()
        assert (out[column] <= max(upper, X[column].max()) + 1e-9).all()
    if "city" in X:
        assert set(out["city"]) <= {"north", "south"}


def _cases():
    for name in ATTACKS:
        for norm in ("inf", "2", "0"):
            yield name, norm


@pytest.mark.parametrize(("name", "norm"), list(_cases()))
def test_check_attack(name, norm, torch_case, pipeline_case, tree_case):
    """advval.attacks.check_attack: input and model left alone, valid rows inside the
    eps-ball, success_ as the model says, deterministic, eps=0 and max_queries kept."""
    case = case_for(name, torch_case, pipeline_case, tree_case)
    if norm not in norms_of(name):
        with pytest.raises(ValueError, match=f"The 'norm' parameter of {name} must be one of"):
            make(name, case, eps=EPS[norm], norm=norm).generate(case.X, case.y)
        return
    attack = make(name, case, eps=EPS[norm], norm=norm)
    assert check_attack(attack, case.X, case.y) == CHECKS
    # the constraints of the case, by name (check_attack checks them through the domain)
    out = attack.generate(case.X, case.y)
    _check_valid(attack, case, out, norm)


@pytest.mark.parametrize("name", GRADIENT)
@pytest.mark.parametrize("training", [False, True])
def test_model_state_is_left_as_found(name, training, torch_case):
    module = torch_case.module
    grads = [torch.full_like(p, 0.25) for p in module.parameters()]
    flags = [True, False] + [True] * (len(grads) - 2)
    for p, g, f in zip(module.parameters(), grads, flags, strict=True):
        p.grad = g.clone()
        p.requires_grad_(f)
    module.train(training)
    try:
        attack = make(name, torch_case, eps=EPS["inf"])
        X = torch.tensor(torch_case.X.to_numpy(dtype=float))
        # Linear and Tanh do not read their mode: attacked in eval mode without a warning
        # (tests/attacks/test_hostile_inputs.py checks the warning for dropout/batch-norm)
        assert "model_unchanged" in check_attack(attack, X, torch_case.y)
        assert module.training is training
        assert [p.requires_grad for p in module.parameters()] == flags
    finally:
        module.eval()
        for p in module.parameters():
            p.requires_grad_(True)
            p.grad = None
