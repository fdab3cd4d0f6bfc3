"""One progress display for a whole run, with named stages.

Library code marks its long stages with :func:`stage` and its one-off notices with
:func:`note`; both do nothing unless a display is active. A display is opened by the
command line for a whole run (reading, screening, fitting, explaining, remedy steps all
show on one line of stderr, replaced stage by stage) or by an estimator for its own
``fit`` when it is given ``verbose=True`` and no display is open yet::

    with progress_display(enabled=True):
        with stage("fitting domain classifier", total=8) as bar:
            for _ in range(8):
                ...
                bar.advance()

The active display lives in a :class:`contextvars.ContextVar`, so estimators need no
extra parameter and nested calls (the remedy's validator fits inside one command) share
the run's display. tqdm is imported only when a display opens.

A stage opened with ``shared=True`` may also be counted from deep inside the work it
wraps, by code that knows nothing of it: an attack run by an evaluation calls
:func:`advance` (or a :func:`countdown`) as its rows finish, and the evaluation then
counts only what the attack did not::

    with stage("TreeAttack on 900 rows", total=900, shared=True) as bar:
        X_adv = attack.generate(X, y)  # calls advance(n) after each chunk of rows
        bar.advance(900 - bar.done)
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO

#: the display of the current run, if one is open
_ACTIVE: ContextVar[_Display | None] = ContextVar("advval_progress", default=None)
#: seconds between redraws of a terminal line whose stage takes no step meanwhile, so
#: that its time keeps counting through a long fit instead of standing still
TICK_SECONDS = 1.0
#: off a terminal (a CI log), the fewest seconds between two lines of one stage: a
#: heartbeat line comes no sooner than this after the stage's last line, when its
#: counter moved meanwhile
HEARTBEAT_SECONDS = 30.0
#: off a terminal, the most seconds a running stage stays silent, counter moved or not
#: (CI runners stop a job after some minutes without output)
HEARTBEAT_IDLE_SECONDS = 60.0
#: off a terminal, the lines a counted stage gives its units: its detail lines, and the
#: start lines of the stages inside it, come once per this fraction of its total (a
#: loop over 433 columns prints the columns 0, 44, 88, ... instead of each), or after
#: :data:`HEARTBEAT_SECONDS` without a line; a stage of at most this many units (the
#: remedy's steps) shows every one
LINES_PER_STAGE = 10


class _Stage:
    """Handle of one running stage: :meth:`advance` moves its counter."""

    def __init__(self, display: _Display | None, frame: _Frame | None = None) -> None:
        self._display = display
        self._frame = frame

    @property
    def done(self) -> int:
        """Units of this stage counted so far (0 when no display is open)."""
        return 0 if self._frame is None else self._frame.done

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more units of this stage as done."""
        if self._display is not None:
            self._display.advance(n)

    def describe(self, text: str) -> None:
        """Replace the detail shown after the stage's name (e.g. the column dropped)."""
        if self._display is not None:
            self._display.describe(text)


class _Frame:
    """One open stage: its name, detail, counter and total."""

    def __init__(self, name: str, total: int | None, *, shared: bool = False) -> None:
        self.name, self.total, self.done, self.detail = name, total, 0, ""
        self.shared = shared
        self.started = time.monotonic()
        # off a terminal: when this stage last printed a line, and its counter then
        self.printed, self.done_printed = self.started, 0
        # off a terminal, for a counted stage: its counter at the last line printed for a
        # unit of it (a detail, an inner stage's start); None before the first
        self.unit_printed: int | None = None

    def shows_unit(self, now: float) -> bool:
        """Off a terminal, whether a line for this counted stage's current unit is due.

        The first one is; then one when the counter moved by a
        :data:`LINES_PER_STAGE`-th of the total since the last, or did not move at all
        (a later phase of the unit last shown), or when the stage printed nothing for
        :data:`HEARTBEAT_SECONDS`.
        """
        if self.unit_printed is None or not self.total:
            return True
        moved = self.done - self.unit_printed
        return (
            moved == 0
            or moved >= self.total / LINES_PER_STAGE
            or now - self.printed >= HEARTBEAT_SECONDS
        )

    def label(self, *, counted: bool = True) -> str:
        text = f"{self.name} ({self.detail})" if self.detail else self.name
        if self.total and counted:
            text += f" {self.done}/{self.total}"
        return text


class _Display:
    """The open stages on ``stream``, outermost first, with the time spent and left.

    On a terminal, one tqdm line redrawn in place: on every step, and every
    :data:`TICK_SECONDS` by a background thread, so that the time spent keeps counting
    while a stage takes no step. Elsewhere (a CI log, a file, a pipe), where redrawn
    lines would pile up, one plain line when a stage starts or changes its detail (then
    with its counter so far), and nothing on every counted step. A loop that names each
    of its many units (a column of a wide table) would still pile them up: a detail line
    of a counted stage, or the start line of a stage inside it, comes only once per
    :data:`LINES_PER_STAGE`-th of its units, for a later phase of the unit last shown, or
    after :data:`HEARTBEAT_SECONDS` without a line. The same thread then
    adds a heartbeat line for a long stage (its counter, the time spent and left) at
    most every :data:`HEARTBEAT_SECONDS` when the counter moved, and at least every
    :data:`HEARTBEAT_IDLE_SECONDS` when it did not, so that a CI log never stays silent
    for minutes. A stage shorter than that prints its start line only.
    """

    def __init__(self, stream: TextIO) -> None:
        from tqdm.auto import tqdm

        self._tqdm = tqdm
        self._stream = stream
        self._live = _has_width(stream)
        self._bar: Any = None
        self._frames: list[_Frame] = []
        # the ticker thread redraws too: every change of the line holds this lock
        self._lock = threading.RLock()
        self._stop: threading.Event | None = None
        self._noted: set[str] = set()

    def push(self, frame: _Frame) -> None:
        with self._lock:
            if self._frames and not self._live:
                # a stage started under a quiet one was not heard from either since then
                frame.printed = self._frames[-1].printed
            self._frames.append(frame)
            self._refresh(started=True, inner=len(self._frames) - 1)

    def pop(self) -> None:
        with self._lock:
            self._frames.pop()
            if self._frames and self._live:
                self._refresh(started=False)
            elif not self._frames:
                self.close()

    def advance(self, n: int) -> None:
        with self._lock:
            if self._frames:
                self._frames[-1].done += n
                self._refresh(started=False)

    def advance_shared(self, n: int) -> bool:
        """Count ``n`` units of the innermost stage if it is shared, never past its total."""
        with self._lock:
            if not self._frames or not self._frames[-1].shared:
                return False
            top = self._frames[-1]
            step = n if top.total is None else min(n, top.total - top.done)
            if step > 0:
                top.done += step
                self._refresh(started=False)
            return True

    def describe(self, text: str) -> None:
        with self._lock:
            if self._frames:
                self._frames[-1].detail = text
                self._refresh(started=True, counted=True, inner=len(self._frames))

    def tick(self) -> None:
        """The ticker's call: redraw the terminal line with the time spent so far, or,
        off a terminal, print the innermost stage's heartbeat line when one is due."""
        with self._lock:
            if not self._frames:
                return
            if self._bar is not None:
                self._draw()
            elif not self._live:
                self._heartbeat()

    def _heartbeat(self) -> None:
        top = self._frames[-1]
        quiet_for = time.monotonic() - top.printed
        moved = top.done != top.done_printed
        if quiet_for >= HEARTBEAT_IDLE_SECONDS or (moved and quiet_for >= HEARTBEAT_SECONDS):
            self._print_line(f"advval: {self._status()}")

    def _print_line(self, line: str) -> None:
        """Write one plain line (off a terminal); it names every open stage, so each of
        them was heard from now, with its counter as it stands."""
        self._stream.write(line + "\n")
        self._stream.flush()
        now = time.monotonic()
        for frame in self._frames:
            frame.printed, frame.done_printed = now, frame.done

    def _refresh(self, *, started: bool, counted: bool = False, inner: int = 0) -> None:
        if not self._live:
            # a plain line when a stage starts (no counter yet), or when its detail changes
            # (with the counter so far: "remedy ... (without dewp) 4/5"), unless it is a
            # unit of a counted stage (its ``inner`` first frames) not yet due; the ticker
            # adds the heartbeat lines of a long stage
            if started and self._unit_due(inner):
                labels = " > ".join(frame.label(counted=counted) for frame in self._frames)
                self._print_line(f"advval: {labels}")
            if self._stop is None:
                self._start_ticker()
            return
        if self._bar is None:
            self._bar = self._tqdm(
                file=self._stream, leave=False, dynamic_ncols=True, bar_format="{desc}"
            )
            self._start_ticker()
        self._draw()

    def _unit_due(self, inner: int) -> bool:
        """Off a terminal, whether a line for the current unit of the innermost counted
        stage among the first ``inner`` open ones is due (always, without one); if so,
        that stage's unit counts as shown."""
        unit = next((f for f in reversed(self._frames[:inner]) if f.total), None)
        if unit is None:
            return True
        if not unit.shows_unit(time.monotonic()):
            return False
        unit.unit_printed = unit.done
        return True

    def _status(self) -> str:
        """The open stages with the innermost one's counter, time spent and time left."""
        top = self._frames[-1]
        elapsed = time.monotonic() - top.started
        timing = self._tqdm.format_interval(elapsed)
        if top.total and top.done and top.done < top.total:
            left = elapsed / top.done * (top.total - top.done)
            timing += f", about {self._tqdm.format_interval(left)} left"
        labels = " > ".join(frame.label() for frame in self._frames)
        return f"{labels} [{timing}]"

    def _draw(self) -> None:
        self._bar.set_description_str(f"advval: {self._status()}")

    def _start_ticker(self) -> None:
        stop = self._stop = threading.Event()

        def run() -> None:
            while not stop.wait(TICK_SECONDS):
                self.tick()

        threading.Thread(target=run, name="advval-progress", daemon=True).start()

    def note(self, text: str) -> None:
        """:meth:`write` ``text``, unless this display has printed it already."""
        with self._lock:
            if text in self._noted:
                return
            self._noted.add(text)
            self.write(text)

    def write(self, text: str) -> None:
        """Print a whole line above the bar (the bar is redrawn below it)."""
        with self._lock:
            if self._live:
                self._tqdm.write(text, file=self._stream)
            else:
                self._stream.write(text + "\n")
                self._stream.flush()

    def close(self) -> None:
        with self._lock:
            if self._stop is not None:
                self._stop.set()
                self._stop = None
            if self._bar is not None:
                self._bar.close()
                self._bar = None


def _has_width(stream: TextIO) -> bool:
    """A terminal that shows a redrawn line: a tty, unless it reports zero columns.

    A pseudo-terminal nobody sized (``script``, ``docker run -t`` in some CI runners)
    reports 0 columns, and a line fitted to it would be empty: such a stream gets the
    plain lines instead.
    """
    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()):
        return False
    try:
        return os.get_terminal_size(stream.fileno()).columns > 0
    except (OSError, ValueError, AttributeError):
        return False


@contextmanager
def progress_display(*, enabled: bool, stream: TextIO | None = None) -> Iterator[None]:
    """Open the run's display (unless one is open already, or ``enabled`` is false).

    Parameters
    ----------
    enabled : bool
        Whether to show progress; ``False`` leaves every :func:`stage` silent.
    stream : text file, optional
        Where the display goes; default ``sys.stderr``.

    Examples
    --------
    >>> with progress_display(enabled=False):
    ...     with stage("fitting", total=2) as bar:
    ...         bar.advance()
    """
    if not enabled or _ACTIVE.get() is not None:
        yield
        return
    display = _Display(stream if stream is not None else sys.stderr)
    token = _ACTIVE.set(display)
    try:
        yield
    finally:
        display.close()
        _ACTIVE.reset(token)


@contextmanager
def stage(name: str, total: int | None = None, *, shared: bool = False) -> Iterator[_Stage]:
    """Show ``name`` (with a counter out of ``total``) while the block runs.

    Silent when no display is open. The stage's line is removed when the block ends.
    With ``shared=True``, code run inside the block may count the stage's units too, with
    :func:`advance` (while no inner stage is open); the handle's ``done`` says how many
    were counted so far.

    Examples
    --------
    >>> with stage("attacking", total=10, shared=True) as bar:
    ...     advance(4)  # deep inside the work; silent here, as no display is open
    ...     bar.advance(10 - bar.done)
    False
    """
    display = _ACTIVE.get()
    if display is None:
        yield _Stage(None)
        return
    frame = _Frame(name, total, shared=shared)
    display.push(frame)
    try:
        yield _Stage(display, frame)
    finally:
        display.pop()


def advance(n: int) -> bool:
    """Count ``n`` units of the enclosing stage, if it was opened with ``shared=True``.

    For library code deep inside a long step (an attack's loop over its rows) that does
    not hold the stage's handle. Nothing happens without a display, or when the innermost
    open stage is not shared (its units may be other things: batches, columns); a shared
    stage's counter never goes past its total. Returns whether the units were counted.

    Examples
    --------
    >>> advance(3)
    False
    """
    display = _ACTIVE.get()
    return False if display is None else display.advance_shared(int(n))


def countdown(total: int) -> Callable[[int], None]:
    """A counter of ``total`` rows for a loop that drops its rows as they finish.

    Call it with the number of rows still left at each step: the rows that finished since
    the last call are counted with :func:`advance`.

    Examples
    --------
    >>> left = countdown(5)
    >>> left(3)  # two rows finished (silent: no display is open)
    >>> left(0)
    """
    finished = 0

    def left(n_left: int) -> None:
        nonlocal finished
        now = total - int(n_left)
        if now > finished:
            advance(now - finished)
            finished = now

    return left


def note(text: str) -> bool:
    """Print ``text`` as its own line now, above any running stage; False when silent.

    A line is printed once per display: a step run twice in one command (a refit on the
    same rows) says nothing new the second time, and says nothing.

    Examples
    --------
    >>> note("nobody listens")
    False
    """
    display = _ACTIVE.get()
    if display is None:
        return False
    display.note(text)
    return True


def is_active() -> bool:
    """Whether a display is open (a caller may then print its own notices through it)."""
    return _ACTIVE.get() is not None
