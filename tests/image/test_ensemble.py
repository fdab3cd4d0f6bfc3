"""EnsembleClassifier: averaging, modes left alone, and attacks that see the whole ensemble."""

import math

import pytest

torch = pytest.importorskip("torch")

from advval.attacks import PGD  # noqa: E402
from advval.image import EnsembleClassifier  # noqa: E402


def accuracy(model, X, y):
    with torch.no_grad():
        return (model(X).argmax(1) == y).float().mean().item()


def test_logits_are_the_mean():
    members = [torch.nn.Linear(3, 4) for _ in range(3)]
    x = torch.randn(5, 3)
    out = EnsembleClassifier(members)(x)
    expected = sum(m(x) for m in members) / 3
    torch.testing.assert_close(out, expected)


def test_probabilities_are_log_of_mean_softmax():
    members = [torch.nn.Linear(3, 4) for _ in range(2)]
    x = torch.randn(5, 3, dtype=torch.float64)
    members = [m.double() for m in members]
    out = EnsembleClassifier(members, combine="probabilities")(x)
    expected = (members[0](x).softmax(1) + members[1](x).softmax(1)) / 2
    torch.testing.assert_close(out.exp(), expected)
    torch.testing.assert_close(out.exp().sum(1), torch.ones(5, dtype=torch.float64))
    # the attacks' cross-entropy on the output is the NLL of the averaged probabilities
    labels = torch.tensor([0, 1, 2, 3, 0])
    torch.testing.assert_close(
        torch.nn.functional.cross_entropy(out, labels),
        -expected[torch.arange(5), labels].log().mean(),
    )


@pytest.mark.parametrize("shape", [(6,), (6, 1)])
def test_binary_probabilities_return_log_odds(shape):
    logits = [torch.randn(shape, dtype=torch.float64) for _ in range(3)]
    members = [_Const(z) for z in logits]
    out = EnsembleClassifier(members, combine="probabilities")(torch.zeros(6))
    p = sum(torch.sigmoid(z) for z in logits) / 3
    assert out.shape == shape
    torch.testing.assert_close(out, torch.log(p / (1 - p)))


class _Const(torch.nn.Module):
    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, x):
        return self.value


def test_members_modes_and_devices_untouched():
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    a.eval()
    ensemble = EnsembleClassifier([a, b])
    assert (a.training, b.training, ensemble.training) == (False, True, True)
    both_eval = EnsembleClassifier([a.eval(), b.eval()])
    assert not both_eval.training
    assert both_eval.models[0] is a
    x = torch.randn(3, 2, dtype=torch.float64)
    assert EnsembleClassifier([a.double(), b.double()])(x).dtype == torch.float64


def test_errors():
    with pytest.raises(ValueError, match="needs at least one model. Got none"):
        EnsembleClassifier([])
    with pytest.raises(TypeError, match="must be torch.nn.Module instances. Got function"):
        EnsembleClassifier([lambda x: x])
    with pytest.raises(ValueError, match="The 'combine' parameter of EnsembleClassifier must be"):
        EnsembleClassifier([torch.nn.Linear(2, 2)], combine="votes")
    mixed = EnsembleClassifier([torch.nn.Linear(2, 2), torch.nn.Linear(2, 3)])
    with pytest.raises(ValueError, match=r"members return different shapes \[\(4, 2\), \(4, 3\)\]"):
        mixed(torch.zeros(4, 2))


@pytest.mark.parametrize("combine", ["logits", "probabilities"])
def test_attacking_the_ensemble_beats_transfer_from_one_member(cnns, digits, combine):
    _, _, X, y = digits
    ensemble = EnsembleClassifier(cnns, combine=combine)
    assert not ensemble.training
    clean = accuracy(ensemble, X, y)
    assert clean > 0.9
    eps = 0.15
    transfer = PGD(cnns[0], eps=eps, bounds=(0, 1), steps=10, random_state=0).generate(X, y)
    direct = PGD(ensemble, eps=eps, bounds=(0, 1), steps=10, random_state=0).generate(X, y)
    assert float((direct - X).abs().max()) <= eps + 1e-6
    transfer_acc, direct_acc = accuracy(ensemble, transfer, y), accuracy(ensemble, direct, y)
    print(f"{combine}: clean {clean:.3f}, transfer {transfer_acc:.3f}, direct {direct_acc:.3f}")
    assert direct_acc < transfer_acc - 0.1
    assert direct_acc < 0.5 * clean
    # the members were left in eval mode and unchanged
    assert not any(m.training for m in cnns)
    assert math.isclose(accuracy(ensemble, X, y), clean)
