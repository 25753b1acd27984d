"""Join clips end to end into one MP4 (PyAV): a stream copy when they share codec parameters, else a re-encode.

A stream copy moves the compressed packets as they are (no quality loss, a fraction of a second for minutes of
video); it is only valid when every clip was encoded with the same codec, size, pixel format, time base and
codec setup (H.264 SPS/PPS, which MP4 keeps once per track). Otherwise every clip is decoded and encoded again at
the first clip's size and frame rate. :class:`StitchResult` says which happened and why.
Video only: audio tracks are not carried over (the emulator's clips have none).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import ValidationError
from .export import _open, frames_at, probe

__all__ = ["StitchResult", "stitch", "stream_signature"]


@dataclass(frozen=True)
class StitchResult:
    """``method``: ``"stream_copy"`` or ``"reencode"``; ``reason``: why; ``clips``: how many were joined."""

    path: Path
    method: str
    reason: str
    clips: int
    frames: int
    width: int
    height: int
    fps: float
    duration_s: float


def stream_signature(path: str | Path) -> dict[str, Any]:
    """The codec parameters that must match for packets of two clips to live in one MP4 track."""
    with _open(path) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        return {
            "codec": ctx.name,
            "width": ctx.width,
            "height": ctx.height,
            "pix_fmt": ctx.pix_fmt,
            "profile": ctx.profile,
            "time_base": stream.time_base,
            "rate": stream.average_rate,
            "extradata": bytes(ctx.extradata or b""),
        }


def _mismatch(paths: list[Path]) -> str | None:
    first = stream_signature(paths[0])
    if first["codec"] not in ("h264", "hevc"):
        return f"{first['codec']} is not stream-copied into MP4 here"
    for index, path in enumerate(paths[1:], start=1):
        other = stream_signature(path)
        for key, value in first.items():
            if other[key] != value:
                shown = "codec setup (SPS/PPS)" if key == "extradata" else f"{key} {other[key]} vs {value}"
                return f"clip {index} differs from clip 0 in {shown}"
    return None


def stitch(paths: list[str | Path], dst: str | Path, *, copy: bool | None = None,
           size: tuple[int, int] | None = None, fps: float | None = None) -> StitchResult:
    """Write ``paths`` one after the other to the MP4 ``dst``.

    ``copy``: None (default) stream-copies when the clips allow it, else re-encodes; True insists on a stream copy
    (ValidationError saying what differs); False always re-encodes. ``size``/``fps`` (re-encode only): the output's,
    default the first clip's.
    """
    clips = [Path(p) for p in paths]
    if not clips:
        raise ValidationError("stitch needs at least one clip", "paths")
    for clip in clips:
        if not clip.is_file():
            raise ValidationError(f"clip not found: {clip}", "paths")
    dst = Path(dst)
    if dst.suffix.lower() != ".mp4":
        raise ValidationError(f"dst must be an .mp4 file, got {dst.name!r}", "dst")
    if copy and (size is not None or fps is not None):
        raise ValidationError("size/fps change the frames, so they need copy=False or None", "copy")
    dst.parent.mkdir(parents=True, exist_ok=True)
    reason = "re-encode asked for (copy=False)"
    if copy is not False:
        mismatch = _mismatch(clips) if size is None and fps is None else "a size or frame-rate change"
        if mismatch is None:
            return _copy(clips, dst)
        if copy:
            raise ValidationError(f"cannot stream-copy: {mismatch}", "copy")
        reason = f"re-encoded: {mismatch}"
    return _reencode(clips, dst, reason, size, fps)


def _copy(clips: list[Path], dst: Path) -> StitchResult:
    import av

    part = dst.with_name(dst.name + ".part.mp4")
    frames, offset = 0, 0
    with av.open(str(part), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        target = None
        for clip in clips:
            with _open(clip) as src:
                stream = src.streams.video[0]
                if target is None:
                    target = out.add_stream_from_template(stream)
                    tb, rate = stream.time_base, stream.average_rate or Fraction(24)
                    tick = max(1, int(round(1 / (rate * tb))))  # one frame in time-base units
                start, end = None, offset
                for packet in src.demux(stream):
                    if packet.dts is None or packet.pts is None:
                        continue
                    if start is None:
                        start = stream.start_time if stream.start_time is not None else packet.pts
                    shift = offset - start
                    packet.pts += shift
                    packet.dts += shift
                    end = max(end, packet.pts + (packet.duration or tick))
                    packet.stream = target
                    out.mux(packet)
                    frames += 1
                offset = end
    part.replace(dst)
    info = probe(dst)
    return StitchResult(dst, "stream_copy", "the clips share codec parameters: packets copied", len(clips), frames,
                        info.width, info.height, info.fps, frames / info.fps)


def _reencode(clips: list[Path], dst: Path, reason: str, size: tuple[int, int] | None,
              fps: float | None) -> StitchResult:
    import av

    first = probe(clips[0])
    width, height = size or (first.width, first.height)
    width, height = max(2, width // 2 * 2), max(2, height // 2 * 2)
    rate = Fraction(fps if fps is not None else first.fps).limit_denominator(1001)
    part = dst.with_name(dst.name + ".part.mp4")
    index = 0
    with av.open(str(part), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast"}
        for clip in clips:
            info = probe(clip)
            count = max(1, int(round(info.duration_s * rate)))
            for src in frames_at(clip, [j / float(rate) for j in range(count)]):
                vf = src.reformat(width=width, height=height, format="yuv420p")
                vf.pts, vf.time_base = index, 1 / rate
                index += 1
                for packet in stream.encode(vf):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    part.replace(dst)
    return StitchResult(dst, "reencode", reason, len(clips), index, width, height, float(rate), index / float(rate))
