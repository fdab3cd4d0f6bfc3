"""The check of an ONNX model file before onnx or onnxruntime sees it.

An ONNX file is a protobuf ``ModelProto``. What could make loading it unsafe or
unbounded, and what this check refuses:

- *external data*: a tensor may name a file (``data_location = EXTERNAL``) that the runtime
  would read from anywhere on disk;
- *custom domains* and *model functions*: operators outside ``ai.onnx`` and ``ai.onnx.ml``
  come from libraries the runtime may load, and functions are code of the file's own;
- *sub-graphs* (``If``, ``Loop``, ``Scan`` bodies) and any operator other than a tree
  ensemble and the few plain ones exporters put around it;
- files larger than :data:`MAX_ONNX_BYTES`, and bytes that are not a protobuf message with
  an ``opset_import`` (checked by reading the top-level fields' wire format, which
  allocates nothing, before the protobuf parser runs).

The tree attributes themselves (ids, children, modes, weights) are checked by the reader,
:mod:`advval.attacks.trees._onnx`, before onnxruntime builds its trees from them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: the largest ONNX file read (protobuf itself stops at 2 GiB)
MAX_ONNX_BYTES = 1 << 30
#: operator domains a tree model may use
ALLOWED_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml"})
#: the tree ensemble operators (ai.onnx.ml)
TREE_OPS = frozenset({"TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble"})
#: the plain operators allowed around the trees
PLAIN_OPS = frozenset({"Cast", "Identity", "ZipMap", "Softmax"})
#: ModelProto's field numbers (onnx.proto3): ir_version .. functions
_MODEL_FIELDS = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 10, 14, 20, 25})
_OPSET_IMPORT = 8
_GRAPH = 7


def looks_like_onnx(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) starts like an ONNX ``ModelProto``.

    Exporters write ``ir_version`` (field 1, a small varint) first.

    Examples
    --------
    >>> looks_like_onnx(bytes([0x08, 0x08, 0x12, 0x07]))
    True
    >>> looks_like_onnx(b"tree\\nversion=v4")
    False
    """
    if len(head) < 4 or head[0] != 0x08 or not 1 <= head[1] <= 64:
        return False
    tag = head[2]
    return (tag & 7) in (0, 2) and (tag >> 3) in _MODEL_FIELDS


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("a truncated or malformed varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _top_fields(data: bytes) -> set[int]:
    """The field numbers of the top-level message, checking its wire format."""
    seen: set[int] = set()
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            pos += size
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"wire type {wire} of field {number}")
        if pos > len(data):
            raise ValueError(f"field {number} runs past the end of the file (truncated?)")
        seen.add(number)
    return seen


def _bad(path: Path | str, why: str) -> ValueError:
    return ValueError(f"refusing to load the ONNX model '{path}': {why}")


def check_onnx_bytes(data: bytes, path: Path | str) -> Any:
    """Parse ``data`` as an ONNX model after checking it is a plain tree ensemble file.

    Returns
    -------
    onnx.ModelProto

    Raises
    ------
    ValueError
        Naming the file and what is wrong: too large, not a protobuf ModelProto (truncated,
        corrupt), no opset import, external data, custom domains or functions, sub-graphs,
        or an operator that is neither a tree ensemble nor a plain one.

    Examples
    --------
    >>> try:
    ...     check_onnx_bytes(bytes([8, 8, 18]), "m.onnx")
    ... except ValueError as exc:
    ...     print(exc)
    cannot read the ONNX model 'm.onnx': a truncated or malformed varint
    """
    if len(data) > MAX_ONNX_BYTES:
        raise _bad(path, f"it is larger than {MAX_ONNX_BYTES >> 20} MiB")
    try:
        fields = _top_fields(data)
    except ValueError as exc:
        raise ValueError(f"cannot read the ONNX model '{path}': {exc}") from None
    if not fields <= _MODEL_FIELDS or _OPSET_IMPORT not in fields or _GRAPH not in fields:
        raise ValueError(
            f"cannot read the ONNX model '{path}': it is not an ONNX ModelProto with a "
            "graph and an opset import"
        )
    import onnx

    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf's DecodeError and friends on a corrupt file
        raise ValueError(f"cannot read the ONNX model '{path}': {exc}") from None
    check_onnx_model(model, path)
    return model


def check_onnx_model(model: Any, path: Path | str) -> None:
    """Refuse external data, custom domains, functions, sub-graphs and other operators."""
    from onnx import AttributeProto, TensorProto

    domains = sorted({o.domain for o in model.opset_import} - ALLOWED_DOMAINS)
    if domains:
        raise _bad(path, f"it imports the custom operator domain(s) {domains!r}")
    if len(model.functions):
        raise _bad(path, f"it defines {len(model.functions)} function(s) of its own")
    graph = model.graph
    tensors = list(graph.initializer) + [s.values for s in graph.sparse_initializer]
    for node in graph.node:
        where = f"node {node.name or node.op_type!r}"
        if node.domain not in ALLOWED_DOMAINS:
            raise _bad(path, f"{where} is in the custom domain {node.domain!r}")
        if node.op_type not in TREE_OPS | PLAIN_OPS:
            raise _bad(
                path,
                f"{where} is a {node.op_type}: not a plain tree ensemble (the graph may hold "
                f"only {', '.join(sorted(TREE_OPS | PLAIN_OPS))})",
            )
        for attr in node.attribute:
            if attr.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS) or attr.ref_attr_name:
                raise _bad(path, f"{where} has a sub-graph or reference attribute {attr.name!r}")
            if attr.type == AttributeProto.TENSOR:
                tensors.append(attr.t)
            tensors.extend(attr.tensors)
    for tensor in tensors:
        if tensor.data_location == TensorProto.EXTERNAL or len(tensor.external_data):
            raise _bad(
                path,
                f"tensor {tensor.name!r} refers to external data (a file the runtime would "
                "read); save the model with its data inside",
            )
