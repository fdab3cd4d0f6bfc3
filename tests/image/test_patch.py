"""AdversarialPatch and apply_patch: exact geometry, gradients, determinism, digits success."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

torch = pytest.importorskip("torch")

from advval.exceptions import AdvvalWarning  # noqa: E402
from advval.image import AdversarialPatch, apply_patch  # noqa: E402

from .conftest import small_cnn  # noqa: E402


def ramp(channels, h, w, dtype=torch.float32):
    """A patch with distinct values in (0, 1], so misplaced pixels show."""
    n = channels * h * w
    return (torch.arange(1, n + 1, dtype=dtype) / n).reshape(channels, h, w)


def fit_fast(model, X, y=None, **params):
    settings = {"steps": 20, "batch_size": 16, "random_state": 0} | params
    return AdversarialPatch(model, **settings).fit(X, y)


# ----------------------------------------------------------------------------- geometry


def test_patch_lands_exactly_at_scale_one_and_angle_zero():
    images = torch.rand(3, 2, 9, 7, generator=torch.Generator().manual_seed(0))
    patch = ramp(2, 3, 4)
    out = apply_patch(images, patch, location=(5, 2))
    expected = images.clone()
    expected[:, :, 5:8, 2:6] = patch
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)
    # per-image corners, one tensor row each
    corners = torch.tensor([[0, 0], [6, 3], [2, 1]])
    out = apply_patch(images, patch, location=corners)
    for i, (row, col) in enumerate(corners.tolist()):
        expected = images[i].clone()
        expected[:, row : row + 3, col : col + 4] = patch
        torch.testing.assert_close(out[i], expected, atol=1e-6, rtol=0)


def test_mask_covers_the_scaled_area():
    blank = torch.zeros(1, 1, 10, 10)
    out = apply_patch(blank, torch.ones(1, 2, 3), location=(1, 2), scale=2.0)
    expected = torch.zeros(10, 10)
    expected[1:5, 2:8] = 1  # a 2x3 patch at scale 2 covers 4x6 pixels
    torch.testing.assert_close(out[0, 0], expected)
    # a rotated square keeps its area up to the pixels along its rim, and its centre
    out = apply_patch(torch.zeros(1, 1, 40, 40), torch.ones(1, 10, 10), location=(15, 15),
                      angle=30.0)
    covered = out[0, 0] > 0
    assert abs(int(covered.sum()) - 100) <= 12
    rows, cols = torch.nonzero(covered, as_tuple=True)
    assert abs(rows.float().mean().item() - 19.5) < 0.3
    assert abs(cols.float().mean().item() - 19.5) < 0.3


def test_rotation_by_quarter_turns_matches_rot90():
    images = torch.zeros(2, 1, 6, 6)
    patch = ramp(1, 4, 4)
    for quarter in (1, 2, 3):
        out = apply_patch(images, patch, location=(1, 2), angle=90.0 * quarter)
        expected = images.clone()
        expected[:, :, 1:5, 2:6] = torch.rot90(patch, quarter, dims=(1, 2))
        torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)


def test_rotation_scale_and_random_locations_stay_in_bounds():
    generator = torch.Generator().manual_seed(1)
    images = torch.rand(64, 3, 12, 12, generator=generator) * 2 - 1
    patch = torch.rand(3, 5, 4, generator=generator) * 2 - 1
    scales = 0.5 + torch.rand(64, generator=generator)
    angles = torch.rand(64, generator=generator) * 360 - 180
    out = apply_patch(images, patch, scale=scales, angle=angles, bounds=(-1, 1),
                      generator=generator)
    assert out.shape == images.shape and out.dtype == images.dtype
    assert float(out.min()) >= -1 and float(out.max()) <= 1
    # bilinear values are convex mixtures of patch pixels
    changed = out != images
    assert float(out[changed].min()) >= float(patch.min()) - 1e-6
    assert float(out[changed].max()) <= float(patch.max()) + 1e-6
    # every patch lands, and a random corner keeps it inside the image: its whole area shows
    blank = apply_patch(torch.zeros(64, 1, 12, 12), torch.ones(1, 5, 4), scale=1.0,
                        generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(blank.sum(dim=(1, 2, 3)), torch.full((64,), 20.0))


def test_random_locations_follow_the_generator():
    images = torch.zeros(8, 1, 10, 10)
    patch = torch.ones(1, 3, 3)
    first = apply_patch(images, patch, generator=torch.Generator().manual_seed(5))
    again = apply_patch(images, patch, generator=torch.Generator().manual_seed(5))
    other = apply_patch(images, patch, generator=torch.Generator().manual_seed(6))
    torch.testing.assert_close(first, again, rtol=0, atol=0)
    assert not torch.equal(first, other)
    assert len({tuple(torch.nonzero(img[0])[0].tolist()) for img in first}) > 1


def test_apply_patch_is_differentiable_in_the_patch():
    images = torch.rand(4, 1, 7, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    patch = (0.2 + 0.6 * ramp(1, 3, 3, torch.float64)).requires_grad_(True)
    angles = torch.tensor([0.0, 17.0, -40.0, 90.0], dtype=torch.float64)

    def paste(p):
        return apply_patch(images, p, location=(2.3, 1.6), scale=1.3, angle=angles)

    assert torch.autograd.gradcheck(paste, (patch,))
    # at scale 1 each patch pixel is copied once per image: a gradient of ones per image
    (grad,) = torch.autograd.grad(apply_patch(images, patch, location=(1, 1)).sum(), patch)
    torch.testing.assert_close(grad, torch.full_like(patch, 4.0))


def test_apply_patch_leaves_its_inputs_alone():
    images = torch.rand(2, 1, 6, 6)
    patch = torch.rand(1, 3, 3)
    before_images, before_patch = images.clone(), patch.clone()
    out = apply_patch(images, patch, location=(0, 0))
    assert out.data_ptr() != images.data_ptr()
    assert torch.equal(images, before_images) and torch.equal(patch, before_patch)
    assert not images.requires_grad and not patch.requires_grad


def test_apply_patch_follows_the_images_dtype():
    images = torch.zeros(2, 1, 6, 6, dtype=torch.float64)
    out = apply_patch(images, torch.ones(1, 2, 2), location=(0, 0))
    assert out.dtype == torch.float64
    assert float(out.sum()) == 8.0


def test_apply_patch_errors():
    images = torch.zeros(2, 1, 8, 8)
    patch = torch.ones(1, 3, 3)
    with pytest.raises(ValueError, match=r"'patch' parameter of apply_patch must have the "
                       r"images' 1 channel\(s\). Got shape \(3, 3, 3\)"):
        apply_patch(images, torch.ones(3, 3, 3))
    with pytest.raises(ValueError, match="must fit in the 8x8 images at scale 1. Got a 9x3"):
        apply_patch(images, torch.ones(1, 9, 3))
    with pytest.raises(ValueError, match="must fit in the 8x8 images at scale 3. Got a 3x3"):
        apply_patch(images, patch, scale=3.0)
    with pytest.raises(ValueError, match=r"'patch' parameter of apply_patch must be a "
                       r"floating-point torch tensor of shape \(C, h, w\). Got \(3, 3\)"):
        apply_patch(images, torch.ones(3, 3))
    with pytest.raises(ValueError, match=r"'images' parameter of apply_patch must be a "
                       r"floating-point torch tensor of shape \(N, C, H, W\). Got ndarray"):
        apply_patch(np.zeros((2, 1, 8, 8)), patch)
    with pytest.raises(ValueError, match="'bounds' parameter of apply_patch must be a pair "
                       r"\(lower, upper\) of finite floats with lower < upper. Got \(1, 0\)"):
        apply_patch(images, patch, bounds=(1, 0))
    with pytest.raises(ValueError, match="'bounds' parameter of apply_patch must be a "
                       r"pair \(lower, upper\) of finite floats with lower < upper. Got 1 "):
        apply_patch(images, patch, bounds=1)
    with pytest.raises(ValueError, match="'scale' parameter of apply_patch must be a float "
                       r"in the range \(0, inf\). Got -1.0"):
        apply_patch(images, patch, scale=-1.0)
    with pytest.raises(ValueError, match="'scale' parameter of apply_patch must be positive. "
                       "Got 0 as its smallest"):
        apply_patch(images, patch, scale=torch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"'angle' parameter of apply_patch must be a float "
                       r"or hold one value per image \(2\). Got 3 values"):
        apply_patch(images, patch, angle=torch.zeros(3))
    with pytest.raises(ValueError, match=r"'location' parameter of apply_patch must be a "
                       r"\(row, col\) pair, an \(N, 2\) tensor with N=2 or None. Got shape "
                       r"\(3, 2\)"):
        apply_patch(images, patch, location=torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"'location' parameter of apply_patch must be a "
                       r"\(row, col\) pair, an \(N, 2\) tensor or None. Got \(1, 2, 3\)"):
        apply_patch(images, patch, location=(1, 2, 3))


# ----------------------------------------------------------------------------- training


@pytest.fixture(scope="module")
def ink_model():
    """Class 1 once the image holds more than 12 pixels' worth of ink (an analytic truth)."""
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 2))
    with torch.no_grad():
        model[1].weight.copy_(torch.stack([torch.zeros(64), torch.ones(64)]))
        model[1].bias.copy_(torch.tensor([0.0, -12.0]))
    return model.eval()


def test_patch_learns_the_analytic_optimum(ink_model):
    X = torch.zeros(16, 1, 8, 8)
    # the margin is the ink minus 12, whose gradient never fades (cross-entropy's does)
    attack = AdversarialPatch(ink_model, target=1, steps=40, scale_range=(1.0, 1.0),
                              rotation=0.0, jitter=0.0, loss="margin", random_state=0).fit(X)
    # more ink always helps: every pixel goes to the upper bound
    torch.testing.assert_close(attack.patch_, torch.ones(1, 4, 4))
    assert attack.history_.shape == (40,) and attack.history_[-1] < attack.history_[0]
    assert attack.n_classes_ == 2
    assert attack.success_rate(X) == 1.0
    # noise averages 8 pixels of ink on 16, short of the 12 needed
    assert attack.random_patch_baseline(X) == 0.0
    # untargeted from class 0, the same patch is optimal
    untargeted = AdversarialPatch(ink_model, steps=40, scale_range=(1.0, 1.0), rotation=0.0,
                                  jitter=0.0, loss="margin", random_state=0).fit(X)
    torch.testing.assert_close(untargeted.patch_, torch.ones(1, 4, 4))


def test_success_rate_counts_the_right_images(ink_model):
    X = torch.zeros(10, 1, 8, 8)
    X[:4] = 0.22  # 14.08 pixels of ink: class 1 already
    attack = AdversarialPatch(ink_model, target=1, scale_range=(1.0, 1.0), rotation=0.0,
                              jitter=0.0)
    ones, zeros = torch.ones(1, 4, 4), torch.zeros(1, 4, 4)
    # targeted: only the six images not of class 1 count; all six flip with a full patch
    assert attack.success_rate(X, patch=ones) == 1.0
    assert attack.success_rate(X, patch=zeros) == 0.0
    # with given labels, images labelled as the target do not count either
    y = torch.tensor([1] * 4 + [0] * 5 + [1])
    assert attack.success_rate(X, y, patch=ones) == 1.0
    # untargeted: an empty patch erases 3.52 of the 14.08 pixels of ink of the class-1
    # images (they flip) and leaves the blank ones as they were
    untargeted = AdversarialPatch(ink_model, scale_range=(1.0, 1.0), rotation=0.0, jitter=0.0)
    assert untargeted.success_rate(X, patch=zeros) == pytest.approx(4 / 10)
    truth = torch.tensor([1] * 4 + [0] * 6)
    assert untargeted.success_rate(X, truth, patch=zeros) == pytest.approx(4 / 10)
    assert untargeted.success_rate(X, torch.tensor([1] * 4 + [1] * 6), patch=zeros) == 1.0
    # misclassified images do not count: labels that all disagree leave nothing to rate
    with pytest.raises(ValueError, match="no image of X is one the model classifies correctly"):
        untargeted.success_rate(X, 1 - truth, patch=zeros)
    with pytest.raises(ValueError, match="no image of X is one whose class is not the target"):
        attack.success_rate(X, torch.ones(10, dtype=torch.long), patch=ones)


def test_same_seed_same_patch(cnns, digits):
    X, y = digits[0][:200], digits[1][:200]
    first = fit_fast(cnns[0], X, y, random_state=3)
    again = fit_fast(cnns[0], X, y, random_state=3)
    other = fit_fast(cnns[0], X, y, random_state=4)
    assert torch.equal(first.patch_, again.patch_)
    np.testing.assert_array_equal(first.history_, again.history_)
    assert not torch.equal(first.patch_, other.patch_)
    rate = first.success_rate(X, y, random_state=7)
    assert rate == first.success_rate(X, y, random_state=7)
    assert clone(first).model is first.model and not hasattr(clone(first), "patch_")


def test_fit_leaves_model_and_inputs_as_found(digits):
    X, y = digits[0][:100].clone(), digits[1][:100].clone()
    model = small_cnn(5).eval()
    model[1].weight.requires_grad_(False)
    model[5].bias.grad = torch.full_like(model[5].bias, 0.5)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    X_before, y_before = X.clone(), y.clone()
    attack = fit_fast(model, X, y)
    attack.success_rate(X, y)
    attack.random_patch_baseline(X, y)
    assert not model.training
    assert not model[1].weight.requires_grad and model[1].bias.requires_grad
    assert model[1].bias.grad is None and model[5].weight.grad is None
    assert torch.equal(model[5].bias.grad, torch.full_like(model[5].bias, 0.5))
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert torch.equal(X, X_before) and torch.equal(y, y_before)
    assert not X.requires_grad and not attack.patch_.requires_grad
    assert attack.patch_.dtype == X.dtype and attack.patch_.device == X.device


def test_training_mode_model_warns_and_keeps_its_buffers(digits):
    X = digits[0][:64]
    model = torch.nn.Sequential(torch.nn.BatchNorm2d(1), torch.nn.Flatten(),
                                torch.nn.Linear(64, 10))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.warns(AdvvalWarning, match="the model is in training mode"):
        fit_fast(model, X, target=2)
    assert model.training
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_float64_images_on_a_float32_model(cnns, digits):
    X = digits[0][:64].double()
    attack = fit_fast(cnns[0], X, target=4)
    assert attack.patch_.dtype == torch.float64
    assert 0 <= attack.success_rate(X) <= 1


def test_targeted_patch_beats_noise_on_held_out_digits(cnns, digits):
    X_train, y_train, X_test, y_test = digits
    attack = AdversarialPatch(cnns[0], target=3, patch_size=0.35, random_state=0)
    attack.fit(X_train, y_train)
    assert attack.patch_.shape == (1, 5, 5)  # round(sqrt(0.35) * 8): 39% of the image
    assert attack.history_[-20:].mean() < attack.history_[:20].mean() - 0.5
    rate = attack.success_rate(X_test, y_test)
    noise = attack.random_patch_baseline(X_test, y_test)
    # measured: 0.573 vs 0.041 (1,830 image-placement pairs of the 183 non-3 test digits)
    assert rate > 0.45 and noise < 0.1 and rate > noise + 0.35


def test_untargeted_patch_beats_noise_on_held_out_digits(cnns, digits):
    X_train, y_train, X_test, y_test = digits
    attack = AdversarialPatch(cnns[0], patch_size=0.25, random_state=0)
    attack.fit(X_train, y_train)
    assert attack.patch_.shape == (1, 4, 4)
    rate = attack.success_rate(X_test, y_test)
    noise = attack.random_patch_baseline(X_test, y_test)
    # measured: 0.568 vs 0.301 (a quarter of an 8x8 digit hidden by noise fools it often)
    assert rate > noise + 0.15


def test_adversarial_patch_errors(cnns, digits):
    X, y = digits[0][:32], digits[1][:32]
    model = cnns[0]
    cases = [
        ({"patch_size": 1.5}, r"'patch_size' parameter of AdversarialPatch must be a float in "
         r"the range \(0, 1\] or a \(height, width\) pair of positive ints. Got 1.5"),
        ({"patch_size": (3, 0)}, r"'patch_size' .* Got \(3, 0\) instead"),
        ({"patch_size": (7, 7)}, "must give a patch that fits in the 8x8 images at the largest "
         "scale 1.2 of scale_range. Got a 7x7 patch"),
        ({"target": -1}, r"'target' parameter of AdversarialPatch must be an int in the range "
         r"\[0, inf\) or None. Got -1"),
        ({"target": 10}, r"'target' parameter of AdversarialPatch must be a class index in "
         r"\[0, 9\] or None. Got 10"),
        ({"steps": 0}, r"'steps' parameter of AdversarialPatch must be an int in the range "
         r"\[1, inf\). Got 0"),
        ({"batch_size": 2.0}, r"'batch_size' parameter .* Got 2.0"),
        ({"step_size": 0.0}, r"'step_size' parameter of AdversarialPatch must be a float in "
         r"the range \(0, inf\). Got 0.0"),
        ({"scale_range": (1.2, 0.8)}, r"'scale_range' parameter of AdversarialPatch must be a "
         r"\(low, high\) pair with 0 < low <= high. Got \(1.2, 0.8\)"),
        ({"scale_range": 1.0}, r"'scale_range' parameter .* Got 1.0 instead"),
        ({"rotation": 200.0}, r"'rotation' parameter of AdversarialPatch must be a float in "
         r"the range \[0, 180\]. Got 200.0"),
        ({"jitter": 1.0}, r"'jitter' parameter of AdversarialPatch must be a float in the "
         r"range \[0, 1\). Got 1.0"),
        ({"loss": "dlr"}, "'loss' parameter of AdversarialPatch must be one of 'ce', 'margin'. "
         "Got 'dlr'"),
        ({"bounds": (0, 0)}, r"'bounds' parameter of AdversarialPatch must be a pair "
         r"\(lower, upper\) of finite floats with lower < upper. Got \(0, 0\)"),
    ]
    for params, message in cases:
        with pytest.raises(ValueError, match=message):
            AdversarialPatch(model, **({"steps": 1} | params)).fit(X, y)
    with pytest.raises(TypeError, match="'model' parameter of AdversarialPatch must be a "
                       "torch.nn.Module returning logits. Got str"):
        AdversarialPatch("model").fit(X, y)
    attack = AdversarialPatch(model, steps=1)
    with pytest.raises(ValueError, match=r"'X' parameter of AdversarialPatch must be a "
                       r"floating-point torch tensor of shape \(N, C, H, W\). Got \(32, 64\)"):
        attack.fit(X.reshape(32, 64), y)
    with pytest.raises(ValueError, match="'X' parameter of AdversarialPatch must hold at "
                       "least one image"):
        attack.fit(X[:0])
    with pytest.raises(ValueError, match=r"'y' parameter of AdversarialPatch must hold one "
                       r"label per image \(32\). Got shape \(31,\)"):
        attack.fit(X, y[:31])
    with pytest.raises(ValueError, match="must hold integer class indices. Got torch.float32"):
        attack.fit(X, y.float())
    with pytest.raises(ValueError, match=r"must hold class indices in \[0, 9\]. Got values "
                       "from 0 to 10"):
        attack.fit(X, torch.where(y == 9, 10, y))
    with pytest.raises(ValueError, match="needs a model returning logits of shape "
                       r"\(N, n_classes\). Got shape \(2, 10, 1\)"):
        AdversarialPatch(torch.nn.Sequential(model, torch.nn.Unflatten(1, (10, 1))).eval(),
                         steps=1).fit(X)
    with pytest.raises(NotFittedError):
        attack.success_rate(X, y)
    with pytest.raises(ValueError, match=r"'n_draws' parameter of AdversarialPatch must be an "
                       r"int in the range \[1, inf\). Got 0"):
        attack.random_patch_baseline(X, y, n_draws=0)
    with pytest.raises(ValueError, match=r"'patch' parameter of AdversarialPatch must have "
                       r"the images' 1 channel\(s\). Got shape \(3, 4, 4\)"):
        attack.success_rate(X, y, patch=torch.ones(3, 4, 4))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_patch_on_gpu_follows_the_device(digits):
    X_train, y_train, X_test, y_test = digits
    device = torch.device("cuda")
    model = small_cnn(0).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    Xd, yd = X_train.to(device), y_train.to(device)
    for _ in range(60):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(Xd), yd).backward()
        optimizer.step()
    model.eval()
    grads = [p.grad.clone() for p in model.parameters()]
    attack = AdversarialPatch(model, target=3, patch_size=0.35, random_state=0).fit(Xd, yd)
    assert attack.patch_.device.type == "cuda" and attack.patch_.dtype == torch.float32
    assert all(p.device.type == "cuda" for p in model.parameters())
    assert all(torch.equal(p.grad, g) for p, g in zip(model.parameters(), grads, strict=True))
    X_gpu, y_gpu = X_test.to(device), y_test.to(device)
    rate = attack.success_rate(X_gpu, y_gpu)
    noise = attack.random_patch_baseline(X_gpu, y_gpu)
    assert rate > noise + 0.3
    # a CPU generator serves GPU images
    out = apply_patch(X_gpu, attack.patch_, generator=torch.Generator().manual_seed(0))
    assert out.device.type == "cuda"
    with pytest.raises(ValueError, match="must be on the model's device"):
        attack.fit(X_train, y_train)
