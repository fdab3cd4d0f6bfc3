"""align_columns names the user's arguments or files; one rule for an array's column names."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from advval import AdversarialValidator
from advval._frames import align_columns, array_column_names, as_frame


def test_align_columns_names_what_it_is_told():
    train = pd.DataFrame({"a": [1], "b": [2]})
    test = pd.DataFrame({"a": [1], "c": [2]})
    names = ("TRAIN file 'tr.csv'", "TEST file 'te.csv'")
    with pytest.raises(ValueError) as error:
        align_columns(train, test, names=names)
    assert str(error.value) == (
        "TEST file 'te.csv' has 2 columns but TRAIN file 'tr.csv' has 2: missing in TEST file "
        "'te.csv': ['b']; missing in TRAIN file 'tr.csv': ['c']. Drop or add columns so both "
        "sides have the same ones."
    )
    with pytest.raises(ValueError, match="^X and X_new have no column in common: X has"):
        align_columns(train, pd.DataFrame({"z": [1]}), names=("X", "X_new"))


def test_align_columns_defaults_to_the_api_names():
    with pytest.raises(ValueError, match=re.escape("missing in X_test: ['b']")):
        align_columns(pd.DataFrame({"a": [1], "b": [2]}), pd.DataFrame({"a": [1]}))


def test_test_likeness_names_the_fitted_data_and_x():
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    validator = AdversarialValidator(n_splits=3, random_state=0, n_jobs=1).fit(train, train + 1)
    with pytest.raises(
        ValueError,
        match=re.escape("X has 1 columns but the data seen in fit has 2: missing in X: ['b']"),
    ):
        validator.test_likeness(train[["a"]])


def test_array_columns_follow_one_rule_with_two_spellings():
    assert array_column_names(3) == ["x0", "x1", "x2"]
    assert array_column_names(2, prefix="") == ["0", "1"]
    assert array_column_names(0) == []
    assert as_frame(np.zeros((2, 3)), name="X").columns.tolist() == array_column_names(3)


def test_deps_compare_names_the_users_files(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from advval.cli import cli

    rng = np.random.default_rng(0)
    data = pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30)})
    data.to_csv(tmp_path / "data.csv", index=False)
    data.rename(columns={"b": "B"}).to_csv(tmp_path / "other.csv", index=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["deps", "data.csv", "--compare", "other.csv", "--quiet"])
    assert result.exit_code == 2
    assert (
        "TEST file 'other.csv' has 2 columns but DATA file 'data.csv' has 2: missing in TEST "
        "file 'other.csv': ['b']; missing in DATA file 'data.csv': ['B']" in result.stderr
    )
    assert "X_train" not in result.stderr and "X_test" not in result.stderr


def test_drift_names_the_users_files_when_columns_differ(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from advval.cli import cli

    rng = np.random.default_rng(0)
    train = pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30)})
    train.to_csv(tmp_path / "tr.csv", index=False)
    train.assign(z=1.0).to_csv(tmp_path / "te.csv", index=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["drift", "tr.csv", "te.csv", "--quiet"])
    assert result.exit_code == 2
    assert (
        "column(s) ['z'] are in TEST file 'te.csv' but not in TRAIN file 'tr.csv'; --ignore z "
        "leaves them out of the check" in result.stderr
    )
    assert "X_train" not in result.stderr and "X_test" not in result.stderr
