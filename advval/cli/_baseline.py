"""``advval baseline accept``: write the accepted-drift baseline of a drift JSON report."""

from __future__ import annotations

from pathlib import Path

import click

from advval.compare import Baseline, DocumentError, read_document
from advval.compare._baseline import (
    DEFAULT_AUC_TOLERANCE,
    DEFAULT_COLUMN_TOLERANCE,
    DEFAULT_LIFT_TOLERANCE,
)

from ._exit import UsageFailure, exit_codes_help
from ._options import finite_float
from ._outputs import OutputPlan, Target, report_messages

#: where ``advval baseline accept`` writes without --output
DEFAULT_BASELINE = Path("advval_baseline.json")

#: the file's format and the rule, for the help texts
BASELINE_RULE = (
    "\b\n"
    "With 'advval drift ... --baseline FILE --fail-on-drift' the gate fails only on\n"
    "new or grown drift:\n"
    "  AUC      grown when the lower bound of its interval exceeds the accepted AUC\n"
    "           plus --auc-tolerance; new when the baseline accepted none\n"
    "  column   new when not accepted; grown when its distance (KS D, or total-\n"
    "           variation distance for categories) exceeds the accepted one plus\n"
    "           --column-tolerance plus the sampling margin of a distance,\n"
    "           1.358 * sqrt((n_train + n_test) / (n_train * n_test))\n"
    "  segment  matched to an accepted one over-filling the same side with the\n"
    "           same rule or the same columns: grown when its lift interval moved\n"
    "           beyond the accepted lift by --lift-tolerance (relative); matching\n"
    "           none: new, unless it reads accepted columns only\n"
    "What the baseline accepts and is no longer flagged is reported as such."
)


@click.group(epilog=exit_codes_help())
def baseline() -> None:
    """Accepted-drift baselines: drift a team has looked at and lives with.

    A baseline is a small JSON file (kind "drift_baseline", baseline_version 1): the
    accepted AUC, the accepted columns with their distance, and the accepted segments,
    each with a tolerance. Edit it by hand to accept more or less; give it to
    'advval drift --baseline' (which also takes a whole drift JSON report).
    """


@baseline.command(epilog=BASELINE_RULE + "\n\n" + exit_codes_help())
@click.argument("report", type=click.Path(dir_okay=False, path_type=Path), metavar="REPORT.json")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
    default=DEFAULT_BASELINE,
    show_default=True,
    help="The baseline file ('-' for stdout); never written over REPORT.json.",
)
@click.option(
    "--auc-tolerance",
    type=finite_float(0.0, 1.0),
    default=DEFAULT_AUC_TOLERANCE,
    show_default=True,
    help="How much the AUC's lower confidence bound may exceed the accepted AUC.",
)
@click.option(
    "--column-tolerance",
    type=finite_float(0.0, 1.0),
    default=DEFAULT_COLUMN_TOLERANCE,
    show_default=True,
    help="How much a column's distance (KS D or total-variation distance) may grow.",
)
@click.option(
    "--lift-tolerance",
    type=finite_float(0.0, None),
    default=DEFAULT_LIFT_TOLERANCE,
    show_default=True,
    help="How much further from 1 a segment's lift interval may move, relative to the "
    "accepted lift (0.25: 25%).",
)
def accept(
    report: Path,
    output: Path,
    auc_tolerance: float,
    column_tolerance: float,
    lift_tolerance: float,
) -> None:
    """Accept the drift of a drift JSON report (advval drift --json): write its baseline.

    Every column the report flags (drift or leak-like), every segment, and the AUC when
    the domain classifier flagged drift are accepted, with the tolerances given.

    \b
    Examples:
      advval drift ref.csv new.csv --json report.json
      advval baseline accept report.json -o accepted.json
      advval drift ref.csv new.csv --baseline accepted.json --fail-on-drift
    """
    path = None if str(output) == "-" else output
    target = Target("--output", path, "baseline")
    plan = OutputPlan([target], inputs={"REPORT": report})
    try:
        accepted = Baseline.from_report(
            read_document(report),
            auc_tolerance=auc_tolerance,
            column_tolerance=column_tolerance,
            lift_tolerance=lift_tolerance,
            source=str(report),
        )
    except DocumentError as exc:
        raise UsageFailure(f"REPORT {exc}") from exc
    written = plan.write(None, {target: accepted.dumps().encode("utf-8")})
    auc = "the AUC" if accepted.auc is not None else "no AUC"
    click.echo(
        f"advval: baseline accepts {auc}, {len(accepted.columns)} column"
        f"{'s' if len(accepted.columns) != 1 else ''} and {len(accepted.segments)} segment"
        f"{'s' if len(accepted.segments) != 1 else ''}",
        err=True,
    )
    report_messages(written)
