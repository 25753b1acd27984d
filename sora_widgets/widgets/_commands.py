"""Commands every job view answers: media bytes (one, or previews in batches), download, remix, delete, retry.

The slow ones (waiting for a download, reading an MP4, deleting on the backend, building the engine for a
remix/retry) return a Future, so the shell thread answers the next message at once.
"""

from __future__ import annotations

import concurrent.futures
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import SoraWidgetsError
from ._base import Reply, command, in_background
from ._export import ExportCommand
from ._summary import download_name, mime_of

if TYPE_CHECKING:
    from ..job import VideoJob

__all__ = ["MAX_PREVIEW_BATCH", "MEDIA_WAIT_S", "PREVIEW_VARIANTS", "JobCommands"]

#: How long a media request waits for a just-completed job's download (the browser waits 120 s for a video).
MEDIA_WAIT_S = 60.0
#: Most jobs one ``previews`` command answers (the browser asks a page at a time, in chunks of at most 100).
MAX_PREVIEW_BATCH = 200
#: Media variants a ``previews`` batch carries; the MP4 only ever goes one at a time, on play.
PREVIEW_VARIANTS = ("thumbnail", "spritesheet")


class JobCommands(ExportCommand):
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
        "export": "_cmd_export",
    }

    def _job_for(self, job_id: Any) -> VideoJob:
        raise NotImplementedError

    def _adopt(self, job: VideoJob) -> None:
        raise NotImplementedError

    def _peek_job(self, job_id: Any) -> VideoJob:
        """The job whose previews are read (nothing is done to it); the gallery need not keep it."""
        return self._job_for(job_id)

    @staticmethod
    def _await_media(job: VideoJob) -> None:
        """A job reports ``completed`` a moment before its media step has saved the files: wait for it."""
        if job.status == "completed" and not job.done:
            try:
                job.wait(timeout=MEDIA_WAIT_S)
            except TimeoutError:
                pass  # answered below as "no video on this machine"

    @command
    def _cmd_media(self, args: dict[str, Any], buffers: list[Any]) -> Any:
        job = self._job_for(args.get("job_id"))
        if args.get("variant") not in ("thumbnail", "spritesheet", "video"):
            raise SoraWidgetsError(
                f"unknown media variant {args.get('variant')!r}; allowed: thumbnail, spritesheet, video"
            )
        return in_background(lambda: self._media(job, args))

    def _media(self, job: VideoJob, args: dict[str, Any]) -> Reply:
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

    @command
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
                job = self._peek_job(job_id)
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

    @command
    def _cmd_download(self, args: dict[str, Any], buffers: list[Any]) -> Any:
        """The MP4 for the browser to save: ``{filename, mime, size}`` + ``buffers[0]`` = the bytes. Nothing is
        written on the kernel's side (``job.video_path`` already holds the journal's copy)."""
        job = self._job_for(args.get("job_id"))
        return in_background(lambda: self._download(job))

    def _download(self, job: VideoJob) -> Reply:
        self._await_media(job)
        src = job.video_path
        if job.status != "completed" or src is None or not src.exists():
            raise SoraWidgetsError(f"{job.id} has no video to download (status {job.status})")
        data = src.read_bytes()
        return {"filename": download_name(job), "mime": "video/mp4", "size": len(data)}, [data]

    @command
    def _cmd_remix(self, args: dict[str, Any], buffers: list[Any]) -> Any:
        job = self._job_for(args.get("job_id"))

        def run() -> Reply:
            new = job.remix(args.get("prompt"))  # type: ignore[arg-type]  # the session validates it
            self._adopt(new)
            return {"job_id": new.id}, []

        return in_background(run)

    @command
    def _cmd_delete(self, args: dict[str, Any], buffers: list[Any]) -> Any:
        job = self._job_for(args.get("job_id"))
        # A running job's Cancel is this command too: it ends ``cancelled`` (retryable), a finished one is deleted.
        # Either raises at once when this job's backend is not the configured one.
        session = job._session
        deleting = session.cancel(job) if job.status in ("queued", "in_progress") else session.delete(job)
        answer: concurrent.futures.Future[Reply] = concurrent.futures.Future()

        def finished(done: concurrent.futures.Future[None]) -> None:
            exc = done.exception()
            if exc is not None:
                answer.set_exception(exc)
            else:
                answer.set_result(({"job_id": job.id, "status": job.status}, []))

        deleting.add_done_callback(finished)
        return answer

    @command
    def _cmd_retry(self, args: dict[str, Any], buffers: list[Any]) -> Any:
        job = self._job_for(args.get("job_id"))

        def run() -> Reply:
            new = job.retry()
            self._adopt(new)
            return {"job_id": new.id}, []

        return in_background(run)
