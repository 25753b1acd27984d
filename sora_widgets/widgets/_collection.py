"""A widget that shows many jobs through ONE comm: the panel's cards and the gallery.

The browser renders the cards itself from job summaries; previews of the cards on screen come in batches
(the ``previews`` command: many jobs' thumbnails or spritesheets in one reply), the MP4 one at a time on
play. Two traits carry the summaries:

- ``items``: every job, newest first, as of its last structural change (added, finished, removed). It is
  rewritten only then, so 500 jobs do not cost 500 summaries per progress tick.
- ``live``: ``{job_id: summary}`` of the jobs still in flight, throttled to ~10 updates a second.

The front end overlays ``live`` on ``items``.

Job objects never change identity (``sw.configure()`` swaps the engine behind them), so the collection
subscribes once per job. Subscribing attaches a job still in flight to the engine (also one of an earlier
process), so what is shown keeps moving. Which jobs' actions work depends on the configured backend: it is
re-read (cheaply, starting nothing) when a job is added, when the browser acts, and on ``refresh()`` /
``reload()``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import traitlets as t

from ..errors import SoraWidgetsError
from ..vocab import TERMINAL
from ._base import SoraWidget, Throttle, backend_state, summarize
from ._commands import JobCommands

if TYPE_CHECKING:
    from ..job import VideoJob

__all__ = ["JobCollection"]


class JobCollection(JobCommands, SoraWidget):
    """Base of :class:`GeneratorPanel` and :class:`Gallery`."""

    items = t.List(t.Dict(), read_only=True).tag(sync=True)
    """Summaries of the jobs shown, newest first (progress of running jobs is in ``live``)."""
    live = t.Dict(read_only=True).tag(sync=True)
    """``{job_id: summary}`` for the jobs still in flight."""

    #: Whether a deleted job leaves the collection (gallery) or stays, shown as deleted (panel).
    _drop_deleted = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.RLock()
        self._jobs: dict[str, VideoJob] = {}
        self._order: list[str] = []  # newest first
        self._snap: dict[str, dict[str, Any]] = {}
        self._unsubs: dict[str, Callable[[], None]] = {}
        self._dirty: set[str] = set()
        self._structural = False
        self._remix_ok = True
        self._backend_key: str | None = None
        self._throttle = Throttle(self._guard(self._flush, "updating the job list"), interval_s=0.1)

    # ------------------------------------------------------------------ public

    @property
    def jobs(self) -> list[VideoJob]:
        """The jobs shown, newest first."""
        with self._lock:
            return [self._jobs[i] for i in self._order]

    def close(self) -> None:
        # also runs from __del__ of a widget whose constructor failed half-way
        if getattr(self, "_throttle", None) is not None:
            with self._lock:
                unsubs = list(self._unsubs.values())
                self._unsubs.clear()
            for unsub in unsubs:
                unsub()
            self._throttle.close()
        super().close()

    # ------------------------------------------------------------------ tracking

    def _refresh_backend(self) -> None:
        try:
            profile, key = backend_state()
            self._remix_ok = bool(profile.supports("remix"))
            self._backend_key = key
        except Exception as exc:
            self._remix_ok = False
            self._report(exc, "reading the backend")

    def _follow_backend(self, *, force: bool = False) -> None:
        """Re-read the configured backend; when it changed (``sw.configure()``), re-summarize every job shown
        (whether its actions work, and remix, may have changed)."""
        before = (self._backend_key, self._remix_ok)
        self._refresh_backend()  # cheap: sw.backend_info() starts and reads nothing
        if not (force or (self._backend_key, self._remix_ok) != before):
            return
        with self._lock:
            if not self._jobs:
                return
            self._dirty.update(self._jobs)
            self._snap.clear()
            self._structural = True
        self._throttle.flush()

    def _track(self, jobs: list[VideoJob], *, flush: bool = True) -> None:
        """Show ``jobs`` (newest first among themselves) above everything shown so far."""
        added = []
        with self._lock:
            for job in jobs:
                if job.id in self._jobs or (self._drop_deleted and job.status == "deleted"):
                    continue
                self._jobs[job.id] = job
                added.append(job.id)
                self._dirty.add(job.id)
            if not added:
                return
            self._order = added + self._order
            self._structural = True
        for job_id in added:
            job = self._jobs[job_id]
            unsub = job.on_change(self._on_job_change)
            with self._lock:
                self._unsubs[job_id] = unsub
        if flush:
            self._throttle.flush()

    def _untrack(self, job_id: str) -> None:
        with self._lock:
            if job_id not in self._jobs:
                return
            del self._jobs[job_id]
            self._order.remove(job_id)
            self._snap.pop(job_id, None)
            self._dirty.discard(job_id)
            self._structural = True
            unsub = self._unsubs.pop(job_id, None)
        if unsub is not None:
            unsub()

    def _on_job_change(self, job: VideoJob) -> None:
        # engine thread
        with self._lock:
            if job.id not in self._jobs:
                return
            self._dirty.add(job.id)
        if self._drop_deleted and job.status == "deleted":
            self._untrack(job.id)
        self._throttle.poke(urgent=job.status in TERMINAL)

    def _flush(self) -> None:
        with self._lock:
            dirty = [i for i in self._dirty if i in self._jobs]
            self._dirty.clear()
            structural = self._structural
            self._structural = False
            jobs = {i: self._jobs[i] for i in dirty}
        live = {k: v for k, v in self.live.items() if k in self._jobs}
        items_changed = structural
        for job_id, job in jobs.items():
            summary = summarize(job, remix_ok=self._remix_ok, backend_key=self._backend_key)
            if job.status in TERMINAL or job_id not in self._snap:
                self._snap[job_id] = summary
                items_changed = True
            if job.status in TERMINAL:
                live.pop(job_id, None)
            else:
                live[job_id] = summary
        with self._lock:
            order = list(self._order)
        with self.hold_sync():
            if items_changed:
                self.set_trait("items", [self._snap[i] for i in order if i in self._snap])
            if live != self.live:
                self.set_trait("live", live)
        self._after_flush(jobs)

    def _after_flush(self, changed: dict[str, VideoJob]) -> None:
        """Hook: called after each flush with the jobs that changed."""

    # ------------------------------------------------------------------ commands

    def _job_for(self, job_id: Any) -> VideoJob:
        with self._lock:
            job = self._jobs.get(job_id) if isinstance(job_id, str) else None
        if job is None:
            raise SoraWidgetsError(f"{job_id!r} is not shown in this {type(self).__name__}")
        self._follow_backend()
        return job

    def _adopt(self, job: VideoJob) -> None:
        self._follow_backend()
        self._track([job])
