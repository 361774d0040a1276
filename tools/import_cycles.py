"""Import cycles inside the intake package, from the source alone (nothing is imported or run).

Usage: python tools/import_cycles.py [--deferred]

Reads every module under intake/ with `ast` and builds the graph of its imports of other
intake modules. An import counts when it runs as the module loads: at module level, in a
class body, under `try`/`if` (but not under `if TYPE_CHECKING:`, which never runs). Imports
inside a function run only when it is called; `--deferred` lists those that would close a
cycle if they were at module level, the ones written inside a function to dodge one.

`from intake.x import y` is an edge to intake.x.y when y is a module, else to intake.x. The
implicit import of a parent package (importing intake.a.b first runs intake/a/__init__.py)
is not an edge: a package always starts loading before its modules, whatever it imports.

Prints each cycle as `a -> b -> a` and exits 1 if there is any (0 otherwise), so it can run
in CI; tests/unit/support/test_import_cycles.py runs it.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "intake"


@dataclass(frozen=True)
class Import:
    """One import of an intake module by another: where it is written and when it runs."""

    importer: str
    imported: str
    line: int
    deferred: bool  # inside a function: runs when called, not when the module loads


def module_names(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, for __init__.py)."""
    names = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, modules: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = importer.split(".") if is_package else importer.split(".")[:-1]
        anchor = anchor[:len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, *([base] if base else [])])
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The intake modules `name` imports, each marked deferred when written inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[Import] = []

    def visit(node: ast.AST, deferred: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child, deferred)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in dict.fromkeys(_targets(node, name, path.name == "__init__.py", modules)):
                if target in modules and target != name:
                    found.append(Import(name, target, node.lineno, deferred))
            return
        inside = deferred or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return found


def all_imports(root: Path = ROOT) -> list[Import]:
    modules = module_names(root)
    return [found for name, path in modules.items() for found in imports_of(name, path, modules)]


def cycles(edges: list[tuple[str, str]]) -> list[list[str]]:
    """One cycle per strongly connected component that has one (Tarjan's algorithm), each
    given as the shortest path round from the component's first module by name."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))
    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(_shortest_round(graph, component) for component in components)


def _shortest_round(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & component):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError("a strongly connected component always has a cycle")


def deferred_closing_cycles(found: list[Import]) -> list[Import]:
    """The imports inside functions that would close a cycle if they ran as the module loads."""
    loading = [(i.importer, i.imported) for i in found if not i.deferred]
    return [i for i in found if i.deferred and cycles([*loading, (i.importer, i.imported)])]


def main(argv: list[str]) -> int:
    found = all_imports()
    loop = cycles([(i.importer, i.imported) for i in found if not i.deferred])
    for cycle in loop:
        print(" -> ".join(cycle))
    if not loop:
        print(f"no import cycle among {len(module_names())} modules (imports as they load)")
    if "--deferred" in argv:
        for i in deferred_closing_cycles(found):
            print(f"deferred, would close a cycle: {i.importer} -> {i.imported} "
                  f"({module_names()[i.importer].relative_to(ROOT)}:{i.line})")
    return 1 if loop else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
