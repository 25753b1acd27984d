"""The package's imports point one way (docs/architecture.md "Layers"). Walks the AST of every module, imports at
module level and inside functions alike (``if TYPE_CHECKING:`` blocks are not imports at run time), and fails
on an import circle or a forbidden edge."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sora_widgets"

#: Modules that make up the core: below the widgets and the magics.
UI = ("sora_widgets.widgets", "sora_widgets.magics", "sora_widgets.magic_args", "sora_widgets.magic_fill",
      "sora_widgets.magic_table")
EMULATOR = "sora_widgets.emulator"
#: What the emulator may use of the rest of the package (it shares only the protocol, profiles and geometry).
EMULATOR_MAY_USE = {"sora_widgets.profiles", "sora_widgets.media", "sora_widgets.errors"}
#: Client/engine internals the widgets never touch (they go through the public facade and job objects).
WIDGETS_MUST_NOT_USE = {
    "sora_widgets.client", "sora_widgets.engine", "sora_widgets.loop", "sora_widgets.create_flow",
    "sora_widgets.downloads", "sora_widgets.poller", "sora_widgets.store", "sora_widgets.session",
    "sora_widgets.outcomes", "sora_widgets.local_media", "sora_widgets.embedded", "sora_widgets.api",
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, files: set[str]) -> set[str]:
    """Absolute names of every module ``path`` imports at run time (``from pkg import mod`` is ``pkg.mod``)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    root = ".".join([*base, child.module] if child.module else base)
                else:
                    root = child.module or ""
                for alias in child.names:  # `from . import api` imports the module sora_widgets.api
                    sub = f"{root}.{alias.name}"
                    found.add(sub if sub in files else root)
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        edges = set()
        for target in _imports(path, set(files)):
            if target in files and target != name:
                edges.add(target)
            elif target.split(".")[0] not in ("sora_widgets",):
                edges.add(target)  # a third-party module, kept for the forbidden-edge checks
        graph[name] = edges
    return graph


GRAPH = _graph()


def _inside(name: str, prefixes: tuple[str, ...] | str) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_walk_sees_imports_inside_functions():
    # sanity: the walker is not blind (card.py imports the facade inside a function)
    assert "sora_widgets" in GRAPH["sora_widgets.widgets.card"]
    assert "sora_widgets.session" in GRAPH["sora_widgets.api"]


def test_no_import_circle():
    """Strongly connected components of the package's module graph, larger than one module, are circles.

    The package ``__init__`` is the lazy public facade (names resolve on attribute access; its only static
    import is the magics hook inside ``load_ipython_extension``), so edges out of it do not close circles."""
    nodes = [n for n in GRAPH if n.startswith("sora_widgets")]
    edges = {n: {m for m in GRAPH[n] if m in GRAPH} if n != "sora_widgets" else set() for n in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in nodes:
        if node not in index:
            strongconnect(node)
    assert not circles, f"import circles: {circles}"


def _core() -> list[str]:
    return [n for n in GRAPH if n.startswith("sora_widgets.") and not _inside(n, (*UI, EMULATOR))]


@pytest.mark.parametrize("module", sorted(_core()))
def test_the_core_never_imports_widgets_ipython_or_magics(module):
    bad = {m for m in GRAPH[module] if _inside(m, (*UI, "IPython", "ipywidgets", "anywidget", "ipykernel"))}
    assert not bad, f"{module} imports {sorted(bad)}"


def test_only_magics_imports_ipython():
    users = sorted(n for n, edges in GRAPH.items() if any(_inside(m, "IPython") for m in edges))
    assert users == ["sora_widgets.magics"], users


def test_the_emulator_uses_only_profiles_and_media_of_the_client_side():
    for name, edges in GRAPH.items():
        if not _inside(name, EMULATOR):
            continue
        own = {m for m in edges if m.startswith("sora_widgets") and not _inside(m, EMULATOR)}
        assert own <= EMULATOR_MAY_USE, f"{name} imports {sorted(own - EMULATOR_MAY_USE)}"


def test_widgets_never_import_client_or_engine_internals():
    for name, edges in GRAPH.items():
        if _inside(name, "sora_widgets.widgets"):
            bad = edges & WIDGETS_MUST_NOT_USE
            assert not bad, f"{name} imports {sorted(bad)}"


def test_no_module_is_over_about_400_lines():
    # coach.py (prompt coaching rules, another helper's) and the emulator are checked by their owners
    owned_elsewhere = ("sora_widgets.widgets.coach", "sora_widgets.magics", "sora_widgets.magic_args", EMULATOR)
    long = {n: len(p.read_text().splitlines()) for n, p in
            ((_module_name(p), p) for p in PACKAGE.rglob("*.py")) if not _inside(n, owned_elsewhere)}
    assert {n: c for n, c in long.items() if c > 420} == {}
