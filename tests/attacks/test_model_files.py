"""Hostile model files: nothing a file holds runs unless the caller trusts the file.

Each crafted file below would create a marker file if any part of it were executed or
unpickled. Without trust the loader refuses it with a ValueError naming the file and the
member, and the marker stays absent; where the danger is real with trust, the same file run
with ``trust=True`` creates the marker, which proves the test can see execution.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import joblib
import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

import advval
from advval.attacks._loading import load_model, model_format
from advval.attacks._model_files import check_lightgbm_text
from advval.attacks._model_files._export_program import sympy_problem
from advval.attacks._model_files._tensor_pickle import tensor_pickle_problem
from advval.attacks._model_files._torchscript import code_problem
from advval.attacks._model_files._zip import read_archive
from advval.cli._exit import ExitCode

try:  # LightGBM text files, pickles and archives are checked without torch
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")

ROOT = Path(advval.__file__).resolve().parent.parent
TRUST = re.escape("Load it only if you trust the file (--trust-model, or trust=True)")
PICKLE = re.escape(
    "and unpickling runs any code the file contains, so a model file from someone else can "
    "take over this machine"
)


class _Run:
    """Unpickling this runs ``code`` (what a hostile pickle does)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


def _touch(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').close()"


def _hostile_pickle(marker: Path) -> bytes:
    return pickle.dumps(_Run(_touch(marker)), protocol=2)


def _hostile_torch_save(marker: Path) -> bytes:
    buffer = io.BytesIO()
    torch.save(_Run(_touch(marker)), buffer)
    return buffer.getvalue()


@pytest.fixture
def marker(tmp_path) -> Path:
    path = tmp_path / "marker"
    assert not path.exists()
    return path


# -- archives ----------------------------------------------------------------------------


def _members(path: Path) -> tuple[str, dict[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        root = names[0].split("/")[0]
        return root, {name[len(root) + 1:]: archive.read(name) for name in names}


def _rewrite(
    source: Path, target: Path, change: dict[str, bytes | None] | None = None
) -> Path:
    """``source`` with members replaced, added (new names) or removed (None)."""
    root, members = _members(source)
    for name, data in (change or {}).items():
        if data is None:
            members.pop(name)
        else:
            members[name] = data
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(f"{root}/{name}", data)
    return target


def _edit_json(source: Path, target: Path, member: str, edit: Callable[[dict], None]) -> Path:
    document = json.loads(_members(source)[1][member])
    edit(document)
    return _rewrite(source, target, {member: json.dumps(document).encode()})


if torch is not None:
    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(3, 2)
            self.register_buffer("shift", torch.tensor([0.5, -0.5]))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.layer(x) + self.shift


    class Holder:
        """A TorchScript class whose ``__setstate__`` writes a file while the module loads."""

        def __init__(self, path: str) -> None:
            self.path = path

        def __getstate__(self) -> str:
            return self.path

        def __setstate__(self, state: str) -> None:
            torch.save(torch.zeros(1), state)
            self.path = state


    class Writer(torch.nn.Module):
        def __init__(self, path: str) -> None:
            super().__init__()
            self.holder = Holder(path)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x


def _save_writer(marker: Path, path: Path) -> Path:
    """TorchScript whose loading writes ``marker`` (with torch.save, from TorchScript)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's deprecation notices
        torch.jit.script(Holder)
        torch.jit.script(Writer(str(marker))).save(str(path))
    return path


@pytest.fixture(scope="module")
def nets(tmp_path_factory) -> dict[str, Path]:
    """A small network saved as torch.export, TorchScript (scripted, traced), quantized."""
    if torch is None:
        pytest.skip("needs torch")
    folder = tmp_path_factory.mktemp("nets")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = Net().eval()
    x = torch.linspace(-1, 1, 12).reshape(4, 3)
    program = torch.export.export(net, (x,), dynamic_shapes={"x": {0: torch.export.Dim("n")}})
    paths = {name: folder / name for name in ("net.pt2", "net.pt", "traced.pt", "quant.pt")}
    torch.export.save(program, str(paths["net.pt2"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's deprecation notices
        torch.jit.script(net).save(str(paths["net.pt"]))
        torch.jit.trace(net, x).save(str(paths["traced.pt"]))
        quantized = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear}, torch.qint8)
        torch.jit.script(quantized).save(str(paths["quant.pt"]))
    return paths


def _output(model, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(x)


# -- pickle and joblib -------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".joblib"])
def test_pickles_run_nothing_without_trust(tmp_path, marker, suffix):
    path = tmp_path / f"model{suffix}"
    if suffix == ".joblib":
        joblib.dump(_Run(_touch(marker)), path)
    else:
        path.write_bytes(_hostile_pickle(marker))
    message = (
        f"refusing to load '{path}': unpickling runs any code the file contains, so a model "
        "file from someone else can take over this machine. Load it only if you trust the "
        "file (--trust-model, or trust=True), or save the model as a LightGBM text model, "
        "TorchScript or torch.export file instead"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        load_model(path)
    assert not marker.exists()
    load_model(path, trust=True)  # the caller trusts it: it runs
    assert marker.exists()


# -- torch.export ------------------------------------------------------------------------


def test_an_exported_program_loads_without_trust_and_computes_the_same(nets):
    x = torch.randn(7, 3, generator=torch.Generator().manual_seed(1))
    reference = _output(torch.export.load(str(nets["net.pt2"])).module(), x)
    loaded = load_model(nets["net.pt2"])
    assert torch.equal(_output(loaded, x), reference)
    assert not any(m.training for m in loaded.modules())


def _pickled_weight(source: Path, target: Path, marker: Path) -> Path:
    root, members = _members(source)
    config = json.loads(members["data/weights/model_weights_config.json"])
    member = config["config"]["shift"]["path_name"]
    config["config"]["shift"]["use_pickle"] = True
    return _rewrite(source, target, {
        "data/weights/model_weights_config.json": json.dumps(config).encode(),
        f"data/weights/{member}": _hostile_torch_save(marker),
    })


def test_a_pickled_weight_is_refused_and_never_unpickled(nets, tmp_path, marker):
    path = _pickled_weight(nets["net.pt2"], tmp_path / "weights.pt2", marker)
    member = json.loads(_members(path)[1]["data/weights/model_weights_config.json"])
    name = member["config"]["shift"]["path_name"]
    message = (
        f"refusing to load '{path}': its member 'data/weights/{name}' is a pickle (the weight "
        "'shift', use_pickle in 'data/weights/model_weights_config.json'), "
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}{PICKLE}. {TRUST}$"):
        load_model(path)
    assert not marker.exists()
    with pytest.raises(ValueError, match="cannot load the torch.export model"):
        load_model(path, trust=True)  # torch unpickles it, then fails on what it got
    assert marker.exists()


def _with_constant(source: Path, target: Path, member: str, data: bytes, pickled: bool) -> Path:
    config = {"config": {"c": {"path_name": member, "is_param": False, "use_pickle": pickled,
                               "tensor_meta": None}}}
    return _rewrite(source, target, {
        "data/constants/model_constants_config.json": json.dumps(config).encode(),
        f"data/constants/{member}": data,
    })


@pytest.mark.parametrize("member, pickled, what", [
    ("tensor_0", True, "is a pickle (the constant 'c', use_pickle in "
                       "'data/constants/model_constants_config.json'), "),
    ("opaque_obj_0", True, "is a pickle (the constant 'c', use_pickle in "
                           "'data/constants/model_constants_config.json'), "),
    ("opaque_obj_0", False, "is a pickle (the constant 'c', use_pickle in "
                            "'data/constants/model_constants_config.json'), "),
])
def test_pickled_constants_are_refused(nets, tmp_path, marker, member, pickled, what):
    path = _with_constant(nets["net.pt2"], tmp_path / "c.pt2", member,
                          _hostile_pickle(marker), pickled)
    message = f"refusing to load '{path}': its member 'data/constants/{member}' {what}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}{PICKLE}. {TRUST}$"):
        load_model(path)
    assert not marker.exists()
    if member.startswith("opaque") and pickled:
        with pytest.raises(ValueError, match="cannot load the torch.export model"):
            load_model(path, trust=True)
        assert marker.exists()  # torch.export.load runs pickle.loads on it


def test_a_torchbind_constant_is_refused(nets, tmp_path, marker):
    path = _with_constant(nets["net.pt2"], tmp_path / "c.pt2", "custom_obj_0",
                          _hostile_pickle(marker), True)
    message = (
        f"refusing to load '{path}': its member 'data/constants/custom_obj_0' holds the "
        "constant 'c', a TorchBind object rebuilt by native code advval cannot check. "
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}{TRUST}$"):
        load_model(path)


@pytest.mark.parametrize("kind, problem", [
    ("pickle", "is not a torch.save archive"),
    ("torch.save", "names the global '__builtin__ exec'"),
])
def test_hostile_example_inputs_are_refused(nets, tmp_path, marker, kind, problem):
    data = _hostile_pickle(marker) if kind == "pickle" else _hostile_torch_save(marker)
    path = _rewrite(nets["net.pt2"], tmp_path / "inputs.pt2", {"data/sample_inputs/model.pt": data})
    message = (
        f"refusing to load '{path}': its member 'data/sample_inputs/model.pt' is a pickle (the "
        f"example inputs; it {problem}), "
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}{PICKLE}. {TRUST}$"):
        load_model(path)
    assert not marker.exists()
    # torch itself unpickles them (weights_only=True fails, it retries with weights_only=False)
    with pytest.raises(ValueError, match="cannot load the torch.export model"):
        load_model(path, trust=True)
    assert marker.exists()


def _torch_save_with(pickled: bytes) -> bytes:
    """A torch.save archive whose data.pkl is ``pickled``."""
    buffer = io.BytesIO()
    torch.save((), buffer)
    root, members = _members_of(buffer.getvalue())
    members["data.pkl"] = pickled
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(f"{root}/{name}", data)
    return out.getvalue()


def _members_of(data: bytes) -> tuple[str, dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = archive.namelist()[0].split("/")[0]
        return root, {n[len(root) + 1:]: archive.read(n) for n in archive.namelist()}


def test_example_inputs_that_pass_the_check_are_still_never_read(nets, tmp_path):
    broken = _torch_save_with(b"\x80\x02ccollections\nOrderedDict\nK\x01\x85R.")  # raises
    assert tensor_pickle_problem(broken) is None  # only plain opcodes and allowed globals
    path = _rewrite(nets["net.pt2"], tmp_path / "inputs.pt2",
                    {"data/sample_inputs/model.pt": broken})
    x = torch.ones(2, 3)
    assert torch.equal(_output(load_model(path), x), _output(load_model(nets["net.pt2"]), x))
    with pytest.raises(ValueError, match="cannot load the torch.export model"):
        load_model(path, trust=True)  # torch reads them, and fails


@needs_torch
@pytest.mark.parametrize("pickled, problem", [
    (b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x06system\x93.",
     "uses the pickle opcode STACK_GLOBAL"),
    (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n}b.", "uses the pickle opcode BUILD"),
    (b"\x80\x02cposix\nsystem\n.", "names the global 'posix system'"),
    (b"\x80\x02ctorch\nFloatStorage\n", "is not a readable pickle (pickle exhausted before "
                                           "seeing STOP)"),
])
def test_example_inputs_are_read_as_opcodes_only(pickled, problem):
    assert tensor_pickle_problem(_torch_save_with(pickled)) == problem


@pytest.mark.parametrize("member, reason", [
    ("data/weights/model.pt", "is a pickle (a legacy state dict or constants file), "),
    ("data/constants/model.pt", "is a pickle (a legacy state dict or constants file), "),
])
def test_legacy_pickles_in_an_archive_are_refused(nets, tmp_path, marker, member, reason):
    path = _rewrite(nets["net.pt2"], tmp_path / "legacy.pt2", {member: _hostile_torch_save(marker)})
    message = f"refusing to load '{path}': its member '{member}' {reason}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}{PICKLE}. {TRUST}$"):
        load_model(path)
    assert not marker.exists()


@pytest.mark.parametrize("member, reason", [
    ("data/aotinductor/model/model.so", "is native code compiled by AOTInductor, which loading "
                                        "runs in this process"),
    ("data/executorch/program.pte", "is not part of a torch.export program advval can check"),
    ("version", "is not part of a torch.export program advval can check"),
    ("data/weights/weight_99", "is not part of a torch.export program advval can check"),
])
def test_members_outside_the_allow_list_are_refused(nets, tmp_path, member, reason):
    path = _rewrite(nets["net.pt2"], tmp_path / "extra.pt2", {member: b"\x7fELF"})
    message = f"refusing to load '{path}': its member '{member}' {reason}. "
    with pytest.raises(ValueError, match=f"^{re.escape(message)}{TRUST}$"):
        load_model(path)


def _set_size(document: dict, expression: str) -> None:
    document["graph_module"]["graph"]["tensor_values"]["x"]["sizes"][0] = {
        "as_expr": {"expr_str": expression, "hint": {"as_int": 4}}
    }


def test_a_symbolic_size_that_runs_code_is_refused(nets, tmp_path, marker):
    expression = f"__import__('builtins').exec({_touch(marker)!r})"
    path = _edit_json(nets["net.pt2"], tmp_path / "sympy.pt2", "models/model.json",
                      lambda d: _set_size(d, expression))
    message = (
        f"refusing to load '{path}': its member 'models/model.json' has the symbolic size "
        f"{expression[:60]!r}, which uses characters a sympy expression written by torch "
        "does not; torch parses symbolic sizes with sympy, which runs them as Python. "
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}{TRUST}$"):
        load_model(path)
    assert not marker.exists()
    with pytest.raises(ValueError, match="cannot load the torch.export model"):
        load_model(path, trust=True)
    assert marker.exists()  # sympify evaluated it


@pytest.mark.parametrize("expression, problem", [
    ("Symbol('s0').__class__", "uses attribute access"),
    ("getattr(Symbol('s0'), 'x')", "calls getattr"),
    ("Pow(Integer(10), Integer(10000000))", "raises a number, not a symbol, to a power"),
    ("LShift(Integer(1), Integer(99999999999))", "raises a number, not a symbol, to a power"),
    ("Symbol('x y')", "has a Symbol that is not named like 's0'"),
    ("Float('1e5', precision=100000000)", "passes precision=100000000 to Float"),
    ("Integer(" + "9" * 40 + ")", "has an Integer that is not a small integer"),
    ("Add(Symbol('s0'), y)", "names y"),
    ("lambda: 0", "uses characters a sympy expression written by torch does not"),
    ("Symbol('s0') # comment", "uses characters a sympy expression written by torch does not"),
    ("s" * 10_001, "is longer than 10000 characters"),
    ("Symbol('s0'", "is not an expression"),
    ("Add(Symbol('s0'), 'x')", "has a constant outside Integer(...)"),
    ("Symbol('s0') + 1", "uses BinOp"),
    ("Symbol('s0')(1)", "calls something that is not a function name"),
    ("Symbol('s0', integer=Integer(1))", "passes a computed keyword to Symbol"),
    ("Float('x')", "has a Float that is not a number"),
    ("Rational(1, Symbol('s0'))", "has a Rational that is not a small integer"),
])
def test_symbolic_sizes_are_held_to_what_torch_writes(expression, problem):
    assert sympy_problem(expression) == problem


@needs_torch
def test_symbolic_sizes_torch_writes_are_accepted(tmp_path):
    class Flat(torch.nn.Module):
        def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return x.flatten(1)[:, : 2 * y.shape[1]].sum(1) + y.sum(1)

    n, w, k = (torch.export.Dim(name, min=2, max=64) for name in ("n", "w", "k"))
    program = torch.export.export(Flat(), (torch.ones(4, 3, 9), torch.ones(4, 3)),
                                  dynamic_shapes={"x": {0: n, 2: w}, "y": {0: n, 1: k}})
    torch.export.save(program, str(tmp_path / "flat.pt2"))
    x, y = torch.ones(5, 3, 7), torch.ones(5, 2)
    assert torch.equal(load_model(tmp_path / "flat.pt2")(x, y), Flat()(x, y))


def test_guard_code_is_never_compiled_without_trust(nets, tmp_path, marker):
    path = _edit_json(nets["net.pt2"], tmp_path / "guards.pt2", "models/model.json",
                      lambda d: d.update(guards_code=[f"{_touch(marker)} is None"]))
    x = torch.ones(4, 3)
    _output(load_model(path), x)
    assert not marker.exists()
    _output(load_model(path, trust=True), x)  # the guard function runs it on every call
    assert marker.exists()


def test_names_that_would_become_code_are_refused(nets, tmp_path, marker):
    name = f"x=({_touch(marker)})"
    text = _members(nets["net.pt2"])[1]["models/model.json"].decode()
    path = _rewrite(nets["net.pt2"], tmp_path / "names.pt2",
                    {"models/model.json": text.replace('"x"', json.dumps(name)).encode()})
    message = re.escape(f"refusing to load '{path}': its member 'models/model.json' has the ")
    with pytest.raises(ValueError, match=f"^{message}" + r"\w+ [\"']x=\(open\(.*, which is not a "
                       r"plain name \(letters, digits, '_', '\.'\); names are pasted into the "
                       rf"Python code torch generates for the model. {TRUST}$"):
        load_model(path)
    assert not marker.exists()
    with pytest.raises(ValueError, match="cannot load the torch.export model"):
        load_model(path, trust=True)
    assert marker.exists()  # pasted into the generated forward's signature


def _node(document: dict) -> dict:
    return document["graph_module"]["graph"]["nodes"][0]


@pytest.mark.parametrize("edit, found", [
    (lambda d: _node(d).update(target="torch.os.system"),
     "calls 'torch.os.system', which is neither a PyTorch operator nor a function torch's "
     "verifier allows"),
    (lambda d: _node(d).update(target="torch.ops.aten.save"),
     "calls 'torch.ops.aten.save', which writes or reads files or reaches other machines"),
    (lambda d: _node(d).update(target="torch.ops.image.write_file.default"),
     "calls 'torch.ops.image.write_file.default', which is not in PyTorch's core operator "
     "namespaces"),
    (lambda d: _node(d)["inputs"].append({"name": "f", "arg": {"as_operator": "torch.ops.load_"
                                                                 "library"}, "kind": 1}),
     "calls 'torch.ops.load_library', which is neither a PyTorch operator nor a function "
     "torch's verifier allows"),
    (lambda d: _node(d)["metadata"].update(stack_trace='File "x.py", line 1\n  y\r  import os'),
     "has a line break in its metadata 'stack_trace'; metadata becomes comments in the "
     "Python code torch generates, where a line break starts code"),
    (lambda d: _node(d)["metadata"].update(custom=json.dumps({"k": "a\nimport os"})),
     "has a line break in its metadata 'k'; metadata becomes comments in the Python code "
     "torch generates, where a line break starts code"),
    (lambda d: d["graph_module"]["module_call_graph"][0]["signature"].update(
        in_spec=json.dumps([1, {"type": "builtins.dict", "context": json.dumps(["a'}), ('b"]),
                                "children_spec": []}])),
     "has the context \"a'}), ('b\", which is not a plain name"),
    (lambda d: d["range_constraints"].update({"u999999999": {"min_val": 0, "max_val": 1}}),
     "has the range constraint 'u999999999', which is not a symbol such as 's0' (an index up "
     "to 999999)"),
])
def test_program_strings_are_held_to_what_torch_writes(nets, tmp_path, edit, found):
    path = _edit_json(nets["net.pt2"], tmp_path / "program.pt2", "models/model.json", edit)
    message = f"refusing to load '{path}': its member 'models/model.json' {found}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}.*{TRUST}$"):
        load_model(path)


def test_an_empty_weight_with_a_huge_shape_is_refused(nets, tmp_path):
    root, members = _members(nets["net.pt2"])
    config = json.loads(members["data/weights/model_weights_config.json"])
    entry = config["config"]["shift"]
    entry["tensor_meta"]["sizes"] = [{"as_int": 10**6}, {"as_int": 10**6}]
    weight = f"data/weights/{entry['path_name']}"
    path = _rewrite(nets["net.pt2"], tmp_path / "huge.pt2", {
        "data/weights/model_weights_config.json": json.dumps(config).encode(), weight: b"",
    })
    message = (
        f"cannot load the torch.export model '{path}': the member '{weight}' is empty but "
        "'data/weights/model_weights_config.json' gives it a shape with elements"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        load_model(path)


def test_what_torch_logs_on_a_failed_load_becomes_the_message(nets, tmp_path, capfd):
    def grow(document: dict) -> None:
        document["config"]["layer.weight"]["tensor_meta"]["sizes"][0]["as_int"] = 200

    path = _edit_json(nets["net.pt2"], tmp_path / "strided.pt2",
                      "data/weights/model_weights_config.json", grow)
    with pytest.raises(ValueError, match=re.escape(
        f"cannot load the torch.export model '{path}': setStorage: sizes [200, 3]"
    )):
        load_model(path)
    assert "Traceback" not in capfd.readouterr().err


@needs_torch
def test_a_pickle_named_pt2_is_not_unpickled(tmp_path, marker):
    path = tmp_path / "model.pt2"
    path.write_bytes(_hostile_pickle(marker))
    with pytest.raises(ValueError, match=re.escape(
        f"cannot load the torch.export model '{path}': it is not a zip archive"
    )):
        load_model(path)
    assert not marker.exists()


@needs_torch
def test_a_torch_save_zip_named_pt2_is_refused(tmp_path, marker):
    path = tmp_path / "model.pt2"
    path.write_bytes(_hostile_torch_save(marker))
    message = (
        f"cannot load the torch.export model '{path}': it is not a torch.export archive (no "
        "archive_version or models/*.json)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        load_model(path)
    assert not marker.exists()


# -- zip archives ------------------------------------------------------------------------


def test_a_member_twice_is_refused(nets, tmp_path):
    root, members = _members(nets["net.pt"])
    path = tmp_path / "twice.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(f"{root}/{name}", data)
            archive.writestr(f"{root}/data.pkl", b"other")
    message = (
        f"cannot load the TorchScript model '{path}': the member '{root}/data.pkl' appears "
        "more than once"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        load_model(path)


@needs_torch
def test_a_zip_bomb_is_not_inflated(tmp_path):
    path = tmp_path / "bomb.pt"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb/data.pkl", b"\0" * 10**6)
    data = bytearray(path.read_bytes())
    for offset in (m.start() for m in re.finditer(rb"PK\x01\x02", bytes(data))):
        data[offset + 24:offset + 28] = (10).to_bytes(4, "little")  # declared size
    path.write_bytes(bytes(data))
    message = (  # zipfile stops at the declared size, then finds the checksum wrong
        f"cannot load the TorchScript model '{path}': cannot read its member 'bomb/data.pkl' "
        "(Bad CRC-32 for file 'bomb/data.pkl')"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        load_model(path)


def test_members_outside_one_folder_are_refused(tmp_path):
    path = tmp_path / "two.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a/data.pkl", b"")
        archive.writestr("b/code/x.py", b"")
    message = (
        f"cannot load the TorchScript model '{path}': its members are not all in one top "
        "folder (e.g. 'b'), as PyTorch writes them"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        read_archive(path, path.read_bytes(), what="TorchScript")


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_archive_limits_and_shapes(monkeypatch):
    from advval.attacks._model_files import _zip as zips

    path = Path("m.pt")
    data = _zip({"m/a": b"12345", "m/b": b"678", "m/c": b""})

    def refused(data: bytes, reason: str) -> None:
        message = f"cannot load the x model 'm.pt': {reason}"
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            read_archive(path, data, what="x")

    with monkeypatch.context() as patch:
        patch.setattr(zips, "MAX_MEMBERS", 2)
        refused(data, "it has 3 members, more than 2")
    with monkeypatch.context() as patch:
        patch.setattr(zips, "MAX_UNPACKED", 5)
        refused(data, "it unpacks to 8 bytes, more than the 5 advval loads")
    refused(_zip({}), "the archive holds no files")
    short = bytearray(_zip({"m/a": b"0123456789"}))
    central = short.index(b"PK\x01\x02")
    short[central + 24:central + 28] = (20).to_bytes(4, "little")  # declares 20 bytes
    refused(bytes(short), "its member 'm/a' unpacks to more or fewer bytes than the 20 it declares")


@pytest.mark.parametrize("change, reason", [
    ({"data/weights/model_weights_config.json": b"{"},
     "its member 'data/weights/model_weights_config.json' is not valid JSON"),
    ({"extra/notes.txt": b"\xff"}, "its member 'extra/notes.txt' is not UTF-8 text"),
    ({"data/weights/model_weights_config.json": b"[]"},
     "its member 'data/weights/model_weights_config.json' is not a torch.export payload config"),
    ({"data/weights/model_weights_config.json": b'{"config": {"w": {"use_pickle": false}}}'},
     "its member 'data/weights/model_weights_config.json' has an entry 'w' without a plain "
     "path_name"),
    ({"data/weights/model_weights_config.json":
      b'{"config": {"w": {"path_name": "weight_77", "use_pickle": false}}}'},
     "'data/weights/model_weights_config.json' names the member 'data/weights/weight_77', "
     "which is missing"),
])
def test_malformed_archive_members_are_named(nets, tmp_path, change, reason):
    path = _rewrite(nets["net.pt2"], tmp_path / "bad.pt2", change)
    message = f"cannot load the torch.export model '{path}': {reason}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        load_model(path)


def test_a_key_that_is_not_a_plain_name_is_refused(nets, tmp_path):
    def edit(document: dict) -> None:
        document["graph_module"]["graph"]["tensor_values"]["a b"] = {}

    path = _edit_json(nets["net.pt2"], tmp_path / "key.pt2", "models/model.json", edit)
    message = (
        f"refusing to load '{path}': its member 'models/model.json' has the key 'a b', which is "
        "not a plain name (letters, digits, '_', '.'); names are pasted into the Python code "
        "torch generates for the model. "
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}{TRUST}$"):
        load_model(path)


@pytest.mark.parametrize("pickled, problem", [
    (_zip({"a/version": b"3"}), "is not a torch.save archive (no data.pkl)"),
    (_zip({"a/data.pkl": b"\x80\x02N.", "a/evil.py": b""}),
     "has the member 'evil.py', which torch.save does not write"),
])
def test_example_inputs_must_look_like_torch_save(pickled, problem):
    assert tensor_pickle_problem(pickled) == problem


# -- TorchScript -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["net.pt", "traced.pt", "quant.pt"])
def test_torchscript_loads_without_trust_and_computes_the_same(nets, name):
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = _output(torch.jit.load(str(nets[name])), x)
    assert torch.equal(_output(load_model(nets[name]), x), reference)


@needs_torch
@pytest.mark.parametrize("trust", [False, True])
def test_a_torch_save_pickle_named_pt_is_never_unpickled(tmp_path, marker, trust):
    path = tmp_path / "weights.pt"
    path.write_bytes(_hostile_torch_save(marker))
    pattern = (
        re.escape(f"cannot load the TorchScript model '{path}': ")
        + ("it has no data.pkl, constants.pkl and code/ " if not trust else ".*")
        + re.escape("(a torch.save pickle is not TorchScript: save the model with "
                    "torch.jit.script(model).save(path) or torch.export)")
    )
    with pytest.raises(ValueError, match=f"^{pattern}$"):
        load_model(path, trust=trust)
    assert not marker.exists()  # torch.jit.load never uses Python's unpickler


@needs_torch
@pytest.mark.parametrize("trust", [False, True])
def test_a_legacy_torch_save_file_named_pt_is_never_unpickled(tmp_path, marker, trust):
    path = tmp_path / "legacy.pth"
    torch.save(_Run(_touch(marker)), path, _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match=re.escape(f"cannot load the TorchScript model '{path}'")):
        load_model(path, trust=trust)
    assert not marker.exists()


@pytest.mark.parametrize("member", ["data.pkl", "constants.pkl"])
@pytest.mark.parametrize("trust", [False, True])
def test_a_hostile_pickle_inside_torchscript_is_never_unpickled(nets, tmp_path, marker, member,
                                                                trust):
    path = _rewrite(nets["net.pt"], tmp_path / "evil.pt", {member: _hostile_pickle(marker)})
    with pytest.raises(ValueError, match=re.escape(
        f"cannot load the TorchScript model '{path}': Unknown type name '__builtin__.exec':"
    )):
        load_model(path, trust=trust)
    assert not marker.exists()  # the C++ unpickler knows no such global


@needs_torch
def test_torchscript_that_writes_a_file_while_loading_is_refused(tmp_path, marker):
    path = _save_writer(marker, tmp_path / "writer.pt")
    message = (
        re.escape(f"refusing to load '{path}': its member 'code/__torch__/")
        + r"[\w/]+\.py"
        + re.escape("' calls torch.save, which writes or reads files or reaches other machines. ")
    )
    with pytest.raises(ValueError, match=f"^{message}{TRUST}$"):
        load_model(path)
    assert not marker.exists()
    load_model(path, trust=True)
    assert marker.exists()  # Holder.__setstate__ ran torch.save while the module loaded


@needs_torch
def test_torchscript_disguised_with_another_suffix_is_still_checked(tmp_path, marker):
    path = _save_writer(marker, tmp_path / "model.bin")
    assert model_format(path) == "torchscript"
    with pytest.raises(ValueError, match=f"calls torch.save, .*{TRUST}$"):
        load_model(path)
    assert not marker.exists()


@needs_torch
@pytest.mark.parametrize("name", ["model.txt", "model.pt2"])
def test_a_pipe_is_not_read(tmp_path, name):
    path = tmp_path / name
    os.mkfifo(path)  # reading it would block until someone writes
    message = f"cannot read the model file '{path}': it is not a regular file (a pipe or device)"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        load_model(path)


@needs_torch
def test_a_torch_save_zip_disguised_as_text_is_unknown(tmp_path, marker):
    path = tmp_path / "model.txt"
    path.write_bytes(_hostile_torch_save(marker))
    with pytest.raises(ValueError, match=re.escape(
        f"cannot load the model file '{path}': unknown format; expected a LightGBM text model"
    )):
        load_model(path)
    assert not marker.exists()


def test_extra_files_of_torchscript_are_never_parsed(nets, tmp_path, marker):
    path = _rewrite(nets["net.pt"], tmp_path / "extra.pt",
                    {"extra/evil.pkl": _hostile_pickle(marker)})
    x = torch.ones(2, 3)
    assert torch.equal(_output(load_model(path), x), _output(load_model(nets["net.pt"]), x))
    assert not marker.exists()


@pytest.mark.parametrize("source, problem", [
    (b"def forward(self, x):\n  return torch.relu(x)\n", None),
    (b"def forward(self, x):\n  return ops.aten.from_file('/etc/passwd')\n",
     "calls ops.aten.from_file, which writes or reads files or reaches other machines"),
    (b"def forward(self, x):\n  return torch.ops.image.decode_png(x)\n",
     "calls torch.ops.image.decode_png, which is not in PyTorch's core operator namespaces"),
    (b"def forward(self, x):\n  y = torch.classes.dist_c10d.FileStore('f', 1)\n  return x\n",
     "calls torch.classes.dist_c10d.FileStore, which is a TorchBind class outside PyTorch's "
     "core ones"),
    (b"def forward(self, x):\n  return x.\xef\xbd\x93ave()\n",
     "uses the non-ASCII name 'x.\uff53ave'"),
    (b"def forward(self, x):\n  return (ops.\n    image.read_file(x))\n",
     "calls ops.image.read_file, which is not in PyTorch's core operator namespaces"),
    (b"def forward(self, x):\n  t = torch\n  return t.save(x, 'f')\n",
     "uses torch, which holds a whole module of operators, not one operator"),
    (b"def forward(self, x):\n  return getattr(getattr(torch.ops, 'image'), 'read')(x)\n",
     "uses torch.ops, which holds a whole module of operators, not one operator"),
    (b"def forward(self, x):\n  return getattr(self.m, 'save')(x, 'f')\n",
     "names the operator 'save', which writes or reads files or reaches other machines"),
    (b"def forward(self, x):\n  return self.classes[self.ops.index(x)]\n", None),
    (b"def forward(self, x):\n  # \r  torch.save(x, 'f')\n  return x\n",
     "has the control character '\\r', which TorchScript never writes"),
    (b"\xff", "is not readable TorchScript code ('utf-8' codec can't decode byte 0xff in "
               "position 0: invalid start byte)"),
    (b'def forward(self, x):\n  return """\n', "is not readable TorchScript code ("
                                               "('EOF in multi-line string', (2, 9)))"),
])
def test_torchscript_code_may_call_core_operators_only(source, problem):
    assert code_problem(source) == problem


def test_a_torchbind_class_named_in_a_pickle_is_refused(nets, tmp_path):
    path = _rewrite(nets["net.pt"], tmp_path / "bind.pt",
                    {"data.pkl": b"\x80\x02c__torch__.torch.classes.dist_c10d\nFileStore\n."})
    message = (
        f"refusing to load '{path}': its member 'data.pkl' names the TorchBind class namespace "
        "'dist_c10d', outside PyTorch's core ones. "
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}{TRUST}$"):
        load_model(path)


# -- LightGBM ----------------------------------------------------------------------------


def _frame(n: int = 300) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({
        "a": rng.normal(size=n),
        "b": rng.normal(size=n),
        "c": pd.Categorical(rng.choice(list("pqrstuvw"), n)),
    })
    frame.loc[::7, "a"] = np.nan
    y = ((frame["a"].fillna(0) > 0) ^ frame["c"].isin(list("pqr"))).astype(int).to_numpy()
    return frame, y


PARAMS = {"verbose": -1, "num_threads": 1, "min_data_in_leaf": 5, "seed": 0,
          "deterministic": True, "max_cat_to_onehot": 1, "min_data_per_group": 5}


@pytest.fixture(scope="module")
def boosters() -> dict[str, tuple[str, lgb.Booster]]:
    """Models as the installed LightGBM saves them: name -> (text, booster)."""
    frame, y = _frame()
    numeric = frame[["a", "b"]]
    classes = (np.nan_to_num(frame["a"].to_numpy()) > 0).astype(int) + (frame["b"] > 0.5)
    made = {
        "binary": (lgb.train({**PARAMS, "objective": "binary"}, lgb.Dataset(frame, y), 5), {}),
        "multiclass": (lgb.train({**PARAMS, "objective": "multiclass", "num_class": 3},
                                 lgb.Dataset(frame, classes), 4), {}),
        "multiclassova": (lgb.train({**PARAMS, "objective": "multiclassova", "num_class": 3},
                                    lgb.Dataset(frame, classes), 2), {}),
        "linear": (lgb.train({**PARAMS, "objective": "binary", "linear_tree": True},
                             lgb.Dataset(numeric, (numeric["a"].fillna(0) + numeric["b"] > 0)
                                         .astype(int)), 3), {}),
        "constant": (lgb.train({**PARAMS, "objective": "binary", "min_data_in_leaf": 1000},
                               lgb.Dataset(numeric, y), 3), {}),
        "random_forest": (lgb.train({**PARAMS, "objective": "binary", "boosting": "rf",
                                     "bagging_fraction": 0.5, "bagging_freq": 1},
                                    lgb.Dataset(frame, y), 3), {}),
        "first_iterations": (lgb.train({**PARAMS, "objective": "binary"},
                                       lgb.Dataset(frame, y), 6), {"num_iteration": 2}),
    }
    return {name: (booster.model_to_string(**kw), booster) for name, (booster, kw) in made.items()}


def test_models_lightgbm_writes_pass_and_predict_the_same(boosters, tmp_path):
    frame, _ = _frame()
    assert re.search("num_cat=[1-9]", boosters["binary"][0])  # categorical splits covered
    assert re.search("num_features=[0-9 ]*[1-9]", boosters["linear"][0])  # coefficients
    assert "average_output" in boosters["random_forest"][0]
    for name, (text, booster) in boosters.items():
        path = tmp_path / f"{name}.txt"
        path.write_text(text)
        assert check_lightgbm_text(text.encode(), path) == text
        loaded = load_model(path)
        X = frame[loaded.feature_name()]
        iterations = 2 if name == "first_iterations" else None
        np.testing.assert_array_equal(loaded.predict(X),
                                      booster.predict(X, num_iteration=iterations))


def _blocks(text: str) -> tuple[str, list[str], str]:
    start = text.index("\nTree=0\n") + 1
    end = text.index("end of trees\n")
    blocks = re.split(r"(?m)^(?=Tree=\d+$)", text[start:end])[1:]
    return text[:start], blocks, text[end:]


def _resize(text: str) -> str:
    """The model with ``tree_sizes`` recomputed, so a test breaks only what it means to."""
    head, blocks, tail = _blocks(text)
    sizes = " ".join(str(len(block)) for block in blocks)
    return re.sub(r"(?m)^tree_sizes=.*$", f"tree_sizes={sizes}", head) + "".join(blocks) + tail


def _set(tree: int, key: str, edit: Callable[[list[str]], list[str]]) -> Callable[[str], str]:
    """A mutation of one field of one tree (values as strings), tree_sizes kept right."""
    def mutate(text: str) -> str:
        head, blocks, tail = _blocks(text)
        lines = blocks[tree].split("\n")
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{key}="))
        values = lines[index][len(key) + 1:].split(" ")
        lines[index] = f"{key}=" + " ".join(edit(values))
        blocks[tree] = "\n".join(lines)
        return _resize(head + "".join(blocks) + tail)
    return mutate


def _first(value: str) -> Callable[[list[str]], list[str]]:
    return lambda values: [value, *values[1:]]


def _header(old: str, new: str) -> Callable[[str], str]:
    return lambda text: text.replace(old, new, 1)


def _categorical_threshold(value: str) -> Callable[[str], str]:
    """Set the threshold (the bitset index) of tree 0's first categorical split."""
    def mutate(text: str) -> str:
        decision = next(line for line in _blocks(text)[1][0].split("\n")
                        if line.startswith("decision_type="))
        first = next(i for i, d in enumerate(decision[14:].split(" ")) if int(d) & 1)
        return _set(0, "threshold", lambda v: [*v[:first], value, *v[first + 1:]])(text)
    return mutate


def _insert(tree: int, line: str) -> Callable[[str], str]:
    """Add ``line`` to a tree's block, after its ``num_cat`` line."""
    def mutate(text: str) -> str:
        head, blocks, tail = _blocks(text)
        blocks[tree] = re.sub(r"(?m)^(num_cat=.*)$", rf"\1\n{line}", blocks[tree], count=1)
        return _resize(head + "".join(blocks) + tail)
    return mutate


MALFORMED = [
    ("truncated in a tree", lambda t: t[: t.index("\nTree=2\n") + 400],
     r"tree 2: \w+: expected \d+ values, got \d+"),
    ("truncated after a tree", lambda t: t[: t.index("end of trees")],
     r"the file ends before 'end of trees' \(is it truncated\?\)"),
    ("split feature out of range", _set(0, "split_feature", _first("7")),
     r"tree 0: split_feature: feature 7 is outside 0\.\.2 \(max_feature_idx\)"),
    ("NaN leaf value", _set(0, "leaf_value", _first("nan")),
     r"tree 0: leaf_value: NaN is not a valid value"),
    ("infinite leaf value", _set(1, "leaf_value", _first("-inf")),
     r"tree 1: leaf_value: values must be finite \(no infinity\)"),
    ("overflowing leaf value", _set(1, "leaf_value", _first("1e+999")),
     r"tree 1: leaf_value: values must be finite \(no infinity\)"),
    ("NaN threshold", _set(0, "threshold", _first("nan")),
     r"tree 0: threshold: NaN is not a valid value"),
    ("child out of range", _set(0, "left_child", _first("100")),
     r"tree 0: left_child: child 100 is neither a node in 0\.\.\d+ nor a leaf in -1\.\.-\d+"),
    ("leaf out of range", _set(0, "right_child", _first("-1000")),
     r"tree 0: right_child: child -1000 is neither a node"),
    ("a cycle", _set(0, "left_child", lambda v: [v[0], "0", *v[2:]]),
     r"tree 0: left_child/right_child: the children do not form a tree \(every node and leaf "
     r"must be reached from the root exactly once\)"),
    ("a leaf twice", _set(0, "right_child", lambda v: [*v[:-1], "-1"]),
     r"tree 0: left_child/right_child: the children do not form a tree"),
    ("too few values", _set(0, "internal_count", lambda v: v[:-1]),
     r"tree 0: internal_count: expected \d+ values, got \d+"),
    ("a double space", _set(0, "leaf_count", lambda v: ["", *v[1:]]),
     r"tree 0: leaf_count: expected \d+ numbers separated by single spaces"),
    ("a negative count", _set(0, "leaf_count", _first("-5")),
     r"tree 0: leaf_count: counts must be >= 0"),
    ("a non-ASCII digit", _set(0, "split_feature", _first("\u0661")),
     r"tree 0: split_feature: expected \d+ numbers separated by single spaces"),
    ("a bad decision type", _set(0, "decision_type", _first("12")),
     r"tree 0: decision_type: values must be in 0\.\.11"),
    ("a billion leaves", _set(0, "num_leaves", lambda v: ["1000000000"]),
     r"tree 0: num_leaves: expected 1 to 131072, got 1000000000"),
    ("num_cat not the categorical splits", _set(0, "num_cat", lambda v: ["9"]),
     r"tree 0: num_cat: 9 does not match the \d categorical splits"),
    ("no leaf_value", lambda t: _resize(t.replace("\nleaf_value=", "\nleaf_valu=", 1)),
     r"tree 0: unexpected line 'leaf_valu=[^']*' \(line \d+\)"),
    ("a field twice", lambda t: _resize(t.replace("\nshrinkage=1\n", "\nshrinkage=1\n"
                                                  "shrinkage=1\n", 1)),
     r"tree 0: 'shrinkage' given twice"),
    ("wrong tree_sizes", lambda t: re.sub(r"tree_sizes=(\d+)", lambda m: f"tree_sizes="
                                          f"{int(m.group(1)) + 1}", t),
     r"tree_sizes does not match the trees \(tree 0: (\d+) bytes listed, (?!\1)\d+ found; 5 "
     r"sizes for 5 trees\)"),
    ("trees out of order", lambda t: _resize(t.replace("Tree=1\n", "Tree=7\n", 1)),
     r"line \d+: expected 'Tree=1' or 'end of trees', got 'Tree=7'"),
    ("a pickle after 'tree'", lambda t: b"tree\n" + pickle.dumps({"a": 1}),
     r"line 2: byte 5 is not UTF-8 text"),
    ("an ASCII pickle after 'tree'", lambda t: "tree\n" + pickle.dumps({"a": 1}, 0).decode(),
     r"line 2: unexpected header line '\(dp0'"),
    ("a NUL byte", lambda t: t.replace("num_class=1", "num_class=1\0", 1),
     r"line 3: the control character '\\x00' is not part of a LightGBM text model"),
    ("CRLF line ends", lambda t: t.replace("\n", "\r\n"),
     r"line 1: a carriage return \(lines must end with \\n only\) is not part of a LightGBM "
     r"text model"),
    ("too few feature names", _header("feature_names=a b c", "feature_names=a b"),
     r"feature_names: expected 3 names separated by single spaces \(max_feature_idx \+ 1\), "
     r"got 2"),
    ("a bad feature info", _header("feature_infos=[", "feature_infos=[x"),
     r"feature_infos: '\[x[^']*' is not 'none', '\[min:max\]' or categories"),
    ("a huge class count", _header("num_class=1", "num_class=1000000000"),
     r"num_class: expected an integer in \[1, 100000\], got '1000000000'"),
    ("no max_feature_idx", _header("max_feature_idx=2\n", ""),
     r"the header has no 'max_feature_idx' line"),
    ("an unknown header line", _header("num_class=1\n", "num_class=1\nevil=1\n"),
     r"line 4: unexpected header line 'evil=1'"),
    ("an unknown objective", _header("objective=binary sigmoid:1", "objective=evil"),
     r"objective: 'evil' is not a LightGBM objective"),
    ("a bad sigmoid", _header("sigmoid:1", "sigmoid:0"),
     r"objective: binary needs sigmoid:<number > 0>"),
    ("no sigmoid", _header("binary sigmoid:1", "binary"),
     r"objective: binary needs sigmoid:<number > 0>"),
    ("a parameter line without ':'", _header("[boosting: gbdt]", "[boosting]"),
     r"line \d+: expected '\[name: value\]' in parameters, got '\[boosting\]'"),
    ("no end of parameters", lambda t: t[: t.index("end of parameters\n")],
     r"'parameters:' has no 'end of parameters' line"),
    ("an unexpected line after the trees", _header("end of trees\n", "end of trees\nTree=9\n"),
     r"line \d+: unexpected line 'Tree=9' after the trees"),
    ("a header line twice", _header("num_class=1\n", "num_class=1\nnum_class=1\n"),
     r"line 4: 'num_class' given twice"),
    ("a second '='", _header("label_index=0", "label_index=0=1"),
     r"line 5: 'label_index' has more than one '='"),
    ("an unknown version", _header("version=v4", "version=v9"),
     r"version 'v9' is not v2, v3 or v4"),
    ("too many feature infos", _header("feature_infos=", "feature_infos=none "),
     r"feature_infos: expected 3 entries, got 4"),
    ("bad monotone constraints", _header("feature_infos=", "monotone_constraints=1 2 0\n"
                                                           "feature_infos="),
     r"monotone_constraints: expected 3 values in -1, 0, 1"),
    ("a bad objective parameter", _header("sigmoid:1", "sigmoid:1 evil:x"),
     r"objective: parameter 'evil:x' is not 'name:number'"),
    ("an infinite objective parameter", _header("sigmoid:1", "sigmoid:inf"),
     r"objective: parameters must be finite numbers"),
    ("binary with two classes", _header("num_class=1", "num_class=2"),
     r"objective: binary needs num_class=1 and num_tree_per_iteration=1"),
    ("bad tree_sizes", lambda t: re.sub(r"(?m)^tree_sizes=.*$", "tree_sizes=1  2", t),
     r"tree_sizes: expected sizes separated by single spaces"),
    ("a bad is_linear", _set(0, "is_linear", lambda v: ["2"]),
     r"tree 0: is_linear: expected 0 or 1, got 2"),
    ("a word for num_leaves", _set(0, "num_leaves", lambda v: ["x"]),
     r"tree 0: num_leaves: expected an integer, got 'x'"),
    ("no num_cat", lambda t: _resize(re.sub(r"num_cat=[0-9]+\n", "", t, count=1)),
     r"tree 0: num_cat: missing"),
    ("a categorical split on a bitset that does not exist", _categorical_threshold("5"),
     r"tree 0: threshold: categorical splits must use the bitsets 0\.\.\d+ once each"),
    ("a bad feature importance", _header("feature_importances:\n",
                                         "feature_importances:\nbad line\n"),
     r"line \d+: expected 'feature=count' in feature_importances"),
    ("pandas_categorical of numbers", lambda t: t.rstrip("\n").rsplit("\n", 1)[0]
     + "\npandas_categorical:[1]\n",
     r"line \d+: pandas_categorical must be a list of lists of values"),
    ("broken pandas_categorical", lambda t: t.rstrip("\n").rsplit("\n", 1)[0]
     + "\npandas_categorical:[[\n", r"line \d+: pandas_categorical is not valid JSON"),
    ("deep pandas_categorical", lambda t: t.rstrip("\n").rsplit("\n", 1)[0]
     + "\npandas_categorical:" + "[" * 100_000 + "]" * 100_000 + "\n",
     r"line \d+: pandas_categorical (is not valid JSON|must be a list of lists of values)"),
    ("pandas_categorical not last", lambda t: t + "parser:\nend of parser\n",
     r"line \d+: pandas_categorical must be the last line"),
]


@pytest.mark.parametrize("mutate, message", [(m, r) for _, m, r in MALFORMED],
                         ids=[name for name, _, _ in MALFORMED])
def test_malformed_lightgbm_models_are_refused_before_lightgbm_parses_them(
    boosters, tmp_path, monkeypatch, mutate, message
):
    text = mutate(boosters["binary"][0])
    path = tmp_path / "model.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())

    def parse(*args, **kwargs):
        raise AssertionError("LightGBM parsed a model the check should have refused")

    monkeypatch.setattr(lgb, "Booster", parse)
    pattern = re.escape(f"cannot load the LightGBM model '{path}': ") + message
    with pytest.raises(ValueError, match=f"^{pattern}"):
        load_model(path)


def _linear(edit: Callable[[list[str], list[str]], tuple[list[str], list[str]]]
            ) -> Callable[[str], str]:
    """Edit tree 1's leaf_features and leaf_coeff (as lists of tokens)."""
    def mutate(text: str) -> str:
        head, blocks, tail = _blocks(text)
        lines = blocks[1].split("\n")
        index = {line.split("=")[0]: i for i, line in enumerate(lines) if "=" in line}
        features = lines[index["leaf_features"]].split("=")[1].split()
        coeff = lines[index["leaf_coeff"]].split("=")[1].split()
        features, coeff = edit(features, coeff)
        lines[index["leaf_features"]] = "leaf_features=" + " ".join(features)
        lines[index["leaf_coeff"]] = "leaf_coeff=" + " ".join(coeff)
        blocks[1] = "\n".join(lines)
        return _resize(head + "".join(blocks) + tail)
    return mutate


def test_malformed_multiclass_and_categorical_models_are_refused(boosters, tmp_path):
    path = tmp_path / "model.txt"
    cases = [
        ("multiclass", lambda t: _resize(t[: t.index("Tree=11\n")] + "end of trees\n"
                                         + t[t.index("end of trees\n") + 13:]),
         "11 trees is not a multiple of num_tree_per_iteration=3"),
        ("multiclass", _header("num_class:3", "num_class:5"),
         "objective: multiclass needs num_class:3 and num_tree_per_iteration=3 (num_class=3)"),
        ("binary", _set(0, "cat_boundaries", lambda v: ["1", *v[1:]]),
         "tree 0: cat_boundaries: expected increasing offsets starting at 0"),
        ("binary", _set(0, "cat_threshold", _first("4294967296")),
         "tree 0: cat_threshold: bitset words must be in 0..2**32-1"),
        ("linear", _set(0, "num_features", _first("9")),
         "tree 0: num_features: counts must be in 0..2"),
        ("linear", _set(0, "is_linear", lambda v: ["0"]),
         "tree 0: leaf_const: given for a tree that is not linear (is_linear=0)"),
        ("linear", _insert(0, "cat_boundaries=0 1"),
         "tree 0: cat_boundaries: given for a tree with no categorical split"),
        ("linear", lambda t: _resize(re.sub(r"num_features=.*\n", "", t, count=1)
                                     .replace("leaf_features=", "leaf_features=0 ", 1)),
         "tree 0: leaf_features: given without num_features"),
        ("linear", _linear(lambda f, c: (["7", *f[1:]], c)),
         "tree 1: leaf_features: features must be in 0..1"),
        ("linear", _linear(lambda f, c: (f, ["nan", *c[1:]])),
         "tree 1: leaf_coeff: coefficients must be finite"),
        ("linear", _linear(lambda f, c: (f[1:], c)),
         "tree 1: leaf_features: expected"),
        ("constant", _set(0, "num_cat", lambda v: ["1"]),
         "tree 0: num_cat: a one-leaf tree has no splits, got 1"),
        ("constant", _set(0, "split_feature", lambda v: ["0"]),
         "tree 0: split_feature: values given for a one-leaf tree, which has no splits"),
    ]
    for name, mutate, message in cases:
        path.write_text(mutate(boosters[name][0]))
        with pytest.raises(ValueError, match=re.escape(
            f"cannot load the LightGBM model '{path}': {message}"
        )):
            load_model(path)


def test_a_linear_flag_without_coefficients_reads_as_constant_leaves(boosters, tmp_path):
    text = re.sub(r"(?m)^is_linear=0$", "is_linear=1", boosters["binary"][0])
    path = tmp_path / "model.txt"
    path.write_text(text)
    assert load_model(path).num_trees() == 5  # LightGBM reads it; nothing to refuse


def test_the_first_line_must_be_tree(boosters):
    text = "gbdt" + boosters["binary"][0][4:]
    with pytest.raises(ValueError, match=re.escape(
        "cannot load the LightGBM model 'm.txt': line 1: expected 'tree', the first line of a "
        "LightGBM model"
    )):
        check_lightgbm_text(text.encode(), Path("m.txt"))


def test_whatever_lightgbm_still_raises_is_a_value_error(boosters, tmp_path, monkeypatch):
    path = tmp_path / "model.txt"
    path.write_text(boosters["binary"][0])

    def parse(*args, **kwargs):
        raise lgb.basic.LightGBMError("Unknown model format or submodel type in model file")

    monkeypatch.setattr(lgb, "Booster", parse)
    with pytest.raises(ValueError, match=re.escape(
        f"cannot load the LightGBM model '{path}': Unknown model format or submodel type"
    )):
        load_model(path)


def test_whatever_torch_raises_on_a_checked_archive_is_a_value_error(nets, monkeypatch):
    def load(*args, **kwargs):
        raise KeyError("model")

    monkeypatch.setattr(torch.export, "load", load)
    with pytest.raises(ValueError, match=re.escape(
        f"cannot load the torch.export model '{nets['net.pt2']}': 'model'"
    )):
        load_model(nets["net.pt2"])


# -- through the command line ------------------------------------------------------------


def _cli(tmp_path: Path, model: Path, data: Path) -> subprocess.CompletedProcess:
    path = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    return subprocess.run(
        [sys.executable, "-m", "advval", "attack", str(model), str(data), "--target", "y",
         "--quiet"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1"},
        capture_output=True, text=True, timeout=300,
    )


def test_the_cli_refuses_a_hostile_archive_with_exit_2(nets, tmp_path, marker):
    path = _pickled_weight(nets["net.pt2"], tmp_path / "weights.pt2", marker)
    data = tmp_path / "data.csv"
    pd.DataFrame({"a": [0.1, 0.2], "b": [0.3, 0.4], "n": [1.0, 2.0], "y": [0, 1]}).to_csv(
        data, index=False)
    done = _cli(tmp_path, path, data)
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert "refusing to load" in done.stderr and "--trust-model" in done.stderr
    assert "Traceback" not in done.stderr
    assert not marker.exists()


def test_the_cli_exits_2_on_a_model_lightgbm_would_abort_on(boosters, tmp_path):
    text = _set(0, "left_child", _first("100"))(boosters["binary"][0])
    model = tmp_path / "model.txt"
    model.write_text(text)
    frame, y = _frame(20)
    data = tmp_path / "data.csv"
    frame.assign(y=y).to_csv(data, index=False)
    done = _cli(tmp_path, model, data)
    assert done.returncode == ExitCode.USAGE, (done.returncode, done.stderr)
    assert "tree 0: left_child: child 100 is neither a node" in done.stderr
    assert "Traceback" not in done.stderr
