"""Who drives a live job: a lease in the journal, so two processes on one ``home`` never both create, poll or
download the same job (which paid twice and broke each other's ``.part`` files).

A process that creates or resumes a job takes its lease (table ``job_leases``), renews it while it runs, and
drops it when the job is done or the process stops. Another process (a second notebook) follows such a job
read-only: it re-reads the row when it changes and shows the owner's progress. It takes the lease over only
once it has expired (the owner died without releasing it) and then drives the job from the journal.

One thread per process (``sora-leases``) renews the leases held and watches the jobs followed, each tick; it
runs only while there is something to renew or watch.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .job import VideoJob
    from .store import Journal

__all__ = ["LEASE_S", "OWNER", "Leases", "ensure_table", "owner_dead"]

log = logging.getLogger(__name__)

#: Seconds a lease lives without renewal (a dead owner's job is taken over after this). Renewed every third.
LEASE_S = float(os.environ.get("SORA_WIDGETS_LEASE_S", "20"))
#: This process, as the journal records it (host, pid and a random part: a pid can be reused).
OWNER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

_TABLE = """
CREATE TABLE IF NOT EXISTS job_leases (
    job_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL
)
"""


def owner_dead(owner: str) -> bool:
    """Is ``owner`` a process of this host that no longer runs? (Then its lease is over without waiting.)"""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists but not ours to signal
        return False
    return False


def ensure_table(db: sqlite3.Connection) -> None:
    """Called from the journal's open path (idempotent; no schema version bump)."""
    db.execute(_TABLE)


class Leases:
    """The leases of one journal held by this process, and the jobs it follows read-only.

    ``take_over(job)`` is called (on the leases thread) when a followed job's lease expired and this process
    took it: the session attaches the job to its engine then.
    """

    def __init__(self, journal: Journal, take_over: Callable[[VideoJob], None],
                 owner: str = OWNER, lease_s: float | None = None) -> None:
        self.journal = journal
        self.owner = owner
        self.lease_s = LEASE_S if lease_s is None else lease_s
        self._take_over = take_over
        self._held: dict[str, VideoJob] = {}
        self._watched: dict[str, tuple[VideoJob, Any]] = {}  # job id -> (job, updated_at last seen)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopped = False

    # ------------------------------------------------------------------ the journal side (atomic)

    def _try_acquire(self, job_id: str) -> bool:
        now = time.time()
        db = self.journal.raw()
        with self.journal.lock():
            db.execute("BEGIN IMMEDIATE")  # one writer at a time across processes: check-and-set is atomic
            try:
                row = db.execute("SELECT owner, expires_at FROM job_leases WHERE job_id = ?", (job_id,)).fetchone()
                if row is not None and row[0] != self.owner and float(row[1]) > now and not owner_dead(row[0]):
                    db.execute("COMMIT")
                    return False
                db.execute(
                    "INSERT INTO job_leases (job_id, owner, expires_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(job_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at",
                    (job_id, self.owner, now + self.lease_s),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return True

    def owner_of(self, job_id: str) -> tuple[str, float] | None:
        """(owner, expires_at) of a live lease on ``job_id``, or None when nobody holds one."""
        with self.journal.lock():
            row = self.journal.raw().execute(
                "SELECT owner, expires_at FROM job_leases WHERE job_id = ?", (job_id,)).fetchone()
        if row is None or float(row[1]) <= time.time() or owner_dead(str(row[0])):
            return None
        return str(row[0]), float(row[1])

    def _renew_all(self, job_ids: list[str]) -> list[str]:
        """Renew ours in one transaction; the ids whose lease another process holds now (we were too late)."""
        if not job_ids:
            return []
        db = self.journal.raw()
        with self.journal.lock():
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("UPDATE job_leases SET expires_at = ? WHERE owner = ?", (time.time() + self.lease_s,
                                                                                   self.owner))
                mine = {r[0] for r in db.execute("SELECT job_id FROM job_leases WHERE owner = ?", (self.owner,))}
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        # a lease row that vanished (a rebuilt journal) is taken again; one another process holds is lost
        return [job_id for job_id in job_ids if job_id not in mine and not self._try_acquire(job_id)]

    def _drop(self, job_ids: list[str]) -> None:
        if not job_ids:
            return
        with self.journal.lock():
            self.journal.raw().executemany(
                "DELETE FROM job_leases WHERE job_id = ? AND owner = ?", [(i, self.owner) for i in job_ids])

    # ------------------------------------------------------------------ what the session calls

    def acquire(self, job: VideoJob) -> bool:
        """Hold ``job`` (a new job, or one nobody holds or whose owner's lease expired). False: another live
        process drives it; it is then followed read-only until that lease expires."""
        with self._lock:
            if job.id in self._held:
                return True
        try:
            ok = self._try_acquire(job.id)
        except sqlite3.Error as exc:  # a journal that cannot be written: drive it (a single process is the norm)
            log.warning("could not take the lease of %s (%s); driving it anyway", job.id, exc)
            ok = True
        with self._lock:
            if ok:
                self._held[job.id] = job
                self._watched.pop(job.id, None)
            else:
                self._watched.setdefault(job.id, (job, None))
        self._start()
        return ok

    def holds(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._held

    def watching(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._watched

    def release_all(self) -> None:
        """Stop: drop every lease this process holds (another process may take the jobs at once)."""
        with self._lock:
            held = list(self._held)
            self._held.clear()
            self._watched.clear()
            self._stopped = True
        self._wake.set()
        try:
            self._drop(held)
        except sqlite3.Error:
            log.debug("could not drop leases", exc_info=True)

    # ------------------------------------------------------------------ the thread

    def _start(self) -> None:
        with self._lock:
            if self._stopped or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._run, name="sora-leases", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            interval = min(self.lease_s / 3.0, 0.5)
            self._wake.wait(interval)
            self._wake.clear()
            with self._lock:
                if self._stopped or (not self._held and not self._watched):
                    self._thread = None
                    return
            try:
                self.tick()
            except Exception:  # a journal fault must not kill the thread: the next tick tries again
                log.warning("lease tick failed", exc_info=True)

    _last_renew = 0.0

    def tick(self) -> None:
        """One round: drop leases of finished jobs, renew the rest, refresh followed jobs, take over expired."""
        with self._lock:
            held = dict(self._held)
            watched = dict(self._watched)
        done = [i for i, job in held.items() if job.done]
        if done:
            with self._lock:
                for i in done:
                    self._held.pop(i, None)
            self._drop(done)
        now = time.monotonic()
        if now - self._last_renew >= self.lease_s / 3.0:
            self._last_renew = now
            lost = self._renew_all([i for i in held if i not in done])
            for job_id in lost:
                log.warning("lease of %s was taken by another process; following it read-only now", job_id)
                with self._lock:
                    job = self._held.pop(job_id, None)
                    if job is not None:
                        self._watched[job_id] = (job, None)
        for job, seen in watched.values():
            self._follow_one(job, seen)

    def _follow_one(self, job: VideoJob, seen: Any) -> None:
        row = self.journal.get(job.id)
        if row is None:
            with self._lock:
                self._watched.pop(job.id, None)
            return
        if row.get("updated_at") != seen:
            with self._lock:
                if job.id in self._watched:
                    self._watched[job.id] = (job, row.get("updated_at"))
            job._reload(row)
        if job.done:
            with self._lock:
                self._watched.pop(job.id, None)
            return
        if self.owner_of(job.id) is None and self._try_acquire(job.id):
            log.info("the owner of %s stopped renewing its lease; this process drives it now", job.id)
            with self._lock:
                self._watched.pop(job.id, None)
                self._held[job.id] = job
            self._take_over(job)
