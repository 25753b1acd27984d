"""Export, frame and contact sheet on real emulator clips (rendered by the emulator, fetched by the engine)."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PIL import Image

from sora_widgets import export as ex
from sora_widgets import stitch as st
from sora_widgets.errors import ValidationError

FPS = 24


@pytest.fixture(scope="module")
def clips(story_emulator, tmp_path_factory):
    """Three 4 s 320x180 clips from the emulator, made through the public API, and their stitched 12 s MP4
    (keyframes at 0, 4 and 8 s: the stream-copy cut points)."""
    import sora_widgets as sw
    from sora_widgets import api

    from .conftest import STORY_PROFILE

    home = tmp_path_factory.mktemp("export-home")
    api.reset()
    sw.configure(base_url=story_emulator.base_url, api_key=story_emulator.api_key, home=home, profile=STORY_PROFILE)
    jobs = [sw.submit(p, size="320x180", seconds="4") for p in
            ("a red ball bouncing", "a blue cube spinning", "three green stars orbiting")]
    for job in jobs:
        job.wait(60)
        assert job.status == "completed", job.error
    paths = [job.video_path for job in jobs]
    joined = st.stitch(paths, home / "joined.mp4")
    api.reset()
    return paths, joined.path


def decoded(path) -> list[np.ndarray]:
    """Every frame of ``path`` as RGB arrays, decoded independently of the module under test."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def mad(a, b) -> float:
    return float(np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).mean())


def test_gif_has_the_asked_frame_count_and_width(clips, tmp_path):
    clip = clips[0][0]
    result = ex.export(clip, tmp_path / "clip.gif", start=0.5, end=3.0, width=160, fps=12)
    gif = Image.open(result.path)
    assert gif.format == "GIF"
    assert gif.n_frames == 30 == result.frames  # 2.5 s at 12 fps
    assert gif.size == (160, 90)  # aspect ratio kept
    delays = []
    for k in range(gif.n_frames):
        gif.seek(k)
        delays.append(gif.info["duration"])
    assert abs(sum(delays) - 2500) <= 10  # whole centiseconds, alternating so the clip keeps its length
    gif.seek(0)
    # the first GIF frame is the clip's frame at 0.5 s (palette quantisation aside)
    first = ex.frame(clip, 0.5).resize((160, 90))
    assert mad(gif.convert("RGB"), first) < 8


@pytest.mark.parametrize(("start", "end"), [(0.5, 2.0), (1.25, 3.5)])
def test_trimmed_mp4_reencodes_off_keyframes_to_the_asked_duration(clips, tmp_path, start, end):
    clip = clips[0][0]
    result = ex.export(clip, tmp_path / "trim.mp4", start=start, end=end)
    assert result.method == "reencode" and "not on a keyframe" in result.reason
    info = ex.probe(result.path)
    assert abs(info.duration_s - (end - start)) <= 1 / FPS + 1e-9
    assert info.frames == round((end - start) * FPS)
    frames = decoded(result.path)
    assert mad(frames[0], ex.frame(clip, start)) < 3  # starts where asked (H.264 re-encode loss only)
    assert mad(frames[-1], ex.frame(clip, end - 1 / FPS)) < 3


def test_trim_on_keyframes_is_a_stream_copy_with_identical_frames(clips, tmp_path):
    joined = clips[1]
    assert ex.keyframes(joined) == [0.0, 4.0, 8.0]
    result = ex.export(joined, tmp_path / "middle.mp4", start=4.0, end=8.0)
    assert result.method == "stream_copy"
    info = ex.probe(result.path)
    assert abs(info.duration_s - 4.0) <= 1 / FPS and info.frames == 96
    source, copied = decoded(joined), decoded(result.path)
    assert len(copied) == 96
    for k in (0, 1, 47, 95):  # the same packets: bit-identical frames
        assert np.array_equal(copied[k], source[96 + k])


def test_copy_true_off_keyframe_says_where_the_keyframes_are(clips, tmp_path):
    with pytest.raises(ValidationError, match=r"start 1\.0 s is not on a keyframe.*keyframes at \[0\.0, 4\.0, 8\.0\]"):
        ex.export(clips[1], tmp_path / "x.mp4", start=1.0, end=4.0, copy=True)
    assert not (tmp_path / "x.mp4").exists()
    forced = ex.export(clips[1], tmp_path / "y.mp4", start=4.0, end=8.0, copy=False)
    assert forced.method == "reencode" and ex.probe(forced.path).frames == 96


def test_resized_mp4_is_reencoded_at_the_new_size(clips, tmp_path):
    result = ex.export(clips[0][0], tmp_path / "small.mp4", width=160)
    assert result.method == "reencode"
    info = ex.probe(result.path)
    assert (info.width, info.height, info.frames) == (160, 90, 96)


def test_webm_is_vp9_and_plays(clips, tmp_path):
    result = ex.export(clips[0][1], tmp_path / "clip.webm", start=1.0, end=3.0, width=160)
    with av.open(str(result.path)) as container:
        assert "webm" in container.format.name
        stream = container.streams.video[0]
        assert stream.codec_context.name == "vp9"
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) == 48 and frames[0].shape == (90, 160, 3)
    expected = np.asarray(ex.frame(clips[0][1], 1.0).resize((160, 90)))
    assert mad(frames[0], expected) < 6  # VP9 at crf 32 on a small frame


@pytest.mark.parametrize("t", [0.0, 0.02, 1.5, 2.0, 2.99, 3.99])
def test_frame_is_the_decoded_frame_shown_at_t(clips, t):
    clip = clips[0][2]
    frames = decoded(clip)
    got = ex.frame(clip, t)
    assert got.size == (320, 180) and got.mode == "RGB"
    assert np.array_equal(np.asarray(got), frames[int(t * FPS + 1e-9)])


def test_frames_differ_over_time_so_the_frame_test_can_fail(clips):
    clip = clips[0][0]  # a bouncing ball: frames 1 s apart are not the same picture
    assert mad(ex.frame(clip, 0.5), ex.frame(clip, 1.5)) > 0.5


def test_contact_sheet_tiles_evenly_spaced_frames(clips):
    clip = clips[0][0]
    sheet = ex.contact_sheet(clip, cols=4, rows=3, tile_width=80, gap=4)
    assert sheet.size == (4 * 80 + 3 * 4, 3 * 45 + 2 * 4)
    # tile 5 (row 1, col 1) is the middle of the 6th twelfth of the clip
    tile = sheet.crop((84, 49, 164, 94))
    assert mad(tile, ex.frame(clip, 5.5 * 4 / 12).resize((80, 45))) < 6
    default = ex.contact_sheet(clip, cols=2)
    assert default.size == (2 * 320 + 4, 3 * 180 + 2 * 4)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"dst": "clip.avi"}, r"\.gif, \.mp4, \.webm"),
    ({"start": 3.0, "end": 2.0}, "end must be after start"),
    ({"start": -1}, "start must be within"),
    ({"end": 9.0}, "past the clip's end"),
    ({"width": 0}, "width must be"),
    ({"fps": 0}, "fps must be"),
    ({"dst": "clip.gif", "copy": True}, "only possible for an MP4"),
])
def test_bad_export_arguments_are_refused_before_writing(clips, tmp_path, kwargs, match):
    dst = tmp_path / kwargs.pop("dst", "clip.mp4")
    with pytest.raises(ValidationError, match=match):
        ex.export(clips[0][0], dst, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_frame_outside_the_clip_is_refused(clips):
    with pytest.raises(ValidationError, match=r"t must be within 0\.\.4\.000"):
        ex.frame(clips[0][0], 4.5)
    with pytest.raises(ValidationError, match="video not found"):
        ex.frame("/nonexistent/video.mp4", 0)
