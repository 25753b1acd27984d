"""The emulator's HTTP surface: OpenAI's ``/v1/videos`` routes on Starlette (DESIGN.md §1).

Every API request goes through :func:`_api` (count, added latency, auth, rate limit, injected faults) and
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

A non-API admin route, ``GET /_emulator/stats`` (same key), reports request counts and the number of videos.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import io
import json
import logging
import math
import os
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .. import media
from ..profiles import ModelSpec
from .engine import VARIANT_TYPES, Engine, Video, allowed_list

__all__ = ["ApiError", "DropConnection", "build_app"]

log = logging.getLogger("sora_widgets.emulator")

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_PROMPT = 32000
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
CREATE_KINDS = frozenset({"create", "remix", "edit", "extend"})
#: Route kinds that exist only when the served profile has the feature (``BackendProfile.features``).
FEATURE_OF = {"list": "list", "delete": "delete", "remix": "remix", "edit": "edits", "extend": "extensions"}


class ApiError(Exception):
    """An error answer in the API's shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body = {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


class DropConnection(Exception):
    """Raised after part of a response was sent: the server closes the connection mid-body."""


class _DroppedResponse(Response):
    """Sends the headers (with the full Content-Length) and part of the body, then drops the connection."""

    def __init__(self, body: bytes, status_code: int, headers: dict[str, str], media_type: str, fraction: float):
        super().__init__(body, status_code=status_code, headers=headers, media_type=media_type)
        self._cut = max(0, min(len(body) - 1, int(len(body) * fraction)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if self._cut:
            await send({"type": "http.response.body", "body": self.body[: self._cut], "more_body": True})
        raise DropConnection()


class _DropFilter(logging.Filter):
    """Keep uvicorn from logging a traceback for every connection the fault injector drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if isinstance(exc, DropConnection):
                return False
            inner = getattr(exc, "exceptions", None)  # an exception group (Python 3.11+)
            exc = exc.__cause__ or exc.__context__ or (inner[0] if isinstance(inner, (list, tuple)) and inner else None)
        return True


def install_log_filter() -> None:
    for name in ("uvicorn.error", "uvicorn", "starlette"):
        logging.getLogger(name).addFilter(_DropFilter())


# ---------------------------------------------------------------- validation helpers


@contextlib.contextmanager
def _upload_removed(path: str, source: Any) -> Iterator[None]:
    """Remove an uploaded source video's temp file afterwards (``source`` is None: it was an upload, not a job)."""
    try:
        yield
    finally:
        if source is None:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a string"


def _require_str(name: str, value: Any, allowed: tuple[str, ...] | None = None) -> str:
    if isinstance(value, str):
        return value
    hint = f"one of {allowed_list(allowed)} as a string" if allowed else "a string"
    raise ApiError(
        400,
        f"Invalid type for '{name}': expected {hint}, but got {_type_name(value)} instead.",
        param=name,
        code="invalid_type",
    )


def _invalid_value(name: str, value: str, allowed: tuple[str, ...], extra: str = "") -> ApiError:
    return ApiError(
        400,
        f"Invalid value: '{value}'. Supported values are: {allowed_list(allowed)}.{extra}",
        param=name,
        code="invalid_value",
    )


def _prompt(value: Any, *, name: str = "prompt") -> str:
    if value is None:
        raise ApiError(400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")
    prompt = _require_str(name, value)
    if not prompt.strip():
        raise ApiError(400, f"Invalid '{name}': empty string. Expected a non-empty string.", param=name,
                       code="empty_string")
    if len(prompt) > MAX_PROMPT:
        raise ApiError(400, f"Invalid '{name}': string too long. Expected at most {MAX_PROMPT} characters, "
                       f"got {len(prompt)}.", param=name, code="string_above_max_length")
    return prompt


class _Fields:
    """A request body (JSON object or form) with the checks every route shares."""

    def __init__(self, data: dict[str, Any], files: dict[str, UploadFile], is_json: bool) -> None:
        self.data = data
        self.files = files
        self.is_json = is_json

    def present(self, name: str) -> bool:
        return name in self.data or name in self.files

    def optional_str(self, name: str, allowed: tuple[str, ...] | None = None) -> str | None:
        if name not in self.data:
            return None
        value = self.data[name]
        if value is None:
            raise ApiError(400, f"Invalid type for '{name}': expected "
                           f"{'one of ' + allowed_list(allowed) if allowed else 'a string'}, but got null instead.",
                           param=name, code="invalid_type")
        return _require_str(name, value, allowed)


async def _read_body(request: Request) -> _Fields:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            form: FormData = await request.form(max_files=16, max_fields=64, max_part_size=32 * 1024 * 1024)
        except ClientDisconnect:
            raise
        except Exception as exc:  # malformed multipart
            raise ApiError(400, f"Could not parse the multipart form body: {exc}", code="invalid_body") from None
        data: dict[str, Any] = {}
        files: dict[str, UploadFile] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[key] = value
            else:
                data[key] = value
        return _Fields(data, files, is_json=False)
    raw = await request.body()
    if ctype == "application/json" or (not ctype and raw.strip().startswith(b"{")):
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            raise ApiError(400, "We could not parse the JSON body of your request. (HINT: This likely means you "
                           "aren't using your HTTP library correctly.)", code="invalid_json") from None
        if body is None:
            raise ApiError(400, "Missing required parameter: 'prompt'.", param="prompt",
                           code="missing_required_parameter")
        if not isinstance(body, dict):
            raise ApiError(400, f"Invalid body: expected a JSON object, but got {_type_name(body)} instead.",
                           code="invalid_type")
        return _Fields(body, {}, is_json=True)
    if not raw:
        raise ApiError(400, "Missing required parameter: 'prompt'.", param="prompt", code="missing_required_parameter")
    raise ApiError(400, f"Unsupported content type '{ctype}'. Send multipart/form-data or application/json.",
                   code="unsupported_content_type")


def _text_bytes(text: str) -> bytes:
    """Bytes of a form field that carried a file without a filename (Starlette decoded it to text)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _decode_data_url(url: str, param: str) -> bytes:
    match = re.match(r"^data:([^,]*?),(.*)$", url, re.DOTALL)
    if not match:
        raise ApiError(400, f"Invalid '{param}': expected a data URL (data:image/png;base64,...).", param=param,
                       code="invalid_value")
    meta, payload = match.groups()
    try:
        if meta.endswith(";base64"):
            return base64.b64decode(payload, validate=False)
        return unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise ApiError(400, f"Invalid '{param}': the data URL is not valid base64.", param=param,
                       code="invalid_value") from None


async def _fetch_image_url(url: str, param: str) -> bytes:
    """Fetch ``url`` for ``input_reference.image_url``: data URLs, and http(s) on loopback only."""
    if url.startswith("data:"):
        return _decode_data_url(url, param)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https"):
        raise ApiError(400, f"Invalid '{param}': expected an http(s) URL or a data URL.", param=param,
                       code="invalid_value")
    if host not in ("localhost", "::1") and not host.startswith("127."):
        # the emulator runs without internet; it only fetches from this machine
        raise ApiError(400, f"Invalid '{param}': the emulator can only fetch images from loopback URLs "
                       "(localhost, 127.0.0.1) or data URLs.", param=param, code="invalid_value")
    import httpx

    try:
        async with httpx.AsyncClient(timeout=5.0) as client:
            resp = await client.get(url)
    except httpx.HTTPError as exc:
        raise ApiError(400, f"Could not download the image at '{param}': {exc}", param=param,
                       code="invalid_image_url") from None
    if resp.status_code != 200:
        raise ApiError(400, f"Could not download the image at '{param}' (HTTP {resp.status_code}).", param=param,
                       code="invalid_image_url")
    return resp.content


def _check_image(data: bytes, size: str, param: str = "input_reference") -> None:
    if len(data) > MAX_IMAGE_BYTES:
        raise ApiError(400, f"Invalid '{param}': the file is {len(data)} bytes; the maximum is 20 MiB "
                       f"({MAX_IMAGE_BYTES} bytes).", param=param, code="file_too_large")
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            img_size = img.size
    except Exception:
        fmt, img_size = "", (0, 0)
    if fmt not in IMAGE_FORMATS:
        raise ApiError(400, f"Invalid file format for '{param}'. Supported formats are: image/jpeg, image/png and "
                       "image/webp.", param=param, code="invalid_image_format")
    width, height = media.parse_size(size)
    if img_size != (width, height):
        raise ApiError(400, f"Inpaint image must match the requested width and height (got "
                       f"{img_size[0]}x{img_size[1]}, requested {size}).", param=param, code="invalid_value")


def _probe_video(data: bytes) -> tuple[int, int, float]:
    """Width, height and duration (s) of an uploaded video; ValueError when it is not one."""
    import av

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        else:
            duration = 0.0
        if not width or not height:
            raise ValueError("no video stream")
    return width, height, duration


# ---------------------------------------------------------------- the app


def build_app(engine: Engine) -> Starlette:
    cfg = engine.config
    profile = engine.profile
    key = cfg.api_key.encode()
    latency = max(0.0, cfg.latency_ms / 1000.0)

    with_progress = profile.supports("progress")

    def public(video: Video, now: float | None = None) -> dict[str, Any]:
        body = video.public(now)
        if not with_progress:
            del body["progress"]  # backends without progress (Veo via LiteLLM) leave the field out
        return body

    def video_response(video: Video, status: int = 200) -> JSONResponse:
        return JSONResponse(public(video), status_code=status,
                            headers={"openai-poll-after-ms": str(cfg.poll_after_ms)})

    def check_auth(request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header or scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "You didn't provide an API key. You need to provide your API key in an "
                           "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                           code="invalid_api_key")
        if not hmac.compare_digest(token.strip().encode(), key):
            raise ApiError(401, "Incorrect API key provided. You can find the emulator's key on its handle "
                           "(.api_key) or in the line it printed at start.", code="invalid_api_key")

    def injected_failure(status: int) -> ApiError:
        if status == 503:
            return ApiError(503, "The engine is currently overloaded, please try again later.", type="server_error")
        return ApiError(500, "The server had an error while processing your request. Sorry about that!",
                        type="server_error")

    Handler = Callable[[Request], Awaitable[Response]]

    def _api(kind: str, handler: Handler) -> Handler:
        feature = FEATURE_OF.get(kind)
        if feature is not None and not profile.supports(feature):
            # the served profile has no such route (a LiteLLM/Veo-like backend): answer like an unknown URL
            async def missing(request: Request) -> Response:
                engine.stats["unknown"] += 1
                return invalid_url(request)

            return missing

        async def endpoint(request: Request) -> Response:
            engine.stats[kind] += 1
            engine.stats["total"] += 1
            request_id = f"req_{secrets.token_hex(12)}"
            extra: dict[str, str] = {"x-request-id": request_id}
            try:
                if latency:
                    await asyncio.sleep(latency)
                check_auth(request)
                if engine.bucket is not None:
                    allowed = engine.take_token()
                    extra.update(engine.rate_headers())
                    if not allowed:
                        engine.faults["429"] += 1
                        wait = engine.bucket.retry_after_s()
                        raise ApiError(
                            429,
                            f"Rate limit reached for requests: limit {int(engine.bucket.capacity)} per minute. "
                            f"Please try again in {wait:.3f}s.",
                            type="requests",
                            code="rate_limit_exceeded",
                            headers={"retry-after": str(max(1, math.ceil(wait))),
                                     "retry-after-ms": str(max(1, math.ceil(wait * 1000)))},
                        )
                fate = engine.roll_failure(kind in CREATE_KINDS)
                if fate == "fail":
                    status = engine.roll_status()
                    engine.faults[f"{status}"] += 1
                    raise injected_failure(status)
                request.state.lose_response = fate == "lost"
                response = await handler(request)
            except ApiError as err:
                response = err.response()
            except ClientDisconnect:
                return Response(status_code=499)
            response.headers.update(extra)
            return response

        return endpoint

    # ------------------------------------------------------------ handlers

    def lost(request: Request, response: Response) -> Response:
        """The lost-create fault: the job exists, the client sees a 5xx or a dropped connection."""
        if not getattr(request.state, "lose_response", False):
            return response
        engine.faults["lost_create"] += 1
        if engine.roll_lost_mode() == "drop":
            engine.faults["lost_create_dropped"] += 1
            return _DroppedResponse(bytes(response.body), response.status_code, {}, "application/json", 0.0)
        engine.faults["lost_create_500"] += 1
        return injected_failure(500).response()

    def model_spec(fields: _Fields) -> ModelSpec:
        name = fields.optional_str("model")
        if name is None:
            return profile.models[0]
        spec = profile.find_model(name)
        if spec is None:
            raise _invalid_value("model", name, profile.model_names)
        return spec

    def size_for(spec: ModelSpec, fields: _Fields) -> str:
        size = fields.optional_str("size", spec.sizes)
        if size is None:
            return spec.default_size
        if size not in spec.sizes:
            others = [m.name for m in profile.models if size in m.sizes]
            extra = f" Size '{size}' is available with model {allowed_list(others)}." if others else ""
            raise ApiError(400, f"Invalid value: '{size}'. Supported values for model '{spec.name}' are: "
                           f"{allowed_list(spec.sizes)}.{extra}", param="size", code="invalid_value")
        try:
            width, height = media.parse_size(size)
        except ValueError:
            width = height = 1
        if width % 2 or height % 2:  # only a custom profile can get here
            raise ApiError(400, f"Invalid value: '{size}'. The emulator renders H.264 4:2:0, which needs even "
                           "width and height; fix the profile's sizes.", param="size", code="invalid_value")
        return size

    def seconds_for(spec: ModelSpec, fields: _Fields, *, required: bool = False) -> str:
        if required and not fields.present("seconds"):
            raise ApiError(400, "Missing required parameter: 'seconds'.", param="seconds",
                           code="missing_required_parameter")
        seconds = fields.optional_str("seconds", spec.seconds)
        if seconds is None:
            return spec.default_seconds
        if seconds not in spec.seconds:
            raise _invalid_value("seconds", seconds, spec.seconds)
        return seconds

    async def reference_from(fields: _Fields, size: str) -> tuple[bytes | None, str | None]:
        name = "input_reference"
        upload = fields.files.get(name)
        if upload is not None:
            data = await upload.read()
            _check_image(data, size)
            return data, upload.filename
        if name not in fields.data:
            return None, None
        value = fields.data[name]
        if isinstance(value, str) and not fields.is_json:
            stripped = value.strip()
            if stripped.startswith("{"):
                try:
                    value = json.loads(stripped)
                except ValueError:
                    raise ApiError(400, "Invalid 'input_reference': expected a file upload or a JSON object with "
                                   "'image_url' or 'file_id'.", param=name, code="invalid_value") from None
            else:
                data = _text_bytes(value)  # a file part sent without a filename
                _check_image(data, size)
                return data, None
        if not isinstance(value, dict):
            raise ApiError(400, f"Invalid type for 'input_reference': expected an object with 'image_url' or "
                           f"'file_id', but got {_type_name(value)} instead.", param=name, code="invalid_type")
        has_url = value.get("image_url") is not None
        has_file = value.get("file_id") is not None
        if has_url == has_file:
            raise ApiError(400, "Invalid 'input_reference': provide exactly one of 'image_url' or 'file_id'.",
                           param=name, code="invalid_value")
        if has_file:
            file_id = _require_str("input_reference.file_id", value["file_id"])
            raise ApiError(400, f"Invalid 'input_reference.file_id': no such file '{file_id}'. The emulator has no "
                           "Files API; upload the image or send it as a data URL in 'image_url'.",
                           param="input_reference.file_id", code="invalid_value")
        url = _require_str("input_reference.image_url", value["image_url"])
        data = await _fetch_image_url(url, "input_reference.image_url")
        _check_image(data, size)
        return data, None

    async def create(request: Request) -> Response:
        fields = await _read_body(request)
        prompt = _prompt(fields.data.get("prompt"))
        spec = model_spec(fields)
        size = size_for(spec, fields)
        seconds = seconds_for(spec, fields)
        reference, ref_name = await reference_from(fields, size)
        video = engine.create(model=spec.name, prompt=prompt, size=size, seconds=seconds, reference=reference,
                              reference_name=ref_name)
        return lost(request, video_response(video))

    def not_found(video_id: str) -> ApiError:
        return ApiError(404, f"Video with id '{video_id}' not found.", param="video_id", code="video_not_found")

    async def retrieve(request: Request) -> Response:
        video_id = request.path_params["video_id"]
        video = engine.get(video_id)
        if video is None:
            raise not_found(video_id)
        return video_response(video)

    async def delete(request: Request) -> Response:
        video_id = request.path_params["video_id"]
        video = engine.delete(video_id)
        if video is None:
            raise not_found(video_id)
        return JSONResponse({"id": video_id, "object": "video.deleted", "deleted": True})

    async def listing(request: Request) -> Response:
        q = request.query_params
        order = q.get("order", "desc")
        if order not in ("asc", "desc"):
            raise _invalid_value("order", order, ("asc", "desc"))
        raw_limit = q.get("limit", "20")
        try:
            limit = int(raw_limit)
        except ValueError:
            raise ApiError(400, f"Invalid type for 'limit': expected an integer, but got '{raw_limit}' instead.",
                           param="limit", code="invalid_type") from None
        if not 0 <= limit <= 100:
            raise ApiError(400, f"Invalid 'limit': integer out of range. Expected a value between 0 and 100, got "
                           f"{limit}.", param="limit", code="integer_out_of_range")
        items = engine.listing(order)
        after = q.get("after")
        if after:
            ids = [v.id for v in items]
            items = items[ids.index(after) + 1 :] if after in ids else []
        page = items[:limit]
        now = time.time()
        data = [public(v, now) for v in page]
        return JSONResponse({
            "object": "list",
            "data": data,
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
            "has_more": len(items) > len(page),
        })

    async def content(request: Request) -> Response:
        video_id = request.path_params["video_id"]
        variant = request.query_params.get("variant", "video")
        if variant not in VARIANT_TYPES:
            raise _invalid_value("variant", variant, tuple(VARIANT_TYPES))
        if not profile.supports("variants"):
            variant = "video"  # like LiteLLM in front of Veo: `variant` is ignored, the MP4 comes back
        video = engine.get(video_id)
        if video is None:
            raise not_found(video_id)
        if video.status == "failed":
            raise ApiError(404, f"Video generation failed for '{video_id}'; it has no content.", param="video_id",
                           code="video_failed")
        if video.status != "completed":
            raise ApiError(404, f"Video is not ready yet. Its status is '{video.status}'; use GET "
                           f"/v1/videos/{video_id} until it is 'completed'.", param="video_id",
                           code="video_not_ready")
        if video.expired():
            raise ApiError(404, f"The content of video '{video_id}' has expired (expires_at={video.expires_at}). "
                           "Download content right after completion.", param="video_id", code="video_expired")
        path = engine.media_path(video, variant)
        try:
            body = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise ApiError(404, f"The content of video '{video_id}' is no longer available.", param="video_id",
                           code="video_expired") from None
        headers = media_headers(video, variant)
        if engine.roll_drop():
            engine.faults["dropped_download"] += 1
            return _DroppedResponse(body, 200, headers, VARIANT_TYPES[variant], 0.5)
        return Response(body, media_type=VARIANT_TYPES[variant], headers=headers)

    def media_headers(video: Video, variant: str) -> dict[str, str]:
        width, height = media.parse_size(video.size)
        info = video.media or {}
        duration = float(info.get("duration_s") or float(video.seconds))
        if variant == "spritesheet":
            return media.sprite_geometry(width, height, duration).to_headers()
        if variant == "thumbnail":
            tw, th = media.thumbnail_size(width, height)
            return {"x-thumbnail-width": str(tw), "x-thumbnail-height": str(th)}
        return {
            "x-video-width": str(width),
            "x-video-height": str(height),
            "x-video-fps": str(info.get("fps", 24)),
            "x-video-frames": str(info.get("frames", int(round(duration * 24)))),
            "x-video-duration-ms": str(int(round(duration * 1000))),
        }

    async def remix(request: Request) -> Response:
        video_id = request.path_params["video_id"]
        fields = await _read_body(request)
        prompt = _prompt(fields.data.get("prompt"))
        source = engine.get(video_id)
        if source is None:
            raise not_found(video_id)
        if source.status != "completed":
            raise ApiError(400, f"Video '{video_id}' is '{source.status}'; only completed videos can be remixed.",
                           param="video_id", code="invalid_video_status")
        spec = profile.find_model(source.model) or profile.models[0]
        video = engine.create(model=spec.name, prompt=prompt, size=source.size, seconds=source.seconds,
                              kind="remix", remix_of=source)
        return lost(request, video_response(video))

    async def source_video(fields: _Fields) -> tuple[Any, Video | None, str, str, str]:
        """The ``video`` of an edit/extension: (path, source Video or None, model, size, seconds)."""
        upload = fields.files.get("video")
        raw: bytes | None = None
        if upload is not None:
            raw = await upload.read()
        elif "video" not in fields.data:
            raise ApiError(400, "Missing required parameter: 'video'.", param="video",
                           code="missing_required_parameter")
        else:
            value = fields.data["video"]
            if isinstance(value, str) and not fields.is_json:
                if value.strip().startswith("{"):
                    try:
                        value = json.loads(value)
                    except ValueError:
                        value = None
                else:
                    raw = _text_bytes(value)
            if raw is None:
                if not isinstance(value, dict) or not isinstance(value.get("id"), str):
                    raise ApiError(400, "Invalid 'video': expected an uploaded video file or an object "
                                   "{\"id\": \"video_...\"}.", param="video", code="invalid_type")
                src = engine.get(value["id"])
                if src is None:
                    raise ApiError(404, f"Video with id '{value['id']}' not found.", param="video.id",
                                   code="video_not_found")
                if src.status != "completed":
                    raise ApiError(400, f"Video '{src.id}' is '{src.status}'; only completed videos can be used.",
                                   param="video.id", code="invalid_video_status")
                if src.expired():
                    raise ApiError(400, f"The content of video '{src.id}' has expired.", param="video.id",
                                   code="video_expired")
                return engine.media_path(src, "video"), src, src.model, src.size, src.seconds
        assert raw is not None
        if len(raw) > 200 * 1024 * 1024:
            raise ApiError(400, "Invalid 'video': the file is larger than 200 MiB.", param="video",
                           code="file_too_large")
        try:
            width, height, duration = await asyncio.to_thread(_probe_video, raw)
        except Exception:
            raise ApiError(400, "Invalid 'video': the upload is not a readable video (send an MP4).", param="video",
                           code="invalid_video_format") from None
        if width % 2 or height % 2:
            raise ApiError(400, f"Invalid 'video': {width}x{height} has an odd side; H.264 needs even sides.",
                           param="video", code="invalid_value")
        import tempfile

        with tempfile.NamedTemporaryFile(prefix="upload-", suffix=".mp4", dir=engine.root, delete=False) as tmp:
            tmp.write(raw)
        seconds = str(max(1, int(round(duration))))
        return tmp.name, None, profile.default_model, f"{width}x{height}", seconds

    async def edit(request: Request) -> Response:
        fields = await _read_body(request)
        prompt = _prompt(fields.data.get("prompt"))
        path, src, model, size, seconds = await source_video(fields)
        with _upload_removed(path, src):
            video = engine.create(model=model, prompt=prompt, size=size, seconds=seconds, kind="edit",
                                  source_video=Path(path), source=src)
        return lost(request, video_response(video))

    async def extend(request: Request) -> Response:
        fields = await _read_body(request)
        prompt = _prompt(fields.data.get("prompt"))
        if not fields.present("seconds"):
            raise ApiError(400, "Missing required parameter: 'seconds'.", param="seconds",
                           code="missing_required_parameter")
        path, src, model, size, seconds = await source_video(fields)
        with _upload_removed(path, src):
            spec = profile.find_model(model) or profile.models[0]
            ext = seconds_for(spec, fields, required=True)
            total = str(int(round(float(seconds) + float(ext))))
            video = engine.create(model=model, prompt=prompt, size=size, seconds=total, kind="extension",
                                  source_video=Path(path), source=src, extension_seconds=ext)
        return lost(request, video_response(video))

    async def character_create(request: Request) -> Response:
        fields = await _read_body(request)
        name = fields.data.get("name")
        if name is None:
            raise ApiError(400, "Missing required parameter: 'name'.", param="name", code="missing_required_parameter")
        name = _require_str("name", name)
        if not 1 <= len(name) <= 80:
            raise ApiError(400, "Invalid 'name': expected 1 to 80 characters.", param="name", code="invalid_value")
        upload = fields.files.get("video")
        if upload is not None:
            raw = await upload.read()
        elif isinstance(fields.data.get("video"), str) and not fields.is_json:
            raw = _text_bytes(fields.data["video"])
        else:
            raise ApiError(400, "Missing required parameter: 'video' (an uploaded video file).", param="video",
                           code="missing_required_parameter")
        try:
            await asyncio.to_thread(_probe_video, raw)
        except Exception:
            raise ApiError(400, "Invalid 'video': the upload is not a readable video (send an MP4).", param="video",
                           code="invalid_video_format") from None
        return JSONResponse(engine.create_character(name, raw))

    async def character_get(request: Request) -> Response:
        char_id = request.path_params["character_id"]
        record = engine.characters.get(char_id)
        if record is None:
            raise ApiError(404, f"Character with id '{char_id}' not found.", param="character_id",
                           code="character_not_found")
        return JSONResponse(record)

    async def stats(request: Request) -> Response:
        check_auth(request)
        return JSONResponse(engine.snapshot())

    async def stats_endpoint(request: Request) -> Response:
        try:
            return await stats(request)
        except ApiError as err:
            return err.response()

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    def invalid_url(request: Request) -> JSONResponse:
        return ApiError(404, f"Invalid URL ({request.method} {request.url.path})").response()

    async def http_exception(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        if status in (404, 405):
            engine.stats["unknown"] += 1
            return invalid_url(request)
        return ApiError(status, str(getattr(exc, "detail", "error")),
                        type="server_error" if status >= 500 else "invalid_request_error").response()

    async def server_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, DropConnection):  # a dropped connection is an injected fault, not a bug
            log.exception("unhandled error on %s %s", request.method, request.url.path)
        return ApiError(500, "The server had an error while processing your request. Sorry about that!",
                        type="server_error").response()

    routes = [
        Route("/v1/videos", _api("create", create), methods=["POST"]),
        Route("/v1/videos", _api("list", listing), methods=["GET"]),
        Route("/v1/videos/edits", _api("edit", edit), methods=["POST"]),
        Route("/v1/videos/extensions", _api("extend", extend), methods=["POST"]),
        Route("/v1/videos/characters", _api("character_create", character_create), methods=["POST"]),
        Route("/v1/videos/characters/{character_id}", _api("character_get", character_get), methods=["GET"]),
        Route("/v1/videos/{video_id}", _api("retrieve", retrieve), methods=["GET"]),
        Route("/v1/videos/{video_id}", _api("delete", delete), methods=["DELETE"]),
        Route("/v1/videos/{video_id}/content", _api("content", content), methods=["GET"]),
        Route("/v1/videos/{video_id}/remix", _api("remix", remix), methods=["POST"]),
        Route("/_emulator/stats", stats_endpoint, methods=["GET"]),
        Route("/_emulator/health", health, methods=["GET"]),
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
    return app
