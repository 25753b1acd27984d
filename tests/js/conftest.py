"""The static harness fixture (tests/js/harness): sora.js views on a fake anywidget model in Debian chromium."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "harness"))

from harness_server import CHROMIUM_ARGS, serve


@pytest.fixture(scope="module")
def harness(playwright_driver: Any) -> Iterator[Any]:
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is missing and CI is set: the browser tests gate CI")
        pytest.skip("Debian chromium not found on PATH")
    server = serve()
    base = f"http://127.0.0.1:{server.server_address[1]}/tests/js/harness/index.html"
    pw = playwright_driver
    browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 1100, "height": 900})

    def open_view(query: str) -> Any:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
        page.goto(f"{base}?{query}")
        page.wait_for_function("window.__ready === true", timeout=15_000)
        page.errors = errors  # type: ignore[attr-defined]
        return page

    yield open_view
    context.close()
    browser.close()
    server.shutdown()
