"""What every handler needs, kept on the app (``request.app.state.ctx``) rather than in closures, and the
:data:`Handler` type.

This sits below the middleware, the dialects and the handlers: the served dialect is only held here (its type is
named for the checker alone), so a dialect can read the context without the context importing the dialects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ..profiles import BackendProfile
from .config import EmulatorConfig
from .engine import Engine

if TYPE_CHECKING:
    from .dialects.base import Dialect
    from .records import Video

__all__ = ["Context", "Handler", "context"]

#: A route's handler (what :func:`.middleware.api` wraps and a dialect may replace).
Handler = Callable[[Request], Awaitable[Response]]


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
