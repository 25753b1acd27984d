"""Job ids in OpenAI's shape, shared by the engine (its default) and the dialects that wrap or replace it."""

from __future__ import annotations

import secrets

__all__ = ["default_id"]


def default_id(now: float) -> str:
    """OpenAI's shape: ``video_`` + 48 hex characters (the first 8 are the creation time)."""
    return f"video_{int(now):08x}{secrets.token_hex(20)}"
