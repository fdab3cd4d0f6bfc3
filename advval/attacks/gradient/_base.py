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
from typing import Any, ClassVar, cast

import numpy as np
import pandas as pd
import torch
from sklearn.utils.validation import check_is_fitted

from ..._validation import check_option
from .._base import Attack
from .._norms import canonical_norm
from .._space import Domain, check_attack_bounds, is_tensor
from ._random import LazyRandomState, torch_generator
from ._runs import BestPoints, fit_runs, stack_runs
from ._steps import Units, ascend, finalizer, per_row, projector, units
from ._tabular_model import TorchTabularClassifier
from ._target import TorchTarget, subset_target

#: the reduced precisions of the ``autocast`` option (float16 is not offered: its input
#: gradients underflow without loss scaling)
AUTOCAST = {"bfloat16": torch.bfloat16}


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
        if _plain_array(X, domain):  # what encode gives, without a frame of it: one copy
            dtype = torch.float32 if X.dtype in (np.float32, np.float16) else torch.float64
            return torch.tensor(X, dtype=dtype, device=device)
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
            target.probe = (z0, np.arange(min(2, z0.shape[0])))  # sliced only if used
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

    def _verify(self, z: Any, oracle: Any) -> np.ndarray:
        # one row per sample: the whole batch, counted without a bincount
        return cast(np.ndarray, oracle.labels(z, None))

    # -- helpers for the attacks -----------------------------------------------------------

    def _norm(self) -> str:
        return canonical_norm(self.norm, owner=type(self).__name__, allowed=self.norms)


def _plain_array(X: Any, domain: Any) -> bool:
    """A 2-D array of numbers on a table without categories (encoded as it is)."""
    return (
        isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "fiu"
        and isinstance(domain, Domain) and not domain.categories
    )


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


# The step helpers lived here before they were split into ``_target``, ``_steps``,
# ``_runs`` and ``_random`` (use :mod:`advval.attacks.gradient.steps`); the old names stay
# importable from this module.
__all__ = [
    "AUTOCAST",
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
