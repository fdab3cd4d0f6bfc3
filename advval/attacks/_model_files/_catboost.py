"""Checks of CatBoost model files (``.cbm`` binary and JSON) before CatBoost loads them.

CatBoost's loaders are C++. Its binary loader verifies the FlatBuffers core of a ``.cbm``
file, but what the core describes (indices, leaf counts) is trusted, so a crafted file
could make prediction read out of bounds. Neither file reaches CatBoost unchecked:

- a JSON model (``save_model(..., format="json")``; recognised by its content) is parsed
  here (UTF-8; NaN and infinite literals refused; nesting too deep for Python's parser is
  an error) and its whole structure is checked by
  :func:`advval.attacks.trees._catboost.ensemble_from_json`: every feature index, border
  (a float32 value), leaf count (``2**depth`` times the outputs) and number; then a new
  document is built from the checked fields only (:func:`rebuild`: features, trees, scale
  and bias, loss and classes), and that is what CatBoost's JSON loader reads;
- a binary model (first bytes ``CBM1``, any suffix) must declare a core that fits in the
  file; it is loaded in a separate process (a crash, a hang or an allocation past its
  address-space cap there cannot take this one down), which writes it back as JSON; that
  JSON gets the same check and rebuild, and this process loads the rebuilt JSON: the
  file's own bytes never reach CatBoost here.

Models whose structure cannot be checked this way (CTR target statistics, text or
embedding features) are refused unless the file is trusted.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._refusal import TRUST_HINT

#: the first bytes of a CatBoost binary model
CBM_MAGIC = b"CBM1"
#: the largest JSON model read (parsed JSON takes several times its text in memory)
MAX_JSON_BYTES = 1 << 30
#: seconds the separate process may take to load and convert a binary model
CHECK_TIMEOUT = 300.0
#: address space of the separate process: this much, plus 64 bytes per byte of the file
CHECK_MEMORY = 2 << 30

_CONVERT = """
import sys
import catboost
data = sys.stdin.buffer.read()
model = catboost.CatBoost()
model.load_model(blob=data)
model.save_model(sys.argv[1], format="json")
"""


def looks_like_catboost_json(head: bytes) -> bool:
    """Whether the first bytes of a file open a CatBoost JSON model.

    Examples
    --------
    >>> looks_like_catboost_json(b'{"features_info": {"float_features": []')
    True
    >>> looks_like_catboost_json(b'{"learner": {}}')
    False
    """
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"{"):
        return False
    body = text[1:].lstrip(b" \t\r\n")
    return body.startswith(
        (b'"features_info"', b'"model_info"', b'"oblivious_trees"', b'"scale_and_bias"')
    )


def check_catboost_json(data: bytes, path: Path) -> bytes:
    """The JSON model in ``data``, its whole structure checked, rebuilt from the checked
    fields only (what CatBoost then loads).

    Raises
    ------
    ValueError
        Naming the file and what is wrong (malformed JSON, a bad entry, or a model whose
        structure cannot be checked: CTR, text or embedding features, not a classifier).
    """
    if len(data) > MAX_JSON_BYTES:
        raise ValueError(
            f"cannot load the CatBoost model '{path}': {len(data)} bytes of JSON, more than "
            f"the {MAX_JSON_BYTES} read"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"cannot load the CatBoost model '{path}': not UTF-8 text (byte {exc.start})"
        ) from None
    try:
        doc = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"cannot load the CatBoost model '{path}': bad JSON ({exc})") from None
    check_catboost_doc(doc, path)
    return json.dumps(rebuild(doc)).encode("utf-8")


def check_catboost_doc(doc: Any, path: Path) -> None:
    """Check a parsed CatBoost JSON model (see :func:`check_catboost_json`)."""
    from ..trees._catboost import ensemble_from_json

    try:
        ensemble_from_json(doc, source=f"'{path}'")
    except TypeError as exc:
        raise ValueError(
            f"refusing to load the CatBoost model '{path}' without trust: its structure "
            f"cannot be fully checked: {exc}. {TRUST_HINT}"
        ) from None


def check_catboost_binary(data: bytes, path: Path) -> bytes:
    """Check a ``.cbm`` file: its header, then a load in a separate process that writes
    it as JSON; returns that JSON checked and rebuilt (see :func:`check_catboost_json`).

    Raises
    ------
    ValueError
        A bad header, a file CatBoost cannot load (or that crashes or hangs the separate
        process), or a model whose structure fails :func:`check_catboost_doc`.
    """
    if not data.startswith(CBM_MAGIC) or len(data) < 8:
        raise ValueError(f"cannot load the CatBoost model '{path}': no CatBoost header")
    core = int.from_bytes(data[4:8], "little")
    if core == 0 or core > len(data) - 8:
        raise ValueError(
            f"cannot load the CatBoost model '{path}': the header declares a {core}-byte "
            f"model in a {len(data)}-byte file (truncated or corrupt)"
        )
    with tempfile.TemporaryDirectory(prefix="advval-catboost-") as tmp:
        out = os.path.join(tmp, "model.json")
        try:
            done = subprocess.run(  # noqa: S603 - our own interpreter and code
                [sys.executable, "-c", _CONVERT, out],
                input=data,
                capture_output=True,
                timeout=CHECK_TIMEOUT,
                check=False,
                preexec_fn=_memory_limit(CHECK_MEMORY + 64 * len(data)),  # noqa: PLW1509
            )
        except subprocess.TimeoutExpired:
            raise ValueError(
                f"cannot load the CatBoost model '{path}': loading it took more than "
                f"{CHECK_TIMEOUT:.0f} s"
            ) from None
        if done.returncode != 0:
            raise ValueError(
                f"cannot load the CatBoost model '{path}': {_reason(done)}"
            )
        with open(out, "rb") as handle:
            converted = handle.read()
    return check_catboost_json(converted, path)


#: the fields of a float feature, a categorical feature and a split that are kept
_FLOAT_FIELDS = ("feature_index", "flat_feature_index", "borders", "has_nans",
                 "nan_value_treatment", "feature_id")
_CAT_FIELDS = ("feature_index", "flat_feature_index", "feature_id", "values")
_SPLIT_FIELDS = ("split_type", "float_feature_index", "border", "cat_feature_index", "value")
_LABEL_TYPES = ("Integer", "Float", "String", "Boolean")


def rebuild(doc: dict[str, Any]) -> dict[str, Any]:
    """The model of a checked document, from the fields the reader checked (and a few
    more, checked here) only: features, trees, scale and bias, loss and classes.

    Examples
    --------
    >>> doc = {
    ...     "features_info": {"float_features": [{
    ...         "feature_index": 0, "flat_feature_index": 0, "borders": [0.5],
    ...         "nan_value_treatment": "AsFalse", "comment": "dropped"}]},
    ...     "model_info": {"params": {"loss_function": {"type": "Logloss"}}},
    ...     "oblivious_trees": [{"leaf_values": [-1.0, 2.0], "splits": [{
    ...         "split_type": "FloatFeature", "float_feature_index": 0, "border": 0.5}]}],
    ...     "scale_and_bias": [1.0, [0.25]], "anything": "else",
    ... }
    >>> sorted(rebuild(doc))
    ['features_info', 'model_info', 'oblivious_trees', 'scale_and_bias']
    >>> sorted(rebuild(doc)["features_info"]["float_features"][0])
    ['borders', 'feature_index', 'flat_feature_index', 'nan_value_treatment']
    """
    from ..trees._catboost import _Reader

    reader = _Reader(doc, "", None)
    reader.read_features(doc["features_info"])

    def split(entry: dict[str, Any]) -> dict[str, Any]:
        return {**_pick(entry, _SPLIT_FIELDS), "split_index": reader.slot(entry, "")}

    info = doc["features_info"]
    features: dict[str, Any] = {
        "float_features": [_pick(f, _FLOAT_FIELDS) for f in info.get("float_features", [])],
    }
    if info.get("categorical_features"):
        features["categorical_features"] = [
            _pick(f, _CAT_FIELDS) for f in info["categorical_features"]
        ]
    loss = str(doc["model_info"]["params"]["loss_function"]["type"])
    model_info: dict[str, Any] = {
        "params": {"loss_function": {"type": loss, "params": {}},
                   "flat_params": {"loss_function": loss}},
    }
    classes = doc["model_info"].get("class_params")
    if isinstance(classes, dict) and _good_classes(classes):
        model_info["class_params"] = {
            "class_label_type": classes["class_label_type"],
            "class_names": list(classes["class_names"]),
            "class_to_label": [float(v) for v in classes.get("class_to_label", [])]
            or list(range(len(classes["class_names"]))),
            "classes_count": int(classes.get("classes_count", 0)),
        }
    out: dict[str, Any] = {"features_info": features, "model_info": model_info}
    if "oblivious_trees" in doc:
        out["oblivious_trees"] = [
            {"leaf_values": [float(v) for v in tree["leaf_values"]],
             "splits": [split(entry) for entry in tree["splits"]]}
            for tree in doc["oblivious_trees"]
        ]
    else:
        out["trees"] = [_node(tree, split) for tree in doc["trees"]]
    scale_and_bias = doc.get("scale_and_bias")
    if scale_and_bias is not None:
        out["scale_and_bias"] = [float(scale_and_bias[0]), [float(b) for b in scale_and_bias[1]]]
    return out


def _pick(entry: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The listed fields of ``entry`` that hold JSON scalars or lists of numbers."""
    out: dict[str, Any] = {}
    for name in fields:
        value = entry.get(name)
        if isinstance(value, (bool, int, float, str)):
            out[name] = value
        elif isinstance(value, list) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in value
        ):
            out[name] = list(value)  # borders (floats), one-hot hash values (integers)
    return out


def _node(
    node: dict[str, Any], split: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """A non-symmetric tree's nodes, rebuilt without recursion."""
    root: dict[str, Any] = {}
    stack = [(node, root)]
    while stack:
        source, target = stack.pop()
        if "split" in source:
            target["split"] = split(source["split"])
            target["left"], target["right"] = {}, {}
            stack.append((source["left"], target["left"]))
            stack.append((source["right"], target["right"]))
        else:
            value = source["value"]
            target["value"] = [float(v) for v in value] if isinstance(value, list) else float(value)
    return root


def _good_classes(classes: dict[str, Any]) -> bool:
    names = classes.get("class_names")
    to_label = classes.get("class_to_label", [])
    count = classes.get("classes_count", 0)
    return (
        classes.get("class_label_type") in _LABEL_TYPES
        and isinstance(names, list)
        and all(isinstance(n, (str, int, float)) and not isinstance(n, bool) for n in names)
        and all(not isinstance(n, float) or n == n for n in names)
        and isinstance(to_label, list)
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in to_label)
        and isinstance(count, int) and not isinstance(count, bool) and 0 <= count <= 1_000_000
    )


def _memory_limit(limit: int) -> Callable[[], None] | None:
    """A function that caps the address space of the process it runs in (POSIX only):
    a file that makes CatBoost allocate without bound fails there, not here."""
    try:
        import resource
    except ImportError:  # Windows: the separate process still isolates crashes
        return None

    def cap() -> None:
        with contextlib.suppress(ValueError, OSError):  # a lower hard limit already holds
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


def _reason(done: subprocess.CompletedProcess[bytes]) -> str:
    if done.returncode < 0:
        return f"CatBoost's loader crashed on it (signal {-done.returncode}): corrupt file"
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    last = lines[-1] if lines else f"exit status {done.returncode}"
    return last.split("CatBoostError: ", 1)[-1][:300]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number CatBoost writes")
