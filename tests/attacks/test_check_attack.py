"""advval.attacks.check_attack catches attacks that break the contract, one breach each.

Every broken attack below is a sound attack (NESAttack) with one fault added; the check
that must catch it is named. The sound attack passes every check (also in
test_common_attacks.py, for every public attack). NumPy only: no torch needed.
"""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from advval.attacks import FeatureSpace, NESAttack, check_attack
from advval.attacks._checks import CHECKS

EPS = 0.6


def table(n=40, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(0, 1, n),
            "x2": rng.normal(0, 2, n),
            "count": rng.integers(0, 6, n).astype(float),  # integer values, float dtype
            "age": rng.integers(20, 70, n),
            "debt": rng.gamma(2, 1, n),
        },
        index=np.arange(500, 500 + n),
    )
    plan = rng.integers(0, 2, n)
    frame["plan_a"], frame["plan_b"] = (plan == 0).astype(float), (plan == 1).astype(float)
    y = (frame["x1"] + 0.5 * frame["x2"] - 0.3 * frame["count"] > -0.5).astype(int).to_numpy()
    return frame, y


@pytest.fixture()
def case():
    X, y = table()
    model = make_pipeline(StandardScaler(), LogisticRegression(C=10.0)).fit(X, y)
    space = FeatureSpace.from_frame(
        X, immutable=["age"], integer=["count", "age"], one_hot=[["plan_a", "plan_b"]],
        monotone={"debt": "increase"}, bounds="data",
    )
    return model, X, y, space


def attack(klass, case, **params):
    model, _, _, space = case
    settings = {"eps": EPS, "steps": 5, "n_samples": 10, "feature_space": space,
                "random_state": 0, **params}
    return klass(model, **settings)


def moved(X, out, column, by):
    """``out`` with ``column`` set to the input's value plus ``by`` (a fresh frame)."""
    out = out.copy()
    out[column] = X[column] + by
    return out


class ModifiesInput(NESAttack):
    def generate(self, X, y=None):
        out = super().generate(X, y)
        X.iloc[0, 0] += 1.0
        return out


class WrongKind(NESAttack):
    def generate(self, X, y=None):
        return super().generate(X, y).to_numpy()


class NoNorms(NESAttack):
    def generate(self, X, y=None):
        out = super().generate(X, y)
        del self.norms_
        return out


class IgnoresBudget(NESAttack):
    def generate(self, X, y=None):
        return moved(X, super().generate(X, y), "x1", 3.0)


class MovesImmutable(NESAttack):
    def generate(self, X, y=None):  # one year is 0.07 standard units: inside eps
        return moved(X, super().generate(X, y), "age", 1)


class BreaksMonotone(NESAttack):
    def generate(self, X, y=None):  # debt may only increase
        return moved(X, super().generate(X, y), "debt", -0.1)


class NotInteger(NESAttack):
    def generate(self, X, y=None):
        out = super().generate(X, y)
        out["count"] = X["count"] + 0.5
        return out


class BreaksOneHot(NESAttack):
    def generate(self, X, y=None):  # both plans at once (a group change costs 1 <= eps=2)
        out = super().generate(X, y)
        out["plan_a"], out["plan_b"] = 1.0, 1.0
        return out


class WrongNorms(NESAttack):
    def generate(self, X, y=None):
        out = super().generate(X, y)
        self.norms_ = self.norms_ / 2
        return out


class LiesAboutSuccess(NESAttack):
    def generate(self, X, y=None):
        out = super().generate(X, y)
        self.success_ = ~self.success_
        return out


class ChangesModel(NESAttack):
    def generate(self, X, y=None):
        out = super().generate(X, y)
        self.model[-1].intercept_ = self.model[-1].intercept_ + 1e-12
        return out


class ChangesParameters(NESAttack):
    def generate(self, X, y=None):
        out = super().generate(X, y)
        self.steps = self.steps + 1
        return out


class NotDeterministic(NESAttack):
    def _random(self):
        return np.random.RandomState()  # unseeded: ignores random_state


class MovesAtEpsZero(NESAttack):
    def generate(self, X, y=None):
        out = super().generate(X, y)
        return moved(X, out, "x1", 1e-3) if self.eps == 0 else out


class OverBudget(NESAttack):
    def generate(self, X, y=None):
        out = super().generate(X, y)
        if self.max_queries is not None:
            self.queries_ = self.queries_ + self.max_queries
        return out


BROKEN = [
    (ModifiesInput, "input_unchanged"),
    (BreaksOneHot, "valid_output"),
    (WrongKind, "same_kind"),
    (NoNorms, "fitted_attributes"),
    (IgnoresBudget, "valid_output"),
    (MovesImmutable, "valid_output"),
    (BreaksMonotone, "valid_output"),
    (NotInteger, "valid_output"),
    (WrongNorms, "valid_output"),
    (LiesAboutSuccess, "success_agrees_with_model"),
    (ChangesModel, "model_unchanged"),
    (ChangesParameters, "parameters_unchanged"),
    (NotDeterministic, "deterministic"),
    (MovesAtEpsZero, "eps_zero_returns_input"),
    (OverBudget, "query_budget"),
]


def test_a_sound_attack_passes_every_check(case):
    _, X, y, _ = case
    sound = attack(NESAttack, case)
    assert check_attack(sound, X, y) == CHECKS
    assert check_attack(sound, X) == CHECKS  # labels: the model's own predictions
    # the attack given is not run (clones are) and keeps its settings
    assert not hasattr(sound, "success_")
    assert sound.random_state == 0


@pytest.mark.parametrize(("klass", "check"), BROKEN, ids=[k.__name__ for k, _ in BROKEN])
def test_each_breach_is_caught_by_its_check(klass, check, case):
    _, X, y, _ = case
    X_given = X.copy()
    broken = attack(klass, case, eps=2.0 if klass is BreaksOneHot else EPS)
    with pytest.raises(AssertionError, match=f"^{check}: {klass.__name__} "):
        check_attack(broken, X_given, y)


def test_without_random_state_it_checks_with_seed_zero(case):
    _, X, y, _ = case
    sound = attack(NESAttack, case, random_state=None)
    assert check_attack(sound, X, y) == CHECKS
    assert sound.random_state is None


def test_the_checks_agree_with_an_independent_measure(case):
    # the rows a sound attack returns at eps=0.6 are inside the ball measured by hand
    model, X, y, space = case
    sound = attack(NESAttack, case)
    out = sound.generate(X, y)
    scale = space.bind(X).scale
    sizes = (np.abs(out.to_numpy(float) - X.to_numpy(float)) / scale).max(1)
    assert np.all(sizes <= EPS + 1e-9)
    np.testing.assert_allclose(sound.norms_, sizes, rtol=1e-9)
    assert sound.success_.any()  # the check is not vacuous: some rows are moved and fooled
    np.testing.assert_array_equal(sound.success_, model.predict(out) != y)


def test_not_an_attack_is_a_type_error(case):
    model, X, y, _ = case
    with pytest.raises(TypeError, match="'attack' parameter of check_attack must be an Attack"):
        check_attack(model, X, y)


def test_import_does_not_load_torch():
    code = (
        "import sys, advval.attacks as a; a.check_attack; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_images_in_a_box_on_torch_tensors():
    torch = pytest.importorskip("torch")
    from advval.attacks import PGD

    class LeavesTheBox(PGD):
        def generate(self, X, y=None):  # a pixel above the box [0, 1], inside eps
            out = super().generate(X, y).clone()
            out[:, 0, 0, 0] = torch.clamp(X[:, 0, 0, 0] + 0.04, min=1.01)
            return out

    generator = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(144, 3)
    ).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * 0.3)
    X = torch.rand(12, 1, 8, 8, generator=generator) * 0.98
    X[:, 0, 0, 0] = 0.99
    y = net(X).argmax(1)
    settings = {"eps": 0.05, "bounds": (0.0, 1.0), "steps": 5, "random_state": 0}
    assert check_attack(PGD(net, **settings), X, y) == CHECKS
    caught = "^valid_output: LeavesTheBox returned row 0 outside its domain: feature 0 is 1.03"
    with pytest.raises(AssertionError, match=caught):
        check_attack(LeavesTheBox(net, **settings), X, y)
