"""Fixtures for the %sora tests: a shell that raises on errors, and engine state isolated per test."""

from __future__ import annotations

import os

import pytest
from magic_testing import base_config, dispose, make_shell

from sora_widgets import BackendProfile, ModelSpec, register_profile

#: Tiny clips, so the tests that wait for videos (or leave them rendering) cost little CPU.
TINY_PROFILE = BackendProfile(
    name="magics-tiny",
    models=(ModelSpec("tiny-1", ("160x90", "96x64"), ("1", "2"), {"*": 0.01}),),
    description="tests/magics: tiny clips",
)
# Registered, so `sw.configure(profile=...)` and `%sora backend --profile` can name it (widgets take the
# profile object from sw.backend_info(), registered or not).
register_profile(TINY_PROFILE)


@pytest.fixture()
def ip():
    """A fresh shell with the extension loaded (engine untouched: parsing, help, %config)."""
    shell = make_shell(base_config())
    yield shell
    dispose(shell)


@pytest.fixture()
def engine_home(emulator, tmp_path):
    """Engine state isolated per test: own home (journal, media), pointed at the shared emulator."""
    import sora_widgets as sw
    from sora_widgets import api

    api.reset()
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path)
    yield tmp_path
    api.reset()


@pytest.fixture()
def live_ip(ip, engine_home):
    """The shell, with the engine pointed at the session emulator."""
    return ip


@pytest.fixture(scope="session")
def tiny_emulator(tmp_path_factory):
    """An emulator serving :data:`TINY_PROFILE` (the session one serves Sora's sizes, for Sora checks)."""
    from sora_widgets import start_emulator

    speed = float(os.environ.get("SORA_TEST_SPEED", "40"))  # the same knob as tests/conftest.py
    with start_emulator(
        speed=speed, seed=99, profile=TINY_PROFILE, data_dir=tmp_path_factory.mktemp("tiny-emulator")
    ) as emu:
        yield emu


@pytest.fixture()
def tiny_ip(ip, tiny_emulator, tmp_path):
    """The shell, with the engine on the tiny emulator and its state isolated."""
    import sora_widgets as sw
    from sora_widgets import api

    api.reset()
    sw.configure(
        base_url=tiny_emulator.base_url,
        api_key=tiny_emulator.api_key,
        home=tmp_path,
        profile=TINY_PROFILE.name,
    )
    yield ip
    api.reset()
