"""What the three widgets share: the front-end module, the command protocol, job summaries, throttling.

Front end: one ESM module (``static/sora.js``) whose ``render`` dispatches on the ``_view`` trait, because the
card renderer is shared by the card, the panel and the gallery and anywidget's Blob-URL import rules out
relative imports between files.

Browser -> kernel actions are commands, not trait writes (a trait change from the browser can stall while a
cell runs): ``{kind: "sora-request", id, cmd, args}`` (+ buffers), always answered with
``{kind: "sora-reply", id, ok, result | error}`` (+ buffers carrying media bytes).
"""

from __future__ import annotations

import logging
import mimetypes
import shutil
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import anywidget
import traitlets as t

from ..errors import SoraWidgetsError, redact

if TYPE_CHECKING:
    from ..jobs import VideoJob
    from ..profiles import BackendProfile

__all__ = [
    "JobCommands", "SoraWidget", "Throttle", "backend_state", "describe_error", "download_name", "is_mine",
    "is_stale", "profile_object", "summarize",
]

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "static"
#: How long a media request waits for a just-completed job's download (the browser waits 120 s for a video).
MEDIA_WAIT_S = 60.0
#: Most jobs one ``previews`` command answers (the browser asks a page at a time, in chunks of at most 100).
MAX_PREVIEW_BATCH = 200
#: Media variants a ``previews`` batch carries; the MP4 only ever goes one at a time, on play.
PREVIEW_VARIANTS = ("thumbnail", "spritesheet")
TERMINAL = frozenset({"completed", "failed", "expired", "deleted", "unknown"})

#: Widget traits that ipywidgets' DOMWidget accepts and that make sense for these widgets.
_ALWAYS_ALLOWED = frozenset({"layout"})

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
    """``<video_id or job id>.mp4``, safe as a file name."""
    base = job.video_id or job.id
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


def backend_state() -> tuple[BackendProfile, str]:
    """(profile, backend_key) of the configured backend (``sw.backend_info()``; starts nothing)."""
    import sora_widgets as sw

    info = sw.backend_info()
    return profile_object(info), str(info.get("backend_key") or "")


def is_mine(job: VideoJob, backend_key: str | None) -> bool:
    """Whether ``job`` belongs to the configured backend (``backend_key`` from ``sw.backend_info()``), i.e.
    whether its actions work. Keys, not labels: labels journaled before they carried the port lack it.
    ``backend_key=None``: unknown, assume it does."""
    if backend_key is None:
        return True
    key = job.backend_key or ""
    if not key:
        return False
    if key == backend_key:
        return True
    from ..client import public_url  # the api shows a key without credentials

    return public_url(key) == backend_key


def is_stale(job: VideoJob) -> bool:
    """The engine ``job`` belonged to was swapped out (``sw.configure()``): the object no longer changes;
    ``sw.jobs()`` / ``sw.get_job()`` now return the live one."""
    engine = getattr(job, "_engine", None)
    return engine is not None and bool(getattr(engine, "closed", False))


def summarize(job: VideoJob, *, remix_ok: bool = True, backend_key: str | None = None) -> dict[str, Any]:
    """The JSON-safe view of a job the front end renders (``Item`` in sora.js). No key, no bytes, no paths.

    ``remix_ok``: the backend can remix. ``backend_key``: the configured backend's
    (``sw.backend_info()["backend_key"]``); actions on jobs of another backend fail, so their buttons are hidden.
    """
    mine = is_mine(job, backend_key)
    status = job.status
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
        "created_at": job.created_at,
        "completed_at": job.completed_at,
        "has_thumbnail": bool(thumb and thumb.exists()),
        "has_spritesheet": bool(sheet and sheet.exists()),
        "has_video": bool(video and video.exists()),
        "can_remix": bool(remix_ok and mine and status == "completed" and job.video_id),
        "can_delete": bool(mine and status in TERMINAL and status != "deleted"),
    }


class Throttle:
    """Coalesce calls to ``fn``: at most one run per ``interval_s``, the last change always lands.

    ``poke()`` runs ``fn`` now if the last run is older than ``interval_s``, else schedules one run at the end
    of the interval (later pokes join it). ``poke(urgent=True)`` runs now (terminal states must not wait).
    ``fn`` runs on the poking thread or a timer thread, never on two threads at once.
    """

    def __init__(self, fn: Callable[[], None], interval_s: float = 0.1) -> None:
        self._fn = fn
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._last = 0.0
        self._closed = False

    def poke(self, urgent: bool = False) -> None:
        with self._lock:
            if self._closed:
                return
            wait = self._interval_s - (time.monotonic() - self._last)
            if not urgent and self._timer is not None:
                return
            if urgent or wait <= 0:
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
                self._last = time.monotonic()
            else:
                self._timer = threading.Timer(wait, self._fire)
                self._timer.daemon = True
                self._timer.start()
                return
        self._run()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
            if self._closed:
                return
            self._last = time.monotonic()
        self._run()

    def _run(self) -> None:
        with self._run_lock:
            self._fn()

    def flush(self) -> None:
        """Run now (pending changes land), cancelling a scheduled run."""
        self.poke(urgent=True)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None


class SoraWidget(anywidget.AnyWidget):
    """Base of the sora_widgets widgets: shared front end, strict constructor, commands, visible errors."""

    _esm = STATIC / "sora.js"
    _css = STATIC / "sora.css"
    _view = t.Unicode("").tag(sync=True)

    last_error = t.Unicode("").tag(sync=True)
    """The last error raised inside a callback or command of this widget, shown under it ("" when none)."""

    #: Keyword arguments the constructor accepts (besides ``layout``); set by each widget.
    _init_kwargs: ClassVar[tuple[str, ...]] = ()
    #: command name -> method name; each method takes (args, buffers) and returns (result, buffers).
    _commands: ClassVar[dict[str, str]] = {}

    def __init__(self, **kwargs: Any) -> None:
        allowed = set(self._init_kwargs) | _ALWAYS_ALLOWED
        for name in kwargs:
            if name not in allowed:
                raise TypeError(
                    f"{type(self).__name__}() got an unexpected keyword argument {name!r}; "
                    f"allowed: {', '.join(sorted(allowed))}"
                )
        super().__init__(**kwargs)
        self.on_msg(self._on_frontend_msg)

    # ------------------------------------------------------------------ errors

    def _report(self, exc: BaseException, context: str) -> None:
        """Make an error from a callback visible under the widget (and in the log)."""
        text = f"{context}: {describe_error(exc)}"
        log.warning("%s\n%s", text, redact("".join(traceback.format_exception(exc))))
        self.last_error = text

    def _guard(self, fn: Callable[..., None], context: str) -> Callable[..., None]:
        """``fn`` wrapped so that an exception lands in ``last_error`` instead of vanishing on another thread."""

        def guarded(*args: Any) -> None:
            try:
                fn(*args)
            except Exception as exc:
                self._report(exc, context)

        return guarded

    # ------------------------------------------------------------------ commands

    def _on_frontend_msg(self, widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict) or content.get("kind") != "sora-request":
            return
        req_id = content.get("id")
        cmd = content.get("cmd")
        args = content.get("args") or {}
        method = self._commands.get(cmd) if isinstance(cmd, str) else None
        try:
            if method is None:
                raise SoraWidgetsError(
                    f"unknown command {cmd!r} for {type(self).__name__}; known: {', '.join(sorted(self._commands))}"
                )
            if not isinstance(args, dict):
                raise SoraWidgetsError(
                    f"command {cmd!r} needs an object of arguments, got {type(args).__name__}"
                )
            result, out = getattr(self, method)(args, list(buffers or []))
        except Exception as exc:
            if not isinstance(exc, SoraWidgetsError):
                log.exception("command %r of %s failed", cmd, type(self).__name__)
            self.send({"kind": "sora-reply", "id": req_id, "ok": False, "error": describe_error(exc)})
            return
        self.send({"kind": "sora-reply", "id": req_id, "ok": True, "result": result}, buffers=out or None)


class JobCommands:
    """Commands every job view answers: media bytes (one, or previews in batches), download, remix, delete, retry.

    Subclasses implement ``_job_for(job_id)`` (which jobs the view may touch) and ``_adopt(job)`` (what to
    do with the new job of a remix or retry).
    """

    _commands: ClassVar[dict[str, str]] = {
        "media": "_cmd_media",
        "previews": "_cmd_previews",
        "download": "_cmd_download",
        "remix": "_cmd_remix",
        "delete": "_cmd_delete",
        "retry": "_cmd_retry",
    }

    #: Where downloads are saved ("next to the notebook": the kernel's working directory).
    download_dir: Path | None = None

    def _job_for(self, job_id: Any) -> VideoJob:
        raise NotImplementedError

    def _adopt(self, job: VideoJob) -> None:
        raise NotImplementedError

    @staticmethod
    def _await_media(job: VideoJob) -> None:
        """A job reports ``completed`` a moment before its media step has saved the files: wait for it."""
        if job.status == "completed" and not job.done:
            try:
                job.wait(timeout=MEDIA_WAIT_S)
            except TimeoutError:
                pass  # answered below as "no video on this machine"

    def _cmd_media(self, args: dict[str, Any], buffers: list[Any]) -> tuple[Any, list[bytes]]:
        job = self._job_for(args.get("job_id"))
        self._await_media(job)
        variant = args.get("variant")
        paths = {
            "thumbnail": job.thumbnail_path,
            "spritesheet": job.spritesheet_path,
            "video": job.video_path,
        }
        if variant not in paths:
            raise SoraWidgetsError(
                f"unknown media variant {variant!r}; allowed: thumbnail, spritesheet, video"
            )
        path = paths[variant]
        if path is None or not path.exists():
            raise SoraWidgetsError(f"{job.id} has no {variant} on this machine (status {job.status})")
        return {"mime": mime_of(path), "bytes": path.stat().st_size}, [path.read_bytes()]

    def _cmd_previews(self, args: dict[str, Any], buffers: list[Any]) -> tuple[Any, list[bytes]]:
        """One variant (thumbnail or spritesheet) of many jobs in one reply: one buffer per job found.

        ``{job_ids: [...], variant}`` -> ``{items: [{job_id, mime, bytes}], missing: {job_id: reason}}``, with
        ``buffers[i]`` holding ``items[i]``'s bytes. A job without the file (still rendering, expired, not
        shown here) is listed in ``missing`` instead of failing the batch. Nothing waits for a media step:
        the browser asks once the summary says ``has_thumbnail`` / ``has_spritesheet``.
        """
        variant = args.get("variant")
        if variant not in PREVIEW_VARIANTS:
            raise SoraWidgetsError(
                f"previews carry {' or '.join(PREVIEW_VARIANTS)}, not {variant!r} (videos go one at a time)"
            )
        job_ids = args.get("job_ids")
        if not isinstance(job_ids, list) or not all(isinstance(i, str) for i in job_ids):
            raise SoraWidgetsError("previews needs job_ids: a list of job id strings")
        if len(job_ids) > MAX_PREVIEW_BATCH:
            raise SoraWidgetsError(
                f"previews takes at most {MAX_PREVIEW_BATCH} jobs at a time, got {len(job_ids)}"
            )
        items: list[dict[str, Any]] = []
        missing: dict[str, str] = {}
        out: list[bytes] = []
        for job_id in dict.fromkeys(job_ids):  # once each, in the order asked
            try:
                job = self._job_for(job_id)
                path = job.thumbnail_path if variant == "thumbnail" else job.spritesheet_path
                data = path.read_bytes() if path is not None else None
            except SoraWidgetsError as exc:
                missing[job_id] = exc.message
                continue
            except OSError:
                data = None
            if data is None:
                missing[job_id] = f"no {variant} on this machine"
                continue
            items.append({"job_id": job_id, "mime": mime_of(path), "bytes": len(data)})  # type: ignore[arg-type]
            out.append(data)
        return {"variant": variant, "items": items, "missing": missing}, out

    def _cmd_download(self, args: dict[str, Any], buffers: list[Any]) -> tuple[Any, list[bytes]]:
        job = self._job_for(args.get("job_id"))
        self._await_media(job)
        src = job.video_path
        if job.status != "completed" or src is None or not src.exists():
            raise SoraWidgetsError(f"{job.id} has no video to download (status {job.status})")
        folder = self.download_dir or Path.cwd()
        dest = folder / download_name(job)
        if not (dest.exists() and dest.stat().st_size == src.stat().st_size):
            tmp = dest.with_name(dest.name + ".part")
            shutil.copyfile(src, tmp)
            tmp.replace(dest)
        return {"path": dest.name, "filename": dest.name, "mime": "video/mp4"}, [src.read_bytes()]

    def _cmd_remix(self, args: dict[str, Any], buffers: list[Any]) -> tuple[Any, list[bytes]]:
        job = self._job_for(args.get("job_id"))
        new = job.remix(args.get("prompt"))  # type: ignore[arg-type]  # the engine validates it
        self._adopt(new)
        return {"job_id": new.id}, []

    def _cmd_delete(self, args: dict[str, Any], buffers: list[Any]) -> tuple[Any, list[bytes]]:
        job = self._job_for(args.get("job_id"))
        job.delete()
        return {"job_id": job.id, "status": job.status}, []

    def _cmd_retry(self, args: dict[str, Any], buffers: list[Any]) -> tuple[Any, list[bytes]]:
        job = self._job_for(args.get("job_id"))
        new = job.retry()
        self._adopt(new)
        return {"job_id": new.id}, []
