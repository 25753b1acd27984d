"""The emulator's HTTP surface: OpenAI's ``/v1/videos`` routes on Starlette (DESIGN.md §1).

Every API request goes through :func:`.middleware.api` (count, added latency, auth, rate limit, injected faults) and
then a handler. Errors always have the spec's shape ``{"error": {"message", "type", "param", "code"}}``;
unknown routes and wrong methods are 404 ``Invalid URL (METHOD /v1/path)`` as the real API answers.

The served :class:`~sora_widgets.profiles.BackendProfile` decides more than models, sizes and seconds: a
route whose feature it lacks (``list``, ``delete``, ``remix``, ``edits``, ``extensions``) answers 404 "Invalid
URL"; without ``variants`` the ``variant`` parameter is ignored and the MP4 is sent (as LiteLLM does for Veo);
without ``progress`` the video object has no ``progress`` field. OpenAI's profile has every feature.

Media headers (so a client can scrub without guessing; the geometry is :mod:`sora_widgets.media`'s):

- ``variant=video``: ``x-video-width``, ``x-video-height``, ``x-video-fps``, ``x-video-frames``,
  ``x-video-duration-ms``;
- ``variant=thumbnail``: ``x-thumbnail-width``, ``x-thumbnail-height`` (long edge 480 px, WebP);
- ``variant=spritesheet``: ``x-sprite-columns``, ``x-sprite-rows``, ``x-sprite-frames``, ``x-sprite-tile-width``,
  ``x-sprite-tile-height``, ``x-sprite-duration-ms`` (``SpriteGeometry.to_headers()``, JPEG).

A non-API admin route, ``GET /_emulator/stats`` (same key), reports request counts and the number of videos;
``POST /_emulator/cancel/{video_id}`` (same key) cancels a running job, as a provider's dashboard does (it then
reads ``cancelled``).

Modules: :mod:`.middleware` (what every request goes through), :mod:`.handlers` and :mod:`.derived` (the
routes), :mod:`.parsing` and :mod:`.inputs` (request bodies and their checks), :mod:`.errors`, and
:mod:`.dialects` (carriers' accents, and the providers' own APIs).

Imports point down, one way (README.md "Layers"): this module and ``__main__`` at the top; then the handlers;
then the dialects, which get the shared handlers from here as a parameter; then the middleware and the context;
then the engine; then the settings, records, ids, errors and parsing at the bottom.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import derived, handlers
from .context import Context, Handler, context
from .dialects import get_dialect
from .dialects.base import Dialect
from .engine import Engine
from .errors import ApiError, DropConnection, install_log_filter
from .middleware import api, check_auth, invalid_url

__all__ = ["ApiError", "DropConnection", "build_app", "install_log_filter"]

log = logging.getLogger("sora_widgets.emulator")

#: Route kinds that exist only when the served profile has the feature (``BackendProfile.features``).
FEATURE_OF = {"list": "list", "delete": "delete", "remix": "remix", "edit": "edits", "extend": "extensions"}

#: (path, method, route kind, handler) of OpenAI's routes, in matching order.
VIDEO_ROUTES: tuple[tuple[str, str, str, Handler], ...] = (
    ("/v1/videos", "POST", "create", handlers.create),
    ("/v1/videos", "GET", "list", handlers.listing),
    ("/v1/videos/edits", "POST", "edit", derived.edit),
    ("/v1/videos/extensions", "POST", "extend", derived.extend),
    ("/v1/videos/characters", "POST", "character_create", derived.character_create),
    ("/v1/videos/characters/{character_id}", "GET", "character_get", derived.character_get),
    ("/v1/videos/{video_id}", "GET", "retrieve", handlers.retrieve),
    ("/v1/videos/{video_id}", "DELETE", "delete", handlers.delete),
    ("/v1/videos/{video_id}/content", "GET", "content", handlers.content),
    ("/v1/videos/{video_id}/remix", "POST", "remix", handlers.remix),
)


async def missing_route(request: Request) -> Response:
    """A route the served profile lacks (a LiteLLM/Veo-like backend): answered like an unknown URL."""
    context(request).engine.stats["unknown"] += 1
    return invalid_url(request)


async def stats(request: Request) -> Response:
    try:
        check_auth(request)
    except ApiError as err:
        return err.response()
    return JSONResponse(context(request).engine.snapshot())


async def cancel(request: Request) -> Response:
    """``POST /_emulator/cancel/{video_id}``: as if someone cancelled the job in the provider's dashboard."""
    try:
        check_auth(request)
    except ApiError as err:
        return err.response()
    video = context(request).engine.cancel(request.path_params["video_id"])
    if video is None:
        return JSONResponse({"error": "no such video"}, status_code=404)
    return JSONResponse({"id": video.id, "status": video.status})


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def http_exception(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    if status in (404, 405):
        context(request).engine.stats["unknown"] += 1
        return invalid_url(request)
    err = ApiError(status, str(getattr(exc, "detail", "error")),
                   type="server_error" if status >= 500 else "invalid_request_error")
    return context(request).dialect.error_response(err)


async def server_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, DropConnection):  # a dropped connection is an injected fault, not a bug
        log.exception("unhandled error on %s %s", request.method, request.url.path)
    err = ApiError(500, "The server had an error while processing your request. Sorry about that!",
                   type="server_error")
    return context(request).dialect.error_response(err)


#: The shared handlers by route kind: what a dialect that wraps one (vLLM-Omni's create) is handed.
SHARED = {kind: handler for _path, _method, kind, handler in VIDEO_ROUTES}


def video_routes(engine: Engine, dialect: Dialect) -> list[Route]:
    overrides = dialect.handlers(SHARED)
    routes = []
    for path, method, kind, handler in VIDEO_ROUTES:
        feature = FEATURE_OF.get(kind)
        if kind in overrides:
            endpoint = api(kind, overrides[kind])
        elif kind in dialect.absent or (feature is not None and not engine.profile.supports(feature)):
            endpoint = missing_route
        else:
            endpoint = api(kind, handler)
        routes.append(Route(path, endpoint, methods=[method]))
    return routes


def build_app(engine: Engine, dialect: Dialect | str | None = None) -> Starlette:
    """The Starlette app serving ``engine`` in ``dialect`` (a name or a :class:`Dialect`; OpenAI's by default)."""
    if not isinstance(dialect, Dialect):
        dialect = get_dialect(dialect or engine.config.dialect)
    routes = [
        *dialect.extra_routes(SHARED),
        *video_routes(engine, dialect),
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/health", health, methods=["GET"]),
        Route("/_emulator/cancel/{video_id:path}", cancel, methods=["POST"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await engine.start()
        on_ready = getattr(app.state, "on_ready", None)
        if on_ready is not None:
            on_ready()
        try:
            yield
        finally:
            await engine.stop()

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_exception, Exception: server_error},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # "/v1/videos/" is an invalid URL, as on the real API, not a redirect
    app.state.engine = engine
    app.state.ctx = Context(engine, dialect)
    return app
