"""``advval image evaluate``: how robust is an image classifier? Load -> evaluate -> report -> exit.

MODEL is loaded like ``advval attack``'s (TorchScript, torch.export; pickles only with
``--trust-model``) and, given ``--mean``/``--std``, wrapped behind
:class:`advval.image.Normalize` so the attacks work on raw pixels. DATA is an ``.npz``
file of images (NCHW, NHWC or NHW; uint8 scaled to [0, 1], or floats) and integer labels.
:func:`advval.image.evaluate_robustness` runs the attacks on a seeded sample of at most
``--max-images`` images, worst case per image, at every ``--eps``.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
import zipfile
from pathlib import Path
from typing import Any, ClassVar

import click
import numpy as np

from advval.attacks._model_files import PICKLE_RISK

from .._progress import progress_display
from ._attack import _family, _load, _sample, _threads
from ._ci import ci_options
from ._console import warnings_to_stderr as _warnings_to_stderr
from ._exit import ExitCode, MissingDependency, UsageFailure, exit_codes_help, library_error
from ._io import error_reason
from ._jobs import CommandJob
from ._options import finite_float, n_jobs_option, output_options, quiet_option, seed_option
from ._outputs import Target, report_messages

#: --attack name -> class in advval.attacks
ATTACKS: dict[str, str] = {
    "autoattack": "AutoAttack",
    "apgd": "APGD",
    "pgd": "PGD",
    "fgsm": "FGSM",
    "square": "SquareAttack",
    "deepfool": "DeepFool",
    "cw": "CarliniWagnerL2",
}
#: parameters --steps sets, where an attack has them (AutoAttack: APGD runs and Square)
STEP_PARAMETERS = ("steps", "square_steps")
#: keys tried for the images and the labels when --x-key / --y-key are not given
X_KEYS = ("x", "images")
Y_KEYS = ("y", "labels")
#: channel counts an image may have
CHANNELS = (1, 3)
#: the pictures --png-dir holds (when the run has them)
PICTURES = ("triplets.png", "curve.svg")
#: the library's parameters -> the options that set them, for its error messages
OPTIONS = {
    "eps": "--eps",
    "norm": "--norm",
    "bounds": "--bounds",
    "steps": "--steps",
    "batch_size": "--batch-size",
    "n_examples": "--examples",
    "random_state": "--seed",
}


# -- DATA ---------------------------------------------------------------------------------


def _pick_key(archive: Any, key: str | None, defaults: tuple[str, ...], option: str,
              data: Path) -> str:
    keys = list(archive.files)
    if key is not None:
        if key not in keys:
            raise UsageFailure(
                f"{option} '{key}' is not an array of DATA file '{data}'; its arrays are "
                f"{keys[:20]!r}"
            )
        return key
    for name in defaults:
        if name in keys:
            return name
    raise UsageFailure(
        f"DATA file '{data}' has none of the arrays {list(defaults)!r}; its arrays are "
        f"{keys[:20]!r}. Name the right one with {option}"
    )


def _layout(shape: tuple[int, ...], layout: str, where: str) -> str:
    """``"nchw"`` or ``"nhwc"`` for a 4-D array (detected unless --layout says)."""
    if layout != "auto":
        axis = 1 if layout == "nchw" else 3
        if shape[axis] not in CHANNELS:
            raise UsageFailure(
                f"{where} has shape {shape}: with --layout {layout} the channel axis has "
                f"{shape[axis]} entries, but images have 1 (grayscale) or 3 (RGB) channels"
            )
        return layout
    first, last = shape[1] in CHANNELS, shape[3] in CHANNELS
    if first and not last:
        return "nchw"
    if last and not first:
        return "nhwc"
    reason = "both axis 1 and axis 3 could" if first else "neither axis 1 nor axis 3 can"
    raise UsageFailure(
        f"{where} has shape {shape}: {reason} be the channel axis (1 or 3 channels); give "
        "--layout nchw or --layout nhwc"
    )


def read_images(
    data: Path, *, x_key: str | None, y_key: str | None, layout: str
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Images as float32 (N, C, H, W) and labels as int64 (N,) from an ``.npz`` file.

    Returns
    -------
    images, labels, description
        ``description`` holds the keys, the layout, the stored dtype and the scaling, for
        the report's settings.

    Raises
    ------
    UsageFailure
        Naming the file, the array key or the option: not an ``.npz``, missing keys,
        shapes, dtypes, non-finite pixels, labels that are not class indices.
    """
    if data.suffix.lower() != ".npz":
        raise UsageFailure(
            f"cannot read DATA file '{data}': expected a NumPy .npz archive of images and "
            "labels (numpy.savez)"
        )
    try:
        archive = np.load(data, allow_pickle=False)
    except Exception as exc:  # the user's file: any reader error means it cannot be read
        raise UsageFailure(f"cannot read DATA file '{data}': {error_reason(exc)}") from exc
    if not hasattr(archive, "files"):  # np.load gave one array: a .npy file named .npz
        raise UsageFailure(
            f"cannot read DATA file '{data}': it holds one array, not an .npz archive of "
            "images and labels (numpy.savez)"
        )
    with archive:
        xk = _pick_key(archive, x_key, X_KEYS, "--x-key", data)
        yk = _pick_key(archive, y_key, Y_KEYS, "--y-key", data)
        for key in dict.fromkeys((xk, yk)):
            _check_declared_size(archive.zip, key, data)
        try:
            images, labels = archive[xk], archive[yk]
        except Exception as exc:  # damaged members (zlib.error, a bad CRC, a short read)
            raise UsageFailure(f"cannot read DATA file '{data}': {error_reason(exc)}") from exc
    where = f"array '{xk}' of DATA file '{data}'"
    stored = str(images.dtype)
    if images.dtype == np.uint8:
        pixels = images.astype(np.float32) / 255.0
        scaling = "uint8 / 255"
    elif images.dtype.kind == "f":
        pixels = images.astype(np.float32)
        scaling = "none"
    else:
        raise UsageFailure(
            f"{where} has dtype {stored}; expected uint8 pixels (scaled to [0, 1]) or "
            "floating-point pixels"
        )
    if pixels.ndim == 3:
        pixels, chosen = pixels[:, None], "nhw"
    elif pixels.ndim == 4:
        chosen = _layout(pixels.shape, layout, where)
        if chosen == "nhwc":
            pixels = np.ascontiguousarray(pixels.transpose(0, 3, 1, 2))
    else:
        raise UsageFailure(
            f"{where} has shape {images.shape}; expected images as (N, C, H, W), "
            "(N, H, W, C) or (N, H, W)"
        )
    if pixels.shape[0] == 0 or 0 in pixels.shape[2:]:
        raise UsageFailure(f"{where} has shape {images.shape}: there is no image to attack")
    if not np.all(np.isfinite(pixels)):
        raise UsageFailure(f"{where} has NaN or infinite pixels")
    y = _labels(labels, len(pixels), f"array '{yk}' of DATA file '{data}'")
    description = {"x_key": xk, "y_key": yk, "layout": chosen, "dtype": stored,
                   "scaling": scaling}
    return pixels, y, description


def _check_declared_size(archive: zipfile.ZipFile, key: str, data: Path) -> None:
    """Refuse an array whose header declares more than its member holds or memory takes.

    An ``.npy`` header states the shape and dtype; numpy allocates that much before it
    reads a byte of data. A crafted header can declare terabytes in a file of a few
    bytes, so the declared size is checked against the member's size (and the images,
    as float32, against the machine's memory) before numpy reads it.
    """
    from numpy.lib import format as npy

    member = f"{key}.npy" if f"{key}.npy" in archive.namelist() else key
    where = f"array '{key}' of DATA file '{data}'"
    info = archive.getinfo(member)
    try:
        with archive.open(info) as handle:
            version = npy.read_magic(handle)
            if version == (1, 0):
                shape, _, dtype = npy.read_array_header_1_0(handle)
            elif version == (2, 0):
                shape, _, dtype = npy.read_array_header_2_0(handle)
            else:
                raise ValueError(f"unsupported .npy format version {version[0]}.{version[1]}")
            header = handle.tell()
    except Exception as exc:  # a damaged member or header
        raise UsageFailure(f"cannot read {where}: {error_reason(exc)}") from exc
    if dtype.hasobject:
        raise UsageFailure(
            f"cannot read {where}: it holds Python objects (dtype {dtype}), which need pickle; "
            "store numbers"
        )
    elements = math.prod(shape)
    declared = elements * dtype.itemsize
    if declared > info.file_size - header:
        raise UsageFailure(
            f"cannot read {where}: its header declares shape {tuple(shape)} of {dtype} "
            f"({_size(declared)}) but the archive member holds {_size(info.file_size - header)}"
            "; the file is damaged"
        )
    memory = _physical_memory()
    needed = elements * (dtype.itemsize + np.dtype(np.float32).itemsize)  # stored + float32
    if memory is not None and needed > memory:
        raise UsageFailure(
            f"cannot read {where}: its shape {tuple(shape)} of {dtype} needs {_size(needed)} "
            f"of memory (stored and as float32), more than this machine has "
            f"({_size(memory)}); pass a sample of the images"
        )


def _physical_memory() -> int | None:
    """This machine's memory in bytes, where the OS says (POSIX)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return None


def _size(n_bytes: int) -> str:
    """Bytes in the largest unit that keeps the number >= 1.

    Examples
    --------
    >>> _size(512), _size(3 * 2**30), _size(5 * 2**50)
    ('512 bytes', '3.0 GiB', '5120.0 TiB')
    """
    if n_bytes < 1024:
        return f"{n_bytes} bytes"
    value = float(n_bytes)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            break
    return f"{value:.1f} {unit}"


def _labels(labels: np.ndarray, n: int, where: str) -> np.ndarray:
    if labels.ndim != 1 or len(labels) != n:
        raise UsageFailure(
            f"{where} has shape {labels.shape}; expected one label per image: ({n},)"
        )
    integral = labels.dtype.kind in "iu" or (
        labels.dtype.kind == "f"
        and bool(np.all(np.isfinite(labels)))
        and bool(np.all(labels == np.round(labels)))
    )
    if integral:
        values = labels.astype(np.int64)
    else:
        raise UsageFailure(
            f"{where} has dtype {labels.dtype}; expected integer class indices 0..K-1"
        )
    if values.min() < 0:
        raise UsageFailure(
            f"{where} has negative labels ({int(values.min())}); expected class indices 0..K-1"
        )
    return values


def _check_bounds(images: np.ndarray, bounds: tuple[float, float], data: Path,
                  scaling: str) -> None:
    low, high = bounds
    if not low < high:
        raise UsageFailure(f"--bounds must be LOW HIGH with LOW < HIGH; got {low:g} {high:g}")
    seen = float(images.min()), float(images.max())
    if seen[0] < low or seen[1] > high:
        hint = " (uint8 pixels are scaled to [0, 1])" if scaling != "none" else ""
        raise UsageFailure(
            f"the pixels of DATA file '{data}' range over [{seen[0]:g}, {seen[1]:g}]"
            f"{hint}, outside --bounds {low:g} {high:g}; give the bounds of the model's input"
        )


# -- MODEL --------------------------------------------------------------------------------


def _normalized(model: Any, mean: tuple[float, ...], std: tuple[float, ...],
                channels: int) -> Any:
    """``Normalize(mean, std)`` in front of the model when --mean / --std are given."""
    if not mean and not std:
        return model
    if not mean or not std:
        given, missing = ("--mean", "--std") if mean else ("--std", "--mean")
        raise UsageFailure(f"{given} needs {missing} too: the model's input is (x - mean) / std")
    for option, values in (("--mean", mean), ("--std", std)):
        if len(values) not in (1, channels):
            raise UsageFailure(
                f"{option} has {len(values)} values; the images have {channels} channel(s): "
                f"give 1 or {channels}"
            )
    import torch

    from advval.image import Normalize

    return torch.nn.Sequential(Normalize(list(mean), list(std)), model)


def _n_classes(model: Any, images: Any, names: tuple[Path, Path]) -> int:
    """The model's number of classes, from its output on two images (errors name files)."""
    import torch

    model_path, data = names
    try:
        with torch.no_grad():
            out = model(images[:2])
    except Exception as exc:  # any failure of the user's model on the user's images
        reason = " ".join(str(exc).split())[:500] or type(exc).__name__
        raise UsageFailure(
            f"MODEL '{model_path}' failed on images of shape {tuple(images.shape[1:])} from "
            f"DATA file '{data}': {reason}"
        ) from exc
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[1] < 2:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise UsageFailure(
            f"MODEL '{model_path}' must return class scores of shape (N, K) with K >= 2; "
            f"it returned {shape}"
        )
    return int(out.shape[1])


# -- the attacks ----------------------------------------------------------------------------


def _attacks(names: tuple[str, ...], *, norm: str, bounds: tuple[float, float],
             steps: int | None) -> list[Any] | None:
    """The attack objects; ``None`` (no --attack, no --steps): evaluate_robustness's
    standard ensemble with its own settings. evaluate_robustness gives each attack the
    largest eps of the curve."""
    import advval.attacks as attacks

    if not names and steps is None:
        return None
    made = []
    for name in dict.fromkeys(names or ("autoattack",)):
        try:
            cls = getattr(attacks, ATTACKS[name])
        except ImportError as exc:
            raise MissingDependency(str(exc)) from exc
        if norm not in cls.norms:
            raise UsageFailure(
                f"--attack {name} does not support --norm {norm}; it supports "
                f"{', '.join(cls.norms)}"
            )
        options: dict[str, Any] = {"norm": norm, "bounds": bounds}
        parameters = inspect.signature(cls).parameters
        if steps is not None:
            options.update({k: steps for k in STEP_PARAMETERS if k in parameters})
        made.append(cls(None, **options))
    return made


# -- the command ----------------------------------------------------------------------------


@click.group(epilog=exit_codes_help())
def image() -> None:
    """Image classifiers: how robust is a model on a set of images (evaluate)?"""


@dataclasses.dataclass(frozen=True)
class ImageJob(CommandJob):
    """One ``advval image evaluate`` run, as its options set it (built from click's
    arguments).

    Each field is the option of the same name (``seed`` is ``--seed``, ``fmt`` is
    ``--format``, ``attack_names`` is ``--attack``...); the command reads nothing else.
    The options every command takes are the fields of :class:`~advval.cli._jobs.CommandJob`.
    """

    report: ClassVar[str] = "image"

    model: Path
    data: Path
    x_key: str | None
    y_key: str | None
    layout: str
    bounds: tuple[float, float]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    attack_names: tuple[str, ...]
    eps: tuple[float, ...]
    norm: str
    steps: int | None
    max_images: int
    n_examples: int
    batch_size: int | None
    n_jobs: int
    png_dir: Path | None
    fail_under: float | None
    trust_model: bool

    @property
    def inputs(self) -> dict[str, Path | None]:
        """MODEL and DATA."""
        return {"MODEL": self.model, "DATA": self.data}

    def files(self) -> list[Target]:
        """The ``--png-dir`` pictures."""
        if self.png_dir is None:
            return []
        return [
            Target("--png-dir", self.png_dir / name, "picture", make_folder=True)
            for name in PICTURES
        ]

@image.command(epilog=exit_codes_help())
@click.argument(
    "model", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
)
@click.argument("data", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--x-key", metavar="NAME", default=None,
              help="Array of DATA holding the images. Default: 'x', else 'images'.")
@click.option("--y-key", metavar="NAME", default=None,
              help="Array of DATA holding the labels (class indices). Default: 'y', else "
              "'labels'.")
@click.option("--layout", type=click.Choice(["auto", "nchw", "nhwc"]), default="auto",
              show_default=True,
              help="Axis order of 4-D images; auto finds the channel axis (1 or 3 entries).")
@click.option("--bounds", type=(finite_float(), finite_float()), default=(0.0, 1.0),
              show_default=True,
              metavar="LOW HIGH",
              help="Pixel range of the model's input (uint8 images are scaled to [0, 1] "
              "first); adversarial images stay inside it.")
@click.option("--mean", type=finite_float(), multiple=True, metavar="FLOAT",
              help="Per-channel mean (repeat per channel, or once for all): the model is "
              "wrapped as Normalize(mean, std) -> MODEL, for models that expect normalized "
              "input. Needs --std.")
@click.option("--std", type=finite_float(0.0, min_open=True), multiple=True, metavar="FLOAT",
              help="Per-channel standard deviation (> 0), with --mean.")
@click.option("--attack", "attack_names", type=click.Choice(list(ATTACKS)), multiple=True,
              help="Attack to run (repeatable); the report takes the worst case per image. "
              "Default: autoattack (AutoAttack: APGD-CE, then targeted APGD-DLR, then the "
              "Square Attack on the survivors).")
@click.option("--eps", type=finite_float(0.0, min_open=True), multiple=True,
              help="Perturbation budget in pixel units (repeatable: one point of the "
              "accuracy-vs-eps curve each; the attacks table is at the largest). Default, "
              "as shares of the pixel range: 1/255, 2/255, 4/255 and 8/255 for inf; 0.25, "
              "0.5 and 1 for 2.")
@click.option("--norm", type=click.Choice(["inf", "2"]), default="inf", show_default=True,
              help="Norm of the budget: largest pixel change (inf) or Euclidean size (2).")
@click.option("--steps", type=click.IntRange(min=1), default=None,
              help="Iterations of each chosen attack (autoattack: of each APGD run and of "
              "the Square stage). "
              "Default: each attack's own. Fewer steps are faster and weaker.")
@click.option("--max-images", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Attack a seeded random sample of at most this many images.")
@click.option("--examples", "n_examples", type=click.IntRange(min=0), default=8,
              show_default=True,
              help="Worst-case adversarial examples kept for the pictures.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Images per model call. Default: all at once.")
@n_jobs_option(1, "torch threads for the model.")
@click.option("--png-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar="DIR",
              help="Also write the pictures there (the folder is made if needed): "
              "triplets.png (original | adversarial | amplified noise, one example per row) "
              "and curve.svg (accuracy versus eps).")
@output_options
@seed_option
@click.option(
    "--fail-under", type=finite_float(0.0, 1.0), default=None, metavar="FLOAT",
    help=f"Exit with status {int(ExitCode.DRIFT)} when the robust accuracy is below this "
    "(a CI gate).",
)
@click.option(
    "--trust-model", is_flag=True,
    help="Load pickle / joblib model files (.pkl, .pickle, .joblib). They are refused by "
    f"default because {PICKLE_RISK}; give this only for files you made or trust.",
)
@quiet_option
@ci_options
def evaluate(**options: Any) -> None:
    """Attack the image classifier MODEL on the images of DATA and report its robustness.

    MODEL is a TorchScript module (torch.jit.save) or a torch.export program (.pt2) that
    maps a batch of images (N, C, H, W) to class scores (N, K); pickle / joblib files only
    with --trust-model. DATA is a NumPy .npz file (numpy.savez) with the images (NCHW,
    NHWC, or NHW for grayscale; uint8 scaled to [0, 1], or floats in --bounds) and their
    labels as class indices. The report gives clean and robust accuracy (worst case per
    image over the attacks), each attack's success and perturbation size, accuracy versus
    eps, AutoAttack's sanity flags and worst-case examples as pictures. Formats: html (the
    default, written to --output or advval_image_report.html), json and markdown (stdout
    unless --output); --html, --json and --markdown write several in one run.

    \b
    Examples:
      advval image evaluate net.pt test.npz --eps 0.01 --eps 0.03 --png-dir pictures
      advval image evaluate net.pt2 cifar.npz --mean 0.49 --mean 0.48 --mean 0.45
          --std 0.25 --std 0.24 --std 0.26 --format json --fail-under 0.4
    """
    run(ImageJob(**options))


def run(job: ImageJob) -> None:
    """Read MODEL and DATA, attack, report, write the outputs and set the exit code."""
    plan = job.plan()
    images, labels, description = read_images(
        job.data, x_key=job.x_key, y_key=job.y_key, layout=job.layout
    )
    _check_bounds(images, job.bounds, job.data, description["scaling"])
    loaded, model_format = _load(job.model, job.trust_model)
    if _family(loaded) != "torch":
        raise UsageFailure(
            f"MODEL '{job.model}' is not a torch model; advval image evaluate needs a "
            "TorchScript module or a torch.export program"
        )
    budgets = sorted(set(job.eps)) or None  # None: evaluate_robustness's default curve
    attacks = _attacks(job.attack_names, norm=job.norm, bounds=job.bounds, steps=job.steps)
    rows = _sample(len(images), job.max_images, job.seed)

    import torch

    from advval.image import evaluate_robustness

    X = torch.as_tensor(images[rows])
    y = torch.as_tensor(labels[rows])
    with _threads(job.n_jobs, "torch"):
        net = _normalized(loaded, job.mean, job.std, images.shape[1])
        n_classes = _n_classes(net, X, (job.model, job.data))
        if int(y.max()) >= n_classes:
            raise UsageFailure(
                f"array '{description['y_key']}' of DATA file '{job.data}' has label "
                f"{int(y.max())}, but MODEL '{job.model}' scores {n_classes} classes "
                f"(0..{n_classes - 1})"
            )
        if not job.quiet:
            which = "autoattack" if attacks is None else ", ".join(
                type(a).__name__ for a in attacks)
            click.echo(
                f"advval: attacking {len(rows):,} of {len(images):,} images of "
                f"'{job.data}' with {which} ({'L∞' if job.norm == 'inf' else 'L2'}, eps "
                f"{', '.join(f'{e:g}' for e in budgets) if budgets else 'default curve'})...",
                err=True,
            )
        with progress_display(enabled=not job.quiet), _warnings_to_stderr():
            try:
                report = evaluate_robustness(
                    net, (X, y), attacks=attacks, eps=budgets, norm=job.norm,
                    bounds=job.bounds, n_examples=job.n_examples, batch_size=job.batch_size,
                    random_state=job.seed,
                )
            except (ValueError, TypeError) as exc:
                raise library_error(exc, OPTIONS) from exc
    settings = {
        "model": str(job.model),
        "model_format": model_format,
        "data": str(job.data),
        "images": f"{len(rows)} of {len(images)}"
        + (
            f" (seeded sample, --max-images {job.max_images})"
            if len(rows) < len(images)
            else ""
        ),
        **description,
        "normalize": None if not job.mean else {"mean": list(job.mean), "std": list(job.std)},
        "attacks": list(dict.fromkeys(job.attack_names)) or ["autoattack"],
        "steps": job.steps,
        **report.settings,
        "seed": job.seed,
    }
    report = dataclasses.replace(report, settings=settings)

    from advval.report import render_image_pictures
    from advval.report._image import image_summary_line

    files = {}
    if job.png_dir is not None:
        for name, content in render_image_pictures(report).items():
            files[plan.target("--png-dir", job.png_dir / name)] = content
    gate_failed = (
        job.fail_under is not None and report.robustness.robust_accuracy < job.fail_under
    )
    written = job.ci.write(
        plan, report, files, failed=gate_failed, fail_under=job.fail_under,
        gate="" if job.fail_under is None else f"--fail-under {job.fail_under:g}",
    )
    click.echo(f"advval: {image_summary_line(report)}", err=True)
    report_messages(written)
    if gate_failed:
        click.get_current_context().exit(ExitCode.DRIFT)
