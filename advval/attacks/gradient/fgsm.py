"""Fast Gradient Sign Method (one gradient step)."""

from __future__ import annotations

from functools import partial
from typing import Any, cast

import numpy as np
import torch

from ._base import GradientAttack
from ._losses import objective
from ._steps import ascend, units
from ._target import TorchTarget


class FGSM(GradientAttack):
    """Fast Gradient Sign Method: one step of size ``eps`` along the loss gradient.

    Under L-inf the step is ``eps * sign(gradient)`` (Goodfellow et al.); under L2 it is
    ``eps`` times the normalized gradient (the fast gradient method). The gradient is the
    cross-entropy's, taken with respect to the input in standard units (``eps`` 0.5 moves a
    feature by half its scale); targeted, the step descends the target's cross-entropy.

    Parameters
    ----------
    model : torch.nn.Module or TorchTabularClassifier
        Returns logits of shape (n, n_classes), or (n,) / (n, 1) for a binary model.
    eps : float, default=0.1
        Size of the step (the budget), in standard units.
    norm : {"inf", 2}, default="inf"
    targeted : bool, default=False
        Move toward the labels ``y`` given to ``generate``.
    feature_space : FeatureSpace, optional
        The valid rows (tables); default: ``model.feature_space_`` for a
        TorchTabularClassifier, else ``FeatureSpace.from_frame`` of the attacked rows.
    bounds : (float, float), optional
        Value range, e.g. ``(0, 1)`` for images of shape (n, channels, height, width).
    max_queries : int, optional
        Cap on forward rows per sample (one for the gradient, one for the final check).
    random_state : int, RandomState or None
        Unused (FGSM is deterministic); kept for the common calling convention.
    autocast : {"bfloat16"}, optional
        Run the model's forward passes of the search under bf16 :func:`torch.autocast` on
        the input's device (faster on recent GPUs; the losses stay in float32). The labels
        and the final success check run in full precision. Default: full precision.

    Attributes
    ----------
    success_, queries_, norms_ : ndarray of shape (n_samples,)
        See :class:`~advval.attacks.Attack`.

    See Also
    --------
    PGD : the iterated, stronger version.

    References
    ----------
    Goodfellow, Shlens and Szegedy, "Explaining and Harnessing Adversarial Examples",
    ICLR 2015.

    Examples
    --------
    >>> import torch
    >>> from advval.attacks import FeatureSpace
    >>> model = torch.nn.Linear(2, 1).requires_grad_(False).eval()
    >>> _ = model.weight.copy_(torch.tensor([[1.0, -1.0]])); _ = model.bias.zero_()
    >>> X = torch.tensor([[0.2, 0.0], [0.0, 0.3]])
    >>> FGSM(model, eps=0.25, feature_space=FeatureSpace(bounds=(-1, 1))).generate(X)
    tensor([[-0.0500,  0.2500],
            [ 0.2500,  0.0500]])
    """

    def __init__(
        self,
        model: Any,
        *,
        eps: float = 0.1,
        norm: Any = "inf",
        targeted: bool = False,
        feature_space: Any = None,
        bounds: Any = None,
        max_queries: int | None = None,
        random_state: Any = None,
        autocast: str | None = None,
    ) -> None:
        self.model = model
        self.eps = eps
        self.norm = norm
        self.targeted = targeted
        self.feature_space = feature_space
        self.bounds = bounds
        self.max_queries = max_queries
        self.random_state = random_state
        self.autocast = autocast

    def _generate(
        self,
        z0: torch.Tensor,
        labels: np.ndarray,
        domain: Any,
        oracle: TorchTarget,
        rng: np.random.RandomState,
    ) -> torch.Tensor:
        norm = self._norm()
        if oracle.budget() < 1:
            return z0
        y = torch.as_tensor(labels, device=z0.device)
        loss = partial(objective, loss="ce", targeted=self.targeted)
        grad = oracle.gradient(z0, y, loss)[0]
        # the template projects the result exactly (``domain.finalize`` starts with
        # ``domain.project``): projecting here too would do the same work twice
        return ascend(z0, grad, norm, units(domain, z0), float(cast(float, self.eps)))
