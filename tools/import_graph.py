"""Print which top-level parts of the ``advval`` package import which.

Reads the source (never imports it), so it runs on any checkout, old or new::

    python tools/import_graph.py                 # this checkout
    python tools/import_graph.py /path/to/old/checkout --format json

A *part* is a subpackage (``drift``, ``report``, ``cli``...) or a top-level module
(``_frames``, ``_stats``...); ``advval`` is the package's ``__init__``. Every ``import``
statement that names another part counts once, as one of:

- ``module``: run when the importing module is imported;
- ``lazy``: inside a function or method, run when it is called;
- ``typing``: under ``if TYPE_CHECKING:``, never run.

The text format lists each part's outgoing arrows, then the cycles among the parts when the
module-level and lazy arrows are followed (the type-only ones are left out).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "advval"
KINDS = ("module", "lazy", "typing")


@dataclass(frozen=True)
class Import:
    """One import statement from one part of the package to another."""

    source: str  # the importing module, e.g. advval.cli._drift
    target: str  # the imported module, e.g. advval.report._json
    kind: str  # module, lazy or typing
    line: int


def part_of(module: str) -> str:
    """The top-level part a dotted module name belongs to.

    >>> part_of("advval.cli._drift"), part_of("advval._frames"), part_of("advval")
    ('cli', '_frames', 'advval')
    """
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else PACKAGE


def module_name(path: Path, root: Path) -> str:
    """The dotted name of the module at ``path`` (``root`` holds the package folder)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str | None:
    """The absolute module an ``from ... import`` names (relative ones resolved)."""
    if node.level == 0:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_type_checking(test: ast.expr) -> bool:
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


def _walk(node: ast.AST, kind: str) -> Iterator[tuple[ast.AST, str]]:
    """Every node under ``node`` with the kind of import it would be."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for sub in child.body:
                yield sub, "typing"
                yield from _walk(sub, "typing")
            for sub in child.orelse:
                yield sub, kind
                yield from _walk(sub, kind)
            continue
        inner = "lazy" if kind == "module" and isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
        ) else kind
        yield child, inner
        yield from _walk(child, inner)


def imports_of(path: Path, root: Path) -> list[Import]:
    """The imports of other parts of the package in the module at ``path``."""
    module = module_name(path, root)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node, kind in _walk(tree, "module"):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            if base is None:
                continue
            # ``from advval import drift`` imports the part drift, not advval's __init__ alone
            targets = (
                [f"{base}.{alias.name}" for alias in node.names]
                if base == PACKAGE
                else [base]
            )
        else:
            continue
        for target in targets:
            if target.split(".")[0] != PACKAGE:
                continue
            if target.count(".") == 1 and not _is_part(root, target):
                target = PACKAGE  # a name of advval's __init__ (from advval import X)
            if part_of(target) != part_of(module):
                found.append(Import(module, target, kind, node.lineno))
    return found


def _is_part(root: Path, target: str) -> bool:
    name = target.split(".")[1]
    folder = root / PACKAGE
    return (folder / name).is_dir() or (folder / f"{name}.py").is_file()


def collect(root: Path) -> list[Import]:
    """Every import between parts of the package under ``root``."""
    folder = root / PACKAGE
    if not (folder / "__init__.py").is_file():
        raise SystemExit(f"import_graph: no {PACKAGE}/__init__.py under {root}")
    found = []
    for path in sorted(folder.rglob("*.py")):
        found.extend(imports_of(path, root))
    return found


def edges(found: list[Import]) -> dict[tuple[str, str], Counter[str]]:
    """(importing part, imported part) -> import statements of each kind."""
    table: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for item in found:
        table[part_of(item.source), part_of(item.target)][item.kind] += 1
    return dict(sorted(table.items()))


def cycles(
    table: dict[tuple[str, str], Counter[str]], kinds: tuple[str, ...] = ("module", "lazy")
) -> list[list[str]]:
    """The strongly connected groups of parts (size > 1) over the arrows of ``kinds``."""
    graph: dict[str, set[str]] = defaultdict(set)
    for (source, target), counts in table.items():
        if any(counts[kind] for kind in kinds):
            graph[source].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted({*graph, *(t for targets in graph.values() for t in targets)}):
        if node not in index:
            visit(node)
    return sorted(groups)


def render_text(table: dict[tuple[str, str], Counter[str]], root: Path) -> str:
    lines = [f"import graph of {PACKAGE} under {root}",
             "arrow: import statements (module-level / lazy / type-only)", ""]
    by_source: dict[str, list[str]] = defaultdict(list)
    for (source, target), counts in table.items():
        by_source[source].append(
            f"  -> {target:<18} {sum(counts.values()):>4}  "
            f"({counts['module']} / {counts['lazy']} / {counts['typing']})"
        )
    for source in sorted(by_source):
        lines.append(source)
        lines.extend(by_source[source])
    totals = Counter[str]()
    for counts in table.values():
        totals.update(counts)
    lines += ["", f"parts: {len({p for pair in table for p in pair})}, arrows: {len(table)}, "
              f"statements: {sum(totals.values())} ({totals['module']} module-level, "
              f"{totals['lazy']} lazy, {totals['typing']} type-only)"]
    for kinds, label in ((("module",), "module-level arrows"),
                         (("module", "lazy"), "module-level and lazy arrows")):
        found = cycles(table, kinds)
        lines.append(f"cycles ({label}): "
                     + ("none" if not found else "; ".join(" <-> ".join(g) for g in found)))
    return "\n".join(lines)


def render_json(table: dict[tuple[str, str], Counter[str]]) -> str:
    document = {
        "edges": [
            {"from": source, "to": target, **{kind: counts[kind] for kind in KINDS}}
            for (source, target), counts in table.items()
        ],
        "cycles": {"module": cycles(table, ("module",)), "module+lazy": cycles(table)},
    }
    return json.dumps(document, indent=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", type=Path, default=Path(__file__).parents[1],
                        help="the checkout that holds the advval folder (default: this one)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--from", dest="source", default=None,
                        help="list the statements of this part, one a line (file:line kind)")
    args = parser.parse_args(argv)
    found = collect(args.root)
    if args.source is not None:
        for item in found:
            if part_of(item.source) == args.source:
                print(f"{item.source} -> {item.target}  {item.kind}  line {item.line}")
        return 0
    table = edges(found)
    print(render_text(table, args.root) if args.format == "text" else render_json(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
