"""The hostile corpus: each case is one input (or option, or file name) through one surface.

Cases are *declared* cheaply at collection time (pytest parametrises over them) and
*written* at test time by :func:`materialize`, under a temporary root folder:
``shared/`` holds the clean files and valid models that many cases read, ``cases/<id>/``
is each case's working directory (its hostile files, and where its outputs land), and
``markers/`` is where a crafted model file's payload would leave its mark. Every path in a
case is relative (to the root, or for the command line to the case's folder), so the root
can be chosen when the tests run. Nothing big is committed: it is all generated, seeded.

A :class:`Case` states what must happen: the documented exit code (or, for the Python API,
``"ok"`` or the documented exception), a pattern the message must match (the option, column
or file it names), the inputs that must stay byte-identical, the outputs that must be
complete or absent, and the marker that must not appear.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import hostile, models

#: the CLI surfaces, the Python API, and the crafted model files (all three)
SURFACES = ("drift", "deps", "attack", "image", "api", "markers")
#: the command line of each CLI surface
COMMANDS = {"drift": ("drift",), "deps": ("deps",), "attack": ("attack",),
            "image": ("image", "evaluate")}
#: seconds a case may run before it counts as a hang (the data is tiny: real runs take ~1 s)
TIMEOUT = 30.0
#: from a case's folder to the shared folder
UP = "../../shared/"

#: a file's content: text, bytes, or a function of the layout (for what needs models or
#: the absolute marker path), called when the corpus is written
Content = str | bytes | Callable[["Layout"], str | bytes]


@dataclass(frozen=True)
class Case:
    """One hostile input through one surface, and what must happen.

    Attributes
    ----------
    id : str
        Unique; also the name of the case's working directory.
    surface : str
        ``drift``, ``deps``, ``attack``, ``image`` (a CLI command) or ``api``.
    expect : int, tuple of int, or str
        CLI: the documented exit code (a tuple only where either is documented behaviour,
        with ``why`` saying so). API: ``"ok"`` or the name of the exception class expected.
    why : str
        Why that is the documented outcome (shown when the case fails).
    argv : tuple of str
        CLI arguments after ``advval``; relative paths resolve in the case's folder.
    names : str or None
        Regular expression the error message must match (the option, column or file).
    files : dict
        The case folder's files: name -> content.
    links : dict
        Links made in the case folder: name -> (target name, ``"soft"`` or ``"hard"``).
    shared : tuple of str
        Names of the shared files the case reads (built before it runs, and checked to
        stay byte-identical like the case folder's files).
    outputs : tuple of str
        Files a successful run must leave complete (non-empty); absent after a failure.
    marker : bool
        The case has a marker (``markers/<id>``): crafted content creates it if its code
        runs. ``marker_expected`` says the payload is *meant* to run (``--trust-model``):
        the control that proves the check sees execution.
    stdout_json : bool
        On success, stdout must be exactly one JSON document.
    checks : tuple of str
        Extra checks by name (see ``harness.EXTRA_CHECKS``).
    hide : tuple of str
        Modules made unimportable for this case (the missing-extra exit code 3).
    api, args : str, dict
        API cases: the function of ``api_cases`` and its keyword arguments.
    """

    id: str
    surface: str
    expect: int | tuple[int, ...] | str | tuple[str, ...]
    why: str
    argv: tuple[str, ...] = ()
    names: str | None = None
    files: dict[str, Content] = field(default_factory=dict)
    links: dict[str, tuple[str, str]] = field(default_factory=dict)
    shared: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    marker: bool = False
    marker_expected: bool = False
    stdout_json: bool = False
    checks: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    api: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    timeout: float = TIMEOUT

    @property
    def folder(self) -> str:
        """The case's working directory, relative to the corpus root."""
        return f"cases/{self.id}"

    @property
    def marker_path(self) -> str:
        return f"markers/{self.id}"

    def spec(self, root: Path) -> dict[str, Any]:
        """What the worker process needs to run the case (JSON-serialisable)."""
        return {"id": self.id, "argv": list(self.argv), "cwd": str(root / self.folder),
                "hide": list(self.hide), "api": self.api, "args": self.args}


def shared(name: str) -> str:
    """A shared file as a command line argument (relative to the case folder)."""
    return UP + name


def _shared_names(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(v[len(UP):] for v in values if isinstance(v, str) and v.startswith(UP))


def lazy(make: Callable[[], str | bytes]) -> Content:
    """Content computed when the corpus is written, not when the cases are declared."""
    return lambda layout: make()


def frame_files(make: Callable[[], hostile.Pair], names: tuple[str, str] = (
        "train.csv", "test.csv")) -> dict[str, Content]:
    """The two frames of a recipe as CSV files (written lazily)."""
    return {names[0]: lazy(lambda: make()[0].to_csv(index=False)),
            names[1]: lazy(lambda: make()[1].to_csv(index=False))}


def cli_case(case_id: str, surface: str, argv: Iterable[str], *,
             expect: int | tuple[int, ...], why: str, **fields: Any) -> Case:
    """A CLI case; the shared files named in ``argv`` (see :func:`shared`) are its inputs."""
    argv = tuple(argv)
    fields["shared"] = tuple(fields.get("shared", ())) + _shared_names(argv)
    return Case(id=case_id, surface=surface, expect=expect, why=why,
                argv=(*COMMANDS[surface], *argv), **fields)


def api_case(case_id: str, api: str, args: dict[str, Any], *, expect: str | tuple[str, ...],
             why: str,
             **fields: Any) -> Case:
    """A Python API case: ``api_cases.CASES[api](**args)`` in the case's folder."""
    fields["shared"] = tuple(fields.get("shared", ())) + _shared_names(args.values())
    return Case(id=case_id, surface="api", expect=expect, why=why, api=api, args=args,
                **fields)


# ------------------------------------------------------------------------------- writing


def _save_torch(save: Callable[[Any, Any, Path], Path], make: Callable[[], Any],
                example: Callable[[], Any]) -> Callable[[Path], None]:
    return lambda path: None if save(make(), example(), path) else None


def _text(make: Callable[[], str | bytes]) -> Callable[[Path], None]:
    return lambda path: None if hostile.write(path, make()) else None


#: shared files: name -> writer of that file
SHARED: dict[str, Callable[[Path], None]] = {
    "train.csv": _text(lambda: hostile.base_pair()[0].to_csv(index=False)),
    "test.csv": _text(lambda: hostile.base_pair()[1].to_csv(index=False)),
    "data.csv": _text(lambda: models.attack_frame().to_csv(index=False)),
    "images.npz": _text(hostile.NPZ_BYTES["valid"]),
    "model.txt": _text(models.lightgbm_text),
    "multiclass.txt": _text(lambda: models.lightgbm_text(objective="multiclass")),
    "mlp.pt": _save_torch(models.save_torchscript, models.mlp, models.mlp_example),
    "mlp.pt2": _save_torch(models.save_export, models.mlp, models.mlp_example),
    "cnn.pt": _save_torch(models.save_torchscript, models.cnn, models.cnn_example),
    "cnn.pt2": _save_torch(models.save_export, models.cnn, models.cnn_example),
    "nan_mlp.pt": _save_torch(models.save_torchscript, lambda: models.nan_scores(2),
                              models.mlp_example),
    "nan_cnn.pt": _save_torch(models.save_torchscript,
                              lambda: models.nan_scores(models.N_CLASSES), models.cnn_example),
    "one_score.pt": _save_torch(models.save_torchscript, models.one_score,
                                models.cnn_example),
}


class Layout:
    """The corpus root: shared files (built on first use), case folders, markers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in ("shared", "markers", "cases"):
            (root / folder).mkdir(parents=True, exist_ok=True)

    def shared(self, name: str) -> Path:
        """The shared file ``name``, written first if it is not there yet."""
        path = self.root / "shared" / name
        if not path.exists():
            SHARED[name](path)
        return path

    def shared_bytes(self, name: str) -> bytes:
        return self.shared(name).read_bytes()

    def marker(self, case_id: str) -> Path:
        """The absolute marker path of a case (what its crafted content creates)."""
        return self.root / "markers" / case_id


def materialize(cases: Iterable[Case], root: Path) -> Layout:
    """Write the shared files, folders, files and links of ``cases`` under ``root``."""
    layout = Layout(root)
    for case in cases:
        for name in case.shared:
            layout.shared(name)
        folder = root / case.folder
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in case.files.items():
            hostile.write(folder / name, content(layout) if callable(content) else content)
        for name, (target, kind) in case.links.items():
            link = folder / name
            if kind == "soft":
                os.symlink(target, link)
            else:
                os.link(folder / target, link)
    return layout


def build(surfaces: Iterable[str] = SURFACES) -> list[Case]:
    """Every case of ``surfaces``, in a fixed order (nothing is written)."""
    from . import cases_api, cases_attack, cases_deps, cases_drift, cases_image, cases_markers

    makers = {"drift": cases_drift.cases, "deps": cases_deps.cases,
              "attack": cases_attack.cases, "image": cases_image.cases, "api": cases_api.cases,
              "markers": cases_markers.cases}
    found: list[Case] = []
    for surface in surfaces:
        found += makers[surface]()
    ids = [case.id for case in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate case ids: {duplicates}")
    return found
