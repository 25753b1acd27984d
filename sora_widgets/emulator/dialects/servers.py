"""Inference servers that serve ``/v1/videos`` themselves: vLLM-Omni and SGLang's diffusion server.

- ``vllm-omni``: one model per server (another model is a 400); ids ``video_gen_<uuid>``; no remix, edits,
  extensions or characters; ``variant`` other than ``video`` is a 400; the create is a FastAPI form (a JSON body
  is a 422); extra fields ``inference_time_s``, ``stage_durations``, ``peak_memory_mb``; ``POST
  /v1/videos/sync`` answers with the MP4 itself; delete works.
- ``sglang``: the status stays ``queued`` (progress 0) from the create until ``completed`` (100) or
  ``failed``: the server writes no other word (``_dispatch_job_async``); content is 404 "Generation is still
  in-progress" until done; ``variant`` is accepted and ignored (always the MP4); delete answers
  ``{"id", "status": "deleted"}`` and does not abort the render; no remix, edits, extensions or characters.
  ``sglang-i2v`` is the same server started for image-to-video: a create without ``input_reference`` is a 400.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ...profiles import BackendProfile, ModelSpec
from ..context import context
from ..errors import ApiError
from ..middleware import api
from ..records import media_headers
from .base import Dialect, Handler, SharedHandlers

if TYPE_CHECKING:
    from ..records import Video

__all__ = ["SGLANG_PROFILE", "VLLM_OMNI_PROFILE", "SGLang", "SGLangImageToVideo", "VllmOmni"]

_SERVER_FEATURES = frozenset({"list", "delete", "progress"})


class _NoPollHint(Dialect):
    """Neither server sets ``openai-poll-after-ms`` (an OpenAI header): their retrieve routes return the stored
    job object as it is (vLLM-Omni ``vllm_omni/entrypoints/openai/api_server.py`` ``retrieve_video``; SGLang
    ``python/sglang/multimodal_gen/runtime/entrypoints/openai/video_api.py`` ``retrieve_video``)."""

    def poll_headers(self, config: Any) -> dict[str, str]:
        return {}
_NO_DERIVED = frozenset({"remix", "edit", "extend", "character_create", "character_get"})

VLLM_OMNI_PROFILE = BackendProfile(
    name="emulator-vllm-omni",
    models=(ModelSpec("Wan-AI/Wan2.2-T2V-A14B-Diffusers", ("832x480", "480x832", "1280x720"), ("4", "2", "5")),),
    features=_SERVER_FEATURES,
    description="vLLM-Omni serving one video model (emulated)",
)

SGLANG_PROFILE = BackendProfile(
    name="emulator-sglang",
    models=(ModelSpec("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", ("832x480", "480x832"), ("4", "2", "5")),),
    features=_SERVER_FEATURES,
    description="SGLang's diffusion server (emulated)",
    queued_until_done=True,
)


class VllmOmni(_NoPollHint):
    name = "vllm-omni"
    summary = "vLLM-Omni's /v1/videos (one model per server)"
    features = _SERVER_FEATURES
    absent = _NO_DERIVED

    def default_profile(self) -> BackendProfile:
        return VLLM_OMNI_PROFILE

    def new_id(self, now: float) -> str:
        return f"video_gen_{uuid.uuid4().hex}"

    def shape(self, body: dict[str, Any], video: Video) -> dict[str, Any]:
        info = video.media or {}
        done = video.status == "completed"
        render_s = float(info.get("render_s") or 0.0)
        body["inference_time_s"] = round(video.duration_s, 3) if done else None
        body["stage_durations"] = (
            {"text_encoder": round(0.05 * video.duration_s, 3), "denoise": round(0.85 * video.duration_s, 3),
             "vae_decode": round(0.10 * video.duration_s + render_s, 3)} if done else None
        )
        body["peak_memory_mb"] = round(18000.0 + 4.0 * float(info.get("frames", 0)), 1) if done else None
        return body

    def content_variant(self, variant: str, profile: BackendProfile) -> str:
        if variant != "video":
            raise ApiError(400, f"Unsupported variant '{variant}': this server only serves variant=video.",
                           param="variant", code="invalid_value")
        return variant

    def handlers(self, shared: SharedHandlers) -> dict[str, Handler]:
        shared_create = shared["create"]

        async def create(request: Request) -> Response:
            if request.headers.get("content-type", "").lower().startswith("application/json"):
                # FastAPI form fields: a JSON body has no `prompt` field
                return JSONResponse({"detail": [{"type": "missing", "loc": ["body", "prompt"],
                                                 "msg": "Field required", "input": None}]}, status_code=422)
            return await shared_create(request)

        return {"create": create}

    def extra_routes(self, shared: SharedHandlers) -> list[BaseRoute]:
        shared_create = shared["create"]

        async def sync(request: Request) -> Response:
            created = await shared_create(request)
            ctx = context(request)
            video_id = _json_id(created)
            video = ctx.engine.get(video_id) if video_id else None
            if video is None:
                return created  # an error answer (or a lost create) goes back as it is
            await ctx.engine.wait(video)
            if video.status != "completed":
                message = (video.error or {}).get("message", "Video generation failed.")
                raise ApiError(500, message, type="server_error", code="generation_failed")
            body = await asyncio.to_thread(ctx.engine.media_path(video, "video").read_bytes)
            return Response(body, media_type="video/mp4", headers={"x-video-id": video.id,
                                                                    **media_headers(video, "video")})

        return [Route("/v1/videos/sync", api("sync", sync), methods=["POST"])]


def _json_id(response: Response) -> str | None:
    import json

    if response.status_code != 200 or response.media_type != "application/json":
        return None
    try:
        value = json.loads(bytes(response.body)).get("id")
    except ValueError:
        return None
    return value if isinstance(value, str) else None


class SGLang(_NoPollHint):
    name = "sglang"
    summary = "SGLang's diffusion server"
    features = _SERVER_FEATURES
    absent = _NO_DERIVED

    def default_profile(self) -> BackendProfile:
        return SGLANG_PROFILE

    def shape(self, body: dict[str, Any], video: Video) -> dict[str, Any]:
        if body.get("status") == "in_progress":
            body["status"] = "queued"  # SGLang stores "queued" at the create and rewrites it only at the end
        if "progress" in body:
            body["progress"] = 100 if video.status == "completed" else 0
        return body

    def content_variant(self, variant: str, profile: BackendProfile) -> str:
        return "video"  # accepted and ignored

    def content_not_ready(self, video: Video) -> ApiError:
        return ApiError(404, "Generation is still in-progress", param="video_id", code="not_ready")

    def handlers(self, shared: SharedHandlers) -> dict[str, Handler]:
        async def delete(request: Request) -> Response:
            ctx = context(request)
            video_id = request.path_params["video_id"]
            if ctx.engine.forget(video_id) is None:  # the render is not aborted
                raise self.not_found(video_id)
            return JSONResponse({"id": video_id, "status": "deleted"})

        return {"delete": delete}


class SGLangImageToVideo(SGLang):
    name = "sglang-i2v"
    summary = "SGLang's diffusion server with an image-to-video model (input_reference required)"
    require_reference = True
