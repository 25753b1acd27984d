"""Fault family: the journal and the disk. An unreadable journal (garbage, truncated, zero length) is kept
aside, named in a one-line error, and rebuilt from ``media/``; a full disk gives a named error, nothing spins,
and the job finishes once space is freed."""

from __future__ import annotations

import sqlite3

import pytest

import sora_widgets as sw
from sora_widgets.errors import DiskFullError, JournalCorruptError, StorageError, ValidationError

from .conftest import TINY, fill, wait_until


def _configure(emulator, home):
    return sw.configure(base_url=emulator.base_url, api_key=emulator.api_key, home=home, profile=TINY)


def _two_jobs(emulator, home):
    """One finished job and one whose create is journaled but whose process died before the answer."""
    _configure(emulator, home)
    done = sw.submit("a finished clip", cache=False).wait(60)
    assert done.status == "completed"
    sw.api.reset()
    return done


@pytest.mark.parametrize("damage", ["garbage", "truncated", "zero-length"])
def test_an_unreadable_journal_is_kept_aside_and_rebuilt(tiny, tmp_path, damage):
    home = tmp_path / "home"
    done = _two_jobs(tiny, home)
    path = home / "jobs.sqlite3"
    for side in ("jobs.sqlite3-wal", "jobs.sqlite3-shm"):
        (home / side).unlink(missing_ok=True)
    original = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"this is not a database" * 200)
    elif damage == "truncated":
        path.write_bytes(original[:1500])
    else:
        path.write_bytes(b"")
    with pytest.raises(JournalCorruptError) as info:
        _configure(tiny, home)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and "kept as" in message and "1 jobs" in message
    kept = info.value.kept
    assert kept and (home / kept.rsplit("/", 1)[-1]).exists()  # the damaged file was not destroyed
    # the next call goes on with the rebuilt journal: the finished job is there with its media
    _configure(tiny, home)
    (job,) = sw.jobs()
    assert job.id == done.id and job.status == "completed" and job.video_path.exists()
    assert job.prompt == "a finished clip"


def test_an_unfinished_job_is_rebuilt_resumable_and_found_not_paid_again(tiny, tmp_path):
    home = tmp_path / "home"
    _configure(tiny, home)
    job = sw.submit("rebuilt and resumed", cache=False)
    wait_until(lambda: job.video_id is not None, 30)  # created on the backend
    sw.api.reset()
    before = tiny.stats()["create"]
    (home / "jobs.sqlite3").write_bytes(b"garbage" * 500)
    for side in ("jobs.sqlite3-wal", "jobs.sqlite3-shm"):
        (home / side).unlink(missing_ok=True)
    with pytest.raises(JournalCorruptError):
        _configure(tiny, home)
    _configure(tiny, home)
    (resumed,) = sw.resume()
    resumed.wait(60)
    assert resumed.status == "completed" and resumed.video_path.exists()
    assert resumed.video_id == job.video_id  # its own video (recorded in media/<id>/job.json), not a new one
    assert tiny.stats()["create"] == before


def test_home_that_is_a_file_is_a_named_error(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(ValidationError, match="is a file, not a directory"):
        sw.configure(home=target)


def test_full_disk_at_submit_is_named_and_sends_nothing(tiny, small_disk):
    home = small_disk / "home"
    _configure(tiny, home)
    sw.jobs()  # the journal exists
    filler = fill(small_disk)
    before = tiny.stats()["create"]
    with pytest.raises(StorageError) as info:
        for i in range(50):  # SQLite may fit a row or two in pages it already has
            sw.submit(f"no room {i}", cache=False)
    assert isinstance(info.value, DiskFullError) and "full" in str(info.value) and str(small_disk) in str(info.value)
    filler.unlink()
    sent = tiny.stats()["create"] - before
    assert sent == len([j for j in sw.jobs() if j.prompt.startswith("no room")])  # only journaled jobs were sent


def test_full_disk_while_a_job_finishes_then_it_completes_after_space_is_freed(tiny, small_disk):
    home = small_disk / "home"
    _configure(tiny, home)
    job = sw.submit("finishes on a full disk", cache=False)
    wait_until(lambda: job.video_id is not None, 30)
    filler = fill(small_disk)
    job.wait(60)  # returns: nothing spins on a full disk
    assert job.error is not None and job.error.code == "disk_full" and job.error.retryable
    assert "full" in job.error.message and "sw.resume()" in job.error.message
    creates = tiny.stats()["create"]
    filler.unlink()
    (again,) = sw.resume()
    again.wait(60)
    assert again is job and job.status == "completed" and job.video_path.exists() and job.error is None
    assert tiny.stats()["create"] == creates  # downloaded, not generated again
    sw.api.reset()
    db = sqlite3.connect(home / "jobs.sqlite3")
    assert db.execute("SELECT status, video_path IS NOT NULL FROM jobs").fetchall() == [("completed", 1)]
    db.close()
