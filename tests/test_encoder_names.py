"""Messages about the data name the caller's arguments or the user's files (issue #16).

The encoder, the row check and the groups / time blocks take ``names`` like
``align_columns``; the validator's fit passes its own, the dropper ``X`` / ``X_test``, the
command line the two files.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from advval import AdversarialValidator, DriftFeatureDropper
from advval._frames import FrameEncoder
from advval.drift._fitted import check_sides
from advval.drift._grouping import split_off_groups
from advval.exceptions import DataWarning

N = 60


def _numbers_and_dates() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Column 'd' is numbers on the train side and dates on the test side."""
    rng = np.random.default_rng(3)
    train = pd.DataFrame({"a": rng.normal(size=N), "d": rng.normal(size=N)})
    days = pd.date_range("2020-01-01", periods=N).strftime("%Y-%m-%d")
    test = pd.DataFrame({"a": rng.normal(size=N), "d": list(days)})
    return train, test


def test_the_encoder_names_the_sides_it_is_told():
    train, test = _numbers_and_dates()
    with pytest.raises(TypeError) as default:
        FrameEncoder().fit(train, test)
    assert str(default.value).startswith(
        "Column 'd' is numeric in X_train but text/categorical in X_test, where these values "
        "are not numbers: '2020-01-01' (1 rows)"
    )
    with pytest.raises(TypeError) as named:
        FrameEncoder().fit(train, test, names=("LEFT", "RIGHT"))
    # the same message, only the two names differ
    assert str(named.value) == str(default.value).replace("X_train", "LEFT").replace(
        "X_test", "RIGHT"
    )
    assert "X_train" not in str(named.value) and "X_test" not in str(named.value)


def test_the_encoder_warnings_name_the_sides():
    train = pd.DataFrame({"a": [1.0, 2.0, 3.0], "gone": [np.nan] * 3, "day": ["01/31/2013"] * 3})
    test = pd.DataFrame({"a": [1.0, 2.0, 3.0], "gone": [np.nan] * 3, "day": ["31/01/2013"] * 3})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FrameEncoder().fit(train, test, names=("LEFT", "RIGHT"))
    texts = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert any("all missing in both LEFT and RIGHT: ['gone']" in t for t in texts), texts
    assert any("written one way in LEFT and another in RIGHT" in t for t in texts), texts
    assert not any("X_train" in t or "X_test" in t for t in texts)


def test_the_row_check_and_the_time_blocks_name_the_sides():
    with pytest.raises(ValueError, match=r"^B has 4 sample\(s\) but adversarial validation"):
        check_sides(5, 4, n_splits=5, names=("A", "B"))
    with pytest.raises(ValueError, match=r"^X_test has 4 sample\(s\)"):
        check_sides(5, 4, n_splits=5)
    a = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "t": [1.0, 2.0, np.nan, 4.0]})
    b = pd.DataFrame({"x": [1.0, 2.0], "t": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"'t' has missing values in A\.$"):
        split_off_groups(a, b, groups=None, time_col="t", n_splits=2, names=("A", "B"))
    with pytest.raises(ValueError, match=r"is not in A / B; columns are"):
        split_off_groups(a, b, groups=None, time_col="nope", n_splits=2, names=("A", "B"))
    with pytest.raises(ValueError, match=r"one label per row of A then B \(6 labels\)"):
        split_off_groups(a, b, groups=[1, 2], time_col=None, n_splits=2, names=("A", "B"))


def test_the_validator_keeps_naming_its_own_arguments():
    train, test = _numbers_and_dates()
    mismatch = "Column 'd' is numeric in X_train but text/categorical in X_test"
    with pytest.raises(TypeError, match=mismatch):
        AdversarialValidator(n_jobs=1, random_state=0).fit(train, test)
    with pytest.raises(ValueError, match=r"^X_train has 3 sample\(s\)"):
        AdversarialValidator(n_jobs=1, random_state=0).fit(train.head(3), test)


def test_the_dropper_names_x_in_what_its_validator_raises_and_warns():
    train, test = _numbers_and_dates()
    dropper = DriftFeatureDropper(
        X_test=test, validator=AdversarialValidator(n_jobs=1), random_state=0
    )
    with pytest.raises(TypeError) as error:
        dropper.fit(train)
    assert str(error.value).startswith("Column 'd' is numeric in X but text/categorical in X_test")
    # a time column with a gap: the validator's block check, named as the dropper's argument
    timed = train.assign(d=np.arange(N, dtype=float))
    timed.loc[5, "d"] = np.nan
    dropper = DriftFeatureDropper(
        X_test=timed.assign(a=timed["a"] + 1).fillna(0.0),
        validator=AdversarialValidator(n_jobs=1, time_col="d"),
        random_state=0,
    )
    gap = "'time_col' column 'd' has missing values in X."
    with pytest.raises(ValueError, match=re.escape(gap)):
        dropper.fit(timed)
    # a warning from the validator's encoder names X too (it was never renamed before)
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"a": rng.normal(size=N), "gone": np.nan})
    X_test = pd.DataFrame({"a": rng.normal(size=N), "gone": np.nan})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DriftFeatureDropper(
            X_test=X_test, validator=AdversarialValidator(n_jobs=1), random_state=0
        ).fit(X)
    texts = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert any("all missing in both X and X_test: ['gone']" in t for t in texts), texts


def test_drift_names_both_files_when_a_column_changes_kind(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from advval.cli import cli

    train, test = _numbers_and_dates()
    train.to_csv(tmp_path / "tr.csv", index=False)
    test.to_csv(tmp_path / "te.csv", index=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["drift", "tr.csv", "te.csv", "--quiet", "--n-jobs", "1"])
    assert result.exit_code == 2, result.output
    assert (
        "Column 'd' is numeric in TRAIN file 'tr.csv' but text/categorical in TEST file "
        "'te.csv', where these values are not numbers: '2020-01-01' (1 rows)"
    ) in result.stderr
    assert "X_train" not in result.stderr and "X_test" not in result.stderr
