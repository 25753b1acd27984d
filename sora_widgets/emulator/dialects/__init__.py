"""Dialects: the accents carriers and providers speak (``--dialect``, ``start_emulator(dialect=...)``).

``openai`` (the default) is OpenAI's Videos API as documented. The carriers' dialects (``litellm``,
``litellm-veo``, ``vllm-omni``, ``sglang``, ``reseller``) speak ``/v1/videos`` with their quirks; the
providers' (``gemini``, ``fal``) serve the provider's own API instead. README.md has the table.
"""

from __future__ import annotations

from .base import Dialect

__all__ = ["DIALECTS", "Dialect", "dialect_names", "get_dialect"]


def _registry() -> dict[str, type[Dialect]]:
    from .fal import Fal
    from .gemini import Gemini
    from .litellm import LiteLLM, LiteLLMVeo
    from .reseller import Reseller
    from .servers import SGLang, SGLangImageToVideo, VllmOmni

    classes: list[type[Dialect]] = [Dialect, LiteLLM, LiteLLMVeo, VllmOmni, SGLang, SGLangImageToVideo, Reseller,
                                   Gemini, Fal]
    return {cls.name: cls for cls in classes}


DIALECTS = _registry()


def dialect_names() -> tuple[str, ...]:
    return tuple(DIALECTS)


def get_dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]()
    except KeyError:
        raise ValueError(f"unknown dialect {name!r}; choose one of: {', '.join(DIALECTS)}") from None
