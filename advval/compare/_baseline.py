"""Accepted drift: a baseline of the drift a team has looked at and lives with.

A :class:`Baseline` lists the drift accepted from an earlier drift report: the
classifier's AUC, the drifting columns with their distance, and the segments, each with a
tolerance. :func:`apply_baseline` sorts what a new drift report flags into *accepted*,
*new*, *grown* and *resolved*; a gate then fails only on new or grown drift.

The rule, for what the new report flags:

- **AUC** (when the domain classifier flagged drift): *grown* when the lower bound of the
  new AUC's confidence interval exceeds the accepted AUC plus ``auc.tolerance`` (so noise
  alone, which keeps the lower bound below the true AUC 97.5% of the time, does not
  count); *new* when the baseline accepted no AUC (its classifier flagged nothing);
  otherwise *accepted*.
- **Columns** (each column whose ``drift`` flag is set): *new* when the baseline does not
  list it; *grown* when its distance (``statistic``: Kolmogorov-Smirnov ``D`` for numbers,
  total-variation distance for categories, both in [0, 1]) exceeds the accepted one plus
  the column's ``tolerance`` plus the sampling margin of a distance at the new report's
  sizes, ``1.358 * sqrt((n_train + n_test) / (n_train * n_test))`` (the distance two
  samples of one distribution exceed 5% of the time: a fresh sample of the accepted drift
  moves the distance about this much); otherwise *accepted*.
- **Segments** (each region of the report): matched to a baseline segment that
  over-fills the same side and has the same rule, or reads the same set of columns (a
  region's thresholds move a little from one sample to the next): *grown* when the new
  lift's interval lies beyond the accepted lift by more than the segment's relative
  ``tolerance`` (test side: ``lift_ci[0] > lift * (1 + tolerance)``; train side:
  ``lift_ci[1] < lift / (1 + tolerance)``), else *accepted*. A region that matches none
  is *accepted* when every column it reads is an accepted column (that drift, and its
  growth, is judged on the columns), else *new*.
- What the baseline accepted and the new report no longer flags is *resolved*.

New and grown items fail the gate only when they are evidence the report's verdict counts
(``drift_by``: the AUC for ``"classifier"``, columns for ``"columns"``; segments when the
report flags drift at all).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._version import __version__
from ._checks import DocumentError, entries, interval, kind_of, number, read_document, text

#: ``kind`` of a baseline file
BASELINE_KIND = "drift_baseline"
#: version of the baseline file's format (bumped when a key changes meaning)
BASELINE_VERSION = 1
#: how much the AUC's lower bound may exceed the accepted AUC (AUC points)
DEFAULT_AUC_TOLERANCE = 0.02
#: how much a column's distance (KS D or total-variation distance) may grow
DEFAULT_COLUMN_TOLERANCE = 0.05
#: how much further from 1 a segment's lift interval may move, relative to its lift
DEFAULT_LIFT_TOLERANCE = 0.25
#: the asymptotic 5% critical value of the two-sample Kolmogorov-Smirnov statistic
KS_CRITICAL_5 = 1.358
#: statuses of a compared item
STATUSES = ("accepted", "new", "grown", "resolved")
#: the range of each compared measure: an AUC (its lower bound) and a distance lie in
#: [0, 1], a lift in [0, inf); a limit is clipped to it (see :func:`clip_limit`)
RANGES = {"auc": (0.0, 1.0), "column": (0.0, 1.0), "segment": (0.0, math.inf)}
_SIDES = ("test", "train")


@dataclass(frozen=True)
class AcceptedColumn:
    """A drifting column the baseline accepts.

    Attributes
    ----------
    name : str
        Column name as the report gives it.
    statistic : float
        Its accepted distance (KS ``D`` or total-variation distance, in [0, 1]).
    tolerance : float
        How much the distance may grow before it counts as grown.
    """

    name: str
    statistic: float
    tolerance: float = DEFAULT_COLUMN_TOLERANCE


@dataclass(frozen=True)
class AcceptedSegment:
    """A region the baseline accepts one side over-filling.

    Attributes
    ----------
    rule : str
        The region's rule as the report words it.
    over_represented : {"test", "train"}
    lift : float
        Its accepted lift (test share over train share).
    tolerance : float
        How much further from 1 the new lift's interval may move, relative to ``lift``.
    columns : tuple of str
        The columns its rule reads (empty when the report did not say): a region on the
        same columns and side is the same region with other thresholds.
    """

    rule: str
    over_represented: str
    lift: float
    tolerance: float = DEFAULT_LIFT_TOLERANCE
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Baseline:
    """The drift accepted from an earlier drift report, with tolerances.

    Make one with :meth:`from_report`, save it with :meth:`dumps` (a small JSON file meant
    to be edited by hand), read it back with :meth:`load`, and sort a new report's drift
    with :func:`apply_baseline`.

    Attributes
    ----------
    auc : float or None
        The accepted AUC (``None``: the classifier's drift was not accepted, any is new).
    auc_tolerance : float
        How much the new AUC's lower confidence bound may exceed ``auc``.
    columns : tuple of AcceptedColumn
    segments : tuple of AcceptedSegment
    made_from : dict
        Where it came from (``train_name``, ``test_name``, ``advval_version`` of the
        report; free text is fine): shown, not used.
    source : str or None
        The file it was read from (error messages name it).

    Notes
    -----
    The file (``kind`` ``"drift_baseline"``, ``baseline_version`` 1)::

        {"kind": "drift_baseline", "baseline_version": 1,
         "made_from": {"advval_version": "...", "train_name": "...", "test_name": "..."},
         "auc": {"accepted": 0.71, "tolerance": 0.02},
         "columns": [{"name": "age", "statistic": 0.31, "tolerance": 0.05}],
         "segments": [{"rule": "age > 60", "over_represented": "test", "lift": 2.4,
                       "tolerance": 0.25, "columns": ["age"]}]}

    ``auc.accepted`` may be ``null``; a missing ``tolerance`` takes the default. The rule
    applied is in :mod:`advval.compare._baseline` and :func:`apply_baseline`.

    Examples
    --------
    >>> report = {"kind": "drift", "auc": 0.7, "auc_ci": [0.68, 0.72], "drift": True,
    ...           "drift_by": ["classifier", "columns"],
    ...           "features": [{"name": "age", "statistic": 0.3, "drift": True},
    ...                        {"name": "city", "statistic": 0.01, "drift": False}]}
    >>> baseline = Baseline.from_report(report)
    >>> baseline.auc, [c.name for c in baseline.columns]
    (0.7, ['age'])
    >>> Baseline.from_dict(json.loads(baseline.dumps())) == baseline
    True
    """

    auc: float | None
    auc_tolerance: float = DEFAULT_AUC_TOLERANCE
    columns: tuple[AcceptedColumn, ...] = ()
    segments: tuple[AcceptedSegment, ...] = ()
    made_from: dict[str, Any] = field(default_factory=dict)
    source: str | None = field(default=None, compare=False)

    @classmethod
    def from_report(
        cls,
        report: Mapping[str, Any],
        *,
        auc_tolerance: float = DEFAULT_AUC_TOLERANCE,
        column_tolerance: float = DEFAULT_COLUMN_TOLERANCE,
        lift_tolerance: float = DEFAULT_LIFT_TOLERANCE,
        source: str | None = None,
    ) -> Baseline:
        """Accept everything a drift report flags.

        Parameters
        ----------
        report : mapping
            A drift report's JSON document (``DriftReport.to_dict()`` or the file).
        auc_tolerance, column_tolerance, lift_tolerance : float
            The tolerances written for the AUC, every column and every segment.
        source : str, optional
            The report's file, for error messages.

        Returns
        -------
        Baseline
            The AUC when the classifier flagged drift (else ``None``), every column whose
            ``drift`` or ``leak`` flag is set, every segment.
        """
        for value, name in (
            (auc_tolerance, "auc_tolerance"),
            (column_tolerance, "column_tolerance"),
            (lift_tolerance, "lift_tolerance"),
        ):
            number(value, source=None, key=name, low=0.0)
        _check_drift_report(report, source)
        flagged = _classifier_flagged(report)
        auc = number(
            report.get("auc"), source=source, key="auc", low=0.0, high=1.0, optional=True
        )
        columns = tuple(
            AcceptedColumn(f["name"], _statistic(f, source, f"features[{i}]"), column_tolerance)
            for i, f in enumerate(_features(report, source))
            if f.get("drift") or f.get("leak")
        )
        segments = tuple(
            AcceptedSegment(
                rule=s["rule"],
                over_represented=s["over_represented"],
                lift=s["lift"],
                tolerance=lift_tolerance,
                columns=s["columns"],
            )
            for s in _segments(report, source)
        )
        made_from = {
            key: report[key]
            for key in ("advval_version", "train_name", "test_name")
            if report.get(key) is not None
        }
        return cls(
            auc=auc if flagged else None,
            auc_tolerance=auc_tolerance,
            columns=columns,
            segments=segments,
            made_from=made_from,
            source=source,
        )

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], *, source: str | None = None) -> Baseline:
        """A baseline from its JSON document, or from a whole drift report (accepted as is).

        Raises
        ------
        DocumentError
            Wrong ``kind``, unknown ``baseline_version``, or a malformed entry; the
            message names ``source`` and the key.
        """
        kind = kind_of(doc, source)
        if kind == "drift":
            return cls.from_report(doc, source=source)
        if kind != BASELINE_KIND:
            raise DocumentError(
                f"is {kind!r}: a baseline is a drift baseline ('advval baseline accept') "
                "or a drift JSON report",
                source=source,
                key="kind",
            )
        version = doc.get("baseline_version")
        if version != BASELINE_VERSION:
            raise DocumentError(
                f"is {version!r}; this advval ({__version__}) reads version "
                f"{BASELINE_VERSION}",
                source=source,
                key="baseline_version",
            )
        auc_doc = doc.get("auc", {})
        if not isinstance(auc_doc, Mapping):
            raise DocumentError("must be an object", source=source, key="auc")
        auc = number(
            auc_doc.get("accepted"), source=source, key="auc.accepted", low=0.0, high=1.0,
            optional=True,
        )
        auc_tolerance = _tolerance(auc_doc, DEFAULT_AUC_TOLERANCE, source, "auc")
        columns = []
        for i, item in enumerate(entries(doc, "columns", source)):
            key = f"columns[{i}]"
            columns.append(
                AcceptedColumn(
                    name=text(item.get("name"), source=source, key=f"{key}.name"),
                    statistic=_statistic(item, source, key),
                    tolerance=_tolerance(item, DEFAULT_COLUMN_TOLERANCE, source, key),
                )
            )
        _no_repeats([c.name for c in columns], source, "columns")
        segments = [
            _segment(item, source, f"segments[{i}]", DEFAULT_LIFT_TOLERANCE)
            for i, item in enumerate(entries(doc, "segments", source))
        ]
        made_from = doc.get("made_from", {})
        if not isinstance(made_from, Mapping):
            raise DocumentError("must be an object", source=source, key="made_from")
        return cls(
            auc=auc,
            auc_tolerance=auc_tolerance,
            columns=tuple(columns),
            segments=tuple(
                AcceptedSegment(
                    s["rule"], s["over_represented"], s["lift"], s["tolerance"], s["columns"]
                )
                for s in segments
            ),
            made_from=dict(made_from),
            source=source,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Baseline:
        """Read a baseline file (or a drift JSON report, accepted as is).

        Raises
        ------
        DocumentError
            The file is missing, not JSON, or not a valid baseline; the message names it
            and the key.
        """
        name = os.fspath(path)
        return cls.from_dict(read_document(path), source=name)

    def to_dict(self) -> dict[str, Any]:
        """The baseline file's document (see the class's Notes)."""
        return {
            "kind": BASELINE_KIND,
            "baseline_version": BASELINE_VERSION,
            "made_from": dict(self.made_from),
            "auc": {"accepted": self.auc, "tolerance": self.auc_tolerance},
            "columns": [
                {"name": c.name, "statistic": c.statistic, "tolerance": c.tolerance}
                for c in self.columns
            ],
            "segments": [
                {
                    "rule": s.rule,
                    "over_represented": s.over_represented,
                    "lift": s.lift,
                    "tolerance": s.tolerance,
                    "columns": list(s.columns),
                }
                for s in self.segments
            ],
        }

    def dumps(self) -> str:
        """The baseline file's text: indented JSON, keys sorted, ending with a newline."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, allow_nan=False) + "\n"


@dataclass(frozen=True)
class BaselineItem:
    """One piece of drift of the new report (or of the baseline), sorted by the rule.

    Attributes
    ----------
    what : {"auc", "column", "segment"}
    name : str
        ``"AUC"``, the column's name or the segment's rule.
    status : {"accepted", "new", "grown", "resolved"}
    accepted : float or None
        The baseline's value (AUC, distance or lift; ``None`` for new items).
    current : float or None
        The new report's value the rule compared: the AUC's lower bound, the distance, or
        the lift's bound nearest 1 (``None`` for resolved items).
    limit : float or None
        Where "grown" starts: ``accepted`` moved by the tolerance, clipped to the measure's
        range (:data:`RANGES`; a limit at the range's top, ``at_top``, is one the measure
        cannot exceed: that item cannot grow).
    counts : bool
        Whether the item is evidence the new report's verdict counts (only those fail
        the gate).
    side : str or None
        The side a segment over-fills.
    """

    what: str
    name: str
    status: str
    accepted: float | None
    current: float | None
    limit: float | None
    counts: bool
    side: str | None = None

    @property
    def at_top(self) -> bool:
        """Whether the limit is the largest value the measure can take (it cannot grow).

        Examples
        --------
        >>> BaselineItem("auc", "AUC", "accepted", 0.99, 0.99, 1.0, True).at_top
        True
        >>> BaselineItem("column", "a", "accepted", 0.2, 0.2, 0.31, True).at_top
        False
        """
        return self.limit is not None and self.limit >= RANGES[self.what][1]

    def to_dict(self) -> dict[str, Any]:
        """The item as a JSON-ready dict."""
        return {
            "what": self.what,
            "name": self.name,
            "status": self.status,
            "accepted": self.accepted,
            "current": self.current,
            "limit": self.limit,
            "counts": self.counts,
            "side": self.side,
        }


@dataclass(frozen=True)
class BaselineCheck:
    """A new drift report sorted against a :class:`Baseline` (see :func:`apply_baseline`).

    Attributes
    ----------
    source : str or None
        The baseline's file.
    items : tuple of BaselineItem
        The AUC, the columns (report order), the segments, then what was resolved.
    """

    source: str | None
    items: tuple[BaselineItem, ...]

    @property
    def failed(self) -> bool:
        """Whether new or grown drift counts toward the verdict: the gate fails."""
        return any(i.counts and i.status in ("new", "grown") for i in self.items)

    def names(self, status: str, what: str | None = None) -> tuple[str, ...]:
        """Names of the items of one status (and one kind)."""
        return tuple(
            i.name for i in self.items if i.status == status and (what is None or i.what == what)
        )

    def counts(self) -> dict[str, int]:
        """How many items of each status, in :data:`STATUSES` order."""
        return {s: sum(i.status == s for i in self.items) for s in STATUSES}

    def to_dict(self) -> dict[str, Any]:
        """The ``baseline`` key of the drift JSON report."""
        return {
            "source": self.source,
            "failed": self.failed,
            **{status: list(self.names(status)) for status in STATUSES},
            "items": [i.to_dict() for i in self.items],
        }


def apply_baseline(
    baseline: Baseline, report: Mapping[str, Any], *, source: str | None = None
) -> BaselineCheck:
    """Sort what a drift report flags into accepted, new, grown and resolved.

    Parameters
    ----------
    baseline : Baseline
    report : mapping
        The new drift report's JSON document (``DriftReport.to_dict()``, best rounded as
        the JSON file is, so that a rerun compares like with like).
    source : str, optional
        The report's file, for error messages.

    Returns
    -------
    BaselineCheck
        ``failed`` is true when new or grown drift counts toward the report's verdict.

    Raises
    ------
    DocumentError
        The report is not a drift report, or the baseline accepts columns the report does
        not have (gone from the data, or a typo): the message names the baseline's file
        and its key ``columns``.

    Examples
    --------
    >>> old = {"kind": "drift", "auc": 0.7, "auc_ci": [0.68, 0.72], "drift": True,
    ...        "drift_by": ["columns"], "features": [
    ...            {"name": "a", "statistic": 0.3, "drift": True},
    ...            {"name": "b", "statistic": 0.0, "drift": False}]}
    >>> new = {**old, "features": [{"name": "a", "statistic": 0.4, "drift": True},
    ...                            {"name": "b", "statistic": 0.2, "drift": True}]}
    >>> check = apply_baseline(Baseline.from_report(old), new)
    >>> check.names("grown"), check.names("new"), check.failed
    (('a',), ('b',), True)
    """
    _check_drift_report(report, source)
    drift = bool(report.get("drift"))
    by = report.get("drift_by") or ()
    features = _features(report, source)
    present = {f["name"] for f in features} | set(report.get("dropped_columns") or ())
    gone = [c.name for c in baseline.columns if c.name not in present]
    if gone:
        shown = ", ".join(repr(g) for g in gone[:10]) + (" ..." if len(gone) > 10 else "")
        raise DocumentError(
            f"accepts columns the report does not have: {shown} (gone from the data? remove "
            "them from the baseline or accept a new report)",
            source=baseline.source,
            key="columns",
        )
    margin = distance_margin(report.get("n_train"), report.get("n_test"))
    items = []
    if _classifier_flagged(report):
        items.append(_auc_item(baseline, report, source, drift and ("classifier" in by or not by)))
    accepted = {c.name: c for c in baseline.columns}
    flagged = set()
    for i, f in enumerate(features):
        if not f.get("drift"):
            continue
        flagged.add(f["name"])
        statistic = _statistic(f, source, f"features[{i}]")
        items.append(
            _column_item(accepted.get(f["name"]), f["name"], statistic, margin,
                         drift and ("columns" in by or not by))
        )
    matched = set()
    for s in _segments(report, source):
        match = _matching_segment(baseline.segments, s)
        if match is not None:
            matched.add(match)
        covered = bool(s["columns"]) and set(s["columns"]) <= set(accepted)
        items.append(_segment_item(match, s, drift, covered))
    if baseline.auc is not None and not _classifier_flagged(report):
        items.append(BaselineItem("auc", "AUC", "resolved", baseline.auc, None, None, False))
    items.extend(
        BaselineItem("column", c.name, "resolved", c.statistic, None, None, False)
        for c in baseline.columns
        if c.name not in flagged
    )
    items.extend(
        BaselineItem("segment", s.rule, "resolved", s.lift, None, None, False, s.over_represented)
        for s in baseline.segments
        if s not in matched
    )
    return BaselineCheck(baseline.source, tuple(items))


# --------------------------------------------------------------------------- the rule


def _auc_item(
    baseline: Baseline, report: Mapping[str, Any], source: str | None, counts: bool
) -> BaselineItem:
    ci = interval(report.get("auc_ci"), source=source, key="auc_ci")
    auc = number(report.get("auc"), source=source, key="auc", low=0.0, high=1.0)
    lower = ci[0] if ci is not None else auc
    if baseline.auc is None:
        return BaselineItem("auc", "AUC", "new", None, lower, None, counts)
    limit = clip_limit("auc", baseline.auc + baseline.auc_tolerance)
    status = "grown" if lower is not None and lower > limit else "accepted"
    return BaselineItem("auc", "AUC", status, baseline.auc, lower, limit, counts)


def clip_limit(what: str, limit: float) -> float:
    """``limit`` within the range of the measure ``what`` compares (:data:`RANGES`).

    An accepted AUC of 0.99 plus a tolerance of 0.02 would put the limit at 1.01, a value
    no AUC reaches; the limit is 1, and the rule (grown when the measure exceeds the
    limit) decides the same. The tolerances are never negative, so only the top can clip.

    Examples
    --------
    >>> clip_limit("auc", 0.99 + 0.02), clip_limit("column", 0.3), clip_limit("segment", 7.5)
    (1.0, 0.3, 7.5)
    """
    low, high = RANGES[what]
    return min(max(limit, low), high)


def distance_margin(n_train: Any, n_test: Any) -> float:
    """The sampling margin of a distance: ``1.358 * sqrt((n + m) / (n * m))``.

    The 5% critical value of the two-sample Kolmogorov-Smirnov ``D``; 0 when the sizes
    are not known.

    Examples
    --------
    >>> round(distance_margin(1000, 1000), 4), distance_margin(None, 10)
    (0.0607, 0.0)
    """
    sizes = (n_train, n_test)
    if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in sizes):
        return 0.0
    return KS_CRITICAL_5 * math.sqrt((n_train + n_test) / (n_train * n_test))


def _column_item(
    accepted: AcceptedColumn | None, name: str, statistic: float, margin: float, counts: bool
) -> BaselineItem:
    if accepted is None:
        return BaselineItem("column", name, "new", None, statistic, None, counts)
    limit = clip_limit("column", accepted.statistic + accepted.tolerance + margin)
    status = "grown" if statistic > limit else "accepted"
    return BaselineItem("column", name, status, accepted.statistic, statistic, limit, counts)


def _matching_segment(
    accepted: Sequence[AcceptedSegment], segment: Mapping[str, Any]
) -> AcceptedSegment | None:
    side = [a for a in accepted if a.over_represented == segment["over_represented"]]
    for a in side:
        if a.rule == segment["rule"]:
            return a
    columns = set(segment["columns"])
    for a in side:
        if columns and set(a.columns) == columns:
            return a
    return None


def _segment_item(
    accepted: AcceptedSegment | None,
    segment: Mapping[str, Any],
    counts: bool,
    covered: bool,
) -> BaselineItem:
    side = segment["over_represented"]
    low, high = segment["lift_ci"] or (segment["lift"], segment["lift"])
    nearest_one = low if side == "test" else high
    if accepted is None:
        status = "accepted" if covered else "new"
        return BaselineItem(
            "segment", segment["rule"], status, None, nearest_one, None, counts, side
        )
    if side == "test":
        limit = accepted.lift * (1.0 + accepted.tolerance)
        grown = nearest_one > limit
    else:
        limit = accepted.lift / (1.0 + accepted.tolerance)
        grown = nearest_one < limit
    return BaselineItem(
        "segment", segment["rule"], "grown" if grown else "accepted", accepted.lift,
        nearest_one, limit, counts, side,
    )


# --------------------------------------------------------------------------- reading


def _check_drift_report(report: Mapping[str, Any], source: str | None) -> None:
    kind = kind_of(report, source)
    if kind != "drift":
        raise DocumentError(f"is {kind!r}, not a drift report", source=source, key="kind")


def _classifier_flagged(report: Mapping[str, Any]) -> bool:
    """Whether the domain classifier flagged drift (older reports: the verdict)."""
    by = report.get("drift_by")
    if by:
        return "classifier" in by
    return bool(report.get("drift")) and not any(
        f.get("drift") for f in report.get("features") or () if isinstance(f, Mapping)
    )


def _features(report: Mapping[str, Any], source: str | None) -> list[Mapping[str, Any]]:
    features = entries(report, "features", source)
    for i, f in enumerate(features):
        text(f.get("name"), source=source, key=f"features[{i}].name")
    return features


def _statistic(item: Mapping[str, Any], source: str | None, key: str) -> float:
    value = number(item.get("statistic"), source=source, key=f"{key}.statistic", low=0.0,
                   high=1.0)
    assert value is not None
    return value


def _tolerance(item: Mapping[str, Any], default: float, source: str | None, key: str) -> float:
    if "tolerance" not in item:
        return default
    value = number(item["tolerance"], source=source, key=f"{key}.tolerance", low=0.0)
    assert value is not None
    return value


def _segment(
    item: Mapping[str, Any], source: str | None, key: str, default_tolerance: float
) -> dict[str, Any]:
    side = item.get("over_represented")
    if side not in _SIDES:
        raise DocumentError(
            f"must be 'test' or 'train', got {side!r}", source=source,
            key=f"{key}.over_represented",
        )
    columns = item.get("columns") or []
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise DocumentError(
            f"must be a list of column names, got {columns!r}", source=source,
            key=f"{key}.columns",
        )
    lift = number(item.get("lift"), source=source, key=f"{key}.lift", low=0.0)
    if lift == 0.0:
        raise DocumentError("must be above 0, got 0", source=source, key=f"{key}.lift")
    return {
        "rule": text(item.get("rule"), source=source, key=f"{key}.rule"),
        "over_represented": side,
        "lift": lift,
        "lift_ci": interval(item.get("lift_ci"), source=source, key=f"{key}.lift_ci"),
        "tolerance": _tolerance(item, default_tolerance, source, key),
        "columns": tuple(columns),
    }


def _segments(report: Mapping[str, Any], source: str | None) -> list[dict[str, Any]]:
    return [
        _segment(item, source, f"segments[{i}]", DEFAULT_LIFT_TOLERANCE)
        for i, item in enumerate(entries(report, "segments", source))
    ]


def _no_repeats(names: Sequence[str], source: str | None, key: str) -> None:
    seen = set()
    for i, name in enumerate(names):
        if name in seen:
            raise DocumentError(
                f"names {name!r} twice; keep one entry", source=source, key=f"{key}[{i}].name"
            )
        seen.add(name)
