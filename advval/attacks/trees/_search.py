"""Search over threshold crossings: the moves of :class:`~advval.attacks.TreeAttack`.

The lattice
-----------
A tree ensemble is piecewise constant: along a numeric feature, only the intervals
between its split thresholds matter. For each sample and each attackable feature the
*levels* number those intervals outward from the sample's own value: level 0 is the
original value, level ``+k`` the cheapest point of the ``k``-th interval above it (just
across a threshold: the nearest float32 above it, or the next whole number for integer
features; for LightGBM, which reads ``|x| <= 1e-35`` as 0, outside that band where the
crossing needs it: :func:`zero_band_cuts`), level ``-k`` the ``k``-th interval below. A
label-coded categorical column has one level per allowed category (``code - original
code``), a one-hot group one level per member. A candidate row is a vector of levels, so
every move is a crossing and the search never wastes a step inside an interval. Bounds,
monotone directions, immutable columns, missing values and (L-inf, L2) the budget per
feature shrink each sample's level range.

The search
----------
``grow``: beam search from the original rows. A move changes one feature's level; all
moves of all beam states are scored at once with the exact ensemble: a tree is re-walked
only when the state's path in it reads the moved feature and the new value leaves the
interval that path allows, and then from the first node that reads the feature. The
moves of a label-coded column that the model splits only categorically go down each such
tree together, as a set of categories that its splits on the column divide, so a tree is
walked once per leaf the categories reach rather than once per category.
A move that flips the prediction ends the search for its sample (the smallest norm wins);
otherwise the moves that lower the margin are ranked by margin gained per unit of norm
and the best ``beam_width`` distinct states go on. Samples without an improving move look
further (more crossings per feature); samples that still fail start from the nearest row
of the batch that the model already classifies as wanted (the known adversarial points of
LT-Attack), snapped onto their lattice.

``refine``: shrink the perturbation while staying adversarial. Under L-inf the current
solution is clipped into a smaller box (half the radius, then the next smaller crossing)
and a greedy descent restricted to that box searches for a new adversarial point; under
L2 and L0 one feature steps back toward the original, then the same descent runs inside
the smaller ball. It stops when a smaller radius fails.

References
----------
Zhang, Zhang and Hsieh, "An Efficient Adversarial Attack for Tree Ensembles", NeurIPS
2020 (LT-Attack: search over neighbouring leaf tuples, starting from known adversarial
points).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._ensemble import ZERO_THRESHOLD, Ensemble, PathRecord

NUM, CODE, GROUP = 0, 1, 2

#: evenly spread levels tried per side under L0 (a changed feature moves for free)
_SPREAD = 6
#: most crossings per feature and direction a stuck sample widens its search to
_WIDEST = 32
#: candidate rows evaluated per block (bounds the memory of one step)
_BLOCK_CELLS = 4_000_000
#: most categories of a label-coded column whose moves are walked together (one bit each)
_BITS = 64


def float32_above(t: np.ndarray) -> np.ndarray:
    """The smallest float32 strictly above each float64 ``t``.

    Examples
    --------
    >>> float(float32_above(np.array([0.5]))[0]) > 0.5
    True
    """
    v = np.asarray(t, dtype=np.float64).astype(np.float32)
    bump = v.astype(np.float64) <= t
    v[bump] = np.nextafter(v[bump], np.float32(np.inf))
    return v.astype(np.float64)


def float32_below(t: np.ndarray) -> np.ndarray:
    """The largest float32 at or below each float64 ``t``."""
    v = np.asarray(t, dtype=np.float64).astype(np.float32)
    drop = v.astype(np.float64) > t
    v[drop] = np.nextafter(v[drop], np.float32(-np.inf))
    return v.astype(np.float64)


def zero_band_cuts(thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values to cross upward and downward past each threshold of a LightGBM model,
    which reads ``|x| <= 1e-35`` as 0 (:meth:`Ensemble.as_input`).

    A value just above ``t`` in ``[0, 1e-35)`` is read as 0, not above ``t``: an upward
    crossing leaves the band, past its top edge. A value just below ``t`` in
    ``[-1e-35, 0)`` is read as 0, not below ``t``: a downward crossing leaves the band,
    past the largest double below it. LightGBM writes a threshold of -1e-35 beside its zero
    bin whenever a column holds zeros and negative numbers; the float32 below it is
    -1e-35 itself, read as 0. Every other crossing stays next to its threshold, where a
    value is on the same side of it read either way (as LightGBM or as itself, e.g. by an
    ONNX export of the model).

    Examples
    --------
    >>> up, down = zero_band_cuts(np.array([-ZERO_THRESHOLD, 0.0, 0.5]))
    >>> float(float32_below(down)[0]) < -ZERO_THRESHOLD < float(float32_above(up)[0]) < 0
    True
    >>> bool(float32_above(up)[1] > ZERO_THRESHOLD), float(float32_below(down)[1])
    (True, 0.0)
    """
    t = np.asarray(thresholds, dtype=np.float64)
    up = np.where((t >= 0.0) & (t < ZERO_THRESHOLD), ZERO_THRESHOLD, t)
    below = np.nextafter(-ZERO_THRESHOLD, -np.inf)
    down = np.where((t >= -ZERO_THRESHOLD) & (t < 0.0), below, t)
    return up, down


@dataclass
class _Feature:
    """One attackable feature: a column, a label-coded column or a one-hot group."""

    kind: int
    columns: np.ndarray
    origin: np.ndarray  # (n,) value, code or member of each sample
    low: np.ndarray  # (n,) lowest level allowed
    high: np.ndarray  # (n,) highest level allowed
    scale: float = 1.0
    up: np.ndarray = field(default_factory=lambda: np.zeros(0))  # sorted values above
    down: np.ndarray = field(default_factory=lambda: np.zeros(0))  # sorted values below
    above: np.ndarray | int = 0  # index in ``up`` of level 1
    below: np.ndarray | int = 0  # index in ``down`` just past level -1
    table: np.ndarray = field(default_factory=lambda: np.zeros(0))  # model value per code


def _directions(
    monotone: float, low: np.ndarray, high: np.ndarray, frozen: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Level range after monotone directions; frozen samples (NaN, invalid) stay at 0."""
    low = np.minimum(low, 0) if monotone <= 0 else np.zeros_like(low)
    high = np.maximum(high, 0) if monotone >= 0 else np.zeros_like(high)
    return np.where(frozen, 0, low), np.where(frozen, 0, high)


@dataclass
class States:
    """A batch of candidate rows given as levels, with their exact evaluation."""

    owner: np.ndarray  # (S,) sample of each state
    levels: np.ndarray  # (S, F)
    M: np.ndarray  # (S, d) rows as the model reads them
    raw: np.ndarray  # (S, n_outputs)
    loss: np.ndarray  # (S,) margin of the wanted outcome; < -tol means success
    cost: np.ndarray  # (S, F) per-feature cost in the norm's units
    norm: np.ndarray  # (S,)
    leaves: np.ndarray | None  # (S, T)
    paths: PathRecord | None  # per (state * T + tree, feature): see PathRecord
    key: np.ndarray  # (S,) uint64 hash of the levels


@dataclass
class Moves:
    """One-feature moves from states: ``levels[b, f] <- l``."""

    b: np.ndarray
    f: np.ndarray
    l: np.ndarray  # noqa: E741
    norm: np.ndarray
    loss: np.ndarray
    key: np.ndarray


class Lattice:
    """The levels every sample may take, and exact evaluation of rows given as levels.

    Parameters
    ----------
    ensemble : Ensemble
    domain : Domain
        The bound FeatureSpace (bounds, scale, masks).
    z0 : ndarray of shape (n, d)
        The encoded rows being attacked.
    labels : int array of shape (n,)
        Classes to move away from (or toward, when ``targeted``).
    targeted : bool
    norm : {"inf", "2", "0"}
    eps : float or None
    tables : dict
        ``{column: model value of each category code}`` for label-coded columns.
    rng : RandomState
    """

    def __init__(
        self,
        ensemble: Ensemble,
        domain: Any,
        z0: np.ndarray,
        labels: np.ndarray,
        *,
        targeted: bool,
        norm: str,
        eps: float | None,
        tables: dict[int, np.ndarray],
        rng: np.random.RandomState,
    ) -> None:
        self.ens = ensemble
        self.z0 = z0
        self.labels = labels
        self.targeted = targeted
        self.norm = norm
        self.eps = eps
        self.tables = tables
        self.n, self.d = z0.shape
        self.tol = 1e-9 * max(1.0, ensemble.scale())
        self._build(domain)
        self.weights = rng.randint(1, 2**62, size=max(self.n_features, 1)).astype(np.uint64)
        # dense ranks of the path bounds: one integer sort orders the trees of a move
        self._high_values, rank = np.unique(ensemble.high_table, return_inverse=True)
        self._high_rank = rank.ravel()
        self._low_values, rank = np.unique(-ensemble.low_table, return_inverse=True)
        self._low_rank = rank.ravel()
        # without NaN bounds, value order is rank order: prefixes come from one searchsorted
        self._ranked = not (np.isnan(self._high_values).any() or np.isnan(self._low_values).any())
        # per feature, the trees that split on it (sorted): only their paths can read it
        inner = ~ensemble.leaf
        tree_of = np.repeat(np.arange(ensemble.n_trees), np.diff(np.append(ensemble.roots,
                                                                          len(ensemble.leaf))))
        slot = self.slot[ensemble.feature[inner]]
        pairs = np.unique(slot[slot >= 0] * ensemble.n_trees + tree_of[inner][slot >= 0])
        self._trees = pairs % ensemble.n_trees
        self._tree_start = np.searchsorted(
            pairs // ensemble.n_trees, np.arange(self.n_features + 1)
        )
        self._shared, self._left_bits = self._category_bits()

    # -- construction ------------------------------------------------------------------

    def _build(self, domain: Any) -> None:
        ens, n = self.ens, self.n
        used = ens.used_features()
        cat_cost = 1.0 if self.norm == "0" else float(domain.categorical_distance)
        affordable = np.isfinite(cat_cost) and (
            self.eps is None or self.norm == "0" or cat_cost <= self.eps * (1 + 1e-12)
        )
        grouped = {int(j) for group in domain.groups for j in group}
        numeric = used & domain.mutable & ~ens.categorical_features()
        self._thresholds = ens.numeric_thresholds()
        features: list[_Feature | None] = [
            self._numeric(domain, int(j))
            for j in np.flatnonzero(numeric)
            if j not in domain.categories and j not in grouped
        ]
        if affordable:
            features += [
                self._coded(domain, j)
                for j in sorted(domain.categories)
                if domain.mutable[j] and used[j] and len(domain.categories[j]) > 1
            ]
            features += [
                self._group(domain, np.asarray(group, dtype=np.int64))
                for group in domain.groups
                if domain.mutable[group].all() and used[group].any()
                and not np.any(domain.monotone[group] != 0)
            ]
        kept = [f for f in features if f is not None and np.any(f.high > f.low)]

        self.n_features = F = len(kept)
        self.kind = np.array([f.kind for f in kept], dtype=np.int64)
        self.col = np.array([f.columns[0] if f.kind != GROUP else -1 for f in kept],
                            dtype=np.int64)
        width = max((len(f.columns) for f in kept), default=1)
        self.members = np.full((F, width), -1, dtype=np.int64)
        self.slot = np.full(self.d, -1, dtype=np.int64)
        for k, f in enumerate(kept):
            self.members[k, : len(f.columns)] = f.columns
            self.slot[f.columns] = k
        self.scale = np.array([f.scale for f in kept], dtype=np.float64)
        self.cat_cost = cat_cost

        def stack(name: str, dtype: Any) -> np.ndarray:
            if not F:
                return np.zeros((n, 0), dtype=dtype)
            columns = [np.broadcast_to(getattr(f, name), (n,)) for f in kept]
            return np.column_stack(columns).astype(dtype)

        self.origin = stack("origin", np.float64)
        self.lo, self.hi = stack("low", np.int64), stack("high", np.int64)
        ups, downs = [f.up for f in kept], [f.down for f in kept]
        self.up_start = np.cumsum([0] + [len(u) for u in ups])
        self.down_start = np.cumsum([0] + [len(v) for v in downs])
        self.up = np.concatenate(ups + [np.array([np.nan])])
        self.down = np.concatenate(downs + [np.array([np.nan])])
        self.p = stack("above", np.int64) + self.up_start[:-1]
        self.q = stack("below", np.int64) + self.down_start[:-1]
        tables = [f.table for f in kept]
        self.tab_start = np.cumsum([0] + [len(t) for t in tables])
        self.tab = self.ens.as_input(np.concatenate(tables + [np.array([np.nan])])[None, :])[0]
        self.span = int((self.hi - self.lo).max(initial=0))

    def _numeric(self, domain: Any, j: int) -> _Feature | None:
        """Levels of numeric column ``j``: the intervals between its thresholds."""
        thresholds = self._thresholds[j]
        if not thresholds.size:
            return None
        if domain.integer[j]:
            up = np.unique(np.floor(thresholds) + 1.0)
            down = np.unique(np.floor(thresholds))
        else:
            cut_up, cut_down = thresholds, thresholds
            if self.ens.zero_band:
                cut_up, cut_down = zero_band_cuts(thresholds)
            up = np.unique(float32_above(cut_up))
            down = np.unique(float32_below(cut_down))
        o, s = self.z0[:, j], float(domain.scale[j])
        above = np.searchsorted(up, o, "right")  # up values at or below o
        below = np.searchsorted(down, o, "left")  # down values below o
        high = np.searchsorted(up, np.fmax(domain.upper[j], o), "right") - above
        low = np.searchsorted(down, np.fmin(domain.lower[j], o), "left") - below
        if self.eps is not None and self.norm != "0":
            high = np.minimum(high, np.searchsorted(up, o + self.eps * s, "right") - above)
            low = np.maximum(low, np.searchsorted(down, o - self.eps * s, "left") - below)
        low, high = _directions(domain.monotone[j], low, high, np.isnan(o))
        return _Feature(NUM, np.array([j]), o, low, high, s, up, down, above, below)

    def _coded(self, domain: Any, j: int) -> _Feature:
        """Levels of label-coded column ``j``: ``code - original code``."""
        o = self.z0[:, j]
        code = np.where(np.isnan(o), 0, o).astype(np.int64)
        low, high = -code, len(domain.categories[j]) - 1 - code
        low, high = _directions(domain.monotone[j], low, high, np.isnan(o))
        return _Feature(CODE, np.array([j]), code.astype(float), low, high,
                        table=self.tables[j])

    def _group(self, domain: Any, group: np.ndarray) -> _Feature:
        """Levels of a one-hot group: ``member - original member``."""
        block = self.z0[:, group]
        valid = ((block == 1).sum(1) == 1) & ((block == 0) | (block == 1)).all(1)
        member = np.where(valid, block.argmax(1), 0)
        low, high = _directions(0, -member, len(group) - 1 - member, ~valid)
        return _Feature(GROUP, group, member.astype(float), low, high)

    def _category_bits(self) -> tuple[np.ndarray, np.ndarray]:
        """Label-coded features whose moves share their walks, and per node their bits.

        A feature qualifies when every split on it is categorical and it has at most
        ``_BITS`` categories: bit ``j`` of ``left_bits[node]`` says whether category ``j``
        (as the model reads it) goes left at a node splitting on it (:meth:`Ensemble._go`).
        """
        ens = self.ens
        shared = np.zeros(self.n_features, dtype=bool)
        left_bits = np.zeros(len(ens.leaf), dtype=np.uint64)
        inner = ~ens.leaf
        for k in np.flatnonzero(self.kind == CODE):
            values = self.tab[self.tab_start[k] : self.tab_start[k + 1]]
            nodes = np.flatnonzero(inner & (ens.feature == self.col[k]))
            if len(values) > _BITS or not nodes.size or np.any(ens.category[nodes] < 0):
                continue
            at = np.repeat(nodes, len(values))
            left = ens._go(np.tile(values, len(nodes)), at) == ens.left[at]
            weight = np.left_shift(np.uint64(1), np.arange(len(values), dtype=np.uint64))
            left_bits[nodes] = (left.reshape(len(nodes), -1) * weight).sum(1, dtype=np.uint64)
            shared[k] = True
        return shared, left_bits

    # -- rows from levels --------------------------------------------------------------

    def num_value(self, i: np.ndarray, f: np.ndarray, level: np.ndarray) -> np.ndarray:
        """Internal value of numeric feature ``f`` at ``level`` for sample ``i``."""
        up = self.up[np.minimum(np.maximum(self.p[i, f] + level - 1, 0), len(self.up) - 1)]
        down = self.down[np.minimum(np.maximum(self.q[i, f] + level, 0), len(self.down) - 1)]
        return np.where(level > 0, up, np.where(level < 0, down, self.origin[i, f]))

    def cost(self, i: np.ndarray, f: np.ndarray, level: np.ndarray) -> np.ndarray:
        """Per-feature cost of ``level``: |change| / scale, the category cost, or 1 (L0)."""
        moved = level != 0
        if self.norm == "0":
            return moved * 1.0
        num = self.kind[f] == NUM
        with np.errstate(invalid="ignore"):
            change = np.abs(self.num_value(i, f, level) - self.origin[i, f]) / self.scale[f]
        return np.where(moved, np.where(num, change, self.cat_cost), 0.0)

    def aggregate(self, cost: np.ndarray) -> np.ndarray:
        """The norm of per-feature costs (S, F) -> (S,)."""
        if self.norm == "inf":
            return cost.max(1, initial=0.0)
        if self.norm == "2":
            return np.sqrt((cost * cost).sum(1))
        return cost.sum(1)

    def rows(self, owner: np.ndarray, levels: np.ndarray) -> np.ndarray:
        """Internal rows (S, d) for states given as levels (S, F)."""
        Z = np.take(self.z0, owner, axis=0)  # a new array
        num = np.flatnonzero(self.kind == NUM)
        if num.size:
            Z[:, self.col[num]] = self.num_value(owner[:, None], num[None, :], levels[:, num])
        code = np.flatnonzero(self.kind == CODE)
        if code.size:
            moved = levels[:, code] != 0
            value = self.origin[owner][:, code] + levels[:, code]
            Z[:, self.col[code]] = np.where(moved, value, Z[:, self.col[code]])
        for f in np.flatnonzero(self.kind == GROUP):
            moved = np.flatnonzero(levels[:, f] != 0)
            if moved.size:
                mem = self.members[f][self.members[f] >= 0]
                Z[moved[:, None], mem[None, :]] = 0.0
                member = (self.origin[owner[moved], f] + levels[moved, f]).astype(np.int64)
                Z[moved, mem[member]] = 1.0
        return Z

    def model_rows(self, Z: np.ndarray) -> np.ndarray:
        """Rows as the model reads them: category codes become the model's values."""
        return model_rows(self.ens, self.tables, Z)

    def loss(self, raw: np.ndarray, owner: np.ndarray) -> np.ndarray:
        """Margin of the wanted outcome: below ``-tol`` the model does what we want."""
        return margin(self.ens, raw, self.labels[owner], self.targeted)

    def states(self, owner: np.ndarray, levels: np.ndarray, *, paths: bool = True) -> States:
        """Evaluate rows given as levels exactly (``paths`` keeps what moves need)."""
        owner = np.asarray(owner, dtype=np.int64)
        levels = np.asarray(levels, dtype=np.int64).reshape(len(owner), self.n_features)
        M = model_rows(self.ens, self.tables, self.rows(owner, levels), copy=False)
        ens = self.ens
        S, T = len(owner), ens.n_trees
        record = PathRecord.empty(S * T, self.slot, self.n_features) if paths else None
        leaves = ens.traverse(
            M, np.repeat(np.arange(S), T), np.tile(ens.roots, S), record
        ).reshape(S, T)
        raw = ens.raw_from_leaves(leaves)
        cost = self.cost(owner[:, None], np.arange(self.n_features)[None, :], levels)
        key = (levels.astype(np.uint64) * self.weights[: self.n_features]).sum(1, dtype=np.uint64)
        return States(
            owner=owner,
            levels=levels,
            M=M,
            raw=raw,
            loss=self.loss(raw, owner),
            cost=cost,
            norm=self.aggregate(cost),
            leaves=leaves if paths else None,
            paths=record,
            key=key,
        )

    # -- moves -------------------------------------------------------------------------

    def candidates(
        self,
        st: States,
        K: np.ndarray,
        *,
        radius: np.ndarray | None = None,
        spread: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One-feature moves from every state: ``(state, feature, new level)``.

        Numeric features try the ``K[state]`` nearest crossings each way, the original
        value, the edges of the box of ``radius`` (L-inf) and an even spread of levels
        (L0); categorical features try every category.
        """
        S, F = st.levels.shape
        if F == 0 or S == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        i = st.owner
        L = st.levels
        lo, hi = self.lo[i], self.hi[i]
        k_max = int(K.max())
        offsets = np.concatenate([np.arange(-k_max, 0), np.arange(1, k_max + 1)])
        near = L[:, :, None] + offsets
        near_ok = np.abs(offsets)[None, None, :] <= K[:, None, None]
        parts = [np.where(near_ok, near, 0), np.zeros((S, F, 1), dtype=np.int64)]
        if radius is not None:
            parts.append(self.edges(i, radius))
        if spread:
            steps = np.arange(1, _SPREAD + 1) / _SPREAD
            parts.append(np.rint(hi[:, :, None] * steps).astype(np.int64))
            parts.append(np.rint(lo[:, :, None] * steps).astype(np.int64))
        cand = np.concatenate(parts, axis=2)
        valid = (cand >= lo[:, :, None]) & (cand <= hi[:, :, None]) & (cand != L[:, :, None])
        sentinel = np.iinfo(np.int64).max
        cand = np.sort(np.where(valid, cand, sentinel), axis=2)
        keep = cand != sentinel
        keep[:, :, 1:] &= cand[:, :, 1:] != cand[:, :, :-1]
        cat = np.flatnonzero(self.kind != NUM)
        if not cat.size:
            s, f, w = np.nonzero(keep)
            return s, f, cand[s, f, w]
        # categorical features try every allowed level (a superset of the moves above)
        keep[:, cat] = False
        s, f, w = np.nonzero(keep)
        width = int((self.hi[:, cat] - self.lo[:, cat]).max(initial=0)) + 1
        every = lo[:, cat, None] + np.arange(width)
        s2, c2, w2 = np.nonzero((every <= hi[:, cat, None]) & (every != L[:, cat, None]))
        s, f = np.concatenate([s, s2]), np.concatenate([f, cat[c2]])
        level = np.concatenate([cand[s[: len(w)], f[: len(w)], w], every[s2, c2, w2]])
        order = np.argsort(s * F + f, kind="stable")  # by state, then feature
        return s[order], f[order], level[order]

    def edges(self, i: np.ndarray, radius: np.ndarray) -> np.ndarray:
        """Farthest levels within ``radius`` each way, (S, F, 2) (numeric features)."""
        num = self.kind == NUM
        f = np.arange(self.n_features)[None, :]
        o = self.origin[i]
        reach = radius[:, None] * self.scale[None, :]
        with np.errstate(invalid="ignore"):
            top = _search_sorted(
                self.up, self.up_start[f], self.up_start[f + 1], o + reach, "right"
            )
            bottom = _search_sorted(
                self.down, self.down_start[f], self.down_start[f + 1], o - reach, "left"
            )
        count_up = np.minimum(np.maximum(top - self.p[i], 0), self.hi[i])
        count_down = np.minimum(np.maximum(self.q[i] - bottom, 0), -self.lo[i])
        out = np.stack([count_up, -count_down], axis=2)
        return np.where(num[None, :, None], out, 0)

    def moves(
        self, st: States, s: np.ndarray, f: np.ndarray, level: np.ndarray,
        limit: np.ndarray | float | None = None,
    ) -> Moves:
        """Score the moves ``levels[s, f] <- level`` exactly (``limit``: largest norm)."""
        i = st.owner[s]
        new = self.cost(i, f, level)
        norm = self._norm_after(st, s, f, new)
        if limit is not None:
            bound = limit[s] if isinstance(limit, np.ndarray) else limit
            ok = norm <= bound * (1 + 1e-12) + 1e-15
            s, f, level, norm = s[ok], f[ok], level[ok], norm[ok]
            i = st.owner[s]
        raw = self._raw_after(st, s, f, level)
        delta = (level - st.levels[s, f]).astype(np.uint64) * self.weights[f]
        return Moves(
            b=s, f=f, l=level, norm=norm, loss=self.loss(raw, i), key=st.key[s] + delta
        )

    def _norm_after(
        self, st: States, s: np.ndarray, f: np.ndarray, new: np.ndarray
    ) -> np.ndarray:
        cost = st.cost
        if self.norm == "inf":
            if cost.shape[1] == 1:
                return new
            top = np.argsort(-cost, axis=1, kind="stable")[:, :2]
            first = cost[np.arange(len(cost)), top[:, 0]]
            second = cost[np.arange(len(cost)), top[:, 1]]
            other = np.where(top[s, 0] == f, second[s], first[s])
            return np.maximum(other, new)
        if self.norm == "2":
            total = (cost * cost).sum(1)
            return np.sqrt(np.maximum(total[s] - cost[s, f] ** 2 + new * new, 0.0))
        return cost.sum(1)[s] - cost[s, f] + new

    def _raw_after(
        self, st: States, s: np.ndarray, f: np.ndarray, level: np.ndarray
    ) -> np.ndarray:
        """Exact raw outputs after each move: re-walk only the trees the move can change."""
        ens = self.ens
        out = st.raw[s]
        paths = st.paths
        assert paths is not None and st.leaves is not None
        block = max(1, _BLOCK_CELLS // max(self.d + ens.n_trees, 1))
        for lo in range(0, len(s), block):
            part = slice(lo, lo + block)
            sb, fb, lb = s[part], f[part], level[part]
            # each candidate row is its state's row with one or two cells changed
            columns, values = self._changed_cells(st, sb, fb, lb)
            r = np.arange(len(sb))
            kind = self.kind[fb]
            # The trees a move can change: those whose path reads the feature and allows
            # an interval (low, high] of its values that the new value leaves. Per (state,
            # feature) the trees are sorted by their bound, so a move up changes a prefix
            # sorted by ``high`` and a move down a prefix sorted by ``-low``.
            F, T = self.n_features, ens.n_trees
            group, inverse = _groups(sb * F + fb)
            gs, gf = group // F, group % F
            # (group, tree) for the trees that split on the group's feature, tree-ordered
            ts, n_t = self._tree_start[gf], np.diff(self._tree_start)[gf]
            g = np.repeat(np.arange(len(group)), n_t)
            tree = self._trees[np.arange(len(g)) + np.repeat(ts - (np.cumsum(n_t) - n_t), n_t)]
            read = paths.first[gs[g] * T + tree, gf[g]] >= 0
            g, tree = g[read], tree[read]
            pair = gs[g] * T + tree
            shared = self._shared[fb]
            if shared.any():
                bit = (self.origin[st.owner[sb], fb] + lb).astype(np.int64)
                key = inverse[shared] * _BITS + bit[shared]
                if np.unique(key).size < key.size:  # a move twice: walked one by one
                    shared[:] = False
            if shared.any():
                c2, delta2 = self._code_walks(
                    st, np.flatnonzero(shared), inverse[shared], bit[shared], g, tree, pair, gf
                )
                walked = np.zeros(len(group), dtype=bool)
                walked[inverse[shared]] = True
                rest = ~walked[g]
                g, tree, pair = g[rest], tree[rest], pair[rest]
            high_at, low_at = paths.high[pair, gf[g]], paths.low[pair, gf[g]]
            high, low = ens.high_table[high_at], ens.low_table[low_at]
            counts = np.bincount(g, minlength=len(group))
            first = np.cumsum(counts) - counts
            # per group, the trees by bound: the order of np.lexsort((high, g)) and
            # np.lexsort((-low, g)), from one stable sort of integer keys (dense ranks)
            by_high = _by_group(g, self._high_rank, high_at)
            by_low = _by_group(g, self._low_rank, low_at)
            column = np.maximum(self.col[fb], 0)
            new, now = values[:, 0], st.M[sb, column]
            lo_c, hi_c = first[inverse], first[inverse] + counts[inverse]
            up = new > now
            if self._ranked:
                # trees of the group with high < new (up), with -low <= -new (down)
                count = np.empty(len(sb), dtype=np.int64)
                down = ~up
                count[up] = _ranked_prefix(
                    g, high_at, by_high, self._high_rank, inverse[up],
                    np.searchsorted(self._high_values, new[up], "left"),
                )
                count[down] = _ranked_prefix(
                    g, low_at, by_low, self._low_rank, inverse[down],
                    np.searchsorted(self._low_values, -new[down], "right"),
                )
                count -= lo_c
            else:
                count = np.where(
                    up,
                    _search_sorted(high[by_high], lo_c, hi_c, new, "left"),
                    _search_sorted(-low[by_low], lo_c, hi_c, -new, "right"),
                ) - lo_c
            count = np.where(kind == GROUP, counts[inverse], count)
            count[shared] = 0  # walked together above
            c = np.repeat(r, count)
            at = lo_c[c] + np.arange(len(c)) - np.repeat(np.cumsum(count) - count, count)
            at = np.where(kind[c] == GROUP, at, np.where(up[c], by_high[at], by_low[at]))
            tree, pair = tree[at], pair[at]
            entry = paths.first[pair, fb[c]].astype(np.int64)
            leaves = ens.traverse(st.M, sb[c], entry, changed=(columns[c], values[c]))
            delta = ens.value[leaves] - ens.value[st.leaves[sb[c], tree]]
            if shared.any():  # each move's trees in the same order either way
                c, delta = np.concatenate([c, c2]), np.concatenate([delta, delta2])
            for k in range(ens.n_outputs):
                out[part, k] += np.bincount(c, weights=delta[:, k], minlength=len(sb))
        return out

    def _code_walks(
        self, st: States, move: np.ndarray, group: np.ndarray, bit: np.ndarray,
        g: np.ndarray, tree: np.ndarray, pair: np.ndarray, feature: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Leaf changes of moves of label-coded features, the moves of a state and
        feature walked together: ``(move, delta)`` per (move, tree), trees in order.

        ``move``, ``group`` and ``bit``: the moves (indices in the block), their (state,
        feature) group and category; ``g``, ``tree``, ``pair``: the (group, tree) pairs
        whose path reads the group's feature, trees in order within a group; ``feature``:
        each group's feature. Every tree a move can change is walked once for all the
        group's categories: a walk carries the set of categories (bits) that reach its
        node, and a split on the feature divides it (:meth:`_category_bits`), so a walk
        ends in each leaf some category reaches instead of one walk per move.
        """
        ens = self.ens
        groups, at_group = np.unique(group, return_inverse=True)
        which = np.full((len(groups), _BITS), -1, dtype=np.int64)
        which[at_group, bit] = move
        bits = np.zeros(len(groups), dtype=np.uint64)
        np.bitwise_or.at(bits, at_group, np.left_shift(np.uint64(1), bit.astype(np.uint64)))
        slot = np.full(len(feature), -1, dtype=np.int64)
        slot[groups] = np.arange(len(groups))
        p = np.flatnonzero(slot[g] >= 0)  # the walks, by group then tree
        assert st.paths is not None and st.leaves is not None
        node = st.paths.first[pair[p], feature[g[p]]].astype(np.int64)
        mask = bits[slot[g[p]]]
        column = self.col[feature[g[p]]]
        M = np.ascontiguousarray(st.M)
        flat, width = M.ravel(), M.shape[1]
        nan = bool(np.isnan(flat).any())
        base = (pair[p] // ens.n_trees) * width
        ended: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        while p.size:
            feat = ens.feature[node]
            on = feat == column
            split, other = np.flatnonzero(on), np.flatnonzero(~on)
            left = self._left_bits[node[split]]
            to_left, to_right = mask[split] & left, mask[split] & ~left
            goes_left, goes_right = to_left != 0, to_right != 0
            child = ens._step(flat[base[other] + feat[other]], node[other], nan)
            keep = [other, split[goes_left], split[goes_right]]
            node = np.concatenate([child, ens.left[node[split[goes_left]]],
                                   ens.right[node[split[goes_right]]]])
            mask = np.concatenate([mask[other], to_left[goes_left], to_right[goes_right]])
            index = np.concatenate(keep)
            p, base, column = p[index], base[index], column[index]
            done = ens.leaf[node]
            ended.append((p[done], node[done], mask[done]))
            walk = ~done
            p, node, mask, base, column = p[walk], node[walk], mask[walk], base[walk], column[walk]
        if not ended:  # no tree of these groups reads their feature on its path
            return np.empty(0, dtype=np.int64), np.empty((0,) + ens.value.shape[1:])
        p, leaf, mask = (np.concatenate(part) for part in zip(*ended, strict=True))
        order = np.argsort(p, kind="stable")
        p, leaf, mask = p[order], leaf[order], mask[order]
        change = ens.value[leaf] - ens.value[st.leaves[pair[p] // ens.n_trees, tree[p]]]
        # each walk's change goes to every move whose category reached its leaf
        bytes_ = mask.astype("<u8").view(np.uint8).reshape(len(mask), 8)
        e, j = np.nonzero(np.unpackbits(bytes_, axis=1, bitorder="little"))
        return which.ravel()[slot[g[p]][e] * _BITS + j], change[e]

    def _changed_cells(
        self, st: States, s: np.ndarray, f: np.ndarray, level: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The cells of the rows the moves ``levels[s, f] <- level`` change, as the model
        reads them: ``(columns, values)`` of shape (n_moves, 2), column -1 where unused
        (a one-hot move changes two members, any other move one column)."""
        columns = np.full((len(s), 2), -1, dtype=np.int64)
        values = np.zeros((len(s), 2))
        i = st.owner[s]
        kind = self.kind[f]
        num = kind == NUM
        if num.any():
            value = self.num_value(i[num], f[num], level[num])
            columns[num, 0] = self.col[f[num]]
            values[num, 0] = self.ens.as_input(value[None, :])[0]
        code = kind == CODE
        if code.any():
            index = (self.origin[i[code], f[code]] + level[code]).astype(np.int64)
            columns[code, 0] = self.col[f[code]]
            values[code, 0] = self.tab[self.tab_start[f[code]] + index]
        grp = kind == GROUP
        if grp.any():
            now = (self.origin[i[grp], f[grp]] + st.levels[s[grp], f[grp]]).astype(int)
            new = (self.origin[i[grp], f[grp]] + level[grp]).astype(int)
            columns[grp, 0] = self.members[f[grp], now]
            columns[grp, 1] = self.members[f[grp], new]
            values[grp, 1] = 1.0
        return columns, values

    def snap(self, i: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Levels (n_pairs, F) of internal rows ``values`` in sample ``i``'s lattice."""
        levels = np.zeros((len(i), self.n_features), dtype=np.int64)
        for f in range(self.n_features):
            lo, hi = self.lo[i, f], self.hi[i, f]
            if self.kind[f] == NUM:
                v = values[:, self.col[f]]
                up = self.up[self.up_start[f] : self.up_start[f + 1]]
                down = self.down[self.down_start[f] : self.down_start[f + 1]]
                above = np.searchsorted(up, v, "right") - (self.p[i, f] - self.up_start[f])
                below = np.searchsorted(down, v, "left") - (self.q[i, f] - self.down_start[f])
                o = self.origin[i, f]
                level = np.where(v > o, above, np.where(v < o, below, 0))
            elif self.kind[f] == CODE:
                level = np.nan_to_num(values[:, self.col[f]] - self.origin[i, f]).astype(int)
            else:
                block = values[:, self.members[f][self.members[f] >= 0]]
                level = block.argmax(1) - self.origin[i, f].astype(int)
            levels[:, f] = np.clip(np.nan_to_num(level).astype(np.int64), lo, hi)
        return levels


def model_rows(
    ensemble: Ensemble, tables: dict[int, np.ndarray], Z: np.ndarray, *, copy: bool = True
) -> np.ndarray:
    """Internal rows (category codes) as the model reads them (category values); ``Z`` is
    written into when ``copy`` is False."""
    M = Z.copy() if copy else Z
    for j, table in tables.items():
        codes = Z[:, j].copy()
        ok = ~np.isnan(codes)
        M[:, j] = np.nan
        M[ok, j] = table[codes[ok].astype(np.int64)]
    return ensemble.as_input(M, own=True)


def margin(ensemble: Ensemble, raw: np.ndarray, labels: np.ndarray, targeted: bool) -> np.ndarray:
    """How far each row is from the wanted outcome (negative: reached)."""
    scores = ensemble.scores(raw)
    rows = np.arange(len(scores))
    own = scores[rows, labels]
    others = scores.copy()
    others[rows, labels] = -np.inf
    best_other = others.max(1)
    return best_other - own if targeted else own - best_other


# -- the search ------------------------------------------------------------------------


def _search_sorted(
    values: np.ndarray, start: np.ndarray, end: np.ndarray, target: np.ndarray, side: str
) -> np.ndarray:
    """``np.searchsorted`` in the sorted segments ``values[start:end]``, all at once.

    Returns absolute indices into ``values`` (NaN targets land at ``end``).
    """
    lo = np.broadcast_to(start, target.shape).astype(np.int64)
    hi = np.broadcast_to(end, target.shape).astype(np.int64)
    while True:
        open_ = lo < hi
        if not open_.any():
            return lo
        mid = (lo + hi) // 2
        probe = values[np.minimum(mid, len(values) - 1)]
        # "right": probe <= target, "left": probe < target; NaN targets go right
        go_right = ~(probe > target) if side == "right" else ~(probe >= target)
        lo = np.where(open_ & go_right, mid + 1, lo)
        hi = np.where(open_ & ~go_right, mid, hi)


def _groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)``, without a sort when ``key`` is sorted
    (the moves of a step come ordered by state and feature)."""
    if len(key) < 2 or not np.all(key[1:] >= key[:-1]):
        group, inverse = np.unique(key, return_inverse=True)
        return group, inverse.ravel()
    head = np.empty(len(key), dtype=bool)
    head[0] = True
    np.not_equal(key[1:], key[:-1], out=head[1:])
    return key[head], np.cumsum(head) - 1


def _ranked_prefix(
    g: np.ndarray, at: np.ndarray, order: np.ndarray, rank: np.ndarray,
    group: np.ndarray, below: np.ndarray,
) -> np.ndarray:
    """Per query, the end (absolute index into ``order``) of the entries of group
    ``group`` whose ``rank[at]`` is below ``below``; ``order`` sorts entries by group,
    then rank (:func:`_by_group`), so that end is one ``np.searchsorted`` on integer keys."""
    size = np.int64(len(rank) + 1)
    key = g[order] * size + rank[at[order]]
    return np.searchsorted(key, group * size + below, "left")


def _by_group(g: np.ndarray, rank: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Indices ordered by group ``g``, then by ``rank[at]``, ties in their order."""
    size = int(rank.max(initial=0)) + 1
    return np.argsort(g * size + rank[at], kind="stable")


def _first_per_owner(owner: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Index of the best entry per owner, ordering by ``keys`` (first key most important)."""
    order = np.lexsort(tuple(reversed(keys)) + (owner,))
    owners = owner[order]
    head = np.ones(len(order), dtype=bool)
    head[1:] = owners[1:] != owners[:-1]
    return order[head]


def _top_distinct(owner: np.ndarray, key: np.ndarray, score: np.ndarray, width: int) -> np.ndarray:
    """Indices of the ``width`` best-scoring entries with distinct ``key`` per owner."""
    order = np.lexsort((np.arange(len(owner)), -score, owner))
    owner_s, key_s = owner[order], key[order]
    tag = np.stack([owner_s.astype(np.uint64), key_s], axis=1)
    _, first = np.unique(tag, axis=0, return_index=True)
    order = order[np.sort(first)]
    owner_s = owner[order]
    start = np.searchsorted(owner_s, owner_s, "left")
    rank = np.arange(len(order)) - start
    return order[rank < width]


def _child_levels(st: States, mv: Moves, picked: np.ndarray) -> np.ndarray:
    levels = st.levels[mv.b[picked]].copy()
    levels[np.arange(len(picked)), mv.f[picked]] = mv.l[picked]
    return levels


def grow(
    lat: Lattice, *, beam_width: int, max_moves: int, max_crossings: int
) -> tuple[np.ndarray, np.ndarray]:
    """Beam search for an adversarial level vector per sample.

    Returns
    -------
    levels : int array (n, F)
        The adversarial levels found (zeros where none).
    found : bool array (n,)
    """
    n, F = lat.n, lat.n_features
    best = np.zeros((n, F), dtype=np.int64)
    st = lat.states(np.arange(n), best)
    root_loss = st.loss.copy()
    found = st.loss < -lat.tol
    K = np.full(n, max_crossings, dtype=np.int64)
    if F == 0:
        return best, found
    keep = ~found[st.owner]
    st = lat.states(st.owner[keep], st.levels[keep])
    widest = min(max(lat.span, 1), _WIDEST)
    for _ in range(max_moves):
        if len(st.owner) == 0:
            break
        radius = st.norm if lat.norm == "inf" else None
        s, f, level = lat.candidates(st, K[st.owner], radius=radius, spread=lat.norm == "0")
        mv = lat.moves(st, s, f, level, limit=lat.eps)
        owner = st.owner[mv.b]
        success = mv.loss < -lat.tol
        hit = np.zeros(n, dtype=bool)
        if success.any():
            idx = np.flatnonzero(success)
            pick = idx[_first_per_owner(owner[idx], mv.norm[idx], mv.loss[idx])]
            best[owner[pick]] = _child_levels(st, mv, pick)
            found[owner[pick]] = hit[owner[pick]] = True
        gain = st.loss[mv.b] - mv.loss
        ok = np.flatnonzero(~hit[owner] & (gain > lat.tol))
        score = (root_loss[owner[ok]] - mv.loss[ok]) / np.maximum(mv.norm[ok], 1e-12)
        chosen = ok[_top_distinct(owner[ok], mv.key[ok], score, beam_width)]
        moved = np.zeros(n, dtype=bool)
        moved[owner[chosen]] = True
        live = np.unique(st.owner)
        stuck = live[~hit[live] & ~moved[live]]
        retry = stuck[K[stuck] < widest]
        K[retry] *= 2
        again = np.isin(st.owner, retry)
        owners = np.concatenate([owner[chosen], st.owner[again]])
        levels = np.concatenate([_child_levels(st, mv, chosen), st.levels[again]])
        key = (levels.astype(np.uint64) * lat.weights[:F]).sum(1, dtype=np.uint64)
        _, unique = np.unique(np.stack([owners.astype(np.uint64), key], 1), axis=0,
                              return_index=True)
        st = lat.states(owners[unique], levels[unique])
    return best, found


def from_donors(
    lat: Lattice, levels: np.ndarray, found: np.ndarray, rng: np.random.RandomState,
    n_donors: int = 256,
) -> None:
    """Start failed samples from rows of the batch the model already classifies as wanted.

    Each failed sample is paired with up to ``n_donors`` rows of the batch; a donor row is
    snapped onto the sample's lattice (immutable columns, bounds and budget kept), and the
    adversarial pairing of smallest norm becomes the sample's solution, to be refined.
    """
    missing = np.flatnonzero(~found)
    if not missing.size or lat.n_features == 0:
        return
    origin = lat.states(np.arange(lat.n), np.zeros((lat.n, lat.n_features)), paths=False)
    predicted = lat.ens.scores(origin.raw).argmax(1)
    pool = np.arange(lat.n)
    if pool.size > n_donors:
        pool = np.sort(rng.choice(pool, n_donors, replace=False))
    want = predicted[pool][None, :] == lat.labels[missing][:, None]
    if not lat.targeted:
        want = ~want
    best_norm = np.full(lat.n, np.inf)
    a, k = np.nonzero(want)
    block = max(1, _BLOCK_CELLS // max(lat.ens.n_trees + lat.d, 1))
    for lo in range(0, len(a), block):  # pairs in blocks of bounded memory
        owner, donor = missing[a[lo : lo + block]], pool[k[lo : lo + block]]
        cand = lat.states(owner, lat.snap(owner, lat.z0[donor]), paths=False)
        ok = (cand.loss < -lat.tol) & (cand.norm < best_norm[owner])
        if lat.eps is not None:
            ok &= cand.norm <= lat.eps * (1 + 1e-12)
        at = np.flatnonzero(ok)
        if at.size:
            pick = at[_first_per_owner(owner[at], cand.norm[at])]
            levels[owner[pick]] = cand.levels[pick]
            best_norm[owner[pick]] = cand.norm[pick]
            found[owner[pick]] = True


_START, _DESCEND, _DONE = 0, 1, 2


def refine(
    lat: Lattice, levels: np.ndarray, found: np.ndarray, *, max_moves: int, max_crossings: int
) -> np.ndarray:
    """Shrink each adversarial solution while it stays adversarial (see module notes).

    Each found sample cycles: *start* (a smaller point and radius from its best solution,
    :func:`_shrink`), then *descend* (greedy moves inside that radius until the point is
    adversarial again, which becomes the new best, or no move helps). Under L-inf a failed
    bold try (half the radius) is retried at the next smaller crossing before giving up.
    """
    idx = np.flatnonzero(found)
    levels = levels.copy()
    if not idx.size or lat.n_features == 0:
        return levels
    best = lat.states(idx, levels[idx], paths=False)
    best_norm = best.norm.copy()
    cur = best.levels.copy()
    radius = np.zeros(len(idx))
    mode = np.full(len(idx), _START)
    bold = np.ones(len(idx), dtype=bool)
    for _ in range(max_moves):
        start = np.flatnonzero(mode == _START)
        if start.size:
            cur[start], radius[start], ok, bold[start] = _shrink(
                lat, idx[start], best.levels[start], best_norm[start], bold[start]
            )
            mode[start] = np.where(ok, _DESCEND, _DONE)
        run = np.flatnonzero(mode == _DESCEND)
        if not run.size:
            break
        st = lat.states(idx[run], cur[run])
        won = st.loss < -lat.tol  # the shrunk point may still be adversarial
        s, f, level = lat.candidates(
            st, np.full(len(run), max_crossings),
            radius=radius[run] if lat.norm == "inf" else None, spread=lat.norm == "0",
        )
        keep = ~won[s]
        mv = lat.moves(st, s[keep], f[keep], level[keep], limit=radius[run])
        # adversarial again: the smallest such point is the new best
        new_levels, new_norm = st.levels.copy(), np.where(won, st.norm, np.inf)
        at = np.flatnonzero(mv.loss < -lat.tol)
        if at.size:
            pick = at[_first_per_owner(mv.b[at], mv.norm[at], mv.loss[at])]
            new_levels[mv.b[pick]] = _child_levels(st, mv, pick)
            new_norm[mv.b[pick]] = mv.norm[pick]
            won[mv.b[pick]] = True
        better = won & (new_norm < best_norm[run])
        best.levels[run[better]] = new_levels[better]
        best_norm[run[better]] = new_norm[better]
        mode[run[better]] = _START
        bold[run[better]] = True
        mode[run[won & ~better]] = _DONE
        # not yet: take the move that lowers the margin most, inside the radius
        gain = st.loss[mv.b] - mv.loss
        ok = np.flatnonzero(~won[mv.b] & (gain > lat.tol))
        step = ok[_first_per_owner(mv.b[ok], -gain[ok], mv.norm[ok])]
        cur[run[mv.b[step]]] = _child_levels(st, mv, step)
        stuck = ~won
        stuck[mv.b[step]] = False
        failed = run[stuck]
        mode[failed] = np.where(bold[failed], _START, _DONE)
        bold[failed] = False
    levels[idx] = best.levels
    return levels


def _shrink(
    lat: Lattice, owner: np.ndarray, levels: np.ndarray, norm: np.ndarray, bold: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A smaller starting point inside a smaller radius, from each best solution.

    Returns ``(levels, radius, ok, bold)``: ``ok`` where the radius is smaller than the
    norm, ``bold`` where the radius is larger than the next smaller crossing (a bold try).
    """
    st = lat.states(owner, levels, paths=lat.norm != "inf")
    every = np.arange(lat.n_features)[None, :]
    if lat.norm == "inf":
        # the next smaller box steps every feature at the radius one crossing back;
        # a bold try takes half the radius instead; the start is the best clipped into it
        at_max = st.cost >= norm[:, None] * (1 - 1e-12)
        num = lat.kind[None, :] == NUM
        stepped = np.where(at_max, np.where(num, levels - np.sign(levels), 0), levels)
        next_radius = lat.aggregate(lat.cost(owner[:, None], every, stepped))
        radius = np.where(bold, np.maximum(next_radius, norm / 2), next_radius)
        edges = lat.edges(owner, radius)
        inside = np.minimum(np.maximum(levels, edges[:, :, 1]), edges[:, :, 0])
        clipped = np.where(num, inside, levels)
        cost = lat.cost(owner[:, None], every, clipped)
        clipped = np.where(~num & (cost > radius[:, None]), 0, clipped)
        return clipped, radius, radius < norm * (1 - 1e-12), radius > next_radius
    # L2 / L0: the single step back toward the original that keeps the margin lowest
    i, f = np.nonzero(levels != 0)
    if lat.norm == "0":
        back = np.zeros_like(f)
    else:
        back = np.where(lat.kind[f] == NUM, levels[i, f] - np.sign(levels[i, f]), 0)
    mv = lat.moves(st, i, f, back)
    out, radius = levels.copy(), norm.copy()
    ok = np.zeros(len(owner), dtype=bool)
    pick = _first_per_owner(mv.b, mv.loss, mv.norm)
    out[mv.b[pick]] = _child_levels(st, mv, pick)
    radius[mv.b[pick]] = mv.norm[pick]
    ok[mv.b[pick]] = mv.norm[pick] < norm[mv.b[pick]] * (1 - 1e-12)
    return out, radius, ok, np.zeros(len(owner), dtype=bool)
