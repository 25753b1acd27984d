"""Procedural media for the emulator: an MP4 rendered from the prompt, plus its thumbnail and spritesheet.

Nothing here is a canned clip. The prompt is read for

- **colours** (``red``, ``teal``, ``golden`` ... see :data:`COLOURS`): the first one colours the main shapes; a
  ``<colour> background`` phrase sets the background; mood words (``sunset``, ``night``, ``ocean``, ``forest``,
  ``cozy`` ...) pick a background gradient;
- **shapes** (``cube``/``box`` -> square, ``ball``/``sun`` -> circle, ``pyramid`` -> triangle, ``star``, ``donut``
  -> ring, ... see :data:`SHAPES`), with number words (``three balls``);
- **motion** (``spinning``, ``bouncing``/``jumping``, ``zoom``, ``pan``/``tracking``, ``falling``, ``rising``/
  ``steam``, ``pulsing``, ``orbiting``, ``shaking``; ``slowly``/``fast`` scale the speed; see :data:`MOTIONS`).

The prompt is drawn as a caption, a thin timeline bar runs along the bottom, and everything else that is not
named by the prompt (positions, the default palette) comes from a hash of the inputs: the same inputs always give
the same video. With a reference image the image itself is frame 0 and is then animated with a slow pan/zoom
under the prompt's shapes. A remix renders its source's scene changed by the remix prompt (new colours and
shapes, a hue shift and a different motion seed), so it is a visible variation of its source.

Output: H.264 (libx264) MP4, yuv420p, 24 fps, ``+faststart``, exactly ``width x height`` and
``seconds * 24`` frames. Thumbnail (WebP) and spritesheet (JPEG) use :mod:`sora_widgets.media`'s geometry.

:func:`render_job` is the entry point; it takes and returns plain dicts so it can run in a worker process.
"""

from __future__ import annotations

import colorsys
import contextlib
import hashlib
import io
import math
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .. import media

__all__ = ["COLOURS", "FPS", "MOTIONS", "SHAPES", "Scene", "parse_prompt", "render_job", "render_video"]

FPS = 24

#: Colour words the renderer understands (RGB).
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 38, 38), "crimson": (185, 28, 60), "scarlet": (230, 40, 20), "orange": (249, 115, 22),
    "amber": (245, 158, 11), "yellow": (250, 204, 21), "gold": (234, 179, 8), "golden": (234, 179, 8),
    "lime": (132, 204, 22), "green": (22, 163, 74), "emerald": (16, 185, 129), "teal": (13, 148, 136),
    "cyan": (6, 182, 212), "turquoise": (45, 212, 191), "blue": (37, 99, 235), "navy": (30, 41, 99),
    "indigo": (79, 70, 229), "violet": (139, 92, 246), "purple": (147, 51, 234), "magenta": (217, 70, 239),
    "pink": (236, 72, 153), "rose": (244, 63, 94), "brown": (120, 72, 40), "beige": (225, 205, 170),
    "white": (250, 250, 250), "black": (12, 12, 14), "grey": (128, 128, 132), "gray": (128, 128, 132),
    "silver": (192, 192, 200), "cream": (255, 246, 220), "cheddar": (240, 160, 30), "sesame": (230, 200, 140),
    "chocolate": (90, 50, 25), "coral": (255, 127, 80), "mint": (152, 255, 200), "lavender": (190, 170, 240),
}

#: Mood/setting words -> a background gradient (top colour, bottom colour).
MOODS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "sunset": ((255, 120, 60), (90, 40, 120)), "sunrise": ((255, 190, 120), (120, 160, 230)),
    "night": ((8, 12, 40), (30, 30, 70)), "space": ((2, 2, 12), (20, 10, 45)), "ocean": ((20, 90, 170), (5, 40, 90)),
    "sea": ((30, 110, 190), (10, 50, 110)), "underwater": ((10, 120, 160), (0, 40, 80)),
    "forest": ((40, 110, 60), (15, 50, 25)), "desert": ((250, 210, 150), (200, 140, 80)),
    "snow": ((235, 245, 255), (190, 210, 235)), "winter": ((220, 235, 250), (160, 185, 215)),
    "cozy": ((120, 70, 40), (50, 25, 15)), "warm": ((200, 120, 60), (90, 45, 20)),
    "restaurant": ((110, 65, 35), (40, 20, 12)), "kitchen": ((200, 170, 130), (110, 80, 55)),
    "neon": ((40, 0, 60), (0, 40, 70)), "sky": ((120, 180, 250), (210, 230, 255)),
    "city": ((60, 70, 90), (20, 25, 35)), "studio": ((40, 40, 46), (15, 15, 18)),
}

#: Shape words -> drawn shape.
SHAPES: dict[str, str] = {
    "cube": "square", "cubes": "square", "box": "square", "boxes": "square", "square": "square",
    "squares": "square", "block": "square", "blocks": "square", "dice": "square", "crate": "square",
    "ball": "circle", "balls": "circle", "sphere": "circle", "spheres": "circle", "circle": "circle",
    "circles": "circle", "sun": "circle", "moon": "circle", "planet": "circle", "planets": "circle",
    "orb": "circle", "orbs": "circle", "bubble": "circle", "bubbles": "circle", "dot": "circle", "dots": "circle",
    "burger": "circle", "dish": "circle", "plate": "circle", "mushroom": "circle", "coin": "circle",
    "triangle": "triangle", "triangles": "triangle", "pyramid": "triangle", "pyramids": "triangle",
    "mountain": "triangle", "mountains": "triangle", "tree": "triangle", "trees": "triangle", "cone": "triangle",
    "star": "star", "stars": "star", "sparkle": "star", "sparkles": "star", "snowflake": "star",
    "ring": "ring", "rings": "ring", "donut": "ring", "donuts": "ring", "wheel": "ring", "tire": "ring",
    "portal": "ring", "halo": "ring",
}

#: Motion words -> motion kind.
MOTIONS: dict[str, str] = {
    "spin": "spin", "spins": "spin", "spinning": "spin", "rotate": "spin", "rotates": "spin",
    "rotating": "spin", "twirl": "spin", "twirling": "spin", "turns": "spin", "turning": "spin",
    "bounce": "bounce", "bounces": "bounce", "bouncing": "bounce", "jump": "bounce", "jumps": "bounce",
    "jumping": "bounce", "hop": "bounce", "hopping": "bounce", "dance": "bounce", "dancing": "bounce",
    "zoom": "zoom", "zooms": "zoom", "zooming": "zoom", "dolly": "zoom", "closer": "zoom", "push": "zoom",
    "pan": "pan", "pans": "pan", "panning": "pan", "tracking": "pan", "slide": "pan", "slides": "pan",
    "sliding": "pan", "drift": "pan", "drifting": "pan", "moving": "pan", "flying": "pan", "fly": "pan",
    "walks": "pan", "walking": "pan", "rolls": "pan", "rolling": "pan",
    "fall": "fall", "falls": "fall", "falling": "fall", "drop": "fall", "drops": "fall", "rain": "fall",
    "raining": "fall", "snowing": "fall", "cascades": "fall", "cascade": "fall",
    "rise": "rise", "rises": "rise", "rising": "rise", "float": "rise", "floats": "rise", "floating": "rise",
    "steam": "rise", "smoke": "rise", "ascend": "rise", "ascends": "rise", "sizzles": "rise",
    "pulse": "pulse", "pulses": "pulse", "pulsing": "pulse", "beat": "pulse", "beating": "pulse",
    "glow": "pulse", "glows": "pulse", "glowing": "pulse", "breathing": "pulse", "glistens": "pulse",
    "orbit": "orbit", "orbits": "orbit", "orbiting": "orbit", "circling": "orbit", "swirl": "orbit",
    "swirling": "orbit",
    "shake": "shake", "shakes": "shake", "shaking": "shake", "tremble": "shake", "vibrating": "shake",
}

_SPEED_WORDS = {"slow": 0.5, "slowly": 0.5, "gently": 0.6, "gentle": 0.6, "calm": 0.6, "fast": 2.0,
                "quickly": 2.0, "quick": 2.0, "rapid": 2.2, "rapidly": 2.2, "frantic": 2.6}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "a": 1,
            "an": 1, "single": 1, "pair": 2, "couple": 2, "several": 4, "many": 6, "few": 3}
_WORD = re.compile(r"[a-z0-9]+")
_VAPOUR = re.compile(
    r"\b(steam|steaming|smoke|smoking|mist|misty|fog|foggy|snow|snowing|vapou?r|clouds?)\b", re.IGNORECASE
)


@dataclass
class ShapeSpec:
    kind: str
    colour: tuple[int, int, int]
    # position as fractions of the frame, size as a fraction of the short edge
    x: float
    y: float
    size: float
    phase: float


@dataclass
class Scene:
    """What :func:`parse_prompt` read from a prompt (and what the renderer draws)."""

    prompt: str
    colours: list[tuple[int, int, int]] = field(default_factory=list)
    background: tuple[tuple[int, int, int], tuple[int, int, int]] = ((30, 30, 40), (10, 10, 16))
    background_named: bool = False
    shapes: list[ShapeSpec] = field(default_factory=list)
    motions: list[str] = field(default_factory=list)
    speed: float = 1.0
    hue_shift: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "colours": [list(c) for c in self.colours],
            "background": [list(c) for c in self.background],
            "shapes": [s.kind for s in self.shapes],
            "motions": list(self.motions),
            "speed": self.speed,
        }


def _rng_for(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(int(max(0, min(255, c * factor))) for c in colour)  # type: ignore[return-value]


def _shift_hue(colour: tuple[int, int, int], shift: float) -> tuple[int, int, int]:
    if not shift:
        return colour
    h, s, v = colorsys.rgb_to_hsv(*(c / 255.0 for c in colour))
    r, g, b = colorsys.hsv_to_rgb((h + shift) % 1.0, max(s, 0.35), v)
    return int(r * 255), int(g * 255), int(b * 255)


def parse_prompt(prompt: str, seed: str = "", base: Scene | None = None, vary: bool = True) -> Scene:
    """Read colours, shapes and motion words from ``prompt``.

    ``base`` (a remix's source scene) is kept where the new prompt says nothing, and changed where it does.
    """
    words = _WORD.findall(prompt.lower())
    rng = _rng_for("scene", prompt, seed)
    scene = Scene(prompt=prompt)

    colours = [COLOURS[w] for w in words if w in COLOURS]
    bg_named = False
    for i, w in enumerate(words):
        if w in ("background", "backdrop", "wall") and i > 0 and words[i - 1] in COLOURS:
            c = COLOURS[words[i - 1]]
            scene.background = (c, _shade(c, 0.92))
            bg_named = True
            if c in colours:
                colours.remove(c)
    if not bg_named:
        moods = [MOODS[w] for w in words if w in MOODS]
        if moods:
            scene.background = moods[0]
            bg_named = True
    scene.background_named = bg_named
    scene.colours = colours

    kinds: list[tuple[str, int]] = []
    for i, w in enumerate(words):
        if w in SHAPES:
            count = 1
            for back in (1, 2):
                if i - back >= 0 and words[i - back] in _NUMBERS:
                    count = _NUMBERS[words[i - back]]
                    break
                if i - back >= 0 and words[i - back].isdigit():
                    count = max(1, min(8, int(words[i - back])))
                    break
            if w.endswith("s") and count == 1 and w not in ("dice", "glass"):
                count = 3
            kinds.append((SHAPES[w], count))
    scene.motions = sorted({MOTIONS[w] for w in words if w in MOTIONS})
    speeds = [_SPEED_WORDS[w] for w in words if w in _SPEED_WORDS]
    scene.speed = speeds[0] if speeds else 1.0

    if base is not None:
        # a remix: keep what the new prompt does not mention, take what it does, and always shift a little
        if not bg_named:
            scene.background = base.background
            scene.background_named = base.background_named
        if not colours:
            scene.colours = list(base.colours)
        if not scene.motions:
            scene.motions = list(base.motions)
        if not speeds:
            scene.speed = base.speed
        # a remix always varies (hue and motion phase); a continuation (``vary=False``) keeps the shapes as
        # they were, so the extension picks up exactly where its source ended
        scene.hue_shift = 0.08 + float(rng.uniform(0.0, 0.25)) if vary else 0.0
        if not kinds:
            scene.shapes = [
                ShapeSpec(s.kind, colours[i % len(colours)] if colours else _shift_hue(s.colour, scene.hue_shift),
                          s.x, s.y, s.size, s.phase + (1.3 if vary else 0.0))
                for i, s in enumerate(base.shapes)
            ]
            if not colours and not scene.background_named:
                top, bottom = scene.background
                scene.background = (_shift_hue(top, scene.hue_shift), _shift_hue(bottom, scene.hue_shift))
            return scene

    if not scene.background_named:
        hue = float(rng.uniform(0, 1))
        top = colorsys.hsv_to_rgb(hue, 0.45, 0.35)
        bottom = colorsys.hsv_to_rgb((hue + 0.08) % 1, 0.6, 0.12)
        scene.background = (
            tuple(int(c * 255) for c in top),  # type: ignore[assignment]
            tuple(int(c * 255) for c in bottom),
        )
    if not kinds:
        kinds = [(("circle", "square", "triangle", "star", "ring")[int(rng.integers(0, 5))], int(rng.integers(1, 3)))]
    palette = scene.colours or [
        tuple(int(c * 255) for c in colorsys.hsv_to_rgb(float(rng.uniform(0, 1)), 0.7, 0.95)) for _ in range(3)
    ]
    shapes: list[ShapeSpec] = []
    total = min(10, sum(n for _, n in kinds))
    for kind, count in kinds:
        for _ in range(count):
            if len(shapes) >= 10:
                break
            idx = len(shapes)
            colour = palette[idx % len(palette)]
            if scene.hue_shift:
                colour = _shift_hue(colour, scene.hue_shift)  # type: ignore[arg-type]
            if total == 1:
                x, y = 0.5, 0.45
            else:
                x = 0.15 + 0.7 * (idx + 0.5) / total + float(rng.uniform(-0.04, 0.04))
                y = 0.42 + float(rng.uniform(-0.15, 0.1))
            size = (0.42 if total == 1 else max(0.12, 0.36 / math.sqrt(total))) * float(rng.uniform(0.9, 1.1))
            shapes.append(ShapeSpec(kind, colour, x, y, size, float(rng.uniform(0, 2 * math.pi))))  # type: ignore[arg-type]
    scene.shapes = shapes
    return scene


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
    light = (*_shade(colour, 1.25), 255)
    dark = (*_shade(colour, 0.6), 255)
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


# ---------------------------------------------------------------- YUV 4:2:0 planes
#
# Frames are composed directly in the encoder's pixel format (BT.601 limited range, like FFmpeg's default
# RGB conversion) so no per-frame colour conversion or full-frame Pillow copy is needed: a frame costs a
# memcpy of the background plus blends over the few regions that change.


def rgb_to_yuv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(h, w, 3)`` uint8 RGB -> float32 Y, U, V at full resolution (BT.601, limited range)."""
    f = rgb.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0
    u = 128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0
    v = 128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0
    return y, u, v


def _half(plane: np.ndarray) -> np.ndarray:
    """2x2 box average of a float plane whose sides are even."""
    return (plane[0::2, 0::2] + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2]) * 0.25


def rgb_to_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(h, w, 3)`` uint8 RGB with even sides -> uint8 Y (h, w), U and V (h/2, w/2)."""
    y, u, v = rgb_to_yuv(rgb)

    def to8(p: np.ndarray) -> np.ndarray:
        return np.clip(p + 0.5, 0, 255).astype(np.uint8)

    return to8(y), to8(_half(u)), to8(_half(v))


@dataclass
class _YuvSprite:
    """A sprite ready to blend into planes: premultiplied values and inverse alpha, per plane (uint16)."""

    width: int  # even
    height: int  # even
    pre: tuple[np.ndarray, np.ndarray, np.ndarray]
    inv: tuple[np.ndarray, np.ndarray]  # full-res (Y) and half-res (UV) inverse alpha


def yuv_sprite(img: Image.Image) -> _YuvSprite:
    """Convert an RGBA Pillow image (any size) into a :class:`_YuvSprite` with even sides."""
    w, h = img.size
    if w % 2 or h % 2:
        padded = Image.new("RGBA", (w + w % 2, h + h % 2), (0, 0, 0, 0))
        padded.paste(img, (0, 0))
        img = padded
        w, h = img.size
    arr = np.asarray(img)
    alpha = arr[..., 3].astype(np.float32) / 255.0
    y, u, v = rgb_to_yuv(arr[..., :3])
    alpha_h = _half(alpha)
    # chroma averaged with alpha weights, so edges do not pick up black from transparent pixels
    wsum = np.maximum(alpha_h, 1e-6)
    u_h = _half(u * alpha) / wsum
    v_h = _half(v * alpha) / wsum
    a8 = np.round(alpha * 255).astype(np.uint16)
    ah8 = np.round(alpha_h * 255).astype(np.uint16)
    pre_y = np.round(y * a8).astype(np.uint16)
    pre_u = np.round(u_h * ah8).astype(np.uint16)
    pre_v = np.round(v_h * ah8).astype(np.uint16)
    return _YuvSprite(w, h, (pre_y, pre_u, pre_v), (255 - a8, 255 - ah8))


def _blend_plane(dst: np.ndarray, pre: np.ndarray, inv: np.ndarray, x0: int, y0: int) -> None:
    h, w = dst.shape
    sh, sw = pre.shape
    fx0, fy0 = max(0, x0), max(0, y0)
    fx1, fy1 = min(w, x0 + sw), min(h, y0 + sh)
    if fx0 >= fx1 or fy0 >= fy1:
        return
    sx, sy = fx0 - x0, fy0 - y0
    region = dst[fy0:fy1, fx0:fx1]
    acc = region.astype(np.uint16)
    acc *= inv[sy : sy + fy1 - fy0, sx : sx + fx1 - fx0]
    acc += pre[sy : sy + fy1 - fy0, sx : sx + fx1 - fx0]
    acc += 128
    acc += acc >> 8
    acc >>= 8
    region[...] = acc


def blend_sprite(planes: tuple[np.ndarray, np.ndarray, np.ndarray], sprite: _YuvSprite, x: int, y: int) -> None:
    """Blend ``sprite`` with its top-left corner at ``(x, y)`` (rounded down to even) into ``planes``."""
    x -= x % 2
    y -= y % 2
    _blend_plane(planes[0], sprite.pre[0], sprite.inv[0], x, y)
    _blend_plane(planes[1], sprite.pre[1], sprite.inv[1], x // 2, y // 2)
    _blend_plane(planes[2], sprite.pre[2], sprite.inv[1], x // 2, y // 2)


@dataclass
class _Placed:
    sprite: Image.Image
    spec: ShapeSpec
    cache: dict[int, _YuvSprite]


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
        self.rng = _rng_for("motion", seed, scene.prompt, scene.hue_shift)
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
        self.particles: list[tuple[float, float, float, _YuvSprite]] = []
        if "rise" in scene.motions or "fall" in scene.motions:
            pcol = scene.colours[0] if scene.colours else (235, 235, 235)
            if _VAPOUR.search(scene.prompt) or not scene.colours:
                pcol = (240, 240, 240)
            for _ in range(14):
                px = max(3, int(short * float(self.rng.uniform(0.02, 0.05))))
                self.particles.append(
                    (float(self.rng.uniform(0.05, 0.95)), float(self.rng.uniform(0, 1)),
                     float(self.rng.uniform(0.6, 1.4)), yuv_sprite(_shape_sprite("particle", pcol, px)))
                )
        self.caption: tuple[_YuvSprite, int] | None = None
        if caption:
            band, y0 = _caption(scene.prompt, width, height)
            if caption_top:  # edits and extensions: the source's own caption stays readable at the bottom
                y0 = max(2, height // 40) & ~1
            self.caption = (yuv_sprite(band), y0)
        self.bar_h = max(2, (height // 120) & ~1)
        bar = rgb_to_planes(np.full((2, 2, 3), scene.colours[0] if scene.colours else (255, 255, 255), np.uint8))
        self.bar_yuv = (int(bar[0][0, 0]), int(bar[1][0, 0]), int(bar[2][0, 0]))

    def _sprite_at(self, placed: _Placed, angle: float, scale: float) -> _YuvSprite:
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
        return vf.to_ndarray(format="rgb24")

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
        buf = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
        views.append(buf[:, : plane.width])
    return vf, (views[0], views[1], views[2])


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
) -> dict[str, Any]:
    """Render ``video.mp4``, ``thumbnail.webp`` and ``spritesheet.jpg`` into ``out_dir``.

    ``base_chain`` (``[[prompt, seed], ...]`` from the original to the direct source) makes this a remix: the
    scene is the source's (each remix applied in turn), changed by ``prompt``. ``base_prompt``/``base_seed`` is
    the one-step form.
    ``prefix_video`` (an extension) is copied first (``prefix_seconds`` of it, resampled to 24 fps), then
    ``seconds`` new seconds continue from its last frame; with ``continue_scene`` (the source was rendered here
    from ``base_chain``) they continue the source's scene and motion instead, changed by ``prompt``.
    ``base_video`` (an edit) keeps the source's frames and draws the new prompt's shapes and caption over them.
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
                    reference = ref_img if ref_img is not None or last_frame is None else last_frame.to_image()
                    maker = FrameMaker(scene, width, height, seconds, seed=seed, reference=reference,
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
        "video_bytes": (out / "video.mp4").stat().st_size,
        "thumbnail": {"width": tw, "height": th, "bytes": len(thumbnail)},
        "sprite": geometry.to_dict(),
        "scene": scene.summary(),
        "render_s": round(encoded - started, 3),
        "total_s": round(time.perf_counter() - started, 3),
    }


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
