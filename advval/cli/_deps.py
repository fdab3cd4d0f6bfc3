"""``advval deps``: how do DATA's columns depend on each other? Load -> checker -> report."""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Collection, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click

from advval import _defaults
from advval.report._dependency import redundant_line, summary_line

from .._progress import note, stage
from ._ci import ci_options
from ._console import console
from ._exit import ExitCode, UsageFailure, exit_codes_help, library_error
from ._io import (
    CsvOptions,
    collecting_reading_notes,
    read_files,
    read_numbers_noted,
    read_table,
)
from ._jobs import ClusterOptions, ColumnKindOptions, CommandJob
from ._options import (
    cluster_options,
    csv_options,
    finite_float,
    input_file,
    kind_options,
    max_rows_option,
    n_jobs_option,
    output_options,
    quiet_option,
    seed_option,
)
from ._outputs import OutputPlan, report_messages

if TYPE_CHECKING:
    import pandas as pd

#: findings --fail-on can name
FINDINGS = ("leak", "redundant", "shift")
#: the library's parameters -> the options that set them, for its error messages
OPTIONS = {
    "n_splits": "--n-splits",
    "alpha": "--alpha",
    "max_features": "--max-features",
    "max_rows": "--max-rows",
    "n_jobs": "--n-jobs",
    "random_state": "--seed",
    "column_kinds": "--categorical / --parse-dates / --text-col",
}


def _check_columns(
    columns: list[str],
    target: str | None,
    ignore: tuple[str, ...],
    ids: tuple[str, ...],
    name: str,
    also_named: list[tuple[str, str]],
    test_columns: Collection[str] = (),
) -> list[str]:
    """The columns to leave out of the check; every named column must be in DATA, but an
    --ignore or --id column may be in the --compare TEST file alone (``test_columns``)."""
    named = [("--target", target)] if target is not None else []
    named += [("--ignore", c) for c in ignore] + [("--id", c) for c in ids]
    for option, column in [*named, *also_named]:
        if column in columns:
            continue
        if option in ("--ignore", "--id") and column in test_columns:
            continue
        raise UsageFailure(f"{option} column '{column}' is not in DATA file '{name}'")
    return list(dict.fromkeys(c for _, c in named if c is not None))


@dataclasses.dataclass(frozen=True)
class DepsJob(CommandJob, ColumnKindOptions, ClusterOptions):
    """One ``advval deps`` run, as its options set it (built from click's arguments).

    Each field is the option of the same name (``seed`` is ``--seed``, ``fmt`` is
    ``--format``, ``compare`` is ``--compare``...); the command reads nothing else. The
    options other commands take too are the fields of the base classes
    (:mod:`advval.cli._jobs`).
    """

    report: ClassVar[str] = "deps"

    data: Path
    target: str | None
    ignore: tuple[str, ...]
    ids: tuple[str, ...]
    compare: Path | None
    alpha: float
    n_splits: int
    max_rows: int | str | None
    n_jobs: int | None
    max_features: int
    fail_on: tuple[str, ...]
    csv: CsvOptions

    @property
    def inputs(self) -> dict[str, Path | None]:
        """DATA and the ``--compare`` file."""
        return {"DATA": self.data, "--compare": self.compare}


@click.command(epilog=exit_codes_help())
@input_file("data", required=True)
@click.option(
    "--target", metavar="COL", help="Label column: enables the leak check; not a feature."
)
@click.option("--ignore", metavar="COL", multiple=True, help="Column to leave out (repeatable).")
@click.option(
    "--id",
    "ids",
    metavar="COL",
    multiple=True,
    help="Row identifier column, excluded (repeatable).",
)
@click.option(
    "--compare",
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
    default=None,
    metavar="TEST",
    help="A second CSV / Parquet file with the same columns: report which relationships "
    "between columns changed from DATA to TEST (dependency shift).",
)
@output_options
@seed_option
@click.option(
    "--alpha",
    type=finite_float(0.0, 1.0, min_open=True, max_open=True),
    default=_defaults.CHECKER_ALPHA,
    show_default=True,
    help="Significance level (after the correction over columns).",
)
@click.option(
    "--n-splits",
    type=click.IntRange(min=2),
    default=_defaults.CHECKER_N_SPLITS,
    show_default=True,
    help="Folds of the cross-fitting of data under 10,000 rows (larger data: one hold-out "
    "split).",
)
@max_rows_option(
    "Rows the per-column models use, drawn uniformly from DATA. auto: the budget past "
    "which more rows cannot make any column's score more precise than +-0.01 (24,598 rows "
    "at the defaults: 10,000 to train each column's model, 14,598 to score it, and as many "
    "TEST rows for --compare; every row below it); all: every row; N: at most N rows of "
    "DATA and of TEST. The columns' kinds, the ID-like flags and the per-column tests of "
    "--compare read every row either way."
)
@n_jobs_option(
    None,
    "LightGBM threads per model (default: 1, as no model trains on 50,000 rows or more).",
)
@click.option(
    "--max-features",
    type=click.IntRange(min=2),
    default=_defaults.CHECKER_MAX_FEATURES,
    show_default=True,
    help="Column budget: one model is fitted per column, so wider data is refused.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FINDINGS),
    multiple=True,
    help=f"Exit with status {int(ExitCode.DRIFT)} when this finding is present (repeatable): "
    "leak (a column alone predicts --target), redundant (a column is predicted by the "
    "others), shift (a relationship changed in --compare).",
)
@kind_options
@csv_options
@cluster_options
@quiet_option
@ci_options
def deps(**options: Any) -> None:
    """Check how DATA's columns depend on each other: redundancy, leaks, IDs, shift.

    Every column is predicted from all the others out-of-sample; the report gives each
    column's score (0: unpredictable, 1: determined) and which columns explain it, the
    redundant, ID-like and near-duplicate columns, with --target the columns that alone
    predict the label (leaks), and with --compare the relationships that changed. DATA and
    TEST are CSV or Parquet files (by suffix). The report is one self-contained HTML page
    by default (a heatmap of which columns explain which, the column table, the flagged
    columns, the shift table), written to --output or advval_deps_report.html; json and
    markdown go to stdout unless --output is given. --html, --json and --markdown write
    several formats in one run.

    Large files are checked on a row budget (--max-rows, auto by default): the models of
    the columns use a uniform sample of rows, enough to know each score to +-0.01; a line
    at the start says so. Date strings are read as dates, free text and codes with no
    frequent value (a flight number, an ID) are predictors but not predicted
    (--parse-dates, --text-col and --categorical say what a column is).

    DATA may also be a directory or a quoted glob pattern of many files: it is read lazily
    on a Dask cluster (--workers N local processes, or --scheduler ADDRESS), and the
    checks run on a seeded sample of its rows drawn there (--compare needs single files).

    \b
    Examples:
      advval deps train.csv --target label
      advval deps train.csv --compare test.csv --format markdown
      advval deps train.csv --target label --compare test.csv -o deps.html
      advval deps train.parquet --target y --fail-on leak --format json -o deps.json
      advval deps train.csv --target y --json deps.json --html deps.html
      advval deps 'logs/*.parquet' --target y --workers 4
    """
    run(DepsJob(**options))


def run(job: DepsJob) -> None:
    """Read DATA (a file, or many on a Dask cluster), then check, report and exit."""
    plan = job.plan()
    if "shift" in job.fail_on and job.compare is None:
        raise UsageFailure("--fail-on shift needs a second file: pass --compare TEST")
    distributed = job.distributed(job.data)
    if distributed and job.compare is not None:
        raise UsageFailure(
            "--compare is not available on distributed inputs (glob patterns, directories, "
            "--scheduler, --workers); compare single files"
        )
    with ExitStack() as stack:
        stack.enter_context(console(quiet=job.quiet))
        notes = stack.enter_context(collecting_reading_notes())
        client: Any = None
        if distributed:
            frame = read_files(job.data, "DATA", job.csv)
            client = stack.enter_context(job.client(quiet=job.quiet))
        else:
            with stage(f"reading DATA file '{job.data}'"):
                frame = read_table(
                    job.data, "DATA", job.csv, numbers=job.compare is None, keep=job.kept_text
                )
        _run(frame, job, client=client, plan=plan, reading_notes=notes)


def _only_in_data_hint(X: Any, other: Any) -> str:
    """How to run on when DATA has columns TEST lacks: a Kaggle label is in train only.

    Examples
    --------
    >>> import pandas as pd
    >>> data, test = pd.DataFrame(columns=["a", "sale price"]), pd.DataFrame(columns=["a"])
    >>> hint = _only_in_data_hint(data, test)
    >>> hint.split(" (")[0]
    " A column only DATA has, such as a label, is left out with --ignore 'sale price'"
    """
    present, known = set(other.columns), set(X.columns)
    only = [str(c) for c in X.columns if c not in present]
    extra = [str(c) for c in other.columns if c not in known]
    hint = ""
    if only:
        name = shlex.quote(only[0])
        hint = (
            f" A column only DATA has, such as a label, is left out with --ignore {name} (or "
            f"named with --target {name}, which also checks it for leaks)."
        )
    if extra:
        options = " ".join(f"--ignore {shlex.quote(c)}" for c in extra[:3])
        hint += f" A column only TEST has is left out with {options}."
    return hint


def _run(
    frame: Any,
    job: DepsJob,
    *,
    client: Any,
    plan: OutputPlan,
    reading_notes: Sequence[str] = (),
) -> None:
    """Check, report, exit code: the same for a pandas and (with ``client``) a Dask frame.

    ``reading_notes``: what was said about reading the files (the TEST file's too, read
    here), for the report.
    """
    # the checker loads LightGBM, scikit-learn and pandas: a help screen does not
    from advval import FeatureDependencyChecker
    from advval.dependency import summarize

    from .._frames import align_columns

    other = None
    if job.compare is not None:
        with stage(f"reading TEST file '{job.compare}'"):
            other = read_table(job.compare, "TEST", job.csv, numbers=False)
        # both sides at once: a column is read as numbers on both or on neither
        frame, other = read_numbers_noted([frame, other], ["DATA", "TEST"], keep=job.kept_text)
    excluded = _check_columns(
        list(frame.columns),
        job.target,
        job.ignore,
        job.ids,
        str(job.data),
        job.kinds_named,
        test_columns=[] if other is None else list(other.columns),
    )
    y = frame[job.target] if job.target is not None else None
    X = frame.drop(columns=[c for c in excluded if c in frame.columns])
    if X.shape[1] == 0:
        raise UsageFailure(
            f"no feature column is left in DATA file '{job.data}' after removing the --target, "
            "--ignore and --id columns"
        )
    X_test = None
    # errors about the data name the user's files, not the library's arguments
    sides = (f"DATA file '{job.data}'", f"TEST file '{job.compare}'")
    if other is not None:
        other = other.drop(columns=[c for c in excluded if c in other.columns])
        try:
            X_test = align_columns(X, other, names=sides)
        except ValueError as exc:
            raise UsageFailure(str(exc) + _only_in_data_hint(X, other)) from exc

    checker = FeatureDependencyChecker(
        n_splits=job.n_splits,
        alpha=job.alpha,
        max_features=job.max_features,
        max_rows=job.max_rows,
        column_kinds=job.kinds,
        n_jobs=job.n_jobs,
        random_state=job.seed,
        client=client,
    )
    rows = "the rows" if client is not None else f"{len(X):,} rows"
    note(f"advval: checking {X.shape[1]} columns of {rows} from '{job.data}'")
    try:
        target = f"--target column '{job.target}' of DATA file '{job.data}'"
        checker._fit_named(X, y, names=(sides[0], target))
        # the fit's models serve the shift too (prefit): one model per column in all
        shift = (
            None
            if X_test is None
            else checker._shift_named(X, X_test, prefit=True, names=sides)
        )
    except (ValueError, TypeError, MemoryError) as exc:  # memory: stalled Dask workers
        raise library_error(exc, OPTIONS) from exc
    settings = {
        "target": job.target,
        "compare": None if job.compare is None else str(job.compare),
        "max_rows": job.max_rows,
        "n_rows_used": int(checker.n_rows_used_),
        **({} if shift is None else shift_rows(shift)),
        **job.csv.settings,
    }
    with stage("building the report"):
        report = summarize(
            checker, shift, n_rows=int(checker.n_rows_in_), settings=settings
        )
    if reading_notes:
        report = dataclasses.replace(report, reading_notes=tuple(reading_notes))

    present = {
        "leak": bool(report.leaking),
        "redundant": bool(report.redundant),
        "shift": bool(report.shifted),
    }
    gate_failed = any(present[name] for name in job.fail_on)
    written = job.ci.write(
        plan, report, failed=gate_failed, fail_on=job.fail_on,
        gate=" ".join(f"--fail-on {name}" for name in job.fail_on),
    )
    click.echo(f"advval: {summary_line(report)}", err=True)
    redundant = redundant_line(report)
    if redundant is not None:
        click.echo(f"advval: {redundant}", err=True)
    report_messages(written)
    if gate_failed:
        click.get_current_context().exit(ExitCode.DRIFT)


def shift_rows(shift: pd.DataFrame) -> dict[str, int]:
    """The rows the dependency-shift check was given and used, for the report's settings.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame()
    >>> table.attrs.update(n_train_rows=9, n_train_rows_used=6, n_test_rows=5,
    ...                    n_test_rows_used=5)
    >>> shift_rows(table)["shift_n_train_rows_used"]
    6
    """
    keys = ("n_train_rows", "n_train_rows_used", "n_test_rows", "n_test_rows_used")
    return {f"shift_{key}": int(shift.attrs[key]) for key in keys}
