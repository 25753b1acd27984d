"""Job summaries for the front end, and what the widgets read of the configured backend (starts nothing)."""

from __future__ import annotations

import mimetypes
import statistics
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SoraWidgetsError, redact
from ..vocab import IN_FLIGHT, TERMINAL

if TYPE_CHECKING:
    from ..job import VideoJob
    from ..profiles import BackendProfile

__all__ = [
    "backend_state", "describe_error", "download_name", "is_mine", "mime_of", "profile_object", "summarize",
    "typical_seconds",
]

#: The journal is read again for typical render times at most this often (a widget's constructor or command
#: asks; finishing jobs seen by summaries are added in between).
TYPICAL_REFRESH_S = 1.0
#: The most recent completed renders of one choice a typical time is taken from.
TYPICAL_SAMPLE = 20

_MIME = {
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".mp4": "video/mp4",
}


def describe_error(exc: BaseException) -> str:
    """Words for the browser: our own errors as they are, anything else with its type; never a key."""
    if isinstance(exc, SoraWidgetsError):
        return exc.message
    if isinstance(exc, KeyError) and exc.args:
        return redact(str(exc.args[0]))
    text = str(exc) or type(exc).__name__
    return redact(f"{type(exc).__name__}: {text}")


def mime_of(path: Path) -> str:
    return _MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def download_name(job: VideoJob) -> str:
    """``<job id>.mp4``, safe as a file name (backend ids can run to 270 characters: LiteLLM's are base64)."""
    base = job.id
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in base)
    return f"{safe}.mp4"


def profile_object(info: Mapping[str, Any]) -> BackendProfile:
    """The configured :class:`BackendProfile` from ``sw.backend_info()``: its ``profile_object`` (also an
    unregistered profile), else the registered profile of that name, else the default. Starts nothing."""
    from ..profiles import DEFAULT_PROFILE, BackendProfile, get_profile

    obj = info.get("profile_object")
    if isinstance(obj, BackendProfile):
        return obj
    name = info.get("profile")
    if isinstance(name, BackendProfile):
        return name
    if isinstance(name, str):
        try:
            return get_profile(name)
        except KeyError:
            pass
    return DEFAULT_PROFILE


class _BackendFacts:
    """What summaries need of a backend but must not ask the api for (they are made on the engine thread, and
    the api's lock is held by ``sw.configure()`` while it joins that thread): whether it can cancel (delete)
    a running job, and typical render times from its journal. Filled by :func:`backend_state`, which runs on
    the widget's constructing thread and on commands."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.cancel_ok: dict[str, bool] = {}
        self.typical: dict[str, dict[tuple[str, str, str], float]] = {}
        self._read_at: dict[str, float] = {}

    def learn(self, key: str, profile: BackendProfile) -> None:
        with self._lock:
            self.cancel_ok[key] = bool(profile.supports("delete"))
            fresh = time.monotonic() - self._read_at.get(key, float("-inf")) < TYPICAL_REFRESH_S
            if fresh:
                return
            self._read_at[key] = time.monotonic()
        table = _typical_table(key)
        with self._lock:
            self.typical[key] = table

    def note(self, job: VideoJob) -> None:
        """A completed job seen by a summary (engine thread, no api call): its time counts from now on."""
        if job.status != "completed" or job.created_at is None or job.completed_at is None:
            return
        choice = (job.model, job.size, str(job.seconds))
        with self._lock:
            table = self.typical.setdefault(job.backend_key or "", {})
            if choice not in table:
                table[choice] = round(job.completed_at - job.created_at, 1)


_facts = _BackendFacts()


def _typical_table(backend_key: str) -> dict[tuple[str, str, str], float]:
    """``{(model, size, seconds): median seconds from submit to completed}`` over this backend's journal."""
    import sora_widgets as sw

    # one query, no job object per row: a journal of 10,000 jobs is read again every TYPICAL_REFRESH_S
    samples = sw.job_catalog().render_times(backend_key)
    return {k: round(statistics.median(v[-TYPICAL_SAMPLE:]), 1) for k, v in samples.items()}


def typical_seconds(job: VideoJob) -> float | None:
    """How long renders like ``job``'s (same backend, model, size, seconds) took here, None when unknown."""
    table = _facts.typical.get(job.backend_key or "")
    if not table:
        return None
    return table.get((job.model, job.size, str(job.seconds)))


def backend_state() -> tuple[BackendProfile, str]:
    """(profile, backend_key) of the configured backend (``sw.backend_info()``; starts nothing). Also notes
    what summaries of its jobs need (cancel support, typical render times)."""
    import sora_widgets as sw

    info = sw.backend_info()
    profile, key = profile_object(info), str(info.get("backend_key") or "")
    try:
        _facts.learn(key, profile)
    except Exception:  # a journal that cannot be read costs the "usually ~N" hint, nothing else
        pass
    return profile, key


def is_mine(job: VideoJob, backend_key: str | None) -> bool:
    """Whether ``job`` belongs to the configured backend (``backend_key`` from ``sw.backend_info()``), i.e.
    whether its actions work. Keys, not labels: labels journaled before they carried the port lack it.
    ``backend_key=None``: unknown, assume it does."""
    if backend_key is None:
        return True
    key = job.backend_key or ""
    if not key:
        return False
    return key == backend_key  # both stored and shown cleaned of credentials and query


def summarize(job: VideoJob, *, remix_ok: bool = True, backend_key: str | None = None) -> dict[str, Any]:
    """The JSON-safe view of a job the front end renders (``Item`` in sora.js). No key, no bytes, no paths.

    ``remix_ok``: the backend can remix. ``backend_key``: the configured backend's
    (``sw.backend_info()["backend_key"]``); actions on jobs of another backend fail, so their buttons are hidden.
    """
    mine = is_mine(job, backend_key)
    status = job.status
    running = status in IN_FLIGHT
    _facts.note(job)
    error = job.error
    thumb = job.thumbnail_path
    sheet = job.spritesheet_path
    video = job.video_path
    return {
        "job_id": job.id,
        "video_id": job.video_id,
        "backend": job.backend,
        "status": status,
        "progress": None if job.progress is None else float(job.progress),
        "eta_s": None if job.eta_s is None else round(float(job.eta_s), 1),
        "elapsed_s": round(float(job.elapsed_s), 1),
        "prompt": job.prompt,
        "model": job.model,
        "size": job.size,
        "seconds": str(job.seconds),
        "cost_usd": job.cost_usd,
        "error": None
        if error is None
        else {
            "code": error.code,
            "message": redact(error.message),
            "blocked_input": error.blocked_input,
            "retryable": bool(error.retryable) and mine,
        },
        "sprite": job.sprite.to_dict() if job.sprite is not None else None,
        "remixed_from": job.remixed_from,
        "promoted_from": getattr(job, "promoted_from", None),
        "created_at": job.created_at,
        "completed_at": job.completed_at,
        "has_thumbnail": bool(thumb and thumb.exists()),
        "has_spritesheet": bool(sheet and sheet.exists()),
        "has_video": bool(video and video.exists()),
        "can_remix": bool(remix_ok and mine and status == "completed" and job.video_id),
        "can_delete": bool(mine and status in TERMINAL and status != "deleted"),
        # Cancel is the backend's delete: offered on running jobs of a backend that has it, once acknowledged
        "can_cancel": bool(
            mine
            and running
            and status != "pending"
            and job.video_id
            and _facts.cancel_ok.get(job.backend_key or "", True)
        ),
        "typical_s": typical_seconds(job) if running else None,
    }
