"""The HTML report in a real browser: it renders, and it fetches nothing from the network.

Headless Chromium loads the report from a file:// URL with a net log on and every host name
resolving to nothing. Requests the page itself makes carry the page's origin as initiator
(``"null"`` for file://); Chromium's own background traffic (updates, time, sign-in) has
``"not an origin"``. A control page with external references proves the log sees page
requests; a report with an injected external image proves the CSP blocks them.
"""

from __future__ import annotations

import html
import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from advval import AdversarialValidator, FeatureDependencyChecker
from advval.report import (
    build_dependency_report,
    build_drift_report,
    render_dependency_html,
    render_html,
    render_robustness_html,
)
from advval.report._columns import table_script
from advval.report._markdown import format_fixed

pytestmark = pytest.mark.browser

XSS = "<script>alert(1)</script>"
EVIL_CATEGORY = "<img src=x onerror=alert(1)>"
PROBE = "http://advval-probe.invalid/x.png"
BACKGROUND = "not an origin"  # initiator of Chromium's own requests


def _scriptless(dom: str) -> str:
    """The DOM without the drift table's script, the only script it may hold."""
    shipped = f"<script>{table_script()}</script>"
    assert dom.count("<script") == dom.count(shipped) <= 1
    return dom.replace(shipped, "")


def _load(page: Path, workdir: Path, chromium: list[str]) -> tuple[str, list[str]]:
    """Load ``page`` in headless Chromium; return the DOM and the URLs the page requested."""
    netlog = workdir / f"{page.stem}.netlog.json"
    done = subprocess.run(
        [*chromium, f"--log-net-log={netlog}", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    text = netlog.read_text(encoding="utf-8")
    try:
        log = json.loads(text)
    except json.JSONDecodeError:  # a log cut short at exit lacks its closing brackets
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    requested = [
        event["params"]["url"]
        for event in log["events"]
        if names.get(event["type"]) == "URL_REQUEST_START_JOB"
        and "url" in (event.get("params") or {})
        and event["params"].get("initiator") != BACKGROUND
    ]
    return done.stdout, requested


@pytest.fixture(scope="module")
def real_report():
    """A report from the real validator on a planted shift, with hostile names."""
    rng = np.random.default_rng(0)

    def frame(shift: float, n: int = 300) -> pd.DataFrame:
        return pd.DataFrame({
            XSS: rng.normal(shift, 1.0, n),
            "b": rng.normal(0.0, 1.0, n),
            "city": rng.choice([EVIL_CATEGORY, "paris", "rome"], n,
                               p=[0.2 + shift / 5, 0.4, 0.4 - shift / 5]),
        })

    train, test = frame(0.0), frame(1.0)
    validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    return build_drift_report(validator, train, test)


def test_report_renders_in_chromium(real_report, tmp_path, chromium_command):
    page = tmp_path / "report.html"
    page.write_text(render_html(real_report), encoding="utf-8")
    dom, requested = _load(page, tmp_path, chromium_command(tmp_path))
    dom = _scriptless(dom)
    assert real_report.drift
    assert "Drift detected" in dom
    assert format_fixed(real_report.auc) in dom
    for feature in real_report.features[:3]:
        assert html.escape(feature.name, quote=False) in dom
    assert html.escape(XSS, quote=False) in dom  # shown as text...
    assert "<script" not in dom  # ...never as an element
    assert "<img" not in dom
    assert dom.count("<svg") >= 3
    assert requested == []


@pytest.fixture(scope="module")
def dependency_report():
    """A dependency report from the real checker, with a hostile column name and a shift."""
    rng = np.random.default_rng(0)

    def frame(sign: float, n: int = 200) -> pd.DataFrame:
        a, b = rng.normal(size=(2, n))
        return pd.DataFrame({"a": a, "b": b, XSS: sign * a + rng.normal(scale=0.05, size=n)})

    train, test = frame(1.0), frame(-1.0)
    checker = FeatureDependencyChecker(n_jobs=1, random_state=0).fit(train, train["b"] > 0)
    return build_dependency_report(checker, checker.dependency_shift(train, test))


def test_dependency_report_renders_in_chromium(dependency_report, tmp_path, chromium_command):
    page = tmp_path / "deps.html"
    page.write_text(render_dependency_html(dependency_report), encoding="utf-8")
    dom, requested = _load(page, tmp_path, chromium_command(tmp_path))
    assert XSS in dependency_report.shifted
    assert "Possible target leak" in dom and "Relationships changed" in dom
    assert "Which columns explain which" in dom and "Dependency shift" in dom
    assert html.escape(XSS, quote=False) in dom  # shown as text...
    assert "<script" not in dom  # ...never as an element
    assert dom.count("<svg") == 1  # the heatmap
    assert requested == []


def test_kaggle_report_with_leaks_renders_in_chromium(tmp_path, chromium_command):
    """A real Kaggle-shaped table with leaking time stamps, hostile input file names."""
    import warnings

    from advval import DriftFeatureDropper
    from advval.datasets import make_kaggle_table
    from advval.exceptions import DataWarning, LeakWarning

    table = make_kaggle_table("flights", n_rows=3_000, random_state=1)
    train = table.train.drop(columns=[table.id, table.target])
    test = table.test.drop(columns=[table.id])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LeakWarning)  # the time stamps, seen in the report
        warnings.simplefilter("ignore", DataWarning)  # a note on the free-text column
        validator = AdversarialValidator(max_rows=1_500, n_jobs=1, random_state=0)
        validator.fit(train, test)
    dropper = DriftFeatureDropper(
        X_test=test, validator=validator, prefit=True, max_drop=1, random_state=0
    ).fit(train)
    report = build_drift_report(
        validator, train, test, dropper=dropper, train_name=XSS, test_name=EVIL_CATEGORY
    )
    assert report.without_leaks is not None
    page = tmp_path / "kaggle.html"
    page.write_text(render_html(report), encoding="utf-8")
    dom, requested = _load(page, tmp_path, chromium_command(tmp_path))
    assert 'id="without-leaks"' in dom and "Without the leak-like columns" in dom
    assert f">{format_fixed(report.without_leaks.auc)} <small>" in dom
    assert html.escape(XSS, quote=False) in dom and html.escape(EVIL_CATEGORY, quote=False) in dom
    dom = _scriptless(dom)
    assert "<script" not in dom and "<img" not in dom
    # ROC, likeness, importance, overlays, and a small plot per column in the table
    assert dom.count("<svg") == 3 + len(report.overlays) + len(report.features)
    assert requested == []


def test_control_page_requests_are_seen(tmp_path, chromium_command):
    page = tmp_path / "control.html"
    page.write_text(f'<!DOCTYPE html><html><body><img src="{PROBE}"><p>control</p></body></html>')
    dom, requested = _load(page, tmp_path, chromium_command(tmp_path))
    assert "control" in dom
    assert PROBE in requested


def test_content_security_policy_blocks_fetches(real_report, tmp_path, chromium_command):
    page = tmp_path / "injected.html"
    text = render_html(real_report).replace("<main>", f'<main><img src="{PROBE}">', 1)
    page.write_text(text, encoding="utf-8")
    dom, requested = _load(page, tmp_path, chromium_command(tmp_path))
    assert PROBE in dom  # the element is there...
    assert requested == []  # ...but the CSP kept it from loading


def test_robustness_report_renders_in_chromium(tmp_path, chromium_command):
    from sklearn.linear_model import LogisticRegression

    from advval.attacks import SquareAttack, robustness_report

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=[XSS, "b", "c"])
    y = (X[XSS] + X["b"] > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(X, y)
    report = robustness_report(model, X, y, [SquareAttack(None, eps=0.5, steps=20)],
                               eps=[0.1, 0.5], random_state=0)
    page = tmp_path / "robustness.html"
    page.write_text(render_robustness_html(report), encoding="utf-8")
    dom, requested = _load(page, tmp_path, chromium_command(tmp_path))
    assert report.robust_accuracy < report.clean_accuracy
    assert f"Robust accuracy {format_fixed(report.robust_accuracy)}" in dom
    assert "Accuracy versus eps" in dom and "Columns attackers change" in dom
    assert html.escape(XSS, quote=False) in dom  # shown as text...
    assert "<script" not in dom  # ...never as an element
    assert dom.count("<svg") == 2  # the curve and the feature bars
    assert requested == []


def test_image_report_renders_in_chromium(tmp_path, chromium_command):
    import dataclasses

    from sklearn.datasets import load_digits

    from advval.attacks import PGD
    from advval.attacks.evaluate import SanityFlag
    from advval.report import render_image_html

    torch = pytest.importorskip("torch")
    from advval.image import evaluate_robustness

    digits = load_digits()
    X = torch.tensor(digits.images[:300] / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(digits.target[:300])
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    with torch.no_grad():  # ridge regression on one-hot targets: a seed-free classifier
        A = torch.cat([X.flatten(1), torch.ones(300, 1)], dim=1).double()
        B = torch.nn.functional.one_hot(y, 10).double()
        W = torch.linalg.solve(A.T @ A + 1e-2 * torch.eye(65, dtype=A.dtype), A.T @ B)
        model[1].weight.copy_(W[:-1].T.float())
        model[1].bias.copy_(W[-1].float())
    report = evaluate_robustness(model.eval(), (X[:30], y[:30]),
                                 attacks=[PGD(None, eps=0.2, steps=5)], eps=[0.05, 0.2],
                                 n_examples=3, random_state=0)
    report = dataclasses.replace(report, robustness=dataclasses.replace(
        report.robustness, flags=(SanityFlag("zero_gradients", XSS, "PGD"),)))
    page = tmp_path / "image.html"
    page.write_text(render_image_html(report), encoding="utf-8")
    dom, requested = _load(page, tmp_path, chromium_command(tmp_path))
    assert report.examples is not None and len(report.examples.labels) == 3
    assert "Worst-case examples" in dom and "Accuracy versus eps" in dom
    assert dom.count('src="data:image/png;base64,') == 3  # the pictures are in the page...
    assert html.escape(XSS, quote=False) in dom  # flag text shown as text...
    assert "<script" not in dom  # ...never as an element
    assert dom.count("<svg") == 1  # the curve
    assert requested == []  # ...and nothing is fetched
