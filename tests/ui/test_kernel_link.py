"""The widgets and their kernel, in real JupyterLab and Notebook 7: traits both ways, and a restarted kernel.

- Python-side trait changes update the view (``panel.prompt``, ``panel.model``/``size``, ``card.playing``),
  and typing in the browser updates ``panel.prompt``.
- After a kernel restart, every widget says "This widget lost its kernel — re-run the cell" within 2 s and
  disables its kernel actions.
"""

from __future__ import annotations

from typing import Any

import pytest
import sora_page as sp
from playwright.sync_api import expect

LOST = "This widget lost its kernel — re-run the cell"

CELLS = [
    "import sora_widgets as sw\npanel = sw.GeneratorPanel(prompt='From the constructor')\npanel",
    "job = sw.submit('Wide shot of a red kite over dunes, late sun', seconds='4')\njob.wait(120)\n"
    "card = sw.VideoCard(job)\ncard",
]

# Runs code in the notebook's kernel (not in a cell) and returns what it printed.
_EXECUTE_JS = """
async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({ code });
  let out = '';
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') out += msg.content.text;
    if (msg.header.msg_type === 'error') out += 'ERROR ' + msg.content.ename + ': ' + msg.content.evalue;
  };
  await future.done;
  return out;
}
"""

# Restarts the kernel the way the Kernel menu does (without its dialog) and times the lost banners.
_RESTART_JS = """
async (count) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const shown = () => [...document.querySelectorAll('.sora-lost')].filter((el) => !el.hidden && el.offsetParent);
  const t0 = performance.now();
  kernel.restart();
  while (shown().length < count) {
    if (performance.now() - t0 > 10000) return { ms: null, shown: shown().length };
    await new Promise((r) => setTimeout(r, 20));
  }
  return { ms: performance.now() - t0, shown: shown().length };
}
"""


def run(nb: Any, code: str) -> str:
    out: str = nb.page.evaluate(_EXECUTE_JS, code)
    assert "ERROR" not in out, out
    return out


def wait_printed(nb: Any, code: str, expected: str, timeout_s: float = 10.0) -> None:
    """Ask the kernel until ``code`` prints ``expected`` (the browser writes traits a moment after input)."""
    import time

    deadline = time.monotonic() + timeout_s
    seen = run(nb, code).strip()
    while seen != expected:
        assert time.monotonic() < deadline, f"{code!r} printed {seen!r}, not {expected!r}, within {timeout_s} s"
        seen = run(nb, code).strip()  # each read is a kernel round trip


@pytest.mark.parametrize("which", ["lab", "nb7"])
def test_traits_both_ways_and_a_restarted_kernel(which: str, request: pytest.FixtureRequest) -> None:
    notebooks = request.getfixturevalue(which)
    nb = notebooks.open_cells(f"kernel_link_{which}.ipynb", CELLS)
    nb.run_all()
    panel = sp.wait_panel(nb)
    prompt = panel.get_by_role("textbox", name="Prompt")
    expect(prompt).to_have_value("From the constructor")
    job_id = nb.wait_for("() => document.querySelector('.sora-card-view .sora-card')?.dataset.jobId", "the card")
    sp.wait_status(nb, job_id, ("completed",))
    card = nb.page.locator(".sora-card-view .sora-card")
    nb.wait_kernel_idle()
    for root in (".sora-panel", ".sora-card-view"):
        nb.wait_for(f"() => document.querySelector('{root}').dataset.connection === 'live'", f"{root} live")
    expect(nb.page.locator(".sora-lost").first).to_be_hidden()

    # Python -> view
    run(nb, "panel.prompt = 'Set from Python'")
    expect(prompt).to_have_value("Set from Python")
    run(nb, "panel.model = 'sora-2-pro'; panel.size = '1792x1024'")
    expect(panel.get_by_role("combobox", name="Model")).to_have_value("sora-2-pro")
    expect(panel.get_by_role("combobox", name="Size")).to_have_value("1792x1024")
    # view -> Python
    prompt.fill("Typed in the browser")
    wait_printed(nb, "print(panel.prompt)", "Typed in the browser")
    panel.get_by_role("combobox", name="Seconds").select_option("8")
    wait_printed(nb, "print(panel.model, panel.size, panel.seconds)", "sora-2-pro 1792x1024 8")
    # the card's player from Python, and its state back
    run(nb, "card.playing = True")
    expect(card.locator("video")).to_have_count(1, timeout=30000)
    wait_printed(nb, "print(card.playing)", "True")  # the player's play event wrote it back
    run(nb, "card.playing = False")
    nb.wait_for("() => document.querySelector('.sora-card-view video')?.paused", "the video paused")

    # a restarted kernel: both widgets say so within 2 s and their kernel actions are disabled
    timing = nb.page.evaluate(_RESTART_JS, 2)
    assert timing["ms"] is not None, f"lost banners shown: {timing['shown']} of 2"
    assert timing["ms"] < 2000, timing
    print(f"{which}: lost banners {timing['ms']:.0f} ms after the restart")
    expect(nb.page.locator(".sora-lost").first).to_have_text(LOST)
    expect(panel.get_by_role("button", name="Generate")).to_be_disabled()
    expect(card.get_by_role("button", name="Download")).to_be_disabled()
    expect(card.get_by_role("button", name="Copy prompt")).to_be_enabled()
    nb.wait_kernel_idle()


def test_saved_notebook_opened_with_a_new_kernel_shows_the_static_preview(lab, tmp_path) -> None:
    # a notebook executed elsewhere, its widget state saved (nbconvert stores it), opened in JupyterLab: the
    # new kernel knows nothing of these widgets
    import os
    import subprocess
    import sys

    name = lab.server.write_notebook("saved_state.ipynb", [
        "import sora_widgets as sw\njob = sw.generate('Close-up of a paper boat on a pond, dusk', seconds='4')",
        "sw.VideoCard(job)",
    ])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SORA_WIDGETS_"))},
        "SORA_WIDGETS_HOME": str(tmp_path / "home"),
        "SORA_WIDGETS_EMULATOR_SPEED": "40",
    }
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace", name],
        check=True, env=env, cwd=lab.server.root_dir, capture_output=True, timeout=300,
    )
    nb = lab.open_existing(name)
    # JupyterLab shows the output's static preview (the new kernel has no such widget): the thumbnail, the
    # job's line, and how to make it live; never "model not found"
    preview = nb.page.locator(".sora-fallback")
    expect(preview).to_be_visible(timeout=30000)
    image = preview.get_by_role("img", name="Close-up of a paper boat on a pond, dusk")
    expect(image).to_be_visible()
    nb.wait_for("() => document.querySelector('.sora-fallback img').naturalWidth > 0", "the thumbnail decoded")
    expect(preview).to_contain_text("completed · sora-2")
    expect(preview).to_contain_text("Run the cell to make it live")
    assert "model not found" not in nb.page.content()
