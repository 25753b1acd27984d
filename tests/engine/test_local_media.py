"""MP4 -> frames -> thumbnail and spritesheet, made locally with PyAV (for backends without variants)."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PIL import Image

from sora_widgets.local_media import frames_at, make_local_variants, probe_video
from sora_widgets.media import sprite_geometry


def encode(path, width=160, height=90, seconds=2, fps=24):
    """A clip whose frame i is uniformly grey level i*2 (so we can tell which frame was picked)."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "1", "preset": "veryfast"}
        for i in range(seconds * fps):
            frame = av.VideoFrame.from_ndarray(np.full((height, width, 3), i * 2, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def test_probe_reads_size_and_duration(tmp_path):
    encode(tmp_path / "v.mp4", 96, 64, 1)
    info = probe_video(tmp_path / "v.mp4")
    assert (info.width, info.height) == (96, 64)
    assert info.duration_s == pytest.approx(1.0, abs=0.1)


def test_probe_refuses_a_truncated_or_bogus_file(tmp_path):
    encode(tmp_path / "v.mp4")
    data = (tmp_path / "v.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 3])
    (tmp_path / "junk.mp4").write_bytes(b"<html>not a video</html>")
    for name in ("cut.mp4", "junk.mp4"):
        with pytest.raises(ValueError):
            probe_video(tmp_path / name)


def test_frames_at_picks_the_frame_showing_each_time(tmp_path):
    encode(tmp_path / "v.mp4")
    frames = frames_at(tmp_path / "v.mp4", [0.0, 0.5, 1.0, 1.99])
    levels = [np.asarray(f.convert("L")).mean() for f in frames]
    # frame index = t * 24, grey = index * 2
    for level, t in zip(levels, (0.0, 0.5, 1.0, 1.99), strict=True):
        assert abs(level - int(t * 24) * 2) <= 3, (t, level)


def test_local_variants_match_the_shared_geometry(tmp_path):
    encode(tmp_path / "v.mp4", 160, 90, 2)
    geometry = make_local_variants(tmp_path / "v.mp4", tmp_path / "t.webp", tmp_path / "s.jpg")
    assert geometry == sprite_geometry(160, 90, geometry.duration_s)
    sheet = Image.open(tmp_path / "s.jpg")
    assert sheet.format == "JPEG" and sheet.size == geometry.sheet_size
    thumb = Image.open(tmp_path / "t.webp")
    assert thumb.format == "WEBP" and thumb.size == (480, 270)
    # tiles advance through the clip: the last tile is brighter than the first
    first = np.asarray(sheet.crop((0, 0, geometry.tile_width, geometry.tile_height)).convert("L")).mean()
    x, y = geometry.tile_origin(geometry.frames - 1)
    last = np.asarray(sheet.crop((x, y, x + geometry.tile_width, y + geometry.tile_height)).convert("L")).mean()
    assert last > first + 40
    assert not list(tmp_path.glob("*.part"))
