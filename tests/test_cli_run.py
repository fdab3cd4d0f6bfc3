"""``advval drift`` as a run: the row budget, progress and warnings as they come, SIGTERM,
the per-row exports under a budget, the remedy with grouped folds, the OpenMP setting."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import advval
from advval.cli import ExitCode, cli

ROOT = Path(advval.__file__).resolve().parent.parent


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _run(runner: CliRunner, *args: object):
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _write(tmp_path: Path, n: int = 600, shift: float = 1.0, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for name, delta, offset in (("train", 0.0, 0), ("test", shift, n)):
        frame = pd.DataFrame(
            {
                "row_id": np.arange(offset, offset + n),  # leak-like
                "a": rng.normal(delta, 1.0, n),
                "b": rng.normal(size=n),
                "user": rng.integers(0, 60, n),
            }
        )
        frame.to_csv(tmp_path / f"{name}.csv", index=False)


def test_max_rows_auto_all_and_a_count(runner, tmp_path):
    _write(tmp_path)
    used = {}
    for value in ("auto", "all", "300"):
        result = _run(
            runner, "drift", "train.csv", "test.csv", "--max-rows", value, "--quiet",
            "--n-jobs", "1", "--no-remedy", "--json", f"{value}.json",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        settings = json.loads((tmp_path / f"{value}.json").read_text())["settings"]
        used[value] = (settings["max_rows"], settings["n_rows_used"])
    # 1,200 rows are below the derived budget: auto uses them all
    assert used == {"auto": ("auto", 1200), "all": (None, 1200), "300": (300, 300)}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("lots", "Invalid value for '--max-rows': 'lots' is not 'auto', 'all' or a whole number"),
        ("3", "Invalid value for '--max-rows': 3 is below the smallest budget, 10 rows"),
    ],
)
def test_max_rows_errors(runner, tmp_path, value, message):
    _write(tmp_path)
    result = _run(runner, "drift", "train.csv", "test.csv", "--max-rows", value)
    assert result.exit_code == ExitCode.USAGE
    assert message in result.output


def test_budget_notice_leak_warning_first_then_named_stages(runner, tmp_path):
    """The leak screen's warning prints before any model is trained; the budget is announced;
    the progress line names each stage."""
    _write(tmp_path)
    result = _run(
        runner, "drift", "train.csv", "test.csv", "--max-rows", "400", "--n-jobs", "1",
        "--json", "r.json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    err = result.stderr
    leak = err.index("advval: warning: Column(s) ['row_id'] alone separate train from test")
    budget = err.index("advval: 1,200 rows given; the domain classifier uses 400 of them")
    fitting = err.index("fitting domain classifier")
    assert leak < fitting and budget < fitting
    for stage in ("reading TRAIN file 'train.csv'", "screening columns", "explaining (SHAP)",
                  "remedy: dropping drifting columns", "building the report"):
        assert stage in err, stage
    # a plain line per remedy step: the columns dropped and how many of --max-drop so far
    steps = [line for line in err.splitlines() if "remedy: dropping drifting columns (" in line]
    assert steps[:2] == [
        "advval: remedy: dropping drifting columns (without row_id) 0/5",
        "advval: remedy: dropping drifting columns (without a) 0/5",
    ]
    quiet = _run(runner, "drift", "train.csv", "test.csv", "--max-rows", "400", "--quiet",
                 "--n-jobs", "1", "--json", "q.json")
    assert "fitting domain classifier" not in quiet.stderr
    assert "advval: warning: Column(s) ['row_id']" in quiet.stderr  # warnings still print


def test_test_likeness_export_scores_every_row_under_a_budget(runner, tmp_path):
    _write(tmp_path)
    result = _run(
        runner, "drift", "train.csv", "test.csv", "--max-rows", "300", "--quiet",
        "--n-jobs", "1", "--no-remedy", "--json", "r.json", "--export-test-likeness", "l.csv",
        "--id", "row_id",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "l.csv")
    assert len(table) == 1200 and table["test_likeness"].notna().all()
    assert int(table["out_of_fold"].sum()) == 300
    scored = table[~table["out_of_fold"]]
    # the rows outside the budget are scored by models that never saw them: test rows higher
    means = scored.groupby("side")["test_likeness"].mean()
    assert means["test"] > means["train"] + 0.1, means.to_dict()


def test_the_exports_come_from_a_fit_without_the_leak_like_columns(runner, tmp_path):
    """With row_id in the features every row's test-likeness would be 0 or 1 and every
    weight clipped; without it, the weights follow the real shift (in 'a')."""
    _write(tmp_path)
    result = _run(
        runner, "drift", "train.csv", "test.csv", "--n-jobs", "1", "--no-remedy", "--json",
        "r.json", "--export-weights", "w.csv", "--export-test-likeness", "l.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    likeness = pd.read_csv(tmp_path / "l.csv")
    assert likeness["test_likeness"].between(0.05, 0.95).mean() > 0.5
    weights = pd.read_csv(tmp_path / "w.csv")["weight"]
    train = pd.read_csv(tmp_path / "train.csv")
    assert np.corrcoef(train["a"], weights)[0, 1] > 0.5
    assert (
        "advval: the weights and test-likeness are fitted without the leak-like columns "
        "row_id: they separate the sides on their own, so no weighting can match them\n"
    ) in result.stderr
    # the report is the run's own validator: row_id named, the headline with it
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["leaks"] == ["row_id"] and document["auc"] > 0.99


def test_remedy_runs_with_grouped_folds(runner, tmp_path):
    _write(tmp_path)
    result = _run(
        runner, "drift", "train.csv", "test.csv", "--group-col", "user", "--quiet",
        "--n-jobs", "1", "--json", "r.json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["remedy"]["would_drop"][:2] == ["row_id", "a"]
    assert "user" not in [f["name"] for f in document["features"]]


def test_sigterm_exits_143_without_traceback_or_output(tmp_path):
    _write(tmp_path, n=40_000)
    report, log = tmp_path / "r.html", tmp_path / "stderr.txt"
    with open(log, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "advval", "drift", "train.csv", "test.csv", "--max-rows",
             "all", "--n-jobs", "1", "--output", str(report)],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while "fitting domain classifier" not in log.read_text() and process.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    err = log.read_text()
    assert process.returncode == ExitCode.TERMINATED, err
    assert "advval: terminated (SIGTERM)" in err and "Traceback" not in err
    assert not report.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_the_command_line_sets_passive_openmp_waiting_unless_the_user_chose():
    code = "import os, advval.cli; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env["PYTHONPATH"] = str(ROOT)
    default = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True)
    chosen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**env, "OMP_WAIT_POLICY": "ACTIVE"}, check=True)
    assert (default.stdout.strip(), chosen.stdout.strip()) == ("PASSIVE", "ACTIVE")
    # and nothing loads OpenMP before it is set: import advval is light
    light = subprocess.run(
        [sys.executable, "-c",
         "import sys, advval; print([m for m in ('lightgbm', 'sklearn') if m in sys.modules])"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert light.stdout.strip() == "[]"


def test_the_verdict_without_the_leaks_is_in_the_headline_even_without_the_remedy(
    runner, tmp_path
):
    _write(tmp_path)
    result = _run(
        runner, "drift", "train.csv", "test.csv", "--no-remedy", "--quiet", "--n-jobs", "1",
        "--json", "r.json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "r.json").read_text())
    without = document["without_leaks"]
    assert without["columns"] == ["row_id"] and without["drift"] is True
    assert without["auc"] < document["auc"]
    assert "without them" in result.stderr
    # no remedy section: only the leak step ran, for the headline
    assert document["remedy"] == {"would_drop": [], "path": []}


# ------------------------------------------------------------------------ delimiters


def _semicolons(tmp_path: Path, suffix: str = ".csv", sep: str = ";") -> None:
    rng = np.random.default_rng(1)
    for name, shift in (("train", 0.0), ("test", 1.0)):
        frame = pd.DataFrame({"a": rng.normal(shift, 1.0, 400), "b": rng.normal(size=400),
                              "note": rng.choice(["x,y", "z"], 400)})  # commas inside cells
        frame.to_csv(tmp_path / f"{name}{suffix}", sep=sep, index=False, decimal=",")


@pytest.mark.parametrize(("suffix", "sep"), [(".csv", ";"), (".tsv", "\t"), (".csv", "|")])
def test_delimiter_is_sniffed_and_announced(runner, tmp_path, suffix, sep):
    _semicolons(tmp_path, suffix, sep)
    result = _run(runner, "drift", f"train{suffix}", f"test{suffix}", "--n-jobs", "1",
                  "--no-remedy", "--json", "r.json")
    assert result.exit_code == 0, result.output
    names = [f["name"] for f in json.loads((tmp_path / "r.json").read_text())["features"]]
    assert sorted(names) == ["a", "b", "note"]
    if suffix == ".csv":
        assert f"as {'|' if sep == '|' else ';'!r}-separated (--sep)" in result.stderr


def test_one_column_with_a_delimiter_in_its_header_is_an_error_naming_the_sep(
    runner, tmp_path
):
    _semicolons(tmp_path)
    result = _run(runner, "drift", "train.csv", "test.csv", "--sep", ",", "--quiet")
    assert result.exit_code == ExitCode.USAGE
    assert (
        "Error: TRAIN file 'train.csv' was read as one column, but its header holds ';': if "
        "that separates its fields, pass --sep ';'"
    ) in result.stderr
    explicit = _run(runner, "drift", "train.csv", "test.csv", "--sep", ";", "--n-jobs", "1",
                    "--no-remedy", "--quiet", "--json", "r.json")
    assert explicit.exit_code == 0, explicit.output
    bad = _run(runner, "drift", "train.csv", "test.csv", "--sep", ";;")
    assert bad.exit_code == ExitCode.USAGE
    assert "Invalid value for '--sep': ';;' is not one character" in bad.stderr


def _cities(tmp_path: Path, encoding: str, placeholder: str | None = None) -> None:
    """Accented city names in ``encoding``; with ``placeholder``, 7 of TEST's prices."""
    rng = np.random.default_rng(3)
    for name, shift in (("train", 0.0), ("test", 1.0)):
        frame = pd.DataFrame({"city": rng.choice(["São Paulo", "Zürich", "Kraków"], 400),
                              "price": rng.normal(shift, 1.0, 400).round(2).astype(object)})
        if placeholder is not None and name == "test":
            frame.loc[:6, "price"] = placeholder
        frame.to_csv(tmp_path / f"{name}.csv", index=False, encoding=encoding)


def test_a_file_in_another_encoding_is_an_error_naming_the_option(runner, tmp_path):
    _cities(tmp_path, "latin-1")
    result = _run(runner, "drift", "train.csv", "test.csv", "--quiet")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        "Error: cannot read TRAIN file 'train.csv': it is not utf-8 text (it holds the byte "
        "0xf3, which utf-8 cannot decode there); pass its encoding, e.g. --encoding cp1252 "
        "(Windows exports) or --encoding latin-1\n"
    )
    read = _run(runner, "drift", "train.csv", "test.csv", "--encoding", "latin-1", "--quiet",
                "--n-jobs", "1", "--no-remedy", "--json", "r.json")
    assert read.exit_code == 0, read.output
    document = json.loads((tmp_path / "r.json").read_text())
    assert sorted(f["name"] for f in document["features"]) == ["city", "price"]
    unknown = _run(runner, "drift", "train.csv", "test.csv", "--encoding", "utf-9")
    assert unknown.exit_code == ExitCode.USAGE
    assert ("Invalid value for '--encoding': unknown encoding 'utf-9': give a text encoding "
            "such as utf-8, latin-1 or cp1252") in unknown.stderr


def test_a_byte_order_mark_is_not_part_of_the_first_column_name(runner, tmp_path):
    _cities(tmp_path, "utf-8-sig")
    result = _run(runner, "drift", "train.csv", "test.csv", "--quiet", "--n-jobs", "1",
                  "--no-remedy", "--json", "r.json")
    assert result.exit_code == 0, result.output
    names = [f["name"] for f in json.loads((tmp_path / "r.json").read_text())["features"]]
    assert sorted(names) == ["city", "price"]


@pytest.mark.parametrize("command", ["drift", "deps"])
def test_placeholders_in_a_column_of_numbers_are_named_with_the_option_that_reads_them(
    runner, tmp_path, command
):
    _cities(tmp_path, "utf-8", placeholder="unknown")
    args = ["drift", "train.csv", "test.csv"] if command == "drift" else [
        "deps", "train.csv", "--compare", "test.csv"]
    # both commands name the user's files (deps --compare calls DATA the first)
    sides = (
        ("TRAIN file 'train.csv'", "TEST file 'test.csv'")
        if command == "drift"
        else ("DATA file 'train.csv'", "TEST file 'test.csv'")
    )
    result = _run(runner, *args, "--quiet", "--n-jobs", "1")
    assert result.exit_code == ExitCode.USAGE
    assert (
        f"Column 'price' is numeric in {sides[0]} but text/categorical in {sides[1]}, where these "
        "values are not numbers: 'unknown' (7 rows). If they mark missing values, read them "
        "as missing (pandas.read_csv(na_values=['unknown']); on the command line --na-values "
        "unknown); otherwise convert one side so both have one type."
    ) in result.stderr
    read = _run(runner, *args, "--na-values", "unknown", "--na-values", "?", "--quiet",
                "--n-jobs", "1", "--json", "r.json")
    assert read.exit_code == 0, read.output
    document = json.loads((tmp_path / "r.json").read_text())
    kinds = {f["name"]: f["kind"] for f in document["features"] if "kind" in f}
    assert kinds["price"] == "numeric"


# ----------------------------------------------------------------- column kinds


def test_kind_options_override_what_the_values_suggest(runner, tmp_path):
    rng = np.random.default_rng(2)
    for name, shift in (("train", 0.0), ("test", 1.0)):
        pd.DataFrame({
            "zip": rng.integers(10000, 10050, 500),  # numbers that are labels
            "when": pd.date_range("2020-01-01", periods=500, freq="h").strftime("%Y-%m-%d %H:%M"),
            "notes": rng.choice(["ok", "late again", "gate change"], 500),
            "x": rng.normal(shift, 1.0, 500),
        }).to_csv(tmp_path / f"{name}.csv", index=False)
    result = _run(
        runner, "drift", "train.csv", "test.csv", "--categorical", "zip", "--parse-dates",
        "when", "--text-col", "notes", "--quiet", "--n-jobs", "1", "--no-remedy", "--json",
        "r.json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    features = json.loads((tmp_path / "r.json").read_text())["features"]
    kinds = {f["name"]: f["kind"] for f in features}
    assert kinds == {"zip": "categorical", "when": "datetime", "notes": "text", "x": "numeric"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--parse-dates", "nope"],
         "Error: --parse-dates column 'nope' is not in TRAIN file 'train.csv' nor in TEST file "
         "'test.csv'"),
        (["--categorical", "a", "--text-col", "a"],
         "Error: column 'a' is given by both --categorical and --text-col; a column has one kind"),
        (["--parse-dates", "a"],
         "Error: Column 'a' is numeric; --categorical / --parse-dates / --text-col can read "
         "only string or datetime columns as 'datetime'."),
    ],
)
def test_kind_option_errors(runner, tmp_path, options, message):
    _write(tmp_path)
    result = _run(runner, "drift", "train.csv", "test.csv", "--quiet", *options)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert message in result.stderr
