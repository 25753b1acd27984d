"""Fixtures for the marimo browser tests: one ``marimo run`` of notebooks/marimo_quickstart.py, Debian chromium.

Like tests/ui: the app's kernel runs with no ``OPENAI_API_KEY``/``OPENAI_BASE_URL`` (the embedded emulator, the
path a new user takes), ``SORA_WIDGETS_EMULATOR_SPEED`` makes it fast and ``SORA_WIDGETS_HOME`` keeps its
journal in a throwaway dir. With ``CI`` set, a missing chromium or marimo fails the run instead of skipping it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))

from marimo_harness import MarimoServer
from ui_harness import find_chromium, launch_browser, watch_page

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "marimo_quickstart.py"
#: As in tests/ui: a 4 s clip spends about 3.3 s in progress, slow enough to see the bar advance.
EMULATOR_SPEED = os.environ.get("SORA_UI_EMULATOR_SPEED", "3")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.ui)


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}; the marimo browser tests gate CI, so this is a failure when CI is set")
    pytest.skip(what)


@pytest.fixture(scope="session")
def marimo_chromium() -> str:
    path = find_chromium()
    if path is None:
        _missing("Debian chromium not found on PATH (install it with `apt-get install -y chromium`)")
    if importlib.util.find_spec("marimo") is None:
        _missing("marimo is not installed (it is in the test extra: pip install -e '.[test]')")
    return path  # type: ignore[return-value]


@pytest.fixture(scope="module")
def marimo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MarimoServer]:
    """``marimo run`` of a copy of the quickstart (marimo may write next to the notebook it runs)."""
    work = tmp_path_factory.mktemp("marimo")
    home = work / "sora-home"
    home.mkdir()
    notebook = work / NOTEBOOK.name
    shutil.copyfile(NOTEBOOK, notebook)
    env = {"SORA_WIDGETS_HOME": str(home), "SORA_WIDGETS_EMULATOR_SPEED": EMULATOR_SPEED}
    server = MarimoServer(notebook, work / "server", env=env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def marimo_page(marimo_chromium: str, marimo_app: MarimoServer, playwright_driver: Any) -> Iterator[Any]:
    """A fresh page of the app; fails the test on page errors, console errors or dialogs."""
    browser = launch_browser(playwright_driver, marimo_chromium)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    problems = watch_page(page)
    try:
        yield page
        found = problems.unexpected()
        assert not found, "unexpected errors in the browser:\n" + "\n".join(found)
    finally:
        context.close()
        browser.close()
