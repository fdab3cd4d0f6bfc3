"""Renderers of a DriftReport and a DependencyReport: JSON, Markdown, self-contained HTML, sinks."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from advval import FeatureDependencyChecker
from advval.report import (
    Distribution,
    build_dependency_report,
    render_dependency_html,
    render_html,
    render_json,
    render_markdown,
    write_report,
)
from advval.report._json import round_floats

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
    "polyline", "g", "rect", "path", "footer",
}


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
    assert "script-src" not in csp[0]  # falls back to 'none'


@pytest.mark.parametrize("kind", ["drift", "deps"])
def test_html_references_nothing_outside_the_file(render_page, kind):
    page = render_page(kind)
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
    page = render_html(report)
    assert "<script" not in page
    assert "<img" not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert page.count(escaped) >= 4  # leak list, table, importance chart (SVG), overlay
    assert all(tag in PAGE_TAGS for tag, _ in _tags(page))


def test_html_size_is_bounded(make_drift_report):
    small = render_html(make_drift_report([f"feature_{i}" for i in range(10)]))
    big_report = make_drift_report([f"feature_{i}" for i in range(1000)])
    big = render_html(big_report)
    assert len(big.encode()) < 300_000
    assert len(big) < 1.6 * len(small)
    assert "Top 25 of 1000 features" in big
    assert "feature_24" in big and "feature_25" not in big
    long_names = make_drift_report(["x" * 100_000, "y" * 100_000, "z"])
    assert len(render_html(long_names)) < 300_000


def test_html_handles_missing_numbers(make_drift_report):
    report = make_drift_report()
    broken = dataclasses.replace(report.features[0], statistic=float("nan"), p_value=float("nan"))
    report = dataclasses.replace(report, features=(broken, *report.features[1:]),
                                 overlays=(), fold_aucs=())
    page = render_html(report)
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
    assert head(drift) == head(deps)
    assert "<style>" in head(deps)


def test_write_report_writes_a_dependency_page(make_dependency_report, tmp_path):
    report = make_dependency_report()
    target = tmp_path / "deps.html"
    write_report(report, target, format="html")
    assert target.read_text(encoding="utf-8") == render_dependency_html(report)
