"""What every white-box gradient attack shares: the model as a differentiable target.

:class:`GradientAttack` plugs torch into the :class:`~advval.attacks.Attack` template:

- the domain is *raw* (label-coded categorical columns are frozen, since a gradient says
  nothing about moving between codes; one-hot groups are relaxed to [0, 1] during the
  search and snapped by ``finalize``);
- the internal representation is a torch tensor on the model's device. A tensor input
  keeps its dtype (its device is restored at the end); a DataFrame or array is encoded by
  the domain (float64, or float32 for a float32 array) and converted back at the end. The
  model sees the rows cast to its own dtype;
- the model is any ``torch.nn.Module`` returning logits (a single logit, shape (n,) or
  (n, 1), is a binary model with logits ``[0, z]``) or a fitted
  :class:`~advval.attacks.TorchTabularClassifier`. It is never moved; its train / eval
  mode, buffers, parameter ``requires_grad`` flags and ``.grad`` are left as found
  (gradients are taken with :func:`torch.autograd.grad` with respect to the input only).
  A model in training mode is attacked in eval mode, as it runs at inference, with a
  warning (see :mod:`advval.attacks._inference`); a NaN or infinite logit in the labels
  or the final check is a ``ValueError``;
- ``queries_`` counts the forward rows per sample (informational for a white-box attack;
  ``max_queries`` still caps them);
- ``autocast="bfloat16"`` runs the model's forward passes of the search under
  :func:`torch.autocast` on the input's device (the logits, and so every loss, are cast
  back to float32); the labels and the final success check run in the model's own
  precision, so ``success_`` holds for the model as it is. A channels-last image batch
  stays channels-last: the iterates, stacked restarts included, and the output.

Steps are taken in standard units: a step of size ``a`` moves a feature by ``a * scale``
(``domain.scale``), only where ``domain.step_mask`` allows, and every iterate goes through
``domain.project``.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import numpy as np
import pandas as pd
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..._validation import check_option
from .._base import Attack
from .._norms import canonical_norm, flat
from .._oracle import QueryBudgetError, non_finite_outputs
from .._space import Domain, check_attack_bounds, is_tensor
from ._losses import is_adversarial
from ._tabular_model import TorchTabularClassifier

#: the reduced precisions of the ``autocast`` option (float16 is not offered: its input
#: gradients underflow without loss scaling)
AUTOCAST = {"bfloat16": torch.bfloat16}

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Snap = Callable[[torch.Tensor], torch.Tensor]
Project = Callable[[torch.Tensor], torch.Tensor]


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
        #: rows (and their sample indices) to learn the number of classes from, with one
        #: uncounted forward pass, if no counted pass has told it first (see ``classes_``)
        self.probe: tuple[torch.Tensor, np.ndarray] | None = None
        #: the largest label taken as a logit index before the class count was known:
        #: checked against it as soon as it is (see :meth:`_learn`)
        self.pending: int | None = None
        self._tiled: dict[int, torch.Tensor] = {}

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
                self.forward(rows, index)  # learns the class count
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
            return np.iinfo(np.int64).max // 4
        return int(self.max_queries - self.queries.max())

    def budget(self, cost: int = 1) -> int:
        """Iterations of ``cost`` forward rows per sample that leave one for the final check."""
        return max(self.remaining() - 1, 0) // cost

    def _count(self, rows: np.ndarray | None, n_rows: int) -> None:
        if rows is None:
            counts: Any = n_rows // self.n_samples
        else:
            counts = np.bincount(rows, minlength=self.n_samples)
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
                copies = len(z) // self.n_samples
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
        self._count(rows, len(z))
        return self.forward(z, rows)

    def labels(self, Z: torch.Tensor, rows: np.ndarray) -> np.ndarray:
        """Predicted class indices in full precision (the labels and the final check)."""
        rows = np.asarray(rows)
        self._count(rows, len(Z))
        with torch.no_grad():
            logits = self.forward(Z, rows, exact=True)
            finite = torch.isfinite(logits).all(1)
            # -1 marks a row with a NaN or infinite logit: still one read back per call
            predicted = torch.where(finite, logits.argmax(1), -1).cpu().numpy()
        bad = int((predicted < 0).sum())
        if bad:
            raise non_finite_outputs(self.module, "logits", bad, len(predicted))
        return predicted

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
        with torch.enable_grad():
            z = z.detach().requires_grad_(True)
            x = z if snap is None else z + (snap(z.detach()) - z).detach()
            logits = self.logits(x)
            values = fn(logits, labels)
            (grad,) = torch.autograd.grad(values.sum(), z)
        return grad, logits.detach(), values.detach(), x.detach()

    def evaluate(
        self, z: torch.Tensor, labels: torch.Tensor, fn: LossFn, snap: Snap | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits, ``fn`` values and the row the model saw, as :meth:`gradient` (no backward)."""
        x = z if snap is None else snap(z)
        with torch.no_grad():
            logits = self.logits(x)
            return logits, fn(logits, labels), x


class GradientAttack(Attack):
    """Base class of the white-box attacks on torch models (see the module notes)."""

    white_box: ClassVar[bool] = True
    #: reduced precision of the search, a key of ``AUTOCAST`` (set by the subclasses'
    #: ``__init__``; ``None``, full precision, for those without the option)
    autocast: str | None = None

    def generate(self, X: Any, y: Any = None) -> Any:
        """Return adversarial versions of the rows (or images) in ``X``.

        Parameters
        ----------
        X : DataFrame, ndarray or torch tensor
            The inputs to perturb; never modified. A tensor keeps its dtype and device.
        y : array-like or tensor, optional
            True labels (untargeted) or target labels (``targeted=True``). Default: the
            model's own predictions (untargeted only).

        Returns
        -------
        X_adv : same type as ``X``
        """
        self._module()  # a clear TypeError for a model that is not a torch module
        self._placement: tuple[torch.device, torch.dtype] | None = None
        try:
            return super().generate(X, y)
        finally:
            self._placement = None  # read afresh next call: the model may have moved

    # -- hooks of the Attack template ------------------------------------------------------

    def _random(self) -> Any:
        # seeding a RandomState costs more than a small model's FGSM: done on first use
        return LazyRandomState(self.random_state)

    def _check_params(self) -> str:
        norm = super()._check_params()
        check_option(
            self.autocast, name="autocast", owner=type(self).__name__,
            options=(None, *AUTOCAST),
        )
        return norm

    def _module(self) -> torch.nn.Module:
        model = self.model
        if isinstance(model, TorchTabularClassifier):
            check_is_fitted(model, "module_")
            return model.module_
        if isinstance(model, torch.nn.Module):
            return model
        raise TypeError(
            f"{type(self).__name__} is a white-box attack on torch models: expected a "
            "torch.nn.Module returning logits or a fitted TorchTabularClassifier, got "
            f"{type(model).__name__}. Use NESAttack, SquareAttack or HopSkipJump for other "
            "models."
        )

    def _raw_domain(self) -> bool:
        return True

    def _domain(self, X: Any) -> Any:
        model = self.model
        if not isinstance(model, TorchTabularClassifier):
            return super()._domain(X)
        check_is_fitted(model, "module_")
        own = model.feature_space_
        if self.feature_space is None:
            space = own
            if self.bounds is not None:
                check_attack_bounds(self.bounds, owner=type(self).__name__, ndim=2)
                space = copy.copy(own)
                space.bounds = self.bounds
            return space.bind(X, raw=True)
        domain = super()._domain(X)
        reference = own.bind(X, raw=True)
        for j in sorted(set(domain.categories) | set(reference.categories)):
            theirs, ours = domain.categories.get(j), reference.categories.get(j)
            if theirs != ours:
                raise ValueError(
                    f"The 'feature_space' of {type(self).__name__} does not match the model's "
                    f"on column {domain.feature_names[j]!r}: categories {theirs!r} there but "
                    f"{ours!r} in model.feature_space_ (the codes the model was trained on). "
                    "Leave feature_space=None or build it with FeatureSpace.from_frame on the "
                    "training data."
                )
        return domain

    def _device(self) -> tuple[torch.device, torch.dtype]:
        """The module's device and floating dtype (read once per ``generate``)."""
        placement = getattr(self, "_placement", None)
        if placement is None:
            placement = _placement(self._module())
            self._placement = placement
        return placement

    def _to_internal(self, X: Any, domain: Any) -> torch.Tensor:
        device, model_dtype = self._device()
        if is_tensor(X):
            dtype = X.dtype if X.is_floating_point() else model_dtype
            if isinstance(domain, Domain) and domain.categories:
                return torch.as_tensor(domain.encode(X), dtype=dtype, device=device)
            return X.detach().to(device=device, dtype=dtype, copy=True)
        values = np.asarray(domain.encode(X))
        # a float32 (or float16) array is searched in float32, anything else in float64
        given = X.dtype if isinstance(X, np.ndarray) else values.dtype
        dtype = torch.float32 if given in (np.float32, np.float16) else torch.float64
        return torch.as_tensor(values, device=device).to(dtype)

    def _from_internal(self, z: Any, X: Any, domain: Any) -> Any:
        if not is_tensor(X):
            return super()._from_internal(z.detach().cpu().double().numpy(), X, domain)
        out = z.detach()
        if isinstance(domain, Domain) and domain.categories:
            coded = torch.as_tensor(domain.label_coded, device=out.device)
            out = torch.where(coded, X.detach().to(device=out.device, dtype=out.dtype), out)
        if not X.is_floating_point():
            out = out.round()
        return out.to(device=X.device, dtype=X.dtype)

    def _make_oracle(
        self, domain: Any, X: Any, n_samples: int, z0: Any = None
    ) -> TorchTarget:
        module = self._module()
        device, dtype = self._device()
        fixed = coded = None
        tabular = isinstance(self.model, TorchTabularClassifier)
        if isinstance(domain, Domain) and domain.categories and not tabular:
            fixed, coded = _raw_codes(X, domain, device, type(self).__name__)
        target = TorchTarget(
            module,
            n_samples=n_samples,
            max_queries=self.max_queries,
            dtype=dtype,
            fixed=fixed,
            coded=coded,
            autocast=None if self.autocast is None else AUTOCAST[self.autocast],
        )
        if tabular:
            target.classes_ = np.asarray(self.model.classes_)
        else:
            # the number of classes: from the first counted logits (the labels, when y is
            # None), else from one uncounted forward pass of the first samples
            if z0 is None:
                head = X.iloc[:2] if isinstance(X, pd.DataFrame) else X[:2]
                z0 = self._to_internal(head, domain)
            target.probe = (z0[:2], np.arange(min(2, len(z0))))
        return target

    def _labels(self, X: Any, y: Any, z0: Any, oracle: Any, n_samples: int) -> np.ndarray:
        # vectorized for the common case (the base class maps label by label, with the
        # error messages, which it still gives for anything unusual)
        if y is not None and len(y) == n_samples:
            values = np.asarray(y.detach().cpu().numpy() if is_tensor(y) else y)
            if (
                oracle._classes is None and values.ndim == 1 and len(values)
                and values.dtype.kind in "iu" and values.min() >= 0
            ):
                # a plain module's labels are its logit indices: checked against the
                # class count when the first logits tell it (no extra forward pass)
                oracle.pending = int(values.max())
                return values.astype(np.int64)
            classes = np.asarray(oracle.classes_)
            try:
                if values.ndim == 1 and len(classes) and np.all(classes[:-1] < classes[1:]):
                    found = np.searchsorted(classes, values).clip(0, len(classes) - 1)
                    if np.array_equal(classes[found], values):
                        return found.astype(np.int64)
            except TypeError:
                pass
        return super()._labels(X, y, z0, oracle, n_samples)

    # -- helpers for the attacks -----------------------------------------------------------

    def _norm(self) -> str:
        return canonical_norm(self.norm, owner=type(self).__name__, allowed=self.norms)


class LazyRandomState:
    """``check_random_state(random_state)``, made on the first draw (never, if none is made).

    Every attribute is the generator's: the draws are those of the generator itself.

    Examples
    --------
    >>> LazyRandomState(0).randint(100) == np.random.RandomState(0).randint(100)
    True
    """

    def __init__(self, random_state: Any) -> None:
        self._seed = random_state
        self._rng: np.random.RandomState | None = None

    def __getattr__(self, name: str) -> Any:
        if self._rng is None:
            self._rng = check_random_state(self._seed)
        return getattr(self._rng, name)


def finalizer(domain: Any, eps: Any, norm: str) -> Callable[..., torch.Tensor] | None:
    """``f(z, x0)``: the exact projection an output will get, where it is not ``project``.

    Tables with mutable integer columns or one-hot groups are searched in a continuous
    relaxation, but their outputs are rounded and snapped by ``domain.finalize``, which
    can undo a success found in the relaxation. The attacks score (and linearize at) the
    finalized row instead, so what they report is what they return. ``None`` for domains
    where the two projections agree (images, continuous tables): no extra work there.
    """
    if not isinstance(domain, Domain):
        return None
    discrete = domain.integer & domain.mutable
    if not discrete.any() and not any(domain.mutable[group].any() for group in domain.groups):
        return None

    def snap(z: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        return domain.finalize(z, x0, eps, norm)

    return snap


@dataclass(frozen=True)
class Units:
    """Standard units of a domain, as tensors on the attack's device (``None``: all 1).

    ``scale`` is one standard unit per feature, ``mask`` 1 where an iterate may move and
    ``weight`` their product (a masked step of one standard unit, in raw units).
    """

    scale: Any
    mask: Any
    weight: Any

    def raw(self, step: torch.Tensor) -> torch.Tensor:
        """A step in standard units, in raw units."""
        return step if self.scale is None else step * self.scale

    def standard(self, delta: torch.Tensor) -> torch.Tensor:
        """A raw difference, in standard units."""
        return delta if self.scale is None else delta / self.scale


def units(domain: Any, like: torch.Tensor) -> Units:
    """The :class:`Units` of ``domain`` for tensors like ``like``."""

    def tensor(value: Any) -> Any:
        if torch.is_tensor(value) or np.ndim(value):
            return torch.as_tensor(value, dtype=like.dtype, device=like.device)
        return None if float(value) == 1.0 else float(value)

    scale, mask = tensor(domain.scale), tensor(domain.step_mask(like))
    weight = mask if scale is None else scale if mask is None else scale * mask
    return Units(scale, mask, weight)


def ascend(
    z: torch.Tensor, grad: torch.Tensor, norm: str, units: Units, size: float
) -> torch.Tensor:
    """``z`` moved by ``size`` standard units along the steepest ascent of the loss.

    L-inf: ``sign(g)``; L2: ``g / ||g||`` with ``g`` the masked gradient in standard
    units. Masked features do not move. (Two kernels under L-inf.)
    """
    if norm == "inf":
        if units.weight is None:
            return torch.add(z, grad.sign(), alpha=size)
        return torch.addcmul(z, grad.sign(), units.weight, value=size)
    g = grad if units.weight is None else grad * units.weight
    length = flat(g).norm(dim=1).clamp_min(1e-12)
    return z + units.raw(g * per_row(size / length, g))


def projector(domain: Any, x0: torch.Tensor, eps: Any, norm: str) -> Project:
    """``domain.project(., x0, eps, norm)`` for the iterates of one attack, precomputed.

    Under L-inf every constraint of a raw table or a box, and the ball, are intervals
    around ``x0``: the projection is one ``clamp`` against bounds computed once (see
    :meth:`advval.attacks._space.Domain.projector`).
    """
    return cast(Project, domain.projector(x0, eps, norm))


def torch_generator(rng: np.random.RandomState, device: torch.device) -> torch.Generator:
    """A local generator seeded from the attack's ``random_state`` (never global seeding)."""
    generator = torch.Generator(device=device)
    generator.manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
    return generator


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


def per_row(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape one value per sample to broadcast against ``like`` (n, ...)."""
    return values.reshape((-1,) + (1,) * (like.ndim - 1))


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
    """

    def __init__(self, z: torch.Tensor, *, targeted: bool) -> None:
        self.targeted = targeted
        self.point = z
        self.score = torch.full(z.shape[:1], -torch.inf, dtype=z.dtype, device=z.device)

    def update(
        self, logits: torch.Tensor, value: torch.Tensor, seen: torch.Tensor, labels: torch.Tensor
    ) -> None:
        """Keep ``seen`` where it is adversarial or scores at least as high.

        The arguments are the tail of :meth:`TorchTarget.gradient` (all of
        :meth:`TorchTarget.evaluate`) and the labels the step was scored against.
        """
        hit = is_adversarial(logits, labels, targeted=self.targeted)
        score = torch.where(hit, torch.inf, value.to(seen.dtype))
        self.point = torch.where(per_row(score >= self.score, seen), seen, self.point)
        self.score = torch.maximum(self.score, score)

    def pick(self, n: int) -> torch.Tensor:
        """Per sample, the best point over its runs: shape (n, ...)."""
        return self.best(n)[0]

    def best(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Per sample, the best point over its runs and its score (``inf``: adversarial)."""
        runs = len(self.point) // n
        scores = self.score.reshape(runs, n)
        choice = scores.argmax(0)
        stacked = self.point.reshape((runs, n) + self.point.shape[1:])
        every = torch.arange(n, device=stacked.device)
        return stacked[choice, every], scores[choice, every]


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


def _placement(module: torch.nn.Module) -> tuple[torch.device, torch.dtype]:
    """Device and dtype of the first floating parameter or buffer (CPU / default if none)."""
    first = None
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        if tensor.is_floating_point():
            return tensor.device, tensor.dtype
        first = tensor if first is None else first
    device = first.device if first is not None else torch.device("cpu")
    return device, torch.get_default_dtype()


def _raw_codes(
    X: Any, domain: Domain, device: torch.device, owner: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """The original raw values of the label-coded columns, fed to a plain torch module."""
    columns = sorted(domain.categories)
    n = int(X.shape[0])
    fixed = np.zeros((n, domain.n_features))
    for j in columns:
        if isinstance(X, pd.DataFrame):
            column = X.iloc[:, j]
            try:
                fixed[:, j] = column.to_numpy(dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(
                    f"{owner} feeds the rows to the torch module as numbers, but column "
                    f"{domain.feature_names[j]!r} holds {column.dtype} values. Use a "
                    "TorchTabularClassifier (it encodes categories inside the model) or "
                    "encode the column first."
                ) from None
        else:
            values = X[:, j].detach().cpu().numpy() if is_tensor(X) else np.asarray(X)[:, j]
            fixed[:, j] = values
    coded = torch.as_tensor(domain.label_coded, device=device)
    return torch.as_tensor(fixed, device=device), coded


__all__ = [
    "BestPoints",
    "GradientAttack",
    "LazyRandomState",
    "Units",
    "ascend",
    "finalizer",
    "fit_runs",
    "projector",
    "stack_runs",
    "subset_target",
    "TorchTarget",
    "per_row",
    "torch_generator",
    "units",
]
