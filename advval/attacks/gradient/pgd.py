"""Projected Gradient Descent, with batched random restarts and a step schedule."""

from __future__ import annotations

import math
from functools import partial
from typing import Any, cast

import numpy as np
import torch

from ..._validation import check_number, check_option
from .._base import check_positive_int
from .._norms import flat
from ._base import GradientAttack
from ._losses import LOSSES, objective
from ._random import torch_generator
from ._runs import BestPoints, fit_runs, stack_runs
from ._steps import ascend, finalizer, per_row, projector, units
from ._target import TorchTarget, global_draws, same_draws

#: step-size schedules PGD accepts
SCHEDULES = ("constant", "halving", "cosine")


class PGD(GradientAttack):
    """Projected Gradient Descent (Madry et al.): iterated steepest-ascent steps.

    Each step moves ``step_size * eps`` along the steepest-ascent direction of the loss
    (``sign`` of the gradient under L-inf, the normalized gradient under L2) in standard
    units, then projects back onto the eps-ball and the valid rows. The ``restarts`` runs
    are stacked into one batch (one forward and one backward pass per step for all of
    them), and each sample keeps the best point seen: the latest adversarial one, else the
    one with the highest loss. That bookkeeping reuses the logits of the
    step; the only extra model call is one forward pass to score the last iterate, which
    is also the final success check where the returned row is that iterate (one restart,
    full precision, on the CPU). On tables with integer or one-hot columns the model sees
    each iterate as the valid row it would be returned as (rounded, snapped; the gradient
    passes straight through), so a success is never lost to the final projection.

    Parameters
    ----------
    model : torch.nn.Module or TorchTabularClassifier
        Returns logits of shape (n, n_classes), or (n,) / (n, 1) for a binary model.
    eps : float, default=0.1
        Budget in standard units.
    norm : {"inf", 2}, default="inf"
    targeted : bool, default=False
        Move toward the labels ``y`` given to ``generate``.
    feature_space, bounds, max_queries, random_state
        As in :class:`FGSM`; ``random_state`` seeds the random starts (a local
        ``torch.Generator``). ``max_queries`` caps forward rows per sample: each restart
        costs ``steps + 1``; fewer steps (then restarts) are run to stay within it.
    steps : int, default=20
        Gradient steps per restart.
    step_size : float, optional
        First step as a fraction of ``eps``. Default: the steps of the schedule add up to
        ``2.5 eps`` (``2.5 / steps`` for the constant schedule, as in Madry et al.), so
        the iterates can cross the ball and then move along its border.
    random_start : bool, default=True
        Start each restart at a uniform random point of the ball (L-inf) or a random
        direction at a uniform random radius (L2).
    restarts : int, default=1
        Independent random starts, run as one batch (memory grows with restarts).
    schedule : {"constant", "halving", "cosine"}, default="constant"
        Step size over the steps: constant; halved after 50% and again after 75% of the
        steps; or cosine-annealed from ``step_size`` toward 0.
    loss : {"ce", "margin"}, default="ce"
        Cross-entropy, or the Carlini-Wagner margin ``max_{j != y} z_j - z_y`` (does not
        saturate on confident models; the better choice for robustness evaluation).
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
    FGSM : a single step.
    CarliniWagnerL2, DeepFool : minimal perturbations.

    References
    ----------
    Madry, Makelov, Schmidt, Tsipras and Vladu, "Towards Deep Learning Models Resistant
    to Adversarial Attacks", ICLR 2018.

    Examples
    --------
    >>> import torch
    >>> from advval.attacks import FeatureSpace
    >>> model = torch.nn.Linear(2, 1).requires_grad_(False).eval()
    >>> _ = model.weight.copy_(torch.tensor([[1.0, -1.0]])); _ = model.bias.zero_()
    >>> X = torch.tensor([[0.2, 0.0], [0.0, 0.3]])
    >>> attack = PGD(model, eps=0.25, steps=5, random_state=0,
    ...              feature_space=FeatureSpace(bounds=(-1, 1)))
    >>> X_adv = attack.generate(X)
    >>> attack.success_.tolist(), attack.norms_.round(2).tolist()
    ([True, True], [0.25, 0.25])
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
        steps: int = 20,
        step_size: float | None = None,
        random_start: bool = True,
        restarts: int = 1,
        schedule: str = "constant",
        loss: str = "ce",
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
        self.step_size = step_size
        self.random_start = random_start
        self.restarts = restarts
        self.schedule = schedule
        self.loss = loss
        self.autocast = autocast

    def _check_params(self) -> str:
        norm = super()._check_params()
        name = type(self).__name__
        check_positive_int(self.steps, name="steps", owner=name)
        check_positive_int(self.restarts, name="restarts", owner=name)
        check_number(
            self.step_size, name="step_size", owner=name, low=0, closed="right",
            allow_none=True,
        )
        check_option(self.random_start, name="random_start", owner=name, options=(True, False))
        check_option(self.schedule, name="schedule", owner=name, options=SCHEDULES)
        check_option(self.loss, name="loss", owner=name, options=LOSSES)
        return norm

    def _generate(
        self,
        z0: torch.Tensor,
        labels: np.ndarray,
        domain: Any,
        oracle: TorchTarget,
        rng: np.random.RandomState,
    ) -> torch.Tensor:
        norm, eps = self._norm(), float(cast(float, self.eps))
        restarts, steps = fit_runs(oracle.budget(), self.restarts, self.steps)  # max_queries
        if steps < 1:
            return z0
        n = len(z0)
        x0 = stack_runs(z0, restarts) if restarts > 1 else z0  # z0 is the attack's copy
        y = torch.as_tensor(labels, device=z0.device)
        y = y.repeat(restarts) if restarts > 1 else y
        unit = units(domain, z0)
        project = projector(domain, x0, eps, norm)
        z = x0
        if self.random_start:
            generator = torch_generator(rng, z0.device)
            noise = [_random_step(z0, norm, unit.mask, generator) for _ in range(restarts)]
            z = project(x0 + unit.raw((torch.cat(noise) if restarts > 1 else noise[0]) * eps))
        sizes = [size * eps for size in _schedule(self.schedule, steps, self.step_size)]
        loss = partial(objective, loss=self.loss, targeted=self.targeted)
        final = finalizer(domain, eps, norm)
        snap = None if final is None else partial(final, x0=x0)
        best = BestPoints(z, targeted=self.targeted)
        for t in range(steps):
            grad, logits, value, seen = oracle.gradient(z, y, loss, snap)
            best.update(logits, value, seen, y)
            z = project(ascend(z, grad, norm, unit, sizes[t]))
        draws = global_draws() if restarts == 1 else None
        logits, value, seen = oracle.evaluate(z, y, loss, snap)  # the last iterate
        best.update(logits, value, seen, y)
        # the final check of this very row reads these logits, unless the model drew at
        # random to compute them: then the check takes a fresh draw, as for any other row
        if draws is not None and same_draws(draws, global_draws()):
            oracle.keep_scored(seen, logits)
        return best.pick(n)


def _random_step(
    like: torch.Tensor, norm: str, mask: Any, generator: torch.Generator
) -> torch.Tensor:
    """A random point of the unit ball in standard units (masked features stay)."""
    if norm == "inf":
        u = torch.rand(like.shape, generator=generator, device=like.device, dtype=like.dtype)
        u = u * 2 - 1
        return u if mask is None else u * mask
    u = torch.randn(like.shape, generator=generator, device=like.device, dtype=like.dtype)
    if mask is not None:
        u = u * mask
    radius = torch.rand(len(like), generator=generator, device=like.device, dtype=like.dtype)
    size = flat(u).norm(dim=1).clamp_min(1e-12)
    return u * per_row(radius / size, u)


def _schedule(name: str, steps: int, step_size: float | None) -> list[float]:
    """Step sizes relative to eps (plain floats: no device traffic in the loop).

    Without ``step_size`` they add up to 2.5 (Madry et al.'s ``2.5 eps / steps`` for the
    constant schedule), so that every schedule can cross the ball and back.
    """
    if name == "constant":
        shape = [1.0] * steps
    elif name == "halving":
        shape = [0.5 ** ((t >= steps / 2) + (t >= 3 * steps / 4)) for t in range(steps)]
    else:
        shape = [0.5 * (1 + math.cos(math.pi * t / steps)) for t in range(steps)]
    first = 2.5 / sum(shape) if step_size is None else float(step_size)
    return [first * value for value in shape]
