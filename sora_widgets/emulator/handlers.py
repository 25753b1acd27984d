"""The ``/v1/videos`` handlers: create, retrieve, list, delete, content and remix (edits, extensions and
characters are in :mod:`.derived`). Each reads the app's :class:`~.context.Context`; where carriers differ it
asks the served dialect."""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .context import Context, context
from .errors import ApiError, DroppedResponse
from .inputs import model_spec, reference_from, seconds_for, seed_field, size_for
from .middleware import lost
from .parsing import invalid_value, prompt_field, read_body
from .records import VARIANT_TYPES, Video, media_headers

__all__ = ["content", "create", "delete", "listing", "media_headers", "remix", "retrieve", "video_response"]


def video_response(ctx: Context, video: Video, status: int = 200) -> JSONResponse:
    return JSONResponse(ctx.public(video), status_code=status, headers=ctx.dialect.poll_headers(ctx.config))


def existing(ctx: Context, video_id: str) -> Video:
    video = ctx.engine.get(video_id)
    if video is None:
        raise ctx.dialect.not_found(video_id)
    return video


async def create(request: Request) -> Response:
    ctx = context(request)
    fields = await read_body(request)
    prompt = prompt_field(fields.data.get("prompt"))
    spec = model_spec(ctx.profile, fields)
    size = size_for(ctx.profile, spec, fields)
    seconds = seconds_for(spec, fields)
    seed = seed_field(fields)
    if ctx.dialect.require_reference and not fields.present("input_reference"):
        raise ApiError(400, "Missing required parameter: 'input_reference' (this server generates video from an "
                       "image).", param="input_reference", code="missing_required_parameter")
    reference, ref_name = await reference_from(fields, size)
    video = ctx.engine.create(model=spec.name, prompt=prompt, size=size, seconds=seconds, reference=reference,
                              reference_name=ref_name, seed=seed, audio=ctx.dialect.audio_for(spec.name))
    return lost(request, video_response(ctx, video))


async def retrieve(request: Request) -> Response:
    ctx = context(request)
    return video_response(ctx, existing(ctx, request.path_params["video_id"]))


async def delete(request: Request) -> Response:
    ctx = context(request)
    video_id = request.path_params["video_id"]
    if ctx.engine.delete(video_id) is None:
        raise ctx.dialect.not_found(video_id)
    return JSONResponse({"id": video_id, "object": "video.deleted", "deleted": True})


async def listing(request: Request) -> Response:
    ctx = context(request)
    q = request.query_params
    order = q.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid_value("order", order, ("asc", "desc"))
    raw_limit = q.get("limit", "20")
    try:
        limit = int(raw_limit)
    except ValueError:
        raise ApiError(400, f"Invalid type for 'limit': expected an integer, but got '{raw_limit}' instead.",
                       param="limit", code="invalid_type") from None
    if not 0 <= limit <= 100:
        raise ApiError(400, f"Invalid 'limit': integer out of range. Expected a value between 0 and 100, got "
                       f"{limit}.", param="limit", code="integer_out_of_range")
    items = ctx.engine.listing(order)
    after = q.get("after")
    if after:
        ids = [v.id for v in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    page = items[:limit]
    now = time.time()
    return JSONResponse({
        "object": "list",
        "data": [ctx.public(v, now) for v in page],
        "first_id": page[0].id if page else None,
        "last_id": page[-1].id if page else None,
        "has_more": len(items) > len(page),
    })


async def content(request: Request) -> Response:
    ctx = context(request)
    engine = ctx.engine
    video_id = request.path_params["video_id"]
    variant = ctx.dialect.content_variant(request.query_params.get("variant", "video"), ctx.profile)
    video = existing(ctx, video_id)
    if video.status == "failed":
        special = ctx.dialect.content_of_failed(video)
        if special is not None:
            return special
        raise ApiError(404, f"Video generation failed for '{video_id}'; it has no content.", param="video_id",
                       code="video_failed")
    if video.status != "completed":
        raise ctx.dialect.content_not_ready(video)
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
    if engine.injector.roll_drop():
        engine.faults["dropped_download"] += 1
        return DroppedResponse(body, 200, headers, VARIANT_TYPES[variant], 0.5)
    return Response(body, media_type=VARIANT_TYPES[variant], headers=headers)


async def remix(request: Request) -> Response:
    ctx = context(request)
    video_id = request.path_params["video_id"]
    fields = await read_body(request)
    prompt = prompt_field(fields.data.get("prompt"))
    seed = seed_field(fields)
    source = existing(ctx, video_id)
    if source.status != "completed":
        raise ApiError(400, f"Video '{video_id}' is '{source.status}'; only completed videos can be remixed.",
                       param="video_id", code="invalid_video_status")
    spec = ctx.profile.find_model(source.model) or ctx.profile.models[0]
    video = ctx.engine.create(model=spec.name, prompt=prompt, size=source.size, seconds=source.seconds,
                              kind="remix", remix_of=source, seed=seed)
    return lost(request, video_response(ctx, video))
