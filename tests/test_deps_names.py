"""``advval deps DATA``: the dependency check's messages name the user's file and target.

``FeatureDependencyChecker._fit_named`` is :meth:`fit` with the names its errors and
warnings give ``X`` and ``y``; the command line passes ``DATA file '...'`` and ``--target
column '...' of DATA file '...'``, so a bad DATA file (infinite values, too few rows, one
feature left, an empty column, a target with one value or none) is named as the user gave
it. From Python the messages keep naming ``X`` and ``y``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.cli import ExitCode, cli
from advval.dependency import FeatureDependencyChecker
from advval.exceptions import DataWarning

N = 60
FAST = ["--quiet", "--n-jobs", "1", "--seed", "0"]
DATA = "DATA file 'data.csv'"
TARGET = "--target column 'y' of DATA file 'data.csv'"


def _data(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, n))
    return pd.DataFrame({"a": a, "b": b, "c": a + b, "y": (a > 0).astype(int)})


def _infinite(frame: pd.DataFrame) -> pd.DataFrame:
    values = frame["a"].to_numpy(copy=True)
    values[3] = -np.inf
    return frame.assign(a=values)


#: a bad DATA file: how it is made, the error type, the message ({0}: DATA, {1}: its target)
BAD_DATA: dict[str, tuple[Callable[[pd.DataFrame], pd.DataFrame], type[Exception], str]] = {
    "infinite_values": (
        _infinite,
        ValueError,
        "Column 'a' of {0} contains infinite values; replace them with NaN or finite numbers.",
    ),
    "one_feature": (
        lambda frame: frame[["a", "y"]],
        ValueError,
        "{0} has 1 feature(s) ['a'] but FeatureDependencyChecker predicts each column from "
        "the others, so it needs at least 2 columns.",
    ),
    "target_of_one_value": (
        lambda frame: frame.assign(y=1),
        ValueError,
        "{1} has a single distinct value (1); the leak check needs a target with at least two "
        "classes or values.",
    ),
    "target_all_missing": (
        lambda frame: frame.assign(y=np.nan),
        ValueError,
        "{1} has no observed value (all 60 are missing); the leak check needs a target with "
        "at least two classes or values.",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_deps_names_the_data_file_and_its_target(case, tmp_path, monkeypatch):
    make, _, message = BAD_DATA[case]
    monkeypatch.chdir(tmp_path)
    make(_data()).to_csv("data.csv", index=False)
    result = CliRunner().invoke(
        cli, ["deps", "data.csv", "--target", "y", "-o", "deps.json", *FAST]
    )
    assert result.exit_code == ExitCode.USAGE, result.output
    assert f"Error: {message.format(DATA, TARGET)}" in " ".join(result.stderr.split())
    assert not re.search(r"\b(X|y) has\b|\bof X\b", result.stderr), result.stderr


def test_deps_names_the_data_file_when_rows_are_too_few(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _data(n=5).to_csv("data.csv", index=False)
    result = CliRunner().invoke(cli, ["deps", "data.csv", "-o", "deps.json", *FAST])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert (
        f"Error: {DATA} has 5 sample(s) but FeatureDependencyChecker with --n-splits 3 needs "
        f"at least 6 rows."
    ) in " ".join(result.stderr.split())


def test_deps_warning_about_an_empty_column_names_the_data_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _data().assign(gone=np.nan).to_csv("data.csv", index=False)
    result = CliRunner().invoke(
        cli, ["deps", "data.csv", "-o", "deps.json", "--n-jobs", "1", "--seed", "0"]
    )
    assert result.exit_code == ExitCode.OK, result.output
    assert (
        f"Dropped 1 column(s) of {DATA} whose values are all missing: ['gone']."
    ) in " ".join(result.stderr.split())


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_python_names_x_and_y(case):
    make, error, message = BAD_DATA[case]
    frame = make(_data())
    checker = FeatureDependencyChecker(n_jobs=1, random_state=0)
    with pytest.raises(error, match="^" + re.escape(message.format("X", "y")) + "$"):
        checker.fit(frame.drop(columns="y"), frame["y"])


def test_python_warning_about_an_empty_column_names_x():
    checker = FeatureDependencyChecker(n_jobs=1, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        checker.fit(_data().assign(gone=np.nan).drop(columns="y"))
    texts = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert "Dropped 1 column(s) of X whose values are all missing: ['gone']." in texts
