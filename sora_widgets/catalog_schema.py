"""The catalog's part of the journal's schema: indexes for its filters and orders, and ``jobs_fts``, the FTS5
index of the prompts (external content over ``jobs``, kept in step by triggers). Called from the journal's open
path; see :mod:`sora_widgets.catalog` for the queries."""

from __future__ import annotations

import sqlite3

__all__ = ["ensure_schema"]

# Each order of the catalog (created_at, cost, clip length; then created_at, id as tie-breaks) has an index that
# yields it without a sort, also under a status filter; the expressions are the ones catalog._SORT_SQL orders by.
_INDEXES = """
DROP INDEX IF EXISTS jobs_created_at;
DROP INDEX IF EXISTS jobs_status_created;
CREATE INDEX IF NOT EXISTS jobs_order_date ON jobs(created_at, id);
CREATE INDEX IF NOT EXISTS jobs_status_order ON jobs(status, created_at, id);
CREATE INDEX IF NOT EXISTS jobs_order_cost ON jobs(COALESCE(cost_usd, -1.0), created_at, id);
CREATE INDEX IF NOT EXISTS jobs_order_duration ON jobs(CAST(seconds AS REAL), created_at, id);
CREATE INDEX IF NOT EXISTS jobs_model_created ON jobs(model, created_at);
CREATE INDEX IF NOT EXISTS jobs_backend_created ON jobs(backend_key, created_at);
CREATE INDEX IF NOT EXISTS jobs_cost ON jobs(cost_usd);
"""

_FTS = """
CREATE VIRTUAL TABLE jobs_fts USING fts5(prompt, content='jobs', content_rowid='rowid');
CREATE TRIGGER IF NOT EXISTS jobs_fts_insert AFTER INSERT ON jobs BEGIN
  INSERT INTO jobs_fts(rowid, prompt) VALUES (new.rowid, new.prompt);
END;
CREATE TRIGGER IF NOT EXISTS jobs_fts_delete AFTER DELETE ON jobs BEGIN
  INSERT INTO jobs_fts(jobs_fts, rowid, prompt) VALUES ('delete', old.rowid, old.prompt);
END;
CREATE TRIGGER IF NOT EXISTS jobs_fts_update AFTER UPDATE OF prompt ON jobs BEGIN
  INSERT INTO jobs_fts(jobs_fts, rowid, prompt) VALUES ('delete', old.rowid, old.prompt);
  INSERT INTO jobs_fts(rowid, prompt) VALUES (new.rowid, new.prompt);
END;
"""


def ensure_schema(db: sqlite3.Connection) -> None:
    """Indexes and the prompt index, from the journal's open path (idempotent; no schema version bump).

    A journal made before the prompt index gets it built from its rows, once. A SQLite without FTS5 keeps
    working: search then falls back to ``LIKE`` (see :meth:`Catalog.has_fts`)."""
    db.executescript(_INDEXES)
    exists = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs_fts'").fetchone()
    if exists:
        return
    try:
        db.executescript(f"BEGIN; {_FTS} INSERT INTO jobs_fts(jobs_fts) VALUES ('rebuild'); COMMIT;")
    except sqlite3.OperationalError as exc:
        if db.in_transaction:
            db.execute("ROLLBACK")
        if "fts5" not in str(exc).lower():
            raise
