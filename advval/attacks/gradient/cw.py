"""Carlini-Wagner L2: the smallest L2 perturbation, by optimization."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..._validation import check_number, check_option
from .._base import check_positive_int
from .._norms import flat
from ._base import GradientAttack
from ._losses import margin
from ._optim import adam_step
from ._steps import finalizer, per_row, projector, units
from ._target import TorchTarget


class CarliniWagnerL2(GradientAttack):
    """Carlini-Wagner L2 attack: minimize ``||delta||_2^2 + c * f(x + delta)`` with Adam.

    ``f`` is the margin loss ``max(z_y - max_{j != y} z_j + confidence, 0)`` (targeted:
    ``max(max_{j != t} z_j - z_t + confidence, 0)``), ``delta`` is measured in standard
    units. Instead of the original tanh change of variables, which needs a finite box,
    every Adam step is followed by the domain's projection (bounds, immutable, monotone
    and relaxed one-hot columns, and the eps-ball when ``eps`` is given), so the attack
    works on any :class:`~advval.attacks.FeatureSpace` and on images alike. A binary
    search on ``c``, per sample, finds the smallest constant that still succeeds; each
    sample keeps the smallest successful perturbation seen (on tables with integer or
    one-hot columns, measured and scored on the valid row it would be returned as, the
    gradient passing straight through). Within a search step the
    optimization stops early when the total loss has not improved by 0.01% over a tenth
    of the steps (checked only then, so the loop does not wait on the device).

    Parameters
    ----------
    model : torch.nn.Module or TorchTabularClassifier
        Returns logits of shape (n, n_classes), or (n,) / (n, 1) for a binary model.
    eps : float, optional
        ``None`` (default) finds the smallest perturbation; a float bounds it (L2, in
        standard units) and the result stays within it.
    norm : {2}, default=2
        L2 only.
    targeted : bool, default=False
        Move toward the labels ``y`` given to ``generate``.
    feature_space, bounds, max_queries, random_state
        As in :class:`FGSM` (the attack is deterministic). ``max_queries`` caps the
        forward rows per sample; the search stops when they run out.
    confidence : float, default=0.0
        Margin (in logits) by which the result must be misclassified.
    initial_const : float, default=0.01
        First value of ``c``.
    binary_search_steps : int, default=9
        Rounds of the search on ``c`` (multiplied by 10 while it fails, then bisected).
    steps : int, default=100
        Adam steps per round.
    lr : float, default=0.05
        Adam learning rate, in standard units (larger than the original 0.01 on tanh
        pixels: tabular perturbations of several standard units must be reachable).
    abort_early : bool, default=True
        Stop a round when the loss stalls.
    autocast : {"bfloat16"}, optional
        Run the model's forward passes of the search under bf16 :func:`torch.autocast` on
        the input's device (faster on recent GPUs; the losses stay in float32). The labels
        and the final success check run in full precision. Default: full precision.

    Attributes
    ----------
    success_, queries_, norms_ : ndarray of shape (n_samples,)
        See :class:`~advval.attacks.Attack`. A sample the attack fails on is returned
        unchanged.

    See Also
    --------
    DeepFool : a faster minimal-perturbation attack.

    References
    ----------
    Carlini and Wagner, "Towards Evaluating the Robustness of Neural Networks",
    IEEE S&P 2017.

    Examples
    --------
    >>> import torch
    >>> from advval.attacks import FeatureSpace
    >>> model = torch.nn.Linear(2, 1).requires_grad_(False).eval()
    >>> _ = model.weight.copy_(torch.tensor([[3.0, 4.0]])); _ = model.bias.fill_(-5.0)
    >>> X = torch.tensor([[0.0, 0.0]])          # 1.0 from the boundary in L2
    >>> attack = CarliniWagnerL2(model, steps=50, lr=0.1, feature_space=FeatureSpace())
    >>> X_adv = attack.generate(X)
    >>> attack.success_.tolist(), round(float(attack.norms_[0]), 1)
    ([True], 1.0)
    """

    norms = ("2",)
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
        confidence: float = 0.0,
        initial_const: float = 0.01,
        binary_search_steps: int = 9,
        steps: int = 100,
        lr: float = 0.05,
        abort_early: bool = True,
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
        self.confidence = confidence
        self.initial_const = initial_const
        self.binary_search_steps = binary_search_steps
        self.steps = steps
        self.lr = lr
        self.abort_early = abort_early
        self.autocast = autocast

    def _check_params(self) -> str:
        norm = super()._check_params()
        name = type(self).__name__
        check_number(self.confidence, name="confidence", owner=name, low=0)
        check_number(self.initial_const, name="initial_const", owner=name, low=0, closed="right")
        check_positive_int(self.binary_search_steps, name="binary_search_steps", owner=name)
        check_positive_int(self.steps, name="steps", owner=name)
        check_number(self.lr, name="lr", owner=name, low=0, closed="right")
        check_option(self.abort_early, name="abort_early", owner=name, options=(True, False))
        return norm

    def _generate(
        self,
        z0: torch.Tensor,
        labels: np.ndarray,
        domain: Any,
        oracle: TorchTarget,
        rng: np.random.RandomState,
    ) -> torch.Tensor:
        y = torch.as_tensor(labels, device=z0.device)
        unit = units(domain, z0)
        project = projector(domain, z0, self.eps, "2")
        kappa, sign = float(self.confidence), -1.0 if self.targeted else 1.0
        n = len(z0)
        const = torch.full((n,), float(self.initial_const), dtype=z0.dtype, device=z0.device)
        lower, upper = torch.zeros_like(const), torch.full_like(const, torch.inf)
        best, best_size = z0.clone(), torch.full_like(const, torch.inf)
        left = oracle.budget()
        check = max(self.steps // 10, 1)
        final = finalizer(domain, self.eps, "2")
        for _ in range(self.binary_search_steps):
            w, m, v = torch.zeros_like(z0), torch.zeros_like(z0), torch.zeros_like(z0)
            found = torch.zeros(n, dtype=torch.bool, device=z0.device)
            previous = torch.inf
            for t in range(1, min(self.steps, left) + 1):
                left -= 1
                with torch.enable_grad():
                    w.requires_grad_(True)
                    z = z0 + unit.raw(w)
                    if final is not None:  # the model sees the valid row (straight through)
                        z = z + (final(z.detach(), z0) - z).detach()
                    logits = oracle.logits(z)
                    f = sign * margin(logits, y) + kappa  # < 0: adversarial by kappa
                    squared = flat(w).square().sum(1)
                    loss = squared + const * f.clamp_min(0)
                    (grad,) = torch.autograd.grad(loss.sum(), w)
                w, z = w.detach(), z.detach()
                # the size of the row returned: ||w|| unless rounded or snapped
                size = squared.detach().sqrt() if final is None else domain.distance(z, z0, "2")
                improved = (f.detach() < 0) & (size < best_size)
                best = torch.where(per_row(improved, z), z, best)
                best_size = torch.where(improved, size, best_size)
                found = f.detach() < 0  # where the round ends up (any success is kept)
                rate = float(self.lr) * (1 - (t - 1) / self.steps)  # decays to 0
                w = w - adam_step(grad if unit.mask is None else grad * unit.mask, m, v, t, rate)
                w = unit.standard(project(z0 + unit.raw(w)) - z0)
                if self.abort_early and t % check == 0:
                    total = float(loss.detach().sum())  # one sync per tenth of the steps
                    if total > previous * 0.9999:
                        break
                    previous = total
            # binary search on c, per sample: lower it on success, raise it on failure
            upper = torch.where(found, torch.minimum(upper, const), upper)
            lower = torch.where(found, lower, torch.maximum(lower, const))
            const = torch.where(upper < torch.inf, (lower + upper) / 2, const * 10)
            if left <= 0:
                break
        return best
