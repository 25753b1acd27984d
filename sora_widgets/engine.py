"""The engine: the replaceable executor behind a :class:`~sora_widgets.session.Session`.

One backend (an HTTP client), one poller, one event loop thread (:class:`~sora_widgets.loop.LoopThread`).
It drives the session's job objects: creates them (:mod:`create_flow`), polls them (:mod:`poller`), downloads
their media (:mod:`downloads`). It owns no job and no journal: ``sw.configure()`` closes an engine and builds
another for the same session, and the jobs carry on (the new engine re-attaches the ones in flight).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import shutil
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .capabilities import Capabilities
from .capability_store import CapabilityStore
from .client import VideoClient, blocked_input_of, is_moderation
from .create_flow import create_flow
from .downloads import fetch_media
from .errors import SoraWidgetsError
from .job import JobError, VideoJob
from .loop import LoopThread
from .outcomes import Gone, Transient, Unsupported
from .params import VideoParams, fit_reference, load_reference
from .poller import Poller, normalize_progress, normalize_status
from .profiles import FEATURES, BackendProfile, ModelSpec
from .store import Journal, dumps
from .urls import public_url
from .vocab import TERMINAL

if TYPE_CHECKING:
    from .session import Session

__all__ = ["Engine", "Settings"]

log = logging.getLogger(__name__)

PROGRESS_SAVE_S = 5.0


@dataclass
class Settings:
    """How to reach one backend. ``api_key`` never appears in its repr."""

    profile: BackendProfile
    home: Path
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    client: Any = field(default=None, repr=False)
    label: str | None = None
    backend_key: str | None = None
    is_emulator: bool = False
    list_threshold: int = 8
    transport: Any = field(default=None, repr=False)  # a provider's transport (providers/), instead of the SDK
    send_seed: bool = False  # the backend takes an optional `seed` on create (the emulator, "seed" profiles)


class Engine(LoopThread):
    """Drives the jobs of one backend for a session. Built by the session's factory (:mod:`api`)."""

    def __init__(self, settings: Settings, session: Session) -> None:
        super().__init__("sora-engine")
        self.settings = settings
        self.session = session
        self.journal: Journal = session.journal
        self.client = settings.transport or VideoClient(
            base_url=settings.base_url, api_key=settings.api_key, client=settings.client)
        if settings.transport is None:  # a provider's transport has its own idea of seeds
            self.client.sends_seed = settings.send_seed or settings.profile.supports("seed")
        self.backend_key = settings.backend_key or public_url(self.client.base_url)
        # the journal's own connection and lock: the facts live in the same SQLite file as the jobs
        self.caps = Capabilities(CapabilityStore(self.journal._db, self.journal._lock), self.backend_key,
                                 settings.profile)
        self.label = settings.label or self.client.label
        self._active: set[str] = set()  # job ids with a task running on this engine
        self._poller: Poller | None = None
        self._by_video: dict[str, str] = {}
        self._progress_saved: dict[str, float] = {}
        self._guessed: dict[str, str] = {}  # job id -> video id found by listing after an unknown outcome
        self._download_sem: asyncio.Semaphore | None = None
        self._variant_lock: asyncio.Lock | None = None  # one "has it variants?" probe at a time
        self._fetching: set[str] = set()  # job ids whose media step runs (one at a time per job)
        self._state_lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Engine(backend={self.label!r}, home={str(self.settings.home)!r})"

    @property
    def profile(self) -> BackendProfile:
        """The configured profile with the features this backend was seen to have (a learned fact wins) and,
        for an open profile, the models it said it serves (``GET /models``)."""
        declared = self.settings.profile
        features = frozenset(f for f in FEATURES if self.caps.allows(f))
        served = self.caps.facts.get("models") if declared.open_models else None
        if not served:
            return replace(declared, features=features) if features != declared.features else declared
        base = declared.models[0]
        models = [declared.find_model(name) or ModelSpec(name, base.sizes, base.seconds) for name in served]
        return replace(declared, features=features, models=tuple(models))

    def poller(self) -> Poller:
        if self._poller is None:
            self._poller = Poller(
                self._fetch_one,
                self._on_update,
                self._on_gone,
                fetch_page=self._fetch_page if self.caps.allows("list") else None,
                on_list_refused=lambda exc: self.caps.learn("list", False, str(exc)),
                on_timing=self._on_timing,
                predict=self._predict,
                list_threshold=self.settings.list_threshold,
            )
        return self._poller

    async def _fetch_one(self, video_id: str) -> tuple[dict[str, Any], dict[str, str]]:
        video, headers = await self.client.retrieve(video_id)
        return self.caps.read(video), headers

    async def _fetch_page(self, after: str | None) -> tuple[list[dict[str, Any]], bool, dict[str, str]]:
        videos, has_more, headers = await self.client.list_page(after=after)
        if videos and self.caps.known("list") is None:
            self.caps.learn("list", True, "a list answered")
        return [self.caps.read(v) for v in videos], has_more, headers

    async def served_models(self) -> list[str]:
        """The models the backend serves (``GET /models``), learned once; [] when it does not say."""
        known = self.caps.facts.get("models")
        if isinstance(known, list):
            return [str(m) for m in known]
        try:
            models = await self.client.list_models()
        except (Transient, Gone, Unsupported, SoraWidgetsError) as exc:
            log.info("%s does not list its models (%s)", self.label, exc)
            models = []
        if models or self.caps.known("models") is None:
            self.caps.learn("models", models, "GET /models")
        return models

    def _expected_run_s(self, job: VideoJob) -> float | None:
        return self.caps.predicted_run_s(job.model, job.size, job.seconds)

    def _predict(self, video_id: str) -> float | None:
        job = self._job_for_video(video_id)
        return self._expected_run_s(job) if job is not None else None

    def _on_timing(self, video_id: str, queued_s: float | None, run_s: float, values: list[float | None]) -> None:
        job = self._job_for_video(video_id)
        if job is not None:
            self.caps.record_timing(job.model, job.size, job.seconds, queued_s, run_s)
        self.caps.observe_finished(values)

    async def _shutdown(self) -> None:
        """On :meth:`close`: stop polling, close the HTTP client (on the loop that opened its connections).
        Jobs stay journaled and stay the same objects: the session's next engine picks them up."""
        if self._poller is not None:
            await self._poller.stop()
        await self.client.close()

    # ------------------------------------------------------------------ attaching jobs

    def is_attached(self, job: VideoJob) -> bool:
        with self._state_lock:
            return job.id in self._active

    def attach(self, job: VideoJob) -> concurrent.futures.Future[bool]:
        """Drive ``job`` (of this backend) to its end from wherever the journal says it is: create it (or look
        for an earlier process's create), poll it, or fetch its missing media. Returns at once."""
        with self._state_lock:
            if job.id in self._active:
                done: concurrent.futures.Future[bool] = concurrent.futures.Future()
                done.set_result(False)
                return done
            self._active.add(job.id)
        return self.spawn(self._attach(job))

    async def _attach(self, job: VideoJob, *, refresh: bool = False) -> bool:
        row = self.journal.get(job.id) or {}
        status = row.get("status") or job.status
        media_missing = status == "completed" and not (job.video_path and job.video_path.exists())
        if job.done and not media_missing:
            with self._state_lock:
                self._active.discard(job.id)
            return False
        if job.done:  # a download that failed earlier: a fresh wait for the new attempt
            job._finished = concurrent.futures.Future()
        if status == "pending" and not row.get("video_id"):
            self.start_task(create_flow(self, job, self.params_from_row(row),
                                        outcome_unknown=row.get("sent_at") is not None))
        elif status == "completed":  # the media step did not finish (or never started) in this process
            self._start_fetch(job)
        elif row.get("video_id") and status not in TERMINAL:
            video_id = str(row["video_id"])
            with self._state_lock:
                self._by_video[video_id] = job.id
            if refresh:
                await self._refresh(video_id)
            if not job.done:
                self.poller().track(video_id, None, created_at=row.get("server_created_at"),
                                    expected_run_s=self._expected_run_s(job))
        else:
            with self._state_lock:
                self._active.discard(job.id)
            if status in TERMINAL:
                job._finish()  # ended while the engine before this one was being replaced
            return False
        return True

    async def _refresh(self, video_id: str) -> None:
        """One status request now (instead of at the poller's first tick)."""
        try:
            video, _headers = await self.client.retrieve(video_id)
        except Gone as exc:
            self._on_gone(video_id, exc)
        except (Transient, SoraWidgetsError) as exc:
            log.info("could not refresh %s now: %s", video_id, exc)
        else:
            self._on_update(video_id, self.caps.read(video), None)

    def refresh(self, jobs: list[VideoJob], timeout: float = 30.0) -> None:
        """Attach ``jobs`` and ask the backend about each at once (blocking): how many are really in flight."""

        async def run() -> None:
            for job in jobs:
                with self._state_lock:
                    if job.id in self._active:
                        continue
                    self._active.add(job.id)
                await self._attach(job, refresh=True)

        self.run(run(), timeout)

    def resume(self) -> list[VideoJob]:
        """Attach every unfinished job of this backend in the journal (this or earlier processes)."""

        async def run() -> list[VideoJob]:
            resumed = []
            for row in self.journal.all(self.backend_key):
                job = self.session.job(row)
                with self._state_lock:
                    if job.id in self._active:
                        continue
                    self._active.add(job.id)
                if await self._attach(job):
                    resumed.append(job)
            return resumed

        return self.run(run(), timeout=120)

    def claim(self, job: VideoJob) -> None:
        """A job just journaled: this engine drives it (so nobody attaches it a second time and pays twice)."""
        with self._state_lock:
            self._active.add(job.id)

    def start_create(self, job: VideoJob, params: VideoParams) -> None:
        """A job just journaled and claimed by the session: send its create."""
        self.claim(job)
        self.spawn(create_flow(self, job, params))

    def params_from_row(self, row: dict[str, Any]) -> VideoParams:
        reference = None
        if row.get("reference_path") and Path(row["reference_path"]).exists():
            path = Path(row["reference_path"])
            reference = fit_reference(load_reference(path), row["size"], "error", stem=path.stem)
        return VideoParams(row["prompt"], row["model"], row["size"], str(row["seconds"]), reference, row.get("seed"))

    # ------------------------------------------------------------------ delete

    def delete(self, job: VideoJob, *, cancel: bool = False) -> concurrent.futures.Future[None]:
        """Delete on the backend (when it can) and locally; the future resolves when done. ``cancel``: stop a
        running job, which ends ``cancelled`` (retryable); a job that already ended is left as it is."""
        return self.spawn(self._delete(job, cancel))

    async def _delete(self, job: VideoJob, cancel: bool = False) -> None:
        if cancel and job.status in TERMINAL:
            return
        if job.video_id:
            self.poller().untrack(job.video_id)
            if self.caps.allows("delete"):
                try:
                    await self.client.delete(job.video_id)
                    self.caps.learn("delete", True, "a delete answered")
                except Unsupported as exc:
                    self.caps.learn("delete", False, str(exc))
                except (Gone, Transient, SoraWidgetsError) as exc:
                    # e.g. a backend that only deletes finished videos: the local copy goes anyway
                    log.warning("backend delete of %s refused: %s", job.video_id, exc)
            if not self.caps.allows("delete"):
                log.warning("%s %s here only: %s has no delete, so it keeps video %s until it expires",
                            job.id, "cancelled" if cancel else "deleted", self.label, job.video_id)
        if cancel:
            return self._fail(job, JobError("cancelled", "Cancelled before it finished.", retryable=True), "cancelled")
        shutil.rmtree(self.journal.media_root / job.id, ignore_errors=True)
        self.journal.update(job.id, status="deleted", video_path=None, thumbnail_path=None, spritesheet_path=None)
        job._update(status="deleted", video_path=None, thumbnail_path=None, spritesheet_path=None, eta_s=None)
        self._release(job)

    # ------------------------------------------------------------------ outcomes

    def _release(self, job: VideoJob) -> None:
        with self._state_lock:
            self._active.discard(job.id)
        job._finish()

    def _fail(self, job: VideoJob, error: JobError, status: str = "failed") -> None:
        if self.closed:
            return  # a replaced engine: the session's current one decides
        self.journal.update(job.id, status=status, error_json=dumps(error.to_dict()))
        job._update(status=status, error=error, eta_s=None)
        self._release(job)

    def _ack(self, job: VideoJob, video: dict[str, Any], headers: dict[str, str] | None = None, *,
             guessed: bool = False) -> None:
        """Record the backend id. ``guessed``: found by listing, not answered by the create itself."""
        if not guessed:
            self.caps.observe_create(video, {"prompt": job.prompt, "model": job.model, "size": job.size,
                                             "seconds": job.seconds})
        video = self.caps.read(video)
        video_id = str(video["id"])
        with self._state_lock:
            other_id = self._by_video.get(video_id)
            self._by_video[video_id] = job.id
            if guessed:
                self._guessed[job.id] = video_id
            else:
                self._guessed.pop(job.id, None)
        other = self.session.known(other_id) if other_id and other_id != job.id else None
        if other is not None and self._guessed.pop(other.id, None) == video_id:
            # Two identical requests raced: the create's own answer wins; the other job looks again.
            log.warning("%s belongs to %s (its create said so); %s looks for its own video again",
                        video_id, job.id, other.id)
            self.journal.update(other.id, video_id=None, status="pending")
            other._update(video_id=None, status="pending", progress=None)
            self.spawn(create_flow(self, other, self.params_from_row(self.journal.get(other.id) or {}),
                                   outcome_unknown=True))
        self.journal.update(job.id, video_id=video_id, acknowledged_at=time.time(),
                            server_created_at=video.get("created_at"), status="queued")
        job._update(video_id=video_id, status="queued")
        self._on_update(video_id, video, None)
        if job.status not in TERMINAL:
            self.poller().track(video_id, video, headers, expected_run_s=self._expected_run_s(job))

    def _job_for_video(self, video_id: str) -> VideoJob | None:
        with self._state_lock:
            job_id = self._by_video.get(video_id)
        return self.session.known(job_id) if job_id else None

    def _on_update(self, video_id: str, video: dict[str, Any], eta_s: float | None) -> None:
        job = self._job_for_video(video_id)
        if job is None or self.closed or job.status == "deleted" or job.done:
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
        if status in ("failed", "cancelled"):
            raw_error = video.get("error")
            error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
            if status == "cancelled":  # stopped on the backend (someone cancelled it there): not a failure
                error = {"code": "cancelled", "message": error.get("message") or "Cancelled on the backend."}
            message = str(error.get("message") or "the backend reported the job as failed")
            code = str(error.get("code") or "failed")
            blocked = blocked_input_of(error) if is_moderation(error) else None
            changes["error"] = JobError(code, message, blocked, code not in ("moderation_blocked",))
            row["error_json"] = dumps(changes["error"].to_dict())
        if row:
            self.journal.update(job.id, **row)
        if changes:
            job._update(**changes)
        if self.closed:
            return  # replaced while the callbacks ran (one called sw.configure()): the next engine goes on
        if status == "completed":
            self._start_fetch(job)
        elif status in TERMINAL:
            self._release(job)

    def _start_fetch(self, job: VideoJob) -> None:
        """On the loop: the media step of ``job``, unless it already runs (a second "completed" observation)."""
        with self._state_lock:
            if job.id in self._fetching:
                return
            self._fetching.add(job.id)

        async def run() -> None:
            try:
                await fetch_media(self, job)
            finally:
                with self._state_lock:
                    self._fetching.discard(job.id)

        self.start_task(run())

    def _on_gone(self, video_id: str, error: BaseException) -> None:
        job = self._job_for_video(video_id)
        if job is not None and not job.done:
            self._fail(job, JobError("not_found", f"{self.label} no longer knows video {video_id} ({error})"),
                       status="expired")
