"""What every provider transport shares: the :class:`~sora_widgets.client.VideoClient` interface (create,
retrieve, list_page, delete, download, remix, close; plain dicts shaped like the protocol's video object) and the
translation of a provider's failure into the engine's outcomes.

A transport's video dicts carry ``status`` in the protocol's words, ``progress: None`` (no provider here reports
any) and, for a failure, ``error: {code, message, param}``; a filtered job is ``failed`` with code
``moderation_blocked`` and the provider's own reason as the message.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..client import UnknownOutcome
from ..errors import AuthenticationError, BackendUnavailableError, SoraWidgetsError, ValidationError, redact
from ..outcomes import Gone, Transient
from ..params import VideoParams
from ..urls import host_of
from .registry import label_for

if TYPE_CHECKING:
    from .registry import ProviderSpec

__all__ = ["ProviderTransport", "failure"]

_NOT_SENT_HINTS = ("connecterror", "cannot connect to host", "connection refused", "name or service not known",
                   "nodename nor servname")


def failure(code: str, message: str, param: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "param": param}


class ProviderTransport:
    """Base of the provider transports. ``video_id`` is the provider's own handle (an operation name, LiteLLM's
    encoded id): the journal keeps it, so a job of an earlier process is polled again after a restart."""

    is_openai = False

    def __init__(self, spec: ProviderSpec, base_url: str, api_key: str, timeout_s: float) -> None:
        self.spec = spec
        self.provider = spec.name
        self.base_url = base_url.rstrip("/")
        self.host = host_of(self.base_url)
        self.label = label_for(spec, self.base_url)
        self.timeout_s = timeout_s
        self._secret = api_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self.provider!r}, base_url={self.base_url!r})"

    def _clean(self, text: str) -> str:
        return redact(text, (self._secret,))

    # ---------------------------------------------------------------- outcomes

    def outcome(self, status: int | None, message: str, op: str, *, not_sent: bool = False,
                retry_after: float | None = None) -> BaseException:
        """A provider's answer (HTTP ``status``, None for no answer) as one of the engine's outcomes."""
        message = self._clean(message)
        where = f"{op} on {self.label}"
        if status is None:
            lowered = message.lower()
            sent = not (not_sent or any(h in lowered for h in _NOT_SENT_HINTS))
            error = Transient(f"could not reach {self.base_url} for {op}: {message}", not_sent=not sent)
            return UnknownOutcome(str(error)) if op == "create" and sent else error
        if status == 429:
            return Transient(f"{where}: rate limited (429): {message}", retry_after, status)
        if status >= 500 or status in (408, 409):
            error = Transient(f"{where}: server error {status}: {message}", retry_after, status)
            return UnknownOutcome(str(error)) if op == "create" else error
        if status in (401, 403) or "api key not valid" in message.lower():
            names = " or ".join(self.spec.key_env)
            return AuthenticationError(f"{self.label} refused the API key ({status}): {message}. Check {names} "
                                       f"or sw.configure(provider={self.provider!r}, api_key=...).")
        if status == 404:
            if op in ("create",):
                return BackendUnavailableError(f"{where} answered 404: {message}")
            return Gone(f"{where}: 404 {message}")
        if status in (400, 422):
            return ValidationError(f"{self.label} rejected the request ({status}): {message}")
        return SoraWidgetsError(f"{where} failed with HTTP {status}: {message}")

    # ---------------------------------------------------------------- what no provider here has

    async def create(self, params: VideoParams) -> tuple[dict[str, Any], dict[str, str]]:
        raise NotImplementedError

    async def retrieve(self, video_id: str) -> tuple[dict[str, Any], dict[str, str]]:
        raise NotImplementedError

    async def remix(self, video_id: str, prompt: str) -> tuple[dict[str, Any], dict[str, str]]:
        raise BackendUnavailableError(f"{self.label} has no remix")

    async def list_page(self, after: str | None = None, limit: int = 100,
                        order: str = "desc") -> tuple[list[dict[str, Any]], bool, dict[str, str]]:
        raise BackendUnavailableError(f"{self.label} cannot list videos")

    async def delete(self, video_id: str) -> None:
        raise BackendUnavailableError(f"{self.label} cannot delete videos")

    async def download(self, video_id: str, variant: str, dest: Path) -> dict[str, str]:
        raise NotImplementedError

    async def close(self) -> None:
        return None

    # ---------------------------------------------------------------- helpers

    @staticmethod
    async def write_part(dest: Path, data: bytes) -> dict[str, str]:
        """``data`` to ``dest`` + ``.part`` (fsynced); the engine verifies and renames it."""
        part = dest.with_name(dest.name + ".part")

        def write() -> None:
            with open(part, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())

        await asyncio.to_thread(write)
        return {"content-length": str(len(data)), "content-type": "video/mp4"}
