"""The providers this package knows: name, key variables, endpoint, SDK, profile. Cheap to import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import AuthenticationError, ValidationError
from ..profiles import BackendProfile
from .profiles import PROFILES, traits_of

if TYPE_CHECKING:
    from ..params import VideoParams

__all__ = ["PROVIDERS", "ProviderSpec", "api_key_for", "base_url_for", "check_request", "get_provider", "label_for",
           "provider_names"]


@dataclass(frozen=True)
class ProviderSpec:
    """How to reach one provider."""

    name: str
    title: str  # shown in the panel's backend badge
    key_env: tuple[str, ...]  # the provider's usual variables, first found wins
    base_url_env: str  # where a different endpoint may be named (tests, proxies, regional hosts)
    default_base_url: str
    sdk: str  # "google-genai" or "litellm"
    litellm_provider: str = ""

    @property
    def profile(self) -> BackendProfile:
        return PROFILES[self.name]


PROVIDERS: dict[str, ProviderSpec] = {p.name: p for p in (
    # Veo goes through google-genai, not LiteLLM: LiteLLM 1.108.7 cannot poll a filtered Veo job to its end
    # (its response model requires generatedSamples) and reads a failed operation as completed (docs/providers.md).
    ProviderSpec("gemini", "Gemini (Veo)", ("GEMINI_API_KEY", "GOOGLE_API_KEY"), "GOOGLE_GEMINI_BASE_URL",
                 "https://generativelanguage.googleapis.com", "google-genai"),
    ProviderSpec("fal", "fal", ("FAL_KEY", "FAL_AI_API_KEY"), "FAL_QUEUE_BASE_URL", "https://queue.fal.run",
                 "litellm", "fal_ai"),
    ProviderSpec("runwayml", "Runway", ("RUNWAYML_API_SECRET",), "RUNWAYML_API_BASE",
                 "https://api.dev.runwayml.com", "litellm", "runwayml"),
    ProviderSpec("minimax", "MiniMax", ("MINIMAX_API_KEY",), "MINIMAX_API_BASE", "https://api.minimax.io",
                 "litellm", "minimax"),
    ProviderSpec("dashscope", "DashScope", ("DASHSCOPE_API_KEY",), "DASHSCOPE_API_BASE",
                 "https://dashscope-intl.aliyuncs.com", "litellm", "dashscope"),
)}
_ALIASES = {"google": "gemini", "veo": "gemini", "fal_ai": "fal", "fal-ai": "fal", "runway": "runwayml"}


def provider_names() -> list[str]:
    return sorted(PROVIDERS)


def provider_aliases() -> list[str]:
    """Other names users type for a provider (``veo`` for ``gemini``…)."""
    return sorted(_ALIASES)


def get_provider(name: Any) -> ProviderSpec:
    """The provider called ``name`` (case-insensitive, a few aliases), or a ValidationError naming the known ones."""
    key = str(name or "").strip().lower()
    spec = PROVIDERS.get(_ALIASES.get(key, key))
    if spec is None:
        raise ValidationError(f"unknown provider {name!r}; known: {', '.join(provider_names())}", "provider")
    return spec


def base_url_for(spec: ProviderSpec, given: str | None) -> str:
    return (given or os.environ.get(spec.base_url_env) or spec.default_base_url).rstrip("/")


def label_for(spec: ProviderSpec, base_url: str) -> str:
    """The backend badge: the provider's name, and the host when it is not the provider's own."""
    from ..urls import label_of

    url = base_url.rstrip("/")
    return spec.title if url == spec.default_base_url else f"{spec.title} ({label_of(url)})"


def api_key_for(spec: ProviderSpec, given: str | None) -> str:
    """The key: given, else the provider's usual variable. Missing: an error before anything is sent."""
    key = given or next((os.environ[v] for v in spec.key_env if os.environ.get(v)), None)
    if not key:
        raise AuthenticationError(
            f"no API key for provider {spec.name!r}: set {' or '.join(spec.key_env)}, or "
            f"sw.configure(provider={spec.name!r}, api_key=...)"
        )
    return key


def check_request(provider: str, params: VideoParams) -> None:
    """What the profile cannot say: a reference image for a model that takes none (before any request)."""
    if params.reference is not None and not traits_of(params.model).image_to_video:
        raise ValidationError(
            f"model {params.model!r} of provider {provider!r} does not take a reference image here; models that "
            f"do: {', '.join(m.name for m in PROVIDERS[provider].profile.models if traits_of(m.name).image_to_video)}"
            " (or leave input_reference out)", "input_reference")
