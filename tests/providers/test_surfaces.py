"""The provider behind every surface: GeneratorPanel, Gallery (simulated front end), %sora, the CLI."""

from __future__ import annotations

import atexit

import pytest

from .helpers import FrontEnd, streams, wait_until


def test_panel_on_gemini_names_the_provider_and_completes_a_card(on_gemini, monkeypatch):
    sw = on_gemini
    panel = sw.GeneratorPanel()
    assert panel.backend_label.startswith("Gemini (Veo)")
    fe = FrontEnd(panel, monkeypatch)
    reply, _ = fe.request("submit", prompt="A pink ball bouncing slowly", model="veo-3.0-fast-generate-001",
                          size="1280x720", seconds="4")
    assert reply["ok"], reply
    job = sw.get_job(reply["result"]["job_id"])
    job.wait(120)
    wait_until(lambda: panel.items and panel.items[0]["status"] == "completed", what="card completed")
    item = panel.items[0]
    assert item["progress"] in (None, 100.0) and item["has_video"] and item["has_thumbnail"]
    # the browser gets bytes made in the kernel, never the provider's URL
    reply, buffers = fe.request("media", job_id=job.id, variant="video")
    assert reply["ok"] and buffers[0] == job.video_path.read_bytes()
    assert streams(job.video_path)["audio"] == "aac"
    reply, _ = fe.request("submit", prompt="A ball", model="veo-3.0-generate-001", size="1080x1920", seconds="4")
    assert not reply["ok"] and "allowed: 1280x720, 720x1280, 1920x1080" in str(reply["error"])
    panel.close()


def test_gallery_shows_a_failed_filtered_job_readably(on_gemini, monkeypatch):
    sw = on_gemini
    job = sw.submit("SpongeBob at the beach", seconds=4)
    job.wait(120)
    gallery = sw.Gallery()
    wait_until(lambda: any(i["job_id"] == job.id for i in gallery.items), what="gallery lists the job")
    item = next(i for i in gallery.items if i["job_id"] == job.id)
    assert item["status"] == "failed"
    assert "raiMediaFilteredCount" in str(item) and "Responsible AI" in str(item)
    gallery.close()


@pytest.fixture()
def shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryAccessor.enabled = False
    InteractiveShell.clear_instance()
    ip = InteractiveShell.instance(config=config)
    ip.extension_manager.load_extension("sora_widgets")
    yield ip
    ip.extension_manager.unload_extension("sora_widgets")
    atexit.unregister(ip.atexit_operations)
    InteractiveShell.clear_instance()


def test_sora_backend_gemini_then_generate(shell, gemini_emu, tmp_path, monkeypatch, capsys):
    import sora_widgets as sw

    monkeypatch.setenv("GEMINI_API_KEY", gemini_emu.api_key)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", gemini_emu.root_url)
    sw.configure(home=tmp_path)
    result = shell.run_cell("%sora backend gemini")
    result.raise_error()
    assert "backend: Gemini (Veo)" in capsys.readouterr().out
    result = shell.run_cell("%sora --wait --seconds 4 -o clip a white star rising")
    result.raise_error()
    job = shell.user_ns["clip"]
    assert job.status == "completed" and job.backend.startswith("Gemini (Veo)")
    result = shell.run_cell("%sora backend emulator")
    result.raise_error()
    assert sw.backend_info()["provider"] is None


def test_cli_generate_with_provider(fal_emu, tmp_path, monkeypatch, capsys):
    from sora_widgets.cli import main

    monkeypatch.setenv("FAL_KEY", fal_emu.api_key)
    out = tmp_path / "out.mp4"
    code = main(["--provider", "fal", "--base-url", fal_emu.root_url, "--home", str(tmp_path / "home"),
                 "generate", "a red cube spinning", "--seconds", "4", "--no-progress", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert streams(out)["audio"] == "aac"
    assert "fal-ai/veo3 1280x720 4s, ~$1.60" in capsys.readouterr().out
