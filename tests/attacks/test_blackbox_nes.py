"""NESAttack: parameter checks, step rules, and models reached through the oracle."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from advval.attacks import FeatureSpace, NESAttack


@pytest.fixture(scope="module")
def linear():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    return LogisticRegression().fit(X, y), X


def test_targeted_needs_labels(linear):
    model, X = linear
    with pytest.raises(ValueError, match="NESAttack with targeted=True needs the target labels"):
        NESAttack(model, targeted=True).generate(X[:3])


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_steps_and_queries_follow_the_plan(norm, linear):
    """A step costs n_samples queries plus one to check the iterate; the base class adds
    one query for the labels (y=None) and one for the final check, the attack one first
    look at the input."""
    model, X = linear
    space = FeatureSpace(feature_names=list("abcd"), scale=1.0)
    far = X[np.abs(X[:, 0] - X[:, 1]) > 3][:5]  # out of reach: every step is taken
    attack = NESAttack(model, eps=0.3, norm=norm, steps=4, n_samples=6, feature_space=space,
                       random_state=0)
    adv = attack.generate(far)
    assert not attack.success_.any()
    assert (attack.queries_ == 2 + 4 * (6 + 1) + 1).all()
    assert (attack.norms_ <= 0.3 + 1e-9).all() and (attack.norms_ > 0.1).all()
    # the sign (L-inf) or normalized (L2) steps go the right way: toward the boundary
    assert (np.abs(model.decision_function(adv)) < np.abs(model.decision_function(far))).all()


def test_odd_n_samples_and_small_budgets_use_fewer_pairs(linear):
    model, X = linear
    attack = NESAttack(model, eps=0.1, steps=50, n_samples=7, max_queries=10, random_state=0)
    attack.generate(X[:6])
    assert attack.queries_.max() <= 10


def test_torch_module_through_the_oracle():
    torch = pytest.importorskip("torch")
    generator = torch.Generator().manual_seed(0)
    net = torch.nn.Linear(4, 3)
    with torch.no_grad():
        net.weight.copy_(torch.randn(3, 4, generator=generator))
        net.bias.zero_()
    X = torch.randn(12, 4, generator=generator)
    attack = NESAttack(net, eps=1.0, norm="2", bounds=(-5, 5), steps=20, n_samples=10,
                       random_state=0)
    adv = attack.generate(X)
    assert isinstance(adv, torch.Tensor) and adv.dtype == X.dtype and adv.shape == X.shape
    assert (torch.linalg.vector_norm(adv - X, dim=1) <= 1.0 + 1e-5).all()
    with torch.no_grad():
        flipped = net(adv).argmax(1) != net(X).argmax(1)
    assert np.array_equal(flipped.numpy(), attack.success_)
    assert attack.success_.mean() >= 0.5
    assert net.weight.grad is None
