"""Fixtures for the emulator's tests: everything talks to a real emulator over real HTTP."""

from __future__ import annotations

import io
import warnings

import pytest
from PIL import Image

from sora_widgets.profiles import BackendProfile, ModelSpec

# The SDK marks every video method deprecated (the Sora API shut down on 2026-09-24); that one warning is
# expected wherever the SDK is called, every other warning stays visible.
SDK_DEPRECATION = "ignore:The Sora API is scheduled to permanently shut down:DeprecationWarning"

#: A tiny profile for fast tests: small frames, one-second clips.
TINY_PROFILE = BackendProfile(
    name="tiny-test",
    models=(
        ModelSpec("sora-2", ("160x90", "90x160", "1280x720"), ("1", "2", "4"), {"*": 0.10}),
        ModelSpec("sora-2-pro", ("160x90", "90x160", "1792x1024"), ("1", "2", "4"), {"*": 0.30}),
    ),
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/emulator" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.filterwarnings(SDK_DEPRECATION))


@pytest.fixture(scope="session")
def tiny_emulator(tmp_path_factory):
    """An emulator serving :data:`TINY_PROFILE` at high speed (fleet tests create many videos)."""
    from sora_widgets import start_emulator

    with start_emulator(speed=40, seed=7, profile=TINY_PROFILE, data_dir=tmp_path_factory.mktemp("tiny")) as emu:
        yield emu


@pytest.fixture()
def tiny(tiny_emulator):
    import openai

    client = openai.OpenAI(base_url=tiny_emulator.base_url, api_key=tiny_emulator.api_key, max_retries=0)
    yield client
    client.close()


def image_bytes(width: int, height: int, fmt: str = "JPEG", colour=(200, 120, 40)) -> bytes:
    img = Image.new("RGB", (width, height), colour)
    out = io.BytesIO()
    img.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture(scope="session")
def burger_jpg(tmp_path_factory):
    """The seed's ``burger.jpg``: a 1280x720 JPEG drawn with Pillow (a bun, a patty, cheese, on a board)."""
    from PIL import ImageDraw

    img = Image.new("RGB", (1280, 720), (120, 80, 50))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 520, 1280, 720], fill=(150, 100, 60))
    d.ellipse([440, 250, 840, 420], fill=(220, 160, 70))  # top bun
    d.rectangle([450, 380, 830, 430], fill=(245, 180, 30))  # cheese
    d.rectangle([450, 420, 830, 470], fill=(90, 45, 25))  # patty
    d.ellipse([440, 440, 840, 520], fill=(210, 150, 65))  # bottom bun
    for x in range(500, 800, 40):
        d.ellipse([x, 290, x + 10, 296], fill=(250, 240, 210))  # sesame
    path = tmp_path_factory.mktemp("seed") / "burger.jpg"
    img.save(path, format="JPEG", quality=90)
    return path


def warn_free(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return fn()
