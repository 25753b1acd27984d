"""The journal: one SQLite row per job under ``home``, written before any request, so no paid job is ever lost.

Rows are keyed by the local id (``job_<hex>``); the backend id is stored the moment it is known. The backend is
recorded by its base URL without credentials or query (never its key). Media live in ``home/media/<local id>/``.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import platformdirs

from .capability_store import ensure_schema as ensure_capability_schema
from .catalog_schema import ensure_schema as ensure_catalog_schema
from .errors import DiskFullError, JournalCorruptError, StorageError
from .journal_recovery import has_media_jobs, rows_from_media, set_aside
from .leases import ensure_table as ensure_lease_table
from .lineage import LINEAGE_COLUMNS, add_lineage_columns
from .redact import redact
from .urls import public_url

__all__ = ["JOB_COLUMNS", "Journal", "default_home", "storage_error"]

log = logging.getLogger(__name__)

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
        self.path = self.home / "jobs.sqlite3"
        self._lock = threading.RLock()
        self._unsaved: dict[str, dict[str, Any]] = {}  # updates a full disk refused: written on the next try
        self.fault: StorageError | None = None
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            self.media_root.mkdir(exist_ok=True)
        except FileExistsError:
            raise StorageError(f"home {self.home} is a file, not a directory: choose a directory with "
                               "sw.configure(home=...) or SORA_WIDGETS_HOME", str(self.home)) from None
        except OSError as exc:
            raise storage_error(exc, self.home, "create the home directory") from None
        recovered: JournalCorruptError | None = None
        try:
            if self.path.exists() and self.path.stat().st_size == 0 and has_media_jobs(self.media_root):
                raise sqlite3.DatabaseError("the file is empty (zero length) while media/ holds jobs")
            self._db = self._connect(check=True)
        except sqlite3.DatabaseError as exc:
            if _is_full(exc):
                raise storage_error(exc, self.path, "open the journal") from None
            recovered = self._recover(exc)
        if recovered is not None:
            raise recovered

    def _connect(self, *, check: bool) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30.0)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable against a process crash (the case that matters: a killed kernel).
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=30000")
            if check:
                verdict = db.execute("PRAGMA quick_check").fetchone()
                if verdict is None or verdict[0] != "ok":
                    raise sqlite3.DatabaseError(f"integrity check failed: {verdict[0] if verdict else '?'}")
            db.executescript(_SCHEMA)
            self._db = db
            with self._lock:
                self._migrate()
                ensure_lease_table(db)
                ensure_capability_schema(db)
                add_lineage_columns(db)
                ensure_catalog_schema(db)
        except BaseException:
            db.close()
            raise
        return db

    def _recover(self, exc: BaseException) -> JournalCorruptError:
        """Keep the unreadable journal aside, rebuild one from ``media/``; the error that says so."""
        try:
            kept = set_aside(self.path)
        except OSError as move_exc:
            return JournalCorruptError(
                f"the journal {self.path} cannot be read ({exc}) and could not be moved aside ({move_exc}); "
                "move it away yourself and call again", str(self.path))
        self._db = self._connect(check=False)
        rows = rows_from_media(self.media_root)
        for row in rows:
            self.insert(row)
        unfinished = sum(1 for r in rows if r["status"] != "completed")
        return JournalCorruptError(
            f"the journal {self.path} could not be read ({exc}); it was kept as {kept}, and a new journal was "
            f"rebuilt from {self.media_root} with {len(rows)} jobs ({unfinished} unfinished: sw.resume() looks "
            "for them on the backend). Call again to go on.", str(self.path), str(kept))

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
        # Idempotent (no version): credentials an older version stored in error texts are masked.
        for job_id, text in self._db.execute("SELECT id, error_json FROM jobs WHERE error_json IS NOT NULL"):
            clean = redact(text)
            if clean != text:
                self._db.execute("UPDATE jobs SET error_json = ? WHERE id = ?", (clean, job_id))

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

    def raw(self) -> sqlite3.Connection:
        """The connection, for a feature module's own table (:mod:`leases`); hold :meth:`lock` while using it."""
        return self._db

    def lock(self) -> threading.RLock:
        return self._lock

    def _execute(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        """Every statement: a SQLite fault becomes a StorageError naming the file and what to do."""
        try:
            return self._db.execute(sql, args)
        except UnicodeEncodeError as exc:
            raise StorageError(f"text that cannot be stored in {self.path} ({exc.reason}); remove lone "
                               "surrogate characters", str(self.path)) from None
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path, "use the journal") from None

    def flush_unsaved(self) -> bool:
        """Write updates a full disk refused earlier. True when nothing is left unsaved."""
        with self._lock:
            pending = list(self._unsaved.items())
        for job_id, fields in pending:
            try:
                self._write_update(job_id, fields)
            except DiskFullError:
                return False
            with self._lock:
                if self._unsaved.get(job_id) is fields:
                    del self._unsaved[job_id]
        if not self._unsaved and self.fault is not None:
            log.warning("the journal %s is written again (space was freed)", self.path)
            self.fault = None
        return not self._unsaved

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
            self._execute(f"INSERT INTO jobs ({cols}) VALUES ({marks})", tuple(row.values()))

    def update(self, job_id: str, **fields: Any) -> None:
        """Write ``fields``. On a full disk they are kept (and read back by :meth:`get`) and written once space
        is freed, so a finished job still finishes; :attr:`fault` says what is wrong meanwhile."""
        if not fields:
            return
        self._check(fields)
        with self._lock:
            if job_id in self._unsaved:
                fields = self._unsaved[job_id] = {**self._unsaved[job_id], **fields}
        try:
            self._write_update(job_id, fields)
        except DiskFullError as exc:
            with self._lock:
                self._unsaved[job_id] = dict(fields)
                first = self.fault is None
                self.fault = exc
            if first:
                log.warning("%s", exc)
            return
        with self._lock:
            if self._unsaved.get(job_id) is fields:
                del self._unsaved[job_id]
        if self._unsaved:
            self.flush_unsaved()

    def _write_update(self, job_id: str, fields: dict[str, Any]) -> None:
        fields = {**fields, "updated_at": time.time()}
        sets = ", ".join(f"{name} = ?" for name in fields)
        with self._lock:
            self._execute(f"UPDATE jobs SET {sets} WHERE id = ?", (*fields.values(), job_id))

    def _overlay(self, row: dict[str, Any]) -> dict[str, Any]:
        unsaved = self._unsaved.get(row["id"])
        return {**row, **unsaved} if unsaved else row

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return self._overlay(dict(row)) if row else None

    def all(self, backend_key: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT * FROM jobs"
        args: tuple[Any, ...] = ()
        if backend_key is not None:
            query += " WHERE backend_key = ?"
            args = (backend_key,)
        with self._lock:
            rows = self._execute(query + " ORDER BY created_at, id", args).fetchall()
            return [self._overlay(dict(r)) for r in rows]

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
            row = self._execute(
                "SELECT * FROM jobs WHERE backend_key = ? AND video_id = ? ORDER BY created_at LIMIT 1",
                (backend_key, video_id),
            ).fetchone()
        return dict(row) if row else None

    def by_cache_key(self, cache_key: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._execute(
                "SELECT * FROM jobs WHERE cache_key = ? ORDER BY created_at DESC", (cache_key,)
            ).fetchall()
        return [dict(r) for r in rows]

    def claimed_video_ids(self, backend_key: str) -> set[str]:
        with self._lock:
            rows = self._execute(
                "SELECT video_id FROM jobs WHERE backend_key = ? AND video_id IS NOT NULL", (backend_key,)
            ).fetchall()
        return {r[0] for r in rows}

    def in_flight_ids(self, backend_key: str) -> list[str]:
        """Ids of the jobs of ``backend_key`` that may be running on it (pending, queued, in progress)."""
        with self._lock:
            rows = self._execute(
                "SELECT id FROM jobs WHERE backend_key = ? AND status IN ('pending', 'queued', 'in_progress')",
                (backend_key,),
            ).fetchall()
        return [r[0] for r in rows]

    def spend(self, backend_key: str) -> float:
        """USD committed on ``backend_key``: every job acknowledged (blocked clips are billed too), pending, or
        whose create outcome is unknown (it may have been made)."""
        with self._lock:
            row = self._execute(
                "SELECT COALESCE(SUM(cost_usd), 0) FROM jobs WHERE backend_key = ? AND cost_usd IS NOT NULL "
                "AND (video_id IS NOT NULL OR status IN ('pending', 'unknown'))",
                (backend_key,),
            ).fetchone()
        return float(row[0])


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def loads(value: str | None) -> Any:
    return None if not value else json.loads(value)


def _is_full(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "full" in text or getattr(exc, "errno", None) == errno.ENOSPC or \
        getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL"


def storage_error(exc: BaseException, path: Path, doing: str) -> StorageError:
    """A named error for a failed read/write of ``path``: disk full, read-only, unreadable, or corrupt."""
    if _is_full(exc):
        return DiskFullError(f"could not {doing}: the disk holding {path} is full ({exc}). Free some space; "
                             "the job stays journaled and sw.resume() finishes it", str(path))
    if isinstance(exc, PermissionError) or "readonly" in str(exc).lower() or "read-only" in str(exc).lower():
        return StorageError(f"could not {doing}: {path} is not writable ({exc}); fix its permissions or "
                            "choose another home with sw.configure(home=...)", str(path))
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return StorageError(f"could not {doing}: the journal {path} is damaged ({exc}); close every "
                            "process using it and open it again (it is then kept aside and rebuilt)", str(path))
    return StorageError(f"could not {doing} at {path}: {exc}", str(path))
