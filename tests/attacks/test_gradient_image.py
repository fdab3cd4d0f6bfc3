"""The gradient attacks on image batches: bf16 autocast, channels-last, dtype and device.

Known truths: the model computes the same function in bf16 up to rounding, so a bf16
search finds (almost) the same robust accuracy as a float32 one; ``success_`` is checked
against the model in full precision; a channels-last batch is the same data as a
contiguous one, so the attack returns the same points; nothing the user passed changes;
the step loops of PGD and APGD never wait on the device (no ``.item()``, ``bool()``,
``.cpu()`` on a tensor).
"""

import copy
import math
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from advval.attacks.gradient import APGD, FGSM, PGD, CarliniWagnerL2, DeepFool  # noqa: E402
from advval.image import Normalize  # noqa: E402

ATTACKS = {
    "PGD": lambda model, **kw: PGD(model, eps=0.1, steps=5, restarts=2, random_state=0, **kw),
    "APGD": lambda model, **kw: APGD(model, eps=0.1, steps=5, random_state=0, **kw),
    "FGSM": lambda model, **kw: FGSM(model, eps=0.1, **kw),
    "CarliniWagnerL2": lambda model, **kw: CarliniWagnerL2(
        model, steps=5, binary_search_steps=2, **kw
    ),
    "DeepFool": lambda model, **kw: DeepFool(model, steps=5, **kw),
}


@pytest.fixture(scope="module")
def digits_model():
    """A small CNN trained on 1400 digits (8x8, [0, 1]) and 200 held-out test images."""
    from sklearn.datasets import load_digits

    data = load_digits()
    X = torch.tensor(data.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(data.target, dtype=torch.long)
    order = torch.as_tensor(np.random.RandomState(0).permutation(len(y)))
    X, y = X[order], y[order]
    model = torch.nn.Sequential(
        Normalize([0.3], [0.4]),
        torch.nn.Conv2d(1, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(128, 10),
    )
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in model.parameters():
            bound = 1 / math.sqrt(param.shape[1:].numel() if param.dim() > 1 else param.numel())
            param.uniform_(-bound, bound, generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(60):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X[:1400]), y[:1400]).backward()
        optimizer.step()
    optimizer.zero_grad()  # .grad back to None: the tests check it stays so
    model.eval().requires_grad_(False)
    return model, X[-200:], y[-200:]


def robust_accuracy(model, X_adv, y):
    with torch.no_grad():
        return float((model(X_adv.float()).argmax(1) == y).float().mean())


class Recorder:
    """Forward hook on the first convolution: dtype and memory format of every call."""

    def __init__(self, model):
        self.calls = []
        self.handle = model[1].register_forward_hook(self)

    def __call__(self, module, inputs, output):
        x = inputs[0]
        self.calls.append((output.dtype, x.is_contiguous(memory_format=torch.channels_last)))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.remove()


def test_bfloat16_search_finds_the_float32_robust_accuracy(digits_model):
    model, X, y = digits_model
    for eps in (0.08, 0.1):  # mid-range robust accuracies (about 0.55 and 0.4)
        full = PGD(model, eps=eps, steps=10, bounds=(0, 1), random_state=0)
        half = PGD(model, eps=eps, steps=10, bounds=(0, 1), random_state=0, autocast="bfloat16")
        acc_full = robust_accuracy(model, full.generate(X, y), y)
        X_half = half.generate(X, y)
        acc_half = robust_accuracy(model, X_half, y)
        assert 0.2 < acc_full < 0.8
        assert abs(acc_half - acc_full) <= 0.03, (eps, acc_full, acc_half)
        # success_ is the full-precision verdict, and the output is inside the budget
        with torch.no_grad():
            fooled = (model(X_half).argmax(1) != y).numpy()
        np.testing.assert_array_equal(half.success_, fooled)
        assert float((X_half - X).abs().max()) <= eps + 1e-6
        assert float(X_half.min()) >= 0 and float(X_half.max()) <= 1


@pytest.mark.parametrize("name", list(ATTACKS))
def test_autocast_runs_the_search_in_bfloat16_and_checks_in_full_precision(
    digits_model, name
):
    model, X, y = digits_model
    X = X[:20]
    with Recorder(model) as recorder:
        ATTACKS[name](model, bounds=(0, 1), autocast="bfloat16").generate(X, y[:20])
    dtypes = [dtype for dtype, _ in recorder.calls]
    assert torch.bfloat16 in dtypes
    assert dtypes[-1] == torch.float32  # the final check
    with Recorder(model) as recorder:
        ATTACKS[name](model, bounds=(0, 1)).generate(X, y[:20])
    assert {dtype for dtype, _ in recorder.calls} == {torch.float32}


@pytest.mark.parametrize("name", list(ATTACKS))
@pytest.mark.parametrize("autocast", [None, "bfloat16"])
@pytest.mark.parametrize("layout", ["channels_last", "float64"])
def test_outputs_follow_the_input_and_leave_everything_as_found(
    digits_model, name, autocast, layout
):
    model, X, y = digits_model
    X = X[:12]
    channels_last = torch.channels_last
    X = X.contiguous(memory_format=channels_last) if layout == "channels_last" else X.double()
    before = X.clone()
    flags = [p.requires_grad for p in model.parameters()]
    attack = ATTACKS[name](model, bounds=(0, 1), autocast=autocast)
    with Recorder(model) as recorder:
        X_adv = attack.generate(X, y[:12])
    assert X_adv.dtype == X.dtype and X_adv.device == X.device and X_adv.shape == X.shape
    if layout == "channels_last":  # the model saw, and the user gets, channels-last
        assert X_adv.is_contiguous(memory_format=torch.channels_last)
        assert all(channels_last for _, channels_last in recorder.calls)
    torch.testing.assert_close(X, before, rtol=0, atol=0)
    assert X.stride() == before.stride()
    assert [p.requires_grad for p in model.parameters()] == flags
    assert all(p.grad is None for p in model.parameters())
    assert not model.training
    assert attack.success_.any()  # the attacks still work on these inputs


@pytest.mark.parametrize("name", ["PGD", "APGD"])
def test_channels_last_gives_the_same_points(digits_model, name):
    model, X, y = digits_model
    X = X[:50]
    plain = ATTACKS[name](model, bounds=(0, 1)).generate(X, y[:50])
    last = ATTACKS[name](model, bounds=(0, 1)).generate(
        X.contiguous(memory_format=torch.channels_last), y[:50]
    )
    torch.testing.assert_close(last, plain, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", list(ATTACKS))
@pytest.mark.parametrize("value", ["float16", "bf16", True])
def test_bad_autocast_is_named(digits_model, name, value):
    model, X, y = digits_model
    attack = ATTACKS[name](model, bounds=(0, 1), autocast=value)
    message = (
        f"The 'autocast' parameter of {name} must be one of None, 'bfloat16'. "
        f"Got {value!r} instead."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        attack.generate(X[:2], y[:2])


SYNCS = ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__", "__index__")


@pytest.mark.parametrize("name", ["PGD", "APGD", "FGSM"])
@pytest.mark.parametrize("autocast", [None, "bfloat16"])
def test_step_loops_never_wait_on_the_device(digits_model, monkeypatch, name, autocast):
    """Every way a tensor reaches the host is forbidden inside ``_generate``."""
    model, X, y = digits_model
    attack = ATTACKS[name](model, bounds=(0, 1), autocast=autocast)
    cls = type(attack)
    inner = cls._generate
    used = []

    def forbidden(method):
        original = getattr(torch.Tensor, method)

        def call(self, *args, **kwargs):
            if method == "numpy" and self.device.type == "cpu":
                # a NumPy view of host memory (the CPU best-point update): no device wait;
                # a device tensor's .numpy() still fails the test
                return original(self, *args, **kwargs)
            used.append(method)
            raise AssertionError(f"Tensor.{method} in {name}'s step loop")

        return call

    def guarded(self, *args, **kwargs):
        with monkeypatch.context() as patch:
            for method in SYNCS:
                patch.setattr(torch.Tensor, method, forbidden(method))
            return inner(self, *args, **kwargs)

    monkeypatch.setattr(cls, "_generate", guarded)
    attack.generate(X[:20], y[:20])
    assert used == []
    assert attack.success_.any()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("autocast", [None, "bfloat16"])
def test_cuda_batches_stay_on_the_device(digits_model, autocast):
    model, X, y = digits_model
    gpu = copy.deepcopy(model).cuda()  # the shared fixture stays on the CPU
    X_gpu, y_gpu = X.cuda(), y.cuda()
    attack = PGD(gpu, eps=0.1, steps=10, bounds=(0, 1), random_state=0, autocast=autocast)
    X_adv = attack.generate(X_gpu, y_gpu)
    assert X_adv.device == X_gpu.device and X_adv.dtype == X_gpu.dtype
    assert all(p.device.type == "cuda" for p in gpu.parameters())
    cpu = PGD(model, eps=0.1, steps=10, bounds=(0, 1), random_state=0).generate(X, y)
    assert abs(robust_accuracy(gpu, X_adv, y_gpu) - robust_accuracy(model, cpu, y)) <= 0.05
