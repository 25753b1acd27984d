"""What every handler needs, kept on the app (``request.app.state.ctx``) rather than in closures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from ..profiles import BackendProfile
from .config import EmulatorConfig
from .engine import Engine

if TYPE_CHECKING:
    from .dialects.base import Dialect
    from .records import Video

__all__ = ["Context", "context"]


@dataclass
class Context:
    engine: Engine
    dialect: Dialect

    @property
    def config(self) -> EmulatorConfig:
        return self.engine.config

    @property
    def profile(self) -> BackendProfile:
        return self.engine.profile

    def public(self, video: Video, now: float | None = None) -> dict[str, Any]:
        """The video object in the served dialect."""
        body = video.public(now)
        if not self.profile.supports("progress"):
            del body["progress"]  # backends without progress (Veo via LiteLLM) leave the field out
        return self.dialect.shape(body, video)


def context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx
