"""A video job as the emulator keeps it (:class:`Video`): the spec's ``VideoResource`` fields plus its own; and
the headers that describe its media (:func:`media_headers`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .. import media

__all__ = ["VARIANT_FILES", "VARIANT_TYPES", "Video", "media_headers"]


VARIANT_FILES = {"video": "video.mp4", "thumbnail": "thumbnail.webp", "spritesheet": "spritesheet.jpg"}
VARIANT_TYPES = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}


@dataclass
class Video:
    """One job. The public fields are the spec's ``VideoResource``; the rest is the emulator's own."""

    id: str
    model: str
    status: str
    created_at: int
    prompt: str | None
    size: str
    seconds: str
    completed_at: int | None = None
    expires_at: int | None = None
    remixed_from_video_id: str | None = None
    error: dict[str, str] | None = None
    # internal
    kind: str = "create"  # create | remix | edit | extension
    seq: int = 0
    duration_s: float = 10.0
    started_ts: float | None = None
    progress_final: int = 0
    seed: str = ""
    render: dict[str, Any] = field(default_factory=dict)
    blocked: dict[str, str] | None = None
    media: dict[str, Any] | None = None
    deleted: bool = False
    expires_ts: float | None = None  # precise expiry (expires_at is whole seconds)
    failed_at: int | None = None
    client_seed: int | None = None  # the request's `seed`, when it had one

    def progress(self, now: float | None = None) -> int:
        if self.status == "completed":
            return 100
        if self.status in ("failed", "cancelled"):
            return self.progress_final
        if self.status == "queued" or self.started_ts is None:
            return 0
        now = time.time() if now is None else now
        frac = (now - self.started_ts) / self.duration_s if self.duration_s > 0 else 1.0
        return max(1, min(99, int(frac * 100)))

    def public(self, now: float | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "video",
            "model": self.model,
            "status": self.status,
            "progress": self.progress(now),
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "expires_at": self.expires_at,
            "prompt": self.prompt,
            "size": self.size,
            "seconds": self.seconds,
            "remixed_from_video_id": self.remixed_from_video_id,
            "error": dict(self.error) if self.error else None,
        }

    def expired(self, now: float | None = None) -> bool:
        if self.expires_at is None:
            return False
        deadline = self.expires_ts if self.expires_ts is not None else float(self.expires_at)
        return (time.time() if now is None else now) >= deadline


def media_headers(video: Video, variant: str) -> dict[str, str]:
    """The geometry headers sent with a variant's bytes (``x-video-*``, ``x-thumbnail-*``, ``x-sprite-*``)."""
    width, height = media.parse_size(video.size)
    info = video.media or {}
    duration = float(info.get("duration_s") or float(video.seconds))
    if variant == "spritesheet":
        return media.sprite_geometry(width, height, duration).to_headers()
    if variant == "thumbnail":
        tw, th = media.thumbnail_size(width, height)
        return {"x-thumbnail-width": str(tw), "x-thumbnail-height": str(th)}
    return {
        "x-video-width": str(width),
        "x-video-height": str(height),
        "x-video-fps": str(info.get("fps", 24)),
        "x-video-frames": str(info.get("frames", int(round(duration * 24)))),
        "x-video-duration-ms": str(int(round(duration * 1000))),
    }
