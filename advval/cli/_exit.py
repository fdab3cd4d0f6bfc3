"""The exit codes of every ``advval`` command, and the errors that carry them."""

from __future__ import annotations

from enum import IntEnum

import click


class ExitCode(IntEnum):
    """Process exit status of an ``advval`` command.

    Examples
    --------
    >>> int(ExitCode.DRIFT), ExitCode(2).name
    (1, 'USAGE')
    """

    #: ran, no drift (or threshold) flagged
    OK = 0
    #: drift flagged (or threshold exceeded) and ``--fail-on-drift`` / ``--fail-on`` given
    DRIFT = 1
    #: bad input or usage; the message names the file, column or option
    USAGE = 2
    #: an optional dependency is missing; the message gives the ``pip install`` fix
    MISSING_DEPENDENCY = 3


_DESCRIPTIONS = {
    ExitCode.OK: "ran, no drift flagged",
    ExitCode.DRIFT: "drift flagged and --fail-on-drift given (deps: a finding named by "
    "--fail-on; attack and image evaluate: robust accuracy below --fail-under)",
    ExitCode.USAGE: "bad input or usage (the message names the file, column or option)",
    ExitCode.MISSING_DEPENDENCY: 'missing optional dependency (the message gives the '
    '"pip install advval[...]" fix)',
}


def exit_codes_help() -> str:
    """The exit-code table for ``--help`` texts (kept unwrapped by click's ``\\b`` marker).

    Examples
    --------
    >>> print(exit_codes_help().splitlines()[2])
      0  ran, no drift flagged
    """
    rows = "\n".join(f"  {int(code)}  {_DESCRIPTIONS[code]}" for code in ExitCode)
    return f"\b\nExit codes:\n{rows}"


class UsageFailure(click.ClickException):
    """Bad input: printed as ``Error: <message>`` on stderr, exit status 2."""

    exit_code = ExitCode.USAGE


class MissingDependency(click.ClickException):
    """An optional dependency is missing: ``Error: <message with pip fix>``, exit status 3."""

    exit_code = ExitCode.MISSING_DEPENDENCY
