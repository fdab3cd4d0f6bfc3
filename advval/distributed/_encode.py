"""Learn the :class:`~advval._frames.FrameEncoder` of Dask frames without collecting them.

Each partition is reduced to a *digest*: the :class:`~advval._summary.FrameSummary` of its
columns (dtype kind, rows and missing values, the largest finite magnitude and whether a
value is infinite for numeric columns, whether a datetime has a non-zero hour, and for
string columns the counts of their most frequent levels, their text statistics and the
date formats that read every value), bounded in size by
:data:`~advval._levels.MAX_COUNTED` labels per column whatever the partition's rows. The
digests of a side are merged in a tree on the workers and the encoder is fitted on the two
merged summaries with the single-machine :meth:`FrameEncoder.fit`: same column kinds, date
formats, text columns, capped levels and counts, units, dropped columns and datetime parts
(exactly, while no partition has more than ``MAX_COUNTED`` distinct values of a string
column), and the same error for infinite values. One implementation of the encoding rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dask
import dask.dataframe as dd
import pandas as pd
from distributed import Client

from .._frames import ALIGN_NAMES, NUMERIC, FrameEncoder, infinite_values_error
from .._kinds import CATEGORICAL
from .._summary import FrameSummary, merge_frames
from ._progress import compute

Digest = tuple[FrameSummary, int]

#: digests merged by one task of the tree reduction
MERGE_FAN_IN = 8


def digest(frame: pd.DataFrame, *, levels: tuple[str, ...] = ()) -> Digest:
    """The summary of one partition, and its row count.

    Parameters
    ----------
    frame : DataFrame
        One partition.
    levels : tuple of str
        Non-string columns whose levels are counted too (read as categorical).

    Examples
    --------
    >>> frame = pd.DataFrame({"a": ["x", "y", "x"], "b": [1.0, float("inf"), -2.0]})
    >>> summary, n = digest(frame)
    >>> summary["a"].counts.to_dict(), summary["b"].largest, summary["b"].infinite, n
    ({'x': 2, 'y': 1}, 2.0, True, 3)
    """
    summary = FrameSummary.of(frame, levels=levels)
    return summary, summary.rows


def merge_digests(digests: list[Digest], meta: pd.DataFrame | None = None) -> Digest:
    """The digests of the partitions of one frame merged, and its rows.

    ``meta`` (the frame's empty ``_meta``) gives the summary of a frame with no partition.

    Examples
    --------
    >>> parts = [digest(pd.DataFrame({"a": ["x"], "b": [None]})),
    ...          digest(pd.DataFrame({"a": ["y", "z"], "b": [None, None]}))]
    >>> summary, n = merge_digests(parts)
    >>> sorted(summary["a"].counts.index), summary["b"].missing, n
    (['x', 'y', 'z'], 3, 3)
    """
    if not digests:
        if meta is None:
            raise ValueError("merge_digests needs at least one digest or the frame's meta.")
        return digest(meta)
    merged = merge_frames(summary for summary, _ in digests)
    return merged, merged.rows


def summarize(
    frame: dd.DataFrame, client: Client, *, levels: tuple[str, ...] = ()
) -> tuple[FrameSummary, int]:
    """The merged digest of a Dask frame (one pass over its partitions) and its rows.

    The digests are merged ``MERGE_FAN_IN`` at a time on the workers, so the client
    receives one summary whatever the number of partitions.
    """
    tasks: list[Any] = [dask.delayed(digest)(part, levels=levels) for part in frame.to_delayed()]
    while len(tasks) > 1:
        tasks = [
            dask.delayed(merge_digests)(tasks[i : i + MERGE_FAN_IN])
            for i in range(0, len(tasks), MERGE_FAN_IN)
        ]
    if not tasks:
        return merge_digests([], frame._meta)
    (merged,) = compute(client, tasks, step="reading the column types")
    summary, rows = merged
    return summary, rows


def fit_encoder(
    train: dd.DataFrame,
    test: dd.DataFrame,
    client: Client,
    *,
    column_kinds: Mapping[str, str] | None = None,
    names: tuple[str, str] = ALIGN_NAMES,
) -> tuple[FrameEncoder, int, int]:
    """The encoder the single-machine path would learn from both frames, and their rows.

    Parameters
    ----------
    train, test : dask DataFrame
        Aligned (same columns in the same order).
    client : Client
    column_kinds : dict or None
        As :class:`~advval._frames.FrameEncoder`'s ``column_kinds``.
    names : tuple of (str, str), default=("X_train", "X_test")
        What the errors and warnings call ``train`` and ``test`` (see
        :func:`~advval._frames.align_columns`).
    """
    encoder = FrameEncoder(column_kinds=None if column_kinds is None else dict(column_kinds))
    requested = encoder.requested_kinds(list(train.columns))
    levels = tuple(c for c, kind in requested.items() if kind == CATEGORICAL)
    train_summary, n_train = summarize(train, client, levels=levels)
    test_summary, n_test = summarize(test, client, levels=levels)
    encoder.fit(train_summary, test_summary, names=names)
    for summary, name in zip((train_summary, test_summary), names, strict=True):
        for column in encoder.columns:
            if encoder.kinds[column] == NUMERIC and summary[column].infinite:
                raise infinite_values_error(column, name)
    return encoder, n_train, n_test
