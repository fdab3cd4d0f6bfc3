"""evaluate_robustness leaves an image model exactly as found, and refuses NaN / inf.

A CNN with batch-norm and dropout in training mode is evaluated in eval mode (its
inference behaviour: the report equals the eval-mode model's), with one warning; its
parameters, buffers (batch-norm statistics, Normalize's mean and std), ``requires_grad``
flags, ``.grad`` and every module's mode are as found afterwards, also when the model or
the labels make the evaluation fail. NaN or infinite logits and pixels are errors.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from advval.attacks import PGD, AutoAttack, DeepFool  # noqa: E402
from advval.exceptions import AdvvalWarning  # noqa: E402
from advval.image import EnsembleClassifier, Normalize, evaluate_robustness  # noqa: E402
from advval.image._evaluate import _predict  # noqa: E402

TRAINING = "evaluate_robustness: the model is in training mode; it is evaluated in eval mode"


def cnn(seed=0):
    """Normalize -> conv -> batch-norm -> ReLU -> dropout -> linear, on 1x6x6 images."""
    generator = torch.Generator().manual_seed(seed)
    net = torch.nn.Sequential(
        Normalize([0.5], [0.25]), torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Flatten(), torch.nn.Linear(144, 3),
    )
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(0.3 * torch.randn(p.shape, generator=generator))
        net[2].running_mean.normal_(generator=generator)
        net[2].running_var.uniform_(0.5, 2.0, generator=generator)
    return net


def images(n=12, seed=1):
    X = torch.rand(n, 1, 6, 6, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        y = cnn().eval()(X).argmax(1)
    return X, y


def dress(net):
    for i, p in enumerate(net.parameters()):
        p.grad = torch.full_like(p, 0.5 + i)
        p.requires_grad_(i % 2 == 1)
    return net


def snapshot(net):
    return {
        "state": {k: v.detach().clone() for k, v in net.state_dict().items()},
        "modes": [m.training for m in net.modules()],
        "flags": [p.requires_grad for p in net.parameters()],
        "grads": [None if p.grad is None else p.grad.clone() for p in net.parameters()],
    }


def assert_as_found(net, before):
    after = snapshot(net)
    assert after["modes"] == before["modes"] and after["flags"] == before["flags"]
    for key, value in after["state"].items():
        assert torch.equal(value, before["state"][key]), key
    for now, then in zip(after["grads"], before["grads"], strict=True):
        assert (now is None and then is None) or torch.equal(now, then)


def attacks_():
    return [AutoAttack(None, steps=3, square_steps=10), PGD(None, steps=3),
            DeepFool(None, norm="inf", steps=5)]


def evaluate(model, data, **params):
    settings = {"attacks": attacks_(), "eps": [0.05, 0.2], "n_examples": 2, "batch_size": 5,
                "random_state": 0, **params}
    return evaluate_robustness(model, data, **settings)


def test_a_training_cnn_is_evaluated_in_eval_mode_and_left_as_found():
    X, y = images()
    net = dress(cnn().train())
    before = snapshot(net)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = evaluate(net, (X, y))
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and messages[0].startswith(TRAINING), messages
    assert caught[0].category is AdvvalWarning
    assert_as_found(net, before)
    twin = evaluate(cnn().eval(), (X, y))
    assert report.to_dict() == twin.to_dict()
    assert report.robust_accuracy < report.clean_accuracy == 1.0
    np.testing.assert_array_equal(report.examples.adversarial, twin.examples.adversarial)


class Flaky(torch.nn.Module):
    """The CNN, failing on its ``fail_at``-th forward pass."""

    def __init__(self, net, fail_at):
        super().__init__()
        self.net, self.fail_at, self.calls = net, fail_at, 0

    def forward(self, x):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("the model crashed")
        return self.net(x)


@pytest.mark.parametrize("fail_at", [1, 4, 30])
def test_a_model_that_fails_midway_is_left_as_found(fail_at):
    X, y = images()
    net = dress(cnn().train())
    before = snapshot(net)
    flaky = Flaky(net, fail_at)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AdvvalWarning)
        with pytest.raises(RuntimeError, match="the model crashed"):
            evaluate(flaky, (X, y))
    assert flaky.calls == fail_at
    assert_as_found(net, before)
    assert flaky.training


def test_bad_labels_after_the_first_forward_passes_leave_the_model_as_found():
    X, y = images()
    net = dress(cnn().train())
    before = snapshot(net)
    bad = y.clone()
    bad[0] = 9  # the model has 3 classes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AdvvalWarning)
        with pytest.raises(ValueError, match="y contains the label 9"):
            evaluate(net, (X, bad))
    assert_as_found(net, before)


def test_an_ensemble_of_training_members_is_left_as_found():
    X, y = images()
    members = [dress(cnn(0).train()), dress(cnn(1).train())]
    ensemble = EnsembleClassifier(members)
    states = [snapshot(m) for m in members]
    assert ensemble.training
    with pytest.warns(AdvvalWarning, match=re.escape(TRAINING)):
        report = evaluate(ensemble, (X, y), n_examples=0)
    assert ensemble.training and ensemble.models.training
    for member, state in zip(members, states, strict=True):
        assert_as_found(member, state)
    twin = EnsembleClassifier([cnn(0).eval(), cnn(1).eval()])
    assert report.to_dict() == evaluate(twin, (X, y), n_examples=0).to_dict()


class NaNLogits(torch.nn.Module):
    """Logits that are NaN (or inf) for the images whose first pixel is above ``cut``."""

    def __init__(self, value=float("nan"), cut=0.9, outputs=3):
        super().__init__()
        self.linear = torch.nn.Linear(36, outputs)
        self.value, self.cut = value, cut
        self.eval()

    def forward(self, x):
        out = self.linear(x.flatten(1))
        bad = x.flatten(1)[:, :1] > self.cut
        return torch.where(bad, torch.full_like(out, self.value), out)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_nan_or_infinite_logits_are_refused(value):
    X, y = images()
    X[:3, 0, 0, 0] = 0.95  # three images the model answers with non-finite logits
    X[3:, 0, 0, 0] = 0.1
    message = r"The model \(NaNLogits\) returned NaN or infinite logits for 3 of 12 rows"
    with pytest.raises(ValueError, match=message):
        evaluate(NaNLogits(value), (X, y))
    for outputs in (3, 1):  # the examples' own predictions, multi-class and one logit
        with pytest.raises(ValueError, match=message):
            _predict(NaNLogits(value, outputs=outputs), X, batch_size=5)


def test_nan_and_infinite_pixels_are_refused():
    X, y = images()
    X[2, 0, 1, 1] = float("nan")
    X[5, 0, 2, 2] = float("-inf")
    with pytest.raises(ValueError, match=re.escape(
        "evaluate_robustness: X holds 2 NaN or infinite value(s) in 2 of 12 samples; images "
        "(and other N-D inputs) need finite values."
    )):
        evaluate(cnn().eval(), (X, y))


@pytest.mark.parametrize(
    ("mean", "std", "message"),
    [([float("nan")], [1.0], "Normalize: mean must be finite. Got [nan] instead."),
     ([0.0], [float("inf")], "Normalize: std must be finite. Got [inf] instead."),
     ([0.0], [float("nan")], "Normalize: std must be finite. Got [nan] instead.")],
)
def test_normalize_refuses_nan_and_inf(mean, std, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Normalize(mean, std)
