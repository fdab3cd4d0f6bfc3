"""``advval attack``: model formats, constraints files, formats, exit codes, one subprocess."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.linear_model import LogisticRegression

import advval
from advval import _compat
from advval.cli import ExitCode, cli

try:  # the LightGBM, scikit-learn and pickle models need no torch; the torch ones skip
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")

ROOT = Path(advval.__file__).resolve().parent.parent
#: few rows and queries: every run stays well under a few seconds
CHEAP = ["--quiet", "--max-rows", "40", "--max-queries", "20"]
NUMERIC = ["a", "b", "n"]


def _data(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "a": rng.normal(size=n),
        "b": rng.normal(size=n),
        "n": rng.integers(0, 5, n),
        "c": rng.choice(["x", "y", "z"], n),
    })
    frame["y"] = ((frame.a + 0.5 * frame.b + (frame.c == "x")) > 0.3).astype(int)
    return frame


if torch is not None:
    class MLP(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(3, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2)
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x)


    def _mlp(frame: pd.DataFrame) -> MLP:
        """A small MLP trained on one thread (the test machines share few cores)."""
        with torch.random.fork_rng():
            torch.manual_seed(0)
            net = MLP()
        x = torch.as_tensor(np.array(frame[NUMERIC], dtype=np.float32))
        target = torch.as_tensor(np.array(frame["y"]))
        optimizer = torch.optim.SGD(net.parameters(), lr=0.2, momentum=0.9)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for _ in range(150):
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(net(x), target).backward()
                optimizer.step()
        finally:
            torch.set_num_threads(threads)
        return net.eval()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """data.csv, and one model file per format, all trained here on that data (the torch
    formats only where torch is installed)."""
    folder = tmp_path_factory.mktemp("attack")
    frame = _data()
    paths = {
        "data": folder / "data.csv",
        "lightgbm": folder / "model.txt",
        "joblib": folder / "logreg.joblib",
        "pickle": folder / "logreg.pkl",
    }
    frame.to_csv(paths["data"], index=False)
    X = frame.drop(columns="y").astype({"c": "category"})
    booster = lgb.LGBMClassifier(
        n_estimators=15, num_leaves=4, min_child_samples=5, n_jobs=1, verbose=-1
    ).fit(X, frame["y"]).booster_
    booster.save_model(paths["lightgbm"])
    if torch is not None:
        paths.update(torchscript=folder / "net.pt", export=folder / "net.pt2")
        net = _mlp(frame)
        example = torch.as_tensor(np.array(frame[NUMERIC], dtype=np.float32))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit's deprecation notices
            torch.jit.trace(net, example[:4]).save(str(paths["torchscript"]))
        program = torch.export.export(
            net, (example[:4],), dynamic_shapes={"x": {0: torch.export.Dim("batch")}}
        )
        torch.export.save(program, str(paths["export"]))
    logreg = LogisticRegression().fit(frame[NUMERIC], frame["y"])
    joblib.dump(logreg, paths["joblib"])
    with open(paths["pickle"], "wb") as handle:
        pickle.dump(logreg, handle)
    return paths


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """A CliRunner whose commands run in an empty temporary directory."""
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _run(runner: CliRunner, *args: object):
    return runner.invoke(cli, ["attack", *map(str, args)], catch_exceptions=False)


def _json(runner: CliRunner, *args: object) -> dict:
    result = _run(runner, *args, "--format", "json", *CHEAP)
    assert result.exit_code == ExitCode.OK, result.output
    return json.loads(result.stdout)


# ------------------------------------------------------------------------- model formats


def test_data_in_another_encoding_and_separator_reads_with_the_csv_options(
    runner, files, tmp_path
):
    frame = _data()
    frame["città"] = "Roma"  # an extra column, left out with --ignore
    path = tmp_path / "dati.csv"
    frame.to_csv(path, index=False, sep=";", encoding="latin-1")
    refused = _run(runner, files["lightgbm"], path, "--target", "y", "--ignore", "città")
    assert refused.exit_code == ExitCode.USAGE
    assert "pass its encoding, e.g. --encoding cp1252 (Windows exports)" in refused.stderr
    doc = _json(runner, files["lightgbm"], path, "--target", "y", "--ignore", "città",
                "--encoding", "latin-1")
    same = _json(runner, files["lightgbm"], files["data"], "--target", "y")
    assert doc["settings"]["data"] == str(path)
    assert {**doc, "settings": None} == {**same, "settings": None}  # the same rows attacked


def test_lightgbm_text_model_with_default_attacks(runner, files):
    result = _run(runner, files["lightgbm"], files["data"], "--target", "y", "--format", "json",
                  "--max-rows", "40", "--max-queries", "20")
    assert result.exit_code == ExitCode.OK, result.output
    doc = json.loads(result.stdout)
    assert doc["kind"] == "robustness" and doc["schema_version"] == 1
    assert [a["name"] for a in doc["attacks"]] == ["TreeAttack", "SquareAttack", "HopSkipJump"]
    assert doc["n_samples"] == 40
    assert doc["clean_accuracy"] >= 0.8
    assert doc["robust_accuracy"] < doc["clean_accuracy"]  # eps 0.3 std flips some rows
    assert {f["name"] for f in doc["features"]} == {"a", "b", "n", "c"}  # model's columns
    settings = doc["settings"]
    assert settings["rows"] == "40 of 80 (seeded sample, --max-rows 40)"
    assert settings["model_format"] == "lightgbm" and settings["eps"] == 0.3
    assert all(a["queries_max"] <= 20 for a in doc["attacks"])
    # progress and the verdict on stderr, never on stdout
    assert "attacking 40 of 80 rows" in result.stderr
    assert "advval: robustness: clean accuracy" in result.stderr
    assert "robust accuracy" in result.stderr and "worst attack" in result.stderr


@needs_torch
def test_torchscript_model_gets_column_names(runner, files):
    doc = _json(runner, files["torchscript"], files["data"], "--target", "y", "--ignore", "c",
                "--attack", "pgd", "--attack", "square")
    assert [a["name"] for a in doc["attacks"]] == ["PGD", "SquareAttack"]
    assert doc["clean_accuracy"] >= 0.8
    assert {f["name"] for f in doc["features"]} == set(NUMERIC)  # not "0", "1", "2"
    assert set(doc["attacks"][0]["feature_frequency"]) == set(NUMERIC)
    assert doc["settings"]["model_format"] == "torchscript"


@needs_torch
def test_torch_export_program_with_default_attacks(runner, files):
    result = _run(runner, files["export"], files["data"], "--target", "y", "--ignore", "c",
                  "--format", "json", "--max-rows", "30", "--max-queries", "20")
    assert result.exit_code == ExitCode.OK, result.output
    doc = json.loads(result.stdout)
    assert [a["name"] for a in doc["attacks"]] == ["PGD", "DeepFool", "SquareAttack"]
    assert doc["settings"]["model_format"] == "torch.export"
    assert "training mode" not in result.stderr  # an exported graph has no mode


@needs_torch
def test_torch_model_with_a_text_column_is_a_usage_error(runner, files):
    result = _run(runner, files["torchscript"], files["data"], "--target", "y", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert "['c']" in result.stderr and "--ignore" in result.stderr


if torch is not None:
    class _Grid(torch.nn.Module):
        """Returns a (N, 2, 2) grid per row: not class scores."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[:, :1].unsqueeze(1).repeat(1, 2, 2)


@needs_torch
def test_a_model_without_class_scores_is_refused_naming_it(runner, files):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's deprecation notices
        torch.jit.trace(_Grid(), torch.zeros(2, 3)).save("grid.pt")
    result = _run(runner, "grid.pt", files["data"], "--target", "y", "--ignore", "c", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        "Error: MODEL 'grid.pt' must return class scores of shape (N, K) with K >= 2, or one "
        f"class label per row; on 40 rows of DATA file '{files['data']}' it returned shape "
        "(40, 2, 2)\n"
    )


def test_a_library_error_about_the_inputs_names_them(runner, files, monkeypatch):
    import advval.attacks

    def refuse(*args, **kwargs):
        raise ValueError("min() arg is an empty sequence")

    monkeypatch.setattr(advval.attacks, "robustness_report", refuse)
    result = _run(runner, files["lightgbm"], files["data"], "--target", "y", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        f"Error: attacking MODEL '{files['lightgbm']}' on DATA file '{files['data']}': min() "
        "arg is an empty sequence\n"
    )


@needs_torch
def test_torch_missing_exits_3_with_the_fix(runner, files, monkeypatch):
    real = _compat.has_module
    monkeypatch.setattr(_compat, "has_module", lambda name: name != "torch" and real(name))
    result = _run(runner, files["torchscript"], files["data"], "--target", "y", *CHEAP)
    assert result.exit_code == ExitCode.MISSING_DEPENDENCY
    assert 'pip install "advval[torch]"' in result.stderr
    assert "net.pt" in result.stderr


@pytest.mark.parametrize("kind", ["joblib", "pickle"])
def test_pickles_are_refused_without_trust_model(runner, files, kind):
    result = _run(runner, files[kind], files["data"], "--target", "y", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert "--trust-model" in result.stderr and "runs any code" in result.stderr
    assert files[kind].name in result.stderr


@pytest.mark.parametrize("kind", ["joblib", "pickle"])
def test_pickles_load_with_trust_model(runner, files, kind):
    doc = _json(runner, files[kind], files["data"], "--target", "y", "--trust-model",
                "--attack", "square")
    assert [a["name"] for a in doc["attacks"]] == ["SquareAttack"]
    assert {f["name"] for f in doc["features"]} <= set(NUMERIC)  # feature_names_in_ only
    assert doc["settings"]["model_format"] == "pickle"


def test_unknown_model_format_names_the_file_and_the_formats(runner, files):
    Path("model.bin").write_bytes(b"\x00\x01not a model")
    result = _run(runner, "model.bin", files["data"], "--target", "y", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert "model.bin" in result.stderr
    assert "LightGBM text model" in result.stderr and "TorchScript" in result.stderr


@needs_torch
def test_torch_save_pickle_is_not_torchscript(runner, files):
    torch.save({"weights": torch.zeros(2)}, "weights.pt")
    result = _run(runner, "weights.pt", files["data"], "--target", "y", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert "weights.pt" in result.stderr and "torch.jit.script" in result.stderr


def test_regression_booster_is_refused(runner, files):
    frame = _data()
    booster = lgb.train({"objective": "regression", "verbose": -1, "num_threads": 1},
                        lgb.Dataset(frame[NUMERIC], frame["a"]), num_boost_round=2)
    booster.save_model("reg.txt")
    result = _run(runner, "reg.txt", files["data"], "--target", "y", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert "'regression'" in result.stderr and "classifier" in result.stderr


# ------------------------------------------------------------------- data and labels


def test_missing_target_column_exits_2(runner, files):
    result = _run(runner, files["lightgbm"], files["data"], "--target", "label", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert "--target column 'label'" in result.stderr and "data.csv" in result.stderr


def test_target_is_required(runner, files):
    result = _run(runner, files["lightgbm"], files["data"])
    assert result.exit_code == ExitCode.USAGE
    assert "--target" in result.stderr


def test_missing_model_columns_are_named(runner, files):
    _data().drop(columns="b").to_csv("no_b.csv", index=False)
    result = _run(runner, files["lightgbm"], "no_b.csv", "--target", "y", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert "['b']" in result.stderr and "no_b.csv" in result.stderr


def test_labels_outside_the_models_classes_are_named(runner, files):
    frame = _data()
    frame["y"] = np.where(frame["y"] == 1, "yes", "no")
    frame.to_csv("words.csv", index=False)
    result = _run(runner, files["lightgbm"], "words.csv", "--target", "y", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert "'no'" in result.stderr and "0..1" in result.stderr


def test_unseen_category_is_warned_about(runner, files):
    frame = _data()
    frame.loc[:4, "c"] = "<new>"
    frame.to_csv("new_category.csv", index=False)
    result = _run(runner, files["lightgbm"], "new_category.csv", "--target", "y",
                  "--attack", "tree", "--format", "json", *CHEAP)
    assert result.exit_code == ExitCode.OK, result.output
    assert "advval: warning: column 'c' has 5 values the model never saw" in result.stderr


def test_gradient_attack_needs_a_torch_model(runner, files):
    result = _run(runner, files["lightgbm"], files["data"], "--target", "y", "--attack", "pgd",
                  *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert "--attack pgd" in result.stderr and "torch" in result.stderr


def test_norm_an_attack_does_not_support(runner, files):
    result = _run(runner, files["lightgbm"], files["data"], "--target", "y",
                  "--attack", "square", "--norm", "0", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert "--attack square does not support --norm 0" in result.stderr


def test_l0_defaults_keep_the_attacks_that_support_it(runner, files):
    doc = _json(runner, files["lightgbm"], files["data"], "--target", "y", "--norm", "0")
    assert [a["name"] for a in doc["attacks"]] == ["TreeAttack"]
    assert doc["attacks"][0]["norm"] == "0" and doc["attacks"][0]["eps"] == 1.0


# ------------------------------------------------------------------- constraints files


def test_yaml_constraints_are_respected(runner, files):
    Path("rules.yaml").write_text(
        "immutable: [a]\nbounds:\n  b: [-0.5, null]\nscale: iqr\n", encoding="utf-8"
    )
    doc = _json(runner, files["lightgbm"], files["data"], "--target", "y",
                "--constraints", "rules.yaml", "--attack", "tree", "--attack", "square",
                "--eps", "1.0")
    used = {f["name"]: f["count"] for f in doc["features"]}
    assert used["a"] == 0  # immutable
    assert sum(used.values()) > 0
    assert doc["settings"]["constraints"] == "rules.yaml"


def test_json_constraints_with_categorical_values(runner, files):
    rules = {"categorical": {"c": ["x", "y", "z"]}, "integer": ["n"],
             "monotone": {"b": "increase"}, "categorical_distance": 0.5}
    Path("rules.json").write_text(json.dumps(rules), encoding="utf-8")
    doc = _json(runner, files["lightgbm"], files["data"], "--target", "y",
                "--constraints", "rules.json", "--attack", "tree")
    assert doc["kind"] == "robustness"
    rules["categorical"] = {"c": ["x", "y"]}  # DATA has 'z' too
    Path("rules.json").write_text(json.dumps(rules), encoding="utf-8")
    result = _run(runner, files["lightgbm"], files["data"], "--target", "y",
                  "--constraints", "rules.json", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert "rules.json" in result.stderr and "'z'" in result.stderr


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("immutable: [a]\nfrozen: [b]\n", ["unknown key", "'frozen'"]),
        ("immutable: [a, zz]\n", ["'immutable'", "['zz']"]),
        ("bounds:\n  nope: [0, 1]\n", ["'bounds'", "['nope']"]),
        ("immutable: [y]\n", ["['y']", "--target"]),
        ("scale: mad\n", ["'scale'", "iqr"]),
        ("bounds:\n  a: [0]\n", ["'bounds'", "[lower, upper]"]),
        ("- a\n- b\n", ["must hold a mapping"]),
        ("immutable: [a\n", ["cannot read the constraints file"]),
        ("bounds:\n  a: [.nan, 1]\n", ["'bounds'", "[lower, upper]"]),
        ("bounds:\n  a: [" + "9" * 400 + ", null]\n", ["'bounds'", "[lower, upper]"]),
        ("categorical_distance: .inf\n", ["'categorical_distance'", "a finite number >= 0"]),
        ("monotone:\n  c: increase\n",
         ["'monotone' names categorical column(s) ['c']; a category has no direction"]),
    ],
)
def test_bad_constraints_exit_2_naming_what_is_wrong(runner, files, content, words):
    Path("rules.yml").write_text(content, encoding="utf-8")
    result = _run(runner, files["lightgbm"], files["data"], "--target", "y",
                  "--constraints", "rules.yml", *CHEAP)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "rules.yml" in result.stderr
    for word in words:
        assert word in result.stderr


def test_outputs_never_replace_the_model_the_data_or_the_constraints(runner, files):
    Path("rules.yaml").write_text("immutable: [a]\n", encoding="utf-8")
    before = {k: p.read_bytes() for k, p in files.items()}
    cases = [("--output", files["lightgbm"], "MODEL"), ("--json", files["data"], "DATA"),
             ("--markdown", Path("rules.yaml"), "--constraints")]
    for option, path, role in cases:
        result = _run(runner, files["lightgbm"], files["data"], "--target", "y",
                      "--constraints", "rules.yaml", option, path, *CHEAP)
        assert result.exit_code == ExitCode.USAGE, result.output
        assert result.stderr == (
            f"Error: {option} '{path}' is the {role} file '{path}': an output never replaces "
            "an input; choose another path\n"
        )
    assert {k: p.read_bytes() for k, p in files.items()} == before
    assert Path("rules.yaml").read_text(encoding="utf-8") == "immutable: [a]\n"


def test_every_format_in_one_run(runner, files):
    result = _run(runner, files["lightgbm"], files["data"], "--target", "y", "--attack", "tree",
                  "--html", "r.html", "--json", "r.json", "--markdown", "r.md",
                  "--fail-under", "1.0", *CHEAP)
    assert result.exit_code == ExitCode.DRIFT, result.output
    assert result.stdout == "" and not Path("advval_attack_report.html").exists()
    doc = json.loads(Path("r.json").read_bytes())
    assert doc["kind"] == "robustness" and doc["robust_accuracy"] < 1.0
    assert Path("r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert Path("r.md").read_text(encoding="utf-8").startswith("## advval robustness")
    assert result.stderr.splitlines()[1:] == [
        "advval: html report written to r.html",
        "advval: json report written to r.json",
        "advval: markdown report written to r.md",
    ]
    alone = _run(runner, files["lightgbm"], files["data"], "--target", "y", "--attack", "tree",
                 "--format", "json", *CHEAP)
    assert alone.stdout_bytes == Path("r.json").read_bytes()


def test_n_jobs_minus_one_uses_every_core(runner, files):
    doc = _json(runner, files["lightgbm"], files["data"], "--target", "y", "--attack", "tree",
                "--n-jobs", "-1")
    assert doc["kind"] == "robustness"


def test_constraints_file_suffix_must_be_json_or_yaml(runner, files):
    Path("rules.txt").write_text("immutable: [a]\n", encoding="utf-8")
    result = _run(runner, files["lightgbm"], files["data"], "--target", "y",
                  "--constraints", "rules.txt", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert "rules.txt" in result.stderr and "YAML" in result.stderr


# ------------------------------------------------------------------- gate, formats, curve


def test_fail_under_gates_on_robust_accuracy(runner, files):
    args = [files["lightgbm"], files["data"], "--target", "y", "--attack", "tree",
            "--format", "json", *CHEAP]
    passed = _run(runner, *args, "--fail-under", "0.0")
    assert passed.exit_code == ExitCode.OK, passed.output
    robust = json.loads(passed.stdout)["robust_accuracy"]
    assert _run(runner, *args, "--fail-under", robust).exit_code == ExitCode.OK
    failed = _run(runner, *args, "--fail-under", min(robust + 0.01, 1.0))
    assert failed.exit_code == ExitCode.DRIFT
    assert failed.stdout_bytes == passed.stdout_bytes  # the report is written either way


def test_json_is_byte_identical_for_the_same_seed(runner, files):
    args = [files["lightgbm"], files["data"], "--target", "y", "--attack", "tree",
            "--attack", "square", "--format", "json", *CHEAP]
    first, second = _run(runner, *args), _run(runner, *args)
    assert first.exit_code == ExitCode.OK, first.output
    assert first.stdout_bytes == second.stdout_bytes


def test_curve_adds_eps_points(runner, files):
    doc = _json(runner, files["lightgbm"], files["data"], "--target", "y", "--attack", "tree",
                "--curve", "0.1,1.0")
    assert [p["eps"] for p in doc["curve"]] == [0.1, 0.3, 1.0]
    accuracies = [p["robust_accuracy"] for p in doc["curve"]]
    assert accuracies == sorted(accuracies, reverse=True)
    assert doc["settings"]["curve"] == [0.1, 0.3, 1.0]


def test_bad_curve_names_the_option(runner, files):
    result = _run(runner, files["lightgbm"], files["data"], "--target", "y",
                  "--curve", "0.1,big", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert "--curve" in result.stderr


def test_html_goes_to_the_default_file(runner, files):
    result = _run(runner, files["lightgbm"], files["data"], "--target", "y", "--attack", "tree",
                  "--max-rows", "40")
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout == ""
    page = Path("advval_attack_report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "robustness report" in page
    assert "html report written to advval_attack_report.html" in result.stderr


@pytest.mark.parametrize(("output", "start"), [("r.md", "## advval robustness"), ("r.json", "{")])
def test_output_format_follows_the_suffix(runner, files, output, start):
    result = _run(runner, files["lightgbm"], files["data"], "--target", "y", "--attack", "tree",
                  "--output", output, *CHEAP)
    assert result.exit_code == ExitCode.OK, result.output
    assert Path(output).read_text(encoding="utf-8").startswith(start)


def test_markdown_to_stdout(runner, files):
    result = _run(runner, files["lightgbm"], files["data"], "--target", "y", "--attack", "tree",
                  "--format", "markdown", *CHEAP)
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout.startswith("## advval robustness: robust accuracy")


def test_help_explains_trust_model_and_exit_codes(runner):
    result = runner.invoke(cli, ["attack", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--trust-model" in text and "runs any code" in text
    for option in ("--constraints", "--attack", "--eps", "--norm", "--curve", "--max-queries",
                   "--max-rows", "--fail-under", "--format", "--output", "--seed", "Exit codes:"):
        assert option in text
    assert "attack" in runner.invoke(cli, ["--help"]).output


def test_python_dash_m_advval_attack_subprocess(files, tmp_path):
    path = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    done = subprocess.run(
        [sys.executable, "-m", "advval", "attack", str(files["lightgbm"]), str(files["data"]),
         "--target", "y", "--attack", "tree", "--format", "json", "--fail-under", "1.0", *CHEAP],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1"},
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == ExitCode.DRIFT, done.stderr  # some rows flip: below 1.0
    doc = json.loads(done.stdout)
    assert doc["kind"] == "robustness" and doc["robust_accuracy"] < 1.0
    assert "advval: robustness: clean accuracy" in done.stderr


# ------------------------------------------------------------------- the loader itself


def test_load_model_refuses_pickles_unless_trusted(files):
    from advval.attacks import load_model

    with pytest.raises(ValueError, match=r"refusing to load '.*logreg\.pkl': unpickling runs"):
        load_model(files["pickle"])
    assert isinstance(load_model(files["pickle"], trust=True), LogisticRegression)
    with pytest.raises(ValueError, match=r"unknown format; expected a LightGBM text model"):
        load_model(files["data"])


def test_unnamed_booster_reads_columns_by_position(files, tmp_path):
    from advval.attacks import load_model
    from advval.attacks._loading import model_frame

    frame = _data()
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1},
                        lgb.Dataset(frame[NUMERIC].to_numpy(), frame["y"]), num_boost_round=2)
    booster.save_model(tmp_path / "unnamed.txt")
    loaded = load_model(tmp_path / "unnamed.txt")
    X = model_frame(loaded, frame[NUMERIC])
    assert list(X.columns) == ["Column_0", "Column_1", "Column_2"]
    np.testing.assert_array_equal(X.to_numpy(), frame[NUMERIC].to_numpy())
    with pytest.raises(ValueError, match=r"needs 3 columns and 3 are missing"):
        model_frame(loaded, frame[["a", "b"]])
    original = frame[NUMERIC].copy()
    model_frame(loaded, frame[NUMERIC])
    pd.testing.assert_frame_equal(frame[NUMERIC], original)  # input untouched


def test_infinite_values_in_data_are_refused_naming_the_file_and_column(runner, files, tmp_path):
    frame = pd.read_csv(files["data"])
    frame.loc[::5, "a"] = np.inf
    frame.to_csv(tmp_path / "inf.csv", index=False)
    result = _run(runner, files["lightgbm"], tmp_path / "inf.csv", "--target", "y", *CHEAP)
    assert result.exit_code == ExitCode.USAGE
    assert (
        f"Error: advval attack: DATA file '{tmp_path / 'inf.csv'}' has infinite values in "
        "column(s) ['a']"
    ) in result.stderr
