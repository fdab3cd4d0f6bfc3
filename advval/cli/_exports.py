"""Per-row exports of ``advval drift``: test-likeness of every row, weights of train rows.

Every CSV the command line writes goes through :func:`csv_bytes`, which keeps a
spreadsheet from evaluating a cell: text cells and column names that start with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return get a leading single quote (OWASP's advice
against CSV injection). Numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: first characters that make a spreadsheet read a text cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: text that a spreadsheet reads as a plain number, not a formula ("-3", "-1.5e3")
_PLAIN_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


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


def spreadsheet_text(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula.

    Examples
    --------
    >>> spreadsheet_text("=HYPERLINK('http://x')"), spreadsheet_text("@SUM(A1)")
    ("'=HYPERLINK('http://x')", "'@SUM(A1)")
    >>> [spreadsheet_text(v) for v in ("-3.5", "-2+3", -2, "ab", "+1")]
    ['-3.5', "'-2+3", -2, 'ab', "'+1"]
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def csv_bytes(table: pd.DataFrame) -> bytes:
    """``table`` as UTF-8 CSV without its index, safe to open in a spreadsheet.

    Column names and the text cells of non-numeric columns go through
    :func:`spreadsheet_text`; numeric, boolean and datetime columns are written as they
    are (floats with 6 significant digits). Lines end in CRLF (RFC 4180), so that a cell
    holding a carriage return is quoted and cannot split its row.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"=cmd": ["=1+1", "-5", "ok"], "w": [-1.5, 0.25, 2.0]})
    >>> csv_bytes(table).decode().splitlines()
    ["'=cmd,w", "'=1+1,-1.5", '-5,0.25', 'ok,2']
    """
    import pandas as pd

    safe = table.copy()
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if not (
            pd.api.types.is_numeric_dtype(column)
            or pd.api.types.is_bool_dtype(column)
            or pd.api.types.is_datetime64_any_dtype(column)
        ):
            safe.isetitem(position, column.astype(object).map(spreadsheet_text).to_numpy())
    safe.columns = [spreadsheet_text(str(name)) for name in safe.columns]
    text = safe.to_csv(index=False, float_format="%.6g", lineterminator="\r\n")
    return text.encode("utf-8")


def test_likeness_table(
    likeness: np.ndarray,
    out_of_fold: np.ndarray,
    train_keys: pd.DataFrame,
    test_keys: pd.DataFrame,
) -> pd.DataFrame:
    """P(test) of every train and test row, with the row keys and how it was scored.

    ``out_of_fold`` is true for the rows the classifier was cross-fitted on (scored by the
    model that left their fold out) and false for rows outside the row budget (scored by
    the fold models' average; neither saw them).
    """
    import pandas as pd

    table = pd.concat([train_keys, test_keys], ignore_index=True)
    table["test_likeness"] = likeness
    table["out_of_fold"] = out_of_fold
    return table


test_likeness_table.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def weights_table(weights: np.ndarray, train_keys: pd.DataFrame) -> pd.DataFrame:
    """Importance weight of every train row, with the row keys."""
    table = train_keys.copy()
    table["weight"] = weights
    return table


def segments_table(
    found: Any, frames: tuple[pd.DataFrame, pd.DataFrame], keys: tuple[pd.DataFrame, pd.DataFrame]
) -> pd.DataFrame:
    """The rows of each segment (keys, then ``segment``: its number in the report).

    The segments of one search are disjoint (nodes of one tree, none above another), so a
    row is listed once at most; rows in no segment are left out.
    """
    import pandas as pd

    parts = []
    for frame, side_keys in zip(frames, keys, strict=True):
        number = np.zeros(len(frame), dtype=np.int64)
        for index, segment in enumerate(found.segments, start=1):
            number[(number == 0) & segment.mask(frame)] = index
        inside = number > 0
        part = side_keys.loc[inside].copy()
        part["segment"] = number[inside]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
