"""Shared fixtures."""

from __future__ import annotations

import functools
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from advval._frames import FrameEncoder
from advval.report import (
    DependencyReport,
    DependencyShift,
    Distribution,
    DriftReport,
    FeatureDependency,
    FeatureDrift,
    RocCurve,
)


def _drift_report(
    names: Sequence[str] = ("age", "income", "city"), *, drift: bool = True
) -> DriftReport:
    """A hand-built, realistic drift report with one feature per name (decreasing importance)."""
    n = len(names)
    features = tuple(
        FeatureDrift(
            name=name,
            kind="categorical" if i % 3 == 2 else "numeric",
            importance=0.8 / (i + 1),
            importance_std=0.05 / (i + 1),
            statistic=0.31 / (i + 1),
            p_value=1e-12 * 10**i if i < 12 else 1.0,
            test="chi2" if i % 3 == 2 else "ks",
            drift=drift and i < 2,
            leak=i == 0 and n > 3,
        )
        for i, name in enumerate(names)
    )
    edges = tuple(i / 10 for i in range(11))
    likeness = Distribution(
        name="test-likeness",
        kind="numeric",
        labels=tuple(f"{a:.1f} to {b:.1f}" for a, b in zip(edges[:-1], edges[1:], strict=True)),
        edges=edges,
        train=(0.02, 0.05, 0.12, 0.2, 0.22, 0.18, 0.11, 0.06, 0.03, 0.01),
        test=(0.01, 0.02, 0.04, 0.08, 0.12, 0.17, 0.2, 0.18, 0.12, 0.06),
    )
    overlays = tuple(
        Distribution(
            name=f.name,
            kind=f.kind,
            labels=("a", "b", "c", "(other)") if f.kind == "categorical" else likeness.labels,
            edges=() if f.kind == "categorical" else tuple(10 * e for e in edges),
            train=(0.4, 0.3, 0.2, 0.1) if f.kind == "categorical" else likeness.train,
            test=(0.2, 0.3, 0.3, 0.2) if f.kind == "categorical" else likeness.test,
        )
        for f in features[:6]
    )
    return DriftReport(
        n_train=1200,
        n_test=800,
        n_features=n,
        auc=0.7345678912 if drift else 0.5012345,
        auc_ci=(0.7101234567, 0.7598765432) if drift else (0.47, 0.53),
        p_value=1.234567891e-20 if drift else 0.4321,
        alpha=0.05,
        min_effect=0.02,
        drift=drift,
        features=features,
        leaks=(names[0],) if n > 3 else (),
        dropped_columns=("empty_col",),
        settings={"estimator": "LGBMClassifier (default)", "n_splits": 5, "random_state": 0,
                  "confidence": 0.95},
        roc=RocCurve(fpr=(0.0, 0.1, 0.3, 0.6, 1.0), tpr=(0.0, 0.35, 0.65, 0.88, 1.0)),
        test_likeness=likeness,
        overlays=overlays,
        fold_aucs=(0.731, 0.742, 0.7288, 0.7366, 0.7301),
        advval_version="0.1.0",
    )


def _mar_line() -> tuple[pd.DataFrame, pd.DataFrame]:
    """500 rows: ``y = 3 x + noise`` of a complete ``x``, and a noise column ``z``; the
    truth, and a copy whose ``y`` is missing mostly where ``x`` is large (MAR: the odds
    ``expit(1.5 (x - 8))``), beyond most observed values of ``y``."""
    import numpy as np

    rng = np.random.default_rng(5)
    n = 500
    x = rng.uniform(0, 10, n)
    truth = pd.DataFrame(
        {"x": x, "y": 3 * x + rng.normal(scale=0.5, size=n), "z": rng.normal(size=n)}
    )
    X = truth.copy()
    X.loc[rng.random(n) < 1 / (1 + np.exp(-(1.5 * (x - 8)))), "y"] = np.nan
    return truth, X


@pytest.fixture
def mar_line() -> Callable[[], tuple[pd.DataFrame, pd.DataFrame]]:
    """Factory: ``truth, X = mar_line()``: a line whose cells are missing at random beyond
    the observed ones (the imputer's extrapolation tests)."""
    return _mar_line


@pytest.fixture
def make_drift_report() -> Callable[..., DriftReport]:
    """Factory: ``make_drift_report(names=("age", ...), drift=True)`` -> a DriftReport."""
    return _drift_report


def _dependency_report(
    names: Sequence[str] = ("age", "income", "city", "id"),
    *,
    compared: bool = False,
    target: bool = True,
    matrix_features: int = 40,
) -> DependencyReport:
    """A hand-built dependency report: scores falling with the position of the name."""
    n = len(names)
    features = tuple(
        FeatureDependency(
            name=name,
            kind="categorical" if i % 3 == 2 else "numeric",
            score=0.98 / (i + 1),
            p_value=1e-9 * 10**i if i < 8 else 1.0,
            significant=i < 8,
            redundant=i == 0,
            leak=(i == 1) if target else None,
            id_like=i == n - 1,
            top_features=tuple(names[(i + k) % n] for k in (1, 2) if n > k),
            metric_name="auc" if i % 3 == 2 else "r2",
            metric=0.97 / (i + 1),
            baseline=0.5 if i % 3 == 2 else -0.01,
            row_order=i == n - 1,
            target_score=(0.99 if i == 1 else 0.1) if target else None,
        )
        for i, name in enumerate(names)
    )
    shown = list(names[:matrix_features])
    matrix = tuple(
        tuple(0.0 if a == b else features[i].score / max(len(shown) - 1, 1) for b in shown)
        for i, a in enumerate(shown)
    )
    shift = tuple(
        DependencyShift(
            name=name,
            train_score=0.9 / (i + 1),
            test_score=0.9 / (i + 1) - (0.6 if i == 0 else 0.0),
            drop=0.6 if i == 0 else 0.0,
            p_value=1e-10 if i == 0 else 0.8,
            shifted=i == 0,
            marginal_p_value=0.5,
        )
        for i, name in enumerate(names)
    )
    return DependencyReport(
        n_rows=1200,
        n_features=n,
        features=features,
        redundant=(names[0],),
        leaking=(names[1],) if target else None,
        id_like=(names[-1],),
        near_duplicates=((names[0], names[1]),),
        shift=shift if compared else (),
        settings={"estimator": "default", "n_splits": 3, "alpha": 0.05, "random_state": 0},
        advval_version="0.1.0",
        compared=compared,
        row_order_score=0.25,
        row_order=(names[-1],),
        dropped=("empty_col",),
        matrix_rows=tuple(shown),
        matrix_columns=tuple(shown),
        matrix=matrix,
    )


@pytest.fixture
def make_dependency_report() -> Callable[..., DependencyReport]:
    """Factory: ``make_dependency_report(names, compared=False, target=True)``."""
    return _dependency_report


def _assert_same_encoder(first: FrameEncoder, second: FrameEncoder) -> None:
    """Every fitted attribute equal (counts compared as Series)."""
    for name in ("columns", "kinds", "dropped", "categories", "others", "formats",
                 "ambiguous_dates", "encoded_columns", "source", "parts", "units"):  # fmt: skip
        assert getattr(first, name) == getattr(second, name), name
    assert first.counts.keys() == second.counts.keys()
    for column in first.counts:
        pd.testing.assert_series_equal(first.counts[column], second.counts[column])


@pytest.fixture
def assert_same_encoder() -> Callable[[FrameEncoder, FrameEncoder], None]:
    """Check two fitted :class:`FrameEncoder` equal (a pieced-together fit vs one fit)."""
    return _assert_same_encoder


def _chromium_command(workdir: Path) -> list[str]:
    """Headless Chromium with its own profile in ``workdir``, cut off from every network."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(
            "headless Chromium is required for the browser tests but was not found on PATH; "
            "install it with `apt-get install chromium` (Debian/Ubuntu: package 'chromium')"
        )
    return [
        path, "--headless", "--no-sandbox", "--disable-gpu",
        f"--user-data-dir={workdir / 'profile'}", "--no-first-run",
        "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", "--disable-default-apps",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ]  # fmt: skip


@pytest.fixture(scope="session")
def chromium_command() -> Callable[[Path], list[str]]:
    """``chromium_command(workdir)``: the browser tests' isolated headless Chromium."""
    return _chromium_command


# ----------------------------------------------------------------------- report schemas
# Every report document the tests make (``to_dict``, which every JSON writer calls) is
# checked against its schema, ``advval.report.json_schema(document["kind"])``, as the
# writer would write it (floats rounded, NaN as null); an invalid one fails the test that
# made it. Classes are watched once their module is imported (the result classes live in
# advval.results, which imports neither torch nor the packages that compute them).

#: module -> report classes whose ``to_dict`` is checked
SCHEMA_WATCHED: dict[str, tuple[str, ...]] = {
    "advval.results._drift": ("DriftReport",),
    "advval.results._dependency": ("DependencyReport",),
    "advval.results._robustness": ("RobustnessReport",),
    "advval.results._image": ("ImageRobustnessReport",),
    "advval.compare._diff": ("ReportDiff",),
}
_schema_failures: list[str] = []


@functools.cache
def _schema_validator(kind: str) -> Any:
    import jsonschema

    from advval.report import json_schema

    return jsonschema.Draft202012Validator(json_schema(kind))


def _check_against_schema(document: Any, owner: str) -> None:
    from advval.report import SCHEMA_KINDS
    from advval.report._json import round_floats

    kind = document.get("kind") if isinstance(document, dict) else None
    if kind not in SCHEMA_KINDS:
        _schema_failures.append(f"{owner}.to_dict() made a document of kind {kind!r}, which "
                                f"has no schema (advval/report/schemas/<kind>.schema.json)")
        return
    validator = _schema_validator(kind)
    written = round_floats(document)
    if validator.is_valid(written):
        return
    errors = sorted(validator.iter_errors(written), key=lambda e: list(e.absolute_path))
    lines = [f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
             for e in errors[:10]]
    _schema_failures.append(f"{owner}.to_dict() made a {kind!r} document that its schema "
                            f"refuses:\n" + "\n".join(lines))


def _watch_report_classes() -> None:
    for module_name, class_names in SCHEMA_WATCHED.items():
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for class_name in class_names:
            cls = getattr(module, class_name)
            original = cls.__dict__["to_dict"]
            if getattr(original, "schema_checked", False):
                continue

            def to_dict(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
                document = _original(self, *args, **kwargs)
                _check_against_schema(document, type(self).__name__)
                return document

            functools.update_wrapper(to_dict, original)
            to_dict.schema_checked = True  # type: ignore[attr-defined]
            cls.to_dict = to_dict


def _raise_schema_failures() -> None:
    if _schema_failures:
        found = "\n".join(_schema_failures)
        _schema_failures.clear()
        pytest.fail(f"report JSON that does not match its schema:\n{found}\n(see "
                    "docs/json-schemas.md: fix the report, or the schema by its version rule)",
                    pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    _watch_report_classes()
    _schema_failures.clear()
    result = yield
    _raise_schema_failures()
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    _watch_report_classes()  # a module imported by the test's fixtures
    result = yield
    _raise_schema_failures()
    return result
