"""APGD (Croce and Hein 2020) against known truths and PGD.

- The step-halving checkpoints are the paper's (w = 22, 41, 57, 70, ... for 100 steps).
- The DLR losses are the paper's formulas, invariant to shifting and scaling the logits;
  with too few classes they fall back to the Carlini-Wagner margin.
- On an MLP trained on digits (8x8 images in [0, 1], 10 classes) and one on standardized
  breast_cancer (2 classes), APGD leaves a robust accuracy no higher than PGD's at the
  same steps, eps and points, under L-inf and L2, with CE, DLR and APGD-T; outputs stay
  in the box and the ball. (Table invariants: test_common_attacks.py.)
"""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.preprocessing import StandardScaler

from advval.attacks import FeatureSpace

torch = pytest.importorskip("torch")

from advval.attacks.gradient import APGD, PGD  # noqa: E402
from advval.attacks.gradient._losses import dlr_toward, objective  # noqa: E402
from advval.attacks.gradient.apgd import _checkpoints  # noqa: E402


def train(model, X, y, epochs=150):
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(epochs):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X), y).backward()
        optimizer.step()
    return model.eval()


@pytest.fixture(scope="module")
def digits():
    """An MLP on 8x8 digit images in [0, 1], and 100 held-out images it classifies."""
    data = load_digits()
    X = torch.tensor(data.images / 16.0, dtype=torch.float32)[:, None]
    y = torch.tensor(data.target)
    torch.manual_seed(0)  # model init in the fixture only; attacks use their own generators
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)
    )
    train(model, X[:1200], y[:1200])
    X_test, y_test = X[1200:1300], y[1200:1300]
    with torch.no_grad():
        assert (model(X_test).argmax(1) == y_test).float().mean() > 0.9
    return model, X_test, y_test


@pytest.fixture(scope="module")
def cancer():
    """A 2-class MLP on standardized breast_cancer."""
    X, y = load_breast_cancer(return_X_y=True)
    X = torch.tensor(StandardScaler().fit_transform(X), dtype=torch.float32)
    y = torch.tensor(y)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(30, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    train(model, X[:400], y[:400])
    return model, X[400:500], y[400:500]


def robust_accuracy(attack, model, X, y):
    X_adv = attack.generate(X, y)
    with torch.no_grad():
        return float((model(X_adv).argmax(1) == y).float().mean()), X_adv


def test_checkpoints_follow_the_paper():
    w = list(_checkpoints(100))
    assert w == [22, 41, 57, 70, 80, 87, 93, 99]
    periods = list(_checkpoints(100).values())
    assert periods == [22, 19, 16, 13, 10, 7, 6, 6]
    assert list(_checkpoints(10)) == [3, 5, 6, 7, 8, 9]  # not 10: nothing left to step


def test_dlr_formulas_and_invariance():
    logits = torch.tensor([[4.0, 3.0, 1.0, 0.0, -2.0]])
    y = torch.tensor([0])
    # untargeted: -(z_y - max_{j != y} z_j) / (z_pi1 - z_pi3) = -(4 - 3) / (4 - 1)
    value = objective(logits, y, loss="dlr", targeted=False)
    assert torch.allclose(value, torch.tensor([-1 / 3]))
    # targeted toward t = 2: (z_t - max_{j != t} z_j) / (z_pi1 - (z_pi3 + z_pi4) / 2)
    value = objective(logits, torch.tensor([2]), loss="dlr", targeted=True)
    assert torch.allclose(value, torch.tensor([(1 - 4) / (4 - 0.5)]))
    # APGD-T: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2)
    assert torch.allclose(dlr_toward(logits, torch.tensor([[0, 3]])), torch.tensor([-4 / 3.5]))
    for targeted in (False, True):
        a = objective(logits, y, loss="dlr", targeted=targeted)
        b = objective(7 * logits - 3, y, loss="dlr", targeted=targeted)
        assert torch.allclose(a, b)


def test_dlr_falls_back_to_the_margin_with_few_classes():
    two = torch.tensor([[2.0, -1.0], [0.0, 0.5]])
    y = torch.tensor([0, 0])
    for targeted in (False, True):
        dlr = objective(two, y, loss="dlr", targeted=targeted)
        margin = objective(two, y, loss="margin", targeted=targeted)
        assert torch.equal(dlr, margin)
    three = torch.tensor([[2.0, 1.0, -1.0]])
    targeted = objective(three, torch.tensor([1]), loss="dlr", targeted=True)
    assert torch.equal(targeted, objective(three, torch.tensor([1]), loss="margin", targeted=True))
    assert torch.equal(dlr_toward(three, torch.tensor([[0, 1]])), torch.tensor([-1.0]))
    assert torch.isfinite(objective(three, torch.tensor([0]), loss="dlr", targeted=False)).all()


@pytest.mark.parametrize(("norm", "eps"), [("inf", 0.1), (2, 0.6)])
def test_apgd_at_least_as_strong_as_pgd_on_digits(digits, norm, eps):
    model, X, y = digits
    settings = {"eps": eps, "norm": norm, "bounds": (0, 1), "steps": 20, "random_state": 0}
    pgd, _ = robust_accuracy(PGD(model, **settings), model, X, y)
    apgd, X_adv = robust_accuracy(APGD(model, **settings), model, X, y)
    dlr, _ = robust_accuracy(APGD(model, loss="dlr", **settings), model, X, y)
    assert apgd <= pgd and dlr <= pgd
    assert apgd < 0.6  # far below clean (> 0.9)
    assert float(X_adv.min()) >= 0 and float(X_adv.max()) <= 1
    delta = (X_adv - X).flatten(1)
    size = delta.abs().amax(1) if norm == "inf" else delta.norm(dim=1)
    assert float(size.max()) <= eps + 1e-6


def test_apgd_targeted_dlr_on_digits(digits):
    model, X, y = digits
    settings = {"eps": 0.1, "bounds": (0, 1), "steps": 20, "random_state": 0}
    apgd_t = APGD(model, loss="dlr-targeted", n_target_classes=3, **settings)
    accuracy, _ = robust_accuracy(apgd_t, model, X, y)
    pgd, _ = robust_accuracy(PGD(model, **settings), model, X, y)
    assert accuracy <= pgd
    assert apgd_t.queries_.max() == 3 * 21 + 2  # three targets, ranking, final check
    # targeted toward a chosen class
    target = (y + 1) % 10
    attack = APGD(
        model, targeted=True, loss="dlr", eps=0.2, bounds=(0, 1), steps=20, random_state=0
    )
    X_adv = attack.generate(X, target)
    with torch.no_grad():
        reached = model(X_adv).argmax(1) == target
    assert np.array_equal(reached.numpy(), attack.success_)
    assert attack.success_.mean() > 0.5


@pytest.mark.parametrize("loss", ["ce", "dlr", "dlr-targeted"])
def test_two_classes_fall_back_cleanly(cancer, loss):
    model, X, y = cancer
    settings = {"eps": 0.3, "steps": 20, "random_state": 0, "feature_space": FeatureSpace()}
    pgd, _ = robust_accuracy(PGD(model, loss="margin", **settings), model, X, y)
    attack = APGD(model, loss=loss, **settings)
    apgd, X_adv = robust_accuracy(attack, model, X, y)
    assert torch.isfinite(X_adv).all()
    assert apgd <= pgd
    assert attack.queries_.max() == 22 + (loss == "dlr-targeted")  # + final check


def test_restarts_and_determinism(digits):
    model, X, y = digits
    settings = {"eps": 0.08, "bounds": (0, 1), "steps": 10}
    one, _ = robust_accuracy(APGD(model, random_state=1, **settings), model, X, y)
    three, _ = robust_accuracy(APGD(model, random_state=1, restarts=3, **settings), model, X, y)
    assert three <= one
    a = APGD(model, random_state=5, **settings).generate(X, y)
    b = APGD(model, random_state=5, **settings).generate(X, y)
    assert torch.equal(a, b)


def test_query_budget_shrinks_the_run(digits):
    model, X, y = digits
    attack = APGD(model, eps=0.1, bounds=(0, 1), steps=50, max_queries=12, random_state=0)
    attack.generate(X[:10], y[:10])
    assert attack.queries_.max() <= 12


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"steps": 0}, r"The 'steps' parameter of APGD must be an int in the range \[1, inf\)"),
        ({"restarts": 1.5}, r"The 'restarts' parameter of APGD must be an int"),
        ({"loss": "margin"}, r"The 'loss' parameter of APGD must be one of"),
        ({"rho": 1.5}, r"The 'rho' parameter of APGD must be a float in the range \[0, 1\]"),
        ({"n_target_classes": 0}, r"The 'n_target_classes' parameter of APGD must be an int"),
        ({"norm": 0}, r"norm"),
        ({"targeted": True, "loss": "dlr-targeted"}, r"must be 'ce' or 'dlr' when targeted"),
    ],
)
def test_bad_parameters(cancer, params, message):
    model, X, y = cancer
    with pytest.raises(ValueError, match=message):
        APGD(model, eps=0.1, **params).generate(X[:4], y[:4])
