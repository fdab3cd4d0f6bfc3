"""``--ci`` and ``--junit``: what a command tells the CI system it runs in.

In GitHub mode (``--ci github``, or ``--ci auto`` with ``GITHUB_ACTIONS=true`` in the
environment, as GitHub Actions sets it) a command that wrote its report

- appends a Markdown job summary (verdict, key numbers with their intervals, top columns
  or attacks, where the report went) to the file named by ``$GITHUB_STEP_SUMMARY``; a
  missing or unwritable variable, or one naming an input or output of the run, is one
  warning line, never a failure;
- prints file-less workflow commands (``::error title=...::message`` when the gate fails,
  ``::warning`` for findings that do not fail it, ``::notice`` for a clean result). They go
  to **stderr**, like every other message of advval: GitHub reads workflow commands from
  both streams, and stdout stays the report's alone (``--output -``). Data is escaped as
  GitHub's workflow-command rules require (``%``, CR and LF in messages; also ``:`` and
  ``,`` in properties), so no column name can start a second command.

``--junit FILE`` (any CI mode) writes the checks as a JUnit XML test report
(:mod:`advval.cli._junit`), planned and written with the other outputs (never over an
input, all or none).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ._ci_outcome import Outcome, outcome
from ._outputs import OutputPlan, Target, _input_files, _same_file

#: --ci choices
CI_MODES = ("auto", "github", "none")
#: GitHub Actions sets it to "true" in every step
GITHUB_VARIABLE = "GITHUB_ACTIONS"
#: the file a step appends its job summary to
SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"
#: longest annotation message printed (GitHub shows a few hundred characters)
MAX_MESSAGE = 1000


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub reads it (``%``, CR, LF).

    Examples
    --------
    >>> escape_data("50% done\\n::error::x")
    '50%25 done%0A::error::x'
    """
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value, escaped (also ``:`` and ``,``).

    Examples
    --------
    >>> escape_property("a:b, c")
    'a%3Ab%2C c'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(level: str, message: str, title: str | None = None) -> str:
    """One GitHub workflow-command line: ``::warning title=T::message``.

    Examples
    --------
    >>> print(workflow_command("error", "drift in 'a,b'\\nnext", title="advval: drift"))
    ::error title=advval%3A drift::drift in 'a,b'%0Anext
    """
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    properties = f" title={escape_property(title)}" if title else ""
    return f"::{level}{properties}::{escape_data(message)}"


def github_mode(mode: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``--ci mode`` means GitHub mode in this environment.

    Examples
    --------
    >>> github_mode("auto", {"GITHUB_ACTIONS": "true"}), github_mode("auto", {})
    (True, False)
    >>> github_mode("none", {"GITHUB_ACTIONS": "true"}), github_mode("github", {})
    (False, True)
    """
    environ = os.environ if environ is None else environ
    if mode == "auto":
        return environ.get(GITHUB_VARIABLE, "").lower() == "true"
    return mode == "github"


@dataclass(frozen=True)
class CiOptions:
    """The ``--ci`` and ``--junit`` options of one run.

    Attributes
    ----------
    mode : {"auto", "github", "none"}
    junit : Path or None
        Where the JUnit XML report goes.
    """

    mode: str = "auto"
    junit: Path | None = None

    def targets(self) -> list[Target]:
        """The outputs to plan with the others: the JUnit report, when asked for."""
        if self.junit is None:
            return []
        return [Target("--junit", self.junit, "JUnit test report")]

    def write(
        self,
        plan: OutputPlan,
        report: Any,
        files: Mapping[Target, bytes] | None = None,
        *,
        failed: bool,
        gate: str = "",
        fail_on: Sequence[str] = (),
        fail_under: float | None = None,
    ) -> list[Target]:
        """Write the run's outputs (``plan.write``) with the JUnit report, then tell GitHub.

        Parameters
        ----------
        plan : OutputPlan
            The run's outputs, :meth:`targets` among them.
        report : a report dataclass
        files : mapping of Target to bytes, optional
            The run's other files (exports, pictures).
        failed : bool
            Whether the gate failed (the command exits with status 1).
        gate, fail_on, fail_under
            The gate as given, for the messages (see :func:`~advval.cli._ci_outcome.outcome`).

        Returns
        -------
        list of Target
            What was written, as :meth:`OutputPlan.write` returns it.
        """
        github = github_mode(self.mode)
        result = None
        if github or self.junit is not None:
            result = outcome(report, failed=failed, gate=gate, fail_on=fail_on,
                             fail_under=fail_under)
        contents = dict(files or {})
        if self.junit is not None and result is not None:
            from ._junit import render_junit

            contents[plan.target("--junit")] = render_junit(result)
        written = plan.write(report, contents)
        if github and result is not None:
            annotate(result)
            append_summary(result, written, plan)
        return written


def annotate(result: Outcome) -> None:
    """Print the outcome's annotations as workflow commands on stderr."""
    for annotation in result.annotations:
        click.echo(
            workflow_command(annotation.level, annotation.message, annotation.title), err=True
        )


def summary_markdown(result: Outcome, written: Sequence[Target]) -> str:
    """The job summary: the outcome's lines and where each output was written.

    Examples
    --------
    >>> from advval.cli._ci_outcome import Outcome
    >>> text = summary_markdown(Outcome("deps", "ok", False, "", (), (), ("### ok",), ()),
    ...                         [Target("--json", None, "json report", "json")])
    >>> print(text.strip())
    ### ok
    <BLANKLINE>
    Written: json report to stdout.
    """
    from advval.report._markdown import md_escape

    # escaped text, not a code span: a code span would show the escapes themselves
    places = [
        f"{t.what} to {'stdout' if t.path is None else md_escape(str(t.path))}"
        for t in written
    ]
    lines = [*result.summary]
    while lines and not lines[-1]:
        lines.pop()
    if places:
        lines += ["", f"Written: {'; '.join(places)}."]
    return "\n".join(lines).strip("\n") + "\n\n"


def append_summary(result: Outcome, written: Sequence[Target], plan: OutputPlan) -> bool:
    """Append the job summary to ``$GITHUB_STEP_SUMMARY``; a warning line when it cannot.

    Returns
    -------
    bool
        Whether the summary was written.
    """
    name = os.environ.get(SUMMARY_VARIABLE, "")
    if not name:
        return _warn(f"{SUMMARY_VARIABLE} is not set; no job summary written")
    path = Path(name)
    clash = next(
        (f"{t.option} {t.where}" for t in plan.targets if _same_file(t.path, path)), None
    ) or next(
        (f"the {role} file" for role, given in plan.inputs.items() if given is not None
         for source in _input_files(Path(given)) if _same_file(source, path)), None
    )
    if clash is not None:
        return _warn(f"{SUMMARY_VARIABLE} '{path}' is {clash} of this run; no job summary "
                     "written")
    try:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(summary_markdown(result, written))
    except OSError as exc:
        return _warn(f"cannot append the job summary to {SUMMARY_VARIABLE} '{path}': "
                     f"{exc.strerror or exc}")
    return True


def _warn(message: str) -> bool:
    click.echo(f"advval: warning: {message}", err=True)
    return False


#: --ci, --junit: every command that writes a report
def ci_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--ci`` and ``--junit``, given to the command as ``ci`` (a :class:`CiOptions`)."""

    @functools.wraps(command)
    def with_ci(*args: Any, ci_mode: str, junit: Path | None, **kwargs: Any) -> Any:
        from ._config import announce_config

        announce_config(bool(kwargs.get("quiet")))
        return command(*args, ci=CiOptions(ci_mode, junit), **kwargs)

    with_ci = click.option(
        "--junit",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        default=None,
        metavar="FILE",
        help="Also write the checks as a JUnit XML test report (GitLab "
        "artifacts:reports:junit, Jenkins, Azure DevOps, CircleCI): one testcase per check "
        "(the verdict, each column or attack), failed when it flags something; the job's "
        "status stays the exit code.",
    )(with_ci)
    with_ci = click.option(
        "--ci",
        "ci_mode",
        type=click.Choice(CI_MODES),
        default="auto",
        show_default=True,
        help="CI outputs. github: append a Markdown job summary to $GITHUB_STEP_SUMMARY and "
        "print ::error:: / ::warning:: / ::notice:: annotations on stderr (stdout stays the "
        "report's); auto: github when GITHUB_ACTIONS=true; none: neither.",
    )(with_ci)
    return with_ci
