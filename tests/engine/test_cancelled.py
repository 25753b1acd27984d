"""``cancelled``: a terminal status of its own (issue 10), not a failure.

A job cancelled on the backend (the emulator's ``/_emulator/cancel``, as a provider's dashboard does; the
reseller dialect spells it ``canceled``) and a job the user cancels both end ``cancelled``, with a retryable
reason; summaries, the magics' table and ``raise_if_failed`` read it so; a journal row of an older version
(``failed`` + code ``cancelled``) reads as ``cancelled`` too.
"""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

import sora_widgets as sw
from sora_widgets.profiles import BackendProfile, ModelSpec

pytestmark = pytest.mark.timeout(90)

#: Jobs long enough to cancel while they render (30 s in progress), tiny frames.
SLOW = BackendProfile("tiny-slow", (ModelSpec("sora-2", ("160x90",), ("1", "2"), {"*": 0.01}),))


@pytest.fixture(scope="module", params=["openai", "reseller"])
def slow_backend(request, tmp_path_factory):
    with sw.start_emulator(dialect=request.param, profile=SLOW, job_duration_s=30.0, seed=8,
                           data_dir=tmp_path_factory.mktemp(f"cancel-{request.param}")) as emu:
        yield emu


def _running(job, wait_until) -> None:
    wait_until(lambda: job.video_id is not None and job.status in ("queued", "in_progress"), 20)


def test_a_job_cancelled_on_the_backend_ends_cancelled_and_can_be_retried(slow_backend, tmp_path, wait_until):
    sw.configure(base_url=slow_backend.base_url, api_key=slow_backend.api_key, home=tmp_path / "home",
                 profile=SLOW)
    job = sw.submit("A lighthouse in a storm", model="sora-2", size="160x90", seconds="1")
    _running(job, wait_until)
    assert slow_backend.cancel(job.video_id) == "cancelled"
    job.wait(30)
    assert job.status == "cancelled"
    assert job.error is not None and job.error.code == "cancelled" and job.error.retryable
    assert "cancelled" in job.error.message.lower()

    from sora_widgets.widgets._summary import summarize

    item = summarize(job, backend_key=sw.backend_info()["backend_key"])
    assert item["status"] == "cancelled" and item["error"]["retryable"] is True
    assert item["can_delete"] and not item["can_cancel"] and item["typical_s"] is None

    # what generate() would do with it: raises with the reason, not a silent None video
    from sora_widgets.waiting import raise_if_failed

    with pytest.raises(sw.SoraWidgetsError, match=r"(?i)cancelled"):
        raise_if_failed(job)

    # the journal says so, for the next process too
    db = sqlite3.connect(tmp_path / "home" / "jobs.sqlite3")
    (status, error_json), = db.execute("SELECT status, error_json FROM jobs WHERE id = ?", (job.id,)).fetchall()
    db.close()
    assert status == "cancelled" and json.loads(error_json)["code"] == "cancelled"
    again = job.retry()
    assert again.id != job.id and again.prompt == job.prompt
    again.cancel()  # the user's own cancel: the same terminal word
    assert again.status == "cancelled" and again.error is not None and again.error.retryable
    assert again.done


def test_the_cards_cancel_command_ends_a_running_job_cancelled(slow_backend, tmp_path, wait_until, monkeypatch):
    sw.configure(base_url=slow_backend.base_url, api_key=slow_backend.api_key, home=tmp_path / "home",
                 profile=SLOW)
    job = sw.submit("A kite over a beach", model="sora-2", size="160x90", seconds="1")
    card = sw.VideoCard(job)
    _running(job, wait_until)
    replies: list[dict] = []
    monkeypatch.setattr(card, "send", lambda content, buffers=None: replies.append(content))
    card._handle_custom_msg({"kind": "sora-request", "id": "r1", "cmd": "delete", "args": {"job_id": job.id}}, [])
    wait_until(lambda: any(r.get("id") == "r1" for r in replies), 30)
    assert job.status == "cancelled"
    wait_until(lambda: card.status == "cancelled", 10)
    # the backend was asked to stop it (the emulator's delete aborts a render): its video is gone there
    headers = {"Authorization": f"Bearer {slow_backend.api_key}"}
    wait_until(lambda: httpx.get(f"{slow_backend.base_url}/videos/{job.video_id}", headers=headers).status_code
               == 404, 15)


def test_an_older_journal_row_failed_with_code_cancelled_reads_as_cancelled(emulator, tmp_path):
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path / "home")
    job = sw.submit("A red cube", size="720x1280", seconds="4")
    job.wait(60)
    db = sqlite3.connect(tmp_path / "home" / "jobs.sqlite3")
    db.execute("UPDATE jobs SET status = 'failed', error_json = ? WHERE id = ?",
               (json.dumps({"code": "cancelled", "message": "the backend cancelled the job",
                            "blocked_input": None, "retryable": True}), job.id))
    db.commit()
    db.close()
    sw.api.reset()
    sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=tmp_path / "home")
    (old,) = [j for j in sw.jobs() if j.id == job.id]
    assert old.status == "cancelled" and old.done

    from sora_widgets.magic_table import JobTable

    assert "<td>cancelled</td>" in JobTable.from_jobs([old])._repr_html_()
