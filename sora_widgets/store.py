"""The journal: one SQLite row per job under ``home``, written before any request, so no paid job is ever lost.

Rows are keyed by the local id (``job_<hex>``); the backend id is stored the moment it is known. The backend is
recorded by its base URL without credentials or query (never its key). Media live in ``home/media/<local id>/``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import platformdirs

from .lineage import LINEAGE_COLUMNS, add_lineage_columns
from .urls import public_url

__all__ = ["JOB_COLUMNS", "Journal", "default_home"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    backend_key TEXT NOT NULL,
    backend_label TEXT,
    video_id TEXT,
    prompt TEXT NOT NULL,
    model TEXT NOT NULL,
    size TEXT NOT NULL,
    seconds TEXT NOT NULL,
    reference_sha256 TEXT,
    reference_path TEXT,
    cache_key TEXT,
    status TEXT NOT NULL,
    progress REAL,
    error_json TEXT,
    cost_usd REAL,
    video_path TEXT,
    thumbnail_path TEXT,
    spritesheet_path TEXT,
    sprite_json TEXT,
    remixed_from TEXT,
    remix_source_video_id TEXT,
    created_at REAL NOT NULL,
    sent_at REAL,
    acknowledged_at REAL,
    completed_at REAL,
    server_created_at REAL,
    expires_at REAL,
    updated_at REAL
);
CREATE INDEX IF NOT EXISTS jobs_video_id ON jobs(video_id);
CREATE INDEX IF NOT EXISTS jobs_cache_key ON jobs(cache_key);
CREATE INDEX IF NOT EXISTS jobs_backend_status ON jobs(backend_key, status);
"""

JOB_COLUMNS = (
    "id", "backend_key", "backend_label", "video_id", "prompt", "model", "size", "seconds", "reference_sha256",
    "reference_path", "cache_key", "status", "progress", "error_json", "cost_usd", "video_path", "thumbnail_path",
    "spritesheet_path", "sprite_json", "remixed_from", "remix_source_video_id", "created_at", "sent_at",
    "acknowledged_at", "completed_at", "server_created_at", "expires_at", "updated_at", *LINEAGE_COLUMNS,
)
_COLUMN_SET = frozenset(JOB_COLUMNS)


def default_home() -> Path:
    """``$SORA_WIDGETS_HOME``, else the per-user data directory."""
    env = os.environ.get("SORA_WIDGETS_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("sora_widgets", appauthor=False))


class Journal:
    """The SQLite journal (WAL mode, one connection guarded by a lock: any thread may call it).

    Parameters
    ----------
    home
        Directory holding ``jobs.sqlite3`` and ``media/``; created if missing.
    """

    def __init__(self, home: str | os.PathLike[str]) -> None:
        self.home = Path(home).expanduser()
        self.home.mkdir(parents=True, exist_ok=True)
        self.media_root.mkdir(exist_ok=True)
        self.path = self.home / "jobs.sqlite3"
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable against a process crash (the case that matters: a killed kernel).
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=30000")
            self._db.executescript(_SCHEMA)
            self._migrate()
            add_lineage_columns(self._db)

    def _migrate(self) -> None:
        """Bring an older journal up to date (``PRAGMA user_version``).

        1: backend keys are stored cleaned of credentials, query and fragment (older journals kept the base URL
        as given), so nothing downstream has to clean them."""
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version < 1:
            rows = self._db.execute("SELECT DISTINCT backend_key FROM jobs").fetchall()
            for (key,) in rows:
                clean = key if key.startswith("local-emulator:") else public_url(key)
                if clean != key:
                    self._db.execute("UPDATE jobs SET backend_key = ? WHERE backend_key = ?", (clean, key))
            self._db.execute("PRAGMA user_version = 1")

    @property
    def media_root(self) -> Path:
        return self.home / "media"

    def media_dir(self, job_id: str) -> Path:
        path = self.media_root / job_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @staticmethod
    def _check(fields: Iterable[str]) -> None:
        unknown = set(fields) - _COLUMN_SET
        if unknown:
            raise KeyError(f"unknown journal columns: {sorted(unknown)}")

    def insert(self, row: dict[str, Any]) -> None:
        self._check(row)
        row = {**row, "updated_at": time.time()}
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._lock:
            self._db.execute(f"INSERT INTO jobs ({cols}) VALUES ({marks})", tuple(row.values()))

    def update(self, job_id: str, **fields: Any) -> None:
        if not fields:
            return
        self._check(fields)
        fields["updated_at"] = time.time()
        sets = ", ".join(f"{name} = ?" for name in fields)
        with self._lock:
            self._db.execute(f"UPDATE jobs SET {sets} WHERE id = ?", (*fields.values(), job_id))

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return dict(row) if row else None

    def all(self, backend_key: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT * FROM jobs"
        args: tuple[Any, ...] = ()
        if backend_key is not None:
            query += " WHERE backend_key = ?"
            args = (backend_key,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY created_at, id", args).fetchall()
        return [dict(r) for r in rows]

    def find(self, key: str) -> dict[str, Any]:
        """The row with this local id or backend video id (a unique prefix is enough); KeyError otherwise."""
        row = self.get(key)
        if row is None:
            rows = [r for r in self.all() if r["id"].startswith(key) or (r["video_id"] or "").startswith(key)]
            if len(rows) > 1:
                raise KeyError(f"{key!r} matches {len(rows)} jobs; give more of the id")
            row = rows[0] if rows else None
        if row is None:
            raise KeyError(f"no job with id or video id {key!r} in {self.path}")
        return row

    def by_video_id(self, backend_key: str, video_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM jobs WHERE backend_key = ? AND video_id = ? ORDER BY created_at LIMIT 1",
                (backend_key, video_id),
            ).fetchone()
        return dict(row) if row else None

    def by_cache_key(self, cache_key: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM jobs WHERE cache_key = ? ORDER BY created_at DESC", (cache_key,)
            ).fetchall()
        return [dict(r) for r in rows]

    def claimed_video_ids(self, backend_key: str) -> set[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT video_id FROM jobs WHERE backend_key = ? AND video_id IS NOT NULL", (backend_key,)
            ).fetchall()
        return {r[0] for r in rows}

    def in_flight_ids(self, backend_key: str) -> list[str]:
        """Ids of the jobs of ``backend_key`` that may be running on it (pending, queued, in progress)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM jobs WHERE backend_key = ? AND status IN ('pending', 'queued', 'in_progress')",
                (backend_key,),
            ).fetchall()
        return [r[0] for r in rows]

    def spend(self, backend_key: str) -> float:
        """USD committed on ``backend_key``: every job acknowledged (blocked clips are billed too), pending, or
        whose create outcome is unknown (it may have been made)."""
        with self._lock:
            row = self._db.execute(
                "SELECT COALESCE(SUM(cost_usd), 0) FROM jobs WHERE backend_key = ? AND cost_usd IS NOT NULL "
                "AND (video_id IS NOT NULL OR status IN ('pending', 'unknown'))",
                (backend_key,),
            ).fetchone()
        return float(row[0])


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def loads(value: str | None) -> Any:
    return None if not value else json.loads(value)
