"""The one JSON rule for numbers (advval.results._json), checked against independent truths.

Rounding is checked against exact decimal arithmetic (``decimal`` rounds the float's exact
binary value to 6 significant digits, half to even), the non-finite cases against the
JSON grammar (the text must parse with ``NaN`` / ``Infinity`` refused), and the writers
of every report kind against the rule applied by hand.
"""

from __future__ import annotations

import copy
import decimal
import json
import math
import sys

import numpy as np
import pytest

from advval.results import (
    SIGNIFICANT_DIGITS,
    AttackResult,
    CurvePoint,
    DependencyReport,
    FeatureDependency,
    FeatureUse,
    RobustnessReport,
    SanityFlag,
    json_number,
    json_ready,
    json_setting,
    json_text,
)


def _decimal_rounded(x: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``x`` rounded to ``digits`` significant digits by exact decimal arithmetic."""
    with decimal.localcontext() as context:
        context.prec = digits
        context.rounding = decimal.ROUND_HALF_EVEN
        return float(+decimal.Decimal(x))


def _strict_loads(text: str) -> object:
    def refuse(token: str) -> object:
        raise AssertionError(f"the JSON text holds {token}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.nan, np.float32("inf"),
                                   np.float64("-inf"), np.float16("nan"), float("1e400")])
def test_non_finite_numbers_are_null(value):
    assert json_number(value) is None
    assert json_number(value, digits=None) is None
    assert json_ready({"x": value, "xs": (value, 1.0)}) == {"x": None, "xs": [None, 1.0]}
    assert _strict_loads(json_text({"x": value})) == {"x": None}


def test_negative_zero_is_written_as_zero():
    for value in (-0.0, np.float64(-0.0), np.float32(-0.0)):
        for digits in (SIGNIFICANT_DIGITS, None):
            out = json_number(value, digits)
            assert out == 0.0 and math.copysign(1.0, out) == 1.0
    assert json_text({"x": -0.0}) == '{\n  "x": 0.0\n}'
    # a tiny negative number keeps its sign: it does not round to zero
    assert json_number(-5e-324) == -5e-324
    assert json_number(-1e-300) == -1e-300


def test_rounding_matches_exact_decimal_arithmetic():
    rng = np.random.default_rng(0)
    values = np.concatenate([
        rng.normal(size=500),
        rng.uniform(-1, 1, size=500) * 10.0 ** rng.integers(-300, 300, size=500),
        [0.1 + 0.2, 1 / 3, 2 / 3, 123456.5, 1234565.0, 0.5, 2.5e-7, 9.999995, 9.9999949],
    ])
    for x in values:
        assert json_number(x) == _decimal_rounded(float(x)), x
        assert json_number(x, 3) == _decimal_rounded(float(x), 3), x
        assert json_number(json_number(x)) == json_number(x)  # writing twice changes nothing


def test_huge_and_tiny_floats():
    largest, smallest = sys.float_info.max, 5e-324  # the largest float, the smallest subnormal
    assert json_number(largest) == 1.79769e308
    assert json_number(sys.float_info.min) == 2.22507e-308
    assert json_number(smallest) == smallest  # 4.94066e-324 reads back as the same float
    assert json_number(1e300 * 1e10) is None  # overflows to inf
    assert json_number(123456789.0) == 123457000.0
    assert json_number(123456789.0, digits=None) == 123456789.0
    text = json_text({"big": largest, "small": smallest, "neg": -largest})
    assert _strict_loads(text) == {"big": 1.79769e308, "small": smallest, "neg": -1.79769e308}
    assert '"big": 1.79769e+308' in text


def test_numpy_scalars_become_python_ones():
    document = json_ready({
        "f32": np.float32(0.1), "f64": np.float64(2 / 3), "f16": np.float16(0.5),
        "i64": np.int64(-3), "u8": np.uint8(200), "b": np.bool_(True), "py_bool": False,
        "nested": [np.int32(1), (np.float64(1.5),)],
    })
    assert document == {"f32": 0.1, "f64": 0.666667, "f16": 0.5, "i64": -3, "u8": 200,
                        "b": True, "py_bool": False, "nested": [1, [1.5]]}
    assert type(document["f32"]) is float and type(document["i64"]) is int
    assert type(document["b"]) is bool and type(document["py_bool"]) is bool  # not 1 / 0
    assert type(document["u8"]) is int


def test_other_values_keys_and_paths():
    from pathlib import Path

    document = json_ready({1: "a", "p": Path("x") / "y.csv", "o": object, "none": None})
    assert document == {"1": "a", "p": str(Path("x") / "y.csv"), "o": str(object),
                        "none": None}


def test_json_ready_leaves_its_argument_unchanged():
    original = {"a": [1.23456789, {"b": (math.nan, np.float64(2.0))}], "c": math.inf}
    before = copy.deepcopy(original)
    json_ready(original)
    assert repr(original) == repr(before)


def test_json_text_sorts_keys_and_is_deterministic():
    document = {"b": 1 / 3, "a": {"d": [math.nan], "c": 1e-7}}
    text = json_text(document)
    assert text == json_text(dict(reversed(list(document.items()))))
    assert text == ('{\n  "a": {\n    "c": 1e-07,\n    "d": [\n      null\n    ]\n  },\n'
                    '  "b": 0.333333\n}')


def test_settings_name_non_finite_values_and_the_document_keeps_the_names():
    settings = json_setting({
        "max_queries": math.inf, "low": -np.inf, "gap": np.float64("nan"),
        "eps": np.float64(0.123456789), "steps": (np.int64(10), 20), "flag": np.bool_(False),
        "rng": np.random.RandomState(0), "gen": np.random.default_rng(0), "obj": object(),
        "fn": len,
    })
    assert settings == {"max_queries": "inf", "low": "-inf", "gap": "nan",
                        "eps": 0.123456789, "steps": [10, 20], "flag": False,
                        "rng": "RandomState", "gen": "Generator", "obj": "object",
                        "fn": "<built-in function len>"}
    written = _strict_loads(json_text({"settings": settings}))
    assert written["settings"]["max_queries"] == "inf"  # a limit, not a missing value
    assert written["settings"]["eps"] == 0.123457  # rounded when written, like any float


def test_old_names_are_the_rule():
    from advval.attacks.evaluate import runner
    from advval.report import _json

    assert _json.round_floats is json_ready
    assert _json.SIGNIFICANT_DIGITS == SIGNIFICANT_DIGITS
    assert runner.json_safe is json_setting


def _robustness(value: float) -> RobustnessReport:
    attack = AttackResult(
        name="PGD", attack="PGD", norm="inf", eps=math.inf, white_box=True, n_attacked=0,
        n_success=0, n_fooled=0, success_rate=value, fooling_rate=value,
        robust_accuracy=-0.0, norm_median=value, norm_mean=1 / 3, queries_median=value,
        queries_max=0, seconds=0.123456789, feature_frequency=(("a", np.float32(0.25)),),
        settings=json_setting({"eps": math.inf}),
    )
    return RobustnessReport(
        n_samples=3, n_correct=0, clean_accuracy=0.0, robust_accuracy=0.0,
        attacks=(attack,), features=(FeatureUse("a", 0, value),),
        curve=(CurvePoint("inf", 0.1, 2 / 3, (("PGD", 2 / 3),)),),
        flags=(SanityFlag("zero_gradients", "m", "PGD"),), settings={"eps": None},
        advval_version="0",
    )


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_every_writer_applies_the_rule(value):
    from advval.report import render_json, render_robustness_json

    report = _robustness(value)
    text = render_robustness_json(report)
    assert text == json_text(report.to_dict())
    document = _strict_loads(text)
    (attack,) = document["attacks"]
    assert attack["success_rate"] is None and attack["norm_median"] is None
    assert attack["eps"] is None  # a measured field: not finite -> null
    assert attack["settings"] == {"eps": "inf"}  # a setting: named
    assert attack["norm_mean"] == 0.333333 and attack["robust_accuracy"] == 0.0
    assert attack["feature_frequency"] == {"a": 0.25}
    assert document["curve"][0]["robust_accuracy"] == 0.666667
    timed = _strict_loads(render_robustness_json(report, timings=True))
    assert timed["attacks"][0]["seconds"] == 0.123457

    feature = FeatureDependency("a", "numeric", value, value, True, False, None, False, ("b",),
                                metric=-0.0, score_low=1 / 7)
    deps = DependencyReport(10, 1, (feature,), (), None, (), (), (), {"t": value}, "0")
    document = _strict_loads(render_json(deps))
    assert document["features"][0]["score"] is None
    assert document["features"][0]["score_ci"] == [0.142857, None]
    assert document["features"][0]["metric"] == 0.0
    assert document["settings"] == {"t": None}  # a plain float in settings is a value


def test_image_report_writer_applies_the_rule():
    from advval.report import render_image_json
    from advval.results import AdversarialExamples, ImageRobustnessReport

    pixels = np.zeros((1, 1, 2, 2))
    moved = pixels.copy()
    moved[0, 0, 0, 0] = 1 / 3
    examples = AdversarialExamples(pixels, moved, np.array([0]), np.array([0]), np.array([1]),
                                   "PGD", 0.5, "inf", (0.0, 1.0))
    report = ImageRobustnessReport(_robustness(math.nan), examples, {"n_images": 3})
    document = _strict_loads(render_image_json(report))
    assert document["kind"] == "image_robustness"
    assert document["examples"]["perturbation_norms"] == [0.333333]
    assert document["attacks"][0]["success_rate"] is None


def test_the_detector_report_follows_the_rule():
    defenses = pytest.importorskip("advval.image.defenses")  # needs torch

    detection = defenses.AttackDetection("PGD", False, 0.5, math.nan, 0.25, 2)
    report = defenses.DetectionReport(n_images=4, clean_accuracy=1.0, clean_fpr=-0.0,
                                      threshold=math.inf, target_fpr=0.05,
                                      attacks=(detection,))
    document = report.to_dict()
    assert document["threshold"] is None  # was float("inf"): not valid JSON
    assert document["attacks"][0]["detection_rate"] is None
    assert math.copysign(1.0, document["clean_fpr"]) == 1.0
    assert _strict_loads(json.dumps(document, allow_nan=False)) == document
