"""The drift report's table of every column, driven in headless Chromium.

Chromium runs with ``--remote-debugging-pipe``: the DevTools protocol over two pipes (file
descriptors 3 and 4, messages ended by a NUL byte), so the test clicks, types and reads the
DOM without any client library. Every host name resolves to nothing, and the protocol's
network events list every request the page makes. Reports come from the real validator on
a Kaggle-shaped table (125 columns), on a synthetic 2,000-column one, and on a small table
with hostile column names; the expected orders and filters are computed here, in Python,
from the report's numbers.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import subprocess
import warnings
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from advval import AdversarialValidator
from advval.report import DriftReport, build_drift_report, render_html
from advval.report._html import name_text
from advval.report._svg import SMALL_WIDTH

pytestmark = pytest.mark.browser

XSS = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
QUOTES = "it's \"quoted\""


class Browser:
    """Headless Chromium spoken to over the DevTools pipe, one page at a time."""

    def __init__(self, workdir: Path, chromium: list[str]) -> None:
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()

        def wire() -> None:  # the protocol's fixed descriptors in the child
            a, b = os.dup(to_child), os.dup(from_child)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self._process = subprocess.Popen(
            [*chromium, "--remote-debugging-pipe", "about:blank"],
            preexec_fn=wire, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict[str, Any] | None = None, *, page: bool = True) -> Any:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if page and self.session:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(i)
        while True:
            event = self._read()
            if event.get("method") == method:
                return event
            self.events.append(event)

    def open(self, page: Path, *, scripts: bool = True) -> None:
        """Load ``page`` in a fresh tab (scripts on or off) and wait for its load event."""
        target = self.send("Target.createTarget", {"url": "about:blank"}, page=False)
        attached = self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, page=False
        )
        self.session = attached["sessionId"]
        self.events.clear()
        for domain in ("Page", "Network", "Log", "Runtime"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setScriptExecutionDisabled", {"value": not scripts})
        self.send("Page.navigate", {"url": page.resolve().as_uri()})
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        """Evaluate ``expression`` in the page (DevTools runs it even with scripts off)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def console(self) -> list[str]:
        return [
            e["params"]["entry"]["text"] for e in self.events if e.get("method") == "Log.entryAdded"
        ]

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # already gone
            self.send("Browser.close", page=False)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._out)
        os.close(self._in)


@pytest.fixture(scope="module")
def browser(tmp_path_factory, chromium_command):
    workdir = tmp_path_factory.mktemp("chromium")
    chromium = Browser(workdir, chromium_command(workdir))
    yield chromium
    chromium.close()


def _write(report: DriftReport, folder: Path, name: str) -> Path:
    page = folder / f"{name}.html"
    page.write_text(render_html(report), encoding="utf-8")
    return page


def _fit(train: pd.DataFrame, test: pd.DataFrame, **settings: Any) -> DriftReport:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # leak and data notes: seen in the report
        validator = AdversarialValidator(random_state=0, n_jobs=1, **settings).fit(train, test)
    return build_drift_report(validator, train, test)


@pytest.fixture(scope="module")
def kaggle(tmp_path_factory):
    """The Kaggle-shaped flights table: 125 columns of every kind, leaking time stamps."""
    from advval.datasets import make_kaggle_table

    table = make_kaggle_table("flights", n_rows=3_000, random_state=1)
    train = table.train.drop(columns=[table.id, table.target])
    test = table.test.drop(columns=[table.id])
    report = _fit(train, test, max_rows=1_500)
    return report, _write(report, tmp_path_factory.mktemp("kaggle"), "kaggle")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A planted shift in a column named like a script, hostile categories and quotes."""
    rng = np.random.default_rng(0)

    def frame(shift: float, n: int = 400) -> pd.DataFrame:
        return pd.DataFrame({
            XSS: rng.normal(shift, 1.0, n),
            IMG: rng.choice([XSS, "paris", "rome"], n, p=[0.2 + shift / 5, 0.4, 0.4 - shift / 5]),
            QUOTES: rng.normal(0.0, 1.0, n),
            "plain": rng.integers(0, 5, n).astype(float),
        })

    train, test = frame(0.0), frame(1.0)
    report = _fit(train, test)
    return report, _write(report, tmp_path_factory.mktemp("hostile"), "hostile")


ROWS = "Array.from(document.querySelectorAll('#columns-table tbody tr'))"
VISIBLE = f"{ROWS}.filter(r => !r.hidden)"


def _visible_names(browser: Browser) -> list[str]:
    return browser.js(f"{VISIBLE}.map(r => r.querySelector('.col-name').textContent)")


def _click_header(browser: Browser, label: str) -> None:
    browser.js(
        "Array.from(document.querySelectorAll('#columns-table th button.sort'))"
        f".find(b => b.textContent.trim() === {json.dumps(label)}).click()"
    )


def _set(browser: Browser, element: str, value: str, event: str) -> None:
    browser.js(
        f"(() => {{ const e = document.getElementById({json.dumps(element)}); "
        f"e.value = {json.dumps(value)}; e.dispatchEvent(new Event({json.dumps(event)})); }})()"
    )


class _Page(HTMLParser):
    """The scripts, the CSP and the table's rows of a page, read without a browser."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.csp: list[str] = []
        self.rows = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag == "meta" and values.get("http-equiv") == "Content-Security-Policy":
            self.csp.append(values.get("content") or "")
        if tag == "tr" and "data-kind" in values:
            self.rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def _parse(text: str) -> _Page:
    parser = _Page()
    parser.feed(text)
    parser.close()
    return parser


# --------------------------------------------------------------------------- every column


def test_every_column_of_a_kaggle_table_is_in_the_page(kaggle, browser):
    report, page = kaggle
    assert len(report.features) == report.n_features == 125
    browser.open(page)
    names = _visible_names(browser)
    assert names == [name_text(f.name) for f in report.features]  # importance order, all
    assert browser.js("document.querySelectorAll('#columns-table svg.small').length") == 125
    assert browser.js("document.getElementById('columns-count').textContent") == (
        "125 of 125 columns shown"
    )
    assert browser.requests() == [page.resolve().as_uri()]  # the page itself, nothing else
    assert not [m for m in browser.console() if "Content Security Policy" in m]
    # each column's distribution opens on demand, from the page alone
    last = report.features[-1].name
    opened = browser.js(
        f"(() => {{ const d = {ROWS}.at(-1).querySelector('details'); d.open = true; "
        "const s = d.querySelector('svg.small').getBoundingClientRect(); "
        "return [s.width, s.height]; })()"
    )
    assert opened[0] == SMALL_WIDTH and opened[1] > 0, last


def test_a_2000_column_report_stays_a_few_megabytes(tmp_path, browser):
    rng = np.random.default_rng(1)
    n = 200

    def frame(shift: float) -> pd.DataFrame:
        data: dict[str, Any] = {}
        for i in range(2_000):
            if i % 4 == 0:
                data[f"num_{i}"] = rng.normal(shift * (i < 40), 1.0, n)
            elif i % 4 == 1:  # the largest small plots: 14 levels with long names
                data[f"cat_{i}"] = rng.choice([f"level_{j}_with_a_long_name" for j in range(14)], n)
            elif i % 4 == 2:
                data[f"int_{i}"] = rng.integers(0, 100, n)
            else:
                data[f"flag_{i}"] = rng.choice(["yes", "no", None], n)
        return pd.DataFrame(data)

    train, test = frame(0.0), frame(1.0)
    report = _fit(train, test, n_splits=3)
    page = _write(report, tmp_path, "wide")
    size = page.stat().st_size
    assert size < 3_500_000, size
    assert len(report.distributions) == 2_000
    parsed = _parse(page.read_text(encoding="utf-8"))
    assert parsed.rows == 2_000
    browser.open(page)
    assert sorted(_visible_names(browser)) == sorted(train.columns)
    assert browser.js("document.querySelectorAll('#columns-table svg.small').length") == 2_000
    assert browser.requests() == [page.resolve().as_uri()]
    _set(browser, "columns-search", "num_", "input")  # filter 2,000 rows by name
    assert _visible_names(browser) == [
        f.name for f in report.features if "num_" in f.name
    ]
    _click_header(browser, "statistic")
    shown = [f.name for f in report.features if "num_" in f.name]
    by_statistic = {f.name: f.statistic for f in report.features}
    ranks = {f.name: i for i, f in enumerate(report.features)}
    expected = sorted(shown, key=lambda c: (float(f"{by_statistic[c]:.6g}"), ranks[c]))
    assert _visible_names(browser) == expected


# --------------------------------------------------------------------------- sort and filter


def test_headers_sort_the_rows_both_ways(kaggle, browser):
    report, page = kaggle
    browser.open(page)
    ranks = {name_text(f.name): i for i, f in enumerate(report.features)}
    p_values = {name_text(f.name): f.p_value for f in report.features}

    def by_p(descending: bool) -> list[str]:
        def key(name: str) -> tuple[float, int]:
            value = float(f"{p_values[name]:.6g}")
            return (-value if descending else value, ranks[name])

        return sorted(ranks, key=key)

    _click_header(browser, "adjusted p")
    assert _visible_names(browser) == by_p(descending=False)
    assert browser.js(
        "document.querySelectorAll('#columns-table th')[5].getAttribute('aria-sort')"
    ) == "ascending"
    _click_header(browser, "adjusted p")
    assert _visible_names(browser) == by_p(descending=True)
    _click_header(browser, "column")
    assert _visible_names(browser) == sorted(ranks, key=lambda n: (n.lower(), ranks[n]))
    _click_header(browser, "#")
    assert _visible_names(browser) == list(ranks)  # back to importance order


def test_filters_keep_the_matching_rows(kaggle, browser):
    report, page = kaggle
    browser.open(page)
    names = [name_text(f.name) for f in report.features]
    query = "dep"
    _set(browser, "columns-search", query.upper(), "input")  # case does not matter
    assert _visible_names(browser) == [n for n in names if query in n.lower()]
    assert browser.js("document.getElementById('columns-count').textContent") == (
        f"{sum(query in n.lower() for n in names)} of 125 columns shown"
    )
    _set(browser, "columns-search", "", "input")
    _set(browser, "columns-kind", "categorical", "change")
    categorical = [name_text(f.name) for f in report.features if f.kind == "categorical"]
    assert categorical and _visible_names(browser) == categorical
    _set(browser, "columns-kind", "", "change")
    _set(browser, "columns-flag", "leak", "change")
    leaks = [name_text(f.name) for f in report.features if f.leak]
    assert leaks and _visible_names(browser) == leaks
    _set(browser, "columns-flag", "*", "change")  # any flag: verdicts and facts
    facts = {c.name: c.flags for c in report.column_facts}
    flagged = [
        name_text(f.name) for f in report.features if f.drift or f.leak or facts.get(f.name)
    ]
    assert len(leaks) < len(flagged) < len(names)
    assert _visible_names(browser) == flagged
    browser.js("document.getElementById('columns-expand').click()")  # opens the shown rows
    assert browser.js(f"{ROWS}.filter(r => r.querySelector('details').open).length") == len(
        flagged
    )


# --------------------------------------------------------------------------- CSP, no script


def test_the_script_runs_by_its_hash_and_no_other(hostile, browser, tmp_path):
    report, page = hostile
    text = page.read_text(encoding="utf-8")
    parsed = _parse(text)
    assert len(parsed.scripts) == 1 and len(parsed.csp) == 1
    digest = hashlib.sha256(parsed.scripts[0].encode("utf-8")).digest()
    allowed = [d for d in parsed.csp[0].split("; ") if d.startswith("script-src")]
    assert allowed == [f"script-src 'sha256-{base64.b64encode(digest).decode()}'"]
    assert "unsafe-inline" not in allowed[0] and "unsafe-eval" not in parsed.csp[0]
    assert "default-src 'none'" in parsed.csp[0]
    browser.open(page)
    assert browser.js("document.getElementById('columns-controls').hidden") is False
    assert browser.js("document.scripts.length") == 1
    # one character changed in the script: the browser refuses to run it
    tampered = tmp_path / "tampered.html"
    tampered.write_text(text.replace("use strict", "use strict "), encoding="utf-8")
    browser.open(tampered)
    assert browser.js("document.getElementById('columns-controls').hidden") is True
    assert any("Content Security Policy" in m for m in browser.console())


def test_the_table_reads_in_full_with_scripts_off(kaggle, browser):
    report, page = kaggle
    browser.open(page, scripts=False)
    assert browser.js("document.getElementById('columns-controls').hidden") is True
    assert browser.js("document.getElementById('columns-count').textContent") == ""
    assert _visible_names(browser) == [name_text(f.name) for f in report.features]
    first = browser.js(f"{ROWS}[0].innerText")
    f = report.features[0]
    assert name_text(f.name) in first and f.kind in first
    # the distributions open without any script: <details> is HTML
    browser.js(f"{ROWS}.forEach(r => r.querySelector('details').open = true)")
    heights = browser.js(
        "Array.from(document.querySelectorAll('#columns-table svg.small'))"
        ".map(s => s.getBoundingClientRect().height)"
    )
    assert len(heights) == 125 and min(heights) > 0
    assert browser.requests() == [page.resolve().as_uri()]


def test_hostile_names_are_text_everywhere(hostile, browser):
    report, page = hostile
    assert report.drift and report.features[0].name == XSS
    browser.open(page)
    assert browser.js("document.scripts.length") == 1
    assert browser.js("document.querySelectorAll('img').length") == 0
    names = _visible_names(browser)
    assert sorted(names) == sorted(name_text(f.name) for f in report.features)
    assert XSS in names and QUOTES in names
    assert name_text(IMG) == repr(IMG) and repr(IMG) in names  # starts with a quote
    _set(browser, "columns-search", "<script", "input")
    assert _visible_names(browser) == [XSS]
    _set(browser, "columns-search", '"', "input")
    assert sorted(_visible_names(browser)) == sorted([repr(IMG), QUOTES])
    # the hostile category is a label of the small plot, as text
    labels = browser.js(
        f"{ROWS}.flatMap(r => Array.from(r.querySelectorAll('svg.small text'))"
        ".map(t => t.textContent))"
    )
    assert any(label.startswith("<script>alert") for label in labels)  # clipped
    assert browser.requests() == [page.resolve().as_uri()]
    text = page.read_text(encoding="utf-8")
    assert XSS not in text.replace(f"<script>{_parse(text).scripts[0]}</script>", "")
    assert not re.search(r"<img", text)
