"""The JSON Schemas of the report kinds: real reports match, changes are caught, versions ruled.

- every kind's schema is a valid draft 2020-12 schema, self-contained as returned, with the
  ``schema_version`` the report modules write;
- real reports of every kind validate (drift on the flights data with a planted ID leak,
  the feature dropper and the segment search; deps with a target and a comparison; a
  robustness report of a small model with timings; an image report of a tiny torch model,
  with and without examples), and the schemas refuse a renamed, removed, retyped or
  unknown key in them;
- the version rule (``docs/json-schemas.md``): each schema's contract (paths, types,
  required keys, allowed values) is recorded per version under ``schema_contracts/``; a
  change under the same version fails with what to do (append additions; bump for the
  rest), and the classifier behind it is checked on planted changes;
- the session-wide hook of ``conftest.py`` sees every report ``to_dict`` and records an
  invalid document.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from advval import AdversarialValidator, DriftFeatureDropper, FeatureDependencyChecker
from advval.attacks import NESAttack, SquareAttack, robustness_report
from advval.compare._diff import DIFF_SCHEMA_VERSION
from advval.datasets import load_flights
from advval.report import (
    SCHEMA_KINDS,
    FeatureDrift,
    build_dependency_report,
    build_drift_report,
    json_schema,
    render_json,
    render_robustness_json,
)
from advval.report import _schemas as schemas_module
from advval.report._schemas import SCHEMA_ID_PREFIX
from advval.results import _dependency as deps_module
from advval.results import _drift as drift_module
from advval.results import _robustness as robustness_module

CONTRACTS = Path(__file__).parent / "schema_contracts"
#: kind -> the constant its documents' ``schema_version`` comes from
VERSION_CONSTANTS = {
    "drift": drift_module.SCHEMA_VERSION,
    "deps": deps_module.SCHEMA_VERSION,
    "robustness": robustness_module.SCHEMA_VERSION,
    "image_robustness": robustness_module.SCHEMA_VERSION,
    "diff": DIFF_SCHEMA_VERSION,
}

#: JSON type of a Python value of an ``enum`` or ``const``
JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean",
              type(None): "null"}


def errors(kind: str, document: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(json_schema(kind))
    return [
        f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


# --------------------------------------------------------------------------- contracts


def _resolve(ref: str, base: dict[str, Any], root: dict[str, Any]) -> tuple[Any, dict]:
    """The node ``ref`` names, and the schema resource its own references are read in."""
    if ref.startswith(SCHEMA_ID_PREFIX):
        target, _, pointer = ref.partition("#")
        base = root["$defs"][target]
    elif ref.startswith("#"):
        pointer = ref[1:]
    else:
        raise AssertionError(f"unexpected $ref {ref!r}")
    node: Any = base
    for part in filter(None, pointer.split("/")):
        node = node[part]
    return node, base


def _empty() -> dict[str, Any]:
    return {"types": set(), "values": [], "required": set(), "properties": {}, "items": [],
            "prefix": {}, "additional": []}


def _merge(flat: dict[str, Any], other: dict[str, Any]) -> None:
    """Add the promises of ``other`` to ``flat``."""
    flat["types"] |= other["types"]
    flat["values"] += [v for v in other["values"] if v not in flat["values"]]
    flat["required"] |= other["required"]
    for key in ("items", "additional"):
        flat[key] += other[key]
    for key in ("properties", "prefix"):
        for name, subs in other[key].items():
            flat[key].setdefault(name, []).extend(subs)


def _flatten(node: Any, base: dict, root: dict) -> dict[str, Any]:
    """What ``node`` promises, its references and combinations merged."""
    flat = _empty()
    if not isinstance(node, dict):
        return flat
    if "$ref" in node:
        target, target_base = _resolve(node["$ref"], base, root)
        _merge(flat, _flatten(target, target_base, root))
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in node.get(key, []):
            _merge(flat, _flatten(branch, base, root))
    types = node.get("type", [])
    bounds = ""
    if "minimum" in node or "maximum" in node:
        bounds = f"[{node.get('minimum', '')},{node.get('maximum', '')}]"
    for name in [types] if isinstance(types, str) else types:
        flat["types"].add(name + bounds if name in ("number", "integer") else name)
    values = [node["const"]] if "const" in node else node.get("enum", [])
    flat["values"] += [v for v in values if v not in flat["values"]]
    flat["required"] |= set(node.get("required", []))
    for name, sub in node.get("properties", {}).items():
        flat["properties"].setdefault(name, []).append((sub, base))
    if isinstance(node.get("items"), dict):
        flat["items"].append((node["items"], base))
    for index, sub in enumerate(node.get("prefixItems", [])):
        flat["prefix"].setdefault(index, []).append((sub, base))
    if isinstance(node.get("additionalProperties"), dict):
        flat["additional"].append((node["additionalProperties"], base))
    return flat


def contract(schema: dict[str, Any]) -> list[str]:
    """The promises of ``schema``, one a line: ``path: types``, ``path: required``,
    ``path = value`` (paths: ``a.b``, ``a[]`` for list items, ``a[0]``, ``a{}`` for the
    values of a map)."""
    lines: set[str] = set()

    def walk(subs: list[tuple[Any, dict]], path: str, required: bool) -> None:
        flat = _empty()
        for sub, base in subs:
            _merge(flat, _flatten(sub, base, schema))
        types = flat["types"] or {JSON_TYPES[type(v)] for v in flat["values"]}
        lines.add(f"{path}: {'|'.join(sorted(types)) or 'any'}")
        if required:
            lines.add(f"{path}: required")
        lines.update(f"{path} = {json.dumps(v)}" for v in flat["values"])
        prefix = f"{path}." if path != "$" else ""
        for name, more in flat["properties"].items():
            walk(more, prefix + name, name in flat["required"])
        if flat["items"]:
            walk(flat["items"], f"{path}[]", False)
        for index, more in flat["prefix"].items():
            walk(more, f"{path}[{index}]", False)
        if flat["additional"]:
            walk(flat["additional"], f"{path}{{}}", False)

    walk([(schema, schema)], "$", False)
    return sorted(lines)


def version_of(schema: dict[str, Any]) -> int:
    values = [line for line in contract(schema) if line.startswith("schema_version = ")]
    assert len(values) == 1, values
    return int(values[0].split(" = ")[1])


def judge(recorded: list[str], current: list[str]) -> tuple[list[str], list[str]]:
    """(lines gone or changed: a breaking change; lines added: an additive one)."""
    return sorted(set(recorded) - set(current)), sorted(set(current) - set(recorded))


def contract_path(kind: str, version: int) -> Path:
    return CONTRACTS / f"{kind}.v{version}.txt"


@pytest.mark.parametrize("kind", SCHEMA_KINDS)
def test_schema_changes_follow_the_version_rule(kind):
    schema = json_schema(kind)
    version = version_of(schema)
    current = contract(schema)
    path = contract_path(kind, version)
    rule = "the rule in docs/json-schemas.md"
    if not path.exists():
        pytest.fail(
            f"No contract is recorded for the {kind} schema at schema_version {version}. If you "
            f"bumped the version by {rule}, record the new contract: write these lines to "
            f"tests/schema_contracts/{path.name}:\n"
            + "\n".join(current), pytrace=False)
    recorded = path.read_text(encoding="utf-8").splitlines()
    gone, added = judge(recorded, current)
    if gone:
        pytest.fail(
            f"The {kind} schema breaks its schema_version {version} contract: these promises "
            f"are gone or changed:\n  " + "\n  ".join(gone) + "\n"
            f"By {rule}, a removed or renamed key, a changed type or a removed value needs a "
            f"new version: set schema_version to {version + 1} (the schema's const and the "
            "SCHEMA_VERSION its report module writes), record the new contract (this test "
            "prints it) and add a line to the changelog of docs/json-schemas.md. "
            "If the change was not meant, undo it.", pytrace=False)
    if added:
        pytest.fail(
            f"The {kind} schema gained promises under schema_version {version}:\n  "
            + "\n  ".join(added) + f"\nBy {rule}, additions keep the version: append these "
            f"lines to tests/schema_contracts/{path.name} (keep it sorted).", pytrace=False)


def test_the_version_judge_catches_each_kind_of_change():
    schema = json_schema("drift")
    before = contract(schema)

    def changed(edit) -> tuple[list[str], list[str]]:
        other = copy.deepcopy(schema)
        edit(other)
        return judge(before, contract(other))

    def rename(s):
        s["properties"]["roc_auc"] = s["properties"].pop("auc")
        s["required"] = [("roc_auc" if k == "auc" else k) for k in s["required"]]

    gone, added = changed(rename)
    assert "auc: required" in gone and "roc_auc: required" in added
    gone, _ = changed(lambda s: s["$defs"]["feature"]["properties"].update(
        importance={"type": "string"}))
    assert gone == ["features[].importance: null|number"]
    gone, _ = changed(lambda s: s["$defs"]["feature"]["required"].remove("p_value"))
    assert gone == ["features[].p_value: required"]
    gone, _ = changed(lambda s: s["$defs"]["feature"]["properties"]["test"]["enum"].remove("ks"))
    assert gone == ['features[].test = "ks"']
    gone, added = changed(lambda s: s["$defs"]["column_facts"]["properties"]["flags"]["items"][
        "enum"].append("skewed"))
    assert not gone and added == ['column_facts[].flags[] = "skewed"']
    gone, added = changed(lambda s: s["properties"].update(note={"type": "string"}))
    assert not gone and added == ["note: string"]
    gone, added = changed(lambda s: s["$defs"]["segment"]["properties"].update(
        lift={"type": "number", "minimum": 1}))
    assert gone == ["segments[].lift: null|number"]
    assert added == ["segments[].lift: number[1,]"]
    # descriptions and titles are not promises
    gone, added = changed(lambda s: s.update(description="another text"))
    assert (gone, added) == ([], [])


def test_contract_reads_through_references_to_another_schema():
    lines = contract(json_schema("image_robustness"))
    assert 'kind = "image_robustness"' in lines and 'kind = "robustness"' not in lines
    assert "attacks[].robust_accuracy: null|number[0,1]" in lines  # from the robustness file
    assert "examples.perturbation_norms[]: null|number" in lines
    assert "attacks[].seconds: null|number" in lines
    assert "attacks[].seconds: required" not in lines  # only with timings=True


# --------------------------------------------------------------------------- the schemas


@pytest.mark.parametrize("kind", SCHEMA_KINDS)
def test_each_schema_is_valid_self_contained_and_versioned_like_its_writer(kind):
    schema = json_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:advval:schema:{kind}"
    assert version_of(schema) == VERSION_CONSTANTS[kind]
    assert f'kind = "{kind}"' in contract(schema)
    # self-contained: a validator without any registry resolves every reference
    assert jsonschema.Draft202012Validator(schema).is_valid({}) is False
    # a new copy each time: changing one does not change the next
    schema["properties"].clear()
    assert json_schema(kind)["properties"]


def test_json_schema_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match=r"'kind' parameter of json_schema .* Got 'csv'"):
        json_schema("csv")


def test_the_shipped_files_are_the_package_data():
    folder = Path(schemas_module.__file__).parent / "schemas"
    assert sorted(p.name for p in folder.glob("*.json")) == sorted(
        f"{kind}.schema.json" for kind in SCHEMA_KINDS)
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"schemas/*.json"' in pyproject


# --------------------------------------------------------------------------- real reports


@pytest.fixture(scope="module")
def drift_document():
    X_train, X_test = load_flights()
    X_train, X_test = X_train.iloc[:800].copy(), X_test.iloc[:800].copy()
    X_train["row_id"] = np.arange(800)  # a planted row counter: a leak
    X_test["row_id"] = np.arange(800, 1600)
    with pytest.warns(Warning, match="row_id"):
        validator = AdversarialValidator(max_rows=1000, n_splits=3, random_state=0).fit(
            X_train, X_test)
    dropper = DriftFeatureDropper(X_test=X_test, validator=validator, prefit=True,
                                  max_drop=2, random_state=0).fit(X_train)
    segments = validator.segments(X_train, X_test)
    report = build_drift_report(validator, X_train, X_test, dropper=dropper,
                                segments=segments, train_name="winter.csv")
    return json.loads(render_json(report))


def test_a_real_drift_report_matches_its_schema(drift_document):
    doc = drift_document
    # every part of the document is filled, so each part of the schema is exercised
    assert doc["leaks"] == ["row_id"] and doc["without_leaks"]["columns"] == ["row_id"]
    assert doc["remedy"]["path"] and doc["segments"] and doc["segment_search"]
    assert doc["summary"] is not None and len(doc["column_facts"]) == 10
    assert doc["test_name"] is None and doc["train_name"] == "winter.csv"
    assert errors("drift", doc) == []


def test_the_drift_schema_refuses_changed_documents(drift_document):
    def broken(edit) -> list[str]:
        doc = copy.deepcopy(drift_document)
        edit(doc)
        return errors("drift", doc)

    assert any("'auc' is a required property" in e for e in broken(
        lambda d: d.update(roc_auc=d.pop("auc"))))
    assert any("features/0" in e and "'p_value'" in e for e in broken(
        lambda d: d["features"][0].pop("p_value")))
    assert any("/n_train" in e and "not of type 'integer'" in e for e in broken(
        lambda d: d.update(n_train="800")))
    assert any("/auc" in e and "not of type" in e for e in broken(lambda d: d.update(auc=True)))
    assert any("/auc" in e and "maximum" in e for e in broken(lambda d: d.update(auc=1.5)))
    assert any("'extra' was unexpected" in e for e in broken(
        lambda d: d["segments"][0].update(extra=1)))
    assert any("/kind" in e for e in broken(lambda d: d.update(kind="deps")))
    assert any("/schema_version" in e for e in broken(lambda d: d.update(schema_version=2)))
    # a float that was NaN is written as null: accepted
    assert broken(lambda d: d.update(auc=None, fold_aucs=[None, 0.5])) == []
    # settings are an open record
    assert broken(lambda d: d["settings"].update(anything={"goes": [1]})) == []


def test_a_real_dependency_report_matches_its_schema():
    X, _ = load_flights()
    X = X.iloc[:400].copy()
    X["target"] = (X["dep_delay"].fillna(0) > 10).astype(int)
    X["target_copy"] = X["target"]  # a planted leak of the target
    features, target = X.drop(columns="target"), X["target"]
    checker = FeatureDependencyChecker(random_state=0).fit(features, target)
    _, comparison = load_flights()
    comparison = comparison.iloc[:300].assign(target_copy=0)
    shift = checker.dependency_shift(features, comparison, prefit=True)
    doc = json.loads(render_json(build_dependency_report(checker, shift)))
    assert "target_copy" in doc["leaking"] and doc["shift"] and doc["redundant"]
    assert errors("deps", doc) == []
    doc["features"][0]["leak"] = "yes"
    assert any("leak" in e for e in errors("deps", doc))


def test_a_real_robustness_report_matches_its_schema():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 4)), columns=["a", "b", "c", "d"])
    y = (X["a"] + X["b"] > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(X, y)
    attacks = [SquareAttack(None, eps=0.5, steps=20), NESAttack(None, eps=0.5, steps=5)]
    report = robustness_report(model, X, y, attacks, eps=[0.1, 0.5], random_state=0)
    for timings in (False, True):
        doc = json.loads(render_robustness_json(report, timings=timings))
        assert ("seconds" in doc["attacks"][0]) is timings
        assert doc["attacks"] and doc["curve"] and doc["features"]
        assert errors("robustness", doc) == []
    doc["attacks"][0]["norm"] = "L2"
    doc["flags"] = [{"code": "unknown", "attack": None, "message": "x"}]
    found = errors("robustness", doc)
    assert any("attacks/0/norm" in e for e in found) and any("flags/0/code" in e for e in found)
    doc = json.loads(render_robustness_json(report))
    doc["examples"] = None  # only the image report has examples
    assert any("'examples' was unexpected" in e for e in errors("robustness", doc))


def test_a_real_image_report_matches_its_schema():
    torch = pytest.importorskip("torch")
    from advval.attacks import PGD
    from advval.image import evaluate_robustness
    from advval.report import render_image_json

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3))
    images = torch.rand(12, 1, 4, 4)
    with torch.no_grad():
        labels = net(images).argmax(1)
    for n_examples in (2, 0):
        report = evaluate_robustness(net, (images, labels), attacks=[PGD(None, steps=3)],
                                     eps=[0.05, 0.3], n_examples=n_examples, random_state=0)
        doc = json.loads(render_image_json(report))
        assert (doc["examples"] is None) is (n_examples == 0)
        assert errors("image_robustness", doc) == []
        assert errors("robustness", doc) != []  # its own kind, and the examples key
    doc = json.loads(render_image_json(report))
    doc["examples"] = {"attack": "PGD"}
    assert any("examples" in e for e in errors("image_robustness", doc))


# --------------------------------------------------------------------------- the hook


def test_the_session_hook_records_an_invalid_report(request, make_drift_report):
    conftest = request.config.pluginmanager.get_plugin(
        str(Path(__file__).parent / "conftest.py"))
    assert conftest is not None and getattr(type(make_drift_report()).to_dict,
                                            "schema_checked", False)
    report = make_drift_report()
    report.to_dict()
    assert conftest._schema_failures == []
    bad = type(report)(**{**report.__dict__, "features": (
        FeatureDrift("x", "numeric", 0.1, 0.0, 0.2, 0.01, "anova", False, False),)})
    bad.to_dict()
    try:
        assert len(conftest._schema_failures) == 1
        assert "features/0/test" in conftest._schema_failures[0]
        assert "'anova' is not one of" in conftest._schema_failures[0]
    finally:
        conftest._schema_failures.clear()
