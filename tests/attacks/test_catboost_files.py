"""CatBoost model files: recognised by content, checked before CatBoost loads them, clear
errors for truncated, corrupted and hostile files, and the CLI attack on them."""

from __future__ import annotations

import json

import numpy as np
import pytest

catboost = pytest.importorskip("catboost")

from advval import _compat  # noqa: E402
from advval.attacks._loading import load_model, model_format  # noqa: E402
from advval.attacks.trees._ensemble import read_ensemble  # noqa: E402


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    X[rng.rand(300) < 0.1, 1] = np.nan
    y = (X[:, 0] + np.nan_to_num(X[:, 1]) > 0).astype(int)
    model = catboost.CatBoostClassifier(iterations=10, depth=3, verbose=0, thread_count=1,
                                        random_seed=0, allow_writing_files=False).fit(X, y)
    folder = tmp_path_factory.mktemp("catboost")
    binary, text = folder / "model.bin", folder / "model.txt"  # suffixes say nothing
    model.save_model(str(binary))
    model.save_model(str(text), format="json")
    return model, X, binary, text


def test_formats_are_recognised_by_content(saved):
    _, _, binary, text = saved
    assert model_format(binary) == "catboost"
    assert model_format(text) == "catboost"


@pytest.mark.parametrize("which", ["binary", "json"])
def test_loaded_models_predict_as_the_original(saved, which):
    model, X, binary, text = saved
    loaded = load_model(binary if which == "binary" else text)
    assert type(loaded).__name__ == "CatBoostClassifier"
    raw = model.predict(X, prediction_type="RawFormulaVal")
    np.testing.assert_allclose(loaded.predict(X, prediction_type="RawFormulaVal"), raw,
                               atol=1e-12)
    np.testing.assert_allclose(read_ensemble(loaded).raw(X)[:, 0], raw, atol=1e-9)


@pytest.mark.parametrize("cut", [9, 100, 0.5, -1])
def test_truncated_binary_is_a_clear_error(saved, tmp_path, cut):
    _, _, binary, _ = saved
    data = binary.read_bytes()
    end = cut if isinstance(cut, int) and cut > 0 else int(len(data) * cut) if cut > 0 else -1
    path = tmp_path / "cut.cbm"
    path.write_bytes(data[:end])
    with pytest.raises(ValueError, match="cannot load the CatBoost model"):
        load_model(path)


def test_corrupted_binary_is_a_clear_error_never_a_crash(saved, tmp_path):
    _, X, binary, _ = saved
    data = bytearray(binary.read_bytes())
    rng = np.random.RandomState(0)
    outcomes = set()
    for trial in range(6):
        broken = bytearray(data)
        for at in rng.randint(8, len(data), size=4):
            broken[at] = rng.randint(256)
        path = tmp_path / f"broken{trial}.cbm"
        path.write_bytes(bytes(broken))
        try:
            loaded = load_model(path)
        except ValueError as exc:
            outcomes.add("error")
            assert str(path) in str(exc)
        else:  # the bytes changed nothing that matters: the model still works exactly
            outcomes.add("loaded")
            np.testing.assert_allclose(
                read_ensemble(loaded).raw(X)[:, 0],
                loaded.predict(X, prediction_type="RawFormulaVal"), atol=1e-9,
            )
    assert "error" in outcomes


def test_oversized_header_is_refused_before_loading(saved, tmp_path):
    _, _, binary, _ = saved
    data = bytearray(binary.read_bytes())
    data[4:8] = (2**32 - 1).to_bytes(4, "little")
    path = tmp_path / "huge.cbm"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="declares a 4294967295-byte model"):
        load_model(path)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["oblivious_trees"][0]["splits"].extend(
            d["oblivious_trees"][0]["splits"] * 10), "depth"),
        (lambda d: d["oblivious_trees"][0]["leaf_values"].append(1.0), "leaf_values"),
        (lambda d: d["oblivious_trees"][0]["splits"][0].update(float_feature_index=-1),
         "float_feature_index"),
        (lambda d: d["model_info"]["params"]["loss_function"].update(type="RMSE"),
         "not a classification loss"),
    ],
)
def test_hostile_json_is_refused(saved, tmp_path, edit, message):
    _, _, _, text = saved
    doc = json.loads(text.read_text())
    edit(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=message):
        load_model(path)


def test_broken_json_text_is_a_clear_error(saved, tmp_path):
    _, _, _, text = saved
    data = text.read_bytes()
    for name, body in [
        ("cut.json", data[: len(data) // 2]),
        ("nan.json", data.replace(b"[", b"[NaN, ", 1)),
        ("deep.json", b'{"features_info": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("latin.json", b'{"features_info": "\xff"}'),
    ]:
        path = tmp_path / name
        path.write_bytes(body)
        assert body != data
        with pytest.raises(ValueError, match="cannot load the CatBoost model"):
            load_model(path)


def test_missing_catboost_gives_the_pip_fix(saved, monkeypatch):
    _, _, binary, _ = saved
    real = _compat.has_module
    monkeypatch.setattr(_compat, "has_module", lambda name: name != "catboost" and real(name))
    with pytest.raises(ImportError, match=r'pip install "advval\[catboost\]"'):
        load_model(binary)


def test_cli_attack_reads_the_trees_of_a_cbm_file(saved, tmp_path):
    import pandas as pd
    from click.testing import CliRunner

    from advval.cli import cli

    model, X, binary, _ = saved
    data = pd.DataFrame(X[:20], columns=["0", "1", "2"])
    data["label"] = model.predict(X[:20])
    csv = tmp_path / "rows.csv"
    data.to_csv(csv, index=False)
    result = CliRunner().invoke(
        cli, ["attack", str(binary), str(csv), "--target", "label", "--attack", "tree",
              "--format", "json", "--quiet", "--eps", "2"], catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (tree,) = report["attacks"]
    assert tree["attack"] == "TreeAttack" and tree["white_box"]
    assert tree["n_attacked"] == 20 and tree["n_success"] >= 15


def test_cli_attack_on_a_json_model_with_categorical_columns(tmp_path):
    import pandas as pd
    from click.testing import CliRunner

    from advval.cli import cli

    rng = np.random.RandomState(0)
    n = 400
    frame = pd.DataFrame({
        "a": rng.normal(size=n),
        "c": rng.choice(["x", "y", "z"], n),
        "k": rng.choice([3, 7, 11], n),
    })
    y = ((frame.a + 0.8 * (frame.c == "y") - 0.8 * (frame.k == 7)) > 0).astype(int)
    model = catboost.CatBoostClassifier(
        iterations=20, depth=3, verbose=0, thread_count=1, random_seed=0,
        one_hot_max_size=4, cat_features=["c", "k"], allow_writing_files=False,
    ).fit(frame, y)
    path = tmp_path / "model.cb"
    model.save_model(str(path), format="json")
    rows = frame.iloc[:30].copy()
    rows["label"] = model.predict(rows)
    csv = tmp_path / "rows.csv"
    rows[["k", "label", "c", "a"]].to_csv(csv, index=False)  # another column order
    result = CliRunner().invoke(
        cli, ["attack", str(path), str(csv), "--target", "label", "--attack", "tree",
              "--format", "json", "--quiet", "--eps", "5"], catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    (tree,) = json.loads(result.stdout)["attacks"]
    assert tree["attack"] == "TreeAttack" and tree["n_attacked"] == 30
    assert tree["n_success"] >= 25


def test_the_check_process_cannot_allocate_without_bound():
    import subprocess
    import sys

    from advval.attacks._model_files._catboost import _memory_limit

    cap = _memory_limit(1 << 30)
    if cap is None:
        pytest.skip("no address-space limits on this platform")
    grab = "b = bytearray(4 << 30)"
    done = subprocess.run([sys.executable, "-c", grab], capture_output=True, preexec_fn=cap,
                          check=False)
    assert done.returncode != 0 and b"MemoryError" in done.stderr


def test_ctr_model_files_load_only_with_trust(tmp_path):
    import pandas as pd

    rng = np.random.RandomState(0)
    n = 300
    frame = pd.DataFrame({"a": rng.normal(size=n), "k": rng.choice(list("abcdefgh"), n)})
    y = ((frame.a > 0) ^ frame.k.isin(list("abc"))).astype(int)
    model = catboost.CatBoostClassifier(iterations=5, depth=2, verbose=0, thread_count=1,
                                        random_seed=0, cat_features=["k"],
                                        allow_writing_files=False).fit(frame, y)
    path = tmp_path / "ctr.cbm"
    model.save_model(str(path))
    with pytest.raises(ValueError, match=r"without trust.*CTR target statistics.*trust-model"):
        load_model(path)
    loaded = load_model(path, trust=True)  # for black-box attacks
    np.testing.assert_allclose(loaded.predict_proba(frame), model.predict_proba(frame))


@pytest.mark.parametrize("loss", ["MultiClass", "MultiClassOneVsAll", "Logloss"])
@pytest.mark.parametrize("fmt", ["cbm", "json"])
def test_rebuilt_models_keep_classes_and_probabilities(tmp_path, loss, fmt):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(300, 3))
    y = np.where(X[:, 0] > 0.4, "high", np.where(X[:, 0] < -0.4, "low", "mid"))
    if loss == "Logloss":
        y = np.where(X[:, 0] > 0, "yes", "no")
    model = catboost.CatBoostClassifier(iterations=8, depth=3, verbose=0, thread_count=1,
                                        random_seed=0, loss_function=loss,
                                        allow_writing_files=False).fit(X, y)
    path = tmp_path / f"model.{fmt}"
    model.save_model(str(path), format="cbm" if fmt == "cbm" else "json")
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-12)
    np.testing.assert_allclose(read_ensemble(loaded).predict_proba(X), model.predict_proba(X),
                               atol=1e-12)


def test_oversized_json_is_refused_before_parsing(saved, monkeypatch):
    from advval.attacks._model_files import _catboost as files

    _, _, binary, text = saved
    monkeypatch.setattr(files, "MAX_JSON_BYTES", 1000)
    for path in (text, binary):  # a .cbm file's JSON conversion is held to the same cap
        with pytest.raises(ValueError, match="bytes of JSON, more than the 1000 read"):
            load_model(path)


def test_pickled_catboost_models_need_trust(saved, tmp_path):
    import pickle

    model, X, _, _ = saved
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    with pytest.raises(ValueError, match="refusing to load .*unpickling runs any code"):
        load_model(path)
    loaded = load_model(path, trust=True)
    np.testing.assert_allclose(read_ensemble(loaded).raw(X)[:, 0],
                               model.predict(X, prediction_type="RawFormulaVal"), atol=1e-9)
