"""The GeneratorPanel in a real JupyterLab on the embedded emulator, end to end.

generate -> progress advances -> hover scrubs the spritesheet -> the video plays -> remix -> delete;
and a prompt that is HTML stays text.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import sora_page as sp
from playwright.sync_api import expect


def _check_progress_advanced(nb, job_id: str) -> None:
    sp.check_progress_advanced(sp.seen(nb, job_id), job_id)


def _check_scrub(nb, job_id: str) -> None:
    card = sp.card(nb, job_id)
    thumb = card.get_by_role("button", name="Play video")
    expect(card).to_have_attribute("data-scrub-frame", "-1")
    box = thumb.bounding_box()
    assert box and box["width"] > 20, f"thumbnail has no usable size: {box}"
    y = box["y"] + box["height"] / 2
    nb.page.mouse.move(box["x"] + box["width"] * 0.1, y)
    expect(card).not_to_have_attribute("data-scrub-frame", "-1", timeout=10_000)
    left = int(card.get_attribute("data-scrub-frame"))
    nb.page.mouse.move(box["x"] + box["width"] * 0.9, y)
    expect(card).not_to_have_attribute("data-scrub-frame", str(left), timeout=5_000)
    right = int(card.get_attribute("data-scrub-frame"))
    assert right > left >= 0, (
        f"hovering right of the thumbnail should show a later frame: {left} then {right}"
    )
    # Leaving the thumbnail ends the scrub.
    nb.page.mouse.move(1, 1)
    expect(card).to_have_attribute("data-scrub-frame", "-1", timeout=5_000)


def _check_plays(nb, job_id: str) -> None:
    sp.card(nb, job_id).get_by_role("button", name="Play video").click()
    try:
        nb.wait_for(
            """(id) => {
              const v = document.querySelector(`.sora-card[data-job-id="${id}"] video`);
              return v && v.currentTime > 0.2;
            }""",
            "the video to play past 0.2 s",
            timeout_s=20,
            arg=job_id,
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}; <video> state: {sp.video_state(nb, job_id)}") from None
    state = sp.video_state(nb, job_id)
    assert state and state["controls"], f"the <video> should have controls: {state}"
    assert state["src"] == "blob:", f"media must arrive as an object URL, not a URL of the kernel: {state}"


def _check_download(nb, job_id: str) -> None:
    with nb.page.expect_download(timeout=30_000) as info:
        sp.card(nb, job_id).get_by_role("button", name="Download").click()
    download = info.value
    assert download.suggested_filename.endswith(".mp4"), download.suggested_filename
    head = Path(download.path()).read_bytes()[:8]
    assert head[4:8] == b"ftyp", f"the download is not an MP4: {head!r}"


def _save_screenshot(nb, name: str, tmp_path: Path) -> Path:
    """Screenshot the panel; copy it into docs/ when SORA_UPDATE_SCREENSHOT=1 (for the README)."""
    page = nb.page
    page.mouse.move(1, 1)
    # Every preview on screen, so the picture shows the videos rather than placeholders.
    nb.wait_for(
        """() => [...document.querySelectorAll('.sora-panel .sora-card')].every((card) => {
          const img = card.querySelector('img');
          return img && img.complete && img.naturalWidth > 0;
        })""",
        "every card's thumbnail to load",
        timeout_s=30,
    )
    # Tall enough that JupyterLab does not scroll the panel under its toolbar; a white margin around it.
    page.set_viewport_size({"width": 1100, "height": 1500})
    output = page.locator(".jp-OutputArea-output", has=page.locator(".sora-panel")).first
    output.evaluate("(el) => { el.style.padding = '12px'; el.style.background = 'white'; }")
    shot = tmp_path / name
    output.screenshot(path=str(shot), animations="disabled")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert shot.stat().st_size > 10_000, "the screenshot is suspiciously small"
    if os.environ.get("SORA_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, sp.DOCS / name)
    return shot


def test_generate_progress_scrub_play_remix_delete(lab, tmp_path) -> None:
    nb = lab.open("panel.ipynb")
    nb.run_all()
    panel = sp.wait_panel(nb)
    sp.install_recorder(nb)
    expect(panel.locator(".sora-backend")).not_to_be_empty()
    expect(panel.locator(".sora-cost")).not_to_be_empty()
    for name in ("Model", "Size", "Seconds"):
        expect(panel.get_by_role("combobox", name=name)).to_be_enabled()
    expect(panel.get_by_label("Reference image")).to_have_attribute("type", "file")

    # Landscape: the README screenshot reads better with wide cards.
    first = sp.generate(nb, "A paper boat drifting across a calm pond at sunrise", size="1280x720")
    sp.wait_status(nb, first, ("completed",))
    _check_progress_advanced(nb, first)
    _check_scrub(nb, first)

    # Remix the completed video: a second card appears on top and completes too.
    known = sp.card_ids(nb)
    card = sp.card(nb, first)
    card.get_by_role("button", name="Remix").click()
    card.get_by_role("textbox", name="Remix prompt").fill("The same boat, now at night under the stars")
    card.get_by_role("button", name="Create remix").click()
    remix = sp.wait_new_card(nb, known, "the remix card at the top of .sora-cards")
    assert remix != first
    sp.wait_status(nb, remix, ("completed",))
    _check_progress_advanced(nb, remix)
    _save_screenshot(nb, "screenshot.png", tmp_path)

    _check_plays(nb, first)
    _check_download(nb, first)

    # Delete the remix: it asks first, then the card shows "deleted" or goes away.
    remix_card = sp.card(nb, remix)
    remix_card.get_by_role("button", name="Delete").click()
    remix_card.get_by_role("button", name="Confirm delete").click()
    nb.wait_for(
        """(id) => {
          const card = document.querySelector(`.sora-card[data-job-id="${id}"]`);
          return !card || card.dataset.status === 'deleted';
        }""",
        "the deleted card to show status deleted or disappear",
        timeout_s=30,
        arg=remix,
    )
    expect(sp.card(nb, first)).to_have_attribute("data-status", "completed")


XSS_PROMPT = "<img src=x onerror=alert(1)>"


def test_html_prompt_stays_text_and_a_blocked_prompt_shows_the_servers_message(lab) -> None:
    nb = lab.open("panel.ipynb", name="panel_prompts.ipynb")
    nb.run_all()
    sp.wait_panel(nb)
    html_job = sp.generate(nb, XSS_PROMPT)
    # The emulator's moderation blocks named characters, as the real API does (after accepting the job).
    blocked_job = sp.generate(nb, "Mario jumping on a mushroom")

    # Through every state the card renders, up to completed with its media.
    sp.wait_status(nb, html_job, ("completed",))
    expect(sp.card(nb, html_job)).to_contain_text(XSS_PROMPT)
    assert nb.page.locator('img[src="x"]').count() == 0, (
        "the prompt was parsed as HTML: an <img src=x> exists"
    )
    assert lab.dialogs() == [], "the prompt's onerror handler ran"

    sp.wait_status(nb, blocked_job, ("failed",))
    blocked = sp.card(nb, blocked_job)
    expect(blocked.locator(".sora-error")).to_contain_text("blocked by our moderation system")
    # Moderation is not retryable: no Retry button.
    expect(blocked.get_by_role("button", name="Retry")).to_have_count(0)
