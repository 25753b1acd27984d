"""The engine: one background event loop thread (``sora-engine``) that creates, polls and downloads every job.

Sync callers (``submit``, ``job.wait``) hand coroutines to the loop with ``run_coroutine_threadsafe``; async
callers wrap the resulting futures, so a notebook kernel's own loop is never blocked or nested. The loop is idle
(no task, no timer) when nothing is in flight.

Never lose, never pay twice: a job is journaled (status ``pending``) before its create is sent, its backend id is
stored the moment it is known, and a create whose outcome is unknown is looked for with ``list`` before any new
create. A failed download is retried, never re-generated.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import email.utils
import inspect
import logging
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from . import media
from .client import UnknownOutcome, VideoClient, blocked_input_of, is_moderation
from .errors import (
    BackendUnavailableError,
    BudgetExceededError,
    RateLimitError,
    SoraWidgetsError,
    ValidationError,
)
from .jobs import JobError, VideoJob
from .params import VideoParams, cache_key, estimate_cost, fit_reference, load_reference, validate
from .poller import TERMINAL, Gone, Poller, Transient, backoff_delay, normalize_progress, normalize_status
from .profiles import BackendProfile
from .store import Journal, dumps

__all__ = ["Engine", "Settings", "job_from_row"]

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_CREATE_ATTEMPTS = 8
MAX_DOWNLOAD_ATTEMPTS = 25  # with jittered backoff capped at 8 s: minutes of a flaky server, never a re-create
PROGRESS_SAVE_S = 5.0
UNREACHABLE_ATTEMPTS = 3  # refused connections: retry briefly, then say the backend is down
RECONCILE_SETTLE_S = (0.0, 1.0, 2.0)  # list again after these pauses before concluding "not created"
RECONCILE_SLACK_S = 3.0  # the server stamps whole seconds; its clock offset is measured from `Date`
RECONCILE_SLACK_NO_DATE_S = 60.0  # when the server sends no Date header, allow for clock skew
_VARIANTS = (("thumbnail", "thumbnail.webp"), ("spritesheet", "spritesheet.jpg"))


@dataclass
class Settings:
    """Everything an engine needs. ``api_key`` never appears in its repr."""

    profile: BackendProfile
    home: Path
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    client: Any = field(default=None, repr=False)
    label: str | None = None
    backend_key: str | None = None
    is_emulator: bool = False
    budget_usd: float | None = None
    max_concurrent: int | None = None
    max_per_minute: int | None = None
    list_threshold: int = 8


class Engine:
    """One backend, one journal, one event loop thread. Built by :mod:`api`; widgets use :class:`VideoJob`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.profile = settings.profile
        self.journal = Journal(settings.home)
        self.client = VideoClient(base_url=settings.base_url, api_key=settings.api_key, client=settings.client)
        self.backend_key = settings.backend_key or self.client.base_url
        self.label = settings.label or self.client.label
        self._jobs: dict[str, VideoJob] = {}
        self._active: set[str] = set()  # job ids with a task running in this process
        self._lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._poller: Poller | None = None
        self._by_video: dict[str, str] = {}
        self._progress_saved: dict[str, float] = {}
        self._guessed: dict[str, str] = {}  # job id -> video id found by listing after an unknown outcome
        self._submits: collections.deque[float] = collections.deque()
        self._download_sem: asyncio.Semaphore | None = None
        self._closed = False
        self._closing = False
        self.added_callbacks: list[Callable[[VideoJob], Any]] = []

    def __repr__(self) -> str:
        return f"Engine(backend={self.label!r}, home={str(self.settings.home)!r})"

    # ------------------------------------------------------------------ loop thread

    def loop(self) -> asyncio.AbstractEventLoop:
        """The engine's loop, starting its daemon thread on first use."""
        with self._lock:
            if self._closed:
                raise BackendUnavailableError("this engine was shut down (sw.configure() or sw.api.reset() ran)")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    try:
                        loop.run_forever()
                    finally:
                        _finish_loop(loop)

                self._thread = threading.Thread(target=run, name="sora-engine", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def spawn(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop())

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the engine loop and wait for it (from any other thread)."""
        if self._thread is not None and threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("Engine.run() called from the engine thread; await the coroutine instead")
        return self.spawn(coro).result(timeout)

    def poller(self) -> Poller:
        if self._poller is None:
            self._poller = Poller(
                self._fetch_one,
                self._on_update,
                self._on_gone,
                fetch_page=self._fetch_page if self.profile.supports("list") else None,
                list_threshold=self.settings.list_threshold,
            )
        return self._poller

    async def _fetch_one(self, video_id: str) -> tuple[dict[str, Any], dict[str, str]]:
        return await self.client.retrieve(video_id)

    async def _fetch_page(self, after: str | None) -> tuple[list[dict[str, Any]], bool, dict[str, str]]:
        return await self.client.list_page(after=after)

    @property
    def thread(self) -> threading.Thread | None:
        """The ``sora-engine`` thread, once started."""
        return self._thread

    def mark_closed(self) -> None:
        """Closed from now on (no new work, no more ``on_change`` calls); :meth:`close` still tears it down."""
        with self._lock:
            self._closed = True

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called: its jobs no longer change or call their ``on_change`` callbacks."""
        return self._closed

    def close(self) -> None:
        """Stop polling, close the HTTP client and the loop thread, close the journal. Jobs stay journaled.

        Called from the engine thread itself (an ``on_change`` callback that reconfigures), it only marks the
        engine closed and finishes the teardown on a helper thread, so it never waits on its own loop.
        """
        with self._lock:
            self._closed = True
            if self._closing:
                return
            self._closing = True
            thread = self._thread
        if thread is not None and threading.current_thread() is thread:
            threading.Thread(target=self._teardown, name="sora-engine-close", daemon=True).start()
            return
        self._teardown()

    def _teardown(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            async def shutdown() -> None:
                if self._poller is not None:
                    await self._poller.stop()
                await _cancel_all_but_current()
                # The HTTP client is closed on the loop that opened its connections, once nothing uses it.
                await self.client.close()

            try:
                asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
            except Exception:
                log.debug("engine shutdown incomplete", exc_info=True)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)  # the thread closes its loop itself (_finish_loop)
        self.journal.close()

    # ------------------------------------------------------------------ registry

    def job_from_row(self, row: dict[str, Any]) -> VideoJob:
        """The one VideoJob object for a journal row (created on first sight)."""
        with self._lock:
            job = self._jobs.get(row["id"])
            if job is None:
                job = job_from_row(row, self.backend_key, self)
                self._jobs[job.id] = job
                if job.video_id:
                    self._by_video.setdefault(job.video_id, job.id)
            return job

    def adopt(self, jobs: list[VideoJob]) -> None:
        """Take over job objects made from the journal before this engine existed (``sw.jobs()`` in a fresh
        process), so the objects callers already hold are the ones this engine updates."""
        with self._lock:
            for job in jobs:
                if job.id in self._jobs:
                    continue
                if job.backend_key == self.backend_key:
                    job._engine = self
                self._jobs[job.id] = job
                if job.video_id:
                    self._by_video.setdefault(job.video_id, job.id)

    def all_jobs(self) -> list[VideoJob]:
        return [self.job_from_row(row) for row in self.journal.all()]

    def get_job(self, key: str) -> VideoJob:
        return self.job_from_row(self.journal.find(key))

    def _announce(self, job: VideoJob) -> None:
        for callback in list(self.added_callbacks):
            try:
                callback(job)
            except Exception:
                log.exception("on_job_added callback %r failed", callback)

    # ------------------------------------------------------------------ limits

    def spend(self) -> float:
        return self.journal.spend(self.backend_key)

    def budget_remaining(self) -> float | None:
        if self.settings.budget_usd is None:
            return None
        return max(0.0, self.settings.budget_usd - self.spend())

    def _in_flight(self) -> int:
        with self._lock:
            return sum(1 for job in self._jobs.values() if job.backend_key == self.backend_key and not job.done
                       and job.status not in TERMINAL)

    def _check_limits(self, cost: float | None) -> None:
        s = self.settings
        if s.budget_usd is not None and cost is not None:
            spent = self.spend()
            if spent + cost > s.budget_usd + 1e-9:
                raise BudgetExceededError(
                    f"this job would cost ${cost:.2f}; ${spent:.2f} of the ${s.budget_usd:.2f} budget is spent "
                    f"(${max(0.0, s.budget_usd - spent):.2f} left). Raise it with sw.configure(budget_usd=...)."
                )
        if s.max_concurrent is not None and self._in_flight() >= s.max_concurrent:
            raise BudgetExceededError(
                f"max_concurrent={s.max_concurrent} jobs are already in flight; wait for one to finish or raise "
                "the limit with sw.configure(max_concurrent=...)"
            )
        if s.max_per_minute is not None:
            now = time.monotonic()
            while self._submits and now - self._submits[0] > 60.0:
                self._submits.popleft()
            if len(self._submits) >= s.max_per_minute:
                raise BudgetExceededError(
                    f"max_per_minute={s.max_per_minute} jobs were submitted in the last minute; wait, or raise "
                    "the limit with sw.configure(max_per_minute=...)"
                )

    # ------------------------------------------------------------------ submit

    def estimate(self, model: str | None = None, size: str | None = None, seconds: Any = None) -> float | None:
        return estimate_cost(self.profile, model, size, seconds)

    def submit(
        self,
        prompt: Any,
        *,
        model: str | None = None,
        size: str | None = None,
        seconds: Any = None,
        input_reference: Any = None,
        fit: str = "cover",
        cache: bool = True,
    ) -> VideoJob:
        """Validate, check limits, journal, then create on the engine thread. Returns at once."""
        params = validate(
            self.profile, prompt, model=model, size=size, seconds=seconds, input_reference=input_reference, fit=fit
        )
        key = cache_key(self.backend_key, params)
        if cache:
            hit = self._cached(key)
            if hit is not None:
                return hit
        return self._journal_and_start(params, key)

    def _cached(self, key: str) -> VideoJob | None:
        for row in self.journal.by_cache_key(key):
            if row["backend_key"] != self.backend_key:
                continue
            if row["status"] == "completed" and row["video_path"] and Path(row["video_path"]).exists():
                return self.job_from_row(row)
            with self._lock:
                live = self._jobs.get(row["id"])
            if live is not None and live.status not in TERMINAL:
                return live  # the same request is already running: a double click must not pay twice
        return None

    def _journal_and_start(
        self, params: VideoParams, key: str | None, *, remix_of: VideoJob | None = None
    ) -> VideoJob:
        cost = estimate_cost(self.profile, params.model, params.size, params.seconds)
        with self._lock:
            self._check_limits(cost)
            job_id = "job_" + secrets.token_hex(6)
            reference_path = None
            if params.reference is not None:
                ref = self.journal.media_dir(job_id) / params.reference.filename
                ref.write_bytes(params.reference.data)
                reference_path = str(ref)
            row = {
                "id": job_id,
                "backend_key": self.backend_key,
                "backend_label": self.label,
                "video_id": None,
                "prompt": params.prompt,
                "model": params.model,
                "size": params.size,
                "seconds": params.seconds,
                "reference_sha256": params.reference.sha256 if params.reference else None,
                "reference_path": reference_path,
                "cache_key": key,
                "status": "pending",
                "cost_usd": cost,
                "remixed_from": remix_of.id if remix_of else None,
                "remix_source_video_id": remix_of.video_id if remix_of else None,
                "created_at": time.time(),
            }
            self.journal.insert(row)  # before any request: a crash from here on cannot lose the job
            self._submits.append(time.monotonic())
            job = self.job_from_row(row)
            self._active.add(job.id)
        self._announce(job)
        self.spawn(self._create_flow(job, params))
        return job

    def remix(self, source: VideoJob, prompt: Any) -> VideoJob:
        if not self.profile.supports("remix"):
            raise BackendUnavailableError(f"backend profile {self.profile.name!r} has no remix")
        if source.status != "completed" or not source.video_id:
            raise ValidationError(f"only a completed video can be remixed; {source.id} is {source.status}", "source")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValidationError("prompt must be non-empty text describing the change", "prompt")
        params = VideoParams(prompt=prompt, model=source.model, size=source.size, seconds=source.seconds)
        return self._journal_and_start(params, None, remix_of=source)

    def retry(self, job: VideoJob) -> VideoJob:
        reference = None
        row = self.journal.get(job.id) or {}
        if row.get("reference_path") and Path(row["reference_path"]).exists():
            reference = row["reference_path"]
        return self.submit(job.prompt, model=job.model, size=job.size, seconds=job.seconds,
                           input_reference=reference, fit="error", cache=False)

    def delete(self, job: VideoJob) -> None:
        self.run(self._delete(job), timeout=60)

    async def _delete(self, job: VideoJob) -> None:
        if job.video_id:
            self.poller().untrack(job.video_id)
            if self.profile.supports("delete"):
                try:
                    await self.client.delete(job.video_id)
                except (Gone, Transient, SoraWidgetsError) as exc:
                    # e.g. a backend that only deletes finished videos: the local copy goes anyway
                    log.warning("backend delete of %s refused: %s", job.video_id, exc)
        shutil.rmtree(self.journal.media_root / job.id, ignore_errors=True)
        self.journal.update(job.id, status="deleted", video_path=None, thumbnail_path=None, spritesheet_path=None)
        job._update(status="deleted", video_path=None, thumbnail_path=None, spritesheet_path=None, eta_s=None)
        self._active.discard(job.id)
        job._finish()

    # ------------------------------------------------------------------ create, and "did it happen?"

    def _fail(self, job: VideoJob, error: JobError, status: str = "failed") -> None:
        self.journal.update(job.id, status=status, error_json=dumps(error.to_dict()))
        job._update(status=status, error=error, eta_s=None)
        self._active.discard(job.id)
        job._finish()

    async def _create_flow(self, job: VideoJob, params: VideoParams, *, outcome_unknown: bool = False) -> None:
        """Create the video once, whatever the network does. ``outcome_unknown``: a previous process sent it."""
        try:
            row = self.journal.get(job.id) or {}
            first_sent = row.get("sent_at")
            attempt = 0
            while True:
                if outcome_unknown:
                    found = await self._reconcile(job, first_sent or time.time())
                    if found is None:
                        self._fail(job, JobError(
                            "unknown_outcome",
                            "the create request's outcome is unknown (the connection failed after sending) and "
                            f"backend profile {self.profile.name!r} cannot list videos to check, so it was not "
                            "sent again to avoid paying twice. Look for it on the backend, or job.retry().",
                            None, True), status="unknown")
                        return
                    if found:
                        self._ack(job, found, guessed=True)
                        return
                    outcome_unknown = False
                    attempt += 1
                    if attempt >= MAX_CREATE_ATTEMPTS:
                        raise BackendUnavailableError(
                            f"{self.label} failed the create {attempt} times (each time it had made nothing); "
                            "giving up: job.retry() sends it again")
                    await asyncio.sleep(backoff_delay(attempt))
                if first_sent is None:
                    first_sent = time.time()
                    self.journal.update(job.id, sent_at=first_sent)
                try:
                    if job.remixed_from:
                        source_video = (self.journal.get(job.id) or {}).get("remix_source_video_id")
                        video, headers = await self.client.remix(str(source_video), params.prompt)
                    else:
                        video, headers = await self.client.create(params)
                except UnknownOutcome as exc:
                    log.info("create for %s: outcome unknown (%s); looking for it", job.id, exc)
                    outcome_unknown = True
                    continue
                except Transient as exc:  # 429 or refused connection: nothing was created
                    attempt += 1
                    if exc.not_sent and attempt >= UNREACHABLE_ATTEMPTS:
                        raise BackendUnavailableError(
                            f"{exc}. Is the server running? Point sora_widgets elsewhere with "
                            "sw.configure(base_url=...) or OPENAI_BASE_URL, or unset OPENAI_API_KEY to use the "
                            "local emulator."
                        ) from None
                    if attempt >= MAX_CREATE_ATTEMPTS:
                        raise RateLimitError(
                            f"{self.label} kept answering 429 to the create ({attempt} tries): {exc}",
                            exc.retry_after_s,
                        ) from None
                    await asyncio.sleep(backoff_delay(attempt, exc.retry_after_s))
                    continue
                self._ack(job, video, headers)
                return
        except asyncio.CancelledError:
            raise
        except SoraWidgetsError as exc:
            self._fail(job, JobError.from_exception(exc))
        except Gone as exc:
            self._fail(job, JobError("not_found", f"the remix source is gone: {exc}"))
        except Exception as exc:  # never leave a job hanging on a bug
            log.exception("create flow for %s failed", job.id)
            self._fail(job, JobError.from_exception(exc))

    def _matches(self, job: VideoJob, video: dict[str, Any], oldest: float, claimed: set[str]) -> bool:
        """Could ``video`` be the one our create made? Same inputs, made after we sent, claimed by no row."""
        if video.get("id") in claimed or video.get("prompt") != job.prompt:
            return False
        created = video.get("created_at")
        if isinstance(created, (int, float)) and created < oldest:
            return False
        if job.remixed_from:
            source = (self.journal.get(job.id) or {}).get("remix_source_video_id")
            return video.get("remixed_from_video_id") == source
        model = str(video.get("model") or job.model)
        return (model == job.model or model.startswith(job.model + "-")) and \
            str(video.get("size") or job.size) == job.size and str(video.get("seconds") or job.seconds) == job.seconds

    async def _reconcile(self, job: VideoJob, since: float) -> dict[str, Any] | Literal[False] | None:
        """Find the video an unanswered create made. The video, False if surely absent, None if we cannot list."""
        if not self.profile.supports("list"):
            return None
        failures = 0
        settle = 0
        while settle < len(RECONCILE_SETTLE_S):
            await asyncio.sleep(RECONCILE_SETTLE_S[settle])
            try:
                candidates, oldest = await self._list_since(since)
            except Transient as exc:
                failures += 1
                if failures >= MAX_CREATE_ATTEMPTS:
                    raise BackendUnavailableError(
                        f"could not list videos on {self.label} to check a create: {exc}") from None
                await asyncio.sleep(backoff_delay(failures, exc.retry_after_s))
                continue
            claimed = self.journal.claimed_video_ids(self.backend_key) | set(self._by_video)
            matches = [v for v in candidates if self._matches(job, v, oldest, claimed)]
            if matches:
                matches.sort(key=lambda v: (v.get("created_at") or 0, str(v.get("id"))))
                log.info("create for %s had succeeded: found %s", job.id, matches[0].get("id"))
                return matches[0]
            settle += 1
        return False

    async def _list_since(self, sent_at: float) -> tuple[list[dict[str, Any]], float]:
        """Videos listed (newest first) back to our send time in the server's clock, and that bound."""
        found: list[dict[str, Any]] = []
        after = None
        oldest = sent_at - RECONCILE_SLACK_NO_DATE_S
        for page_number in range(50):
            page, has_more, headers = await self.client.list_page(after=after)
            if page_number == 0:
                offset = server_clock_offset(headers.get("date"))
                if offset is not None:
                    oldest = sent_at + offset - RECONCILE_SLACK_S
            found.extend(page)
            if not has_more or not page:
                break
            last = page[-1].get("created_at")
            if isinstance(last, (int, float)) and last < oldest:
                break
            after = page[-1].get("id")
        return found, oldest

    def _ack(self, job: VideoJob, video: dict[str, Any], headers: dict[str, str] | None = None, *,
             guessed: bool = False) -> None:
        """Record the backend id. ``guessed``: found by listing, not answered by the create itself."""
        video_id = str(video["id"])
        with self._lock:
            other_id = self._by_video.get(video_id)
            self._by_video[video_id] = job.id
            if guessed:
                self._guessed[job.id] = video_id
            else:
                self._guessed.pop(job.id, None)
            other = self._jobs.get(other_id) if other_id and other_id != job.id else None
        if other is not None and self._guessed.pop(other.id, None) == video_id:
            # Two identical requests raced: the create's own answer wins; the other job looks again.
            log.warning("%s belongs to %s (its create said so); %s looks for its own video again",
                        video_id, job.id, other.id)
            self.journal.update(other.id, video_id=None, status="pending")
            other._update(video_id=None, status="pending", progress=None)
            self.spawn(self._create_flow(other, self._params_from_row(self.journal.get(other.id) or {}),
                                         outcome_unknown=True))
        self.journal.update(
            job.id,
            video_id=video_id,
            acknowledged_at=time.time(),
            server_created_at=video.get("created_at"),
            status="queued",
        )
        job._update(video_id=video_id, status="queued")
        self._on_update(video_id, video, None)
        if job.status not in TERMINAL:
            self.poller().track(video_id, video, headers)

    # ------------------------------------------------------------------ observations

    def _job_for_video(self, video_id: str) -> VideoJob | None:
        with self._lock:
            job_id = self._by_video.get(video_id)
            return self._jobs.get(job_id) if job_id else None

    def _on_update(self, video_id: str, video: dict[str, Any], eta_s: float | None) -> None:
        job = self._job_for_video(video_id)
        if job is None or job.status in ("deleted",) or job.done:
            return
        status = normalize_status(video.get("status"))
        progress = normalize_progress(video.get("progress"))
        changes: dict[str, Any] = {}
        if status != job.status:
            changes["status"] = status
        if progress != job.progress:
            changes["progress"] = progress
        if status == "completed":
            changes["progress"] = 100.0
            changes["completed_at"] = float(video.get("completed_at") or time.time())
        if eta_s is not None or job.eta_s is not None:
            changes["eta_s"] = None if status in TERMINAL else eta_s
        row: dict[str, Any] = {k: v for k, v in changes.items() if k in ("status", "completed_at")}
        # Progress alone is journaled at most every few seconds per job: with hundreds in flight, a write per
        # observation would stall the loop, and a restart only needs a recent value.
        now = time.monotonic()
        if "progress" in changes and (row or now - self._progress_saved.get(job.id, -1e9) >= PROGRESS_SAVE_S):
            row["progress"] = changes["progress"]
            self._progress_saved[job.id] = now
        if row and video.get("expires_at"):
            row["expires_at"] = video.get("expires_at")
        if status == "failed":
            raw_error = video.get("error")
            error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
            message = str(error.get("message") or "the backend reported the job as failed")
            code = str(error.get("code") or "failed")
            blocked = blocked_input_of(error) if is_moderation(error) else None
            changes["error"] = JobError(code, message, blocked, code not in ("moderation_blocked",))
            row["error_json"] = dumps(changes["error"].to_dict())
        if row:
            self.journal.update(job.id, **row)
        if changes:
            job._update(**changes)
        if status in TERMINAL:
            if status == "completed":
                asyncio.get_running_loop().create_task(self._fetch_media(job))
            else:
                self._active.discard(job.id)
                job._finish()

    def _on_gone(self, video_id: str, error: BaseException) -> None:
        job = self._job_for_video(video_id)
        if job is not None and not job.done:
            self._fail(job, JobError("not_found", f"{self.label} no longer knows video {video_id} ({error})"),
                       status="expired")

    # ------------------------------------------------------------------ media

    async def _fetch_media(self, job: VideoJob) -> None:
        """Download the MP4 (retrying, never re-generating), then thumbnail/spritesheet (downloaded or made)."""
        if self._download_sem is None:
            self._download_sem = asyncio.Semaphore(4)
        self._active.add(job.id)
        try:
            async with self._download_sem:
                await self._fetch_media_inner(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if isinstance(exc, (Transient, ValueError)):
                log.warning("media for %s could not be downloaded: %s", job.id, exc)
            else:
                log.exception("media step for %s failed", job.id)
            error = JobError("download_failed", f"media for {job.id} could not be saved ({exc}); the video is not "
                             "generated again: sw.resume() retries the download", None, True)
            self.journal.update(job.id, error_json=dumps(error.to_dict()))
            job._update(error=error)
        finally:
            self._active.discard(job.id)
            job._finish()

    async def _download_verified(self, job: VideoJob, variant: str, dest: Path) -> dict[str, str] | None:
        """One asset to ``dest`` (atomic rename after verifying), with retries. None when the backend says 404."""
        assert job.video_id is not None
        part = dest.with_name(dest.name + ".part")
        for attempt in range(1, MAX_DOWNLOAD_ATTEMPTS + 1):
            try:
                headers = await self.client.download(job.video_id, variant, dest)
                if variant == "video":
                    await asyncio.to_thread(media.probe_video, part)
                else:
                    await asyncio.to_thread(_check_image, part)
                part.replace(dest)
                return headers
            except Gone:
                return None
            except (Transient, ValueError) as exc:
                part.unlink(missing_ok=True)
                if attempt == MAX_DOWNLOAD_ATTEMPTS:
                    raise
                retry_after = exc.retry_after_s if isinstance(exc, Transient) else None
                log.info("download %s of %s failed (%s); retry %d", variant, job.id, exc, attempt)
                await asyncio.sleep(backoff_delay(attempt, retry_after, base_s=0.25, cap_s=8.0))
        return None

    async def _fetch_media_inner(self, job: VideoJob) -> None:
        folder = self.journal.media_dir(job.id)
        video_path = folder / "video.mp4"
        if not video_path.exists():
            headers = await self._download_verified(job, "video", video_path)
            if headers is None:
                row = self.journal.get(job.id) or {}
                expired = row.get("expires_at") and time.time() > float(row["expires_at"])
                reason = "expired before it was downloaded" if expired else "was not found for download (404)"
                self._fail(job, JobError("expired", f"the video {job.video_id} {reason}", None, False),
                           status="expired")
                return
        self.journal.update(job.id, video_path=str(video_path), error_json=None)
        job._update(video_path=video_path, error=None)
        thumb, sheet = folder / "thumbnail.webp", folder / "spritesheet.jpg"
        sprite: media.SpriteGeometry | None = None
        if self.profile.supports("variants"):
            try:
                await self._download_verified(job, "thumbnail", thumb)
                headers = await self._download_verified(job, "spritesheet", sheet)
                sprite = media.SpriteGeometry.from_headers(headers or {}) if sheet.exists() else None
            except (Transient, ValueError) as exc:
                log.info("variants of %s unavailable (%s); making them locally", job.id, exc)
        if sprite is None or not thumb.exists() or not sheet.exists():
            local = await asyncio.to_thread(
                media.make_local_variants, video_path,
                None if thumb.exists() else thumb, sheet if sprite is None else None,
            )
            sprite = sprite or local
        self.journal.update(job.id, thumbnail_path=str(thumb), spritesheet_path=str(sheet),
                            sprite_json=dumps(sprite.to_dict()))
        job._update(thumbnail_path=thumb, spritesheet_path=sheet, sprite=sprite)

    # ------------------------------------------------------------------ resume

    def resume(self) -> list[VideoJob]:
        """Re-attach to every unfinished job of this backend in the journal (this or earlier processes)."""
        return self.run(self._resume(), timeout=120)

    async def _resume(self) -> list[VideoJob]:
        resumed: list[VideoJob] = []
        for row in self.journal.all(self.backend_key):
            job = self.job_from_row(row)
            status = row["status"]
            media_missing = status == "completed" and not (job.video_path and job.video_path.exists())
            if job.id in self._active or (job.done and not media_missing):
                continue
            if job.done:  # a download that failed earlier in this process: a fresh wait for the new attempt
                job._finished = concurrent.futures.Future()
            if status == "pending" and not row["video_id"]:
                params = self._params_from_row(row)
                self._active.add(job.id)
                asyncio.get_running_loop().create_task(
                    self._create_flow(job, params, outcome_unknown=row["sent_at"] is not None))
            elif status == "completed":
                self._active.add(job.id)
                asyncio.get_running_loop().create_task(self._fetch_media(job))
            elif row["video_id"] and status not in TERMINAL:
                self._active.add(job.id)
                with self._lock:
                    self._by_video[row["video_id"]] = job.id
                self.poller().track(row["video_id"], None, created_at=row.get("server_created_at"))
            else:
                continue
            resumed.append(job)
        return resumed

    def _params_from_row(self, row: dict[str, Any]) -> VideoParams:
        reference = None
        if row.get("reference_path") and Path(row["reference_path"]).exists():
            path = Path(row["reference_path"])
            reference = fit_reference(load_reference(path), row["size"], "error", stem=path.stem)
        return VideoParams(row["prompt"], row["model"], row["size"], str(row["seconds"]), reference)


def job_from_row(row: dict[str, Any], backend_key: str, engine: Engine | None = None) -> VideoJob:
    """A new VideoJob for a journal row. ``backend_key``: the configured backend's; ``engine``: its engine, or
    None when reading the journal before any engine exists (actions then build it on first use)."""
    mine = row.get("backend_key") == backend_key
    job = VideoJob(engine if mine else None, row)
    media_missing = job.status == "completed" and not (job.video_path and job.video_path.exists())
    if not mine or (job.status in TERMINAL and not media_missing):
        job._finished.set_result(job)  # nothing more will happen to it in this process
    return job


async def _cancel_all_but_current(rounds: int = 20) -> None:
    """Cancel every other task on this loop and wait for them, again for any a cancelled task started.

    A task is cancelled only once it has taken its first step: anyio wraps the coroutines it spawns (httpx's
    connect runs happy-eyeballs ``try_connect`` tasks), and a wrapper cancelled before it starts never awaits the
    coroutine inside, which then warns "never awaited". anyio's own cancel scopes skip unstarted tasks the same way.
    """
    for _ in range(rounds):
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if not tasks:
            return
        started = [t for t in tasks if not _unstarted(t)]
        for task in started:
            task.cancel()
        if started:
            await asyncio.gather(*started, return_exceptions=True)
        else:
            await asyncio.sleep(0)  # one loop turn: the new tasks take their first step


def _unstarted(task: asyncio.Task[Any]) -> bool:
    coro = task.get_coro()
    return inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED


def _finish_loop(loop: asyncio.AbstractEventLoop) -> None:
    """On the engine thread once ``run_forever`` returns: step whatever is left to its end, then close the loop
    (what ``asyncio.run`` does on exit), so no coroutine is left un-awaited."""
    try:
        loop.run_until_complete(_cancel_all_but_current())
        loop.run_until_complete(loop.shutdown_asyncgens())
    except Exception:
        log.debug("engine loop did not finish cleanly", exc_info=True)
    finally:
        loop.close()


def server_clock_offset(date_header: str | None) -> float | None:
    """Server clock minus ours, from an HTTP ``Date`` header (whole seconds), or None."""
    if not date_header:
        return None
    try:
        server = email.utils.parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError):
        return None
    return server - time.time()


def _check_image(path: Path) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.verify()
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{path.name} is not a readable image: {exc}") from None
