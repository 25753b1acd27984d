"""Static checks as tests: mypy strict on the core modules and ruff on the package and the tests.

They run the real tools as subprocesses (the versions in the test extra), so a type or lint error fails the suite
with the tool's own report in the message.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The core: no ipywidgets or IPython, checked with ``mypy --strict`` (listed explicitly, so a new module is a choice).
CORE_MODULES = [
    "sora_widgets/profiles.py",
    "sora_widgets/media.py",
    "sora_widgets/params.py",
    "sora_widgets/client.py",
    "sora_widgets/poller.py",
    "sora_widgets/store.py",
    "sora_widgets/job.py",
    "sora_widgets/engine.py",
    "sora_widgets/errors.py",
    "sora_widgets/api.py",
    "sora_widgets/session.py",
    "sora_widgets/limits.py",
    "sora_widgets/backend_setup.py",
    "sora_widgets/config.py",
    "sora_widgets/embedded.py",
    "sora_widgets/waiting.py",
    "sora_widgets/loop.py",
    "sora_widgets/create_flow.py",
    "sora_widgets/downloads.py",
    "sora_widgets/local_media.py",
    "sora_widgets/outcomes.py",
    "sora_widgets/urls.py",
    "sora_widgets/vocab.py",
    "sora_widgets/emulator",
    "sora_widgets/capabilities.py",
    "sora_widgets/capability_store.py",
    "sora_widgets/catalog.py",
    "sora_widgets/catalog_schema.py",
    "sora_widgets/schedule.py",
    "sora_widgets/hidden_queue.py",
]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_core_is_mypy_strict_clean():
    result = _run("mypy", "--strict", *CORE_MODULES)
    assert result.returncode == 0, f"mypy --strict failed:\n{result.stdout}{result.stderr}"


def test_ruff_is_clean():
    result = _run("ruff", "check", "sora_widgets", "tests")
    assert result.returncode == 0, f"ruff check failed:\n{result.stdout}{result.stderr}"
