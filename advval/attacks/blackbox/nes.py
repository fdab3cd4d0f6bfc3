"""NES: projected gradient descent on a gradient estimated from class scores."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._progress import countdown
from .._base import Attack, check_positive_int
from .._norms import canonical_norm
from ._common import (
    Best,
    budget,
    check_positive,
    first_check,
    group_sums,
    movable,
    normalized,
    per_row,
    scores,
    units,
)


class NESAttack(Attack):
    """Score-based attack with natural-evolution-strategies gradient estimates.

    Each step estimates the gradient of the log-probability margin from ``n_samples``
    queries around the current point (antithetic Gaussian pairs ``x +/- sigma * u``,
    Ilyas et al. 2018), takes a sign step (L-inf) or a normalized step (L2) of
    ``step_size`` standard units, and projects back onto the eps-ball and the domain. A
    sample stops being queried as soon as its (finalized) iterate is adversarial.

    The search is continuous: numeric and integer columns move (integers are rounded
    toward the original in the returned rows), one-hot groups are relaxed and snapped to
    one category, and label-coded categorical columns keep their value (a gradient says
    nothing about jumping between codes; use :class:`SquareAttack` or
    :class:`GeneticAttack` to change them).

    Parameters
    ----------
    model : classifier with ``predict_proba``, LightGBM Booster, torch module or callable
        Only its class probabilities are used, through counted queries.
    eps : float, default=0.3
        Perturbation budget in standard units (``norm`` ball).
    norm : {"inf", "2"}, default="inf"
    targeted : bool, default=False
        Move toward the labels ``y`` instead of away from them.
    feature_space : FeatureSpace or Box, optional
        The input domain; default ``FeatureSpace.from_frame`` of the attacked rows.
    bounds : (lower, upper), optional
        Shortcut for a box domain; exclusive with ``feature_space``.
    max_queries : int, optional
        Hard budget of model rows per sample (the final check included).
    random_state : int, RandomState or None
    steps : int, default=100
        Gradient steps.
    n_samples : int, default=20
        Queries per gradient estimate (``n_samples // 2`` antithetic pairs).
    sigma : float, optional
        Sampling radius in standard units; default ``eps / 4``.
    step_size : float, optional
        Step in standard units; default ``eps / 5``.

    Attributes
    ----------
    success_, queries_, norms_ : ndarray of shape (n_samples,)
        See :class:`~advval.attacks.Attack`.

    See Also
    --------
    SquareAttack : score-based random search, no gradient estimate.

    References
    ----------
    A. Ilyas, L. Engstrom, A. Athalye, J. Lin. "Black-box Adversarial Attacks with Limited
    Queries and Information", ICML 2018.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from advval.attacks import FeatureSpace
    >>> X = np.random.RandomState(0).normal(size=(100, 3)); y = (X[:, 0] > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> space = FeatureSpace.from_frame(X)  # eps in standard deviations of X
    >>> near = X[np.abs(X[:, 0]) < 0.2]
    >>> attack = NESAttack(model, feature_space=space, eps=0.5, steps=10, random_state=0)
    >>> X_adv = attack.generate(near)
    >>> bool(attack.success_.all()), bool((attack.norms_ <= 0.5 + 1e-9).all())
    (True, True)
    """

    norms = ("inf", "2")

    def __init__(
        self,
        model: Any,
        *,
        eps: float | None = 0.3,
        norm: Any = "inf",
        targeted: bool = False,
        feature_space: Any = None,
        bounds: Any = None,
        max_queries: int | None = None,
        random_state: Any = None,
        steps: int = 100,
        n_samples: int = 20,
        sigma: float | None = None,
        step_size: float | None = None,
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
        self.n_samples = n_samples
        self.sigma = sigma
        self.step_size = step_size

    def _check_params(self) -> str:
        norm = super()._check_params()
        name = type(self).__name__
        check_positive_int(self.steps, name="steps", owner=name)
        check_positive_int(self.n_samples, name="n_samples", owner=name, low=2)
        for param in ("sigma", "step_size"):
            if getattr(self, param) is not None:
                check_positive(getattr(self, param), name=param, owner=name)
        return norm

    def _generate(
        self, z0: Any, labels: np.ndarray, domain: Any, oracle: Any, rng: np.random.RandomState
    ) -> Any:
        norm = canonical_norm(self.norm, owner=type(self).__name__, allowed=self.norms)
        eps = float(self.eps)  # type: ignore[arg-type]
        sigma = self.sigma if self.sigma is not None else eps / 4
        step = self.step_size if self.step_size is not None else eps / 5
        mask, scale = movable(domain, z0), units(domain, z0)
        best = Best(z0)
        active = first_check(oracle, z0, labels, self.targeted, best)
        z = z0.copy()
        left = countdown(len(z0))  # progress: a row is done when its search stops
        for _ in range(self.steps):
            # pairs of queries for the estimate, plus one to check the new iterate
            pairs = np.minimum(self.n_samples // 2, (budget(oracle, active) - 1) // 2)
            active, pairs = active[pairs >= 1], pairs[pairs >= 1]
            left(active.size)
            if not active.size:
                break
            owner = np.repeat(np.arange(len(active)), pairs)
            rows = active[owner]
            u = rng.standard_normal((len(owner),) + z0.shape[1:]) * mask
            around = np.concatenate([z[rows] + sigma * u * scale, z[rows] - sigma * u * scale])
            twice = np.concatenate([rows, rows])
            around = domain.project(around, z0[twice], None, norm)
            loss = scores(oracle, around, twice, labels, self.targeted)[1]
            slope = per_row(loss[: len(rows)] - loss[len(rows) :], u)
            direction = normalized(group_sums(slope * u, pairs), norm)
            z[active] = domain.project(
                z[active] - step * direction * scale, z0[active], eps, norm
            )
            candidate = domain.finalize(z[active].copy(), z0[active], eps, norm)
            adversarial = scores(oracle, candidate, active, labels, self.targeted)[0]
            best.offer(active, candidate, adversarial, domain.distance(candidate, z0[active], norm))
            active = active[~adversarial]
        return np.where(per_row(best.found, z0), best.z, z)
