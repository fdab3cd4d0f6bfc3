"""Wall time and peak memory of AdversarialValidator against a plain 5-fold LightGBM loop.

The floor is what a user writes by hand: the same LightGBM classifier, the same early
stopping, five folds, out-of-fold probabilities, nothing else. advval adds input checks,
encoding, the sequential test, SHAP attribution and the per-column tests on top. Both run
in fresh subprocesses on the same data, in the same run, so the ratio is meaningful on a
noisy machine; peak memory is each subprocess's maximum resident set size.

Usage::

    python benchmarks/bench_drift.py                 # 10k, 100k, 1M rows x 50 columns
    python benchmarks/bench_drift.py --rows 10000    # one size
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

N_NUMERIC, N_CATEGORICAL, N_LEVELS = 40, 10, 20


def make_data(rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``rows`` rows split evenly, 40 numeric + 10 categorical columns, a small planted shift."""
    rng = np.random.default_rng(seed)
    half = rows // 2

    def side(shift: float) -> pd.DataFrame:
        numeric = rng.normal(size=(half, N_NUMERIC)).astype(np.float64)
        numeric[:, :3] += shift
        frame = pd.DataFrame(numeric, columns=[f"num{i}" for i in range(N_NUMERIC)])
        levels = [f"level{j}" for j in range(N_LEVELS)]
        for i in range(N_CATEGORICAL):
            frame[f"cat{i}"] = pd.Categorical.from_codes(
                rng.integers(0, N_LEVELS, size=half), categories=levels
            )
        return frame

    return side(0.0), side(0.05)


def run_floor(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from advval._models import default_domain_classifier, fit_classifier, positive_scores

    X = pd.concat([train, test], ignore_index=True)
    y = np.r_[np.zeros(len(train), dtype=int), np.ones(len(test), dtype=int)]
    estimator = default_domain_classifier(n_rows=int(len(y) * 0.8), random_state=0, n_jobs=None)
    oof = np.empty(len(y))
    for train_idx, held_out in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        model = fit_classifier(estimator, X.iloc[train_idx], y[train_idx], random_state=0)
        oof[held_out] = positive_scores(model, X.iloc[held_out])
    return {"auc": float(roc_auc_score(y, oof))}


def run_advval(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, float]:
    from advval import AdversarialValidator
    from advval.report import build_drift_report

    validator = AdversarialValidator(random_state=0).fit(train, test)
    build_drift_report(validator, train, test)
    return {"auc": float(validator.auc_), "p_value": float(validator.p_value_)}


def child(kind: str, rows: int) -> None:
    train, test = make_data(rows)
    start = time.perf_counter()
    result = (run_floor if kind == "floor" else run_advval)(train, test)
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb, **result}))


def measure(kind: str, rows: int) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--rows", str(rows)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, action="append", help="total rows (train + test); repeatable"
    )
    parser.add_argument("--child", choices=["floor", "advval"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.rows or [10_000, 100_000, 1_000_000]
    if args.child:
        child(args.child, sizes[0])
        return
    print(
        f"{'rows':>9} {'floor s':>8} {'advval s':>9} {'ratio':>6} {'floor MB':>9} "
        f"{'advval MB':>10} {'auc':>6} {'p':>9}"
    )
    for rows in sizes:
        floor = measure("floor", rows)
        ours = measure("advval", rows)
        print(
            f"{rows:>9} {floor['seconds']:>8.1f} {ours['seconds']:>9.1f} "
            f"{ours['seconds'] / floor['seconds']:>6.2f} {floor['peak_mb']:>9.0f} "
            f"{ours['peak_mb']:>10.0f} {ours['auc']:>6.3f} {ours['p_value']:>9.2g}",
            flush=True,
        )


if __name__ == "__main__":
    main()
