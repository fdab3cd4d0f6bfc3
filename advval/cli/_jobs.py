"""The parts the commands' job objects share: one frozen dataclass per group of options.

Each command's options are one frozen job (``DriftJob``, ``DepsJob``, ``AttackJob``,
``ImageJob``) built from click's arguments. A group of options that several commands take
through one decorator of :mod:`advval.cli._options` is one base class here, with its
fields and what is derived from them, so that each job lists only its own options:

- :class:`CommandJob`: ``output_options``, ``seed_option``, ``quiet_option`` and
  ``ci_options`` (every command); :meth:`CommandJob.plan` lists every file the run writes
  from the command's :attr:`~CommandJob.inputs` and its own :meth:`~CommandJob.files`.
- :class:`ColumnKindOptions`: ``kind_options`` (``--categorical``, ``--parse-dates``,
  ``--text-col``).
- :class:`ClusterOptions`: ``cluster_options`` (``--scheduler``, ``--workers``,
  ``--scheduler-timeout``).
"""

from __future__ import annotations

import dataclasses
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar

from ._ci import CiOptions
from ._io import dask_client, is_distributed
from ._options import column_kinds, kind_columns
from ._outputs import OutputPlan, Target, report_targets


@dataclasses.dataclass(frozen=True)
class CommandJob:
    """The options every command takes: where the report goes, ``--seed``, ``--quiet``, CI.

    A command's job adds its own options as fields, names its report (:attr:`report`),
    its input files (:attr:`inputs`) and the files it writes besides the report
    (:meth:`files`).
    """

    fmt: str | None
    output: Path | None
    html_path: Path | None
    json_path: Path | None
    markdown_path: Path | None
    seed: int
    quiet: bool
    ci: CiOptions

    #: the report's kind (``drift``, ``deps``, ``robustness``, ``image``), which names the
    #: default HTML file (:func:`advval.cli._outputs.default_output`)
    report: ClassVar[str]

    @property
    def inputs(self) -> dict[str, Path | None]:
        """The input files, by the argument or option that names them (no output may be one)."""
        raise NotImplementedError

    def files(self) -> list[Target]:
        """The files the command writes besides the report and the CI outputs (none here)."""
        return []

    def plan(self) -> OutputPlan:
        """Every file the run writes: the reports, the command's own files, the CI outputs."""
        return OutputPlan(
            [
                *report_targets(
                    self.report, fmt=self.fmt, output=self.output, html_path=self.html_path,
                    json_path=self.json_path, markdown_path=self.markdown_path,
                ),
                *self.files(),
                *self.ci.targets(),
            ],
            inputs=self.inputs,
        )


@dataclasses.dataclass(frozen=True)
class ColumnKindOptions:
    """``--categorical``, ``--parse-dates`` and ``--text-col``: what a column is read as."""

    categorical_cols: tuple[str, ...]
    date_cols: tuple[str, ...]
    text_cols: tuple[str, ...]

    @property
    def kinds(self) -> dict[str, str] | None:
        """The estimator's ``column_kinds`` from ``--categorical``, ``--parse-dates``..."""
        return column_kinds(self.categorical_cols, self.date_cols, self.text_cols)

    @property
    def kept_text(self) -> tuple[str, ...]:
        """Columns read as text whatever they hold (``--categorical``, ``--text-col``)."""
        return self.categorical_cols + self.text_cols

    @property
    def kinds_named(self) -> list[tuple[str, str]]:
        """``(option, column)`` of every column the kind options name."""
        return kind_columns(self.categorical_cols, self.date_cols, self.text_cols)


@dataclasses.dataclass(frozen=True)
class ClusterOptions:
    """``--scheduler``, ``--workers`` and ``--scheduler-timeout``: the Dask cluster, if any."""

    scheduler: str | None
    workers: int | None
    scheduler_timeout: float

    def distributed(self, *paths: Path | None) -> bool:
        """Whether the run goes through Dask (a glob pattern, a directory, a cluster option)."""
        return is_distributed(*paths, scheduler=self.scheduler, workers=self.workers)

    def client(self, *, quiet: bool) -> AbstractContextManager[Any]:
        """The Dask client of these options (:func:`advval.cli._io.dask_client`)."""
        return dask_client(
            scheduler=self.scheduler,
            workers=self.workers,
            timeout=self.scheduler_timeout,
            quiet=quiet,
        )
