"""``advval drift``: is TEST like TRAIN? Load -> AdversarialValidator -> report -> exit code."""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click
import numpy as np

from advval import _defaults
from advval.compare import Baseline, DocumentError, apply_baseline
from advval.report._baseline_text import baseline_line
from advval.report._facts_text import facts_line
from advval.report._markdown import verdict_line
from advval.report._segments_text import segments_line

from .._progress import note, stage
from ._ci import ci_options
from ._console import console, warnings_to_stderr
from ._exit import ExitCode, UsageFailure, exit_codes_help, library_error
from ._exports import csv_bytes, row_keys, segments_table, test_likeness_table, weights_table
from ._io import (
    CsvOptions,
    collecting_reading_notes,
    read_files,
    read_numbers_noted,
    read_table,
    sample_rows,
    select_columns,
)
from ._jobs import ClusterOptions, ColumnKindOptions, CommandJob
from ._options import (
    cluster_options,
    column_options,
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
from ._outputs import OutputPlan, Target, report_messages
from ._remedy_note import max_drop_note
from ._split_columns import split_column_note, split_columns

if TYPE_CHECKING:
    import pandas as pd

    from advval import AdversarialValidator, DriftFeatureDropper

#: rows a side brought to the driver for the report's histograms on distributed inputs
OVERLAY_SAMPLE_ROWS = 50_000
#: the library's parameters -> the options that set them, for its error messages
OPTIONS = {
    "n_splits": "--n-splits",
    "alpha": "--alpha",
    "min_effect": "--min-effect",
    "min_distance": "--min-distance",
    "max_rows": "--max-rows",
    "n_jobs": "--n-jobs",
    "random_state": "--seed",
    "max_drop": "--max-drop",
    "time_col": "--time-col",
    "groups": "--group-col",
    "column_kinds": "--categorical / --parse-dates / --text-col",
}
#: the per-row exports: option -> what they hold, for messages
EXPORTS = {
    "--export-test-likeness": "test-likeness CSV",
    "--export-weights": "weights CSV",
    "--export-segments": "segments CSV",
}
#: the per-row exports' help: which classifier scores the rows
LEAK_FREE_EXPORTS = (
    " When leak-like columns are named, the scores come from the classifier fitted again "
    "without them (they separate the sides alone: no weighting can match them)."
)
#: the CSV exports' help: what a spreadsheet does not do with them
SPREADSHEET_SAFE = (
    " Text cells and column names starting with =, +, -, @, a tab or a carriage return get "
    "a leading ' so that a spreadsheet shows them instead of running them as formulas; "
    "numbers stay numbers."
)


#: the other commands print warnings the same way (advval.cli._console)
_warnings_to_stderr = warnings_to_stderr


def _load(
    train: Path | None, test: Path | None, demo: bool, csv: CsvOptions, keep: tuple[str, ...]
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
    with stage(f"reading TRAIN file '{train}'"):
        X_train = read_table(train, "TRAIN", csv, numbers=False)
    with stage(f"reading TEST file '{test}'"):
        X_test = read_table(test, "TEST", csv, numbers=False)
    # both sides at once: a column is read as numbers on both or on neither
    X_train, X_test = read_numbers_noted([X_train, X_test], ["TRAIN", "TEST"], keep=keep)
    return X_train, X_test, str(train), str(test)


@dataclasses.dataclass(frozen=True)
class DriftJob(CommandJob, ColumnKindOptions, ClusterOptions):
    """One ``advval drift`` run, as its options set it (built from click's arguments).

    Each field is the option of the same name (``seed`` is ``--seed``, ``fmt`` is
    ``--format``...); the command reads nothing else. The options other commands take
    too are the fields of the base classes (:mod:`advval.cli._jobs`).
    """

    report: ClassVar[str] = "drift"

    train: Path | None
    test: Path | None
    target: str | None
    ignore: tuple[str, ...]
    ids: tuple[str, ...]
    alpha: float
    min_effect: float
    min_distance: float
    n_splits: int
    max_rows: int | str | None
    n_jobs: int | None
    group_col: str | None
    time_col: str | None
    remedy: bool
    max_drop: int
    export_test_likeness: Path | None
    export_weights: Path | None
    export_segments: Path | None
    fail_on_drift: bool
    baseline: Path | None
    demo: bool
    csv: CsvOptions

    @property
    def exports(self) -> dict[str, Path | None]:
        """The per-row export options and their files (``None``: not asked for)."""
        return {
            "--export-test-likeness": self.export_test_likeness,
            "--export-weights": self.export_weights,
            "--export-segments": self.export_segments,
        }

    @property
    def inputs(self) -> dict[str, Path | None]:
        """TRAIN, TEST and the ``--baseline`` file."""
        return {"TRAIN": self.train, "TEST": self.test, "--baseline": self.baseline}

    def files(self) -> list[Target]:
        """The per-row exports asked for."""
        return [
            Target(option, path, EXPORTS[option]) for option, path in self.exports.items() if path
        ]


@click.command(epilog=exit_codes_help())
@input_file("train")
@input_file("test")
@column_options
@output_options
@seed_option
@click.option(
    "--alpha",
    type=finite_float(0.0, 1.0, min_open=True, max_open=True),
    default=_defaults.VALIDATOR_ALPHA,
    show_default=True,
    help="Significance level of the drift test.",
)
@click.option(
    "--min-effect",
    type=finite_float(0.0, 0.5, max_open=True),
    default=_defaults.VALIDATOR_MIN_EFFECT,
    show_default=True,
    help="Effect floor: drift needs the AUC's lower confidence bound above 0.5 + this.",
)
@click.option(
    "--min-distance",
    type=finite_float(0.0, 1.0, max_open=True),
    default=_defaults.VALIDATOR_MIN_DISTANCE,
    show_default=True,
    help="A column's effect floor: a column counts as drift when its test is significant "
    "and its distance (KS D; total-variation distance for categories) exceeds this.",
)
@click.option(
    "--n-splits",
    type=click.IntRange(min=3),
    default=_defaults.VALIDATOR_N_SPLITS,
    show_default=True,
    help="Cross-validation folds.",
)
@max_rows_option(
    "Rows the domain classifier trains on, both sides together, drawn in proportion. "
    "auto: the budget past which more rows cannot change the verdict on a shift of twice "
    "--min-effect (about 70,000 to 95,000 rows at the defaults; every row below it); all: "
    "every row. The per-column tests and the leak screen read every row either way."
)
@n_jobs_option(
    None,
    "Threads for the domain classifier (default: 1 below 50,000 rows, else the cores that "
    "other work leaves free, so that a busy machine is not oversubscribed).",
)
@click.option(
    "--group-col",
    metavar="COL",
    default=None,
    help="Rows sharing this column's value (a customer, a session) stay in one fold of the "
    "domain classifier's cross-fitting; not used as a feature.",
)
@click.option(
    "--time-col",
    metavar="COL",
    default=None,
    help="Datetime or numeric column: contiguous time blocks stay in one fold; not used as "
    "a feature.",
)
@click.option(
    "--remedy/--no-remedy",
    default=True,
    show_default=True,
    help="When drift is flagged, find the drifting features to drop and the AUC without them "
    "(leak-like columns first). With --no-remedy the check without the leak-like columns "
    "still runs, for the headline.",
)
@click.option(
    "--max-drop",
    type=click.IntRange(min=1),
    default=_defaults.DROPPER_MAX_DROP,
    show_default=True,
    help="Most features the remedy may drop.",
)
@click.option(
    "--export-test-likeness",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    metavar="FILE",
    help="Write a CSV of every row's test-likeness (side, row, --id columns, test_likeness, "
    "out_of_fold: false for rows outside the row budget, scored by the fold models)."
    + LEAK_FREE_EXPORTS
    + SPREADSHEET_SAFE,
)
@click.option(
    "--export-weights",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    metavar="FILE",
    help="Write a CSV of importance weights for the TRAIN rows (density ratio test/train)."
    + LEAK_FREE_EXPORTS
    + SPREADSHEET_SAFE,
)
@click.option(
    "--export-segments",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    metavar="FILE",
    help="Write a CSV of the rows in each segment of the report (side, row, --id columns, "
    "segment: its number in the report)." + SPREADSHEET_SAFE,
)
@click.option(
    "--fail-on-drift",
    is_flag=True,
    help=f"Exit with status {int(ExitCode.DRIFT)} if drift is flagged (with --baseline: "
    "only new or grown drift).",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Accepted drift: a baseline file ('advval baseline accept') or a previous drift "
    "JSON report. The report says what is accepted, new, grown or no longer flagged, and "
    "--fail-on-drift fails only on new or grown drift: a flagged column the baseline does "
    "not accept, or whose distance (KS D / total-variation distance) exceeds the accepted "
    "one plus its tolerance and the distance's sampling margin at these sizes; an AUC "
    "whose lower confidence bound exceeds the accepted AUC plus its tolerance (any, when "
    "none was accepted); a segment matching no accepted one (same side, same rule or "
    "columns) that reads a column not accepted, or whose lift interval moved beyond the "
    "accepted lift by its tolerance. 'advval baseline accept --help' has the file's "
    "format.",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Run on the bundled NYC flights data (Jan-Mar vs Jul-Sep 2013) instead of files.",
)
@kind_options
@csv_options
@cluster_options
@quiet_option
@ci_options
def drift(**options: Any) -> None:
    """Check whether TEST rows look like TRAIN rows (adversarial validation).

    A classifier is trained to tell TRAIN rows from TEST rows. The report gives its AUC
    with a confidence interval and p-value, the verdict, and the features that drive the
    difference. TRAIN and TEST are CSV or TSV (any delimiter, --sep) or Parquet files.

    TRAIN and TEST may also be directories or quoted glob patterns of many files: they
    are then read lazily and the check runs on a Dask cluster (--workers N local worker
    processes, or --scheduler ADDRESS for a running cluster); the report is the same.

    The report is one self-contained HTML page by default; --format, --output, --html,
    --json and --markdown choose others, several in one run (the JSON for a CI gate and
    the HTML page as its artifact).

    \b
    Examples:
      advval drift train.csv test.csv --target label
      advval drift ref.parquet new.parquet --format json --fail-on-drift
      advval drift ref.csv new.csv --json gate.json --html report.html --fail-on-drift
      advval drift 'train/*.parquet' 'test/*.parquet' --workers 4
      advval drift train/ test/ --scheduler tcp://10.0.0.5:8786
      advval drift --demo
    """
    run(DriftJob(**options))


def run(job: DriftJob) -> None:
    """Load TRAIN and TEST (or the demo, or Dask inputs), then check, report and exit."""
    plan = job.plan()
    accepted = _read_baseline(job.baseline)
    with ExitStack() as stack:
        stack.enter_context(console(quiet=job.quiet))
        notes = stack.enter_context(collecting_reading_notes())
        if not job.demo and job.distributed(job.train, job.test):
            train_path, test_path = _distributed_inputs(job.train, job.test, job.exports)
            X_train, X_test = (
                read_files(train_path, "TRAIN", job.csv),
                read_files(test_path, "TEST", job.csv),
            )
            train_name, test_name = str(train_path), str(test_path)
            client = stack.enter_context(job.client(quiet=job.quiet))
        else:
            X_train, X_test, train_name, test_name = _load(
                job.train, job.test, job.demo, job.csv, job.kept_text
            )
            client = None
        _run(
            X_train,
            X_test,
            job,
            train_name=train_name,
            test_name=test_name,
            client=client,
            plan=plan,
            baseline=accepted,
            reading_notes=notes,
        )


def _read_baseline(path: Path | None) -> Baseline | None:
    """The accepted-drift baseline of ``--baseline``, read before any work is done."""
    if path is None:
        return None
    try:
        return Baseline.load(path)
    except DocumentError as exc:
        raise UsageFailure(f"--baseline {exc}") from exc


def _against_baseline(report: Any, baseline: Baseline | None) -> Any:
    """The report with its drift sorted against ``baseline`` (as the JSON file has it)."""
    if baseline is None:
        return report
    import json

    from advval.report import render_json

    try:
        check = apply_baseline(baseline, json.loads(render_json(report)))
    except DocumentError as exc:
        raise UsageFailure(f"--baseline {exc}") from exc
    return dataclasses.replace(report, baseline=check)


def _validator_for_the_exports(
    validator: AdversarialValidator,
    X_train: pd.DataFrame,
    X_test: pd.DataFrame,
    group_col: str | None,
    sides: tuple[str, str],
) -> tuple[AdversarialValidator, list[str]]:
    """The validator whose scores the per-row exports use, and the columns it leaves out.

    Leak-like columns separate the sides on their own (a date with the test months after
    the training ones): every row's test-likeness is then 0 or 1, and no weighting of the
    training rows can match the test rows on them. Weights and test-likeness that can
    correct anything come from the same validator fitted without those columns (one more
    fit, only when they are exported); without leak-like columns, the run's own validator.
    """
    from sklearn.base import clone

    leaks = list(validator.leak_features_)
    if not leaks or len(leaks) == len(validator.feature_names_in_):
        return validator, []
    note(
        f"advval: the weights and test-likeness are fitted without the leak-like columns "
        f"{', '.join(leaks)}: they separate the sides on their own, so no weighting can "
        "match them"
    )
    # a stage of its own: the refit's screening and fitting show under it, not as a rerun
    with stage("fitting again without the leak-like columns, for the exports"):
        # named as the first fit names the files: its warnings read the same (shown once)
        leak_free = clone(validator)._fit_named(
            X_train.drop(columns=leaks), X_test.drop(columns=leaks), groups=group_col, names=sides
        )
    return leak_free, leaks


def _likeness_of_every_row(
    validator: AdversarialValidator, train: pd.DataFrame, test: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Test-likeness of every row and whether it is out-of-fold.

    Rows the classifier trained on (the row budget) have their out-of-fold score; the
    others are scored by the average of the fold models, which never saw them either.
    """
    scores = np.array(validator.oof_proba_, dtype=np.float64)
    out_of_fold = np.isfinite(scores)
    n_train = len(train)
    for frame, offset in ((train, 0), (test, n_train)):
        missing = np.flatnonzero(~out_of_fold[offset : offset + len(frame)])
        if missing.size:
            with stage(f"scoring {missing.size:,} rows outside the row budget"):
                scores[offset + missing] = validator.test_likeness(frame.iloc[missing])
    return scores, out_of_fold


def _distributed_inputs(
    train: Path | None, test: Path | None, exports: dict[str, Path | None]
) -> tuple[Path, Path]:
    """TRAIN and TEST for a Dask run, refusing the per-row exports."""
    if train is None or test is None:
        missing = "TRAIN and TEST" if train is None else "TEST"
        raise click.UsageError(
            f"missing {missing}; --scheduler and --workers need TRAIN and TEST files, "
            "directories or glob patterns"
        )
    for option, value in exports.items():
        if value is not None:
            raise UsageFailure(
                f"{option} writes one line per row and is not available on distributed "
                "inputs (glob patterns, directories, --scheduler, --workers); run it on "
                "single files"
            )
    return train, test


def _with_excluded_columns(report: Any, given: tuple[Any, Any], checked: tuple[Any, Any]) -> Any:
    """The report's summary with the test rows found in train over every common column.

    The validator saw the checked columns only; the target, ``--id`` and ``--ignore``
    columns both files have are compared here too, when there are any.
    """
    from advval.drift._facts import matching_rows_share

    common = set(given[1].columns)
    excluded = [c for c in given[0].columns if c in common and c not in set(checked[0].columns)]
    if not excluded:
        return report
    summary = report.summary
    names = (*summary.excluded_columns, *(c for c in excluded if c not in summary.excluded_columns))
    # no test row matches a train row on the checked columns: none does on more of them
    found = matching_rows_share(*given) if summary.test_rows_in_train > 0 else 0.0
    summary = dataclasses.replace(
        summary,
        test_rows_in_train_all_columns=found,
        excluded_columns=tuple(str(c) for c in names),
    )
    return dataclasses.replace(report, summary=summary)


def _say_max_drop(dropper: DriftFeatureDropper, max_drop: int) -> None:
    """Say that the remedy's budget, not the data, ended its search, and what is left."""
    from advval.drift._summary import remedy_stop

    left = remedy_stop(dropper).flagged_left
    auc = float(dropper.path_["auc"].iloc[-1])
    note(max_drop_note(max_drop, auc, len(dropper.dropped_features_), left))


def row_identifiers(X_train: pd.DataFrame, X_test: pd.DataFrame) -> list[str]:
    """The numeric columns that hold a different whole number in every row of both sides
    (Home Credit's ``SK_ID_CURR``), none missing, in column order.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"SK_ID_CURR": [100002, 100007], "CNT_CHILDREN": [0, 1]})
    >>> test = pd.DataFrame({"SK_ID_CURR": [100001, 100005], "CNT_CHILDREN": [1, 0]})
    >>> row_identifiers(train, test)
    ['SK_ID_CURR']
    """
    import pandas as pd

    found = []
    for column in X_train.columns:
        if column not in X_test.columns:
            continue
        both = pd.concat([X_train[column], X_test[column]], ignore_index=True)
        if not pd.api.types.is_numeric_dtype(both) or pd.api.types.is_bool_dtype(both):
            continue
        values = both.to_numpy(dtype="float64", na_value=np.nan)
        if len(values) < 3 or np.isnan(values).any() or (values != np.round(values)).any():
            continue
        head = values[:1000]  # a repeat among the first rows settles most columns cheaply
        if len(np.unique(head)) == len(head) and len(np.unique(values)) == len(values):
            found.append(str(column))
    return found


def _run(
    X_train: Any,
    X_test: Any,
    job: DriftJob,
    *,
    train_name: str,
    test_name: str,
    client: Any,
    plan: OutputPlan,
    baseline: Baseline | None = None,
    reading_notes: Sequence[str] = (),
) -> None:
    """Fit, report, export, exit code: the same for pandas and (with ``client``) Dask frames.

    ``reading_notes``: what was said about reading the files, for the report.
    """
    # the estimators load LightGBM, scikit-learn and pandas: a help screen does not
    from advval import AdversarialValidator, AdversarialWeighter, DriftFeatureDropper
    from advval.drift import summarize

    from .._frames import align_columns

    distributed = client is not None
    target_values = (
        X_train[job.target]
        if job.target is not None and job.target in X_train.columns and not distributed
        else None
    )
    if distributed:
        train_keys = test_keys = None
    else:
        train_keys = row_keys(X_train, job.ids, "train")
        test_keys = row_keys(X_test, job.ids, "test")
    given = (X_train, X_test)
    X_train, X_test = select_columns(
        X_train,
        X_test,
        target=job.target,
        ignore=job.ignore,
        ids=job.ids,
        train_name=train_name,
        test_name=test_name,
        also_named=job.kinds_named,
    )
    # errors about the data name the user's files, not the library's arguments
    sides = (f"TRAIN file '{train_name}'", f"TEST file '{test_name}'")
    try:
        align_columns(X_train, X_test, names=sides)
    except ValueError as exc:
        raise UsageFailure(str(exc)) from exc
    if not distributed:
        identifiers = row_identifiers(X_train, X_test)
        split = split_columns(X_train, X_test)
        for column in identifiers:
            if column in {c.name for c in split}:
                continue  # said below, with why it separates the files
            note(
                f"advval: column {column!r} holds a different whole number in every row of "
                "both files, as a row identifier does; it is checked as a feature. If it is "
                f"one, --id {shlex.quote(column)} leaves it out and keys the exported rows "
                "by it"
            )
        for found in split:
            option = "--id" if found.name in identifiers else "--ignore"
            note(
                split_column_note(
                    found,
                    identifier=found.name in identifiers,
                    option=f"{option} {shlex.quote(found.name)}",
                )
            )

    validator = AdversarialValidator(
        n_splits=job.n_splits,
        alpha=job.alpha,
        min_effect=job.min_effect,
        min_distance=job.min_distance,
        max_rows=job.max_rows,
        n_jobs=job.n_jobs,
        random_state=job.seed,
        verbose=not job.quiet,
        time_col=job.time_col,
        column_kinds=job.kinds,
        client=client,
    )
    try:
        validator._fit_named(X_train, X_test, groups=job.group_col, names=sides)
        # the remedies reuse the fitted validator: they see its feature columns
        not_features = [c for c in (job.group_col, job.time_col) if c is not None]
        features_train = X_train.drop(columns=not_features) if not_features else X_train
        features_test = X_test.drop(columns=not_features) if not_features else X_test
        # the remedy; without it, still the check without the leak-like columns (one model)
        # for the headline, when there are any
        search = job.remedy or bool(validator.leak_features_)
        dropper = (
            DriftFeatureDropper(
                X_test=features_test,
                validator=validator,
                prefit=True,
                max_drop=job.max_drop if job.remedy else 0,
                random_state=job.seed,
            ).fit(features_train, target_values)
            if search and validator.drift_ and not distributed
            else None
        )
        if dropper is not None and job.remedy and dropper.stop_reason_ == "max_drop":
            _say_max_drop(dropper, job.max_drop)
        # where the sides differ: readable regions, measured on rows the search never saw
        segments = None
        if not distributed:
            with stage("searching segments"):
                segments = validator.segments(features_train, features_test)
        exporting = job.export_weights is not None or job.export_test_likeness is not None
        per_row, leaks = validator, list[str]()
        if exporting and not distributed:
            per_row, leaks = _validator_for_the_exports(
                validator, X_train, X_test, job.group_col, sides
            )
        if leaks:
            features_train = features_train.drop(columns=leaks)
            features_test = features_test.drop(columns=leaks)
        weights = None
        if job.export_weights is not None:
            with stage(f"weighting {len(features_train):,} train rows"):
                weights = (
                    AdversarialWeighter(
                        X_test=features_test, validator=per_row, prefit=True,
                        random_state=job.seed,
                    )
                    ._fit_named(features_train, names=sides)
                    .weights_
                )
        likeness = (
            _likeness_of_every_row(per_row, features_train, features_test)
            if job.export_test_likeness is not None
            else None
        )
    except (ValueError, TypeError, MemoryError) as exc:  # memory: stalled Dask workers
        raise library_error(exc, OPTIONS) from exc
    if distributed:
        plotted = list(validator.feature_report_.index)  # the HTML report plots every column
        X_train = sample_rows(
            X_train, plotted, validator.n_train_, rows=OVERLAY_SAMPLE_ROWS, seed=job.seed
        )
        X_test = sample_rows(
            X_test, plotted, validator.n_test_, rows=OVERLAY_SAMPLE_ROWS, seed=job.seed
        )
        if job.remedy and validator.drift_ and not job.quiet:
            click.echo(
                "advval: the remedy (features to drop) is not searched on distributed "
                "inputs",
                err=True,
            )
    with stage("building the report"):
        report = summarize(
            validator,
            X_train,
            X_test,
            dropper=dropper,
            segments=segments,
            train_name=train_name,
            test_name=test_name,
        )
    if not job.remedy:  # the leak step ran for the headline only
        report = dataclasses.replace(report, remedy=(), remedy_stop=None)
    if report.summary is not None and not distributed:
        report = _with_excluded_columns(report, given, (X_train, X_test))
    if reading_notes:
        report = dataclasses.replace(report, reading_notes=tuple(reading_notes))
    if job.csv.settings:  # --day-first
        report = dataclasses.replace(report, settings={**report.settings, **job.csv.settings})
    report = _against_baseline(report, baseline)

    files = {}
    if likeness is not None and train_keys is not None and test_keys is not None:
        table = test_likeness_table(*likeness, train_keys, test_keys)
        files[plan.target("--export-test-likeness")] = csv_bytes(table)
    if weights is not None and job.export_weights is not None and train_keys is not None:
        files[plan.target("--export-weights")] = csv_bytes(weights_table(weights, train_keys))
    if job.export_segments is not None and segments is not None and train_keys is not None:
        assert test_keys is not None
        table = segments_table(
            segments, (features_train, features_test), (train_keys, test_keys)
        )
        files[plan.target("--export-segments")] = csv_bytes(table)

    # the gate: drift flagged, and with --baseline only new or grown drift (the CI outputs
    # read this flag)
    gate_failed = bool(
        report.drift
        and job.fail_on_drift
        and (report.baseline is None or report.baseline.failed)
    )
    written = job.ci.write(
        plan, report, files, failed=gate_failed,
        gate="--fail-on-drift" if job.fail_on_drift else "",
    )
    click.echo(f"advval: {verdict_line(report)}", err=True)
    if report.baseline is not None:
        click.echo(f"advval: {baseline_line(report.baseline)}", err=True)
    if not job.quiet and report.column_facts:
        click.echo(f"advval: {facts_line(report.column_facts, report.summary)}", err=True)
    if not job.quiet and report.segments:
        click.echo(f"advval: {segments_line(report)}", err=True)
    report_messages(written)
    if gate_failed:
        click.get_current_context().exit(ExitCode.DRIFT)
