"""Handlers for videos made from other videos (edits, extensions) and for characters."""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .context import context
from .errors import ApiError
from .handlers import video_response
from .inputs import seconds_for, seed_field, source_video
from .middleware import lost
from .parsing import probe_video, prompt_field, read_body, require_str, text_bytes, upload_removed

__all__ = ["character_create", "character_get", "edit", "extend"]


async def edit(request: Request) -> Response:
    ctx = context(request)
    fields = await read_body(request)
    prompt = prompt_field(fields.data.get("prompt"))
    seed = seed_field(fields)
    path, src, model, size, seconds = await source_video(ctx.engine, fields)
    with upload_removed(path, src):
        video = ctx.engine.create(model=model, prompt=prompt, size=size, seconds=seconds, kind="edit",
                                  source_video=Path(path), source=src, seed=seed)
    return lost(request, video_response(ctx, video))


async def extend(request: Request) -> Response:
    ctx = context(request)
    fields = await read_body(request)
    prompt = prompt_field(fields.data.get("prompt"))
    if not fields.present("seconds"):
        raise ApiError(400, "Missing required parameter: 'seconds'.", param="seconds",
                       code="missing_required_parameter")
    seed = seed_field(fields)
    path, src, model, size, seconds = await source_video(ctx.engine, fields)
    with upload_removed(path, src):
        spec = ctx.profile.find_model(model) or ctx.profile.models[0]
        ext = seconds_for(spec, fields, required=True)
        total = str(int(round(float(seconds) + float(ext))))
        video = ctx.engine.create(model=model, prompt=prompt, size=size, seconds=total, kind="extension",
                                  source_video=Path(path), source=src, extension_seconds=ext, seed=seed)
    return lost(request, video_response(ctx, video))


async def character_create(request: Request) -> Response:
    ctx = context(request)
    fields = await read_body(request)
    name = fields.data.get("name")
    if name is None:
        raise ApiError(400, "Missing required parameter: 'name'.", param="name", code="missing_required_parameter")
    name = require_str("name", name)
    if not 1 <= len(name) <= 80:
        raise ApiError(400, "Invalid 'name': expected 1 to 80 characters.", param="name", code="invalid_value")
    upload = fields.files.get("video")
    if upload is not None:
        raw = await upload.read()
    elif isinstance(fields.data.get("video"), str) and not fields.is_json:
        raw = text_bytes(fields.data["video"])
    else:
        raise ApiError(400, "Missing required parameter: 'video' (an uploaded video file).", param="video",
                       code="missing_required_parameter")
    try:
        await asyncio.to_thread(probe_video, raw)
    except Exception:
        raise ApiError(400, "Invalid 'video': the upload is not a readable video (send an MP4).", param="video",
                       code="invalid_video_format") from None
    return JSONResponse(ctx.engine.create_character(name, raw))


async def character_get(request: Request) -> Response:
    ctx = context(request)
    char_id = request.path_params["character_id"]
    record = ctx.engine.characters.get(char_id)
    if record is None:
        raise ApiError(404, f"Character with id '{char_id}' not found.", param="character_id",
                       code="character_not_found")
    return JSONResponse(record)
