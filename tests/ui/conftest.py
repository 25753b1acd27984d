"""Fixtures for the real-browser tests: Debian chromium (Playwright), one JupyterLab and one Notebook 7 server.

The servers' kernels run with no ``OPENAI_API_KEY``/``OPENAI_BASE_URL``, so ``sora_widgets`` starts its
embedded emulator on demand: the path a new user takes, exercised end to end (real SDK, real HTTP, real
media). ``SORA_WIDGETS_EMULATOR_SPEED`` makes that emulator fast and ``SORA_WIDGETS_HOME`` keeps the
journal in a throwaway dir. (The alternative, pointing kernels at the session ``emulator`` fixture, would
test a configured remote backend instead of the default, and would share one job list across tests.)

With ``CI`` set, a missing chromium fails the run instead of skipping it: these tests gate CI.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ui_harness import (
    KNOWN_PAGE_ERRORS,
    JupyterServer,
    NotebookPage,
    PageProblems,
    find_chromium,
    launch_browser,
    watch_page,
)

#: Emulator speed-up for the kernels (the embedded emulator reads it). At 3 a 4 s clip spends about 3.3 s
#: in progress with a poll every 0.67 s: fast, yet slow enough to see the progress bar advance.
UI_EMULATOR_SPEED = os.environ.get("SORA_UI_EMULATOR_SPEED", "3")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.ui)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = find_chromium()
    if path is None:
        msg = "Debian chromium not found on PATH (install it with `apt-get install -y chromium`)"
        if os.environ.get("CI"):
            pytest.fail(f"{msg}; the UI tests gate CI, so a missing browser is a failure when CI is set")
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def browser(chromium_executable: str, playwright_driver: Any) -> Iterator[Any]:
    browser = launch_browser(playwright_driver, chromium_executable)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def browser_context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    yield context
    context.close()


def _kernel_env(tmp: Path) -> dict[str, str]:
    home = tmp / "sora-home"
    home.mkdir(parents=True, exist_ok=True)
    return {"SORA_WIDGETS_HOME": str(home), "SORA_WIDGETS_EMULATOR_SPEED": UI_EMULATOR_SPEED}


def _server(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    work = tmp_path_factory.mktemp(f"jupyter-{kind}")
    server = JupyterServer(kind, work, kernel_env=_kernel_env(work))  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """One JupyterLab for the whole session."""
    yield from _server("lab", tmp_path_factory)


@pytest.fixture(scope="session")
def notebook_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """One Notebook 7 server for the whole session."""
    yield from _server("notebook", tmp_path_factory)


class BrowserNotebooks:
    """Opens notebooks of one server in fresh pages, and checks each page for errors on the way out."""

    def __init__(self, context: Any, server: JupyterServer) -> None:
        self.context = context
        self.server = server
        self.opened: list[tuple[Any, PageProblems]] = []
        #: Substrings of console/page errors a test expects (added by the test).
        self.allowed: list[str] = list(KNOWN_PAGE_ERRORS[server.kind])

    def open(self, notebook: str, *, name: str | None = None) -> NotebookPage:
        """Copy ``notebook`` (from tests/ui/notebooks) into the server's root and open it; kernel idle."""
        target = self.server.add_notebook(notebook, name)
        return self.open_existing(target)

    def open_cells(self, name: str, cells: list[str]) -> NotebookPage:
        return self.open_existing(self.server.write_notebook(name, cells))

    def open_existing(self, name: str) -> NotebookPage:
        page = self.context.new_page()
        problems = watch_page(page)
        self.opened.append((page, problems))
        return NotebookPage(page, self.server, name).open()

    def dialogs(self) -> list[str]:
        """Every alert/confirm/prompt any page opened (each one is dismissed, and fails the test)."""
        return [d for _, problems in self.opened for d in problems.dialogs]

    def problems(self) -> list[str]:
        found: list[str] = []
        for _, problems in self.opened:
            found += problems.unexpected(self.allowed)
        return found

    def close(self) -> None:
        for page, _ in self.opened:
            page.close()
        # Each kernel carries its own embedded emulator: don't let them pile up across tests.
        self.server.shutdown_kernels()


def _notebooks(context: Any, server: JupyterServer) -> Iterator[BrowserNotebooks]:
    notebooks = BrowserNotebooks(context, server)
    try:
        yield notebooks
        problems = notebooks.problems()
        assert not problems, "unexpected errors in the browser:\n" + "\n".join(problems)
    finally:
        notebooks.close()


@pytest.fixture()
def lab(browser_context: Any, lab_server: JupyterServer) -> Iterator[BrowserNotebooks]:
    """Open notebooks in JupyterLab; fails the test on unexpected page/console errors or any dialog."""
    yield from _notebooks(browser_context, lab_server)


@pytest.fixture()
def nb7(browser_context: Any, notebook_server: JupyterServer) -> Iterator[BrowserNotebooks]:
    """Open notebooks in Notebook 7; fails the test on unexpected page/console errors or any dialog."""
    yield from _notebooks(browser_context, notebook_server)
