"""Loading a saved classifier to attack, and shaping a table the way that model reads it.

These file formats are loaded without trust, each after a check that loading it runs no
code from the file (:mod:`advval.attacks._model_files` says what each check knows):

- LightGBM's native text model (``Booster.save_model``; any suffix, recognised by its
  first line ``tree``), loaded as a ``lightgbm.Booster`` once a strict check of the text
  format has passed (LightGBM's own parser aborts the process on a malformed file);
- XGBoost's JSON and UBJ models (``save_model("m.json")`` / ``"m.ubj"``; any suffix,
  recognised by content), parsed and checked by advval, then loaded as an
  ``xgboost.XGBClassifier`` from a rebuilt JSON document holding only the checked fields;
- ONNX tree ensembles (a ``ModelProto``, recognised by content), checked (size, wire
  format, no external data, custom domain, function, sub-graph or operator other than a
  tree ensemble and Cast / Identity / ZipMap / Softmax, trees that are trees and shallow
  enough for onnxruntime), parsed, and compared with onnxruntime on boundary rows, as an
  :class:`~advval.attacks.trees._onnx.OnnxTreeClassifier`;
- TorchScript (``torch.jit.save``: ``.pt``, ``.pth``, ``.ts``, ``.jit``, ``.torchscript``, or
  any zip archive holding TorchScript ``code/``), loaded on the CPU; its code may call
  PyTorch's core operators only, none that read or write files;
- a torch.export program (``torch.export.save``: ``.pt2``), loaded as its module; every
  member must be one torch reads without unpickling (no pickled weight or constant, no
  TorchBind object, no compiled native code) except the example inputs, which must be a
  pickle of tensors only and are never read; the program's strings must be what torch
  writes (its symbolic sizes are parsed by ``eval``, its names become generated Python),
  and its guard code is not compiled.

Pickle and joblib files (``.pkl``, ``.pickle``, ``.joblib``) can hold any scikit-learn
model, but unpickling runs whatever code the file names: they are refused unless the
caller says the file is trusted (``trust=True``, the CLI's ``--trust-model``). With trust,
TorchScript and torch.export files are loaded as torch loads them, unchecked.

:func:`model_frame` then selects and types the columns of a DataFrame as the model expects
them (LightGBM: its feature order and its stored pandas categories).
"""

from __future__ import annotations

import io
import logging
import pickle
import tempfile
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import _compat
from ..exceptions import DataWarning
from ._model_files import (
    NOT_TORCHSCRIPT,
    PICKLE_RISK,
    TRUST_HINT,
    check_export_archive,
    check_lightgbm_text,
    check_torchscript_archive,
    read_archive,
)
from ._model_files._catboost import (
    CBM_MAGIC,
    check_catboost_binary,
    check_catboost_json,
    looks_like_catboost_json,
)
from ._model_files._onnx import MAX_ONNX_BYTES, looks_like_onnx
from ._model_files._xgboost import (
    MAX_UBJ_BYTES,
    parse_xgboost_bytes,
    rebuilt_json,
    xgboost_kind,
)

#: suffixes of files that run code when loaded
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
#: suffixes of TorchScript archives (any zip archive holding TorchScript code is accepted)
TORCHSCRIPT_SUFFIXES = (".pt", ".pth", ".ts", ".jit", ".torchscript")
#: suffixes of torch.export programs
EXPORT_SUFFIXES = (".pt2",)
#: LightGBM objectives that make a classifier (canonical names, as a loaded Booster gives them)
CLASSIFIER_OBJECTIVES = ("binary", "multiclass", "multiclassova")

SUPPORTED = (
    "a LightGBM text model (Booster.save_model, any suffix), an XGBoost model "
    "(save_model to .json or .ubj, any suffix), a CatBoost model (.cbm or "
    "save_model(format='json'), any suffix), a TorchScript module "
    f"(torch.jit.save: {', '.join(TORCHSCRIPT_SUFFIXES)}), a torch.export program "
    f"(torch.export.save: {', '.join(EXPORT_SUFFIXES)}), an ONNX tree ensemble classifier "
    "(TreeEnsembleClassifier: skl2onnx, onnxmltools), or with trust a pickle / joblib "
    f"file ({', '.join(PICKLE_SUFFIXES)})"
)

__all__ = ["PICKLE_RISK", "SUPPORTED", "load_model", "model_format", "model_frame"]

#: the DeprecationWarning torch >= 2.9 gives for torch.jit.load (the user chose the format)
_JIT_LOAD_DEPRECATED = r"`torch\.jit\.load` is deprecated"


def model_format(path: str | Path) -> str:
    """What kind of model a saved file holds, without loading it.

    The format is read from the file's suffix (pickles, TorchScript, torch.export) and
    from its first bytes (LightGBM text models, XGBoost JSON / UBJSON, CatBoost, ONNX,
    TorchScript archives under another suffix). Nothing is unpickled or executed.

    Parameters
    ----------
    path : str or path-like
        The model file.

    Returns
    -------
    str
        ``"lightgbm"``, ``"xgboost"``, ``"catboost"``, ``"onnx"``, ``"torchscript"``,
        ``"torch.export"`` or ``"pickle"``: the formats :func:`load_model` reads.

    Raises
    ------
    ValueError
        For any other file, or one that cannot be read, naming it and the supported
        formats.

    See Also
    --------
    load_model : load the file (pickles only with ``trust=True``).
    model_family : which attacks apply to the loaded model.

    Examples
    --------
    >>> model_format("model.joblib"), model_format("net.pt2")
    ('pickle', 'torch.export')
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        return "pickle"
    if suffix in EXPORT_SUFFIXES:
        return "torch.export"
    if suffix in TORCHSCRIPT_SUFFIXES:
        return "torchscript"
    _refuse_special(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise ValueError(f"cannot read the model file '{path}': {exc.strerror or exc}") from exc
    if head.startswith((b"tree\n", b"tree\r\n")):
        return "lightgbm"
    if xgboost_kind(head) is not None:
        return "xgboost"
    if head.startswith(CBM_MAGIC) or looks_like_catboost_json(head):
        return "catboost"
    if looks_like_onnx(head):
        return "onnx"
    if zipfile.is_zipfile(path) and _holds_torchscript(path):
        return "torchscript"
    raise ValueError(f"cannot load the model file '{path}': unknown format; expected {SUPPORTED}")


def _holds_torchscript(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any("/code/" in name for name in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False


def load_model(path: str | Path, *, trust: bool = False) -> Any:
    """Load a saved classifier to attack.

    Parameters
    ----------
    path : str or Path
        A LightGBM text model (``Booster.save_model``), a TorchScript module
        (``torch.jit.save``), a torch.export program (``torch.export.save``, ``.pt2``), an
        ONNX tree ensemble classifier or, with ``trust=True``, a pickle / joblib file
        holding a fitted classifier.
    trust : bool, default=False
        Load pickle and joblib files, and TorchScript and torch.export files without
        checking them. Unpickling runs any code the file contains: only set this for files
        you made yourself or otherwise trust.

    Returns
    -------
    model : lightgbm.Booster, torch.nn.Module, OnnxTreeClassifier or the unpickled object
        Torch models are loaded on the CPU; ONNX models are run by onnxruntime. An
        exported program's module has its ``training`` flags cleared: its graph was fixed
        at export, so the flag means nothing, and attacks would otherwise warn about a
        model in training mode.

    Raises
    ------
    ValueError
        Unknown format, unreadable or corrupt file, a LightGBM model that is not a
        classifier, or, without ``trust``, a pickle or a member of an archive that loading
        would unpickle or run (the message names the file and the member and says why).
    ImportError
        A torch model without PyTorch installed (an ONNX model without onnx and
        onnxruntime); the message gives the ``pip install "advval[torch]"``
        (``"advval[onnx]"``) fix.

    Examples
    --------
    >>> import lightgbm as lgb, numpy as np, tempfile, os
    >>> X = np.random.RandomState(0).normal(size=(60, 2)); y = (X[:, 0] > 0).astype(int)
    >>> booster = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1},
    ...                     lgb.Dataset(X, y), num_boost_round=2)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.txt")
    >>> _ = booster.save_model(path)
    >>> type(load_model(path)).__name__
    'Booster'
    """
    path = Path(path)
    kind = model_format(path)
    if kind == "pickle":
        return _load_pickle(path, trust)
    if kind == "lightgbm":
        return _load_lightgbm(path, _read(path))
    if kind == "xgboost":
        return _load_xgboost(path)
    if kind == "catboost":
        return _load_catboost(path, _read(path), trust)
    if kind == "onnx":
        return _load_onnx(path)
    torch = _compat.require("torch", feature=f"Loading the {kind} model '{path}'")
    if kind == "torchscript":
        return _load_torchscript(torch, path, _read(path), trust)
    return _load_export(torch, path, _read(path), trust)


def _refuse_special(path: Path) -> None:
    """A pipe or a device would block or never end: only regular files are read."""
    if path.exists() and not path.is_file() and not path.is_dir():
        raise ValueError(
            f"cannot read the model file '{path}': it is not a regular file (a pipe or device)"
        )


def _read(path: Path) -> bytes:
    """The file's bytes, read once: what is checked is what is loaded."""
    _refuse_special(path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the model file '{path}': {exc.strerror or exc}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _load_lightgbm(path: Path, data: bytes) -> Any:
    import lightgbm as lgb

    text = check_lightgbm_text(data, path)
    try:
        booster = lgb.Booster(model_str=text)
    except Exception as exc:  # the text passed the check: any failure is still bad input
        raise ValueError(
            f"cannot load the LightGBM model '{path}': {_first_line(exc)}"
        ) from exc
    objective = str(booster.params.get("objective", "")).split(" ")[0]
    if objective not in CLASSIFIER_OBJECTIVES:
        raise ValueError(
            f"the LightGBM model '{path}' has objective {objective!r}; attacks need a "
            f"classifier (objective {', '.join(CLASSIFIER_OBJECTIVES)})"
        )
    return booster


def _load_onnx(path: Path) -> Any:
    """An ONNX tree classifier: checked (no external data, custom domains or other
    operators), parsed, and compared with onnxruntime before it is returned."""
    for name in ("onnx", "onnxruntime"):
        _compat.require(name, feature=f"Loading the ONNX model '{path}'")
    from .trees._onnx import OnnxTreeClassifier

    _refuse_special(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_ONNX_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"cannot read the model file '{path}': {exc.strerror or exc}") from exc
    return OnnxTreeClassifier(data, str(path))


def _load_catboost(path: Path, data: bytes, trust: bool) -> Any:
    """A CatBoost ``.cbm`` or JSON model, checked strictly first unless trusted."""
    catboost = _compat.require("catboost", feature=f"Loading the CatBoost model '{path}'")
    binary = data.startswith(CBM_MAGIC)
    if not trust:  # CatBoost loads the checked fields only, rebuilt as JSON
        data = check_catboost_binary(data, path) if binary else check_catboost_json(data, path)
        binary = False
    model = catboost.CatBoostClassifier()
    try:
        if binary:
            model.load_model(blob=data)
        else:
            with tempfile.TemporaryDirectory(prefix="advval-catboost-") as tmp:
                copy = Path(tmp) / "model.json"
                copy.write_bytes(data)
                model.load_model(str(copy), format="json")
    except Exception as exc:  # the file passed the check: any failure is still bad input
        raise ValueError(f"cannot load the CatBoost model '{path}': {_first_line(exc)}") from exc
    return model


def _load_xgboost(path: Path) -> Any:
    """An XGBoost JSON / UBJ model, parsed and checked by advval first (even with trust:
    the file holds no code, and XGBoost's C++ loader is not a validator)."""
    xgb = _compat.require("xgboost", feature=f"Loading the XGBoost model '{path}'")
    _refuse_special(path)
    try:
        with open(path, "rb") as handle:  # no more than the largest model read
            data = handle.read(MAX_UBJ_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"cannot read the model file '{path}': {exc.strerror or exc}") from exc
    try:
        document = parse_xgboost_bytes(data, path)
    except TypeError as exc:
        raise ValueError(f"cannot attack the XGBoost model '{path}': {exc}") from None
    model = xgb.XGBClassifier(enable_categorical="c" in document.feature_types)
    try:
        model.load_model(bytearray(rebuilt_json(document)))
    except Exception as exc:  # the document passed the check: any failure is still bad input
        raise ValueError(f"cannot load the XGBoost model '{path}': {_first_line(exc)}") from exc
    return model


def _load_torchscript(torch: Any, path: Path, data: bytes, trust: bool) -> Any:
    if not trust:
        data = check_torchscript_archive(read_archive(path, data, what="TorchScript"))
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=_JIT_LOAD_DEPRECATED, category=DeprecationWarning
            )
            return torch.jit.load(io.BytesIO(data), map_location="cpu")
    except Exception as exc:  # a file torch cannot read, whatever torch raises for it
        raise ValueError(
            f"cannot load the TorchScript model '{path}': {_first_line(exc)} "
            f"({NOT_TORCHSCRIPT})"
        ) from exc


def _load_export(torch: Any, path: Path, data: bytes, trust: bool) -> Any:
    if not trust:
        data = check_export_archive(read_archive(path, data, what="torch.export"))
    with _torch_export_log() as logged:
        try:
            program = torch.export.load(io.BytesIO(data))
            # without trust no guard code from the file is compiled (it is Python source)
            module = program.module() if trust else program.module(check_guards=False)
        except Exception as exc:  # a file torch cannot read, whatever torch raises for it
            cause = logged[0] if logged else exc  # torch logs the first error, then retries
            raise ValueError(
                f"cannot load the torch.export model '{path}': {_first_line(cause)}"
            ) from exc
    for child in module.modules():
        child.training = False
    return module


class _Collect(logging.Handler):
    """Keeps the exceptions of the records it receives."""

    def __init__(self, errors: list[BaseException]) -> None:
        super().__init__()
        self.errors = errors

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.errors.append(record.exc_info[1])


@contextmanager
def _torch_export_log() -> Iterator[list[BaseException]]:
    """The errors torch.export logs while loading (with tracebacks, which a failed load
    would otherwise print on the user's terminal), collected instead of printed."""
    logger = logging.getLogger("torch.export")
    errors: list[BaseException] = []
    handlers, propagate = logger.handlers[:], logger.propagate
    logger.handlers, logger.propagate = [_Collect(errors)], False
    try:
        yield errors
    finally:
        logger.handlers, logger.propagate = handlers, propagate


def _load_pickle(path: Path, trust: bool) -> Any:
    if not trust:
        raise ValueError(
            f"refusing to load '{path}': {PICKLE_RISK}. {TRUST_HINT}, or save the model as "
            "a LightGBM text model, TorchScript or torch.export file instead"
        )
    try:
        if path.suffix.lower() == ".joblib":
            import joblib

            return joblib.load(path)
        with open(path, "rb") as handle:
            return pickle.load(handle)  # noqa: S301 - the caller trusts the file
    except ModuleNotFoundError as exc:
        raise ValueError(
            f"cannot load the pickled model '{path}': it needs the module '{exc.name}', "
            "which is not installed"
        ) from exc
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError) as exc:
        raise ValueError(f"cannot load the pickled model '{path}': {_first_line(exc)}") from exc


# -- the model's columns ----------------------------------------------------------------


def model_frame(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``X`` the model reads, in its order and with the types it expects.

    Parameters
    ----------
    model : lightgbm.Booster, estimator or torch module
        A LightGBM Booster (or LGBMClassifier) takes its ``feature_name()`` columns (by
        position when it was trained without names and ``X`` has exactly as many columns);
        its categorical columns become pandas categories with the categories stored in the
        model (values it never saw become missing, as LightGBM treats them). An estimator with
        ``feature_names_in_`` takes those columns. Anything else takes all of ``X``.
    X : DataFrame
        The features (the label already removed); not modified.

    Returns
    -------
    DataFrame

    Raises
    ------
    ValueError
        Naming the columns the model needs that ``X`` lacks, or a text column a LightGBM
        model reads as a number.

    Examples
    --------
    >>> class Model:
    ...     feature_names_in_ = np.array(["b", "a"])
    >>> list(model_frame(Model(), pd.DataFrame({"a": [1], "b": [2], "c": [3]})).columns)
    ['b', 'a']
    """
    booster = _booster(model)
    if booster is not None:
        names = list(booster.feature_name())
        if _unnamed(names) and X.shape[1] == len(names) and not set(names) & set(X.columns):
            frame = X.set_axis(names, axis=1)
        else:
            frame = _select(X, names, spaces_as="_")
        return _lightgbm_types(booster, frame)
    if type(model).__module__.startswith("catboost"):
        return _catboost_frame(model, X)
    names_in = getattr(model, "feature_names_in_", None)
    if names_in is not None:
        frame = _select(X, [str(n) for n in names_in])
        if type(model).__module__.startswith("xgboost"):
            return _xgboost_types(model, frame)
        return frame
    return X


def _xgboost_types(model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """An XGBoost model's categorical columns as pandas categories, in the category order
    the model stores (XGBoost >= 3.1), or as found when it stores none."""
    import json

    from .trees._xgboost import category_values, parse_document

    booster = model.get_booster()
    types = list(booster.feature_types or [])
    coded = [name for name, kind in zip(frame.columns, types, strict=False) if kind == "c"]
    if not coded:
        return frame
    stored = category_values(parse_document(json.loads(bytes(booster.save_raw("json")))))
    frame = frame.copy()
    for i, name in enumerate(coded):
        if stored is not None and i < len(stored):
            frame[name] = _as_categories(frame[name], list(stored[i]), as_library="")
        elif not isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype("category")
    return frame


def _catboost_frame(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    """A CatBoost model's ``feature_names_`` columns (by position when it was trained
    without names); its numeric categorical columns become pandas categories, so attacks
    move them between the categories the data holds."""
    names = [str(n) for n in (getattr(model, "feature_names_", None) or [])]
    if not names:
        return X
    default = [str(i) for i in range(len(names))]
    if names == default and X.shape[1] == len(names) and not set(names) & {
        str(c) for c in X.columns
    }:
        frame = X.set_axis(names, axis=1)
    else:
        frame = _select(X, names)
    coded = [names[i] for i in model.get_cat_feature_indices()]
    numeric = [c for c in coded if pd.api.types.is_numeric_dtype(frame[c])]
    if not numeric:
        return frame
    frame = frame.copy()
    for name in numeric:
        column = frame[name]
        whole = column.dropna()
        if pd.api.types.is_float_dtype(column) and (whole == np.round(whole)).all():
            column = column.astype("Int64")  # CatBoost reads 3, not 3.0, as a category
        frame[name] = column.astype("category")
    return frame


def _booster(model: Any) -> Any:
    """The LightGBM Booster of a Booster or a fitted LGBMClassifier, else None."""
    if not type(model).__module__.startswith("lightgbm"):
        return None
    if type(model).__name__ == "Booster":
        return model
    return getattr(model, "_Booster", None)


def _unnamed(names: Sequence[str]) -> bool:
    return all(name == f"Column_{i}" for i, name in enumerate(names))


def _select(X: pd.DataFrame, names: list[str], spaces_as: str | None = None) -> pd.DataFrame:
    """``X``'s columns ``names``, under ``X``'s own names.

    ``spaces_as``: the model stored each name with its spaces replaced by this (LightGBM
    saves ``"origin name"`` as ``"origin_name"``); a column of ``X`` is found under that
    spelling too, when no other column has it.
    """
    columns = {str(c): c for c in X.columns}
    if spaces_as is not None:
        spelled: dict[str, list[Any]] = {}
        for column in X.columns:
            spelled.setdefault(str(column).replace(" ", spaces_as), []).append(column)
        for name, found in spelled.items():
            if name not in columns and len(found) == 1:
                columns[name] = found[0]
    missing = [name for name in names if name not in columns]
    if missing:
        raise ValueError(
            f"the model needs {len(names)} columns and {len(missing)} are missing from the "
            f"data: {missing[:20]!r}{' ...' if len(missing) > 20 else ''}"
        )
    return X[[columns[name] for name in names]]


def _lightgbm_types(booster: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as pandas categories in the model's category order."""
    indices = [int(i) for i in booster.params.get("categorical_feature", []) or []]
    stored = booster.pandas_categorical or []
    names = list(frame.columns)
    coded = [names[i] for i in indices if i < len(names)]
    if stored and len(stored) != len(coded):
        coded = [c for c in coded if not pd.api.types.is_numeric_dtype(frame[c])]
    if stored and len(stored) != len(coded):
        raise ValueError(
            f"the LightGBM model stores categories for {len(stored)} columns but marks "
            f"{len(coded)} columns as categorical; cannot tell which is which"
        )
    frame = frame.copy()
    for name, categories in zip(coded if stored else (), stored, strict=False):
        frame[name] = _as_categories(frame[name], list(categories))
    text = [
        c for c in names
        if c not in coded and not pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    ]
    if text:
        raise ValueError(
            f"column(s) {text[:20]!r} hold text, but the LightGBM model reads them as numbers "
            "(it was not trained on them as pandas categories); encode them as the model's "
            "training data was"
        )
    return frame


def _as_categories(
    column: pd.Series, categories: list[Any], as_library: str = ", as LightGBM does"
) -> pd.Series:
    """``column`` as a categorical with exactly ``categories`` (matched as is, or as text)."""
    known = column.where(column.isin(categories))  # pandas deprecates unknown values here
    direct = pd.Categorical(known, categories=categories)
    if not (direct.isna() & column.notna().to_numpy()).any():
        return pd.Series(direct, index=column.index, name=column.name)
    as_text = {str(c): c for c in categories}
    mapped = column.map(lambda v: as_text.get(str(v), np.nan) if pd.notna(v) else v)
    by_text = pd.Categorical(mapped, categories=categories)
    best = min((direct, by_text), key=lambda c: int(c.isna().sum()))
    unseen = column[np.asarray(best.isna()) & column.notna().to_numpy()]
    if len(unseen):
        shown = sorted({str(v) for v in unseen})[:5]
        warnings.warn(
            f"column {str(column.name)!r} has {len(unseen)} values the model never saw as "
            f"categories (e.g. {shown}); they are treated as missing{as_library}",
            DataWarning,
            stacklevel=3,
        )
    return pd.Series(best, index=column.index, name=column.name)
