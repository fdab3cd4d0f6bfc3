"""What the drift command says when the remedy stopped at its ``--max-drop`` budget.

On a wide table split in time (IEEE-CIS fraud: 430 columns, a dozen of them counting days
since a date) the remedy spends its five drops on the columns that move the AUC most and
stops with drift left while columns it never reached are still flagged on their own. The
report's remedy text then reads as if dropping more could not help; the user needs to
hear that the budget, not the data, ended the search, which columns are left, and the
option that lets it go on.
"""

from __future__ import annotations

from collections.abc import Sequence

from advval._display import plain_names


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
    text = (
        f"advval: the remedy stopped at its budget of --max-drop {max_drop} columns with "
        f"drift left (AUC {auc:.3f} without the {dropped} dropped)"
    )
    if not left:
        return f"{text}. --max-drop {max_drop + 5} lets it go on (one more check each)"
    return (
        f"{text}: it did not reach the columns still flagged on their own, "
        f"{plain_names(list(left))}. --max-drop {max_drop + len(left)} lets it try them "
        "(one more check each)"
    )
