"""Run fuzz cases in worker processes and check what every case must satisfy.

:func:`run_cases` spreads the cases over a few worker processes (``_worker``), each running
its share one after another in one interpreter (the CLI's imports are paid once per worker,
not per case). A worker killed by a signal names its case and is replaced for the rest; a
case that runs past its time limit is a hang: its worker is killed and replaced.

:func:`check_cli` and :func:`check_api` turn an outcome into a list of broken promises; the
tests assert that list is empty, so a failure reads as a list of what went wrong.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .corpus import Case

#: the folder holding the ``fuzz`` package (put on the worker's PYTHONPATH)
TESTS = Path(__file__).resolve().parent.parent
#: worker processes run side by side (the suite is sized for two cores)
WORKERS = max(1, min(2, os.cpu_count() or 1))
#: how often the parent looks at a worker's results file
POLL = 0.05


@dataclass
class Outcome:
    """What happened to one case.

    ``status`` is ``"exit"`` (``code`` is the exit status), ``"signal"`` (``code`` is the
    signal number that killed the worker during this case), ``"hang"`` (killed after the
    case's time limit) or ``"no-worker"`` (the worker could not start: ``stderr`` says why).
    """

    id: str
    status: str
    code: int | None = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    api: dict[str, Any] = field(default_factory=dict)
    #: why stdout is not one JSON document, or one that breaks its report schema (None when
    #: it is a valid one), judged on the whole stdout
    stdout_json: str | None = None

    def describe(self) -> str:
        if self.status == "signal":
            name = signal.Signals(self.code).name if self.code else "?"
            return f"killed by {name} after {self.seconds:.1f}s"
        if self.status == "hang":
            return f"no answer within {self.seconds:.0f}s (hang)"
        if self.status == "no-worker":
            return "the worker process did not start"
        return f"exit {self.code} after {self.seconds:.1f}s"


# ------------------------------------------------------------------------------- running


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS), env.get("PYTHONPATH")) if p)
    env.setdefault("OMP_NUM_THREADS", "1")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class _Queue:
    """One worker's share of the cases, run to the end through crashes and hangs."""

    def __init__(self, cases: Sequence[Case], root: Path, scratch: Path) -> None:
        self.cases = list(cases)
        self.root = root
        self.scratch = scratch
        self.outcomes: dict[str, Outcome] = {}

    def run(self) -> None:
        remaining = list(self.cases)
        attempt = 0
        while remaining:
            attempt += 1
            remaining = self._one_worker(remaining, attempt)

    def _one_worker(self, cases: list[Case], attempt: int) -> list[Case]:
        """Start a worker on ``cases``; return those it did not get to."""
        folder = self.scratch / f"worker-{attempt}"
        folder.mkdir(parents=True)
        spec, results, log = folder / "spec.json", folder / "results.jsonl", folder / "log"
        spec.write_text(json.dumps([c.spec(self.root) for c in cases]), encoding="utf-8")
        results.touch()
        by_id = {c.id: c for c in cases}
        with open(log, "wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "fuzz._worker", str(spec), str(results), str(folder)],
                env=_worker_env(), cwd=folder, stdout=log_file, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        done: set[str] = set()
        current: str | None = None
        started = time.monotonic()
        offset = 0
        while True:
            offset, events = _read_events(results, offset)
            for event in events:
                if event["event"] == "start":
                    current, started = event["id"], time.monotonic()
                else:
                    self.outcomes[event["id"]] = _outcome(event)
                    done.add(event["id"])
                    current = None
            returncode = process.poll()
            if returncode is not None:
                offset, events = _read_events(results, offset)
                for event in events:
                    if event["event"] == "done":
                        self.outcomes[event["id"]] = _outcome(event)
                        done.add(event["id"])
                        current = None if current == event["id"] else current
                break
            if current is not None and time.monotonic() - started > by_id[current].timeout:
                _kill(process)
                self.outcomes[current] = Outcome(current, "hang",
                                                 seconds=time.monotonic() - started,
                                                 stderr=_tail(log))
                done.add(current)
                current = None
                break
            time.sleep(POLL)
        if current is not None:  # the worker died inside this case
            returncode = process.wait()
            status = "signal" if returncode < 0 else "exit"
            self.outcomes[current] = Outcome(
                current, status, -returncode if returncode < 0 else returncode,
                seconds=time.monotonic() - started,
                stderr=f"the worker process died during this case:\n{_tail(log)}")
            done.add(current)
        left = [c for c in cases if c.id not in done]
        if left and not done:  # not one case answered: the worker cannot start
            for case in left:
                self.outcomes[case.id] = Outcome(case.id, "no-worker", stderr=_tail(log))
            return []
        return left


def _read_events(path: Path, offset: int) -> tuple[int, list[dict[str, Any]]]:
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read()
    end = data.rfind(b"\n") + 1  # only whole lines
    lines = data[:end].decode("utf-8").splitlines()
    return offset + end, [json.loads(line) for line in lines if line.strip()]


def _outcome(event: dict[str, Any]) -> Outcome:
    return Outcome(event["id"], event["status"], event["code"], event.get("stdout", ""),
                   event.get("stderr", ""), event.get("seconds", 0.0), event.get("api", {}),
                   event.get("stdout_json"))


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_bytes()[-n:].decode("utf-8", errors="replace")
    except OSError:
        return ""


def run_cases(cases: Sequence[Case], root: Path, scratch: Path, workers: int = WORKERS
              ) -> dict[str, Outcome]:
    """Run ``cases`` (written under ``root``) over ``workers`` worker processes; one
    :class:`Outcome` per case id."""
    queues = [_Queue(cases[i::workers], root, scratch / f"queue-{i}") for i in range(workers)]
    threads = [threading.Thread(target=q.run, daemon=True) for q in queues if q.cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes: dict[str, Outcome] = {}
    for queue in queues:
        outcomes.update(queue.outcomes)
    return outcomes


# ------------------------------------------------------------------------------ checking


def fingerprint(paths: Iterable[str | Path]) -> dict[str, str]:
    """SHA-256 of every file (links as their target name, folders as their listing)."""
    found = {}
    for path in map(Path, paths):
        if path.is_symlink():
            found[str(path)] = "link:" + os.readlink(path)
        elif path.is_file():
            found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            found[str(path)] = "dir:" + ",".join(sorted(os.listdir(path)))
        else:
            found[str(path)] = "absent"
    return found


def listing(folder: str | Path) -> set[str]:
    """Every file and link under ``folder``, relative to it."""
    root = Path(folder)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def snapshot(case: Case, root: Path) -> dict[str, Any]:
    """What must not change: the case folder's files and the shared inputs it reads."""
    folder = root / case.folder
    files = [folder / name for name in sorted(listing(folder))]
    shared = [root / "shared" / name for name in case.shared]
    return {"listing": listing(folder), "hashes": fingerprint([*files, *shared])}


def _html_escaped(case: Case, outcome: Outcome, folder: Path) -> list[str]:
    texts = [outcome.stdout] + [(folder / o).read_text("utf-8", "replace")
                                for o in case.outputs if (folder / o).is_file()]
    return ["a hostile column name reached the HTML unescaped"
            for text in texts if "<script>alert(1)</script>" in text]


def _no_formula_cells(case: Case, outcome: Outcome, folder: Path) -> list[str]:
    problems = []
    for name in case.outputs:
        path = folder / name
        if not path.is_file():
            continue
        for row in csv.reader(io.StringIO(path.read_text("utf-8"))):
            bad = [cell for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")
                   and not _is_number(cell)]
            if bad:
                problems.append(f"{name} has cells a spreadsheet evaluates: {bad[:3]!r}")
                break
    return problems


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


#: extra checks a case may ask for by name
EXTRA_CHECKS: dict[str, Callable[[Case, Outcome, Path], list[str]]] = {
    "html-escaped": _html_escaped,
    "no-formula-cells": _no_formula_cells,
}
#: names of files a writer leaves behind when it is interrupted
TEMPORARY_HINTS = (".tmp", "tmp", ".part", "~")


def _expected_codes(case: Case) -> tuple[int, ...]:
    expected = case.expect if isinstance(case.expect, tuple) else (case.expect,)
    return tuple(int(code) for code in expected)


def check_cli(case: Case, outcome: Outcome, before: dict[str, Any], root: Path) -> list[str]:
    """Every broken promise of a CLI case (empty when the case holds)."""
    folder = root / case.folder
    problems = []
    if outcome.status != "exit":
        problems.append(outcome.describe())
    codes = _expected_codes(case)
    if outcome.status == "exit" and outcome.code not in codes:
        problems.append(f"exit {outcome.code}, expected {' or '.join(map(str, codes))} "
                        f"({case.why})")
    for stream, text in (("stderr", outcome.stderr), ("stdout", outcome.stdout)):
        if "Traceback (most recent call last)" in text:
            problems.append(f"a traceback on {stream}")
    if outcome.status == "exit" and outcome.code in (2, 3) and outcome.code in codes:
        if "Error:" not in outcome.stderr:
            problems.append("no 'Error:' line on stderr")
        if case.names and not _matches(case.names, outcome.stderr):
            problems.append(f"the message does not name {case.names!r}")
    problems += _check_files(case, outcome, before, folder)
    problems += _check_markers(case, root)
    if case.stdout_json and outcome.status == "exit" and outcome.code in (0, 1) \
            and outcome.stdout_json is not None:
        problems.append(f"stdout is not one JSON document ({outcome.stdout_json})")
    for name in case.checks:
        problems += EXTRA_CHECKS[name](case, outcome, folder)
    return problems


def _matches(pattern: str, text: str) -> bool:
    import re

    return re.search(pattern, text) is not None or re.search(pattern, " ".join(text.split())) \
        is not None


def _check_files(case: Case, outcome: Outcome, before: dict[str, Any], folder: Path
                 ) -> list[str]:
    problems = []
    after = fingerprint(before["hashes"])
    changed = sorted(p for p, digest in before["hashes"].items() if after[p] != digest)
    if changed:
        problems.append(f"input files changed: {changed}")
    new = sorted(listing(folder) - before["listing"])
    succeeded = outcome.status == "exit" and outcome.code in (0, 1)
    if not succeeded and new:
        problems.append(f"a failed run left new files: {new}")
    for name in new:
        path = folder / name
        if path.is_file() and path.stat().st_size == 0:
            problems.append(f"{name!r} is empty (0 bytes)")
        if any(hint in name.lower() for hint in TEMPORARY_HINTS):
            problems.append(f"a temporary file was left: {name!r}")
    if succeeded:
        for name in case.outputs:
            path = folder / name
            if not path.is_file() or path.stat().st_size == 0:
                problems.append(f"the output {name!r} is missing or empty")
            elif name.endswith(".json"):
                try:
                    document = json.loads(path.read_text("utf-8"))
                except ValueError as exc:
                    problems.append(f"the output {name!r} is not JSON ({exc})")
                else:
                    problems += _schema_problems(name, document)
            elif name.endswith(".html") and not path.read_text("utf-8").rstrip().endswith(
                    "</html>"):
                problems.append(f"the output {name!r} is cut short")
    return problems


def _schema_problems(name: str, document: Any) -> list[str]:
    """Where a JSON report (a document with a ``kind`` that has a schema) breaks its schema
    (``advval.report.json_schema``): the CLI's reports, written by the worker processes,
    are held to the schemas like the in-process ones (``tests/conftest.py``)."""
    import jsonschema

    from advval.report import SCHEMA_KINDS, json_schema

    if not isinstance(document, dict) or document.get("kind") not in SCHEMA_KINDS:
        return []
    validator = jsonschema.Draft202012Validator(json_schema(document["kind"]))
    return [f"the output {name!r} breaks the {document['kind']} schema at "
            f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in validator.iter_errors(document)][:5]


def _check_markers(case: Case, root: Path) -> list[str]:
    problems = []
    if case.marker:
        marker = root / case.marker_path
        present = os.path.lexists(marker)
        if present and not case.marker_expected:
            problems.append(f"CODE FROM THE FILE RAN: the payload created {marker}")
        if not present and case.marker_expected:
            problems.append(f"the control payload did not run: {marker} is absent")
    return problems


def check_api(case: Case, outcome: Outcome, root: Path) -> list[str]:
    """Every broken promise of an API case (empty when the case holds)."""
    if outcome.status != "exit":
        return [outcome.describe()]
    result = outcome.api
    problems = list(result.get("problems", []))
    expected = case.expect if isinstance(case.expect, tuple) else (case.expect,)
    if "any" not in expected:
        if result.get("result") == "ok":
            if "ok" not in expected:
                problems.append(f"returned normally, expected {' or '.join(map(str, expected))}"
                                f" ({case.why})")
        else:
            raised = result.get("types", ["?"])
            message = result.get("message", "")
            head = f"{raised[0]}: {message[:300]}"
            if not set(raised) & set(map(str, expected)):
                problems.append(f"raised {head}; expected {' or '.join(map(str, expected))} "
                                f"({case.why})\n{result.get('traceback', '')}")
            elif case.names and not _matches(case.names, message):
                problems.append(f"the message does not name {case.names!r}: {message[:300]}")
    problems += _check_markers(case, root)
    return problems
