"""Thumbnails and spritesheets: their geometry, and building them from frames.

The protocol does not document the thumbnail and spritesheet pixel sizes or the spritesheet grid, so this
module defines them once for the whole package: the emulator renders with them, sends them in response
headers (``x-sprite-*``), and the client makes the same assets locally from the MP4 when a backend has no
variants. The front end only ever reads the geometry it is given, it never guesses.

Geometry
--------
- Spritesheet: ``frames = clamp(4 * seconds, 8, 48)`` frames, sampled at the middle of equal slices of the
  clip (frame ``i`` shows time ``(i + 0.5) * duration / frames``), laid out row by row in a grid of
  ``columns = min(frames, 8)`` columns; each tile keeps the video's aspect ratio with its long edge
  :data:`SPRITE_LONG_EDGE` pixels (even numbers). JPEG.
- Thumbnail: one frame at the middle of the clip, long edge :data:`THUMBNAIL_LONG_EDGE` pixels. WebP.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PIL import Image

__all__ = [
    "SPRITE_LONG_EDGE",
    "THUMBNAIL_LONG_EDGE",
    "SpriteGeometry",
    "build_spritesheet",
    "build_thumbnail",
    "fit_long_edge",
    "parse_size",
    "sprite_geometry",
    "thumbnail_size",
]

SPRITE_LONG_EDGE = 192
THUMBNAIL_LONG_EDGE = 480
SPRITE_MAX_COLUMNS = 8
_HEADER_PREFIX = "x-sprite-"


def parse_size(size: str) -> tuple[int, int]:
    """``"1280x720"`` -> ``(1280, 720)``; ValueError for anything else."""
    try:
        w, h = size.lower().split("x")
        width, height = int(w), int(h)
    except (AttributeError, ValueError):
        raise ValueError(f"size must look like WIDTHxHEIGHT (e.g. 1280x720), got {size!r}") from None
    if width <= 0 or height <= 0:
        raise ValueError(f"size must be positive, got {size!r}")
    return width, height


def _even(value: float) -> int:
    return max(2, int(round(value / 2.0)) * 2)


def fit_long_edge(width: int, height: int, long_edge: int) -> tuple[int, int]:
    """Scale ``width x height`` so the longer side is ``long_edge``; both sides even."""
    scale = long_edge / max(width, height)
    return _even(width * scale), _even(height * scale)


@dataclass(frozen=True)
class SpriteGeometry:
    """Where each frame of a spritesheet is, and which moment of the video it shows."""

    columns: int
    rows: int
    frames: int
    tile_width: int
    tile_height: int
    duration_s: float

    @property
    def sheet_size(self) -> tuple[int, int]:
        return self.columns * self.tile_width, self.rows * self.tile_height

    def frame_time(self, index: int) -> float:
        """Seconds into the video that frame ``index`` shows."""
        return (index + 0.5) * self.duration_s / self.frames

    def tile_origin(self, index: int) -> tuple[int, int]:
        """Top-left pixel of frame ``index`` in the sheet."""
        return (index % self.columns) * self.tile_width, (index // self.columns) * self.tile_height

    def to_headers(self) -> dict[str, str]:
        return {
            f"{_HEADER_PREFIX}columns": str(self.columns),
            f"{_HEADER_PREFIX}rows": str(self.rows),
            f"{_HEADER_PREFIX}frames": str(self.frames),
            f"{_HEADER_PREFIX}tile-width": str(self.tile_width),
            f"{_HEADER_PREFIX}tile-height": str(self.tile_height),
            f"{_HEADER_PREFIX}duration-ms": str(int(round(self.duration_s * 1000))),
        }

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> SpriteGeometry | None:
        """Read the ``x-sprite-*`` headers; None when any is missing or malformed."""
        lower = {k.lower(): v for k, v in headers.items()}
        try:
            return cls(
                columns=int(lower[f"{_HEADER_PREFIX}columns"]),
                rows=int(lower[f"{_HEADER_PREFIX}rows"]),
                frames=int(lower[f"{_HEADER_PREFIX}frames"]),
                tile_width=int(lower[f"{_HEADER_PREFIX}tile-width"]),
                tile_height=int(lower[f"{_HEADER_PREFIX}tile-height"]),
                duration_s=int(lower[f"{_HEADER_PREFIX}duration-ms"]) / 1000.0,
            )
        except (KeyError, ValueError):
            return None

    def to_dict(self) -> dict[str, float | int]:
        return {
            "columns": self.columns,
            "rows": self.rows,
            "frames": self.frames,
            "tile_width": self.tile_width,
            "tile_height": self.tile_height,
            "duration_s": self.duration_s,
        }


def sprite_geometry(width: int, height: int, seconds: float) -> SpriteGeometry:
    """The spritesheet layout for a ``width x height`` video lasting ``seconds``."""
    frames = int(min(48, max(8, round(4 * seconds))))
    columns = min(frames, SPRITE_MAX_COLUMNS)
    rows = math.ceil(frames / columns)
    tile_w, tile_h = fit_long_edge(width, height, SPRITE_LONG_EDGE)
    return SpriteGeometry(columns, rows, frames, tile_w, tile_h, float(seconds))


def thumbnail_size(width: int, height: int) -> tuple[int, int]:
    return fit_long_edge(width, height, THUMBNAIL_LONG_EDGE)


def build_spritesheet(frames: Sequence[Image.Image], geometry: SpriteGeometry, quality: int = 80) -> bytes:
    """Lay ``frames`` (one per sprite frame, any size) into a JPEG sheet with ``geometry``."""
    if len(frames) != geometry.frames:
        raise ValueError(f"expected {geometry.frames} frames for this geometry, got {len(frames)}")
    sheet = Image.new("RGB", geometry.sheet_size, (0, 0, 0))
    tile = (geometry.tile_width, geometry.tile_height)
    for index, frame in enumerate(frames):
        img = frame.convert("RGB")
        if img.size != tile:
            img = img.resize(tile, Image.Resampling.BILINEAR)
        sheet.paste(img, geometry.tile_origin(index))
    out = io.BytesIO()
    sheet.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def build_thumbnail(frame: Image.Image, width: int, height: int, quality: int = 80) -> bytes:
    """A WebP thumbnail of ``frame`` for a ``width x height`` video."""
    img = frame.convert("RGB")
    size = thumbnail_size(width, height)
    if img.size != size:
        img = img.resize(size, Image.Resampling.BILINEAR)
    out = io.BytesIO()
    img.save(out, format="WEBP", quality=quality, method=4)
    return out.getvalue()
