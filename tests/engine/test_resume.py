"""A process killed with SIGKILL mid-generation; a new process's ``sw.resume()`` gets every job, downloaded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import sora_widgets as sw
from sora_widgets.profiles import BackendProfile, ModelSpec

SLOW_PROFILE = BackendProfile(
    name="tiny-slow",
    models=(ModelSpec("tiny-1", ("96x64",), ("1",), {"*": 0.01}),),
    description="tests: tiny clips that take a few seconds",
)

CHILD = textwrap.dedent(
    """
    import os, sys, threading, time
    import sora_widgets as sw
    from sora_widgets.profiles import BackendProfile, ModelSpec

    profile = BackendProfile(name="tiny-slow", models=(ModelSpec("tiny-1", ("96x64",), ("1",), {"*": 0.01}),))
    sw.configure(base_url=os.environ["T_BASE_URL"], api_key=os.environ["T_API_KEY"], home=os.environ["T_HOME"],
                 profile=profile)
    mode = os.environ["T_MODE"]
    jobs = [sw.submit(f"killed child job {i} ({mode})", cache=False) for i in range(int(os.environ["T_N"]))]
    deadline = time.monotonic() + 60
    if mode == "acknowledged":
        while not all(j.video_id for j in jobs) and time.monotonic() < deadline:
            time.sleep(0.01)
    print("submitted", flush=True)
    threading.Event().wait()  # generation goes on until the parent kills us
    """
)


def run_and_kill(emulator, home, mode: str, n: int) -> None:
    env = {**os.environ, "T_BASE_URL": emulator.base_url, "T_API_KEY": emulator.api_key, "T_HOME": str(home),
           "T_MODE": mode, "T_N": str(n)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while "submitted" not in line:
            assert time.monotonic() < deadline, "child never reported its jobs"
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "child exited early"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("mode", ["acknowledged", "just_submitted"])
def test_resume_after_sigkill_recovers_every_job(slow_emulator, tmp_path, mode):
    n = 5
    before = slow_emulator.stats()["videos"]
    run_and_kill(slow_emulator, tmp_path, mode, n)

    sw.configure(base_url=slow_emulator.base_url, api_key=slow_emulator.api_key, home=tmp_path,
                 profile=SLOW_PROFILE)
    journaled = sw.jobs()
    assert len(journaled) == n  # journaled before any create was sent
    if mode == "acknowledged":
        assert all(j.video_id for j in journaled) and not any(j.done for j in journaled)
    resumed = sw.resume()
    assert {j.id for j in resumed} == {j.id for j in journaled}
    for job in resumed:
        job.wait(timeout=60)
    assert all(j.status == "completed" for j in resumed), [(j.id, j.status, j.error) for j in resumed]
    assert all(j.video_path and j.video_path.exists() and j.spritesheet_path.exists() for j in resumed)
    # nothing paid twice: exactly one video per job on the server
    assert slow_emulator.stats()["videos"] - before == n
    assert len({j.video_id for j in resumed}) == n


def test_resume_fetches_missing_media_without_generating_again(configured, emulator):
    job = sw.generate("a clock tower at noon", seconds=4)
    creates = emulator.stats()["requests"]["create"]
    job.video_path.unlink()
    job.spritesheet_path.unlink()
    sw.api.engine().journal.update(job.id, video_path=None, spritesheet_path=None)

    home = sw.api.engine().settings.home
    sw.api.reset()  # a new process, as far as the engine knows
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=home)
    resumed = sw.resume()
    assert [j.id for j in resumed] == [job.id]
    again = resumed[0].wait(60)
    assert again.status == "completed" and again.video_path.exists() and again.spritesheet_path.exists()
    assert emulator.stats()["requests"]["create"] == creates
    assert sw.resume() == []  # nothing left to do
