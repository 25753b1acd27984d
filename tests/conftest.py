"""Shared fixtures: one real emulator (real HTTP on loopback) for the whole session.

Area-specific fixtures live in each folder's own conftest.py.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

# Notebooks used by the browser tests are driven through JupyterLab, not collected by nbval.
collect_ignore_glob = ["ui/notebooks/*"]

# The emulator is made fast for tests through its own settings (speed), never by skipping work.
TEST_SPEED = float(os.environ.get("SORA_TEST_SPEED", "40"))


def pytest_sessionstart(session):
    """Isolate the run before any kernel starts (nbval kernels inherit this environment).

    No real key or endpoint can leak in: tests and notebooks use the embedded emulator (the library's default
    when no key is configured), made fast through its own speed setting, and a throwaway journal.
    """
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        os.environ.pop(name, None)
    os.environ.setdefault("SORA_WIDGETS_HOME", tempfile.mkdtemp(prefix="sora-widgets-test-home-"))
    os.environ.setdefault("SORA_WIDGETS_EMULATOR_SPEED", str(TEST_SPEED))


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    """A running emulator shared by the session: `.base_url`, `.api_key`."""
    from sora_widgets import start_emulator

    with start_emulator(speed=TEST_SPEED, seed=1234, data_dir=tmp_path_factory.mktemp("emulator")) as emu:
        yield emu


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright (sync API) for the whole session: a second ``sync_playwright()`` while one runs fails
    ("Sync API inside the asyncio loop"), so every browser fixture (ui, marimo, js harness) launches from this."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture()
def sdk(emulator):
    """The official synchronous SDK client pointed at the shared emulator."""
    import openai

    client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)
    yield client
    client.close()


def chromium_path() -> str | None:
    return shutil.which("chromium")
