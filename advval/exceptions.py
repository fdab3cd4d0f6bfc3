"""Warning classes that advval emits, so users can filter them precisely."""

from __future__ import annotations


class AdvvalWarning(UserWarning):
    """Base class of every warning advval emits."""


class DataWarning(AdvvalWarning):
    """The input data needed a fix (a column dropped, rows subsampled)."""


class ReadingWarning(DataWarning):
    """How the input's columns were read: a column's kind guessed from its values (free
    text, dates written month first or day first, dates written one way in each sample)
    or a column dropped because every value is missing.

    A :class:`DataWarning`, so filters on that catch it too; the command line carries these
    into its reports' "How the files were read" notes.
    """


class LeakWarning(AdvvalWarning):
    """A single column separates train from test almost perfectly (an ID, a timestamp)."""
