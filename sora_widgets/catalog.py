"""The gallery's catalog: filtered, sorted windows over the journal, done in SQLite.

A gallery of 10,000 videos never holds a Python list of every job: each render asks for a count, the counts
per filter value, and the window of rows on screen. Prompt search goes through an FTS5 index of the prompts
(``jobs_fts``, external content over ``jobs``, kept in step by triggers; built once for journals older than
it). Text typed by the user is never FTS5 syntax: every term is quoted (see :func:`fts_query`).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from typing import TYPE_CHECKING, Any

from .vocab import IN_FLIGHT

if TYPE_CHECKING:
    from .job import VideoJob
    from .session import Session
    from .store import Journal

__all__ = ["SORTS", "STATUS_FILTERS", "Catalog", "Query", "fts_query"]

#: Status filter words: ``running`` is every status still in flight.
STATUS_FILTERS = ("all", "running", "completed", "failed", "cancelled", "expired")
#: Sort keys: when it was submitted, its estimated cost, the clip's length in seconds.
SORTS = ("date", "cost", "duration")

_SORT_SQL = {
    "date": "created_at",
    "cost": "COALESCE(cost_usd, -1.0)",  # unpriced jobs sort as the cheapest
    "duration": "CAST(seconds AS REAL)",
}


def fts_query(text: str) -> str | None:
    """An FTS5 query matching prompts that contain every word of ``text`` (the last one as a prefix, so results
    follow typing). Each term is a quoted string, so quotes, ``AND``/``OR``/``NEAR``, ``*``, ``:`` or ``^`` typed
    by the user are searched for as words, never parsed. None when ``text`` has no word to search for."""
    terms = [t for t in text.split() if any(c.isalnum() for c in t)]
    if not terms:
        return None
    quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
    quoted[-1] += "*"
    return " ".join(quoted)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclasses.dataclass(frozen=True)
class Query:
    """What the gallery shows: filters (``"all"`` / ``""`` / None = any) and the order."""

    search: str = ""
    status: str = "all"
    model: str = "all"
    backend: str = "all"
    created_from: float | None = None
    created_to: float | None = None
    cost_min: float | None = None
    cost_max: float | None = None
    sort: str = "date"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.status not in STATUS_FILTERS:
            raise ValueError(f"status filter {self.status!r}; allowed: {', '.join(STATUS_FILTERS)}")
        if self.sort not in SORTS:
            raise ValueError(f"sort {self.sort!r}; allowed: {', '.join(SORTS)}")


class Catalog:
    """Windows, counts and positions of the journal's jobs under a :class:`Query` (deleted jobs never show).

    ``sw.job_catalog()`` gives the configured journal's. Made over a bare :class:`Journal` it answers queries only;
    over a session (``Catalog(session=...)``) it also gives the jobs of the rows (:meth:`job`, :meth:`reader`).
    """

    def __init__(self, journal: Journal, session: Session | None = None) -> None:
        self.journal = journal
        self._session = session
        with journal.lock():
            found = journal.raw().execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs_fts'"
            )
            self.has_fts = bool(found.fetchone())

    # ------------------------------------------------------------------ jobs of rows

    def _sess(self) -> Session:
        if self._session is None:
            raise RuntimeError("this Catalog was made over a bare journal: it has no job objects")
        return self._session

    def known(self, job_id: str) -> VideoJob | None:
        """The job object this process already has for ``job_id`` (it is more current than its row)."""
        return self._sess().known(job_id)

    def job(self, job_id: str) -> VideoJob | None:
        """The one job object of ``job_id`` (made and kept by the session), None when not journaled."""
        sess = self._sess()
        found = sess.known(job_id)
        if found is None:
            row = self.journal.get(job_id)
            found = sess.job(row) if row is not None else None
        return found

    def reader(self, row: dict[str, Any]) -> VideoJob:
        """A job object to read ``row`` through: the session's when it has one, else a fresh one that nothing
        keeps (10,000 rows scrolled past are not all held); act only on :meth:`job`'s."""
        from .job import VideoJob

        return self.known(row["id"]) or VideoJob(self._sess(), row)

    # ------------------------------------------------------------------ SQL pieces

    def _where(self, q: Query, *, skip: str = "") -> tuple[str, list[Any]]:
        """The WHERE clause of ``q``; ``skip``: leave that filter out (for its own counts)."""
        parts = ["status != 'deleted'"]
        args: list[Any] = []
        if skip != "status" and q.status != "all":
            if q.status == "running":
                parts.append(f"status IN ({', '.join('?' for _ in IN_FLIGHT)})")
                args.extend(sorted(IN_FLIGHT))
            else:
                parts.append("status = ?")
                args.append(q.status)
        if skip != "model" and q.model not in ("", "all"):
            parts.append("model = ?")
            args.append(q.model)
        if skip != "backend" and q.backend not in ("", "all"):
            parts.append("(backend_key = ? OR backend_label = ?)")
            args.extend([q.backend, q.backend])
        if q.created_from is not None:
            parts.append("created_at >= ?")
            args.append(float(q.created_from))
        if q.created_to is not None:
            parts.append("created_at < ?")
            args.append(float(q.created_to))
        if q.cost_min is not None:
            parts.append("cost_usd >= ?")
            args.append(float(q.cost_min))
        if q.cost_max is not None:
            parts.append("cost_usd <= ?")
            args.append(float(q.cost_max))
        text = q.search.strip()
        if text:
            match = fts_query(text) if self.has_fts else None
            # ids and backend ids match too (pasted from a log or the CLI)
            ids = "id = ? OR video_id = ?"
            if match is not None:
                parts.append(f"(rowid IN (SELECT rowid FROM jobs_fts WHERE jobs_fts MATCH ?) OR {ids})")
                args.extend([match, text, text])
            else:
                parts.append(f"(prompt LIKE ? ESCAPE '\\' OR {ids})")
                args.extend([_like(text), text, text])
        return " AND ".join(parts), args

    @staticmethod
    def _order(q: Query) -> str:
        way = "DESC" if q.descending else "ASC"
        # the same terms as the order indexes (catalog_schema): no sort step (a repeated term would need one)
        keys = ["created_at", "id"] if q.sort == "date" else [_SORT_SQL[q.sort], "created_at", "id"]
        return ", ".join(f"{k} {way}" for k in keys)

    def _rows(self, sql: str, args: list[Any]) -> list[sqlite3.Row]:
        with self.journal.lock():
            return list(self.journal._execute(sql, tuple(args)).fetchall())

    # ------------------------------------------------------------------ queries

    def data_version(self) -> int:
        """Changes when another connection (another process) commits to the journal: what is cached of its
        counts is stale then (this process's own writes reach the gallery as job changes)."""
        return int(self._rows("PRAGMA data_version", [])[0][0])

    def count(self, q: Query) -> int:
        where, args = self._where(q)
        return int(self._rows(f"SELECT COUNT(*) FROM jobs WHERE {where}", args)[0][0])

    def window(self, q: Query, offset: int, limit: int) -> list[dict[str, Any]]:
        """Rows ``offset .. offset + limit`` of ``q``'s ordering (journal rows, as :meth:`Journal.get`)."""
        where, args = self._where(q)
        # the order over narrow (rowid + sort keys) rows, then only the window's whole rows: a search's matches
        # are sorted without carrying every column of each
        picked = self._rows(
            f"SELECT rowid FROM jobs WHERE {where} ORDER BY {self._order(q)} LIMIT ? OFFSET ?",
            [*args, max(0, int(limit)), max(0, int(offset))],
        )
        rowids = [r[0] for r in picked]
        if not rowids:
            return []
        marks = ", ".join("?" for _ in rowids)
        by_rowid = {r[0]: r for r in self._rows(f"SELECT rowid, * FROM jobs WHERE rowid IN ({marks})", rowids)}
        out = []
        for rowid in rowids:
            row = dict(by_rowid[rowid])
            row.pop("rowid", None)
            out.append(self.journal._overlay(row))
        return out

    def ids(self, q: Query) -> list[str]:
        """Every id of ``q``'s ordering (the Python API's ``gallery.jobs``; the views use windows)."""
        where, args = self._where(q)
        return [
            r[0] for r in self._rows(f"SELECT id FROM jobs WHERE {where} ORDER BY {self._order(q)}", args)
        ]

    def locate(self, q: Query, job_id: str) -> int | None:
        """The index of ``job_id`` in ``q``'s ordering; None when it does not match ``q``."""
        where, args = self._where(q)
        rows = self._rows(
            f"SELECT pos FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY {self._order(q)}) - 1 AS pos "
            f"FROM jobs WHERE {where}) WHERE id = ?",
            [*args, job_id],
        )
        return int(rows[0][0]) if rows else None

    def facets(self, q: Query) -> dict[str, dict[str, int]]:
        """Counts per status word, model and backend, each under the other filters of ``q`` (what choosing that
        value would show)."""
        out: dict[str, dict[str, int]] = {}
        where, args = self._where(q, skip="status")
        by_status = {r[0]: int(r[1]) for r in self._rows(
            f"SELECT status, COUNT(*) FROM jobs WHERE {where} GROUP BY status", args)}  # fmt: skip
        statuses = {"all": sum(by_status.values())}
        statuses["running"] = sum(n for s, n in by_status.items() if s in IN_FLIGHT)
        for word in STATUS_FILTERS[2:]:
            statuses[word] = by_status.get(word, 0)
        out["status"] = statuses
        for facet, column in (("model", "model"), ("backend", "COALESCE(backend_label, backend_key)")):
            where, args = self._where(q, skip=facet)
            rows = self._rows(
                f"SELECT {column} AS value, COUNT(*) FROM jobs WHERE {where} GROUP BY value ORDER BY value",
                args,
            )
            out[facet] = {str(r[0]): int(r[1]) for r in rows if r[0] is not None}
        return out

    def render_times(self, backend_key: str) -> dict[tuple[str, str, str], list[float]]:
        """``{(model, size, seconds): [seconds from submit to completed, oldest first]}`` of ``backend_key``'s
        completed jobs (the "usually ~N s" hint), read without making a job object per row."""
        rows = self._rows(
            # completed_at is the backend's clock in whole seconds: a fast job may read up to 1 s "before" its
            # submit; such a row counts as ~0 s, a row further off (a wrong clock) does not count
            "SELECT model, size, seconds, MAX(completed_at - created_at, 0.0) FROM jobs WHERE backend_key = ? "
            "AND status = 'completed' AND completed_at > created_at - 1.0 ORDER BY created_at, id",
            [backend_key],
        )
        out: dict[tuple[str, str, str], list[float]] = {}
        for model, size, seconds, took in rows:
            out.setdefault((model, size, str(seconds)), []).append(float(took))
        return out

    def in_flight_rows(self) -> list[dict[str, Any]]:
        """Rows of every job still in flight (any backend): the gallery follows them live."""
        marks = ", ".join("?" for _ in IN_FLIGHT)
        rows = self._rows(f"SELECT * FROM jobs WHERE status IN ({marks})", sorted(IN_FLIGHT))
        return [self.journal._overlay(dict(r)) for r in rows]
