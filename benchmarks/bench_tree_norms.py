"""TreeAttack in L2 and with an eps budget, against the black-box attacks, one run.

The tree part of ``bench_tabular_attacks.py`` compares attacks in L-inf; this one covers
the other settings of issue #18 on the same models (LightGBM-100, and XGBoost-100 when
installed; breast_cancer, correctly classified test points, every norm in training
standard deviations):

- L2 minimal: success and median L2 (a failure counts as infinitely far) of TreeAttack
  (``norm="2"``), TreeAttack's L-inf run measured in L2, advval's HopSkipJump (L2) and,
  when installed, ART's Boundary and HopSkipJump (L2). ART minimizes L2 in its input
  units, so it is given standardized features (the model wrapped to undo the scaling):
  the same units as everyone else.
- eps budget: success within eps for TreeAttack with ``eps`` (L-inf .25/.5/1, L2
  .5/1/2), TreeAttack's and HopSkipJump's minimal runs within eps, and SquareAttack.

Seconds are process CPU time; run with one thread
(``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1``). ART is not a
dependency (``pip install --no-deps adversarial-robustness-toolbox``); its L2 attacks
take minutes per model.

- ``--kaggle-rows N``: TreeAttack's cost on a real-shaped model instead: LightGBM-100 on
  the flights table of :func:`advval.datasets.make_kaggle_table` (30,000 source rows;
  numeric columns and string columns of at most 30 levels as pandas categories, 5% of the
  cells missing), N test rows attacked (L-inf and L2 minimal, L-inf eps 0.3), CPU and wall
  seconds of each run in a fresh process. ``--baseline-src DIR`` runs the same attacks
  with another advval source tree (``git archive <commit> advval | tar -x -C DIR``) in the
  same run, and says whether both returned identical rows, successes and norms.
- ``--wide``: with ``--kaggle-rows``, the model of a Kaggle kernel instead (75 trees of
  34 leaves, depth 8, 90% of the columns per tree, rows subsampled) on the same table
  with every string column of at most 64 levels as a category (carrier, plane maker and
  family, a 50-level noise column...), attacked as ``advval attack`` does by default
  (L-inf eps 0.3). Its categorical splits on 30-60 levels are in most trees: a search
  step is then mostly category moves, which TreeAttack walks together per column
  (``Lattice._code_walks``), unlike the numeric moves of the other cases.

Usage::

    python benchmarks/bench_tree_norms.py [--quick] [--points 100] [--no-art]
    python benchmarks/bench_tree_norms.py --kaggle-rows 924 [--baseline-src DIR]
    python benchmarks/bench_tree_norms.py --kaggle-rows 300 --wide [--baseline-src DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

warnings.filterwarnings("ignore")

EPS = {"inf": (0.25, 0.5, 1.0), "2": (0.5, 1.0, 2.0)}


def have(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def models_and_points(n_points: int) -> tuple[dict[str, tuple], Any]:
    import lightgbm as lgb
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    from advval.attacks import FeatureSpace

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    models: dict[str, Any] = {
        "LightGBM-100": lgb.LGBMClassifier(n_estimators=100, verbose=-1, n_jobs=1,
                                           random_state=0).fit(X_train, y_train),
    }
    if have("xgboost"):
        import xgboost as xgb

        models["XGBoost-100"] = xgb.XGBClassifier(n_estimators=100, n_jobs=1,
                                                  random_state=0).fit(X_train, y_train)
    space = FeatureSpace.from_frame(X_train)
    out = {}
    for name, model in models.items():
        correct = model.predict(X_test) == y_test
        out[name] = (model, X_test[correct][:n_points], y_test[correct][:n_points])
    return out, (space, X_train)


def sizes(model: Any, domain: Any, adv: Any, X: np.ndarray, y: np.ndarray,
          norm: str) -> np.ndarray:
    """Perturbation size per point in ``norm``; infinite where the model is not fooled
    (or the row is not finite: ART's Boundary attack sometimes returns NaN rows)."""
    adv = np.asarray(adv, dtype=np.float64)
    fooled = model.predict(adv) != y
    size = np.asarray(domain.distance(adv, X, norm))
    return np.where(fooled & np.isfinite(size), size, np.inf)


def cpu(function: Callable[[], Any]) -> tuple[Any, float]:
    start = time.process_time()
    out = function()
    return out, time.process_time() - start


def art_l2(model: Any, X: np.ndarray, X_train: np.ndarray, domain: Any,
           quick: bool) -> dict[str, tuple[np.ndarray, float]]:
    """ART's Boundary and HopSkipJump (L2) on standardized features: adversarial rows back
    in raw units, and CPU seconds."""
    from art.attacks.evasion import BoundaryAttack
    from art.attacks.evasion import HopSkipJump as ArtHopSkipJump
    from art.estimators.classification import BlackBoxClassifier

    mean, scale = X_train.mean(0), np.asarray(domain.scale, dtype=np.float64)
    clip = ((X_train.min(0) - mean) / scale, (X_train.max(0) - mean) / scale)
    classifier = BlackBoxClassifier(
        lambda Z: model.predict_proba(np.asarray(Z, dtype=np.float64) * scale + mean),
        input_shape=(X.shape[1],), nb_classes=2, clip_values=clip,
    )
    attacks = {
        "ART Boundary": lambda: BoundaryAttack(classifier, targeted=False,
                                               max_iter=200 if quick else 1000, verbose=False),
        "ART HopSkipJump": lambda: ArtHopSkipJump(classifier, norm=2,
                                                  max_iter=20 if quick else 50,
                                                  max_eval=1000 if quick else 10000,
                                                  init_eval=100, verbose=False),
    }
    start = ((X - mean) / scale).astype(np.float32)
    out = {}
    for name, make in attacks.items():
        adv, seconds = cpu(lambda make=make: make().generate(start))
        out[name] = (np.asarray(adv, dtype=np.float64) * scale + mean, seconds)
    return out


def run(quick: bool, n_points: int, art: bool) -> None:
    from advval.attacks import HopSkipJump, SquareAttack, TreeAttack

    data, (space, X_train) = models_and_points(n_points)
    for name, (model, X, y) in data.items():
        domain = space.bind(X_train)
        print(f"\n## {name}, {len(X)} points")
        minimal: dict[str, dict[str, np.ndarray]] = {"inf": {}, "2": {}}
        print(f"\n{'L2 minimal':<26} {'success':>7} {'median L2':>9} {'cpu s':>7}")
        for label, make, norm in [
            ("TreeAttack (L2)", lambda m: TreeAttack(m, norm="2", feature_space=space,
                                                     random_state=0), "2"),
            ("TreeAttack (L-inf)", lambda m: TreeAttack(m, norm="inf", feature_space=space,
                                                        random_state=0), "inf"),
            ("HopSkipJump (L2)", lambda m: HopSkipJump(m, norm="2", feature_space=space,
                                                       steps=20 if quick else 40,
                                                       random_state=0), "2"),
            ("HopSkipJump (L-inf)", lambda m: HopSkipJump(m, norm="inf", feature_space=space,
                                                          steps=20 if quick else 40,
                                                          random_state=0), "inf"),
        ]:
            attack = make(model)
            adv, seconds = cpu(partial(attack.generate, X, y))
            minimal[norm][label] = sizes(model, domain, adv, X, y, norm)
            l2 = sizes(model, domain, adv, X, y, "2")
            if label != "HopSkipJump (L-inf)":
                shown = label + (" in L2" if norm == "inf" else "")
                print(f"{shown:<26} {np.isfinite(l2).mean():>7.2f} {np.median(l2):>9.3f} "
                      f"{seconds:>7.1f}")
        if art and have("art"):
            for label, (adv, seconds) in art_l2(model, X, X_train, domain, quick).items():
                l2 = sizes(model, domain, adv, X, y, "2")
                minimal["2"][label] = l2
                print(f"{label:<26} {np.isfinite(l2).mean():>7.2f} {np.median(l2):>9.3f} "
                      f"{seconds:>7.1f}")
        for norm, grid in EPS.items():
            title = "L-inf" if norm == "inf" else "L2"
            print(f"\n{'success within eps, ' + title:<34}"
                  + "".join(f" {'eps ' + str(e):>8}" for e in grid) + f" {'cpu s':>7}")
            for label, size in minimal[norm].items():
                print(f"{label + ', minimal':<34}"
                      + "".join(f" {(size <= e + 1e-9).mean():>8.2f}" for e in grid))
            for label, cls, extra in [
                ("TreeAttack (eps)", TreeAttack, {}),
                ("SquareAttack", SquareAttack, {"steps": 300 if quick else 1000}),
            ]:
                rates, total = [], 0.0
                for e in grid:
                    attack = cls(model, norm=norm, eps=e, feature_space=space, random_state=0,
                                 **extra)
                    adv, seconds = cpu(partial(attack.generate, X, y))
                    rates.append((sizes(model, domain, adv, X, y, norm) <= e + 1e-9).mean())
                    total += seconds
                print(f"{label:<34}" + "".join(f" {r:>8.2f}" for r in rates)
                      + f" {total:>7.1f}")


#: TreeAttack settings of the real-shaped cost table: (norm, eps)
KAGGLE_SETTINGS = (("inf", None), ("2", None), ("inf", 0.3))
#: the wide case: the command line's default attack
WIDE_SETTINGS = (("inf", 0.3),)
#: a Kaggle kernel's LightGBM (the wide case)
KERNEL_PARAMS = {
    "n_estimators": 75, "learning_rate": 0.05, "num_leaves": 34, "max_depth": 8,
    "colsample_bytree": 0.9, "subsample": 0.87, "subsample_freq": 1, "reg_alpha": 0.04,
    "reg_lambda": 0.07, "min_split_gain": 0.02, "min_child_weight": 40,
}


def kaggle_case(n_rows: int, wide: bool = False) -> tuple[Any, Any, Any]:
    """LightGBM on the flights table, the attacked test rows, the training frame.

    ``wide``: string columns of up to 64 levels as categories and the kernel's model
    (:data:`KERNEL_PARAMS`); otherwise up to 30 levels and LightGBM-100 as it comes.
    """
    import re

    import lightgbm as lgb
    import pandas as pd

    from advval.datasets import make_kaggle_table

    table = make_kaggle_table("flights", n_rows=30_000, random_state=0)
    train, test = table.train, table.test
    columns = [c for c in test.columns if c not in (table.target, table.id)]
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(train[c])]
    levels = 64 if wide else 30
    coded = [c for c in columns if c not in numeric and train[c].nunique() <= levels]
    X, X_test = train[numeric + coded].copy(), test[numeric + coded].copy()
    for c in coded:
        X[c] = X[c].astype("category")
        X_test[c] = pd.Categorical(X_test[c], categories=X[c].cat.categories)
    names = [re.sub(r"[^A-Za-z0-9_]", "_", str(c)) for c in X.columns]
    X.columns = X_test.columns = names
    params = KERNEL_PARAMS if wide else {"n_estimators": 100}
    model = lgb.LGBMClassifier(verbose=-1, n_jobs=1, random_state=0, **params)
    model.fit(X, train[table.target].astype(int))
    return model, X_test.iloc[:n_rows].reset_index(drop=True), X


def kaggle_worker(case_path: str, out_path: str) -> None:
    """Attack the pickled case in this process; write results and CPU/wall seconds."""
    from advval.attacks import FeatureSpace, TreeAttack

    with open(case_path, "rb") as handle:
        model, rows, X_train, settings = pickle.load(handle)
    space = FeatureSpace.from_frame(X_train)
    results = {}
    for norm, eps in settings:
        attack = TreeAttack(model, norm=norm, eps=eps, feature_space=space, random_state=0)
        wall, start = time.perf_counter(), time.process_time()
        adv = attack.generate(rows)
        seconds = (time.process_time() - start, time.perf_counter() - wall)
        results[f"{norm}/{eps}"] = (adv, attack.success_, attack.norms_, seconds)
    with open(out_path, "wb") as handle:
        pickle.dump(results, handle)


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    return a.shape == b.shape and all(
        x == y or (x != x and y != y) for x, y in zip(a.ravel(), b.ravel(), strict=True)
    )


def run_kaggle(n_rows: int, baseline_src: str | None, wide: bool = False) -> None:
    import pandas as pd

    model, rows, X_train = kaggle_case(n_rows, wide)
    settings = WIDE_SETTINGS if wide else KAGGLE_SETTINGS
    coded = [c for c in rows.columns if isinstance(rows[c].dtype, pd.CategoricalDtype)]
    what = "the kernel's LightGBM-75" if wide else "LightGBM-100"
    print(f"\n## TreeAttack cost, {what} on flights ({rows.shape[1]} features, "
          f"{len(coded)} categorical of up to {max(len(rows[c].cat.categories) for c in coded)} "
          f"levels, {rows.isna().to_numpy().mean():.1%} cells missing), {len(rows)} rows, "
          "fresh process each, one thread")
    with tempfile.TemporaryDirectory() as scratch:
        case = os.path.join(scratch, "case.pkl")
        with open(case, "wb") as handle:
            pickle.dump((model, rows, X_train, settings), handle)
        trees = {"this tree": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
        if baseline_src:
            trees = {"baseline": os.path.abspath(baseline_src), **trees}
        found = {}
        for label, root in trees.items():
            out = os.path.join(scratch, f"{len(found)}.pkl")
            env = {**os.environ, "PYTHONPATH": root, "OMP_NUM_THREADS": "1",
                   "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
            here = os.path.dirname(os.path.abspath(__file__))
            code = (f"import sys; sys.path.insert(0, {here!r}); import advval; "
                    f"assert advval.__file__.startswith({root!r}), advval.__file__; "
                    f"import bench_tree_norms as b; b.kaggle_worker({case!r}, {out!r})")
            subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=scratch)
            with open(out, "rb") as handle:
                found[label] = pickle.load(handle)
    print(f"\n{'setting':<12} {'tree':<10} {'success':>7} {'median':>9} {'cpu s':>7} "
          f"{'wall s':>7}  identical")
    for key in found["this tree"]:
        first = next(iter(found.values()))[key]
        for label, results in found.items():
            adv, success, norms, (cpu_s, wall_s) = results[key]
            same = all(_same(x, y) for x, y in zip(results[key][:3], first[:3], strict=True))
            median = float(np.median(norms[success])) if success.any() else float("nan")
            print(f"{key:<12} {label:<10} {success.mean():>7.3f} {median:>9.5f} "
                  f"{cpu_s:>7.2f} {wall_s:>7.2f}  {json.dumps(same) if baseline_src else '-'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps")
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--no-art", action="store_true", help="skip ART even if installed")
    parser.add_argument("--kaggle-rows", type=int, default=0,
                        help="TreeAttack's cost on the real-shaped flights model instead")
    parser.add_argument("--baseline-src", default=None,
                        help="another advval source tree to time in the same run")
    parser.add_argument("--wide", action="store_true",
                        help="with --kaggle-rows: a Kaggle kernel's model, categories of "
                        "up to 64 levels, L-inf eps 0.3")
    args = parser.parse_args()
    if args.kaggle_rows:
        run_kaggle(args.kaggle_rows, args.baseline_src, args.wide)
        return
    run(args.quick, args.points, art=not args.no_art)


if __name__ == "__main__":
    main()
