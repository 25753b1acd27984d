"""Drawing a scene: background, shaded shape sprites, caption and timeline, composed per frame as YUV
4:2:0 planes by :class:`FrameMaker`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .scene import VAPOUR, Scene, ShapeSpec, rng_for, shade
from .yuv import YuvSprite, blend_sprite, rgb_to_planes, rgb_to_yuv, yuv_sprite

FPS = 24

# ---------------------------------------------------------------- drawing


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _gradient(width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> np.ndarray:
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    col = (np.array(top, np.float32)[None, :] * (1 - t) + np.array(bottom, np.float32)[None, :] * t).astype(np.uint8)
    return np.ascontiguousarray(np.broadcast_to(col[:, None, :], (height, width, 3)))


def _shape_sprite(kind: str, colour: tuple[int, int, int], px: int) -> Image.Image:
    """An RGBA sprite of ``kind`` with a simple shaded look, ``px`` pixels square."""
    px = max(4, px)
    ss = 2  # supersample for smooth edges
    n = px * ss
    img = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    light = (*shade(colour, 1.25), 255)
    dark = (*shade(colour, 0.6), 255)
    fill = (*colour, 255)
    m = n * 0.06
    if kind == "square":
        d.rectangle([m, m, n - m, n - m], fill=fill, outline=dark, width=max(1, n // 24))
        d.polygon([(m, m), (n - m, m), (n * 0.8, n * 0.2), (n * 0.2, n * 0.2)], fill=light)
    elif kind == "circle":
        d.ellipse([m, m, n - m, n - m], fill=fill, outline=dark, width=max(1, n // 28))
        d.ellipse([n * 0.25, n * 0.2, n * 0.45, n * 0.4], fill=light)
    elif kind == "triangle":
        d.polygon([(n / 2, m), (n - m, n - m), (m, n - m)], fill=fill, outline=dark)
        d.polygon([(n / 2, m), (n / 2, n - m), (m, n - m)], fill=light)
    elif kind == "star":
        pts = []
        for k in range(10):
            r = (n / 2 - m) * (1.0 if k % 2 == 0 else 0.42)
            a = -math.pi / 2 + k * math.pi / 5
            pts.append((n / 2 + r * math.cos(a), n / 2 + r * math.sin(a)))
        d.polygon(pts, fill=fill, outline=dark)
    elif kind == "ring":
        w = max(2, int(n * 0.16))
        d.ellipse([m, m, n - m, n - m], outline=fill, width=w)
        d.arc([m, m, n - m, n - m], 200, 290, fill=light, width=max(1, w // 2))
    else:  # particle
        d.ellipse([0, 0, n - 1, n - 1], fill=(*colour, 110))
    return img.resize((px, px), Image.Resampling.BILINEAR)


def _caption(prompt: str, width: int, height: int) -> tuple[Image.Image, int]:
    """The prompt as an RGBA caption band (wrapped, at most 2 lines) and the y where it goes."""
    size = max(8, int(min(width, height) * 0.045))
    font = _font(size)
    text = " ".join(prompt.split())
    max_w = width * 0.9
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        trial = f"{current} {word}".strip()
        if probe.textlength(trial, font=font) <= max_w or not current:
            current = trial
        else:
            lines.append(current)
            current = word
        if len(lines) == 2:
            break
    if current and len(lines) < 2:
        lines.append(current)
    if len(lines) == 2 and " ".join(lines) != text:
        last = lines[1]
        while last and probe.textlength(last + "…", font=font) > max_w:
            last = last[:-1]
        lines[1] = last.rstrip() + "…"
    line_h = int(size * 1.25)
    band_h = line_h * max(1, len(lines)) + size // 2
    band = Image.new("RGBA", (width, band_h), (0, 0, 0, 110))
    d = ImageDraw.Draw(band)
    for i, line in enumerate(lines):
        tw = probe.textlength(line, font=font)
        x = (width - tw) / 2
        y = size // 4 + i * line_h
        d.text((x + 1, y + 1), line, font=font, fill=(0, 0, 0, 200))
        d.text((x, y), line, font=font, fill=(255, 255, 255, 255))
    y0 = height - band_h - max(2, height // 40)
    return band, y0 - (y0 % 2)


@dataclass
class _Placed:
    sprite: Image.Image
    spec: ShapeSpec
    cache: dict[int, YuvSprite]


class FrameMaker:
    """Makes the frames of one video as YUV 4:2:0 planes.

    The background, the sprites (in every rotation used, cached) and the caption are prepared once; a frame
    is a copy of the background plus integer blends over the regions that change.
    """

    def __init__(
        self,
        scene: Scene,
        width: int,
        height: int,
        seconds: float,
        *,
        seed: str = "",
        reference: Image.Image | None = None,
        caption: bool = True,
        caption_top: bool = False,
    ) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"H.264 4:2:0 needs even sides, got {width}x{height}")
        self.scene = scene
        self.width, self.height = width, height
        self.total = max(1, int(round(seconds * FPS)))
        self.rng = rng_for("motion", seed, scene.prompt, scene.hue_shift)
        self.pan_direction = 1.0 if self.rng.uniform() < 0.5 else -1.0
        self.reference: tuple[Image.Image, Image.Image, Image.Image] | None = None
        self._kb_cache: tuple[int, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self.reference_planes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        if reference is not None:
            ref = reference.convert("RGB")
            if ref.size != (width, height):
                ref = ref.resize((width, height), Image.Resampling.BILINEAR)
            self.reference_planes = rgb_to_planes(np.asarray(ref))
            y, u, v = rgb_to_yuv(np.asarray(ref))
            if scene.colours:
                # after the first frame, the image takes on a little of the prompt's first colour
                _, tu, tv = rgb_to_yuv(np.array([[scene.colours[0]]], np.uint8))
                u = u * 0.8 + float(tu[0, 0]) * 0.2
                v = v * 0.8 + float(tv[0, 0]) * 0.2
            self.reference = (
                Image.fromarray(np.clip(y + 0.5, 0, 255).astype(np.uint8)),
                Image.fromarray(np.clip(u + 0.5, 0, 255).astype(np.uint8)),
                Image.fromarray(np.clip(v + 0.5, 0, 255).astype(np.uint8)),
            )
        self.background = rgb_to_planes(_gradient(width, height, *scene.background))
        short = min(width, height)
        # with a reference image the image is the subject: no shapes over it, the camera moves instead
        self.placed = [] if reference is not None else [
            _Placed(_shape_sprite(s.kind, s.colour, int(short * s.size)), s, {}) for s in scene.shapes
        ]
        self.particles: list[tuple[float, float, float, YuvSprite]] = []
        if "rise" in scene.motions or "fall" in scene.motions:
            pcol = scene.colours[0] if scene.colours else (235, 235, 235)
            if VAPOUR.search(scene.prompt) or not scene.colours:
                pcol = (240, 240, 240)
            for _ in range(14):
                px = max(3, int(short * float(self.rng.uniform(0.02, 0.05))))
                self.particles.append(
                    (float(self.rng.uniform(0.05, 0.95)), float(self.rng.uniform(0, 1)),
                     float(self.rng.uniform(0.6, 1.4)), yuv_sprite(_shape_sprite("particle", pcol, px)))
                )
        self.caption: tuple[YuvSprite, int] | None = None
        if caption:
            band, y0 = _caption(scene.prompt, width, height)
            if caption_top:  # edits and extensions: the source's own caption stays readable at the bottom
                y0 = max(2, height // 40) & ~1
            self.caption = (yuv_sprite(band), y0)
        self.bar_h = max(2, (height // 120) & ~1)
        bar = rgb_to_planes(np.full((2, 2, 3), scene.colours[0] if scene.colours else (255, 255, 255), np.uint8))
        self.bar_yuv = (int(bar[0][0, 0]), int(bar[1][0, 0]), int(bar[2][0, 0]))

    def _sprite_at(self, placed: _Placed, angle: float, scale: float) -> YuvSprite:
        step = (int(round(angle)) % 360) // 4
        key = step * 1000 + int(round(scale * 50))
        hit = placed.cache.get(key)
        if hit is not None:
            return hit
        img = placed.sprite
        if key % 1000 != 50:
            n = max(4, int(img.width * (key % 1000) / 50))
            img = img.resize((n, n), Image.Resampling.BILINEAR)
        if step:
            img = img.rotate(step * 4, resample=Image.Resampling.BILINEAR, expand=True)
        sprite = yuv_sprite(img)
        if len(placed.cache) < 400:
            placed.cache[key] = sprite
        return sprite

    def _fill_base(self, index: int, planes: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        if self.reference is None:
            for dst, src in zip(planes, self.background, strict=True):
                np.copyto(dst, src)
            return
        if index == 0:
            assert self.reference_planes is not None
            for dst, src in zip(planes, self.reference_planes, strict=True):
                np.copyto(dst, src)
            return
        # a slow Ken Burns move: zoom in while panning, direction from the inputs' hash. The move is under a
        # pixel per frame, so the camera is updated every third frame (the resize is the costly part).
        key = index - index % 3 if index > 2 else 1
        cached = self._kb_cache
        if cached is not None and cached[0] == key:
            for dst, src in zip(planes, cached[1], strict=True):
                np.copyto(dst, src)
            return
        t = key / max(1, self.total - 1)
        motions = self.scene.motions
        zoom = min(1.3, 1.0 + 0.12 * t * self.scene.speed) if ("zoom" in motions or "pan" not in motions) else 1.06
        w, h = self.width / zoom, self.height / zoom
        reach = 1.0 if "pan" in motions else 0.4
        cx = self.width / 2 + self.pan_direction * (self.width - w) / 2 * (2 * t - 1) * reach
        cy = self.height / 2
        box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        y_img, u_img, v_img = self.reference
        half = (self.width // 2, self.height // 2)
        made = (
            np.asarray(y_img.resize((self.width, self.height), Image.Resampling.BILINEAR, box=box)),
            np.asarray(u_img.resize(half, Image.Resampling.BILINEAR, box=box)),
            np.asarray(v_img.resize(half, Image.Resampling.BILINEAR, box=box)),
        )
        self._kb_cache = (key, made)
        for dst, src in zip(planes, made, strict=True):
            np.copyto(dst, src)

    def draw(self, index: int, planes: tuple[np.ndarray, np.ndarray, np.ndarray], *, base: bool = True) -> None:
        """Draw frame ``index`` into ``planes`` (Y, U, V). ``base=False`` draws over what is there."""
        if base:
            self._fill_base(index, planes)
            if self.reference is not None and index == 0:
                return  # the reference image is the first frame, exactly
        t = index / FPS
        sp = self.scene.speed
        motions = self.scene.motions
        W, H = self.width, self.height
        zoom = 1.0 + (0.35 * min(1.0, t * sp / 6.0) if "zoom" in motions and self.reference is None else 0.0)
        for px, py0, pv, psprite in self.particles:
            direction = -1.0 if "rise" in motions else 1.0
            y = (py0 + direction * pv * t * sp * 0.18) % 1.0
            x = px + 0.02 * math.sin(t * 2 + py0 * 7)
            blend_sprite(planes, psprite, int(x * W) - psprite.width // 2, int(y * H) - psprite.height // 2)
        for placed in self.placed:
            s = placed.spec
            x, y = s.x, s.y
            angle = 0.0
            scale = zoom
            if "spin" in motions:
                angle = math.degrees(t * sp * 2.2 + s.phase)
            if "bounce" in motions:
                y -= 0.22 * abs(math.sin(t * sp * 3.0 + s.phase))
            if "pan" in motions:
                x = (x + 0.08 * t * sp) % 1.15 - 0.05
            if "fall" in motions and self.reference is None:
                y = (y - 0.4 + 0.12 * t * sp + s.phase / 10) % 1.2 - 0.1
            if "rise" in motions and "bounce" not in motions:
                y -= 0.03 * math.sin(t * sp * 1.5 + s.phase)
            if "pulse" in motions:
                scale *= 1.0 + 0.15 * math.sin(t * sp * 4.0 + s.phase)
            if "orbit" in motions:
                x += 0.18 * math.cos(t * sp * 1.6 + s.phase) * H / W
                y += 0.18 * math.sin(t * sp * 1.6 + s.phase)
            if "shake" in motions:
                x += 0.01 * math.sin(t * 53 + s.phase)
                y += 0.01 * math.cos(t * 47 + s.phase)
            if not motions:
                # a gentle idle drift, so every clip moves
                x += 0.03 * math.sin(t * 0.9 + s.phase)
                y += 0.02 * math.cos(t * 0.7 + s.phase)
            sprite = self._sprite_at(placed, angle, scale)
            blend_sprite(planes, sprite, int(x * W) - sprite.width // 2, int(y * H) - sprite.height // 2)
        if self.caption is not None:
            band, y0 = self.caption
            blend_sprite(planes, band, 0, y0)
        # timeline bar
        done = (int(W * (index + 1) / self.total) // 2) * 2
        by, bh = H - self.bar_h, self.bar_h // 2
        planes[0][by:, :done] = self.bar_yuv[0]
        planes[1][H // 2 - bh :, : done // 2] = self.bar_yuv[1]
        planes[2][H // 2 - bh :, : done // 2] = self.bar_yuv[2]
        planes[0][by:, done:] = 40
        planes[1][H // 2 - bh :, done // 2 :] = 128
        planes[2][H // 2 - bh :, done // 2 :] = 128

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` as an RGB ``(height, width, 3)`` uint8 array (for tests and previews)."""
        vf = self.video_frame(index)
        rgb: np.ndarray = vf.to_ndarray(format="rgb24")
        return rgb

    def video_frame(self, index: int) -> Any:
        """Frame ``index`` as a PyAV ``VideoFrame`` in yuv420p."""
        vf, planes = new_frame(self.width, self.height)
        self.draw(index, planes)
        return vf


def new_frame(width: int, height: int) -> tuple[Any, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A fresh yuv420p ``VideoFrame`` and writable numpy views of its three planes."""
    import av

    vf = av.VideoFrame(width, height, "yuv420p")
    views = []
    for plane in vf.planes:
        buf = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(plane.height, plane.line_size)
        views.append(buf[:, : plane.width])
    return vf, (views[0], views[1], views[2])


