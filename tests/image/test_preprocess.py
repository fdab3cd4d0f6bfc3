"""Normalize and the preprocessing defenses: exact values, BPDA gradients, adaptive attacks."""

import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from advval.attacks import PGD  # noqa: E402
from advval.image import (  # noqa: E402
    BitDepthReduction,
    JPEGCompression,
    MedianSmoothing,
    Normalize,
    RandomResizePad,
)


def accuracy(model, X, y):
    with torch.no_grad():
        return (model(X).argmax(1) == y).float().mean().item()


def input_gradient(module, x):
    x = x.clone().requires_grad_(True)
    (module(x) * torch.arange(x.numel(), dtype=x.dtype).view_as(x)).sum().backward()
    return x.grad


# ----------------------------------------------------------------------------- Normalize


def test_normalize_values_and_broadcasting():
    x = torch.rand(2, 3, 4, 5, dtype=torch.float64)
    mean, std = [0.1, 0.2, 0.3], [0.5, 1.0, 2.0]
    out = Normalize(mean, std)(x)
    expected = (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    torch.testing.assert_close(out, expected)
    assert out.dtype == torch.float64
    # one value for every channel; any number of trailing axes
    torch.testing.assert_close(Normalize([0.5], [0.25])(x), (x - 0.5) / 0.25)
    torch.testing.assert_close(
        Normalize([1.0, 2.0], [2.0])(torch.ones(3, 2)), torch.tensor([[0.0, -0.5]] * 3)
    )


def test_normalize_state_dict_round_trip():
    norm = Normalize([0.1, 0.2, 0.3], [0.5, 1.0, 2.0])
    state = norm.state_dict()
    assert set(state) == {"mean", "std"}
    other = Normalize([0.0] * 3, [1.0] * 3)
    other.load_state_dict(state)
    x = torch.rand(2, 3, 2, 2)
    torch.testing.assert_close(other(x), norm(x))
    assert "mean=[0.1" in repr(norm)


def test_normalize_errors():
    with pytest.raises(ValueError, match=r"std must be positive. Got \[1.0, 0.0\] instead"):
        Normalize([0.0, 0.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="mean has 3 values but std has 2"):
        Normalize([0.0] * 3, [1.0] * 2)
    with pytest.raises(ValueError, match="must not be empty"):
        Normalize([], [])
    with pytest.raises(ValueError, match="the input has 1 channels but mean and std have 3"):
        Normalize([0.0] * 3, [1.0] * 3)(torch.zeros(2, 1, 4, 4))
    with pytest.raises(ValueError, match=r"expects an \(N, C, ...\) input. Got shape \(4,\)"):
        Normalize([0.0], [1.0])(torch.zeros(4))


def test_pgd_attacks_raw_pixels_through_normalize(cnns, digits):
    _, _, X, y = digits
    model = cnns[0]
    assert isinstance(model[0], Normalize)
    eps = 0.1
    X_adv = PGD(model, eps=eps, bounds=(0, 1), steps=10, random_state=0).generate(X, y)
    assert float(X_adv.min()) >= 0 and float(X_adv.max()) <= 1
    assert float((X_adv - X).abs().max()) <= eps + 1e-6
    clean, robust = accuracy(model, X, y), accuracy(model, X_adv, y)
    print(f"undefended CNN: clean {clean:.3f}, PGD eps={eps} {robust:.3f}")
    assert clean > 0.9 and robust < 0.5


# ----------------------------------------------------------------------------- exact values


def test_bit_depth_exact_values():
    x = torch.tensor([0.0, 0.1, 0.2, 0.4, 0.6, 0.9, 1.0, 1.5, -0.3]).view(1, 1, 1, 9)
    out = BitDepthReduction(bits=2)(x).flatten()  # levels 0, 1/3, 2/3, 1
    torch.testing.assert_close(out, torch.tensor([0, 0, 1 / 3, 1 / 3, 2 / 3, 1, 1, 1, 0]))
    wide = BitDepthReduction(bits=1, bounds=(0, 255))(torch.tensor([100.0, 130.0]).view(1, 1, 1, 2))
    assert wide.flatten().tolist() == [0.0, 255.0]


def test_median_exact_values_on_a_known_patch():
    x = torch.tensor(
        [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13, 14, 15, 16]]
    ).view(1, 1, 4, 4)
    out = MedianSmoothing(kernel_size=3)(x)[0, 0]
    # interior: median of the 3x3 neighbourhood; corner (0, 0) with reflect padding sees
    # [6, 5, 6, 2, 1, 2, 6, 5, 6] -> 5
    assert out[1, 1] == 6 and out[2, 2] == 11 and out[0, 0] == 5
    # an isolated salt pixel disappears; a 2x2 median (even size) takes the lower middle value
    salt = torch.zeros(1, 2, 5, 5)
    salt[0, 1, 2, 2] = 1.0
    assert MedianSmoothing(kernel_size=3)(salt).abs().sum() == 0
    two = MedianSmoothing(kernel_size=2)(torch.tensor([[1.0, 4.0], [2.0, 3.0]]).view(1, 1, 2, 2))
    assert two[0, 0, 0, 0] == 2  # window [1, 4, 2, 3]
    assert torch.equal(MedianSmoothing(kernel_size=1)(salt), salt)


def _pil_jpeg(image, quality):
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality, subsampling=0)
    return np.asarray(Image.open(buffer)).astype(np.float64) / 255


def smooth_image():
    yy, xx = np.mgrid[0:20, 0:20] / 20
    image = np.stack([np.sin(3 * xx + 1) * 0.4 + 0.5, np.cos(2 * yy) * 0.4 + 0.5, xx * yy], -1)
    return (image * 255).round().astype(np.uint8)


@pytest.mark.parametrize("quality", [95, 75])
def test_jpeg_is_close_to_a_real_codec(quality):
    pytest.importorskip("PIL")
    image = smooth_image()
    reference = _pil_jpeg(image, quality)
    x = torch.tensor(image / 255.0, dtype=torch.float32).permute(2, 0, 1).unsqueeze(0)
    for rounding in ("straight_through", "exact", "cubic"):
        out = JPEGCompression(quality, rounding=rounding)(x)[0].permute(1, 2, 0).numpy()
        assert out.shape == reference.shape
        # within about one grey level on average (libjpeg rounds in integer arithmetic)
        assert np.abs(out - reference).mean() < 1.5 / 255
        assert np.abs(out - reference).max() < 0.05
    jpeg = JPEGCompression(quality)
    once = jpeg(x)
    # idempotent-ish: compressing twice moves the image much less than compressing once
    assert (jpeg(once) - once).abs().mean() < 0.3 * (once - x).abs().mean()


def test_jpeg_gray_and_padding():
    pytest.importorskip("PIL")
    from PIL import Image

    image = smooth_image()[..., 0][:13, :11]  # not a multiple of 8
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=90)
    reference = np.asarray(Image.open(buffer)).astype(np.float64) / 255
    x = torch.tensor(image / 255.0).view(1, 1, 13, 11)
    out = JPEGCompression(90)(x)[0, 0].numpy()
    assert out.shape == (13, 11)
    assert np.abs(out - reference).mean() < 1.0 / 255


def test_jpeg_lower_quality_loses_more():
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    errors = [float((JPEGCompression(q)(x) - x).abs().mean()) for q in (95, 50, 10)]
    assert errors[0] < errors[1] < errors[2]


def test_random_resize_pad_is_reproducible_and_shaped():
    x = torch.rand(3, 2, 10, 10)
    draws = [
        RandomResizePad(scale=(0.5, 0.9), generator=torch.Generator().manual_seed(1))(x)
        for _ in range(2)
    ]
    assert torch.equal(draws[0], draws[1])
    assert draws[0].shape == x.shape
    defense = RandomResizePad(scale=(0.5, 0.9), generator=torch.Generator().manual_seed(1))
    assert not torch.equal(defense(x), defense(x))  # each call draws again
    bigger = RandomResizePad(scale=(1.0, 1.0), out_size=(12, 14), pad_value=-1.0)(x)
    assert bigger.shape == (3, 2, 12, 14)
    assert int((bigger == -1).sum()) == 3 * 2 * (12 * 14 - 100)
    # identity scale, no room to pad: the input comes back
    torch.testing.assert_close(RandomResizePad(scale=(1.0, 1.0))(x), x)


# ----------------------------------------------------------------------------- gradients


def defenses(bpda):
    generator = torch.Generator().manual_seed(0)
    return [
        BitDepthReduction(3, bpda=bpda),
        MedianSmoothing(3, bpda=bpda),
        JPEGCompression(80, bpda=bpda),
        JPEGCompression(80, rounding="cubic", bpda=bpda),
        RandomResizePad(scale=(0.7, 0.9), generator=generator, bpda=bpda),
    ]


@pytest.mark.parametrize("index", range(5))
def test_bpda_keeps_the_forward_and_passes_the_gradient_through(index):
    x = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    plain, bpda = defenses(False)[index], defenses(True)[index]
    torch.testing.assert_close(bpda(x), plain(x))
    gradient = input_gradient(bpda, x)
    # the identity's gradient: d/dx sum(f(x) * w) = w
    torch.testing.assert_close(gradient, torch.arange(x.numel(), dtype=x.dtype).view_as(x))


def test_gradients_without_bpda():
    x = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    # rounding: a zero gradient, nothing for a naive attack to follow
    assert input_gradient(BitDepthReduction(3), x).abs().sum() == 0
    assert input_gradient(JPEGCompression(80, rounding="exact"), x).abs().sum() == 0
    # the approximations and the differentiable transforms do give a signal
    for defense in (
        MedianSmoothing(3),
        JPEGCompression(80),
        JPEGCompression(80, rounding="cubic"),
        RandomResizePad(scale=(0.7, 0.9)),
    ):
        gradient = input_gradient(defense, x)
        assert torch.isfinite(gradient).all() and gradient.abs().sum() > 0


@pytest.mark.parametrize("bpda", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_preserved_and_input_untouched(bpda, dtype):
    x = torch.rand(2, 3, 9, 9, generator=torch.Generator().manual_seed(0)).to(dtype)
    before = x.clone()
    for defense in defenses(bpda):
        out = defense(x)
        assert out.dtype == dtype and out.device == x.device
        assert out.data_ptr() != x.data_ptr()
    assert torch.equal(x, before)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_cuda():
    x = torch.rand(2, 3, 16, 16, device="cuda")
    for defense in defenses(True):
        assert defense.to("cuda")(x).device == x.device
    assert Normalize([0.5], [0.5])(x).device == x.device


def test_errors():
    with pytest.raises(ValueError, match="The 'bits' parameter of BitDepthReduction must be"):
        BitDepthReduction(0)
    with pytest.raises(ValueError, match="'bounds' parameter of BitDepthReduction must be"):
        BitDepthReduction(4, bounds=(1, 0))
    with pytest.raises(ValueError, match="The 'kernel_size' parameter of MedianSmoothing"):
        MedianSmoothing(0)
    with pytest.raises(ValueError, match="kernel_size 5 is too large for 2x2 images"):
        MedianSmoothing(5)(torch.zeros(1, 1, 2, 2))
    with pytest.raises(ValueError, match="The 'quality' parameter of JPEGCompression"):
        JPEGCompression(101)
    with pytest.raises(ValueError, match="The 'rounding' parameter of JPEGCompression"):
        JPEGCompression(rounding="floor")
    with pytest.raises(ValueError, match="JPEGCompression expects 1 or 3 channels. Got 2"):
        JPEGCompression()(torch.zeros(1, 2, 8, 8))
    with pytest.raises(ValueError, match=r"expects \(N, C, H, W\) images. Got shape \(8, 8\)"):
        JPEGCompression()(torch.zeros(8, 8))
    with pytest.raises(ValueError, match="'scale' parameter of RandomResizePad must be"):
        RandomResizePad(scale=(0.9, 0.5))
    with pytest.raises(ValueError, match="a 10x10 resize does not fit in out_size 8x8"):
        RandomResizePad(scale=(1.0, 1.0), out_size=(8, 8))(torch.zeros(1, 1, 10, 10))
    with pytest.raises(ValueError, match="bpda=True needs out_size equal to the input size"):
        RandomResizePad(scale=(1.0, 1.0), out_size=(12, 12), bpda=True)(torch.zeros(1, 1, 8, 8))


# ----------------------------------------------------------------------------- adaptive attacks


def test_bpda_attack_beats_the_naive_one_on_bit_depth(cnns, digits):
    """Athalye et al.: a zero gradient is no defense; BPDA goes straight through it."""
    _, _, X, y = digits
    naive_model = torch.nn.Sequential(BitDepthReduction(2), cnns[0]).eval()
    adaptive_model = torch.nn.Sequential(BitDepthReduction(2, bpda=True), cnns[0]).eval()
    eps = 0.2
    clean = accuracy(naive_model, X, y)
    naive = PGD(naive_model, eps=eps, bounds=(0, 1), steps=10, random_state=0).generate(X, y)
    adaptive = PGD(adaptive_model, eps=eps, bounds=(0, 1), steps=10, random_state=0).generate(X, y)
    naive_acc, adaptive_acc = accuracy(naive_model, naive, y), accuracy(naive_model, adaptive, y)
    print(f"2-bit defense: clean {clean:.3f}, naive PGD {naive_acc:.3f}, BPDA {adaptive_acc:.3f}")
    assert clean > 0.85
    assert adaptive_acc < naive_acc - 0.3
