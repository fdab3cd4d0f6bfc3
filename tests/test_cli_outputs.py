"""Outputs of the command line: atomic and all or nothing, never over an input, several
formats in one run, CSV exports safe in spreadsheets, Ctrl-C, internal errors, closed pipes."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import advval
from advval.cli import ExitCode, cli
from advval.report import _sink
from advval.report._sink import TEMP_SUFFIX, write_files

ROOT = Path(advval.__file__).resolve().parent.parent
FAST = ["--quiet", "--n-jobs", "1", "--no-remedy"]
OLD = b"the previous report\n"


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """A CliRunner whose commands run in an empty folder (the inputs are elsewhere)."""
    folder = tmp_path / "run"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return CliRunner()


@pytest.fixture
def csvs(tmp_path) -> dict[str, Path]:
    """train.csv and test.csv (column 'a' shifted by 1.5 sd: drift), 200 rows each."""
    rng = np.random.default_rng(0)
    paths = {}
    folder = tmp_path / "inputs"
    folder.mkdir()
    for name, shift in (("train", 0.0), ("test", 1.5)):
        frame = pd.DataFrame({"a": rng.normal(shift, 1, 200), "b": rng.normal(0, 1, 200)})
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


def _run(runner: CliRunner, *args: object, **kwargs):
    return runner.invoke(cli, [str(a) for a in args], **kwargs)


def _never_called(*args, **kwargs):
    raise AssertionError("the work started although the command line was refused")


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(TEMP_SUFFIX))


@pytest.fixture
def no_fit(monkeypatch):
    """Fail the test if the drift check starts (fit and the CLI both go through _fit_named)."""
    monkeypatch.setattr(advval.AdversarialValidator, "_fit_named", _never_called)


# ----------------------------------------------------------------- write_files, the writer


def test_write_files_replaces_whole_files_and_leaves_no_temporary(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.md"
    first.write_bytes(OLD)
    write_files({first: b"new a\n", second: b"new b\n"})
    assert first.read_bytes() == b"new a\n" and second.read_bytes() == b"new b\n"
    assert _temporaries(tmp_path) == []


def test_full_disk_leaves_every_previous_file_and_no_temporary(tmp_path, monkeypatch):
    first, second = tmp_path / "a.html", tmp_path / "b.json"
    first.write_bytes(OLD)
    second.write_bytes(OLD)
    calls = []

    def fill_up(fd, chunk):
        calls.append(len(chunk))
        if len(calls) == 3:  # the second file's second chunk: the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.write(fd, chunk)

    monkeypatch.setattr(_sink, "CHUNK_BYTES", 4)
    monkeypatch.setattr(_sink, "_write_chunk", fill_up)
    with pytest.raises(OSError, match="No space left on device") as caught:
        write_files({first: b"1234", second: b"abcdefgh"})
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(second)
    assert first.read_bytes() == OLD and second.read_bytes() == OLD
    assert _temporaries(tmp_path) == []


def test_interrupted_write_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "r.html"
    target.write_bytes(OLD)

    def interrupted(fd, chunk):
        raise KeyboardInterrupt

    monkeypatch.setattr(_sink, "_write_chunk", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_files({target: b"new"})
    assert target.read_bytes() == OLD and _temporaries(tmp_path) == []


def test_a_failed_rename_puts_back_the_files_already_replaced(tmp_path, monkeypatch):
    first, second, third = tmp_path / "a.html", tmp_path / "b.json", tmp_path / "c.md"
    first.write_bytes(OLD)
    real_replace = os.replace

    def refuse_the_second(source, destination):
        if str(destination) == str(second) and str(source).endswith(TEMP_SUFFIX):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(source))
        return real_replace(source, destination)

    monkeypatch.setattr(_sink.os, "replace", refuse_the_second)
    with pytest.raises(PermissionError) as caught:
        write_files({first: b"new a", second: b"new b", third: b"new c"})
    assert caught.value.filename == str(second)
    assert first.read_bytes() == OLD  # restored from its hard-link backup
    assert not second.exists() and not third.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html"]


def test_a_symbolic_link_stays_a_link_to_the_new_file(tmp_path):
    real = tmp_path / "real.html"
    real.write_bytes(OLD)
    link = tmp_path / "link.html"
    link.symlink_to(real)
    write_files({link: b"new"})
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_the_mode_of_an_existing_file_is_kept(tmp_path):
    target = tmp_path / "r.json"
    target.write_bytes(OLD)
    target.chmod(0o640)
    write_files({target: b"new"})
    assert (target.stat().st_mode & 0o777) == 0o640


def test_devices_are_written_in_place_and_folders_refused(tmp_path):
    write_files({os.devnull: b"discarded"})
    assert Path(os.devnull).exists() and not Path(os.devnull).is_file()
    with pytest.raises(IsADirectoryError) as caught:
        write_files({tmp_path: b"x"})
    assert caught.value.filename == str(tmp_path)


# ----------------------------------------------------------------- all or nothing in the CLI


def test_full_disk_in_the_cli_writes_no_output_and_names_the_file(runner, csvs, monkeypatch):
    Path("r.html").write_bytes(OLD)
    calls = []

    def fill_up(fd, chunk):
        calls.append(len(chunk))
        if len(calls) > 1:  # the report page is written; the JSON finds the disk full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.write(fd, chunk)

    monkeypatch.setattr(_sink, "CHUNK_BYTES", 1 << 30)
    monkeypatch.setattr(_sink, "_write_chunk", fill_up)
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--output", "r.html",
                  "--json", "r.json", "--export-weights", "w.csv", *FAST)
    assert result.exit_code == ExitCode.USAGE, result.output
    # the weighter's warnings about this strongly shifted sample come first
    said = [line for line in result.stderr.splitlines() if not line.startswith("advval: warning")]
    assert said == [
        "Error: cannot write the json report (--json) to 'r.json': No space left on device; "
        "no output of this run was written"
    ]
    assert sorted(p.name for p in Path.cwd().iterdir()) == ["r.html"]
    assert Path("r.html").read_bytes() == OLD


_SLOW_WRITE = """
import os, sys, time
from pathlib import Path
from advval.report import _sink
_sink.CHUNK_BYTES = 64

def slow(fd, chunk):
    written = os.write(fd, chunk)
    Path("writing").touch()
    time.sleep(60)
    return written

_sink._write_chunk = slow
from advval.cli import main
main(sys.argv[1:])
"""


def _start_slow_writer(tmp_path: Path, csvs: dict[str, Path]) -> subprocess.Popen:
    """A drift run whose report is written 64 bytes at a time, stalled after the first."""
    (tmp_path / "r.html").write_bytes(OLD)
    args = ["drift", str(csvs["train"]), str(csvs["test"]), "--output", "r.html", *FAST]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITE, *args], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        # Ctrl-C must reach it even when the tests run in the background (SIGINT ignored)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while not (tmp_path / "writing").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the report was never written"
        time.sleep(0.05)
    return process


def test_a_run_killed_while_writing_leaves_the_previous_report(tmp_path, csvs):
    process = _start_slow_writer(tmp_path, csvs)
    process.kill()  # SIGKILL: nothing can clean up
    process.communicate()
    assert (tmp_path / "r.html").read_bytes() == OLD
    leftovers = _temporaries(tmp_path)  # the half-written page is a hidden temporary file
    assert len(leftovers) == 1 and leftovers[0].startswith(".r.html.")


def test_ctrl_c_while_writing_exits_130_with_one_line_and_no_leftovers(tmp_path, csvs):
    process = _start_slow_writer(tmp_path, csvs)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED == 130
    assert err.decode() == "advval: interrupted (Ctrl-C)\n"
    assert out == b""
    assert (tmp_path / "r.html").read_bytes() == OLD and _temporaries(tmp_path) == []


def test_ctrl_c_during_the_work_exits_130_and_writes_nothing(runner, csvs, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(advval.AdversarialValidator, "_fit_named", interrupted)
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--json", "r.json", *FAST)
    assert result.exit_code == ExitCode.INTERRUPTED
    assert result.stderr == "advval: interrupted (Ctrl-C)\n"
    assert list(Path.cwd().iterdir()) == []


def test_an_unexpected_error_is_one_line_and_exit_4(runner, csvs, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom\n  in a nested call")

    monkeypatch.setattr(advval.AdversarialValidator, "_fit_named", broken)
    result = _run(runner, "drift", csvs["train"], csvs["test"], *FAST)
    assert result.exit_code == ExitCode.INTERNAL_ERROR == 4
    assert result.stderr == (
        "advval: internal error: RuntimeError: boom in a nested call (please report it; "
        "ADVVAL_DEBUG=1 shows the traceback)\n"
    )
    monkeypatch.setenv("ADVVAL_DEBUG", "1")
    result = _run(runner, "drift", csvs["train"], csvs["test"], *FAST)
    assert isinstance(result.exception, RuntimeError) and str(result.exception).startswith("boom")


def test_help_lists_the_new_exit_codes(runner):
    text = _run(runner, "drift", "--help").output
    assert "  4    internal error: please report it (ADVVAL_DEBUG=1 shows the traceback)" in text
    assert "  130  interrupted (Ctrl-C); no output is left half-written" in text


def test_a_closed_stdout_is_not_a_traceback_and_keeps_the_gate(tmp_path, csvs):
    """``advval drift ... --format json | head -c 10``: the reader leaves early."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "advval", "drift", str(csvs["train"]), str(csvs["test"]),
         "--format", "json", "--html", "r.html", "--fail-on-drift", *FAST],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    process.stdout.close()  # like `head` exiting before the report is written
    err = process.stderr.read().decode()
    process.wait(timeout=120)
    process.stderr.close()
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert "advval: stdout was closed before the whole json report was read" in err
    assert process.returncode == ExitCode.DRIFT  # the gate still holds
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# ----------------------------------------------------------------- never over an input


@pytest.mark.usefixtures("no_fit")
@pytest.mark.parametrize(
    ("option", "path_of"),
    [
        ("--output", lambda c: c["train"]),
        ("--json", lambda c: Path(os.path.relpath(c["test"]))),
        ("--markdown", lambda c: c["train"].parent / "." / "train.csv"),
        ("--export-weights", lambda c: c["test"]),
        ("--export-test-likeness", lambda c: c["train"]),
    ],
    ids=["output", "relative", "dotted", "export-weights", "export-likeness"],
)
def test_an_output_naming_an_input_is_refused(runner, csvs, option, path_of):
    before = csvs["train"].read_bytes(), csvs["test"].read_bytes()
    path = path_of(csvs)
    role = "TRAIN" if path.resolve() == csvs["train"] else "TEST"
    result = _run(runner, "drift", csvs["train"], csvs["test"], option, path, *FAST)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert result.stderr == (
        f"Error: {option} '{path}' is the {role} file '{csvs[role.lower()]}': an output never "
        "replaces an input; choose another path\n"
    )
    assert (csvs["train"].read_bytes(), csvs["test"].read_bytes()) == before


@pytest.mark.usefixtures("no_fit")
def test_links_to_an_input_are_refused(runner, csvs):
    Path("soft.html").symlink_to(csvs["test"])
    os.link(csvs["train"], "hard.json")
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--output", "soft.html", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert f"--output 'soft.html' is the TEST file '{csvs['test']}'" in result.stderr
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--json", "hard.json", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert f"--json 'hard.json' is the TRAIN file '{csvs['train']}'" in result.stderr


@pytest.mark.usefixtures("no_fit")
def test_two_outputs_naming_one_file_are_refused(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--output", "w.csv",
                  "--export-weights", "w.csv", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        "Error: --export-weights and --output name the same file 'w.csv'; give each output its "
        "own file\n"
    )
    Path("r.json").write_bytes(OLD)
    Path("alias.json").symlink_to("r.json")
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--json", "r.json",
                  "--markdown", "alias.json", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert "Error: --markdown and --json name the same file 'alias.json'" in result.stderr
    assert Path("r.json").read_bytes() == OLD


@pytest.mark.usefixtures("no_fit")
def test_two_outputs_on_stdout_are_refused(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--format", "json",
                  "--markdown", "-", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        "Error: --output and --markdown all write to stdout; only one output can, give the "
        "others a file\n"
    )


def test_deps_output_naming_data_or_compare_is_refused(runner, csvs, monkeypatch):
    monkeypatch.setattr(advval.FeatureDependencyChecker, "fit", _never_called)
    result = _run(runner, "deps", csvs["train"], "--compare", csvs["test"], "--json",
                  csvs["test"], *FAST[:3])
    assert result.exit_code == ExitCode.USAGE
    assert f"Error: --json '{csvs['test']}' is the --compare file" in result.stderr
    result = _run(runner, "deps", csvs["train"], "-o", csvs["train"], *FAST[:3])
    assert f"Error: --output '{csvs['train']}' is the DATA file" in result.stderr


def test_an_output_among_a_folder_input_is_refused(runner, csvs, monkeypatch):
    monkeypatch.setattr(advval.FeatureDependencyChecker, "fit", _never_called)
    Path("parts").mkdir()
    pd.read_csv(csvs["train"]).to_csv("parts/one.csv", index=False)
    for data in ("parts", "parts/*.csv"):
        result = _run(runner, "deps", data, "--output", "parts/one.csv", *FAST[:3])
        assert result.exit_code == ExitCode.USAGE, result.output
        assert result.stderr.startswith(
            "Error: --output 'parts/one.csv' is the DATA file 'parts/one.csv'"
        )


# ----------------------------------------------------------------- several outputs, one run


def test_drift_writes_every_format_in_one_run(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--output", "r.html",
                  "--json", "r.json", "--markdown", "pr.md", "--fail-on-drift", *FAST)
    assert result.exit_code == ExitCode.DRIFT, result.output
    assert result.stdout == ""
    assert Path("r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert json.loads(Path("r.json").read_bytes())["drift"] is True
    assert Path("pr.md").read_text(encoding="utf-8").startswith("## advval drift check: DRIFT")
    lines = result.stderr.splitlines()
    assert lines[0].startswith("advval: drift detected: AUC ")
    assert lines[1:] == [
        "advval: html report written to r.html",
        "advval: json report written to r.json",
        "advval: markdown report written to pr.md",
    ]
    alone = _run(runner, "drift", csvs["train"], csvs["test"], "--format", "json", *FAST)
    assert alone.stdout_bytes == Path("r.json").read_bytes()  # same report, one run or two


def test_format_options_alone_write_only_those(runner, csvs):
    result = _run(runner, "drift", csvs["train"], csvs["test"], "--json", "-", "--markdown",
                  "pr.md", *FAST)
    assert result.exit_code == ExitCode.OK, result.output
    assert json.loads(result.stdout)["kind"] == "drift"
    assert sorted(p.name for p in Path.cwd().iterdir()) == ["pr.md"]  # no default page


def test_every_command_defaults_to_an_html_page(runner, csvs):
    result = _run(runner, "deps", csvs["train"], *FAST[:3])
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout == ""
    page = Path("advval_deps_report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "advval: html report written to advval_deps_report.html" in result.stderr


def test_deps_writes_several_formats(runner, csvs):
    result = _run(runner, "deps", csvs["train"], "--html", "d.html", "--json", "d.json",
                  "--markdown", "-", *FAST[:3])
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout.startswith("## advval dependency check")
    assert json.loads(Path("d.json").read_bytes())["kind"] == "deps"
    assert Path("d.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# ----------------------------------------------------------------- CSV exports in spreadsheets


def test_exports_cannot_run_formulas_in_a_spreadsheet(runner, csvs):
    train, test = pd.read_csv(csvs["train"]), pd.read_csv(csvs["test"])
    train["=key"] = ["=1+2", "@SUM(A1)", "+cmd", "-2+3", "\tTAB", "-7", "plain", "x\ry"] * 25
    test["=key"] = "x"
    train["num"], test["num"] = -np.arange(200), -np.arange(200)
    train.to_csv("tr.csv", index=False, lineterminator="\r\n")  # the CR inside "x\ry" quoted
    test.to_csv("te.csv", index=False)
    result = _run(runner, "drift", "tr.csv", "te.csv", "--id", "=key", "--id", "num",
                  "--export-weights", "w.csv", "--format", "json", *FAST)
    assert result.exit_code == ExitCode.OK, result.output
    lines = Path("w.csv").read_bytes().decode("utf-8").split("\r\n")
    assert lines[0] == "side,row,'=key,num,weight"
    cells = [line.split(",")[2] for line in lines[1:9]]
    assert cells == ["'=1+2", "'@SUM(A1)", "'+cmd", "'-2+3", "'\tTAB", "-7", "plain", '"x\ry"']
    assert [line.split(",")[3] for line in lines[1:4]] == ["0", "-1", "-2"]  # numbers stay
    weights = pd.read_csv("w.csv")
    assert weights["num"].dtype.kind == "i" and weights["weight"].dtype.kind == "f"
    assert weights["'=key"].iloc[7] == "x\ry"


def test_export_help_says_what_is_quoted(runner):
    text = " ".join(_run(runner, "drift", "--help").output.split())
    assert ("Text cells and column names starting with =, +, -, @, a tab or a carriage return "
            "get a leading ' so that a spreadsheet shows them") in text
