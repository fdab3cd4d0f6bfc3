"""The exit codes of every ``advval`` command, and the errors that carry them."""

from __future__ import annotations

import re
from collections.abc import Mapping
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
    #: an unexpected error inside advval (a bug): one line on stderr, ``ADVVAL_DEBUG=1``
    #: shows the traceback
    INTERNAL_ERROR = 4
    #: ``advval diff``: the new report is worse beyond noise and ``--fail-on-worse`` given
    WORSE = 5
    #: interrupted by Ctrl-C (SIGINT); no output is left half-written
    INTERRUPTED = 130
    #: stopped by SIGTERM (a CI job's timeout, ``kill``); no output is left half-written
    TERMINATED = 143


_DESCRIPTIONS = {
    ExitCode.OK: "ran, no drift flagged",
    ExitCode.DRIFT: "drift flagged and --fail-on-drift given (deps: a finding named by "
    "--fail-on; attack and image evaluate: robust accuracy below --fail-under)",
    ExitCode.USAGE: "bad input or usage (the message names the file, column or option)",
    ExitCode.MISSING_DEPENDENCY: 'missing optional dependency (the message gives the '
    '"pip install advval[...]" fix)',
    ExitCode.INTERNAL_ERROR: "internal error: please report it (ADVVAL_DEBUG=1 shows the "
    "traceback)",
    ExitCode.WORSE: "diff: the new report is worse beyond the intervals and "
    "--fail-on-worse given",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); no output is left half-written",
    ExitCode.TERMINATED: "terminated (SIGTERM, e.g. a CI timeout); no output is left "
    "half-written",
}


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM (see ``advval.cli.main``).

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception`` on
    the way swallows it and every ``finally`` (temporary outputs removed) runs.
    """


def exit_codes_help() -> str:
    """The exit-code table for ``--help`` texts (kept unwrapped by click's ``\\b`` marker).

    Examples
    --------
    >>> print(exit_codes_help().splitlines()[2])
      0    ran, no drift flagged
    """
    rows = "\n".join(f"  {int(code):<3}  {_DESCRIPTIONS[code]}" for code in ExitCode)
    return f"\b\nExit codes:\n{rows}"


class UsageFailure(click.ClickException):
    """Bad input: printed as ``Error: <message>`` on stderr, exit status 2."""

    exit_code = ExitCode.USAGE


class MissingDependency(click.ClickException):
    """An optional dependency is missing: ``Error: <message with pip fix>``, exit status 3."""

    exit_code = ExitCode.MISSING_DEPENDENCY


#: how the library names a parameter in its errors (scikit-learn's shape)
_PARAMETER = re.compile(r"[Tt]he '(\w+)' parameter(?: of \w+)?")


def library_error(
    exc: BaseException, options: Mapping[str, str], context: str | None = None
) -> UsageFailure:
    """A library error as a usage error that names the option instead of the parameter.

    The library's messages name its parameters (``The 'max_rows' parameter of
    AdversarialValidator must be ...``, ``n_splits=5 needs ...``); a command line user
    typed options. ``options`` maps parameter names to the options that set them. A
    message that names no option is about the inputs: ``context`` (which names them) is
    put in front of it.

    Examples
    --------
    >>> error = ValueError("The 'max_rows' parameter of AdversarialValidator must be an "
    ...                    "int in the range [10, inf). Got 4 instead.")
    >>> library_error(error, {"max_rows": "--max-rows"}).message
    '--max-rows must be an int in the range [10, inf). Got 4 instead.'
    >>> library_error(ValueError("n_splits=5 needs 5 rows"), {"n_splits": "--n-splits"}).message
    '--n-splits 5 needs 5 rows'
    >>> library_error(ValueError("no tree"), {}, "MODEL 'm.txt' on DATA file 'd.csv'").message
    "MODEL 'm.txt' on DATA file 'd.csv': no tree"
    """
    original = " ".join(str(exc).split()) or type(exc).__name__

    def option(match: re.Match[str]) -> str:
        return options.get(match.group(1), match.group(0))

    message = _PARAMETER.sub(option, original)
    for parameter, name in options.items():
        message = re.sub(rf"\b{re.escape(parameter)}=(?=\S)", f"{name} ", message)
    if message == original and context is not None:
        message = f"{context}: {message}"
    return UsageFailure(message)
