"""``--dialect fal``: fal's queue API, as ``fal-client`` speaks it.

- ``POST /{app_id}`` (``fal-ai/veo3``, ``fal-ai/kling-video/v2.1/standard/text-to-video``, ...) with the app's JSON
  input answers ``{"request_id", "response_url", "status_url", "cancel_url", "queue_position"}``;
- ``GET /{owner}/{alias}/requests/{id}/status[?logs=1]``: 202 ``{"status": "IN_QUEUE", "queue_position"}``, 202
  ``{"status": "IN_PROGRESS", "logs"}``, then 200 ``{"status": "COMPLETED", "logs", "metrics"}`` (with ``error``
  and ``error_type`` when it failed);
- ``GET /{owner}/{alias}/requests/{id}``: ``{"video": {"url", "content_type", "file_name", "file_size"}, "seed"}``
  (400 while it runs, 422 ``content_policy_violation`` for a filtered prompt);
- ``PUT .../requests/{id}/cancel``: 202 ``CANCELLATION_REQUESTED`` while queued, else 400 ``ALREADY_COMPLETED``;
- ``GET /files/{id}/output.mp4``: the video at the result's URL (public, like fal's media URLs).

The key goes in ``Authorization: Key <key>``; errors are ``{"detail": ...}``. ``fal-client`` builds only the
submit URL itself (``https://`` + ``$FAL_QUEUE_RUN_HOST``) and follows the URLs the queue hands back, so the
emulator must be started with ``tls_certfile``/``tls_keyfile`` for it (see tests/emulator/test_fal_dialect.py).
"""

from __future__ import annotations

import asyncio
import hmac
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ...profiles import BackendProfile, ModelSpec
from ..context import context
from ..errors import ApiError
from ..middleware import api, lost
from ..records import Video
from .base import VIDEO_ROUTE_KINDS, Dialect, SharedHandlers

__all__ = ["FAL_PROFILE", "Fal"]

SIZES = {("16:9", "720p"): "1280x720", ("9:16", "720p"): "720x1280", ("16:9", "1080p"): "1920x1080",
         ("9:16", "1080p"): "1080x1920", ("1:1", "720p"): "720x720"}

FAL_PROFILE = BackendProfile(
    name="emulator-fal",
    models=(
        ModelSpec("fal-ai/veo3", ("1280x720", "720x1280", "1920x1080"), ("8", "4", "6"), {"*": 0.40},
                  label="Veo 3 on fal"),
        ModelSpec("fal-ai/veo3/fast", ("1280x720", "720x1280"), ("8", "4", "6"), {"*": 0.25},
                  label="Veo 3 Fast on fal"),
        ModelSpec("fal-ai/kling-video/v2.1/standard/text-to-video", ("1280x720", "720x1280", "720x720"),
                  ("5", "10"), {"*": 0.056}, label="Kling 2.1 on fal"),
    ),
    features=frozenset(),
    description="fal's queue API (emulated)",
)


class FalError(ApiError):
    """An error as fal sends it: ``{"detail": ...}`` (a string, or FastAPI-style validation items)."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(status, detail if isinstance(detail, str) else str(detail))
        self.detail = detail


def invalid(field: str, message: str) -> FalError:
    return FalError(422, [{"loc": ["body", field], "msg": message, "type": "value_error"}])


def check_key(request: Request) -> None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "key" or not key.strip():
        raise FalError(401, "Missing authorization: send 'Authorization: Key <FAL_KEY>'.")
    if not hmac.compare_digest(key.strip().encode(), context(request).config.api_key.encode()):
        raise FalError(401, "Invalid API key.")


def _seconds(value: Any, spec: ModelSpec) -> str:
    text = str(value).removesuffix("s") if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if text not in spec.seconds:
        allowed = ", ".join(f"'{s}s'" for s in sorted(spec.seconds, key=int))
        raise invalid("duration", f"duration must be one of {allowed}, got {value!r}")
    return text


def _urls(request: Request, app: str, video: Video) -> dict[str, str]:
    owner_alias = "/".join(app.split("/")[:2])
    base = f"{request.url.scheme}://{request.headers.get('host', 'localhost')}/{owner_alias}/requests/{video.id}"
    return {"response_url": base, "status_url": base + "/status", "cancel_url": base + "/cancel"}


async def submit(request: Request) -> Response:
    ctx = context(request)
    app = request.path_params["app"].strip("/")
    spec = ctx.profile.find_model(app)
    if spec is None:
        raise FalError(404, f"Application '{app}' not found. Served here: {', '.join(ctx.profile.model_names)}.")
    try:
        args = await request.json()
    except ValueError:
        raise FalError(422, "Request body is not valid JSON.") from None
    if not isinstance(args, dict):
        raise FalError(422, "Request body must be a JSON object.")
    prompt = args.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise invalid("prompt", "field required (a non-empty string)")
    size = SIZES.get((args.get("aspect_ratio", "16:9"), args.get("resolution", "720p")))
    if size is None or size not in spec.sizes:
        allowed = sorted({a for (a, _r), s in SIZES.items() if s in spec.sizes})
        raise invalid("aspect_ratio", f"unsupported aspect_ratio/resolution for {app}; aspect ratios: "
                      f"{', '.join(allowed)}")
    seconds = _seconds(args.get("duration", f"{spec.default_seconds}s"), spec)
    seed = args.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32):
        raise invalid("seed", "seed must be an integer between 0 and 4294967295")
    audio = bool(args.get("generate_audio", True)) and "veo3" in app
    video = ctx.engine.create(model=app, prompt=prompt, size=size, seconds=seconds, seed=seed, audio=audio)
    return lost(request, JSONResponse({"request_id": video.id, **_urls(request, app, video),
                                       "queue_position": queue_position(ctx.engine.videos.values(), video)}))


def queue_position(videos: Any, video: Video) -> int:
    return sum(1 for v in videos if v.status == "queued" and v.seq < video.seq)


def _job(request: Request) -> Video:
    ctx = context(request)
    owner_alias = f"{request.path_params['owner']}/{request.path_params['alias']}"
    video = ctx.engine.get(request.path_params["request_id"])
    if video is None or "/".join(video.model.split("/")[:2]) != owner_alias:
        raise FalError(404, f"Request {request.path_params['request_id']} not found.")
    return video


def _logs(video: Video) -> list[dict[str, str]]:
    stamp = datetime.fromtimestamp(video.started_ts or video.created_at, timezone.utc).isoformat()
    logs = [{"message": "Starting generation", "level": "INFO", "source": "user", "timestamp": stamp}]
    if video.status != "in_progress":
        logs.append({"message": "Generation finished", "level": "INFO", "source": "user", "timestamp": stamp})
    else:
        logs.append({"message": f"Generating: {video.progress()}%", "level": "INFO", "source": "user",
                     "timestamp": stamp})
    return logs


async def status(request: Request) -> Response:
    ctx = context(request)
    video = _job(request)
    with_logs = request.query_params.get("logs") in ("1", "true", "True")
    urls = {"response_url": _urls(request, video.model, video)["response_url"]}
    if video.status == "queued":
        position = queue_position(ctx.engine.videos.values(), video)
        return JSONResponse({"status": "IN_QUEUE", "queue_position": position, **urls}, status_code=202)
    logs = _logs(video) if with_logs else None
    if video.status == "in_progress":
        return JSONResponse({"status": "IN_PROGRESS", "logs": logs, **urls}, status_code=202)
    body: dict[str, Any] = {"status": "COMPLETED", "logs": logs, **urls,
                            "metrics": {"inference_time": round(video.duration_s, 3)}}
    if video.status == "failed":
        error = video.error or {}
        body["error"] = error.get("message", "Generation failed.")
        body["error_type"] = ("content_policy_violation" if error.get("code") == "moderation_blocked"
                              else "internal_server_error")
    return JSONResponse(body)


async def result(request: Request) -> Response:
    video = _job(request)
    if video.status in ("queued", "in_progress"):
        raise FalError(400, "Request is still in progress")
    if video.status == "failed":
        error = video.error or {}
        if error.get("code") == "moderation_blocked":
            raise FalError(422, [{"loc": ["body", "prompt"], "msg": error.get("message", ""),
                                  "type": "content_policy_violation"}])
        raise FalError(500, error.get("message", "Generation failed."))
    path = context(request).engine.media_path(video, "video")
    size = (await asyncio.to_thread(path.stat)).st_size
    url = f"{request.url.scheme}://{request.headers.get('host', 'localhost')}/files/{video.id}/output.mp4"
    return JSONResponse({"video": {"url": url, "content_type": "video/mp4", "file_name": "output.mp4",
                                   "file_size": size},
                         "seed": video.client_seed if video.client_seed is not None else int(video.seed[:8], 16)})


async def cancel(request: Request) -> Response:
    ctx = context(request)
    video = _job(request)
    if video.status != "queued":
        return JSONResponse({"status": "ALREADY_COMPLETED" if video.status in ("completed", "failed")
                             else "IN_PROGRESS"}, status_code=400)
    ctx.engine.delete(video.id)
    return JSONResponse({"status": "CANCELLATION_REQUESTED"}, status_code=202)


async def media_file(request: Request) -> Response:
    ctx = context(request)
    video = ctx.engine.get(request.path_params["file_id"])
    if video is None or video.status != "completed" or request.path_params["name"] != "output.mp4":
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    body = await asyncio.to_thread(ctx.engine.media_path(video, "video").read_bytes)
    return Response(body, media_type="video/mp4")


class Fal(Dialect):
    name = "fal"
    summary = "fal's queue API (submit, status with queue position and logs, result with a video URL)"
    absent = VIDEO_ROUTE_KINDS

    def default_profile(self) -> BackendProfile:
        return FAL_PROFILE

    def new_id(self, now: float) -> str:
        import uuid

        return str(uuid.uuid4())

    def audio_for(self, model: str) -> bool:
        return "veo3" in model

    def error_response(self, err: ApiError) -> Response:
        detail = err.detail if isinstance(err, FalError) else err.message
        return JSONResponse({"detail": detail}, status_code=err.status, headers=err.headers)

    def extra_routes(self, shared: SharedHandlers) -> list[BaseRoute]:
        base = "/{owner}/{alias}/requests/{request_id}"
        return [
            Route("/files/{file_id}/{name}", media_file, methods=["GET"]),
            Route(base + "/status", api("retrieve", status, auth=check_key), methods=["GET"]),
            Route(base + "/cancel", api("delete", cancel, auth=check_key), methods=["PUT"]),
            Route(base, api("content", result, auth=check_key), methods=["GET"]),
            Route("/{app:path}", api("create", submit, auth=check_key), methods=["POST"]),
        ]
