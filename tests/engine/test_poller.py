"""The poller's schedule (pure functions) and its driver against in-process fetch functions."""

from __future__ import annotations

import asyncio
import heapq

import pytest

from sora_widgets.poller import (
    FIRST_POLL_S,
    Gone,
    Poller,
    Sample,
    Transient,
    backoff_delay,
    estimate_eta,
    header_seconds,
    is_terminal,
    next_delay,
    normalize_progress,
    normalize_status,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("queued", "queued"), ("pending", "queued"), ("in_progress", "in_progress"),
        ("processing", "in_progress"), ("running", "in_progress"), ("PROCESSING", "in_progress"),
        ("completed", "completed"), ("succeeded", "completed"), ("failed", "failed"),
        ("expired", "expired"), ("something-new", "in_progress"), (None, "in_progress"),
    ],
)
def test_status_words_are_normalised(raw, expected):
    assert normalize_status(raw) == expected


def test_terminal_statuses():
    assert all(is_terminal(s) for s in ("completed", "failed", "expired", "deleted", "unknown"))
    assert not any(is_terminal(s) for s in ("pending", "queued", "in_progress"))


@pytest.mark.parametrize("raw, expected", [(None, None), ("x", None), (True, None), (42, 42.0), (150, 100.0),
                                           (-3, 0.0), ("55", 55.0), (float("nan"), None)])
def test_progress_normalised(raw, expected):
    assert normalize_progress(raw) == expected


def test_eta_from_a_linear_job():
    # 30 s job: 10% every 3 s after a 1 s queue.
    samples = [Sample(0.0, 0.0), Sample(4.0, 10.0), Sample(7.0, 20.0)]
    # whole percents may hide up to one more point: the fastest consistent rate is (10 + 1) / 3 s
    assert estimate_eta(samples) == pytest.approx(79.0 / (11.0 / 3.0))
    # one moving sample: anchored at the last zero sample
    assert estimate_eta([Sample(0.0, 0.0), Sample(5.0, 25.0)]) == pytest.approx(74.0 / (26.0 / 5.0))
    # fractional progress is taken as exact
    assert estimate_eta([Sample(0.0, 0.0), Sample(5.0, 25.5)]) == pytest.approx(74.5 / (25.5 / 5.0))


def test_eta_never_overshoots_a_truncated_early_reading():
    # read at 2 s, "4" means 4.0-4.99%: the job takes 40.1-50 s, 38.1-48 s remain; never estimate more
    eta = estimate_eta([Sample(0.0, 0.0), Sample(2.0, 4.0)])
    assert eta is not None and eta <= 2.0 / 0.0499 - 2.0
    eta = estimate_eta([Sample(0.0, 0.0), Sample(2.0, 5.0)])  # 40-33.3 s total
    assert eta is not None and eta <= 2.0 / 0.0599 - 2.0


def test_eta_unknown_without_progress_or_movement():
    assert estimate_eta([Sample(0, None), Sample(3, None)]) is None
    assert estimate_eta([Sample(0, 0.0), Sample(3, 0.0)]) is None
    assert estimate_eta([Sample(0, 10.0)]) is None
    assert estimate_eta([Sample(0, 10.0), Sample(2, 100.0)]) == 0.0


def test_sparse_early_dense_near_the_end():
    far = next_delay(status="in_progress", elapsed_s=3, eta_s=27.0, rand=lambda: 0.5)
    near = next_delay(status="in_progress", elapsed_s=26, eta_s=2.0, rand=lambda: 0.5)
    assert 20.0 < far < 27.0  # comes back before the predicted end
    assert near == pytest.approx(2.25)  # aims just past the predicted end
    assert next_delay(status="in_progress", elapsed_s=30, eta_s=0.0) == 0.5  # overdue: dense


def test_server_hint_is_a_floor_and_limits_apply():
    assert next_delay(status="in_progress", elapsed_s=1, eta_s=20.0, poll_after_s=30.0) == 30.0
    assert next_delay(status="queued", elapsed_s=0, eta_s=None, poll_after_s=5.0) == 5.0
    # ...except the one request aimed at the predicted end
    assert next_delay(status="in_progress", elapsed_s=1, eta_s=1.0, poll_after_s=2.0) == 1.25
    assert next_delay(status="in_progress", elapsed_s=1, eta_s=1000.0, rand=lambda: 1.0) == 30.0
    queued = [next_delay(status="queued", elapsed_s=t, eta_s=None) for t in (0, 20, 200)]
    assert queued == sorted(queued) and queued[-1] == 10.0


def test_indeterminate_jobs_back_off_with_elapsed_time():
    early = next_delay(status="in_progress", elapsed_s=0, eta_s=None, rand=lambda: 0.5)
    late = next_delay(status="in_progress", elapsed_s=120, eta_s=None, rand=lambda: 0.5)
    assert early == pytest.approx(1.0) and late == pytest.approx(10.0)


def test_backoff_grows_with_jitter_and_honours_retry_after():
    lows = [backoff_delay(n, rand=lambda: 0.0) for n in range(1, 8)]
    highs = [backoff_delay(n, rand=lambda: 1.0) for n in range(1, 8)]
    assert lows == sorted(lows) and all(lo < hi for lo, hi in zip(lows, highs, strict=True))
    assert highs[-1] <= 30.0
    assert backoff_delay(1, retry_after_s=7.0, rand=lambda: 0.0) == 7.0
    assert backoff_delay(1, retry_after_s=90.0) == 90.0


def test_header_seconds():
    assert header_seconds({"openai-poll-after-ms": "1500"}, "openai-poll-after-ms") == 1.5
    assert header_seconds({"retry-after": "3"}, "retry-after") == 3.0
    assert header_seconds({"retry-after": "soon"}, "retry-after") is None
    assert header_seconds(None, "retry-after") is None


class FakeBackend:
    """Videos whose progress is a function of a fake clock; the test advances the clock."""

    def __init__(self, durations: dict[str, float], *, flaky: int = 0) -> None:
        self.now = 0.0
        self.durations = durations
        self.gets = 0
        self.lists = 0
        self.flaky = flaky

    def video(self, vid: str) -> dict:
        duration = self.durations[vid]
        progress = min(100.0, 100.0 * self.now / duration)
        status = "completed" if progress >= 100 else "in_progress"
        return {"id": vid, "status": status, "progress": int(progress), "created_at": 0}

    async def one(self, vid: str):
        self.gets += 1
        if vid == "gone":
            raise Gone("404")
        if self.flaky:
            self.flaky -= 1
            raise Transient("503", status=503)
        return self.video(vid), {}

    async def page(self, after):
        self.lists += 1
        return [self.video(v) for v in self.durations if v != "gone"], False, {}


def run_fleet(durations: dict[str, float], *, fetch_list: bool, list_threshold: int = 8, flaky: int = 0):
    backend = FakeBackend(durations, flaky=flaky)
    done: dict[str, float] = {}
    gone: list[str] = []

    def on_update(vid, video, eta):
        if video["status"] == "completed":
            done.setdefault(vid, backend.now)

    async def main():
        poller = Poller(backend.one, on_update, lambda vid, exc: gone.append(vid),
                        fetch_page=backend.page if fetch_list else None, list_threshold=list_threshold,
                        clock=lambda: backend.now)
        # asyncio.wait_for needs real time to pass; patch the poller's sleep by short-circuiting its wake.
        for vid in durations:
            poller.track(vid, {"id": vid, "status": "queued", "progress": 0, "created_at": 0})

        async def ticker():
            while poller.running:
                backend.now += 0.05
                poller._wake.set()
                await asyncio.sleep(0)

        await asyncio.gather(ticker(), asyncio.wait_for(_until_idle(poller), 60))
        return poller

    poller = asyncio.run(main())
    return backend, done, gone, poller


async def _until_idle(poller: Poller) -> None:
    while poller.running:
        await asyncio.sleep(0)


def test_driver_few_requests_per_job_and_prompt_detection():
    durations = {"a": 15.0, "b": 25.0, "c": 40.0}
    backend, done, _gone, poller = run_fleet(durations, fetch_list=False)
    assert set(done) == set(durations)
    for vid, duration in durations.items():
        assert duration <= done[vid] <= duration + 1.0, (vid, done[vid])
    # the SDK's 1 s default would make ~80 requests for these three
    assert backend.gets <= 3 * 7, backend.gets
    assert not poller.running and poller.in_flight == []


def test_driver_uses_list_for_many_jobs():
    durations = {f"v{i}": 10.0 + i for i in range(20)}
    backend, done, _, _ = run_fleet(durations, fetch_list=True)
    assert set(done) == set(durations)
    # list while 8+ are in flight, then one GET each for the last 7
    assert backend.lists > 0 and backend.lists < 60
    assert backend.gets <= 7 * 4
    backend_all, done_all, _, _ = run_fleet(durations, fetch_list=True, list_threshold=1)
    assert set(done_all) == set(durations) and backend_all.gets == 0
    per_get, _, _, _ = run_fleet(durations, fetch_list=False)
    assert backend_all.lists < per_get.gets / 2, (backend_all.lists, per_get.gets)


def test_driver_backs_off_on_errors_and_drops_gone_videos():
    _backend, done, gone, poller = run_fleet({"a": 5.0, "gone": 5.0}, fetch_list=False, flaky=3)
    assert set(done) == {"a"} and gone == ["gone"]
    assert not poller.running


def test_first_poll_waits_for_progress():
    assert 1.0 <= FIRST_POLL_S <= 3.0


class NoProgressBackend(FakeBackend):
    """A Veo-behind-LiteLLM style backend: status "processing", no progress field at all."""

    def video(self, vid: str) -> dict:
        done = self.now >= self.durations[vid]
        return {"id": vid, "status": "completed" if done else "processing", "created_at": 0}


def test_driver_handles_backends_without_progress():
    backend = NoProgressBackend({"a": 12.0, "b": 30.0})
    done: dict[str, float] = {}
    progress_seen: list = []

    def on_update(vid, video, eta):
        progress_seen.append((video.get("progress"), eta))
        if video["status"] == "completed":
            done.setdefault(vid, backend.now)

    async def main():
        poller = Poller(backend.one, on_update, lambda vid, exc: None, clock=lambda: backend.now)
        for vid in backend.durations:
            poller.track(vid, {"id": vid, "status": "processing", "created_at": 0})
        while poller.running:
            backend.now += 0.05
            poller._wake.set()
            await asyncio.sleep(0)

    asyncio.run(main())
    assert set(done) == {"a", "b"}
    assert all(p is None and eta is None for p, eta in progress_seen)  # indeterminate throughout
    assert done["b"] - 30.0 < 6.0  # backs off with elapsed time, but not unboundedly
    assert backend.gets < 20


class QueueBackend(FakeBackend):
    """Jobs created at time 0 wait for one of ``slots`` render slots (first in, first out), then run their
    duration; no progress. ``hidden``: "processing" from the create to the end (Veo behind LiteLLM), else
    queued -> in_progress (SGLang's words in the emulator)."""

    def __init__(self, durations: dict[str, float], *, slots: int, hidden: bool) -> None:
        super().__init__(durations)
        self.hidden = hidden
        free = [0.0] * slots
        self.starts: dict[str, float] = {}
        self.ends: dict[str, float] = {}
        for vid, duration in durations.items():  # insertion order = creation order
            start = heapq.heappop(free)
            self.starts[vid], self.ends[vid] = start, start + duration
            heapq.heappush(free, start + duration)

    def video(self, vid: str) -> dict:
        if self.now >= self.ends[vid]:
            return {"id": vid, "status": "completed", "created_at": 0}
        if self.hidden:
            return {"id": vid, "status": "processing", "created_at": 0}
        return {"id": vid, "status": "in_progress" if self.now >= self.starts[vid] else "queued", "created_at": 0}


def run_queue(backend: QueueBackend, history: dict[str, float]):
    done: dict[str, float] = {}

    def on_update(vid, video, eta):
        if video["status"] == "completed":
            done.setdefault(vid, backend.now)

    async def main():
        poller = Poller(backend.one, on_update, lambda vid, exc: None, predict=history.get,
                        clock=lambda: backend.now)
        for vid in backend.durations:  # what a create answers
            poller.track(vid, {"id": vid, "status": "processing" if backend.hidden else "queued", "created_at": 0})
        while poller.running:
            backend.now += 0.05
            poller._wake.set()
            await asyncio.sleep(0)

    asyncio.run(main())
    return done


KINDS = [14.0, 18.0, 22.0, 14.0, 18.0, 22.0]


@pytest.mark.parametrize("hidden", [False, True], ids=["queued-words", "processing-hides-the-queue"])
def test_history_aims_at_the_end_of_queued_jobs_without_progress(hidden):
    # six jobs on two slots; this backend's history knows each job's kind (the ids stand for kinds here)
    durations = {f"v{i}": run for i, run in enumerate(KINDS)}
    backend = QueueBackend(durations, slots=2, hidden=hidden)
    done = run_queue(backend, dict(durations))
    assert set(done) == set(durations)
    lateness = sorted(done[v] - backend.ends[v] for v in durations)
    assert lateness[0] >= 0 and lateness[-1] <= 1.5, lateness  # never worse than a 1 s poll by much
    # the SDK's 1 s poll() asks about (end / 1 s) times per job: 36 on average here; ask a fifth of that at most
    sdk = sum(backend.ends.values()) / len(durations)
    assert backend.gets / len(durations) <= sdk / 5, (backend.gets, sdk)


def test_a_job_queued_behind_ours_is_anchored_where_its_slot_freed():
    # the queued job (v1) takes v0's slot at 14 s; with history its one aim lands just before 14 + 14 s
    durations = {"v0": 14.0, "v1": 14.0}
    backend = QueueBackend(durations, slots=1, hidden=False)
    done = run_queue(backend, {"v0": 14.0, "v1": 14.0})
    assert 28.0 <= done["v1"] <= 28.0 + 1.2
    assert backend.gets <= 6, backend.gets
