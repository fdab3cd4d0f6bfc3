"""The ``advval`` command line: a thin click group, one module per command.

Each command loads its inputs, calls the library, writes the report and returns an
:class:`~advval.cli._exit.ExitCode`. click is imported only here, never by ``import advval``.
"""

from __future__ import annotations

import importlib
import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

from .._version import __version__

# OpenMP threads that wait by spinning make every process slower when a machine runs more
# threads than cores (four concurrent checks took 9x longer each); waiting passively costs
# nothing measurable on a quiet machine. libgomp reads this once, when LightGBM or
# scikit-learn first load it, so it is set before the commands import them. A user's own
# setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from ._config import config_option, load_defaults  # noqa: E402 - after the setting
from ._exit import ExitCode, Terminated, exit_codes_help  # noqa: E402 - after the setting

#: command name -> the module that defines it, imported when the command runs (a drift
#: check does not pay for importing the attack modules, seconds on a busy machine)
COMMANDS = {
    "attack": "_attack",
    "baseline": "_baseline",
    "deps": "_deps",
    "diff": "_diff",
    "drift": "_drift",
    "image": "_image",
}
#: command name -> the first paragraph of its help: ``advval --help`` lists the commands
#: from here without importing them (LightGBM, scikit-learn and pandas take seconds of CPU
#: to import; tests/test_cli_startup.py checks that each entry matches its command's help)
SUMMARIES = {
    "attack": "Attack MODEL on the rows of DATA and report how robust it is.",
    "baseline": "Accepted-drift baselines: drift a team has looked at and lives with.",
    "deps": "Check how DATA's columns depend on each other: redundancy, leaks, IDs, shift.",
    "diff": "Compare two JSON reports of one kind: OLD.json and NEW.json.",
    "drift": "Check whether TEST rows look like TRAIN rows (adversarial validation).",
    "image": "Image classifiers: how robust is a model on a set of images (evaluate)?",
}

__all__ = ["ExitCode", "cli", "main"]


#: set to 1 to see the traceback of an internal error instead of its one-line summary
DEBUG_VARIABLE = "ADVVAL_DEBUG"


class _Guarded(click.Group):
    """The ``advval`` group: no traceback reaches the user.

    Ctrl-C ends the command with exit status 130 and one line; any other unexpected
    exception with one line naming it and status 4 (``ADVVAL_DEBUG=1`` lets it propagate,
    traceback and all). The outputs' temporary files are removed on the way out by the
    writer itself (:func:`advval.report._sink.write_files`).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module = importlib.import_module(f"{__name__}.{COMMANDS[cmd_name]}")
            self.add_command(getattr(module, cmd_name))
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands' one-line summaries, without importing the commands not yet loaded."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is None and name in SUMMARIES:
                summary = click.Command(name, help=SUMMARIES[name])
                rows.append((name, summary.get_short_help_str(limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("advval: interrupted (Ctrl-C)", err=True)
            raise click.exceptions.Exit(ExitCode.INTERRUPTED) from None
        except Terminated:
            click.echo("advval: terminated (SIGTERM)", err=True)
            raise click.exceptions.Exit(ExitCode.TERMINATED) from None
        except Exception as exc:
            if os.environ.get(DEBUG_VARIABLE) == "1":
                raise
            click.echo(internal_error_line(exc), err=True)
            raise click.exceptions.Exit(ExitCode.INTERNAL_ERROR) from None


def internal_error_line(exc: BaseException) -> str:
    """The one line an unexpected error prints.

    Examples
    --------
    >>> print(internal_error_line(RuntimeError("boom,  at line 2")))
    advval: internal error: RuntimeError: boom, at line 2 (please report it; ADVVAL_DEBUG=1
    shows the traceback)
    """
    message = " ".join(str(exc).split())
    if len(message) > 300:
        message = message[:297] + "..."
    name = type(exc).__name__ + (f": {message}" if message else "")
    return (
        f"advval: internal error: {name} (please report it; {DEBUG_VARIABLE}=1 shows the "
        "traceback)"
    )


@click.group(
    cls=_Guarded,
    help="advval: adversarial validation and attacks from the command line. Is the test data "
    "like the training data (drift)? How do the columns depend on each other (deps)? How "
    "easily can a model be pushed into a wrong answer (attack)? How robust is an image "
    "classifier (image evaluate)?\n\n" + exit_codes_help(),
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="advval")
@config_option
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """The ``advval`` group: the config file's defaults for the invoked command."""
    load_defaults(ctx, config_path)




def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``advval`` command line (the ``advval`` console script).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after the program name; default ``sys.argv[1:]``.
    """
    with _sigterm_raises():
        cli.main(args=list(argv) if argv is not None else None, prog_name="advval")


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` in the main thread (exit 143, outputs cleaned up)."""

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread: leave the signal alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
