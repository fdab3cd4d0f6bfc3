"""FeatureDependencyChecker: how well do the other columns predict each column?"""

from __future__ import annotations

import warnings
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from .._client import SharesClientMixin
from .._frames import BOOLEAN, CATEGORICAL, FrameEncoder, as_frame
from .._stats import Correction, adjust_p_values
from .._validation import check_number, check_option
from ..exceptions import DataWarning
from ._crossfit import TargetFit, cross_fit
from ._fitting import Design, default_params, estimator_params
from ._flags import id_like, near_duplicates
from ._scoring import Target, class_target, numeric_target

_OWNER = "FeatureDependencyChecker"

#: share of a target's attribution a column needs to be listed in ``top_features``
TOP_SHARE = 0.05
#: columns listed in ``top_features``
TOP_COUNT = 3


class FeatureDependencyChecker(SharesClientMixin, BaseEstimator):
    """Predict every column from the others: redundancy, leaks, IDs and changed relations.

    For each column ``X_j`` in turn, a small LightGBM model predicts it from all other
    columns, out-of-fold (K-fold over the rows where ``X_j`` is observed). Numeric and
    datetime columns are scored by R^2, boolean and categorical ones by ROC AUC
    (one-vs-rest macro average for more than two classes). The score is normalised against
    a naive baseline (the training folds' mean or class shares)::

        score = max(0, (metric - baseline) / (1 - baseline))

    so 0 means "no better than guessing" and 1 "determined by the other columns". A
    chance test gives each score a p-value, so small noisy samples do not report
    dependencies that are not there; TreeSHAP of the fitted models says *which* columns
    explain ``X_j``.

    Parameters
    ----------
    estimator : LightGBM model or None, default=None
        A ``LGBMRegressor``, ``LGBMClassifier`` or ``LGBMModel`` whose parameters are used
        for every target model (a regressor or classifier is built for each target; its
        ``objective``, ``random_state`` and ``n_jobs`` are replaced). ``None`` uses fast,
        regularised settings: 80 rounds, learning rate 0.2, 15 leaves, 80% row
        subsampling, 63 bins, at least ``n / 100`` (5 to 50) rows per leaf, no early
        stopping.
    n_splits : int, default=3
        Folds of the cross-fitting (at least 2).
    n_permutations : int, default=0
        0: the p-value comes from the forward-chained permutation z-test (no refits beyond
        ``n_splits - 2`` per column; see Notes). ``B > 0``: the exact refit permutation
        test, ``(1 + #{null >= observed}) / (1 + B)``, which costs ``B`` times the
        out-of-fold fits (its smallest p-value is ``1 / (1 + B)``, so use ``B >= 99``
        with the Holm correction).
    alpha : float, default=0.05
        Significance level (after the multiple-testing correction over columns).
    correction : {"holm", "fdr_bh", "bonferroni", "none"}, default="holm"
        Multiple-testing correction of the per-column p-values.
    pairwise : bool, default=False
        Also score every column predicted by every other *single* column with a shallow
        model (20 rounds of 8 leaves), out-of-fold: ``pairwise_matrix_``, comparable to
        the predictive power score. Costs ``n_features ** 2 * n_splits`` small fits.
    leak_threshold : float, default=0.95
        With ``y``: a column whose single-column out-of-fold score of ``y`` reaches this
        is listed in ``leaking_features_``.
    redundancy_threshold : float, default=0.9
        A column whose dependency score reaches this (and is significant) is listed in
        ``redundant_features_``. For a numeric column 0.9 is an out-of-fold R^2 of 0.9,
        the classic "variance inflation factor above 10" rule. Also the threshold of
        ``row_order_features_``.
    max_features : int, default=1000
        Column budget: one model is fitted per column (and per pair with ``pairwise``), so
        wider data is refused with a clear message instead of running for hours.
    n_jobs : int or None, default=None
        LightGBM threads (``None``: one below 50,000 rows, all cores above).
    random_state : int, RandomState instance or None, default=None
        Seeds folds, models and subsampling; fix it for reproducible results.
    client : distributed.Client or None, default=None
        Dask client for :mod:`advval.distributed`. With a Dask DataFrame (or a client), the
        checker's row budget is drawn on the cluster as a hash-based sample of at most
        ``advval.distributed._dependency.SAMPLE_ROWS`` rows (every row when fewer) and
        checked as above; see that module. With pandas input and ``client=None`` nothing
        changes.

    Attributes
    ----------
    scores_ : DataFrame
        One row per column (index ``feature``), in the order of ``X``: ``kind`` (numeric,
        boolean, categorical, datetime), ``metric_name`` (``"r2"`` or ``"auc"``),
        ``metric`` (out-of-fold R^2 or AUC; NaN when undefined), ``baseline`` (the naive
        predictor's), ``score`` (0..1), ``p_value``, ``p_value_adjusted``,
        ``significant``, ``redundant``, ``n_rows`` (rows where the column is observed),
        ``top_features`` (tuple: up to three columns with at least 5% of the attribution,
        largest first; empty when the score is 0), ``row_order_score`` (the column
        predicted from row position alone), ``id_like``, and with ``y``:
        ``target_score`` (the column alone predicting ``y``) and ``leak``. A constant
        column, or one observed on fewer than ``2 * n_splits`` rows, gets score 0,
        metric NaN and p-value 1.
    dependency_matrix_ : DataFrame
        Rows: target column; columns: explaining column. Row ``j`` is the target's score
        split in proportion to each column's mean |TreeSHAP| in its models (held-out rows,
        datetime parts summed), so a row sums to that column's score and the diagonal is 0.
    pairwise_matrix_ : DataFrame or None
        With ``pairwise=True``: ``[target, predictor]`` = single-column out-of-fold score
        (diagonal 0); else ``None``.
    redundant_features_ : list of str
        Significant columns with score ``>= redundancy_threshold``.
    near_duplicates_ : list of tuple of str
        Pairs of near-identical columns: ``|Spearman| > 0.99`` (monotone transforms
        included) or a one-to-one mapping of discrete values.
    leaking_features_ : list of str
        With ``y``: columns whose single-column score of ``y`` reaches ``leak_threshold``;
        empty without ``y``.
    id_like_features_ : list of str
        Columns unique per row (text, or integer-valued numbers) or monotone in row order.
    row_order_score_ : float
        Out-of-fold score of the row position predicted from all columns (high when the
        file is sorted by something the columns reveal, e.g. time).
    row_order_features_ : list of str
        Columns whose ``row_order_score`` reaches ``redundancy_threshold``.
    target_scores_ : Series or None
        With ``y``: each column's single-column out-of-fold score of ``y``.
    dropped_features_ : list of str
        Columns dropped because every value was missing.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` is a DataFrame.

    See Also
    --------
    RedundantFeatureDropper : drop redundant columns one at a time.
    advval.AdversarialValidator : the two-sample (train vs test) check.

    Notes
    -----
    *Chance test.* Column ``j``'s p-value tests "the other columns carry no information
    about ``X_j``". The folds are chained forward: fold ``k`` is scored by a model trained
    on folds ``0..k-1`` only, and the association of its predictions with the held-out
    ``X_j`` (Spearman for numbers, probability of the true class for classes) is
    standardised by its exact permutation mean and variance. Given the earlier folds each
    statistic is standard normal under the null, so the ``K - 1`` statistics are
    independent and their weighted Stouffer combination is valid. The p-values are then
    corrected over columns (Holm by default).

    *Cost.* ``n_features * (2 n_splits - 2)`` model fits (each on at most 10,000 rows;
    the columns are binned once for all of them; above 20,000 rows a column's score,
    chance test and attributions use a uniform subset of 20,000 held-out rows, so the
    prediction cost stops growing with the rows), plus ``n_features * n_splits``
    single-column fits for the row-order check (and as many again for the leak check
    with ``y``). Wide data and many-level columns have budgets (at most 32 columns per
    tree, 160 trees per model; see :mod:`advval.dependency._fitting`). Measured on one
    thread of a shared 2-core machine (load average 2-3), 50,000 rows x 100 columns (90
    numeric, 10 categorical with 12 levels) with a target: 214 s (229 s CPU), about 1.2 s
    per numeric column and 3.5 s per categorical one (``benchmarks/bench_deps.py
    --scale``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    >>> X["d"] = np.maximum(X["a"], X["b"]) + rng.normal(scale=0.05, size=300)
    >>> checker = FeatureDependencyChecker(random_state=0, n_jobs=1).fit(X)
    >>> checker.redundant_features_
    ['d']
    >>> sorted(checker.scores_.loc["d", "top_features"])
    ['a', 'b']
    >>> float(checker.scores_.loc["c", "score"]), bool(checker.scores_.loc["c", "significant"])
    (0.0, False)
    """

    def __init__(
        self,
        *,
        estimator: lgb.LGBMModel | None = None,
        n_splits: int = 3,
        n_permutations: int = 0,
        alpha: float = 0.05,
        correction: Correction = "holm",
        pairwise: bool = False,
        leak_threshold: float = 0.95,
        redundancy_threshold: float = 0.9,
        max_features: int = 1000,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
        client: Any = None,
    ) -> None:
        self.estimator = estimator
        self.n_splits = n_splits
        self.n_permutations = n_permutations
        self.alpha = alpha
        self.correction = correction
        self.pairwise = pairwise
        self.leak_threshold = leak_threshold
        self.redundancy_threshold = redundancy_threshold
        self.max_features = max_features
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.client = client

    # ------------------------------------------------------------------ validation
    def _validate_params(self) -> None:
        check_number(self.n_splits, name="n_splits", owner=_OWNER, kind=int, low=2)
        check_number(self.n_permutations, name="n_permutations", owner=_OWNER, kind=int, low=0)
        check_number(self.alpha, name="alpha", owner=_OWNER, low=0, high=1, closed="neither")
        check_option(
            self.correction,
            name="correction",
            owner=_OWNER,
            options=("holm", "fdr_bh", "bonferroni", "none"),
        )
        check_option(self.pairwise, name="pairwise", owner=_OWNER, options=(False, True))
        for name in ("leak_threshold", "redundancy_threshold"):
            check_number(
                getattr(self, name), name=name, owner=_OWNER, low=0, high=1, closed="right"
            )
        check_number(self.max_features, name="max_features", owner=_OWNER, kind=int, low=2)
        check_number(self.n_jobs, name="n_jobs", owner=_OWNER, kind=int, allow_none=True)
        if self.estimator is not None and not isinstance(self.estimator, lgb.LGBMModel):
            raise TypeError(
                f"The 'estimator' parameter of {_OWNER} must be a LightGBM model "
                f"(LGBMRegressor, LGBMClassifier or LGBMModel) or None. Got "
                f"{type(self.estimator).__name__} instead."
            )

    def _params(self, n_rows: int) -> dict[str, Any]:
        if self.estimator is None:
            return default_params(n_rows=n_rows, single=False)
        return estimator_params(self.estimator)

    def _check_frame(self, X: Any, *, reset: bool) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=reset, skip_check_array=True)
            frame = as_frame(X, name="X")
        else:
            array = validate_data(self, X, reset=reset, dtype=None, ensure_all_finite="allow-nan")
            frame = as_frame(array, name="X")
            if array.dtype == object:
                frame = frame.infer_objects()
        n_rows, n_columns = frame.shape
        if n_columns < 2:
            raise ValueError(
                f"X has {n_columns} feature(s) {list(frame.columns)!r} but {_OWNER} predicts "
                f"each column from the others, so it needs at least 2 columns."
            )
        if n_columns > self.max_features:
            raise ValueError(
                f"X has {n_columns} columns but max_features={self.max_features}: the "
                f"checker fits one model per column ({n_columns} x {2 * self.n_splits - 2} "
                f"fits). Select fewer columns, or pass max_features={n_columns} (or more) "
                f"if you can afford it."
            )
        if n_rows < 2 * self.n_splits:
            raise ValueError(
                f"X has {n_rows} sample(s) but {_OWNER} with n_splits={self.n_splits} needs "
                f"at least {2 * self.n_splits} rows."
            )
        return frame

    def _drop_empty(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        empty = [c for c in frame.columns if bool(frame[c].isna().all())]
        if empty:
            warnings.warn(
                f"Dropped {len(empty)} column(s) of X whose values are all missing: "
                f"{empty[:10]!r}{' and more' if len(empty) > 10 else ''}.",
                DataWarning,
                stacklevel=3,
            )
            frame = frame.drop(columns=empty)
        if frame.shape[1] < 2:
            raise ValueError(
                f"X has {frame.shape[1]} column(s) {list(frame.columns)!r} left after "
                f"dropping {len(empty)} entirely missing one(s) {empty[:10]!r}; {_OWNER} "
                f"needs at least 2 columns with values."
            )
        return frame, empty

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None) -> FeatureDependencyChecker:
        """Score how well each column of ``X`` is predicted by the others.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric, boolean, categorical / string and datetime columns; missing values
            are allowed (a column's missing rows are skipped when it is the target).
            Never modified.
        y : array-like of shape (n_samples,) or None, default=None
            Target of a supervised task: enables the leak check (``leaking_features_``,
            ``target_scores_``). Class labels (integers, strings, booleans, or floats with
            two values) are scored by AUC, other numbers by R^2. Missing values are
            skipped.

        Returns
        -------
        self : FeatureDependencyChecker
        """
        self._validate_params()
        if self.client is not None or _is_dask(X) or _is_dask(y):
            from ..distributed._dependency import fit_checker

            return fit_checker(self, X, y)
        return self._fit_frame(X, y)

    def _fit_frame(self, X: Any, y: Any) -> FeatureDependencyChecker:
        """The fit on in-memory data (also what the Dask path runs on its sample)."""
        frame = self._check_frame(X, reset=True)
        target_y = None if y is None else _check_y(y, frame)
        frame, self.dropped_features_ = self._drop_empty(frame)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(0, 2**31 - 10**8))  # room for per-target offsets

        encoder = FrameEncoder().fit(frame, frame)
        encoder.check_finite(frame, name="X")
        encoded = encoder.transform(frame)
        columns = list(encoder.columns)
        n_rows = len(frame)
        params = self._params(n_rows)
        single = default_params(n_rows=n_rows, single=True)
        targets = {c: column_target(encoder, frame, c) for c in columns}
        parts = {
            c: [e for e, s in zip(encoded.columns, encoder.source, strict=True) if s == c]
            for c in columns
        }

        design = Design(encoded, params)
        source = np.asarray(encoder.source, dtype=object)
        fits: dict[str, TargetFit] = {}
        shares = np.zeros((len(columns), len(columns)))
        for j, column in enumerate(columns):
            fit = cross_fit(
                targets[column],
                design,
                params,
                exclude=np.flatnonzero(source == column),
                n_splits=self.n_splits,
                random_state=seed + 10 * j,
                n_jobs=self.n_jobs,
                n_permutations=self.n_permutations,
            )
            fits[column] = fit
            if fit.contributions is not None:
                by_source = pd.Series(fit.contributions, index=source).groupby(level=0).sum()
                row = np.array(by_source.reindex(columns, fill_value=0.0), dtype=np.float64)
                row[j] = 0.0
                if row.sum() > 0:
                    shares[j] = row / row.sum()

        row_target = numeric_target(np.arange(n_rows, dtype=np.float64))
        self.row_order_score_ = cross_fit(
            row_target,
            design,
            params,
            n_splits=self.n_splits,
            random_state=seed + 1,
            n_jobs=self.n_jobs,
            test=False,
            explain=False,
        ).score
        position = Design(
            pd.DataFrame({"row_position": np.arange(n_rows, dtype=np.float64)}), single
        )
        singles = {c: Design(encoded[parts[c]], single) for c in columns}
        row_scores = [
            self._single(targets[c], position, single, seed + 10 * j + 2)
            for j, c in enumerate(columns)
        ]

        score = np.array([fits[c].score for c in columns])
        p_raw = np.array([fits[c].p_value for c in columns])
        p_adjusted = adjust_p_values(p_raw, self.correction)
        significant = p_adjusted < self.alpha
        redundant = significant & (score >= self.redundancy_threshold)
        matrix = shares * score[:, None]
        self.dependency_matrix_ = _square(matrix, columns)
        self.id_like_features_ = id_like(encoder, frame)
        self.near_duplicates_ = near_duplicates(encoder, frame)
        self.redundant_features_ = [c for c, r in zip(columns, redundant, strict=True) if r]
        self.row_order_features_ = [
            c for c, s in zip(columns, row_scores, strict=True) if s >= self.redundancy_threshold
        ]
        report = pd.DataFrame(
            {
                "kind": [encoder.kinds[c] for c in columns],
                "metric_name": ["r2" if targets[c].kind == "numeric" else "auc" for c in columns],
                "metric": [fits[c].metric for c in columns],
                "baseline": [fits[c].baseline for c in columns],
                "score": score,
                "p_value": p_raw,
                "p_value_adjusted": p_adjusted,
                "significant": significant,
                "redundant": redundant,
                "n_rows": np.array([fits[c].n_rows for c in columns], dtype=np.int64),
                "top_features": [_top(matrix[j], columns) for j in range(len(columns))],
                "row_order_score": row_scores,
                "id_like": [c in self.id_like_features_ for c in columns],
            },
            index=pd.Index(columns, name="feature"),
        )
        self.target_scores_ = None
        self.leaking_features_ = []
        if target_y is not None:
            leak_scores = [
                self._single(target_y, singles[c], single, seed + 10 * j + 3)
                for j, c in enumerate(columns)
            ]
            self.target_scores_ = pd.Series(
                leak_scores, index=pd.Index(columns, name="feature"), name="target_score"
            )
            report["target_score"] = leak_scores
            report["leak"] = [s >= self.leak_threshold for s in leak_scores]
            self.leaking_features_ = [
                c for c, s in zip(columns, leak_scores, strict=True) if s >= self.leak_threshold
            ]
        self.scores_ = report
        self.pairwise_matrix_ = (
            self._pairwise(targets, singles, single, seed) if self.pairwise else None
        )
        return self

    def _single(self, target: Target, design: Design, params: dict[str, Any], seed: int) -> float:
        return cross_fit(
            target,
            design,
            params,
            n_splits=self.n_splits,
            random_state=seed,
            n_jobs=self.n_jobs,
            test=False,
            explain=False,
        ).score

    def _pairwise(
        self,
        targets: dict[str, Target],
        singles: dict[str, Design],
        params: dict[str, Any],
        seed: int,
    ) -> pd.DataFrame:
        columns = list(targets)
        matrix = np.zeros((len(columns), len(columns)))
        for j, target in enumerate(columns):
            for k, predictor in enumerate(columns):
                if j != k:
                    matrix[j, k] = self._single(
                        targets[target],
                        singles[predictor],
                        params,
                        seed + 7919 * j + 13 * k + 5,
                    )
        return _square(matrix, columns)

    # ------------------------------------------------------------------ shift
    def dependency_shift(self, X_train: Any, X_test: Any) -> pd.DataFrame:
        """Which relationships between columns changed from ``X_train`` to ``X_test``?

        See :func:`advval.dependency.dependency_shift`; this method runs it with this
        checker's parameters (``estimator``, ``alpha``, ``correction``, ``n_jobs``,
        ``random_state``). It does not need :meth:`fit`.
        """
        from ._shift import dependency_shift

        self._validate_params()
        return dependency_shift(
            X_train,
            X_test,
            estimator=self.estimator,
            alpha=self.alpha,
            correction=self.correction,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.sparse = False
        tags.target_tags.required = False
        tags.non_deterministic = self.random_state is None
        return tags


def _is_dask(X: object) -> bool:
    """Whether ``X`` is a Dask collection, without importing Dask."""
    return type(X).__module__.split(".")[0] in ("dask", "dask_expr")


def column_target(encoder: FrameEncoder, frame: pd.DataFrame, column: str) -> Target:
    """``frame[column]`` as a target: numeric (numbers, datetimes) or classes."""
    values = encoder.column_values(frame, column)
    if encoder.kinds[column] in (CATEGORICAL, BOOLEAN):
        return class_target(values)
    return numeric_target(np.asarray(values, dtype=np.float64))


def _check_y(y: Any, frame: pd.DataFrame) -> Target:
    array = check_array(
        y, ensure_2d=False, dtype=None, input_name="y", ensure_all_finite="allow-nan"
    )
    array = column_or_1d(array)
    check_consistent_length(frame, array)
    series = pd.Series(array)
    observed = series.dropna()
    if observed.empty:
        raise ValueError(
            f"y has no observed value (all {len(series)} are missing); the leak check needs "
            f"a target with at least two classes or values."
        )
    if observed.nunique() < 2:
        value = observed.iloc[:1].tolist()[0]
        raise ValueError(
            f"y has a single distinct value ({value!r}); the leak check needs a target with "
            f"at least two classes or values."
        )
    if _is_class_target(observed.to_numpy()):
        return class_target(series.to_numpy(dtype=object))
    return numeric_target(np.asarray(array, dtype=np.float64))


def _is_class_target(y: NDArray[Any]) -> bool:
    """Class labels: integers, booleans, strings, categories, or floats with two values."""
    if y.dtype == object:
        try:
            numbers = y.astype(np.float64)
        except (TypeError, ValueError):
            return True
        y = numbers
    kind = type_of_target(y)
    if kind not in ("binary", "multiclass"):
        return False
    return y.dtype.kind != "f" or kind == "binary"


def _square(matrix: NDArray[np.float64], columns: list[str]) -> pd.DataFrame:
    index = pd.Index(columns, name="target")
    return pd.DataFrame(matrix, index=index, columns=pd.Index(columns, name="feature"))


def _top(row: NDArray[np.float64], columns: list[str]) -> tuple[str, ...]:
    total = float(row.sum())
    if total <= 0:
        return ()
    order = np.argsort(-row, kind="stable")[:TOP_COUNT]
    return tuple(columns[k] for k in order if row[k] >= TOP_SHARE * total)
