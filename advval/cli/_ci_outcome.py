"""What a CI system is told about one report: checks, annotations and a Markdown summary.

Each report kind (drift, deps, robustness, image robustness) becomes one :class:`Outcome`,
the data that :mod:`advval.cli._ci` prints as GitHub workflow commands and job summary
and :mod:`advval.cli._junit` writes as a JUnit test report. Nothing here computes a
statistic: every number comes from the report.

A :class:`Check` fails when the report flags something (drift, a column's finding, an
attack's sanity flag, robust accuracy under ``--fail-under``); whether the job fails is
the exit status (the gate options), recorded as :attr:`Outcome.failed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from advval.report._absent import absent_sides
from advval.report._importance import importance_floor, shown_importance
from advval.report._markdown import (
    display_name,
    format_fixed,
    format_number,
    format_p,
    md_escape,
    p_clause,
    verdict_line,
)
from advval.report._segments_text import one_side_text

#: annotations of one kind listed in one message before "and N more"
MAX_NAMES = 10
#: rows of the job summary's tables
SUMMARY_ROWS = 5
#: sanity flags printed as separate annotations (GitHub shows 10 of a kind per step)
MAX_FLAG_ANNOTATIONS = 5


@dataclass(frozen=True)
class Check:
    """One JUnit testcase: what was checked, and the finding when it failed.

    Attributes
    ----------
    name : str
        What was checked (``verdict``, ``column income``, ``attack PGD``).
    group : str
        The JUnit ``classname`` (``advval.drift.columns``).
    failure : str or None
        The finding, one line; ``None`` when the check passed.
    kind : str
        The JUnit failure ``type`` (``drift``, ``leak``, ``sanity``).
    detail : str
        Text of the testcase's ``system-out`` (the numbers behind it).
    """

    name: str
    group: str
    failure: str | None = None
    kind: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Annotation:
    """One file-less GitHub annotation (``::warning title=...::message``)."""

    level: str
    title: str
    message: str


@dataclass(frozen=True)
class Outcome:
    """Everything a CI system is told about one report.

    Attributes
    ----------
    command : str
        ``drift``, ``deps``, ``attack`` or ``image evaluate``.
    verdict : str
        The one-line verdict the terminal prints.
    failed : bool
        Whether the gate failed (the command exits with status 1).
    gate : str
        The gate that applied, in words (``--fail-on-drift``), or ``""`` for none.
    checks : tuple of Check
    annotations : tuple of Annotation
    summary : tuple of str
        Markdown lines of the job summary (without the outputs' list).
    properties : tuple of (str, str)
        Key numbers, for the JUnit ``properties``.
    """

    command: str
    verdict: str
    failed: bool
    gate: str
    checks: tuple[Check, ...]
    annotations: tuple[Annotation, ...]
    summary: tuple[str, ...]
    properties: tuple[tuple[str, str], ...]


def outcome(report: Any, *, failed: bool, gate: str = "",
            fail_on: Sequence[str] = (), fail_under: float | None = None) -> Outcome:
    """The :class:`Outcome` of any report kind a command writes.

    Parameters
    ----------
    report : DriftReport, DependencyReport, RobustnessReport or ImageRobustnessReport
    failed : bool
        Whether the command's gate failed (it exits with status 1).
    gate : str
        The gate option as given (``--fail-on-drift``), ``""`` for none.
    fail_on : sequence of str
        ``deps``: the findings named by ``--fail-on``.
    fail_under : float, optional
        ``attack`` and ``image evaluate``: the ``--fail-under`` threshold.

    Examples
    --------
    >>> from advval.report import DependencyReport
    >>> result = outcome(DependencyReport(10, 2, (), (), None, (), (), (), {}, "0"),
    ...                  failed=False)
    >>> result.command, result.annotations[0].level
    ('deps', 'notice')
    """
    kind = getattr(report, "kind", None)
    if kind == "drift":
        return _drift(report, failed=failed, gate=gate)
    if kind == "deps":
        return _deps(report, failed=failed, gate=gate, fail_on=fail_on)
    if kind == "robustness":
        return _robustness(report, "attack", failed=failed, gate=gate, fail_under=fail_under)
    if hasattr(report, "robustness"):
        return _robustness(report.robustness, "image evaluate", failed=failed, gate=gate,
                           fail_under=fail_under)
    raise TypeError(f"no CI outcome for a report of type {type(report).__name__}")


def names_text(names: Sequence[str], limit: int = MAX_NAMES) -> str:
    """Names for one line: as reports show them, ``and N more`` past ``limit``.

    Examples
    --------
    >>> names_text(["a", "b c", "x\\ny"], limit=2)
    'a, b c and 1 more'
    """
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _level(failed: bool, flagged: bool) -> str:
    return "error" if failed else "warning" if flagged else "notice"


def _gate_line(failed: bool, gate: str) -> str:
    if not gate:
        return "No gate option was given: the findings are reported, the step passes."
    if failed:
        return f"**Gate failed**: `{gate}`; the step exits with status 1."
    return f"Gate `{gate}` passed."


def _heading(command: str, level: str, text: str) -> str:
    icon = {"error": ":x:", "warning": ":warning:", "notice": ":white_check_mark:"}[level]
    return f"### {icon} advval {command}: {md_escape(text)}"


# --------------------------------------------------------------------------- drift


def _column_problems(feature: Any) -> list[str]:
    problems = []
    if feature.drift:
        problems.append("drift")
    if feature.leak:
        problems.append("leak-like (alone separates the sides)")
    return problems


def _distance(feature: Any) -> str:
    """``KS D 0.310`` (numeric) or ``TV distance 0.120`` (categories): the column's distance."""
    label = "KS D" if feature.test == "ks" else "TV distance"
    return f"{label} {format_fixed(feature.statistic)}"


def _drift(report: Any, *, failed: bool, gate: str) -> Outcome:
    verdict = verdict_line(report)
    from advval.report._baseline_text import gate_verdict

    check = getattr(report, "baseline", None)
    headline = gate_verdict(check, report.drift) or (
        "drift detected" if report.drift else "no drift"
    )
    level = _level(failed, report.drift)
    # with a baseline, a finding it accepts is not a failed testcase (the gate passes it)
    accepted_columns = set() if check is None else set(check.names("accepted", "column"))
    verdict_failed = report.drift and (check is None or check.failed)
    checks = [Check("verdict", "advval.drift", verdict if verdict_failed else None, "drift",
                    "" if verdict_failed else f"{headline}: {verdict}")]
    floor = importance_floor(report.features)
    absent = absent_sides(report)
    for feature in report.features:
        shown = shown_importance(feature.importance, floor)
        test = absent.get(feature.name) or f"{_distance(feature)}, {p_clause(feature.p_value)}"
        numbers = f"importance {format_number(shown)}, {test}"
        problems = _column_problems(feature)
        found = f"{'; '.join(problems)}: {numbers}"
        accepted_here = bool(problems) and feature.name in accepted_columns
        checks.append(Check(
            f"column {display_name(feature.name)}", "advval.drift.columns",
            found if problems and not accepted_here else None,
            "drift" if feature.drift else "leak",
            f"accepted by the baseline: {found}" if accepted_here else numbers,
        ))
    accepted = _baseline_text(report)
    annotations = [Annotation(level, f"advval drift: {headline}",
                              f"{verdict}; {accepted}" if accepted else verdict)]
    drifting = [f for f in report.features if f.drift]
    if drifting:
        listed = names_text([
            f"{display_name(f.name)} ({_distance(f)}, {p_clause(f.p_value)})"
            for f in drifting])
        annotations.append(Annotation(
            "warning", "advval drift: drifting columns",
            f"{len(drifting)} column{'s' if len(drifting) != 1 else ''} drift: {listed}"))
    if report.leaks:
        annotations.append(Annotation(
            "warning", "advval drift: leak-like columns",
            "these columns alone separate TRAIN from TEST: "
            + names_text([display_name(n) for n in report.leaks])))
    low, high = report.auc_ci
    summary = [
        _heading("drift", level, headline),
        "",
        md_escape(verdict),
        "",
        _gate_line(failed, gate),
        "",
        *([md_escape(accepted) + ".", ""] if accepted else []),
        *_drift_table(report),
        *_segment_lines(report),
    ]
    properties = (
        ("auc", repr(float(report.auc))),
        ("auc_ci_low", repr(float(low))),
        ("auc_ci_high", repr(float(high))),
        ("p_value", repr(float(report.p_value))),
        ("drift", str(bool(report.drift)).lower()),
        ("n_train", str(report.n_train)),
        ("n_test", str(report.n_test)),
    )
    return Outcome("drift", verdict, failed, gate, tuple(checks), tuple(annotations),
                   tuple(summary), properties)


def _baseline_text(report: Any) -> str:
    """The accepted-drift baseline's line (``--baseline``), ``""`` without one."""
    check = getattr(report, "baseline", None)
    if check is None:
        return ""
    from advval.report._baseline_text import baseline_line

    return baseline_line(check)


def _drift_table(report: Any) -> list[str]:
    if not report.features:
        return []
    lines = [
        f"Top columns (of {len(report.features)}, by importance):",
        "",
        "| column | importance | distance | p-value | flagged |",
        "|---|---:|---:|---:|---|",
    ]
    floor = importance_floor(report.features)
    absent = absent_sides(report)
    for feature in report.features[:SUMMARY_ROWS]:
        flagged = ", ".join(p.split(" ")[0] for p in _column_problems(feature)) or "-"
        shown = format_number(shown_importance(feature.importance, floor))
        test = (
            f"{absent[feature.name]} | n/a"
            if feature.name in absent
            else f"{format_fixed(feature.statistic)} | {format_p(feature.p_value)}"
        )
        lines.append(f"| {md_escape(display_name(feature.name))} | {shown} | {test} | {flagged} |")
    return [*lines, ""]


def _segment_lines(report: Any) -> list[str]:
    segments = getattr(report, "segments", ())
    if not segments:
        return []
    lines = ["Regions one side over-fills:", ""]
    for segment in segments[:3]:
        low, high = segment.lift_ci
        lift = one_side_text(segment) or (
            f"lift {format_number(segment.lift)} [{format_number(low)}, {format_number(high)}]"
        )
        lines.append(
            f"- {md_escape(segment.rule)}: {format_fixed(segment.test_share)} of TEST vs "
            f"{format_fixed(segment.train_share)} of TRAIN ({lift})"
        )
    return [*lines, ""]


# --------------------------------------------------------------------------- deps


#: finding -> how a column shows it, in the order reported
_DEPS_FINDINGS = ("leak", "shift", "redundant", "id-like")


def _deps_findings(report: Any) -> dict[str, list[str]]:
    """Finding -> the columns that have it."""
    return {
        "leak": list(report.leaking or ()),
        "shift": list(report.shifted),
        "redundant": list(report.redundant),
        "id-like": list(report.id_like),
    }


def _deps(report: Any, *, failed: bool, gate: str, fail_on: Sequence[str]) -> Outcome:
    from advval.report._dependency import score_text, summary_line

    verdict = summary_line(report)
    findings = _deps_findings(report)
    by_column: dict[str, list[str]] = {}
    for finding in _DEPS_FINDINGS:
        for name in findings[finding]:
            by_column.setdefault(name, []).append(finding)
    flagged = any(findings.values())
    level = _level(failed, flagged)
    checks = [Check("verdict", "advval.deps",
                    verdict if flagged else None, "findings", "" if flagged else verdict)]
    for feature in report.features:
        found = by_column.get(feature.name, [])
        numbers = f"score {score_text(feature)}, {p_clause(feature.p_value)}"
        checks.append(Check(
            f"column {display_name(feature.name)}", "advval.deps.columns",
            f"{', '.join(found)}: {numbers}" if found else None,
            found[0] if found else "", numbers,
        ))
    annotations = [Annotation(level, f"advval deps: {_deps_headline(findings)}", verdict)]
    for finding in _DEPS_FINDINGS:
        names = findings[finding]
        if names:
            gated = finding in fail_on
            annotations.append(Annotation(
                "error" if gated and failed else "warning",
                f"advval deps: {finding} columns",
                f"{len(names)} {finding} column{'s' if len(names) != 1 else ''}: "
                + names_text([display_name(n) for n in names])))
    summary = [
        _heading("deps", level, _deps_headline(findings)),
        "",
        md_escape(verdict),
        "",
        _gate_line(failed, gate),
        "",
        *_deps_table(report, by_column),
    ]
    properties = (
        ("n_rows", str(report.n_rows)),
        ("n_features", str(report.n_features)),
        *((f"{finding}_columns", str(len(findings[finding]))) for finding in _DEPS_FINDINGS),
    )
    return Outcome("deps", verdict, failed, gate, tuple(checks), tuple(annotations),
                   tuple(summary), properties)


def _deps_headline(findings: dict[str, list[str]]) -> str:
    counts = [f"{len(names)} {finding}" for finding, names in findings.items() if names]
    return ", ".join(counts) if counts else "no finding"


def _deps_table(report: Any, by_column: dict[str, list[str]]) -> list[str]:
    from advval.report._dependency import score_text

    if not report.features:
        return []
    lines = [
        f"Most predictable columns (of {len(report.features)}; score 0: unpredictable, 1: "
        "determined, with its 95% interval):",
        "",
        "| column | score | explained by | findings |",
        "|---|---|---|---|",
    ]
    for feature in report.features[:SUMMARY_ROWS]:
        lines.append(
            f"| {md_escape(display_name(feature.name))} | {score_text(feature)} | "
            f"{md_escape(', '.join(display_name(n) for n in feature.top_features)) or '-'} | "
            f"{', '.join(by_column.get(feature.name, [])) or '-'} |"
        )
    return [*lines, ""]


# --------------------------------------------------------------------------- robustness


def _robustness(report: Any, command: str, *, failed: bool, gate: str,
                fail_under: float | None) -> Outcome:
    from advval.report._robustness_html import summary_line

    verdict = summary_line(report)
    if command != "attack":
        verdict = "image " + verdict
    accuracy = (f"robust accuracy {format_fixed(report.robust_accuracy)} "
                f"({format_count_of(report)}), clean accuracy "
                f"{format_fixed(report.clean_accuracy)}")
    checks = []
    if fail_under is not None:
        below = report.robust_accuracy < fail_under
        checks.append(Check(
            f"robust accuracy >= {format_number(fail_under, 6)}", f"advval.{_group(command)}",
            f"{accuracy}: below --fail-under {format_number(fail_under, 6)}" if below else None,
            "robustness", accuracy,
        ))
    by_attack: dict[str | None, list[Any]] = {}
    for flag in report.flags:
        by_attack.setdefault(flag.attack, []).append(flag)
    for result in report.attacks:
        flags = by_attack.pop(result.name, []) or by_attack.pop(result.attack, [])
        numbers = (f"robust accuracy {format_fixed(result.robust_accuracy)}, fooled "
                   f"{result.n_fooled} of {result.n_attacked} attacked")
        checks.append(Check(
            f"attack {result.name}", f"advval.{_group(command)}.attacks",
            "; ".join(f"{f.code}: {f.message}" for f in flags) if flags else None,
            "sanity", numbers,
        ))
    model_flags = [flag for flags in by_attack.values() for flag in flags]  # the rest
    checks.append(Check(
        "model sanity", f"advval.{_group(command)}",
        "; ".join(f"{f.code}: {f.message}" for f in model_flags) if model_flags else None,
        "sanity",
    ))
    level = _level(failed, bool(report.flags))
    headline = f"robust accuracy {format_fixed(report.robust_accuracy)}"
    message = verdict if not failed else (
        f"{accuracy}: below --fail-under {format_number(fail_under, 6)}")
    annotations = [Annotation(level, f"advval {command}: {headline}", message)]
    for flag in report.flags[:MAX_FLAG_ANNOTATIONS]:
        where = f" ({flag.attack})" if flag.attack else ""
        annotations.append(Annotation(
            "warning", f"advval {command}: sanity flag {flag.code}{where}", flag.message))
    summary = [
        _heading(command, level, headline),
        "",
        md_escape(verdict),
        "",
        _gate_line(failed, gate),
        "",
        f"{md_escape(accuracy.capitalize())}.",
        "",
        *_attack_table(report),
    ]
    properties = (
        ("clean_accuracy", repr(float(report.clean_accuracy))),
        ("robust_accuracy", repr(float(report.robust_accuracy))),
        ("n_samples", str(report.n_samples)),
        ("sanity_flags", str(len(report.flags))),
    )
    return Outcome(command, verdict, failed, gate, tuple(checks), tuple(annotations),
                   tuple(summary), properties)


def format_count_of(report: Any) -> str:
    """``17 of 40 rows robust``: the counts behind the robust accuracy."""
    robust = round(report.robust_accuracy * report.n_samples)
    return f"{robust} of {report.n_samples} samples robust"


def _group(command: str) -> str:
    return command.replace(" ", ".")


def _attack_table(report: Any) -> list[str]:
    if not report.attacks:
        return []
    lines = [
        "| attack | eps | robust accuracy | fooled / attacked |",
        "|---|---:|---:|---:|",
    ]
    ranked = sorted(report.attacks, key=lambda a: a.robust_accuracy)
    for result in ranked[:SUMMARY_ROWS]:
        eps = "-" if result.eps is None else format_number(result.eps)
        lines.append(
            f"| {md_escape(result.name)} | {eps} | {format_fixed(result.robust_accuracy)} | "
            f"{result.n_fooled} / {result.n_attacked} |"
        )
    return [*lines, ""]
