"""``advval drift`` cases: hostile tables, file names, options, report names, missing extras."""

from __future__ import annotations

import re

from . import hostile
from .corpus import Case, cli_case, frame_files, lazy, shared

#: frame recipes that are not a valid check: name -> (why, what the message names)
FRAME_ERRORS = {
    "val-single-row": ("one row per side cannot be split into folds", "rows|fold|--n-splits"),
    "val-two-rows": ("two rows per side cannot be split into 5 folds", "rows|fold|--n-splits"),
    "val-all-missing": ("every value is missing: there is no feature to compare",
                        "missing|column"),
    "val-inf": ("infinite values are refused, naming the column", "'a'"),
    "val-minus-inf": ("infinite values are refused, naming the column", "'a'"),
}
#: the byte-level CSV files that are not a readable table (exit 2 naming the file)
CSV_ERRORS = {
    "empty": "an empty file has no header",
    "header-only": "a header without rows has nothing to compare",
    "bom-header-only": "a header without rows has nothing to compare",
    "ragged-long-row": "a row with more fields than the header is garbled",
    "binary-garbage": "random bytes are not a CSV table",
    "mixed-encodings": "bytes that are not UTF-8 are not text",
    "utf16": "a UTF-16 file is not the UTF-8 CSV the command reads",
    "unterminated-quote": "a quote that is never closed swallows the rest of the file",
    "blank-lines-only": "blank lines are no table",
    "gzip-corrupt": "a corrupt gzip stream is unreadable",
    "txt-suffix": "only CSV and Parquet suffixes are read (the message lists them)",
    "no-suffix": "only CSV and Parquet suffixes are read (the message lists them)",
}
#: files where reading and a clear refusal are both documented
CSV_EITHER = {
    "ragged-short-row": "pandas pads a short row with missing values; refusing it with a "
                        "message naming the row is documented too",
    "nul-bytes": "NUL bytes inside fields are read as text or refused; either way without a "
                 "traceback",
}
PARQUET_ERRORS = {
    "nested-struct": "a struct column is no feature (the message names the column)",
    "nested-list": "a list column is no feature (the message names the column)",
    "nested-map": "a map column is no feature (the message names the column)",
    "zero-rows": "a table without rows has nothing to compare",
    "garbage": "random bytes are not Parquet",
    "truncated": "a cut Parquet file has no footer",
    "csv-named-parquet": "CSV text is not Parquet",
}
#: the nested Parquet columns, named in their messages
NESTED_COLUMN = "nested"


def _frame_cases() -> list[Case]:
    found = []
    for name, make in hostile.FRAMES.items():
        files = frame_files(make)
        html = name.startswith("col-")
        argv = ["train.csv", "test.csv", "--quiet"] + (
            ["--output", "report.html"] if html else ["--format", "json"])
        error, names = FRAME_ERRORS.get(name, (None, None))
        found.append(cli_case(
            f"drift-frame-{name}", "drift", argv,
            expect=2 if error else 0,
            why=error or "a table pandas reads is a valid input: the check runs", names=names,
            files=files, outputs=("report.html",) if html and not error else (),
            stdout_json=not html and not error,
            checks=("html-escaped",) if name == "col-html" else (),
        ))
    found.append(cli_case(
        "drift-frame-separable-fail-on-drift", "drift",
        ["train.csv", "test.csv", "--quiet", "--format", "json", "--fail-on-drift"],
        expect=1, why="drift ten standard deviations wide is flagged; --fail-on-drift gates",
        files=frame_files(hostile.FRAMES["val-separable"]), stdout_json=True))
    return found


def csv_expectation(name: str) -> tuple[int | tuple[int, ...], str, bool]:
    """The exit code of a byte-level CSV file, why, and whether it is an error."""
    if name in CSV_ERRORS:
        return 2, CSV_ERRORS[name], True
    if name in CSV_EITHER:
        return (0, 2), CSV_EITHER[name], False
    return 0, "a readable table: the check runs", False


def _byte_cases() -> list[Case]:
    found = []
    tables = {name: (".csv", make) for name, make in hostile.CSV_BYTES.items()}
    tables.update(hostile.CSV_SUFFIXED)
    for name, (suffix, make) in tables.items():
        content = lazy(make)
        expect, why, error = csv_expectation(name)
        train, test = f"train{suffix}", f"test{suffix}"
        found.append(cli_case(
            f"drift-csv-{name}", "drift", [train, test, "--quiet", "--format", "json"],
            expect=expect, why=why, names=re.escape(train) if error else None,
            files={train: content, test: content}, stdout_json=not error))
    for name in ("semicolon-separated", "tab-separated"):
        content = lazy(hostile.CSV_BYTES[name])
        found.append(cli_case(
            f"drift-csv-{name}-read-with-commas", "drift",
            ["train.csv", "test.csv", "--sep", ",", "--quiet", "--format", "json"], expect=2,
            why="a file read as one column whose header holds another delimiter is refused",
            names=r"train\.csv.*--sep", files={"train.csv": content, "test.csv": content}))
    for name, make in hostile.PARQUET_BYTES.items():
        content = lazy(make)
        refusal = PARQUET_ERRORS.get(name)
        names = NESTED_COLUMN if name.startswith("nested") else r"train\.parquet"
        found.append(cli_case(
            f"drift-parquet-{name}", "drift",
            ["train.parquet", "test.parquet", "--quiet", "--format", "json"],
            expect=2 if refusal else 0,
            why=refusal or "a readable Parquet table: the check runs",
            names=names if refusal else None,
            files={"train.parquet": content, "test.parquet": content},
            stdout_json=not refusal))
    return found


#: file names that are legal on disk: (case name, TRAIN name, TEST name)
FILE_NAMES = [
    ("glob-characters", "tr[1]*.csv", "te?[x].csv"),
    ("spaces", "my train.csv", "my test.csv"),
    ("unicode", "трейн 📊.csv", "テスト.csv"),
    ("newline", "train\nfile.csv", "test\rfile.csv"),
    ("leading-dash", "-train.csv", "-test.csv"),
]


def _file_name_cases() -> list[Case]:
    found = []
    train, test = frame_files(hostile.base_pair).values()
    for name, train_name, test_name in FILE_NAMES:
        dash = ["--"] if train_name.startswith("-") else []
        found.append(cli_case(
            f"drift-filename-{name}", "drift",
            ["--quiet", "--format", "json", *dash, train_name, test_name], expect=0,
            why="any name the file system allows names that file",
            files={train_name: train, test_name: test}, stdout_json=True))
    return found


#: option cases: (name, options, exit code, pattern the message must match, why)
OPTIONS: list[tuple[str, list[str], int | tuple[int, ...], str | None, str]] = [
    ("alpha-nan", ["--alpha", "nan"], 2, "--alpha", "alpha must be in (0, 1)"),
    ("alpha-inf", ["--alpha", "inf"], 2, "--alpha", "alpha must be in (0, 1)"),
    ("alpha-negative", ["--alpha", "-0.1"], 2, "--alpha", "alpha must be in (0, 1)"),
    ("alpha-zero", ["--alpha", "0"], 2, "--alpha", "alpha must be in (0, 1)"),
    ("alpha-one", ["--alpha", "1"], 2, "--alpha", "alpha must be in (0, 1)"),
    ("alpha-text", ["--alpha", "abc"], 2, "--alpha", "alpha is a number"),
    ("min-effect-nan", ["--min-effect", "nan"], 2, "--min-effect", "min-effect in [0, 0.5)"),
    ("min-effect-inf", ["--min-effect", "inf"], 2, "--min-effect", "min-effect in [0, 0.5)"),
    ("min-effect-negative", ["--min-effect", "-0.1"], 2, "--min-effect",
     "min-effect in [0, 0.5)"),
    ("min-effect-half", ["--min-effect", "0.5"], 2, "--min-effect", "min-effect in [0, 0.5)"),
    ("n-splits-zero", ["--n-splits", "0"], 2, "--n-splits", "at least two folds"),
    ("n-splits-one", ["--n-splits", "1"], 2, "--n-splits", "at least two folds"),
    ("n-splits-negative", ["--n-splits", "-3"], 2, "--n-splits", "at least two folds"),
    ("n-splits-more-than-rows", ["--n-splits", "1000000"], 2, "--n-splits",
     "more folds than rows"),
    ("n-splits-huge", ["--n-splits", str(10**30)], 2, "--n-splits", "more folds than rows"),
    ("n-splits-float", ["--n-splits", "2.5"], 2, "--n-splits", "folds are a whole number"),
    ("n-splits-nan", ["--n-splits", "nan"], 2, "--n-splits", "folds are a whole number"),
    ("max-rows-zero", ["--max-rows", "0"], 2, "--max-rows", "a row budget is positive"),
    ("max-rows-negative", ["--max-rows", "-1"], 2, "--max-rows", "a row budget is positive"),
    ("max-rows-one", ["--max-rows", "1"], 2, "--max-rows",
     "one row cannot hold both samples"),
    ("max-rows-huge", ["--max-rows", str(10**18)], 0, None,
     "a budget above the row count uses every row"),
    ("max-rows-beyond-int64", ["--max-rows", str(10**30)], 0, None,
     "a budget above the row count uses every row"),
    ("n-jobs-2048", ["--n-jobs", "2048"], 2, "--n-jobs", "thread counts are bounded"),
    ("n-jobs-zero", ["--n-jobs", "0"], 2, "--n-jobs", "zero threads cannot run"),
    ("n-jobs-minus-2048", ["--n-jobs", "-2048"], 2, "--n-jobs", "thread counts are bounded"),
    ("n-jobs-huge", ["--n-jobs", str(10**30)], 2, "--n-jobs", "thread counts are bounded"),
    ("seed-negative", ["--seed", "-1"], 2, "--seed", "a seed is in [0, 2**32)"),
    ("seed-huge", ["--seed", str(2**64)], 2, "--seed", "a seed is in [0, 2**32)"),
    ("seed-text", ["--seed", "x"], 2, "--seed", "a seed is an integer"),
    ("max-drop-zero", ["--max-drop", "0"], 2, "--max-drop", "at least one feature"),
    ("max-drop-nan", ["--max-drop", "nan"], 2, "--max-drop", "a whole number"),
    ("max-drop-huge", ["--max-drop", str(10**30)], 0, None,
     "a limit above the feature count is no limit"),
    ("max-rows-nan", ["--max-rows", "nan"], 2, "--max-rows", "a whole number"),
    ("n-jobs-minus-one", ["--n-jobs", "-1"], 0, None, "-1: all cores"),
    ("n-jobs-nan", ["--n-jobs", "nan"], 2, "--n-jobs", "a whole number"),
    ("seed-nan", ["--seed", "nan"], 2, "--seed", "a seed is an integer"),
    ("workers-2048", ["--workers", "2048"], 2, "--workers", "at most one per core"),
    ("workers-nan", ["--workers", "nan"], 2, "--workers", "a whole number"),
    ("scheduler-timeout-inf", ["--scheduler-timeout", "inf"], 2, "--scheduler-timeout",
     "a timeout is a finite number"),
    ("format-unknown", ["--format", "xml"], 2, "--format", "html, json or markdown"),
    ("scheduler-timeout-nan", ["--scheduler-timeout", "nan"], 2, "--scheduler-timeout",
     "a timeout is a positive number"),
    ("scheduler-timeout-negative", ["--scheduler-timeout", "-1"], 2, "--scheduler-timeout",
     "a timeout is a positive number"),
    ("workers-zero", ["--workers", "0"], 2, "--workers", "at least one worker"),
    ("group-col-missing", ["--group-col", "nope"], 2, "nope", "the column must exist"),
    ("time-col-missing", ["--time-col", "nope"], 2, "nope", "the column must exist"),
    ("time-col-text", ["--time-col", "c"], 2, "--time-col|'c'",
     "a time column is datetime or numeric"),
    ("target-missing", ["--target", "nope"], 2, "--target", "the column must exist"),
    ("id-missing", ["--id", "nope"], 2, "--id", "the column must exist"),
    ("ignore-everything", ["--ignore", "a", "--ignore", "b", "--ignore", "c"], 2,
     "no feature column", "nothing is left to compare"),
    ("unknown-option", ["--bogus"], 2, "--bogus", "click names the unknown option"),
]


def _option_cases() -> list[Case]:
    found = []
    for name, options, expect, names, why in OPTIONS:
        found.append(cli_case(
            f"drift-option-{name}", "drift",
            [shared("train.csv"), shared("test.csv"), "--quiet", "--format", "json", *options],
            expect=expect, why=why, names=names, stdout_json=expect == 0))
    found += [
        cli_case("drift-usage-demo-and-files", "drift",
                 [shared("train.csv"), shared("test.csv"), "--demo", "--quiet"], expect=2,
                 why="--demo replaces the files", names="--demo"),
        cli_case("drift-usage-no-arguments", "drift", [], expect=2,
                 why="TRAIN and TEST are needed", names="TRAIN"),
        cli_case("drift-usage-missing-file", "drift", ["nope.csv", shared("test.csv")],
                 expect=2, why="a file that does not exist", names="nope.csv"),
        cli_case("drift-usage-directory-of-nothing", "drift", ["empty/", "empty/"],
                 expect=2, why="a folder without tables", names="empty",
                 files={"empty/.keep": ""}),
        cli_case("drift-usage-glob-matching-nothing", "drift",
                 ["nothing-*.csv", "nothing-*.csv"], expect=2,
                 why="a pattern that matches no file", names=r"nothing-\*\.csv"),
    ]
    return found


def _output_cases() -> list[Case]:
    both = frame_files(hostile.base_pair)
    test = both["test.csv"]
    specs: list[tuple[str, list[str], int | tuple[int, ...], str | None, str, tuple[str, ...]]] = [
        ("output-is-train", ["--output", "train.csv"], 2, "train.csv",
         "a report never overwrites an input", ()),
        ("output-is-test", ["--output", "test.csv"], 2, "test.csv",
         "a report never overwrites an input", ()),
        ("output-is-train-dotted", ["--output", "./sub/../train.csv"], 2, "train.csv",
         "the same file under another spelling", ()),
        ("output-is-train-symlink", ["--output", "link.html"], (0, 2), None,
         "a link to an input: refused, or replaced by the report; the input stays intact", ()),
        ("output-is-train-hardlink", ["--output", "hard.csv"], (0, 2), None,
         "a second name of an input: refused, or replaced; the input stays intact", ()),
        ("export-weights-is-output", ["--output", "r.json", "--export-weights", "r.json"], 2,
         "r.json", "two outputs on one path keep only one", ()),
        ("export-weights-is-train", ["--export-weights", "train.csv"], 2, "train.csv",
         "an export never overwrites an input", ()),
        ("export-likeness-is-test", ["--export-test-likeness", "test.csv"], 2, "test.csv",
         "an export never overwrites an input", ()),
        ("exports-on-one-path", ["--export-weights", "e.csv", "--export-test-likeness",
                                 "e.csv"], 2, "e.csv", "two outputs on one path", ()),
        ("output-is-directory", ["--output", "sub"], 2, "sub",
         "a folder is not a report file", ()),
        ("output-parent-is-file", ["--output", "train.csv/report.json"], 2, "report.json",
         "the folder of the report is a file", ()),
        ("output-folder-missing", ["--output", "nowhere/report.json"], 2, "nowhere",
         "the report's folder does not exist", ()),
        ("failed-report-leaves-no-export", ["--output", "train.csv/r.json", "--export-weights",
                                            "w.csv"], 2, "r.json",
         "a run that cannot write its report leaves no half set of outputs", ()),
        ("output-newline-name", ["--output", "rep\nort.json"], 0, None,
         "any name the file system allows", ("rep\nort.json",)),
        ("output-unicode-name", ["--output", "отчёт 📊.html"], 0, None,
         "any name the file system allows", ("отчёт 📊.html",)),
        ("output-glob-name", ["--output", "r[1]*?.json"], 0, None,
         "any name the file system allows", ("r[1]*?.json",)),
        ("output-html-to-stdout", ["--format", "html", "--output", "-"], 0, None,
         "'-' is stdout for every format", ()),
        ("default-html-name", [], 0, None, "html goes to advval_drift_report.html",
         ("advval_drift_report.html",)),
        ("all-outputs", ["--output", "r.md", "--export-weights", "w.csv",
                         "--export-test-likeness", "l.csv"], 0, None,
         "a report and both exports", ("r.md", "w.csv", "l.csv")),
    ]
    found = []
    links = {"link.html": ("train.csv", "soft"), "hard.csv": ("train.csv", "hard")}
    for name, options, expect, names, why, outputs in specs:
        found.append(cli_case(
            f"drift-output-{name}", "drift", ["train.csv", "test.csv", "--quiet", *options],
            expect=expect, why=why, names=re.escape(names) if names else None,
            files={**both, "sub/.keep": ""}, outputs=outputs,
            links={k: v for k, v in links.items() if k in options}))
    found.append(cli_case(
        "drift-output-formula-ids-in-exports", "drift",
        ["train.csv", "test.csv", "--quiet", "--id", "=id", "--format", "json", "--export-weights",
         "w.csv", "--export-test-likeness", "l.csv"], expect=0,
        why="exports run; cells a spreadsheet would evaluate are escaped",
        files=frame_files(_formula_ids), outputs=("w.csv", "l.csv"), stdout_json=True,
        checks=("no-formula-cells",)))
    found.append(cli_case(
        "drift-output-failed-run-keeps-previous-report", "drift",
        ["bad.csv", "test.csv", "--quiet", "--output", "report.html"], expect=2,
        why="a run that fails leaves the previous report as it was", names=r"bad\.csv",
        files={"bad.csv": b"", "test.csv": test, "report.html": "<html>previous</html>\n"}))
    return found


def _missing_extra_cases() -> list[Case]:
    parquet = lazy(hostile.PARQUET_BYTES["valid"])
    return [
        cli_case("drift-extra-no-pyarrow", "drift",
                 ["train.parquet", "test.parquet", "--quiet", "--format", "json"], expect=3,
                 why="Parquet needs pyarrow: exit 3 with the pip fix",
                 names=r"pip install", hide=("pyarrow",),
                 files={"train.parquet": parquet, "test.parquet": parquet}),
        cli_case("drift-extra-no-dask", "drift",
                 ["t*.csv", "t*.csv", "--quiet", "--format", "json"], expect=3,
                 why="glob patterns run on Dask: exit 3 with the pip fix",
                 names=r"pip install", hide=("dask", "distributed"),
                 files={"train.csv": frame_files(hostile.base_pair)["train.csv"]}),
    ]


def _formula_ids() -> hostile.Pair:
    """The base pair with an ``=id`` column of values a spreadsheet would evaluate."""
    train, test = hostile.base_pair()
    formulas = ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "\tTAB", "\rCR"]
    for frame in (train, test):
        frame["=id"] = [formulas[i % len(formulas)] + str(i) for i in range(len(frame))]
    return train, test


def cases() -> list[Case]:
    """Every ``advval drift`` case."""
    return (_frame_cases() + _byte_cases() + _file_name_cases() + _option_cases()
            + _output_cases() + _missing_extra_cases())
