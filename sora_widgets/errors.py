"""Typed, readable errors. Every message says what went wrong and what to do; none ever carries an API key."""

from __future__ import annotations

import re

__all__ = [
    "SHUTDOWN_NOTE",
    "AuthenticationError",
    "BackendUnavailableError",
    "BudgetExceededError",
    "ContentPolicyError",
    "RateLimitError",
    "SoraWidgetsError",
    "ValidationError",
    "redact",
]

# Anything that looks like a bearer key: OpenAI style (sk-...), or long opaque tokens after "Bearer".
_KEY_PATTERNS = (
    re.compile(r"sk-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.=]{6,}"),
)

SHUTDOWN_NOTE = (
    "OpenAI switched off the Sora 2 models and the Videos API on 2026-09-24. Point sora_widgets at another "
    "backend that speaks the same protocol (a LiteLLM proxy, a gateway, vLLM-Omni): "
    "sw.configure(base_url='https://host/v1', api_key=...) or set OPENAI_BASE_URL; or unset OPENAI_API_KEY "
    "to use the local emulator."
)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with any API key (the given secrets, and anything key-shaped) replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _KEY_PATTERNS[0].sub("sk-***", text)
    text = _KEY_PATTERNS[1].sub(r"\1***", text)
    return text


class SoraWidgetsError(Exception):
    """Base class of every error sora_widgets raises on purpose."""

    def __init__(self, message: str) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ValidationError(SoraWidgetsError, ValueError):
    """Bad input, caught before any request is sent. ``param`` names the offending argument."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class BudgetExceededError(ValidationError):
    """A job would take spend past ``budget_usd``, or a local limit (``max_concurrent``,
    ``max_per_minute``) stops it."""


class ContentPolicyError(SoraWidgetsError):
    """The backend refused the content. ``blocked_input`` is ``"prompt"``, ``"image"`` or None (not said)."""

    def __init__(self, message: str, blocked_input: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.blocked_input = blocked_input
        self.code = code


class AuthenticationError(SoraWidgetsError):
    """The backend refused the API key (401) or the key has no access (403)."""


class RateLimitError(SoraWidgetsError):
    """The backend said 429 and kept saying it. ``retry_after_s`` is its hint, when it gave one."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class BackendUnavailableError(SoraWidgetsError):
    """The endpoint is unreachable, gone, or does not serve the Videos API (or a needed feature)."""
