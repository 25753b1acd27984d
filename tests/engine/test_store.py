"""The SQLite journal: durable rows, claims, spend, and sharing a home between connections."""

from __future__ import annotations

import sqlite3
import time

import pytest

from sora_widgets.store import Journal, default_home


def row(job_id: str, **extra):
    base = {
        "id": job_id, "backend_key": "http://127.0.0.1:1/v1", "prompt": "p", "model": "m", "size": "96x64",
        "seconds": "1", "status": "pending", "cost_usd": 0.5, "created_at": time.time(),
    }
    base.update(extra)
    return base


def test_rows_round_trip_and_survive_a_new_connection(tmp_path):
    journal = Journal(tmp_path)
    journal.insert(row("job_a"))
    journal.update("job_a", video_id="video_1", status="queued", progress=12.5)
    journal.close()
    again = Journal(tmp_path)
    got = again.get("job_a")
    assert got["video_id"] == "video_1" and got["status"] == "queued" and got["progress"] == 12.5
    assert again.by_video_id("http://127.0.0.1:1/v1", "video_1")["id"] == "job_a"
    mode = sqlite3.connect(tmp_path / "jobs.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_unknown_columns_are_refused(tmp_path):
    journal = Journal(tmp_path)
    with pytest.raises(KeyError, match="api_key"):
        journal.insert(row("job_b", api_key="sk-secret"))


def test_claims_and_spend(tmp_path):
    journal = Journal(tmp_path)
    journal.insert(row("job_1", video_id="v1", status="completed"))
    journal.insert(row("job_2", status="pending"))  # sent or about to be: counts
    journal.insert(row("job_3", status="failed"))  # refused before acknowledgement: free
    journal.insert(row("job_4", backend_key="http://other/v1", video_id="v9"))
    assert journal.claimed_video_ids("http://127.0.0.1:1/v1") == {"v1"}
    assert journal.spend("http://127.0.0.1:1/v1") == pytest.approx(1.0)
    assert [r["id"] for r in journal.all("http://other/v1")] == ["job_4"]


def test_media_dirs_live_under_home(tmp_path):
    journal = Journal(tmp_path / "h")
    assert journal.media_dir("job_x") == tmp_path / "h" / "media" / "job_x"
    assert journal.media_dir("job_x").is_dir()


def test_default_home_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SORA_WIDGETS_HOME", str(tmp_path / "custom"))
    assert default_home() == tmp_path / "custom"
    monkeypatch.delenv("SORA_WIDGETS_HOME")
    assert "sora_widgets" in str(default_home())
