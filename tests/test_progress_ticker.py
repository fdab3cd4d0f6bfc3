"""The terminal progress line keeps counting the time of a stage that takes no step.

A real table's long steps (SHAP on 90,000 rows, one remedy refit, screening 127 columns)
run for tens of seconds without a counted step; the line must not stand still at the
time of its last step meanwhile.
"""

from __future__ import annotations

import os
import select
import sys
import threading
import time

import pytest

from advval import _progress
from advval._progress import progress_display, stage

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


class _Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def _terminal(columns: int = 120) -> tuple[int, int]:
    import fcntl
    import struct
    import termios

    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    return leader, follower


def _read_until(leader: int, text: str, patience: float = 10.0) -> str:
    """What the terminal shows until ``text`` appears (or ``patience`` seconds pass)."""
    shown, deadline = "", time.monotonic() + patience
    while text not in shown and time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.05)
        if ready:
            shown += os.read(leader, 65536).decode(errors="replace")
    return shown


def _tickers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "advval-progress"]


def test_a_stage_without_steps_shows_its_time_growing(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(_progress, "time", clock)
    monkeypatch.setattr(_progress, "TICK_SECONDS", 0.01, raising=False)
    leader, follower = _terminal()
    with os.fdopen(follower, "w") as stream:
        with progress_display(enabled=True, stream=stream):
            with stage("explaining (SHAP)"):
                assert "[00:00]" in _read_until(leader, "[00:00]")
                clock.now += 65  # a minute passes and the stage takes no step
                shown = _read_until(leader, "[01:05]")
                assert "advval: explaining (SHAP) [01:05]" in shown
            with stage("remedy", total=4) as bar:
                bar.advance()
                clock.now += 30  # 30 s after one step of four: 90 s left
                shown = _read_until(leader, "[00:30, about 01:30 left]")
                assert "remedy 1/4 [00:30, about 01:30 left]" in shown
        for ticker in _tickers():
            ticker.join(timeout=10)
        assert not _tickers()  # the ticker ends with the display
    os.close(leader)


def test_no_ticker_off_a_terminal(monkeypatch):
    import io

    monkeypatch.setattr(_progress, "TICK_SECONDS", 0.01, raising=False)
    stream = io.StringIO()
    with progress_display(enabled=True, stream=stream), stage("fitting", total=2) as bar:
        assert not _tickers()
        bar.advance()
    assert stream.getvalue().splitlines() == ["advval: fitting"]
