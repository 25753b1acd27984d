"""Reliability tests: real processes, real HTTP, the real emulator with its latency and fault knobs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sora_widgets.profiles import BackendProfile, ModelSpec

HERE = Path(__file__).resolve().parent
CHILD = HERE / "child.py"

#: Tiny clips (fast renders) with a price, so budgets apply.
TINY = BackendProfile(name="tiny-reliab", models=(ModelSpec("tiny-1", ("96x64",), ("1", "2"), {"*": 0.01}),),
                      description="reliability tests")


@pytest.fixture(autouse=True)
def clean_api():
    from sora_widgets import api

    api.reset()
    yield
    api.reset()


def wait_until(predicate: Callable[[], object], timeout: float = 60.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def child(emulator, home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """A second process on ``home`` running child.py (see there for the commands)."""
    full_env = {**os.environ, "T_BASE_URL": emulator.base_url, "T_API_KEY": emulator.api_key,
                "T_HOME": str(home), **(env or {})}
    return subprocess.Popen([sys.executable, str(CHILD), *args], env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def read_until(proc: subprocess.Popen[str], word: str, timeout: float = 90.0) -> list[dict]:
    """JSON lines from ``proc`` up to (and including) the one whose "event" is ``word``."""
    lines = []
    deadline = time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline, f"child never said {word!r}"
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"child exited before {word!r}: {proc.stderr.read()[-3000:]}")
        data = json.loads(line)
        lines.append(data)
        if data.get("event") == word:
            return lines


def finish(proc: subprocess.Popen[str], timeout: float = 120.0) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """A fast emulator serving the tiny profile (small media: fits a 2 MB filesystem)."""
    from sora_widgets import start_emulator

    with start_emulator(speed=40, seed=21, profile=TINY, data_dir=tmp_path_factory.mktemp("tiny")) as emu:
        yield emu


@pytest.fixture()
def small_disk(tmp_path):
    """A 2 MB tmpfs mounted for the test (root only), unmounted in teardown: a disk that really fills up."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); needs root")
    try:
        yield mount
    finally:
        from sora_widgets import api

        api.reset()
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write a filler file until the filesystem is full; returns it (delete it to free the space)."""
    filler = disk / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                continue
    finally:
        os.close(fd)
    return filler
