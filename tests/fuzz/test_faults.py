"""Faults while a command runs: Ctrl-C, a kill in the middle of a write, a full disk.

Each test runs ``advval.cli.main`` in a fresh interpreter with one fault planted at a
chosen point, deterministically: Ctrl-C (a real SIGINT) at the third LightGBM boosting
round or the first attack's ``generate``, or when the second output file is opened; a
SIGKILL while the process waits just before renaming its outputs into place; the kernel
killing it in the middle of a write (SIGXFSZ at a 4 KiB file-size limit); and writes that
fail as on a full disk (the same limit with SIGXFSZ ignored: EFBIG). A folder holds the
inputs and a previous report and export; what each fault may leave behind is checked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import harness, hostile, models

pytestmark = pytest.mark.fuzz

#: the previous run's outputs, which every fault must leave byte-identical
PREVIOUS = {"report.html": "<html>previous report</html>\n", "w.csv": "row,weight\n0,1\n"}
#: the file-size limit of the kill-in-a-write and full-disk tests (the report is larger)
LIMIT = 4096
#: seconds a faulted child may take (imports included)
TIMEOUT = 120

#: Ctrl-C at the ``nth`` call of a Python function ``name`` defined in a file whose path
#: contains ``where``; the KeyboardInterrupt rises inside that call
CTRL_C_AT_CALL = """
import os, signal, sys
_calls = [0]
def _profile(frame, event, arg):
    code = frame.f_code
    if event == "call" and code.co_name == {name!r} and {where!r} in code.co_filename:
        _calls[0] += 1
        if _calls[0] == {nth}:
            sys.setprofile(None)
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler raises KeyboardInterrupt here
                pass
sys.setprofile(_profile)
"""
#: Ctrl-C when the ``nth`` file inside the working directory is opened for writing
CTRL_C_AT_WRITE = """
import os, signal, sys
_opened = [0]
_folder = os.getcwd() + os.sep
def _hook(event, args):
    if event != "open" or not isinstance(args[0], (str, bytes)):
        return
    path, mode, flags = os.fsdecode(args[0]), args[1], args[2]
    writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
        mode is None and flags & (os.O_WRONLY | os.O_RDWR))
    if writes and os.path.abspath(path).startswith(_folder):
        _opened[0] += 1
        if _opened[0] == {nth}:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):
                pass
sys.addaudithook(_hook)
"""
#: before any file is renamed, say so on stderr and wait (to be killed)
PAUSE_AT_RENAME = """
import os, sys, time
def _hook(event, args):
    if event in ("os.rename", "os.replace", "os.link"):
        os.write(2, b"\\nFUZZ-PAUSED\\n")
        time.sleep(600)
sys.addaudithook(_hook)
"""
#: files larger than the limit cannot be written; ``deadly``: the kernel kills the process
FILE_SIZE_LIMIT = """
import resource, signal
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, resource.getrlimit(
    resource.RLIMIT_FSIZE)[1]))
if {deadly}:
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
"""
#: the child: the command's imports first (the fault is planted in the run), then the run
CHILD = """
import {modules}
{fault}
advval.cli.main({argv!r})
"""


def _folder(tmp_path: Path) -> Path:
    """Tiny inputs for every command, and the previous outputs."""
    hostile.write(tmp_path / "train.csv", hostile.base_pair()[0].to_csv(index=False))
    hostile.write(tmp_path / "test.csv", hostile.base_pair()[1].to_csv(index=False))
    hostile.write(tmp_path / "data.csv", models.attack_frame().to_csv(index=False))
    hostile.write(tmp_path / "model.txt", models.lightgbm_text())
    hostile.write(tmp_path / "images.npz", hostile.NPZ_BYTES["valid"]())
    models.save_torchscript(models.cnn(), models.cnn_example(), tmp_path / "cnn.pt")
    for name, content in PREVIOUS.items():
        hostile.write(tmp_path / name, content)
    return tmp_path


DRIFT = ["drift", "train.csv", "test.csv", "--output", "report.html", "--export-weights",
         "w.csv"]
ATTACK = ["attack", "model.txt", "data.csv", "--target", "y", "--max-rows", "20",
          "--max-queries", "20", "--output", "report.html"]
IMAGE = ["image", "evaluate", "cnn.pt", "images.npz", "--attack", "pgd", "--steps", "5",
         "--max-images", "6", "--eps", "0.03", "--output", "report.html"]


def _start(folder: Path, argv: list[str], fault: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    modules = "advval.cli, advval.image" if argv[0] == "image" else "advval.cli"
    code = CHILD.format(modules=modules, fault=fault, argv=argv)
    # a child inherits an ignored SIGINT (a test run started in the background with &), and
    # Python then never turns Ctrl-C into KeyboardInterrupt: give the child the default
    return subprocess.Popen([sys.executable, "-c", code],
                            cwd=folder, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_default_sigint)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _run(folder: Path, argv: list[str], fault: str) -> tuple[int, str]:
    child = _start(folder, argv, fault)
    try:
        _, err = child.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
        _, err = child.communicate()
        pytest.fail(f"no answer within {TIMEOUT}s (hang):\n{err.decode()[-3000:]}")
    return child.returncode, err.decode("utf-8", "replace")


def _broken(folder: Path, before: dict[str, str], listing: set[str], *,
            leftovers_allowed: bool) -> list[str]:
    """Previous outputs changed, inputs changed, or files left behind."""
    after = harness.fingerprint(before)
    problems = [f"{Path(p).name} changed" for p, d in before.items() if after[p] != d]
    new = sorted(harness.listing(folder) - listing)
    if new and not leftovers_allowed:
        problems.append(f"files were left behind: {new}")
    return problems


def _snapshot(folder: Path) -> tuple[dict[str, str], set[str]]:
    names = harness.listing(folder)
    return harness.fingerprint(folder / n for n in sorted(names)), names


def _interrupted(folder: Path, argv: list[str], fault: str) -> list[str]:
    before, listing = _snapshot(folder)
    code, err = _run(folder, argv, fault)
    problems = _broken(folder, before, listing, leftovers_allowed=False)
    if code != 130:
        problems.insert(0, f"exit {code} after Ctrl-C, expected 130")
    if "Traceback (most recent call last)" in err:
        problems.append("a traceback on stderr")
    return problems + ([f"stderr:\n{err[-3000:]}"] if problems else [])


def test_ctrl_c_during_the_drift_fit_exits_130_and_keeps_the_previous_outputs(tmp_path):
    fault = CTRL_C_AT_CALL.format(name="update", where="lightgbm", nth=3)
    assert not (problems := _interrupted(_folder(tmp_path), DRIFT, fault)), "\n".join(problems)


def test_ctrl_c_while_the_outputs_are_written_exits_130_and_writes_none(tmp_path):
    fault = CTRL_C_AT_WRITE.format(nth=2)  # the first output staged, the second opening
    assert not (problems := _interrupted(_folder(tmp_path), DRIFT, fault)), "\n".join(problems)


def test_ctrl_c_during_an_attack_exits_130(tmp_path):
    fault = CTRL_C_AT_CALL.format(name="generate", where="advval", nth=1)
    assert not (problems := _interrupted(_folder(tmp_path), ATTACK, fault)), "\n".join(problems)


def test_ctrl_c_during_image_evaluate_exits_130(tmp_path):
    fault = CTRL_C_AT_CALL.format(name="generate", where="advval", nth=1)
    assert not (problems := _interrupted(_folder(tmp_path), IMAGE, fault)), "\n".join(problems)


def test_a_kill_in_the_middle_of_a_write_leaves_the_previous_outputs(tmp_path):
    folder = _folder(tmp_path)
    before, listing = _snapshot(folder)
    code, err = _run(folder, DRIFT, FILE_SIZE_LIMIT.format(limit=LIMIT, deadly=True))
    assert code == -signal.SIGXFSZ, f"exit {code}: the write was not cut short\n{err[-2000:]}"
    cut = [n for n in harness.listing(folder) - listing if (folder / n).stat().st_size == LIMIT]
    assert cut, "the kill did not land inside an output's write"
    problems = _broken(folder, before, listing, leftovers_allowed=True)  # SIGKILL-like:
    assert not problems, "\n".join(problems)  # a temporary file may stay, never a cut output


def test_a_sigkill_before_the_rename_leaves_the_previous_outputs(tmp_path):
    folder = _folder(tmp_path)
    before, listing = _snapshot(folder)
    child = _start(folder, DRIFT, PAUSE_AT_RENAME)
    assert child.stderr is not None
    seen = b""
    deadline = time.monotonic() + TIMEOUT
    os.set_blocking(child.stderr.fileno(), False)
    while b"FUZZ-PAUSED" not in seen and child.poll() is None and time.monotonic() < deadline:
        seen += child.stderr.read() or b""
        time.sleep(0.05)
    paused = b"FUZZ-PAUSED" in seen
    child.kill()
    child.communicate()
    assert paused, ("the outputs were never renamed into place (written in place?):\n"
                    + seen.decode()[-2000:])
    problems = _broken(folder, before, listing, leftovers_allowed=True)
    assert not problems, "\n".join(problems)


def test_a_full_disk_exits_2_names_the_file_and_writes_nothing(tmp_path):
    folder = _folder(tmp_path)
    before, listing = _snapshot(folder)
    code, err = _run(folder, DRIFT, FILE_SIZE_LIMIT.format(limit=LIMIT, deadly=False))
    problems = _broken(folder, before, listing, leftovers_allowed=False)
    if code != 2:
        problems.insert(0, f"exit {code}, expected 2")
    if "Traceback (most recent call last)" in err or "report.html" not in err:
        problems.append("the message is a traceback or does not name report.html")
    assert not problems, "\n".join(problems) + f"\nstderr:\n{err[-2000:]}"
