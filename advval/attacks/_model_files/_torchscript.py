"""What a TorchScript archive (``torch.jit.save``) may contain to be loaded without trust.

What was checked (PyTorch 2.13): ``torch.jit.load`` hands the file to the C++ importer
(``torch._C.import_ir_module``). Its ``data.pkl`` and ``constants.pkl`` are read by the C++
unpickler, which knows a fixed set of globals (tensor rebuilders, ``OrderedDict``, TorchScript
classes compiled from the archive's ``code/``, TorchBind classes) and rejects any other
(a ``data.pkl`` naming ``os.system`` fails with "Unknown type name 'posix.system'"). A
``torch.save`` file renamed ``.pt`` fails for want of ``constants.pkl``; a legacy (non-zip)
``torch.save`` file is not a zip archive; extra files are returned as bytes, never parsed. So
nothing in a TorchScript archive goes through Python's pickle.

But loading does run the archive's code: TorchScript, compiled from ``code/``, runs when the
module's classes are rebuilt (their ``__setstate__``) and when the model is called. That
language cannot import Python modules, yet PyTorch's operators reach outside: ``torch.save``
(``aten::save``) writes any value to any path (a test here writes a marker file while
``torch.jit.load`` runs), ``aten::from_file`` reads or maps any file, and operators of
other libraries and TorchBind classes do what their library does. So, without trust,
:func:`check_torchscript_archive` requires ``data.pkl``, ``constants.pkl`` and ``code/``,
reads every ``code/`` file as Python tokens, and refuses any call of an operator outside
PyTorch's core namespaces or one that touches files or other machines (:mod:`._ops`), and
any TorchBind class outside PyTorch's core ones, in the code or named in a pickle.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

from ._ops import CORE_CLASS_NAMESPACES, IO_OPERATORS, IO_PROBLEM, namespace_problem
from ._refusal import refusal
from ._zip import Archive, rebuilt

#: why a file without TorchScript's members cannot be loaded as TorchScript
NOT_TORCHSCRIPT = (
    "a torch.save pickle is not TorchScript: save the model with "
    "torch.jit.script(model).save(path) or torch.export"
)
_CLASSES = re.compile(rb"torch\.classes\.([A-Za-z0-9_]*)")
_CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]")


def check_torchscript_archive(archive: Archive) -> bytes:
    """The bytes of an untrusted TorchScript archive that are safe to load.

    Parameters
    ----------
    archive : Archive
        The archive, read with :func:`._zip.read_archive`.

    Returns
    -------
    bytes
        The archive rebuilt from the checked members.

    Raises
    ------
    ValueError
        Not a TorchScript archive, or code that reaches outside the model (naming the file
        and the member and saying that trust loads it).

    Examples
    --------
    >>> from pathlib import Path
    >>> code = b"def forward(self, x: Tensor) -> Tensor:\\n  torch.save(x, 'f')\\n  return x\\n"
    >>> archive = Archive(Path("m.pt"), "m", {"data.pkl": b"", "constants.pkl": b"",
    ...                   "code/__torch__.py": code})
    >>> check_torchscript_archive(archive)
    Traceback (most recent call last):
    ...
    ValueError: refusing to load 'm.pt': its member 'code/__torch__.py' calls torch.save, ...
    """
    path, members = archive.path, archive.members
    if "data.pkl" not in members or "constants.pkl" not in members or not any(
        name.startswith("code/") for name in members
    ):
        raise ValueError(
            f"cannot load the TorchScript model '{path}': it has no data.pkl, constants.pkl "
            f"and code/ ({NOT_TORCHSCRIPT})"
        )
    for name, data in members.items():
        if name.endswith((".pkl", ".debug_pkl")):
            for namespace in _CLASSES.findall(data):
                if namespace.decode() not in CORE_CLASS_NAMESPACES:
                    raise refusal(path, name, f"names the TorchBind class namespace "
                                  f"'{namespace.decode()}', outside PyTorch's core ones")
        elif name.startswith("code/") and name.endswith(".py"):
            problem = code_problem(data)
            if problem is not None:
                raise refusal(path, name, problem)
    return rebuilt(archive)


def code_problem(source: bytes) -> str | None:
    """Why TorchScript ``source`` may reach outside the model, or None.

    TorchScript source is Python syntax, so Python's tokenizer reads it. Control characters
    other than ``\\n`` (which TorchScript's lexer and Python's treat differently: ``\\r``
    ends a line for one only) are refused, so both see the same tokens.

    Examples
    --------
    >>> code_problem(b"def forward(self, x):\\n  return torch.relu(x)\\n") is None
    True
    >>> code_problem(b"def forward(self, x):\\n  return ops.image.read_file(x)\\n")
    "calls ops.image.read_file, which is not in PyTorch's core operator namespaces"
    """
    control = _CONTROL.search(source)
    if control is not None:
        character = control.group().decode()
        return f"has the control character {character!r}, which TorchScript never writes"
    try:
        text = source.decode("utf-8")
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (UnicodeDecodeError, tokenize.TokenError, SyntaxError) as exc:
        return f"is not readable TorchScript code ({exc})"
    for token in tokens:
        if token.type == tokenize.STRING and _string(token.string) in IO_OPERATORS:
            return f"names the operator {_string(token.string)!r}, which {IO_PROBLEM}"
    for dotted in _dotted_names(tokens):
        if not all(part.isascii() for part in dotted):
            return f"uses the non-ASCII name {'.'.join(dotted)[:60]!r}"
        problem = _name_problem(dotted)
        if problem is not None:
            return f"{problem[0]} {'.'.join(dotted)[:80]}, which {problem[1]}"
    return None


def _string(literal: str) -> object:
    try:
        return ast.literal_eval(literal)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _dotted_names(tokens: list[tokenize.TokenInfo]) -> list[list[str]]:
    """The dotted names (``torch.ops.aten.add``) in a token stream; line breaks and comments
    inside brackets do not end a name, as they do not for TorchScript's parser."""
    names: list[list[str]] = []
    current: list[str] = []
    after_dot = False
    for token in tokens:
        if token.type in (tokenize.NL, tokenize.COMMENT):
            continue
        if token.type == tokenize.NAME and (after_dot or not current):
            current.append(token.string)
            after_dot = False
        elif token.type == tokenize.OP and token.string == "." and current and not after_dot:
            after_dot = True
        else:
            if current:
                names.append(current)
            current = [token.string] if token.type == tokenize.NAME else []
            after_dot = False
    if current:
        names.append(current)
    return names


def _name_problem(parts: list[str]) -> tuple[str, str] | None:
    """(verb, reason) when the dotted name reaches outside PyTorch's core operators."""
    if IO_OPERATORS.intersection(parts):
        return "calls", IO_PROBLEM
    modules = ("torch", "ops", "classes")
    if parts[-1] in modules and (len(parts) == 1 or parts[-2] in ("torch", "__torch__")):
        return "uses", "holds a whole module of operators, not one operator"
    for index, part in enumerate(parts[:-1]):
        if part not in ("ops", "classes") or (index and parts[index - 1] != "torch"):
            continue  # an attribute of the model that happens to be called so
        namespace = parts[index + 1]
        if part == "ops" and namespace_problem(namespace) is not None:
            return "calls", str(namespace_problem(namespace))
        if part == "classes" and namespace not in CORE_CLASS_NAMESPACES:
            return "calls", "is a TorchBind class outside PyTorch's core ones"
    return None
