"""Real-shaped (Kaggle-like) files end to end through ``advval drift``.

The files are what a competition hands out, not a tidy frame: ``;``-separated with a
byte-order mark, odd column names (spaces, a dollar sign, unicode, dots, a colon), a date
column written one way in train and another in test (so it separates the sides on its
own: a leak-like column), free text, a code with hundreds of levels, holes, a column that
is empty in test, and a row identifier. The exports must keep every row and its id, the
weights must average 1 over the train rows, and the progress lines must say what the long
steps after the check are (the refit without the leak-like columns, the weighting).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.cli import ExitCode, cli

N_TRAIN, N_TEST = 500, 250
ID = "row id"


def _side(rng: np.random.Generator, n: int, first_id: int, *, test: bool) -> pd.DataFrame:
    words = np.array(["red", "cat", "runs", "far", "blue", "dog", "sleeps", "near", "old", "new"])
    days = pd.Timestamp("2021-07-01" if test else "2021-01-01") + pd.to_timedelta(
        rng.integers(0, 150, n), unit="D"
    )
    frame = pd.DataFrame(
        {
            ID: np.arange(first_id, first_id + n),
            # the same dates written two ways: no one format reads both sides
            "signup date": days.strftime("%m/%d/%Y" if test else "%Y-%m-%d"),
            "Title": [" ".join(rng.choice(words, 5)) + f" {k}" for k in range(n)],
            "code": [f"C{k}" for k in rng.integers(0, 300, n)],
            "budget $": rng.normal(1.0 if test else 0.0, 1.0, n).round(3),
            "Genre: Action": rng.integers(0, 2, n),
            "Comédie": rng.integers(0, 2, n),
            "r1.pct": rng.uniform(0, 50, n).round(1),
            "box office": np.nan if test else rng.lognormal(3, 1, n).round(1),
        }
    )
    holes = rng.random(n) < 0.1
    frame.loc[holes, "budget $"] = np.nan
    frame.loc[rng.random(n) < 0.05, "code"] = np.nan
    if not test:
        frame["y"] = rng.integers(0, 2, n)
    return frame


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    train = _side(rng, N_TRAIN, 1, test=False)
    test = _side(rng, N_TEST, N_TRAIN + 1, test=True)
    train.to_csv("train.csv", sep=";", index=False, encoding="utf-8-sig")
    test.to_csv("test.csv", sep=";", index=False, encoding="utf-8-sig")
    return train, test


def test_drift_exports_on_a_real_shaped_table(files):
    train, test = files
    result = CliRunner().invoke(
        cli,
        [
            "drift", "train.csv", "test.csv", "--target", "y", "--id", ID, "--no-remedy",
            "--n-jobs", "1", "--export-weights", "w.csv", "--export-test-likeness", "t.csv",
            "--json", "r.json", "--markdown", "r.md",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    # the dates written two ways, and the column empty in test, separate the sides alone
    assert report["leaks"] == ["signup date", "box office"]
    assert report["n_train"] == N_TRAIN and report["n_test"] == N_TEST

    # the long steps after the check are named, the refit's own stages under its name
    lines = result.stderr.splitlines()
    refit = "advval: fitting again without the leak-like columns, for the exports"
    assert f"{refit} > screening columns" in lines
    assert f"{refit} > fitting domain classifier" in lines
    assert f"advval: weighting {N_TRAIN:,} train rows" in lines

    # every train row weighted once, in file order, with its id; the weights average 1
    weights = pd.read_csv("w.csv")
    assert list(weights.columns) == ["side", "row", ID, "weight"]
    assert (weights["side"] == "train").all()
    assert weights["row"].tolist() == list(range(N_TRAIN))
    assert weights[ID].tolist() == train[ID].tolist()
    assert weights["weight"].gt(0).all()
    assert weights["weight"].mean() == pytest.approx(1.0, abs=1e-4)

    # every row of both files scored once, with its id
    likeness = pd.read_csv("t.csv")
    assert len(likeness) == N_TRAIN + N_TEST
    assert likeness[ID].tolist() == [*train[ID], *test[ID]]
    assert likeness["test_likeness"].between(0, 1).all()

    # the Markdown names the odd columns as they are, and its facts table says which side
    # a level is new on, its counts with thousands separators
    markdown = Path("r.md").read_text(encoding="utf-8")
    for name in ("budget $", "Comédie", "box office"):
        assert name in markdown
    assert "| levels new in test (test rows) | levels gone from test (train rows) |" in markdown
    assert "unseen in test" not in markdown
    from advval.report._facts_text import _levels_text

    assert _levels_text(19063, 1.0) == "19,063 (100%)"
    for bad in ("nan", "inf", "X_train", "X_test"):
        assert f" {bad} " not in markdown.replace("|", " ")


def test_deps_compare_says_how_to_leave_out_the_label_only_train_has(files):
    # a competition's test file has no label: the column mismatch says what to pass
    result = CliRunner().invoke(
        cli, ["deps", "train.csv", "--compare", "test.csv", "--quiet"], catch_exceptions=False
    )
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "missing in TEST file 'test.csv': ['y']" in result.stderr
    assert "--ignore y (or named with --target y" in result.stderr


def test_attack_reads_a_lightgbm_model_whose_names_had_spaces(tmp_path, monkeypatch):
    # LightGBM saves 'origin name' as 'origin_name': DATA keeps the names it was fitted on
    import lightgbm as lgb

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "dep delay (min)": rng.normal(0, 10, n).round(1),
            "origin name": rng.choice(["La Guardia", "John F Kennedy Intl", "Newark"], n),
            "r1.pct": rng.uniform(0, 50, n).round(1),
        }
    )
    frame.loc[rng.random(n) < 0.1, "dep delay (min)"] = np.nan
    frame["y"] = ((frame["dep delay (min)"].fillna(0) > 0) ^ (frame["origin name"] == "Newark"))
    frame["y"] = frame["y"].astype(int)
    features = frame.drop(columns="y").astype({"origin name": "category"})
    booster = lgb.train(
        {"objective": "binary", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5},
        lgb.Dataset(features, frame["y"]),
        num_boost_round=10,
    )
    booster.save_model("model.txt")
    assert "origin_name" in lgb.Booster(model_file="model.txt").feature_name()
    frame.to_csv("data.csv", index=False)
    result = CliRunner().invoke(
        cli,
        [
            "attack", "model.txt", "data.csv", "--target", "y", "--attack", "tree",
            "--max-rows", str(n), "--max-queries", "20", "--quiet", "--json", "a.json",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    report = json.loads(Path("a.json").read_text(encoding="utf-8"))
    assert report["n_samples"] == n
    # the model's answers on DATA are its answers on the frame it was fitted on
    assert report["clean_accuracy"] == pytest.approx(
        np.mean((booster.predict(features) > 0.5) == frame["y"])
    )


def test_attack_tables_write_both_query_counts_with_separators():
    # the flights attack's table read '1000 / 1,000' (queries median / max)
    from advval.report._robustness import format_queries

    assert format_queries(1000.0, 1000) == "1,000 / 1,000"
    assert format_queries(12345.5, 20000) == "12,345.5 / 20,000"
    assert format_queries(17.0, 20) == "17 / 20"
    assert format_queries(float("nan"), 0) == "n/a / 0"


def test_diff_of_a_wide_table_names_a_few_reasons_and_counts_the_rest(tmp_path, monkeypatch):
    # 'advval diff' of deps reports on the 127-column flights table: 24 columns started
    # shifting, and the headline listed all 24 (a 900-character terminal line)
    monkeypatch.chdir(tmp_path)
    names = [f"feature {k}" for k in range(24)]
    old = {"kind": "deps", "features": [{"name": n, "score": 0.1} for n in names]}
    new = {
        **old,
        "shift": [{"name": n, "shifted": True, "drop": 0.1 + k / 100} for k, n in enumerate(names)],
    }
    Path("old.json").write_text(json.dumps(old), encoding="utf-8")
    Path("new.json").write_text(json.dumps(new), encoding="utf-8")
    result = CliRunner().invoke(cli, ["diff", "old.json", "new.json"])
    assert result.exit_code == ExitCode.OK, result.output
    worse = [x for x in result.stdout.splitlines() if x.startswith("Worse: feature")]
    assert len(worse) == 1
    assert worse[0].count("started shifting") == 5 and worse[0].endswith("; and 19 more.")
    line = next(x for x in result.stderr.splitlines() if x.startswith("advval: diff (dep"))
    assert line.count("started shifting") == 5 and line.endswith("; and 19 more")
    # the table and the JSON still list every one
    assert result.stdout.count("**started shifting**") == 24
    as_json = CliRunner().invoke(cli, ["diff", "old.json", "new.json", "--format", "json"])
    assert len(json.loads(as_json.stdout)["reasons"]) == 24


def test_deps_terminal_line_quotes_a_name_with_a_trailing_space():
    # the movies table's 'Votes' and 'Votes ' (log votes) both redundant: told apart
    from advval.report._dependency import redundant_line
    from advval.results._dependency import DependencyReport, FeatureDependency

    features = tuple(
        FeatureDependency(name, "numeric", 0.98, 1e-9, True, True, False, False, ("r1.pct",),
                          score_low=0.977, score_high=0.984)
        for name in ("Votes ", "Votes")
    )
    report = DependencyReport(10, 2, features, ("Votes ", "Votes"), None, (), (), (), {}, "0")
    assert redundant_line(report) == (
        "redundant (score [95% interval]): 'Votes ' 0.980 [0.977, 0.984], "
        "Votes 0.980 [0.977, 0.984]"
    )
