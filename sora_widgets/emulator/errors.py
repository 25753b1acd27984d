"""Error answers in the API's shape, and the dropped-connection fault."""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

__all__ = ["ApiError", "DropConnection", "DroppedResponse", "install_log_filter"]


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


class DroppedResponse(Response):
    """Sends the headers (with the full Content-Length) and part of the body, then drops the connection."""

    def __init__(self, body: bytes, status_code: int, headers: dict[str, str], media_type: str, fraction: float):
        super().__init__(body, status_code=status_code, headers=headers, media_type=media_type)
        self._cut = max(0, min(len(body) - 1, int(len(body) * fraction)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if self._cut:
            await send({"type": "http.response.body", "body": self.body[: self._cut], "more_body": True})
        raise DropConnection()


class DropFilter(logging.Filter):
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
        logging.getLogger(name).addFilter(DropFilter())

