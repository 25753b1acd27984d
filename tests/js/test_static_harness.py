"""sora.js in a real browser on a static page with a fake model (no Jupyter): fast checks of what the
notebook tests do not reach (cleanup releases everything, keyboard, coach, the gallery's scrolling window, bounded fetches).

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


def _previews(page: Any, since: int = 0) -> list[dict[str, Any]]:
    """The `previews` commands sent (their args), from the `since`-th command on."""
    return page.evaluate(  # type: ignore[no-any-return]
        "(n) => window.__sent.slice(n).filter((m) => m.cmd === 'previews').map((m) => m.args)", since
    )


# What the gallery's scrolling list shows, read from the page: the cards (`.sora-card[data-job-id]` inside the
# `role=feed` list) in the fake kernel's order (window.__harness.order()), the columns (cards on the first row),
# the row pitch (from one row to the next), which rows are on screen, and what is wrong with it: `missing`
# (a position on screen without its card), `misplaced` (a card not at its index's row and column), `far` (a card
# more than MARGIN_ROWS rows off screen), `unthumbed` (a card on screen with a thumbnail not shown).
MARGIN_ROWS = 2  # the gallery keeps 1 row either side; 2 lets that be tuned without breaking the test
_ANALYSE = """(margin) => {
  const feed = document.querySelector('.sora-gallery [role=feed]');
  const box = feed.getBoundingClientRect();
  const order = window.__harness.order();
  const cards = [...feed.querySelectorAll('.sora-card[data-job-id]')].map((c) => {
    const r = c.getBoundingClientRect(), img = c.querySelector('img');
    return { id: c.dataset.jobId, index: order.indexOf(c.dataset.jobId), top: r.top - box.top + feed.scrollTop,
             left: r.left - box.left, width: r.width, height: r.height, text: c.textContent,
             thumb: !!(img && img.complete && img.naturalWidth > 0) };
  }).sort((a, b) => a.index - b.index);
  const out = { total: order.length, height: feed.clientHeight, width: feed.clientWidth, scrollTop: feed.scrollTop,
                scrollHeight: feed.scrollHeight, cards, missing: [], misplaced: [], far: [], unthumbed: [] };
  if (!cards.length) return { ...out, missing: ['no cards'] };
  const first = cards[0];
  const row0 = cards.filter((c) => Math.abs(c.top - first.top) < 1);
  const columns = row0.length;
  const pitch = columns > 1 ? row0[1].left - first.left : first.width;  // a card and the gap after it
  const next = cards.find((c) => c.top > first.top + 1);
  const rowH = next ? (next.top - first.top) / (Math.floor(next.index / columns) - Math.floor(first.index / columns))
                    : feed.scrollHeight;
  const firstRow = Math.floor(feed.scrollTop / rowH);
  const lastRow = Math.floor((feed.scrollTop + feed.clientHeight - 1) / rowH);
  const held = new Map(cards.map((c) => [c.index, c]));
  for (let i = firstRow * columns; i < Math.min(order.length, (lastRow + 1) * columns); i += 1) {
    const c = held.get(i);
    if (!c) out.missing.push(i);
    else {
      const s = window.__harness.summary(c.id);
      if (s.status === 'completed' && s.has_thumbnail && !c.thumb) out.unthumbed.push(c.id);
    }
  }
  for (const c of cards) {
    const row = Math.floor(c.index / columns);
    if (c.index < 0 || Math.abs(c.top - row * rowH) > 2 || Math.abs(c.left - first.left - (c.index % columns) * pitch) > 2)
      out.misplaced.push(c.id);
    if (row < firstRow - margin || row > lastRow + margin) out.far.push(c.id);
  }
  return { ...out, columns, rowH, pitch, cardH: first.height, firstRow, lastRow, shown: cards.filter((c) => held.has(c.index)
           && Math.floor(c.index / columns) >= firstRow && Math.floor(c.index / columns) <= lastRow).map((c) => c.id) };
}"""
_SETTLED = f"""() => {{ const v = ({_ANALYSE})({MARGIN_ROWS});
  return window.__inflight === 0 && v.missing.length === 0 && v.unthumbed.length === 0; }}"""


def _settled(page: Any) -> dict[str, Any]:
    """Wait (with a deadline) until every position on screen has its card and thumbnail, and nothing is in flight."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(_SETTLED, timeout=15_000)
    except PlaywrightTimeout:
        view = page.evaluate(_ANALYSE, MARGIN_ROWS)
        view["cards"] = [c["id"] for c in view["cards"]]
        raise AssertionError(f"the gallery did not settle in 15 s (inflight {page.evaluate('window.__inflight')}): {view}") from None
    return page.evaluate(_ANALYSE, MARGIN_ROWS)  # type: ignore[no-any-return]


def _assert_windowed(view: dict[str, Any]) -> None:
    """Only the rows on screen (plus a margin) have cards, each at its index's place; the scrollbar is exact."""
    assert not view["misplaced"] and not view["far"], view
    indices = [c["index"] for c in view["cards"]]
    assert indices == list(range(indices[0], indices[0] + len(indices))), f"not one run of the order: {indices}"
    on_screen = view["lastRow"] - view["firstRow"] + 1
    assert len(indices) <= view["columns"] * (on_screen + 2 * MARGIN_ROWS), (len(indices), view["columns"], on_screen)
    rows = -(-view["total"] // view["columns"])
    gap = view["rowH"] - view["cardH"]
    assert abs(view["scrollHeight"] - (rows * view["rowH"] - gap)) < view["rowH"] / 2, (
        "the scrollbar does not span the whole list",
        view["scrollHeight"],
        rows,
        view["rowH"],
    )


def _near(page: Any, view: dict[str, Any], ids: set[str], rows: int = 3) -> set[str]:
    """Those of `ids` more than `rows` rows away from the cards in the DOM (in the fake kernel's order)."""
    order = page.evaluate("window.__harness.order()")
    lo, hi = view["cards"][0]["index"], view["cards"][-1]["index"]
    span = rows * view["columns"]
    return {i for i in ids if not lo - span <= order.index(i) <= hi + span}


def _hover_sprite(page: Any, job_id: str) -> None:
    """Hover a card's picture until its spritesheet is shown (loaded at rest or on hover)."""
    media = page.locator(f'.sora-card[data-job-id="{job_id}"] .sora-media')
    box = media.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function(
        """(id) => { const s = document.querySelector(`.sora-card[data-job-id="${id}"] .sora-sprite`);
          return !!s && s.style.backgroundImage.startsWith('url("blob:'); }""",
        arg=job_id,
        timeout=10_000,
    )


def test_gallery_of_500_scrolls_a_window_with_batched_previews(harness) -> None:
    page = harness("view=gallery&count=500")
    gallery = page.locator(".sora-gallery")
    feed = gallery.get_by_role("feed", name="Videos")
    assert gallery.get_attribute("data-count") == "504"
    assert gallery.get_by_text("504 videos").is_visible()
    top = _settled(page)
    _assert_windowed(top)
    assert top["cards"][0]["id"] == "job_d4" and "Aerial drone shot" in top["cards"][0]["text"], "newest first"
    assert len(top["cards"]) < 40, "the DOM holds the screen, not 504 cards"

    # previews: batched (never one `media` command per card), at most 2 in flight, for the cards shown and the
    # rows just ahead, nothing far from the view
    batches = _previews(page)
    asked = {i for b in batches if b["variant"] == "thumbnail" for i in b["job_ids"]}
    with_thumbs = {
        c["id"] for c in top["cards"] if page.evaluate("(id) => window.__harness.summary(id).has_thumbnail", c["id"])
    }
    assert with_thumbs and with_thumbs <= asked, (with_thumbs, batches)
    first = [i for b in batches if b["variant"] == "thumbnail" for i in b["job_ids"]]
    assert len(first) == len(set(first)), f"a thumbnail of the first screen was asked twice: {batches}"
    assert not _near(page, top, {i for b in batches for i in b["job_ids"]}), batches
    assert all(0 < len(b["job_ids"]) <= 100 for b in batches)
    assert page.evaluate("window.__maxInflight") <= 2
    assert not any(m["cmd"] == "media" for m in page.evaluate("window.__sent")), "previews went one by one"
    # the rows came from the `window` command, within its limit
    windows = page.evaluate("window.__sent.filter((m) => m.cmd === 'window').map((m) => m.args)")
    assert windows and all(0 < w["limit"] <= 500 for w in windows), windows

    # the spritesheet (an object URL) of a card on screen; scrolled far away, its row goes and the URL is revoked
    _hover_sprite(page, "job_x1")
    before = page.evaluate("[...window.__urls.created]")
    assert before
    sent = len(page.evaluate("window.__sent"))
    feed.evaluate("(f) => { f.scrollTop = f.scrollHeight / 2; }")
    middle = _settled(page)
    _assert_windowed(middle)
    assert 200 < middle["cards"][0]["index"] < 300, middle["cards"][0]
    assert page.locator('.sora-card[data-job-id="job_x1"]').count() == 0
    page.wait_for_function(
        "(urls) => urls.every((u) => window.__urls.revoked.has(u))", arg=before, timeout=5000
    )
    # the cards that came with the jump had their thumbnails asked together, each once
    after = [b["job_ids"] for b in _previews(page, sent) if b["variant"] == "thumbnail"]
    shown = {c["id"] for c in middle["cards"] if c["id"] in set(middle["shown"])}
    completed = {i for i in shown if page.evaluate("(id) => window.__harness.summary(id).has_thumbnail", i)}
    assert completed <= {i for ids in after for i in ids}, (completed, after)
    assert sum(1 for ids in after if set(ids) & completed) <= 2, after
    flat = [i for ids in after for i in ids]
    assert len(flat) == len(set(flat)), f"a thumbnail was asked twice: {after}"
    assert not _near(page, middle, set(flat)), after

    # to the end: the last video is shown, whole, in the last row
    feed.evaluate("(f) => { f.scrollTop = f.scrollHeight; }")
    end = _settled(page)
    _assert_windowed(end)
    last = end["cards"][-1]
    assert last["id"] == "job_x499" and last["index"] == 503
    assert "Generated item 499:" in last["text"]
    assert end["scrollTop"] + end["height"] >= last["top"] + last["height"] - 1, "the last card is cut off"
    assert page.locator('.sora-card[data-job-id="job_x499"]').get_by_text("Generated item 499:").is_visible()
    # object URLs alive: at most one spritesheet per card in the DOM (the ones scrolled away were revoked)
    live = page.evaluate("[...window.__urls.created].filter((u) => !window.__urls.revoked.has(u)).length")
    assert live <= len(end["cards"]), live

    # filters and search go to the (fake) kernel; the count, the options and the list follow
    status = gallery.get_by_role("combobox", name="Status")
    assert status.locator("option[value=failed]").text_content() == "Failed (73)"
    status.select_option("failed")
    page.wait_for_function("() => document.querySelector('.sora-gallery').dataset.count === '73'")
    assert gallery.get_by_text("73 of 504").is_visible()
    failed = _settled(page)
    assert page.evaluate(
        "(ids) => ids.every((id) => window.__harness.summary(id).status === 'failed')",
        [c["id"] for c in failed["cards"]],
    )
    status.select_option("all")
    gallery.get_by_role("combobox", name="Model").select_option("sora-2-pro")
    gallery.get_by_role("searchbox", name="Search prompts").fill("item 342:")
    page.wait_for_function("() => document.querySelector('.sora-gallery').dataset.count === '1'")
    found = _settled(page)
    assert [c["id"] for c in found["cards"]] == ["job_x342"]
    assert "Generated item 342:" in found["cards"][0]["text"]
    gallery.get_by_role("searchbox", name="Search prompts").fill("")
    gallery.get_by_role("combobox", name="Model").select_option("all")
    page.wait_for_function("() => document.querySelector('.sora-gallery').dataset.count === '504'")
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
