"""Journal columns of the workflows (variations, promote, extensions), added to an existing ``jobs`` table in
place: the journal's schema version is shared by several features, so these columns are checked for and added
(``ALTER TABLE ... ADD COLUMN``) on every open instead of bumping ``PRAGMA user_version``.

- ``seed``: the take's seed (None: none asked for); part of the request, so a resumed create sends it again.
- ``promoted_from``: local id of the draft a promoted job re-renders (``job.promote``).
- ``extended_from``: local id of the job a job extends (its video continued by ``seconds`` more).
"""

from __future__ import annotations

import sqlite3

__all__ = ["LINEAGE_COLUMNS", "add_lineage_columns"]

LINEAGE_COLUMNS = {"seed": "INTEGER", "promoted_from": "TEXT", "extended_from": "TEXT"}


def add_lineage_columns(db: sqlite3.Connection) -> None:
    """Add the columns a journal lacks (idempotent; a no-op on an up-to-date journal)."""
    present = {row[1] for row in db.execute("PRAGMA table_info(jobs)").fetchall()}
    for name, kind in LINEAGE_COLUMNS.items():
        if name not in present:
            db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")
