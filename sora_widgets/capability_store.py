"""The journal's memory of each backend: what it was seen to do (``backend_facts``) and how long its jobs took
(``backend_timings``), so a restarted kernel neither re-learns a backend nor polls it blind.

Two tables of their own in ``jobs.sqlite3`` (created with ``IF NOT EXISTS`` from the journal's open path; the
schema version is not touched). Facts are small JSON values keyed by (backend, name); timings are one row per
finished job: how long it waited for a render slot and how long it ran, by model/size/seconds.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from typing import Any

__all__ = ["CapabilityStore", "ensure_schema"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS backend_facts (
    backend_key TEXT NOT NULL,
    name TEXT NOT NULL,
    value_json TEXT NOT NULL,
    learned_at REAL NOT NULL,
    PRIMARY KEY (backend_key, name)
);
CREATE TABLE IF NOT EXISTS backend_timings (
    backend_key TEXT NOT NULL,
    model TEXT NOT NULL,
    size TEXT NOT NULL,
    seconds TEXT NOT NULL,
    queued_s REAL,
    run_s REAL NOT NULL,
    finished_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS backend_timings_kind ON backend_timings(backend_key, model, size, seconds);
"""

HISTORY_ROWS = 20  # the most recent jobs of a kind that predict the next one


def ensure_schema(db: sqlite3.Connection) -> None:
    """Called once by the journal when it opens (idempotent)."""
    db.executescript(_SCHEMA)


class CapabilityStore:
    """Reads and writes the two tables through the journal's connection and lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self._db = db
        self._lock = lock

    def facts(self, backend_key: str) -> dict[str, Any]:
        with self._lock:
            rows = self._db.execute(
                "SELECT name, value_json FROM backend_facts WHERE backend_key = ?", (backend_key,)).fetchall()
        out: dict[str, Any] = {}
        for name, value in rows:
            try:
                out[str(name)] = json.loads(value)
            except ValueError:
                continue
        return out

    def set_fact(self, backend_key: str, name: str, value: Any) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO backend_facts (backend_key, name, value_json, learned_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(backend_key, name) DO UPDATE SET value_json = excluded.value_json, "
                "learned_at = excluded.learned_at",
                (backend_key, name, json.dumps(value, separators=(",", ":")), time.time()))

    def add_timing(self, backend_key: str, model: str, size: str, seconds: str, queued_s: float | None,
                   run_s: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO backend_timings (backend_key, model, size, seconds, queued_s, run_s, finished_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", (backend_key, model, size, seconds, queued_s, run_s, time.time()))

    def run_times(self, backend_key: str, model: str, size: str, seconds: str) -> list[float]:
        """Run times (s, in progress to completed) of the latest jobs of this kind, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT run_s FROM backend_timings WHERE backend_key = ? AND model = ? AND size = ? AND seconds = ? "
                "ORDER BY finished_at DESC LIMIT ?", (backend_key, model, size, seconds, HISTORY_ROWS)).fetchall()
        return [float(r[0]) for r in rows]
