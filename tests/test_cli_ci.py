"""CI outputs: GitHub job summary and annotations (--ci), JUnit XML (--junit), the examples."""

from __future__ import annotations

import json
import re
import shlex
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from advval.attacks.evaluate._report import RobustnessReport, SanityFlag
from advval.cli import ExitCode, cli
from advval.cli._ci import escape_data, escape_property, github_mode, workflow_command
from advval.cli._ci_outcome import outcome
from advval.cli._junit import render_junit, xml_text
from advval.report._markdown import md_escape

ROOT = Path(__file__).resolve().parent.parent
#: one thread, a small row budget: every run stays around a second
FAST = ["--quiet", "--n-jobs", "1", "--max-rows", "200"]
#: a column name that tries every trick on GitHub's workflow-command parser
HOSTILE = "50%,a:b\n::error title=x::injected\r::warning::again%0A"


def _frames(shifted: str = "a", n: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    """TRAIN and TEST alike except ``shifted``, whose mean moves by 1.5 sd in TEST."""
    rng = np.random.default_rng(0)

    def frame(shift: float) -> pd.DataFrame:
        return pd.DataFrame({
            shifted: rng.normal(shift, 1.0, n),
            "b": rng.normal(0.0, 1.0, n),
            "c": rng.choice(["x", "y", "z"], n),
        })

    return frame(0.0), frame(1.5)


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """A CliRunner in an empty folder, outside any CI (the test may be run in one)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return CliRunner()


@pytest.fixture
def csvs(tmp_path) -> dict[str, Path]:
    paths = {"train": tmp_path / "train.csv", "test": tmp_path / "test.csv"}
    for path, frame in zip(paths.values(), _frames(), strict=True):
        frame.to_csv(path, index=False)
    return paths


@pytest.fixture
def github(monkeypatch, tmp_path) -> Path:
    """GitHub Actions' environment: GITHUB_ACTIONS=true and a job summary file."""
    summary = tmp_path / "step_summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return summary


def _run(runner: CliRunner, *args: object):
    return runner.invoke(cli, [str(a) for a in args])


def _commands(text: str) -> list[str]:
    """The lines GitHub reads as workflow commands (it splits on LF; CR counted too)."""
    return [line for line in re.split(r"\r\n|\r|\n", text) if line.lstrip().startswith("::")]


def _parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """GitHub's reading of a workflow-command line: command, properties, message."""
    match = re.fullmatch(r"::(\w+)(?: ([^:]*))?::(.*)", line)
    assert match is not None, line
    properties = {}
    for pair in filter(None, (match.group(2) or "").split(",")):
        key, value = pair.split("=", 1)
        properties[key] = _unescape(value)
    return match.group(1), properties, _unescape(match.group(3))


def _unescape(text: str) -> str:
    return (text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":")
            .replace("%2C", ",").replace("%25", "%"))


# --------------------------------------------------------------------------- escaping


def test_escaping_follows_the_workflow_command_rules():
    assert escape_data("100%\r\n") == "100%25%0D%0A"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    # % first: an escape sequence in the data is not decoded by the reader
    assert _unescape(escape_data("%0A")) == "%0A"


@pytest.mark.parametrize("level", ["error", "warning", "notice"])
def test_a_hostile_text_cannot_inject_a_second_command(level):
    line = workflow_command(level, f"column {HOSTILE} drifts", title=f"title {HOSTILE}")
    assert _commands(line) == [line]  # one line, one command
    command, properties, message = _parse_command(line)
    assert command == level
    assert properties == {"title": f"title {HOSTILE}"}
    assert message == f"column {HOSTILE} drifts"


def test_github_mode_from_the_environment():
    assert github_mode("auto", {"GITHUB_ACTIONS": "true"})
    assert not github_mode("auto", {"GITHUB_ACTIONS": "false"})
    assert not github_mode("auto", {})
    assert github_mode("github", {})
    assert not github_mode("none", {"GITHUB_ACTIONS": "true"})


# --------------------------------------------------------------------------- GitHub mode


def test_github_summary_and_error_annotation_when_the_gate_fails(runner, csvs, github):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--json", "r.json",
                  "--fail-on-drift", *FAST)
    assert result.exit_code == ExitCode.DRIFT, result.output
    report = json.loads(Path("r.json").read_text())
    assert report["drift"] is True
    summary = github.read_text(encoding="utf-8")
    low, high = report["auc_ci"]
    auc = f"AUC {report['auc']:.3f} \\[{low:.3f}, {high:.3f}\\]"  # Markdown-escaped brackets
    assert summary.startswith("### :x: advval drift: drift detected\n")
    assert auc in summary
    assert "**Gate failed**: `--fail-on-drift`" in summary
    assert "| a |" in summary  # the planted column in the top columns
    assert "json report to r.json" in summary
    commands = [_parse_command(line) for line in _commands(result.stderr)]
    assert [(c[0], c[1]["title"]) for c in commands] == [
        ("error", "advval drift: drift detected"),
        ("warning", "advval drift: drifting columns"),
    ]
    assert commands[0][2].startswith(f"drift detected: AUC {report['auc']:.3f}")
    assert "a (KS D" in commands[1][2]
    assert _commands(result.stdout) == []


def test_github_warning_without_the_gate_and_the_summary_is_appended(runner, csvs, github):
    github.write_text("earlier step\n", encoding="utf-8")
    for _ in range(2):
        result = _run(runner, "drift", csvs["train"], csvs["test"], "--json", "r.json",
                      *FAST)
        assert result.exit_code == 0, result.output
    summary = github.read_text(encoding="utf-8")
    assert summary.startswith("earlier step\n### :warning: advval drift: drift detected")
    assert summary.count("### :warning: advval drift") == 2
    assert "No gate option was given" in summary
    levels = [_parse_command(line)[0] for line in _commands(result.stderr)]
    assert levels == ["warning", "warning"]


def test_notice_for_a_clean_result(runner, tmp_path, github):
    train, _ = _frames()
    train.iloc[:150].to_csv("train.csv", index=False)
    train.iloc[150:].to_csv("test.csv", index=False)
    result = _run(runner, "drift", "train.csv", "test.csv", "--json", "r.json",
                  "--fail-on-drift", *FAST)
    assert result.exit_code == 0, result.output
    assert [_parse_command(line)[0] for line in _commands(result.stderr)] == ["notice"]
    assert github.read_text().startswith("### :white_check_mark: advval drift: no drift")


def test_ci_none_and_auto_outside_github_write_neither(runner, csvs, github, monkeypatch):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--json", "r.json",
                  "--ci", "none", *FAST)
    assert result.exit_code == 0, result.output
    assert not github.exists()
    assert _commands(result.output) == []
    monkeypatch.delenv("GITHUB_ACTIONS")
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--json", "r.json", *FAST)
    assert not github.exists()
    assert _commands(result.output) == []


def test_report_on_stdout_stays_clean(runner, csvs, github):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--format", "json",
                  "--fail-on-drift", *FAST)
    assert result.exit_code == ExitCode.DRIFT
    assert json.loads(result.stdout)["kind"] == "drift"  # nothing else on stdout
    assert len(_commands(result.stderr)) == 2
    assert "json report to stdout" in github.read_text()
    _run(runner, "drift", csvs["train"], csvs["test"], "--json", "gate_report.json", *FAST)
    assert "json report to gate\\_report.json" in github.read_text()  # escaped, no code span


def test_summary_problems_are_one_warning_line(runner, csvs, github, monkeypatch):
    args = ["drift", csvs["train"], csvs["test"], "--json", "r.json", "--ci", "github", *FAST]
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    result = _run(runner, *args)
    assert result.exit_code == 0
    assert result.stderr.count("advval: warning:") == 1
    assert "GITHUB_STEP_SUMMARY is not set" in result.stderr
    assert len(_commands(result.stderr)) == 2  # the annotations still print
    # the summary variable naming an input or an output: refused, the file untouched
    before = csvs["train"].read_bytes()
    for target, what in ((csvs["train"], "the TRAIN file"), (Path("r.json"), "--json")):
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
        result = _run(runner, *args)
        assert result.exit_code == 0
        assert f"is {what}" in result.stderr
        assert "no job summary written" in result.stderr
    assert csvs["train"].read_bytes() == before
    json.loads(Path("r.json").read_text())
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(Path.cwd()))  # a folder: cannot append
    result = _run(runner, *args)
    assert result.exit_code == 0
    assert "cannot append the job summary" in result.stderr


def test_hostile_column_name_end_to_end(runner, tmp_path, github):
    name = "50%,x:y::error title=z::w"
    for path, frame in zip(("train.csv", "test.csv"), _frames(shifted=name), strict=True):
        frame.to_csv(path, index=False)
    result = _run(runner, "drift", "train.csv", "test.csv", "--json", "r.json",
                  "--junit", "j.xml", "--fail-on-drift", *FAST)
    assert result.exit_code == ExitCode.DRIFT, result.output
    commands = _commands(result.stderr)
    assert len(commands) == 2
    assert name in _parse_command(commands[1])[2]
    assert f"| {md_escape(name)} |" in github.read_text()  # the top columns' table
    names = [case.get("name") for case in ET.parse("j.xml").getroot().iter("testcase")]
    assert f"column {name}" in names


# --------------------------------------------------------------------------- JUnit


def _suite(path: str) -> tuple[ET.Element, list[ET.Element]]:
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert (root.get("tests"), root.get("failures")) == (suite.get("tests"),
                                                          suite.get("failures"))
    return suite, suite.findall("testcase")


def test_junit_of_a_drift_run_matches_the_report(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--json", "r.json",
                  "--junit", "j.xml", *FAST)
    assert result.exit_code == 0, result.output
    report = json.loads(Path("r.json").read_text())
    suite, cases = _suite("j.xml")
    flagged = [f["name"] for f in report["features"] if f["drift"] or f["leak"]]
    assert flagged == ["a"]
    assert suite.get("name") == "advval drift"
    assert int(suite.get("tests")) == 1 + len(report["features"]) == len(cases)
    assert int(suite.get("failures")) == int(report["drift"]) + len(flagged)
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["verdict", "column a"]
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert float(properties["auc"]) == pytest.approx(report["auc"], abs=1e-6)
    assert properties["gate_failed"] == "false"
    # deterministic: the same run gives the same bytes
    first = Path("j.xml").read_bytes()
    _run(runner, "drift", csvs["train"], csvs["test"], "--junit", "j.xml", "--json",
         "r.json", *FAST)
    assert Path("j.xml").read_bytes() == first


def test_junit_is_never_written_over_an_input(runner, csvs):
    before = csvs["test"].read_bytes()
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--junit", csvs["test"],
                  *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert "--junit" in result.stderr and "TEST file" in result.stderr
    assert csvs["test"].read_bytes() == before
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--junit", "same.xml",
                  "--json", "same.xml", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert "name the same file" in result.stderr


def test_junit_holds_control_characters_and_markup():
    text = "a\x00b\x1b<c>&\"d\ud800"
    checks = outcome(_robustness(flags=(SanityFlag("zero_gradients", text, "PGD"),)),
                     failed=False).checks
    assert xml_text("\x01") == "\\x01"
    from advval.cli._ci_outcome import Outcome

    document = render_junit(Outcome("attack", text, False, "", checks, (), (), ()))
    root = ET.fromstring(document)
    failure = next(root.iter("failure"))
    assert "<c>&\"d" in failure.get("message")
    assert "\\x00" in failure.get("message") and "\\ud800" in failure.get("message")


def test_junit_of_deps_counts_the_columns_with_findings(runner, tmp_path):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 300))
    y = (a + b > 0).astype(int)
    pd.DataFrame({"a": a, "b": b, "dup": 2 * a + rng.normal(0, 0.01, 300),
                  "leak": y + rng.normal(0, 0.01, 300), "y": y}).to_csv("d.csv", index=False)
    result = _run(runner, "deps", "d.csv", "--target", "y", "--json", "r.json", "--junit",
                  "j.xml", "--fail-on", "leak", "--ci", "github", "--quiet", "--n-jobs", "1")
    assert result.exit_code == ExitCode.DRIFT, result.output
    report = json.loads(Path("r.json").read_text())
    with_findings = {*report["leaking"], *report["redundant"], *report["id_like"]}
    assert "leak" in report["leaking"] and {"a", "dup"} <= set(report["redundant"])
    suite, cases = _suite("j.xml")
    assert len(cases) == 1 + len(report["features"])
    assert int(suite.get("failures")) == 1 + len(with_findings)
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == {"verdict", *(f"column {n}" for n in with_findings)}
    commands = [_parse_command(line) for line in _commands(result.stderr)]
    levels = {c[1]["title"]: c[0] for c in commands}
    assert levels["advval deps: leak columns"] == "error"  # gated by --fail-on leak
    assert levels["advval deps: redundant columns"] == "warning"  # reported only


def test_attack_junit_and_annotations(runner, tmp_path, github):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    frame["y"] = (frame.a + frame.b > 0).astype(int)
    frame.to_csv("d.csv", index=False)
    model = lgb.LGBMClassifier(n_estimators=10, n_jobs=1, verbose=-1)
    model.fit(frame[["a", "b"]], frame.y).booster_.save_model("m.txt")
    result = _run(runner, "attack", "m.txt", "d.csv", "--target", "y", "--attack", "tree",
                  "--json", "r.json", "--junit", "j.xml", "--fail-under", "0.99",
                  "--max-rows", "30", "--max-queries", "20", "--quiet")
    assert result.exit_code == ExitCode.DRIFT, result.output
    report = json.loads(Path("r.json").read_text())
    assert report["robust_accuracy"] < 0.99
    suite, cases = _suite("j.xml")
    names = [c.get("name") for c in cases]
    assert names == ["robust accuracy >= 0.99", "attack TreeAttack", "model sanity"]
    assert int(suite.get("failures")) == 1 + len({f["attack"] for f in report["flags"]})
    assert suite.get("name") == "advval attack"
    level, properties, message = _parse_command(_commands(result.stderr)[0])
    assert level == "error" and "below --fail-under 0.99" in message
    assert f"Robust accuracy {report['robust_accuracy']:.3f}" in github.read_text()


# --------------------------------------------------------------------------- outcomes


def _robustness(robust: float = 0.4, flags: tuple[SanityFlag, ...] = ()) -> RobustnessReport:
    return RobustnessReport(10, 9, 0.9, robust, (), (), (), flags, {}, "0")


def test_levels_follow_the_gate(make_drift_report, make_dependency_report):
    drifted = make_drift_report(drift=True)
    assert outcome(drifted, failed=True).annotations[0].level == "error"
    assert outcome(drifted, failed=False).annotations[0].level == "warning"
    assert outcome(make_drift_report(drift=False), failed=False).annotations[0].level == (
        "notice")
    deps = outcome(make_dependency_report(compared=True), failed=False)
    assert [a.title for a in deps.annotations[1:]] == [
        "advval deps: leak columns", "advval deps: shift columns",
        "advval deps: redundant columns", "advval deps: id-like columns"]


def test_annotations_write_a_vanishing_p_value_as_below_the_floats_reach(make_drift_report):
    import dataclasses

    report = make_drift_report(drift=True)
    zero = tuple(dataclasses.replace(f, p_value=0.0) for f in report.features)
    messages = " ".join(
        a.message for a in outcome(dataclasses.replace(report, features=zero),
                                   failed=False).annotations)
    assert "p < 1e-300" in messages
    assert "p=<" not in messages and "p=0" not in messages


def test_image_outcome_names_its_command_and_flags():
    pytest.importorskip("torch")
    from advval.image._evaluate import ImageRobustnessReport

    flag = SanityFlag("zero_gradients", "APGD-CE saw zero gradients", "APGD-CE")
    image = ImageRobustnessReport(_robustness(flags=(flag,)), None, {})
    result = outcome(image, failed=True, gate="--fail-under 0.5", fail_under=0.5)
    assert result.command == "image evaluate"
    assert [(a.level, a.title) for a in result.annotations] == [
        ("error", "advval image evaluate: robust accuracy 0.400"),
        ("warning", "advval image evaluate: sanity flag zero_gradients (APGD-CE)"),
    ]
    # no attack of that name in the report: the flag is kept with the model's
    assert [c.name for c in result.checks if c.failure] == ["robust accuracy >= 0.5",
                                                            "model sanity"]
    with pytest.raises(TypeError, match="no CI outcome"):
        outcome(object(), failed=False)


@pytest.mark.parametrize("command", [["drift"], ["deps"], ["attack"], ["image", "evaluate"]])
def test_every_report_command_has_the_ci_options(runner, command):
    result = _run(runner, *command, "--help")
    assert result.exit_code == 0
    assert "--ci [auto|github|none]" in result.output and "--junit FILE" in result.output


# --------------------------------------------------------------------------- examples


def _advval_lines(script: str) -> list[str]:
    return [line.strip() for line in script.splitlines() if line.strip().startswith("advval ")]


def _example_commands() -> list[tuple[str, str]]:
    github = yaml.safe_load((ROOT / "examples" / "github-workflow.yml").read_text())
    gitlab = yaml.safe_load((ROOT / "examples" / "gitlab-ci.yml").read_text())
    found = [("github", line) for job in github["jobs"].values() for step in job["steps"]
             for line in _advval_lines(step.get("run", ""))]
    found += [("gitlab", line) for job in gitlab.values() if isinstance(job, dict)
              for line in _advval_lines("\n".join(job.get("script", [])))]
    return found


def test_the_example_workflows_parse_and_run_advval():
    github = yaml.safe_load((ROOT / "examples" / "github-workflow.yml").read_text())
    steps = github["jobs"]["drift"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    assert "actions/upload-artifact" in uses
    assert any("pip install advval" in step.get("run", "") for step in steps)
    gitlab = yaml.safe_load((ROOT / "examples" / "gitlab-ci.yml").read_text())
    assert gitlab["advval-drift"]["artifacts"]["reports"]["junit"] == "advval-drift.xml"
    kinds = [kind for kind, _ in _example_commands()]
    assert kinds.count("github") == 1 and kinds.count("gitlab") == 1


@pytest.mark.parametrize("line", [line for _, line in _example_commands()])
def test_each_example_command_line_is_accepted(line, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = shlex.split(line)[1:]
    for arg in args:  # the inputs must exist for click's checks: empty files stand in
        if not arg.startswith("-") and ("/" in arg or "." in arg):
            Path(arg).parent.mkdir(parents=True, exist_ok=True)
            Path(arg).touch()
    name, rest = args[0], args[1:]  # no group option before the command in the examples
    ctx = click.Context(cli, info_name="advval")
    command = cli.get_command(ctx, name)
    assert name == "drift" and command is not None
    sub = command.make_context(name, rest, parent=ctx)  # every option parsed and converted
    assert sub.params["fail_on_drift"] is True
    assert sub.params["json_path"] == Path("advval-drift.json")
    assert sub.params["html_path"] == Path("advval-drift.html")


def test_image_evaluate_junit_and_summary(runner, tmp_path, github):
    torch = pytest.importorskip("torch")
    generator = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3))
    with torch.no_grad():
        for param in net.parameters():
            param.uniform_(-1.0, 1.0, generator=generator)
    images = torch.rand(20, 1, 4, 4, generator=generator)
    with torch.no_grad():
        labels = net(images).argmax(1)  # every image classified correctly
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's deprecation notices
        torch.jit.trace(net, images[:2]).save(str(tmp_path / "net.pt"))
    np.savez(tmp_path / "d.npz", x=images.numpy(), y=labels.numpy())
    result = _run(runner, "image", "evaluate", "net.pt", "d.npz", "--attack", "pgd",
                  "--steps", "5", "--eps", "0.3", "--examples", "0", "--json", "r.json",
                  "--junit", "j.xml", "--fail-under", "1", "--quiet")
    report = json.loads(Path("r.json").read_text())
    assert report["clean_accuracy"] == 1.0 and report["robust_accuracy"] < 1.0
    assert result.exit_code == ExitCode.DRIFT, result.output
    suite, cases = _suite("j.xml")
    assert suite.get("name") == "advval image evaluate"
    assert [c.get("name") for c in cases] == [
        "robust accuracy >= 1", *(f"attack {a['name']}" for a in report["attacks"]),
        "model sanity"]
    assert cases[0].find("failure") is not None
    assert int(suite.get("failures")) == 1 + len({f["attack"] for f in report["flags"]})
    level, properties, _ = _parse_command(_commands(result.stderr)[0])
    assert (level, properties["title"]) == (
        "error", f"advval image evaluate: robust accuracy {report['robust_accuracy']:.3f}")
    assert github.read_text().startswith("### :x: advval image evaluate")


def test_accepted_drift_is_a_warning_that_names_the_baseline(runner, csvs, github):
    first = _run(runner, "drift", csvs["train"], csvs["test"], "--json", "r.json", *FAST)
    assert first.exit_code == 0, first.output
    accept = _run(runner, "baseline", "accept", "r.json", "-o", "accepted.json")
    assert accept.exit_code == 0, accept.output
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--json", "r.json",
                  "--baseline", "accepted.json", "--fail-on-drift", *FAST)
    assert result.exit_code == 0, result.output  # the drift was accepted: the gate passes
    level, properties, message = _parse_command(_commands(result.stderr)[0])
    # the title says what the gate decided (it said "drift detected", the gate passing)
    assert (level, properties["title"]) == (
        "warning", "advval drift: drift, all of it accepted by the baseline (0 new, 0 grown)")
    assert "; baseline: " in message
    summary = github.read_text()
    assert "Gate `--fail-on-drift` passed." in summary and "\nbaseline: " in summary
    headings = [line for line in summary.splitlines() if line.startswith("### ")]
    assert headings[-1] == (  # the first run's (no baseline) says "drift detected"
        "### :warning: advval drift: drift, all of it accepted by the baseline (0 new, 0 grown)")


def test_junit_passes_what_the_baseline_accepts_and_fails_what_is_new(runner, csvs, tmp_path):
    # a column the baseline accepts is a passed testcase with its finding in system-out
    # (it was a <failure>, the gate passing): a CI dashboard showed accepted drift as red
    first = _run(runner, "drift", csvs["train"], csvs["test"], "--json", "r.json", *FAST)
    assert first.exit_code == 0, first.output
    assert _run(runner, "baseline", "accept", "r.json", "-o", "accepted.json").exit_code == 0
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--baseline", "accepted.json",
                  "--junit", "j.xml", "--fail-on-drift", *FAST)
    assert result.exit_code == 0, result.output
    suite, cases = _suite("j.xml")
    assert suite.get("failures") == "0"
    by_name = {c.get("name"): c for c in cases}
    assert by_name["column a"].findtext("system-out").startswith("accepted by the baseline: drift")
    assert by_name["verdict"].findtext("system-out").startswith(
        "drift, all of it accepted by the baseline")
    # a baseline that accepts nothing of it: the same findings fail again
    empty = json.loads(Path("accepted.json").read_text())
    for key, value in empty.items():
        if isinstance(value, list):
            empty[key] = []
    Path("nothing.json").write_text(json.dumps(empty))
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--baseline", "nothing.json",
                  "--junit", "j.xml", "--fail-on-drift", *FAST)
    assert result.exit_code == ExitCode.DRIFT, result.output
    _, cases = _suite("j.xml")
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["verdict", "column a"]
