"""What one fit of :class:`~advval.AdversarialValidator` found, frozen.

Both ways of fitting produce a :class:`_DriftFit`: the in-memory fit
(:meth:`AdversarialValidator._fit_frames <advval.AdversarialValidator>`) and the Dask
backend (:mod:`advval.distributed._drift`). The validator sets its fitted attributes
from it and derives the verdict itself; no backend touches the estimator. The seed
protocol and the row check every backend shares live here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin
from sklearn.utils import check_random_state

from .._frames import ALIGN_NAMES, FrameEncoder
from .._validation import check_min_rows
from ._attribution import Attribution
from ._crossfit import CrossFitState, SequentialTest
from ._univariate import ColumnTests

#: seeds one fit draws from ``random_state``, in order: the row budget, the folds, the
#: classifier (and the fits derived from it), the tests and the attribution
N_SEEDS = 4


def fit_seeds(random_state: int | np.random.RandomState | None) -> NDArray[np.int_]:
    """The seeds of one fit, drawn once from ``random_state`` (every backend uses them).

    Examples
    --------
    >>> fit_seeds(0).tolist() == fit_seeds(0).tolist(), len(fit_seeds(None))
    (True, 4)
    """
    rng = check_random_state(random_state)
    return rng.randint(0, 2**31 - 1, size=N_SEEDS)


def check_sides(
    n_train: int, n_test: int, n_splits: int, *, names: tuple[str, str] = ALIGN_NAMES
) -> None:
    """Raise ``ValueError`` unless each side has at least ``n_splits`` rows.

    ``names`` is what the message calls the two sides (see
    :func:`~advval._frames.align_columns`).

    Examples
    --------
    >>> check_sides(5, 5, n_splits=5)
    >>> check_sides(5, 4, n_splits=5)
    Traceback (most recent call last):
    ...
    ValueError: X_test has 4 sample(s) but adversarial validation with n_splits=5 needs ...
    """
    for n, name in zip((n_train, n_test), names, strict=True):
        check_min_rows(
            n,
            name=name,
            minimum=n_splits,
            needed_by=f"adversarial validation with n_splits={n_splits}",
            each_side=True,
        )


@dataclass(frozen=True)
class _DriftFit:
    """The raw findings of one fit; the validator turns them into its attributes.

    Attributes
    ----------
    n_train, n_test : int
        Rows given on each side.
    feature_names : ndarray of str
        The feature columns (after removing ``groups`` / ``time_col``).
    encoder : FrameEncoder
        Learnt from both sides.
    max_rows : int or None
        The row budget applied.
    n_rows_used : int
        Rows the domain classifier used.
    estimators : tuple of classifiers
        ``estimators[k]`` was trained without fold ``k``.
    fold_aucs : ndarray of shape (n_splits,)
    sequential : SequentialTest
        The forward-chained test of the classifier.
    auc, auc_variance : float
        Pooled out-of-fold AUC and its DeLong variance (before the design effect).
    oof_proba : ndarray of shape (n_train + n_test,)
        Out-of-fold scores, NaN outside the budget.
    attribution : Attribution
        Per-fold importances of the kept columns.
    tests : ColumnTests
        The per-column tests (unadjusted for the split of ``alpha``).
    column_facts, dataset_summary : DataFrame and dict, or None
        The plain facts on every row (``None`` from the Dask backend).
    crossfit : CrossFitState or None
        What trains more models like the fold models (in-memory fits only).
    budget : tuple of two int arrays, or None
        Train and test rows the classifier used (in-memory fits only).
    """

    n_train: int
    n_test: int
    feature_names: NDArray[np.object_]
    encoder: FrameEncoder
    max_rows: int | None
    n_rows_used: int
    estimators: tuple[ClassifierMixin, ...]
    fold_aucs: NDArray[np.float64]
    sequential: SequentialTest
    auc: float
    auc_variance: float
    oof_proba: NDArray[np.float64] = field(repr=False)
    attribution: Attribution = field(repr=False)
    tests: ColumnTests = field(repr=False)
    column_facts: pd.DataFrame | None = field(default=None, repr=False)
    dataset_summary: dict[str, Any] | None = field(default=None, repr=False)
    crossfit: CrossFitState | None = field(default=None, repr=False)
    budget: tuple[NDArray[np.intp], NDArray[np.intp]] | None = field(default=None, repr=False)
