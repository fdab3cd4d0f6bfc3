"""HopSkipJump: a decision-based attack that needs only the predicted labels."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._progress import countdown
from .._base import Attack, check_positive_int
from .._norms import canonical_norm, norm_of
from ._common import (
    Best,
    budget,
    categorical_mask,
    check_positive,
    decisions,
    delta,
    first_check,
    group_sums,
    movable,
    normalized,
    per_row,
    random_categories,
    sampling_box,
    unit_directions,
    units,
)

#: most halvings of the geometric step size before an iteration gives up
_MAX_HALVINGS = 10


class HopSkipJump(Attack):
    """Decision-based attack: walks along the decision boundary toward the input.

    From an adversarial starting row (the nearest row of the attacked batch with another
    label that the model confirms, else random rows of the domain, drawn from a range that
    widens as tries fail where the domain is unbounded; every try is counted),
    each iteration (1) binary-searches the boundary between the input and the current
    adversarial row, (2) estimates the boundary's normal direction by Monte-Carlo
    sampling of the model's decisions around the boundary point, and (3) steps along it
    with a geometrically shrinking step until the row is adversarial again. Only labels
    are used, so predict-only models (``LinearSVC``...) work.

    The walk is continuous in the numeric and one-hot columns; a label-coded categorical
    column takes the starting row's category beyond the midpoint of a path and the
    input's before it. The binary searches and steps decide on valid (finalized) rows, so
    the returned row is adversarial as found; the direction estimate probes rows of the
    continuous relaxation (integers not yet rounded).

    With ``eps=None`` it minimizes the perturbation and ``norms_`` reports what it found;
    with ``eps`` given it stops a sample as soon as the perturbation is within ``eps``.

    Parameters
    ----------
    model : classifier with ``predict`` (or ``predict_proba``), Booster, torch module
    eps : float or None, default=None
        Target perturbation size in standard units; None minimizes it.
    norm : {"inf", "2"}, default="inf"
    targeted : bool, default=False
    feature_space : FeatureSpace or Box, optional
    bounds : (lower, upper), optional
    max_queries : int, optional
        Hard budget of model rows per sample (the final check included).
    random_state : int, RandomState or None
    steps : int, default=40
        Boundary iterations.
    init_evals : int, default=100
        Decisions per gradient-direction estimate at the first iteration; iteration
        ``t`` uses ``init_evals * sqrt(t + 1)``, at most ``max_evals``.
    max_evals : int, default=1000
    gamma : float, default=1.0
        Sets the binary-search tolerance ``gamma / d**1.5`` (L2) or ``gamma / d**2``
        (L-inf), ``d`` the number of movable values.
    init_trials : int, default=100
        Most candidate rows tried to find an adversarial starting point.

    Attributes
    ----------
    success_, queries_, norms_ : ndarray of shape (n_samples,)

    References
    ----------
    J. Chen, M. I. Jordan, M. J. Wainwright. "HopSkipJumpAttack: A Query-Efficient
    Decision-Based Attack", IEEE S&P 2020.

    Examples
    --------
    >>> from sklearn.svm import LinearSVC
    >>> X = np.random.RandomState(0).normal(size=(40, 2)); y = (X[:, 0] > 0).astype(int)
    >>> model = LinearSVC().fit(X, y)
    >>> attack = HopSkipJump(model, norm="2", steps=5, init_evals=20, random_state=0)
    >>> X_adv = attack.generate(X[:5])
    >>> bool(attack.success_.all()), attack.norms_.shape
    (True, (5,))
    """

    norms = ("inf", "2")
    minimum_norm = True
    needs_scores = False

    def __init__(
        self,
        model: Any,
        *,
        eps: float | None = None,
        norm: Any = "inf",
        targeted: bool = False,
        feature_space: Any = None,
        bounds: Any = None,
        max_queries: int | None = None,
        random_state: Any = None,
        steps: int = 40,
        init_evals: int = 100,
        max_evals: int = 1000,
        gamma: float = 1.0,
        init_trials: int = 100,
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
        self.init_evals = init_evals
        self.max_evals = max_evals
        self.gamma = gamma
        self.init_trials = init_trials

    def _check_params(self) -> str:
        norm = super()._check_params()
        name = type(self).__name__
        check_positive_int(self.steps, name="steps", owner=name)
        check_positive_int(self.init_evals, name="init_evals", owner=name, low=2)
        check_positive_int(self.max_evals, name="max_evals", owner=name, low=2)
        check_positive_int(self.init_trials, name="init_trials", owner=name)
        check_positive(self.gamma, name="gamma", owner=name)
        return norm

    def _generate(
        self, z0: Any, labels: np.ndarray, domain: Any, oracle: Any, rng: np.random.RandomState
    ) -> Any:
        norm = canonical_norm(self.norm, owner=type(self).__name__, allowed=self.norms)
        walk = _Walk(self, z0, labels, domain, oracle, rng, norm)
        best = Best(z0)
        rows = first_check(oracle, z0, labels, self.targeted, best, with_scores=False)
        start, found = walk.initial(rows)
        rows = rows[found[rows]]
        current = z0.copy()
        current[rows] = walk.boundary(start[rows], rows)
        best.offer(rows, current[rows], found[rows], walk.distance(current[rows], rows))
        left = countdown(len(z0))  # progress: a row is done when its walk stops
        for t in range(self.steps):
            if self.eps is not None:
                rows = rows[best.distance[rows] > self.eps]
            evals = min(int(self.init_evals * np.sqrt(t + 1)), self.max_evals)
            counts = np.minimum(evals, budget(oracle, rows) - walk.n_search - 1)
            rows, counts = rows[counts >= 2], counts[counts >= 2]
            left(rows.size)
            if not rows.size:
                break
            dist = walk.distance(current[rows], rows)
            direction = walk.direction(current[rows], rows, counts, dist)
            stepped, ok = walk.jump(current[rows], rows, direction, dist / np.sqrt(t + 1))
            moved = rows[ok]
            current[moved] = walk.boundary(stepped[ok], moved)
            best.offer(moved, current[moved], ok[ok], walk.distance(current[moved], moved))
        return best.z


class _Walk:
    """The steps of HopSkipJump for the samples being attacked (rows of ``z0``)."""

    def __init__(
        self, attack: HopSkipJump, z0: np.ndarray, labels: np.ndarray, domain: Any,
        oracle: Any, rng: np.random.RandomState, norm: str,
    ) -> None:
        self.attack, self.z0, self.labels, self.domain = attack, z0, labels, domain
        self.oracle, self.rng, self.norm = oracle, rng, norm
        self.mask, self.scale = movable(domain, z0), units(domain, z0)
        self.coded = np.zeros(z0.shape[1:], dtype=bool)
        if hasattr(domain, "label_coded"):
            self.coded = domain.label_coded
        dim = max(int(self.mask.sum()), 1)
        self.theta = attack.gamma / (dim**1.5 if norm == "2" else dim**2.0)
        self.radius = np.sqrt(dim) * self.theta if norm == "2" else dim * self.theta
        self.n_search = int(np.ceil(np.log2(1.0 / min(self.theta, 0.5))))

    def distance(self, z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.domain.distance(z, self.z0[rows], self.norm), dtype=np.float64)

    def valid(self, z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Candidates as the rows that would be returned (integers, categories exact)."""
        return self.domain.finalize(z, self.z0[rows], None, self.norm)

    def decide(self, z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        attack = self.attack
        return decisions(self.oracle, z, rows, self.labels, attack.targeted)

    def initial(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """An adversarial row per sample: batch rows with another label, then random rows."""
        start, found = self.z0.copy(), np.zeros(len(self.z0), dtype=bool)
        near = _nearest_others(
            self.z0, self.labels, rows, self.domain, self.attack.init_trials,
            self.attack.targeted,
        )
        coded = categorical_mask(self.domain, self.z0)
        plain = self.mask & ~coded
        for trial in range(self.attack.init_trials):
            todo = rows[~found[rows] & (budget(self.oracle, rows) >= 1)]
            if not todo.size:
                break
            # unbounded values: the rows' range plus 3, 6, 12... units as tries fail
            low, high = sampling_box(self.domain, self.z0, 3.0 * 2.0 ** (trial // 20))
            shape = (len(todo),) + self.z0.shape[1:]
            noise = low + self.rng.random_sample(shape) * (high - low)
            noise = np.where(plain, noise, self.z0[todo])
            noise = random_categories(self.domain, noise, np.broadcast_to(coded, shape), self.rng)
            other = near[np.searchsorted(rows, todo), trial] if trial < near.shape[1] else -1
            other = np.broadcast_to(other, (len(todo),))
            candidate = np.where(per_row(other >= 0, noise), self.z0[other], noise)
            candidate = self.valid(candidate, todo)
            adversarial = self.decide(candidate, todo)
            start[todo[adversarial]] = candidate[adversarial]
            found[todo[adversarial]] = True
        return start, found

    def blend(self, z1: np.ndarray, rows: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The point a fraction ``t`` of the way from the input to ``z1`` (``norm`` path)."""
        z0 = self.z0[rows]
        change = np.nan_to_num(z1 - z0, nan=0.0)
        if self.norm == "2":
            out = z0 + per_row(t, z0) * change
        else:
            reach = norm_of(delta(z1, z0, self.domain) * ~self.coded, "inf")
            limit = per_row(t * reach, z0) * self.scale
            out = z0 + np.clip(change, -limit, limit)
        return np.where(self.coded & per_row(t > 0.5, z0), z1, np.where(self.coded, z0, out))

    def boundary(self, z_adv: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Binary search between the inputs and adversarial rows; the adversarial end."""
        low, high = np.zeros(len(rows)), np.ones(len(rows))
        out = z_adv.copy()
        for _ in range(self.n_search):
            go = np.flatnonzero((high - low > self.theta) & (budget(self.oracle, rows) >= 1))
            if not go.size:
                break
            mid = (low[go] + high[go]) / 2
            candidate = self.valid(self.blend(z_adv[go], rows[go], mid), rows[go])
            adversarial = self.decide(candidate, rows[go])
            out[go[adversarial]] = candidate[adversarial]
            high[go[adversarial]] = mid[adversarial]
            low[go[~adversarial]] = mid[~adversarial]
        return out

    def direction(
        self, z: np.ndarray, rows: np.ndarray, counts: np.ndarray, dist: np.ndarray
    ) -> np.ndarray:
        """Monte-Carlo estimate of the boundary normal at ``z`` (unit step, ``norm``)."""
        owner = np.repeat(np.arange(len(rows)), counts)
        shape = (len(owner),) + z.shape[1:]
        u = unit_directions(shape, self.mask, self.rng, uniform=self.norm == "inf")
        size = per_row(np.maximum(self.radius * dist[owner], 1e-12), u)
        around = self.domain.project(
            z[owner] + size * u * self.scale, self.z0[rows[owner]], None, self.norm
        )
        u = delta(around, z[owner], self.domain) / size
        phi = np.where(self.decide(around, rows[owner]), 1.0, -1.0)
        mean = group_sums(phi, counts) / counts
        centered = np.where(np.abs(mean[owner]) == 1.0, phi, phi - mean[owner])
        return normalized(group_sums(per_row(centered, u) * u, counts), self.norm)

    def jump(
        self, z: np.ndarray, rows: np.ndarray, direction: np.ndarray, size: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Step along ``direction``, halving the step until the row is adversarial."""
        out, ok, size = z.copy(), np.zeros(len(rows), dtype=bool), size.copy()
        for _ in range(_MAX_HALVINGS):
            go = np.flatnonzero(~ok & (budget(self.oracle, rows) >= 1))
            if not go.size:
                break
            moved = z[go] + per_row(size[go], z) * direction[go] * self.scale
            candidate = self.valid(moved, rows[go])
            adversarial = self.decide(candidate, rows[go])
            out[go[adversarial]] = candidate[adversarial]
            ok[go[adversarial]] = True
            size[go[~adversarial]] /= 2
        return out, ok


def _nearest_others(
    z0: np.ndarray, labels: np.ndarray, rows: np.ndarray, domain: Any, k: int, targeted: bool
) -> np.ndarray:
    """Per row, the indices of the ``k`` nearest other rows (-1 past the end).

    Untargeted, only rows with another label are candidates. Distances are L2 in
    standard units, computed in chunks to bound memory.
    """
    coords = np.nan_to_num(z0 / units(domain, z0), nan=0.0).reshape(len(z0), -1)
    k = min(k, len(z0) - 1)
    out = np.full((len(rows), max(k, 0)), -1, dtype=np.int64)
    if k <= 0:
        return out
    sq = (coords * coords).sum(1)
    for lo in range(0, len(rows), 256):
        chunk = rows[lo : lo + 256]
        dist = sq[chunk, None] + sq[None, :] - 2.0 * coords[chunk] @ coords.T
        dist[np.arange(len(chunk)), chunk] = np.inf
        if not targeted:
            dist[labels[chunk, None] == labels[None, :]] = np.inf
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        finite = np.isfinite(np.take_along_axis(dist, order, axis=1))
        out[lo : lo + 256] = np.where(finite, order, -1)
    return out
