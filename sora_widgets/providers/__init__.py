"""Providers with their own APIs (Gemini/Veo, fal, Runway, MiniMax, DashScope), reached in-process behind the
same small interface as :class:`~sora_widgets.client.VideoClient`.

``sw.configure(provider="gemini", api_key=...)``. Importing this package is cheap: it never imports LiteLLM or
google-genai; the transport imports its SDK the first time a provider is actually used (on the engine's thread).
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from ..errors import BackendUnavailableError
from .registry import (
    PROVIDERS,
    ProviderSpec,
    api_key_for,
    base_url_for,
    check_request,
    get_provider,
    label_for,
    provider_aliases,
    provider_names,
)

if TYPE_CHECKING:
    from .transport import ProviderTransport

__all__ = ["PROVIDERS", "ProviderSpec", "api_key_for", "base_url_for", "check_request", "get_provider", "label_for",
           "make_transport", "provider_aliases", "provider_names"]


def _missing(module: str) -> bool:
    """Whether ``module`` cannot be imported (found without importing it; None in sys.modules blocks it)."""
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):
        return True


def make_transport(spec: ProviderSpec, base_url: str | None, api_key: str | None,
                   timeout_s: float = 60.0) -> ProviderTransport:
    """The transport of ``spec`` (its SDK is imported later, on first use)."""
    key = api_key_for(spec, api_key)
    url = base_url_for(spec, base_url)
    module = "google.genai" if spec.sdk == "google-genai" else "litellm"
    if _missing(module):
        raise BackendUnavailableError(
            f"provider {spec.name!r} needs {spec.sdk}, which is not installed: pip install 'sora-widgets[providers]'")
    if spec.sdk == "google-genai":
        from .gemini import GeminiTransport

        return GeminiTransport(spec, url, key, timeout_s)
    from .litellm_transport import LiteLLMTransport

    return LiteLLMTransport(spec, url, key, timeout_s)
