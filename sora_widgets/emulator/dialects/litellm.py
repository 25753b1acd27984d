"""LiteLLM's proxy in front of an OpenAI-protocol upstream (``litellm``) and in front of Veo (``litellm-veo``).

What the proxy does to the protocol, as read from its source (``litellm/videos``, ``proxy/video_endpoints``):

- ids are ``video_`` + standard base64 (``=`` padding kept) of
  ``litellm:custom_llm_provider:<provider>;model_id:<deployment id>;video_id:<upstream id>``;
- the video object loses ``prompt`` (null) and gains ``usage``; ``remixed_from_video_id`` is the raw upstream id;
  there is no ``openai-poll-after-ms`` header;
- ``GET /v1/videos`` cannot route without a model (400 "LLM Provider NOT provided"), ``DELETE`` has no route
  (405), ``variant`` is dropped (the MP4 always comes back);
- with a master key and no database every wrong key is 400 "No connected db."; an unknown id reaches the
  upstream decoder and fails with 500; ``/v1/models`` lists the model names.

In front of Veo the status is ``processing`` until done, with no progress, and nothing maps a failure: a
safety-filtered job reads ``completed`` and its content is Google's JSON error, sent as ``video/mp4``.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ...profiles import BackendProfile, ModelSpec
from ..context import context
from ..errors import ApiError
from ..ids import default_id
from ..middleware import check_auth
from .base import Dialect, Handler, SharedHandlers

if TYPE_CHECKING:
    from ..records import Video

__all__ = ["LITELLM_VEO_PROFILE", "LiteLLM", "LiteLLMVeo", "decode_litellm_id"]

PREFIX = "video_"
TEMPLATE = "litellm:custom_llm_provider:{};model_id:{};video_id:{}"

#: Veo through LiteLLM: the sizes and durations Veo 3 takes; none of the optional routes.
LITELLM_VEO_PROFILE = BackendProfile(
    name="emulator-litellm-veo",
    models=(
        ModelSpec("veo-3.1-generate-001", ("1280x720", "720x1280"), ("8", "6", "4"), {"*": 0.40}, label="Veo 3.1"),
        ModelSpec("veo-3.1-fast-generate-001", ("1280x720", "720x1280"), ("8", "6", "4"), {"*": 0.10},
                  label="Veo 3.1 Fast"),
        ModelSpec("veo-3.0-generate-001", ("1280x720", "720x1280"), ("8", "6", "4"), {"*": 0.40}, label="Veo 3"),
        ModelSpec("veo-3.0-fast-generate-001", ("1280x720", "720x1280"), ("8", "6", "4"), {"*": 0.15},
                  label="Veo 3 Fast"),
    ),
    features=frozenset(),
    description="Veo behind LiteLLM's proxy (emulated)",
)


def decode_litellm_id(video_id: str) -> dict[str, str] | None:
    """``{"custom_llm_provider", "model_id", "video_id"}`` of a LiteLLM-managed id, or None."""
    if not video_id.startswith(PREFIX):
        return None
    payload = video_id[len(PREFIX):]
    payload += "=" * (-len(payload) % 4)  # LiteLLM re-pads ids copied without their '='
    try:
        text = base64.b64decode(payload, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not text.startswith("litellm:"):
        return None
    fields = dict(part.split(":", 1) for part in text[len("litellm:"):].split(";") if ":" in part)
    if set(fields) != {"custom_llm_provider", "model_id", "video_id"}:
        return None
    return fields


def litellm_error(status: int, message: str, type: str = "None") -> ApiError:
    """The proxy's ``ProxyException`` body: the status repeated as a string ``code``, ``param`` "None"."""
    return ApiError(status, message, type=type, param="None", code=str(status))


async def method_not_allowed(request: Request) -> Response:
    # FastAPI's answer for a path that exists with other methods
    return JSONResponse({"detail": "Method Not Allowed"}, status_code=405, headers={"allow": "GET"})


async def list_without_provider(request: Request) -> Response:
    raise litellm_error(400, "litellm.BadRequestError: LLM Provider NOT provided. Pass in the LLM provider you are "
                        "trying to call. You passed model=None\n Pass model as E.g. For 'Huggingface' inference "
                        "endpoints pass in `completion(model='huggingface/starcoder',..)` Learn more: "
                        "https://docs.litellm.ai/docs/providers", type="invalid_request_error")


class LiteLLM(Dialect):
    name = "litellm"
    summary = "LiteLLM's proxy in front of an OpenAI-protocol upstream"
    provider = "openai"

    def __init__(self) -> None:
        # one deployment serves every video (LiteLLM's model_id is the deployment's id)
        self.model_id = uuid.uuid4().hex

    def new_id(self, now: float) -> str:
        raw = TEMPLATE.format(self.provider, self.model_id, default_id(now))
        return PREFIX + base64.b64encode(raw.encode("utf-8")).decode("ascii")

    def shape(self, body: dict[str, Any], video: Video) -> dict[str, Any]:
        body["prompt"] = None  # LiteLLM's VideoObject does not carry the prompt back
        source = body.get("remixed_from_video_id")
        if source:
            decoded = decode_litellm_id(source)
            body["remixed_from_video_id"] = decoded["video_id"] if decoded else source
        body["usage"] = {"duration_seconds": float(video.seconds)}
        return body

    def poll_headers(self, config: Any) -> dict[str, str]:
        return {}

    def auth_error(self, missing: bool) -> ApiError:
        if missing:
            return litellm_error(401, "Authentication Error, No api key passed in.", type="auth_error")
        return litellm_error(400, "Authentication Error, No connected db.", type="auth_error")

    def not_found(self, video_id: str) -> ApiError:
        if decode_litellm_id(video_id) is None:
            detail = f"Error decoding video_id '{video_id}': not a LiteLLM-managed id"
        else:
            detail = f"Upstream returned an error for video '{video_id}'"
        return litellm_error(500, f"litellm.InternalServerError: {detail}", type="internal_server_error")

    def content_variant(self, variant: str, profile: BackendProfile) -> str:
        return "video"  # the proxy drops `variant`: whatever is asked for, the MP4 comes back

    def handlers(self, shared: SharedHandlers) -> dict[str, Handler]:
        return {"delete": method_not_allowed, "list": list_without_provider}

    def extra_routes(self, shared: SharedHandlers) -> list[BaseRoute]:
        async def models(request: Request) -> Response:
            try:
                check_auth(request)
            except ApiError as err:
                return err.response()
            created = int(context(request).engine.started)
            data = [{"id": name, "object": "model", "created": created, "owned_by": self.provider}
                    for name in context(request).profile.model_names]
            return JSONResponse({"data": data, "object": "list"})

        return [Route("/v1/models", models, methods=["GET"])]


async def unsupported(request: Request) -> Response:
    raise litellm_error(500, "litellm.InternalServerError: this operation is not supported for the gemini video "
                        "provider", type="internal_server_error")


class LiteLLMVeo(LiteLLM):
    name = "litellm-veo"
    summary = "LiteLLM's proxy in front of Veo (Gemini API)"
    provider = "gemini"
    features = frozenset()  # no list, delete, remix, variants, progress, edits or extensions upstream

    def default_profile(self) -> BackendProfile:
        return LITELLM_VEO_PROFILE

    def audio_for(self, model: str) -> bool:
        return "veo-3" in model

    def shape(self, body: dict[str, Any], video: Video) -> dict[str, Any]:
        body = super().shape(body, video)
        body["progress"] = None
        if video.status in ("queued", "in_progress"):
            body["status"] = "processing"
        elif video.status == "failed":
            # no failure mapping: the operation is `done`, so the job reads completed
            body["status"] = "completed"
            body["error"] = None
            body["completed_at"] = video.failed_at
        return body

    def content_of_failed(self, video: Video) -> Response:
        error = video.error or {}
        body = {"error": {"code": 400, "message": error.get("message", "The video was filtered."),
                          "status": "FAILED_PRECONDITION"}}
        return Response(json.dumps(body), status_code=200, media_type="video/mp4")

    def handlers(self, shared: SharedHandlers) -> dict[str, Handler]:
        return {**super().handlers(shared), "remix": unsupported, "edit": unsupported, "extend": unsupported}
