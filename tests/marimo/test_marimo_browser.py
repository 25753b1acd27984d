"""notebooks/marimo_quickstart.py in ``marimo run``, in Debian chromium, on the embedded emulator, end to end.

The app's own card (``sw.submit`` + ``sw.VideoCard``) goes live and completes; then the GeneratorPanel generates
from an uploaded reference image (a command with a binary buffer, browser -> kernel): progress advances, the
card scrubs on hover and its video plays (an MP4 in a buffer, kernel -> browser); the gallery lists and scrubs
the videos; and a remix from the standalone card, which marimo has no cell to show, says where to find it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import sora_page as sp
from marimo_harness import MarimoPage
from PIL import Image
from playwright.sync_api import expect

#: Deadline for one emulated job (queued -> completed, media downloaded).
JOB_TIMEOUT_S = 90.0

# Every aria-valuenow and data-status a card shows, keyed by data-job-id (as tests/ui/sora_page.py records
# them), observed in the document and in every shadow root (marimo renders each widget in one).
_RECORDER_JS = (
    """
() => {
  if (window.__soraSeen) return;
"""
    + sp.NOTE_CARD_JS
    + """
  const links = (window.__soraLinks = []);
  const observed = new WeakSet();
  const scan = (node) => {
    if (node.nodeType !== 1) return;
    if (node.dataset.connection && links[links.length - 1] !== node.dataset.connection) links.push(node.dataset.connection);
    const card = node.closest('.sora-card');
    if (card) note(card);
    node.querySelectorAll('.sora-card').forEach(note);
    watchShadows(node);
  };
  const observer = new MutationObserver((mutations) => mutations.forEach((m) => scan(m.target)));
  const watch = (root) => {
    if (observed.has(root)) return;
    observed.add(root);
    observer.observe(root, { subtree: true, childList: true, attributes: true,
      attributeFilter: ['aria-valuenow', 'data-status', 'data-job-id', 'data-connection'] });
    root.querySelectorAll('.sora-card').forEach(note);
    watchShadows(root);
  };
  const watchShadows = (root) => {
    if (root.shadowRoot) watch(root.shadowRoot);
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) watch(el.shadowRoot);
  };
  watch(document.body);
}
"""
)


def _card_ids(mp: MarimoPage, within: str) -> list[str]:
    return mp.page.evaluate(  # type: ignore[no-any-return]
        f"""(sel) => {{ {_deep()} return deepAll(sel + ' .sora-card').map((c) => c.dataset.jobId || ''); }}""",
        within,
    )


def _deep() -> str:
    from marimo_harness import DEEP_ALL_JS

    return DEEP_ALL_JS


def _wait_status(mp: MarimoPage, within: str, job_id: str, status: str = "completed") -> None:
    ended = mp.wait_for(
        """([within, id]) => {
          const card = deepAll(`${within} .sora-card[data-job-id="${id}"]`)[0];
          const s = card && card.dataset.status;
          return ['completed', 'failed', 'expired', 'deleted'].includes(s) ? s : null;
        }""",
        f"job {job_id} in {within} to end",
        JOB_TIMEOUT_S,
        arg=[within, job_id],
    )
    if ended != status:
        error = mp.page.locator(f'{within} .sora-card[data-job-id="{job_id}"] .sora-error')
        message = error.first.text_content() if error.count() else "(no .sora-error element)"
        raise AssertionError(f"job {job_id} ended {ended!r}, not {status!r}: {message}")


def _check_scrub(mp: MarimoPage, card: Any) -> None:
    """Hovering left then right across the thumbnail shows an earlier then a later spritesheet frame."""
    page = mp.page
    page.mouse.move(1, 1)
    thumb = card.get_by_role("button", name="Play video")
    thumb.scroll_into_view_if_needed()
    expect(card).to_have_attribute("data-scrub-frame", "-1")
    box = thumb.bounding_box()
    assert box and box["width"] > 20, f"thumbnail has no usable size: {box}"
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.1, y)
    expect(card).not_to_have_attribute("data-scrub-frame", "-1", timeout=10_000)
    left = int(card.get_attribute("data-scrub-frame"))
    page.mouse.move(box["x"] + box["width"] * 0.9, y)
    expect(card).not_to_have_attribute("data-scrub-frame", str(left), timeout=5_000)
    right = int(card.get_attribute("data-scrub-frame"))
    assert right > left >= 0, (
        f"hovering right of the thumbnail should show a later frame: {left} then {right}"
    )
    page.mouse.move(1, 1)
    expect(card).to_have_attribute("data-scrub-frame", "-1", timeout=5_000)


def _check_plays(mp: MarimoPage, within: str, job_id: str) -> None:
    """Play: the MP4 arrives (a command's binary buffer) as an object URL, gets decodable and time advances."""
    sel = f'{within} .sora-card[data-job-id="{job_id}"]'
    mp.page.locator(sel).get_by_role("button", name="Play video").click()
    state_js = """(sel) => {
      const v = deepAll(sel + ' video')[0];
      return v ? {readyState: v.readyState, currentTime: v.currentTime, paused: v.paused,
                  src: (v.currentSrc || v.src || '').slice(0, 5), error: v.error && v.error.message} : null;
    }"""
    first = mp.wait_for(
        f"(sel) => {{ const s = ({state_js})(sel); return s && s.readyState >= 2 && s.currentTime > 0 ? s : null; }}",
        f"the video of {job_id} to load and start playing",
        30,
        arg=sel,
    )
    assert first["src"] == "blob:", f"media must arrive as an object URL, not a URL of the kernel: {first}"
    mp.wait_for(
        f"([sel, t]) => {{ const s = ({state_js})(sel); return s && s.currentTime > t + 0.3; }}",
        f"the video of {job_id} to keep playing past {first['currentTime']:.2f} s",
        20,
        arg=[sel, first["currentTime"]],
    )


def _solid_png(color: tuple[int, int, int], size: tuple[int, int] = (360, 640)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def test_marimo_app_panel_card_gallery(marimo_page: Any, marimo_app: Any) -> None:
    mp = MarimoPage(marimo_page, marimo_app).open()
    page = mp.page
    mp.wait_for("() => deepAll('.sora-panel').length === 1", "the GeneratorPanel to render", 60)
    mp.page.evaluate(_RECORDER_JS)

    # The app's own card: sw.submit in a cell, live in marimo while a later cell waits for it.
    card_view = page.locator(".sora-card-view")
    expect(card_view).to_have_count(1, timeout=30_000)
    own = card_view.locator(".sora-card").get_attribute("data-job-id", timeout=30_000)
    assert own, "the app's VideoCard has no job id"
    _wait_status(mp, ".sora-card-view", own)

    # The gallery cell runs after the job is done: it opens with that video; hover scrubs there too.
    mp.wait_for(
        '(id) => deepAll(`.sora-gallery .sora-card[data-job-id="${id}"]`).length === 1',
        "the gallery to list the app's video",
        30,
        arg=own,
    )
    _check_scrub(mp, page.locator(f'.sora-gallery .sora-card[data-job-id="{own}"]'))

    # The panel: a live kernel link (marimo exposes no kernel status: a ping answered), then generate from a
    # reference image, which travels to the kernel as a binary buffer of the submit command.
    panel = page.locator(".sora-panel")
    mp.wait_for(
        "() => { const root = deepAll('.sora-panel')[0]; return root && root.dataset.connection === 'live'; }",
        "the panel's connection to the kernel to be live",
        30,
    )
    # While a later cell ran (job.wait), the render's ping went unanswered: "busy" then, never "lost".
    links = page.evaluate("() => window.__soraLinks")
    assert "lost" not in links, f"a widget said it lost its kernel while a cell ran: {links}"
    assert page.locator(".sora-lost:visible").count() == 0, "a widget says it lost its kernel"
    panel.get_by_role("textbox", name="Prompt").fill("A red kite climbing over a green hill, wide shot")
    seconds = panel.get_by_role("combobox", name="Seconds")
    shortest = min(seconds.evaluate("(el) => [...el.options].map((o) => o.value)"), key=float)
    seconds.select_option(shortest)
    panel.get_by_role("combobox", name="Size").select_option("720x1280")
    panel.get_by_label("Reference image").set_input_files(
        files=[{"name": "red.png", "mimeType": "image/png", "buffer": _solid_png((220, 20, 20))}]
    )
    known = _card_ids(mp, ".sora-panel")
    panel.get_by_role("button", name="Generate").click()
    new = mp.wait_for(
        """(known) => { const c = deepAll('.sora-panel .sora-cards .sora-card')[0];
          const id = c && c.dataset.jobId; return id && !known.includes(id) ? id : null; }""",
        "a new card at the top of the panel",
        30,
        arg=known,
    )
    _wait_status(mp, ".sora-panel", new)
    sp.check_progress_advanced(sp.seen(mp, new), new)
    refs = list(Path(marimo_app.extra_env["SORA_WIDGETS_HOME"]).rglob("reference.img"))
    assert len(refs) == 1, f"the emulator got {len(refs)} reference images: {refs}"
    with Image.open(refs[0]) as img:
        center = img.convert("RGB").getpixel((img.width // 2, img.height // 2))
    assert center[0] > 180 and center[1] < 70 and center[2] < 70, (
        f"the reference is not the red upload: {center}"
    )

    panel_card = page.locator(f'.sora-panel .sora-card[data-job-id="{new}"]')
    _check_scrub(mp, panel_card)
    _check_plays(mp, ".sora-panel", new)

    # A remix from the standalone card: marimo has no cell to show a new card in, so the card says where it is.
    card = page.locator(f'.sora-card-view .sora-card[data-job-id="{own}"]')
    card.get_by_role("button", name="Remix").click()
    card.get_by_role("textbox", name="Remix prompt").fill("The same boat, now at night under the stars")
    card.get_by_role("button", name="Create remix").click()
    notice = page.locator(".sora-card-view .sora-card-notice")
    expect(notice).to_contain_text("started from this card", timeout=30_000)
    remix_id = notice.text_content().split()[0]
    assert remix_id.startswith("job_") and remix_id != own, notice.text_content()
    expect(notice).to_contain_text(f'sw.VideoCard("{remix_id}")')
    expect(card.locator(".sora-note-error")).to_have_count(0)
    assert "Traceback" not in marimo_app.log_tail(20_000), marimo_app.log_tail()
