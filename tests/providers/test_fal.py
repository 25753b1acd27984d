"""``provider="fal"``: LiteLLM's SDK against the emulator's fal dialect, public API only."""

from __future__ import annotations

import pytest
from PIL import Image

from sora_widgets.errors import BudgetExceededError, ContentPolicyError, ValidationError

from .helpers import streams

KLING = "fal-ai/kling-video/v2.1/standard/text-to-video"


def test_generate_veo3_on_fal_end_to_end(on_fal, fal_emu):
    sw = on_fal
    assert sw.backend_info()["label"].startswith("fal (127.0.0.1:")
    job = sw.generate("A yellow star rising over the ocean", seconds=4, progress=False, timeout=120)
    assert job.status == "completed" and job.model == "fal-ai/veo3"
    assert streams(job.video_path) == {"size": "1280x720", "audio": "aac"}
    assert job.thumbnail_path.exists() and job.spritesheet_path.exists() and job.sprite.frames == 16
    assert job.video_id.startswith("video_")  # LiteLLM's encoded id (provider, app, request id)
    assert fal_emu.stats()["create"] >= 1


def test_configure_a_default_model_and_kling_has_no_sound(fal_emu, tmp_path):
    import sora_widgets as sw

    sw.configure(provider="fal", model=KLING, api_key=fal_emu.api_key, base_url=fal_emu.root_url, home=tmp_path)
    assert sw.backend_info()["profile_object"].default_model == KLING
    job = sw.generate("A green donut pulsing", progress=False, timeout=120)
    assert (job.model, job.seconds) == (KLING, "5")
    assert streams(job.video_path)["audio"] is None
    with pytest.raises(ValidationError, match="not offered"):
        sw.configure(provider="gemini", model=KLING)
    assert sw.backend_info()["provider"] == "fal"  # a refused configure changes nothing


def test_a_moderated_fal_job_ends_failed_with_fals_message(on_fal):
    with pytest.raises(ContentPolicyError) as caught:
        on_fal.generate("Mickey Mouse waving", seconds=4, progress=False, timeout=120)
    job = caught.value.job
    assert job.status == "failed" and job.error.code == "moderation_blocked"
    assert "Mickey Mouse" in job.error.message


def test_an_app_without_a_price_is_refused_under_a_budget(on_fal, fal_emu):
    sw = on_fal
    sw.configure(budget_usd=10.0)
    before = fal_emu.stats()["create"]
    with pytest.raises(BudgetExceededError, match="has no price"):
        sw.submit("A ball", model="fal-ai/some-new-app")
    with pytest.raises(ValidationError, match="does not take a reference image"):
        sw.submit("A ball", input_reference=Image.new("RGB", (64, 36), "red"))
    assert fal_emu.stats()["create"] == before


def test_an_unanswered_create_is_not_sent_twice(tmp_path_factory, tmp_path):
    """The create is made but its answer is lost; fal cannot list, so the job ends ``unknown``, retryable."""
    import sora_widgets as sw
    from sora_widgets import start_emulator

    with start_emulator(speed=40, dialect="fal", job_duration_s=0.3, lost_create_rate=1.0, seed=3,
                        data_dir=tmp_path_factory.mktemp("fal-lost")) as emu:
        sw.configure(provider="fal", api_key=emu.api_key, base_url=emu.root_url, home=tmp_path)
        job = sw.submit("A ball", seconds=4)
        job.wait(60)
        assert job.status == "unknown" and job.error.retryable and "not sent again" in job.error.message
        assert emu.stats()["create"] == 1
