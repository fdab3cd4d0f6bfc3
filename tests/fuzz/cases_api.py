"""Python API cases: AdversarialValidator.fit, FeatureDependencyChecker.fit,
robustness_report, evaluate_robustness and load_model on hostile inputs.

The documented outcome is either a return or a ``ValueError`` / ``TypeError`` whose message
names the parameter or column; any other exception (KeyError, IndexError, LightGBMError...)
is a crash. Inputs are never modified; a torch model is left in the mode it was given, with
its BatchNorm statistics untouched.
"""

from __future__ import annotations

import math
import re

from . import api_cases, cases_drift, hostile, model_files
from .corpus import Case, api_case

#: what an API case expects: "ok", or the names of the documented exceptions
Expected = str | tuple[str, ...]
#: a documented refusal of a bad input
REFUSED = ("ValueError", "TypeError")
#: either outcome is documented (the message must still name the column when it raises)
EITHER = ("ok", "ValueError", "TypeError")

#: AdversarialValidator parameters: name -> (params, expected, pattern)
VALIDATOR_PARAMS: dict[str, tuple[dict[str, object], Expected, str | None]] = {
    "alpha-nan": ({"alpha": math.nan}, "ValueError", "alpha"),
    "alpha-above-one": ({"alpha": 1.5}, "ValueError", "alpha"),
    "alpha-zero": ({"alpha": 0.0}, "ValueError", "alpha"),
    "alpha-text": ({"alpha": "0.05"}, REFUSED, "alpha"),
    "n-splits-zero": ({"n_splits": 0}, "ValueError", "n_splits"),
    "n-splits-one": ({"n_splits": 1}, "ValueError", "n_splits"),
    "n-splits-more-than-rows": ({"n_splits": 10**6}, "ValueError", "n_splits"),
    "n-splits-float": ({"n_splits": 2.5}, REFUSED, "n_splits"),
    "max-rows-negative": ({"max_rows": -1}, "ValueError", "max_rows"),
    "max-rows-zero": ({"max_rows": 0}, "ValueError", "max_rows"),
    "max-rows-nan": ({"max_rows": math.nan}, REFUSED, "max_rows"),
    "min-effect-nan": ({"min_effect": math.nan}, "ValueError", "min_effect"),
    "min-effect-negative": ({"min_effect": -1.0}, "ValueError", "min_effect"),
    "confidence-nan": ({"confidence": math.nan}, "ValueError", "confidence"),
    "confidence-one": ({"confidence": 1.0}, "ValueError", "confidence"),
    "correction-unknown": ({"correction": "bogus"}, "ValueError", "correction"),
    "leak-threshold-nan": ({"leak_threshold": math.nan}, "ValueError", "leak_threshold"),
    "n-jobs-2048": ({"n_jobs": 2048}, EITHER, "n_jobs"),
    "random-state-negative": ({"random_state": -1}, "ValueError", "random_state|seed"),
    "random-state-text": ({"random_state": "seed"}, REFUSED, "random_state|seed"),
    "time-col-missing": ({"time_col": "nope"}, "ValueError", "nope"),
    "estimator-text": ({"estimator": "lightgbm"}, REFUSED, "estimator"),
}
#: FeatureDependencyChecker parameters: name -> (params, expected, pattern)
CHECKER_PARAMS: dict[str, tuple[dict[str, object], Expected, str | None]] = {
    "alpha-nan": ({"alpha": math.nan}, "ValueError", "alpha"),
    "n-splits-one": ({"n_splits": 1}, "ValueError", "n_splits"),
    "n-splits-more-than-rows": ({"n_splits": 10**6}, "ValueError", "n_splits"),
    "max-features-one": ({"max_features": 1}, "ValueError", "max_features"),
    "redundancy-threshold-nan": ({"redundancy_threshold": math.nan}, "ValueError",
                                 "redundancy_threshold"),
    "leak-threshold-above-one": ({"leak_threshold": 2.0}, "ValueError", "leak_threshold"),
    "n-permutations-negative": ({"n_permutations": -1}, "ValueError", "n_permutations"),
    "correction-unknown": ({"correction": "bogus"}, "ValueError", "correction"),
    "n-jobs-2048": ({"n_jobs": 2048}, EITHER, "n_jobs"),
}
#: in-memory frames: name -> (expected, pattern when it raises)
API_FRAMES: dict[str, tuple[Expected, str | None]] = {
    "duplicate-column-names": (REFUSED, "'a'|duplicate"),
    "integer-column-names": (EITHER, "column"),
    "tuple-column-names": (EITHER, "column"),
    "multiindex-columns": (EITHER, "column"),
    "none-column-name": (EITHER, "column|None"),
    "carriage-return-name": ("ok", None),
    "nested-dicts": (EITHER, "nested"),
    "nested-lists": (EITHER, "nested"),
    "complex-numbers": (EITHER, "'z'|complex"),
    "timedelta": (EITHER, "took"),
    "period": (EITHER, "month"),
    "interval": (EITHER, "range"),
    "nullable-dtypes": ("ok", None),
    "pyarrow-strings": ("ok", None),
    "sparse-column": (EITHER, "sparse"),
    "float16": ("ok", None),
    "unused-categories": ("ok", None),
    "duplicate-index": ("ok", None),
    "multiindex-rows": ("ok", None),
    "object-numbers": ("ok", None),
    "zero-columns": ("ValueError", "column"),
    "missing-test-column": ("ValueError", "'b'"),
    "text-versus-numbers": (EITHER, "'a'"),
}
#: validator inputs that are not two DataFrames: kind -> (expected, pattern)
INPUTS: dict[str, tuple[Expected, str | None]] = {
    "numpy-arrays": ("ok", None),
    "lists": (EITHER, None),
    "none": (REFUSED, "X_train|None"),
    "strings": (REFUSED, "X_train|str"),
    "series": (EITHER, None),
    "dicts": (EITHER, None),
    "one-dimensional-array": (REFUSED, "2D|two-dimensional|1D|dimension"),
    "three-dimensional-array": (REFUSED, "dimension|3"),
    "array-with-nan-and-inf": (EITHER, "inf"),
    "frame-and-array": (EITHER, None),
    "same-object-twice": ("ok", None),
}
#: robustness_report cases: kind -> (expected, pattern)
ROBUSTNESS: dict[str, tuple[Expected, str | None]] = {
    "lightgbm": ("ok", None),
    "inf-data": ("ValueError", "inf|'a'"),
    "nan-data": (EITHER, "'a'|NaN|missing"),
    "near-max-float-data": (EITHER, "'a'|overflow|finite"),
    "nan-scores-model": ("ValueError", "NaN|nan|finite"),
    "eps-nan": ("ValueError", "eps"),
    "eps-negative": ("ValueError", "eps"),
    "eps-curve-nan": ("ValueError", "eps"),
    "max-queries-zero": ("ValueError", "max_queries"),
    "no-attacks": ("ValueError", "attacks"),
    "labels-too-short": ("ValueError", "y|label|rows|length|samples"),
    "labels-unknown": ("ValueError", "label|class"),
    "torch-train-mode": ("ok", None),
    "torch-train-mode-deepfool": ("ok", None),
}
#: evaluate_robustness cases: kind -> (expected, pattern)
IMAGES: dict[str, tuple[Expected, str | None]] = {
    "cnn": ("ok", None),
    "nan-pixels": ("ValueError", "NaN|nan|finite"),
    "inf-pixels": ("ValueError", "inf|finite"),
    "pixels-outside-bounds": ("ValueError", "bounds"),
    "eps-nan": ("ValueError", "eps"),
    "eps-negative": ("ValueError", "eps"),
    "eps-inf": ("ValueError", "eps"),
    "bounds-nan": ("ValueError", "bounds"),
    "bounds-reversed": ("ValueError", "bounds"),
    "labels-out-of-range": ("ValueError", "label|class"),
    "labels-negative": ("ValueError", "label|class"),
    "labels-float": (REFUSED, "label|integer|dtype"),
    "nan-model": ("ValueError", "NaN|nan|finite"),
    "batch-size-zero": ("ValueError", "batch_size"),
    "n-examples-negative": ("ValueError", "n_examples"),
    "numpy-input": (EITHER, "tensor|Tensor"),
    "train-mode-batchnorm": ("ok", None),
    "train-mode-autoattack": ("ok", None),
}


#: frame recipes also fitted by FeatureDependencyChecker (one model per column: the costly
#: fit; the CLI's deps cases run every recipe through the same fit)
CHECKER_FRAMES = ("col-empty-header", "col-json-special", "col-datetime-and-year",
                  "val-near-max-float", "val-inf", "val-mixed-types", "val-all-missing",
                  "val-two-rows")


#: by ModelFile.loads: what load_model must do
LOADS: dict[bool | None, Expected] = {True: "ok", False: "ValueError",
                                      None: ("ok", "ValueError")}


def _refusal(recipe: str) -> tuple[Expected, str | None]:
    error, names = cases_drift.FRAME_ERRORS.get(recipe, (None, None))
    return ("ValueError", names.replace("--n-splits", "n_splits")) if error and names else (
        "ok", None)


def _drift_cases() -> list[Case]:
    found = []
    for recipe in hostile.FRAMES:
        expect, names = _refusal(recipe)
        found.append(api_case(
            f"api-validator-{recipe}", "validator_fit", {"frame": recipe, "params": {}},
            expect=expect, why="a frame pandas holds is a valid input, or a clear ValueError",
            names=names))
    for recipe, (expect, names) in API_FRAMES.items():
        found.append(api_case(
            f"api-validator-{recipe}", "validator_fit", {"frame": recipe, "params": {}},
            expect=expect, why="runs, or a ValueError/TypeError naming the column", names=names))
    for name, (params, expect, names) in VALIDATOR_PARAMS.items():
        found.append(api_case(
            f"api-validator-param-{name}", "validator_fit", {"frame": "base", "params": params},
            expect=expect, why="a bad parameter is refused in fit, naming it", names=names))
    for kind, (expect, names) in INPUTS.items():
        found.append(api_case(
            f"api-validator-input-{kind}", "validator_inputs", {"kind": kind}, expect=expect,
            why="array-likes run; anything else is refused naming the input", names=names))
    return found


def _dependency_cases() -> list[Case]:
    found = []
    for recipe in CHECKER_FRAMES:
        expect, names = _refusal(recipe)
        found.append(api_case(
            f"api-checker-{recipe}", "checker_fit", {"frame": recipe, "params": {}},
            expect=expect, why="a frame pandas holds is a valid input, or a clear ValueError",
            names=names))
    for recipe in ("duplicate-column-names", "nested-dicts", "zero-columns",
                   "pyarrow-strings", "multiindex-columns"):
        expect, names = API_FRAMES[recipe]
        found.append(api_case(
            f"api-checker-{recipe}", "checker_fit", {"frame": recipe, "params": {}},
            expect=expect, why="runs, or a ValueError/TypeError naming the column", names=names))
    for name, (params, expect, names) in CHECKER_PARAMS.items():
        found.append(api_case(
            f"api-checker-param-{name}", "checker_fit", {"frame": "base", "params": params},
            expect=expect, why="a bad parameter is refused in fit, naming it", names=names))
    return found


def _attack_cases() -> list[Case]:
    found = [api_case(f"api-robustness-{kind}", "robustness", {"kind": kind}, expect=expect,
                      why="a report, or a ValueError naming the input; models left as found",
                      names=names) for kind, (expect, names) in ROBUSTNESS.items()]
    found += [api_case(f"api-images-{kind}", "images", {"kind": kind}, expect=expect,
                       why="a report, or a ValueError naming the input; models left as found",
                       names=names) for kind, (expect, names) in IMAGES.items()]
    return found


def _load_model_cases() -> list[Case]:
    found = []
    for name, file in model_files.MALFORMED.items():
        found.append(api_case(
            f"api-load-model-{name}", "load_model", {"path": file.filename},
            expect=LOADS[file.loads],
            why=file.why,
            names=None if file.loads else re.escape(file.filename),
            files={file.filename: lambda layout, file=file: file.build(
                layout, layout.marker("unused"))},
            shared=("model.txt", "multiclass.txt", "mlp.pt", "mlp.pt2", "cnn.pt", "cnn.pt2",
                    "nan_mlp.pt", "nan_cnn.pt", "one_score.pt", "data.csv")))
    return found


def cases() -> list[Case]:
    """Every Python API case (crafted model files are in ``cases_markers``)."""
    if set(API_FRAMES) != set(api_cases.API_FRAMES):
        raise ValueError("every in-memory frame needs its expected outcome")
    return _drift_cases() + _dependency_cases() + _attack_cases() + _load_model_cases()
