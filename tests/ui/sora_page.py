"""Drive the sora_widgets front end through its contract (docs/architecture.md, "Front-end contract").

Only accessible names, the documented classes and the ``data-*`` attributes are used here, never the
widgets' internal markup, so a test breaks when the contract breaks and not when the layout changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from ui_harness import NotebookPage

#: Where README pictures go (written only with SORA_UPDATE_SCREENSHOT=1).
DOCS = Path(__file__).resolve().parents[2] / "docs"

#: Deadline for one emulated job (queued -> completed, media downloaded) at the UI test speed.
JOB_TIMEOUT_S = 90.0

#: Notes what one card shows into ``window.__soraSeen[job_id]``: every aria-valuenow and data-status in order,
#: and each card element's own bar values (``views``) and statuses (``statuses``) apart. Shared with the marimo
#: recorder.
NOTE_CARD_JS = """
  const seen = (window.__soraSeen = {});
  const shown = new WeakMap(); // card element -> {id, view, statuses}: what it showed for that job
  const note = (card) => {
    const id = card.dataset.jobId;
    if (!id) return;
    const rec = (seen[id] ||= { progress: [], views: [], statuses: [], status: [] });
    const bar = card.querySelector('[role="progressbar"]');
    const value = bar ? bar.getAttribute('aria-valuenow') : null;
    if (value !== null && rec.progress[rec.progress.length - 1] !== value) rec.progress.push(value);
    let own = shown.get(card);
    if (!own || own.id !== id) {
      own = { id, view: [], statuses: [] };
      shown.set(card, own);
      rec.views.push(own.view);
      rec.statuses.push(own.statuses);
    }
    if (value !== null && own.view[own.view.length - 1] !== value) own.view.push(value);
    const status = card.dataset.status;
    if (status && own.statuses[own.statuses.length - 1] !== status) own.statuses.push(status);
    if (status && rec.status[rec.status.length - 1] !== status) rec.status.push(status);
  };
"""

# Records every aria-valuenow and data-status a card shows, keyed by data-job-id: polling from Python
# could miss a short-lived value, a MutationObserver cannot.
_RECORDER_JS = (
    """
() => {
  if (window.__soraSeen) return;
"""
    + NOTE_CARD_JS
    + """
  const scan = (node) => {
    if (node.nodeType !== 1) return;
    const card = node.closest('.sora-card');
    if (card) note(card);
    node.querySelectorAll('.sora-card').forEach(note);
  };
  new MutationObserver((mutations) => mutations.forEach((m) => scan(m.target))).observe(document.body, {
    subtree: true, childList: true, attributes: true,
    attributeFilter: ['aria-valuenow', 'data-status', 'data-job-id'],
  });
  scan(document.body);
}
"""
)


def install_recorder(nb: NotebookPage) -> None:
    nb.page.evaluate(_RECORDER_JS)


def seen(nb: NotebookPage, job_id: str) -> dict[str, Any]:
    """Every progress value and status the cards of ``job_id`` have shown so far (``views``: per card)."""
    empty = "{progress: [], views: [], statuses: [], status: []}"
    return nb.page.evaluate(f"(id) => (window.__soraSeen || {{}})[id] || {empty}", job_id)  # type: ignore[no-any-return]


#: The order a card's statuses may come in (terminal ones last).
LIFECYCLE = {"pending": 0, "queued": 1, "in_progress": 2}


def check_progress_advanced(record: dict[str, Any], job_id: str) -> None:
    """Each card of the job (the panel's, the gallery's) showed a determinate bar while running, rising to
    completion.

    The engine polls sparsely early and densely near the ETA, so a short emulated job may show just one
    value in progress; completion counts as 100. Values are checked per card element: the recorder may read
    one card between another's ticks, so the job-wide sequence is not a bar anyone saw.
    """
    values = [float(v) for v in record["progress"]]
    assert values, f"{job_id} never showed aria-valuenow while running; statuses seen: {record['status']}"
    assert all(0 <= v <= 100 for v in values), (
        f"aria-valuenow of {job_id} out of 0..100: {record['progress']}"
    )
    assert "in_progress" in record["status"], f"{job_id} never showed in_progress: {record['status']}"
    # per card: a view never shows an earlier stage than it has (a finished job drawn from a stale row)
    for statuses in record["statuses"]:
        ranks = [LIFECYCLE.get(s, len(LIFECYCLE)) for s in statuses]
        assert ranks == sorted(ranks), f"a card of {job_id} went back in its lifecycle: {record['statuses']}"
    assert any(s and s[-1] == "completed" for s in record["statuses"]), (
        f"no card of {job_id} ended completed: {record['statuses']}"
    )
    shown = [[*(float(v) for v in view), 100.0] for view in record["views"] if view]
    for rising in shown:
        assert rising == sorted(rising), (
            f"a progress bar of {job_id} went backwards; aria-valuenow per card: {record['views']}"
        )
    assert any(len(set(rising)) >= 2 for rising in shown), (
        f"progress of {job_id} did not rise to completion; aria-valuenow per card: {record['views']}"
    )


def wait_panel(nb: NotebookPage, timeout_s: float = 60.0) -> Any:
    nb.wait_for(
        "() => document.querySelector('.sora-panel')", "the GeneratorPanel (.sora-panel) to render", timeout_s
    )
    return nb.page.locator(".sora-panel").first


def card_ids(nb: NotebookPage, within: str = ".sora-cards") -> list[str]:
    """``data-job-id`` of the cards in ``within``, top first."""
    return nb.page.evaluate(  # type: ignore[no-any-return]
        "(sel) => [...document.querySelectorAll(sel + ' .sora-card')].map((c) => c.dataset.jobId || '')",
        within,
    )


def wait_new_card(nb: NotebookPage, known: list[str], what: str, timeout_s: float = 30.0) -> str:
    """Wait for a card whose job id is not in ``known`` at the top of ``.sora-cards``; return its id."""
    return nb.wait_for(  # type: ignore[no-any-return]
        """(known) => {
          const first = document.querySelector('.sora-cards .sora-card');
          const id = first && first.dataset.jobId;
          return id && !known.includes(id) ? id : null;
        }""",
        what,
        timeout_s,
        arg=known,
    )


def card(nb: NotebookPage, job_id: str) -> Any:
    return nb.page.locator(f'.sora-card[data-job-id="{job_id}"]')


def wait_status(
    nb: NotebookPage, job_id: str, statuses: tuple[str, ...], timeout_s: float = JOB_TIMEOUT_S
) -> str:
    """Wait until the card of ``job_id`` shows one of ``statuses`` (fails early on ``failed``); return it."""
    stop = (*tuple(statuses), "failed", "expired")
    status: str = nb.wait_for(
        """([id, stop]) => {
          const card = document.querySelector(`.sora-card[data-job-id="${id}"]`);
          return card && stop.includes(card.dataset.status) ? card.dataset.status : null;
        }""",
        f"job {job_id} to reach {'/'.join(statuses)}",
        timeout_s,
        arg=[job_id, list(stop)],
    )
    if status not in statuses:
        error = card(nb, job_id).locator(".sora-error")
        message = error.first.text_content() if error.count() else "(no .sora-error element)"
        raise AssertionError(f"job {job_id} ended {status!r}, not {'/'.join(statuses)}: {message}")
    return status


def generate(nb: NotebookPage, prompt: str, size: str | None = None) -> str:
    """Type ``prompt``, pick the shortest duration (and ``size``), press Generate; return the new card's id."""
    page = nb.page
    known = card_ids(nb)
    page.get_by_role("textbox", name="Prompt").fill(prompt)
    if size is not None:
        page.get_by_role("combobox", name="Size").select_option(size)
    seconds = page.get_by_role("combobox", name="Seconds")
    values = seconds.evaluate("(el) => [...el.options].map((o) => o.value)")
    assert values, "the Seconds combobox has no options"
    shortest = min(values, key=float)
    seconds.select_option(shortest)
    expect(seconds).to_have_value(shortest)
    page.get_by_role("button", name="Generate").click()
    return wait_new_card(nb, known, f"a new card for prompt {prompt!r} at the top of .sora-cards")


def video_state(nb: NotebookPage, job_id: str) -> dict[str, Any] | None:
    return nb.page.evaluate(  # type: ignore[no-any-return]
        """(id) => {
          const v = document.querySelector(`.sora-card[data-job-id="${id}"] video`);
          if (!v) return null;
          return {currentTime: v.currentTime, paused: v.paused, muted: v.muted, readyState: v.readyState,
                  networkState: v.networkState, error: v.error && v.error.code, controls: v.controls,
                  src: (v.currentSrc || '').slice(0, 5)};
        }""",
        job_id,
    )
