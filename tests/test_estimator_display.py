"""A fitted estimator shows its verdict through the display registry, not the report layer.

The validator and the checker summarise themselves (``advval.drift.summarize``,
``advval.dependency.summarize``) and show the summary's verdict line and card through the
functions :mod:`advval.report` registers in :mod:`advval._display`; the feature dropper
formats its own line with the plain-text formats of :mod:`advval._display`. What they show
is checked byte for byte against the report layer's own renderers of the same summary
(as the estimators called them before), and the dropper's line against formatting written
out here.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from advval import (
    AdversarialValidator,
    DriftFeatureDropper,
    FeatureDependencyChecker,
    _display,
    dependency,
    drift,
)
from advval.compare import diff_reports
from advval.report import build_dependency_report, build_drift_report
from advval.report._dependency import summary_line
from advval.report._markdown import verdict_line
from advval.report._notebook import SCOPE, dependency_card, drift_card


def _sides(shift: float, n: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    test = pd.DataFrame({"a": rng.normal(shift, 1, n), "b": rng.normal(size=n)})
    return train, test


@pytest.fixture(scope="module", params=[1.0, 0.0], ids=["drift", "no-drift"])
def validator(request) -> AdversarialValidator:
    train, test = _sides(request.param)
    return AdversarialValidator(n_splits=3, random_state=0, n_jobs=1).fit(train, test)


@pytest.fixture(scope="module")
def checker() -> FeatureDependencyChecker:
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    X["copy"] = 3 * X["a"] + rng.normal(scale=0.01, size=300)  # planted redundancy
    return FeatureDependencyChecker(n_splits=3, random_state=0).fit(X)


def test_the_validator_shows_what_the_report_renderers_give(validator):
    report = build_drift_report(validator)
    assert drift.summarize(validator) == report
    line = repr(validator).split("\n")[-1]
    assert line == "fitted: " + verdict_line(report)
    verdict = "drift detected" if validator.drift_ else "no drift"
    assert line.startswith(f"fitted: {verdict}: AUC ")
    card = drift_card(report)
    assert validator._fitted_card() == card
    assert validator._repr_html_().endswith(card)
    assert card.startswith(f'<div class="{SCOPE}">')
    assert f"{validator.auc_:.3f}" in card


def test_the_checker_shows_what_the_report_renderers_give(checker):
    report = build_dependency_report(checker)
    assert dependency.summarize(checker) == report
    assert {"a", "copy"} <= set(report.redundant)
    assert repr(checker).split("\n")[-1] == "fitted: " + summary_line(report)
    card = dependency_card(report)
    assert checker._fitted_card() == card
    assert checker._repr_html_().endswith(card)
    assert f'id="n-redundant">{len(report.redundant)}<' in card


def test_the_estimators_show_through_the_registered_functions(validator, checker, monkeypatch):
    """Whatever is registered as "line" and "card" is what a fitted estimator shows."""
    monkeypatch.setattr(_display, "_DISPLAY", {})
    kinds: list[str] = []

    def line(result):
        kinds.append(type(result).__name__)
        return "LINE"

    _display.register_display(
        text=lambda r: "T", html=lambda r: "H", line=line, card=lambda r: "<p>CARD</p>"
    )
    assert repr(validator).split("\n")[-1] == "fitted: LINE"
    assert repr(checker).split("\n")[-1] == "fitted: LINE"
    assert kinds == ["DriftReport", "DependencyReport"]  # each shows its own summary
    assert validator._fitted_card() == checker._fitted_card() == "<p>CARD</p>"
    assert validator._repr_html_().endswith("<p>CARD</p>")


def test_a_registry_without_a_line_or_card_says_so(validator, monkeypatch):
    monkeypatch.setattr(_display, "_DISPLAY", {})
    _display.register_display(text=lambda r: "T", html=lambda r: "H")
    with pytest.raises(LookupError, match="No 'line' display function is registered"):
        repr(validator)
    with pytest.raises(LookupError, match="No 'card' display function is registered"):
        validator._fitted_card()
    with pytest.raises(TypeError, match="The 'card' parameter of register_display"):
        _display.register_display(text=str, html=str, card="C")  # type: ignore[arg-type]


def test_a_result_no_estimator_shows_has_no_verdict_line():
    import advval.report  # noqa: F401 - registers the display functions

    document = {"kind": "drift", "drift": False, "auc": 0.5, "auc_ci": [0.48, 0.52]}
    diff = diff_reports(document, document)
    with pytest.raises(TypeError, match="parameter of verdict_line must be the summary of a"):
        _display.verdict_line(diff)
    with pytest.raises(TypeError, match="parameter of verdict_card must be the summary of a"):
        _display.verdict_card(diff)
    with pytest.raises(TypeError, match="The 'report' parameter of verdict_line must be a"):
        _display.verdict_line(3)


def test_the_droppers_line_names_its_columns_as_reports_do():
    rng = np.random.default_rng(3)
    columns = ["a", "b", "c d", "x\ny", "e", "f", "g", ""]
    train = pd.DataFrame(rng.normal(size=(300, 8)), columns=columns)
    test = pd.DataFrame(rng.normal(size=(300, 8)), columns=columns)
    for i, column in enumerate(columns[:7]):
        test[column] += 1.5 - 0.15 * i  # planted: seven drifting columns, strongest first
    dropper = DriftFeatureDropper(
        X_test=test, validator=AdversarialValidator(n_splits=3, n_jobs=1), random_state=0,
        max_drop=7,
    ).fit(train)
    dropped = dropper.dropped_features_
    assert len(dropped) == 7 and set(dropped) == set(columns[:7])
    # the first five as they read on one line, the name with a newline as its repr
    shown = [repr(n) if "\n" in n else n for n in dropped[:5]]
    first, last = dropper.path_["auc"].iloc[0], dropper.path_["auc"].iloc[-1]
    left = "drift" if bool(dropper.path_["drift"].iloc[-1]) else "no drift"
    assert repr(dropper).split("\n")[-1] == (
        f"fitted: drops 7 of 8 columns ({', '.join(shown)} and 2 more); AUC {first:.3f} -> "
        f"{last:.3f}, {left} left (stop: {dropper.stop_reason_})"
    )
    assert first > 0.9 > last


def test_the_text_formats_keep_their_old_import_path():
    from advval.report import _markdown

    assert _markdown.format_fixed is _display.format_fixed
    assert _markdown.plain_names is _display.plain_names
    assert _markdown.display_name is _display.display_name
    assert _markdown.HEADLINE_MAX_NAMES == _display.HEADLINE_MAX_NAMES == 5
    assert _display.format_fixed(float("inf")) == _display.format_fixed("x") == "n/a"
    assert _display.format_fixed(2 / 3, 2) == "0.67"
    assert _display.plain_names(["a", " b", "'c'"]) == "a, ' b', \"'c'\""
    assert _display.plain_names(list("abcdef")) == "a, b, c, d, e and 1 more"


def test_a_fitted_estimators_repr_imports_the_report_layer_by_name_on_first_use():
    """The estimators import no report module: the first repr loads it through the registry."""
    code = (
        "import sys, numpy as np, pandas as pd\n"
        "from advval import FeatureDependencyChecker\n"
        "X = pd.DataFrame(np.random.default_rng(0).normal(size=(200, 3)), columns=list('abc'))\n"
        "checker = FeatureDependencyChecker(n_splits=3, random_state=0).fit(X)\n"
        "print('advval.report' in sys.modules)\n"
        "print(repr(checker).splitlines()[-1])\n"
        "print('advval.report' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert done.stdout.splitlines() == [
        "False",
        "fitted: dependency check: 3 features, 0 redundant, 0 id-like, 0 near-duplicate pairs",
        "True",
    ]
