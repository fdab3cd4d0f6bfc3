"""DeepFool: the nearest decision boundary of the linearized model, iterated."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..._validation import check_number
from .._base import check_positive_int
from .._norms import flat
from ._base import GradientAttack
from ._losses import is_adversarial
from ._steps import Units, finalizer, per_row, units
from ._target import TorchTarget


class DeepFool(GradientAttack):
    """DeepFool (Moosavi-Dezfooli et al.): step to the nearest linearized boundary.

    At each iteration, for each of the ``n_candidates - 1`` classes ``k`` ranked highest
    on the original input (besides the current label ``y``), the model is linearized:
    ``f_k - f_y`` and its gradient ``w_k`` give the distance ``|f_k - f_y| / ||w_k||`` to
    that class's boundary (dual norm: L2 under L2, L1 under L-inf). The sample steps to
    the nearest one; the accumulated step, enlarged by ``1 + overshoot``, is projected
    onto the valid rows (and the eps-ball when ``eps`` is given). All samples go together:
    one backward pass per candidate class for the whole batch, and samples leave the batch
    as soon as they are misclassified. On tables with integer or one-hot columns each
    iterate is linearized and scored as the valid row it would be returned as.

    On a linear model the first step is the exact minimal perturbation.

    Parameters
    ----------
    model : torch.nn.Module or TorchTabularClassifier
        Returns logits of shape (n, n_classes), or (n,) / (n, 1) for a binary model.
    eps : float, optional
        ``None`` (default) finds the smallest perturbation; a float bounds it (standard
        units) and the result stays within it.
    norm : {2, "inf"}, default=2
    targeted : bool, default=False
        Must be False: DeepFool is untargeted (use CarliniWagnerL2 or PGD).
    feature_space, bounds, max_queries, random_state
        As in :class:`FGSM` (the attack is deterministic).
    steps : int, default=50
        Maximum iterations.
    overshoot : float, default=0.02
        Relative overshoot past the linearized boundary.
    n_candidates : int, default=10
        Number of top-ranked classes (the label included) considered.
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
    CarliniWagnerL2 : slower, usually smaller perturbations on non-linear models.

    References
    ----------
    Moosavi-Dezfooli, Fawzi and Frossard, "DeepFool: a simple and accurate method to fool
    deep neural networks", CVPR 2016.

    Examples
    --------
    >>> import torch
    >>> from advval.attacks import FeatureSpace
    >>> model = torch.nn.Linear(2, 1).requires_grad_(False).eval()
    >>> _ = model.weight.copy_(torch.tensor([[3.0, 4.0]])); _ = model.bias.fill_(-5.0)
    >>> X = torch.tensor([[0.0, 0.0]])          # 1.0 from the boundary in L2
    >>> attack = DeepFool(model, feature_space=FeatureSpace())
    >>> attack.generate(X)
    tensor([[0.6120, 0.8160]])
    >>> attack.success_.tolist(), round(float(attack.norms_[0]), 2)
    ([True], 1.02)
    """

    minimum_norm = True

    def __init__(
        self,
        model: Any,
        *,
        eps: float | None = None,
        norm: Any = "2",
        targeted: bool = False,
        feature_space: Any = None,
        bounds: Any = None,
        max_queries: int | None = None,
        random_state: Any = None,
        steps: int = 50,
        overshoot: float = 0.02,
        n_candidates: int = 10,
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
        self.steps = steps
        self.overshoot = overshoot
        self.n_candidates = n_candidates
        self.autocast = autocast

    def _check_params(self) -> str:
        norm = super()._check_params()
        name = type(self).__name__
        if self.targeted:
            raise ValueError(
                f"{name} is untargeted; use CarliniWagnerL2 or PGD with targeted=True."
            )
        check_positive_int(self.steps, name="steps", owner=name)
        check_number(self.overshoot, name="overshoot", owner=name, low=0)
        check_positive_int(self.n_candidates, name="n_candidates", owner=name, low=2)
        return norm

    def _generate(
        self,
        z0: torch.Tensor,
        labels: np.ndarray,
        domain: Any,
        oracle: TorchTarget,
        rng: np.random.RandomState,
    ) -> torch.Tensor:
        norm = self._norm()
        unit = units(domain, z0)
        y = torch.as_tensor(labels, device=z0.device)
        z, total = z0.clone(), torch.zeros_like(z0)  # total: accumulated step, standard units
        rows = np.arange(len(z0))
        index = torch.as_tensor(rows, device=z0.device)
        candidates = None
        snap = finalizer(domain, self.eps, norm)
        for _ in range(min(self.steps, oracle.budget())):
            current = z[index] if snap is None else snap(z[index], z0[index])
            with torch.enable_grad():
                current.requires_grad_(True)
                logits = oracle.logits(current, rows)
                if candidates is None:  # the classes ranked highest on the original input
                    ranked = logits.detach().scatter(1, y[:, None], -torch.inf)
                    k = min(self.n_candidates, logits.shape[1]) - 1
                    candidates = ranked.topk(k, dim=1).indices
                step = self._nearest(
                    current, logits, y[index], candidates[index], norm, unit
                )
            hit = is_adversarial(logits.detach(), y[index], targeted=False)
            total[index] += torch.where(per_row(hit, step), torch.zeros_like(step), step)
            moved = total[index] * (1 + float(self.overshoot))
            moved = z0[index] + unit.raw(moved)
            moved = domain.project(moved, z0[index], self.eps, norm)
            z[index] = torch.where(per_row(hit, moved), current.detach(), moved)
            keep = ~hit
            index = index[keep]  # samples leave the batch once fooled (one sync per step)
            rows = index.cpu().numpy()
            if len(rows) == 0:
                break
        return z

    def _nearest(
        self,
        current: torch.Tensor,
        logits: torch.Tensor,
        y: torch.Tensor,
        candidates: torch.Tensor,
        norm: str,
        unit: Units,
    ) -> torch.Tensor:
        """Step (standard units) to the nearest linearized boundary; one backward per class."""
        own = logits.gather(1, y[:, None])[:, 0]
        best = torch.full_like(own, torch.inf).detach()
        gap, direction = torch.zeros_like(best), torch.zeros_like(current)
        n_candidates = candidates.shape[1]
        for k in range(n_candidates):
            diff = logits.gather(1, candidates[:, k : k + 1])[:, 0] - own
            (w,) = torch.autograd.grad(diff.sum(), current, retain_graph=k < n_candidates - 1)
            if unit.weight is not None:
                w = w * unit.weight  # the masked gradient in standard units
            size = flat(w).abs().sum(1) if norm == "inf" else flat(w).norm(dim=1)
            distance = diff.detach().abs() / size.clamp_min(1e-8)
            closer = distance < best
            best = torch.where(closer, distance, best)
            gap = torch.where(closer, diff.detach().abs(), gap)
            direction = torch.where(per_row(closer, w), w, direction)
        if norm == "inf":
            size = flat(direction).abs().sum(1).clamp_min(1e-8)
            return per_row((gap + 1e-4) / size, direction) * direction.sign()
        size = flat(direction).norm(dim=1).clamp_min(1e-8)
        return per_row((gap + 1e-4) / size.square(), direction) * direction
