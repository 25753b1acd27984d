"""Audio for exports and stitches (PyAV): copy audio packets next to copied video, or re-encode a timeline.

Sora-style clips carry an AAC track next to the video. A stream copy copies its packets along with the video's;
a re-encode decodes each piece's audio, resamples it to 48 kHz stereo, trims it to the piece's time window, pads
with silence when a piece has less audio than video (or none), and encodes AAC (MP4) or Opus (WebM), so sound
and picture stay aligned at every cut.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["RATE", "AudioTimeline", "audio_signature", "has_audio"]

RATE = 48_000
LAYOUT = "stereo"


def has_audio(path: str | Path) -> bool:
    import av

    with av.open(str(path)) as container:
        return bool(container.streams.audio)


def audio_signature(path: str | Path) -> dict[str, Any] | None:
    """What must match for two clips' audio packets to share one track; None when the clip has no audio."""
    import av

    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        return {"codec": ctx.name, "rate": ctx.sample_rate, "channels": ctx.channels, "format": ctx.format.name,
                "time_base": stream.time_base, "extradata": bytes(ctx.extradata or b"")}


class AudioTimeline:
    """Encodes pieces of audio one after the other into ``container``'s new audio stream.

    ``add(path, start, end)`` appends exactly ``end - start`` seconds: the clip's audio in that window, silence
    where it has none. Call :meth:`close` before the container closes.
    """

    def __init__(self, container: Any, codec: str) -> None:
        import av

        self._av = av
        self._out = container
        self.stream: Any = container.add_stream(codec, rate=RATE, layout=LAYOUT)
        self._fifo = av.AudioFifo()
        self._written = 0  # samples handed to the fifo
        self._pts = 0  # samples encoded

    def _push(self, planes: np.ndarray) -> None:
        if planes.shape[1] == 0:
            return
        frame = self._av.AudioFrame.from_ndarray(np.ascontiguousarray(planes, dtype=np.float32), format="fltp",
                                                 layout=LAYOUT)
        frame.sample_rate = RATE
        frame.pts = self._written
        self._fifo.write(frame)
        self._written += planes.shape[1]
        self._drain(final=False)

    def _drain(self, final: bool) -> None:
        size = self.stream.codec_context.frame_size or 1024
        while self._fifo.samples >= size or (final and self._fifo.samples):
            frame: Any = self._fifo.read(min(size, self._fifo.samples) if final else size)
            frame.pts = self._pts
            self._pts += frame.samples
            for packet in self.stream.encode(frame):
                self._out.mux(packet)

    def add(self, path: str | Path, start: float, end: float) -> None:
        want = int(round((end - start) * RATE))
        got = 0
        with self._av.open(str(path)) as container:
            if container.streams.audio:
                stream: Any = container.streams.audio[0]
                origin = float((stream.start_time or 0) * stream.time_base)
                if start > 1.0:
                    container.seek(int((origin + start - 1.0) / stream.time_base), stream=stream, backward=True)
                resampler = self._av.AudioResampler(format="fltp", layout=LAYOUT, rate=RATE)
                cursor: int | None = None
                for decoded in container.decode(stream):
                    for frame in resampler.resample(decoded):
                        got, cursor = self._take(frame, origin, start, want, got, cursor)
                    if got >= want:
                        break
                else:
                    for frame in resampler.resample(None):
                        got, cursor = self._take(frame, origin, start, want, got, cursor)
        if got < want:
            self._push(np.zeros((2, want - got), dtype=np.float32))

    def _take(self, frame: Any, origin: float, start: float, want: int, got: int,
              cursor: int | None) -> tuple[int, int | None]:
        """Push the part of ``frame`` inside the window; ``cursor``: the sample index (from the window start)
        the next frame begins at (the first frame's own timestamp places it)."""
        if cursor is None:
            t = float(frame.pts * frame.time_base) - origin if frame.pts is not None else start
            cursor = int(round((t - start) * RATE))
            if cursor > got:  # audio starts late: silence first
                self._push(np.zeros((2, min(cursor, want) - got), dtype=np.float32))
                got = min(cursor, want)
        planes = frame.to_ndarray()
        lo = max(0, got - cursor)
        hi = min(planes.shape[1], want - cursor)
        if hi > lo:
            self._push(planes[:, lo:hi])
            got = cursor + hi
        return got, cursor + planes.shape[1]

    def close(self) -> None:
        self._drain(final=True)
        for packet in self.stream.encode(None):
            self._out.mux(packet)
