"""Issue 13 in the static harness (fake model, real chromium): one ticker per view driving live progress and
a counting-down ETA, Cancel on running jobs, the download contract, gallery columns without half-empty rows,
card heights that do not jump on scroll, usable narrow cards, keyboard focus on the drop zone, visible coach hints.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_static_harness import (
    _ANALYSE,
    MARGIN_ROWS,
    _assert_windowed,
    _cleanup_releases_everything,
    _hover_sprite,
    _settled,
)

pytestmark = pytest.mark.ui

A1 = '.sora-card[data-job-id="job_a1"]'


def _eta(text: str) -> int:
    m = re.search(r"(\d+):(\d\d) left", text)
    assert m, text
    return int(m[1]) * 60 + int(m[2])


def test_running_cards_tick_on_one_timer_and_cancel(harness) -> None:
    page = harness("view=panel")
    running = page.locator(A1)
    bar = running.get_by_role("progressbar")
    # two running cards (rendering, queued), one timer for the whole view
    assert page.evaluate("window.__intervals.size") == 1
    v0 = float(bar.get_attribute("aria-valuenow"))
    eta0 = _eta(running.locator(".sora-progress-text").text_content())
    page.wait_for_function(
        "([sel, v]) => parseFloat(document.querySelector(sel + ' [role=progressbar]').getAttribute('aria-valuenow')) > v",
        arg=[A1, v0],
        timeout=1500,
    )
    page.wait_for_function(
        """([sel, eta]) => { const m = /(\\d+):(\\d\\d) left/.exec(document.querySelector(sel + ' .sora-progress-text').textContent);
          return m && Number(m[1]) * 60 + Number(m[2]) < eta; }""",
        arg=[A1, eta0],
        timeout=2500,
    )
    # the card list is not a live region (every card ticks); one polite status region per view instead
    assert page.locator(".sora-cards").get_attribute("aria-live") is None
    assert page.locator(".sora-panel > [role=status][aria-live=polite]").count() == 1
    # an indeterminate (queued) card with a typical duration says so
    assert (
        "usually ~1:15" in page.locator('.sora-card[data-job-id="job_d4"] .sora-progress-text').text_content()
    )
    # Cancel: asks first, then sends the existing `delete` command
    running.get_by_role("button", name="Cancel").click()
    running.get_by_role("button", name="Confirm cancel").click()
    page.wait_for_function(
        f"() => document.querySelector('{A1} .sora-action-note').textContent === 'Cancelled'"
    )
    sent = page.evaluate("window.__sent.filter((m) => m.cmd === 'delete').map((m) => m.args)")
    assert sent == [{"job_id": "job_a1"}]
    # finished jobs have Delete, not Cancel
    assert (
        page.locator('.sora-card[data-job-id="job_b2"]')
        .get_by_role("button", name="Cancel", exact=True)
        .count()
        == 0
    )
    assert page.errors == []
    _cleanup_releases_everything(page)


def test_card_download_saves_the_replied_bytes_and_scrub_hint(harness) -> None:
    page = harness("view=card&item=1")
    card = page.locator(".sora-card")
    with page.expect_download(timeout=10_000) as info:
        card.get_by_role("button", name="Download").click()
    download = info.value
    assert download.suggested_filename == "video_55c0d1.mp4"
    with open(download.path(), "rb") as f:
        head = f.read(12)
    assert head[:4] == b"RIFF" and head[8:12] == b"WEBP", head  # the harness's bytes, saved as they came
    page.wait_for_function(
        "() => document.querySelector('.sora-action-note').textContent === 'Downloaded video_55c0d1.mp4'"
    )
    # scrubbing shows how to start from the frame shown (a plain click plays from 0 s)
    page.wait_for_function("() => document.querySelector('.sora-sprite').style.backgroundImage !== ''")
    box = card.get_by_role("button", name="Play video").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hint = card.locator(".sora-scrub-hint")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.sora-scrub-hint')).opacity === '1'"
    )
    assert hint.text_content() == "Shift+click plays from here"
    # the sharp sprite: a canvas at the box's pixel size, drawn once the sheet decoded
    page.wait_for_function(
        "() => document.querySelector('.sora-sprite-canvas').classList.contains('sora-sprite-on')"
    )
    size = page.evaluate(
        "(() => { const c = document.querySelector('.sora-sprite-canvas'); return [c.width, Math.round(c.getBoundingClientRect().width)]; })()"
    )
    assert size[0] == size[1] and size[0] > 192, size
    assert page.errors == []


def _columns_are(page: Any, test: str) -> dict[str, Any]:
    """Wait until the gallery's first row holds a number of cards that passes `test` (a JS expression of `n`)."""
    page.wait_for_function(
        f"() => {{ const v = ({_ANALYSE})({MARGIN_ROWS}); const n = v.columns; return v.missing.length === 0 && ({test}); }}",
        timeout=10_000,
    )
    return _settled(page)


def _full_rows(view: dict[str, Any]) -> list[int]:
    """Cards per row in the DOM (the list's own last row left out: it may be short)."""
    last_row = (view["total"] - 1) // view["columns"]
    rows: dict[int, int] = {}
    for c in view["cards"]:
        row = c["index"] // view["columns"]
        if row != last_row:
            rows[row] = rows.get(row, 0) + 1
    return list(rows.values())


def test_gallery_columns_heights_and_narrow_cards(harness) -> None:
    page = harness("view=gallery&count=500")
    feed = page.locator(".sora-gallery").get_by_role("feed", name="Videos")
    page.set_viewport_size({"width": 2100, "height": 900})
    page.evaluate("document.querySelector('.cell').style.maxWidth = 'none'")
    wide = _columns_are(page, "n >= 6")
    # every row full, the cards share the width between them (no empty column, none under ~250 px)
    assert set(_full_rows(wide)) == {wide["columns"]}, _full_rows(wide)
    card_w = wide["cards"][0]["width"]
    gap = wide["pitch"] - card_w
    assert card_w >= 250, card_w
    assert abs(wide["columns"] * card_w + (wide["columns"] - 1) * gap - wide["width"]) < 3, (wide["width"], card_w)
    assert wide["columns"] * (card_w + gap) + card_w > wide["width"], "another column would have fitted"

    # heights: every row the same, from the top to the end of the list, so nothing shifts on scroll; each card's
    # content fits its height (no card clipped or scrolling inside at rest)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.evaluate("document.querySelector('.cell').style.maxWidth = ''")
    three = _columns_are(page, "n === 3")
    _assert_windowed(three)
    trip = feed.evaluate(
        """async (f) => { const raf = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
          const heights = new Set(), overflow = new Set(), scrollHeights = new Set();
          // a screen at a time near the top, then jumps across the whole list to its end
          const stops = [0, 0.4, 0.8, 1.2, 1.6].map((k) => k * f.clientHeight);
          for (let k = 1; k <= 8; k += 1) stops.push((k / 8) * f.scrollHeight);
          for (const y of stops) {
            f.scrollTop = y;
            // the window for this spot comes from the (fake) kernel: wait for a card on screen, 5 s at most
            const box = f.getBoundingClientRect(), until = performance.now() + 5000;
            const shown = () => [...f.querySelectorAll('.sora-card[data-job-id]')].some((c) => {
              const r = c.getBoundingClientRect(); return r.bottom > box.top && r.top < box.bottom; });
            do await raf(); while (!shown() && performance.now() < until);
            if (!shown()) overflow.add(`nothing shown at ${Math.round(y)} px`);
            scrollHeights.add(f.scrollHeight);
            for (const c of f.querySelectorAll('.sora-card[data-job-id]')) {
              heights.add(Math.round(c.getBoundingClientRect().height));
              if (c.scrollHeight > c.clientHeight + 1) overflow.add(c.dataset.jobId);
            }
          }
          return { heights: [...heights], overflow: [...overflow], scrollHeights: [...scrollHeights] }; }"""
    )
    assert trip["scrollHeights"] == [three["scrollHeight"]], f"the list's height moved on scroll: {trip}"
    assert trip["heights"] == [round(three["cardH"])], f"cards of different heights: {trip}"
    assert trip["overflow"] == [], f"cards whose content does not fit their row (or no card): {trip['overflow']}"
    end = _settled(page)
    _assert_windowed(end)
    assert end["cards"][-1]["id"] == "job_x499"

    # ~130 px of output: one column, nothing clipped, Copy and Delete still there
    feed.evaluate("(f) => { f.scrollTop = 0; }")
    page.evaluate("document.querySelector('.cell').style.width = '130px'")
    narrow = _columns_are(page, "n === 1")
    assert set(_full_rows(narrow)) == {1}
    card = page.locator('.sora-card[data-job-id="job_b2"]')
    card.scroll_into_view_if_needed()
    card.hover()  # a card may build its full body on hover
    inside = card.evaluate(
        """(card) => { const c = card.getBoundingClientRect();
          return ['Copy prompt', 'Delete', 'Download', 'Remix'].map((name) => {
            const b = [...card.querySelectorAll('button')].find((x) => (x.getAttribute('aria-label') || x.textContent.trim()) === name
                                                                  || x.title === name);
            const r = b ? b.getBoundingClientRect() : null;
            return [name, !!r && r.width > 10 && r.left >= c.left - 0.5 && r.right <= c.right + 0.5]; }); }"""
    )
    assert all(ok for _, ok in inside), inside
    assert page.errors == []


def test_drop_zone_keyboard_focus_and_coach_hint_as_text(harness) -> None:
    page = harness("view=panel")
    assert page.locator(".sora-coach-hint").text_content().startswith("Add shot type:")
    page.get_by_role("combobox", name="Seconds").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Reference image"
    outline = page.evaluate("getComputedStyle(document.querySelector('.sora-drop')).outlineStyle")
    assert outline != "none", "the drop zone shows no keyboard focus"
    assert page.errors == []


def test_portrait_card_scrubs_across_the_whole_box(harness) -> None:
    page = harness("view=gallery&count=500")
    card = page.locator('.sora-card[data-job-id="job_x1"]')  # a portrait video in the second row
    media = card.locator(".sora-media")
    media.scroll_into_view_if_needed()
    assert media.get_attribute("data-orientation") == "portrait"
    assert _orientation(page, "job_x2") == "landscape"
    # at rest: the thumbnail keeps its shape, on a blurred copy of itself (small thumbnails are data: URLs,
    # see createMediaCache in media.js)
    page.wait_for_function(
        """() => (document.querySelector('.sora-card[data-job-id="job_x1"] .sora-backdrop')?.style.backgroundImage || '')
                 .startsWith('url("data:image/webp;base64,')""",
        timeout=10_000,
    )
    box = media.bounding_box()
    frame = card.locator(".sora-frame").bounding_box()
    assert frame["width"] < box["width"] * 0.5
    _hover_sprite(page, "job_x1")
    box = media.bounding_box()
    y = box["y"] + box["height"] / 2
    # the blurred sides are part of the scrub track: the far left and right reach the first and last frames
    page.mouse.move(box["x"] + box["width"] * 0.02, y)
    assert card.get_attribute("data-scrub-frame") == "0"
    page.mouse.move(box["x"] + box["width"] * 0.98, y)
    assert card.get_attribute("data-scrub-frame") == "15"
    page.mouse.move(1, 1)
    assert card.get_attribute("data-scrub-frame") == "-1"
    assert page.errors == []


def _orientation(page: Any, job_id: str) -> str | None:
    return page.locator(f'.sora-card[data-job-id="{job_id}"] .sora-media').get_attribute("data-orientation")  # type: ignore[no-any-return]
