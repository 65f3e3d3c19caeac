"""The house as docs/architecture.md draws it: stages that import only downwards, no cycles, small modules.

The import graph is read from the source (every `import` and `from ... import`, at any depth),
so a new dependency that breaks the map fails here, with the module and line that made it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "hourbook"

# Low to high: a stage may import its own modules and those of the stages before it, never after.
STAGES = ("core", "load", "git", "checks", "render", "site", "output", "pipeline", "build", "invoicing",
          "commands", "__main__")
MAX_LINES = 500
# Reading order inside the package's own files: `hourbook/__init__.py` is part of no stage.
TOP = "hourbook"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else TOP


def imports_of(path: Path, known: dict[str, Path]) -> list[tuple[int, str, bool]]:
    """(line, imported hourbook module, inside a function?) for every import of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name, in_function) for alias in child.names
                             if alias.name.startswith(TOP + "."))
            elif isinstance(child, ast.ImportFrom) and child.module and child.module.startswith(TOP):
                for alias in child.names:
                    name = f"{child.module}.{alias.name}"
                    found.append((child.lineno, name if name in known else child.module, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def graph() -> dict[str, list[tuple[int, str, bool]]]:
    known = modules()
    return {module: imports_of(path, known) for module, path in known.items()}


def test_every_module_belongs_to_a_stage():
    strays = [module for module in modules() if module != TOP and stage_of(module) not in STAGES]
    assert not strays, f"modules outside the stages of docs/architecture.md: {strays}"


def test_no_stage_imports_a_later_stage():
    upward = []
    for module, imported in graph().items():
        if module == TOP:
            continue
        rank = STAGES.index(stage_of(module))
        for line, target, _ in imported:
            target_stage = stage_of(target)
            if target_stage != TOP and STAGES.index(target_stage) > rank:
                upward.append(f"{module}:{line} imports {target} ({stage_of(module)} -> {target_stage})")
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    edges = {module: {target for _, target, _ in imported if target in modules()} for module, imported in
             graph().items()}
    # A package's __init__ importing its own modules is how a package is made, not a cycle.
    for module in edges:
        edges[module] = {target for target in edges[module] if not module.startswith(target + ".")}
    cycles, state = [], {}

    def walk(module: str, stack: list[str]) -> None:
        state[module] = "open"
        for target in sorted(edges.get(module, ())):
            if state.get(target) == "open":
                cycles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                walk(target, stack + [target])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            walk(module, [module])
    assert not cycles, "\n".join(cycles)


def test_function_level_imports_say_why():
    """An import inside a function hides a dependency: allowed only to defer a heavy import, and said so."""
    hidden = []
    for module, path in modules().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for line, target, in_function in imports_of(path, modules()):
            if not in_function:
                continue
            here, above = lines[line - 1], lines[line - 2] if line > 1 else ""
            if "#" not in here and not above.strip().startswith("#"):
                hidden.append(f"{module}:{line} imports {target} inside a function without saying why")
    assert not hidden, "\n".join(hidden)


@pytest.mark.parametrize("module", sorted(modules()))
def test_modules_are_small(module):
    lines = len(modules()[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: split it by what it does (docs/architecture.md)"


def test_the_graph_reads_the_imports():
    """The checks above would pass on an empty graph: make sure it sees what is there."""
    edges = graph()
    assert ("hourbook.core.records" in {target for _, target, _ in edges["hourbook.pipeline"]}
            or any(target.startswith("hourbook.core.records") for _, target, _ in edges["hourbook.pipeline"]))
    assert len(edges) > 30


def public_functions_without_docstring() -> list[str]:
    missing = []
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            bodies = [node] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bodies += [item for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                           and not item.name.startswith("_")]
            for function in bodies:
                if not function.name.startswith("_") and ast.get_docstring(function) is None:
                    missing.append(f"{module}:{function.lineno} {function.name}")
    return missing


def test_public_functions_have_docstrings():
    missing = public_functions_without_docstring()
    assert not missing, f"{len(missing)} public functions without a docstring:\n" + "\n".join(missing)
