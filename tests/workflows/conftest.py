"""Workflow tests (export, stitch, storyboards): a clean engine per test, a small fast emulator profile."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from sora_widgets.profiles import BackendProfile, ModelSpec

#: Small frames, 4 s shots (3 shots = 12 s), cheap to render; the emulator serves the same profile.
STORY_PROFILE = BackendProfile(
    name="story-test",
    models=(ModelSpec("story-1", ("320x180", "160x90"), ("4", "2"), {"*": 0.01}),),
    description="tests: small storyboard shots",
)


@pytest.fixture(autouse=True)
def clean_engine():
    """``api.reset()`` and no live storyboards before and after each test, so nothing leaks between tests."""
    from sora_widgets import api, storyboards

    api.reset()
    storyboards._live.clear()
    yield
    storyboards._live.clear()
    api.reset()


@pytest.fixture(scope="session")
def story_emulator(tmp_path_factory):
    """A fast emulator serving :data:`STORY_PROFILE` (speed 40: a 4 s shot is done in well under a second)."""
    from sora_widgets import start_emulator

    with start_emulator(speed=40, seed=77, profile=STORY_PROFILE,
                        data_dir=tmp_path_factory.mktemp("story-emulator")) as emu:
        yield emu


@pytest.fixture()
def story(story_emulator, tmp_path):
    """The engine pointed at the story emulator, journal (and storyboards) in a fresh home."""
    import sora_widgets as sw

    sw.configure(base_url=story_emulator.base_url, api_key=story_emulator.api_key, home=tmp_path / "home",
                 profile=STORY_PROFILE)
    return sw


def creates(emu) -> int:
    """How many create requests the emulator has answered so far."""
    return int(emu.stats()["requests"].get("create", 0))


def wait_until(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.02) -> None:
    """Wait for ``predicate()`` to be true (a condition with a deadline, not a sleep)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
