"""PNG encoding checked against Pillow's decoder; triplet and patch pictures pixel by pixel."""

from __future__ import annotations

import io
import struct
import zlib
from types import SimpleNamespace

import numpy as np
import pytest

from advval.image._pictures import (
    PNG_SIGNATURE,
    encode_png,
    noise_factor,
    patch_png,
    png_data_uri,
    to_uint8,
    triplet_grid,
    triplet_row,
)

Image = pytest.importorskip("PIL.Image")
torch = pytest.importorskip("torch")


def _decode(png: bytes) -> tuple[str, np.ndarray]:
    """Pillow's reading of a PNG file: mode and pixels (after verifying every CRC)."""
    Image.open(io.BytesIO(png)).verify()
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        return image.mode, np.asarray(image)


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """The chunks of a PNG file, checking each CRC-32 independently of the encoder."""
    assert png[:8] == PNG_SIGNATURE
    out, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data)
        out.append((kind, data))
        at += 12 + length
    return out


@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (64, 3), (5, 9, 1)])
def test_grayscale_png_decodes_to_the_same_pixels_in_pillow(shape):
    pixels = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    mode, decoded = _decode(encode_png(pixels))
    assert mode == "L"
    np.testing.assert_array_equal(decoded, pixels.reshape(shape[:2]))


@pytest.mark.parametrize("shape", [(1, 1, 3), (6, 11, 3), (33, 2, 3)])
def test_rgb_png_decodes_to_the_same_pixels_in_pillow(shape):
    pixels = np.random.default_rng(1).integers(0, 256, size=shape, dtype=np.uint8)
    mode, decoded = _decode(encode_png(pixels))
    assert mode == "RGB"
    np.testing.assert_array_equal(decoded, pixels)


def test_png_structure_header_and_determinism():
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4)
    view = pixels[:, ::-1]  # a non-contiguous view is encoded as the pixels it shows
    png = encode_png(view)
    chunks = _chunks(png)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    assert struct.unpack(">IIBBBBB", chunks[0][1]) == (4, 3, 8, 0, 0, 0, 0)
    raw = zlib.decompress(chunks[1][1])
    assert raw == b"".join(b"\x00" + row.tobytes() for row in np.ascontiguousarray(view))
    assert encode_png(view.copy()) == png
    assert png_data_uri(png).startswith("data:image/png;base64,iVBORw0KGgo")


@pytest.mark.parametrize(
    ("pixels", "match"),
    [
        (np.zeros((2, 2)), r"'pixels' parameter of encode_png must be a uint8 array\. "
                           r"Got dtype float64"),
        (np.zeros((2, 2, 2), np.uint8), r"must have shape \(H, W\), \(H, W, 1\) or \(H, W, 3\)\."
                                        r" Got shape \(2, 2, 2\)"),
        (np.zeros(4, np.uint8), r"Got shape \(4,\) instead"),
        (np.zeros((0, 3), np.uint8), r"must have at least one pixel\. Got shape \(0, 3\)"),
    ],
)
def test_encode_png_rejects_bad_pixels(pixels, match):
    with pytest.raises(ValueError, match=match):
        encode_png(pixels)


def test_to_uint8_maps_the_bounds_onto_0_255():
    image = np.array([[[-1.0, 0.0, 1.0, 3.0, -5.0]]])
    np.testing.assert_array_equal(to_uint8(image, bounds=(-1, 1)), [[0, 128, 255, 255, 0]])
    rgb = to_uint8(np.stack([np.zeros((2, 2)), np.full((2, 2), 0.5), np.ones((2, 2))]))
    assert rgb.shape == (2, 2, 3) and rgb[0, 0].tolist() == [0, 128, 255]


def test_triplet_row_shows_the_planted_change_amplified_to_full_range():
    x = np.full((1, 4, 4), 0.5)
    x_adv = x.copy()
    x_adv[0, 1, 2] += 0.02  # the largest change: drawn white
    x_adv[0, 3, 0] -= 0.01  # half as large, other sign: a quarter of the range below grey
    row = triplet_row(x, x_adv, scale=3, gap=2)
    assert row.shape == (12, 3 * 12 + 2 * 2)
    panels = [row[:, :12], row[:, 14:26], row[:, 28:]]
    assert np.all(row[:, 12:14] == 255) and np.all(row[:, 26:28] == 255)
    small = [p[::3, ::3] for p in panels]  # every 3 x 3 block is one pixel
    for panel, pixels in zip(panels, small, strict=True):
        np.testing.assert_array_equal(panel, np.repeat(np.repeat(pixels, 3, 0), 3, 1))
    np.testing.assert_array_equal(small[0], np.full((4, 4), 128))
    assert small[1][1, 2] == round(0.52 * 255) and small[1][3, 0] == round(0.49 * 255)
    expected = np.full((4, 4), 128)
    expected[1, 2], expected[3, 0] = 255, round(0.25 * 255)
    np.testing.assert_array_equal(small[2], expected)
    assert noise_factor(x, x_adv, bounds=(0, 1)) == pytest.approx(25.0)


def test_triplet_row_with_a_stated_factor_and_other_bounds():
    x = np.zeros((1, 2, 2))
    x_adv = x + np.array([[[2.0, -2.0], [0.0, 40.0]]])  # pixels in [0, 255]
    row = triplet_row(x, x_adv, bounds=(0, 255), amplify=10, scale=1, gap=0)
    noise = row[:, 4:]
    expected = np.floor(np.clip(0.5 + 10 * np.array([[2, -2], [0, 40]]) / 255, 0, 1) * 255 + 0.5)
    np.testing.assert_array_equal(noise, expected)
    assert noise[1, 1] == 255  # clipped
    same = triplet_row(x, x, scale=1, gap=0)
    assert np.all(same[:, 4:] == 128)  # no change: flat mid-grey


def test_triplet_row_rgb_and_tensors_are_left_as_found():
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(3, 5, 5, generator=generator, requires_grad=True)
    x_adv = (x.detach() + 0.01).clamp(0, 1)
    before = x.detach().clone()
    row = triplet_row(x, x_adv, scale=2, gap=1)
    assert row.shape == (10, 32, 3) and row.dtype == np.uint8
    assert x.requires_grad and x.grad is None and torch.equal(x.detach(), before)
    mode, decoded = _decode(encode_png(row))
    assert mode == "RGB"
    np.testing.assert_array_equal(decoded, row)


def test_triplet_grid_stacks_rows_with_gaps():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(3, 1, 8, 8))
    x_adv = np.clip(x + rng.uniform(-0.1, 0.1, size=x.shape), 0, 1)
    examples = SimpleNamespace(original=x, adversarial=x_adv, bounds=(0.0, 1.0))
    original = x.copy()
    grid = triplet_grid(examples)
    np.testing.assert_array_equal(x, original)
    assert grid.shape == (3 * 64 + 2 * 4, 3 * 64 + 2 * 4)
    for i in range(3):
        np.testing.assert_array_equal(grid[i * 68 : i * 68 + 64], triplet_row(x[i], x_adv[i]))
    assert np.all(grid[64:68] == 255)
    mode, decoded = _decode(encode_png(grid))
    np.testing.assert_array_equal(decoded, grid)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bounds": (1, 0)}, r"'bounds' parameter of triplet_row must be a pair \(lower, upper\) "
                             r"of finite floats with lower < upper\. Got \(1, 0\)"),
        ({"bounds": "ab"}, r"'bounds' parameter of triplet_row"),
        ({"amplify": 0}, r"'amplify' parameter of triplet_row must be a float in the range "
                         r"\(0, inf\) or None\. Got 0 instead"),
        ({"scale": 0}, r"'scale' parameter of triplet_row must be an int in the range \[1, inf\)"),
        ({"gap": -1}, r"'gap' parameter of triplet_row must be an int in the range \[0, inf\)"),
        ({"adversarial": np.zeros((1, 3, 3))}, r"'adversarial' parameter of triplet_row must "
                                               r"have the shape of 'original' \(1, 2, 2\)"),
        ({"original": np.zeros((2, 2, 2))}, r"'original' parameter of triplet_row must be an "
                                            r"image of shape \(C, H, W\) with C = 1"),
        ({"original": np.full((1, 2, 2), np.nan)}, r"'original' .* must hold finite pixel"),
    ],
)
def test_triplet_row_rejects_bad_parameters(kwargs, match):
    arguments = {"original": np.zeros((1, 2, 2)), "adversarial": np.zeros((1, 2, 2)), **kwargs}
    with pytest.raises(ValueError, match=match):
        triplet_row(**arguments)


def test_triplet_grid_rejects_empty_and_mismatched_examples():
    empty = SimpleNamespace(original=np.zeros((0, 1, 2, 2)), adversarial=np.zeros((0, 1, 2, 2)),
                            bounds=(0, 1))
    with pytest.raises(ValueError, match=r"'examples' parameter of triplet_grid must hold at "
                                         r"least one image"):
        triplet_grid(empty)
    mismatched = SimpleNamespace(original=np.zeros((2, 1, 2, 2)),
                                 adversarial=np.zeros((1, 1, 2, 2)), bounds=(0, 1))
    with pytest.raises(ValueError, match=r"'adversarial' of the shape of 'original'"):
        triplet_grid(mismatched)


def test_patch_png_decodes_to_the_patch_pixels():
    generator = torch.Generator().manual_seed(0)
    patch = (torch.rand(3, 4, 6, generator=generator) * 2 - 1).requires_grad_()
    before = patch.detach().clone()
    mode, decoded = _decode(patch_png(patch, (-1.0, 1.0), scale=2))
    assert mode == "RGB" and decoded.shape == (8, 12, 3)
    expected = np.floor((before.numpy().astype(np.float64) + 1) / 2 * 255 + 0.5)
    np.testing.assert_array_equal(decoded[::2, ::2], np.moveaxis(expected, 0, -1))
    assert torch.equal(patch.detach(), before) and patch.grad is None
    mode, decoded = _decode(patch_png(np.full((1, 3, 3), 0.25)))  # gray, enlarged 21x
    assert mode == "L" and decoded.shape == (63, 63) and np.all(decoded == 64)
    with pytest.raises(ValueError, match=r"'patch' parameter of patch_png must be an image"):
        patch_png(np.zeros((2, 3, 3)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_pictures_of_cuda_tensors_match_the_cpu_ones():
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(3, 6, 6, generator=generator)
    x_adv = (x + 0.02).clamp(0, 1)
    gpu_x, gpu_adv = x.cuda().half(), x_adv.cuda().half()
    np.testing.assert_array_equal(
        triplet_row(gpu_x, gpu_adv), triplet_row(gpu_x.cpu(), gpu_adv.cpu()))
    assert patch_png(gpu_x) == patch_png(gpu_x.cpu())
    assert gpu_x.device.type == "cuda" and gpu_x.dtype == torch.float16
