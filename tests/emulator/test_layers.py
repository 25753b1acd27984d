"""The emulator's layers (README.md "Modules"): every run-time import inside the emulator points down or sideways,
never up, so the dialects never reach back into the handlers or the app that serve them.

Walks the AST like tests/test_import_graph.py (imports inside functions count, ``if TYPE_CHECKING:`` blocks
do not); that test finds circles across the whole package, this one pins the direction between layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sora_widgets.emulator

ROOT = Path(sora_widgets.emulator.__file__).parent
PACKAGE = "sora_widgets.emulator"

#: Bottom first. A module may import modules of its own layer or below ("dialects.*" is every dialect module).
LAYERS: list[tuple[str, ...]] = [
    ("errors", "records", "ids", "config", "moderation", "render", "render.*"),  # settings, records, leaves
    ("parsing", "faults", "webhooks", "renders"),
    ("engine",),
    ("context", "inputs"),
    ("middleware",),
    ("dialects", "dialects.*"),  # get the shared handlers from the app as a parameter
    ("handlers", "derived"),
    ("app",),
    ("", "__main__"),  # the package (start_emulator) and the CLI
]


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in ROOT.rglob("*.py")}


def _layer(name: str) -> int:
    for index, members in enumerate(LAYERS):
        for member in members:
            if name == member or (member.endswith(".*") and name.startswith(member[:-1])):
                return index
    raise AssertionError(f"emulator module {name!r} has no layer in LAYERS (place it: a new module is a choice)")


def _imports(name: str) -> set[str]:
    """Emulator modules ``name`` imports at run time (relative to the emulator package)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def resolve(absolute: str) -> None:
        if absolute == PACKAGE or absolute.startswith(PACKAGE + "."):
            found.add(absolute[len(PACKAGE) + 1:])

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and getattr(child.test, "id", getattr(child.test, "attr", "")) == \
                    "TYPE_CHECKING":
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    resolve(alias.name)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = [PACKAGE, *([package] if package else [])]
                    parts = ".".join(base).split(".")
                    parts = parts[: len(parts) - (child.level - 1)]
                    root = ".".join([*parts, child.module] if child.module else parts)
                else:
                    root = child.module or ""
                for alias in child.names:  # `from .. import handlers` imports the module handlers
                    sub = f"{root}.{alias.name}"
                    resolve(sub if sub[len(PACKAGE) + 1:] in MODULES else root)
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    found.discard(name)
    return {m for m in found if m in MODULES}


def test_the_walk_sees_imports_inside_functions():
    # sanity: the walker is not blind (__main__ imports the app inside main())
    assert "app" in _imports("__main__")
    assert {"ids", "context"} <= _imports("dialects.base")  # `from ..ids import`, two levels up
    assert {"dialects.base", "middleware"} <= _imports("dialects.servers")
    assert "render" in _imports("renders")  # `from . import render` is the render package


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    upward = {m: LAYERS[_layer(m)] for m in _imports(module) if _layer(m) > _layer(module)}
    assert not upward, f"{module or PACKAGE} (layer {_layer(module)}) imports upward: {upward}"


def test_the_dialects_never_import_the_handlers_or_the_app():
    for name in MODULES:
        if name == "dialects" or name.startswith("dialects."):
            assert not _imports(name) & {"handlers", "derived", "app", "__main__", ""}, name
