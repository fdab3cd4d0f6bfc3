"""Drift results: plain frozen data that every renderer reads and none computes.

A :class:`DriftReport` holds everything a drift report shows, already summarised and of
bounded size (no per-row payloads): 10 rows and 1M rows give reports of similar size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._display import Displayed
from ._json import SCHEMA_VERSION

if TYPE_CHECKING:  # a result of advval.compare, kept as it is (duck-typed: ``to_dict``)
    from ..compare import BaselineCheck

__all__ = [
    "ColumnFacts",
    "DatasetSummary",
    "Distribution",
    "DriftReport",
    "DriftSegment",
    "FeatureDrift",
    "RemedyStep",
    "RemedyStop",
    "RocCurve",
    "SCHEMA_VERSION",
    "SegmentSearchSummary",
    "SideSummary",
    "WithoutLeaks",
]


@dataclass(frozen=True)
class FeatureDrift:
    """How much one input column drives the train/test difference.

    Attributes
    ----------
    name : str
        Column name as the user passed it.
    kind : str
        How the encoder treated the column: ``"numeric"``, ``"categorical"``,
        ``"boolean"``, ``"datetime"``, ``"text"``, or any other kind the encoder reports
        (renderers show it as it is).
    importance : float
        Mean absolute SHAP value (log-odds of "test") over out-of-fold rows, averaged
        over folds.
    importance_std : float
        Standard deviation of that mean across folds.
    statistic : float
        Univariate distance between train and test: Kolmogorov-Smirnov ``D`` for numeric
        columns, total-variation distance for categorical ones (both in [0, 1]).
    p_value : float
        Univariate test p-value (KS or chi-squared) after multiple-testing correction.
    test : {"ks", "chi2"}
        Which univariate test produced ``p_value``.
    drift : bool
        Significant after correction and ``statistic`` above the effect floor.
    leak : bool
        The column alone separates train from test almost perfectly (ID, timestamp...).
    """

    name: str
    kind: str
    importance: float
    importance_std: float
    statistic: float
    p_value: float
    test: str
    drift: bool
    leak: bool


@dataclass(frozen=True)
class Distribution:
    """Train and test proportions over shared bins or categories.

    Attributes
    ----------
    name : str
        What is binned (a column name, or ``"test-likeness"``).
    kind : {"numeric", "datetime", "categorical"}
        How it is drawn: a histogram on ``edges`` (``"datetime"``: edges in seconds since
        1970-01-01 UTC, shown as dates) or bars per category.
    labels : tuple of str
        One label per bin (a formatted range or a category name, possibly ``"(other)"``
        or ``"(missing)"``). A categorical distribution lists the most frequent levels
        of train, then those of test that are not among them, then ``"(missing)"`` and
        ``"(other)"`` (every other level, per side) when they hold rows.
    edges : tuple of float
        Bin edges for numeric distributions (``len(labels) + 1`` values), empty otherwise.
    train, test : tuple of float
        Proportion of each side's rows in each bin (each sums to at most 1).
    measure : str
        What the bins measure when it is not the column's values themselves (``"length
        (characters)"`` for a free-text column); ``""`` otherwise.
    unseen_train, unseen_test : float or None
        Of the train rows that have a value, the share whose value never occurs in test;
        and of the test rows, the share whose value never occurs in train (missing values
        count on neither side); ``None`` for histograms of numbers. 1.0 on both sides: the
        sides share no value at all.
    n_levels : tuple of int or None
        Distinct values present in train and in test (categories and text).
    """

    name: str
    kind: str
    labels: tuple[str, ...]
    edges: tuple[float, ...]
    train: tuple[float, ...]
    test: tuple[float, ...]
    measure: str = ""
    unseen_train: float | None = None
    unseen_test: float | None = None
    n_levels: tuple[int, int] | None = None


@dataclass(frozen=True)
class RocCurve:
    """ROC curve of the domain classifier's out-of-fold scores, at most a few hundred points."""

    fpr: tuple[float, ...]
    tpr: tuple[float, ...]


@dataclass(frozen=True)
class RemedyStep:
    """One step of the feature dropper's path.

    Attributes
    ----------
    n_features : int
        Columns left at this step.
    auc : float
        Domain AUC on those columns.
    auc_ci : tuple of float
    drift : bool
        The held-out drift check's verdict at this step.
    dropped : tuple of str
        The columns dropped after this step (the leak-like ones together, then one at a
        time; empty at the last step).
    target_signal : float or None
        Share of the target model's mean |SHAP| carried by ``dropped`` (when a target was
        given): what dropping them costs.
    p_value : float or None
        p-value of the step's held-out check (``None`` when not known).
    """

    n_features: int
    auc: float
    auc_ci: tuple[float, float]
    drift: bool
    dropped: tuple[str, ...]
    target_signal: float | None
    p_value: float | None = None


@dataclass(frozen=True)
class RemedyStop:
    """Why the feature dropper's search stopped, and what it left flagged.

    Attributes
    ----------
    reason : str
        :attr:`DriftFeatureDropper.stop_reason_ <advval.DriftFeatureDropper>`:
        ``"no_drift"``, ``"target_auc"``, ``"max_drop"`` (the budget of columns ran out),
        ``"exhausted"`` (no droppable column, or a single one, was left) or
        ``"protected_drift"`` (the drift left sits in the columns it was told to keep).
    max_drop : int or None
        The budget of columns it could drop after the leak-like ones (``None``: none).
    flagged_left : tuple of str
        The columns it kept that their own per-column test still flags, largest distance
        first (empty when none is, or the columns do not count toward the verdict).
    """

    reason: str
    max_drop: int | None
    flagged_left: tuple[str, ...] = ()


@dataclass(frozen=True)
class WithoutLeaks:
    """The drift check without the leak-like columns: the verdict a leak cannot decide.

    Taken from the feature dropper's path: the held-out check of the step right after the
    leak-like columns were dropped, all together (one model trained like the validator's
    last fold model on the remaining columns, scored on that fold's rows).

    Attributes
    ----------
    columns : tuple of str
        The leak-like columns left out.
    n_features : int
        Columns left.
    auc : float
        Domain AUC without them.
    auc_ci : tuple of float
        Its confidence interval.
    p_value : float
        p-value of "same distribution" without them.
    drift : bool
        The held-out check's verdict (same alpha and effect floor as the report's).
    """

    columns: tuple[str, ...]
    n_features: int
    auc: float
    auc_ci: tuple[float, float]
    p_value: float
    drift: bool


@dataclass(frozen=True)
class ColumnFacts:
    """Plain facts about one column, counted on every row of both sides (no model).

    Attributes
    ----------
    name : str
        Column name as the user passed it.
    kind : str
        How the column was read: ``"numeric"``, ``"categorical"``, ``"boolean"``,
        ``"datetime"`` or ``"text"``.
    missing_train, missing_test : float
        Share of missing values on each side.
    missing_p_value : float or None
        p-value of "the missing share is the same on both sides" (two-proportion test,
        Fisher's exact test on small counts), adjusted over the columns by the
        validator's ``correction`` (not split with the classifier: the facts do not count
        toward the verdict); ``None`` when neither side has a missing value.
    unseen_levels : int or None
        Levels of a categorical column that appear in test and never in train
        (``None`` for columns that are not categorical).
    unseen_share : float or None
        Share of the test rows (all of them) that hold such a level.
    gone_levels : int or None
        Levels that appear in train and never in test.
    gone_share : float or None
        Share of the train rows that hold such a level.
    dominant_train, dominant_test : float
        Share of one side's rows holding its most frequent value, missing counted as a
        value (1.0: constant).
    out_of_range_share : float or None
        Share of the test rows whose value lies outside the train ``[min, max]`` (numeric
        and datetime columns; ``None`` otherwise).
    flags : tuple of str
        The facts that call for a look (thresholds in :mod:`advval.drift._facts`):
        ``"missing_rate"`` (a significant change of at least 2 points),
        ``"unseen_levels"``, ``"gone_levels"`` (at least 1% of that side's rows, more than
        a random split of the pooled rows gives), ``"constant_train"``,
        ``"constant_test"`` (one value holds at least 99% of that side's rows, and not of
        the other's) and ``"out_of_range"`` (at least 1% of the test rows and
        ``10 / (n + 1)``, five times the share of a same-distribution sample that falls
        outside ``n`` train values).
    out_of_range_low, out_of_range_high : float or None
        Share of the test rows below the train minimum, and above the train maximum
        (their sum is ``out_of_range_share``).
    """

    name: str
    kind: str
    missing_train: float
    missing_test: float
    missing_p_value: float | None
    unseen_levels: int | None
    unseen_share: float | None
    gone_levels: int | None
    gone_share: float | None
    dominant_train: float
    dominant_test: float
    out_of_range_share: float | None
    flags: tuple[str, ...]
    out_of_range_low: float | None = None
    out_of_range_high: float | None = None


@dataclass(frozen=True)
class SideSummary:
    """One side (train or test) of a :class:`DatasetSummary`.

    Attributes
    ----------
    rows : int
        Rows, all of them (before any row budget).
    columns_by_kind : tuple of (str, int)
        How many checked columns of each kind, sorted by kind.
    missing_share : float
        Share of missing cells over the checked columns.
    duplicate_rows_share : float
        Share of rows that exactly repeat an earlier row of the same side (checked
        columns).
    """

    rows: int
    columns_by_kind: tuple[tuple[str, int], ...]
    missing_share: float
    duplicate_rows_share: float


@dataclass(frozen=True)
class DatasetSummary:
    """The dataset summary card: both sides, and the test rows that repeat a train row.

    Attributes
    ----------
    train, test : SideSummary
    test_rows_in_train : float
        Share of test rows that exactly match a train row on the checked columns.
    test_rows_in_train_all_columns : float or None
        The same share on every column the two inputs have in common, the excluded ones
        (target, ID, ignored) included; ``None`` when nothing was excluded.
    excluded_columns : tuple of str
        Columns common to both inputs that the check left out.
    """

    train: SideSummary
    test: SideSummary
    test_rows_in_train: float
    test_rows_in_train_all_columns: float | None
    excluded_columns: tuple[str, ...]


@dataclass(frozen=True)
class DriftSegment:
    """A region of the rows one side over-fills (:meth:`AdversarialValidator.segments`).

    Attributes
    ----------
    rule : str
        The region in words.
    over_represented : str
        ``"test"`` or ``"train"``.
    train_share, test_share : float
        Share of the measured rows of each side in the region.
    lift : float
        ``test_share / train_share``.
    lift_ci : tuple of float
        Its interval, Bonferroni-adjusted over the regions searched.
    train_rows, test_rows : int
        Measured rows of each side in the region.
    columns : tuple of str
        The columns its rule reads, in the rule's order (an accepted-drift baseline
        matches regions on them: thresholds move a little from one sample to the next).
    """

    rule: str
    over_represented: str
    train_share: float
    test_share: float
    lift: float
    lift_ci: tuple[float, float]
    train_rows: int
    test_rows: int
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class SegmentSearchSummary:
    """How the segments were searched: regions tried and rows read by each half.

    Attributes
    ----------
    candidates : int
        Regions searched (the Bonferroni factor of every lift interval).
    search_rows, measure_rows : int
        Rows the search read, and the other rows the shares were measured on.
    """

    candidates: int
    search_rows: int
    measure_rows: int


@dataclass(frozen=True, repr=False)
class DriftReport(Displayed):
    """Everything a drift report shows, as data.

    Build one from a fitted :class:`~advval.AdversarialValidator` with
    :func:`advval.drift.summarize` (or :func:`advval.report.build_drift_report`); render it
    with ``advval.report``'s ``render_json``, ``render_markdown`` or ``render_html``.

    Attributes
    ----------
    n_train, n_test, n_features : int
        Rows of each side and columns, as given (before any subsampling).
    auc : float
        Out-of-fold ROC AUC of the domain classifier (0.5: indistinguishable).
    auc_ci : tuple of float
        Confidence interval of ``auc``.
    p_value : float
        p-value of "train and test come from the same distribution", from both kinds of
        evidence (the smaller of ``classifier_p_value`` and the columns' adjusted ones).
    alpha, min_effect : float
        Significance level and the classifier's effect floor.
    drift : bool
        Whether the classifier (``classifier_p_value < alpha`` and ``auc_ci[0] > 0.5 +
        min_effect``) or a column (``features[i].drift``) flagged drift: ``drift_by``.
    features : tuple of FeatureDrift
        Sorted by importance, highest first.
    leaks : tuple of str
        Columns that alone separate train from test almost perfectly.
    dropped_columns : tuple of str
        Columns dropped before the check (entirely missing).
    settings : dict
        How the check ran (estimator, n_splits, random_state, rows used...).
    roc : RocCurve
    test_likeness : Distribution
        Histogram of out-of-fold P(test) for train rows and for test rows.
    overlays : tuple of Distribution
        Train vs test distributions of the top features.
    fold_aucs : tuple of float
        AUC of each fold's model on its held-out rows.
    advval_version : str
    remedy : tuple of RemedyStep
        The feature dropper's path (empty when it was not run).
    remedy_stop : RemedyStop or None
        Why that search stopped (``None`` when it was not run).
    train_name, test_name : str or None
        Names of the inputs (the TRAIN and TEST files), when the caller gave them.
    n_train_used, n_test_used : int or None
        Rows of each side the domain classifier used after the row budget (``None`` when
        not known).
    row_budget : int or None
        The row budget that applied (the validator's ``max_rows`` resolved; ``None``:
        every row).
    without_leaks : WithoutLeaks or None
        The verdict without the leak-like columns (``None`` when there are none, or no
        feature dropper was run).
    classifier_p_value : float or None
        The classifier's p-value, adjusted for the split of alpha (``None``: ``p_value``).
    min_distance : float or None
        A column's effect floor (KS D or total-variation distance); ``None``: unknown.
    drift_by : tuple of str
        The evidence that flagged drift: ``"classifier"``, ``"columns"``.
    columns_count : bool
        Whether flagged columns count toward ``drift`` (a family-wise correction).
    column_facts : tuple of ColumnFacts
        Per-column facts on all rows, in the order of ``features`` (empty: not computed).
    summary : DatasetSummary or None
        The dataset summary card (``None``: not computed).
    segments : tuple of DriftSegment
        Regions one side over-fills, largest moved share first (empty: none found, or
        not searched).
    segment_search : SegmentSearchSummary or None
        How they were searched (``None``: not searched).
    distributions : tuple of Distribution
        Train vs test distribution of every column, in the order of ``features`` (empty
        when the frames were not given); ``overlays`` are some of these. Plots only: not
        in ``to_dict``.
    baseline : BaselineCheck or None
        The drift sorted against an accepted-drift baseline (accepted, new, grown,
        resolved; :func:`advval.compare.apply_baseline`); ``None``: no baseline given.
    reading_notes : tuple of str
        How the input files were read, as the command line said it (numbers read from
        text, columns kept as text because of a marker value, likely sentinels...);
        empty when nothing was noted or the report was not built by the command line.
    """

    n_train: int
    n_test: int
    n_features: int
    auc: float
    auc_ci: tuple[float, float]
    p_value: float
    alpha: float
    min_effect: float
    drift: bool
    features: tuple[FeatureDrift, ...]
    leaks: tuple[str, ...]
    dropped_columns: tuple[str, ...]
    settings: dict[str, Any]
    roc: RocCurve
    test_likeness: Distribution
    overlays: tuple[Distribution, ...]
    fold_aucs: tuple[float, ...]
    advval_version: str
    remedy: tuple[RemedyStep, ...] = ()
    kind: str = field(default="drift")
    train_name: str | None = None
    test_name: str | None = None
    n_train_used: int | None = None
    n_test_used: int | None = None
    row_budget: int | None = None
    without_leaks: WithoutLeaks | None = None
    classifier_p_value: float | None = None
    min_distance: float | None = None
    drift_by: tuple[str, ...] = ()
    columns_count: bool = True
    column_facts: tuple[ColumnFacts, ...] = ()
    summary: DatasetSummary | None = None
    segments: tuple[DriftSegment, ...] = ()
    segment_search: SegmentSearchSummary | None = None
    distributions: tuple[Distribution, ...] = ()
    baseline: BaselineCheck | None = None
    reading_notes: tuple[str, ...] = ()
    remedy_stop: RemedyStop | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of DESIGN.md section 6 (plots excluded), unrounded.

        Returns
        -------
        dict
            ``schema_version``, ``kind``, the inputs (``train_name``, ``test_name``,
            ``n_train``, ``n_test``, ``n_train_used``, ``n_test_used``, ``row_budget``),
            the verdict, ``without_leaks``, ``features`` (importance order), ``leaks``,
            ``dropped_columns``, ``fold_aucs``, ``remedy``, ``settings``,
            ``column_facts``, ``summary``, ``segments``, ``segment_search``,
            ``baseline`` (``null`` without one) and, only when there are any,
            ``reading_notes``.
        """
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": self.kind,
            "advval_version": self.advval_version,
            "train_name": self.train_name,
            "test_name": self.test_name,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "n_train_used": self.n_train_used,
            "n_test_used": self.n_test_used,
            "row_budget": self.row_budget,
            "n_features": self.n_features,
            "auc": self.auc,
            "auc_ci": list(self.auc_ci),
            "p_value": self.p_value,
            "alpha": self.alpha,
            "min_effect": self.min_effect,
            "min_distance": self.min_distance,
            "classifier_p_value": self.classifier_p_value,
            "drift": self.drift,
            "drift_by": list(self.drift_by),
            "without_leaks": _without_leaks_dict(self.without_leaks),
            "features": [
                {
                    "name": f.name,
                    "kind": f.kind,
                    "importance": f.importance,
                    "importance_std": f.importance_std,
                    "statistic": f.statistic,
                    "p_value": f.p_value,
                    "test": f.test,
                    "drift": f.drift,
                    "leak": f.leak,
                }
                for f in self.features
            ],
            "leaks": list(self.leaks),
            "dropped_columns": list(self.dropped_columns),
            "fold_aucs": list(self.fold_aucs),
            "remedy": {
                "would_drop": [name for step in self.remedy for name in step.dropped],
                **_remedy_stop_dict(self.remedy_stop if self.remedy else None),
                "path": [
                    {
                        "n_features": step.n_features,
                        "auc": step.auc,
                        "auc_ci": list(step.auc_ci),
                        "drift": step.drift,
                        "dropped": list(step.dropped),
                        "p_value": step.p_value,
                        "target_signal": step.target_signal,
                    }
                    for step in self.remedy
                ],
            },
            "settings": dict(self.settings),
            "column_facts": [_facts_dict(facts) for facts in self.column_facts],
            "summary": _summary_dict(self.summary),
            "segments": [_segment_dict(segment) for segment in self.segments],
            "segment_search": _segment_search_dict(self.segment_search),
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            **({"reading_notes": list(self.reading_notes)} if self.reading_notes else {}),
        }


def _remedy_stop_dict(value: RemedyStop | None) -> dict[str, Any]:
    """``stopped``, ``max_drop`` and ``flagged_left``; nothing when the remedy did not run."""
    if value is None:
        return {}
    return {
        "stopped": value.reason,
        "max_drop": value.max_drop,
        "flagged_left": list(value.flagged_left),
    }


def _without_leaks_dict(value: WithoutLeaks | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "columns": list(value.columns),
        "n_features": value.n_features,
        "auc": value.auc,
        "auc_ci": list(value.auc_ci),
        "p_value": value.p_value,
        "drift": value.drift,
    }


def _facts_dict(facts: ColumnFacts) -> dict[str, Any]:
    return {
        "name": facts.name,
        "kind": facts.kind,
        "missing_train": facts.missing_train,
        "missing_test": facts.missing_test,
        "missing_p_value": facts.missing_p_value,
        "unseen_levels": facts.unseen_levels,
        "unseen_share": facts.unseen_share,
        "gone_levels": facts.gone_levels,
        "gone_share": facts.gone_share,
        "dominant_train": facts.dominant_train,
        "dominant_test": facts.dominant_test,
        "out_of_range_share": facts.out_of_range_share,
        "out_of_range_low": facts.out_of_range_low,
        "out_of_range_high": facts.out_of_range_high,
        "flags": list(facts.flags),
    }


def _segment_dict(segment: DriftSegment) -> dict[str, Any]:
    return {
        "rule": segment.rule,
        "over_represented": segment.over_represented,
        "train_share": segment.train_share,
        "test_share": segment.test_share,
        "lift": segment.lift,
        "lift_ci": list(segment.lift_ci),
        "train_rows": segment.train_rows,
        "test_rows": segment.test_rows,
        "columns": list(segment.columns),
    }


def _segment_search_dict(value: SegmentSearchSummary | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "candidates": value.candidates,
        "search_rows": value.search_rows,
        "measure_rows": value.measure_rows,
    }


def _side_dict(side: SideSummary) -> dict[str, Any]:
    return {
        "rows": side.rows,
        "columns_by_kind": {kind: count for kind, count in side.columns_by_kind},
        "missing_share": side.missing_share,
        "duplicate_rows_share": side.duplicate_rows_share,
    }


def _summary_dict(value: DatasetSummary | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "train": _side_dict(value.train),
        "test": _side_dict(value.test),
        "test_rows_in_train": value.test_rows_in_train,
        "test_rows_in_train_all_columns": value.test_rows_in_train_all_columns,
        "excluded_columns": list(value.excluded_columns),
    }
