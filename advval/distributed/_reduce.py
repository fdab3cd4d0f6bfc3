"""Rank statistics of out-of-fold scores reduced on the cluster, never collected row by row.

Every rank quantity the verdict needs (AUC, the Mann-Whitney test, DeLong's variance) is
a function of the table "positives and negatives at each distinct score"
(:func:`advval._stats.score_counts`); tables of disjoint parts of the data add up. Each
partition counts its own rows, Dask's groupby sums the tables in a tree, and the driver
receives one row per distinct score and fold, then calls the same
:func:`~advval._stats.rank_test_counts` and :func:`~advval._stats.delong_variance_counts`
as the single-machine path.

Scores are rounded to float32 before counting, which bounds the table (LightGBM's
probabilities rarely take more than a few million float32 values) at a cost that is
stated exactly: only pairs whose float64 scores round to one float32 (relative gap below
6e-8) change from "ordered" to "tied", so the AUC moves by at most
``0.5 * sum(pos * neg) / (n_pos * n_neg)`` over the table's rows (:func:`tie_share`),
which is nil unless the scores are massively tied anyway.
"""

from __future__ import annotations

import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client
from numpy.typing import NDArray

from .._stats import RankTest, delong_variance_counts, rank_test_counts
from ._progress import compute

Y, FOLD, SCORE = "__advval_y", "__advval_fold", "__advval_score"


def count_tables(scores: dd.DataFrame, columns: list[str], client: Client) -> list[pd.DataFrame]:
    """Positives and negatives per fold and float32 score of each of ``columns``.

    NaN scores are skipped. One pass: the tables of all columns are reduced together.
    Each result is a pandas frame indexed by (fold, score), sorted, with columns ``pos``
    and ``neg``.
    """
    reductions = []
    for column in columns:
        frame = scores[[FOLD, Y, column]].dropna(subset=[column])
        frame = frame.assign(**{SCORE: frame[column].astype("float32")})
        reductions.append(frame.groupby([FOLD, SCORE])[Y].agg(["sum", "count"]))
    tables = compute(client, reductions, step="counting the scores")
    return [table_from_sums(grouped) for grouped in tables]


def table_from_sums(grouped: pd.DataFrame) -> pd.DataFrame:
    """``(sum of labels, count)`` per (fold, score) -> ``pos`` / ``neg`` counts, sorted.

    Examples
    --------
    >>> index = pd.MultiIndex.from_tuples([(0, 0.5), (0, 0.1)], names=[FOLD, SCORE])
    >>> table_from_sums(pd.DataFrame({"sum": [1, 0], "count": [2, 1]}, index=index))
    ... # doctest: +NORMALIZE_WHITESPACE
                                    pos  neg
    __advval_fold __advval_score
    0             0.1             0.0  1.0
                  0.5             1.0  1.0
    """
    pos = grouped["sum"].astype(np.float64)
    table = pd.DataFrame({"pos": pos, "neg": grouped["count"].astype(np.float64) - pos})
    return table.sort_index()


def fold_test(table: pd.DataFrame, fold: int) -> RankTest:
    """Rank test of one fold's rows."""
    part = table.xs(fold, level=FOLD)
    return rank_test_counts(part["pos"].to_numpy(), part["neg"].to_numpy())


def pooled(table: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Counts per distinct score over all folds (increasing score)."""
    summed = table.groupby(level=SCORE).sum().sort_index()
    return summed["pos"].to_numpy(), summed["neg"].to_numpy()


def pooled_auc(table: pd.DataFrame) -> tuple[float, float]:
    """AUC of the pooled scores and DeLong's variance."""
    pos, neg = pooled(table)
    return rank_test_counts(pos, neg).auc, delong_variance_counts(pos, neg)


def tie_share(pos: NDArray[np.float64], neg: NDArray[np.float64]) -> float:
    """Half the share of positive-negative pairs tied in the table: the AUC's error bound.

    Examples
    --------
    >>> tie_share(np.array([1.0, 1.0]), np.array([1.0, 0.0]))
    0.25
    """
    return float(0.5 * (pos * neg).sum() / (pos.sum() * neg.sum()))
