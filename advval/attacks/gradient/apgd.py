"""Auto-PGD: PGD with momentum and a step size that adapts itself (Croce and Hein 2020)."""

from __future__ import annotations

import math
from functools import partial
from typing import Any, cast

import numpy as np
import torch

from ..._validation import check_number, check_option
from .._base import check_positive_int
from ._base import GradientAttack
from ._losses import APGD_LOSSES, dlr_toward, objective
from ._random import torch_generator
from ._runs import BestPoints, fit_runs, stack_runs
from ._steps import ascend, finalizer, per_row, projector, units
from ._target import TorchTarget, subset_target
from .pgd import _random_step

#: momentum of the update (the paper's alpha)
MOMENTUM = 0.75


class APGD(GradientAttack):
    """Auto-PGD (Croce and Hein 2020): parameter-free PGD with momentum.

    The step starts at ``2 eps`` (standard units) and is halved at checkpoints
    ``w_j = ceil(p_j * steps)``, ``p_0 = 0``, ``p_1 = 0.22``,
    ``p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06)``, for the runs where (1) the loss
    went up in fewer than ``rho`` of the steps since the last checkpoint, or (2) the step
    was not halved at the last checkpoint and the best loss has not improved since; such
    a run restarts from its best point. Each step is a projected steepest-ascent step
    (``sign`` of the gradient under L-inf, the normalized gradient under L2) combined
    with the previous move: ``x <- P(x + 0.75 (z - x) + 0.25 (x - x_prev))``.

    The ``restarts`` runs are stacked into one batch: one forward and backward pass per
    step for all of them, no per-sample loop, no device synchronization. APGD-T
    (``loss="dlr-targeted"``) attacks its target classes one after another, each on the
    samples that no earlier target fooled (as the reference code does: a sample already
    fooled costs nothing more). Each sample returns its latest adversarial point, else
    its highest-loss point, over all runs (as :class:`PGD`).

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
        As in :class:`PGD`. Each run costs ``steps + 1`` forward rows per sample (one more
        for ``loss="dlr-targeted"``, which ranks the classes of the input); fewer steps,
        then runs, are made to stay within ``max_queries``.
    steps : int, default=100
        Iterations per run.
    restarts : int, default=1
        Independent random starts (uniform in the ball under L-inf; a random direction at
        a uniform random radius under L2).
    loss : {"ce", "dlr", "dlr-targeted"}, default="ce"
        Cross-entropy; the Difference of Logits Ratio ``-(z_y - max_{j != y} z_j) /
        (z_pi1 - z_pi3)`` (targeted: ``(z_t - max_{j != t} z_j) / (z_pi1 - (z_pi3 +
        z_pi4) / 2)``), invariant to the scale of the logits; or AutoAttack's APGD-T: an
        untargeted attack that runs the targeted DLR ``-(z_y - z_t) / (z_pi1 - (z_pi3 +
        z_pi4) / 2)`` toward each of the ``n_target_classes`` classes the model ranks
        highest after ``y`` on the input. With fewer than 3 classes (4 for the targeted
        forms) the ratio is undefined or constant, and the DLR losses fall back to their
        numerator, the Carlini-Wagner margin (same sign, and per sample the same
        ascent direction up to a positive factor); a 2-class APGD-T is a margin APGD.
    rho : float, default=0.75
        Fraction of loss increases between checkpoints below which the step is halved.
    n_target_classes : int, default=9
        Target classes of ``loss="dlr-targeted"`` (at most ``n_classes - 1`` are used).
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
    PGD : fixed step size, no momentum.

    References
    ----------
    Croce and Hein, "Reliable evaluation of adversarial robustness with an ensemble of
    diverse parameter-free attacks", ICML 2020.

    Examples
    --------
    >>> import torch
    >>> from advval.attacks import FeatureSpace
    >>> model = torch.nn.Linear(2, 1).requires_grad_(False).eval()
    >>> _ = model.weight.copy_(torch.tensor([[1.0, -1.0]])); _ = model.bias.zero_()
    >>> X = torch.tensor([[0.2, 0.0], [0.0, 0.3]])
    >>> attack = APGD(model, eps=0.25, steps=5, random_state=0,
    ...               feature_space=FeatureSpace(bounds=(-1, 1)))
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
        steps: int = 100,
        restarts: int = 1,
        loss: str = "ce",
        rho: float = 0.75,
        n_target_classes: int = 9,
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
        self.restarts = restarts
        self.loss = loss
        self.rho = rho
        self.n_target_classes = n_target_classes
        self.autocast = autocast

    def _check_params(self) -> str:
        norm = super()._check_params()
        name = type(self).__name__
        check_positive_int(self.steps, name="steps", owner=name)
        check_positive_int(self.restarts, name="restarts", owner=name)
        check_option(self.loss, name="loss", owner=name, options=APGD_LOSSES)
        check_number(self.rho, name="rho", owner=name, low=0, high=1)
        check_positive_int(self.n_target_classes, name="n_target_classes", owner=name)
        if self.targeted and self.loss == "dlr-targeted":
            raise ValueError(
                f"The 'loss' parameter of {name} must be 'ce' or 'dlr' when targeted=True "
                "('dlr-targeted' is an untargeted attack that picks its own targets). Got "
                "'dlr-targeted' instead."
            )
        return norm

    def _generate(
        self,
        z0: torch.Tensor,
        labels: np.ndarray,
        domain: Any,
        oracle: TorchTarget,
        rng: np.random.RandomState,
    ) -> torch.Tensor:
        n, device = len(z0), z0.device
        y0 = torch.as_tensor(labels, device=device)
        n_classes = len(oracle.classes_)
        toward = self.loss == "dlr-targeted"
        n_targets = max(1, min(self.n_target_classes, n_classes - 1)) if toward else 1
        # within max_queries (APGD-T first ranks the classes of z0: one more row)
        runs, steps = fit_runs(oracle.budget() - toward, self.restarts * n_targets, self.steps)
        if steps < 1:
            return z0
        generator = torch_generator(rng, device)
        unit = units(domain, z0)
        if not toward:
            loss = partial(objective, loss=self.loss, targeted=self.targeted)
            best = self._search(z0, y0, y0, loss, runs, steps, domain, oracle, generator, unit)
            return best.pick(n)
        # APGD-T: the targets one after another, each on the samples no earlier target
        # fooled (as the reference code); run r of the budget attacks target
        # r % n_targets from restart r // n_targets
        with torch.no_grad():
            ranked = oracle.logits(z0).scatter(1, y0[:, None], -torch.inf).argsort(1, True)
        out, score = z0.clone(), torch.full((n,), -torch.inf, dtype=z0.dtype, device=device)
        for k in range(n_targets):
            count = runs // n_targets + (k < runs % n_targets)
            active = np.flatnonzero((score < torch.inf).cpu().numpy())
            if count == 0 or len(active) == 0:
                break
            index = torch.as_tensor(active, device=device)
            sub = oracle if len(active) == n else subset_target(oracle, active)
            pairs = torch.stack([y0[index], ranked[index, k]], 1)
            found = self._search(
                z0[index], y0[index], pairs, dlr_toward, count, steps, domain, sub, generator,
                unit,
            )
            oracle.queries[active] = sub.queries
            point, value = found.best(len(active))
            better = value > score[index]
            out[index] = torch.where(per_row(better, point), point, out[index])
            score[index] = torch.maximum(value, score[index])
        return out

    def _search(
        self,
        z0: torch.Tensor,
        y0: torch.Tensor,
        pairs: torch.Tensor,
        loss: Any,
        runs: int,
        steps: int,
        domain: Any,
        oracle: TorchTarget,
        generator: torch.Generator,
        unit: Any,
    ) -> BestPoints:
        """``runs`` stacked APGD runs of ``steps`` on the samples ``z0`` (of ``oracle``)."""
        norm, eps = self._norm(), float(cast(float, self.eps))
        x0 = stack_runs(z0, runs)
        y = y0.repeat(runs)
        pairs = pairs.repeat((runs,) + (1,) * (pairs.ndim - 1))
        project = projector(domain, x0, eps, norm)
        noise = torch.cat([_random_step(z0, norm, unit.mask, generator) for _ in range(runs)])
        z = project(x0 + unit.raw(noise * eps))
        final = finalizer(domain, eps, norm)
        snap = None if final is None else partial(final, x0=x0)
        checkpoints = _checkpoints(steps)

        eta = torch.full_like(y, 2 * eps, dtype=z.dtype)  # step per run, standard units
        best = BestPoints(z, targeted=self.targeted)  # what is returned
        top, top_loss, top_grad = z, torch.full_like(eta, -torch.inf), z  # the restart point
        previous, last_loss = z, torch.full_like(eta, torch.inf)
        ups = torch.zeros_like(eta)  # loss increases since the last checkpoint
        halved_last = torch.zeros_like(eta, dtype=torch.bool)
        top_at_last = top_loss
        for t in range(steps):
            grad, logits, value, seen = oracle.gradient(z, pairs, loss, snap)
            best.update(logits, value, seen, y)
            value = value.to(z.dtype)
            ups += value > last_loss
            last_loss = value
            better = value > top_loss
            top = torch.where(per_row(better, z), z, top)
            top_grad = torch.where(per_row(better, z), grad, top_grad)
            top_loss = torch.where(better, value, top_loss)
            if t == 0:
                top_at_last = top_loss
            if t in checkpoints:  # the paper's conditions 1 and 2
                period = checkpoints[t]
                halve = (ups < self.rho * period) | (~halved_last & (top_loss <= top_at_last))
                eta = torch.where(halve, eta / 2, eta)
                z = torch.where(per_row(halve, z), top, z)
                grad = torch.where(per_row(halve, z), top_grad, grad)
                halved_last, top_at_last, ups = halve, top_loss, torch.zeros_like(ups)
            moved = project(z + per_row(eta, z) * ascend(torch.zeros_like(z), grad, norm, unit, 1))
            alpha = 1.0 if t == 0 else MOMENTUM
            z, previous = project(z + alpha * (moved - z) + (1 - alpha) * (z - previous)), z
        best.update(*oracle.evaluate(z, pairs, loss, snap), y)  # the last iterate
        return best


def _checkpoints(steps: int) -> dict[int, int]:
    """The iterations ``w_j`` at which the step may be halved, with ``w_j - w_{j-1}``.

    ``w_j = ceil(p_j * steps)`` with ``p_0 = 0``, ``p_1 = 0.22`` and
    ``p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06)`` (Croce and Hein 2020).

    Examples
    --------
    >>> list(_checkpoints(100).items())[:4]
    [(22, 22), (41, 19), (57, 16), (70, 13)]
    """
    points, before, p = [0], 0.0, 0.22
    while p < 1:
        w = math.ceil(round(p * steps, 9))
        if points[-1] < w < steps:  # a halving at the last step would change nothing
            points.append(w)
        before, p = p, p + max(p - before - 0.03, 0.06)
    return {w: w - v for v, w in zip(points[:-1], points[1:], strict=True)}
