"""Summarise a fitted AdversarialValidator into a DriftReport (the only computing step).

Everything here is bounded in size: the ROC curve has at most ``ROC_POINTS`` points,
histograms a fixed number of bins, a column's distribution a fixed number of bins or
levels, so a 1M-row check and a 100-row check give reports of similar size.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.metrics import roc_curve
from sklearn.utils.validation import check_is_fitted

from .._frames import (
    BOOLEAN,
    CATEGORICAL,
    DATETIME,
    NUMERIC,
    TEXT,
    FrameEncoder,
    as_frame,
    column_kind,
)
from .._version import __version__
from ..drift._univariate import UNIVARIATE_MAX_ROWS
from ..drift._validator import alpha_split
from ._facts import report_facts, report_summary
from ._markdown import format_instant
from ._result import (
    Distribution,
    DriftReport,
    DriftSegment,
    FeatureDrift,
    RemedyStep,
    RocCurve,
    SegmentSearchSummary,
    WithoutLeaks,
)

ROC_POINTS = 201
LIKENESS_BINS = 20
NUMERIC_BINS = 30
#: most frequent levels of each side drawn in a categorical plot (train's, then test's)
TOP_LEVELS_PER_SIDE = 6
#: distribution plots of the top features that are not leak-like ...
TOP_OVERLAYS = 6
#: ... and of the leak-like columns, after them
TOP_LEAK_OVERLAYS = 4
#: bucket labels of a categorical plot; a level spelled the same is shown quoted
MISSING_LABEL, OTHER_LABEL = "(missing)", "(other)"
_FLOAT_MAX = float(np.finfo(np.float64).max)


def build_drift_report(
    validator: Any,
    X_train: Any = None,
    X_test: Any = None,
    *,
    dropper: Any = None,
    segments: Any = None,
    train_name: str | os.PathLike[str] | None = None,
    test_name: str | os.PathLike[str] | None = None,
) -> DriftReport:
    """Summarise a fitted :class:`~advval.AdversarialValidator` as a :class:`DriftReport`.

    Parameters
    ----------
    validator : AdversarialValidator
        Fitted.
    X_train, X_test : DataFrame, optional
        The frames the validator was fitted on; when given, the report holds the train
        and test distribution of every column they have (``distributions``), and plots
        those of the top features large (``overlays``: :func:`overlay_columns`).
    dropper : DriftFeatureDropper, optional
        Fitted on the same data; its path becomes the report's remedy section, and its
        check right after dropping the leak-like columns becomes ``without_leaks``.
    segments : SegmentSearch, optional
        What :meth:`AdversarialValidator.segments` found on the same data: the report's
        ``segments`` and ``segment_search``.
    train_name, test_name : str or path, optional
        What the report calls the two inputs (the TRAIN and TEST file names).

    Returns
    -------
    DriftReport

    Raises
    ------
    TypeError
        When ``train_name`` or ``test_name`` is not a string, a path or None.
    ValueError
        When ``dropper`` was fitted on other columns than ``validator``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from advval import AdversarialValidator
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    >>> test = pd.DataFrame({"a": rng.normal(1, 1, 300), "b": rng.normal(size=300)})
    >>> validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    >>> report = build_drift_report(validator, train, test, train_name="train.csv")
    >>> report.drift, report.features[0].name, len(report.overlays)
    (True, 'a', 2)
    >>> [d.name for d in report.distributions]
    ['a', 'b']
    >>> report.train_name, report.n_train, report.n_train_used, report.without_leaks
    ('train.csv', 300, 300, None)
    """
    check_is_fitted(validator, "estimators_")
    names = (_input_name(train_name, "train_name"), _input_name(test_name, "test_name"))
    table = validator.feature_report_
    features = tuple(
        FeatureDrift(
            name=str(name),
            kind=str(row.kind),
            importance=float(row.importance),
            importance_std=float(row.importance_std),
            statistic=float(row.statistic),
            p_value=float(row.p_value_adjusted),
            test=str(row.test),
            drift=bool(row.drift),
            leak=bool(row.leak),
        )
        for name, row in table.iterrows()
    )
    n_train = int(validator.n_train_)
    labels = np.r_[np.zeros(n_train, dtype=bool), np.ones(validator.n_test_, dtype=bool)]
    scored = ~np.isnan(validator.oof_proba_)
    scores, labels = validator.oof_proba_[scored], labels[scored]
    distributions: tuple[Distribution, ...] = ()
    if X_train is not None and X_test is not None:
        distributions = _overlays(
            validator.encoder_, X_train, X_test, [f.name for f in features]
        )
    plotted = {d.name: d for d in distributions}
    overlays = tuple(plotted[c] for c in overlay_columns(validator) if c in plotted)
    if dropper is not None:
        _check_dropper(dropper, validator)
    budget = getattr(validator, "max_rows_", None)
    return DriftReport(
        n_train=n_train,
        n_test=int(validator.n_test_),
        n_features=int(validator.n_features_in_),
        auc=float(validator.auc_),
        auc_ci=(float(validator.auc_ci_[0]), float(validator.auc_ci_[1])),
        p_value=float(validator.p_value_),
        alpha=float(validator.alpha),
        min_effect=float(validator.min_effect),
        drift=bool(validator.drift_),
        features=features,
        leaks=tuple(validator.leak_features_),
        dropped_columns=tuple(validator.dropped_features_),
        settings=_settings(validator),
        roc=_roc(labels, scores),
        test_likeness=_histogram(
            "test-likeness",
            scores[~labels],
            scores[labels],
            np.linspace(0.0, 1.0, LIKENESS_BINS + 1),
        ),
        overlays=overlays,
        fold_aucs=tuple(float(a) for a in validator.fold_aucs_),
        advval_version=__version__,
        column_facts=report_facts(validator, [f.name for f in features]),
        summary=report_summary(validator),
        segments=() if segments is None else _segments(segments),
        segment_search=None if segments is None else _segment_search(segments),
        remedy=() if dropper is None else _remedy(dropper),
        train_name=names[0],
        test_name=names[1],
        n_train_used=int(np.count_nonzero(scored[:n_train])),
        n_test_used=int(np.count_nonzero(scored[n_train:])),
        row_budget=None if budget is None else int(budget),
        without_leaks=None if dropper is None else _without_leaks(dropper, validator),
        classifier_p_value=float(validator.classifier_p_value_),
        min_distance=float(validator.min_distance),
        drift_by=tuple(validator.drift_by_),
        columns_count=alpha_split(validator.correction) > 1.0,
        distributions=distributions,
    )


def overlay_columns(validator: Any) -> list[str]:
    """The columns a report plots large: the top features, then the top leak-like columns.

    The ``TOP_OVERLAYS`` most important columns that are not leak-like, then the
    ``TOP_LEAK_OVERLAYS`` most important leak-like ones, so a leak does not crowd out the
    columns that tell the rest of the story. (Every column the frames have is plotted
    small in the HTML table; a caller that passes samples of the frames, such as the
    command line on Dask inputs, passes every column.)

    Parameters
    ----------
    validator : AdversarialValidator
        Fitted.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import warnings
    >>> import numpy as np, pandas as pd
    >>> from advval import AdversarialValidator
    >>> from advval.exceptions import LeakWarning
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame({"row": np.arange(300.0), "a": rng.normal(size=300)})
    >>> test = pd.DataFrame({"row": np.arange(300.0, 600.0), "a": rng.normal(size=300)})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", LeakWarning)  # "row" is the leak
    ...     validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    >>> overlay_columns(validator)
    ['a', 'row']
    """
    check_is_fitted(validator, "feature_report_")
    table = validator.feature_report_
    names = [str(c) for c in table.index]
    leaks = set(map(str, validator.leak_features_))
    plain = [c for c in names if c not in leaks][:TOP_OVERLAYS]
    return plain + [c for c in names if c in leaks][:TOP_LEAK_OVERLAYS]


def _input_name(value: Any, parameter: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return str(os.fspath(value))
    raise TypeError(
        f"The {parameter!r} parameter of build_drift_report must be a str, a path or None. "
        f"Got {type(value).__name__} instead."
    )


def _check_dropper(dropper: Any, validator: Any) -> None:
    check_is_fitted(dropper, "path_")
    ours = [str(c) for c in validator.feature_names_in_]
    theirs = [str(c) for c in getattr(dropper, "feature_names_in_", ours)]
    if sorted(ours) != sorted(theirs):
        raise ValueError(
            f"The dropper was fitted on other columns than the validator ({len(theirs)} "
            f"against {len(ours)}); pass a DriftFeatureDropper fitted on the same data, e.g. "
            f"DriftFeatureDropper(X_test=X_test, validator=validator, prefit=True)."
        )


def _without_leaks(dropper: Any, validator: Any) -> WithoutLeaks | None:
    """The held-out check right after the step that dropped the leak-like columns."""
    leaks = set(map(str, validator.leak_features_))
    path = dropper.path_
    if not leaks:
        return None
    for i in range(len(path) - 1):
        dropped = tuple(str(c) for c in path["dropped"].iat[i])
        if dropped and set(dropped) <= leaks:
            row = path.iloc[i + 1]
            return WithoutLeaks(
                columns=dropped,
                n_features=int(row["n_features"]),
                auc=float(row["auc"]),
                auc_ci=(float(row["auc_low"]), float(row["auc_high"])),
                p_value=float(row["p_value"]),
                drift=bool(row["drift"]),
            )
    return None


def _remedy(dropper: Any) -> tuple[RemedyStep, ...]:
    check_is_fitted(dropper, "path_")
    steps = []
    for row in dropper.path_.itertuples(index=False):
        signal = getattr(row, "target_signal", None)
        dropped = tuple(str(name) for name in row.dropped)
        steps.append(
            RemedyStep(
                n_features=int(row.n_features),
                auc=float(row.auc),
                auc_ci=(float(row.auc_low), float(row.auc_high)),
                drift=bool(row.drift),
                dropped=dropped,
                target_signal=_optional_float(signal),
                p_value=_optional_float(getattr(row, "p_value", None)),
            )
        )
    return tuple(steps)


def _segments(found: Any) -> tuple[DriftSegment, ...]:
    return tuple(
        DriftSegment(
            rule=s.rule,
            over_represented=s.over_represented,
            train_share=float(s.train_share),
            test_share=float(s.test_share),
            lift=float(s.lift),
            lift_ci=(float(s.lift_low), float(s.lift_high)),
            train_rows=int(s.train_rows),
            test_rows=int(s.test_rows),
            columns=tuple(dict.fromkeys(str(c.column) for c in s.conditions)),
        )
        for s in found.segments
    )


def _segment_search(found: Any) -> SegmentSearchSummary:
    return SegmentSearchSummary(
        candidates=int(found.n_candidates),
        search_rows=int(found.n_search_rows),
        measure_rows=int(found.n_measure_rows),
    )


def _optional_float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _settings(validator: Any) -> dict[str, Any]:
    estimator = validator.estimator
    seed = validator.random_state
    return {
        "estimator": "LGBMClassifier (default)" if estimator is None else type(estimator).__name__,
        "n_splits": int(validator.n_splits),
        "random_state": seed if seed is None or isinstance(seed, int) else str(seed),
        "confidence": float(validator.confidence),
        "correction": str(validator.correction),
        "max_rows": validator.max_rows,
        "n_rows_used": int(validator.n_rows_used_),
        "univariate_max_rows": UNIVARIATE_MAX_ROWS,
        "n_rows_sequential_test": int(validator.n_rows_sequential_),
        "importance_method": str(validator.importance_method_),
        "leak_threshold": float(validator.leak_threshold),
        "p_value_method": (
            "the smaller of the classifier's (sequential cross-fitting, weighted Stouffer) "
            "and the columns' (KS and Mann-Whitney / chi-squared, "
            f"{validator.correction}), each doubled for the split of alpha"
            if alpha_split(validator.correction) > 1.0
            else "sequential cross-fitting, weighted Stouffer (the columns do not count)"
        ),
        "ci_method": "DeLong x cross-fitting design effect, logit scale",
    }


def _roc(labels: NDArray[np.bool_], scores: NDArray[np.float64]) -> RocCurve:
    fpr, tpr, _ = roc_curve(labels, scores)
    if fpr.size > ROC_POINTS:
        grid = np.linspace(0.0, 1.0, ROC_POINTS)
        # the curve is a step function; the largest tpr reached at each fpr is what it shows
        tpr = np.interp(grid, fpr, tpr)
        fpr = grid
    return RocCurve(fpr=tuple(float(v) for v in fpr), tpr=tuple(float(v) for v in tpr))


def _histogram(
    name: str,
    train: NDArray[np.float64],
    test: NDArray[np.float64],
    edges: NDArray[np.float64],
    *,
    kind: str = "numeric",
    measure: str = "",
) -> Distribution:
    def shares(values: NDArray[np.float64]) -> tuple[float, ...]:
        counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
        return tuple(float(c) / max(values.size, 1) for c in counts)

    if kind == "datetime":
        span = float(edges[-1] - edges[0])
        labels = tuple(
            f"{format_instant(lo, span)} to {format_instant(hi, span)}"
            for lo, hi in zip(edges[:-1], edges[1:], strict=True)
        )
    else:
        labels = tuple(
            f"{lo:.3g} to {hi:.3g}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)
        )
    return Distribution(
        name=name,
        kind=kind,
        labels=labels,
        edges=tuple(float(e) for e in edges),
        train=shares(train),
        test=shares(test),
        measure=measure,
    )


def _overlays(
    encoder: FrameEncoder, X_train: Any, X_test: Any, columns: list[str]
) -> tuple[Distribution, ...]:
    train = as_frame(X_train, name="X_train")
    test = as_frame(X_test, name="X_test")
    present = [c for c in columns if c in train.columns and c in test.columns]
    return tuple(_overlay(encoder, train, test, column) for column in present)


def _overlay(
    encoder: FrameEncoder, train: pd.DataFrame, test: pd.DataFrame, column: str
) -> Distribution:
    """One column's plot, chosen by the kind the encoder gave it.

    Numbers: a histogram; datetimes (date strings included, once parsed): a histogram on
    a time axis; categories: bars of each side's top levels with the shares of values the
    other side never has; free text: a histogram of lengths, with the same shares. A kind
    this module does not know is drawn by what its values are (numbers or labels).
    """
    kind = encoder.kinds.get(column)
    if kind == TEXT:
        return _text_shares(column, train[column], test[column])
    if kind not in (NUMERIC, DATETIME, CATEGORICAL, BOOLEAN):
        kind = column_kind(pd.concat([train[column], test[column]], ignore_index=True))
        if kind in (NUMERIC, DATETIME):  # the raw values, as their dtype says
            numbers = _raw_numbers(train[column]), _raw_numbers(test[column])
            return _numeric_shares(column, *numbers, kind=kind)
        return _category_shares(column, train[column].to_numpy(), test[column].to_numpy())
    left = encoder.column_values(train, column)
    right = encoder.column_values(test, column)
    if kind in (CATEGORICAL, BOOLEAN):
        return _category_shares(column, left, right)
    return _numeric_shares(
        column,
        np.asarray(left, dtype=np.float64),
        np.asarray(right, dtype=np.float64),
        kind="datetime" if kind == DATETIME else "numeric",
    )


def _raw_numbers(values: pd.Series) -> NDArray[np.float64]:
    """Numbers, timedeltas (seconds) or datetimes (seconds since 1970, UTC) as floats."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        values = pd.to_datetime(values, utc=True) - pd.Timestamp(0, tz="UTC")
    if pd.api.types.is_timedelta64_dtype(values.dtype):
        return np.asarray(values.dt.total_seconds(), dtype=np.float64)
    return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan))


def _numeric_shares(
    name: str,
    left: NDArray[np.float64],
    right: NDArray[np.float64],
    *,
    kind: str = "numeric",
    measure: str = "",
) -> Distribution:
    pooled = np.concatenate([left, right])
    pooled = pooled[~np.isnan(pooled)]
    if pooled.size == 0:
        low, high = 0.0, 1.0
    else:
        # on quartered values: the differences the interpolation takes (up to 2 * float
        # max for data near +/-1e308) and its rounding stay finite, and for other data
        # quartering is exact, so the edges are the same bits as without it
        low, high = (4.0 * float(v) for v in np.quantile(pooled / 4.0, [0.005, 0.995]))
    if high <= low:
        pad = max(0.5, abs(low) * 1e-3)
        low, high = max(low - pad, -_FLOAT_MAX), min(high + pad, _FLOAT_MAX)
    edges = np.clip(4.0 * np.linspace(low / 4.0, high / 4.0, NUMERIC_BINS + 1), low, high)
    return _histogram(
        name, left[~np.isnan(left)], right[~np.isnan(right)], edges, kind=kind, measure=measure
    )


@dataclass(frozen=True)
class _Levels:
    """Both sides' values as codes into one list of distinct labels, with counts."""

    labels: list[str]
    train: NDArray[np.int64]  # rows of train per label
    test: NDArray[np.int64]
    n_train: int
    n_test: int

    @classmethod
    def of(cls, left: Any, right: Any) -> _Levels:
        return cls.coded(left, right)[0]

    @classmethod
    def coded(cls, left: Any, right: Any) -> tuple[_Levels, NDArray[np.intp]]:
        """The levels, and each row's code into their labels (train rows first; -1: missing)."""
        n_train, n_test = len(left), len(right)
        pooled = pd.Series(np.concatenate([np.asarray(left, dtype=object),
                                           np.asarray(right, dtype=object)]), dtype=object)
        codes, uniques = pd.factorize(pooled, use_na_sentinel=True)
        size = len(uniques)
        train = np.bincount(codes[:n_train][codes[:n_train] >= 0], minlength=size)
        test = np.bincount(codes[n_train:][codes[n_train:] >= 0], minlength=size)
        labels = [str(u) for u in np.asarray(uniques, dtype=object)]
        levels = cls(labels, train.astype(np.int64), test.astype(np.int64), n_train, n_test)
        return levels, np.asarray(codes)

    def unseen(self) -> tuple[float, float]:
        """Of the train rows with a value, the share whose value test never has; and of test.

        Missing values count on neither side: 1.0 and 1.0 means the sides share no value.
        """
        only_train = float(self.train[self.test == 0].sum())
        only_test = float(self.test[self.train == 0].sum())
        return only_train / max(int(self.train.sum()), 1), only_test / max(int(self.test.sum()), 1)

    def n_levels(self) -> tuple[int, int]:
        return int(np.count_nonzero(self.train)), int(np.count_nonzero(self.test))


def _category_shares(name: str, left: Any, right: Any) -> Distribution:
    """Bars of train's and test's most frequent levels, then missing and every other level.

    Each side's own top levels are drawn (train's first, then test's that are not among
    them), so two sides with different levels show different bars even when each has
    thousands of levels; the shares of values unseen on the other side say how much of
    each side the other never has (1.0 and 1.0: disjoint).
    """
    levels = _Levels.of(left, right)
    order = sorted(range(len(levels.labels)), key=lambda i: levels.labels[i])  # ties: by name
    by_train = sorted((i for i in order if levels.train[i] > 0), key=lambda i: -levels.train[i])
    top = by_train[:TOP_LEVELS_PER_SIDE]
    chosen = set(top)
    by_test = sorted(
        (i for i in order if levels.test[i] > 0 and i not in chosen), key=lambda i: -levels.test[i]
    )
    top += by_test[:TOP_LEVELS_PER_SIDE]

    def shares(counts: NDArray[np.int64], n: int, present: int) -> list[float]:
        shown = [float(counts[i]) / max(n, 1) for i in top]
        missing = float(n - present) / max(n, 1)
        other = float(present - sum(int(counts[i]) for i in top)) / max(n, 1)
        return [*shown, missing, other]

    train = shares(levels.train, levels.n_train, int(levels.train.sum()))
    test = shares(levels.test, levels.n_test, int(levels.test.sum()))
    labels = [_level_label(levels.labels[i]) for i in top] + [MISSING_LABEL, OTHER_LABEL]
    keep = [j for j in range(len(labels)) if j < len(top) or train[j] > 0 or test[j] > 0]
    unseen_train, unseen_test = levels.unseen()
    return Distribution(
        name=name,
        kind="categorical",
        labels=tuple(labels[j] for j in keep),
        edges=(),
        train=tuple(train[j] for j in keep),
        test=tuple(test[j] for j in keep),
        unseen_train=unseen_train,
        unseen_test=unseen_test,
        n_levels=levels.n_levels(),
    )


def _level_label(label: str) -> str:
    """A level as its bar's label: quoted when it reads like a bucket label."""
    return repr(label) if label in (MISSING_LABEL, OTHER_LABEL) else label


def _text_shares(name: str, left: pd.Series, right: pd.Series) -> Distribution:
    """Free text: a histogram of lengths in characters, with the shares of unseen texts."""
    levels, codes = _Levels.coded(left, right)  # one factorization of both sides
    own = np.array([float(len(label)) for label in levels.labels] + [np.nan])
    lengths = own[codes]  # code -1 (missing): the last entry, NaN
    histogram = _numeric_shares(
        name, lengths[: levels.n_train], lengths[levels.n_train :], measure="length (characters)"
    )
    unseen_train, unseen_test = levels.unseen()
    return dataclasses.replace(
        histogram,
        unseen_train=unseen_train,
        unseen_test=unseen_test,
        n_levels=levels.n_levels(),
    )
