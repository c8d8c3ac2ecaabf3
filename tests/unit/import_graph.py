"""The import graph of a package read with `ast` (nothing is imported), and the house rules
checked on it: layers import downward only, isolated siblings never import each other,
some packages never reach others, and no modules import each other in a cycle.

Every `import` counts, at module level or inside a function (a lazy import is still a
dependency); imports under `if TYPE_CHECKING:` do not (they never run). Importing
`a.b.c` also runs `a/__init__` and `a/b/__init__`; those implicit edges are not counted.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

Graph = dict[str, set[str]]


def _modules(src: Path, package: str) -> dict[str, Path]:
    found = {}
    for path in sorted((src / package.replace(".", "/")).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
        return
    children: list[ast.stmt] | Iterator[ast.AST] = ast.iter_child_nodes(node)
    if isinstance(node, ast.If) and _is_type_checking(node):
        children = node.orelse  # the guarded body never runs
    for child in children:
        yield from _imports(child)


def _resolve(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
             modules: dict[str, Path]) -> set[str]:
    """The modules of the tree that `node` imports: `from a import b` is the module a.b
    when there is one, else a; `import a.b.c` is the longest of a.b.c, a.b, a that is one."""
    if isinstance(node, ast.Import):
        found = set()
        for alias in node.names:
            parts = alias.name.split(".")
            candidates = (".".join(parts[:n]) for n in range(len(parts), 0, -1))
            found.update(next(([c] for c in candidates if c in modules), []))
        return found
    base = node.module or ""
    if node.level:
        anchor = module.split(".")
        anchor = anchor[: len(anchor) - (0 if is_package else 1) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    return {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}


def import_graph(src: Path, package: str) -> Graph:
    """module -> the modules of `package` it imports (`src` holds the package's folder)."""
    modules = _modules(src, package)
    graph: Graph = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(), str(path))):
            graph[name].update(t for t in _resolve(node, name, is_package, modules)
                               if t in modules and t != name)
    return graph


@dataclass(frozen=True, kw_only=True)
class Layering:
    """The sub-packages and modules directly under `package`, in groups, lowest first.

    A module may import its own group and lower ones; in an `isolated` group the members
    never import each other. A name in no group is reported as unplaced."""

    package: str
    groups: tuple[tuple[str, ...], ...]
    isolated: frozenset[tuple[str, ...]] = field(default_factory=frozenset)

    def place(self, module: str) -> tuple[int, tuple[str, ...], str] | None:
        """(group index, group, name) of `module`; None outside `package` or for itself."""
        prefix = self.package + "."
        if not module.startswith(prefix):
            return None
        name = module[len(prefix):].split(".")[0]
        for index, group in enumerate(self.groups):
            if name in group:
                return index, group, name
        return -1, (), name


def _cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def findings(graph: Graph, layerings: list[Layering],
             never_reach: tuple[tuple[str, str], ...] = ()) -> set[str]:
    """Every broken rule, one line each (`upward:`, `sibling:`, `reach:`, `unplaced:`, `cycle:`)."""
    out: set[str] = set()
    for layering in layerings:
        for module in graph:
            placed = layering.place(module)
            if placed is not None and placed[0] == -1:
                out.add(f"unplaced: {module} ({placed[2]} is in no group of {layering.package})")
        for source, targets in graph.items():
            for target in targets:
                here, there = layering.place(source), layering.place(target)
                if here is None or there is None or here[2] == there[2]:
                    continue  # outside this layering, or within one sub-package
                if -1 in (here[0], there[0]):
                    continue  # reported as unplaced
                if there[0] > here[0]:
                    out.add(f"upward: {source} -> {target}")
                elif there[0] == here[0] and here[1] in layering.isolated:
                    out.add(f"sibling: {source} -> {target}")
    for source, targets in graph.items():
        for target in targets:
            for importer, imported in never_reach:
                if _under(source, importer) and _under(target, imported):
                    out.add(f"reach: {source} -> {target}")
    out.update(f"cycle: {' <-> '.join(members)}" for members in _cycles(graph))
    return out


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")
