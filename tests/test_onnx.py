"""ONNX tree ensembles: parsed exactly (against onnxruntime), checked before loading,
attacked, and exported models compared with native ones."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")

from onnx import TensorProto, helper  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_iris  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from advval.attacks import FeatureSpace, TreeAttack, check_export, load_model  # noqa: E402
from advval.attacks._loading import model_format  # noqa: E402
from advval.attacks._model_files import _onnx as onnx_check  # noqa: E402
from advval.attacks.trees._onnx import (  # noqa: E402
    OnnxTreeClassifier,
    check_rows,
    read_onnx_trees,
)

ML = "ai.onnx.ml"


def _data(kind: str) -> tuple[np.ndarray, np.ndarray]:
    X, y = load_iris(return_X_y=True) if kind == "iris" else load_breast_cancer(return_X_y=True)
    return X.astype(np.float32), y


def _skl(model, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return skl2onnx.to_onnx(model, X[:1], target_opset={"": 17, ML: 3})


def _ort_outputs(proto, rows, dtype=np.float32):
    import onnxruntime as ort

    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return session.run(None, {name: rows.astype(dtype)})


def _exact(model: OnnxTreeClassifier, rows: np.ndarray) -> None:
    """Parsed scores and classes equal onnxruntime's tree output on ``rows``."""
    final, scores = model._run(rows)
    rows = rows.astype(model._dtype).astype(np.float64)
    mine = model.parsed_scores(rows)
    np.testing.assert_allclose(mine, scores, atol=1e-6, rtol=0)
    ens = model.ensemble_
    raw = ens.scores(ens.raw(rows))
    top = np.sort(raw, 1)
    clear = top[:, -1] - top[:, -2] > 1e-5
    assert np.array_equal(raw.argmax(1)[clear], final.argmax(1)[clear])


NATIVE = [
    ("rf", lambda: RandomForestClassifier(n_estimators=8, max_depth=5, random_state=0)),
    ("et", lambda: ExtraTreesClassifier(n_estimators=5, max_depth=6, random_state=0)),
    ("tree", lambda: DecisionTreeClassifier(max_depth=4, random_state=0)),
    ("gb", lambda: GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0)),
]


@pytest.mark.parametrize("data", ["binary", "iris"])
@pytest.mark.parametrize("name,make", NATIVE, ids=[n for n, _ in NATIVE])
def test_skl2onnx_exports_are_parsed_exactly(data, name, make):
    X, y = _data(data)
    native = make().fit(X, y)
    model = OnnxTreeClassifier.from_bytes(_skl(native, X).SerializeToString())
    rng = np.random.RandomState(1)
    _exact(model, check_rows(model.ensemble_, rng))  # at, below, above thresholds; NaN
    _exact(model, X + rng.normal(scale=0.01, size=X.shape).astype(np.float32))
    # and onnxruntime agrees with the native model away from float32 rounding
    np.testing.assert_allclose(model.predict_proba(X), native.predict_proba(X), atol=1e-5)
    assert model.n_features_in_ == X.shape[1]
    assert list(model.classes_) == list(native.classes_)


@pytest.mark.parametrize("data", ["binary", "iris"])
@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_onnxmltools_exports_are_parsed_exactly(data, library):
    onnxmltools = pytest.importorskip("onnxmltools")
    from onnxmltools.convert.common.data_types import FloatTensorType

    X, y = _data(data)
    types = [("input", FloatTensorType([None, X.shape[1]]))]
    if library == "lightgbm":
        import lightgbm as lgb

        native = lgb.LGBMClassifier(n_estimators=30, num_leaves=8, verbose=-1).fit(X, y)
        proto = onnxmltools.convert_lightgbm(native, initial_types=types, target_opset=15)
    else:
        xgb = pytest.importorskip("xgboost")
        native = xgb.XGBClassifier(n_estimators=30, max_depth=3, n_jobs=1).fit(X, y)
        proto = onnxmltools.convert_xgboost(native, initial_types=types, target_opset=15)
    model = OnnxTreeClassifier.from_bytes(proto.SerializeToString())
    _exact(model, check_rows(model.ensemble_, np.random.RandomState(2)))
    np.testing.assert_allclose(model.predict_proba(X), native.predict_proba(X), atol=1e-5)


# -- hand-built graphs: every node mode, missing tracks, precisions, transforms ----------


def _tree_graph(
    mode: str, *, tracks: int = 0, elem: int = TensorProto.FLOAT, threshold: float = 0.3,
    transform: str = "NONE", regressor: bool = False, aggregate: str = "SUM",
    base: list[float] | None = None,
):
    """Two features; tree 0 splits feature 0 with ``mode`` at ``threshold``; tree 1 splits
    feature 1 with BRANCH_LEQ at -0.5 (so a second tree and a second feature are read)."""
    nodes = dict(
        nodes_treeids=[0, 0, 0, 1, 1, 1],
        nodes_nodeids=[0, 1, 2, 0, 1, 2],
        nodes_featureids=[0, 0, 0, 1, 0, 0],
        nodes_modes=[mode, "LEAF", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF"],
        nodes_values=[threshold, 0.0, 0.0, -0.5, 0.0, 0.0],
        nodes_truenodeids=[1, 0, 0, 1, 0, 0],
        nodes_falsenodeids=[2, 0, 0, 2, 0, 0],
        nodes_missing_value_tracks_true=[tracks, 0, 0, 1 - tracks, 0, 0],
        post_transform=transform,
    )
    leaves = dict(treeids=[0, 0, 0, 0, 1, 1, 1, 1], nodeids=[1, 1, 2, 2, 1, 1, 2, 2],
                  ids=[0, 1, 0, 1, 0, 1, 0, 1],
                  weights=[0.9, -0.4, -0.7, 0.6, 0.25, -0.1, -0.2, 0.3])
    x = helper.make_tensor_value_info("X", elem, [None, 2])
    if regressor:
        node = helper.make_node(
            "TreeEnsembleRegressor", ["X"], ["Y"], domain=ML, n_targets=2,
            aggregate_function=aggregate, **nodes,
            **{f"target_{k}": v for k, v in leaves.items()},
            **({"base_values": base} if base else {}),
        )
        outputs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 2])]
    else:
        node = helper.make_node(
            "TreeEnsembleClassifier", ["X"], ["label", "scores"], domain=ML,
            classlabels_int64s=[0, 1], **nodes,
            **{f"class_{k}": v for k, v in leaves.items()},
            **({"base_values": base} if base else {}),
        )
        outputs = [
            helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, [None, 2]),
        ]
    graph = helper.make_graph([node], "trees", [x], outputs)
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ML, 3)],
        ir_version=8,
    )


def _mode_rows(threshold: float, elem: int) -> np.ndarray:
    t32 = np.float32(threshold)
    xs = [t32, np.nextafter(t32, np.float32(-1)), np.nextafter(t32, np.float32(1)), np.nan,
          -3.0, 3.0, float(threshold), np.nextafter(float(t32), -1.0),
          np.nextafter(float(t32), 1.0)]
    ys = [-0.5, np.nextafter(-0.5, -1.0), np.nextafter(-0.5, 1.0), np.nan, 2.0]
    return np.array([[a, b] for a in xs for b in ys], dtype=np.float64)


MODES = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tracks", [0, 1])
@pytest.mark.parametrize("elem", [TensorProto.FLOAT, TensorProto.DOUBLE], ids=["f32", "f64"])
def test_every_node_mode_and_missing_track_matches_onnxruntime(mode, tracks, elem):
    threshold = 0.1  # not a float32: float and double inputs compare differently
    proto = _tree_graph(mode, tracks=tracks, elem=elem, threshold=threshold)
    model = OnnxTreeClassifier.from_bytes(proto.SerializeToString())
    rows = _mode_rows(threshold, elem)
    _exact(model, rows)
    # each row's own leaf: the decision of the first tree is what the mode says
    dtype = np.float32 if elem == TensorProto.FLOAT else np.float64
    x = rows[:, 0].astype(dtype)
    t = dtype(np.float32(threshold))
    with np.errstate(invalid="ignore"):
        truth = {"BRANCH_LEQ": x <= t, "BRANCH_LT": x < t, "BRANCH_GTE": x >= t,
                 "BRANCH_GT": x > t, "BRANCH_EQ": x == t, "BRANCH_NEQ": x != t}[mode]
    truth = np.where(np.isnan(x), bool(tracks) or mode == "BRANCH_NEQ", truth)
    leaf = model.ensemble_.apply(rows)[:, 0]
    # the true leaf adds 0.9 to class 0, the false one -0.7
    assert np.array_equal(model.ensemble_.value[leaf][:, 0] > 0, truth)


LAYOUTS = {"two classes": "plain", "one class, mixed": "mirror", "one class, positive":
           "one_minus", "two classes, two base values": "negated",
           "two classes, one base value": "plain"}


@pytest.mark.parametrize("transform", ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_post_transforms(transform, layout):
    base = {"two base values": [0.1, -0.2], "one base value": [0.35]}.get(
        layout.rpartition(", ")[2])
    proto = _tree_graph("BRANCH_LEQ", transform=transform, base=base)
    if layout.startswith("one class"):  # every weight to class 0: onnxruntime's one-score layouts
        node = proto.graph.node[0]
        for attr in node.attribute:
            if attr.name == "class_ids":
                attr.ints[:] = [0] * len(attr.ints)
            if attr.name == "class_weights" and layout.endswith("positive"):
                attr.floats[:] = [abs(w) for w in attr.floats]
    model = OnnxTreeClassifier.from_bytes(proto.SerializeToString())
    _exact(model, _mode_rows(0.3, TensorProto.FLOAT))
    assert model._layout.scores == LAYOUTS[layout]


def test_two_classes_with_two_base_values_score_as_onnxruntime_does():
    # weights for both classes and two base values: onnxruntime scores class 1 as
    # base[1] + the class-0 sum and class 0 as its negative (onnxmltools' export of an
    # XGBoost multi:softprob model with two classes has this layout)
    proto = _tree_graph("BRANCH_LEQ", base=[0.1, -0.2])
    model = OnnxTreeClassifier.from_bytes(proto.SerializeToString())
    rows = _mode_rows(0.3, TensorProto.FLOAT)
    x0, x1 = rows[:, 0].astype(np.float32), rows[:, 1].astype(np.float32)
    class0 = np.where(x0 <= np.float32(0.3), 0.9, -0.7)  # NaN takes the false branch
    class0 = class0 + np.where(np.isnan(x1) | (x1 <= -0.5), 0.25, -0.2)  # tracks true
    s = -0.2 + class0
    np.testing.assert_allclose(model.parsed_scores(rows), np.column_stack([-s, s]), atol=1e-6)
    _exact(model, rows)


def test_two_classes_with_base_values_and_uncovered_rows_are_refused():
    # a row that reaches no class-1 weight is scored another way by onnxruntime (base
    # values added per class): such models are refused by the reader, with the reason
    proto = _tree_graph("BRANCH_LEQ", base=[0.1, -0.2])
    node = proto.graph.node[0]
    keep = [i for i in range(8) if i not in (3, 7)]  # leaf 2 of each tree: class 0 only
    for attr in node.attribute:
        if attr.name in ("class_treeids", "class_nodeids", "class_ids"):
            attr.ints[:] = [attr.ints[i] for i in keep]
        if attr.name == "class_weights":
            attr.floats[:] = [attr.floats[i] for i in keep]
    with pytest.raises(ValueError, match="class-1 weights are missing from some leaves"):
        OnnxTreeClassifier.from_bytes(proto.SerializeToString())


def test_xgboost_softprob_with_two_classes_is_read_as_onnxruntime_runs_it():
    onnxmltools = pytest.importorskip("onnxmltools")
    xgb = pytest.importorskip("xgboost")
    from onnxmltools.convert.common.data_types import FloatTensorType

    X, y = _data("binary")
    native = xgb.XGBClassifier(objective="multi:softprob", num_class=2, n_estimators=20,
                               max_depth=3, n_jobs=1).fit(X, y)
    types = [("input", FloatTensorType([None, X.shape[1]]))]
    proto = onnxmltools.convert_xgboost(native, initial_types=types, target_opset=15)
    model = OnnxTreeClassifier.from_bytes(proto.SerializeToString())
    assert model._layout.scores == "negated"
    rng = np.random.RandomState(3)
    _exact(model, check_rows(model.ensemble_, rng))
    _exact(model, X + rng.normal(scale=0.01, size=X.shape).astype(np.float32))
    # onnxruntime's scores are not XGBoost's here; the export check says so
    report = check_export(native, model, X[:60].astype(np.float64))
    assert len(report.disagree["attacked"]) > 0
    points = X[::10][:20]
    attack = TreeAttack(model, random_state=0)
    X_adv = attack.generate(points)
    assert attack.success_.mean() >= 0.95
    assert np.array_equal(model.predict(X_adv) != model.predict(points), attack.success_)


def test_probit_classifiers_are_refused():
    proto = _tree_graph("BRANCH_LEQ", transform="PROBIT")
    with pytest.raises(ValueError, match="PROBIT on a classifier"):
        OnnxTreeClassifier.from_bytes(proto.SerializeToString())


def test_a_model_read_differently_from_onnxruntime_is_refused(monkeypatch):
    # a reader that took BRANCH_LT for BRANCH_LEQ would misread every threshold by one
    # float32 step: the check at load catches it on the boundary rows instead of
    # attacking the wrong model
    from advval.attacks.trees import _onnx as reader

    monkeypatch.setattr(reader, "_below", lambda t, float32: t)
    proto = _tree_graph("BRANCH_LT")
    with pytest.raises(ValueError, match="away from onnxruntime's"):
        OnnxTreeClassifier.from_bytes(proto.SerializeToString())


@pytest.mark.parametrize("aggregate", ["SUM", "AVERAGE"])
def test_regressor_trees_match_onnxruntime_and_are_not_attacked(aggregate):
    proto = _tree_graph("BRANCH_LT", regressor=True, aggregate=aggregate, base=[0.5, -1.0])
    ensemble, layout = read_onnx_trees(proto)
    rows = _mode_rows(0.3, TensorProto.FLOAT)
    (expected,) = _ort_outputs(proto, rows)
    got = ensemble.raw(rows.astype(np.float32).astype(np.float64))
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert layout.kind == "regressor"
    with pytest.raises(ValueError, match="TreeEnsembleRegressor; attacks need a classifier"):
        OnnxTreeClassifier.from_bytes(proto.SerializeToString())


# -- files: detection by content, hostile files ------------------------------------------------


@pytest.fixture(scope="module")
def forest_files(tmp_path_factory):
    X, y = _data("binary")
    X = X[:, :6]
    native = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    folder = tmp_path_factory.mktemp("onnx")
    path = folder / "forest.bin"  # no .onnx suffix: found by its content
    path.write_bytes(_skl(native, X).SerializeToString())
    return native, X, y, path


def test_load_model_detects_onnx_by_content(forest_files):
    native, X, _, path = forest_files
    assert model_format(path) == "onnx"
    model = load_model(path)
    assert isinstance(model, OnnxTreeClassifier)
    assert np.array_equal(model.predict(X), native.predict(X))


def _refused(tmp_path, data: bytes, match: str) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=match):
        load_model(path)


def test_truncated_and_corrupted_files_are_clear_errors(forest_files, tmp_path):
    data = forest_files[3].read_bytes()
    for cut in (5, len(data) // 3, len(data) - 7):
        _refused(tmp_path, data[:cut], "cannot read the ONNX model|unknown format")
    rng = np.random.RandomState(0)
    for _ in range(20):  # flipped bytes: a clear error or a model that checks out
        broken = bytearray(data)
        at = rng.randint(4, len(data), size=8)
        for i in at:
            broken[i] = rng.randint(0, 256)
        path = tmp_path / "flipped.onnx"
        path.write_bytes(bytes(broken))
        try:
            model = load_model(path)
        except ValueError as exc:
            assert str(path) in str(exc) or "ONNX" in str(exc)
        else:
            assert model.max_score_gap_ <= 1e-5


def test_oversized_files_are_refused_before_parsing(forest_files, tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_check, "MAX_ONNX_BYTES", 1000)
    with pytest.raises(ValueError, match="larger than"):
        onnx_check.check_onnx_bytes(forest_files[3].read_bytes(), "big.onnx")


def test_external_data_custom_domains_functions_and_other_ops_are_refused(tmp_path):
    base = _tree_graph("BRANCH_LEQ")
    external = onnx.ModelProto()
    external.CopyFrom(base)
    tensor = helper.make_tensor("w", TensorProto.FLOAT, [1], [1.0])
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value="/etc/passwd")
    external.graph.initializer.append(tensor)
    _refused(tmp_path, external.SerializeToString(), "external data")

    custom = onnx.ModelProto()
    custom.CopyFrom(base)
    custom.opset_import.append(helper.make_opsetid("com.evil", 1))
    _refused(tmp_path, custom.SerializeToString(), "custom operator domain")

    other = onnx.ModelProto()
    other.CopyFrom(base)
    other.graph.node.append(helper.make_node("Add", ["scores", "scores"], ["twice"]))
    _refused(tmp_path, other.SerializeToString(), "not a plain tree ensemble")

    function = onnx.ModelProto()
    function.CopyFrom(base)
    function.functions.append(
        helper.make_function("local", "f", ["a"], ["b"], [helper.make_node("Identity", ["a"],
                                                                             ["b"])],
                             [helper.make_opsetid("", 17)])
    )
    _refused(tmp_path, function.SerializeToString(), "function")


@pytest.mark.parametrize(
    "change,match",
    [
        ({"nodes_truenodeids": [0, 0, 0, 1, 0, 0]}, "two parents|cycle|root"),  # a cycle
        ({"nodes_falsenodeids": [7, 0, 0, 2, 0, 0]}, "does not have"),
        ({"nodes_featureids": [5, 0, 0, 1, 0, 0]}, "feature 5"),
        ({"nodes_values": [float("nan"), 0, 0, -0.5, 0, 0]}, "NaN threshold"),
        ({"nodes_modes": ["BRANCH_XX", "LEAF", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF"]},
         "unknown node mode"),
        ({"nodes_nodeids": [0, 1, 1, 0, 1, 2]}, "same id"),
    ],
)
def test_malformed_trees_are_refused_before_onnxruntime(tmp_path, change, match):
    proto = _tree_graph("BRANCH_LEQ")
    node = proto.graph.node[0]
    for name, value in change.items():
        kept = [a for a in node.attribute if a.name != name]
        del node.attribute[:]
        node.attribute.extend(kept)
        node.attribute.append(helper.make_attribute(name, value))
    _refused(tmp_path, proto.SerializeToString(), match)


def test_missing_onnx_gives_the_pip_fix(forest_files, monkeypatch):
    from advval import _compat

    real = _compat.has_module
    monkeypatch.setattr(_compat, "has_module", lambda name: name != "onnxruntime" and real(name))
    with pytest.raises(ImportError, match=r'pip install "advval\[onnx\]"'):
        load_model(forest_files[3])


# -- attacks and the export check -----------------------------------------------------------


def test_tree_attack_on_an_onnx_model_is_verified_by_onnxruntime(forest_files):
    _, X, _, path = forest_files
    model = load_model(path)
    attack = TreeAttack(model, random_state=0)
    X_adv = attack.generate(X[:40])
    assert attack.success_.mean() >= 0.95
    flipped = model.predict(X_adv) != model.predict(X[:40])
    assert np.array_equal(flipped, attack.success_)


def test_check_export_agrees_on_a_faithful_export(forest_files):
    native, X, _, path = forest_files
    X64 = X.astype(np.float64)
    X_adv = TreeAttack(native, random_state=0).generate(X64[:60])
    result = check_export(native, path, X64[:60], X_adv)
    assert result.agrees, result.summary()
    assert result.n_rows == {"attacked": 60, "adversarial": 60}
    assert result.max_score_gap["attacked"] < 1e-5


def test_check_export_finds_a_threshold_nudged_by_one_float32_step():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)
    native = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    proto = _skl(native, X.astype(np.float32))
    node = next(n for n in proto.graph.node if n.op_type == "TreeEnsembleClassifier")
    values = next(a for a in node.attribute if a.name == "nodes_values")
    root = np.float32(values.floats[0])
    values.floats[0] = float(np.nextafter(root, np.float32(np.inf)))  # one ulp up
    exported = OnnxTreeClassifier.from_bytes(proto.SerializeToString())
    # the attack moves the root's feature just across the native threshold
    X_adv = TreeAttack(native, random_state=0).generate(X[:80])
    result = check_export(native, exported, X[:80], X_adv)
    assert not result.agrees
    assert len(result.disagree["attacked"]) == 0  # the data are far from the split
    bad = result.disagree["adversarial"]
    assert len(bad) > 0
    assert np.all(np.float32(X_adv[bad, 0]) == values.floats[0])  # at the nudged threshold
    assert np.array_equal(result.native_labels["adversarial"], native.predict(X_adv[bad]))
    assert result.max_score_gap["adversarial"] > 0.1
    faithful = check_export(native, _skl(native, X.astype(np.float32)), X[:80], X_adv)
    assert faithful.agrees


def test_cli_attacks_an_onnx_file_and_checks_the_export(forest_files, tmp_path):
    import json

    import lightgbm as lgb
    import pandas as pd
    from click.testing import CliRunner
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    from advval.cli import cli as main

    _, X, y, path = forest_files
    frame = pd.DataFrame(X[:60].astype(np.float64), columns=[f"f{j}" for j in range(6)])
    frame["y"] = y[:60]
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    runner = CliRunner()
    result = runner.invoke(main, ["attack", str(path), str(data), "--target", "y", "--format",
                                  "json", "--attack", "tree", "--max-queries", "50"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["settings"]["model_format"] == "onnx"

    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 8},
                        lgb.Dataset(X.astype(np.float64), y), num_boost_round=20)
    native = tmp_path / "native.txt"
    booster.save_model(str(native))
    exported = tmp_path / "native.onnx"
    proto = convert_lightgbm(booster, initial_types=[("input", FloatTensorType([None, 6]))],
                             target_opset=15)
    exported.write_bytes(proto.SerializeToString())
    result = runner.invoke(main, ["attack", str(native), str(data), "--target", "y", "--format",
                                  "json", "--attack", "tree", "--export", str(exported)])
    assert result.exit_code == 0, result.output
    check = json.loads(result.stdout)["settings"]["export_check"]
    assert check["attacked"]["rows"] == check["adversarial"]["rows"] == 60
    assert "--export adversarial rows" in result.stderr
    # the disagreeing rows are DATA's rows: recomputed with the same minimal attack (same
    # feature space, seed 0), the native Booster and onnxruntime differ exactly there
    features = frame.drop(columns="y")
    X_adv = TreeAttack(booster, feature_space=FeatureSpace.from_config({}, features),
                       random_state=0).generate(features)
    native_class = (booster.predict(np.asarray(X_adv)) > 0.5).astype(int)
    onnx_class = load_model(exported).predict(np.asarray(X_adv))
    bad = check["adversarial"]["disagreeing_rows"]
    assert bad == np.flatnonzero(native_class != onnx_class).tolist()
    assert check["adversarial"]["disagree"] == len(bad) > 0


# -- the opset-5 TreeEnsemble operator ------------------------------------------------------


def _tree_ensemble_v5(mode: int, elem: int, tracks: int, roots=(0, 2)):
    """Tree 0: split 0 reads feature 0 with ``mode`` (true: split 1, false: leaf 0), split 1
    reads feature 1 (leaves 1, 2); tree 1: split 2 reads feature 1 with GT (leaves 3, 4)."""
    node = helper.make_node(
        "TreeEnsemble", ["X"], ["Y"], domain=ML, n_targets=2, tree_roots=list(roots),
        nodes_featureids=[0, 1, 1],
        nodes_splits=helper.make_tensor("s", elem, [3], [0.1, -0.5, 0.3]),
        nodes_modes=helper.make_tensor("m", TensorProto.UINT8, [3], [mode, 0, 3]),
        nodes_truenodeids=[1, 1, 3], nodes_falsenodeids=[0, 2, 4],
        nodes_trueleafs=[0, 1, 1], nodes_falseleafs=[1, 1, 1],
        nodes_missing_value_tracks_true=[tracks, 1 - tracks, tracks],
        leaf_targetids=[0, 1, 0, 1, 0],
        leaf_weights=helper.make_tensor("w", elem, [5], [1.0, 2.0, -0.5, 0.25, 0.75]),
    )
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("X", elem, [None, 2])],
        [helper.make_tensor_value_info("Y", elem, [None, 2])],
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid(ML, 5)],
        ir_version=10,
    )


@pytest.mark.parametrize("mode", range(6))
@pytest.mark.parametrize("tracks", [0, 1])
@pytest.mark.parametrize("elem", [TensorProto.FLOAT, TensorProto.DOUBLE], ids=["f32", "f64"])
def test_opset5_tree_ensemble_matches_onnxruntime(mode, tracks, elem):
    proto = _tree_ensemble_v5(mode, elem, tracks)
    dtype = np.float32 if elem == TensorProto.FLOAT else np.float64
    rows = np.vstack([_mode_rows(0.1, elem), _mode_rows(0.3, elem)[:, ::-1]])
    (expected,) = _ort_outputs(proto, rows, dtype)
    ensemble, layout = read_onnx_trees(proto)
    got = ensemble.raw(rows.astype(dtype).astype(np.float64))
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert layout.kind == "regressor" and ensemble.n_trees == 2


def test_opset5_malformed_trees_are_refused(tmp_path):
    shared = _tree_ensemble_v5(0, TensorProto.FLOAT, 0, roots=(0, 1))  # split 1 in two trees
    _refused(tmp_path, shared.SerializeToString(), "reached twice")


def test_check_export_reads_treelite_models():
    # scikit-learn rounds inputs to float32 before comparing with its float64 thresholds;
    # Treelite's import compares float64 inputs: a row exactly at a threshold t goes right
    # in scikit-learn when float32(t) > t, left in Treelite. Known truth per stump.
    treelite = pytest.importorskip("treelite")
    rng = np.random.RandomState(0)
    expected, found = [], []
    for _ in range(12):
        X = rng.normal(size=(60, 2))
        y = (X[:, 0] > rng.normal(scale=0.3)).astype(int)
        native = RandomForestClassifier(n_estimators=1, max_depth=1, bootstrap=False,
                                        random_state=0).fit(X, y)
        stump = native.estimators_[0].tree_
        t = stump.threshold[0]
        rows = np.zeros((3, 2))
        rows[:, stump.feature[0]] = [t, t + 1.0, t - 1.0]
        result = check_export(native, treelite.sklearn.import_model(native), rows)
        expected.append([0] if np.float32(t) > t else [])
        found.append(result.disagree["attacked"].tolist())
    assert found == expected
    assert [0] in expected and [] in expected


def _chain(depth: int):
    """One tree: split i sends x <= i to leaf i and the rest to split i + 1 (the fuzz
    corpus's builder, tests/fuzz/onnx_files.py, loaded by path)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parent / "fuzz" / "onnx_files.py"
    spec = importlib.util.spec_from_file_location("_onnx_files", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.chain(depth)


def test_trees_too_deep_for_onnxruntime_are_refused_before_it_crashes(tmp_path):
    # onnxruntime builds trees recursively: a chain some 30,000 splits deep kills the
    # process with a segmentation fault (measured with onnxruntime 1.32)
    model = OnnxTreeClassifier.from_bytes(_chain(300).SerializeToString())
    # x = 5.5 reaches leaf 6 (weight +1: class 1), 6.5 leaf 7 (-1), 400 the last (+1)
    assert model.predict(np.array([[5.5], [6.5], [400.0]])).tolist() == [1, 0, 1]
    from advval.attacks.trees._onnx import MAX_DEPTH

    _refused(tmp_path, _chain(MAX_DEPTH + 1).SerializeToString(), "deeper than")


def test_deeply_nested_messages_are_a_clear_error(tmp_path):
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            byte, n = n & 0x7F, n >> 7
            out.append(byte | (0x80 if n else 0))
            if not n:
                return bytes(out)

    def field(number: int, payload: bytes) -> bytes:
        return varint(number << 3 | 2) + varint(len(payload)) + payload

    graph = b""
    for _ in range(3000):  # graph -> node -> attribute -> graph -> ...
        graph = field(1, field(5, field(6, graph)))
    data = bytes([8, 8]) + field(7, graph) + field(8, field(2, b""))
    _refused(tmp_path, data, "cannot read the ONNX model")


def test_sizes_that_would_need_huge_allocations_are_refused(tmp_path, monkeypatch):
    wide = _tree_graph("BRANCH_LEQ")
    wide.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 10**9
    _refused(tmp_path, wide.SerializeToString(), "declares 1,000,000,000 columns")
    from advval.attacks.trees import _onnx as reader

    monkeypatch.setattr(reader, "MAX_CELLS", 10)  # 6 nodes x 2 outputs
    _refused(tmp_path, _tree_graph("BRANCH_LEQ").SerializeToString(), "would need")


def test_string_labels_and_double_inputs():
    X, y = _data("iris")
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    X64 = X.astype(np.float64) + 1e-9
    native = RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0).fit(X64, names)
    proto = _skl(native, X64)
    assert proto.graph.input[0].type.tensor_type.elem_type == TensorProto.DOUBLE
    model = OnnxTreeClassifier.from_bytes(proto.SerializeToString())
    assert list(model.classes_) == list(native.classes_)
    assert not model.ensemble_.float32  # compared in double, as onnxruntime does
    _exact(model, check_rows(model.ensemble_, np.random.RandomState(3)))
    # skl2onnx's double export compares doubles with float32-rounded thresholds, where
    # scikit-learn rounds the input to float32 instead: rows 1e-9 off the float32 grid
    # may differ, and check_export names exactly those
    differ = np.flatnonzero(model.predict(X64) != native.predict(X64))
    assert len(differ) < len(X64) // 10
    assert check_export(native, model, X64).disagree["attacked"].tolist() == differ.tolist()


@pytest.mark.parametrize("library", ["lightgbm-iris", "xgboost-binary"])
def test_tree_attack_on_boosted_exports(library):
    onnxmltools = pytest.importorskip("onnxmltools")
    from onnxmltools.convert.common.data_types import FloatTensorType

    X, y = _data("iris" if "iris" in library else "binary")
    types = [("input", FloatTensorType([None, X.shape[1]]))]
    if library.startswith("lightgbm"):
        import lightgbm as lgb

        native = lgb.LGBMClassifier(n_estimators=20, num_leaves=8, verbose=-1).fit(X, y)
        proto = onnxmltools.convert_lightgbm(native, initial_types=types, target_opset=15)
    else:
        xgb = pytest.importorskip("xgboost")  # BRANCH_LT splits
        native = xgb.XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1).fit(X, y)
        proto = onnxmltools.convert_xgboost(native, initial_types=types, target_opset=15)
    model = OnnxTreeClassifier.from_bytes(proto.SerializeToString())
    points = X[::5][:30]
    attack = TreeAttack(model, random_state=0)
    X_adv = attack.generate(points)
    assert attack.success_.mean() >= 0.95
    # every claimed success is what onnxruntime predicts, and nothing else changed
    flipped = model.predict(X_adv) != model.predict(points)
    assert np.array_equal(flipped, attack.success_)
    assert np.all(attack.norms_[attack.success_] > 0)


def test_plain_nodes_after_zipmap_and_a_final_softmax(forest_files):
    native, X, _, path = forest_files
    proto = onnx.load_model_from_string(path.read_bytes())
    zipmap = next(n for n in proto.graph.node if n.op_type == "ZipMap")
    out = next(o for o in proto.graph.output if o.name == zipmap.output[0])
    proto.graph.node.append(helper.make_node("Identity", [zipmap.output[0]], ["renamed"]))
    out.name = "renamed"
    model = OnnxTreeClassifier.from_bytes(proto.SerializeToString())
    np.testing.assert_allclose(model.predict_proba(X), native.predict_proba(X), atol=1e-5)

    # probabilities through a Softmax: the output changes, the classes do not
    proto = _tree_graph("BRANCH_LEQ")
    proto.graph.node.append(helper.make_node("Softmax", ["scores"], ["soft"], axis=1))
    proto.graph.output[1].name = "soft"
    model = OnnxTreeClassifier.from_bytes(proto.SerializeToString())
    rows = _mode_rows(0.3, TensorProto.FLOAT)
    scores = model.parsed_scores(rows)
    e = np.exp(scores - scores.max(1, keepdims=True))
    np.testing.assert_allclose(model.predict_proba(rows), e / e.sum(1, keepdims=True), atol=1e-6)
