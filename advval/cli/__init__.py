"""The ``advval`` command line: a thin click group, one module per command.

Each command loads its inputs, calls the library, writes the report and returns an
:class:`~advval.cli._exit.ExitCode`. click is imported only here, never by ``import advval``.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from .._version import __version__
from ._attack import attack
from ._deps import deps
from ._drift import drift
from ._exit import ExitCode, exit_codes_help
from ._image import image

__all__ = ["ExitCode", "cli", "main"]


@click.group(
    help="advval: adversarial validation and attacks from the command line. Is the test data "
    "like the training data (drift)? How do the columns depend on each other (deps)? How "
    "easily can a model be pushed into a wrong answer (attack)? How robust is an image "
    "classifier (image evaluate)?\n\n" + exit_codes_help(),
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="advval")
def cli() -> None:
    """The ``advval`` group; the commands are registered below."""


cli.add_command(drift)
cli.add_command(deps)
cli.add_command(attack)
cli.add_command(image)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``advval`` command line (the ``advval`` console script).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after the program name; default ``sys.argv[1:]``.
    """
    cli.main(args=list(argv) if argv is not None else None, prog_name="advval")
