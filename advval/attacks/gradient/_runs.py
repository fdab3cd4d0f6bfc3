"""Batched restarts: several runs of the batch stacked, and each sample's best point."""

from __future__ import annotations

import torch

from ._losses import is_adversarial


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
    once, never written): a step costs six small kernels and no allocation of a point.

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

    def update(
        self, logits: torch.Tensor, value: torch.Tensor, seen: torch.Tensor, labels: torch.Tensor
    ) -> None:
        """Keep ``seen`` where it is adversarial or scores at least as high.

        The arguments are the tail of :meth:`TorchTarget.gradient` (all of
        :meth:`TorchTarget.evaluate`) and the labels the step was scored against.
        """
        hit = is_adversarial(logits, labels, targeted=self.targeted)
        if value.dtype != seen.dtype:
            value = value.to(seen.dtype)
        score = value.masked_fill(hit, torch.inf)  # one kernel, no scalar
        take = (score >= self.score).view(self._row)
        torch.where(take, seen, self.point, out=self.point)  # its own buffer: in place
        torch.maximum(self.score, score, out=self.score)

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
