"""When to ask a backend about a video again, and the one asyncio task per process that does the asking.

The scheduling is pure functions (:func:`normalize_status`, :func:`estimate_eta`, :func:`next_delay`,
:func:`backoff_delay`) so it can be tested without waiting. :class:`Poller` is the thin driver: it keeps the
in-flight videos, sleeps until the earliest one is due, and refreshes them with one ``list`` call when many are
in flight and the backend lists, else with one GET each. It runs only while something is in flight.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .outcomes import Gone, Transient, header_seconds
from .vocab import TERMINAL

__all__ = [
    "TERMINAL",
    "Gone",
    "Poller",
    "Sample",
    "Transient",
    "backoff_delay",
    "estimate_eta",
    "header_seconds",
    "is_terminal",
    "next_delay",
    "normalize_progress",
    "normalize_status",
]

log = logging.getLogger(__name__)


# Status words seen from backends that speak the protocol, mapped onto the spec's four (+ expired).
_STATUS_MAP = {
    "queued": "queued",
    "pending": "queued",
    "waiting": "queued",
    "submitted": "queued",
    "in_progress": "in_progress",
    "processing": "in_progress",
    "running": "in_progress",
    "generating": "in_progress",
    "started": "in_progress",
    "completed": "completed",
    "succeeded": "completed",
    "success": "completed",
    "done": "completed",
    "failed": "failed",
    "error": "failed",
    "cancelled": "failed",
    "canceled": "failed",
    "expired": "expired",
    "deleted": "deleted",
}

FIRST_POLL_S = 2.0  # long enough to see a first progress step, short enough for a queued job
MIN_INTERVAL_S = 0.5
MAX_INTERVAL_S = 30.0
NEAR_END_S = 3.0  # within this of the ETA, aim at the ETA itself (plus a small margin)
END_MARGIN_S = 0.25
MAX_LIST_PAGES = 20  # one refresh walks at most this many pages; videos not met get a GET


def normalize_status(raw: Any) -> str:
    """The backend's status word as one of queued/in_progress/completed/failed/expired/deleted.

    Unknown words count as in progress: a poller that keeps asking is better than one that stops early.
    """
    word = str(raw or "").strip().lower()
    return _STATUS_MAP.get(word, "in_progress")


def is_terminal(status: str) -> bool:
    return status in TERMINAL


def normalize_progress(raw: Any) -> float | None:
    """``progress`` as a float 0..100, or None when absent or not a number (an indeterminate job)."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    if value != value:  # NaN
        return None
    return max(0.0, min(100.0, value))


@dataclass(frozen=True)
class Sample:
    """One observation: local monotonic time and progress (None when the backend sends none)."""

    t: float
    progress: float | None


def estimate_eta(samples: Sequence[Sample]) -> float | None:
    """Seconds from the last sample until progress reaches 100, from the observed rate; None if unknown.

    The rate is measured from the first sample that showed movement (or the last one still at zero) to the
    latest, the longest baseline that excludes time spent queued; whole-percent progress counts as up to one
    point more than reported (truncation), so the estimate is a lower bound.
    """
    known = [s for s in samples if s.progress is not None]
    if len(known) < 2:
        return None
    last = known[-1]
    assert last.progress is not None
    if last.progress >= 100.0:
        return 0.0
    moving = [s for s in known if s.progress and s.progress > 0]
    if not moving:
        return None
    zeros = [s for s in known if not s.progress and s.t < moving[0].t]
    anchor = moving[0] if len(moving) >= 2 else (zeros[-1] if zeros else None)
    if anchor is None or anchor.progress is None or last.t <= anchor.t:
        return None
    # Backends report whole percents (truncated): the true value may be up to one point more, at both ends.
    # Take the fastest consistent rate and the most progress, so the estimate errs early (one extra request)
    # rather than late (a late detection).
    quantum = 1.0 if float(last.progress).is_integer() and float(anchor.progress).is_integer() else 0.0
    rate = (last.progress - anchor.progress + quantum) / (last.t - anchor.t)
    if rate <= 0:
        return None
    return max(0.0, 100.0 - last.progress - quantum) / rate


def next_delay(
    *,
    status: str,
    elapsed_s: float,
    eta_s: float | None,
    poll_after_s: float | None = None,
    min_s: float = MIN_INTERVAL_S,
    max_s: float = MAX_INTERVAL_S,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds until the next status request for one video.

    Sparse early, dense near the end: with an ETA, come back at 85% of the remaining time (jittered a little
    so many jobs spread out), and within :data:`NEAR_END_S` aim just past the ETA. Without one (queued, or a
    backend with no progress), back off gently with the elapsed time. ``poll_after_s`` (the server's
    ``openai-poll-after-ms``) is a floor, except for the request aimed at the predicted end.
    """
    floor = max(min_s, poll_after_s or 0.0)
    if eta_s is not None and status == "in_progress":
        if eta_s <= NEAR_END_S:
            # The one place we may come back sooner than the server's hint: one request aimed at the end.
            return max(min_s, min(max_s, eta_s + END_MARGIN_S))
        else:
            delay = 0.85 * eta_s * (0.95 + 0.05 * rand())
    elif status == "queued":
        delay = min((poll_after_s or FIRST_POLL_S) + 0.1 * elapsed_s, 10.0)
    else:  # indeterminate: no progress reported
        delay = min((poll_after_s or 1.0) + 0.15 * elapsed_s, 10.0) * (0.9 + 0.2 * rand())
    return max(floor, min(max_s, delay))


def backoff_delay(
    attempt: int,
    retry_after_s: float | None = None,
    *,
    base_s: float = 0.5,
    cap_s: float = 30.0,
    rand: Callable[[], float] = random.random,
) -> float:
    """Exponential backoff with full jitter for attempt 1, 2, ...; the server's ``retry-after`` wins when larger."""
    exp = min(cap_s, base_s * (2.0 ** max(0, attempt - 1)))  # 2.0: int ** int is typed Any
    delay = exp / 2 + rand() * exp / 2
    if retry_after_s is not None:
        delay = max(delay, retry_after_s)
    return min(max(delay, 0.0), max(cap_s, retry_after_s or 0.0))


@dataclass
class _Track:
    video_id: str
    started: float
    created_at: float | None
    status: str = "queued"
    due: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    failures: int = 0


# fetch_one(video_id) -> (video dict, headers); fetch_page(after) -> (videos, has_more, headers)
FetchOne = Callable[[str], Awaitable[tuple[dict[str, Any], Mapping[str, str]]]]
FetchPage = Callable[[str | None], Awaitable[tuple[list[dict[str, Any]], bool, Mapping[str, str]]]]
OnUpdate = Callable[[str, dict[str, Any], float | None], None]
OnGone = Callable[[str, BaseException], None]


class Poller:
    """Keeps every in-flight video of one backend up to date with as few requests as the schedule allows.

    Parameters
    ----------
    fetch_one, fetch_page
        The requests (from :mod:`client`); ``fetch_page`` is None when the backend cannot list.
    on_update
        ``on_update(video_id, video, eta_s)`` after every observation (on the event loop).
    on_gone
        ``on_gone(video_id, error)`` when the backend answers 404 for a video; it is dropped.
    list_threshold
        Use ``list`` once this many videos are in flight.
    """

    def __init__(
        self,
        fetch_one: FetchOne,
        on_update: OnUpdate,
        on_gone: OnGone,
        *,
        fetch_page: FetchPage | None = None,
        list_threshold: int = 8,
        list_min_interval_s: float = 0.5,
        max_parallel: int = 16,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch_one = fetch_one
        self._fetch_page = fetch_page
        self._on_update = on_update
        self._on_gone = on_gone
        self.list_threshold = list_threshold
        self.list_min_interval_s = list_min_interval_s
        self._clock = clock
        self._tracks: dict[str, _Track] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._sem = asyncio.Semaphore(max_parallel)
        self._paused_until = 0.0
        self._last_list = -1e9
        self._list_failures = 0
        self.requests = {"get": 0, "list": 0}

    @property
    def in_flight(self) -> list[str]:
        return list(self._tracks)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def track(self, video_id: str, video: dict[str, Any] | None = None,
              headers: Mapping[str, str] | None = None, *, created_at: float | None = None) -> None:
        """Start following ``video_id`` (call on the loop). ``video`` and ``headers`` are what the create
        returned, if anything: the first poll comes after the server's ``openai-poll-after-ms`` hint."""
        now = self._clock()
        if video_id in self._tracks:
            return
        created = video.get("created_at") if video else created_at
        track = _Track(video_id, started=now, created_at=float(created) if isinstance(created, (int, float)) else None)
        if video is not None:
            track.status = normalize_status(video.get("status"))
            track.samples.append(Sample(now, normalize_progress(video.get("progress"))))
        hint = header_seconds(headers, "openai-poll-after-ms")
        track.due = now + (max(MIN_INTERVAL_S, hint) if hint is not None else FIRST_POLL_S)
        self._tracks[video_id] = track
        self._kick()

    def untrack(self, video_id: str) -> None:
        self._tracks.pop(video_id, None)

    def _kick(self) -> None:
        if self._wake is None:
            self._wake = asyncio.Event()
        self._wake.set()
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sora-poller")

    async def _run(self) -> None:
        assert self._wake is not None
        while self._tracks:
            now = self._clock()
            earliest = max(min(t.due for t in self._tracks.values()), self._paused_until)
            use_list = self._fetch_page is not None and len(self._tracks) >= self.list_threshold
            if use_list:
                earliest = max(earliest, self._last_list + self.list_min_interval_s)
            if earliest > now:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), earliest - now)
                except asyncio.TimeoutError:
                    pass
                continue
            due = [t for t in self._tracks.values() if t.due <= now + 0.05]
            try:
                if use_list:
                    await self._refresh_by_list(due)
                else:
                    await asyncio.gather(*(self._refresh_one(t) for t in due))
            except Exception:  # never let the one poller die: log, back off, go on
                log.exception("poller iteration failed")
                self._paused_until = self._clock() + backoff_delay(3)

    def _observe(self, track: _Track, video: dict[str, Any], headers: Mapping[str, str] | None,
                 *, min_s: float = MIN_INTERVAL_S) -> None:
        now = self._clock()
        track.failures = 0
        status = normalize_status(video.get("status"))
        track.status = status
        track.samples.append(Sample(now, normalize_progress(video.get("progress"))))
        del track.samples[:-12]
        eta = estimate_eta(track.samples) if status == "in_progress" else None
        if is_terminal(status):
            self._tracks.pop(track.video_id, None)
        else:
            delay = next_delay(
                status=status,
                elapsed_s=now - track.started,
                eta_s=eta,
                poll_after_s=header_seconds(headers, "openai-poll-after-ms"),
                min_s=min_s,
            )
            track.due = now + delay
        try:
            self._on_update(track.video_id, video, eta)
        except Exception:
            log.exception("on_update failed for %s", track.video_id)

    def _failed(self, track: _Track, error: Transient) -> None:
        track.failures += 1
        delay = backoff_delay(track.failures, error.retry_after_s)
        track.due = self._clock() + delay
        if error.status == 429 and error.retry_after_s:
            self._paused_until = max(self._paused_until, self._clock() + error.retry_after_s)
        log.debug("status request for %s failed (%s); retrying in %.1fs", track.video_id, error, delay)

    async def _refresh_one(self, track: _Track) -> None:
        async with self._sem:
            self.requests["get"] += 1
            try:
                video, headers = await self._fetch_one(track.video_id)
            except Transient as exc:
                self._failed(track, exc)
                return
            except Gone as exc:
                self._tracks.pop(track.video_id, None)
                self._on_gone(track.video_id, exc)
                return
        if track.video_id in self._tracks:
            self._observe(track, video, headers)

    async def _refresh_by_list(self, due: list[_Track]) -> None:
        """One ``list`` walk (newest first) refreshes every tracked video it meets; stop once all due ones are
        seen or the pages are older than the oldest due one. Due videos not met get a GET."""
        assert self._fetch_page is not None
        self._last_list = self._clock()
        wanted = {t.video_id for t in due}
        oldest = min((t.created_at for t in due if t.created_at is not None), default=None)
        after: str | None = None
        for _page in range(MAX_LIST_PAGES):
            if not wanted:
                break
            self.requests["list"] += 1
            try:
                videos, has_more, headers = await self._fetch_page(after)
            except Transient as exc:
                self._list_failures += 1
                delay = backoff_delay(self._list_failures, exc.retry_after_s)
                self._paused_until = max(self._paused_until, self._clock() + delay)
                return
            self._list_failures = 0
            for video in videos:
                vid = video.get("id")
                track = self._tracks.get(vid) if isinstance(vid, str) else None
                if track is not None:
                    wanted.discard(track.video_id)
                    # One list serves every job, so a job's own floor can go: list_min_interval_s paces them.
                    self._observe(track, video, headers, min_s=0.05)
            if not has_more or not videos:
                break
            last_created = videos[-1].get("created_at")
            if oldest is not None and isinstance(last_created, (int, float)) and last_created < oldest - 5:
                break
            after = videos[-1].get("id")
        missing = [self._tracks[v] for v in wanted if v in self._tracks]
        if missing:
            await asyncio.gather(*(self._refresh_one(t) for t in missing))

    async def stop(self) -> None:
        self._tracks.clear()
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        self._task = None
