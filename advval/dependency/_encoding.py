"""The shared encoder as the dependency estimators use it, and what they cannot predict.

Every dependency estimator reads its columns with :class:`~advval._frames.FrameEncoder`
(date strings, free text, capped levels, ``column_kinds``), as the drift check does. Two
kinds of column are predictors but never targets: *free text* (many distinct values of
several words) and *codes*, categorical columns with no value on ``MIN_CLASS_SHARE`` of
the rows (a tail number, a flight number, an ID): predicting which of thousands of
values a row holds is not a classification task a model can learn. The encoder's own
warning about free text speaks of the drift check (its classifier and per-column test);
the estimators here say instead what they do with such columns
(:func:`unpredicted_warning`).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence

import pandas as pd

from .._caller import user_stacklevel
from .._frames import ALIGN_NAMES, FrameEncoder
from ..exceptions import DataWarning, ReadingWarning
from ._scoring import MIN_CLASS_SHARE

#: the encoder's warning about free text, replaced by :func:`unpredicted_warning`
_TEXT_WARNING = r"Column\(s\) .* hold free text"
#: the encoder's warning about columns missing on both sides (a checker's fit on the
#: first side named them already when the shift reuses it)
_DROPPED_WARNING = r"Dropped \d+ column\(s\) whose values are all missing in both"
#: the encoder's warning about dates written one way on each side, replaced by the
#: dependency estimators' own (they do not compare such a column)
_APART_WARNING = r"Column\(s\) .* hold dates written one way in"


def fit_encoder(
    train: pd.DataFrame,
    test: pd.DataFrame,
    column_kinds: dict[str, str] | None,
    *,
    names: tuple[str, str] = ALIGN_NAMES,
    named_dropped: bool = False,
) -> FrameEncoder:
    """:class:`~advval._frames.FrameEncoder` fitted on both frames, without its text warning.

    ``names`` is what its errors and warnings call ``train`` and ``test`` (the caller's
    arguments, or the user's files; see :func:`~advval._frames.align_columns`).
    ``named_dropped``: the columns missing in every row of ``train`` were named already
    (by the checker fitted on it), so those missing on both sides are dropped quietly.

    Examples
    --------
    >>> frame = pd.DataFrame({"when": ["01/31/2013", "02/01/2013"], "x": [1.0, 2.0]})
    >>> fit_encoder(frame, frame, None).kinds
    {'when': 'datetime', 'x': 'numeric'}
    >>> fit_encoder(frame, frame.assign(x=["a", "b"]), None, names=("A", "B"))
    Traceback (most recent call last):
    ...
    TypeError: Column 'x' is numeric in A but text/categorical in B, where these values are not numbers: 'a' (1 rows), 'b' (1 rows); convert one side so both have one type.
    """  # noqa: E501
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_TEXT_WARNING, category=DataWarning)
        warnings.filterwarnings("ignore", message=_APART_WARNING, category=DataWarning)
        if named_dropped:
            warnings.filterwarnings("ignore", message=_DROPPED_WARNING, category=DataWarning)
        encoder = FrameEncoder(column_kinds=column_kinds).fit(train, test, names=names)
    if encoder.formats_apart:
        formats = "; ".join(f"{c!r}: {a!r} vs {b!r}" for c, (a, b) in encoder.formats_apart.items())
        warnings.warn(
            f"Column(s) {list(encoder.formats_apart)!r} hold dates written one way in "
            f"{names[0]} and another in {names[1]} ({formats}): no one format reads both, so "
            f"their relationship to the other columns is not compared (no scores, never "
            f"shifted). Write both in one format first (pandas.to_datetime(..., format=...)).",
            ReadingWarning,
            stacklevel=user_stacklevel(),
        )
    return encoder


#: what to do about a column the dependency estimators cannot score
SCORE_ADVICE = (
    " To have one scored, derive a column with fewer, frequent values from it (a code's "
    "prefix, a text's category); leave out an identifier (CLI: --id or --ignore)."
)


def unpredicted_warning(
    owner: str,
    text: Sequence[Hashable],
    codes: Sequence[Hashable],
    consequence: str,
    *,
    name: str = "X",
    advice: str = "",
) -> None:
    """Warn that the free-text and code columns of ``name`` are not predicted, why, and
    what ``owner`` does (``consequence``) and the user can do (``advice``).

    ``name`` is what the caller calls the data (``X``, or the user's file on the command
    line); the message reads the same in Python and on the command line.

    Examples
    --------
    >>> import pytest
    >>> with pytest.warns(DataWarning, match="^SubstitutionImputer does not predict free"):
    ...     unpredicted_warning("SubstitutionImputer", ["note"], [], "they keep a fill.")
    """
    if not text and not codes:
        return
    parts = []
    if text:
        parts.append(f"free text {_preview(text)}")
    if codes:
        parts.append(f"codes with no value on {MIN_CLASS_SHARE:.0%} of the rows {_preview(codes)}")
    warnings.warn(
        f"{owner} does not predict {' and '.join(parts)} of {name} from the other columns: "
        f"a model cannot learn which of their many values a row holds, {consequence} They "
        f"are still predictors (text by its length, words and shares of digits, upper case "
        f"and punctuation; codes by their frequent values and counts).{advice}",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def _preview(names: Sequence[Hashable], limit: int = 10) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{list(names[:limit])!r}{more}"
