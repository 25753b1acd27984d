"""Issue 13 in the static harness (fake model, real chromium): one ticker per view driving live progress and
a counting-down ETA, Cancel on running jobs, the download contract, gallery columns without half-empty rows,
card heights that do not jump on scroll, usable narrow cards, keyboard focus on the drop zone, visible coach hints.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_static_harness import _cleanup_releases_everything

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


def _rows(page: Any) -> list[int]:
    return page.evaluate(  # type: ignore[no-any-return]
        """() => { const rows = new Map();
          for (const c of document.querySelectorAll('.sora-grid > .sora-card')) rows.set(c.offsetTop, (rows.get(c.offsetTop) || 0) + 1);
          return [...rows.values()]; }"""
    )


def test_gallery_columns_heights_and_narrow_cards(harness) -> None:
    page = harness("view=gallery&count=500")
    page.set_viewport_size({"width": 2100, "height": 900})
    page.evaluate("document.querySelector('.cell').style.maxWidth = 'none'")
    page.wait_for_function("() => document.querySelector('.sora-grid').dataset.columns === '6'")
    rows = _rows(page)
    assert rows == [6, 6, 6, 6], f"a 24-card page at ~2000 px should be 4 full rows of 6: {rows}"
    # card heights: the off-screen cards' estimate is a measured card, so scrolling through does not shift the page
    page.set_viewport_size({"width": 1100, "height": 900})
    page.evaluate("document.querySelector('.cell').style.maxWidth = ''")
    page.wait_for_function("() => document.querySelector('.sora-grid').dataset.columns === '3'")
    page.wait_for_function(
        "() => document.querySelector('.sora-grid').style.getPropertyValue('--sora-card-h') !== ''"
    )
    before = page.evaluate("document.querySelector('.sora-grid').getBoundingClientRect().height")
    page.evaluate(
        """async () => { const raf = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
          for (let y = 0; y < document.body.scrollHeight; y += 400) { window.scrollTo(0, y); await raf(); } }"""
    )
    after = page.evaluate("document.querySelector('.sora-grid').getBoundingClientRect().height")
    assert abs(after - before) / after < 0.05, (
        f"the page height moved from {before:.0f} to {after:.0f} px on scroll"
    )
    # ~130 px of output: one column, nothing clipped, Copy and Delete still there
    page.evaluate("window.scrollTo(0, 0); document.querySelector('.cell').style.width = '130px'")
    page.wait_for_function("() => document.querySelector('.sora-grid').dataset.columns === '1'")
    card = page.locator('.sora-card[data-job-id="job_b2"]')
    inside = card.evaluate(
        """(card) => { const c = card.getBoundingClientRect();
          return ['Copy prompt', 'Delete', 'Download', 'Remix'].map((name) => {
            const b = [...card.querySelectorAll('button')].find((x) => (x.getAttribute('aria-label') || x.textContent.trim()) === name
                                                                  || x.title === name);
            const r = b.getBoundingClientRect();
            return [name, r.width > 10 && r.left >= c.left - 0.5 && r.right <= c.right + 0.5]; }); }"""
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
    card = page.locator('.sora-card[data-job-id="job_x1"]')
    media = card.locator(".sora-media")
    assert media.get_attribute("data-orientation") == "portrait"
    page.wait_for_function(
        """() => document.querySelector('.sora-card[data-job-id="job_x1"] .sora-sprite').style.backgroundImage !== ''"""
    )
    box = media.bounding_box()
    frame = card.locator(".sora-frame").bounding_box()
    assert frame["width"] < box["width"] * 0.5  # the thumbnail keeps its shape at rest
    y = box["y"] + box["height"] / 2
    # the blurred sides are part of the scrub track: the far left and right reach the first and last frames
    page.mouse.move(box["x"] + box["width"] * 0.02, y)
    assert card.get_attribute("data-scrub-frame") == "0"
    page.mouse.move(box["x"] + box["width"] * 0.98, y)
    assert card.get_attribute("data-scrub-frame") == "15"
    page.mouse.move(1, 1)
    assert card.get_attribute("data-scrub-frame") == "-1"
    assert page.errors == []
