"""Capability discovery (pure parts) and the queue-/history-aware schedule: no network, no waiting."""

from __future__ import annotations

import asyncio

import pytest

from sora_widgets.capabilities import QUEUED_ONLY_JOBS, Capabilities, canonical_status
from sora_widgets.capability_store import CapabilityStore
from sora_widgets.errors import ValidationError
from sora_widgets.hidden_queue import HiddenQueue
from sora_widgets.poller import Poller
from sora_widgets.profiles import FEATURES, OPENAI_PROFILE, get_profile
from sora_widgets.schedule import (
    DENSE_STEP_S,
    Sample,
    completion_time,
    estimate_eta,
    history_delay,
    history_lead_s,
)
from sora_widgets.store import Journal


def caps_in(home, profile=OPENAI_PROFILE, key="http://proxy:4000/v1", clock=None) -> Capabilities:
    journal = Journal(home)
    store = CapabilityStore(journal._db, journal._lock)
    return Capabilities(store, key, profile) if clock is None else Capabilities(store, key, profile, clock)


def test_learned_facts_beat_the_profile_and_survive_a_restart(tmp_path):
    caps = caps_in(tmp_path)
    assert caps.allows("list") and caps.known("list") is None  # claimed by the profile, not yet seen
    caps.learn("list", False, "400 from list")
    caps.learn("variants", False)
    again = caps_in(tmp_path)  # a new process: the journal remembers
    assert not again.allows("list") and not again.allows("variants") and again.allows("remix")
    assert caps_in(tmp_path, key="http://other/v1").allows("list")  # per backend


def test_a_feature_the_profile_leaves_out_is_never_tried(tmp_path):
    caps = caps_in(tmp_path, get_profile("litellm-veo"))
    assert not any(caps.allows(f) for f in FEATURES)


@pytest.mark.parametrize("raw, word", [("success", "completed"), ("error", "failed"), ("processing", "in_progress"),
                                       ("pending", "queued"), ("cancelled", "cancelled"), ("CANCELED", "cancelled"),
                                       ("IN_QUEUE", "queued"), ("brand-new", "in_progress")])
def test_status_words(raw, word):
    assert canonical_status(raw) == word


def test_reseller_milliseconds_and_fractions_are_read_as_seconds_and_percent(tmp_path):
    caps = caps_in(tmp_path)
    video = caps.read({"id": "v", "status": "processing", "progress": 0.35, "created_at": 1_764_000_000_000})
    assert video["status"] == "in_progress" and video["raw_status"] == "processing"
    assert video["created_at"] == 1_764_000_000.0
    assert video["progress"] == pytest.approx(35.0)
    assert caps.facts["time_unit"] == "ms" and caps.facts["progress_scale"] == "fraction"
    assert caps.read({"status": "success", "progress": 1.0})["progress"] == 100.0


def test_percent_progress_stays_percent(tmp_path):
    caps = caps_in(tmp_path)
    assert caps.read({"status": "in_progress", "progress": 0})["progress"] == 0.0
    assert caps.read({"status": "in_progress", "progress": 42})["progress"] == 42.0
    assert caps.facts["progress_scale"] == "percent"
    assert caps.read({"status": "in_progress", "progress": 0.5})["progress"] == 0.5  # known: not rescaled


def test_echoed_fields_are_learned_from_the_create_answer(tmp_path):
    caps = caps_in(tmp_path)
    sent = {"prompt": "a fox", "model": "sora-2", "size": "160x90", "seconds": "1"}
    caps.observe_create({"id": "v", "prompt": None, "model": "sora-2", "size": "160x90", "seconds": "1"}, sent)
    assert not caps.echoes("prompt") and caps.echoes("model")


def test_progress_is_learned_from_a_finished_job(tmp_path):
    caps = caps_in(tmp_path)
    caps.observe_finished([0.0, 0.0, 0.0])  # SGLang: 0 until it jumps to 100
    assert caps.known("progress") is False
    other = caps_in(tmp_path, key="http://b/v1")
    other.observe_finished([12.0, 55.0])
    assert other.known("progress") is True


def test_history_predicts_the_run_time(tmp_path):
    caps = caps_in(tmp_path)
    assert caps.predicted_run_s("m", "160x90", "1") is None
    for run in (20.0, 21.0, 19.5):
        caps.record_timing("m", "160x90", "1", 3.0, run)
    assert caps.predicted_run_s("m", "160x90", "1") == 20.0
    assert caps.predicted_run_s("m", "160x90", "2") is None  # another kind of job


def test_a_queued_zero_never_anchors_the_rate():
    # queued 0..10 s (progress 0), running from ~10 s at 5 %/s
    samples = [Sample(0.0, 0.0, "queued"), Sample(9.0, 0.0, "queued"), Sample(12.0, 10.0), Sample(14.0, 20.0)]
    eta = estimate_eta(samples)
    assert eta is not None and 13.0 < eta <= 16.0  # 80 % left at ~5 %/s: about 16 s (never later)
    assert estimate_eta([Sample(0.0, 0.0, "queued"), Sample(12.0, 10.0)]) is None  # one running sample: unknown


def test_history_delay_aims_at_the_predicted_end_then_asks_densely():
    lead = history_lead_s(20.0)
    first = history_delay(now=0.0, run_start=0.0, expected_run_s=20.0)
    assert first == pytest.approx(20.0 - lead) and 19.0 <= first < 20.0  # one ask, a little before the end
    assert history_delay(now=0.0, run_start=0.0, expected_run_s=600.0, rand=lambda: 0.5) <= 30.0  # sparse before
    assert history_delay(now=5.0, run_start=5.0, expected_run_s=20.0) == pytest.approx(first)  # from run_start
    # around and past the predicted end: as often as the SDK asks, for as long as the history's error explains
    dense = [history_delay(now=20.0 - lead + k, run_start=0.0, expected_run_s=20.0) for k in (0.0, 1.0, 2.0, 3.0)]
    assert dense == [DENSE_STEP_S] * 4
    overdue = [history_delay(now=20.0 + k, run_start=0.0, expected_run_s=20.0) for k in (5.0, 20.0, 600.0)]
    assert overdue == sorted(overdue) and overdue[0] > DENSE_STEP_S and overdue[-1] <= 5.0


def test_the_end_is_dated_by_the_backends_completed_at_when_it_agrees():
    # seen running at 100.0 (monotonic), done at 104.0; the backend says completed_at 1000 (wall), offset 898.5
    assert completion_time(100.0, 104.0, None, None) == 102.0  # the midpoint, without more to go on
    assert completion_time(100.0, 104.0, 1000, 898.5) == pytest.approx(102.0)  # [101.5, 102.5] within [100, 104]
    assert completion_time(100.0, 104.0, 1002, 898.5) == pytest.approx(103.75)  # [103.5, 104.0]
    assert completion_time(100.0, 104.0, 2000, 898.5) == 102.0  # clocks disagree: not used
    assert completion_time(None, 104.0, 1000, 898.5) == 104.0


def test_a_hidden_queue_is_first_in_first_out_over_our_jobs_with_learned_slots():
    # six jobs created at once on a backend that says "processing" throughout and runs two at a time
    runs = [14.0, 18.0, 22.0, 14.0, 18.0, 22.0]
    queue = HiddenQueue()
    for i, run in enumerate(runs):
        queue.add(f"v{i}", 0.0 + 0.01 * i, run)
    assert queue.slots is None and queue.start("v3", 1.0) == pytest.approx(0.03)  # no sign of a queue: at create
    queue.finished("v0", 14.0)
    assert queue.overran("v3", 0.03)  # v3 still runs at 16.2 although its kind takes 14 s: it waited...
    assert queue.slots == 3 and not queue.overran("v3", 0.03)  # ...for one of the 3 before it; once per prediction
    queue.finished("v1", 18.0)
    assert queue.overran("v2", 0.02)  # v2 still runs at 25.5 (22 s from its create): one slot fewer
    assert queue.slots == 2
    starts = [queue.start(f"v{i}", 25.5) for i in range(6)]
    assert starts[2] == pytest.approx(14.0) and starts[3] == pytest.approx(18.0)  # the freed slots, in order
    assert starts[4] == pytest.approx(32.0) and starts[5] == pytest.approx(36.0)
    assert not queue.overran("v4", 32.0)  # v0 and v1 ran at the same time: never fewer than two slots
    assert queue.slots == 2
    queue.forget_idle()
    assert queue.start("v0", 0.0) is None and queue.slots == 2


def test_a_list_refused_with_a_client_error_falls_back_to_gets_at_once():
    async def run() -> tuple[list[str], dict[str, int], list[BaseException]]:
        refused: list[BaseException] = []
        seen: list[str] = []

        async def fetch_one(video_id):
            return {"id": video_id, "status": "completed", "progress": 100}, {}

        async def fetch_page(after):
            raise ValidationError("rejected the request (400): LLM Provider NOT provided", None)

        poller = Poller(fetch_one, lambda vid, video, eta: seen.append(vid), lambda vid, exc: None,
                        fetch_page=fetch_page, on_list_refused=refused.append, list_threshold=2)
        for i in range(3):
            poller.track(f"v{i}", {"id": f"v{i}", "status": "queued", "progress": 0}, {"openai-poll-after-ms": "10"})
        for _ in range(200):
            if not poller.running:
                break
            await asyncio.sleep(0.01)
        return seen, poller.requests, refused

    seen, requests, refused = asyncio.run(run())
    assert sorted(seen) == ["v0", "v1", "v2"]
    assert requests["list"] == 1 and requests["get"] == 3 and len(refused) == 1


class _Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _queued_then_done(caps, clock, video_id, reads=3, every_s=3.0):
    """One job as SGLang answers it: `queued` at every poll, then `completed`; the words as the engine reads them."""
    words = []
    for _ in range(reads):
        words.append(caps.read({"id": video_id, "status": "queued", "progress": 0})["status"])
        clock.t += every_s
    words.append(caps.read({"id": video_id, "status": "completed", "progress": 100})["status"])
    return words


def test_a_backend_that_says_queued_until_done_is_learned_after_three_jobs_and_remembered(tmp_path):
    clock = _Clock()
    caps = caps_in(tmp_path, clock=clock)
    for n in range(QUEUED_ONLY_JOBS - 1):
        assert _queued_then_done(caps, clock, f"v{n}") == ["queued"] * 3 + ["completed"]
        assert caps.known("says_running") is None
    _queued_then_done(caps, clock, "v-last")
    assert caps.known("says_running") is False
    # from now on its "queued" is "queued or rendering": running, with the queue hidden (as Veo's `processing`)
    assert caps.read({"id": "w", "status": "queued", "progress": 0}) == {
        "id": "w", "status": "in_progress", "raw_status": "queued", "progress": 0.0}
    assert caps_in(tmp_path).queued_means_running(), "not remembered in the journal"
    # one in_progress answer later: it does say running after all, for good
    caps.read({"id": "x", "status": "in_progress", "progress": 5})
    assert caps.known("says_running") is True and not caps.queued_means_running()
    assert caps.read({"id": "y", "status": "queued"})["status"] == "queued"


def test_short_or_lightly_polled_queued_jobs_and_any_running_answer_are_no_evidence(tmp_path):
    clock = _Clock()
    caps = caps_in(tmp_path, clock=clock)
    for n in range(QUEUED_ONLY_JOBS + 2):
        _queued_then_done(caps, clock, f"fast{n}", reads=3, every_s=1.0)  # a render between two polls: 3 s in all
        _queued_then_done(caps, clock, f"few{n}", reads=2, every_s=10.0)  # two reads only
    assert caps.known("says_running") is None
    other = caps_in(tmp_path, key="http://normal/v1", clock=clock)
    other.read({"id": "r", "status": "in_progress", "progress": 40})
    for n in range(QUEUED_ONLY_JOBS + 2):
        _queued_then_done(other, clock, f"q{n}")
    assert other.known("says_running") is True


def test_the_sglang_profile_declares_it(tmp_path):
    caps = caps_in(tmp_path, get_profile("sglang"))
    assert caps.queued_means_running()
    assert caps.read({"id": "v", "status": "queued", "progress": 0})["status"] == "in_progress"
    assert not caps_in(tmp_path / "o", get_profile("vllm-omni")).queued_means_running()
