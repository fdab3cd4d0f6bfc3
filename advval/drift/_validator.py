"""AdversarialValidator: is the test data like the training data?"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from .. import _defaults
from .._caller import user_stacklevel
from .._client import SharesClientMixin
from .._dask import drift_likeness, fit_drift, is_dask, on_dask
from .._display import verdict_card, verdict_line
from .._frames import ALIGN_NAMES, FrameEncoder, align_columns, as_frame
from .._models import default_domain_classifier, positive_scores
from .._progress import note, progress_display, stage
from .._repr import ReprMixin
from .._stats import Correction, auc_interval, delong_variance, rank_test
from .._validation import check_n_jobs, check_number, check_option, check_seed
from ..exceptions import LeakWarning
from ._attribution import Attribution, attribute
from ._budget import default_row_budget
from ._crossfit import (
    SEQUENTIAL_MAX_ROWS,
    CrossFitState,
    CrossFitter,
    OutOfFold,
    SequentialTest,
    assign_folds,
    design_effect,
    out_of_fold,
    sequential_test,
)
from ._facts import column_facts
from ._fitted import _DriftFit, check_sides, fit_seeds
from ._grouping import split_off_groups
from ._segments import SegmentSearch, find_segments
from ._univariate import ColumnTests, compare_columns, leak_columns

_OWNER = "AdversarialValidator"
#: corrections that bound the chance of any false column flag (the columns may then count)
FAMILY_WISE = ("holm", "bonferroni")


def alpha_split(correction: str) -> float:
    """How many ways ``alpha`` is split: 2 when the columns count toward the verdict.

    The columns count under a family-wise ``correction`` (``FAMILY_WISE``); then the
    classifier and the columns each get half of ``alpha`` (each p-value is doubled),
    otherwise the classifier gets all of it.

    Examples
    --------
    >>> alpha_split("holm"), alpha_split("fdr_bh")
    (2.0, 1.0)
    """
    return 2.0 if correction in FAMILY_WISE else 1.0


class AdversarialValidator(ReprMixin, SharesClientMixin, BaseEstimator):
    """Two-sample test of train vs test data with a domain classifier.

    A classifier (LightGBM by default) learns to tell rows of ``X_train`` from rows of
    ``X_test``. Every row is scored out-of-fold; the ROC AUC of those scores says how
    different the two sets are (0.5: indistinguishable, 1.0: disjoint). The verdict is
    honest: its p-value holds its size under no shift, and ``drift_`` also requires the
    AUC's lower confidence bound to exceed ``0.5 + min_effect``, so a huge sample does not
    flag a negligible difference.

    Each column is also compared on its own (KS distance with the KS and Mann-Whitney
    tests for ordered columns, total-variation distance with a chi-squared test for
    categories), and those tests count toward the verdict too: the classifier finds joint
    shifts no single column shows (a changed correlation, an interaction of categories),
    a per-column test a small shift of one or two columns among many, which a classifier
    of every column dilutes. ``alpha`` is split between the two kinds of evidence
    (Bonferroni), so the chance of flagging drift where there is none stays below
    ``alpha`` (measured over real null splits in ``tests/test_calibration.py``).

    Parameters
    ----------
    estimator : classifier or None, default=None
        Domain classifier; ``None`` uses a regularised LightGBM with early stopping and
        native categorical and missing-value handling. Any scikit-learn classifier works;
        it receives categorical columns as float codes (NaN when missing).
    n_splits : int, default=5
        Folds of the stratified cross-fitting (at least 3).
    alpha : float, default=0.05
        Significance level of the verdict and of the per-column tests.
    min_effect : float, default=0.01
        Effect floor of the classifier: its evidence needs the AUC's lower bound above
        ``0.5 + min_effect``. The interval is honest (widened for cross-fitting), so the
        floor is kept small enough that a 0.2-std shift in 2 of 20 features at 2,000 rows
        a side (classifier AUC about 0.56) is still flagged.
    min_distance : float, default=0.02
        Effect floor of a column: a column is flagged when its test is significant and its
        distance between the sides (KS ``D``: the largest gap between the two cumulative
        distributions; total-variation distance: the share of rows whose category would
        have to change) exceeds it. 0.02 is about the distance a single column moved by
        0.05 standard deviations shows, and about where the classifier's floor lies for
        one column. 0 flags every significant column.
    confidence : float, default=0.95
        Coverage of ``auc_ci_``.
    correction : {"holm", "fdr_bh", "bonferroni", "none"}, default="holm"
        Multiple-testing correction of the per-column tests. With ``"holm"`` or
        ``"bonferroni"`` (family-wise) flagged columns count toward ``drift_``, with half of
        ``alpha``; with ``"fdr_bh"`` or ``"none"`` they are listed but the verdict rests on
        the classifier alone, with all of ``alpha`` (they would not bound the chance of a
        false verdict).
    max_rows : int, "auto" or None, default="auto"
        Row budget of the domain classifier; above it both sides are subsampled in
        proportion and ``n_rows_used_`` says how many rows were used. ``"auto"`` derives
        it from the verdict's rule (:func:`~advval.drift._budget.default_row_budget`:
        past it more rows cannot change whether a shift of twice ``min_effect`` is
        flagged, about 70,000 to 95,000 rows at the defaults); ``None`` uses every row.
        The univariate tests and the leak screen always read every row (up to 200,000 a
        side).
    leak_threshold : float, default=0.99
        A column whose single-column AUC reaches this, or whose sides never mix (its runs
        separation: test rows in a band of the training IDs, test months between training
        months; for categories, the total-variation distance), is reported as leak-like,
        with a :class:`~advval.exceptions.LeakWarning`.
    column_kinds : dict or None, default=None
        Column -> ``"categorical"``, ``"datetime"`` or ``"text"``: what a column is, where
        its dtype and values would suggest otherwise (a numeric zip code is categorical,
        notes with few distinct values are text). Other columns are read from their dtypes
        and values: date strings of one format are datetimes, free text (many distinct
        values of several words) is text, and categoricals of more than 255 levels are
        capped for the classifier (see :class:`~advval._frames.FrameEncoder`).
    time_col : str or None, default=None
        A datetime or numeric column present in both frames. Each side is cut into
        contiguous time blocks, and each block stays in one fold, so near-identical
        neighbouring records cannot leak across folds. The column is not used as a feature
        (a time-based split would make it a perfect separator).
    n_jobs : int or None, default=None
        Threads for LightGBM (``None``: one thread below 50,000 rows, all cores above).
    random_state : int, RandomState instance or None, default=None
        Seeds folds, subsampling and the classifier. Fix it for reproducible results.
    verbose : bool, default=False
        Show a progress bar on stderr.
    client : distributed.Client or None, default=None
        Dask client for :mod:`advval.distributed`. With Dask DataFrames (or a client), the
        domain classifier is trained by LightGBM's distributed training on that cluster
        (the current default client when ``None``) and the statistics are reduced there;
        the fitted attributes are the same (``oof_proba_`` is collected as a NumPy array;
        :meth:`test_likeness` of a Dask frame is a lazy Dask array). ``time_col`` is not
        available there, ``groups`` must be a column name, and ``estimator`` None or an
        ``LGBMClassifier``. With pandas inputs and ``client=None`` nothing changes.

    Attributes
    ----------
    auc_ : float
        Out-of-fold ROC AUC of the domain classifier (test rows are the positives).
    auc_ci_ : tuple of float
        Confidence interval of ``auc_``: DeLong's variance times the cross-fitting design
        effect ``1 + (n_splits - 1) / 4`` (the fold AUCs' errors are correlated), on the
        logit scale. Coverage is measured in ``tests/test_calibration.py``.
    p_value_ : float
        p-value of "same distribution" from both kinds of evidence: the smaller of
        ``classifier_p_value_`` and ``columns_p_value_`` (each already adjusted for the
        split of ``alpha``), or ``classifier_p_value_`` alone when the columns do not count
        (``correction`` ``"fdr_bh"`` or ``"none"``).
    sequential_p_value_ : float
        The classifier's own p-value, from the sequential (forward-chained) test: folds
        ``2..K`` are each scored by a model trained only on the folds before them, which
        makes their p-values independent under no shift; they are combined by weighted
        Stouffer. Valid at any sample size (see ``advval.drift._crossfit``).
    classifier_p_value_ : float
        ``sequential_p_value_`` adjusted for the split of ``alpha``: twice it (at most 1)
        when the columns count, else itself.
    columns_p_value_ : float
        The smallest adjusted p-value of the per-column tests (1.0 without columns).
    drift_by_ : tuple of str
        The evidence that flagged drift: ``"classifier"`` (``classifier_p_value_ < alpha``
        and ``auc_ci_[0] > 0.5 + min_effect``) and ``"columns"`` (a column flagged in
        ``feature_report_``, when the columns count); empty without drift.
    drift_ : bool
        Whether any evidence flagged drift (``drift_by_`` is not empty).
    fold_aucs_ : ndarray of shape (n_splits,)
        AUC of each fold's model on its held-out rows.
    fold_p_values_ : ndarray of shape (n_splits - 1,)
        Per-fold p-values of the sequential test.
    oof_proba_ : ndarray of shape (n_train + n_test,)
        Out-of-fold probability that each row is a test row; train rows first, then test
        rows, in the order given. NaN for rows left out by ``max_rows``.
    feature_importances_ : ndarray of shape (n_features_in_,)
        Mean |SHAP| (log-odds of "test") of each column over out-of-fold rows, averaged
        over folds; 0 for dropped columns. Permutation AUC drop for non-tree estimators.
    feature_importances_std_ : ndarray of shape (n_features_in_,)
        Spread of that importance across folds.
    importance_method_ : {"tree_shap", "permutation"}
    feature_report_ : DataFrame
        One row per kept column, highest importance first: ``kind``, ``importance``,
        ``importance_std``, ``statistic`` (KS D or total-variation distance), ``p_value``
        (raw), ``p_value_adjusted`` (by ``correction``, then doubled for the split of
        ``alpha`` when the columns count), ``test``, ``drift`` (``p_value_adjusted <
        alpha`` and ``statistic > min_distance``), ``leak``.
    leak_features_ : list of str
        Leak-like columns.
    dropped_features_ : list of str
        Columns dropped because every value was missing.
    estimators_ : list of classifiers
        ``estimators_[k]`` was trained without fold ``k``; :meth:`test_likeness` averages
        them. With the default LightGBM they are
        :class:`~advval._lightgbm.BoosterClassifier` (``booster_`` is the
        ``lightgbm.Booster``), trained on one binned dataset of the budgeted rows. The
        models read the encoded matrix: its columns are ``encoder_.encoded_columns`` (the
        user's names where plain, else safe generated names; ``encoder_.source`` maps each
        back to the user's column), and numeric columns near the float limits are divided
        by ``encoder_.units``.
    n_train_, n_test_ : int
        Rows given on each side.
    n_rows_used_ : int
        Rows the domain classifier used after the row budget.
    max_rows_ : int or None
        The budget applied (``max_rows`` resolved; ``None``: every row).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    encoder_ : FrameEncoder
        Column kinds and categories learnt from both sides; encodes new rows identically.
    column_facts_ : DataFrame
        Plain facts of each kept column, counted on every row (no model, no row budget;
        see :mod:`advval.drift._facts`): ``kind``, ``missing_train``, ``missing_test``,
        ``missing_p_value`` (the change of the missing share, adjusted by
        ``correction``), ``unseen_levels`` / ``unseen_share`` (categorical levels only in
        test, and the share of test rows holding them), ``gone_levels`` / ``gone_share``
        (the reverse, share of train rows), ``dominant_train`` / ``dominant_test`` (share
        of the most frequent value, missing included), ``out_of_range_share`` (test rows
        outside the train ``[min, max]``, with ``out_of_range_low`` / ``_high``) and
        ``flags``: a tuple among ``"missing_rate"``, ``"unseen_levels"``,
        ``"gone_levels"``, ``"constant_train"``, ``"constant_test"``,
        ``"out_of_range"``. With Dask inputs: ``None``.
    dataset_summary_ : dict
        ``train`` and ``test`` (``rows``, ``columns_by_kind``, ``missing_share``,
        ``duplicate_rows_share``), ``test_rows_in_train`` (share of test rows that
        exactly match a train row on the checked columns), and, when ``groups`` or
        ``time_col`` name a column, ``test_rows_in_train_all_columns`` with it included
        (else ``None``) and ``excluded_columns``. With Dask inputs: ``None``.

    See Also
    --------
    advval.report.build_drift_report : turn a fitted validator into a report.

    References
    ----------
    DeLong, DeLong and Clarke-Pearson (1988), Biometrics 44(3), for the interval.
    Stouffer et al. (1949) for the combination of independent z-statistics.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    >>> test = pd.DataFrame({"a": rng.normal(1.0, 1, size=400), "b": rng.normal(size=400)})
    >>> validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    >>> bool(validator.drift_), validator.auc_ > 0.65
    (True, True)
    >>> validator.feature_report_.index[0]
    'a'

    The plain facts, on every row: a level only in test, and test rows copied from train.

    >>> train["c"], test["c"] = "x", np.where(np.arange(400) < 40, "new", "x")
    >>> test.iloc[:20] = train.iloc[:20].to_numpy()
    >>> validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    >>> facts = validator.column_facts_.loc["c"]
    >>> int(facts["unseen_levels"]), float(facts["unseen_share"]), facts["flags"]
    (1, 0.05, ('unseen_levels', 'constant_train'))
    >>> validator.dataset_summary_["test_rows_in_train"]
    0.05
    """

    def __init__(
        self,
        *,
        estimator: ClassifierMixin | None = None,
        n_splits: int = _defaults.VALIDATOR_N_SPLITS,
        alpha: float = _defaults.VALIDATOR_ALPHA,
        min_effect: float = _defaults.VALIDATOR_MIN_EFFECT,
        min_distance: float = _defaults.VALIDATOR_MIN_DISTANCE,
        confidence: float = 0.95,
        correction: Correction = "holm",
        max_rows: int | str | None = "auto",
        leak_threshold: float = 0.99,
        column_kinds: dict[str, str] | None = None,
        time_col: str | None = None,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: bool = False,
        client: Any = None,
    ) -> None:
        self.estimator = estimator
        self.n_splits = n_splits
        self.alpha = alpha
        self.min_effect = min_effect
        self.min_distance = min_distance
        self.confidence = confidence
        self.correction = correction
        self.max_rows = max_rows
        self.leak_threshold = leak_threshold
        self.column_kinds = column_kinds
        self.time_col = time_col
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.client = client

    def _validate_params(self) -> None:
        check_number(self.n_splits, name="n_splits", owner=_OWNER, kind=int, low=3)
        check_number(self.alpha, name="alpha", owner=_OWNER, low=0, high=1, closed="neither")
        check_number(
            self.min_effect, name="min_effect", owner=_OWNER, low=0, high=0.5, closed="left"
        )
        check_number(
            self.min_distance, name="min_distance", owner=_OWNER, low=0, high=1, closed="left"
        )
        check_number(
            self.confidence, name="confidence", owner=_OWNER, low=0, high=1, closed="neither"
        )
        check_option(
            self.correction,
            name="correction",
            owner=_OWNER,
            options=("holm", "fdr_bh", "bonferroni", "none"),
        )
        if not (isinstance(self.max_rows, str) and self.max_rows == "auto"):
            try:
                check_number(
                    self.max_rows,
                    name="max_rows",
                    owner=_OWNER,
                    kind=int,
                    low=2 * self.n_splits,
                    allow_none=True,
                )
            except ValueError:
                raise ValueError(
                    f"The 'max_rows' parameter of {_OWNER} must be 'auto', None or an int "
                    f"in the range [{2 * self.n_splits}, inf). Got {self.max_rows!r} instead."
                ) from None
        check_number(self.leak_threshold, name="leak_threshold", owner=_OWNER, low=0.5, high=1)
        check_n_jobs(self.n_jobs, owner=_OWNER)
        check_seed(self.random_state, owner=_OWNER)
        if self.estimator is not None and not (
            hasattr(self.estimator, "fit")
            and (
                hasattr(self.estimator, "predict_proba")
                or hasattr(self.estimator, "decision_function")
            )
        ):
            raise TypeError(
                f"The 'estimator' parameter of {_OWNER} must be a classifier with fit and "
                f"predict_proba or decision_function. Got {type(self.estimator).__name__} "
                f"instead."
            )

    def fit(self, X_train: Any, X_test: Any, *, groups: Any = None) -> AdversarialValidator:
        """Test whether ``X_train`` and ``X_test`` come from the same distribution.

        Parameters
        ----------
        X_train, X_test : DataFrame or array-like of shape (n_rows, n_features)
            The two samples, with the same columns (order may differ). Categorical,
            string, boolean, datetime and missing values are handled; neither frame is
            modified.
        groups : str, array-like of length n_train + n_test, or None
            Rows of one group (a customer, a session) stay in one fold of the domain
            cross-fitting, so the classifier cannot score a row by recognising its group.
            A column name (present in both frames, then not used as a feature) or one label
            per row, train rows first.

        Returns
        -------
        self : AdversarialValidator
        """
        return self._fit_named(X_train, X_test, groups=groups, names=ALIGN_NAMES)

    def _fit_named(
        self, X_train: Any, X_test: Any, *, groups: Any, names: tuple[str, str]
    ) -> AdversarialValidator:
        """:meth:`fit`, its errors about the data calling the two sides ``names``.

        For the package's own callers: the dropper fits on ``X`` and ``X_test``, the
        command line on the user's files (``("TRAIN file 'a.csv'", "TEST file 'b.csv'")``),
        on pandas and Dask data alike.
        """
        self._validate_params()
        seeds = fit_seeds(self.random_state)
        if on_dask(self.client, X_train, X_test):
            fit = fit_drift(self, X_train, X_test, groups=groups, seeds=seeds, names=names)
            # the Dask backend tests the columns last: its leak warning comes with the fit
            self._warn_leaks(self._leaks(fit))
        else:
            with progress_display(enabled=bool(self.verbose)):
                fit = self._fit_frames(X_train, X_test, groups, seeds, names)
        self._store_fit(fit)
        return self

    def _fit_frames(
        self,
        X_train: Any,
        X_test: Any,
        groups: Any,
        seeds: NDArray[np.int_],
        names: tuple[str, str] = ALIGN_NAMES,
    ) -> _DriftFit:
        """The fit on in-memory frames."""
        train = as_frame(X_train, name=names[0])
        test = align_columns(train, as_frame(X_test, name=names[1]), names=names)
        given = (train, test)
        train, test, group_ids = split_off_groups(
            train,
            test,
            groups=groups,
            time_col=self.time_col,
            n_splits=self.n_splits,
            names=names,
        )
        check_sides(len(train), len(test), self.n_splits, names=names)
        n_train, n_test = len(train), len(test)
        with stage("screening columns"):
            encoder = FrameEncoder(column_kinds=self.column_kinds).fit(train, test, names=names)
            encoder.check_finite(train, name=names[0])
            encoder.check_finite(test, name=names[1])
            # every row (up to the univariate cap) for the cheap per-column checks, and the
            # leak screen's warning before any model is trained
            tests = compare_columns(
                encoder,
                train,
                test,
                correction=self.correction,
                leak_threshold=self.leak_threshold,
                random_state=int(seeds[3]),
            )
            leaks = leak_columns(encoder.columns, tests.separation, self.leak_threshold)
            self._warn_leaks(leaks)
            facts, summary = column_facts(
                encoder,
                *given,
                correction=self.correction,
                alpha=self.alpha,
                excluded=[c for c in given[0].columns if c not in train.columns],
            )

        max_rows = self.resolve_max_rows(n_train, n_test)
        train_rows, test_rows = self._budget_rows(
            n_train, n_test, max_rows, np.random.default_rng(seeds[0])
        )
        n_used = len(train_rows) + len(test_rows)
        if n_used < n_train + n_test:
            note(
                f"advval: {n_train + n_test:,} rows given; the domain classifier "
                f"uses {n_used:,} of them, drawn in proportion from both sides "
                f"(the row budget: more rows would not change the verdict on a shift of "
                f"twice the effect floor; set max_rows / --max-rows to change it). The "
                f"per-column tests use every row."
            )
        train_used, test_used = train.iloc[train_rows], test.iloc[test_rows]
        X = pd.concat(
            [encoder.transform(train_used), encoder.transform(test_used)], ignore_index=True
        )
        y = np.r_[np.zeros(len(train_rows), dtype=np.int_), np.ones(len(test_rows), dtype=np.int_)]

        if group_ids is not None:
            group_ids = np.r_[group_ids[train_rows], group_ids[n_train + test_rows]]
        folds = assign_folds(
            y, n_splits=self.n_splits, random_state=int(seeds[1]), X=X, groups=group_ids
        )
        crossfit, oof, sequential = self._fit_domain_classifier(X, y, folds, int(seeds[2]), seeds)
        proba = np.full(n_train + n_test, np.nan)
        proba[train_rows] = oof.scores[: len(train_rows)]
        proba[n_train + test_rows] = oof.scores[len(train_rows) :]
        with stage("explaining (SHAP)"):
            attribution = attribute(
                oof.models,
                X,
                y,
                folds,
                source=encoder.source,
                columns=encoder.columns,
                random_state=int(seeds[3]),
            )
        return _DriftFit(
            n_train=n_train,
            n_test=n_test,
            feature_names=np.asarray(train.columns, dtype=object),
            encoder=encoder,
            max_rows=max_rows,
            n_rows_used=n_used,
            estimators=oof.models,
            fold_aucs=np.asarray(oof.fold_aucs),
            sequential=sequential,
            auc=rank_test(y, oof.scores).auc,
            auc_variance=delong_variance(y, oof.scores),
            oof_proba=proba,
            attribution=attribution,
            tests=tests,
            column_facts=facts,
            dataset_summary=summary,
            crossfit=crossfit,
            budget=(train_rows, test_rows),
        )

    def resolve_max_rows(self, n_train: int, n_test: int) -> int | None:
        """The row budget for ``n_train`` and ``n_test`` rows: ``max_rows`` resolved.

        ``"auto"`` gives :func:`~advval.drift._budget.default_row_budget` (``None`` when
        it covers every row); an int or ``None`` is returned as given.

        Examples
        --------
        >>> AdversarialValidator().resolve_max_rows(300_000, 100_000)
        93399
        >>> AdversarialValidator().resolve_max_rows(1_000, 1_000) is None
        True
        >>> AdversarialValidator(max_rows=None).resolve_max_rows(300_000, 100_000) is None
        True
        """
        if not (isinstance(self.max_rows, str) and self.max_rows == "auto"):
            return None if self.max_rows is None else int(self.max_rows)
        budget = default_row_budget(
            n_train=n_train,
            n_test=n_test,
            min_effect=float(self.min_effect),
            confidence=float(self.confidence),
            n_splits=int(self.n_splits),
        )
        return None if budget is None or budget >= n_train + n_test else budget

    def _budget_rows(
        self, n_train: int, n_test: int, max_rows: int | None, rng: np.random.Generator
    ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        total = n_train + n_test
        if max_rows is None or total <= max_rows:
            return np.arange(n_train), np.arange(n_test)
        keep_train = max(self.n_splits, round(max_rows * n_train / total))
        keep_test = max(self.n_splits, max_rows - keep_train)
        return (
            np.sort(rng.choice(n_train, size=keep_train, replace=False)),
            np.sort(rng.choice(n_test, size=keep_test, replace=False)),
        )

    def _fit_domain_classifier(
        self,
        X: pd.DataFrame,
        y: NDArray[np.int_],
        folds: NDArray[np.intp],
        seed: int,
        seeds: NDArray[np.int_],
    ) -> tuple[CrossFitState, OutOfFold, SequentialTest]:
        """The fold models, their out-of-fold scores and the forward-chained test."""
        estimator = self.estimator
        if estimator is None:
            n_fit = int(len(y) * (self.n_splits - 1) / self.n_splits)
            estimator = default_domain_classifier(
                n_rows=n_fit, random_state=seed, n_jobs=self.n_jobs
            )
        n_fits = 2 * self.n_splits - (2 if len(y) <= SEQUENTIAL_MAX_ROWS else 1)
        with stage("fitting domain classifier", total=n_fits) as progress:
            fitter = CrossFitter(
                estimator,
                X,
                y,
                folds,
                seed=seed,
                on_fit=progress.advance,
                settle_auc=self._settle_auc(),
            )
            oof = out_of_fold(fitter)
            sequential = sequential_test(fitter, random_state=int(seeds[3]))
        return CrossFitState(estimator, folds, seed, self._settle_auc()), oof, sequential

    def _settle_auc(self) -> float:
        """The AUC past which the verdict cannot change: twice the effect floor above 1/2.

        A fold model whose inner validation AUC is certainly above it, and no longer
        rising, has done all the verdict needs (``advval._models.fit_classifier``).
        """
        return 0.5 + 2.0 * float(self.min_effect)

    def _store_fit(self, fit: _DriftFit) -> None:
        """Set every fitted attribute from ``fit`` and decide the verdict."""
        self.n_train_, self.n_test_ = fit.n_train, fit.n_test
        self.feature_names_in_ = fit.feature_names
        self.n_features_in_ = len(fit.feature_names)
        self.dropped_features_ = list(fit.encoder.dropped)
        self.encoder_ = fit.encoder
        self.column_facts_, self.dataset_summary_ = fit.column_facts, fit.dataset_summary
        self.max_rows_ = fit.max_rows
        self.n_rows_used_ = fit.n_rows_used
        self.estimators_ = list(fit.estimators)
        self.fold_aucs_ = fit.fold_aucs
        self.fold_p_values_ = np.asarray(fit.sequential.fold_p_values)
        self.sequential_p_value_ = fit.sequential.p_value
        self.n_rows_sequential_ = fit.sequential.n_rows
        self.oof_proba_ = fit.oof_proba
        # what trains more models like the fold models (None after a Dask fit)
        self._crossfit, self._budget = fit.crossfit, fit.budget
        # the classifier's AUC and its interval (DeLong x design effect)
        self.auc_ = fit.auc
        self.auc_ci_ = auc_interval(
            fit.auc, fit.auc_variance * design_effect(self.n_splits), self.confidence
        )
        self.leak_features_ = self._leaks(fit)
        self._store_features(fit.encoder, fit.attribution, fit.tests)

    def _decide(self, report: pd.DataFrame) -> None:
        """``drift_`` from the classifier and the columns, ``alpha`` split between them."""
        split = alpha_split(self.correction)
        self.classifier_p_value_ = min(1.0, split * float(self.sequential_p_value_))
        adjusted = report["p_value_adjusted"].to_numpy(dtype=np.float64)
        self.columns_p_value_ = float(adjusted.min()) if adjusted.size else 1.0
        self.p_value_ = self.classifier_p_value_
        evidence = []
        if self.classifier_p_value_ < self.alpha and self.auc_ci_[0] > 0.5 + self.min_effect:
            evidence.append("classifier")
        if split > 1.0:  # the columns count
            self.p_value_ = min(self.p_value_, self.columns_p_value_)
            if bool(report["drift"].any()):
                evidence.append("columns")
        self.drift_by_ = tuple(evidence)
        self.drift_ = bool(evidence)

    def _leaks(self, fit: _DriftFit) -> list[str]:
        """The leak-like columns of ``fit``: those its sides (nearly) never mix in."""
        return leak_columns(fit.encoder.columns, fit.tests.separation, self.leak_threshold)

    def _warn_leaks(self, leaks: list[str]) -> None:
        """Warn about the leak-like columns (as soon as they are known), at the user's line
        (:func:`~advval._caller.user_stacklevel`: :meth:`fit`, or the weighter's or split's
        fit around it)."""
        if leaks:
            warnings.warn(
                f"Column(s) {leaks!r} alone separate train from test almost "
                f"perfectly (single-column AUC or distance >= {self.leak_threshold}): likely "
                f"an ID, a timestamp or a row counter. Exclude them if they are not features.",
                LeakWarning,
                stacklevel=user_stacklevel(),
            )

    def _store_features(
        self, encoder: FrameEncoder, attribution: Attribution, tests: ColumnTests
    ) -> None:
        """``feature_report_`` and importances from attribution and tests (leaks screened)."""
        adjusted = np.minimum(1.0, alpha_split(self.correction) * tests.p_value_adjusted)
        report = pd.DataFrame(
            {
                "kind": [encoder.kinds[c] for c in encoder.columns],
                "importance": attribution.mean,
                "importance_std": attribution.std,
                "statistic": tests.statistic,
                "p_value": tests.p_value,
                "p_value_adjusted": adjusted,
                "test": list(tests.test),
                "drift": (adjusted < self.alpha) & (tests.statistic > self.min_distance),
                "leak": [c in self.leak_features_ for c in encoder.columns],
            },
            index=pd.Index(encoder.columns, name="feature"),
        )
        self.feature_report_ = report.sort_values(
            ["importance", "statistic"], ascending=False, kind="stable"
        )
        self.importance_method_ = attribution.method
        self._decide(report)
        position = {c: j for j, c in enumerate(encoder.columns)}
        self.feature_importances_ = np.array(
            [
                attribution.mean[position[c]] if c in position else 0.0
                for c in self.feature_names_in_
            ]
        )
        self.feature_importances_std_ = np.array(
            [attribution.std[position[c]] if c in position else 0.0 for c in self.feature_names_in_]
        )

    def test_likeness(self, X: Any) -> NDArray[np.float64]:
        """Probability that each row of ``X`` comes from the test distribution.

        The average of the fold models' predictions (a row of the fitted data is better
        served by ``oof_proba_``, which is out-of-fold).

        Parameters
        ----------
        X : DataFrame or array-like
            Rows with the columns seen in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_rows,)
            A lazy Dask array when ``X`` is a Dask DataFrame.
        """
        check_is_fitted(self, "estimators_")
        if is_dask(X):
            return drift_likeness(
                X,
                encoder=self.encoder_,
                models=self.estimators_,
                columns=list(self.feature_names_in_),
            )
        frame = as_frame(X, name="X")
        reference = pd.DataFrame(columns=list(self.feature_names_in_))
        frame = align_columns(reference, frame, names=("the data seen in fit", "X"))
        self.encoder_.check_finite(frame, name="X")
        encoded = self.encoder_.transform(frame)
        return np.mean([positive_scores(m, encoded) for m in self.estimators_], axis=0)

    def segments(
        self,
        X_train: Any,
        X_test: Any,
        *,
        max_depth: int = 3,
        max_segments: int = 5,
        min_share: float = 0.01,
        random_state: int | None = None,
    ) -> SegmentSearch:
        """Readable regions of the rows where one side is over-represented.

        Searched on half of the budgeted rows, measured on every other row, reported
        only when the lift's interval (Bonferroni over the regions searched) excludes 1:
        see :mod:`advval.drift._segments`.

        Parameters
        ----------
        X_train, X_test : DataFrame or array-like
            The frames given to :meth:`fit` (same rows, same columns).
        max_depth : int, default=3
            At most this many conditions a rule.
        max_segments : int, default=5
            At most this many segments, largest moved share first, none nested in another.
        min_share : float, default=0.01
            A segment moves at least this share of rows (``|test share - train share|``);
            also the smallest region searched.
        random_state : int or None, default=None
            Seeds the search split; ``None`` uses the validator's ``random_state``.

        Returns
        -------
        SegmentSearch
            ``segments`` (rule, shares, lift and interval, :meth:`Segment.mask`),
            ``to_frame()`` and ``masks(X)``.
        """
        check_is_fitted(self, "estimators_")
        return find_segments(
            self,
            X_train,
            X_test,
            max_depth=max_depth,
            max_segments=max_segments,
            min_share=min_share,
            random_state=random_state,
        )

    def _fitted_line(self) -> str | None:
        """The repr's last line once fitted: the verdict (:class:`advval._repr.ReprMixin`)."""
        if not hasattr(self, "estimators_"):
            return None
        from ._summary import summarize  # imports this module

        return f"fitted: {verdict_line(summarize(self))}"

    def _fitted_card(self) -> str | None:
        """The verdict card under the HTML diagram once fitted (as the report shows it)."""
        if not hasattr(self, "estimators_"):
            return None
        from ._summary import summarize

        return verdict_card(summarize(self))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags
