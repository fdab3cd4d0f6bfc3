"""No numpy warning reaches the terminal on a table with an all-missing column.

``advval attack`` printed "advval: warning: All-NaN slice encountered" (HopSkipJump's
sampling box takes each column's range over the attacked rows; a column missing in every
row has none): numpy's words for a case the attack handles, not a message for the user.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import lightgbm as lgb
import numpy as np
import pandas as pd
from click.testing import CliRunner

from advval.attacks.blackbox._common import sampling_box
from advval.cli import ExitCode, cli


def test_the_sampling_box_of_an_all_missing_column_is_quiet_and_finite():
    z0 = np.array([[1.0, np.nan], [3.0, np.nan]])
    # what sampling_box reads of a resolved domain: no bounds, one unit per column
    domain = SimpleNamespace(lower=np.full(2, -np.inf), upper=np.full(2, np.inf), scale=np.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low, high = sampling_box(domain, z0)
    assert np.isfinite(low).all() and np.isfinite(high).all()
    assert (low[0], high[0]) == (1.0 - 3.0, 3.0 + 3.0)  # the seen range, widened 3 units
    assert (low[1], high[1]) == (-3.0, 3.0)  # no range seen: around 0


def test_attack_on_a_table_with_an_empty_column_prints_no_numpy_warning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    n = 200
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "empty": np.nan,
                      "constant": 7.0})
    y = (X["a"] + 0.5 * rng.normal(size=n) > 0).astype(int)
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1, random_state=0).fit(X, y)
    model.booster_.save_model("model.txt")
    X.assign(y=y).to_csv("data.csv", index=False)
    result = CliRunner().invoke(
        cli,
        ["attack", "model.txt", "data.csv", "--target", "y", "--eps", "0.1", "--attack",
         "hopskipjump", "--max-rows", "40", "--json", "r.json", "--quiet"],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    assert "All-NaN" not in result.stderr and "empty slice" not in result.stderr, result.stderr
