"""Providers report no progress: the bar is indeterminate, and once this backend has history of the same kind
the summary carries how long such a render usually takes (``typical_s``, from which the card counts down
"~M:SS left"), and the engine keeps a timing row per finished job (``backend_timings``) that aims its polls."""

from __future__ import annotations

import sqlite3

import pytest

from .helpers import wait_until

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("provider", ["gemini", "fal"])
def test_a_provider_job_records_its_timing_and_the_next_one_shows_a_typical_time(provider, request, tmp_path):
    sw = request.getfixturevalue(f"on_{provider}")
    from sora_widgets.widgets._summary import backend_state, summarize

    model = "veo-3.0-fast-generate-001" if provider == "gemini" else "fal-ai/veo3/fast"
    kind = {"model": model, "size": "1280x720", "seconds": "4"}
    first = sw.submit("A slow pan over a quiet harbour", **kind).wait(90)
    assert first.status == "completed", first.error
    assert first.completed_at is not None and first.completed_at >= first.created_at

    _profile, key = backend_state()  # what a widget's constructor reads: the journal's history
    second = sw.submit("A slow pan over a busy harbour", **kind)
    seen: list[dict] = []
    unsubscribe = second.on_change(lambda job: seen.append(summarize(job, backend_key=key)))
    second.wait(90)
    unsubscribe()
    running = [s for s in seen if s["status"] in ("queued", "in_progress")]
    assert running, f"no running summary seen: {[s['status'] for s in seen]}"
    assert all(s["progress"] is None for s in running)  # indeterminate: never a made-up percentage
    typical = [s["typical_s"] for s in running]
    assert all(t is not None and 0 < t <= first.elapsed_s + 1.0 for t in typical), typical

    db = sqlite3.connect(tmp_path / "home" / "jobs.sqlite3")
    rows = db.execute("SELECT model, size, seconds, run_s FROM backend_timings WHERE backend_key = ?",
                      (key,)).fetchall()
    db.close()
    assert len(rows) == 2 and all(r[:3] == (model, "1280x720", "4") and r[3] > 0 for r in rows), rows
    wait_until(lambda: second.done, 10, "second job done")
