"""The engine, unchanged, through a real LiteLLM proxy (issue 10's acceptance tests).

Public API only: ``sw.configure(base_url=<proxy>/v1, api_key=<master key>, home=...)``. The proxy's quirks
(docs/carriers.md) are what the engine has to live with: opaque ~270-character ids, no list, no delete,
``variant`` ignored (content is always the MP4), no poll-after header, ``prompt`` dropped from video objects.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from carrier_profile import CARRIER_PROFILE
from PIL import Image

pytestmark = pytest.mark.timeout(120)

#: A tiny clip through the proxy takes about a second (ten at once a few); a stuck job fails fast.
JOB_TIMEOUT_S = 20.0


@pytest.fixture(autouse=True)
def engine_logs(caplog):
    """Everything the library logs at INFO and above, for the "no poller failure" checks."""
    caplog.set_level(logging.INFO, logger="sora_widgets")
    return caplog


def assert_no_poller_failures(caplog) -> None:
    failures = [r for r in caplog.records if "poller iteration failed" in r.getMessage()]
    assert not failures, f"{len(failures)}× 'poller iteration failed', first: {failures[0].exc_text or ''}"[-2000:]


def assert_media(job) -> None:
    """A finished job has a playable MP4, a real (image) thumbnail and a spritesheet with its geometry."""
    assert job.status == "completed", (job.status, job.error)
    assert job.video_path is not None and job.video_path.exists(), job
    assert job.video_path.read_bytes()[4:8] == b"ftyp"
    for path in (job.thumbnail_path, job.spritesheet_path):
        assert path is not None and path.exists(), (job.id, path)
        with Image.open(path) as img:  # an image, not the MP4 the proxy sends for every variant
            assert img.format in ("WEBP", "JPEG", "PNG"), (path, img.format)
    assert job.sprite is not None


def settle(jobs, timeout: float = JOB_TIMEOUT_S, until=lambda job: job.done) -> None:
    """Wait (one deadline for all) until ``until(job)`` holds for every job, or the deadline passes; the
    assertions that follow then say precisely what is missing, rather than a bare timeout."""
    deadline = time.monotonic() + timeout
    while not all(until(job) for job in jobs) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling interval of a wait with a deadline


def finished_on_backend(job) -> bool:
    """The backend says completed and the MP4 is here (thumbnail/spritesheet may still be missing)."""
    return job.status == "completed" and job.video_path is not None


def test_configure_with_the_proxy_url_and_master_key(through_litellm, litellm_proxy):
    info = through_litellm.backend_info()
    assert litellm_proxy.master_key not in repr(info)
    assert info  # the engine accepted the proxy as its backend


def test_ten_jobs_at_once_all_complete_with_video_thumbnail_and_spritesheet(through_litellm, upstream, engine_logs):
    sw = through_litellm
    before = upstream.stats()
    jobs = [sw.submit(f"carrier fleet job {i}: a lighthouse at dusk", cache=False) for i in range(10)]
    settle(jobs)
    after = upstream.stats()
    content_requests = after["content"] - before["content"]
    summary = [(j.status, j.video_path is not None, j.thumbnail_path is not None, j.spritesheet_path is not None)
               for j in jobs]
    assert all(s == ("completed", True, True, True) for s in summary), (
        f"(status, video, thumbnail, spritesheet) per job: {summary}; {content_requests} content requests so far"
    )
    for job in jobs:
        assert_media(job)
    # every id is the proxy's long encoded id, kept as it is
    assert all(job.video_id.startswith("video_") and len(job.video_id) > 200 for job in jobs)
    assert after["create"] - before["create"] == 10  # nothing created twice
    assert content_requests <= 3 * len(jobs), f"{content_requests} content requests for {len(jobs)} jobs"
    assert_no_poller_failures(engine_logs)


def test_remix_through_the_proxy(through_litellm, upstream, engine_logs):
    sw = through_litellm
    source = sw.submit("a paper boat on a pond", cache=False)
    settle([source], until=finished_on_backend)
    assert finished_on_backend(source), (source.status, source.error)
    remixes_before = upstream.stats()["remix"]
    remix = source.remix("the same paper boat, now bright red")
    settle([remix])
    assert_media(remix)
    assert remix.remixed_from in (source.id, source.video_id)
    assert remix.video_id != source.video_id
    assert upstream.stats()["remix"] == remixes_before + 1
    assert_no_poller_failures(engine_logs)


def test_delete_is_local_and_says_the_backend_keeps_the_video(through_litellm, upstream, engine_logs, capsys):
    sw = through_litellm
    job = sw.submit("a snail crossing a leaf", cache=False)
    settle([job], until=finished_on_backend)
    assert finished_on_backend(job), (job.status, job.error)
    media = [job.video_path, job.thumbnail_path, job.spritesheet_path]
    job.delete()  # the proxy has no DELETE route (405): this must not raise
    assert job.status == "deleted"
    assert not any(p is not None and p.exists() for p in media)
    assert sw.get_job(job.id).status == "deleted"
    assert upstream.stats()["delete"] == 0  # nothing reached the upstream
    said = " ".join(r.getMessage() for r in engine_logs.records if r.levelno >= logging.INFO)
    out = capsys.readouterr()
    said += " " + out.out + " " + out.err
    about_delete = [m for m in (r.getMessage() for r in engine_logs.records) if "delete" in m and "download" not in m]
    assert re.search(r"\b(keeps?|kept|still (has|holds|stores)|remains?)\b", said, re.I), (
        f"no plain message that the backend keeps the video; about the delete the library said: {about_delete}"
    )
    assert "Traceback" not in said
    assert_no_poller_failures(engine_logs)


CHILD = textwrap.dedent(
    """
    import os, sys, threading, time
    sys.path.insert(0, os.environ["T_PROFILE_DIR"])
    import sora_widgets as sw
    from carrier_profile import CARRIER_PROFILE

    sw.configure(base_url=os.environ["T_BASE_URL"], api_key=os.environ["T_API_KEY"], home=os.environ["T_HOME"],
                 profile=CARRIER_PROFILE)
    jobs = [sw.submit(f"killed child job {i}", model="sora-2-pro", cache=False) for i in range(3)]
    if os.environ["T_MODE"] == "acknowledged":
        deadline = time.monotonic() + 60
        while not all(j.video_id for j in jobs) and time.monotonic() < deadline:
            time.sleep(0.01)
        print("submitted" if all(j.video_id for j in jobs) else "not acknowledged", flush=True)
    else:
        print("submitted", flush=True)  # killed with its creates on the wire, maybe answered, maybe not
    threading.Event().wait()  # generation goes on until the parent kills us
    """
)


def run_and_kill(proxy, home: Path, mode: str = "acknowledged") -> None:
    env = {**os.environ, "T_BASE_URL": proxy.base_url, "T_API_KEY": proxy.master_key, "T_HOME": str(home),
           "T_PROFILE_DIR": str(Path(__file__).parent), "T_MODE": mode}
    proc = subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while not line.strip():
            assert time.monotonic() < deadline, "child never reported its jobs"
            line = proc.stdout.readline()
            assert line or proc.poll() is None, f"child exited early with {proc.poll()}"
        assert line.strip() == "submitted", line
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL


def test_resume_after_a_killed_process(litellm_proxy, slow_upstream, clean_engine, tmp_path, engine_logs):
    import sora_widgets as sw

    before = slow_upstream.stats()["create"]
    run_and_kill(litellm_proxy, tmp_path)
    sw.configure(base_url=litellm_proxy.base_url, api_key=litellm_proxy.master_key, home=tmp_path,
                 profile=CARRIER_PROFILE)
    journaled = sw.jobs()
    assert len(journaled) == 3
    assert all(j.video_id for j in journaled)
    resumed = sw.resume()
    assert {j.id for j in resumed} == {j.id for j in journaled}
    settle(resumed)
    for job in resumed:
        assert_media(job)
    assert slow_upstream.stats()["create"] - before == 3  # nothing paid twice
    assert len({j.video_id for j in resumed}) == 3
    assert_no_poller_failures(engine_logs)


class TestingShell:
    """A real IPython shell whose run_cell raises whatever the cell raised (built lazily: IPython is heavy)."""

    @staticmethod
    def make():
        import atexit

        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        class _Shell(InteractiveShell):
            def run_cell(self, *args, **kwargs):
                result = super().run_cell(*args, **kwargs)
                result.raise_error()
                return result

        config = Config()
        config.HistoryAccessor.enabled = False
        config.InteractiveShell.colors = "nocolor"
        _Shell.clear_instance()
        shell = _Shell.instance(config=config)
        shell.extension_manager.load_extension("sora_widgets")

        def dispose() -> None:
            if "sora_widgets" in shell.extension_manager.loaded:
                shell.extension_manager.unload_extension("sora_widgets")
            atexit.unregister(shell.atexit_operations)
            _Shell.clear_instance()

        return shell, dispose


def test_sora_magic_through_the_proxy(through_litellm, engine_logs, capsys):
    import sora_widgets as sw

    shell, dispose = TestingShell.make()
    try:
        job = shell.run_cell("%sora -o fox a red fox in the snow").result
        settle([job])
        assert isinstance(job, sw.VideoJob)
        assert shell.user_ns["fox"] is job
        assert_media(job)
        table = shell.run_cell("%sora list").result
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        assert job.id in captured.out + repr(table)
    finally:
        dispose()
    assert_no_poller_failures(engine_logs)


def test_resume_after_a_kill_before_the_creates_were_answered(litellm_proxy, slow_upstream, clean_engine, tmp_path,
                                                             engine_logs):
    """LiteLLM cannot list videos, so a create whose answer died with the process cannot be found again: such a
    job must end ``unknown`` with a message, never be created a second time (nothing paid twice)."""
    import sora_widgets as sw

    before = slow_upstream.stats()["create"]
    run_and_kill(litellm_proxy, tmp_path, mode="just_submitted")
    sw.configure(base_url=litellm_proxy.base_url, api_key=litellm_proxy.master_key, home=tmp_path,
                 profile=CARRIER_PROFILE)
    journaled = sw.jobs()
    assert len(journaled) == 3  # journaled before any create was sent
    resumed = sw.resume()
    settle(resumed)
    outcome = [(j.status, bool(j.video_id), j.video_path is not None, str(j.error or "")) for j in resumed]
    for job in resumed:
        if job.video_id:
            assert_media(job)
        else:
            assert job.status == "unknown", outcome
            assert job.error is not None and str(job.error), outcome
    created = slow_upstream.stats()["create"] - before
    assert created <= 3, f"{created} creates upstream for 3 jobs: some were paid twice; {outcome}"
    assert_no_poller_failures(engine_logs)
