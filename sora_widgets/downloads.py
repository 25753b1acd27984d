"""Fetching a finished video's media: the MP4 (verified, retried, never re-generated), then its thumbnail and
spritesheet, downloaded when the backend has variants, else made locally from the MP4.

Temporary and permanent failures are told apart: network drops and 5xx are retried with backoff; a variant
answered with something else (an MP4) is permanent and teaches the engine "no variants" for this backend; a JSON
error body labelled ``video/mp4`` on a ``completed`` job ends it ``failed`` with the backend's message.

Files are named by the local job id (``home/media/<job id>/video.mp4``), never by the backend's id (LiteLLM's ids
run to 270 characters, past the 255-byte file-name limit).
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import local_media, media
from .errors import DiskFullError
from .job import JobError, VideoJob
from .outcomes import Gone, Transient, Unsupported
from .poller import backoff_delay
from .store import dumps

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["fetch_media"]

log = logging.getLogger(__name__)

MAX_DOWNLOAD_ATTEMPTS = 25  # with jittered backoff capped at 8 s: minutes of a flaky server, never a re-create
MAX_BAD_BODY_ATTEMPTS = 2  # a body that is not what was asked for (a JSON error as video/mp4): once more, then stop


class WrongMedia(Exception):
    """The backend answered a variant with something else (LiteLLM: the MP4 for ``thumbnail``): permanent."""

    def __init__(self, variant: str, got: str) -> None:
        super().__init__(f"asked for the {variant}, got {got}")
        self.variant = variant
        self.got = got


class ErrorBody(Exception):
    """The content route answered a JSON error (LiteLLM in front of a filtered Veo job: 200, ``video/mp4``)."""


def sniff(path: Path, content_type: str | None) -> str:
    """What a downloaded body is: ``mp4``, ``image``, ``json`` or ``other`` (by its first bytes)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG")) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head.lstrip()[:1] in (b"{", b"[") or "json" in (content_type or ""):
        return "json"
    return "other"


def error_message(path: Path) -> str:
    """The backend's message inside a JSON error body (Google's or OpenAI's shape), else the text itself."""
    text = path.read_text(errors="replace")[:2000]
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip()
    inner = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(inner, dict):
        return str(inner.get("message") or inner.get("detail") or inner)
    return str(inner)


async def fetch_media(eng: Engine, job: VideoJob) -> None:
    """Download the MP4 (retrying, never re-generating), then thumbnail/spritesheet (downloaded or made)."""
    if eng._download_sem is None:
        eng._download_sem = asyncio.Semaphore(4)
    eng._active.add(job.id)
    try:
        async with eng._download_sem:
            await fetch_media_inner(eng, job)
    except asyncio.CancelledError:
        # the engine is being replaced: not done, the session's next engine fetches the media
        eng._active.discard(job.id)
        raise
    except Exception as exc:
        if isinstance(exc, (Transient, ValueError, ErrorBody)):
            log.warning("media for %s could not be downloaded: %s", job.id, exc)
        else:
            log.exception("media step for %s failed", job.id)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            exc = DiskFullError(f"the disk holding {eng.journal.media_root} is full ({exc.strerror})")
        if isinstance(exc, DiskFullError):  # not retried 25 times: nothing gets better until space is freed
            error = JobError("disk_full", f"media for {job.id} could not be saved: {exc.message}. Free some "
                             "space, then sw.resume() downloads it (the video is not generated again)", None, True)
        else:
            error = JobError("download_failed", f"media for {job.id} could not be saved ({exc}); the video is "
                             "not generated again: sw.resume() retries the download", None, True)
        eng.journal.update(job.id, error_json=dumps(error.to_dict()))
        job._update(error=error)
        eng._release(job)
    else:
        eng._release(job)


async def download_verified(eng: Engine, job: VideoJob, variant: str, dest: Path) -> dict[str, str] | None:
    """One asset to ``dest`` (atomic rename after verifying), with retries. None when the backend says 404.

    Network drops and 5xx are retried with backoff; a body of the wrong kind is not: :class:`WrongMedia` for a
    variant at once, :class:`ErrorBody` (or ValueError) for the video after :data:`MAX_BAD_BODY_ATTEMPTS`."""
    assert job.video_id is not None
    part = dest.with_name(dest.name + ".part")
    for attempt in range(1, MAX_DOWNLOAD_ATTEMPTS + 1):
        try:
            headers = await eng.client.download(job.video_id, variant, dest)
            kind = await asyncio.to_thread(sniff, part, headers.get("content-type"))
            if variant == "video":
                if kind == "json":
                    raise ErrorBody(await asyncio.to_thread(error_message, part))
                await asyncio.to_thread(local_media.probe_video, part)
            elif kind != "image":
                raise WrongMedia(variant, f"{headers.get('content-type') or 'no type'} ({kind})")
            else:
                await asyncio.to_thread(_check_image, part)
            part.replace(dest)
            return headers
        except Gone:
            return None
        except WrongMedia:
            part.unlink(missing_ok=True)
            raise
        except Unsupported as exc:  # vLLM-Omni: 400 "only serves variant=video"
            raise WrongMedia(variant, str(exc)) from None
        except (Transient, ValueError, ErrorBody) as exc:
            part.unlink(missing_ok=True)
            permanent = not isinstance(exc, Transient)
            if attempt == MAX_DOWNLOAD_ATTEMPTS or (permanent and attempt >= MAX_BAD_BODY_ATTEMPTS):
                raise
            retry_after = exc.retry_after_s if isinstance(exc, Transient) else None
            log.info("download %s of %s failed (%s); retry %d", variant, job.id, exc, attempt)
            await asyncio.sleep(backoff_delay(attempt, retry_after, base_s=0.25, cap_s=8.0))
    return None


async def download_variants(eng: Engine, job: VideoJob, thumb: Path, sheet: Path) -> media.SpriteGeometry | None:
    """Thumbnail and spritesheet from the backend, when it has them. The first answer tells (and is
    remembered): while nobody knows yet, one job at a time asks, so at most one request per backend is wasted."""
    if eng._variant_lock is None:
        eng._variant_lock = asyncio.Lock()
    probing = eng.caps.known("variants") is None
    try:
        if probing:
            async with eng._variant_lock:
                if eng.caps.allows("variants"):
                    await download_verified(eng, job, "thumbnail", thumb)
                    eng.caps.learn("variants", True, "a thumbnail came back as an image")
        elif eng.caps.allows("variants"):
            await download_verified(eng, job, "thumbnail", thumb)
        if not eng.caps.allows("variants"):
            return None
        headers = await download_verified(eng, job, "spritesheet", sheet)
        return media.SpriteGeometry.from_headers(headers or {}) if sheet.exists() else None
    except WrongMedia as exc:
        eng.caps.learn("variants", False, str(exc))
    except (Transient, ValueError, ErrorBody) as exc:
        log.info("variants of %s unavailable (%s); making them locally", job.id, exc)
    return None


async def fetch_media_inner(eng: Engine, job: VideoJob) -> None:
    folder = eng.journal.media_dir(job.id)
    for stale in folder.glob("*.part"):  # the lease holder is the only writer: a .part left is a dead one's
        stale.unlink(missing_ok=True)
    video_path = folder / "video.mp4"
    if not video_path.exists():
        try:
            headers = await download_verified(eng, job, "video", video_path)
        except ErrorBody as exc:  # "completed" on the status route, an error on the content route
            eng._fail(job, JobError("generation_failed", f"the backend reports: {exc}", None, True))
            return
        if headers is None:
            row = eng.journal.get(job.id) or {}
            expired = row.get("expires_at") and time.time() > float(row["expires_at"])
            reason = "expired before it was downloaded" if expired else "was not found for download (404)"
            eng._fail(job, JobError("expired", f"the video {job.video_id} {reason}", None, False),
                       status="expired")
            return
    eng.journal.update(job.id, video_path=str(video_path), error_json=None)
    job._update(video_path=video_path, error=None)
    thumb, sheet = folder / "thumbnail.webp", folder / "spritesheet.jpg"
    sprite: media.SpriteGeometry | None = None
    if eng.caps.allows("variants"):
        sprite = await download_variants(eng, job, thumb, sheet)
    if sprite is None or not thumb.exists() or not sheet.exists():
        local = await asyncio.to_thread(
            local_media.make_local_variants, video_path,
            None if thumb.exists() else thumb, sheet if sprite is None else None,
        )
        sprite = sprite or local
    eng.journal.update(job.id, thumbnail_path=str(thumb), spritesheet_path=str(sheet),
                        sprite_json=dumps(sprite.to_dict()))
    job._update(thumbnail_path=thumb, spritesheet_path=sheet, sprite=sprite)


def _check_image(path: Path) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.verify()
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{path.name} is not a readable image: {exc}") from None
