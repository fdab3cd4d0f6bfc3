"""Columns the dependency estimators cannot score: the warning says which, why, and what
to do, in plain words (no "NaN"), naming the user's file on the command line; a column
with no value in one sample gets no shift score (it was scored 0 on no rows, under a
numpy "Mean of empty slice" warning printed on the terminal).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.cli import ExitCode, cli
from advval.dependency import FeatureDependencyChecker, dependency_shift
from advval.exceptions import DataWarning

WORDS = np.array(["red", "cat", "runs", "far", "blue", "dog", "sleeps", "near"])
WHY = "a model cannot learn which of their many values a row holds"
ADVICE = (
    "To have one scored, derive a column with fewer, frequent values from it (a code's "
    "prefix, a text's category); leave out an identifier (CLI: --id or --ignore)."
)


def _frame(seed: int, n: int = 400, *, test: bool = False, empty: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "a": a,
            "b": 2 * a + rng.normal(0, 0.3, n),
            "c": rng.integers(0, 4, n),
            "note": [" ".join(rng.choice(WORDS, 5)) + f" {k}" for k in range(n)],
            "ticket": [f"T{k}" for k in rng.integers(0, 5000, n)],
            "box office": np.nan if test else rng.lognormal(3, 1, n),  # empty in test
        }
    )
    if empty:
        frame["all missing"] = np.nan  # on both sides
    return frame


def _messages(caught, start):
    return [str(w.message) for w in caught if str(w.message).startswith(start)]


def test_the_checker_says_which_columns_why_and_what_to_do():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FeatureDependencyChecker(n_jobs=1, random_state=0).fit(_frame(0))
    (message,) = _messages(caught, "The dependency check does not predict")
    assert "free text ['note'] and codes with no value on 1% of the rows ['ticket'] of X" in (
        message
    )
    assert WHY in message and "they get no score and are never called redundant" in message
    assert message.endswith(ADVICE)
    assert not re.search(r"\bnan\b", message, flags=re.IGNORECASE)


def test_the_shift_says_the_same_and_an_empty_side_has_no_score():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shift = dependency_shift(_frame(0), _frame(1, test=True), n_jobs=1, random_state=0)
    (message,) = _messages(caught, "The dependency shift does not predict")
    assert "['ticket'] of X_train from the other columns" in message and WHY in message
    assert "never flagged as shifted" in message and message.endswith(ADVICE)
    assert not re.search(r"\bnan\b", message, flags=re.IGNORECASE)
    # no numpy warning about an empty sample: nothing is computed on no rows
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    empty = shift.loc["box office"]
    assert empty["train_score"] >= 0.0 and np.isnan(empty["test_score"])
    assert np.isnan(empty["drop"]) and empty["p_value"] == 1.0 and not empty["shifted"]
    assert np.isnan(empty["marginal_statistic"]) and np.isnan(empty["marginal_p_value"])
    # the other columns are scored as before: b is determined by a in both samples
    assert shift.loc["b", "train_score"] > 0.8 and shift.loc["b", "test_score"] > 0.8


def test_the_command_line_names_the_file_and_prints_no_numpy_warning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _frame(0, empty=True).to_csv("train.csv", index=False)
    _frame(1, test=True, empty=True).to_csv("test.csv", index=False)
    result = CliRunner().invoke(
        cli,
        ["deps", "train.csv", "--compare", "test.csv", "--n-jobs", "1", "--markdown", "d.md",
         "--quiet"],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    lines = result.stderr.splitlines()
    check = [x for x in lines if x.startswith("advval: warning: The dependency check")]
    assert len(check) == 1 and "['ticket'] of DATA file 'train.csv'" in check[0]
    assert check[0].endswith(ADVICE)
    # the shift reuses the check's fit (prefit): the same columns are not named twice
    assert not [x for x in lines if "The dependency shift does not predict" in x], lines
    dropped = [x for x in lines if "whose values are all missing" in x]
    assert len(dropped) == 1 and "['all missing']" in dropped[0], lines
    assert not any("empty slice" in x or "invalid value" in x for x in lines), lines
    table = Path("d.md").read_text(encoding="utf-8")
    row = next(x for x in table.splitlines() if x.startswith("| box office |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:4] == ["n/a", "n/a"] and cells[-1] == "n/a"  # test score, drop, marginal


@pytest.mark.parametrize("owner", ["The dependency check", "The dependency shift"])
def test_the_warning_is_a_data_warning(owner):
    frame = _frame(0)
    call = {
        "The dependency check": lambda: FeatureDependencyChecker(n_jobs=1, random_state=0).fit(
            frame
        ),
        "The dependency shift": lambda: dependency_shift(
            frame, _frame(2), n_jobs=1, random_state=0
        ),
    }[owner]
    with pytest.warns(DataWarning, match=f"^{owner} does not predict free text"):
        call()


def test_a_prefit_shift_does_not_name_the_columns_again_a_fresh_one_does():
    train, test = _frame(0, empty=True), _frame(2, empty=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        checker = FeatureDependencyChecker(n_jobs=1, random_state=0).fit(train)
        checker.dependency_shift(train, test, prefit=True)
    assert len(_messages(caught, "The dependency check does not predict")) == 1
    assert not _messages(caught, "The dependency shift does not predict")
    assert len(_messages(caught, "Dropped 1 column(s)")) == 1  # the fit's, not the shift's
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        checker.dependency_shift(train, test)  # its own models: its own warnings
    assert len(_messages(caught, "The dependency shift does not predict free text")) == 1
    assert len(_messages(caught, "Dropped 1 column(s) whose values are all missing in both")) == 1
