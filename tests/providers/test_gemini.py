"""``provider="gemini"``: Veo through google-genai against the emulator's gemini dialect, public API only."""

from __future__ import annotations

import sqlite3

import pytest

from sora_widgets.errors import AuthenticationError, BudgetExceededError, ContentPolicyError, ValidationError

from .helpers import streams


def test_generate_end_to_end_keeps_the_audio_and_makes_previews_locally(on_gemini, gemini_emu, tmp_path):
    sw = on_gemini
    info = sw.backend_info()
    assert info["provider"] == "gemini" and info["label"].startswith("Gemini (Veo)")
    assert info["profile"] == "gemini" and not info["is_emulator"]
    job = sw.generate("A red ball bouncing on a white background", seconds=4, size="720x1280", progress=False,
                      timeout=120)
    assert job.status == "completed" and job.error is None
    assert job.backend.startswith("Gemini (Veo)") and job.backend_key.startswith("gemini:http://127.0.0.1:")
    assert job.video_id.startswith("models/veo-3.1-generate-001/operations/")  # the profile's first model
    assert streams(job.video_path) == {"size": "720x1280", "audio": "aac"}  # Veo 3 has sound, kept as sent
    assert job.thumbnail_path.stat().st_size > 0 and job.spritesheet_path.stat().st_size > 0
    assert job.sprite is not None and job.sprite.frames == 16  # made here from the MP4 (no variants upstream)
    assert job.progress == 100.0 and job.cost_usd == pytest.approx(1.60)
    stats = gemini_emu.stats()
    assert stats["create"] >= 1 and stats["list"] == 0 and stats["delete"] == 0
    # the key is in no journal row (nor the sample's uri: it is fetched again when needed)
    journal = tmp_path / "home" / "jobs.sqlite3"
    dump = "\n".join(sqlite3.connect(journal).iterdump())
    assert gemini_emu.api_key not in dump and ":download" not in dump


def test_veo2_has_no_audio_track(on_gemini):
    job = on_gemini.generate("A blue cube spinning", model="veo-2.0-generate-001", seconds=5, progress=False,
                             timeout=120)
    assert streams(job.video_path) == {"size": "1280x720", "audio": None}


def test_a_filtered_job_ends_failed_with_veos_reason(on_gemini):
    with pytest.raises(ContentPolicyError) as caught:
        on_gemini.generate("Pikachu dancing in the rain", seconds=4, progress=False, timeout=120)
    job = caught.value.job
    assert job.status == "failed" and job.video_path is None
    assert job.error.code == "moderation_blocked" and job.error.blocked_input == "prompt"
    assert "raiMediaFilteredCount 1" in job.error.message and "Responsible AI" in job.error.message


def test_bad_input_is_refused_before_any_request(on_gemini, gemini_emu):
    before = gemini_emu.stats()["create"]
    with pytest.raises(ValidationError, match=r"allowed: 1280x720, 720x1280, 1920x1080"):
        on_gemini.submit("A ball", model="veo-3.0-generate-001", size="1080x1920")  # Veo 3.0: 1080p is 16:9 only
    with pytest.raises(ValidationError, match=r"allowed: 8, 6, 4"):
        on_gemini.submit("A ball", seconds=5)
    with pytest.raises(ValidationError, match=r"allowed: 8, 5, 6, 7"):
        on_gemini.submit("A ball", model="veo-2.0-generate-001", seconds=4)
    assert gemini_emu.stats()["create"] == before
    assert on_gemini.jobs() == []


def test_no_key_is_an_error_naming_the_variables(gemini_emu, tmp_path):
    import sora_widgets as sw

    sw.configure(provider="gemini", base_url=gemini_emu.root_url, home=tmp_path)
    with pytest.raises(AuthenticationError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        sw.submit("A ball", seconds=4)
    assert sw.jobs() == []


def test_the_usual_env_var_is_honoured_and_a_wrong_key_is_readable(gemini_emu, tmp_path, monkeypatch):
    import sora_widgets as sw

    monkeypatch.setenv("GEMINI_API_KEY", "not-the-key")
    sw.configure(provider="gemini", base_url=gemini_emu.root_url, home=tmp_path)
    with pytest.raises(AuthenticationError) as caught:
        sw.generate("A ball", seconds=4, progress=False, timeout=60)
    assert "API key not valid" in str(caught.value) and "not-the-key" not in str(caught.value)


def test_budget_and_reconfigure_away_from_the_provider(on_gemini, gemini_emu, tmp_path):
    sw = on_gemini
    sw.configure(budget_usd=1.0)
    with pytest.raises(BudgetExceededError, match=r"would cost \$1.60"):
        sw.submit("A ball", seconds=4)
    # naming another backend forgets the provider's URL and key
    sw.configure(provider=None, base_url="emulator")
    info = sw.backend_info()
    assert info["provider"] is None and info["is_emulator"] and info["profile"] == "openai"
