"""When the journal cannot be read: keep it aside, never replace it by an empty one, and rebuild what the
``media/`` folders tell.

Each job's folder holds ``job.json`` (its journal row as first written, plus the backend id once known), so a
journal lost to a truncated file, garbage or a zero-length copy is rebuilt from it: a job with its MP4 comes back
``completed``; one without comes back ``pending`` with its send time set, so ``sw.resume()`` first looks for its
video on the backend (``list``) before anything could be sent again.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

__all__ = ["JOB_RECORD", "has_media_jobs", "read_records", "rows_from_media", "set_aside", "write_record"]

log = logging.getLogger(__name__)

JOB_RECORD = "job.json"
_RECORD_FIELDS = (
    "id", "backend_key", "backend_label", "video_id", "prompt", "model", "size", "seconds", "reference_sha256",
    "reference_path", "cache_key", "cost_usd", "remixed_from", "remix_source_video_id", "created_at",
)


def write_record(folder: Path, row: dict[str, Any]) -> None:
    """Write (atomically) what is needed to rebuild this job's journal row. Best effort: never fails a job."""
    record = {k: row.get(k) for k in _RECORD_FIELDS}
    tmp = folder / (JOB_RECORD + f".{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(record, ensure_ascii=True), encoding="ascii")
        tmp.replace(folder / JOB_RECORD)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        log.info("could not write %s: %s", folder / JOB_RECORD, exc)


def read_records(media_root: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    if not media_root.is_dir():
        return records
    for folder in sorted(media_root.iterdir()):
        path = folder / JOB_RECORD
        try:
            record = json.loads(path.read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("id") == folder.name and record.get("prompt"):
            records.append(record)
    return records


def has_media_jobs(media_root: Path) -> bool:
    """Does ``media/`` hold any job's folder (with a record or a video)?"""
    if not media_root.is_dir():
        return False
    return any((f / JOB_RECORD).exists() or (f / "video.mp4").exists() for f in media_root.iterdir() if f.is_dir())


def rows_from_media(media_root: Path) -> list[dict[str, Any]]:
    """Journal rows rebuilt from the job records under ``media_root``."""
    rows = []
    now = time.time()
    for record in read_records(media_root):
        folder = media_root / record["id"]
        video = folder / "video.mp4"
        row = dict(record)
        row.setdefault("created_at", now)
        row["created_at"] = float(row.get("created_at") or now)
        if video.exists() and video.stat().st_size > 0:
            row.update(status="completed", progress=100.0, video_path=str(video), completed_at=video.stat().st_mtime)
            for column, name in (("thumbnail_path", "thumbnail.webp"), ("spritesheet_path", "spritesheet.jpg")):
                if (folder / name).exists():
                    row[column] = str(folder / name)
        elif row.get("video_id"):
            row["status"] = "queued"  # acknowledged: polling asks the backend where it is
        else:
            # sent or not, nobody knows now: sent_at set makes the create flow look for it before sending
            row.update(status="pending", sent_at=row["created_at"])
        rows.append(row)
    return rows


def set_aside(path: Path) -> Path:
    """Move ``path`` (and its -wal/-shm) to ``<name>.corrupt-<time>``; the new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while kept.exists():
        n += 1
        kept = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, kept)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, kept.with_name(kept.name + suffix))
    return kept
