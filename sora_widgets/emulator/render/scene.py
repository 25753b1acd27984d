"""Reading a prompt: the colour, mood, shape, motion and speed words the renderer understands, and the
:class:`Scene` they make (deterministic: the same prompt and seed give the same scene)."""

from __future__ import annotations

import colorsys
import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["COLOURS", "MOODS", "MOTIONS", "SHAPES", "Scene", "ShapeSpec", "parse_prompt"]

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
VAPOUR = re.compile(
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


def rng_for(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(int(max(0, min(255, c * factor))) for c in colour)  # type: ignore[return-value]


def shift_hue(colour: tuple[int, int, int], shift: float) -> tuple[int, int, int]:
    if not shift:
        return colour
    h, s, v = colorsys.rgb_to_hsv(*(c / 255.0 for c in colour))
    r, g, b = colorsys.hsv_to_rgb((h + shift) % 1.0, max(s, 0.35), v)
    return int(r * 255), int(g * 255), int(b * 255)


def hsv_colour(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def parse_prompt(prompt: str, seed: str = "", base: Scene | None = None, vary: bool = True) -> Scene:
    """Read colours, shapes and motion words from ``prompt``.

    ``base`` (a remix's source scene) is kept where the new prompt says nothing, and changed where it does.
    """
    words = _WORD.findall(prompt.lower())
    rng = rng_for("scene", prompt, seed)
    scene = Scene(prompt=prompt)

    colours = [COLOURS[w] for w in words if w in COLOURS]
    bg_named = False
    for i, w in enumerate(words):
        if w in ("background", "backdrop", "wall") and i > 0 and words[i - 1] in COLOURS:
            c = COLOURS[words[i - 1]]
            scene.background = (c, shade(c, 0.92))
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
                ShapeSpec(s.kind, colours[i % len(colours)] if colours else shift_hue(s.colour, scene.hue_shift),
                          s.x, s.y, s.size, s.phase + (1.3 if vary else 0.0))
                for i, s in enumerate(base.shapes)
            ]
            if not colours and not scene.background_named:
                top, bottom = scene.background
                scene.background = (shift_hue(top, scene.hue_shift), shift_hue(bottom, scene.hue_shift))
            return scene

    if not scene.background_named:
        hue = float(rng.uniform(0, 1))
        scene.background = (hsv_colour(hue, 0.45, 0.35), hsv_colour((hue + 0.08) % 1, 0.6, 0.12))
    if not kinds:
        kinds = [(("circle", "square", "triangle", "star", "ring")[int(rng.integers(0, 5))], int(rng.integers(1, 3)))]
    palette = scene.colours or [hsv_colour(float(rng.uniform(0, 1)), 0.7, 0.95) for _ in range(3)]
    shapes: list[ShapeSpec] = []
    total = min(10, sum(n for _, n in kinds))
    for kind, count in kinds:
        for _ in range(count):
            if len(shapes) >= 10:
                break
            idx = len(shapes)
            colour = palette[idx % len(palette)]
            if scene.hue_shift:
                colour = shift_hue(colour, scene.hue_shift)
            if total == 1:
                x, y = 0.5, 0.45
            else:
                x = 0.15 + 0.7 * (idx + 0.5) / total + float(rng.uniform(-0.04, 0.04))
                y = 0.42 + float(rng.uniform(-0.15, 0.1))
            size = (0.42 if total == 1 else max(0.12, 0.36 / math.sqrt(total))) * float(rng.uniform(0.9, 1.1))
            shapes.append(ShapeSpec(kind, colour, x, y, size, float(rng.uniform(0, 2 * math.pi))))
    scene.shapes = shapes
    return scene

