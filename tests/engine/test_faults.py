"""Fault injection: 5xx, 429 bursts, dropped downloads, and creates whose response is lost after the job was
made. 100 jobs all complete, the emulator holds exactly 100 videos, nothing is lost or paid twice."""

from __future__ import annotations

import time

import pytest

import sora_widgets as sw
from sora_widgets.profiles import BackendProfile, ModelSpec

FAULT_PROFILE = BackendProfile(
    name="tiny-faults",
    models=(ModelSpec("tiny-1", ("96x64",), ("1",), {"*": 0.01}),),
    features=frozenset({"list", "delete", "remix", "progress"}),  # no variants: thumbnails are made locally
    description="tests: tiny clips under fault injection",
)


@pytest.fixture(scope="module")
def faulty_emulator(tmp_path_factory):
    with sw.start_emulator(
        speed=50, seed=7, profile=FAULT_PROFILE, fail_rate=0.2, rate_limit_per_minute=240,
        drop_download_rate=0.2, data_dir=tmp_path_factory.mktemp("faulty"), max_concurrent_renders=2,
    ) as emu:
        yield emu


@pytest.mark.slow
def test_hundred_jobs_under_faults_all_complete_exactly_once(faulty_emulator, tmp_path):
    sw.configure(base_url=faulty_emulator.base_url, api_key=faulty_emulator.api_key, home=tmp_path,
                 profile=FAULT_PROFILE)
    started = time.monotonic()
    jobs = [sw.submit(f"fault job number {i}: a small red square", cache=False) for i in range(100)]
    for job in jobs:
        job.wait(timeout=150)
    elapsed = time.monotonic() - started

    failed = [(j.id, j.status, j.error) for j in jobs if j.status != "completed" or j.video_path is None]
    assert not failed, failed[:5]
    assert all(j.video_path.exists() and j.thumbnail_path.exists() and j.spritesheet_path.exists() for j in jobs)
    video_ids = {j.video_id for j in jobs}
    assert len(video_ids) == 100

    stats = faulty_emulator.stats()
    assert stats["videos"] == 100, stats  # no duplicate was ever created
    listed: list[str] = []
    import openai

    client = openai.OpenAI(base_url=faulty_emulator.base_url, api_key=faulty_emulator.api_key, max_retries=10)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        listed = [v.id for v in client.videos.list(limit=100)]
    assert set(listed) == video_ids
    # the faults really happened
    faults = stats["faults"]
    assert faults.get("lost_create", 0) > 0, faults
    assert faults.get("429", 0) > 0, faults
    assert faults.get("dropped_download", 0) > 0, faults
    assert faults.get("500", 0) + faults.get("503", 0) > 0, faults
    # a later process sees every job in the journal, completed
    sw.api.reset()
    sw.configure(base_url=faulty_emulator.base_url, api_key=faulty_emulator.api_key, home=tmp_path,
                 profile=FAULT_PROFILE)
    again = sw.jobs()
    assert {j.video_id for j in again} == video_ids and all(j.status == "completed" for j in again)
    assert sw.resume() == []
    print(f"100 jobs under faults in {elapsed:.1f}s; faults {faults}; requests {stats['requests']}")
