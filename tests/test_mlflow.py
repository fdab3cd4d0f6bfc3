"""advval.integrations.mlflow: reports logged to a local MLflow file store and read back.

Every figure read back with ``MlflowClient`` is compared with the report it came from;
the artifacts are the reports ``write_report`` writes (the JSON one valid against its
schema). Also: the active run is used when there is one, a param that would change is
refused before anything is logged, hostile column names make valid unique keys, a
missing MLflow gives the pip fix, and ``import advval`` does not import MLflow.
"""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression

import advval._compat
from advval import AdversarialValidator, FeatureDependencyChecker
from advval.attacks import NESAttack, SquareAttack, robustness_report
from advval.datasets import load_flights
from advval.integrations.mlflow import log_report, report_metrics, report_params
from advval.report import (
    build_dependency_report,
    build_drift_report,
    json_schema,
    render_html,
    render_json,
)


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A fresh local file store as MLflow's tracking URI; no run left open after."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps it behind a flag
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DO_NOT_TRACK", "true")
    yield MlflowClient()
    while mlflow.active_run() is not None:
        mlflow.end_run()


@pytest.fixture(scope="module")
def drift():
    X_train, X_test = load_flights()
    validator = AdversarialValidator(max_rows=600, n_splits=3, random_state=0)
    validator.fit(X_train, X_test)
    return build_drift_report(validator, X_train, X_test)


def artifact_text(client, run_id, path, tmp_path):
    local = client.download_artifacts(run_id, path, str(tmp_path / "download"))
    with open(local, encoding="utf-8") as handle:
        return handle.read()


def test_a_drift_report_goes_to_a_new_run_and_reads_back(store, drift, tmp_path):
    assert mlflow.active_run() is None
    run_id = log_report(drift, top=3, run_name="nightly")
    assert mlflow.active_run() is None  # the run it made is ended
    run = store.get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "nightly"
    metrics, params = run.data.metrics, run.data.params

    def rounded(x):
        return float(f"{x:.6g}")

    assert metrics["advval/drift/auc"] == rounded(drift.auc)
    assert metrics["advval/drift/auc_ci_low"] == rounded(drift.auc_ci[0])
    assert metrics["advval/drift/auc_ci_high"] == rounded(drift.auc_ci[1])
    assert metrics["advval/drift/p_value"] == rounded(drift.p_value)
    assert metrics["advval/drift/drift"] == float(drift.drift) == 1.0
    assert metrics["advval/drift/n_train"] == 3000 and metrics["advval/drift/n_test"] == 3000
    assert metrics["advval/drift/n_drifted_columns"] == sum(f.drift for f in drift.features)
    top = drift.features[:3]
    columns = {k for k in metrics if k.startswith("advval/drift/columns/")}
    assert columns == {f"advval/drift/columns/{f.name}/{m}" for f in top
                       for m in ("importance", "statistic", "p_value", "drift")}
    for feature in top:
        key = f"advval/drift/columns/{feature.name}"
        assert metrics[f"{key}/importance"] == rounded(feature.importance)
        assert metrics[f"{key}/drift"] == float(feature.drift)
    assert params["advval/drift/alpha"] == "0.05"
    assert params["advval/drift/min_effect"] == "0.01"
    assert params["advval/drift/random_state"] == "0"
    assert params["advval/drift/n_splits"] == "3"
    assert params["advval/drift/schema_version"] == "1"
    assert params["advval/drift/correction"] == "holm"  # text as it is, not JSON-quoted
    names = sorted(a.path for a in store.list_artifacts(run_id, "advval"))
    assert names == ["advval/drift.html", "advval/drift.json"]
    document = artifact_text(store, run_id, "advval/drift.json", tmp_path)
    assert document == render_json(drift) + "\n"
    jsonschema.validate(json.loads(document), json_schema("drift"))
    assert artifact_text(store, run_id, "advval/drift.html", tmp_path) == render_html(drift) + (
        "" if render_html(drift).endswith("\n") else "\n")


def test_the_active_run_is_used_and_left_open(store):
    X, _ = load_flights()
    X = X.iloc[:300].copy()
    X["target"] = (X["dep_delay"].fillna(0) > 10).astype(int)
    X["target_copy"] = X["target"]
    checker = FeatureDependencyChecker(random_state=0).fit(X.drop(columns="target"),
                                                           X["target"])
    report = build_dependency_report(checker)
    with mlflow.start_run() as run:
        run_id = log_report(report, artifacts=False, top=2)
        assert run_id == run.info.run_id and mlflow.active_run() is not None
    logged = store.get_run(run_id)
    metrics = logged.data.metrics
    assert metrics["advval/deps/n_redundant"] == len(report.redundant)
    assert metrics["advval/deps/n_leaking"] == len(report.leaking) >= 1
    assert metrics["advval/deps/n_rows"] == 300 and "advval/deps/n_shifted" not in metrics
    first = report.features[0]
    assert metrics[f"advval/deps/columns/{first.name}/score"] == float(f"{first.score:.6g}")
    assert logged.data.params["advval/deps/redundancy_threshold"] == "0.9"
    assert store.list_artifacts(run_id) == []


def test_a_robustness_report_logs_accuracies_per_attack_and_curve(store):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 4)), columns=["a", "b", "c", "d"])
    y = (X["a"] + X["b"] > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(X, y)
    attacks = [SquareAttack(None, eps=0.5, steps=20), NESAttack(None, eps=0.5, steps=5),
               SquareAttack(None, eps=0.5, steps=5)]
    report = robustness_report(model, X, y, attacks, eps=[0.1, 0.5], random_state=0)
    run_id = log_report(report, prefix="eval/tabular")
    metrics = store.get_run(run_id).data.metrics
    base = "eval/tabular/robustness"
    assert metrics[f"{base}/clean_accuracy"] == float(f"{report.clean_accuracy:.6g}")
    assert metrics[f"{base}/robust_accuracy"] == float(f"{report.robust_accuracy:.6g}")
    for attack, part in zip(report.attacks, ["SquareAttack", "NESAttack", "SquareAttack_2"],
                            strict=True):
        assert attack.name.replace("#", "_") == part
        assert metrics[f"{base}/attacks/{part}/robust_accuracy"] == float(
            f"{attack.robust_accuracy:.6g}")
    for point in report.curve:
        key = f"{base}/curve/{point.norm}/eps_{point.eps:g}/robust_accuracy"
        assert metrics[key] == float(f"{point.robust_accuracy:.6g}")
    names = sorted(a.path for a in store.list_artifacts(run_id, "eval/tabular"))
    assert names == ["eval/tabular/robustness.html", "eval/tabular/robustness.json"]


def test_a_param_that_would_change_is_refused_before_logging(store, drift):
    other = type(drift)(**{**drift.__dict__, "alpha": 0.01, "auc": 0.9})
    with mlflow.start_run() as run:
        log_report(drift, artifacts=False)
        with pytest.raises(ValueError, match=r"advval/drift/alpha.*another 'prefix'"):
            log_report(other, artifacts=False)
        log_report(other, prefix="second", artifacts=False)
    metrics = store.get_run(run.info.run_id).data.metrics
    assert metrics["advval/drift/auc"] == float(f"{drift.auc:.6g}")  # not overwritten
    assert metrics["second/drift/auc"] == 0.9


def test_hostile_column_names_make_valid_unique_keys(store, make_drift_report):
    names = ["<script>/x:y", "<script>_x_y", "..", "", "é" * 300, "é" * 301, " a b "]
    report = make_drift_report(names)
    keys = [k for k in report_metrics(report, top=len(names)) if "/importance" in k]
    assert len(set(keys)) == len(names) and all(len(k) <= 250 for k in keys)
    run_id = log_report(report, top=len(names), prefix="")  # MLflow checks every key
    logged = store.get_run(run_id).data.metrics
    assert {k for k in logged if k.endswith("/importance")} == set(keys)
    assert "drift/columns/_script__x_y/importance" in logged
    params = report_params(report)
    assert params["drift/estimator"] == "LGBMClassifier (default)"


def test_missing_mlflow_gives_the_pip_fix(monkeypatch, drift):
    real = advval._compat.has_module
    monkeypatch.setattr(advval._compat, "has_module", lambda name: name != "mlflow" and real(name))
    with pytest.raises(ImportError, match=r'pip install "advval\[mlflow\]"'):
        log_report(drift)


def test_bad_arguments_name_the_parameter(drift):
    with pytest.raises(TypeError, match="'report' parameter of log_report.*got|Got dict"):
        log_report({"kind": "drift"})
    with pytest.raises(ValueError, match="'prefix' parameter"):
        log_report(drift, prefix="a//b")
    with pytest.raises(ValueError, match="'prefix' parameter"):
        log_report(drift, prefix="a/../b")
    with pytest.raises(ValueError, match="'top'"):
        log_report(drift, top=-1)


def test_import_advval_does_not_import_mlflow():
    code = ("import sys, advval, advval.report, advval.integrations.mlflow; "
            "print('mlflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=300)
    assert done.stdout.strip() == "False"


def test_an_image_report_logs_its_examples_count(store):
    torch = pytest.importorskip("torch")
    from advval.attacks import PGD
    from advval.image import evaluate_robustness

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3))
    images = torch.rand(12, 1, 4, 4)
    with torch.no_grad():
        labels = net(images).argmax(1)
    report = evaluate_robustness(net, (images, labels), attacks=[PGD(None, steps=3)],
                                 eps=[0.05, 0.3], n_examples=2, random_state=0)
    run_id = log_report(report)
    metrics = store.get_run(run_id).data.metrics
    base = "advval/image_robustness"
    assert metrics[f"{base}/n_examples"] == report.examples.labels.size == 2
    assert metrics[f"{base}/robust_accuracy"] == float(f"{report.robust_accuracy:.6g}")
    assert metrics[f"{base}/attacks/PGD/fooling_rate"] == float(
        f"{report.robustness.attacks[0].fooling_rate:.6g}")
    names = sorted(a.path for a in store.list_artifacts(run_id, "advval"))
    assert names == ["advval/image_robustness.html", "advval/image_robustness.json"]


def test_a_drift_report_checked_against_a_baseline_logs_the_sorting(drift):
    from advval.compare import Baseline, apply_baseline

    document = json.loads(render_json(drift))
    check = apply_baseline(Baseline.from_report(document), document)
    metrics = report_metrics(type(drift)(**{**drift.__dict__, "baseline": check}))
    sorted_drift = check.to_dict()
    assert metrics["drift/baseline_failed"] == float(sorted_drift["failed"]) == 0.0
    for status in ("accepted", "new", "grown", "resolved"):
        assert metrics[f"drift/baseline_{status}"] == len(sorted_drift[status])
    assert metrics["drift/baseline_accepted"] >= 1  # the report's own drift is accepted
    assert not any(k.startswith("drift/baseline") for k in report_metrics(drift))
