"""The package's shape: layers import downwards only, and the command line stays thin."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "zoho_v1_audit"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """Every package module that `name` imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{name}: relative import"  # absolute imports only
            base = node.module
            target = next(
                (m for m in (*(f"{base}.{a.name}" for a in node.names), base) if m in known), None
            )
            if target is not None and target != name:
                yield target
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in known and a.name != name)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_itself_back_even_lazily() -> None:
    modules = _modules()
    graph = {name: set(_imports(name, path, set(modules))) for name, path in modules.items()}
    assert sum(map(len, graph.values())) > 100  # the walk does see the imports
    assert _cycle(graph) is None


def test_command_functions_stay_thin() -> None:
    """The command line declares options and calls use cases; the work lives elsewhere."""
    tree = ast.parse((PACKAGE / "cli.py").read_text(encoding="utf-8"))
    sizes = {
        node.name: node.end_lineno - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.end_lineno is not None
    }
    assert "scan" in sizes and all(size <= 80 for size in sizes.values()), sizes
