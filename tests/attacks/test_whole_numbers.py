"""Float columns of whole numbers (a count with missing values) are integer by default."""

from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.attacks import FeatureSpace, SquareAttack
from advval.attacks._space import whole_number_columns
from advval.cli import cli


def _frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    visits = rng.integers(0, 12, n).astype(float)
    visits[rng.random(n) < 0.1] = np.nan  # a count read as float because of its gaps
    return pd.DataFrame(
        {
            "visits": visits,
            "income": rng.gamma(2.0, 1.5, n),
            "flag": rng.integers(0, 2, n).astype(float),  # whole, but only 2 values
            "age": rng.integers(20, 70, n),
        }
    )


def test_whole_valued_floats_are_integer_by_default_and_the_list_overrides():
    X = _frame()
    assert whole_number_columns(X) == ["visits"]
    assert FeatureSpace.from_frame(X).integer == ["visits", "age"]
    assert FeatureSpace.from_frame(X, integer=[]).integer == []
    huge = pd.DataFrame({"big": [2.0**60, 2.0**61, 2.0**62, 3.0 * 2**60]})
    assert whole_number_columns(huge) == []  # every float that large is whole
    assert whole_number_columns(pd.DataFrame({"e": [np.nan, np.nan]})) == []


def test_the_continuous_key_takes_a_column_out_and_conflicts_are_named():
    X = _frame()
    assert FeatureSpace.from_config({}, X).integer == ["visits", "age"]
    assert FeatureSpace.from_config({"continuous": ["visits"]}, X).integer == ["age"]
    with pytest.raises(ValueError, match=r"'integer' and 'continuous' both name.*visits"):
        FeatureSpace.from_config({"integer": ["visits"], "continuous": ["visits"]}, X)
    with pytest.raises(ValueError, match="'continuous' in the constraints mapping names"):
        FeatureSpace.from_config({"continuous": ["nope"]}, X)


def _model(X: pd.DataFrame) -> lgb.LGBMClassifier:
    y = ((X["visits"].fillna(5) > 5) ^ (X["income"] > 3)).astype(int)
    return lgb.LGBMClassifier(
        n_estimators=20, num_leaves=4, min_child_samples=5, n_jobs=1, verbose=-1
    ).fit(X, y)


def test_an_attack_keeps_the_count_whole():
    X = _frame()
    model = _model(X)
    y = model.predict(X)
    moved = {}
    for name, space in (
        ("default", FeatureSpace.from_frame(X)),
        ("continuous", FeatureSpace.from_frame(X, integer=["age"])),
    ):
        attack = SquareAttack(model, eps=2.0, max_queries=60, feature_space=space,
                              random_state=0)
        adversarial = attack.generate(X.iloc[:60], y[:60])  # a frame like X
        visits = adversarial["visits"].to_numpy(dtype=float)
        seen = ~np.isnan(visits)
        moved[name] = visits[seen]
        assert np.array_equal(np.isnan(visits), X["visits"].iloc[:60].isna().to_numpy())
    assert np.all(moved["default"] == np.round(moved["default"]))
    # the check can fail: treated as continuous, the same attack makes fractions
    assert np.any(moved["continuous"] != np.round(moved["continuous"]))


def test_cli_says_once_which_columns_it_keeps_whole(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X = _frame()
    model = _model(X)
    data = X.assign(y=model.predict(X))
    data.to_csv("data.csv", index=False)
    model.booster_.save_model("model.txt")
    args = ["attack", "model.txt", "data.csv", "--target", "y", "--max-rows", "30",
            "--max-queries", "20", "--format", "json"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    note = [line for line in result.stderr.splitlines() if "hold only whole numbers" in line]
    assert len(note) == 1 and "'visits'" in note[0] and "'continuous'" in note[0]
    assert "'flag'" not in note[0] and "'age'" not in note[0]
    json.loads(result.stdout)
    quiet = CliRunner().invoke(cli, [*args, "--quiet"], catch_exceptions=False)
    assert "hold only whole numbers" not in quiet.stderr
