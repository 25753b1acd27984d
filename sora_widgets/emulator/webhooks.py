"""Webhooks: ``video.completed`` / ``video.failed`` events signed like OpenAI's (Standard Webhooks)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import Counter

from .config import EmulatorConfig

__all__ = ["WebhookSender"]


class WebhookSender:
    """Sends events to ``config.webhook_url`` (when set), retrying up to 4 times; ``counts`` says how it went."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.counts: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def emit(self, video_id: str, event_type: str) -> None:
        """Send ``video.completed`` / ``video.failed`` to ``webhook_url``, signed like OpenAI's (Standard
        Webhooks: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256 of
        "id.timestamp.body">``), so ``client.webhooks.unwrap(body, headers, secret=...)`` accepts it."""
        if self.config.webhook_url is None:
            return
        now = int(time.time())
        event_id = f"evt_{secrets.token_hex(16)}"
        body = json.dumps({"id": event_id, "object": "event", "created_at": now, "type": event_type,
                           "data": {"id": video_id}})
        task = asyncio.get_running_loop().create_task(self._deliver(event_id, now, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event_id: str, timestamp: int, body: str) -> None:
        import httpx

        secret = self.config.webhook_secret or ""
        key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
        signature = base64.b64encode(hmac.new(key, f"{event_id}.{timestamp}.{body}".encode(), hashlib.sha256)
                                     .digest()).decode()
        headers = {
            "content-type": "application/json",
            "webhook-id": event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": f"v1,{signature}",
            "user-agent": "sora-widgets-emulator (webhooks)",
        }
        assert self.config.webhook_url is not None
        async with httpx.AsyncClient(timeout=5.0) as client:
            for attempt in range(4):
                try:
                    resp = await client.post(self.config.webhook_url, content=body, headers=headers)
                    if 200 <= resp.status_code < 300:
                        self.counts["delivered"] += 1
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5 * 2**attempt / max(1.0, self.config.speed))
        self.counts["failed"] += 1

