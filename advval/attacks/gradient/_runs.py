"""Batched restarts: several runs of the batch stacked, and each sample's best point."""

from __future__ import annotations

from typing import cast

import numpy as np
import torch

from ._losses import is_adversarial

#: dtypes whose CPU tensors NumPy views in place
_VIEWABLE = (torch.float16, torch.float32, torch.float64)


def stack_runs(z0: torch.Tensor, runs: int) -> torch.Tensor:
    """``runs`` copies of the batch ``z0`` stacked along the first axis (batched restarts).

    A channels-last image batch gives a channels-last stack, so the model sees the memory
    format it was given.

    Examples
    --------
    >>> x = torch.zeros(2, 3, 4, 4).contiguous(memory_format=torch.channels_last)
    >>> stacked = stack_runs(x, 3)
    >>> stacked.shape, stacked.is_contiguous(memory_format=torch.channels_last)
    (torch.Size([6, 3, 4, 4]), True)
    """
    stacked = z0.repeat((runs,) + (1,) * (z0.ndim - 1))
    if z0.ndim == 4 and not z0.is_contiguous() and z0.is_contiguous(
        memory_format=torch.channels_last
    ):
        stacked = stacked.contiguous(memory_format=torch.channels_last)
    return stacked


def fit_runs(affordable: int, runs: int, steps: int) -> tuple[int, int]:
    """``(runs, steps)`` within ``affordable`` forward rows, a run costing ``steps + 1``.

    Fewer steps first, then fewer runs; ``steps < 1`` when nothing fits.

    Examples
    --------
    >>> fit_runs(100, 3, 20), fit_runs(30, 3, 20), fit_runs(1, 1, 20)
    ((3, 20), (3, 9), (1, 0))
    """
    if affordable >= runs * (steps + 1):
        return runs, steps
    runs = max(1, min(runs, affordable // 2))
    return runs, affordable // runs - 1


class BestPoints:
    """Each row's latest adversarial point (score ``inf``), else its highest-loss one.

    The rows of ``z`` stack ``runs`` copies of the ``n`` attacked samples (batched
    restarts); :meth:`pick` returns, per sample, the best point over its runs. Scored from
    the logits of the step itself: no extra model call, no device synchronization. The
    points and scores live in buffers of their own, updated in place (``z`` is copied
    once, never written): a step costs six small kernels and no allocation of a point. On
    the CPU the same update runs on NumPy views of the buffers (no per-operation dispatch).

    Examples
    --------
    >>> z = torch.zeros(2, 1)
    >>> best = BestPoints(z, targeted=False)
    >>> labels = torch.tensor([0, 0])
    >>> logits = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # row 1 is adversarial
    >>> best.update(logits, torch.tensor([0.3, 0.1]), z + 1, labels)
    >>> best.update(logits, torch.tensor([0.2, 0.9]), z + 2, labels)
    >>> best.pick(2).flatten().tolist()  # row 0: higher loss first; row 1: latest hit
    [1.0, 2.0]
    """

    def __init__(self, z: torch.Tensor, *, targeted: bool) -> None:
        self.targeted = targeted
        self.point = z.clone()  # keeps a channels-last batch channels-last
        self.score = torch.full(z.shape[:1], -torch.inf, dtype=z.dtype, device=z.device)
        self._row = (-1,) + (1,) * (z.ndim - 1)  # one value per row, against the points
        #: NumPy views of the buffers on the CPU: the same update without torch's
        #: per-operation dispatch (see :meth:`_update_numpy`)
        self._views = (
            (self.point.numpy(), self.score.numpy())
            if z.device.type == "cpu" and z.dtype in _VIEWABLE else None
        )

    def update(
        self, logits: torch.Tensor, value: torch.Tensor, seen: torch.Tensor, labels: torch.Tensor
    ) -> None:
        """Keep ``seen`` where it is adversarial or scores at least as high.

        The arguments are the tail of :meth:`TorchTarget.gradient` (all of
        :meth:`TorchTarget.evaluate`) and the labels the step was scored against.
        """
        if (
            self._views is not None and logits.dtype in _VIEWABLE
            and value.dtype in _VIEWABLE and seen.dtype == self.point.dtype
            and not (logits.requires_grad or value.requires_grad or seen.requires_grad)
        ):
            self._update_numpy(logits.numpy(), value.numpy(), seen.numpy(), labels.numpy())
            return
        hit = is_adversarial(logits, labels, targeted=self.targeted)
        if value.dtype != seen.dtype:
            value = value.to(seen.dtype)
        score = value.masked_fill(hit, torch.inf)  # one kernel, no scalar
        take = (score >= self.score).view(self._row)
        torch.where(take, seen, self.point, out=self.point)  # its own buffer: in place
        torch.maximum(self.score, score, out=self.score)

    def _update_numpy(
        self, logits: np.ndarray, value: np.ndarray, seen: np.ndarray, labels: np.ndarray
    ) -> None:
        """:meth:`update` on NumPy views of CPU tensors: the same rule, the same bits.

        ``argmax`` takes the first largest logit (a NaN counting as the largest) in both
        libraries; the rest is IEEE comparisons, a maximum and a masked copy.
        """
        point, best = cast(tuple[np.ndarray, np.ndarray], self._views)
        predicted = logits.argmax(1)
        hit = predicted == labels if self.targeted else predicted != labels
        score = np.where(hit, np.inf, value.astype(best.dtype, copy=False))
        np.copyto(point, seen, where=(score >= best).reshape(self._row))
        np.maximum(best, score, out=best)

    def pick(self, n: int) -> torch.Tensor:
        """Per sample, the best point over its runs: shape (n, ...)."""
        return self.best(n)[0]

    def best(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Per sample, the best point over its runs and its score (``inf``: adversarial)."""
        point, score = self.point, self.score
        runs = len(point) // n
        if runs == 1:  # one run: its points (no kernels)
            return point, score
        scores = score.reshape(runs, n)
        choice = scores.argmax(0)
        stacked = point.reshape((runs, n) + point.shape[1:])
        every = torch.arange(n, device=stacked.device)
        return stacked[choice, every], scores[choice, every]


__all__ = ["BestPoints", "fit_runs", "stack_runs"]
