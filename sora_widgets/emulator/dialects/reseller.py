"""A gateway/reseller's accent: the OpenAI protocol with its own status words, millisecond timestamps, a
fractional progress and no ``openai-poll-after-ms`` header."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Dialect

if TYPE_CHECKING:
    from ..records import Video

__all__ = ["STATUS_WORDS", "Reseller"]

STATUS_WORDS = {"queued": "pending", "in_progress": "processing", "completed": "success", "failed": "error",
                "cancelled": "canceled"}


class Reseller(Dialect):
    name = "reseller"
    summary = "a gateway: pending/processing/success/error, timestamps in ms, progress 0..1"

    def shape(self, body: dict[str, Any], video: Video) -> dict[str, Any]:
        body["status"] = STATUS_WORDS.get(body["status"], body["status"])
        for key in ("created_at", "completed_at", "expires_at"):
            if body.get(key) is not None:
                body[key] = int(body[key]) * 1000
        if body.get("progress") is not None:
            body["progress"] = round(body["progress"] / 100.0, 2)
        return body

    def poll_headers(self, config: Any) -> dict[str, str]:
        # gateways answer retrieves from their own task table and send no OpenAI poll hint (new-api builds the
        # object in ConvertToOpenAIVideo, relay/channel/task/sora/adaptor.go, with no such header)
        return {}
