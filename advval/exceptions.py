"""Warning classes that advval emits, so users can filter them precisely."""

from __future__ import annotations


class AdvvalWarning(UserWarning):
    """Base class of every warning advval emits."""


class DataWarning(AdvvalWarning):
    """The input data needed a fix (a column dropped, rows subsampled)."""


class LeakWarning(AdvvalWarning):
    """A single column separates train from test almost perfectly (an ID, a timestamp)."""
