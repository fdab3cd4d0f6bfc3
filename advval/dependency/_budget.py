"""The row budget of the dependency check, derived from the precision its flags need.

Two numbers set how many rows the per-column models use.

*T, the rows a model trains on* (``MAX_TRAIN_ROWS``, 10,000): the models' size. More
training rows make a model better, so a column's score is "what a model trained on at
most T rows learns about it from the others"; it does not converge to a limit as the
rows grow, and T is part of what the score means. Every model trains on at most T rows.

*S, the rows a model is scored on*: a column's score is an out-of-sample AUC (classes)
or R^2 (numbers) normalised to 0..1, and its precision grows with the scored rows. Where
a score decides a flag, at the redundancy threshold ``s*``, its variance is largest for a
balanced two-class column: there ``score = 2 AUC - 1`` and, with the bound
``Var(AUC) <= AUC (1 - AUC) / min(n+, n-)`` (Birnbaum and Klose, 1957),

    Var(score) <= 4 AUC (1 - AUC) / (S / 2) = 2 (1 - s*^2) / S.

(An R^2 of normal errors has ``Var ~ 4 R^2 (1 - R^2)^2 / S``, smaller everywhere; a
prevalence-weighted multi-class AUC averages several such terms.) The score is then
within ``PRECISION`` of its expectation with probability ``CONFIDENCE`` once

    S >= z^2 * 2 (1 - s*^2) / PRECISION^2,     z = Phi^-1((1 + CONFIDENCE) / 2),

that is S = 14,598 rows at ``PRECISION = 0.01``, 95% and ``s* = 0.9`` (a column 0.01 from
the threshold is on its side of it 19 times in 20). The chance test needs no more: on S
held-out rows it detects a rank correlation of ``(z_(alpha/m) + z_0.9) / sqrt(S)``, about
0.04 for 125 columns, a dependency far below the score's own precision.

The budget is ``B = T + S`` rows, about 24,600 at the defaults. With more rows the check
draws B of them uniformly (every column uses the same rows) and scores each column on a
*hold-out split*: one model trained on T of them, scored, tested and explained on the
other S (one fit per column). More rows would narrow an interval already 0.01 wide and
cost time in proportion. ``max_rows=None`` uses every row, an int that many.

Fewer rows than B use every row. From T rows up they are split too, ``min(T, n / 2)`` to
train and the rest (at least half) to score: a score a little less precise than
``PRECISION``, for one fit per column. Below T rows every row is needed both to train
and to score: K-fold cross-fitting scores every row once, by a model trained on the
other folds (``K + 1`` fits per column, each on fewer than T rows). Cross-fitting
larger data would cost more than the budget's hold-out itself (its ``K + 1`` fits each
train on nearly T rows). A small table is not free either: its models run more rounds
(a slower rate and a finer stopping rule below T rows, :mod:`advval.dependency._fitting`)
and K of them are fitted, so 5,000 rows x 100 columns cost more CPU than 50,000 rows
(``benchmarks/bench_deps.py --scale``: 40 s against 17 s on one thread).

K (:func:`cross_fit_folds`) is ``n_splits`` (3) where the rows are many, and more where
they are few: a model trained on a larger share of the rows falls less short of the best
predictor, and a small table's fits are cheap. The folds' models train on ``n (K - 1)``
rows in all; K is the most folds, up to ``MAX_FOLDS``, that keep this within ``2 T``
(what 3 folds of just under T rows train on): 5 folds from 5,000 rows down (each model
trains on 80% of the rows instead of 67%), 3 from 6,667 rows up.

The cheap parts (the columns' kinds, the ID-like flags) read every row either way; the
near-duplicate pairs (a rank correlation above 0.99, known to +-0.0002 on B rows) use
the budget's rows.

:func:`~advval.dependency.dependency_shift` uses the same budget: its models train on
at most T rows of ``X_train`` and score S held-out training rows and S test rows, so a
drop of score, the difference of two scores of that precision, has a standard error
below ``2 / sqrt(S) = 0.017`` (the worst case, a score near 0), a third of the smallest
drop it flags (``MIN_DROP = 0.05``). After a fit above the budget the checker's own
models and held-out rows serve (``dependency_shift(..., prefit=True)``): one model per
column for both checks.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from .._validation import check_number
from ._fitting import MAX_TRAIN_ROWS

#: half-width of the interval a column's score is known to, at the redundancy threshold
PRECISION = 0.01
#: probability that a score lies within PRECISION of its expectation
CONFIDENCE = 0.95
#: fewest scored rows whatever the threshold (a threshold near 1 gives a tiny variance)
MIN_SCORED_ROWS = 1_000
#: most cross-fitting folds (each more trains every model on a little more of the rows,
#: for one more fit: 5 folds train on 80% of them, 10 on 90%)
MAX_FOLDS = 5


def check_max_rows(max_rows: object, *, owner: str, n_splits: int) -> None:
    """Raise unless ``max_rows`` is ``"auto"``, ``None`` or an int of at least ``2 n_splits``.

    Examples
    --------
    >>> check_max_rows(3, owner="FeatureDependencyChecker", n_splits=3)
    Traceback (most recent call last):
    ...
    ValueError: The 'max_rows' parameter of FeatureDependencyChecker must be 'auto', None or ...
    """
    if isinstance(max_rows, str) and max_rows == "auto":
        return
    try:
        check_number(
            max_rows, name="max_rows", owner=owner, kind=int, low=2 * n_splits, allow_none=True
        )
    except (TypeError, ValueError):
        raise ValueError(
            f"The 'max_rows' parameter of {owner} must be 'auto', None or an int in the range "
            f"[{2 * n_splits}, inf). Got {max_rows!r} instead."
        ) from None


def cross_fit_folds(n_rows: int, n_splits: int) -> int:
    """K: the folds that cross-fit ``n_rows`` rows, at least ``n_splits``.

    The most folds, up to ``MAX_FOLDS``, whose models train on at most
    ``2 * MAX_TRAIN_ROWS`` rows in all (``n_rows * (K - 1)``).

    Examples
    --------
    >>> [cross_fit_folds(n, 3) for n in (500, 5_000, 6_000, 9_999)]
    [5, 5, 4, 3]
    >>> cross_fit_folds(5_000, 8)
    8
    """
    affordable = 1 + 2 * MAX_TRAIN_ROWS // max(int(n_rows), 1)
    return max(int(n_splits), min(MAX_FOLDS, affordable))


def scored_rows(redundancy_threshold: float) -> int:
    """S: the held-out rows that give a column's score the precision its flag needs.

    Examples
    --------
    >>> scored_rows(0.9)
    14598
    >>> scored_rows(0.5)
    57622
    """
    z = stats.norm.ppf(0.5 + CONFIDENCE / 2.0)
    variance = 2.0 * (1.0 - redundancy_threshold**2)
    return max(MIN_SCORED_ROWS, int(round(z**2 * variance / PRECISION**2)))


def default_row_budget(redundancy_threshold: float) -> int:
    """B = T + S: rows past which more rows cannot make any column's score more precise.

    Parameters
    ----------
    redundancy_threshold : float
        The score from which a column counts as redundant (where precision matters).

    Returns
    -------
    int
        Rows, ``MAX_TRAIN_ROWS`` to train on plus :func:`scored_rows` to score.

    Examples
    --------
    >>> default_row_budget(0.9)
    24598
    """
    return MAX_TRAIN_ROWS + scored_rows(redundancy_threshold)


def budget_rows(n_rows: int, max_rows: int | None, seed: int) -> NDArray[np.intp]:
    """The rows the models use: every row, or ``max_rows`` of them drawn uniformly, sorted.

    Sorted, so the rows keep their order (the row-order check reads their positions).

    Examples
    --------
    >>> budget_rows(5, None, 0).tolist(), budget_rows(5, 9, 0).tolist()
    ([0, 1, 2, 3, 4], [0, 1, 2, 3, 4])
    >>> budget_rows(10, 4, 0).size
    4
    """
    if max_rows is None or n_rows <= max_rows:
        return np.arange(n_rows)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_rows, size=max_rows, replace=False))


def holdout_mask(n_rows: int, seed: int) -> NDArray[np.bool_] | None:
    """The hold-out split of ``n_rows`` used rows: True for the scored rows, else None.

    ``None`` (cross-fit every row) below ``MAX_TRAIN_ROWS`` rows; from there,
    ``min(MAX_TRAIN_ROWS, n_rows // 2)`` rows drawn uniformly train the models and every
    other row is scored.

    Examples
    --------
    >>> holdout_mask(100, 0) is None
    True
    >>> int((~holdout_mask(30_000, 0)).sum()), int(holdout_mask(12_000, 0).sum())
    (10000, 6000)
    """
    if n_rows < MAX_TRAIN_ROWS:
        return None
    rng = np.random.default_rng(seed)
    held = np.ones(n_rows, dtype=bool)
    held[rng.choice(n_rows, size=min(MAX_TRAIN_ROWS, n_rows // 2), replace=False)] = False
    return held
