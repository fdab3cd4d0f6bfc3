"""The notes on how the files were read go into the reports, not only to stderr.

A user who reads the HTML, Markdown or JSON report later (a CI artifact) must learn that
``income`` was read from money strings and that ``age`` kept '?' as a category; a run on
clean files writes the reports it wrote before (no key, no section).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from markupsafe import escape

from advval import AdversarialValidator
from advval.cli import ExitCode, cli
from advval.cli._io import collecting_reading_notes, read_numbers_noted
from advval.drift import summarize
from advval.report import (
    json_schema,
    render_dependency_html,
    render_dependency_markdown,
    render_html,
    render_json,
    render_markdown,
)
from advval.report._markdown import md_escape
from advval.results import DependencyReport, FeatureDependency

SECTION = "How the files were read"


def _side(rng: np.random.Generator, n: int, *, clean: bool) -> pd.DataFrame:
    income = rng.lognormal(10.3, 0.4, n)
    age = rng.normal(40, 10, n).round(1)
    frame = pd.DataFrame({"income": income.round(2), "age": age, "score": rng.normal(0, 1, n)})
    if not clean:
        frame["income"] = [f"${v:,.2f}" for v in income]
        ages = age.astype(str)
        ages[rng.random(n) < 0.1] = "?"
        frame["age"] = ages
    return frame


def _write(tmp_path: Path, *, clean: bool) -> None:
    rng = np.random.default_rng(11)
    _side(rng, 300, clean=clean).to_csv(tmp_path / "train.csv", index=False)
    _side(rng, 300, clean=clean).to_csv(tmp_path / "test.csv", index=False)


def _run(args: list[str]) -> tuple[dict, str, str, str]:
    result = CliRunner().invoke(
        cli,
        [*args, "--n-jobs", "1", "--json", "r.json", "--markdown", "r.md", "--html", "r.html"],
        catch_exceptions=False,
    )
    assert result.exit_code in (ExitCode.OK, ExitCode.DRIFT), result.output
    read = [Path(f"r.{ext}").read_text(encoding="utf-8") for ext in ("json", "md", "html")]
    return json.loads(read[0]), read[1], read[2], result.stderr


def _money_and_marker(notes: list[str]) -> tuple[str, str]:
    [money] = [n for n in notes if n.startswith("read column(s) 'income' (")]
    [marker] = [n for n in notes if n.startswith("column 'age' holds numbers but for")]
    return money, marker


@pytest.mark.parametrize(
    "command",
    [
        ["drift", "train.csv", "test.csv", "--no-remedy", "--n-splits", "3"],
        ["deps", "train.csv", "--n-splits", "3"],
        ["deps", "train.csv", "--compare", "test.csv", "--n-splits", "3"],
    ],
    ids=["drift", "deps", "deps-compare"],
)
def test_the_reports_say_how_the_files_were_read(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, clean=False)
    document, markdown, page, stderr = _run(command)
    notes = document["reading_notes"]
    money, marker = _money_and_marker(notes)
    assert "money ($)" in money and "--categorical" in money
    assert "'?'" in marker and "--na-values '?'" in marker
    # the report says what the terminal said, the same words, once each
    for text in notes:
        assert stderr.splitlines().count(f"advval: {text}") == 1
    assert len(set(notes)) == len(notes)
    assert document["kind"] in ("drift", "deps")
    import jsonschema

    jsonschema.validate(document, json_schema(document["kind"]))
    # Markdown: the section and one item per note, escaped like the rest of the report
    assert f"### {SECTION}" in markdown
    for text in (money, marker):
        assert f"- {md_escape(text)}" in markdown.splitlines()
    # HTML: the section and the notes, escaped
    assert 'id="reading-notes"' in page and f"<h2>{SECTION}</h2>" in page
    for text in (money, marker):
        assert f"<li>{escape(text)}</li>" in page


@pytest.mark.parametrize(
    "command",
    [
        ["drift", "train.csv", "test.csv", "--no-remedy", "--n-splits", "3"],
        ["deps", "train.csv", "--n-splits", "3"],
    ],
    ids=["drift", "deps"],
)
def test_clean_files_leave_no_key_and_no_section(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, clean=True)
    document, markdown, page, stderr = _run(command)
    assert "reading_notes" not in document
    assert SECTION not in markdown and SECTION not in page and "reading-notes" not in page
    assert "read column(s)" not in stderr


def test_notes_are_collected_only_inside_the_block_and_once_each():
    frame = pd.DataFrame({"fee": ["$1,200", "$35.50", "$7"]})
    read_numbers_noted([frame], ["DATA"])  # nobody collects: nothing kept anywhere
    with collecting_reading_notes() as notes:
        read_numbers_noted([frame], ["DATA"])
        read_numbers_noted([frame], ["TEST"])  # the same note again: kept once
        with collecting_reading_notes() as inner:
            read_numbers_noted([frame.rename(columns={"fee": "cost"})], ["DATA"])
    assert notes == [
        "read column(s) 'fee' ('$1,200': money ($), ',' thousands separators) as numbers; "
        "name a column with --categorical to keep it as text"
    ]
    assert len(inner) == 1 and inner[0].startswith("read column(s) 'cost'")
    assert frame["fee"].tolist() == ["$1,200", "$35.50", "$7"]  # the input is left as it was


@pytest.fixture(scope="module")
def drift_report():
    rng = np.random.default_rng(5)
    train = pd.DataFrame({"a": rng.normal(0, 1, 200), "b": rng.integers(0, 3, 200)})
    test = pd.DataFrame({"a": rng.normal(0.5, 1, 200), "b": rng.integers(0, 3, 200)})
    validator = AdversarialValidator(n_splits=3, random_state=0, n_jobs=1).fit(train, test)
    return summarize(validator, train, test)


def _dependency_report() -> DependencyReport:
    a = FeatureDependency("a", "numeric", 0.97, 1e-9, True, True, None, False, ("b",))
    return DependencyReport(
        n_rows=10, n_features=2, features=(a,), redundant=("a",), leaking=None, id_like=(),
        near_duplicates=(), shift=(), settings={}, advval_version="0",
    )  # fmt: skip


NOTES = ("column 'x<y>' holds numbers but for the value(s) '?' & '*'", "read as ';'-separated")


@pytest.mark.parametrize("kind", ["drift", "deps"])
def test_the_section_is_all_that_the_notes_add(kind, drift_report):
    report = drift_report if kind == "drift" else _dependency_report()
    noted = dataclasses.replace(report, reading_notes=NOTES)
    renderers = (
        (render_markdown, render_html)
        if kind == "drift"
        else (render_dependency_markdown, render_dependency_html)
    )
    for render in renderers:
        before, after = render(report), render(noted)
        assert SECTION not in before
        # the page with the notes is the page without them plus one block, nothing else
        start = after.index(
            '<section class="card" id="reading-notes">'
            if render in (render_html, render_dependency_html)
            else f"### {SECTION}"
        )
        added = len(after) - len(before)
        assert after[:start] + after[start + added :] == before
        block = after[start : start + added]
        assert block.count("<li>" if "<section" in block else "\n- ") == len(NOTES)
        assert "x<y>" not in block  # escaped in both formats
    assert (
        json.loads(render_json(report)).keys() | {"reading_notes"}
        == json.loads(render_json(noted)).keys()
    )
    assert json.loads(render_json(noted))["reading_notes"] == list(NOTES)
    assert "reading_notes" not in json.loads(render_json(report))


def test_the_delimiter_found_and_a_repeated_header_are_in_the_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(2)
    values = rng.normal(0, 1, 200)
    rows = "".join(f"{x};{-x};{i % 3}\n" for i, x in enumerate(values))
    Path("train.csv").write_text("a;a;b\n" + rows, encoding="utf-8")
    document, markdown, _, stderr = _run(["deps", "train.csv", "--n-splits", "3", "--quiet"])
    assert document["reading_notes"] == [
        "reading DATA file 'train.csv' as ';'-separated (--sep)",
        "DATA file 'train.csv' has several columns named 'a': they are read as 'a.1' (the "
        "first keeps its name); use these names in --ignore, --target and the other column "
        "options",
    ]
    # --quiet hides the delimiter on the terminal, not in the report; the header note shows
    assert "-separated" not in stderr and "several columns named 'a'" in stderr
    assert {f["name"] for f in document["features"]} == {"a", "a.1", "b"}
    assert md_escape(document["reading_notes"][0]) in markdown
