"""The prompt coach: which parts of a good video prompt are there, and example prompts to start from.

The guidance and examples are the seed's "Prompting Best Practices": a good text-to-video prompt names the
shot type, the subject, the action, the setting and the lighting; with a reference image (image-to-video) it
describes the motion, the camera and any effects. The rules are data (:func:`coach_rules`), sent to the
browser, where ``analyzePrompt`` in ``static/sora.js`` runs the same analysis as :func:`analyze` while the
user types (no kernel round trip per keystroke).

The checks are keyword heuristics: they help a user notice what is missing, they do not grade prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["TEMPLATES", "Aspect", "CoachReport", "analyze", "coach_rules"]


@dataclass(frozen=True)
class Aspect:
    """One thing a good prompt covers.

    ``words`` are matched as whole words or phrases; ``patterns`` are regular expressions over the lowered
    prompt (padded with spaces); ``rest`` marks the aspect that any unclaimed content word satisfies (the
    subject: in "A burger" it is "burger").
    """

    key: str
    label: str
    hint: str
    words: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    rest: bool = False


def _verbs(*bases: str) -> tuple[str, ...]:
    """Base verbs plus their -s and -ing forms ("rise" -> "rises", "rising")."""
    out: list[str] = []
    for base in bases:
        third = base + ("es" if base.endswith(("s", "sh", "ch", "x", "o")) else "s")
        if base.endswith("e") and not base.endswith("ee"):
            ing = base[:-1] + "ing"
        elif base in ("run", "swim", "spin", "drop", "hop", "jog", "stir", "pan"):
            ing = base + base[-1] + "ing"
        else:
            ing = base + "ing"
        out += [base, third, ing]
    return tuple(out)


SHOT = Aspect(
    "shot",
    "Shot type",
    "How the camera frames it: wide, close-up, tracking, aerial, slow motion...",
    words=(
        "shot",
        "close-up",
        "close up",
        "closeup",
        "wide",
        "medium",
        "tracking",
        "aerial",
        "drone",
        "dolly",
        "pan",
        "pans",
        "panning",
        "zoom",
        "zooms",
        "zooming",
        "macro",
        "establishing",
        "overhead",
        "top-down",
        "low-angle",
        "low angle",
        "high-angle",
        "high angle",
        "pov",
        "point of view",
        "handheld",
        "slow motion",
        "slow-motion",
        "time-lapse",
        "timelapse",
        "crane",
        "orbit",
        "orbits",
        "orbiting",
        "push-in",
        "camera",
        "cinematic",
        "cinematography",
        "first-person",
        "over-the-shoulder",
        "dutch angle",
        "steadicam",
    ),
)
SUBJECT = Aspect("subject", "Subject", "The main focus: who or what the video is about", rest=True)
ACTION = Aspect(
    "action",
    "Action",
    "What happens: steam rises, she turns and smiles, waves crash...",
    words=_verbs(
        "rise",
        "turn",
        "walk",
        "run",
        "move",
        "fly",
        "fall",
        "cascade",
        "glisten",
        "smile",
        "dance",
        "jump",
        "swim",
        "spin",
        "flow",
        "drift",
        "float",
        "open",
        "close",
        "pour",
        "melt",
        "crash",
        "roll",
        "climb",
        "wave",
        "sway",
        "blow",
        "burn",
        "flicker",
        "sparkle",
        "shine",
        "glow",
        "bloom",
        "grow",
        "drip",
        "splash",
        "explode",
        "chase",
        "race",
        "ride",
        "drive",
        "sail",
        "land",
        "leap",
        "look",
        "laugh",
        "talk",
        "sing",
        "play",
        "cook",
        "eat",
        "drink",
        "write",
        "paint",
        "build",
        "reveal",
        "emerge",
        "appear",
        "disappear",
        "approach",
        "follow",
        "circle",
        "rotate",
        "shake",
        "bounce",
        "slide",
        "glide",
        "soar",
        "dive",
        "wander",
        "stroll",
        "sit",
        "stand",
        "kneel",
        "reach",
        "grab",
        "hold",
        "throw",
        "catch",
        "kick",
        "push",
        "pull",
        "lift",
        "drop",
        "steam",
        "sizzle",
        "bubble",
        "swirl",
        "ripple",
        "hover",
        "march",
        "hop",
        "jog",
        "gallop",
        "stretch",
        "wake",
        "sleep",
        "breathe",
        "blink",
        "wink",
        "nod",
        "wag",
        "stir",
        "toss",
        "fold",
        "unfold",
        "scatter",
        "gather",
        "enter",
        "exit",
        "leave",
        "arrive",
        "cross",
        "pass",
        "unfurl",
        "twirl",
    ),
)
SETTING = Aspect(
    "setting",
    "Setting",
    "Where it happens: on a rustic wooden board, a rainy Tokyo street, a forest at dawn...",
    words=(
        "kitchen",
        "restaurant",
        "street",
        "city",
        "forest",
        "beach",
        "room",
        "studio",
        "desert",
        "ocean",
        "sea",
        "mountain",
        "mountains",
        "park",
        "field",
        "sky",
        "space",
        "garden",
        "office",
        "house",
        "background",
        "rooftop",
        "lake",
        "river",
        "snow",
        "table",
        "board",
        "cafe",
        "café",
        "market",
        "village",
        "jungle",
        "meadow",
        "valley",
        "island",
        "harbor",
        "bridge",
        "alley",
        "library",
        "classroom",
        "stage",
        "arena",
        "underwater",
        "countryside",
        "landscape",
        "skyline",
        "interior",
        "outdoors",
        "indoors",
        "backdrop",
        "farm",
        "barn",
        "cave",
        "castle",
        "temple",
        "station",
        "subway",
        "highway",
        "road",
        "shore",
        "cliff",
        "waterfall",
        "canyon",
        "planet",
        "galaxy",
        "nebula",
        "workshop",
        "laboratory",
        "bedroom",
        "living room",
        "attic",
        "porch",
        "balcony",
        "window",
        "courtyard",
        "plaza",
        "stadium",
        "warehouse",
        "factory",
    ),
    patterns=(
        r" (in|on|at|inside|outside|under|across|through|near|beside|above|over|along)"
        r" (a|an|the|his|her|their|its|our) ",
    ),
)
LIGHTING = Aspect(
    "lighting",
    "Lighting",
    "Mood and time of day: warm soft light, golden hour, neon at night, overcast morning...",
    words=(
        "lighting",
        "light",
        "lights",
        "lit",
        "sunlight",
        "sunlit",
        "moonlight",
        "moonlit",
        "sunset",
        "sunrise",
        "golden hour",
        "blue hour",
        "dawn",
        "dusk",
        "twilight",
        "night",
        "nighttime",
        "neon",
        "backlit",
        "backlight",
        "candlelight",
        "candlelit",
        "shadow",
        "shadows",
        "glow",
        "glowing",
        "overcast",
        "morning",
        "evening",
        "noon",
        "midday",
        "daylight",
        "afternoon",
        "moody",
        "dramatic",
        "soft",
        "warm",
        "cool",
        "bright",
        "dim",
        "dark",
        "hazy",
        "foggy",
        "misty",
        "rim light",
        "high-key",
        "low-key",
        "volumetric",
        "lamp",
        "lantern",
        "fluorescent",
        "spotlight",
        "silhouette",
        "silhouetted",
    ),
)

MOTION = Aspect(
    "motion",
    "Motion",
    "What moves in the picture and how: she turns around and smiles, leaves drift down...",
    words=ACTION.words,
)
CAMERA = Aspect(
    "camera",
    "Camera",
    "How the camera moves: slow push-in, pans left, stays locked off, orbits...",
    words=(
        "camera",
        "pan",
        "pans",
        "panning",
        "zoom",
        "zooms",
        "zooming",
        "dolly",
        "tracking",
        "tracks",
        "orbit",
        "orbits",
        "orbiting",
        "push-in",
        "pull back",
        "pulls back",
        "tilt",
        "tilts",
        "crane",
        "handheld",
        "static",
        "locked off",
        "locked-off",
        "follows",
        "follow",
        "out of frame",
        "into frame",
        "frame",
        "close-up",
        "wide",
        "steadicam",
        "pov",
    ),
)
EFFECTS = Aspect(
    "effects",
    "Effects",
    "Extra visual effects: slow motion, lens flare, shallow depth of field, film grain...",
    words=(
        "slow motion",
        "slow-motion",
        "time-lapse",
        "timelapse",
        "lens flare",
        "depth of field",
        "bokeh",
        "film grain",
        "grain",
        "motion blur",
        "blur",
        "blurred",
        "glow",
        "sparkles",
        "particles",
        "fog",
        "mist",
        "smoke",
        "rain",
        "snow",
        "light leaks",
        "vignette",
        "haze",
        "reflections",
        "dust",
        "confetti",
        "fireworks",
        "bloom",
        "glitch",
        "shimmer",
        "shimmering",
        "steam",
    ),
)

TEXT_ASPECTS = (SHOT, SUBJECT, ACTION, SETTING, LIGHTING)
IMAGE_ASPECTS = (MOTION, CAMERA, EFFECTS)

#: Words that never count as a subject.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "into",
        "onto",
        "over",
        "under",
        "up",
        "down",
        "out",
        "off",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "then",
        "than",
        "so",
        "very",
        "some",
        "any",
        "each",
        "every",
        "all",
        "both",
        "few",
        "more",
        "most",
        "other",
        "such",
        "no",
        "not",
        "only",
        "own",
        "same",
        "too",
        "can",
        "will",
        "just",
        "don",
        "should",
        "now",
        "his",
        "her",
        "their",
        "our",
        "your",
        "my",
        "me",
        "him",
        "them",
        "they",
        "she",
        "he",
        "we",
        "you",
        "i",
        "who",
        "whom",
        "which",
        "what",
        "when",
        "where",
        "why",
        "how",
        "while",
        "after",
        "before",
        "during",
        "above",
        "below",
        "between",
        "through",
        "again",
        "further",
        "once",
        "around",
        "slowly",
        "quickly",
        "gently",
        "softly",
        "very",
    ]
)

#: Example prompts from the seed, offered as templates (name, prompt, whether they need a reference image).
TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "name": "Poor: “A burger”",
        "level": "poor",
        "prompt": "A burger",
        "image": False,
    },
    {
        "name": "Good example",
        "level": "good",
        "prompt": (
            "Close-up shot of a gourmet burger on a wooden board, steam rising from the hot patty, camera slowly "
            "zooms in to reveal melted cheese, warm restaurant lighting"
        ),
        "image": False,
    },
    {
        "name": "Excellent example",
        "level": "excellent",
        "prompt": (
            "Slow tracking shot moving around a freshly grilled burger on a rustic wooden board. Steam rises from "
            "the hot beef patty. Melted cheddar cheese cascades down the sides. Golden sesame seed bun glistens. "
            "Warm, soft lighting from above. Shallow depth of field with blurred background. Professional food "
            "cinematography."
        ),
        "image": False,
    },
    {
        "name": "Image-to-video example",
        "level": "image",
        "prompt": "She turns around and smiles, then slowly walks out of frame",
        "image": True,
    },
)


@dataclass(frozen=True)
class CoachReport:
    """The result of :func:`analyze`."""

    present: tuple[str, ...]
    missing: tuple[str, ...]
    labels: dict[str, str]

    @property
    def score(self) -> float:
        total = len(self.present) + len(self.missing)
        return len(self.present) / total if total else 0.0

    def __str__(self) -> str:
        if not self.missing:
            return "The prompt covers " + ", ".join(self.labels[k].lower() for k in self.present) + "."
        return "Missing: " + ", ".join(self.labels[k].lower() for k in self.missing) + "."


_TOKEN = re.compile(r"[a-z][a-z'-]*")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _aspect_rules(aspect: Aspect) -> dict[str, Any]:
    return {
        "key": aspect.key,
        "label": aspect.label,
        "hint": aspect.hint,
        "words": list(aspect.words),
        "patterns": list(aspect.patterns),
        "rest": aspect.rest,
    }


def analyze(prompt: str, *, image: bool = False) -> CoachReport:
    """Which parts of the seed's guidance ``prompt`` covers.

    Parameters
    ----------
    prompt
        The prompt text.
    image
        True when a reference image is attached: then the image-to-video aspects (motion, camera, effects)
        apply instead of shot type, subject, action, setting and lighting.

    Returns
    -------
    CoachReport
        ``present`` and ``missing`` aspect keys, in the guidance's order.
    """
    aspects = IMAGE_ASPECTS if image else TEXT_ASPECTS
    lower = " " + re.sub(r"\s+", " ", prompt.lower()) + " "
    claimed: set[str] = set()
    found: dict[str, bool] = {}
    for aspect in aspects:
        if aspect.rest:
            continue
        hit = False
        for word in aspect.words:
            if re.search(rf"(^|[^a-z]){re.escape(word)}($|[^a-z])", lower):
                hit = True
                claimed.update(_tokens(word))
        if any(re.search(p, lower) for p in aspect.patterns):
            hit = True
        found[aspect.key] = hit
    words = _tokens(prompt)
    for aspect in aspects:
        if aspect.rest:
            found[aspect.key] = any(len(w) >= 3 and w not in STOPWORDS and w not in claimed for w in words)
    present = tuple(a.key for a in aspects if found[a.key])
    missing = tuple(a.key for a in aspects if not found[a.key])
    return CoachReport(present, missing, {a.key: a.label for a in aspects})


def coach_rules() -> dict[str, Any]:
    """The rules and templates as JSON-safe data for the browser (``_coach`` trait)."""
    stop = sorted(STOPWORDS)
    return {
        "text": {"aspects": [_aspect_rules(a) for a in TEXT_ASPECTS], "stopwords": stop},
        "image": {"aspects": [_aspect_rules(a) for a in IMAGE_ASPECTS], "stopwords": stop},
        "templates": [dict(t) for t in TEMPLATES],
    }
