"""``advval baseline accept`` and ``advval drift --baseline`` on planted shifts.

The accepted drift: column ``a`` shifted by 0.6 standard deviations. Then the same data
again (the gate passes), ``a`` shifted twice as far (grown: fails), a second column ``b``
shifted too (new: fails), ``a`` shifted less (shrunk: passes), and a fresh sample of the
accepted shift (passes).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.cli import ExitCode, cli

FAST = ["--quiet", "--n-jobs", "1", "--no-remedy"]
ROWS = 700


def _frame(seed: int, shift_a: float = 0.0, shift_b: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(shift_a, 1.0, ROWS),
            "b": rng.normal(shift_b, 1.0, ROWS),
            "c": rng.normal(0.0, 1.0, ROWS),
            "d": rng.choice(["x", "y", "z"], ROWS),
        }
    )


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict[str, Path]:
    """The files, the accepted run's JSON report and its baseline."""
    folder = tmp_path_factory.mktemp("baseline")
    frames = {
        "train": _frame(0),
        "test": _frame(1, shift_a=0.6),
        "grown": _frame(2, shift_a=1.2),
        "newcol": _frame(3, shift_a=0.6, shift_b=0.6),
        "shrunk": _frame(4, shift_a=0.45),
        "fresh": _frame(5, shift_a=0.6),
    }
    paths = {name: folder / f"{name}.csv" for name in frames}
    for name, frame in frames.items():
        frame.to_csv(paths[name], index=False)
    paths["report"] = folder / "report.json"
    paths["accepted"] = folder / "accepted.json"
    runner = CliRunner()
    first = runner.invoke(cli, ["drift", str(paths["train"]), str(paths["test"]), *FAST,
                                "--json", str(paths["report"]), "--fail-on-drift"])
    assert first.exit_code == ExitCode.DRIFT, first.output
    accept = runner.invoke(cli, ["baseline", "accept", str(paths["report"]),
                                 "-o", str(paths["accepted"])])
    assert accept.exit_code == 0, accept.output
    return paths


def _gate(planted: dict[str, Path], test: str, baseline: Path, tmp_path: Path):
    out = tmp_path / f"{test}.json"
    result = CliRunner().invoke(
        cli,
        ["drift", str(planted["train"]), str(planted[test]), *FAST, "--baseline",
         str(baseline), "--fail-on-drift", "--json", str(out)],
    )
    doc = json.loads(out.read_text()) if out.exists() else None
    return result, doc


def test_accept_writes_the_flagged_drift(planted):
    doc = json.loads(planted["accepted"].read_text())
    assert doc["kind"] == "drift_baseline" and doc["baseline_version"] == 1
    assert [c["name"] for c in doc["columns"]] == ["a"]
    report = json.loads(planted["report"].read_text())
    assert doc["columns"][0]["statistic"] == report["features"][0]["statistic"]
    assert doc["auc"] == {"accepted": report["auc"], "tolerance": 0.02}
    assert doc["made_from"]["test_name"] == str(planted["test"])
    assert all(s["columns"] == ["a"] for s in doc["segments"])


@pytest.mark.parametrize("baseline", ["accepted", "report"])
def test_rerunning_the_accepted_data_passes_the_gate(planted, tmp_path, baseline):
    result, doc = _gate(planted, "test", planted[baseline], tmp_path)
    assert result.exit_code == 0, result.output
    assert doc["drift"] is True  # still drift; all of it accepted
    assert doc["baseline"]["failed"] is False
    assert doc["baseline"]["new"] == [] and doc["baseline"]["grown"] == []
    assert "a" in doc["baseline"]["accepted"] and "AUC" in doc["baseline"]["accepted"]
    assert f"advval: baseline: {planted[baseline]}: 0 new, 0 grown" in result.output


def test_a_grown_shift_fails_the_gate(planted, tmp_path):
    result, doc = _gate(planted, "grown", planted["accepted"], tmp_path)
    assert result.exit_code == ExitCode.DRIFT
    assert {"a", "AUC"} <= set(doc["baseline"]["grown"])
    new_columns = [i for i in doc["baseline"]["items"]
                   if i["status"] == "new" and i["what"] == "column"]
    assert new_columns == []
    item = next(i for i in doc["baseline"]["items"] if i["name"] == "a")
    margin = 1.358 * (2 / ROWS) ** 0.5  # the distance's 5% sampling margin
    assert item["current"] > item["limit"]
    assert item["limit"] == pytest.approx(item["accepted"] + 0.05 + margin, abs=1e-5)


def test_a_newly_shifted_column_fails_the_gate(planted, tmp_path):
    result, doc = _gate(planted, "newcol", planted["accepted"], tmp_path)
    assert result.exit_code == ExitCode.DRIFT
    assert "b" in doc["baseline"]["new"] and "a" in doc["baseline"]["accepted"]


@pytest.mark.parametrize("test", ["shrunk", "fresh"])
def test_a_shrunk_shift_or_a_fresh_sample_passes(planted, tmp_path, test):
    result, doc = _gate(planted, test, planted["accepted"], tmp_path)
    assert doc["drift"] is True  # without the baseline the gate would fail
    assert result.exit_code == 0, result.output
    assert doc["baseline"]["new"] == [] and doc["baseline"]["grown"] == []


def test_the_markdown_report_says_what_was_accepted(planted, tmp_path):
    out = tmp_path / "r.md"
    result = CliRunner().invoke(
        cli,
        ["drift", str(planted["train"]), str(planted["newcol"]), *FAST, "--baseline",
         str(planted["accepted"]), "--markdown", str(out)],
    )
    assert result.exit_code == 0  # no --fail-on-drift: the gate is off
    text = out.read_text()
    assert "### Against the accepted-drift baseline" in text
    assert "| **new** | b | distance |" in text
    assert "| accepted | a | distance |" in text


def test_a_baseline_with_a_gone_column_is_a_usage_error(planted, tmp_path):
    result = CliRunner().invoke(
        cli,
        ["drift", str(planted["train"]), str(planted["test"]), *FAST, "--ignore", "a",
         "--baseline", str(planted["accepted"])],
    )
    assert result.exit_code == ExitCode.USAGE
    assert (f"--baseline {planted['accepted']}: key 'columns' accepts columns the report "
            "does not have: 'a'") in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"kind": "deps", "schema_version": 1}', "key 'kind' is 'deps': a baseline is"),
        ('{"kind": "drift_baseline", "baseline_version": 7}', "key 'baseline_version' is 7"),
        ("{not json", "is not valid JSON"),
        ('{"kind": "drift_baseline", "baseline_version": 1, "columns": [{"name": "a", '
         '"statistic": 2}]}', r"key 'columns\[0\].statistic' must be in \[0, 1\], got 2"),
    ],
)
def test_a_bad_baseline_file_stops_before_any_work(planted, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = CliRunner().invoke(
        cli, ["drift", str(planted["train"]), str(planted["test"]), *FAST,
              "--baseline", str(path), "--json", str(tmp_path / "r.json")],
    )
    assert result.exit_code == ExitCode.USAGE
    assert f"Error: --baseline {path}: " in result.output
    assert re.search(message, result.output), result.output
    assert not (tmp_path / "r.json").exists()


def test_accept_refuses_bad_reports_and_overwriting_its_input(planted, tmp_path):
    runner = CliRunner()
    deps = tmp_path / "deps.json"
    deps.write_text('{"kind": "deps"}')
    result = runner.invoke(cli, ["baseline", "accept", str(deps), "-o", str(tmp_path / "b")])
    assert result.exit_code == ExitCode.USAGE
    assert f"REPORT {deps}: key 'kind' is 'deps', not a drift report" in result.output
    result = runner.invoke(cli, ["baseline", "accept", str(planted["report"]), "-o",
                                 str(planted["report"])])
    assert result.exit_code == ExitCode.USAGE and "never replaces an input" in result.output
    result = runner.invoke(cli, ["baseline", "accept", str(planted["report"]), "-o", "-",
                                 "--column-tolerance", "0.1"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["columns"][0]["tolerance"] == 0.1


def test_the_html_report_has_the_baseline_section(planted, tmp_path):
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        cli,
        ["drift", str(planted["train"]), str(planted["newcol"]), *FAST, "--baseline",
         str(planted["accepted"]), "--html", str(out)],
    )
    assert result.exit_code == 0
    page = out.read_text()
    section = page[page.index('id="baseline"'):]
    section = section[: section.index("</section>")]
    assert 'class="card warning"' in page[page.index('id="baseline"') - 40:]
    assert "Against the accepted-drift baseline" in section
    assert '<span class="badge drift">new</span></td><td class="name">b</td>' in section
    assert "only accepted drift" not in section and "new or grown drift" in section
    plain = tmp_path / "plain.html"
    CliRunner().invoke(cli, ["drift", str(planted["train"]), str(planted["test"]), *FAST,
                             "--html", str(plain)])
    assert 'id="baseline"' not in plain.read_text()


@pytest.mark.parametrize("test", ["test", "newcol", "grown"])
def test_the_headlines_say_what_the_gate_decided(planted, tmp_path, test):
    """Drift all of which the baseline accepts passes the gate: no headline reads plain
    "DRIFT" / "Drift detected" then; drift beyond the baseline says so, with its counts."""
    md, html, js = tmp_path / "r.md", tmp_path / "r.html", tmp_path / "r.json"
    result = CliRunner().invoke(
        cli,
        ["drift", str(planted["train"]), str(planted[test]), *FAST, "--baseline",
         str(planted["accepted"]), "--fail-on-drift", "--markdown", str(md), "--html",
         str(html), "--json", str(js)],
    )
    doc = json.loads(js.read_text())
    assert doc["drift"] is True  # the JSON keeps the verdict as it was
    failing = [i for i in doc["baseline"]["items"]
               if i["counts"] and i["status"] in ("new", "grown")]
    counts = (f"{sum(i['status'] == 'new' for i in failing)} new, "
              f"{sum(i['status'] == 'grown' for i in failing)} grown")
    if test == "test":  # the accepted data again
        assert result.exit_code == 0 and not failing
        said = "drift, all of it accepted by the baseline (0 new, 0 grown)"
        heading = said
    else:
        assert result.exit_code == ExitCode.DRIFT and failing
        said = f"drift beyond the baseline ({counts})"
        heading = f"DRIFT beyond the baseline ({counts})"
    [line] = [ln for ln in result.stderr.splitlines() if ": AUC " in ln]
    assert line.startswith(f"advval: {said}: AUC ")
    text = md.read_text()
    assert text.startswith(f"## advval drift check: {heading}\n")
    assert f"**{said[:1].upper()}{said[1:]}.** AUC" in text
    assert "Drift detected" not in text
    page = html.read_text()
    assert f"<title>advval drift report: {said} (AUC" in page
    assert f'<p class="label">{said[:1].upper()}{said[1:]}</p>' in page
    card = "warn" if test == "test" else "drift"
    assert f'<section class="card verdict {card}" id="verdict">' in page


def test_without_a_baseline_the_headlines_are_unchanged(planted, tmp_path):
    md = tmp_path / "r.md"
    result = CliRunner().invoke(
        cli, ["drift", str(planted["train"]), str(planted["test"]), *FAST, "--markdown",
              str(md)])
    assert result.exit_code == 0
    assert md.read_text().startswith("## advval drift check: DRIFT\n\n**Drift detected.** AUC")
    assert "advval: drift detected: AUC " in result.stderr
