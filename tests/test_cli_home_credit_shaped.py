"""What a wide, Home-Credit-shaped table showed the commands doing wrong.

Kaggle's Home Credit ``application_train.csv`` counts days back as negative numbers
(``DAYS_BIRTH``, ``DAYS_EMPLOYED``) and writes 365243 (a thousand years) in
``DAYS_EMPLOYED`` for about 18% of the applicants, those not employed. The frames here are
small and built in the test, shaped like those columns.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.attacks import FeatureSpace
from advval.attacks.evaluate._majority import majority_class_message
from advval.cli import ExitCode, cli
from advval.cli._attack import units_without_sentinels
from advval.cli._numbers import sentinel
from advval.report import RemedyStep, render_dependency_markdown
from advval.report._dependency import MARKDOWN_TOP_SHIFT, near_duplicate_groups
from advval.report._markdown import remedy_summary
from advval.results import DependencyReport, DependencyShift

NOT_EMPLOYED = 365243


def _days_employed(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    days = -(rng.exponential(2200, n).astype(int) + 1)
    days[rng.random(n) < share] = NOT_EMPLOYED
    return days


def test_a_lone_number_of_the_other_sign_far_out_is_a_sentinel() -> None:
    rng = np.random.default_rng(0)
    assert sentinel(pd.Series(_days_employed(rng, 2000, 0.18))) == NOT_EMPLOYED
    # the mirror: a count of days ahead with one far negative marker
    ahead = np.abs(_days_employed(rng, 2000, 0.0)).astype(float)
    ahead[:50] = -77777.0
    assert sentinel(pd.Series(ahead)) == -77777.0


@pytest.mark.parametrize(
    "values",
    [
        [0, 1, 1, 0] * 50,  # a flag
        [-1, 1] * 50,  # a sign
        [-300, -20, -5, 250] * 50,  # the positive value within reach of the others
        [-300, -20, -5, 900, 1200] * 50,  # two positive values: a real range
        list(range(-2000, 0)) + [5000],  # one row in 2,001: not frequent
        [0, 0, 0, 5000] * 50,  # nothing else is non-zero
    ],
)
def test_ordinary_columns_hold_no_sentinel(values: list[int]) -> None:
    assert sentinel(pd.Series(values)) is None


def test_drift_notes_the_days_employed_sentinel_in_its_reports(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    for name, n in (("train.csv", 400), ("test.csv", 200)):
        pd.DataFrame(
            {
                "DAYS_BIRTH": -rng.integers(20 * 365, 69 * 365, n),
                "DAYS_EMPLOYED": _days_employed(rng, n, 0.18),
                "EXT_SOURCE_2": rng.uniform(0, 1, n).round(6),
            }
        ).to_csv(tmp_path / name, index=False)
    result = CliRunner().invoke(
        cli,
        [
            "drift",
            str(tmp_path / "train.csv"),
            str(tmp_path / "test.csv"),
            "--n-jobs",
            "1",
            "--no-remedy",
            "--json",
            str(tmp_path / "r.json"),
            "--markdown",
            str(tmp_path / "r.md"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    notes = json.loads((tmp_path / "r.json").read_text())["reading_notes"]
    [note] = [n for n in notes if "DAYS_EMPLOYED" in n]
    assert "365243" in note and "--na-values 365243" in note
    assert "--na-values 365243" in (tmp_path / "r.md").read_text()


def test_near_duplicate_pairs_join_into_groups() -> None:
    pairs = [("a", "b"), ("c", "d"), ("b", "c"), ("a", "d"), ("x", "y")]
    assert near_duplicate_groups(pairs) == [("a", "b", "c", "d"), ("x", "y")]
    assert near_duplicate_groups([]) == []


def _building_block(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Two building statistics written three ways (``_AVG``, ``_MODE``, ``_MEDI``), missing
    together in about 60% of the rows, beside two ordinary columns."""
    missing = rng.random(n) < 0.6
    columns: dict[str, np.ndarray] = {"AMT_INCOME_TOTAL": rng.lognormal(11.8, 0.5, n).round()}
    for stat in ("APARTMENTS", "FLOORSMAX"):
        value = rng.beta(2, 8, n)
        for suffix, noise in (("AVG", 0.0), ("MODE", 0.01), ("MEDI", 0.004)):
            written = (value + rng.normal(0, noise, n)).clip(0, 1).round(4)
            columns[f"{stat}_{suffix}"] = np.where(missing, np.nan, written)
    columns["EXT_SOURCE_2"] = rng.uniform(0, 1, n).round(6)
    return pd.DataFrame(columns)


def test_deps_reports_each_block_written_three_ways_once(tmp_path: Path) -> None:
    _building_block(np.random.default_rng(5), 1500).to_csv(tmp_path / "train.csv", index=False)
    result = CliRunner().invoke(
        cli,
        [
            "deps",
            str(tmp_path / "train.csv"),
            "--n-jobs",
            "1",
            "--json",
            str(tmp_path / "r.json"),
            "--markdown",
            str(tmp_path / "r.md"),
            "--html",
            str(tmp_path / "r.html"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert len(report["near_duplicates"]) == 6  # the JSON keeps every pair
    markdown = (tmp_path / "r.md").read_text()
    assert "**Near-duplicate groups (6 pairs):** APARTMENTS\\_AVG ≈ APARTMENTS\\_MODE ≈ " in (
        markdown
    )
    [groups] = [line for line in markdown.splitlines() if line.startswith("**Near-duplicate")]
    assert groups.count("FLOORSMAX\\_MODE") == 1  # once, not in three pairs
    redundant = [line for line in markdown.splitlines() if line.startswith("**Redundant")]
    assert redundant and "6 of them are in 2 near-duplicate groups" in redundant[0]
    assert "keep one column of each group" in redundant[0]
    assert "6 near-duplicate pairs (in 2 groups)" in result.output
    page = (tmp_path / "r.html").read_text()
    assert "Near-duplicate groups" in page and "6 of them are in 2 near-duplicate groups" in page


def _remedy(*steps: RemedyStep) -> SimpleNamespace:
    return SimpleNamespace(remedy=steps)


def test_a_remedy_that_leaves_drift_points_to_weighting_and_names_its_cost() -> None:
    # a wide table's change of population: five columns dropped, drift left, the third
    # of them the target's best predictor
    left = _remedy(
        RemedyStep(122, 0.681, (0.673, 0.690), True, ("NAME_EDUCATION_TYPE",), 0.037),
        RemedyStep(121, 0.663, (0.654, 0.671), True, ("EXT_SOURCE_3",), 0.138),
        RemedyStep(120, 0.650, (0.641, 0.659), True, (), None),
    )
    text = remedy_summary(left)
    assert text.startswith("Dropping 2 columns (NAME_EDUCATION_TYPE, EXT_SOURCE_3)")
    assert "drift remains" in text and "--export-weights" in text
    assert "--export-test-likeness" in text
    assert text.endswith("carry 18% of the signal for y.")  # 0.037 + 0.138
    without_y = _remedy(
        RemedyStep(3, 0.7, (0.68, 0.72), True, ("a",), None),
        RemedyStep(2, 0.65, (0.63, 0.67), True, (), None),
    )
    assert "signal" not in remedy_summary(without_y)
    gone = _remedy(
        RemedyStep(3, 0.8, (0.78, 0.82), True, ("a",), 0.2),
        RemedyStep(2, 0.51, (0.49, 0.53), False, (), None),
    )
    assert remedy_summary(gone) == (
        "Dropping 1 column (a) brings the AUC from 0.800 to 0.510; no drift remains."
    )


def _shift_report(n_columns: int) -> DependencyReport:
    """A comparison of ``n_columns`` columns where the last two changed their relations."""
    rows = tuple(
        DependencyShift(
            f"FLAG_DOCUMENT_{k}",
            0.9,
            0.9 - (0.3 if k >= n_columns - 2 else 0.001 * k),
            0.3 if k >= n_columns - 2 else 0.001 * k,
            1e-9 if k >= n_columns - 2 else 1.0,
            k >= n_columns - 2,
            0.5,
        )
        for k in range(n_columns)
    )
    return DependencyReport(2000, n_columns, (), (), None, (), (), rows, {}, "0", compared=True)


def _shift_table(markdown: str) -> list[str]:
    section = markdown.split("### Dependency shift", 1)[1]
    return [line for line in section.splitlines() if line.startswith("| FLAG")]


def test_a_wide_dependency_shift_table_shows_the_shifted_columns_first_and_is_cut() -> None:
    wide = render_dependency_markdown(_shift_report(122))
    rows = _shift_table(wide)
    assert len(rows) == MARKDOWN_TOP_SHIFT
    assert rows[0].startswith("| FLAG\\_DOCUMENT\\_120 ") and "| yes |" in rows[0]
    assert rows[1].startswith("| FLAG\\_DOCUMENT\\_121 ")
    assert rows[2].startswith("| FLAG\\_DOCUMENT\\_119 ")  # then the largest drop
    assert f"{MARKDOWN_TOP_SHIFT} of 122 columns: the shifted ones first" in wide
    # a short table keeps every column, in column order, as before
    narrow = _shift_table(render_dependency_markdown(_shift_report(8)))
    assert [r.split(" | ")[0] for r in narrow] == [f"| FLAG\\_DOCUMENT\\_{k}" for k in range(8)]


def _applicants(rng: np.random.Generator, n: int) -> pd.DataFrame:
    employed = _days_employed(rng, n, 0.18)
    ext = rng.uniform(0, 1, n).round(6)
    risk = -2.5 * ext + 0.8 * (employed == NOT_EMPLOYED) + rng.normal(0, 0.5, n)
    return pd.DataFrame(
        {
            "DAYS_BIRTH": -rng.integers(20 * 365, 69 * 365, n),
            "DAYS_EMPLOYED": employed,
            "EXT_SOURCE_2": ext,
            "TARGET": (risk > -0.6).astype(int),
        }
    )


def test_a_sentinel_does_not_set_its_columns_unit_for_eps() -> None:
    frame = _applicants(np.random.default_rng(8), 600).drop(columns="TARGET")
    space = FeatureSpace.from_frame(frame)
    before = dict(space.scale)
    fixed, changed = units_without_sentinels(frame, space, "std")
    days = frame["DAYS_EMPLOYED"].to_numpy(dtype=float)
    others = days[days != NOT_EMPLOYED]
    assert fixed.scale["DAYS_EMPLOYED"] == pytest.approx(np.std(others, ddof=1))
    assert before["DAYS_EMPLOYED"] > 50 * fixed.scale["DAYS_EMPLOYED"]  # the sentinel's sway
    assert changed == {
        "DAYS_EMPLOYED": (NOT_EMPLOYED, before["DAYS_EMPLOYED"], fixed.scale["DAYS_EMPLOYED"])
    }
    for name in ("DAYS_BIRTH", "EXT_SOURCE_2"):  # no sentinel: unchanged
        assert fixed.scale[name] == before[name]
    assert space.scale == before  # the given space is left as it was
    q1, q3 = np.percentile(others, [25, 75])
    by_iqr, _ = units_without_sentinels(frame, FeatureSpace.from_frame(frame, scale="iqr"), "iqr")
    assert by_iqr.scale["DAYS_EMPLOYED"] == pytest.approx((q3 - q1) / 1.349)


def test_attack_measures_days_employed_without_its_sentinel(tmp_path: Path) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    frame = _applicants(np.random.default_rng(9), 800)
    features = frame.drop(columns="TARGET")
    model = lightgbm.LGBMClassifier(n_estimators=15, num_leaves=7, verbose=-1, n_jobs=1)
    model.fit(features, frame["TARGET"])
    model.booster_.save_model(str(tmp_path / "model.txt"))
    frame.to_csv(tmp_path / "valid.csv", index=False)
    result = CliRunner().invoke(
        cli,
        [
            "attack",
            str(tmp_path / "model.txt"),
            str(tmp_path / "valid.csv"),
            "--target",
            "TARGET",
            "--attack",
            "tree",
            "--max-rows",
            "40",
            "--json",
            str(tmp_path / "r.json"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    [said] = [line for line in result.output.splitlines() if "likely sentinel): its unit" in line]
    assert "column 'DAYS_EMPLOYED' holds 365243, far outside its other values" in said
    assert "(with it: " in said and "e+" not in said  # 137,573, not 1.376e+05
    settings = json.loads((tmp_path / "r.json").read_text())["settings"]
    space = settings["feature_space"]
    assert space.endswith("; units without the sentinel of DAYS_EMPLOYED (365243)")


def test_majority_class_message_needs_imbalance_and_a_model_near_always_common() -> None:
    y = np.array([0] * 92 + [1] * 8)
    lazy = np.zeros(100, dtype=int)  # always "no default": 0.92 accurate
    text = majority_class_message(lazy, y)
    assert text is not None and "answers 0 for 100.0%" in text and "scores 0.920" in text
    assert "it gets 0 of the 8 rows" in text
    good = y.copy()
    good[:3] = 1  # 5 of 8 defaults found, 3 false alarms: 0.97 > 0.92 + 0.04
    assert majority_class_message(good, y) is None
    balanced = np.array([0, 1] * 50)
    assert majority_class_message(np.zeros(100, dtype=int), balanced) is None  # 50%


def test_attack_flags_a_model_that_answers_the_common_class(tmp_path: Path) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(12)
    frame = _applicants(rng, 1500)
    # about 8% defaults, barely predictable: the model answers "no default" nearly always
    frame["TARGET"] = (rng.random(len(frame)) < 0.05 + 0.06 * frame["EXT_SOURCE_2"]).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=10, num_leaves=4, verbose=-1, n_jobs=1)
    model.fit(frame.drop(columns="TARGET"), frame["TARGET"])
    model.booster_.save_model(str(tmp_path / "model.txt"))
    frame.to_csv(tmp_path / "valid.csv", index=False)
    args = ["--attack", "tree", "--max-rows", "60", "--json", str(tmp_path / "r.json")]
    model_path, data_path = str(tmp_path / "model.txt"), str(tmp_path / "valid.csv")
    result = CliRunner().invoke(
        cli,
        ["attack", model_path, data_path, "--target", "TARGET", *args],
        catch_exceptions=False,
    )
    assert result.exit_code == ExitCode.OK, result.output
    flags = json.loads((tmp_path / "r.json").read_text())["flags"]
    [flag] = [f for f in flags if f["code"] == "majority_class"]
    assert flag["attack"] is None and "always answering 0" in flag["message"]


def test_drift_names_a_row_identifier_and_the_option_that_leaves_it_out(tmp_path: Path) -> None:
    rng = np.random.default_rng(21)
    ids = rng.permutation(np.arange(100002, 100002 + 700))  # Home Credit: test ids interleave
    for name, rows in (("train.csv", ids[:500]), ("test.csv", ids[500:])):
        n = len(rows)
        pd.DataFrame(
            {
                "SK_ID_CURR": rows,
                "CNT_CHILDREN": rng.integers(0, 4, n),  # whole numbers, but repeated
                "EXT_SOURCE_2": rng.uniform(0, 1, n).round(6),
            }
        ).to_csv(tmp_path / name, index=False)
    train, test = str(tmp_path / "train.csv"), str(tmp_path / "test.csv")
    base = ["drift", train, test, "--n-jobs", "1", "--no-remedy", "--format", "json", "-o"]
    result = CliRunner().invoke(cli, [*base, str(tmp_path / "a.json")], catch_exceptions=False)
    assert result.exit_code == ExitCode.OK, result.output
    lines = [line for line in result.output.splitlines() if "row identifier" in line]
    assert len(lines) == 1 and "'SK_ID_CURR'" in lines[0] and "--id SK_ID_CURR" in lines[0]
    given = CliRunner().invoke(
        cli, [*base, str(tmp_path / "b.json"), "--id", "SK_ID_CURR"], catch_exceptions=False
    )
    assert given.exit_code == ExitCode.OK and "row identifier" not in given.output
