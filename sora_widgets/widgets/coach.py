"""The prompt coach: which parts of a good video prompt are there, and example prompts to start from.

The guidance and examples are the seed's "Prompting Best Practices": a good text-to-video prompt names the
shot type, the subject, the action, the setting and the lighting; with a reference image (image-to-video) it
describes the motion, the camera and any effects. The rules are data, in ``coach_rules.json`` next to this
module; :func:`coach_rules` sends them to the browser, where ``analyzePrompt`` in ``static/sora.js`` runs the
same analysis as :func:`analyze` while the user types (no kernel round trip per keystroke).

The checks are keyword heuristics: they help a user notice what is missing, they do not grade prose.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
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

    @classmethod
    def from_rules(cls, rules: dict[str, Any]) -> Aspect:
        return cls(
            key=rules["key"],
            label=rules["label"],
            hint=rules["hint"],
            words=tuple(rules.get("words", ())),
            patterns=tuple(rules.get("patterns", ())),
            rest=bool(rules.get("rest", False)),
        )

    def rules(self) -> dict[str, Any]:
        """JSON-safe form (what the browser gets)."""
        return {
            "key": self.key,
            "label": self.label,
            "hint": self.hint,
            "words": list(self.words),
            "patterns": list(self.patterns),
            "rest": self.rest,
        }


def _load() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("coach_rules.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


_DATA = _load()

TEXT_ASPECTS: tuple[Aspect, ...] = tuple(Aspect.from_rules(a) for a in _DATA["text_aspects"])
IMAGE_ASPECTS: tuple[Aspect, ...] = tuple(Aspect.from_rules(a) for a in _DATA["image_aspects"])
#: Words that never count as a subject.
STOPWORDS: frozenset[str] = frozenset(_DATA["stopwords"])
#: Example prompts from the seed, offered as templates (name, level, prompt, whether they need a reference image).
TEMPLATES: tuple[dict[str, Any], ...] = tuple(dict(t) for t in _DATA["templates"])


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
                claimed.update(_tokens(word))  # a word that names the shot is not also the subject
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
        "text": {"aspects": [a.rules() for a in TEXT_ASPECTS], "stopwords": stop},
        "image": {"aspects": [a.rules() for a in IMAGE_ASPECTS], "stopwords": stop},
        "templates": [dict(t) for t in TEMPLATES],
    }
