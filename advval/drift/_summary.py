"""Summarise a fitted AdversarialValidator as a DriftReport: the one step that computes it.

The validator owns its model, encoder and out-of-fold scores, so the summary of them lives
here, next to it; :mod:`advval.report` only renders the result. Everything is bounded in
size: the ROC curve has at most ``ROC_POINTS`` points, histograms a fixed number of bins, a
column's distribution a fixed number of bins or levels
(:mod:`advval.drift._distributions`), so a 1M-row check and a 100-row check give reports
of similar size.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.metrics import roc_curve
from sklearn.utils.validation import check_is_fitted

from .._version import __version__
from ..results import (
    ColumnFacts,
    DatasetSummary,
    Distribution,
    DriftReport,
    DriftSegment,
    FeatureDrift,
    RemedyStep,
    RemedyStop,
    RocCurve,
    SegmentSearchSummary,
    SideSummary,
    WithoutLeaks,
)
from ._distributions import distributions as column_distributions
from ._distributions import histogram
from ._univariate import UNIVARIATE_MAX_ROWS
from ._validator import alpha_split

ROC_POINTS = 201
LIKENESS_BINS = 20
#: distribution plots of the top features that are not leak-like ...
TOP_OVERLAYS = 6
#: ... and of the leak-like columns, after them
TOP_LEAK_OVERLAYS = 4


def summarize(
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

    The report holds what the validator found, already summarised and bounded in size
    (see the module's notes); render it with :mod:`advval.report` (``render_json``,
    ``render_markdown``, ``render_html``, ``write_report``).
    ``advval.report.build_drift_report`` is this function under its older name.

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
    >>> report = summarize(validator, train, test, train_name="train.csv")
    >>> report.drift, report.features[0].name, len(report.overlays)
    (True, 'a', 2)
    >>> [d.name for d in report.distributions]
    ['a', 'b']
    >>> report.train_name, report.n_train, report.n_train_used, report.without_leaks
    ('train.csv', 300, 300, None)
    """
    return drift_report(
        validator, X_train, X_test, dropper=dropper, segments=segments,
        train_name=train_name, test_name=test_name, owner="summarize",
    )


def drift_report(
    validator: Any,
    X_train: Any = None,
    X_test: Any = None,
    *,
    dropper: Any = None,
    segments: Any = None,
    train_name: str | os.PathLike[str] | None = None,
    test_name: str | os.PathLike[str] | None = None,
    owner: str,
) -> DriftReport:
    """:func:`summarize`, its messages naming ``owner`` (the public function called)."""
    check_is_fitted(validator, "estimators_")
    names = (
        _input_name(train_name, "train_name", owner),
        _input_name(test_name, "test_name", owner),
    )
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
        distributions = column_distributions(
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
        test_likeness=histogram(
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
        remedy_stop=None if dropper is None else remedy_stop(dropper),
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


def _input_name(value: Any, parameter: str, owner: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return str(os.fspath(value))
    raise TypeError(
        f"The {parameter!r} parameter of {owner} must be a str, a path or None. "
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


def remedy_stop(dropper: Any) -> RemedyStop:
    """Why a fitted :class:`~advval.DriftFeatureDropper` stopped, and what it left flagged.

    ``flagged_left``: the columns it kept that their own test still flags (the ones a
    budget stop did not reach), largest distance first.
    """
    from ._dropper import flagged_columns

    check_is_fitted(dropper, "path_")
    dropped = set(dropper.dropped_features_)
    kept = [c for c in dropper.validator_.feature_report_.index if c not in dropped]
    return RemedyStop(
        reason=str(dropper.stop_reason_),
        max_drop=None if dropper.max_drop is None else int(dropper.max_drop),
        flagged_left=tuple(flagged_columns(dropper.validator_, kept)),
    )


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


def report_facts(validator: Any, order: Sequence[str]) -> tuple[ColumnFacts, ...]:
    """The validator's ``column_facts_`` as :class:`ColumnFacts`, in ``order`` first.

    Columns of the facts that ``order`` does not name follow, in the facts' order; an
    unfitted or distributed validator (no facts) gives ``()``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from advval import AdversarialValidator
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame({"a": rng.normal(size=200), "b": ["x"] * 200})
    >>> test = pd.DataFrame({"a": rng.normal(size=200), "b": ["x"] * 199 + ["y"]})
    >>> validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    >>> facts = report_facts(validator, ["b", "a"])
    >>> [f.name for f in facts], facts[0].unseen_levels, facts[0].unseen_share
    (['b', 'a'], 1, 0.005)
    """
    table = getattr(validator, "column_facts_", None)
    if table is None:
        return ()
    known = {str(name): name for name in table.index}
    names = [n for n in order if n in known]
    names += [str(n) for n in table.index if str(n) not in set(names)]
    return tuple(_one(name, table.loc[known[name]]) for name in names)


def report_summary(validator: Any) -> DatasetSummary | None:
    """The validator's ``dataset_summary_`` as a :class:`DatasetSummary` (or ``None``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from advval import AdversarialValidator
    >>> train = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100) % 3})
    >>> test = train.iloc[:50].reset_index(drop=True)
    >>> validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    >>> summary = report_summary(validator)
    >>> summary.test.rows, summary.test_rows_in_train, summary.train.columns_by_kind
    (50, 1.0, (('numeric', 2),))
    """
    summary = getattr(validator, "dataset_summary_", None)
    if summary is None:
        return None
    everything = summary.get("test_rows_in_train_all_columns")
    return DatasetSummary(
        train=_side(summary["train"]),
        test=_side(summary["test"]),
        test_rows_in_train=float(summary["test_rows_in_train"]),
        test_rows_in_train_all_columns=None if everything is None else float(everything),
        excluded_columns=tuple(str(c) for c in summary.get("excluded_columns", ())),
    )


def _side(side: Mapping[str, Any]) -> SideSummary:
    return SideSummary(
        rows=int(side["rows"]),
        columns_by_kind=tuple((str(k), int(n)) for k, n in side["columns_by_kind"].items()),
        missing_share=float(side["missing_share"]),
        duplicate_rows_share=float(side["duplicate_rows_share"]),
    )


def _one(name: str, row: pd.Series) -> ColumnFacts:
    return ColumnFacts(
        name=name,
        kind=str(row["kind"]),
        missing_train=float(row["missing_train"]),
        missing_test=float(row["missing_test"]),
        missing_p_value=_number(row["missing_p_value"]),
        unseen_levels=_count(row["unseen_levels"]),
        unseen_share=_number(row["unseen_share"]),
        gone_levels=_count(row["gone_levels"]),
        gone_share=_number(row["gone_share"]),
        dominant_train=float(row["dominant_train"]),
        dominant_test=float(row["dominant_test"]),
        out_of_range_share=_number(row["out_of_range_share"]),
        flags=tuple(str(flag) for flag in row["flags"]),
        out_of_range_low=_number(row["out_of_range_low"]),
        out_of_range_high=_number(row["out_of_range_high"]),
    )


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _count(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)
