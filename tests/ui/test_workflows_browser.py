"""Storyboards and variations in a real JupyterLab (kernel on the embedded emulator: real SDK, HTTP, media).

- The storyboard: the strip of shots (status, thumbnail, prompt), one player for the stitched sequence, the
  timeline scrubbing across a cut (the shot under the playhead changes exactly there), reordering from the strip.
- The variations grid: four takes, the cost so far, the price of promoting, "Promote take 3" making a final job
  whose lineage is shown; a card's Export menu saving a GIF and a frame.
"""

from __future__ import annotations

from playwright.sync_api import expect

BOARD = ".sora-storyboard"
PROMPTS = ["a red ball rolls in", "a blue cube spinning fast", "three green stars orbiting"]


def _seek(nb, t: float) -> None:
    """Drag the timeline to ``t`` seconds (as a user's drag does: the value, then an input event)."""
    nb.page.locator(BOARD).get_by_role("slider", name="Timeline").evaluate(
        "(el, t) => { el.value = String(t); el.dispatchEvent(new Event('input', {bubbles: true})); }", t)


def test_storyboard_strip_sequence_player_and_scrubbing_across_a_cut(lab) -> None:
    nb = lab.open_cells("storyboard.ipynb", [
        "import sora_widgets as sw\n"
        f"sb = sw.storyboard({PROMPTS!r}, size='1280x720', seconds='4', chain='frame')\nsb",
    ])
    nb.run_all()
    board = nb.page.locator(BOARD).first
    expect(board).to_have_attribute("data-count", "3", timeout=30_000)
    nb.wait_for("() => document.querySelector('.sora-storyboard')?.dataset.sequence === '1'",
                "the three shots to render and the stitched sequence to load", timeout_s=240)
    shots = board.locator(".sora-shot")
    expect(shots).to_have_count(3)
    for k, prompt in enumerate(PROMPTS):
        expect(shots.nth(k)).to_have_attribute("data-status", "completed")
        expect(shots.nth(k).locator(".sora-prompt")).to_have_text(prompt)
    nb.wait_for("() => [...document.querySelectorAll('.sora-shot img')].every(i => i.complete && i.naturalWidth > 0)",
                "every shot's thumbnail to load", timeout_s=30)
    duration = nb.wait_for(
        "() => { const v = document.querySelector('.sora-sequence-video'); return v && v.readyState >= 2 && v.duration; }",
        "the sequence video to load", timeout_s=30)
    assert abs(duration - 12.0) <= 1 / 24 + 0.05, duration  # one player for the whole 12 s sequence

    # scrubbing across the cut at 4 s: the shot under the playhead changes exactly there
    video = board.locator(".sora-sequence-video")
    _seek(nb, 3.9)
    expect(board).to_have_attribute("data-shot", "0")
    assert abs(video.evaluate("(v) => v.currentTime") - 3.9) < 0.05
    _seek(nb, 4.1)
    expect(board).to_have_attribute("data-shot", "1")
    expect(shots.nth(1)).to_have_attribute("aria-current", "step")
    expect(shots.nth(0)).not_to_have_attribute("aria-current", "step")
    assert abs(video.evaluate("(v) => v.currentTime") - 4.1) < 0.05
    _seek(nb, 8.5)
    expect(board).to_have_attribute("data-shot", "2")
    board.get_by_role("button", name="Go to shot 1").click()
    expect(board).to_have_attribute("data-shot", "0")
    expect(board.locator(".sora-sequence-clock")).to_contain_text("shot 1 of 3")

    # reorder from the strip: shot 3 moves earlier, the chain renders again from there and stitches anew
    board.get_by_role("button", name="Move shot 3 earlier").click()
    expect(shots.nth(1).locator(".sora-prompt")).to_have_text(PROMPTS[2], timeout=30_000)
    expect(shots.nth(2).locator(".sora-prompt")).to_have_text(PROMPTS[1])
    nb.wait_for("() => document.querySelector('.sora-storyboard')?.dataset.sequence === '2'",
                "the reordered storyboard to render and stitch again", timeout_s=240)
    expect(board).to_have_attribute("data-status", "completed")


def test_variations_grid_costs_and_promote_in_the_browser(lab) -> None:
    nb = lab.open_cells("variations.ipynb", [
        "import sora_widgets as sw\n"
        "vs = sw.variations('A paper boat on a pond at sunset', n=4, model='sora-2', size='720x1280', seconds='4')\nvs",
    ])
    nb.run_all()
    grid = nb.page.locator(".sora-variations").first
    expect(grid).to_have_attribute("data-count", "4", timeout=30_000)
    cards = grid.locator(".sora-takes .sora-card")
    expect(cards).to_have_count(4)
    for k in range(4):
        expect(cards.nth(k)).to_have_attribute("data-status", "completed", timeout=120_000)
    expect(grid.locator(".sora-spent")).to_have_text("Spent so far: $1.60")

    # the card's Export menu: the kernel makes the file and the browser saves it
    take = cards.nth(0)
    take.get_by_role("button", name="Export").click()
    take.get_by_role("spinbutton", name="Start (s)").fill("1")
    take.get_by_role("spinbutton", name="End (s)").fill("3")
    with nb.page.expect_download(timeout=60_000) as got:
        take.get_by_role("button", name="GIF").click()
    gif = got.value.path()
    from PIL import Image

    with Image.open(gif) as image:
        assert (image.n_frames, image.size[0]) == (24, 480), (image.n_frames, image.size)  # 2 s at 12 fps
    assert got.value.suggested_filename.endswith("-1-3.gif")
    with nb.page.expect_download(timeout=60_000) as got:
        take.get_by_role("button", name="Current frame (PNG)").click()
    assert got.value.suggested_filename.endswith("-0s.png")
    grid.get_by_role("combobox", name="Promote model").select_option("sora-2-pro")
    grid.get_by_role("combobox", name="Promote seconds").select_option("8")
    expect(grid.locator(".sora-promote-cost")).to_have_text("Promoting a take costs $2.40")

    grid.get_by_role("button", name="Promote take 3").click()
    expect(grid).to_have_attribute("data-finals", "1", timeout=30_000)
    final = grid.locator(".sora-finals .sora-card")
    expect(final).to_have_count(1)
    expect(grid.locator(".sora-promoted-from")).to_contain_text("Promoted from take 3")
    expect(final.locator(".sora-remix-of")).to_contain_text("Promoted from the sora-2 take")
    expect(final.locator(".sora-chip-model")).to_have_text("sora-2-pro")
    expect(final).to_have_attribute("data-status", "completed", timeout=180_000)
    expect(grid.locator(".sora-spent")).to_have_text("Spent so far: $4.00")
