"""The harness itself: a throwaway anywidget round-trips through a real kernel, in JupyterLab and Notebook 7."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import expect


def _check_counter(nb) -> None:
    nb.run_all()
    nb.wait_for("() => document.querySelector('.smoke-counter')", "the counter widget to render")
    # The kernel is this venv's Python, so it imports the editable sora_widgets under test.
    assert Path(nb.output_text(0).strip()) == Path(sys.executable), nb.output_text(0)
    button = nb.page.locator(".smoke-counter")
    button.click()
    button.click()
    # value goes browser -> kernel; echo comes back kernel -> browser.
    expect(button).to_have_attribute("data-value", "2", timeout=10_000)
    expect(button).to_have_attribute("data-echo", "20", timeout=10_000)


def test_counter_round_trip_in_jupyterlab(lab) -> None:
    _check_counter(lab.open("smoke_counter.ipynb"))


def test_counter_round_trip_in_notebook7(nb7) -> None:
    _check_counter(nb7.open("smoke_counter.ipynb"))


def test_a_raising_cell_fails_the_wait_with_its_traceback(lab) -> None:
    import pytest
    from ui_harness import CellError

    nb = lab.open_cells("raises.ipynb", ["raise ValueError('boom from the kernel')"])
    nb.run_all()
    with pytest.raises(CellError, match="ValueError: boom from the kernel"):
        nb.wait_for(
            "() => document.querySelector('.never-there')", "an element that never appears", timeout_s=20
        )
