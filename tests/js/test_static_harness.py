"""sora.js in a real browser on a static page with a fake model (no Jupyter): fast checks of what the
notebook tests do not reach (cleanup releases everything, keyboard, coach, paging, bounded fetches).

The page is tests/js/harness/index.html; Debian chromium drives it. With ``CI`` set a missing chromium
fails instead of skipping (these tests gate CI like the other browser tests).
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.ui


def _cleanup_releases_everything(page: Any) -> None:
    left = page.evaluate(
        """() => { window.__cleanup();
          const u = window.__urls;
          return { unrevoked: [...u.created].filter((x) => !u.revoked.has(x)).length, created: u.created.size,
                   intervals: window.__intervals.size, children: document.getElementById('out').childElementCount }; }"""
    )
    assert left["created"] > 0, "the view made no object URLs, so this check proves nothing"
    assert left == {"unrevoked": 0, "created": left["created"], "intervals": 0, "children": 0}


def test_card_scrubs_by_pointer_and_keys_and_cleans_up(harness) -> None:
    page = harness("view=card&item=1")
    card = page.locator(".sora-card")
    thumb = card.get_by_role("button", name="Play video")
    page.wait_for_function("() => document.querySelector('.sora-sprite').style.backgroundImage !== ''")
    box = thumb.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.99, box["y"] + box["height"] / 2)
    assert card.get_attribute("data-scrub-frame") == "15"
    page.mouse.move(box["x"] + 1, box["y"] + box["height"] / 2)
    assert card.get_attribute("data-scrub-frame") == "0"
    page.mouse.move(1, 1)
    assert card.get_attribute("data-scrub-frame") == "-1"
    thumb.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert card.get_attribute("data-scrub-frame") == "1"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert card.get_attribute("data-scrub-frame") == "0"
    page.keyboard.press("Escape")
    assert card.get_attribute("data-scrub-frame") == "-1"
    # the shown tile is the right one of the 8x2 sheet
    thumb.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    position = page.evaluate("getComputedStyle(document.querySelector('.sora-sprite')).backgroundPosition")
    assert position == "14.2857% 100%"  # frame 9: column 1 (of 7 steps), row 1 (of 1 step)
    assert page.errors == []
    _cleanup_releases_everything(page)


def test_untrusted_text_stays_text(harness) -> None:
    page = harness("view=panel")
    failed = page.locator('.sora-card[data-job-id="job_c3"]')
    assert "<img src=x onerror=alert(1)>" in failed.locator(".sora-prompt").text_content()
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator(".sora-prompt b").count() == 0
    assert "(the prompt was flagged)" in failed.locator(".sora-error").text_content()
    assert page.errors == []


def test_panel_form_coach_and_submit(harness) -> None:
    page = harness("view=panel")
    prompt = page.get_by_role("textbox", name="Prompt", exact=True)
    coach = page.locator(".sora-coach-list")
    assert prompt.input_value() == "A burger"
    assert coach.get_attribute("aria-label") == "Prompt coach: missing shot type, action, setting, lighting"
    page.get_by_role("button", name="Excellent example").click()
    assert prompt.input_value().startswith("Slow tracking shot moving around a freshly grilled burger")
    assert coach.get_attribute("aria-label") == "Prompt coach: all covered"
    # sizes follow the model; the cost follows the choice
    size = page.get_by_role("combobox", name="Size")
    assert size.evaluate("(el) => [...el.options].map((o) => o.value)") == ["720x1280", "1280x720"]
    page.get_by_role("combobox", name="Model").select_option("sora-2-pro")
    assert size.evaluate("(el) => [...el.options].map((o) => o.value)") == [
        "720x1280",
        "1280x720",
        "1024x1792",
        "1792x1024",
    ]
    page.get_by_role("combobox", name="Model").select_option("sora-2")
    page.get_by_role("combobox", name="Seconds").select_option("8")
    assert page.locator(".sora-cost").text_content() == "Estimated $0.80 (simulated)"  # the harness says emulator
    assert page.locator(".sora-budget").text_content() == "Simulated spend $1.60 (local emulator, nothing billed)"
    assert page.locator(".sora-backend").text_content() == "local emulator"
    # Ctrl+Enter submits the form's values as a command; the harness answers with an error, shown in words
    prompt.fill("A kite over a beach")
    prompt.press("Control+Enter")
    page.wait_for_function("() => document.querySelector('.sora-form-error').textContent !== ''")
    sent = page.evaluate("window.__sent.filter((m) => m.cmd === 'submit')")
    assert [m["args"] for m in sent] == [
        {"prompt": "A kite over a beach", "model": "sora-2", "size": "720x1280", "seconds": "8"}
    ]
    assert sent[0]["kind"] == "anywidget-command" and sent[0]["id"]
    assert page.locator(".sora-form-error").text_content() == "harness: no kernel"
    # an empty prompt is refused in the browser, without a round trip
    prompt.fill("   ")
    page.get_by_role("button", name="Generate").click()
    assert "Write a prompt first" in page.locator(".sora-form-error").text_content()
    assert len(page.evaluate("window.__sent.filter((m) => m.cmd === 'submit')")) == 1
    assert page.errors == []
    _cleanup_releases_everything(page)


def _previews(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("window.__sent.filter((m) => m.cmd === 'previews').map((m) => m.args)")  # type: ignore[no-any-return]


def _page_ids(page: Any, status: str | None = None) -> list[str]:
    sel = ".sora-card" + (f'[data-status="{status}"]' if status else "")
    return page.evaluate(f"[...document.querySelectorAll('{sel}')].map((c) => c.dataset.jobId)")  # type: ignore[no-any-return]


_THUMBS_SHOWN = """() => [...document.querySelectorAll('.sora-card[data-status="completed"]')].every((c) => {
    const img = c.querySelector('img'); return img && img.complete && img.naturalWidth > 0; })"""


def test_gallery_pages_500_items_with_batched_previews(harness) -> None:
    page = harness("view=gallery&count=500")
    gallery = page.locator(".sora-gallery")
    assert gallery.get_attribute("data-count") == "504"
    assert page.locator(".sora-card").count() == 24  # one page in the DOM, not 504 cards
    page.wait_for_function(_THUMBS_SHOWN)
    page.wait_for_function(
        "() => window.__inflight === 0 && window.__sent.filter((m) => m.cmd === 'previews').length >= 3"
    )
    shown = _page_ids(page, "completed")
    batches = _previews(page)
    # the page's thumbnails in ONE command, the next page's thumbnails in one, then the page's spritesheets
    assert [b["variant"] for b in batches[:3]] == ["thumbnail", "thumbnail", "spritesheet"], batches
    assert sorted(batches[0]["job_ids"]) == sorted(shown)
    assert batches[1]["job_ids"] and not set(batches[1]["job_ids"]) & set(_page_ids(page)), (
        "the prefetch asked again for this page"
    )
    assert sorted(batches[2]["job_ids"]) == sorted(shown)
    assert all(len(b["job_ids"]) <= 100 for b in batches)
    assert page.evaluate("window.__maxInflight") <= 2
    sent = page.evaluate("window.__sent")
    assert not any(m["cmd"] == "media" for m in sent), "previews went one by one"
    # a portrait video sits in its own shape on a blurred copy of its thumbnail
    portrait = page.locator('.sora-card[data-job-id="job_x1"] .sora-media')
    assert portrait.get_attribute("data-orientation") == "portrait"
    # (small thumbnails are data: URLs, see createMediaCache in sora.js)
    assert (
        portrait.locator(".sora-backdrop")
        .evaluate("(el) => el.style.backgroundImage")
        .startswith('url("data:image/webp;base64,')
    )
    frame_box = portrait.locator(".sora-frame").bounding_box()
    media_box = portrait.bounding_box()
    assert frame_box and media_box and frame_box["width"] < media_box["width"] * 0.5
    assert (
        page.locator('.sora-card[data-job-id="job_x0"] .sora-media').get_attribute("data-orientation")
        == "landscape"
    )

    # the next page's thumbnails were prefetched: paging on shows them without asking again
    before = len(batches)
    page.get_by_role("button", name="Older").click()
    assert page.locator(".sora-page-text").text_content() == "Page 2 of 21"
    page.wait_for_function(_THUMBS_SHOWN)
    second = set(_page_ids(page, "completed"))
    asked_after = [b for b in _previews(page)[before:] if b["variant"] == "thumbnail"]
    assert not any(set(b["job_ids"]) & second for b in asked_after), asked_after

    page.get_by_role("combobox", name="Status").select_option("failed")
    assert gallery.get_attribute("data-count") == "73"
    page.get_by_role("combobox", name="Status").select_option("all")
    page.get_by_role("combobox", name="Model").select_option("sora-2-pro")
    page.get_by_role("searchbox", name="Search prompts").fill("item 342:")
    assert gallery.get_attribute("data-count") == "1"
    page.get_by_role("searchbox", name="Search prompts").fill("")
    page.get_by_role("combobox", name="Model").select_option("all")
    assert not any(
        m["cmd"] == "media" and m["args"]["variant"] == "video" for m in page.evaluate("window.__sent")
    )
    assert page.errors == []
    _cleanup_releases_everything(page)


def test_remix_note_lasts_until_the_remix_finishes(harness) -> None:
    page = harness("view=panel")
    source = page.locator('.sora-card[data-job-id="job_b2"]')
    source.get_by_role("button", name="Remix").click()
    source.get_by_role("textbox", name="Remix prompt").fill("The same burger, at night")
    source.get_by_role("button", name="Create remix").click()
    note = source.locator(".sora-action-note")
    page.wait_for_function(
        "() => document.querySelector('.sora-card[data-job-id=\"job_b2\"] .sora-action-note').textContent !== ''"
    )
    assert note.text_content() == "Remix started (job_new)"
    set_remix = """(status) => { const items = window.__model.get('items').filter((it) => it.job_id !== 'job_new');
        window.__model.set('items', [{ ...items[1], job_id: 'job_new', status, remixed_from: 'job_b2' }, ...items]); }"""
    page.evaluate(set_remix, "in_progress")
    assert note.text_content() == "Remix started (job_new)", "the note went while the remix still runs"
    page.evaluate(set_remix, "completed")
    assert note.text_content() == "", "the note outlived the remix"
    assert page.errors == []


def test_a_view_without_a_kernel_says_so_and_disables_its_actions(harness) -> None:
    # ?kernel=gone: nothing answers (a restarted kernel, or saved state opened with no kernel)
    page = harness("view=card&item=1&kernel=gone")
    lost = page.locator(".sora-lost")
    lost.wait_for(state="visible", timeout=3000)  # the render's ping times out after 1.5 s
    assert lost.text_content() == "This widget lost its kernel — re-run the cell"
    card = page.locator(".sora-card")
    assert card.get_by_role("button", name="Download").is_disabled()
    assert card.get_by_role("button", name="Delete").is_disabled()
    assert card.get_by_role("button", name="Copy prompt").is_enabled()  # local: no kernel needed
    # the thumbnail came with the (saved) state: still shown
    page.wait_for_function("() => document.querySelector('.sora-card').classList.contains('sora-has-thumb')")
    pings = page.evaluate("window.__sent.filter((m) => m.cmd === 'ping').length")
    assert pings >= 1
    assert page.errors == []


def test_a_live_view_shows_no_lost_banner_and_the_form_writes_its_traits(harness) -> None:
    page = harness("view=panel")
    page.wait_for_function("() => document.querySelector('.sora-root').dataset.connection === 'live'")
    assert page.locator(".sora-lost").is_hidden()
    assert page.get_by_role("button", name="Generate").is_enabled()
    page.get_by_role("textbox", name="Prompt").fill("A red kite over dunes")
    page.wait_for_function("() => window.__model.get('prompt') === 'A red kite over dunes'")
    page.get_by_role("combobox", name="Model").select_option("sora-2-pro")
    page.get_by_role("combobox", name="Size").select_option("1792x1024")
    state = page.evaluate("['model', 'size', 'seconds'].map((k) => window.__model.get(k))")
    assert state == ["sora-2-pro", "1792x1024", "4"]
    # and the reverse: the kernel sets a trait, the form follows
    page.evaluate("window.__model.set('prompt', 'Set from Python')")
    assert page.get_by_role("textbox", name="Prompt").input_value() == "Set from Python"
    assert page.errors == []
