"""What the command line accepts: finite numbers, bounded thread counts, and input files that
cannot make it misread, recurse or allocate without bound. Every refusal is exit 2 with a
message naming the option as typed or the file (and line, column, array)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.attacks import _space_config
from advval.cli import ExitCode, _image, cli
from advval.cli._options import cpu_cores

CORES = cpu_cores()


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.fixture
def paths(tmp_path) -> dict[str, Path]:
    """Files that exist (the options are refused before any is read)."""
    rng = np.random.default_rng(0)
    made = {"train": tmp_path / "train.csv", "test": tmp_path / "test.csv",
            "model": tmp_path / "model.txt", "images": tmp_path / "images.npz"}
    pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)}).to_csv(
        made["train"], index=False)
    pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)}).to_csv(
        made["test"], index=False)
    made["model"].write_text("not a model\n")
    np.savez(made["images"], x=np.zeros((2, 1, 4, 4), np.float32), y=np.zeros(2, np.int64))
    return made


COMMANDS = {
    "drift": lambda p: ["drift", p["train"], p["test"]],
    "deps": lambda p: ["deps", p["train"]],
    "attack": lambda p: ["attack", p["model"], p["train"], "--target", "a"],
    "image": lambda p: ["image", "evaluate", p["model"], p["images"]],
}


def _run(runner: CliRunner, *args: object):
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


# --------------------------------------------------------------------- float options


@pytest.mark.parametrize(
    ("command", "options", "message"),
    [
        ("drift", ["--alpha", "nan"], "'--alpha': 'nan' is not a finite number."),
        ("drift", ["--min-effect", "inf"], "'--min-effect': 'inf' is not a finite number."),
        ("drift", ["--scheduler-timeout", "inf"],
         "'--scheduler-timeout': 'inf' is not a finite number."),
        ("deps", ["--alpha", "-inf"], "'--alpha': '-inf' is not a finite number."),
        ("attack", ["--eps", "inf"], "'--eps': 'inf' is not a finite number."),
        ("attack", ["--eps", "NaN"], "'--eps': 'NaN' is not a finite number."),
        ("attack", ["--fail-under", "nan"], "'--fail-under': 'nan' is not a finite number."),
        ("attack", ["--curve", "0.1,nan"],
         "'--curve': 'nan' in '0.1,nan': 'nan' is not a finite number."),
        ("attack", ["--curve", "0.1,-1"],
         "'--curve': '-1' in '0.1,-1': -1.0 is not in the range x>=0."),
        ("image", ["--eps", "nan"], "'--eps': 'nan' is not a finite number."),
        ("image", ["--fail-under", "inf"], "'--fail-under': 'inf' is not a finite number."),
        ("image", ["--mean", "nan", "--std", "1"], "'--mean': 'nan' is not a finite number."),
        ("image", ["--mean", "0", "--std", "inf"], "'--std': 'inf' is not a finite number."),
        ("image", ["--mean", "0", "--std", "0"], "'--std': 0.0 is not in the range x>0."),
        ("image", ["--bounds", "nan", "1"], "'--bounds': 'nan' is not a finite number."),
        ("image", ["--bounds", "0", "inf"], "'--bounds': 'inf' is not a finite number."),
    ],
)
def test_float_options_refuse_nan_and_infinity(runner, paths, command, options, message):
    result = _run(runner, *COMMANDS[command](paths), *options)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert f"Error: Invalid value for {message}" in result.stderr


# --------------------------------------------------------------------- integer options


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("value", ["2048", "0", "-2"])
def test_n_jobs_is_bounded_by_the_cores_on_every_command(runner, paths, command, value):
    result = _run(runner, *COMMANDS[command](paths), "--n-jobs", value)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert (f"Error: Invalid value for '--n-jobs': {value} is not a count from 1 to {CORES} "
            "(the CPU cores here) nor -1 (all cores).") in result.stderr


@pytest.mark.parametrize("command", ["drift", "deps"])
def test_workers_are_bounded_by_the_cores(runner, paths, command):
    result = _run(runner, *COMMANDS[command](paths), "--workers", "100000")
    assert result.exit_code == ExitCode.USAGE
    assert "Invalid value for '--workers': 100000 is not a count from 1 to" in result.stderr


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_states_the_thread_rule(runner, paths, command):
    args = COMMANDS[command](paths)
    text = " ".join(_run(runner, *args[: 2 if command == "image" else 1], "--help").output.split())
    assert "N is 1 to the number of CPU cores, or -1 for all cores." in text


def test_n_jobs_minus_one_means_every_core(runner, paths):
    result = _run(runner, "drift", paths["train"], paths["test"], "--n-jobs", "-1", "--quiet",
                  "--format", "json")
    assert result.exit_code == ExitCode.OK, result.output
    assert json.loads(result.stdout)["kind"] == "drift"


@pytest.mark.parametrize(
    ("command", "options", "message"),
    [
        ("drift", ["--seed", "-1"], "'--seed': -1 is not in the range 0<=x<=4294967295."),
        ("drift", ["--n-splits", "2"], "'--n-splits': 2 is not in the range x>=3."),
        ("drift", ["--max-rows", "0"], "'--max-rows': 0 is below the smallest budget, 10 rows"),
        ("deps", ["--n-splits", "1"], "'--n-splits': 1 is not in the range x>=2."),
        ("attack", ["--max-queries", str(2**63)],
         f"'--max-queries': {2**63} is not in the range 1<=x<=2147483647."),
    ],
)
def test_integer_options_are_checked_by_their_type(runner, paths, command, options, message):
    result = _run(runner, *COMMANDS[command](paths), *options)
    assert result.exit_code == ExitCode.USAGE
    assert f"Error: Invalid value for {message}" in result.stderr


# --------------------------------------------------------------------- tables


@pytest.mark.parametrize(
    ("content", "line"),
    [(b"a,b\n1,2\n3,4,5\n6,7\n", 3), (b"a,b\n1,2,9\n3,4,5\n", 2)],
    ids=["later-row", "first-row"],  # pandas would read the first as an index column
)
def test_a_row_longer_than_the_header_is_named(runner, paths, content, line):
    Path("ragged.csv").write_bytes(content)
    result = _run(runner, "drift", "ragged.csv", paths["test"], "--quiet")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        f"Error: cannot read TRAIN file 'ragged.csv': line {line} has 3 fields but the header "
        "has 2\n"
    )


def test_a_damaged_compressed_csv_is_named(runner, paths):
    import gzip

    packed = bytearray(gzip.compress(b"a,b\n" + b"1,2\n" * 500))
    packed[30] ^= 0xFF  # a flipped byte in the deflate stream: zlib.error, not OSError
    Path("damaged.csv.gz").write_bytes(bytes(packed))
    result = _run(runner, "drift", paths["train"], "damaged.csv.gz", "--quiet")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith(
        "Error: cannot read TEST file 'damaged.csv.gz': the compressed data is damaged (Error -3 "
        "while decompressing data"
    )
    Path("short.csv.gz").write_bytes(gzip.compress(b"a,b\n" + b"1,2\n" * 500)[:20])
    result = _run(runner, "deps", "short.csv.gz", "--quiet")
    assert result.stderr == (
        "Error: cannot read DATA file 'short.csv.gz': the compressed data is damaged "
        "(Compressed file ended before the end-of-stream marker was reached)\n"
    )


def test_nested_parquet_columns_are_named(runner):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({
        "a": [1.0, 2.0],
        "s": pa.array([{"x": 1}, {"x": 2}]),
        "l": pa.array([[1], [2, 3]]),
        "m": pa.array([[("k", 1)], [("j", 2)]], type=pa.map_(pa.string(), pa.int64())),
    })
    pq.write_table(table, "nested.parquet")
    result = _run(runner, "deps", "nested.parquet", "--quiet")
    assert result.exit_code == ExitCode.USAGE
    message = " ".join(result.stderr.split())
    assert message.startswith(
        "Error: cannot read DATA file 'nested.parquet': column(s) 's' (struct<x: int64>), "
        "'l' (list<element: int64>), 'm' (map<string, int64"
    )
    assert "are nested (struct, list or map)" in message and "'a'" not in message


# --------------------------------------------------------------------- constraints files


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "it is nested too deeply to read"),
        ("deep.yaml", "[" * 2_000 + "]" * 2_000, "it is nested too deeply to read"),
        ("laughs.yaml",
         "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
         + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n"
                   for i in range(7))
         + "immutable: *h\n",
         "it holds more than 10,000 values (YAML aliases counted each time they are used)"),
    ],
    ids=["json-depth", "yaml-depth", "yaml-aliases"],
)
def test_constraints_files_cannot_recurse_or_expand_without_bound(runner, paths, monkeypatch,
                                                                  name, content, reason):
    monkeypatch.setattr(_space_config, "MAX_CONSTRAINTS_VALUES", 10_000)  # 10**8 names
    Path(name).write_text(content, encoding="utf-8")
    result = _run(runner, *COMMANDS["attack"](paths), "--constraints", name)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert result.stderr == f"Error: cannot read the constraints file '{name}': {reason}\n"


def test_an_oversized_constraints_file_is_not_read(runner, paths, monkeypatch):
    monkeypatch.setattr(_space_config, "MAX_CONSTRAINTS_BYTES", 2**20)
    Path("big.json").write_text(json.dumps({"immutable": ["a"] * 300_000}), encoding="utf-8")
    result = _run(runner, *COMMANDS["attack"](paths), "--constraints", "big.json")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        "Error: cannot read the constraints file 'big.json': it is larger than 1 MiB; a "
        "constraints file lists columns\n"
    )


# --------------------------------------------------------------------- .npz files


def _npy(shape: tuple[int, ...], dtype: str, payload: bytes) -> bytes:
    """An .npy member whose header declares ``shape``, followed by ``payload`` only."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue() + payload


def test_an_npz_header_declaring_terabytes_is_refused_before_reading(runner, paths, monkeypatch):
    labels = io.BytesIO()
    np.save(labels, np.zeros(2, np.int64))
    with zipfile.ZipFile("huge.npz", "w") as archive:
        archive.writestr("x.npy", _npy((10**12, 1, 8, 8), "u1", b"\0" * 16))
        archive.writestr("y.npy", labels.getvalue())

    def never(*args, **kwargs):
        raise AssertionError("numpy was asked to read (and allocate) the declared array")

    monkeypatch.setattr(np.lib.format, "read_array", never)
    result = _run(runner, "image", "evaluate", paths["model"], "huge.npz")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        "Error: cannot read array 'x' of DATA file 'huge.npz': its header declares shape "
        "(1000000000000, 1, 8, 8) of uint8 (58.2 TiB) but the archive member holds 16 "
        "bytes; the file is damaged\n"
    )


def test_a_damaged_npz_member_is_named(runner, paths):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((4, 1, 8, 8), np.float32))
    with zipfile.ZipFile("damaged.npz", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.npy", buffer.getvalue())
        archive.writestr("y.npy", _npy((4,), "i8", b"\0" * 32))
    packed = bytearray(Path("damaged.npz").read_bytes())
    start = packed.index(b"x.npy") + len("x.npy") + 20  # inside x's compressed data
    packed[start:start + 8] = b"\xff" * 8
    Path("damaged.npz").write_bytes(bytes(packed))
    result = _run(runner, "image", "evaluate", paths["model"], "damaged.npz")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        "Error: cannot read array 'x' of DATA file 'damaged.npz': the compressed data is damaged "
        "(Bad CRC-32 for file 'x.npy')\n"
    )


def test_images_larger_than_memory_are_refused(runner, paths, monkeypatch):
    monkeypatch.setattr(_image, "_physical_memory", lambda: 100)
    result = _run(runner, *COMMANDS["image"](paths))
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        f"Error: cannot read array 'x' of DATA file '{paths['images']}': its shape "
        "(2, 1, 4, 4) of float32 needs 256 bytes of memory (stored and as float32), more "
        "than this machine has (100 bytes); pass a sample of the images\n"
    )
