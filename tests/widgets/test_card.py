"""VideoCard on the real engine + emulator."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from widget_testing import state_text, wait_until

PROMPT = "Close-up shot of a red kite on a beach, it rises and spins, warm evening light"


def test_card_follows_a_job_to_completion_with_media_as_bytes(configured, emulator):
    sw = configured
    job = sw.submit(PROMPT, size="1280x720", seconds="4")
    card = sw.VideoCard(job)
    statuses = [card.status]
    card.observe(lambda c: statuses.append(c["new"]), names=["status"])
    assert card.job_id == job.id and card.prompt == PROMPT and card.model == "sora-2"
    assert card.size == "1280x720" and card.seconds == "4"
    assert card.cost_usd == pytest.approx(0.4)

    job.wait(120)
    wait_until(lambda: card.status == "completed" and card._spritesheet, what="card shows completed + media")
    assert statuses[0] in ("pending", "queued", "in_progress")
    assert statuses[-1] == "completed"
    assert card.progress == 100
    assert card.video_id and card.video_id.startswith("video_")
    # thumbnail (WebP) and spritesheet (JPEG) arrive as raw bytes, not base64 text
    assert card._thumbnail[:4] == b"RIFF" and card._thumbnail[8:12] == b"WEBP"
    assert card._spritesheet[:3] == b"\xff\xd8\xff"
    assert card._thumbnail_mime == "image/webp"
    assert card.sprite["frames"] == 16 and card.sprite["columns"] == 8 and card.sprite["duration_s"] == 4.0
    assert card.has_video and card.can_remix and card.can_delete
    assert card.error is None and card.last_error == ""
    # the api key is nowhere in what the widget syncs or saves
    assert emulator.api_key not in state_text(card)
    card.close()


def test_progress_rises_while_rendering(tmp_path, monkeypatch):
    import sora_widgets as sw

    monkeypatch.chdir(tmp_path)
    # a fixed four-second render, polled fast, so intermediate progress is observable
    with sw.start_emulator(speed=40, job_duration_s=4.0, data_dir=tmp_path / "emu") as emu:
        sw.configure(base_url=emu.base_url, api_key=emu.api_key, home=tmp_path / "home")
        job = sw.submit("A slow dolly shot of a lighthouse at dusk, waves crash on the rocks", seconds="4")
        card = sw.VideoCard(job)
        seen: list[float] = []
        card.observe(lambda c: c["new"] is not None and seen.append(c["new"]), names=["progress"])
        job.wait(120)
        wait_until(lambda: card.status == "completed", what="completed")
        intermediate = [p for p in seen if 0 < p < 100]
        assert len(set(intermediate)) >= 2, f"progress values seen: {seen}"
        assert seen == sorted(seen), f"progress went backwards: {seen}"
        # throttled: no flood of updates (at most ~10 a second over a ~4 s render, plus the final ones)
        assert len(seen) <= 40
        card.close()


def test_moderation_failure_says_which_input_in_words(configured):
    sw = configured
    job = sw.submit("Mario jumping on a mushroom in a sunny meadow, wide shot", seconds="4")
    card = sw.VideoCard(job)
    job.wait(120)
    wait_until(lambda: card.status == "failed", what="failed")
    assert card.error["code"] == "moderation_blocked"
    assert card.error["blocked_input"] == "prompt"
    assert "moderation" in card.error["message"]
    assert card.error["retryable"] is False
    assert not card.has_video and not card.can_remix
    assert card._thumbnail == b""
    card.close()


def test_card_commands_media_download_remix_delete(configured, frontend, tmp_path):
    sw = configured
    job = sw.submit(PROMPT, seconds="4")
    card = sw.VideoCard(job)
    fe = frontend(card)
    job.wait(120)
    wait_until(lambda: card.status == "completed", what="completed")

    # play: the MP4 comes as one binary buffer
    result, buffers = fe.ok("media", job_id=job.id, variant="video")
    assert result["mime"] == "video/mp4"
    assert buffers[0][4:8] == b"ftyp" and len(buffers[0]) == result["bytes"]

    # download: the browser gets the file; nothing is written next to the notebook (cwd)
    cwd_before = sorted(p.name for p in Path.cwd().iterdir())
    result, buffers = fe.ok("download", job_id=job.id)
    assert result == {"filename": f"{job.id}.mp4", "mime": "video/mp4", "size": len(buffers[0])}
    assert buffers[0] == job.video_path.read_bytes()
    assert sorted(p.name for p in Path.cwd().iterdir()) == cwd_before

    # remix: a new job, shown as a new card under this one
    result, _ = fe.ok("remix", job_id=job.id, prompt="Same shot, but at night under neon light")
    assert len(card.remixes) == 1
    remix_card = card.remixes[0]
    assert remix_card.job_id == result["job_id"] != job.id
    assert remix_card.remixed_from == job.id
    assert remix_card.prompt == "Same shot, but at night under neon light"
    remix_card.job.wait(120)
    wait_until(lambda: remix_card.status == "completed", what="remix completed")

    # delete: the card shows the deleted state and drops its media
    fe.ok("delete", job_id=job.id)
    wait_until(lambda: card.status == "deleted", what="deleted")
    assert card._thumbnail == b"" and card._spritesheet == b""
    assert not card.can_delete and not card.can_remix
    assert "no video" in fe.error("download", job_id=job.id)
    card.close()
    remix_card.close()


def test_command_errors_are_answered_in_words(configured, frontend):
    sw = configured
    job = sw.submit("Wide shot of a snowy mountain village at dawn, smoke rises from chimneys", seconds="4")
    card = sw.VideoCard(job)
    fe = frontend(card)
    # before completion there is nothing to play, and the reply says so (no hang, no traceback)
    if not job.video_path:
        assert "has no video" in fe.error("media", job_id=job.id, variant="video")
    assert "unknown media variant" in fe.error("media", job_id=job.id, variant="gif")
    assert "not 'job_other'" in fe.error("delete", job_id="job_other")
    assert "unknown command 'explode'" in fe.error("explode")
    job.wait(120)
    wait_until(lambda: card.status == "completed", what="completed")
    assert "non-empty" in fe.error("remix", job_id=job.id, prompt="   ")
    # messages that are not commands are ignored (other libraries may share the channel)
    before = len(fe.sent)
    card._handle_custom_msg({"kind": "something-else", "id": "x"}, [])
    card._handle_custom_msg("not a dict", [])
    assert len(fe.sent) == before
    card.close()


def test_strict_constructor_and_lookup_by_id(configured):
    sw = configured
    job = sw.submit("Aerial shot of a desert road at noon, a red car drives past", seconds="4")
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'autoplay'.*allowed: layout"):
        sw.VideoCard(job, autoplay=True)
    with pytest.raises(TypeError, match="needs a VideoJob"):
        sw.VideoCard(42)
    card = sw.VideoCard(job.id[:10])
    assert card.job is job
    card.close()
    job.wait(120)


def test_callback_errors_become_visible_text(configured):
    sw = configured
    job = sw.submit("Tracking shot of a fox running through a forest, soft morning light", seconds="4")
    card = sw.VideoCard(job)

    def broken() -> None:
        raise RuntimeError("the disk is full")

    card._guard(broken, "updating the card")()
    assert card.last_error == "updating the card: RuntimeError: the disk is full"
    card.close()
    job.wait(120)


def test_play_right_at_completion_waits_for_the_media_step(configured, frontend):
    """``completed`` is announced a moment before the download is saved; a play pressed in that moment
    still gets the video (the command waits for the media step instead of answering "no video")."""
    sw = configured
    job = sw.submit("Medium shot of a potter shaping clay at a wheel, warm window light", seconds="4")
    card = sw.VideoCard(job)
    fe = frontend(card)
    wait_until(lambda: job.status == "completed", timeout=120, what="completed")
    result, buffers = fe.ok("media", job_id=job.id, variant="video")
    assert result["mime"] == "video/mp4" and buffers[0][4:8] == b"ftyp"
    card.close()


def test_slow_commands_answer_off_the_shell_thread(configured, frontend):
    sw = configured
    job = sw.generate(PROMPT, seconds="4")
    card = sw.VideoCard(job)
    fe = frontend(card)
    shell = threading.current_thread().name
    for cmd, args in (("download", {}), ("media", {"variant": "video"}), ("delete", {})):
        req = fe.send_request(cmd, job_id=job.id, **args)
        content, _ = fe.reply(req, cmd)
        assert content["ok"], content
        assert fe.reply_threads[req] != shell, f"{cmd} was answered on the shell thread"
    # a quick one still answers at once, on the calling thread
    req = fe.send_request("previews", job_ids=[job.id], variant="thumbnail")
    assert fe.reply_threads[req] == shell
    card.close()
