"""Renderers of a DriftReport and a DependencyReport: JSON, Markdown, self-contained HTML, sinks."""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape

from advval import AdversarialValidator, DriftFeatureDropper, FeatureDependencyChecker
from advval.exceptions import LeakWarning
from advval.report import (
    Distribution,
    FeatureDrift,
    RemedyStep,
    WithoutLeaks,
    build_dependency_report,
    build_drift_report,
    render_dependency_html,
    render_dependency_markdown,
    render_html,
    render_json,
    render_markdown,
    write_report,
)
from advval.report._build import _overlays, overlay_columns
from advval.report._columns import script_source, table_script
from advval.report._html import _overlay as _overlay_card
from advval.report._json import round_floats
from advval.report._markdown import md_escape, verdict_line
from advval.report._svg import distribution_chart, importance_chart, off_scale

XSS = "<script>alert(1)</script>"
SCHEMA_KEYS = {
    "schema_version", "kind", "advval_version", "n_train", "n_test", "n_features", "auc",
    "auc_ci", "p_value", "alpha", "min_effect", "drift", "features", "settings",
}
FEATURE_KEYS = {"name", "importance", "importance_std", "statistic", "p_value", "drift"}
#: every element an HTML report may contain
PAGE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "h3",
    "span", "section", "p", "dl", "div", "dt", "dd", "small", "strong", "ul", "li", "code",
    "table", "thead", "tr", "th", "tbody", "td", "svg", "line", "text", "polygon",
    "polyline", "g", "rect", "path", "footer", "details", "summary", "label", "input",
    "select", "option", "button", "script",
}


def _scriptless(page: str) -> str:
    """The page without the table's script, the only script it may hold (once, as shipped)."""
    shipped = f"<script>{table_script()}</script>"
    assert page.count("<script") == page.count(shipped) <= 1
    return page.replace(shipped, "")


class _Tags(HTMLParser):
    """Collects every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser.tags


# --------------------------------------------------------------------------- JSON


def test_json_is_deterministic(make_drift_report):
    first = render_json(make_drift_report())
    assert first == render_json(make_drift_report())
    assert first.encode() == render_json(make_drift_report()).encode()


def test_json_schema_keys_and_sorted_order(make_drift_report):
    text = render_json(make_drift_report())
    doc = json.loads(text)
    assert set(doc) >= SCHEMA_KEYS
    assert list(doc) == sorted(doc)
    assert doc["schema_version"] == 1
    assert doc["kind"] == "drift"
    assert doc["drift"] is True
    for feature in doc["features"]:
        assert set(feature) >= FEATURE_KEYS
        assert list(feature) == sorted(feature)
    names = [f["name"] for f in doc["features"]]
    assert names == ["age", "income", "city"]  # importance order is kept
    importances = [f["importance"] for f in doc["features"]]
    assert importances == sorted(importances, reverse=True)
    assert text == json.dumps(doc, sort_keys=True, indent=2)


def test_json_rounds_floats_to_six_significant_digits(make_drift_report):
    doc = json.loads(render_json(make_drift_report()))
    assert doc["auc"] == 0.734568
    assert doc["auc_ci"] == [0.710123, 0.759877]
    assert doc["p_value"] == 1.23457e-20
    assert doc["features"][1]["importance_std"] == 0.025
    assert doc["fold_aucs"][2] == 0.7288


def test_json_non_finite_floats_become_null(make_drift_report):
    report = make_drift_report()
    broken = dataclasses.replace(
        report.features[0], statistic=float("nan"), importance_std=float("inf")
    )
    report = dataclasses.replace(report, features=(broken, *report.features[1:]))
    text = render_json(report)
    assert "NaN" not in text and "Infinity" not in text
    feature = json.loads(text)["features"][0]
    assert feature["statistic"] is None
    assert feature["importance_std"] is None


def test_round_floats_handles_numpy_and_paths():
    value = {
        "f32": np.float32(0.1),
        "i64": np.int64(7),
        "flag": np.bool_(True),
        "path": Path("a") / "b.csv",
        "pair": (np.float64(1 / 3), -0.0),
        3: "int key",
    }
    out = round_floats(value)
    assert out == {
        "f32": 0.1,
        "i64": 7,
        "flag": True,
        "path": str(Path("a") / "b.csv"),
        "pair": [0.333333, 0.0],
        "3": "int key",
    }
    assert type(out["i64"]) is int and type(out["flag"]) is bool
    json.dumps(out)  # plain Python types only


# --------------------------------------------------------------------------- Markdown


def test_markdown_has_verdict_table_leaks_and_settings(make_drift_report):
    names = ("order_id", "income", "city", "age")
    text = render_markdown(make_drift_report(names))
    assert "## advval drift check: DRIFT" in text
    assert "AUC **0.735** (95% CI 0.710–0.760)" in text
    assert "p-value 1.2e-20" in text
    assert (
        "| # | feature | kind | importance (± std) | statistic | adjusted p | drift | leak |"
        in text
    )
    assert "| 1 | order\\_id | numeric | 0.8 ± 0.05 | 0.310 (KS) | 1.0e-12 | yes | yes |" in text
    assert "| 3 | city | categorical | 0.267 ± 0.0167 | 0.103 (TV) |" in text
    assert "Possible leak" in text and "order\\_id" in text
    assert "Dropped before the check: empty\\_col." in text
    assert "| n\\_splits | 5 |" in text
    assert "| advval version | 0.1.0 |" in text


def test_markdown_no_drift(make_drift_report):
    text = render_markdown(make_drift_report(drift=False))
    assert "## advval drift check: no drift" in text
    assert "**No drift detected.**" in text
    assert "Possible leak" not in text


def test_markdown_escapes_names_and_caps_the_table(make_drift_report):
    names = (XSS, "a|b", *(f"f{i}" for i in range(998)))
    text = render_markdown(make_drift_report(names))
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "a\\|b" in text
    assert "### Top features (10 of 1000)" in text
    assert "| 11 |" not in text
    assert len(text) < 10_000


# --------------------------------------------------------------------------- HTML


def test_html_shows_verdict_numbers_and_features(make_drift_report):
    page = render_html(make_drift_report(("dep_time", "carrier", "origin", "month")))
    assert page.startswith("<!DOCTYPE html>")
    assert "Drift detected" in page
    assert "0.735" in page and "[0.710, 0.760]" in page
    assert "1.2e-20" in page
    for name in ("dep_time", "carrier", "origin", "month"):
        assert name in page
    assert "Possible leak" in page
    assert "empty_col" in page  # dropped columns
    assert "LGBMClassifier (default)" in page  # settings
    assert "advval 0.1.0" in page
    assert page.count("<svg") == 3 + 4  # ROC, test-likeness, importance, 4 overlays


def test_html_no_drift_banner(make_drift_report):
    page = render_html(make_drift_report(drift=False))
    assert "No drift detected" in page
    assert "Drift detected" not in page


@pytest.fixture
def render_page(make_drift_report, make_dependency_report):
    """``render_page(kind, names)``: the drift or the dependency page, hand-built report."""

    def render(kind: str, names: tuple[str, ...] = ("a", "b", "c", "d", "e", "f", "g")) -> str:
        if kind == "drift":
            return render_html(make_drift_report(names))
        return render_dependency_html(make_dependency_report(names, compared=True))

    return render


@pytest.mark.parametrize("kind", ["drift", "deps"])
def test_html_has_content_security_policy(render_page, kind):
    metas = [a for t, a in _tags(render_page(kind)) if t == "meta"]
    csp = [a["content"] for a in metas if a.get("http-equiv") == "Content-Security-Policy"]
    assert len(csp) == 1
    assert "default-src 'none'" in csp[0]
    assert "style-src 'unsafe-inline'" in csp[0]
    scripts = [d for d in csp[0].split("; ") if d.startswith("script-src")]
    if kind == "drift":  # the table's script, by its hash, and nothing else
        assert scripts == [f"script-src {script_source(table_script())}"]
    else:
        assert scripts == []  # falls back to 'none'


@pytest.mark.parametrize("kind", ["drift", "deps"])
def test_html_references_nothing_outside_the_file(render_page, kind):
    page = _scriptless(render_page(kind))
    assert "http://" not in page and "https://" not in page
    assert "url(" not in page and "@import" not in page
    assert "<script" not in page and "<link" not in page and "<iframe" not in page
    for tag, attrs in _tags(page):
        for key in ("src", "href", "xlink:href", "action", "srcset", "poster", "data"):
            value = attrs.get(key)
            assert value is None or value.startswith(("data:", "#")), (tag, key, value)


def test_html_escapes_every_data_string(make_drift_report):
    report = make_drift_report((XSS, "income", "city", "age"))
    evil = '"><img src=x onerror=alert(1)>'
    overlay = Distribution(evil, "categorical", (evil, XSS), (), (0.5, 0.5), (0.4, 0.6))
    report = dataclasses.replace(
        report,
        overlays=(overlay, *report.overlays),
        dropped_columns=(evil,),
        settings={**report.settings, evil: XSS},
        advval_version=XSS,
    )
    page = _scriptless(render_html(report))
    assert "<script" not in page
    assert "<img" not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert page.count(escaped) >= 4  # leak list, table, importance chart (SVG), overlay
    assert all(tag in PAGE_TAGS for tag, _ in _tags(page))


def test_html_size_is_bounded(make_drift_report):
    small = render_html(make_drift_report([f"feature_{i}" for i in range(10)]))
    big_report = make_drift_report([f"feature_{i}" for i in range(1000)])
    big = render_html(big_report)
    assert len(big.encode()) < 600_000  # every column has a row of under 500 bytes
    assert (len(big) - len(small)) / 990 < 500
    assert "Every column (1000)" in big
    assert all(f">feature_{i}</span>" in big for i in range(1000))
    long_names = make_drift_report(["x" * 100_000, "y" * 100_000, "z"])
    assert len(render_html(long_names)) < 300_000


def test_html_handles_missing_numbers(make_drift_report):
    report = make_drift_report()
    broken = dataclasses.replace(report.features[0], statistic=float("nan"), p_value=float("nan"))
    report = dataclasses.replace(report, features=(broken, *report.features[1:]),
                                 overlays=(), fold_aucs=())
    page = _scriptless(render_html(report))
    assert "n/a" in page
    assert "nan" not in page.lower().replace("nan-", "")


# --------------------------------------------------------------------------- write_report


@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
def test_write_report_to_path_and_text_file(make_drift_report, tmp_path, fmt):
    report = make_drift_report()
    expected = {"json": render_json, "markdown": render_markdown, "html": render_html}[fmt](report)
    expected = expected if expected.endswith("\n") else expected + "\n"
    target = tmp_path / f"report.{fmt}"
    write_report(report, target, format=fmt)
    assert target.read_bytes() == expected.encode("utf-8")
    write_report(report, str(target), format=fmt)
    assert target.read_bytes() == expected.encode("utf-8")
    buffer = io.StringIO()
    write_report(report, buffer, format=fmt)
    assert buffer.getvalue() == expected


def test_write_report_writes_utf8(make_drift_report, tmp_path):
    report = make_drift_report(("température", "город"))
    target = tmp_path / "r.md"
    write_report(report, target, format="markdown")
    assert "température" in target.read_bytes().decode("utf-8")
    target = tmp_path / "r.json"
    write_report(report, target, format="json")
    assert json.loads(target.read_bytes())["features"][1]["name"] == "город"


@pytest.mark.parametrize("sink", [None, 3, b"report.json", object()])
def test_write_report_rejects_other_sinks(make_drift_report, sink):
    with pytest.raises(TypeError, match=r"path \(str or os.PathLike\) or a text file object"):
        write_report(make_drift_report(), sink, format="json")


def test_write_report_rejects_binary_files(make_drift_report, tmp_path):
    with open(tmp_path / "r.json", "wb") as handle, pytest.raises(TypeError, match="binary"):
        write_report(make_drift_report(), handle, format="json")


def test_write_report_rejects_unknown_format(make_drift_report):
    with pytest.raises(ValueError, match=r"'format' parameter of write_report .* Got 'xml'"):
        write_report(make_drift_report(), io.StringIO(), format="xml")


def test_render_html_is_pure(make_drift_report):
    report = make_drift_report()
    assert render_html(report) == render_html(report)
    assert re.search(r"<title>advval drift report: drift detected \(AUC 0\.735\)</title>",
                     render_html(report))


# --------------------------------------------------------------------------- dependency HTML


@pytest.fixture(scope="module")
def fitted_dependencies():
    """A real checker on 160 rows with a hostile column name, and a dependency shift."""
    rng = np.random.default_rng(0)

    def frame(sign: float) -> pd.DataFrame:
        a, b, c = rng.normal(size=(3, 160))
        return pd.DataFrame(
            {"a": a, "b": b, "c": c, XSS: sign * 2 * a + rng.normal(scale=0.05, size=160)}
        )

    X, X_test = frame(1.0), frame(-1.0)  # XSS's relation to "a" flips
    y = X["b"] + rng.normal(scale=0.01, size=160)
    checker = FeatureDependencyChecker(n_jobs=1, random_state=0).fit(X, y)
    return checker, checker.dependency_shift(X, X_test)


def test_dependency_html_from_a_real_checker_escapes_names(fitted_dependencies):
    checker, shift = fitted_dependencies
    report = build_dependency_report(checker, shift)
    assert report.leaking == ("b",)
    assert XSS in report.redundant and XSS in report.shifted
    page = render_dependency_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert all(tag in PAGE_TAGS for tag, _ in _tags(page))
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    # heatmap row + column labels and tooltips, table, flag lists, near-duplicate, shift
    assert page.count(escaped) >= 8
    assert page.count("<svg") == 1 and 'id="heatmap"' in page
    assert "Capped" not in page
    assert 'id="shift"' in page and "Dependency shift" in page
    assert "Possible target leak" in page


def test_dependency_html_caps_the_heatmap(fitted_dependencies):
    checker, _ = fitted_dependencies
    full = build_dependency_report(checker)
    report = build_dependency_report(checker, matrix_features=2)
    assert report.matrix_rows == tuple(f.name for f in full.features[:2])
    assert len(report.matrix_columns) == 2 and report.matrix_capped
    assert not full.matrix_capped and len(full.matrix_rows) == 4
    page = render_dependency_html(report)
    assert "<strong>Capped:</strong> the 2 most predictable of 4 columns" in page
    matrix = checker.dependency_matrix_
    for name, row in zip(full.matrix_rows, full.matrix, strict=True):  # a full row sums to
        assert sum(row) == pytest.approx(matrix.loc[name].sum())  # the score


def test_dependency_html_shift_section_only_with_compare(make_dependency_report):
    plain = render_dependency_html(make_dependency_report(compared=False))
    assert 'id="shift"' not in plain and "Dependency shift" not in plain
    compared = render_dependency_html(make_dependency_report(compared=True))
    assert 'id="shift"' in compared
    assert '<span class="badge drift">shifted</span>' in compared
    assert 'id="n-shifted"' in compared and 'id="n-shifted"' not in plain


def test_dependency_html_shows_findings_table_and_settings(make_dependency_report):
    page = render_dependency_html(make_dependency_report(("age", "income", "city", "id")))
    assert re.search(r"<title>advval dependency report: possible target leak; redundant "
                     r"columns \(4 columns\)</title>", page)
    assert "Possible target leak" in page
    for section in ("verdict", "leaks", "heatmap", "features", "flagged", "settings"):
        assert f'id="{section}"' in page
    assert "0.980" in page and "0.970 <small>R²</small>" in page and "-0.010" in page
    assert "0.323 <small>AUC</small>" in page  # city: a class target
    for flag in ("redundant", "leak", "id-like", "row-order"):
        assert f">{flag}</span>" in page
    assert "age ≈ income" in page and "empty_col" in page
    assert "<dt>n_splits</dt><dd>3</dd>" in page and "advval 0.1.0" in page


def test_dependency_html_without_target(make_dependency_report):
    page = render_dependency_html(make_dependency_report(target=False))
    assert 'id="leaks"' not in page and "alone predicts target" not in page
    assert "Give the label column (--target)" in page


def test_dependency_html_escapes_every_data_string(make_dependency_report):
    evil = '"><img src=x onerror=alert(1)>'
    report = make_dependency_report((XSS, evil, "c", "d"), compared=True)
    report = dataclasses.replace(
        report, settings={evil: XSS}, advval_version=XSS, dropped=(evil,)
    )
    page = render_dependency_html(report)
    assert "<script" not in page and "<img" not in page
    assert all(tag in PAGE_TAGS for tag, _ in _tags(page))


def test_dependency_html_size_is_bounded(make_dependency_report):
    small = render_dependency_html(make_dependency_report([f"f{i}" for i in range(10)]))
    names = [f"feature_{i}_" + "x" * 300 for i in range(1000)]
    worst = make_dependency_report(names, compared=True)
    worst = dataclasses.replace(  # every heatmap cell drawn, every column flagged
        worst,
        matrix=tuple(tuple(0.5 for _ in worst.matrix_columns) for _ in worst.matrix_rows),
        redundant=tuple(names),
        id_like=tuple(names),
        near_duplicates=tuple(zip(names, names[1:], strict=False)),
    )
    big = render_dependency_html(worst)
    assert len(big.encode()) < 600_000
    assert len(small.encode()) < 60_000
    assert "The 50 most predictable of 1,000 columns" in big
    assert "<strong>Capped:</strong> the 40 most predictable of 1,000 columns" in big
    assert "50 of 1,000 columns, shifted ones first" in big
    assert big.count("<tr>") == 2 + 50 + 50  # two table heads, two capped tables


def test_dependency_html_handles_missing_numbers(make_dependency_report):
    report = make_dependency_report()
    broken = dataclasses.replace(
        report.features[0], metric=float("nan"), baseline=float("nan"), p_value=float("nan")
    )
    report = dataclasses.replace(
        report, features=(broken, *report.features[1:]), row_order_score=float("nan")
    )
    page = render_dependency_html(report)
    assert "n/a" in page
    assert "nan" not in page.lower()


def test_drift_and_dependency_pages_share_the_head(make_drift_report, make_dependency_report):
    def head(page: str) -> str:
        return page[: page.index("<title>")] + page[page.index("</title>") : page.index("<main>")]

    drift = render_html(make_drift_report())
    deps = render_dependency_html(make_dependency_report())
    script = str(escape(f"; script-src {script_source(table_script())}"))  # the drift table's
    assert head(drift).replace(script, "") == head(deps)
    assert "<style>" in head(deps)


def test_write_report_writes_a_dependency_page(make_dependency_report, tmp_path):
    report = make_dependency_report()
    target = tmp_path / "deps.html"
    write_report(report, target, format="html")
    assert target.read_text(encoding="utf-8") == render_dependency_html(report)


# --------------------------------------------------------------------------- header, leaks


def _leaky_report(make_drift_report, **changes):
    """The hand-built report with file names, a row budget and the verdict without a leak."""
    report = make_drift_report(("order_id", "income", "city", "age"))
    settings = {**report.settings, "max_rows": "auto", "univariate_max_rows": 1000}
    values = {
        "train_name": "data/train.csv",
        "test_name": "data/test.csv",
        "n_train_used": 600,
        "n_test_used": 400,
        "row_budget": 1000,
        "settings": settings,
        "without_leaks": WithoutLeaks(("order_id",), 3, 0.61234, (0.58, 0.64), 2.5e-9, True),
    }
    return dataclasses.replace(report, **{**values, **changes})


CLASSIFIER_DECIDED = (
    "drift detected: AUC 0.735 [0.710, 0.760]; the classifier tells the sides apart "
    "(p=1.2e-20 < alpha 0.05, and the AUC's lower bound 0.710 exceeds 0.520)"
)


def test_verdict_line_gives_the_verdict_without_the_leaks(make_drift_report):
    report = _leaky_report(make_drift_report)
    assert verdict_line(report) == (
        f"{CLASSIFIER_DECIDED}; with leak-like column order_id; without them: drift detected, "
        f"AUC 0.612 [0.580, 0.640], p=2.5e-09"
    )
    clean = dataclasses.replace(
        report, without_leaks=WithoutLeaks(("order_id",), 3, 0.503, (0.48, 0.52), 0.41, False)
    )
    assert verdict_line(clean).endswith("without them: no drift, AUC 0.503 [0.480, 0.520], p=0.41")
    no_dropper = dataclasses.replace(report, without_leaks=None, leaks=("order_id", "a\nb"))
    assert verdict_line(no_dropper) == (
        f"{CLASSIFIER_DECIDED}; with leak-like columns order_id, 'a\\nb'"
    )
    many = dataclasses.replace(no_dropper, leaks=tuple(f"t{i}" for i in range(8)))
    assert verdict_line(many).endswith("with leak-like columns t0, t1, t2, t3, t4 and 3 more")
    assert verdict_line(make_drift_report()) == CLASSIFIER_DECIDED
    underflow = dataclasses.replace(report, p_value=0.0, without_leaks=dataclasses.replace(
        report.without_leaks, p_value=0.0))
    assert verdict_line(underflow) == (  # never p=0
        f"{CLASSIFIER_DECIDED.replace('p=1.2e-20', 'p < 1e-300')}; with leak-like column "
        f"order_id; without them: drift detected, AUC 0.612 [0.580, 0.640], p < 1e-300"
    )


def test_a_significant_difference_under_the_floor_says_the_floor_decided(make_drift_report):
    report = dataclasses.replace(
        make_drift_report(drift=False), auc=0.51, auc_ci=(0.493, 0.527), p_value=0.025,
        drift=False, alpha=0.05, min_effect=0.01,
    )  # fmt: skip
    floor = (
        "the classifier's difference is significant (p=0.025 < alpha 0.05) but under the "
        "effect floor: the AUC's lower bound 0.493 does not exceed 0.510"
    )
    assert verdict_line(report) == f"no drift: AUC 0.510 [0.493, 0.527]; {floor}"
    markdown = render_markdown(report)
    assert "**No drift detected.** AUC **0.510** (95% CI 0.493–0.527), p-value 0.025: " + (
        md_escape(floor)
    ) in markdown
    assert "they read different rows" in markdown  # p < alpha, yet the interval holds 0.5
    assert html.escape(floor).replace("&#x27;", "&#39;") in render_html(report)  # jinja2
    not_significant = dataclasses.replace(report, p_value=0.4)
    assert verdict_line(not_significant) == (
        "no drift: AUC 0.510 [0.493, 0.527]; the classifier finds no significant difference "
        "(p=0.4)"
    )
    assert "they read different rows" not in render_markdown(not_significant)


def test_verdict_without_some_leaks_names_them(make_drift_report):
    report = _leaky_report(make_drift_report, leaks=("order_id", "kept_id"))
    assert "; without order_id: drift detected, AUC 0.612" in verdict_line(report)
    assert "**Without order\\_id: drift detected**" in render_markdown(report)
    assert "the leak-like columns dropped by the remedy" in render_html(report)


def test_json_has_the_inputs_and_the_verdict_without_leaks(make_drift_report):
    doc = json.loads(render_json(_leaky_report(make_drift_report)))
    assert list(doc) == sorted(doc)
    assert doc["train_name"] == "data/train.csv" and doc["test_name"] == "data/test.csv"
    assert (doc["n_train"], doc["n_test"], doc["n_train_used"], doc["n_test_used"]) == (
        1200, 800, 600, 400
    )
    assert doc["row_budget"] == 1000
    assert doc["without_leaks"] == {
        "auc": 0.61234, "auc_ci": [0.58, 0.64], "columns": ["order_id"], "drift": True,
        "n_features": 3, "p_value": 2.5e-09,
    }
    plain = json.loads(render_json(make_drift_report()))  # a report without them: null
    for key in ("train_name", "test_name", "n_train_used", "n_test_used", "row_budget",
                "without_leaks"):
        assert plain[key] is None


def test_markdown_header_names_the_inputs_and_the_rows_used(make_drift_report):
    text = render_markdown(_leaky_report(make_drift_report))
    assert text.startswith("## advval drift check: DRIFT (without leak-like columns: DRIFT)\n")
    assert (
        "\n**Without the leak-like columns (order\\_id): drift detected**, AUC **0.612** "
        "(95% CI 0.580–0.640), p-value 2.5e-09. From the remedy's first step"
    ) in text
    inputs = "TRAIN data/train.csv: 1,200 rows · TEST data/test.csv: 800 rows · 4 features"
    assert f"\n{inputs}\n" in text
    assert (
        "\nThe domain classifier used 1,000 of the 2,000 rows (600 train + 400 test, drawn in "
        "proportion from each side): the row budget is 1,000 rows (max\\_rows='auto': past "
        "it, more rows would not change whether a shift of twice the effect floor is "
        "flagged). The per-column tests and the leak screen read every row (at most 1,000 a "
        "side). Change the budget with max\\_rows (Python) or --max-rows (command line).\n"
    ) in text
    every_row = _leaky_report(
        make_drift_report, n_train_used=1200, n_test_used=800, row_budget=None,
        settings={"max_rows": None}, train_name=None, test_name=None,
    )
    text = render_markdown(every_row)
    assert "\nTRAIN: 1,200 rows · TEST: 800 rows · 4 features\n" in text
    assert (
        "\nThe domain classifier used all 2,000 rows. Change the budget with max\\_rows "
        "(Python) or --max-rows (command line).\n"
    ) in text
    assert "The domain classifier" not in render_markdown(make_drift_report())  # not known


def test_html_header_and_the_verdict_without_leaks(make_drift_report):
    page = render_html(_leaky_report(make_drift_report))
    assert re.search(
        r"<title>advval drift report: drift detected \(AUC 0\.735; without leak-like "
        r"columns: drift, AUC 0\.612\)</title>", page
    )
    assert "data/train.csv vs data/test.csv adversarial validation" in page
    assert '<dd id="train-input"><span class="file">data/train.csv</span> 1,200 <small>' in page
    assert '<dd id="rows-used">1,000 of 2,000</dd>' in page
    assert '<p class="rule" id="budget">The domain classifier used 1,000 of the 2,000 rows' in page
    assert '<div class="without-leaks drift" id="without-leaks">' in page
    assert '<dd id="auc-without-leaks">0.612 <small>95% CI [0.580, 0.640]</small></dd>' in page
    assert '<dd id="p-value-without-leaks">2.5e-09</dd>' in page
    assert "This model uses the leak-like columns; without them the AUC is 0.612." in page
    assert 'id="leak-driven"' not in page
    no_dropper = render_html(_leaky_report(make_drift_report, without_leaks=None))
    assert 'id="without-leaks"' not in no_dropper and 'id="leak-driven"' in no_dropper
    plain = render_html(make_drift_report())
    assert 'id="rows-used"' not in plain and 'id="budget"' not in plain
    assert "train vs test adversarial validation" in plain


def test_html_escapes_file_names_and_leak_names(make_drift_report):
    evil = '"><img src=x onerror=alert(1)>'
    report = _leaky_report(
        make_drift_report, train_name=XSS, test_name=evil,
        without_leaks=WithoutLeaks((XSS,), 3, 0.6, (0.58, 0.64), 1e-9, True), leaks=(XSS,),
    )
    page = _scriptless(render_html(report))
    assert "<script" not in page and "<img" not in page
    assert all(tag in PAGE_TAGS for tag, _ in _tags(page))
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # names, lists, subheading
    text = render_markdown(report)
    assert "<script" not in text and "<img" not in text


def test_remedy_tables_give_each_steps_p_value(make_drift_report):
    steps = (
        RemedyStep(4, 0.99, (0.98, 1.0), True, ("order_id",), None, 1e-30),
        RemedyStep(3, 0.612, (0.58, 0.64), True, ("income",), None, 2.5e-9),
        RemedyStep(2, 0.51, (0.49, 0.53), False, (), None, 0.3),
    )
    report = _leaky_report(make_drift_report, remedy=steps)
    text = render_markdown(report)
    assert "| features left | AUC | interval | p-value | drift | then drop |" in text
    assert "| 3 | 0.612 | [0.580, 0.640] | 2.5e-09 | yes | income |  |" in text
    assert "Each row is a held-out check of the columns left" in text
    page = render_html(report)
    assert '<th class="num">p-value</th>' in page and '<td class="num">2.5e-09</td>' in page
    assert [s["p_value"] for s in json.loads(render_json(report))["remedy"]["path"]] == [
        1e-30, 2.5e-09, 0.3
    ]


# --------------------------------------------------------------------------- charts


def _feature(name, importance, *, leak=False):
    return FeatureDrift(name, "numeric", importance, importance / 10, 0.2, 1e-4, "ks", True, leak)


def _x_ticks(svg: str) -> list[float]:
    return [float(t) for t in re.findall(r'text-anchor="middle">([\d.]+)</text>', svg)]


def test_importance_axis_ignores_leaks_and_cuts_their_bars():
    features = [_feature("row_id", 12.5, leak=True), _feature("age", 0.4), _feature("b", 0.1)]
    svg = importance_chart(features)
    assert max(_x_ticks(svg)) == 0.5  # set by age (0.4 + 0.04), not by the leak
    assert "12.5 (leak)</text>" in svg  # the leak's value, written on its cut bar
    assert "off the scale" in svg and "leak-like bars cut at the end" in svg
    bars = re.findall(r'<rect x="190" y="[\d.]+" width="([\d.]+)"', svg)
    assert float(bars[0]) == 720 - 190 - 24  # the leak: the whole axis
    assert float(bars[1]) == pytest.approx(0.4 / 0.5 * (720 - 190 - 24))
    assert off_scale(features) == ["row_id"]
    plain = importance_chart(features[1:])  # without a leak: as before
    assert max(_x_ticks(plain)) == 0.5 and "(leak)" not in plain
    only_leaks = [_feature("row_id", 12.5, leak=True), _feature("ts", 3.0, leak=True)]
    assert max(_x_ticks(importance_chart(only_leaks))) == 15 and off_scale(only_leaks) == []
    small_leak = [_feature("row_id", 0.3, leak=True), _feature("age", 0.4)]
    assert off_scale(small_leak) == [] and "(leak)</text>" not in importance_chart(small_leak)


def test_html_importance_note_only_when_a_leak_is_cut(make_drift_report):
    report = make_drift_report(("order_id", "income", "city", "age"))
    leak = dataclasses.replace(report.features[0], importance=40.0)
    page = render_html(dataclasses.replace(report, features=(leak, *report.features[1:])))
    assert "the bars of leak-like columns that exceed it are cut at its end" in page
    on_scale = dataclasses.replace(report.features[0], importance=0.45)  # axis: 0.5
    page = render_html(dataclasses.replace(report, features=(on_scale, *report.features[1:])))
    assert "the bars of leak-like columns" not in page


def _frames(**columns):
    """Train and test frames from ``name=(train values, test values)``."""
    train = pd.DataFrame({k: v[0] for k, v in columns.items()})
    test = pd.DataFrame({k: v[1] for k, v in columns.items()})
    return train, test


def _fitted(train, test):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LeakWarning)
        return AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)


def test_disjoint_categories_look_disjoint():
    rng = np.random.default_rng(0)
    n = 600
    train, test = _frames(
        code=([f"a{i}" for i in rng.integers(0, 300, n)],
              [f"b{i}" for i in rng.integers(0, 300, n)]),
        shared=(rng.choice(["x", "y", "z"], n), rng.choice(["x", "y", "z"], n)),
        noise=(rng.normal(size=n), rng.normal(size=n)),
    )
    train.loc[:29, "code"] = None  # 5% missing in train only
    validator = _fitted(train, test)
    report = build_drift_report(validator, train, test)
    by_name = {o.name: o for o in report.overlays}
    code = by_name["code"]
    assert code.kind == "categorical"
    assert code.unseen_train == code.unseen_test == 1.0  # missing counts on neither side
    assert code.n_levels == (
        train["code"].nunique(), test["code"].nunique()
    )
    levels = [i for i, label in enumerate(code.labels) if label not in ("(missing)", "(other)")]
    assert len(levels) == 12
    assert all(min(code.train[i], code.test[i]) == 0 for i in levels)  # no level on both sides
    assert [code.train[i] > 0 for i in levels] == [True] * 6 + [False] * 6  # train's, then test's
    assert code.labels[-2:] == ("(missing)", "(other)")
    assert code.train[-2] == pytest.approx(0.05) and code.test[-2] == 0.0
    assert sum(code.train) == pytest.approx(1.0) and sum(code.test) == pytest.approx(1.0)
    shared = by_name["shared"]
    assert shared.unseen_train == shared.unseen_test == 0.0
    assert shared.labels == ("x", "y", "z") or set(shared.labels) == {"x", "y", "z"}
    svg = distribution_chart(code, width=340, height=200)
    assert "100% not in test</text>" in svg and "100% not in train</text>" in svg
    assert 'height="240"' in svg  # the strip adds its rows
    page = render_html(report)
    assert (
        "values unseen on the other side: 100% of test rows, 100% of train rows (rows with a "
        "value)"
    ) in page
    assert f"{code.n_levels[0]:,} distinct values in train, {code.n_levels[1]:,} in test" in page


def test_category_plot_keeps_levels_readable_beside_a_large_other():
    levels = tuple(f"l{i}" for i in range(12))
    dist = Distribution(
        "tail", "categorical", (*levels, "(other)"), (),
        tuple([0.0025] * 12) + (0.97,), tuple([0.003] * 12) + (0.964,),
        unseen_train=0.4, unseen_test=0.38, n_levels=(4000, 2000),
    )
    svg = distribution_chart(dist)
    y_ticks = re.findall(r'text-anchor="end">([\d.]+)%</text>', svg)
    assert y_ticks == ["0", "0.1", "0.2", "0.3"]  # set by the levels (0.3%), not by (other)
    assert "(other) 97%/96%" in svg  # the cut bucket's shares, in its label
    assert "40% not in test</text>" in svg and "38% not in train</text>" in svg
    assert 'stroke="#ffffff" stroke-width="2.5"' in svg  # the break across the cut bars
    even = dataclasses.replace(dist, train=(0.1,) * 12 + (0.1,), test=(0.1,) * 12 + (0.1,))
    assert "(other) 10%" not in distribution_chart(even)  # not cut: no shares in the label


def test_a_level_spelled_like_a_bucket_is_quoted():
    train, test = _frames(c=(["(other)"] * 50 + ["(missing)"] * 50, ["(other)"] * 100))
    train["n"] = np.arange(100.0) % 7
    test["n"] = np.arange(100.0) % 5
    overlay = build_drift_report(_fitted(train, test), train, test).overlays
    labels = {o.name: o.labels for o in overlay}["c"]
    assert labels == ("'(missing)'", "'(other)'")  # equal counts: by name


def test_text_columns_are_plotted_by_length():
    rng = np.random.default_rng(1)
    short = [f"late {i}" for i in range(300)]
    long = [f"a much longer description of flight {i} and its delay" for i in range(300)]
    train, test = _frames(
        note=(short, long[:150] + short[:150]), x=(rng.normal(size=300), rng.normal(size=300))
    )
    validator = _fitted(train, test)
    encoder = dataclasses.replace(validator.encoder_)
    encoder.kinds = {**encoder.kinds, "note": "text"}  # the encoder's free-text kind
    [note] = _overlays(encoder, train, test, ["note"])
    assert note.kind == "numeric" and note.measure == "length (characters)"
    assert note.n_levels == (300, 300)
    assert note.unseen_train == pytest.approx(0.5) and note.unseen_test == pytest.approx(0.5)
    lo, hi = note.edges[0], note.edges[-1]
    assert lo <= len("late 0") and hi >= len(long[0]) - 1 and len(note.labels) == 30
    assert sum(note.train[:10]) == pytest.approx(1.0)  # train: the short texts only
    assert sum(note.test[-10:]) == pytest.approx(0.5)  # test: half of them long
    svg = distribution_chart(note)
    assert "(length (characters))" in svg and "50% not in test" in svg
    card = _overlay_card(note, None)
    assert card["measure"] == "length (characters)"


def test_datetime_columns_are_plotted_on_a_date_axis():
    days = pd.date_range("2013-01-01", periods=365, freq="D")
    train, test = _frames(
        when=(pd.Series(days[:200]), pd.Series(days[200:365].append(days[:35]))),
        x=(np.arange(200.0) % 3, np.arange(200.0) % 4),
    )
    report = build_drift_report(_fitted(train, test), train, test)
    when = {o.name: o for o in report.overlays}["when"]
    assert when.kind == "datetime" and when.unseen_train is None
    assert when.labels[0].startswith("2013-01-0") and " to 2013-01-" in when.labels[0]
    svg = distribution_chart(when)
    assert ">2013-01-0" in svg and ">2013-12-" in svg  # ticks are dates, not epoch seconds
    assert ">1.36e+09<" not in svg


def test_an_unknown_kind_is_plotted_by_its_values():
    rng = np.random.default_rng(2)
    train, test = _frames(
        a=(rng.normal(size=200), rng.normal(1, 1, 200)), b=(rng.choice(["u", "v"], 200),
                                                            rng.choice(["u", "w"], 200))
    )
    validator = _fitted(train, test)
    encoder = dataclasses.replace(validator.encoder_)
    encoder.kinds = {"a": "interval", "b": "ordinal"}  # kinds this module does not know
    a, b = _overlays(encoder, train, test, ["a", "b"])
    assert a.kind == "numeric" and len(a.edges) == 31
    assert b.kind == "categorical" and set(b.labels) == {"u", "v", "w"}
    assert b.unseen_train == pytest.approx((train["b"] == "v").mean())


def test_overlays_put_the_leak_columns_after_the_others():
    rng = np.random.default_rng(3)
    n = 300
    columns = {f"x{i}": (rng.normal(0.1 * i, 1, n), rng.normal(0.0, 1, n)) for i in range(8)}
    columns["row"] = (np.arange(n, dtype=float), np.arange(n, 2 * n, dtype=float))
    train, test = _frames(**columns)
    validator = _fitted(train, test)
    assert validator.leak_features_ == ["row"]
    chosen = overlay_columns(validator)
    assert chosen[-1] == "row" and len(chosen) == 7
    assert chosen[:6] == [c for c in validator.feature_report_.index if c != "row"][:6]
    report = build_drift_report(validator, train, test)
    assert [o.name for o in report.overlays] == chosen
    sample = build_drift_report(validator, train[chosen[:2]], test[chosen[:2]])
    assert [o.name for o in sample.overlays] == chosen[:2]  # columns not passed are skipped


# --------------------------------------------------------------------------- build errors


def test_build_drift_report_checks_the_names_and_the_dropper():
    rng = np.random.default_rng(4)
    train, test = _frames(a=(rng.normal(size=200), rng.normal(1, 1, 200)),
                          b=(rng.normal(size=200), rng.normal(size=200)))
    validator = _fitted(train, test)
    with pytest.raises(TypeError, match=r"The 'train_name' parameter of build_drift_report "
                                         r"must be a str, a path or None\. Got int instead\."):
        build_drift_report(validator, train_name=3)
    with pytest.raises(TypeError, match=r"'test_name' parameter .* Got bytes instead"):
        build_drift_report(validator, test_name=b"test.csv")
    report = build_drift_report(validator, train_name=Path("in") / "train.parquet")
    assert report.train_name == str(Path("in") / "train.parquet") and report.test_name is None
    other = DriftFeatureDropper(
        X_test=test[["a"]], validator=AdversarialValidator(n_jobs=1), random_state=0
    ).fit(train[["a"]])
    with pytest.raises(ValueError, match=r"The dropper was fitted on other columns than the "
                                         r"validator \(1 against 2\)"):
        build_drift_report(validator, dropper=other)


def test_without_leaks_is_none_without_a_leak_step():
    rng = np.random.default_rng(5)
    train, test = _frames(a=(rng.normal(size=300), rng.normal(1, 1, 300)),
                          b=(rng.normal(size=300), rng.normal(size=300)))
    validator = _fitted(train, test)
    dropper = DriftFeatureDropper(
        X_test=test, validator=validator, prefit=True, random_state=0
    ).fit(train)
    assert validator.leak_features_ == [] and list(dropper.path_["dropped"].iat[0]) == ["a"]
    report = build_drift_report(validator, train, test, dropper=dropper)
    assert report.without_leaks is None and report.remedy[0].dropped == ("a",)
    assert report.remedy[0].p_value == dropper.path_["p_value"].iat[0]
    assert "without them" not in verdict_line(report)


def test_without_leaks_comes_from_the_step_after_the_leaks():
    rng = np.random.default_rng(6)
    n = 400
    train, test = _frames(
        row=(np.arange(n, dtype=float), np.arange(n, 2 * n, dtype=float)),
        a=(rng.normal(size=n), rng.normal(0.8, 1, n)),
        b=(rng.normal(size=n), rng.normal(size=n)),
    )
    validator = _fitted(train, test)
    dropper = DriftFeatureDropper(
        X_test=test, validator=validator, prefit=True, random_state=0
    ).fit(train)
    report = build_drift_report(validator, train, test, dropper=dropper)
    after = dropper.path_.iloc[1]
    assert report.without_leaks == WithoutLeaks(
        columns=("row",), n_features=2, auc=after["auc"],
        auc_ci=(after["auc_low"], after["auc_high"]), p_value=after["p_value"],
        drift=bool(after["drift"]),
    )
    assert report.without_leaks.drift and report.without_leaks.auc < report.auc
    assert "with leak-like column row; without them: drift detected, AUC" in verdict_line(report)


def test_an_unknown_kind_of_dates_is_plotted_on_a_date_axis():
    days = pd.Series(pd.date_range("2013-01-01", periods=200, freq="D", tz="Europe/Paris"))
    train, test = _frames(when=(days[:100], days[100:].reset_index(drop=True)),
                          x=(np.arange(100.0) % 3, np.arange(100.0) % 4))
    validator = _fitted(train, test)
    encoder = dataclasses.replace(validator.encoder_)
    encoder.kinds = {"when": "timestamp", "x": "numeric"}
    [when] = _overlays(encoder, train, test, ["when"])
    assert when.kind == "datetime"
    assert when.edges[0] == pytest.approx(pd.Timestamp("2012-12-31 23:00", tz="UTC").timestamp(),
                                          abs=86_400 * 2)
    assert sum(when.train[:15]) == pytest.approx(1.0) and sum(when.test[15:]) == pytest.approx(1.0)


def test_dependency_reports_explain_every_number(fitted_dependencies):
    checker, _ = fitted_dependencies
    report = build_dependency_report(checker)
    scores = checker.scores_
    for f in report.features:
        row = scores.loc[f.name]
        assert (f.score_low, f.score_high) == (row["score_low"], row["score_high"])
        expected = checker.dependency_matrix_.loc[f.name, list(f.top_features)]
        assert f.top_shares == tuple(float(v) for v in expected)
    document = json.loads(render_json(report))
    first = document["features"][0]
    top = report.features[0]
    assert first["score_ci"] == round_floats([top.score_low, top.score_high])
    assert first["top_shares"] == round_floats(list(top.top_shares))
    text = render_dependency_markdown(report)
    page = render_dependency_html(report)
    interval = f"[{top.score_low:.3f}, {top.score_high:.3f}]"
    assert f"{top.score:.3f} {interval}" in text and interval in page
    for rendered in (text, page):
        assert "R² of each row" in rendered and "the file" in rendered  # the row-order score
        assert "interval&#39;s lower end" in rendered or "interval's lower end" in rendered
        assert "part of the score" in rendered


def test_a_significant_score_of_zero_is_explained(make_dependency_report):
    report = make_dependency_report()
    odd = dataclasses.replace(report.features[-1], score=0.0, significant=True, p_value=3e-39)
    report = dataclasses.replace(report, features=(*report.features[:-1], odd))
    for rendered in (render_dependency_markdown(report), render_dependency_html(report)):
        assert "Significant with a score of 0" in rendered and "order" in rendered
    plain = make_dependency_report()
    assert not any(f.ranks_only for f in plain.features)
    assert "Significant with a score of 0" not in render_dependency_markdown(plain)


@pytest.mark.parametrize(
    ("score", "reading"),
    [(0.02, "unrelated to its values"), (0.3, "a little"), (0.97, "sorted by something")],
)
def test_the_row_order_score_is_read_for_the_user(make_dependency_report, score, reading):
    report = dataclasses.replace(make_dependency_report(), row_order_score=score)
    assert reading in render_dependency_markdown(report)
    assert reading in render_dependency_html(report)
