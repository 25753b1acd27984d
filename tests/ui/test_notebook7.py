"""Notebook 7 smoke test: the GeneratorPanel renders and a generation runs to completion."""

from __future__ import annotations

import sora_page as sp
from playwright.sync_api import expect


def test_panel_generates_in_notebook7(nb7) -> None:
    nb = nb7.open("panel.ipynb")
    nb.run_all()
    panel = sp.wait_panel(nb)
    sp.install_recorder(nb)
    expect(panel.get_by_role("button", name="Generate")).to_be_enabled()
    job = sp.generate(nb, "A lighthouse blinking over a stormy sea")
    sp.wait_status(nb, job, ("completed",))
    sp.check_progress_advanced(sp.seen(nb, job), job)
    expect(sp.card(nb, job).get_by_role("button", name="Play video")).to_be_visible()
