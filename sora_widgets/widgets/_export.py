"""The card's Export menu, kernel side: the ``export`` command ``{job_id, format, start, end, t, width, fps}``.

Replies like ``download``: ``{filename, mime, size}`` with ``buffers[0]`` = the file, made in a temporary directory
(nothing is left in the kernel's working directory) by :mod:`sora_widgets.export`:

- ``gif``: ``start``..``end`` (default the whole clip), ``width`` (default 480, never wider than the video),
  ``fps`` (default 12);
- ``mp4``: ``start``..``end``, trimmed (a stream copy when both cuts fall on keyframes, else re-encoded);
- ``png``: the frame shown at ``t`` seconds (the player's current time).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SoraWidgetsError
from ._base import Reply, in_background

if TYPE_CHECKING:
    from ..job import VideoJob

__all__ = ["EXPORT_FORMATS", "ExportCommand"]

EXPORT_FORMATS = {"gif": "image/gif", "mp4": "video/mp4", "png": "image/png"}


def _seconds(args: dict[str, Any], name: str) -> float | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SoraWidgetsError(f"{name} must be a number of seconds, got {value!r}")
    return float(value)


def _stamp(value: float | None) -> str:
    return "" if value is None else f"{value:g}".replace(".", "_")


def export_bytes(job: VideoJob, args: dict[str, Any]) -> Reply:
    """Make the asked export of ``job``'s video; the reply of the ``export`` command."""
    from .. import export as ex

    fmt = args.get("format")
    if fmt not in EXPORT_FORMATS:
        raise SoraWidgetsError(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if job.status != "completed" or job.video_path is None or not job.video_path.exists():
        raise SoraWidgetsError(f"{job.id} has no video to export (status {job.status})")
    start, end = _seconds(args, "start"), _seconds(args, "end")
    if fmt == "png":
        t = _seconds(args, "t") or 0.0
        out = io.BytesIO()
        ex.frame(job, t).save(out, format="PNG")
        data, name = out.getvalue(), f"{job.id}-{_stamp(t) or '0'}s.png"
    else:
        with tempfile.TemporaryDirectory(prefix="sora-export-") as tmp:
            window = f"-{_stamp(start) or '0'}-{_stamp(end) or 'end'}" if start is not None or end is not None else ""
            dst = Path(tmp) / f"{job.id}{window}.{fmt}"
            if fmt == "gif":
                width = args.get("width") or min(480, ex.probe(job).width)
                ex.export(job, dst, start=start, end=end, width=int(width), fps=float(args.get("fps") or 12))
            else:
                ex.export(job, dst, start=start, end=end)
            data, name = dst.read_bytes(), dst.name
    return {"filename": name, "mime": EXPORT_FORMATS[fmt], "size": len(data)}, [data]


class ExportCommand:
    """Mixed into :class:`~sora_widgets.widgets._commands.JobCommands`: every job view answers ``export``."""

    def _job_for(self, job_id: Any) -> VideoJob:
        raise NotImplementedError

    def _cmd_export(self, args: dict[str, Any], buffers: list[Any]) -> Any:
        job = self._job_for(args.get("job_id"))
        return in_background(lambda: export_bytes(job, args))
