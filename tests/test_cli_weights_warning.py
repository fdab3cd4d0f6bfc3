"""advval drift --export-weights: the weighting step's warnings name the user's files and
count scores the user can check in --export-test-likeness."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.cli import ExitCode, cli


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_unsupported_rows_warning_names_files_and_matches_the_export(runner):
    # two columns shifted by 3 sd: many test rows have no training counterpart
    rng = np.random.default_rng(0)

    def frame(shift: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "a": rng.normal(shift, 1.0, 300),
                "b": rng.normal(shift, 1.0, 300),
                "c": rng.normal(0.0, 1.0, 300),
            }
        )

    frame(0.0).to_csv("train.csv", index=False)
    frame(3.0).to_csv("test.csv", index=False)
    result = runner.invoke(
        cli,
        [
            "drift",
            "train.csv",
            "test.csv",
            "--export-test-likeness",
            "likeness.csv",
            "--export-weights",
            "weights.csv",
            "--no-remedy",
            "--n-jobs",
            "1",
            "--seed",
            "0",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    line = next(text for text in result.stderr.splitlines() if "test-likeness above 0.99" in text)
    found = re.search(
        r"(\d+) of 300 rows of TEST file 'test.csv' have a test-likeness above 0.99 by the "
        r"blended score .*by the domain classifier's own out-of-fold scores, (\d+) do\): they "
        r"have almost no counterpart in TRAIN file 'train.csv'.* of 300 rows of TRAIN file "
        r"'train.csv' was clipped",
        line,
    )
    assert found, line
    assert "X_test" not in line and "rows of X " not in line
    likeness = pd.read_csv("likeness.csv")
    test_rows = likeness[(likeness["side"] == "test") & likeness["out_of_fold"]]
    assert len(test_rows) == 300
    assert int(found.group(2)) == int((test_rows["test_likeness"] > 0.99).sum())
    regions = [text for text in result.stderr.splitlines() if "cannot be trusted in" in text]
    assert all("X_test" not in text and "rows of X " not in text for text in regions)
