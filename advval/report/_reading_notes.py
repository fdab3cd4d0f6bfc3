"""The "How the files were read" section of the drift and dependency reports.

The command line notes how it read the input files (numbers read from text, a column
kept as text because of a marker value, a likely sentinel, a repeated header name, the
delimiter it found); the reports carry those notes (``reading_notes``) so that a report
read later says what the terminal said. A report with no note has no section.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._markdown import md_escape

#: the section's title, in every format
READING_NOTES_TITLE = "How the files were read"


def reading_notes_markdown(notes: Sequence[str]) -> list[str]:
    """The Markdown lines of the section (a heading and one item per note); none without notes.

    Examples
    --------
    >>> reading_notes_markdown(["read column(s) 'fee' as numbers"])
    ['### How the files were read', '', "- read column(s) 'fee' as numbers", '']
    >>> reading_notes_markdown([])
    []
    """
    if not notes:
        return []
    return [
        f"### {READING_NOTES_TITLE}",
        "",
        *(f"- {md_escape(text)}" for text in notes),
        "",
    ]
