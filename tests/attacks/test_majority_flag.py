"""``majority_class``: one rule, raised by robustness_report, reported as is by the CLI.

Issue #15 asks that the command line and the Python API give the same flags on the same
data and model: the flag was computed by ``advval attack`` only, so a Python user with
the same imbalanced labels and lazy model heard nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.attacks import FeatureSpace, SquareAttack, TreeAttack, robustness_report
from advval.attacks.evaluate._majority import majority_class_flags
from advval.cli import ExitCode, cli

lightgbm = pytest.importorskip("lightgbm")


def _case(tmp_path: Path, *, rare: float) -> tuple[Path, Path, pd.DataFrame, np.ndarray]:
    """A LightGBM model file and a DATA file of 200 rows whose labels have ``rare`` ones."""
    rng = np.random.default_rng(3)
    n = 1200
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                          "c": rng.uniform(0, 1, n).round(4)})
    if rare < 0.5:  # barely predictable defaults: the model answers 0 nearly always
        frame["y"] = (rng.random(n) < rare * (0.6 + 0.8 * frame["c"])).astype(int)
    else:  # balanced and easy
        frame["y"] = (frame["a"] + frame["b"] > 0).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=8, num_leaves=4, verbose=-1, n_jobs=1,
                                    random_state=0)
    model.fit(frame.iloc[:1000].drop(columns="y"), frame["y"].iloc[:1000])
    model.booster_.save_model(str(tmp_path / "model.txt"))
    valid = frame.iloc[1000:].reset_index(drop=True)
    valid.to_csv(tmp_path / "valid.csv", index=False)
    X = pd.read_csv(tmp_path / "valid.csv").drop(columns="y")
    return tmp_path / "model.txt", tmp_path / "valid.csv", X, valid["y"].to_numpy()


def _both(tmp_path: Path, rare: float) -> tuple[list[dict], list[dict]]:
    """The flags of ``advval attack`` and of robustness_report on the same rows and model."""
    model_path, data_path, X, y = _case(tmp_path, rare=rare)
    result = CliRunner().invoke(
        cli,
        ["attack", str(model_path), str(data_path), "--target", "y", "--attack", "tree",
         "--eps", "0.3", "--seed", "0", "--quiet", "--json", str(tmp_path / "r.json")],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    from_cli = json.loads((tmp_path / "r.json").read_text())["flags"]
    booster = lightgbm.Booster(model_file=str(model_path))
    report = robustness_report(booster, X, y, [TreeAttack(None, eps=0.3)],
                               feature_space=FeatureSpace.from_frame(X), random_state=0)
    from_python = [{"code": f.code, "message": f.message, "attack": f.attack}
                   for f in report.flags]
    return from_cli, from_python


def test_cli_and_python_give_the_same_majority_class_flag(tmp_path):
    from_cli, from_python = _both(tmp_path, rare=0.12)
    # TreeAttack flips none of a model that answers 0 everywhere: zero_gradients too
    assert [f["code"] for f in from_python][-1] == "majority_class"
    assert from_cli == from_python
    message = from_python[-1]["message"]
    y = pd.read_csv(tmp_path / "valid.csv")["y"].to_numpy()
    share = float(np.mean(y == 0))
    assert share >= 0.75  # the case is imbalanced, as planted
    assert f"always answering 0 scores {share:.3f}" in message
    assert f"of the {int(np.sum(y != 0))} rows of the other classes" in message


def test_a_balanced_case_gives_no_flag_on_either_path(tmp_path):
    from_cli, from_python = _both(tmp_path, rare=0.5)
    assert from_cli == from_python == []


def test_robustness_report_flags_a_lazy_model_and_names_its_classes():
    """Independent truth: a model that always answers 'ok' on 90% 'ok' labels."""
    from sklearn.dummy import DummyClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 3))
    y = np.array(["ok"] * 90 + ["late"] * 10)
    model = DummyClassifier(strategy="most_frequent").fit(X, y)
    report = robustness_report(model, X, y, [SquareAttack(None, eps=0.1, steps=2)],
                               random_state=0)
    [flag] = [f for f in report.flags if f.code == "majority_class"]
    assert flag.attack is None
    assert "answers ok for 100.0% of the attacked rows and 90% of them are ok" in flag.message
    assert "scores 0.900, about its clean accuracy 0.900 (it gets 0 of the 10 rows" in flag.message


def test_halfway_is_the_line():
    """90% common class: accuracy 0.95 is halfway to perfect (no flag), below it is flagged."""
    y_idx = np.array([0] * 90 + [1] * 10)
    classes = np.array([0, 1])
    halfway = y_idx.copy()
    halfway[90:95] = 0  # 5 of the 10 rare rows missed: 0.95
    below = y_idx.copy()
    below[90:96] = 0  # 6 missed: 0.94
    assert majority_class_flags(halfway.astype(float), y_idx, classes) == []
    [flag] = majority_class_flags(below.astype(float), y_idx, classes)
    assert "it gets 4 of the 10 rows" in flag.message
    scores = np.eye(2)[below]  # class scores, not labels: the same answer
    assert majority_class_flags(scores, y_idx, classes) == [flag]
