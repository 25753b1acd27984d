"""The inputs of a create: model, size and seconds checked against the served profile, the reference image, the
source video of an edit or extension, and the optional seed."""

from __future__ import annotations

import asyncio
import json
import tempfile
from typing import Any

from .. import media
from ..profiles import BackendProfile, ModelSpec
from .config import allowed_list
from .engine import Engine
from .errors import ApiError
from .parsing import (
    Fields,
    check_image,
    fetch_image_url,
    invalid_value,
    probe_video,
    require_str,
    text_bytes,
    type_name,
)
from .records import Video

__all__ = ["model_spec", "reference_from", "seconds_for", "seed_field", "size_for", "source_video"]


def model_spec(profile: BackendProfile, fields: Fields) -> ModelSpec:
    name = fields.optional_str("model")
    if name is None:
        return profile.models[0]
    spec = profile.find_model(name)
    if spec is None:
        raise invalid_value("model", name, profile.model_names)
    return spec


def size_for(profile: BackendProfile, spec: ModelSpec, fields: Fields) -> str:
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


def seconds_for(spec: ModelSpec, fields: Fields, *, required: bool = False) -> str:
    if required and not fields.present("seconds"):
        raise ApiError(400, "Missing required parameter: 'seconds'.", param="seconds",
                       code="missing_required_parameter")
    seconds = fields.optional_str("seconds", spec.seconds)
    if seconds is None:
        return spec.default_seconds
    if seconds not in spec.seconds:
        raise invalid_value("seconds", seconds, spec.seconds)
    return seconds


async def reference_from(fields: Fields, size: str) -> tuple[bytes | None, str | None]:
    name = "input_reference"
    upload = fields.files.get(name)
    if upload is not None:
        data = await upload.read()
        check_image(data, size)
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
            data = text_bytes(value)  # a file part sent without a filename
            check_image(data, size)
            return data, None
    if not isinstance(value, dict):
        raise ApiError(400, f"Invalid type for 'input_reference': expected an object with 'image_url' or "
                       f"'file_id', but got {type_name(value)} instead.", param=name, code="invalid_type")
    has_url = value.get("image_url") is not None
    has_file = value.get("file_id") is not None
    if has_url == has_file:
        raise ApiError(400, "Invalid 'input_reference': provide exactly one of 'image_url' or 'file_id'.",
                       param=name, code="invalid_value")
    if has_file:
        file_id = require_str("input_reference.file_id", value["file_id"])
        raise ApiError(400, f"Invalid 'input_reference.file_id': no such file '{file_id}'. The emulator has no "
                       "Files API; upload the image or send it as a data URL in 'image_url'.",
                       param="input_reference.file_id", code="invalid_value")
    url = require_str("input_reference.image_url", value["image_url"])
    data = await fetch_image_url(url, "input_reference.image_url")
    check_image(data, size)
    return data, None


async def source_video(engine: Engine, fields: Fields) -> tuple[Any, Video | None, str, str, str]:
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
                raw = text_bytes(value)
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
        width, height, duration = await asyncio.to_thread(probe_video, raw)
    except Exception:
        raise ApiError(400, "Invalid 'video': the upload is not a readable video (send an MP4).", param="video",
                       code="invalid_video_format") from None
    if width % 2 or height % 2:
        raise ApiError(400, f"Invalid 'video': {width}x{height} has an odd side; H.264 needs even sides.",
                       param="video", code="invalid_value")
    with tempfile.NamedTemporaryFile(prefix="upload-", suffix=".mp4", dir=engine.root, delete=False) as tmp:
        tmp.write(raw)
    seconds = str(max(1, int(round(duration))))
    return tmp.name, None, engine.profile.default_model, f"{width}x{height}", seconds


def seed_field(fields: Fields) -> int | None:
    """The optional ``seed`` (an integer; multipart sends it as text): the same inputs and seed give the same
    video, another seed another take of the same prompt."""
    if "seed" not in fields.data:
        return None
    value = fields.data["seed"]
    if isinstance(value, str) and not fields.is_json:
        try:
            value = int(value.strip())
        except ValueError:
            raise ApiError(400, f"Invalid type for 'seed': expected an integer, but got '{value}' instead.",
                           param="seed", code="invalid_type") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"Invalid type for 'seed': expected an integer, but got {type_name(value)} instead.",
                       param="seed", code="invalid_type")
    if not 0 <= value < 2**32:
        raise ApiError(400, f"Invalid 'seed': integer out of range. Expected a value between 0 and {2**32 - 1}, got "
                       f"{value}.", param="seed", code="integer_out_of_range")
    return value
