"""Model files for the hostile corpus: tiny valid models, malformed ones, and crafted ones.

Valid models are trained here on the corpus data (a LightGBM classifier, a TorchScript and a
torch.export MLP and CNN). Malformed LightGBM text models are edits of the valid one. Crafted
files carry a payload whose only effect is to create a *marker* folder: if the marker exists
after a run, code from the file ran. :func:`naive_load` opens each crafted file the way a
careless loader would, so a test can prove that each payload is live.

Examples
--------
>>> text = "tree\\nTree=0\\nleaf_value=1 2\\nend of trees\\n"
>>> print(LIGHTGBM_EDITS["nan-leaf-values"](text).splitlines()[2])
leaf_value=nan nan
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import re
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import hostile

#: the attacked table's label column
TARGET = "y"
#: the MLP's input columns
MLP_COLUMNS = ["a", "b"]
#: classes of the CNN
N_CLASSES = 10


def attack_frame(n: int = hostile.ROWS) -> pd.DataFrame:
    """The base table with a label ``y`` that depends on ``a``, ``b`` and ``c``."""
    frame, _ = hostile.base_pair(n)
    frame[TARGET] = ((frame.a + 0.3 * frame.b + (frame.c == "x")) > 0.8).astype(int)
    return frame


# ------------------------------------------------------------------------------- payloads


class MarkerPayload:
    """Unpickling this creates the folder ``marker``: harmless, and visible afterwards."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (os.mkdir, (self.marker,))


class StealthPayload:
    """Unpickling this creates ``marker`` and then returns ``value``: nothing looks wrong."""

    def __init__(self, marker: Path, value: str) -> None:
        self.code = f"__import__('os').mkdir({str(marker)!r}) or ({value})"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (eval, (self.code,))


def pickled(payload: object) -> bytes:
    """``payload`` pickled with protocol 2 (what pickle-based loaders read)."""
    return pickle.dumps(payload, protocol=2)


# ------------------------------------------------------------------------------ LightGBM


def lightgbm_text(frame: pd.DataFrame | None = None, objective: str = "binary") -> str:
    """A small LightGBM classifier on ``a``, ``b`` and the categorical ``c``, as model text."""
    import lightgbm as lgb

    frame = attack_frame() if frame is None else frame
    X = frame.drop(columns=TARGET).astype({"c": "category"})
    y = frame[TARGET] if objective == "binary" else np.arange(len(frame)) % 3
    params = {"objective": objective, "verbose": -1, "num_threads": 1, "num_leaves": 4,
              "min_data_in_leaf": 3, "min_data_per_group": 2, "cat_smooth": 1}
    if objective == "multiclass":
        params["num_class"] = 3
    booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=4)
    return str(booster.model_to_string())


def _first(pattern: str, replace: Callable[[re.Match[str]], str]) -> Callable[[str], str]:
    """An edit that rewrites the first line matching ``pattern`` (multiline)."""
    return lambda text: re.sub(pattern, replace, text, count=1, flags=re.MULTILINE)


def _all_values(key: str, value: str) -> Callable[[str], str]:
    """An edit that sets every entry of every ``key=`` line to ``value``."""
    return lambda text: re.sub(
        rf"^{key}=(.*)$", lambda m: f"{key}=" + " ".join([value] * len(m.group(1).split())),
        text, flags=re.MULTILINE)


def _set(key: str, value: str) -> Callable[[str], str]:
    return _first(rf"^{key}=.*$", lambda m: f"{key}={value}")


def _no_trees(text: str) -> str:
    head, _, rest = text.partition("Tree=0")
    return head + "end of trees" + rest.partition("end of trees")[2]


#: malformed LightGBM text models: name -> edit of a valid model's text
LIGHTGBM_EDITS: dict[str, Callable[[str], str]] = {
    "truncated-half": lambda text: text[: len(text) // 2],
    "truncated-header": lambda text: text[: text.index("tree_sizes")],
    "only-tree-line": lambda text: "tree\n",
    "split-feature-out-of-range": _all_values("split_feature", "99"),
    "split-feature-negative": _all_values("split_feature", "-7"),
    "nan-leaf-values": _all_values("leaf_value", "nan"),
    "inf-leaf-values": _all_values("leaf_value", "inf"),
    "nan-thresholds": _all_values("threshold", "nan"),
    "left-child-out-of-range": _all_values("left_child", "57"),
    "right-child-out-of-range": _all_values("right_child", "-99"),
    "num-leaves-too-many": _all_values("num_leaves", "1000"),
    "num-leaves-huge": _all_values("num_leaves", "2147483647"),
    "num-class-zero": _set("num_class", "0"),
    "num-class-huge": _set("num_class", "1000000000"),
    "trees-per-iteration-huge": _set("num_tree_per_iteration", "1000000000"),
    "max-feature-idx-negative": _set("max_feature_idx", "-1"),
    "feature-names-short": _set("feature_names", "a"),
    "tree-sizes-wrong": _first(r"^tree_sizes=.*$", lambda m: "tree_sizes=1 1 1 1"),
    "decision-type-garbage": _all_values("decision_type", "255"),
    "cat-boundaries-out-of-range": _all_values("cat_boundaries", "1000000"),
    "cat-threshold-garbage": _all_values("cat_threshold", "-1"),
    "num-cat-without-thresholds": _all_values("num_cat", "5"),
    "linear-without-coefficients": _all_values("is_linear", "1"),
    "no-trees": _no_trees,
    "regression-objective": lambda text: text.replace(
        "objective=binary sigmoid:1", "objective=regression", 1).replace(
        "[objective: binary]", "[objective: regression]", 1),
    "bom-before-tree": lambda text: "\ufeff" + text,
    "crlf-line-endings": lambda text: text.replace("\n", "\r\n"),
}


# ------------------------------------------------------------------------------ torch nets


def _init(module: Any, seed: int) -> Any:
    """Uniform fan-in initialisation from a local generator (no global seeding)."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in module.parameters():
            fan_in = param.shape[1:].numel() if param.dim() > 1 else param.numel()
            bound = 1 / math.sqrt(fan_in)
            param.uniform_(-bound, bound, generator=generator)
    return module


def mlp(seed: int = 0, batch_norm: bool = False) -> Any:
    """A 2 -> 8 -> 2 MLP on the columns ``a`` and ``b`` (with a BatchNorm layer on request)."""
    import torch

    layers: list[Any] = [torch.nn.Linear(2, 8)]
    if batch_norm:
        layers.append(torch.nn.BatchNorm1d(8))
    layers += [torch.nn.ReLU(), torch.nn.Linear(8, 2)]
    return _init(torch.nn.Sequential(*layers), seed).eval()


def cnn(seed: int = 0, batch_norm: bool = False) -> Any:
    """A 1x8x8 -> 10-class CNN (with a BatchNorm layer on request)."""
    import torch

    layers: list[Any] = [torch.nn.Conv2d(1, 4, 3, padding=1)]
    if batch_norm:
        layers.append(torch.nn.BatchNorm2d(4))
    layers += [torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
               torch.nn.Linear(4 * 16, N_CLASSES)]
    return _init(torch.nn.Sequential(*layers), seed).eval()


def _module(forward: Callable[[Any], Any]) -> Any:
    import torch

    class Wrapped(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return forward(x)

    return Wrapped()


def nan_scores(width: int) -> Any:
    """A model whose every class score is NaN."""
    import torch

    return _module(lambda x: x.reshape(len(x), -1)[:, :1].repeat(1, width) * torch.nan)


def one_score() -> Any:
    """A model that returns one score per row (N, 1): not class scores."""
    return _module(lambda x: x.reshape(len(x), -1)[:, :1])


def save_torchscript(module: Any, example: Any, path: Path) -> Path:
    """``torch.jit.trace(module, example).save(path)``, quietly."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's deprecation and tracer notices
        torch.jit.trace(module, example).save(str(path))
    return path


def save_export(module: Any, example: Any, path: Path) -> Path:
    """``torch.export.save`` of ``module`` with a dynamic batch dimension."""
    import torch

    batch = torch.export.Dim("batch")
    program = torch.export.export(module, (example,), dynamic_shapes=({0: batch},))
    torch.export.save(program, str(path))
    return path


def mlp_example() -> Any:
    import torch

    return torch.as_tensor(np.array(attack_frame()[MLP_COLUMNS], dtype=np.float32))[:4]


def cnn_example() -> Any:
    import torch

    return torch.as_tensor(hostile.images()[0][:4])


# ---------------------------------------------------------------------- crafted archives


def _rewrite_zip(source: bytes, changes: dict[str, bytes | None], keep_prefix: bool = True
                 ) -> bytes:
    """``source`` zip with members replaced, added (names relative to the archive's root
    folder when ``keep_prefix``) or removed (``None``)."""
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        names = archive.namelist()
        root = names[0].split("/")[0] + "/" if keep_prefix else ""
        full = {root + name: data for name, data in changes.items()}
        sink = io.BytesIO()
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as out:
            for name in names:
                if name in full:
                    continue
                out.writestr(archive.getinfo(name), archive.read(name))
            for name, data in full.items():
                if data is not None:
                    out.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return sink.getvalue()


def _torch_saved(payload: object) -> bytes:
    import torch

    sink = io.BytesIO()
    torch.save(payload, sink)
    return sink.getvalue()


def pt2_pickled_weight(valid: bytes, marker: Path) -> bytes:
    """A torch.export archive whose first weight is stored as a pickle (``use_pickle``) that
    creates ``marker`` and returns the real weight: the model still works."""
    with zipfile.ZipFile(io.BytesIO(valid)) as archive:
        config_name = next(n for n in archive.namelist() if n.endswith("_weights_config.json"))
        config = json.loads(archive.read(config_name))
        fqn, meta = next(iter(config["config"].items()))
        raw = archive.read(config_name.rsplit("/", 1)[0] + "/" + meta["path_name"])
    shape = [s["as_int"] for s in meta["tensor_meta"]["sizes"]]
    values = np.frombuffer(raw, dtype=np.float32)[: int(np.prod(shape))].reshape(shape)
    value = f"__import__('torch').nn.Parameter(__import__('torch').tensor({values.tolist()!r}))"
    meta.update(use_pickle=True, path_name="weight_pickled")
    config["config"][fqn] = meta
    root = config_name.split("/")[0]
    inner = config_name[len(root) + 1:]
    return _rewrite_zip(valid, {
        inner: json.dumps(config).encode(),
        "data/weights/weight_pickled": _torch_saved(StealthPayload(marker, value)),
    })


def _constant_entry(path_name: str, use_pickle: bool) -> dict[str, Any]:
    return {"path_name": path_name, "is_param": False, "use_pickle": use_pickle,
            "tensor_meta": {"dtype": 7, "sizes": [{"as_int": 1}], "requires_grad": False,
                            "device": {"type": "cpu", "index": None},
                            "strides": [{"as_int": 1}], "storage_offset": {"as_int": 0},
                            "layout": 7}}


def pt2_pickled_constant(valid: bytes, marker: Path) -> bytes:
    """A torch.export archive with an extra pickled tensor constant carrying the payload."""
    return _rewrite_zip(valid, {
        "data/constants/model_constants_config.json": json.dumps(
            {"config": {"extra": _constant_entry("tensor_pickled", True)}}).encode(),
        "data/constants/tensor_pickled": _torch_saved(MarkerPayload(marker)),
    })


def pt2_opaque_constant(valid: bytes, marker: Path) -> bytes:
    """A torch.export archive with an ``opaque_obj_`` constant: a plain pickle."""
    return _rewrite_zip(valid, {
        "data/constants/model_constants_config.json": json.dumps(
            {"config": {"extra": _constant_entry("opaque_obj_0", True)}}).encode(),
        "data/constants/opaque_obj_0": pickled(MarkerPayload(marker)),
    })


def pt2_legacy_weights(valid: bytes, marker: Path) -> bytes:
    """A torch.export archive in the legacy layout: its weights as one pickled file."""
    return _rewrite_zip(valid, {"data/weights/model.pt": _torch_saved(MarkerPayload(marker))})


def pt2_sample_inputs(valid: bytes, marker: Path) -> bytes:
    """A torch.export archive whose pickled sample inputs carry the payload."""
    return _rewrite_zip(valid, {
        "data/sample_inputs/model.pt": _torch_saved(StealthPayload(marker, "((), {})"))})


def disguised_torchscript(marker: Path) -> bytes:
    """A zip that looks like TorchScript (a ``code/`` folder) but holds pickles."""
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for name, data in {
            "archive/code/__torch__.py": b"def forward(self, x):\n    return x\n",
            "archive/data.pkl": pickled(MarkerPayload(marker)),
            "archive/constants.pkl": pickled(MarkerPayload(marker)),
            "archive/version": b"3\n",
        }.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return sink.getvalue()


def torch_saved_payload(marker: Path) -> bytes:
    """``torch.save`` of the payload (a zip with ``data.pkl``): what a ``.pt`` often is."""
    return _torch_saved(MarkerPayload(marker))


def joblib_payload(marker: Path) -> bytes:
    """A joblib file whose object is the payload."""
    import joblib

    sink = io.BytesIO()
    joblib.dump(MarkerPayload(marker), sink)
    return sink.getvalue()


def naive_load(path: Path, kind: str) -> None:
    """Open ``path`` as a careless loader of ``kind`` would (the control that a payload is
    live: the marker must appear)."""
    data = path.read_bytes()
    if kind == "pickle":
        pickle.loads(data)  # noqa: S301 - the point: this runs the payload
    elif kind == "pickle-after-tree":
        pickle.loads(data[len(b"tree\n"):])  # noqa: S301
    elif kind == "zip-pickle":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                if name.endswith(".pkl"):
                    pickle.loads(archive.read(name))  # noqa: S301
    elif kind == "joblib":
        import joblib

        joblib.load(path)
    elif kind == "torch.save":
        import torch

        torch.load(path, weights_only=False)
    elif kind == "torch.export":
        import torch

        torch.export.load(str(path))
    else:
        raise ValueError(kind)
