"""Join clips end to end into one MP4 (PyAV): a stream copy when they share codec parameters, else a re-encode.

A stream copy moves the compressed packets as they are (no quality loss, a fraction of a second for minutes of
video); it is only valid when every clip was encoded with the same codec, size, pixel format, time base and
codec setup (H.264 SPS/PPS, which MP4 keeps once per track). Otherwise every clip is decoded and encoded again at
the first clip's size and frame rate. :class:`StitchResult` says which happened and why.
Audio (see :mod:`sora_widgets.audio`): copied along in a stream copy when every clip has the same audio
parameters; re-encoded (AAC, silence for a clip without sound) otherwise, aligned with each clip's video.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .audio import AudioTimeline, audio_signature, has_audio
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
    first_audio = audio_signature(paths[0])
    for index, path in enumerate(paths[1:], start=1):
        other = stream_signature(path)
        for key, value in first.items():
            if other[key] != value:
                shown = "codec setup (SPS/PPS)" if key == "extradata" else f"{key} {other[key]} vs {value}"
                return f"clip {index} differs from clip 0 in {shown}"
        audio = audio_signature(path)
        if (audio is None) != (first_audio is None):
            return f"clip {'0' if audio is not None else index} has no audio track and clip " \
                   f"{index if audio is not None else '0'} has one"
        if audio is not None and first_audio is not None and audio != first_audio:
            key = next(k for k in audio if audio[k] != first_audio[k])
            return f"clip {index} differs from clip 0 in audio {key}"
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
    frames, offset = 0, 0  # offset: where the next clip starts, in the video time base
    audio_end = 0  # where the audio written so far ends, in the audio time base
    with av.open(str(part), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        target: Any = None
        audio_target: Any = None
        for clip in clips:
            with _open(clip) as src:
                stream = src.streams.video[0]
                audio = src.streams.audio[0] if src.streams.audio else None
                if target is None:
                    target = out.add_stream_from_template(stream)
                    if audio is not None:
                        audio_target = out.add_stream_from_template(audio)
                    tb, rate = stream.time_base, stream.average_rate or Fraction(24)
                    tick = max(1, int(round(1 / (rate * tb))))  # one frame in time-base units
                # The clip's audio starts with its video, or just after the previous clip's audio when that
                # ends later: an AAC track's first packet is encoder priming (1024 samples, 21 ms at 48 kHz),
                # which a copy keeps, so a cut can shift the sound by up to that much.
                audio_start = max(audio_end, int(round(offset * tb / audio.time_base))) if audio else 0
                v_first = stream.start_time if stream.start_time is not None else None
                a_first = None
                end = offset
                for packet in src.demux(*([stream, audio] if audio is not None else [stream])):
                    if packet.dts is None or packet.pts is None:
                        continue
                    if packet.stream.type == "audio":
                        if a_first is None:
                            a_first = packet.pts
                        shift = audio_start - a_first
                        packet.pts += shift
                        packet.dts += shift
                        audio_end = max(audio_end, packet.pts + (packet.duration or 0))
                        packet.stream = audio_target
                    else:
                        if v_first is None:
                            v_first = packet.pts
                        packet.pts += offset - v_first
                        packet.dts += offset - v_first
                        end = max(end, packet.pts + (packet.duration or tick))
                        packet.stream = target
                        frames += 1
                    out.mux(packet)
                offset = end
    part.replace(dst)
    info = probe(dst)
    what = "video and audio packets" if audio_target is not None else "packets"
    return StitchResult(dst, "stream_copy", f"the clips share codec parameters: {what} copied", len(clips), frames,
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
        sound = AudioTimeline(out, "aac") if any(has_audio(c) for c in clips) else None
        for clip in clips:
            info = probe(clip)
            count = max(1, int(round(info.duration_s * rate)))
            for src in frames_at(clip, [j / float(rate) for j in range(count)]):
                vf = src.reformat(width=width, height=height, format="yuv420p")
                vf.pts, vf.time_base = index, 1 / rate
                index += 1
                for packet in stream.encode(vf):
                    out.mux(packet)
            if sound is not None:  # exactly this clip's span of audio (silence if it has none)
                sound.add(clip, 0.0, count / float(rate))
        for packet in stream.encode():
            out.mux(packet)
        if sound is not None:
            sound.close()
    part.replace(dst)
    return StitchResult(dst, "reencode", reason, len(clips), index, width, height, float(rate), index / float(rate))
