"""Hostile ONNX files for the model-file corpus: each must be refused, naming the file,
without a crash (a tree deep enough to overflow onnxruntime's recursive tree build), a
read of another file (external data) or a custom operator library."""

from __future__ import annotations

from typing import Any

ML = "ai.onnx.ml"


def chain(depth: int) -> Any:
    """One tree: split i sends x <= i to leaf i and the rest to split i + 1 (also used by
    tests/test_onnx.py)."""
    from onnx import TensorProto, helper

    n = depth
    node = helper.make_node(
        "TreeEnsembleClassifier", ["X"], ["label", "scores"], domain=ML,
        classlabels_int64s=[0, 1], nodes_treeids=[0] * (2 * n + 1),
        nodes_nodeids=list(range(2 * n + 1)), nodes_featureids=[0] * (2 * n + 1),
        nodes_modes=["BRANCH_LEQ"] * n + ["LEAF"] * (n + 1),
        nodes_values=[float(i) for i in range(n)] + [0.0] * (n + 1),
        nodes_truenodeids=[n + i for i in range(n)] + [0] * (n + 1),
        nodes_falsenodeids=[i + 1 if i + 1 < n else 2 * n for i in range(n)] + [0] * (n + 1),
        class_treeids=[0] * (n + 1), class_nodeids=list(range(n, 2 * n + 1)),
        class_ids=[0] * (n + 1), class_weights=[(-1.0) ** i for i in range(n + 1)],
    )
    graph = helper.make_graph(
        [node], "chain", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 1])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, [None, 2])],
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ML, 3)],
        ir_version=8,
    )


def deep_tree() -> bytes:
    """A chain 40,000 splits deep: onnxruntime 1.32 segfaults building it."""
    return chain(40_000).SerializeToString()


def truncated() -> bytes:
    data = chain(20).SerializeToString()
    return data[: len(data) // 2]


def external_data() -> bytes:
    from onnx import TensorProto, helper

    model = chain(3)
    tensor = helper.make_tensor("w", TensorProto.FLOAT, [1], [1.0])
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value="/etc/passwd")
    model.graph.initializer.append(tensor)
    return model.SerializeToString()


def custom_domain() -> bytes:
    from onnx import helper

    model = chain(3)
    model.opset_import.append(helper.make_opsetid("com.example.custom", 1))
    model.graph.node.append(
        helper.make_node("Run", ["scores"], ["out"], domain="com.example.custom")
    )
    return model.SerializeToString()
