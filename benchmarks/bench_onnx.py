"""ONNX tree ensembles: load cost, query cost, TreeAttack on the export, export agreement.

Models: LightGBM (100 trees), a random forest (100 trees) and, when installed, XGBoost
(100 trees, depth 6) on breast_cancer, exported with onnxmltools / skl2onnx (float32
input, the exporters' default). One run, one thread (set ``OMP_NUM_THREADS=1``):

1. loading the ``.onnx`` bytes (check, parse, compare with onnxruntime on boundary rows);
2. one query of 1, 100 and 1,000 rows through onnxruntime and through the parsed trees
   (CPU milliseconds), which is why the attacks query onnxruntime;
3. TreeAttack (minimal L-inf, standard units) on the native model and on its export, on
   the same 100 points: success, median norm, verification queries per point, CPU seconds;
4. :func:`advval.attacks.check_export` of each export against its native model on the
   points and on the native model's minimal adversarial rows.

Run: ``python benchmarks/bench_onnx.py``.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

warnings.filterwarnings("ignore")


def _cpu(fn: Any, reps: int) -> float:
    start = time.process_time()
    for _ in range(reps):
        fn()
    return (time.process_time() - start) / reps * 1e3


def _models(X: np.ndarray, y: np.ndarray) -> dict[str, tuple[Any, bytes]]:
    import lightgbm as lgb
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType
    from skl2onnx import to_onnx
    from sklearn.ensemble import RandomForestClassifier

    types = [("input", FloatTensorType([None, X.shape[1]]))]
    out = {}
    gbm = lgb.LGBMClassifier(n_estimators=100, verbose=-1, n_jobs=1, random_state=0).fit(X, y)
    out["LightGBM-100"] = (
        gbm, convert_lightgbm(gbm, initial_types=types, target_opset=15).SerializeToString()
    )
    forest = RandomForestClassifier(100, random_state=0, n_jobs=1).fit(X, y)
    out["RF-100"] = (forest, to_onnx(forest, X[:1].astype(np.float32)).SerializeToString())
    try:
        import xgboost as xgb
        from onnxmltools import convert_xgboost
    except ImportError:
        return out
    boost = xgb.XGBClassifier(n_estimators=100, max_depth=6, n_jobs=1, random_state=0).fit(X, y)
    out["XGBoost-100"] = (
        boost, convert_xgboost(boost, initial_types=types, target_opset=15).SerializeToString()
    )
    return out


def main() -> None:
    from sklearn.datasets import load_breast_cancer

    from advval.attacks import TreeAttack, check_export
    from advval.attacks.trees._onnx import OnnxTreeClassifier

    X, y = load_breast_cancer(return_X_y=True)
    points = X[np.random.RandomState(0).choice(len(X), 100, replace=False)]
    print("model          load ms | query ms CPU (onnxruntime / parsed): 1, 100, 1000 rows")
    loaded = {}
    for name, (native, data) in _models(X, y).items():
        start = time.process_time()
        model = OnnxTreeClassifier.from_bytes(data, name)
        load = (time.process_time() - start) * 1e3
        loaded[name] = (native, model)
        cells = []
        for n in (1, 100, 1000):
            rows = np.resize(X, (n, X.shape[1]))
            reps = max(5, 2000 // n)
            cells.append(
                f"{_cpu(lambda r=rows, m=model: m.predict_proba(r), reps):.3f} / "
                f"{_cpu(lambda r=rows, m=model: m.parsed_scores(r), reps):.3f}"
            )
        print(f"{name:13s} {load:7.0f} | " + ", ".join(cells))
    print("\nTreeAttack, minimal L-inf (std units), 100 points: success, median norm, "
          "queries/point, CPU s")
    for name, (native, model) in loaded.items():
        runs = {}
        for label, target in (("native", native), ("onnx", model)):
            attack = TreeAttack(target, random_state=0)
            start = time.process_time()
            X_adv = attack.generate(points)
            seconds = time.process_time() - start
            runs[label] = X_adv
            print(f"{name:13s} {label:6s}: {attack.success_.mean():.2f}, "
                  f"{np.median(np.where(attack.success_, attack.norms_, np.inf)):.3f}, "
                  f"{attack.queries_.mean():.1f}, {seconds:.2f}")
        result = check_export(native, model, points, runs["native"])
        print(f"{name:13s} check_export: " + "; ".join(result.summary().splitlines()))


if __name__ == "__main__":
    main()
