"""Square Attack: score-based random search over blocks of features (or image windows)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._progress import advance
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
    unlimited,
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
        fractions = block_fractions(self.p_init, self.steps)
        best = Best(z0)
        active = first_check(oracle, z0, labels, self.targeted, best)
        counted = not unlimited(oracle)
        z = z0.copy()
        near = z0[active]  # the inputs of the active samples
        loss = np.full(len(z0), np.inf)
        for i in range(self.steps):
            if counted:
                left = budget(oracle, active) >= 1
                if not left.all():
                    active, near = active[left], near[left]
            if not active.size:
                break
            if i == 0:
                candidate = search.start(near) if start is None else start[active]
            else:
                candidate = search.propose(z[active], near, fractions[i])
            candidate = domain.finalize(candidate, near, eps, norm)
            adversarial, new_loss = scores(oracle, candidate, active, labels, self.targeted)
            better = new_loss <= loss[active]
            improved = active[better]
            z[improved], loss[improved] = candidate[better], new_loss[better]
            if adversarial.any():
                best.offer(active, candidate, adversarial, domain.distance(candidate, near, norm))
                advance(int(adversarial.sum()))  # progress: these rows are done
                active, near = active[~adversarial], near[~adversarial]
        return np.where(per_row(best.found, z0), best.z, z)


def block_fractions(p_init: float, steps: int) -> np.ndarray:
    """The block fraction of each of ``steps`` iterations: ``p_init`` halved at the
    paper's iterations (:data:`_HALVINGS`, out of 10,000) scaled to ``steps``.

    Examples
    --------
    >>> block_fractions(0.8, 10).tolist()
    [0.8, 0.05, 0.025, 0.0125, 0.0125, 0.00625, 0.00625, 0.003125, 0.003125, 0.0015625]
    """
    progress = (np.arange(steps) / steps * 10_000).astype(np.int64)
    return p_init / 2.0 ** np.searchsorted(_HALVINGS, progress)


class _Search:
    """Proposals of the Square Attack around ``z0`` (one row per active sample).

    The masks and units it needs on every step are made once: the block tables, whether
    every value may move, whether any category may change, whether the units are all 1.
    """

    def __init__(
        self, domain: Any, z0: np.ndarray, eps: float, norm: str, plain: np.ndarray,
        coded: np.ndarray, rng: np.random.RandomState, p_init: float,
    ) -> None:
        self.domain, self.eps, self.norm = domain, eps, norm
        self.plain, self.coded, self.rng = plain, coded, rng
        self.p_init = p_init
        self.scale = units(domain, z0)
        self.unit = bool(np.all(self.scale == 1.0))  # x * 1.0 is x: the product is skipped
        self.all_plain = bool(plain.all())
        self.any_coded = bool(coded.any())
        self.blocks = Blocks(z0.shape[1:], plain | coded)

    def _units(self, x: np.ndarray) -> np.ndarray:
        return x if self.unit else x * self.scale

    def _plain(self, mask: np.ndarray) -> np.ndarray:
        return mask if self.all_plain else mask & self.plain

    def start(self, z0: np.ndarray) -> np.ndarray:
        """The first candidate around the inputs ``z0``: vertical stripes (images) or
        random vertices (tables) of the eps-box (L-inf); a random direction of norm eps
        on a block (L2)."""
        if self.norm == "2":
            step = self.rng.standard_normal(z0.shape) * Blocks(
                z0.shape[1:], self.plain
            ).draw(len(z0), self.p_init, self.rng)
            return z0 + step * per_row(self.eps / np.maximum(_size(step), 1e-12), z0) * self.scale
        shape = z0.shape[:-2] + (1, z0.shape[-1]) if z0.ndim > 2 else z0.shape
        return z0 + self.eps * signs(self.rng, shape) * self.scale * self.plain

    def propose(self, z: np.ndarray, z0: np.ndarray, p: float) -> np.ndarray:
        """``z`` with one block changed (``z0``: the inputs of its rows)."""
        block = self.blocks.draw(len(z), p, self.rng)
        step = self._plain(block)
        if self.norm == "inf":
            shape = z.shape[:-2] + (1, 1) if z.ndim > 2 else z.shape
            vertex = z0 + self._units(self.eps * signs(self.rng, shape))
            new = np.where(step, vertex, z)
        else:
            step = np.broadcast_to(step, z.shape)
            count = step.reshape(len(z), -1).sum(1)
            side = self.eps / np.sqrt(np.maximum(count, 1))
            vertex = signs(self.rng, z.shape) * per_row(side, z)
            moved = np.where(step, vertex, delta(z, z0, self.domain) * self.plain)
            moved = moved / per_row(np.maximum(_size(moved) / self.eps, 1.0), z)
            new = np.where(self.plain, z0 + moved * self.scale, z)
        if not self.any_coded:  # no category to move (nothing drawn from the stream)
            return new
        return random_categories(self.domain, new, block & self.coded, self.rng)


def signs(rng: np.random.RandomState, shape: tuple[int, ...]) -> np.ndarray:
    """Random -1.0 / +1.0 values: the draws of ``rng.choice([-1.0, 1.0], size=shape)``
    without its per-call setup."""
    return rng.randint(0, 2, size=shape) * 2.0 - 1.0


def _size(x: np.ndarray) -> np.ndarray:
    return np.sqrt((x * x).reshape(len(x), -1).sum(1))


class Blocks:
    """Random blocks of about a fraction ``p`` of the eligible values of a sample.

    Tables (one axis): a random subset of ``max(1, round(p * n_eligible))`` eligible
    features. Images (N-D): a square window of side ``round(sqrt(p * H * W))`` over the
    last two axes, all channels. The window tables of each side are made once.

    Parameters
    ----------
    shape : tuple of int
        The shape of one sample.
    eligible : ndarray of bool, shaped like one sample
        The values a block may hold.

    Examples
    --------
    >>> blocks = Blocks((3, 8, 8), np.ones((3, 8, 8), bool))
    >>> window = blocks.draw(1, 0.25, np.random.RandomState(0))  # broadcasts over channels
    >>> window.shape, int(window.sum())
    ((1, 1, 8, 8), 16)
    """

    def __init__(self, shape: tuple[int, ...], eligible: np.ndarray) -> None:
        self.shape = tuple(shape)
        self.eligible = np.broadcast_to(np.asarray(eligible, dtype=bool), self.shape)
        self.every = bool(self.eligible.all())
        self.count = int(self.eligible.sum())
        self._sides: dict[float, int] = {}
        self._windows: dict[int, _Windows] = {}

    def draw(self, n: int, p: float, rng: np.random.RandomState) -> np.ndarray:
        """Blocks for ``n`` samples: a boolean mask ``(n,) + shape`` (images: one window
        per sample, shaped to broadcast over the channels when every value is eligible)."""
        if len(self.shape) > 1:
            return self._window(n, p, rng)
        size = max(1, int(round(p * self.count)))
        keys = rng.random_sample((n,) + self.shape)
        if not self.every:
            keys = np.where(self.eligible, keys, np.inf)
        chosen = np.argsort(keys, axis=1, kind="stable")[:, :size]
        mask = np.zeros(keys.shape, dtype=bool)
        mask[np.arange(n)[:, None], chosen] = True
        return mask if self.every else mask & self.eligible

    def _window(self, n: int, p: float, rng: np.random.RandomState) -> np.ndarray:
        height, width = self.shape[-2:]
        side = self._sides.get(p)
        if side is None:
            side = int(np.clip(round(np.sqrt(p * height * width)), 1, min(height, width)))
            self._sides[p] = side
        table = self._windows.get(side)
        if table is None:
            table = self._windows[side] = _Windows(height, width, side)
        top = rng.randint(0, height - side + 1, size=n)
        left = rng.randint(0, width - side + 1, size=n)
        window = table.at(top, left).reshape((n,) + (1,) * (len(self.shape) - 2) + (height, width))
        if self.every:
            return window
        return np.broadcast_to(window, (n,) + self.shape) & self.eligible


#: largest table of every window of one side (values) that :class:`_Windows` keeps
_WINDOW_TABLE = 1 << 22


class _Windows:
    """The ``side x side`` windows of a ``height x width`` grid by top-left corner: every
    window made once when the table is small (a lookup per draw), else the row and column
    spans (an outer product per draw)."""

    def __init__(self, height: int, width: int, side: int) -> None:
        self.rows, self.cols = _spans(height, side), _spans(width, side)
        self.positions = len(self.cols)
        self.every: np.ndarray | None = None
        if len(self.rows) * len(self.cols) * height * width <= _WINDOW_TABLE:
            every = self.rows[:, None, :, None] & self.cols[None, :, None, :]
            self.every = every.reshape(-1, height, width)

    def at(self, top: np.ndarray, left: np.ndarray) -> np.ndarray:
        """The windows with these top-left corners, shape ``(n, height, width)``."""
        if self.every is not None:
            return self.every.take(top * self.positions + left, axis=0)
        return self.rows[top][:, :, None] & self.cols[left][:, None, :]


def _spans(length: int, side: int) -> np.ndarray:
    """Row ``start`` marks the ``side`` positions from ``start`` on, of ``length``."""
    index = np.arange(length)
    start = np.arange(length - side + 1)[:, None]
    return (index >= start) & (index < start + side)


def select_block(
    shape: tuple[int, ...], p: float, eligible: np.ndarray, rng: np.random.RandomState
) -> np.ndarray:
    """A random block of about a fraction ``p`` of the eligible values, per sample.

    Tables (2-D): a random subset of ``max(1, round(p * n_eligible))`` eligible features.
    Images (N-D): a square window of side ``round(sqrt(p * H * W))`` over the last two
    axes, all channels. One draw of :class:`Blocks`, as a full mask of ``shape``.

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
    mask = Blocks(shape[1:], eligible).draw(shape[0], p, rng)
    return np.array(np.broadcast_to(mask, shape))
