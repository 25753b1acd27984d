"""The public API end to end: real SDK, real HTTP, the real emulator (tests/conftest.py `emulator`)."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

import sora_widgets as sw
from sora_widgets.local_media import probe_video
from sora_widgets.media import SpriteGeometry


def creates(emulator) -> int:
    return int(emulator.stats()["requests"].get("create", 0))


def test_generate_downloads_video_thumbnail_and_spritesheet(configured, emulator):
    job = sw.generate("a red kite over a green hill", seconds=4, size="1280x720")
    assert job.status == "completed" and job.error is None
    assert job.video_id and job.video_id.startswith("video_")
    assert job.progress == 100.0 and job.done
    info = probe_video(job.video_path)
    assert (info.width, info.height) == (1280, 720)
    assert Image.open(job.thumbnail_path).format == "WEBP"
    assert Image.open(job.spritesheet_path).format == "JPEG"
    assert isinstance(job.sprite, SpriteGeometry) and job.sprite.frames >= 8
    assert Image.open(job.spritesheet_path).size == job.sprite.sheet_size
    assert job.cost_usd == pytest.approx(0.40)
    assert sw.spend() == pytest.approx(0.40)
    assert job.video_path.parent.name == job.id
    assert not list(job.video_path.parent.glob("*.part"))


def test_submit_returns_pending_at_once_and_reports_changes(configured, emulator):
    added, seen = [], []
    done = threading.Event()
    sw.on_job_added(added.append)
    job = sw.submit("a paper boat drifting on a pond", seconds=4)
    assert (job.status == "pending" and job.video_id is None) or job.status in ("queued", "in_progress")
    assert added == [job]

    def on_change(j):
        seen.append((j.status, j.progress, threading.current_thread().name))
        if j.done:
            done.set()

    job.on_change(on_change)
    assert done.wait(60)
    statuses = [s for s, _, _ in seen]
    assert statuses[-1] == "completed"
    progress = [p for _, p, _ in seen if p is not None]
    assert progress == sorted(progress)
    assert {name for _, _, name in seen} == {"sora-engine"}
    assert job.wait(1) is job


def test_await_from_another_event_loop(configured):
    import asyncio

    async def main():
        job = await sw.agenerate("a lighthouse at dusk", seconds=4)
        again = await job
        return job, again

    job, again = asyncio.run(main())
    assert job is again and job.status == "completed" and job.video_path.exists()


def test_cache_returns_the_finished_video_without_a_request(configured, emulator):
    first = sw.generate("a cached snowman in the park", seconds=4)
    before = creates(emulator)
    second = sw.generate("a cached snowman in the park", seconds=4)
    assert second is first and creates(emulator) == before
    fresh = sw.generate("a cached snowman in the park", seconds=4, cache=False)
    assert fresh.id != first.id and creates(emulator) == before + 1


def test_a_double_submit_of_a_running_job_does_not_pay_twice(configured, emulator):
    before = creates(emulator)
    a = sw.submit("a spinning top on a table", seconds=4)
    b = sw.submit("a spinning top on a table", seconds=4)
    assert a is b
    a.wait(60)
    assert creates(emulator) == before + 1


def test_jobs_lists_every_journaled_job_and_get_job_finds_them(configured):
    job = sw.generate("a yellow submarine made of clay", seconds=4)
    ids = [j.id for j in sw.jobs()]
    assert job.id in ids
    assert sw.get_job(job.id) is job
    assert sw.get_job(job.video_id[:12]) is job
    with pytest.raises(KeyError, match="no job"):
        sw.get_job("job_doesnotexist")
    summary = job.to_dict()
    assert summary["status"] == "completed" and summary["video_path"].endswith("video.mp4")


def test_moderation_says_the_prompt_was_blocked(configured):
    with pytest.raises(sw.ContentPolicyError) as info:
        sw.generate("Mario jumping on a mushroom", seconds=4)
    assert info.value.blocked_input == "prompt"
    assert "moderation" in str(info.value).lower()
    job = info.value.job
    assert job.status == "failed" and job.error.code == "moderation_blocked"
    assert job.error.blocked_input == "prompt" and not job.error.retryable


def test_remix_and_delete(configured, emulator):
    source = sw.generate("a blue bird on a branch", seconds=4)
    remix = source.remix("make the bird orange")
    assert remix.remixed_from == source.id
    remix.wait(60)
    assert remix.status == "completed" and remix.video_path.exists()
    assert remix.model == source.model and remix.size == source.size
    folder = remix.video_path.parent
    remix.delete()
    assert remix.status == "deleted" and not folder.exists()
    with pytest.raises(sw.ValidationError, match="non-empty"):
        source.remix("  ")


def test_reference_image_is_fitted_and_accepted(configured, tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (300, 500), (10, 120, 200)).save(out, format="PNG")
    job = sw.generate("waves rolling in", seconds=4, size="720x1280", input_reference=out.getvalue())
    assert job.status == "completed"
    assert probe_video(job.video_path).width == 720


def test_moderation_says_when_the_image_was_blocked(configured, tmp_path):
    # The emulator flags a reference image whose file name says "face" (it does not look at pixels).
    path = tmp_path / "face_of_a_person.png"
    Image.new("RGB", (720, 1280), (200, 180, 160)).save(path)
    with pytest.raises(sw.ContentPolicyError) as info:
        sw.generate("a portrait in soft light", seconds=4, input_reference=path)
    assert info.value.blocked_input == "image"
    assert info.value.job.error.blocked_input == "image"


def test_nothing_runs_when_nothing_is_in_flight(configured):
    import asyncio

    job = sw.generate("an idle engine afterwards", seconds=4)
    engine = sw.api.engine()
    assert job.done and not engine.poller().running

    async def other_tasks():
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert engine.run(other_tasks()) == []


def test_generate_can_show_a_progress_bar(configured, capsys):
    job = sw.generate("a slow sunrise", seconds=4, progress=True)
    err = capsys.readouterr().err
    assert job.id in err and "100%" in err and "completed" in err
