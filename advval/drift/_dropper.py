"""DriftFeatureDropper: drop the features that make the test data look different."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from .. import _defaults
from .._display import format_fixed, plain_names
from .._frames import FrameEncoder, align_columns, as_frame
from .._lightgbm_params import lightgbm_params
from .._models import numeric_codes
from .._progress import stage
from .._repr import ReprMixin
from .._selection import SupportSelectorMixin
from .._validation import check_bool, check_number
from ..exceptions import DataWarning
from ._copies import NearCopies
from ._holdout import HeldOutCheck, HeldOutStep
from ._split import check_prefit
from ._validator import AdversarialValidator, alpha_split

_OWNER = "DriftFeatureDropper"

#: columns with the highest attribution whose held-out AUC drop decides the next to drop
SHORTLIST = 5
#: why the search stopped (``stop_reason_``)
STOP_REASONS = ("no_drift", "target_auc", "max_drop", "exhausted", "protected_drift")


class DriftFeatureDropper(ReprMixin, SupportSelectorMixin, BaseEstimator):
    """Drop, one at a time, the features that tell the training data from the test data.

    A feature selector for scikit-learn pipelines. :meth:`fit` runs an
    :class:`AdversarialValidator` on the training rows ``X`` against the fixed test rows
    ``X_test`` (or takes one already fitted on them, ``prefit=True``). Columns the
    validator names as leak-like (IDs, timestamps, row counters) are dropped first, all at
    once; then, while drift remains, the column with the highest attribution (mean |SHAP|
    of the domain classifier) goes, one at a time; once the classifier no longer flags
    drift, the columns the per-column tests still flag (the verdict's other evidence) go,
    largest distance first. The whole search is recorded in ``path_``, so you can see how
    far the AUC fell with each step.

    A step refits only what it changes: one model, trained like the validator's last fold
    model (the same budgeted rows, folds, seed and stopping rule) on the remaining
    columns, and scored on that held-out fold. Every row of ``path_``, the first
    included, is that held-out check, so the steps compare on the same rows; its test is
    exact (the model never saw the fold), but it uses a fifth of the rows (at five
    folds), so near the effect floor it is less powerful than the validator's verdict.

    Dropping a drifting column can cost accuracy when that column also predicts the
    target. When ``y`` is given, one model predicting ``y`` from every column of ``X``
    reports each column's share of the predictive signal in ``target_signal_`` and in the
    path, so that trade-off is visible.

    Parameters
    ----------
    X_test : DataFrame or array-like of shape (n_test, n_features)
        The data the training data should resemble (required; it is a parameter so the
        dropper fits inside a :class:`~sklearn.pipeline.Pipeline` and cross-validation,
        where each fold's training rows are compared with the same ``X_test``). When both
        ``X`` and ``X_test`` are DataFrames, columns are matched by name (order may
        differ); when either is an array, by position, and the number of columns must
        agree. Never modified.
    validator : AdversarialValidator or None, default=None
        The drift test (cloned and fitted on ``X`` and ``X_test``, unless ``prefit``).
        ``None`` uses ``AdversarialValidator()``. When its ``random_state`` is ``None`` it
        gets a seed drawn from ``random_state``.
    prefit : bool, default=False
        ``validator`` is already fitted on exactly ``X`` and ``X_test`` (as the command
        line does): it is used as it is, not refitted. Like scikit-learn's
        ``SelectFromModel(prefit=True)``, a clone of the dropper holds an unfitted
        validator, so use it outside cross-validation.
    max_drop : int or None, default=5
        Most columns to drop after the leak-like ones (which are always dropped);
        ``None`` for no limit (until the drift is gone). On a real table drift is seldom
        in a few columns only: a time split of 127 columns (flights) still drifted after
        80 of them were dropped, and each step is one model; past a handful, the path
        says more than the dropped columns, and ``stop_reason_`` says ``"max_drop"``.
    near_copy_threshold : float or None, default=0.9
        Drop a column together with its near-copies: the ordered (numeric, datetime)
        columns whose absolute rank correlation with it is at least this, on a sample of
        both sides (lags, rolling means and rescalings of one quantity would otherwise
        take over one after another while the shift stays). ``None`` drops one column at
        a time.
    target_auc : float or None, default=None
        Also stop once the validator's AUC is at most this, in (0.5, 1], even when it still
        flags drift; ``None`` stops only on the validator's verdict.
    keep : iterable of str, default=()
        Columns never dropped (names; an array's columns are called ``x0, x1, ...``).
    signal_estimator : estimator or None, default=None
        Model of ``y`` used for ``target_signal_`` when ``y`` is given (cloned). ``None``
        uses a small LightGBM: a classifier for class labels (integer, boolean, string or
        categorical ``y``, or a float ``y`` with two values), else a regressor. Attributions
        are exact TreeSHAP for LightGBM, ``shap.TreeExplainer`` for other tree models and
        permutation importance otherwise.
    random_state : int, RandomState instance or None, default=None
        Seeds the validator (see ``validator``) and the signal model.

    Attributes
    ----------
    support_ : ndarray of bool of shape (n_features_in_,)
        Kept columns; also given by :meth:`get_support`.
    dropped_features_ : list of str
        Dropped columns, in the order they were dropped.
    path_ : DataFrame
        One row per step: ``step`` (0 uses every column), ``dropped`` (the tuple of columns
        dropped after this step: the leak-like ones together, then one at a time; ``()``
        in the last row), ``n_features``, ``auc``, ``auc_low``, ``auc_high``,
        ``p_value`` (the held-out check of the step's columns) and ``drift`` (that check
        flags drift, or a remaining column is flagged by its per-column test), and, when
        ``y`` was given, ``target_signal`` (the dropped columns' share of the signal; NaN
        in the last row).
    stop_reason_ : str
        Why the search stopped: ``"no_drift"`` (the validator found none),
        ``"target_auc"``, ``"max_drop"``, ``"exhausted"`` (only protected columns, or a
        single column, remain) or ``"protected_drift"`` (the remaining drift sits in
        ``keep`` columns: one of them fails its own per-column test while the best
        droppable column passes it, so dropping more would only remove healthy columns).
    validator_ : AdversarialValidator
        The validator fitted on every column (``validator`` itself with ``prefit``).
    target_signal_ : Series or None
        Each column's share of the mean |SHAP| of the model of ``y`` (sums to 1), indexed
        by column name; ``None`` when ``fit`` got no ``y``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` is a DataFrame with string column names.

    See Also
    --------
    AdversarialValidator : the drift test run at each step.

    Examples
    --------
    >>> from advval import AdversarialValidator, DriftFeatureDropper
    >>> from advval.datasets import make_shift
    >>> data = make_shift("mean", n_train=300, n_test=300, n_features=4, n_shifted=1,
    ...                   delta=1.5, random_state=0)
    >>> dropper = DriftFeatureDropper(
    ...     X_test=data.X_test, validator=AdversarialValidator(n_jobs=1), random_state=0
    ... ).fit(data.X_train)
    >>> dropper.dropped_features_, dropper.stop_reason_
    (['x0'], 'no_drift')
    >>> dropper.get_feature_names_out().tolist()
    ['x1', 'x2', 'x3']
    >>> dropper.path_[["step", "dropped", "n_features", "drift"]]
       step dropped  n_features  drift
    0     0   (x0,)           4   True
    1     1      ()           3  False
    """

    def __init__(
        self,
        *,
        X_test: Any = None,
        validator: AdversarialValidator | None = None,
        prefit: bool = False,
        max_drop: int | None = _defaults.DROPPER_MAX_DROP,
        near_copy_threshold: float | None = 0.9,
        target_auc: float | None = None,
        keep: Iterable[str] = (),
        signal_estimator: BaseEstimator | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.X_test = X_test
        self.validator = validator
        self.prefit = prefit
        self.max_drop = max_drop
        self.near_copy_threshold = near_copy_threshold
        self.target_auc = target_auc
        self.keep = keep
        self.signal_estimator = signal_estimator
        self.random_state = random_state

    def _validate_params(self) -> None:
        if self.X_test is None:
            raise ValueError(
                f"{_OWNER} needs the test data: pass X_test=... (the rows the training data "
                f"should resemble) when constructing it, e.g. {_OWNER}(X_test=X_test)."
            )
        if self.validator is not None and not isinstance(self.validator, AdversarialValidator):
            raise TypeError(
                f"The 'validator' parameter of {_OWNER} must be an AdversarialValidator or "
                f"None. Got {type(self.validator).__name__} instead."
            )
        check_bool(self.prefit, name="prefit", owner=_OWNER)
        if self.prefit and self.validator is None:
            raise ValueError(
                f"{_OWNER}(prefit=True) needs the fitted validator: pass validator=... (an "
                f"AdversarialValidator fitted on X and X_test)."
            )
        check_number(self.max_drop, name="max_drop", owner=_OWNER, kind=int, low=0, allow_none=True)
        check_number(
            self.near_copy_threshold,
            name="near_copy_threshold",
            owner=_OWNER,
            low=0,
            high=1,
            closed="right",
            allow_none=True,
        )
        check_number(
            self.target_auc,
            name="target_auc",
            owner=_OWNER,
            low=0.5,
            high=1,
            closed="right",
            allow_none=True,
        )
        if self.signal_estimator is not None and not hasattr(self.signal_estimator, "fit"):
            raise TypeError(
                f"The 'signal_estimator' parameter of {_OWNER} must be an estimator with a "
                f"fit method or None. Got {type(self.signal_estimator).__name__} instead."
            )

    def fit(self, X: Any, y: Any = None) -> DriftFeatureDropper:
        """Drop drifting columns of ``X`` until it is no longer distinguishable from ``X_test``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Training rows. Categorical, string, boolean, datetime and missing values are
            handled as by :class:`AdversarialValidator`. Never modified.
        y : array-like of shape (n_samples,) or None, default=None
            Target; when given, ``target_signal_`` reports how much each column predicts
            it.

        Returns
        -------
        self : DriftFeatureDropper
        """
        self._validate_params()
        train = self._training_frame(X)
        test = self._test_frame(train, positional=not isinstance(X, pd.DataFrame))
        keep = self._keep_columns(train)
        rng = check_random_state(self.random_state)
        validator_seed, signal_seed = (int(s) for s in rng.randint(0, 2**31 - 1, size=2))

        target = None if y is None else _check_target(y, train)
        validator = self._first_validator(train, test, validator_seed)
        signal = None
        if target is not None:
            observed = _observed_target(target, name=_target_name(y))
            signal = _target_signal(
                train if observed is None else train.iloc[observed],
                target if observed is None else target[observed],
                self.signal_estimator,
                random_state=signal_seed,
                column_kinds=validator.column_kinds,
            )
        check = HeldOutCheck(validator, train, test)
        copies = (
            NearCopies(validator.encoder_, train, test, random_state=validator_seed)
            if self.near_copy_threshold is not None
            else None
        )
        step = check.first()
        remaining: list[str] = list(train.columns)
        removed: list[str] = []
        steps: list[_Step] = []
        with stage("remedy: dropping drifting columns", total=self.max_drop) as progress:
            while True:
                reason, columns = self._next_drop(
                    validator, step, remaining, keep, steps, copies, check, validator_seed
                )
                leaks = bool(columns) and set(columns) <= set(validator.leak_features_)
                steps.append(
                    _Step.of(
                        step,
                        len(steps),
                        columns,
                        len(remaining),
                        leaks=leaks,
                        columns_drift=bool(flagged_columns(validator, remaining)),
                    )
                )
                if not columns:
                    break
                progress.describe(f"without {', '.join(map(str, columns))}")
                removed.extend(columns)
                remaining = [c for c in remaining if c not in set(columns)]
                step = check.without(removed, random_state=validator_seed)
                if not leaks:  # the leak-like columns do not count toward max_drop
                    progress.advance(len(columns))

        self.validator_ = validator
        self.stop_reason_ = reason
        self.target_signal_ = signal
        self.dropped_features_ = removed
        self.support_ = np.isin(np.asarray(train.columns, dtype=object), remaining)
        self.path_ = _path_frame(steps, signal)
        return self

    def _first_validator(
        self, train: pd.DataFrame, test: pd.DataFrame, seed: int
    ) -> AdversarialValidator:
        """The validator of every column: ``validator`` itself (``prefit``), or fitted now."""
        if self.prefit:
            return check_prefit(self.validator, train, test, owner=_OWNER)
        validator = clone(self.validator) if self.validator is not None else AdversarialValidator()
        if validator.random_state is None:
            validator.set_params(random_state=seed)
        # its errors about the data name this estimator's arguments, X and X_test
        return validator._fit_named(train, test, groups=None, names=("X", "X_test"))

    def _training_frame(self, X: Any) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=True, skip_check_array=True)
            return as_frame(X, name="X")
        array = validate_data(
            self, X, reset=True, dtype=None, ensure_all_finite="allow-nan", ensure_min_samples=2
        )
        return _array_frame(array, name="X")

    def _test_frame(self, train: pd.DataFrame, *, positional: bool) -> pd.DataFrame:
        X_test = self.X_test
        positional = positional or not isinstance(X_test, pd.DataFrame)
        if isinstance(X_test, pd.DataFrame):
            test = as_frame(X_test, name="X_test")
        else:
            array = check_array(
                X_test, dtype=None, ensure_all_finite="allow-nan", input_name="X_test"
            )
            test = _array_frame(array, name="X_test")
        if not positional:
            return align_columns(train, test, names=("X", "X_test"))
        if test.shape[1] != train.shape[1]:
            raise ValueError(
                f"X_test has {test.shape[1]} columns but X has {train.shape[1]}. When X or "
                f"X_test is an array their columns are matched by position, so both need the "
                f"same number (pass DataFrames on both sides to match columns by name)."
            )
        return test.set_axis(train.columns, axis=1)

    def _keep_columns(self, train: pd.DataFrame) -> set[str]:
        keep = [self.keep] if isinstance(self.keep, str) else list(self.keep)
        unknown = [c for c in keep if c not in set(train.columns)]
        if unknown:
            raise ValueError(
                f"The 'keep' parameter of {_OWNER} names column(s) that are not in X: "
                f"{unknown!r}. X has columns {_preview(list(train.columns))}."
            )
        return set(keep)

    def _next_drop(
        self,
        validator: AdversarialValidator,
        step: HeldOutStep,
        remaining: list[str],
        keep: set[str],
        steps: list[_Step],
        copies: NearCopies | None,
        check: HeldOutCheck,
        seed: int,
    ) -> tuple[str, tuple[str, ...]]:
        """Why to stop (or ``""``), and the columns to drop next (none when stopping).

        Leak-like columns go first, together, and do not count toward ``max_drop``; then
        the column whose shuffling costs the step's model the most held-out AUC among the
        ``SHORTLIST`` it attributes most to (SHAP), with its near-copies (as many as
        ``max_drop`` leaves room for).
        """
        flagged = flagged_columns(validator, remaining)
        if not step.drift and not flagged:
            return "no_drift", ()
        if self.target_auc is not None and step.auc <= self.target_auc:
            return "target_auc", ()
        leaks = tuple(
            c for c in validator.leak_features_ if c in set(remaining) and c not in keep
        )
        if leaks and len(leaks) < len(remaining):
            return "", leaks
        n_dropped = sum(len(s.dropped) for s in steps if not s.leaks)
        if self.max_drop is not None and n_dropped >= self.max_drop:
            return "max_drop", ()
        if not step.drift:
            # the classifier no longer tells the sides apart; columns that changed on their
            # own remain: the one that moved most goes next (never the last column)
            if len(remaining) <= 1:
                return "exhausted", ()
            movable = [c for c in flagged if c not in keep]
            return ("", (movable[0],)) if movable else ("protected_drift", ())
        candidates = [c for c in step.importance.index if c in set(remaining) and c not in keep]
        if len(remaining) <= 1 or not candidates:
            return "exhausted", ()
        shortlist = candidates[:SHORTLIST]
        drops = check.confirm(step, shortlist, random_state=seed + len(steps))
        best = str(drops.index[0]) if float(drops.iloc[0]) > 0 else shortlist[0]
        report = validator.feature_report_
        flagged_kept = any(bool(report.at[c, "drift"]) for c in remaining if c in keep)
        if flagged_kept and not bool(report.at[best, "drift"]):
            return "protected_drift", ()
        family = [best]
        if copies is not None and self.near_copy_threshold is not None:
            family += copies.of(best, candidates, threshold=float(self.near_copy_threshold))
        if self.max_drop is not None:
            family = family[: self.max_drop - n_dropped]
        return "", tuple(family)

    def _fitted_line(self) -> str | None:
        """The repr's last line once fitted: what it drops (:class:`advval._repr.ReprMixin`)."""
        if not hasattr(self, "path_"):
            return None
        dropped = list(self.dropped_features_)
        first, last = self.path_.iloc[0], self.path_.iloc[-1]
        names = f" ({plain_names(dropped)})" if dropped else ""
        left = "drift" if bool(last["drift"]) else "no drift"
        return (
            f"fitted: drops {len(dropped)} of {self.n_features_in_} columns{names}; AUC "
            f"{format_fixed(first['auc'])} -> {format_fixed(last['auc'])}, {left} left "
            f"(stop: {self.stop_reason_})"
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.non_deterministic = self.random_state is None
        return tags


@dataclass(frozen=True)
class _Step:
    step: int
    dropped: tuple[str, ...]
    leaks: bool
    n_features: int
    auc: float
    auc_low: float
    auc_high: float
    p_value: float
    drift: bool

    @classmethod
    def of(
        cls,
        check: HeldOutStep,
        step: int,
        dropped: tuple[str, ...],
        n_features: int,
        *,
        leaks: bool,
        columns_drift: bool = False,
    ) -> _Step:
        return cls(
            step=step,
            dropped=dropped,
            leaks=leaks,
            n_features=n_features,
            auc=check.auc,
            auc_low=check.auc_low,
            auc_high=check.auc_high,
            p_value=check.p_value,
            drift=check.drift or columns_drift,
        )


def flagged_columns(validator: AdversarialValidator, remaining: list[str]) -> list[str]:
    """The remaining columns the validator's per-column tests flag, largest distance first.

    Empty when the columns do not count toward the verdict (a correction that is not
    family-wise). A step of the remedy drifts while the held-out classifier flags it or
    such a column is still there, so the remedy and the verdict follow one rule.
    """
    if alpha_split(validator.correction) == 1.0:  # the columns do not count
        return []
    report = validator.feature_report_
    flagged = report[report["drift"] & report.index.isin(remaining)]
    return [str(c) for c in flagged.sort_values("statistic", ascending=False).index]


def _path_frame(steps: list[_Step], signal: pd.Series | None) -> pd.DataFrame:
    dropped = pd.Series([None] * len(steps), dtype=object)
    for i, s in enumerate(steps):
        dropped.iat[i] = s.dropped  # type: ignore[assignment]  # a tuple in an object column
    path = pd.DataFrame(
        {
            "step": np.array([s.step for s in steps], dtype=np.int64),
            "dropped": dropped,
            "n_features": np.array([s.n_features for s in steps], dtype=np.int64),
            "auc": [s.auc for s in steps],
            "auc_low": [s.auc_low for s in steps],
            "auc_high": [s.auc_high for s in steps],
            "p_value": [s.p_value for s in steps],
            "drift": np.array([s.drift for s in steps], dtype=bool),
        }
    )
    if signal is not None:
        path["target_signal"] = [
            float(signal[list(s.dropped)].sum()) if s.dropped else np.nan for s in steps
        ]
    return path


def _array_frame(array: NDArray[Any], *, name: str) -> pd.DataFrame:
    """An array as a frame; an object array's numeric columns become numeric."""
    frame = as_frame(array, name=name)
    return frame.infer_objects() if array.dtype == object else frame


def _preview(names: list[str], limit: int = 10) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{names[:limit]!r}{more}"


def _check_target(y: Any, train: pd.DataFrame) -> NDArray[Any]:
    """``y`` as a 1-D array of ``train``'s length; missing values allowed, infinite not."""
    array = check_array(
        y, ensure_2d=False, dtype=None, ensure_all_finite="allow-nan", input_name="y"
    )
    array = column_or_1d(array)
    check_consistent_length(train, array)
    return array


def _target_name(y: Any) -> str:
    """``y`` as messages call it: with its column name when it is a named Series."""
    name = getattr(y, "name", None)
    return f"y ({name!r})" if isinstance(y, pd.Series) and name is not None else "y"


def _observed_target(target: NDArray[Any], *, name: str) -> NDArray[np.intp] | None:
    """Positions of the rows whose target is known; ``None`` when every row's is.

    Rows with a missing target are left out of the model of ``y`` (they still take part
    in the drift search, which does not read ``y``), and a ``DataWarning`` says how many,
    once. A target with no known value is an error.

    Examples
    --------
    >>> import pytest
    >>> with pytest.warns(DataWarning, match="y has 1 missing value"):
    ...     _observed_target(np.array([1.0, np.nan, 0.0]), name="y").tolist()
    [0, 2]
    """
    missing = np.asarray(pd.isna(target), dtype=bool)
    if not missing.any():
        return None
    n_missing, n_rows = int(missing.sum()), len(target)
    if n_missing == n_rows:
        raise ValueError(
            f"{name} has no known value: all {n_rows:,} are missing, so there is no target "
            f"to measure the columns' signal on. Pass a target with values, or none."
        )
    warnings.warn(
        f"{name} has {n_missing:,} missing value(s) in {n_rows:,} rows: those rows are left "
        f"out of the model of the target (target_signal_); the drift search uses every row.",
        DataWarning,
        stacklevel=3,
    )
    return np.flatnonzero(~missing)


def _is_class_target(y: NDArray[Any]) -> bool:
    """Class labels: integers, booleans, strings, categories, or floats with two values."""
    kind = type_of_target(y)
    if kind not in ("binary", "multiclass"):
        return False
    return y.dtype.kind != "f" or kind == "binary"


def default_signal_model(
    *, classes: bool, n_rows: int, random_state: int
) -> lgb.LGBMClassifier | lgb.LGBMRegressor:
    """The small LightGBM that measures how much each column predicts ``y``.

    Examples
    --------
    >>> default_signal_model(classes=True, n_rows=500, random_state=0).get_params()["num_leaves"]
    15
    """
    factory = lgb.LGBMClassifier if classes else lgb.LGBMRegressor
    return factory(**lightgbm_params("signal", n_rows=n_rows, random_state=random_state))


#: rows the model of ``y`` is fitted on (a seeded sample above it): the shares of its
#: attribution settle long before, and a full-size fit cost as much as the drift check
SIGNAL_MAX_ROWS = 20_000
#: rows its attribution is averaged over (exact TreeSHAP costs far more than the fit)
SIGNAL_EXPLAINED_ROWS = 2_000


def _target_signal(
    frame: pd.DataFrame,
    y: NDArray[Any],
    estimator: Any,
    *,
    random_state: int,
    column_kinds: dict[str, str] | None = None,
) -> pd.Series:
    """Each column's share of the mean |SHAP| of one model of ``y`` fitted on ``frame``.

    Fitted on at most ``SIGNAL_MAX_ROWS`` rows drawn at random; the columns encoded as
    the validator reads them (``column_kinds``).
    """
    if len(frame) > SIGNAL_MAX_ROWS:
        rows = np.sort(
            np.random.default_rng(random_state).choice(
                len(frame), size=SIGNAL_MAX_ROWS, replace=False
            )
        )
        frame, y = frame.iloc[rows], y[rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the validator warns about it already
        encoder = FrameEncoder(column_kinds=column_kinds).fit(frame, frame)
    encoded = encoder.transform(frame)
    if estimator is None:
        model = default_signal_model(
            classes=_is_class_target(y), n_rows=len(frame), random_state=random_state
        )
    else:
        model = clone(estimator)
    data = encoded if isinstance(model, lgb.LGBMModel) else numeric_codes(encoded)
    model.fit(data, y)
    importance = pd.Series(
        _mean_abs_attribution(model, data, y, random_state=random_state),
        index=pd.Index(encoder.source),
    )
    by_column = importance.groupby(level=0, sort=False).sum()
    shares = by_column.reindex(frame.columns, fill_value=0.0).astype(np.float64)
    total = float(shares.sum())
    if total > 0:
        shares = shares / total
    shares.name = "target_signal"
    shares.index.name = "feature"
    return shares


def _mean_abs_attribution(
    model: Any, data: pd.DataFrame, y: NDArray[Any], *, random_state: int
) -> NDArray[np.float64]:
    """Mean |SHAP| per model column, summed over classes; permutation importance fallback.

    Averaged over at most ``SIGNAL_EXPLAINED_ROWS`` rows drawn at random.
    """
    if len(data) > SIGNAL_EXPLAINED_ROWS:
        rows = np.sort(
            np.random.default_rng(random_state).choice(
                len(data), size=SIGNAL_EXPLAINED_ROWS, replace=False
            )
        )
        data, y = data.iloc[rows], y[rows]
    n_rows, n_columns = data.shape
    if isinstance(model, lgb.LGBMModel):
        contributions = np.asarray(model.predict(data, pred_contrib=True), dtype=np.float64)
        per_output = contributions.reshape(n_rows, -1, n_columns + 1)[:, :, :-1]
        return np.asarray(np.abs(per_output).sum(axis=1).mean(axis=0), dtype=np.float64)
    values = _shap_values(model, data)
    if values is not None:
        array = np.abs(values)
        if array.ndim == 3:  # (rows, columns, outputs)
            array = array.sum(axis=2)
        return np.asarray(array.mean(axis=0), dtype=np.float64)
    from sklearn.inspection import permutation_importance

    result = permutation_importance(model, data, y, n_repeats=5, random_state=random_state)
    return np.asarray(np.clip(result.importances_mean, 0.0, None), dtype=np.float64)


def _shap_values(model: Any, data: pd.DataFrame) -> NDArray[np.float64] | None:
    try:
        import shap
    except ImportError:  # pragma: no cover - shap is a core dependency
        return None
    try:
        explainer = shap.TreeExplainer(model)
    except Exception:  # noqa: BLE001 - shap raises many types for "not a tree model"
        return None
    values = explainer.shap_values(data, check_additivity=False)
    if isinstance(values, list):
        return np.stack([np.asarray(v, dtype=np.float64) for v in values], axis=2)
    return np.asarray(values, dtype=np.float64)
