"""On Dask data too, drift messages name the user's files (CLI) or the caller's arguments.

``AdversarialValidator._fit_named`` passes its ``names`` to the Dask backend as to the
pandas one: its column alignment, encoder (kinds, infinite values), row check, groups
and time blocks. ``advval drift --scheduler`` (or ``--workers``) therefore says ``TRAIN
file '...'`` / ``TEST file '...'``, and ``fit`` says ``X_train`` / ``X_test``. The tests
share the session's LocalCluster (tests/distributed/conftest.py); every bad input is
refused before a model is trained.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pytest.importorskip("lightgbm.dask")

from advval import AdversarialValidator  # noqa: E402
from advval.cli import ExitCode, cli  # noqa: E402

N = 40


def _dask(frame: pd.DataFrame):
    return dd.from_pandas(frame, npartitions=2, sort=False)


def _frame(seed: int, n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"x": rng.normal(size=n), "d": rng.normal(size=n), "t": np.arange(n, dtype=float)}
    )


def _words(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(d=[f"w{i}" for i in range(len(frame))])


def _infinite(frame: pd.DataFrame) -> pd.DataFrame:
    values = frame["x"].to_numpy(copy=True)
    values[5] = np.inf
    return frame.assign(x=values)


def _gap(frame: pd.DataFrame) -> pd.DataFrame:
    values = frame["t"].to_numpy(copy=True)
    values[7] = np.nan
    return frame.assign(t=values)


KIND = (
    "Column 'd' is numeric in {0} but text/categorical in {1}, where these values are not "
    "numbers: 'w0' (1 rows), 'w1' (1 rows), 'w10' (1 rows) and 37 more; convert one side so "
    "both have one type."
)


@pytest.mark.parametrize(
    ("make_train", "make_test", "params", "groups", "error", "message"),
    [
        (None, _words, {}, None, TypeError, KIND),
        (None, _infinite, {}, None, ValueError,
         "Column 'x' of {1} contains infinite values; replace them with NaN or finite numbers."),
        (lambda f: f.head(3), None, {}, None, ValueError,
         "{0} has 3 sample(s) but adversarial validation with n_splits=5 needs at least 5 rows "
         "on each side."),
        (None, _gap, {"time_col": "t"}, None, ValueError,
         "The 'time_col' column 't' has missing values in {1}."),
        (None, None, {}, "nope", ValueError,
         "The 'groups' column 'nope' is not in {0} / {1}; columns are ['x', 'd', 't']."),
        (None, lambda f: f.drop(columns="d"), {}, None, ValueError,
         "{1} has 2 columns but {0} has 3: missing in {1}: ['d']. Drop or add columns so both "
         "sides have the same ones."),
    ],
    ids=["kind", "infinite", "rows", "time_gap", "groups", "missing_column"],
)
def test_the_dask_fit_names_the_sides_it_is_told(
    client, make_train, make_test, params, groups, error, message
):
    train, test = _frame(0), _frame(1)
    train = train if make_train is None else make_train(train)
    test = test if make_test is None else make_test(test)
    validator = AdversarialValidator(client=client, n_jobs=1, random_state=0, **params)
    with pytest.raises(error) as named:
        validator._fit_named(_dask(train), _dask(test), groups=groups, names=("LEFT", "RIGHT"))
    assert str(named.value) == message.format("LEFT", "RIGHT")
    # the public fit: the same message, naming its own parameters
    with pytest.raises(error, match="^" + re.escape(message.format("X_train", "X_test")) + "$"):
        validator.fit(_dask(train), _dask(test), groups=groups)


@pytest.mark.parametrize(
    ("make_test", "args", "message"),
    [
        (_words, [], KIND),
        (_infinite, [],
         "Column 'x' of {1} contains infinite values; replace them with NaN or finite numbers."),
        (lambda f: f.head(3), [],
         "{1} has 3 sample(s) but adversarial validation with --n-splits 5 needs at least 5 "
         "rows on each side."),
        (_gap, ["--time-col", "t"], "The 'time_col' column 't' has missing values in {1}."),
    ],
    ids=["kind", "infinite", "rows", "time_gap"],
)
def test_drift_on_a_cluster_names_both_files(cluster, tmp_path, monkeypatch, make_test, args,
                                             message):
    monkeypatch.chdir(tmp_path)
    _frame(0).to_csv("tr.csv", index=False)
    make_test(_frame(1)).to_csv("te.csv", index=False)
    result = CliRunner().invoke(
        cli,
        ["drift", "tr.csv", "te.csv", "--scheduler", cluster.scheduler_address, "--quiet",
         "--n-jobs", "1", *args],
    )
    assert result.exit_code == ExitCode.USAGE, result.output
    stderr = " ".join(result.stderr.split())
    assert message.format("TRAIN file 'tr.csv'", "TEST file 'te.csv'") in stderr, stderr
    assert "X_train" not in stderr and "X_test" not in stderr


@pytest.mark.parametrize(
    ("make_data", "message"),
    [
        (_infinite,
         "Column 'x' of DATA file 'data.csv' contains infinite values; replace them with NaN "
         "or finite numbers."),
        (lambda f: f.assign(__advval_target=1.0),
         "DATA file 'data.csv' has a column named '__advval_target', a name advval reserves; "
         "rename it."),
    ],
    ids=["infinite", "reserved_name"],
)
def test_deps_on_a_cluster_names_the_data_file(cluster, tmp_path, monkeypatch, make_data,
                                               message):
    monkeypatch.chdir(tmp_path)
    make_data(_frame(0)).to_csv("data.csv", index=False)
    result = CliRunner().invoke(
        cli,
        ["deps", "data.csv", "--scheduler", cluster.scheduler_address, "-o", "deps.json",
         "--quiet", "--n-jobs", "1"],
    )
    assert result.exit_code == ExitCode.USAGE, result.output
    stderr = " ".join(result.stderr.split())
    assert f"Error: {message}" in stderr, stderr
    assert "of X " not in stderr and "X has" not in stderr
