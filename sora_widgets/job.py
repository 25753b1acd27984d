"""VideoJob: one generation, as widgets, magics and scripts see it.

A job mirrors its journal row. There is one object per journal row per process, kept by the
:class:`~sora_widgets.session.Session` of its ``home`` for its whole life: ``sw.configure()`` replaces the engine
behind the session, never the job. The engine thread changes a job and then calls the ``on_change`` callbacks
(on that thread); any thread may read it, ``wait()`` on it, or ``await`` it from another event loop.

A job read from the journal (an earlier process's) starts nothing; the first ``wait()``, ``await``,
``on_change()`` subscription (a widget showing it) or action attaches it to the engine, which then polls it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import (
    AuthenticationError,
    BackendUnavailableError,
    ContentPolicyError,
    DiskFullError,
    RateLimitError,
    SoraWidgetsError,
    StorageError,
    ValidationError,
)
from .media import SpriteGeometry
from .redact import redact
from .vocab import STATUSES, TERMINAL

if TYPE_CHECKING:
    from .session import Session

__all__ = ["STATUSES", "JobError", "VideoJob"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobError:
    """Why a job failed (or why its media are missing).

    Attributes
    ----------
    code
        Machine-readable: the backend's code (``moderation_blocked``, ...) or ours (``download_failed``,
        ``unknown_outcome``, ``rate_limited``, ``backend_unavailable``, ``invalid_request``, ``auth``).
    message
        Readable text for people (never contains a key).
    blocked_input
        ``"prompt"``, ``"image"`` or None when the backend did not say.
    retryable
        True when trying again (``job.retry()`` or ``sw.resume()``) may help.
    """

    code: str
    message: str
    blocked_input: str | None = None
    retryable: bool = False

    def __post_init__(self) -> None:
        # The one door for every job error (the backend's own text too): stored, shown and sent to widgets
        # only after redaction, so a backend that echoes the caller's key never leaks it.
        object.__setattr__(self, "message", redact(str(self.message)))
        object.__setattr__(self, "code", redact(str(self.code)))

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> JobError | None:
        if not data:
            return None
        return cls(
            code=str(data.get("code") or "error"),
            message=str(data.get("message") or ""),
            blocked_input=data.get("blocked_input"),
            retryable=bool(data.get("retryable")),
        )

    @classmethod
    def from_exception(cls, exc: BaseException) -> JobError:
        if isinstance(exc, ContentPolicyError):
            return cls(exc.code or "moderation_blocked", exc.message, exc.blocked_input, False)
        if isinstance(exc, AuthenticationError):
            return cls("auth", exc.message, None, False)
        if isinstance(exc, RateLimitError):
            return cls("rate_limited", exc.message, None, True)
        if isinstance(exc, BackendUnavailableError):
            return cls("backend_unavailable", exc.message, None, True)
        if isinstance(exc, ValidationError):
            return cls("invalid_request", exc.message, None, False)
        if isinstance(exc, DiskFullError):
            return cls("disk_full", exc.message, None, True)
        if isinstance(exc, StorageError):
            return cls("storage", exc.message, None, True)
        message = exc.message if isinstance(exc, SoraWidgetsError) else f"{type(exc).__name__}: {exc}"
        return cls("error", message, None, True)

    def exception(self) -> SoraWidgetsError:
        """The typed exception for this error (what ``sw.generate`` raises)."""
        if self.code in ("moderation_blocked",) or "moderation" in self.code or self.blocked_input:
            return ContentPolicyError(self.message, self.blocked_input, self.code)
        if self.code == "auth":
            return AuthenticationError(self.message)
        if self.code == "rate_limited":
            return RateLimitError(self.message)
        if self.code in ("backend_unavailable", "unknown_outcome"):
            return BackendUnavailableError(self.message)
        if self.code == "invalid_request":
            return ValidationError(self.message)
        if self.code == "disk_full":
            return DiskFullError(self.message)
        if self.code == "storage":
            return StorageError(self.message)
        return SoraWidgetsError(self.message)


def _path(value: Any) -> Path | None:
    return Path(value) if value else None


class VideoJob:
    """One video generation. Get one from :func:`sora_widgets.submit`; never construct it directly.

    Attributes
    ----------
    id : str
        Local journal id (``job_<hex>``), stable across restarts.
    video_id : str or None
        The backend's id, None until the create is acknowledged.
    status : str
        ``pending`` (journaled, not yet acknowledged), ``queued``, ``in_progress``, ``completed``, ``failed``,
        ``cancelled`` (stopped before it finished, by you or on the backend: not a failure, ``retry()`` works),
        ``expired``, ``deleted`` or ``unknown`` (create outcome unknown and the backend cannot list).
    progress : float or None
        0..100, None when the backend reports none (indeterminate; use ``elapsed_s``).
    eta_s : float or None
        Estimated seconds to completion, from the progress rate.
    error : JobError or None
    cost_usd : float or None
        Estimated cost; None when the profile has no price.
    video_path, thumbnail_path, spritesheet_path : pathlib.Path or None
        Set once downloaded (or made locally).
    sprite : SpriteGeometry or None
        Layout of the spritesheet.
    """

    def __init__(self, session: Session, row: dict[str, Any]) -> None:
        self._session = session
        self._listeners: list[Callable[[VideoJob], Any]] = []
        self._listeners_lock = threading.Lock()
        self._finished: concurrent.futures.Future[VideoJob] = concurrent.futures.Future()
        self._changed = threading.Event()  # set on every change (what a waiter at exit watches)
        self.id: str = row["id"]
        self.backend: str = row.get("backend_label") or row.get("backend_key") or ""
        self.backend_key: str = row.get("backend_key") or ""
        self.prompt: str = row["prompt"]
        self.model: str = row["model"]
        self.size: str = row["size"]
        self.seconds: str = str(row["seconds"])
        self.cost_usd: float | None = row.get("cost_usd")
        self.remixed_from: str | None = row.get("remixed_from")
        self.seed: int | None = row.get("seed")  # the take's seed, when one was asked for
        self.promoted_from: str | None = row.get("promoted_from")  # the draft this job re-renders
        self.extended_from: str | None = row.get("extended_from")  # the job whose video this one continues
        self.created_at: float = float(row.get("created_at") or time.time())
        self._eta_deadline: float | None = None
        self._load(row)
        if self.status in TERMINAL and not self.media_missing:
            self._finished.set_result(self)  # nothing more will happen to it

    def _load(self, row: dict[str, Any]) -> None:
        from .store import loads

        self.video_id: str | None = row.get("video_id")
        self.status: str = row.get("status") or "pending"
        self.progress: float | None = row.get("progress")
        self.completed_at: float | None = row.get("completed_at")
        self.error: JobError | None = JobError.from_dict(loads(row.get("error_json")))
        if self.status == "failed" and self.error is not None and self.error.code == "cancelled":
            self.status = "cancelled"  # journaled before ``cancelled`` was a status of its own
        self.video_path: Path | None = _path(row.get("video_path"))
        self.thumbnail_path: Path | None = _path(row.get("thumbnail_path"))
        self.spritesheet_path: Path | None = _path(row.get("spritesheet_path"))
        sprite = loads(row.get("sprite_json"))
        self.sprite: SpriteGeometry | None = SpriteGeometry(**sprite) if sprite else None

    # ------------------------------------------------------------------ read-only views

    @property
    def eta_s(self) -> float | None:
        """Estimated seconds until completion, counted from now (it runs down between status requests)."""
        if self._eta_deadline is None:
            return None
        return max(0.0, self._eta_deadline - time.time())

    @eta_s.setter
    def eta_s(self, value: float | None) -> None:
        self._eta_deadline = None if value is None else time.time() + float(value)

    @property
    def elapsed_s(self) -> float:
        end = self.completed_at if self.completed_at else time.time()
        return max(0.0, end - self.created_at)

    @property
    def media_missing(self) -> bool:
        """Completed, but the MP4 is not on this machine (not downloaded yet, or the download failed)."""
        return self.status == "completed" and not (self.video_path and self.video_path.exists())

    @property
    def done(self) -> bool:
        """True once the job is terminal and its media step (download / local variants) has finished."""
        return self._finished.done()

    def __repr__(self) -> str:
        progress = "?" if self.progress is None else f"{self.progress:.0f}%"
        prompt = self.prompt if len(self.prompt) <= 40 else self.prompt[:37] + "..."
        return f"<VideoJob {self.id} {self.status} {progress} {self.model} {self.size} {self.seconds}s {prompt!r}>"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe summary (no key, no bytes)."""
        return {
            "id": self.id,
            "video_id": self.video_id,
            "backend": self.backend,
            "prompt": self.prompt,
            "model": self.model,
            "size": self.size,
            "seconds": self.seconds,
            "status": self.status,
            "progress": self.progress,
            "eta_s": self.eta_s,
            "elapsed_s": round(self.elapsed_s, 3),
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "error": self.error.to_dict() if self.error else None,
            "cost_usd": self.cost_usd,
            "video_path": str(self.video_path) if self.video_path else None,
            "thumbnail_path": str(self.thumbnail_path) if self.thumbnail_path else None,
            "spritesheet_path": str(self.spritesheet_path) if self.spritesheet_path else None,
            "sprite": self.sprite.to_dict() if self.sprite else None,
            "remixed_from": self.remixed_from,
            "seed": self.seed,
            "promoted_from": self.promoted_from,
            "extended_from": self.extended_from,
            "done": self.done,
        }

    # ------------------------------------------------------------------ events

    def on_change(self, callback: Callable[[VideoJob], Any]) -> Callable[[], None]:
        """Call ``callback(job)`` after every change (on the engine thread). Returns an unsubscribe function.

        Someone is watching: a job still in flight (also one of an earlier process) is attached to the engine."""
        with self._listeners_lock:
            self._listeners.append(callback)
        if not self.done:
            try:
                self._session.follow(self)
            except Exception:  # e.g. the embedded emulator did not start: wait()/actions will say so
                log.exception("could not attach %s to the engine", self.id)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def _notify(self) -> None:
        self._changed.set()
        with self._listeners_lock:
            listeners = list(self._listeners)
        for callback in listeners:
            try:
                callback(self)
            except Exception:  # a widget's bug must not stop the engine
                log.exception("on_change callback %r failed for %s", callback, self.id)

    def _update(self, **changes: Any) -> None:
        """Engine-side: set attributes, then notify."""
        for name, value in changes.items():
            setattr(self, name, value)
        self._notify()

    def _reload(self, row: dict[str, Any]) -> None:
        """Follower side: the row another process (the job's owner) wrote; finish once the owner has."""
        self._load(row)
        owner_done = self.status in TERMINAL and (
            self.status != "completed" or (not self.media_missing and self.thumbnail_path is not None)
            or (self.error is not None and self.error.code in ("download_failed", "disk_full")))
        if owner_done:
            self._finish()
        else:
            self._notify()

    def _finish(self) -> None:
        if not self._finished.done():
            self._finished.set_result(self)
        self._notify()

    # ------------------------------------------------------------------ waiting

    def _drive(self) -> None:
        """Make sure something drives this job to its end, or say why nothing can."""
        if self.done:
            return
        reason = self._session.follow(self)
        if reason is not None:
            raise BackendUnavailableError(f"{self.id} cannot finish here: {reason}")

    def wait(self, timeout: float | None = None) -> VideoJob:
        """Block until the job is done (terminal, media fetched); returns the job. Never raises for a failed
        job: look at ``job.error``. A job of an earlier process is attached to the engine first (no
        ``sw.resume()`` needed). Raises TimeoutError after ``timeout`` seconds, BackendUnavailableError at once
        when the job belongs to a backend that is not the configured one (it could never finish)."""
        self._drive()
        try:
            return self._finished.result(timeout)
        except concurrent.futures.TimeoutError:
            raise TimeoutError(f"{self.id} not done after {timeout}s (status {self.status})") from None

    def __await__(self) -> Generator[Any, None, VideoJob]:
        return self._await().__await__()

    async def _await(self) -> VideoJob:
        self._drive()
        await asyncio.wrap_future(self._finished)
        return self

    # ------------------------------------------------------------------ actions
    # Through the session, which checks that this job's backend is the configured one (else a clear
    # BackendUnavailableError) and hands the work to the current engine.

    def remix(self, prompt: str) -> VideoJob:
        """A new job that remixes this completed video with ``prompt``."""
        return self._session.remix(self, prompt)

    def delete(self) -> None:
        """Delete the video on the backend (when it can) and the local media; status becomes ``deleted``."""
        self._session.delete(self).result(60)

    def cancel(self) -> None:
        """Stop this running job (the backend's delete, when it has one); status becomes ``cancelled``, and
        ``retry()`` renders it again. A job that already ended is left as it is."""
        self._session.cancel(self).result(60)

    def retry(self) -> VideoJob:
        """A new job with the same parameters (no cache)."""
        return self._session.retry(self)

    def extend(self, prompt: str, *, seconds: int | str | None = None, cache: bool = True) -> VideoJob:
        """A new job: this completed video continued by ``prompt`` for ``seconds`` more (the backend's extensions
        endpoint). Its video is the whole continued clip; its ``extended_from`` is this job's id. ``cache``: the
        same extension of the same video is not paid twice."""
        return self._session.extend(self, prompt, seconds, cache)

    def promote(self, *, model: str | None = None, size: str | None = None,
                seconds: int | str | None = None) -> VideoJob:
        """Draft to final: this completed take rendered again (same prompt, reference and seed) with ``model`` /
        ``size`` / ``seconds`` (default: this job's). The new job's ``promoted_from`` is this job's id."""
        return self._session.promote(self, model, size, seconds)

    # ------------------------------------------------------------------ exports (sora_widgets.export)

    def export(self, dst: str | Path, **options: Any) -> Any:
        """Write this video (trimmed, resized) as GIF / MP4 / WebM: :func:`sora_widgets.export.export`."""
        from .export import export

        return export(self, dst, **options)

    def frame(self, t: float) -> Any:
        """The frame shown at ``t`` seconds, as a ``PIL.Image``."""
        from .export import frame

        return frame(self, t)

    def contact_sheet(self, cols: int = 4, **options: Any) -> Any:
        """Evenly spaced frames of this video as one image (:func:`sora_widgets.export.contact_sheet`)."""
        from .export import contact_sheet

        return contact_sheet(self, cols, **options)
