"""``advval deps`` on a real Kaggle-shaped table: budget, progress, strings, one model per column.

The table is built from real data (nycflights13, :func:`advval.datasets.make_kaggle_table`):
date strings in three formats, free text, tail and flight numbers of thousands of levels,
noise columns, 5% blanks. The row budget is made small (2,000 rows: 1,000 to train each
column's model, 1,000 to score it) so that a table of 3,012 rows takes the path a
244,737-row one takes with the real budget; ``benchmarks/bench_deps_kaggle.py`` times the
full-size table.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from advval import _progress
from advval.cli import ExitCode, cli
from advval.datasets import make_kaggle_table
from advval.dependency import _budget, _shift

#: rows of nycflights13 the table is built from (3,012 train rows, 988 test rows)
N_ROWS = 4_000
TRAIN_ROWS, SCORED_ROWS = 1_000, 1_000


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    table = make_kaggle_table("flights", n_rows=N_ROWS, random_state=0)
    folder = tmp_path_factory.mktemp("kaggle")
    paths = {"train": folder / "train.csv", "test": folder / "test.csv"}
    table.train.to_csv(paths["train"], index=False)
    table.test.to_csv(paths["test"], index=False)
    return paths


@pytest.fixture(scope="module")
def run(files, tmp_path_factory):
    """One ``advval deps train.csv --target y --id id --compare test.csv`` run, defaults."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_budget, "MAX_TRAIN_ROWS", TRAIN_ROWS)
        for module in (_budget, _shift):
            patch.setattr(module, "scored_rows", lambda threshold: SCORED_ROWS)
        # no line for being quiet 30 s: the log's lines depend on the columns alone
        patch.setattr(_progress, "HEARTBEAT_SECONDS", float("inf"))
        patch.setattr(_progress, "HEARTBEAT_IDLE_SECONDS", float("inf"))
        patch.chdir(tmp_path_factory.mktemp("out"))
        result = CliRunner().invoke(
            cli,
            [
                "deps", str(files["train"]), "--target", "y", "--id", "id",
                "--compare", str(files["test"]), "--json", "deps.json", "--html", "deps.html",
                "--n-jobs", "1",
            ],
        )
        document = json.loads(Path("deps.json").read_text(encoding="utf-8"))
        page = Path("deps.html").read_text(encoding="utf-8")
    return result, document, page


def test_the_run_succeeds_and_reports_rows_given_and_used(run):
    result, document, _ = run
    assert result.exit_code == ExitCode.OK, result.stderr
    assert document["n_rows"] == 3012 and document["n_features"] == 125
    settings = document["settings"]
    assert settings["max_rows"] == "auto" and settings["n_rows_used"] == 2000
    assert {k: v for k, v in settings.items() if k.startswith("shift_")} == {
        "shift_n_train_rows": 3012,
        "shift_n_train_rows_used": 2000,  # the checker's own rows and models (prefit)
        "shift_n_test_rows": 988,
        "shift_n_test_rows_used": 988,
    }


def test_progress_tells_the_truth_from_the_start(run, files):
    lines = run[0].stderr.splitlines()
    assert lines[:5] == [
        f"advval: reading DATA file '{files['train']}'",
        f"advval: reading TEST file '{files['test']}'",
        f"advval: checking 125 columns of 3,012 rows from '{files['train']}'",
        "advval: screening columns (kinds, ID-like columns)",
        "advval: 3,012 rows given; the per-column models use 2,000 of them, drawn uniformly: "
        "each column's model trains on 1,000 of them and is scored on the other 1,000 (the "
        "row budget: more rows would not make a score more precise than +-0.01; set max_rows "
        "/ --max-rows to change it). The column kinds and ID-like flags use every row.",
    ]
    stages = [line for line in lines if not line.startswith("advval: warning:")]
    predicted = [s for s in stages if s.startswith("advval: predicting each column from the")]
    # the stage, then a column by name a tenth of the 125 apart, with the columns done
    tenths = [f"{k}/125" for k in range(0, 125, 13)]
    assert predicted[0] == "advval: predicting each column from the others"
    assert [s.rsplit(" ", 1)[1] for s in predicted[1:]] == tenths
    assert predicted[1].startswith("advval: predicting each column from the others (")
    shifted = [s for s in stages if s.startswith("advval: shift between the samples")]
    assert [s.rsplit(" ", 1)[1] for s in shifted[1:]] == tenths
    assert stages[-5] == "advval: building the report"
    assert stages[-4].startswith("advval: dependency check: 125 features, ")
    assert stages[-3].startswith("advval: redundant (score [95% interval]): ")
    assert stages[-2:] == [
        "advval: html report written to deps.html",
        "advval: json report written to deps.json",
    ]


def test_strings_are_read_as_a_kaggle_table_has_them(run):
    _, document, page = run
    features = {f["name"]: f for f in document["features"]}
    kinds = {name: f["kind"] for name, f in features.items()}
    assert [kinds[c] for c in ("date", "time_hour", "flight date (US)")] == ["datetime"] * 3
    assert kinds["flight summary"] == "text" and kinds["tailnum"] == "categorical"
    unpredicted = ["tailnum", "flight_code", "prev_flight_code", "flight summary"]
    for name in unpredicted:
        assert features[name]["score"] is None and features[name]["metric_name"] == "none"
        assert features[name]["target_score"] is not None  # still checked for a leak
    warning = (
        "advval: warning: The dependency check does not predict free text ['flight "
        "summary'] and codes with no value on 1% of the rows ['tailnum', 'flight_code', "
        "'prev_flight_code'] of DATA file"
    )
    assert any(line.startswith(warning) for line in run[0].stderr.splitlines())
    # the date strings are read as dates: each determines the others
    for name in ("date", "flight date (US)"):
        assert features[name]["redundant"]
        assert set(features[name]["top_features"]) & {"date", "flight date (US)", "time_hour"}
    weekday = features["weekday name"]  # from the weekday number, or the dates
    assert weekday["redundant"] and weekday["top_features"][0] in (
        "weekday", "date", "flight date (US)", "time_hour",
    )
    noise = ["noise_normal", "noise uniform", "noise_lognormal", "random_cat50"]
    assert not any(features[name]["significant"] for name in noise)
    # the shift: the text and the codes are never flagged
    shift = {s["name"]: s for s in document["shift"]}
    assert not any(shift[name]["shifted"] for name in unpredicted)
    assert shift["flight summary"]["train_score"] is None
    assert page.startswith("<!DOCTYPE html>") and 'id="shift"' in page
