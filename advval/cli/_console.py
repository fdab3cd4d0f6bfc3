"""What a command prints on stderr while it runs: progress stages and warnings, as they come."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from .._progress import note, progress_display


@contextmanager
def warnings_to_stderr() -> Iterator[None]:
    """Show the library's warnings (leaks, data fixes) as ``advval: warning: ...`` lines.

    Each is printed the moment it is raised (the leak screen's warning comes before any
    model is trained, so it shows before the long part of a run), once per message, above
    the progress line when one is showing. The command line owns the warning policy:
    user-facing warnings (``UserWarning`` and ``RuntimeWarning`` families) are printed;
    deprecation notices, which are for developers, are not. A warning on how the columns
    were read (:class:`~advval.exceptions.ReadingWarning`: free text, dates read month
    first, columns all missing) also joins the reading notes the reports carry
    (:func:`~._io.collecting_reading_notes`).
    """
    from advval.exceptions import ReadingWarning

    from ._io import keep_reading_note

    seen: set[str] = set()

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        text = " ".join(str(message).split())
        if not issubclass(category, (UserWarning, RuntimeWarning)) or text in seen:
            return
        seen.add(text)
        if issubclass(category, ReadingWarning):
            keep_reading_note(text)
        line = f"advval: warning: {text}"
        if not note(line):
            click.echo(line, err=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show
        yield


@contextmanager
def console(*, quiet: bool) -> Iterator[None]:
    """One progress display for the whole command (unless ``quiet``) and warnings at once."""
    with progress_display(enabled=not quiet), warnings_to_stderr():
        yield
