"""Each note and warning of a command run is printed once, in the user's terms.

``advval drift`` with exports fits the validator a second time without the leak-like
columns, on the same rows: its row-budget note and its warnings about the data said
nothing new, and were printed again (the warnings calling the files ``X_train`` and
``X_test``).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval._progress import note, progress_display
from advval.cli import ExitCode, cli

N_TRAIN, N_TEST = 600, 300


def _side(rng: np.random.Generator, n: int, *, test: bool) -> pd.DataFrame:
    days = pd.Timestamp("2021-07-01" if test else "2021-01-01") + pd.to_timedelta(
        rng.integers(0, 150, n), unit="D"
    )
    a = rng.normal(0.5 if test else 0.0, 1.0, n)
    frame = pd.DataFrame(
        {
            "row id": np.arange(n) + (10_000 if test else 0),
            # written two ways: separates the sides alone (a leak-like column)
            "signup date": days.strftime("%m/%d/%Y" if test else "%Y-%m-%d"),
            "a": a.round(3),
            "b": (2 * a + rng.normal(0, 0.3, n)).round(3),
            "c": rng.integers(0, 5, n),
            "all missing": np.nan,
            "constant": 7,
        }
    )
    frame.loc[rng.random(n) < 0.1, "a"] = np.nan
    return frame


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    _side(rng, N_TRAIN, test=False).to_csv("train.csv", index=False)
    _side(rng, N_TEST, test=True).to_csv("test.csv", index=False)


def test_a_drift_run_with_a_refit_says_each_thing_once(files):
    result = CliRunner().invoke(
        cli,
        [
            "drift", "train.csv", "test.csv", "--id", "row id", "--no-remedy", "--n-jobs",
            "1", "--max-rows", "500", "--export-weights", "w.csv", "--export-test-likeness",
            "t.csv", "--json", "r.json",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    lines = result.stderr.splitlines()
    refit = "advval: fitting again without the leak-like columns, for the exports"
    assert refit in lines  # the refit ran
    budget = [x for x in lines if "the domain classifier uses 500 of them" in x]
    assert len(budget) == 1, lines
    said = [x for x in lines if x.startswith("advval: warning:") or "rows given" in x]
    assert len(said) >= 3 and len(said) == len(set(said)), said
    dropped = [x for x in said if "all missing" in x]
    assert len(dropped) == 1 and "TRAIN file 'train.csv'" in dropped[0], said
    assert "X_train" not in result.stderr and "X_test" not in result.stderr


def test_a_note_is_printed_once_per_display():
    stream = io.StringIO()
    with progress_display(enabled=True, stream=stream):
        assert note("advval: 9 rows given")
        assert note("advval: 9 rows given")  # shown already: still True, not printed
        assert note("advval: other")
    assert stream.getvalue().splitlines() == ["advval: 9 rows given", "advval: other"]
    assert not note("advval: 9 rows given")  # no display open
