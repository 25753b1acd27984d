"""Small helpers shared by the emulator tests."""

from __future__ import annotations

import io
from fractions import Fraction

import av


def probe_mp4(data: bytes) -> dict:
    """Decode an MP4 fully with PyAV: codec, pixel format, size, fps, frame count and duration."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        rate = stream.average_rate or stream.guessed_rate
        duration = float(stream.duration * stream.time_base) if stream.duration else container.duration / 1e6
        return {
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "fps": Fraction(rate) if rate else None,
            "frames": frames,
            "duration": duration,
        }


def moov_before_mdat(data: bytes) -> bool:
    """True when the MP4 is 'faststart' (the moov box comes before mdat)."""
    return 0 <= data.find(b"moov") < data.find(b"mdat")
