"""The card's Export menu, kernel side: the ``export`` command replies with the file like ``download`` does."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import sora_widgets as sw
from sora_widgets import export as ex

from .test_workflow_widgets import Browser


@pytest.fixture()
def card(story, monkeypatch, tmp_path):
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")  # nothing may land in the kernel's working directory
    job = sw.submit("a red ball rolls in", size="320x180", seconds="4").wait(60)
    widget = sw.VideoCard(job)
    return job, widget, Browser(widget, monkeypatch)


def test_gif_export_has_the_asked_frames_and_width(card, tmp_path):
    job, _, browser = card
    reply, buffers = browser.request("export", job_id=job.id, format="gif", start=0.5, end=2.5)
    assert reply["ok"], reply
    result = reply["result"]
    assert (result["filename"], result["mime"], result["size"]) == (f"{job.id}-0_5-2_5.gif", "image/gif",
                                                                   len(buffers[0]))
    gif = Image.open(io.BytesIO(buffers[0]))
    assert gif.size[0] == 320 and gif.n_frames == 24  # 2 s at 12 fps, never wider than the video
    assert list((tmp_path / "cwd").iterdir()) == []


def test_trimmed_mp4_export_lasts_the_asked_duration(card, tmp_path):
    job, _, browser = card
    reply, buffers = browser.request("export", job_id=job.id, format="mp4", start=1.0, end=2.5)
    assert reply["ok"], reply
    (tmp_path / "out.mp4").write_bytes(buffers[0])
    assert abs(ex.probe(tmp_path / "out.mp4").duration_s - 1.5) <= 1 / 24


def test_png_export_is_the_decoded_frame_at_t(card):
    job, _, browser = card
    reply, buffers = browser.request("export", job_id=job.id, format="png", t=1.25)
    assert reply["ok"] and reply["result"]["filename"] == f"{job.id}-1_25s.png"
    got = np.asarray(Image.open(io.BytesIO(buffers[0])).convert("RGB"))
    assert np.array_equal(got, np.asarray(ex.frame(job.video_path, 1.25)))
    assert not np.array_equal(got, np.asarray(ex.frame(job.video_path, 3.0)))  # the check can fail


@pytest.mark.parametrize(("args", "match"), [
    ({"format": "webp"}, "format must be one of gif, mp4, png"),
    ({"format": "gif", "start": "soon"}, "start must be a number of seconds"),
    ({"format": "mp4", "start": 3.0, "end": 1.0}, "end must be after start"),
])
def test_bad_export_requests_are_answered_with_the_reason(card, args, match):
    job, _, browser = card
    reply, buffers = browser.request("export", job_id=job.id, **args)
    assert not reply["ok"] and match in reply["error"] and buffers == []
