"""`wargame.engine` has no import cycle: its modules form a layered graph (rules below state,
state below adjudication, adjudication below the model), so each can be read, tested and
replaced on its own.

The graph is read with `ast` from every module of the package (nothing is executed) and counts
EVERY import: at module level, under `if TYPE_CHECKING:` and inside functions. A cycle that
only type checkers or a late import see is still a cycle a reader has to untangle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "wargame"


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(name: str, known: set[str]) -> str | None:
    """The engine module `name` refers to: itself, or the package it names a member of
    (`from wargame.engine.rules import shipping` names the module rules.shipping)."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(path: Path, known: set[str], root: Path = PACKAGE) -> set[str]:
    """The engine modules that `path` imports, anywhere in its body."""
    this = module_name(path, root)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, one level up per extra dot
                parent = package.split(".")
                parent = parent[: len(parent) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            # `from a import b` imports the module a.b, or the name b of module a: either way
            # the longest engine module that prefixes a.b.
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name, known)
            if target is not None and target != this:
                found.add(target)
    return found


def engine_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module of `root`/engine and the engine modules it imports."""
    paths = sorted((root / "engine").rglob("*.py"))
    known = {module_name(p, root) for p in paths}
    return {module_name(p, root): imports_of(p, known, root) for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as the modules around it (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done, no cycle through it
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_engine_has_no_import_cycle():
    cycle = find_cycle(engine_graph())
    assert cycle is None, "import cycle in wargame.engine: " + " -> ".join(cycle)


def test_the_graph_sees_every_kind_of_import():
    graph = engine_graph()
    assert len(graph) > 10 and "wargame.engine.model" in graph
    # The model wires the agents (a module-level import).
    assert "wargame.engine.agents" in graph["wargame.engine.model"]


def test_one_upward_import_in_the_engine_would_be_named():
    graph = engine_graph()
    graph["wargame.engine.state"].add("wargame.engine.model")  # the world reaching up
    cycle = find_cycle(graph)
    assert cycle is not None
    assert "wargame.engine.state" in cycle and "wargame.engine.model" in cycle
    assert cycle[0] == cycle[-1]


def test_a_cycle_is_found_and_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_imports_under_type_checking_and_in_functions_count(tmp_path):
    engine = tmp_path / "wargame" / "engine"
    engine.mkdir(parents=True)
    (engine / "__init__.py").write_text("")
    (engine / "one.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from wargame.engine.two import late\n"
    )
    (engine / "two.py").write_text("def late():\n    from . import one\n")
    graph = engine_graph(tmp_path / "wargame")
    assert graph["wargame.engine.one"] == {"wargame.engine.two"}
    assert graph["wargame.engine.two"] == {"wargame.engine.one"}
    assert find_cycle(graph) == ["wargame.engine.one", "wargame.engine.two", "wargame.engine.one"]
