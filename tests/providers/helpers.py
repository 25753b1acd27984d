"""Small helpers: what a downloaded video holds (PyAV), waits with a deadline, a simulated front end."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av


def streams(path: Path) -> dict[str, object]:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        return {"size": f"{video.codec_context.width}x{video.codec_context.height}",
                "audio": audio.codec_context.name if audio is not None else None}


def wait_until(predicate: Callable[[], object], timeout: float = 90.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        time.sleep(0.02)


class FrontEnd:
    """Sends commands the way sora.js does (``_handle_custom_msg``) and records the widget's replies."""

    def __init__(self, widget: Any, monkeypatch: Any) -> None:
        self.widget = widget
        self.sent: list[tuple[dict[str, Any], list[bytes]]] = []
        self._seq = 0
        monkeypatch.setattr(widget, "send", lambda content, buffers=None: self.sent.append(
            (content, [bytes(b) for b in (buffers or [])])))

    def request(self, cmd: str, buffers: list[bytes] | None = None, **args: Any) -> tuple[dict[str, Any], list[bytes]]:
        self._seq += 1
        req_id = f"t{self._seq}"
        self.widget._handle_custom_msg({"kind": "sora-request", "id": req_id, "cmd": cmd, "args": args},
                                       buffers or [])

        def replies() -> list[tuple[dict[str, Any], list[bytes]]]:
            return [(c, b) for c, b in list(self.sent) if c.get("kind") == "sora-reply" and c.get("id") == req_id]

        wait_until(replies, 90.0, f"a reply to {cmd}")
        return replies()[0]
