"""schemathesis against the conformance variant of OpenAI's Videos spec, run on a live emulator.

Recipe from TESTING.md "Conformance": schemathesis 4.32.5 (pinned, a seed reproduces only within one version),
``-n 30 --seed 1``, ``unsupported_method`` excluded (the real API answers a wrong method with 404 "Invalid URL"),
and a config file that turns off ``positive_data_acceptance`` for POSTs only: rules the schema cannot express
(the reference must match ``size``, a remix source must be completed, uploads must be real media) make some
schema-valid POSTs legitimately 400. It also turns off ``negative_data_rejection`` for the one create whose fields
are all multipart text (``POST /videos/characters``, ``name``): a "string became integer" mutation is sent as the
same text, so accepting it is right (seen once, with ``--workers 2`` making the stateful phase vary by run). Every
other check stays on.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# the spec is vendored next to the tests (tests/emulator/spec/, see its README), so a fresh clone runs this
SPEC = Path(__file__).resolve().parent / "spec" / "openai-videos-openapi.conformance.yaml"
CONFIG = """\
[[operations]]
include-method = "POST"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path = "/videos/characters"
checks.negative_data_rejection.enabled = false
"""


def _schemathesis() -> list[str]:
    exe = Path(sys.executable).parent / "schemathesis"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("schemathesis")
    if found:
        return [found]
    return [sys.executable, "-m", "schemathesis.cli"]


@pytest.mark.slow
def test_schemathesis_conformance(tmp_path):
    assert SPEC.exists(), f"the conformance spec is missing: {SPEC}"
    from sora_widgets import start_emulator

    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    with start_emulator(speed=40, seed=1, data_dir=tmp_path / "data") as emu:
        cmd = [
            *_schemathesis(),
            "--config-file", str(config), "--no-color",
            "run", str(SPEC),
            "--url", emu.base_url,
            "-H", f"Authorization: Bearer {emu.api_key}",
            "--exclude-checks", "unsupported_method",
            "-n", "30", "--seed", "1",
            "--workers", "2",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=tmp_path)
        output = result.stdout.replace(emu.api_key, "<key>") + result.stderr.replace(emu.api_key, "<key>")
    assert result.returncode == 0, output[-12000:]
    assert " passed" in output and "failed" not in output.split("Test cases:")[-1].split("Seed:")[0], output[-4000:]
