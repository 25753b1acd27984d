"""Export a finished video: GIF / MP4 / WebM (trim, resize, frame rate), one frame, a contact sheet.

Pure functions over a video path (PyAV decodes and encodes; nothing here talks to a backend), so a job, a
storyboard or any MP4 on disk can use them::

    export(job.video_path, "clip.gif", start=0.5, end=3.0, width=480, fps=12)
    frame(job.video_path, 1.5)          # PIL.Image shown at 1.5 s
    contact_sheet(job.video_path, cols=4)

Time convention: frame ``i`` of a clip is shown over ``[pts_i, pts_i+1)``; ``frame(t)`` is the frame shown at
``t``, and an export from ``start`` to ``end`` at ``fps`` holds ``round((end - start) * fps)`` frames, the ones
shown at ``start + j / fps``.

MP4 export is a *stream copy* (no decode, no quality loss, milliseconds) when nothing but a trim is asked for and
both cut points fall on keyframes (``keyframes(path)`` lists them; the clip's start and end always qualify);
otherwise it re-encodes (H.264). ``copy=True`` insists on a stream copy, ``copy=False`` forces a re-encode.
Audio (a Sora clip's AAC track) is kept: copied in a stream copy, re-encoded with the trimmed window otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from PIL import Image

from .audio import AudioTimeline, has_audio
from .errors import ValidationError

__all__ = [
    "ClipInfo", "ExportResult", "contact_sheet", "export", "frame", "frames_at", "keyframes", "probe", "video_of",
]

FORMATS = (".gif", ".mp4", ".webm")
_EPS = 1e-6  # seconds: a time exactly on a frame boundary belongs to the frame starting there


@dataclass(frozen=True)
class ClipInfo:
    """What a video file holds (its first video stream)."""

    width: int
    height: int
    fps: float
    frames: int
    duration_s: float
    codec: str


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export` wrote. ``method`` is ``"stream_copy"`` or ``"reencode"``; ``reason`` says why."""

    path: Path
    method: str
    reason: str
    frames: int
    width: int
    height: int
    fps: float
    duration_s: float


def video_of(source: Any) -> Path:
    """The MP4 behind ``source``: a path, or anything with a ``video_path`` (a job, a storyboard)."""
    if isinstance(source, (str, Path)):
        return Path(source)
    if hasattr(source, "video_path"):
        if source.video_path is None:
            name = getattr(source, "id", type(source).__name__)
            raise ValidationError(f"{name} has no video yet (status {getattr(source, 'status', '?')}); wait for it "
                                  "to complete first", "source")
        return Path(source.video_path)
    raise ValidationError(f"expected a video path, a job or a storyboard, got {type(source).__name__}", "source")


def _open(path: str | Path) -> Any:
    import av

    if not Path(path).is_file():
        raise ValidationError(f"video not found: {path}", "path")
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise ValidationError(f"{path} is not a readable video: {exc}", "path") from None
    if not container.streams.video:
        container.close()
        raise ValidationError(f"{path} has no video stream", "path")
    return container


def _packet_times(path: str | Path) -> tuple[list[tuple[float, bool]], Any]:
    """(pts seconds, is keyframe) of every video packet in presentation order, and the stream's frame rate."""
    with _open(path) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or Fraction(24)
        tb = stream.time_base
        times = [(float(p.pts * tb), bool(p.is_keyframe)) for p in container.demux(stream) if p.pts is not None]
    return sorted(times), rate


def probe(path: Any) -> ClipInfo:
    """Size, frame rate, frame count, duration (frames / fps) and codec of ``path``, from its packets."""
    path = video_of(path)
    times, rate = _packet_times(path)
    if not times:
        raise ValidationError(f"{path} has no video frames", "path")
    with _open(path) as container:
        ctx = container.streams.video[0].codec_context
        width, height, codec = ctx.width, ctx.height, ctx.name
    fps = float(rate)
    return ClipInfo(width, height, fps, len(times), len(times) / fps, codec)


def keyframes(path: Any) -> list[float]:
    """Times (s) of the keyframes of ``path``: the cut points an MP4 export can stream-copy at."""
    path = video_of(path)
    times, _ = _packet_times(path)
    start = times[0][0] if times else 0.0
    return [round(t - start, 6) for t, key in times if key]


def frames_at(path: str | Path, times: list[float]) -> Iterator[Any]:
    """The ``av.VideoFrame`` shown at each of ``times`` (ascending, relative to the clip's start), one decode pass
    from the keyframe before the first time."""
    if not times:
        return
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = stream.time_base
        origin = float((stream.start_time or 0) * tb)
        first = times[0] + origin
        if first > 1.0:
            container.seek(int((first - 1.0) / tb), stream=stream, backward=True, any_frame=False)
        index, held = 0, None
        for decoded in container.decode(stream):
            t = float(decoded.pts * tb) if decoded.pts is not None else 0.0
            while index < len(times) and held is not None and times[index] + origin + _EPS < t:
                yield held
                index += 1
            if index >= len(times):
                return
            held = decoded
        while index < len(times) and held is not None:
            yield held  # past the last frame: the last frame stays on screen
            index += 1


def frame(path: Any, t: float) -> Image.Image:
    """The frame shown at ``t`` seconds, as an RGB ``PIL.Image``."""
    path = video_of(path)
    info = probe(path)
    if not 0 <= t <= info.duration_s:
        raise ValidationError(f"t must be within 0..{info.duration_s:.3f} s (the clip's duration), got {t!r}", "t")
    t = min(t, info.duration_s - 0.5 / info.fps)
    got = next(frames_at(path, [t]), None)
    if got is None:
        raise ValidationError(f"{path} has no decodable frame at {t} s", "t")
    image: Image.Image = got.to_image()
    return image


def contact_sheet(path: Any, cols: int = 4, rows: int = 3, tile_width: int = 320, gap: int = 4,
                  background: tuple[int, int, int] = (16, 16, 16)) -> Image.Image:
    """``cols x rows`` evenly spaced frames (the middle of each of ``cols * rows`` equal slices of the clip),
    each ``tile_width`` wide, ``gap`` pixels apart, on a ``background`` sheet."""
    for name, value in (("cols", cols), ("rows", rows), ("tile_width", tile_width)):
        if not isinstance(value, int) or value < 1:
            raise ValidationError(f"{name} must be a positive whole number, got {value!r}", name)
    if not isinstance(gap, int) or gap < 0:
        raise ValidationError(f"gap must be a whole number >= 0, got {gap!r}", "gap")
    path = video_of(path)
    info = probe(path)
    count = cols * rows
    tile_height = max(2, round(tile_width * info.height / info.width))
    times = [(i + 0.5) * info.duration_s / count for i in range(count)]
    sheet = Image.new("RGB", (cols * tile_width + (cols - 1) * gap, rows * tile_height + (rows - 1) * gap),
                      background)
    for i, got in enumerate(frames_at(path, times)):
        tile = got.reformat(width=tile_width, height=tile_height, format="rgb24").to_image()
        sheet.paste(tile, ((i % cols) * (tile_width + gap), (i // cols) * (tile_height + gap)))
    return sheet


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def _out_size(info: ClipInfo, width: int | None, height: int | None, even: bool) -> tuple[int, int]:
    for name, value in (("width", width), ("height", height)):
        if value is not None and (not isinstance(value, int) or value < 2):
            raise ValidationError(f"{name} must be a whole number of pixels >= 2, got {value!r}", name)
    fix = _even if even else (lambda v: max(1, int(round(v))))
    if width is None and height is None:
        return fix(info.width), fix(info.height)
    if width is not None and height is not None:
        return fix(width), fix(height)
    if width is not None:
        return fix(width), fix(width * info.height / info.width)
    assert height is not None
    return fix(height * info.width / info.height), fix(height)


def _window(info: ClipInfo, start: float | None, end: float | None) -> tuple[float, float]:
    begin = 0.0 if start is None else float(start)
    stop = info.duration_s if end is None else float(end)
    if not 0 <= begin < info.duration_s:
        raise ValidationError(f"start must be within 0..{info.duration_s:.3f} s, got {start!r}", "start")
    if stop > info.duration_s + 0.5 / info.fps:
        raise ValidationError(f"end is past the clip's end ({info.duration_s:.3f} s), got {end!r}", "end")
    if stop <= begin:
        raise ValidationError(f"end must be after start ({begin} s), got {end!r}", "end")
    return begin, min(stop, info.duration_s)


def _on_key(t: float, keys: list[float], fps: float) -> bool:
    return any(abs(t - k) < 0.5 / fps for k in keys)


def export(path: Any, dst: str | Path, *, start: float | None = None, end: float | None = None,
           width: int | None = None, height: int | None = None, fps: float | None = None,
           copy: bool | None = None, crf: int | None = None, audio: bool = True) -> ExportResult:
    """Write ``path``'s ``start..end`` (seconds; default the whole clip) to ``dst`` as GIF, MP4 or WebM (VP9),
    chosen by its suffix. ``path``: a video file, or a finished job / storyboard. ``width``/``height``: give one
    to keep the aspect ratio. ``fps``: default the source's (GIF: at most 15). ``copy``: see the module notes
    (MP4 only). ``crf``: encoder quality (MP4 default 20, WebM 32). ``audio``: keep the clip's sound (MP4: AAC,
    copied in a stream copy; WebM: Opus); False drops it. A GIF has none.
    """
    path = video_of(path)
    dst = Path(dst)
    suffix = dst.suffix.lower()
    if suffix not in FORMATS:
        raise ValidationError(f"dst must end in one of {', '.join(FORMATS)}, got {dst.name!r}", "dst")
    if fps is not None and (not isinstance(fps, (int, float)) or not 0 < fps <= 120):
        raise ValidationError(f"fps must be a number in (0, 120], got {fps!r}", "fps")
    if copy and suffix != ".mp4":
        raise ValidationError(f"copy=True is only possible for an MP4 target, not {suffix}", "copy")
    info = probe(path)
    begin, stop = _window(info, start, end)
    size = _out_size(info, width, height, even=suffix != ".gif")
    out_fps = float(fps) if fps is not None else (min(info.fps, 15.0) if suffix == ".gif" else info.fps)
    dst.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".mp4" and copy is not False:
        keys = keyframes(path)
        reasons = []
        if size != (info.width, info.height) or abs(out_fps - info.fps) > 1e-6:
            reasons.append("a resize or frame-rate change needs a re-encode")
        if info.codec not in ("h264", "hevc"):
            reasons.append(f"{info.codec} cannot be stream-copied into MP4 here")
        if not _on_key(begin, keys, info.fps):
            reasons.append(f"start {begin} s is not on a keyframe")
        if stop < info.duration_s - 0.5 / info.fps and not _on_key(stop, keys, info.fps):
            reasons.append(f"end {stop} s is not on a keyframe")
        if not reasons:
            return _stream_copy(path, dst, begin, stop, info, audio)
        if copy:
            raise ValidationError(f"cannot stream-copy: {'; '.join(reasons)} (keyframes at {keys} s)", "copy")
        reason = "; ".join(reasons)
    else:
        reason = "re-encode asked for (copy=False)" if copy is False else f"{suffix} is always encoded"
    count = max(1, int(round((stop - begin) * out_fps)))
    times = [begin + j / out_fps for j in range(count)]
    frames = frames_at(path, times)
    if suffix == ".gif":
        _write_gif(frames, dst, size, out_fps)
    else:
        with_sound = audio and has_audio(path)
        _encode(frames, dst, suffix, size, out_fps, crf, (path, begin, begin + count / out_fps) if with_sound else None)
    return ExportResult(dst, "reencode", reason, count, size[0], size[1], out_fps, count / out_fps)


def _write_gif(frames: Iterator[Any], dst: Path, size: tuple[int, int], fps: float) -> None:
    images = [f.reformat(width=size[0], height=size[1], format="rgb24").to_image() for f in frames]
    part = dst.with_name(dst.name + ".part")
    # GIF delays are whole 1/100 s: alternate them (8, 9, 8 ... cs at 12 fps) so the clip keeps its length
    ticks = [round((j + 1) * 100 / fps) - round(j * 100 / fps) for j in range(len(images))]
    images[0].save(part, format="GIF", save_all=True, append_images=images[1:], duration=[10 * t for t in ticks],
                   loop=0, optimize=False, disposal=1)
    part.replace(dst)


def _encode(frames: Iterator[Any], dst: Path, suffix: str, size: tuple[int, int], fps: float,
            crf: int | None, sound_of: tuple[Path, float, float] | None) -> None:
    import av

    rate = Fraction(fps).limit_denominator(1001)
    part = dst.with_name(dst.name + ".part" + suffix)
    options: dict[str, str]
    if suffix == ".mp4":
        codec, options, fmt = "libx264", {"crf": str(crf or 20), "preset": "veryfast"}, "mp4"
    else:  # VP9 in realtime mode: seconds, not minutes, for a clip on a laptop
        codec, fmt = "libvpx-vp9", "webm"
        options = {"crf": str(crf or 32), "b": "0", "deadline": "realtime", "cpu-used": "8", "row-mt": "1"}
    with av.open(str(part), "w", format=fmt, options={"movflags": "+faststart"} if fmt == "mp4" else {}) as out:
        stream: Any = out.add_stream(codec, rate=rate)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = options
        sound = AudioTimeline(out, "aac" if fmt == "mp4" else "libopus") if sound_of is not None else None
        for index, src in enumerate(frames):
            vf = src.reformat(width=size[0], height=size[1], format="yuv420p")
            vf.pts, vf.time_base = index, 1 / rate
            for packet in stream.encode(vf):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if sound is not None and sound_of is not None:
            sound.add(*sound_of)
            sound.close()
    part.replace(dst)


def _stream_copy(path: str | Path, dst: Path, begin: float, stop: float, info: ClipInfo,
                 audio: bool) -> ExportResult:
    """Copy the packets from the keyframe at ``begin`` up to (not including) the keyframe at ``stop``, in decode
    order, shifted to start at 0 (x264's GOPs are closed, so no kept frame refers to a dropped one), and the audio
    packets of the same window."""
    import av

    part = dst.with_name(dst.name + ".part.mp4")
    frames = 0
    with _open(path) as src, av.open(str(part), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = src.streams.video[0]
        sound = src.streams.audio[0] if audio and src.streams.audio else None
        tb = stream.time_base
        origin = (stream.start_time or 0)
        target = out.add_stream_from_template(stream)
        sound_target = out.add_stream_from_template(sound) if sound is not None else None
        half = 0.5 / info.fps
        started, video_done, shift = False, False, 0
        for packet in src.demux(*([stream, sound] if sound is not None else [stream])):
            if packet.dts is None or packet.pts is None:
                continue
            if packet.stream.type == "audio":
                atb = packet.time_base
                t = float(packet.pts * atb) - float(origin * tb)
                if t + float((packet.duration or 0) * atb) > begin and t < stop:
                    cut = int(round(begin / atb))
                    packet.pts -= cut
                    packet.dts -= cut
                    packet.stream = sound_target
                    out.mux(packet)
                continue
            t = float((packet.pts - origin) * tb)
            if packet.is_keyframe and not started and t > begin - half:
                started, shift = True, packet.pts
            elif packet.is_keyframe and started and t > stop - half:
                video_done = True
            if not started or video_done:
                continue
            packet.pts -= shift
            packet.dts -= shift
            packet.stream = target
            out.mux(packet)
            frames += 1
    part.replace(dst)
    what = "video and audio packets" if sound is not None else "packets"
    return ExportResult(dst, "stream_copy", f"trim on keyframes only: {what} copied", frames, info.width,
                        info.height, info.fps, frames / info.fps)
