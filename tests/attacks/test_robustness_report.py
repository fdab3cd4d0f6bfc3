"""JSON and Markdown rendering of a RobustnessReport (hand-built: renderers never compute)."""

from __future__ import annotations

import dataclasses
import json
import math

from advval.attacks.evaluate import (
    AttackResult,
    CurvePoint,
    FeatureUse,
    RobustnessReport,
    SanityFlag,
)
from advval.report._robustness import (
    MARKDOWN_TOP_FEATURES,
    render_robustness_json,
    render_robustness_markdown,
)

EVIL = "<script>alert(1)</script>|x"


def _attack(name, *, white_box, eps=0.3, fooled=40, seconds=1.25):
    return AttackResult(
        name=name,
        attack=name.split("#")[0],
        norm="inf",
        eps=eps,
        white_box=white_box,
        n_attacked=90,
        n_success=fooled,
        n_fooled=fooled,
        success_rate=fooled / 90,
        fooling_rate=fooled / 90,
        robust_accuracy=(90 - fooled) / 100,
        norm_median=0.123456789 if fooled else math.nan,
        norm_mean=0.2 if fooled else math.nan,
        queries_median=37.0,
        queries_max=101,
        seconds=seconds,
        feature_frequency=(("income", 0.75), (EVIL, 0.1)) if fooled else (),
        settings={"eps": eps, "norm": "inf", "steps": 10, "random_state": 7},
    )


def _report(n_features=3, *, flags=True, seconds=1.25):
    names = ["income", EVIL] + [f"f{j}" for j in range(n_features - 2)]
    return RobustnessReport(
        n_samples=100,
        n_correct=90,
        clean_accuracy=0.9,
        robust_accuracy=0.35,
        attacks=(
            _attack("PGD", white_box=True, fooled=50, seconds=seconds),
            _attack("SquareAttack", white_box=False, fooled=45, seconds=seconds),
            _attack("TreeAttack", white_box=None, eps=None, fooled=0, seconds=seconds),
        ),
        features=tuple(
            FeatureUse(name, 60 - j, (60 - j) / 95) for j, name in enumerate(names)
        ),
        curve=(
            CurvePoint("inf", 0.1, 0.7, (("PGD", 0.7), ("SquareAttack", 0.75))),
            CurvePoint("inf", 0.3, 0.35, (("PGD", 0.4), ("SquareAttack", 0.45))),
            CurvePoint("2", 1.0, 0.5, (("TreeAttack", 0.5),)),
        ),
        flags=(
            SanityFlag("blackbox_stronger", f"SquareAttack fooled 3 samples on {EVIL}",
                       "SquareAttack"),
            SanityFlag("randomized_outputs", "The model's outputs differ."),
        ) if flags else (),
        settings={"eps": [0.1, 0.3], "feature_space": "FeatureSpace.from_frame(X)",
                  "random_state": 0},
        advval_version="9.9.9",
    )


def test_json_document_shape_and_rounding():
    document = json.loads(render_robustness_json(_report()))
    assert document["schema_version"] == 1
    assert document["kind"] == "robustness"
    assert document["advval_version"] == "9.9.9"
    assert (document["clean_accuracy"], document["robust_accuracy"]) == (0.9, 0.35)
    pgd, square, tree = document["attacks"]
    assert pgd["norm_median"] == 0.123457  # 6 significant digits
    assert tree["norm_median"] is None and tree["eps"] is None  # NaN and "no budget"
    assert pgd["feature_frequency"] == {"income": 0.75, EVIL: 0.1}
    assert square["white_box"] is False and tree["white_box"] is None
    assert "seconds" not in pgd
    assert document["curve"][0] == {
        "norm": "inf", "eps": 0.1, "robust_accuracy": 0.7,
        "attacks": {"PGD": 0.7, "SquareAttack": 0.75},
    }
    assert document["features"][0] == {"name": "income", "count": 60, "frequency": 0.631579}
    assert document["flags"][1] == {
        "code": "randomized_outputs", "attack": None, "message": "The model's outputs differ."
    }
    assert document["settings"]["eps"] == [0.1, 0.3]


def test_json_is_byte_identical_and_timings_are_opt_in():
    text = render_robustness_json(_report(seconds=1.0))
    assert text == render_robustness_json(_report(seconds=2.0))
    assert list(json.loads(text)) == sorted(json.loads(text))  # keys sorted
    timed = json.loads(render_robustness_json(_report(), timings=True))
    assert [a["seconds"] for a in timed["attacks"]] == [1.25, 1.25, 1.25]


def test_markdown_has_the_tables_and_flags():
    text = render_robustness_markdown(_report())
    assert text.startswith("## advval robustness: robust accuracy 0.350 (clean 0.900)\n")
    assert "100 samples · 90 classified correctly and attacked · worst case per" in text
    assert "> **Sanity flag (blackbox_stronger):** SquareAttack fooled 3 samples" in text
    assert "| attack | access | norm | eps | robust accuracy |" in text
    pgd = "| PGD | white-box | L∞ | 0.3 | 0.400 | 0.556 | 0.556 | 0.123 | 0.2 | 37 / 101 | 1.25 s |"
    assert pgd in text
    tree = "| TreeAttack |  | L∞ | none (minimum norm) | 0.900 | 0.000 | 0.000 | n/a | n/a |"
    assert tree in text
    assert "| norm | eps | worst case | PGD | SquareAttack | TreeAttack |" in text
    assert "| L∞ | 0.1 | 0.700 | 0.700 | 0.750 |  |" in text
    assert "| L2 | 1 | 0.500 |  |  | 0.500 |" in text
    assert "### Features attackers change\n" in text
    assert "| 1 | income | 60 | 0.632 |" in text
    assert "- **PGD**: eps=0.3, norm=inf, steps=10, random\\_state=7" in text
    assert "random\\_state=0; advval 9.9.9</sub>" in text
    assert text.endswith("</sub>\n")


def test_markdown_escapes_names_and_caps_the_feature_table():
    text = render_robustness_markdown(_report(n_features=40))
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\|x" in text
    assert f"### Features attackers change ({MARKDOWN_TOP_FEATURES} of 40)" in text
    assert f"| {MARKDOWN_TOP_FEATURES} | f{MARKDOWN_TOP_FEATURES - 3} |" in text
    assert f"| {MARKDOWN_TOP_FEATURES + 1} |" not in text


def test_markdown_without_flags_timings_or_curve():
    report = _report(flags=False)
    text = render_robustness_markdown(report, timings=False)
    assert "No sanity flag raised." in text and "Sanity flag (" not in text
    assert " s |" not in text and "| time |" not in text
    assert text == render_robustness_markdown(_report(flags=False, seconds=9.0), timings=False)
    bare = dataclasses.replace(report, curve=(), features=())
    text = render_robustness_markdown(bare)
    assert "### Accuracy versus eps" not in text and "### Features" not in text
