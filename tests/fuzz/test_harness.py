"""The fuzz harness can fail: it sees crashes, hangs, exits, changed inputs, tracebacks,
cut or stray outputs and a payload's marker; and the corpus is what it claims to be."""

from __future__ import annotations

import dataclasses
import json
import signal
from pathlib import Path

import pytest

from . import harness, hostile, models
from .corpus import Case, api_case, build, cli_case, materialize

pytestmark = pytest.mark.fuzz


def _probe(kind: str, timeout: float = 30.0) -> Case:
    return api_case(f"probe-{kind}", "probe", {"kind": kind}, expect="ok",
                    why="a probe of the harness", timeout=timeout)


def test_a_crash_or_hang_names_its_case_and_the_batch_goes_on(tmp_path):
    cases = [_probe("none"), _probe("abort"), _probe("none-2"), _probe("hang", timeout=5),
             _probe("exit"), _probe("none-3")]
    materialize(cases, tmp_path / "corpus")
    outcomes = harness.run_cases(cases, tmp_path / "corpus", tmp_path / "workers", workers=1)
    described = {case_id: (o.status, o.code) for case_id, o in outcomes.items()}
    assert described == {
        "probe-none": ("exit", 0), "probe-abort": ("signal", signal.SIGABRT),
        "probe-none-2": ("exit", 0), "probe-hang": ("hang", None), "probe-exit": ("exit", 3),
        "probe-none-3": ("exit", 0)}
    assert harness.check_api(cases[1], outcomes["probe-abort"], tmp_path) == [
        f"killed by SIGABRT after {outcomes['probe-abort'].seconds:.1f}s"]
    assert harness.check_api(cases[0], outcomes["probe-none"], tmp_path) == []


def test_a_changed_input_and_an_undocumented_exception_are_reported(tmp_path):
    cases = [_probe("mutate"), api_case("probe-raise", "probe", {"kind": "raise"},
                                        expect="ValueError", why="documented: ValueError")]
    materialize(cases, tmp_path)
    outcomes = harness.run_cases(cases, tmp_path, tmp_path / "workers", workers=1)
    assert harness.check_api(cases[0], outcomes["probe-mutate"], tmp_path) == [
        "the call changed its input X"]
    (problem,) = harness.check_api(cases[1], outcomes["probe-raise"], tmp_path)
    assert problem.startswith("raised KeyError: 'a crash, not a documented error'; expected "
                              "ValueError (documented: ValueError)")


def _cli(tmp_path, **fields) -> tuple[Case, dict]:
    case = cli_case("c", "drift", ["in.csv"], expect=0, why="w",
                    files={"in.csv": "a\n1\n"}, **fields)
    materialize([case], tmp_path)
    return case, harness.snapshot(case, tmp_path)


def test_cli_outcomes_are_checked_against_every_promise(tmp_path):
    case, before = _cli(tmp_path, outputs=("r.json",), stdout_json=True, marker=True)
    folder = tmp_path / case.folder
    ok = harness.Outcome("c", "exit", 0, stdout="{}", seconds=1.0)
    (folder / "r.json").write_text("{}")
    assert harness.check_cli(case, ok, before, tmp_path) == []
    traceback = harness.Outcome("c", "exit", 1, stderr="Traceback (most recent call last):\n")
    assert harness.check_cli(case, traceback, before, tmp_path)[:2] == [
        "exit 1, expected 0 (w)", "a traceback on stderr"]
    (folder / "in.csv").write_text("changed")
    (folder / "r.json").write_text("")
    (folder / ".r.json.tmp").write_text("x")
    (tmp_path / case.marker_path).mkdir()
    problems = harness.check_cli(case, harness.Outcome("c", "exit", 0, stdout_json="bad"),
                                 before, tmp_path)
    assert problems == [
        f"input files changed: ['{folder / 'in.csv'}']",
        "a temporary file was left: '.r.json.tmp'",
        "'r.json' is empty (0 bytes)",
        "the output 'r.json' is missing or empty",
        f"CODE FROM THE FILE RAN: the payload created {tmp_path / case.marker_path}",
        "stdout is not one JSON document (bad)"]


def test_a_failed_run_may_leave_nothing_and_must_name_what_is_wrong(tmp_path):
    case, before = _cli(tmp_path, names="--alpha")
    case = dataclasses.replace(case, expect=2)
    (tmp_path / case.folder / "half.html").write_text("<html>")
    outcome = harness.Outcome("c", "exit", 2, stderr="Error: alpha is wrong")
    assert harness.check_cli(case, outcome, before, tmp_path) == [
        "the message does not name '--alpha'", "a failed run left new files: ['half.html']"]
    for status, code, text in (("signal", 6, "killed by SIGABRT"), ("hang", None, "hang")):
        (problem, *_) = harness.check_cli(case, harness.Outcome("c", status, code), before,
                                          tmp_path)
        assert text in problem


def test_every_lightgbm_edit_changes_the_model_text():
    text = models.lightgbm_text()
    unchanged = [name for name, edit in models.LIGHTGBM_EDITS.items() if edit(text) == text]
    assert unchanged == []


def test_the_corpus_is_large_seeded_and_unique():
    cases = build()
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)) and len(ids) > 330
    assert hostile.NPZ_BYTES["terabyte-header"]() == hostile.NPZ_BYTES["terabyte-header"]()
    train, _ = hostile.FRAMES["val-mixed-types"]()
    assert train.equals(hostile.FRAMES["val-mixed-types"]()[0])
    assert json.dumps([c.spec(Path("/r")) for c in cases])  # the worker can read them
