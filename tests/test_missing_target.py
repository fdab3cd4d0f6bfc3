"""A target with missing values: its rows are left out of the model of y, said once."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.utils import check_random_state

from advval import AdversarialValidator, DriftFeatureDropper
from advval.cli import cli
from advval.drift._dropper import _target_signal
from advval.exceptions import DataWarning


def _data(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """'a' drifts (mean +1.5 sd); y is 'b' plus noise, missing on every 6th row."""
    rng = np.random.default_rng(seed)
    n = 300
    train = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                          "c": rng.normal(size=n)})
    test = pd.DataFrame({"a": rng.normal(1.5, 1.0, n), "b": rng.normal(size=n),
                         "c": rng.normal(size=n)})
    y = pd.Series(3.0 * train["b"] + rng.normal(0, 0.1, n), name="label")
    y[::6] = np.nan
    return train, test, y


def _dropper(test: pd.DataFrame) -> DriftFeatureDropper:
    validator = AdversarialValidator(n_splits=3, random_state=0, n_jobs=1)
    return DriftFeatureDropper(X_test=test, validator=validator, random_state=0)


def test_rows_with_a_missing_target_are_left_out_of_the_signal_model():
    train, test, y = _data()
    observed = y.notna().to_numpy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dropper = _dropper(test).fit(train, y)
    said = [
        w for w in caught if issubclass(w.category, DataWarning) and "missing" in str(w.message)
    ]
    assert len(said) == 1  # once
    assert str(said[0].message).startswith(
        "y ('label') has 50 missing value(s) in 300 rows: those rows are left out of the model "
        "of the target"
    )
    # the signal is that of the observed rows alone (the same seed fit() draws)
    signal_seed = int(check_random_state(0).randint(0, 2**31 - 1, size=2)[1])
    expected = _target_signal(
        train.iloc[np.flatnonzero(observed)], y.to_numpy()[observed], None,
        random_state=signal_seed,
    )
    pd.testing.assert_series_equal(dropper.target_signal_, expected)
    assert dropper.target_signal_.idxmax() == "b"  # the planted predictor
    assert dropper.dropped_features_[0] == "a"  # the drift search still runs on every row
    assert y.isna().sum() == 50  # the user's target is not modified


def test_a_complete_target_gives_no_warning():
    train, test, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        dropper = _dropper(test).fit(train, y.fillna(0.0))
    assert dropper.target_signal_ is not None


def test_a_target_with_no_known_value_is_an_error_naming_it():
    train, test, y = _data()
    with pytest.raises(ValueError, match=r"^y \('label'\) has no known value: all 300"):
        _dropper(test).fit(train, pd.Series(np.nan, index=y.index, name="label"))
    with pytest.raises(ValueError, match="Input y contains infinity"):
        _dropper(test).fit(train, y.fillna(np.inf))


def test_the_command_line_reports_the_missing_target_once_and_runs(tmp_path, monkeypatch):
    train, test, y = _data()
    train.assign(label=y).to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli,
        ["drift", "train.csv", "test.csv", "--target", "label", "--n-splits", "3",
         "--n-jobs", "1", "--seed", "0", "--format", "json", "--quiet"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("missing value(s)") == 1
    assert "advval: warning: y ('label') has 50 missing value(s) in 300 rows" in result.stderr
    doc = json.loads(result.stdout)
    assert doc["remedy"]["path"][0]["target_signal"] is not None
