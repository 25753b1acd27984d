"""`python -m sora_widgets generate ...`, and the zero-configuration path (a local emulator on demand)."""

from __future__ import annotations

import os
import subprocess
import sys

import sora_widgets as sw
from sora_widgets.local_media import probe_video


def test_cli_generate_writes_the_mp4(emulator, tmp_path):
    env = {**os.environ, "OPENAI_API_KEY": emulator.api_key, "OPENAI_BASE_URL": emulator.base_url,
           "SORA_WIDGETS_HOME": str(tmp_path / "home")}
    out = tmp_path / "out.mp4"
    result = subprocess.run(
        [sys.executable, "-m", "sora_widgets", "generate", "a windmill turning slowly", "--seconds", "4",
         "-o", str(out)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout and "$0.40" in result.stdout
    assert probe_video(out).duration_s > 3
    assert emulator.api_key not in result.stdout + result.stderr
    listed = subprocess.run([sys.executable, "-m", "sora_widgets", "jobs"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert listed.returncode == 0 and '"status": "completed"' in listed.stdout


def test_cli_reports_bad_input_without_a_traceback(tmp_path):
    env = {**os.environ, "OPENAI_API_KEY": "sk-unused-0000", "SORA_WIDGETS_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "sora_widgets", "generate", "x", "--seconds", "5"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert "error: seconds '5' is not available for model 'sora-2'; allowed: 4, 8, 12" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_configuration_starts_a_local_emulator_and_says_so_once(monkeypatch, tmp_path, capfd):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("SORA_WIDGETS_HOME", str(tmp_path))
    monkeypatch.setenv("SORA_WIDGETS_EMULATOR_SPEED", "40")
    info = sw.backend_info()
    assert info["is_emulator"] and info["label"] == "local emulator"
    first = sw.generate("a teapot on a stove", seconds=4)
    second = sw.generate("a kettle on a stove", seconds=4)
    assert first.status == second.status == "completed"
    assert first.backend == "local emulator"
    out, err = capfd.readouterr()
    # Information, not an error: stdout (JupyterLab shows stderr as a red box), exactly once.
    assert out.count("sora_widgets: no OPENAI_API_KEY set, using the local emulator at http://127.0.0.1:") == 1
    assert "using the local emulator" not in err
    assert first.video_path.is_relative_to(tmp_path)
