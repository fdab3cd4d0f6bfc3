"""Column names and values that real CSVs have, through every drift and dependency path (#13).

Names that LightGBM refuses (JSON characters, newlines, empty), maps onto one another
(whitespace -> ``_``) or that look like generated names; values at the float limits
(``1e308``, float max, ``1e308`` next to ``1e-308``, subnormals). Each must run through the
Python API and the command line, name the user's columns exactly, and still rank the
planted drifting column first.
"""

from __future__ import annotations

import json
import re
from itertools import takewhile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from markupsafe import escape
from scipy import stats

from advval import (
    AdversarialValidator,
    AdversarialWeighter,
    DriftFeatureDropper,
    FeatureDependencyChecker,
    RedundantFeatureDropper,
    SubstitutionImputer,
    TestLikeSplit,
)
from advval._frames import FrameEncoder
from advval.cli import cli
from advval.dependency import dependency_shift
from advval.report import (
    build_dependency_report,
    build_drift_report,
    render_dependency_html,
    render_dependency_markdown,
    render_html,
    render_json,
    render_markdown,
)
from advval.report._build import _numeric_shares
from advval.report._html import name_text
from advval.report._markdown import md_name
from advval.report._svg import _numeric_positions, distribution_chart

FLOAT_MAX = float(np.finfo(np.float64).max)

#: id -> a column name real CSVs have
HOSTILE_NAMES = {
    "unnamed": "Unnamed: 0",
    "quote": 'a"b',
    "comma": "a,b",
    "brackets": "a[b]",
    "braces": "a{b}",
    "colon": "a:b",
    "newline": "a\nb",
    "pipe": "a|b",
    "tab": "a\tb",
    "unicode": "größe 価格 😀",
    "long": "x" * 10_000,
    "empty": "",
    "whitespace": "  ",
    "x0": "x0",
    "f0": "f0",
    "generated-like": "a_b__0",
    "reserved-like": "__advval_y",
    "quoted": "'q'",
    "html": "<script>alert(1)</script>",
    "json": '{"k": [1, 2]}',
}
NAMES = [pytest.param(name, id=key) for key, name in HOSTILE_NAMES.items()]
#: stable neighbours that LightGBM would map onto one another ("a b" -> "a_b")
COMPANIONS = ("a b", "a_b", "x0")

#: id -> the two values of the drifting column (train mostly the first, test the second)
EXTREMES = {
    "1e308": (-1e308, 1e308),
    "1e308-and-1e-308": (1e-308, 1e308),
    "float-max": (-FLOAT_MAX, FLOAT_MAX),
    "1e308-and-1.7e308": (1e308, 1.7e308),  # LightGBM's own bin midpoint overflows here
    "subnormal": (5e-324, 1e-310),  # LightGBM's own binning sees both as 0
}
VALUES = [pytest.param(pair, id=key) for key, pair in EXTREMES.items()]
FAST = ["--quiet", "--n-jobs", "1", "--n-splits", "3"]


def _frames(name: str, n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``name`` (first column) shifted by 1 sd in test, next to stable companions."""
    rng = np.random.default_rng(seed)
    stable = [c for c in COMPANIONS if c != name]

    def side(shift: float) -> pd.DataFrame:
        columns = {name: rng.normal(shift, 1.0, n)}
        columns.update({c: rng.normal(0.0, 1.0, n) for c in stable})
        return pd.DataFrame(columns)

    return side(0.0), side(1.0)


def _extreme_frames(
    pair: tuple[float, float], n: int = 300, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``extreme`` drifts (70/30 -> 30/70 of its two values); ``steady`` has them too."""
    rng = np.random.default_rng(seed)
    low, high = pair

    def side(share_high: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "extreme": rng.choice([low, high], n, p=[1 - share_high, share_high]),
                "steady": rng.choice([low, 0.0, high], n),
                "noise": rng.normal(size=n),
            }
        )

    return side(0.3), side(0.7)


def _validator() -> AdversarialValidator:
    return AdversarialValidator(n_splits=3, random_state=0, n_jobs=1)


def _table(markdown: str, header: str) -> list[list[str]]:
    """Cells of the Markdown table whose header row starts with ``header``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = list(takewhile(lambda line: line.startswith("|"), lines[start:]))
    return [[c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def _check_markdown_features(markdown: str, names: list[str]) -> None:
    """The features table has one intact row per feature, each naming it."""
    rows = _table(markdown, "| # | feature |")
    assert all(len(row) == 8 for row in rows)
    assert [row[1] for row in rows[2:]] == [md_name(n) for n in names[:10]]


# ------------------------------------------------------------------- names: Python


@pytest.mark.parametrize("name", NAMES)
def test_drift_check_ranks_a_hostile_name_first_and_reports_it_exactly(name):
    train, test = _frames(name)
    validator = _validator().fit(train, test)
    assert validator.drift_
    assert validator.feature_report_.index[0] == name
    assert sorted(validator.feature_report_.index) == sorted(train.columns)
    assert list(validator.feature_names_in_) == list(train.columns)
    assert int(np.argmax(validator.feature_importances_)) == 0
    model_names = validator.estimators_[0].booster_.feature_name()
    assert model_names == validator.encoder_.encoded_columns
    assert len(set(model_names)) == len(model_names)
    likeness = validator.test_likeness(test[test.columns[::-1]])  # columns in any order
    assert likeness.mean() > validator.test_likeness(train).mean()

    report = build_drift_report(validator, train, test)
    document = render_json(report)
    assert json.loads(document)["features"][0]["name"] == name
    assert document == render_json(build_drift_report(validator, train, test))
    _check_markdown_features(render_markdown(report), [f.name for f in report.features])
    page = render_html(report)
    assert str(escape(name_text(name))) in page
    assert "<script>alert(1)</script>" not in page


def test_a_user_column_named_like_a_datetime_part_is_its_own_feature():
    rng = np.random.default_rng(1)
    n = 300

    def side(shift: float, start: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "t": pd.Series(pd.date_range(start, periods=n, freq="7h")),
                "t.year": rng.normal(shift, 1.0, n),
                "t_year": rng.normal(size=n),
            }
        )

    train, test = side(0.0, "2020-01-01"), side(1.5, "2020-01-01")
    validator = _validator().fit(train, test)
    assert validator.feature_report_.index[0] == "t.year"
    assert validator.feature_report_.loc["t", "kind"] == "datetime"
    assert sorted(validator.feature_report_.index) == ["t", "t.year", "t_year"]


def test_remedies_keep_hostile_names():
    name = "a,b\n[c]"
    train, test = _frames(name)
    y = train["a b"] + np.random.default_rng(2).normal(size=len(train))
    dropper = DriftFeatureDropper(X_test=test, validator=_validator(), random_state=0)
    dropper.fit(train, y)
    assert dropper.dropped_features_ == [name]
    assert dropper.get_feature_names_out().tolist() == ["a b", "a_b", "x0"]
    assert list(dropper.set_output(transform="pandas").transform(test).columns) == [
        "a b",
        "a_b",
        "x0",
    ]
    weighter = AdversarialWeighter(X_test=test, validator=_validator(), random_state=0)
    weights = weighter.fit(train).weights_
    assert np.isfinite(weights).all() and (weights > 0).all()
    assert float(np.average(train[name], weights=weights)) > float(train[name].mean())
    split = TestLikeSplit(X_test=test, n_splits=3, validator=_validator(), random_state=0)
    fit_rows, held_rows = next(split.split(train))
    # 60 rows held out; the validation rows are those of them drawn by the density ratio
    assert len(fit_rows) == 240 and 0 < len(held_rows) <= 60
    assert not set(held_rows) & set(fit_rows)
    assert train[name].iloc[held_rows].mean() > train[name].mean()


# ------------------------------------------------------------------ values: Python


@pytest.mark.parametrize("pair", VALUES)
def test_drift_in_extreme_values_is_found_with_exact_statistics(pair):
    train, test = _extreme_frames(pair)
    validator = _validator().fit(train, test)
    assert validator.drift_
    assert validator.feature_report_.index[0] == "extreme"
    ks = stats.ks_2samp(train["extreme"], test["extreme"], method="exact")
    row = validator.feature_report_.loc["extreme"]
    assert row["statistic"] == pytest.approx(ks.statistic, abs=1e-12)
    assert row["p_value"] == pytest.approx(ks.pvalue, rel=1e-9)
    assert np.isfinite(validator.oof_proba_).all()

    report = build_drift_report(validator, train, test)
    for overlay in report.overlays:
        assert all(np.isfinite(overlay.edges)) and list(overlay.edges) == sorted(overlay.edges)
        assert sum(overlay.train) == pytest.approx(1.0)
        assert sum(overlay.test) == pytest.approx(1.0)
        svg = distribution_chart(overlay)
        assert not re.search(r"\b(nan|inf)\b", svg)
    json.loads(render_json(report))
    _check_markdown_features(render_markdown(report), [f.name for f in report.features])
    assert "extreme" in render_html(report)


def test_a_column_missing_in_train_and_near_minus_1e308_in_test_is_leak_like():
    n = 200
    rng = np.random.default_rng(3)
    train = pd.DataFrame({"x": np.r_[-1e308, np.full(n - 1, np.nan)], "y": rng.normal(size=n)})
    test = pd.DataFrame({"x": np.full(n, -1e308), "y": rng.normal(size=n)})
    with pytest.warns(UserWarning, match=r"Column\(s\) \['x'\] alone separate train from test"):
        validator = _validator().fit(train, test)
    assert validator.leak_features_ == ["x"]


def test_histogram_edges_near_the_float_limits_are_finite_and_ordinary_ones_unchanged():
    left = np.r_[np.full(50, -FLOAT_MAX), np.full(50, FLOAT_MAX)]
    shares = _numeric_shares("x", left, np.array([1e308, 1e-308]))
    assert shares.edges[0] == -FLOAT_MAX and shares.edges[-1] == FLOAT_MAX
    assert all(np.isfinite(shares.edges)) and np.all(np.diff(shares.edges) > 0)
    assert shares.train[0] == shares.train[-1] == 0.5
    assert sum(shares.train) == pytest.approx(1.0) and sum(shares.test) == pytest.approx(1.0)
    spans = _numeric_positions(shares)
    assert spans[0][0] == 0.0 and spans[-1][1] == 1.0
    assert all(a <= b for a, b in spans)

    same = _numeric_shares("x", np.array([1e308, 1e308]), np.array([1e308]))
    assert np.isfinite(same.edges).all() and same.edges[-1] > same.edges[0]

    values = np.random.default_rng(4).normal(3.0, 2.0, 500)
    ordinary = _numeric_shares("x", values[:250], values[250:])
    low, high = np.quantile(values, [0.005, 0.995])
    np.testing.assert_array_equal(ordinary.edges, np.linspace(low, high, 31))


# ------------------------------------------------------------------------ the CLI


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _invoke(runner: CliRunner, *args: object):
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("name", NAMES)
def test_cli_drift_names_a_hostile_csv_column_exactly(name, runner, tmp_path):
    train, test = _frames(name)
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    read = pd.read_csv(tmp_path / "train.csv", index_col=False).columns[0]
    assert read == (name if name else "Unnamed: 0")  # pandas names an empty header cell
    result = _invoke(
        runner, "drift", "train.csv", "test.csv", "--format", "json", "--no-remedy", *FAST
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["features"][0]["name"] == read
    assert sorted(f["name"] for f in document["features"]) == sorted(
        pd.read_csv(tmp_path / "test.csv", index_col=False).columns
    )


def _hostile_table(n: int, shift: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns = {name: rng.normal(size=n) for name in HOSTILE_NAMES.values() if name}
    columns["drifts | here\n"] = rng.normal(shift, 1.0, n)
    columns["huge"] = rng.choice([-1e308, 1e308, FLOAT_MAX, 1e-308], n)
    columns["a b"] = rng.normal(size=n)
    columns[""] = rng.normal(size=n)
    return pd.DataFrame(columns)


@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
def test_cli_drift_report_of_every_hostile_name_and_value_in_each_format(fmt, runner, tmp_path):
    _hostile_table(300, 0.0, 5).to_csv(tmp_path / "train.csv", index=False)
    _hostile_table(300, 1.5, 6).to_csv(tmp_path / "test.csv", index=False)
    columns = list(pd.read_csv(tmp_path / "train.csv", index_col=False).columns)
    result = _invoke(
        runner,
        "drift", "train.csv", "test.csv", "--format", fmt, "--output", f"report.{fmt}",
        "--id", "Unnamed: 0", "--export-test-likeness", "likeness.csv", *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = Path(f"report.{fmt}").read_text(encoding="utf-8")
    likeness = pd.read_csv("likeness.csv", index_col=False)
    assert len(likeness) == 600 and "Unnamed: 0" in likeness.columns
    features = [c for c in columns if c != "Unnamed: 0"]
    if fmt == "json":
        document = json.loads(text)
        assert document["features"][0]["name"] == "drifts | here\n"
        assert sorted(f["name"] for f in document["features"]) == sorted(features)
        assert document["remedy"]["would_drop"] == ["drifts | here\n"]
        again = _invoke(
            runner, "drift", "train.csv", "test.csv", "--format", "json", "--output",
            "again.json", "--id", "Unnamed: 0", *FAST,
        )  # fmt: skip
        assert again.exit_code == 0 and Path("again.json").read_bytes() == text.encode()
    elif fmt == "markdown":
        rows = _table(text, "| # | feature |")
        assert all(len(row) == 8 for row in rows) and len(rows) == 12
        assert rows[2][1] == md_name("drifts | here\n") == "'drifts \\| here\\\\n'"
        remedy = _table(text, "| features left |")
        assert all(len(row) == 7 for row in remedy)
    else:
        assert "<script>alert(1)</script>" not in text
        assert str(escape(name_text("drifts | here\n"))) in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
def test_cli_deps_report_of_hostile_names_and_values_in_each_format(fmt, runner, tmp_path):
    rng = np.random.default_rng(7)
    names = ["Unnamed: 0", 'a"b', "a:b", "a\nb", "a|b", "<script>alert(1)</script>", "huge"]
    frame = pd.DataFrame({name: rng.normal(size=300) for name in names})
    frame["huge"] = rng.choice([-1e308, 1e308, FLOAT_MAX, 1e-308], 300)
    frame["a,b"] = 2.0 * frame["a:b"] + 0.01 * rng.normal(size=300)
    frame[""] = rng.normal(size=300)
    frame.to_csv(tmp_path / "data.csv", index=False)
    result = _invoke(
        runner, "deps", "data.csv", "--format", fmt, "--output", f"deps.{fmt}",
        "--quiet", "--n-jobs", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = Path(f"deps.{fmt}").read_text(encoding="utf-8")
    if fmt == "json":
        document = json.loads(text)
        assert {"a,b", "a:b"} <= set(document["redundant"])
    elif fmt == "markdown":
        rows = _table(text, "| # | feature |")
        assert all(len(row) == 7 for row in rows)
    else:
        assert "<script>alert(1)</script>" not in text


# --------------------------------------------------------------------- dependency


def test_dependency_checker_finds_a_copy_between_hostile_names_and_in_huge_values():
    rng = np.random.default_rng(9)
    n = 400
    base = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            'a"b': base,
            "a\nb": 2.0 * base + rng.normal(0.0, 0.01, n),
            "": rng.normal(size=n),
            "a b": rng.normal(size=n),
            "a_b": rng.normal(size=n),
            "huge": 1e300 * rng.normal(size=n),
        }
    )
    frame["huge copy"] = 1.5 * frame["huge"]
    checker = FeatureDependencyChecker(random_state=0, n_jobs=1).fit(frame)
    assert sorted(checker.redundant_features_) == sorted(['a"b', "a\nb", "huge", "huge copy"])
    assert checker.scores_.loc["huge copy", "score"] > 0.95
    assert list(checker.dependency_matrix_.index) == list(frame.columns)
    report = build_dependency_report(checker)
    assert json.loads(render_json(report))["redundant"]
    rows = _table(render_dependency_markdown(report), "| # | feature |")
    assert all(len(row) == 7 for row in rows)
    assert "huge copy" in render_dependency_html(report)

    kept = RedundantFeatureDropper(checker=checker, random_state=0).fit(frame)
    remaining = kept.get_feature_names_out().tolist()
    assert set(frame.columns) - set(remaining) and set(remaining) <= set(frame.columns)
    assert ("a b" in remaining) and ("" in remaining)


def test_dependency_shift_runs_on_hostile_names_and_extreme_values():
    rng = np.random.default_rng(10)
    n = 300
    base = rng.normal(size=n)
    train = pd.DataFrame({"a,b": base, "a:b": 1e307 * base, "": rng.normal(size=n)})
    test = pd.DataFrame(
        {"a,b": rng.normal(size=n), "a:b": 1e307 * rng.normal(size=n), "": rng.normal(size=n)}
    )
    result = dependency_shift(train, test, random_state=0, n_jobs=1)
    assert list(result.index) == ["a,b", "a:b", ""]
    assert result.loc["a:b", "train_score"] > 0.9
    assert bool(result.loc["a:b", "shifted"]) and bool(result.loc["a,b", "shifted"])


def test_imputer_fills_extreme_values_under_hostile_names():
    rng = np.random.default_rng(11)
    n = 400
    x = rng.normal(size=n)
    frame = pd.DataFrame({"a\nb": x, "": 1e307 * x, "a b": rng.choice([1e308, -1e308], n)})
    truth = frame[""].copy()
    holes = np.arange(0, n, 5)
    frame.loc[holes, ""] = np.nan
    imputer = SubstitutionImputer(random_state=0, n_jobs=1).set_output(transform="pandas")
    filled = imputer.fit_transform(frame)
    assert list(filled.columns) == ["a\nb", "", "a b"]
    assert np.isfinite(filled.to_numpy()).all()
    observed = truth.drop(index=holes)
    assert imputer.statistics_[""] == pytest.approx(2.0 * float(np.mean(observed / 2.0)))
    error = np.abs(filled.loc[holes, ""] - truth[holes]) / np.abs(truth).max()
    assert float(error.median()) < 0.05
    assert frame[""].isna().sum() == len(holes)  # the input is not modified


# ---------------------------------------------------------------------------- Dask


def test_dask_digest_learns_the_single_machine_encoder_for_hostile_names_and_values():
    pytest.importorskip("dask.dataframe")
    pytest.importorskip("distributed")
    from advval.distributed._encode import digest, merge_digests

    train, test = _extreme_frames(EXTREMES["1e308-and-1.7e308"])
    renamed = {"extreme": "a b", "steady": "a\nb", "noise": ""}
    train, test = train.rename(columns=renamed), test.rename(columns=renamed)
    train["a_b"] = np.arange(len(train)) * 2.0**70  # beyond the window: rescaled too
    test["a_b"] = np.arange(len(test), dtype=np.float64)
    single = FrameEncoder().fit(train, test)
    halves = [digest(train.iloc[:100]), digest(train.iloc[100:])]
    merged, n_rows = merge_digests(halves, train.iloc[:0])
    from_digest = FrameEncoder().fit(merged, merge_digests([digest(test)], test.iloc[:0])[0])
    assert n_rows == len(train)
    assert from_digest.encoded_columns == single.encoded_columns
    assert from_digest.units == single.units and set(single.units) == {"a b", "a\nb", "a_b"}
    pd.testing.assert_frame_equal(from_digest.transform(test), single.transform(test))
