"""YUV 4:2:0 planes: colour conversion and integer alpha blending of pre-converted sprites."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

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
    half: np.ndarray = (plane[0::2, 0::2] + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2]) * 0.25
    return half


def rgb_to_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(h, w, 3)`` uint8 RGB with even sides -> uint8 Y (h, w), U and V (h/2, w/2)."""
    y, u, v = rgb_to_yuv(rgb)

    def to8(p: np.ndarray) -> np.ndarray:
        return np.clip(p + 0.5, 0, 255).astype(np.uint8)

    return to8(y), to8(_half(u)), to8(_half(v))


@dataclass
class YuvSprite:
    """A sprite ready to blend into planes: premultiplied values and inverse alpha, per plane (uint16)."""

    width: int  # even
    height: int  # even
    pre: tuple[np.ndarray, np.ndarray, np.ndarray]
    inv: tuple[np.ndarray, np.ndarray]  # full-res (Y) and half-res (UV) inverse alpha


def yuv_sprite(img: Image.Image) -> YuvSprite:
    """Convert an RGBA Pillow image (any size) into a :class:`YuvSprite` with even sides."""
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
    return YuvSprite(w, h, (pre_y, pre_u, pre_v), (255 - a8, 255 - ah8))


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


def blend_sprite(planes: tuple[np.ndarray, np.ndarray, np.ndarray], sprite: YuvSprite, x: int, y: int) -> None:
    """Blend ``sprite`` with its top-left corner at ``(x, y)`` (rounded down to even) into ``planes``."""
    x -= x % 2
    y -= y % 2
    _blend_plane(planes[0], sprite.pre[0], sprite.inv[0], x, y)
    _blend_plane(planes[1], sprite.pre[1], sprite.inv[1], x // 2, y // 2)
    _blend_plane(planes[2], sprite.pre[2], sprite.inv[1], x // 2, y // 2)


