"""Pictures of results, encoded: PNG files and the picture layouts of image reports.

Everything here is NumPy and :mod:`zlib`: a minimal, standard-conforming PNG encoder
(8-bit grayscale or RGB, no interlacing, filter type 0 on every row), the
original | adversarial | amplified-noise triplets of a few worst-case examples, and the
trained patch of an adversarial-patch attack. Pixels are given in the model's input
space with explicit ``bounds`` and mapped linearly onto 0..255; small images are
enlarged by pixel repetition (nearest neighbour) so that 8x8 digits stay visible.

The report layer owns every picture: the charts are SVG (:mod:`advval.report._svg`), the
pictures of pixels PNG (this module). ``advval.image.patch_png`` and
``advval.image.triplet_grid`` are these functions under their older public names.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_bounds

#: the eight bytes every PNG file starts with
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: PNG colour types by channel count (0: grayscale, 2: RGB)
_COLOR_TYPES = {1: 0, 3: 2}
#: automatic enlargement aims at pictures at least this many pixels on their long side
TARGET_SIZE = 64
#: white space between the panels of a picture, in output pixels
DEFAULT_GAP = 4
#: zlib level: fixed, so the same pixels always give the same bytes
_ZLIB_LEVEL = 9


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC-32 of type and data."""
    crc = zlib.crc32(data, zlib.crc32(kind)) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(pixels: Any) -> bytes:
    """Encode 8-bit pixels as a PNG file.

    Parameters
    ----------
    pixels : ndarray of uint8, shape (H, W), (H, W, 1) or (H, W, 3)
        Grayscale (the first two shapes) or RGB pixels, row by row from the top. Not
        modified.

    Returns
    -------
    bytes
        A complete PNG file (signature, IHDR, one IDAT, IEND), 8 bits per sample, no
        interlacing; the same pixels always give the same bytes.

    Raises
    ------
    ValueError
        If ``pixels`` is not a uint8 array of one of those shapes with at least one pixel.

    See Also
    --------
    png_data_uri : the file as a ``data:`` URI for an HTML ``<img>``.

    Examples
    --------
    >>> import numpy as np
    >>> png = encode_png(np.array([[0, 255]], dtype=np.uint8))
    >>> png[:8] == PNG_SIGNATURE, png[12:16], len(png)
    (True, b'IHDR', 68)
    """
    array = np.asarray(pixels)
    if array.dtype != np.uint8:
        raise ValueError(
            "The 'pixels' parameter of encode_png must be a uint8 array. "
            f"Got dtype {array.dtype} instead."
        )
    if array.ndim == 3 and array.shape[2] in _COLOR_TYPES:
        channels = array.shape[2]
    elif array.ndim == 2:
        channels = 1
    else:
        raise ValueError(
            "The 'pixels' parameter of encode_png must have shape (H, W), (H, W, 1) or "
            f"(H, W, 3). Got shape {array.shape} instead."
        )
    height, width = array.shape[:2]
    if height == 0 or width == 0:
        raise ValueError(
            "The 'pixels' parameter of encode_png must have at least one pixel. "
            f"Got shape {array.shape} instead."
        )
    rows = np.ascontiguousarray(array).reshape(height, width * channels)
    # filter type 0 (None): each scanline is one zero byte then the row's samples
    raw = np.concatenate([np.zeros((height, 1), dtype=np.uint8), rows], axis=1).tobytes()
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, _ZLIB_LEVEL))
        + _chunk(b"IEND", b"")
    )


def png_data_uri(png: bytes) -> str:
    """A PNG file as a ``data:image/png;base64,...`` URI (for a self-contained page).

    Examples
    --------
    >>> png_data_uri(b"\\x89PNG")
    'data:image/png;base64,iVBORw=='
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _check_scale(scale: Any, owner: str) -> None:
    if scale is None:
        return
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(
            f"The 'scale' parameter of {owner} must be an int in the range [1, inf) or "
            f"None. Got {scale!r} instead."
        )


def _check_gap(gap: Any, owner: str) -> None:
    if isinstance(gap, bool) or not isinstance(gap, (int, np.integer)) or gap < 0:
        raise ValueError(
            f"The 'gap' parameter of {owner} must be an int in the range [0, inf). "
            f"Got {gap!r} instead."
        )


def auto_scale(height: int, width: int) -> int:
    """The enlargement factor that brings the long side to about ``TARGET_SIZE`` pixels.

    Examples
    --------
    >>> auto_scale(8, 8), auto_scale(28, 28), auto_scale(224, 224)
    (8, 2, 1)
    """
    return max(1, round(TARGET_SIZE / max(height, width, 1)))


def _as_numpy(images: Any) -> np.ndarray:
    """A float64 copy of an array or of a tensor (detached, on the CPU)."""
    if hasattr(images, "detach"):  # a torch tensor, read without importing torch
        images = images.detach().cpu().numpy()
    return np.array(images, dtype=np.float64)


def _image_array(image: np.ndarray, name: str, owner: str) -> np.ndarray:
    """A (C, H, W) image with C in {1, 3}, or a clear error naming ``name``."""
    if image.ndim == 2:
        image = image[None]
    if image.ndim != 3 or image.shape[0] not in _COLOR_TYPES or 0 in image.shape:
        raise ValueError(
            f"The {name!r} parameter of {owner} must be an image of shape (C, H, W) with "
            f"C = 1 (grayscale) or 3 (RGB). Got shape {image.shape} instead."
        )
    if not np.all(np.isfinite(image)):
        raise ValueError(
            f"The {name!r} parameter of {owner} must hold finite pixel values. "
            "Got NaN or infinity instead."
        )
    return image


def to_uint8(image: Any, *, bounds: Sequence[float] = (0.0, 1.0)) -> np.ndarray:
    """Map one (C, H, W) image with pixels in ``bounds`` onto 8-bit pixels for a PNG.

    Parameters
    ----------
    image : ndarray or tensor of shape (C, H, W) or (H, W), C = 1 or 3
        Not modified.
    bounds : (low, high)
        The pixel range: ``low`` becomes 0 and ``high`` 255 (values outside are clipped).

    Returns
    -------
    ndarray of uint8, shape (H, W) for one channel or (H, W, 3)

    Examples
    --------
    >>> import numpy as np
    >>> to_uint8(np.array([[[0.0, 0.5, 1.0]]]))
    array([[  0, 128, 255]], dtype=uint8)
    """
    owner = "to_uint8"
    low, high = check_bounds(bounds, owner=owner)
    pixels = _image_array(_as_numpy(image), "image", owner)
    return _quantize((pixels - low) / (high - low))


def _quantize(unit: np.ndarray) -> np.ndarray:
    """(C, H, W) values in [0, 1] (clipped) -> uint8 (H, W) or (H, W, 3)."""
    out = np.floor(np.clip(unit, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return out[0] if out.shape[0] == 1 else np.moveaxis(out, 0, -1)


def _enlarge(pixels: np.ndarray, scale: int) -> np.ndarray:
    return np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)


def noise_factor(original: Any, adversarial: Any, *, bounds: Sequence[float]) -> float:
    """The amplification that makes the largest pixel change reach black or white.

    A change ``delta`` is shown as ``0.5 + factor * delta / (high - low)`` of the range,
    so the factor is ``0.5 * (high - low) / max |delta|`` (1.0 when nothing changed).

    Examples
    --------
    >>> import numpy as np
    >>> noise_factor(np.zeros((1, 2, 2)), np.full((1, 2, 2), 0.05), bounds=(0, 1))
    10.0
    """
    low, high = check_bounds(bounds, owner="noise_factor")
    largest = float(np.max(np.abs(_as_numpy(adversarial) - _as_numpy(original))))
    return 0.5 * (high - low) / largest if largest > 0 else 1.0


def triplet_row(
    original: Any,
    adversarial: Any,
    *,
    bounds: Sequence[float] = (0.0, 1.0),
    amplify: float | None = None,
    scale: int | None = None,
    gap: int = DEFAULT_GAP,
) -> np.ndarray:
    """One example as three panels: original | adversarial | amplified noise.

    Parameters
    ----------
    original, adversarial : ndarray or tensor of shape (C, H, W), C = 1 or 3
        Pixels in ``bounds``; not modified.
    bounds : (low, high)
        The pixel range, mapped onto 0..255.
    amplify : float, optional
        Noise panel: the change ``adversarial - original`` is drawn centred at mid-grey,
        as ``0.5 + amplify * delta / (high - low)`` of the range (clipped). Default: the
        factor that makes this example's largest ``|delta|`` reach black or white
        (:func:`noise_factor`).
    scale : int, optional
        Each pixel becomes a ``scale`` x ``scale`` block. Default: :func:`auto_scale`.
    gap : int, default=4
        White pixels between the panels.

    Returns
    -------
    ndarray of uint8, shape (H', 3 W' + 2 gap) or (H', 3 W' + 2 gap, 3)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((1, 2, 2)); x_adv = x.copy(); x_adv[0, 0, 0] = 0.1
    >>> row = triplet_row(x, x_adv, scale=1, gap=1)
    >>> row.shape, row[0].tolist()
    ((2, 8), [0, 0, 255, 26, 0, 255, 255, 128])
    """
    owner = "triplet_row"
    low, high = check_bounds(bounds, owner=owner)
    _check_scale(scale, owner)
    _check_gap(gap, owner)
    if amplify is not None and not (
        isinstance(amplify, (int, float, np.integer, np.floating))
        and not isinstance(amplify, bool)
        and math.isfinite(amplify)
        and amplify > 0
    ):
        raise ValueError(
            f"The 'amplify' parameter of {owner} must be a float in the range (0, inf) or "
            f"None. Got {amplify!r} instead."
        )
    x = _image_array(_as_numpy(original), "original", owner)
    x_adv = _image_array(_as_numpy(adversarial), "adversarial", owner)
    if x.shape != x_adv.shape:
        raise ValueError(
            f"The 'adversarial' parameter of {owner} must have the shape of 'original' "
            f"{x.shape}. Got shape {x_adv.shape} instead."
        )
    factor = noise_factor(x, x_adv, bounds=(low, high)) if amplify is None else float(amplify)
    span = high - low
    panels = [
        _quantize((x - low) / span),
        _quantize((x_adv - low) / span),
        _quantize(0.5 + factor * (x_adv - x) / span),
    ]
    size = auto_scale(*x.shape[1:]) if scale is None else int(scale)
    panels = [_enlarge(p, size) for p in panels]
    blank = np.full((panels[0].shape[0], gap) + panels[0].shape[2:], 255, dtype=np.uint8)
    return np.concatenate([panels[0], blank, panels[1], blank.copy(), panels[2]], axis=1)


def triplet_grid(
    examples: Any,
    *,
    amplify: float | None = None,
    scale: int | None = None,
    gap: int = DEFAULT_GAP,
) -> np.ndarray:
    """Every example as one row of :func:`triplet_row`, rows stacked with white gaps.

    Parameters
    ----------
    examples : AdversarialExamples
        Anything with ``original`` and ``adversarial`` arrays of shape (k, C, H, W),
        C = 1 or 3, and ``bounds`` (low, high), as
        :func:`advval.image.evaluate_robustness` returns them; not modified.
    amplify : float, optional
        Noise amplification (see :func:`triplet_row`); default: per row, the factor that
        makes that row's largest change reach black or white.
    scale : int, optional
        Pixel enlargement; default :func:`auto_scale`.
    gap : int, default=4
        White pixels between panels and between rows.

    Returns
    -------
    ndarray of uint8, shape (k H' + (k - 1) gap, 3 W' + 2 gap) (grayscale) or with a
    last axis of 3 (RGB); give it to :func:`encode_png`.

    Raises
    ------
    ValueError
        No example, mismatched shapes, or a parameter out of range (named).

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> x = np.zeros((2, 1, 8, 8)); x_adv = x + 0.03
    >>> grid = triplet_grid(SimpleNamespace(original=x, adversarial=x_adv, bounds=(0.0, 1.0)))
    >>> grid.shape, grid.dtype
    ((132, 200), dtype('uint8'))
    """
    owner = "triplet_grid"
    _check_gap(gap, owner)
    originals = _as_numpy(examples.original)
    adversarials = _as_numpy(examples.adversarial)
    if originals.ndim != 4 or len(originals) == 0:
        raise ValueError(
            f"The 'examples' parameter of {owner} must hold at least one image of shape "
            f"(C, H, W) in 'original' (k, C, H, W). Got shape {originals.shape} instead."
        )
    if adversarials.shape != originals.shape:
        raise ValueError(
            f"The 'examples' parameter of {owner} must have 'adversarial' of the shape of "
            f"'original' {originals.shape}. Got shape {adversarials.shape} instead."
        )
    rows = [
        triplet_row(x, x_adv, bounds=examples.bounds, amplify=amplify, scale=scale, gap=gap)
        for x, x_adv in zip(originals, adversarials, strict=True)
    ]
    blank = np.full((gap,) + rows[0].shape[1:], 255, dtype=np.uint8)
    stacked: list[np.ndarray] = []
    for i, row in enumerate(rows):
        if i:
            stacked.append(blank)
        stacked.append(row)
    return np.concatenate(stacked, axis=0)


def patch_png(
    patch: Any, bounds: Sequence[float] = (0.0, 1.0), *, scale: int | None = None
) -> bytes:
    """The trained patch of an adversarial-patch attack as a PNG file.

    Parameters
    ----------
    patch : ndarray or tensor of shape (C, h, w), C = 1 or 3
        For example ``AdversarialPatch(...).patch_``; not modified (a tensor is read
        detached, on the CPU).
    bounds : (low, high)
        The pixel range, mapped onto 0..255.
    scale : int, optional
        Pixel enlargement; default :func:`auto_scale`.

    Returns
    -------
    bytes
        The PNG file (grayscale for one channel, RGB for three).

    Examples
    --------
    >>> import numpy as np
    >>> png = patch_png(np.full((3, 4, 4), 0.5), scale=2)
    >>> png[:8] == PNG_SIGNATURE, int.from_bytes(png[16:20], "big")
    (True, 8)
    """
    owner = "patch_png"
    low, high = check_bounds(bounds, owner=owner)
    _check_scale(scale, owner)
    pixels = _image_array(_as_numpy(patch), "patch", owner)
    size = auto_scale(*pixels.shape[1:]) if scale is None else int(scale)
    return encode_png(_enlarge(_quantize((pixels - low) / (high - low)), size))
