"""Dependency results as data (``advval deps``): what a fitted checker found, summarised.

A :class:`DependencyReport` holds what a fitted
:class:`~advval.FeatureDependencyChecker` found (and optionally its
:meth:`~advval.FeatureDependencyChecker.dependency_shift` table), already summarised:
one row per column, no per-row payloads, and a bounded part of the dependency matrix
(the heatmap's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .._display import Displayed
from ._json import SCHEMA_VERSION

__all__ = ["DependencyReport", "DependencyShift", "FeatureDependency"]


@dataclass(frozen=True)
class FeatureDependency:
    """How well one column is predicted by the others.

    Attributes
    ----------
    name : str
    kind : {"numeric", "categorical", "boolean", "datetime"}
    score : float
        Normalised out-of-fold score in [0, 1] (0: no better than guessing).
    score_low, score_high : float
        The score's 95% interval (NaN when undefined).
    p_value : float
        Chance-test p-value after the multiple-testing correction.
    significant, redundant, id_like : bool
    leak : bool or None
        The column alone predicts the target almost perfectly; ``None`` without a target.
    top_features : tuple of str
        Up to three columns that explain it, largest share first.
    metric_name : {"r2", "auc", ""}
        The out-of-fold metric behind ``score`` (``""`` when unknown).
    metric, baseline : float
        The model's out-of-fold metric and the naive predictor's (NaN when undefined,
        e.g. for a constant column).
    row_order : bool
        The column is predicted by the row position alone (the file is sorted by it).
    target_score : float or None
        The column alone predicting the target; ``None`` without a target.
    top_shares : tuple of float
        The part of ``score`` each of ``top_features`` carries (its share of the mean
        |TreeSHAP| times the score).
    """

    name: str
    kind: str
    score: float
    p_value: float
    significant: bool
    redundant: bool
    leak: bool | None
    id_like: bool
    top_features: tuple[str, ...]
    metric_name: str = ""
    metric: float = math.nan
    baseline: float = math.nan
    row_order: bool = False
    target_score: float | None = None
    score_low: float = math.nan
    score_high: float = math.nan
    top_shares: tuple[float, ...] = ()

    @property
    def ranks_only(self) -> bool:
        """Significant, yet a score of 0: the others predict its order, not its values."""
        return self.significant and self.score == 0.0


@dataclass(frozen=True)
class DependencyShift:
    """Whether a column's relationship to the others changed from DATA to the comparison.

    Attributes
    ----------
    name : str
    train_score, test_score : float
        Scores of the model of this column on held-out DATA rows and on comparison rows.
    drop : float
        ``train_score - test_score``.
    p_value : float
        Adjusted p-value of "comparison losses are larger".
    shifted : bool
    marginal_p_value : float
        The column's own two-sample test (KS or chi-squared).
    formats_apart : tuple of (str, str) or None
        The date formats of DATA and of the comparison, for a column of dates written one
        way in each (``("%Y-%m-%d", "%m/%d/%Y")``): no one format reads both, so it is not
        compared (its scores and p-values are NaN); None otherwise.
    """

    name: str
    train_score: float
    test_score: float
    drop: float
    p_value: float
    shifted: bool
    marginal_p_value: float
    formats_apart: tuple[str, str] | None = None


@dataclass(frozen=True, repr=False)
class DependencyReport(Displayed):
    """Everything an ``advval deps`` report shows, as data.

    Build one with :func:`advval.dependency.summarize` (or
    :func:`advval.report.build_dependency_report`); render it with
    :func:`advval.report.render_json` or :func:`advval.report.render_dependency_markdown`.

    Attributes
    ----------
    n_rows, n_features : int
    features : tuple of FeatureDependency
        Sorted by score, highest first.
    redundant, id_like : tuple of str
    leaking : tuple of str or None
        ``None`` when no target was given (no leak check ran).
    near_duplicates : tuple of (str, str)
    shift : tuple of DependencyShift
        Empty when no comparison file was given.
    compared : bool
        Whether the dependency-shift check ran.
    settings : dict
    advval_version : str
    row_order_score : float
        Out-of-fold score of the row position predicted from all columns.
    row_order : tuple of str
        Columns predicted by the row position alone.
    dropped : tuple of str
        Columns dropped before the check because every value was missing.
    matrix_rows, matrix_columns : tuple of str
        The part of the dependency matrix kept for the heatmap: rows are the (at most
        the builder's ``matrix_features``, 40 by default) most predictable columns,
        highest score first; columns are the (at most as many) columns that explain them
        most, largest total first.
    matrix : tuple of tuple of float
        ``matrix[i][k]``: the share of ``matrix_rows[i]``'s score attributed to
        ``matrix_columns[k]`` (mean |TreeSHAP| share times the score; a full row sums to
        the score).
    reading_notes : tuple of str
        How the input files were read, as the command line said it (numbers read from
        text, columns kept as text because of a marker value, likely sentinels...);
        empty when nothing was noted or the report was not built by the command line.
    timestamp_like : tuple of str
        Those of ``id_like`` that are timestamps written as numbers (epoch seconds or
        milliseconds rising with the rows): a time, not an identifier.

    Examples
    --------
    >>> a = FeatureDependency("a", "numeric", 0.97, 1e-9, True, True, None, False, ("b",))
    >>> report = DependencyReport(n_rows=10, n_features=2, features=(a,), redundant=("a",),
    ...                           leaking=None, id_like=(), near_duplicates=(), shift=(),
    ...                           settings={}, advval_version="0")
    >>> report.to_dict()["features"][0]["score_ci"], report.matrix_capped
    ([nan, nan], False)
    """

    n_rows: int
    n_features: int
    features: tuple[FeatureDependency, ...]
    redundant: tuple[str, ...]
    leaking: tuple[str, ...] | None
    id_like: tuple[str, ...]
    near_duplicates: tuple[tuple[str, str], ...]
    shift: tuple[DependencyShift, ...]
    settings: dict[str, Any]
    advval_version: str
    compared: bool = False
    row_order_score: float = math.nan
    row_order: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    matrix_rows: tuple[str, ...] = ()
    matrix_columns: tuple[str, ...] = ()
    matrix: tuple[tuple[float, ...], ...] = ()
    kind: str = field(default="deps")
    reading_notes: tuple[str, ...] = ()
    timestamp_like: tuple[str, ...] = ()

    @property
    def matrix_capped(self) -> bool:
        """Whether the heatmap shows fewer rows or columns than the report has features."""
        return (
            0 < len(self.matrix_rows) < self.n_features
            or 0 < len(self.matrix_columns) < self.n_features
        )

    @property
    def shifted(self) -> tuple[str, ...]:
        """Names of the columns whose relationship changed significantly."""
        return tuple(s.name for s in self.shift if s.shifted)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of a dependency report, unrounded.

        Returns
        -------
        dict
            ``schema_version``, ``kind`` (``"deps"``), ``features`` (score order; each
            with ``score`` and its 95% interval ``score_ci``, ``top_features`` and the
            part of the score each carries, ``top_shares``),
            ``redundant``, ``leaking`` (``null`` without a target), ``id_like``,
            ``near_duplicates``, ``row_order``, ``row_order_score``, ``dropped``,
            ``shift`` (``[]`` without a comparison), ``settings`` and, only when there
            are any, ``reading_notes``. The heatmap's matrix is a plot and is left out
            (``dependency_matrix_`` has all of it).
        """
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": self.kind,
            "advval_version": self.advval_version,
            "n_rows": self.n_rows,
            "n_features": self.n_features,
            "features": [
                {
                    "name": f.name,
                    "kind": f.kind,
                    "score": f.score,
                    "score_ci": [f.score_low, f.score_high],
                    "p_value": f.p_value,
                    "significant": f.significant,
                    "redundant": f.redundant,
                    "leak": f.leak,
                    "id_like": f.id_like,
                    "top_features": list(f.top_features),
                    "top_shares": list(f.top_shares),
                    "metric_name": f.metric_name,
                    "metric": f.metric,
                    "baseline": f.baseline,
                    "row_order": f.row_order,
                    "target_score": f.target_score,
                }
                for f in self.features
            ],
            "redundant": list(self.redundant),
            "leaking": None if self.leaking is None else list(self.leaking),
            "id_like": list(self.id_like),
            "near_duplicates": [list(pair) for pair in self.near_duplicates],
            "row_order": list(self.row_order),
            "row_order_score": self.row_order_score,
            "dropped": list(self.dropped),
            "shift": [
                {
                    "name": s.name,
                    "train_score": s.train_score,
                    "test_score": s.test_score,
                    "drop": s.drop,
                    "p_value": s.p_value,
                    "shifted": s.shifted,
                    "marginal_p_value": s.marginal_p_value,
                    **({"formats_apart": list(s.formats_apart)} if s.formats_apart else {}),
                }
                for s in self.shift
            ],
            "settings": dict(self.settings),
            **({"reading_notes": list(self.reading_notes)} if self.reading_notes else {}),
            **({"timestamp_like": list(self.timestamp_like)} if self.timestamp_like else {}),
        }
