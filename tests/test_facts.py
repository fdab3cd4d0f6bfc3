"""Per-column facts and the dataset summary (issue #17): planted cases, exact shares."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from advval import AdversarialValidator
from advval._frames import FrameEncoder
from advval.drift._facts import FACT_COLUMNS, column_facts, matching_rows_share
from advval.exceptions import DataWarning
from advval.report import (
    ColumnFacts,
    DatasetSummary,
    build_drift_report,
    render_json,
    render_markdown,
)
from advval.report._facts_text import facts_line


def _encoder(train, test):
    with warnings.catch_warnings():  # free text, dropped columns: said elsewhere
        warnings.simplefilter("ignore", DataWarning)
        return FrameEncoder().fit(train, test)


def _facts(train, test, **kwargs):
    return column_facts(_encoder(train, test), train, test, **kwargs)


def _blanked(values: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    out = values.astype(np.float64)
    out[rng.random(out.size) < share] = np.nan
    return out


# --------------------------------------------------------------------------- missing rate


def test_missing_rate_moving_from_5_to_20_percent_is_flagged_and_a_steady_one_is_not():
    rng = np.random.default_rng(0)
    n = 2_000
    train = pd.DataFrame(
        {"moved": _blanked(rng.normal(size=n), 0.05, rng),
         "steady": _blanked(rng.normal(size=n), 0.05, rng)}
    )
    test = pd.DataFrame(
        {"moved": _blanked(rng.normal(size=n), 0.20, rng),
         "steady": _blanked(rng.normal(size=n), 0.05, rng)}
    )
    facts, _ = _facts(train, test)
    assert facts.loc["moved", "missing_train"] == pytest.approx(train["moved"].isna().mean())
    assert facts.loc["moved", "missing_test"] == pytest.approx(test["moved"].isna().mean())
    assert "missing_rate" in facts.loc["moved", "flags"]
    assert facts.loc["moved", "missing_p_value"] < 1e-20
    assert "missing_rate" not in facts.loc["steady", "flags"]
    assert facts.loc["steady", "missing_p_value"] > 0.05


def test_missing_p_value_is_the_adjusted_two_proportion_test():
    from scipy import stats

    train = pd.DataFrame({"a": [np.nan] * 30 + [1.0] * 170, "b": [np.nan] * 10 + [2.0] * 190})
    test = pd.DataFrame({"a": [np.nan] * 50 + [1.0] * 150, "b": [np.nan] * 12 + [2.0] * 188})
    facts, _ = _facts(train, test, correction="bonferroni")
    raw_a = stats.chi2_contingency([[30, 170], [50, 150]], correction=True)[1]
    raw_b = stats.chi2_contingency([[10, 190], [12, 188]], correction=True)[1]
    assert facts.loc["a", "missing_p_value"] == pytest.approx(min(1.0, 2 * raw_a))
    assert facts.loc["b", "missing_p_value"] == pytest.approx(min(1.0, 2 * raw_b))
    # a small table goes to Fisher's exact test
    small_train = pd.DataFrame({"a": [np.nan] + [1.0] * 19})
    small_test = pd.DataFrame({"a": [np.nan] * 6 + [1.0] * 14})
    facts, _ = _facts(small_train, small_test)
    fisher = stats.fisher_exact([[1, 19], [6, 14]])[1]
    assert facts.loc["a", "missing_p_value"] == pytest.approx(fisher)


def test_columns_without_missing_values_have_no_missing_test():
    train = pd.DataFrame({"a": np.arange(50.0)})
    facts, summary = _facts(train, train.copy())
    assert pd.isna(facts.loc["a", "missing_p_value"])
    assert summary["train"]["missing_share"] == 0.0


def test_null_splits_of_a_real_table_flag_missing_rates_at_most_at_alpha():
    """Random splits of the flights table (5% of cells blanked, plus real gaps): Holm keeps
    the chance of any missing-rate flag in a split at or below alpha; levels found on one
    side only are flagged where a random split would rarely give as many rows in them."""
    from advval.datasets import make_kaggle_table

    table = make_kaggle_table("flights", n_rows=4_000, random_state=0)
    rows = pd.concat([table.train.drop(columns=[table.target]), table.test], ignore_index=True)
    rng = np.random.default_rng(1)
    encoder = _encoder(rows.iloc[:2_000], rows.iloc[2_000:])
    any_flag, n_splits, tested, level_flags = 0, 20, 0, 0
    for _ in range(n_splits):
        order = rng.permutation(len(rows))
        train, test = rows.iloc[order[:3_000]], rows.iloc[order[3_000:]]
        facts, _ = column_facts(encoder, train, test)
        tested = int(facts["missing_p_value"].notna().sum())
        any_flag += int(facts["flags"].map(lambda f: "missing_rate" in f).any())
        level_flags += sum(
            flag in ("unseen_levels", "gone_levels") for f in facts["flags"] for flag in f
        )
    assert tested > 50  # most columns have missing values: a real family of tests
    # P(more than 4 of 20 splits flag | family-wise rate 0.05) < 0.003
    assert any_flag <= 4
    # ~50 categorical columns x 2 sides x 20 splits at 3 sd: a few at most (1 seen)
    assert level_flags <= 6


# --------------------------------------------------------------------------- levels


def test_unseen_and_gone_levels_with_their_exact_shares():
    train = pd.DataFrame({"c": ["a"] * 500 + ["b"] * 480 + ["old"] * 20})
    test = pd.DataFrame({"c": ["a"] * 400 + ["b"] * 430 + ["new1"] * 100 + ["new2"] * 50
                         + [None] * 20})
    facts, _ = _facts(train, test)
    row = facts.loc["c"]
    assert row["unseen_levels"] == 2
    assert row["unseen_share"] == pytest.approx(150 / 1000)
    assert row["gone_levels"] == 1
    assert row["gone_share"] == pytest.approx(20 / 1000)
    assert "unseen_levels" in row["flags"] and "gone_levels" in row["flags"]
    assert pd.isna(row["out_of_range_share"])


def test_new_codes_of_a_column_of_rare_codes_are_not_flagged():
    """With every code rare, any fresh sample brings new ones: a random split does too."""
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 100_000, size=4_000).astype(str)
    train, test = pd.DataFrame({"c": codes[:2_000]}), pd.DataFrame({"c": codes[2_000:]})
    facts, _ = _facts(train, test)
    assert facts.loc["c", "unseen_share"] > 0.9
    assert "unseen_levels" not in facts.loc["c", "flags"]


def test_a_level_seen_on_both_sides_is_neither_unseen_nor_gone():
    train = pd.DataFrame({"c": ["a", "b"] * 100})
    facts, _ = _facts(train, train.iloc[::-1].reset_index(drop=True))
    assert facts.loc["c", "unseen_levels"] == 0 and facts.loc["c", "gone_levels"] == 0
    assert facts.loc["c", "flags"] == ()


# --------------------------------------------------------------------------- constant


def test_a_column_constant_in_test_only_says_which_side():
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"x": rng.normal(size=300), "s": rng.choice(["u", "v"], 300)})
    test = pd.DataFrame({"x": np.r_[np.full(298, 7.0), [1.0, 2.0]], "s": ["u"] * 300})
    facts, _ = _facts(train, test)
    assert facts.loc["x", "dominant_test"] == pytest.approx(298 / 300)
    assert facts.loc["x", "dominant_train"] == pytest.approx(1 / 300)
    assert "constant_test" in facts.loc["x", "flags"]
    assert "constant_train" not in facts.loc["x", "flags"]
    assert facts.loc["s", "dominant_test"] == 1.0 and "constant_test" in facts.loc["s", "flags"]


def test_missing_counts_as_a_value_for_the_dominant_share():
    train = pd.DataFrame({"x": np.arange(100.0)})
    test = pd.DataFrame({"x": np.r_[np.full(99, np.nan), [3.0]]})
    facts, _ = _facts(train, test)
    assert facts.loc["x", "dominant_test"] == pytest.approx(0.99)
    assert "constant_test" in facts.loc["x", "flags"]


# --------------------------------------------------------------------------- range


def test_out_of_range_share_is_exact_on_each_end():
    train = pd.DataFrame({"x": np.linspace(0.0, 10.0, 1_000)})
    values = np.r_[np.full(30, -1.0), np.full(50, 12.0), np.full(900, 5.0), np.full(20, np.nan)]
    test = pd.DataFrame({"x": values})
    facts, _ = _facts(train, test)
    assert facts.loc["x", "out_of_range_low"] == pytest.approx(30 / 1_000)
    assert facts.loc["x", "out_of_range_high"] == pytest.approx(50 / 1_000)
    assert facts.loc["x", "out_of_range_share"] == pytest.approx(80 / 1_000)
    assert "out_of_range" in facts.loc["x", "flags"]


def test_out_of_range_of_dates_and_the_small_sample_floor():
    train = pd.DataFrame({"d": pd.date_range("2020-01-01", periods=400, freq="D")})
    test = pd.DataFrame({"d": pd.date_range("2020-06-01", periods=400, freq="D")})
    facts, _ = _facts(train, test)
    beyond = int((test["d"] > train["d"].max()).sum())
    assert facts.loc["d", "out_of_range_share"] == pytest.approx(beyond / 400)
    assert "out_of_range" in facts.loc["d", "flags"]
    # 100 train values: a fresh sample falls outside their range 2/101 of the time; the
    # floor (10/101) keeps one value out of 50 unflagged
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"x": rng.normal(size=100)})
    test = pd.DataFrame({"x": np.r_[rng.uniform(-1, 1, 49), [train["x"].max() + 1]]})
    facts, _ = _facts(train, test)
    assert facts.loc["x", "out_of_range_share"] == pytest.approx(1 / 50)
    assert "out_of_range" not in facts.loc["x", "flags"]


# --------------------------------------------------------------------------- rows


def test_duplicates_and_test_rows_copied_from_train_are_counted_exactly():
    rng = np.random.default_rng(0)
    n, k = 1_000, 37
    train = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(list("abc"), n)})
    train.iloc[10:15] = train.iloc[:5].to_numpy()  # 5 duplicated train rows
    test = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(list("abc"), n)})
    test.iloc[:k] = train.iloc[100 : 100 + k].to_numpy()  # k test rows copied from train
    test.iloc[k : k + 3] = test.iloc[:3].to_numpy()  # 3 of them copied again within test
    facts, summary = _facts(train, test)
    assert summary["train"]["duplicate_rows_share"] == pytest.approx(5 / n)
    assert summary["test"]["duplicate_rows_share"] == pytest.approx(3 / n)
    assert summary["test_rows_in_train"] == pytest.approx((k + 3) / n)
    assert summary["test_rows_in_train_all_columns"] is None
    assert summary["train"]["columns_by_kind"] == {"categorical": 1, "numeric": 1}


def test_an_id_column_excluded_or_not_changes_the_rows_found_in_train():
    rng = np.random.default_rng(0)
    n, k = 500, 25
    train = pd.DataFrame({"id": np.arange(n), "x": rng.normal(size=n)})
    test = pd.DataFrame({"id": np.arange(n, 2 * n), "x": rng.normal(size=n)})
    test.loc[: k - 1, "x"] = train["x"].to_numpy()[:k]  # same values, other ids
    test.loc[k : 2 * k - 1, ["id", "x"]] = train[["id", "x"]].to_numpy()[k : 2 * k]
    encoder = _encoder(train[["x"]], test[["x"]])
    _, summary = column_facts(encoder, train, test, excluded=["id"])
    assert summary["test_rows_in_train"] == pytest.approx(2 * k / n)
    assert summary["test_rows_in_train_all_columns"] == pytest.approx(k / n)
    assert summary["excluded_columns"] == ["id"]
    assert matching_rows_share(train, test) == pytest.approx(k / n)
    assert matching_rows_share(train[["x"]], test[["x"]]) == pytest.approx(2 * k / n)


def test_rows_match_across_dtypes_and_missing_values():
    train = pd.DataFrame({"n": [1, 2, 3], "c": pd.Categorical(["a", "b", None])})
    test = pd.DataFrame({"n": [1.0, np.nan, 3.0], "c": ["a", "b", None]})
    assert matching_rows_share(train, test) == pytest.approx(2 / 3)
    facts, summary = _facts(train, test)
    assert summary["test_rows_in_train"] == pytest.approx(2 / 3)
    assert summary["test"]["missing_share"] == pytest.approx(2 / 6)


# --------------------------------------------------------------------------- validator, report


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    n = 600
    train = pd.DataFrame({
        "key": np.arange(n),
        "x": _blanked(rng.normal(size=n), 0.05, rng),
        "c": rng.choice(["a", "b"], n),
    })
    test = pd.DataFrame({
        "key": np.arange(n, 2 * n),
        "x": _blanked(rng.normal(size=n), 0.20, rng),
        "c": np.r_[rng.choice(["a", "b"], n - 60), ["z"] * 60],
    })
    test.iloc[:30] = train.iloc[:30].to_numpy()
    validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test, groups="key")
    return validator, train, test


def test_the_validator_exposes_facts_and_summary_on_every_row(fitted):
    validator, train, test = fitted
    facts, summary = validator.column_facts_, validator.dataset_summary_
    assert list(facts.columns) == list(FACT_COLUMNS)
    assert sorted(facts.index) == ["c", "x"]  # the group column is not checked
    assert "missing_rate" in facts.loc["x", "flags"]
    assert facts.loc["c", "unseen_share"] == pytest.approx(60 / 600)
    assert summary["excluded_columns"] == ["key"]
    # the first 30 test rows are train rows, key included
    assert summary["test_rows_in_train_all_columns"] == pytest.approx(30 / 600)
    assert summary["test_rows_in_train"] >= 30 / 600
    assert train.columns.tolist() == ["key", "x", "c"]  # nothing modified in place


def test_the_report_carries_the_facts_in_feature_order_through_json(fitted):
    validator, train, test = fitted
    report = build_drift_report(validator, train, test)
    assert [f.name for f in report.column_facts] == [f.name for f in report.features]
    assert all(isinstance(f, ColumnFacts) for f in report.column_facts)
    assert isinstance(report.summary, DatasetSummary)
    text = render_json(report)
    assert text == render_json(build_drift_report(validator, train, test))  # same bytes
    doc = json.loads(text)
    assert [f["name"] for f in doc["column_facts"]] == [f["name"] for f in doc["features"]]
    by_name = {f["name"]: f for f in doc["column_facts"]}
    assert by_name["c"]["unseen_levels"] == 1
    assert by_name["c"]["unseen_share"] == pytest.approx(0.1)
    assert by_name["x"]["unseen_levels"] is None
    assert "missing_rate" in by_name["x"]["flags"]
    assert doc["summary"]["test"]["rows"] == 600
    assert doc["summary"]["test_rows_in_train_all_columns"] == pytest.approx(0.05)
    assert doc["summary"]["excluded_columns"] == ["key"]
    assert list(doc["summary"]) == sorted(doc["summary"])


def test_markdown_shows_the_summary_and_the_flagged_columns(fitted):
    validator, train, test = fitted
    report = build_drift_report(validator, train, test)
    text = render_markdown(report)
    assert "### Dataset" in text and "### Column facts" in text
    assert "levels unseen in train" in text and "missing rate changed" in text
    assert "5% with the excluded columns too (key)" in text
    line = facts_line(report.column_facts, report.summary)
    assert "levels unseen in train in 1 column" in line


def test_reports_without_facts_still_render(make_drift_report):
    report = make_drift_report()
    assert report.column_facts == () and report.summary is None
    doc = json.loads(render_json(report))
    assert doc["column_facts"] == [] and doc["summary"] is None
    assert "### Column facts" not in render_markdown(report)


def test_a_kaggle_shaped_table_runs():
    from advval.datasets import make_kaggle_table

    table = make_kaggle_table("flights", n_rows=3_000, random_state=0)
    train = table.train.drop(columns=[table.target, table.id])
    test = table.test.drop(columns=[table.id])
    facts, summary = _facts(train, test)
    kinds = summary["train"]["columns_by_kind"]
    assert len(facts) + kinds.get("empty", 0) == train.shape[1]
    assert set(facts.index) <= set(train.columns)
    assert summary["train"]["rows"] == len(train) and summary["test"]["rows"] == len(test)
    assert sum(kinds.values()) == train.shape[1]
    # a time split: the month and the dates run past the training range
    assert "out_of_range" in facts.loc["month", "flags"]
    assert facts.loc["month", "out_of_range_share"] == pytest.approx(
        (test["month"] > train["month"].max()).mean()
    )
    for column, fact in facts.iterrows():
        assert 0.0 <= fact["missing_train"] <= 1.0, column
        assert 0.0 <= fact["dominant_test"] <= 1.0, column


def test_markdown_lists_every_column_when_few_and_only_the_flagged_when_many(
    make_drift_report,
):
    import dataclasses

    def fact(i: int, flags: tuple[str, ...]) -> ColumnFacts:
        return ColumnFacts(f"col{i}", "numeric", 0.0, 0.0, None, None, None, None, None,
                           0.1, 0.1, 0.0, flags)

    few = tuple(fact(i, ()) for i in range(3))
    text = render_markdown(dataclasses.replace(make_drift_report(), column_facts=few))
    assert all(f"| col{i} |" in text for i in range(3))
    many = tuple(fact(i, ("out_of_range",) if i in (4, 7) else ()) for i in range(12))
    text = render_markdown(dataclasses.replace(make_drift_report(), column_facts=many))
    assert "### Column facts (2 of 12 columns flagged)" in text
    assert [i for i in range(12) if f"| col{i} |" in text] == [4, 7]


def test_the_command_line_reports_rows_found_in_train_with_and_without_the_id(
    tmp_path, monkeypatch
):
    from click.testing import CliRunner

    from advval.cli import cli

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    n, k = 400, 40
    train = pd.DataFrame({"id": np.arange(n), "x": rng.normal(size=n),
                          "c": rng.choice(list("ab"), n), "y": rng.integers(0, 2, n)})
    test = pd.DataFrame({"id": np.arange(n, 2 * n), "x": rng.normal(size=n),
                         "c": rng.choice(list("ab"), n)})
    test.loc[: k - 1, ["x", "c"]] = train.loc[: k - 1, ["x", "c"]].to_numpy()  # other ids
    test.loc[k : k + 9, ["id", "x", "c"]] = train.loc[k : k + 9, ["id", "x", "c"]].to_numpy()
    train.to_csv("tr.csv", index=False)
    test.to_csv("te.csv", index=False)
    result = CliRunner().invoke(
        cli,
        ["drift", "tr.csv", "te.csv", "--target", "y", "--id", "id", "--no-remedy",
         "--format", "json", "--n-jobs", "1", "--seed", "0"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["test_rows_in_train"] == pytest.approx((k + 10) / n)
    assert summary["test_rows_in_train_all_columns"] == pytest.approx(10 / n)
    assert summary["excluded_columns"] == ["id"]  # y is in train only: not compared
    assert "advval: column facts: " in result.stderr
    assert f"{100 * (k + 10) / n:.3g}% of test rows found in train" in result.stderr
