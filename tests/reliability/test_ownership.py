"""Fault family: two processes (two notebooks, two kernels) on one ``home``. A live job is driven by the one
process that holds its lease; the other follows it read-only; a dead owner's job is taken over. On the backend:
exactly one video per job, whatever the interleaving, latency or faults."""

from __future__ import annotations

import sqlite3
import uuid
import warnings
from pathlib import Path

import openai
import pytest

from .conftest import TINY, child, finish, read_until

pytestmark = pytest.mark.slow

HERE_ROOT = Path(__file__).resolve().parents[2]  # the kernels import tests.reliability from the repository


@pytest.fixture(scope="module")
def laggy(tmp_path_factory):
    """1.5 s on every API request: a second process starts while the first one's creates are in the air."""
    from sora_widgets import start_emulator

    with start_emulator(speed=40, seed=7, latency_ms=1500, profile=TINY,
                        data_dir=tmp_path_factory.mktemp("laggy")) as emu:
        yield emu


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """Latency and lost creates (the server makes the video, the answer is a 5xx)."""
    from sora_widgets import start_emulator

    with start_emulator(speed=40, seed=11, latency_ms=400, fail_rate=0.25, lost_create_rate=0.5, profile=TINY,
                        data_dir=tmp_path_factory.mktemp("faulty")) as emu:
        yield emu


def videos_with(emulator, prefix: str) -> list[dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the SDK's note on OpenAI's own Sora shutdown
        return _videos_with(emulator, prefix)


def _videos_with(emulator, prefix: str) -> list[dict]:
    with openai.OpenAI(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=5) as sdk:
        found, after = [], None
        while True:
            page = sdk.videos.list(limit=100, after=after) if after else sdk.videos.list(limit=100)
            found += [v.model_dump() for v in page.data if (v.prompt or "").startswith(prefix)]
            if not page.has_more or not page.data:
                return found
            after = page.data[-1].id


def journal_rows(home) -> list[dict]:
    db = sqlite3.connect(home / "jobs.sqlite3")
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM jobs")]
    finally:
        db.close()


def assert_one_video_per_job(emulator, home, prefix: str, n: int) -> None:
    rows = journal_rows(home)
    assert len(rows) == n
    assert all(r["status"] == "completed" for r in rows), [(r["id"], r["status"], r["error_json"]) for r in rows]
    ids = [r["video_id"] for r in rows]
    assert len(set(ids)) == n and None not in ids
    for row in rows:
        assert row["video_path"] and (home / "media" / row["id"] / "video.mp4").stat().st_size > 0
        assert not list((home / "media" / row["id"]).glob("*.part"))
    backend = videos_with(emulator, prefix)
    assert sorted(v["id"] for v in backend) == sorted(ids), "exactly one video per job on the backend"


@pytest.mark.parametrize("backend", ["laggy", "tiny"])
def test_ten_submits_here_and_resume_there_with_latency(backend, request, tmp_path):
    """laggy: 1.5 s per request (B starts while A's creates are unanswered); tiny: no latency (both processes
    used to rename the same .part files)."""
    laggy = request.getfixturevalue(backend)
    home = tmp_path / "home"
    prefix = f"owner {uuid.uuid4().hex[:6]}"
    a = child(laggy, home, "submit", "10", prefix)
    read_until(a, "submitted")
    b = child(laggy, home, "resume")  # the second notebook, while A's creates are still unanswered
    followed = read_until(b, "submitted")[-1]["ids"]
    rc_a, _out_a, err_a = finish(a)
    rc_b, out_b, err_b = finish(b)
    assert rc_a == 0 and rc_b == 0, (err_a[-2000:], err_b[-2000:])
    # B followed A's unfinished jobs (read-only) and saw them finish; without latency A may be done first
    assert len(followed) == 10 if backend == "laggy" else len(followed) <= 10
    assert '"status": "failed"' not in out_b and (not followed or '"status": "completed"' in out_b)
    assert_one_video_per_job(laggy, home, prefix, 10)


def test_interleaved_submits_and_resumes_with_lost_creates(faulty, tmp_path):
    home = tmp_path / "home"
    prefix = f"interleaved {uuid.uuid4().hex[:6]}"
    a = child(faulty, home, "submit", "4", prefix + " a")
    read_until(a, "submitted")
    b = child(faulty, home, "submit", "4", prefix + " b")
    read_until(b, "submitted")
    c = child(faulty, home, "resume")
    d = child(faulty, home, "resume")
    results = [finish(p, 240) for p in (a, b, c, d)]
    assert all(rc == 0 for rc, _o, _e in results), [e[-1500:] for _r, _o, e in results]
    assert_one_video_per_job(faulty, home, prefix, 8)


def test_a_dead_owners_job_is_taken_over_after_its_lease(laggy, tmp_path):
    home = tmp_path / "home"
    prefix = f"takeover {uuid.uuid4().hex[:6]}"
    a = child(laggy, home, "submit", "3", prefix)
    read_until(a, "submitted")
    b = child(laggy, home, "resume", env={"SORA_WIDGETS_LEASE_S": "2"})
    read_until(b, "submitted")
    a.kill()  # the owner dies with its creates in the air (its leases stay until they expire)
    a.communicate(timeout=30)
    rc_b, _out_b, err_b = finish(b, 180)
    assert rc_b == 0, err_b[-2000:]
    assert_one_video_per_job(laggy, home, prefix, 3)


class _Job:
    """What a lease needs of a job: its id and whether it is done (a real VideoJob is used in the tests above)."""

    def __init__(self, job_id: str) -> None:
        self.id, self.done = job_id, False


def test_a_lease_is_exclusive_until_it_expires_or_its_owner_dies(tmp_path):
    import os
    import subprocess
    import sys
    import time

    from sora_widgets.leases import Leases, owner_dead
    from sora_widgets.store import Journal

    journal = Journal(tmp_path / "home")
    mine = Leases(journal, lambda job: None, owner="test-a", lease_s=0.6)
    theirs = Leases(journal, lambda job: None, owner="test-b", lease_s=0.6)
    job = _Job("job_1")
    assert mine.acquire(job) and mine.holds("job_1")
    assert not theirs.acquire(job) and theirs.watching("job_1")
    assert mine._renew_all(["job_1"]) == []  # renewing one's own lease works
    deadline = time.monotonic() + 10
    while theirs.owner_of("job_1") is not None:  # nobody renews: it expires
        assert time.monotonic() < deadline
        mine._stopped = True  # (no renewals from the thread either)
        time.sleep(0.05)
    assert theirs._try_acquire("job_1")
    assert mine._renew_all(["job_1"]) == ["job_1"]  # the old owner learns it lost the job
    # a dead local process's lease is over at once, without waiting for it to expire
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{os.uname().nodename}:{proc.stdout.strip()}:x"
    assert owner_dead(dead) and not owner_dead(f"{os.uname().nodename}:{os.getpid()}:x")
    mine.release_all()
    theirs.release_all()
    journal.close()


def _run(client, code: str, timeout: float = 180) -> str:
    """Run ``code`` in a kernel; its stdout (raises with the traceback on an error)."""
    out: list[str] = []
    errors: list[str] = []

    def hook(msg):
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            errors.append("\n".join(content["traceback"]))

    client.execute_interactive(code, timeout=timeout, output_hook=hook)
    assert not errors, errors[0][-3000:]
    return "".join(out)


def test_two_kernels_on_one_home(laggy, tmp_path):
    from jupyter_client.manager import start_new_kernel

    home = tmp_path / "home"
    prefix = f"kernels {uuid.uuid4().hex[:6]}"
    setup = ("import sora_widgets as sw\nfrom tests.reliability.conftest import TINY\n"
             f"sw.configure(base_url={laggy.base_url!r}, api_key={laggy.api_key!r}, home={str(home)!r}, "
             "profile=TINY)\n")
    kernels = [start_new_kernel(kernel_name="python3", cwd=str(HERE_ROOT)) for _ in range(2)]
    try:
        (_ma, a), (_mb, b) = kernels
        _run(a, setup + f"jobs = [sw.submit({prefix!r} + f' #{{i}}', cache=False) for i in range(4)]")
        b_out = _run(b, setup + "jobs = sw.resume()\nfor j in jobs: j.wait(150)\n"
                               "print(sorted(j.status for j in jobs))")
        a_out = _run(a, "for j in jobs: j.wait(150)\nprint(sorted(j.status for j in jobs))")
    finally:
        for manager, client in kernels:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    assert "['completed', 'completed', 'completed', 'completed']" in a_out
    assert "'completed'" in b_out and "failed" not in b_out
    assert_one_video_per_job(laggy, home, prefix, 4)
