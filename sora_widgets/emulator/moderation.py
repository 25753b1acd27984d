"""The emulator's moderation: a small, documented blocklist, applied the way the real API applies its own.

The real Videos API accepts the create (200, ``queued``), then the job ends ``failed`` with
``error.code = "moderation_blocked"``. The emulator does the same for prompts that name

- copyrighted characters and brand mascots (:data:`CHARACTERS`),
- real people, public figures included (:data:`PUBLIC_FIGURES`),
- copyrighted music: well-known songs and "music by <artist>" (:data:`MUSIC`).

Matching is case-insensitive on whole words, so "Mario jumping on a mushroom" is blocked and "marionette"
is not. The error message says which input was blocked (``prompt``) and why, so a client can tell the user.
Reference images are not inspected for faces (the real API rejects images with human faces); an image can
be flagged on purpose with the word ``face`` in its file name, for testing that path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CHARACTERS", "MESSAGE", "MUSIC", "PUBLIC_FIGURES", "Verdict", "check_image_name", "check_prompt"]

MESSAGE = "Your request was blocked by our moderation system."

CHARACTERS = (
    "mario", "luigi", "princess peach", "bowser", "yoshi", "donkey kong", "pikachu", "pokemon", "pokémon",
    "sonic the hedgehog", "spongebob", "patrick star", "mickey mouse", "minnie mouse", "donald duck",
    "elsa", "olaf", "simba", "buzz lightyear", "shrek", "batman", "superman",
    "spider-man", "spiderman", "iron man", "hulk", "captain america", "wonder woman", "darth vader",
    "yoda", "harry potter", "hermione", "gandalf", "homer simpson", "bart simpson", "bugs bunny",
    "hello kitty", "peppa pig", "barbie", "link from zelda", "master chief", "kirby",
    # mascots
    "ronald mcdonald", "tony the tiger", "the pillsbury doughboy", "pillsbury doughboy", "mr. peanut",
    "kool-aid man", "m&m's characters", "geico gecko", "michelin man", "colonel sanders",
)

PUBLIC_FIGURES = (
    "taylor swift", "beyonce", "beyoncé", "elon musk", "barack obama", "obama", "donald trump", "trump",
    "joe biden", "kamala harris", "king charles", "queen elizabeth", "pope francis", "oprah", "oprah winfrey",
    "tom cruise", "brad pitt", "scarlett johansson", "keanu reeves", "leonardo dicaprio", "kim kardashian",
    "lionel messi", "cristiano ronaldo", "lebron james", "michael jordan", "serena williams", "bill gates",
    "mark zuckerberg", "jeff bezos", "sam altman", "albert einstein", "marilyn monroe", "elvis presley",
    "michael jackson", "rihanna", "ed sheeran", "billie eilish",
)

MUSIC = (
    "bohemian rhapsody", "happy birthday song", "billie jean", "shape of you",
    "shake it off", "imagine by john lennon", "hey jude", "yesterday by the beatles",
    "stairway to heaven", "smells like teen spirit", "baby shark", "despacito", "blinding lights",
    "the beatles", "queen's music", "star wars theme", "imperial march", "jurassic park theme",
)

_MUSIC_BY = re.compile(r"\b(music|song|soundtrack|track|tune|melody)\s+(by|from)\s+[A-Z]", re.IGNORECASE)


def _pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    alts = sorted((re.escape(n) for n in names), key=len, reverse=True)
    return re.compile(r"(?<![\w])(" + "|".join(alts) + r")(?![\w])", re.IGNORECASE)


_RULES = (
    ("copyrighted character", _pattern(CHARACTERS)),
    ("real person", _pattern(PUBLIC_FIGURES)),
    ("copyrighted music", _pattern(MUSIC)),
)


@dataclass(frozen=True)
class Verdict:
    """Why an input was blocked."""

    blocked_input: str  # "prompt" | "input_reference"
    category: str
    match: str

    @property
    def message(self) -> str:
        return f"{MESSAGE} The {self.blocked_input} was flagged: {self.category} ({self.match!r})."


def check_prompt(prompt: str) -> Verdict | None:
    """A :class:`Verdict` when ``prompt`` names something on the blocklist, else None."""
    for category, pattern in _RULES:
        m = pattern.search(prompt)
        if m:
            return Verdict("prompt", category, m.group(1))
    m2 = _MUSIC_BY.search(prompt)
    if m2:
        return Verdict("prompt", "copyrighted music", m2.group(0))
    return None


def check_image_name(filename: str | None) -> Verdict | None:
    """Stand-in for face detection: an upload whose file name contains ``face`` is treated as a photo of one."""
    if filename and re.search(r"face", filename, re.IGNORECASE):
        return Verdict("input_reference", "image with a human face", filename.rsplit("/", 1)[-1])
    return None
