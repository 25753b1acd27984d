"""``--dialect gemini``: the Gemini API's Veo surface, as ``google-genai`` (Developer API mode) speaks it.

- ``POST /v1beta/models/{model}:predictLongRunning`` with ``{"instances": [{"prompt", "image"?}], "parameters":
  {"aspectRatio", "resolution", "durationSeconds", "sampleCount", "negativePrompt", "personGeneration", "seed"}}``
  answers ``{"name": "models/{model}/operations/{id}"}``;
- ``GET /v1beta/models/{model}/operations/{id}`` (also ``/v1beta/operations/{id}``): ``{"name"}`` while it runs
  (``done`` is left out, as proto3 JSON leaves out a false bool), then ``{"name", "done": true, "response":
  {"@type": "...PredictLongRunningResponse", "generateVideoResponse": {"generatedSamples": [{"video": {"uri"}}]}}}``;
  a filtered result has no samples but ``raiMediaFilteredCount`` / ``raiMediaFilteredReasons``; a failed render
  is ``"error": {"code": 13, "message"}``;
- ``GET /v1beta/files/{id}:download?alt=media``: the MP4 (Veo 3 clips carry an AAC audio track).

The key goes in ``x-goog-api-key`` or ``?key=``; errors are Google's ``{"error": {"code", "message", "status"}}``.
The sample's ``uri`` is ``https://<emulator host>/v1beta/files/<id>:download?alt=media`` like Google's
(``google-genai`` only reads the file id out of an ``https://`` uri and downloads through its own base URL);
without ``--tls-certfile`` the emulator itself serves plain http at that path.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import io
import secrets
from typing import Any

from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ...profiles import BackendProfile, ModelSpec
from ..context import context
from ..errors import ApiError
from ..middleware import api, lost
from ..parsing import IMAGE_FORMATS
from ..records import Video
from .base import VIDEO_ROUTE_KINDS, Dialect, SharedHandlers

__all__ = ["GEMINI_PROFILE", "Gemini", "operation_body"]

RESPONSE_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
VERSIONS = ("v1beta", "v1", "v1alpha")
GRPC_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
               429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
#: (aspectRatio, resolution) -> size
SIZES = {("16:9", "720p"): "1280x720", ("9:16", "720p"): "720x1280", ("16:9", "1080p"): "1920x1080",
         ("9:16", "1080p"): "1080x1920"}

GEMINI_PROFILE = BackendProfile(
    name="emulator-gemini",
    models=(
        ModelSpec("veo-3.1-generate-001", ("1280x720", "720x1280", "1920x1080", "1080x1920"), ("8", "4", "6"),
                  {"*": 0.40}, label="Veo 3.1"),
        ModelSpec("veo-3.1-fast-generate-001", ("1280x720", "720x1280", "1920x1080", "1080x1920"), ("8", "4", "6"),
                  {"*": 0.10}, label="Veo 3.1 Fast"),
        ModelSpec("veo-3.0-generate-001", ("1280x720", "720x1280", "1920x1080"), ("8", "4", "6"), {"*": 0.40},
                  label="Veo 3"),
        ModelSpec("veo-3.0-fast-generate-001", ("1280x720", "720x1280", "1920x1080"), ("8", "4", "6"),
                  {"*": 0.15}, label="Veo 3 Fast"),
        ModelSpec("veo-2.0-generate-001", ("1280x720", "720x1280"), ("8", "5", "6", "7"), {"*": 0.35},
                  label="Veo 2"),
    ),
    features=frozenset(),
    description="the Gemini API's Veo models (emulated)",
)


def google_error(status: int, message: str) -> ApiError:
    return ApiError(status, message, type=GRPC_STATUS.get(status, "UNKNOWN"))


def check_key(request: Request) -> None:
    key = request.headers.get("x-goog-api-key") or request.query_params.get("key") or ""
    if not key:
        raise google_error(403, "Method doesn't allow unregistered callers (callers without established identity). "
                           "Please use API Key or other form of API consumer identity to call this API.")
    if not hmac.compare_digest(key.encode(), context(request).config.api_key.encode()):
        raise google_error(400, "API key not valid. Please pass a valid API key.")


def operation_name(video: Video) -> str:
    return f"models/{video.model}/operations/{video.id}"


def operation_body(video: Video, host: str) -> dict[str, Any]:
    """The operation as ``GET operations/{id}`` answers it."""
    body: dict[str, Any] = {"name": operation_name(video)}
    if video.status in ("queued", "in_progress"):
        return body
    body["done"] = True
    error = video.error or {}
    if video.status == "failed" and error.get("code") != "moderation_blocked":
        body["error"] = {"code": 13, "message": error.get("message", "Video generation failed.")}
        return body
    result: dict[str, Any]
    if video.status == "failed":  # filtered: done, with no video and the reason
        flagged = error.get("message", "").partition("flagged: ")[2].rstrip(".") or "a safety filter"
        reason = (f"The generated video was filtered out because it violates Google's Responsible AI practices "
                  f"({flagged}). You will not be charged for blocked videos.")
        result = {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [reason]}
    else:
        uri = f"https://{host}/v1beta/files/{video.id}:download?alt=media"
        result = {"generatedSamples": [{"video": {"uri": uri}}]}
    body["response"] = {"@type": RESPONSE_TYPE, "generateVideoResponse": result}
    return body


def _version(request: Request) -> None:
    if request.path_params.get("version") not in VERSIONS:
        raise google_error(404, f"Invalid API version in {request.url.path}; use one of {', '.join(VERSIONS)}.")


def _decode_image(value: Any) -> bytes:
    if not isinstance(value, dict) or not isinstance(value.get("bytesBase64Encoded"), str):
        raise google_error(400, "Invalid value at 'instances[0].image': expected {bytesBase64Encoded, mimeType}.")
    text = value["bytesBase64Encoded"]
    try:
        data = base64.b64decode(text, altchars=b"-_" if ("-" in text or "_" in text) else None, validate=True)
    except (binascii.Error, ValueError):
        raise google_error(400, "Invalid value at 'instances[0].image.bytesBase64Encoded': not base64.") from None
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
    except Exception:
        fmt = ""
    if fmt not in IMAGE_FORMATS:
        raise google_error(400, "Unsupported image: send a JPEG, PNG or WebP image.")
    return data


async def predict(request: Request) -> Response:
    _version(request)
    ctx = context(request)
    name = request.path_params["model"].removeprefix("models/")
    try:
        body = await request.json()
    except ValueError:
        raise google_error(400, "Invalid JSON payload received.") from None
    spec = ctx.profile.find_model(name)
    if spec is None:
        raise google_error(404, f"models/{name} is not found for API version v1beta, or is not supported for "
                           f"predictLongRunning. Supported: {', '.join(ctx.profile.model_names)}.")
    instances = body.get("instances") if isinstance(body, dict) else None
    if not isinstance(instances, list) or len(instances) != 1 or not isinstance(instances[0], dict):
        raise google_error(400, "Invalid value at 'instances': expected exactly one instance.")
    instance = instances[0]
    prompt = instance.get("prompt")
    reference = _decode_image(instance["image"]) if instance.get("image") is not None else None
    if not isinstance(prompt, str) or not prompt.strip():
        if reference is None:
            raise google_error(400, "Invalid value at 'instances[0].prompt': a prompt or an image is required.")
        prompt = "animate the image"
    params = body.get("parameters") or {}
    if not isinstance(params, dict):
        raise google_error(400, "Invalid value at 'parameters': expected an object.")
    aspect = params.get("aspectRatio", "16:9")
    resolution = params.get("resolution", "720p")
    size = SIZES.get((aspect, resolution))
    if size is None or size not in spec.sizes:
        allowed = sorted({f"{a} at {r}" for (a, r), s in SIZES.items() if s in spec.sizes})
        raise google_error(400, f"Unsupported aspectRatio '{aspect}' / resolution '{resolution}' for {spec.name}; "
                           f"supported: {', '.join(allowed)}.")
    duration = params.get("durationSeconds", int(spec.default_seconds))
    if isinstance(duration, bool) or not isinstance(duration, int) or str(duration) not in spec.seconds:
        raise google_error(400, f"Unsupported durationSeconds {duration!r} for {spec.name}; supported: "
                           f"{', '.join(sorted(spec.seconds, key=int))}.")
    count = params.get("sampleCount", 1)
    if count != 1:
        raise google_error(400, f"sampleCount {count!r}: the emulator renders one video per operation (use 1).")
    seed = params.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32):
        raise google_error(400, f"Invalid value at 'parameters.seed': expected a uint32, got {seed!r}.")
    video = ctx.engine.create(model=spec.name, prompt=prompt, size=size, seconds=str(duration), reference=reference,
                              seed=seed, audio=ctx.dialect.audio_for(spec.name))
    return lost(request, JSONResponse({"name": operation_name(video)}))


async def get_operation(request: Request) -> Response:
    _version(request)
    ctx = context(request)
    op_id = request.path_params["operation"]
    video = ctx.engine.get(op_id)
    model = request.path_params.get("model")
    if video is None or (model is not None and model != video.model):
        raise google_error(404, f"Operation {op_id} not found.")
    return JSONResponse(operation_body(video, request.headers.get("host", "localhost")))


async def download(request: Request) -> Response:
    _version(request)
    ctx = context(request)
    file_id = request.path_params["file"]
    video = ctx.engine.get(file_id)
    if video is None or video.status != "completed":
        raise google_error(404, f"File files/{file_id} not found.")
    if request.query_params.get("alt") != "media":
        return JSONResponse({"name": f"files/{file_id}", "mimeType": "video/mp4", "state": "ACTIVE"})
    body = await asyncio.to_thread(ctx.engine.media_path(video, "video").read_bytes)
    return Response(body, media_type="video/mp4")


class Gemini(Dialect):
    name = "gemini"
    summary = "the Gemini API's Veo (predictLongRunning, operations, files)"
    absent = VIDEO_ROUTE_KINDS

    def default_profile(self) -> BackendProfile:
        return GEMINI_PROFILE

    def new_id(self, now: float) -> str:
        return secrets.token_hex(6)  # operation and file ids: lowercase letters and digits, as Google's

    def audio_for(self, model: str) -> bool:
        return "veo-3" in model

    def error_response(self, err: ApiError) -> Response:
        status = err.type if err.type in GRPC_STATUS.values() else GRPC_STATUS.get(err.status, "UNKNOWN")
        return JSONResponse({"error": {"code": err.status, "message": err.message, "status": status}},
                            status_code=err.status, headers=err.headers)

    def extra_routes(self, shared: SharedHandlers) -> list[BaseRoute]:
        return [
            Route("/{version}/models/{model}:predictLongRunning", api("create", predict, auth=check_key),
                  methods=["POST"]),
            Route("/{version}/models/{model}/operations/{operation}", api("retrieve", get_operation, auth=check_key),
                  methods=["GET"]),
            Route("/{version}/operations/{operation}", api("retrieve", get_operation, auth=check_key),
                  methods=["GET"]),
            Route("/{version}/files/{file}:download", api("content", download, auth=check_key), methods=["GET"]),
        ]
