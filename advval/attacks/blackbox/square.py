"""Square Attack: score-based random search over blocks of features (or image windows)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._base import Attack, check_positive_int
from .._norms import canonical_norm
from ._common import (
    Best,
    budget,
    categorical_mask,
    check_positive,
    delta,
    first_check,
    movable,
    per_row,
    random_categories,
    scores,
    units,
)

#: iterations (out of 10,000) after which the block fraction halves (Andriushchenko et al.)
_HALVINGS = np.array([10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000])


class SquareAttack(Attack):
    """Score-based random search: change one random block at a time, keep improvements.

    Each step picks a block, proposes new values for it, queries the model once per
    sample and keeps the proposal if the log-probability margin decreased. A block is a
    random subset of features for tables (label-coded categories and one-hot groups move
    to a random other category) and a square window, all channels, for N-D images. Its
    size is the fraction ``p`` of the values, starting at ``p_init`` and halving on the
    paper's schedule. L-inf proposals put the block on vertices of the eps-box (``x0 +/-
    eps`` in standard units). L2 proposals put the ``k`` values of the block on a vertex
    of the eps-ball restricted to them (each ``+/- eps / sqrt(k)``) and scale the whole
    perturbation back into the ball: large moves on few features, which matter for tree
    ensembles, with blocks that shrink on the same schedule.

    Parameters
    ----------
    model : classifier with ``predict_proba``, LightGBM Booster, torch module or callable
    eps : float, default=0.3
        Perturbation budget in standard units.
    norm : {"inf", "2"}, default="inf"
    targeted : bool, default=False
    feature_space : FeatureSpace or Box, optional
    bounds : (lower, upper), optional
    max_queries : int, optional
        Hard budget of model rows per sample (the final check included).
    random_state : int, RandomState or None
    steps : int, default=1000
        Search iterations, the random start included (one query per active sample
        each).
    p_init : float, default=0.3
        Initial fraction of the values in a block, in (0, 1]. Image attacks commonly use
        0.05 (L-inf) or 0.1 (L2).

    Attributes
    ----------
    success_, queries_, norms_ : ndarray of shape (n_samples,)

    See Also
    --------
    NESAttack : score-based, with a gradient estimate.

    References
    ----------
    M. Andriushchenko, F. Croce, N. Flammarion, M. Hein. "Square Attack: a query-efficient
    black-box adversarial attack via random search", ECCV 2020.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from advval.attacks import FeatureSpace
    >>> X = np.random.RandomState(0).normal(size=(100, 3)); y = (X[:, 0] > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> space = FeatureSpace.from_frame(X)  # eps in standard deviations of X
    >>> near = X[np.abs(X[:, 0]) < 0.2]
    >>> attack = SquareAttack(model, feature_space=space, eps=0.5, steps=30, random_state=0)
    >>> X_adv = attack.generate(near)
    >>> bool(attack.success_.all()), int(attack.queries_.max()) <= 32
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
        steps: int = 1000,
        p_init: float = 0.3,
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
        self.p_init = p_init

    def _check_params(self) -> str:
        norm = super()._check_params()
        name = type(self).__name__
        check_positive_int(self.steps, name="steps", owner=name)
        check_positive(self.p_init, name="p_init", owner=name, high=1.0)
        return norm

    def _generate(
        self, z0: Any, labels: np.ndarray, domain: Any, oracle: Any, rng: np.random.RandomState
    ) -> Any:
        return self._search(z0, None, labels, domain, oracle, rng)

    def _search(
        self, z0: Any, start: Any, labels: np.ndarray, domain: Any, oracle: Any,
        rng: np.random.RandomState,
    ) -> Any:
        """The random search around ``z0``; its first candidate is ``start`` when given
        (:class:`~advval.attacks.TransferAttack` refines transferred rows this way)."""
        norm = canonical_norm(self.norm, owner=type(self).__name__, allowed=self.norms)
        eps = float(self.eps)  # type: ignore[arg-type]
        coded = categorical_mask(domain, z0)
        plain = movable(domain, z0) & ~coded
        search = _Search(domain, z0, eps, norm, plain, coded, rng, self.p_init)
        best = Best(z0)
        active = first_check(oracle, z0, labels, self.targeted, best)
        z = z0.copy()
        loss = np.full(len(z0), np.inf)
        for i in range(self.steps):
            active = active[budget(oracle, active) >= 1]
            if not active.size:
                break
            if i == 0:
                candidate = search.start(active) if start is None else start[active]
            else:
                p = self.p_init / 2.0 ** np.searchsorted(_HALVINGS, int(i / self.steps * 10_000))
                candidate = search.propose(z[active], active, p)
            candidate = domain.finalize(candidate, z0[active], eps, norm)
            adversarial, new_loss = scores(oracle, candidate, active, labels, self.targeted)
            better = new_loss <= loss[active]
            z[active[better]], loss[active[better]] = candidate[better], new_loss[better]
            best.offer(active, candidate, adversarial, domain.distance(candidate, z0[active], norm))
            active = active[~adversarial]
        return np.where(per_row(best.found, z0), best.z, z)


class _Search:
    """Proposals of the Square Attack around ``z0`` (one row per active sample)."""

    def __init__(
        self, domain: Any, z0: np.ndarray, eps: float, norm: str, plain: np.ndarray,
        coded: np.ndarray, rng: np.random.RandomState, p_init: float,
    ) -> None:
        self.domain, self.z0, self.eps, self.norm = domain, z0, eps, norm
        self.plain, self.coded, self.rng = plain, coded, rng
        self.p_init = p_init
        self.scale = units(domain, z0)

    def start(self, rows: np.ndarray) -> np.ndarray:
        """The first candidate: vertical stripes (images) or random vertices (tables) of
        the eps-box (L-inf); a random direction of norm eps on a block (L2)."""
        z0 = self.z0[rows]
        if self.norm == "2":
            step = self.rng.standard_normal(z0.shape) * select_block(
                z0.shape, self.p_init, self.plain, self.rng
            )
            return z0 + step * per_row(self.eps / np.maximum(_size(step), 1e-12), z0) * self.scale
        shape = z0.shape[:-2] + (1, z0.shape[-1]) if z0.ndim > 2 else z0.shape
        return z0 + self.eps * self.rng.choice([-1.0, 1.0], size=shape) * self.scale * self.plain

    def propose(self, z: np.ndarray, rows: np.ndarray, p: float) -> np.ndarray:
        """``z`` with one block changed."""
        z0 = self.z0[rows]
        block = select_block(z.shape, p, self.plain | self.coded, self.rng)
        if self.norm == "inf":
            shape = z.shape[:-2] + (1, 1) if z.ndim > 2 else z.shape
            vertex = z0 + self.eps * self.rng.choice([-1.0, 1.0], size=shape) * self.scale
            new = np.where(block & self.plain, vertex, z)
        else:
            count = (block & self.plain).reshape(len(z), -1).sum(1)
            side = self.eps / np.sqrt(np.maximum(count, 1))
            vertex = self.rng.choice([-1.0, 1.0], size=z.shape) * per_row(side, z)
            moved = np.where(block & self.plain, vertex, delta(z, z0, self.domain) * self.plain)
            moved = moved / per_row(np.maximum(_size(moved) / self.eps, 1.0), z)
            new = np.where(self.plain, z0 + moved * self.scale, z)
        return random_categories(self.domain, new, block & self.coded, self.rng)


def _size(x: np.ndarray) -> np.ndarray:
    return np.sqrt((x * x).reshape(len(x), -1).sum(1))


def select_block(
    shape: tuple[int, ...], p: float, eligible: np.ndarray, rng: np.random.RandomState
) -> np.ndarray:
    """A random block of about a fraction ``p`` of the eligible values, per sample.

    Tables (2-D): a random subset of ``max(1, round(p * n_eligible))`` eligible features.
    Images (N-D): a square window of side ``round(sqrt(p * H * W))`` over the last two
    axes, all channels.

    Examples
    --------
    >>> mask = select_block((2, 10), 0.3, np.ones(10, bool), np.random.RandomState(0))
    >>> mask.sum(1).tolist()
    [3, 3]
    >>> window = select_block((1, 3, 8, 8), 0.25, np.ones((3, 8, 8), bool),
    ...                       np.random.RandomState(0))
    >>> int(window[0, 0].sum()), int(window[0].sum())
    (16, 48)
    """
    n = shape[0]
    if len(shape) > 2:
        height, width = shape[-2:]
        side = int(np.clip(round(np.sqrt(p * height * width)), 1, min(height, width)))
        top = rng.randint(0, height - side + 1, size=n)[:, None]
        left = rng.randint(0, width - side + 1, size=n)[:, None]
        rows = (np.arange(height) >= top) & (np.arange(height) < top + side)
        cols = (np.arange(width) >= left) & (np.arange(width) < left + side)
        window = rows[:, :, None] & cols[:, None, :]
        window = window.reshape((n,) + (1,) * (len(shape) - 3) + (height, width))
        return np.broadcast_to(window, shape) & eligible
    count = int(eligible.sum())
    size = max(1, int(round(p * count)))
    keys = np.where(eligible, rng.random_sample(shape), np.inf)
    chosen = np.argsort(keys, axis=1, kind="stable")[:, :size]
    mask = np.zeros(shape, dtype=bool)
    np.put_along_axis(mask, chosen, True, axis=1)
    return mask & eligible
