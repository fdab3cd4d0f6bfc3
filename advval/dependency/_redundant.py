"""RedundantFeatureDropper: drop, one at a time, the columns the other columns predict."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from .._frames import as_frame
from .._selection import SupportSelectorMixin
from .._validation import check_number
from ..exceptions import AdvvalWarning
from ._checker import FeatureDependencyChecker

_OWNER = "RedundantFeatureDropper"

#: candidates whose scores are within this of the best are "equally redundant": among
#: them the one with the most missing values is dropped
SCORE_TIE = 0.02


class RedundantFeatureDropper(SupportSelectorMixin, BaseEstimator):
    """Drop columns that the other columns predict, one at a time, re-checking after each.

    A feature selector for scikit-learn pipelines. :meth:`fit` runs a
    :class:`FeatureDependencyChecker`; while some column outside ``keep`` is significantly
    predicted by the others with a dependency score of at least ``threshold``, one of them
    is dropped and the checker runs again on the remaining columns. Re-checking after each
    drop is what keeps one column of every redundant group: once ``a_copy`` is dropped,
    ``a`` is no longer predictable and stays.

    Which column goes: the highest dependency score; among the columns within 0.02 of it
    (e.g. the two halves of a duplicate pair), the one with the most missing values, then
    the higher score, then the later column.

    Parameters
    ----------
    threshold : float, default=0.9
        Dependency score (0..1, see :class:`FeatureDependencyChecker`) from which a
        significant column counts as redundant; replaces the checker's
        ``redundancy_threshold``.
    keep : iterable of str, default=()
        Columns never dropped (names; an array's columns are called ``x0, x1, ...``).
        A column redundant with a kept one is dropped instead.
    checker : FeatureDependencyChecker or None, default=None
        The check run at every step (cloned; ``pairwise`` is switched off).
        ``None`` uses ``FeatureDependencyChecker()``. When its ``random_state`` is
        ``None`` it gets a seed drawn from ``random_state``.
    random_state : int, RandomState instance or None, default=None
        Seeds the checker (see ``checker``).

    Attributes
    ----------
    support_ : ndarray of bool of shape (n_features_in_,)
        Kept columns; also given by :meth:`get_support`.
    dropped_features_ : list of str
        Dropped columns, in the order they were dropped.
    path_ : DataFrame
        One row per checker fit: ``step``, ``n_features``, ``dropped`` (the column
        dropped after this step; ``None`` in the last row), its ``score`` and
        ``top_features`` (the columns that predicted it).
    checker_ : FeatureDependencyChecker
        The checker of the last step, fitted on the kept columns (``None`` when fewer
        than two columns with values were given).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` is a DataFrame.

    See Also
    --------
    FeatureDependencyChecker : the check run at each step.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    >>> X["a_copy"] = X["a"] + rng.normal(scale=0.01, size=300)
    >>> X.loc[:9, "a_copy"] = np.nan
    >>> checker = FeatureDependencyChecker(n_jobs=1)
    >>> dropper = RedundantFeatureDropper(checker=checker, random_state=0).fit(X)
    >>> dropper.dropped_features_
    ['a_copy']
    >>> dropper.set_output(transform="pandas").transform(X).columns.tolist()
    ['a', 'b', 'c']
    """

    def __init__(
        self,
        *,
        threshold: float = 0.9,
        keep: Iterable[str] = (),
        checker: FeatureDependencyChecker | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.threshold = threshold
        self.keep = keep
        self.checker = checker
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_number(self.threshold, name="threshold", owner=_OWNER, low=0, high=1, closed="right")
        if self.checker is not None and not isinstance(self.checker, FeatureDependencyChecker):
            raise TypeError(
                f"The 'checker' parameter of {_OWNER} must be a FeatureDependencyChecker or "
                f"None. Got {type(self.checker).__name__} instead."
            )

    def fit(self, X: Any, y: Any = None) -> RedundantFeatureDropper:
        """Drop redundant columns of ``X`` one at a time.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Never modified.
        y : None
            Ignored; present for the pipeline API.

        Returns
        -------
        self : RedundantFeatureDropper
        """
        self._validate_params()
        frame = self._frame(X)
        keep = self._keep_columns(frame)
        checker = clone(self.checker) if self.checker is not None else FeatureDependencyChecker()
        checker.set_params(redundancy_threshold=self.threshold, pairwise=False)
        if checker.random_state is None:
            seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
            checker.set_params(random_state=seed)
        missing = frame.isna().mean()
        remaining = list(frame.columns)
        steps: list[dict[str, Any]] = []
        fitted: FeatureDependencyChecker | None = None
        while int((missing[remaining] < 1.0).sum()) >= 2:
            with warnings.catch_warnings():
                if steps:  # later steps repeat the first one's data warnings
                    warnings.simplefilter("ignore", AdvvalWarning)
                fitted = clone(checker).fit(frame[remaining])
            column = _next_drop(fitted, keep, missing, remaining)
            scores = fitted.scores_
            steps.append(
                {
                    "step": len(steps),
                    "n_features": len(remaining),
                    "dropped": column,
                    "score": scores["score"].to_dict()[column] if column else np.nan,
                    "top_features": scores["top_features"].to_dict()[column] if column else (),
                }
            )
            if column is None:
                break
            remaining.remove(column)
        self.checker_ = fitted
        self.dropped_features_ = [s["dropped"] for s in steps if s["dropped"] is not None]
        self.support_ = np.isin(np.asarray(frame.columns, dtype=object), remaining)
        self.path_ = pd.DataFrame(
            {
                "step": np.array([s["step"] for s in steps], dtype=np.int64),
                "n_features": np.array([s["n_features"] for s in steps], dtype=np.int64),
                "dropped": pd.Series([s["dropped"] for s in steps], dtype=object),
                "score": np.array([s["score"] for s in steps], dtype=np.float64),
                "top_features": pd.Series([s["top_features"] for s in steps], dtype=object),
            }
        )
        return self

    def _frame(self, X: Any) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=True, skip_check_array=True)
            return as_frame(X, name="X")
        array = validate_data(self, X, reset=True, dtype=None, ensure_all_finite="allow-nan")
        frame = as_frame(array, name="X")
        return frame.infer_objects() if array.dtype == object else frame

    def _keep_columns(self, frame: pd.DataFrame) -> set[str]:
        keep = [self.keep] if isinstance(self.keep, str) else list(self.keep)
        unknown = [c for c in keep if c not in set(frame.columns)]
        if unknown:
            raise ValueError(
                f"The 'keep' parameter of {_OWNER} names column(s) that are not in X: "
                f"{unknown!r}. X has columns {list(frame.columns)[:10]!r}."
            )
        return set(keep)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.non_deterministic = self.random_state is None
        return tags


def _next_drop(
    checker: FeatureDependencyChecker, keep: set[str], missing: pd.Series, remaining: list[str]
) -> str | None:
    """The column to drop next, or ``None`` when no droppable column is redundant."""
    score = {str(k): float(v) for k, v in checker.scores_["score"].items()}
    share_missing = {str(k): float(v) for k, v in missing.items()}
    candidates = [c for c in checker.redundant_features_ if c not in keep]
    if not candidates:
        return None
    best = max(score[c] for c in candidates)
    tied = [c for c in candidates if score[c] >= best - SCORE_TIE]
    position = {c: i for i, c in enumerate(remaining)}
    return max(tied, key=lambda c: (share_missing[c], score[c], position[c]))
