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
    the logits of the step itself: no extra model call, no device synchronization.

    :meth:`update` only keeps references to its tensors (no kernel per step; do not
    change them in place afterwards); they are folded into the best points a block of
    steps at a time (about a dozen kernels a block, against seven a step when folded one
    by one), when :meth:`best` or :meth:`pick` is called or the kept points reach
    ``FOLD_BYTES``. The fold gives exactly the points of folding the steps one by one.

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

    #: kept points (bytes) above which the pending steps are folded
    FOLD_BYTES = 32 * 2**20

    def __init__(self, z: torch.Tensor, *, targeted: bool) -> None:
        self.targeted = targeted
        self._point = z
        self._score = torch.full(z.shape[:1], -torch.inf, dtype=z.dtype, device=z.device)
        self._pending: list[tuple[torch.Tensor, ...]] = []
        self._bytes = 0
        self._step_bytes = z.element_size() * z.nelement()  # what a step's point keeps

    @property
    def point(self) -> torch.Tensor:
        """Each row's best point so far."""
        self._fold()
        return self._point

    @property
    def score(self) -> torch.Tensor:
        """Each row's best score so far (``inf``: adversarial)."""
        self._fold()
        return self._score

    def update(
        self, logits: torch.Tensor, value: torch.Tensor, seen: torch.Tensor, labels: torch.Tensor
    ) -> None:
        """Keep ``seen`` where it is adversarial or scores at least as high.

        The arguments are the tail of :meth:`TorchTarget.gradient` (all of
        :meth:`TorchTarget.evaluate`) and the labels the step was scored against.
        """
        self._pending.append((logits, value, seen, labels))
        self._bytes += self._step_bytes
        if self._bytes >= self.FOLD_BYTES:
            self._fold()

    def _fold(self) -> None:
        """Fold the pending steps in: at step ``k`` a row takes ``seen_k`` where its score
        (``inf`` if adversarial, else the value) is at least the running maximum of the
        scores before it (NaN-propagating, as ``torch.maximum``), so the result is the
        step-by-step one: the last step that took it, else the point it had."""
        pending, self._pending, self._bytes = self._pending, [], 0
        if not pending:
            return
        logits, values, seen, labels = zip(*pending, strict=True)
        same = all(label is labels[0] for label in labels)
        hit = is_adversarial(
            torch.stack(logits).flatten(0, 1),
            labels[0].repeat(len(pending)) if same else torch.cat(labels),
            targeted=self.targeted,
        )
        dtype = self._score.dtype
        if any(value.dtype != dtype for value in values):
            values = tuple(value.to(dtype) for value in values)
        scores = torch.stack((self._score, *values))
        scores[1:].masked_fill_(hit.view(len(pending), -1), torch.inf)
        running = scores.cummax(0).values
        taken = scores[1:] >= running[:-1]  # (steps, rows): where the step takes its point
        order = torch.arange(1, len(pending) + 1, device=taken.device)
        last = (taken * order[:, None]).amax(0)  # the last step that took it, 0 if none
        points = torch.stack((self._point, *seen))
        rows = torch.arange(points.shape[1], device=points.device)
        point = points[last, rows]
        if _channels_last(self._point):
            point = point.contiguous(memory_format=torch.channels_last)
        self._point, self._score = point, running[-1]

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


def _channels_last(z: torch.Tensor) -> bool:
    return z.ndim == 4 and not z.is_contiguous() and z.is_contiguous(
        memory_format=torch.channels_last
    )


__all__ = ["BestPoints", "fit_runs", "stack_runs"]
