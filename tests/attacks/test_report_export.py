"""robustness_report(..., export=...): the export check in the Python report, the same
code (and the same values) as ``advval attack --export``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from advval.attacks import FeatureSpace, SquareAttack, TreeAttack, robustness_report
from advval.attacks._export_check import ExportCheckError
from advval.report._robustness import render_robustness_json, render_robustness_markdown

lgb = pytest.importorskip("lightgbm")


@pytest.fixture(scope="module")
def booster_and_export(tmp_path_factory):
    onnxmltools = pytest.importorskip("onnxmltools")
    pytest.importorskip("onnxruntime")
    from onnxmltools.convert.common.data_types import FloatTensorType

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 8},
                        lgb.Dataset(X, y), num_boost_round=20)
    proto = onnxmltools.convert_lightgbm(
        booster, initial_types=[("input", FloatTensorType([None, 5]))], target_opset=15
    )
    path = tmp_path_factory.mktemp("export") / "model.onnx"
    path.write_bytes(proto.SerializeToString())
    # labels off the default index: disagreeing rows are reported by label
    frame = pd.DataFrame(X[:60], columns=[f"c{j}" for j in range(5)],
                         index=np.arange(60) * 3 + 1000)
    return booster, frame, y[:60], path


def test_export_check_in_the_report_names_the_rows_where_the_export_differs(
    booster_and_export,
):
    from advval.attacks import load_model

    booster, frame, y, path = booster_and_export
    report = robustness_report(booster, frame, y, [TreeAttack(None, eps=0.3)],
                               random_state=0, export=path)
    check = report.settings["export_check"]
    assert check["file"] == str(path)
    assert check["attacked"]["rows"] == check["adversarial"]["rows"] == 60
    # recomputed independently: the same minimal attack, native and onnxruntime classes
    onnx_model = load_model(path)
    X_adv = TreeAttack(booster, feature_space=FeatureSpace.from_frame(frame),
                       random_state=0).generate(frame)
    for part, rows in (("attacked", frame), ("adversarial", X_adv)):
        native = (booster.predict(np.asarray(rows)) > 0.5).astype(int)
        exported = onnx_model.predict(np.asarray(rows, dtype=np.float64))
        differ = np.flatnonzero(native != exported)
        assert check[part]["disagree"] == len(differ)
        assert check[part]["disagreeing_rows"] == frame.index[differ].tolist()
    assert check["adversarial"]["disagree"] > 0  # float32 thresholds flip minimal rows
    # the renderers carry it as they carry the CLI's
    shown = json.loads(render_robustness_json(report))["settings"]["export_check"]
    for part in ("attacked", "adversarial"):  # JSON floats: 6 significant digits
        gap = shown[part].pop("max_score_gap")
        assert gap == pytest.approx(check[part]["max_score_gap"], rel=1e-5)
        assert shown[part] == {k: v for k, v in check[part].items() if k != "max_score_gap"}
    assert "export\\_check={file: " in render_robustness_markdown(report)
    # without export: no such setting
    plain = robustness_report(booster, frame, y, [TreeAttack(None, eps=0.3)], random_state=0)
    assert "export_check" not in plain.settings


def test_a_model_treeattack_cannot_read_is_checked_on_the_attacked_rows_only():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    shifted = LogisticRegression().fit(X, y)
    shifted.intercept_ = shifted.intercept_ + 1.0  # a planted disagreement
    report = robustness_report(model, X, y, [SquareAttack(None, eps=0.3, steps=5)],
                               random_state=0, export=shifted)
    check = report.settings["export_check"]
    assert set(check) == {"file", "attacked"}
    assert check["file"] == "<sklearn.LogisticRegression>"
    differ = np.flatnonzero(model.predict(X) != shifted.predict(X))
    assert len(differ) > 0
    assert check["attacked"]["disagreeing_rows"] == differ.tolist()


def test_random_state_objects_give_the_same_report(booster_and_export):
    booster, frame, y, path = booster_and_export
    reports = [
        robustness_report(booster, frame, y, [TreeAttack(None, eps=0.3)],
                          random_state=np.random.RandomState(5), export=path.read_bytes())
        for _ in range(2)
    ]
    assert reports[0].settings["export_check"] == reports[1].settings["export_check"]
    assert reports[0].settings["export_check"]["file"] == "<bytes>"


def test_an_unreadable_export_fails_before_any_attack(tmp_path, booster_and_export):
    booster, frame, y, _ = booster_and_export
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")

    class Counting(TreeAttack):
        runs = 0

        def generate(self, X, y=None):
            Counting.runs += 1
            return super().generate(X, y)

    with pytest.raises(ExportCheckError, match="^export: cannot load the model file"):
        robustness_report(booster, frame, y, [Counting(None, eps=0.3)], export=bad)
    assert Counting.runs == 0
    three = LogisticRegression().fit(frame, np.arange(60) % 3)  # other classes
    with pytest.raises(ValueError, match="^export: the exported model's classes"):
        robustness_report(booster, frame, y, [TreeAttack(None, eps=0.3)], export=three)
