"""``advval drift`` on many files and a Dask cluster: same report, clear exits, no hang."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

pytest.importorskip("distributed")
pytest.importorskip("lightgbm.dask")

import advval  # noqa: E402
from advval import _compat  # noqa: E402
from advval.cli import ExitCode, cli  # noqa: E402
from advval.cli._io import dask_client, is_distributed  # noqa: E402

ROOT = Path(advval.__file__).resolve().parent.parent
FAST = ["--quiet", "--n-jobs", "1", "--seed", "3"]
N_FILES, ROWS_PER_FILE = 3, 200


def _side(rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": rng.normal(shift, 1.0, n),
            "b": rng.normal(0.0, 1.0, n),
            "c": rng.choice(["x", "y", "z"], n),
        }
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    """The same rows as one file a side and as N_FILES Parquet / CSV parts a side.

    TEST's column 'a' is shifted by 0.8 standard deviations (the planted drift).
    """
    root = tmp_path_factory.mktemp("many")
    rng = np.random.default_rng(0)
    n = N_FILES * ROWS_PER_FILE
    frames = {"train": _side(rng, n, 0.0), "test": _side(rng, n, 0.8)}
    paths = {}
    for side, frame in frames.items():
        frame.to_parquet(root / f"{side}.parquet")
        paths[side] = root / f"{side}.parquet"
        for kind in ("parquet", "csv"):
            folder = root / f"{side}_{kind}"
            folder.mkdir()
            for i in range(N_FILES):
                part = frame.iloc[i * ROWS_PER_FILE : (i + 1) * ROWS_PER_FILE]
                target = folder / f"part-{i}.{kind}"
                part.to_parquet(target) if kind == "parquet" else part.to_csv(target, index=False)
            paths[f"{side}_{kind}"] = folder
    return paths


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _run(runner: CliRunner, *args: object):
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_globs_on_a_cluster_agree_with_the_single_file_run(runner, data, cluster):
    single = _run(
        runner, "drift", data["train"], data["test"], "--format", "json", "--n-splits", 3, *FAST
    )
    assert single.exit_code == ExitCode.OK, single.output
    many = _run(
        runner,
        "drift",
        f"{data['train_parquet']}/part-*.parquet",
        f"{data['test_parquet']}/part-*.parquet",
        "--scheduler",
        cluster.scheduler_address,
        "--n-splits",
        3,
        "--format",
        "json",
        *FAST,
    )
    assert many.exit_code == ExitCode.OK, many.output
    one, dist = json.loads(single.stdout), json.loads(many.stdout)
    assert (dist["n_train"], dist["n_test"], dist["n_features"]) == (600, 600, 3)
    assert dist["drift"] is one["drift"] is True
    # the planted shift: AUC of a 0.8-sd mean shift is Phi(0.8 / sqrt(2)) = 0.714
    assert abs(dist["auc"] - one["auc"]) < 0.04
    assert 0.65 < dist["auc"] < 0.78
    assert dist["auc_ci"][0] < dist["auc"] < dist["auc_ci"][1]
    assert dist["features"][0]["name"] == one["features"][0]["name"] == "a"
    assert sorted(f["name"] for f in dist["features"]) == ["a", "b", "c"]
    assert set(dist) == set(one)
    # the cluster given by --scheduler is left running
    with __import__("distributed").Client(cluster, set_as_default=False) as client:
        assert client.submit(sum, [1, 2]).result() == 3


def test_csv_directories_on_a_cluster(runner, data, cluster):
    result = _run(
        runner,
        "drift",
        data["train_csv"],
        data["test_csv"],
        "--scheduler",
        cluster.scheduler_address,
        "--n-splits",
        3,
        "--output",
        "report.html",
        "--fail-on-drift",
        "--ignore",
        "b",
        *FAST,
    )
    assert result.exit_code == ExitCode.DRIFT, result.output
    assert "drift detected" in result.stderr
    page = Path("report.html").read_text()
    # the per-feature histograms come from a sample drawn on the cluster
    distributions = page[page.index('<section id="distributions">') :]
    distributions = distributions[: distributions.index("</section>")]
    assert "<h3>a</h3>" in distributions and "<h3>c</h3>" in distributions
    assert "<h3>b</h3>" not in distributions
    assert page.count('<svg class="small"') == 2  # every checked column in the table: a, c


def test_workers_start_a_loopback_cluster_closed_at_the_end(capsys):
    with dask_client(scheduler=None, workers=1, quiet=False) as client:
        workers = client.scheduler_info()["workers"]
        assert len(workers) == 1 and all(w.startswith("tcp://127.0.0.1:") for w in workers)
        assert client.submit(sum, [2, 3]).result() == 5
    assert client.status == "closed"
    assert re.search(r"using the local cluster at tcp://127\.0\.0\.1:\d+ \(1 workers\)",
                     capsys.readouterr().err)


def test_unreachable_scheduler_exits_2_quickly_naming_the_address(runner, data, monkeypatch):
    from advval.distributed import _cluster

    address = f"tcp://127.0.0.1:{_free_port()}"
    probes: list[tuple[str, float]] = []
    real_probe = _cluster._probe

    def probe(where: str, timeout: float) -> None:
        probes.append((where, timeout))
        real_probe(where, timeout)

    monkeypatch.setattr(_cluster, "_probe", probe)
    result = _run(
        runner,
        "drift",
        data["train"],
        data["test"],
        "--scheduler",
        address,
        "--scheduler-timeout",
        "0.5",
        *FAST,
    )
    assert result.exit_code == ExitCode.USAGE
    assert f"--scheduler: Cannot reach the Dask scheduler at '{address}' within 0.5 s" in (
        " ".join(result.stderr.split())
    )
    # quickly: the scheduler was asked once, with --scheduler-timeout (not the 10 s default)
    assert probes == [(address, 0.5)]


def test_unreachable_scheduler_in_a_real_process_does_not_hang(data, tmp_path):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "advval", "drift", str(data["train"]), str(data["test"]),
             "--scheduler", address, "--scheduler-timeout", "1", "--quiet"],
            capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env,
        )
    assert done.returncode == ExitCode.USAGE
    assert f"Cannot reach the Dask scheduler at '{address}' within 1 s" in done.stderr


def test_a_cluster_run_prints_no_lightgbm_network_lines(data, tmp_path):
    """LightGBM's network setup ("Trying to bind port", "Listening...") stays quiet."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "advval", "drift", str(data["train_parquet"]),
         str(data["test_parquet"]), "--workers", "2", "--n-splits", "3", "--format", "json",
         "--output", str(tmp_path / "report.json"), "--quiet", "--seed", "3"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env,
    )
    assert done.returncode == ExitCode.OK, done.stderr
    assert json.loads((tmp_path / "report.json").read_text())["auc"] > 0.6
    assert "[LightGBM]" not in done.stdout + done.stderr


def test_pattern_matching_no_file_exits_2_naming_it(runner, data):
    result = _run(runner, "drift", "nothing/*.parquet", data["test"], *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert "cannot read TRAIN files 'nothing/*.parquet': The pattern 'nothing/*.parquet' " \
        "matches no file." in " ".join(result.stderr.split())


def test_schema_mismatch_exits_2_naming_file_and_column(runner, data, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    good = pd.read_parquet(data["test"])
    good.to_parquet(folder / "part-0.parquet")
    good.assign(b=good["b"].astype(str)).to_parquet(folder / "part-1.parquet")
    result = _run(runner, "drift", data["train"], folder, *FAST)
    assert result.exit_code == ExitCode.USAGE
    message = " ".join(result.stderr.split())
    assert f"cannot read TEST files '{folder}'" in message
    assert "part-1.parquet has column 'b' as string but" in message
    assert "part-0.parquet has it as double" in message


def test_per_row_exports_are_refused_on_distributed_inputs(runner, data):
    result = _run(runner, "drift", data["train_parquet"], data["test_parquet"],
                  "--export-weights", "w.csv", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert "--export-weights writes one line per row and is not available on distributed " \
        "inputs" in " ".join(result.stderr.split())
    result = _run(runner, "drift", data["train_parquet"], data["test_parquet"],
                  "--export-segments", "s.csv", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert "--export-segments writes one line per row" in " ".join(result.stderr.split())
    result = _run(runner, "drift", data["train_parquet"], "--workers", 2, *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert "missing TEST; --scheduler and --workers need TRAIN and TEST" in result.stderr


def test_without_dask_exits_3_with_the_fix(runner, data, monkeypatch):
    real = _compat.has_module
    monkeypatch.setattr(_compat, "has_module", lambda name: name != "dask" and real(name))
    result = _run(runner, "drift", data["train_parquet"], data["test_parquet"], *FAST)
    assert result.exit_code == ExitCode.MISSING_DEPENDENCY
    assert 'pip install "advval[dask]"' in result.stderr
    assert str(data["train_parquet"]) in result.stderr


def test_bad_cluster_options_exit_2(runner, data):
    result = _run(runner, "drift", data["train"], data["test"], "--workers", 0, *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert "Invalid value for '--workers'" in result.stderr
    result = _run(runner, "drift", data["train"], data["test"], "--scheduler", "nonsense://x:1",
                  *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert "--scheduler: The 'scheduler' parameter of connect must be a Dask scheduler " \
        "address" in " ".join(result.stderr.split())


def test_help_lists_the_cluster_options(runner):
    result = _run(runner, "drift", "--help")
    for text in ("--scheduler", "--workers", "--scheduler-timeout", "'train/*.parquet'"):
        assert text in result.output


# --------------------------------------------------------------------------- advval deps


@pytest.fixture(scope="module")
def deps_data(tmp_path_factory) -> dict[str, Path]:
    """One file and the same rows as 3 Parquet parts: 'b' is 'a' doubled plus noise, 'y'
    leaks through 'a' (y = a > 0)."""
    root = tmp_path_factory.mktemp("deps")
    rng = np.random.default_rng(1)
    n = 600
    a = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "a": a,
            "b": 2.0 * a + rng.normal(scale=0.05, size=n),
            "c": rng.choice(["x", "y", "z"], n),
            "e": rng.normal(size=n),
            "y": (a > 0).astype(float),
        }
    )
    frame.to_parquet(root / "data.parquet")
    (root / "parts").mkdir()
    for i in range(3):
        frame.iloc[i * 200 : (i + 1) * 200].to_parquet(root / "parts" / f"part-{i}.parquet")
    return {"file": root / "data.parquet", "parts": root / "parts"}


def test_deps_on_a_glob_equals_the_single_file_run(runner, deps_data, cluster):
    args = ["--target", "y", "--format", "json", *FAST]
    single = _run(runner, "deps", deps_data["file"], *args)
    assert single.exit_code == ExitCode.OK, single.output
    many = _run(runner, "deps", f"{deps_data['parts']}/*.parquet", "--scheduler",
                cluster.scheduler_address, *args)
    assert many.exit_code == ExitCode.OK, many.output
    one, dist = json.loads(single.stdout), json.loads(many.stdout)
    # below the checker's 50k-row sample every row is used: the same report
    assert dist == one
    assert one["n_rows"] == 600
    assert "a" in str(one["leaking"]) and "b" in str(one["redundant"])


def test_deps_compare_is_refused_on_distributed_inputs(runner, deps_data):
    result = _run(runner, "deps", deps_data["parts"], "--compare", deps_data["file"], *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert "--compare is not available on distributed inputs" in result.stderr


def test_deps_schema_and_scheduler_errors_exit_2(runner, deps_data, tmp_path):
    result = _run(runner, "deps", "no/such/*.parquet", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert "cannot read DATA files 'no/such/*.parquet': The pattern" in result.stderr
    address = f"tcp://127.0.0.1:{_free_port()}"
    result = _run(runner, "deps", deps_data["file"], "--scheduler", address,
                  "--scheduler-timeout", "0.5", *FAST)
    assert result.exit_code == ExitCode.USAGE
    assert f"Cannot reach the Dask scheduler at '{address}'" in result.stderr


def test_deps_without_dask_exits_3_with_the_fix(runner, deps_data, monkeypatch):
    real = _compat.has_module
    monkeypatch.setattr(_compat, "has_module", lambda name: name != "distributed" and real(name))
    result = _run(runner, "deps", deps_data["parts"], *FAST)
    assert result.exit_code == ExitCode.MISSING_DEPENDENCY
    assert "needs the optional package 'distributed'" in result.stderr
    assert 'pip install "advval[dask]"' in result.stderr


def test_which_inputs_go_through_dask(tmp_path):
    literal = tmp_path / "train[1].csv"
    literal.write_text("a\n1\n")
    assert not is_distributed(literal, tmp_path / "test.csv")
    assert is_distributed(tmp_path / "train[12].csv", literal)
    assert is_distributed(literal, tmp_path)
    assert is_distributed(literal, literal, scheduler="tcp://127.0.0.1:8786")
