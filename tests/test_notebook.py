"""Reports in a notebook: ``_repr_html_`` fragments and one-line reprs (issue #19).

Every report kind renders as one scoped, script-free fragment that loads nothing; its
verdict and numbers are checked against the report object, which comes from the real
estimator on data with a planted effect. Rendering itself (hostile names, size bounds)
is checked on reports made larger with ``dataclasses.replace``: the renderers are pure
functions of the report.
"""

from __future__ import annotations

import dataclasses
import html
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from advval import AdversarialValidator, FeatureDependencyChecker
from advval.attacks import SquareAttack, robustness_report
from advval.report import (
    build_dependency_report,
    build_drift_report,
    render_dependency_html,
    render_html,
)
from advval.report._dependency import summary_line as dependency_line
from advval.report._html import name_text, report_css
from advval.report._markdown import format_auc, format_count, format_fixed, format_p
from advval.report._notebook import (
    NOTEBOOK_MAX_COLUMNS,
    NOTEBOOK_MAX_OVERLAYS,
    NOTEBOOK_MAX_ROWS,
    SCOPE,
    drift_card,
    scope_css,
)
from advval.report._robustness_html import summary_line as robustness_line

XSS = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
NOISE = 30  # columns without drift, so the 32 columns exceed NOTEBOOK_MAX_COLUMNS


def drift_frames(shift: float, n: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test frames: ``shift`` planted on the column named ``XSS`` and on a
    categorical column named ``IMG`` whose levels are hostile too; ``NOISE`` stable columns."""
    rng = np.random.default_rng(0)

    def side(delta: float) -> pd.DataFrame:
        frame = pd.DataFrame(rng.normal(size=(n, NOISE)), columns=[f"n{i}" for i in range(NOISE)])
        frame.insert(0, XSS, rng.normal(delta, 1.0, n))
        shares = [0.2 + 0.2 * delta, 0.2 + 0.1 * delta, 0.6 - 0.3 * delta]
        frame.insert(1, IMG, rng.choice([XSS, IMG, "plain"], size=n, p=shares))
        return frame

    return side(0.0), side(shift)


@pytest.fixture(scope="module")
def drift_fit() -> tuple[AdversarialValidator, pd.DataFrame, pd.DataFrame]:
    train, test = drift_frames(1.0)
    validator = AdversarialValidator(n_splits=3, random_state=0, n_jobs=1).fit(train, test)
    return validator, train, test


@pytest.fixture(scope="module")
def drift(drift_fit):
    validator, train, test = drift_fit
    return build_drift_report(validator, train, test)


@pytest.fixture(scope="module")
def deps():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", XSS, "d"])
    frame["copy"] = 2 * frame["a"] + rng.normal(scale=0.01, size=300)  # planted redundancy
    checker = FeatureDependencyChecker(n_splits=3, random_state=0).fit(frame)
    return build_dependency_report(checker)


@pytest.fixture(scope="module")
def robustness():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=[XSS, "income", "age"])
    y = (X[XSS] + X["income"] > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(X, y)
    return robustness_report(
        model, X, y, [SquareAttack(None, eps=0.5, steps=20)], eps=[0.1, 0.5], random_state=0
    )


class _Tags(HTMLParser):
    """Start tags and the text of a fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _tags(fragment: str) -> _Tags:
    parser = _Tags()
    parser.feed(fragment)
    parser.close()
    return parser


def _assert_self_contained(fragment: str) -> None:
    """One scoped element with its style; no script, no external reference of any kind."""
    assert fragment.startswith(f'<div class="{SCOPE}">\n<style>')
    assert fragment.rstrip().endswith("</div>")
    tags = _tags(fragment)
    names = [tag for tag, _ in tags.tags]
    assert "script" not in names and "link" not in names and "iframe" not in names
    assert names.count("style") == 1 and "html" not in names and "body" not in names
    for tag, attrs in tags.tags:
        for key, value in attrs.items():
            assert not key.startswith("on"), (tag, key)  # no event handler attribute
            if key in ("src", "href"):
                assert tag == "img" and value is not None and value.startswith("data:image/png")
    lowered = fragment.lower()
    for pattern in ("http://", "https://", "url(", "@import", "//cdn", "<script"):
        assert pattern not in lowered, pattern


def _style(fragment: str) -> str:
    return fragment[fragment.index("<style>") + 7 : fragment.index("</style>")]


def _column_names(fragment: str) -> list[str]:
    """The names in the column table, in order."""
    table = fragment[fragment.index('id="columns-table"') :]
    table = table[: table.index("</table>")]
    return [html.unescape(m) for m in re.findall(r'class="col-name">(.*?)</', table)]


# ------------------------------------------------------------------------------- CSS


def _rules(css: str) -> list[tuple[str, str]]:
    """(selector list, declarations) of every plain rule, inside @media blocks too."""
    return re.findall(r"([^{}@]+)\{([^{}]*)\}", css)


def test_every_rule_of_the_report_css_is_scoped():
    css = report_css()
    scoped = scope_css(css)
    original, rules = _rules(css), _rules(scoped)
    assert len(rules) == len(original) > 50  # no rule lost
    for (_, before), (selectors, after) in zip(original, rules, strict=True):
        assert before.strip() == after.strip()  # declarations as they were
        for selector in selectors.split(","):
            assert selector.strip().startswith(f".{SCOPE}"), selector
    assert scoped.count("@media") == css.count("@media") == 1
    # the page's custom properties and base font now belong to the fragment's element
    assert re.search(rf"(^|\n)\.{SCOPE} \{{ --text:", scoped)
    assert not re.search(r"(^|[\s,}])(:root|body|html)\b", scoped)


def test_scope_css_handles_the_root_element_selectors_and_refuses_other_at_rules():
    assert scope_css("body main, :root { a: b }", "s") == ".s main, .s { a: b }\n"
    assert scope_css("/* x { */ p { c: d }", "s") == ".s p { c: d }\n"
    with pytest.raises(ValueError, match="at-rule '@font-face'"):
        scope_css("@font-face { font-family: x; }")
    with pytest.raises(ValueError, match="unbalanced braces"):
        scope_css("p { c: d")
    with pytest.raises(ValueError, match="unbalanced braces"):
        scope_css("p { c: d } }")


# ----------------------------------------------------------------------------- drift


def test_drift_fragment_shows_the_verdict_and_numbers_of_the_report(drift):
    assert drift.drift  # the planted shifts are found
    assert {f.name for f in drift.features[:2]} == {XSS, IMG}
    fragment = drift._repr_html_()
    _assert_self_contained(fragment)
    verdict = fragment[fragment.index('id="verdict"') : fragment.index("</section>")]
    assert "Drift detected" in verdict
    low, high = drift.auc_ci
    assert f"{format_fixed(drift.auc)} <small>95% CI [{format_fixed(low)}, " in verdict
    assert f"{format_fixed(high)}]</small>" in verdict
    assert f'id="p-value">{format_p(drift.p_value)}<' in verdict
    assert f"{format_count(drift.n_train)} <small>rows" in fragment
    # the same charts as the page: ROC, test-likeness, importance, the overlays
    assert fragment.count('<svg class="chart"') == 3 + min(
        len(drift.overlays), NOTEBOOK_MAX_OVERLAYS
    )


def test_drift_fragment_lists_the_top_columns_and_says_how_many_there_are(drift):
    fragment = drift._repr_html_()
    n = len(drift.features)
    assert n == NOISE + 2 > NOTEBOOK_MAX_COLUMNS
    expected = [name_text(f.name) for f in drift.features[:NOTEBOOK_MAX_COLUMNS]]
    assert _column_names(fragment) == expected
    assert f"The {NOTEBOOK_MAX_COLUMNS} most important of {n} columns" in fragment
    assert f"This view shows the {NOTEBOOK_MAX_COLUMNS} most important of {n} columns" in (
        fragment
    )
    hidden = drift.features[-1].name  # the least important column
    assert html.escape(hidden) not in _column_names(fragment)
    # the page keeps every column, its sortable table and its script
    page = render_html(drift)
    assert f"Every column ({n})" in page and len(_column_names(page)) == n
    assert page.count("<script>") == 1


def test_hostile_names_are_text_in_the_drift_fragment(drift):
    fragment = drift._repr_html_()
    assert XSS not in fragment and IMG not in fragment
    assert html.escape(XSS, quote=False) in fragment
    text = "".join(_tags(fragment).text)
    assert XSS in text and IMG in text  # shown, as text (names and levels)
    assert not any(tag == "img" for tag, _ in _tags(fragment).tags)


def test_drift_fragment_size_does_not_grow_with_the_columns(drift):
    def widened(k: int):
        def copies(items):
            return tuple(
                dataclasses.replace(x, name=f"{x.name}_{i}") for i in range(k) for x in items
            )

        features = copies(drift.features)
        return dataclasses.replace(
            drift, features=features, n_features=len(features),
            column_facts=copies(drift.column_facts), distributions=copies(drift.distributions),
        )  # fmt: skip

    small, large = widened(2), widened(60)  # 64 and 1,920 columns
    assert len(large.features) == 1920
    fragment_small, fragment_large = small._repr_html_(), large._repr_html_()
    assert len(_column_names(fragment_large)) == NOTEBOOK_MAX_COLUMNS
    assert f"The {NOTEBOOK_MAX_COLUMNS} most important of 1,920 columns" in fragment_large
    assert abs(len(fragment_large) - len(fragment_small)) < 2_000
    assert len(fragment_large) < 150_000
    assert len(render_html(large)) > 10 * len(fragment_large)  # the page lists them all


def test_drift_card_is_the_verdict_alone(drift):
    card = drift_card(drift)
    _assert_self_contained(card)
    assert 'id="verdict"' in card and "Drift detected" in card
    for section in ('id="columns"', 'id="inputs"', "<svg", "<header>", "<footer>"):
        assert section not in card
    assert format_auc(drift).split(" ")[0] in card


def test_drift_report_repr_is_one_line_with_the_verdict(drift):
    text = repr(drift)
    assert "\n" not in text and len(text) < 600
    assert text.startswith(f"<DriftReport: drift detected: AUC {format_auc(drift)};")
    assert text.endswith(f"; 300 train and 300 test rows, {len(drift.features)} columns>")
    assert str(drift) == text


def test_no_drift_fragment_says_so():
    train, test = drift_frames(0.0)
    validator = AdversarialValidator(n_splits=3, random_state=0, n_jobs=1).fit(train, test)
    report = build_drift_report(validator)  # without the frames: no distributions
    assert not report.drift
    fragment = report._repr_html_()
    _assert_self_contained(fragment)
    assert "No drift detected" in fragment and "Drift detected" not in fragment
    assert repr(report).startswith("<DriftReport: no drift: AUC ")


# ------------------------------------------------------------------------ dependency


def test_dependency_fragment_shows_the_findings_of_the_report(deps):
    assert "copy" in deps.redundant and "a" in deps.redundant  # the planted pair
    fragment = deps._repr_html_()
    _assert_self_contained(fragment)
    assert "Redundant columns" in fragment
    assert f'id="n-redundant">{len(deps.redundant)}<' in fragment
    assert fragment.count("<svg") == 1  # the heatmap
    for feature in deps.features:
        assert f'<td class="num">{format_fixed(feature.score)} <small>' in fragment
    assert html.escape(XSS, quote=False) in fragment and XSS not in fragment
    assert repr(deps) == f"<DependencyReport: {dependency_line(deps).split(': ', 1)[1]}>"


def test_dependency_fragment_cuts_its_tables(deps):
    features = tuple(
        dataclasses.replace(f, name=f"{f.name}_{i}") for i in range(12) for f in deps.features
    )
    large = dataclasses.replace(deps, features=features, n_features=len(features))
    fragment = large._repr_html_()
    table = fragment[fragment.index('id="features"') :]
    assert table.count("<tr") - 1 == NOTEBOOK_MAX_ROWS < len(features)  # rows + header
    assert f"The {NOTEBOOK_MAX_ROWS} most predictable of {len(features)} columns" in fragment
    assert f"Tables here show at most {NOTEBOOK_MAX_ROWS} rows" in fragment
    assert "This is every row" in deps._repr_html_()
    assert f"The 50 most predictable of {len(features)}" in render_dependency_html(large)


# ------------------------------------------------------------------------ robustness


def test_robustness_fragment_shows_the_accuracies_of_the_report(robustness):
    fragment = robustness._repr_html_()
    _assert_self_contained(fragment)
    assert f"Robust accuracy {format_fixed(robustness.robust_accuracy)}" in fragment
    assert f">{format_fixed(robustness.clean_accuracy)}<" in fragment
    for attack in robustness.attacks:
        assert attack.name in fragment
    assert html.escape(XSS, quote=False) in fragment and XSS not in fragment
    line = robustness_line(robustness).removeprefix("robustness: ")
    assert repr(robustness) == f"<RobustnessReport: {line}>"
    assert f"robust accuracy {format_fixed(robustness.robust_accuracy)}" in repr(robustness)


def test_robustness_fragment_cuts_the_attacks_table(robustness):
    attacks = tuple(
        dataclasses.replace(robustness.attacks[0], name=f"attack {i}") for i in range(30)
    )
    fragment = dataclasses.replace(robustness, attacks=attacks)._repr_html_()
    assert "attack 19<" in fragment and "attack 20<" not in fragment
    assert f"The first {NOTEBOOK_MAX_ROWS} of 30 attacks." in fragment
    assert f"Tables here show at most {NOTEBOOK_MAX_ROWS} rows" in fragment


# ----------------------------------------------------------------------------- image


@pytest.fixture(scope="module")
def image():
    torch = pytest.importorskip("torch")
    from sklearn.datasets import load_digits

    from advval.attacks import PGD
    from advval.image import evaluate_robustness

    digits = load_digits()
    X = torch.tensor(digits.images[:300] / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(digits.target[:300])
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in model.parameters():
            param.uniform_(-0.1, 0.1, generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(40):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X[:260]), y[:260]).backward()
        optimizer.step()
    model.eval()
    return evaluate_robustness(
        model, (X[260:], y[260:]), attacks=[PGD(None, eps=0.3, steps=5)], eps=[0.3],
        bounds=(0.0, 1.0), n_examples=8, random_state=0,
    )  # fmt: skip


def test_image_fragment_shows_a_few_pictures_inline(image):
    from advval.report._notebook import NOTEBOOK_MAX_EXAMPLES

    assert image.examples is not None and len(image.examples.labels) > NOTEBOOK_MAX_EXAMPLES
    fragment = image._repr_html_()
    _assert_self_contained(fragment)
    pictures = [a for tag, a in _tags(fragment).tags if tag == "img"]
    assert len(pictures) == NOTEBOOK_MAX_EXAMPLES
    assert all(str(a["src"]).startswith("data:image/png;base64,") for a in pictures)
    assert f"Robust accuracy {format_fixed(image.robust_accuracy)}" in fragment
    assert repr(image).startswith("<ImageRobustnessReport: clean accuracy ")
    assert f"robust accuracy {format_fixed(image.robust_accuracy)}" in repr(image)


def test_diff_fragment_shows_the_outcome_its_reasons_and_cuts_its_tables():
    from advval.compare import diff_reports
    from advval.report._notebook import NOTEBOOK_MAX_ROWS

    def document(drift: bool, auc: float, n_columns: int) -> dict:
        features = [
            {"name": f"col <{i}>", "drift": drift and i < n_columns // 2, "leak_like": False}
            for i in range(n_columns)
        ]
        return {"kind": "drift", "drift": drift, "auc": auc,
                "auc_ci": [auc - 0.02, auc + 0.02], "features": features}  # fmt: skip

    old = document(False, 0.5, 3 * NOTEBOOK_MAX_ROWS)
    new = document(True, 0.7, 3 * NOTEBOOK_MAX_ROWS)
    worse = diff_reports(old, new, old_name="main.json", new_name="branch.json")
    assert worse.worse and len(worse.changes) > NOTEBOOK_MAX_ROWS
    fragment = worse._repr_html_()
    _assert_self_contained(fragment)
    text = html.unescape(" ".join(_tags(fragment).text))
    assert "Worse" in text and all(reason in text for reason in worse.reasons[:3])
    assert "main.json" in text and "branch.json" in text
    assert "col <0>" in text  # a hostile name stays text
    assert f"at most {NOTEBOOK_MAX_ROWS} rows" in text  # the changes table was cut
    assert f"col <{3 * NOTEBOOK_MAX_ROWS // 2 - 1}>" not in text
    assert repr(worse) == (
        f"<ReportDiff: drift, {worse.old_verdict} -> {worse.new_verdict}; worse: "
        + "; ".join(worse.reasons) + ">"
    )  # fmt: skip
    same = diff_reports(old, old)
    assert "Not worse" in same._repr_html_() and repr(same).endswith("; not worse>")


# --------------------------------------------------------------------------- browser
# The fragments in headless Chromium, inside a host page that stands for a notebook: its
# own styles, its own text and table around the cells, and no Content-Security-Policy
# (a notebook has none to protect a fragment). The DevTools client is the one of
# tests/test_html_columns.py, loaded from that file.

HOST = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>notebook</title>
<style>
body {{ font-family: serif; color: rgb(1, 2, 3); background: rgb(250, 250, 240); margin: 7px; }}
th {{ color: rgb(4, 5, 6); text-transform: none; padding: 1px; }}
h1, h2 {{ font-size: 30px; }}
</style></head>
<body>
<h1 id="title">A notebook</h1>
<p id="text">Text of the notebook.</p>
<table><tr><th id="th">head</th><td id="td">cell</td></tr></table>
<details><summary id="summary">more</summary>inside</details>
{cells}
</body></html>
"""

#: computed properties of the host's own elements that a leaking rule would change
HOST_PROPERTIES = (
    "color", "fontFamily", "fontSize", "backgroundColor", "margin", "padding", "textTransform",
    "borderBottomWidth", "boxSizing", "fontWeight", "letterSpacing", "cursor",
)  # fmt: skip


def _browser_class() -> type:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("test_html_columns.py")
    spec = importlib.util.spec_from_file_location("_notebook_devtools", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory, chromium_command):
    workdir = tmp_path_factory.mktemp("chromium")
    chromium = _browser_class()(workdir, chromium_command(workdir))
    yield chromium
    chromium.close()


def _host_styles(browser) -> dict[str, dict[str, str]]:
    """Computed styles of the host page's own elements, by id (and the body)."""
    props = ", ".join(f"'{p}'" for p in HOST_PROPERTIES)
    return browser.js(
        "Object.fromEntries(['title', 'text', 'th', 'td', 'summary', 'body'].map(id => {"
        " const s = getComputedStyle(id === 'body' ? document.body : document.getElementById(id));"
        f" return [id, Object.fromEntries([{props}].map(p => [p, s[p]]))]; }}))"
    )


@pytest.mark.browser
def test_fragments_render_in_a_notebook_page_without_a_request_or_a_script(
    drift, deps, robustness, image, browser, tmp_path
):
    fragments = [r._repr_html_() for r in (drift, deps, robustness, image)]
    empty = tmp_path / "empty.html"
    empty.write_text(HOST.format(cells=""), encoding="utf-8")
    page = tmp_path / "notebook.html"
    cells = "\n".join(f'<div class="cell">{f}</div>' for f in fragments)
    page.write_text(HOST.format(cells=cells), encoding="utf-8")

    browser.open(empty)
    before = _host_styles(browser)
    browser.open(page)
    # nothing fetched: the page itself and the example pictures' data: URIs only
    requests = browser.requests()
    assert [u for u in requests if not u.startswith("data:")] == [page.resolve().as_uri()]
    assert all(u.startswith("data:image/png;base64,") for u in requests if u != requests[0])
    assert not any(e.get("method") == "Page.javascriptDialogOpening" for e in browser.events)
    assert browser.js("document.scripts.length") == 0
    # the notebook's own elements look exactly as they did without the fragments
    assert _host_styles(browser) == before
    # the fragments are styled by their scoped rules: four of them, each with its banner
    assert browser.js(f"document.querySelectorAll('.{SCOPE}').length") == 4
    labels = browser.js(
        f"Array.from(document.querySelectorAll('.{SCOPE} .verdict .label'))"
        ".map(e => [e.textContent, getComputedStyle(e).color, getComputedStyle(e).fontSize])"
    )
    assert labels[0] == ["Drift detected", "rgb(220, 38, 38)", "24px"]  # --drift, .label
    assert labels[1][0] == "Redundant columns" and labels[1][2] == "24px"
    assert labels[2][0] == f"Robust accuracy {format_fixed(robustness.robust_accuracy)}"
    assert labels[3][0] == f"Robust accuracy {format_fixed(image.robust_accuracy)}"
    font = browser.js(f"getComputedStyle(document.querySelector('.{SCOPE}')).fontFamily")
    assert font.startswith("system-ui")
    # every chart and picture has a size: rendered, not broken
    sizes = browser.js(
        f"Array.from(document.querySelectorAll('.{SCOPE} svg.chart, .{SCOPE} img'))"
        ".map(e => e.getBoundingClientRect().width * e.getBoundingClientRect().height)"
    )
    assert len(sizes) >= 6 and min(sizes) > 0
    assert browser.js(
        f"Array.from(document.querySelectorAll('.{SCOPE} img')).every(i => i.naturalWidth > 0)"
    )


@pytest.mark.browser
def test_hostile_names_stay_text_in_the_rendered_fragment(drift, browser, tmp_path):
    page = tmp_path / "hostile.html"
    page.write_text(HOST.format(cells=drift._repr_html_()), encoding="utf-8")
    browser.open(page)
    assert browser.js("document.scripts.length") == 0
    assert browser.js("document.querySelectorAll('img').length") == 0
    names = browser.js(
        f"Array.from(document.querySelectorAll('.{SCOPE} #columns-table .col-name'))"
        ".map(e => e.textContent)"
    )
    assert names == [name_text(f.name) for f in drift.features[:NOTEBOOK_MAX_COLUMNS]]
    assert name_text(XSS) in names and name_text(IMG) in names
    assert browser.requests() == [page.resolve().as_uri()]
