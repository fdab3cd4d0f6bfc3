"""Config files: advval.toml / [tool.advval.<command>] defaults, flags override, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval.cli import ExitCode, cli
from advval.cli._config import ConfigFile, default_map, find_config, read_config

#: one thread: the test machines share few cores
FAST = ["--n-jobs", "1"]


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return CliRunner()


@pytest.fixture
def csvs(tmp_path) -> tuple[Path, Path]:
    """train.csv and test.csv: column 'a' shifted by 1.5 sd in TEST, 'b' and 'id' alike."""
    rng = np.random.default_rng(0)
    paths = (tmp_path / "train.csv", tmp_path / "test.csv")
    for path, shift in zip(paths, (0.0, 1.5), strict=True):
        pd.DataFrame({"a": rng.normal(shift, 1.0, 200), "b": rng.normal(0.0, 1.0, 200),
                      "id": np.arange(200)}).to_csv(path, index=False)
    return paths


def _run(runner: CliRunner, *args: object):
    return runner.invoke(cli, [str(a) for a in args])


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


DRIFT_TABLE = """
fail-on-drift = true
max-rows = 100
ignore = ["id"]
format = "json"
"""


def test_file_values_are_defaults_and_flags_override(runner, csvs, tmp_path):
    _write(tmp_path / "advval.toml", "[drift]" + DRIFT_TABLE)
    result = _run(runner, "drift", *csvs, *FAST)
    assert result.exit_code == ExitCode.DRIFT, result.output  # fail-on-drift from the file
    report = json.loads(result.stdout)  # format = "json": the report on stdout
    assert report["row_budget"] == 100
    assert [f["name"] for f in report["features"]] != [] and "id" not in {
        f["name"] for f in report["features"]}
    assert f"options from [drift] in config file '{tmp_path / 'advval.toml'}'" in (
        result.stderr)
    # flags win: another budget, the id column back (--ignore b replaces the file's list)
    result = _run(runner, "drift", *csvs, "--max-rows", "150", "--ignore", "b", *FAST)
    report = json.loads(result.stdout)
    assert report["row_budget"] == 150
    assert {f["name"] for f in report["features"]} == {"a", "id"}
    # --quiet: no word about the config file
    result = _run(runner, "drift", *csvs, "--quiet", *FAST)
    assert "config file" not in result.stderr


def test_pyproject_table_found_up_to_the_repository_root(runner, csvs, tmp_path,
                                                         monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _write(repo / "pyproject.toml", "[project]\nname = 'x'\n\n[tool.advval.drift]"
           + DRIFT_TABLE)
    (repo / "sub" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(repo / "sub" / "deeper")
    result = _run(runner, "drift", *csvs, *FAST)
    assert result.exit_code == ExitCode.DRIFT, result.output
    assert json.loads(result.stdout)["row_budget"] == 100
    assert "[tool.advval.drift] in config file" in result.stderr
    # a pyproject.toml without [tool.advval] nearer is skipped; an advval.toml is taken
    _write(repo / "sub" / "pyproject.toml", "[project]\nname = 'y'\n")
    assert find_config(repo / "sub" / "deeper").path == repo / "pyproject.toml"
    _write(repo / "sub" / "advval.toml", "[deps]\nseed = 3\n")
    assert find_config(repo / "sub" / "deeper").path == repo / "sub" / "advval.toml"


def test_no_search_above_the_repository_root_or_the_current_folder(tmp_path):
    _write(tmp_path / "advval.toml", "[drift]\nseed = 1\n")
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert find_config(tmp_path / "repo") is None
    (tmp_path / "plain").mkdir()  # outside a repository: the current folder only
    assert find_config(tmp_path / "plain") is None
    assert find_config(tmp_path).path == tmp_path / "advval.toml"


def test_config_option_names_a_file(runner, csvs, tmp_path):
    path = _write(tmp_path / "ci" / "drift-settings.toml", "[drift]" + DRIFT_TABLE)
    _write(tmp_path / "advval.toml", "[drift]\nmax-rows = 120\n")  # not read: --config wins
    result = _run(runner, "--config", path, "drift", *csvs, *FAST)
    assert result.exit_code == ExitCode.DRIFT, result.output
    assert json.loads(result.stdout)["row_budget"] == 100
    result = _run(runner, "--config", tmp_path / "missing.toml", "drift", *csvs)
    assert result.exit_code == ExitCode.USAGE
    assert "--config" in result.stderr and "missing.toml" in result.stderr
    assert "does not exist" in result.stderr


def test_no_config_reads_no_file(runner, csvs, tmp_path):
    _write(tmp_path / "advval.toml", "[drift]" + DRIFT_TABLE)
    result = _run(runner, "--no-config", "drift", *csvs, "--format", "json",
                  "--max-rows", "120", *FAST)
    assert result.exit_code == 0, result.output  # no fail-on-drift from the file
    report = json.loads(result.stdout)
    assert report["drift"] is True and "id" in {f["name"] for f in report["features"]}
    assert "config file" not in result.stderr
    both = _run(runner, "--no-config", "--config", tmp_path / "advval.toml", "drift", *csvs)
    assert both.exit_code == ExitCode.USAGE
    assert "--config FILE or --no-config, not both" in both.stderr


def test_a_file_without_the_commands_table_says_so(runner, csvs, tmp_path):
    _write(tmp_path / "advval.toml", "[deps]\nseed = 3\n")
    result = _run(runner, "drift", *csvs, "--format", "json", "--max-rows", "100", *FAST)
    assert result.exit_code == 0, result.output
    assert "has no [drift] table; no option taken from it" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[drift]\nmin_effekt = 0.1\n",
         "[drift]: unknown key 'min_effekt': advval drift has no option --min-effekt "
         "(did you mean 'min-effect'?)"),
        ("[drift]\nmin-effect = 'big'\n", "key 'min-effect': 'big' is not a valid float"),
        ("[drift]\nmin-effect = 0.9\n", "key 'min-effect': 0.9 is not in the range"),
        ("[drift]\nseed = 1.5\n", "key 'seed': '1.5' is not a valid integer"),
        ("[drift]\nmax-rows = 2.5\n", "key 'max-rows': '2.5' is not 'auto', 'all' or a whole"),
        ("[drift]\nfail-on-drift = 'yes'\n",
         "key 'fail-on-drift' is a flag: give true or false, not a string ('yes')"),
        ("[drift]\nignore = [{a = 1}]\n", "key 'ignore': expected a string, not a table"),
        ("[drift]\nalpha = [0.1]\n", "key 'alpha': expected a float range, not an array"),
        ("[drfit]\nseed = 1\n", "[drfit] names no command of advval (did you mean 'drift'?)"),
        ("drift = 3\n", "[drift] must be a table of options, not a number (3)"),
        ("[drift\n", "is not valid TOML"),
        ("[drift]\ntrain = 'x.csv'\n", "unknown key 'train'"),
    ],
)
def test_bad_files_are_usage_errors_naming_key_table_and_file(runner, csvs, tmp_path, text,
                                                              message):
    path = _write(tmp_path / "advval.toml", text)
    result = _run(runner, "drift", *csvs)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert message in result.stderr
    assert f"config file '{path}'" in result.stderr


def test_pyproject_errors_name_the_tool_table(runner, csvs, tmp_path):
    _write(tmp_path / "pyproject.toml", "[tool.advval.drift]\nseeds = 1\n")
    result = _run(runner, "drift", *csvs)
    assert result.exit_code == ExitCode.USAGE
    assert "[tool.advval.drift]: unknown key 'seeds'" in result.stderr


def _defaults(text: str, command: str) -> dict:
    path = Path("advval.toml")
    path.write_text(text, encoding="utf-8")
    ctx = click.Context(cli, info_name="advval")
    return default_map(read_config(path), cli, ctx, command)


def test_option_kinds_map_to_parameter_names(runner):
    assert _defaults(
        "[deps]\nfail-on = ['leak', 'shift']\nid = 'row'\nmax-rows = 'all'\n", "deps"
    ) == {"deps": {"fail_on": ["leak", "shift"], "ids": ["row"], "max_rows": "all"}}
    assert _defaults("[drift]\nno-remedy = true\nhtml = 'r.html'\n", "drift") == {
        "drift": {"remedy": False, "html_path": "r.html"}}
    assert _defaults("[attack]\ncurve = [0.1, 0.5]\nnorm = '2'\n", "attack") == {
        "attack": {"curve": "0.1,0.5", "norm": "2"}}
    # numbers reach click as the text written, as on the command line
    assert _defaults("[image.evaluate]\nmax-images = 5\nbounds = [0, 255]\n", "image") == {
        "image": {"evaluate": {"max_images": "5", "bounds": ["0", "255"]}}}
    # another command's table is not checked now, only the invoked one's
    assert _defaults("[drift]\nseed = 1\n[deps]\nnonsense = 1\n", "drift") == {
        "drift": {"seed": "1"}}


def test_nested_and_choice_errors(runner):
    from advval.cli._exit import UsageFailure

    with pytest.raises(UsageFailure, match=r"\[image.evalute\] names no command of advval "
                                           r"image; the commands are evaluate"):
        _defaults("[image.evalute]\nseed = 1\n", "image")
    with pytest.raises(UsageFailure, match="'ci': 'gitlab' is not one of"):
        _defaults("[drift]\nci = 'gitlab'\n", "drift")
    with pytest.raises(UsageFailure, match="bounds' takes a list of 2 values"):
        _defaults("[image.evaluate]\nbounds = [0]\n", "image")


def test_image_table_reaches_the_subcommand(runner, tmp_path):
    _write(tmp_path / "advval.toml", "[image.evaluate]\nmax-images = 7\n")
    result = _run(runner, "image", "evaluate", "--help")
    assert result.exit_code == 0, result.output
    assert "[default: 7;" in result.output  # click shows the file's value as the default


def test_read_config_of_a_pyproject_without_the_table(tmp_path):
    path = _write(tmp_path / "pyproject.toml", "[tool.ruff]\nline-length = 99\n")
    assert read_config(path) == ConfigFile(path, {}, "tool.advval.")
    assert read_config(path).label("image", "evaluate") == "[tool.advval.image.evaluate]"
