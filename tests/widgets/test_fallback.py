"""Static previews: each widget's output bundle carries a text line and an HTML summary with a small JPEG."""

from __future__ import annotations

import base64
import io
import re

from PIL import Image

PROMPT = "Close-up of a <b>glass</b> of lemonade & ice, condensation, bright noon light"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _bundle(widget):
    out = widget._repr_mimebundle_()
    return out[0] if isinstance(out, tuple) else out


def _jpegs(html_text: str) -> list[Image.Image]:
    found = re.findall(r'src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"', html_text)
    return [Image.open(io.BytesIO(base64.b64decode(b))) for b in found]


def test_card_bundle_has_the_view_a_line_and_its_thumbnail(configured):
    sw = configured
    job = sw.generate(PROMPT, size="1280x720", seconds="4")
    card = sw.VideoCard(job)
    data = _bundle(card)
    assert WIDGET_VIEW in data
    assert data["text/plain"].startswith(f"VideoCard({job.id} · completed · sora-2 1280x720 4 s")
    assert "object at 0x" not in data["text/plain"]
    html_text = data["text/html"]
    assert "&lt;b&gt;glass&lt;/b&gt;" in html_text and "<b>glass" not in html_text  # text, never markup
    assert "Run the cell to make it live" in html_text
    [img] = _jpegs(html_text)
    assert img.format == "JPEG" and img.width <= 240 and img.height > 0
    assert len(html_text) < 40_000  # small: one thumbnail, not the media
    card.close()


def test_a_running_card_says_so_without_an_image(configured):
    sw = configured
    job = sw.submit(PROMPT, seconds="4")
    card = sw.VideoCard(job)
    data = _bundle(card)
    assert job.id in data["text/plain"] and _jpegs(data["text/html"]) == []
    card.close()


def test_gallery_bundle_has_one_contact_sheet_of_the_first_page(configured):
    sw = configured
    jobs = [sw.submit(f"Shot {i}: a kite over a beach, wide, late sun", seconds="4") for i in range(8)]
    for job in jobs:
        job.wait(120)
    gallery = sw.Gallery(page_size=6)
    data = _bundle(gallery)
    assert data["text/plain"] == "Gallery(8 videos: 8 completed)"
    [sheet] = _jpegs(data["text/html"])
    assert sheet.width == 720 and sheet.height == 68  # 6 tiles of 120x68 on one row: the first page only
    assert len(data["text/html"]) < 60_000
    gallery.close()
    panel = sw.GeneratorPanel()
    assert _bundle(panel)["text/plain"] == "GeneratorPanel(0 videos: no videos yet)"
    panel.close()
