"""XGBoost JSON / UBJ model files: detected by content, parsed by advval, hostile files refused."""

from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval import _compat
from advval.attacks._loading import load_model, model_format
from advval.attacks._model_files import _xgboost as files
from advval.attacks._model_files._ubjson import MAX_DEPTH, UBJSONError, loads
from advval.cli import ExitCode, cli
from advval.exceptions import DataWarning

xgb = pytest.importorskip("xgboost")


def _fit(n_classes: int = 2, **params):
    rng = np.random.RandomState(0)
    X = rng.randn(300, 4)
    y = (X[:, 0] > 0).astype(int) if n_classes == 2 else np.digitize(X[:, 0], [-0.5, 0.5])
    model = xgb.XGBClassifier(n_estimators=5, max_depth=3, n_jobs=1, random_state=0, **params)
    return model.fit(X, y), X


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("xgb")
    out = {}
    for name, (model, _) in {
        "binary": _fit(2), "multi": _fit(3), "dart": _fit(2, booster="dart", rate_drop=0.3),
    }.items():
        for ext in ("json", "ubj"):
            out[f"{name}.{ext}"] = folder / f"{name}.{ext}"
            model.save_model(out[f"{name}.{ext}"])
            out[f"{name}-booster.{ext}"] = folder / f"{name}-booster.{ext}"
            model.get_booster().save_model(out[f"{name}-booster.{ext}"])
    return out


# -- loading what XGBoost writes --------------------------------------------------------------


@pytest.mark.parametrize("name", ["binary", "multi", "dart"])
@pytest.mark.parametrize("ext", ["json", "ubj"])
@pytest.mark.parametrize("booster", [False, True])
def test_files_xgboost_writes_load_and_predict_the_same(saved, tmp_path, name, ext, booster):
    model, X = _fit(*{"binary": (2,), "multi": (3,), "dart": (2,)}[name],
                    **({"booster": "dart", "rate_drop": 0.3} if name == "dart" else {}))
    path = saved[f"{name}{'-booster' if booster else ''}.{ext}"]
    disguised = tmp_path / "model.bin"  # detected by content, not by suffix
    disguised.write_bytes(path.read_bytes())
    for candidate in (path, disguised):
        assert model_format(candidate) == "xgboost"
        loaded = load_model(candidate)
        assert type(loaded).__name__ == "XGBClassifier"
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_categorical_model_file_keeps_its_categories(tmp_path):
    rng = np.random.RandomState(1)
    frame = pd.DataFrame({"a": pd.Categorical(rng.choice(["x", "yy", "z"], 300)),
                          "b": rng.randn(300)})
    y = ((frame["a"] == "x") ^ (frame["b"] > 0)).astype(int)
    model = xgb.XGBClassifier(n_estimators=4, enable_categorical=True, n_jobs=1).fit(frame, y)
    for ext in ("json", "ubj"):
        model.save_model(tmp_path / f"cat.{ext}")
        loaded = load_model(tmp_path / f"cat.{ext}")
        assert list(loaded.feature_names_in_) == ["a", "b"]
        np.testing.assert_array_equal(loaded.predict_proba(frame), model.predict_proba(frame))


def test_the_loaded_model_is_rebuilt_from_checked_fields_only(saved):
    document = files.parse_xgboost_bytes(saved["multi.ubj"].read_bytes(), Path("m"))
    rebuilt = json.loads(files.rebuilt_json(document))
    original = json.loads(saved["multi.json"].read_bytes())
    assert rebuilt["learner"]["learner_model_param"] == original["learner"]["learner_model_param"]
    trees, expected = (d["learner"]["gradient_booster"]["model"]["trees"]
                       for d in (rebuilt, original))
    for mine, theirs in zip(trees, expected, strict=True):
        for key in ("left_children", "right_children", "default_left", "split_indices"):
            np.testing.assert_array_equal(mine[key], theirs[key])
        # float32 values written so that they read back as the same float32
        assert np.array_equal(np.float32(mine["split_conditions"]),
                              np.float32(theirs["split_conditions"]))


def test_pickled_xgboost_models_stay_behind_trust(tmp_path):
    model, X = _fit()
    path = tmp_path / "model.pkl"
    with open(path, "wb") as handle:
        pickle.dump(model, handle)
    with pytest.raises(ValueError, match="refusing to load"):
        load_model(path)
    np.testing.assert_array_equal(load_model(path, trust=True).predict_proba(X),
                                  model.predict_proba(X))


def test_missing_xgboost_gives_the_pip_fix(saved, monkeypatch):
    real = _compat.has_module
    monkeypatch.setattr(_compat, "has_module", lambda name: name != "xgboost" and real(name))
    with pytest.raises(ImportError, match=r'pip install "advval\[xgboost\]"'):
        load_model(saved["binary.json"])


# -- the UBJSON reader ------------------------------------------------------------------------


def test_ubjson_reads_what_xgboost_writes_as_json_does(saved):
    ubj = loads(saved["multi.ubj"].read_bytes())
    plain = json.loads(saved["multi.json"].read_bytes())

    def same(a, b):
        if isinstance(a, np.ndarray):
            want = np.asarray(b, dtype=a.dtype)  # JSON writes float32 with enough digits
            np.testing.assert_array_equal(a, want)
        elif isinstance(a, dict):
            assert a.keys() == b.keys()
            for key in a:
                same(a[key], b[key])
        elif isinstance(a, list):
            assert len(a) == len(b)
            for x, y in zip(a, b, strict=True):
                same(x, y)
        else:
            assert a == b

    same(ubj, plain)


def _key(text: str) -> bytes:
    return b"i" + bytes([len(text)]) + text.encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[$d#L" + struct.pack(">q", 2**60), "longer than the file"),  # no huge allocation
        (b"[#L" + struct.pack(">q", 2**60), "longer than the file"),
        (b"[" * (MAX_DEPTH + 2), "nesting deeper"),
        (b"{" + _key("a") + b"T" + _key("a") + b"F}", "appears twice"),
        (b"[TF]junk", "bytes after the document"),
        (b"SL" + struct.pack(">q", -5), "negative length"),
        (b"Si\x05ab", "5 bytes wanted"),
        (b"[H", "unexpected marker 'H'"),
        (b"[N]", "unexpected marker 'N'"),
        (b"[$S#i\x01i\x01a", "numeric typed containers"),
        (b"Si\x02\xff\xfe", "not UTF-8"),
        (b"", "1 bytes wanted"),
        (b"[#L" + struct.pack(">q", 6_000_000) + b"Z" * 6_000_000, "more than 5000000 values"),
    ],
)
def test_ubjson_refuses_malformed_input(data, message):
    with pytest.raises(UBJSONError, match=message):
        loads(data)


def test_every_truncation_of_a_model_is_a_clear_error(saved):
    for name in ("binary.ubj", "binary.json"):
        data = saved[name].read_bytes()
        for cut in sorted(set(np.linspace(1, len(data) - 1, 150).astype(int))):
            with pytest.raises(ValueError, match="cannot load the XGBoost model|XGBoost JSON"):
                files.parse_xgboost_bytes(data[:cut], Path(name))


def test_corrupted_files_are_refused_or_load_checked(saved, tmp_path):
    """Random byte flips: each file is refused with a ValueError or, when the flip leaves
    a well-formed model, loads and predicts; never another error or a crash."""
    rng = np.random.RandomState(0)
    model, X = _fit()
    outcomes = {"refused": 0, "loaded": 0}
    for name in ("binary.ubj", "binary.json"):
        data = bytearray(saved[name].read_bytes())
        for _ in range(60):
            broken = bytearray(data)
            for at in rng.randint(0, len(broken), size=rng.randint(1, 4)):
                broken[at] = rng.randint(0, 256)
            path = tmp_path / "broken.model"
            path.write_bytes(bytes(broken))
            try:
                loaded = load_model(path)
            except ValueError:
                outcomes["refused"] += 1
                continue
            outcomes["loaded"] += 1
            assert loaded.predict_proba(X).shape == (len(X), 2)
    # digits changed into other digits: mostly still a well-formed model (or a child index
    # outside its tree, a feature outside the model...), loaded or refused, never a crash
    text = bytearray(saved["binary.json"].read_bytes())
    digits = [i for i, c in enumerate(text) if chr(c).isdigit()]
    for _ in range(60):
        broken = bytearray(text)
        broken[digits[rng.randint(len(digits))]] = ord(str(rng.randint(10)))
        path = tmp_path / "digits.model"
        path.write_bytes(bytes(broken))
        try:
            loaded = load_model(path)
        except ValueError:
            outcomes["refused"] += 1
            continue
        outcomes["loaded"] += 1
        assert loaded.predict_proba(X).shape == (len(X), 2)
    assert outcomes["refused"] > 0 and outcomes["loaded"] > 0


def _hostile(saved, tmp_path, edit, ext="json") -> Path:
    doc = json.loads(saved["binary.json"].read_bytes())
    edit(doc)
    path = tmp_path / f"hostile.{ext}"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["learner"]["gradient_booster"]["model"]["trees"][0][
            "left_children"].__setitem__(0, 10**6), "child outside the tree"),
        (lambda d: d["learner"]["gradient_booster"]["model"]["trees"][0][
            "categories_nodes"].append(0), "differ in length"),
        (lambda d: d["learner"]["gradient_booster"]["model"]["trees"][0][
            "tree_param"].__setitem__("num_nodes", "999999999"), "entries for"),
        (lambda d: d["learner"]["gradient_booster"]["model"]["gbtree_model_param"]
         .__setitem__("num_trees", "7"), "list of 7 trees"),
        (lambda d: d["learner"].__setitem__("injected", {"x": 1}), "does not know"),
        (lambda d: d["learner"]["objective"].__setitem__("name", "reg:squarederror"),
         "not a supported classification objective"),
        (lambda d: d["learner"]["attributes"].__setitem__("best_iteration", "50"),
         "best_iteration' is 50"),
    ],
)
def test_inconsistent_files_never_reach_xgboost(saved, tmp_path, monkeypatch, edit, message):
    calls = []
    monkeypatch.setattr(xgb.XGBClassifier, "load_model", lambda self, f: calls.append(f))
    path = _hostile(saved, tmp_path, edit)
    with pytest.raises(ValueError, match=message) as info:
        load_model(path)
    assert "hostile.json" in str(info.value)
    assert not calls


def test_json_oddities_are_refused(saved, tmp_path, monkeypatch):
    text = saved["binary.json"].read_text()
    cases = {
        "dup.json": (text.replace('{"learner":', '{"version":[1,0,0],"learner":', 1),
                     "appears twice"),
        "nan.json": (text.replace('"split_conditions":[', '"split_conditions":[NaN,', 1),
                     "NaN"),
        "deep.json": ('{"learner":' + "[" * 100_000 + "]" * 100_000 + "}", "malformed JSON"),
        "latin.json": (text, None),
    }
    for name, (body, message) in cases.items():
        path = tmp_path / name
        if message is None:
            path.write_bytes(body.encode("utf-8").replace(b'"learner":{', b'"learner":{"\xff":1,'))
            message = "malformed JSON"
        else:
            path.write_text(body)
        with pytest.raises(ValueError, match=message):
            load_model(path)
    monkeypatch.setattr(files, "MAX_JSON_BYTES", 1000)
    with pytest.raises(ValueError, match=r"more than the 1000 bytes .*save large models as"):
        load_model(saved["binary.json"])
    monkeypatch.setattr(files, "MAX_UBJ_BYTES", 1000)
    with pytest.raises(ValueError, match="more than the 1000 bytes advval reads from a UBJ"):
        load_model(saved["binary.ubj"])


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("xgb_cli")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80),
                          "n": rng.integers(0, 5, 80)})
    frame["y"] = ((frame.a + 0.5 * frame.b) > 0.3).astype(int)
    frame.to_csv(folder / "data.csv", index=False)
    model = xgb.XGBClassifier(n_estimators=15, max_depth=3, n_jobs=1).fit(
        frame[["a", "b", "n"]], frame["y"]
    )
    model.save_model(folder / "model.json")
    model.save_model(folder / "model.ubj")
    (folder / "model.weird").write_bytes((folder / "model.ubj").read_bytes()[:-40])
    return {"data": folder / "data.csv", "json": folder / "model.json",
            "ubj": folder / "model.ubj", "truncated": folder / "model.weird"}


@pytest.mark.parametrize("kind", ["json", "ubj"])
def test_cli_attacks_xgboost_files_with_tree_attack(cli_files, tmp_path, monkeypatch, kind):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["attack", str(cli_files[kind]), str(cli_files["data"]), "--target", "y",
              "--format", "json", "--quiet", "--max-rows", "40", "--max-queries", "20"],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    doc = json.loads(result.stdout)
    assert doc["settings"]["model_format"] == "xgboost"
    assert doc["attacks"][0]["name"] == "TreeAttack"
    assert doc["robust_accuracy"] < doc["clean_accuracy"]


def test_cli_names_a_malformed_file_and_the_missing_extra(cli_files, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [str(cli_files["data"]), "--target", "y", "--quiet"]
    result = CliRunner().invoke(cli, ["attack", str(cli_files["truncated"]), *args])
    assert result.exit_code == ExitCode.USAGE
    assert "model.weird" in result.stderr and "malformed UBJ" in result.stderr
    real = _compat.has_module
    monkeypatch.setattr(_compat, "has_module", lambda name: name != "xgboost" and real(name))
    result = CliRunner().invoke(cli, ["attack", str(cli_files["json"]), *args])
    assert result.exit_code == ExitCode.MISSING_DEPENDENCY
    assert 'pip install "advval[xgboost]"' in result.stderr


FUZZ = """
import sys
from pathlib import Path
import numpy as np
from advval.attacks._loading import load_model
data, rows = Path(sys.argv[1]).read_bytes(), np.load(sys.argv[2])
rng = np.random.RandomState(0)
digits = [i for i, c in enumerate(data) if chr(c).isdigit()]
outcomes = [0, 0]
for _ in range(120):
    broken = bytearray(data)
    for at in rng.choice(digits, size=rng.randint(1, 3)):
        broken[at] = ord(str(rng.randint(10)))
    path = Path(sys.argv[3])
    path.write_bytes(bytes(broken))
    try:
        model = load_model(path)
    except ValueError:
        outcomes[0] += 1
        continue
    model.predict_proba(rows)
    outcomes[1] += 1
print(outcomes)
"""


def test_numbers_changed_in_a_categorical_model_never_crash_the_process(tmp_path):
    """Digits of a categorical model's JSON changed at random (tree ids, child indices,
    category layouts...), loaded and run in a child process: XGBoost segfaulted on one such
    file (a tree id out of place) before the check refused it."""
    import subprocess
    import sys

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": pd.Categorical(rng.randint(0, 8, 300)), "b": rng.randn(300),
                          "c": pd.Categorical(rng.randint(0, 8, 300))})
    y = ((frame["a"].cat.codes.isin([1, 3])) ^ (frame["b"] > 0) | (frame["c"].cat.codes == 2))
    model = xgb.XGBClassifier(n_estimators=3, max_depth=3, enable_categorical=True, n_jobs=1,
                              max_cat_to_onehot=4).fit(frame, y.astype(int))
    model.save_model(tmp_path / "cat.json")
    rows = np.column_stack([rng.randint(-1, 10, 40), rng.randn(40), rng.randint(-1, 10, 40)])
    np.save(tmp_path / "rows.npy", rows.astype(float))
    done = subprocess.run(
        [sys.executable, "-c", FUZZ, str(tmp_path / "cat.json"), str(tmp_path / "rows.npy"),
         str(tmp_path / "broken.json")], capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    refused, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert refused > 0 and loaded > 0


def test_cli_attacks_a_model_with_text_categories(tmp_path, monkeypatch):
    """A CSV's text column becomes the pandas category the model was trained on (its
    stored category order), so XGBoost reads the codes it learned."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=120), "c": rng.choice(["x", "y", "z"], 120)})
    frame["y"] = ((frame.a + (frame.c == "x")) > 0.3).astype(int)
    frame.to_csv("data.csv", index=False)
    model = xgb.XGBClassifier(n_estimators=10, max_depth=3, n_jobs=1, enable_categorical=True)
    model.fit(frame[["a", "c"]].astype({"c": "category"}), frame["y"]).save_model("m.ubj")
    result = CliRunner().invoke(
        cli, ["attack", "m.ubj", "data.csv", "--target", "y", "--format", "json", "--quiet",
              "--max-rows", "40", "--max-queries", "20"], catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    doc = json.loads(result.stdout)
    expected = model.predict(frame[["a", "c"]].astype({"c": "category"}))
    assert doc["clean_accuracy"] == pytest.approx(float(np.mean(expected == frame["y"])), abs=0.1)
    assert doc["attacks"][0]["name"] == "TreeAttack"
    from advval.attacks._loading import model_frame

    loaded = load_model(Path("m.ubj"))
    with pytest.warns(DataWarning, match="'c' has 48 values the model never saw"):
        shown = model_frame(loaded, frame[["c", "a"]].assign(c=frame["c"].replace("z", "w")))
    assert list(shown.columns) == ["a", "c"] and list(shown["c"].cat.categories) == ["x", "y",
                                                                                     "z"]
    assert shown["c"].isna().sum() == 48  # unseen: missing
