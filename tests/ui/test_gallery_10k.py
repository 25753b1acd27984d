"""The Gallery with 10,000 journaled videos in a real JupyterLab: scroll to the end and back, search, filter,
play a card; the DOM holds only the cards near the view."""

from __future__ import annotations

from bulk_journal import bulk_cell, expected
from playwright.sync_api import expect

COUNT = 10_000
CELLS = [bulk_cell(COUNT, "sora-ui-10k-"), "gallery = sw.Gallery()\ngallery"]

# The cards in the DOM, and whether the card of `index` is there with its summary (not a slot).
_CARDS = "() => document.querySelectorAll('.sora-gallery .sora-vgrid > .sora-card[data-job-id]').length"
_SHOWN = """(index) => !!document.querySelector(`.sora-gallery .sora-card[data-index="${index}"][data-job-id]`)"""


def test_gallery_of_10000_scrolls_searches_filters_and_plays(lab) -> None:
    nb = lab.open_cells("gallery10k.ipynb", CELLS)
    nb.run_all()
    nb.wait_for(
        f"() => {{ const g = document.querySelector('.sora-gallery'); return g && g.dataset.count === '{COUNT}'; }}",
        "the gallery to count 10,000 videos",
        timeout_s=120,
    )
    assert "journaled 10000" in nb.output_text(0), nb.output_text(0)
    page = nb.page
    gallery = page.locator(".sora-gallery").first
    scroller = gallery.locator(".sora-scroller")
    nb.wait_for(_SHOWN, "the first card", timeout_s=30, arg=0)

    # to the end: the last card gets its summary (a window fetched for it), and the DOM stays small
    scroller.evaluate("(s) => { s.scrollTop = s.scrollHeight; }")
    nb.wait_for(_SHOWN, "the last card after scrolling to the end", timeout_s=30, arg=COUNT - 1)
    assert page.evaluate(_CARDS) < 60, page.evaluate(_CARDS)
    assert not page.evaluate(_SHOWN, 0), "the first card is still in the DOM at the end of the list"
    # rows that came into view while scrolling got light cards; once it pauses, the rows on screen are full cards
    nb.wait_for(
        f"""() => !document.querySelector('.sora-gallery .sora-card-light')
          && !!document.querySelector('.sora-gallery .sora-card[data-index="{COUNT - 1}"] .sora-thumb')""",
        "full cards on screen once scrolling pauses",
        timeout_s=15,
    )
    # and back to the top
    scroller.evaluate("(s) => { s.scrollTop = 0; }")
    nb.wait_for(_SHOWN, "the first card after scrolling back", timeout_s=30, arg=0)

    # search (in the journal): every card shown matches
    search = gallery.get_by_role("searchbox", name="Search prompts")
    search.fill("gold kite")
    expect(gallery).to_have_attribute("data-count", str(expected(COUNT, "gold")), timeout=15_000)
    nb.wait_for(_SHOWN, "the first match", timeout_s=15, arg=0)
    prompts = gallery.locator(".sora-card[data-job-id] .sora-prompt").all_text_contents()
    assert prompts and all("gold kite" in p for p in prompts), prompts[:5]
    # filter by model: the option shows its count, and the list narrows
    model = gallery.get_by_role("combobox", name="Model")
    wanted = expected(COUNT, "gold", "sora-2-pro")
    expect(model.locator("option[value='sora-2-pro']")).to_have_text(f"sora-2-pro ({wanted})")
    model.select_option("sora-2-pro")
    expect(gallery).to_have_attribute("data-count", str(wanted), timeout=15_000)
    nb.wait_for(_SHOWN, "the first filtered card", timeout_s=15, arg=0)
    expect(gallery.locator(".sora-card[data-index='0'] .sora-chip-model")).to_have_text("sora-2-pro")

    # play the first card: the MP4 comes over the comm and plays
    card = gallery.locator(".sora-card[data-index='0']")
    card.get_by_role("button", name="Play video").click()
    nb.wait_for(
        """() => { const v = document.querySelector('.sora-gallery .sora-card[data-index="0"] video');
          return v && v.readyState >= 2 && v.currentTime > 0; }""",
        "the first card's video to play",
        timeout_s=30,
    )
