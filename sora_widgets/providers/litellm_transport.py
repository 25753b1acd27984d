"""Providers through LiteLLM's Python SDK (``litellm.avideo_generation`` / ``avideo_status`` / ``avideo_content``):
fal, Runway, MiniMax, DashScope. LiteLLM translates each provider's API into the protocol's video object; this
module adds what it leaves out and maps its exceptions onto the engine's outcomes.

LiteLLM is imported on first use, on a worker thread (it takes seconds to import), never by ``import
sora_widgets``. Before that import, ``LITELLM_LOCAL_MODEL_COST_MAP`` defaults to True: LiteLLM would otherwise
download its price map at import, and prices here come from :mod:`.profiles`.

Worked as it is (fal, against the emulator's ``fal`` dialect): create, status (a moderated job comes back
``failed`` with fal's message), content (LiteLLM fetches the result, then the video URL). Adjusted here: fal's
Veo 3 apps take ``duration`` as ``"8s"`` while LiteLLM sends ``"8"`` (overridden through ``extra_body``), and a
moderated job's code ``fal_error`` is read as ``moderation_blocked`` when fal says it was a policy violation.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
from pathlib import Path
from typing import Any

from ..outcomes import Gone, header_seconds
from ..params import VideoParams
from .transport import ProviderTransport, failure

__all__ = ["LiteLLMTransport"]

_POLICY_WORDS = ("content_policy", "moderation", "blocked", "safety", "flagged")


def _import_litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    litellm: Any = importlib.import_module("litellm")
    litellm.telemetry = False
    litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banner printed on every exception
    return litellm


class LiteLLMTransport(ProviderTransport):
    """One provider of LiteLLM's video API (``spec.litellm_provider``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._litellm: Any = None

    async def _sdk(self) -> Any:
        if self._litellm is None:
            self._litellm = await asyncio.to_thread(_import_litellm)
        return self._litellm

    def _common(self) -> dict[str, Any]:
        return {"custom_llm_provider": self.spec.litellm_provider, "api_base": self.base_url,
                "api_key": self._secret, "timeout": self.timeout_s}

    def _raise(self, exc: BaseException, op: str) -> BaseException:
        status = getattr(exc, "status_code", None)
        message = str(getattr(exc, "message", None) or exc)
        headers = getattr(getattr(exc, "response", None), "headers", None)
        retry_after = header_seconds(headers, "retry-after") if headers is not None else None
        if not isinstance(status, int) or type(exc).__name__ in ("APIConnectionError", "Timeout"):
            status = None
        elif status == 500 and any(h in message.lower() for h in ("cannot connect", "connecterror")):
            status = None  # LiteLLM reports a refused connection as its own 500
        return self.outcome(status, message, op, retry_after=retry_after)

    def _extra_body(self, params: VideoParams) -> dict[str, Any]:
        if self.provider == "fal" and "/veo3" in params.model:
            return {"duration": f"{params.seconds}s"}  # fal's Veo 3 apps: "8s"; LiteLLM sends "8"
        return {}

    async def create(self, params: VideoParams) -> tuple[dict[str, Any], dict[str, str]]:
        litellm = await self._sdk()
        try:
            video = await litellm.avideo_generation(
                prompt=params.prompt, model=params.model, seconds=params.seconds, size=params.size,
                extra_body=self._extra_body(params) or None, **self._common())
        except Exception as exc:
            raise self._raise(exc, "create") from None
        out = self._as_dict(video)
        out.update(prompt=params.prompt, model=params.model, size=params.size, seconds=params.seconds)
        return out, {}

    async def retrieve(self, video_id: str) -> tuple[dict[str, Any], dict[str, str]]:
        litellm = await self._sdk()
        try:
            video = await litellm.avideo_status(video_id=video_id, **self._common())
        except Exception as exc:
            raise self._raise(exc, "retrieve") from None
        return self._as_dict(video), {}

    def _as_dict(self, video: Any) -> dict[str, Any]:
        data = video.model_dump() if hasattr(video, "model_dump") else dict(video)
        out = {k: v for k, v in data.items() if v is not None}
        out["progress"] = None  # no provider here reports it: an indeterminate bar, never a fake percentage
        if not out.get("created_at"):
            out.pop("created_at", None)  # LiteLLM's fal status says 0
        error = data.get("error")
        if isinstance(error, dict):
            message = self._clean(str(error.get("message") or "the provider reported the job as failed"))
            if any(w in message.lower() for w in _POLICY_WORDS):
                out["error"] = failure("moderation_blocked", message, "prompt")
            else:
                out["error"] = failure(str(error.get("code") or "failed"), message)
        return out

    async def download(self, video_id: str, variant: str, dest: Path) -> dict[str, str]:
        if variant != "video":
            raise Gone(f"{self.label} has no {variant} (it is made locally from the MP4)")
        litellm = await self._sdk()
        try:
            data = await litellm.avideo_content(video_id=video_id, **self._common())
        except Exception as exc:
            raise self._raise(exc, "download video") from None
        return await self.write_part(dest, bytes(data))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            if self._litellm is not None:
                await self._litellm.close_litellm_async_clients()
