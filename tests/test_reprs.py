"""Estimator reprs (issue #19): data parameters by their shape, in a Pipeline too; a
fitted estimator's verdict in its repr and under its HTML diagram; unfitted reprs,
``get_params``, ``clone`` and pickling as scikit-learn makes them."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils import estimator_html_repr

from advval import (
    AdversarialValidator,
    AdversarialWeighter,
    DriftFeatureDropper,
    FeatureDependencyChecker,
    TestLikeSplit,
)
from advval._repr import data_text, shown_value
from advval.report import build_dependency_report, build_drift_report
from advval.report._dependency import summary_line
from advval.report._markdown import verdict_line
from advval.report._notebook import SCOPE

ROWS, COLUMNS = 1000, 12


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        rng.normal(size=(ROWS, COLUMNS)), columns=[f"col_{i}" for i in range(COLUMNS)]
    )


def _cells(frame: pd.DataFrame) -> list[str]:
    """Text of some cells as pandas prints them, and the column names."""
    return [f"{frame.iat[0, 0]:.6f}", f"{frame.iat[ROWS - 1, COLUMNS - 1]:.6f}", "col_11"]


def _sides(shift: float, n: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    test = pd.DataFrame({"a": rng.normal(shift, 1, n), "b": rng.normal(size=n)})
    return train, test


# ------------------------------------------------------------------- data parameters


def test_data_text_names_the_type_and_shape(frame):
    assert data_text(frame) == f"<DataFrame of shape ({ROWS}, {COLUMNS})>"
    assert data_text(frame["col_0"]) == f"<Series of shape ({ROWS},)>"
    assert data_text(frame.to_numpy()) == f"<ndarray of shape ({ROWS}, {COLUMNS})>"
    assert data_text([[1, 2], [3, 4]]) == "<list of shape (2, 2)>"
    assert data_text([[1, 2], [3]]) == "<list of length 2>"
    # what is not data stays as it is
    for value in (0.5, "name", None, ["a", "b"], (0.0, 1.0), LogisticRegression()):
        assert shown_value(value) is value


def test_estimators_show_their_data_parameters_by_shape(frame):
    text = f"X_test=<DataFrame of shape ({ROWS}, {COLUMNS})>"
    for estimator in (
        DriftFeatureDropper(X_test=frame, max_drop=2),
        AdversarialWeighter(X_test=frame, temper=0.5),
        TestLikeSplit(X_test=frame, n_splits=3),
    ):
        shown = repr(estimator)
        assert text in shown and len(shown) < 300, shown
        assert not any(cell in shown for cell in _cells(frame))
    array = DriftFeatureDropper(X_test=frame.to_numpy())
    assert repr(array) == f"DriftFeatureDropper(X_test=<ndarray of shape ({ROWS}, {COLUMNS})>)"


def test_a_pipeline_repr_abbreviates_the_frame(frame):
    pipeline = Pipeline([
        ("drop", DriftFeatureDropper(X_test=frame, max_drop=2)),
        ("model", LogisticRegression()),
    ])  # fmt: skip
    text = repr(pipeline)
    assert f"DriftFeatureDropper(X_test=<DataFrame of shape ({ROWS}, {COLUMNS})>" in text
    assert len(text) < 250 and not any(cell in text for cell in _cells(frame))
    # nested deeper: a grid search over the pipeline, with a test-like splitter
    search = GridSearchCV(
        make_pipeline(DriftFeatureDropper(X_test=frame), LogisticRegression()),
        {"logisticregression__C": [0.1, 1.0]},
        cv=TestLikeSplit(X_test=frame.to_numpy()),
    )
    text = repr(search)
    assert text.count("of shape (1000, 12)>") == 2 and len(text) < 800
    assert not any(cell in text for cell in _cells(frame))
    # the pipeline still holds the frame itself
    assert pipeline.get_params()["drop__X_test"] is frame


def test_the_html_diagram_abbreviates_the_frame(frame):
    pipeline = make_pipeline(DriftFeatureDropper(X_test=frame), LogisticRegression())
    diagram = estimator_html_repr(pipeline)
    assert "DataFrame of shape (1000, 12)" in diagram
    assert not any(cell in diagram for cell in _cells(frame))
    if hasattr(pipeline, "_get_params_html"):  # the parameter table (scikit-learn >= 1.7)
        assert re.search(r'"param">X_test</td>\s*<td class="value">&lt;DataFrame of', diagram)
    notebook = pipeline._repr_html_()
    assert "DataFrame of shape (1000, 12)" in notebook
    assert not any(cell in notebook for cell in _cells(frame))


def test_params_clone_and_pickle_are_unchanged(frame):
    dropper = DriftFeatureDropper(X_test=frame, max_drop=2)
    params = dropper.get_params(deep=False)
    assert params["X_test"] is frame and params["max_drop"] == 2
    twin = clone(dropper)
    assert twin.get_params(deep=False)["X_test"] is not frame  # clone copies data params
    pd.testing.assert_frame_equal(twin.X_test, frame)
    assert repr(twin) == repr(dropper)
    restored = pickle.loads(pickle.dumps(dropper))
    assert repr(restored) == repr(dropper) and set(vars(restored)) == set(vars(dropper))


# ----------------------------------------------------------------- fitted: verdicts


@pytest.fixture(scope="module")
def drifting() -> AdversarialValidator:
    train, test = _sides(1.0)
    return AdversarialValidator(n_splits=3, random_state=0, n_jobs=1).fit(train, test)


def test_unfitted_reprs_are_scikit_learns():
    assert repr(AdversarialValidator(alpha=0.01)) == "AdversarialValidator(alpha=0.01)"
    assert repr(FeatureDependencyChecker()) == "FeatureDependencyChecker()"
    assert repr(DriftFeatureDropper()) == "DriftFeatureDropper()"
    html = AdversarialValidator()._repr_html_()
    assert SCOPE not in html and "sk-top-container" in html


def test_a_fitted_validator_shows_its_verdict(drifting):
    first, line = repr(drifting).split("\n")
    assert first == "AdversarialValidator(n_jobs=1, n_splits=3, random_state=0)"
    report = build_drift_report(drifting)
    assert report.drift  # the planted shift
    assert line == f"fitted: {verdict_line(report)}"
    assert line.startswith(f"fitted: drift detected: AUC {drifting.auc_:.3f} [")
    # clone, get_params and pickling as before the fit
    assert repr(clone(drifting)) == first
    assert pickle.loads(pickle.dumps(drifting)).auc_ == drifting.auc_
    assert repr(pickle.loads(pickle.dumps(drifting))) == repr(drifting)


def test_a_validator_without_drift_says_so():
    train, test = _sides(0.0)
    validator = AdversarialValidator(n_splits=3, random_state=0, n_jobs=1).fit(train, test)
    line = repr(validator).split("\n")[1]
    assert line.startswith("fitted: no drift: AUC ")
    assert not validator.drift_


def test_a_fitted_validators_diagram_carries_the_verdict_card(drifting):
    html = drifting._repr_html_()
    diagram, card = html.split(f'<div class="{SCOPE}">')
    assert "sk-top-container" in diagram and "Drift detected" not in diagram
    assert "Drift detected" in card and f"{drifting.auc_:.3f}" in card
    assert 'id="columns"' not in card  # the card, not the whole report
    bundle = drifting._repr_mimebundle_()  # what Jupyter asks for first
    assert bundle["text/html"].split(f'<div class="{SCOPE}">')[1] == card
    assert bundle["text/plain"] == repr(drifting)
    with sklearn.config_context(display="text"):
        assert "text/html" not in drifting._repr_mimebundle_()


def test_a_fitted_checker_shows_its_findings():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    X["copy"] = 3 * X["a"] + rng.normal(scale=0.01, size=300)  # planted redundancy
    checker = FeatureDependencyChecker(n_splits=3, random_state=0).fit(X)
    first, line = repr(checker).split("\n")
    assert first == repr(clone(checker)) == "FeatureDependencyChecker(random_state=0)"
    report = build_dependency_report(checker)
    assert {"a", "copy"} <= set(report.redundant)
    assert line == f"fitted: {summary_line(report)}"
    assert f"{len(report.redundant)} redundant" in line
    card = checker._repr_html_().split(f'<div class="{SCOPE}">')[1]
    assert "Redundant columns" in card and f'id="n-redundant">{len(report.redundant)}<' in card


def test_a_fitted_weighter_shows_its_effective_sample_size():
    train, test = _sides(1.0)
    weighter = AdversarialWeighter(
        X_test=test, validator=AdversarialValidator(n_splits=3, n_jobs=1), random_state=0
    ).fit(train)
    *params, line = repr(weighter).split("\n")  # the usual repr takes two lines here
    assert "\n".join(params) == repr(clone(weighter))
    assert "X_test=<DataFrame of shape (300, 2)>" in params[0]
    w = weighter.weights_
    ess = w.sum() ** 2 / (w**2).sum()  # Kish, computed here
    assert f"fitted: 300 weights, effective sample size {ess:,.0f} ({ess / 300:.0%} " in line
    assert ess < 300  # the shift makes the weights uneven


def test_a_fitted_dropper_shows_what_it_drops():
    rng = np.random.default_rng(3)
    train = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
    test = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
    test["a"] += 1.5  # planted: two drifting columns, one strong
    test["b"] += 0.8
    dropper = DriftFeatureDropper(
        X_test=test, validator=AdversarialValidator(n_splits=3, n_jobs=1), random_state=0
    ).fit(train)
    *params, line = repr(dropper).split("\n")
    assert "\n".join(params) == repr(clone(dropper))
    assert dropper.dropped_features_ == ["a", "b"]
    first, last = dropper.path_["auc"].iloc[0], dropper.path_["auc"].iloc[-1]
    assert line == (
        f"fitted: drops 2 of 4 columns (a, b); AUC {first:.3f} -> {last:.3f}, no drift left "
        f"(stop: {dropper.stop_reason_})"
    )
