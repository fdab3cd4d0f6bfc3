"""Numbers written for people in the input files: money, percentages, thousands
separators, units; markers and sentinels for missing values; repeated header names; a
column only the test file has.

A Kaggle export writes ``$1,234.50`` and ``12.5%``. Read as strings, such a column has a
level per row: a shift of its values goes unseen (the drift check compares levels) and a
model trained on the numbers cannot be attacked on it. The commands read these columns as
numbers and say so; the near misses (numbers but for ``?`` and ``-``, a -999) are named on
stderr with the ``--na-values`` that reads them as missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.cli import ExitCode, cli
from advval.cli._numbers import decoration, number_markers, parse, read_numbers, sentinel


def _money(values: np.ndarray) -> list[str]:
    return [f"${v:,.2f}" for v in values]


def _side(rng: np.random.Generator, n: int, *, test: bool) -> pd.DataFrame:
    income = rng.lognormal(10.3, 0.4, n) * (1.15 if test else 1.0)  # a 15% raise in test
    age = rng.normal(40, 10, n).round(1).astype(str)
    age[rng.random(n) < 0.05] = "?"
    age[rng.random(n) < 0.05] = "-"
    months = rng.integers(0, 400, n)
    months[rng.random(n) < 0.05] = -999
    return pd.DataFrame(
        {
            "income": _money(income),
            "share": [f"{v:.1f}%" for v in rng.uniform(0, 40, n)],
            "weight": [f"{v:.0f} kg" for v in rng.normal(75, 10, n)],
            "age": age,
            "months": months,
            "score": rng.normal(0, 1, n).round(3),
        }
    )


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    train, test = _side(rng, 1500, test=False), _side(rng, 1500, test=True)
    train["y"] = rng.choice(["yes", "no"], len(train))
    train.to_csv("train.csv", index=False, lineterminator="\r\n")
    test.to_csv("test.csv", index=False, lineterminator="\r\n")
    return train, test


def test_decorated_numbers_read_as_numbers():
    assert parse(money := pd.Series(["$1,234.50", "-$7", None]), decoration(money)).tolist()[
        :2
    ] == [1234.5, -7.0]
    percent = pd.Series(["12%", "0.5%", "100%"])
    assert parse(percent, decoration(percent)).tolist() == [12.0, 0.5, 100.0]
    grouped = pd.Series(["1,234,567", "12", "999"])
    assert parse(grouped, decoration(grouped)).tolist() == [1234567.0, 12.0, 999.0]
    units = pd.Series(["72 kg", "8kg", " 100 kg "])
    assert parse(units, decoration(units)).tolist() == [72.0, 8.0, 100.0]


@pytest.mark.parametrize(
    "values",
    [
        ["02134", "10001"],  # codes: plain digits stay text
        ["$12", "€13"],  # two currencies
        ["12 kg", "13 lb"],  # two units
        ["1,5", "2,25"],  # decimal commas: not thousands groups
        ["12", "3.4", "unknown"],  # a marker: the near miss, not read
        ["1.2.3", "1.2.4"],  # versions
        ["2021-01-02", "2021-01-03"],  # dates
        ["CUST-0001", "CUST-0002"],  # ids
        pd.Series([1, "$2"], dtype=object),  # numbers and strings mixed in one column
        pd.Series([True, False]),
    ],
)
def test_other_strings_are_left_alone(values):
    assert decoration(pd.Series(values)) is None


def test_a_column_is_read_as_numbers_on_both_sides_or_on_neither():
    train = pd.DataFrame({"fee": ["$1,200", "$35.50"], "cost": ["$1", "$2"]})
    test = pd.DataFrame({"fee": [20, 30], "cost": ["$3", "unknown"]})
    (new_train, new_test), found = read_numbers([train, test])
    assert list(found) == ["fee"]
    assert new_train["fee"].tolist() == [1200.0, 35.5] and new_test["fee"].tolist() == [20, 30]
    # 'unknown' in test: both sides keep their text, so both have one kind
    assert new_train["cost"].tolist() == ["$1", "$2"]
    assert train["fee"].tolist() == ["$1,200", "$35.50"]  # the input is not modified


def test_markers_and_sentinels_are_found_and_ordinary_columns_are_not():
    numbers = [str(i / 4) for i in range(20)]
    assert number_markers(pd.Series([*numbers, "?", "?", "-"])) == ["?", "-"]
    assert number_markers(pd.Series([*numbers[:5], "?", "?", "-"])) == []  # too many
    assert number_markers(pd.Series(["a", "b", "1"])) == []  # mostly words
    assert sentinel(pd.Series([0, 5, 540, -999] * 50)) == -999.0
    assert sentinel(pd.Series([9999.0, 12.0, 30.0] * 50)) == 9999.0
    assert sentinel(pd.Series([-999.0, -800.0, 10.0] * 50)) is None  # a real range
    assert sentinel(pd.Series(np.arange(-1000, 1000))) is None  # -999 is not frequent
    assert sentinel(pd.Series([True, False])) is None


def test_drift_sees_a_shift_in_money_written_as_text(files):
    result = CliRunner().invoke(
        cli,
        [
            "drift", "train.csv", "test.csv", "--target", "y", "--no-remedy", "--n-jobs", "1",
            "--json", "r.json",
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    kinds = {f["name"]: f["kind"] for f in report["features"]}
    assert kinds["income"] == kinds["share"] == kinds["weight"] == "numeric"
    drifting = {f["name"] for f in report["features"] if f["drift"]}
    assert "income" in drifting  # the 15% raise, seen as numbers (as levels it was not)
    assert drifting <= {"income"}
    stderr = result.stderr
    assert "read column(s) 'income' (" in stderr and "money ($)" in stderr
    assert "--categorical to keep it as text" in stderr
    assert "'age' holds numbers but for the value(s) '-', '?'" in stderr or (
        "'age' holds numbers but for the value(s) '?', '-'" in stderr
    )
    assert "--na-values '?'" in stderr
    assert "'months' holds -999 in" in stderr and "--na-values -999" in stderr


def test_categorical_keeps_a_decorated_column_as_text(files):
    result = CliRunner().invoke(
        cli,
        [
            "drift", "train.csv", "test.csv", "--target", "y", "--no-remedy", "--n-jobs", "1",
            "--categorical", "share", "--json", "r.json", "--quiet",
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    kinds = {f["name"]: f["kind"] for f in report["features"]}
    assert kinds["share"] == "categorical" and kinds["income"] == "numeric"


def test_markers_named_by_na_values_make_the_column_numbers(files):
    result = CliRunner().invoke(
        cli,
        [
            "drift", "train.csv", "test.csv", "--target", "y", "--no-remedy", "--n-jobs", "1",
            "--na-values", "?", "--na-values", "-", "--na-values", "-999", "--json", "r.json",
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    assert {f["name"]: f["kind"] for f in report["features"]}["age"] == "numeric"
    assert "'age' holds numbers" not in result.stderr
    assert "'months' holds -999" not in result.stderr


def test_a_column_only_test_has_is_named_with_the_option_that_leaves_it_out(files):
    train, test = files
    test.assign(extra=1).to_csv("test.csv", index=False)
    args = ["drift", "train.csv", "test.csv", "--target", "y", "--no-remedy", "--quiet"]
    result = CliRunner().invoke(cli, [*args, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "['extra'] are in TEST file 'test.csv' but not in TRAIN file" in result.stderr
    assert "--ignore extra leaves them out" in result.stderr
    # deps --compare: the same column can be left out there too (it was refused: not in DATA)
    result = CliRunner().invoke(
        cli,
        ["deps", "train.csv", "--compare", "test.csv", "--target", "y", "--quiet"],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "A column only TEST has is left out with --ignore extra." in result.stderr
    result = CliRunner().invoke(
        cli,
        [
            "deps", "train.csv", "--compare", "test.csv", "--target", "y", "--ignore", "extra",
            "--quiet", "--format", "json", "-o", "d.json",
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code in (ExitCode.OK, ExitCode.DRIFT), result.output
    assert "extra" not in Path("d.json").read_text(encoding="utf-8")


def test_a_repeated_header_name_is_said(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    header = "score,score,a\r\n"
    rows = "".join(f"{x:.3f},{z:.3f},{k}\r\n" for x, z, k in rng.normal(0, 1, (300, 3)))
    Path("train.csv").write_text(header + rows, encoding="latin-1")
    Path("test.csv").write_text(header + rows, encoding="latin-1")
    result = CliRunner().invoke(
        cli,
        ["drift", "train.csv", "test.csv", "--no-remedy", "--format", "json", "-o", "r.json"],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    assert (
        "TRAIN file 'train.csv' has several columns named 'score': they are read as "
        "'score.1' (the first keeps its name)"
    ) in result.stderr


def test_attack_reads_money_as_the_numbers_the_model_was_trained_on(tmp_path, monkeypatch):
    import lightgbm as lgb

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(1)
    n = 300
    income = rng.lognormal(10, 0.5, n).round(2)
    share = rng.uniform(0, 40, n).round(1)
    label = (income > np.median(income)).astype(int)
    features = pd.DataFrame({"income": income, "share": share})
    booster = lgb.train(
        {"objective": "binary", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5},
        lgb.Dataset(features, label),
        num_boost_round=5,
    )
    booster.save_model("model.txt")
    data = pd.DataFrame(
        {"income": _money(income), "share": [f"{v:.1f}%" for v in share], "y": label}
    )
    data.to_csv("data.csv", index=False)
    result = CliRunner().invoke(
        cli,
        [
            "attack", "model.txt", "data.csv", "--target", "y", "--attack", "tree",
            "--max-rows", str(n), "--max-queries", "20", "--json", "a.json",
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    report = json.loads(Path("a.json").read_text(encoding="utf-8"))
    # the model's answers on DATA are its answers on the numbers it was fitted on
    assert report["n_samples"] == n
    assert report["clean_accuracy"] == pytest.approx(
        np.mean((booster.predict(features) > 0.5) == label)
    )
    assert "read column(s) 'income'" in result.stderr


def test_attack_says_how_word_labels_map_to_class_indices(tmp_path, monkeypatch):
    # a Kaggle label is 'yes' / 'no'; a LightGBM text model knows only the indices 0 and 1
    import lightgbm as lgb

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, 200)
    booster = lgb.train(
        {"objective": "binary", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5},
        lgb.Dataset(pd.DataFrame({"x": x}), (x > 0).astype(int)),
        num_boost_round=3,
    )
    booster.save_model("model.txt")
    pd.DataFrame({"x": x, "y": np.where(x > 0, "yes", "no")}).to_csv("data.csv", index=False)
    result = CliRunner().invoke(
        cli,
        ["attack", "model.txt", "data.csv", "--target", "y", "--quiet", "--format", "json"],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "must be the class indices 0..1; write them as the model's training did" in (
        result.stderr
    )
    assert "'no' -> 0, 'yes' -> 1" in result.stderr


def test_parquet_strings_and_na_values_read_as_in_a_csv(tmp_path, monkeypatch):
    # a Parquet export keeps '?' as a string and -999 as a number; --na-values reads them
    # as missing there too (it used to apply to CSV inputs only); 'NA' is missing in a
    # Parquet file as in a CSV file, without being named
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(4)
    for name, shift in (("train", 0.0), ("test", 0.5)):
        n = 800
        age = (rng.normal(40, 10, n) + 10 * shift).round(1).astype(str).astype(object)
        age[rng.random(n) < 0.05] = "NA"
        age[rng.random(n) < 0.05] = "?"
        months = rng.integers(0, 400, n)
        months[rng.random(n) < 0.05] = -999
        pd.DataFrame(
            {"age": age, "months": months, "fee": _money(rng.lognormal(5, 1, n))}
        ).to_parquet(f"{name}.parquet")
    args = ["drift", "train.parquet", "test.parquet", "--no-remedy", "--n-jobs", "1"]
    result = CliRunner().invoke(cli, [*args, "--json", "a.json"], catch_exceptions=False)
    assert result.exit_code in (ExitCode.OK, ExitCode.DRIFT), result.output
    assert "'age' holds numbers but for the value(s) " in result.stderr
    assert "--na-values '?'" in result.stderr and "--na-values NA" not in result.stderr
    assert "'months' holds -999" in result.stderr
    report = json.loads(Path("a.json").read_text(encoding="utf-8"))
    assert {f["name"]: f["kind"] for f in report["features"]} == {
        "age": "categorical", "months": "numeric", "fee": "numeric",
    }  # fmt: skip
    na = ["--na-values", "NA", "--na-values", "?", "--na-values", "-999"]
    result = CliRunner().invoke(cli, [*args, *na, "--json", "b.json"], catch_exceptions=False)
    assert result.exit_code in (ExitCode.OK, ExitCode.DRIFT), result.output
    report = json.loads(Path("b.json").read_text(encoding="utf-8"))
    facts = {f["name"]: f for f in report["features"]}
    assert facts["age"]["kind"] == "numeric"
    assert "holds" not in result.stderr
    # the age shift of 5 years is seen once age is numbers
    assert facts["age"]["drift"]


def test_a_segment_threshold_on_money_reads_with_separators():
    # the segment rules of the money column read 'income > 20,680', not 'income > 2.068e+04'
    from advval.drift._segments import _range_text

    assert _range_text("income", 20680.4, None, kind="numeric", feature="") == (
        "income > 20,680"
    )
    assert _range_text("x", -1234567.0, 0.5, kind="numeric", feature="") == (
        "-1,235,000 < x <= 0.5"
    )
    assert _range_text("x", None, 1234.5, kind="numeric", feature="") == "x <= 1234"
    assert _range_text("x", None, 2.5e20, kind="numeric", feature="") == "x <= 2.5e+20"
