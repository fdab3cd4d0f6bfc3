"""Why the remedy stopped with drift left, in words: one wording for every report.

The feature dropper stops for one of a few reasons (:class:`~advval.results.RemedyStop`).
When drift is left, the reports must not say that dropping more could not help when only
the ``--max-drop`` budget ended the search (an IEEE-CIS-fraud-shaped table: five drops,
each still lowering the AUC, columns still flagged that the search never reached). The
command line's stderr line and the Markdown and HTML reports say it with :func:`max_drop_text`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._display import plain_names


def max_drop_text(max_drop: int, auc: float, dropped: int, left: Sequence[str]) -> str:
    """The remedy ran out of its ``--max-drop`` budget with drift left, and what is left.

    ``auc``: the held-out AUC after the ``dropped`` columns (leak-like ones included) went;
    ``left``: the columns still flagged on their own, largest distance first. Lower case
    and without a full stop: the command line puts ``advval:`` before it, a report makes
    it a sentence.

    Examples
    --------
    >>> print(max_drop_text(2, 0.64, 2, ["c"]))  # doctest: +NORMALIZE_WHITESPACE
    the remedy stopped at its budget of --max-drop 2 columns with drift left (AUC 0.640
    without the 2 dropped): it did not reach the columns still flagged on their own, c.
    --max-drop 3 lets it try them (one more check each)
    """
    text = (
        f"the remedy stopped at its budget of --max-drop {max_drop} columns with "
        f"drift left (AUC {auc:.3f} without the {dropped} dropped)"
    )
    if not left:
        return f"{text}. --max-drop {max_drop + 5} lets it go on (one more check each)"
    return (
        f"{text}: it did not reach the columns still flagged on their own, "
        f"{plain_names(list(left))}. --max-drop {max_drop + len(left)} lets it try them "
        "(one more check each)"
    )
