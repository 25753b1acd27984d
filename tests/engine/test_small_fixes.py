"""Small bugs of issue 9, each pinned: CLI ``--budget 0``, estimate_cost's size spelling, clean backend keys
(with a journal migration), media named by the local id, and engine tasks that are kept referenced."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

import sora_widgets as sw
from sora_widgets import api
from sora_widgets.store import Journal


def test_cli_budget_zero_is_a_budget(emulator, tmp_path):
    env = {**os.environ, "OPENAI_API_KEY": emulator.api_key, "OPENAI_BASE_URL": emulator.base_url,
           "SORA_WIDGETS_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "sora_widgets", "--budget", "0", "generate", "a windmill", "--seconds", "4"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1, result.stdout
    assert "budget" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").iterdir())


def test_estimate_cost_accepts_what_submit_accepts(configured):
    assert sw.estimate_cost(size="1280X720", seconds=8) == pytest.approx(0.8)
    assert sw.estimate_cost(size=" 1280x720 ", seconds="8") == pytest.approx(0.8)
    with pytest.raises(sw.ValidationError, match="allowed: 720x1280, 1280x720"):
        sw.estimate_cost(size="1920x1080")


def test_the_backend_key_is_stored_without_credentials_or_query(emulator, tmp_path):
    host = emulator.base_url.replace("http://", "")
    sw.configure(base_url=f"http://user:secret@{host}?token=abc", api_key=emulator.api_key, home=tmp_path)
    key = sw.backend_info()["backend_key"]
    assert "secret" not in key and "token" not in key and "user" not in key
    job = sw.submit("Close-up of a candle flame, shallow focus", seconds="4")
    assert job.backend_key == key
    row = sqlite3.connect(tmp_path / "jobs.sqlite3").execute("SELECT backend_key FROM jobs").fetchone()
    assert row[0] == key
    job.wait(120)


def test_an_old_journal_gets_its_backend_keys_cleaned(tmp_path):
    journal = Journal(tmp_path)
    journal.insert({"id": "job_old", "backend_key": "https://u:pw@gw.example:8443/v1?key=zzz",
                    "backend_label": "gw.example:8443", "prompt": "p", "model": "sora-2", "size": "720x1280",
                    "seconds": "4", "status": "completed", "created_at": 1.0})
    journal._db.execute("PRAGMA user_version = 0")  # as written before the migration existed
    journal.close()
    migrated = Journal(tmp_path)
    assert migrated.get("job_old")["backend_key"] == "https://gw.example:8443/v1"
    assert migrated._db.execute("PRAGMA user_version").fetchone()[0] == 1
    migrated.close()


def test_media_are_named_by_the_local_job_id(configured):
    from sora_widgets.widgets._summary import download_name

    job = sw.generate("Wide shot of a harbour at dawn, boats rocking", seconds="4")
    assert job.video_path.parent.name == job.id and job.video_path.name == "video.mp4"

    class LongId:  # a LiteLLM-style id: base64 of provider, model and upstream id, ~270 characters
        id = job.id
        video_id = "video_" + "bGl0ZWxsbTpjdXN0b21fbGxtX3Byb3ZpZGVyOm9wZW5haTttb2RlbF9pZDo" * 5

    assert download_name(LongId()) == f"{job.id}.mp4"  # type: ignore[arg-type]
    assert len(download_name(LongId()).encode()) < 255  # type: ignore[arg-type]


def test_engine_tasks_are_kept_referenced_until_they_end(configured, wait_until):
    job = sw.submit("Close-up of rain on a window, city lights", seconds="4")
    engine = api.engine()
    wait_until(lambda: engine._tasks or job.done, timeout=30)  # a create/poll/download task is held
    job.wait(120)
    wait_until(lambda: not engine._tasks, timeout=30)
