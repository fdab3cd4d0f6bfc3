"""What a torch.export program (``models/<name>.json`` in a ``.pt2`` archive) may contain.

Reading the program runs code the file chooses unless its strings are checked
(PyTorch 2.13's ``torch/_export/serde/serialize.py`` and ``torch/fx/graph.py``):

- symbolic sizes (``expr_str``) are parsed with ``sympy.sympify``, which calls ``eval``;
- names (inputs, nodes, keyword arguments, the ``forward_arg_names``, the keys of the input
  spec) are pasted into the Python source of the module torch generates and executes;
- node metadata ends up in comments of that source, where a line break ends the comment;
- operator names are looked up as attributes of ``torch``, ``operator`` and ``math``.

So every string is held to what torch itself writes: an ``expr_str`` is a sympy ``srepr``
of integer symbols and arithmetic (no attribute, no subscript, no call outside a fixed set
of sympy and torch functions, no power that could grow without bound), an operator is a core
PyTorch operator (:mod:`._ops`) or one of the few Python functions torch's verifier allows,
metadata has no line breaks (a stack trace only ``\\n``), and every other string is a plain
name of letters, digits, ``_`` and ``.``. The ``guards_code`` strings are Python source that
``ExportedProgram.module()`` compiles; advval never lets it: it loads untrusted programs with
``check_guards=False`` and without example inputs.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from typing import Any

from ._ops import operator_problem

#: the longest symbolic expression read (torch writes a few hundred characters)
MAX_EXPRESSION = 10_000
#: the largest index of a symbol (torch's loader counts up to it)
MAX_SYMBOL_INDEX = 999_999
#: sympy and torch functions an ``expr_str`` may call
SYMPY_CALLS = frozenset({
    "Symbol", "Integer", "Rational", "Float", "Add", "Mul", "Pow", "Mod", "Max", "Min", "Abs",
    "floor", "ceiling", "Eq", "Ne", "Lt", "Le", "Gt", "Ge", "Equality", "Unequality",
    "StrictLessThan", "LessThan", "StrictGreaterThan", "GreaterThan", "And", "Or", "Not",
    # torch.utils._sympy.functions, as the loader names them
    "FloorDiv", "ModularIndexing", "Where", "PythonMod", "CleanDiv", "CeilToInt", "FloorToInt",
    "CeilDiv", "LShift", "RShift", "PowByNatural", "FloatPow", "FloatTrueDiv", "IntTrueDiv",
    "IsNonOverlappingAndDenseIndicator", "TruncToFloat", "TruncToInt", "RoundToInt",
    "RoundDecimal", "ToFloat", "Identity",
})
#: sympy constants an ``expr_str`` may name
SYMPY_NAMES = frozenset({"oo", "zoo", "nan", "true", "false"})
#: Python functions a graph may call (those ``torch/_export/verifier.py`` allows)
PYTHON_FUNCTIONS = frozenset({
    *(f"_operator.{name}" for name in (
        "getitem", "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "neg", "pos",
        "abs", "eq", "ne", "lt", "le", "gt", "ge", "and_", "or_", "not_", "lshift", "rshift",
    )),
    "math.ceil", "math.floor", "math.trunc",
    "torch.sym_int", "torch.sym_float", "torch.sym_ite", "torch.sym_max", "torch.sym_min",
    "torch.sym_not", "torch.sym_sqrt", "torch._C._set_grad_enabled",
    "torch.amp.autocast_mode._enter_autocast", "torch.amp.autocast_mode._exit_autocast",
})
#: strings with no rule of their own (repr()-quoted by torch, or never compiled by advval)
FREE_TEXT = frozenset({"as_string", "as_strings", "guards_code", "torch_version"})

_PLAIN = re.compile(r"[A-Za-z0-9_.]*")
_OPERATOR = re.compile(r"torch\.ops\.([^.]+)\.([^.]+)(?:\.(?!__)[A-Za-z_][A-Za-z0-9_]*)?")
_EXPRESSION_CHARS = re.compile(r"[A-Za-z0-9_ (),.'=+\-]*")
_SYMBOL = re.compile(r"[A-Za-z]{1,4}([0-9]{1,6})")
_NUMBER = re.compile(r"-?(?:[0-9]{1,30}(?:\.[0-9]*)?|\.[0-9]{1,30})(?:[eE][-+]?[0-9]{1,3})?")
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")

# where a value sits: an ordinary field, a metadata dict, one of its values, inside JSON
# decoded from a metadata value, inside a decoded input / output spec
_FIELD, _METADATA, _METADATA_VALUE, _TEXT, _SPEC = range(5)
_INNER = {_METADATA: _METADATA_VALUE, _METADATA_VALUE: _TEXT, _TEXT: _TEXT, _SPEC: _SPEC}


def check_program(document: Any, refuse: Callable[[str], ValueError]) -> None:
    """Check every string of a decoded program JSON.

    Parameters
    ----------
    document : object
        ``json.loads`` of ``models/<name>.json``.
    refuse : callable
        Makes the error from a reason that completes "its member '...' ...".

    Raises
    ------
    ValueError
        From ``refuse``, naming the string and why it is refused.

    Examples
    --------
    >>> refuse = ValueError
    >>> check_program({"graph_module": {"graph": {"nodes": [
    ...     {"target": "torch.ops.aten.relu.default", "name": "relu"}]}}}, refuse)
    >>> check_program({"expr_str": "__import__('os')"}, refuse)
    Traceback (most recent call last):
    ...
    ValueError: has the symbolic size "__import__('os')", which calls __import__; torch ...
    """
    stack: list[tuple[Any, str, int]] = [(document, "", _FIELD)]
    while stack:
        value, key, where = stack.pop()
        if isinstance(value, dict):
            for child_key, child in value.items():
                if where in (_FIELD, _SPEC) and not _PLAIN.fullmatch(str(child_key)):
                    raise refuse(f"has the key {str(child_key)[:80]!r}, {_NOT_PLAIN}")
                if key == "range_constraints":
                    _check_symbol_name(str(child_key), refuse)
                if where == _FIELD:
                    inner = _METADATA if child_key == "metadata" else _FIELD
                else:
                    inner = _INNER[where]
                stack.append((child, str(child_key), inner))
        elif isinstance(value, list):
            stack.extend((child, key, where) for child in value)
        elif isinstance(value, str):
            stack.extend(_check_string(value, key, where, refuse))


_NOT_PLAIN = (
    "which is not a plain name (letters, digits, '_', '.'); names are pasted into the "
    "Python code torch generates for the model"
)


def _check_string(
    value: str, key: str, where: int, refuse: Callable[[str], ValueError]
) -> list[tuple[Any, str, int]]:
    """Check one string; return any JSON inside it that is to be walked too."""
    if where in (_METADATA, _METADATA_VALUE, _TEXT):
        breaks = _LINE_BREAKS.findall(value)
        stack_trace = where == _METADATA_VALUE and key == "stack_trace"
        if breaks and not (stack_trace and set(breaks) == {"\n"}):
            raise refuse(
                f"has a line break in its metadata {key!r}; metadata becomes comments in the "
                "Python code torch generates, where a line break starts code"
            )
        inner = _json(value) if value[:1] in ("[", "{") else None
        return [] if inner is None else [(inner, key, _TEXT)]
    if key == "expr_str":
        problem = sympy_problem(value)
        if problem is not None:
            raise refuse(
                f"has the symbolic size {value[:60]!r}, which {problem}; torch parses "
                "symbolic sizes with sympy, which runs them as Python"
            )
        return []
    if key in ("target", "as_operator"):
        problem = _operator_problem(value)
        if problem is not None:
            raise refuse(f"calls {value[:80]!r}, which {problem}")
        return []
    if key in ("in_spec", "out_spec", "context") and where in (_FIELD, _SPEC):
        inner = _json(value)
        if inner is not None:
            return [(inner, key, _SPEC)]
    if key in FREE_TEXT and where == _FIELD:
        return []
    if not _PLAIN.fullmatch(value):
        raise refuse(f"has the {key or 'value'} {value[:80]!r}, {_NOT_PLAIN}")
    return []


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _check_symbol_name(name: str, refuse: Callable[[str], ValueError]) -> None:
    match = _SYMBOL.fullmatch(name)
    if match is None or int(match.group(1)) > MAX_SYMBOL_INDEX:
        raise refuse(
            f"has the range constraint {name[:40]!r}, which is not a symbol such as 's0' "
            f"(an index up to {MAX_SYMBOL_INDEX})"
        )


def _operator_problem(target: str) -> str | None:
    if target in PYTHON_FUNCTIONS:
        return None
    match = _OPERATOR.fullmatch(target)
    if match is None:
        return "is neither a PyTorch operator nor a function torch's verifier allows"
    return operator_problem(match.group(1), match.group(2))


# -- symbolic sizes --------------------------------------------------------------------


def sympy_problem(text: str) -> str | None:
    """Why ``sympify(text)`` could be unsafe or unbounded, or None for a plain expression.

    Examples
    --------
    >>> sympy_problem("Mul(Integer(2), Symbol('s0', positive=True, integer=True))") is None
    True
    >>> sympy_problem("Symbol('s0').__class__")
    'uses attribute access'
    >>> sympy_problem("Pow(Integer(10), Integer(10000000))")
    'raises a number, not a symbol, to a power'
    """
    if len(text) > MAX_EXPRESSION:
        return f"is longer than {MAX_EXPRESSION} characters"
    if not _EXPRESSION_CHARS.fullmatch(text):
        return "uses characters a sympy expression written by torch does not"
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "is not an expression"
    stack: list[ast.AST] = [tree.body]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            problem = _call_problem(node, stack)
        elif isinstance(node, ast.Name):
            problem = None if node.id in SYMPY_NAMES else f"names {node.id}"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            stack.append(node.operand)
            problem = None
        elif isinstance(node, ast.Constant):
            problem = None if _small_int(node) else "has a constant outside Integer(...)"
        elif isinstance(node, ast.Attribute):
            problem = "uses attribute access"
        else:
            problem = f"uses {type(node).__name__}"
        if problem is not None:
            return problem
    return None


def _call_problem(node: ast.Call, stack: list[ast.AST]) -> str | None:
    if not isinstance(node.func, ast.Name):
        return "uses attribute access" if isinstance(node.func, ast.Attribute) else \
            "calls something that is not a function name"
    name = node.func.id
    if name not in SYMPY_CALLS:
        return f"calls {name}"
    for keyword in node.keywords:
        if keyword.arg is None or not isinstance(keyword.value, ast.Constant):
            return f"passes a computed keyword to {name}"
        constant = keyword.value.value
        precision = keyword.arg == "precision" and type(constant) is int and 0 < constant <= 1024
        if type(constant) is not bool and not precision:
            return f"passes {keyword.arg}={constant!r} to {name}"
    args = node.args
    if name == "Symbol":
        ok = len(args) == 1 and _constant_str(args[0], _SYMBOL)
        return None if ok else "has a Symbol that is not named like 's0'"
    if name == "Float":
        ok = len(args) == 1 and (_constant_str(args[0], _NUMBER) or _small_int(args[0]))
        return None if ok else "has a Float that is not a number"
    if name in ("Integer", "Rational"):
        ok = len(args) == (1 if name == "Integer" else 2) and all(map(_small_int, args))
        return None if ok else f"has {'an' if name == 'Integer' else 'a'} {name} that is not " \
            "a small integer"
    if name in ("Pow", "PowByNatural", "FloatPow", "LShift") and not _bounded_power(args):
        return "raises a number, not a symbol, to a power"
    stack.extend(args)
    return None


def _constant_str(node: ast.AST, pattern: re.Pattern[str]) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(
        pattern.fullmatch(node.value)
    )


def _small_int(node: ast.AST) -> bool:
    """An integer constant (possibly negated) of at most 30 digits."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) < 10**30


def _bounded_power(args: list[ast.expr]) -> bool:
    """``base ** k`` with a symbol as the base and ``|k| <= 64``: nothing huge to compute."""
    if len(args) != 2:
        return False
    base, exponent = args
    symbol = isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and \
        base.func.id == "Symbol"
    if isinstance(exponent, ast.Call) and isinstance(exponent.func, ast.Name) and \
            exponent.func.id == "Integer" and len(exponent.args) == 1:
        exponent = exponent.args[0]
    small = _small_int(exponent) and abs(ast.literal_eval(exponent)) <= 64
    return symbol and small
