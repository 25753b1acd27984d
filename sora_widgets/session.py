"""The Session: one per ``home``, long-lived. It owns the journal, the job objects, the limits and the
configured backend; the :class:`~sora_widgets.engine.Engine` is a replaceable executor behind it.

- One :class:`VideoJob` per journal row for the whole life of the session: ``sw.configure()`` replaces the
  engine, never a job. Jobs of a backend that is not the configured one can be read; their actions raise
  :class:`BackendUnavailableError` saying why.
- Nothing starts on reading: ``jobs()``/``get_job()``/``spend()`` only read SQLite. A job is *followed* once
  someone waits on it, subscribes to it (a widget) or acts on it; a followed job still in flight is attached to
  the engine (polled) - also one from an earlier process - and re-attached to the next engine after a swap.
- Limits count what is real: ``max_concurrent`` counts jobs in flight on the configured backend (journal rows of
  earlier processes are asked about first when they would refuse a submit); ``budget_usd`` applies to every job,
  so a model without a price is refused under a budget.
"""

from __future__ import annotations

import collections
import concurrent.futures
import logging
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import Backend, Limits
from .engine import Engine, Settings
from .errors import BackendUnavailableError, ValidationError
from .job import VideoJob
from .journal_recovery import write_record
from .leases import Leases
from .limits import check_limits
from .params import (
    VideoParams,
    VideoRequest,
    cache_key,
    check_prompt,
    estimate_cost,
    validate,
    validate_request,
)
from .store import Journal, storage_error
from .urls import label_of
from .vocab import TERMINAL

__all__ = ["Session"]

log = logging.getLogger(__name__)

EngineFactory = Callable[["Session"], Engine]
RETIRE_WAIT_S = 15.0


class Session:
    """Jobs, journal, limits and backend of one ``home``. Built and kept by :mod:`api`."""

    def __init__(self, home: Path, announce: Callable[[VideoJob], None]) -> None:
        self.home = home
        self.journal = Journal(home)
        self.leases = Leases(self.journal, self._taken_over)
        self.limits = Limits()
        self.backend: Backend | None = None
        self._announce = announce
        self._lock = threading.RLock()
        self._jobs: dict[str, VideoJob] = {}
        self._followed: set[str] = set()
        self._submits: collections.deque[float] = collections.deque()
        self._factory: EngineFactory | None = None
        self._engine: Engine | None = None
        self._retired = threading.Event()  # set once the previous engine is torn down
        self._retired.set()
        self._retiring_thread: threading.Thread | None = None
        self.closed = False

    @classmethod
    def standalone(cls, settings: Settings) -> Session:
        """A session of its own driving one engine built from ``settings`` (benchmarks, tools): no api state."""
        from .urls import public_url

        key = settings.backend_key or public_url(settings.base_url or "")
        session = cls(settings.home, lambda job: None)
        backend = Backend(settings.profile, settings.home, settings.is_emulator, settings.base_url, key)
        session.replace(backend, lambda s: Engine(settings, s))
        return session

    def __repr__(self) -> str:
        return f"Session(home={str(self.home)!r}, backend={self.backend.backend_key if self.backend else None!r})"

    # ------------------------------------------------------------------ registry (reads start nothing)

    def job(self, row: dict[str, Any]) -> VideoJob:
        """The one VideoJob of a journal row (made on first sight)."""
        with self._lock:
            job = self._jobs.get(row["id"])
            if job is None:
                job = self._jobs[row["id"]] = VideoJob(self, row)
            return job

    def known(self, job_id: str | None) -> VideoJob | None:
        with self._lock:
            return self._jobs.get(job_id) if job_id else None

    def jobs(self) -> list[VideoJob]:
        return [self.job(row) for row in self.journal.all()]

    def get_job(self, key: str) -> VideoJob:
        return self.job(self.journal.find(key))

    def spend(self) -> float:
        return self.journal.spend(self.backend.backend_key) if self.backend else 0.0

    def budget_remaining(self) -> float | None:
        budget = self.limits.budget_usd
        return None if budget is None else max(0.0, float(budget) - self.spend())

    # ------------------------------------------------------------------ the executor

    def replace(self, backend: Backend | None, factory: EngineFactory | None) -> Engine | None:
        """Point the session at another backend (None: not configured any more). Returns the old engine, to
        tear down; call :meth:`retired` once it is, then the followed jobs move to the new engine."""
        with self._lock:
            old, self._engine = self._engine, None
            self.backend, self._factory = backend, factory
            if old is not None:
                old.mark_closed()
                self._retired.clear()
                self._retiring_thread = old.thread
        return old

    def retired(self) -> None:
        """The old engine is torn down: re-attach every followed job still in flight on the new backend."""
        self._retired.set()
        with self._lock:
            followed = [self._jobs[i] for i in self._followed if i in self._jobs]
        for job in followed:
            if not job.done and self.unavailable(job) is None:
                self.follow(job)

    def engine(self) -> Engine:
        """The engine of the configured backend, built on first use."""
        if threading.current_thread() is not self._retiring_thread:
            self._retired.wait(RETIRE_WAIT_S)  # never two engines driving the same job
        with self._lock:
            if self._engine is None:
                if self.closed or self._factory is None or self.backend is None:
                    raise BackendUnavailableError(self._not_configured())
                self._engine = self._factory(self)
            return self._engine

    def current_engine(self) -> Engine | None:
        """The engine if one is built (starts nothing)."""
        return self._engine

    def close(self) -> None:
        """After :meth:`replace` (None) and the teardown: close the journal. Job objects stay readable."""
        with self._lock:
            self.closed = True
            self.backend = self._factory = None
        self.leases.release_all()
        self.journal.close()

    def _not_configured(self) -> str:
        if self.closed:
            return "its session was closed (sora_widgets.api.reset() ran); read it again with sw.get_job()"
        return f"its home {self.home} is not the configured one (sw.configure(home=...) to act on it)"

    def unavailable(self, job: VideoJob) -> str | None:
        """Why ``job`` cannot be driven or acted on now, or None when it can."""
        backend = self.backend
        if self.closed or backend is None:
            return self._not_configured()
        if job.backend_key != backend.backend_key:
            current = "the local emulator" if backend.is_emulator else label_of(backend.base_url or "")
            return (f"it belongs to backend {job.backend!r}, and {current} is configured; "
                    "sw.configure() that backend again to act on it")
        return None

    def follow(self, job: VideoJob) -> str | None:
        """Someone cares about ``job``: attach it to the engine unless done. The reason it cannot be, or None."""
        with self._lock:
            self._followed.add(job.id)
        if job.done:
            return None
        reason = self.unavailable(job)
        if reason is not None:
            return reason
        engine = self.engine()
        if not engine.is_attached(job) and self.leases.acquire(job):
            engine.attach(job)
        return None  # not acquired: another live process drives it; the leases thread shows its updates

    def _taken_over(self, job: VideoJob) -> None:
        """(leases thread) The owner of a followed job stopped renewing its lease: drive it from here."""
        if self.unavailable(job) is None and not job.done:
            engine = self.engine()
            if not engine.is_attached(job):
                engine.attach(job)

    def resume(self) -> list[VideoJob]:
        """Attach every unfinished job of the configured backend that no live process holds; follow the others
        (read-only). Returns both: each of them finishes (``wait()``) here."""
        engine = self.engine()
        started: list[tuple[VideoJob, concurrent.futures.Future[bool]]] = []
        followed: list[VideoJob] = []
        for row in self.journal.all(engine.backend_key):
            job = self.job(row)
            if (job.done and not job.media_missing) or engine.is_attached(job):
                continue
            if self.leases.acquire(job):
                started.append((job, engine.attach(job)))
            elif not job.done:
                followed.append(job)
        jobs = [job for job, future in started if future.result(120)] + followed
        with self._lock:
            self._followed.update(job.id for job in jobs)
        return jobs

    def drain_creates(self, timeout: float) -> int:
        """At exit: wait (up to ``timeout``) until every create this process is sending has its answer. Returns
        how many are still unanswered: they stay ``pending`` in the journal and ``sw.resume()`` finishes them."""
        deadline = time.monotonic() + timeout
        engine = self._engine
        if engine is None:
            return 0
        while True:
            with self._lock:
                waiting = [j for j in self._jobs.values()
                           if j.status == "pending" and not j.video_id and not j.done and engine.is_attached(j)]
            for job in waiting:
                job._changed.clear()
            with self._lock:
                waiting = [j for j in waiting if j.status == "pending" and not j.video_id and not j.done]
            if not waiting or time.monotonic() >= deadline:
                if waiting:
                    log.warning("%d create(s) still unanswered at exit; they stay journaled for sw.resume()",
                                len(waiting))
                return len(waiting)
            waiting[0]._changed.wait(min(0.25, max(0.0, deadline - time.monotonic())))

    # ------------------------------------------------------------------ actions

    def _require(self, job: VideoJob, what: str) -> Engine:
        reason = self.unavailable(job)
        if reason is not None:
            raise BackendUnavailableError(f"cannot {what} {job.id}: {reason}")
        with self._lock:
            self._followed.add(job.id)
        return self.engine()

    def submit(self, request: VideoRequest) -> VideoJob:
        """Validate, check limits, journal, then create on the engine. Returns the ``pending`` job at once."""
        backend = self.backend
        if backend is None or self.closed:
            raise BackendUnavailableError(self._not_configured())
        params = validate_request(backend.profile, request)
        if backend.provider:  # what a provider's profile cannot say (a model without image-to-video)
            from .providers import check_request

            check_request(backend.provider, params)
        key = cache_key(backend.backend_key, params)
        if request.cache:
            hit = self._cached(key, backend.backend_key)
            if hit is not None:
                return hit
        return self._start(params, key, promoted_from=request.promoted_from)

    def remix(self, source: VideoJob, prompt: Any) -> VideoJob:
        engine = self._require(source, "remix")
        if not engine.profile.supports("remix"):
            raise BackendUnavailableError(f"backend profile {engine.profile.name!r} has no remix")
        if source.status != "completed" or not source.video_id:
            raise ValidationError(f"only a completed video can be remixed; {source.id} is {source.status}", "source")
        check_prompt(prompt, "the change")
        params = VideoParams(prompt=prompt, model=source.model, size=source.size, seconds=source.seconds)
        return self._start(params, None, remix_of=source)

    def promote(self, draft: VideoJob, model: str | None, size: str | None, seconds: Any) -> VideoJob:
        """Render the chosen take ``draft`` again with other parameters (its prompt, reference and seed)."""
        self._require(draft, "promote")
        if draft.status != "completed":
            raise ValidationError(f"only a completed take can be promoted; {draft.id} is {draft.status}", "draft")
        path = (self.journal.get(draft.id) or {}).get("reference_path")
        ref = path if path and Path(path).exists() else None
        return self.submit(VideoRequest(draft.prompt, model or draft.model, size or draft.size,
                                        seconds or draft.seconds, ref, "cover", True, draft.seed, draft.id))

    def extend(self, source: VideoJob, prompt: Any, seconds: Any, cache: bool = True) -> VideoJob:
        """``seconds`` more of the completed ``source``, continued by ``prompt`` (the extensions endpoint). The
        new job's video is the whole continued clip; its ``seconds`` (and cost) are the part added."""
        engine = self._require(source, "extend")
        if not engine.profile.supports("extensions"):
            raise BackendUnavailableError(f"backend profile {engine.profile.name!r} has no extensions endpoint")
        if source.status != "completed" or not source.video_id:
            raise ValidationError(f"only a completed video can be extended; {source.id} is {source.status}", "source")
        params = validate(engine.profile, prompt, model=source.model, size=source.size, seconds=seconds)
        key = f"extend:{source.id}:{cache_key(engine.backend_key, params)}"  # the same extension is paid once
        hit = self._cached(key, engine.backend_key) if cache else None
        return hit if hit is not None else self._start(params, key, extend_of=source)

    def retry(self, job: VideoJob) -> VideoJob:
        self._require(job, "retry")
        row = self.journal.get(job.id) or {}
        reference = row.get("reference_path") if row.get("reference_path") and \
            Path(row["reference_path"]).exists() else None
        return self.submit(VideoRequest(job.prompt, job.model, job.size, job.seconds, reference, "error", False,
                                        job.seed))

    def delete(self, job: VideoJob) -> concurrent.futures.Future[None]:
        """Delete on the backend and locally, on the engine; the future resolves when it is done."""
        return self._require(job, "delete").delete(job)

    def cancel(self, job: VideoJob) -> concurrent.futures.Future[None]:
        """Stop a running job (the backend's delete); it ends ``cancelled``."""
        return self._require(job, "cancel").delete(job, cancel=True)

    def _cached(self, key: str, backend_key: str) -> VideoJob | None:
        for row in self.journal.by_cache_key(key):
            if row["backend_key"] != backend_key:
                continue
            if row["status"] == "completed" and row["video_path"] and Path(row["video_path"]).exists():
                return self.job(row)
            live = self.known(row["id"])
            engine = self._engine
            if live is not None and live.status not in TERMINAL and engine is not None and engine.is_attached(live):
                return live  # the same request is already running: a double click must not pay twice
        return None

    def _start(self, params: VideoParams, key: str | None, *, remix_of: VideoJob | None = None,
               promoted_from: str | None = None, extend_of: VideoJob | None = None) -> VideoJob:
        engine = self.engine()
        cost = estimate_cost(engine.profile, params.model, params.size, params.seconds)
        self._settle_in_flight(engine)
        with self._lock:
            check_limits(self.limits, params, cost, profile_name=engine.profile.name, spent_usd=self.spend,
                         in_flight=lambda: len(self._in_flight(engine)), submits=self._submits)
            job_id = "job_" + secrets.token_hex(6)
            reference_path = None
            if params.reference is not None:
                ref = self.journal.media_dir(job_id) / params.reference.filename
                try:
                    ref.write_bytes(params.reference.data)
                except OSError as exc:
                    raise storage_error(exc, ref, "save the reference image") from None
                reference_path = str(ref)
            row = {
                "id": job_id, "backend_key": engine.backend_key, "backend_label": engine.label, "video_id": None,
                "prompt": params.prompt, "model": params.model, "size": params.size, "seconds": params.seconds,
                "reference_sha256": params.reference.sha256 if params.reference else None,
                "reference_path": reference_path, "cache_key": key, "status": "pending", "cost_usd": cost,
                "remixed_from": remix_of.id if remix_of else None,
                "remix_source_video_id": remix_of.video_id if remix_of else None, "created_at": time.time(),
                "seed": params.seed, "promoted_from": promoted_from,
                "extended_from": extend_of.id if extend_of else None,
            }
            self.journal.insert(row)  # before any request: a crash from here on cannot lose the job
            write_record(self.journal.media_dir(job_id), row)  # what rebuilds the row if the journal is lost
            self._submits.append(time.monotonic())
            job = self.job(row)
            self._followed.add(job.id)
            self.leases.acquire(job)  # this process owns it: another one on this home only follows it
            engine.claim(job)  # before anyone hears of it: an on_job_added subscriber must not attach it again
            job._listeners.append(self._record_video_id(row))
        self._announce(job)
        engine.start_create(job, params)
        return job

    def _record_video_id(self, row: dict[str, Any]) -> Callable[[VideoJob], None]:
        """A job listener that adds the backend id to the job's ``job.json`` once it is known."""
        written: list[str] = []

        def note(job: VideoJob) -> None:
            if job.video_id and job.video_id not in written:
                written.append(job.video_id)
                write_record(self.journal.media_dir(job.id), {**row, "video_id": job.video_id})

        return note

    # ------------------------------------------------------------------ limits

    def _in_flight(self, engine: Engine) -> list[str]:
        return self.journal.in_flight_ids(engine.backend_key)

    def _settle_in_flight(self, engine: Engine) -> None:
        """At the ``max_concurrent`` limit, ask the backend about in-flight jobs nobody attached yet (an earlier
        process's): the journal may say "in progress" of a video that finished long ago."""
        limit = self.limits.max_concurrent
        if limit is None:
            return
        ids = self._in_flight(engine)
        if len(ids) < limit:
            return
        stale = [job for job in map(self.get_job, ids) if not engine.is_attached(job) and self.leases.acquire(job)]
        if stale:
            with self._lock:
                self._followed.update(job.id for job in stale)
            engine.refresh(stale)
