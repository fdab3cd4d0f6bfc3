"""The seams of attacks/: image/ and the CLI use named modules, not private plumbing.

image/ imports only public names of advval.attacks and two named internal modules: the
pieces of a gradient step from ``advval.attacks.gradient.steps`` and the run helpers
from ``advval.attacks.evaluate.runner``; the CLI asks
``advval.attacks.model_format`` / ``model_family`` what a model is. The old private
paths stay importable (``gradient._base`` re-exports the step helpers it used to hold).
"""

import ast
import importlib
from pathlib import Path

import pytest

import advval

ROOT = Path(advval.__file__).parent

#: modules behind the named internal APIs: nothing outside their package imports them
GRADIENT_PRIVATE = {
    f"advval.attacks.gradient.{name}"
    for name in ("_base", "_losses", "_optim", "_random", "_runs", "_steps", "_target")
}
EVALUATE_PRIVATE = {"advval.attacks.evaluate._run"}
#: the model probes the CLI used to reach into
PROBES = {"advval.attacks._oracle", "advval.attacks.trees._ensemble"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports (relative imports resolved; ``from a import b``
    counts ``a`` and, when it is one, the module ``a.b``)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_the_import_reader_resolves_relative_imports():
    found = imports_of(ROOT / "image" / "_patch.py")
    assert "advval.attacks.gradient.steps" in found
    assert "advval.attacks.evaluate.runner.inference_state" in found
    found = imports_of(ROOT / "attacks" / "evaluate" / "runner.py")
    assert {"advval.attacks._inference", "advval.attacks.evaluate._run"} <= found
    assert private_to_attacks("advval.attacks._space.Box")
    assert not private_to_attacks("advval.attacks.gradient.steps.BoxDomain")


def private_to_attacks(module: str) -> bool:
    """A module (or name) under advval.attacks with a private part: ``attacks._space``."""
    parts = module.split(".")
    return parts[:2] == ["advval", "attacks"] and any(p.startswith("_") for p in parts[2:])


@pytest.mark.parametrize("path", sources("image"), ids=lambda p: str(p.relative_to(ROOT)))
def test_image_uses_public_names_and_the_named_modules(path):
    found = {m for m in imports_of(path) if private_to_attacks(m)}
    assert not found, f"{path.name} imports {sorted(found)}: use gradient.steps / evaluate.runner"


@pytest.mark.parametrize("path", sources("cli"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_cli_uses_public_probes(path):
    found = imports_of(path) & (GRADIENT_PRIVATE | EVALUATE_PRIVATE | PROBES)
    assert not found, f"{path.name} imports {sorted(found)}"


def test_runner_names_are_the_implementations():
    runner = importlib.import_module("advval.attacks.evaluate.runner")
    homes = [importlib.import_module(f"advval.attacks.{m}")
             for m in ("evaluate._run", "_inference", "_oracle", "_space")]
    for name in runner.__all__:
        assert any(getattr(home, name, None) is getattr(runner, name) for home in homes), name


def test_steps_names_and_the_old_base_paths():
    pytest.importorskip("torch")
    steps = importlib.import_module("advval.attacks.gradient.steps")
    base = importlib.import_module("advval.attacks.gradient._base")
    for name in steps.__all__:
        assert getattr(steps, name) is not None, name
    # every helper _base held before the split is still importable from it, unchanged
    for name in ("BestPoints", "LazyRandomState", "TorchTarget", "Units", "ascend",
                 "finalizer", "fit_runs", "per_row", "projector", "stack_runs",
                 "subset_target", "torch_generator", "units"):
        assert getattr(base, name) is getattr(steps, name), name
    assert base.GradientAttack is importlib.import_module("advval.attacks.gradient").GradientAttack
