"""What the drift command says when the remedy stopped at its ``--max-drop`` budget.

On a wide table split in time (IEEE-CIS fraud: 430 columns, a dozen of them counting days
since a date) the remedy spends its five drops on the columns that move the AUC most and
stops with drift left while columns it never reached are still flagged on their own. The
user needs to hear that the budget, not the data, ended the search, which columns are
left, and the option that lets it go on; the reports say the same words
(:func:`advval.report._remedy_stop.max_drop_text`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..report._remedy_stop import max_drop_text


def max_drop_note(max_drop: int, auc: float, dropped: int, left: Sequence[str]) -> str:
    """One line: the remedy ran out of ``--max-drop`` with drift left, and what is left.

    ``auc``: the held-out AUC after the ``dropped`` columns (leak-like ones included) went;
    ``left``: the columns still flagged on their own, largest distance first.

    Examples
    --------
    >>> print(max_drop_note(5, 0.737, 7, ["id_30", "D2", "D3"]))  # doctest: +NORMALIZE_WHITESPACE
    advval: the remedy stopped at its budget of --max-drop 5 columns with drift left
    (AUC 0.737 without the 7 dropped): it did not reach the columns still flagged on
    their own, id_30, D2, D3. --max-drop 8 lets it try them (one more check each)
    """
    return f"advval: {max_drop_text(max_drop, auc, dropped, left)}"
