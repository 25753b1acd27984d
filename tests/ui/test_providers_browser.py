"""The panel and the gallery in a real JupyterLab on backends that are not the embedded emulator (issues 10, 12):
through a real LiteLLM proxy (``litellm --config`` in front of an emulator), and on the providers' own APIs
(google-genai against the emulator's ``gemini`` dialect, LiteLLM's SDK against its ``fal`` dialect).

The provider emulators run inside the kernel (one per notebook, stopped with it); the proxy runs in this
process for the module. Keys reach the kernel through a file, never through the notebook's text.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sora_page as sp
from playwright.sync_api import expect
from test_generator_flow import _check_plays, _check_scrub

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "carriers"))

from litellm_proxy import (  # tests/carriers, put on the path just above
    PROXY_START_TIMEOUT_S,
    LiteLLMProxy,
    require_litellm,
    start_litellm,
    write_config,
)

#: Environment a kernel sets before LiteLLM's SDK is imported: its bundled price map, no telemetry, and every
#: non-loopback request sent to a closed port (nothing leaves the machine).
OFFLINE_CELL = """
import os, socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); dead = f"http://127.0.0.1:{s.getsockname()[1]}"
for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "FAL_KEY", "FAL_AI_API_KEY", "GOOGLE_GEMINI_BASE_URL"):
    os.environ.pop(name, None)
os.environ.update(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY_DISABLED="True", HTTP_PROXY=dead,
                  HTTPS_PROXY=dead, ALL_PROXY=dead, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
"""


def _provider_cells(provider: str, job_s: float) -> list[str]:
    return [
        OFFLINE_CELL
        + f"""
import sora_widgets as sw
emu = sw.start_emulator(dialect={provider!r}, job_duration_s={job_s}, max_concurrent_renders=2, seed=12)
sw.configure(provider={provider!r}, api_key=emu.api_key, base_url=emu.root_url)
panel = sw.GeneratorPanel()
panel
""",
    ]


def _scrub(nb, job_id: str) -> None:
    """Hover scrubbing over the card's (locally made) spritesheet; the card is scrolled into view first."""
    sp.card(nb, job_id).get_by_role("button", name="Play video").scroll_into_view_if_needed()
    _check_scrub(nb, job_id)


def _run_cell(nb, index: int) -> None:
    """Run one cell of the open notebook (the gallery's comes after the panel's checks: one card per job)."""
    nb.page.evaluate(
        """(i) => { const app = window.jupyterapp; const notebook = app.shell.currentWidget.content;
          notebook.activeCellIndex = i; app.commands.execute('notebook:run-cell'); }""",
        index,
    )


def _wait_indeterminate_with_elapsed(nb, job_id: str) -> str:
    """While it runs, the card of a provider job shows an indeterminate bar (no aria-valuenow: no made-up
    percentage) and the elapsed time; returns the progress line seen."""
    return nb.wait_for(  # type: ignore[no-any-return]
        """(id) => {
          const card = document.querySelector(`.sora-card[data-job-id="${id}"]`);
          if (!card || !['queued', 'in_progress'].includes(card.dataset.status)) return null;
          const bar = card.querySelector('[role="progressbar"]');
          const line = card.querySelector('.sora-progress-text');
          const text = line ? line.textContent : '';
          return bar && !bar.hasAttribute('aria-valuenow') && bar.classList.contains('sora-indeterminate')
            && /\\d:\\d\\d elapsed/.test(text) ? text : null;
        }""",
        f"job {job_id} to show an indeterminate bar with the elapsed time",
        timeout_s=30,
        arg=job_id,
    )


def _check_unmute(nb, job_id: str) -> None:
    """The player starts muted (autoplay) and offers Unmute: the clip has an audio track (Veo 3 has sound)."""
    card = sp.card(nb, job_id)
    unmute = card.get_by_role("button", name="Unmute")
    expect(unmute).to_be_visible(timeout=10_000)
    unmute.click()
    nb.wait_for(
        """(id) => { const v = document.querySelector(`.sora-card[data-job-id="${id}"] video`);
          return v && !v.muted; }""",
        "the video to be unmuted",
        timeout_s=10,
        arg=job_id,
    )
    # the decoder found sound in it (Chromium counts decoded audio bytes)
    nb.wait_for(
        """(id) => { const v = document.querySelector(`.sora-card[data-job-id="${id}"] video`);
          return v && (v.webkitAudioDecodedByteCount > 0 || v.mozHasAudio || (v.audioTracks && v.audioTracks.length));
        }""",
        "the video's audio track to be decoded",
        timeout_s=15,
        arg=job_id,
    )


def test_gemini_panel_and_gallery_indeterminate_progress_sound_and_a_filtered_job(lab) -> None:
    cells = _provider_cells("gemini", 3.0)
    cells.append("gallery = sw.Gallery()\ngallery")
    nb = lab.open_cells("gemini_panel.ipynb", cells)
    _run_cell(nb, 0)
    panel = sp.wait_panel(nb, timeout_s=90)
    expect(panel.locator(".sora-backend")).to_contain_text("Gemini")

    done = sp.generate(nb, "A pink ball bouncing slowly on a wooden floor", size="1280x720")
    line = _wait_indeterminate_with_elapsed(nb, done)
    assert "%" not in line, line
    filtered = sp.generate(nb, "SpongeBob at the beach", size="1280x720")

    sp.wait_status(nb, done, ("completed",))
    _scrub(nb, done)
    _check_plays(nb, done)
    _check_unmute(nb, done)

    status = nb.wait_for(
        """(id) => { const c = document.querySelector(`.sora-card[data-job-id="${id}"]`);
          return c && ['failed', 'completed'].includes(c.dataset.status) ? c.dataset.status : null; }""",
        "the filtered job to end",
        timeout_s=sp.JOB_TIMEOUT_S,
        arg=filtered,
    )
    assert status == "failed", status
    error = sp.card(nb, filtered).locator(".sora-error")
    expect(error).to_contain_text("Veo filtered the video")
    expect(error).to_contain_text("raiMediaFilteredCount")
    expect(sp.card(nb, filtered).get_by_role("button", name="Retry")).to_have_count(0)

    # The gallery lists both, the failure readable there too.
    _run_cell(nb, 1)
    gallery = nb.page.locator(".sora-gallery").first
    for job_id, want in ((done, "completed"), (filtered, "failed")):
        expect(gallery.locator(f'.sora-card[data-job-id="{job_id}"]')).to_have_attribute(
            "data-status", want, timeout=30_000
        )
    expect(gallery.locator(f'.sora-card[data-job-id="{filtered}"] .sora-error')).to_contain_text("filtered")


def test_fal_panel_generates_and_plays(lab) -> None:
    nb = lab.open_cells("fal_panel.ipynb", _provider_cells("fal", 2.0))
    nb.run_all()
    panel = sp.wait_panel(nb, timeout_s=90)
    expect(panel.locator(".sora-backend")).to_contain_text("fal")
    job = sp.generate(nb, "A paper lantern floating over a dark lake", size="1280x720")
    _wait_indeterminate_with_elapsed(nb, job)
    sp.wait_status(nb, job, ("completed",))
    _check_plays(nb, job)


# ---------------------------------------------------------------------------------------------- LiteLLM


@pytest.fixture(scope="module")
def ui_proxy(tmp_path_factory) -> Iterator[tuple[LiteLLMProxy, object]]:
    """An emulator (OpenAI's models and sizes) behind a real ``litellm --config``, for this module."""
    require_litellm()
    from sora_widgets import start_emulator

    folder = tmp_path_factory.mktemp("ui-litellm")
    with start_emulator(speed=3, seed=77, data_dir=folder / "upstream") as upstream:
        master_key = f"sk-master-{secrets.token_hex(8)}"
        routes = {name: (upstream.base_url, upstream.api_key) for name in ("sora-2", "sora-2-pro")}
        write_config(folder / "config.yaml", routes, master_key)
        proxy = start_litellm(folder / "config.yaml", master_key, folder / "litellm.log",
                              timeout=PROXY_START_TIMEOUT_S)
        try:
            yield proxy, upstream
        finally:
            proxy.stop()


def test_panel_through_a_real_litellm_proxy(lab, ui_proxy, tmp_path) -> None:
    proxy, upstream = ui_proxy
    key_file = tmp_path / "proxy.key"
    key_file.write_text(proxy.master_key)
    cells = [
        f"""
import sora_widgets as sw
from pathlib import Path
sw.configure(base_url={proxy.base_url!r}, api_key=Path({str(key_file)!r}).read_text(), profile="litellm")
panel = sw.GeneratorPanel()
panel
"""
    ]
    nb = lab.open_cells("litellm_panel.ipynb", cells)
    nb.run_all()
    panel = sp.wait_panel(nb, timeout_s=90)
    sp.install_recorder(nb)
    expect(panel.locator(".sora-backend")).to_contain_text("127.0.0.1")
    # the proxy's own model list fills the choices
    model = panel.get_by_role("combobox", name="Model")
    expect(model.locator("option")).to_have_count(2)

    job = sp.generate(nb, "A paper boat drifting across a calm pond at sunrise", size="1280x720")
    sp.wait_status(nb, job, ("completed",))
    record = sp.seen(nb, job)
    assert "in_progress" in record["status"] and record["status"][-1] == "completed", record
    assert record["progress"], f"no determinate progress shown through the proxy: {record}"
    # LiteLLM drops `variant`: the thumbnail and the spritesheet were made in the kernel, and they scrub
    _scrub(nb, job)
    _check_plays(nb, job)

    # Cancelled upstream (as in Runway's dashboard; the proxy passes the word on): its own terminal word, not a
    # failure (no alert), Retry offered.
    model.select_option("sora-2-pro")  # about 8 s in progress at this speed: time to cancel it
    doomed = sp.generate(nb, "A slow sunset over a quiet sea", size="1280x720")
    nb.wait_for(
        """(id) => { const c = document.querySelector(`.sora-card[data-job-id="${id}"]`);
          return c && ['queued', 'in_progress'].includes(c.dataset.status); }""",
        "the job to run",
        timeout_s=30,
        arg=doomed,
    )
    import httpx

    listed = httpx.get(f"{upstream.base_url}/videos", headers={"Authorization": f"Bearer {upstream.api_key}"})
    running = [v["id"] for v in listed.json()["data"] if v["status"] in ("queued", "in_progress")]
    assert len(running) == 1, running
    assert upstream.cancel(running[0]) == "cancelled"
    sp.wait_status(nb, doomed, ("cancelled",), timeout_s=30)
    card = sp.card(nb, doomed)
    expect(card.locator(".sora-status")).to_have_text("Cancelled")
    expect(card.locator(".sora-cancelled")).to_contain_text("cancelled")
    expect(card.locator(".sora-error")).to_be_hidden()
    expect(card.get_by_role("button", name="Retry")).to_be_visible()
    assert proxy.process.poll() is None, proxy.log_tail()
