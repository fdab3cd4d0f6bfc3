"""``advval drift``: is TEST like TRAIN? Load -> AdversarialValidator -> report -> exit code."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from advval import AdversarialValidator
from advval.report import DriftReport, build_drift_report, write_report
from advval.report._markdown import verdict_line

from ._exit import ExitCode, UsageFailure, exit_codes_help
from ._io import read_table, select_columns
from ._options import (
    column_options,
    input_file,
    output_options,
    quiet_option,
    resolve_format,
    seed_option,
)

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_HTML_OUTPUT = Path("advval_drift_report.html")
#: the library's defaults are the command's defaults (one source of truth)
_DEFAULTS = AdversarialValidator().get_params()


@contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    """Show the library's warnings (leaks, data fixes) as ``advval: warning: ...`` lines.

    The command line owns the warning policy: user-facing warnings (``UserWarning`` and
    ``RuntimeWarning`` families) are printed once each; deprecation notices, which are for
    developers, are not.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen: set[str] = set()
            for w in caught:
                message = " ".join(str(w.message).split())
                if issubclass(w.category, (UserWarning, RuntimeWarning)) and message not in seen:
                    seen.add(message)
                    click.echo(f"advval: warning: {message}", err=True)


def _load(
    train: Path | None, test: Path | None, demo: bool
) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    if demo:
        if train is not None or test is not None:
            raise click.UsageError("give either TRAIN and TEST files or --demo, not both")
        from advval.datasets import load_flights

        X_train, X_test = load_flights()
        return X_train, X_test, "demo flights (Jan-Mar)", "demo flights (Jul-Sep)"
    if train is None or test is None:
        missing = "TRAIN and TEST files" if train is None else "the TEST file"
        raise click.UsageError(f"missing {missing}; give TRAIN and TEST, or --demo")
    return read_table(train, "TRAIN"), read_table(test, "TEST"), str(train), str(test)


def _write(report: DriftReport, fmt: str, output: Path | None) -> str:
    if output is None and fmt == "html":
        output = DEFAULT_HTML_OUTPUT
    if output is None or str(output) == "-":
        write_report(report, click.get_text_stream("stdout"), format=fmt)
        return "stdout"
    try:
        write_report(report, output, format=fmt)
    except OSError as exc:
        raise UsageFailure(f"cannot write the report to '{output}': {exc.strerror or exc}") from exc
    return str(output)


@click.command(epilog=exit_codes_help())
@input_file("train")
@input_file("test")
@column_options
@output_options
@seed_option
@click.option(
    "--alpha",
    type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
    default=_DEFAULTS["alpha"],
    show_default=True,
    help="Significance level of the drift test.",
)
@click.option(
    "--min-effect",
    type=click.FloatRange(0.0, 0.5, max_open=True),
    default=_DEFAULTS["min_effect"],
    show_default=True,
    help="Effect floor: drift needs the AUC's lower confidence bound above 0.5 + this.",
)
@click.option(
    "--n-splits",
    type=int,
    default=_DEFAULTS["n_splits"],
    show_default=True,
    help="Cross-validation folds.",
)
@click.option(
    "--max-rows",
    type=int,
    default=None,
    help="Subsample to at most this many rows in total (default: use all rows).",
)
@click.option(
    "--n-jobs",
    type=int,
    default=None,
    help="Threads for the domain classifier (default: all cores).",
)
@click.option(
    "--fail-on-drift",
    is_flag=True,
    help=f"Exit with status {int(ExitCode.DRIFT)} if drift is flagged.",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Run on the bundled NYC flights data (Jan-Mar vs Jul-Sep 2013) instead of files.",
)
@quiet_option
def drift(
    train: Path | None,
    test: Path | None,
    target: str | None,
    ignore: tuple[str, ...],
    ids: tuple[str, ...],
    fmt: str | None,
    output: Path | None,
    seed: int,
    alpha: float,
    min_effect: float,
    n_splits: int,
    max_rows: int | None,
    n_jobs: int | None,
    fail_on_drift: bool,
    demo: bool,
    quiet: bool,
) -> None:
    """Check whether TEST rows look like TRAIN rows (adversarial validation).

    A classifier is trained to tell TRAIN rows from TEST rows. The report gives its AUC
    with a confidence interval and p-value, the verdict, and the features that drive the
    difference. TRAIN and TEST are CSV or Parquet files (by suffix).

    \b
    Examples:
      advval drift train.csv test.csv --target label
      advval drift ref.parquet new.parquet --format json --fail-on-drift
      advval drift --demo
    """
    X_train, X_test, train_name, test_name = _load(train, test, demo)
    X_train, X_test = select_columns(
        X_train, X_test, target=target, ignore=ignore, ids=ids,
        train_name=train_name, test_name=test_name,
    )
    fmt = resolve_format(fmt, output)

    validator = AdversarialValidator(
        n_splits=n_splits,
        alpha=alpha,
        min_effect=min_effect,
        max_rows=max_rows,
        n_jobs=n_jobs,
        random_state=seed,
        verbose=not quiet,
    )
    with _warnings_to_stderr():
        try:
            validator.fit(X_train, X_test)
        except (ValueError, TypeError) as exc:
            raise UsageFailure(str(exc)) from exc
        report = build_drift_report(validator, X_train, X_test)

    destination = _write(report, fmt, output)
    click.echo(f"advval: {verdict_line(report)}", err=True)
    click.echo(f"advval: {fmt} report written to {destination}", err=True)
    if report.drift and fail_on_drift:
        click.get_current_context().exit(ExitCode.DRIFT)
