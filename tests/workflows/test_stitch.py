"""Stitching real emulator clips: stream copy when they share codec parameters, re-encode when not."""

from __future__ import annotations

import av
import numpy as np
import pytest

from sora_widgets import export as ex
from sora_widgets import stitch as st
from sora_widgets.errors import ValidationError


@pytest.fixture(scope="module")
def shots(story_emulator, tmp_path_factory):
    """Two 4 s 320x180 clips and one 2 s 160x90 clip (other codec parameters), via the public API."""
    import sora_widgets as sw
    from sora_widgets import api

    from .conftest import STORY_PROFILE

    api.reset()
    sw.configure(base_url=story_emulator.base_url, api_key=story_emulator.api_key,
                 home=tmp_path_factory.mktemp("stitch-home"), profile=STORY_PROFILE)
    jobs = [sw.submit("a red ball bouncing", size="320x180", seconds="4"),
            sw.submit("a yellow pyramid spinning", size="320x180", seconds="4"),
            sw.submit("a purple donut rising", size="160x90", seconds="2")]
    for job in jobs:
        job.wait(60)
        assert job.status == "completed", job.error
    api.reset()
    return [job.video_path for job in jobs]


def frames_of(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_same_parameters_stream_copy_keeps_every_frame(shots, tmp_path):
    result = st.stitch(shots[:2], tmp_path / "joined.mp4")
    assert result.method == "stream_copy" and "share codec parameters" in result.reason
    assert (result.clips, result.frames, result.duration_s) == (2, 192, 8.0)
    joined, a, b = frames_of(result.path), frames_of(shots[0]), frames_of(shots[1])
    assert len(joined) == 192
    assert all(np.array_equal(joined[i], a[i]) for i in (0, 50, 95))
    assert all(np.array_equal(joined[96 + i], b[i]) for i in (0, 50, 95))
    assert ex.keyframes(result.path) == [0.0, 4.0]


def test_different_parameters_are_reencoded_and_say_why(shots, tmp_path):
    result = st.stitch(shots, tmp_path / "mixed.mp4")
    assert result.method == "reencode"
    assert result.reason == "re-encoded: clip 2 differs from clip 0 in width 160 vs 320"
    info = ex.probe(result.path)
    assert (info.width, info.height) == (320, 180)
    assert info.frames == 96 + 96 + 48 and abs(info.duration_s - 10.0) < 1e-9
    joined = frames_of(result.path)
    last = ex.frame(shots[2], 0.0).resize((320, 180))
    assert float(np.abs(joined[192].astype(int) - np.asarray(last, dtype=int)).mean()) < 6


def test_copy_true_refuses_mismatched_clips_and_copy_false_reencodes(shots, tmp_path):
    with pytest.raises(ValidationError, match="cannot stream-copy: clip 2 differs"):
        st.stitch(shots, tmp_path / "x.mp4", copy=True)
    forced = st.stitch(shots[:2], tmp_path / "y.mp4", copy=False)
    assert forced.method == "reencode" and forced.reason == "re-encode asked for (copy=False)"
    assert ex.probe(forced.path).frames == 192


def test_bad_stitch_arguments(shots, tmp_path):
    with pytest.raises(ValidationError, match="at least one clip"):
        st.stitch([], tmp_path / "x.mp4")
    with pytest.raises(ValidationError, match="clip not found"):
        st.stitch([tmp_path / "missing.mp4"], tmp_path / "x.mp4")
    with pytest.raises(ValidationError, match=r"must be an \.mp4"):
        st.stitch(shots[:1], tmp_path / "x.gif")
