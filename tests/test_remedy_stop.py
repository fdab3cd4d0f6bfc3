"""The remedy's result says why it stopped, and every report says the true thing.

On an IEEE-CIS-fraud-shaped table the remedy spent its ``--max-drop`` budget while each
drop still lowered the AUC; the reports then said that dropping more could not help. Here
several independent columns are shifted: a budget of one column stops the search with
drift left and flagged columns it never reached; two shifted columns and a large budget
stop it when no column is left to drop (the data, not the budget, ends it).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval import AdversarialValidator, DriftFeatureDropper
from advval.cli import ExitCode, cli
from advval.drift import summarize
from advval.report import RemedyStep, RemedyStop, render_json, render_markdown
from advval.report._markdown import (
    REMEDY_LEFT_NOTE,
    REMEDY_SPREAD_NOTE,
    SPREAD_COLUMNS,
    remedy_summary,
)

SHIFTED = ("s1", "s2", "s3", "s4")


def _frame(
    rng: np.random.Generator, n: int, shift: float, shifted: tuple[str, ...], steady: bool = True
) -> pd.DataFrame:
    """Independent normal columns; those in ``shifted`` moved by ``shift``; one steady column."""
    frame = {name: rng.normal(shift, 1.0, n) for name in shifted}
    if steady:
        frame["steady"] = rng.normal(0.0, 1.0, n)
    return pd.DataFrame(frame)


def _run(
    tmp_path: Path, shifted: tuple[str, ...], max_drop: int, steady: bool = True
) -> tuple[str, dict[str, Any], str, str]:
    """``advval drift --remedy``: its output, JSON, Markdown and HTML (text of the page)."""
    rng = np.random.default_rng(7)
    _frame(rng, 400, 0.0, shifted, steady).to_csv(tmp_path / "train.csv", index=False)
    _frame(rng, 400, 0.8, shifted, steady).to_csv(tmp_path / "test.csv", index=False)
    result = CliRunner().invoke(
        cli,
        [
            "drift",
            str(tmp_path / "train.csv"),
            str(tmp_path / "test.csv"),
            "--n-jobs",
            "1",
            "--seed",
            "0",
            "--max-drop",
            str(max_drop),
            "--json",
            str(tmp_path / "r.json"),
            "--markdown",
            str(tmp_path / "r.md"),
            "--html",
            str(tmp_path / "r.html"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    page = html.unescape((tmp_path / "r.html").read_text(encoding="utf-8"))
    return (
        result.output,
        json.loads((tmp_path / "r.json").read_text(encoding="utf-8")),
        (tmp_path / "r.md").read_text(encoding="utf-8"),
        " ".join(page.split()),
    )


def test_a_budget_stop_names_the_budget_the_columns_left_and_the_option(tmp_path: Path) -> None:
    said, doc, markdown, page = _run(tmp_path, SHIFTED, max_drop=1)
    remedy = doc["remedy"]
    [dropped] = remedy["would_drop"]
    assert dropped in SHIFTED and remedy["path"][-1]["drift"]
    assert remedy["stopped"] == "max_drop" and remedy["max_drop"] == 1
    # the three shifted columns it did not reach are still flagged; the steady one is not
    left = [c for c in SHIFTED if c != dropped]
    assert sorted(remedy["flagged_left"]) == sorted(left)
    flagged = {f["name"]: f["statistic"] for f in doc["features"] if f["drift"]}
    assert remedy["flagged_left"] == sorted(left, key=lambda c: -flagged[c])
    # one wording: the terminal's line, the Markdown and the HTML say the same thing
    [line] = [x for x in said.splitlines() if "stopped at its budget" in x]
    sentence = line.removeprefix("advval: the remedy")
    assert sentence.startswith(" stopped at its budget of --max-drop 1 columns with drift left")
    assert f"flagged on their own, {', '.join(remedy['flagged_left'])}." in sentence
    assert sentence.endswith("--max-drop 4 lets it try them (one more check each)")
    for text in (markdown.replace("\\", ""), page):
        assert f"The remedy{sentence}." in text
        assert REMEDY_LEFT_NOTE not in text
        assert "spread over more columns" not in text


def test_a_stop_on_the_data_keeps_the_spread_note(tmp_path: Path) -> None:
    # two shifted columns and nothing else: once one is dropped, the other is the last
    # column, still drifting; dropping stopped helping, not the budget (5)
    said, doc, markdown, page = _run(tmp_path, ("s1", "s2"), max_drop=5, steady=False)
    remedy = doc["remedy"]
    assert len(remedy["would_drop"]) == 1 and remedy["path"][-1]["drift"]
    assert remedy["stopped"] == "exhausted" and remedy["max_drop"] == 5
    assert "stopped at its budget" not in said
    for text in (markdown.replace("\\", ""), page):
        assert "drift remains." in text and REMEDY_LEFT_NOTE in text
        assert "--max-drop" not in text.split("Remedy")[-1].split(REMEDY_LEFT_NOTE)[0]


def test_the_json_has_no_stop_when_the_remedy_did_not_run(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    _frame(rng, 300, 0.0, ()).to_csv(tmp_path / "train.csv", index=False)
    _frame(rng, 300, 0.0, ()).to_csv(tmp_path / "test.csv", index=False)
    result = CliRunner().invoke(
        cli,
        [
            "drift",
            str(tmp_path / "train.csv"),
            str(tmp_path / "test.csv"),
            "--n-jobs",
            "1",
            "--format",
            "json",
        ],
        catch_exceptions=False,
    )
    assert json.loads(result.stdout)["remedy"] == {"would_drop": [], "path": []}


@pytest.mark.parametrize("max_drop", [1, None])
def test_the_python_api_gives_the_same_reason(max_drop: int | None) -> None:
    rng = np.random.default_rng(3)
    train, test = _frame(rng, 300, 0.0, SHIFTED[:3]), _frame(rng, 300, 0.9, SHIFTED[:3])
    validator = AdversarialValidator(n_jobs=1, random_state=0).fit(train, test)
    dropper = DriftFeatureDropper(
        X_test=test, validator=validator, prefit=True, max_drop=max_drop, random_state=0
    ).fit(train)
    report = summarize(validator, train, test, dropper=dropper)
    stop = report.remedy_stop
    assert isinstance(stop, RemedyStop) and stop.reason == dropper.stop_reason_
    assert stop.max_drop == max_drop
    kept = [c for c in train.columns if c not in dropper.dropped_features_]
    assert set(stop.flagged_left) <= set(kept) & set(SHIFTED)
    if max_drop == 1:
        assert stop.reason == "max_drop" and len(stop.flagged_left) == 2
        assert "stopped at its budget of --max-drop 1" in render_markdown(report)
    else:  # no budget: the search goes on until no drift is left or nothing is droppable
        assert stop.reason in ("no_drift", "exhausted")
    remedy = json.loads(render_json(report))["remedy"]
    assert remedy["stopped"] == stop.reason and remedy["max_drop"] == max_drop
    assert remedy["flagged_left"] == list(stop.flagged_left)


@pytest.mark.parametrize(
    ("stop", "says"),
    [
        (RemedyStop("max_drop", 1, ("b", "c")), "budget of --max-drop 1 columns"),
        (RemedyStop("exhausted", 5), REMEDY_LEFT_NOTE),
        (RemedyStop("protected_drift", 5, ("k",)), "sits in columns it was told to keep"),
        (RemedyStop("target_auc", None), "reached the target it was given (target_auc)"),
        (None, REMEDY_LEFT_NOTE),  # a report built without the reason: as before
    ],
)
def test_each_reason_with_drift_left_has_its_own_words(stop: RemedyStop | None, says: str) -> None:
    steps = (
        RemedyStep(3, 0.7, (0.68, 0.72), True, ("a",), None),
        RemedyStep(2, 0.65, (0.63, 0.67), True, (), None),
    )
    text = remedy_summary(SimpleNamespace(remedy=steps, remedy_stop=stop))
    assert text.startswith("Dropping 1 column (a) brings the AUC from 0.700 to 0.650")
    assert says in text
    others = {REMEDY_LEFT_NOTE, "--max-drop", "told to keep", "target_auc"} - {says}
    assert not any(other in text for other in others if other not in says)
    if stop is not None and stop.reason == "max_drop":
        assert "not reach the columns still flagged on their own, b, c. --max-drop 3" in text


@pytest.mark.parametrize("n_left", [3, 9, 10, 68])
def test_a_budget_stop_with_many_columns_flagged_also_says_keep_them_and_weight(
    n_left: int,
) -> None:
    """A natural time split (flights: 68 of 125 columns still flagged after five drops):
    a larger --max-drop alone would rebuild the table, so the report also names the
    remedies that keep the columns; with a few columns left it does not."""
    steps = (
        RemedyStep(3, 0.9, (0.89, 0.91), True, ("a",), None),
        RemedyStep(2, 0.85, (0.84, 0.86), True, (), None),
    )
    left = tuple(f"c{i}" for i in range(n_left))
    text = remedy_summary(
        SimpleNamespace(remedy=steps, remedy_stop=RemedyStop("max_drop", 5, left))
    )
    assert f"--max-drop {5 + n_left} lets it try them (one more check each)." in text
    assert (REMEDY_SPREAD_NOTE in text) == (n_left >= SPREAD_COLUMNS)
    assert REMEDY_LEFT_NOTE not in text
