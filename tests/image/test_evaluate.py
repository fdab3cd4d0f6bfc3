"""evaluate_robustness on digits CNNs, checked against independent recomputations.

- clean accuracy is the model's own; robust accuracy equals a direct run of the same
  seeded attack on the correctly classified images; the curve is the report's, monotone
  on an undefended model;
- the examples are real: the model predicts their labels on the originals and their
  adversarial predictions on the returned images, which lie in the eps-ball and the box;
  they are the lowest-index correctly classified images the attack fools;
- a gradient-masked model (bit-depth reduction without BPDA in front) raises the
  ``blackbox_stronger`` flag; JSON is deterministic under a seed; a DataLoader gives the
  same report as tensors; bad input fails with the project's error shape.
"""

import copy
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from advval.attacks import PGD, AutoAttack, SquareAttack  # noqa: E402
from advval.image import BitDepthReduction, Normalize, evaluate_robustness  # noqa: E402
from advval.image._evaluate import DEFAULT_EPS  # noqa: E402

EPS = [0.02, 0.05, 0.1]


def quick(**params):
    return AutoAttack(None, **{"steps": 5, "square_steps": 30, **params})


@pytest.fixture(scope="module")
def setup(digits, cnns):
    model = cnns[0]
    X, y = digits[2][:40], digits[3][:40]
    return model, X, y


@pytest.fixture(scope="module")
def report(setup):
    model, X, y = setup
    return evaluate_robustness(model, (X, y), attacks=[quick(random_state=3)], eps=EPS,
                               n_examples=5, random_state=0)


def predict(model, X):
    with torch.no_grad():
        return model(torch.as_tensor(X, dtype=torch.float32)).argmax(1).numpy()


def test_numbers_agree_with_an_independent_computation(setup, report):
    model, X, y = setup
    correct = predict(model, X) == y.numpy()
    robustness = report.robustness
    assert robustness.n_samples == 40 and robustness.n_correct == correct.sum()
    assert report.clean_accuracy == correct.mean()
    # the same seeded attack, run directly at the largest eps on the images the model gets
    direct = AutoAttack(model, eps=EPS[-1], bounds=(0, 1), steps=5, square_steps=30,
                        random_state=3)
    rows = torch.as_tensor(np.flatnonzero(correct))
    fooled = predict(model, direct.generate(X[rows], y[rows])) != y[rows].numpy()
    assert report.robust_accuracy == (correct.sum() - fooled.sum()) / 40
    (result,) = robustness.attacks
    assert result.name == "AutoAttack" and result.eps == EPS[-1]
    assert result.n_fooled == fooled.sum() and result.white_box
    assert [p.eps for p in robustness.curve] == EPS
    assert robustness.curve[-1].robust_accuracy == report.robust_accuracy
    assert 0 < report.robust_accuracy < report.clean_accuracy


def test_curve_is_monotone_on_an_undefended_model(report):
    accuracies = [p.robust_accuracy for p in report.robustness.curve]
    assert accuracies == sorted(accuracies, reverse=True)
    assert accuracies[0] > accuracies[-1]
    assert not {f.code for f in report.robustness.flags} & {"robust_accuracy_rising",
                                                              "zero_gradients"}


def test_examples_are_real_and_the_first_fooled(setup, report):
    model, X, y = setup
    examples = report.examples
    assert examples is not None and len(examples.labels) == 5
    assert examples.original.shape == (5, 1, 8, 8) and examples.original.dtype == np.float64
    assert examples.attack == "AutoAttack" and examples.eps == EPS[-1]
    assert examples.norm == "inf" and examples.bounds == (0.0, 1.0)
    np.testing.assert_array_equal(predict(model, examples.original), examples.labels)
    np.testing.assert_array_equal(examples.clean_predictions, examples.labels)
    np.testing.assert_array_equal(predict(model, examples.adversarial),
                                  examples.adversarial_predictions)
    assert np.all(examples.adversarial_predictions != examples.labels)
    assert np.abs(examples.adversarial - examples.original).max() <= EPS[-1] + 1e-6
    assert examples.adversarial.min() >= 0 and examples.adversarial.max() <= 1
    # the originals are images of X, in increasing index order, all correctly classified
    flat = X.reshape(len(X), -1).double().numpy()
    index = [int(np.flatnonzero((flat == o.ravel()).all(1))[0]) for o in examples.original]
    assert index == sorted(index)
    np.testing.assert_array_equal(y.numpy()[index], examples.labels)
    norms = examples.perturbation_norms()
    assert norms.shape == (5,) and np.all(norms > 0) and np.all(norms <= EPS[-1] + 1e-6)


def test_json_is_deterministic_and_has_no_pixels(setup, report):
    model, X, y = setup
    again = evaluate_robustness(model, (X, y), attacks=[quick(random_state=3)], eps=EPS,
                                n_examples=5, random_state=0)
    first = json.dumps(report.to_dict(), sort_keys=True)
    assert first == json.dumps(again.to_dict(), sort_keys=True)
    document = report.to_dict()
    assert document["kind"] == "image_robustness"
    assert document["robust_accuracy"] == report.robust_accuracy
    summary = document["examples"]
    assert summary["labels"] == report.examples.labels.tolist()
    assert set(summary) == {"attack", "eps", "norm", "bounds", "n", "shape", "labels",
                            "clean_predictions", "adversarial_predictions",
                            "perturbation_norms"}
    settings = document["settings"]
    assert settings["eps"] == EPS and settings["norm"] == "inf"
    assert settings["bounds"] == [0.0, 1.0] and settings["n_images"] == 40
    assert settings["random_state"] == 0 and settings["attacks"] == ["AutoAttack"]
    assert "seconds" in report.to_dict(timings=True)["attacks"][0]


def test_default_ensemble_loader_and_nothing_modified(setup):
    model, X, y = setup
    X, y = X[:12], y[:12]
    before = X.clone()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=5)
    model.train()  # no layer of this CNN reads its mode: evaluated in eval mode, no warning
    try:
        from_loader = evaluate_robustness(model, loader, eps=[0.2], n_examples=2,
                                          batch_size=4, random_state=1)
        assert model.training and all(m.training for m in model.modules())
    finally:
        model.eval()
    from_pair = evaluate_robustness(model, (X, y), eps=[0.2], n_examples=2, batch_size=4,
                                    random_state=1)
    assert torch.equal(X, before)
    assert from_loader.to_dict() == from_pair.to_dict()
    settings = from_pair.robustness.attacks[0].settings
    assert settings["version"] == "standard" and settings["steps"] == 100
    assert settings["batch_size"] == 4 and settings["bounds"] == [0.0, 1.0]
    assert from_pair.settings["ensemble"] == "standard"


def test_given_attacks_are_cloned_and_bounded(setup):
    model, X, y = setup
    pgd = PGD(None, eps=0.5, steps=5)
    report = evaluate_robustness(model, (X[:20], y[:20]), attacks=[pgd], eps=[0.1],
                                 n_examples=0, random_state=0)
    assert pgd.model is None and pgd.eps == 0.5 and pgd.bounds is None
    (result,) = report.robustness.attacks
    assert result.eps == 0.1 and result.settings["bounds"] == [0.0, 1.0]
    assert report.examples is None and report.to_dict()["examples"] is None


def test_gradient_masking_raises_a_flag(setup):
    model, X, y = setup
    masked = torch.nn.Sequential(BitDepthReduction(bits=1), model).eval()
    report = evaluate_robustness(masked, (X, y), attacks=[quick(square_steps=100)],
                                 eps=[0.3], n_examples=2, random_state=0)
    flags = [f for f in report.robustness.flags if f.code == "blackbox_stronger"]
    assert flags and flags[0].attack == "AutoAttack"
    assert "black-box stage fooled" in flags[0].message
    # a white-box attack alone, stalled by zero gradients, is flagged too
    alone = evaluate_robustness(masked, (X, y), attacks=[PGD(None, steps=5, random_start=False)],
                                eps=[0.3], n_examples=0, random_state=0)
    assert "zero_gradients" in {f.code for f in alone.robustness.flags}


def test_default_eps_follow_the_bounds(setup):
    model, X, y = setup
    assert DEFAULT_EPS["inf"][-1] == 8 / 255 and DEFAULT_EPS["2"] == [0.25, 0.5, 1.0]
    scaled = torch.nn.Sequential(Normalize([0.0], [255.0]), model).eval()
    report = evaluate_robustness(scaled, (X[:6] * 255, y[:6]), attacks=[quick(steps=2)],
                                 norm="inf", bounds=(0, 255), n_examples=0, random_state=0)
    assert [p.eps for p in report.robustness.curve] == [1.0, 2.0, 4.0, 8.0]
    assert report.robustness.attacks[0].settings["bounds"] == [0.0, 255.0]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"norm": "1"}, ValueError, "The 'norm' parameter of evaluate_robustness must be one"),
        ({"eps": [0.1, -1]}, ValueError,
         r"The 'eps' parameter of evaluate_robustness must be a non-empty sequence"),
        ({"eps": []}, ValueError, "The 'eps' parameter of evaluate_robustness"),
        ({"bounds": (1, 0)}, ValueError,
         r"The 'bounds' parameter of evaluate_robustness must be a pair \(lower, upper\)"),
        ({"n_examples": -1}, ValueError,
         "The 'n_examples' parameter of evaluate_robustness must be an int"),
        ({"batch_size": 0}, ValueError,
         "The 'batch_size' parameter of evaluate_robustness must be an int"),
        ({"attacks": [SquareAttack(None, norm=2)]}, ValueError,
         "evaluate_robustness evaluates norm='inf', but SquareAttack has norm=2"),
        ({"attacks": ["pgd"]}, ValueError,
         "The 'attacks' parameter of evaluate_robustness must be a non-empty list of Attack"),
    ],
)
def test_bad_parameters(setup, kwargs, error, message):
    model, X, y = setup
    with pytest.raises(error, match=message):
        evaluate_robustness(model, (X[:4], y[:4]), **kwargs)


def test_bad_data_and_model(setup):
    model, X, y = setup
    with pytest.raises(ValueError, match=r"X must be a non-empty float tensor of images of "
                                         r"shape \(n, C, H, W\)\. Got torch.float32 of shape "
                                         r"\(4, 64\)"):
        evaluate_robustness(model, (X[:4].reshape(4, 64), y[:4]))
    with pytest.raises(ValueError, match=r"y must hold one integer class index per image, "
                                         r"shape \(4,\)"):
        evaluate_robustness(model, (X[:4], y[:3]))
    with pytest.raises(ValueError, match="The 'data' parameter of evaluate_robustness must "
                                         r"be an \(X, y\) pair"):
        evaluate_robustness(model, X[:4])
    with pytest.raises(ValueError, match=r"the images hold values in \[0, 255\], outside "
                                         r"bounds=\(0, 1\)"):
        evaluate_robustness(model, (X[:4] * 255, y[:4]))
    with pytest.raises(TypeError, match="The 'model' parameter of evaluate_robustness must "
                                        "be a torch.nn.Module"):
        evaluate_robustness(lambda x: x, (X[:4], y[:4]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_inputs_and_model(setup):
    model, X, y = setup
    gpu = copy.deepcopy(model).cuda().eval()
    report = evaluate_robustness(gpu, (X.cuda(), y.cuda()), attacks=[quick(random_state=3)],
                                 eps=EPS, n_examples=3, random_state=0)
    cpu = evaluate_robustness(model, (X, y), attacks=[quick(random_state=3)], eps=EPS,
                              n_examples=3, random_state=0)
    assert next(gpu.parameters()).device.type == "cuda"
    assert report.clean_accuracy == cpu.clean_accuracy
    assert abs(report.robust_accuracy - cpu.robust_accuracy) <= 0.1
    examples = report.examples
    np.testing.assert_array_equal(predict(model, examples.adversarial),
                                  examples.adversarial_predictions)
