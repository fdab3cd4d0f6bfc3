"""FeatureSqueezingDetector: calibration, detection of PGD on digits, adaptive attacks."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.exceptions import NotFittedError  # noqa: E402
from torch import nn  # noqa: E402

from advval.attacks import PGD  # noqa: E402
from advval.exceptions import AdvvalWarning  # noqa: E402
from advval.image import (  # noqa: E402
    BitDepthReduction,
    FeatureSqueezingDetector,
    MedianSmoothing,
    detection_report,
)
from advval.image.defenses._detector import (  # noqa: E402
    SqueezingAwareModel,
    conservative_threshold,
    default_squeezers,
)

from .conftest import small_cnn, train  # noqa: E402


@pytest.fixture(scope="module")
def setting(digits):
    """A CNN trained on 800 digits; 800 held-out digits: 400 to calibrate, 400 to test."""
    X, y, X_test, y_test = digits
    model = train(small_cnn(0, 8), X[:800], y[:800])
    held_X, held_y = torch.cat([X[800:], X_test]), torch.cat([y[800:], y_test])
    detector = FeatureSqueezingDetector(model).fit(held_X[:400])
    return model, detector, held_X[400:], held_y[400:], held_X[:400]


@pytest.fixture(scope="module")
def report(setting):
    """Non-adaptive and adaptive PGD (eps 0.1) on 200 held-out digits."""
    model, detector, X, y, _ = setting
    attacks = {
        "pgd": PGD(model, eps=0.1, steps=20, bounds=(0, 1), random_state=0),
        "adaptive": PGD(
            detector.adaptive_model(), eps=0.1, steps=50, restarts=3, targeted=True,
            loss="margin", bounds=(0, 1), random_state=0,
        ),
    }
    return detection_report(detector, X[:200], y[:200], attacks)


def test_conservative_threshold_is_the_order_statistic():
    scores = np.random.default_rng(0).permutation(np.arange(100.0))
    # k = ceil(101 * 0.95) = 96: the 96th smallest of 0..99
    assert conservative_threshold(scores, 0.05) == 95.0
    with pytest.raises(ValueError, match="needs at least 19 clean images for fpr=0.05"):
        conservative_threshold(np.arange(18.0), 0.05)


def test_conservative_threshold_holds_its_fpr_by_simulation():
    """Exchangeable scores: mean fresh FPR is (n + 1 - k) / (n + 1) <= fpr; the plain
    sample quantile exceeds fpr."""
    rng = np.random.default_rng(1)
    n, fresh, replicates, fpr = 30, 50, 4000, 0.1
    data = rng.standard_normal((replicates, n + fresh))
    rates, plain = np.empty(replicates), np.empty(replicates)
    for r in range(replicates):
        calibration, new = data[r, :n], data[r, n:]
        rates[r] = np.mean(new > conservative_threshold(calibration, fpr))
        plain[r] = np.mean(new > np.quantile(calibration, 1 - fpr))
    k = math.ceil((n + 1) * (1 - fpr))
    expected = (n + 1 - k) / (n + 1)  # 3 / 31
    standard_error = rates.std() / math.sqrt(replicates)
    assert expected <= fpr
    assert abs(rates.mean() - expected) < 4 * standard_error
    assert plain.mean() > fpr + 4 * plain.std() / math.sqrt(replicates)


def test_scores_match_an_independent_computation(setting):
    model, detector, X, _, _ = setting
    squeezed = BitDepthReduction(2)(X[:50])
    with torch.no_grad():
        expected = (model(X[:50]).softmax(1) - model(squeezed).softmax(1)).abs().sum(1)
    assert [type(s).__name__ for s in detector.squeezers_] == ["BitDepthReduction"]
    torch.testing.assert_close(detector.score(X[:50]), expected)
    assert torch.equal(detector.predict(X[:50]), expected > detector.threshold_)
    assert detector.threshold_ == float(
        np.sort(detector.calibration_scores_.numpy())[math.ceil(401 * 0.95) - 1]
    )


def test_calibrated_fpr_holds_on_held_out_digits(setting):
    _, detector, X, _, _ = setting
    assert detector.expected_fpr_ <= 0.05
    flagged = detector.predict(X).double().mean().item()  # 400 fresh clean digits
    standard_error = math.sqrt(0.05 * 0.95 / len(X))
    assert abs(flagged - detector.expected_fpr_) < 3 * standard_error, flagged


def test_detects_non_adaptive_pgd(report):
    pgd = report["pgd"]
    assert not pgd.adaptive
    assert pgd.n_success >= 50  # measured: eps 0.1 fools 63% of the digits
    # measured: 0.69 of the successful adversarial digits flagged (held-out clean: 0.065)
    assert pgd.detection_rate >= 0.5, pgd
    assert report.clean_fpr < 0.05 + 3 * math.sqrt(0.05 * 0.95 / 200)
    assert pgd.undetected_success_rate == pytest.approx(
        pgd.success_rate * (1 - pgd.detection_rate)
    )


def test_adaptive_attack_evades_more(report):
    pgd, adaptive = report["pgd"], report["adaptive"]
    assert adaptive.adaptive
    # measured (200 digits): detection 0.69 -> 0.05, undetected success 0.19 -> 0.29
    assert adaptive.detection_rate < pgd.detection_rate / 2
    assert adaptive.undetected_success_rate > pgd.undetected_success_rate


def test_report_to_dict_is_json(report):
    document = report.to_dict()
    assert document["kind"] == "detection"
    assert [a["name"] for a in document["attacks"]] == ["pgd", "adaptive"]
    assert json.loads(json.dumps(document)) == document
    with pytest.raises(KeyError, match="No attack named 'cw'"):
        report["cw"]


def test_deterministic_and_batch_size_invariant(setting):
    model, detector, X, _, _ = setting
    calibration = setting[4]
    again = FeatureSqueezingDetector(model, batch_size=7).fit(calibration)
    assert again.threshold_ == pytest.approx(detector.threshold_, abs=1e-6)
    torch.testing.assert_close(again.score(X[:30]), detector.score(X[:30]))


def test_float64_images_are_scored_in_the_model_dtype(setting):
    _, detector, X, _, _ = setting
    scores = detector.score(X[:30].double())
    assert scores.device == X.device
    torch.testing.assert_close(scores.float(), detector.score(X[:30]))


def test_inputs_model_and_attacks_untouched(setting):
    model, detector, X, y, _ = setting
    X_copy, params = X[:20].clone(), [p.detach().clone() for p in model.parameters()]
    flags = [p.requires_grad for p in model.parameters()]
    grads = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    attack = PGD(detector.adaptive_model(), eps=0.1, steps=3, bounds=(0, 1), random_state=0,
                 targeted=True)
    detection_report(detector, X[:20], y[:20], {"a": attack})
    detector.score(X[:20])
    assert torch.equal(X[:20], X_copy)
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), params, strict=True))
    assert [p.requires_grad for p in model.parameters()] == flags
    for param, grad in zip(model.parameters(), grads, strict=True):
        assert (param.grad is None) if grad is None else torch.equal(param.grad, grad)
    assert not model.training and not hasattr(attack, "success_")


def test_adaptive_model_logits_mode_and_gradient(setting):
    model, detector, X, _, _ = setting
    joint = detector.adaptive_model(penalty=2.0)
    assert isinstance(joint, SqueezingAwareModel) and not joint.training
    assert not any(m.training for m in joint.modules())
    x = X[:40].clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(joint.score(x).sum(), x)
    assert grad.abs().sum() > 0  # BPDA: the 2-bit rounding alone has a zero gradient
    torch.testing.assert_close(joint.score(X[:40]).detach(), detector.score(X[:40]))
    with torch.no_grad():
        log_p = model(X[:40]).log_softmax(1)
        flagged = log_p.amax(1) + 2.0 * (detector.score(X[:40]) - detector.threshold_)
        out = joint(X[:40])
    torch.testing.assert_close(out, torch.cat([log_p, flagged[:, None]], 1))
    # the extra class wins exactly on the images the detector flags
    assert torch.equal(out.argmax(1) == 10, detector.predict(X[:40]))


def test_training_mode_warns_scores_in_eval_mode_and_keeps_the_model(digits):
    X = digits[0][:200]
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.BatchNorm2d(1), nn.Flatten(), nn.Dropout(0.5), nn.Linear(64, 10)
    ).eval()
    detector = FeatureSqueezingDetector(model).fit(X[:100])
    X = X[100:]
    expected = detector.score(X[:5])
    model.train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    try:
        with pytest.warns(AdvvalWarning, match="model is in training mode"):
            scores = detector.score(X[:5])
        assert model.training
        torch.testing.assert_close(scores, expected)
        for key, value in model.state_dict().items():
            assert torch.equal(value, state[key]), key
    finally:
        model.eval()


def test_default_squeezers():
    assert [s.bits for s in default_squeezers((1, 8, 8))] == [2]
    gray, median = default_squeezers((1, 28, 28))
    assert (gray.bits, median.kernel_size) == (1, 2)
    assert default_squeezers((3, 32, 32))[0].bits == 5
    assert isinstance(default_squeezers((3, 32, 32))[1], MedianSmoothing)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"fpr": 0.0}, ValueError, r"The 'fpr' parameter of FeatureSqueezingDetector must be "
         r"a float in the range \(0, 1\)\. Got 0\.0 instead\."),
        ({"fpr": 1.5}, ValueError, r"'fpr' parameter .* Got 1\.5 instead"),
        ({"batch_size": 0}, ValueError, r"The 'batch_size' parameter of "
         r"FeatureSqueezingDetector must be an int in the range \[1, inf\) or None"),
        ({"squeezers": []}, ValueError, r"The 'squeezers' parameter of "
         r"FeatureSqueezingDetector must be a non-empty sequence of callables"),
        ({"squeezers": [1]}, ValueError, r"'squeezers' parameter .* Got \[1\] instead"),
    ],
)
def test_bad_parameters(setting, params, error, match):
    model, _, X, _, _ = setting
    with pytest.raises(error, match=match):
        FeatureSqueezingDetector(model, **params).fit(X[:100])


def test_bad_inputs(setting):
    model, detector, X, y, _ = setting
    with pytest.raises(TypeError, match="The 'model' parameter of FeatureSqueezingDetector "
                       "must be a torch.nn.Module"):
        FeatureSqueezingDetector(lambda x: x).fit(X[:100])
    with pytest.raises(TypeError, match=r"FeatureSqueezingDetector.fit expects X as a "
                       r"torch.Tensor. Got ndarray instead"):
        FeatureSqueezingDetector(model).fit(X[:100].numpy())
    with pytest.raises(ValueError, match=r"expects X as floating-point \(N, C, H, W\) "
                       r"images. Got a torch.float32 tensor of shape \(100, 64\)"):
        FeatureSqueezingDetector(model).fit(X[:100].flatten(1))
    with pytest.raises(ValueError, match="needs at least 19 clean images for fpr=0.05"):
        FeatureSqueezingDetector(model).fit(X[:10])
    with pytest.raises(ValueError, match="score got 0 images"):
        detector.score(X[:0])
    with pytest.raises(NotFittedError):
        FeatureSqueezingDetector(model).predict(X[:5])
    with pytest.raises(ValueError, match="changed the image shape"):
        FeatureSqueezingDetector(model, squeezers=[lambda x: x[:, :, :4]]).fit(X[:100])
    with pytest.raises(ValueError, match=r"The 'penalty' parameter of adaptive_model must "
                       r"be a float in the range \(0, inf\)\. Got -1 instead"):
        detector.adaptive_model(penalty=-1)
    with pytest.raises(ValueError, match="attack 'a' aims at a SqueezingAwareModel.*pass "
                       "targeted=True"):
        detection_report(detector, X[:5], y[:5], {"a": PGD(detector.adaptive_model())})
    with pytest.raises(ValueError, match=r"detection_report expects y as 5 integer class "
                       r"indices, one per image. Got shape \(4,\)"):
        detection_report(detector, X[:5], y[:4], {})
    with pytest.raises(TypeError, match="The 'attacks' parameter of detection_report must "
                       "be a mapping"):
        detection_report(detector, X[:5], y[:5], [PGD(model)])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_follows_the_input(setting):
    model, detector, X, _, _ = setting
    import copy

    gpu_model = copy.deepcopy(model).cuda()
    gpu = FeatureSqueezingDetector(gpu_model).fit(setting[4].cuda())
    scores = gpu.score(X[:50].cuda())
    assert scores.device.type == "cuda" and gpu.predict(X[:50].cuda()).device.type == "cuda"
    assert gpu.threshold_ == pytest.approx(detector.threshold_, abs=1e-4)
    torch.testing.assert_close(scores.cpu(), detector.score(X[:50]), atol=1e-4, rtol=0)
