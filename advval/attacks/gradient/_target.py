"""The white-box oracle: counted, differentiable access to a torch module.

:class:`TorchTarget` runs the attacked module on the attack's internal rows (feeding
frozen label-coded columns their raw values), counts the forward rows per sample against
``max_queries`` and takes input gradients without touching the module's own state;
:func:`subset_target` narrows it to some samples (AutoAttack's stages, APGD-T's targets).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import torch

from .._oracle import QueryBudgetError, non_finite_outputs

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
#: the forward rows left to a sample without ``max_queries`` (``np.iinfo`` is slow to ask)
_UNBOUNDED = int(np.iinfo(np.int64).max // 4)
Snap = Callable[[torch.Tensor], torch.Tensor]
#: logits NumPy can read in place (the final check on the CPU)
_NUMPY_FLOATS = (torch.float32, torch.float64)


class TorchTarget:
    """Counted, differentiable access to a torch module (the white-box oracle).

    ``logits(z, rows)`` runs the module on internal rows ``z``; ``rows`` (NumPy indices)
    says which attacked sample each row belongs to, ``None`` meaning ``z`` stacks
    ``len(z) // n_samples`` copies of the whole batch (batched restarts). Label-coded
    columns of a plain module are fed their original raw values (they are frozen). With
    ``autocast`` (a reduced dtype) the forward passes run under :func:`torch.autocast`
    and return float32 logits, except those of :meth:`labels` (full precision).
    """

    has_scores = True

    def __init__(
        self,
        module: torch.nn.Module,
        *,
        n_samples: int,
        max_queries: int | None,
        dtype: torch.dtype,
        fixed: torch.Tensor | None = None,
        coded: torch.Tensor | None = None,
        autocast: torch.dtype | None = None,
    ) -> None:
        self.module = module
        self.autocast = autocast
        self.max_queries = max_queries
        self.dtype = dtype
        self.fixed = fixed
        self.coded = coded
        self.queries = np.zeros(n_samples, dtype=np.int64)
        self._classes: np.ndarray | None = None
        #: rows (and the sample indices of the first ``len(indices)`` of them) to learn the
        #: number of classes from, with one uncounted forward pass of those, if no counted
        #: pass has told it first (see ``classes_``)
        self.probe: tuple[torch.Tensor, np.ndarray] | None = None
        #: the largest label taken as a logit index before the class count was known:
        #: checked against it as soon as it is (see :meth:`_learn`)
        self.pending: int | None = None
        self._tiled: dict[int, torch.Tensor] = {}
        self._weights: dict[Any, torch.Tensor] = {}
        #: rows the attack has already run through the module as :meth:`labels` would
        #: (whole batch, full precision, no gradient) and their logits: the final check
        #: of exactly these rows reads them instead of a second forward pass (see
        #: :meth:`keep_scored`)
        self.scored: tuple[torch.Tensor, torch.Tensor] | None = None

    @property
    def classes_(self) -> np.ndarray:
        """The class labels: the module's logit indices unless set (a fitted classifier).

        A plain module's number of classes is read from the first logits it returns, or
        from one uncounted forward pass of ``probe`` when asked before any.
        """
        if self._classes is None:
            if self.probe is None:
                return np.arange(0)
            rows, index = self.probe
            with torch.no_grad():
                self.forward(rows[: len(index)], index)  # learns the class count
        return cast(np.ndarray, self._classes)

    @classes_.setter
    def classes_(self, value: np.ndarray) -> None:
        self._classes = np.asarray(value)

    def _learn(self, n_classes: int) -> None:
        """Set the class count from the first logits; check a pending label against it."""
        self._classes = np.arange(n_classes)
        if self.pending is not None and self.pending >= n_classes:
            raise ValueError(
                f"y contains the label {self.pending!r}, which the model does not predict; "
                f"its classes are {list(range(n_classes))[:10]!r}."
            )

    @property
    def n_samples(self) -> int:
        """Number of attacked samples."""
        return len(self.queries)

    def remaining(self) -> int:
        """Forward rows every sample may still use (a large number when unbounded)."""
        if self.max_queries is None:
            return _UNBOUNDED
        return int(self.max_queries - self.queries.max())

    def budget(self, cost: int = 1) -> int:
        """Iterations of ``cost`` forward rows per sample that leave one for the final check."""
        return max(self.remaining() - 1, 0) // cost

    def _count(self, rows: np.ndarray | None, n_rows: int) -> None:
        if rows is None:
            counts: Any = n_rows // len(self.queries)
        else:
            counts = np.bincount(rows, minlength=len(self.queries))
        if self.max_queries is not None and np.any(self.queries + counts > self.max_queries):
            raise QueryBudgetError(
                f"A sample would be queried more than max_queries={self.max_queries} times."
            )
        self.queries += counts

    def forward(
        self, z: torch.Tensor, rows: np.ndarray | None = None, *, exact: bool = False
    ) -> torch.Tensor:
        """Logits of shape (len(z), n_classes), uncounted (``exact``: never autocast)."""
        x = z
        if self.fixed is not None and self.coded is not None:
            if rows is None:  # stacked copies of the batch: tile once per batch size
                copies = z.shape[0] // len(self.queries)
                if copies not in self._tiled:
                    self._tiled[copies] = self.fixed.repeat(copies, 1)
                fixed = self._tiled[copies]
            else:
                fixed = self.fixed[torch.as_tensor(rows, device=z.device)]
            x = torch.where(self.coded, fixed, z)
        if x.dtype != self.dtype:
            x = x.to(self.dtype)
        if self.autocast is None or exact:
            out = self.module(x)
        else:
            with torch.autocast(x.device.type, dtype=self.autocast):
                out = self.module(x)
            if out.dtype == self.autocast:
                out = out.float()  # the losses in float32
        if out.ndim == 1 or out.shape[-1] == 1:
            out = out.reshape(-1, 1)
            out = torch.cat([torch.zeros_like(out), out], 1)
        if self._classes is None:
            self._learn(out.shape[1])
        return out

    def logits(self, z: torch.Tensor, rows: np.ndarray | None = None) -> torch.Tensor:
        """Logits of the rows ``z``, counted against each sample's budget."""
        self._count(rows, z.shape[0])
        return self.forward(z, rows)

    def labels(self, Z: torch.Tensor, rows: np.ndarray | None) -> np.ndarray:
        """Predicted class indices in full precision (the labels and the final check).

        ``rows`` as in :meth:`logits` (``None`` with one row per sample: the whole batch).
        """
        rows = None if rows is None else np.asarray(rows)
        self._count(rows, Z.shape[0])
        scored, self.scored = self.scored, None
        with torch.no_grad():
            if rows is None and scored is not None and same_bits(Z, scored[0]):
                logits = scored[1]  # these very rows' logits, as the pass below gives
            else:
                logits = self.forward(Z, rows, exact=True)
            if logits.device.type == "cpu" and logits.dtype in _NUMPY_FLOATS:
                # on the CPU NumPy reads the logits in place: no kernel launches
                values = logits.numpy()
                predicted, finite = values.argmax(1), np.isfinite(values)
                if finite.all():  # the common case, without the row-wise reduction
                    return cast(np.ndarray, predicted)
                predicted = np.where(finite.all(1), predicted, -1)
            else:
                finite = (logits - logits == 0).all(1)  # isfinite in two kernels, not four
                # -1 marks a row with a NaN or infinite logit: one read back per call
                predicted = torch.where(finite, logits.argmax(1), -1).cpu().numpy()
        bad = int((predicted < 0).sum())
        if bad:
            raise non_finite_outputs(self.module, "logits", bad, len(predicted))
        return predicted

    def keep_scored(self, rows: torch.Tensor, logits: torch.Tensor) -> None:
        """Keep logits of ``rows`` (one per sample) for the final check of the same rows.

        Only where they are exactly what :meth:`labels` would compute: the whole batch
        in full precision (no ``autocast``), on the CPU (where the forward pass of the
        same rows, same batch, is deterministic). The check itself is unchanged: it
        compares the rows bit for bit, counts its query, and tests the logits for NaN
        and infinity as always.
        """
        if (
            self.autocast is None and rows.device.type == "cpu"
            and rows.shape[0] == len(self.queries) and logits.shape[0] == rows.shape[0]
        ):
            self.scored = (rows, logits)

    def gradient(
        self,
        z: torch.Tensor,
        labels: torch.Tensor,
        fn: LossFn,
        snap: Snap | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Gradient of ``fn(logits, labels).sum()`` w.r.t. ``z`` only.

        With ``snap`` (see :func:`finalizer`) the model sees the valid row ``snap(z)`` and
        the gradient passes straight through to ``z``. Returns the gradient, the logits,
        the ``fn`` values and the row the model saw (all detached).
        """
        if not torch.is_grad_enabled():
            with torch.enable_grad():
                return self.gradient(z, labels, fn, snap)
        given = z
        z = z.detach().requires_grad_(True)
        x = z if snap is None else z + (snap(z.detach()) - z).detach()
        logits = self.logits(x)
        values = fn(logits, labels)
        # the gradient of values.sum(): each value's with weight 1 (no sum kernels)
        (grad,) = torch.autograd.grad(values, z, grad_outputs=self._ones(values))
        seen = given if snap is None and not given.requires_grad else x.detach()
        return grad, logits.detach(), values.detach(), seen

    def _ones(self, like: torch.Tensor) -> torch.Tensor:
        """A tensor of ones like ``like``, made once per shape, dtype and device."""
        key = (tuple(like.shape), like.dtype, like.device)
        ones = self._weights.get(key)
        if ones is None:
            ones = self._weights[key] = torch.ones_like(like)
        return ones

    def evaluate(
        self, z: torch.Tensor, labels: torch.Tensor, fn: LossFn, snap: Snap | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits, ``fn`` values and the row the model saw, as :meth:`gradient` (no backward)."""
        x = z if snap is None else snap(z)
        with torch.no_grad():
            logits = self.logits(x)
            return logits, fn(logits, labels), x


#: a signed integer type of each float width: a view as it compares the bits exactly
_BITS = {8: torch.int64, 4: torch.int32, 2: torch.int16}


def global_draws() -> torch.Tensor:
    """Where torch's default CPU generator stands now (a copy of its state).

    A model that draws from it in its forward pass (a randomized defense, dropout left
    in training mode) moves it, so two snapshots around a pass that differ say its
    logits were one random draw among many.

    Examples
    --------
    >>> before = global_draws()
    >>> same_draws(before, global_draws())
    True
    >>> _ = torch.rand(1)
    >>> same_draws(before, global_draws())
    False
    """
    return torch.get_rng_state()


def same_draws(before: torch.Tensor, after: torch.Tensor) -> bool:
    """Whether no draw was made from torch's default generator between two snapshots."""
    return bool(torch.equal(before, after))


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether two float tensors hold the same values bit for bit (NaN, -0.0 included).

    Examples
    --------
    >>> nan = float("nan")
    >>> same_bits(torch.tensor([0.0, nan]), torch.tensor([0.0, nan]))
    True
    >>> same_bits(torch.tensor([0.0]), torch.tensor([-0.0]))
    False
    """
    if a is b:
        return True
    if a.shape != b.shape or a.dtype != b.dtype or a.device != b.device:
        return False
    bits = _BITS.get(a.element_size())
    if bits is None or not a.is_floating_point():
        return bool(torch.equal(a, b))
    return bool(torch.equal(a.detach().view(bits), b.detach().view(bits)))


def subset_target(oracle: TorchTarget, rows: np.ndarray, *, reserve: int = 0) -> TorchTarget:
    """A target for the samples ``rows`` of ``oracle`` only, with their counts so far.

    Its ``max_queries`` keeps ``reserve`` forward rows per sample back (for a check the
    caller makes afterwards). Copy its ``queries`` back into the parent's afterwards.
    """
    fixed = None
    if oracle.fixed is not None:
        fixed = oracle.fixed[torch.as_tensor(rows, device=oracle.fixed.device)]
    limit = None if oracle.max_queries is None else oracle.max_queries - reserve
    sub = TorchTarget(
        oracle.module,
        n_samples=len(rows),
        max_queries=limit,
        dtype=oracle.dtype,
        fixed=fixed,
        coded=oracle.coded,
        autocast=oracle.autocast,
    )
    sub.queries = oracle.queries[rows].copy()
    sub.classes_ = oracle.classes_
    return sub


__all__ = ["LossFn", "Snap", "TorchTarget", "same_bits", "subset_target"]
