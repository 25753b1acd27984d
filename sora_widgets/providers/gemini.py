"""Veo on the Gemini API through Google's official client, ``google-genai`` (2.x: 3.x dropped Veo from its
Developer API client).

Why not LiteLLM here (1.108.7, tried against the emulator's ``gemini`` dialect): its status call validates the
operation with a model that requires ``generatedSamples``, so a filtered job (``raiMediaFilteredCount``, no
samples) raises a 500 on every poll and never ends; a failed operation (``error``) reads ``completed``; and its
download fetches the sample's ``uri`` with a blocking module-level client. google-genai parses all three.

The sample's URI needs the key: the SDK downloads it here, in the kernel; neither the URI nor the key reaches
the browser or the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
from pathlib import Path
from typing import Any

from ..media import parse_size
from ..outcomes import Gone
from ..params import VideoParams
from .transport import ProviderTransport, failure

__all__ = ["GeminiTransport"]


def _aspect_and_resolution(size: str) -> tuple[str, str]:
    width, height = parse_size(size)
    return ("16:9" if width >= height else "9:16"), f"{min(width, height)}p"


class GeminiTransport(ProviderTransport):
    """``generate_videos`` / ``operations.get`` / ``files.download`` of ``client.aio``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._client: Any = None
        self._types: Any = None
        self._errors: Any = None
        self._samples: dict[str, Any] = {}  # operation name -> the generated Video (its uri), for the download

    async def _sdk(self) -> Any:
        if self._client is None:
            # imported off the loop: the first use must not stall the polling of other jobs
            genai = await asyncio.to_thread(importlib.import_module, "google.genai")
            self._types, self._errors = genai.types, importlib.import_module("google.genai.errors")
            options = self._types.HttpOptions(base_url=self.base_url, timeout=int(self.timeout_s * 1000))
            self._client = genai.Client(api_key=self._secret, vertexai=False, http_options=options)
        return self._client

    def _raise(self, exc: BaseException, op: str) -> BaseException:
        if self._errors is not None and isinstance(exc, self._errors.APIError):
            return self.outcome(int(exc.code or 0) or None, str(exc.message or exc), op)
        name = type(exc).__name__
        if name in ("ConnectError", "ConnectTimeout", "ClientConnectorError"):
            return self.outcome(None, name, op, not_sent=True)
        if name in ("ReadTimeout", "ReadError", "RemoteProtocolError", "ServerDisconnectedError",
                    "ClientOSError", "TimeoutError", "WriteError"):
            return self.outcome(None, name, op)
        return exc

    async def create(self, params: VideoParams) -> tuple[dict[str, Any], dict[str, str]]:
        client = await self._sdk()
        types = self._types
        aspect, resolution = _aspect_and_resolution(params.size)
        config: dict[str, Any] = {"duration_seconds": int(params.seconds), "aspect_ratio": aspect,
                                  "number_of_videos": 1}
        if params.model.startswith("veo-3"):
            config["resolution"] = resolution  # Veo 2 is 720p only and takes no resolution
        image = None
        if params.reference is not None:
            image = types.Image(image_bytes=params.reference.data, mime_type=params.reference.mime)
        try:
            operation = await client.aio.models.generate_videos(
                model=params.model, source=types.GenerateVideosSource(prompt=params.prompt, image=image),
                config=types.GenerateVideosConfig(**config))
        except Exception as exc:
            raise self._raise(exc, "create") from None
        video = {"id": operation.name, "object": "video", "status": "queued", "progress": None,
                 "model": params.model, "size": params.size, "seconds": params.seconds, "prompt": params.prompt,
                 "created_at": int(time.time())}
        return self._merge(video, operation), {}

    async def retrieve(self, video_id: str) -> tuple[dict[str, Any], dict[str, str]]:
        client = await self._sdk()
        try:
            operation = await client.aio.operations.get(self._types.GenerateVideosOperation(name=video_id))
        except Exception as exc:
            raise self._raise(exc, "retrieve") from None
        return self._merge({"id": video_id, "object": "video", "progress": None}, operation), {}

    def _merge(self, video: dict[str, Any], operation: Any) -> dict[str, Any]:
        """The operation as a protocol video: running, completed (its sample kept for the download), failed."""
        if not operation.done:
            video["status"] = "in_progress" if video.get("status") != "queued" else "queued"
            return video
        if operation.error:
            error = operation.error if isinstance(operation.error, dict) else {}
            video["status"] = "failed"
            video["error"] = failure(f"veo_error_{error.get('code', 'unknown')}",
                                     self._clean(str(error.get("message") or "Veo reported the operation failed")))
            return video
        response = operation.response
        samples = list(getattr(response, "generated_videos", None) or [])
        if samples and samples[0].video is not None:
            self._samples[str(video["id"])] = samples[0].video
            video["status"] = "completed"
            # seen here, to the fraction: whole seconds could date a short job before its own submission,
            # and the journal's typical render times (the card's "~M:SS left") skip such rows
            video["completed_at"] = time.time()
            return video
        reasons = list(getattr(response, "rai_media_filtered_reasons", None) or [])
        count = getattr(response, "rai_media_filtered_count", None)
        reason = "; ".join(reasons) or "Veo returned no video and no reason"
        video["status"] = "failed"
        video["error"] = failure("moderation_blocked",
                                 f"Veo filtered the video (raiMediaFilteredCount {count or 0}): {reason}", "prompt")
        return video

    async def download(self, video_id: str, variant: str, dest: Path) -> dict[str, str]:
        if variant != "video":
            raise Gone(f"{self.label} has no {variant} (it is made locally from the MP4)")
        sample = self._samples.get(video_id)
        if sample is None:  # an earlier process saw it finish: ask again for the sample's uri
            video, _headers = await self.retrieve(video_id)
            sample = self._samples.get(video_id)
            if sample is None:
                raise Gone(f"{self.label} has no video for {video_id} ({video.get('status')})")
        client = await self._sdk()
        part = dest.with_name(dest.name + ".part")
        try:
            await client.aio.files.download(file=sample, destination=str(part))
        except Exception as exc:
            part.unlink(missing_ok=True)
            raise self._raise(exc, "download video") from None
        return {"content-length": str(part.stat().st_size), "content-type": "video/mp4"}

    async def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aio.aclose()
