"""``advval image evaluate``: .npz layouts and dtypes, normalization, formats, pictures,
exit codes, bad-input messages, one real subprocess."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import advval
from advval import _compat
from advval.cli import ExitCode, cli

torch = pytest.importorskip("torch")

ROOT = Path(advval.__file__).resolve().parent.parent
#: the model was trained on (x - MEAN) / STD; the saved TorchScript module does not normalize
MEAN, STD = 0.5, 0.1
#: few images and steps: each run takes well under a second
CHEAP = ["--quiet", "--attack", "pgd", "--steps", "5", "--max-images", "24", "--examples", "3"]


def _cnn() -> torch.nn.Module:
    generator = torch.Generator().manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(8 * 16, 10),
    )
    with torch.no_grad():
        for param in model.parameters():
            fan_in = param.shape[1:].numel() if param.dim() > 1 else param.numel()
            bound = 1 / math.sqrt(fan_in)
            param.uniform_(-bound, bound, generator=generator)
    return model


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A TorchScript CNN trained on normalized digits, and the test digits in several files."""
    from sklearn.datasets import load_digits

    folder = tmp_path_factory.mktemp("image")
    digits = load_digits()
    order = np.random.default_rng(0).permutation(len(digits.target))
    images = (digits.images[order] / 16.0).astype(np.float32)  # (N, 8, 8) in [0, 1]
    labels = digits.target[order]
    X = torch.as_tensor(images[:1400, None])
    y = torch.as_tensor(labels[:1400])
    model = _cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(60):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model((X - MEAN) / STD), y).backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    model.eval()
    test_x, test_y = images[-100:], labels[-100:]
    paths = {
        "model": folder / "net.pt",
        "nchw": folder / "nchw.npz",
        "nhwc_uint8": folder / "nhwc_uint8.npz",
        "nhw": folder / "nhw.npz",
        "named": folder / "named.npz",
        "pickle": folder / "net.pkl",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's deprecation notices
        torch.jit.trace(model, X[:4]).save(str(paths["model"]))
    np.savez(paths["nchw"], x=test_x[:, None], y=test_y)
    np.savez(paths["nhwc_uint8"], x=np.round(test_x[..., None] * 255).astype(np.uint8),
             y=test_y)
    np.savez(paths["nhw"], images=test_x, labels=test_y.astype(np.float64))
    np.savez(paths["named"], pixels=test_x[:, None], target=test_y)
    paths["pickle"].write_bytes(b"not really a pickle")
    return paths


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """A CliRunner whose commands run in an empty temporary directory."""
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _run(runner: CliRunner, *args: object):
    return runner.invoke(cli, ["image", "evaluate", *map(str, args)], catch_exceptions=False)


def _json(runner: CliRunner, *args: object) -> dict:
    result = _run(runner, *args, "--format", "json")
    assert result.exit_code == ExitCode.OK, result.output
    return json.loads(result.stdout)


NORMALIZE = ["--mean", MEAN, "--std", STD]


# ------------------------------------------------------------------ what a run reports


def test_json_report_with_normalization_and_an_eps_curve(runner, files):
    doc = _json(runner, files["model"], files["nchw"], *NORMALIZE, *CHEAP,
                "--eps", "0.2", "--eps", "0.05", "--eps", "0.1")
    assert doc["kind"] == "image_robustness"
    assert doc["n_samples"] == 24 and doc["clean_accuracy"] >= 0.9
    assert [p["eps"] for p in doc["curve"]] == [0.05, 0.1, 0.2]
    accuracies = [p["robust_accuracy"] for p in doc["curve"]]
    assert accuracies == sorted(accuracies, reverse=True)
    assert accuracies[-1] < doc["clean_accuracy"]  # eps 0.2 on 8x8 digits breaks the model
    assert [a["name"] for a in doc["attacks"]] == ["PGD"]
    assert doc["attacks"][0]["settings"]["steps"] == 5
    settings = doc["settings"]
    assert settings["normalize"] == {"mean": [MEAN], "std": [STD]}
    assert settings["layout"] == "nchw" and settings["dtype"] == "float32"
    assert settings["images"] == "24 of 100 (seeded sample, --max-images 24)"
    assert settings["model_format"] == "torchscript" and settings["seed"] == 0


def test_without_mean_and_std_the_model_sees_raw_pixels(runner, files):
    raw = _json(runner, files["model"], files["nchw"], *CHEAP, "--eps", "0.01")
    normalized = _json(runner, files["model"], files["nchw"], *CHEAP, "--eps", "0.01",
                       *NORMALIZE)
    assert normalized["clean_accuracy"] > raw["clean_accuracy"] + 0.2  # planted: trained so


def test_uint8_nhwc_and_nhw_files_give_the_same_report_as_nchw_floats(runner, files):
    args = [*NORMALIZE, *CHEAP, "--eps", "0.1"]
    base = _json(runner, files["model"], files["nchw"], *args)
    uint8 = _json(runner, files["model"], files["nhwc_uint8"], *args)
    nhw = _json(runner, files["model"], files["nhw"], *args)
    assert uint8["settings"]["layout"] == "nhwc" and uint8["settings"]["scaling"] == "uint8 / 255"
    assert nhw["settings"]["layout"] == "nhw" and nhw["settings"]["x_key"] == "images"
    assert nhw["clean_accuracy"] == base["clean_accuracy"]
    assert nhw["robust_accuracy"] == base["robust_accuracy"]
    assert abs(uint8["clean_accuracy"] - base["clean_accuracy"]) <= 0.05  # 8-bit rounding


def test_key_options_name_the_arrays(runner, files):
    doc = _json(runner, files["model"], files["named"], "--x-key", "pixels", "--y-key",
                "target", *NORMALIZE, *CHEAP)
    assert doc["settings"]["x_key"] == "pixels" and doc["settings"]["y_key"] == "target"


def test_json_is_byte_identical_for_the_same_seed(runner, files):
    args = [files["model"], files["nchw"], *NORMALIZE, "--quiet", "--attack", "square",
            "--steps", "20", "--max-images", "16", "--eps", "0.1", "--format", "json"]
    first, second = _run(runner, *args), _run(runner, *args)
    assert first.exit_code == ExitCode.OK, first.output
    assert first.stdout_bytes == second.stdout_bytes
    other = _run(runner, *args[:-2], "--seed", "1", "--format", "json")
    assert json.loads(other.stdout)["settings"]["seed"] == 1


def test_fail_under_gates_on_robust_accuracy(runner, files):
    args = [files["model"], files["nchw"], *NORMALIZE, *CHEAP, "--eps", "0.1", "--format", "json"]
    passed = _run(runner, *args, "--fail-under", "0.0")
    assert passed.exit_code == ExitCode.OK, passed.output
    robust = json.loads(passed.stdout)["robust_accuracy"]
    assert _run(runner, *args, "--fail-under", robust).exit_code == ExitCode.OK
    failed = _run(runner, *args, "--fail-under", min(robust + 0.01, 1.0))
    assert failed.exit_code == ExitCode.DRIFT
    assert failed.stdout_bytes == passed.stdout_bytes  # the report is written either way


def test_html_goes_to_the_default_file_with_pictures(runner, files):
    result = _run(runner, files["model"], files["nchw"], *NORMALIZE, "--attack", "pgd",
                  "--steps", "5", "--max-images", "24", "--examples", "3", "--eps", "0.2",
                  "--png-dir", "pictures")
    assert result.exit_code == ExitCode.OK, result.output
    page = Path("advval_image_report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "image robustness report" in page
    assert page.count('src="data:image/png;base64,') == 3
    assert "html report written to advval_image_report.html" in result.stderr
    assert "advval: image robustness: clean accuracy" in result.stderr
    Image = pytest.importorskip("PIL.Image")
    with Image.open("pictures/triplets.png") as picture:
        assert picture.mode == "L"
        assert picture.size == (3 * 64 + 2 * 4, 3 * 64 + 2 * 4)  # 3 examples, 8x8 -> 64x64
    svg = Path("pictures/curve.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert "pixel units" in svg
    assert "picture written to pictures/triplets.png" in result.stderr


@pytest.mark.parametrize(("output", "start"),
                         [("r.md", "## advval image robustness"), ("r.json", "{")])
def test_output_format_follows_the_suffix(runner, files, output, start):
    result = _run(runner, files["model"], files["nchw"], *CHEAP, "--output", output)
    assert result.exit_code == ExitCode.OK, result.output
    assert Path(output).read_text(encoding="utf-8").startswith(start)


def test_help_lists_the_options_and_exit_codes(runner):
    result = runner.invoke(cli, ["image", "evaluate", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for option in ("--x-key", "--y-key", "--layout", "--bounds", "--mean", "--std", "--attack",
                   "--eps", "--norm", "--steps", "--max-images", "--png-dir", "--fail-under",
                   "--format", "--output", "--seed", "--trust-model", "Exit codes:"):
        assert option in text
    assert "image" in runner.invoke(cli, ["--help"]).output


# ------------------------------------------------------------------ bad input: exit 2 or 3


def _npz(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("arrays", "options", "words"),
    [
        ({"z": np.zeros((2, 1, 8, 8))}, [], ["none of the arrays ['x', 'images']", "['z']",
                                             "--x-key"]),
        ({"x": np.zeros((2, 1, 8, 8)), "y": np.zeros(2, int)}, ["--x-key", "img"],
         ["--x-key 'img' is not an array", "['x', 'y']"]),
        ({"x": np.zeros((2, 1, 8, 8))}, [], ["none of the arrays ['y', 'labels']", "--y-key"]),
        ({"x": np.zeros((2, 1, 8, 8), np.int64), "y": np.zeros(2, int)}, [],
         ["array 'x'", "dtype int64", "uint8"]),
        ({"x": np.zeros((2, 8)), "y": np.zeros(2, int)}, [], ["array 'x'", "shape (2, 8)"]),
        ({"x": np.zeros((2, 3, 8, 3)), "y": np.zeros(2, int)}, [],
         ["both axis 1 and axis 3", "--layout"]),
        ({"x": np.zeros((2, 5, 8, 8)), "y": np.zeros(2, int)}, [],
         ["neither axis 1 nor axis 3", "--layout"]),
        ({"x": np.zeros((2, 5, 8, 8)), "y": np.zeros(2, int)}, ["--layout", "nchw"],
         ["--layout nchw", "5 entries"]),
        ({"x": np.full((2, 1, 8, 8), np.nan), "y": np.zeros(2, int)}, [], ["NaN or infinite"]),
        ({"x": np.zeros((2, 1, 8, 8)), "y": np.zeros(3, int)}, [],
         ["array 'y'", "shape (3,)", "(2,)"]),
        ({"x": np.zeros((2, 1, 8, 8)), "y": np.array([0.5, 1.0])}, [],
         ["array 'y'", "integer class indices"]),
        ({"x": np.zeros((2, 1, 8, 8)), "y": np.array([0, -1])}, [], ["negative labels"]),
        ({"x": np.zeros((2, 1, 8, 8)), "y": np.array([0, 12])}, [],
         ["label 12", "scores 10 classes"]),
        ({"x": np.full((2, 1, 8, 8), 2.0), "y": np.zeros(2, int)}, [],
         ["range over [2, 2]", "--bounds 0 1"]),
        ({"x": np.zeros((2, 1, 8, 8)), "y": np.zeros(2, int)}, ["--bounds", "1", "0"],
         ["--bounds must be LOW HIGH with LOW < HIGH"]),
        ({"x": np.zeros((2, 1, 8, 8)), "y": np.zeros(2, int)}, ["--mean", "0.3"],
         ["--mean needs --std"]),
        ({"x": np.zeros((2, 1, 8, 8)), "y": np.zeros(2, int)},
         ["--mean", "0.3", "--mean", "0.3", "--std", "0.4"], ["--mean has 2 values", "1 channel"]),
        ({"x": np.zeros((2, 1, 8, 8)), "y": np.zeros(2, int)}, ["--mean", "0", "--std", "0"],
         ["Invalid value for '--std': 0.0 is not in the range x>0.0."]),
        ({"x": np.zeros((2, 1, 6, 6)), "y": np.zeros(2, int)}, [],
         ["failed on images of shape (1, 6, 6)", "bad.npz"]),
        ({"x": np.zeros((2, 1, 8, 8)), "y": np.zeros(2, int)}, ["--attack", "cw"],
         ["--attack cw does not support --norm inf"]),
    ],
)
def test_bad_input_exits_2_naming_the_key_or_option(runner, files, tmp_path, arrays, options,
                                                    words):
    data = _npz(tmp_path / "bad.npz", **arrays)
    result = _run(runner, files["model"], data, "--quiet", *options)
    assert result.exit_code == ExitCode.USAGE, result.output
    message = " ".join(result.stderr.split())
    for word in words:
        assert word in message
    assert result.stdout == ""


def test_not_an_npz_file_is_named(runner, files, tmp_path):
    csv = tmp_path / "images.csv"
    csv.write_text("a\n1\n")
    result = _run(runner, files["model"], csv)
    assert result.exit_code == ExitCode.USAGE
    assert "images.csv" in result.stderr and ".npz" in result.stderr
    fake = tmp_path / "fake.npz"
    fake.write_text("not a zip")
    result = _run(runner, files["model"], fake)
    assert result.exit_code == ExitCode.USAGE and "cannot read DATA file" in result.stderr
    single = tmp_path / "single.npz"
    with open(single, "wb") as handle:
        np.save(handle, np.zeros(3))
    result = _run(runner, files["model"], single)
    assert result.exit_code == ExitCode.USAGE and "holds one array" in result.stderr


def test_object_arrays_are_refused_without_unpickling(runner, files, tmp_path):
    data = tmp_path / "objects.npz"
    np.savez(data, x=np.array([object(), None], dtype=object), y=np.zeros(2, int))
    result = _run(runner, files["model"], data)
    assert result.exit_code == ExitCode.USAGE
    assert "Error: cannot read array 'x' of DATA file" in result.stderr
    assert "it holds Python objects (dtype object), which need pickle" in result.stderr


def test_pickles_are_refused_without_trust_model(runner, files):
    result = _run(runner, files["pickle"], files["nchw"])
    assert result.exit_code == ExitCode.USAGE
    assert "--trust-model" in result.stderr and "net.pkl" in result.stderr


def test_a_model_that_is_not_torch_is_refused(runner, files, tmp_path):
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 64))
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1},
                        lgb.Dataset(X, X[:, 0] > 0), num_boost_round=2)
    path = tmp_path / "model.txt"
    booster.save_model(path)
    result = _run(runner, path, files["nchw"])
    assert result.exit_code == ExitCode.USAGE
    assert "is not a torch model" in result.stderr and "model.txt" in result.stderr


def test_torch_missing_exits_3_with_the_fix(runner, files, monkeypatch):
    real = _compat.has_module
    monkeypatch.setattr(_compat, "has_module", lambda name: name != "torch" and real(name))
    result = _run(runner, files["model"], files["nchw"], *CHEAP)
    assert result.exit_code == ExitCode.MISSING_DEPENDENCY
    assert 'pip install "advval[torch]"' in result.stderr


def test_unwritable_png_dir_is_named(runner, files, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = _run(runner, files["model"], files["nchw"], *CHEAP, "--format", "json",
                  "--png-dir", blocker / "sub")
    assert result.exit_code == ExitCode.USAGE
    assert "--png-dir" in result.stderr


def test_outputs_never_replace_the_model_or_the_data(runner, files):
    before = {k: p.read_bytes() for k, p in files.items()}
    for option, path, role in (("--output", files["model"], "MODEL"),
                               ("--json", files["nchw"], "DATA")):
        result = _run(runner, files["model"], files["nchw"], *CHEAP, option, path)
        assert result.exit_code == ExitCode.USAGE
        assert result.stderr == (
            f"Error: {option} '{path}' is the {role} file '{path}': an output never replaces "
            "an input; choose another path\n"
        )
    assert {k: p.read_bytes() for k, p in files.items()} == before


def test_reports_and_pictures_in_one_run(runner, files):
    result = _run(runner, files["model"], files["nchw"], *NORMALIZE, *CHEAP, "--eps", "0.1",
                  "--eps", "0.2", "--json", "-", "--markdown", "r.md", "--html", "r.html",
                  "--png-dir", "new/pictures")
    assert result.exit_code == ExitCode.OK, result.output
    assert json.loads(result.stdout)["kind"] == "image_robustness"
    assert Path("r.md").read_text(encoding="utf-8").startswith("## advval image robustness")
    assert Path("r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in Path("new/pictures").iterdir()) == ["curve.svg", "triplets.png"]
    assert result.stderr.splitlines()[1:] == [
        "advval: html report written to r.html",
        "advval: markdown report written to r.md",
        "advval: picture written to new/pictures/triplets.png",
        "advval: picture written to new/pictures/curve.svg",
        "advval: json report written to stdout",
    ]


def test_a_failed_write_leaves_no_picture_folder(runner, files, monkeypatch):
    from advval.report import _sink

    def full(fd, chunk):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_sink, "_write_chunk", full)
    result = _run(runner, files["model"], files["nchw"], *CHEAP, "--eps", "0.1",
                  "--png-dir", "new/pictures", "--format", "json", "-o", "r.json")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        "Error: cannot write the json report (--output) to 'r.json': No space left on device; "
        "no output of this run was written\n"
    )
    assert list(Path.cwd().iterdir()) == []  # neither the report nor the folders made for it


def test_the_users_files_are_left_as_found(runner, files):
    before = {k: p.read_bytes() for k, p in files.items()}
    _run(runner, files["model"], files["nhwc_uint8"], *CHEAP)
    assert {k: p.read_bytes() for k, p in files.items()} == before


# ------------------------------------------------------------------ the real command line


def test_python_dash_m_advval_image_evaluate_subprocess(files, tmp_path):
    path = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    done = subprocess.run(
        [sys.executable, "-m", "advval", "image", "evaluate", str(files["model"]),
         str(files["nhwc_uint8"]), *map(str, NORMALIZE), *CHEAP, "--eps", "0.2",
         "--format", "json", "--fail-under", "1.0"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1"},
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == ExitCode.DRIFT, done.stderr  # some images flip: below 1.0
    doc = json.load(io.StringIO(done.stdout))
    assert doc["kind"] == "image_robustness" and doc["robust_accuracy"] < 1.0
    assert "advval: image robustness: clean accuracy" in done.stderr


def test_default_budgets_follow_the_bounds_and_autoattack_runs(runner, files, tmp_path):
    common = ["--quiet", "--attack", "autoattack", "--steps", "3", "--max-images", "12",
              "--examples", "2"]
    unit = _json(runner, files["model"], files["nchw"], *NORMALIZE, *common)
    assert [a["name"] for a in unit["attacks"]] == ["AutoAttack"]
    settings = unit["attacks"][0]["settings"]
    assert settings["steps"] == 3 and settings["square_steps"] == 3
    assert [p["eps"] for p in unit["curve"]] == [float(f"{k / 255:.6g}") for k in (1, 2, 4, 8)]
    with np.load(files["nchw"]) as data:  # the same images as pixels in [0, 255]
        wide = _npz(tmp_path / "wide.npz", x=data["x"] * 255, y=data["y"])
    scaled = _json(runner, files["model"], wide, "--bounds", "0", "255",
                   "--mean", MEAN * 255, "--std", STD * 255, *common)
    assert [p["eps"] for p in scaled["curve"]] == [1.0, 2.0, 4.0, 8.0]
    assert scaled["clean_accuracy"] == unit["clean_accuracy"]
    assert scaled["settings"]["bounds"] == [0.0, 255.0]


class BrightestChannel(torch.nn.Module):
    """Class c when channel c is the brightest on average: a planted RGB classifier."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3)) * 10.0


def test_rgb_nhwc_uint8_with_per_channel_normalization(runner, tmp_path):
    rng = np.random.default_rng(0)
    labels = np.arange(12) % 3
    pixels = rng.uniform(0.3, 0.5, size=(12, 8, 8, 3))
    pixels[np.arange(12), :, :, labels] += 0.1  # the true channel is brighter by 0.1
    data = _npz(tmp_path / "rgb.npz", x=np.round(pixels * 255).astype(np.uint8), y=labels)
    model = tmp_path / "brightest.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's deprecation notices
        torch.jit.script(BrightestChannel()).save(str(model))
    result = _run(runner, model, data, "--quiet", "--attack", "pgd", "--steps", "5",
                  "--eps", "0.02", "--eps", "0.2", "--examples", "2", "--format", "json",
                  "--mean", "0.4", "--mean", "0.4", "--mean", "0.4",
                  "--std", "0.5", "--std", "0.5", "--std", "0.5", "--png-dir", "pictures")
    assert result.exit_code == ExitCode.OK, result.output
    doc = json.loads(result.stdout)
    assert doc["settings"]["layout"] == "nhwc" and doc["clean_accuracy"] == 1.0
    curve = {p["eps"]: p["robust_accuracy"] for p in doc["curve"]}
    assert curve[0.02] == 1.0 and curve[0.2] == 0.0  # a mean margin of 0.1 falls at 0.2
    assert doc["examples"]["n"] == 2 and doc["examples"]["shape"] == [3, 8, 8]
    Image = pytest.importorskip("PIL.Image")
    with Image.open("pictures/triplets.png") as picture:
        assert picture.mode == "RGB" and picture.size == (200, 2 * 64 + 4)


def test_no_examples_asked(runner, files):
    result = _run(runner, files["model"], files["nchw"], *NORMALIZE, *CHEAP[:-2],
                  "--examples", "0", "--png-dir", "pictures", "--output", "r.html")
    assert result.exit_code == ExitCode.OK, result.output
    assert sorted(p.name for p in Path("pictures").iterdir()) == ["curve.svg"]
    assert "No adversarial example was kept" in Path("r.html").read_text(encoding="utf-8")
