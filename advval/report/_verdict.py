"""The sentences that explain a drift verdict: which evidence decided it, and by which rule.

Every format (the command line's one line, Markdown, HTML) says the same thing from these
functions: the verdict is drift when the classifier flags it (significant, and the AUC's
lower bound above the effect floor) or when a column does (significant after the
multiple-testing correction, and its distance above the column floor), with ``alpha``
split between the two kinds of evidence. A verdict of "no drift" next to a small p-value
says which floor held it back, and where the classifier's p-value and interval seem to
disagree (one from the forward-chained folds, the other from every row) a sentence says why.
"""

from __future__ import annotations

from ..results import DriftReport, FeatureDrift
from ._markdown import format_fixed, format_number, p_clause, plain_names

#: flagged columns a sentence names (the largest distances first)
NAMED_COLUMNS = 3


def classifier_p(report: DriftReport) -> float:
    """The classifier's p-value (adjusted for the split of alpha where the report says so)."""
    return report.p_value if report.classifier_p_value is None else report.classifier_p_value


def classifier_flags(report: DriftReport) -> bool:
    """Whether the classifier's evidence flagged drift."""
    if report.drift_by:
        return "classifier" in report.drift_by
    return report.drift and not columns_flag(report)


def columns_flag(report: DriftReport) -> bool:
    """Whether the per-column tests flagged drift (and count toward the verdict)."""
    return "columns" in report.drift_by


def _small_columns(report: DriftReport) -> list[FeatureDrift]:
    """Columns significant after correction but under the column floor."""
    if report.min_distance is None or not report.columns_count:
        return []
    return [f for f in report.features if f.p_value < report.alpha and not f.drift]


def _by_distance(features: list[FeatureDrift]) -> list[FeatureDrift]:
    return sorted(features, key=lambda f: -f.statistic)


def distance_text(feature: FeatureDrift) -> str:
    """``"KS D 0.120"`` or ``"TV 0.081"``: a column's distance between the sides."""
    name = {"ks": "KS D", "chi2": "TV"}.get(feature.test, feature.test)
    return f"{name} {format_fixed(feature.statistic)}"


def _column_list(features: list[FeatureDrift]) -> str:
    shown = _by_distance(features)[:NAMED_COLUMNS]
    text = ", ".join(f"{plain_names([f.name])} ({distance_text(f)})" for f in shown)
    more = len(features) - len(shown)
    return text + (f" and {more} more" if more > 0 else "")


def reason(report: DriftReport) -> str:
    """Which evidence decided the verdict, in one sentence (no final period).

    ``"flagged by the classifier tells ..."`` is avoided: a flagged verdict reads "flagged
    by the classifier ... ; and by 2 columns changed on their own: 'a' (KS D 0.120), ...",
    a verdict of no drift names what was significant and the floor that held it back.
    """
    floor = format_fixed(0.5 + report.min_effect)
    low = format_fixed(report.auc_ci[0])
    p = p_clause(classifier_p(report))
    alpha = format_number(report.alpha)
    flagged = [f for f in report.features if f.drift]
    who = "the classifier" if not report.drift else "the classifier alone"
    if classifier_p(report) < report.alpha:
        classifier_alone = (
            f"{who}'s difference is significant ({p} < alpha {alpha}) but under the "
            f"effect floor: the AUC's lower bound {low} does not exceed {floor}"
        )
    else:
        classifier_alone = f"{who} finds no significant difference ({p})"
    if report.drift:
        parts = []
        if classifier_flags(report):
            parts.append(
                f"the classifier tells the sides apart ({p} < alpha {alpha}, and the AUC's "
                f"lower bound {low} exceeds {floor})"
            )
        if columns_flag(report):
            n = len(flagged)
            parts.append(
                f"{n} column{'s' if n != 1 else ''} changed on {'their' if n != 1 else 'its'} "
                f"own: {_column_list(flagged)}"
            )
        if not classifier_flags(report):
            return "; ".join([*parts, classifier_alone])
        return "; and ".join(parts)
    parts = [classifier_alone]
    small = _small_columns(report)
    if small:
        n = len(small)
        parts.append(
            f"{n} column{'s' if n != 1 else ''} differ{'' if n != 1 else 's'} significantly "
            f"but by less than the column floor min_distance "
            f"{format_number(report.min_distance)}: {_column_list(small)}"
        )
    elif report.min_distance is not None and report.columns_count:
        parts.append("no column differs significantly on its own")
    return "; ".join(parts)


def disagreement(report: DriftReport) -> str:
    """Why the classifier's p-value and interval seem to disagree, or ``""`` when they agree.

    The p-value comes from the forward-chained folds (each scored by a model trained on
    the folds before it), the interval from every row's out-of-fold score widened for
    cross-fitting; near 0.5 one can exclude "no difference" while the other does not.
    """
    significant = classifier_p(report) < report.alpha
    excludes_half = report.auc_ci[0] > 0.5
    if significant == excludes_half:
        return ""
    return (
        "The classifier's p-value and interval disagree near 0.5 because they read "
        "different rows: the p-value comes from the forward-chained folds (each scored by "
        "a model trained only on the folds before it), the interval from every row, widened "
        "for cross-fitting; the verdict needs both."
    )


def rule(report: DriftReport) -> str:
    """The verdict's rule with this report's numbers, in one or two sentences."""
    alpha = format_number(report.alpha)
    classifier = (
        f"by the classifier when its p-value is below alpha ({alpha}) and its AUC's lower "
        f"bound exceeds {format_number(0.5 + report.min_effect)} (0.5 + min_effect "
        f"{format_number(report.min_effect)})"
    )
    if report.min_distance is None:
        return f"Drift is flagged {classifier}."
    if not report.columns_count:
        correction = report.settings.get("correction", "")
        return (
            f"Drift is flagged {classifier}. Columns are flagged when their adjusted p-value "
            f"is below alpha and their distance exceeds min_distance "
            f"{format_number(report.min_distance)}, but with the correction {correction!s} "
            f"they do not count toward the verdict."
        )
    return (
        f"Drift is flagged {classifier}, or by a column when its adjusted p-value is below "
        f"alpha and its distance (KS D, or total-variation distance for categories) exceeds "
        f"min_distance {format_number(report.min_distance)}. alpha is split between the "
        f"two kinds of evidence (each p-value shown is doubled), so the chance of a false "
        f"verdict stays below alpha."
    )
