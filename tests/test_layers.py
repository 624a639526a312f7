"""The package's layering, read from its sources: no import cycles, no private names across modules.

Every ``import`` and ``from ... import`` between fastws' own modules (``.py``
and ``.pyx``; those under ``if TYPE_CHECKING:`` and inside functions too) is
an edge of a graph that must have no cycle: each layer imports only the
layers below it. A name with a leading underscore is private to its module:
another module may import the private *module* (``from . import _url_py``)
but not a private name out of it (``from ._shared import _helper``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import fastws

ROOT = Path(fastws.__file__).parent
# A .pyx is not Python: its imports are read as lines (the only form its sources use).
PYX_IMPORT = re.compile(r"^(?:from\s+(\S+)\s+c?import\s+(\([^)]*\)|[^\n#]*)|c?import\s+(\S+))", re.MULTILINE)


def _module_name(path: Path) -> str:
    parts = ("fastws", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(module: str, level: int, importer: str, is_package: bool) -> str:
    if not level:
        return module
    base = importer if is_package else importer.rpartition(".")[0]
    for _ in range(level - 1):
        base = base.rpartition(".")[0]
    return f"{base}.{module}" if module else base


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, [names])`` for each import in ``path``: absolute module names, names as written."""
    importer, is_package = _module_name(path), path.stem == "__init__"
    found: list[tuple[str, list[str]]] = []
    if path.suffix == ".pyx":
        for match in PYX_IMPORT.finditer(path.read_text()):
            source, names, plain = match.groups()
            if plain:
                found.append((plain, []))
                continue
            level = len(source) - len(source.lstrip("."))
            module = _absolute(source.lstrip("."), level, importer, is_package)
            names = names.strip("()")
            found.append((module, [n.split(" as ")[0].strip() for n in names.split(",") if n.strip()]))
        return found
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            module = _absolute(node.module or "", node.level, importer, is_package)
            found.append((module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
    return found


def _graph() -> tuple[dict[str, set[str]], list[str]]:
    """The import graph between fastws' modules, and each private name imported across modules."""
    sources = sorted(p for p in ROOT.rglob("*") if p.suffix in (".py", ".pyx"))
    # A .pxd names a compiled module too: aiohttp's way, one .py compiled under its .pxd's name.
    modules = {_module_name(p) for p in sources} | {_module_name(p) for p in ROOT.rglob("*.pxd")}
    graph: dict[str, set[str]] = {module: set() for module in modules}
    private: list[str] = []
    for path in sources:
        importer = _module_name(path)
        for module, names in _imports(path):
            if not module.startswith("fastws"):
                continue
            for name in names:
                target = f"{module}.{name}"
                if target in modules:  # a module imported from its package
                    graph[importer].add(target)
                elif name.startswith("_") and not name.startswith("__"):
                    private.append(f"{importer} imports {name} from {module}")
            # A module's package runs first whatever it imports: not an edge of the layering.
            if module in modules and not importer.startswith(f"{module}."):
                graph[importer].add(module)
            graph[importer].discard(importer)
    return graph, private


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, path)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    return cycles


def test_the_graph_is_read() -> None:
    # The checks below are only as good as the graph: it must see the edges we know are there.
    graph, _ = _graph()
    assert "fastws.wire._frame_rules" in graph["fastws.wire._codec_py"]
    assert "fastws._shared" in graph["fastws._url_c"]  # a .pyx's imports
    assert "fastws.broadcast.redis" in graph["fastws.broadcast.urls"]  # an import inside a function
    assert "fastws.websockets" in graph["fastws.broadcast.hub"]  # a relative import two levels up


def test_no_import_cycles() -> None:
    graph, _ = _graph()
    assert _cycles(graph) == []


def test_a_cycle_would_be_found() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_private_names_across_modules() -> None:
    _, private = _graph()
    assert private == []
