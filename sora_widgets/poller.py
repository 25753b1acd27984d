"""The one asyncio task per process that asks a backend about its videos (the when is :mod:`schedule`'s pure
functions): it keeps the in-flight videos, sleeps until the earliest is due, and refreshes them with one ``list``
call when many are in flight and the backend lists, else with one GET each; it runs only while one is in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .hidden_queue import HiddenQueue, overrun_tolerance_s
from .outcomes import Gone, Transient, header_seconds
from .schedule import (
    FIRST_POLL_S,
    MIN_INTERVAL_S,
    Sample,
    backoff_delay,
    completion_time,
    estimate_eta,
    history_delay,
    is_terminal,
    left_queue_at,
    next_delay,
    normalize_progress,
    normalize_status,
)
from .vocab import TERMINAL

__all__ = [
    "FIRST_POLL_S", "TERMINAL", "Gone", "Poller", "Sample", "Transient", "backoff_delay",
    "estimate_eta", "header_seconds", "is_terminal", "next_delay", "normalize_progress",
    "normalize_status"
]

log = logging.getLogger(__name__)


MAX_LIST_PAGES = 20  # one refresh walks at most this many pages; videos not met get a GET
SLOT_FREED_CHECK_S = 0.3  # a job just finished: the oldest queued one probably started now
QUEUED_BEHIND_OURS_MAX_S = 30.0  # a queued job waits at most this long between asks while ours run


@dataclass
class _Track:
    video_id: str
    started: float
    created_at: float | None
    status: str = "queued"
    due: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    failures: int = 0
    expected_run_s: float | None = None  # from this backend's history of jobs of the same kind
    run_start: float | None = None  # when it left the queue (estimated between two samples)
    seen_queued: bool = False
    hidden_queue: bool = False  # the create answered "running": the backend's words hide its queue
    slot_given: bool = False  # one of ours finished while it waited: its slot went to this one (first in, first out)


# fetch_one(video_id) -> (video dict, headers); fetch_page(after) -> (videos, has_more, headers)
FetchOne = Callable[[str], Awaitable[tuple[dict[str, Any], Mapping[str, str]]]]
FetchPage = Callable[[str | None], Awaitable[tuple[list[dict[str, Any]], bool, Mapping[str, str]]]]
OnUpdate = Callable[[str, dict[str, Any], float | None], None]
OnGone = Callable[[str, BaseException], None]
#: on_list_refused(error): the backend answered ``list`` with a client error (it cannot list)
OnListRefused = Callable[[BaseException], None]
#: on_timing(video_id, queued_s, run_s, progress values seen while running): a job completed
OnTiming = Callable[[str, float | None, float, list[float | None]], None]
#: predict(video_id): how long this video's kind of job ran on this backend before (None: no history)
Predict = Callable[[str], float | None]


class Poller:
    """Keeps every in-flight video of one backend up to date with as few requests as the schedule allows.

    Parameters
    ----------
    fetch_one, fetch_page
        The requests (from :mod:`client`); ``fetch_page`` is None when the backend cannot list. Both return
        canonical video objects (status word, seconds, percent: :meth:`Capabilities.read`).
    on_update
        ``on_update(video_id, video, eta_s)`` after every observation (on the event loop).
    on_gone
        ``on_gone(video_id, error)`` when the backend answers 404 for a video; it is dropped.
    on_list_refused
        Called once when ``list`` answers a client error; the poller then uses GETs (at once).
    on_timing
        Called when a job completes, with how long it queued and ran (for the backend's history).
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
        on_list_refused: OnListRefused | None = None,
        on_timing: OnTiming | None = None,
        predict: Predict | None = None,
        list_threshold: int = 8,
        list_min_interval_s: float = 0.5,
        max_parallel: int = 16,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch_one = fetch_one
        self._fetch_page = fetch_page
        self._on_update = on_update
        self._on_gone = on_gone
        self._on_list_refused = on_list_refused
        self._on_timing = on_timing
        self._predict = predict
        self._freed: list[float] = []  # when ours finished in this busy period (each freed a render slot)
        self._hidden = HiddenQueue()
        self._queue_seen = False  # a job of ours was found waiting (so starts guessed at the create may be wrong)
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
              headers: Mapping[str, str] | None = None, *, created_at: float | None = None,
              expected_run_s: float | None = None) -> None:
        """Start following ``video_id`` (call on the loop). ``video`` and ``headers`` are what the create
        returned, if anything: the first poll comes after the server's ``openai-poll-after-ms`` hint.
        ``expected_run_s``: how long jobs of this kind ran on this backend before (None: no history)."""
        now = self._clock()
        if video_id in self._tracks:
            return
        created = video.get("created_at") if video else created_at
        track = _Track(video_id, started=now, created_at=float(created) if isinstance(created, (int, float)) else None,
                       expected_run_s=expected_run_s)
        if expected_run_s is None and self._predict is not None:
            track.expected_run_s = expected_run_s = self._predict(video_id)
        if video is not None:
            track.status = normalize_status(video.get("status"))
            track.seen_queued = track.status == "queued"
            track.samples.append(Sample(now, normalize_progress(video.get("progress")), track.status))
        if not any(t.status == "in_progress" for t in self._tracks.values()):
            track.run_start = now  # no job of ours holds a render slot: it most likely starts now
        if video is not None and track.status == "in_progress":  # "running" at once: any queue is hidden
            track.hidden_queue = True
            self._hidden.add(video_id, now, expected_run_s)
            track.run_start = self._hidden.start(video_id, now)
        hint = header_seconds(headers, "openai-poll-after-ms")
        if expected_run_s is not None and track.run_start is not None:
            # ask once, a little before the end this backend's history predicts for this kind of job
            track.due = now + history_delay(now=now, run_start=track.run_start, expected_run_s=expected_run_s)
        else:
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
        self._hidden.forget_idle()  # the next busy period starts afresh
        self._queue_seen, self._freed = False, []

    def _observe(self, track: _Track, video: dict[str, Any], headers: Mapping[str, str] | None,
                 *, min_s: float = MIN_INTERVAL_S) -> None:
        now = self._clock()
        track.failures = 0
        status = normalize_status(video.get("status"))
        previous = track.samples[-1] if track.samples else None
        if status == "queued":
            if not self._queue_seen:  # the first sign of a queue: which of ours wait? (first in, first out)
                for other in self._tracks.values():
                    if len(other.samples) <= 1 and other is not track:  # known only from its create
                        other.due = min(other.due, now + SLOT_FREED_CHECK_S)
            track.seen_queued = self._queue_seen = True
            track.run_start, track.slot_given = None, False  # it had not taken the slot we thought
        elif status == "in_progress" and (track.run_start is None or (
                self._queue_seen and not track.slot_given and previous is not None and previous.status == "queued")):
            # left the queue between the previous sample and this one (or ran from the start): a slot frees only
            # when a job ends, so when one of ours finished in between, its slot went to this one
            if not track.seen_queued or previous is None:
                track.run_start = track.started
            else:
                track.run_start = left_queue_at(previous.t, now, self._freed, from_create=len(track.samples) == 1)
        track.status = status
        track.samples.append(Sample(now, normalize_progress(video.get("progress")), status))
        del track.samples[:-12]
        eta = estimate_eta(track.samples) if status == "in_progress" else None
        if is_terminal(status):
            self._tracks.pop(track.video_id, None)
            if status == "completed":
                self._finished(track, previous, now, video.get("completed_at"))
        else:
            if track.expected_run_s is None and self._predict is not None and status == "in_progress":
                track.expected_run_s = self._predict(track.video_id)
                self._hidden.add(track.video_id, track.started, track.expected_run_s)
            if eta is None and status == "in_progress" and track.expected_run_s is not None:
                delay = self._history_delay(track, now, min_s)
                hint = header_seconds(headers, "openai-poll-after-ms")
                delay = max(delay, min(hint or 0.0, 1.0))  # near the predicted end: at most 1 s apart
            elif status == "queued" and any(t.status == "in_progress" for t in self._tracks.values()):
                # ours hold the render slots: this one starts when one of them finishes, and a finish makes the
                # oldest queued job due (_finished: at once, or where its history aims), so wait long here
                delay = QUEUED_BEHIND_OURS_MAX_S if track.expected_run_s is not None else \
                    min(QUEUED_BEHIND_OURS_MAX_S, 10.0 + (now - track.started))
            else:
                delay = next_delay(
                    status=status,
                    elapsed_s=now - track.started,
                    eta_s=eta,
                    poll_after_s=header_seconds(headers, "openai-poll-after-ms"),
                    min_s=min_s,
                )
                progress = track.samples[-1].progress
                if eta is None and status == "in_progress" and track.run_start is not None and progress \
                        and 0.0 < progress < 100.0 and now > track.run_start:
                    # one running sample: a rough rate since it left the queue; come back halfway for a second
                    guess = (100.0 - progress) * (now - track.run_start) / progress
                    delay = min(delay, max(min_s, 0.75 * guess))
            track.due = now + delay
        try:
            self._on_update(track.video_id, video, eta)
        except Exception:
            log.exception("on_update failed for %s", track.video_id)

    def _history_delay(self, track: _Track, now: float, min_s: float) -> float:
        """Aim at the end this backend's history predicts, counted from when the job left the queue (for a
        queue the backend hides: where first-in-first-out over our own jobs puts its start)."""
        assert track.expected_run_s is not None
        if track.hidden_queue:
            start = self._hidden.start(track.video_id, now)
            late = start is not None and now > start + track.expected_run_s + overrun_tolerance_s(track.expected_run_s)
            if late and start is not None and self._hidden.overran(track.video_id, start):  # it waited for a slot
                self._rehide(now, skip=track)
                start = self._hidden.start(track.video_id, now)
            track.run_start = start if start is not None else track.run_start
        elif track.run_start is not None and now > track.run_start + track.expected_run_s + overrun_tolerance_s(
                track.expected_run_s):  # still running: it took a slot later, when one of ours ended
            track.run_start = min((t for t in self._freed if track.run_start < t <= now), default=track.run_start)
        run_start = track.run_start if track.run_start is not None else track.started
        return history_delay(now=now, run_start=run_start, expected_run_s=track.expected_run_s, min_s=min_s)

    def _rehide(self, now: float, skip: _Track | None = None) -> None:
        """The hidden queue's model changed: move every such job's next ask to where it now predicts."""
        for other in self._tracks.values():
            if other.hidden_queue and other is not skip and other.expected_run_s is not None:
                other.due = now + self._history_delay(other, now, MIN_INTERVAL_S)

    def _finished(self, track: _Track, previous: Sample | None, now: float, completed_at: Any = None) -> None:
        """A job completed: tell the history how long it ran, and look at the oldest queued job soon (the render
        slot it held is free, so that one probably just started: its rate is anchored there)."""
        offset = time.time() - time.monotonic() if self._clock is time.monotonic else None
        if track.hidden_queue:
            track.run_start = self._hidden.start(track.video_id, now) or track.run_start
        predicted = track.run_start + track.expected_run_s if track.run_start and track.expected_run_s else None
        ended = completion_time(previous.t if previous else None, now, completed_at, offset, predicted)
        self._freed.append(ended)
        if track.hidden_queue:
            self._hidden.finished(track.video_id, ended)
            self._rehide(now)
        queued = [t for t in self._tracks.values() if t.status == "queued" and not t.slot_given and len(t.samples) > 1]
        if queued:
            oldest = min(queued, key=lambda t: t.started)
            oldest.slot_given = True
            if oldest.expected_run_s is None and self._predict is not None:
                oldest.expected_run_s = self._predict(oldest.video_id)
            if oldest.expected_run_s is not None:  # it took this slot: ask once, when its kind usually ends
                oldest.run_start = ended
                oldest.due = now + history_delay(now=now, run_start=ended, expected_run_s=oldest.expected_run_s)
            else:  # ask soon: where it starts anchors its rate
                oldest.run_start, oldest.due = None, min(oldest.due, now + SLOT_FREED_CHECK_S)
        if self._on_timing is None:
            return
        run_start = track.run_start if track.run_start is not None else track.started
        values = [s.progress for s in track.samples if s.status == "in_progress"]
        running = [s for s in track.samples if s.status == "in_progress" and s.progress and 0.0 < s.progress < 90.0]
        if running:  # linear progress dates the start better than the samples around it
            first = running[0]
            assert first.progress is not None
            run_start = max(track.started, ended - (ended - first.t) / (1.0 - first.progress / 100.0))
        queued_s = run_start - track.started if track.seen_queued or track.hidden_queue else None
        try:
            self._on_timing(track.video_id, queued_s, max(0.0, ended - run_start), values)
        except Exception:
            log.exception("on_timing failed for %s", track.video_id)

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

    def _list_refused(self, error: BaseException) -> None:
        """``list`` answered a client error: this backend cannot list. GETs from now on."""
        self._fetch_page = None
        log.info("backend cannot list videos (%s); polling each video instead", error)
        if self._on_list_refused is not None:
            try:
                self._on_list_refused(error)
            except Exception:
                log.exception("on_list_refused failed")

    async def _refresh_by_list(self, due: list[_Track]) -> None:
        """One ``list`` walk (newest first) refreshes every tracked video it meets; stop once all due ones are
        seen or the pages are older than the oldest due one. Due videos not met get a GET."""
        assert self._fetch_page is not None
        self._last_list = self._clock()
        wanted = {t.video_id for t in due}
        oldest = min((t.created_at for t in due if t.created_at is not None), default=None)
        after: str | None = None
        for _page in range(MAX_LIST_PAGES):
            if not wanted or self._fetch_page is None:
                break
            self.requests["list"] += 1
            try:
                videos, has_more, headers = await self._fetch_page(after)
            except Transient as exc:
                self._list_failures += 1
                delay = backoff_delay(self._list_failures, exc.retry_after_s)
                self._paused_until = max(self._paused_until, self._clock() + delay)
                return
            except Gone as exc:
                self._list_refused(exc)
                break
            except Exception as exc:  # a 4xx (LiteLLM: 400 "LLM Provider NOT provided"): cannot list
                if type(exc).__module__.split(".")[0] != "sora_widgets":
                    raise
                self._list_refused(exc)
                break
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
