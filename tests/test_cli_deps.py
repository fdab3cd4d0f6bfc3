"""``advval deps``: the dependency check from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.cli import ExitCode, cli

#: one thread for LightGBM: the test machines share few cores
FAST = ["--quiet", "--n-jobs", "1"]


def _planted(seed: int, sign: float = 1.0, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b, c = rng.normal(size=(3, n))
    y = (a + b + rng.normal(size=n) > 0).astype(int)
    return pd.DataFrame(
        {
            "a": a,
            "b": b,
            "c": c,
            "leak": y + rng.normal(scale=0.01, size=n),
            "dup": sign * 2 * a + rng.normal(scale=0.01, size=n),
            "y": y,
        }
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("deps")
    paths = {"train": folder / "train.csv", "test": folder / "test.csv"}
    _planted(0).to_csv(paths["train"], index=False)
    _planted(1, sign=-1.0).to_csv(paths["test"], index=False)  # dup's relation flipped
    return paths


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _run(runner: CliRunner, *args: object) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["deps", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_target_leak_and_fail_on(runner, files):
    code, out, err = _run(runner, files["train"], "--target", "y", "--fail-on", "leak",
                          "--format", "json", *FAST)
    assert code == ExitCode.DRIFT, err
    doc = json.loads(out)
    assert doc["kind"] == "deps" and doc["schema_version"] == 1
    assert doc["n_rows"] == 300 and doc["n_features"] == 5
    assert doc["leaking"] == ["leak"]
    assert "dup" in doc["redundant"]
    assert ["a", "dup"] in doc["near_duplicates"]
    scores = [f["score"] for f in doc["features"]]
    assert scores == sorted(scores, reverse=True)
    assert {f["name"] for f in doc["features"]} == {"a", "b", "c", "leak", "dup"}
    assert doc["shift"] == []
    assert "1 leaking" in err


def test_no_target_no_leak_section(runner, files):
    code, out, err = _run(runner, files["train"], "--ignore", "y", "--fail-on", "leak",
                          "--format", "json", *FAST)
    assert code == ExitCode.OK, err
    doc = json.loads(out)
    assert doc["leaking"] is None
    assert all(f["leak"] is None for f in doc["features"])
    assert "leaking" not in err


def test_compare_adds_shift(runner, files):
    code, out, err = _run(
        runner,
        files["train"],
        "--target",
        "y",
        "--compare",
        files["test"],
        "--fail-on",
        "shift",
        "--format",
        "json",
        *FAST,
    )
    assert code == ExitCode.DRIFT, err
    doc = json.loads(out)
    assert doc["shift"]
    shifted = {s["name"] for s in doc["shift"] if s["shifted"]}
    assert "dup" in shifted
    assert {"train_score", "test_score", "drop", "p_value", "marginal_p_value"} <= set(
        doc["shift"][0]
    )


@pytest.mark.parametrize(
    "args, word",
    [
        (["--target", "nope"], "nope"),
        (["--ignore", "zzz"], "zzz"),
        (["--max-features", "4"], "but --max-features 4: "),
        (["--fail-on", "shift"], "--compare"),
    ],
)
def test_usage_errors(runner, files, args, word):
    code, _, err = _run(runner, files["train"], *args, *FAST)
    assert code == ExitCode.USAGE
    assert word in err


def test_missing_file_and_bad_compare(runner, files, tmp_path):
    code, _, _ = _run(runner, tmp_path / "absent.csv")
    assert code == ExitCode.USAGE
    other = tmp_path / "other.csv"
    pd.DataFrame({"a": [1.0, 2.0], "q": [3.0, 4.0]}).to_csv(other, index=False)
    code, _, err = _run(runner, files["train"], "--target", "y", "--compare", other, *FAST)
    assert code == ExitCode.USAGE and "other.csv" in err


def test_checker_value_error_is_usage(runner, tmp_path):
    tiny = tmp_path / "tiny.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]}).to_csv(tiny, index=False)
    code, _, err = _run(runner, tiny, *FAST)
    assert code == ExitCode.USAGE and "rows" in err


def test_json_deterministic_and_markdown(runner, files):
    args = [files["train"], "--target", "y", "--seed", "3", *FAST]
    first = _run(runner, *args, "--format", "json")
    second = _run(runner, *args, "--format", "json")
    assert first[0] == second[0] == ExitCode.OK
    assert json.loads(first[1])["kind"] == "deps" and first[1] == second[1]
    code, _, err = _run(runner, *args, "--output", "deps.md")
    assert code == ExitCode.OK, err
    text = Path("deps.md").read_text(encoding="utf-8")
    assert text.startswith("## advval dependency check: leak, redundancy")
    assert "Possible target leak" in text and "| dup |" in text


def test_html_report(runner, files):
    code, out, err = _run(
        runner, files["train"], "--target", "y", "--compare", files["test"], "-o", "deps.html",
        *FAST,
    )
    assert code == ExitCode.OK, err
    assert out == ""
    page = Path("deps.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in page
    assert "Possible target leak" in page
    for section in ("heatmap", "features", "flagged", "shift", "settings"):
        assert f'id="{section}"' in page
    assert "<script" not in page
    code, _, err = _run(runner, files["train"], "--ignore", "y", "--format", "html", *FAST)
    assert code == ExitCode.OK, err
    page = Path("advval_deps_report.html").read_text(encoding="utf-8")  # drift's default
    assert 'id="heatmap"' in page and 'id="shift"' not in page and 'id="leaks"' not in page
