"""The per-call and per-step savings of the attack template keep every check and result:
a space bound once per column set (and afresh when it changes), a finalized row's size
handed to the attack, the one-clamp projector of a box domain, and the kernel counts of
FGSM and of a PGD step (a guard against new work creeping into the hot path)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

from advval.attacks import FGSM, PGD, FeatureSpace  # noqa: E402


def _model(n_features: int = 4, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(n_features, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)
    )
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator))
    return model.requires_grad_(False).eval()


def test_a_space_is_bound_once_per_column_set():
    X = np.random.default_rng(0).random((5, 3))
    space = FeatureSpace(bounds=(0.0, 1.0))
    domain = space.bind(X, raw=True)
    assert space.bind(X[:2], raw=True) is domain  # other rows, same columns
    assert space.bind(torch.as_tensor(X), raw=True) is domain
    assert space.bind(X, raw=False) is not domain  # raw freezes categories: its own
    named = pd.DataFrame(X, columns=["a", "b", "c"])
    assert space.bind(named).feature_names == ["a", "b", "c"]
    assert space.bind(X).feature_names == ["0", "1", "2"]
    assert space.bind(np.zeros((2, 4))).n_features == 4
    assert copy.copy(space).bind(X, raw=True) is not domain  # a copy binds for itself


def test_a_changed_space_is_bound_afresh():
    X = np.random.default_rng(0).random((5, 3))
    space = FeatureSpace(bounds=(0.0, 1.0), immutable=[0])
    first = space.bind(X)
    space.bounds = (0.0, 2.0)  # a new value
    assert space.bind(X).upper.tolist() == [2.0, 2.0, 2.0]
    space.immutable.append(1)  # a value changed in place
    assert space.bind(X).mutable.tolist() == [False, False, True]
    space.immutable.pop()
    space.bounds = (0.0, 1.0)
    again = space.bind(X)
    assert again.mutable.tolist() == first.mutable.tolist()
    assert again.upper.tolist() == first.upper.tolist()


def test_categories_read_from_the_data_are_bound_every_time():
    space = FeatureSpace(categorical=["c"])
    one = space.bind(pd.DataFrame({"c": ["a", "b"], "x": [0.0, 1.0]}))
    two = space.bind(pd.DataFrame({"c": ["a", "z"], "x": [0.0, 1.0]}))
    assert one.categories[0] == ["a", "b"] and two.categories[0] == ["a", "z"]


def test_an_attack_reads_the_space_as_it_is_at_each_call():
    model = _model()
    X = torch.full((6, 4), 0.5)
    space = FeatureSpace(bounds=(0.0, 1.0))
    attack = FGSM(model, eps=0.4, feature_space=space)
    wide = attack.generate(X)
    assert wide.min() < 0.2 or wide.max() > 0.8
    space.bounds = (0.4, 0.6)
    narrow = attack.generate(X)
    assert narrow.min() >= 0.4 and narrow.max() <= 0.6
    np.testing.assert_allclose(attack.norms_, 0.1, rtol=1e-6)


@pytest.mark.parametrize("kind", ["numpy", "torch"])
@pytest.mark.parametrize("space", ["numeric", "categorical", "over budget"])
def test_finalize_hands_over_the_distance_of_what_it_returns(kind, space):
    rng = np.random.default_rng(3)
    x0 = rng.normal(size=(30, 4))
    x0[:, 3] = rng.integers(0, 3, size=30)
    x0[rng.random((30, 4)) < 0.1] = np.nan
    x = x0 + rng.normal(size=(30, 4))
    x[:, 3] = rng.integers(0, 3, size=30)
    eps = 1.5 if space == "over budget" else 0.6
    settings = {"bounds": (-2.0, 2.0), "scale": [1.0, 2.0, 0.5, 1.0], "integer": [1]}
    if space != "numeric":
        settings["categorical"] = {3: [0.0, 1.0, 2.0]}
        settings["categorical_distance"] = 1.0 if space == "over budget" else 0.5
    domain = FeatureSpace(**settings).bind(x0)
    if kind == "torch":
        x, x0 = torch.as_tensor(x), torch.as_tensor(x0)
    for norm in ("inf", "2"):
        out, size = domain.finalize_with_size(x, x0, eps, norm)
        expected = domain.finalize(x, x0, eps, norm)
        assert np.array_equal(np.asarray(out), np.asarray(expected), equal_nan=True)
        measured = domain.distance(expected, x0, norm)
        assert np.array_equal(np.asarray(size), np.asarray(measured))
        assert not np.isnan(np.asarray(size)).any()


@pytest.mark.parametrize("scale", [1.0, 2.5])
def test_the_box_projector_is_one_clamp_into_the_ball_and_the_bounds(scale):
    """The projector of a box domain under L-inf clamps against bounds made once: the
    eps-ball and the bounds widened to the input, NaN where the input is missing."""
    rng = np.random.default_rng(5)
    x0 = torch.as_tensor(rng.normal(size=(50, 4)))
    x0[rng.random((50, 4)) < 0.1] = torch.nan
    x0[0, 0] = 5.0  # outside the bounds: they widen to include it
    domain = FeatureSpace(bounds=(-2.0, 2.0), scale=scale).bind(x0, raw=True)
    project = domain.projector(x0, 0.3, "inf")
    missing = x0.isnan()
    radius = torch.as_tensor(0.3, dtype=x0.dtype) * scale
    low = torch.where(missing, x0, torch.maximum(x0.clamp(max=-2.0), x0 - radius))
    high = torch.where(missing, x0, torch.minimum(x0.clamp(min=2.0), x0 + radius))
    for _ in range(3):
        x = x0 + torch.as_tensor(rng.normal(size=(50, 4)))
        x[1, 1], x[2, 2] = torch.inf, -torch.inf
        got = project(x)
        torch.testing.assert_close(got, torch.minimum(torch.maximum(x, low), high),
                                   rtol=0, atol=0, equal_nan=True)
        assert torch.equal(got.isnan(), missing)
        torch.testing.assert_close(got, domain.project(x, x0, 0.3, "inf"), equal_nan=True)


class _Kernels(TorchDispatchMode):
    """Counts the torch operations dispatched inside the block."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


def _kernels(function) -> int:
    function()  # first call: the bound domain and its tensors are made
    with _Kernels() as counter:
        function()
    return counter.count


def test_fgsm_and_a_pgd_step_dispatch_few_kernels():
    """A hand-written FGSM on this model dispatches 41 operations (two forward passes,
    one backward, the step and the clamp) and a hand-written PGD step 33. The attacks'
    extra work (input check, projection, distances, final check, best points) is bounded
    here: 75 and 39 when this test was written."""
    model = _model(30)
    X = torch.rand(64, 30, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 2, (64,), generator=torch.Generator().manual_seed(1))
    space = FeatureSpace(bounds=(0.0, 1.0))
    fgsm = _kernels(lambda: FGSM(model, eps=0.05, feature_space=space).generate(X, y))
    pgd = [
        _kernels(lambda s=s: PGD(model, eps=0.05, steps=s, feature_space=space,
                                 random_state=0).generate(X, y))
        for s in (5, 10)
    ]
    assert fgsm <= 78
    assert (pgd[1] - pgd[0]) / 5 <= 39
