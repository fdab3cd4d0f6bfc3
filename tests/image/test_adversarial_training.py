"""adversarial_training: PGD-AT, fast FGSM-AT and TRADES on digits, history, contracts."""

from __future__ import annotations

import dataclasses
import json

import pytest

torch = pytest.importorskip("torch")

from advval.attacks import PGD, CarliniWagnerL2  # noqa: E402
from advval.image import TrainingHistory, adversarial_training  # noqa: E402

from .conftest import small_cnn  # noqa: E402

EPS = 0.1
#: few, small steps: a short schedule that still separates trained from untrained models
SETTINGS = {"eps": EPS, "epochs": 6, "lr": 0.01, "batch_size": 100, "steps": 5}


def robust_accuracy(model, X, y, *, eps=EPS, loss="ce"):
    """Accuracy under a 20-step PGD with the public API (independent of the training code)."""
    X_adv = PGD(model, eps=eps, steps=20, bounds=(0, 1), loss=loss, random_state=0).generate(
        X, y
    )
    with torch.no_grad():
        clean = model(X).argmax(1) == y
        robust = clean & (model(X_adv).argmax(1) == y)
    return clean.float().mean().item(), robust.float().mean().item()


@pytest.fixture(scope="module")
def plain(cnns, digits):
    """The same architecture (seed 0, width 8) trained normally: clean and robust accuracy."""
    return robust_accuracy(cnns[0], digits[2], digits[3])


@pytest.fixture(scope="module")
def trained(digits):
    """PGD-AT, fast FGSM-AT and TRADES models of the plain one's architecture and init."""
    X, y, X_test, y_test = digits
    out = {}
    for attack in ("pgd", "fgsm", "trades"):
        model = small_cnn(0)
        history = adversarial_training(
            model, (X, y), attack=attack, eval_loader=(X_test, y_test), random_state=0,
            **SETTINGS,
        )
        out[attack] = (model.eval(), history)
    return out


@pytest.mark.parametrize(
    ("attack", "margin"), [("pgd", 0.15), ("fgsm", 0.15), ("trades", 0.1)]
)
def test_training_raises_robust_accuracy(trained, plain, digits, attack, margin):
    # measured (eps 0.1, 20-step PGD, CE / margin loss): plain 0.425 / 0.435; PGD-AT
    # 0.63 / 0.64, FGSM-AT 0.645 / 0.64, TRADES 0.685 / 0.635 (6 epochs, 5 attack steps)
    model, _ = trained[attack]
    clean, robust = robust_accuracy(model, digits[2], digits[3])
    assert clean > 0.85
    assert robust > plain[1] + margin
    # and under the margin loss too: not gradient masking
    assert robust_accuracy(model, digits[2], digits[3], loss="margin")[1] > plain[1] + margin


def test_history_has_per_epoch_numbers(trained, digits):
    model, history = trained["pgd"]
    assert isinstance(history, TrainingHistory)
    assert history.attack == "pgd" and history.eps == EPS and history.epochs == 6
    for values in (history.loss, history.train_accuracy, history.clean_accuracy,
                   history.robust_accuracy, history.seconds):
        assert len(values) == 6
    assert history.loss[-1] < history.loss[0]
    assert history.train_accuracy[-1] > history.train_accuracy[0]
    assert all(s > 0 for s in history.seconds)
    # the last evaluation is of the returned model: exactly its clean accuracy, and a
    # robust accuracy close to an independent 20-step PGD with another random start
    clean, robust = robust_accuracy(model, digits[2], digits[3])
    assert history.clean_accuracy[-1] == pytest.approx(clean, abs=1e-6)
    assert history.robust_accuracy[-1] == pytest.approx(robust, abs=0.04)
    assert all(r <= c for r, c in zip(history.robust_accuracy, history.clean_accuracy, strict=True))
    data = history.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["loss"] == list(history.loss) and data["attack"] == "pgd"
    with pytest.raises(dataclasses.FrozenInstanceError):
        history.eps = 0.2


def test_without_eval_data_history_has_no_eval_numbers(digits):
    X, y = digits[0][:200], digits[1][:200]
    history = adversarial_training(small_cnn(0), (X, y), eps=EPS, epochs=1, steps=2,
                                   random_state=0)
    assert history.clean_accuracy == () and history.robust_accuracy == ()
    assert len(history.loss) == 1


def test_deterministic_under_a_seed(digits):
    X, y = digits[0][:300], digits[1][:300]

    def weights(seed, attack):
        model = small_cnn(3)
        adversarial_training(model, (X, y), attack=attack, eps=EPS, epochs=1, steps=2,
                             batch_size=64, random_state=seed)
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    for attack in ("pgd", "trades"):
        assert torch.equal(weights(0, attack), weights(0, attack))
        assert not torch.equal(weights(0, attack), weights(1, attack))


def test_mode_and_inputs_left_as_found(digits):
    X, y = digits[0][:100], digits[1][:100]
    X_before, y_before = X.clone(), y.clone()
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(64, 32), torch.nn.BatchNorm1d(32),
        torch.nn.Dropout(0.2), torch.nn.Linear(32, 10),
    )
    model.train()
    model[2].eval()  # a frozen batch-norm inside a model in training mode
    flags = [m.training for m in model.modules()]
    attack = PGD(None, eps=EPS, steps=2)
    history = adversarial_training(model, (X, y), attack=attack, epochs=1, batch_size=50,
                                   random_state=0)
    assert [m.training for m in model.modules()] == flags
    assert torch.equal(X, X_before) and torch.equal(y, y_before)
    assert attack.model is None and attack.bounds is None  # the user's attack is not changed
    assert history.attack == "PGD" and history.eps == EPS
    model.eval()
    adversarial_training(model, (X, y), eps=EPS, epochs=1, steps=2, random_state=0)
    assert not any(m.training for m in model.modules())


def test_trains_the_model_in_place_and_only_it(digits):
    X, y = digits[0][:100], digits[1][:100]
    model = small_cnn(0)
    before = [p.detach().clone() for p in model.parameters()]
    adversarial_training(model, (X, y), eps=EPS, epochs=1, steps=1, random_state=0)
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert all(p.requires_grad for p in model.parameters())


def test_dataloader_optimizer_scheduler_and_attack_object(digits):
    X, y = digits[0][:200], digits[1][:200]
    dataset = torch.utils.data.TensorDataset(X, y)

    def run():
        model = small_cnn(0)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        loader = torch.utils.data.DataLoader(
            dataset, batch_size=50, shuffle=True, generator=torch.Generator().manual_seed(0)
        )
        history = adversarial_training(
            model, loader, attack=PGD(None, eps=EPS, steps=2, random_state=5), epochs=2,
            optimizer=optimizer, scheduler=scheduler, eval_loader=loader,
            eval_attack=PGD(None, eps=0.05, steps=3, random_state=0),
        )
        return model, history, optimizer

    model, history, optimizer = run()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.025)
    assert history.epochs == 2 and len(history.robust_accuracy) == 2
    again = run()[0]
    pairs = zip(model.parameters(), again.parameters(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)


def test_fast_fgsm_takes_one_step_of_1_25_eps():
    """Wong et al.: one signed step of 1.25 eps from a uniform start, clipped to the ball.

    On a linear binary model every pixel then moves toward the gradient sign by at least
    0.25 eps and at most eps (start in [-eps, eps], plus 1.25 eps, clipped).
    """
    import numpy as np

    from advval.image.defenses._adversarial_training import _Crafter, _training_attack

    model = torch.nn.Linear(6, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, -2.0, 0.5, -0.5, 3.0, -1.0]]))
        model.bias.zero_()
    core, name = _training_attack("fgsm", eps=EPS, norm="inf", steps=10, box=(-5.0, 5.0))
    assert name == "fgsm" and core.steps == 1 and core.step_size == 1.25
    crafter = _Crafter(core, model, dtype=torch.float32, amp=None,
                       rng=np.random.RandomState(0))
    X = torch.zeros(500, 6)
    y = torch.ones(500, dtype=torch.long)  # push the logit down: against the weights
    delta = crafter(X, y) - X
    toward = -delta * model.weight.sign()
    assert toward.min() >= 0.25 * EPS - 1e-6
    assert toward.max() <= EPS + 1e-6
    # the start is uniform: the clipped share is (1 - 0.25) / 2 of the pixels
    assert (toward > EPS - 1e-6).float().mean().item() == pytest.approx(0.625, abs=0.03)


def test_single_logit_binary_model(digits):
    X, y = digits[0][:200], (digits[1][:200] >= 5).long()
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 1))
    history = adversarial_training(model, (X, y), eps=0.05, epochs=3, lr=0.05,
                                   eval_loader=(X, y), random_state=0)
    assert history.clean_accuracy[-1] > 0.6


def test_l2_norm_integer_labels_and_other_gradient_attacks(digits):
    from advval.attacks import FGSM
    from advval.attacks.gradient.apgd import APGD

    X, y = digits[0][:200], digits[1][:200].int()
    for attack in (APGD(None, eps=EPS, steps=2), FGSM(None, eps=EPS)):
        history = adversarial_training(small_cnn(0), (X, y), attack=attack, epochs=1,
                                       eval_loader=(X, y), random_state=0)
        assert history.attack == type(attack).__name__
        assert history.robust_accuracy[0] <= history.clean_accuracy[0]
    for attack in ("pgd", "trades"):
        history = adversarial_training(small_cnn(0), (X, y), attack=attack, norm=2, eps=0.5,
                                       epochs=2, steps=2, lr=0.01, eval_loader=(X, y),
                                       random_state=0)
        assert history.loss[-1] < history.loss[0]
        assert history.robust_accuracy[-1] <= history.clean_accuracy[-1]


def test_bf16_autocast_on_cpu(digits):
    X, y = digits[0][:200], digits[1][:200]
    model = small_cnn(0)
    history = adversarial_training(model, (X, y), eps=EPS, epochs=2, steps=2, lr=0.01,
                                   amp="bf16", eval_loader=(X, y), random_state=0)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert all(torch.isfinite(torch.tensor(history.loss)))
    assert history.loss[-1] < history.loss[0]


def test_trades_with_bf16_and_channels_last(digits):
    X, y = digits[0][:100], digits[1][:100]
    model = small_cnn(0)
    history = adversarial_training(model, (X, y), attack="trades", eps=EPS, epochs=1,
                                   steps=2, amp="bf16", channels_last=True, random_state=0)
    assert model[1].weight.is_contiguous(memory_format=torch.channels_last)
    assert torch.isfinite(torch.tensor(history.loss)).all()


def test_verbose_progress_bar_on_stderr(digits, capsys):
    X, y = digits[0][:100], digits[1][:100]
    adversarial_training(small_cnn(0), (X, y), eps=EPS, epochs=1, steps=1, random_state=0)
    assert capsys.readouterr().err == ""
    adversarial_training(small_cnn(0), (X, y), eps=EPS, epochs=1, steps=1, random_state=0,
                         verbose=True)
    assert "adversarial_training (pgd)" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("amp", [None, "bf16", "fp16"])
def test_gpu_follows_the_model_device(digits, amp):
    X, y = digits[0][:400], digits[1][:400]
    model = small_cnn(0).cuda()
    history = adversarial_training(model, (X, y), eps=EPS, epochs=2, steps=3, lr=0.01,
                                   amp=amp, eval_loader=(X.cuda(), y.cuda()),
                                   channels_last=True, random_state=0)
    assert all(p.device.type == "cuda" and p.dtype == torch.float32
               for p in model.parameters())
    assert X.device.type == "cpu"
    assert history.loss[-1] < history.loss[0]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"attack": "free"}, ValueError,
         r"The 'attack' parameter of adversarial_training must be one of 'pgd', 'fgsm', "
         r"'trades'. Got 'free' instead."),
        ({"attack": 3}, ValueError, r"'attack' parameter .* gradient attack instance"),
        ({"attack": CarliniWagnerL2(None)}, ValueError, r"'eps' parameter of CarliniWagnerL2"),
        ({"attack": PGD(None), "eps": 0.1}, ValueError,
         r"'eps' parameter of adversarial_training must be None when 'attack' is an attack"),
        ({"attack": PGD(None, eps=0.1, targeted=True)}, ValueError,
         r"'attack' parameter of adversarial_training must be an untargeted attack"),
        ({"eval_attack": PGD(None, eps=0.1, targeted=True), "eval_loader": ([1], [2])},
         ValueError, r"'eval_attack' parameter .* must be an untargeted attack"),
        ({"eps": -0.1}, ValueError,
         r"'eps' parameter of adversarial_training must be a float in the range \(0, inf\)\. "
         r"Got -0.1 instead"),
        ({"norm": 1}, ValueError, r"'norm' parameter of adversarial_training"),
        ({"epochs": 0}, ValueError, r"'epochs' parameter of adversarial_training must be an "
         r"int in the range \[1, inf\)"),
        ({"steps": 1.5}, ValueError, r"'steps' parameter"),
        ({"batch_size": 0}, ValueError, r"'batch_size' parameter"),
        ({"lr": 0}, ValueError, r"'lr' parameter"),
        ({"trades_beta": -1}, ValueError, r"'trades_beta' parameter"),
        ({"bounds": (1, 0)}, ValueError, r"'bounds' parameter of adversarial_training must be "
         r"a pair \(lower, upper\) of finite floats"),
        ({"bounds": "01"}, ValueError, r"'bounds' parameter"),
        ({"amp": "fp8"}, ValueError, r"'amp' parameter of adversarial_training must be one of "
         r"None, 'bf16', 'fp16'. Got 'fp8'"),
        ({"channels_last": 1}, ValueError, r"'channels_last' parameter .* must be a bool"),
        ({"verbose": "yes"}, ValueError, r"'verbose' parameter"),
        ({"optimizer": "adam"}, TypeError, r"'optimizer' parameter .* torch.optim.Optimizer"),
        ({"optimizer": torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)},
         ValueError, r"'optimizer' parameter .* must optimize the model's parameters"),
        ({"scheduler": 3}, TypeError, r"'scheduler' parameter"),
        ({"eval_attack": PGD(None)}, ValueError, r"'eval_attack' parameter .* needs evaluation"),
        ({"eval_loader": ([1], [2])}, TypeError, r"'eval_loader' parameter .* DataLoader or "
         r"an \(X, y\) pair of tensors"),
    ],
)
def test_bad_parameters(digits, kwargs, error, match):
    X, y = digits[0][:10], digits[1][:10]
    with pytest.raises(error, match=match):
        adversarial_training(small_cnn(0), (X, y), **{"epochs": 1, **kwargs})


def test_bad_model_and_data(digits):
    X, y = digits[0][:10], digits[1][:10]
    with pytest.raises(TypeError, match=r"'model' parameter .* torch.nn.Module"):
        adversarial_training("net", (X, y))
    with pytest.raises(ValueError, match=r"'model' parameter .* floating-point parameters"):
        adversarial_training(torch.nn.Flatten(), (X, y))
    with pytest.raises(TypeError, match=r"'loader' parameter .* Got ndarray instead"):
        adversarial_training(small_cnn(0), X.numpy())
    with pytest.raises(ValueError, match=r"X has 10 samples and y has 9 labels"):
        adversarial_training(small_cnn(0), (X, y[:9]))
    with pytest.raises(ValueError, match=r"class indices as y: an integer tensor"):
        adversarial_training(small_cnn(0), (X, y.float()), epochs=1)


def test_iterable_loader_without_length_and_empty_loader(digits):
    X, y = digits[0][:100], digits[1][:100]

    class Stream(torch.utils.data.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(zip(X[: self.n], y[: self.n], strict=True))

    loader = torch.utils.data.DataLoader(Stream(100), batch_size=50)
    history = adversarial_training(small_cnn(0), loader, eps=EPS, epochs=1, steps=1,
                                   random_state=0, verbose=True)
    assert history.epochs == 1
    with pytest.raises(ValueError, match=r"'loader' parameter of adversarial_training gave no"):
        adversarial_training(small_cnn(0), torch.utils.data.DataLoader(Stream(0)), epochs=1)
