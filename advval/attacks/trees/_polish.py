"""Second-stage searches of :class:`~advval.attacks.TreeAttack`: L2 shrinking and the budget.

Both work on the levels of a :class:`~advval.attacks.trees._search.Lattice` and evaluate
every candidate exactly, so what they return is as exact as the first search.

L2 shrinking
------------
An L-inf solution moves many coordinates to the edge of its box, most of which are not
needed to stay adversarial. :func:`undo` moves single coordinates back toward the
original (the nearest crossings back, fractions of the way, or all the way) while the
row stays adversarial, the smallest resulting norm first, until no such move is left.
:func:`best_of` keeps, per sample, the smallest of several solutions (the L2 search's
and the L-inf search's, each before and after :func:`undo`).

Budget
------
:func:`into_ball` projects solutions that lie outside the eps-ball into it (clipped per
coordinate under L-inf, scaled toward the original under L2, snapped onto the lattice),
and :func:`descend` then takes, inside the ball, the single-feature move that lowers the
margin most until the row is adversarial or no move helps; :func:`random_starts` draws
starting points inside the ball from the attack's ``random_state`` for the samples that
are still missing.
"""

from __future__ import annotations

import copy

import numpy as np

from ._search import NUM, Lattice, _child_levels, _first_per_owner

#: crossings back toward the original tried per coordinate by ``undo`` (plus the original)
_BACK = 6
#: rows per evaluation block
_ROWS = 20_000


def _snap_segment(
    lat: Lattice, owner: np.ndarray, levels: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Levels of the points ``z0 + t (row - z0)`` of each state; categorical levels kept.

    Snapping keeps every coordinate in its interval of the lattice and never moves it
    away from the original, so the norm is at most ``t`` times the state's.
    """
    z0 = lat.z0[owner]
    target = lat.rows(owner, levels)
    with np.errstate(invalid="ignore"):
        points = z0 + t[:, None] * (target - z0)
    snapped = lat.snap(owner, points)
    num = lat.kind == NUM
    return np.where(num[None, :], snapped, levels)


def _evaluate(lat: Lattice, owner: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, ...]:
    """Loss and norm of states, in blocks of bounded memory."""
    loss = np.empty(len(owner))
    norm = np.empty(len(owner))
    for lo in range(0, len(owner), _ROWS):
        part = slice(lo, lo + _ROWS)
        st = lat.states(owner[part], levels[part], paths=False)
        loss[part], norm[part] = st.loss, st.norm
    return loss, norm


def undo(
    lat: Lattice, levels: np.ndarray, found: np.ndarray, *, max_moves: int
) -> np.ndarray:
    """Move single coordinates back toward the original while the row stays adversarial.

    Each step takes, per sample, the adversarial one-coordinate move of smallest norm
    among: each of the nearest ``_BACK`` crossings back, an even spread of the way back,
    and the original value (the original category for categorical features).
    """
    levels = levels.copy()
    idx = np.flatnonzero(found)
    if not idx.size or lat.n_features == 0:
        return levels
    active = np.ones(len(idx), dtype=bool)
    cur = levels[idx]
    for _ in range(max_moves):
        run = np.flatnonzero(active)
        if not run.size:
            break
        st = lat.states(idx[run], cur[run])
        s, f = np.nonzero(st.levels != 0)
        L = st.levels[s, f]
        num = lat.kind[f] == NUM
        steps = np.arange(1, _BACK + 1)
        # back by k crossings (k = 1.._BACK), by fractions of the way, and all the way
        frac = np.array([0.25, 0.5, 0.75])
        back = np.concatenate([
            np.broadcast_to(steps, (len(s), len(steps))),
            np.rint(np.abs(L)[:, None] * frac).astype(np.int64),
            np.abs(L)[:, None],
        ], axis=1)
        back = np.where(num[:, None], back, np.abs(L)[:, None])
        back = np.minimum(back, np.abs(L)[:, None])
        back[:, 1:] = np.where(back[:, 1:] == back[:, :-1], 0, back[:, 1:])
        r, c = np.nonzero(back > 0)
        ms, mf = s[r], f[r]
        ml = st.levels[ms, mf] - np.sign(st.levels[ms, mf]) * back[r, c]
        mv = lat.moves(st, ms, mf, ml, limit=st.norm)
        ok = np.flatnonzero((mv.loss < -lat.tol) & (mv.norm < st.norm[mv.b] * (1 - 1e-12)))
        moved = np.zeros(len(run), dtype=bool)
        if ok.size:
            pick = ok[_first_per_owner(mv.b[ok], mv.norm[ok], mv.loss[ok])]
            cur[run[mv.b[pick]]] = _child_levels(st, mv, pick)
            moved[mv.b[pick]] = True
        active[run[~moved]] = False
    levels[idx] = cur
    return levels


def norms_of(lat: Lattice, levels: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Norm of each found sample's levels (inf where not found)."""
    out = np.full(lat.n, np.inf)
    idx = np.flatnonzero(found)
    if idx.size:
        loss, norm = _evaluate(lat, idx, levels[idx])
        out[idx] = np.where(loss < -lat.tol, norm, np.inf)
    return out


def best_of(
    lat: Lattice, solutions: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """Per sample, the smallest adversarial solution among ``(levels, found)`` pairs.

    Ties go to the earlier solution.
    """
    best_levels = solutions[0][0].copy()
    best_norm = norms_of(lat, *solutions[0])
    for levels, found in solutions[1:]:
        norm = norms_of(lat, levels, found)
        better = norm < best_norm * (1 - 1e-12)
        best_levels[better] = levels[better]
        best_norm[better] = norm[better]
    return best_levels, np.isfinite(best_norm)


# -- the budget -------------------------------------------------------------------------


def into_ball(lat: Lattice, levels: np.ndarray, which: np.ndarray, eps: float) -> np.ndarray:
    """Levels of the solutions of samples ``which`` brought inside the eps-ball.

    ``lat`` is the lattice of the budget (its level ranges already end at the ball's
    edges, per coordinate); L2 solutions are first scaled toward the original.
    """
    out = levels.copy()
    idx = np.flatnonzero(which)
    if not idx.size or lat.n_features == 0:
        return out
    base = np.clip(levels[idx], lat.lo[idx], lat.hi[idx])
    if lat.norm == "2":
        _, norm = _evaluate(lat, idx, base)
        t = np.minimum(1.0, eps / np.maximum(norm, 1e-300))
        base = _snap_segment(lat, idx, base, t)
        _, norm = _evaluate(lat, idx, base)
        # categorical changes that no longer fit are undone
        over = norm > eps * (1 + 1e-12)
        cat = lat.kind != NUM
        base[over[:, None] & cat[None, :]] = 0
    out[idx] = base
    return out


def descend(
    lat: Lattice, levels: np.ndarray, which: np.ndarray, eps: float, *,
    max_moves: int, max_crossings: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy margin descent inside the eps-ball from the levels of samples ``which``.

    Returns ``(levels, won)``: ``won`` where the descent reached an adversarial row.
    """
    levels = levels.copy()
    won = np.zeros(lat.n, dtype=bool)
    idx = np.flatnonzero(which)
    if not idx.size or lat.n_features == 0:
        return levels, won
    cur = levels[idx]
    active = np.ones(len(idx), dtype=bool)
    for _ in range(max_moves):
        run = np.flatnonzero(active)
        if not run.size:
            break
        st = lat.states(idx[run], cur[run])
        done = (st.loss < -lat.tol) & (st.norm <= eps * (1 + 1e-12))
        won[idx[run[done]]] = True
        active[run[done]] = False
        keep = ~done
        s, f, level = lat.candidates(
            st, np.full(len(run), max_crossings),
            radius=np.full(len(run), eps) if lat.norm == "inf" else None,
            spread=lat.norm == "0",
        )
        sel = keep[s]
        mv = lat.moves(st, s[sel], f[sel], level[sel], limit=eps)
        gain = st.loss[mv.b] - mv.loss
        ok = np.flatnonzero(gain > lat.tol)
        moved = np.zeros(len(run), dtype=bool)
        if ok.size:
            step = ok[_first_per_owner(mv.b[ok], -gain[ok], mv.norm[ok])]
            cur[run[mv.b[step]]] = _child_levels(st, mv, step)
            moved[mv.b[step]] = True
        active[run[keep & ~moved]] = False
    levels[idx] = cur
    return levels, won


def random_starts(
    lat: Lattice, which: np.ndarray, eps: float, rng: np.random.RandomState
) -> np.ndarray:
    """Random levels inside the eps-ball for samples ``which`` (zeros elsewhere).

    L-inf: each numeric coordinate uniform over its levels in the ball; L2: a random
    direction of length eps, snapped; categorical features stay.
    """
    levels = np.zeros((lat.n, lat.n_features), dtype=np.int64)
    idx = np.flatnonzero(which)
    if not idx.size or lat.n_features == 0:
        return levels
    num = lat.kind == NUM
    lo, hi = lat.lo[idx], lat.hi[idx]
    if lat.norm == "inf":
        u = rng.random_sample(lo.shape)
        draw = np.floor(lo + u * (hi - lo + 1)).astype(np.int64)
        levels[idx] = np.where(num[None, :], np.clip(draw, lo, hi), 0)
        return levels
    direction = rng.standard_normal(lo.shape) * num[None, :]
    direction /= np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-300)
    cols = lat.col[num]
    points = lat.z0[idx].copy()
    step = direction[:, num] * eps * lat.scale[num][None, :]
    with np.errstate(invalid="ignore"):
        points[:, cols] = points[:, cols] + step
    snapped = lat.snap(idx, points)
    levels[idx] = np.where(num[None, :], snapped, 0)
    return levels


def with_norm(lat: Lattice, norm: str) -> Lattice:
    """The same lattice (levels, features, ranges) measured in another norm.

    Only valid without a budget, where the level ranges do not depend on the norm.
    """
    other = copy.copy(lat)
    other.norm = norm
    return other
