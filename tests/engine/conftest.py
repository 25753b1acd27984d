"""Engine tests: every test starts from a clean engine (no configuration, no jobs, no callbacks)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from sora_widgets.profiles import BackendProfile, ModelSpec

#: A tiny, fast profile for integration tests: small frames, one-second clips.
TINY_PROFILE = BackendProfile(
    name="tiny-test",
    models=(ModelSpec("tiny-1", ("160x90", "96x64"), ("1", "2"), {"*": 0.01}),),
    description="tests: tiny clips",
)


@pytest.fixture(autouse=True)
def clean_engine():
    """``sw.api.reset()`` before and after each test, so state never leaks between tests."""
    from sora_widgets import api

    api.reset()
    yield
    api.reset()


@pytest.fixture()
def configured(emulator, tmp_path):
    """The engine pointed at the shared session emulator, journal in a fresh home."""
    import sora_widgets as sw

    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path / "home")
    return sw


def wait_until(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.02) -> None:
    """Wait for ``predicate()`` to be true (a condition with a deadline, not a sleep)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@pytest.fixture(name="wait_until")
def wait_until_fixture():
    return wait_until


@pytest.fixture(scope="module")
def slow_emulator(tmp_path_factory):
    """An emulator whose tiny jobs take a few seconds: long enough to kill a process mid-generation."""
    from test_resume import SLOW_PROFILE

    import sora_widgets as sw

    # speed 4: a job takes ~2 s in progress
    with sw.start_emulator(speed=4, seed=3, profile=SLOW_PROFILE, data_dir=tmp_path_factory.mktemp("slow")) as emu:
        yield emu
