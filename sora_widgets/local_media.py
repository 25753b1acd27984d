"""Client side: MP4 -> frames -> local thumbnail/spritesheet, for backends without variants (PyAV decodes).

Kept apart from :mod:`media` (the Pillow-only geometry the emulator shares), so the emulator never needs PyAV
and the client never needs the emulator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .media import SpriteGeometry, build_spritesheet, build_thumbnail, sprite_geometry

__all__ = ["VideoInfo", "frames_at", "make_local_variants", "probe_video"]


@dataclass(frozen=True)
class VideoInfo:
    """What a downloaded MP4 holds: pixel size, duration in seconds, and how many frames were decoded."""

    width: int
    height: int
    duration_s: float
    frames: int


def probe_video(path: str | Path) -> VideoInfo:
    """Open ``path`` with PyAV and decode its first frame; ValueError if it is not a playable video."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ValueError(f"{path} has no video stream")
            stream = container.streams.video[0]
            duration = _duration_s(container, stream)
            first = next(container.decode(stream), None)
            if first is None:
                raise ValueError(f"{path} has no decodable frames")
            return VideoInfo(first.width, first.height, duration, 1)
    except av.error.FFmpegError as exc:
        raise ValueError(f"{path} is not a readable video: {exc}") from None


def _duration_s(container: object, stream: object) -> float:
    duration = getattr(stream, "duration", None)
    time_base = getattr(stream, "time_base", None)
    if duration is not None and time_base is not None:
        return float(duration * time_base)
    container_duration = getattr(container, "duration", None)
    if container_duration:
        return float(container_duration) / 1_000_000.0
    return 0.0


def frames_at(path: str | Path, times: Sequence[float]) -> list[Image.Image]:
    """One frame per entry of ``times`` (seconds, ascending): the last decoded frame at or before each time.

    Decodes the clip once, front to back, keeping only the frames it needs (memory stays small).
    """
    import av

    wanted = sorted(range(len(times)), key=lambda i: times[i])
    picked: list[Image.Image | None] = [None] * len(times)
    position = 0
    last: Image.Image | None = None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            t = float(frame.time) if frame.time is not None else 0.0
            while position < len(wanted) and times[wanted[position]] < t and last is not None:
                picked[wanted[position]] = last
                position += 1
            if position >= len(wanted):
                break
            last = frame.to_image()  # type: ignore[no-untyped-call]  # av's stub leaves to_image unannotated
    for index in wanted[position:]:
        picked[index] = last
    if any(p is None for p in picked):
        raise ValueError(f"{path} has no decodable frames")
    return [p for p in picked if p is not None]


def make_local_variants(video_path: str | Path, thumbnail_path: str | Path | None,
                        spritesheet_path: str | Path | None) -> SpriteGeometry:
    """Build the thumbnail (WebP) and spritesheet (JPEG) of an MP4 with this module's geometry.

    Files are written next to their target and renamed into place, so a reader never sees half a file.
    """
    info = probe_video(video_path)
    duration = info.duration_s if info.duration_s > 0 else 1.0
    geometry = sprite_geometry(info.width, info.height, duration)
    times = [geometry.frame_time(i) for i in range(geometry.frames)] + [duration / 2.0]
    order = sorted(range(len(times)), key=lambda i: times[i])
    decoded = frames_at(video_path, [times[i] for i in order])
    by_index = {i: decoded[k] for k, i in enumerate(order)}
    sprite_frames = [by_index[i] for i in range(geometry.frames)]
    middle = by_index[len(times) - 1]
    for target, data in (
        (spritesheet_path, build_spritesheet(sprite_frames, geometry) if spritesheet_path else None),
        (thumbnail_path, build_thumbnail(middle, info.width, info.height) if thumbnail_path else None),
    ):
        if target is None or data is None:
            continue
        target = Path(target)
        part = target.with_name(target.name + ".part")
        part.write_bytes(data)
        part.replace(target)
    return geometry

