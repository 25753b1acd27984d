"""The only code that talks to a backend: a thin wrapper around ``openai.AsyncOpenAI``'s ``videos`` resource.

Each method makes exactly one request (no SDK retries: ``max_retries=0``), returns plain dicts and the
response headers, and maps failures onto :mod:`errors` or onto the two internal outcomes the engine acts on:
:class:`~sora_widgets.outcomes.Transient` (safe to repeat later) and :class:`UnknownOutcome` (a create that
may or may not have happened: look for it with ``list`` before any new create).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import openai

from .errors import (
    SHUTDOWN_NOTE,
    AuthenticationError,
    BackendUnavailableError,
    ContentPolicyError,
    DiskFullError,
    SoraWidgetsError,
    ValidationError,
    redact,
)
from .outcomes import Gone, Transient, Unsupported, header_seconds
from .params import VideoParams
from .urls import host_of, label_of

__all__ = ["UnknownOutcome", "VideoClient", "blocked_input_of", "host_of", "is_moderation"]

log = logging.getLogger(__name__)

_SHUTDOWN_WARNING = r"The Sora API is scheduled to permanently shut down"
_CHUNK = 1 << 20  # 1 MiB: memory stays bounded whatever the video size
_MODERATION_CODES = {"moderation_blocked", "content_policy_violation", "content_filter", "safety_violation"}
# A proxy's auth failures that come back as 400 (LiteLLM without a database: "No connected db.")
_AUTH_WORDS = ("no connected db", "authentication error", "api key not valid", "invalid api key",
               "incorrect api key", "invalid_api_key", "no api key")
_UNSUPPORTED_WORDS = ("not supported", "unsupported", "not implemented")


class UnknownOutcome(Exception):
    """A create whose result we did not get (5xx, dropped connection, timeout): it may exist server-side."""


@contextlib.contextmanager
def _quiet_shutdown_warning() -> Iterator[None]:
    # Only the SDK's shutdown DeprecationWarning, only around our own calls; every other warning stays.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_SHUTDOWN_WARNING, category=DeprecationWarning)
        yield


def blocked_input_of(error: Mapping[str, Any] | None) -> str | None:
    """Whether the backend says the prompt or the image was blocked: ``"prompt"``, ``"image"`` or None."""
    if not error:
        return None
    param = str(error.get("param") or "").lower()
    if param in ("prompt",):
        return "prompt"
    if param in ("input_reference", "image", "reference", "input_image"):
        return "image"
    text = f"{error.get('code') or ''} {error.get('message') or ''}".lower()
    says_image = any(w in text for w in ("image", "input_reference", "reference", "face"))
    says_prompt = "prompt" in text
    if says_image and not says_prompt:
        return "image"
    if says_prompt and not says_image:
        return "prompt"
    return None


def is_moderation(error: Mapping[str, Any] | None) -> bool:
    if not error:
        return False
    code = str(error.get("code") or "").lower()
    return code in _MODERATION_CODES or "moderation" in code


def _error_body(exc: openai.APIStatusError) -> dict[str, Any]:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return inner
    return {"message": str(body) if body else exc.message}


class VideoClient:
    """One backend, reached through ``openai.AsyncOpenAI``.

    Parameters
    ----------
    base_url, api_key
        Used to build a new ``AsyncOpenAI`` when ``client`` is None.
    client
        A caller's own ``AsyncOpenAI`` (or Azure/compatible subclass, or a sync ``OpenAI`` whose settings are
        copied). It is copied with ``max_retries=0``; the caller's object is not changed.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: Any = None,
        timeout_s: float = 60.0,
    ) -> None:
        if client is None:
            sdk = openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=timeout_s)
        elif isinstance(client, openai.AsyncOpenAI):
            sdk = client.copy(max_retries=0)
        elif isinstance(client, openai.OpenAI):
            sdk = openai.AsyncOpenAI(
                base_url=str(client.base_url), api_key=client.api_key, organization=client.organization,
                project=client.project, max_retries=0, timeout=client.timeout,
            )
        else:
            raise ValidationError(
                f"client must be an openai.AsyncOpenAI (or OpenAI) instance, got {type(client).__name__}", "client"
            )
        self._sdk = sdk
        self._secret = str(getattr(sdk, "api_key", "") or "")
        self.base_url = str(sdk.base_url).rstrip("/")
        self.host = host_of(self.base_url)
        self.label = label_of(self.base_url)
        self.is_openai = self.host == "api.openai.com"
        self.sends_seed = False  # set by the engine where the backend takes a `seed` (an extra field)

    def __repr__(self) -> str:
        return f"VideoClient(base_url={self.base_url!r})"

    # ---------------------------------------------------------------- error mapping

    def _clean(self, text: str) -> str:
        return redact(text, (self._secret,))

    def map_error(self, exc: BaseException, op: str) -> BaseException:
        """Turn an SDK exception into one of ours (or :class:`Transient` / :class:`Gone`)."""
        where = f"{op} on {self.base_url}"
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__
            # Refused/unresolvable: the request never left, so even a create is safe to repeat.
            not_sent = type(cause).__name__ in ("ConnectError", "ConnectTimeout")
            detail = "timed out" if isinstance(exc, openai.APITimeoutError) else type(cause or exc).__name__
            return Transient(f"could not reach {self.base_url} for {op} ({detail})", not_sent=not_sent)
        if not isinstance(exc, openai.APIStatusError):
            return exc
        status = exc.status_code
        error = _error_body(exc)
        message = self._clean(str(error.get("message") or error.get("detail") or exc.message))
        headers = exc.response.headers
        retry_after = header_seconds(headers, "retry-after-ms") or header_seconds(headers, "retry-after")
        lowered = f"{message} {error.get('type') or ''} {error.get('code') or ''}".lower()
        if status == 405 or (status == 501) or (
                op in ("remix", "delete", "list", "models") and any(w in lowered for w in _UNSUPPORTED_WORDS)):
            return Unsupported(f"{self.host} has no {op} ({status}: {message})", op, status)
        if status == 404 and op in ("remix", "delete", "models", "list") and (
                message.startswith("Invalid URL") or message.strip().lower() == "not found"):
            return Unsupported(f"{self.host} has no {op} route (404: {message})", op, status)
        if status in (400, 422) and op in ("download thumbnail", "download spritesheet"):
            return Unsupported(f"{self.host} has no {op.split()[1]} variant ({status}: {message})", "variants", status)
        if status in (400, 422) and op == "list":
            return Unsupported(f"{self.host} cannot list videos ({status}: {message})", op, status)
        if status in (400, 403) and (error.get("type") == "auth_error" or any(w in lowered for w in _AUTH_WORDS)):
            return AuthenticationError(
                f"{self.host} refused the API key ({status}): {message}. Check the key given to "
                "sw.configure(api_key=...) (for a LiteLLM proxy: its master key or a virtual key)."
            )
        if status == 429:
            return Transient(f"{where}: rate limited (429): {message}", retry_after, status)
        if status >= 500 or status in (408, 409):
            return Transient(f"{where}: server error {status}: {message}", retry_after, status)
        if status == 401:
            return AuthenticationError(
                f"{self.host} refused the API key (401): {message}. Check OPENAI_API_KEY or "
                "sw.configure(api_key=...)."
            )
        if status == 403:
            return AuthenticationError(f"{self.host} denied access (403): {message}")
        if is_moderation(error):
            return ContentPolicyError(
                f"{self.host} blocked the request: {message}", blocked_input_of(error), str(error.get("code"))
            )
        if status == 404:
            model_missing = "model" in message.lower() and op in ("create", "remix")
            if self.is_openai and (op in ("create", "remix", "list") or model_missing):
                return BackendUnavailableError(f"{where} answered 404 ({message}). {SHUTDOWN_NOTE}")
            if message.startswith("Invalid URL") or op in ("create", "list"):
                return BackendUnavailableError(
                    f"{self.base_url} does not serve the Videos API ({op} answered 404: {message}). "
                    "Check the base URL (it should end in /v1) or point sora_widgets at another backend: "
                    "sw.configure(base_url=...)."
                )
            return Gone(f"{where}: 404 {message}")
        if status in (400, 422):
            if self.is_openai and "model" in message.lower() and op in ("create", "remix"):
                return BackendUnavailableError(f"{where}: {message}. {SHUTDOWN_NOTE}")
            return ValidationError(f"{self.host} rejected the request (400): {message}", error.get("param"))
        return SoraWidgetsError(f"{where} failed with HTTP {status}: {message}")

    # ---------------------------------------------------------------- requests

    async def _json(self, op: str, method: str, *args: Any, **kwargs: Any) -> tuple[Any, dict[str, str]]:
        with _quiet_shutdown_warning():
            ctx = getattr(self._sdk.videos.with_streaming_response, method)(*args, **kwargs)
        try:
            async with ctx as response:
                data = await response.json()
                headers = {k.lower(): v for k, v in response.headers.items()}
        except openai.OpenAIError as exc:
            raise self.map_error(exc, op) from None
        except ValueError as exc:  # a body that is not JSON
            raise Transient(f"{op} on {self.base_url}: unreadable response ({exc})") from None
        except Exception as exc:  # the body broke off: the HTTP library's own error, not the SDK's
            if type(exc).__module__.split(".")[0] not in ("httpx", "httpx2", "httpcore", "anyio", "h11"):
                raise
            raise Transient(f"{op} on {self.base_url}: response broke off ({type(exc).__name__})") from None
        return data, headers

    async def create(self, params: VideoParams) -> tuple[dict[str, Any], dict[str, str]]:
        """POST /videos once. 429 -> :class:`Transient` (not created); 5xx/network -> :class:`UnknownOutcome`."""
        kwargs: dict[str, Any] = {
            "prompt": params.prompt,
            "model": params.model,
            "size": params.size,
            "seconds": params.seconds,
        }
        if params.reference is not None:
            kwargs["input_reference"] = (params.reference.filename, params.reference.data, params.reference.mime)
        if params.seed is not None and self.sends_seed:
            kwargs["extra_body"] = {"seed": params.seed}
        return await self._create_like("create", "create", **kwargs)

    async def remix(self, video_id: str, prompt: str) -> tuple[dict[str, Any], dict[str, str]]:
        return await self._create_like("remix", "remix", video_id, prompt=prompt)

    async def extend(self, video_id: str, prompt: str, seconds: str) -> tuple[dict[str, Any], dict[str, str]]:
        """POST /videos/extensions once: ``seconds`` more of the completed ``video_id``, continued by ``prompt``.

        Sent as JSON through the SDK's own ``post``: ``videos.extend`` cannot send a ``{"id": ...}`` reference
        (openai 2.x runs every ``video`` through its file extraction, which refuses a dict). Errors map as for
        a create (429 -> :class:`Transient`; 5xx/network -> :class:`UnknownOutcome`)."""
        body = {"prompt": prompt, "seconds": seconds, "video": {"id": video_id}}
        try:
            with _quiet_shutdown_warning():
                data = await self._sdk.post("/videos/extensions", cast_to=dict, body=body)
        except openai.OpenAIError as exc:
            mapped = self.map_error(exc, "extend")
            if isinstance(mapped, Transient) and not (mapped.status == 429 or mapped.not_sent):
                raise UnknownOutcome(str(mapped)) from None
            raise mapped from None
        return dict(data), {}

    async def _create_like(
        self, op: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, str]]:
        try:
            return await self._json(op, method, *args, **kwargs)
        except Transient as exc:
            if exc.status == 429 or exc.not_sent:
                raise  # the server did not make it: safe to send again
            raise UnknownOutcome(str(exc)) from None

    async def retrieve(self, video_id: str) -> tuple[dict[str, Any], dict[str, str]]:
        return await self._json("retrieve", "retrieve", video_id)

    async def list_page(
        self, after: str | None = None, limit: int = 100, order: str = "desc"
    ) -> tuple[list[dict[str, Any]], bool, dict[str, str]]:
        """One page of ``GET /videos`` (newest first by default)."""
        kwargs: dict[str, Any] = {"limit": limit, "order": order}
        if after:
            kwargs["after"] = after
        data, headers = await self._json("list", "list", **kwargs)
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            items = []
        has_more = bool(data.get("has_more")) if isinstance(data, dict) else False
        return [v for v in items if isinstance(v, dict)], has_more, headers

    async def delete(self, video_id: str) -> None:
        await self._json("delete", "delete", video_id)

    async def list_models(self) -> list[str]:
        """``GET /models``: the model ids the backend serves (video models first when it says which are)."""
        try:
            page = await self._sdk.models.list()
        except openai.OpenAIError as exc:
            raise self.map_error(exc, "models") from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] not in ("httpx", "httpcore", "anyio", "h11"):
                raise
            raise Transient(f"models on {self.base_url}: {type(exc).__name__}") from None
        items = list(getattr(page, "data", []) or [])
        video = [m.id for m in items if (getattr(m, "model_extra", None) or {}).get("mode") == "video_generation"]
        return video or [str(m.id) for m in items if getattr(m, "id", None)]

    async def download(self, video_id: str, variant: str, dest: Path) -> dict[str, str]:
        """Stream one asset to ``dest`` + ``.part`` in 1 MiB chunks; the caller verifies and renames.

        Raises :class:`Transient` on a dropped or short body, :class:`Gone` on 404.
        """
        part = dest.with_name(dest.name + ".part")
        with _quiet_shutdown_warning():
            ctx = self._sdk.videos.with_streaming_response.download_content(video_id, variant=variant)  # type: ignore[arg-type]
        written = 0
        try:
            async with ctx as response:
                headers = {k.lower(): v for k, v in response.headers.items()}
                with open(part, "wb") as fh:
                    async for chunk in response.iter_bytes(_CHUNK):
                        fh.write(chunk)
                        written += len(chunk)
                    fh.flush()
                    os.fsync(fh.fileno())
        except openai.OpenAIError as exc:
            part.unlink(missing_ok=True)
            raise self.map_error(exc, f"download {variant}") from None
        except (OSError, Exception) as exc:  # a dropped body surfaces as the HTTP library's own error
            part.unlink(missing_ok=True)
            if isinstance(exc, (Transient, Gone, SoraWidgetsError)):
                raise
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:  # ours, not the server's: not retried
                raise DiskFullError(f"no space left writing {part} ({exc.strerror})", str(part)) from None
            raise Transient(f"download of {variant} for {video_id} broke off: {type(exc).__name__}") from None
        expected = headers.get("content-length")
        if expected is not None and expected.isdigit() and int(expected) != written:
            part.unlink(missing_ok=True)
            raise Transient(f"download of {variant} for {video_id} was cut short ({written} of {expected} bytes)")
        return headers

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._sdk.close()

