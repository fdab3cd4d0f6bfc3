"""The terminal progress line keeps counting the time of a stage that takes no step.

A real table's long steps (SHAP on 90,000 rows, one remedy refit, screening 127 columns)
run for tens of seconds without a counted step; the line must not stand still at the
time of its last step meanwhile.
"""

from __future__ import annotations

import os
import re
import select
import sys
import threading
import time

import numpy as np
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


def test_a_short_stage_off_a_terminal_prints_its_start_line_only(monkeypatch):
    import io

    clock = _Clock()
    monkeypatch.setattr(_progress, "time", clock)
    monkeypatch.setattr(_progress, "TICK_SECONDS", 3600.0)  # the test ticks by hand
    stream = io.StringIO()
    with progress_display(enabled=True, stream=stream):
        display = _progress._ACTIVE.get()
        with stage("fitting", total=2) as bar:
            bar.advance()
            clock.now += 29  # counter moved, but under 30 s: no line yet
            display.tick()
    assert stream.getvalue().splitlines() == ["advval: fitting"]


def test_a_long_stage_off_a_terminal_prints_heartbeats(monkeypatch):
    """A CI log hears from a long stage every 30-60 s, with its counter and times."""
    import io

    clock = _Clock()
    monkeypatch.setattr(_progress, "time", clock)
    monkeypatch.setattr(_progress, "TICK_SECONDS", 3600.0)
    stream = io.StringIO()
    with progress_display(enabled=True, stream=stream):
        display = _progress._ACTIVE.get()
        with stage("TreeAttack on 934 rows", total=934) as bar:
            for _ in range(10):  # the ticker wakes every second of a quiet minute
                clock.now += 6
                display.tick()
            bar.advance(234)
            for _ in range(40):  # steps every second: one line per 30 s, not more
                clock.now += 1
                bar.advance(1)
                display.tick()
            clock.now += 19  # 29 s after the last line, 10 steps since: silent
            display.tick()
            clock.now += 1  # 30 s: a line with the new counter
            display.tick()
            clock.now += 59  # no step since: silent for 59 s
            display.tick()
            clock.now += 1  # 60 s without a step: a line all the same
            display.tick()
    assert stream.getvalue().splitlines() == [
        "advval: TreeAttack on 934 rows",
        "advval: TreeAttack on 934 rows 0/934 [01:00]",
        "advval: TreeAttack on 934 rows 264/934 [01:30, about 03:48 left]",
        "advval: TreeAttack on 934 rows 274/934 [02:00, about 04:49 left]",
        "advval: TreeAttack on 934 rows 274/934 [03:00, about 07:13 left]",
    ]


def test_heartbeats_name_the_inner_stage_and_stop_with_it(monkeypatch):
    import io

    clock = _Clock()
    monkeypatch.setattr(_progress, "time", clock)
    monkeypatch.setattr(_progress, "TICK_SECONDS", 3600.0)
    stream = io.StringIO()
    with progress_display(enabled=True, stream=stream):
        display = _progress._ACTIVE.get()
        with stage("remedy", total=3) as outer:
            with stage("refit"):
                clock.now += 60
                display.tick()
            outer.advance()
            clock.now += 10  # the outer stage was heard 10 s ago, through its inner line
            display.tick()
        clock.now += 600  # no stage open: nothing to say
        display.tick()
    assert stream.getvalue().splitlines() == [
        "advval: remedy",
        "advval: remedy > refit",
        "advval: remedy 0/3 > refit [01:00]",
    ]


def test_the_ticker_off_a_terminal_ends_with_the_display(monkeypatch):
    import io

    monkeypatch.setattr(_progress, "TICK_SECONDS", 0.01)
    stream = io.StringIO()
    with progress_display(enabled=True, stream=stream), stage("fitting", total=2) as bar:
        bar.advance()
    for ticker in _tickers():
        ticker.join(timeout=10)
    assert not _tickers()
    assert stream.getvalue().splitlines() == ["advval: fitting"]


def test_disabled_progress_writes_nothing_and_starts_no_thread(monkeypatch):
    import io

    clock = _Clock()
    monkeypatch.setattr(_progress, "time", clock)
    monkeypatch.setattr(_progress, "TICK_SECONDS", 0.01)
    stream = io.StringIO()
    with progress_display(enabled=False, stream=stream), stage("fitting", total=2) as bar:
        assert not _tickers()
        clock.now += 600
        bar.advance()
    assert stream.getvalue() == ""


@pytest.mark.parametrize("quiet", [True, False])
def test_quiet_command_prints_no_heartbeat(monkeypatch, tmp_path, quiet):
    """With heartbeats due at every tick, ``--quiet`` still prints no progress at all."""
    from click.testing import CliRunner

    from advval.cli import ExitCode, cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_progress, "TICK_SECONDS", 0.001)
    monkeypatch.setattr(_progress, "HEARTBEAT_SECONDS", 0.0)
    monkeypatch.setattr(_progress, "HEARTBEAT_IDLE_SECONDS", 0.0)
    args = ["drift", "--demo", "--format", "json", "--n-jobs", "1"]
    result = CliRunner().invoke(cli, args + (["--quiet"] if quiet else []),
                                catch_exceptions=False)
    assert result.exit_code in (ExitCode.OK, ExitCode.DRIFT), result.output
    beat = re.compile(r"^advval: .* \[\d\d:\d\d(, about \d\d:\d\d left)?\]$")
    heartbeats = [line for line in result.stderr.splitlines() if beat.match(line)]
    assert (heartbeats == []) is quiet


class _Log:
    """A log file (not a terminal) that notes the clock's time of each line written."""

    def __init__(self, clock: _Clock) -> None:
        self.clock, self.lines, self.times = clock, [], []

    def write(self, text: str) -> None:
        for line in text.splitlines():
            self.lines.append(line)
            self.times.append(self.clock.now)

    def flush(self) -> None:
        pass


def _columns_loop(log: _Log, clock: _Clock, n: int, seconds: int = 0) -> None:
    """A dependency check's loop: a counted stage naming each column, a fit inside it
    that takes ``seconds`` (the ticker waking each second)."""
    with progress_display(enabled=True, stream=log):  # type: ignore[arg-type]
        display = _progress._ACTIVE.get()
        with stage("each column from the others", total=n) as bar:
            for j in range(n):
                bar.describe(f"c{j}")
                with stage("fitting"):
                    for _ in range(seconds):
                        clock.now += 1
                        display.tick()
                bar.advance()


@pytest.mark.parametrize("n", [400, 4000])
def test_a_quick_loop_over_many_columns_prints_a_line_per_tenth(monkeypatch, n):
    """Off a terminal, 400 columns or 4,000 print the same few lines: the columns a tenth
    of the way apart, each with the fit started inside it (the same column's next phase)."""
    clock = _Clock()
    monkeypatch.setattr(_progress, "time", clock)
    monkeypatch.setattr(_progress, "TICK_SECONDS", 3600.0)
    log = _Log(clock)
    _columns_loop(log, clock, n)
    name = "advval: each column from the others"
    shown = [k * n // 10 for k in range(10)]
    assert log.lines == [name] + [
        line
        for j in shown
        for line in (f"{name} (c{j}) {j}/{n}", f"{name} (c{j}) > fitting")
    ]


def test_a_slow_loop_over_many_columns_is_never_quiet_for_long(monkeypatch):
    """Columns of 7 s each: a line at least every 30 s (a column's line once the stage was
    quiet that long, or a heartbeat), far fewer lines than columns."""
    clock = _Clock()
    monkeypatch.setattr(_progress, "time", clock)
    monkeypatch.setattr(_progress, "TICK_SECONDS", 3600.0)
    log = _Log(clock)
    start = clock.now
    _columns_loop(log, clock, 400, seconds=7)
    gaps = np.diff([start, *log.times, clock.now])
    assert gaps.max() <= _progress.HEARTBEAT_SECONDS + 7  # a column ends, the next prints
    assert 2 * 400 * 7 / 37 < len(log.lines) < 2 * (400 * 7 / 28 + 11)
    # a column that starts 30 s after the stage's last line is named with its fit
    assert "advval: each column from the others (c5) 5/400" in log.lines
    assert "advval: each column from the others (c5) > fitting" in log.lines
    assert not any("(c4)" in line for line in log.lines)


def test_a_slow_column_in_a_quick_loop_gets_its_heartbeat(monkeypatch):
    """A column whose fit takes two minutes is heard from while it runs, by name."""
    clock = _Clock()
    monkeypatch.setattr(_progress, "time", clock)
    monkeypatch.setattr(_progress, "TICK_SECONDS", 3600.0)
    log = _Log(clock)
    with progress_display(enabled=True, stream=log):  # type: ignore[arg-type]
        display = _progress._ACTIVE.get()
        with stage("shift", total=50) as bar:
            for j in range(50):
                bar.describe(f"c{j}")
                if j == 7:
                    for _ in range(120):
                        clock.now += 1
                        display.tick()
                bar.advance()
    assert log.lines[:3] == [
        "advval: shift",
        "advval: shift (c0) 0/50",
        "advval: shift (c5) 5/50",
    ]
    assert log.lines[3:5] == [  # heartbeats: 30 s after a line, then every 60 s
        "advval: shift (c7) 7/50 [00:30, about 03:04 left]",
        "advval: shift (c7) 7/50 [01:30, about 09:12 left]",
    ]
    assert log.times[3:5] == [1030.0, 1090.0]
    assert log.lines[5:] == [  # 30 s since the last line, then a tenth apart again
        f"advval: shift (c{j}) {j}/50" for j in range(8, 50, 5)
    ]


def test_a_stage_of_few_units_shows_every_detail(monkeypatch):
    """The remedy's steps (at most --max-drop of them) each print, a step that does not
    count (a leak-like column) too."""
    clock = _Clock()
    monkeypatch.setattr(_progress, "time", clock)
    monkeypatch.setattr(_progress, "TICK_SECONDS", 3600.0)
    log = _Log(clock)
    with (
        progress_display(enabled=True, stream=log),  # type: ignore[arg-type]
        stage("remedy", total=5) as bar,
    ):
        for column, counts in (("row_id", 0), ("a", 1), ("b", 1)):
            bar.describe(f"without {column}")
            with stage("fitting domain classifier", total=8):
                pass
            bar.advance(counts)
    assert log.lines == [
        "advval: remedy",
        "advval: remedy (without row_id) 0/5",
        "advval: remedy (without row_id) > fitting domain classifier",
        "advval: remedy (without a) 0/5",
        "advval: remedy (without a) > fitting domain classifier",
        "advval: remedy (without b) 1/5",
        "advval: remedy (without b) > fitting domain classifier",
    ]


def test_a_terminal_still_shows_every_column(monkeypatch):
    """On a terminal the line is redrawn for each column, thinned or not off it."""
    monkeypatch.setattr(_progress, "TICK_SECONDS", 3600.0)
    leader, follower = _terminal()
    with (
        os.fdopen(follower, "w") as stream,
        progress_display(enabled=True, stream=stream),
        stage("each column", total=30) as bar,
    ):
        for j in range(30):
            bar.describe(f"col{j:02d}")
            bar.advance()
        shown = _read_until(leader, "(col29) 30/30")
    os.close(leader)
    assert all(f"(col{j:02d}) {j}/30" in shown for j in range(30))
