"""The Session: job objects that outlive any number of ``sw.configure()`` calls, jobs of an earlier process that
are live without ``sw.resume()``, and limits that count what is real. Real engine, real emulator, real SDK."""

from __future__ import annotations

import threading

import pytest
from test_resume import SLOW_PROFILE, run_and_kill

import sora_widgets as sw
from sora_widgets import api
from sora_widgets.errors import BackendUnavailableError, BudgetExceededError
from sora_widgets.profiles import BackendProfile, ModelSpec

PROMPT = "Wide shot of a lighthouse at dusk, waves rolling in, slow dolly"


def _configure(emulator, home, **extra):
    return sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=home, profile=SLOW_PROFILE,
                        **extra)


def test_configure_under_load_keeps_every_job_object_working(slow_emulator, tmp_path):
    home = tmp_path / "home"
    _configure(slow_emulator, home)
    jobs = [sw.submit(f"{PROMPT} #{i}", cache=False) for i in range(6)]
    changes = {job.id: 0 for job in jobs}
    lock = threading.Lock()

    def count(job):
        with lock:
            changes[job.id] += 1

    for job in jobs:
        job.on_change(count)
    for _ in range(5):  # the engine is replaced five times while all six are in flight
        _configure(slow_emulator, home)
    assert [sw.get_job(job.id) for job in jobs] == jobs
    assert all(sw.get_job(job.id) is job for job in jobs)
    for job in jobs:
        job.wait(120)
        assert job.status == "completed", (job, job.error)
        assert job.video_path is not None and job.video_path.exists()
    assert all(n > 0 for n in changes.values()), changes  # the callbacks kept firing on the new engines
    # nothing was created twice: one backend video per job
    assert len({job.video_id for job in jobs}) == 6


def test_a_callback_that_reconfigures_leaves_the_job_working(slow_emulator, tmp_path):
    home = tmp_path / "home"
    _configure(slow_emulator, home)
    job = sw.submit(PROMPT, cache=False)
    calls = []

    def reconfigure(j):
        if len(calls) < 3:  # from the engine thread, on the engine that is being replaced
            calls.append(j.status)
            _configure(slow_emulator, home)

    job.on_change(reconfigure)
    job.wait(120)
    assert len(calls) == 3
    assert job.status == "completed" and job.video_path and job.video_path.exists()
    assert sw.get_job(job.id) is job


def test_an_earlier_process_job_finishes_on_wait_without_resume(slow_emulator, tmp_path):
    home = tmp_path / "home"
    run_and_kill(slow_emulator, home, "acknowledged", 2)
    _configure(slow_emulator, home, max_concurrent=1)
    listed = sw.jobs()
    assert len(listed) == 2 and all(job.status in ("queued", "in_progress") for job in listed)
    assert api.session().current_engine() is None  # reading the journal started nothing
    for job in listed:
        job.wait(timeout=60)  # attaches it: no sw.resume()
        assert job.status == "completed" and job.video_path and job.video_path.exists(), (job, job.error)
    # the limit counts what is in flight now: both finished, so a submit is allowed
    new = sw.submit(PROMPT, cache=False)
    new.wait(60)
    assert new.status == "completed"


def _finished_on_the_backend(emulator, home, wait_until) -> None:
    """Wait (deadline) until the backend says every journaled video is completed; the journal still says not."""
    import warnings

    import openai

    from sora_widgets.store import Journal

    journal = Journal(home)
    rows = journal.all()
    journal.close()
    client = openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        wait_until(lambda: all(client.videos.retrieve(r["video_id"]).status == "completed" for r in rows), 60)
    assert all(r["status"] in ("queued", "in_progress") for r in rows)


@pytest.mark.parametrize("list_first", [False, True])
def test_max_concurrent_counts_what_is_really_in_flight(slow_emulator, tmp_path, list_first, wait_until):
    home = tmp_path / "home"
    run_and_kill(slow_emulator, home, "acknowledged", 1)
    _finished_on_the_backend(slow_emulator, home, wait_until)
    _configure(slow_emulator, home, max_concurrent=1)
    if list_first:
        (earlier,) = sw.jobs()  # listing first must not change what is counted
    job = sw.submit(PROMPT, cache=False)  # the earlier job is asked about: done, so it does not count
    (earlier,) = [j for j in sw.jobs() if j is not job]
    assert earlier.status == "completed"
    # and the new one does count
    with pytest.raises(BudgetExceededError, match="max_concurrent=1"):
        sw.submit(PROMPT + " again", cache=False)
    job.wait(60)
    earlier.wait(60)
    assert earlier.video_path and earlier.video_path.exists()


def test_a_job_of_another_backend_says_why_it_cannot_finish(slow_emulator, emulator, tmp_path):
    home = tmp_path / "home"
    _configure(slow_emulator, home)
    job = sw.submit(PROMPT, cache=False)
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=home, profile=None)
    assert sw.get_job(job.id) is job and job.prompt == PROMPT  # reads work
    if not job.done:
        with pytest.raises(BackendUnavailableError, match="belongs to backend"):
            job.wait(timeout=30)
    with pytest.raises(BackendUnavailableError, match="belongs to backend"):
        job.delete()
    # back to its backend: the same object finishes
    _configure(slow_emulator, home)
    job.wait(60)
    assert job.status == "completed"


def test_a_budget_refuses_a_model_without_a_price(emulator, tmp_path):
    free = BackendProfile(name="no-price", models=(ModelSpec("sora-2", ("1280x720",), ("4",)),))
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path, profile=free,
                 budget_usd=5.0)
    with pytest.raises(BudgetExceededError, match="no price") as info:
        sw.submit(PROMPT)
    assert "budget_usd=None" in str(info.value)
    assert sw.jobs() == []  # refused before anything was journaled or sent
    sw.configure(budget_usd=None)
    assert sw.submit(PROMPT).wait(60).status == "completed"


def test_a_subscriber_that_watches_a_new_job_does_not_create_it_twice(configured, emulator):
    """``on_job_added`` fires before the create is sent; a widget subscribing there must not attach it again."""
    creates = emulator.stats()["requests"].get("create", 0)
    unsubscribe = sw.on_job_added(lambda job: job.on_change(lambda j: None))
    try:
        job = sw.submit("A kite above a beach, one create only", seconds="4", cache=False)
        job.wait(120)
    finally:
        unsubscribe()
    assert job.status == "completed", job.error
    assert emulator.stats()["requests"].get("create", 0) - creates == 1
