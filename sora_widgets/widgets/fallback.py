"""Static previews: what a widget's output shows where no widget can run.

Every widget's output bundle carries, next to the widget view, a ``text/plain`` line and a ``text/html``
summary with one small JPEG as a ``data:`` URL (a card's thumbnail; for the gallery a contact sheet of its
first page). GitHub, nbviewer, JupyterLab opened without saved widget state and ``nbconvert --to html``
(when the notebook has no widget state) show that instead of "model not found" or ``<… object at 0x…>``.

Small on purpose: the JPEG is at most ``PREVIEW_WIDTH`` (card) / ``SHEET_WIDTH`` (contact sheet) pixels
wide at quality 70, so a saved gallery of 200 videos gains one ~20-40 KB image, not 200 thumbnails.
All text goes through :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from ..vocab import TERMINAL

if TYPE_CHECKING:
    from ..job import VideoJob

__all__ = [
    "PREVIEW_WIDTH", "SHEET_WIDTH", "card_bundle", "collection_bundle", "contact_sheet", "small_jpeg",
]

#: Width of a card's fallback thumbnail (pixels).
PREVIEW_WIDTH = 240
#: Width of a gallery's contact sheet (pixels) and the most tiles it holds.
SHEET_WIDTH = 720
SHEET_MAX_TILES = 24
_QUALITY = 70
#: How the fallback says the widget can be live again.
HOW_TO_LIVE = "Run the cell to make it live."


def small_jpeg(path: Path | None, width: int = PREVIEW_WIDTH) -> bytes | None:
    """``path`` (a thumbnail: WebP/JPEG/PNG) as a JPEG at most ``width`` pixels wide; None when unreadable."""
    if path is None:
        return None
    try:
        with Image.open(path) as source:
            img = source.convert("RGB")
            if img.width > width:
                img = img.resize((width, max(1, round(img.height * width / img.width))), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            img.save(out, "JPEG", quality=_QUALITY, optimize=True)
            return out.getvalue()
    except (OSError, ValueError):
        return None


def contact_sheet(
    paths: Sequence[Path | None], *, width: int = SHEET_WIDTH, columns: int = 6, max_tiles: int = SHEET_MAX_TILES
) -> bytes | None:
    """One JPEG of the thumbnails ``paths`` (a gallery's first page, newest first) in a grid of ``columns``
    16:9 tiles, ``width`` pixels wide; missing thumbnails stay dark. None when there is no thumbnail at all."""
    tiles = [p for p in paths[:max_tiles]]
    if not any(p is not None for p in tiles):
        return None
    tile_w = width // columns
    tile_h = round(tile_w * 9 / 16)
    rows = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (tile_w * columns, tile_h * rows), (24, 24, 28))
    drawn = 0
    for i, path in enumerate(tiles):
        if path is None:
            continue
        try:
            with Image.open(path) as source:
                img = source.convert("RGB")
                img.thumbnail((tile_w - 2, tile_h - 2), Image.Resampling.LANCZOS)  # keeps portrait shapes
                x = (i % columns) * tile_w + (tile_w - img.width) // 2
                y = (i // columns) * tile_h + (tile_h - img.height) // 2
                sheet.paste(img, (x, y))
                drawn += 1
        except (OSError, ValueError):
            continue
    if not drawn:
        return None
    out = io.BytesIO()
    sheet.save(out, "JPEG", quality=_QUALITY, optimize=True)
    return out.getvalue()


def _img(jpeg: bytes | None, alt: str) -> str:
    if not jpeg:
        return ""
    data = base64.b64encode(jpeg).decode("ascii")
    style = "max-width:100%;border-radius:6px"
    return f'<img src="data:image/jpeg;base64,{data}" alt="{html.escape(alt)}" style="{style}">'


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def job_line(job: VideoJob) -> str:
    """``job_ab12 · completed · sora-2 1280x720 4 s · "A paper boat…"`` (plain text)."""
    return f'{job.id} · {job.status} · {job.model} {job.size} {job.seconds} s · "{_short(job.prompt)}"'


def card_bundle(job: VideoJob) -> dict[str, str]:
    """``text/plain`` + ``text/html`` of one card: its thumbnail (small JPEG) and a line about the job."""
    line = job_line(job)
    jpeg = small_jpeg(job.thumbnail_path) if job.status == "completed" else None
    body = (
        '<div class="sora-fallback" style="font-family:sans-serif;max-width:480px">'
        f"{_img(jpeg, _short(job.prompt))}"
        f'<p style="margin:4px 0">{html.escape(line)}</p>'
        f'<p style="margin:0;color:#666;font-size:90%">sora_widgets VideoCard (static preview). '
        f"{html.escape(HOW_TO_LIVE)}</p></div>"
    )
    return {"text/plain": f"VideoCard({line})", "text/html": body}


def collection_bundle(
    kind: str, jobs: Iterable[VideoJob], *, page_size: int = 24, total: int | None = None,
    counts: dict[str, int] | None = None,
) -> dict[str, str]:
    """``text/plain`` + ``text/html`` of a panel or gallery: counts by status, the newest prompts, and a
    contact sheet of the first page's thumbnails (one JPEG). ``total`` / ``counts``: of every job shown, when
    ``jobs`` holds only the first of them (the gallery)."""
    shown = list(jobs)
    if counts is None:
        counts = {}
        for job in shown:
            key = job.status if job.status in TERMINAL else "running"
            counts[key] = counts.get(key, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no videos yet"
    count = len(shown) if total is None else total
    plain = f"{kind}({count} videos: {summary})"
    page = shown[:page_size]
    sheet = contact_sheet([j.thumbnail_path if j.status == "completed" else None for j in page])
    items = "".join(f"<li>{html.escape(job_line(j))}</li>" for j in page[:10])
    more = f"<li>… and {count - 10} more</li>" if count > 10 else ""
    body = (
        '<div class="sora-fallback" style="font-family:sans-serif">'
        f'<p style="margin:4px 0"><b>{html.escape(kind)}</b>: {html.escape(summary)}</p>'
        f"{_img(sheet, f'{kind}: the first {len(page)} videos')}"
        f'<ul style="margin:4px 0;padding-left:18px;font-size:90%">{items}{more}</ul>'
        f'<p style="margin:0;color:#666;font-size:90%">sora_widgets {html.escape(kind)} (static preview). '
        f"{html.escape(HOW_TO_LIVE)}</p></div>"
    )
    return {"text/plain": plain, "text/html": body}


def with_fallback(bundle: Any, fallback: dict[str, str]) -> Any:
    """ipywidgets' ``(data, metadata)`` or ``data`` bundle with the fallback's text and HTML added."""
    if isinstance(bundle, tuple):
        data, meta = bundle
        return {**data, **fallback}, meta
    if isinstance(bundle, dict):
        return {**bundle, **fallback}
    return bundle
