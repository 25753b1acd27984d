"""Request parsing shared by every route: the body (JSON or multipart, as the SDK sends it), typed fields with
the real API's error messages, data URLs and loopback image URLs, uploaded images and videos."""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from PIL import Image
from starlette.datastructures import FormData, UploadFile
from starlette.requests import ClientDisconnect, Request

from .. import media
from .config import allowed_list
from .errors import ApiError

__all__ = ["Fields", "check_image", "decode_data_url", "fetch_image_url", "invalid_value", "probe_video",
           "prompt_field", "read_body", "require_str", "text_bytes", "type_name", "upload_removed"]

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_PROMPT = 32000
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}



@contextlib.contextmanager
def upload_removed(path: str, source: Any) -> Iterator[None]:
    """Remove an uploaded source video's temp file afterwards (``source`` is None: it was an upload, not a job)."""
    try:
        yield
    finally:
        if source is None:
            with contextlib.suppress(OSError):
                os.unlink(path)


def type_name(value: Any) -> str:
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


def require_str(name: str, value: Any, allowed: tuple[str, ...] | None = None) -> str:
    if isinstance(value, str):
        return value
    hint = f"one of {allowed_list(allowed)} as a string" if allowed else "a string"
    raise ApiError(
        400,
        f"Invalid type for '{name}': expected {hint}, but got {type_name(value)} instead.",
        param=name,
        code="invalid_type",
    )


def invalid_value(name: str, value: str, allowed: tuple[str, ...], extra: str = "") -> ApiError:
    return ApiError(
        400,
        f"Invalid value: '{value}'. Supported values are: {allowed_list(allowed)}.{extra}",
        param=name,
        code="invalid_value",
    )


def prompt_field(value: Any, *, name: str = "prompt") -> str:
    if value is None:
        raise ApiError(400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")
    prompt = require_str(name, value)
    if not prompt.strip():
        raise ApiError(400, f"Invalid '{name}': empty string. Expected a non-empty string.", param=name,
                       code="empty_string")
    if len(prompt) > MAX_PROMPT:
        raise ApiError(400, f"Invalid '{name}': string too long. Expected at most {MAX_PROMPT} characters, "
                       f"got {len(prompt)}.", param=name, code="string_above_max_length")
    return prompt


class Fields:
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
        return require_str(name, value, allowed)


async def read_body(request: Request) -> Fields:
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
        return Fields(data, files, is_json=False)
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
            raise ApiError(400, f"Invalid body: expected a JSON object, but got {type_name(body)} instead.",
                           code="invalid_type")
        return Fields(body, {}, is_json=True)
    if not raw:
        raise ApiError(400, "Missing required parameter: 'prompt'.", param="prompt", code="missing_required_parameter")
    raise ApiError(400, f"Unsupported content type '{ctype}'. Send multipart/form-data or application/json.",
                   code="unsupported_content_type")


def text_bytes(text: str) -> bytes:
    """Bytes of a form field that carried a file without a filename (Starlette decoded it to text)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def decode_data_url(url: str, param: str) -> bytes:
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


async def fetch_image_url(url: str, param: str) -> bytes:
    """Fetch ``url`` for ``input_reference.image_url``: data URLs, and http(s) on loopback only."""
    if url.startswith("data:"):
        return decode_data_url(url, param)
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


def check_image(data: bytes, size: str, param: str = "input_reference") -> None:
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


def probe_video(data: bytes) -> tuple[int, int, float]:
    """Width, height and duration (s) of an uploaded video; ValueError when it is not one."""
    import av

    with av.open(io.BytesIO(data), "r") as container:
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

