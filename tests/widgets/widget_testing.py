"""Helpers for the widget tests: a simulated front end, condition waits, state search."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest


def wait_until(predicate: Callable[[], object], timeout: float = 60.0, what: str = "condition") -> None:
    """Wait for ``predicate()`` to be true (a condition with a deadline, never a bare sleep)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        time.sleep(0.02)


class FrontEnd:
    """Plays the browser: sends commands the way sora.js does and collects the replies."""

    def __init__(self, widget: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.widget = widget
        self.sent: list[tuple[dict[str, Any], list[bytes]]] = []
        self.reply_threads: dict[str, str] = {}  # request id -> name of the thread that sent its reply
        self.raw_replies: list[dict[str, Any]] = []  # replies as they went on the wire
        self._seq = 0

        def record(content: Any, buffers: Any = None) -> None:
            if isinstance(content, dict) and content.get("kind") == "anywidget-command-response":
                # anywidget's wire format; the tests read the reply as {kind, id, ok, result | error}
                self.raw_replies.append(content)
                content = {"kind": "sora-reply", "id": content.get("id"), **(content.get("response") or {})}
            if isinstance(content, dict) and content.get("kind") == "sora-reply":
                self.reply_threads[str(content.get("id"))] = threading.current_thread().name
            self.sent.append((content, [bytes(b) for b in (buffers or [])]))

        monkeypatch.setattr(widget, "send", record)

    def request(
        self, cmd: str, buffers: list[bytes] | None = None, **args: Any
    ) -> tuple[dict[str, Any], list[bytes]]:
        """Send one command; return the reply (content, buffers). Every request gets exactly one, at once or
        (slow commands, answered off the shell thread) within a deadline."""
        req_id = self.send_request(cmd, buffers, **args)
        return self.reply(req_id, cmd)

    def send_request(self, cmd: str, buffers: list[bytes] | None = None, **args: Any) -> str:
        """Send one command and return its id at once (the handler must not block on slow work)."""
        self._seq += 1
        req_id = f"test-{self._seq}"
        self.widget._handle_custom_msg(  # what sora.js (protocol.js) sends: anywidget's command format
            {"kind": "anywidget-command", "id": req_id, "name": cmd, "msg": args}, buffers or []
        )
        return req_id

    def replies_to(self, req_id: str) -> list[tuple[dict[str, Any], list[bytes]]]:
        return [(c, b) for c, b in list(self.sent) if c.get("kind") == "sora-reply" and c.get("id") == req_id]

    def reply(self, req_id: str, cmd: str = "", timeout: float = 60.0) -> tuple[dict[str, Any], list[bytes]]:
        wait_until(lambda: self.replies_to(req_id), timeout, f"a reply to {cmd or req_id}")
        replies = self.replies_to(req_id)
        assert len(replies) == 1, f"expected one reply to {cmd!r}, got {replies!r}"
        return replies[0]

    def ok(self, cmd: str, buffers: list[bytes] | None = None, **args: Any) -> tuple[Any, list[bytes]]:
        content, out = self.request(cmd, buffers, **args)
        assert content["ok"], f"{cmd} failed: {content.get('error')}"
        return content["result"], out

    def error(self, cmd: str, buffers: list[bytes] | None = None, **args: Any) -> str:
        content, out = self.request(cmd, buffers, **args)
        assert content["ok"] is False, f"{cmd} should have failed, got {content!r}"
        assert out == []
        return str(content["error"])


def state_text(widget: Any) -> str:
    """Everything the widget would sync or save, as text (bytes decoded leniently) to search for secrets."""
    parts = []
    for name, value in widget.get_state().items():
        if isinstance(value, (bytes, bytearray, memoryview)):
            parts.append(f"{name}={bytes(value).decode('latin-1')}")
        else:
            parts.append(f"{name}={value!r}")
    return "\n".join(parts)
