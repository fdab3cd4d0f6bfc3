"""Pieces the black-box attacks share: the loss, the query budget and the best row so far.

All four attacks search in the encoded domain (see :class:`~advval.attacks._space.Domain`)
in standard units: a step ``s`` on feature ``j`` moves it by ``s * domain.scale[j]``.
Inner loops keep candidates valid with ``domain.project``; every candidate whose outcome is
counted as a success is first passed through ``domain.finalize`` (integer rounding,
category snapping), so a success is a success of the row that is returned.

Budget: the base class queries every sample once more after ``_generate`` to verify the
output, so an attack may spend at most ``oracle.remaining(rows) - 1`` queries per sample
(:func:`budget`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..._validation import check_number

#: queries kept per sample for the base class's final check of the output
RESERVE = 1

_TINY = 1e-30


def check_positive(value: Any, *, name: str, owner: str, high: float = np.inf) -> None:
    """Sizes such as ``sigma`` or ``p_init``: a float in ``(0, high]``."""
    check_number(value, name=name, owner=owner, low=0, high=high, closed="right")


# -- the loss ----------------------------------------------------------------------------


def log_margin(proba: np.ndarray, labels: np.ndarray, targeted: bool) -> np.ndarray:
    """Margin in log-probability space; positive while the row is not adversarial.

    Untargeted: ``log p[label] - max_{k != label} log p[k]``; targeted:
    ``max_{k != target} log p[k] - log p[target]``. Attacks minimize it.

    Examples
    --------
    >>> p = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]])
    >>> np.round(log_margin(p, np.array([0, 0]), False), 3).tolist()
    [1.253, -0.916]
    """
    logp = np.log(np.maximum(proba, _TINY))
    idx = np.arange(len(labels))
    own = logp[idx, labels]
    logp[idx, labels] = -np.inf  # the others' best (logp is our own array)
    best = logp.max(1)
    return best - own if targeted else own - best


def is_adversarial(predicted: np.ndarray, labels: np.ndarray, targeted: bool) -> np.ndarray:
    """The base class's success rule, applied to predicted class indices."""
    return predicted == labels if targeted else predicted != labels


def scores(
    oracle: Any, z: np.ndarray, rows: np.ndarray, labels: np.ndarray, targeted: bool
) -> tuple[np.ndarray, np.ndarray]:
    """One counted query per row of ``z``: (adversarial, log margin) for each."""
    proba = oracle.scores(z, rows)
    target = labels[rows]
    return is_adversarial(proba.argmax(1), target, targeted), log_margin(proba, target, targeted)


def decisions(
    oracle: Any, z: np.ndarray, rows: np.ndarray, labels: np.ndarray, targeted: bool
) -> np.ndarray:
    """One counted query per row of ``z``: whether each is adversarial (labels only)."""
    return is_adversarial(oracle.labels(z, rows), labels[rows], targeted)


# -- the budget --------------------------------------------------------------------------


def budget(oracle: Any, rows: np.ndarray) -> np.ndarray:
    """Queries each sample in ``rows`` may still spend, keeping one for the final check."""
    return np.maximum(oracle.remaining(rows) - RESERVE, 0)


def unlimited(oracle: Any) -> bool:
    """Whether no sample's budget can run out: the oracle says ``max_queries`` is None.

    An oracle that does not say is treated as counted (its budget is checked).
    """
    return getattr(oracle, "max_queries", 0) is None


def allot(wanted: Any, oracle: Any, rows: np.ndarray) -> np.ndarray:
    """Queries to spend per sample: ``wanted``, or what the budget leaves when less."""
    return np.minimum(wanted, budget(oracle, rows)).astype(np.int64)


# -- the domain in standard units ----------------------------------------------------------


def movable(domain: Any, z0: np.ndarray) -> np.ndarray:
    """Boolean mask, shaped like one sample, of the values a continuous step may move.

    Mutable numeric and one-hot columns of a table (not label-coded categories); every
    value of an image.
    """
    mask = np.broadcast_to(np.asarray(domain.step_mask(z0)) > 0, z0.shape[1:])
    return np.array(mask)


def units(domain: Any, z0: np.ndarray) -> Any:
    """One standard unit per value (``domain.scale``), broadcastable against ``z0``."""
    return np.asarray(domain.scale, dtype=np.float64)


def delta(z: np.ndarray, z0: np.ndarray, domain: Any) -> np.ndarray:
    """``(z - z0)`` in standard units; missing values count as no change."""
    return np.nan_to_num((z - z0) / units(domain, z0), nan=0.0, posinf=0.0, neginf=0.0)


def unit_directions(
    shape: tuple[int, ...], mask: np.ndarray, rng: np.random.RandomState, *, uniform: bool
) -> np.ndarray:
    """Random directions of unit L2 norm on the ``mask`` values (Gaussian or uniform)."""
    u = rng.uniform(-1.0, 1.0, size=shape) if uniform else rng.standard_normal(shape)
    u = u * mask
    size = np.sqrt((u * u).reshape(shape[0], -1).sum(1))
    return u / per_row(np.maximum(size, 1e-12), u)


def normalized(g: np.ndarray, norm: str) -> np.ndarray:
    """The steepest unit step along ``g``: its sign (L-inf) or ``g / ||g||_2`` (L2)."""
    if norm == "inf":
        return np.sign(g)
    size = np.sqrt((g * g).reshape(len(g), -1).sum(1))
    return g / per_row(np.maximum(size, 1e-12), g)


def random_categories(
    domain: Any, z: np.ndarray, pick: np.ndarray, rng: np.random.RandomState
) -> np.ndarray:
    """Move the picked label-coded columns and one-hot groups to another category.

    ``pick`` is a boolean mask like ``z``; a one-hot group moves when any of its columns
    is picked. Returns a new array; images (no categories) are returned unchanged.
    """
    categories = getattr(domain, "categories", {})
    groups = getattr(domain, "groups", [])
    if not categories and not groups:
        return z
    z = z.copy()
    for j, allowed in categories.items():
        rows = np.flatnonzero(pick[:, j] & ~np.isnan(z[:, j]))
        if len(allowed) > 1 and rows.size:
            shift = rng.randint(1, len(allowed), size=rows.size)
            z[rows, j] = (z[rows, j] + shift) % len(allowed)
    for group in groups:
        rows = np.flatnonzero(pick[:, group].any(1) & ~np.isnan(z[:, group]).any(1))
        if len(group) > 1 and rows.size:
            current = z[np.ix_(rows, group)].argmax(1)
            new = (current + rng.randint(1, len(group), size=rows.size)) % len(group)
            z[np.ix_(rows, group)] = np.eye(len(group))[new]
    return z


def categorical_mask(domain: Any, like: np.ndarray) -> np.ndarray:
    """Mutable label-coded and one-hot columns (the ones that change by category)."""
    mask = np.zeros(like.shape[1:], dtype=bool)
    mutable = getattr(domain, "mutable", None)
    if mutable is None:
        return mask
    mask[list(domain.categories)] = True
    for group in domain.groups:
        mask[group] = True
    return mask & mutable


def sampling_box(
    domain: Any, z0: np.ndarray, widen: float = 3.0
) -> tuple[np.ndarray, np.ndarray]:
    """Finite per-value ranges to sample random rows from.

    The domain's bounds where finite, else the attacked rows' range widened by ``widen``
    standard units.
    """
    shape = z0.shape[1:]
    lower = np.broadcast_to(np.asarray(domain.lower, dtype=np.float64), shape)
    upper = np.broadcast_to(np.asarray(domain.upper, dtype=np.float64), shape)
    spread = widen * np.broadcast_to(units(domain, z0), shape)
    # a value missing in every attacked row (an all-missing column) has no range: 0, quietly
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        seen_lo = np.nan_to_num(np.nanmin(z0, axis=0), nan=0.0) - spread
        seen_hi = np.nan_to_num(np.nanmax(z0, axis=0), nan=0.0) + spread
    return np.where(np.isfinite(lower), lower, seen_lo), np.where(
        np.isfinite(upper), upper, seen_hi
    )


def per_row(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """One value per sample, shaped to broadcast against ``like`` (n, ...)."""
    return np.asarray(values).reshape((-1,) + (1,) * (like.ndim - 1))


def group_sums(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Sum consecutive blocks of ``values`` (block ``i`` has ``counts[i] >= 1`` rows)."""
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    return np.add.reduceat(values, starts, axis=0)


# -- the best row found so far --------------------------------------------------------------


class Best:
    """Per sample, the closest valid adversarial row found so far (the input when none).

    Parameters
    ----------
    z0 : ndarray
        The encoded input.
    """

    def __init__(self, z0: np.ndarray) -> None:
        self.z = z0.copy()
        self.found = np.zeros(len(z0), dtype=bool)
        self.distance = np.full(len(z0), np.inf)

    def offer(
        self, rows: np.ndarray, z: np.ndarray, adversarial: np.ndarray, distance: np.ndarray
    ) -> None:
        """Keep, per sample, the closest adversarial candidate if it beats the stored one.

        ``rows`` may repeat (several candidates per sample, e.g. a population).
        """
        hits = np.flatnonzero(adversarial)
        if not hits.size:
            return
        order = hits[np.lexsort((distance[hits], rows[hits]))]
        first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]]
        better = distance[first] < self.distance[rows[first]]
        first = first[better]
        self.z[rows[first]] = z[first]
        self.found[rows[first]] = True
        self.distance[rows[first]] = distance[first]


def first_check(
    oracle: Any, z0: np.ndarray, labels: np.ndarray, targeted: bool, best: Best,
    *, with_scores: bool = True,
) -> np.ndarray:
    """Query the inputs once; return the samples still to attack (not yet adversarial).

    Samples the budget leaves no query for are not attacked; samples that are already
    adversarial (a given ``y`` the model gets wrong) are kept as they are.
    """
    rows = np.flatnonzero(budget(oracle, np.arange(len(z0))) >= 1)
    if with_scores:
        adversarial = scores(oracle, z0[rows], rows, labels, targeted)[0]
    else:
        adversarial = decisions(oracle, z0[rows], rows, labels, targeted)
    best.offer(rows, z0[rows], adversarial, np.zeros(len(rows)))
    return rows[~adversarial]
