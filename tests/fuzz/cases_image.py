"""``advval image evaluate`` cases: image archives, model files, options, outputs."""

from __future__ import annotations

import re

from . import hostile, model_files
from .corpus import Case, cli_case, lazy, shared

#: one cheap attack on a few images: each run takes well under a second
CHEAP = ["--quiet", "--format", "json", "--attack", "pgd", "--steps", "2", "--max-images", "6",
         "--examples", "2", "--eps", "0.03"]

#: image archives: name -> (exit code, pattern, why)
NPZ: dict[str, tuple[int, str | None, str]] = {
    "valid": (0, None, "float NCHW images in [0, 1]"),
    "valid-uint8-nhwc": (0, None, "uint8 NHWC images are scaled to [0, 1]"),
    "valid-float64-nhw": (0, None, "grayscale NHW images under the keys images / labels"),
    "terabyte-header": (2, r"images\.npz|'x'", "a header declaring terabytes is refused "
                                               "before anything is allocated"),
    "terabyte-labels": (2, r"images\.npz|'y'", "a header declaring terabytes is refused"),
    "negative-shape-header": (2, r"images\.npz", "a negative shape is no array"),
    "object-images": (2, r"images\.npz|'x'", "object arrays need pickle, which is refused"),
    "object-labels": (2, r"images\.npz|'y'", "object arrays need pickle, which is refused"),
    "two-dimensional": (2, "'x'", "images are 3-D or 4-D"),
    "five-dimensional": (2, "'x'", "images are 3-D or 4-D"),
    "ambiguous-channels": (2, "--layout", "axis 1 and 3 could both be channels"),
    "two-channels": (2, "'x'|channel", "images have 1 or 3 channels"),
    "nan-pixels": (2, "NaN|finite", "NaN pixels"),
    "inf-pixels": (2, "NaN|infinite|finite", "infinite pixels"),
    "negative-labels": (2, "negative", "class indices are >= 0"),
    "fractional-labels": (2, "'y'", "class indices are integers"),
    "nan-labels": (2, "'y'", "class indices are integers"),
    "labels-beyond-model": (2, "label", "the model scores 10 classes"),
    "huge-labels": (2, "label", "the model scores 10 classes"),
    "label-count-mismatch": (2, "'y'", "one label per image"),
    "labels-2d": (2, "'y'", "one label per image"),
    "zero-images": (2, "no image", "nothing to attack"),
    "uint16-pixels": (2, "dtype", "uint8 or floating-point pixels"),
    "bool-pixels": (2, "dtype", "uint8 or floating-point pixels"),
    "complex-pixels": (2, "dtype", "uint8 or floating-point pixels"),
    "pixels-0-255-floats": (2, "--bounds", "float pixels outside the bounds"),
    "missing-keys": (2, "--x-key", "the message lists the arrays and the option"),
    "garbage": (2, r"images\.npz", "random bytes are no archive"),
    "empty": (2, r"images\.npz", "an empty file is no archive"),
    "npy-named-npz": (2, r"images\.npz", "one array is not an archive of images and labels"),
    "zip-of-text": (2, r"images\.npz", "zip members that are not arrays"),
    "truncated": (2, r"images\.npz", "a cut archive"),
}


def _npz_cases() -> list[Case]:
    found = []
    for name, make in hostile.NPZ_BYTES.items():
        expect, names, why = NPZ[name]
        found.append(cli_case(
            f"image-npz-{name}", "image", [shared("cnn.pt"), "images.npz", *CHEAP],
            expect=expect, why=why, names=names, files={"images.npz": lazy(make)},
            stdout_json=expect == 0))
    return found


#: model files fed to image evaluate
MODELS = ("torchscript-cnn", "export-cnn", "torchscript-nan-cnn", "torchscript-one-score",
          "torchscript-valid", "lightgbm-valid", "torch-save-module", "pt2-truncated",
          "pt2-garbage", "empty-pt", "empty-pkl", "csv-as-model")


def _model_cases() -> list[Case]:
    found = []
    for name in MODELS:
        file = model_files.MALFORMED[name]
        valid = name in ("torchscript-cnn", "export-cnn")
        why = {"torchscript-nan-cnn": "NaN class scores cannot be evaluated",
               "torchscript-one-score": "one score per image is not class scores (N, K>=2)",
               "torchscript-valid": "a tabular MLP fails on images: the message names MODEL",
               "lightgbm-valid": "a LightGBM model is not a torch model"}.get(name, file.why)
        found.append(cli_case(
            f"image-model-{name}", "image", [file.filename, shared("images.npz"), *CHEAP],
            expect=0 if valid else 2, why=why,
            names=None if valid else re.escape(file.filename) + "|NaN",
            files={file.filename: lambda layout, file=file: file.build(
                layout, layout.marker("unused"))},
            shared=("model.txt", "mlp.pt2", "cnn.pt2"), stdout_json=valid))
    return found


#: option cases: (name, options, exit code, pattern, why)
OPTIONS: list[tuple[str, list[str], int, str | None, str]] = [
    ("eps-nan", ["--eps", "nan"], 2, "--eps", "a budget is a positive number"),
    ("eps-inf", ["--eps", "inf"], 2, "--eps", "an infinite budget is no budget"),
    ("eps-negative", ["--eps", "-0.1"], 2, "--eps", "a budget is a positive number"),
    ("eps-zero", ["--eps", "0"], 2, "--eps", "a budget is a positive number"),
    ("bounds-nan", ["--bounds", "nan", "nan"], 2, "--bounds", "NaN bounds bound nothing"),
    ("bounds-reversed", ["--bounds", "1", "0"], 2, "--bounds", "LOW < HIGH"),
    ("bounds-equal", ["--bounds", "0", "0"], 2, "--bounds", "LOW < HIGH"),
    ("bounds-infinite", ["--bounds", "-inf", "inf"], 2, "--bounds",
     "infinite bounds give no pixel range"),
    ("bounds-one-value", ["--bounds", "0"], 2, "--bounds", "LOW HIGH"),
    ("mean-nan", ["--mean", "nan", "--std", "0.5"], 2, "--mean", "NaN normalisation"),
    ("mean-inf", ["--mean", "inf", "--std", "0.5"], 2, "--mean", "infinite normalisation"),
    ("std-zero", ["--mean", "0.5", "--std", "0"], 2, "--std", "std must be positive"),
    ("std-negative", ["--mean", "0.5", "--std", "-1"], 2, "--std", "std must be positive"),
    ("std-nan", ["--mean", "0.5", "--std", "nan"], 2, "--std", "NaN normalisation"),
    ("std-inf", ["--mean", "0.5", "--std", "inf"], 2, "--std", "infinite normalisation"),
    ("mean-without-std", ["--mean", "0.5"], 2, "--std", "both are needed"),
    ("mean-two-values-one-channel", ["--mean", "0.5", "--mean", "0.4", "--std", "0.2"], 2,
     "--mean", "1 or as many values as channels"),
    ("steps-zero", ["--steps", "0"], 2, "--steps", "at least one step"),
    ("steps-nan", ["--steps", "nan"], 2, "--steps", "a whole number"),
    ("eps-minus-inf", ["--eps", "-inf"], 2, "--eps", "a budget is a positive number"),
    ("mean-text", ["--mean", "grey", "--std", "0.5"], 2, "--mean", "a number"),
    ("max-images-negative", ["--max-images", "-1"], 2, "--max-images", "at least one image"),
    ("max-images-huge", ["--max-images", str(10**30)], 0, None,
     "a sample above the image count is every image"),
    ("batch-size-nan", ["--batch-size", "nan"], 2, "--batch-size", "a whole number"),
    ("examples-huge", ["--examples", str(10**30)], 0, None,
     "at most that many examples: every example there is"),
    ("fail-under-inf", ["--fail-under", "inf"], 2, "--fail-under", "a rate in [0, 1]"),
    ("n-jobs-minus-one", ["--n-jobs", "-1"], 0, None, "-1: all cores"),
    ("max-images-zero", ["--max-images", "0"], 2, "--max-images", "at least one image"),
    ("batch-size-zero", ["--batch-size", "0"], 2, "--batch-size", "at least one image"),
    ("examples-negative", ["--examples", "-1"], 2, "--examples", "zero or more"),
    ("fail-under-nan", ["--fail-under", "nan"], 2, "--fail-under",
     "a NaN gate gates nothing: refused"),
    ("fail-under-above-one", ["--fail-under", "2"], 2, "--fail-under", "a rate in [0, 1]"),
    ("fail-under-one", ["--fail-under", "1"], 1, None, "robust accuracy below 1 fails"),
    ("layout-wrong", ["--layout", "nhwc"], 2, "--layout", "the channel axis must fit"),
    ("x-key-missing", ["--x-key", "nope"], 2, "--x-key", "the array must exist"),
    ("y-key-missing", ["--y-key", "nope"], 2, "--y-key", "the array must exist"),
    ("n-jobs-2048", ["--n-jobs", "2048"], 2, "--n-jobs", "thread counts are bounded"),
    ("norm-unknown", ["--norm", "0"], 2, "--norm", "inf or 2"),
    ("attack-unknown", ["--attack", "magic"], 2, "--attack", "a known attack"),
    ("seed-negative", ["--seed", "-1"], 2, "--seed", "a seed is in [0, 2**32)"),
    ("png-dir-is-file", ["--png-dir", "images.npz"], 2, "--png-dir|images.npz",
     "pictures go to a folder"),
]


def _option_cases() -> list[Case]:
    found = []
    for name, options, expect, names, why in OPTIONS:
        found.append(cli_case(
            f"image-option-{name}", "image", [shared("cnn.pt"), "images.npz", *CHEAP, *options],
            expect=expect, why=why, names=names,
            files={"images.npz": lazy(hostile.NPZ_BYTES["valid"])},
            stdout_json=expect in (0, 1)))
    return found


def _output_cases() -> list[Case]:
    images = lazy(hostile.NPZ_BYTES["valid"])
    found = []
    for name, options, expect, names, why, outputs in [
        ("output-is-data", ["--output", "images.npz"], 2, "images.npz",
         "a report never overwrites an input", ()),
        ("output-is-model", ["--output", "cnn.pt"], 2, "cnn.pt",
         "a report never overwrites an input", ()),
        ("png-dir-with-report", ["--output", "r.html", "--png-dir", "pictures"], 0, None,
         "the report and its accuracy-vs-eps picture", ("r.html", "pictures/curve.svg")),
        ("default-html-name", ["--format", "html"], 0, None,
         "html goes to advval_image_report.html", ("advval_image_report.html",)),
    ]:
        found.append(cli_case(
            f"image-output-{name}", "image",
            ["cnn.pt", "images.npz", *[o for o in CHEAP if o not in ("--format", "json")],
             *options],
            expect=expect, why=why, names=names,
            files={"images.npz": images, "cnn.pt": lambda layout: layout.shared_bytes("cnn.pt")},
            outputs=outputs))
    return found


def _missing_extra_cases() -> list[Case]:
    return [cli_case(
        "image-extra-no-torch", "image", [shared("cnn.pt"), shared("images.npz"), *CHEAP],
        expect=3, why="image evaluate needs torch: exit 3 with the pip fix",
        names=r'pip install "advval\[torch\]"', hide=("torch",))]


def cases() -> list[Case]:
    """Every ``advval image evaluate`` case."""
    return _npz_cases() + _model_cases() + _option_cases() + _output_cases() + \
        _missing_extra_cases()
