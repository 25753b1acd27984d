"""Providers end to end: the real transports (google-genai for Veo, LiteLLM's SDK for fal) over real HTTP against
the emulator's ``gemini`` and ``fal`` dialects, driven through the public API, the widgets and the magics.

Nothing may leave loopback: LiteLLM uses its bundled price map and no telemetry, and every non-loopback request
goes through a closed loopback port (an id LiteLLM cannot decode is sent to a hard-coded public host), so it fails
at once and offline. The providers' own key variables are removed, so a developer's real key is never used.
"""

from __future__ import annotations

import os
import socket

import pytest

KEY_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "FAL_KEY", "FAL_AI_API_KEY", "RUNWAYML_API_SECRET",
            "MINIMAX_API_KEY", "DASHSCOPE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "FAL_QUEUE_BASE_URL")


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="package", autouse=True)
def offline_env():
    dead = f"http://127.0.0.1:{_closed_port()}"
    saved = dict(os.environ)
    for name in KEY_VARS:
        os.environ.pop(name, None)
    os.environ.update(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY_DISABLED="True",
                      HTTP_PROXY=dead, HTTPS_PROXY=dead, ALL_PROXY=dead, NO_PROXY="127.0.0.1,localhost",
                      no_proxy="127.0.0.1,localhost")
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def clean_engine(monkeypatch):
    from sora_widgets import api

    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)
    api.reset()
    yield
    api.reset()


def _emulator(tmp_path_factory, dialect, **kwargs):
    from sora_widgets import start_emulator

    return start_emulator(speed=40, seed=21, dialect=dialect, job_duration_s=0.6, max_concurrent_renders=2,
                          data_dir=tmp_path_factory.mktemp(dialect), **kwargs)


@pytest.fixture(scope="session")
def gemini_emu(tmp_path_factory):
    with _emulator(tmp_path_factory, "gemini") as emu:
        yield emu


@pytest.fixture(scope="session")
def fal_emu(tmp_path_factory):
    with _emulator(tmp_path_factory, "fal") as emu:
        yield emu


@pytest.fixture()
def on_gemini(gemini_emu, tmp_path):
    import sora_widgets as sw

    sw.configure(provider="gemini", api_key=gemini_emu.api_key, base_url=gemini_emu.root_url, home=tmp_path / "home")
    return sw


@pytest.fixture()
def on_fal(fal_emu, tmp_path):
    import sora_widgets as sw

    sw.configure(provider="fal", api_key=fal_emu.api_key, base_url=fal_emu.root_url, home=tmp_path / "home")
    return sw
