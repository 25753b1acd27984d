"""LiteLLM and google-genai are imported only when a provider is used; without them, everything else works."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = r'''
import json, sys, time
blocked = sys.argv[1] == "blocked"
if blocked:  # as if the providers extra were not installed
    sys.modules["litellm"] = None
    sys.modules["google.genai"] = None
t = time.perf_counter()
import sora_widgets as sw
import_s = time.perf_counter() - t
sw.configure(provider="fal", api_key="k", base_url="http://127.0.0.1:9", home=sys.argv[2])
info = sw.backend_info()
out = {"import_s": import_s, "label": info["label"],
       "after_configure": sorted(m for m in ("litellm", "google.genai") if sys.modules.get(m) is not None)}
try:
    sw.submit("a ball", seconds=4)
except Exception as exc:
    out["submit_error"] = f"{type(exc).__name__}: {exc}"
out["jobs"] = len(sw.jobs())
print(json.dumps(out))
'''


def probe(mode: str, home) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, mode, str(home)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_configuring_a_provider_imports_no_sdk(tmp_path):
    out = probe("installed", tmp_path)
    assert out["after_configure"] == []
    assert out["label"] == "fal (127.0.0.1:9)"


@pytest.mark.parametrize("provider", ["fal", "gemini"])
def test_without_the_extra_a_provider_is_refused_before_journaling(tmp_path, provider):
    out = probe("blocked", tmp_path) if provider == "fal" else None
    if out is None:
        code = PROBE.replace('provider="fal"', 'provider="gemini"')
        proc = subprocess.run([sys.executable, "-c", code, "blocked", str(tmp_path)], capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "pip install 'sora-widgets[providers]'" in out["submit_error"]
    assert out["submit_error"].startswith("BackendUnavailableError")
    assert out["jobs"] == 0
