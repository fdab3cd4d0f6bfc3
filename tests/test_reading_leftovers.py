"""What real files showed about reading them, and what the reports said about it.

- the library's warnings on how columns were read (free text, dates readable month first
  or day first, columns missing everywhere) reach the reports' "How the files were read"
  notes, once each, and stderr once;
- a column missing in every test row reads "missing in every test row" in Markdown, HTML
  and the CI summary, not "KS 0.000, adjusted p 1"; the JSON and the baseline keep the
  number, and ``baseline accept`` / ``drift --baseline`` work on it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.cli import ExitCode, cli
from advval.report._markdown import md_escape

WORDS = ["great", "product", "late", "delivery", "broken", "works", "fine", "refund", "never"]


def _orders(rng: np.random.Generator, n: int, *, shift: float) -> pd.DataFrame:
    """A shop's orders: an amount, a city, a free-text review, a sign-up date written
    month first with no day above 12, and an all-empty 'notes' column."""
    return pd.DataFrame(
        {
            "amount": rng.normal(100 + shift, 20, n).round(2),
            "city": rng.choice(["Paris", "Lyon", "Nice"], n),
            "review": [
                " ".join(rng.choice(WORDS, int(rng.integers(3, 9)))) + f" #{i}" for i in range(n)
            ],
            "signup": [
                f"{m:02d}/{d:02d}/2020"
                for m, d in zip(rng.integers(1, 13, n), rng.integers(1, 13, n), strict=True)
            ],
            "notes": [""] * n,
        }
    )


def _run(args: list[str]) -> tuple[dict, str, str, str]:
    result = CliRunner().invoke(
        cli,
        [*args, "--n-jobs", "1", "--json", "r.json", "--markdown", "r.md", "--html", "r.html"],
        catch_exceptions=False,
    )
    assert result.exit_code in (ExitCode.OK, ExitCode.DRIFT), result.output
    read = [Path(f"r.{ext}").read_text(encoding="utf-8") for ext in ("json", "md", "html")]
    return json.loads(read[0]), read[1], read[2], result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["drift", "train.csv", "test.csv", "--no-remedy", "--n-splits", "3"],
        ["deps", "train.csv", "--n-splits", "3"],
    ],
    ids=["drift", "deps"],
)
def test_warnings_on_reading_columns_go_into_the_reports_once(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    _orders(rng, 300, shift=0).to_csv("train.csv", index=False)
    _orders(rng, 200, shift=5).to_csv("test.csv", index=False)
    document, markdown, page, stderr = _run(command)
    notes = document["reading_notes"]
    [dates] = [n for n in notes if n.startswith("Column(s) ['signup'] read as dates")]
    assert "month first and day first" in dates and "'%m/%d/%Y'" in dates
    [empty] = [n for n in notes if n.startswith("Dropped 1 column(s)") and "['notes']" in n]
    if command[0] == "drift":  # deps says how it scores free text in a warning of its own
        [text] = [n for n in notes if n.startswith("Column(s) ['review'] hold free text")]
        assert "--categorical" in text
    assert len(set(notes)) == len(notes)
    # stderr says each once, as a warning; the report says the same words
    lines = stderr.splitlines()
    for note in notes:
        assert lines.count(f"advval: warning: {note}") == 1
        assert f"- {md_escape(note)}" in markdown.splitlines()
    assert "How the files were read" in page and "month first and day first" in page


def test_other_warnings_stay_out_of_the_reading_notes(tmp_path, monkeypatch):
    """The leak screen's warning is about the result, not the reading: not a note."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(4)
    train = pd.DataFrame({"x": rng.normal(size=200), "row": np.arange(200)})
    test = pd.DataFrame({"x": rng.normal(size=200), "row": np.arange(200, 400)})
    train.to_csv("train.csv", index=False)
    test.to_csv("test.csv", index=False)
    document, _, _, stderr = _run(["drift", "train.csv", "test.csv", "--no-remedy"])
    assert "alone separate train from test" in stderr
    assert "reading_notes" not in document


def _bonus_sides(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """'bonus' is recorded in TRAIN only: every TEST row misses it."""
    train = pd.DataFrame(
        {"amount": rng.normal(100, 20, 300), "bonus": rng.normal(5, 1, 300).round(2)}
    )
    test = pd.DataFrame({"amount": rng.normal(100, 20, 200), "bonus": [np.nan] * 200})
    return train, test


def test_a_column_missing_in_every_test_row_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train, test = _bonus_sides(np.random.default_rng(5))
    train.to_csv("train.csv", index=False)
    test.to_csv("test.csv", index=False)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    document, markdown, page, stderr = _run(
        ["drift", "train.csv", "test.csv", "--no-remedy", "--ci", "github"]
    )
    # the JSON keeps the numbers (a baseline compares them)
    [bonus] = [f for f in document["features"] if f["name"] == "bonus"]
    assert bonus["statistic"] == 0.0 and bonus["p_value"] == 1.0
    # Markdown: the row says what it is, without the misleading distance
    [row] = [line for line in markdown.splitlines() if line.startswith("| 1 | bonus |")]
    assert "| missing in every test row | n/a |" in row and "(KS)" not in row
    [other] = [line for line in markdown.splitlines() if line.startswith("| 2 | amount |")]
    assert "(KS)" in other
    # HTML: the statistic cell and the importance chart's tooltip
    assert "missing in every test row <small></small>" in page
    assert "bonus: importance" in page and "statistic 0.000, adjusted p 1 (" not in page
    assert page.count("missing in every test row") >= 2
    # the CI job summary and annotations
    shown = summary.read_text(encoding="utf-8")
    [line] = [line for line in shown.splitlines() if line.startswith("| bonus |")]
    assert "missing in every test row | n/a" in line
    assert "KS D 0.000" not in stderr


def test_baseline_accept_and_check_on_a_column_missing_in_test(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train, test = _bonus_sides(np.random.default_rng(6))
    train.to_csv("train.csv", index=False)
    test.to_csv("test.csv", index=False)
    _run(["drift", "train.csv", "test.csv", "--no-remedy"])
    runner = CliRunner()
    accepted = runner.invoke(cli, ["baseline", "accept", "r.json", "-o", "base.json"])
    assert accepted.exit_code == ExitCode.OK, accepted.output
    baseline = json.loads(Path("base.json").read_text(encoding="utf-8"))
    [bonus] = [c for c in baseline["columns"] if c["name"] == "bonus"]
    assert bonus["statistic"] == 0.0
    again = runner.invoke(
        cli,
        ["drift", "train.csv", "test.csv", "--no-remedy", "--n-jobs", "1", "--baseline",
         "base.json", "--fail-on-drift", "--format", "json", "-o", "again.json"],
    )  # fmt: skip
    assert again.exit_code == ExitCode.OK, again.output


def _survey(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """A survey export: an all-empty column, 'NA' and 'NULL' strings among answers and
    codes, a category with an empty level."""
    return pd.DataFrame(
        {
            "income": rng.normal(50, 10, n).round(1),
            "comment": [""] * n,
            "answer": rng.choice(["NA", "yes", "no"], n),
            "rooms": rng.choice(["1", "2", "3", "NULL"], n),
            "region": pd.Categorical(rng.choice(["north", "south", ""], n)),
        }
    )


def test_parquet_reads_missing_value_strings_as_the_csv_reader_does(tmp_path):
    from advval.cli._io import read_table

    frame = _survey(np.random.default_rng(7), 120)
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    from_csv = read_table(tmp_path / "t.csv", "TRAIN")
    from_parquet = read_table(tmp_path / "t.parquet", "TRAIN")
    assert list(from_parquet.columns) == list(from_csv.columns)
    # the same cells are missing: every 'comment', and each 'NA', 'NULL' and '' answer
    pd.testing.assert_frame_equal(from_parquet.isna(), from_csv.isna())
    assert bool(from_parquet["comment"].isna().all())
    assert from_parquet["answer"].isna().sum() == (frame["answer"] == "NA").sum() > 0
    # 'rooms' is numbers once 'NULL' is missing, as in the CSV file
    assert from_parquet["rooms"].dtype == np.float64
    np.testing.assert_array_equal(from_parquet["rooms"], from_csv["rooms"])
    assert frame["comment"].eq("").all()  # the frame written is left as it was


def test_one_table_written_as_csv_and_parquet_gives_one_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(8)
    train, test = _survey(rng, 300), _survey(rng, 200)
    reports = {}
    for kind in ("csv", "parquet"):
        for name, frame in (("train", train), ("test", test)):
            path = f"{name}.{kind}"
            frame.to_csv(path, index=False) if kind == "csv" else frame.to_parquet(path)
        reports[kind] = _run(["drift", f"train.{kind}", f"test.{kind}", "--no-remedy"])[0]
    csv, parquet = reports["csv"], reports["parquet"]
    assert parquet["dropped_columns"] == csv["dropped_columns"] == ["comment"]
    assert parquet["drift"] == csv["drift"] and parquet["auc"] == csv["auc"]
    assert [(f["name"], f["kind"], f["statistic"]) for f in parquet["features"]] == [
        (f["name"], f["kind"], f["statistic"]) for f in csv["features"]
    ]


def _visits(rng: np.random.Generator, n: int, written: str) -> pd.DataFrame:
    """Visits: an amount, a city and the visit's date written ``written``."""
    days = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    amount = rng.normal(100, 20, n).round(2)
    return pd.DataFrame(
        {
            "amount": amount,
            "fee": (amount * 0.1 + rng.normal(0, 1, n)).round(2),
            "city": rng.choice(["Paris", "Lyon", "Nice"], n),
            "visit": days.strftime(written),
        }
    )


def test_deps_compare_says_a_date_column_was_written_two_ways(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(9)
    _visits(rng, 600, "%d/%m/%Y").to_csv("train.csv", index=False)
    _visits(rng, 400, "%m/%d/%Y").to_csv("test.csv", index=False)
    document, markdown, page, stderr = _run(
        ["deps", "train.csv", "--compare", "test.csv", "--n-splits", "3"]
    )
    shift = {s["name"]: s for s in document["shift"]}
    visit = shift["visit"]
    # not compared: no score, no marginal p-value, never shifted (it read p < 1e-300)
    assert visit["formats_apart"] == ["%d/%m/%Y", "%m/%d/%Y"]
    assert visit["train_score"] is None and visit["test_score"] is None
    assert visit["marginal_p_value"] is None and not visit["shifted"]
    assert all("formats_apart" not in s for name, s in shift.items() if name != "visit")
    import jsonschema

    from advval.report import json_schema

    jsonschema.validate(document, json_schema("deps"))
    said = "not compared: dates written %d/%m/%Y in DATA, %m/%d/%Y in the comparison"
    [row] = [line for line in markdown.splitlines() if line.startswith("| visit | n/a |")]
    assert f"| n/a | {said} | n/a |" in row
    assert said in page
    [note] = [n for n in document["reading_notes"] if "['visit'] hold dates written" in n]
    assert "is not compared" in note and "compared as categories" not in note
    assert stderr.count("hold dates written one way") == 1


def test_dependency_shift_leaves_a_date_column_written_two_ways_unscored():
    from advval.dependency import dependency_shift
    from advval.exceptions import ReadingWarning

    rng = np.random.default_rng(10)
    train, test = _visits(rng, 400, "%m.%d.%Y"), _visits(rng, 300, "%d.%m.%Y")
    with pytest.warns(ReadingWarning, match=r"\['visit'\] hold dates written one way"):
        table = dependency_shift(train, test, n_jobs=1, random_state=0)
    assert table.attrs["formats_apart"] == {"visit": ("%m.%d.%Y", "%d.%m.%Y")}
    row = table.loc["visit"]
    assert np.isnan(row["train_score"]) and np.isnan(row["marginal_p_value"])
    assert not row["shifted"]
    # the other columns are still scored: fee follows amount on both sides
    assert table.loc["fee", "train_score"] > 0.5 and not table.loc["fee", "shifted"]


def _log(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """A sorted event log: epoch seconds and milliseconds rising with the rows, a shuffled
    epoch column, a row counter, an order id and two measurements."""
    seconds = 1_600_000_000 + np.sort(rng.integers(0, 86_400 * 30, n))
    amount = rng.normal(100, 20, n).round(2)
    return pd.DataFrame(
        {
            "created": seconds,
            "created_ms": seconds * 1000 + rng.integers(0, 1000, n),
            "shuffled": rng.permutation(seconds),
            "row": np.arange(n),
            "order_id": rng.permutation(n) + 10_000,
            "amount": amount,
            "fee": (amount * 0.1 + rng.normal(0, 1, n)).round(2),
        }
    )


def test_epoch_columns_rising_with_the_rows_are_timestamp_like():
    from advval._frames import FrameEncoder
    from advval.dependency._flags import id_like, timestamp_like

    frame = _log(np.random.default_rng(12), 400)
    encoder = FrameEncoder().fit(frame, frame)
    ids = id_like(encoder, frame)
    assert set(ids) == {"created", "created_ms", "shuffled", "row", "order_id"}
    # epoch seconds and milliseconds in row order; not a shuffled epoch, not a row counter
    assert timestamp_like(encoder, frame, ids) == ["created", "created_ms"]
    # falling with the rows: not a log sorted by time
    reversed_ = frame.iloc[::-1].reset_index(drop=True)
    assert timestamp_like(FrameEncoder().fit(reversed_, reversed_), reversed_, ids) == []


def test_deps_calls_an_epoch_timestamp_timestamp_like(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _log(np.random.default_rng(13), 400).to_csv("log.csv", index=False)
    document, markdown, page, stderr = _run(["deps", "log.csv", "--n-splits", "3"])
    assert document["timestamp_like"] == ["created", "created_ms"]
    assert {"created", "created_ms", "order_id"} <= set(document["id_like"])
    lines = markdown.splitlines()
    [ids] = [line for line in lines if line.startswith("**ID-like:**")]
    assert ids == "**ID-like:** shuffled, row, order\\_id."
    [times] = [line for line in lines if line.startswith("**Timestamp-like")]
    assert times.endswith(":** created, created\\_ms.")
    [row] = [line for line in lines if "| created | numeric |" in line]
    assert "timestamp-like" in row and "id-like" not in row
    n_ids = len(document["id_like"])
    assert f"{n_ids} id-like (2 of them timestamps)" in stderr
    assert "Timestamp-like" in page
    import jsonschema

    from advval.report import json_schema

    jsonschema.validate(document, json_schema("deps"))
