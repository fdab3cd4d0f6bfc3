"""Python API cases, run inside a worker process: prepare the inputs, call, look afterwards.

Each function of :data:`CASES` builds its inputs (from the seeded recipes of ``hostile``
and the tiny models of ``models``) and returns a :class:`Prepared` call. :func:`run` makes
the call, records whether it returned or what it raised, and reports every watched input
that changed (frames, arrays, tensors, a model's weights, buffers and train/eval flags).
"""

from __future__ import annotations

import copy
import functools
import math
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import hostile, models

#: characters of a message and a traceback kept
KEEP = 4000


@dataclass
class Prepared:
    """A call to make, the inputs it must leave as found, and checks to run after it."""

    call: Callable[[], Any]
    watched: dict[str, Any] = field(default_factory=dict)
    after: Callable[[], list[str]] | None = None


def run(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Prepare ``CASES[name](**args)``, call it; what happened, and what it changed."""
    prepared = CASES[name](**args)
    before = {key: _copy(value) for key, value in prepared.watched.items()}
    result: dict[str, Any]
    try:
        prepared.call()
        result = {"result": "ok"}
    except Exception as exc:  # the test decides which exceptions are documented
        result = {"result": "raised", "types": [c.__name__ for c in type(exc).__mro__],
                  "message": str(exc)[:KEEP], "traceback": traceback.format_exc()[-KEEP:]}
    problems = [f"the call changed its input {key}" for key, value in prepared.watched.items()
                if not _same(before[key], value)]
    if prepared.after is not None:
        problems += prepared.after()
    result["problems"] = problems
    return result


# ---------------------------------------------------------------------------- comparing


def _copy(value: Any) -> Any:
    torch = _torch_or_none()
    if torch is not None and isinstance(value, torch.nn.Module):
        return _module_state(value)
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().clone()
    return copy.deepcopy(value)


def _same(before: Any, after: Any) -> bool:
    torch = _torch_or_none()
    if torch is not None and isinstance(after, torch.nn.Module):
        return _same_state(before, _module_state(after))
    if torch is not None and isinstance(after, torch.Tensor):
        return bool(after.shape == before.shape and torch.equal(
            torch.nan_to_num(after), torch.nan_to_num(before)))
    if isinstance(after, pd.DataFrame):
        return (list(map(repr, before.columns)) == list(map(repr, after.columns))
                and list(map(str, before.dtypes)) == list(map(str, after.dtypes))
                and before.index.equals(after.index) and before.equals(after))
    if isinstance(after, np.ndarray):
        return before.dtype == after.dtype and before.shape == after.shape and bool(
            np.array_equal(before, after, equal_nan=after.dtype.kind in "fc"))
    return bool(before == after)


def _module_state(module: Any) -> dict[str, Any]:
    state = {f"tensor {k}": v.detach().clone() for k, v in module.state_dict().items()}
    state.update({f"mode {name or 'model'}": m.training for name, m in module.named_modules()})
    state.update({f"requires_grad {k}": p.requires_grad for k, p in module.named_parameters()})
    return state


def _same_state(before: dict[str, Any], after: dict[str, Any]) -> bool:
    torch = _torch_or_none()
    if before.keys() != after.keys():
        return False
    for key, value in before.items():
        other = after[key]
        if torch is not None and isinstance(value, torch.Tensor):
            if not torch.equal(torch.nan_to_num(value), torch.nan_to_num(other)):
                return False
        elif value != other:
            return False
    return True


def _torch_or_none() -> Any:
    import sys

    return sys.modules.get("torch")


# ------------------------------------------------------------------ drift and dependency


def _frames(frame: str) -> hostile.Pair:
    return API_FRAMES[frame]() if frame in API_FRAMES else hostile.FRAMES[frame]()


def validator_fit(frame: str, params: dict[str, Any]) -> Prepared:
    """``AdversarialValidator(**params).fit(X_train, X_test)`` on a frame recipe."""
    from advval import AdversarialValidator

    train, test = _frames(frame)
    validator = AdversarialValidator(**{"random_state": 0, **params})
    return Prepared(lambda: validator.fit(train, test), {"X_train": train, "X_test": test})


def checker_fit(frame: str, params: dict[str, Any]) -> Prepared:
    """``FeatureDependencyChecker(**params).fit(X)`` on the train side of a frame recipe."""
    from advval import FeatureDependencyChecker

    train, _ = _frames(frame)
    checker = FeatureDependencyChecker(**{"random_state": 0, **params})
    return Prepared(lambda: checker.fit(train), {"X": train})


def _odd(make: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[], hostile.Pair]:
    """The base pair, each side passed through ``make``."""
    def pair() -> hostile.Pair:
        train, test = hostile.base_pair()
        return make(train), make(test)

    return pair


def _add(name: Any, values: Callable[[int], Any]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def make(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame[name] = values(len(frame))
        return frame

    return make


def _missing_test_column() -> hostile.Pair:
    train, test = hostile.base_pair()
    return train, test.drop(columns="b")


def _text_vs_numbers() -> hostile.Pair:
    train, test = hostile.base_pair()
    test["a"] = [f"v{i}" for i in range(len(test))]
    return train, test


#: frames only the API can be handed (no CSV holds them): name -> () -> (train, test)
API_FRAMES: dict[str, Callable[[], hostile.Pair]] = {
    "duplicate-column-names": _odd(lambda f: f.set_axis(["a", "a", "c"], axis=1)),
    "integer-column-names": _odd(lambda f: f.set_axis([0, 1, 2], axis=1)),
    "tuple-column-names": _odd(lambda f: f.set_axis([("a", 1), ("b", 2), ("c", 3)], axis=1)),
    "multiindex-columns": _odd(lambda f: f.set_axis(pd.MultiIndex.from_tuples(
        [("x", "a"), ("x", "b"), ("y", "c")]), axis=1)),
    "none-column-name": _odd(lambda f: f.set_axis([None, "b", "c"], axis=1)),
    "carriage-return-name": _odd(lambda f: f.set_axis(["cr\rname", "b", "c"], axis=1)),
    "nested-dicts": _odd(_add("nested", lambda n: [{"k": i} for i in range(n)])),
    "nested-lists": _odd(_add("nested", lambda n: [[i, i + 1] for i in range(n)])),
    "complex-numbers": _odd(_add("z", lambda n: np.arange(n) * (1 + 2j))),
    "timedelta": _odd(_add("took", lambda n: pd.to_timedelta(np.arange(n), unit="s"))),
    "period": _odd(_add("month", lambda n: pd.period_range("2020-01", periods=n, freq="M"))),
    "interval": _odd(_add("range", lambda n: pd.interval_range(0, n))),
    "nullable-dtypes": _odd(lambda f: f.convert_dtypes()),
    "pyarrow-strings": _odd(lambda f: f.astype({"c": "string[pyarrow]"})),
    "sparse-column": _odd(_add("sparse", lambda n: pd.arrays.SparseArray(
        np.where(np.arange(n) % 5 == 0, 1.0, 0.0)))),
    "float16": _odd(lambda f: f.astype({"a": "float16"})),
    "unused-categories": _odd(lambda f: f.astype({"c": pd.CategoricalDtype(list("xyzuvw"))})),
    "duplicate-index": _odd(lambda f: f.set_axis([0] * len(f), axis=0)),
    "multiindex-rows": _odd(lambda f: f.set_axis(pd.MultiIndex.from_arrays(
        [np.arange(len(f)) % 2, np.arange(len(f))]), axis=0)),
    "object-numbers": _odd(lambda f: f.astype({"a": object})),
    "zero-columns": _odd(lambda f: f[[]]),
    "missing-test-column": _missing_test_column,
    "text-versus-numbers": _text_vs_numbers,
}


def validator_inputs(kind: str) -> Prepared:
    """``AdversarialValidator().fit`` on inputs that are not two DataFrames."""
    from advval import AdversarialValidator

    train, test = hostile.base_pair()
    numeric_train, numeric_test = (f[["a", "b"]] for f in (train, test))
    inputs: dict[str, tuple[Any, Any]] = {
        "numpy-arrays": (numeric_train.to_numpy(), numeric_test.to_numpy()),
        "lists": (numeric_train.to_numpy().tolist(), numeric_test.to_numpy().tolist()),
        "none": (None, None),
        "strings": ("train.csv", "test.csv"),
        "series": (train["a"], test["a"]),
        "dicts": (train.to_dict(), test.to_dict()),
        "one-dimensional-array": (train["a"].to_numpy(), test["a"].to_numpy()),
        "three-dimensional-array": (np.zeros((4, 2, 2)), np.zeros((4, 2, 2))),
        "array-with-nan-and-inf": (np.array([[np.nan, np.inf]] * 20),
                                   np.array([[-np.inf, 1.0]] * 20)),
        "frame-and-array": (numeric_train, numeric_test.to_numpy()),
        "same-object-twice": (train, train),
    }
    X_train, X_test = inputs[kind]
    validator = AdversarialValidator(random_state=0)
    watched = {k: v for k, v in (("X_train", X_train), ("X_test", X_test))
               if isinstance(v, (pd.DataFrame, np.ndarray))}
    return Prepared(lambda: validator.fit(X_train, X_test), watched)


# ---------------------------------------------------------------------------- tabular attacks


@functools.cache
def _booster() -> Any:
    import lightgbm as lgb

    return lgb.Booster(model_str=models.lightgbm_text())


def _attack_X(frame: pd.DataFrame | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    frame = models.attack_frame() if frame is None else frame
    X = frame.drop(columns=models.TARGET).astype({"c": pd.CategoricalDtype(["x", "y", "z"])})
    return X, frame[models.TARGET].to_numpy()


class NaNScores:
    """A scikit-learn-like classifier whose probabilities are all NaN."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.full((len(X), 2), np.nan)

    def predict(self, X: Any) -> np.ndarray:
        return np.zeros(len(X), dtype=int)


def _train_mode_checks(model: Any, before: dict[str, Any]) -> Callable[[], list[str]]:
    def check() -> list[str]:
        after = _module_state(model)
        changed = [k for k in before if k in after and not _same_state(
            {k: before[k]}, {k: after[k]})]
        return [f"the model's {', '.join(changed[:5])} changed (left as found: DESIGN 5)"
                ] if changed else []

    return check


def robustness(kind: str) -> Prepared:
    """``robustness_report`` on hostile models, data and settings."""
    from advval.attacks import SquareAttack, robustness_report

    X: Any
    y: Any
    X, y = _attack_X()
    model: Any = _booster()
    attacks: list[Any] = [SquareAttack(None, eps=0.3, max_queries=20, random_state=0)]
    eps: Any = None
    after = None
    if kind == "inf-data":
        X = X.copy()
        X.loc[X.index[::4], "a"] = np.inf
    elif kind == "nan-data":
        X = X.copy()
        X.loc[X.index[::4], "a"] = np.nan
    elif kind == "near-max-float-data":
        X = X.copy()
        X["a"] = np.where(np.arange(len(X)) % 2, 1.7e308, -1.7e308)
    elif kind == "nan-scores-model":
        model, X = NaNScores(), X[["a", "b"]]
    elif kind == "eps-nan":
        attacks = [SquareAttack(None, eps=math.nan, max_queries=20)]
    elif kind == "eps-negative":
        attacks = [SquareAttack(None, eps=-0.3, max_queries=20)]
    elif kind == "eps-curve-nan":
        eps = [0.1, math.nan]
    elif kind == "max-queries-zero":
        attacks = [SquareAttack(None, eps=0.3, max_queries=0)]
    elif kind == "no-attacks":
        attacks = []
    elif kind == "labels-too-short":
        y = y[:-5]
    elif kind == "labels-unknown":
        y = y + 7
    elif kind.startswith("torch-train-mode"):
        import torch

        from advval.attacks import PGD, DeepFool

        model = models.mlp(batch_norm=True).train()
        X = torch.as_tensor(np.array(X[["a", "b"]], dtype=np.float32))
        attacks = {"torch-train-mode": [PGD(None, eps=0.3, steps=3), SquareAttack(
            None, eps=0.3, max_queries=20, random_state=0)],
            "torch-train-mode-deepfool": [DeepFool(None, steps=3)]}[kind]
        after = _train_mode_checks(model, _module_state(model))
    elif kind != "lightgbm":
        raise ValueError(kind)
    watched = {"X": X, "y": y}
    return Prepared(lambda: robustness_report(model, X, y, attacks, eps=eps, random_state=0),
                    watched, after)


# ---------------------------------------------------------------------------- image attacks


def images(kind: str) -> Prepared:
    """``evaluate_robustness`` on hostile image models, images and settings."""
    import torch

    from advval.attacks import PGD
    from advval.image import evaluate_robustness

    x, labels = hostile.images(6)
    X: Any = torch.as_tensor(x)
    y: Any = torch.as_tensor(labels)
    model: Any = models.cnn()
    options: dict[str, Any] = {"eps": [0.03], "n_examples": 2, "random_state": 0}
    attacks: list[Any] = [PGD(None, eps=0.03, steps=2, bounds=(0.0, 1.0))]
    after = None
    if kind == "nan-pixels":
        X = X.clone()
        X[0, 0, 0, 0] = torch.nan
    elif kind == "inf-pixels":
        X = X.clone()
        X[0, 0, 0, 0] = torch.inf
    elif kind == "pixels-outside-bounds":
        X = X * 255
    elif kind == "eps-nan":
        options["eps"] = [math.nan]
    elif kind == "eps-negative":
        options["eps"] = [-0.1]
    elif kind == "eps-inf":
        options["eps"] = [math.inf]
    elif kind == "bounds-nan":
        options["bounds"] = (math.nan, math.nan)
    elif kind == "bounds-reversed":
        options["bounds"] = (1.0, 0.0)
    elif kind == "labels-out-of-range":
        y = y + 100
    elif kind == "labels-negative":
        y = -1 - y
    elif kind == "labels-float":
        y = y.float() + 0.5
    elif kind == "nan-model":
        model = models.nan_scores(models.N_CLASSES)
    elif kind == "batch-size-zero":
        options["batch_size"] = 0
    elif kind == "n-examples-negative":
        options["n_examples"] = -1
    elif kind == "numpy-input":
        X, y = x, labels
    elif kind == "train-mode-batchnorm":
        model = models.cnn(batch_norm=True).train()
        after = _train_mode_checks(model, _module_state(model))
    elif kind == "train-mode-autoattack":
        from advval.attacks import AutoAttack

        model = models.cnn(batch_norm=True).train()
        attacks = [AutoAttack(None, eps=0.03, steps=3, square_steps=20, n_target_classes=2,
                              bounds=(0.0, 1.0))]
        after = _train_mode_checks(model, _module_state(model))
    elif kind != "cnn":
        raise ValueError(kind)
    if attacks is not None and kind in ("bounds-nan", "bounds-reversed"):
        attacks = [PGD(None, eps=0.03, steps=2)]
    watched = {"images": X, "labels": y, "model": model}
    return Prepared(lambda: evaluate_robustness(model, (X, y), attacks=attacks, **options),
                    watched, after)


# ---------------------------------------------------------------------------- model files


def load_model(path: str, trust: bool = False) -> Prepared:
    """``advval.attacks.load_model(path, trust=trust)``."""
    from advval.attacks import load_model as load

    return Prepared(lambda: load(path, trust=trust))


def naive_load(path: str, kind: str) -> Prepared:
    """Open a crafted file as a careless loader would: the control that its payload is live."""
    return Prepared(lambda: models.naive_load(Path(path), kind))


def probe(kind: str) -> Prepared:
    """What the harness must notice: a native crash, a hang, an exit, a changed input."""
    frame = hostile.base_pair()[0]

    def call() -> None:
        if kind == "abort":
            os.abort()
        elif kind == "hang":
            time.sleep(3600)
        elif kind == "exit":
            os._exit(3)
        elif kind == "mutate":
            frame.iloc[0, 0] = -1.0
        elif kind == "raise":
            raise KeyError("a crash, not a documented error")

    return Prepared(call, {"X": frame})


#: API cases by name
CASES: dict[str, Callable[..., Prepared]] = {
    "probe": probe,
    "validator_fit": validator_fit,
    "checker_fit": checker_fit,
    "validator_inputs": validator_inputs,
    "robustness": robustness,
    "images": images,
    "load_model": load_model,
    "naive_load": naive_load,
}
