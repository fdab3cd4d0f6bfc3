"""Per-row exports of ``advval drift``: test-likeness of every row, weights of train rows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._exit import UsageFailure

if TYPE_CHECKING:
    import pandas as pd


def row_keys(frame: pd.DataFrame, ids: Sequence[str], side: str) -> pd.DataFrame:
    """``side``, ``row`` (0-based position in its file) and the ``--id`` columns present.

    Examples
    --------
    >>> import pandas as pd
    >>> row_keys(pd.DataFrame({"id": [7, 9], "a": [1, 2]}), ["id"], "train").values.tolist()
    [['train', 0, 7], ['train', 1, 9]]
    """
    import pandas as pd

    keys = pd.DataFrame({"side": side, "row": np.arange(len(frame))})
    for column in ids:
        if column in frame.columns:
            keys[column] = frame[column].to_numpy()
    return keys


def write_csv(table: pd.DataFrame, path: Path, what: str) -> None:
    """Write ``table`` as CSV, turning file errors into usage errors that name the path."""
    try:
        table.to_csv(path, index=False, float_format="%.6g")
    except OSError as exc:
        raise UsageFailure(f"cannot write the {what} to '{path}': {exc.strerror or exc}") from exc


def test_likeness_table(
    oof_proba: np.ndarray, train_keys: pd.DataFrame, test_keys: pd.DataFrame
) -> pd.DataFrame:
    """Out-of-fold P(test) of every train and test row, with the row keys."""
    import pandas as pd

    table = pd.concat([train_keys, test_keys], ignore_index=True)
    table["test_likeness"] = oof_proba
    return table


def weights_table(weights: np.ndarray, train_keys: pd.DataFrame) -> pd.DataFrame:
    """Importance weight of every train row, with the row keys."""
    table = train_keys.copy()
    table["weight"] = weights
    return table
