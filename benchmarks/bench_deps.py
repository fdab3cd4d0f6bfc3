"""FeatureDependencyChecker against ppscore's matrix: wall time, and what each finds.

Both see the same frames with planted structure, in fresh subprocesses of the same run (so
the ratio means something on a noisy machine):

- ``leak``: the target plus a little noise (a target leak);
- ``f = max(p0, p1, p2)`` plus a little noise: redundant, but only *jointly*: no single
  column predicts it well, so a single-predictor score such as ppscore misses it by
  construction;
- ``id``: a shuffled integer row number (an ID column);
- ``noise0..noise3``: independent noise (anything flagged there is a false positive);
- ``p0, p1, p2``: the independent parents of ``f``.

advval gets the features and ``y`` separately (``fit(X, y)``, one thread); ppscore gets one
frame with ``y`` as a column (``ppscore.matrix``, its defaults: a decision tree, 4-fold CV,
at most 5,000 sampled rows, one thread). ppscore has no thresholds of its own; it is
credited with a finding at a lenient PPS of 0.8 (advval's own thresholds are 0.95 for a
leak and 0.9 for redundancy), and the numbers are printed so you can judge. ``advval
pairwise`` adds ``pairwise=True`` (every column scored from every single other column, the
quantity ppscore estimates) to the same fit.

ppscore is not a dependency of advval. Its environment, from the repository root::

    python -m venv .venv-bench && . .venv-bench/bin/activate
    pip install -e .
    pip install --no-deps ppscore   # 1.3.1 runs on pandas 3 (see the shim below)

Usage::

    python benchmarks/bench_deps.py            # 2,000 and 20,000 rows x 10 columns
    python benchmarks/bench_deps.py --quick    # 1,000 rows, a smoke run
    python benchmarks/bench_deps.py --scale    # advval alone, 100 columns x 50,000 rows

``--scale`` times the checker on 100 columns (the planted ones, 24 correlated pairs, 10
categorical columns, noise) and 50,000 rows; it must finish within 5 minutes on 2 cores.
Before and after issue 15's adaptive models (early stopping, linear leaves), the same
shared machine under a load average of 9 to 13: 52 s CPU (128 s wall) before, 40 s CPU
(145 s wall) after; planted leak, redundancy and ID found both times, no other flag.
Issue 15's refit on every training row (and, below 10,000 training rows, up to 5 folds,
a slower rate and a finer stopping rule), before and after in the same session, load
average 3 to 4: 15 -> 17 s CPU at 50,000 rows (the hold-out split), 14 -> 40 s CPU with
``--rows 5000`` (cross-fitting: 5 folds instead of 3, each model running more rounds);
the same flags each time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

PPS_FOUND = 0.8  # ppscore is credited with a finding at this PPS
NOISE = [f"noise{k}" for k in range(4)]
INSTALL = "pip install --no-deps ppscore"


def make_data(rows: int, seed: int = 0, *, wide: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    """The planted frame (10 columns, or 100 with ``wide``) and its target ``y``."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(rows, 3)), columns=["p0", "p1", "p2"])
    X["f"] = X[["p0", "p1", "p2"]].max(axis=1) + rng.normal(scale=0.03, size=rows)
    y = pd.Series(rng.normal(size=rows), name="y")
    X["leak"] = y + rng.normal(scale=0.05, size=rows)
    X["id"] = rng.permutation(rows)
    for name in NOISE:
        X[name] = rng.normal(size=rows)
    if wide:
        for k in range(24):  # correlated pairs
            base = rng.normal(size=rows)
            X[f"pair{k}a"] = base
            X[f"pair{k}b"] = base + rng.normal(scale=1.0, size=rows)
        levels = np.array([f"level{j}" for j in range(12)])
        for k in range(10):
            X[f"cat{k}"] = pd.Categorical(levels[rng.integers(0, 12, size=rows)])
        for k in range(100 - X.shape[1]):
            X[f"extra{k}"] = rng.normal(size=rows)
    return X, y


def import_ppscore() -> Any:
    """ppscore, or None; with the one shim it needs when pandas drops an old helper."""
    if importlib.util.find_spec("ppscore") is None:
        return None
    import pandas.api.types as types

    if not hasattr(types, "is_categorical_dtype"):  # removed in pandas 4
        types.is_categorical_dtype = lambda x: isinstance(  # type: ignore[attr-defined]
            getattr(x, "dtype", x), pd.CategoricalDtype
        )
    import ppscore

    return ppscore


def run_ppscore(X: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    pps = import_ppscore()
    frame = X.assign(y=y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecations inside ppscore
        start = time.perf_counter()
        table = pps.matrix(frame)
        seconds = time.perf_counter() - start
    score = {(r.x, r.y): float(r.ppscore) for r in table.itertuples() if r.x != r.y}
    cases = {(r.x, r.y): str(r.case) for r in table.itertuples()}
    best_f = max((score[(x, "f")], x) for x in X.columns if x != "f")
    noise_hits = [
        n for n in NOISE if max(v for (a, b), v in score.items() if n in (a, b)) >= 0.1
    ]
    return {
        "seconds": seconds,
        "leak": score[("leak", "y")],
        "leak_found": score[("leak", "y")] >= PPS_FOUND,
        "redundant": best_f[0],
        "redundant_by": best_f[1],
        "redundant_found": best_f[0] >= PPS_FOUND,
        "id_case": cases[("id", "y")],
        "id_found": cases[("id", "y")] in ("feature_is_id", "target_is_id"),
        "noise_flagged": noise_hits,
    }


def run_advval(X: pd.DataFrame, y: pd.Series, *, pairwise: bool = False,
               n_jobs: int | None = 1) -> dict[str, Any]:
    from advval import FeatureDependencyChecker

    start, cpu = time.perf_counter(), time.process_time()
    checker = FeatureDependencyChecker(pairwise=pairwise, n_jobs=n_jobs, random_state=0)
    checker.fit(X, y)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    scores = checker.scores_
    flagged = (
        set(checker.redundant_features_) | set(checker.leaking_features_)
        | set(checker.id_like_features_)
    )
    result = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "leak": float(checker.target_scores_["leak"]),
        "leak_found": "leak" in checker.leaking_features_,
        "redundant": float(scores.loc["f", "score"]),
        "redundant_by": ", ".join(scores.loc["f", "top_features"]),
        "redundant_found": "f" in checker.redundant_features_,
        "id_found": "id" in checker.id_like_features_,
        "noise_flagged": [n for n in NOISE if n in flagged or bool(scores.loc[n, "significant"])],
        "false_flags": sorted(flagged - {"leak", "f", "id"}),
    }
    if pairwise:
        single = checker.pairwise_matrix_.loc["f"].drop("f")
        result["best_single"] = float(single.max())
        result["best_single_by"] = str(single.idxmax())
    return result


def child(kind: str, rows: int, wide: bool, n_jobs: int | None) -> None:
    X, y = make_data(rows, wide=wide)
    if kind == "ppscore":
        result = run_ppscore(X, y)
    else:
        result = run_advval(X, y, pairwise=kind == "pairwise", n_jobs=n_jobs)
    print(json.dumps(result))


def measure(kind: str, rows: int, *, wide: bool = False, n_jobs: int | None = 1) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, "--rows", str(rows)]
    command += ["--n-jobs", "none" if n_jobs is None else str(n_jobs)]
    if wide:
        command.append("--wide")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _verdict(found: bool, detail: str) -> str:
    return f"{'found' if found else 'MISSED'} ({detail})"


def compare(sizes: list[int]) -> None:
    have_pps = import_ppscore() is not None
    if not have_pps:
        print(f"ppscore is not installed: timing advval alone. To compare: {INSTALL}\n")
    results = []
    print(f"{'rows':>7} {'cols':>5} {'ppscore s':>10} {'advval s':>9} {'ratio':>6} "
          f"{'advval pairwise s':>18}")
    for rows in sizes:
        pps = measure("ppscore", rows) if have_pps else None
        ours = measure("advval", rows)
        pair = measure("pairwise", rows)
        results.append((rows, pps, ours, pair))
        ratio = f"{ours['seconds'] / pps['seconds']:>6.2f}" if pps else f"{'n/a':>6}"
        pps_s = f"{pps['seconds']:>10.1f}" if pps else f"{'n/a':>10}"
        print(f"{rows:>7} {10:>5} {pps_s} {ours['seconds']:>9.1f} {ratio} "
              f"{pair['seconds']:>18.1f}", flush=True)
    print("ratio = advval s / ppscore s (same frames, same run, one thread each)\n")

    for rows, pps, ours, pair in results:
        print(f"planted cases, {rows} rows:")
        lines = [
            ("leak = y + noise", "leak",
             _verdict(ours["leak_found"], f"alone predicts y: {ours['leak']:.2f}"),
             pps and _verdict(pps["leak_found"], f"PPS leak->y {pps['leak']:.2f}")),
            ("f = max(p0,p1,p2)", "redundant",
             _verdict(ours["redundant_found"],
                      f"score {ours['redundant']:.2f} from {ours['redundant_by']}"),
             pps and _verdict(pps["redundant_found"], f"best single PPS {pps['redundant']:.2f}"
                              f" ({pps['redundant_by']})")),
            ("id (shuffled ints)", "ID", _verdict(ours["id_found"], "id-like"),
             pps and _verdict(pps["id_found"], f"case '{pps['id_case']}'")),
            ("noise0..noise3", "nothing",
             f"{len(ours['noise_flagged'])} of 4 flagged",
             pps and f"{len(pps['noise_flagged'])} of 4 with PPS >= 0.1"),
        ]
        print(f"  {'planted':<20} {'truth':<10} {'advval':<44} ppscore")
        for name, truth, a, b in lines:
            print(f"  {name:<20} {truth:<10} {a:<44} {b or 'not installed'}")
        print(f"  advval pairwise: best single-column score of f {pair['best_single']:.2f} "
              f"({pair['best_single_by']}): a single predictor does not explain it")
        if ours["false_flags"]:
            print(f"  advval also flagged: {', '.join(ours['false_flags'])}")
        print()


def scale(rows: int, n_jobs: int | None) -> None:
    print(f"advval FeatureDependencyChecker, 100 columns x {rows} rows "
          f"(n_jobs={n_jobs}, target given)...", flush=True)
    load = os.getloadavg()[0]
    ours = measure("advval", rows, wide=True, n_jobs=n_jobs)
    budget = 300.0
    print(f"{ours['seconds']:.0f} s wall ({ours['seconds'] / 60:.1f} min), "
          f"{ours['cpu_seconds']:.0f} s CPU, on {os.cpu_count()} cores with a load average of "
          f"{load:.1f} before / {os.getloadavg()[0]:.1f} after; budget {budget:.0f} s: "
          f"{'within' if ours['seconds'] <= budget else 'OVER'}")
    print(f"planted: leak {'found' if ours['leak_found'] else 'MISSED'}, f redundant "
          f"{'found' if ours['redundant_found'] else 'MISSED'}, id "
          f"{'found' if ours['id_found'] else 'MISSED'}, other flags: "
          f"{', '.join(ours['false_flags']) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows; repeatable")
    parser.add_argument("--quick", action="store_true", help="one small frame (1,000 rows)")
    parser.add_argument("--scale", action="store_true",
                        help="time advval alone on 100 columns x 50,000 rows")
    parser.add_argument("--n-jobs", default=None,
                        help="threads for --scale (default: the library's)")
    parser.add_argument("--child", choices=["advval", "pairwise", "ppscore"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--wide", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    n_jobs = None if args.n_jobs in (None, "none") else int(args.n_jobs)
    if args.child:
        child(args.child, args.rows[0], args.wide, n_jobs)
    elif args.scale:
        scale((args.rows or [50_000])[0], n_jobs)
    else:
        compare(args.rows or ([1_000] if args.quick else [2_000, 20_000]))


if __name__ == "__main__":
    main()
