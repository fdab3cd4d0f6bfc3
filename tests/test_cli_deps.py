"""``advval deps``: the dependency check from the command line."""

from __future__ import annotations

import json
import re
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
    for feature in json.loads(first[1])["features"]:
        low, high = feature["score_ci"]
        assert low is None or low <= feature["score"] <= high
        assert len(feature["top_shares"]) == len(feature["top_features"])
        assert sum(feature["top_shares"]) <= (feature["score"] or 0.0) + 1e-6
    code, _, err = _run(runner, *args, "--output", "deps.md")
    assert code == ExitCode.OK, err
    text = Path("deps.md").read_text(encoding="utf-8")
    assert text.startswith("## advval dependency check: leak, redundancy")
    assert "Possible target leak" in text and "| dup |" in text
    assert "score [95% interval]" in text and "**Row order " in text


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


# ---------------------------------------------------------------- budget, progress, strings


def test_row_budget_in_the_report_and_a_note_at_the_start(runner, files):
    code, out, err = _run(
        runner, files["train"], "--target", "y", "--max-rows", "200", "--format", "json",
        "--n-jobs", "1",
    )
    assert code == ExitCode.OK, err
    doc = json.loads(out)
    assert doc["n_rows"] == 300
    assert doc["settings"]["max_rows"] == 200 and doc["settings"]["n_rows_used"] == 200
    lines = err.splitlines()
    budget = (
        "advval: 300 rows given; the per-column models use 200 of them, drawn uniformly: "
        "every column is scored by cross-fitting them (the row budget: more rows would not "
        "make a score more precise than +-0.01; set max_rows / --max-rows to change it). The "
        "column kinds and ID-like flags use every row."
    )
    assert budget in lines
    stages = [
        f"advval: reading DATA file '{files['train']}'",
        "advval: checking 5 columns of 300 rows from '{}'".format(files["train"]),
        "advval: screening columns (kinds, ID-like columns)",
        budget,
        "advval: predicting each column from the others",
        *(
            f"advval: predicting each column from the others ({c}) {k}/5"
            for k, c in enumerate(("a", "b", "c"))
        ),
    ]
    assert lines[: len(stages)] == stages
    assert "advval: leak check: each column alone predicting the target" in lines
    assert "advval: building the report" in lines
    code, out, err = _run(runner, files["train"], "--target", "y", "--max-rows", "all",
                          "--format", "json", *FAST)
    assert code == ExitCode.OK and err.splitlines()[0].startswith("advval: dependency check:")
    settings = json.loads(out)["settings"]
    assert settings["max_rows"] is None and settings["n_rows_used"] == 300


def test_quiet_prints_the_summary_only(runner, files):
    code, _, err = _run(runner, files["train"], "--target", "y", "--max-rows", "200",
                        "--compare", files["test"], "--format", "json", *FAST)
    assert code == ExitCode.OK
    lines = err.splitlines()
    # no stage, no budget line. Shifted: a and dup (dup's relation to a flipped), and
    # leak, whose model predicts it partly through dup (dup = 2a in train, -2a in test)
    assert lines[0] == (
        "advval: dependency check: 5 features, 2 redundant, 0 id-like, 1 near-duplicate "
        "pairs, 1 leaking, 3 shifted"
    )
    assert re.fullmatch(
        r"advval: redundant \(score \[95% interval\]\): (\S+ \d\.\d{3} \[\d\.\d{3}, "
        r"\d\.\d{3}\](, )?){2}",
        lines[1],
    )
    assert lines[2:] == ["advval: json report written to stdout"]


def test_compare_reports_the_rows_of_both_files(runner, files):
    code, out, err = _run(runner, files["train"], "--target", "y", "--compare", files["test"],
                          "--max-rows", "250", "--format", "json", "--n-jobs", "1")
    assert code == ExitCode.OK, err
    settings = json.loads(out)["settings"]
    assert {k: settings[k] for k in settings if k.startswith("shift_")} == {
        "shift_n_train_rows": 300,
        "shift_n_train_rows_used": 250,
        "shift_n_test_rows": 300,
        "shift_n_test_rows_used": 250,
    }
    assert f"advval: reading TEST file '{files['test']}'" in err.splitlines()
    assert "advval: shift between the samples: each column from the others (dup)" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--max-rows", "3"], "Invalid value for '--max-rows': 3 is below the smallest budget, "
                              "10 rows"),
        (["--max-rows", "many"], "Invalid value for '--max-rows': 'many' is not 'auto', 'all' "
                                 "or a whole number of rows"),
        (["--parse-dates", "nope"], "--parse-dates column 'nope' is not in DATA file"),
        (["--text-col", "a"], "Column 'a' is numeric; --categorical / --parse-dates / "
                              "--text-col can read only string columns as 'text'."),
    ],
)
def test_budget_and_kind_option_errors(runner, files, args, message):
    code, _, err = _run(runner, files["train"], *args, *FAST)
    assert code == ExitCode.USAGE
    assert message in " ".join(err.split())


def test_date_strings_text_and_codes_from_a_semicolon_file(runner, tmp_path):
    rng = np.random.default_rng(0)
    n = 300
    day = rng.integers(0, 100, size=n)
    words = np.array(["late", "early", "storm", "crew", "gate", "fog"])
    frame = pd.DataFrame(
        {
            "day": day,
            "date": (pd.Timestamp("2013-01-01") + pd.to_timedelta(day, unit="D")).strftime(
                "%d.%m.%Y"
            ),
            "note": [" ".join(rng.choice(words, size=6)) + f" {i}" for i in range(n)],
            "ticket": [f"T{i:05d}" for i in rng.permutation(n)],
            "zip": rng.choice([10001, 10002, 10003], size=n),
            "x": rng.normal(size=n),
        }
    )
    path = tmp_path / "semicolon.csv"
    frame.to_csv(path, index=False, sep=";")
    code, out, err = _run(runner, path, "--categorical", "zip", "--format", "json",
                          "--n-jobs", "1")
    assert code == ExitCode.OK, err
    doc = json.loads(out)
    features = {f["name"]: f for f in doc["features"]}
    assert {name: f["kind"] for name, f in features.items()} == {
        "day": "numeric", "date": "datetime", "note": "text", "ticket": "categorical",
        "zip": "categorical", "x": "numeric",
    }
    assert features["date"]["redundant"] and features["date"]["top_features"][0] == "day"
    for name in ("note", "ticket"):
        assert features[name]["score"] is None and features[name]["metric_name"] == "none"
    assert set(doc["id_like"]) >= {"note", "ticket"}
    assert "advval: reading DATA file" in err and "as ';'-separated" in err
    assert (
        "advval: warning: The dependency check does not predict free text ['note'] and "
        "codes with no value on 1% of the rows ['ticket'] of DATA file" in err
    )
