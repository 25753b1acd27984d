"""Static checks as tests: mypy strict on the whole package and ruff on the package and the tests.

They run the real tools as subprocesses (the versions in the test extra), so a type or lint error fails the suite
with the tool's own report in the message.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]



def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_the_package_is_mypy_strict_clean():
    result = _run("mypy", "--strict", "sora_widgets")
    assert result.returncode == 0, f"mypy --strict failed:\n{result.stdout}{result.stderr}"


def test_ruff_is_clean():
    result = _run("ruff", "check", "sora_widgets", "tests")
    assert result.returncode == 0, f"ruff check failed:\n{result.stdout}{result.stderr}"
