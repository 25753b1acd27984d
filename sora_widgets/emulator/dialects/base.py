"""What a dialect can change, and OpenAI's own behaviour as the default (:class:`Dialect`).

A dialect is a carrier's accent on the ``/v1/videos`` protocol: its id shape, the fields of the video object,
its status words, which routes exist and how they answer, its error messages. The handlers in
:mod:`..handlers` call these hooks at the points where carriers differ; everything else (validation, the
lifecycle, the media) is shared, so every dialect renders the same videos.

Dialects sit below the handlers and the app: they may use the context, the middleware and the parsing helpers,
and get the shared handlers they wrap as a parameter (``shared``, by route kind) from the app that serves them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from ...profiles import BackendProfile
from ..context import Handler
from ..errors import ApiError
from ..ids import default_id
from ..parsing import invalid_value
from ..records import VARIANT_TYPES

if TYPE_CHECKING:
    from ..config import EmulatorConfig
    from ..records import Video

__all__ = ["VIDEO_ROUTE_KINDS", "Dialect", "Handler", "SharedHandlers"]

#: The app's own handlers by route kind (``"create"``, ``"list"``, ...), handed to a dialect that wraps one.
SharedHandlers = Mapping[str, Handler]

#: Every route kind of ``/v1/videos`` (a provider's dialect, which serves its own API, has none of them).
VIDEO_ROUTE_KINDS = frozenset({"create", "list", "retrieve", "delete", "content", "remix", "edit", "extend",
                               "character_create", "character_get"})


class Dialect:
    """OpenAI's Videos API as documented; subclasses override what their carrier does differently."""

    name = "openai"
    summary = "OpenAI's Videos API (the default)"
    #: a multipart/JSON create without ``input_reference`` is a 400 (an image-to-video-only server)
    require_reference = False
    #: the profile features this carrier can have at all (None: every one); see :meth:`adapt_profile`
    features: frozenset[str] | None = None
    #: route kinds this carrier does not have: answered like an unknown URL
    absent: frozenset[str] = frozenset()

    def default_profile(self) -> BackendProfile | None:
        """The models this carrier serves when no profile is given (None: the configured one, OpenAI's)."""
        return None

    def adapt_profile(self, profile: BackendProfile) -> BackendProfile:
        """``profile`` limited to what this carrier can do (a test's tiny profile keeps the carrier's limits)."""
        if self.features is None:
            return profile
        return replace(profile, features=frozenset(profile.features) & self.features)

    def new_id(self, now: float) -> str:
        return default_id(now)

    def shape(self, body: dict[str, Any], video: Video) -> dict[str, Any]:
        """The video object as this carrier sends it (``body`` is OpenAI's)."""
        return body

    def audio_for(self, model: str) -> bool:
        """Whether this model's MP4s carry an audio track (Veo 3's do)."""
        return False

    def error_response(self, err: ApiError) -> Response:
        """An error in this API's shape (OpenAI's ``{"error": {message, type, param, code}}`` by default)."""
        return err.response()

    def poll_headers(self, config: EmulatorConfig) -> dict[str, str]:
        return {"openai-poll-after-ms": str(config.poll_after_ms)}

    def auth_error(self, missing: bool) -> ApiError:
        if missing:
            return ApiError(401, "You didn't provide an API key. You need to provide your API key in an "
                            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                            code="invalid_api_key")
        return ApiError(401, "Incorrect API key provided. You can find the emulator's key on its handle "
                        "(.api_key) or in the line it printed at start.", code="invalid_api_key")

    def not_found(self, video_id: str) -> ApiError:
        return ApiError(404, f"Video with id '{video_id}' not found.", param="video_id", code="video_not_found")

    def content_variant(self, variant: str, profile: BackendProfile) -> str:
        """The variant to serve for ``?variant=`` (raise for one this carrier refuses)."""
        if variant not in VARIANT_TYPES:
            raise invalid_value("variant", variant, tuple(VARIANT_TYPES))
        if not profile.supports("variants"):
            return "video"  # like LiteLLM in front of Veo: `variant` is ignored, the MP4 comes back
        return variant

    def content_not_ready(self, video: Video) -> ApiError:
        return ApiError(404, f"Video is not ready yet. Its status is '{video.status}'; use GET "
                        f"/v1/videos/{video.id} until it is 'completed'.", param="video_id", code="video_not_ready")

    def content_of_failed(self, video: Video) -> Response | None:
        """What the content route sends for a failed job (None: OpenAI's 404)."""
        return None

    def handlers(self, shared: SharedHandlers) -> dict[str, Handler]:
        """Route kinds whose handler this carrier replaces (``"delete"``, ``"list"``, ...); ``shared`` has the
        app's handlers, for a replacement that wraps one."""
        return {}

    def extra_routes(self, shared: SharedHandlers) -> list[BaseRoute]:
        """Routes only this carrier has (``/v1/models``, a provider's own API, ...)."""
        return []
