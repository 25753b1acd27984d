"""What a single request to a backend can come to, besides an answer: shared by the client and the poller.

:class:`Transient` (safe to repeat later), :class:`Gone` (404: the backend no longer knows the video) and
:class:`Unsupported` (the backend lacks the operation: a capability, learned once) are internal: the engine
turns them into job states; users only ever see :mod:`errors`.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["Gone", "Transient", "Unsupported", "header_seconds"]


class Transient(Exception):
    """A request that may succeed if repeated (429, 5xx, network). ``retry_after_s`` is the server's hint."""

    def __init__(self, message: str, retry_after_s: float | None = None, status: int | None = None,
                 *, not_sent: bool = False) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.status = status
        self.not_sent = not_sent


class Gone(Exception):
    """The backend no longer knows the video (404 on retrieve)."""


class Unsupported(Exception):
    """The backend has no such operation (405, an unknown route, "not supported"): never worth repeating."""

    def __init__(self, message: str, op: str, status: int | None = None) -> None:
        super().__init__(message)
        self.op = op
        self.status = status


def header_seconds(headers: Mapping[str, str] | None, name: str) -> float | None:
    """A header in seconds: ``openai-poll-after-ms``/``retry-after-ms`` (ms) or ``retry-after`` (s)."""
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if number < 0:
        return None
    return number / 1000.0 if name.endswith("-ms") else number
