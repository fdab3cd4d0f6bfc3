"""FeatureDependencyChecker: how well do the other columns predict each column?"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from .. import _defaults
from .._caller import user_stacklevel
from .._client import SharesClientMixin
from .._dask import on_dask, sample_rows
from .._display import verdict_card, verdict_line
from .._frames import (
    ALIGN_NAMES,
    BOOLEAN,
    CATEGORICAL,
    TEXT,
    FrameEncoder,
    array_column_names,
    as_frame,
)
from .._progress import note, progress_display, stage
from .._repr import ReprMixin
from .._stats import Correction, adjust_p_values
from .._validation import check_bool, check_min_rows, check_number, check_option
from ..exceptions import ReadingWarning
from ._budget import (
    PRECISION,
    budget_rows,
    check_max_rows,
    cross_fit_folds,
    default_row_budget,
    holdout_mask,
)
from ._crossfit import TargetFit, cross_fit
from ._encoding import SCORE_ADVICE, fit_encoder, unpredicted_warning
from ._fitted import _DependencyFit, fit_seed, sample_seed
from ._fitting import Design, default_params, estimator_params
from ._flags import id_like, near_duplicates, timestamp_like
from ._scoring import (
    Target,
    class_mapping,
    class_target,
    is_code,
    numeric_target,
    score_interval,
)
from ._shift import FitBasis
from ._summary import summarize

_OWNER = "FeatureDependencyChecker"

#: share of a target's attribution a column needs to be listed in ``top_features``
TOP_SHARE = 0.05
#: columns listed in ``top_features``
TOP_COUNT = 3


class FeatureDependencyChecker(ReprMixin, SharesClientMixin, BaseEstimator):
    """Predict every column from the others: redundancy, leaks, IDs and changed relations.

    For each column ``X_j`` in turn, a small LightGBM model predicts it from all other
    columns, out-of-sample: K-fold cross-fitting over the rows where ``X_j`` is observed,
    or, from 10,000 rows, one hold-out split of the rows (at most the row budget's,
    ``max_rows``). Numeric and datetime columns (date strings included) are scored by R^2,
    boolean and categorical ones by ROC AUC (for more than two classes, the one-vs-rest
    AUCs weighted by the classes' shares). The score is normalised against a naive
    baseline (the training rows' mean or class shares)::

        score = max(0, (metric - baseline) / (1 - baseline))

    so 0 means "no better than guessing" and 1 "determined by the other columns". The
    score estimates what the best predictor of ``X_j`` from the others would score on new
    rows: each model's capacity adapts to its column (early stopping on validation rows
    carved from its training rows, and the shape of its trees chosen on them), and it is
    scored on rows never used to fit or to choose it. It comes with a 95% interval (from
    the scored rows), and the redundancy flag is decided on the interval's lower end. A
    chance test gives each score a p-value, so small noisy samples do not report
    dependencies that are not there; TreeSHAP of the fitted models says *which* columns
    explain ``X_j``.

    Parameters
    ----------
    estimator : LightGBM model or None, default=None
        A ``LGBMRegressor``, ``LGBMClassifier`` or ``LGBMModel`` whose parameters are used
        for every target model (a regressor or classifier is built for each target; its
        ``objective``, ``random_state`` and ``n_jobs`` are replaced; no early stopping).
        ``None`` adapts each model to its column (see :mod:`advval.dependency._fitting`):
        20% of its training rows stop the boosting when they stop improving and choose
        between trees with constant and with linear leaves; 80% row subsampling, 63 bins,
        at least ``n / 100`` (5 to 50) rows per leaf.
    n_splits : int, default=3
        Folds of the cross-fitting (at least 2), used below 10,000 rows; from there each
        column is scored on one hold-out split (see ``max_rows``). With the default
        ``estimator`` the fewest folds: fewer rows get more, up to 5 from 5,000 rows
        down, so that each model trains on more of them
        (:func:`~advval.dependency._budget.cross_fit_folds`).
    n_permutations : int, default=0
        0: the p-value comes from the forward-chained permutation z-test (one refit per
        column; see Notes). ``B > 0``: the exact refit permutation
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
        A significant column whose score's 95% interval lies at or above this is listed
        in ``redundant_features_``: the others explain at least this much of it. For a
        numeric column 0.9 is an out-of-fold R^2 of 0.9, the classic "variance inflation
        factor above 10" rule. Also the threshold of ``row_order_features_``.
    max_features : int, default=1000
        Column budget: one model is fitted per column (and per pair with ``pairwise``), so
        wider data is refused with a clear message instead of running for hours.
    max_rows : int, "auto" or None, default="auto"
        Rows the per-column models use, drawn uniformly once (every column uses the same
        rows); ``n_rows_used_`` says how many. ``"auto"`` derives the budget from the
        precision the flags need (:mod:`advval.dependency._budget`): 10,000 rows to train
        each column's model and enough held-out rows to know its score to +-0.01 at the
        redundancy threshold, 24,598 rows at the defaults; smaller data use every row.
        From 10,000 rows used each column is scored on a hold-out split (one fit per
        column: ``min(10,000, n / 2)`` rows train, the others are scored), below by
        cross-fitting every row (``K + 1`` fits, K folds). ``None`` uses every row.
        The columns' kinds and the ID-like flags always read every row; the
        near-duplicate pairs (a rank correlation above 0.99, known to +-0.0002 on the
        budget's rows) use the budget's rows.
    column_kinds : dict or None, default=None
        Column -> ``"categorical"``, ``"datetime"`` or ``"text"``: what a column is, where
        its dtype and values would suggest otherwise (see
        :class:`~advval._frames.FrameEncoder`). Other columns are read from their dtypes
        and values: date strings of one format are datetimes, free text (many distinct
        values of several words) is text, and categoricals of more than 255 levels are
        capped as predictors (frequent levels, one other level, and counts).
    n_jobs : int or None, default=None
        LightGBM threads per model (``None``: :func:`advval._models.lightgbm_threads`,
        one thread, as no model here trains on 50,000 rows).
    verbose : bool, default=False
        Show progress on stderr: named stages (predicting each column from the others,
        with its name and count; the row-order and leak checks) and, when the row budget
        applies, a line saying so.
    random_state : int, RandomState instance or None, default=None
        Seeds folds, models and subsampling; fix it for reproducible results.
    client : distributed.Client or None, default=None
        Dask client for :mod:`advval.distributed`. With a Dask DataFrame (or a client), a
        hash-based sample of a little more than the row budget (``max_rows``) is drawn on
        the cluster and checked as above; see :mod:`advval.distributed._dependency`. With
        pandas input and ``client=None`` nothing changes.

    Attributes
    ----------
    scores_ : DataFrame
        One row per column (index ``feature``), in the order of ``X``: ``kind`` (numeric,
        boolean, categorical, datetime, text), ``metric_name`` (``"r2"`` or ``"auc"``),
        ``metric`` (out-of-fold R^2 or AUC; NaN when undefined), ``baseline`` (the naive
        predictor's), ``score`` (0..1), ``score_low`` and ``score_high`` (its 95%
        interval: the delta method on the scored rows' losses or AUC placements, clipped
        to 0..1; NaN when undefined), ``p_value``, ``p_value_adjusted``,
        ``significant``, ``redundant``, ``n_rows`` (rows where the column is observed),
        ``top_features`` (tuple: up to three columns with at least 5% of the attribution,
        largest first; empty when the score is 0), ``row_order_score`` (the column
        predicted from row position alone), ``id_like``, and with ``y``:
        ``target_score`` (the column alone predicting ``y``) and ``leak``. A constant
        column, or one observed on fewer than ``2 * n_splits`` rows, gets score 0,
        metric NaN and p-value 1; a column of ``unscored_features_`` gets score, metric,
        baseline and ``row_order_score`` NaN and p-value 1. ``n_rows`` counts the rows
        used (the row budget's).
    dependency_matrix_ : DataFrame
        Rows: target column; columns: explaining column. Row ``j`` is the target's score
        split in proportion to each column's mean |TreeSHAP| in its models (held-out rows,
        datetime parts summed), so a row sums to that column's score and the diagonal is 0.
    pairwise_matrix_ : DataFrame or None
        With ``pairwise=True``: ``[target, predictor]`` = single-column out-of-fold score
        (diagonal 0); else ``None``.
    redundant_features_ : list of str
        Significant columns whose ``score_low >= redundancy_threshold``.
    near_duplicates_ : list of tuple of str
        Pairs of near-identical columns: ``|Spearman| > 0.99`` (monotone transforms
        included) or a one-to-one mapping of discrete values.
    leaking_features_ : list of str
        With ``y``: columns whose single-column score of ``y`` reaches ``leak_threshold``;
        empty without ``y``.
    id_like_features_ : list of str
        Columns unique per row (text, or integer-valued numbers) or monotone in row order.
    timestamp_like_features_ : list of str
        Those ID-like columns that are timestamps written as numbers: plausible epoch
        seconds or milliseconds (2001 to 2033) rising with the rows.
    row_order_score_ : float
        Out-of-fold score of the row position predicted from all columns (high when the
        file is sorted by something the columns reveal, e.g. time).
    row_order_features_ : list of str
        Columns whose ``row_order_score`` reaches ``redundancy_threshold``.
    target_scores_ : Series or None
        With ``y``: each column's single-column out-of-fold score of ``y``.
    unscored_features_ : list of str
        Columns not predicted from the others: free text, and categorical codes with no
        value on 1% of the rows (a tail number, a flight code, a customer ID), where there
        is no class to learn; a DataWarning names them. They are still predictors (text by
        its length, words and character shares, codes by their frequent levels and
        counts) and are checked for leaks and ID-likeness.
    dropped_features_ : list of str
        Columns dropped because every value was missing.
    n_rows_in_ : int
        Rows given.
    n_rows_used_ : int
        Rows the per-column models used (``max_rows`` applied).
    max_rows_ : int or None
        The row budget applied (``max_rows`` resolved; ``None``: every row).
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
    about ``X_j``". The association of held-out predictions with the held-out ``X_j``
    (Spearman for numbers, probability of the true class for classes) is standardised by
    its exact permutation mean and variance. With cross-fitting the folds are chained
    forward in two steps: the middle folds are scored by a model trained on the first
    ones only, the last fold by its out-of-fold model; given what its model saw each
    statistic is standard normal under the null, so the two are independent and their
    weighted Stouffer combination is valid (:mod:`advval.dependency._crossfit`). On the
    hold-out split the one statistic of the scored rows is the test. The p-values are
    then corrected over columns (Holm by default).

    *Cost.* From 10,000 rows: one model fit per column (on at most 10,000 rows), its
    predictions on the scored rows and TreeSHAP of 300 of them, plus one single-column fit
    for the row-order check (and one for the leak check with ``y``). Below:
    ``n_features * (K + 1)`` model fits (each on fewer than 10,000 rows; K folds) and
    ``n_features * n_splits`` single-column fits per check. A "model fit" stops early,
    and a column (numeric, or of at most 5 classes) whose first model scores at least
    0.5 on its validation rows is fitted a second time with linear leaves; the better
    shape is then trained again on all its rows. The columns
    are binned once for all fits. Wide data and many-level columns have budgets (at most
    32 columns per tree, 1,000 trees per model; see :mod:`advval.dependency._fitting`).
    Measured on one thread of a shared 2-core machine: see
    ``benchmarks/bench_deps_kaggle.py`` (a 244,737 x 127 Kaggle-shaped table) and
    ``benchmarks/bench_deps.py --scale``.

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
        n_splits: int = _defaults.CHECKER_N_SPLITS,
        n_permutations: int = 0,
        alpha: float = _defaults.CHECKER_ALPHA,
        correction: Correction = "holm",
        pairwise: bool = False,
        leak_threshold: float = 0.95,
        redundancy_threshold: float = 0.9,
        max_features: int = _defaults.CHECKER_MAX_FEATURES,
        max_rows: int | str | None = "auto",
        column_kinds: dict[str, str] | None = None,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: bool = False,
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
        self.max_rows = max_rows
        self.column_kinds = column_kinds
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
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
        check_bool(self.pairwise, name="pairwise", owner=_OWNER)
        for name in ("leak_threshold", "redundancy_threshold"):
            check_number(
                getattr(self, name), name=name, owner=_OWNER, low=0, high=1, closed="right"
            )
        check_number(self.max_features, name="max_features", owner=_OWNER, kind=int, low=2)
        check_max_rows(self.max_rows, owner=_OWNER, n_splits=self.n_splits)
        check_number(self.n_jobs, name="n_jobs", owner=_OWNER, kind=int, allow_none=True)
        check_bool(self.verbose, name="verbose", owner=_OWNER)
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

    def _check_frame(self, X: Any, *, reset: bool, name: str = "X") -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=reset, skip_check_array=True)
            frame = as_frame(X, name=name)
        else:
            array = validate_data(self, X, reset=reset, dtype=None, ensure_all_finite="allow-nan")
            frame = as_frame(array, name=name)
            if array.dtype == object:
                frame = frame.infer_objects()
        n_rows, n_columns = frame.shape
        if n_columns < 2:
            raise ValueError(
                f"{name} has {n_columns} feature(s) {list(frame.columns)!r} but {_OWNER} predicts "
                f"each column from the others, so it needs at least 2 columns."
            )
        if n_columns > self.max_features:
            raise ValueError(
                f"{name} has {n_columns} columns but max_features={self.max_features}: the "
                f"checker fits one model per column ({n_columns} x {2 * self.n_splits - 2} "
                f"fits). Select fewer columns, or pass max_features={n_columns} (or more) "
                f"if you can afford it."
            )
        check_min_rows(
            n_rows,
            name=name,
            minimum=2 * self.n_splits,
            needed_by=f"{_OWNER} with n_splits={self.n_splits}",
        )
        return frame

    def _drop_empty(self, frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[str]]:
        empty = [c for c in frame.columns if bool(frame[c].isna().all())]
        if empty:
            warnings.warn(
                f"Dropped {len(empty)} column(s) of {name} whose values are all missing: "
                f"{empty[:10]!r}{' and more' if len(empty) > 10 else ''}.",
                ReadingWarning,
                stacklevel=user_stacklevel(),
            )
            frame = frame.drop(columns=empty)
        if frame.shape[1] < 2:
            raise ValueError(
                f"{name} has {frame.shape[1]} column(s) {list(frame.columns)!r} left after "
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
        return self._fit_named(X, y, names=("X", "y"))

    def _fit_named(self, X: Any, y: Any, *, names: tuple[str, str]) -> FeatureDependencyChecker:
        """:meth:`fit`, its errors and warnings about the data calling ``X`` and ``y`` ``names``.

        For the command line, which names the user's file and target column (``("DATA
        file 'a.csv'", "--target column 'y' of DATA file 'a.csv'")``), on pandas and Dask
        data alike.
        """
        self._validate_params()
        seed = fit_seed(self.random_state)
        if on_dask(self.client, X, y):
            # the backend draws the budget's rows on the cluster; the fit runs on them
            sample = sample_rows(
                X,
                y,
                client=self.client,
                budget=self.resolve_max_rows,
                seed=sample_seed(self.random_state),
                name=names[0],
            )
            fit = self._fit_frame(
                sample.frame, sample.target, seed, n_rows_in=sample.n_rows, names=names
            )
            fit = replace(fit, n_rows_sampled=len(sample.frame))
        else:
            with progress_display(enabled=bool(self.verbose)):
                fit = self._fit_frame(X, y, seed, names=names)
        self._store_fit(fit)
        return self

    def _store_fit(self, fit: _DependencyFit) -> None:
        """Set the fitted attributes from ``fit`` (none left from an earlier fit)."""
        if fit.n_rows_sampled is None and hasattr(self, "n_rows_sampled_"):
            del self.n_rows_sampled_
        for name, value in fit.attributes().items():
            setattr(self, name, value)
        self._basis = fit.basis

    def resolve_max_rows(self, n_rows: int) -> int | None:
        """The row budget for ``n_rows`` rows: ``max_rows`` resolved (``None``: every row).

        Examples
        --------
        >>> FeatureDependencyChecker().resolve_max_rows(244_737)
        24598
        >>> FeatureDependencyChecker().resolve_max_rows(20_000) is None
        True
        >>> FeatureDependencyChecker(max_rows=5_000).resolve_max_rows(20_000)
        5000
        """
        if isinstance(self.max_rows, str):  # "auto", checked by _validate_params
            budget: int | None = default_row_budget(float(self.redundancy_threshold))
        else:
            budget = None if self.max_rows is None else int(self.max_rows)
        return None if budget is None or budget >= n_rows else budget

    def _fit_frame(
        self,
        X: Any,
        y: Any,
        seed: int,
        *,
        n_rows_in: int | None = None,
        names: tuple[str, str] = ("X", "y"),
    ) -> _DependencyFit:
        """The fit on in-memory data (also what the Dask path runs on its sample).

        ``seed``: the fit's (:func:`~advval.dependency._fitted.fit_seed`). ``n_rows_in``:
        rows of the data ``X`` was sampled from (the Dask path's), else ``len(X)``.
        ``names``: what the messages call ``X`` and ``y``.
        """
        frame = self._check_frame(X, reset=True, name=names[0])
        target_y = None if y is None else _check_y(y, frame, name=names[1])
        frame, dropped = self._drop_empty(frame, names[0])

        with stage("screening columns (kinds, ID-like columns)"):
            encoder = fit_encoder(frame, frame, self.column_kinds)
            encoder.check_finite(frame, name=names[0])
            id_like_features = id_like(encoder, frame)  # every row: unique per row?
            timestamps = timestamp_like(encoder, frame, id_like_features)
        n_rows_in = len(frame) if n_rows_in is None else int(n_rows_in)
        max_rows = self.resolve_max_rows(len(frame))
        rows = budget_rows(len(frame), max_rows, seed + 7)
        n_rows_used = int(rows.size)
        holdout = holdout_mask(rows.size, seed + 9)
        _note_budget(holdout, n_rows_in, n_rows_used)
        if rows.size < len(frame):
            frame = frame.iloc[rows]
            if target_y is not None:
                target_y = target_y.subset(rows)

        # the budget's rows: a rank correlation of 0.99 is known to +-0.0002 on them
        duplicates = near_duplicates(encoder, frame)
        columns = list(encoder.columns)
        n_rows = len(frame)
        encoded = encoder.transform(frame)
        params = self._params(n_rows)
        single = default_params(n_rows=n_rows, single=True)
        targets = {c: column_target(encoder, frame, c) for c in columns}
        unscored = [c for c in columns if targets[c] is None]
        _warn_unscored(encoder, unscored, names[0])
        parts = {
            c: [e for e, s in zip(encoded.columns, encoder.source, strict=True) if s == c]
            for c in columns
        }

        design = Design(encoded, params)
        # the default models cross-fit more folds when the rows are few (_budget)
        n_folds = self.n_splits
        if self.estimator is None:
            n_folds = cross_fit_folds(n_rows, self.n_splits)
        source = np.asarray(encoder.source, dtype=object)
        fits: dict[str, TargetFit] = {}
        shares = np.zeros((len(columns), len(columns)))
        with stage("predicting each column from the others", total=len(columns)) as bar:
            for j, column in enumerate(columns):
                bar.describe(column)
                target = targets[column]
                fit = TargetFit.unscored()
                if target is not None:
                    fit = cross_fit(
                        target,
                        design,
                        params,
                        exclude=np.flatnonzero(source == column),
                        n_splits=n_folds,
                        random_state=seed + 10 * j,
                        n_jobs=self.n_jobs,
                        holdout=holdout,
                        n_permutations=self.n_permutations,
                        keep=True,
                    )
                fits[column] = fit
                if fit.contributions is not None:
                    by_source = pd.Series(fit.contributions, index=source).groupby(level=0).sum()
                    row = np.array(by_source.reindex(columns, fill_value=0.0), dtype=np.float64)
                    row[j] = 0.0
                    if row.sum() > 0:
                        shares[j] = row / row.sum()
                bar.advance()

        basis = None
        if holdout is not None:
            basis = FitBasis(
                encoder=encoder,
                columns=[str(c) for c in self.feature_names_in_]
                if hasattr(self, "feature_names_in_")
                else array_column_names(self.n_features_in_),
                n_rows=n_rows_in,
                n_rows_used=n_rows_used,
                held_out={c: f.held_out for c, f in fits.items() if f.held_out is not None},
                mappings={
                    c: class_mapping(encoder.column_values(frame, c))
                    for c, t in targets.items()
                    if t is not None and t.kind == "classes"
                },
                unpredicted=list(unscored),
            )
        with stage("row order: the row position from the columns", total=len(columns) + 1) as bar:
            bar.describe("all columns")
            row_target = numeric_target(np.asarray(rows, dtype=np.float64))
            row_order_score = cross_fit(
                row_target,
                design,
                params,
                n_splits=n_folds,
                random_state=seed + 1,
                n_jobs=self.n_jobs,
                holdout=holdout,
                test=False,
                explain=False,
            ).score
            bar.advance()
            position = Design(
                pd.DataFrame({"row_position": np.asarray(rows, dtype=np.float64)}), single
            )
            bar.describe("each column alone")
            row_scores = []
            for j, c in enumerate(columns):
                target = targets[c]
                row_scores.append(
                    float("nan")
                    if target is None
                    else self._single(target, position, single, seed + 10 * j + 2, holdout)
                )
                bar.advance()
        singles = {c: Design(encoded[parts[c]], single) for c in columns}

        score = np.array([fits[c].score for c in columns])
        low, high = (
            np.array(
                [
                    score_interval(fits[c].metric, fits[c].baseline, fits[c].score_se)
                    for c in columns
                ]
            )
            .reshape(len(columns), 2)
            .T
        )
        p_raw = np.array([fits[c].p_value for c in columns])
        p_adjusted = adjust_p_values(p_raw, self.correction)
        significant = p_adjusted < self.alpha
        # redundant when the interval's lower end reaches the threshold: the others
        # explain at least that much, at 97.5% confidence
        redundant = significant & (np.nan_to_num(low, nan=-1.0) >= self.redundancy_threshold)
        matrix = shares * np.nan_to_num(score)[:, None]
        row_order_features = [
            c for c, s in zip(columns, row_scores, strict=True) if s >= self.redundancy_threshold
        ]
        report = pd.DataFrame(
            {
                "kind": [encoder.kinds[c] for c in columns],
                "metric_name": [_metric_name(targets[c]) for c in columns],
                "metric": [fits[c].metric for c in columns],
                "baseline": [fits[c].baseline for c in columns],
                "score": score,
                "score_low": low,
                "score_high": high,
                "p_value": p_raw,
                "p_value_adjusted": p_adjusted,
                "significant": significant,
                "redundant": redundant,
                "n_rows": np.array(
                    [_observed(targets[c], frame, c) for c in columns], dtype=np.int64
                ),
                "top_features": [_top(matrix[j], columns) for j in range(len(columns))],
                "row_order_score": row_scores,
                "id_like": [c in id_like_features for c in columns],
            },
            index=pd.Index(columns, name="feature"),
        )
        target_scores = None
        leaking: list[str] = []
        if target_y is not None:
            leak_scores = []
            leak_stage = "leak check: each column alone predicting the target"
            with stage(leak_stage, total=len(columns)) as bar:
                for j, c in enumerate(columns):
                    leak_scores.append(
                        self._single(target_y, singles[c], single, seed + 10 * j + 3, holdout)
                    )
                    bar.advance()
            target_scores = pd.Series(
                leak_scores, index=pd.Index(columns, name="feature"), name="target_score"
            )
            report["target_score"] = leak_scores
            report["leak"] = [s >= self.leak_threshold for s in leak_scores]
            leaking = [
                c for c, s in zip(columns, leak_scores, strict=True) if s >= self.leak_threshold
            ]
        pairwise = (
            self._pairwise(targets, singles, single, seed, holdout) if self.pairwise else None
        )
        return _DependencyFit(
            dropped_features=dropped,
            id_like_features=id_like_features,
            timestamp_like_features=timestamps,
            n_rows_in=n_rows_in,
            max_rows=max_rows,
            n_rows_used=n_rows_used,
            near_duplicates=duplicates,
            unscored_features=unscored,
            row_order_score=row_order_score,
            dependency_matrix=_square(matrix, columns),
            redundant_features=[c for c, r in zip(columns, redundant, strict=True) if r],
            row_order_features=row_order_features,
            target_scores=target_scores,
            leaking_features=leaking,
            scores=report,
            pairwise_matrix=pairwise,
            basis=basis,
        )

    def _single(
        self,
        target: Target,
        design: Design,
        params: dict[str, Any],
        seed: int,
        holdout: NDArray[np.bool_] | None,
    ) -> float:
        return cross_fit(
            target,
            design,
            params,
            n_splits=self.n_splits,
            random_state=seed,
            n_jobs=self.n_jobs,
            holdout=holdout,
            test=False,
            explain=False,
        ).score

    def _pairwise(
        self,
        targets: dict[str, Target | None],
        singles: dict[str, Design],
        params: dict[str, Any],
        seed: int,
        holdout: NDArray[np.bool_] | None,
    ) -> pd.DataFrame:
        columns = list(targets)
        matrix = np.zeros((len(columns), len(columns)))
        total = len(columns) * (len(columns) - 1)
        with stage("pairwise: each column from each other column", total=total) as bar:
            for j, name in enumerate(columns):
                target = targets[name]
                bar.describe(name)
                for k, predictor in enumerate(columns):
                    if j == k:
                        continue
                    matrix[j, k] = (
                        float("nan")
                        if target is None
                        else self._single(
                            target,
                            singles[predictor],
                            params,
                            seed + 7919 * j + 13 * k + 5,
                            holdout,
                        )
                    )
                    bar.advance()
        return _square(matrix, columns)

    # ------------------------------------------------------------------ shift
    def dependency_shift(self, X_train: Any, X_test: Any, *, prefit: bool = False) -> pd.DataFrame:
        """Which relationships between columns changed from ``X_train`` to ``X_test``?

        See :func:`advval.dependency.dependency_shift`; this method runs it with this
        checker's parameters (``estimator``, ``alpha``, ``correction``, ``max_rows``,
        ``column_kinds``, ``n_jobs``, ``random_state``), and shows its progress with
        ``verbose``. It does not need :meth:`fit`.

        Parameters
        ----------
        X_train, X_test : DataFrame or array-like
        prefit : bool, default=False
            ``X_train`` is the data this checker was fitted on (sklearn's prefit
            pattern; its rows and columns are checked): reuse the models of the fit. When
            the fit scored its columns on a hold-out split (from 10,000 rows), those
            models and their held-out rows are exactly what the shift needs, and only
            the test rows are predicted (one fit per column in all, not two); the
            columns the fit could not score are not named again (:meth:`fit` warned).
            Otherwise the shift fits its own models, as without ``prefit``.
        """
        return self._shift_named(X_train, X_test, prefit=prefit, names=ALIGN_NAMES)

    def _shift_named(
        self, X_train: Any, X_test: Any, *, prefit: bool, names: tuple[str, str]
    ) -> pd.DataFrame:
        """:meth:`dependency_shift`, its errors about the data calling the two sides ``names``.

        For the command line, which names the user's files (``("DATA file 'a.csv'",
        "TEST file 'b.csv'")``), as ``AdversarialValidator._fit_named`` does.
        """
        from ._shift import shift_from_fit, shift_named

        self._validate_params()
        check_bool(prefit, name="prefit", owner=_OWNER)
        basis = getattr(self, "_basis", None) if prefit else None
        if prefit and not hasattr(self, "scores_"):
            raise ValueError(
                f"This {_OWNER} is not fitted yet; call fit(X_train) before "
                f"dependency_shift(X_train, X_test, prefit=True)."
            )
        with progress_display(enabled=bool(self.verbose)):
            if basis is not None:
                return shift_from_fit(
                    basis,
                    X_train,
                    X_test,
                    alpha=self.alpha,
                    correction=self.correction,
                    max_rows=self.max_rows,
                    column_kinds=self.column_kinds,
                    random_state=self.random_state,
                    names=names,
                )
            return shift_named(
                X_train,
                X_test,
                estimator=self.estimator,
                alpha=self.alpha,
                correction=self.correction,
                max_rows=self.max_rows,
                column_kinds=self.column_kinds,
                n_jobs=self.n_jobs,
                random_state=self.random_state,
                names=names,
                warn_unpredicted=not prefit,  # prefit: fit named them
            )

    def _fitted_line(self) -> str | None:
        """The repr's last line once fitted: the findings (:class:`advval._repr.ReprMixin`)."""
        if not hasattr(self, "scores_"):
            return None
        return "fitted: " + verdict_line(summarize(self))

    def _fitted_card(self) -> str | None:
        """The findings card under the HTML diagram once fitted (as the report shows it)."""
        if not hasattr(self, "scores_"):
            return None
        return verdict_card(summarize(self))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.sparse = False
        tags.target_tags.required = False
        tags.non_deterministic = self.random_state is None
        return tags


def _note_budget(holdout: NDArray[np.bool_] | None, n_rows_in: int, n_rows_used: int) -> None:
    """Say, at the start, which rows the models use when the budget applies."""
    if n_rows_used >= n_rows_in:
        return
    how = "every column is scored by cross-fitting them"
    if holdout is not None:
        held = int(holdout.sum())
        how = (
            f"each column's model trains on {n_rows_used - held:,} of them and is "
            f"scored on the other {held:,}"
        )
    note(
        f"advval: {n_rows_in:,} rows given; the per-column models use "
        f"{n_rows_used:,} of them, drawn uniformly: {how} (the row budget: more "
        f"rows would not make a score more precise than +-{PRECISION}; set max_rows / "
        f"--max-rows to change it). The column kinds and ID-like flags use every row."
    )


def _warn_unscored(encoder: FrameEncoder, unscored: list[str], name: str) -> None:
    """Name the columns of ``name`` that get no score, why, and what to do about it."""
    text = [c for c in unscored if encoder.kinds[c] == TEXT]
    codes = [c for c in unscored if encoder.kinds[c] != TEXT]
    unpredicted_warning(
        "The dependency check",
        text,
        codes,
        "so they get no score and are never called redundant; they are still checked for "
        "leaks and IDs.",
        name=name,
        advice=SCORE_ADVICE,
    )


def column_target(encoder: FrameEncoder, frame: pd.DataFrame, column: str) -> Target | None:
    """``frame[column]`` as a target: numeric (numbers, datetimes) or classes.

    ``None`` for a column that is not predicted: free text, or a categorical code with no
    value on ``MIN_CLASS_SHARE`` of the rows (:func:`~advval.dependency._scoring.is_code`).
    """
    kind = encoder.kinds[column]
    if kind == TEXT:
        return None
    values = encoder.column_values(frame, column)
    if kind in (CATEGORICAL, BOOLEAN):
        return None if is_code(values) else class_target(values)
    return numeric_target(np.asarray(values, dtype=np.float64))


def _metric_name(target: Target | None) -> str:
    """``"r2"`` for numeric targets, ``"auc"`` for classes, ``"none"`` when not predicted."""
    if target is None:
        return "none"
    return "r2" if target.kind == "numeric" else "auc"


def _observed(target: Target | None, frame: pd.DataFrame, column: str) -> int:
    """Rows where ``column`` is observed."""
    if target is not None:
        return int(target.rows.size)
    return int(frame[column].notna().sum())


def _names(names: list[str], limit: int = 10) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{names[:limit]!r}{more}"


def _check_y(y: Any, frame: pd.DataFrame, *, name: str = "y") -> Target:
    array = check_array(
        y, ensure_2d=False, dtype=None, input_name="y", ensure_all_finite="allow-nan"
    )
    array = column_or_1d(array)
    check_consistent_length(frame, array)
    series = pd.Series(array)
    observed = series.dropna()
    if observed.empty:
        raise ValueError(
            f"{name} has no observed value (all {len(series)} are missing); the leak check needs "
            f"a target with at least two classes or values."
        )
    if observed.nunique() < 2:
        value = observed.iloc[:1].tolist()[0]
        raise ValueError(
            f"{name} has a single distinct value ({value!r}); the leak check needs a target with "
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
