"""What every API request goes through before its handler: counting, added latency, auth, the rate limit and
injected faults; and the lost-create fault applied to a create's response."""

from __future__ import annotations

import asyncio
import hmac
import math
import secrets
from collections.abc import Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from .context import Handler, context
from .errors import ApiError, DroppedResponse

__all__ = ["CREATE_KINDS", "api", "check_auth", "injected_failure", "invalid_url", "lost"]

CREATE_KINDS = frozenset({"create", "remix", "edit", "extend"})


def invalid_url(request: Request) -> Response:
    err = ApiError(404, f"Invalid URL ({request.method} {request.url.path})")
    return context(request).dialect.error_response(err)


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def check_auth(request: Request) -> None:
    ctx = context(request)
    token = bearer_token(request)
    if not token:
        raise ctx.dialect.auth_error(missing=True)
    if not hmac.compare_digest(token.encode(), ctx.config.api_key.encode()):
        raise ctx.dialect.auth_error(missing=False)


def injected_failure(status: int) -> ApiError:
    if status == 503:
        return ApiError(503, "The engine is currently overloaded, please try again later.", type="server_error")
    return ApiError(500, "The server had an error while processing your request. Sorry about that!",
                    type="server_error")


def rate_limited(request: Request, extra: dict[str, str]) -> None:
    engine = context(request).engine
    bucket = engine.injector.bucket
    if bucket is None:
        return
    allowed = engine.injector.take_token()
    extra.update(engine.injector.rate_headers())
    if not allowed:
        engine.faults["429"] += 1
        wait = bucket.retry_after_s()
        raise ApiError(
            429,
            f"Rate limit reached for requests: limit {int(bucket.capacity)} per minute. "
            f"Please try again in {wait:.3f}s.",
            type="requests",
            code="rate_limit_exceeded",
            headers={"retry-after": str(max(1, math.ceil(wait))),
                     "retry-after-ms": str(max(1, math.ceil(wait * 1000)))},
        )


def api(kind: str, handler: Handler, *, auth: Callable[[Request], None] | None = None) -> Handler:
    """Wrap ``handler`` as an API endpoint of route kind ``kind`` (``auth`` replaces the Bearer check, for
    providers that authenticate another way)."""

    async def endpoint(request: Request) -> Response:
        ctx = context(request)
        engine = ctx.engine
        engine.stats[kind] += 1
        engine.stats["total"] += 1
        extra: dict[str, str] = {"x-request-id": f"req_{secrets.token_hex(12)}"}
        try:
            latency = max(0.0, ctx.config.latency_ms / 1000.0)
            if latency:
                await asyncio.sleep(latency)
            if auth is None:
                check_auth(request)
            else:
                auth(request)
            rate_limited(request, extra)
            fate = engine.injector.roll_failure(kind in CREATE_KINDS)
            if fate == "fail":
                status = engine.injector.roll_status()
                engine.faults[f"{status}"] += 1
                raise injected_failure(status)
            request.state.lose_response = fate == "lost"
            response = await handler(request)
        except ApiError as err:
            response = ctx.dialect.error_response(err)
        except ClientDisconnect:
            return Response(status_code=499)
        response.headers.update(extra)
        return response

    return endpoint


def lost(request: Request, response: Response) -> Response:
    """The lost-create fault: the job exists, the client sees a 5xx or a dropped connection."""
    if not getattr(request.state, "lose_response", False):
        return response
    engine = context(request).engine
    engine.faults["lost_create"] += 1
    if engine.injector.roll_lost_mode() == "drop":
        engine.faults["lost_create_dropped"] += 1
        return DroppedResponse(bytes(response.body), response.status_code, {}, "application/json", 0.0)
    engine.faults["lost_create_500"] += 1
    return context(request).dialect.error_response(injected_failure(500))
