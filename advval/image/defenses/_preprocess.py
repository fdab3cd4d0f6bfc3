"""Bit-depth reduction, median smoothing, JPEG compression and random resize-and-pad.

References
----------
.. [1] Xu, Evans and Qi, "Feature Squeezing: Detecting Adversarial Examples in Deep
   Neural Networks", NDSS 2018 (bit-depth reduction, median smoothing).
.. [2] Guo, Rana, Cisse and van der Maaten, "Countering Adversarial Images using Input
   Transformations", ICLR 2018 (bit-depth reduction, JPEG compression).
.. [3] Xie, Wang, Zhang, Ren and Yuille, "Mitigating Adversarial Effects Through
   Randomization", ICLR 2018 (random resizing and padding).
.. [4] Athalye, Carlini and Wagner, "Obfuscated Gradients Give a False Sense of Security",
   ICML 2018 (BPDA and EOT, the adaptive attacks on all of the above).
.. [5] Shin and Song, "JPEG-resistant Adversarial Images", NeurIPS 2017 workshop (the cubic
   approximation of rounding).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ..._validation import check_bounds, check_number, check_option


def straight_through(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``y`` in the forward pass, the identity's gradient (w.r.t. ``x``) in the backward pass."""
    return x + (y - x).detach()


def _check_images(x: torch.Tensor, owner: str) -> None:
    if x.dim() != 4:
        raise ValueError(f"{owner} expects (N, C, H, W) images. Got shape {tuple(x.shape)}.")


class _Preprocess(nn.Module):
    """A transform with an optional straight-through (BPDA) backward pass."""

    bpda: bool

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, type(self).__name__)
        y = self.transform(x)
        return straight_through(x, y) if self.bpda else y


class BitDepthReduction(_Preprocess):
    """Quantize every value to ``2**bits`` evenly spaced levels of ``bounds`` ([1]_, [2]_).

    ``round((x - lo) / (hi - lo) * (2**bits - 1))`` levels, mapped back to ``bounds``;
    values outside ``bounds`` are clipped first. Rounding has a zero gradient, so a plain
    gradient attack sees no signal; ``bpda=True`` passes the gradient through unchanged.

    Parameters
    ----------
    bits : int, default=4
        Bits per value, 1 to 16 (Xu et al. use 1 bit for MNIST, 5 for CIFAR-10).
    bounds : (float, float), default=(0.0, 1.0)
        Pixel range of the input.
    bpda : bool, default=False
        Identity gradient instead of the transform's (zero) gradient.

    Examples
    --------
    >>> import torch
    >>> BitDepthReduction(bits=1)(torch.tensor([0.2, 0.5, 0.7]).view(1, 1, 1, 3)).flatten()
    tensor([0., 0., 1.])
    """

    def __init__(
        self, bits: int = 4, *, bounds: tuple[float, float] = (0.0, 1.0), bpda: bool = False
    ) -> None:
        super().__init__()
        check_number(bits, name="bits", owner="BitDepthReduction", kind=int, low=1, high=16)
        self.bits = int(bits)
        self.bounds = check_bounds(bounds, owner="BitDepthReduction")
        self.bpda = bool(bpda)

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        lo, hi = self.bounds
        levels = 2**self.bits - 1
        unit = (x.clamp(lo, hi) - lo) / (hi - lo)
        return torch.round(unit * levels) / levels * (hi - lo) + lo

    def extra_repr(self) -> str:
        return f"bits={self.bits}, bounds={self.bounds}, bpda={self.bpda}"


class MedianSmoothing(_Preprocess):
    """Median over a ``kernel_size x kernel_size`` window, per channel ([1]_).

    Windows come from ``unfold`` on a reflect-padded batch (no Python loop over pixels);
    for an even size the window reaches one pixel further right / down, and the median is
    the lower of the two middle values (as ``torch.median``). The gradient of a median
    goes to the one value selected, so it is sparse but defined; ``bpda=True`` replaces it
    by the identity.

    Parameters
    ----------
    kernel_size : int, default=2
        Window side, >= 1 (Xu et al. use 2 or 3).
    bpda : bool, default=False
        Identity gradient instead of the median's.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]).view(1, 1, 3, 3)
    >>> MedianSmoothing(kernel_size=3)(x).flatten().tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    """

    def __init__(self, kernel_size: int = 2, *, bpda: bool = False) -> None:
        super().__init__()
        check_number(kernel_size, name="kernel_size", owner="MedianSmoothing", kind=int, low=1)
        self.kernel_size = int(kernel_size)
        self.bpda = bool(bpda)

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        k = self.kernel_size
        if k == 1:
            return x.clone()
        before, after = (k - 1) // 2, k // 2
        height, width = x.shape[-2:]
        if max(before, after) >= min(height, width):
            raise ValueError(
                f"MedianSmoothing: kernel_size {k} is too large for {height}x{width} images."
            )
        padded = F.pad(x, (before, after, before, after), mode="reflect")
        windows = padded.unfold(2, k, 1).unfold(3, k, 1)  # (N, C, H, W, k, k), a view
        return windows.reshape(*windows.shape[:4], k * k).median(dim=-1).values

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, bpda={self.bpda}"


#: JPEG (ITU-T T.81, Annex K) luminance and chrominance quantization tables at quality 50
_LUMA = (
    (16, 11, 10, 16, 24, 40, 51, 61),
    (12, 12, 14, 19, 26, 58, 60, 55),
    (14, 13, 16, 24, 40, 57, 69, 56),
    (14, 17, 22, 29, 51, 87, 80, 62),
    (18, 22, 37, 56, 68, 109, 103, 77),
    (24, 35, 55, 64, 81, 104, 113, 92),
    (49, 64, 78, 87, 103, 121, 120, 101),
    (72, 92, 95, 98, 112, 100, 103, 99),
)
_CHROMA = (
    (17, 18, 24, 47, 99, 99, 99, 99),
    (18, 21, 26, 66, 99, 99, 99, 99),
    (24, 26, 56, 99, 99, 99, 99, 99),
    (47, 66, 99, 99, 99, 99, 99, 99),
    (99, 99, 99, 99, 99, 99, 99, 99),
    (99, 99, 99, 99, 99, 99, 99, 99),
    (99, 99, 99, 99, 99, 99, 99, 99),
    (99, 99, 99, 99, 99, 99, 99, 99),
)
#: RGB -> YCbCr (JFIF, full range; the 128 chroma offset is added separately)
_YCBCR = (
    (0.299, 0.587, 0.114),
    (-0.168736, -0.331264, 0.5),
    (0.5, -0.418688, -0.081312),
)
#: JPEG rounding approximations
ROUNDINGS = ("straight_through", "cubic", "exact")


def quantization_table(quality: int, base: tuple[tuple[int, ...], ...]) -> torch.Tensor:
    """The IJG (libjpeg) scaling of a base table to ``quality`` in [1, 100]."""
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    table = torch.tensor(base, dtype=torch.float64)
    return torch.floor((table * scale + 50) / 100).clamp(1, 255)


def _dct_matrix() -> torch.Tensor:
    """Orthonormal 8-point DCT-II matrix ``D``: coefficients of a block B are D B D^T."""
    k = torch.arange(8, dtype=torch.float64).view(-1, 1)
    n = torch.arange(8, dtype=torch.float64).view(1, -1)
    matrix = torch.cos((2 * n + 1) * k * math.pi / 16) * math.sqrt(2 / 8)
    matrix[0] /= math.sqrt(2)
    return matrix


class JPEGCompression(_Preprocess):
    """Differentiable JPEG compression and decompression in torch ([2]_, [5]_).

    Each image is converted to YCbCr (JFIF, 4:4:4: no chroma subsampling), padded to a
    multiple of 8 by edge replication, cut into 8x8 blocks, transformed by the 2-D DCT,
    quantized with the standard tables scaled to ``quality`` as libjpeg does, and decoded
    back; one-channel images use the luminance path only. The only non-differentiable step,
    rounding the quantized coefficients, is replaced according to ``rounding``:

    - ``"straight_through"``: exact rounding in the forward pass, identity gradient for the
      rounding step only (the DCT and quantization stay in the gradient);
    - ``"cubic"``: ``round(t) + (t - round(t))**3`` (Shin and Song 2017), smooth and close;
    - ``"exact"``: plain rounding, whose gradient is zero (what a naive attack sees).

    Entropy coding is lossless and omitted; decoded values are not rounded to 8 bits, so
    outputs differ from a real codec by about one grey level. ``bpda=True`` keeps the
    forward pass and makes the whole transform's gradient the identity (Athalye et al.).

    Parameters
    ----------
    quality : int, default=75
        JPEG quality, 1 to 100.
    bounds : (float, float), default=(0.0, 1.0)
        Pixel range of the input; mapped to 0..255 inside.
    rounding : {"straight_through", "cubic", "exact"}, default="straight_through"
    bpda : bool, default=False

    Examples
    --------
    >>> import torch
    >>> x = torch.full((1, 3, 8, 8), 0.5)
    >>> y = JPEGCompression(quality=90)(x)
    >>> y.shape, bool((y - x).abs().max() < 0.01)
    (torch.Size([1, 3, 8, 8]), True)
    """

    luma: torch.Tensor
    chroma: torch.Tensor
    dct: torch.Tensor
    ycbcr: torch.Tensor
    ycbcr_inverse: torch.Tensor
    chroma_offset: torch.Tensor

    def __init__(
        self,
        quality: int = 75,
        *,
        bounds: tuple[float, float] = (0.0, 1.0),
        rounding: str = "straight_through",
        bpda: bool = False,
    ) -> None:
        super().__init__()
        check_number(quality, name="quality", owner="JPEGCompression", kind=int, low=1, high=100)
        check_option(rounding, name="rounding", owner="JPEGCompression", options=ROUNDINGS)
        self.quality = int(quality)
        self.bounds = check_bounds(bounds, owner="JPEGCompression")
        self.rounding = rounding
        self.bpda = bool(bpda)
        self.register_buffer("luma", quantization_table(self.quality, _LUMA), persistent=False)
        self.register_buffer("chroma", quantization_table(self.quality, _CHROMA), persistent=False)
        self.register_buffer("dct", _dct_matrix(), persistent=False)
        ycbcr = torch.tensor(_YCBCR, dtype=torch.float64)
        self.register_buffer("ycbcr", ycbcr, persistent=False)
        self.register_buffer("ycbcr_inverse", torch.linalg.inv(ycbcr), persistent=False)
        offset = torch.tensor([0.0, 128.0, 128.0], dtype=torch.float64).view(1, 3, 1, 1)
        self.register_buffer("chroma_offset", offset, persistent=False)

    def _round(self, t: torch.Tensor) -> torch.Tensor:
        if self.rounding == "exact":
            return torch.round(t)
        if self.rounding == "cubic":
            rounded = torch.round(t).detach()
            return rounded + (t - rounded) ** 3
        return straight_through(t, torch.round(t))

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        channels = x.shape[1]
        if channels not in (1, 3):
            raise ValueError(f"JPEGCompression expects 1 or 3 channels. Got {channels}.")
        lo, hi = self.bounds
        pixels = (x.clamp(lo, hi) - lo) * (255 / (hi - lo))
        if channels == 3:
            ycbcr = self.ycbcr.to(x)
            pixels = torch.einsum("ij,njhw->nihw", ycbcr, pixels)
            pixels = pixels + self.chroma_offset.to(x)
            tables = torch.stack([self.luma, self.chroma, self.chroma]).to(x)
        else:
            tables = self.luma.to(x).unsqueeze(0)
        height, width = x.shape[-2:]
        pad_h, pad_w = -height % 8, -width % 8
        if pad_h or pad_w:
            pixels = F.pad(pixels, (0, pad_w, 0, pad_h), mode="replicate")
        n, c, h, w = pixels.shape
        # (N, C, H/8, W/8, 8, 8) blocks
        blocks = (pixels - 128).reshape(n, c, h // 8, 8, w // 8, 8).transpose(3, 4)
        dct = self.dct.to(x)
        coefs = dct @ blocks @ dct.T
        table = tables.view(1, c, 1, 1, 8, 8)
        coefs = self._round(coefs / table) * table
        blocks = dct.T @ coefs @ dct + 128
        pixels = blocks.transpose(3, 4).reshape(n, c, h, w)[..., :height, :width]
        if channels == 3:
            inverse = self.ycbcr_inverse.to(x)
            pixels = torch.einsum("ij,njhw->nihw", inverse, pixels - self.chroma_offset.to(x))
        return pixels.clamp(0, 255) * ((hi - lo) / 255) + lo

    def extra_repr(self) -> str:
        return (
            f"quality={self.quality}, bounds={self.bounds}, rounding={self.rounding!r}, "
            f"bpda={self.bpda}"
        )


class RandomResizePad(_Preprocess):
    """Random resize then random zero-padding (Xie et al. 2018, [3]_).

    Each call draws one scale factor in ``scale`` and one padding offset for the batch
    (one resize for all samples, no per-sample loop): the images are resized (bilinear) to
    ``round(factor * size)`` and padded with ``pad_value`` at a random position to
    ``out_size``. Draws come from ``generator`` when given (a CPU ``torch.Generator``, so an
    expectation-over-transformation attack can be reproduced), else from torch's default
    generator. Resizing and padding are differentiable; the randomness is what an EOT
    attack averages over (Athalye et al.). ``bpda=True`` (identity gradient) needs the
    output to have the input's size.

    Parameters
    ----------
    scale : (float, float), default=(0.8, 1.0)
        Range of the resize factor, relative to the input size, ``0 < low <= high``.
    out_size : (int, int), optional
        Output height and width; by default the input's. Must hold the largest resize.
    pad_value : float, default=0.0
    generator : torch.Generator, optional
    bpda : bool, default=False

    Examples
    --------
    >>> import torch
    >>> defense = RandomResizePad(scale=(0.5, 0.5), generator=torch.Generator().manual_seed(0))
    >>> defense(torch.ones(2, 3, 8, 8)).sum(dim=(2, 3))[0].tolist()
    [16.0, 16.0, 16.0]
    """

    def __init__(
        self,
        scale: tuple[float, float] = (0.8, 1.0),
        *,
        out_size: tuple[int, int] | None = None,
        pad_value: float = 0.0,
        generator: torch.Generator | None = None,
        bpda: bool = False,
    ) -> None:
        super().__init__()
        low, high = (float(s) for s in scale)
        if not 0 < low <= high:
            raise ValueError(
                "The 'scale' parameter of RandomResizePad must be (low, high) with "
                f"0 < low <= high. Got {tuple(scale)!r} instead."
            )
        self.scale = (low, high)
        self.out_size = None if out_size is None else (int(out_size[0]), int(out_size[1]))
        self.pad_value = float(pad_value)
        self.generator = generator
        self.bpda = bool(bpda)

    def _draw(self, upper: int) -> int:
        """An integer in [0, upper], from the generator (a CPU draw: no device sync)."""
        return int(torch.randint(upper + 1, (1,), generator=self.generator)[0])

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        out_h, out_w = self.out_size or (height, width)
        low, high = self.scale
        factor = low + (high - low) * float(torch.rand(1, generator=self.generator)[0])
        new_h, new_w = max(1, round(factor * height)), max(1, round(factor * width))
        if new_h > out_h or new_w > out_w:
            raise ValueError(
                f"RandomResizePad: a {new_h}x{new_w} resize does not fit in out_size "
                f"{out_h}x{out_w}; lower the scale or raise out_size."
            )
        if self.bpda and (out_h, out_w) != (height, width):
            raise ValueError(
                "RandomResizePad: bpda=True needs out_size equal to the input size "
                f"{height}x{width}. Got {out_h}x{out_w}."
            )
        resized = F.interpolate(x, size=(new_h, new_w), mode="bilinear", align_corners=False)
        top, left = self._draw(out_h - new_h), self._draw(out_w - new_w)
        padding = (left, out_w - new_w - left, top, out_h - new_h - top)
        return F.pad(resized, padding, value=self.pad_value)

    def extra_repr(self) -> str:
        return f"scale={self.scale}, out_size={self.out_size}, bpda={self.bpda}"
