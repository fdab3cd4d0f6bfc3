"""Each command's options are one frozen job object, built from click's arguments."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from advval.cli import cli

#: command path -> (module, job class)
JOBS = {
    ("drift",): ("advval.cli._drift", "DriftJob"),
    ("deps",): ("advval.cli._deps", "DepsJob"),
    ("attack",): ("advval.cli._attack", "AttackJob"),
    ("image", "evaluate"): ("advval.cli._image", "ImageJob"),
}


def _job(monkeypatch, args: list[str]):
    """The job object the command line ``args`` builds (the run itself is not done)."""
    path = tuple(a for a in args[:2] if not a.startswith("-") and "/" not in a)
    path = path if path in JOBS else path[:1]
    module, _ = JOBS[path]
    seen: list = []
    monkeypatch.setattr(importlib.import_module(module), "run", seen.append)
    result = CliRunner().invoke(cli, ["--no-config", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (job,) = seen
    return job


def test_a_drift_job_holds_what_the_command_line_said(tmp_path: Path, monkeypatch):
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    for file in (train, test):
        file.write_text("a,b\n1,2\n")
    job = _job(monkeypatch, [
        "drift", str(train), str(test), "--seed", "7", "--alpha", "0.01", "--categorical", "b",
        "--sep", ";", "--export-weights", str(tmp_path / "w.csv"),
        "--json", str(tmp_path / "r.json"),
    ])
    assert type(job).__name__ == "DriftJob"
    assert (job.train, job.test, job.seed, job.alpha) == (train, test, 7, 0.01)
    assert job.csv.sep == ";"
    assert job.kinds == {"b": "categorical"}
    assert job.kinds_named == [("--categorical", "b")]
    assert job.exports == {
        "--export-test-likeness": None,
        "--export-weights": tmp_path / "w.csv",
        "--export-segments": None,
    }
    planned = {target.option: target.path for target in job.plan().targets}
    assert planned["--json"] == tmp_path / "r.json"
    assert planned["--export-weights"] == tmp_path / "w.csv"
    with pytest.raises(dataclasses.FrozenInstanceError):
        job.seed = 8


def test_a_deps_job_plans_its_outputs(tmp_path: Path, monkeypatch):
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    job = _job(monkeypatch, ["deps", str(data), "--target", "a", "--fail-on", "leak",
                             "--markdown", str(tmp_path / "r.md")])
    assert type(job).__name__ == "DepsJob"
    assert (job.data, job.target, job.fail_on, job.compare) == (data, "a", ("leak",), None)
    assert job.kinds is None
    assert [t.path for t in job.plan().targets if t.option == "--markdown"] == [
        tmp_path / "r.md"
    ]


def test_an_attack_job_plans_its_outputs(tmp_path: Path, monkeypatch):
    model, data = tmp_path / "model.txt", tmp_path / "data.csv"
    model.write_text("tree\n")
    data.write_text("a,y\n1,0\n")
    job = _job(monkeypatch, ["attack", str(model), str(data), "--target", "y", "--eps", "0.2",
                             "--attack", "square", "--format", "json", "-o", str(tmp_path / "r")])
    assert type(job).__name__ == "AttackJob"
    assert (job.model, job.data, job.eps, job.attack_names) == (model, data, 0.2, ("square",))
    assert [(t.option, t.path) for t in job.plan().targets if t.path is not None] == [
        ("--output", tmp_path / "r")
    ]
    assert job.plan().inputs == {"MODEL": model, "DATA": data, "--constraints": None}


def test_an_image_job_plans_its_pictures(tmp_path: Path, monkeypatch):
    model, data = tmp_path / "model.pt", tmp_path / "data.npz"
    model.write_bytes(b"x")
    data.write_bytes(b"x")
    job = _job(monkeypatch, ["image", "evaluate", str(model), str(data), "--eps", "0.1",
                             "--eps", "0.3", "--png-dir", str(tmp_path / "pics")])
    assert type(job).__name__ == "ImageJob"
    assert (job.model, job.data, job.eps) == (model, data, (0.1, 0.3))
    pictures = [t.path for t in job.plan().targets if t.option == "--png-dir"]
    assert pictures and all(p.parent == tmp_path / "pics" for p in pictures)


@pytest.mark.parametrize("path", sorted(JOBS), ids=" ".join)
def test_every_job_is_a_frozen_dataclass(path):
    module, name = JOBS[path]
    job = getattr(importlib.import_module(module), name)
    assert dataclasses.is_dataclass(job) and job.__dataclass_params__.frozen
