"""Typed, readable errors. Every message says what went wrong and what to do; none ever carries an API key."""

from __future__ import annotations

from .redact import redact

__all__ = [
    "SHUTDOWN_NOTE",
    "AuthenticationError",
    "BackendUnavailableError",
    "BudgetExceededError",
    "ContentPolicyError",
    "DiskFullError",
    "JournalCorruptError",
    "RateLimitError",
    "SoraWidgetsError",
    "StorageError",
    "ValidationError",
    "redact",
]

SHUTDOWN_NOTE = (
    "OpenAI switched off the Sora 2 models and the Videos API on 2026-09-24. Point sora_widgets at another "
    "backend that speaks the same protocol (a LiteLLM proxy, a gateway, vLLM-Omni): "
    "sw.configure(base_url='https://host/v1', api_key=...) or set OPENAI_BASE_URL; or unset OPENAI_API_KEY "
    "to use the local emulator."
)


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


class StorageError(SoraWidgetsError):
    """The journal or the media under ``home`` could not be read or written. ``path`` names the file."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class DiskFullError(StorageError):
    """No space left where ``home`` lives. The job stays journaled: free space, then ``sw.resume()``."""


class JournalCorruptError(StorageError):
    """The journal file could not be read. It was kept aside (``kept``) and a new one rebuilt from ``media/``."""

    def __init__(self, message: str, path: str | None = None, kept: str | None = None) -> None:
        super().__init__(message, path)
        self.kept = kept
