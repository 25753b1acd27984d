"""``%sora list``: the jobs as a table, HTML in a notebook and aligned text in a terminal."""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["JobTable", "one_line"]


def one_line(text: str) -> str:
    return " ".join(str(text).split())


class JobTable:
    """The jobs as a table: HTML in a notebook, aligned text in a terminal. ``rows`` holds the cells."""

    columns = ("id", "status", "model", "size", "seconds", "cost", "created", "prompt")

    def __init__(self, rows: Iterable[Mapping[str, str]]) -> None:
        self.rows: list[dict[str, str]] = [{c: str(row.get(c, "")) for c in self.columns} for row in rows]

    @classmethod
    def from_jobs(cls, jobs: Iterable[Any]) -> JobTable:
        return cls(_job_row(job) for job in jobs)

    def __len__(self) -> int:
        return len(self.rows)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{c}</th>" for c in self.columns)
        if not self.rows:
            empty = "<p>No jobs yet: try <code>%sora a red fox</code>.</p>"
            return f'<table class="sora-jobs"><tr>{head}</tr></table>{empty}'
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(row[c])}</td>" for c in self.columns) + "</tr>"
            for row in self.rows
        )
        return f'<table class="sora-jobs"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def __repr__(self) -> str:
        if not self.rows:
            return "No jobs yet: try %sora a red fox"
        cells = [list(self.columns)] + [[_clip(row[c], 48) for c in self.columns] for row in self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.columns))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
        return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    text = one_line(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _job_row(job: Any) -> dict[str, str]:
    cost = getattr(job, "cost_usd", None)
    created = getattr(job, "created_at", None)
    status = str(getattr(job, "status", ""))
    progress = getattr(job, "progress", None)
    if status in ("queued", "in_progress") and isinstance(progress, (int, float)):
        status = f"{status} {progress:.0f}%"
    return {
        "id": str(getattr(job, "id", "")),
        "status": status,
        "model": str(getattr(job, "model", "") or ""),
        "size": str(getattr(job, "size", "") or ""),
        "seconds": str(getattr(job, "seconds", "") or ""),
        "cost": "" if cost is None else f"${cost:.2f}",
        "created": "" if created is None else _dt.datetime.fromtimestamp(created).strftime("%Y-%m-%d %H:%M"),
        "prompt": str(getattr(job, "prompt", "") or ""),
    }
