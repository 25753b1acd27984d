"""Fault family: a script that submits and exits at once. The create goes out before the interpreter is gone,
or the row stays resumable (``pending``, never a silent ``failed``); the next process completes the job,
created exactly once."""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest

import sora_widgets as sw

from .conftest import TINY, child, finish
from .test_ownership import videos_with

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def laggy(tmp_path_factory):
    from sora_widgets import start_emulator

    with start_emulator(speed=40, seed=9, latency_ms=1500, profile=TINY,
                        data_dir=tmp_path_factory.mktemp("exit")) as emu:
        yield emu


def _row(home) -> dict:
    db = sqlite3.connect(home / "jobs.sqlite3")
    db.row_factory = sqlite3.Row
    try:
        (row,) = db.execute("SELECT * FROM jobs").fetchall()
        return dict(row)
    finally:
        db.close()


@pytest.mark.parametrize("exit_wait", ["30", "0"])
def test_a_script_that_submits_and_exits_loses_nothing(laggy, tmp_path, exit_wait):
    home = tmp_path / "home"
    prefix = f"exit {uuid.uuid4().hex[:6]}"
    proc = child(laggy, home, "submit-exit", "1", prefix, env={"SORA_WIDGETS_EXIT_WAIT_S": exit_wait})
    rc, out, err = finish(proc, 60)
    assert rc == 0, err[-2000:]
    assert "can't register atexit" not in err and "Traceback" not in err
    (job_id,) = json.loads(out.splitlines()[0])["ids"]
    row = _row(home)
    assert row["status"] in ("pending", "queued", "in_progress", "completed"), row  # never a silent failed
    if exit_wait == "30":
        assert row["video_id"], "the create went out (and was answered) before the interpreter exited"
    # the next process completes it, created exactly once
    sw.configure(base_url=laggy.base_url, api_key=laggy.api_key, home=home, profile=TINY)
    resumed = sw.resume()
    assert [j.id for j in resumed] == [job_id]
    resumed[0].wait(120)
    assert resumed[0].status == "completed" and resumed[0].video_path.exists()
    backend = videos_with(laggy, prefix)
    assert len(backend) == 1 and backend[0]["id"] == resumed[0].video_id
