"""A kernel restarted with jobs in flight: a new ``Gallery()`` shows them progressing and finishing, with no
``sw.resume()``. The earlier kernel is a real process, killed with SIGKILL after its creates were answered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from widget_testing import wait_until

import sora_widgets as sw
from sora_widgets.profiles import BackendProfile, ModelSpec

SLOW = BackendProfile(name="tiny-slow-widgets", models=(ModelSpec("tiny-1", ("96x64",), ("1",), {"*": 0.01}),))

CHILD = textwrap.dedent(
    """
    import os, threading, time
    import sora_widgets as sw
    from sora_widgets.profiles import BackendProfile, ModelSpec

    profile = BackendProfile(name="tiny-slow-widgets", models=(ModelSpec("tiny-1", ("96x64",), ("1",), {"*": 0.01}),))
    sw.configure(base_url=os.environ["T_BASE_URL"], api_key=os.environ["T_API_KEY"], home=os.environ["T_HOME"],
                 profile=profile)
    jobs = [sw.submit(f"restarted kernel job {i}", cache=False) for i in range(3)]
    deadline = time.monotonic() + 60
    while not all(j.video_id for j in jobs) and time.monotonic() < deadline:
        time.sleep(0.01)
    print("submitted", flush=True)
    threading.Event().wait()
    """
)


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    # speed 8: each job stays in progress for a few seconds, so the new kernel sees it move
    with sw.start_emulator(speed=8, seed=5, profile=SLOW, data_dir=tmp_path_factory.mktemp("slow")) as emu:
        yield emu


def _submit_and_die(emulator, home) -> None:
    env = {**os.environ, "T_BASE_URL": emulator.base_url, "T_API_KEY": emulator.api_key, "T_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while "submitted" not in line:
            assert time.monotonic() < deadline and proc.poll() is None, "child never reported its jobs"
            line = proc.stdout.readline()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()


def test_gallery_after_a_restart_shows_earlier_jobs_progressing_and_finishing(slow, tmp_path):
    home = tmp_path / "home"
    _submit_and_die(slow, home)
    sw.configure(base_url=slow.base_url, api_key=slow.api_key, home=home, profile=SLOW, max_concurrent=1)
    gallery = sw.Gallery()
    assert gallery._view == "gallery" and len(gallery.items) == 3
    assert all(item["status"] in ("queued", "in_progress") for item in gallery.items)
    seen_live = set()

    def finished() -> bool:
        seen_live.update(gallery.live)
        return all(item["status"] == "completed" and item["has_thumbnail"] for item in gallery.items)

    wait_until(finished, timeout=90, what="every earlier job completed in the gallery")
    assert gallery.live == {}
    assert seen_live, "the gallery never showed a job in flight"
    assert all(job.video_path and job.video_path.exists() for job in gallery.jobs)
    # the finished jobs no longer count against max_concurrent=1
    job = sw.submit("a new job after the restart", cache=False)
    job.wait(60)
    assert job.status == "completed"
    gallery.close()
