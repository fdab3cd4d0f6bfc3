"""``advval deps`` cases: hostile tables, options, --compare, outputs."""

from __future__ import annotations

import re

import numpy as np

from . import cases_drift, hostile
from .corpus import Case, cli_case, frame_files, lazy, shared

#: frame recipes that are not a valid dependency check: name -> (why, what the message names)
FRAME_ERRORS = {
    **cases_drift.FRAME_ERRORS,
    "val-two-rows": ("two rows cannot be split into 3 folds", "rows|fold|--n-splits"),
}
#: one model per column: 300 columns take minutes (the budget case below covers width)
SLOW_FRAMES = ("val-wide",)
#: report to stdout as JSON
JSON = ["--format", "json"]


def _frame_cases() -> list[Case]:
    found = []
    for name, make in hostile.FRAMES.items():
        if name in SLOW_FRAMES:
            continue
        error, names = FRAME_ERRORS.get(name, (None, None))
        html = name in ("col-html", "col-newline", "col-formula", "col-10k-chars")
        found.append(cli_case(
            f"deps-frame-{name}", "deps",
            ["data.csv", "--quiet", *(["--output", "deps.html"] if html else JSON)],
            expect=2 if error else 0,
            why=error or "a table pandas reads is a valid input: the check runs", names=names,
            files={"data.csv": frame_files(make)["train.csv"]},
            outputs=("deps.html",) if html and not error else (),
            stdout_json=not html and not error,
            checks=("html-escaped",) if name == "col-html" else ()))
    return found


def _byte_cases() -> list[Case]:
    found = []
    tables = {name: (".csv", make) for name, make in hostile.CSV_BYTES.items()}
    tables.update(hostile.CSV_SUFFIXED)
    for name, (suffix, make) in tables.items():
        expect, why, error = cases_drift.csv_expectation(name)
        data = f"data{suffix}"
        names = re.escape(data) if error else None
        found.append(cli_case(
            f"deps-csv-{name}", "deps", [data, "--quiet", *JSON], expect=expect, why=why,
            names=names, files={data: lazy(make)}, stdout_json=not error))
    for name, make in hostile.PARQUET_BYTES.items():
        refusal = cases_drift.PARQUET_ERRORS.get(name)
        names = cases_drift.NESTED_COLUMN if name.startswith("nested") else r"data\.parquet"
        found.append(cli_case(
            f"deps-parquet-{name}", "deps", ["data.parquet", "--quiet", *JSON],
            expect=2 if refusal else 0,
            why=refusal or "a readable Parquet table: the check runs",
            names=names if refusal else None, files={"data.parquet": lazy(make)},
            stdout_json=not refusal))
    return found


#: option cases: (name, options, exit code, pattern, why)
OPTIONS: list[tuple[str, list[str], int, str | None, str]] = [
    ("alpha-nan", ["--alpha", "nan"], 2, "--alpha", "alpha must be in (0, 1)"),
    ("alpha-inf", ["--alpha", "inf"], 2, "--alpha", "alpha must be in (0, 1)"),
    ("alpha-zero", ["--alpha", "0"], 2, "--alpha", "alpha must be in (0, 1)"),
    ("alpha-negative", ["--alpha", "-0.5"], 2, "--alpha", "alpha must be in (0, 1)"),
    ("max-features-nan", ["--max-features", "nan"], 2, "--max-features", "a whole number"),
    ("n-jobs-minus-one", ["--n-jobs", "-1"], 0, None, "-1: all cores"),
    ("n-jobs-minus-2048", ["--n-jobs", "-2048"], 2, "--n-jobs", "thread counts are bounded"),
    ("workers-zero", ["--workers", "0"], 2, "--workers", "at least one worker"),
    ("scheduler-timeout-nan", ["--scheduler-timeout", "nan"], 2, "--scheduler-timeout",
     "a timeout is a finite number"),
    ("seed-nan", ["--seed", "nan"], 2, "--seed", "a seed is an integer"),
    ("n-splits-zero", ["--n-splits", "0"], 2, "--n-splits", "at least two folds"),
    ("n-splits-one", ["--n-splits", "1"], 2, "--n-splits", "at least two folds"),
    ("n-splits-more-than-rows", ["--n-splits", "1000000"], 2, "--n-splits",
     "more folds than rows"),
    ("n-splits-huge", ["--n-splits", str(10**30)], 2, "--n-splits", "more folds than rows"),
    ("n-jobs-2048", ["--n-jobs", "2048"], 2, "--n-jobs", "thread counts are bounded"),
    ("n-jobs-zero", ["--n-jobs", "0"], 2, "--n-jobs", "zero threads cannot run"),
    ("max-features-one", ["--max-features", "1"], 2, "--max-features", "at least two"),
    ("max-features-huge", ["--max-features", str(10**30)], 0, None,
     "a budget above the column count checks every column"),
    ("seed-negative", ["--seed", "-1"], 2, "--seed", "a seed is in [0, 2**32)"),
    ("seed-huge", ["--seed", str(2**64)], 2, "--seed", "a seed is in [0, 2**32)"),
    ("fail-on-shift-without-compare", ["--fail-on", "shift"], 2, "--compare",
     "a shift needs a second file"),
    ("fail-on-unknown", ["--fail-on", "everything"], 2, "--fail-on", "leak, redundant, shift"),
    ("target-missing", ["--target", "nope"], 2, "--target", "the column must exist"),
    ("ignore-everything", ["--ignore", "a", "--ignore", "b", "--ignore", "c"], 2,
     "no feature column", "nothing is left to check"),
    ("compare-missing-file", ["--compare", "nope.csv"], 2, "nope.csv", "the file must exist"),
    ("compare-same-file", ["--compare", shared("train.csv")], 0, None,
     "a file compared with itself: no shift"),
    ("compare-other-columns", ["--compare", "other.csv"], 2, "other.csv",
     "the same feature columns are needed"),
    ("compare-empty", ["--compare", "empty.csv"], 2, "empty.csv", "an empty file"),
    ("format-unknown", ["--format", "xml"], 2, "--format", "html, json or markdown"),
]


def _option_cases() -> list[Case]:
    found = []
    other = lazy(lambda: hostile.base_pair()[1].rename(columns={"b": "B"}).to_csv(index=False))
    for name, options, expect, names, why in OPTIONS:
        found.append(cli_case(
            f"deps-option-{name}", "deps", [shared("train.csv"), "--quiet", *JSON, *options],
            expect=expect, why=why, names=names, stdout_json=expect in (0, 1),
            files={"other.csv": other, "empty.csv": ""}))
    found.append(cli_case(
        "deps-option-max-features-below-columns", "deps", ["wide.csv", "--quiet",
                                                           "--max-features", "10"],
        expect=2, why="300 columns with a budget of 10", names="--max-features",
        files={"wide.csv": frame_files(hostile.FRAMES["val-wide"])["train.csv"]}))
    found.append(cli_case(
        "deps-option-max-features-default", "deps", ["wide.csv", "--quiet", *JSON], expect=2,
        why="1,100 columns are above the default budget of 1,000 models",
        names="--max-features", files={"wide.csv": lazy(lambda: hostile.wide_csv(1100))}))
    found.append(cli_case(
        "deps-option-fail-on-redundant", "deps", ["data.csv", "--quiet", *JSON, "--fail-on",
                                                  "redundant"],
        expect=1, why="b is twice a: redundant, and --fail-on redundant gates",
        files={"data.csv": lazy(_redundant)}, stdout_json=True))
    return found


def _redundant() -> str:
    frame = hostile.base_pair(200)[0]
    frame["twice"] = 2 * frame["a"] + np.random.default_rng(5).normal(scale=1e-3, size=200)
    return frame.to_csv(index=False)


def _output_cases() -> list[Case]:
    both = frame_files(hostile.base_pair, ("data.csv", "test.csv"))
    found = []
    for name, options, expect, names, why, outputs in [
        ("output-is-data", ["--output", "data.csv"], 2, "data.csv",
         "a report never overwrites an input", ()),
        ("output-is-compare", ["--compare", "test.csv", "--output", "test.csv"], 2, "test.csv",
         "a report never overwrites an input", ()),
        ("output-is-directory", ["--output", "sub"], 2, "sub", "a folder is not a file", ()),
        ("output-markdown", ["--output", "deps.md"], 0, None, "a Markdown report",
         ("deps.md",)),
        ("default-html-name", ["--format", "html"], 0, None,
         "html goes to advval_deps_report.html", ("advval_deps_report.html",)),
    ]:
        found.append(cli_case(
            f"deps-output-{name}", "deps", ["data.csv", "--quiet", *options], expect=expect,
            why=why, names=names, files={**both, "sub/.keep": ""}, outputs=outputs))
    return found


def cases() -> list[Case]:
    """Every ``advval deps`` case."""
    return _frame_cases() + _byte_cases() + _option_cases() + _output_cases()
