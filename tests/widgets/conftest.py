"""Widget tests without a browser: real engine, real emulator (real SDK over real HTTP), simulated front end.

The front end is simulated the way ipywidgets delivers it: ``w._handle_custom_msg(content, buffers)`` runs
the widget's ``on_msg`` handler; ``w.send`` (a no-op without a kernel) is replaced by a recorder.
"""

from __future__ import annotations

import pytest
from widget_testing import FrontEnd


@pytest.fixture(autouse=True)
def clean_engine():
    """``api.reset()`` before and after each test, so configuration, jobs and callbacks never leak."""
    from sora_widgets import api

    api.reset()
    yield
    api.reset()


@pytest.fixture()
def configured(emulator, tmp_path, monkeypatch):
    """The engine on the shared emulator, a fresh journal, and the kernel's cwd (downloads) in tmp_path."""
    import sora_widgets as sw

    work = tmp_path / "notebook-dir"
    work.mkdir()
    monkeypatch.chdir(work)
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path / "home")
    return sw


@pytest.fixture()
def frontend(monkeypatch):
    return lambda widget: FrontEnd(widget, monkeypatch)
