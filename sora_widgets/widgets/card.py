"""``sw.VideoCard(job)``: one job, live.

The card mirrors a :class:`~sora_widgets.job.VideoJob` into traits. Thumbnail and spritesheet travel as
``Bytes`` traits (binary buffers, never base64), so they reach the browser even while a cell blocks on
``job.wait()``; the MP4 is sent only when the user presses play. Scrubbing and playback stay in the browser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import ipywidgets
import traitlets as t

from ..errors import SoraWidgetsError
from ..vocab import TERMINAL
from ._base import SoraWidget, Throttle, backend_state, mime_of, summarize
from ._commands import JobCommands
from ._host import in_marimo

if TYPE_CHECKING:
    from ..job import VideoJob

__all__ = ["VideoCard"]


def _resolve_job(job: Any) -> VideoJob:
    from ..job import VideoJob

    if isinstance(job, VideoJob):
        return job
    if isinstance(job, str):
        import sora_widgets as sw

        found: VideoJob = sw.get_job(job)
        return found
    raise TypeError(
        f"VideoCard(job) needs a VideoJob (from sw.submit) or a job id string, got {type(job).__name__}"
    )


class VideoCard(JobCommands, SoraWidget):
    """A live card for one video job: status, progress, preview, playback and actions.

    Parameters
    ----------
    job
        A :class:`~sora_widgets.job.VideoJob` (``sw.submit(...)``) or a job id / video id prefix.
    layout
        Optional ipywidgets layout.

    Examples
    --------
    >>> job = sw.submit("Close-up shot of a gourmet burger ...")  # doctest: +SKIP
    >>> sw.VideoCard(job)  # doctest: +SKIP
    """

    _view = t.Unicode("card").tag(sync=True)

    job_id = t.Unicode("", read_only=True).tag(sync=True)
    """Local journal id of the job (``job_<hex>``)."""
    video_id = t.Unicode(None, allow_none=True, read_only=True).tag(sync=True)
    """The backend's id of the video, None until the create is acknowledged."""
    backend = t.Unicode("", read_only=True).tag(sync=True)
    """Label of the backend the job runs on."""
    status = t.Unicode("pending", read_only=True).tag(sync=True)
    """``pending``, ``queued``, ``in_progress``, ``completed``, ``failed``, ``expired`` or ``deleted``."""
    progress = t.Float(None, allow_none=True, read_only=True).tag(sync=True)
    """0..100, or None when the backend reports no progress (the bar is indeterminate)."""
    eta_s = t.Float(None, allow_none=True, read_only=True).tag(sync=True)
    """Estimated seconds to completion, None when unknown."""
    elapsed_s = t.Float(0.0, read_only=True).tag(sync=True)
    """Seconds since submission (the browser keeps counting between updates)."""
    prompt = t.Unicode("", read_only=True).tag(sync=True)
    """The prompt (shown as text, never as markup)."""
    model = t.Unicode("", read_only=True).tag(sync=True)
    """Model name."""
    size = t.Unicode("", read_only=True).tag(sync=True)
    """``WIDTHxHEIGHT``."""
    seconds = t.Unicode("", read_only=True).tag(sync=True)
    """Duration in seconds, as the protocol sends it (a string)."""
    cost_usd = t.Float(None, allow_none=True, read_only=True).tag(sync=True)
    """Estimated cost in USD, None when the backend profile has no price."""
    error = t.Dict(None, allow_none=True, read_only=True).tag(sync=True)
    """``{code, message, blocked_input, retryable}`` of a failed job, else None."""
    sprite = t.Dict(None, allow_none=True, read_only=True).tag(sync=True)
    """Spritesheet geometry (``columns, rows, frames, tile_width, tile_height, duration_s``) or None."""
    remixed_from = t.Unicode(None, allow_none=True, read_only=True).tag(sync=True)
    """Job id of the source video when this is a remix."""
    promoted_from = t.Unicode(None, allow_none=True, read_only=True).tag(sync=True)
    """Id of the draft this job re-renders (``job.promote``), or None."""
    created_at = t.Float(None, allow_none=True, read_only=True).tag(sync=True)
    """Submission time (epoch seconds)."""
    completed_at = t.Float(None, allow_none=True, read_only=True).tag(sync=True)
    """Completion time (epoch seconds), None until completed."""
    has_video = t.Bool(False, read_only=True).tag(sync=True)
    """The MP4 is on this machine (play and download work)."""
    can_remix = t.Bool(False, read_only=True).tag(sync=True)
    """The video can be remixed (completed, and the backend has remix)."""
    can_delete = t.Bool(False, read_only=True).tag(sync=True)
    """The job can be deleted from here."""
    can_cancel = t.Bool(False, read_only=True).tag(sync=True)
    """The running job can be stopped from here (the backend's delete; False when the backend has none)."""
    typical_s = t.Float(None, allow_none=True, read_only=True).tag(sync=True)
    """While running: how long such renders (same backend, model, size, seconds) took here, None if unknown."""

    playing = t.Bool(False).tag(sync=True)
    """Whether the card's video is playing. The browser sets it (play, pause); setting it plays or pauses
    the video in the view (True opens the player, fetching the MP4 once)."""

    _notice = t.Unicode("").tag(sync=True)
    """A line under the card: in marimo, where a remix or retry started from it can be seen."""

    _thumbnail = t.Bytes(b"").tag(sync=True)
    _thumbnail_mime = t.Unicode("image/webp").tag(sync=True)
    _spritesheet = t.Bytes(b"").tag(sync=True)

    _SUMMARY_TRAITS: ClassVar[tuple[str, ...]] = (
        "video_id",
        "backend",
        "status",
        "progress",
        "eta_s",
        "elapsed_s",
        "prompt",
        "model",
        "size",
        "seconds",
        "cost_usd",
        "error",
        "sprite",
        "remixed_from",
        "promoted_from",
        "created_at",
        "completed_at",
        "has_video",
        "can_remix",
        "can_delete",
        "can_cancel",
        "typical_s",
    )

    def __init__(self, job: Any, **kwargs: Any) -> None:
        resolved = _resolve_job(job)
        super().__init__(**kwargs)
        self._job = resolved
        self._media_paths: dict[str, Any] = {"thumbnail": None, "spritesheet": None}
        # marimo shows anywidget views only, and a card made later on a command's thread has no cell to appear
        # in: there a remix is listed (remixes, the gallery) instead of shown under this card
        self._marimo = in_marimo()
        self._remixes = None if self._marimo else ipywidgets.VBox()
        self._remix_jobs: list[VideoJob] = []
        self._remix_cards: dict[str, VideoCard] = {}
        self._throttle = Throttle(self._guard(self._sync, "updating the card"), interval_s=0.1)
        self.set_trait("job_id", resolved.id)
        self._read_backend()
        self._sync()
        self._unsubscribe = resolved.on_change(self._on_job_change)

    # ------------------------------------------------------------------ public

    @property
    def job(self) -> VideoJob:
        """The job this card shows."""
        return self._job

    @property
    def remixes(self) -> tuple[VideoCard, ...]:
        """Cards of the remixes (and retries) started from this card, newest first. (In marimo they are made
        when asked for, in the cell that asks: show them there.)"""
        if self._remixes is not None:
            return tuple(self._remixes.children)
        for job in self._remix_jobs:
            if job.id not in self._remix_cards:
                self._remix_cards[job.id] = VideoCard(job)
        return tuple(self._remix_cards[job.id] for job in self._remix_jobs)

    def close(self) -> None:
        # also runs from __del__ of a card whose constructor failed half-way
        if getattr(self, "_unsubscribe", None) is not None:
            self._unsubscribe()
        if getattr(self, "_throttle", None) is not None:
            self._throttle.close()
        super().close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        if self._remixes is None:  # marimo: the card alone (marimo renders no ipywidgets box)
            return super()._repr_mimebundle_(**kwargs)
        # the card, then the cards of its remixes (a remix makes a new card, which needs a place to appear),
        # with a static preview (thumbnail + a line) for places without widgets
        box = ipywidgets.VBox([self, self._remixes], layout={"width": "100%"})
        return self._with_fallback(box._repr_mimebundle_(**kwargs))

    def _fallback_bundle(self) -> dict[str, str]:
        from .fallback import card_bundle

        return card_bundle(self._job)

    # ------------------------------------------------------------------ engine -> traits

    def _on_job_change(self, job: VideoJob) -> None:
        # engine thread: progress is throttled, a terminal state lands at once
        self._throttle.poke(urgent=job.status in TERMINAL)

    def _read_backend(self) -> None:
        self._backend_key: str | None
        # on the constructing thread: the engine thread must not call into the api (its lock, see generator.py)
        try:
            profile, self._backend_key = backend_state()
            self._remix_ok = bool(profile.supports("remix"))
        except Exception as exc:
            self._remix_ok, self._backend_key = False, None
            self._report(exc, "reading the backend")

    def _sync(self) -> None:
        summary = summarize(self._job, remix_ok=self._remix_ok, backend_key=self._backend_key)
        with self.hold_sync():
            for name in self._SUMMARY_TRAITS:
                if getattr(self, name) != summary[name]:
                    self.set_trait(name, summary[name])
            self._sync_media("thumbnail", self._job.thumbnail_path, "_thumbnail")
            self._sync_media("spritesheet", self._job.spritesheet_path, "_spritesheet")

    def _sync_media(self, variant: str, path: Any, trait: str) -> None:
        if path is None or not path.exists():
            if self._media_paths[variant] is not None or getattr(self, trait):
                self._media_paths[variant] = None
                setattr(self, trait, b"")
            return
        if self._media_paths[variant] == path:
            return
        data = path.read_bytes()
        self._media_paths[variant] = path
        if variant == "thumbnail":
            self._thumbnail_mime = mime_of(path)
        setattr(self, trait, data)

    # ------------------------------------------------------------------ commands

    def _job_for(self, job_id: Any) -> VideoJob:
        if job_id not in (None, self._job.id):
            raise SoraWidgetsError(f"this card shows {self._job.id}, not {job_id!r}")
        self._read_backend()  # sw.configure() may have changed whether this job's actions work
        return self._job

    def _adopt(self, job: VideoJob) -> None:
        if self._remixes is not None:
            self._remixes.children = (VideoCard(job), *self._remixes.children)
            return
        self._remix_jobs.insert(0, job)
        self._notice = (
            f"{job.id} started from this card: it is listed in sw.Gallery(); "
            f'show it here with sw.VideoCard("{job.id}") in a new cell.'
        )
