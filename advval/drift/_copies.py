"""Near-copies: ordered columns that carry the same information as another one.

Kaggle tables are widened with lags, rolling means and rescalings of one quantity
(``temp``, ``temp_3h_ago``, ``dewp``; ``delay_mean5``, ``delay_mean10``). When the domain
classifier's top column is dropped, its near-copy takes over, and a remedy that drops one
column at a time spends its budget on interchangeable columns while the shift stays. The
remedy therefore drops a column together with its near-copies: ordered columns (numbers,
datetimes) whose rank correlation with it is at least a threshold, measured on a seeded
sample of rows of both sides.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from .._frames import DATETIME, NUMERIC, FrameEncoder

#: rows of both sides the correlations are measured on (their error is about 1/sqrt(n))
SAMPLE_ROWS = 5_000


class NearCopies:
    """Rank correlations between the ordered columns of two frames, on a row sample.

    Parameters
    ----------
    encoder : FrameEncoder
        Fitted on the frames (it says which columns are ordered and reads their values).
    train, test : DataFrame
        The two sides.
    random_state : int
        Seeds the row sample.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500)
    >>> frame = pd.DataFrame({"x": x, "x_lag": x + 0.1 * rng.normal(size=500),
    ...                       "other": rng.normal(size=500)})
    >>> copies = NearCopies(FrameEncoder().fit(frame, frame), frame, frame, random_state=0)
    >>> copies.of("x", ["x_lag", "other"], threshold=0.9)
    ['x_lag']
    """

    def __init__(
        self, encoder: FrameEncoder, train: pd.DataFrame, test: pd.DataFrame, *, random_state: int
    ) -> None:
        rng = np.random.default_rng(random_state)
        ordered = [c for c in encoder.columns if encoder.kinds[c] in (NUMERIC, DATETIME)]
        sides = [
            frame[ordered].iloc[_sample(len(frame), SAMPLE_ROWS // 2, rng)]
            for frame in (train, test)
        ]
        self._ranks: dict[str, NDArray[np.float64]] = {}
        for column in ordered:
            values = np.concatenate(
                [
                    np.asarray(encoder.column_values(side, column), dtype=np.float64)
                    for side in sides
                ]
            )
            ranks = _ranks(values)
            if ranks is not None:
                self._ranks[column] = ranks

    def of(self, column: str, among: Sequence[str], *, threshold: float) -> list[str]:
        """The columns of ``among`` whose |rank correlation| with ``column`` >= ``threshold``.

        Strongest first; empty when ``column`` is not ordered.
        """
        base = self._ranks.get(column)
        if base is None:
            return []
        found = []
        for other in among:
            ranks = self._ranks.get(other)
            if other == column or ranks is None:
                continue
            correlation = abs(float(np.corrcoef(base, ranks)[0, 1]))
            if correlation >= threshold:
                found.append((-correlation, other))
        return [name for _, name in sorted(found)]


def _sample(n: int, size: int, rng: np.random.Generator) -> NDArray[np.intp]:
    if n <= size:
        return np.arange(n)
    return np.sort(rng.choice(n, size=size, replace=False))


def _ranks(values: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """Ranks with missing values at the mean rank; None for a constant column."""
    present = ~np.isnan(values)
    if present.sum() < 3:
        return None
    ranks = np.full(values.shape, np.nan)
    ranks[present] = stats.rankdata(values[present])
    ranks[~present] = np.nanmean(ranks)
    if float(np.std(ranks)) == 0.0:
        return None
    return ranks
