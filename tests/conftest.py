"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from advval.report import Distribution, DriftReport, FeatureDrift, RocCurve


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


@pytest.fixture
def make_drift_report() -> Callable[..., DriftReport]:
    """Factory: ``make_drift_report(names=("age", ...), drift=True)`` -> a DriftReport."""
    return _drift_report
