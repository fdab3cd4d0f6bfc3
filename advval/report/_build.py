"""Summarise a fitted AdversarialValidator into a DriftReport (the only computing step).

Everything here is bounded in size: the ROC curve has at most ``ROC_POINTS`` points,
histograms a fixed number of bins, overlays cover the top ``TOP_OVERLAYS`` features, so a
1M-row check and a 100-row check give reports of similar size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.metrics import roc_curve
from sklearn.utils.validation import check_is_fitted

from .._frames import BOOLEAN, CATEGORICAL, FrameEncoder, align_columns, as_frame
from .._version import __version__
from ._result import Distribution, DriftReport, FeatureDrift, RemedyStep, RocCurve

ROC_POINTS = 201
LIKENESS_BINS = 20
NUMERIC_BINS = 30
TOP_CATEGORIES = 10
TOP_OVERLAYS = 6
_FLOAT_MAX = float(np.finfo(np.float64).max)


def build_drift_report(
    validator: Any, X_train: Any = None, X_test: Any = None, *, dropper: Any = None
) -> DriftReport:
    """Summarise a fitted :class:`~advval.AdversarialValidator` as a :class:`DriftReport`.

    Parameters
    ----------
    validator : AdversarialValidator
        Fitted.
    X_train, X_test : DataFrame, optional
        The frames the validator was fitted on; when given, the report overlays the train
        and test distributions of the top features.
    dropper : DriftFeatureDropper, optional
        Fitted on the same data; its path becomes the report's remedy section.

    Returns
    -------
    DriftReport

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from advval import AdversarialValidator
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    >>> test = pd.DataFrame({"a": rng.normal(1, 1, 300), "b": rng.normal(size=300)})
    >>> validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    >>> report = build_drift_report(validator, train, test)
    >>> report.drift, report.features[0].name, len(report.overlays)
    (True, 'a', 2)
    """
    check_is_fitted(validator, "estimators_")
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
    labels = np.r_[np.zeros(validator.n_train_, dtype=bool), np.ones(validator.n_test_, dtype=bool)]
    scored = ~np.isnan(validator.oof_proba_)
    scores, labels = validator.oof_proba_[scored], labels[scored]
    overlays: tuple[Distribution, ...] = ()
    if X_train is not None and X_test is not None:
        top = [f.name for f in features[:TOP_OVERLAYS]]
        overlays = _overlays(validator.encoder_, X_train, X_test, top)
    return DriftReport(
        n_train=int(validator.n_train_),
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
        remedy=() if dropper is None else _remedy(dropper),
    )


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
                target_signal=None if signal is None or pd.isna(signal) else float(signal),
            )
        )
    return tuple(steps)


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
        "n_rows_sequential_test": int(validator.n_rows_sequential_),
        "importance_method": str(validator.importance_method_),
        "leak_threshold": float(validator.leak_threshold),
        "p_value_method": "sequential cross-fitting, weighted Stouffer",
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
    name: str, train: NDArray[np.float64], test: NDArray[np.float64], edges: NDArray[np.float64]
) -> Distribution:
    def shares(values: NDArray[np.float64]) -> tuple[float, ...]:
        counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
        return tuple(float(c) / max(values.size, 1) for c in counts)

    labels = tuple(f"{lo:.3g} to {hi:.3g}" for lo, hi in zip(edges[:-1], edges[1:], strict=True))
    return Distribution(
        name=name,
        kind="numeric",
        labels=labels,
        edges=tuple(float(e) for e in edges),
        train=shares(train),
        test=shares(test),
    )


def _overlays(
    encoder: FrameEncoder, X_train: Any, X_test: Any, columns: list[str]
) -> tuple[Distribution, ...]:
    train = as_frame(X_train, name="X_train")
    test = align_columns(train, as_frame(X_test, name="X_test"))
    result = []
    for column in columns:
        left = encoder.column_values(train, column)
        right = encoder.column_values(test, column)
        if encoder.kinds[column] in (CATEGORICAL, BOOLEAN):
            result.append(_category_shares(column, left, right))
        else:
            result.append(
                _numeric_shares(column, left.astype(np.float64), right.astype(np.float64))
            )
    return tuple(result)


def _numeric_shares(
    name: str, left: NDArray[np.float64], right: NDArray[np.float64]
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
    return _histogram(name, left[~np.isnan(left)], right[~np.isnan(right)], edges)


def _category_shares(name: str, left: NDArray[Any], right: NDArray[Any]) -> Distribution:
    def as_labels(values: NDArray[Any]) -> pd.Series:
        series = pd.Series(values, dtype=object)
        return series.where(series.notna(), "(missing)").map(str)

    a, b = as_labels(left), as_labels(right)
    counts = pd.concat([a, b]).value_counts()
    order = sorted(counts.index, key=lambda v: (-counts[v], v))
    top = order[:TOP_CATEGORIES]
    has_other = len(order) > TOP_CATEGORIES

    def shares(values: pd.Series) -> tuple[float, ...]:
        freq = values.value_counts(normalize=True)
        parts = [float(freq.get(c, 0.0)) for c in top]
        if has_other:
            parts.append(float(1.0 - sum(parts)))
        return tuple(parts)

    labels = tuple(top) + (("(other)",) if has_other else ())
    return Distribution(
        name=name, kind="categorical", labels=labels, edges=(), train=shares(a), test=shares(b)
    )
