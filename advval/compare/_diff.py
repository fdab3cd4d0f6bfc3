"""Diffs of two reports of one kind: what changed, and whether it got worse beyond noise.

:func:`diff_reports` reads two JSON documents (drift, deps, robustness or image
robustness) and lists what changed: the verdict, the headline figures with their 95%
intervals, and the columns, features or attacks whose flags changed. "Worse" is decided
so that noise alone does not trigger it:

- **drift**: the verdict went from no drift to drift; or the AUC rose beyond the two
  reports' intervals (:func:`~advval.compare._intervals.moved_beyond_noise`); or a column
  started drifting or became leak-like (the per-column flags are already decided on
  corrected p-values and an effect floor).
- **deps**: a column started predicting the target almost alone (a leak), or its
  relationship to the others started to shift (both flags are significance-tested). Score
  changes beyond their intervals and the other flags are listed, not counted as worse.
- **robustness** and **image_robustness**: clean or robust accuracy fell beyond the two
  reports' 95% Wilson intervals (the reports give shares of ``n_samples``). Each attack's
  own robust accuracy, attacks added or removed and sanity flags are listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._display import Displayed
from .._version import __version__
from ._checks import DocumentError, entries, interval, kind_of, number, text
from ._intervals import moved_beyond_noise, wilson_interval

#: version of the diff's JSON document
DIFF_SCHEMA_VERSION = 1
#: the report kinds a diff reads
KINDS = ("drift", "deps", "robustness", "image_robustness")
#: what an item's change means for the model or the data
EFFECTS = ("worse", "better", "changed", "same")


@dataclass(frozen=True)
class MetricChange:
    """A figure of both reports, with its intervals.

    Attributes
    ----------
    name : str
        ``"AUC"``, ``"robust accuracy"``, ``"clean accuracy"``, ``"robust accuracy:
        <attack>"``, ``"success rate: <attack>"`` (over the attacked samples).
    old, new : float or None
        The figure in each report (``None``: absent there).
    old_ci, new_ci : (float, float) or None
        Their 95% intervals (``None``: not known).
    effect : {"worse", "better", "changed", "same"}
        ``"same"`` when the difference lies within the intervals (or a side is absent);
        ``"changed"`` when it moved beyond them on a figure that does not decide "worse".
    """

    name: str
    old: float | None
    old_ci: tuple[float, float] | None
    new: float | None
    new_ci: tuple[float, float] | None
    effect: str

    def to_dict(self) -> dict[str, Any]:
        """The figure as a JSON-ready dict."""
        return {
            "name": self.name,
            "old": self.old,
            "old_ci": None if self.old_ci is None else list(self.old_ci),
            "new": self.new,
            "new_ci": None if self.new_ci is None else list(self.new_ci),
            "effect": self.effect,
        }


@dataclass(frozen=True)
class ItemChange:
    """A column, feature, attack or flag whose state changed.

    Attributes
    ----------
    what : {"verdict", "column", "feature", "attack", "flag"}
    name : str
    change : str
        In words: ``"started drifting"``, ``"stopped drifting"``, ``"became leak-like"``,
        ``"newly leaking"``, ``"started shifting"``, ``"added"``, ``"removed"``...
    effect : {"worse", "better", "changed"}
    old, new : float or None
        The figure behind it in each report, where there is one (a column's distance, a
        feature's score, an attack's robust accuracy).
    """

    what: str
    name: str
    change: str
    effect: str
    old: float | None = None
    new: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The change as a JSON-ready dict."""
        return {
            "what": self.what,
            "name": self.name,
            "change": self.change,
            "effect": self.effect,
            "old": self.old,
            "new": self.new,
        }


@dataclass(frozen=True, repr=False)
class ReportDiff(Displayed):
    """What changed from one report to another of the same kind.

    Attributes
    ----------
    kind : {"drift", "deps", "robustness", "image_robustness"}
        The reports' kind.
    old_name, new_name : str or None
        The reports' files, as the caller named them.
    old_verdict, new_verdict : str
        Each report's verdict in a few words.
    metrics : tuple of MetricChange
        The headline figures first, then per attack.
    changes : tuple of ItemChange
        The verdict, then columns / features / attacks / flags whose state changed, in the
        new report's order (removed ones last).
    notes : tuple of str
        Differences of setup that make the comparison weaker (other settings, another
        sample size, another advval version).
    """

    kind: str
    old_name: str | None
    new_name: str | None
    old_verdict: str
    new_verdict: str
    metrics: tuple[MetricChange, ...]
    changes: tuple[ItemChange, ...]
    notes: tuple[str, ...] = ()

    @property
    def worse(self) -> bool:
        """Whether the new report is worse beyond noise (see the module's rule)."""
        return any(m.effect == "worse" for m in self.metrics) or any(
            c.effect == "worse" for c in self.changes
        )

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why it is worse, one phrase each (empty when it is not)."""
        out = [f"{m.name} {_direction(m)}" for m in self.metrics if m.effect == "worse"]
        out += [
            f"{c.name} {c.change}" if c.what != "verdict" else c.change
            for c in self.changes
            if c.effect == "worse"
        ]
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """The diff's JSON document (``kind`` ``"diff"``, the reports' kind in ``compared``)."""
        return {
            "schema_version": DIFF_SCHEMA_VERSION,
            "kind": "diff",
            "advval_version": __version__,
            "compared": self.kind,
            "old": {"name": self.old_name, "verdict": self.old_verdict},
            "new": {"name": self.new_name, "verdict": self.new_verdict},
            "worse": self.worse,
            "reasons": list(self.reasons),
            "metrics": [m.to_dict() for m in self.metrics],
            "changes": [c.to_dict() for c in self.changes],
            "notes": list(self.notes),
        }


def diff_reports(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    old_name: str | None = None,
    new_name: str | None = None,
) -> ReportDiff:
    """Compare two reports of one kind (their JSON documents).

    Parameters
    ----------
    old, new : mapping
        JSON documents of two drift, deps, robustness or image robustness reports (the
        files ``--json`` writes, or ``report.to_dict()``).
    old_name, new_name : str, optional
        Their names (files), shown in the diff and its errors.

    Returns
    -------
    ReportDiff

    Raises
    ------
    DocumentError
        The kinds differ, a kind is not one of these, or a document is malformed; the
        message names the file and key.

    Examples
    --------
    >>> old = {"kind": "drift", "drift": False, "auc": 0.51, "auc_ci": [0.49, 0.53],
    ...        "features": [{"name": "age", "statistic": 0.01, "drift": False}]}
    >>> new = {"kind": "drift", "drift": True, "auc": 0.62, "auc_ci": [0.60, 0.64],
    ...        "features": [{"name": "age", "statistic": 0.2, "drift": True}]}
    >>> diff = diff_reports(old, new)
    >>> diff.worse, diff.reasons
    (True, ('AUC rose', 'drift flagged', 'age started drifting'))
    """
    old_kind, new_kind = kind_of(old, old_name), kind_of(new, new_name)
    for kind, name in ((old_kind, old_name), (new_kind, new_name)):
        if kind not in KINDS:
            raise DocumentError(
                f"is {kind!r}; a diff reads {', '.join(KINDS)} reports", source=name, key="kind"
            )
    if old_kind != new_kind:
        raise DocumentError(
            f"is {new_kind!r} but {old_name or 'the old report'} is {old_kind!r}: a diff "
            "compares two reports of one kind",
            source=new_name,
            key="kind",
        )
    names = (old_name, new_name)
    if old_kind == "drift":
        parts = _drift(old, new, names)
    elif old_kind == "deps":
        parts = _deps(old, new, names)
    else:
        parts = _robustness(old, new, names)
    verdicts, metrics, changes, notes = parts
    version_old, version_new = old.get("advval_version"), new.get("advval_version")
    if version_old and version_new and version_old != version_new:
        notes = (*notes, f"made by advval {version_old} and {version_new}")
    return ReportDiff(
        kind=old_kind,
        old_name=old_name,
        new_name=new_name,
        old_verdict=verdicts[0],
        new_verdict=verdicts[1],
        metrics=tuple(metrics),
        changes=tuple(changes),
        notes=tuple(notes),
    )


_Parts = tuple[tuple[str, str], list[MetricChange], list[ItemChange], tuple[str, ...]]


def _direction(metric: MetricChange) -> str:
    if metric.old is None or metric.new is None:
        return "changed"
    return "rose" if metric.new > metric.old else "fell"


def _effect(moved: int, worse_when: int | None) -> str:
    """``moved`` (+1, -1, 0) as an effect; ``worse_when``: the direction that is worse."""
    if moved == 0:
        return "same"
    if worse_when is None:
        return "changed"
    return "worse" if moved == worse_when else "better"


def _metric(
    name: str,
    old: tuple[float | None, tuple[float, float] | None],
    new: tuple[float | None, tuple[float, float] | None],
    worse_when: int | None,
) -> MetricChange:
    (a, a_ci), (b, b_ci) = old, new
    moved = 0 if a is None or b is None else moved_beyond_noise(a, a_ci, b, b_ci)
    return MetricChange(name, a, a_ci, b, b_ci, _effect(moved, worse_when))


def _flag_changes(
    what: str,
    old: Mapping[str, Mapping[str, Any]],
    new: Mapping[str, Mapping[str, Any]],
    flags: Sequence[tuple[str, str, str, str]],
    value: str | None,
) -> list[ItemChange]:
    """Per name: ``(flag, started, stopped, effect of starting)`` changes, added, removed."""
    out = []

    def figure(item: Mapping[str, Any] | None) -> float | None:
        if item is None or value is None:
            return None
        x = item.get(value)
        return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None

    for name, item in new.items():
        before = old.get(name)
        if before is None:
            bad = [started for flag, started, _, effect in flags
                   if effect == "worse" and item.get(flag)]
            change = f"added, {' and '.join(bad)}" if bad else "added"
            out.append(
                ItemChange(what, name, change, "worse" if bad else "changed", None, figure(item))
            )
            continue
        for flag, started, stopped, effect in flags:
            was, now = bool(before.get(flag)), bool(item.get(flag))
            if was == now:
                continue
            undo = {"worse": "better", "better": "worse"}.get(effect, effect)
            out.append(
                ItemChange(
                    what, name, started if now else stopped, effect if now else undo,
                    figure(before), figure(item),
                )
            )
    out.extend(
        ItemChange(what, name, "removed", "changed", figure(item), None)
        for name, item in old.items()
        if name not in new
    )
    return out


def _by_name(doc: Mapping[str, Any], key: str, source: str | None) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for i, item in enumerate(entries(doc, key, source)):
        out[text(item.get("name"), source=source, key=f"{key}[{i}].name")] = item
    return out


# --------------------------------------------------------------------------- drift


def _drift_verdict(doc: Mapping[str, Any]) -> str:
    return "drift" if doc.get("drift") else "no drift"


def _auc(doc: Mapping[str, Any], source: str | None) -> tuple[float | None, Any]:
    auc = number(doc.get("auc"), source=source, key="auc", low=0.0, high=1.0, optional=True)
    return auc, interval(doc.get("auc_ci"), source=source, key="auc_ci")


def _drift(old: Mapping[str, Any], new: Mapping[str, Any], names: tuple[Any, Any]) -> _Parts:
    metrics = [_metric("AUC", _auc(old, names[0]), _auc(new, names[1]), worse_when=1)]
    changes = []
    was, now = bool(old.get("drift")), bool(new.get("drift"))
    if was != now:
        changes.append(
            ItemChange("verdict", "verdict", "drift flagged" if now else "drift cleared",
                       "worse" if now else "better")
        )
    changes += _flag_changes(
        "column",
        _by_name(old, "features", names[0]),
        _by_name(new, "features", names[1]),
        (
            ("drift", "started drifting", "stopped drifting", "worse"),
            ("leak", "became leak-like", "no longer leak-like", "worse"),
        ),
        "statistic",
    )
    notes = _setting_notes(old, new, ("alpha", "min_effect", "min_distance"))
    for key in ("n_train", "n_test"):
        if old.get(key) != new.get(key):
            notes += (f"{key} {old.get(key)} -> {new.get(key)}",)
    return (_drift_verdict(old), _drift_verdict(new)), metrics, changes, notes


# --------------------------------------------------------------------------- deps


def _shifts(doc: Mapping[str, Any], source: str | None) -> dict[str, Mapping[str, Any]]:
    return _by_name(doc, "shift", source)


def _deps_verdict(doc: Mapping[str, Any]) -> str:
    parts = []
    leaking = doc.get("leaking")
    if leaking:
        parts.append(f"{len(leaking)} leaking")
    shifted = [s for s in doc.get("shift") or () if isinstance(s, Mapping) and s.get("shifted")]
    if shifted:
        parts.append(f"{len(shifted)} shifted")
    for key, word in (("redundant", "redundant"), ("id_like", "ID-like")):
        if doc.get(key):
            parts.append(f"{len(doc[key])} {word}")
    return ", ".join(parts) if parts else "nothing flagged"


def _deps(old: Mapping[str, Any], new: Mapping[str, Any], names: tuple[Any, Any]) -> _Parts:
    old_features = _by_name(old, "features", names[0])
    new_features = _by_name(new, "features", names[1])
    changes = _flag_changes(
        "feature",
        old_features,
        new_features,
        (
            ("leak", "newly leaking", "no longer leaking", "worse"),
            ("significant", "became predictable", "no longer predictable", "changed"),
            ("redundant", "became redundant", "no longer redundant", "changed"),
            ("id_like", "became ID-like", "no longer ID-like", "changed"),
        ),
        "score",
    )
    old_shift, new_shift = _shifts(old, names[0]), _shifts(new, names[1])
    common_shift = {n: s for n, s in new_shift.items() if n in old_shift}
    changes += [
        c
        for c in _flag_changes(
            "feature",
            old_shift,
            common_shift,
            (("shifted", "started shifting", "stopped shifting", "worse"),),
            "drop",
        )
        if c.change != "removed"
    ]
    if not old_shift:  # no comparison before: every shift now is new
        changes += [
            ItemChange("feature", n, "started shifting", "worse", None, _float(s.get("drop")))
            for n, s in new_shift.items()
            if s.get("shifted")
        ]
    for name, item in new_features.items():
        before = old_features.get(name)
        if before is None:
            continue
        moved = moved_beyond_noise(
            _float(before.get("score")) or 0.0,
            interval(before.get("score_ci"), source=names[0], key=f"features.{name}.score_ci"),
            _float(item.get("score")) or 0.0,
            interval(item.get("score_ci"), source=names[1], key=f"features.{name}.score_ci"),
        )
        if moved:
            changes.append(
                ItemChange("feature", name, "score rose" if moved > 0 else "score fell",
                           "changed", _float(before.get("score")), _float(item.get("score")))
            )
    notes: tuple[str, ...] = ()
    if old.get("n_rows") != new.get("n_rows"):
        notes += (f"n_rows {old.get('n_rows')} -> {new.get('n_rows')}",)
    return (_deps_verdict(old), _deps_verdict(new)), [], changes, notes


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


# --------------------------------------------------------------------------- robustness


def _share(doc: Mapping[str, Any], key: str, source: str | None) -> tuple[float | None, Any]:
    value = number(doc.get(key), source=source, key=key, low=0.0, high=1.0, optional=True)
    n = doc.get("n_samples")
    if value is None or not isinstance(n, int) or isinstance(n, bool):
        return value, None
    return value, wilson_interval(value, n)


def _robustness_verdict(doc: Mapping[str, Any]) -> str:
    robust, clean = _float(doc.get("robust_accuracy")), _float(doc.get("clean_accuracy"))
    if robust is None:
        return "no robust accuracy"
    tail = f" (clean {clean:.3f})" if clean is not None else ""
    return f"robust accuracy {robust:.3f}{tail}"


def _robustness(
    old: Mapping[str, Any], new: Mapping[str, Any], names: tuple[Any, Any]
) -> _Parts:
    metrics = [
        _metric(label, _share(old, key, names[0]), _share(new, key, names[1]), worse_when=-1)
        for key, label in (("robust_accuracy", "robust accuracy"),
                           ("clean_accuracy", "clean accuracy"))
    ]
    old_attacks = _by_name(old, "attacks", names[0])
    new_attacks = _by_name(new, "attacks", names[1])
    n_old, n_new = old.get("n_samples"), new.get("n_samples")
    for name, attack in new_attacks.items():
        before = old_attacks.get(name)
        if before is None:
            continue
        for key, label, size in (
            ("robust_accuracy", "robust accuracy", "n_samples"),
            ("success_rate", "success rate", "n_attacked"),
        ):
            a, b = _float(before.get(key)), _float(attack.get(key))
            if a is None and b is None:
                continue
            n_a = n_old if size == "n_samples" else before.get(size)
            n_b = n_new if size == "n_samples" else attack.get(size)
            metrics.append(
                _metric(
                    f"{label}: {name}",
                    (a, _wilson_or_none(a, n_a)),
                    (b, _wilson_or_none(b, n_b)),
                    worse_when=None,
                )
            )
    changes = _flag_changes("attack", old_attacks, new_attacks, (), "robust_accuracy")
    old_flags = {_flag_key(f) for f in entries(old, "flags", names[0])}
    new_flags = {_flag_key(f) for f in entries(new, "flags", names[1])}
    changes += [
        ItemChange("flag", _flag_name(key), "raised", "changed")
        for key in sorted(new_flags - old_flags)
    ]
    changes += [
        ItemChange("flag", _flag_name(key), "cleared", "changed")
        for key in sorted(old_flags - new_flags)
    ]
    notes: tuple[str, ...] = ()
    if n_old != n_new:
        notes += (f"n_samples {n_old} -> {n_new}",)
    for name, attack in new_attacks.items():
        before = old_attacks.get(name)
        if before is not None and (before.get("eps"), before.get("norm")) != (
            attack.get("eps"), attack.get("norm")
        ):
            notes += (
                f"{name} ran at norm {before.get('norm')} eps {before.get('eps')} -> norm "
                f"{attack.get('norm')} eps {attack.get('eps')}",
            )
    return (_robustness_verdict(old), _robustness_verdict(new)), metrics, changes, notes


def _wilson_or_none(share: float | None, n: Any) -> tuple[float, float] | None:
    if share is None or not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        return None
    return wilson_interval(share, n)


def _flag_key(flag: Mapping[str, Any]) -> tuple[str, str]:
    return (str(flag.get("code")), str(flag.get("attack") or ""))


def _flag_name(key: tuple[str, str]) -> str:
    return f"{key[0]} ({key[1]})" if key[1] else key[0]


def _setting_notes(
    old: Mapping[str, Any], new: Mapping[str, Any], keys: Sequence[str]
) -> tuple[str, ...]:
    return tuple(
        f"{key} {old.get(key)} -> {new.get(key)}" for key in keys if old.get(key) != new.get(key)
    )
