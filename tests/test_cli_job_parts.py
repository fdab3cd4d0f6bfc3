"""The parts the commands' job objects share (advval.cli._jobs), declared once."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar

import click
import pytest

from advval.cli._attack import AttackJob
from advval.cli._ci import CiOptions
from advval.cli._deps import DepsJob
from advval.cli._drift import DriftJob
from advval.cli._exit import UsageFailure
from advval.cli._image import ImageJob
from advval.cli._jobs import ClusterOptions, ColumnKindOptions, CommandJob
from advval.cli._outputs import Target

#: job -> (its report's kind, the shared parts it is made of)
JOBS = {
    DriftJob: ("drift", (CommandJob, ColumnKindOptions, ClusterOptions)),
    DepsJob: ("deps", (CommandJob, ColumnKindOptions, ClusterOptions)),
    AttackJob: ("robustness", (CommandJob,)),
    ImageJob: ("image", (CommandJob,)),
}


def _names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize("job", list(JOBS), ids=lambda job: job.__name__)
def test_a_job_takes_its_shared_options_from_one_place(job):
    kind, parts = JOBS[job]
    assert job.report == kind
    for part in parts:
        assert issubclass(job, part)
        assert _names(part) <= _names(job)
        # nothing of a shared part is written again in the job: no field, no property
        assert not _names(part) & set(job.__annotations__)
        shared = {name for name in vars(part) if not name.startswith("__")}
        assert not (shared - {"report", "inputs", "files"}) & set(vars(job))
    # 'report' is a class constant, not an option
    assert "report" not in _names(job)


@dataclasses.dataclass(frozen=True)
class _Job(CommandJob):
    """A command with one input file and one file of its own."""

    report: ClassVar[str] = "deps"

    data: Path

    @property
    def inputs(self) -> dict[str, Path | None]:
        return {"DATA": self.data}

    def files(self) -> list[Target]:
        return [Target("--extra", self.data.with_suffix(".out"), "extra file")]


def _job(tmp_path: Path, **changes) -> _Job:
    options = {
        "fmt": None, "output": None, "html_path": None, "json_path": None,
        "markdown_path": None, "seed": 0, "quiet": True, "ci": CiOptions("none", None),
        "data": tmp_path / "data.csv",
    }
    return _Job(**{**options, **changes})


def test_the_plan_lists_the_reports_then_the_commands_files_then_the_ci_outputs(tmp_path):
    plan = _job(
        tmp_path, json_path=tmp_path / "r.json", ci=CiOptions("none", tmp_path / "j.xml")
    ).plan()
    assert [(t.option, t.path) for t in plan.targets] == [
        ("--json", tmp_path / "r.json"),
        ("--extra", tmp_path / "data.out"),
        ("--junit", tmp_path / "j.xml"),
    ]
    assert plan.inputs == {"DATA": tmp_path / "data.csv"}
    # without a report option: the HTML report under the command's default name
    default = _job(tmp_path).plan().targets[0]
    assert (default.option, default.path) == ("--output", Path("advval_deps_report.html"))


def test_the_plan_refuses_an_output_over_an_input(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n")
    with pytest.raises(UsageFailure, match="--markdown .* is the DATA file"):
        _job(tmp_path, markdown_path=data).plan()


def test_a_job_must_name_its_inputs(tmp_path):
    @dataclasses.dataclass(frozen=True)
    class NoInputs(CommandJob):
        report: ClassVar[str] = "drift"

    job = NoInputs(None, None, None, None, None, 0, True, CiOptions("none", None))
    with pytest.raises(NotImplementedError):
        job.plan()


def test_the_kind_options_give_the_column_kinds():
    kinds = ColumnKindOptions(("zip", "city"), ("day",), ("notes",))
    assert kinds.kinds == {
        "zip": "categorical", "city": "categorical", "day": "datetime", "notes": "text"
    }
    assert kinds.kinds_named == [
        ("--categorical", "zip"), ("--categorical", "city"), ("--parse-dates", "day"),
        ("--text-col", "notes"),
    ]
    assert ColumnKindOptions((), (), ()).kinds is None
    with pytest.raises(click.UsageError, match="both --categorical and --text-col"):
        _ = ColumnKindOptions(("zip",), (), ("zip",)).kinds


@pytest.mark.parametrize(
    ("paths", "scheduler", "workers", "expected"),
    [
        ((Path("train.csv"), Path("test.csv")), None, None, False),
        ((Path("train/*.parquet"), Path("test.csv")), None, None, True),
        ((Path("train.csv"), None), None, 2, True),
        ((Path("train.csv"),), "tcp://127.0.0.1:8786", None, True),
    ],
)
def test_the_cluster_options_say_when_a_run_goes_through_dask(
    paths, scheduler, workers, expected
):
    assert ClusterOptions(scheduler, workers, 10.0).distributed(*paths) is expected
