"""Which PyTorch operators a model file may call without being trusted.

A TorchScript module and a torch.export program both name the operators they call. Most are
arithmetic on tensors, but a few reach outside the process: ``aten::save`` writes any value
to any path, ``aten::from_file`` reads (and, shared, writes back to) any file,
``debugprims::load_tensor`` reads one, and ``prim::rpc_*`` call other machines. Operators of
other libraries (``torch.ops.<library>.*``) can do anything their library does. So a file
loaded without trust may call operators of PyTorch's core namespaces only, and none of the
ones that touch files or the network.
"""

from __future__ import annotations

import re

#: operator namespaces of PyTorch itself (``torch.ops.<namespace>``)
CORE_NAMESPACES = frozenset({
    "aten", "prim", "prims", "higher_order", "quantized", "_quantized",
    "quantized_decomposed", "prepacked",
})
#: TorchBind class namespaces of PyTorch itself (``torch.classes.<namespace>``)
CORE_CLASS_NAMESPACES = frozenset({"quantized", "xnnpack"})
#: operator names that read or write files or reach other machines
IO_OPERATORS = frozenset({
    "save", "from_file", "load_tensor", "rpc_async", "rpc_sync", "rpc_remote", "remote",
})

#: why an operator of IO_OPERATORS is refused
IO_PROBLEM = "writes or reads files or reaches other machines"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def operator_problem(namespace: str, name: str) -> str | None:
    """Why calling ``torch.ops.<namespace>.<name>`` is refused, or None when it is allowed.

    Examples
    --------
    >>> operator_problem("aten", "linear") is None
    True
    >>> operator_problem("aten", "save")
    'writes or reads files or reaches other machines'
    >>> operator_problem("image", "write_file")
    "is not in PyTorch's core operator namespaces"
    """
    if not (_NAME.fullmatch(namespace) and _NAME.fullmatch(name)) or name.startswith("__"):
        return "is not an operator name"
    if name in IO_OPERATORS:
        return IO_PROBLEM
    return namespace_problem(namespace)


def namespace_problem(namespace: str) -> str | None:
    """Why the operators of ``torch.ops.<namespace>`` are refused, or None.

    Examples
    --------
    >>> namespace_problem("aten") is None, namespace_problem("torchvision")
    (True, "is not in PyTorch's core operator namespaces")
    """
    return None if namespace in CORE_NAMESPACES else "is not in PyTorch's core operator namespaces"
