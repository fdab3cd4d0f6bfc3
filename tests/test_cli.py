"""The ``advval`` command line: usage errors, exit codes, outputs, one real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import advval
from advval import _compat
from advval.cli import ExitCode, cli

ROOT = Path(advval.__file__).resolve().parent.parent
#: one thread for LightGBM: the test machines share few cores
FAST = ["--quiet", "--n-jobs", "1"]


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """A CliRunner whose commands run in an empty temporary directory."""
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _frame(rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": rng.normal(shift, 1.0, n),
            "b": rng.normal(0.0, 1.0, n),
            "c": rng.choice(["x", "y", "z"], n),
        }
    )


@pytest.fixture
def csvs(tmp_path) -> dict[str, Path]:
    """train.csv (with a label 'y'), test.csv (mean of 'a' shifted by 1.5 sd), same.csv."""
    rng = np.random.default_rng(0)
    train = _frame(rng, 300, 0.0)
    train["y"] = rng.integers(0, 2, 300)
    paths = {name: tmp_path / f"{name}.csv" for name in ("train", "test", "same")}
    train.to_csv(paths["train"], index=False)
    _frame(rng, 300, 1.5).to_csv(paths["test"], index=False)
    train.to_csv(paths["same"], index=False)
    return paths


def _run(runner: CliRunner, *args: object):
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


# --------------------------------------------------------------------------- help


def test_help_documents_exit_codes(runner):
    result = _run(runner, "--help")
    assert result.exit_code == 0
    assert "Exit codes:" in result.output
    for code in ExitCode:
        assert f"  {int(code):<3}  " in result.output
    assert "missing optional dependency" in result.output
    drift_help = _run(runner, "drift", "--help")
    assert drift_help.exit_code == 0
    for option in ("--target", "--ignore", "--id", "--format", "--output", "--seed", "--alpha",
                   "--min-effect", "--n-splits", "--max-rows", "--fail-on-drift", "--demo",
                   "--quiet", "Exit codes:"):
        assert option in drift_help.output


def test_exit_codes_are_the_documented_values():
    assert [(c.name, int(c)) for c in ExitCode] == [
        ("OK", 0), ("DRIFT", 1), ("USAGE", 2), ("MISSING_DEPENDENCY", 3), ("INTERNAL_ERROR", 4),
        ("WORSE", 5),
        ("INTERRUPTED", 130), ("TERMINATED", 143),
    ]


def test_version(runner):
    result = _run(runner, "--version")
    assert result.exit_code == 0
    assert advval.__version__ in result.output


# --------------------------------------------------------------------------- usage errors


def test_missing_file_names_the_path(runner, csvs):
    result = _run(runner, "drift", "nope.csv", csvs["test"])
    assert result.exit_code == ExitCode.USAGE
    assert "nope.csv" in result.stderr
    assert "does not exist" in result.stderr


def test_unknown_suffix_names_the_file(runner, csvs):
    Path("data.txt").write_text("a,b\n1,2\n")
    result = _run(runner, "drift", "data.txt", csvs["test"])
    assert result.exit_code == ExitCode.USAGE
    assert "Error: cannot read 'data.txt': unknown file type" in result.stderr
    assert ".parquet" in result.stderr


@pytest.mark.parametrize(
    ("content", "role"), [("", "TRAIN"), ("a,b\n", "TEST")], ids=["empty", "header-only"]
)
def test_empty_file_is_a_usage_error(runner, csvs, content, role):
    Path("bad.csv").write_text(content)
    args = ["bad.csv", csvs["test"]] if role == "TRAIN" else [csvs["train"], "bad.csv"]
    result = _run(runner, "drift", *args)
    assert result.exit_code == ExitCode.USAGE
    assert f"Error: cannot read {role} file 'bad.csv'" in result.stderr


def test_garbled_files_are_usage_errors(runner, csvs):
    Path("bad.parquet").write_text("this is not parquet")
    result = _run(runner, "drift", csvs["train"], "bad.parquet")
    assert result.exit_code == ExitCode.USAGE
    assert "Error: cannot read TEST file 'bad.parquet'" in result.stderr
    Path("bad.csv").write_bytes(b'a,b\n1,"2\n3,4\n')  # unterminated quote
    result = _run(runner, "drift", "bad.csv", csvs["test"])
    assert result.exit_code == ExitCode.USAGE
    assert "Error: cannot read TRAIN file 'bad.csv'" in result.stderr


@pytest.mark.parametrize("option", ["--target", "--ignore", "--id"])
def test_unknown_column_names_column_and_files(runner, csvs, option):
    result = _run(runner, "drift", csvs["train"], csvs["test"], option, "zzz")
    assert result.exit_code == ExitCode.USAGE
    assert f"{option} column 'zzz'" in result.stderr
    assert str(csvs["train"]) in result.stderr and str(csvs["test"]) in result.stderr


def test_demo_with_files_is_a_usage_error(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--demo")
    assert result.exit_code == ExitCode.USAGE
    assert "not both" in result.stderr


def test_neither_files_nor_demo_is_a_usage_error(runner, csvs):
    result = _run(runner, "drift")
    assert result.exit_code == ExitCode.USAGE
    assert "--demo" in result.stderr
    result = _run(runner, "drift", csvs["train"])
    assert result.exit_code == ExitCode.USAGE
    assert "missing the TEST file" in result.stderr


def test_bad_option_value_names_the_option(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--alpha", "2")
    assert result.exit_code == ExitCode.USAGE
    assert "--alpha" in result.stderr


def test_validator_errors_become_usage_errors_naming_the_option(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--target", "y", "--n-splits", "1",
                  *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert "Invalid value for '--n-splits': 1 is not in the range x>=3." in result.stderr
    # a rule across two options is the library's; its message names the option as typed
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--target", "y", "--max-rows", "12",
                  "--n-splits", "10", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith("Error: --max-rows must be ")
    assert "max_rows" not in result.stderr and "AdversarialValidator" not in result.stderr
    assert "Traceback" not in result.output


def test_parquet_without_pyarrow_exits_3(runner, csvs, monkeypatch):
    real = _compat.has_module
    monkeypatch.setattr(_compat, "has_module", lambda name: name != "pyarrow" and real(name))
    Path("a.parquet").write_bytes(b"PAR1")
    result = _run(runner, "drift", "a.parquet", csvs["test"])
    assert result.exit_code == ExitCode.MISSING_DEPENDENCY
    assert 'pip install "advval[parquet]"' in result.stderr
    assert "a.parquet" in result.stderr


# --------------------------------------------------------------------------- real runs


def test_planted_shift_fails_with_fail_on_drift(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--target", "y",
                  "--format", "json", "--fail-on-drift", *FAST)
    assert result.exit_code == ExitCode.DRIFT, result.output
    assert "advval: drift detected: AUC " in result.stderr
    assert "json report written to stdout" in result.stderr
    doc = json.loads(result.stdout)
    assert doc["drift"] is True
    assert doc["features"][0]["name"] == "a"


def test_planted_shift_without_flag_exits_0(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--target", "y",
                  "--format", "markdown", *FAST)
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout.startswith("## advval drift check: DRIFT")


def test_identical_files_exit_0_with_fail_on_drift(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["same"], "--format", "json",
                  "--fail-on-drift", *FAST)
    assert result.exit_code == ExitCode.OK, result.output
    assert "advval: no drift: AUC " in result.stderr
    assert json.loads(result.stdout)["drift"] is False


def test_json_is_byte_identical_for_the_same_seed(runner, csvs):
    args = ["drift", csvs["train"], csvs["test"], "--target", "y", "--format", "json",
            "--seed", "7", *FAST]
    first, second = _run(runner, *args), _run(runner, *args)
    assert first.exit_code == second.exit_code == ExitCode.OK
    assert first.stdout_bytes == second.stdout_bytes
    assert json.loads(first.stdout)["settings"]["random_state"] == 7


def test_target_only_in_train_is_dropped(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--target", "y",
                  "--format", "json", *FAST)
    assert result.exit_code == ExitCode.OK, result.output
    doc = json.loads(result.stdout)
    assert sorted(f["name"] for f in doc["features"]) == ["a", "b", "c"]
    assert doc["n_features"] == 3


def test_target_in_both_and_ignored_columns_are_dropped(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["same"], "--target", "y",
                  "--ignore", "c", "--format", "json", *FAST)
    assert result.exit_code == ExitCode.OK, result.output
    assert sorted(f["name"] for f in json.loads(result.stdout)["features"]) == ["a", "b"]


def test_id_column_is_excluded_and_leaks_are_reported(runner, tmp_path):
    rng = np.random.default_rng(1)
    train, test = _frame(rng, 200, 0.0), _frame(rng, 200, 0.0)
    train.insert(0, "row_id", np.arange(200))
    test.insert(0, "row_id", np.arange(200, 400))
    train.to_csv("train.csv", index=False)
    test.to_csv("test.csv", index=False)
    leaky = _run(runner, "drift", "train.csv", "test.csv", "--format", "json", *FAST)
    assert leaky.exit_code == ExitCode.OK, leaky.output
    assert json.loads(leaky.stdout)["leaks"] == ["row_id"]
    assert "advval: warning: " in leaky.stderr and "row_id" in leaky.stderr
    clean = _run(runner, "drift", "train.csv", "test.csv", "--id", "row_id", "--format", "json",
                 *FAST)
    assert clean.exit_code == ExitCode.OK, clean.output
    doc = json.loads(clean.stdout)
    assert doc["leaks"] == [] and "row_id" not in [f["name"] for f in doc["features"]]
    assert "warning" not in clean.stderr


@pytest.mark.parametrize(
    ("output", "fmt"),
    [("r.md", "markdown"), ("r.json", "json"), ("out/r.html", "html"), ("r.txt", "html")],
)
def test_output_format_follows_the_suffix(runner, csvs, output, fmt):
    Path("out").mkdir()
    result = _run(runner, "drift", csvs["train"], csvs["same"], "--output", output, *FAST)
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout == ""
    assert f"{fmt} report written to {output}" in result.stderr
    text = Path(output).read_text(encoding="utf-8")
    if fmt == "json":
        assert json.loads(text)["kind"] == "drift"
    elif fmt == "markdown":
        assert text.startswith("## advval drift check")
    else:
        assert text.startswith("<!DOCTYPE html>")


def test_html_goes_to_the_default_file(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--target", "y", *FAST)
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout == ""
    page = Path("advval_drift_report.html").read_text(encoding="utf-8")
    assert "Drift detected" in page
    assert "html report written to advval_drift_report.html" in result.stderr


def test_parquet_inputs(runner, csvs):
    pd.read_csv(csvs["train"]).to_parquet("train.parquet")
    pd.read_csv(csvs["test"]).to_parquet("test.pq")
    result = _run(runner, "drift", "train.parquet", "test.pq", "--target", "y",
                  "--format", "json", "--fail-on-drift", *FAST)
    assert result.exit_code == ExitCode.DRIFT, result.output
    assert json.loads(result.stdout)["drift"] is True


def test_progress_is_shown_unless_quiet(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["same"], "--format", "json",
                  "--n-jobs", "1")
    assert result.exit_code == ExitCode.OK, result.output
    assert "advval: no drift" in result.stderr
    assert len(result.stderr.splitlines()) >= 2
    json.loads(result.stdout)  # progress never goes to stdout


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def _drain(leader: int) -> str:
    """Everything a closed pseudo-terminal showed: one read may return only part of it."""
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the follower is closed and everything was read
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return b"".join(chunks).decode()


def test_progress_on_a_terminal_redraws_one_line_and_on_an_unsized_one_prints_lines():
    import fcntl
    import struct
    import termios

    from advval._progress import progress_display, stage

    def shown(columns: int) -> str:
        leader, follower = os.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        with (
            os.fdopen(follower, "w") as stream,
            progress_display(enabled=True, stream=stream),
            stage("fitting domain classifier", total=2) as bar,
        ):
            bar.advance()
            bar.advance()
        return _drain(leader)

    sized = shown(120)
    assert "advval: fitting domain classifier 1/2 [" in sized and "\r" in sized
    assert shown(0).splitlines() == ["advval: fitting domain classifier"]


# --------------------------------------------------------------------------- demo data


def test_demo_drifts_and_gates_with_fail_on_drift(runner):
    args = ["drift", "--demo", "--format", "json", "--max-rows", "2000", *FAST]
    result = _run(runner, *args)
    assert result.exit_code == ExitCode.OK, result.output
    doc = json.loads(result.stdout)
    assert doc["drift"] is True
    assert doc["n_train"] > 0 and doc["n_test"] > 0
    gated = _run(runner, *args, "--fail-on-drift")
    assert gated.exit_code == ExitCode.DRIFT
    assert gated.stdout_bytes == result.stdout_bytes


def test_python_dash_m_advval_subprocess(tmp_path):
    path = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    done = subprocess.run(
        [sys.executable, "-m", "advval", "drift", "--demo", "--format", "json", "--quiet",
         "--n-jobs", "1", "--max-rows", "2000"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True,
        timeout=300,
    )
    assert done.returncode == ExitCode.OK, done.stderr
    doc = json.loads(done.stdout)
    assert doc["kind"] == "drift" and doc["drift"] is True
    assert "advval: drift detected: AUC" in done.stderr
    assert "fitting" not in done.stderr  # --quiet: no progress


# ------------------------------------------------------------------ remedies and exports


def test_remedy_section_names_the_drifting_feature_in_every_format(runner, csvs):
    base = ["drift", csvs["train"], csvs["test"], "--target", "y", *FAST]
    doc = json.loads(_run(runner, *base, "--format", "json").stdout)
    assert doc["remedy"]["would_drop"] == ["a"]
    path = doc["remedy"]["path"]
    assert path[0]["drift"] is True and path[-1]["drift"] is False
    assert path[-1]["auc"] < path[0]["auc"] - 0.2
    assert path[0]["target_signal"] is not None  # --target gives the trade-off
    markdown = _run(runner, *base, "--format", "markdown").stdout
    assert "### Remedy: drop drifting features" in markdown
    assert "Dropping 1 column (a)" in markdown
    _run(runner, *base, "--output", "report.html")
    assert 'id="remedy"' in Path("report.html").read_text(encoding="utf-8")


def test_no_remedy_and_no_drift_give_an_empty_remedy(runner, csvs):
    off = _run(runner, "drift", csvs["train"], csvs["test"], "--target", "y", "--no-remedy",
               "--format", "json", *FAST)
    assert json.loads(off.stdout)["remedy"] == {"would_drop": [], "path": []}
    same = _run(runner, "drift", csvs["train"], csvs["same"], "--format", "json", *FAST)
    assert json.loads(same.stdout)["remedy"]["path"] == []


def test_exports_of_test_likeness_and_weights(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--target", "y",
                  "--export-test-likeness", "likeness.csv", "--export-weights", "weights.csv",
                  "--no-remedy", "--format", "json", *FAST)
    assert result.exit_code == ExitCode.OK, result.output
    likeness = pd.read_csv("likeness.csv")
    assert list(likeness.columns) == ["side", "row", "test_likeness", "out_of_fold"]
    assert likeness["out_of_fold"].all()  # 600 rows: within the row budget
    assert len(likeness) == 600 and likeness["test_likeness"].between(0, 1).all()
    by_side = likeness.groupby("side")["test_likeness"].mean()
    assert by_side["test"] > by_side["train"]
    weights = pd.read_csv("weights.csv")
    assert list(weights.columns) == ["side", "row", "weight"] and len(weights) == 300
    assert weights["weight"].mean() == pytest.approx(1.0, rel=1e-3)
    # train rows that look like the test set (large 'a') get the larger weights
    train = pd.read_csv(csvs["train"])
    assert np.corrcoef(train["a"], weights["weight"])[0, 1] > 0.3


def test_export_keeps_id_columns(runner, tmp_path):
    rng = np.random.default_rng(1)
    train, test = _frame(rng, 200, 0.0), _frame(rng, 200, 1.0)
    train["key"], test["key"] = np.arange(200), np.arange(1000, 1200)
    train.to_csv("tr.csv", index=False)
    test.to_csv("te.csv", index=False)
    result = _run(runner, "drift", "tr.csv", "te.csv", "--id", "key", "--no-remedy",
                  "--export-test-likeness", "out.csv", "--format", "json", *FAST)
    assert result.exit_code == ExitCode.OK, result.output
    exported = pd.read_csv("out.csv")
    assert list(exported.columns) == ["side", "row", "key", "test_likeness", "out_of_fold"]
    assert exported["key"].iloc[-1] == 1199


def test_export_into_a_missing_folder_is_refused_before_the_work(runner, csvs, monkeypatch):
    monkeypatch.setattr(advval.AdversarialValidator, "_fit_named", _never_called)
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--target", "y", "--no-remedy",
                  "--export-test-likeness", "missing_dir/out.csv", "--format", "json", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        "Error: --export-test-likeness 'missing_dir/out.csv': the folder 'missing_dir' does not "
        "exist\n"
    )


def _never_called(*args, **kwargs):
    raise AssertionError("the work started although an output was refused")


def test_group_col_is_used_for_folds_not_as_a_feature(runner, csvs, tmp_path):
    train, test = pd.read_csv(csvs["train"]), pd.read_csv(csvs["test"])
    train["user"], test["user"] = np.arange(300) // 3, np.arange(300) // 3 + 100
    train.to_csv("tr.csv", index=False)
    test.to_csv("te.csv", index=False)
    result = _run(runner, "drift", "tr.csv", "te.csv", "--target", "y", "--group-col", "user",
                  "--format", "json", *FAST)
    assert result.exit_code == ExitCode.OK, result.output
    assert "user" not in {f["name"] for f in json.loads(result.stdout)["features"]}


def test_label_only_in_train_gets_a_hint(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--format", "json", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert ("column(s) ['y'] are in TRAIN file" in result.stderr
            and "pass --target y" in result.stderr)


def test_nothing_left_after_target_removal(runner):
    pd.DataFrame({"y": [0, 1] * 50}).to_csv("tr.csv", index=False)
    pd.DataFrame({"y": [1, 0] * 50}).to_csv("te.csv", index=False)
    result = _run(runner, "drift", "tr.csv", "te.csv", "--target", "y", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert "no feature column is left in TRAIN file 'tr.csv' after removing the --target" in (
        result.stderr)
