"""One backend profile per provider: models, sizes as the panel shows them, seconds, prices, and what each model
does beyond the Videos API (image-to-video, negative prompt, audio).

Prices are USD per second of video. Where LiteLLM's bundled cost map (``model_prices_and_context_window_backup.json``
in litellm 1.108.7, each entry naming the provider's pricing page it was taken from) has the model, the price is
that entry's, and ``tests/providers/test_prices.py`` fails when the two drift apart. The others (Veo 3.0/2.0 on the
Gemini API, fal's Veo 3 and Kling apps) are as the providers' pages gave them on 2025-10-15 and were not re-checked
(no network here): check them before trusting a budget. A model with no known price has none, so a budget
refuses it with a message instead of guessing.

No provider here lists, deletes, remixes, reports progress or serves thumbnails: the features are empty, so the
engine never sends those requests, makes thumbnails/spritesheets locally from the MP4, shows an indeterminate bar,
and ends an unanswered create ``unknown`` (retryable) instead of re-sending it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..profiles import BackendProfile, ModelSpec

__all__ = ["COST_MAP", "MODEL_TRAITS", "PRICES_CHECKED", "PROFILES", "ModelTraits", "traits_of"]

PRICES_CHECKED = "2025-10-15"  # the models LiteLLM's cost map does not price
COST_MAP = "LiteLLM 1.108.7 cost map"


@dataclass(frozen=True)
class ModelTraits:
    """What a model does that the Videos API's create does not say."""

    image_to_video: bool = False  # accepts a first-frame image
    negative_prompt: bool = False  # the provider's API has a negative prompt (not sent by this library yet)
    audio: bool = False  # the MP4 carries a sound track
    source: str = ""  # where the price came from


_VEO3_SIZES = ("1280x720", "720x1280", "1920x1080")  # Veo 3.0: 1080p is 16:9 only (Google's model card)
_VEO31_SIZES = ("1280x720", "720x1280", "1920x1080", "1080x1920")
_1080P = ("1920x1080", "1080x1920")
_GEMINI = "Gemini API pricing page (ai.google.dev/gemini-api/docs/pricing), " + PRICES_CHECKED
_GEMINI_MAP = "Gemini API pricing page (ai.google.dev/gemini-api/docs/pricing), via " + COST_MAP

GEMINI_PROFILE = BackendProfile(
    name="gemini",
    models=(
        ModelSpec("veo-3.1-generate-001", _VEO31_SIZES, ("8", "6", "4"), {"*": 0.40}, label="Veo 3.1"),
        ModelSpec("veo-3.1-fast-generate-001", _VEO31_SIZES, ("8", "6", "4"),
                  {"*": 0.10, **dict.fromkeys(_1080P, 0.12)}, label="Veo 3.1 Fast"),
        ModelSpec("veo-3.0-generate-001", _VEO3_SIZES, ("8", "6", "4"), {"*": 0.40}, label="Veo 3"),
        ModelSpec("veo-3.0-fast-generate-001", _VEO3_SIZES, ("8", "6", "4"), {"*": 0.15}, label="Veo 3 Fast"),
        ModelSpec("veo-2.0-generate-001", ("1280x720", "720x1280"), ("8", "5", "6", "7"), {"*": 0.35},
                  label="Veo 2"),
    ),
    features=frozenset(),
    description="Google Gemini API (Veo), through google-genai",
)

_FAL = "fal model pages (fal.ai/models/...), " + PRICES_CHECKED
FAL_PROFILE = BackendProfile(
    name="fal",
    models=(
        ModelSpec("fal-ai/veo3", ("1280x720", "720x1280", "1920x1080"), ("8", "6", "4"), {"*": 0.40},
                  label="Veo 3 (fal)"),
        ModelSpec("fal-ai/veo3/fast", ("1280x720", "720x1280"), ("8", "6", "4"), {"*": 0.25},
                  label="Veo 3 Fast (fal)"),
        ModelSpec("fal-ai/kling-video/v2.1/standard/text-to-video", ("1280x720", "720x1280", "720x720"),
                  ("5", "10"), {"*": 0.05}, label="Kling 2.1 (fal)"),
    ),
    features=frozenset(),
    # fal hosts hundreds of apps: another app id is accepted with the first model's sizes/seconds and no price
    open_models=True,
    description="fal queue API, through LiteLLM",
)

RUNWAY_PROFILE = BackendProfile(
    name="runwayml",
    models=(
        ModelSpec("gen4_turbo", ("1280x720", "720x1280", "1104x832", "832x1104", "960x960", "1584x672"),
                  ("5", "10"), {"*": 0.05}, label="Gen-4 Turbo"),
    ),
    features=frozenset(),
    description="Runway API, through LiteLLM (not tested here)",
)

MINIMAX_PROFILE = BackendProfile(
    name="minimax",
    models=(ModelSpec("MiniMax-Hailuo-02", ("1366x768", "1920x1080"), ("6", "10"), {}, label="Hailuo 02"),),
    features=frozenset(),
    description="MiniMax video API, through LiteLLM (not tested here; no price known)",
)

DASHSCOPE_PROFILE = BackendProfile(
    name="dashscope",
    models=(ModelSpec("wan2.2-t2v-plus", ("1920x1080", "1080x1920", "1440x1440"), ("5",), {}, label="Wan 2.2"),),
    features=frozenset(),
    description="Alibaba DashScope (Wan), through LiteLLM (not tested here; no price known)",
)

PROFILES = {p.name: p for p in (GEMINI_PROFILE, FAL_PROFILE, RUNWAY_PROFILE, MINIMAX_PROFILE, DASHSCOPE_PROFILE)}

MODEL_TRAITS: dict[str, ModelTraits] = {
    "veo-3.1-generate-001": ModelTraits(True, True, True, _GEMINI_MAP),
    "veo-3.1-fast-generate-001": ModelTraits(True, True, True, _GEMINI_MAP),
    "veo-3.0-generate-001": ModelTraits(True, True, True, _GEMINI),
    "veo-3.0-fast-generate-001": ModelTraits(True, True, True, _GEMINI),
    "veo-2.0-generate-001": ModelTraits(True, True, False, _GEMINI),
    # LiteLLM's fal path takes an image only as a public URL; this library sends bytes, so no image here
    "fal-ai/veo3": ModelTraits(False, True, True, _FAL),
    "fal-ai/veo3/fast": ModelTraits(False, True, True, _FAL),
    "fal-ai/kling-video/v2.1/standard/text-to-video": ModelTraits(False, True, False, _FAL),
    "gen4_turbo": ModelTraits(True, False, False, "Runway API pricing (docs.dev.runwayml.com), via " + COST_MAP),
    "MiniMax-Hailuo-02": ModelTraits(True, False, False, ""),
    "wan2.2-t2v-plus": ModelTraits(False, True, False, ""),
}


def traits_of(model: str) -> ModelTraits:
    """The traits of ``model`` (a model this file does not know: nothing beyond text-to-video)."""
    return MODEL_TRAITS.get(model, ModelTraits())
