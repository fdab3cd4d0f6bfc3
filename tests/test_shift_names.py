"""The dependency shift's messages name the user's files on the command line and the
caller's arguments in Python.

``advval deps DATA --compare TEST`` fits the shift's encoder inside
``FeatureDependencyChecker.dependency_shift``: its errors and warnings about the two samples
(a column of one kind in DATA and another in TEST, a flag with a value only TEST has,
a column TEST lacks, infinite values, too few rows, dates written two ways) must say
``DATA file '...'`` and ``TEST file '...'``, on both of its paths (the shift's own models,
and the models of the checker's hold-out fit reused with ``prefit=True``). From Python
the same messages name the parameters, ``X_train`` and ``X_test``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.cli import ExitCode, cli
from advval.dependency import FeatureDependencyChecker, dependency_shift
from advval.exceptions import DataWarning

N = 60
FAST = ["--quiet", "--n-jobs", "1", "--seed", "0"]
PYTHON = ("X_train", "X_test")


def _data(n: int = N, seed: int = 0) -> pd.DataFrame:
    """Two numbers, a category and a flag (its CSV cells read back as booleans)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": rng.choice(["p", "q", "r"], n),
            "f": rng.choice([True, False], n),
        }
    )


def _words(test: pd.DataFrame) -> pd.DataFrame:
    return test.assign(b=[f"w{i}" for i in range(len(test))])


def _new_flag_value(test: pd.DataFrame) -> pd.DataFrame:
    flags = test["f"].astype(str).to_numpy(dtype=object)
    flags[::3] = "maybe"
    return test.assign(f=flags)


def _infinite(test: pd.DataFrame) -> pd.DataFrame:
    values = test["a"].to_numpy(copy=True)
    values[3] = np.inf
    return test.assign(a=values)


#: a bad TEST side: how it is made, the error type, the message ({0}: DATA's name, {1}: TEST's)
BAD_TEST: dict[str, tuple[Callable[[pd.DataFrame], pd.DataFrame], type[Exception], str]] = {
    "numbers_then_words": (
        _words,
        TypeError,
        "Column 'b' is numeric in {0} but text/categorical in {1}, where these values are not "
        "numbers: 'w0' (1 rows), 'w1' (1 rows), 'w10' (1 rows) and 57 more; convert one side "
        "so both have one type.",
    ),
    "flag_with_a_value_only_test_has": (
        _new_flag_value,
        TypeError,
        "Column 'f' is boolean in {0} but text/categorical in {1}; convert one side so both "
        "have one type.",
    ),
    "column_missing_in_test": (
        lambda test: test.drop(columns="b"),
        ValueError,
        "{1} has 3 columns but {0} has 4: missing in {1}: ['b']. Drop or add columns so both "
        "sides have the same ones.",
    ),
    "infinite_values": (
        _infinite,
        ValueError,
        "Column 'a' of {1} contains infinite values; replace them with NaN or finite numbers.",
    ),
    "too_few_rows": (
        lambda test: test.head(4),
        ValueError,
        "{1} has 4 row(s); dependency_shift needs 6.",
    ),
}


def _checker() -> FeatureDependencyChecker:
    return FeatureDependencyChecker(n_jobs=1, random_state=0)


@pytest.fixture
def hold_out(monkeypatch) -> list[str]:
    """A row budget small enough that a few hundred rows take the checker's hold-out path,
    so ``prefit=True`` reuses its models (``shift_from_fit``); records which shift ran."""
    from advval.dependency import _budget, _shift

    monkeypatch.setattr(_budget, "MAX_TRAIN_ROWS", 140)
    for module in (_budget, _shift):
        monkeypatch.setattr(module, "scored_rows", lambda threshold: 160)
    ran: list[str] = []
    for name in ("shift_from_fit", "shift_named"):
        original = getattr(_shift, name)

        def recorded(*args, _name=name, _original=original, **kwargs):
            ran.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(_shift, name, recorded)
    return ran


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Iterator[None]:
    """The files are written to, and named relative to, a fresh working folder."""
    monkeypatch.chdir(tmp_path)
    yield


def _deps(data: pd.DataFrame, test: pd.DataFrame, *args: str):
    data.to_csv("data.csv", index=False)
    test.to_csv("test.csv", index=False)
    return CliRunner().invoke(
        cli, ["deps", "data.csv", "--compare", "test.csv", "-o", "deps.json", *args, *FAST]
    )


FILES = ("DATA file 'data.csv'", "TEST file 'test.csv'")


@pytest.mark.parametrize("case", list(BAD_TEST))
def test_deps_compare_names_both_files(case, folder):
    make, _, message = BAD_TEST[case]
    data = _data()
    result = _deps(data, make(_data(seed=1)))
    assert result.exit_code == ExitCode.USAGE, result.output
    assert f"Error: {message.format(*FILES)}" in result.stderr
    assert "X_train" not in result.stderr and "X_test" not in result.stderr


def test_deps_compare_names_both_files_when_the_fit_models_are_reused(folder, hold_out):
    data = _data(n=400)
    result = _deps(data, _words(_data(seed=1)))
    assert result.exit_code == ExitCode.USAGE, result.output
    assert hold_out == ["shift_from_fit"]  # the hold-out fit's models, not the shift's own
    message = BAD_TEST["numbers_then_words"][2].format(*FILES)
    assert f"Error: {message}" in result.stderr
    assert "X_train" not in result.stderr and "X_test" not in result.stderr


def _dates(frame: pd.DataFrame, date_format: str) -> pd.DataFrame:
    days = pd.date_range("2020-01-01", periods=len(frame), freq="D")
    return frame.assign(b=days.strftime(date_format))


def test_deps_compare_warns_about_two_date_formats_naming_both_files(folder):
    result = _deps(_dates(_data(), "%m/%d/%Y"), _dates(_data(seed=1), "%d/%m/%Y"))
    assert result.exit_code == ExitCode.OK, result.output
    assert (
        "Column(s) ['b'] hold dates written one way in DATA file 'data.csv' and another in "
        "TEST file 'test.csv' ('b': '%m/%d/%Y' vs '%d/%m/%Y')"
    ) in " ".join(result.stderr.split())


@pytest.mark.parametrize("case", list(BAD_TEST))
def test_python_names_its_parameters(case):
    make, error, message = BAD_TEST[case]
    train, test = _data(), make(_data(seed=1))
    expected = "^" + re.escape(message.format(*PYTHON)) + "$"
    with pytest.raises(error, match=expected):
        dependency_shift(train, test, n_jobs=1, random_state=0)
    with pytest.raises(error, match=expected):
        _checker().dependency_shift(train, test)


@pytest.mark.parametrize("case", ["numbers_then_words", "infinite_values", "too_few_rows"])
def test_python_names_its_parameters_when_the_fit_models_are_reused(case, hold_out):
    make, error, message = BAD_TEST[case]
    train = _data(n=400)
    checker = _checker().fit(train)
    with pytest.raises(error, match="^" + re.escape(message.format(*PYTHON)) + "$"):
        checker.dependency_shift(train, make(_data(seed=1)), prefit=True)
    assert hold_out == ["shift_from_fit"]


def test_python_warns_about_two_date_formats_naming_its_parameters():
    train, test = _dates(_data(), "%m/%d/%Y"), _dates(_data(seed=1), "%d/%m/%Y")
    with pytest.warns(DataWarning, match=r"written one way in X_train and another in X_test "):
        shift = dependency_shift(train, test, n_jobs=1, random_state=0)
    # the two formats keep the column a category: its marginal test compares labels
    assert shift.loc["b", "marginal_test"] == "chi2"
