"""Encoding: the MP4 (H.264, 24 fps, faststart), its thumbnail and spritesheet, and the worker entry point."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ... import media
from .raster import FPS, FrameMaker, new_frame
from .scene import Scene, parse_prompt

# ---------------------------------------------------------------- encoding


def _iter_planes(
    path: str | os.PathLike[str], width: int, height: int, count: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Exactly ``count`` frames of a video at 24 fps, as (Y, U, V) planes at ``width x height``.

    Streams (a long source is never held in memory) and resamples by time: output frame ``k`` is the last
    source frame shown at ``k / 24`` s, so any frame rate maps onto the emulator's 24 fps. Past the source's
    end its last frame repeats.
    """
    import av

    def planes_of(frame: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if frame.width != width or frame.height != height or frame.format.name != "yuv420p":
            frame = frame.reformat(width=width, height=height, format="yuv420p")
        views = [
            np.frombuffer(p, dtype=np.uint8).reshape(p.height, p.line_size)[:, : p.width].copy() for p in frame.planes
        ]
        return views[0], views[1], views[2]

    with av.open(str(path)) as container:
        frames = container.decode(video=0)
        current = next(frames, None)
        if current is None:
            raise ValueError(f"{path} has no video frames")
        start = current.time or 0.0
        upcoming = next(frames, None)
        converted = planes_of(current)
        for k in range(count):
            t = k / FPS + 1e-6
            moved = False
            while upcoming is not None and (upcoming.time or 0.0) - start <= t:
                current, upcoming, moved = upcoming, next(frames, None), True
            if moved:
                converted = planes_of(current)
            yield converted


class RenderCancelled(Exception):
    """The job's directory disappeared mid-render (it was deleted): stop early."""


def render_video(
    out_dir: str | os.PathLike[str],
    *,
    prompt: str,
    width: int,
    height: int,
    seconds: float,
    seed: str = "",
    reference: bytes | None = None,
    base_prompt: str | None = None,
    base_seed: str = "",
    base_chain: list[list[str]] | None = None,
    prefix_video: str | None = None,
    base_video: str | None = None,
    prefix_seconds: float = 0.0,
    continue_scene: bool = False,
    crf: int = 28,
    preset: str = "superfast",
    audio: bool = False,
) -> dict[str, Any]:
    """Render ``video.mp4``, ``thumbnail.webp`` and ``spritesheet.jpg`` into ``out_dir``.

    ``base_chain`` (``[[prompt, seed], ...]`` from the original to the direct source) makes this a remix: the
    scene is the source's (each remix applied in turn), changed by ``prompt``. ``base_prompt``/``base_seed`` is
    the one-step form.
    ``prefix_video`` (an extension) is copied first (``prefix_seconds`` of it, resampled to 24 fps), then
    ``seconds`` new seconds continue from its last frame; with ``continue_scene`` (the source was rendered here
    from ``base_chain``) they continue the source's scene and motion instead, changed by ``prompt``.
    ``base_video`` (an edit) keeps the source's frames and draws the new prompt's shapes and caption over them.
    ``audio`` adds an AAC track (a soft chord picked by ``seed``, as long as the video), as Veo 3 clips have.
    Returns facts about the result (sizes, frame count, timings).
    """
    import av

    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chain = [list(x) for x in base_chain or []]
    if base_prompt is not None:
        chain.append([base_prompt, base_seed])
    base_scene: Scene | None = None
    for link_prompt, link_seed in chain:
        base_scene = parse_prompt(link_prompt, link_seed, base=base_scene)
    scene = parse_prompt(prompt, seed, base=base_scene, vary=not continue_scene)
    ref_img = Image.open(io.BytesIO(reference)) if reference else None

    new_frames = max(1, int(round(seconds * FPS)))
    prefix_frames = int(round(prefix_seconds * FPS)) if prefix_video else 0
    total = prefix_frames + new_frames
    duration = total / FPS
    prefix_iter = _iter_planes(prefix_video, width, height, prefix_frames) if prefix_video else None
    edit_iter = _iter_planes(base_video, width, height, new_frames) if base_video else None
    maker: FrameMaker | None = None
    last_frame: Any = None

    geometry = media.sprite_geometry(width, height, duration)
    sprite_at = {min(total - 1, int(geometry.frame_time(i) * FPS)): i for i in range(geometry.frames)}
    thumb_index = min(total - 1, total // 2)
    sprite_frames: list[Image.Image | None] = [None] * geometry.frames
    thumb: Image.Image | None = None
    tile = (geometry.tile_width, geometry.tile_height)

    tmp = out / "video.tmp.mp4"
    container = av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"})
    try:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.options = {
            "crf": str(crf),
            "preset": preset,
            "tune": "animation",
            "x264-params": "colorprim=smpte170m:transfer=smpte170m:colormatrix=smpte170m",
        }
        # every stream exists before the first packet (the MP4 header lists them)
        audio_stream = container.add_stream("aac", rate=AUDIO_RATE, layout="mono") if audio else None
        for index in range(total):
            if index % 12 == 11 and not out.is_dir():
                raise RenderCancelled(f"{out} was removed (the job was deleted)")
            vf, planes = new_frame(width, height)
            if index < prefix_frames:
                assert prefix_iter is not None
                for dst, src in zip(planes, next(prefix_iter), strict=True):
                    np.copyto(dst, src)
            else:
                if maker is None and continue_scene:
                    # an extension of a video made here: the same scene, changed by the prompt, time running on
                    maker = FrameMaker(scene, width, height, total / FPS, seed=seed, reference=ref_img)
                elif maker is None:
                    # made here, so an extension of an upload can start from its last frame
                    start = ref_img if ref_img is not None or last_frame is None else last_frame.to_image()
                    maker = FrameMaker(scene, width, height, seconds, seed=seed, reference=start,
                                       caption_top=bool(prefix_video or base_video))
                if edit_iter is not None:
                    for dst, src in zip(planes, next(edit_iter), strict=True):
                        np.copyto(dst, src)
                    maker.draw(index, planes, base=False)
                else:
                    maker.draw(index if continue_scene else index - prefix_frames, planes)
            vf.pts = index
            last_frame = vf
            if index in sprite_at or index == thumb_index:
                img = vf.to_image()
                if index in sprite_at:
                    sprite_frames[sprite_at[index]] = img.resize(tile, Image.Resampling.BILINEAR)
                if index == thumb_index:
                    thumb = img
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio_stream is not None:
            write_tone(container, audio_stream, duration, seed)
    except BaseException:
        with contextlib.suppress(Exception):
            container.close()
        raise
    container.close()
    os.replace(tmp, out / "video.mp4")
    encoded = time.perf_counter()

    last_tile = sprite_frames[-1] if sprite_frames[-1] is not None else thumb
    filled = [f if f is not None else last_tile for f in sprite_frames]
    sheet = media.build_spritesheet(filled, geometry)  # type: ignore[arg-type]
    assert thumb is not None
    thumbnail = media.build_thumbnail(thumb, width, height)
    _write_atomic(out / "spritesheet.jpg", sheet)
    _write_atomic(out / "thumbnail.webp", thumbnail)
    tw, th = media.thumbnail_size(width, height)
    return {
        "width": width,
        "height": height,
        "frames": total,
        "fps": FPS,
        "duration_s": duration,
        "audio": "aac" if audio else None,
        "video_bytes": (out / "video.mp4").stat().st_size,
        "thumbnail": {"width": tw, "height": th, "bytes": len(thumbnail)},
        "sprite": geometry.to_dict(),
        "scene": scene.summary(),
        "render_s": round(encoded - started, 3),
        "total_s": round(time.perf_counter() - started, 3),
    }


AUDIO_RATE = 48000
_AAC_FRAME = 1024


def tone(duration: float, seed: str) -> np.ndarray:
    """A soft two-note chord with fades, mono float32 at :data:`AUDIO_RATE`; ``seed`` picks the root note."""
    digest = hashlib.sha256(f"tone:{seed}".encode()).digest()
    root = 220.0 * 2 ** ((digest[0] % 12) / 12)  # A3 .. G#4
    n = max(1, int(round(duration * AUDIO_RATE)))
    t = np.arange(n, dtype=np.float32) / AUDIO_RATE
    wave = 0.18 * np.sin(2 * np.pi * root * t) + 0.10 * np.sin(2 * np.pi * root * 1.5 * t)
    fade = np.minimum(1.0, np.minimum(t, duration - t) / 0.05).clip(0.0, 1.0)
    samples: np.ndarray = (wave * fade).astype(np.float32)
    return samples


def write_tone(container: Any, stream: Any, duration: float, seed: str) -> None:
    """Encode :func:`tone` into ``stream`` (an AAC stream of ``container``, added before the first packet)."""
    import av

    samples = tone(duration, seed)
    for start in range(0, len(samples), _AAC_FRAME):
        frame = av.AudioFrame.from_ndarray(samples[None, start:start + _AAC_FRAME], format="fltp", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def render_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Worker-process entry point: ``spec`` holds :func:`render_video`'s arguments plus ``out_dir``
    and optionally ``reference_path`` (read here, so big images are not pickled)."""
    spec = dict(spec)
    ref_path = spec.pop("reference_path", None)
    if ref_path:
        spec["reference"] = Path(ref_path).read_bytes()
    out_dir = spec.pop("out_dir")
    if not Path(out_dir).is_dir():  # deleted while it waited for a worker
        raise RenderCancelled(f"{out_dir} was removed (the job was deleted)")
    return render_video(out_dir, **spec)
