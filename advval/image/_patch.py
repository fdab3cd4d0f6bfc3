"""Adversarial patch: one universal patch, trained by expectation over transformation.

A patch is a small image pasted onto any input (Brown et al. 2017): unlike an eps-ball
perturbation its pixels may take any value in the bounds, but only on a small area, and it
is the same for every input, which makes it a physical-world threat model. It is trained
by expectation over transformation (EOT, Athalye et al. 2018): every step pastes it onto
a random batch of images at random positions, scales, rotations and lighting, and moves
it along the gradient of the average loss.

Placement is one batched ``affine_grid`` / ``grid_sample`` call: every pixel whose centre
falls inside the placed patch takes the patch's value at that point (bilinear, a convex
mixture of patch pixels), so the result is differentiable with respect to the patch and
stays inside the pixel bounds.

References
----------
.. [1] Brown, Mané, Roy, Abadi and Gilmer, "Adversarial Patch", NeurIPS 2017 workshop
   (arXiv:1712.09665).
.. [2] Athalye, Engstrom, Ilyas and Kwok, "Synthesizing Robust Adversarial Examples",
   ICML 2018 (expectation over transformation).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from torch.nn import functional as F

from .._validation import check_bounds, check_number, check_option
from ..attacks.evaluate.runner import inference_state
from ..attacks.gradient.steps import LOSSES, adam_step, is_adversarial, objective

_OWNER = "AdversarialPatch"


@dataclass(frozen=True)
class Placement:
    """Where and how a patch lands on each image of a batch (one row per image).

    ``top_left`` holds (row, col) in pixels of the scaled, unrotated patch's corner;
    ``scale`` and ``angle`` (degrees, counter-clockwise as displayed) are per image;
    ``contrast`` and ``brightness`` (``None``: no jitter) change the patch's lighting.
    """

    top_left: torch.Tensor
    scale: torch.Tensor
    angle: torch.Tensor
    contrast: torch.Tensor | None = None
    brightness: torch.Tensor | None = None

    def rows(self, index: slice) -> Placement:
        """The placements of the images ``index``."""
        contrast, brightness = self.contrast, self.brightness
        return Placement(
            self.top_left[index],
            self.scale[index],
            self.angle[index],
            None if contrast is None else contrast[index],
            None if brightness is None else brightness[index],
        )


def _hw(images: torch.Tensor) -> tuple[int, int]:
    """Height and width of an (N, C, H, W) batch."""
    return int(images.shape[2]), int(images.shape[3])


def _uniform(
    n: int, low: float, high: float, generator: torch.Generator | None, like: torch.Tensor
) -> torch.Tensor:
    """``n`` uniform draws in [low, high] on ``like``'s device and dtype.

    Drawn on the generator's device (a CPU generator may serve GPU images), then moved.
    """
    device = like.device if generator is None else generator.device
    u = torch.rand(n, generator=generator, device=device, dtype=like.dtype).to(like.device)
    return low + (high - low) * u


def _random_top_left(
    scale: torch.Tensor,
    patch_hw: tuple[int, int],
    image_hw: tuple[int, int],
    generator: torch.Generator | None,
) -> torch.Tensor:
    """Uniform corners that keep each scaled patch inside the image: shape (n, 2)."""
    (h, w), (height, width) = patch_hw, image_hw
    n = len(scale)
    rows = _uniform(n, 0.0, 1.0, generator, scale) * (height - scale * h)
    cols = _uniform(n, 0.0, 1.0, generator, scale) * (width - scale * w)
    return torch.stack([rows, cols], dim=1)


def _theta(placement: Placement, patch_hw: tuple[int, int], image_hw: tuple[int, int]) -> Any:
    """Affine maps from image to patch coordinates, in ``affine_grid``'s normalized units.

    In pixels (x to the right, y down, pixel ``i`` centred at ``i + 0.5``) the patch
    coordinate of image point ``q`` is ``A (q - centre) + (w/2, h/2)`` with
    ``A = R(angle)^-1 / scale``; the normalized coordinates of ``affine_grid`` and
    ``grid_sample`` (``align_corners=False``) are ``2 q / size - 1``.
    """
    (h, w), (height, width) = patch_hw, image_hw
    scale, radians = placement.scale, placement.angle * (math.pi / 180)
    cos, sin = torch.cos(radians) / scale, torch.sin(radians) / scale
    top, left = placement.top_left[:, 0], placement.top_left[:, 1]
    # offset of the image centre from the patch centre, in pixels (x, y)
    dx = width / 2 - (left + scale * w / 2)
    dy = height / 2 - (top + scale * h / 2)
    first = [cos * (width / w), -sin * (height / w), (cos * dx - sin * dy) * (2 / w)]
    second = [sin * (width / h), cos * (height / h), (sin * dx + cos * dy) * (2 / h)]
    return torch.stack([torch.stack(first, 1), torch.stack(second, 1)], dim=1)


def _paste(
    images: torch.Tensor,
    patch: torch.Tensor,
    placement: Placement,
    bounds: tuple[float, float],
) -> torch.Tensor:
    """Blend ``patch`` (C, h, w) into every image at its placement; batched, differentiable."""
    lo, hi = bounds
    n, channels, height, width = images.shape
    h, w = patch.shape[-2:]
    patch = patch.to(device=images.device, dtype=images.dtype)
    if placement.contrast is not None and placement.brightness is not None:
        middle = (lo + hi) / 2
        lit = (patch - middle) * placement.contrast.view(n, 1, 1, 1) + middle
        patches = (lit + placement.brightness.view(n, 1, 1, 1)).clamp(lo, hi)
    else:
        patches = patch.expand(n, channels, h, w)
    theta = _theta(placement, (h, w), (height, width))
    grid = F.affine_grid(theta, [n, channels, height, width], align_corners=False)
    # edge padding: a pixel centre just inside the rim reads the rim's value, not a fade
    drawn = F.grid_sample(
        patches, grid, mode="bilinear", padding_mode="border", align_corners=False
    )
    covered = (grid.abs() <= 1).all(dim=-1).unsqueeze(1)  # pixel centre inside the patch
    return torch.where(covered, drawn, images).clamp(lo, hi)


def _pair(value: Any, name: str, owner: str, what: str) -> tuple[float, float]:
    """Two real numbers, or the one-shape error for ``name``."""
    ok = (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)
    )
    if not ok:
        raise ValueError(
            f"The {name!r} parameter of {owner} must be {what}. Got {value!r} instead."
        )
    return float(value[0]), float(value[1])


def _check_images(images: Any, name: str, owner: str) -> torch.Tensor:
    if not torch.is_tensor(images) or images.dim() != 4 or not images.is_floating_point():
        shape = tuple(images.shape) if torch.is_tensor(images) else type(images).__name__
        raise ValueError(
            f"The {name!r} parameter of {owner} must be a floating-point torch tensor of "
            f"shape (N, C, H, W). Got {shape} instead."
        )
    return images


def _check_patch(patch: Any, images: torch.Tensor, max_scale: float, owner: str) -> torch.Tensor:
    """A (C, h, w) floating tensor with the images' channels that fits at ``max_scale``."""
    if not torch.is_tensor(patch) or patch.dim() != 3 or not patch.is_floating_point():
        shape = tuple(patch.shape) if torch.is_tensor(patch) else type(patch).__name__
        raise ValueError(
            f"The 'patch' parameter of {owner} must be a floating-point torch tensor of "
            f"shape (C, h, w). Got {shape} instead."
        )
    channels, height, width = images.shape[1:]
    if patch.shape[0] != channels:
        raise ValueError(
            f"The 'patch' parameter of {owner} must have the images' {channels} channel(s). "
            f"Got shape {tuple(patch.shape)} instead."
        )
    h, w = patch.shape[1:]
    if max_scale * h > height + 1e-9 or max_scale * w > width + 1e-9:
        raise ValueError(
            f"The 'patch' parameter of {owner} must fit in the {height}x{width} images at "
            f"scale {max_scale:g}. Got a {h}x{w} patch instead."
        )
    return patch


def _per_image(value: Any, n: int, like: torch.Tensor, name: str, positive: bool) -> torch.Tensor:
    """A float, or one value per image, as a tensor of shape (n,) like ``like``."""
    if torch.is_tensor(value) or isinstance(value, np.ndarray):
        values = torch.as_tensor(value).to(device=like.device, dtype=like.dtype).reshape(-1)
        if values.numel() != n:
            raise ValueError(
                f"The {name!r} parameter of apply_patch must be a float or hold one value per "
                f"image ({n}). Got {values.numel()} values instead."
            )
    else:
        check_number(value, name=name, owner="apply_patch", low=0 if positive else -np.inf,
                     closed="neither" if positive else "both")
        values = torch.full((n,), float(value), dtype=like.dtype, device=like.device)
    if positive and not bool(torch.all(values > 0)):
        raise ValueError(
            f"The {name!r} parameter of apply_patch must be positive. Got "
            f"{values.min().item():g} as its smallest value instead."
        )
    return values


def apply_patch(
    images: torch.Tensor,
    patch: torch.Tensor,
    *,
    location: Any = None,
    scale: Any = 1.0,
    angle: Any = 0.0,
    bounds: tuple[float, float] = (0.0, 1.0),
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Paste ``patch`` onto every image; differentiable with respect to the patch.

    The patch is scaled by ``scale`` (a ``h x w`` patch covers ``scale * h`` by
    ``scale * w`` pixels), rotated by ``angle`` degrees about its centre and resampled
    onto the image grid: every pixel whose centre lies inside the placed patch takes the
    patch's bilinear value there, a convex mixture of patch pixels, so outputs stay within
    ``bounds`` (they are clipped to them as well); the other pixels are unchanged. At
    scale 1, angle 0 and an integer location the patch lands pixel for pixel. All images
    are processed in one batched call.

    Parameters
    ----------
    images : torch.Tensor of shape (N, C, H, W)
        Floating-point images; never modified. The output has their device and dtype.
    patch : torch.Tensor of shape (C, h, w)
        Cast to the images' device and dtype; gradients flow back to it.
    location : (row, col), tensor of shape (N, 2) or None, default=None
        Top-left corner (pixels, fractions allowed) of the scaled, unrotated patch, the
        same for all images or one per image. ``None`` draws one per image, uniformly
        among the positions that keep the scaled patch inside the image.
    scale : float or tensor of shape (N,), default=1.0
        Positive size factor(s).
    angle : float or tensor of shape (N,), default=0.0
        Rotation(s) in degrees, counter-clockwise as displayed (rows pointing down).
    bounds : (float, float), default=(0.0, 1.0)
        Pixel range the output is clipped to.
    generator : torch.Generator, optional
        Source of the random locations (on any device); default torch's global one.

    Returns
    -------
    torch.Tensor of shape (N, C, H, W)
        New images with the patch pasted.

    See Also
    --------
    AdversarialPatch : trains a patch for a model.

    Examples
    --------
    >>> import torch
    >>> out = apply_patch(torch.zeros(2, 1, 4, 4), torch.ones(1, 2, 2), location=(1, 2))
    >>> out[0, 0].round(decimals=3)
    tensor([[0., 0., 0., 0.],
            [0., 0., 1., 1.],
            [0., 0., 1., 1.],
            [0., 0., 0., 0.]])
    """
    owner = "apply_patch"
    images = _check_images(images, "images", owner)
    lo, hi = check_bounds(bounds, owner=owner)
    n = len(images)
    scales = _per_image(scale, n, images, "scale", positive=True)
    angles = _per_image(angle, n, images, "angle", positive=False)
    patch = _check_patch(patch, images, float(scales.max()) if n else 1.0, owner)
    patch_hw = (int(patch.shape[1]), int(patch.shape[2]))
    if location is None:
        top_left = _random_top_left(scales, patch_hw, _hw(images), generator)
    elif torch.is_tensor(location) or isinstance(location, np.ndarray):
        top_left = torch.as_tensor(location).to(device=images.device, dtype=images.dtype)
        if top_left.shape != (n, 2):
            raise ValueError(
                "The 'location' parameter of apply_patch must be a (row, col) pair, an "
                f"(N, 2) tensor with N={n} or None. Got shape {tuple(top_left.shape)} instead."
            )
    else:
        row, col = _pair(location, "location", owner, "a (row, col) pair, an (N, 2) tensor or None")
        top_left = torch.tensor([[row, col]], dtype=images.dtype, device=images.device)
        top_left = top_left.expand(n, 2)
    return _paste(images, patch, Placement(top_left, scales, angles), (lo, hi))


class AdversarialPatch(BaseEstimator):
    """A universal adversarial patch, trained by expectation over transformation ([1]_, [2]_).

    ``fit`` trains one patch that, pasted anywhere on any image, pushes the model away
    from the true class (untargeted) or toward ``target``. Each of the ``steps`` steps
    draws ``batch_size`` training images and, per image, a placement: a uniform position
    inside the image, a scale in ``scale_range``, a rotation in ``[-rotation, rotation]``
    degrees and, with ``jitter``, a contrast factor in ``[1 - jitter, 1 + jitter]`` and a
    brightness shift of up to ``jitter`` times the bounds' width. The patch moves by one
    Adam step on the mean loss and is clipped to ``bounds``. Everything is batched on the
    images' device; the loop synchronizes with the device only at the end.

    The model is never moved; its train / eval mode, parameter ``requires_grad`` flags and
    ``.grad`` are left as found (gradients are taken with respect to the patch only). A
    model in training mode gets a warning and its buffers restored afterwards.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(N, C, H, W)`` images to logits ``(N, n_classes)``; it sees the images in
        its own floating dtype.
    patch_size : float or (int, int), default=0.25
        A fraction of the image area in (0, 1] (a patch with the image's aspect ratio,
        ``round(sqrt(a) * H) x round(sqrt(a) * W)`` pixels, at least 1), or the patch's
        ``(height, width)`` in pixels.
    target : int, optional
        Class the patch should make the model predict; ``None`` (untargeted): any class
        but the true one.
    steps : int, default=200
        Training steps (one forward and backward pass of ``batch_size`` images each).
    batch_size : int, default=64
        Images (with their placements) per step; also the chunk size of the evaluations.
    step_size : float, default=0.05
        Adam learning rate, as a fraction of the bounds' width.
    scale_range : (float, float), default=(0.8, 1.2)
        Range of the patch's size factor, ``0 < low <= high``; the patch must fit in the
        image at ``high``.
    rotation : float, default=20.0
        Largest rotation in degrees, in [0, 180].
    jitter : float, default=0.1
        Lighting change, in [0, 1): 0 turns it off.
    loss : {"ce", "margin"}, default="ce"
        The cross-entropy of the true (or target) class, or the Carlini-Wagner margin.
    bounds : (float, float), default=(0.0, 1.0)
        Pixel range of the images and the patch.
    random_state : int, RandomState instance or None, default=None
        Seeds a local ``torch.Generator`` for the start patch, the batches and the
        placements (never the global seed).

    Attributes
    ----------
    patch_ : torch.Tensor of shape (C, h, w)
        The trained patch, on the training images' device and dtype.
    history_ : ndarray of shape (steps,)
        Mean loss (minimized) of each step's batch.
    n_classes_ : int
        Number of classes the model outputs.

    See Also
    --------
    apply_patch : paste a patch at a chosen or random place.

    References
    ----------
    .. [1] Brown, Mané, Roy, Abadi and Gilmer, "Adversarial Patch", NeurIPS 2017
       workshop (arXiv:1712.09665).
    .. [2] Athalye, Engstrom, Ilyas and Kwok, "Synthesizing Robust Adversarial
       Examples", ICML 2018.

    Examples
    --------
    A model that predicts class 1 once an image holds more than 12 pixels' worth of ink:

    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 2)).eval()
    >>> with torch.no_grad():
    ...     _ = model[1].weight.copy_(torch.stack([torch.zeros(64), torch.ones(64)]))
    ...     _ = model[1].bias.copy_(torch.tensor([0.0, -12.0]))
    >>> X = torch.zeros(32, 1, 8, 8)
    >>> attack = AdversarialPatch(model, target=1, steps=30, scale_range=(1.0, 1.0),
    ...                           rotation=0.0, jitter=0.0, random_state=0)
    >>> attack.fit(X).patch_.shape
    torch.Size([1, 4, 4])
    >>> attack.success_rate(X), attack.random_patch_baseline(X)
    (1.0, 0.0)
    """

    def __init__(
        self,
        model: torch.nn.Module,
        *,
        patch_size: float | tuple[int, int] = 0.25,
        target: int | None = None,
        steps: int = 200,
        batch_size: int = 64,
        step_size: float = 0.05,
        scale_range: tuple[float, float] = (0.8, 1.2),
        rotation: float = 20.0,
        jitter: float = 0.1,
        loss: str = "ce",
        bounds: tuple[float, float] = (0.0, 1.0),
        random_state: Any = None,
    ) -> None:
        self.model = model
        self.patch_size = patch_size
        self.target = target
        self.steps = steps
        self.batch_size = batch_size
        self.step_size = step_size
        self.scale_range = scale_range
        self.rotation = rotation
        self.jitter = jitter
        self.loss = loss
        self.bounds = bounds
        self.random_state = random_state

    def __sklearn_clone__(self) -> AdversarialPatch:
        """Clone the settings but share the model: it is what is attacked, not a part."""
        params = self.get_params(deep=False)
        return type(self)(**params)

    # -- validation ------------------------------------------------------------------------

    def _check_params(self) -> None:
        if not isinstance(self.model, torch.nn.Module):
            raise TypeError(
                f"The 'model' parameter of {_OWNER} must be a torch.nn.Module returning "
                f"logits. Got {type(self.model).__name__} instead."
            )
        self._patch_hw((8, 8))  # the shape checks that do not depend on the images
        check_number(self.target, name="target", owner=_OWNER, kind=int, low=0, allow_none=True)
        check_number(self.steps, name="steps", owner=_OWNER, kind=int, low=1)
        check_number(self.batch_size, name="batch_size", owner=_OWNER, kind=int, low=1)
        check_number(self.step_size, name="step_size", owner=_OWNER, low=0, closed="right")
        low, high = _pair(
            self.scale_range, "scale_range", _OWNER, "a (low, high) pair with 0 < low <= high"
        )
        if not 0 < low <= high:
            raise ValueError(
                f"The 'scale_range' parameter of {_OWNER} must be a (low, high) pair with "
                f"0 < low <= high. Got {tuple(self.scale_range)!r} instead."
            )
        check_number(self.rotation, name="rotation", owner=_OWNER, low=0, high=180)
        check_number(self.jitter, name="jitter", owner=_OWNER, low=0, high=1, closed="left")
        check_option(self.loss, name="loss", owner=_OWNER, options=LOSSES)
        check_bounds(self.bounds, owner=_OWNER)

    def _bounds(self) -> tuple[float, float]:
        return check_bounds(self.bounds, owner=_OWNER)

    def _patch_hw(self, image_hw: tuple[int, int]) -> tuple[int, int]:
        """The patch's (height, width) in pixels for images of ``image_hw``."""
        size = self.patch_size
        if isinstance(size, numbers.Real) and not isinstance(size, bool):
            if not 0 < float(size) <= 1:
                raise ValueError(
                    f"The 'patch_size' parameter of {_OWNER} must be a float in the range "
                    f"(0, 1] or a (height, width) pair of positive ints. Got {size!r} instead."
                )
            side = math.sqrt(float(size))
            return max(1, round(side * image_hw[0])), max(1, round(side * image_hw[1]))
        ok = (
            isinstance(size, (tuple, list))
            and len(size) == 2
            and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1
                    for v in size)
        )
        if not ok:
            raise ValueError(
                f"The 'patch_size' parameter of {_OWNER} must be a float in the range (0, 1] "
                f"or a (height, width) pair of positive ints. Got {size!r} instead."
            )
        return int(size[0]), int(size[1])  # type: ignore[index]

    def _check_X(self, X: Any) -> torch.Tensor:
        X = _check_images(X, "X", _OWNER)
        if len(X) == 0:
            raise ValueError(f"The 'X' parameter of {_OWNER} must hold at least one image.")
        first = next(iter((*self.model.parameters(), *self.model.buffers())), None)
        if first is not None and first.device != X.device:
            raise ValueError(
                f"The 'X' parameter of {_OWNER} must be on the model's device "
                f"({first.device}); the model is never moved. Got images on {X.device}."
            )
        return X

    def _model_dtype(self, X: torch.Tensor) -> torch.dtype:
        for tensor in (*self.model.parameters(), *self.model.buffers()):
            if tensor.is_floating_point():
                return tensor.dtype
        return X.dtype

    def _logits(self, x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        out = self.model(x if x.dtype == dtype else x.to(dtype))
        if out.dim() != 2:
            raise ValueError(
                f"{_OWNER} needs a model returning logits of shape (N, n_classes). Got shape "
                f"{tuple(out.shape)}."
            )
        return out

    def _predict(self, X: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """Class predictions on the clean images, in chunks of ``batch_size``."""
        size = int(self.batch_size)
        with torch.no_grad():
            return torch.cat(
                [self._logits(X[i : i + size], dtype).argmax(1) for i in range(0, len(X), size)]
            )

    def _labels(self, X: torch.Tensor, y: Any, n_classes: int, dtype: torch.dtype) -> Any:
        """The reference class of each image: ``y``, else the model's clean prediction."""
        if y is None:
            return self._predict(X, dtype)
        labels = torch.as_tensor(y.detach() if torch.is_tensor(y) else np.asarray(y))
        if labels.dim() != 1 or len(labels) != len(X):
            raise ValueError(
                f"The 'y' parameter of {_OWNER} must hold one label per image ({len(X)}). "
                f"Got shape {tuple(labels.shape)} instead."
            )
        if labels.is_floating_point() or labels.dtype == torch.bool:
            raise ValueError(
                f"The 'y' parameter of {_OWNER} must hold integer class indices. Got "
                f"{labels.dtype} instead."
            )
        labels = labels.to(device=X.device, dtype=torch.long)
        if bool(((labels < 0) | (labels >= n_classes)).any()):
            raise ValueError(
                f"The 'y' parameter of {_OWNER} must hold class indices in [0, {n_classes - 1}]. "
                f"Got values from {int(labels.min())} to {int(labels.max())} instead."
            )
        return labels

    def _n_classes(self, X: torch.Tensor, dtype: torch.dtype) -> int:
        with torch.no_grad():
            n_classes = int(self._logits(X[:2], dtype).shape[1])
        if self.target is not None and self.target >= n_classes:
            raise ValueError(
                f"The 'target' parameter of {_OWNER} must be a class index in "
                f"[0, {n_classes - 1}] or None. Got {self.target!r} instead."
            )
        return n_classes

    # -- placements ------------------------------------------------------------------------

    def _draw(
        self,
        n: int,
        patch_hw: tuple[int, int],
        like: torch.Tensor,
        generator: torch.Generator,
    ) -> Placement:
        """``n`` random placements (EOT), drawn in a fixed order from ``generator``."""
        low, high = _pair(self.scale_range, "scale_range", _OWNER, "a pair")
        rotation, jitter = float(self.rotation), float(self.jitter)
        scale = _uniform(n, low, high, generator, like)
        angle = _uniform(n, -rotation, rotation, generator, like)
        top_left = _random_top_left(scale, patch_hw, _hw(like), generator)
        contrast = brightness = None
        if jitter > 0:
            lo, hi = self._bounds()
            contrast = _uniform(n, 1 - jitter, 1 + jitter, generator, like)
            brightness = _uniform(n, -jitter * (hi - lo), jitter * (hi - lo), generator, like)
        return Placement(top_left, scale, angle, contrast, brightness)

    # -- the verbs -------------------------------------------------------------------------

    def fit(self, X: torch.Tensor, y: Any = None) -> AdversarialPatch:
        """Train the patch on the images ``X``.

        Parameters
        ----------
        X : torch.Tensor of shape (N, C, H, W)
            Training images within ``bounds``, on the model's device; never modified.
        y : array-like or tensor of shape (N,), optional
            True classes (untargeted: the patch pushes away from them). Default: the
            model's predictions on ``X``. Not needed when targeted.

        Returns
        -------
        self
        """
        self._check_params()
        X = self._check_X(X)
        _, high = _pair(self.scale_range, "scale_range", _OWNER, "a pair")
        patch_hw = self._patch_hw(_hw(X))
        if high * patch_hw[0] > X.shape[2] + 1e-9 or high * patch_hw[1] > X.shape[3] + 1e-9:
            raise ValueError(
                f"The 'patch_size' parameter of {_OWNER} must give a patch that fits in the "
                f"{X.shape[2]}x{X.shape[3]} images at the largest scale {high:g} of "
                f"scale_range. Got a {patch_hw[0]}x{patch_hw[1]} patch instead."
            )
        with inference_state(self.model, owner=_OWNER):
            patch, history, n_classes = self._train(X, y, patch_hw)
        self.patch_ = patch
        self.history_ = history
        self.n_classes_ = n_classes
        return self

    def _train(
        self, X: torch.Tensor, y: Any, patch_hw: tuple[int, int]
    ) -> tuple[torch.Tensor, np.ndarray, int]:
        """The EOT loop of :meth:`fit`: the patch, the loss per step, the class count."""
        lo, hi = self._bounds()
        channels = int(X.shape[1])
        dtype = self._model_dtype(X)
        n_classes = self._n_classes(X, dtype)
        target = self.target
        targeted = target is not None
        if target is not None:  # a y given is still checked
            if y is not None:
                self._labels(X, y, n_classes, dtype)
            labels = torch.full((len(X),), int(target), dtype=torch.long, device=X.device)
        else:
            labels = self._labels(X, y, n_classes, dtype)
        rng = check_random_state(self.random_state)
        generator = torch.Generator(device=X.device)
        generator.manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
        images = X.detach()
        patch = _uniform(channels * patch_hw[0] * patch_hw[1], lo, hi, generator, images)
        patch = patch.reshape(channels, *patch_hw)
        m, v = torch.zeros_like(patch), torch.zeros_like(patch)
        history = torch.empty(int(self.steps), dtype=patch.dtype, device=patch.device)
        lr = float(self.step_size) * (hi - lo)
        batch = int(self.batch_size)
        with torch.enable_grad():
            for t in range(int(self.steps)):
                rows = torch.randint(len(images), (batch,), generator=generator, device=X.device)
                placement = self._draw(batch, patch_hw, images, generator)
                variable = patch.detach().requires_grad_(True)
                pasted = _paste(images[rows], variable, placement, (lo, hi))
                logits = self._logits(pasted, dtype)
                value = -objective(logits, labels[rows], loss=self.loss, targeted=targeted).mean()
                (grad,) = torch.autograd.grad(value, variable)
                patch = (patch - adam_step(grad, m, v, t + 1, lr)).clamp(lo, hi)
                history[t] = value.detach()
        return patch.detach(), history.cpu().double().numpy(), n_classes

    def success_rate(
        self,
        X: torch.Tensor,
        y: Any = None,
        *,
        patch: torch.Tensor | None = None,
        n_draws: int = 10,
        random_state: Any = 0,
    ) -> float:
        """Share of (image, placement) pairs on which the patch succeeds.

        Every image gets ``n_draws`` random placements drawn as in training. Untargeted,
        the images counted are those the model classifies correctly without a patch, and
        a success is any other prediction with it (the fooling rate); targeted, the images
        counted are those whose class is not the target, and a success is a prediction of
        the target. The class of an image is ``y``, else the model's clean prediction.

        Parameters
        ----------
        X : torch.Tensor of shape (N, C, H, W)
            Images to evaluate on, ideally held out from training; never modified.
        y : array-like or tensor of shape (N,), optional
            True classes.
        patch : torch.Tensor of shape (C, h, w), optional
            The patch to evaluate; default ``patch_``.
        n_draws : int, default=10
            Placements per image.
        random_state : int, RandomState instance or None, default=0
            Seeds the placements. Two evaluations with the same seed, images and patch
            shape see the same placements (see :meth:`random_patch_baseline`).

        Returns
        -------
        float
        """
        self._check_params()
        X = self._check_X(X)
        if patch is None:
            check_is_fitted(self, "patch_")
            patch = self.patch_
        return self._evaluate(X, y, patch, n_draws, random_state, noise=False)

    def random_patch_baseline(
        self,
        X: torch.Tensor,
        y: Any = None,
        *,
        n_draws: int = 10,
        random_state: Any = 0,
    ) -> float:
        """:meth:`success_rate` of a uniform-noise patch of the trained patch's size.

        The noise patch is drawn from its own stream, so with the same ``random_state``
        it meets exactly the placements the trained patch met in :meth:`success_rate`:
        the difference of the two rates is the effect of training, not of occlusion or
        of the draws. Unfitted, the size comes from ``patch_size`` and the images.

        Parameters
        ----------
        X, y, n_draws, random_state
            As in :meth:`success_rate`.

        Returns
        -------
        float
        """
        self._check_params()
        X = self._check_X(X)
        if hasattr(self, "patch_"):
            shape = tuple(self.patch_.shape)
        else:
            shape = (int(X.shape[1]), *self._patch_hw(_hw(X)))
        placeholder = torch.empty(shape, dtype=X.dtype, device=X.device)
        return self._evaluate(X, y, placeholder, n_draws, random_state, noise=True)

    def _evaluate(
        self, X: torch.Tensor, y: Any, patch: Any, n_draws: int, random_state: Any, noise: bool
    ) -> float:
        check_number(n_draws, name="n_draws", owner=_OWNER, kind=int, low=1)
        _, high = _pair(self.scale_range, "scale_range", _OWNER, "a pair")
        patch = _check_patch(patch, X, high, _OWNER)
        with inference_state(self.model, owner=_OWNER), torch.no_grad():
            return self._rate(X, y, patch, n_draws, random_state, noise)

    def _rate(
        self, X: torch.Tensor, y: Any, patch: Any, n_draws: int, random_state: Any, noise: bool
    ) -> float:
        """The evaluation loop of :meth:`_evaluate`, in chunks of ``batch_size`` rows."""
        lo, hi = self._bounds()
        patch_hw = (int(patch.shape[1]), int(patch.shape[2]))
        dtype = self._model_dtype(X)
        n_classes = self._n_classes(X, dtype)
        target = self.target
        targeted = target is not None
        rng = check_random_state(random_state)
        draws = torch.Generator(device=X.device)
        draws.manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
        if noise:
            stream = torch.Generator(device=X.device)
            stream.manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
            patch = _uniform(patch.numel(), lo, hi, stream, X).reshape(patch.shape)
        images = X.detach()
        labels = self._labels(images, y, n_classes, dtype)
        if target is not None:
            counted = labels != int(target)
            wanted = torch.full_like(labels, int(target))
        else:
            counted = self._predict(images, dtype) == labels
            wanted = labels
        total = int(counted.sum()) * n_draws
        if total == 0:
            what = "whose class is not the target" if targeted else "the model classifies correctly"
            raise ValueError(f"{_OWNER}: no image of X is one {what}, so there is no rate.")
        n = len(images)
        placement = self._draw(n * n_draws, patch_hw, images, draws)
        hits = torch.zeros((), dtype=torch.long, device=X.device)
        size = int(self.batch_size)
        for start in range(0, n * n_draws, size):
            rows = torch.arange(start, min(start + size, n * n_draws), device=X.device) % n
            chunk = placement.rows(slice(start, start + size))
            logits = self._logits(_paste(images[rows], patch, chunk, (lo, hi)), dtype)
            hit = is_adversarial(logits, wanted[rows], targeted=targeted)
            hits += (hit & counted[rows]).sum()
        return float(hits) / total
