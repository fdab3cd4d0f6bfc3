"""AutoAttack (APGD-CE, APGD-T, Square on survivors) against known truths.

- On a CNN trained on digits (8x8 images in [0, 1]) its robust accuracy is no higher than
  PGD's or APGD-CE's at the same eps, steps and points; every image APGD-CE fools with the
  same seed it fools too (its first stage is that very run).
- Stage accounting: ``stage_`` agrees with ``success_`` and with the model's predictions;
  the stage counts add up to the successes; queries per image follow the survivor scheme
  exactly (a stage costs only the images still robust).
- 2- and 3-class models work (APGD's margin fallback, fewer target classes), a
  gradient-masked model (bit-depth reduction without BPDA) is won by the Square stage,
  ``max_queries`` is a hard limit, targeted mode moves toward the targets.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from advval.attacks import APGD, PGD, AutoAttack  # noqa: E402
from advval.image import BitDepthReduction  # noqa: E402

EPS = 0.15
STEPS = 5


def cnn(n_classes, seed=0, width=6):
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, width, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(width * 16, n_classes),
    )
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            fan_in = param.shape[1:].numel() if param.dim() > 1 else param.numel()
            param.uniform_(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), generator=generator)
    return model


def trained(n_classes, epochs=50):
    """A CNN on the digits of classes 0..n_classes-1 and 60 held-out images it gets right."""
    from sklearn.datasets import load_digits

    data = load_digits()
    keep = data.target < n_classes
    X = torch.tensor(data.images[keep] / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(data.target[keep])
    order = torch.tensor(np.random.default_rng(0).permutation(len(y)))
    X, y = X[order], y[order]
    model = cnn(n_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(epochs):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X[:-100]), y[:-100]).backward()
        optimizer.step()
    model.eval()
    X_test, y_test = X[-100:], y[-100:]
    with torch.no_grad():
        right = model(X_test).argmax(1) == y_test
    assert right.float().mean() > 0.85
    return model, X_test[right][:60], y_test[right][:60]


@pytest.fixture(scope="module")
def ten():
    return trained(10)


@pytest.fixture(scope="module")
def three():
    return trained(3)


@pytest.fixture(scope="module")
def two():
    return trained(2)


def predict(model, X):
    with torch.no_grad():
        return model(X).argmax(1).cpu()


def quick(model, **params):
    settings = {"eps": EPS, "bounds": (0, 1), "steps": STEPS, "square_steps": 40,
                "random_state": 0, **params}
    return AutoAttack(model, **settings)


def check_accounting(attack, model, X_adv, y):
    fooled = (predict(model, X_adv) != y.cpu()).numpy()
    np.testing.assert_array_equal(attack.success_, fooled)
    np.testing.assert_array_equal(attack.stage_ != "none", attack.success_)
    assert sum(attack.stage_counts_.values()) == attack.success_.sum()
    assert set(attack.stage_) <= {"initial", "apgd-ce", "apgd-t", "square", "none"}
    assert attack.blackbox_wins_ == attack.stage_counts_["square"]


@pytest.mark.parametrize("eps", [0.05, 0.1, EPS])
def test_no_weaker_than_pgd_and_apgd_ce_on_digits(ten, eps):
    model, X, y = ten
    before = X.clone()
    auto = quick(model, eps=eps)
    X_auto = auto.generate(X, y)
    apgd = APGD(model, eps=eps, bounds=(0, 1), steps=STEPS, loss="ce", random_state=0)
    X_apgd = apgd.generate(X, y)
    pgd = PGD(model, eps=eps, bounds=(0, 1), steps=STEPS, random_state=0)
    X_pgd = pgd.generate(X, y)
    assert torch.equal(X, before)
    robust = {name: float((predict(model, Z) == y).float().mean())
              for name, Z in (("auto", X_auto), ("apgd", X_apgd), ("pgd", X_pgd))}
    assert robust["auto"] <= robust["apgd"] and robust["auto"] <= robust["pgd"], robust
    # the first stage is APGD-CE with the same seed on the same images: a superset
    assert np.all(auto.success_[apgd.success_])
    np.testing.assert_array_equal(auto.stage_ == "apgd-ce", apgd.success_)
    assert 0 < apgd.success_.mean() < 1  # a real contest: some images are left to stage 2
    check_accounting(auto, model, X_auto, y)
    assert (X_auto - X).abs().amax() <= eps + 1e-6
    assert X_auto.min() >= 0 and X_auto.max() <= 1


def test_queries_follow_the_survivors(three):
    model, X, y = three
    attack = quick(model, n_target_classes=9)
    X_adv = attack.generate(X, y)
    check_accounting(attack, model, X_adv, y)
    # initial check, APGD-CE (steps + 1 rows), its check, the final check
    after_ce = 1 + (STEPS + 1) + 1 + 1
    targets = 2  # 3 classes leave 2 target classes of the 9 asked for
    after_t = after_ce + 1 + targets * (STEPS + 1) + 1  # ranking the classes, the runs, check
    stage, queries = attack.stage_, attack.queries_
    assert np.all(queries[stage == "apgd-ce"] == after_ce)
    assert np.all(queries[stage == "apgd-t"] == after_t)
    later = np.isin(stage, ["square", "none"])
    assert np.all(queries[later] > after_t)
    assert np.all(queries[stage == "none"] == after_t + 1 + 40 + 1)  # Square: check + steps
    assert attack.success_.any() and (~attack.success_).any()


@pytest.mark.parametrize("fixture", ["two", "three"])
def test_two_and_three_classes(fixture, request):
    model, X, y = request.getfixturevalue(fixture)
    attack = quick(model, eps=0.3, batch_size=16)
    X_adv = attack.generate(X, y)
    check_accounting(attack, model, X_adv, y)
    assert attack.success_.mean() > 0.5
    assert (X_adv - X).abs().amax() <= 0.3 + 1e-6


def test_l2(ten):
    model, X, y = ten
    attack = quick(model, norm=2, eps=0.5)
    X_adv = attack.generate(X, y)
    check_accounting(attack, model, X_adv, y)
    sizes = (X_adv - X).flatten(1).norm(dim=1).numpy()
    assert np.all(sizes <= 0.5 + 1e-5)
    np.testing.assert_allclose(attack.norms_, sizes, rtol=1e-5, atol=1e-6)
    apgd = APGD(model, norm=2, eps=0.5, bounds=(0, 1), steps=STEPS, random_state=0)
    apgd.generate(X, y)
    assert np.all(attack.success_[apgd.success_]) and 0 < apgd.success_.mean() < 1


def test_gradient_masking_is_won_by_the_square_stage(ten):
    model, X, y = ten
    masked = torch.nn.Sequential(BitDepthReduction(bits=1), model).eval()
    with torch.no_grad():
        right = masked(X).argmax(1) == y
    X, y = X[right], y[right]
    attack = quick(masked, eps=0.3, square_steps=100)
    X_adv = attack.generate(X, y)
    check_accounting(attack, masked, X_adv, y)
    assert attack.stage_counts_["square"] > 0
    assert attack.blackbox_wins_ == attack.stage_counts_["square"]


def test_deterministic_and_budget(ten):
    model, X, y = ten
    first = quick(model).generate(X[:20], y[:20])
    second = quick(model).generate(X[:20], y[:20])
    assert torch.equal(first, second)
    # three rows leave no room for a stage (the first check, one stage's step and check,
    # the final check): nothing is attacked, nothing moves
    starved = quick(model, max_queries=3)
    out = starved.generate(X[:20], y[:20])
    assert torch.equal(out, X[:20]) and starved.queries_.max() <= 3
    assert not starved.success_.any()
    capped = quick(model, max_queries=30)
    capped.generate(X[:20], y[:20])
    assert capped.queries_.max() <= 30


def test_eps_zero_and_misclassified_inputs(ten):
    model, X, y = ten
    wrong = (y[:10] + 1) % 10  # labels the model does not predict
    attack = quick(model)
    attack.generate(X[:10], wrong)
    assert attack.stage_counts_["initial"] == 10 and attack.success_.all()
    still = quick(model, eps=0.0)
    out = still.generate(X[:10], y[:10])
    assert torch.equal(out, X[:10]) and list(still.stage_) == ["none"] * 10


def test_targeted(ten):
    model, X, y = ten
    target = (y + 3) % 10
    attack = quick(model, targeted=True, eps=0.3)
    X_adv = attack.generate(X[:30], target[:30])
    hit = (predict(model, X_adv) == target[:30]).numpy()
    np.testing.assert_array_equal(attack.success_, hit)
    np.testing.assert_array_equal(attack.stage_ != "none", hit)
    assert hit.mean() > 0.3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"version": "plus"}, "The 'version' parameter of AutoAttack must be one of"),
        ({"steps": 0}, r"The 'steps' parameter of AutoAttack must be an int in the range \[1"),
        ({"restarts": 0}, "The 'restarts' parameter of AutoAttack must be an int"),
        ({"n_target_classes": 0}, "The 'n_target_classes' parameter of AutoAttack must be"),
        ({"square_steps": 1.5}, "The 'square_steps' parameter of AutoAttack must be an int"),
        ({"batch_size": 0}, r"The 'batch_size' parameter of AutoAttack must be an int in the "
                            r"range \[1, inf\) or None"),
        ({"eps": -0.1}, "The 'eps' parameter of AutoAttack must be a float"),
        ({"norm": "0"}, "The 'norm' parameter of AutoAttack must be one of"),
    ],
)
def test_bad_parameters(ten, params, message):
    model, X, y = ten
    with pytest.raises(ValueError, match=message):
        quick(model, **params).generate(X[:2], y[:2])


def test_fast_version_has_no_square_stage(ten):
    model, X, y = ten
    attack = quick(model, version="fast", eps=0.05)
    attack.generate(X, y)
    assert attack.stage_counts_["square"] == 0
    survivors = attack.stage_ == "none"
    assert survivors.any()
    # initial check, APGD-CE and its check, APGD-T (9 targets) and its check, final check
    assert np.all(attack.queries_[survivors] == 1 + (STEPS + 2) + 1 + 9 * (STEPS + 1) + 1 + 1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_follows_the_input(ten):
    model, X, y = ten
    gpu = cnn(10).cuda().eval()
    gpu.load_state_dict(model.state_dict())
    X_gpu, y_gpu = X.cuda(), y.cuda()
    attack = quick(gpu, square_steps=20)
    out = attack.generate(X_gpu, y_gpu)
    assert out.device == X_gpu.device and out.dtype == X_gpu.dtype
    assert next(gpu.parameters()).device.type == "cuda"
    check_accounting(attack, gpu, out, y_gpu)
    assert (out - X_gpu).abs().amax() <= EPS + 1e-6
