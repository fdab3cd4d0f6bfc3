"""``advval attack`` cases: model files, options, constraints files, hostile DATA, outputs."""

from __future__ import annotations

import functools
import re

from . import hostile, model_files, models
from .corpus import Case, Content, cli_case, lazy, shared

#: few rows and queries: each run takes about a second
CHEAP = ["--quiet", "--format", "json", "--max-rows", "20", "--max-queries", "20"]
#: what a torch model on the shared DATA needs (it reads ``a`` and ``b`` only)
TORCH = ["--ignore", "c"]


def _model_content(file: model_files.ModelFile) -> Content:
    return lambda layout: file.build(layout, layout.marker("unused"))


def _model_expectation(name: str, file: model_files.ModelFile
                       ) -> tuple[int | tuple[int, ...], str, str | None]:
    """The exit code of ``advval attack`` on a model file, why, and what the message names."""
    named = re.escape(file.filename)
    if file.family == "tabular" and name.startswith("torchscript-nan"):
        return 2, "NaN class scores cannot be attacked (the message says NaN)", "NaN|nan|finite"
    if file.family == "tabular" and file.loads is None:
        return (0, 2), file.why, named
    if file.family == "tabular" and file.loads:
        return 0, file.why, None
    if file.family == "image":
        return 2, "an image model does not read the columns of a table", named
    return 2, file.why + ": refused (exit 2) naming the file", named


def _model_cases() -> list[Case]:
    found = []
    for name, file in model_files.MALFORMED.items():
        expect, why, names = _model_expectation(name, file)
        torch = file.filename.endswith((".pt", ".pt2"))
        found.append(cli_case(
            f"attack-model-{name}", "attack",
            [file.filename, shared("data.csv"), "--target", "y", *CHEAP,
             *(TORCH if torch else [])],
            expect=expect, why=why, names=names, files={file.filename: _model_content(file)},
            stdout_json=expect == 0, shared=("model.txt", "multiclass.txt", "mlp.pt2")))
    found.append(cli_case(
        "attack-model-directory", "attack", ["model.pt", shared("data.csv"), "--target", "y",
                                             *CHEAP],
        expect=2, why="a folder is no model file", names="model.pt",
        files={"model.pt/.keep": ""}))
    return found


#: option cases with the valid LightGBM model: (name, options, exit code, pattern, why)
OPTIONS: list[tuple[str, list[str], int, str | None, str]] = [
    ("eps-nan", ["--eps", "nan"], 2, "--eps", "a budget is a positive number"),
    ("eps-inf", ["--eps", "inf"], 2, "--eps", "an infinite budget is no budget"),
    ("eps-negative", ["--eps", "-1"], 2, "--eps", "a budget is a positive number"),
    ("eps-zero", ["--eps", "0"], 2, "--eps", "a budget is a positive number"),
    ("eps-minus-inf", ["--eps", "-inf"], 2, "--eps", "a budget is a positive number"),
    ("fail-under-inf", ["--fail-under", "inf"], 2, "--fail-under", "a rate in [0, 1]"),
    ("max-queries-nan", ["--max-queries", "nan"], 2, "--max-queries", "a whole number"),
    ("max-rows-negative", ["--max-rows", "-1"], 2, "--max-rows", "at least one row"),
    ("max-rows-nan", ["--max-rows", "nan"], 2, "--max-rows", "a whole number"),
    ("n-jobs-minus-one", ["--n-jobs", "-1"], 0, None, "-1: all cores"),
    ("n-jobs-nan", ["--n-jobs", "nan"], 2, "--n-jobs", "a whole number"),
    ("seed-nan", ["--seed", "nan"], 2, "--seed", "a seed is an integer"),
    ("eps-huge", ["--eps", "1e308"], 0, None, "a huge finite budget is a valid (loose) budget"),
    ("fail-under-nan", ["--fail-under", "nan"], 2, "--fail-under",
     "a NaN gate gates nothing: refused"),
    ("fail-under-negative", ["--fail-under", "-0.1"], 2, "--fail-under", "a rate in [0, 1]"),
    ("fail-under-above-one", ["--fail-under", "1.5"], 2, "--fail-under", "a rate in [0, 1]"),
    ("fail-under-one", ["--fail-under", "1"], 1, None,
     "robust accuracy below 1 fails the gate (the attacks flip rows at eps 0.3)"),
    ("fail-under-zero", ["--fail-under", "0"], 0, None, "nothing is below 0"),
    ("max-queries-zero", ["--max-queries", "0"], 2, "--max-queries", "at least one query"),
    ("max-queries-negative", ["--max-queries", "-5"], 2, "--max-queries", "at least one query"),
    ("max-queries-huge", ["--max-queries", str(10**30)], 2, "--max-queries",
     "a budget beyond any integer type is refused"),
    ("max-rows-zero", ["--max-rows", "0"], 2, "--max-rows", "at least one row"),
    ("max-rows-huge", ["--max-rows", str(10**18)], 0, None, "a sample above the rows is all"),
    ("curve-nan", ["--curve", "nan"], 2, "--curve", "budgets are finite numbers"),
    ("curve-inf", ["--curve", "0.1,inf"], 2, "--curve", "budgets are finite numbers"),
    ("curve-negative", ["--curve", "-1"], 2, "--curve", "budgets are >= 0"),
    ("curve-text", ["--curve", "a,b"], 2, "--curve", "budgets are numbers"),
    ("curve-commas", ["--curve", ",,,"], 2, "--curve", "no budget given"),
    ("curve-huge", ["--curve", "1e308"], 0, None, "a huge finite budget is valid"),
    ("norm-unknown", ["--norm", "3"], 2, "--norm", "inf, 2 or 0"),
    ("norm-zero", ["--norm", "0"], 0, None, "changed-feature budget"),
    ("attack-unknown", ["--attack", "magic"], 2, "--attack", "a known attack"),
    ("attack-gradient-on-trees", ["--attack", "pgd"], 2, "--attack",
     "a gradient attack needs a torch model"),
    ("n-jobs-2048", ["--n-jobs", "2048"], 2, "--n-jobs", "thread counts are bounded"),
    ("n-jobs-zero", ["--n-jobs", "0"], 2, "--n-jobs", "at least one thread"),
    ("seed-negative", ["--seed", "-1"], 2, "--seed", "a seed is in [0, 2**32)"),
    ("seed-huge", ["--seed", str(2**64)], 2, "--seed", "a seed is in [0, 2**32)"),
    ("target-missing", ["--target", "nope"], 2, "--target", "the label column must exist"),
    ("ignore-everything", ["--ignore", "a", "--ignore", "b", "--ignore", "c"], 2,
     "no feature column", "nothing is left to attack"),
    ("format-unknown", ["--format", "xml"], 2, "--format", "html, json or markdown"),
]


def _option_cases() -> list[Case]:
    found = []
    for name, options, expect, names, why in OPTIONS:
        argv = [shared("model.txt"), shared("data.csv"), "--target", "y", *CHEAP, *options]
        found.append(cli_case(f"attack-option-{name}", "attack", argv, expect=expect, why=why,
                              names=names, stdout_json=expect in (0, 1)))
    found.append(cli_case(
        "attack-option-missing-target", "attack", [shared("model.txt"), shared("data.csv"),
                                                   *CHEAP],
        expect=2, why="--target is required", names="--target"))
    return found


#: constraints files: name -> (exit code, pattern, why)
CONSTRAINTS: dict[str, tuple[int, str | None, str]] = {
    "valid": (0, None, "a valid rules file"),
    "valid-yaml": (0, None, "a valid rules file"),
    "empty-json": (0, None, "an empty file declares nothing"),
    "comments-only-yaml": (0, None, "comments declare nothing"),
    "deeply-nested-json": (2, "constraints", "nesting beyond any rule is refused, not a crash"),
    "deeply-nested-yaml": (2, "constraints", "nesting beyond any rule is refused, not a crash"),
    "yaml-anchor-bomb": (2, "constraints", "unknown keys; the aliases are never expanded"),
    "yaml-anchor-bomb-in-key": (2, "constraints|immutable",
                                "a list of lists is not column names; the message stays short"),
    "yaml-python-tag": (2, "constraints", "safe YAML refuses python tags"),
    "bounds-nan": (2, "bounds", "NaN bounds bound nothing"),
    "bounds-infinite-reversed": (2, "bounds", "lower bound above upper bound"),
    "bounds-reversed": (2, "bounds", "lower bound above upper bound"),
    "bounds-text": (2, "bounds", "bounds are numbers"),
    "bounds-three-values": (2, "bounds", "bounds are [lower, upper]"),
    "bounds-null": (0, None, "null: no bound on that side"),
    "bounds-categorical": (2, "bounds", "bounds apply to numeric columns"),
    "bounds-huge": (0, None, "huge finite bounds are valid"),
    "unknown-key": (2, "frozen", "the unknown key is named"),
    "immutable-string": (2, "immutable", "a list of column names"),
    "immutable-number": (2, "immutable", "a list of column names"),
    "immutable-unknown-column": (2, "nope", "the column must exist"),
    "immutable-target": (2, "--target|'y'", "the label is not a feature"),
    "immutable-everything": (0, None, "nothing may change: robust accuracy = clean accuracy"),
    "categorical-number": (2, "categorical", "a list or a mapping"),
    "categorical-mapping-scalar": (2, "categorical", "allowed values are a list"),
    "monotone-sideways": (2, "monotone", "increase or decrease"),
    "monotone-text-column": (2, "monotone|'c'", "a text column has no direction"),
    "one-hot-flat": (2, "one_hot", "a list of lists"),
    "scale-unknown": (2, "scale", "std or iqr"),
    "distance-negative": (2, "categorical_distance", "a number >= 0"),
    "distance-nan": (2, "categorical_distance", "a number >= 0"),
    "distance-bool": (2, "categorical_distance", "a number >= 0"),
    "top-level-list": (2, "mapping", "the file holds a mapping"),
    "top-level-scalar": (2, "mapping", "the file holds a mapping"),
    "invalid-json": (2, "constraints", "the parser's message, naming the file"),
    "invalid-yaml": (2, "constraints", "the parser's message, naming the file"),
    "invalid-utf8": (2, "constraints", "bytes that are not UTF-8"),
    "duplicate-keys": (0, None, "JSON keeps the last value"),
    "many-unknown-columns": (2, "immutable", "the columns must exist; the message stays short"),
    "txt-suffix": (2, "constraints", "JSON or YAML by suffix"),
}


def _constraint_cases() -> list[Case]:
    found = []
    for name, (suffix, make) in hostile.CONSTRAINTS.items():
        expect, names, why = CONSTRAINTS[name]
        rules = f"rules{suffix}"
        found.append(cli_case(
            f"attack-constraints-{name}", "attack",
            [shared("model.txt"), shared("data.csv"), "--target", "y", *CHEAP, "--constraints",
             rules], expect=expect, why=why, names=names, files={rules: lazy(make)},
            stdout_json=expect == 0))
    return found


def _data(edit: str) -> str:
    """The attack table with one hostile edit, as CSV text."""
    frame = models.attack_frame()
    if edit == "inf-feature":
        frame.loc[::4, "a"] = float("inf")
    elif edit == "nan-feature":
        frame.loc[::4, "a"] = float("nan")
    elif edit == "near-max-float":
        frame["a"] = [1.7e308 if i % 2 else -1.7e308 for i in range(len(frame))]
    elif edit == "nan-labels":
        frame["y"] = frame["y"].astype(float)
        frame.loc[3, "y"] = float("nan")
    elif edit == "unknown-labels":
        frame["y"] = frame["y"] + 2
    elif edit == "text-labels":
        frame["y"] = frame["y"].map({0: "no", 1: "yes"})
    elif edit == "text-in-numeric":
        frame["a"] = frame["a"].astype(object)
        frame.loc[5, "a"] = "oops"
    elif edit == "missing-column":
        frame = frame.drop(columns="b")
    elif edit == "unseen-category":
        frame.loc[::3, "c"] = "never-seen"
    elif edit == "single-row":
        frame = frame.head(1)
    elif edit == "one-class":
        frame["y"] = 0
    elif edit == "constant-feature":
        frame["a"] = 1.0
    return frame.to_csv(index=False)


#: hostile DATA for the LightGBM model: name -> (exit code, pattern, why)
DATA: dict[str, tuple[int | tuple[int, ...], str | None, str]] = {
    "inf-feature": (2, "inf|'a'", "an infinite feature value has no neighbourhood"),
    "nan-feature": (0, None, "LightGBM reads missing values; attacks leave them missing"),
    "near-max-float": ((0, 2), "'a'|overflow|finite",
                       "values near the float limit: attacked, or refused naming the column"),
    "nan-labels": (2, "--target|missing", "every attacked row needs its label"),
    "unknown-labels": (2, "--target|label", "labels the model does not predict"),
    "text-labels": (2, "--target|label", "labels the model does not predict"),
    "text-in-numeric": (2, "'a'", "text in a column the model reads as numbers"),
    "missing-column": (2, "'b'|missing", "the model's column is missing"),
    "unseen-category": (0, None, "unseen categories are missing values, as LightGBM does"),
    "single-row": (0, None, "one row can be attacked"),
    "one-class": (0, None, "one class is still labels"),
    "constant-feature": (0, None, "a constant column has zero spread: its budget is zero"),
}


def _data_cases() -> list[Case]:
    found = []
    for edit, (expect, names, why) in DATA.items():
        found.append(cli_case(
            f"attack-data-{edit}", "attack", [shared("model.txt"), "data.csv", "--target", "y",
                                               *CHEAP],
            expect=expect, why=why, names=names,
            files={"data.csv": lazy(functools.partial(_data, edit))},
            stdout_json=expect == 0))
    for name in ("col-quotes", "col-newline", "col-html", "col-formula", "col-10k-chars",
                 "col-empty-header", "col-unicode"):
        found.append(cli_case(
            f"attack-data-torch-{name}", "attack",
            [shared("mlp.pt"), "data.csv", "--target", "y", "--quiet", "--max-rows", "20",
             "--attack", "pgd", "--output", "report.html"],
            expect=0, why="the torch model reads two columns by position, whatever their names",
            files={"data.csv": lazy(functools.partial(_named_data, name))},
            outputs=("report.html",), checks=("html-escaped",) if name == "col-html" else ()))
    return found


def _named_data(recipe: str) -> str:
    """Two numeric feature columns named as in the frame recipe, and the label ``y``."""
    frame = models.attack_frame()[["a", "b", "y"]]
    names = list(hostile.FRAMES[recipe]()[0].columns[:2])
    return frame.set_axis([*names, "y"], axis=1).to_csv(index=False)


def _output_cases() -> list[Case]:
    found = []
    model = lazy(lambda: models.lightgbm_text())
    data = lazy(lambda: models.attack_frame().to_csv(index=False))
    rules = '{"immutable": ["b"]}'
    for name, output, expect, names, why in [
        ("output-is-model", "model.txt", 2, "model.txt", "a report never overwrites an input"),
        ("output-is-data", "data.csv", 2, "data.csv", "a report never overwrites an input"),
        ("output-is-constraints", "rules.json", 2, "rules.json",
         "a report never overwrites an input"),
        ("output-is-directory", "sub", 2, "sub", "a folder is not a report file"),
        ("output-parent-is-file", "data.csv/r.html", 2, "r.html", "the folder is a file"),
        ("output-html", "report.html", 0, None, "an HTML report"),
    ]:
        found.append(cli_case(
            f"attack-output-{name}", "attack",
            ["model.txt", "data.csv", "--target", "y", *CHEAP[:1], "--max-rows", "20",
             "--max-queries", "20", "--constraints", "rules.json", "--output", output],
            expect=expect, why=why, names=names,
            files={"model.txt": model, "data.csv": data, "rules.json": rules, "sub/.keep": ""},
            outputs=(output,) if expect == 0 else ()))
    return found


def _missing_extra_cases() -> list[Case]:
    return [cli_case(
        "attack-extra-no-torch", "attack", [shared("mlp.pt"), shared("data.csv"), "--target", "y",
                                            *CHEAP, *TORCH],
        expect=3, why="a TorchScript model needs torch: exit 3 with the pip fix",
        names=r'pip install "advval\[torch\]"', hide=("torch",))]


def cases() -> list[Case]:
    """Every ``advval attack`` case."""
    return (_model_cases() + _option_cases() + _constraint_cases() + _data_cases()
            + _output_cases() + _missing_extra_cases())
