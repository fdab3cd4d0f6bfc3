"""The cheaper per-call paths of the gradient attacks give what the general paths give:
2-D arrays read without a frame of them (bit for bit), units without a scale or mask where
all are 1, the model's modes switched only where they change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from advval.attacks import FGSM, PGD, FeatureSpace  # noqa: E402
from advval.attacks._inference import inference_state  # noqa: E402
from advval.attacks.gradient import APGD  # noqa: E402
from advval.attacks.gradient._random import LazyRandomState  # noqa: E402
from advval.attacks.gradient._steps import units  # noqa: E402


def _model(n_features: int = 4, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(n_features, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    )
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator))
    return model.requires_grad_(False).eval()


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int64])
@pytest.mark.parametrize("attack", [FGSM, PGD])
def test_arrays_give_what_the_encoded_path_gives(dtype, attack, monkeypatch):
    rng = np.random.RandomState(0)
    X = (rng.normal(size=(40, 4)) * 3).astype(dtype)
    given = X.copy()
    model = _model()
    space = FeatureSpace.from_frame(pd.DataFrame(X.astype(np.float64)))
    settings = {"eps": 0.4, "feature_space": space, "random_state": 0}
    if attack is PGD:
        settings["steps"] = 5
    out = attack(model, **settings).generate(X)
    np.testing.assert_array_equal(X, given)  # the user's array is not changed
    assert out.dtype == X.dtype
    # the general path: the domain encodes the array column by column
    from advval.attacks.gradient import _base

    monkeypatch.setattr(_base, "_plain_array", lambda X, domain: False)
    expected = attack(model, **settings).generate(X)
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == expected.dtype


def test_units_drop_a_scale_and_mask_of_ones_only():
    like = torch.zeros(2, 3)
    plain = units(FeatureSpace(bounds=(0.0, 1.0)).bind(like, raw=True), like)
    assert plain.scale is None and plain.mask is None and plain.weight is None
    frozen = units(FeatureSpace(immutable=[1], scale=[1.0, 1.0, 2.0]).bind(like, raw=True),
                   like)
    assert frozen.mask.tolist() == [1.0, 0.0, 1.0]
    assert frozen.scale.tolist() == [1.0, 1.0, 2.0]
    assert frozen.weight.tolist() == [1.0, 0.0, 2.0]


def test_modes_are_switched_only_where_they_change_and_restored(monkeypatch):
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5),
                                torch.nn.Linear(2, 2))
    model.eval()
    model[1].train()  # one submodule in training mode
    assigned: list[str] = []
    setattr_ = torch.nn.Module.__setattr__

    def spy(self, name, value):
        if name == "training":
            assigned.append(type(self).__name__)
        setattr_(self, name, value)

    monkeypatch.setattr(torch.nn.Module, "__setattr__", spy)
    with pytest.warns(Warning, match="training mode"), inference_state(model, owner="test"):
        assert not any(m.training for m in model.modules())
        model[2].train()  # the code inside switches another one
    assert assigned == ["Dropout", "Linear", "Dropout", "Linear"]
    assert [m.training for m in model.modules()] == [False, False, True, False]


def test_a_seed_drawn_from_the_cache_leaves_the_same_draws_after_it():
    lazy = LazyRandomState(7)
    draws = [lazy.draw_seed(1000), lazy.draw_seed(50), *lazy.randint(9, size=3).tolist()]
    reference = np.random.RandomState(7)
    expected = [int(reference.randint(1000)), int(reference.randint(50)),
                *reference.randint(9, size=3).tolist()]
    assert draws == expected


@pytest.mark.parametrize("attack", [PGD, APGD])
def test_an_int_seed_gives_what_its_random_state_gives(attack):
    X = np.random.RandomState(1).normal(size=(30, 4))
    settings = {"eps": 0.5, "steps": 4, "feature_space": FeatureSpace.from_frame(X)}
    by_int = attack(_model(), random_state=5, **settings).generate(X)
    by_state = attack(_model(), random_state=np.random.RandomState(5), **settings).generate(X)
    np.testing.assert_array_equal(by_int, by_state)
    other = attack(_model(), random_state=6, **settings).generate(X)
    assert not np.array_equal(by_int, other)  # the seed matters (a random start)


def test_the_gradient_is_that_of_the_summed_losses_bit_for_bit():
    from advval.attacks.gradient._losses import objective
    from advval.attacks.gradient.steps import TorchTarget

    model = _model()
    z = torch.randn(25, 4, generator=torch.Generator().manual_seed(2))
    y = torch.randint(0, 3, (25,), generator=torch.Generator().manual_seed(3))
    target = TorchTarget(model, n_samples=25, max_queries=None, dtype=torch.float32)
    for loss in ("ce", "margin"):
        def fn(logits, labels, loss=loss):
            return objective(logits, labels, loss=loss, targeted=False)

        grad = target.gradient(z, y, fn)[0]
        leaf = z.clone().requires_grad_(True)
        (expected,) = torch.autograd.grad(fn(model(leaf), y).sum(), leaf)
        assert torch.equal(grad, expected)
        assert torch.equal(target.gradient(z, y, fn)[0], grad)  # the cached weights again
