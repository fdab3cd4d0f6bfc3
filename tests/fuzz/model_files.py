"""The model-file corpus: valid, malformed and crafted files for ``advval attack``,
``advval image evaluate`` and ``load_model``.

:data:`MALFORMED` lists files that are broken or unusual (no payload); :data:`CRAFTED` lists
files whose payload creates the case's marker if any code in them runs. Contents are
functions of the layout (valid models are built once, shared) and the marker path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import hostile, models, onnx_files
from .corpus import Layout

#: the content of a model file, given the layout and the case's marker path
Build = Callable[[Layout, Path], bytes | str]


@dataclass(frozen=True)
class ModelFile:
    """A model file: its name, its content, and the documented outcome of loading it.

    ``loads`` is True when ``load_model`` must return a model, False when it must raise
    ValueError, and None where both are documented (``why`` says when). ``family`` is
    ``"tabular"`` or ``"image"``: which DATA a command run gets (None: refused on loading).
    """

    filename: str
    build: Build
    loads: bool | None
    why: str
    family: str | None = None


def _shared(name: str) -> Build:
    return lambda layout, marker: layout.shared_bytes(name)


def _edited(edit: Callable[[str], str]) -> Build:
    return lambda layout, marker: edit(layout.shared_bytes("model.txt").decode())


#: edits after which loading and a clear refusal are both documented
EITHER = {
    "crlf-line-endings": "Windows line endings: read as LightGBM text, or refused (exit 2)",
    "linear-without-coefficients": "a linear-tree flag without coefficients: read as plain "
                                   "trees, or refused (exit 2)",
}


MALFORMED: dict[str, ModelFile] = {
    "lightgbm-valid": ModelFile("model.txt", _shared("model.txt"), True,
                                "a LightGBM text classifier", "tabular"),
    "lightgbm-multiclass": ModelFile("model.txt", _shared("multiclass.txt"), True,
                                     "a three-class LightGBM classifier", "tabular"),
    "torchscript-valid": ModelFile("mlp.pt", _shared("mlp.pt"), True, "a TorchScript MLP",
                                   "tabular"),
    "export-valid": ModelFile("mlp.pt2", _shared("mlp.pt2"), True, "a torch.export MLP",
                              "tabular"),
    "torchscript-cnn": ModelFile("cnn.pt", _shared("cnn.pt"), True, "a TorchScript CNN",
                                 "image"),
    "export-cnn": ModelFile("cnn.pt2", _shared("cnn.pt2"), True, "a torch.export CNN",
                            "image"),
    "torchscript-nan-scores": ModelFile("nan.pt", _shared("nan_mlp.pt"), True,
                                        "loads; its NaN scores are refused when attacked",
                                        "tabular"),
    "torchscript-nan-cnn": ModelFile("nan.pt", _shared("nan_cnn.pt"), True,
                                     "loads; its NaN scores are refused when attacked",
                                     "image"),
    "torchscript-one-score": ModelFile("one.pt", _shared("one_score.pt"), True,
                                       "loads; one score per image is not class scores",
                                       "image"),
    **{f"lightgbm-{name}": ModelFile(
        "model.txt", _edited(edit), None if name in EITHER else False,
        EITHER.get(name, f"a LightGBM model file edited: {name}"),
        "tabular" if name in EITHER else None)
       for name, edit in models.LIGHTGBM_EDITS.items()},
    "lightgbm-tree-then-garbage": ModelFile(
        "model.txt", lambda layout, marker: b"tree\n" + hostile.CSV_BYTES["binary-garbage"](),
        False, "'tree' and then random bytes"),
    "torch-save-module": ModelFile(
        "module.pt", lambda layout, marker: _torch_save_module(), False,
        "torch.save of a module is a pickle, not TorchScript (the hint says how to save)"),
    "pt2-truncated": ModelFile("cut.pt2", lambda layout, marker: layout.shared_bytes(
        "mlp.pt2")[:2000], False, "a cut torch.export archive"),
    "pt2-zip-of-text": ModelFile("text.pt2", lambda layout, marker: _zip_of_text(), False,
                                 "a zip without a program"),
    "pt2-garbage": ModelFile("garbage.pt2", lambda layout, marker: hostile.CSV_BYTES[
        "binary-garbage"](), False, "random bytes named .pt2"),
    "empty-pt": ModelFile("empty.pt", lambda layout, marker: b"", False, "an empty file"),
    "empty-pt2": ModelFile("empty.pt2", lambda layout, marker: b"", False, "an empty file"),
    "empty-txt": ModelFile("empty.txt", lambda layout, marker: b"", False, "an empty file"),
    "empty-pkl": ModelFile("empty.pkl", lambda layout, marker: b"", False,
                           "a pickle is refused without trust"),
    "csv-as-model": ModelFile("data.csv", lambda layout, marker: layout.shared_bytes(
        "data.csv"), False, "a CSV file is no model"),
    "zip-named-bin": ModelFile("model.bin", lambda layout, marker: _zip_of_text(), False,
                               "a zip that is not TorchScript"),
    "onnx-deep-tree": ModelFile("deep.onnx", lambda layout, marker: onnx_files.deep_tree(),
                                False, "an ONNX tree too deep for onnxruntime (it would crash)"),
    "onnx-truncated": ModelFile("cut.onnx", lambda layout, marker: onnx_files.truncated(),
                                False, "a cut ONNX file"),
    "onnx-external-data": ModelFile(
        "external.onnx", lambda layout, marker: onnx_files.external_data(), False,
        "an ONNX tensor naming an external file"),
    "onnx-custom-domain": ModelFile(
        "custom.onnx", lambda layout, marker: onnx_files.custom_domain(), False,
        "an ONNX operator from a custom domain"),
}


def _torch_save_module() -> bytes:
    import io

    import torch

    sink = io.BytesIO()
    torch.save(models.mlp(), sink)
    return sink.getvalue()


def _zip_of_text() -> bytes:
    import io
    import zipfile

    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        archive.writestr(zipfile.ZipInfo("readme.txt", date_time=(2020, 1, 1, 0, 0, 0)),
                         "not a model")
    return sink.getvalue()


@dataclass(frozen=True)
class Crafted:
    """A file whose payload creates the marker if its code runs.

    ``naive`` is how a careless loader opens it (``models.naive_load``), the control that
    the payload is live; ``trust`` marks pickles, which ``--trust-model`` does load;
    ``image`` marks torch formats also fed to ``advval image evaluate``. ``refused`` is
    what the refusal must say (that the file could run code, or for a file that is not
    its format at all, its name); ``either``: the payload sits where a loader need not
    read it, so loading without it is documented as well as refusing.
    """

    filename: str
    build: Build
    naive: str
    trust: bool = False
    image: bool = False
    refused: str = r"trust-model|pickle|code"
    either: bool = False


def _pt2(craft: Callable[[bytes, Path], bytes], base: str) -> Build:
    return lambda layout, marker: craft(layout.shared_bytes(base), marker)


def crafted(base: str) -> dict[str, Crafted]:
    """The crafted files; torch.export ones derived from the shared program ``base``."""
    return {
        "pickle-payload": Crafted("model.pkl", lambda layout, marker: models.pickled(
            models.MarkerPayload(marker)), "pickle", trust=True, image=True),
        "pickle-suffix-pickle": Crafted("model.pickle", lambda layout, marker: models.pickled(
            models.MarkerPayload(marker)), "pickle", trust=True),
        "joblib-payload": Crafted("model.joblib", lambda layout, marker: models.joblib_payload(
            marker), "joblib", trust=True),
        "lightgbm-tree-then-pickle": Crafted(
            "model.txt", lambda layout, marker: b"tree\n" + models.pickled(
                models.MarkerPayload(marker)), "pickle-after-tree", refused=r"model\.txt"),
        "torch-save-payload-pt": Crafted("model.pt", lambda layout, marker: (
            models.torch_saved_payload(marker)), "torch.save", image=True),
        "torch-save-payload-pth": Crafted("model.pth", lambda layout, marker: (
            models.torch_saved_payload(marker)), "torch.save"),
        "disguised-torchscript": Crafted("model.pt", lambda layout, marker: (
            models.disguised_torchscript(marker)), "zip-pickle", image=True),
        "disguised-torchscript-bin": Crafted("model.bin", lambda layout, marker: (
            models.disguised_torchscript(marker)), "zip-pickle"),
        "pt2-pickled-weight": Crafted("model.pt2", _pt2(models.pt2_pickled_weight, base),
                                      "torch.export", image=True),
        "pt2-pickled-constant": Crafted("model.pt2", _pt2(models.pt2_pickled_constant, base),
                                        "torch.export"),
        "pt2-opaque-constant": Crafted("model.pt2", _pt2(models.pt2_opaque_constant, base),
                                       "torch.export", image=True),
        "pt2-legacy-weights": Crafted("model.pt2", _pt2(models.pt2_legacy_weights, base),
                                      "torch.export"),
        "pt2-sample-inputs": Crafted("model.pt2", _pt2(models.pt2_sample_inputs, base),
                                     "torch.export", either=True),
    }
