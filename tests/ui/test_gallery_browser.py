"""The Gallery in a real JupyterLab: journaled videos, search and status filters, hover scrubbing."""

from __future__ import annotations

import os
import shutil

import sora_page as sp
from playwright.sync_api import expect

GALLERY = ".sora-gallery"


def test_gallery_lists_filters_and_scrubs(lab, tmp_path) -> None:
    nb = lab.open("gallery.ipynb")
    nb.run_all()
    nb.wait_for(
        "() => { const g = document.querySelector('.sora-gallery'); return g && g.dataset.count === '2'; }",
        "the gallery to list this notebook's two zebra videos",
        timeout_s=90,
    )
    gallery = nb.page.locator(GALLERY).first
    assert nb.output_text(0).strip().endswith("['completed', 'completed']"), nb.output_text(0)
    cards = gallery.locator(".sora-card")
    expect(cards).to_have_count(2)
    # Newest first: the second submitted is on top.
    expect(cards.first).to_contain_text("sleeping")

    search = gallery.get_by_role("searchbox", name="Search prompts")
    search.fill("zebra sleeping")
    expect(gallery).to_have_attribute("data-count", "1")
    expect(cards).to_have_count(1)
    gallery.get_by_role("combobox", name="Status").select_option("failed")
    expect(gallery).to_have_attribute("data-count", "0")
    gallery.get_by_role("combobox", name="Status").select_option("completed")
    expect(gallery).to_have_attribute("data-count", "1")
    search.fill("zebra")
    expect(gallery).to_have_attribute("data-count", "2")

    # Hover scrubbing works in the gallery as in the panel.
    card = cards.first
    thumb = card.get_by_role("button", name="Play video")
    box = thumb.bounding_box()
    assert box, "the first gallery card has no thumbnail"
    nb.page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
    expect(card).not_to_have_attribute("data-scrub-frame", "-1", timeout=10_000)
    first = card.get_attribute("data-scrub-frame")
    nb.page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2)
    expect(card).not_to_have_attribute("data-scrub-frame", first, timeout=5_000)

    nb.page.mouse.move(1, 1)
    search.evaluate("(el) => el.blur()")
    nb.wait_for(
        """() => [...document.querySelectorAll('.sora-gallery .sora-card img')].every(
          (img) => img.complete && img.naturalWidth > 0)""",
        "every gallery thumbnail to load",
        timeout_s=30,
    )
    # The portrait video keeps its shape in the 16:9 box, on a blurred copy of its own thumbnail.
    portrait = cards.filter(has_text="running").locator(".sora-media")
    expect(portrait).to_have_attribute("data-orientation", "portrait")
    expect(cards.filter(has_text="sleeping").locator(".sora-media")).to_have_attribute(
        "data-orientation", "landscape"
    )
    look = portrait.evaluate(
        """(media) => { const frame = media.querySelector('.sora-frame').getBoundingClientRect();
          const box = media.getBoundingClientRect(); const back = media.querySelector('.sora-backdrop');
          return { ratio: frame.width / box.width, image: back.style.backgroundImage,
                   opacity: getComputedStyle(back).opacity }; }"""
    )
    # the thumbnail came as bytes over the comm: a data: URL (small) or an object URL, never a URL of the kernel
    assert look["ratio"] < 0.5 and look["image"].startswith(('url("data:image/webp', 'url("blob:')), look
    assert look["opacity"] == "1", look

    output = nb.page.locator(".jp-OutputArea-output", has=nb.page.locator(GALLERY)).first
    output.evaluate("(el) => { el.style.padding = '12px'; el.style.background = 'white'; }")
    shot = tmp_path / "gallery.png"
    output.screenshot(path=str(shot), animations="disabled")
    if os.environ.get("SORA_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, sp.DOCS / "gallery.png")
