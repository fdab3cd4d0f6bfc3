"""Worker process: run a batch of fuzz cases one after another, one JSON line per event.

Run as ``python -m fuzz._worker SPEC RESULTS SCRATCH`` with ``tests/`` on ``PYTHONPATH``
(``harness.run_cases`` does this). Before each case it writes ``{"event": "start", "id": ...}``
and after it ``{"event": "done", ...}`` to RESULTS, so that when native code kills the
process (SIGABRT) or hangs, the parent knows which case did it, kills the worker if needed,
and starts a new one for the remaining cases.

A CLI case runs the real entry point, :func:`advval.cli.main`, as a fresh process would:
file descriptors 0, 1 and 2 are redirected (so output from native code is captured too),
the working directory is the case's folder, and an exception escaping ``main`` is printed
as the interpreter prints it (``Traceback ...``, exit status 1). The process-wide state a
command may touch (environment, working directory, signal handlers, warning filters, torch
threads, hidden modules) is restored after each case.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: characters of stdout / stderr kept per case
KEEP = 20_000


@contextmanager
def _hidden(modules: list[str]) -> Iterator[None]:
    """Make ``modules`` look uninstalled (``sys.modules[name] = None``) inside the block:
    ``importlib.util.find_spec`` then finds nothing and ``import`` raises ImportError."""
    saved = {name: sys.modules.get(name) for name in modules}
    for name in modules:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@contextmanager
def _restored_state() -> Iterator[None]:
    """Put back the process-wide state a command may change."""
    environ = dict(os.environ)
    cwd = os.getcwd()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch is not None else None
    try:
        with warnings.catch_warnings():  # filters and showwarning put back on exit
            yield
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(environ)
        for number, handler in handlers.items():
            signal.signal(number, handler)
        if torch is not None and threads is not None:
            torch.set_num_threads(threads)


@contextmanager
def _captured(out: Path, err: Path) -> Iterator[None]:
    """File descriptors 0 (from /dev/null), 1 and 2 (to files) redirected in the block."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (0, 1, 2)}
    with open(os.devnull, "rb") as null, open(out, "wb") as stdout, open(err, "wb") as stderr:
        for fd, target in ((0, null), (1, stdout), (2, stderr)):
            os.dup2(target.fileno(), fd)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)


def _exit_status(argv: list[str]) -> int:
    """Run ``advval ARGV`` in this process; the status a fresh process would exit with."""
    from advval.cli import main

    try:
        main(argv)
    except SystemExit as exc:
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException:  # what the interpreter does with an uncaught exception
        traceback.print_exc()
        return 1
    return 0


def _read(path: Path) -> str:
    text = path.read_bytes().decode("utf-8", errors="replace")
    return text if len(text) <= KEEP else text[: KEEP // 2] + "\n[...]\n" + text[-KEEP // 2:]


def _json_error(path: Path) -> str | None:
    """Why the whole of stdout is not one JSON document, or a report that breaks its
    schema (``advval.report.json_schema``); None when it is a valid one."""
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except ValueError as exc:
        return str(exc)
    import jsonschema

    from advval.report import SCHEMA_KINDS, json_schema

    if isinstance(document, dict) and document.get("kind") in SCHEMA_KINDS:
        validator = jsonschema.Draft202012Validator(json_schema(document["kind"]))
        for error in validator.iter_errors(document):
            where = "/".join(map(str, error.absolute_path))
            return f"it breaks the {document['kind']} schema at /{where}: {error.message[:200]}"
    return None


def run_cli(case: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """Run one CLI case; its exit status, stdout and stderr."""
    out, err = scratch / "stdout", scratch / "stderr"
    with _restored_state(), _hidden(case["hide"]), _captured(out, err):
        os.chdir(case["cwd"])
        code = _exit_status(case["argv"])
    return {"status": "exit", "code": code, "stdout": _read(out), "stderr": _read(err),
            "stdout_json": _json_error(out)}


def run_api(case: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """Run one API case: ``api_cases.CASES[name](**args)`` prepares, the worker calls."""
    from . import api_cases

    out, err = scratch / "stdout", scratch / "stderr"
    with _restored_state(), _hidden(case["hide"]), _captured(out, err):
        os.chdir(case["cwd"])
        result = api_cases.run(case["api"], case["args"])
    return {"status": "exit", "code": 0, "api": result, "stdout": _read(out),
            "stderr": _read(err)}


def main(argv: list[str]) -> None:
    spec, results, scratch = (Path(a) for a in argv)
    cases = json.loads(spec.read_text(encoding="utf-8"))
    if any(not case["api"] for case in cases):
        import advval.cli  # noqa: F401 - the CLI's imports, once, before the first case

    runners: dict[bool, Callable[[dict[str, Any], Path], dict[str, Any]]] = {
        True: run_api, False: run_cli}
    with open(results, "a", encoding="utf-8") as log:
        for case in cases:
            log.write(json.dumps({"event": "start", "id": case["id"]}) + "\n")
            log.flush()
            started = time.perf_counter()
            outcome = runners[bool(case["api"])](case, scratch)
            outcome["seconds"] = round(time.perf_counter() - started, 3)
            log.write(json.dumps({"event": "done", "id": case["id"], **outcome}) + "\n")
            log.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
