"""Summarise a fitted FeatureDependencyChecker as a DependencyReport.

The checker owns its models and scores, so the summary of them lives here, next to it;
:mod:`advval.report` only renders the result. The report is bounded in size: one row per
column, no per-row payloads, and at most ``MATRIX_MAX_FEATURES`` rows and columns of the
dependency matrix (the heatmap's part).
"""

from __future__ import annotations

import math
from typing import Any

from sklearn.utils.validation import check_is_fitted

from .._version import __version__
from ..results import DependencyReport, DependencyShift, FeatureDependency

#: rows (and columns) of the dependency matrix kept in a report (the heatmap's size)
MATRIX_MAX_FEATURES = 40


def _float(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _settings(checker: Any) -> dict[str, Any]:
    seed = checker.random_state
    estimator = checker.estimator
    return {
        "estimator": "default" if estimator is None else type(estimator).__name__,
        "n_splits": checker.n_splits,
        "n_permutations": checker.n_permutations,
        "alpha": checker.alpha,
        "correction": checker.correction,
        "leak_threshold": checker.leak_threshold,
        "redundancy_threshold": checker.redundancy_threshold,
        "random_state": seed if seed is None or isinstance(seed, int) else str(seed),
    }


def _shares(matrix: Any, name: Any, top: Any) -> tuple[float, ...]:
    """The part of ``name``'s score each of its top features carries."""
    if matrix is None or name not in matrix.index:
        return ()
    return tuple(_float(matrix.loc[name, c]) for c in top if c in matrix.columns)


def _heatmap(
    matrix: Any, rows_by_score: list[str], limit: int
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[float, ...], ...]]:
    """The heatmap's part of the dependency matrix: top rows by score, top explainers."""
    if matrix is None or not rows_by_score or limit < 1:
        return (), (), ()
    rows = rows_by_score[:limit]
    values = matrix.loc[rows].to_numpy(dtype=float)
    totals = values.sum(axis=0)
    order = sorted(range(len(matrix.columns)), key=lambda k: (-totals[k], k))[:limit]
    columns = tuple(str(matrix.columns[k]) for k in order)
    cells = tuple(tuple(float(values[i, k]) for k in order) for i in range(len(rows)))
    return tuple(rows), columns, cells


def summarize(
    checker: Any,
    shift: Any = None,
    *,
    n_rows: int | None = None,
    settings: dict[str, Any] | None = None,
    matrix_features: int = MATRIX_MAX_FEATURES,
) -> DependencyReport:
    """Summarise a fitted :class:`~advval.FeatureDependencyChecker` as a :class:`DependencyReport`.

    ``advval.report.build_dependency_report`` is this function under its older name;
    render the result with :mod:`advval.report` (``render_json``,
    ``render_dependency_markdown``, ``render_dependency_html``, ``write_report``).

    Parameters
    ----------
    checker : FeatureDependencyChecker
        Fitted (``fit`` was called, with or without ``y``).
    shift : DataFrame or None, default=None
        The result of ``checker.dependency_shift(X_train, X_test)`` (index: column).
    n_rows : int, optional
        Rows of the data; default: the most rows any column was observed on.
    settings : dict, optional
        Extra settings to record (merged over the checker's).
    matrix_features : int, default=40
        Rows and columns of the dependency matrix kept for the heatmap: the most
        predictable columns, and the columns that explain them most.

    Returns
    -------
    DependencyReport

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from advval import FeatureDependencyChecker
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=300)
    >>> X = pd.DataFrame({"a": a, "b": 2 * a + rng.normal(0, 0.05, 300),
    ...                   "c": rng.normal(size=300)})
    >>> checker = FeatureDependencyChecker(random_state=0, n_jobs=1).fit(X)
    >>> report = summarize(checker)
    >>> report.n_rows, [f.name for f in report.features][2], report.compared
    (300, 'c', False)
    """
    check_is_fitted(checker, "scores_")
    scores = checker.scores_
    has_target = "leak" in scores.columns
    matrix_all = getattr(checker, "dependency_matrix_", None)
    row_order = {str(c) for c in getattr(checker, "row_order_features_", ())}
    rows = []
    for position, (name, row) in enumerate(scores.iterrows()):
        score = _float(row["score"])
        feature = FeatureDependency(
            name=str(name),
            kind=str(row["kind"]),
            score=score,
            p_value=_float(row["p_value_adjusted"]),
            significant=bool(row["significant"]),
            redundant=bool(row["redundant"]),
            leak=bool(row["leak"]) if has_target else None,
            id_like=bool(row["id_like"]),
            top_features=tuple(str(c) for c in row["top_features"]),
            metric_name=str(row.get("metric_name", "")),
            metric=_float(row.get("metric")),
            baseline=_float(row.get("baseline")),
            row_order=str(name) in row_order,
            target_score=_float(row["target_score"]) if has_target else None,
            score_low=_float(row.get("score_low")),
            score_high=_float(row.get("score_high")),
            top_shares=_shares(matrix_all, name, row["top_features"]),
        )
        rows.append((-(score if math.isfinite(score) else -1.0), position, feature))
    features = tuple(f for _, _, f in sorted(rows, key=lambda r: (r[0], r[1])))

    shift_rows: tuple[DependencyShift, ...] = ()
    if shift is not None:
        apart = shift.attrs.get("formats_apart", {})
        shift_rows = tuple(
            DependencyShift(
                name=str(name),
                train_score=_float(row["train_score"]),
                test_score=_float(row["test_score"]),
                drop=_float(row["drop"]),
                p_value=_float(row["p_value_adjusted"]),
                shifted=bool(row["shifted"]),
                marginal_p_value=_float(row["marginal_p_value"]),
                formats_apart=tuple(apart[name]) if name in apart else None,
            )
            for name, row in shift.iterrows()
        )
    if n_rows is None:
        n_rows = int(scores["n_rows"].max()) if len(scores) else 0
    matrix_rows, matrix_columns, matrix = _heatmap(
        getattr(checker, "dependency_matrix_", None),
        [f.name for f in features],
        matrix_features,
    )
    return DependencyReport(
        n_rows=int(n_rows),
        n_features=len(scores),
        features=features,
        redundant=tuple(str(c) for c in checker.redundant_features_),
        leaking=tuple(str(c) for c in checker.leaking_features_) if has_target else None,
        id_like=tuple(str(c) for c in checker.id_like_features_),
        timestamp_like=tuple(str(c) for c in getattr(checker, "timestamp_like_features_", ())),
        near_duplicates=tuple((str(a), str(b)) for a, b in checker.near_duplicates_),
        shift=shift_rows,
        settings={**_settings(checker), **(settings or {})},
        advval_version=__version__,
        compared=shift is not None,
        row_order_score=_float(getattr(checker, "row_order_score_", math.nan)),
        row_order=tuple(str(c) for c in getattr(checker, "row_order_features_", ())),
        dropped=tuple(str(c) for c in getattr(checker, "dropped_features_", ())),
        matrix_rows=matrix_rows,
        matrix_columns=matrix_columns,
        matrix=matrix,
    )
