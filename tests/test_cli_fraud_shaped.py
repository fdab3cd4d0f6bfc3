"""What a very wide, time-split, IEEE-CIS-fraud-shaped table showed the commands doing wrong.

Kaggle's IEEE-CIS fraud data split train from test in time: ``TransactionDT`` counts
seconds from a reference time and ``TransactionID`` numbers the rows in order, so every
test row's values are above every train row's, with a month's gap. The frames here are
small and built in the test, shaped like those columns.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from advval.cli import ExitCode, cli
from advval.cli._split_columns import split_columns

DAY = 86400


def _transactions(
    rng: np.random.Generator, n: int, first_day: float, first_id: int
) -> pd.DataFrame:
    seconds = np.sort(rng.uniform(first_day, first_day + 60, n) * DAY).astype(np.int64)
    seconds[1] = seconds[0]  # two transactions in one second: not a row identifier
    return pd.DataFrame(
        {
            "TransactionID": first_id + np.arange(n),
            "TransactionDT": seconds,
            "TransactionAmt": np.round(rng.lognormal(4, 1, n), 2),
            "card4": rng.choice(["visa", "mastercard"], n),
            "C1": rng.poisson(2, n),
        }
    )


def test_split_columns_are_those_one_side_is_wholly_above() -> None:
    rng = np.random.default_rng(0)
    train, test = _transactions(rng, 300, 1, 2987000), _transactions(rng, 100, 92, 2987400)
    found = split_columns(train, test)
    assert [c.name for c in found] == ["TransactionID", "TransactionDT"]
    assert all(c.test_later for c in found)
    assert found[0].train_edge == "2,987,299" and found[0].test_edge == "2,987,400"
    # the mirror: TEST before TRAIN
    [dt] = [c for c in split_columns(test, train) if c.name == "TransactionDT"]
    assert not dt.test_later and dt.train_edge == f"{test['TransactionDT'].min():,}"
    # one shared value, a flag, text and missing cells: none qualifies
    overlap = test.assign(TransactionDT=test["TransactionDT"].where(test.index > 0, 5 * DAY))
    flag_train = train.assign(isNew=0, year=np.r_[2016, np.full(299, 2017)])
    flag_test = test.assign(isNew=1, year=2018)  # a flag set on one side; a later year
    assert "TransactionDT" not in {c.name for c in split_columns(train, overlap)}
    assert [c.name for c in split_columns(flag_train, flag_test)][2:] == ["year"]
    assert split_columns(train.assign(C1=np.nan), test) == split_columns(train, test)
    dates = split_columns(
        pd.DataFrame({"d": pd.to_datetime(["2017-12-01", "2018-01-05", None])}),
        pd.DataFrame({"d": pd.to_datetime(["2018-07-02", "2018-09-30"])}),
    )
    assert [(c.name, c.train_edge, c.test_edge) for c in dates] == [
        ("d", "2018-01-05 00:00:00", "2018-07-02 00:00:00")
    ]


def test_drift_says_the_files_are_split_in_time_along_the_id_and_the_clock(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(29)
    _transactions(rng, 600, 1, 2987000).to_csv(tmp_path / "train.csv", index=False)
    _transactions(rng, 200, 92, 2987600 + 85000).to_csv(tmp_path / "test.csv", index=False)
    train, test = str(tmp_path / "train.csv"), str(tmp_path / "test.csv")
    base = ["drift", train, test, "--n-jobs", "1", "--no-remedy", "--format", "json", "-o"]
    result = CliRunner().invoke(cli, [*base, str(tmp_path / "a.json")], catch_exceptions=False)
    assert result.exit_code == ExitCode.OK, result.output
    said = [line for line in result.output.splitlines() if "splits the files" in line]
    assert len(said) == 2, result.output
    ids, clock = said
    assert ids.startswith("advval: column 'TransactionID' splits the files: every TEST value")
    assert "(TRAIN up to 2,987,599, TEST from 3,072,600)" in ids
    assert "running row id" in ids and "--id TransactionID leaves it out and keys" in ids
    assert "'TransactionDT'" in clock and "a time or a running number" in clock
    assert "come later" in clock and clock.endswith("--ignore TransactionDT leaves it out")
    # said once: not again as a plain row identifier
    assert "as a row identifier does" not in result.output
    # left out as told, nothing is said
    given = CliRunner().invoke(
        cli,
        [*base, str(tmp_path / "b.json"), "--id", "TransactionID", "--ignore", "TransactionDT"],
        catch_exceptions=False,
    )
    assert given.exit_code == ExitCode.OK and "splits the files" not in given.output


def _days_since(rng: np.random.Generator, n: int, later: bool) -> pd.DataFrame:
    """D1, D4, D10, D15-like counts of days since a date: larger in the later file."""
    shift = 40.0 if later else 0.0
    frame = {f"D{k}": np.round(rng.exponential(60, n) + shift) for k in (1, 4, 10, 15)}
    frame["C1"] = rng.poisson(2, n)  # no drift
    return pd.DataFrame(frame)


def test_drift_says_when_the_remedy_stopped_at_max_drop_and_what_it_left(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(4)
    _days_since(rng, 500, False).to_csv(tmp_path / "train.csv", index=False)
    _days_since(rng, 250, True).to_csv(tmp_path / "test.csv", index=False)
    args = ["drift", str(tmp_path / "train.csv"), str(tmp_path / "test.csv"), "--n-jobs", "1"]
    out = ["--format", "json", "-o", str(tmp_path / "r.json")]
    result = CliRunner().invoke(cli, [*args, "--max-drop", "1", *out], catch_exceptions=False)
    assert result.exit_code == ExitCode.OK, result.output
    [said] = [line for line in result.output.splitlines() if "stopped at its budget" in line]
    remedy = json.loads((tmp_path / "r.json").read_text())["remedy"]["path"]
    [dropped] = remedy[0]["dropped"]
    left = [c for c in ("D1", "D4", "D10", "D15") if c != dropped]
    assert f"--max-drop 1 columns with drift left (AUC {remedy[-1]['auc']:.3f} " in said
    assert "without the 1 dropped)" in said
    named = said.split("flagged on their own, ")[1].split(". --max-drop")[0].split(", ")
    assert sorted(named) == sorted(left)  # the three it did not reach, none it dropped
    assert said.endswith(f"--max-drop {1 + len(left)} lets it try them (one more check each)")
    # a budget large enough: the remedy ends on the data, nothing is said
    enough = CliRunner().invoke(cli, [*args, "--max-drop", "4", *out], catch_exceptions=False)
    assert enough.exit_code == ExitCode.OK and "stopped at its budget" not in enough.output


def _v_blocks(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """V columns in blocks missing together; within a block, counts on disjoint rows."""
    frame = {}
    for block in range(3):
        missing = rng.random(n) < (0.3, 0.6, 0.85)[block]
        owner = rng.integers(0, 4, n)  # which column of the block is non-zero
        for k in range(4):
            values = np.where(owner == k, rng.poisson(3, n) + 1, 0).astype(float)
            values[missing] = np.nan
            frame[f"V{4 * block + k + 1}"] = values
    frame["C1"] = np.nan_to_num(frame["V1"]) * 2 + rng.poisson(1, n)
    return pd.DataFrame(frame)


def test_deps_models_are_the_same_without_column_bundling(monkeypatch) -> None:  # noqa: ANN001
    """The design's Dataset no longer bundles exclusive columns (LightGBM failed on a
    subset of a bundled one, 433 columns wide); the models are the same where both train."""
    from advval import FeatureDependencyChecker
    from advval.dependency import _fitting

    frame = _v_blocks(np.random.default_rng(5), 3000)
    scores = {}
    for bundle in (True, False):
        monkeypatch.setattr(_fitting, "BUNDLE_COLUMNS", bundle)
        checker = FeatureDependencyChecker(random_state=0, n_jobs=1).fit(frame)
        scores[bundle] = checker.scores_
    pd.testing.assert_frame_equal(scores[True], scores[False])
    assert scores[False].loc["C1", "score"] > 0.5  # C1 follows V1: a real model was fitted
