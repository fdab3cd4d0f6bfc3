"""``advval attack``: how robust is MODEL on DATA? Load -> robustness_report -> report -> exit.

The model file is loaded by :func:`advval.attacks.load_model` (LightGBM text models,
TorchScript, torch.export; pickles only with ``--trust-model``), DATA's columns are shaped
the way the model reads them, a constraints file (JSON or YAML) becomes the
:class:`~advval.attacks.FeatureSpace`, and the attacks run on a seeded sample of at most
``--max-rows`` rows, worst case per sample.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

import click
import numpy as np

from advval.attacks._model_files import PICKLE_RISK

from .._progress import progress_display
from ._ci import ci_options
from ._console import warnings_to_stderr as _warnings_to_stderr
from ._exit import ExitCode, MissingDependency, UsageFailure, exit_codes_help, library_error
from ._io import CsvOptions, read_table
from ._jobs import CommandJob
from ._options import (
    FiniteFloatList,
    csv_options,
    finite_float,
    n_jobs_option,
    output_options,
    quiet_option,
    resolve_threads,
    seed_option,
)
from ._outputs import report_messages

if TYPE_CHECKING:
    import pandas as pd

    from advval.attacks import Attack, FeatureSpace
    from advval.attacks.evaluate import RobustnessReport

#: --attack name -> (class in advval.attacks, what it needs: "torch", "trees" or "any")
ATTACKS: dict[str, tuple[str, str]] = {
    "fgsm": ("FGSM", "torch"),
    "pgd": ("PGD", "torch"),
    "cw": ("CarliniWagnerL2", "torch"),
    "deepfool": ("DeepFool", "torch"),
    "nes": ("NESAttack", "any"),
    "square": ("SquareAttack", "any"),
    "hopskipjump": ("HopSkipJump", "any"),
    "genetic": ("GeneticAttack", "any"),
    "tree": ("TreeAttack", "trees"),
}
#: attacks run without --attack, by model family: a white-box attack that reads the model
#: and black-box ones that only query it (a black-box attack beating the white-box one is
#: a sanity flag); those that do not support --norm are left out
DEFAULT_ATTACKS = {
    "torch": ("pgd", "deepfool", "square"),
    "trees": ("tree", "square", "hopskipjump"),
    "any": ("square", "hopskipjump"),
}
#: the fallback when no default attack supports --norm (GeneticAttack supports all three)
FALLBACK_ATTACK = "genetic"
#: --eps default by norm: standard units for inf and 2, changed features for 0
DEFAULT_EPS = {"inf": 0.3, "2": 0.5, "0": 1.0}

#: the largest --max-queries (numpy's integer counters hold it on every platform)
MAX_QUERIES = 2**31 - 1
#: the library's parameters -> the options that set them, for its error messages
OPTIONS = {
    "eps": "--eps",
    "norm": "--norm",
    "max_queries": "--max-queries",
    "random_state": "--seed",
}


# -- the model and the data ----------------------------------------------------------------


def _load(model_path: Path, trust: bool) -> tuple[Any, str]:
    """The model and its format, with usage (2) and missing-dependency (3) errors.

    A model file is input: whatever makes it fail to load (a garbled file, a library's own
    error type) is a usage error naming the file.
    """
    from advval.attacks import load_model, model_format

    try:
        fmt = model_format(model_path)
        return load_model(model_path, trust=trust), fmt
    except ImportError as exc:
        raise MissingDependency(str(exc)) from exc
    except ValueError as exc:
        raise UsageFailure(str(exc)) from exc
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # torch's, LightGBM's and pickle's own errors on a bad file
        reason = " ".join(str(exc).split())[:500] or type(exc).__name__
        raise UsageFailure(f"cannot load MODEL '{model_path}': {reason}") from exc


def _family(model: Any) -> str:
    """:func:`advval.attacks.model_family`; a model no attack accepts is a usage error."""
    from advval.attacks import model_family

    try:
        return model_family(model)
    except TypeError as exc:
        raise UsageFailure(f"MODEL cannot be attacked: {exc}") from exc


def _split(
    frame: pd.DataFrame, target: str, ignore: Sequence[str], data: Path
) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and labels of DATA, with errors naming the option, column and file."""
    for option, column in [("--target", target), *(("--ignore", c) for c in ignore)]:
        if column not in frame.columns:
            raise UsageFailure(f"{option} column '{column}' is not in DATA file '{data}'")
    labels = frame[target]
    if labels.isna().any():
        raise UsageFailure(
            f"--target column '{target}' of DATA file '{data}' has {int(labels.isna().sum())} "
            "missing labels; every attacked row needs its true label"
        )
    features = frame.drop(columns=list(dict.fromkeys([target, *ignore])))
    if features.shape[1] == 0:
        raise UsageFailure(
            f"no feature column is left in DATA file '{data}' after removing the --target "
            "and --ignore columns"
        )
    return features, labels.to_numpy()


def _model_columns(
    model: Any, features: pd.DataFrame, family: str, names: tuple[Path, Path], quiet: bool
) -> pd.DataFrame:
    """DATA's columns as the model reads them (a LightGBM model's order and categories)."""
    from advval.attacks._loading import model_frame

    model_path, data = names
    try:
        X = model_frame(model, features)
    except ValueError as exc:
        raise UsageFailure(f"MODEL '{model_path}' does not fit DATA file '{data}': {exc}") from exc
    if family == "torch":
        import pandas as pd

        text = [
            str(c) for c in X.columns
            if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))
        ]
        if text:
            raise UsageFailure(
                f"the torch MODEL '{model_path}' reads numbers, but column(s) {text[:20]!r} "
                f"of DATA file '{data}' hold text; encode them as the model's training data "
                "was, or leave them out with --ignore"
            )
        if any(pd.api.types.is_bool_dtype(X[c]) for c in X.columns):
            X = X.astype("float64")
    unused = [str(c) for c in features.columns if c not in set(X.columns)]
    if unused and not quiet:
        click.echo(
            f"advval: {len(unused)} column(s) of DATA the model does not read are left out: "
            f"{unused[:10]!r}{' ...' if len(unused) > 10 else ''}",
            err=True,
        )
    return X


def _labels(view: Any, y: np.ndarray, target: str, model_path: Path) -> np.ndarray:
    """``y`` in the model's label space (class indices 0..K-1 for boosters and torch)."""
    classes = np.asarray(view.classes_)
    if classes.dtype.kind in "iu":
        numeric = np.asarray(y, dtype=object)
        try:
            values = numeric.astype(np.float64)
        except (TypeError, ValueError):
            values = None
        if values is not None and np.all(values == np.round(values)):
            y = values.astype(np.int64)
    known = set(classes.tolist())
    unknown = sorted({str(v) for v in np.asarray(y, dtype=object).tolist() if v not in known})
    if unknown:
        kind = (
            f"the class indices {classes.min()}..{classes.max()}"
            if classes.dtype.kind in "iu"
            else f"its classes {classes.tolist()[:10]!r}"
        )
        given = sorted({str(v) for v in np.asarray(y, dtype=object).tolist()})
        hint = ""
        if classes.dtype.kind in "iu" and len(given) == len(classes) and unknown == given:
            # word labels: the usual encodings (LabelEncoder, pandas category codes) sort them
            pairs = zip(classes.tolist(), given, strict=True)
            mapping = ", ".join(f"{g!r} -> {i}" for i, g in pairs)
            hint = (
                f"; write them as the model's training did (sorted, as scikit-learn's "
                f"LabelEncoder and pandas' category codes number them: {mapping[:200]})"
            )
        raise UsageFailure(
            f"--target column '{target}' has label(s) {unknown[:10]!r} that MODEL "
            f"'{model_path}' does not predict: the labels must be {kind}{hint}"
        )
    return y


def _check_outputs(outputs: np.ndarray, n: int, model: Path, data: Path) -> None:
    """Class scores (n, K >= 2) or one class label per row, else a usage error."""
    shape = tuple(outputs.shape)
    if outputs.ndim == 1 and shape == (n,):
        return
    if outputs.ndim == 2 and shape[0] == n and shape[1] >= 2:
        return
    raise UsageFailure(
        f"MODEL '{model}' must return class scores of shape (N, K) with K >= 2, or one class "
        f"label per row; on {n} rows of DATA file '{data}' it returned shape {shape}"
    )


def _sample(n: int, max_rows: int, seed: int) -> np.ndarray:
    """Positions of a seeded sample of at most ``max_rows`` rows, in file order."""
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.RandomState(seed).choice(n, max_rows, replace=False))


def _as_input(X: pd.DataFrame, family: str) -> Any:
    """What the attacks get: the frame, or a float32 tensor of it for a torch model."""
    if family != "torch":
        return X
    import torch

    return torch.as_tensor(np.array(X, dtype=np.float32))


@contextmanager
def _threads(n_jobs: int, family: str) -> Iterator[None]:
    """Run the model with ``n_jobs`` threads (OpenMP, BLAS, torch), restored afterwards.

    Attacks call the model many times on small batches, where starting a thread pool per
    call (LightGBM's default is every core) costs far more than the prediction itself.
    """
    from threadpoolctl import threadpool_limits

    n_jobs = resolve_threads(n_jobs)
    with threadpool_limits(limits=n_jobs):
        if family != "torch":
            yield
            return
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(n_jobs)
        try:
            yield
        finally:
            torch.set_num_threads(before)


# -- the constraints file ----------------------------------------------------------------------


def read_constraints(path: Path) -> dict[str, Any]:
    """The constraints file (JSON or YAML by suffix) as a mapping with known keys only.

    Read by :func:`advval.attacks._space_config.read_config` before the model is loaded,
    so a bad file fails fast; its errors are usage errors naming the file.
    """
    from advval.attacks._space_config import read_config

    try:
        return read_config(path)
    except ValueError as exc:
        raise UsageFailure(str(exc)) from exc


def _note_whole_columns(X: pd.DataFrame, space: FeatureSpace) -> None:
    """Say once which float columns the attacks keep whole, and how to let them move."""
    from advval.attacks._space import whole_number_columns

    kept = [c for c in whole_number_columns(X) if c in space.integer]
    if kept:
        shown = ", ".join(repr(c) for c in kept[:10]) + (" ..." if len(kept) > 10 else "")
        click.echo(
            f"advval: column(s) {shown} hold only whole numbers (read as floats, e.g. for "
            "missing values), so the attacks keep them whole; list them under 'continuous' "
            "in a --constraints file to let them take fractions",
            err=True,
        )


def units_without_sentinels(
    X: pd.DataFrame, space: FeatureSpace, how: str
) -> tuple[FeatureSpace, dict[str, tuple[float, float, float]]]:
    """``space`` with each numeric column that holds a sentinel (-999, Home Credit's
    365243 days) measured in the spread of its other values, and what changed: column ->
    (sentinel, old unit, new unit).

    The units make ``eps`` mean standard deviations; a code far outside a column's values
    is no magnitude, yet it sets that column's standard deviation: 365243 in 17% of
    ``DAYS_EMPLOYED`` (days back, as negative numbers) makes its unit 137,000 days where
    the other values spread over 1,900, so eps 0.3 would move an applicant's employment
    by a century. ``how`` is the space's scale, ``"std"`` or ``"iqr"``.
    """
    import copy

    import numpy as np

    from ._numbers import sentinel

    units = space.scale
    if not isinstance(units, Mapping):
        return space, {}
    changed: dict[str, tuple[float, float, float]] = {}
    new_units = dict(units)
    for name, unit in units.items():
        if name not in X.columns:
            continue
        column = cast("pd.Series", X[name])
        mark = sentinel(column)
        if mark is None:
            continue
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        others = values[~np.isnan(values) & (values != mark)]
        if others.size < 2:
            continue
        if how == "iqr":
            q1, q3 = np.percentile(others, [25, 75])
            spread = float((q3 - q1) / 1.349)
        else:
            spread = float(np.std(others, ddof=1))
        if np.isfinite(spread) and 0 < spread < float(unit):
            new_units[name] = spread
            changed[str(name)] = (float(mark), float(unit), spread)
    if not changed:
        return space, {}
    fixed = copy.copy(space)
    fixed.scale = new_units
    return fixed, changed


def _note_sentinel_units(
    changed: Mapping[str, tuple[float, float, float]], eps: float | None
) -> None:
    """Say which columns' units leave their sentinel out, and what ``eps`` (``None``:
    a count of columns, not a size) means there."""
    for name, (mark, old, new) in changed.items():
        reach = "" if eps is None else f", so eps {eps:g} moves it by up to {_plain(eps * new)}"
        click.echo(
            f"advval: column {name!r} holds {mark:g}, far outside its other values (a "
            f"likely sentinel): its unit is the spread of its other values, {_plain(new)} "
            f"(with it: {_plain(old)}){reach}",
            err=True,
        )


def _plain(x: float) -> str:
    """A spread as people write it: ``137,573`` and ``562``, not ``1.376e+05``; ``0.0213``."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def build_space(
    X: pd.DataFrame, constraints: Mapping[str, Any], path: Path | None, target: str
) -> FeatureSpace:
    """:meth:`FeatureSpace.from_config` of the constraints on the model's columns of DATA.

    A column the model does not read is a usage error that says so (and points at
    ``--target`` when the label is named).
    """
    from advval.attacks._space_config import UnknownColumnsError, space_from_config

    try:
        return space_from_config(constraints, X, path)
    except UnknownColumnsError as exc:
        columns, unknown = exc.columns, exc.unknown
        hint = f" ('{target}' is the --target label, not a feature)" if target in unknown else ""
        raise UsageFailure(
            f"'{exc.key}' in {exc.where} names column(s) {unknown!r} that the model does "
            f"not read{hint}; its columns are {columns[:20]!r}"
            f"{' ...' if len(columns) > 20 else ''}"
        ) from exc
    except ValueError as exc:
        raise UsageFailure(str(exc)) from exc


# -- the attacks ---------------------------------------------------------------------------------


def _attack_names(chosen: Sequence[str], family: str, norm: str, model_path: Path) -> list[str]:
    """The attacks to run: the chosen ones (checked against the model), else the defaults."""
    import advval.attacks as attacks

    if not chosen:
        names = [
            n for n in DEFAULT_ATTACKS[family] if norm in _attack_class(attacks, n).norms
        ]
        return names or [FALLBACK_ATTACK]
    for name in dict.fromkeys(chosen):
        needs = ATTACKS[name][1]
        if needs == "torch" and family != "torch":
            raise UsageFailure(
                f"--attack {name} is a gradient attack and needs a torch model; MODEL "
                f"'{model_path}' is not one. Use tree, square, hopskipjump, nes or genetic"
            )
        if needs == "trees" and family != "trees":
            raise UsageFailure(
                "--attack tree reads the trees of a LightGBM, XGBoost, CatBoost, ONNX or "
                "scikit-learn tree ensemble; "
                f"MODEL '{model_path}' is not one. Use square, hopskipjump, nes or genetic"
            )
        norms = _attack_class(attacks, name).norms
        if norm not in norms:
            raise UsageFailure(
                f"--attack {name} does not support --norm {norm}; it supports "
                f"{', '.join(norms)}"
            )
    return list(dict.fromkeys(chosen))


def _attack_class(attacks: Any, name: str) -> Any:
    try:
        return getattr(attacks, ATTACKS[name][0])
    except ImportError as exc:
        raise MissingDependency(str(exc)) from exc


def _make_attacks(names: Sequence[str], *, eps: float, norm: str, max_queries: int) -> list[Attack]:
    import advval.attacks as attacks

    return [
        _attack_class(attacks, name)(None, eps=eps, norm=norm, max_queries=max_queries)
        for name in names
    ]


def _named_features(report: RobustnessReport, columns: Sequence[str]) -> RobustnessReport:
    """The report with positional feature names (a tensor's) replaced by DATA's columns."""
    lookup = {str(j): str(name) for j, name in enumerate(columns)}
    features = tuple(
        dataclasses.replace(f, name=lookup.get(f.name, f.name)) for f in report.features
    )
    attacks = tuple(
        dataclasses.replace(
            a, feature_frequency=tuple((lookup.get(n, n), s) for n, s in a.feature_frequency)
        )
        for a in report.attacks
    )
    return dataclasses.replace(report, features=features, attacks=attacks)


# -- the command ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AttackJob(CommandJob):
    """One ``advval attack`` run, as its options set it (built from click's arguments).

    Each field is the option of the same name (``seed`` is ``--seed``, ``fmt`` is
    ``--format``, ``attack_names`` is ``--attack``, ``export_path`` is ``--export``...);
    the command reads nothing else. The options every command takes are the fields of
    :class:`~advval.cli._jobs.CommandJob`.
    """

    report: ClassVar[str] = "robustness"

    model: Path
    data: Path
    target: str
    ignore: tuple[str, ...]
    constraints: Path | None
    attack_names: tuple[str, ...]
    eps: float | None
    norm: str
    curve: list[float] | None
    max_queries: int
    max_rows: int
    n_jobs: int
    fail_under: float | None
    export_path: Path | None
    trust_model: bool
    csv: CsvOptions

    @property
    def inputs(self) -> dict[str, Path | None]:
        """MODEL, DATA and the ``--constraints`` file."""
        return {"MODEL": self.model, "DATA": self.data, "--constraints": self.constraints}

@click.command(epilog=exit_codes_help())
@click.argument(
    "model", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
)
@click.argument("data", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option(
    "--target", metavar="COL", required=True, help="Label column (true classes); not a feature."
)
@click.option("--ignore", metavar="COL", multiple=True, help="Column to leave out (repeatable).")
@click.option(
    "--constraints",
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
    default=None,
    metavar="FILE",
    help="JSON or YAML file of what a valid row may look like: immutable, integer "
    "(default: integer columns and float columns of whole numbers), continuous (whole-valued "
    "columns that may take fractions), categorical (list, or {column: allowed values}), "
    "one_hot (list of column groups), "
    "monotone ({column: increase|decrease}), bounds ({column: [lower, upper]}; default: the "
    "data range), scale (std|iqr), categorical_distance.",
)
@click.option(
    "--attack",
    "attack_names",
    type=click.Choice(sorted(ATTACKS)),
    multiple=True,
    help="Attack to run (repeatable). Default: LightGBM and scikit-learn trees: tree, "
    "square, hopskipjump; torch: pgd, deepfool, square; other models: square, hopskipjump "
    "(those that support --norm). fgsm, pgd, cw and deepfool need a torch model; tree a "
    "tree ensemble.",
)
@click.option(
    "--eps",
    type=finite_float(0.0, min_open=True),
    default=None,
    help="Perturbation budget, in standard deviations of each column over DATA (--norm 0: "
    "number of changed columns). Default: 0.3 for inf, 0.5 for 2, 1 for 0.",
)
@click.option(
    "--norm",
    type=click.Choice(["inf", "2", "0"]),
    default="inf",
    show_default=True,
    help="Norm of the budget: largest change (inf), Euclidean size (2), changed columns (0).",
)
@click.option(
    "--curve",
    type=FiniteFloatList(),
    metavar="EPS,EPS,...",
    default=None,
    help="Also run every attack at these budgets for the accuracy-vs-eps curve "
    "(e.g. 0.1,0.2,0.5; --eps is added). Each value costs one more run of every attack.",
)
@click.option(
    "--max-queries",
    type=click.IntRange(1, MAX_QUERIES),
    default=1000,
    show_default=True,
    help="Model rows each attack may query per attacked row (a hard budget).",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Attack a seeded random sample of at most this many rows of DATA (the report "
    "says so); the units and bounds still come from all rows.",
)
@n_jobs_option(
    1,
    "Threads for the model's predictions. Attacks make many small model calls, where one "
    "thread is usually fastest.",
)
@output_options
@seed_option
@click.option(
    "--fail-under",
    type=finite_float(0.0, 1.0),
    default=None,
    metavar="FLOAT",
    help=f"Exit with status {int(ExitCode.DRIFT)} when the robust accuracy is below this "
    "(a CI gate).",
)
@click.option(
    "--export",
    "export_path",
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
    default=None,
    metavar="FILE",
    help="The exported version of MODEL (ONNX): check that it predicts the same class on "
    "the attacked rows and on TreeAttack's minimal adversarial rows (float32 thresholds "
    "can flip decisions near a split); the counts go to stderr, and the counts, largest "
    "score gaps and disagreeing DATA rows (0-based, first 100) to the report's settings.",
)
@click.option(
    "--trust-model",
    is_flag=True,
    help="Load pickle / joblib model files (.pkl, .pickle, .joblib). They are refused by "
    f"default because {PICKLE_RISK}; give this only for files you made or trust.",
)
@csv_options
@quiet_option
@ci_options
def attack(**options: Any) -> None:
    """Attack MODEL on the rows of DATA and report how robust it is.

    MODEL is a LightGBM text model (Booster.save_model), a TorchScript module
    (torch.jit.save), a torch.export program (.pt2) or an ONNX tree ensemble classifier
    (skl2onnx, onnxmltools); pickle / joblib files only with --trust-model. --export FILE
    checks an exported (ONNX) version of MODEL against it on the attacked and adversarial
    rows. DATA is a CSV or Parquet file with the model's feature columns and
    the --target label. Each attack tries to flip the model's answer on the correctly
    classified rows within the budget, respecting the constraints file; the report gives
    clean accuracy, robust accuracy (worst case per row over all attacks), each attack's
    success, perturbation size and queries, the columns attackers change, the
    accuracy-vs-eps curve and sanity flags. Formats: html (the default, written to
    --output or advval_attack_report.html), json and markdown (stdout unless --output);
    --html, --json and --markdown write several in one run.

    \b
    Examples:
      advval attack model.txt test.csv --target y
      advval attack net.pt2 test.parquet --target label --constraints rules.yaml --curve 0.1,0.5
      advval attack model.txt test.csv --target y --format json --fail-under 0.6
      advval attack model.txt test.csv --target y --json gate.json --html robustness.html
      advval attack model.txt test.csv --target y --export model.onnx
    """
    run(AttackJob(**options))


def run(job: AttackJob) -> None:
    """Read MODEL and DATA, build the feature space and the attacks, attack, report, write."""
    # the library is imported when a command runs, not to print its help
    from advval.attacks._space import check_input_data
    from advval.report._robustness_html import NORM_LABELS, summary_line

    plan = job.plan()
    eps = DEFAULT_EPS[job.norm] if job.eps is None else job.eps
    budgets = sorted({*job.curve, eps}) if job.curve else None
    rules = read_constraints(job.constraints) if job.constraints is not None else {}
    frame = read_table(job.data, "DATA", job.csv)
    features, y_all = _split(frame, job.target, job.ignore, job.data)
    loaded, model_fmt = _load(job.model, job.trust_model)
    family = _family(loaded)
    with _warnings_to_stderr():
        X_all = _model_columns(loaded, features, family, (job.model, job.data), job.quiet)
    try:
        check_input_data(X_all, owner="advval attack", name=f"DATA file '{job.data}'")
    except ValueError as exc:
        raise UsageFailure(" ".join(str(exc).split())) from exc
    space = build_space(X_all, rules, job.constraints, job.target)
    space, sentinel_units = units_without_sentinels(X_all, space, rules.get("scale", "std"))
    if not job.quiet:
        _note_whole_columns(X_all, space)
        _note_sentinel_units(sentinel_units, eps if job.norm != "0" else None)
    names = _attack_names(job.attack_names, family, job.norm, job.model)
    rows = _sample(len(X_all), job.max_rows, job.seed)
    X = _as_input(X_all.iloc[rows], family)

    from advval.attacks import robustness_report
    from advval.attacks._export_check import ExportCheckError
    from advval.attacks._export_check import summary as export_summary
    from advval.attacks.evaluate.runner import ModelView

    with _threads(job.n_jobs, family):
        try:
            view = ModelView(loaded, X)
            probe = view.outputs(X)  # every attacked row: NaN outputs are counted over all
        except Exception as exc:  # any failure of the user's model on the user's rows
            reason = " ".join(str(exc).split())[:500] or type(exc).__name__
            raise UsageFailure(
                f"MODEL '{job.model}' failed on the {X_all.shape[1]} columns of DATA file "
                f"'{job.data}': {reason}"
            ) from exc
        _check_outputs(probe, len(rows), job.model, job.data)
        y = _labels(view, y_all[rows], job.target, job.model)
        attacks = _make_attacks(names, eps=eps, norm=job.norm, max_queries=job.max_queries)
        if not job.quiet:
            click.echo(
                f"advval: attacking {len(rows):,} of {len(X_all):,} rows of '{job.data}' with "
                f"{', '.join(type(a).__name__ for a in attacks)} ({NORM_LABELS[job.norm]}, eps "
                f"{eps:g}, at most {job.max_queries:,} queries per row)...",
                err=True,
            )
        with progress_display(enabled=not job.quiet), _warnings_to_stderr():
            try:
                report = robustness_report(
                    loaded, X, y, attacks, eps=budgets, feature_space=space, random_state=job.seed,
                    export=job.export_path,
                )
            except ImportError as exc:  # --export's extra (onnx, treelite) not installed
                raise MissingDependency(str(exc)) from exc
            except ExportCheckError as exc:
                raise UsageFailure(f"--export '{job.export_path}': {exc.reason}") from exc
            except (ValueError, TypeError) as exc:
                raise library_error(
                    exc, OPTIONS, f"attacking MODEL '{job.model}' on DATA file '{job.data}'"
                ) from exc
    if family == "torch":
        report = _named_features(report, [str(c) for c in X_all.columns])
    settings: dict[str, Any] = {
        "model": str(job.model),
        "model_format": model_fmt,
        "data": str(job.data),
        "target": job.target,
        "rows": f"{len(rows)} of {len(X_all)}"
        + (f" (seeded sample, --max-rows {job.max_rows})" if len(rows) < len(X_all) else ""),
        "attacks": names,
        "norm": job.norm,
        "eps": eps,
        "curve": budgets,
        "max_queries": job.max_queries,
        "constraints": None if job.constraints is None else str(job.constraints),
        "feature_space": "FeatureSpace.from_frame(DATA, all rows)"
        + (" + constraints" if rules else "")
        + (
            "; units without the sentinel of "
            + ", ".join(f"{n} ({v[0]:g})" for n, v in sentinel_units.items())
            if sentinel_units
            else ""
        ),
        "seed": job.seed,
        **job.csv.settings,
    }
    if job.export_path is not None:  # robustness_report(export=...)'s check, as it gave it
        check: dict[str, Any] = report.settings["export_check"]
        settings["export_check"] = check
        if not job.quiet:
            for line in export_summary(check).splitlines():
                click.echo(f"advval: --export {line}", err=True)
    report = dataclasses.replace(report, settings=settings)
    gate_failed = job.fail_under is not None and report.robust_accuracy < job.fail_under
    written = job.ci.write(plan, report, failed=gate_failed, fail_under=job.fail_under,
                       gate="" if job.fail_under is None else f"--fail-under {job.fail_under:g}")
    click.echo(f"advval: {summary_line(report)}", err=True)
    report_messages(written)
    if gate_failed:
        click.get_current_context().exit(ExitCode.DRIFT)

