"""``advval diff``: what changed from one JSON report to another, and whether it got worse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from advval.compare import DocumentError, diff_reports, read_document

from ._exit import ExitCode, UsageFailure, exit_codes_help
from ._options import resolve_format
from ._outputs import OutputPlan, Target, report_messages

#: the diff's formats; Markdown (a pull-request comment) by default
DIFF_FORMATS = ("markdown", "json", "html")


def _report(path: Path, role: str) -> dict[str, Any]:
    try:
        return read_document(path)
    except DocumentError as exc:
        raise UsageFailure(f"{role} report {exc}") from exc


@click.command(epilog=exit_codes_help())
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path), metavar="OLD.json")
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path), metavar="NEW.json")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(DIFF_FORMATS),
    default=None,
    help="Format of the diff. Default: from the --output suffix (.md, .json, .html), else "
    "markdown.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
    default=None,
    help="Where the diff goes ('-' or none: stdout). Written whole or not at all, never "
    "over OLD or NEW.",
)
@click.option(
    "--fail-on-worse",
    is_flag=True,
    help=f"Exit with status {int(ExitCode.WORSE)} when the new report is worse beyond the "
    "intervals (see above).",
)
def diff(old: Path, new: Path, fmt: str | None, output: Path | None, fail_on_worse: bool) -> None:
    """Compare two JSON reports of one kind: OLD.json and NEW.json.

    Drift, deps, attack (robustness) and image evaluate reports, as --json writes them.
    The diff gives both verdicts, the headline figures with their 95% intervals (drift:
    the AUC; attack and image: clean and robust accuracy, each attack's robust
    accuracy), and the columns, features, attacks and flags whose state changed.

    \b
    "Worse" is decided beyond noise:
      drift   drift newly flagged, a column that started drifting or became
              leak-like, or an AUC that rose by more than the two intervals allow
      deps    a column newly leaking the target, or newly shifted
      attack  clean or robust accuracy fell by more than the two 95% Wilson
      image   intervals allow (n_samples of each report)
    Two intervals "allow" a difference up to their half-widths combined in
    quadrature (a two-sample z-test at 5%).

    Reports of two kinds are a usage error (exit 2).

    \b
    Examples:
      advval diff main.json branch.json > comment.md
      advval diff old.json new.json --format json --fail-on-worse
      advval diff old.json new.json -o diff.html
    """
    chosen = resolve_format(fmt, output, "markdown")
    path = None if output is None or str(output) == "-" else output
    target = Target("--output", path, f"{chosen} diff")
    plan = OutputPlan([target], inputs={"OLD": old, "NEW": new})
    old_doc, new_doc = _report(old, "OLD"), _report(new, "NEW")
    try:
        result = diff_reports(old_doc, new_doc, old_name=str(old), new_name=str(new))
    except DocumentError as exc:
        raise UsageFailure(str(exc)) from exc
    from advval.report import render_diff_html, render_diff_json, render_diff_markdown
    from advval.report._diff import summary_line

    render = {
        "markdown": render_diff_markdown,
        "json": render_diff_json,
        "html": render_diff_html,
    }[chosen]
    text = render(result)
    written = plan.write(None, {target: (text if text.endswith("\n") else text + "\n").encode()})
    click.echo(f"advval: {summary_line(result)}", err=True)
    if path is not None:
        report_messages(written)
    if result.worse and fail_on_worse:
        click.get_current_context().exit(ExitCode.WORSE)
