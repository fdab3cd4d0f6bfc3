"""Query-based (NES, Square) and transfer attacks on (N, C, H, W) digits in [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from advval.attacks import NESAttack, SquareAttack, TransferAttack  # noqa: E402

EPS = 0.15


class Counting(torch.nn.Module):
    """Counts every image row the wrapped model is asked about."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.rows = 0

    def forward(self, x):
        self.rows += len(x)
        return self.model(x)


def accuracy(model, X, y):
    with torch.no_grad():
        return (model(X).argmax(1) == y).double().mean().item()


def wrong(model, X, y):
    with torch.no_grad():
        return (model(X).argmax(1) != y).numpy()


@pytest.fixture(scope="module")
def images(digits, cnns):
    """100 test digits, the target CNN, another CNN (surrogate) and the random-noise
    accuracy of the target at the same eps (the baseline an attack must beat)."""
    X, y = digits[2][:100], digits[3][:100]
    target, surrogate = cnns[0], cnns[1]
    signs = torch.randint(0, 2, X.shape, generator=torch.Generator().manual_seed(0)) * 2 - 1
    noise = accuracy(target, (X + EPS * signs).clamp(0, 1), y)
    return X, y, target, surrogate, noise


def check_box_ball_and_success(attack, X, X_adv, model, y, norm="inf"):
    assert isinstance(X_adv, torch.Tensor)
    assert X_adv.shape == X.shape and X_adv.dtype == X.dtype
    assert X_adv.min() >= 0 and X_adv.max() <= 1
    delta = (X_adv - X).flatten(1)
    size = delta.abs().amax(1) if norm == "inf" else delta.norm(dim=1)
    assert size.max() <= attack.eps + 1e-6
    np.testing.assert_allclose(attack.norms_, size.double().numpy(), atol=1e-5)
    np.testing.assert_array_equal(attack.success_, wrong(model, X_adv, y))


def test_nes_on_images(images):
    X, y, target, _, noise = images
    X_before = X.clone()
    counting = Counting(target).eval()
    attack = NESAttack(counting, eps=EPS, bounds=(0, 1), steps=30, n_samples=20, random_state=0)
    X_adv = attack.generate(X, y)
    check_box_ball_and_success(attack, X, X_adv, target, y)
    # every row sent to the model is counted (plus one uncounted probe for the classes)
    assert counting.rows == attack.queries_.sum() + 1
    assert attack.queries_.max() <= 30 * (20 + 1) + 2
    # measured: accuracy 1.00 -> 0.33 (random sign noise of the same size: 0.98)
    assert noise > 0.9 and accuracy(target, X_adv, y) < 0.5
    assert torch.equal(X, X_before)
    again = NESAttack(target, eps=EPS, bounds=(0, 1), steps=30, n_samples=20, random_state=0)
    assert torch.equal(again.generate(X, y), X_adv)


def test_nes_respects_the_query_budget(images):
    X, y, target, _, _ = images
    attack = NESAttack(target, eps=EPS, bounds=(0, 1), steps=30, n_samples=20,
                       random_state=0, max_queries=100)
    X_adv = attack.generate(X, y)
    check_box_ball_and_success(attack, X, X_adv, target, y)
    assert attack.queries_.max() <= 100
    assert attack.success_.mean() > 0.1  # measured: 0.30 within 100 queries


@pytest.mark.parametrize(("norm", "eps", "most"), [("inf", EPS, 0.3), (2, 1.0, 0.45)])
def test_square_on_images(images, norm, eps, most):
    X, y, target, _, noise = images
    counting = Counting(target).eval()
    attack = SquareAttack(counting, eps=eps, norm=norm, bounds=(0, 1), steps=300,
                          p_init=0.1, random_state=0)
    X_adv = attack.generate(X, y)
    check_box_ball_and_success(attack, X, X_adv, target, y, norm=str(norm))
    assert counting.rows == attack.queries_.sum() + 1
    assert attack.queries_.max() <= 300 + 2
    # measured: accuracy 0.18 (L-inf 0.15) and 0.31 (L2 1.0) after at most 302 queries
    assert accuracy(target, X_adv, y) < most < noise


def test_transfer_from_a_trained_surrogate(images):
    X, y, target, surrogate, noise = images
    params = [p.detach().clone() for p in surrogate.parameters()]
    attack = TransferAttack(target, surrogate=surrogate, eps=EPS, bounds=(0, 1),
                            random_state=0)
    X_adv = attack.generate(X, y)
    check_box_ball_and_success(attack, X, X_adv, target, y)
    assert attack.surrogate_ is surrogate and np.isnan(attack.surrogate_agreement_)
    assert attack.queries_.tolist() == [1] * len(X)  # the final check only
    # measured: the target's accuracy 1.00 -> 0.57 (noise 0.98); the surrogate's -> 0.11
    assert accuracy(target, X_adv, y) < noise - 0.2
    assert accuracy(surrogate, X_adv, y) < 0.3
    assert all(torch.equal(p, q) for p, q in zip(surrogate.parameters(), params, strict=True))
    assert not surrogate.training


def test_transfer_refined_by_square_within_the_budget(images):
    X, y, target, surrogate, _ = images
    plain = TransferAttack(target, surrogate=surrogate, eps=EPS, bounds=(0, 1), random_state=0)
    plain.generate(X, y)
    refined = TransferAttack(target, surrogate=surrogate, eps=EPS, bounds=(0, 1),
                             random_state=0, max_queries=60,
                             refine=SquareAttack(None, steps=50, p_init=0.1))
    X_adv = refined.generate(X, y)
    check_box_ball_and_success(refined, X, X_adv, target, y)
    assert refined.queries_.max() <= 60
    # the transferred successes are kept; measured 0.43 -> 0.53
    assert refined.success_[plain.success_].all()
    assert refined.success_.mean() > plain.success_.mean()


def test_transfer_on_images_needs_a_surrogate_module(images):
    X, y, target, _, _ = images
    with pytest.raises(ValueError, match=r"The 'surrogate' parameter of TransferAttack must "
                       r"be a trained torch.nn.Module for image inputs of shape "
                       r"\(4, 1, 8, 8\)"):
        TransferAttack(target, eps=EPS, bounds=(0, 1)).generate(X[:4], y[:4])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_black_box_attacks_follow_a_cuda_input(images):
    import copy

    X, y, target, surrogate, _ = images
    gpu_target, gpu_surrogate = copy.deepcopy(target).cuda(), copy.deepcopy(surrogate).cuda()
    for attack in (
        NESAttack(gpu_target, eps=EPS, bounds=(0, 1), steps=5, random_state=0),
        SquareAttack(gpu_target, eps=EPS, bounds=(0, 1), steps=20, random_state=0),
        TransferAttack(gpu_target, surrogate=gpu_surrogate, eps=EPS, bounds=(0, 1),
                       random_state=0),
    ):
        X_adv = attack.generate(X[:20].cuda(), y[:20].cuda())
        assert X_adv.device.type == "cuda" and X_adv.dtype == X.dtype
        assert (X_adv.cpu() - X[:20]).abs().max() <= EPS + 1e-6
