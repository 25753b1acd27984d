"""Issue 13's front-end "done when", in a real JupyterLab and a real Notebook 7 on the embedded emulator:
live progress (value rising every second, ETA counting down), the play badge starting at 0 s, a portrait
player at least 40 % of the card's width (muted, with Unmute), and the gallery's keyboard navigation keeping the card in view.
"""

from __future__ import annotations

import live_checks as lc
import sora_page as sp


def _panel_flow(nb) -> None:
    nb.run_all()
    sp.wait_panel(nb)
    lc.install_tick_recorder(nb)
    job = lc.generate_long(nb, "A lighthouse beam sweeping over a stormy sea at night")
    sp.wait_status(nb, job, ("completed",))
    lc.check_live_progress(nb, job)
    lc.check_play_from_start_and_portrait(nb, job)


def test_live_progress_play_from_start_portrait_in_jupyterlab(lab) -> None:
    nb = lab.open("panel.ipynb", name="live_panel.ipynb")
    _panel_flow(nb)
    # and the deliberate start from a scrubbed frame
    other = lc.generate_long(nb, "A red kite climbing over green dunes")
    sp.wait_status(nb, other, ("completed",))
    lc.check_shift_click_starts_at_the_frame(nb, other)


def test_live_progress_play_from_start_portrait_in_notebook7(nb7) -> None:
    _panel_flow(nb7.open("panel.ipynb", name="live_panel7.ipynb"))


def test_gallery_keyboard_keeps_the_card_in_view_in_jupyterlab(lab) -> None:
    nb = lab.open_cells("pages.ipynb", lc.GALLERY_CELLS)
    nb.run_all()
    lc.check_keyboard_keeps_card_in_view(nb)


def test_gallery_keyboard_keeps_the_card_in_view_in_notebook7(nb7) -> None:
    nb = nb7.open_cells("pages7.ipynb", lc.GALLERY_CELLS)
    nb.run_all()
    lc.check_keyboard_keeps_card_in_view(nb)
